/*
 * arch/host/blk_flush_late_test.c - KTAP suite `blk_flush_late`: the
 * blk_flush.earlyack mutant's late FLUSH (block/blk-flush.c, a delayed
 * work on the queue) against the disk's teardown (REV, session 20).
 *
 * Layer: arch/host tests (hostdisk: a disk made and deleted by the case).
 * Used by: `quire-host blk_flush.earlyack --exec 'test blk_flush_late'`
 * only (on request: without the knob the cases skip, saying so).
 * Provides: the suite; no API.
 *
 * del_gendisk() cancels the late FLUSH after marking the disk dead, but a
 * submitter already inside submit_bio() (past blk_queue_enter()) may ack
 * an empty flush after that cancel and queue the work again: the work
 * then runs on a dead disk (its FLUSH fails at the door, -EIO) or is
 * cancelled by the last put_disk() (blk_mq_free_queue()) before the
 * queue is freed. The cases check that no work runs on a freed queue
 * (ASan) and count how often the window was met.
 *
 * Locking: a kthread submits flushes while the case deletes the disk; it
 * holds its own disk reference (GD1) until it stops.
 */
#include <quire/ktest.h>
#include <quire/blkdev.h>
#include <quire/bio.h>
#include <quire/kthread.h>
#include <quire/sched.h>
#include <quire/timer.h>
#include <quire/workqueue.h>
#include <quire/printk.h>
#include "blockdev.h"

struct bfl {
	struct gendisk *disk;
	unsigned long flushes;
};

/* Is the knob on? An empty flush on a disk with a cache is acked at once. */
static bool bfl_earlyack_on(struct ktest *t)
{
	struct gendisk *disk;
	bool on;

	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:1M,cache", &disk), 0);
	KTEST_ASSERT_EQ(t, blkdev_issue_flush(&disk->part0), 0);
	/* acked early, the FLUSH is owed: the work is pending */
	on = delayed_work_pending(&disk->queue->flush_late);
	hostdisk_destroy(disk);
	return on;
}

/* One ack, then the disk goes at once; the work is due a second later. */
static void blk_flush_late_never_runs_on_a_freed_queue(struct ktest *t)
{
	if (!bfl_earlyack_on(t))
		ktest_skip(t, "needs blk_flush.earlyack on the command line");
	for (int i = 0; i < 3; i++) {
		struct gendisk *disk;

		KTEST_ASSERT_EQ(t, hostdisk_create("tmp:1M,cache", &disk), 0);
		KTEST_ASSERT_EQ(t, blkdev_issue_flush(&disk->part0), 0);
		KTEST_EXPECT_TRUE(t, delayed_work_pending(&disk->queue->flush_late));
		hostdisk_destroy(disk); /* del_gendisk, the last put_disk */
	}
	msleep(1500); /* when a work were left, it would run now (ASan) */
}

static int bfl_flusher(void *data)
{
	struct bfl *b = data;

	while (!kthread_should_stop()) {
		blkdev_issue_flush(&b->disk->part0); /* -EIO once dead */
		b->flushes++;
		cond_resched();
	}
	return 0;
}

/*
 * A task sends empty flushes while the disk is deleted: an ack may come
 * after del_gendisk()'s cancel (the work pending after it). The case
 * holds a reference so it can look; the work then runs on the dead disk
 * (-EIO at the door) and the last put_disk() frees the queue after it.
 */
static void blk_flush_late_ack_after_del_gendisk_is_harmless(struct ktest *t)
{
	unsigned int met = 0, rounds = 40;

	if (!bfl_earlyack_on(t))
		ktest_skip(t, "needs blk_flush.earlyack on the command line");
	for (unsigned int i = 0; i < rounds; i++) {
		struct bfl b = {0};
		struct task_struct *k;

		KTEST_ASSERT_EQ(t, hostdisk_create("tmp:1M,cache", &b.disk), 0);
		get_disk(b.disk); /* the flusher's and the case's (GD1) */
		k = kthread_create(bfl_flusher, &b, "bfl");
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
		/* on another CPU than the case's, so both run at once */
		if (num_online_cpus() > 1)
			kthread_bind(k, !smp_processor_id());
		wake_up_process(k);
		while (!READ_ONCE(b.flushes))
			schedule_timeout_uninterruptible(1);
		hostdisk_destroy(b.disk);
		kthread_stop(k);
		if (delayed_work_pending(&b.disk->queue->flush_late))
			met++;
		if (i == rounds - 1 || met)
			msleep(1200); /* let a pending work run on the dead disk */
		/* the last reference: cancels the work, frees the queue */
		put_disk(b.disk);
		if (met)
			break;
	}
	pr_info("    # an ack after del_gendisk's cancel in %u of the rounds\n", met);
}

static const struct ktest_case blk_flush_late_cases[] = {
	KTEST_CASE(blk_flush_late_never_runs_on_a_freed_queue),
	KTEST_CASE(blk_flush_late_ack_after_del_gendisk_is_harmless),
	KTEST_END,
};

static const struct ktest_suite blk_flush_late_suite = {
	.name = "blk_flush_late",
	.cases = blk_flush_late_cases,
	.on_request = true,
};
KTEST_SUITE(blk_flush_late_suite);
