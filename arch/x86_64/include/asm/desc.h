/*
 * arch/x86_64/include/asm/desc.h - per-CPU GDT and TSS (with IST stacks).
 *
 * Each CPU has its own GDT (null, kernel code 0x08, kernel data 0x10, TSS
 * 0x20) and TSS whose interrupt stack table gives the double fault, NMI and
 * machine check handlers their own stacks, so a kernel stack overflow still
 * produces a panic report.
 */
#ifndef ASM_DESC_H
#define ASM_DESC_H

#include <quire/types.h>

#define IST_DOUBLE_FAULT	1
#define IST_NMI			2
#define IST_MACHINE_CHECK	3
#define IST_STACK_SIZE		(8 * 1024)	/* bytes per IST stack */

/* Load the GDT, TSS and IDT of logical CPU @cpu on the calling CPU.
 * Boot CPU: called by setup.c; secondaries: by their start-up code. */
void x86_cpu_tables_init(unsigned int cpu);

/* Load the (shared) IDT on the calling CPU. */
void x86_load_idt(void);

#endif
