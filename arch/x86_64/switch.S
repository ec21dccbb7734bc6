/*
 * arch/x86_64/switch.S - the kernel thread context switch.
 *
 * Layer: arch/x86_64. Provides: __switch_stack(void **save_sp, void *new_sp).
 * Saves the callee-saved registers (rbp, rbx, r12-r15) on the current
 * stack, stores the stack pointer in *save_sp, loads new_sp and pops the
 * same frame from it. Everything else the SysV ABI lets a call clobber.
 * A new thread's stack is prepared by arch_thread_init() (thread.c) with
 * the same frame and task_entry as return address.
 * Interrupts stay off across it (the caller's job).
 */
	.text
	.globl __switch_stack
__switch_stack:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
