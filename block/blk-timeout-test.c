/*
 * block/blk-timeout-test.c - KTAP suites "blk_timeout" and
 * "blk_timeout_flush" (a write cache without FUA): request timeouts
 * (block/blk-timeout.c) against tdev, a device that answers only when the
 * test says so (block/blk-mq-test.h), so "never answers" is the default.
 *
 * Layer: block (tests). Suites: blk_timeout, blk_timeout_flush. Runs
 * everywhere (no disk).
 * The race case is for the deterministic mode: quire-host --deterministic
 * --seed N --cpus 2 --exec 'test --seed N blk_timeout' replays it.
 */
#include <quire/blk-mq.h>
#include <quire/ktest.h>
#include <quire/kthread.h>
#include <quire/slab.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/timer.h>
#include <quire/workqueue.h>
#include <arch/cpu.h>
#include "blk.h"
#include "blk-mq-test.h"

#define WAIT_ROUNDS 20000 /* 1 ms sleeps: far beyond any timeout here */

/* Sleep until every bio of @tb ended; the device is not asked to finish
 * anything. false if they never did. */
static bool tbio_wait_rounds(struct tbio *tb, unsigned int n, int rounds)
{
	for (int round = 0; round < rounds; round++) {
		bool all = true;

		for (unsigned int i = 0; i < n; i++)
			all &= __atomic_load_n(&tb[i].done, __ATOMIC_ACQUIRE);
		if (all)
			return true;
		msleep(1);
	}
	return false;
}

static bool tbio_wait(struct tbio *tb, unsigned int n)
{
	return tbio_wait_rounds(tb, n, WAIT_ROUNDS);
}

static unsigned int tdev_tags_used(void)
{
	return READ_ONCE(tdev.disk->queue->hctxs[0]->nr_tags_used);
}

static u64 tdev_timeouts(void)
{
	struct disk_stats st;

	disk_stats_read(tdev.disk, &st);
	return st.timeouts;
}

/* A tdev whose requests time out after one tick. */
static int init_timeout(struct ktest *t)
{
	int err = tdev_init(t, false, false, 8, 8);

	if (!err)
		blk_queue_rq_timeout(tdev.disk->queue, 1);
	return err;
}

/*
 * Issue 8 part 3: three writes the device never answers. Before, their
 * submitter waited for ever; now the timeout resets the device, each
 * write ends once with -EIO, the disk is dead and a new bio fails at
 * once without reaching the driver.
 */
static void requests_never_answered_fail_once_with_eio_and_disk_dies(struct ktest *t)
{
	struct tbio tb[3], late;
	unsigned int logged;

	for (int i = 0; i < 3; i++)
		tbio_submit(t, &tb[i], REQ_OP_WRITE, i * 16, 8, i);
	KTEST_ASSERT_TRUE(t, tbio_wait(tb, 3));
	for (int i = 0; i < 3; i++) {
		KTEST_EXPECT_EQ(t, tb[i].ends, 1);
		KTEST_EXPECT_EQ(t, tb[i].status, -EIO);
	}
	KTEST_EXPECT_EQ(t, tdev.resets, 1);
	KTEST_EXPECT_EQ(t, tdev.early, 0);
	KTEST_EXPECT_EQ(t, tdev_timeouts(), 1); /* the reset took the other two */
	KTEST_EXPECT_TRUE(t, disk_is_dead(tdev.disk));
	KTEST_EXPECT_EQ(t, tdev_tags_used(), 0);
	logged = tdev.nr_log;
	tbio_submit(t, &late, REQ_OP_READ, 0, 8, 0);
	KTEST_EXPECT_TRUE(t, READ_ONCE(late.done)); /* failed fast */
	KTEST_EXPECT_EQ(t, late.status, -EIO);
	KTEST_EXPECT_EQ(t, tdev.nr_log, logged); /* never reached it */
	tbio_free(tb, 3);
	tbio_free(&late, 1);
}

/*
 * Linux runs the timeout work on kblockd (WQ_MEM_RECLAIM | WQ_HIGHPRI),
 * not on system_wq: any work on system_wq may itself wait for I/O (a
 * writeback, a flush), and a timeout stuck behind it would never free that
 * I/O. Here every CPU's system_wq worker is blocked until the request has
 * timed out; before, the timeout work was queued behind them and the write
 * never ended while they held (the wait gave up after its 4 s).
 */
struct wq_blocker {
	struct work_struct work;
	struct completion *release;
};

static void wq_blocker_fn(struct work_struct *work)
{
	struct wq_blocker *b = container_of(work, struct wq_blocker, work);

	wait_for_completion(b->release);
}

static void timeout_runs_while_system_wq_is_blocked(struct ktest *t)
{
	static struct wq_blocker blockers[MAX_CPUS];
	DECLARE_COMPLETION(release);
	struct tbio tb;
	unsigned int cpu;
	bool ended;

	for_each_online_cpu(cpu) {
		INIT_WORK(&blockers[cpu].work, wq_blocker_fn);
		blockers[cpu].release = &release;
		queue_work_on(cpu, system_wq, &blockers[cpu].work);
	}
	tbio_submit(t, &tb, REQ_OP_WRITE, 0, 8, 1);
	ended = tbio_wait_rounds(&tb, 1, 1000); /* >= 4 s for a 1-tick timeout */
	complete_all(&release);
	for_each_online_cpu(cpu)
		flush_work(&blockers[cpu].work);
	KTEST_EXPECT_TRUE(t, ended);
	if (!ended)
		KTEST_ASSERT_TRUE(t, tbio_wait(&tb, 1));
	KTEST_EXPECT_EQ(t, tb.ends, 1);
	KTEST_EXPECT_EQ(t, tb.status, -EIO);
	tbio_free(&tb, 1);
}

/* BLK_EH_RESET_TIMER: the request gets further periods, each counted. */
static void reset_timer_answer_waits_another_period(struct ktest *t)
{
	struct tbio tb;

	tdev.reset_timer_left = 2;
	tbio_submit(t, &tb, REQ_OP_WRITE, 0, 8, 1);
	KTEST_ASSERT_TRUE(t, tbio_wait(&tb, 1));
	KTEST_EXPECT_EQ(t, tb.ends, 1);
	KTEST_EXPECT_EQ(t, tb.status, -EIO);
	KTEST_EXPECT_EQ(t, tdev_timeouts(), 3);
	KTEST_EXPECT_EQ(t, tdev.resets, 1);
	KTEST_EXPECT_EQ(t, tdev.early, 0);
	tbio_free(&tb, 1);
}

/* With the default 30 s, a request the device answers is never timed out,
 * and the flush carrier is timed like any request. */
static void answered_requests_are_never_timed_out(struct ktest *t)
{
	struct tbio tb[2];

	blk_queue_rq_timeout(tdev.disk->queue, BLK_DEFAULT_TIMEOUT);
	tbio_submit(t, &tb[0], REQ_OP_WRITE, 0, 8, 1);
	tbio_submit(t, &tb[1], REQ_OP_READ, 64, 8, 1);
	KTEST_EXPECT_TRUE(t, tdev_drain(tb, 2));
	msleep(20);
	KTEST_EXPECT_EQ(t, tdev_timeouts(), 0);
	KTEST_EXPECT_EQ(t, tb[0].status, 0);
	KTEST_EXPECT_EQ(t, tb[1].status, 0);
	KTEST_EXPECT_FALSE(t, disk_is_dead(tdev.disk));
	tbio_free(tb, 2);
}

/* ---- completion racing the timeout ---- */

#define RACE_NR	   160 /* requests per run */
#define RACE_DEPTH 4   /* kept in flight */

/* Seeded from ktest_seed(); one state per thread that draws. */
static u64 race_rng_hook;     /* the timeout work (one at a time) */
static u64 race_rng_finisher; /* the finisher thread */

static u32 race_rand(u64 *rng)
{
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	return (u32)*rng;
}

/*
 * The window between "expired" and acting on it, widened: a few switch
 * points (deterministic mode) or a short spin; every other time up to
 * 10 ms, ending early if the tag is given to a new request (its deadline
 * changes), which is the reuse the timeout work must not act on.
 */
static void race_widen(struct request *rq)
{
	unsigned long deadline = READ_ONCE(rq->deadline);
	unsigned int n =
		race_rand(&race_rng_hook) % 2 ? 2000 : race_rand(&race_rng_hook) % 8;

	for (unsigned int i = 0; i < n && READ_ONCE(rq->deadline) == deadline; i++) {
		arch_cpu_relax();
		udelay(5);
	}
}

static int race_finisher(void *arg)
{
	while (!kthread_should_stop()) {
		tdev_finish(&tdev);
		udelay(race_rand(&race_rng_finisher) % 10000); /* 0 to 2.5 ticks */
	}
	return 0;
}

/*
 * The device answers late, about as late as the one-tick timeout, while
 * the submitter keeps RACE_DEPTH requests in flight (so tags are freed and
 * reused all the time). Each timeout takes back only the late request
 * (-ETIMEDOUT). Whatever the interleaving (seeded in deterministic mode;
 * the window is widened by blk_timeout_race_hook): every bio ends exactly
 * once, OK or -ETIMEDOUT; ->timeout never runs for a request before its
 * deadline (it would if the timeout work acted on a request whose tag had
 * been reused: the reference and the second check prevent it); and no tag
 * leaks.
 */
static void completion_racing_the_timeout_ends_each_request_once(struct ktest *t)
{
	struct tbio *tb = kcalloc(RACE_NR, sizeof(*tb), GFP_KERNEL);
	struct task_struct *finisher;
	unsigned int ok = 0, timedout = 0, bad = 0;

	KTEST_ASSERT_NOT_NULL(t, tb);
	race_rng_hook = ktest_seed() * 2654435761u + 1;
	race_rng_finisher = ktest_seed() * 40503u + 7;
	tdev.abort_on_timeout = true;
	WRITE_ONCE(blk_timeout_race_hook, race_widen);
	finisher = kthread_run(race_finisher, NULL, "tdev-finish");
	KTEST_ASSERT_TRUE(t, !IS_ERR_OR_NULL(finisher));
	for (unsigned int i = 0; i < RACE_NR; i++) {
		/* keep at most RACE_DEPTH in flight */
		for (int round = 0;
		     i >= RACE_DEPTH && round < WAIT_ROUNDS &&
		     !__atomic_load_n(&tb[i - RACE_DEPTH].done, __ATOMIC_ACQUIRE);
		     round++)
			msleep(1);
		tbio_submit(t, &tb[i], REQ_OP_WRITE, (i % 32) * 8, 8, i);
	}
	KTEST_EXPECT_TRUE(t, tbio_wait(tb, RACE_NR));
	kthread_stop(finisher);
	/* a timeout work still in the hook holds a reference on a request
	 * whose bios have ended: let it finish before counting tags */
	flush_work(&tdev.disk->queue->timeout_work);
	WRITE_ONCE(blk_timeout_race_hook, NULL);
	for (unsigned int i = 0; i < RACE_NR; i++) {
		if (tb[i].ends != 1 || (tb[i].status && tb[i].status != -ETIMEDOUT)) {
			if (!bad++)
				ktest_fail(t, __FILE__, __LINE__,
					   "request %u: %d ends, status %d (seed %llu)",
					   i, tb[i].ends, tb[i].status,
					   (unsigned long long)ktest_seed());
		}
		ok += tb[i].status == 0;
		timedout += tb[i].status == -ETIMEDOUT;
	}
	cprintf("# %u answered, %u timed out (%u aborted, %u stale handler calls, %llu timeouts)\n",
		ok, timedout, tdev.aborted, tdev.stale,
		(unsigned long long)tdev_timeouts());
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, tdev.early, 0);
	KTEST_EXPECT_EQ(t, timedout, tdev.aborted);
	KTEST_EXPECT_EQ(t, ok + timedout, RACE_NR);
	KTEST_EXPECT_EQ(t, tdev_tags_used(), 0);
	tbio_free(tb, RACE_NR);
	kfree(tb);
}

/* ---- blk_sync_queue() racing the timeout work ---- */

static struct task_struct *sync_task;
static bool sync_started, sync_done, hold_armed, hold_entered;

/* Is the task running blk_sync_queue() asleep in it (waiting for the
 * timeout work to finish)? */
static bool sync_task_waits(void)
{
	struct task_struct *k = READ_ONCE(sync_task);

	return k && __atomic_load_n(&sync_started, __ATOMIC_ACQUIRE) &&
	       READ_ONCE(k->state) != TASK_RUNNING;
}

/* blk_timeout_race_hook: hold the timeout work (once) until
 * blk_sync_queue() has begun and sleeps waiting for it. */
static void hold_work_until_sync_waits(struct request *rq)
{
	if (!__atomic_exchange_n(&hold_armed, false, __ATOMIC_ACQ_REL))
		return;
	__atomic_store_n(&hold_entered, true, __ATOMIC_RELEASE);
	for (int round = 0; round < WAIT_ROUNDS && !sync_task_waits(); round++)
		msleep(1);
}

/* blk_sync_queue_hook: give a timer the work armed time to fire. */
static void let_a_rearmed_timer_fire(struct request_queue *q)
{
	for (int round = 0; round < 200 && READ_ONCE(q->timeout_armed); round++)
		msleep(1);
}

static int sync_queue_thread(void *arg)
{
	__atomic_store_n(&sync_started, true, __ATOMIC_RELEASE);
	blk_sync_queue(arg);
	__atomic_store_n(&sync_done, true, __ATOMIC_RELEASE);
	while (!kthread_should_stop())
		msleep(1);
	return 0;
}

/*
 * blk_sync_queue() (del_gendisk, put_disk) promises that no timer or
 * timeout work runs for the queue after it returns: put_disk frees the
 * queue next. The timeout work it waits for may re-arm the timer (a
 * request answered BLK_EH_RESET_TIMER, or one not yet due); if that timer
 * fired before blk_sync_queue() deleted it again, the work was queued on
 * a queue about to be freed. Here the work is held until blk_sync_queue()
 * waits for it, and blk_sync_queue_hook gives the re-armed timer time to
 * fire: no ->timeout call may follow blk_sync_queue().
 */
static void sync_queue_leaves_no_timer_armed_by_the_running_work(struct ktest *t)
{
	struct request_queue *q = tdev.disk->queue;
	struct task_struct *task;
	struct tbio tb;
	u64 seen;
	int round;

	sync_task = NULL;
	sync_started = sync_done = hold_entered = false;
	hold_armed = true;
	tdev.reset_timer_left = 1000000; /* the request stays in flight */
	WRITE_ONCE(blk_timeout_race_hook, hold_work_until_sync_waits);
	WRITE_ONCE(blk_sync_queue_hook, let_a_rearmed_timer_fire);
	tbio_submit(t, &tb, REQ_OP_WRITE, 0, 8, 1);
	for (round = 0; round < WAIT_ROUNDS && !READ_ONCE(hold_entered); round++)
		msleep(1);
	KTEST_EXPECT_TRUE(t, READ_ONCE(hold_entered));
	task = kthread_run(sync_queue_thread, q, "blk-sync");
	KTEST_EXPECT_TRUE(t, !IS_ERR_OR_NULL(task));
	if (!IS_ERR_OR_NULL(task))
		WRITE_ONCE(sync_task, task);
	for (round = 0;
	     round < WAIT_ROUNDS && READ_ONCE(sync_task) && !READ_ONCE(sync_done);
	     round++)
		msleep(1);
	KTEST_EXPECT_TRUE(t, READ_ONCE(sync_done));
	WRITE_ONCE(blk_timeout_race_hook, NULL); /* before any return */
	WRITE_ONCE(blk_sync_queue_hook, NULL);
	if (READ_ONCE(sync_task))
		kthread_stop(sync_task);
	WRITE_ONCE(sync_task, NULL);
	seen = tdev_timeouts();
	msleep(40); /* ten ticks: the one-tick timeout would have fired */
	if (tdev_timeouts() != seen || work_pending(&q->timeout_work))
		ktest_fail(
			t, __FILE__, __LINE__,
			"%llu ->timeout calls after blk_sync_queue() returned (work %s)",
			(unsigned long long)(tdev_timeouts() - seen),
			work_pending(&q->timeout_work) ? "queued" : "idle");
	flush_work(&q->timeout_work);
	tdev.reset_timer_left = 0;
	KTEST_EXPECT_EQ(t, tdev_finish(&tdev), 1);
	KTEST_EXPECT_TRUE(t, tbio_wait(&tb, 1));
	KTEST_EXPECT_EQ(t, tb.ends, 1);
	tbio_free(&tb, 1);
}

static const struct ktest_case blk_timeout_cases[] = {
	KTEST_CASE(requests_never_answered_fail_once_with_eio_and_disk_dies),
	KTEST_CASE(reset_timer_answer_waits_another_period),
	KTEST_CASE(timeout_runs_while_system_wq_is_blocked),
	KTEST_CASE(answered_requests_are_never_timed_out),
	KTEST_CASE(completion_racing_the_timeout_ends_each_request_once),
	KTEST_CASE(sync_queue_leaves_no_timer_armed_by_the_running_work),
	KTEST_END,
};

static const struct ktest_suite blk_timeout_suite = {
	.name = "blk_timeout",
	.init = init_timeout,
	.exit = tdev_exit,
	.cases = blk_timeout_cases,
};
KTEST_SUITE(blk_timeout_suite);

/* ---- timeouts of flush sequences (write cache, no FUA) ---- */

static int init_timeout_wc(struct ktest *t)
{
	int err = tdev_init(t, true, false, 8, 8);

	if (!err)
		blk_queue_rq_timeout(tdev.disk->queue, 1);
	return err;
}

/*
 * A FLUSH carried for one PREFLUSH write while a second waits for the
 * next flush and a FUA write's data is in flight: none is answered. With
 * abort_on_timeout each late request is taken back alone (-ETIMEDOUT):
 * the flush fails the write it covered, the next flush is sent for the
 * waiting one and times out too, the FUA write fails at its data step.
 * With a reset (the default) everything fails with -EIO. Either way each
 * bio ends once, no data goes out after a failed flush, no tag is left.
 */
static void timed_out_flushes_fail_their_writes_once(struct ktest *t, bool abort)
{
	struct tbio tb[3];

	unsigned long flags;
	unsigned int logged = 0;
	int round;

	tdev.abort_on_timeout = abort;
	/* The one-tick timer waits until write 0's flush and write 2's data
	 * are both at the device: a slow (loaded, TCG) submitter must not see
	 * the reset before its second request, which then never reaches the
	 * device (kernel-smp1 in S22: "got 1 vs 2"). */
	tdev.reset_timer_left = 1000000;
	tbio_submit(t, &tb[0], REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA, 0, 8, 1);
	tbio_submit(t, &tb[1], REQ_OP_WRITE | REQ_PREFLUSH, 64, 8, 2);
	tbio_submit(t, &tb[2], REQ_OP_WRITE | REQ_FUA, 128, 8, 3);
	for (round = 0; round < WAIT_ROUNDS && logged < 2; round++) {
		spin_lock_irqsave(&tdev.lock, flags);
		logged = tdev.nr_log;
		if (logged >= 2)
			tdev.reset_timer_left = 0;
		spin_unlock_irqrestore(&tdev.lock, flags);
		if (logged < 2)
			msleep(1);
	}
	KTEST_ASSERT_EQ(t, logged, 2); /* F (write 0) and W (write 2) sent */
	KTEST_ASSERT_TRUE(t, tbio_wait(tb, 3));
	for (int i = 0; i < 3; i++) {
		KTEST_EXPECT_EQ(t, tb[i].ends, 1);
		KTEST_EXPECT_EQ(t, tb[i].status, abort ? -ETIMEDOUT : -EIO);
	}
	/* F (write 0), W (write 2's data), then F (write 1) only if aborted */
	KTEST_EXPECT_EQ(t, tdev.nr_log, abort ? 3 : 2);
	for (unsigned int i = 0; i < tdev.nr_log; i++)
		KTEST_EXPECT_TRUE(t, tdev.log[i].sector != 64 || !tdev.log[i].bytes);
	KTEST_EXPECT_EQ(t, tdev_tags_used(), 0);
	tbio_free(tb, 3);
}

static void timed_out_flushes_aborted_fail_their_writes_once(struct ktest *t)
{
	timed_out_flushes_fail_their_writes_once(t, true);
}

static void timed_out_flushes_after_a_reset_fail_their_writes_once(struct ktest *t)
{
	timed_out_flushes_fail_their_writes_once(t, false);
}

static const struct ktest_case blk_timeout_flush_cases[] = {
	KTEST_CASE(timed_out_flushes_aborted_fail_their_writes_once),
	KTEST_CASE(timed_out_flushes_after_a_reset_fail_their_writes_once),
	KTEST_END,
};

static const struct ktest_suite blk_timeout_flush_suite = {
	.name = "blk_timeout_flush",
	.init = init_timeout_wc,
	.exit = tdev_exit,
	.cases = blk_timeout_flush_cases,
};
KTEST_SUITE(blk_timeout_flush_suite);
