/*
 * mm/truncate.c - taking folios out of the page cache: truncation of a
 * range (with partial pages zeroed), of a whole inode at eviction, and the
 * non-blocking invalidation of clean folios (Linux's mm/truncate.c).
 *
 * Layer: mm. Used by: fs/inode.c (eviction), file systems (setattr),
 * block/bdev.c, mm/vmscan.c and drop_caches (invalidate_mapping_pages).
 * Provides: truncate_inode_pages_range(), truncate_inode_pages(),
 * truncate_inode_pages_final(), truncate_setsize(),
 * invalidate_mapping_pages().
 *
 * Truncation waits: for the folio lock and for writeback to end, so no I/O
 * of a removed folio is in flight when it returns, and sweeps the range
 * again until a sweep finds nothing (PC7). A dirty folio
 * dropped is cleaned with folio_cancel_dirty(), which undoes its dirty
 * counters (PC3). Invalidation never waits: locked, dirty, under-writeback
 * or otherwise referenced folios stay.
 *
 * Locking: folio lock -> i_pages.xa_lock. Callers serialise truncation
 * against writers with i_rwsem (and against read-in with invalidate_lock).
 */
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/string.h>
#include <quire/sched.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include "pagecache.h"

/* Let the folio's private data go (Linux's folio_invalidate). */
static void folio_invalidate(struct folio *folio, size_t offset, size_t length)
{
	const struct address_space_operations *aops = folio->mapping->a_ops;

	if (aops->invalidate_folio)
		aops->invalidate_folio(folio, offset, length);
}

/* Linux's truncate_cleanup_folio: private data, then the dirty state
 * (after invalidation: a file system may redirty in it). */
static void truncate_cleanup_folio(struct folio *folio)
{
	if (folio->private)
		folio_invalidate(folio, 0, folio_size(folio));
	folio_cancel_dirty(folio);
}

/* The locked folio leaves @mapping, unless it left already. */
static int truncate_inode_folio(struct address_space *mapping, struct folio *folio)
{
	if (folio->mapping != mapping)
		return -EIO;
	truncate_cleanup_folio(folio);
	filemap_remove_folio(folio);
	return 0;
}

/* Zero [offset, offset + length) of the folio at @index that the range
 * covers only partly; the folio stays in the cache. */
static void truncate_partial_folio(struct address_space *mapping, pgoff_t index,
				   size_t offset, size_t length)
{
	struct folio *folio = __filemap_get_folio(mapping, index, FGP_LOCK, 0);

	if (IS_ERR(folio))
		return;
	folio_wait_writeback(folio);
	memset((char *)folio_address(folio) + offset, 0, length);
	if (folio->private)
		folio_invalidate(folio, offset, length);
	folio_unlock(folio);
	folio_put(folio);
}

void truncate_inode_pages_range(struct address_space *mapping, loff_t lstart, loff_t lend)
{
	size_t partial_start = lstart & (PAGE_SIZE - 1);
	pgoff_t start, end; /* whole pages: [start, end) */
	struct folio_batch fbatch;
	pgoff_t index;

	if (!READ_ONCE(mapping->nrpages))
		return;
	start = (lstart + PAGE_SIZE - 1) >> PAGE_SHIFT;
	end = lend == -1 ? (pgoff_t)-1 : (pgoff_t)((lend + 1) >> PAGE_SHIFT);

	/* The partly covered pages at the edges: zero their part. */
	if (partial_start || (lend != -1 && ((lend + 1) & (PAGE_SIZE - 1)))) {
		pgoff_t first = lstart >> PAGE_SHIFT;
		pgoff_t last = lend == -1 ? (pgoff_t)-1 : (pgoff_t)(lend >> PAGE_SHIFT);
		size_t end_off =
			lend == -1 ? PAGE_SIZE : (size_t)(lend & (PAGE_SIZE - 1)) + 1;

		if (first == last) {
			truncate_partial_folio(mapping, first, partial_start,
					       end_off - partial_start);
		} else {
			if (partial_start)
				truncate_partial_folio(mapping, first, partial_start,
						       PAGE_SIZE - partial_start);
			if (end_off != PAGE_SIZE)
				truncate_partial_folio(mapping, last, 0, end_off);
		}
	}

	/*
	 * The whole pages. Each folio is locked and waited for, so a sweep
	 * leaves none that was there when it passed; one added behind it
	 * while it slept on a lock is found by the next sweep: sweep again
	 * from @start until one finds nothing (Linux's "restart to make
	 * sure all gone").
	 */
	folio_batch_init(&fbatch);
	for (bool found = start < end; found;) {
		found = false;
		index = start;
		while (index < end) {
			unsigned int nr =
				filemap_get_folios(mapping, &index, end - 1, &fbatch);

			if (!nr)
				break;
			found = true;
			for (unsigned int i = 0; i < nr; i++) {
				struct folio *folio = fbatch.folios[i];

				folio_lock(folio);
				folio_wait_writeback(folio);
				truncate_inode_folio(mapping, folio);
				folio_unlock(folio);
			}
			folio_batch_release(&fbatch);
			cond_resched();
		}
	}
}

void truncate_inode_pages(struct address_space *mapping, loff_t lstart)
{
	truncate_inode_pages_range(mapping, lstart, (loff_t)-1);
}

void truncate_inode_pages_final(struct address_space *mapping)
{
	truncate_inode_pages(mapping, 0);
	WARN_ON_ONCE(mapping->nrpages);
}

void truncate_setsize(struct inode *inode, loff_t newsize)
{
	spin_lock(&inode->i_lock);
	i_size_write(inode, newsize);
	spin_unlock(&inode->i_lock);
	truncate_inode_pages(inode->i_mapping, newsize);
}

/*
 * Drop @folio if nobody uses it: clean, not under writeback, its private
 * data released, and no reference but the cache's and our lookup's
 * (Linux's mapping_evict_folio). Folio locked.
 */
static bool mapping_evict_folio(struct address_space *mapping, struct folio *folio)
{
	unsigned long flags;
	bool gone = false;

	if (folio_test_dirty(folio) || folio_test_writeback(folio))
		return false;
	if (folio->private && mapping->a_ops->release_folio &&
	    !mapping->a_ops->release_folio(folio, 0))
		return false;
	xa_lock_irqsave(&mapping->i_pages, flags);
	/* 2 = the cache + our batch; any other user keeps it. Lookups take
	 * their reference under this lock, so none appears meanwhile.
	 * Acquire, as page_ref_count(): a holder's accesses before its last
	 * put come before ours. */
	if (folio->mapping == mapping &&
	    __atomic_load_n(&folio->refcount, __ATOMIC_ACQUIRE) == 2 &&
	    !folio_test_dirty(folio)) {
		void *old = __xa_erase(&mapping->i_pages, folio->index);

		WARN_ON_ONCE(old != folio);
		folio->mapping = NULL;
		WRITE_ONCE(mapping->nrpages, mapping->nrpages - 1);
		mod_node_page_state(folio_pgdat(folio), NR_FILE_PAGES, -1);
		gone = true;
	}
	xa_unlock_irqrestore(&mapping->i_pages, flags);
	if (gone)
		folio_put(folio); /* the cache's reference */
	return gone;
}

unsigned long invalidate_mapping_pages(struct address_space *mapping, pgoff_t start,
				       pgoff_t end)
{
	struct folio_batch fbatch;
	pgoff_t index = start;
	unsigned long count = 0;

	folio_batch_init(&fbatch);
	while (index <= end) {
		unsigned int nr = filemap_get_folios(mapping, &index, end, &fbatch);

		if (!nr)
			break;
		for (unsigned int i = 0; i < nr; i++) {
			struct folio *folio = fbatch.folios[i];

			if (!folio_trylock(folio))
				continue;
			if (mapping_evict_folio(mapping, folio))
				count++;
			folio_unlock(folio);
		}
		folio_batch_release(&fbatch);
		cond_resched();
		if (index == 0)
			break;
	}
	return count;
}
