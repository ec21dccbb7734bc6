/*
 * kernel/sched.c - the scheduler: run queues, schedule(), wake-ups,
 * preemption, migration, idle.
 *
 * Layer: kernel. Provides: include/quire/sched.h, include/quire/preempt.h.
 * Used by: everything that sleeps (wait.c, mutex.c, timer.c, kthread.c).
 *
 * Each CPU has a struct rq with NR_PRIO FIFO lists of runnable tasks. The
 * running task (rq->curr) is not on a list; when it is preempted or yields
 * it goes to the tail of its level (round robin). The idle task runs when
 * every list is empty, pulls runnable tasks from busy CPUs and halts.
 *
 * Invariants:
 *  SCHED1. p->on_rq == 1 iff p is runnable: running, queued, or being moved
 *      between queues (migrate_pending / set_cpus_allowed_ptr()).
 *  SCHED2. A task on a queue has on_cpu == 0; on_cpu goes 1 -> 0 only in
 *      finish_task_switch(), after its context was saved.
 *  SCHED3. try_to_wake_up() changes a sleeping task's state under p->pi_lock;
 *      it enqueues only a task with on_rq == 0 and on_cpu == 0, so a task
 *      is never on two CPUs and never on a queue while still switching out.
 *  SCHED4. Only the task itself moves state from TASK_RUNNING to a sleep state
 *      (set_current_state()), and schedule() deactivates it (on_rq = 0)
 *      under rq->lock only if it still is not TASK_RUNNING then: a wake-up
 *      that came first turned it back to TASK_RUNNING, and schedule()
 *      returns at once. No wake-up is lost.
 *  SCHED5. A runnable task with migrate_pending is running, or switched out
 *      and not on any queue until migrate_task() (under p->pi_lock)
 *      queues it on a CPU of its mask; migrate_pending is set and cleared
 *      only under p->pi_lock. So set_cpus_allowed_ptr(), which holds
 *      pi_lock, never dequeues such a task: between finish_task_switch()
 *      dropping rq->lock and migrate_task() it is neither queued nor
 *      current, and dequeuing it would corrupt the queue.
 *  SCHED6. rq->nr_movable counts the tasks queued on rq that may run on
 *      another CPU (Linux's nr_cpus_allowed > 1), under rq->lock: a mask
 *      change of a queued task moves it out of the count and back in.
 *      idle_pull() reads it without the lock and locks only a queue where
 *      it is not 0. So no idle CPU takes the lock of a queue of tasks
 *      pinned to their CPU: they were taking it at every tick to find
 *      nothing, and under an overcommitted host (vCPUs preempted while
 *      holding or waiting for the ticket lock) the owner's tick waited
 *      longer than a tick period for its own rq->lock, so it took the next
 *      tick at once on return, ran no task at all, and its queue never
 *      emptied (watermark.slow_path_wakes_every_nodes_kswapd: kswapd1
 *      queued on CPU 1 for 5 s, never run).
 *
 * Locking order: p->pi_lock -> rq->lock; two rq locks in CPU-id order.
 * Both are raw (interrupts off, no preempt count, no lockdep). rq->lock is
 * held across arch_context_switch() and released by the next task.
 */
#include <quire/sched.h>
#include <quire/blkdev.h>
#include <quire/smp.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/bug.h>
#include <quire/errno.h>
#include <quire/timer.h>
#include <quire/lockdep.h>
#include <quire/atomic.h>
#include <quire/slab.h>
#include <quire/mm.h>
#include <quire/wait.h>
#include <arch/thread.h>
#include <arch/irq.h>
#include <arch/cpu.h>
#include <arch/time.h>
#include <arch/debug.h>
#include "sched_internal.h"

struct rq runqueues[MAX_CPUS];
DEFINE_RAW_SPINLOCK(tasklist_lock);	/* guards task_list, next_pid */
static LIST_HEAD(task_list);
static int next_pid = 1;
static struct task_struct init_task;

/* Tasks between task_mark_dying() and the release of their stack, and
 * where reap_dead_tasks() waits for that count to reach 0. */
static int nr_dying;
static DECLARE_WAIT_QUEUE_HEAD(task_reap_wq);

/* kthread.c: first function of every created task. */
void kthread_entry(void) __noreturn;

static struct rq *this_rq(void)
{
	return &runqueues[arch_smp_processor_id()];
}

struct task_struct *get_current(void)
{
	unsigned long flags = arch_local_irq_save();
	struct task_struct *t = READ_ONCE(runqueues[arch_smp_processor_id()].curr);

	arch_local_irq_restore(flags);
	return t;
}

/* --- preemption counter --- */

unsigned int preempt_count(void)
{
	struct task_struct *t = current;

	return t ? t->preempt_count : 0;
}

void preempt_count_add(unsigned int val)
{
	struct task_struct *t = current;

	if (t)
		t->preempt_count += val;
}

void preempt_count_sub(unsigned int val)
{
	struct task_struct *t = current;

	if (t && !WARN_ON_ONCE(t->preempt_count < val))
		t->preempt_count -= val;
}

bool need_resched(void)
{
	struct task_struct *t = current;

	return t && READ_ONCE(t->need_resched);
}

/* --- run queues --- */

/* May @p run on a CPU other than the one it is on (SCHED6)? */
static bool task_movable(const struct task_struct *p)
{
	return cpumask_weight(&p->cpus_allowed) > 1;
}

static void enqueue_task(struct rq *rq, struct task_struct *p)
{
	list_add_tail(&p->run_list, &rq->queue[p->prio]);
	WRITE_ONCE(rq->nr_queued, rq->nr_queued + 1);
	if (task_movable(p))
		WRITE_ONCE(rq->nr_movable, rq->nr_movable + 1);
}

static void dequeue_task(struct rq *rq, struct task_struct *p)
{
	list_del_init(&p->run_list);
	WRITE_ONCE(rq->nr_queued, rq->nr_queued - 1);
	if (task_movable(p))
		WRITE_ONCE(rq->nr_movable, rq->nr_movable - 1);
}

/* Give queued or not @p the mask @mask, keeping rq->nr_movable true
 * (SCHED6). @rq is p's run queue, locked. */
static void set_task_mask(struct rq *rq, struct task_struct *p,
			  const struct cpumask *mask)
{
	bool queued = !list_empty(&p->run_list);

	if (queued && task_movable(p))
		WRITE_ONCE(rq->nr_movable, rq->nr_movable - 1);
	p->cpus_allowed = *mask;
	if (queued && task_movable(p))
		WRITE_ONCE(rq->nr_movable, rq->nr_movable + 1);
}

static struct task_struct *pick_next_task(struct rq *rq)
{
	for (int prio = 0; prio < NR_PRIO; prio++) {
		struct task_struct *p = list_first_entry_or_null(&rq->queue[prio],
						struct task_struct, run_list);
		if (p) {
			dequeue_task(rq, p);
			return p;
		}
	}
	return rq->idle;
}

/* Lock the run queue @p is on; @p->cpu cannot change while it is held. */
static struct rq *lock_task_rq(struct task_struct *p)
{
	for (;;) {
		unsigned int cpu = READ_ONCE(p->cpu);
		struct rq *rq = &runqueues[cpu];

		raw_spin_lock(&rq->lock);
		if (READ_ONCE(p->cpu) == cpu)
			return rq;
		raw_spin_unlock(&rq->lock);
	}
}

/*
 * Make @cpu's task reschedule. Another CPU gets an IPI. This CPU gets a
 * self-IPI unless we are in an interrupt handler (whose exit already calls
 * preempt_schedule_irq()): the IPI stays pending while interrupts are off
 * and is taken where they are re-enabled, and its exit path preempts if
 * preempt_count is 0 there; if it is not, the preempt_enable() that drops
 * it to 0 does. Linux gets the same "preempt where it becomes allowed" from
 * preempt_enable() alone, because its raw spinlocks (the ones try_to_wake_up()
 * takes) count preemption; ours do not.
 */
void resched_cpu(unsigned int cpu)
{
	struct task_struct *curr = READ_ONCE(runqueues[cpu].curr);

	if (!curr)
		return;
	/* As Linux: no IPI if the flag was set already (one is on its way). */
	if (__atomic_exchange_n(&curr->need_resched, true, __ATOMIC_SEQ_CST))
		return;
	if (cpu != arch_smp_processor_id()) {
		if (cpu_online(cpu))
			arch_send_ipi(cpu, IPI_RESCHEDULE);
	} else if (!in_irq()) {
		arch_send_ipi(cpu, IPI_RESCHEDULE);
	}
}

/* @p was just queued on @rq: preempt its task if @p should run first. */
static void check_preempt(struct rq *rq, unsigned int cpu, struct task_struct *p)
{
	if (rq->curr && (rq->curr->is_idle || p->prio < rq->curr->prio))
		resched_cpu(cpu);
}

bool idle_cpu(unsigned int cpu)
{
	struct rq *rq = &runqueues[cpu];

	return READ_ONCE(rq->curr) == READ_ONCE(rq->idle) &&
	       READ_ONCE(rq->nr_queued) == 0;
}

unsigned int nr_running_on(unsigned int cpu)
{
	struct rq *rq = &runqueues[cpu];

	return READ_ONCE(rq->nr_queued) + (READ_ONCE(rq->curr) != READ_ONCE(rq->idle));
}

static bool cpu_usable(struct task_struct *p, unsigned int cpu)
{
	return cpumask_test_cpu(cpu, &p->cpus_allowed) && cpu_online(cpu);
}

/* Where should woken @p run? Its last CPU if idle, else any idle CPU it
 * may use, else its last CPU, else the first it may use. */
static unsigned int select_task_rq(struct task_struct *p)
{
	unsigned int prev = p->cpu, cpu;

	if (cpu_usable(p, prev) && idle_cpu(prev))
		return prev;
	for_each_online_cpu(cpu)
		if (cpumask_test_cpu(cpu, &p->cpus_allowed) && idle_cpu(cpu))
			return cpu;
	if (cpu_usable(p, prev))
		return prev;
	for_each_online_cpu(cpu)
		if (cpumask_test_cpu(cpu, &p->cpus_allowed))
			return cpu;
	/* Only offline CPUs allowed: it runs once one comes up. */
	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpumask_test_cpu(cpu, &p->cpus_allowed))
			return cpu;
	return prev;
}

/*
 * Queue runnable, off-CPU @p on a CPU it may use. Interrupts off.
 * @wakeup: make it TASK_RUNNING (try_to_wake_up()). A move (migrate_task(),
 * set_cpus_allowed_ptr()) keeps its state: a task preempted between
 * set_current_state() and schedule() still sleeps in that schedule(), as in
 * Linux, where moving a queued task is not a wake-up.
 */
static void activate_task(struct task_struct *p, bool wakeup)
{
	unsigned int cpu = select_task_rq(p);
	struct rq *rq = &runqueues[cpu];

	raw_spin_lock(&rq->lock);
	WRITE_ONCE(p->cpu, cpu);
	if (wakeup)
		WRITE_ONCE(p->state, TASK_RUNNING);
	WRITE_ONCE(p->on_rq, 1);
	p->migrate_pending = false;
	enqueue_task(rq, p);
	check_preempt(rq, cpu, p);
	raw_spin_unlock(&rq->lock);
}

/* --- wake-ups --- */

/* @p is runnable (SCHED1): it has not switched out yet. Make it TASK_RUNNING
 * under its rq lock, which orders us against its schedule() (SCHED4). */
static bool ttwu_runnable(struct task_struct *p)
{
	struct rq *rq = lock_task_rq(p);
	bool ret = false;

	if (p->on_rq) {
		WRITE_ONCE(p->state, TASK_RUNNING);
		ret = true;
	}
	raw_spin_unlock(&rq->lock);
	return ret;
}

int try_to_wake_up(struct task_struct *p, unsigned int state, int wake_flags)
{
	unsigned long flags;
	int success = 0;

	sched_point(SP_WAKEUP);
	flags = arch_local_irq_save();
	raw_spin_lock(&p->pi_lock);
	smp_mb();
	if (!(READ_ONCE(p->state) & state))
		goto out;
	sched_point(SP_WAKEUP);
	success = 1;
	if (READ_ONCE(p->on_rq) && ttwu_runnable(p))
		goto out;
	/* SCHED3: it is switching out; wait until its context is saved. */
	while (__atomic_load_n(&p->on_cpu, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	activate_task(p, true);
out:
	raw_spin_unlock(&p->pi_lock);
	arch_local_irq_restore(flags);
	sched_point(SP_WAKEUP);
	return success;
}

int wake_up_process(struct task_struct *p)
{
	return try_to_wake_up(p, TASK_NORMAL | TASK_NEW, 0);
}

int wake_up_state(struct task_struct *p, unsigned int state)
{
	return try_to_wake_up(p, state, 0);
}

/* --- switching --- */

static void account_switch(struct rq *rq, struct task_struct *prev,
			   struct task_struct *next)
{
	u64 now = arch_clock_ns();
	u64 delta = now - prev->exec_start;

	prev->sum_exec_runtime += delta;
	if (prev->is_idle)
		rq->idle_ns += delta;
	next->exec_start = now;
}

/* Move runnable @p, which just switched out, to a CPU it may use. */
static void migrate_task(struct task_struct *p)
{
	unsigned long flags = arch_local_irq_save();

	raw_spin_lock(&p->pi_lock);
	activate_task(p, false);
	raw_spin_unlock(&p->pi_lock);
	arch_local_irq_restore(flags);
}

void *alloc_thread_stack(void)
{
	BUILD_BUG_ON((PAGE_SIZE << THREAD_SIZE_ORDER) != THREAD_SIZE);
	return __get_free_pages(GFP_KERNEL | __GFP_NOWARN, THREAD_SIZE_ORDER);
}

void free_thread_stack(void *stack)
{
	if (stack)
		free_pages(stack, THREAD_SIZE_ORDER);
}

void task_mark_dying(struct task_struct *p)
{
	if (!p->dying) {
		p->dying = true;
		__atomic_fetch_add(&nr_dying, 1, __ATOMIC_RELAXED);
	}
}

/*
 * @prev died and is off its CPU: free its stack now, and drop the
 * scheduler's reference (the struct goes when kthread_stop() drops the
 * last one). Only then is it no longer dying: whoever waits in
 * reap_dead_tasks() sees the pages and the object already back.
 * Context: finish_task_switch(), interrupts off.
 */
static void release_dead_task(struct task_struct *prev)
{
	arch_thread_release(prev);
	free_thread_stack(prev->stack);
	prev->stack = NULL;
	put_task_struct(prev);
	if (__atomic_sub_fetch(&nr_dying, 1, __ATOMIC_ACQ_REL) == 0)
		wake_up_all(&task_reap_wq);
}

void reap_dead_tasks(void)
{
	wait_event(task_reap_wq, __atomic_load_n(&nr_dying, __ATOMIC_ACQUIRE) == 0);
}

/* The second half of a switch, run by the task switched to (also by a new
 * task in task_entry()). Releases the rq lock taken by __schedule(). */
static void finish_task_switch(void)
{
	struct rq *rq = this_rq();
	struct task_struct *prev = rq->switch_prev;
	bool dead = READ_ONCE(prev->state) == TASK_DEAD;
	bool migrate = prev->migrate_pending && prev->on_rq;

	rq->switch_prev = NULL;
	__atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE); /* SCHED2 */
	raw_spin_unlock(&rq->lock);
	if (migrate)
		migrate_task(prev);
	if (dead)
		release_dead_task(prev);
}

/*
 * Pick the next task and switch to it. @preempt: the task did not ask to
 * sleep (preemption, yield), so it stays runnable whatever its state.
 * Context: interrupts off.
 */
static void __schedule(bool preempt)
{
	struct rq *rq = this_rq();
	struct task_struct *prev = READ_ONCE(rq->curr), *next;

	raw_spin_lock(&rq->lock);
	WRITE_ONCE(prev->need_resched, false);
	if (!preempt && READ_ONCE(prev->state) != TASK_RUNNING) {
		WRITE_ONCE(prev->on_rq, 0); /* SCHED4 */
		prev->nvcsw++;
	} else if (!prev->is_idle) {
		prev->nivcsw += preempt;
		if (!prev->migrate_pending)
			enqueue_task(rq, prev);
	}
	next = pick_next_task(rq);
	if (next == prev) {
		raw_spin_unlock(&rq->lock);
		return;
	}
	account_switch(rq, prev, next);
	if (next->slice <= 0)
		next->slice = SCHED_TIMESLICE;
	__atomic_store_n(&next->on_cpu, 1, __ATOMIC_RELAXED);
	WRITE_ONCE(next->cpu, (unsigned int)(rq - runqueues));
	WRITE_ONCE(rq->curr, next);
	rq->switch_prev = prev;
	rq->nr_switches++;
	arch_context_switch(prev, next);
	finish_task_switch();
}

/*
 * Linux's sched_submit_work(): a task about to sleep sends the requests
 * held in its block plug first, or it could wait for I/O it never issued
 * (the flusher holds a plug across a WB_SYNC_ALL pass that waits on the
 * pages it wrote). A preempted task stays runnable and keeps its plug.
 */
static void sched_submit_work(struct task_struct *t)
{
	if (READ_ONCE(t->state) == TASK_RUNNING || !t->plug)
		return;
	blk_flush_plug(t->plug);
}

void schedule(void)
{
	struct task_struct *t = current;
	unsigned long flags;

	if (unlikely(t->preempt_count)) {
		pr_err("BUG: scheduling while atomic: %s/%d preempt_count %#x\n",
		       t->comm, t->pid, t->preempt_count);
		dump_stack();
		add_taint_warn(); /* a test during which this happens fails */
	}
	sched_submit_work(t);
	flags = arch_local_irq_save();
	__schedule(false);
	arch_local_irq_restore(flags);
}

void preempt_schedule(void)
{
	unsigned long flags;

	if (preempt_count() || arch_irqs_disabled())
		return;
	flags = arch_local_irq_save();
	while (READ_ONCE(current->need_resched))
		__schedule(true);
	arch_local_irq_restore(flags);
}

void preempt_schedule_irq(void)
{
	struct task_struct *t = current;

	if (!t || t->preempt_count)
		return;
	while (READ_ONCE(t->need_resched)) {
		__schedule(true);
		t = current;
	}
}

void yield(void)
{
	unsigned long flags = arch_local_irq_save();

	__schedule(true);
	arch_local_irq_restore(flags);
}

int cond_resched(void)
{
	if (!need_resched() || preempt_count())
		return 0;
	preempt_schedule();
	return 1;
}

void scheduler_ipi(void)
{
	/* need_resched is already set; preempt_schedule_irq() acts on it. */
}

void scheduler_tick(void)
{
	struct rq *rq = this_rq();
	struct task_struct *curr;
	u64 now = arch_clock_ns();

	raw_spin_lock(&rq->lock);
	curr = rq->curr;
	curr->sum_exec_runtime += now - curr->exec_start;
	if (curr->is_idle)
		rq->idle_ns += now - curr->exec_start;
	curr->exec_start = now;
	if (!curr->is_idle && --curr->slice <= 0) {
		curr->slice = SCHED_TIMESLICE;
		for (int prio = 0; prio <= curr->prio; prio++)
			if (!list_empty(&rq->queue[prio]))
				WRITE_ONCE(curr->need_resched, true);
	}
	raw_spin_unlock(&rq->lock);
}

/* --- migration --- */

static void double_rq_lock(struct rq *a, struct rq *b)
{
	if (a < b) {
		raw_spin_lock(&a->lock);
		raw_spin_lock(&b->lock);
	} else {
		raw_spin_lock(&b->lock);
		raw_spin_lock(&a->lock);
	}
}

static struct task_struct *find_pullable(struct rq *src, unsigned int cpu)
{
	struct task_struct *p;

	for (int prio = 0; prio < NR_PRIO; prio++)
		list_for_each_entry(p, &src->queue[prio], run_list)
			if (cpumask_test_cpu(cpu, &p->cpus_allowed))
				return p;
	return NULL;
}

/*
 * An idle CPU takes one queued task from a busy CPU. Only a queue holding
 * a task that may move is locked (SCHED6). Interrupts off.
 */
static void idle_pull(unsigned int cpu)
{
	struct rq *rq = &runqueues[cpu];
	unsigned int src_cpu;

	for_each_online_cpu(src_cpu) {
		struct rq *src = &runqueues[src_cpu];
		struct task_struct *p;

		if (src_cpu == cpu || !READ_ONCE(src->nr_movable))
			continue;
		double_rq_lock(rq, src);
		p = rq->nr_queued ? NULL : find_pullable(src, cpu);
		if (p) {
			dequeue_task(src, p);
			WRITE_ONCE(p->cpu, cpu);
			enqueue_task(rq, p);
			WRITE_ONCE(rq->curr->need_resched, true);
		} else {
			WRITE_ONCE(src->nr_pull_misses, src->nr_pull_misses + 1);
		}
		raw_spin_unlock(&src->lock);
		raw_spin_unlock(&rq->lock);
		if (p)
			return;
	}
}

int set_cpus_allowed_ptr(struct task_struct *p, const struct cpumask *mask)
{
	unsigned long flags;
	struct rq *rq;
	bool resched_self = false;

	if (!(mask->bits & ((num_possible_cpus() >= 64) ? ~0ULL :
			    (1ULL << num_possible_cpus()) - 1)))
		return -EINVAL;
	flags = arch_local_irq_save();
	raw_spin_lock(&p->pi_lock);
	rq = lock_task_rq(p);
	set_task_mask(rq, p, mask);
	if (!p->on_rq) {
		/* Asleep: the next wake-up picks a CPU. */
	} else if (p->migrate_pending) {
		/*
		 * SCHED5: still running, or switched out and on its way to
		 * migrate_task() (on no queue): that picks a CPU from the
		 * mask set above, under pi_lock, which we hold.
		 */
	} else if (cpumask_test_cpu(p->cpu, mask)) {
		/* Allowed where it is. */
	} else if (rq->curr == p) {
		p->migrate_pending = true;
		resched_cpu(p->cpu);
		resched_self = p == current;
	} else {
		dequeue_task(rq, p);
		raw_spin_unlock(&rq->lock);
		activate_task(p, false);
		rq = NULL;
	}
	if (rq)
		raw_spin_unlock(&rq->lock);
	raw_spin_unlock(&p->pi_lock);
	arch_local_irq_restore(flags);
	if (resched_self)
		preempt_schedule();
	return 0;
}

void sched_set_prio_class(struct task_struct *p, int prio)
{
	if (prio < 0 || prio >= NR_PRIO || p->is_idle)
		return;
	/* Takes effect at its next enqueue; a queued task keeps its place. */
	WRITE_ONCE(p->prio, prio);
}

/* --- checks --- */

#define CHECK_MAX_QUEUED 100000 /* a longer walk means a corrupt list */

static int check_queued_task(unsigned int cpu, struct rq *rq, struct task_struct *p)
{
	if (p->on_rq == 1 && p->cpu == cpu && !p->is_idle && p != rq->curr)
		return 0;
	pr_err("sched: CPU %u queues %s/%d with on_rq %d cpu %u%s%s\n", cpu, p->comm,
	       p->pid, p->on_rq, p->cpu, p->is_idle ? " (idle)" : "",
	       p == rq->curr ? " (running)" : "");
	return 1;
}

static int check_rq(unsigned int cpu)
{
	struct rq *rq = &runqueues[cpu];
	unsigned int seen = 0, movable = 0;
	int bad = 0;

	raw_spin_lock(&rq->lock);
	for (int prio = 0; prio < NR_PRIO; prio++) {
		struct task_struct *p;

		list_for_each_entry(p, &rq->queue[prio], run_list) {
			if (++seen > CHECK_MAX_QUEUED)
				break;
			movable += task_movable(p);
			bad += check_queued_task(cpu, rq, p);
		}
	}
	if (seen != rq->nr_queued) {
		pr_err("sched: CPU %u has %u tasks queued, nr_queued %u\n", cpu, seen,
		       rq->nr_queued);
		bad++;
	}
	if (seen <= CHECK_MAX_QUEUED && movable != rq->nr_movable) { /* SCHED6 */
		pr_err("sched: CPU %u has %u movable tasks queued, nr_movable %u\n", cpu,
		       movable, rq->nr_movable);
		bad++;
	}
	raw_spin_unlock(&rq->lock);
	return bad;
}

int sched_check_invariants(void)
{
	unsigned long flags = arch_local_irq_save();
	unsigned int cpu;
	int bad = 0;

	for_each_online_cpu(cpu)
		bad += check_rq(cpu);
	arch_local_irq_restore(flags);
	return bad;
}

/* --- tasks --- */

void get_task_struct(struct task_struct *p)
{
	__atomic_fetch_add(&p->usage, 1, __ATOMIC_RELAXED);
}

void put_task_struct(struct task_struct *p)
{
	unsigned long flags;

	if (__atomic_sub_fetch(&p->usage, 1, __ATOMIC_ACQ_REL))
		return;
	flags = arch_local_irq_save();
	raw_spin_lock(&tasklist_lock);
	list_del(&p->tasks);
	raw_spin_unlock(&tasklist_lock);
	arch_local_irq_restore(flags);
	if (p->stack) {
		arch_thread_release(p);
		free_thread_stack(p->stack);
	}
	kfree(p);
}

static void task_init_common(struct task_struct *p, const char *name)
{
	unsigned long flags;

	strscpy_len(p->comm, name, sizeof(p->comm));
	p->prio = PRIO_NORMAL;
	p->cpus_allowed = CPU_MASK_ALL;
	p->usage = 1;
	p->slice = SCHED_TIMESLICE;
	raw_spin_lock_init(&p->pi_lock);
	INIT_LIST_HEAD(&p->run_list);
	flags = arch_local_irq_save();
	raw_spin_lock(&tasklist_lock);
	p->pid = next_pid++;
	list_add_tail(&p->tasks, &task_list);
	raw_spin_unlock(&tasklist_lock);
	arch_local_irq_restore(flags);
}

struct task_struct *create_task(int (*fn)(void *), void *data, const char *name)
{
	struct task_struct *p = kzalloc(sizeof(*p), GFP_KERNEL | __GFP_NOWARN);
	void *stack = alloc_thread_stack();

	if (!p || !stack)
		goto out_free;
	p->stack = stack;
	p->stack_size = THREAD_SIZE;
	p->threadfn = fn;
	p->data = data;
	p->state = TASK_NEW;
	p->cpu = arch_smp_processor_id();
	if (arch_thread_init(p, stack, THREAD_SIZE))
		goto out_free;
	task_init_common(p, name);
	return p;
out_free:
	free_thread_stack(stack);
	kfree(p);
	return NULL;
}

void task_entry(void)
{
	finish_task_switch();
	arch_local_irq_enable();
	kthread_entry();
}

void do_exit(int code)
{
	struct task_struct *p = current;

	if (p->lockdep_depth)
		pr_err("BUG: %s/%d exits holding %d lock(s)\n", p->comm, p->pid,
		       p->lockdep_depth);
	/* @code was published by kthread_exit() (exit_code, then exited). */
	task_mark_dying(p);
	arch_local_irq_disable();
	/* Under pi_lock, which try_to_wake_up() holds from its state test to
	 * its state change: a racing wake-up (kthread_stop() of a thread that
	 * returned in a sleep state) sees TASK_DEAD or is over before it. */
	set_special_state(TASK_DEAD);
	__schedule(false);
	panic("dead task %s/%d ran again", p->comm, p->pid);
}

void for_each_task(void (*fn)(struct task_struct *p, void *arg), void *arg)
{
	unsigned long flags = arch_local_irq_save();
	struct task_struct *p;

	raw_spin_lock(&tasklist_lock);
	list_for_each_entry(p, &task_list, tasks)
		fn(p, arg);
	raw_spin_unlock(&tasklist_lock);
	arch_local_irq_restore(flags);
}

/* --- idle and setup --- */

void cpu_idle_loop(void)
{
	unsigned int cpu;

	for (;;) {
		arch_local_irq_disable();
		cpu = arch_smp_processor_id();
		if (!need_resched())
			idle_pull(cpu);
		if (!need_resched()) {
			if (tick_running() || !timers_pending_local()) {
				arch_cpu_idle();
			} else {
				/* No tick on this arch (yet): poll the clock. */
				arch_local_irq_enable();
				timer_poll();
				arch_cpu_relax();
				arch_local_irq_disable();
			}
		}
		if (need_resched())
			__schedule(false);
		arch_local_irq_enable();
	}
}

static int idle_fn(void *unused)
{
	cpu_idle_loop();
}

static void rq_init(unsigned int cpu)
{
	struct rq *rq = &runqueues[cpu];

	raw_spin_lock_init(&rq->lock);
	for (int prio = 0; prio < NR_PRIO; prio++)
		INIT_LIST_HEAD(&rq->queue[prio]);
}

static void make_idle(struct task_struct *p, unsigned int cpu)
{
	p->is_idle = true;
	p->prio = NR_PRIO;
	p->state = TASK_RUNNING;
	p->cpu = cpu;
	p->cpus_allowed = cpumask_of(cpu);
	WRITE_ONCE(runqueues[cpu].idle, p);
}

void sched_init(void)
{
	struct task_struct *idle;

	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		rq_init(cpu);
	init_timers();
	smp_prepare();
	task_init_common(&init_task, "init");
	init_task.state = TASK_RUNNING;
	init_task.on_rq = 1;
	init_task.on_cpu = 1;
	init_task.exec_start = arch_clock_ns();
	init_task.usage = 2;	/* static: never freed */
	arch_thread_adopt(&init_task);
	WRITE_ONCE(runqueues[0].curr, &init_task);
	cpumask_set_cpu(0, &cpu_online_mask);

	idle = create_task(idle_fn, NULL, "idle/0");
	if (!idle)
		panic("sched_init: no memory for the idle task");
	make_idle(idle, 0);
	lockdep_init();
}

void sched_init_secondary(unsigned int cpu)
{
	struct task_struct *p = kzalloc(sizeof(*p), GFP_KERNEL);
	char name[TASK_COMM_LEN];

	if (!p)
		panic("CPU %u: no memory for the idle task", cpu);
	scnprintf(name, sizeof(name), "idle/%u", cpu);
	task_init_common(p, name);
	make_idle(p, cpu);
	p->on_cpu = 1;
	p->exec_start = arch_clock_ns();
	arch_thread_adopt(p);
	WRITE_ONCE(runqueues[cpu].curr, p);
}
