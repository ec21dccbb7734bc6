/*
 * kernel/sched_point.c - the preemption half of seeded scheduling points.
 *
 * Layer: kernel. Provides: sched_point_preempt() for include/quire/sched_point.h.
 * Used by: every sched_point() whose arch hook asked for a preemption.
 *
 * A point is a place where an interrupt could arrive; when the seed says
 * one did, the task is preempted there as a tick ending its timeslice
 * would preempt it: it stays runnable (whatever its state, as Linux's
 * preemption), goes to the tail of its priority level, and a runnable task
 * of the same or higher priority on this CPU runs first (one that a
 * wake-up made need_resched for, too).
 *
 * Invariant:
 *  SP1. A point preempts only where an interrupt could: interrupts on,
 *       preempt_count 0, a task that is not a CPU's idle task. Elsewhere
 *       (locks held, interrupts off, in an interrupt handler) the arch
 *       may still let another CPU run, but this task keeps its CPU.
 *
 * Locking: none of its own; yield() takes the run-queue lock.
 */
#include <quire/sched.h>
#include <quire/sched_point.h>
#include <arch/irq.h>

void sched_point_preempt(void)
{
	struct task_struct *t;

	if (arch_irqs_disabled())
		return;
	t = current;
	if (!t || t->is_idle || t->preempt_count) /* SP1 */
		return;
	yield();
}
