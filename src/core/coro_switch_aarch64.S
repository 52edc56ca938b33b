/* void pt__ctx_switch(void **from_sp, void *to_sp)
 *
 * AAPCS64 callee-saved state: x19-x28, fp (x29), lr (x30), d8-d15, and the
 * FPCR (rounding/flush modes a callee must preserve). Saved on the current
 * stack; the stack pointer goes to *from_sp; then the same set is restored
 * from to_sp and we return through the restored lr. */
#if defined(__aarch64__) && !defined(PT_CORO_UCONTEXT)
    .text
    .globl pt__ctx_switch
    .hidden pt__ctx_switch
    .type pt__ctx_switch, %function
    .p2align 4
pt__ctx_switch:
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8,  d9,  [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mrs x9, fpcr
    str x9, [sp, #160]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldr x9, [sp, #160]
    msr fpcr, x9
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8,  d9,  [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #176
    ret
    .size pt__ctx_switch, .-pt__ctx_switch

/* First frame of every coroutine: x19 = function, x20 = argument. */
    .globl pt__ctx_entry
    .hidden pt__ctx_entry
    .type pt__ctx_entry, %function
    .p2align 4
pt__ctx_entry:
    mov x29, xzr
    mov x0, x20
    blr x19
    brk #0
    .size pt__ctx_entry, .-pt__ctx_entry
#endif
    .section .note.GNU-stack,"",%progbits
