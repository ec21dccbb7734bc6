/*
 * block/genhd.c - the registry of disks, their limits and statistics.
 *
 * Layer: block. Used by: drivers (add_disk), the shell (lsblk, iostat),
 * blkbench, tests, file systems (lookup by name).
 * Provides: add_disk(), del_gendisk(), get_disk_by_name(), disk_iterate(),
 * disk_stats_read(), disk_is_test_disk(), limit defaults and checks.
 * (get_disk()/put_disk() are with blk_mq_alloc_disk() in block/blk-mq.c.)
 *
 * Invariants:
 *  GD1: whoever uses a disk past a sleep holds a reference on it: the
 *      driver (from blk_mq_alloc_disk() to its put_disk()), each bdev
 *      inode (block/bdev.c: so every open file of the disk), and each
 *      get_disk_by_name() caller until its put_disk(). The struct, its
 *      queue and part0 are freed with the last reference, never before.
 *  GD2: once del_gendisk() marked the disk dead, no bio reaches the
 *      driver: submit_bio() fails it with -EIO; del_gendisk() returns only
 *      when no submitter is inside submit_bio() (q_usage 0) and no tag is
 *      in use, so the driver may then stop its device.
 *
 * Locking: disk_list_lock (irqsave) guards disk_list and every
 * disk->registered. disk_iterate() holds it across the callback, so a
 * callback must not sleep nor register disks.
 */
#include <quire/blk-mq.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include <arch/memory.h>
#include <quire/string.h>
#include "blk.h"

static DEFINE_SPINLOCK(disk_list_lock);
static LIST_HEAD(disk_list);		/* registered disks, oldest first */

#define BLK_DEF_MAX_SECTORS	2560	/* 1.25 MiB; Linux's default cap */
#define BLK_MAX_SEGMENTS	128	/* Linux's default */
#define BLK_MAX_SEGMENT_SIZE	65536	/* bytes; Linux's default */
#define BLK_MAX_BLOCK_SIZE	65536	/* largest logical block we accept */

static bool is_pow2(u32 x)
{
	return x && !(x & (x - 1));
}

/* Fill the fields a driver left 0 with Linux's defaults. */
void blk_set_default_limits(struct queue_limits *lim)
{
	if (!lim->logical_block_size)
		lim->logical_block_size = SECTOR_SIZE;
	if (!lim->physical_block_size)
		lim->physical_block_size = lim->logical_block_size;
	if (!lim->max_sectors)
		lim->max_sectors = BLK_DEF_MAX_SECTORS;
	if (!lim->max_segments)
		lim->max_segments = BLK_MAX_SEGMENTS;
	if (!lim->max_segment_size)
		lim->max_segment_size = BLK_MAX_SEGMENT_SIZE;
	if (!lim->write_cache)
		lim->fua = false;
}

/* 0, or -EINVAL with one line naming the bad limit. */
int blk_validate_limits(struct queue_limits *lim)
{
	u32 lbs = lim->logical_block_size;

	if (!is_pow2(lbs) || lbs < SECTOR_SIZE || lbs > BLK_MAX_BLOCK_SIZE) {
		pr_err("block: bad logical block size %u\n", lbs);
		return -EINVAL;
	}
	if (!is_pow2(lim->physical_block_size) || lim->physical_block_size < lbs) {
		pr_err("block: bad physical block size %u (logical %u)\n",
		       lim->physical_block_size, lbs);
		return -EINVAL;
	}
	if (lim->max_segment_size < PAGE_SIZE) {
		pr_err("block: max_segment_size %u below a page\n",
		       lim->max_segment_size);
		return -EINVAL;
	}
	lim->max_sectors = ALIGN_DOWN(lim->max_sectors, lbs >> SECTOR_SHIFT);
	lim->max_discard_sectors = ALIGN_DOWN(lim->max_discard_sectors,
					      lbs >> SECTOR_SHIFT);
	lim->max_write_zeroes_sectors = ALIGN_DOWN(lim->max_write_zeroes_sectors,
						   lbs >> SECTOR_SHIFT);
	if (!lim->max_sectors) {
		pr_err("block: max_sectors below one logical block\n");
		return -EINVAL;
	}
	return 0;
}

void blk_mark_disk_dead(struct gendisk *disk)
{
	if (__atomic_exchange_n(&disk->dead, true, __ATOMIC_ACQ_REL))
		return;
	pr_err("%s: disk marked dead: its I/O fails with -EIO from now on\n",
	       disk->disk_name);
}

bool disk_is_test_disk(const struct gendisk *disk)
{
	return strncmp(disk->serial, "quire-test", 10) == 0;
}

static struct gendisk *find_disk_locked(const char *name)
{
	struct gendisk *disk;

	list_for_each_entry(disk, &disk_list, list)
		if (!strcmp(disk->disk_name, name))
			return disk;
	return NULL;
}

int add_disk(struct gendisk *disk)
{
	unsigned long flags;
	int err = 0;

	if (!disk->disk_name[0] || WARN_ON_ONCE(!disk->queue))
		return -EINVAL;
	spin_lock_irqsave(&disk_list_lock, flags);
	if (find_disk_locked(disk->disk_name)) {
		err = -EEXIST;
	} else {
		list_add_tail(&disk->list, &disk_list);
		disk->registered = true;
	}
	spin_unlock_irqrestore(&disk_list_lock, flags);
	if (err) {
		pr_err("block: disk name %s already in use\n", disk->disk_name);
		return err;
	}
	pr_info("%s: %llu sectors (%llu MiB), %u-byte blocks%s%s, %u hw queue%s x %u\n",
		disk->disk_name, (unsigned long long)get_capacity(disk),
		(unsigned long long)(get_capacity(disk) >> 11),
		disk->queue->limits.logical_block_size,
		disk->queue->limits.write_cache ? ", write cache" : "",
		disk->queue->limits.read_only ? ", read-only" : "",
		disk->queue->nr_hw_queues, disk->queue->nr_hw_queues == 1 ? "" : "s",
		disk->queue->tag_set->queue_depth);
	return 0;
}

static bool disk_idle(struct gendisk *disk)
{
	struct request_queue *q = disk->queue;

	for (unsigned int i = 0; i < q->nr_hw_queues; i++)
		if (READ_ONCE(q->hctxs[i]->nr_tags_used))
			return false;
	return true;
}

void del_gendisk(struct gendisk *disk)
{
	struct request_queue *q = disk->queue;
	unsigned long flags;

	spin_lock_irqsave(&disk_list_lock, flags);
	if (disk->registered) {
		list_del_init(&disk->list);
		disk->registered = false;
	}
	spin_unlock_irqrestore(&disk_list_lock, flags);
	/* Linux: bdev_mark_dead(), writing the cache back unless the disk
	 * is dead already; then its page cache lets go of the disk. */
	bdev_del_disk(disk, disk_is_dead(disk));
	/* Linux's __blk_mark_disk_dead(): from here every bio fails at the
	 * door (GD2), quietly: the disk is gone, not broken. A task that
	 * slept holding the disk (fsync, O_DIRECT) gets -EIO. */
	__atomic_store_n(&disk->dead, true, __ATOMIC_SEQ_CST);
	blk_flush_cancel_late(q); /* the earlyack mutant's FLUSH */
	wait_event(q->q_freeze_wq, !__atomic_load_n(&q->q_usage, __ATOMIC_SEQ_CST));
	for (unsigned int i = 0; i < disk->queue->nr_hw_queues; i++)
		wait_event(disk->queue->hctxs[i]->tag_wait, disk_idle(disk));
	/* A completion that freed the last tag may still be inside
	 * blk_mq_put_tag(), holding hctx->lock: wait for it to leave. */
	for (unsigned int i = 0; i < disk->queue->nr_hw_queues; i++) {
		unsigned long flags;

		spin_lock_irqsave(&disk->queue->hctxs[i]->lock, flags);
		spin_unlock_irqrestore(&disk->queue->hctxs[i]->lock, flags);
	}
	blk_sync_queue(disk->queue); /* nothing in flight: no timeouts */
}

struct gendisk *get_disk_by_name(const char *name)
{
	struct gendisk *disk;
	unsigned long flags;

	spin_lock_irqsave(&disk_list_lock, flags);
	disk = find_disk_locked(name);
	if (disk)
		get_disk(disk); /* GD1: del_gendisk() may run as soon as we unlock */
	spin_unlock_irqrestore(&disk_list_lock, flags);
	return disk;
}

int disk_iterate(int (*fn)(struct gendisk *disk, void *arg), void *arg)
{
	struct gendisk *disk;
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&disk_list_lock, flags);
	list_for_each_entry(disk, &disk_list, list) {
		ret = fn(disk, arg);
		if (ret)
			break;
	}
	spin_unlock_irqrestore(&disk_list_lock, flags);
	return ret;
}

void disk_stats_read(struct gendisk *disk, struct disk_stats *out)
{
	unsigned long flags;

	spin_lock_irqsave(&disk->stats_lock, flags);
	*out = disk->stats;
	spin_unlock_irqrestore(&disk->stats_lock, flags);
}

void disk_stats_reset(struct gendisk *disk)
{
	unsigned long flags;

	spin_lock_irqsave(&disk->stats_lock, flags);
	for (int g = 0; g < NR_STAT_GROUPS; g++) {
		disk->stats.ios[g] = 0;
		disk->stats.sectors[g] = 0;
		disk->stats.merges[g] = 0;
		disk->stats.nsecs[g] = 0;
	}
	disk->stats.errors = 0;
	disk->stats.max_rq_sectors = 0;
	disk->stats.max_rq_segments = 0;
	spin_unlock_irqrestore(&disk->stats_lock, flags);
}
