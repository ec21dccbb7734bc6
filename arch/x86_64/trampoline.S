/*
 * arch/x86_64/trampoline.S - where a secondary CPU starts.
 *
 * Layer: arch/x86_64. Copied by smp.c to physical TRAMPOLINE_PHYS (0x8000);
 * the startup IPI starts the CPU in real mode at 0800:0000. It loads a
 * small GDT of its own, enters protected mode, turns on PAE and long mode
 * with a temporary PML4 (the kernel's upper half plus an identity map of
 * the first 2 MiB, built by smp.c), then jumps to x86_ap_start64 in the
 * kernel image, which switches to the kernel's own page tables and stack
 * and calls x86_secondary_entry(cpu). Parameters sit in the block at
 * trampoline_params (layout: asm/smp.h). In 64-bit mode it loads the boot
 * CPU's CR0 and CR4, so every CPU runs with the same control bits.
 *
 * Code here runs at an address other than its link address: every
 * reference inside the copied part is written as an offset from
 * trampoline_start plus TRAMPOLINE_PHYS.
 */
#include <asm/smp.h>

#define TP(x)		((x) - trampoline_start + TRAMPOLINE_PHYS)
#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18

	.section .rodata.trampoline, "a"
	.balign 16
	.globl trampoline_start
	.code16
trampoline_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	tramp_gdtr - trampoline_start
	movl	%cr0, %eax
	orl	$1, %eax			/* PE */
	movl	%eax, %cr0
	ljmpl	$SEL_CODE32, $TP(tramp32)

	.code32
tramp32:
	movw	$SEL_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	%cr4, %eax
	orl	$0x20, %eax			/* PAE */
	movl	%eax, %cr4
	movl	TP(trampoline_params) + TP_PML4, %eax
	movl	%eax, %cr3
	movl	$0xC0000080, %ecx		/* EFER: LME (+ NXE, SCE as the BSP) */
	movl	TP(trampoline_params) + TP_EFER, %eax
	movl	TP(trampoline_params) + TP_EFER + 4, %edx
	wrmsr
	movl	%cr0, %eax
	orl	$0x80010001, %eax		/* PG | WP | PE */
	movl	%eax, %cr0
	ljmpl	$SEL_CODE64, $TP(tramp64)

	.code64
tramp64:
	movl	$TP(trampoline_params), %esi
	movq	TP_CR0(%rsi), %rax
	movq	%rax, %cr0
	movq	TP_CR4(%rsi), %rax
	movq	%rax, %cr4
	movq	TP_CR3(%rsi), %rbx
	movq	TP_STACK(%rsi), %rsp
	movq	TP_CPU(%rsi), %rdi
	movq	TP_ENTRY(%rsi), %rcx
	movabsq	$x86_ap_start64, %rax
	jmpq	*%rax

	.balign 8
tramp_gdt:
	.quad	0
	.quad	0x00CF9A000000FFFF		/* 0x08: 32-bit code */
	.quad	0x00CF92000000FFFF		/* 0x10: data */
	.quad	0x00AF9A000000FFFF		/* 0x18: 64-bit code */
tramp_gdt_end:
tramp_gdtr:
	.word	tramp_gdt_end - tramp_gdt - 1
	.long	TP(tramp_gdt)

	.balign 8
	.globl trampoline_params
trampoline_params:
	.fill	TP_SIZE, 1, 0
	.globl trampoline_end
trampoline_end:

/*
 * In the kernel image proper: RBX = kernel CR3, RSP = stack, RDI = cpu,
 * RCX = C entry. Running on the temporary page tables, which map the
 * kernel's upper half the same way the kernel's own do.
 */
	.text
	.globl x86_ap_start64
x86_ap_start64:
	movq	%rbx, %cr3
	xorl	%ebp, %ebp
	pushq	$0				/* fake return address: ends traces */
	jmpq	*%rcx
