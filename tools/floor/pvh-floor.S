/*
 * tools/floor/pvh-floor.S - the direct-boot floor: the least a PVH guest
 * can do. QEMU `-kernel` finds the Xen PVH note, enters pvh_start in 32-bit
 * protected mode (paging off); we write one byte to COM1 and leave through
 * isa-debug-exit (QEMU exit status (0 << 1) | 1 = 1). Used by `make bench`
 * as QEMU's own start-to-first-byte cost. No libc, no stack needed.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY	18

	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* namesz: "Xen\0" */
	.long 4				/* descsz: a 32-bit address */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.long pvh_start

	.text
	.code32
	.globl pvh_start
pvh_start:
	movw $0x3f8, %dx		/* COM1 THR: one byte */
	movb $'Q', %al
	outb %al, %dx
	movw $0xf4, %dx			/* isa-debug-exit: status 0 */
	xorl %eax, %eax
	outl %eax, %dx
1:	cli				/* no exit device: park */
	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
