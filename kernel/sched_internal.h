/*
 * kernel/sched_internal.h - what kernel/{sched,smp,time,kthread,ps}.c share.
 * Not an interface for other subsystems.
 */
#ifndef KERNEL_SCHED_INTERNAL_H
#define KERNEL_SCHED_INTERNAL_H

#include <quire/sched.h>

/*
 * A CPU's run queue. Locking: rq->lock (raw, interrupts off) guards
 * queue[], nr_queued, nr_movable, curr; it is held across the context
 * switch and released by the next task in finish_task_switch().
 */
struct rq {
	raw_spinlock_t lock;
	struct list_head queue[NR_PRIO];	/* runnable, not running */
	unsigned int nr_queued;
	unsigned int nr_movable; /* of them, allowed elsewhere (SCHED6) */
	struct task_struct *curr;
	struct task_struct *idle;
	struct task_struct *switch_prev;	/* handed to finish_task_switch() */
	u64 idle_ns;				/* time the idle task ran */
	unsigned long nr_switches;
	unsigned long nr_pull_misses;		/* idle_pull() locked it, found nothing */
	int nr_iowait;				/* tasks of this CPU in iowait */
};

extern struct rq runqueues[MAX_CPUS];
extern raw_spinlock_t tasklist_lock;

/* Check SCHED1, SCHED2 and SCHED6 on every online CPU's queue: nr_queued
 * and nr_movable match the queues, and each queued task is runnable, off
 * its CPU and names this CPU. Returns the number of violations (each
 * printed). For tests. */
int sched_check_invariants(void);

/* Kernel-thread stacks: THREAD_SIZE bytes from the page allocator. */
#define THREAD_SIZE_ORDER	3	/* 2^3 pages = 32 KiB */
void *alloc_thread_stack(void);
void free_thread_stack(void *stack);

/* kthread.c: the task is on its way out (counted until its stack is freed). */
void task_mark_dying(struct task_struct *p);

/* timer.c */
void init_timers(void);
void timer_mark_tick(void);
/* Check TMR1 on every base: each list is well linked and sorted, and each
 * timer on it names that base. Returns the violations (each printed).
 * For tests. */
int timer_check_invariants(void);

/* smp.c: run queued cross-CPU calls (IPI handler). */
void smp_call_ipi(void);
void smp_prepare(void);

#endif
