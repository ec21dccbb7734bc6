/*
 * mm/readahead.c - read-ahead: Linux's on-demand algorithm, in pages.
 *
 * Layer: mm. Used by: filemap_read() (mm/filemap.c).
 * Provides: file_ra_state_init(), page_cache_sync_readahead(),
 * page_cache_async_readahead(), readahead_folio().
 *
 * A sequential reader gets a window that starts at 4x (small requests) or
 * 2x the request and doubles (x4 while below max/16) each time the reader
 * reaches the window's PG_readahead folio, up to ra_pages (128 KiB: the
 * bdi's ra_pages). The marked folio sits async_size pages before the end of
 * the window, so the next window is read while the reader still consumes
 * this one. Random reads read only what they ask for.
 *
 * PG_readahead is Linux's alias of PG_reclaim (mm/pagecache.h says why).
 *
 * Locking: mapping->invalidate_lock is held shared while folios are added
 * and read, so a truncate that takes it exclusive does not race with
 * read-in (the VFS's rule; Quire's truncate callers take it).
 */
#include <quire/pagemap.h>
#include <quire/backing-dev.h>
#include <quire/blkdev.h>
#include <quire/rwsem.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include "pagecache.h"

void file_ra_state_init(struct file_ra_state *ra, struct address_space *mapping)
{
	ra->ra_pages = inode_to_bdi(mapping->host)->ra_pages;
	ra->start = 0;
	ra->size = 0;
	ra->async_size = 0;
	ra->prev_pos = -1;
}

struct folio *readahead_folio(struct readahead_control *rac)
{
	struct folio *folio;

	if (!rac->_nr_pages)
		return NULL;
	folio = xa_load(&rac->mapping->i_pages, rac->_index);
	WARN_ON_ONCE(!folio);
	rac->_index++;
	rac->_nr_pages--;
	/* The batch's allocation reference goes; the cache keeps its own
	 * and the folio stays locked until its read ends. */
	if (folio)
		folio_put(folio);
	return folio;
}

/* Start the reads of the batch in @rac (Linux's read_pages). */
static void read_pages(struct readahead_control *rac)
{
	const struct address_space_operations *aops = rac->mapping->a_ops;
	struct blk_plug plug;
	struct folio *folio;

	if (!readahead_count(rac))
		return;
	blk_start_plug(&plug);
	if (aops->readahead) {
		aops->readahead(rac);
		/* What ->readahead left: drop it from the cache unread. */
		while ((folio = readahead_folio(rac))) {
			folio_get(folio);
			filemap_remove_folio(folio);
			folio_unlock(folio);
			folio_put(folio);
		}
	} else {
		/* ->read_folio unlocks the folio when its read ends, even a
		 * failed one; the reader retries or reports it (PG_uptodate
		 * stays clear). */
		while ((folio = readahead_folio(rac))) {
			if (aops->read_folio)
				aops->read_folio(rac->file, folio);
			else
				folio_unlock(folio);
		}
	}
	blk_finish_plug(&plug);
}

/*
 * Add and read @nr_to_read folios from readahead_index(@rac), skipping
 * those already cached; the folio @lookahead_size before the end gets
 * PG_readahead. Returns how many were added.
 */
int page_cache_ra_unbounded(struct readahead_control *rac, unsigned long nr_to_read,
			    unsigned long lookahead_size)
{
	struct address_space *mapping = rac->mapping;
	pgoff_t index = readahead_index(rac);
	int added = 0;

	down_read(&mapping->invalidate_lock);
	for (unsigned long i = 0; i < nr_to_read; i++) {
		struct folio *folio = xa_load(&mapping->i_pages, index + i);

		if (folio) {
			/* Already cached: read the batch so far, go on after. */
			read_pages(rac);
			rac->_index = index + i + 1;
			continue;
		}
		folio = filemap_alloc_folio(mapping->gfp_mask | __GFP_NOWARN, false);
		if (!folio)
			break;
		if (filemap_add_folio(mapping, folio, index + i, mapping->gfp_mask) < 0) {
			folio_put(folio);
			read_pages(rac);
			rac->_index = index + i + 1;
			continue;
		}
		if (i == nr_to_read - lookahead_size)
			folio_set_readahead(folio);
		rac->_nr_pages++;
		added++;
	}
	read_pages(rac);
	up_read(&mapping->invalidate_lock);
	return added;
}

/* Clip the window to i_size (Linux's do_page_cache_ra). */
static void do_page_cache_ra(struct readahead_control *rac, unsigned long nr_to_read,
			     unsigned long lookahead_size)
{
	loff_t isize = READ_ONCE(rac->mapping->host->i_size);
	pgoff_t index = readahead_index(rac);
	pgoff_t end_index;

	if (isize <= 0)
		return;
	end_index = (isize - 1) >> PAGE_SHIFT;
	if (index > end_index)
		return;
	if (nr_to_read > end_index - index)
		nr_to_read = end_index - index + 1;
	if (lookahead_size > nr_to_read)
		lookahead_size = 0;
	page_cache_ra_unbounded(rac, nr_to_read, lookahead_size);
}

static unsigned long roundup_pow_of_two_ul(unsigned long n)
{
	unsigned long p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* First window: 4x a small request, 2x a medium one, else the maximum. */
static unsigned long get_init_ra_size(unsigned long size, unsigned long max)
{
	unsigned long newsize = roundup_pow_of_two_ul(size);

	if (newsize <= max / 32)
		newsize = newsize * 4;
	else if (newsize <= max / 4)
		newsize = newsize * 2;
	else
		newsize = max;
	return newsize;
}

/* Next window: x4 while small, x2 up to the maximum. */
static unsigned long get_next_ra_size(struct file_ra_state *ra, unsigned long max)
{
	unsigned long cur = ra->size;

	if (cur < max / 16)
		return 4 * cur;
	if (cur <= max / 2)
		return 2 * cur;
	return max;
}

/* Is @index in a run of cached folios just before it (a sequential
 * stream's trace)? How long, up to @max (Linux's count_history_pages). */
static unsigned long count_history_pages(struct address_space *mapping, pgoff_t index,
					 unsigned long max)
{
	unsigned long n = 0;

	while (n < max && index > n && xa_load(&mapping->i_pages, index - n - 1))
		n++;
	return n;
}

/* Linux's ondemand_readahead(), for one-page folios. */
static void ondemand_readahead(struct readahead_control *rac, struct folio *folio,
			       unsigned long req_size)
{
	struct file_ra_state *ra = rac->ra;
	unsigned long max_pages = ra->ra_pages;
	pgoff_t index = readahead_index(rac);
	pgoff_t expected, prev_index;
	unsigned long add_pages;

	if (!index)
		goto initial_readahead;
	/* The expected marker or the window's end: sequential, ramp up. */
	expected = ra->start + ra->size - ra->async_size;
	if (index == expected || index == ra->start + ra->size) {
		ra->start += ra->size;
		ra->size = get_next_ra_size(ra, max_pages);
		ra->async_size = ra->size;
		goto readit;
	}
	/* A marked folio without matching state (interleaved readers): the
	 * cached run after it tells the old window. */
	if (folio) {
		pgoff_t start = index + 1;

		while (start - index <= max_pages &&
		       xa_load(&rac->mapping->i_pages, start))
			start++;
		if (start - index > max_pages)
			return;
		ra->start = start;
		ra->size = start - index + req_size;
		ra->size = get_next_ra_size(ra, max_pages);
		ra->async_size = ra->size;
		goto readit;
	}
	if (req_size > max_pages)
		goto initial_readahead;
	/* Sequential miss: right after (or inside) the previous read. */
	prev_index = (unsigned long long)ra->prev_pos >> PAGE_SHIFT;
	if (ra->prev_pos >= 0 && index - prev_index <= 1ul)
		goto initial_readahead;
	/* A stream's history in the cache: continue it. */
	{
		unsigned long hist = count_history_pages(rac->mapping, index, max_pages);

		if (hist > req_size) {
			ra->start = index;
			ra->size = min(hist + req_size, max_pages);
			ra->async_size = ra->size > req_size ? ra->size - req_size : 1;
			goto readit;
		}
	}
	/* A small random read: read what was asked, keep no state. */
	do_page_cache_ra(rac, req_size, 0);
	return;

initial_readahead:
	ra->start = index;
	ra->size = get_init_ra_size(req_size, max_pages);
	ra->async_size = ra->size > req_size ? ra->size - req_size : ra->size;

readit:
	/* Would this read hit its own marker at once? Then merge the next
	 * window into this one now. */
	if (index == ra->start && ra->size == ra->async_size) {
		add_pages = get_next_ra_size(ra, max_pages);
		if (ra->size + add_pages <= max_pages) {
			ra->async_size = add_pages;
			ra->size += add_pages;
		} else {
			ra->size = max_pages;
			ra->async_size = max_pages >> 1;
		}
	}
	rac->_index = ra->start;
	do_page_cache_ra(rac, ra->size, ra->async_size);
}

void page_cache_sync_readahead(struct address_space *mapping, struct file_ra_state *ra,
			       struct file *file, pgoff_t index, unsigned long req_count)
{
	struct readahead_control rac = {
		.file = file,
		.mapping = mapping,
		.ra = ra,
		._index = index,
	};

	if (!req_count)
		req_count = 1;
	if (!ra->ra_pages) {
		/* Read-ahead off: read just this page. */
		do_page_cache_ra(&rac, 1, 0);
		return;
	}
	ondemand_readahead(&rac, NULL, req_count);
}

void page_cache_async_readahead(struct address_space *mapping, struct file_ra_state *ra,
				struct file *file, struct folio *folio, pgoff_t index,
				unsigned long req_count)
{
	struct readahead_control rac = {
		.file = file,
		.mapping = mapping,
		.ra = ra,
		._index = index,
	};

	if (!ra->ra_pages)
		return;
	if (folio_test_writeback(folio))
		return;
	folio_test_clear_readahead(folio);
	if (!req_count)
		req_count = 1;
	ondemand_readahead(&rac, folio, req_count);
}
