/* Stackful coroutines: see coro.h. */
#define _GNU_SOURCE
#include "core/coro.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifdef PT_CORO_UCONTEXT
#include <fenv.h>
#include <ucontext.h>
#endif
#ifdef PT_HAVE_VALGRIND
#include <valgrind/valgrind.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define PT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PT_ASAN 1
#endif
#endif

#ifdef PT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__SANITIZE_THREAD__)
#define PT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PT_TSAN 1
#endif
#endif

#ifdef PT_TSAN
#include <sanitizer/tsan_interface.h>
#endif

enum { PT_CORO_READY, PT_CORO_RUNNING, PT_CORO_SUSPENDED, PT_CORO_DONE };

struct pt__coro {
#ifdef PT_CORO_UCONTEXT
    ucontext_t      ctx;
    ucontext_t      caller;
#else
    void           *sp;          /* saved stack pointer of the coroutine */
    void           *caller_sp;   /* saved stack pointer of the resumer */
#endif
    pt__coro_fn      fn;
    void           *arg;
    void           *data;
    pt__coro_t      *link;
    pt__coro_pool_t *pool;
    unsigned char  *map;         /* mapping: guard page, then the stack */
    size_t          map_size;
    int             state;
#ifdef PT_HAVE_VALGRIND
    unsigned        vg_id;
#endif
#ifdef PT_ASAN
    void           *asan_fake;          /* fake stack of the coroutine while suspended */
    const void     *caller_bottom;      /* resumer's stack, learned on entry */
    size_t          caller_size;
#endif
#ifdef PT_TSAN
    void           *tsan_fiber;         /* TSan's state for this stack */
    void           *tsan_caller;        /* the resumer's fiber, to switch back to */
#endif
};

struct pt__coro_pool {
    size_t     stack_size;
    size_t     page;
    unsigned   max_cached;
    unsigned   ncached;
    pt__coro_t *cached;
};

static __thread pt__coro_t *pt__current;

#ifndef PT_CORO_UCONTEXT
void pt__ctx_switch(void **from_sp, void *to_sp);
void pt__ctx_entry(void);
#endif

/* ---- sanitizer hooks: keep ASan's idea of "the current stack" in step ---- */

#ifdef PT_ASAN
static void asan_enter(pt__coro_t *co, void **fake_save)
{
    __sanitizer_start_switch_fiber(fake_save, co->map + co->pool->page, co->pool->stack_size);
}
static void asan_entered(pt__coro_t *co, void *fake_save)
{
    (void)co;
    __sanitizer_finish_switch_fiber(fake_save, NULL, NULL);
}
static void asan_leave(pt__coro_t *co, bool dying)
{
    __sanitizer_start_switch_fiber(dying ? NULL : &co->asan_fake, co->caller_bottom, co->caller_size);
}
static void asan_back_in(pt__coro_t *co)
{
    __sanitizer_finish_switch_fiber(co->asan_fake, &co->caller_bottom, &co->caller_size);
}
#else
#define asan_enter(co, f) ((void)0)
#define asan_entered(co, f) ((void)0)
#define asan_leave(co, d) ((void)0)
#define asan_back_in(co) ((void)0)
#endif

/* ---- sanitizer hooks: TSan keeps a shadow call stack and a happens-before
 * clock per thread; each coroutine stack is a fiber of its own, and every
 * switch tells TSan which one runs next (flags 0: the switch orders
 * everything before it against everything after, as it does). ---- */

#ifdef PT_TSAN
static void tsan_enter(pt__coro_t *co)
{
    co->tsan_caller = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(co->tsan_fiber, 0);
}
static void tsan_leave(pt__coro_t *co) { __tsan_switch_to_fiber(co->tsan_caller, 0); }
#else
#define tsan_enter(co) ((void)0)
#define tsan_leave(co) ((void)0)
#endif

/* ---- pool ---- */

pt__coro_pool_t *pt__coro_pool_new(size_t stack_size, unsigned max_cached)
{
    pt__coro_pool_t *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->page = (size_t)sysconf(_SC_PAGESIZE);
    if (!stack_size)
        stack_size = PT_CORO_DEFAULT_STACK;
    p->stack_size = (stack_size + p->page - 1) & ~(p->page - 1);
    p->max_cached = max_cached;
    return p;
}

static void coro_unmap(pt__coro_t *co)
{
#ifdef PT_TSAN
    __tsan_destroy_fiber(co->tsan_fiber);
#endif
#ifdef PT_HAVE_VALGRIND
    VALGRIND_STACK_DEREGISTER(co->vg_id);
#endif
    munmap(co->map, co->map_size);
    free(co);
}

void pt__coro_pool_free(pt__coro_pool_t *p)
{
    if (!p)
        return;
    while (p->cached) {
        pt__coro_t *co = p->cached;
        p->cached = co->link;
        coro_unmap(co);
    }
    free(p);
}

static pt__coro_t *coro_alloc(pt__coro_pool_t *p)
{
    if (p->cached) {
        pt__coro_t *co = p->cached;
        p->cached = co->link;
        p->ncached--;
#ifdef PT_ASAN
        /* Frames abandoned by pt__coro_exit left their redzones poisoned. */
        ASAN_UNPOISON_MEMORY_REGION(co->map + p->page, p->stack_size);
#endif
#ifdef PT_TSAN
        /* Likewise the frames in TSan's shadow stack: start a fresh fiber. */
        __tsan_destroy_fiber(co->tsan_fiber);
        co->tsan_fiber = __tsan_create_fiber(0);
#endif
        return co;
    }
    pt__coro_t *co = calloc(1, sizeof *co);
    if (!co)
        return NULL;
    co->map_size = p->stack_size + p->page;
    co->map = mmap(NULL, co->map_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (co->map == MAP_FAILED) {
        free(co);
        return NULL;
    }
    /* Guard page: a stack overflow faults instead of corrupting the heap. */
    if (mprotect(co->map, p->page, PROT_NONE) != 0) {
        munmap(co->map, co->map_size);
        free(co);
        return NULL;
    }
    co->pool = p;
#ifdef PT_TSAN
    co->tsan_fiber = __tsan_create_fiber(0);
#endif
#ifdef PT_HAVE_VALGRIND
    co->vg_id = VALGRIND_STACK_REGISTER(co->map + p->page, co->map + co->map_size);
#endif
    return co;
}

/* ---- lifecycle ---- */

static void coro_main(void *arg)
{
    pt__coro_t *co = arg;
#ifdef PT_ASAN
    /* First entry: learn the resumer's stack bounds for the way back. */
    __sanitizer_finish_switch_fiber(NULL, &co->caller_bottom, &co->caller_size);
#endif
#ifdef PT_CORO_UCONTEXT
    /* makecontext copies the creator's FP modes; start from the defaults as
     * the hand-written switch does (swapcontext keeps each context's own). */
    fesetenv(FE_DFL_ENV);
#endif
    co->fn(co->arg);
    pt__coro_exit();
}

#ifdef PT_CORO_UCONTEXT
static void coro_trampoline(unsigned hi, unsigned lo)
{
    coro_main((void *)(((uintptr_t)hi << 32) | (uintptr_t)lo));
}
#endif

static void coro_prepare(pt__coro_t *co)
{
    unsigned char *lo = co->map + co->pool->page;
    unsigned char *top = co->map + co->map_size;
#ifdef PT_CORO_UCONTEXT
    getcontext(&co->ctx);
    co->ctx.uc_stack.ss_sp = lo;
    co->ctx.uc_stack.ss_size = co->pool->stack_size;
    co->ctx.uc_link = NULL;
    uintptr_t p = (uintptr_t)co;
    makecontext(&co->ctx, (void (*)(void))coro_trampoline, 2, (unsigned)(p >> 32), (unsigned)p);
    (void)top;
#elif defined(__x86_64__)
    (void)lo;
    /* Frame read by pt__ctx_switch: control words, r15, r14, r13 (fn), r12
     * (arg), rbx, rbp, return address. After the ret the stack is 16-byte
     * aligned, as the call in pt__ctx_entry requires. */
    uint64_t *sp = (uint64_t *)(top - 80);
    memset(sp, 0, 80);
    sp[0] = 0x1F80u | ((uint64_t)0x037Fu << 32); /* default MXCSR and x87 CW */
    sp[3] = (uint64_t)(uintptr_t)coro_main;    /* r13 */
    sp[4] = (uint64_t)(uintptr_t)co;              /* r12 */
    sp[7] = (uint64_t)(uintptr_t)pt__ctx_entry;    /* return address */
    co->sp = sp;
#elif defined(__aarch64__)
    (void)lo;
    uint64_t *sp = (uint64_t *)(top - 176);
    memset(sp, 0, 176);
    sp[0] = (uint64_t)(uintptr_t)coro_main;    /* x19 */
    sp[1] = (uint64_t)(uintptr_t)co;              /* x20 */
    sp[11] = (uint64_t)(uintptr_t)pt__ctx_entry;   /* x30 */
    co->sp = sp;
#else
#error "no context switch for this architecture: configure with -DPT_CORO_UCONTEXT=ON"
#endif
}

pt__coro_t *pt__coro_new(pt__coro_pool_t *pool, pt__coro_fn fn, void *arg)
{
    pt__coro_t *co = coro_alloc(pool);
    if (!co)
        return NULL;
    co->fn = fn;
    co->arg = arg;
    co->data = NULL;
    co->link = NULL;
    co->state = PT_CORO_READY;
    coro_prepare(co);
    return co;
}

bool pt__coro_resume(pt__coro_t *co)
{
    if (co->state == PT_CORO_DONE || co->state == PT_CORO_RUNNING) {
        fprintf(stderr, "ponty: pt__coro_resume on a %s coroutine\n",
                co->state == PT_CORO_DONE ? "finished" : "running");
        abort();
    }
    pt__coro_t *prev = pt__current;
    pt__current = co;
    co->state = PT_CORO_RUNNING;
#ifdef PT_ASAN
    void *fake = NULL;
    asan_enter(co, &fake);
#endif
    tsan_enter(co);
#ifdef PT_CORO_UCONTEXT
    swapcontext(&co->caller, &co->ctx);
#else
    pt__ctx_switch(&co->caller_sp, co->sp);
#endif
#ifdef PT_ASAN
    asan_entered(co, fake);
#endif
    pt__current = prev;
    return co->state != PT_CORO_DONE;
}

static void coro_switch_out(pt__coro_t *co, bool dying)
{
    asan_leave(co, dying);
    tsan_leave(co);
#ifdef PT_CORO_UCONTEXT
    swapcontext(&co->ctx, &co->caller);
#else
    pt__ctx_switch(&co->sp, co->caller_sp);
#endif
}

void pt__coro_yield(void)
{
    pt__coro_t *co = pt__current;
    if (!co)
        return;
    co->state = PT_CORO_SUSPENDED;
    coro_switch_out(co, false);
    asan_back_in(co);
}

_Noreturn void pt__coro_exit(void)
{
    pt__coro_t *co = pt__current;
    if (!co) {
        fprintf(stderr, "ponty: pt__coro_exit called outside a coroutine\n");
        abort();
    }
    co->state = PT_CORO_DONE;
    coro_switch_out(co, true);
    abort(); /* a finished coroutine is never resumed */
}

void pt__coro_release(pt__coro_t *co)
{
    if (!co)
        return;
    pt__coro_pool_t *p = co->pool;
    if (co->state != PT_CORO_DONE && co->state != PT_CORO_READY) {
        fprintf(stderr, "ponty: pt__coro_release on a live coroutine\n");
        abort();
    }
    if (p->ncached < p->max_cached) {
        co->link = p->cached;
        p->cached = co;
        p->ncached++;
    } else {
        coro_unmap(co);
    }
}

pt__coro_t *pt__coro_self(void) { return pt__current; }
void *pt__coro_data(const pt__coro_t *co) { return co->data; }
void pt__coro_set_data(pt__coro_t *co, void *data) { co->data = data; }
pt__coro_t **pt__coro_link(pt__coro_t *co) { return &co->link; }

void pt__coro_stack(const pt__coro_t *co, void **lo, size_t *size)
{
    *lo = co->map + co->pool->page;
    *size = co->pool->stack_size;
}
