/*
 * kernel/timer.c - kernel timers and sleeping with a timeout (Linux's
 * kernel/time/timer.c semantics, a sorted list instead of the wheel).
 *
 * Layer: kernel. Provides: include/quire/timer.h (timer_list API),
 * schedule_timeout(), msleep(). Used by: wait_event_timeout, workqueues.
 *
 * Each CPU has a timer base: a list of pending timers sorted by expiry,
 * equal expiries in insertion order. run_local_timers() (from the tick)
 * first moves every timer due at jiffies to a local expiry list and
 * advances base->clk past that jiffy, then runs them one by one with
 * base->lock dropped and base->running_timer set, which del_timer_sync()
 * waits on. A handler that re-arms its timer for a time already due puts it
 * back on the base list, so it runs at the next jiffy, not again in this
 * pass (Linux's __run_timers() does the same with base->clk).
 *
 * Invariants:
 *  TMR1. timer->entry is on base[timer->base_cpu].list, or on the expiry
 *      list of a pass running on that base, iff it is pending.
 *  TMR2. A running timer stays on its base when re-armed (so del_timer_sync
 *      finds running_timer on the base it looks at).
 *  TMR3. timer->base_cpu always names a base (timer_setup() gives the
 *      caller's), except TIMER_MIGRATING while __mod_timer() moves the timer:
 *      set under the old base's lock, replaced under the new one's. Then
 *      it is on no list and lock_timer_base() waits, so no other CPU can
 *      lock a stale base and queue it a second time (Linux: the same flag).
 *      del_timer_sync() and so flush_delayed_work() wait it out too, and
 *      find the timer pending on its new base.
 *
 * Locking: base->lock (raw, irqsave). A timer is locked by locking the base
 * named by timer->base_cpu and re-checking it (lock_timer_base()).
 */
#include <quire/timer.h>
#include <quire/sched.h>
#include <quire/smp.h>
#include <quire/bug.h>
#include <quire/printk.h>
#include "sched_internal.h"
#include <arch/irq.h>
#include <arch/cpu.h>
#include <arch/time.h>

#define TIMER_MIGRATING (-1) /* timer->base_cpu while it moves (TMR3) */

struct timer_base {
	raw_spinlock_t lock;
	struct list_head list;			/* pending, sorted by expires */
	struct timer_list *running_timer;	/* handler running now, or NULL */
	unsigned long clk;			/* next jiffy to expire timers at */
	bool tick_seen;				/* this CPU has had a tick */
};

static struct timer_base timer_bases[MAX_CPUS];

static struct timer_base *base_of(int cpu)
{
	return &timer_bases[cpu];
}

/* Called by sched_init(), before any timer can be armed. */
void init_timers(void)
{
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		raw_spin_lock_init(&timer_bases[cpu].lock);
		INIT_LIST_HEAD(&timer_bases[cpu].list);
		timer_bases[cpu].clk = jiffies;
	}
}

void timer_setup(struct timer_list *timer, void (*func)(struct timer_list *),
		 unsigned int flags)
{
	INIT_LIST_HEAD(&timer->entry);
	timer->function = func;
	timer->flags = flags;
	timer->expires = 0;
	/* As Linux: a timer always names a base, at first the caller's, so
	 * two first mod_timer()s lock the same one. */
	timer->base_cpu = (int)arch_smp_processor_id();
}

bool timer_pending(const struct timer_list *timer)
{
	return !list_empty(&timer->entry);
}

/*
 * Lock the base @timer is on. While __mod_timer() moves it between bases
 * (TIMER_MIGRATING: the old base is unlocked, the new one not yet taken)
 * it belongs to no base: wait until it names one again (TMR3).
 * Interrupts must be off.
 */
static struct timer_base *lock_timer_base(struct timer_list *timer)
{
	for (;;) {
		int cpu = READ_ONCE(timer->base_cpu);
		struct timer_base *base;

		if (cpu == TIMER_MIGRATING) {
			arch_cpu_relax();
			continue;
		}
		base = base_of(cpu);
		raw_spin_lock(&base->lock);
		if (READ_ONCE(timer->base_cpu) == cpu)
			return base;
		raw_spin_unlock(&base->lock);
	}
}

static void enqueue_timer(struct timer_base *base, struct timer_list *timer)
{
	struct timer_list *pos;

	list_for_each_entry(pos, &base->list, entry) {
		if (time_after(pos->expires, timer->expires)) {
			list_add_tail(&timer->entry, &pos->entry);
			return;
		}
	}
	list_add_tail(&timer->entry, &base->list);
}

static int detach_if_pending(struct timer_list *timer)
{
	if (list_empty(&timer->entry))
		return 0;
	list_del_init(&timer->entry);
	return 1;
}

/* Arm @timer on @cpu's base, or (cpu < 0) on its current base if pending
 * or running (TMR2), else on the caller's CPU. */
static int __mod_timer(struct timer_list *timer, unsigned long expires, int cpu)
{
	unsigned long flags = arch_local_irq_save();
	struct timer_base *base;

	base = lock_timer_base(timer);
	int was_pending = detach_if_pending(timer);
	int target = cpu;

	if (target < 0)
		target = (int)arch_smp_processor_id();
	if (base->running_timer == timer)
		target = timer->base_cpu; /* TMR2 */
	if (base != &timer_bases[target]) {
		/* Not pending (detached above) and not running: move it,
		 * on no base in between (TMR3). */
		WRITE_ONCE(timer->base_cpu, TIMER_MIGRATING);
		raw_spin_unlock(&base->lock);
		base = &timer_bases[target];
		raw_spin_lock(&base->lock);
	}
	timer->expires = expires;
	WRITE_ONCE(timer->base_cpu, target);
	enqueue_timer(base, timer);
	raw_spin_unlock(&base->lock);
	arch_local_irq_restore(flags);
	return was_pending;
}

int mod_timer(struct timer_list *timer, unsigned long expires)
{
	return __mod_timer(timer, expires, -1);
}

void add_timer(struct timer_list *timer)
{
	WARN_ON(timer_pending(timer));
	__mod_timer(timer, timer->expires, -1);
}

void add_timer_on(struct timer_list *timer, unsigned int cpu)
{
	WARN_ON(timer_pending(timer));
	__mod_timer(timer, timer->expires, cpu < MAX_CPUS ? (int)cpu : -1);
}

int del_timer(struct timer_list *timer)
{
	unsigned long flags;
	struct timer_base *base;
	int ret;

	flags = arch_local_irq_save();
	base = lock_timer_base(timer);
	ret = detach_if_pending(timer);
	raw_spin_unlock(&base->lock);
	arch_local_irq_restore(flags);
	return ret;
}

/* -1: its handler is running, try again. Else as del_timer(). */
static int try_to_del_timer_sync(struct timer_list *timer)
{
	unsigned long flags = arch_local_irq_save();
	struct timer_base *base = lock_timer_base(timer);
	int ret = -1;

	if (base->running_timer != timer)
		ret = detach_if_pending(timer);
	raw_spin_unlock(&base->lock);
	arch_local_irq_restore(flags);
	return ret;
}

int del_timer_sync(struct timer_list *timer)
{
	int ret;

	WARN_ON_ONCE(in_irq());
	while ((ret = try_to_del_timer_sync(timer)) < 0)
		arch_cpu_relax();
	return ret;
}

/* Move the timers of @base due at @now to @head, in expiry order. */
static void collect_expired_timers(struct timer_base *base, unsigned long now,
				   struct list_head *head)
{
	struct timer_list *timer, *next;

	list_for_each_entry_safe(timer, next, &base->list, entry) {
		if (time_after(timer->expires, now))
			break;
		list_move_tail(&timer->entry, head);
	}
}

/*
 * Run the timers on @head (TMR1: still pending until taken off it, so
 * del_timer() and mod_timer() work on them under base->lock as usual).
 */
static void expire_timers(struct timer_base *base, struct list_head *head)
{
	struct timer_list *timer;

	while ((timer = list_first_entry_or_null(head, struct timer_list, entry))) {
		list_del_init(&timer->entry);
		base->running_timer = timer;
		raw_spin_unlock(&base->lock);
		timer->function(timer);
		raw_spin_lock(&base->lock);
		base->running_timer = NULL;
	}
}

void run_local_timers(void)
{
	unsigned long flags = arch_local_irq_save();
	struct timer_base *base = base_of((int)arch_smp_processor_id());
	unsigned long now;
	LIST_HEAD(expired);

	raw_spin_lock(&base->lock);
	now = jiffies;
	if (time_after_eq(now, base->clk)) {
		collect_expired_timers(base, now, &expired);
		base->clk = now + 1;
		expire_timers(base, &expired);
	}
	raw_spin_unlock(&base->lock);
	arch_local_irq_restore(flags);
}

bool timers_pending_local(void)
{
	return !list_empty(&timer_bases[arch_smp_processor_id()].list);
}

void timer_mark_tick(void)
{
	timer_bases[arch_smp_processor_id()].tick_seen = true;
}

bool tick_running(void)
{
	return READ_ONCE(timer_bases[arch_smp_processor_id()].tick_seen);
}

/* --- checks --- */

#define CHECK_MAX_TIMERS 100000 /* a longer walk means a corrupt list */

static int check_timer_base(int cpu)
{
	struct timer_base *base = base_of(cpu);
	struct list_head *pos = &base->list;
	unsigned long prev_expires = 0;
	int bad = 0, n = 0;

	raw_spin_lock(&base->lock);
	while (pos->next != &base->list && ++n <= CHECK_MAX_TIMERS) {
		struct timer_list *timer =
			list_entry(pos->next, struct timer_list, entry);

		if (pos->next->prev != pos || timer->base_cpu != cpu ||
		    (n > 1 && time_before(timer->expires, prev_expires))) {
			pr_err("timer: base %d: timer %p badly linked, on base %d, "
			       "or out of order\n",
			       cpu, timer, timer->base_cpu);
			bad++;
			break;
		}
		prev_expires = timer->expires;
		pos = pos->next;
	}
	if (n > CHECK_MAX_TIMERS) {
		pr_err("timer: base %d: list does not end\n", cpu);
		bad++;
	}
	raw_spin_unlock(&base->lock);
	return bad;
}

int timer_check_invariants(void)
{
	unsigned long flags = arch_local_irq_save();
	int bad = 0;

	for (int cpu = 0; cpu < (int)num_possible_cpus(); cpu++)
		bad += check_timer_base(cpu);
	arch_local_irq_restore(flags);
	return bad;
}

/* --- sleeping with a timeout --- */

struct process_timer {
	struct timer_list timer;
	struct task_struct *task;
};

static void process_timeout(struct timer_list *t)
{
	struct process_timer *timeout = from_timer(timeout, t, timer);

	wake_up_process(timeout->task);
}

long schedule_timeout(long timeout)
{
	struct process_timer timer;
	unsigned long expire;

	if (timeout == MAX_SCHEDULE_TIMEOUT) {
		schedule();
		return timeout;
	}
	jiffies_sync();
	if (timeout < 0) {
		WARN_ON_ONCE(1);
		__set_current_state(TASK_RUNNING);
		return 0;
	}
	expire = timeout + jiffies;
	timer.task = current;
	timer_setup(&timer.timer, process_timeout, 0);
	__mod_timer(&timer.timer, expire, -1);
	schedule();
	del_timer_sync(&timer.timer);
	timeout = (long)(expire - jiffies);
	return timeout < 0 ? 0 : timeout;
}

long schedule_timeout_uninterruptible(long timeout)
{
	__set_current_state(TASK_UNINTERRUPTIBLE);
	return schedule_timeout(timeout);
}

long schedule_timeout_interruptible(long timeout)
{
	__set_current_state(TASK_INTERRUPTIBLE);
	return schedule_timeout(timeout);
}

long io_schedule_timeout(long timeout)
{
	struct task_struct *t = current;
	u64 start = arch_clock_ns();
	long ret;

	t->in_iowait = true;
	ret = schedule_timeout(timeout);
	t->in_iowait = false;
	t->iowait_ns += arch_clock_ns() - start;
	return ret;
}

void io_schedule(void)
{
	io_schedule_timeout(MAX_SCHEDULE_TIMEOUT);
}

void msleep(unsigned int msecs)
{
	unsigned long timeout = msecs_to_jiffies(msecs) + 1;

	current->wait_what = "msleep";
	while (timeout)
		timeout = schedule_timeout_uninterruptible(timeout);
	current->wait_what = NULL;
}

void usleep_range(unsigned long min_us, unsigned long max_us)
{
	if (min_us < 1000) {
		udelay(min_us);
		return;
	}
	msleep((unsigned int)DIV_ROUND_UP(min_us, 1000));
}
