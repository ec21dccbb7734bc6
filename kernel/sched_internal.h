/*
 * kernel/sched_internal.h - what kernel/{sched,smp,time,kthread,ps}.c share.
 * Not an interface for other subsystems.
 */
#ifndef KERNEL_SCHED_INTERNAL_H
#define KERNEL_SCHED_INTERNAL_H

#include <quire/sched.h>

/*
 * A CPU's run queue. Locking: rq->lock (raw, interrupts off) guards
 * queue[], nr_queued, curr; it is held across the context switch and
 * released by the next task in finish_task_switch().
 */
struct rq {
	raw_spinlock_t lock;
	struct list_head queue[NR_PRIO];	/* runnable, not running */
	unsigned int nr_queued;
	struct task_struct *curr;
	struct task_struct *idle;
	struct task_struct *switch_prev;	/* handed to finish_task_switch() */
	u64 idle_ns;				/* time the idle task ran */
	unsigned long nr_switches;
	int nr_iowait;				/* tasks of this CPU in iowait */
};

extern struct rq runqueues[MAX_CPUS];
extern raw_spinlock_t tasklist_lock;

/* Temporary pools (kernel/task_alloc_tmp.c) until kmalloc exists. */
void *conc_alloc(size_t size);
void conc_free(const void *p);
void *conc_stack_alloc(void);
void conc_stack_free(void *stack);

/* timer.c */
void init_timers(void);
void timer_mark_tick(void);

/* smp.c: run queued cross-CPU calls (IPI handler). */
void smp_call_ipi(void);
void smp_prepare(void);

#endif
