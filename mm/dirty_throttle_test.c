/*
 * mm/dirty_throttle_test.c - KTAP suite "dirty_throttle": thresholds and
 * the tunables, the position ratio at its characteristic points, pause
 * bounds, the dirty-limit tracking, the bandwidth estimate, and
 * balance_dirty_pages() below the freerun point and at the hard limit.
 *
 * The cases use a backing_dev_info of their own (never registered, so no
 * flusher runs for it) and, where a case needs the system to look dirty,
 * add to NR_FILE_DIRTY of node 0 and take it back before returning.
 * The slow-disk settling test with the real page cache is in
 * fs/fs-writeback_test.c.
 */
#include <quire/ktest.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/sched.h>
#include <quire/string.h>
#include <quire/jiffies.h>
#include <quire/printk.h>
#include <quire/slab.h>
#include <quire/smp.h>
#include <quire/sysctl.h>
#include <quire/errno.h>
#include <quire/kthread.h>
#include <quire/fs.h>
#include "dirty_throttle.h"

struct saved_tunables {
	int bg_ratio, ratio;
	unsigned long bg_bytes, bytes;
};

static void save_tunables(struct saved_tunables *s)
{
	s->bg_ratio = dirty_background_ratio;
	s->ratio = vm_dirty_ratio;
	s->bg_bytes = dirty_background_bytes;
	s->bytes = vm_dirty_bytes;
}

static void restore_tunables(const struct saved_tunables *s)
{
	dirty_background_ratio = s->bg_ratio;
	vm_dirty_ratio = s->ratio;
	dirty_background_bytes = s->bg_bytes;
	vm_dirty_bytes = s->bytes;
	writeback_set_ratelimit();
}

/* An unregistered bdi as bdi_alloc() makes it, for a fake device. */
static void test_bdi_init(struct backing_dev_info *bdi)
{
	memset(bdi, 0, sizeof(*bdi));
	bdi_init(bdi);
	bdi->capabilities = BDI_CAP_WRITEBACK | BDI_CAP_WRITEBACK_ACCT;
	bdi->dev = MKDEV(250, 7);
}

static void test_bdi_exit(struct backing_dev_info *bdi)
{
	wb_exit(&bdi->wb);
}

/* Linux scales a ratio to per-PAGE_SIZE first: ratio * 4096 / 100 parts. */
static unsigned long ratio_pages(int ratio, unsigned long avail)
{
	return (ratio * PAGE_SIZE / 100) * avail / PAGE_SIZE;
}

/* Thresholds from ratios: 20 % and 10 % of what is dirtyable. */
static void dirty_thresholds_follow_ratio(struct ktest *t)
{
	struct dirty_throttle_control dtc = {.avail = 100000};
	struct saved_tunables s;

	save_tunables(&s);
	vm_dirty_ratio = 20;
	dirty_background_ratio = 10;
	vm_dirty_bytes = 0;
	dirty_background_bytes = 0;
	domain_dirty_limits(&dtc);
	KTEST_EXPECT_EQ(t, dtc.thresh, ratio_pages(20, 100000));
	KTEST_EXPECT_EQ(t, dtc.bg_thresh, ratio_pages(10, 100000));
	KTEST_EXPECT_GE(t, dtc.thresh, 19990);
	KTEST_EXPECT_LE(t, dtc.thresh, 20000);
	restore_tunables(&s);
}

/* The byte variants override the ratios and round up to whole pages. */
static void dirty_thresholds_follow_bytes(struct ktest *t)
{
	struct dirty_throttle_control dtc = {.avail = 100000};
	struct saved_tunables s;

	save_tunables(&s);
	vm_dirty_bytes = 40 << 20;
	dirty_background_bytes = (10 << 20) + 1;
	domain_dirty_limits(&dtc);
	KTEST_EXPECT_EQ(t, dtc.thresh, (40 << 20) / PAGE_SIZE);
	KTEST_EXPECT_EQ(t, dtc.bg_thresh, (10 << 20) / PAGE_SIZE + 1);
	restore_tunables(&s);
}

/* WB1: a background threshold at or above the dirty one becomes half. */
static void background_at_or_above_thresh_becomes_half(struct ktest *t)
{
	struct dirty_throttle_control dtc = {.avail = 100000};
	struct saved_tunables s;

	save_tunables(&s);
	vm_dirty_bytes = 0;
	dirty_background_bytes = 0;
	vm_dirty_ratio = 20;
	dirty_background_ratio = 30;
	domain_dirty_limits(&dtc);
	KTEST_EXPECT_EQ(t, dtc.thresh, ratio_pages(20, 100000));
	KTEST_EXPECT_EQ(t, dtc.bg_thresh, dtc.thresh / 2);
	dirty_background_ratio = 20;
	domain_dirty_limits(&dtc);
	KTEST_EXPECT_EQ(t, dtc.bg_thresh, dtc.thresh / 2);
	dirty_background_ratio = 19;
	domain_dirty_limits(&dtc);
	KTEST_EXPECT_EQ(t, dtc.bg_thresh, ratio_pages(19, 100000));
	vm_dirty_bytes = 4 << 20;
	dirty_background_bytes = 8 << 20;
	domain_dirty_limits(&dtc);
	KTEST_EXPECT_EQ(t, dtc.thresh, 1024);
	KTEST_EXPECT_EQ(t, dtc.bg_thresh, 512);
	restore_tunables(&s);
}

/* Writing a _bytes value zeroes the ratio and the other way round. */
static void writing_bytes_zeroes_ratio_and_back(struct ktest *t)
{
	struct saved_tunables s;

	save_tunables(&s);
	vm_dirty_bytes = 8 << 20;
	dirty_bytes_handler(NULL, 0);
	KTEST_EXPECT_EQ(t, vm_dirty_ratio, 0);
	vm_dirty_ratio = 15;
	dirty_ratio_handler(NULL, 0);
	KTEST_EXPECT_EQ(t, vm_dirty_bytes, 0);
	dirty_background_bytes = 1 << 20;
	dirty_background_bytes_handler(NULL, 0);
	KTEST_EXPECT_EQ(t, dirty_background_ratio, 0);
	dirty_background_ratio = 5;
	dirty_background_ratio_handler(NULL, 0);
	KTEST_EXPECT_EQ(t, dirty_background_bytes, 0);
	restore_tunables(&s);
}

/*
 * Linux's dirty_ratio_handler() and dirty_bytes_handler() act only when
 * the value changed: writing vm.dirty_ratio=0 while vm.dirty_bytes is in
 * force (so the ratio is 0 already) keeps the bytes limit, it does not
 * leave both at 0 (a dirty threshold of 0). The background pair zeroes
 * the other on every write, as Linux's.
 */
static void rewriting_the_same_ratio_keeps_the_bytes_limit(struct ktest *t)
{
	struct saved_tunables s;

	save_tunables(&s);
	KTEST_ASSERT_EQ(t, sysctl_set("vm.dirty_bytes", "100000000"), 0);
	KTEST_EXPECT_EQ(t, vm_dirty_ratio, 0);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_ratio", "0"), 0);
	KTEST_EXPECT_EQ(t, vm_dirty_bytes, 100000000);
	KTEST_EXPECT_EQ(t, vm_dirty_ratio, 0);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_ratio", "15"), 0); /* a change */
	KTEST_EXPECT_EQ(t, vm_dirty_bytes, 0);
	KTEST_EXPECT_EQ(t, vm_dirty_ratio, 15);
	/* The same bytes value again leaves the ratio alone. */
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_bytes", "100000000"), 0);
	KTEST_EXPECT_EQ(t, vm_dirty_ratio, 0);
	vm_dirty_ratio = 12; /* as a write racing in would leave it */
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_bytes", "100000000"), 0);
	KTEST_EXPECT_EQ(t, vm_dirty_ratio, 12);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_background_bytes", "5000000"), 0);
	KTEST_EXPECT_EQ(t, dirty_background_ratio, 0);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_background_ratio", "0"), 0);
	KTEST_EXPECT_EQ(t, dirty_background_bytes, 0); /* Linux: always */
	restore_tunables(&s);
}

static bool tunable_reader_stop;

static int read_thresholds(void *data)
{
	while (!__atomic_load_n(&tunable_reader_stop, __ATOMIC_ACQUIRE)) {
		struct dirty_throttle_control dtc = {.avail = 100000};

		domain_dirty_limits(&dtc);
		cond_resched();
	}
	while (!kthread_should_stop())
		schedule_timeout_uninterruptible(1);
	return 0;
}

/* The sysctl hooks zero the other tunable of a pair while writers and the
 * flusher read it (READ_ONCE): their stores are WRITE_ONCE too, or TSan
 * reports a data race (host-tsan: dirty_bytes_handler against
 * domain_dirty_limits). */
static void tunables_written_while_read(struct ktest *t)
{
	struct saved_tunables s;
	struct task_struct *k;
	unsigned int i;

	save_tunables(&s);
	__atomic_store_n(&tunable_reader_stop, false, __ATOMIC_RELEASE);
	k = kthread_run(read_thresholds, NULL, "tunable_reader");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	for (i = 0; i < 200; i++) {
		KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_bytes", "100000000"), 0);
		KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_ratio", i & 1 ? "20" : "21"), 0);
		KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_background_bytes", "5000000"), 0);
		KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_background_ratio", "10"), 0);
		cond_resched();
	}
	__atomic_store_n(&tunable_reader_stop, true, __ATOMIC_RELEASE);
	kthread_stop(k);
	restore_tunables(&s);
}

/* node_dirty_ok(): a node's dirty + writeback within dirty_ratio of its own
 * dirtyable memory (free + file LRU). */
static void node_dirty_ok_follows_node_limit(struct ktest *t)
{
	pg_data_t *pgdat = NODE_DATA(0);
	struct saved_tunables s;
	unsigned long avail, limit, dirty;
	long add;

	save_tunables(&s);
	vm_dirty_bytes = 0;
	vm_dirty_ratio = 20;
	avail = node_page_state(pgdat, NR_FREE_PAGES) +
		node_page_state(pgdat, NR_INACTIVE_FILE) +
		node_page_state(pgdat, NR_ACTIVE_FILE);
	limit = 20 * avail / 100;
	dirty = node_page_state(pgdat, NR_FILE_DIRTY) +
		node_page_state(pgdat, NR_WRITEBACK);
	KTEST_EXPECT_TRUE(t, node_dirty_ok(pgdat));
	/* 64 pages either side: other CPUs' allocations move the limit by a
	 * page per 5 free pages while we look. */
	KTEST_ASSERT_TRUE(t, dirty + 64 < limit);
	add = limit - 64 - dirty;
	mod_node_page_state(pgdat, NR_FILE_DIRTY, add);
	KTEST_EXPECT_TRUE(t, node_dirty_ok(pgdat));
	mod_node_page_state(pgdat, NR_WRITEBACK, 128);
	KTEST_EXPECT_FALSE(t, node_dirty_ok(pgdat));
	mod_node_page_state(pgdat, NR_WRITEBACK, -128);
	mod_node_page_state(pgdat, NR_FILE_DIRTY, -add);
	KTEST_EXPECT_TRUE(t, node_dirty_ok(pgdat));
	restore_tunables(&s);
}

/* The same through the sysctl table, by Linux's names and limits. */
static void sysctl_names_and_ranges(struct ktest *t)
{
	unsigned int expire = dirty_expire_interval;
	struct saved_tunables s;
	long v = -1;

	save_tunables(&s);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_bytes", "8388608"), 0);
	KTEST_EXPECT_EQ(t, sysctl_get("vm.dirty_ratio", &v), 0);
	KTEST_EXPECT_EQ(t, v, 0);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_ratio", "15"), 0);
	KTEST_EXPECT_EQ(t, vm_dirty_bytes, 0);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_background_bytes", "1048576"), 0);
	KTEST_EXPECT_EQ(t, dirty_background_ratio, 0);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_background_ratio", "7"), 0);
	KTEST_EXPECT_EQ(t, dirty_background_bytes, 0);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_ratio", "101"), -EINVAL);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_bytes", "4096"), 0); /* < 2 pages: 2 */
	KTEST_EXPECT_EQ(t, vm_dirty_bytes, 2 * PAGE_SIZE);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_bytes", "0"), 0); /* back to the ratio */
	KTEST_EXPECT_EQ(t, vm_dirty_ratio, 20);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_background_bytes", "4096"), 0);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_background_bytes", "0"), 0);
	KTEST_EXPECT_EQ(t, dirty_background_ratio, 10);
	KTEST_EXPECT_EQ(t, sysctl_set("vm.dirty_expire_centisecs", "100"), 0);
	KTEST_EXPECT_EQ(t, dirty_expire_interval, 100);
	dirty_expire_interval = expire;
	KTEST_EXPECT_EQ(t, sysctl_get("vm.dirty_writeback_centisecs", &v), 0);
	KTEST_EXPECT_EQ(t, v, dirty_writeback_interval);
	restore_tunables(&s);
}

/* ratelimit_pages = thresh / (online CPUs * 32), at least 16. */
static void ratelimit_pages_scale_with_thresh(struct ktest *t)
{
	unsigned long bg, thresh;
	struct saved_tunables s;

	save_tunables(&s);
	vm_dirty_bytes = 0;
	vm_dirty_ratio = 20;
	writeback_set_ratelimit();
	global_dirty_limits(&bg, &thresh);
	KTEST_EXPECT_EQ(t, ratelimit_pages, max(16UL, thresh / (num_online_cpus() * 32)));
	KTEST_EXPECT_EQ(t, global_wb_domain.dirty_limit, thresh);
	vm_dirty_bytes = 2 * PAGE_SIZE;
	writeback_set_ratelimit();
	KTEST_EXPECT_EQ(t, ratelimit_pages, 16);
	restore_tunables(&s);
}

/* WB3: the cubic is 2.0 at freerun, 1.0 at the setpoint, 0 at the limit. */
static void pos_ratio_at_freerun_setpoint_limit(struct ktest *t)
{
	/* limit - setpoint odd: the divisor is (limit - setpoint) | 1. */
	const unsigned long thresh = 20000, bg = 9996;
	unsigned long freerun = dirty_freerun_ceiling(thresh, bg);
	unsigned long limit = thresh, setpoint = (freerun + limit) / 2;
	const long long one = 1 << RATELIMIT_CALC_SHIFT;

	KTEST_EXPECT_EQ(t, freerun, 14998);
	KTEST_EXPECT_EQ(t, setpoint, 17499);
	KTEST_EXPECT_EQ(t, pos_ratio_polynom(setpoint, setpoint, limit), one);
	KTEST_EXPECT_EQ(t, pos_ratio_polynom(setpoint, freerun, limit), 2 * one);
	KTEST_EXPECT_EQ(t, pos_ratio_polynom(setpoint, limit, limit), 0);
	/* Clamped on both sides, and decreasing in between. */
	KTEST_EXPECT_EQ(t, pos_ratio_polynom(setpoint, 0, limit), 2 * one);
	KTEST_EXPECT_EQ(t, pos_ratio_polynom(setpoint, 2 * limit, limit), 0);
	KTEST_EXPECT_GT(t, pos_ratio_polynom(setpoint, setpoint - 500, limit), one);
	KTEST_EXPECT_LT(t, pos_ratio_polynom(setpoint, setpoint + 500, limit), one);
}

/* The full ratio with one wb holding all the dirty pages: about 1.0 at the
 * setpoint, 0 at and above the hard limit. */
/*
 * A wb's share is read without a lock (wb_completion_fraction) while
 * another task ages it across a period boundary under list_lock: the
 * ageing wrote completions_prev with a plain store, a data race that
 * ThreadSanitizer reported in host-tsan-cpus2 (mm/dirty_throttle.c:308 in
 * wb_completions_age). Here a kthread and this task both ask for the
 * wb's threshold while the domain's period is pushed forward each round.
 */
struct share_race {
	struct bdi_writeback *wb;
	int stop; /* atomic */
};

static int share_reader_fn(void *data)
{
	struct share_race *r = data;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		wb_calc_thresh(r->wb, 1000);
		cond_resched();
	}
	return 0;
}

static void wb_share_ages_while_read(struct ktest *t)
{
	struct backing_dev_info *bdi = kzalloc(sizeof(*bdi), GFP_KERNEL);
	struct wb_domain *dom = &global_wb_domain;
	struct share_race r = {};
	struct task_struct *k;

	KTEST_ASSERT_NOT_NULL(t, bdi);
	test_bdi_init(bdi);
	r.wb = &bdi->wb;
	k = kthread_run(share_reader_fn, &r, "share-reader");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	for (int i = 0; i < 400; i++) {
		spin_lock(&dom->lock);
		dom->period_time -= VM_COMPLETIONS_PERIOD_LEN; /* a new period */
		spin_unlock(&dom->lock);
		__atomic_fetch_add(&bdi->wb.completions, 1, __ATOMIC_RELAXED);
		KTEST_EXPECT_LE(t, wb_calc_thresh(&bdi->wb, 1000), 1000);
		if (!(i % 16))
			cond_resched();
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	kthread_stop(k);
	test_bdi_exit(bdi);
	kfree(bdi);
}

static void wb_position_ratio_single_wb(struct ktest *t)
{
	struct backing_dev_info *bdi = kzalloc(sizeof(*bdi), GFP_KERNEL);
	struct dirty_throttle_control dtc;
	const unsigned long thresh = 20000, bg = 10000, limit = 20000;
	unsigned long setpoint = (dirty_freerun_ceiling(thresh, bg) + limit) / 2;
	const long one = 1 << RATELIMIT_CALC_SHIFT;

	KTEST_ASSERT_NOT_NULL(t, bdi);
	test_bdi_init(bdi);
	dtc = (struct dirty_throttle_control){
		.wb = &bdi->wb, .thresh = thresh, .bg_thresh = bg, .wb_thresh = thresh};
	dtc.dirty = dtc.wb_dirty = setpoint;
	wb_position_ratio_limit(&dtc, limit);
	KTEST_EXPECT_GE(t, dtc.pos_ratio, one - one / 64);
	KTEST_EXPECT_LE(t, dtc.pos_ratio, one + one / 64);
	dtc.dirty = dtc.wb_dirty = limit;
	wb_position_ratio_limit(&dtc, limit);
	KTEST_EXPECT_EQ(t, dtc.pos_ratio, 0);
	dtc.dirty = dtc.wb_dirty = limit + 100;
	wb_position_ratio_limit(&dtc, limit);
	KTEST_EXPECT_EQ(t, dtc.pos_ratio, 0);
	test_bdi_exit(bdi);
	kfree(bdi);
}

/* WB3: a wb far over its share is slowed to 1/4 of the global ratio,
 * never less. */
static void wb_line_never_below_quarter(struct ktest *t)
{
	struct backing_dev_info *bdi = kzalloc(sizeof(*bdi), GFP_KERNEL);
	struct dirty_throttle_control dtc;
	const unsigned long thresh = 20000, bg = 10000, limit = 20000;
	unsigned long setpoint = (dirty_freerun_ceiling(thresh, bg) + limit) / 2;

	KTEST_ASSERT_NOT_NULL(t, bdi);
	test_bdi_init(bdi);
	bdi->wb.avg_write_bandwidth = 100;
	dtc = (struct dirty_throttle_control){.wb = &bdi->wb,
					      .thresh = thresh,
					      .bg_thresh = bg,
					      .wb_thresh = 4000,
					      .dirty = setpoint,
					      .wb_dirty = 19000};
	wb_position_ratio_limit(&dtc, limit);
	KTEST_EXPECT_EQ(t, dtc.pos_ratio,
			pos_ratio_polynom(setpoint, setpoint, limit) / 4);
	test_bdi_exit(bdi);
	kfree(bdi);
}

/* WB4: max pause is capped at 200 ms however much is dirty; min pause
 * aims at 10 ms for one writer at the initial bandwidth. */
static void pause_bounds(struct ktest *t)
{
	struct backing_dev_info *bdi = kzalloc(sizeof(*bdi), GFP_KERNEL);
	int nr_dirtied_pause = -1;
	long min_pause;

	KTEST_ASSERT_NOT_NULL(t, bdi);
	test_bdi_init(bdi);
	KTEST_EXPECT_EQ(t, MAX_PAUSE, HZ / 5);
	KTEST_EXPECT_EQ(t, wb_max_pause(&bdi->wb, 1UL << 30), MAX_PAUSE);
	KTEST_EXPECT_EQ(t, wb_max_pause(&bdi->wb, 0), 1);
	KTEST_EXPECT_LE(t, wb_max_pause(&bdi->wb, 5000), MAX_PAUSE);
	/* dirty_ratelimit = bandwidth = INIT_BW: t = HZ / 100, pages =
	 * ratelimit * t / roundup_pow_of_two(HZ), min pause 1 + t / 2. */
	min_pause =
		wb_min_pause(&bdi->wb, MAX_PAUSE, INIT_BW, INIT_BW, &nr_dirtied_pause);
	KTEST_EXPECT_EQ(t, nr_dirtied_pause,
			INIT_BW * (HZ / 100) / dt_roundup_pow_of_two(HZ));
	KTEST_EXPECT_EQ(t, min_pause, 1 + (HZ / 100) / 2);
	/* A crawling task: the pause would pass max_pause, so fewer pages. */
	min_pause = wb_min_pause(&bdi->wb, MAX_PAUSE, 10, INIT_BW, &nr_dirtied_pause);
	KTEST_EXPECT_EQ(t, nr_dirtied_pause, 10 * MAX_PAUSE / dt_roundup_pow_of_two(HZ));
	KTEST_EXPECT_LE(t, min_pause, MAX_PAUSE);
	test_bdi_exit(bdi);
	kfree(bdi);
}

/* Callers check about every sqrt(headroom) pages. */
static void poll_interval_is_sqrt_of_headroom(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, dirty_poll_interval(0, 10000), 64);
	KTEST_EXPECT_EQ(t, dirty_poll_interval(9000, 10000), 16);
	KTEST_EXPECT_EQ(t, dirty_poll_interval(10000, 10000), 1);
	KTEST_EXPECT_EQ(t, dirty_poll_interval(20000, 10000), 1);
}

/* WB2: dirty_limit follows thresh up at once, down by 1/32 of the gap,
 * and never below the dirty pages. */
static void dirty_limit_up_at_once_down_slowly(struct ktest *t)
{
	struct dirty_throttle_control dtc = {0};
	unsigned long saved = global_wb_domain.dirty_limit;

	global_wb_domain.dirty_limit = 1000;
	dtc.thresh = 2000;
	update_dirty_limit(&dtc);
	KTEST_EXPECT_EQ(t, global_wb_domain.dirty_limit, 2000);
	dtc.thresh = 1000;
	update_dirty_limit(&dtc);
	KTEST_EXPECT_EQ(t, global_wb_domain.dirty_limit, 2000 - 1000 / 32);
	global_wb_domain.dirty_limit = 2000;
	dtc.dirty = 1900;
	update_dirty_limit(&dtc);
	KTEST_EXPECT_EQ(t, global_wb_domain.dirty_limit, 2000 - 100 / 32);
	global_wb_domain.dirty_limit = saved;
}

/* Section 7: bw = written * HZ / elapsed mixed over 1024 jiffies; avg
 * moves 1/8 towards the old estimate only when that lies between. */
static void write_bandwidth_estimate(struct ktest *t)
{
	struct backing_dev_info *bdi = kzalloc(sizeof(*bdi), GFP_KERNEL);
	struct bdi_writeback *wb;
	unsigned long period = dt_roundup_pow_of_two(3 * HZ), expect;

	KTEST_ASSERT_NOT_NULL(t, bdi);
	test_bdi_init(bdi);
	wb = &bdi->wb;
	KTEST_EXPECT_EQ(t, period, 1024);
	/* 2 × INIT_BW pages written in the last second. */
	wb->bw_time_stamp = jiffies - HZ;
	wb->written_stamp = 0;
	percpu_counter_set(&wb->stat[WB_WRITTEN], 2 * INIT_BW);
	wb->avg_write_bandwidth = INIT_BW / 2;
	wb_update_bandwidth(wb);
	expect = (2 * INIT_BW * HZ + INIT_BW * (period - HZ)) / period;
	/* elapsed may have grown by a tick or two since the stamp */
	KTEST_EXPECT_GE(t, wb->write_bandwidth, expect - INIT_BW / 64);
	KTEST_EXPECT_LE(t, wb->write_bandwidth, expect);
	/* old (INIT_BW) lies between avg and the new bw: 1/8 of the way. */
	KTEST_EXPECT_EQ(t, wb->avg_write_bandwidth, INIT_BW / 2 + (INIT_BW / 2) / 8);
	KTEST_EXPECT_EQ(t, wb->written_stamp, 2 * INIT_BW);
	/* Idle for more than a second: the next estimate starts afresh. */
	wb->bw_time_stamp = jiffies - 2 * HZ;
	percpu_counter_set(&wb->stat[WB_WRITTEN], 3 * INIT_BW);
	wb_bandwidth_estimate_start(wb);
	KTEST_EXPECT_EQ(t, wb->written_stamp, 3 * INIT_BW);
	KTEST_EXPECT_LE(t, jiffies - wb->bw_time_stamp, 1);
	test_bdi_exit(bdi);
	kfree(bdi);
}

struct fake_file {
	struct backing_dev_info bdi;
	struct super_block sb;
	struct inode inode;
};

static struct fake_file *fake_file_new(void)
{
	struct fake_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return NULL;
	test_bdi_init(&f->bdi);
	f->sb.s_bdi = &f->bdi;
	f->inode.i_sb = &f->sb;
	f->inode.i_mapping = &f->inode.i_data;
	f->inode.i_data.host = &f->inode;
	return f;
}

static void fake_file_free(struct fake_file *f)
{
	test_bdi_exit(&f->bdi);
	kfree(f);
}

static void reset_task_throttle(void)
{
	current->nr_dirtied = 0;
	current->nr_dirtied_pause = 0;
	current->dirty_paused_when = 0;
}

/* Below the freerun ceiling a writer never sleeps; it checks again after
 * ≈ sqrt(headroom) pages. */
static void balance_below_freerun_does_not_sleep(struct ktest *t)
{
	struct fake_file *f = fake_file_new();
	unsigned long bg, thresh, dirty;

	KTEST_ASSERT_NOT_NULL(t, f);
	global_dirty_limits(&bg, &thresh);
	dirty = global_node_page_state(NR_FILE_DIRTY) +
		global_node_page_state(NR_WRITEBACK);
	KTEST_ASSERT_TRUE(t, dirty <= dirty_freerun_ceiling(thresh, bg));
	f->bdi.wb.dirty_sleep = 12345;
	current->nr_dirtied = 40; /* past the initial 32 */
	current->nr_dirtied_pause = 0;
	balance_dirty_pages_ratelimited(f->inode.i_mapping);
	KTEST_EXPECT_EQ(t, f->bdi.wb.dirty_sleep, 12345);
	KTEST_EXPECT_EQ(t, current->nr_dirtied, 0);
	KTEST_EXPECT_EQ(t, current->nr_dirtied_pause, dirty_poll_interval(dirty, thresh));
	reset_task_throttle();
	fake_file_free(f);
}

/* A task under its nr_dirtied_pause does not even look (0 counts as
 * Linux's initial 32). */
static void balance_ratelimited_waits_for_nr_dirtied_pause(struct ktest *t)
{
	struct fake_file *f = fake_file_new();

	KTEST_ASSERT_NOT_NULL(t, f);
	bdp_ratelimits_reset();
	current->nr_dirtied = 5;
	current->nr_dirtied_pause = 0;
	balance_dirty_pages_ratelimited(f->inode.i_mapping);
	KTEST_EXPECT_EQ(t, current->nr_dirtied_pause, 32);
	KTEST_EXPECT_EQ(t, current->nr_dirtied, 5);
	reset_task_throttle();
	fake_file_free(f);
}

/* Between freerun and the limit the writer sleeps, at or above the hard
 * limit too (pos_ratio 0: max_pause); each sleep is bounded (WB4). */
static void balance_above_freerun_sleeps_bounded(struct ktest *t)
{
	static const long over[] = {0, 1, 3}; /* 0: mid-way; 1: limit; 3: beyond */
	struct fake_file *f = fake_file_new();
	pg_data_t *pgdat = NODE_DATA(0);
	struct saved_tunables s;
	unsigned int i;

	KTEST_ASSERT_NOT_NULL(t, f);
	save_tunables(&s);
	vm_dirty_bytes = 4000 * PAGE_SIZE;
	dirty_background_bytes = 2000 * PAGE_SIZE;
	writeback_set_ratelimit();
	for (i = 0; i < ARRAY_SIZE(over); i++) {
		unsigned long dirty = global_node_page_state(NR_FILE_DIRTY) +
				      global_node_page_state(NR_WRITEBACK);
		long add = over[i] ? over[i] * 4000 / 2 + 2000 : 3500, start;

		add -= dirty;
		KTEST_ASSERT_TRUE(t, add > 0);
		mod_node_page_state(pgdat, NR_FILE_DIRTY, add);
		f->bdi.wb.dirty_sleep = 0;
		f->bdi.wb.dirty_ratelimit = 10; /* pages/s: a period > max_pause */
		f->bdi.wb.bw_time_stamp = jiffies;
		current->nr_dirtied = 64;
		current->nr_dirtied_pause = 0;
		current->dirty_paused_when = 0;
		start = jiffies;
		balance_dirty_pages_ratelimited(f->inode.i_mapping);
		mod_node_page_state(pgdat, NR_FILE_DIRTY, -add);
		KTEST_EXPECT_NE(t, f->bdi.wb.dirty_sleep, 0);
		KTEST_EXPECT_LE(t, (long)(jiffies - start), MAX_PAUSE + 2);
		KTEST_EXPECT_EQ(t, current->nr_dirtied, 0);
	}
	reset_task_throttle();
	restore_tunables(&s);
	fake_file_free(f);
}

static const struct ktest_case dirty_throttle_cases[] = {
	KTEST_CASE(dirty_thresholds_follow_ratio),
	KTEST_CASE(dirty_thresholds_follow_bytes),
	KTEST_CASE(background_at_or_above_thresh_becomes_half),
	KTEST_CASE(writing_bytes_zeroes_ratio_and_back),
	KTEST_CASE(rewriting_the_same_ratio_keeps_the_bytes_limit),
	KTEST_CASE(tunables_written_while_read),
	KTEST_CASE(sysctl_names_and_ranges),
	KTEST_CASE(node_dirty_ok_follows_node_limit),
	KTEST_CASE(ratelimit_pages_scale_with_thresh),
	KTEST_CASE(pos_ratio_at_freerun_setpoint_limit),
	KTEST_CASE(wb_share_ages_while_read),
	KTEST_CASE(wb_position_ratio_single_wb),
	KTEST_CASE(wb_line_never_below_quarter),
	KTEST_CASE(pause_bounds),
	KTEST_CASE(poll_interval_is_sqrt_of_headroom),
	KTEST_CASE(dirty_limit_up_at_once_down_slowly),
	KTEST_CASE(write_bandwidth_estimate),
	KTEST_CASE(balance_below_freerun_does_not_sleep),
	KTEST_CASE(balance_ratelimited_waits_for_nr_dirtied_pause),
	KTEST_CASE(balance_above_freerun_sleeps_bounded),
	KTEST_END,
};

/* The balance cases read the global dirty count: another disk's
 * writeback still running from an earlier suite moved it between the
 * case's reading and balance_dirty_pages()'. Each case starts synced. */
static int dirty_throttle_init(struct ktest *t)
{
	ksys_sync();
	return 0;
}

static const struct ktest_suite dirty_throttle_suite = {
	.name = "dirty_throttle",
	.init = dirty_throttle_init,
	.cases = dirty_throttle_cases,
};
KTEST_SUITE(dirty_throttle_suite);
