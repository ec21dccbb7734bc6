/*
 * mm/vmscan.c - page-cache reclaim: watermarks, kswapd, direct reclaim,
 * reclaim_throttle() and its per-node wait queues.
 *
 * Layer: mm. Used by: the page allocator (wakeup_kswapd(), direct reclaim
 * through try_to_free_pages()), do_writepages() (reclaim_throttle() on
 * -ENOMEM), folio_end_writeback() (acct_reclaim_writeback()), the
 * `drop_caches` command.
 * Provides: setup_per_zone_wmarks(), reclaim_throttle(),
 * __acct_reclaim_writeback(), wakeup_kswapd(), kswapd_run_all(),
 * try_to_free_pages(), drop_pagecache().
 * Not here: the LRU lists themselves (mm/swap.c), writing dirty pages
 * (the flushers, fs/fs-writeback.c: reclaim only asks them).
 *
 * Each node has watermarks min < low < high (pages, from min_free_kbytes,
 * Linux's rule: docs/reclaim.md). An allocation that leaves a node below
 * low wakes the node's kswapd, which frees folios from the tail of the
 * node's inactive list until the node is back above high. An allocation
 * that would take every node below min reclaims directly. Reclaim frees
 * clean folios only: a dirty one is marked PG_reclaim, moved out of the
 * way and the flushers are woken (Linux's kswapd and direct reclaim never
 * write file pages either); its writeback end rotates it to the inactive
 * tail, where reclaim finds it clean.
 *
 * Invariants:
 *  VMS1: watermark[MIN] <= watermark[LOW] <= watermark[HIGH] on each node.
 *  VMS2: nr_writeback_throttled counts exactly the tasks between their
 *      increment in reclaim_throttle(WRITEBACK) and their wake-up; the
 *      first of them (0 -> 1) snapshots NR_THROTTLED_WRITTEN into
 *      nr_reclaim_start.
 *  VMS3: a folio reclaim frees was, under its lock: in its mapping, clean,
 *      not under writeback, held only by the cache and reclaim (refcount
 *      2, read under i_pages.xa_lock, where lookups take their references,
 *      as it leaves the mapping: __remove_mapping()).
 *  VMS4: NR_ISOLATED_FILE counts folios reclaim (or folio_isolate_lru())
 *      took off a list and has neither put back nor freed.
 *
 * Locking: lru_lock (mm/swap.c) only around taking folios off the lists
 * and putting them back; folios are examined isolated, under their folio
 * lock taken with trylock (reclaim never sleeps on a folio).
 * reclaim_wait[] and kswapd_wait are wait queues with their own locks.
 * Reclaim runs with PF_MEMALLOC: its own allocations never recurse into it.
 */
#include <quire/swap.h>
#include <quire/writeback.h>
#include <quire/vmstat.h>
#include <quire/kthread.h>
#include <quire/jiffies.h>
#include <quire/sched.h>
#include <quire/workqueue.h>
#include <quire/sysctl.h>
#include <quire/trace.h>
#include <quire/init.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include <quire/preempt.h>
#include <quire/string.h>
#include <arch/irq.h>
#include "internal.h"
#include "pagecache.h"

/* ---- Watermarks ---- */

int min_free_kbytes = 1024;	 /* KiB; set from RAM at boot (Linux) */
int watermark_scale_factor = 10; /* 1/10000 of a node: Linux's default */
static int sysctl_drop_caches;

/* Linux's int_sqrt(): floor of the square root. */
static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0, bit = 1UL << (sizeof(long) * 8 - 2);

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

/*
 * Linux's setup_per_zone_wmarks() with one zone per node: the node's share
 * of min_free_kbytes (by managed pages) is its min; low and high are min
 * plus one and two gaps of max(min / 4, managed x watermark_scale_factor /
 * 10000).
 */
void setup_per_zone_wmarks(void)
{
	unsigned long pages_min = (unsigned long)min_free_kbytes >> (PAGE_SHIFT - 10);
	unsigned long total = totalram_pages();

	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);
		unsigned long managed = pgdat->managed_pages, min, gap;

		min = total ? pages_min * managed / total : 0;
		gap = max(min / 4,
			  managed * (unsigned long)watermark_scale_factor / 10000);
		WRITE_ONCE(pgdat->watermark[WMARK_MIN], min);
		WRITE_ONCE(pgdat->watermark[WMARK_LOW], min + gap); /* VMS1 */
		WRITE_ONCE(pgdat->watermark[WMARK_HIGH], min + 2 * gap);
	}
}

/* Linux's rule: min_free_kbytes = sqrt(16 x RAM in KiB), in [128, 262144]. */
void init_per_zone_wmark_min(void)
{
	unsigned long kbytes = totalram_pages() << (PAGE_SHIFT - 10);

	min_free_kbytes = (int)clamp(int_sqrt(kbytes * 16), 128UL, 262144UL);
	setup_per_zone_wmarks();
}

static void wmarks_changed(const struct ctl_table *table, long old)
{
	setup_per_zone_wmarks();
}

static void drop_caches_written(const struct ctl_table *table, long old)
{
	if (sysctl_drop_caches & 1)
		drop_pagecache();
}

SYSCTL_ENTRY(min_free_kbytes, .procname = "vm.min_free_kbytes", .data = &min_free_kbytes,
	     .type = SYSCTL_INT, .min = 0, .max = 262144 * 4,
	     .after_write = wmarks_changed);
SYSCTL_ENTRY(watermark_scale_factor, .procname = "vm.watermark_scale_factor",
	     .data = &watermark_scale_factor, .type = SYSCTL_INT, .min = 1, .max = 3000,
	     .after_write = wmarks_changed);
/* Linux refuses 0; here the table's range must hold the value read before
 * any write (0), so 0 is accepted and drops nothing. */
SYSCTL_ENTRY(drop_caches, .procname = "vm.drop_caches", .data = &sysctl_drop_caches,
	     .type = SYSCTL_INT, .min = 0, .max = 4, .after_write = drop_caches_written);

static unsigned long node_free(pg_data_t *pgdat)
{
	return node_page_state(pgdat, NR_FREE_PAGES);
}

static bool pgdat_balanced(pg_data_t *pgdat)
{
	return node_free(pgdat) >= READ_ONCE(pgdat->watermark[WMARK_HIGH]);
}

static unsigned long node_reclaimable_pages(pg_data_t *pgdat)
{
	return node_page_state(pgdat, NR_INACTIVE_FILE) +
	       node_page_state(pgdat, NR_ACTIVE_FILE);
}

/* ---- reclaim_throttle() ---- */

static bool current_is_kswapd(void)
{
	return current->flags & PF_KSWAPD;
}

/*
 * Linux sleeps here only for user tasks and kswapd: other kernel threads
 * and workqueue workers may be what reclaim waits for (writeback workers,
 * journalling threads), so they only cond_resched(). In Quire every task
 * is a kernel thread: the shell and the threads it starts stand where
 * Linux's user tasks stand. Quire keeps the rule's purpose: workqueue
 * workers, where the flushers (and so do_writepages() of background, sync
 * and kupdate writeback) run, never sleep here; everything else does.
 */
bool reclaim_throttle_may_sleep(void)
{
	return current_is_kswapd() || !current_is_workqueue_worker();
}

static const char *const throttle_names[NR_VMSCAN_THROTTLE] = {
	[VMSCAN_THROTTLE_WRITEBACK] = "VMSCAN_THROTTLE_WRITEBACK",
	[VMSCAN_THROTTLE_ISOLATED] = "VMSCAN_THROTTLE_ISOLATED",
	[VMSCAN_THROTTLE_NOPROGRESS] = "VMSCAN_THROTTLE_NOPROGRESS",
	[VMSCAN_THROTTLE_CONGESTED] = "VMSCAN_THROTTLE_CONGESTED",
};

/*
 * Linux's skip_throttle_noprogress(): near OOM (kswapd gave up) or with
 * few writes pending, sleeping would not help: the pages that could come
 * free are not waiting for writeback.
 */
static bool skip_throttle_noprogress(pg_data_t *pgdat)
{
	unsigned long reclaimable, write_pending;

	if (READ_ONCE(pgdat->kswapd_failures) >= MAX_RECLAIM_RETRIES)
		return true;
	reclaimable = node_reclaimable_pages(pgdat);
	write_pending = node_page_state(pgdat, NR_FILE_DIRTY) +
			node_page_state(pgdat, NR_WRITEBACK);
	return 2 * write_pending <= reclaimable;
}

static unsigned int jiffies_to_usecs(unsigned long j)
{
	return (unsigned int)(j * (1000000 / HZ));
}

long __reclaim_throttle(pg_data_t *pgdat, enum vmscan_throttle_state reason)
{
	wait_queue_head_t *wqh = &pgdat->reclaim_wait[reason];
	long timeout, ret;
	DEFINE_WAIT(wait);

	if (!reclaim_throttle_may_sleep() || WARN_ON_ONCE(in_atomic())) {
		cond_resched();
		return -1;
	}
	switch (reason) {
	case VMSCAN_THROTTLE_WRITEBACK:
		timeout = HZ / 10;
		if (atomic_inc_return(&pgdat->nr_writeback_throttled) == 1) /* VMS2 */
			WRITE_ONCE(pgdat->nr_reclaim_start,
				   node_page_state(pgdat, NR_THROTTLED_WRITTEN));
		break;
	case VMSCAN_THROTTLE_CONGESTED:
	case VMSCAN_THROTTLE_NOPROGRESS:
		if (skip_throttle_noprogress(pgdat)) {
			cond_resched();
			return -1;
		}
		timeout = 1;
		break;
	case VMSCAN_THROTTLE_ISOLATED:
		timeout = HZ / 50;
		break;
	default:
		WARN_ON_ONCE(1);
		return -1;
	}
	prepare_to_wait(wqh, &wait, TASK_UNINTERRUPTIBLE);
	ret = schedule_timeout(timeout);
	finish_wait(wqh, &wait);
	if (reason == VMSCAN_THROTTLE_WRITEBACK)
		atomic_dec(&pgdat->nr_writeback_throttled);
	/* Linux prints the field as "usect_delayed" (a typo kept for its
	 * parsers); its name in the event is usec_delayed. */
	trace_event("mm_vmscan_throttled",
		    "nid=%d usec_timeout=%u usect_delayed=%u reason=%s", pgdat->node_id,
		    jiffies_to_usecs(timeout), jiffies_to_usecs(timeout - ret),
		    throttle_names[reason]);
	return ret;
}

void reclaim_throttle(pg_data_t *pgdat, enum vmscan_throttle_state reason)
{
	(void)__reclaim_throttle(pgdat, reason);
}

/*
 * Writeback of @folio ended while tasks are throttled on its node: count
 * it, and wake the node's WRITEBACK sleepers once more than
 * SWAP_CLUSTER_MAX pages per sleeper were written since the first began
 * (Linux's rule; the read of nr_reclaim_start may be stale: at worst the
 * 100 ms timeout ends the sleep).
 */
void __acct_reclaim_writeback(pg_data_t *pgdat, struct folio *folio, int nr_throttled)
{
	unsigned long written;

	mod_node_page_state(pgdat, NR_THROTTLED_WRITTEN, folio_nr_pages(folio));
	written = node_page_state(pgdat, NR_THROTTLED_WRITTEN) -
		  READ_ONCE(pgdat->nr_reclaim_start);
	if (written > SWAP_CLUSTER_MAX * (unsigned long)nr_throttled)
		wake_up(&pgdat->reclaim_wait[VMSCAN_THROTTLE_WRITEBACK]);
}

static void wake_throttle_isolated(pg_data_t *pgdat)
{
	wait_queue_head_t *wqh = &pgdat->reclaim_wait[VMSCAN_THROTTLE_ISOLATED];

	if (waitqueue_active(wqh))
		wake_up(wqh);
}

/* ---- Shrinking the lists ---- */

struct scan_control {
	unsigned long nr_to_reclaim; /* stop after freeing this many */
	unsigned long nr_scanned;    /* inactive folios looked at */
	unsigned long nr_reclaimed;  /* folios freed */
	gfp_t gfp_mask;
	int priority; /* scan 1/2^priority of a list */
	bool drop;    /* drop_pagecache(): every clean folio */
	struct {      /* what shrink_node() saw, for throttling */
		unsigned long dirty, unqueued_dirty, congested, writeback, immediate,
			taken;
	} nr;
};

struct reclaim_stat {
	unsigned long nr_dirty, nr_unqueued_dirty, nr_congested, nr_writeback;
	unsigned long nr_immediate, nr_activate;
};

/* Take up to @nr_to_scan folios from the tail of @lru onto @dst, each with
 * a reference (LRU3: skip those whose count already reached 0). */
static unsigned long isolate_lru_folios(pg_data_t *pgdat, unsigned long nr_to_scan,
					enum lru_list lru, struct list_head *dst,
					unsigned long *nr_scanned)
{
	struct list_head *src = &pgdat->lruvec.lists[lru];
	unsigned long taken = 0, scan = 0, flags;

	spin_lock_irqsave(&pgdat->lruvec.lru_lock, flags);
	while (scan < nr_to_scan && !list_empty(src)) {
		struct folio *folio = list_last_entry(src, struct folio, lru);

		scan++;
		if (!get_page_unless_zero(&folio->page)) {
			list_move(&folio->lru, src); /* being freed: not ours */
			continue;
		}
		lruvec_del_folio(pgdat, folio);
		folio_clear_lru(folio);
		list_add(&folio->lru, dst);
		taken++;
	}
	mod_node_page_state(pgdat, NR_ISOLATED_FILE, taken); /* VMS4 */
	spin_unlock_irqrestore(&pgdat->lruvec.lru_lock, flags);
	*nr_scanned = scan;
	return taken;
}

/*
 * Put the folios of @list back on their lists (by PG_active) and drop the
 * isolation references; a folio whose last reference that was comes off
 * again and is freed (Linux's move_folios_to_lru()).
 */
static void putback_folios(pg_data_t *pgdat, struct list_head *list,
			   unsigned long nr_taken)
{
	LIST_HEAD(to_free);
	struct folio *folio, *next;
	unsigned long flags;

	spin_lock_irqsave(&pgdat->lruvec.lru_lock, flags);
	list_for_each_entry_safe(folio, next, list, lru) {
		list_del(&folio->lru);
		folio_set_lru(folio);
		lruvec_add_folio(pgdat, folio, false);
		if (put_page_testzero(&folio->page)) { /* nested pgdat->lock */
			lruvec_del_folio(pgdat, folio);
			folio_clear_lru(folio);
			list_add(&folio->lru, &to_free);
		}
	}
	mod_node_page_state(pgdat, NR_ISOLATED_FILE, -(long)nr_taken); /* VMS4 */
	spin_unlock_irqrestore(&pgdat->lruvec.lru_lock, flags);
	list_for_each_entry_safe(folio, next, &to_free, lru) {
		list_del_init(&folio->lru);
		free_unref_page(&folio->page);
	}
}

/* Is the folio held by the cache and by reclaim only? (VMS3) */
static bool is_page_cache_freeable(struct folio *folio)
{
	return page_ref_count(&folio->page) == 2;
}

/*
 * Linux's __remove_mapping(): take the locked, clean folio out of its
 * mapping if the cache and reclaim hold its only references. The count is
 * read under i_pages.xa_lock, where every lookup takes its reference
 * (filemap_get_entry(), filemap_get_folios()): no new holder can appear
 * between the check and the removal (Linux freezes the count at 2 for the
 * same reason). Checked before taking the lock, a reader's lookup landing
 * in between kept a folio reclaim took out of the cache and counted as
 * freed. The cache's reference is dropped here; reclaim's is the caller's.
 */
static bool __remove_mapping(struct address_space *mapping, struct folio *folio)
{
	unsigned long flags;
	bool removed = false;

	xa_lock_irqsave(&mapping->i_pages, flags);
	if (folio->mapping == mapping && is_page_cache_freeable(folio) &&
	    !folio_test_dirty(folio) && !folio_test_writeback(folio)) {
		__filemap_remove_folio(folio, mapping);
		removed = true;
	}
	xa_unlock_irqrestore(&mapping->i_pages, flags);
	if (removed)
		folio_put(folio); /* the cache's reference: reclaim's is left */
	return removed;
}

/*
 * Try to free one locked, isolated, clean folio: out of its mapping, then
 * the isolation reference. True if it left the cache.
 */
static bool reclaim_clean_folio(struct folio *folio, gfp_t gfp)
{
	struct address_space *mapping = folio_mapping(folio);

	if (!mapping || !is_page_cache_freeable(folio))
		return false;
	if (folio->private && (!mapping->a_ops->release_folio ||
			       !mapping->a_ops->release_folio(folio, gfp)))
		return false;
	/* VMS3: clean, not under writeback, nobody else holds it: rechecked
	 * under the mapping's lock (and after release_folio). */
	if (!__remove_mapping(mapping, folio))
		return false;
	folio_unlock(folio);
	if (put_page_testzero(&folio->page)) /* PG_lru is clear: not on a list */
		free_unref_page(&folio->page);
	return true;
}

/*
 * Linux's shrink_folio_list() for unmapped file folios. Freed folios leave
 * @list; the others stay on it (PG_active set on those to activate).
 */
static unsigned long shrink_folio_list(struct list_head *list, pg_data_t *pgdat,
				       struct scan_control *sc, struct reclaim_stat *stat)
{
	LIST_HEAD(ret);
	unsigned long nr_reclaimed = 0;

	while (!list_empty(list)) {
		struct folio *folio = list_last_entry(list, struct folio, lru);
		bool dirty, writeback;

		list_del_init(&folio->lru);
		if (!folio_trylock(folio))
			goto keep;
		sc->nr_scanned++;
		dirty = folio_test_dirty(folio);
		writeback = folio_test_writeback(folio);
		if (dirty || writeback)
			stat->nr_dirty++;
		if (dirty && !writeback)
			stat->nr_unqueued_dirty++;
		if (writeback && folio_test_reclaim(folio))
			stat->nr_congested++;
		if (sc->drop && (dirty || writeback))
			goto keep_locked;
		if (writeback) {
			/* Linux's cases 1 and 2: never wait on the folio. */
			if (current_is_kswapd() && folio_test_reclaim(folio) &&
			    test_bit(PGDAT_WRITEBACK, &pgdat->flags)) {
				stat->nr_immediate++;
			} else {
				folio_set_reclaim(folio);
				stat->nr_writeback++;
			}
			goto activate_locked;
		}
		/* No page tables in Quire: PG_referenced alone never saves an
		 * inactive folio (Linux's FOLIOREF_RECLAIM_CLEAN). */
		folio_clear_referenced(folio);
		if (dirty) {
			/* Reclaim never writes file pages: the flushers will;
			 * free it as soon as they are done. */
			mod_node_page_state(pgdat, NR_VMSCAN_IMMEDIATE, 1);
			folio_set_reclaim(folio);
			goto activate_locked;
		}
		if (reclaim_clean_folio(folio, sc->gfp_mask)) {
			nr_reclaimed++;
			continue;
		}
		goto keep_locked;
activate_locked:
		folio_set_active(folio);
		stat->nr_activate++;
keep_locked:
		folio_unlock(folio);
keep:
		list_add(&folio->lru, &ret);
	}
	list_splice_tail_init(&ret, list);
	if (stat->nr_activate)
		count_vm_events(PGACTIVATE, stat->nr_activate);
	return nr_reclaimed;
}

/*
 * Linux's too_many_isolated(): direct reclaimers piling up have isolated
 * more than 1/8 of the inactive list. Finding that it is no longer so
 * wakes the ISOLATED sleepers.
 */
static bool too_many_isolated(pg_data_t *pgdat)
{
	bool too_many;

	if (current_is_kswapd())
		return false;
	too_many = node_page_state(pgdat, NR_ISOLATED_FILE) >
		   node_page_state(pgdat, NR_INACTIVE_FILE) / 8;
	if (!too_many)
		wake_throttle_isolated(pgdat);
	return too_many;
}

/*
 * Linux calls wakeup_flusher_threads(WB_REASON_VMSCAN) from reclaim
 * directly. Quire kicks it from a work item: it walks the bdi list under a
 * mutex, and a task that allocates while holding that mutex (sync, wbstat)
 * would deadlock on itself in direct reclaim. Queueing a pending work is
 * a no-op, so a burst of reclaim passes kicks the flushers once.
 */
static void vmscan_kick_flushers(struct work_struct *work)
{
	wakeup_flusher_threads(WB_REASON_VMSCAN);
}
static struct work_struct vmscan_flusher_work = {
	.entry = LIST_HEAD_INIT(vmscan_flusher_work.entry),
	.func = vmscan_kick_flushers,
};

static void wakeup_flushers_for_reclaim(void)
{
	queue_work(system_unbound_wq, &vmscan_flusher_work);
}

static unsigned long shrink_inactive_list(unsigned long nr_to_scan, pg_data_t *pgdat,
					  struct scan_control *sc)
{
	struct reclaim_stat stat = {0};
	unsigned long nr_taken, nr_scanned, nr_reclaimed;
	bool stalled = false;
	LIST_HEAD(list);

	while (too_many_isolated(pgdat)) {
		if (stalled)
			return 0;
		stalled = true; /* wait a bit for the other reclaimers */
		reclaim_throttle(pgdat, VMSCAN_THROTTLE_ISOLATED);
	}
	nr_taken = isolate_lru_folios(pgdat, nr_to_scan, LRU_INACTIVE_FILE, &list,
				      &nr_scanned);
	if (!sc->drop) /* drop_caches is not reclaim in Linux's counts */
		count_vm_events(current_is_kswapd() ? PGSCAN_KSWAPD : PGSCAN_DIRECT,
				nr_scanned);
	if (!nr_taken)
		return 0;
	nr_reclaimed = shrink_folio_list(&list, pgdat, sc, &stat);
	putback_folios(pgdat, &list, nr_taken);
	if (!sc->drop)
		count_vm_events(current_is_kswapd() ? PGSTEAL_KSWAPD : PGSTEAL_DIRECT,
				nr_reclaimed);
	/* Every folio taken was dirty and not yet queued: the flushers are
	 * behind; ask them to write (Linux: WB_REASON_VMSCAN). */
	if (stat.nr_unqueued_dirty == nr_taken && !sc->drop)
		wakeup_flushers_for_reclaim();
	sc->nr.dirty += stat.nr_dirty;
	sc->nr.unqueued_dirty += stat.nr_unqueued_dirty;
	sc->nr.congested += stat.nr_congested;
	sc->nr.writeback += stat.nr_writeback;
	sc->nr.immediate += stat.nr_immediate;
	sc->nr.taken += nr_taken;
	return nr_reclaimed;
}

/* Age up to @nr_to_scan active folios into the inactive list (unmapped
 * file folios: all of them, Linux's shrink_active_list()). */
static void shrink_active_list(unsigned long nr_to_scan, pg_data_t *pgdat)
{
	unsigned long nr_taken, nr_scanned;
	struct folio *folio;
	LIST_HEAD(list);

	nr_taken = isolate_lru_folios(pgdat, nr_to_scan, LRU_ACTIVE_FILE, &list,
				      &nr_scanned);
	count_vm_events(PGREFILL, nr_scanned);
	list_for_each_entry(folio, &list, lru)
		folio_clear_active(folio);
	count_vm_events(PGDEACTIVATE, nr_taken);
	putback_folios(pgdat, &list, nr_taken);
}

/* Linux's inactive_is_low(): keep inactive >= active / sqrt(10 x GiB). */
static bool inactive_is_low(pg_data_t *pgdat)
{
	unsigned long inactive = node_page_state(pgdat, NR_INACTIVE_FILE);
	unsigned long active = node_page_state(pgdat, NR_ACTIVE_FILE);
	unsigned long gb = (inactive + active) >> (30 - PAGE_SHIFT);
	unsigned long ratio = gb ? int_sqrt(10 * gb) : 1;

	return inactive * ratio < active;
}

/* One pass over a node's lists at sc->priority. */
static void shrink_lruvec(pg_data_t *pgdat, struct scan_control *sc)
{
	unsigned long nr_inactive =
		node_page_state(pgdat, NR_INACTIVE_FILE) >> sc->priority;
	unsigned long nr_active = 0, reclaimed = 0;

	if (inactive_is_low(pgdat) || sc->drop)
		nr_active = node_page_state(pgdat, NR_ACTIVE_FILE) >> sc->priority;
	while (nr_inactive || nr_active) {
		unsigned long n;

		if (nr_active) {
			n = min(nr_active, SWAP_CLUSTER_MAX);
			nr_active -= n;
			shrink_active_list(n, pgdat);
		}
		if (nr_inactive) {
			n = min(nr_inactive, SWAP_CLUSTER_MAX);
			nr_inactive -= n;
			reclaimed += shrink_inactive_list(n, pgdat, sc);
		}
		if (!sc->drop && sc->nr_reclaimed + reclaimed >= sc->nr_to_reclaim)
			break;
	}
	sc->nr_reclaimed += reclaimed;
}

static void shrink_node(pg_data_t *pgdat, struct scan_control *sc)
{
	unsigned long reclaimed = sc->nr_reclaimed, scanned = sc->nr_scanned;

	memset(&sc->nr, 0, sizeof(sc->nr));
	shrink_lruvec(pgdat, sc);
	if (sc->drop)
		return;
	if (current_is_kswapd()) {
		/* Every folio kswapd took was under writeback: the disk is the
		 * limit; wait for completions on this node (or 100 ms). */
		bool all_writeback = sc->nr.writeback && sc->nr.writeback == sc->nr.taken;

		if (all_writeback)
			set_bit(PGDAT_WRITEBACK, &pgdat->flags);
		if (sc->nr.unqueued_dirty && sc->nr.unqueued_dirty == sc->nr.taken)
			set_bit(PGDAT_DIRTY, &pgdat->flags);
		if (all_writeback || sc->nr.immediate)
			reclaim_throttle(pgdat, VMSCAN_THROTTLE_WRITEBACK);
	}
	/* Folios marked for immediate reclaim come round again before their
	 * writeback ends: the node is congested. As in Linux 6.x only kswapd
	 * marks it (and clears it once the node is balanced); direct
	 * reclaimers then wait a jiffy per pass over the node. */
	if (current_is_kswapd() && sc->nr.dirty && sc->nr.dirty == sc->nr.congested)
		set_bit(LRUVEC_CONGESTED, &pgdat->flags);
	if (!current_is_kswapd() && !(current->flags & PF_LOCAL_THROTTLE) &&
	    test_bit(LRUVEC_CONGESTED, &pgdat->flags))
		reclaim_throttle(pgdat, VMSCAN_THROTTLE_CONGESTED);
	if (sc->nr_reclaimed > reclaimed)
		WRITE_ONCE(pgdat->kswapd_failures, 0); /* it can make progress */
	(void)scanned;
}

/* Linux's consider_reclaim_throttle(), per node after direct reclaim. */
static void consider_reclaim_throttle(pg_data_t *pgdat, struct scan_control *sc)
{
	if (sc->nr_reclaimed > (sc->nr_scanned >> 3)) {
		wait_queue_head_t *wqh = &pgdat->reclaim_wait[VMSCAN_THROTTLE_NOPROGRESS];

		if (waitqueue_active(wqh))
			wake_up(wqh);
		return;
	}
	if (current_is_kswapd())
		return; /* it throttles on WRITEBACK instead */
	if (sc->priority == 1 && !sc->nr_reclaimed)
		reclaim_throttle(pgdat, VMSCAN_THROTTLE_NOPROGRESS);
}

/* ---- Direct reclaim ---- */

static bool reclaim_ready; /* kswapd threads started: scheduler is up */

bool gfp_may_direct_reclaim(gfp_t flags)
{
	if (!READ_ONCE(reclaim_ready) || (flags & (__GFP_ATOMIC | __GFP_NORETRY)))
		return false;
	if (in_atomic() || arch_irqs_disabled())
		return false;
	return !(current->flags & PF_MEMALLOC);
}

/*
 * Linux's do_try_to_free_pages(): from DEF_PRIORITY down, shrink every node
 * @nid may allocate from (its zonelist) until @nr_pages (at least
 * SWAP_CLUSTER_MAX) were freed. Context: process, may sleep (throttles).
 */
unsigned long try_to_free_pages(int nid, unsigned long nr_pages, gfp_t gfp)
{
	struct scan_control sc = {
		.nr_to_reclaim = max(nr_pages, SWAP_CLUSTER_MAX),
		.gfp_mask = gfp,
		.priority = DEF_PRIORITY,
	};
	unsigned int n = (gfp & __GFP_THISNODE) ? 1 : num_online_nodes();
	unsigned int noreclaim = current->flags & PF_MEMALLOC;

	current->flags |= PF_MEMALLOC;
	count_vm_event(ALLOCSTALL);
	do {
		for (unsigned int i = 0; i < n; i++) {
			int z = (gfp & __GFP_THISNODE) ? nid :
							 NODE_DATA(nid)->zonelist[i];
			pg_data_t *pgdat = NODE_DATA(z);

			if (!pgdat->managed_pages)
				continue;
			shrink_node(pgdat, &sc);
			consider_reclaim_throttle(pgdat, &sc);
			if (sc.nr_reclaimed >= sc.nr_to_reclaim)
				goto out;
		}
	} while (--sc.priority >= 0);
out:
	current->flags = (current->flags & ~PF_MEMALLOC) | noreclaim;
	return sc.nr_reclaimed;
}

/* ---- kswapd ---- */

/* Linux's balance_pgdat(): reclaim until the node is above high, raising
 * the scan priority while a pass frees nothing. Returns folios freed. */
static unsigned long balance_pgdat(pg_data_t *pgdat)
{
	struct scan_control sc = {.priority = DEF_PRIORITY, .gfp_mask = GFP_KERNEL};
	unsigned long total = 0;

	count_vm_event(PAGEOUTRUN);
	while (!pgdat_balanced(pgdat) && sc.priority >= 1) {
		unsigned long before = sc.nr_reclaimed;
		unsigned long high = READ_ONCE(pgdat->watermark[WMARK_HIGH]);

		sc.nr_to_reclaim =
			sc.nr_reclaimed +
			max(high > node_free(pgdat) ? high - node_free(pgdat) : 0,
			    SWAP_CLUSTER_MAX);
		if (inactive_is_low(pgdat))
			shrink_active_list(SWAP_CLUSTER_MAX, pgdat);
		shrink_node(pgdat, &sc);
		if (sc.nr_reclaimed == before)
			sc.priority--;
		if (kthread_should_stop())
			break;
	}
	total = sc.nr_reclaimed;
	if (pgdat_balanced(pgdat)) {
		clear_bit(PGDAT_WRITEBACK, &pgdat->flags);
		clear_bit(PGDAT_DIRTY, &pgdat->flags);
		clear_bit(LRUVEC_CONGESTED, &pgdat->flags);
	} else if (!total) {
		WRITE_ONCE(pgdat->kswapd_failures, READ_ONCE(pgdat->kswapd_failures) + 1);
	}
	return total;
}

static int kswapd(void *arg)
{
	pg_data_t *pgdat = arg;

	current->flags |= PF_MEMALLOC | PF_KSWAPD;
	for (;;) {
		wait_event_interruptible(pgdat->kswapd_wait,
					 READ_ONCE(pgdat->kswapd_wake) ||
						 kthread_should_stop());
		if (kthread_should_stop())
			break;
		WRITE_ONCE(pgdat->kswapd_wake, false);
		balance_pgdat(pgdat);
	}
	return 0;
}

void wakeup_kswapd(int nid)
{
	pg_data_t *pgdat;

	if (nid < 0 || nid >= (int)num_online_nodes())
		return;
	pgdat = NODE_DATA(nid);
	if (!READ_ONCE(pgdat->kswapd) || !pgdat->managed_pages)
		return;
	/* Hopeless node: leave it to direct reclaim, whose progress resets
	 * kswapd_failures. */
	if (READ_ONCE(pgdat->kswapd_failures) >= MAX_RECLAIM_RETRIES)
		return;
	if (READ_ONCE(pgdat->kswapd_wake))
		return;
	WRITE_ONCE(pgdat->kswapd_wake, true);
	/*
	 * A full barrier between the store and the look at the queue
	 * (wq_has_sleeper()): kswapd adds itself to the queue, then reads
	 * kswapd_wake. Without it, x86 may read the queue before the store
	 * is visible (store-buffer reordering): both miss each other, kswapd
	 * sleeps with kswapd_wake set, and as a pending wake-up is never sent
	 * twice (above), it would never run again. Linux's wakeup_kswapd()
	 * has no such latch, so a lost wake-up there costs one allocation.
	 */
	if (wq_has_sleeper(&pgdat->kswapd_wait))
		wake_up_interruptible(&pgdat->kswapd_wait);
}

void kswapd_run_all(void)
{
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);
		struct task_struct *t;

		if (!pgdat->managed_pages || pgdat->kswapd)
			continue;
		t = kthread_create_on_node(kswapd, pgdat, nid, "kswapd%u", nid);
		if (IS_ERR(t)) {
			pr_err("vmscan: no kswapd for node %u: %d\n", nid,
			       (int)PTR_ERR(t));
			continue;
		}
		WRITE_ONCE(pgdat->kswapd, t);
		wake_up_process(t);
	}
	WRITE_ONCE(reclaim_ready, true);
}

static int kswapd_init(void)
{
	kswapd_run_all();
	return 0;
}
core_initcall(kswapd_init);

/* ---- drop_caches ---- */

/*
 * Free every clean, unlocked page-cache folio nobody else holds (Linux's
 * `echo 1 > /proc/sys/vm/drop_caches`). Linux walks each superblock's
 * inodes; Quire walks each node's LRU lists once, which reaches the same
 * folios. Context: process, may sleep.
 */
unsigned long drop_pagecache(void)
{
	unsigned long total = 0;
	unsigned int noreclaim = current->flags & PF_MEMALLOC;

	current->flags |= PF_MEMALLOC;
	count_vm_event(DROP_PAGECACHE);
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		struct scan_control sc = {
			.priority = 0, .drop = true, .gfp_mask = GFP_KERNEL};

		shrink_lruvec(NODE_DATA(nid), &sc);
		/* Aging moved the active folios to the inactive list. */
		shrink_lruvec(NODE_DATA(nid), &sc);
		total += sc.nr_reclaimed;
	}
	current->flags = (current->flags & ~PF_MEMALLOC) | noreclaim;
	return total;
}
