/*
 * include/quire/pagemap.h - the page cache: folio flags and locking, lookup
 * and insertion, reads with read-ahead, buffered writes, waiting for and
 * reporting writeback (Linux's <linux/pagemap.h> and mm/filemap.c).
 *
 * Layer: mm. Implemented by mm/filemap.c, mm/readahead.c, mm/truncate.c.
 * Used by: block/bdev.c (a disk's page cache), fs/ (qlfs), mm/vmscan.c.
 *
 * A folio in the cache has one reference from the cache (dropped when it is
 * deleted), mapping and index set, and the matching marks in i_pages. The
 * counters of docs/pagecache.md ("what moves together") move with the flags.
 *
 * Locking order: folio lock (PG_locked, sleeping) -> i_pages.xa_lock
 * (irqsave) -> wb->list_lock. PG_writeback ends in interrupt context.
 */
#ifndef QUIRE_PAGEMAP_H
#define QUIRE_PAGEMAP_H

#include <quire/fs.h>
#include <quire/mm.h>
#include <quire/mmzone.h>
#include <quire/pagevec.h>

/* ---- folio flags (atomic bit operations on folio->flags) ---- */
#define FOLIO_FLAG_FNS(name, bit)                                       \
	static inline bool folio_test_##name(const struct folio *folio) \
	{                                                               \
		return page_test_flag(&folio->page, bit);               \
	}                                                               \
	static inline void folio_set_##name(struct folio *folio)        \
	{                                                               \
		page_set_flag(&folio->page, bit);                       \
	}                                                               \
	static inline void folio_clear_##name(struct folio *folio)      \
	{                                                               \
		page_clear_flag(&folio->page, bit);                     \
	}                                                               \
	static inline bool folio_test_set_##name(struct folio *folio)   \
	{                                                               \
		return test_and_set_bit(bit, &folio->flags);            \
	}                                                               \
	static inline bool folio_test_clear_##name(struct folio *folio) \
	{                                                               \
		return test_and_clear_bit(bit, &folio->flags);          \
	}

FOLIO_FLAG_FNS(locked, PG_locked)
FOLIO_FLAG_FNS(dirty, PG_dirty)
FOLIO_FLAG_FNS(writeback, PG_writeback)
FOLIO_FLAG_FNS(uptodate, PG_uptodate)
FOLIO_FLAG_FNS(error, PG_error)
FOLIO_FLAG_FNS(reclaim, PG_reclaim)
FOLIO_FLAG_FNS(referenced, PG_referenced)
FOLIO_FLAG_FNS(active, PG_active)
FOLIO_FLAG_FNS(lru, PG_lru)
#undef FOLIO_FLAG_FNS

/* Page-named aliases used by ->writepage implementations. */
#define PageDirty(p)	 folio_test_dirty(page_folio(p))
#define PageWriteback(p) folio_test_writeback(page_folio(p))
#define PageLocked(p)	 folio_test_locked(page_folio(p))
#define PageUptodate(p)	 folio_test_uptodate(page_folio(p))

static inline int folio_nid(const struct folio *folio)
{
	return page_to_nid(&folio->page);
}

static inline pg_data_t *folio_pgdat(const struct folio *folio)
{
	return NODE_DATA(folio_nid(folio));
}

static inline void *folio_address(const struct folio *folio)
{
	return page_address(&folio->page);
}

static inline loff_t folio_pos(const struct folio *folio)
{
	return (loff_t)folio->index << PAGE_SHIFT;
}

static inline size_t folio_size(const struct folio *folio)
{
	return PAGE_SIZE;
}

static inline void folio_get(struct folio *folio)
{
	get_page(&folio->page);
}

static inline void folio_put(struct folio *folio)
{
	put_page(&folio->page);
}

/* The mapping of a page-cache folio, NULL once truncated away. */
static inline struct address_space *folio_mapping(struct folio *folio)
{
	return READ_ONCE(folio->mapping);
}

/* ---- folio lock and waits (mm/filemap.c) ---- */

/* Sleep until PG_locked is ours. Context: process, may sleep. */
void folio_lock(struct folio *folio);
/* Take PG_locked if free; true if taken. Context: any. */
static inline bool folio_trylock(struct folio *folio)
{
	return !folio_test_set_locked(folio);
}
/* Release it and wake one waiter (Linux's exclusive lock waiters) and all
 * bit waiters that only watch. Context: any (read completion). */
void folio_unlock(struct folio *folio);
/* Wait while PG_writeback is set. Traces folio_wait_writeback. */
void folio_wait_writeback(struct folio *folio);
/* Wait while PG_locked is set, without taking it. */
void folio_wait_locked(struct folio *folio);
/* Set PG_uptodate after the contents are written (ordering barrier). */
void folio_mark_uptodate(struct folio *folio);

static inline void lock_page(struct page *page)
{
	folio_lock(page_folio(page));
}
static inline void unlock_page(struct page *page)
{
	folio_unlock(page_folio(page));
}
static inline void wait_on_page_writeback(struct page *page)
{
	folio_wait_writeback(page_folio(page));
}

/* Wake the tasks waiting on @bit of @folio (PG_locked, PG_writeback). */
void folio_wake_bit(struct folio *folio, int bit);

/* ---- lookup, insertion, deletion (mm/filemap.c) ---- */

/* __filemap_get_folio() flags (Linux's FGP_*). */
#define FGP_ACCESSED 0x01u /* folio_mark_accessed() it */
#define FGP_LOCK     0x02u /* return it locked */
#define FGP_CREAT    0x04u /* allocate and insert if absent */
#define FGP_WRITE    0x08u /* for a write (balance node dirtying) */
#define FGP_NOWAIT   0x10u /* do not sleep for the lock */

/* The folio at @index with a reference (flags above), or ERR_PTR(-ENOENT)
 * if absent and no FGP_CREAT, ERR_PTR(-ENOMEM), ERR_PTR(-EAGAIN) for
 * FGP_NOWAIT. A new folio is on the LRU, not uptodate. @gfp for the page
 * (FGP_WRITE: the node is chosen by node_dirty_ok()). */
struct folio *__filemap_get_folio(struct address_space *mapping, pgoff_t index,
				  unsigned int fgp_flags, gfp_t gfp);
static inline struct folio *filemap_get_folio(struct address_space *mapping,
					      pgoff_t index)
{
	return __filemap_get_folio(mapping, index, 0, 0);
}
/* Insert a new folio at @index and return with it locked, as Linux's (one
 * handed in locked stays locked): +1 ref for the cache, NR_FILE_PAGES +1,
 * nrpages +1, and onto the LRU. -EEXIST if taken, -ENOMEM. */
int filemap_add_folio(struct address_space *mapping, struct folio *folio, pgoff_t index,
		      gfp_t gfp);
/* Take a locked, clean, not-under-writeback folio out of the cache (drops
 * the cache's reference; NR_FILE_PAGES -1). */
void filemap_remove_folio(struct folio *folio);
/* Allocate a page-cache folio (node chosen by node_dirty_ok for writes:
 * the caller's node first, else any that is under its dirty limit). */
struct folio *filemap_alloc_folio(gfp_t gfp, bool for_write);

/* Fill @fbatch with folios (referenced) at indices [*start, end] carrying
 * @tag, advancing *start past the last; returns the count. */
unsigned int filemap_get_folios_tag(struct address_space *mapping, pgoff_t *start,
				    pgoff_t end, xa_mark_t tag,
				    struct folio_batch *fbatch);
/* Same for any folio present. */
unsigned int filemap_get_folios(struct address_space *mapping, pgoff_t *start,
				pgoff_t end, struct folio_batch *fbatch);

/* ---- reads (mm/filemap.c, mm/readahead.c) ---- */

/* Read-ahead window, Linux's default: 128 KiB (VM_READAHEAD_PAGES). */
#define VM_READAHEAD_PAGES (128 * 1024 / PAGE_SIZE)

struct readahead_control {
	struct file *file;
	struct address_space *mapping;
	struct file_ra_state *ra;
	pgoff_t _index;		/* next folio to hand out */
	unsigned int _nr_pages; /* folios left in the batch */
};
/* Next folio of the batch (locked, in the cache), or NULL. */
struct folio *readahead_folio(struct readahead_control *rac);
static inline pgoff_t readahead_index(const struct readahead_control *rac)
{
	return rac->_index;
}
static inline unsigned int readahead_count(const struct readahead_control *rac)
{
	return rac->_nr_pages;
}
void file_ra_state_init(struct file_ra_state *ra, struct address_space *mapping);
/* Sequential/async read-ahead as Linux's page_cache_sync_ra() and
 * page_cache_async_ra(): grow the window x2 (x4 while small) up to
 * ra_pages; start the next window at the PG_readahead-marked folio. */
void page_cache_sync_readahead(struct address_space *mapping, struct file_ra_state *ra,
			       struct file *file, pgoff_t index, unsigned long req_count);
void page_cache_async_readahead(struct address_space *mapping, struct file_ra_state *ra,
				struct file *file, struct folio *folio, pgoff_t index,
				unsigned long req_count);

/* Buffered read of [*pos, *pos + count) into @buf through the cache (stops
 * at i_size); returns bytes or -errno (-EIO if a page cannot be read). */
ssize_t_k filemap_read(struct file *file, void *buf, size_t count, loff_t *pos);
/* Read one page into the cache and return it uptodate, referenced. */
struct folio *read_mapping_folio(struct address_space *mapping, pgoff_t index,
				 struct file *file);

/* ---- buffered writes (mm/filemap.c) ---- */

/* write_begin/copy/write_end per page, then balance_dirty_pages_ratelimited();
 * returns bytes written (short on error after progress) or -errno. */
ssize_t_k generic_perform_write(struct file *file, const void *buf, size_t count,
				loff_t *pos);
/* A simple ->write_begin/->write_end pair for a mapping whose backing store
 * has a ->read_folio: read a partly overwritten page first. */
int simple_write_begin(struct file *file, struct address_space *mapping, loff_t pos,
		       unsigned int len, struct folio **foliop, void **fsdata);
int simple_write_end(struct file *file, struct address_space *mapping, loff_t pos,
		     unsigned int len, unsigned int copied, struct folio *folio,
		     void *fsdata);

/* ---- writing back and waiting (mm/filemap.c) ---- */

/* do_writepages() over [start, end] with @sync_mode; 0 or error. */
int filemap_fdatawrite_wbc(struct address_space *mapping, struct writeback_control *wbc);
int filemap_fdatawrite_range(struct address_space *mapping, loff_t start, loff_t end);
int filemap_fdatawrite(struct address_space *mapping);
/* Start WB_SYNC_NONE writeback of the range (no waiting). */
int filemap_flush(struct address_space *mapping);
/* Wait for writeback of the range to end (WRITEBACK tag); returns the
 * mapping's error (filemap_check_errors: AS_EIO/AS_ENOSPC, cleared). */
int filemap_fdatawait_range(struct address_space *mapping, loff_t start, loff_t end);
/* Same, but without clearing the AS_* bits: the errseq path. */
int filemap_fdatawait_range_keep_errors(struct address_space *mapping, loff_t start,
					loff_t end);
int filemap_write_and_wait_range(struct address_space *mapping, loff_t start, loff_t end);
static inline int filemap_write_and_wait(struct address_space *mapping)
{
	return filemap_write_and_wait_range(mapping, 0, LLONG_MAX);
}
/* fsync's half: write and wait, then report via the file's errseq cursor:
 * -EIO once per open file after a failed writeback. */
int file_write_and_wait_range(struct file *file, loff_t start, loff_t end);
int file_check_and_advance_wb_err(struct file *file);
int filemap_check_errors(struct address_space *mapping);

/* Record a writeback error on the mapping (errseq and AS_* bits). */
void mapping_set_error(struct address_space *mapping, int error);

/* ---- truncation (mm/truncate.c) ---- */

/* Remove the folios from @lstart to @lend (bytes, inclusive) from the
 * cache, waiting for writeback; partial pages at the edges are zeroed
 * (->invalidate_folio for the cut part). Dirty pages dropped are cleaned
 * with their counters (folio_cancel_dirty). */
void truncate_inode_pages_range(struct address_space *mapping, loff_t lstart,
				loff_t lend);
void truncate_inode_pages(struct address_space *mapping, loff_t lstart);
void truncate_inode_pages_final(struct address_space *mapping);
/* i_size = @newsize and drop the pages past it. */
void truncate_setsize(struct inode *inode, loff_t newsize);
/* Try to drop the clean, unlocked, unmapped folios of a range; returns how
 * many went (reclaim of a mapping, `echo 1 > drop_caches`). */
unsigned long invalidate_mapping_pages(struct address_space *mapping, pgoff_t start,
				       pgoff_t end);

#endif
