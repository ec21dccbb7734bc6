/*
 * kernel/workqueue_test.c - KTAP suite "workqueue": queueing, delayed
 * work, flush and cancel semantics.
 */
#include <quire/ktest.h>
#include <quire/workqueue.h>
#include <quire/completion.h>
#include <quire/atomic.h>
#include <quire/timer.h>
#include <quire/smp.h>
#include <quire/errno.h>

struct test_work {
	struct work_struct work;
	struct delayed_work dwork;
	atomic_t runs;
	unsigned long ran_at;		/* jiffies */
	unsigned int sleep_ms;
	int cpu;
};

static void count_fn(struct work_struct *work)
{
	struct test_work *tw = container_of(work, struct test_work, work);

	if (tw->sleep_ms)
		msleep(tw->sleep_ms);
	tw->cpu = (int)smp_processor_id();
	atomic_inc(&tw->runs);
}

static void dcount_fn(struct work_struct *work)
{
	struct test_work *tw = container_of(to_delayed_work(work), struct test_work,
					    dwork);

	tw->ran_at = jiffies;
	atomic_inc(&tw->runs);
}

struct blocker_work {
	struct work_struct work;
	struct completion started, release;
};

static void blocker_fn(struct work_struct *work)
{
	struct blocker_work *b = container_of(work, struct blocker_work, work);

	complete(&b->started);
	wait_for_completion(&b->release);
}

/*
 * The item is queued behind a blocker that waits for the test, so it is
 * still pending at the second queue_work() whatever the interleaving (a
 * worker free to pick it at once could run it before, and the second
 * call would then rightly queue it again).
 */
static void queue_work_runs_once_flush_work_waits(struct ktest *t)
{
	static struct test_work tw;
	static struct blocker_work b;
	struct workqueue_struct *wq = alloc_workqueue("ktest_wq1", WQ_UNBOUND, 1);

	KTEST_ASSERT_NOT_NULL(t, wq);
	INIT_WORK(&b.work, blocker_fn);
	init_completion(&b.started);
	init_completion(&b.release);
	tw.sleep_ms = 20;
	atomic_set(&tw.runs, 0);
	INIT_WORK(&tw.work, count_fn);
	KTEST_EXPECT_TRUE(t, queue_work(wq, &b.work));
	KTEST_EXPECT_EQ(t, workqueue_check(wq), 0);
	wait_for_completion(&b.started);
	KTEST_EXPECT_TRUE(t, queue_work(wq, &tw.work));
	KTEST_EXPECT_EQ(t, workqueue_check(wq), 0);
	KTEST_EXPECT_FALSE(t, queue_work(wq, &tw.work)); /* pending */
	complete(&b.release);
	KTEST_EXPECT_TRUE(t, flush_work(&tw.work));
	KTEST_EXPECT_EQ(t, workqueue_check(wq), 0);
	KTEST_EXPECT_EQ(t, atomic_read(&tw.runs), 1);
	KTEST_EXPECT_FALSE(t, work_pending(&tw.work));
	KTEST_EXPECT_FALSE(t, flush_work(&tw.work));		/* idle */
	destroy_workqueue(wq);
}

static void queue_work_on_runs_on_that_cpu(struct ktest *t)
{
	static struct test_work tw;
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		tw.sleep_ms = 0;
		tw.cpu = -1;
		INIT_WORK(&tw.work, count_fn);
		KTEST_ASSERT_TRUE(t, queue_work_on((int)cpu, system_wq, &tw.work));
		KTEST_EXPECT_EQ(t, workqueue_check(system_wq), 0);
		flush_work(&tw.work);
		KTEST_EXPECT_EQ(t, workqueue_check(system_wq), 0);
		KTEST_EXPECT_EQ(t, tw.cpu, cpu);
	}
}

static void delayed_work_runs_after_its_delay(struct ktest *t)
{
	static struct test_work tw;
	unsigned long queued;

	atomic_set(&tw.runs, 0);
	INIT_DELAYED_WORK(&tw.dwork, dcount_fn);
	queued = jiffies;
	KTEST_EXPECT_TRUE(t, queue_delayed_work(system_wq, &tw.dwork, 10));
	KTEST_EXPECT_EQ(t, workqueue_check(system_wq), 0);
	KTEST_EXPECT_TRUE(t, delayed_work_pending(&tw.dwork));
	msleep(jiffies_to_msecs(10) + 200);
	KTEST_ASSERT_EQ(t, atomic_read(&tw.runs), 1);
	KTEST_EXPECT_GE(t, (long)(tw.ran_at - queued), 10);
}

static void cancel_delayed_work_sync_prevents_run(struct ktest *t)
{
	static struct test_work tw;

	atomic_set(&tw.runs, 0);
	INIT_DELAYED_WORK(&tw.dwork, dcount_fn);
	queue_delayed_work(system_wq, &tw.dwork, 5);
	KTEST_EXPECT_EQ(t, workqueue_check(system_wq), 0);
	KTEST_EXPECT_TRUE(t, cancel_delayed_work_sync(&tw.dwork));
	KTEST_EXPECT_EQ(t, workqueue_check(system_wq), 0);
	KTEST_EXPECT_FALSE(t, cancel_delayed_work_sync(&tw.dwork));
	KTEST_EXPECT_EQ(t, workqueue_check(system_wq), 0);
	msleep(jiffies_to_msecs(5) + 50);
	KTEST_EXPECT_EQ(t, atomic_read(&tw.runs), 0);
	KTEST_EXPECT_FALSE(t, delayed_work_pending(&tw.dwork));
}

static void mod_delayed_work_moves_the_timer(struct ktest *t)
{
	static struct test_work tw;
	unsigned long queued;

	atomic_set(&tw.runs, 0);
	INIT_DELAYED_WORK(&tw.dwork, dcount_fn);
	queued = jiffies;
	KTEST_EXPECT_FALSE(t, mod_delayed_work(system_wq, &tw.dwork, 5 * HZ));
	KTEST_EXPECT_EQ(t, workqueue_check(system_wq), 0);
	KTEST_EXPECT_TRUE(t, mod_delayed_work(system_wq, &tw.dwork, 2));
	KTEST_EXPECT_EQ(t, workqueue_check(system_wq), 0);
	flush_delayed_work(&tw.dwork);
	KTEST_EXPECT_EQ(t, workqueue_check(system_wq), 0);
	KTEST_EXPECT_EQ(t, atomic_read(&tw.runs), 1);
	KTEST_EXPECT_LT(t, (long)(tw.ran_at - queued), 5 * HZ);
}

static void cancel_work_sync_waits_for_running_instance(struct ktest *t)
{
	static struct test_work tw;

	tw.sleep_ms = 30;
	atomic_set(&tw.runs, 0);
	INIT_WORK(&tw.work, count_fn);
	queue_work(system_unbound_wq, &tw.work);
	KTEST_EXPECT_EQ(t, workqueue_check(system_unbound_wq), 0);
	msleep(5);	/* usually running by now; either way it must not run after */
	cancel_work_sync(&tw.work);
	KTEST_EXPECT_EQ(t, workqueue_check(system_wq), 0);
	KTEST_EXPECT_LE(t, atomic_read(&tw.runs), 1);
	{
		int runs = atomic_read(&tw.runs);

		msleep(50);
		KTEST_EXPECT_EQ(t, atomic_read(&tw.runs), runs);
	}
}

static void flush_workqueue_waits_for_all_queued(struct ktest *t)
{
	static struct test_work tw[8];
	struct workqueue_struct *wq = alloc_workqueue("ktest_wq", WQ_UNBOUND, 1);

	KTEST_ASSERT_NOT_NULL(t, wq);
	for (int i = 0; i < 8; i++) {
		tw[i].sleep_ms = 2;
		atomic_set(&tw[i].runs, 0);
		INIT_WORK(&tw[i].work, count_fn);
		queue_work(wq, &tw[i].work);
		KTEST_EXPECT_EQ(t, workqueue_check(wq), 0);
	}
	flush_workqueue(wq);
	KTEST_EXPECT_EQ(t, workqueue_check(wq), 0);
	for (int i = 0; i < 8; i++)
		KTEST_EXPECT_EQ(t, atomic_read(&tw[i].runs), 1);
	destroy_workqueue(wq);
}

/*
 * workqueue_check() sees a damaged item on a private queue: the worker is
 * held in a blocker, so the item stays on the worklist, untouched by it.
 */
static void workqueue_checker_catches_a_damaged_item(struct ktest *t)
{
	static struct test_work tw;
	static struct blocker_work b;
	struct workqueue_struct *wq = alloc_workqueue("ktest_wqcheck", WQ_UNBOUND, 1);
	void *pool;

	KTEST_ASSERT_NOT_NULL(t, wq);
	INIT_WORK(&b.work, blocker_fn);
	init_completion(&b.started);
	init_completion(&b.release);
	tw.sleep_ms = 0;
	atomic_set(&tw.runs, 0);
	INIT_WORK(&tw.work, count_fn);
	KTEST_EXPECT_TRUE(t, queue_work(wq, &b.work));
	wait_for_completion(&b.started);
	KTEST_EXPECT_TRUE(t, queue_work(wq, &tw.work));
	KTEST_EXPECT_EQ(t, workqueue_check(wq), 0);
	clear_bit(WORK_STRUCT_PENDING_BIT, &tw.work.data); /* WQ1 */
	KTEST_EXPECT_EQ(t, workqueue_check(wq), -EUCLEAN);
	set_bit(WORK_STRUCT_PENDING_BIT, &tw.work.data);
	pool = tw.work.pool;
	tw.work.pool = NULL; /* WQ2 */
	KTEST_EXPECT_EQ(t, workqueue_check(wq), -EUCLEAN);
	tw.work.pool = pool;
	KTEST_EXPECT_EQ(t, workqueue_check(wq), 0);
	complete(&b.release);
	flush_workqueue(wq);
	KTEST_EXPECT_EQ(t, atomic_read(&tw.runs), 1);
	destroy_workqueue(wq);
}

static const struct ktest_case workqueue_cases[] = {
	KTEST_CASE(queue_work_runs_once_flush_work_waits),
	KTEST_CASE(queue_work_on_runs_on_that_cpu),
	KTEST_CASE(delayed_work_runs_after_its_delay),
	KTEST_CASE(cancel_delayed_work_sync_prevents_run),
	KTEST_CASE(mod_delayed_work_moves_the_timer),
	KTEST_CASE(cancel_work_sync_waits_for_running_instance),
	KTEST_CASE(flush_workqueue_waits_for_all_queued),
	KTEST_CASE(workqueue_checker_catches_a_damaged_item),
	KTEST_END,
};

static const struct ktest_suite workqueue_suite = {
	.name = "workqueue",
	.cases = workqueue_cases,
};
KTEST_SUITE(workqueue_suite);
