/*
 * include/quire/mmzone.h - per-node memory: pg_data_t and its counters.
 *
 * Layer: mm. Provides pg_data_t (Linux's name), NODE_DATA(), the per-node
 * vmstat counters (node_page_state() and friends). One zone per node: Quire
 * has no DMA/DMA32/HIGHMEM split (every page is direct-mapped and any page
 * can be given to a virtio device).
 *
 * Locking: pgdat->lock (irqsave) guards free_area[] and the buddy bits of
 * the node's struct pages (PG_buddy, order, refcount of free blocks).
 * vm_stat[] is updated with atomic adds; no lock. reclaim_wait[] has its
 * own lock (wait.h).
 */
#ifndef QUIRE_MMZONE_H
#define QUIRE_MMZONE_H

#include <quire/mm.h>
#include <quire/list.h>
#include <quire/spinlock.h>
#include <quire/platform.h>
#include <quire/wait.h>
#include <quire/atomic.h>

struct free_area {
	struct list_head free_list;	/* head pages of free 2^order blocks */
	unsigned long nr_free;		/* blocks on free_list */
};

/* Per-node counters, Linux's names (enum node_stat_item). In pages. */
enum node_stat_item {
	NR_FREE_PAGES,		/* pages on the buddy lists */
	NR_FILE_PAGES,		/* page cache pages */
	NR_FILE_DIRTY,		/* page cache pages dirty */
	NR_WRITEBACK,		/* pages under writeback */
	NR_WRITTEN,		/* pages written back since boot */
	NR_DIRTIED,		/* pages dirtied since boot */
	NR_THROTTLED_WRITTEN,	/* written while reclaim was throttled */
	NR_SLAB_PAGES,		/* pages held by kmalloc slabs */
	NR_KMALLOC_LARGE,	/* pages held by large kmalloc() */
	NR_INACTIVE_FILE,	/* on the inactive file LRU */
	NR_ACTIVE_FILE,		/* on the active file LRU */
	NR_ISOLATED_FILE,	/* taken off the LRU by reclaim */
	NR_VMSCAN_WRITE,	/* writeback started by reclaim (always 0: Quire's
				 * reclaim never writes, docs/reclaim.md) */
	NR_VMSCAN_IMMEDIATE,	/* dirty folios reclaim marked PG_reclaim, to be
				 * freed as soon as their writeback ends */
	NR_VM_NODE_STAT_ITEMS,
};

/* The node's file LRU lists (Linux's enum lru_list, file half only). */
enum lru_list {
	LRU_INACTIVE_FILE,
	LRU_ACTIVE_FILE,
	NR_LRU_LISTS,
};

struct lruvec {
	spinlock_t lru_lock;		      /* irqsave: rotation at end of writeback */
	struct list_head lists[NR_LRU_LISTS]; /* folios by folio->lru */
};

/* Watermarks in pages (Linux's, from min_free_kbytes; see docs/reclaim.md). */
enum zone_watermarks {
	WMARK_MIN,
	WMARK_LOW,
	WMARK_HIGH,
	NR_WMARK,
};

struct task_struct;

/* Why reclaim waits (Linux's enum vmscan_throttle_state). */
enum vmscan_throttle_state {
	VMSCAN_THROTTLE_WRITEBACK,
	VMSCAN_THROTTLE_ISOLATED,
	VMSCAN_THROTTLE_NOPROGRESS,
	VMSCAN_THROTTLE_CONGESTED,
	NR_VMSCAN_THROTTLE,
};

/* pg_data_t.flags (Linux's enum pgdat_flags and LRUVEC_CONGESTED). */
enum pgdat_flags {
	PGDAT_DIRTY,	  /* kswapd found only unqueued dirty folios */
	PGDAT_WRITEBACK,  /* kswapd found every folio under writeback */
	LRUVEC_CONGESTED, /* every dirty folio met: PG_reclaim, writeback */
};

typedef struct pglist_data {
	int node_id;
	unsigned long node_start_pfn;	/* first pfn of the span */
	unsigned long node_spanned_pages; /* span incl. holes */
	unsigned long node_present_pages; /* RAM in the span (platform.mem) */
	unsigned long managed_pages;	/* given to the buddy allocator */
	struct page *node_mem_map;	/* one per spanned pfn, in node memory */

	spinlock_t lock;		/* guards free_area[] and buddy bits */
	struct free_area free_area[MAX_ORDER + 1];

	/* Node fallback order: this node first, then by increasing distance. */
	int zonelist[MAX_NUMNODES];

	/* Reclaim throttling (Linux's reclaim_throttle()): tasks wait here
	 * for the reason they were throttled; writeback completion wakes
	 * reclaim_wait[VMSCAN_THROTTLE_WRITEBACK]. Initialised by mm_init(). */
	wait_queue_head_t reclaim_wait[NR_VMSCAN_THROTTLE];
	atomic_t nr_writeback_throttled;	/* tasks throttled on writeback */
	unsigned long nr_reclaim_start;	/* NR_THROTTLED_WRITTEN at throttle start */

	/* Page-cache reclaim (mm/vmscan.c, docs/reclaim.md). */
	struct lruvec lruvec;
	unsigned long watermark[NR_WMARK];
	wait_queue_head_t kswapd_wait; /* kswapd sleeps here */
	struct task_struct *kswapd;
	int kswapd_failures; /* runs that reclaimed nothing */
	bool kswapd_wake;    /* a wake-up is pending */
	unsigned long flags; /* PGDAT_* reclaim state (atomic bits) */

	long vm_stat[NR_VM_NODE_STAT_ITEMS];	/* atomic adds, see below */
} pg_data_t;

extern pg_data_t node_data[MAX_NUMNODES];
#define NODE_DATA(nid)	(&node_data[(nid)])

static inline void mod_node_page_state(pg_data_t *pgdat, enum node_stat_item item,
				       long delta)
{
	__atomic_fetch_add(&pgdat->vm_stat[item], delta, __ATOMIC_RELAXED);
}

static inline void inc_node_page_state(pg_data_t *pgdat, enum node_stat_item item)
{
	mod_node_page_state(pgdat, item, 1);
}

static inline void dec_node_page_state(pg_data_t *pgdat, enum node_stat_item item)
{
	mod_node_page_state(pgdat, item, -1);
}

static inline unsigned long node_page_state(pg_data_t *pgdat, enum node_stat_item item)
{
	long v = __atomic_load_n(&pgdat->vm_stat[item], __ATOMIC_RELAXED);

	return v < 0 ? 0 : (unsigned long)v;
}

/* Sum of @item over all nodes. */
unsigned long global_node_page_state(enum node_stat_item item);

static inline struct lruvec *node_lruvec(pg_data_t *pgdat)
{
	return &pgdat->lruvec;
}

static inline unsigned long pgdat_end_pfn(const pg_data_t *pgdat)
{
	return pgdat->node_start_pfn + pgdat->node_spanned_pages;
}

#endif
