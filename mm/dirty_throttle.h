/*
 * mm/dirty_throttle.h - the insides of mm/dirty_throttle.c that its tests
 * (mm/dirty_throttle_test.c) check directly: the position-ratio math, the
 * pause bounds and the sysctl handlers. Not an interface for other code.
 */
#ifndef MM_DIRTY_THROTTLE_H
#define MM_DIRTY_THROTTLE_H

#include <quire/backing-dev.h>
#include <quire/sysctl.h>

#define MAX_PAUSE		  max(HZ / 5, 1)	     /* 200 ms */
#define DIRTY_POLL_THRESH	  (128 >> (PAGE_SHIFT - 10)) /* 32 pages */
#define BANDWIDTH_INTERVAL	  max(HZ / 5, 1)	     /* 200 ms */
#define RATELIMIT_CALC_SHIFT	  10			     /* pos_ratio: 1.0 = 1024 */
#define VM_COMPLETIONS_PERIOD_LEN (3 * HZ)		     /* wb share periods */
#define WB_BANDWIDTH_IDLE_JIF	  HZ
/* Initial write bandwidth and dirty ratelimit: 100 MB/s in pages/s (Linux's
 * INIT_BW; mm/backing-dev.c starts each wb there). */
#define INIT_BW			  (100UL << (20 - PAGE_SHIFT))

/* Linux's dirty_throttle_control: one balance_dirty_pages() round. */
struct dirty_throttle_control {
	struct bdi_writeback *wb;
	unsigned long avail;	    /* dirtyable pages */
	unsigned long dirty;	    /* NR_FILE_DIRTY + NR_WRITEBACK */
	unsigned long thresh;	    /* dirty threshold */
	unsigned long bg_thresh;    /* background threshold */
	unsigned long wb_dirty;	    /* the wb's reclaimable + writeback */
	unsigned long wb_thresh;    /* its share of thresh */
	unsigned long wb_bg_thresh; /* its share of bg_thresh */
	unsigned long pos_ratio;    /* << RATELIMIT_CALC_SHIFT */
	bool freerun;
	bool dirty_exceeded;
};

/* (thresh + bg_thresh) / 2: below it nobody is throttled. */
unsigned long dirty_freerun_ceiling(unsigned long thresh, unsigned long bg_thresh);
/* thresh and bg_thresh of @avail dirtyable pages from the tunables. */
void domain_dirty_limits(struct dirty_throttle_control *dtc);
/* The global cubic factor, clamped to [0, 2] (<< RATELIMIT_CALC_SHIFT). */
long long pos_ratio_polynom(unsigned long setpoint, unsigned long dirty,
			    unsigned long limit);
/* dtc->pos_ratio from dirty, thresh, bg_thresh, wb_dirty, wb_thresh and the
 * hard @limit (global_wb_domain.dirty_limit in balance_dirty_pages()). */
void wb_position_ratio_limit(struct dirty_throttle_control *dtc, unsigned long limit);
/* Pause bounds of balance_dirty_pages() (jiffies). */
unsigned long wb_max_pause(struct bdi_writeback *wb, unsigned long wb_dirty);
long wb_min_pause(struct bdi_writeback *wb, long max_pause, unsigned long task_ratelimit,
		  unsigned long dirty_ratelimit, int *nr_dirtied_pause);
/* How many pages a task may dirty before it checks again. */
unsigned long dirty_poll_interval(unsigned long dirty, unsigned long thresh);
/* Linux's update_dirty_limit(): one 200 ms step of global_wb_domain. */
void update_dirty_limit(struct dirty_throttle_control *dtc);
/* ratelimit_pages: thresh / (online CPUs * 32), at least 16. */
extern long ratelimit_pages;
/* Forget the per-CPU counts of pages dirtied since the last check. */
void bdp_ratelimits_reset(void);

/* The vm.dirty_* sysctl handlers (after a successful write). */
void dirty_background_ratio_handler(const struct ctl_table *table, long old);
void dirty_background_bytes_handler(const struct ctl_table *table, long old);
void dirty_ratio_handler(const struct ctl_table *table, long old);
void dirty_bytes_handler(const struct ctl_table *table, long old);

/* floor(log2(@v)), 0 for 0 and 1. */
static inline unsigned int dt_ilog2(unsigned long v)
{
	return v ? 63 - __builtin_clzl(v) : 0;
}

static inline unsigned long dt_roundup_pow_of_two(unsigned long v)
{
	return v <= 1 ? 1 : 1UL << (dt_ilog2(v - 1) + 1);
}

#endif
