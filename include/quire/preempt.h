/*
 * include/quire/preempt.h - the preemption counter, Linux's layout.
 *
 * preempt_count lives in the running task (struct task_struct): bits 0-7
 * count preempt_disable() nesting (spinlocks), bits 16-19 hard-interrupt
 * nesting (irq_enter/irq_exit). A task may be switched out involuntarily
 * only when the whole count is 0 and interrupts are on.
 * preempt_enable() reschedules when the count drops to 0 and the
 * scheduler asked for it (need_resched); it is also a seeded scheduling
 * point (SP_PREEMPT, include/quire/sched_point.h).
 */
#ifndef QUIRE_PREEMPT_H
#define QUIRE_PREEMPT_H

#include <quire/compiler.h>
#include <quire/sched_point.h>

#define PREEMPT_OFFSET	1U
#define PREEMPT_MASK	0x000000ffU
#define HARDIRQ_OFFSET	0x00010000U
#define HARDIRQ_MASK	0x000f0000U

unsigned int preempt_count(void);
void preempt_count_add(unsigned int val);
void preempt_count_sub(unsigned int val);
/* Reschedule now if asked and allowed. Context: process, count 0. */
void preempt_schedule(void);
bool need_resched(void);

#define preempt_disable() do { preempt_count_add(1); barrier(); } while (0)
#define preempt_enable_no_resched() do { barrier(); preempt_count_sub(1); } while (0)
#define preempt_enable()                              \
	do {                                          \
		barrier();                            \
		preempt_count_sub(1);                 \
		if (preempt_count() == 0) {           \
			if (unlikely(need_resched())) \
				preempt_schedule();   \
			sched_point(SP_PREEMPT);      \
		}                                     \
	} while (0)

#define in_irq()	((preempt_count() & HARDIRQ_MASK) != 0)
#define in_hardirq()	in_irq()
#define in_interrupt()	in_irq()
#define in_task()	(!in_interrupt())
/* True where sleeping is a bug: a spinlock held or in an interrupt. */
#define in_atomic()	(preempt_count() != 0)

#endif
