/*
 * mm/dirty_throttle.c - dirty thresholds and dirty throttling: the vm.dirty_*
 * tunables, balance_dirty_pages(), node_dirty_ok() and the write-bandwidth
 * estimate of each bdi_writeback.
 *
 * Layer: mm. Used by: the buffered write path (generic_perform_write calls
 * balance_dirty_pages_ratelimited), the page allocator (node_dirty_ok),
 * do_writepages (wb_bandwidth_estimate_start, wb_update_bandwidth), the
 * flusher (wb_over_bg_thresh, global_wb_domain.dirty_limit).
 * Provides: global_dirty_limits(), global_dirtyable_memory(),
 * node_dirty_ok(), balance_dirty_pages_ratelimited(), wb_calc_thresh(),
 * wb_over_bg_thresh(), wb_bandwidth_estimate_start(), wb_update_bandwidth(),
 * wb_update_bandwidth_workfn(), the vm.dirty_* sysctls, `wbstat`.
 * Not here: page state, tags, do_writepages(), writeback_iter() (Linux keeps
 * them in the same file, mm/page-writeback.c; Quire splits the file so the
 * page-state half and the throttling half can be read apart), the flusher
 * (fs/fs-writeback.c).
 *
 * Units: pages for thresholds and dirty counts, pages/s for bandwidth and
 * ratelimits (traces print KiB/s as Linux does), jiffies for pauses.
 *
 * Invariants (checked by the dirty_throttle tests):
 *  WB1: bg_thresh < thresh whenever thresh > 0: a background threshold at
 *      or above the dirty threshold becomes thresh / 2.
 *  WB2: after a domain update global_wb_domain.dirty_limit >= thresh; it
 *      falls by at most 1/32 of the gap per BANDWIDTH_INTERVAL.
 *  WB3: the global position ratio is in [0, 2.0], 0 at or above the hard
 *      limit, 1.0 at the setpoint; the per-wb line multiplies it by no less
 *      than 1/4 (before the wb reserve-area boost).
 *  WB4: one sleep of balance_dirty_pages() is at most MAX_PAUSE (200 ms).
 *  WB5: avg_write_bandwidth and dirty_ratelimit stay >= 1 page/s.
 *
 * Locking: wb->list_lock guards the bandwidth fields of a wb (write
 * bandwidth, avg, ratelimits, stamps, completions_prev/period; completions
 * itself is an atomic count bumped at end of writeback); readers outside it
 * use READ_ONCE and tolerate a stale value. global_wb_domain.lock guards the
 * domain's dirty_limit and completion period; it nests inside
 * wb->list_lock. The tunables are plain integers written by `sysctl`.
 */
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/sched.h>
#include <quire/smp.h>
#include <quire/jiffies.h>
#include <quire/sysctl.h>
#include <quire/trace.h>
#include <quire/shell.h>
#include <quire/printk.h>
#include <quire/init.h>
#include <quire/errno.h>
#include <quire/string.h>
#include "dirty_throttle.h"

/* ---- tunables (Linux's defaults) ---- */

int dirty_background_ratio = 10;		 /* % of dirtyable memory */
unsigned long dirty_background_bytes;		 /* 0: use the ratio */
int vm_dirty_ratio = 20;			 /* % of dirtyable memory */
unsigned long vm_dirty_bytes;			 /* 0: use the ratio */
unsigned int dirty_writeback_interval = 5 * 100; /* centisecs: kupdate period */
unsigned int dirty_expire_interval = 30 * 100;	 /* centisecs: "old" data */

/* After this many pages dirtied on one CPU, check whatever the task's own
 * nr_dirtied_pause says (writeback_set_ratelimit()). */
long ratelimit_pages = 32;
static int bdp_ratelimits[MAX_CPUS]; /* pages dirtied per CPU since a check */

void bdp_ratelimits_reset(void)
{
	memset(bdp_ratelimits, 0, sizeof(bdp_ratelimits));
}

struct wb_domain global_wb_domain = {
	.lock = __SPIN_LOCK_UNLOCKED(global_wb_domain.lock),
};

/* Bytes limits are stored in bytes but used in pages: keep them in u32 pages. */
#define DIRTY_BYTES_MAX ((long)0xffffffffL * PAGE_SIZE)

/*
 * The hooks run under sysctl_mutex, one at a time, but writers and the
 * flusher read the tunables without it (READ_ONCE): every store here is
 * WRITE_ONCE.
 */
static void dirty_writeback_centisecs_handler(const struct ctl_table *table, long old)
{
	unsigned int interval = READ_ONCE(dirty_writeback_interval);

	/* Linux: a new non-zero interval takes effect at once. */
	if (interval && interval != (unsigned int)old)
		wakeup_flusher_threads(WB_REASON_PERIODIC);
}

void dirty_background_ratio_handler(const struct ctl_table *table, long old)
{
	WRITE_ONCE(dirty_background_bytes, 0UL);
}

/*
 * A _bytes value zeroes its ratio, as in Linux. Linux refuses 0 for the
 * _bytes sysctls although 0 is their resting value ("use the ratio"); Quire
 * keeps every sysctl's value inside its range, so it accepts 0 and then
 * brings back Linux's default ratio if the ratio is 0 too.
 */
void dirty_background_bytes_handler(const struct ctl_table *table, long old)
{
	if (READ_ONCE(dirty_background_bytes))
		WRITE_ONCE(dirty_background_ratio, 0);
	else if (!READ_ONCE(dirty_background_ratio))
		WRITE_ONCE(dirty_background_ratio, 10);
}

/* Linux acts only on a change: vm.dirty_ratio=0 written while
 * vm.dirty_bytes rules (the ratio is 0 then) keeps the bytes limit. */
void dirty_ratio_handler(const struct ctl_table *table, long old)
{
	if (READ_ONCE(vm_dirty_ratio) == old)
		return;
	WRITE_ONCE(vm_dirty_bytes, 0UL);
	writeback_set_ratelimit();
}

/* Also: a non-zero vm.dirty_bytes below Linux's minimum (2 pages) is raised
 * to it. The same non-zero value again changes nothing (Linux). */
void dirty_bytes_handler(const struct ctl_table *table, long old)
{
	unsigned long bytes = READ_ONCE(vm_dirty_bytes);

	if (bytes && bytes == (unsigned long)old)
		return;
	if (bytes) {
		WRITE_ONCE(vm_dirty_bytes, max(bytes, 2 * PAGE_SIZE));
		WRITE_ONCE(vm_dirty_ratio, 0);
	} else if (!READ_ONCE(vm_dirty_ratio)) {
		WRITE_ONCE(vm_dirty_ratio, 20);
	}
	writeback_set_ratelimit();
}

SYSCTL_ENTRY(dirty_background_ratio, .procname = "vm.dirty_background_ratio",
	     .data = &dirty_background_ratio, .type = SYSCTL_INT, .min = 0, .max = 100,
	     .after_write = dirty_background_ratio_handler);
SYSCTL_ENTRY(dirty_background_bytes, .procname = "vm.dirty_background_bytes",
	     .data = &dirty_background_bytes, .type = SYSCTL_ULONG, .min = 0,
	     .max = DIRTY_BYTES_MAX, .after_write = dirty_background_bytes_handler);
SYSCTL_ENTRY(dirty_ratio, .procname = "vm.dirty_ratio", .data = &vm_dirty_ratio,
	     .type = SYSCTL_INT, .min = 0, .max = 100,
	     .after_write = dirty_ratio_handler);
SYSCTL_ENTRY(dirty_bytes, .procname = "vm.dirty_bytes", .data = &vm_dirty_bytes,
	     .type = SYSCTL_ULONG, .min = 0, .max = DIRTY_BYTES_MAX,
	     .after_write = dirty_bytes_handler);
SYSCTL_ENTRY(dirty_writeback_centisecs, .procname = "vm.dirty_writeback_centisecs",
	     .data = &dirty_writeback_interval, .type = SYSCTL_UINT, .min = 0,
	     .max = 0x7fffffff / 10, .after_write = dirty_writeback_centisecs_handler);
SYSCTL_ENTRY(dirty_expire_centisecs, .procname = "vm.dirty_expire_centisecs",
	     .data = &dirty_expire_interval, .type = SYSCTL_UINT, .min = 0,
	     .max = 0x7fffffff / 10);

/* ---- thresholds ---- */

static unsigned long KBps(unsigned long pages_per_sec)
{
	return pages_per_sec << (PAGE_SHIFT - 10);
}

/* Free + file LRU pages of one node: what the page cache could use. */
static unsigned long node_dirtyable_memory(pg_data_t *pgdat)
{
	return node_page_state(pgdat, NR_FREE_PAGES) +
	       node_page_state(pgdat, NR_INACTIVE_FILE) +
	       node_page_state(pgdat, NR_ACTIVE_FILE);
}

unsigned long global_dirtyable_memory(void)
{
	return global_node_page_state(NR_FREE_PAGES) +
	       global_node_page_state(NR_INACTIVE_FILE) +
	       global_node_page_state(NR_ACTIVE_FILE) + 1; /* never 0 */
}

unsigned long dirty_freerun_ceiling(unsigned long thresh, unsigned long bg_thresh)
{
	return (thresh + bg_thresh) / 2;
}

static unsigned long hard_dirty_limit(unsigned long thresh)
{
	return max(thresh, READ_ONCE(global_wb_domain.dirty_limit));
}

static void trace_global_dirty_state(unsigned long bg_thresh, unsigned long thresh)
{
	trace_event(
		"global_dirty_state",
		"dirty=%lu writeback=%lu bg_thresh=%lu thresh=%lu limit=%lu dirtied=%lu written=%lu",
		global_node_page_state(NR_FILE_DIRTY),
		global_node_page_state(NR_WRITEBACK), bg_thresh, thresh,
		READ_ONCE(global_wb_domain.dirty_limit),
		global_node_page_state(NR_DIRTIED), global_node_page_state(NR_WRITTEN));
}

/* WB1. The ratios are scaled to per-PAGE_SIZE first for precision, as
 * Linux does. */
void domain_dirty_limits(struct dirty_throttle_control *dtc)
{
	unsigned long bytes = READ_ONCE(vm_dirty_bytes);
	unsigned long bg_bytes = READ_ONCE(dirty_background_bytes);
	unsigned long ratio = (READ_ONCE(vm_dirty_ratio) * PAGE_SIZE) / 100;
	unsigned long bg_ratio = (READ_ONCE(dirty_background_ratio) * PAGE_SIZE) / 100;
	unsigned long thresh, bg_thresh;

	if (bytes)
		thresh = DIV_ROUND_UP(bytes, PAGE_SIZE);
	else
		thresh = (ratio * dtc->avail) / PAGE_SIZE;
	if (bg_bytes)
		bg_thresh = DIV_ROUND_UP(bg_bytes, PAGE_SIZE);
	else
		bg_thresh = (bg_ratio * dtc->avail) / PAGE_SIZE;
	if (thresh > 0xffffffffUL)
		thresh = 0xffffffffUL;
	if (bg_thresh >= thresh)
		bg_thresh = thresh / 2;
	dtc->thresh = thresh;
	dtc->bg_thresh = bg_thresh;
	trace_global_dirty_state(bg_thresh, thresh); /* as Linux, on every computation */
}

/* dtc->avail and dtc->dirty of the global domain. */
static void domain_dirty_avail(struct dirty_throttle_control *dtc, bool include_writeback)
{
	dtc->avail = global_dirtyable_memory();
	dtc->dirty = global_node_page_state(NR_FILE_DIRTY);
	if (include_writeback)
		dtc->dirty += global_node_page_state(NR_WRITEBACK);
}

void global_dirty_limits(unsigned long *pbackground, unsigned long *pdirty)
{
	struct dirty_throttle_control dtc = {.avail = global_dirtyable_memory()};

	domain_dirty_limits(&dtc);
	*pbackground = dtc.bg_thresh;
	*pdirty = dtc.thresh;
}

static unsigned long node_dirty_limit(pg_data_t *pgdat)
{
	unsigned long node_memory = node_dirtyable_memory(pgdat);
	unsigned long bytes = READ_ONCE(vm_dirty_bytes);
	unsigned long dirty;

	if (bytes)
		dirty = DIV_ROUND_UP(bytes, PAGE_SIZE) * node_memory /
			global_dirtyable_memory();
	else
		dirty = READ_ONCE(vm_dirty_ratio) * node_memory / 100;
	return min(dirty, 0xffffffffUL);
}

bool node_dirty_ok(pg_data_t *pgdat)
{
	unsigned long nr_pages = node_page_state(pgdat, NR_FILE_DIRTY) +
				 node_page_state(pgdat, NR_WRITEBACK);

	return nr_pages <= node_dirty_limit(pgdat);
}

void writeback_set_ratelimit(void)
{
	unsigned long bg_thresh, thresh;

	global_dirty_limits(&bg_thresh, &thresh);
	spin_lock(&global_wb_domain.lock);
	WRITE_ONCE(global_wb_domain.dirty_limit, thresh);
	spin_unlock(&global_wb_domain.lock);
	WRITE_ONCE(ratelimit_pages, max(thresh / (num_online_cpus() * 32), 16UL));
}

static int page_writeback_init(void)
{
	global_wb_domain.dirty_limit_tstamp = jiffies;
	global_wb_domain.period_time = jiffies;
	global_wb_domain.written_stamp = global_node_page_state(NR_WRITTEN);
	writeback_set_ratelimit();
	return 0;
}
late_initcall(page_writeback_init);

/* ---- each wb's share of the threshold (Linux's fprop, simplified) ---- */

/* The number of the current completion period (starts those due). */
static unsigned long wb_domain_period(unsigned long now, unsigned long *weight)
{
	struct wb_domain *dom = &global_wb_domain;
	unsigned long n, period, written = global_node_page_state(NR_WRITTEN);

	spin_lock(&dom->lock);
	if (time_after_eq(now, dom->period_time + VM_COMPLETIONS_PERIOD_LEN)) {
		n = (now - dom->period_time) / VM_COMPLETIONS_PERIOD_LEN;
		dom->written_prev = n == 1 ? written - dom->written_stamp : 0;
		dom->written_stamp = written;
		dom->period += n;
		dom->period_time += n * VM_COMPLETIONS_PERIOD_LEN;
	}
	period = dom->period;
	*weight = written - dom->written_stamp + dom->written_prev / 2;
	spin_unlock(&dom->lock);
	return period;
}

/* Age @wb's counts to @period: after one period the current count becomes
 * the previous one, after more both are stale and drop. */
static void wb_completions_age(struct bdi_writeback *wb, unsigned long period)
{
	unsigned long cur;

	spin_lock(&wb->list_lock);
	if (wb->completions_period != period) {
		cur = __atomic_exchange_n(&wb->completions, 0, __ATOMIC_RELAXED);
		WRITE_ONCE(wb->completions_prev,
			   period - wb->completions_period == 1 ? cur : 0);
		wb->completions_period = period;
	}
	spin_unlock(&wb->list_lock);
}

/*
 * @wb's share of recent completions as num / den: its pages written this
 * period plus half the last, against all pages written (NR_WRITTEN) the
 * same way; 0 / 1 when nothing was written lately. Both sides age lazily,
 * at the first look after a period boundary.
 */
static void wb_completion_fraction(struct bdi_writeback *wb, unsigned long *num,
				   unsigned long *den)
{
	unsigned long period = wb_domain_period(jiffies, den);

	wb_completions_age(wb, period);
	*num = __atomic_load_n(&wb->completions, __ATOMIC_RELAXED) +
	       READ_ONCE(wb->completions_prev) / 2;
	if (*num > *den)
		*den = *num;
	if (!*den) {
		*num = 0;
		*den = 1;
	}
}

unsigned long wb_calc_thresh(struct bdi_writeback *wb, unsigned long thresh)
{
	struct backing_dev_info *bdi = wb->bdi;
	unsigned long num, den, min_ratio, max_ratio;
	u64 wb_thresh;

	wb_completion_fraction(wb, &num, &den);
	min_ratio = min(bdi->min_ratio, 100u);
	max_ratio = bdi->max_ratio ? min(bdi->max_ratio, 100u) : 100;
	wb_thresh = (u64)thresh * (100 - min_ratio) / 100;
	wb_thresh = wb_thresh * num / den;
	wb_thresh += (u64)thresh * min_ratio / 100;
	return min(wb_thresh, (u64)thresh * max_ratio / 100);
}

static void wb_dirty_limits(struct dirty_throttle_control *dtc)
{
	struct bdi_writeback *wb = dtc->wb;

	dtc->wb_thresh = wb_calc_thresh(wb, dtc->thresh);
	dtc->wb_bg_thresh =
		dtc->thresh ? (u64)dtc->wb_thresh * dtc->bg_thresh / dtc->thresh : 0;
	if (dtc->wb_thresh < 2 * wb_stat_error())
		dtc->wb_dirty =
			wb_stat_sum(wb, WB_RECLAIMABLE) + wb_stat_sum(wb, WB_WRITEBACK);
	else
		dtc->wb_dirty = wb_stat(wb, WB_RECLAIMABLE) + wb_stat(wb, WB_WRITEBACK);
}

bool wb_over_bg_thresh(struct bdi_writeback *wb)
{
	struct dirty_throttle_control dtc = {.wb = wb};
	unsigned long wb_reclaimable;

	domain_dirty_avail(&dtc, false);
	domain_dirty_limits(&dtc);
	if (dtc.dirty > dtc.bg_thresh)
		return true;
	dtc.wb_bg_thresh = wb_calc_thresh(wb, dtc.bg_thresh);
	if (dtc.wb_bg_thresh < 2 * wb_stat_error())
		wb_reclaimable = wb_stat_sum(wb, WB_RECLAIMABLE);
	else
		wb_reclaimable = wb_stat(wb, WB_RECLAIMABLE);
	return wb_reclaimable > dtc.wb_bg_thresh;
}

/* ---- position ratio (reference section 6) ---- */

/*
 *                       setpoint - dirty 3
 *    f(dirty) := 1.0 + (----------------)
 *                       limit - setpoint
 *
 * f(freerun) = 2.0, f(setpoint) = 1.0, f(limit) = 0, decreasing, flat
 * near the setpoint: fast response to big errors, little oscillation.
 */
long long pos_ratio_polynom(unsigned long setpoint, unsigned long dirty,
			    unsigned long limit)
{
	long long pos_ratio;
	long x;

	x = (((long long)setpoint - (long long)dirty) * (1 << RATELIMIT_CALC_SHIFT)) /
	    (long long)((limit - setpoint) | 1);
	pos_ratio = x;
	pos_ratio = pos_ratio * x >> RATELIMIT_CALC_SHIFT;
	pos_ratio = pos_ratio * x >> RATELIMIT_CALC_SHIFT;
	pos_ratio += 1 << RATELIMIT_CALC_SHIFT;
	return clamp(pos_ratio, 0LL, 2LL << RATELIMIT_CALC_SHIFT);
}

/*
 * WB3. The global cubic factor, times the wb's linear line
 *     f(wb_dirty) = (x_intercept - wb_dirty) / (x_intercept - wb_setpoint)
 * with x_intercept = wb_setpoint + span (8 × write bandwidth for one wb),
 * floored at 1/4, and the wb reserve area (wb_dirty under wb_thresh / 2:
 * push harder so the disk never idles for lack of dirty pages).
 */
void wb_position_ratio_limit(struct dirty_throttle_control *dtc, unsigned long limit)
{
	struct bdi_writeback *wb = dtc->wb;
	unsigned long write_bw = max(READ_ONCE(wb->avg_write_bandwidth), 1UL);
	unsigned long freerun = dirty_freerun_ceiling(dtc->thresh, dtc->bg_thresh);
	unsigned long wb_thresh = dtc->wb_thresh;
	unsigned long setpoint, wb_setpoint, span, x_intercept;
	long long pos_ratio;
	u64 x;

	dtc->pos_ratio = 0;
	if (dtc->dirty >= limit)
		return;
	setpoint = (freerun + limit) / 2;
	pos_ratio = pos_ratio_polynom(setpoint, dtc->dirty, limit);

	if (wb_thresh > dtc->thresh)
		wb_thresh = dtc->thresh;
	/* An idle wb has a tiny share: give it room to ramp up. */
	wb_thresh = max(wb_thresh, (limit - dtc->dirty) / 8);
	x = ((u64)wb_thresh << 16) / (dtc->thresh | 1);
	wb_setpoint = setpoint * x >> 16;
	span = (dtc->thresh - wb_thresh + 8 * write_bw) * x >> 16;
	x_intercept = wb_setpoint + span;

	if (dtc->wb_dirty < x_intercept - span / 4)
		pos_ratio = pos_ratio * (long long)(x_intercept - dtc->wb_dirty) /
			    (long long)((x_intercept - wb_setpoint) | 1);
	else
		pos_ratio /= 4;

	x_intercept = wb_thresh / 2;
	if (dtc->wb_dirty < x_intercept) {
		if (dtc->wb_dirty > x_intercept / 8)
			pos_ratio = pos_ratio * (long long)x_intercept /
				    (long long)dtc->wb_dirty;
		else
			pos_ratio *= 8;
	}
	dtc->pos_ratio = pos_ratio;
}

static void wb_position_ratio(struct dirty_throttle_control *dtc)
{
	wb_position_ratio_limit(dtc, hard_dirty_limit(dtc->thresh));
}

/* ---- bandwidth estimation (reference section 7) ---- */

/* A wb bdi_alloc() left without an estimate starts at INIT_BW. */
static void wb_bandwidth_init_once(struct bdi_writeback *wb)
{
	if (wb->write_bandwidth && wb->avg_write_bandwidth && wb->dirty_ratelimit)
		return;
	wb->write_bandwidth = INIT_BW;
	WRITE_ONCE(wb->avg_write_bandwidth, INIT_BW);
	WRITE_ONCE(wb->dirty_ratelimit, INIT_BW);
	wb->balanced_dirty_ratelimit = INIT_BW;
}

/*
 * bw = written * HZ / elapsed, mixed into write_bandwidth over a period of
 * roundup_pow_of_two(3 * HZ); avg_write_bandwidth moves 1/8 towards it only
 * when the old estimate lies between the two (filters spikes).
 */
static void wb_update_write_bandwidth(struct bdi_writeback *wb, unsigned long elapsed,
				      unsigned long written)
{
	const unsigned long period = dt_roundup_pow_of_two(3 * HZ);
	unsigned long avg = wb->avg_write_bandwidth;
	unsigned long old = wb->write_bandwidth;
	u64 bw;

	bw = written - min(written, wb->written_stamp);
	bw *= HZ;
	if (elapsed > period) {
		bw /= elapsed;
		avg = bw;
		goto out;
	}
	bw += (u64)wb->write_bandwidth * (period - elapsed);
	bw >>= dt_ilog2(period);
	if (avg > old && old >= (unsigned long)bw)
		avg -= (avg - old) >> 3;
	if (avg < old && old <= (unsigned long)bw)
		avg += (old - avg) >> 3;
out:
	wb->write_bandwidth = bw;
	WRITE_ONCE(wb->avg_write_bandwidth, max(avg, 1UL)); /* WB5 */
}

/* WB2: follow thresh up at once, down by 1/32 of the gap (never below the
 * dirty pages: thresh may drop under them). */
void update_dirty_limit(struct dirty_throttle_control *dtc)
{
	struct wb_domain *dom = &global_wb_domain;
	unsigned long thresh = dtc->thresh;
	unsigned long limit = dom->dirty_limit;

	if (limit < thresh) {
		WRITE_ONCE(dom->dirty_limit, thresh);
		return;
	}
	thresh = max(thresh, dtc->dirty);
	if (limit > thresh)
		WRITE_ONCE(dom->dirty_limit, limit - ((limit - thresh) >> 5));
}

static void domain_update_dirty_limit(struct dirty_throttle_control *dtc,
				      unsigned long now)
{
	struct wb_domain *dom = &global_wb_domain;

	if (time_before(now, READ_ONCE(dom->dirty_limit_tstamp) + BANDWIDTH_INTERVAL))
		return;
	spin_lock(&dom->lock);
	if (time_after_eq(now, dom->dirty_limit_tstamp + BANDWIDTH_INTERVAL)) {
		update_dirty_limit(dtc);
		dom->dirty_limit_tstamp = now;
	}
	spin_unlock(&dom->lock);
}

/*
 * The base task rate: balanced_dirty_ratelimit = task_ratelimit × write_bw /
 * dirty_rate is what N writers each get when the wb's dirty rate matches
 * its write bandwidth. dirty_ratelimit follows it only while task_ratelimit
 * points the same way, in steps limited by their distance and shrinking
 * near the target.
 */
static void wb_update_dirty_ratelimit(struct dirty_throttle_control *dtc,
				      unsigned long dirtied, unsigned long elapsed)
{
	struct bdi_writeback *wb = dtc->wb;
	unsigned long dirty = dtc->dirty;
	unsigned long freerun = dirty_freerun_ceiling(dtc->thresh, dtc->bg_thresh);
	unsigned long limit = hard_dirty_limit(dtc->thresh);
	unsigned long setpoint = (freerun + limit) / 2;
	unsigned long write_bw = wb->avg_write_bandwidth;
	unsigned long dirty_ratelimit = wb->dirty_ratelimit;
	unsigned long dirty_rate, task_ratelimit, balanced_dirty_ratelimit;
	unsigned long step, x, shift;

	dirty_rate = (dirtied - min(dirtied, wb->dirtied_stamp)) * HZ / elapsed;
	task_ratelimit =
		((u64)dirty_ratelimit * dtc->pos_ratio >> RATELIMIT_CALC_SHIFT) + 1;
	balanced_dirty_ratelimit = (u64)task_ratelimit * write_bw / (dirty_rate | 1);
	if (balanced_dirty_ratelimit > write_bw)
		balanced_dirty_ratelimit = write_bw;

	step = 0;
	if (dirty < setpoint) {
		x = min(min(wb->balanced_dirty_ratelimit, balanced_dirty_ratelimit),
			task_ratelimit);
		if (dirty_ratelimit < x)
			step = x - dirty_ratelimit;
	} else {
		x = max(max(wb->balanced_dirty_ratelimit, balanced_dirty_ratelimit),
			task_ratelimit);
		if (dirty_ratelimit > x)
			step = dirty_ratelimit - x;
	}
	shift = dirty_ratelimit / (2 * step + 1);
	if (shift < 64)
		step = DIV_ROUND_UP(step >> shift, 8);
	else
		step = 0;
	if (dirty_ratelimit < balanced_dirty_ratelimit)
		dirty_ratelimit += step;
	else
		dirty_ratelimit -= step;

	WRITE_ONCE(wb->dirty_ratelimit, max(dirty_ratelimit, 1UL)); /* WB5 */
	wb->balanced_dirty_ratelimit = balanced_dirty_ratelimit;

	trace_event(
		"bdi_dirty_ratelimit",
		"bdi %u:%u: write_bw=%lu awrite_bw=%lu dirty_rate=%lu dirty_ratelimit=%lu task_ratelimit=%lu balanced_dirty_ratelimit=%lu cgroup_ino=1",
		MAJOR(wb->bdi->dev), MINOR(wb->bdi->dev), KBps(wb->write_bandwidth),
		KBps(wb->avg_write_bandwidth), KBps(dirty_rate),
		KBps(wb->dirty_ratelimit), KBps(task_ratelimit),
		KBps(wb->balanced_dirty_ratelimit));
}

static void __wb_update_bandwidth(struct dirty_throttle_control *dtc,
				  bool update_ratelimit)
{
	struct bdi_writeback *wb = dtc->wb;
	unsigned long now = jiffies;
	unsigned long elapsed, dirtied, written;

	spin_lock(&wb->list_lock);
	wb_bandwidth_init_once(wb);
	elapsed = max(now - wb->bw_time_stamp, 1UL);
	dirtied = wb_stat(wb, WB_DIRTIED);
	written = wb_stat(wb, WB_WRITTEN);
	if (update_ratelimit) {
		domain_update_dirty_limit(dtc, now);
		wb_update_dirty_ratelimit(dtc, dirtied, elapsed);
	}
	wb_update_write_bandwidth(wb, elapsed, written);
	wb->dirtied_stamp = dirtied;
	wb->written_stamp = written;
	WRITE_ONCE(wb->bw_time_stamp, now);
	spin_unlock(&wb->list_lock);
}

void wb_update_bandwidth(struct bdi_writeback *wb)
{
	struct dirty_throttle_control dtc = {.wb = wb};

	__wb_update_bandwidth(&dtc, false);
}

void wb_update_bandwidth_workfn(struct work_struct *work)
{
	struct bdi_writeback *wb =
		container_of(to_delayed_work(work), struct bdi_writeback, bw_dwork);

	wb_update_bandwidth(wb);
}

/* Idle time must not dilute the next estimate: restart the stamps. */
void wb_bandwidth_estimate_start(struct bdi_writeback *wb)
{
	unsigned long now = jiffies;
	unsigned long elapsed = now - READ_ONCE(wb->bw_time_stamp);

	if (elapsed > WB_BANDWIDTH_IDLE_JIF && !atomic_read(&wb->writeback_inodes)) {
		spin_lock(&wb->list_lock);
		wb->dirtied_stamp = wb_stat(wb, WB_DIRTIED);
		wb->written_stamp = wb_stat(wb, WB_WRITTEN);
		WRITE_ONCE(wb->bw_time_stamp, now);
		spin_unlock(&wb->list_lock);
	}
}

/* ---- balance_dirty_pages() ---- */

/* ≈ sqrt of the headroom: few checks far from the limit, many near it. */
unsigned long dirty_poll_interval(unsigned long dirty, unsigned long thresh)
{
	if (thresh > dirty)
		return 1UL << (dt_ilog2(thresh - dirty) >> 1);
	return 1;
}

/* Short enough that a small dirty pool does not drain while we sleep. */
unsigned long wb_max_pause(struct bdi_writeback *wb, unsigned long wb_dirty)
{
	unsigned long bw = READ_ONCE(wb->avg_write_bandwidth);
	unsigned long t;

	t = wb_dirty / (1 + bw / dt_roundup_pow_of_two(1 + HZ / 8));
	t++;
	return min(t, (unsigned long)MAX_PAUSE);
}

/*
 * Target a 10 ms pause for one writer (N × 10 ms for 2^N), pick the pages
 * to dirty before the next check to match it, and return the shortest pause
 * worth sleeping for; shorter ones accumulate (dirty_paused_when).
 */
long wb_min_pause(struct bdi_writeback *wb, long max_pause, unsigned long task_ratelimit,
		  unsigned long dirty_ratelimit, int *nr_dirtied_pause)
{
	long hi = dt_ilog2(READ_ONCE(wb->avg_write_bandwidth));
	long lo = dt_ilog2(READ_ONCE(wb->dirty_ratelimit));
	long t, pause;
	int pages;

	t = max(1, HZ / 100);
	if (hi > lo)
		t += (hi - lo) * (10 * HZ) / 1024;
	t = min(t, 1 + max_pause / 2);
	pages = dirty_ratelimit * t / dt_roundup_pow_of_two(HZ);
	if (pages < DIRTY_POLL_THRESH) {
		t = max_pause;
		pages = dirty_ratelimit * t / dt_roundup_pow_of_two(HZ);
		if (pages > DIRTY_POLL_THRESH) {
			pages = DIRTY_POLL_THRESH;
			t = HZ * DIRTY_POLL_THRESH / dirty_ratelimit;
		}
	}
	pause = HZ * pages / (task_ratelimit + 1);
	if (pause > max_pause) {
		t = max_pause;
		pages = task_ratelimit * t / dt_roundup_pow_of_two(HZ);
	}
	*nr_dirtied_pause = pages;
	return pages >= DIRTY_POLL_THRESH ? 1 + t / 2 : t;
}

static void trace_balance_dirty_pages(struct bdi_writeback *wb,
				      struct dirty_throttle_control *dtc,
				      unsigned long dirty_ratelimit,
				      unsigned long task_ratelimit, unsigned long dirtied,
				      long period, long pause, unsigned long start_time)
{
	unsigned long freerun = dirty_freerun_ceiling(dtc->thresh, dtc->bg_thresh);
	unsigned long limit = READ_ONCE(global_wb_domain.dirty_limit);
	unsigned long setpoint = (limit + freerun) / 2;
	struct task_struct *tsk = current;
	long think = tsk->dirty_paused_when == 0 ?
			     0 :
			     (long)(jiffies - tsk->dirty_paused_when) * 1000 / HZ;

	trace_event(
		"balance_dirty_pages",
		"bdi %u:%u: limit=%lu setpoint=%lu dirty=%lu bdi_setpoint=%lu bdi_dirty=%lu dirty_ratelimit=%lu task_ratelimit=%lu dirtied=%lu dirtied_pause=%d paused=%lu pause=%ld period=%lu think=%ld cgroup_ino=1",
		MAJOR(wb->bdi->dev), MINOR(wb->bdi->dev), limit, setpoint, dtc->dirty,
		setpoint * dtc->wb_thresh / (dtc->thresh + 1), dtc->wb_dirty,
		KBps(dirty_ratelimit), KBps(task_ratelimit), dirtied,
		tsk->nr_dirtied_pause, (jiffies - start_time) * 1000 / HZ,
		pause * 1000 / HZ, (unsigned long)period * 1000 / HZ, think);
}

/* Global limits and the freerun test for this round. */
static void balance_domain_limits(struct dirty_throttle_control *dtc)
{
	domain_dirty_avail(dtc, true);
	domain_dirty_limits(dtc);
	dtc->freerun = dtc->dirty <= dirty_freerun_ceiling(dtc->thresh, dtc->bg_thresh);
}

/* The wb's share, and its position ratio unless it may run free. */
static void balance_wb_limits(struct dirty_throttle_control *dtc)
{
	dtc->freerun = false;
	wb_dirty_limits(dtc);
	if (current->flags & PF_LOCAL_THROTTLE)
		dtc->freerun = dtc->wb_dirty <
			       dirty_freerun_ceiling(dtc->wb_thresh, dtc->wb_bg_thresh);
	if (dtc->freerun)
		return;
	dtc->dirty_exceeded = dtc->wb_dirty > dtc->wb_thresh && dtc->dirty > dtc->thresh;
	wb_position_ratio(dtc);
}

/* Below the freerun ceiling: no sleep; check again after ≈ sqrt(headroom). */
static void balance_free_run(struct dirty_throttle_control *dtc, unsigned long now)
{
	current->dirty_paused_when = now;
	current->nr_dirtied = 0;
	current->nr_dirtied_pause = dirty_poll_interval(dtc->dirty, dtc->thresh);
}

/*
 * Throttle a task that dirtied @pages_dirtied pages: kick background
 * writeback above bg_thresh, and above the freerun ceiling sleep so the task
 * dirties at dirty_ratelimit × pos_ratio. WB4: each sleep <= MAX_PAUSE.
 * Context: process, may sleep; no locks held.
 */
static void balance_dirty_pages(struct bdi_writeback *wb, unsigned long pages_dirtied)
{
	struct dirty_throttle_control dtc = {.wb = wb};
	unsigned long start_time = jiffies;
	struct task_struct *tsk = current;

	for (;;) {
		unsigned long now = jiffies;
		unsigned long nr_dirty = global_node_page_state(NR_FILE_DIRTY);
		unsigned long task_ratelimit, dirty_ratelimit;
		long period, pause, max_pause, min_pause;
		int nr_dirtied_pause;

		balance_domain_limits(&dtc);
		if (nr_dirty > dtc.bg_thresh && !writeback_in_progress(wb))
			wb_start_background_writeback(wb);
		if (dtc.freerun) {
			balance_free_run(&dtc, now);
			break;
		}
		if (!writeback_in_progress(wb))
			wb_start_background_writeback(wb);
		balance_wb_limits(&dtc);
		if (dtc.freerun) {
			balance_free_run(&dtc, now);
			break;
		}
		wb->dirty_exceeded = dtc.dirty_exceeded;
		if (time_is_before_jiffies(READ_ONCE(wb->bw_time_stamp) +
					   BANDWIDTH_INTERVAL))
			__wb_update_bandwidth(&dtc, true);

		dirty_ratelimit = max(READ_ONCE(wb->dirty_ratelimit), 1UL);
		task_ratelimit =
			(u64)dirty_ratelimit * dtc.pos_ratio >> RATELIMIT_CALC_SHIFT;
		max_pause = wb_max_pause(wb, dtc.wb_dirty);
		min_pause = wb_min_pause(wb, max_pause, task_ratelimit, dirty_ratelimit,
					 &nr_dirtied_pause);
		if (task_ratelimit == 0) {
			period = max_pause;
			pause = max_pause;
			goto pause;
		}
		period = HZ * pages_dirtied / task_ratelimit;
		pause = period;
		if (tsk->dirty_paused_when)
			pause -= now - tsk->dirty_paused_when;
		/* Too short to sleep: carry it over (think time < 1 s), or
		 * forget it after a long think time. */
		if (pause < min_pause) {
			trace_balance_dirty_pages(wb, &dtc, dirty_ratelimit,
						  task_ratelimit, pages_dirtied, period,
						  min(pause, 0L), start_time);
			if (pause < -HZ) {
				tsk->dirty_paused_when = now;
				tsk->nr_dirtied = 0;
			} else if (period) {
				tsk->dirty_paused_when += period;
				tsk->nr_dirtied = 0;
			} else if (tsk->nr_dirtied_pause <= (long)pages_dirtied) {
				tsk->nr_dirtied_pause += pages_dirtied;
			}
			break;
		}
		if (pause > max_pause) {
			now += min(pause - max_pause, max_pause);
			pause = max_pause;
		}
pause:
		trace_balance_dirty_pages(wb, &dtc, dirty_ratelimit, task_ratelimit,
					  pages_dirtied, period, pause, start_time);
		WRITE_ONCE(wb->dirty_sleep, jiffies);
		__set_current_state(TASK_UNINTERRUPTIBLE);
		io_schedule_timeout(pause);

		tsk->dirty_paused_when = now + pause;
		tsk->nr_dirtied = 0;
		tsk->nr_dirtied_pause = nr_dirtied_pause;
		/* Typically dirty < thresh again; at the hard limit loop on. */
		if (task_ratelimit)
			break;
		if (dtc.wb_dirty <= wb_stat_error())
			break;
	}
}

void balance_dirty_pages_ratelimited(struct address_space *mapping)
{
	struct backing_dev_info *bdi = inode_to_bdi(mapping->host);
	struct bdi_writeback *wb = &bdi->wb;
	struct task_struct *tsk = current;
	int ratelimit, *p;

	if (!(bdi->capabilities & BDI_CAP_WRITEBACK))
		return;
	/* Linux starts every task at 32 pages (INIT_TASK); 0 means new. */
	if (!tsk->nr_dirtied_pause)
		tsk->nr_dirtied_pause = 128 >> (PAGE_SHIFT - 10);
	ratelimit = tsk->nr_dirtied_pause;
	if (READ_ONCE(wb->dirty_exceeded))
		ratelimit = min(ratelimit, 32 >> (PAGE_SHIFT - 10));

	/* One CPU must not run far past the limit with many tasks each below
	 * its own nr_dirtied_pause: a per-CPU count forces a check. */
	preempt_disable();
	p = &bdp_ratelimits[smp_processor_id()];
	(*p)++;
	if (tsk->nr_dirtied >= ratelimit) {
		*p = 0;
	} else if (*p >= READ_ONCE(ratelimit_pages)) {
		*p = 0;
		ratelimit = 0;
	}
	preempt_enable();

	if (tsk->nr_dirtied >= ratelimit)
		balance_dirty_pages(wb, tsk->nr_dirtied);
}

/* ---- `wbstat` ---- */

static unsigned long list_count(struct list_head *head)
{
	struct list_head *pos;
	unsigned long n = 0;

	list_for_each(pos, head)
		n++;
	return n;
}

static int wbstat_one(struct backing_dev_info *bdi, void *arg)
{
	const char *want = arg;
	struct bdi_writeback *wb = &bdi->wb;
	unsigned long bg_thresh, thresh, n_dirty, n_io, n_more_io;

	if (want && strcmp(want, bdi->dev_name))
		return 0;
	global_dirty_limits(&bg_thresh, &thresh);
	spin_lock(&wb->list_lock);
	n_dirty = list_count(&wb->b_dirty);
	n_io = list_count(&wb->b_io);
	n_more_io = list_count(&wb->b_more_io);
	spin_unlock(&wb->list_lock);
	cprintf("bdi %u:%u (%s)\n", MAJOR(bdi->dev), MINOR(bdi->dev), bdi->dev_name);
	cprintf("  write_bw %lu KiB/s  avg_write_bw %lu KiB/s\n",
		KBps(READ_ONCE(wb->write_bandwidth)),
		KBps(READ_ONCE(wb->avg_write_bandwidth)));
	cprintf("  dirty_ratelimit %lu KiB/s  balanced_dirty_ratelimit %lu KiB/s\n",
		KBps(READ_ONCE(wb->dirty_ratelimit)),
		KBps(READ_ONCE(wb->balanced_dirty_ratelimit)));
	cprintf("  bg_thresh %lu  thresh %lu  limit %lu  wb_thresh %lu  (pages)\n",
		bg_thresh, thresh, READ_ONCE(global_wb_domain.dirty_limit),
		wb_calc_thresh(wb, thresh));
	cprintf("  b_dirty %lu  b_io %lu  b_more_io %lu  writeback_inodes %d\n", n_dirty,
		n_io, n_more_io, atomic_read(&wb->writeback_inodes));
	cprintf("  WB_RECLAIMABLE %lld  WB_WRITEBACK %lld  WB_DIRTIED %lld  WB_WRITTEN %lld\n",
		(long long)wb_stat_sum(wb, WB_RECLAIMABLE),
		(long long)wb_stat_sum(wb, WB_WRITEBACK),
		(long long)wb_stat_sum(wb, WB_DIRTIED),
		(long long)wb_stat_sum(wb, WB_WRITTEN));
	cprintf("  state%s%s%s  dirty_exceeded %d\n",
		test_bit(WB_registered, &wb->state) ? " registered" : "",
		wb_has_dirty_io(wb) ? " has_dirty_io" : "",
		writeback_in_progress(wb) ? " writeback_running" : "",
		wb->dirty_exceeded);
	if (want)
		return 1;
	return 0;
}

static int bdi_exists(struct backing_dev_info *bdi, void *arg)
{
	return 1;
}

static int cmd_wbstat(int argc, char **argv)
{
	int found;

	if (argc > 2) {
		shell_error(argv[0], "usage: wbstat [BDI]");
		return -EINVAL;
	}
	found = bdi_iterate(wbstat_one, argc == 2 ? argv[1] : NULL);
	if (argc == 2 && found != 1) {
		shell_error(argv[0], "no backing device '%s'", argv[1]);
		return -ENOENT;
	}
	if (argc == 1 && !bdi_iterate(bdi_exists, NULL))
		cprintf("no backing devices registered\n");
	return 0;
}
SHELL_COMMAND(wbstat, "wbstat", "wbstat [BDI]",
	      "per-bdi writeback: bandwidth, thresholds, ratelimits, inode lists",
	      cmd_wbstat);
