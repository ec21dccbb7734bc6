/*
 * include/quire/swap.h - per-node LRU lists of page-cache folios, reclaim,
 * kswapd, and reclaim_throttle() (Linux's <linux/swap.h>; no swap itself:
 * Quire reclaims clean file pages only).
 *
 * Layer: mm. Implemented by mm/swap.c (LRU adds, aging) and mm/vmscan.c
 * (shrinking, kswapd, reclaim_throttle, the per-node wait queues of
 * pg_data_t.reclaim_wait[]). See docs/reclaim.md.
 */
#ifndef QUIRE_SWAP_H
#define QUIRE_SWAP_H

#include <quire/mmzone.h>
#include <quire/pagemap.h>

/* Linux's constants: reclaim works in batches of SWAP_CLUSTER_MAX folios;
 * kswapd gives a node up after MAX_RECLAIM_RETRIES runs that freed
 * nothing; scanning starts at 1/2^DEF_PRIORITY of a list. */
#define SWAP_CLUSTER_MAX    32UL
#define MAX_RECLAIM_RETRIES 16
#define DEF_PRIORITY	    12

/* ---- mm/swap.c ---- */

/* A new page-cache folio joins its node's inactive file list (PG_lru). */
void folio_add_lru(struct folio *folio);
/* Accessed: inactive,unreferenced -> referenced; inactive,referenced ->
 * active (Linux's two-touch rule). */
void folio_mark_accessed(struct folio *folio);
/* Take it off the LRU (PG_lru cleared), if it is on it: true, with a
 * reference held for the caller. Context: process. */
bool folio_isolate_lru(struct folio *folio);
/* Back onto its list (active or inactive by PG_active); drops the
 * isolation reference. */
void folio_putback_lru(struct folio *folio);
/* Ask reclaim to free it soon (end of writeback of a PG_reclaim folio):
 * move it to the tail of the inactive list. Context: any. */
void folio_rotate_reclaimable(struct folio *folio);

/* ---- mm/vmscan.c ---- */

/* Reclaim at least @nr_pages from @nid's file LRU (then other nodes);
 * returns how many were freed. Direct reclaim from the allocator. */
unsigned long try_to_free_pages(int nid, unsigned long nr_pages, gfp_t gfp);
/* Wake @nid's kswapd (free pages below the low watermark). Context: any. */
void wakeup_kswapd(int nid);
/* Start each node's kswapd thread (called at boot, after workqueues). */
void kswapd_run_all(void);

/* Sleep on @pgdat->reclaim_wait[@reason] with that reason's timeout,
 * unless Linux's rules say only to yield; trace mm_vmscan_throttled. */
void reclaim_throttle(pg_data_t *pgdat, enum vmscan_throttle_state reason);
/* Writeback of @nr pages ended on @pgdat while @nr_throttled tasks sleep
 * on WRITEBACK: count them in NR_THROTTLED_WRITTEN and wake the queue once
 * 32 x nr_throttled pages were written since throttling began. */
void __acct_reclaim_writeback(pg_data_t *pgdat, struct folio *folio, int nr_throttled);
static inline void acct_reclaim_writeback(struct folio *folio)
{
	pg_data_t *pgdat = folio_pgdat(folio);
	int nr_throttled = atomic_read(&pgdat->nr_writeback_throttled);

	if (nr_throttled)
		__acct_reclaim_writeback(pgdat, folio, nr_throttled);
}

/* Does the calling task sleep in reclaim_throttle()? Not for workqueue
 * workers (Linux's rule for kernel threads other than kswapd; see
 * docs/reclaim.md for why Quire draws the line there). */
bool reclaim_throttle_may_sleep(void);

/* Drop every clean, unmapped page-cache page it can (the `drop_caches`
 * command, vm.drop_caches=1): returns pages freed. */
unsigned long drop_pagecache(void);

#endif
