/*
 * mm/internal.h - what the mm/ files share and nobody else needs.
 */
#ifndef MM_INTERNAL_H
#define MM_INTERNAL_H

#include <quire/mmzone.h>
#include <quire/smp.h>

/* Set up kmalloc's caches; mm_init() calls it after the buddy allocator. */
void slab_init(void);
/* Print kmalloc's per-class usage (the `mem` command). */
void slab_print_stats(void);

/* Frees rejected as bad (double free, foreign pointer, wrong order) since
 * boot; the tests check it moves. */
extern unsigned long mm_bad_frees;
/* Tests that free badly on purpose add how many here first: those get
 * their log line but no WARN stack trace (whose addresses vary per run). */
extern int mm_bad_frees_expected;
/* Count and log one refused free of @addr; WARNs the first time. */
void mm_report_bad_free(const void *addr, const char *reason);

/* A node that is online and holds memory managed by the buddy allocator. */
static inline bool node_has_memory(int nid)
{
	return nid >= 0 && nid < (int)num_online_nodes() &&
	       NODE_DATA(nid)->managed_pages > 0;
}

/* Check the buddy invariants BUD1-BUD4 of node @nid (mm/page_alloc.c);
 * 0 or a negative code, logged. */
int check_node_invariants(int nid);
/* Check SLAB1 and SLAB2 of mm/slab.c on every cache and node (partial
 * slabs, and the counters that account for the full ones): 0, or
 * -EUCLEAN with one log line naming the broken invariant. Context: any;
 * takes each node lock of each cache. */
int slab_check_invariants(void);
/* The same for the one slab @page, which nobody else may touch (tests). */
int slab_check_slab_page(struct page *page);
/* kmalloc objects handed out and not yet freed, all caches and nodes. */
unsigned long kmalloc_objects_in_use(void);

/* The CPUs of node @nid as "0-1,4" ("none" if it has none); the `numa`
 * command's format (mm/show_mem.c). Returns the length written. */
int node_cpulist_scnprintf(char *buf, size_t size, const int *cpu_node,
			   unsigned int nr_cpus, int nid);

/* ---- Page references and the LRU (mm/page_alloc.c, mm/swap.c) ---- */

struct folio;
/* Take a reference unless the count already reached 0 (a page on its way
 * back to the buddy lists): Linux's get_page_unless_zero(). Context: any;
 * takes pgdat->lock, so it nests inside lru_lock. */
bool get_page_unless_zero(struct page *page);
/* Drop a reference; true when it was the last (the page is then neither
 * free nor anyone's: the caller frees it with free_unref_page()). A bad
 * put (free page, tail page) is reported and returns false. */
bool put_page_testzero(struct page *page);
/* Give a page whose count reached 0 back to the buddy lists. */
void free_unref_page(struct page *page);
/* The reference count now (a snapshot). */
int page_ref_count(struct page *page);
/* Last reference of a folio still on an LRU list: take it off (Linux's
 * __page_cache_release). mm/swap.c; called by put_page(). */
void __page_cache_release(struct folio *folio);

/* Put @folio on / take it off its node's list (by PG_active), with the
 * counters (LRU1, LRU2). Under lru_lock. mm/swap.c. */
void lruvec_add_folio(pg_data_t *pgdat, struct folio *folio, bool tail);
void lruvec_del_folio(pg_data_t *pgdat, struct folio *folio);

/* ---- Reclaim (mm/vmscan.c) ---- */

/* reclaim_throttle() that tells what happened: -1 if it did not sleep
 * (only yielded), else the jiffies that were left of the timeout when it
 * woke (0: the timeout expired). Tests use it. */
long __reclaim_throttle(pg_data_t *pgdat, enum vmscan_throttle_state reason);

/* Linux's min_free_kbytes and watermark_scale_factor (vm.* sysctls). */
extern int min_free_kbytes;
extern int watermark_scale_factor;
/* min_free_kbytes from the memory size (Linux's rule), then the
 * watermarks; mm_init() calls it once the nodes are built. */
void init_per_zone_wmark_min(void);
/* Each node's watermark[] from min_free_kbytes (docs/reclaim.md). */
void setup_per_zone_wmarks(void);
/* May the caller of an allocation enter direct reclaim (process context,
 * may sleep, not reclaim itself)? */
bool gfp_may_direct_reclaim(gfp_t flags);
/* Check LRU1-LRU4 of node @nid (mm/swap.c); @quiescent adds the checks
 * that hold only with no page-cache activity. 0 or -EUCLEAN, logged. */
int lru_check_invariants(int nid, bool quiescent);

/* The node of the calling CPU, always a valid node id. */

/* Test helper (mm/reclaim_test.c, also used by mm/vmscan_test.c): wait at
 * most 5 s until every kswapd sleeps with no wake-up pending. */
struct ktest;
void wait_kswapds_asleep(struct ktest *t);

#endif
