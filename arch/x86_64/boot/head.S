/*
 * arch/x86_64/boot/head.S - the kernel's first instructions, both paths.
 *
 * Layer: arch/x86_64 boot. Provides: pvh_entry (direct boot, named by the
 * Xen PVH ELF note), entry64 (UEFI loader; e_entry), the boot CPU's stack.
 *
 *   PVH:  32-bit protected mode, paging off, EBX = hvm_start_info (phys)
 *         -> PAE + early tables + EFER.LME -> long mode -> common64
 *   UEFI: 64-bit, firmware identity tables, RDI = boot_info (phys)
 *         -> common64
 *   common64 (running at physical addresses): stack, clear .bss, EFER.NXE,
 *         our early tables (identity 0-4 GiB + kernel at -2 GiB), our GDT,
 *         jump to the higher half, x86_64_start(info_phys, from).
 *
 * The early tables are static data built here with 2 MiB pages; setup.c
 * replaces them (paging.c) and the identity half disappears.
 */
#include <asm/layout.h>

#define PHYS(x)		((x) - KERNEL_VIRT_BASE)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define EFER_NXE	(1 << 11)
#define CR4_PAE		(1 << 5)
#define CR4_PGE		(1 << 7)
#define CR0_PE		(1 << 0)
#define CR0_WP		(1 << 16)
#define CR0_PG		(1 << 31)
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	/* The PVH note: QEMU (and Xen) enter pvh_entry in 32-bit mode. */
	.section .note.Xen, "a"
	.balign 4
	.long 4			/* name size: "Xen\0" */
	.long 4			/* desc size */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long PHYS(pvh_entry)

	.section .boot.text, "ax"
	.code32
	.globl pvh_entry
pvh_entry:
	cli
	cld
	movl %ebx, %edi			/* hvm_start_info, kept in EDI */
	lgdt PHYS(early_gdt_desc)
	movl $GDT_KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl $PHYS(boot_stack_top), %esp
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $PHYS(early_pml4), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP | CR0_PE), %eax
	movl %eax, %cr0
	ljmp $GDT_KERNEL_CS, $PHYS(pvh_long)

	.code64
pvh_long:
	movl %edi, %edi			/* zero-extend the start_info address */
	movl $BOOT_FROM_PVH, %esi
	jmp common64

	/* UEFI loader entry: RDI = struct boot_info (phys), long mode. */
	.globl entry64
entry64:
	cli
	cld
	movl $BOOT_FROM_UEFI, %esi
	/* fall through */

common64:
	movq $PHYS(boot_stack_top), %rsp
	movq %rdi, %r12
	movq %rsi, %r13
	/* Clear .bss (the loader may not have); the stack is in it. */
	movq $PHYS(__bss_start), %rdi
	movq $PHYS(__bss_stop), %rcx
	subq %rdi, %rcx
	xorl %eax, %eax
	rep stosb
	/* EFER.NXE when the CPU has NX (CPUID 0x80000001 EDX bit 20). */
	movl $0x80000001, %eax
	cpuid
	movl %edx, %ebx
	movl $MSR_EFER, %ecx
	rdmsr
	btl $20, %ebx
	jnc 1f
	orl $EFER_NXE, %eax
1:	orl $EFER_LME, %eax
	wrmsr
	/* CR4: PAE on, PGE off (flushes any global firmware TLB entries). */
	movq %cr4, %rax
	andl $~CR4_PGE, %eax
	orl $CR4_PAE, %eax
	movq %rax, %cr4
	movq $PHYS(early_pml4), %rax
	movq %rax, %cr3
	movq %cr0, %rax
	orl $CR0_WP, %eax
	movq %rax, %cr0
	lgdt PHYS(early_gdt_desc)
	pushq $GDT_KERNEL_CS
	pushq $PHYS(2f)
	lretq
2:	movl $GDT_KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movabsq $high64, %rax
	jmp *%rax

	.text
high64:
	movq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	movq %r12, %rdi
	movq %r13, %rsi
	call x86_64_start
3:	cli
	hlt
	jmp 3b

	.section .rodata
	.balign 16
early_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit kernel code */
	.quad 0x00cf92000000ffff	/* 0x10: kernel data */
early_gdt_end:
	.balign 8
	.word 0
early_gdt_desc:
	.word early_gdt_end - early_gdt - 1
	.quad PHYS(early_gdt)

	/* Early page tables: identity 0-4 GiB, and 0-1 GiB at -2 GiB. */
	.section .data.page_aligned, "aw"
	.balign 4096
early_pml4:
	.quad PHYS(early_pdpt_lo) + 3
	.fill 510, 8, 0
	.quad PHYS(early_pdpt_hi) + 3
early_pdpt_lo:
	.quad PHYS(early_pd) + 3
	.quad PHYS(early_pd) + 0x1000 + 3
	.quad PHYS(early_pd) + 0x2000 + 3
	.quad PHYS(early_pd) + 0x3000 + 3
	.fill 508, 8, 0
early_pdpt_hi:
	.fill 510, 8, 0
	.quad PHYS(early_pd) + 3
	.quad 0
early_pd:
	.set i, 0
	.rept 2048
	.quad (i << 21) | 0x83		/* present, writable, 2 MiB */
	.set i, i + 1
	.endr

	.section .bss.page_aligned, "aw", @nobits
	.balign 4096
	/* Unmapped by paging.c: overflowing the boot stack faults (a double
	 * fault, reported on its IST stack) instead of corrupting .bss. */
	.globl boot_stack_guard
boot_stack_guard:
	.skip 4096
	.globl boot_stack
boot_stack:
	.skip BOOT_STACK_SIZE
	.globl boot_stack_top
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
