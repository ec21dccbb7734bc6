/*
 * kernel/sched_test.c - KTAP suite `sched`: preemption on wake-up and
 * affinity changes of running tasks.
 *
 * No case measures time: "preempts at once" is checked as "the woken task
 * ran before the waker made any further progress", counted in steps.
 */
#include <quire/ktest.h>
#include <quire/sched.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/smp.h>
#include <quire/string.h>
#include <quire/jiffies.h>
#include <quire/preempt.h>
#include <arch/cpu.h>
#include "sched_internal.h"

#define WAKE_ROUNDS 20
#define WAKER_STEPS 1000

struct wake_probe {
	bool use_completion; /* complete() or wake_up_process() */
	struct completion go;
	int go_round; /* atomic: rounds released so far */
	struct completion ran;
	int steps;	       /* atomic: waker's steps after the wake-up */
	int seen[WAKE_ROUNDS]; /* steps the woken task saw, per round */
};

static void wait_for_go(struct wake_probe *wp, int round)
{
	if (wp->use_completion) {
		wait_for_completion(&wp->go);
		return;
	}
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (__atomic_load_n(&wp->go_round, __ATOMIC_ACQUIRE) > round)
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
}

static int high_prio_sleeper(void *arg)
{
	struct wake_probe *wp = arg;

	for (int i = 0; i < WAKE_ROUNDS; i++) {
		wait_for_go(wp, i);
		wp->seen[i] = __atomic_load_n(&wp->steps, __ATOMIC_RELAXED);
		complete(&wp->ran);
	}
	return 0;
}

static void release_round(struct wake_probe *wp, struct task_struct *k, int round)
{
	if (wp->use_completion) {
		complete(&wp->go);
		return;
	}
	__atomic_store_n(&wp->go_round, round + 1, __ATOMIC_RELEASE);
	wake_up_process(k);
}

/* The waker (the test thread, PRIO_NORMAL, bound to this CPU) wakes a
 * PRIO_HIGH task bound to the same CPU, then counts steps. */
static void wake_high_prio_here(struct ktest *t, bool use_completion)
{
	struct wake_probe wp = {.use_completion = use_completion};
	struct task_struct *k;
	int late = 0, max_steps = 0;

	init_completion(&wp.go);
	init_completion(&wp.ran);
	k = kthread_create(high_prio_sleeper, &wp, "hiprio");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	kthread_bind(k, smp_processor_id());
	sched_set_prio_class(k, PRIO_HIGH);
	wake_up_process(k);
	for (int i = 0; i < WAKE_ROUNDS; i++) {
		__atomic_store_n(&wp.steps, 0, __ATOMIC_RELAXED);
		release_round(&wp, k, i);
		for (int s = 1; s <= WAKER_STEPS; s++)
			__atomic_store_n(&wp.steps, s, __ATOMIC_RELAXED);
		wait_for_completion(&wp.ran);
	}
	KTEST_EXPECT_EQ(t, kthread_stop(k), 0);
	for (int i = 0; i < WAKE_ROUNDS; i++) {
		late += wp.seen[i] != 0;
		max_steps = max(max_steps, wp.seen[i]);
	}
	if (late)
		ktest_fail(
			t, __FILE__, __LINE__,
			"%s: the woken task ran late in %d of %d rounds (up to %d waker steps)",
			use_completion ? "complete()" : "wake_up_process()", late,
			WAKE_ROUNDS, max_steps);
}

static void wake_by_complete_on_cpu0(struct ktest *t)
{
	wake_high_prio_here(t, true);
}

static void wake_by_wake_up_process_on_cpu0(struct ktest *t)
{
	wake_high_prio_here(t, false);
}

/*
 * A wake-up of a higher-priority task on the waker's CPU preempts the
 * waker where it re-enables preemption or interrupts: the woken task has
 * run before the waker takes one more step. Through complete() (a spinlock
 * held across the wake-up, as in mutex and rwsem hand-off) and through a
 * bare wake_up_process().
 */
static void wake_up_preempts_lower_prio_waker_at_once(struct ktest *t)
{
	ktest_on_cpu(t, 0, wake_by_complete_on_cpu0);
	ktest_on_cpu(t, 0, wake_by_wake_up_process_on_cpu0);
}

#define AFFINITY_ROUNDS 300 /* moves away from and back to CPU 0 */

static int spin_until_stopped(void *arg)
{
	int *started = arg;

	__atomic_store_n(started, 1, __ATOMIC_RELEASE);
	while (!kthread_should_stop())
		arch_cpu_relax();
	return 0;
}

static bool task_runs_on(struct task_struct *p, unsigned int cpu)
{
	return READ_ONCE(p->cpu) == cpu && __atomic_load_n(&p->on_cpu, __ATOMIC_ACQUIRE);
}

/* The test thread, on CPU 0, moves spinning @k to each other CPU in turn,
 * waits until it runs there, then asks for CPU 0 until it has arrived. */
static void bounce_task_off_cpu0(struct ktest *t, struct task_struct *k)
{
	struct cpumask cpu0 = cpumask_of(0);
	unsigned int n = num_online_cpus();

	for (unsigned int i = 0; n > 1 && i < AFFINITY_ROUNDS; i++) {
		unsigned int cpu = 1 + i % (n - 1);
		struct cpumask away = cpumask_of(cpu);

		KTEST_ASSERT_EQ(t, set_cpus_allowed_ptr(k, &away), 0);
		while (!task_runs_on(k, cpu))
			arch_cpu_relax();
		do
			KTEST_ASSERT_EQ(t, set_cpus_allowed_ptr(k, &cpu0), 0);
		while (READ_ONCE(k->cpu) != 0);
	}
}

static void affinity_bounce_on_cpu0(struct ktest *t)
{
	int started = 0;
	struct task_struct *k = kthread_run(spin_until_stopped, &started, "spinner");

	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
		yield();
	bounce_task_off_cpu0(t, k);
	KTEST_EXPECT_EQ(t, sched_check_invariants(), 0);
	KTEST_EXPECT_EQ(t, kthread_stop(k), 0);
	KTEST_EXPECT_EQ(t, sched_check_invariants(), 0);
}

/*
 * Move a running task away from the CPU where it runs, repeating the
 * request until it has arrived: the repeated calls find it running,
 * switched out but not yet on its new queue (SCHED5), or queued there, and
 * each must leave it on exactly one run queue (SCHED1, SCHED2, checked by
 * sched_check_invariants()).
 */
static void set_cpus_allowed_on_a_moving_task_keeps_run_queues_sane(struct ktest *t)
{
	ktest_on_cpu(t, 0, affinity_bounce_on_cpu0);
}

/*
 * A task preempted in a sleep state (after set_current_state(), before
 * schedule()) keeps that state when set_cpus_allowed_ptr() moves it: as
 * in Linux, moving a queued task is not a wake-up, and its schedule()
 * still sleeps.
 */
struct moved_sleeper {
	struct task_struct *spinner;
	bool preempted, stop_spin, woken;
};

static int moved_spinner_fn(void *arg)
{
	struct moved_sleeper *m = arg;

	while (!READ_ONCE(m->stop_spin))
		arch_cpu_relax();
	return 0;
}

static int moved_sleeper_fn(void *arg)
{
	struct moved_sleeper *m = arg;

	set_current_state(TASK_UNINTERRUPTIBLE);
	WRITE_ONCE(m->preempted, true);
	wake_up_process(m->spinner); /* PRIO_HIGH, this CPU: preempts us */
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_UNINTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static void moved_sleeper_body(struct ktest *t)
{
	static struct moved_sleeper m;
	struct cpumask one = cpumask_of(1);
	struct task_struct *k;

	memset(&m, 0, sizeof(m));
	m.spinner = kthread_create(moved_spinner_fn, &m, "moved_spin");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, m.spinner);
	kthread_bind(m.spinner, 0);
	sched_set_prio_class(m.spinner, PRIO_HIGH);
	k = kthread_create(moved_sleeper_fn, &m, "moved_sleep");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	kthread_bind(k, 0);
	wake_up_process(k);
	/* Wait until it is preempted, queued on CPU 0 in its sleep state. */
	while (!READ_ONCE(m.preempted) || READ_ONCE(k->on_cpu) ||
	       !READ_ONCE(m.spinner->on_cpu))
		arch_cpu_relax();
	KTEST_EXPECT_EQ(t, READ_ONCE(k->state), TASK_UNINTERRUPTIBLE);
	KTEST_EXPECT_EQ(t, set_cpus_allowed_ptr(k, &one), 0);
	KTEST_EXPECT_EQ(t, READ_ONCE(k->state), TASK_UNINTERRUPTIBLE);
	WRITE_ONCE(m.stop_spin, true);
	kthread_stop(m.spinner);
	kthread_stop(k);
}

static void set_cpus_allowed_is_not_a_wakeup(struct ktest *t)
{
	if (num_online_cpus() < 2)
		ktest_skip(t, "needs 2 CPUs");
	ktest_on_cpu(t, 1, moved_sleeper_body);
}

/*
 * SCHED6: an idle CPU never takes the lock of a run queue whose queued
 * tasks are all pinned to that CPU. Idle CPUs were taking it at each tick
 * to find nothing; in QEMU on an overcommitted host the queue's own tick
 * then waited longer than a tick period for its rq->lock, took the next
 * tick at once on return and ran no task for seconds
 * (watermark.slow_path_wakes_every_nodes_kswapd: kswapd1 queued, never
 * run). Here a task pinned to this CPU waits queued behind us (preemption
 * off) for PINNED_WAIT_TICKS while the other CPUs idle and tick: no
 * idle_pull() may lock our queue (nr_pull_misses). Then the queued task
 * is allowed everywhere and pinned again: nr_movable follows (checked by
 * sched_check_invariants() under the locks). One CPU: only the counts.
 */
#define PINNED_WAIT_TICKS 8

static int pinned_fn(void *arg)
{
	return 0;
}

static void pinned_queue_body(struct ktest *t)
{
	unsigned int cpu = raw_smp_processor_id();
	struct rq *rq = &runqueues[cpu];
	struct cpumask here = cpumask_of(cpu), all = CPU_MASK_ALL;
	unsigned long misses, end;
	struct task_struct *k;

	k = kthread_create(pinned_fn, NULL, "pinned");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	kthread_bind(k, cpu);
	preempt_disable();
	wake_up_process(k);
	misses = READ_ONCE(rq->nr_pull_misses);
	end = jiffies + PINNED_WAIT_TICKS;
	while (time_before(jiffies, end))
		arch_cpu_relax();
	KTEST_EXPECT_EQ(t, READ_ONCE(rq->nr_pull_misses) - misses, 0);
	KTEST_EXPECT_EQ(t, READ_ONCE(k->cpu), cpu);
	KTEST_EXPECT_EQ(t, sched_check_invariants(), 0);
	KTEST_EXPECT_EQ(t, set_cpus_allowed_ptr(k, &all), 0);
	KTEST_EXPECT_EQ(t, sched_check_invariants(), 0);
	KTEST_EXPECT_EQ(t, set_cpus_allowed_ptr(k, &here), 0);
	KTEST_EXPECT_EQ(t, sched_check_invariants(), 0);
	preempt_enable();
	kthread_stop(k); /* 0, or -EINTR if it never ran: either is fine */
	KTEST_EXPECT_EQ(t, sched_check_invariants(), 0);
}

static void idle_cpus_leave_a_queue_of_pinned_tasks_alone(struct ktest *t)
{
	ktest_on_cpu(t, num_online_cpus() - 1, pinned_queue_body);
}

static const struct ktest_case sched_cases[] = {
	KTEST_CASE(wake_up_preempts_lower_prio_waker_at_once),
	KTEST_CASE(set_cpus_allowed_on_a_moving_task_keeps_run_queues_sane),
	KTEST_CASE(set_cpus_allowed_is_not_a_wakeup),
	KTEST_CASE(idle_cpus_leave_a_queue_of_pinned_tasks_alone),
	KTEST_END,
};

static const struct ktest_suite sched_suite = {
	.name = "sched",
	.cases = sched_cases,
};
KTEST_SUITE(sched_suite);
