/*
 * fs/fs-writeback_reason_test.c - KTAP suite "wb_start_all_reason": the
 * flusher's start-all pass runs with the reason of the request that set
 * WB_start_all (fs/fs-writeback.c, wb_start_writeback() and
 * wb_check_start_all(); session 21, QF5B).
 *
 * Linux writes wb->start_all_reason after test_and_set_bit(WB_start_all),
 * unordered against the flusher: a flusher that checks the bit in between
 * runs the pass with the previous request's reason. Quire's pass is
 * for_sync when its reason is WB_REASON_SYNC (the plug kept across inodes),
 * so a sync's pass would lose that. Quire sets and reads both under
 * wb->work_lock.
 *
 * The case: a bdi of its own (registered: its flusher runs) with one inode
 * whose ->writepages records wbc->for_sync. Each round leaves a vmscan
 * start-all behind (the stale reason), queues a work whose ->writepages
 * waits until WB_start_all is set again, and asks for a sync start-all:
 * the flusher leaves the work at once and checks the bit, racing with the
 * reason's store. Every start-all pass after a sync request must be
 * for_sync. The window is a few instructions: the deterministic mode
 * with scheduling points finds it on one CPU, where the point after
 * test_and_set_bit() (SP_ATOMIC) preempts the case and the flusher, which
 * yields in its loop on the same CPU, runs through to its check:
 * `--deterministic --cpus 1 --seed 1 --sched-points 2` (seeds 1 to 4 all
 * did) failed before the fix, 2 passes with the vmscan reason in the first
 * rounds (tests/run job host-plain-det-wb-reason); with two CPUs the
 * flusher's path to the check has too many switch points for the seeds
 * tried (1 to 6: 200 rounds each, never).
 *
 * Locking: the recorder's fields are written by the flusher and read by
 * the case after the flusher is idle (flush_delayed_work()).
 */
#include <quire/ktest.h>
#include <quire/fs.h>
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/completion.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/sched.h>
#include <quire/jiffies.h>
#include <quire/printk.h>
#include <quire/trace.h>
#include "writeback_internal.h"

#define WBR_ROUNDS 200

struct wbr {
	struct super_block sb;
	struct backing_dev_info *bdi;
	struct inode *inode;
	bool wait_for_start_all; /* the queued work's ->writepages waits */
	char bdi_tag[32];	 /* "bdi MAJ:MIN:" of the traces */
	char line[TRACE_LINE_MAX];
};

static unsigned int wbr_seq;

static int wbr_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct wbr *r = mapping->private_data;
	struct bdi_writeback *wb = &r->bdi->wb;
	struct folio *folio = NULL;
	int err = 0;

	if (READ_ONCE(r->wait_for_start_all)) {
		unsigned long end = jiffies + 10 * HZ;

		/* the queued work: stay until the sync request set the bit,
		 * then leave the pages dirty for the start-all pass */
		WRITE_ONCE(r->wait_for_start_all, false);
		while (!test_bit(WB_start_all, &wb->state) && time_before(jiffies, end))
			yield(); /* the case may share our CPU */
		return 0;
	}
	while ((folio = writeback_iter(mapping, wbc, folio, &err))) {
		folio_start_writeback(folio);
		folio_unlock(folio);
		folio_end_writeback(folio);
	}
	return err;
}

static bool wbr_has(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s; s++)
		if (!strncmp(s, word, n))
			return true;
	return false;
}

/* Passes of our bdi traced since trace_clear(), and those of @reason. */
static void wbr_count(struct wbr *r, const char *reason, unsigned int *all,
		      unsigned int *of_reason)
{
	struct trace_text *tt = trace_text_open();

	*all = *of_reason = 0;
	if (!tt)
		return;
	while (trace_text_read(tt, r->line, sizeof(r->line))) {
		if (!wbr_has(r->line, "writeback_start:") ||
		    !wbr_has(r->line, r->bdi_tag))
			continue;
		(*all)++;
		if (wbr_has(r->line, reason))
			(*of_reason)++;
	}
	trace_text_close(tt);
}

static const struct address_space_operations wbr_aops = {
	.writepages = wbr_writepages,
};

static const struct super_operations wbr_sops = {};

static void wbr_dirty(struct wbr *r, pgoff_t index)
{
	struct folio *folio = __filemap_get_folio(r->inode->i_mapping, index,
						  FGP_LOCK | FGP_CREAT | FGP_WRITE, 0);

	if (IS_ERR(folio))
		return;
	memset(folio_address(folio), 0, PAGE_SIZE);
	folio_mark_uptodate(folio);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	folio_put(folio);
}

/* Until the start-all request is done and the flusher idle. */
static bool wbr_settle(struct wbr *r)
{
	struct bdi_writeback *wb = &r->bdi->wb;
	unsigned long end = jiffies + 10 * HZ;

	while (test_bit(WB_start_all, &wb->state) && time_before(jiffies, end))
		schedule_timeout_uninterruptible(1);
	flush_delayed_work(&wb->dwork);
	return !test_bit(WB_start_all, &wb->state);
}

static int wbr_init(struct ktest *t)
{
	t->priv = NULL;
	return 0;
}

static void wbr_exit(struct ktest *t)
{
	struct wbr *r = t->priv;

	if (!r)
		return;
	if (r->inode) {
		filemap_write_and_wait_range(r->inode->i_mapping, 0, LLONG_MAX);
		iput(r->inode);
	}
	if (r->bdi) {
		flush_delayed_work(&r->bdi->wb.dwork);
		KTEST_EXPECT_EQ(t, wb_check_lists(&r->bdi->wb), 0);
		bdi_unregister(r->bdi);
		bdi_put(r->bdi);
	}
	kfree(r);
	t->priv = NULL;
}

static void wb_start_all_pass_has_the_reason_of_its_request(struct ktest *t)
{
	struct wbr *r = kzalloc(sizeof(*r), GFP_KERNEL);
	unsigned int rounds = 0, passes = 0, stale = 0;
	bool hung = false;
	char filter[TRACE_FILTER_MAX];
	struct bdi_writeback *wb;

	KTEST_ASSERT_NOT_NULL(t, r);
	t->priv = r;
	r->bdi = bdi_alloc(NUMA_NO_NODE);
	KTEST_ASSERT_NOT_NULL(t, r->bdi);
	KTEST_ASSERT_EQ(t, bdi_register(r->bdi, "wbreason", MKDEV(250, ++wbr_seq)), 0);
	scnprintf(r->bdi_tag, sizeof(r->bdi_tag), "bdi %u:%u:", MAJOR(r->bdi->dev),
		  MINOR(r->bdi->dev));
	wb = &r->bdi->wb;
	strscpy_len(r->sb.s_id, "wbreason", sizeof(r->sb.s_id));
	r->sb.s_bdi = r->bdi;
	r->sb.s_op = &wbr_sops;
	spin_lock_init(&r->sb.s_inode_list_lock);
	INIT_LIST_HEAD(&r->sb.s_inodes);
	INIT_LIST_HEAD(&r->sb.s_list);
	init_rwsem(&r->sb.s_umount);
	r->inode = new_inode(&r->sb);
	KTEST_ASSERT_NOT_NULL(t, r->inode);
	r->inode->i_mode = S_IFREG;
	r->inode->i_mapping->a_ops = &wbr_aops;
	r->inode->i_mapping->private_data = r;
	wb->last_old_flush = jiffies; /* no kupdate pass meanwhile */
	trace_get_filter(filter, sizeof(filter));
	KTEST_ASSERT_EQ(t, trace_set_filter("writeback_start"), 0);

	for (unsigned int i = 0; i < WBR_ROUNDS && !stale; i++) {
		struct completion done;
		struct wb_writeback_work work = {
			.nr_pages = LONG_MAX,
			.sb = &r->sb,
			.sync_mode = WB_SYNC_NONE,
			.range_cyclic = 1,
			.reason = WB_REASON_FS_FREE_SPACE,
			.done = &done,
		};
		unsigned int all, vmscan;

		/* the stale reason: a vmscan start-all, done */
		wbr_dirty(r, 0);
		wakeup_flusher_threads(WB_REASON_VMSCAN);
		if (!wbr_settle(r)) {
			hung = true;
			break;
		}
		/* a work that holds the flusher until the next request */
		init_completion(&done);
		wbr_dirty(r, 1);
		WRITE_ONCE(r->wait_for_start_all, true);
		trace_clear();
		trace_start();
		wb_queue_work(wb, &work);
		while (READ_ONCE(r->wait_for_start_all))
			yield(); /* until the flusher is in the work */
		wakeup_flusher_threads(WB_REASON_SYNC);
		wait_for_completion(&done);
		if (!wbr_settle(r)) {
			hung = true;
			break;
		}
		trace_stop();
		wbr_count(r, "reason=vmscan", &all, &vmscan);
		passes += all;
		stale += vmscan;
		rounds++;
	}
	trace_stop();
	trace_clear();
	trace_set_filter(filter);
	pr_info("    # %u rounds, %u passes after a sync request, %u with the previous (vmscan) reason\n",
		rounds, passes, stale);
	KTEST_EXPECT_FALSE(t, hung);
	KTEST_EXPECT_GE(t, passes, rounds); /* each round's work, at least */
	KTEST_EXPECT_EQ(t, stale, 0U);
}

static const struct ktest_case wbr_cases[] = {
	KTEST_CASE(wb_start_all_pass_has_the_reason_of_its_request),
	KTEST_END,
};

static const struct ktest_suite wbr_suite = {
	.name = "wb_start_all_reason",
	.init = wbr_init,
	.exit = wbr_exit,
	.cases = wbr_cases,
};
KTEST_SUITE(wbr_suite);
