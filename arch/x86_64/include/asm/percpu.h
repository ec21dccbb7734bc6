/*
 * arch/x86_64/include/asm/percpu.h - per-CPU arch data reached through %gs.
 *
 * Layer: arch/x86_64. Each CPU's MSR_GS_BASE points at its own
 * struct x86_percpu; the first field points back at the struct, so
 * this_cpu() is one load (%gs:0) and arch_smp_processor_id() one load
 * (%gs:8). The boot CPU sets its base in x86_percpu_init_boot_cpu(), which
 * must run before anything takes a spinlock or prints.
 *
 * Locking: each CPU writes only its own struct; others read `apic_id`
 * (set before the CPU is marked online, never changed afterwards).
 */
#ifndef ASM_PERCPU_H
#define ASM_PERCPU_H

#include <quire/compiler.h>
#include <quire/platform.h>

struct pt_regs;

struct x86_percpu {
	struct x86_percpu *self;	/* %gs:0: this struct's own address */
	unsigned int cpu;		/* %gs:8: logical id, 0..nr_cpus-1 */
	u32 apic_id;			/* local APIC id (platform.cpu_hwid) */
	bool online;			/* took part in IPIs: set by the CPU itself */
	u64 ticks;			/* timer interrupts taken on this CPU */
	u64 ipis;			/* IPIs taken (all kinds) */
	u64 tlb_flushes;		/* TLB shootdowns served */
	u64 clock_floor;		/* last arch_clock_ns() here (time.c TSC1) */
	struct pt_regs *irq_regs;	/* the interrupted context (get_irq_regs()) */
	unsigned int tick_mult;		/* LAPIC timer at tick_hz * this (profiling) */
	u64 next_tick;			/* clock ns the tick is due (tick_mult > 1) */
} __aligned(64);

#define X86_PERCPU_CPU_OFFSET	8

extern struct x86_percpu x86_percpu[MAX_CPUS];

static inline struct x86_percpu *this_cpu(void)
{
	struct x86_percpu *p;

	__asm__ __volatile__("movq %%gs:0, %0" : "=r"(p));
	return p;
}

static inline struct x86_percpu *per_cpu_ptr(unsigned int cpu)
{
	return &x86_percpu[cpu];
}

/* The registers of the context the current interrupt interrupted, or
 * NULL outside an interrupt handler (Linux's get_irq_regs()). */
static inline struct pt_regs *get_irq_regs(void)
{
	return this_cpu()->irq_regs;
}

/* Point the calling CPU's %gs at x86_percpu[@cpu]. */
void x86_percpu_init(unsigned int cpu);
/* x86_percpu_init(0) for the boot CPU; call first thing in setup. */
void x86_percpu_init_boot_cpu(void);

#endif
