/*
 * mm/vmscan_test.c - tests of reclaim_throttle() and its wake rules
 * (suite reclaim_throttle) and of the LRU lists with hand-made folios
 * (suite lru). The page-cache reclaim tests are in mm/reclaim_test.c.
 *
 * A throttled task is a kthread calling __reclaim_throttle(), which says
 * whether it slept and how many jiffies of its timeout were left when it
 * woke (0: timed out). Whether a wake-up happened is read from the wait
 * queue itself right after the waker's call (the wake function dequeues the
 * sleeper), so the checks do not depend on timing; only a sleeper whose
 * timeout expires before the waker got to it (a slow host) makes a trial
 * inconclusive, and the trial is repeated (up to TRIALS times).
 */
#include <quire/ktest.h>
#include <quire/swap.h>
#include <quire/vmstat.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/workqueue.h>
#include <quire/jiffies.h>
#include <quire/sched.h>
#include <quire/smp.h>
#include <quire/string.h>
#include <quire/fs.h>
#include "internal.h"

static unsigned long node_reclaimable_pages_for_test(pg_data_t *pgdat)
{
	return node_page_state(pgdat, NR_INACTIVE_FILE) +
	       node_page_state(pgdat, NR_ACTIVE_FILE);
}

#define TRIALS \
	20 /* inconclusive trials repeat: a 20 ms ISOLATED timeout under a loaded TCG often fires first (5 were all inconclusive once in kernel-smp4-numa4-lru) */

struct throttler {
	pg_data_t *pgdat;
	enum vmscan_throttle_state reason;
	long ret;		  /* __reclaim_throttle()'s */
	unsigned long start, end; /* jiffies around it */
	struct completion done;
	struct task_struct *task;
};

static int throttler_fn(void *data)
{
	struct throttler *th = data;

	th->start = jiffies;
	th->ret = __reclaim_throttle(th->pgdat, th->reason);
	th->end = jiffies;
	complete(&th->done);
	return 0;
}

static void throttler_start(struct throttler *th, pg_data_t *pgdat,
			    enum vmscan_throttle_state reason)
{
	th->pgdat = pgdat;
	th->reason = reason;
	th->ret = -2;
	init_completion(&th->done);
	th->task = kthread_run(throttler_fn, th, "throttle-t");
}

static void throttler_join(struct throttler *th)
{
	if (IS_ERR_OR_NULL(th->task))
		return;
	wait_for_completion(&th->done);
	kthread_stop(th->task);
	th->task = NULL;
}

/* Wait (yielding, at most 2 s) until @n tasks sleep on @wq. */
static bool wait_sleepers(wait_queue_head_t *wq, atomic_t *count, int n)
{
	unsigned long deadline = jiffies + 2 * HZ;
	unsigned long flags;
	int queued;

	for (;;) {
		struct list_head *pos;

		queued = 0;
		spin_lock_irqsave(&wq->lock, flags);
		list_for_each(pos, &wq->head)
			queued++;
		spin_unlock_irqrestore(&wq->lock, flags);
		if (queued == n && (!count || atomic_read(count) == n))
			return true;
		if (time_after(jiffies, deadline))
			return false;
		yield();
	}
}

static int nr_queued(wait_queue_head_t *wq)
{
	struct list_head *pos;
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&wq->lock, flags);
	list_for_each(pos, &wq->head)
		n++;
	spin_unlock_irqrestore(&wq->lock, flags);
	return n;
}

static struct folio *node_folio(struct ktest *t, int nid)
{
	struct page *page = alloc_pages(nid, 0, __GFP_THISNODE | __GFP_NOWARN);

	KTEST_ASSERT_NOT_NULL(t, page);
	return page_folio(page);
}

static wait_queue_head_t *wb_queue(pg_data_t *pgdat)
{
	return &pgdat->reclaim_wait[VMSCAN_THROTTLE_WRITEBACK];
}

/*
 * One trial: a task throttled on WRITEBACK on @pgdat stays asleep through
 * 32 completions on its node (and through @foreign completions on another
 * node's folio), and the 33rd wakes it. 0 pass, 1 inconclusive (it timed
 * out first), -1 fail (diagnostics printed).
 */
static int writeback_wake_trial(struct ktest *t, pg_data_t *pgdat, struct folio *mine,
				struct folio *other, int foreign)
{
	struct throttler th;
	int verdict = 0;

	throttler_start(&th, pgdat, VMSCAN_THROTTLE_WRITEBACK);
	KTEST_ASSERT_TRUE(t, !IS_ERR(th.task));
	if (!wait_sleepers(wb_queue(pgdat), &pgdat->nr_writeback_throttled, 1)) {
		throttler_join(&th);
		return th.ret == 0 ? 1 : -1;
	}
	/* VMS2: the first sleeper took the snapshot. */
	KTEST_EXPECT_EQ(t, READ_ONCE(pgdat->nr_reclaim_start),
			node_page_state(pgdat, NR_THROTTLED_WRITTEN));
	for (int i = 0; i < foreign; i++)
		acct_reclaim_writeback(other);
	for (int i = 0; i < (int)SWAP_CLUSTER_MAX; i++)
		acct_reclaim_writeback(mine);
	if (nr_queued(wb_queue(pgdat)) != 1)
		verdict = 1; /* timed out (checked below) or woken too soon */
	acct_reclaim_writeback(mine);
	if (!verdict && nr_queued(wb_queue(pgdat)) != 0)
		verdict = 3; /* the 33rd did not wake it, unless it timed out */
	throttler_join(&th);
	/* A sleeper whose timeout fired stays queued until it runs again: a
	 * wake-up then passes it by. */
	if (verdict == 3)
		verdict = th.ret == 0 ? 1 : -1;
	if (verdict == 1 && th.ret != 0)
		verdict = -1; /* woken before 33 completions */
	if (verdict == 0 && th.ret <= 0)
		verdict = th.ret == 0 ? 1 : -1;
	if (verdict < 0)
		ktest_fail(t, __FILE__, __LINE__, "node %d: ret %ld, slept %lu jiffies",
			   pgdat->node_id, th.ret, th.end - th.start);
	KTEST_EXPECT_EQ(t, atomic_read(&pgdat->nr_writeback_throttled), 0);
	return verdict;
}

static void run_trials(struct ktest *t, int (*trial)(struct ktest *t, void *arg),
		       void *arg)
{
	for (int i = 0; i < TRIALS; i++) {
		int v = trial(t, arg);

		if (v <= 0)
			return;
	}
	ktest_fail(
		t, __FILE__, __LINE__,
		"no trial was conclusive: each time a sleeper was not where the wake rule puts it, and had timed out");
}

struct wb_args {
	int nid, other_nid, foreign;
};

static int wb_trial(struct ktest *t, void *arg)
{
	struct wb_args *a = arg;
	struct folio *mine = node_folio(t, a->nid), *other = node_folio(t, a->other_nid);
	int v = writeback_wake_trial(t, NODE_DATA(a->nid), mine, other, a->foreign);

	folio_put(mine);
	folio_put(other);
	return v;
}

/* 32 x 1 completions on its node do not wake a WRITEBACK sleeper; one more
 * does, well before its 100 ms (Linux's SWAP_CLUSTER_MAX rule). */
static void writeback_sleeper_woken_after_32_completions_on_its_node(struct ktest *t)
{
	int last = (int)num_online_nodes() - 1;

	for (int nid = 0; nid <= last; nid++) {
		struct wb_args a = {.nid = nid, .other_nid = nid, .foreign = 0};

		run_trials(t, wb_trial, &a);
	}
}

/* Completions on another node, however many, do not wake it. */
static void writeback_sleeper_not_woken_by_another_nodes_completions(struct ktest *t)
{
	int last = (int)num_online_nodes() - 1;
	struct wb_args a = {.nid = 0, .other_nid = last, .foreign = 200};

	if (last == 0)
		ktest_skip(t, "needs 2 or more NUMA nodes");
	run_trials(t, wb_trial, &a);
	a.nid = last;
	a.other_nid = 0;
	run_trials(t, wb_trial, &a);
}

/* Sleepers on two nodes: 33 completions on one node wake its sleeper and
 * leave the other node's asleep. */
static int two_node_trial(struct ktest *t, void *arg)
{
	int last = (int)num_online_nodes() - 1;
	pg_data_t *a = NODE_DATA(0), *b = NODE_DATA(last);
	struct folio *fb = node_folio(t, last);
	struct throttler ta, tb;
	int v = 0;

	throttler_start(&ta, a, VMSCAN_THROTTLE_WRITEBACK);
	throttler_start(&tb, b, VMSCAN_THROTTLE_WRITEBACK);
	if (!wait_sleepers(wb_queue(a), &a->nr_writeback_throttled, 1) ||
	    !wait_sleepers(wb_queue(b), &b->nr_writeback_throttled, 1))
		v = 1;
	for (int i = 0; !v && i <= (int)SWAP_CLUSTER_MAX; i++)
		acct_reclaim_writeback(fb);
	if (!v && (nr_queued(wb_queue(b)) != 0 || nr_queued(wb_queue(a)) != 1))
		v = 2;
	throttler_join(&tb);
	throttler_join(&ta); /* a: its 100 ms timeout */
	/* Not as expected right after the completions: a fault only if
	 * neither sleeper had timed out by then (one that did stays queued
	 * until it runs, or has left). */
	if (v == 2)
		v = (tb.ret == 0 || ta.ret == 0) ? 1 : -1;
	if (!v && (tb.ret <= 0 || ta.ret != 0))
		v = (tb.ret == 0) ? 1 : -1; /* b timed out: inconclusive */
	if (v < 0)
		ktest_fail(t, __FILE__, __LINE__,
			   "woken node ret %ld, other node ret %ld", tb.ret, ta.ret);
	folio_put(fb);
	return v;
}

static void writeback_completions_wake_only_their_nodes_sleepers(struct ktest *t)
{
	if (num_online_nodes() < 2)
		ktest_skip(t, "needs 2 or more NUMA nodes");
	run_trials(t, two_node_trial, NULL);
}

/* Two sleepers on one node: the first snapshots NR_THROTTLED_WRITTEN, the
 * second does not move it; they need more than 64 completions. */
static int two_sleepers_trial(struct ktest *t, void *arg)
{
	pg_data_t *pgdat = NODE_DATA(0);
	struct folio *f = node_folio(t, 0);
	struct throttler t1, t2;
	unsigned long snap;
	int v = 0;

	throttler_start(&t1, pgdat, VMSCAN_THROTTLE_WRITEBACK);
	if (!wait_sleepers(wb_queue(pgdat), &pgdat->nr_writeback_throttled, 1))
		v = 1;
	snap = READ_ONCE(pgdat->nr_reclaim_start);
	mod_node_page_state(pgdat, NR_THROTTLED_WRITTEN, 5); /* written meanwhile */
	throttler_start(&t2, pgdat, VMSCAN_THROTTLE_WRITEBACK);
	if (!v && !wait_sleepers(wb_queue(pgdat), &pgdat->nr_writeback_throttled, 2))
		v = 1;
	if (!v)
		KTEST_EXPECT_EQ(t, READ_ONCE(pgdat->nr_reclaim_start), snap); /* VMS2 */
	/* 5 + 59 = 64 written since the snapshot: not more than 32 x 2. */
	for (int i = 0; !v && i < 2 * (int)SWAP_CLUSTER_MAX - 5; i++)
		acct_reclaim_writeback(f);
	if (!v && nr_queued(wb_queue(pgdat)) != 2)
		v = 2;		   /* one left early: timed out, or woken too soon */
	acct_reclaim_writeback(f); /* the 65th: both go */
	if (!v && nr_queued(wb_queue(pgdat)) != 0)
		v = 2; /* not both woken, unless one timed out (stays queued) */
	throttler_join(&t1);
	throttler_join(&t2);
	if (v == 2)
		v = (t1.ret == 0 || t2.ret == 0) ? 1 : -1;
	if (!v && (t1.ret <= 0 || t2.ret <= 0))
		v = (t1.ret == 0 || t2.ret == 0) ? 1 : -1;
	if (v < 0)
		ktest_fail(t, __FILE__, __LINE__, "rets %ld %ld", t1.ret, t2.ret);
	KTEST_EXPECT_EQ(t, atomic_read(&pgdat->nr_writeback_throttled), 0);
	folio_put(f);
	return v;
}

static void
writeback_first_sleeper_snapshots_and_wake_scales_with_sleepers(struct ktest *t)
{
	run_trials(t, two_sleepers_trial, NULL);
}

/* Nobody completes anything: the sleep lasts the whole timeout. */
static void timeout_case(struct ktest *t, enum vmscan_throttle_state reason, long timeout)
{
	pg_data_t *pgdat = NODE_DATA(numa_node_id());
	unsigned long start = jiffies;
	long ret = __reclaim_throttle(pgdat, reason);

	KTEST_EXPECT_EQ(t, ret, 0);
	KTEST_EXPECT_GE(t, (long)(jiffies - start), timeout);
	KTEST_EXPECT_EQ(t, atomic_read(&pgdat->nr_writeback_throttled), 0);
}

static void writeback_times_out_after_100ms(struct ktest *t)
{
	timeout_case(t, VMSCAN_THROTTLE_WRITEBACK, HZ / 10);
}

static void isolated_times_out_after_20ms(struct ktest *t)
{
	timeout_case(t, VMSCAN_THROTTLE_ISOLATED, HZ / 50);
}

/*
 * NOPROGRESS and CONGESTED: one jiffy while writes pending are more than
 * half the node's reclaimable pages; only a yield when they are not, or
 * when kswapd failed MAX_RECLAIM_RETRIES times on the node.
 */
static void noprogress_and_congested_sleep_one_jiffy_or_yield(struct ktest *t)
{
	static const enum vmscan_throttle_state reasons[] = {
		VMSCAN_THROTTLE_NOPROGRESS,
		VMSCAN_THROTTLE_CONGESTED,
	};
	pg_data_t *pgdat = NODE_DATA(numa_node_id());
	long pending = (long)node_reclaimable_pages_for_test(pgdat) / 2 + 1;
	int failures = READ_ONCE(pgdat->kswapd_failures);

	for (unsigned int i = 0; i < ARRAY_SIZE(reasons); i++) {
		unsigned long start;
		long ret;

		/* Few writes pending (none of ours): yield. */
		if (2 * (node_page_state(pgdat, NR_FILE_DIRTY) +
			 node_page_state(pgdat, NR_WRITEBACK)) <=
		    node_reclaimable_pages_for_test(pgdat))
			KTEST_EXPECT_EQ(t, __reclaim_throttle(pgdat, reasons[i]), -1);
		mod_node_page_state(pgdat, NR_FILE_DIRTY, pending);
		WRITE_ONCE(pgdat->kswapd_failures, 0); /* earlier suites may have */
		start = jiffies;
		ret = __reclaim_throttle(pgdat, reasons[i]);
		KTEST_EXPECT_EQ(t, ret, 0);
		KTEST_EXPECT_GE(t, (long)(jiffies - start), 1);
		WRITE_ONCE(pgdat->kswapd_failures, MAX_RECLAIM_RETRIES);
		KTEST_EXPECT_EQ(t, __reclaim_throttle(pgdat, reasons[i]), -1);
		WRITE_ONCE(pgdat->kswapd_failures, failures);
		mod_node_page_state(pgdat, NR_FILE_DIRTY, -pending);
	}
}

struct worker_throttle {
	struct work_struct work;
	long ret[NR_VMSCAN_THROTTLE];
	int throttled_during;
	bool may_sleep;
};

static void worker_throttle_fn(struct work_struct *work)
{
	struct worker_throttle *w = container_of(work, struct worker_throttle, work);
	pg_data_t *pgdat = NODE_DATA(numa_node_id());

	w->may_sleep = reclaim_throttle_may_sleep();
	mod_node_page_state(pgdat, NR_FILE_DIRTY, 1000000); /* would sleep */
	for (int r = 0; r < NR_VMSCAN_THROTTLE; r++) {
		w->ret[r] = __reclaim_throttle(pgdat, r);
		w->throttled_during += atomic_read(&pgdat->nr_writeback_throttled);
	}
	mod_node_page_state(pgdat, NR_FILE_DIRTY, -1000000);
}

/*
 * The kthread rule (docs/reclaim.md): a workqueue worker (the flushers run
 * there, so does do_writepages() for background and sync writeback) never
 * sleeps in reclaim_throttle(), for any reason; a plain kthread does (the
 * cases above throttle kthreads and the test thread).
 */
static void workqueue_worker_only_yields(struct ktest *t)
{
	static struct worker_throttle w;

	memset(&w, 0, sizeof(w));
	INIT_WORK(&w.work, worker_throttle_fn);
	KTEST_ASSERT_TRUE(t, queue_work(system_wq, &w.work));
	flush_work(&w.work);
	KTEST_EXPECT_FALSE(t, w.may_sleep);
	for (int r = 0; r < NR_VMSCAN_THROTTLE; r++)
		KTEST_EXPECT_EQ(t, w.ret[r], -1);
	KTEST_EXPECT_EQ(t, w.throttled_during, 0);
	KTEST_EXPECT_TRUE(t, reclaim_throttle_may_sleep());
}

static const struct ktest_case reclaim_throttle_cases[] = {
	KTEST_CASE(writeback_sleeper_woken_after_32_completions_on_its_node),
	KTEST_CASE(writeback_sleeper_not_woken_by_another_nodes_completions),
	KTEST_CASE(writeback_completions_wake_only_their_nodes_sleepers),
	KTEST_CASE(writeback_first_sleeper_snapshots_and_wake_scales_with_sleepers),
	KTEST_CASE(writeback_times_out_after_100ms),
	KTEST_CASE(isolated_times_out_after_20ms),
	KTEST_CASE(noprogress_and_congested_sleep_one_jiffy_or_yield),
	KTEST_CASE(workqueue_worker_only_yields),
	KTEST_END,
};

/*
 * The sleeps end on any 32 writeback completions of the node: another
 * disk's writeback still running from an earlier suite (kupdate, the
 * background threshold) woke them early. Each case starts with every disk
 * synced.
 */
static int reclaim_throttle_init(struct ktest *t)
{
	ksys_sync();
	return 0;
}

static const struct ktest_suite reclaim_throttle_suite = {
	.name = "reclaim_throttle",
	.init = reclaim_throttle_init,
	.cases = reclaim_throttle_cases,
};
KTEST_SUITE(reclaim_throttle_suite);

/* ---- suite lru: hand-made folios (no mapping) on the lists ---- */

static bool on_list(struct folio *folio, enum lru_list lru)
{
	pg_data_t *pgdat = folio_pgdat(folio);
	struct folio *f;
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&pgdat->lruvec.lru_lock, flags);
	list_for_each_entry(f, &pgdat->lruvec.lists[lru], lru)
		found |= f == folio;
	spin_unlock_irqrestore(&pgdat->lruvec.lru_lock, flags);
	return found;
}

static bool at_inactive_tail(struct folio *folio)
{
	pg_data_t *pgdat = folio_pgdat(folio);
	unsigned long flags;
	bool tail;

	spin_lock_irqsave(&pgdat->lruvec.lru_lock, flags);
	tail = list_last_entry(&pgdat->lruvec.lists[LRU_INACTIVE_FILE], struct folio,
			       lru) == folio;
	spin_unlock_irqrestore(&pgdat->lruvec.lru_lock, flags);
	return tail;
}

static void expect_lru_ok(struct ktest *t, int nid)
{
	KTEST_EXPECT_EQ(t, lru_check_invariants(nid, false), 0);
}

static void lru_add_and_last_put_takes_it_off(struct ktest *t)
{
	int nid = numa_node_id();
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long inactive = node_page_state(pgdat, NR_INACTIVE_FILE);
	unsigned long free;
	struct folio *f = node_folio(t, nid);

	folio_add_lru(f);
	KTEST_EXPECT_TRUE(t, folio_test_lru(f));
	KTEST_EXPECT_TRUE(t, on_list(f, LRU_INACTIVE_FILE));
	KTEST_EXPECT_EQ(t, node_page_state(pgdat, NR_INACTIVE_FILE), inactive + 1);
	expect_lru_ok(t, nid);
	free = nr_free_pages_node(nid);
	folio_put(f); /* the last reference: off the list, back to the buddy */
	KTEST_EXPECT_EQ(t, node_page_state(pgdat, NR_INACTIVE_FILE), inactive);
	KTEST_EXPECT_EQ(t, nr_free_pages_node(nid), free + 1);
	expect_lru_ok(t, nid);
}

static void mark_accessed_twice_activates(struct ktest *t)
{
	int nid = numa_node_id();
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long active = node_page_state(pgdat, NR_ACTIVE_FILE);
	unsigned long act_events = vm_event_count(PGACTIVATE);
	struct folio *f = node_folio(t, nid);

	folio_add_lru(f);
	folio_mark_accessed(f); /* first touch */
	KTEST_EXPECT_TRUE(t, folio_test_referenced(f));
	KTEST_EXPECT_FALSE(t, folio_test_active(f));
	KTEST_EXPECT_TRUE(t, on_list(f, LRU_INACTIVE_FILE));
	folio_mark_accessed(f); /* second: active */
	KTEST_EXPECT_TRUE(t, folio_test_active(f));
	KTEST_EXPECT_FALSE(t, folio_test_referenced(f));
	KTEST_EXPECT_TRUE(t, on_list(f, LRU_ACTIVE_FILE));
	KTEST_EXPECT_FALSE(t, on_list(f, LRU_INACTIVE_FILE));
	KTEST_EXPECT_EQ(t, node_page_state(pgdat, NR_ACTIVE_FILE), active + 1);
	KTEST_EXPECT_EQ(t, vm_event_count(PGACTIVATE), act_events + 1);
	folio_mark_accessed(f); /* third: referenced, still active */
	KTEST_EXPECT_TRUE(t, folio_test_referenced(f));
	KTEST_EXPECT_TRUE(t, on_list(f, LRU_ACTIVE_FILE));
	expect_lru_ok(t, nid);
	folio_put(f);
	KTEST_EXPECT_EQ(t, node_page_state(pgdat, NR_ACTIVE_FILE), active);
	expect_lru_ok(t, nid);
}

static void isolate_and_putback(struct ktest *t)
{
	int nid = numa_node_id();
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long isolated = node_page_state(pgdat, NR_ISOLATED_FILE);
	struct folio *f = node_folio(t, nid);

	folio_add_lru(f);
	KTEST_ASSERT_TRUE(t, folio_isolate_lru(f));
	KTEST_EXPECT_FALSE(t, folio_test_lru(f));
	KTEST_EXPECT_FALSE(t, on_list(f, LRU_INACTIVE_FILE));
	KTEST_EXPECT_EQ(t, page_ref_count(&f->page), 2);
	KTEST_EXPECT_EQ(t, node_page_state(pgdat, NR_ISOLATED_FILE), isolated + 1);
	KTEST_EXPECT_FALSE(t, folio_isolate_lru(f)); /* not on a list now */
	folio_set_active(f); /* the isolator decides where it goes back */
	folio_putback_lru(f);
	KTEST_EXPECT_TRUE(t, on_list(f, LRU_ACTIVE_FILE));
	KTEST_EXPECT_EQ(t, page_ref_count(&f->page), 1);
	KTEST_EXPECT_EQ(t, node_page_state(pgdat, NR_ISOLATED_FILE), isolated);
	expect_lru_ok(t, nid);
	folio_put(f);
	expect_lru_ok(t, nid);
}

static void rotate_reclaimable_moves_to_inactive_tail(struct ktest *t)
{
	int nid = numa_node_id();
	struct folio *a = node_folio(t, nid), *b = node_folio(t, nid);
	unsigned long rotated = vm_event_count(PGROTATED);

	folio_add_lru(a);
	folio_mark_accessed(a);
	folio_mark_accessed(a); /* a: active */
	folio_add_lru(b);	/* b: inactive head, maybe tail */
	folio_set_dirty(a);	/* redirtied: stays */
	folio_rotate_reclaimable(a);
	KTEST_EXPECT_TRUE(t, on_list(a, LRU_ACTIVE_FILE));
	folio_clear_dirty(a);
	folio_set_locked(a); /* locked: stays */
	folio_rotate_reclaimable(a);
	KTEST_EXPECT_TRUE(t, on_list(a, LRU_ACTIVE_FILE));
	folio_clear_locked(a);
	folio_rotate_reclaimable(a); /* clean, unlocked: inactive tail */
	KTEST_EXPECT_FALSE(t, folio_test_active(a));
	KTEST_EXPECT_TRUE(t, at_inactive_tail(a));
	KTEST_EXPECT_EQ(t, vm_event_count(PGROTATED), rotated + 1);
	folio_rotate_reclaimable(b);
	KTEST_EXPECT_TRUE(t, at_inactive_tail(b));
	expect_lru_ok(t, nid);
	folio_put(a);
	folio_put(b);
	expect_lru_ok(t, nid);
}

/* LRU3: between the last put and __page_cache_release() the folio is on a
 * list with count 0; isolation must leave it alone. */
static void isolation_skips_folio_whose_count_reached_zero(struct ktest *t)
{
	int nid = numa_node_id();
	struct folio *f = node_folio(t, nid);

	folio_add_lru(f);
	KTEST_ASSERT_TRUE(t, put_page_testzero(&f->page));
	KTEST_EXPECT_TRUE(t, folio_test_lru(f));
	KTEST_EXPECT_FALSE(t, folio_isolate_lru(f));
	KTEST_EXPECT_FALSE(t, get_page_unless_zero(&f->page));
	__page_cache_release(f);
	KTEST_EXPECT_FALSE(t, folio_test_lru(f));
	KTEST_EXPECT_FALSE(t, on_list(f, LRU_INACTIVE_FILE));
	free_unref_page(&f->page);
	expect_lru_ok(t, nid);
}

/*
 * ISOLATED sleepers are woken by a reclaimer that finds isolation no longer
 * excessive: direct reclaim over hand-made folios (they have no mapping, so
 * reclaim keeps them and puts them back).
 */
#define HAND_MADE 64
static int isolated_wake_trial(struct ktest *t, void *arg)
{
	int nid = numa_node_id();
	pg_data_t *pgdat = NODE_DATA(nid);
	wait_queue_head_t *wq = &pgdat->reclaim_wait[VMSCAN_THROTTLE_ISOLATED];
	struct folio *f[HAND_MADE];
	struct throttler th;
	int v = 0;

	for (int i = 0; i < HAND_MADE; i++) {
		f[i] = node_folio(t, nid);
		folio_add_lru(f[i]);
	}
	throttler_start(&th, pgdat, VMSCAN_THROTTLE_ISOLATED);
	if (!wait_sleepers(wq, NULL, 1))
		v = 1;
	if (!v)
		try_to_free_pages(nid, 1, __GFP_THISNODE);
	if (!v && nr_queued(wq) != 0)
		v = 2; /* not woken, unless it timed out (stays queued) */
	throttler_join(&th);
	if (v == 2)
		v = th.ret == 0 ? 1 : -1;
	if (!v && th.ret <= 0)
		v = th.ret == 0 ? 1 : -1;
	if (v < 0)
		ktest_fail(t, __FILE__, __LINE__, "ret %ld", th.ret);
	for (int i = 0; i < HAND_MADE; i++) {
		KTEST_EXPECT_TRUE(t, folio_test_lru(f[i])); /* kept, put back */
		folio_put(f[i]);
	}
	expect_lru_ok(t, nid);
	return v;
}

static void isolated_sleeper_woken_when_isolation_is_not_excessive(struct ktest *t)
{
	run_trials(t, isolated_wake_trial, NULL);
}

/*
 * LRU3 under fire: threads on every CPU add folios, touch them and drop
 * the last reference, while reclaim isolates and puts back the same lists
 * (hand-made folios have no mapping: reclaim keeps them). Afterwards the
 * lists are back to where they were and LRU1/LRU2 hold.
 */
struct lru_churner {
	int nid;
	unsigned long rounds;
	struct completion done;
	bool reclaimer;
	bool *stop;
};

static int lru_churn_fn(void *data)
{
	struct lru_churner *c = data;

	for (unsigned long r = 0; c->reclaimer ? !READ_ONCE(*c->stop) : r < c->rounds;
	     r++) {
		struct page *page;
		struct folio *f;

		if (c->reclaimer) {
			try_to_free_pages(c->nid, SWAP_CLUSTER_MAX, __GFP_THISNODE);
			cond_resched();
			continue;
		}
		page = alloc_pages(c->nid, 0, __GFP_THISNODE | __GFP_NOWARN);
		if (!page)
			continue;
		f = page_folio(page);
		folio_add_lru(f);
		if (r & 1) {
			folio_mark_accessed(f);
			folio_mark_accessed(f);
		}
		if (r % 3 == 0)
			folio_rotate_reclaimable(f);
		folio_put(f);
	}
	complete(&c->done);
	return 0;
}

static void lru_concurrent_last_puts_and_reclaim(struct ktest *t)
{
	static struct lru_churner c[MAX_CPUS + 1];
	struct task_struct *k[MAX_CPUS + 1];
	unsigned int n = num_online_cpus();
	int nid = numa_node_id();
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long inactive = node_page_state(pgdat, NR_INACTIVE_FILE);
	unsigned long active = node_page_state(pgdat, NR_ACTIVE_FILE);
	unsigned long isolated = node_page_state(pgdat, NR_ISOLATED_FILE);
	bool stop = false;

	for (unsigned int i = 0; i <= n; i++) {
		c[i] = (struct lru_churner){
			.nid = nid, .rounds = 400, .reclaimer = i == n, .stop = &stop};
		init_completion(&c[i].done);
		k[i] = kthread_create(lru_churn_fn, &c[i], "lru-churn%u", i);
		KTEST_ASSERT_TRUE(t, !IS_ERR(k[i]));
		if (i < n)
			kthread_bind(k[i], i);
		wake_up_process(k[i]);
	}
	for (unsigned int i = 0; i < n; i++)
		wait_for_completion(&c[i].done);
	WRITE_ONCE(stop, true);
	wait_for_completion(&c[n].done);
	for (unsigned int i = 0; i <= n; i++)
		kthread_stop(k[i]);
	expect_lru_ok(t, nid);
	KTEST_EXPECT_EQ(t, node_page_state(pgdat, NR_INACTIVE_FILE), inactive);
	KTEST_EXPECT_EQ(t, node_page_state(pgdat, NR_ACTIVE_FILE), active);
	KTEST_EXPECT_EQ(t, node_page_state(pgdat, NR_ISOLATED_FILE), isolated);
}

static const struct ktest_case lru_cases[] = {
	KTEST_CASE(lru_add_and_last_put_takes_it_off),
	KTEST_CASE(mark_accessed_twice_activates),
	KTEST_CASE(isolate_and_putback),
	KTEST_CASE(rotate_reclaimable_moves_to_inactive_tail),
	KTEST_CASE(isolation_skips_folio_whose_count_reached_zero),
	KTEST_CASE(isolated_sleeper_woken_when_isolation_is_not_excessive),
	KTEST_CASE(lru_concurrent_last_puts_and_reclaim),
	KTEST_END,
};

/*
 * The cases count the node's LRU pages exactly, and a reclaimer takes any
 * file page of the node: an earlier suite's cached disk pages (or their
 * writeback ending) moved the counts. Each case starts with every disk
 * synced and the clean page cache dropped.
 */
static int lru_init(struct ktest *t)
{
	ksys_sync();
	drop_pagecache();
	return 0;
}

static const struct ktest_suite lru_suite = {
	.name = "lru",
	.init = lru_init,
	.cases = lru_cases,
};
KTEST_SUITE(lru_suite);

/* ---- suite watermark: the rule, kswapd wake-ups, the slow path ---- */

/* Linux's rule: min_free_kbytes = sqrt(16 x KiB of RAM) in [128, 262144];
 * each node's min its share by managed pages; low/high one and two gaps
 * (max(min/4, managed x scale / 10000)) above (VMS1). */
static void watermarks_follow_min_free_kbytes(struct ktest *t)
{
	unsigned long total = totalram_pages(), kb = total << (PAGE_SHIFT - 10);
	unsigned long want = 0, sum_min = 0;
	int saved = min_free_kbytes;

	while ((want + 1) * (want + 1) <= kb * 16)
		want++;
	want = clamp(want, 128UL, 262144UL);
	KTEST_EXPECT_EQ(t, min_free_kbytes, want);
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);
		unsigned long min = pgdat->watermark[WMARK_MIN];
		unsigned long gap = max(min / 4, pgdat->managed_pages * 10 / 10000);

		KTEST_EXPECT_EQ(t, min, (want >> 2) * pgdat->managed_pages / total);
		KTEST_EXPECT_EQ(t, pgdat->watermark[WMARK_LOW], min + gap);
		KTEST_EXPECT_EQ(t, pgdat->watermark[WMARK_HIGH], min + 2 * gap);
		sum_min += min;
	}
	KTEST_EXPECT_LE(t, sum_min, want >> 2);
	/* vm.min_free_kbytes=4x: every min follows. */
	min_free_kbytes = saved * 4;
	setup_per_zone_wmarks();
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);

		KTEST_EXPECT_EQ(t, pgdat->watermark[WMARK_MIN],
				((unsigned long)min_free_kbytes >> 2) *
					pgdat->managed_pages / total);
		KTEST_EXPECT_LE(t, pgdat->watermark[WMARK_MIN],
				pgdat->watermark[WMARK_LOW]);
		KTEST_EXPECT_LE(t, pgdat->watermark[WMARK_LOW],
				pgdat->watermark[WMARK_HIGH]);
	}
	min_free_kbytes = saved;
	setup_per_zone_wmarks();
}

/* Pretend node @nid is short: its watermarks @above pages over its free. */
static void raise_watermarks(pg_data_t *pgdat, unsigned long above)
{
	unsigned long free = node_page_state(pgdat, NR_FREE_PAGES);

	WRITE_ONCE(pgdat->watermark[WMARK_MIN], free + above);
	WRITE_ONCE(pgdat->watermark[WMARK_LOW], free + 2 * above);
	WRITE_ONCE(pgdat->watermark[WMARK_HIGH], free + 3 * above);
}

/* An allocation leaving a node below low wakes its kswapd, which runs
 * (pageoutrun) and, finding nothing to reclaim, counts a failure; after
 * MAX_RECLAIM_RETRIES failures the node is no longer woken. */
static void below_low_wakes_kswapd_until_it_gives_up(struct ktest *t)
{
	int nid = numa_node_id();
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long runs = vm_event_count(PAGEOUTRUN), deadline;
	struct page *page;

	KTEST_ASSERT_NOT_NULL(t, READ_ONCE(pgdat->kswapd));
	WRITE_ONCE(pgdat->kswapd_failures, 0);
	for (int i = 0; i < MAX_RECLAIM_RETRIES; i++) {
		raise_watermarks(pgdat, 1000);
		page = alloc_pages(nid, 0, __GFP_THISNODE | GFP_NOWAIT);
		KTEST_ASSERT_NOT_NULL(t, page);
		__free_pages(page, 0);
		deadline = jiffies + 2 * HZ;
		while (READ_ONCE(pgdat->kswapd_failures) <= i &&
		       time_before(jiffies, deadline))
			schedule_timeout_uninterruptible(1);
		KTEST_ASSERT_EQ(t, READ_ONCE(pgdat->kswapd_failures), i + 1);
	}
	KTEST_EXPECT_GE(t, vm_event_count(PAGEOUTRUN), runs + MAX_RECLAIM_RETRIES);
	runs = vm_event_count(PAGEOUTRUN);
	page = alloc_pages(nid, 0, __GFP_THISNODE | GFP_NOWAIT); /* hopeless now */
	KTEST_ASSERT_NOT_NULL(t, page);
	__free_pages(page, 0);
	schedule_timeout_uninterruptible(HZ / 25);
	KTEST_EXPECT_EQ(t, vm_event_count(PAGEOUTRUN), runs);
	WRITE_ONCE(pgdat->kswapd_failures, 0);
	setup_per_zone_wmarks();
}

/*
 * Every node below min: an allocation that may sleep enters direct reclaim
 * (allocstall) before it takes a page below min; GFP_ATOMIC, __GFP_NORETRY
 * and a task already reclaiming (PF_MEMALLOC) do not. All get their page:
 * Quire has no OOM killer.
 */
static void below_min_everywhere_enters_direct_reclaim_if_it_may_sleep(struct ktest *t)
{
	static const struct {
		gfp_t gfp;
		bool memalloc;
		bool stalls;
	} tries[] = {
		{GFP_KERNEL, false, true},
		{GFP_ATOMIC, false, false},
		{__GFP_NORETRY, false, false},
		{GFP_KERNEL, true, false},
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(tries); i++) {
		unsigned long stalls = vm_event_count(ALLOCSTALL);
		unsigned int saved = current->flags;
		struct page *page;

		for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
			WRITE_ONCE(NODE_DATA(nid)->kswapd_failures, MAX_RECLAIM_RETRIES);
			raise_watermarks(NODE_DATA(nid), 1000);
		}
		if (tries[i].memalloc)
			current->flags |= PF_MEMALLOC;
		page = alloc_pages(NUMA_NO_NODE, 0, tries[i].gfp | __GFP_NOWARN);
		current->flags = saved;
		KTEST_EXPECT_NOT_NULL(t, page);
		if (page)
			__free_pages(page, 0);
		KTEST_EXPECT_EQ(t, vm_event_count(ALLOCSTALL),
				stalls + (tries[i].stalls ? 1 : 0));
	}
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++)
		WRITE_ONCE(NODE_DATA(nid)->kswapd_failures, 0);
	setup_per_zone_wmarks();
}

/*
 * The slow path wakes the kswapd of every node the allocation may use
 * (Linux's wake_all_kswapds()), not only the node that finally gave the
 * page: with every node below min, a node that allocations now skip would
 * otherwise never be balanced by its kswapd. GFP_NOWAIT: no direct
 * reclaim, the page comes from below min. No page cache (dropped first):
 * each woken kswapd frees nothing and counts a failure, which is what
 * this case watches per node.
 */
static void slow_path_wakes_every_nodes_kswapd(struct ktest *t)
{
	unsigned int nn = num_online_nodes();
	unsigned long deadline;
	struct page *page;
	int from;

	drop_pagecache();
	for (unsigned int nid = 0; nid < nn; nid++) {
		WRITE_ONCE(NODE_DATA(nid)->kswapd_failures, 0);
		raise_watermarks(NODE_DATA(nid), 1000);
	}
	page = alloc_pages(NUMA_NO_NODE, 0, GFP_NOWAIT);
	KTEST_ASSERT_NOT_NULL(t, page);
	from = page_to_nid(page);
	__free_pages(page, 0);
	for (unsigned int nid = 0; nid < nn; nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);

		if (!pgdat->managed_pages || !READ_ONCE(pgdat->kswapd))
			continue;
		deadline = jiffies + 5 * HZ;
		while (!READ_ONCE(pgdat->kswapd_failures) &&
		       time_before(jiffies, deadline))
			schedule_timeout_uninterruptible(1);
		/* Woken but never run (kswapd_wake still set) is its CPU's
		 * fault, not the wake-up's: say which (sched.c, SCHED6). */
		if (!READ_ONCE(pgdat->kswapd_failures))
			ktest_fail(t, __FILE__, __LINE__,
				   "kswapd%u %s (node below min, page from node %d)", nid,
				   READ_ONCE(pgdat->kswapd_wake) ?
					   "woken but has not run for 5 s" :
					   "not woken",
				   from);
	}
	wait_kswapds_asleep(t);
	for (unsigned int nid = 0; nid < nn; nid++)
		WRITE_ONCE(NODE_DATA(nid)->kswapd_failures, 0);
	setup_per_zone_wmarks();
}

/* Whatever a case did to the watermarks, the next starts from the rule. */
static void watermark_exit(struct ktest *t)
{
	setup_per_zone_wmarks();
}

static const struct ktest_case watermark_cases[] = {
	KTEST_CASE(watermarks_follow_min_free_kbytes),
	KTEST_CASE(below_low_wakes_kswapd_until_it_gives_up),
	KTEST_CASE(below_min_everywhere_enters_direct_reclaim_if_it_may_sleep),
	KTEST_CASE(slow_path_wakes_every_nodes_kswapd),
	KTEST_END,
};

/* Free pages decide the cases: another disk's writeback still running
 * from an earlier suite allocated and freed them meanwhile, and kswapd
 * did not give up while it could reclaim that suite's clean cached
 * pages. Each case starts synced, the clean page cache dropped. */
static int watermark_init(struct ktest *t)
{
	ksys_sync();
	drop_pagecache();
	return 0;
}

static const struct ktest_suite watermark_suite = {
	.name = "watermark",
	.init = watermark_init,
	.exit = watermark_exit,
	.cases = watermark_cases,
};
KTEST_SUITE(watermark_suite);
