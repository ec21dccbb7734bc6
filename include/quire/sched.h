/*
 * include/quire/sched.h - kernel threads and the scheduler.
 *
 * Every thread of control is a struct task_struct. Each CPU has a run queue
 * with NR_PRIO priority levels (0 highest), round robin within a level, and
 * an idle task that runs when the queue is empty. A task sleeps with the
 * Linux protocol:
 *
 *	set_current_state(TASK_UNINTERRUPTIBLE);
 *	if (!condition)
 *		schedule();
 *	__set_current_state(TASK_RUNNING);
 *
 * and the waker makes the condition true, then calls wake_up_process().
 * try_to_wake_up() is safe against the sleeper not having reached
 * schedule() yet: it sets the state back to TASK_RUNNING and the sleeper's
 * schedule() then returns at once (no lost wake-up).
 *
 * Arch fields: arch_sp (saved stack pointer) and arch_priv (arch data).
 */
#ifndef QUIRE_SCHED_H
#define QUIRE_SCHED_H

#include <quire/compiler.h>
#include <quire/list.h>
#include <quire/preempt.h>
#include <quire/smp.h>
#include <quire/spinlock.h>
#include <quire/sched_point.h>

/* Task states: a bit each, so wake-ups can select (Linux's values). */
#define TASK_RUNNING		0x0000
#define TASK_INTERRUPTIBLE	0x0001
#define TASK_UNINTERRUPTIBLE	0x0002
#define TASK_DEAD		0x0080
#define TASK_NEW		0x0800	/* created, never woken */
#define TASK_NORMAL		(TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)

/* Priority levels, 0 highest. Round robin within a level; a runnable task
 * of a higher level always runs before a lower one. */
#define NR_PRIO			3
#define PRIO_HIGH		0
#define PRIO_NORMAL		1
#define PRIO_LOW		2

#define TASK_COMM_LEN		16
#define THREAD_SIZE		(32 * 1024)	/* kernel thread stack, bytes */
#define SCHED_TIMESLICE		4		/* ticks before round robin */
#define MAX_SCHEDULE_TIMEOUT	((long)(~0UL >> 1))
#define LOCKDEP_MAX_HELD	24

struct held_lock {
	void *class;			/* struct lock_class *, or NULL untracked */
	const void *instance;		/* the lock */
	unsigned long ip;		/* where it was taken */
};

/* task_struct.flags (Linux's values). */
#define PF_MEMALLOC	  0x00000800 /* allocating for reclaim: no recursion */
#define PF_KSWAPD	  0x00020000 /* a kswapd thread */
#define PF_LOCAL_THROTTLE 0x00100000 /* a flusher: throttle on own wb only */

struct task_struct {
	/* Arch context: owned by arch_context_switch(). */
	void *arch_sp;
	void *arch_priv;

	int pid;
	char comm[TASK_COMM_LEN];
	volatile unsigned int state;	/* TASK_*; written by the task or ttwu */
	int prio;			/* 0..NR_PRIO-1 */
	unsigned int cpu;		/* run queue it is (or was last) on */
	struct cpumask cpus_allowed;	/* where it may run */
	const char *wait_what;		/* what it sleeps on, for ps; or NULL */
	unsigned int preempt_count;	/* see include/quire/preempt.h */
	bool need_resched;		/* the scheduler wants the CPU back */
	bool is_idle;			/* a CPU's idle task: never queued */
	int on_rq;			/* runnable: queued or running */
	int on_cpu;			/* executing, or switching out */
	bool migrate_pending;		/* must leave a CPU it may not use */
	int slice;			/* ticks left of its timeslice */
	bool in_iowait;			/* sleeping in io_schedule*() */

	raw_spinlock_t pi_lock;		/* serialises wake-ups of this task */
	struct list_head run_list;	/* on its run queue (rq->lock) */
	struct list_head tasks;		/* on the task list (tasklist_lock) */
	int usage;			/* references; freed at 0 */

	void *stack;			/* base of its stack, NULL if adopted */
	size_t stack_size;

	/* Accounting, in ns of arch_clock_ns(). */
	u64 exec_start;			/* when it last got the CPU */
	u64 sum_exec_runtime;		/* total time on a CPU */
	u64 iowait_ns;			/* total time in io_schedule*() */
	unsigned long nvcsw, nivcsw;	/* voluntary / preempted switches */

	/* kthread */
	int (*threadfn)(void *data);
	void *data;
	bool should_stop;
	int exit_code;
	struct task_struct *joiner;	/* kthread_stop() caller waiting */
	bool exited;
	bool dying;			/* counted until its stack is freed */

	/* block layer: the task's plug (blk_start_plug()), or NULL */
	struct blk_plug *plug;

	/* PF_* bits (Linux's task flags that mm uses). */
	unsigned int flags;
	/* Dirty throttling (mm/page-writeback.c, Linux's names). */
	int nr_dirtied;			 /* pages dirtied since the last check */
	int nr_dirtied_pause;		 /* check again after this many */
	unsigned long dirty_paused_when; /* start of the last pause (jiffies) */

	/* lockdep: locks this task holds, outermost first. */
	int lockdep_depth;
	struct held_lock held_locks[LOCKDEP_MAX_HELD];
};

struct task_struct *get_current(void);
#define current get_current()

#define __set_current_state(s)	WRITE_ONCE(current->state, (s))
/* A full barrier after the store (Linux's smp_store_mb): the condition
 * check that follows cannot be reordered before it. A seeded preemption
 * point on each side (include/quire/sched_point.h): before, it splits a
 * condition test from a late state change (the lost wake-up); after, it
 * lets a wake-up land between the state change and schedule(). */
#define set_current_state(s)                                                       \
	do {                                                                       \
		sched_point(SP_SET_STATE);                                         \
		(void)__atomic_exchange_n(&current->state, (s), __ATOMIC_SEQ_CST); \
		sched_point(SP_SET_STATE);                                         \
	} while (0)
/* For states a wake-up must not overwrite (TASK_DEAD): the store is made
 * under the task's pi_lock, which try_to_wake_up() holds from its state
 * test to its state change (Linux's set_special_state()). */
static inline void set_special_state(unsigned int state)
{
	struct task_struct *t = current;
	unsigned long flags = arch_local_irq_save();

	raw_spin_lock(&t->pi_lock);
	WRITE_ONCE(t->state, state);
	raw_spin_unlock(&t->pi_lock);
	arch_local_irq_restore(flags);
}

/* Give up the CPU; returns when woken (or at once if the state is
 * TASK_RUNNING again). Context: process, preempt_count 0, may sleep. */
void schedule(void);
/* Sleep until woken or @timeout jiffies passed. Returns the jiffies left
 * (0 on timeout). The caller sets the task state first, as for schedule().
 * MAX_SCHEDULE_TIMEOUT sleeps without a timer. */
long schedule_timeout(long timeout);
long schedule_timeout_uninterruptible(long timeout);
long schedule_timeout_interruptible(long timeout);
/* The same, counted as waiting for I/O (ps "D", iowait time). */
long io_schedule_timeout(long timeout);
void io_schedule(void);
/* Let another runnable task of the same or higher priority run. */
void yield(void);
/* Reschedule if needed. Context: process, may sleep. */
int cond_resched(void);

/* Wake @p if its state is in @state: 1 if it was woken, 0 if it was
 * already running. Context: any. */
int try_to_wake_up(struct task_struct *p, unsigned int state, int wake_flags);
int wake_up_process(struct task_struct *p);
int wake_up_state(struct task_struct *p, unsigned int state);

/* Restrict @p to the CPUs in @mask (which must hold an online CPU). If @p
 * is running elsewhere it moves at its next schedule. 0 or -EINVAL. */
int set_cpus_allowed_ptr(struct task_struct *p, const struct cpumask *mask);
/* Put @p in class @prio (PRIO_HIGH/NORMAL/LOW: Quire's classes, not Linux's
 * nice values); it takes effect at its next enqueue. */
void sched_set_prio_class(struct task_struct *p, int prio);

void get_task_struct(struct task_struct *p);
void put_task_struct(struct task_struct *p);

/* Create a task that runs @fn(@data), in state TASK_NEW: wake_up_process()
 * starts it. Used by kthread_create(). NULL on failure. */
struct task_struct *create_task(int (*fn)(void *), void *data, const char *name);
/* Current task ends: never returns. Used by kthreads. Its stack is freed
 * as soon as it is off its CPU; the struct with its last reference. */
void do_exit(int code) __noreturn;
/* Wait until every task that has begun to exit has had its stack freed and
 * its scheduler reference dropped (for exact memory accounting in tests;
 * kthread_stop() does it for its thread). Context: may sleep. */
void reap_dead_tasks(void);

/* Visit every task (ps, top); @fn is called under tasklist_lock with
 * interrupts off and must not sleep. */
void for_each_task(void (*fn)(struct task_struct *p, void *arg), void *arg);
/* Is this CPU's run queue empty and its CPU idle? */
bool idle_cpu(unsigned int cpu);
unsigned int nr_running_on(unsigned int cpu);

/* --- Setup and arch/kernel internal --- */
/* Adopt the boot context as "init" on CPU 0 (kernel/main.c, early). */
void sched_init(void);
/* Idle loop of a CPU; never returns. */
void cpu_idle_loop(void) __noreturn;
/* Make the caller this CPU's idle task (secondary CPU bring-up). */
void sched_init_secondary(unsigned int cpu);
/* Accounting and timeslices, once per tick per CPU (kernel/time.c). */
void scheduler_tick(void);
/* A reschedule IPI arrived. */
void scheduler_ipi(void);
/* Ask @cpu to reschedule (sets need_resched on its task, sends an IPI). */
void resched_cpu(unsigned int cpu);

#endif
