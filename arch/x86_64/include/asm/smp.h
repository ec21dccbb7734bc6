/*
 * arch/x86_64/include/asm/smp.h - secondary CPU start-up, IPIs, TLB
 * shootdown (smp.c, trampoline.S).
 */
#ifndef ASM_SMP_H
#define ASM_SMP_H

/* Physical page the real-mode trampoline is copied to (SIPI vector 0x08)
 * and the three pages after it (its page tables). Reserved by boot. */
#define TRAMPOLINE_PHYS		0x8000

/* Layout of the parameter block at the end of the trampoline page
 * (offsets used by trampoline.S). */
#define TP_PML4		0	/* u32: temporary PML4 (physical, < 4 GiB) */
#define TP_EFER		8	/* u64: EFER to load (LME set) */
#define TP_CR4		16	/* u64: the boot CPU's CR4 */
#define TP_CR3		24	/* u64: the kernel's CR3 */
#define TP_STACK	32	/* u64: initial RSP (virtual) */
#define TP_ENTRY	40	/* u64: C entry, called with RDI = cpu */
#define TP_CPU		48	/* u64: logical CPU id */
#define TP_CR0		56	/* u64: the boot CPU's CR0 */
#define TP_SIZE		64

#ifndef __ASSEMBLER__
#include <quire/compiler.h>

struct trampoline_params {
	u32 pml4;
	u32 pad;
	u64 efer;
	u64 cr4;
	u64 cr3;
	u64 stack;
	u64 entry;
	u64 cpu;
	u64 cr0;
};
_Static_assert(sizeof(struct trampoline_params) == TP_SIZE, "tp layout");

extern const char trampoline_start[], trampoline_params[], trampoline_end[];

/* IPI plumbing set up by arch_init_late(). */
int x86_smp_init_ipis(void);
/* Flush the whole TLB on every online CPU and wait until all did.
 * Context: process, interrupts enabled. */
void flush_tlb_all(void);
void flush_tlb_local(void);
/* Tests only: called by flush_tlb_all() with tlb_lock held and interrupts
 * off, after it chose the CPUs to flush and before it sends the IPIs. */
extern void (*x86_tlb_shootdown_hook)(void);
/* Number of CPUs that reached x86_secondary_entry() plus the boot CPU. */
unsigned int x86_cpus_online(void);
bool x86_cpu_is_online(unsigned int cpu);

/* Vectors (allocated at init; tests use them). */
extern int x86_ipi_vector[];
#endif

#endif
