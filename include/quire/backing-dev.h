/*
 * include/quire/backing-dev.h - backing_dev_info and bdi_writeback: where a
 * mapping's dirty pages go, its dirty-inode lists and flusher, and its
 * bandwidth estimate (Linux's <linux/backing-dev*.h>).
 *
 * Layer: mm/fs. Implemented by mm/backing-dev.c (life cycle, the bdi list,
 * `wbstat`), fs/fs-writeback.c (lists and flusher work), mm/page-writeback.c
 * (bandwidth, ratelimits). Quire has one bdi_writeback per bdi (no
 * cgroups: Linux's root wb) and one bdi per disk, plus noop_backing_dev_info
 * for inodes that never write back (character devices).
 *
 * Locking: wb->list_lock (spin, irqsave not needed: never taken from
 * interrupts; folio_end_writeback defers to a work) guards b_dirty/b_io/
 * b_more_io, i_io_list and dirtied_when of its inodes; wb->work_lock the
 * work list; the bandwidth fields are updated under list_lock.
 */
#ifndef QUIRE_BACKING_DEV_H
#define QUIRE_BACKING_DEV_H

#include <quire/list.h>
#include <quire/spinlock.h>
#include <quire/atomic.h>
#include <quire/workqueue.h>
#include <quire/percpu_counter.h>
#include <quire/smp.h>
#include <quire/writeback.h>

enum wb_state {
	WB_registered,	      /* bdi_register() done, not unregistered */
	WB_writeback_running, /* the flusher is writing */
	WB_has_dirty_io,      /* some list has an inode */
	WB_start_all,	      /* a start-all request is pending */
};

enum wb_stat_item {
	WB_RECLAIMABLE, /* dirty pages not yet under writeback */
	WB_WRITEBACK,	/* pages under writeback */
	WB_DIRTIED,	/* pages dirtied (ever) */
	WB_WRITTEN,	/* pages written (ever) */
	NR_WB_STAT_ITEMS,
};

/* One queued request to the flusher (Linux's wb_writeback_work). */
struct wb_writeback_work {
	long nr_pages;
	struct super_block *sb;
	enum writeback_sync_modes sync_mode;
	unsigned tagged_writepages : 1;
	unsigned for_kupdate : 1;
	unsigned range_cyclic : 1;
	unsigned for_background : 1;
	unsigned for_sync : 1;
	unsigned auto_free : 1;
	enum wb_reason reason;
	struct list_head list;
	struct completion *done; /* completed when the work is finished */
};

struct backing_dev_info;

struct bdi_writeback {
	struct backing_dev_info *bdi;
	unsigned long state;	      /* WB_* bits */
	unsigned long last_old_flush; /* jiffies of the last kupdate */

	spinlock_t list_lock;
	struct list_head b_dirty;      /* dirty inodes, newest first */
	struct list_head b_io;	       /* being written this pass */
	struct list_head b_more_io;    /* requeued for the next pass */
	struct list_head b_dirty_time; /* only timestamps dirty */
	atomic_t writeback_inodes;     /* inodes with pages under writeback */

	struct percpu_counter stat[NR_WB_STAT_ITEMS];

	/* Bandwidth estimation (pages/s unless said). */
	unsigned long bw_time_stamp;	   /* jiffies of the last update */
	unsigned long dirtied_stamp;	   /* WB_DIRTIED at bw_time_stamp */
	unsigned long written_stamp;	   /* WB_WRITTEN at bw_time_stamp */
	unsigned long write_bandwidth;	   /* the estimate */
	unsigned long avg_write_bandwidth; /* further smoothed */
	unsigned long dirty_ratelimit;	   /* base task rate (pages/s) */
	unsigned long balanced_dirty_ratelimit;
	/* The wb's share of completions (Linux's fprop, simplified:
	 * pages whose writeback ended in this and the previous 3 s period of
	 * global_wb_domain; completions_period numbers the current one).
	 * completions is incremented at end of writeback (any context). */
	unsigned long completions, completions_prev;
	unsigned long completions_period;
	int dirty_exceeded;
	enum wb_reason start_all_reason; /* set with WB_start_all, under work_lock */

	spinlock_t work_lock; /* guards work_list, start_all_reason */
	struct list_head work_list;
	struct delayed_work dwork;    /* the flusher: wb_workfn() */
	struct delayed_work bw_dwork; /* deferred bandwidth update */
	unsigned long dirty_sleep;    /* last wait in balance_dirty_pages */
};

struct backing_dev_info {
	struct list_head bdi_list;	   /* on the global bdi list */
	char dev_name[32];		   /* "vda", "254:0" in traces */
	u32 dev;			   /* MKDEV() of the disk, for traces */
	unsigned long ra_pages;		   /* read-ahead window */
	unsigned int capabilities;	   /* BDI_CAP_* */
	unsigned int min_ratio, max_ratio; /* share of dirty threshold, % */
	atomic_t refcnt;
	struct bdi_writeback wb; /* the only wb */
};

#define BDI_CAP_WRITEBACK      (1u << 0) /* dirty pages are written back */
#define BDI_CAP_WRITEBACK_ACCT (1u << 1) /* account them in wb stats */

/* For inodes that never write back (character devices, pseudo files). */
extern struct backing_dev_info noop_backing_dev_info;

/* New bdi, refcount 1, with its wb (lists, counters, work). NULL on -ENOMEM. */
struct backing_dev_info *bdi_alloc(int node_id);
/* Initialise an embedded @bdi and its wb as bdi_alloc() does (capabilities
 * 0), not registered: no flusher runs for it. wb_exit() undoes the wb's
 * part. Static in Linux; Quire's test fixtures use them. */
void bdi_init(struct backing_dev_info *bdi);
void wb_exit(struct bdi_writeback *wb);
/* Name it and put it on the bdi list (visible to sync and wbstat). */
int bdi_register(struct backing_dev_info *bdi, const char *name, u32 dev);
/* Off the list; the flusher is stopped after writing everything. */
void bdi_unregister(struct backing_dev_info *bdi);
void bdi_put(struct backing_dev_info *bdi);
/* Call @fn on each registered bdi (under the list mutex). */
int bdi_iterate(int (*fn)(struct backing_dev_info *bdi, void *arg), void *arg);

static inline struct backing_dev_info *inode_to_bdi(struct inode *inode)
{
	struct super_block *sb;

	if (!inode)
		return &noop_backing_dev_info;
	sb = inode->i_sb;
	return sb && sb->s_bdi ? sb->s_bdi : &noop_backing_dev_info;
}

static inline struct bdi_writeback *inode_to_wb(struct inode *inode)
{
	return &inode_to_bdi(inode)->wb;
}

/* The seed's inode_to_wb_wbc(): one wb per bdi, so inode_to_wb(). */
static inline struct bdi_writeback *inode_to_wb_wbc(struct inode *inode,
						    struct writeback_control *wbc)
{
	return inode_to_wb(inode);
}

static inline bool mapping_can_writeback(struct address_space *mapping)
{
	return inode_to_bdi(mapping->host)->capabilities & BDI_CAP_WRITEBACK;
}

static inline bool bdi_cap_account_writeback(struct backing_dev_info *bdi)
{
	return bdi->capabilities & BDI_CAP_WRITEBACK_ACCT;
}

/* Each CPU keeps up to this many of a wb stat's counts before adding them
 * to the total (Linux's WB_STAT_BATCH, fixed here). */
#define WB_STAT_BATCH 32

static inline void wb_stat_mod(struct bdi_writeback *wb, enum wb_stat_item item, s64 v)
{
	percpu_counter_add_batch(&wb->stat[item], v, WB_STAT_BATCH);
}

/* How far wb_stat()'s quick read may be from the exact sum: a comparison
 * this close to its limit takes wb_stat_sum() (as Linux's). */
static inline unsigned long wb_stat_error(void)
{
	return (unsigned long)WB_STAT_BATCH * num_online_cpus();
}

static inline s64 wb_stat(struct bdi_writeback *wb, enum wb_stat_item item)
{
	return percpu_counter_read_positive(&wb->stat[item]);
}

static inline s64 wb_stat_sum(struct bdi_writeback *wb, enum wb_stat_item item)
{
	return percpu_counter_sum_positive(&wb->stat[item]);
}

static inline bool wb_has_dirty_io(struct bdi_writeback *wb)
{
	return test_bit(WB_has_dirty_io, &wb->state);
}

/* Is the flusher writing (WB_writeback_running)? */
static inline bool writeback_in_progress(struct bdi_writeback *wb)
{
	return test_bit(WB_writeback_running, &wb->state);
}

/* The flusher, run from wb->dwork on bdi_wq (fs/fs-writeback.c): queued
 * works, start-all, kupdate, background. bdi_alloc() initialises
 * wb->dwork with it. */
void wb_workfn(struct work_struct *work);
/* wb->bw_dwork: the bandwidth update after the last page of an inode
 * ended writeback (mm/dirty_throttle.c). */
void wb_update_bandwidth_workfn(struct work_struct *work);
/* Is @wb (or the whole system) above the background threshold? */
bool wb_over_bg_thresh(struct bdi_writeback *wb);
/* @wb's share of the global @thresh, from its share of completions. */
unsigned long wb_calc_thresh(struct bdi_writeback *wb, unsigned long thresh);

/* Kick the flusher for background writeback (over bg_thresh). */
void wb_start_background_writeback(struct bdi_writeback *wb);
/* Queue @work on @wb's flusher. */
void wb_queue_work(struct bdi_writeback *wb, struct wb_writeback_work *work);
/* Wake @wb's flusher after dirty_writeback_interval if not armed. */
void wb_wakeup_delayed(struct bdi_writeback *wb);

/* The workqueue the flushers run on ("writeback", unbound). */
extern struct workqueue_struct *bdi_wq;

#endif
