/*
 * arch/x86_64/stubs.c - TEMPORARY single-CPU versions of the platform
 * hooks (LAPIC, timer, SMP, threads, MSI). The platform work replaces this
 * whole file with apic.c, time.c, smp.c, thread.c, msi.c...; delete it then.
 *
 * Clock: rdtsc at an assumed fixed rate. CPU id 0. Idle polls the serial
 * port (no interrupt controller is programmed yet, so hlt would never
 * wake): the interactive shell works until the real IRQ path exists.
 */
#include <quire/errno.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/time.h>
#include <arch/thread.h>
#include <arch/power.h>
#include <arch/setup.h>
#include <asm/processor.h>
#include <asm/serial.h>

#define ASSUMED_TSC_MHZ	1000	/* TCG's TSC is not calibrated here */

static u64 tsc_at_boot;

unsigned int arch_smp_processor_id(void)
{
	return 0;
}

void arch_cpu_idle(void)
{
	serial_handle_irq();
	arch_cpu_relax();
}

int arch_boot_secondary(unsigned int cpu, void *stack, size_t stack_size)
{
	return -ENODEV;
}

void arch_send_ipi(unsigned int cpu, enum ipi_type type)
{
}

u64 arch_clock_ns(void)
{
	if (!tsc_at_boot)
		tsc_at_boot = rdtsc();
	return (rdtsc() - tsc_at_boot) * 1000 / ASSUMED_TSC_MHZ;
}

void arch_timer_start(unsigned int hz)
{
}

int arch_msi_alloc(unsigned int cpu, irq_handler_t handler, void *data,
		   u64 *msi_addr, u32 *msi_data)
{
	return -ENOSPC;
}

void arch_msi_free(int handle)
{
}

int arch_thread_init(struct task_struct *t, void *stack, size_t size)
{
	return -ENOMEM;
}

void arch_thread_release(struct task_struct *t)
{
}

void arch_thread_adopt(struct task_struct *t)
{
}

void arch_context_switch(struct task_struct *prev, struct task_struct *next)
{
}

void arch_init_late(void)
{
}

void arch_stop_other_cpus(void)
{
}
