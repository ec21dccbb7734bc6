/*
 * mm/pagecache.h - what the page-cache files (mm/filemap.c,
 * mm/page-writeback.c, mm/readahead.c, mm/truncate.c, fs/inode.c) and
 * reclaim (mm/vmscan.c) share and nobody else needs.
 */
#ifndef MM_PAGECACHE_H
#define MM_PAGECACHE_H

#include <quire/pagemap.h>
#include <quire/backing-dev.h>

/* PG_waiters (a task sleeps on the folio's hashed queue). */
static inline bool folio_test_waiters_flag(const struct folio *folio)
{
	return page_test_flag(&folio->page, PG_waiters);
}
static inline void folio_set_waiters_flag(struct folio *folio)
{
	page_set_flag(&folio->page, PG_waiters);
}
static inline void folio_clear_waiters_flag(struct folio *folio)
{
	page_clear_flag(&folio->page, PG_waiters);
}

/*
 * PG_readahead is Linux's alias of PG_reclaim: a folio being read ahead is
 * never under writeback or queued for reclaim at the same time, so one bit
 * serves both (Linux: PG_readahead = PG_reclaim in page-flags.h). Quire
 * does the same; folio_mark_dirty() clears the bit, as Linux's does.
 */
static inline bool folio_test_readahead(const struct folio *folio)
{
	return folio_test_reclaim(folio);
}
static inline void folio_set_readahead(struct folio *folio)
{
	folio_set_reclaim((struct folio *)folio);
}
static inline bool folio_test_clear_readahead(struct folio *folio)
{
	return folio_test_clear_reclaim(folio);
}

/* "MAJ:MIN" of a bdi for trace lines, as Linux's bdi_dev_name(). */
struct bdi_name {
	char s[24];
};
const char *bdi_trace_name(struct backing_dev_info *bdi, struct bdi_name *buf);

/* The trace events of the folio class (Linux's writeback_folio_template):
 * "bdi %s: ino=%lu index=%lu". */
void trace_folio_event(const char *event, struct folio *folio,
		       struct address_space *mapping);

/* Take @folio out of @mapping's i_pages with its marks, nrpages and
 * NR_FILE_PAGES; i_pages.xa_lock held, the cache's reference left to the
 * caller (Linux's __filemap_remove_folio; reclaim's __remove_mapping()). */
void __filemap_remove_folio(struct folio *folio, struct address_space *mapping);

/* Read one locked folio with ->read_folio, wait for it; 0 or -EIO. */
int filemap_read_folio(struct file *file, struct address_space *mapping,
		       struct folio *folio);

/* __filemap_fdatawait_range(): wait on the WRITEBACK-tagged folios. */
void __filemap_fdatawait_range(struct address_space *mapping, loff_t start, loff_t end);

/* Check PC1, PC2, PC6 of a quiescent mapping: 0 or -EUCLEAN (logged). */
int filemap_check_mapping(struct address_space *mapping);

/* Read-ahead's core (mm/readahead.c). */
int page_cache_ra_unbounded(struct readahead_control *rac, unsigned long nr_to_read,
			    unsigned long lookahead_size);

#endif
