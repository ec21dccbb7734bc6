/*
 * include/quire/blkdev.h - disks, their queues and limits, plugging, stats.
 *
 * Layer: block. Used by: drivers (virtio-blk, arch/host's file disk), file
 * systems, blkbench and the shell.
 * Provides: struct gendisk / struct block_device, struct queue_limits,
 * struct request_queue, struct blk_plug, add_disk()/del_gendisk(),
 * disk lookup by name and iteration, per-disk I/O statistics.
 *
 * Quire has no partitions: each gendisk has exactly one block_device
 * (disk->part0), the whole disk. Disks are named by their driver ("vda").
 *
 * Locking: disk_list_lock (block/genhd.c) guards the list of registered
 * disks; disk->stats_lock guards disk->stats (taken with interrupts off:
 * completions update it from interrupt context).
 */
#ifndef QUIRE_BLKDEV_H
#define QUIRE_BLKDEV_H

#include <quire/compiler.h>
#include <quire/list.h>
#include <quire/spinlock.h>
#include <quire/timer.h>
#include <quire/workqueue.h>
#include <quire/wait.h>
#include <quire/bio.h>

struct blk_mq_tag_set;
struct blk_mq_hw_ctx;
struct request;

#define DISK_NAME_LEN	16
#define DISK_MODEL_LEN	24
#define DISK_SERIAL_LEN	24

/* What the device can take in one request (Linux: struct queue_limits). */
struct queue_limits {
	u32 logical_block_size;		/* bytes; smallest addressable unit */
	u32 physical_block_size;	/* bytes; smallest unit written atomically */
	u32 max_sectors;		/* per read/write request, 512-byte units */
	u16 max_segments;		/* memory segments per request */
	u32 max_segment_size;		/* bytes per segment */
	u32 max_discard_sectors;	/* per discard request; 0: no discard */
	u32 max_write_zeroes_sectors;	/* per request; 0: no write-zeroes */
	bool write_cache;		/* volatile write cache: FLUSH needed */
	bool fua;			/* the device honours REQ_FUA itself */
	bool read_only;			/* refuse writes with -EROFS */
};

/* Statistics groups (Linux: enum stat_group). */
enum stat_group {
	STAT_READ,
	STAT_WRITE,
	STAT_DISCARD,
	STAT_FLUSH,
	NR_STAT_GROUPS,
};

struct disk_stats {
	u64 ios[NR_STAT_GROUPS];	/* requests completed */
	u64 sectors[NR_STAT_GROUPS];	/* 512-byte sectors transferred */
	u64 merges[NR_STAT_GROUPS];	/* bios merged into an existing request */
	u64 nsecs[NR_STAT_GROUPS];	/* summed request latency, ns */
	u64 errors;			/* requests completed with an error */
	u32 max_rq_sectors;		/* largest read/write request seen */
	u32 max_rq_segments;		/* most segments in one request seen */
	u32 in_flight[2];		/* [0] reads, [1] writes/other, now */
	/* requests that outlived rq_timeout (disk_stats_reset keeps it) */
	u64 timeouts;
};

/* Completion-time buckets for polling: direction x log2 size (Linux's). */
#define BLK_MQ_POLL_STATS_BKTS 16

struct request_queue {
	struct queue_limits limits;
	struct gendisk *disk;
	struct blk_mq_tag_set *tag_set;
	unsigned int nr_hw_queues;
	struct blk_mq_hw_ctx **hctxs;	/* [nr_hw_queues] */
	void *queuedata;		/* driver's per-queue data */
	/* request timeouts (block/blk-timeout.c) */
	unsigned int rq_timeout;	 /* jiffies a request may stay in flight */
	struct timer_list timeout;	 /* fires at the earliest deadline */
	struct work_struct timeout_work; /* blk_mq_timeout_work() */
	/* serialises mod_timer(&timeout) and writes of the three below */
	spinlock_t timeout_lock;
	bool timeout_stopped;	       /* blk_sync_queue(): never arm again */
	bool timeout_armed;	       /* timeout pending, firing at ... */
	unsigned long timeout_expires; /* ... this jiffy */
	/* polling (block/blk-mq.c, bio_poll_until(); `blkdev DEV poll=`) */
	bool poll_enabled;		       /* Linux: io_poll (QUEUE_FLAG_POLL) */
	unsigned int poll_nsec;		       /* 0: adaptive budget; else fixed */
	u64 poll_stat[BLK_MQ_POLL_STATS_BKTS]; /* mean ns per bucket (atomic) */
	/* blk_flush.earlyack mutant only: the FLUSH acknowledged, sent late
	 * (block/blk-flush.c) by this work, to this device */
	struct delayed_work flush_late;
	struct block_device *flush_late_bdev;
	/* submitters inside submit_bio() (Linux's q_usage_counter, held
	 * only until the request has its tag); del_gendisk() waits on
	 * q_freeze_wq for 0 after the disk is dead (GD2) */
	int q_usage;
	wait_queue_head_t q_freeze_wq;
};

struct block_device {
	struct gendisk *bd_disk;
	struct request_queue *bd_queue;
	u32 bd_dev; /* MKDEV(), set with its bdev inode (0 before); traces */
};

/* Linux's blk_fill_rwbs(): "FWFS"-style op and flags of a trace line
 * (F preflush, then W/R/D/Z/N, then F for FUA, S sync) in @rwbs[8]. */
void blk_fill_rwbs(char *rwbs, blk_opf_t opf);

struct gendisk {
	char disk_name[DISK_NAME_LEN];	/* "vda" */
	char model[DISK_MODEL_LEN];	/* shown by lsblk */
	char serial[DISK_SERIAL_LEN];	/* "quire-test*" marks a test disk */
	sector_t capacity;		/* size in 512-byte sectors */
	struct block_device part0;	/* the whole disk */
	struct request_queue *queue;
	void *private_data;		/* the driver's */
	struct list_head list;		/* on the registered-disk list */
	bool registered;
	bool dead;			/* blk_mark_disk_dead(): I/O fails fast */
	int refcount;			/* get_disk()/put_disk() (atomic) */
	spinlock_t stats_lock;		/* protects stats */
	struct disk_stats stats;
};

static inline struct request_queue *bdev_get_queue(struct block_device *bdev)
{
	return bdev->bd_queue;
}

static inline sector_t get_capacity(const struct gendisk *disk)
{
	return READ_ONCE(disk->capacity);
}

static inline void set_capacity(struct gendisk *disk, sector_t sectors)
{
	WRITE_ONCE(disk->capacity, sectors);
}

static inline sector_t bdev_nr_sectors(struct block_device *bdev)
{
	return get_capacity(bdev->bd_disk);
}

static inline u32 bdev_logical_block_size(struct block_device *bdev)
{
	return bdev->bd_queue->limits.logical_block_size;
}

static inline bool bdev_read_only(struct block_device *bdev)
{
	return READ_ONCE(bdev->bd_queue->limits.read_only);
}

static inline void set_disk_ro(struct gendisk *disk, bool ro)
{
	WRITE_ONCE(disk->queue->limits.read_only, ro);
}

/*
 * The device behind @disk is gone for good (it stopped answering and was
 * reset): every bio submitted from now on fails at once with -EIO, without
 * reaching the driver. lsblk shows the disk "dead". Context: any.
 */
void blk_mark_disk_dead(struct gendisk *disk);

static inline bool disk_is_dead(const struct gendisk *disk)
{
	return READ_ONCE(disk->dead);
}

/* Requests of @q may stay in flight @timeout jiffies (>= 1) before the
 * driver's ->timeout runs (Linux's name; the default is 30 s). */
void blk_queue_rq_timeout(struct request_queue *q, unsigned int timeout);

/* Is @disk one that tests may overwrite (serial "quire-test*")? */
bool disk_is_test_disk(const struct gendisk *disk);

/*
 * Register @disk (already set up by blk_mq_alloc_disk() with a name,
 * capacity and limits) so lookups, lsblk and iostat see it.
 * 0, -EEXIST (name taken) or -EINVAL (bad limits, logged).
 * Context: process.
 */
int add_disk(struct gendisk *disk);
/* Unregister @disk, write back its page cache (unless the disk is dead)
 * and detach it (block/bdev.c: open files get -ENXIO), mark it dead (a
 * bio submitted from then on fails at once with -EIO and never reaches
 * the driver), and wait until it has no request in flight (no submitter
 * inside submit_bio(), every tag free, every completion out of the block
 * layer). The driver then stops its device, waits for its interrupt
 * handlers to finish (they may still be in blk_mq_run_hw_queue()), and
 * drops its reference with put_disk(). Context: process, may sleep. */
void del_gendisk(struct gendisk *disk);
/* A reference on @disk (Linux's get_device(disk_to_dev(disk))): its
 * struct, queue and part0 stay until the last put_disk(), which frees
 * them (the driver's own reference is the one blk_mq_alloc_disk() gave).
 * Context: any; put_disk(): process for the last one. */
struct gendisk *get_disk(struct gendisk *disk);
void put_disk(struct gendisk *disk);

/* The registered disk called @name with a reference (put_disk() it), or
 * NULL. Context: any. */
struct gendisk *get_disk_by_name(const char *name);
/* Call @fn on each registered disk in registration order; stops at, and
 * returns, the first non-zero result. @fn must not add or remove disks. */
int disk_iterate(int (*fn)(struct gendisk *disk, void *arg), void *arg);

/* Copy the stats of @disk (consistent snapshot). */
void disk_stats_read(struct gendisk *disk, struct disk_stats *out);
void disk_stats_reset(struct gendisk *disk);

/*
 * Plugging (Linux: struct blk_plug): a task batches the requests it
 * submits between blk_start_plug() and blk_finish_plug(); adjacent bios
 * merge into one request while plugged, and the batch goes to the driver
 * in one go (one commit_rqs() kick per hardware queue). Plugs are per task
 * (current->plug) and do not nest (an inner start is ignored).
 */
#define BLK_MAX_REQUEST_COUNT	32	/* flush the plug at this many; Linux's */

struct blk_plug {
	struct list_head mq_list;	/* requests, in submission order */
	unsigned int rq_count;
};

void blk_start_plug(struct blk_plug *plug);
void blk_finish_plug(struct blk_plug *plug);
/* Dispatch what @plug holds now (keeps plugging). Context: process. */
void blk_flush_plug(struct blk_plug *plug);

/* Issue an empty flush and wait. 0 or -errno. Context: process. */
int blkdev_issue_flush(struct block_device *bdev);

/* The block layer's workqueue (Linux's kblockd: WQ_MEM_RECLAIM |
 * WQ_HIGHPRI), for work that frees I/O; never behind system_wq. */
extern struct workqueue_struct *kblockd_workqueue;
bool kblockd_schedule_work(struct work_struct *work);

/*
 * A disk's page cache (block/bdev.c): each disk has a bdev inode whose
 * mapping caches its blocks and is written back through ->writepage.
 * blkdev_open_by_name() opens disk @name ("vda") as a file: buffered
 * through the cache, or straight to the disk with O_DIRECT (offsets,
 * lengths and buffers aligned to the logical block size); fsync writes
 * back and flushes the disk's cache. ERR_PTR(-ENODEV) (no such disk),
 * -EROFS (write on a read-only disk), -ENXIO (dead), -ENOMEM. Close with
 * fput(). Context: process, may sleep.
 */
struct inode;
struct file;
struct file *blkdev_open_by_name(const char *name, unsigned int flags);
/* @disk's bdev inode (made on first use), or NULL on no memory. */
struct inode *bdev_inode(struct gendisk *disk);
/* bdev_inode() with a reference (taken under bdev_mutex, so a racing
 * bdev_del_disk() cannot free the inode first; NULL once the disk is
 * deleted); the caller iput()s it. mount_bdev() holds one per sb. */
struct inode *bdev_inode_get(struct gendisk *disk);
/* The bdev inode with device number @dev, with a reference the caller
 * iput()s; NULL if no registered disk has that number. */
struct inode *bdev_inode_get_by_dev(u32 dev);
/* The file operations of a disk's device node (devtmpfs' S_IFBLK
 * inodes): ->open finds the bdev inode by the node's i_rdev and the file
 * holds it (and so the disk) until its release; -ENXIO once the disk is
 * deleted. */
extern const struct file_operations def_blk_node_fops;
/* Drop the clean, unlocked pages of @bdev's cache (Linux's). */
void invalidate_bdev(struct block_device *bdev);

#endif
