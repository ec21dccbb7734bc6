/*
 * include/quire/writeback.h - writeback_control, do_writepages(), dirty
 * accounting and throttling (Linux's <linux/writeback.h>).
 *
 * Layer: mm. Implemented by mm/page-writeback.c (dirty/writeback page
 * state, writeback_iter(), do_writepages(), balance_dirty_pages(),
 * bandwidth estimation, the vm.dirty_* tunables) and fs/fs-writeback.c
 * (dirty inode lists, flusher work, sync). ../shared/reference/writeback.md
 * is the behaviour checklist; docs/writeback.md says what Quire keeps.
 */
#ifndef QUIRE_WRITEBACK_H
#define QUIRE_WRITEBACK_H

#include <quire/fs.h>
#include <quire/pagevec.h>
#include <quire/mmzone.h>

struct bdi_writeback;

enum writeback_sync_modes {
	WB_SYNC_NONE, /* don't wait on anything */
	WB_SYNC_ALL,  /* wait on every mapping (data integrity) */
};

/* Why writeback was started (Linux's enum wb_reason and its names). */
enum wb_reason {
	WB_REASON_BACKGROUND,
	WB_REASON_VMSCAN,
	WB_REASON_SYNC,
	WB_REASON_PERIODIC,
	WB_REASON_LAPTOP_TIMER,
	WB_REASON_FS_FREE_SPACE,
	WB_REASON_FORKER_THREAD,
	WB_REASON_FOREIGN_FLUSH,
	WB_REASON_MAX,
};
/* "background", "vmscan", "sync", "periodic", ... (trace output). */
const char *wb_reason_name(enum wb_reason reason);

struct writeback_control {
	long nr_to_write;   /* pages to write; decremented per page */
	long pages_skipped; /* pages not written (redirtied) */
	loff_t range_start; /* bytes, inclusive */
	loff_t range_end;   /* LLONG_MAX: to the end of the file */
	enum writeback_sync_modes sync_mode;

	unsigned for_kupdate : 1;	/* a kupdate (periodic) writeback */
	unsigned for_background : 1;	/* a background writeback */
	unsigned tagged_writepages : 1; /* tag-and-write (livelock avoidance) */
	unsigned for_reclaim : 1;	/* invoked from the page allocator */
	unsigned range_cyclic : 1;	/* range_start is cyclic */
	unsigned for_sync : 1;		/* sync(2)'s (its caller waits for all) */

	/* writeback_iter()'s private state. */
	struct folio_batch fbatch;
	pgoff_t index;
	int saved_err;

	struct bdi_writeback *wb; /* set by the flusher (or NULL) */
	struct inode *inode;	  /* being written by the flusher */
};

/* The tag writeback_iter() looks up: TOWRITE for integrity (and tagged)
 * writeback, DIRTY otherwise. */
static inline xa_mark_t wbc_to_tag(const struct writeback_control *wbc)
{
	if (wbc->sync_mode == WB_SYNC_ALL || wbc->tagged_writepages)
		return PAGECACHE_TAG_TOWRITE;
	return PAGECACHE_TAG_DIRTY;
}

/* ---- mm/page-writeback.c ---- */

/* The seed: ->writepages, else ->writepage through writeback_use_writepage(),
 * else 0; -ENOMEM under WB_SYNC_ALL throttles on the local node and retries;
 * bandwidth estimate around it. */
int do_writepages(struct address_space *mapping, struct writeback_control *wbc);

/* Iterate the folios to write (first call with *folio = NULL): each comes
 * locked, dirty bit cleared for I/O; the caller writes it (unlocking it),
 * then calls again with its error in *error. NULL at the end; returns the
 * saved error in *error then. Callers must never leave the loop early. */
struct folio *writeback_iter(struct address_space *mapping, struct writeback_control *wbc,
			     struct folio *folio, int *error);
typedef int (*writepage_t)(struct folio *folio, struct writeback_control *wbc,
			   void *data);
/* Linux's write_cache_pages(): writeback_iter() with a callback. */
int write_cache_pages(struct address_space *mapping, struct writeback_control *wbc,
		      writepage_t writepage, void *data);
/* Add TOWRITE to every DIRTY entry in [start, end] (page indices). */
void tag_pages_for_writeback(struct address_space *mapping, pgoff_t start, pgoff_t end);

/* Dirtying. filemap_dirty_folio is the default ->dirty_folio: PG_dirty,
 * DIRTY tag, counters, __mark_inode_dirty(I_DIRTY_PAGES). Returns true if
 * the folio was clean. folio_mark_dirty() calls ->dirty_folio. */
bool filemap_dirty_folio(struct address_space *mapping, struct folio *folio);
/* ->dirty_folio of mappings that never write back (ramfs): PG_dirty only,
 * no mark, no counters, no inode dirtying (Linux's noop_dirty_folio). */
bool noop_dirty_folio(struct address_space *mapping, struct folio *folio);
bool folio_mark_dirty(struct folio *folio);
static inline bool set_page_dirty(struct page *page)
{
	return folio_mark_dirty(page_folio(page));
}
/* ->writepage declining: dirty again, pages_skipped++, undo NR_DIRTIED. */
bool folio_redirty_for_writepage(struct writeback_control *wbc, struct folio *folio);
static inline bool redirty_page_for_writepage(struct writeback_control *wbc,
					      struct page *page)
{
	return folio_redirty_for_writepage(wbc, page_folio(page));
}
/* Clear PG_dirty before I/O (folio locked); true if it was dirty. */
bool folio_clear_dirty_for_io(struct folio *folio);
static inline bool clear_page_dirty_for_io(struct page *page)
{
	return folio_clear_dirty_for_io(page_folio(page));
}
/* Truncation of a dirty folio: clean it and undo the dirty counters. */
void folio_cancel_dirty(struct folio *folio);
/* Set PG_writeback and the WRITEBACK tag; drop DIRTY if clean and TOWRITE
 * unless @keep_write. Returns whether PG_writeback was already set. */
bool __folio_start_writeback(struct folio *folio, bool keep_write);
static inline bool folio_start_writeback(struct folio *folio)
{
	return __folio_start_writeback(folio, false);
}
static inline bool set_page_writeback(struct page *page)
{
	return folio_start_writeback(page_folio(page));
}
/* I/O done: clear PG_writeback and the tag, counters, wake waiters,
 * acct_reclaim_writeback(); a PG_reclaim folio is rotated for reclaim.
 * Context: any (bio completion runs in interrupts). */
void folio_end_writeback(struct folio *folio);
static inline void end_page_writeback(struct page *page)
{
	folio_end_writeback(page_folio(page));
}

/* Tunables (Linux's /proc/sys/vm names; `sysctl vm.NAME`). */
extern int dirty_background_ratio;	      /* 10 % */
extern unsigned long dirty_background_bytes;  /* 0: use the ratio */
extern int vm_dirty_ratio;		      /* 20 % */
extern unsigned long vm_dirty_bytes;	      /* 0: use the ratio */
extern unsigned int dirty_writeback_interval; /* centisecs: 500 */
extern unsigned int dirty_expire_interval;    /* centisecs: 3000 */

/*
 * The global dirty-throttling domain (Linux's struct wb_domain; Quire has
 * only the global one, no memcg domains). mm/dirty_throttle.c.
 */
struct wb_domain {
	spinlock_t lock;
	/* The hard limit balance_dirty_pages() throttles towards: follows
	 * thresh up at once, down by 1/32 of the gap per 200 ms. Pages. */
	unsigned long dirty_limit;
	unsigned long dirty_limit_tstamp; /* jiffies of its last update */
	/* Completion periods (3 s) for the wbs' shares of the threshold:
	 * all pages written (NR_WRITTEN) in this and the last period. */
	unsigned long period;	     /* number of the current period */
	unsigned long period_time;   /* jiffies it started */
	unsigned long written_stamp; /* NR_WRITTEN when it started */
	unsigned long written_prev;  /* pages written in the last period */
};
extern struct wb_domain global_wb_domain;

/* Global thresholds in pages (bg, thresh) from the tunables and dirtyable
 * memory (free + file LRU pages + 1). */
void global_dirty_limits(unsigned long *pbackground, unsigned long *pdirty);
unsigned long global_dirtyable_memory(void);
/* Recompute ratelimit_pages and reset the hard dirty limit to the threshold
 * (after a tunable changed; Linux's writeback_set_ratelimit). */
void writeback_set_ratelimit(void);
/* dirty + writeback of @pgdat within dirty_ratio of its dirtyable memory. */
bool node_dirty_ok(pg_data_t *pgdat);

/* Call after dirtying pages of @mapping: every nr_dirtied_pause pages the
 * task enters balance_dirty_pages() and may sleep (bounded by MAX_PAUSE). */
void balance_dirty_pages_ratelimited(struct address_space *mapping);

/* Bandwidth estimation around a writeback (reference section 7). */
void wb_bandwidth_estimate_start(struct bdi_writeback *wb);
void wb_update_bandwidth(struct bdi_writeback *wb);

/* ---- fs/fs-writeback.c ---- */

/* Queue WB_SYNC_ALL writeback of every dirty inode of @sb's bdi and wait. */
void sync_inodes_sb(struct super_block *sb);
/* Start writeback of @nr_pages (0: all) on every bdi; no wait. */
void wakeup_flusher_threads(enum wb_reason reason);
/* Write one inode now (fsync of metadata and pages): write_inode_now. */
int write_inode_now(struct inode *inode, int sync);
/* Wait until the inode's I_SYNC is clear. */
void inode_wait_for_writeback(struct inode *inode);
/* Take the inode off its wb's lists (eviction). */
void inode_io_list_del(struct inode *inode);

#endif
