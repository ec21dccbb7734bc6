/*
 * kernel/workqueue.c - workqueues (Linux's kernel/workqueue.c semantics,
 * without concurrency management).
 *
 * Layer: kernel. Provides: include/quire/workqueue.h. Used by: writeback
 * flushers, block completions, anything deferring work to process context.
 *
 * A workqueue owns worker pools: one per online CPU (bound worker) or, for
 * WQ_UNBOUND, one pool whose worker runs anywhere. A pool has a FIFO
 * worklist and exactly one worker thread, so items of a pool run one at a
 * time in queueing order.
 *
 * Invariants (WQ1, WQ2 and WQ7 checked by workqueue_check(),
 * after each step of the workqueue tests):
 *  WQ1. WORK_STRUCT_PENDING is set from queueing until the worker picks the
 *      item (or a canceller steals it); whoever set it owns the item's
 *      entry and timer.
 *  WQ2. work->entry is on pool->worklist iff the item is queued there, and
 *      then work->pool == pool.
 *  WQ3. pool->current_work is the item whose function the worker runs now.
 *      The worker never touches the item after its function returned (the
 *      function may free it); flushes wait on a barrier item queued right
 *      after the target (or at the head, if the target is running).
 *  WQ4. An item running on a pool of @wq is queued to that same pool again
 *      (non-reentrant, as Linux).
 *  WQ5. An idle worker sets TASK_INTERRUPTIBLE before it tests
 *      kthread_should_stop() (and the worklist), so a stop that lands
 *      after the test finds it sleeping and wakes it (no lost wake-up).
 *
 *  WQ6. Whoever takes PENDING (a queuer, or grab_pending() for a canceller
 *      or mod_delayed_work()) keeps interrupts off until the item is
 *      queued or its timer armed (or PENDING dropped), so it cannot be
 *      preempted in between: another CPU's grab_pending() retries only
 *      for a bounded time.
 *  WQ7. Every pool has exactly one worker thread, from create_pool() until
 *      destroy_workqueue() stops it; a bound queue's pool i serves CPU i,
 *      an unbound queue has pools[0] only.
 *  WQ8. cancel_work_sync() keeps PENDING while it flushes (interrupts on,
 *      maybe asleep), so it also sets CANCELING: grab_pending() elsewhere
 *      then returns -ENOENT instead of spinning (mod_delayed_work() queues
 *      nothing and returns true, cancel_delayed_work() returns false, a
 *      second cancel_work_sync() sleeps until the first is done), as
 *      Linux's WORK_OFFQ_CANCELING. Without it an interrupt handler on the
 *      canceller's CPU spins for ever with interrupts off.
 *
 * Seeded scheduling points (include/quire/sched_point.h): SP_PENDING
 * after each PENDING-bit operation.
 *
 * Locking: pool->lock (raw, irqsave; queueing comes from interrupts and
 * timers) guards worklist and current_work.
 */
#include <quire/workqueue.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/wait.h>
#include <quire/atomic.h>
#include <quire/smp.h>
#include <quire/slab.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include <quire/sched_point.h>
#include <arch/irq.h>
#include <arch/cpu.h>
#include "sched_internal.h"

#define WQ_NAME_LEN 24

struct worker_pool {
	raw_spinlock_t lock;
	struct list_head worklist;		/* queued items, FIFO */
	struct work_struct *current_work;	/* running now, or NULL */
	struct task_struct *worker;
	struct workqueue_struct *wq;
	int cpu;				/* -1: unbound */
};

struct workqueue_struct {
	char name[WQ_NAME_LEN];
	unsigned int flags;
	struct worker_pool *pools[MAX_CPUS];	/* unbound: pools[0] only */
};

struct workqueue_struct *system_wq;
struct workqueue_struct *system_unbound_wq;
struct workqueue_struct *system_long_wq;

struct wq_barrier {
	struct work_struct work;
	struct completion done;
};

static int worker_thread(void *arg);

void __init_work(struct work_struct *work, work_func_t func)
{
	work->data = 0;
	INIT_LIST_HEAD(&work->entry);
	work->func = func;
	work->pool = NULL;
}

bool current_is_workqueue_worker(void)
{
	return current->threadfn == worker_thread;
}

/* --- the worker --- */

/* Take the next item, or NULL when told to stop. Sleeps while idle. */
static struct work_struct *worker_next(struct worker_pool *pool)
{
	unsigned long flags = arch_local_irq_save();
	struct work_struct *work;

	raw_spin_lock(&pool->lock);
	WRITE_ONCE(pool->current_work, NULL); /* pick_pool() reads it unlocked */
	while (list_empty(&pool->worklist)) {
		/*
		 * WQ5: the sleep state before the stop test, as Linux's wait
		 * loops: a kthread_stop() that comes after the test then
		 * finds us TASK_INTERRUPTIBLE and its wake-up is not lost.
		 */
		current->wait_what = "worklist";
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			current->wait_what = NULL;
			raw_spin_unlock(&pool->lock);
			arch_local_irq_restore(flags);
			return NULL;
		}
		raw_spin_unlock(&pool->lock);
		arch_local_irq_restore(flags);
		schedule();
		flags = arch_local_irq_save();
		raw_spin_lock(&pool->lock);
	}
	__set_current_state(TASK_RUNNING);
	current->wait_what = NULL;
	work = list_first_entry(&pool->worklist, struct work_struct, entry);
	list_del_init(&work->entry);
	WRITE_ONCE(pool->current_work, work);
	clear_bit(WORK_STRUCT_PENDING_BIT, &work->data); /* WQ1 */
	sched_point(SP_PENDING);
	raw_spin_unlock(&pool->lock);
	arch_local_irq_restore(flags);
	return work;
}

static int worker_thread(void *arg)
{
	struct worker_pool *pool = arg;
	struct work_struct *work;

	while ((work = worker_next(pool))) {
		work->func(work); /* WQ3: @work may be gone after this */
		if (WARN_ON_ONCE(preempt_count()))
			pr_err("workqueue %s: work left preempt_count %#x\n",
			       pool->wq->name, preempt_count());
		cond_resched();
	}
	return 0;
}

/* --- queueing --- */

static struct worker_pool *pick_pool(struct workqueue_struct *wq, int cpu,
				     struct work_struct *work)
{
	struct worker_pool *last = READ_ONCE(work->pool);

	if (last && last->wq == wq && READ_ONCE(last->current_work) == work)
		return last; /* WQ4 */
	if (wq->flags & WQ_UNBOUND)
		return wq->pools[0];
	if (cpu < 0 || cpu >= MAX_CPUS || !wq->pools[cpu] || !cpu_online((unsigned int)cpu))
		cpu = (int)arch_smp_processor_id();
	return wq->pools[cpu] ? wq->pools[cpu] : wq->pools[0];
}

static void insert_work(struct worker_pool *pool, struct work_struct *work,
			struct list_head *where)
{
	WRITE_ONCE(work->pool, pool);
	list_add_tail(&work->entry, where);
}

/* PENDING is ours (WQ1): put @work on a pool of @wq and wake its worker. */
static void __queue_work(int cpu, struct workqueue_struct *wq,
			 struct work_struct *work)
{
	unsigned long flags = arch_local_irq_save();
	struct worker_pool *pool = pick_pool(wq, cpu, work);

	raw_spin_lock(&pool->lock);
	insert_work(pool, work, &pool->worklist);
	raw_spin_unlock(&pool->lock);
	arch_local_irq_restore(flags);
	wake_up_process(pool->worker);
}

/*
 * WQ6: interrupts stay off from taking PENDING to queueing, so the queuer
 * is never preempted while it owns PENDING with the item nowhere: a
 * higher-priority canceller on this CPU would spin in grab_pending() for
 * ever (Linux's queue_work_on() does the same).
 */
bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work)
{
	unsigned long flags = arch_local_irq_save();
	bool ret = false;

	if (!test_and_set_bit(WORK_STRUCT_PENDING_BIT, &work->data)) {
		sched_point(SP_PENDING);
		__queue_work(cpu, wq, work);
		ret = true;
	}
	arch_local_irq_restore(flags);
	return ret;
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	return queue_work_on(WORK_CPU_UNBOUND, wq, work);
}

bool schedule_work(struct work_struct *work)
{
	return queue_work(system_wq, work);
}

void delayed_work_timer_fn(struct timer_list *t)
{
	struct delayed_work *dwork = from_timer(dwork, t, timer);

	__queue_work(dwork->cpu, dwork->wq, &dwork->work);
}

static void __queue_delayed_work(int cpu, struct workqueue_struct *wq,
				 struct delayed_work *dwork, unsigned long delay)
{
	dwork->wq = wq;
	dwork->cpu = cpu;
	if (!delay) {
		__queue_work(cpu, wq, &dwork->work);
		return;
	}
	dwork->timer.expires = jiffies + delay;
	if (cpu >= 0 && cpu < MAX_CPUS && cpu_online((unsigned int)cpu))
		add_timer_on(&dwork->timer, (unsigned int)cpu);
	else
		add_timer(&dwork->timer);
}

bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq,
			   struct delayed_work *dwork, unsigned long delay)
{
	unsigned long flags = arch_local_irq_save(); /* WQ6 */
	bool ret = false;

	if (!test_and_set_bit(WORK_STRUCT_PENDING_BIT, &dwork->work.data)) {
		sched_point(SP_PENDING);
		__queue_delayed_work(cpu, wq, dwork, delay);
		ret = true;
	}
	arch_local_irq_restore(flags);
	return ret;
}

bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
			unsigned long delay)
{
	return queue_delayed_work_on(WORK_CPU_UNBOUND, wq, dwork, delay);
}

bool schedule_delayed_work(struct delayed_work *dwork, unsigned long delay)
{
	return queue_delayed_work(system_wq, dwork, delay);
}

/*
 * Make PENDING ours. 1: it was pending (queued or timer armed) and we
 * removed it; 0: it was idle; -EAGAIN: someone is between setting PENDING
 * and queueing it (on another CPU, with interrupts off: WQ6), retry.
 * Returns with interrupts off (the old state in *@flags) unless -EAGAIN:
 * the caller then owns PENDING with interrupts off, as a queuer (WQ6).
 */
static int try_to_grab_pending(struct work_struct *work, bool is_dwork,
			       unsigned long *flags)
{
	struct worker_pool *pool;
	int ret = -EAGAIN;

	*flags = arch_local_irq_save();
	if (is_dwork && del_timer(&to_delayed_work(work)->timer))
		return 1;
	if (!test_and_set_bit(WORK_STRUCT_PENDING_BIT, &work->data))
		return 0;
	sched_point(SP_PENDING);
	pool = READ_ONCE(work->pool);
	if (pool) {
		raw_spin_lock(&pool->lock);
		if (!list_empty(&work->entry) && work->pool == pool) { /* WQ2 */
			list_del_init(&work->entry);
			ret = 1;
		}
		raw_spin_unlock(&pool->lock);
	}
	if (ret == -EAGAIN) {
		arch_local_irq_restore(*flags);
		if (test_bit(WORK_STRUCT_CANCELING_BIT, &work->data))
			ret = -ENOENT; /* WQ8: a canceller owns it for a while */
	}
	return ret;
}

static DECLARE_WAIT_QUEUE_HEAD(cancel_waitq); /* WQ8: cancellers waiting */

/* As try_to_grab_pending(), retrying -EAGAIN: 0, 1 or -ENOENT (WQ8). */
static int grab_pending(struct work_struct *work, bool is_dwork, unsigned long *flags)
{
	int ret;

	while ((ret = try_to_grab_pending(work, is_dwork, flags)) == -EAGAIN)
		arch_cpu_relax();
	return ret;
}

bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
		      unsigned long delay)
{
	unsigned long flags;
	int ret = grab_pending(&dwork->work, true, &flags);

	if (ret < 0) /* WQ8: being cancelled; Linux returns true too */
		return true;
	__queue_delayed_work(WORK_CPU_UNBOUND, wq, dwork, delay); /* WQ6 */
	arch_local_irq_restore(flags);
	return ret;
}

/* --- flushing and cancelling --- */

static void wq_barrier_func(struct work_struct *work)
{
	struct wq_barrier *barr = container_of(work, struct wq_barrier, work);

	complete(&barr->done);
}

static void init_barrier(struct wq_barrier *barr)
{
	__init_work(&barr->work, wq_barrier_func);
	set_bit(WORK_STRUCT_PENDING_BIT, &barr->work.data);
	init_completion(&barr->done);
}

/* Queue @barr behind @work if it is queued or running on its pool. */
static bool start_flush_work(struct work_struct *work, struct wq_barrier *barr)
{
	struct worker_pool *pool = READ_ONCE(work->pool);
	unsigned long flags;
	bool queued = true;

	if (!pool)
		return false;
	flags = arch_local_irq_save();
	raw_spin_lock(&pool->lock);
	if (!list_empty(&work->entry) && work->pool == pool)
		insert_work(pool, &barr->work, work->entry.next);
	else if (pool->current_work == work)
		insert_work(pool, &barr->work, pool->worklist.next);
	else
		queued = false;
	raw_spin_unlock(&pool->lock);
	arch_local_irq_restore(flags);
	if (queued)
		wake_up_process(pool->worker);
	return queued;
}

bool flush_work(struct work_struct *work)
{
	struct wq_barrier barr;

	init_barrier(&barr);
	if (!start_flush_work(work, &barr))
		return false;
	wait_for_completion(&barr.done);
	return true;
}

bool flush_delayed_work(struct delayed_work *dwork)
{
	unsigned long flags = arch_local_irq_save(); /* WQ6: PENDING and the timer */

	if (del_timer_sync(&dwork->timer))
		__queue_work(dwork->cpu, dwork->wq, &dwork->work);
	arch_local_irq_restore(flags);
	return flush_work(&dwork->work);
}

static bool __cancel_work_sync(struct work_struct *work, bool is_dwork)
{
	unsigned long flags;
	int ret;

	/* WQ8: another canceller owns it: wait for it to finish, retry. */
	while ((ret = grab_pending(work, is_dwork, &flags)) < 0)
		wait_event(cancel_waitq,
			   !test_bit(WORK_STRUCT_CANCELING_BIT, &work->data));
	set_bit(WORK_STRUCT_CANCELING_BIT, &work->data); /* WQ8 */
	arch_local_irq_restore(flags);
	flush_work(work);	/* PENDING is ours: only a running one remains */
	clear_bit(WORK_STRUCT_CANCELING_BIT, &work->data);
	clear_bit(WORK_STRUCT_PENDING_BIT, &work->data);
	sched_point(SP_PENDING);
	if (wq_has_sleeper(&cancel_waitq)) /* full barrier after the clears */
		wake_up_all(&cancel_waitq);
	return ret;
}

bool cancel_work_sync(struct work_struct *work)
{
	return __cancel_work_sync(work, false);
}

bool cancel_delayed_work_sync(struct delayed_work *dwork)
{
	return __cancel_work_sync(&dwork->work, true);
}

bool cancel_delayed_work(struct delayed_work *dwork)
{
	unsigned long flags;
	int ret = grab_pending(&dwork->work, true, &flags);

	if (ret < 0) /* WQ8: being cancelled already */
		return false;
	clear_bit(WORK_STRUCT_PENDING_BIT, &dwork->work.data);
	arch_local_irq_restore(flags);
	sched_point(SP_PENDING);
	return ret;
}

void flush_workqueue(struct workqueue_struct *wq)
{
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct worker_pool *pool = wq->pools[cpu];
		struct wq_barrier barr;
		unsigned long flags;

		if (!pool)
			continue;
		init_barrier(&barr);
		flags = arch_local_irq_save();
		raw_spin_lock(&pool->lock);
		insert_work(pool, &barr.work, &pool->worklist);
		raw_spin_unlock(&pool->lock);
		arch_local_irq_restore(flags);
		wake_up_process(pool->worker);
		wait_for_completion(&barr.done);
	}
}

/* --- creating and destroying --- */

static struct worker_pool *create_pool(struct workqueue_struct *wq, int cpu)
{
	struct worker_pool *pool = kzalloc(sizeof(*pool), GFP_KERNEL);

	if (!pool)
		return NULL;
	raw_spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->worklist);
	pool->wq = wq;
	pool->cpu = cpu;
	if (cpu >= 0)
		pool->worker = kthread_create(worker_thread, pool, "%s/%d", wq->name, cpu);
	else
		pool->worker = kthread_create(worker_thread, pool, "%s/u", wq->name);
	if (IS_ERR(pool->worker)) {
		kfree(pool);
		return NULL;
	}
	if (cpu >= 0)
		kthread_bind(pool->worker, (unsigned int)cpu);
	if (wq->flags & WQ_HIGHPRI)
		sched_set_prio_class(pool->worker, PRIO_HIGH);
	wake_up_process(pool->worker);
	return pool;
}

void destroy_workqueue(struct workqueue_struct *wq)
{
	if (!wq)
		return;
	flush_workqueue(wq);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct worker_pool *pool = wq->pools[cpu];

		if (!pool)
			continue;
		kthread_stop(pool->worker);
		WARN_ON(!list_empty(&pool->worklist));
		kfree(pool);
	}
	kfree(wq);
}

/* --- checks --- */

#define WQ_CHECK_MAX_ITEMS 1000000 /* a longer walk means a corrupt list */

static int wq_check_fail(const struct workqueue_struct *wq, int cpu, const char *inv,
			 const char *what)
{
	pr_err("workqueue %s: pool %d: %s broken: %s\n", wq->name, cpu, inv, what);
	return -EUCLEAN;
}

/* Under pool->lock. The running item is not looked at: its function may
 * have freed it (WQ3). */
static int wq_check_pool(const struct workqueue_struct *wq, int cpu,
			 const struct worker_pool *pool)
{
	const struct work_struct *work;
	unsigned long n = 0;

	if (pool->wq != wq || pool->cpu != ((wq->flags & WQ_UNBOUND) ? -1 : cpu))
		return wq_check_fail(wq, cpu, "WQ2", "pool of another queue or CPU");
	if (IS_ERR_OR_NULL(pool->worker))
		return wq_check_fail(wq, cpu, "WQ7", "pool without its worker");
	list_for_each_entry(work, &pool->worklist, entry) {
		if (++n > WQ_CHECK_MAX_ITEMS || work->entry.next->prev != &work->entry)
			return wq_check_fail(wq, cpu, "WQ2", "worklist badly linked");
		if (!test_bit(WORK_STRUCT_PENDING_BIT, &work->data))
			return wq_check_fail(wq, cpu, "WQ1",
					     "queued item without PENDING");
		if (work->pool != pool)
			return wq_check_fail(wq, cpu, "WQ2",
					     "queued item names another pool");
	}
	return 0;
}

int workqueue_check(struct workqueue_struct *wq)
{
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct worker_pool *pool = wq->pools[cpu];
		unsigned long flags;
		int err;

		if (!pool)
			continue;
		if ((wq->flags & WQ_UNBOUND) && cpu)
			return wq_check_fail(wq, cpu, "WQ2",
					     "an unbound queue with a second pool");
		flags = arch_local_irq_save();
		raw_spin_lock(&pool->lock);
		err = wq_check_pool(wq, cpu, pool);
		raw_spin_unlock(&pool->lock);
		arch_local_irq_restore(flags);
		if (err)
			return err;
	}
	return 0;
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max_active, ...)
{
	struct workqueue_struct *wq = kzalloc(sizeof(*wq), GFP_KERNEL);
	unsigned int cpu;
	va_list ap;

	if (!wq)
		return NULL;
	va_start(ap, max_active);
	vscnprintf(wq->name, sizeof(wq->name), fmt, ap);
	va_end(ap);
	wq->flags = flags;
	if (flags & WQ_UNBOUND) {
		wq->pools[0] = create_pool(wq, -1);
		if (!wq->pools[0])
			goto out_destroy;
		return wq;
	}
	for_each_online_cpu(cpu) {
		wq->pools[cpu] = create_pool(wq, (int)cpu);
		if (!wq->pools[cpu])
			goto out_destroy;
	}
	return wq;
out_destroy:
	destroy_workqueue(wq);
	return NULL;
}

void workqueue_init(void)
{
	system_wq = alloc_workqueue("events", 0, 0);
	system_long_wq = alloc_workqueue("events_long", 0, 0);
	system_unbound_wq = alloc_workqueue("events_unbound", WQ_UNBOUND, 0);
	if (!system_wq || !system_long_wq || !system_unbound_wq)
		panic("workqueue_init: cannot create the system workqueues");
}
