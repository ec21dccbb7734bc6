/*
 * include/arch/cpu.h - CPUs: identity, idling, inter-processor interrupts.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <quire/compiler.h>

/* Logical id (0..platform.nr_cpus-1) of the CPU running the caller.
 * Context: any; stable only while preemption or interrupts are off. */
unsigned int arch_smp_processor_id(void);

/* Spin-wait hint (x86: pause). */
void arch_cpu_relax(void);

/* Wait for the next interrupt. Called with interrupts disabled; enables
 * them and waits atomically (no lost wake-up), returns with them disabled
 * again after at least one interrupt was taken (or spuriously). */
void arch_cpu_idle(void);

/* Start CPU @cpu (> 0). It runs start_secondary(cpu) on its own stack of
 * @stack_size bytes at @stack and never returns. 0 or -errno (it did not
 * come up in time). Context: process, may sleep. */
int arch_boot_secondary(unsigned int cpu, void *stack, size_t stack_size);

enum ipi_type {
	IPI_RESCHEDULE,		/* the target calls handle_ipi(IPI_RESCHEDULE) */
	IPI_CALL_FUNCTION,	/* the target calls handle_ipi(IPI_CALL_FUNCTION) */
	NR_IPI_TYPES,
};

/* Interrupt CPU @cpu; it calls handle_ipi(@type) in interrupt context. */
void arch_send_ipi(unsigned int cpu, enum ipi_type type);

/* --- Implemented by the kernel, called by the arch --- */

/* First C code on a secondary CPU (kernel/smp.c). Never returns. */
void start_secondary(unsigned int cpu) __noreturn;
/* An IPI arrived (kernel/smp.c). Context: hard interrupt. */
void handle_ipi(enum ipi_type type);

#endif
