/*
 * block/blk-core.c - submit_bio(): checking a bio at the door, plugging.
 *
 * Layer: block. Used by: every submitter.
 * Provides: submit_bio(), blk_start_plug(), blk_finish_plug(),
 * blk_flush_plug(), kblockd_workqueue and kblockd_schedule_work().
 * Not here: requests and dispatch (block/blk-mq.c), merging and splitting
 * (block/blk-merge.c), flush sequencing (block/blk-flush.c).
 *
 * Locking: none of its own. A plug belongs to its task.
 */
#include <quire/blkdev.h>
#include <quire/blk-mq.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include <quire/init.h>
#include <quire/trace.h>
#include <quire/sched.h>
#include <quire/fs.h>
#include "blk.h"

/*
 * kblockd (Linux's): the block layer's own workqueue, WQ_MEM_RECLAIM |
 * WQ_HIGHPRI, for work that frees I/O (request timeouts). It must not
 * queue behind system_wq, whose work may itself wait for that I/O.
 */
struct workqueue_struct *kblockd_workqueue;

bool kblockd_schedule_work(struct work_struct *work)
{
	return queue_work(kblockd_workqueue ? kblockd_workqueue : system_wq, work);
}

static int blk_dev_init(void)
{
	kblockd_workqueue = alloc_workqueue("kblockd", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	return IS_ERR_OR_NULL(kblockd_workqueue) ? -ENOMEM : 0;
}
core_initcall(blk_dev_init);

/* Is the range of @bio inside the device? */
static bool bio_in_range(struct bio *bio, sector_t capacity)
{
	sector_t start = bio->bi_iter.bi_sector;

	return start <= capacity && bio_sectors(bio) <= capacity - start;
}

static int bio_check_op(struct bio *bio, struct request_queue *q)
{
	/* PREFLUSH and FUA belong to writes (REQ_OP_FLUSH becomes one). Linux
	 * warns and fails anything else with -EIO rather than drop the
	 * durability asked for; Quire warns every time (not once), so each
	 * offender shows in the log. */
	if (op_is_flush(bio->bi_opf) &&
	    WARN_ON(bio_op(bio) != REQ_OP_WRITE && bio_op(bio) != REQ_OP_FLUSH))
		return -EIO;
	switch (bio_op(bio)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		if (!bio->bi_iter.bi_size && !(bio->bi_opf & REQ_PREFLUSH))
			return -EINVAL;
		return 0;
	case REQ_OP_FLUSH:
		return bio->bi_iter.bi_size ? -EINVAL : 0;
	case REQ_OP_DISCARD:
		return q->limits.max_discard_sectors ? 0 : -EOPNOTSUPP;
	case REQ_OP_WRITE_ZEROES:
		return q->limits.max_write_zeroes_sectors ? 0 : -EOPNOTSUPP;
	}
	return -EOPNOTSUPP;
}

/*
 * The checks Linux makes in submit_bio_noacct(): a live disk, a valid op, a writable
 * device for writes, alignment to the logical block size, and a range
 * inside the device. One log line for an out-of-range bio, as Linux's
 * "attempt to access beyond end of device".
 */
static int bio_check(struct bio *bio)
{
	struct block_device *bdev = bio->bi_bdev;
	struct request_queue *q;
	u32 lbs_sectors;
	int err;

	if (WARN_ON_ONCE(!bdev || !bdev->bd_queue))
		return -EINVAL;
	q = bdev->bd_queue;
	if (disk_is_dead(bdev->bd_disk))
		return -EIO; /* fail fast: the device is gone */
	err = bio_check_op(bio, q);
	if (err)
		return err;
	if (op_is_write(bio->bi_opf) && bdev_read_only(bdev) &&
	    bio->bi_iter.bi_size)
		return -EROFS;
	lbs_sectors = q->limits.logical_block_size >> SECTOR_SHIFT;
	if (bio->bi_iter.bi_size % q->limits.logical_block_size ||
	    bio->bi_iter.bi_sector % lbs_sectors)
		return -EINVAL;
	if (!bio_in_range(bio, get_capacity(bdev->bd_disk))) {
		pr_err("%s: attempt to access beyond end of device: %s sector %llu + %u > %llu\n",
		       bdev->bd_disk->disk_name, blk_op_str(bio_op(bio)),
		       (unsigned long long)bio->bi_iter.bi_sector, bio_sectors(bio),
		       (unsigned long long)get_capacity(bdev->bd_disk));
		return -EIO;
	}
	return 0;
}

/*
 * Linux's bio_queue_enter()/blk_queue_exit(), held only while a bio is
 * checked and takes its request (its tag): del_gendisk() marks the disk
 * dead and then waits for q_usage 0 before it waits for the tags, so a
 * submitter either sees the disk dead or holds a tag del_gendisk() waits
 * for (GD2). Both sides are sequentially consistent: each sees the
 * other's store. The caller holds a reference on the disk (GD1).
 */
static void blk_queue_exit(struct request_queue *q);

static bool blk_queue_enter(struct request_queue *q, struct gendisk *disk)
{
	__atomic_add_fetch(&q->q_usage, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&disk->dead, __ATOMIC_SEQ_CST))
		return true;
	blk_queue_exit(q);
	return false;
}

static void blk_queue_exit(struct request_queue *q)
{
	if (!__atomic_sub_fetch(&q->q_usage, 1, __ATOMIC_SEQ_CST) &&
	    __atomic_load_n(&q->disk->dead, __ATOMIC_SEQ_CST))
		wake_up_all(&q->q_freeze_wq);
}

void blk_fill_rwbs(char *rwbs, blk_opf_t opf)
{
	int i = 0;

	if (opf & REQ_PREFLUSH)
		rwbs[i++] = 'F';
	switch (bio_op_of(opf)) {
	case REQ_OP_WRITE:
		rwbs[i++] = 'W';
		break;
	case REQ_OP_READ:
		rwbs[i++] = 'R';
		break;
	case REQ_OP_DISCARD:
		rwbs[i++] = 'D';
		break;
	case REQ_OP_WRITE_ZEROES:
		rwbs[i++] = 'W';
		rwbs[i++] = 'Z';
		break;
	default: /* a flush alone */
		if (!i)
			rwbs[i++] = 'F';
		rwbs[i++] = 'N';
		break;
	}
	if (opf & REQ_FUA)
		rwbs[i++] = 'F';
	if (opf & REQ_SYNC)
		rwbs[i++] = 'S';
	rwbs[i] = '\0';
}

/* Linux's block_bio_queue event: a bio enters the block layer. */
static void trace_block_bio_queue(struct bio *bio)
{
	u32 dev = __atomic_load_n(&bio->bi_bdev->bd_dev, __ATOMIC_RELAXED);
	char rwbs[8];

	blk_fill_rwbs(rwbs, bio->bi_opf);
	trace_event("block_bio_queue", "%u,%u %s %llu + %u [%s]", MAJOR(dev), MINOR(dev),
		    rwbs, (unsigned long long)bio->bi_iter.bi_sector, bio_sectors(bio),
		    current->comm);
}

void submit_bio(struct bio *bio)
{
	struct block_device *bdev = bio->bi_bdev;
	int err;

	if (WARN_ON_ONCE(!bdev || !bdev->bd_queue)) {
		bio->bi_status = -EINVAL;
		bio_endio(bio);
		return;
	}
	if (!blk_queue_enter(bdev->bd_queue, bdev->bd_disk)) {
		bio->bi_status = -EIO; /* dead or deleted: never the driver */
		bio_endio(bio);
		return;
	}
	if (trace_enabled())
		trace_block_bio_queue(bio);
	err = bio_check(bio);
	if (err) {
		bio->bi_status = err;
		bio_endio(bio);
	} else if (!bio->bi_iter.bi_size && bio_op(bio) == REQ_OP_READ) {
		bio_endio(bio);
	} else {
		blk_mq_submit_bio(bio);
	}
	blk_queue_exit(bdev->bd_queue);
}

void blk_start_plug(struct blk_plug *plug)
{
	struct blk_plug **slot = blk_current_plug();

	INIT_LIST_HEAD(&plug->mq_list);
	plug->rq_count = 0;
	if (*slot)
		return;		/* nested: the outer plug does the work */
	*slot = plug;
}

void blk_flush_plug(struct blk_plug *plug)
{
	LIST_HEAD(list);

	if (!plug || list_empty(&plug->mq_list))
		return;
	list_splice_tail_init(&plug->mq_list, &list);
	plug->rq_count = 0;
	blk_mq_dispatch_list(&list);
}

void blk_finish_plug(struct blk_plug *plug)
{
	struct blk_plug **slot = blk_current_plug();

	if (*slot != plug)
		return;
	blk_flush_plug(plug);
	*slot = NULL;
}
