/*
 * arch/x86_64/include/asm/layout.h - the x86_64 virtual memory layout.
 *
 *   0x0000000000000000 ..   user half: unmapped after boot (no identity map)
 *   0xffff888000000000 ..   direct map of all RAM (2 MiB / 1 GiB pages, NX)
 *   0xffffc90000000000 ..   ioremap window (4 KiB pages, uncached, NX)
 *   0xffffffff80000000 ..   kernel image: phys 16 MiB at +16 MiB (W^X)
 *
 * Usable from assembly and C.
 */
#ifndef ASM_LAYOUT_H
#define ASM_LAYOUT_H

#define KERNEL_VIRT_BASE	0xffffffff80000000
#define KERNEL_PHYS_LOAD	0x1000000	/* 16 MiB */
#define DIRECT_MAP_BASE		0xffff888000000000
#define IOREMAP_BASE		0xffffc90000000000
#define IOREMAP_SIZE		0x0000010000000000	/* 1 TiB of address space */

#define BOOT_STACK_SIZE		(32 * 1024)	/* boot CPU kernel stack, .bss */

/* GDT selectors (asm/desc.h builds the table). */
#define GDT_KERNEL_CS		0x08
#define GDT_KERNEL_DS		0x10
#define GDT_KERNEL_CS32		0x18	/* 32-bit code, used only by the PVH entry */
#define GDT_TSS			0x20	/* 16-byte system descriptor */

/* Where x86_64_start() was entered from. */
#define BOOT_FROM_PVH		1
#define BOOT_FROM_UEFI		2

#ifndef __ASSEMBLY__
#define KERNEL_PHYS(virt)	((unsigned long)(virt) - KERNEL_VIRT_BASE)
#endif

#endif
