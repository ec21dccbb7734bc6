/*
 * arch/x86_64/cpu.c - local interrupt flag and spin hints.
 *
 * Layer: arch/x86_64. Provides: arch_local_irq_*(), arch_irqs_disabled(),
 * arch_cpu_relax(). Per-CPU state only (RFLAGS.IF); no locking.
 */
#include <arch/irq.h>
#include <arch/cpu.h>
#include <asm/processor.h>

unsigned long arch_local_irq_save(void)
{
	unsigned long flags = read_rflags();

	__asm__ __volatile__("cli" : : : "memory");
	return flags;
}

void arch_local_irq_restore(unsigned long flags)
{
	if (flags & X86_EFLAGS_IF)
		__asm__ __volatile__("sti" : : : "memory");
	else
		__asm__ __volatile__("cli" : : : "memory");
}

void arch_local_irq_enable(void)
{
	__asm__ __volatile__("sti" : : : "memory");
}

void arch_local_irq_disable(void)
{
	__asm__ __volatile__("cli" : : : "memory");
}

bool arch_irqs_disabled(void)
{
	return !(read_rflags() & X86_EFLAGS_IF);
}

void arch_cpu_relax(void)
{
	__asm__ __volatile__("pause" : : : "memory");
}
