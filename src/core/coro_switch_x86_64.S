/* void pt__ctx_switch(void **from_sp, void *to_sp)
 *
 * Saves the System V callee-saved registers (rbx, rbp, r12-r15), the MXCSR
 * control bits and the x87 control word on the current stack, stores the
 * stack pointer in *from_sp, then restores the same set from to_sp. The
 * return address already on the stack is the resume point. */
#if defined(__x86_64__) && !defined(PT_CORO_UCONTEXT)
    .text
    .globl pt__ctx_switch
    .hidden pt__ctx_switch
    .type pt__ctx_switch, @function
    .p2align 4
pt__ctx_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size pt__ctx_switch, .-pt__ctx_switch

/* First frame of every coroutine: pt__ctx_switch "returns" here with r12 =
 * argument, r13 = function. The function never returns. */
    .globl pt__ctx_entry
    .hidden pt__ctx_entry
    .type pt__ctx_entry, @function
    .p2align 4
pt__ctx_entry:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size pt__ctx_entry, .-pt__ctx_entry
#endif
    .section .note.GNU-stack,"",@progbits
