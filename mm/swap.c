/*
 * mm/swap.c - the per-node LRU lists of page-cache folios.
 *
 * Layer: mm. Used by: the page cache (mm/filemap.c adds folios, marks them
 * accessed, rotates PG_reclaim folios at the end of writeback), reclaim
 * (mm/vmscan.c), put_page() (mm/page_alloc.c).
 * Provides: folio_add_lru(), folio_mark_accessed(), folio_isolate_lru(),
 * folio_putback_lru(), folio_rotate_reclaimable(), __page_cache_release(),
 * lru_check_invariants(). Linux keeps the same in mm/swap.c (the name is
 * historical: there is no swap here).
 *
 * Each node has two lists (pg_data_t.lruvec): inactive and active file
 * folios, newest at the head. A folio enters the inactive list when it
 * enters the page cache; a second access while inactive moves it to the
 * active list (two-touch, folio_mark_accessed()); reclaim ages the active
 * list into the inactive one and frees from the inactive tail
 * (mm/vmscan.c). The lists hold no reference: the last put_page() of a
 * folio still on a list takes it off (__page_cache_release()).
 *
 * Invariants (checked by lru_check_invariants(), the `lru` tests):
 *  LRU1: a folio is on one of its node's lists iff PG_lru is set, and on
 *      the active list iff PG_active is also set.
 *  LRU2: NR_INACTIVE_FILE and NR_ACTIVE_FILE of the node equal the lengths
 *      of its lists (updated under lru_lock with the lists).
 *  LRU3: a folio on a list has refcount >= 1, except between the last
 *      put_page() and __page_cache_release(), where it is 0 and nobody
 *      takes a reference (get_page_unless_zero()).
 *  LRU4: (quiescent: no page-cache activity, no reclaim running)
 *      NR_INACTIVE_FILE + NR_ACTIVE_FILE + NR_ISOLATED_FILE == NR_FILE_PAGES
 *      and NR_ISOLATED_FILE == 0: every cached folio is on a list.
 *
 * Locking: lruvec->lru_lock (spin, irqsave: folio_rotate_reclaimable()
 * runs at the end of writeback, in interrupts) guards the lists, PG_lru and
 * PG_active of folios on them, and the list counters. It nests outside
 * pgdat->lock (isolation takes references under it) and inside the folio
 * lock and i_pages.xa_lock.
 */
#include <quire/swap.h>
#include <quire/vmstat.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include <quire/errno.h>
#include "internal.h"

static enum lru_list folio_lru_list(const struct folio *folio)
{
	return folio_test_active(folio) ? LRU_ACTIVE_FILE : LRU_INACTIVE_FILE;
}

static enum node_stat_item lru_stat(enum lru_list lru)
{
	return lru == LRU_ACTIVE_FILE ? NR_ACTIVE_FILE : NR_INACTIVE_FILE;
}

/* LRU1/LRU2: the list and its counter move together, under lru_lock. */
void lruvec_add_folio(pg_data_t *pgdat, struct folio *folio, bool tail)
{
	enum lru_list lru = folio_lru_list(folio);

	lockdep_assert_held(&pgdat->lruvec.lru_lock);
	if (tail)
		list_add_tail(&folio->lru, &pgdat->lruvec.lists[lru]);
	else
		list_add(&folio->lru, &pgdat->lruvec.lists[lru]);
	mod_node_page_state(pgdat, lru_stat(lru), folio_nr_pages(folio));
}

void lruvec_del_folio(pg_data_t *pgdat, struct folio *folio)
{
	lockdep_assert_held(&pgdat->lruvec.lru_lock);
	list_del_init(&folio->lru);
	mod_node_page_state(pgdat, lru_stat(folio_lru_list(folio)),
			    -(long)folio_nr_pages(folio));
}

void folio_add_lru(struct folio *folio)
{
	pg_data_t *pgdat = folio_pgdat(folio);
	unsigned long flags;

	spin_lock_irqsave(&pgdat->lruvec.lru_lock, flags);
	if (WARN_ON_ONCE(folio_test_lru(folio)))
		goto out;
	folio_set_lru(folio);
	lruvec_add_folio(pgdat, folio, false);
out:
	spin_unlock_irqrestore(&pgdat->lruvec.lru_lock, flags);
}

/* Move an inactive folio on the LRU to the active list (Linux's
 * folio_activate). A folio off the LRU (isolated) is left alone: whoever
 * isolated it decides where it goes back. */
static void folio_activate(struct folio *folio)
{
	pg_data_t *pgdat = folio_pgdat(folio);
	unsigned long flags;

	spin_lock_irqsave(&pgdat->lruvec.lru_lock, flags);
	if (folio_test_lru(folio) && !folio_test_active(folio)) {
		lruvec_del_folio(pgdat, folio);
		folio_set_active(folio);
		lruvec_add_folio(pgdat, folio, false);
		count_vm_events(PGACTIVATE, folio_nr_pages(folio));
	}
	spin_unlock_irqrestore(&pgdat->lruvec.lru_lock, flags);
}

/*
 * Linux's two-touch rule: the first access of an inactive folio only sets
 * PG_referenced; a second one (referenced and still inactive) moves it to
 * the active list and clears PG_referenced. Aging moves an active folio
 * back to the inactive list with PG_referenced as it was, so a folio that
 * was touched again while active comes back at its next access.
 */
void folio_mark_accessed(struct folio *folio)
{
	if (!folio_test_referenced(folio)) {
		folio_set_referenced(folio);
	} else if (!folio_test_active(folio)) {
		folio_activate(folio);
		folio_clear_referenced(folio);
	}
}

bool folio_isolate_lru(struct folio *folio)
{
	pg_data_t *pgdat = folio_pgdat(folio);
	unsigned long flags;
	bool taken = false;

	spin_lock_irqsave(&pgdat->lruvec.lru_lock, flags);
	if (folio_test_lru(folio) && get_page_unless_zero(&folio->page)) {
		lruvec_del_folio(pgdat, folio);
		folio_clear_lru(folio);
		mod_node_page_state(pgdat, NR_ISOLATED_FILE, folio_nr_pages(folio));
		taken = true;
	}
	spin_unlock_irqrestore(&pgdat->lruvec.lru_lock, flags);
	return taken;
}

void folio_putback_lru(struct folio *folio)
{
	mod_node_page_state(folio_pgdat(folio), NR_ISOLATED_FILE,
			    -(long)folio_nr_pages(folio));
	folio_add_lru(folio);
	folio_put(folio); /* the isolation's reference */
}

/*
 * Writeback of a folio reclaim wanted (PG_reclaim) ended: move it to the
 * tail of the inactive list, where reclaim looks next (Linux's
 * lru_move_tail). A locked or redirtied folio stays where it is.
 */
void folio_rotate_reclaimable(struct folio *folio)
{
	pg_data_t *pgdat = folio_pgdat(folio);
	unsigned long flags;

	if (folio_test_locked(folio) || folio_test_dirty(folio))
		return;
	spin_lock_irqsave(&pgdat->lruvec.lru_lock, flags);
	if (folio_test_lru(folio)) {
		lruvec_del_folio(pgdat, folio);
		folio_clear_active(folio);
		lruvec_add_folio(pgdat, folio, true);
		count_vm_events(PGROTATED, folio_nr_pages(folio));
	}
	spin_unlock_irqrestore(&pgdat->lruvec.lru_lock, flags);
}

void __page_cache_release(struct folio *folio)
{
	pg_data_t *pgdat = folio_pgdat(folio);
	unsigned long flags;

	spin_lock_irqsave(&pgdat->lruvec.lru_lock, flags);
	if (folio_test_lru(folio)) { /* LRU3: count is 0, nobody else moves it */
		lruvec_del_folio(pgdat, folio);
		folio_clear_lru(folio);
		folio_clear_active(folio);
	}
	spin_unlock_irqrestore(&pgdat->lruvec.lru_lock, flags);
}

/* LRU1/LRU2 on one list: each folio flagged for it and on this node, the
 * length equal to the counter. */
static int check_lru_list(pg_data_t *pgdat, enum lru_list lru)
{
	unsigned long n = 0, limit = pgdat->managed_pages + 1;
	struct folio *folio;

	list_for_each_entry(folio, &pgdat->lruvec.lists[lru], lru) {
		if (!folio_test_lru(folio) || folio_lru_list(folio) != lru)
			return -1; /* LRU1 */
		if (folio_nid(folio) != pgdat->node_id)
			return -2;
		if (++n > limit)
			return -3; /* a loop */
	}
	if (n != node_page_state(pgdat, lru_stat(lru)))
		return -4; /* LRU2 */
	return 0;
}

int lru_check_invariants(int nid, bool quiescent)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long flags, lru_pages;
	int err;

	spin_lock_irqsave(&pgdat->lruvec.lru_lock, flags);
	err = check_lru_list(pgdat, LRU_INACTIVE_FILE);
	if (!err)
		err = check_lru_list(pgdat, LRU_ACTIVE_FILE);
	lru_pages = node_page_state(pgdat, NR_INACTIVE_FILE) +
		    node_page_state(pgdat, NR_ACTIVE_FILE);
	spin_unlock_irqrestore(&pgdat->lruvec.lru_lock, flags);
	if (!err && quiescent &&
	    (node_page_state(pgdat, NR_ISOLATED_FILE) != 0 ||
	     lru_pages != node_page_state(pgdat, NR_FILE_PAGES)))
		err = -5; /* LRU4 */
	if (err) {
		pr_err("lru: node %d: LRU invariant broken (code %d): inactive %lu active %lu isolated %lu file %lu\n",
		       nid, err, node_page_state(pgdat, NR_INACTIVE_FILE),
		       node_page_state(pgdat, NR_ACTIVE_FILE),
		       node_page_state(pgdat, NR_ISOLATED_FILE),
		       node_page_state(pgdat, NR_FILE_PAGES));
		return -EUCLEAN;
	}
	return 0;
}
