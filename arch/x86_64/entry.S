/*
 * arch/x86_64/entry.S - the 256 interrupt entry stubs and their common
 * path into x86_handle_interrupt() (idt.c).
 *
 * Each stub is 16-byte aligned (idt.c computes stub addresses as
 * isr_stubs + 16 * vector), pushes a zero error code when the CPU does not
 * push one, then the vector number. The common path saves the general
 * registers as struct pt_regs (asm/idt.h), calls C with RDI = the frame,
 * restores and returns with iretq. RBP is left as the interrupted code's,
 * so frame-pointer backtraces continue through the interrupted context.
 */

	.altmacro
	.macro isr_stub n
	.balign 16
	.if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	pushq $0
	.endif
	pushq $\n
	jmp interrupt_common
	.endm

	.text
	.balign 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	isr_stub %vec
	.set vec, vec + 1
	.endr

interrupt_common:
	cld
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	call x86_handle_interrupt
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp			/* vector and error code */
	iretq

	.section .note.GNU-stack, "", @progbits
