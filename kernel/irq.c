/*
 * kernel/irq.c - interrupt entry and exit bookkeeping.
 *
 * Layer: kernel. Provides: irq_enter(), irq_exit() (include/arch/irq.h),
 * called by the arch around every interrupt handler: they count hard
 * interrupt nesting in the interrupted task's preempt_count, so in_irq()
 * is true inside and the task cannot be switched out underneath.
 */
#include <quire/preempt.h>
#include <arch/irq.h>

void irq_enter(void)
{
	preempt_count_add(HARDIRQ_OFFSET);
}

void irq_exit(void)
{
	preempt_count_sub(HARDIRQ_OFFSET);
}
