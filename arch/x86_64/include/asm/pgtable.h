/*
 * arch/x86_64/include/asm/pgtable.h - page-table entry bits and the
 * kernel's mapping helpers (paging.c).
 */
#ifndef ASM_PGTABLE_H
#define ASM_PGTABLE_H

#include <quire/types.h>

#define PTE_PRESENT	(1ULL << 0)
#define PTE_WRITE	(1ULL << 1)
#define PTE_PWT		(1ULL << 3)
#define PTE_PCD		(1ULL << 4)
#define PTE_HUGE	(1ULL << 7)	/* 2 MiB in a PD, 1 GiB in a PDPT */
#define PTE_GLOBAL	(1ULL << 8)
#define PTE_NX		(1ULL << 63)
#define PTE_ADDR_MASK	0x000ffffffffff000ULL

#define PAGE_SIZE_2M	(1ULL << 21)
#define PAGE_SIZE_1G	(1ULL << 30)

/* Map [@virt, @virt + @size) to @phys with 4 KiB pages and @flags
 * (PTE_* bits; PTE_NX is dropped when the CPU has no NX) in the kernel's
 * tables. 0 or -ENOMEM (page-table pool exhausted); on failure none of
 * the entries it installed remain (paging.c PG1). Context: boot, or with
 * the caller serialising (arch_ioremap's lock). */
int x86_map_pages(unsigned long virt, phys_addr_t phys, size_t size, u64 flags);

/* The leaf entry (PTE, or huge PDE/PDPTE) mapping @va in the current
 * tables, 0 when unmapped. Never faults (all tables are in the image). */
u64 x86_lookup_pte(unsigned long va);

/* Remove the 4 KiB mappings of [@virt, @virt + @size) (e.g. a temporary
 * identity mapping of the SMP trampoline page) and flush them from this
 * CPU's TLB. Pages not mapped, or mapped by a huge page, are left alone. */
void x86_unmap_pages(unsigned long virt, size_t size);

/* Test-only fault injection (Linux's fail-nth): the @nth page-table
 * allocation from now on fails, once; 0 cancels. */
void x86_pt_alloc_fail_nth(unsigned int nth);

/* Physical address of the kernel's top-level table (for CR3 on other
 * CPUs). The tables use the NX bit when the boot CPU has EFER.NXE set: a
 * CPU must copy the boot CPU's EFER (rdmsr(MSR_EFER): LME and NXE) before
 * loading this CR3, or every NX entry is a reserved-bit fault. */
phys_addr_t x86_kernel_pgd_phys(void);

#endif
