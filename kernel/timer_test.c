/*
 * kernel/timer_test.c - KTAP suites "timer" (timer_list, sleeping) and
 * "kthread" (create, bind, stop).
 */
#include <quire/ktest.h>
#include <quire/timer.h>
#include <quire/kthread.h>
#include <quire/sched.h>
#include <quire/smp.h>
#include <quire/atomic.h>
#include <quire/completion.h>
#include <quire/errno.h>
#include <quire/mm.h>
#include <arch/time.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include "sched_internal.h"

#define NR_ORDER_TIMERS 5

struct order_timer {
	struct timer_list timer;
	int id;
};

static struct order_timer order_timers[NR_ORDER_TIMERS];
static int fired_order[NR_ORDER_TIMERS * 2];
static atomic_t nr_fired;

static void order_fn(struct timer_list *t)
{
	struct order_timer *ot = from_timer(ot, t, timer);
	int slot = atomic_inc_return(&nr_fired) - 1;

	if (slot < NR_ORDER_TIMERS * 2)
		fired_order[slot] = ot->id;
}

static void timers_fire_once_in_order(struct ktest *t)
{
	unsigned long now = jiffies;

	atomic_set(&nr_fired, 0);
	/* Added in reverse order of expiry, all on CPU 0's base. */
	for (int i = NR_ORDER_TIMERS - 1; i >= 0; i--) {
		order_timers[i].id = i;
		timer_setup(&order_timers[i].timer, order_fn, 0);
		order_timers[i].timer.expires = now + 2 + 2 * i;
		add_timer_on(&order_timers[i].timer, 0);
	}
	KTEST_EXPECT_TRUE(t, timer_pending(&order_timers[0].timer));
	msleep(jiffies_to_msecs(2 + 2 * NR_ORDER_TIMERS));
	/* A loaded host may hold CPU 0 off for a while: allow 10 s. */
	for (int i = 0; i < 10000 && atomic_read(&nr_fired) < NR_ORDER_TIMERS; i++)
		msleep(1);
	msleep(20);	/* a timer firing twice would show up now */
	KTEST_ASSERT_EQ(t, atomic_read(&nr_fired), NR_ORDER_TIMERS);
	for (int i = 0; i < NR_ORDER_TIMERS; i++) {
		KTEST_EXPECT_EQ(t, fired_order[i], i);
		KTEST_EXPECT_FALSE(t, timer_pending(&order_timers[i].timer));
	}
}

static void del_timer_prevents_firing_mod_timer_reports_pending(struct ktest *t)
{
	static struct order_timer ot;

	atomic_set(&nr_fired, 0);
	timer_setup(&ot.timer, order_fn, 0);
	KTEST_EXPECT_EQ(t, mod_timer(&ot.timer, jiffies + HZ), 0);
	KTEST_EXPECT_EQ(t, mod_timer(&ot.timer, jiffies + 2), 1);
	KTEST_EXPECT_EQ(t, del_timer(&ot.timer), 1);
	KTEST_EXPECT_EQ(t, del_timer(&ot.timer), 0);
	msleep(40);
	KTEST_EXPECT_EQ(t, atomic_read(&nr_fired), 0);
}

struct slow_timer {
	struct timer_list timer;
	int running;
	int done;
};

static void slow_fn(struct timer_list *t)
{
	struct slow_timer *st = from_timer(st, t, timer);

	__atomic_store_n(&st->running, 1, __ATOMIC_RELEASE);
	mdelay(50);
	__atomic_store_n(&st->done, 1, __ATOMIC_RELEASE);
}

static void del_timer_sync_waits_for_running_handler(struct ktest *t)
{
	static struct slow_timer st;
	unsigned long end = jiffies + 5 * HZ;

	st.running = st.done = 0;
	timer_setup(&st.timer, slow_fn, 0);
	mod_timer(&st.timer, jiffies + 1);
	while (!__atomic_load_n(&st.running, __ATOMIC_ACQUIRE) && time_before(jiffies, end))
		yield(), timer_poll(), arch_cpu_relax();
	KTEST_ASSERT_TRUE(t, __atomic_load_n(&st.running, __ATOMIC_ACQUIRE));
	del_timer_sync(&st.timer);
	KTEST_EXPECT_EQ(t, __atomic_load_n(&st.done, __ATOMIC_ACQUIRE), 1);
	KTEST_EXPECT_FALSE(t, timer_pending(&st.timer));
}

#define REARM_RUNS 4

struct rearm_timer {
	struct timer_list timer;
	int runs;			      /* written by the handler, release */
	unsigned long jiffies_at[REARM_RUNS]; /* jiffies in each run */
};

/* Re-arm for a time already due (now), REARM_RUNS times in all. */
static void rearm_now_fn(struct timer_list *t)
{
	struct rearm_timer *rt = from_timer(rt, t, timer);
	int n = rt->runs;

	rt->jiffies_at[n] = jiffies;
	__atomic_store_n(&rt->runs, n + 1, __ATOMIC_RELEASE);
	if (n + 1 < REARM_RUNS)
		mod_timer(t, jiffies);
}

/*
 * A handler that re-arms its timer for a time already due does not run
 * again in the same pass (which, with interrupts off and jiffies standing
 * still, would never end): as in Linux, it runs at the next jiffy.
 */
static void timer_rearmed_for_now_runs_at_next_jiffy(struct ktest *t)
{
	static struct rearm_timer rt;

	rt.runs = 0;
	timer_setup(&rt.timer, rearm_now_fn, 0);
	mod_timer(&rt.timer, jiffies);
	for (int i = 0;
	     i < 10000 && __atomic_load_n(&rt.runs, __ATOMIC_ACQUIRE) < REARM_RUNS; i++)
		msleep(1);
	del_timer_sync(&rt.timer);
	KTEST_ASSERT_EQ(t, __atomic_load_n(&rt.runs, __ATOMIC_ACQUIRE), REARM_RUNS);
	for (int i = 1; i < REARM_RUNS; i++)
		KTEST_EXPECT_TRUE(t, time_after(rt.jiffies_at[i], rt.jiffies_at[i - 1]));
}

/* Rounds of the race; test --quick runs 5 (this case was most of the
 * suite's 21 s under TSan on 4 CPUs). */
#define MOD_RACE_ROUNDS	      20
#define MOD_RACE_ROUNDS_QUICK 5
#define MOD_RACE_CALLS	      5000 /* mod_timer() calls per racer per round */
#define MOD_RACE_RACERS	      4	   /* one per CPU, at most */

#define MOD_RACE_FILLERS 500 /* armed timers per racer's base */

struct mod_race {
	struct timer_list timer;
	struct timer_list fillers[MOD_RACE_RACERS][MOD_RACE_FILLERS];
	int rounds; /* set before the racers start */
	int go;	    /* atomic: rounds released */
	int done;   /* atomic: racers that finished this round */
};

static void never_fires_fn(struct timer_list *t)
{
}

/* Bound to its own CPU: each mod_timer() moves the timer here, from the
 * CPU of whichever racer armed it last. */
static int mod_timer_racer(void *arg)
{
	struct mod_race *mr = arg;
	struct timer_list *fillers = mr->fillers[smp_processor_id() % MOD_RACE_RACERS];

	/* Earlier than the raced timer: each enqueue on this base walks past
	 * them holding its lock, so the racers' calls overlap. */
	for (int i = 0; i < MOD_RACE_FILLERS; i++) {
		timer_setup(&fillers[i], never_fires_fn, 0);
		mod_timer(&fillers[i], jiffies + 50 * HZ);
	}
	for (int round = 1; round <= mr->rounds; round++) {
		while (__atomic_load_n(&mr->go, __ATOMIC_ACQUIRE) < round)
			arch_cpu_relax();
		for (int i = 0; i < MOD_RACE_CALLS; i++)
			mod_timer(&mr->timer, jiffies + 100 * HZ);
		__atomic_fetch_add(&mr->done, 1, __ATOMIC_RELEASE);
	}
	for (int i = 0; i < MOD_RACE_FILLERS; i++)
		del_timer_sync(&fillers[i]);
	return 0;
}

static unsigned int start_racers(struct task_struct **k, struct mod_race *mr)
{
	unsigned int n = 0, cpu;

	for_each_online_cpu(cpu) {
		if (n == MOD_RACE_RACERS)
			break;
		k[n] = kthread_create(mod_timer_racer, mr, "modrace%u", cpu);
		if (IS_ERR(k[n]))
			break;
		kthread_bind(k[n], cpu);
		wake_up_process(k[n]);
		n++;
	}
	return n;
}

/*
 * mod_timer() on one timer from several CPUs at once, starting from a
 * timer that was never armed: each call moves it to the caller's base, and
 * another CPU must wait for the move to finish (Linux: TIMER_MIGRATING),
 * never find it on no list with a stale base and arm it a second time.
 * After each round it is pending on exactly one base (TMR1).
 */
static void concurrent_mod_timer_keeps_timer_on_one_base(struct ktest *t)
{
	static struct mod_race mr;
	struct task_struct *k[MOD_RACE_RACERS];
	unsigned int n;

	mr.go = 0;
	mr.rounds = ktest_quick() ? MOD_RACE_ROUNDS_QUICK : MOD_RACE_ROUNDS;
	n = start_racers(k, &mr);
	KTEST_ASSERT_NE(t, n, 0);
	for (int round = 1; round <= mr.rounds; round++) {
		timer_setup(&mr.timer, never_fires_fn, 0);
		__atomic_store_n(&mr.done, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&mr.go, round, __ATOMIC_RELEASE);
		while (__atomic_load_n(&mr.done, __ATOMIC_ACQUIRE) < (int)n)
			yield();
		KTEST_EXPECT_EQ(t, timer_check_invariants(), 0);
		KTEST_EXPECT_EQ(t, del_timer_sync(&mr.timer), 1);
		KTEST_EXPECT_FALSE(t, timer_pending(&mr.timer));
		KTEST_EXPECT_EQ(t, timer_check_invariants(), 0);
	}
	for (unsigned int i = 0; i < n; i++)
		KTEST_EXPECT_EQ(t, kthread_stop(k[i]), 0);
}

static void msleep_sleeps_at_least_its_time(struct ktest *t)
{
	u64 start = arch_clock_ns();

	msleep(30);
	KTEST_EXPECT_GE(t, arch_clock_ns() - start, 30 * 1000000ULL);
}

static void stall_fn(struct timer_list *t)
{
	mdelay(50);
}

/* Sleep @ms and check it took at least that long by the clock. */
static void expect_msleep_at_least(struct ktest *t, unsigned int ms)
{
	u64 start = arch_clock_ns();

	msleep(ms);
	KTEST_EXPECT_GE(t, arch_clock_ns() - start, ms * 1000000ULL);
}

/*
 * A correctness bound, not a timing test: msleep(ms) never returns before
 * ms ms of arch_clock_ns() have passed, also when ticks come late and
 * jiffies lags the clock: right after this CPU spent 50 ms with interrupts
 * off, and while a timer handler holds this CPU for 50 ms.
 */
static void msleep_never_ends_early_after_late_ticks(struct ktest *t)
{
	static const unsigned int ms[] = { 1, 2, 5, 10, 30 };
	struct timer_list stall;

	timer_setup(&stall, stall_fn, 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(ms); i++) {
		unsigned long flags = arch_local_irq_save();

		mdelay(50);
		arch_local_irq_restore(flags);
		expect_msleep_at_least(t, ms[i]);
		mod_timer(&stall, jiffies + 1);
		expect_msleep_at_least(t, ms[i]);
		del_timer_sync(&stall);
	}
}

static void schedule_timeout_returns_0_after_timeout(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, schedule_timeout_uninterruptible(3), 0);
	KTEST_EXPECT_EQ(t, current->state, TASK_RUNNING);
}

static void jiffies_helpers_round_and_compare(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, msecs_to_jiffies(1), 1);
	KTEST_EXPECT_EQ(t, msecs_to_jiffies(1000), HZ);
	KTEST_EXPECT_EQ(t, jiffies_to_msecs(HZ), 1000);
	KTEST_EXPECT_TRUE(t, time_after(1UL, ~0UL));
	KTEST_EXPECT_TRUE(t, time_before(~0UL, 1UL));
}

static const struct ktest_case timer_cases[] = {
	KTEST_CASE(timers_fire_once_in_order),
	KTEST_CASE(del_timer_prevents_firing_mod_timer_reports_pending),
	KTEST_CASE(del_timer_sync_waits_for_running_handler),
	KTEST_CASE(timer_rearmed_for_now_runs_at_next_jiffy),
	KTEST_CASE(concurrent_mod_timer_keeps_timer_on_one_base),
	KTEST_CASE(msleep_sleeps_at_least_its_time),
	KTEST_CASE(msleep_never_ends_early_after_late_ticks),
	KTEST_CASE(schedule_timeout_returns_0_after_timeout),
	KTEST_CASE(jiffies_helpers_round_and_compare),
	KTEST_END,
};

static const struct ktest_suite timer_suite = {
	.name = "timer",
	.cases = timer_cases,
};
KTEST_SUITE(timer_suite);

/* --- kthreads --- */

static int loop_until_stopped(void *arg)
{
	atomic_t *ran = arg;

	atomic_inc(ran);
	while (!kthread_should_stop())
		msleep(1);
	return 42;
}

static void kthread_stop_joins_and_returns_result(struct ktest *t)
{
	atomic_t ran = ATOMIC_INIT(0);
	struct task_struct *k = kthread_run(loop_until_stopped, &ran, "looper");

	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	for (int i = 0; i < 10000 && !atomic_read(&ran); i++)
		msleep(1);	/* stopped before it ran, it would return -EINTR */
	KTEST_EXPECT_EQ(t, kthread_stop(k), 42);
	KTEST_EXPECT_EQ(t, atomic_read(&ran), 1);
}

static void kthread_stop_before_start_returns_eintr(struct ktest *t)
{
	atomic_t ran = ATOMIC_INIT(0);
	struct task_struct *k = kthread_create(loop_until_stopped, &ran, "never");

	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	KTEST_EXPECT_EQ(t, kthread_stop(k), -EINTR);
	KTEST_EXPECT_EQ(t, atomic_read(&ran), 0);
}

static int return_zero(void *unused)
{
	return 0;
}

/* 0 or -ENOMEM; stopped before or after it ran, whichever comes. */
static int create_and_stop(void)
{
	struct task_struct *k = kthread_run(return_zero, NULL, "short");

	if (IS_ERR(k))
		return PTR_ERR(k);
	kthread_stop(k);
	return 0;
}

/* kthread_stop() returns once the thread's stack and struct are freed
 * (synchronously, not by some later reaping): page counts are exact. */
static void kthread_stop_frees_stack_and_struct(struct ktest *t)
{
	unsigned long before;

	KTEST_ASSERT_EQ(t, create_and_stop(), 0);	/* warm the slab */
	reap_dead_tasks();
	before = nr_free_pages();
	for (int i = 0; i < 20; i++)
		KTEST_ASSERT_EQ(t, create_and_stop(), 0);
	KTEST_EXPECT_EQ(t, nr_free_pages(), before);
}

struct where {
	int cpu;
	struct completion done;
};

static int report_cpu(void *arg)
{
	struct where *w = arg;

	w->cpu = (int)smp_processor_id();
	complete(&w->done);
	return 0;
}

static void kthread_bind_runs_on_that_cpu(struct ktest *t)
{
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		struct where w = { .cpu = -1 };
		struct task_struct *k;

		init_completion(&w.done);
		k = kthread_create(report_cpu, &w, "bound%u", cpu);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
		kthread_bind(k, cpu);
		wake_up_process(k);
		wait_for_completion(&w.done);
		KTEST_EXPECT_EQ(t, kthread_stop(k), 0);
		KTEST_EXPECT_EQ(t, w.cpu, cpu);
	}
}

static void set_cpus_allowed_moves_current(struct ktest *t)
{
	struct cpumask saved = current->cpus_allowed;
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		struct cpumask m = cpumask_of(cpu);

		KTEST_ASSERT_EQ(t, set_cpus_allowed_ptr(current, &m), 0);
		KTEST_EXPECT_EQ(t, smp_processor_id(), cpu);
	}
	set_cpus_allowed_ptr(current, &saved);
	KTEST_EXPECT_EQ(t, set_cpus_allowed_ptr(current, &CPU_MASK_NONE), -EINVAL);
}

static void spinlock_disables_preemption(struct ktest *t)
{
	DEFINE_SPINLOCK(lock);
	unsigned int before = preempt_count();

	spin_lock(&lock);
	KTEST_EXPECT_EQ(t, preempt_count(), before + 1);
	KTEST_EXPECT_TRUE(t, in_atomic());
	spin_unlock(&lock);
	KTEST_EXPECT_EQ(t, preempt_count(), before);
}

static const struct ktest_case kthread_cases[] = {
	KTEST_CASE(kthread_stop_joins_and_returns_result),
	KTEST_CASE(kthread_stop_before_start_returns_eintr),
	KTEST_CASE(kthread_stop_frees_stack_and_struct),
	KTEST_CASE(kthread_bind_runs_on_that_cpu),
	KTEST_CASE(set_cpus_allowed_moves_current),
	KTEST_CASE(spinlock_disables_preemption),
	KTEST_END,
};

static const struct ktest_suite kthread_suite = {
	.name = "kthread",
	.cases = kthread_cases,
};
KTEST_SUITE(kthread_suite);
