/*
 * mm/filemap.c - the page cache: folio locking and waiting, lookup,
 * insertion and deletion, the buffered read and write paths, and writing
 * back and waiting on a range for fsync (Linux's mm/filemap.c).
 *
 * Layer: mm. Used by: block/bdev.c (a disk's page cache), file systems,
 * mm/vmscan.c (reclaim), fs/fs-writeback.c.
 * Provides: folio_lock()/folio_unlock()/folio_wait_writeback() with hashed
 * wait queues, __filemap_get_folio(), filemap_add_folio(),
 * filemap_remove_folio(), filemap_get_folios(_tag)(), filemap_read(),
 * generic_perform_write(), generic_file_write(), filemap_write_and_wait_range(),
 * file_write_and_wait_range() and the errseq reporting of fsync.
 * Not here: page state changes for writeback (mm/page-writeback.c),
 * read-ahead (mm/readahead.c), truncation (mm/truncate.c).
 *
 * A folio is always one page in Quire (include/quire/mm.h). See
 * docs/pagecache.md for the invariants PC1..PC8 this file keeps.
 *
 * Locking order (the whole page cache):
 *   inode->i_rwsem (writers, truncate)
 *     -> mapping->invalidate_lock
 *       -> folio lock (PG_locked, a sleeping bit lock)
 *         -> i_pages.xa_lock (spin, irqsave: end of writeback clears the
 *            WRITEBACK mark from interrupt context)
 *           -> lruvec->lru_lock (folio_add_lru, by mm/swap.c)
 * The folio wait queues' locks are leaves: nothing is taken under them
 * but the scheduler's.
 */
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/swap.h>
#include <quire/wait.h>
#include <quire/sched.h>
#include <quire/smp.h>
#include <quire/platform.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include <quire/trace.h>
#include <quire/init.h>
#include <quire/printk.h>
#include "internal.h"
#include "pagecache.h"

/* ---- folio wait queues ---- */

/*
 * Linux's folio_wait_table: a folio does not carry a wait queue; tasks
 * waiting on any folio sleep on one of these, chosen by hashing the folio's
 * address. A waiter's entry records which folio and which bit it waits for;
 * the wake function ignores entries for other folios (PC5).
 */
#define FOLIO_WAIT_TABLE_BITS 8
#define FOLIO_WAIT_TABLE_SIZE (1u << FOLIO_WAIT_TABLE_BITS)
static wait_queue_head_t folio_wait_table[FOLIO_WAIT_TABLE_SIZE];

static int folio_wait_table_init(void)
{
	for (unsigned int i = 0; i < FOLIO_WAIT_TABLE_SIZE; i++)
		init_waitqueue_head(&folio_wait_table[i]);
	return 0;
}
core_initcall(folio_wait_table_init);

static wait_queue_head_t *folio_waitqueue(struct folio *folio)
{
	unsigned long h = (unsigned long)folio / sizeof(struct page);

	h *= 0x9e3779b97f4a7c15ul; /* Fibonacci hashing, as hash_ptr() */
	return &folio_wait_table[h >> (64 - FOLIO_WAIT_TABLE_BITS)];
}

/* Set by the waker in an exclusive (lock) waiter's entry once it took
 * PG_locked on the waiter's behalf (Linux's WQ_FLAG_DONE, kept local). */
#define FOLIO_WAIT_DONE 0x100

struct wait_folio_queue {
	struct folio *folio;
	int bit_nr;
	struct wait_queue_entry wait;
};

struct wait_folio_key {
	struct folio *folio;
	int bit_nr;
	int folio_match; /* some entry waited on this folio */
};

/*
 * Called under the queue's lock for each entry by folio_wake_bit().
 * Returns 0 to go on, 1 for a woken waiter, -1 to stop (an exclusive
 * waiter whose bit is taken again: the next unlock wakes the next one).
 */
static int wake_folio_function(struct wait_queue_entry *wait, unsigned int mode, int sync,
			       void *arg)
{
	struct wait_folio_key *key = arg;
	struct wait_folio_queue *wf = container_of(wait, struct wait_folio_queue, wait);
	unsigned int flags = wait->flags;

	if (wf->folio != key->folio)
		return 0;
	key->folio_match = 1;
	if (wf->bit_nr != key->bit_nr)
		return 0;
	if (flags & WQ_FLAG_EXCLUSIVE) {
		/* Hand the lock over: take it for the waiter (no thundering
		 * herd, no barging past a waiter that slept). */
		if (test_and_set_bit(key->bit_nr, &key->folio->flags))
			return -1;
		flags |= FOLIO_WAIT_DONE;
	} else if (test_bit(key->bit_nr, &key->folio->flags)) {
		return 0; /* set again already: keep waiting */
	}
	list_del_init(&wait->entry);
	smp_store_release(&wait->flags, flags | WQ_FLAG_WOKEN);
	wake_up_state(wait->private, mode);
	return 1;
}

void folio_wake_bit(struct folio *folio, int bit_nr)
{
	wait_queue_head_t *q = folio_waitqueue(folio);
	struct wait_folio_key key = {.folio = folio, .bit_nr = bit_nr};
	unsigned long flags;
	struct wait_queue_entry *curr, *next;

	spin_lock_irqsave(&q->lock, flags);
	list_for_each_entry_safe(curr, next, &q->head, entry) {
		if (curr->func(curr, TASK_NORMAL, 0, &key) < 0)
			break;
	}
	/*
	 * No entry left for this folio: clear PG_waiters. With entries for
	 * other folios on the same queue and none for this one, folio_match
	 * stays 0 and we clear it too; a matching entry keeps it (Linux).
	 */
	if (!waitqueue_active(q) || !key.folio_match)
		folio_clear_waiters_flag(folio);
	spin_unlock_irqrestore(&q->lock, flags);
}

/*
 * Sleep until @bit_nr is clear (shared) or ours (exclusive: PG_locked).
 * PG_waiters is set under the queue lock before the bit is tested again;
 * the clearing side clears the bit, then (after a full barrier) tests
 * PG_waiters, so one of the two always sees the other (PC5).
 */
static void folio_wait_bit_common(struct folio *folio, int bit_nr, bool exclusive)
{
	wait_queue_head_t *q = folio_waitqueue(folio);
	struct wait_folio_queue wf = {.folio = folio, .bit_nr = bit_nr};
	struct wait_queue_entry *wait = &wf.wait;
	unsigned long flags;
	bool done;

	init_waitqueue_entry(wait, current);
	wait->func = wake_folio_function;
	wait->flags = exclusive ? WQ_FLAG_EXCLUSIVE : 0;

	spin_lock_irqsave(&q->lock, flags);
	folio_set_waiters_flag(folio);
	smp_mb();
	if (exclusive)
		done = !test_and_set_bit(bit_nr, &folio->flags);
	else
		done = !test_bit(bit_nr, &folio->flags);
	if (!done) {
		list_add_tail(&wait->entry, &q->head);
		WRITE_ONCE(current->wait_what,
			   bit_nr == PG_locked ? "folio_lock" : "folio_writeback");
	}
	spin_unlock_irqrestore(&q->lock, flags);

	if (done)
		return;
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (smp_load_acquire(&wait->flags) & WQ_FLAG_WOKEN)
			break;
		io_schedule();
	}
	__set_current_state(TASK_RUNNING);
	WRITE_ONCE(current->wait_what, NULL);
	/* The waker took us off the queue; this is for symmetry. */
	spin_lock_irqsave(&q->lock, flags);
	if (!list_empty(&wait->entry))
		list_del_init(&wait->entry);
	spin_unlock_irqrestore(&q->lock, flags);
	WARN_ON_ONCE(exclusive && !(wait->flags & FOLIO_WAIT_DONE));
}

void folio_lock(struct folio *folio)
{
	if (!folio_trylock(folio))
		folio_wait_bit_common(folio, PG_locked, true);
}

void folio_unlock(struct folio *folio)
{
	WARN_ON_ONCE(!folio_test_locked(folio));
	__atomic_fetch_and(&folio->flags, ~BIT(PG_locked), __ATOMIC_RELEASE);
	smp_mb();
	if (folio_test_waiters_flag(folio))
		folio_wake_bit(folio, PG_locked);
}

void folio_wait_locked(struct folio *folio)
{
	if (folio_test_locked(folio))
		folio_wait_bit_common(folio, PG_locked, false);
}

void trace_folio_event(const char *event, struct folio *folio,
		       struct address_space *mapping)
{
	struct backing_dev_info *bdi;
	struct bdi_name name;
	unsigned long ino = 0;

	if (!trace_enabled())
		return;
	bdi = mapping ? inode_to_bdi(mapping->host) : &noop_backing_dev_info;
	if (mapping && mapping->host)
		ino = mapping->host->i_ino;
	__trace_event(event, "bdi %s: ino=%lu index=%lu", bdi_trace_name(bdi, &name), ino,
		      (unsigned long)folio->index);
}

/*
 * The end of writeback, seen with acquire: a caller that finds it over
 * goes on to change the folio's contents, and the device's read of them
 * (done before the I/O completed, folio_end_writeback()'s atomic clear)
 * must come before. Linux's test_bit() is relaxed and relies on the
 * control dependency to the caller's stores; C's model does not, and
 * TSan flagged qlfs's node write racing a disk's copy of the block when
 * the bit was already clear at the first look (session 23, CUTH).
 */
static bool folio_writeback_ongoing(struct folio *folio)
{
	return __atomic_load_n(&folio->flags, __ATOMIC_ACQUIRE) & BIT(PG_writeback);
}

void folio_wait_writeback(struct folio *folio)
{
	while (folio_writeback_ongoing(folio)) {
		trace_folio_event("folio_wait_writeback", folio, folio_mapping(folio));
		folio_wait_bit_common(folio, PG_writeback, false);
	}
}

void folio_mark_uptodate(struct folio *folio)
{
	/* Contents first, then the flag: a reader that sees PG_uptodate
	 * sees the data (Linux's smp_wmb() in folio_mark_uptodate). */
	smp_mb();
	folio_set_uptodate(folio);
}

/* ---- batches ---- */

void folio_batch_release(struct folio_batch *fbatch)
{
	for (unsigned int i = 0; i < fbatch->nr; i++)
		folio_put(fbatch->folios[i]);
	folio_batch_reinit(fbatch);
}

/* ---- lookup, insertion, deletion ---- */

/*
 * Choose a node for a page that will be dirtied (Linux's __GFP_WRITE
 * spreading in get_page_from_freelist): walk the caller's zonelist (its
 * own node, then the others by distance) and take the first node under its
 * dirty limit; if none is, the caller's node anyway (the dirty throttle
 * will slow the writer down).
 */
static int filemap_write_node(void)
{
	int local = numa_node_id();
	pg_data_t *pgdat = NODE_DATA(local);
	unsigned int nr = num_online_nodes();

	for (unsigned int i = 0; i < nr; i++) {
		int nid = pgdat->zonelist[i];

		if (node_dirty_ok(NODE_DATA(nid)))
			return nid;
	}
	return local;
}

struct folio *filemap_alloc_folio(gfp_t gfp, bool for_write)
{
	int nid = for_write ? filemap_write_node() : NUMA_NO_NODE;
	struct page *page = alloc_pages(nid, 0, gfp);

	return page ? page_folio(page) : NULL;
}

int filemap_add_folio(struct address_space *mapping, struct folio *folio, pgoff_t index,
		      gfp_t gfp)
{
	unsigned long flags;
	bool locked_here;
	int err;

	/* Linux locks the new folio here; a caller may also hand it in
	 * locked (it is not visible to anyone else yet either way). */
	locked_here = !folio_test_set_locked(folio);
	folio_get(folio); /* the cache's reference (PC1) */
	folio->mapping = mapping;
	folio->index = index;

	xa_lock_irqsave(&mapping->i_pages, flags);
	err = __xa_insert(&mapping->i_pages, index, folio, gfp);
	if (err == -EBUSY)
		err = -EEXIST; /* Linux's code for "index taken" */
	if (!err) {
		WRITE_ONCE(mapping->nrpages, mapping->nrpages + 1);
		mod_node_page_state(folio_pgdat(folio), NR_FILE_PAGES, 1);
	}
	xa_unlock_irqrestore(&mapping->i_pages, flags);

	if (err) {
		folio->mapping = NULL;
		if (locked_here)
			folio_clear_locked(folio);
		folio_put(folio);
		return err;
	}
	folio_add_lru(folio);
	return 0;
}

/* Take @folio out of i_pages with its marks; xa_lock held. */
void __filemap_remove_folio(struct folio *folio, struct address_space *mapping)
{
	void *old = __xa_erase(&mapping->i_pages, folio->index);

	WARN_ON_ONCE(old != folio);
	folio->mapping = NULL;
	WRITE_ONCE(mapping->nrpages, mapping->nrpages - 1);
	mod_node_page_state(folio_pgdat(folio), NR_FILE_PAGES, -1);
}

void filemap_remove_folio(struct folio *folio)
{
	struct address_space *mapping = folio->mapping;
	unsigned long flags;

	WARN_ON_ONCE(!folio_test_locked(folio));
	WARN_ON_ONCE(folio_test_writeback(folio));
	if (!mapping)
		return;
	/* A dirty folio going away is cleaned first, so counters stay
	 * balanced (PC3); truncate does this itself, this catches others. */
	if (WARN_ON_ONCE(folio_test_dirty(folio)))
		folio_cancel_dirty(folio);
	xa_lock_irqsave(&mapping->i_pages, flags);
	__filemap_remove_folio(folio, mapping);
	xa_unlock_irqrestore(&mapping->i_pages, flags);
	folio_put(folio); /* the cache's reference */
}

/* The folio at @index with a reference, or NULL. */
static struct folio *filemap_get_entry(struct address_space *mapping, pgoff_t index)
{
	struct folio *folio;
	unsigned long flags;

	unsigned long i = index;

	xa_lock_irqsave(&mapping->i_pages, flags);
	folio = __xa_find(&mapping->i_pages, &i, index, XA_PRESENT);
	if (folio)
		folio_get(folio);
	xa_unlock_irqrestore(&mapping->i_pages, flags);
	return folio;
}

struct folio *__filemap_get_folio(struct address_space *mapping, pgoff_t index,
				  unsigned int fgp_flags, gfp_t gfp)
{
	struct folio *folio;
	int err;

repeat:
	folio = filemap_get_entry(mapping, index);
	if (folio) {
		if (fgp_flags & FGP_LOCK) {
			if (fgp_flags & FGP_NOWAIT) {
				if (!folio_trylock(folio)) {
					folio_put(folio);
					return ERR_PTR(-EAGAIN);
				}
			} else {
				folio_lock(folio);
			}
			/* Truncated while we slept? */
			if (unlikely(folio->mapping != mapping)) {
				folio_unlock(folio);
				folio_put(folio);
				goto repeat;
			}
		}
		if (fgp_flags & FGP_ACCESSED)
			folio_mark_accessed(folio);
		return folio;
	}
	if (!(fgp_flags & FGP_CREAT))
		return ERR_PTR(-ENOENT);

	folio = filemap_alloc_folio(gfp | mapping->gfp_mask, fgp_flags & FGP_WRITE);
	if (!folio)
		return ERR_PTR(-ENOMEM);
	err = filemap_add_folio(mapping, folio, index, gfp);
	if (err) {
		folio_put(folio);
		if (err == -EEXIST)
			goto repeat; /* somebody else added it */
		return ERR_PTR(err);
	}
	if (fgp_flags & FGP_ACCESSED)
		folio_mark_accessed(folio);
	if (!(fgp_flags & FGP_LOCK))
		folio_unlock(folio);
	return folio;
}

/*
 * Linux's find_get_entries loop for filemap_get_folios(_tag): a full batch
 * leaves *start just past its last folio; otherwise the range is done and
 * *start goes past @end (never wrapping to 0 when @end is the last index).
 */
static unsigned int filemap_get_folios_filter(struct address_space *mapping,
					      pgoff_t *start, pgoff_t end,
					      xa_mark_t filter,
					      struct folio_batch *fbatch)
{
	void *found[PAGEVEC_SIZE];
	unsigned int space = folio_batch_space(fbatch);
	unsigned long index = *start;
	unsigned long flags;
	unsigned int n = 0;

	if (*start <= end && space) {
		xa_lock_irqsave(&mapping->i_pages, flags);
		n = __xa_extract(&mapping->i_pages, found, &index, end, space, filter);
		for (unsigned int i = 0; i < n; i++) {
			folio_get(found[i]);
			folio_batch_add(fbatch, found[i]);
		}
		xa_unlock_irqrestore(&mapping->i_pages, flags);
	}
	if (n && n == space)
		*start = ((struct folio *)found[n - 1])->index + 1;
	else
		*start = end == (pgoff_t)-1 ? (pgoff_t)-1 : end + 1;
	return folio_batch_count(fbatch);
}

unsigned int filemap_get_folios_tag(struct address_space *mapping, pgoff_t *start,
				    pgoff_t end, xa_mark_t tag,
				    struct folio_batch *fbatch)
{
	return filemap_get_folios_filter(mapping, start, end, tag, fbatch);
}

unsigned int filemap_get_folios(struct address_space *mapping, pgoff_t *start,
				pgoff_t end, struct folio_batch *fbatch)
{
	return filemap_get_folios_filter(mapping, start, end, XA_PRESENT, fbatch);
}

/* ---- reads ---- */

int filemap_read_folio(struct file *file, struct address_space *mapping,
		       struct folio *folio)
{
	int err;

	if (!mapping->a_ops->read_folio) {
		folio_unlock(folio);
		return -EIO;
	}
	err = mapping->a_ops->read_folio(file, folio);
	if (err)
		return err;
	folio_wait_locked(folio);
	return folio_test_uptodate(folio) ? 0 : -EIO;
}

struct folio *read_mapping_folio(struct address_space *mapping, pgoff_t index,
				 struct file *file)
{
	struct folio *folio;
	int err;

	folio = __filemap_get_folio(mapping, index, FGP_CREAT | FGP_LOCK,
				    mapping->gfp_mask);
	if (IS_ERR(folio))
		return folio;
	if (folio_test_uptodate(folio)) {
		folio_unlock(folio);
		return folio;
	}
	err = filemap_read_folio(file, mapping, folio);
	if (err) {
		folio_put(folio);
		return ERR_PTR(err);
	}
	return folio;
}

/*
 * Get the folio at @index for a read: from the cache, after read-ahead
 * when it is missing or marked PG_readahead, locked and read when it is
 * not uptodate. Returns it referenced and uptodate, or ERR_PTR.
 */
static struct folio *filemap_get_read_folio(struct file *file, pgoff_t index,
					    pgoff_t last_index)
{
	struct address_space *mapping = file->f_mapping;
	struct file_ra_state *ra = &file->f_ra;
	struct folio *folio;
	int err;

	folio = filemap_get_folio(mapping, index);
	if (IS_ERR(folio)) {
		page_cache_sync_readahead(mapping, ra, file, index, last_index - index);
		folio = filemap_get_folio(mapping, index);
	}
	if (IS_ERR(folio)) {
		/* Read-ahead could not allocate: read this one alone. */
		return read_mapping_folio(mapping, index, file);
	}
	if (folio_test_readahead(folio))
		page_cache_async_readahead(mapping, ra, file, folio, index,
					   last_index - index);
	if (folio_test_uptodate(folio))
		return folio;

	/* Read-ahead started it, or it failed: wait, then read it alone. */
	folio_lock(folio);
	if (folio->mapping != mapping) { /* truncated meanwhile */
		folio_unlock(folio);
		folio_put(folio);
		return read_mapping_folio(mapping, index, file);
	}
	if (folio_test_uptodate(folio)) {
		folio_unlock(folio);
		return folio;
	}
	err = filemap_read_folio(file, mapping, folio);
	if (err) {
		folio_put(folio);
		return ERR_PTR(err);
	}
	return folio;
}

ssize_t_k filemap_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	struct inode *inode = file->f_mapping->host;
	size_t done = 0;
	int err = 0;

	if (*pos < 0)
		return -EINVAL;
	while (done < count) {
		loff_t isize = READ_ONCE(inode->i_size);
		loff_t p = *pos;
		pgoff_t index = p >> PAGE_SHIFT;
		size_t off = p & (PAGE_SIZE - 1);
		size_t left = count - done;
		struct folio *folio;
		pgoff_t last;
		size_t n;

		if (p >= isize)
			break;
		/* Never past i_size: also keeps p + left from overflowing. */
		if ((u64)left > (u64)(isize - p))
			left = isize - p;
		last = (p + left - 1) >> PAGE_SHIFT;
		n = min(PAGE_SIZE - off, left);
		folio = filemap_get_read_folio(file, index, last + 1);
		if (IS_ERR(folio)) {
			err = PTR_ERR(folio);
			break;
		}
		/*
		 * i_size again, now that the folio is uptodate (Linux): a
		 * truncate meanwhile zeroed its tail, which is not data.
		 */
		isize = READ_ONCE(inode->i_size);
		if (p >= isize) {
			folio_put(folio);
			break;
		}
		if ((u64)n > (u64)(isize - p))
			n = isize - p;
		folio_mark_accessed(folio);
		memcpy((char *)buf + done, (char *)folio_address(folio) + off, n);
		folio_put(folio);
		done += n;
		*pos += n;
		file->f_ra.prev_pos = *pos;
	}
	return done ? (ssize_t_k)done : err;
}

/* ---- buffered writes ---- */

int simple_write_begin(struct file *file, struct address_space *mapping, loff_t pos,
		       unsigned int len, struct folio **foliop, void **fsdata)
{
	pgoff_t index = pos >> PAGE_SHIFT;
	size_t off = pos & (PAGE_SIZE - 1);
	struct folio *folio;
	int err;

	folio = __filemap_get_folio(mapping, index, FGP_LOCK | FGP_CREAT | FGP_WRITE,
				    mapping->gfp_mask);
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	if (!folio_test_uptodate(folio) && len != PAGE_SIZE) {
		loff_t isize = READ_ONCE(mapping->host->i_size);

		if (folio_pos(folio) >= isize || !mapping->a_ops->read_folio) {
			/* Nothing on disk beyond EOF: zero what the write
			 * leaves (Linux's simple_write_begin). */
			memset(folio_address(folio), 0, off);
			memset((char *)folio_address(folio) + off + len, 0,
			       PAGE_SIZE - off - len);
		} else {
			err = filemap_read_folio(file, mapping, folio);
			if (err) {
				folio_put(folio);
				return err;
			}
			folio_lock(folio);
			if (folio->mapping != mapping) {
				folio_unlock(folio);
				folio_put(folio);
				return -EAGAIN;
			}
		}
	}
	*foliop = folio;
	return 0;
}

int simple_write_end(struct file *file, struct address_space *mapping, loff_t pos,
		     unsigned int len, unsigned int copied, struct folio *folio,
		     void *fsdata)
{
	struct inode *inode = folio->mapping->host;
	loff_t last_pos = pos + copied;

	/* simple_write_begin() zeroed or read what the write leaves out;
	 * a short copy zeroes its missing tail (Linux's simple_write_end). */
	if (!folio_test_uptodate(folio)) {
		if (copied < len) {
			size_t from = pos & (PAGE_SIZE - 1);

			memset((char *)folio_address(folio) + from + copied, 0,
			       len - copied);
		}
		folio_mark_uptodate(folio);
	}
	if (copied) {
		spin_lock(&inode->i_lock);
		if (last_pos > inode->i_size)
			i_size_write(inode, last_pos);
		spin_unlock(&inode->i_lock);
		folio_mark_dirty(folio);
	}
	folio_unlock(folio);
	folio_put(folio);
	return copied;
}

ssize_t_k generic_perform_write(struct file *file, const void *buf, size_t count,
				loff_t *pos)
{
	struct address_space *mapping = file->f_mapping;
	const struct address_space_operations *a_ops = mapping->a_ops;
	size_t written = 0;
	int err = 0;

	if (!a_ops->write_begin || !a_ops->write_end)
		return -EINVAL;
	while (written < count) {
		loff_t p = *pos;
		size_t off = p & (PAGE_SIZE - 1);
		unsigned int bytes = min(PAGE_SIZE - off, count - written);
		struct folio *folio;
		void *fsdata = NULL;
		int status;

		err = a_ops->write_begin(file, mapping, p, bytes, &folio, &fsdata);
		if (err == -EAGAIN)
			continue; /* truncated under us: look it up again */
		if (err)
			break;
		memcpy((char *)folio_address(folio) + off, (const char *)buf + written,
		       bytes);
		status = a_ops->write_end(file, mapping, p, bytes, bytes, folio, fsdata);
		if (status < 0) {
			err = status;
			break;
		}
		written += status;
		*pos += status;
		balance_dirty_pages_ratelimited(mapping);
		cond_resched();
		if (!status) {
			err = -EIO;
			break;
		}
	}
	return written ? (ssize_t_k)written : err;
}

/*
 * Linux's generic_file_write_iter() with a kernel buffer: under i_rwsem,
 * the checks (O_APPEND, EFBIG), mtime/ctime, the buffered write, then for
 * O_DSYNC/O_SYNC the range made durable. Context: process, may sleep.
 */
ssize_t_k generic_file_write(struct file *file, const void *buf, size_t count,
			     loff_t *pos)
{
	struct inode *inode = file->f_mapping->host;
	ssize_t_k ret;
	int err;

	inode_lock(inode);
	ret = generic_write_checks(file, pos, &count);
	if (!ret && count) {
		inode_touch_mctime(inode);
		ret = generic_perform_write(file, buf, count, pos);
	}
	inode_unlock(inode);
	if (ret > 0 && (file->f_flags & O_DSYNC)) {
		err = vfs_fsync_range(file, *pos - ret, *pos - 1,
				      (file->f_flags & O_SYNC) != O_SYNC);
		if (err)
			ret = err;
	}
	return ret;
}

/* ---- writing back and waiting on a range ---- */

void mapping_set_error(struct address_space *mapping, int error)
{
	if (likely(!error))
		return;
	/* For fsync through each file's errseq cursor. */
	errseq_set(&mapping->wb_err, error);
	/* The legacy bits, for filemap_check_errors() callers. */
	if (error == -ENOSPC)
		set_bit(AS_ENOSPC, &mapping->flags);
	else
		set_bit(AS_EIO, &mapping->flags);
}

int filemap_check_errors(struct address_space *mapping)
{
	int ret = 0;

	if (test_bit(AS_ENOSPC, &mapping->flags) &&
	    test_and_clear_bit(AS_ENOSPC, &mapping->flags))
		ret = -ENOSPC;
	if (test_bit(AS_EIO, &mapping->flags) &&
	    test_and_clear_bit(AS_EIO, &mapping->flags))
		ret = -EIO;
	return ret;
}

static int filemap_check_and_keep_errors(struct address_space *mapping)
{
	if (test_bit(AS_EIO, &mapping->flags))
		return -EIO;
	if (test_bit(AS_ENOSPC, &mapping->flags))
		return -ENOSPC;
	return 0;
}

/*
 * mapping_tagged() read under the xa_lock. Linux reads the root mark bits
 * locklessly; lib/xarray.c writes them with plain stores today (TSan sees
 * that race against a dirtying thread), so this file's callers that may
 * race with dirtying take the lock for the read.
 */
static bool mapping_tagged_locked(struct address_space *mapping, xa_mark_t tag)
{
	unsigned long flags;
	bool ret;

	xa_lock_irqsave(&mapping->i_pages, flags);
	ret = mapping_tagged(mapping, tag);
	xa_unlock_irqrestore(&mapping->i_pages, flags);
	return ret;
}

int filemap_fdatawrite_wbc(struct address_space *mapping, struct writeback_control *wbc)
{
	if (!mapping_can_writeback(mapping) ||
	    !mapping_tagged_locked(mapping, PAGECACHE_TAG_DIRTY))
		return 0;
	return do_writepages(mapping, wbc);
}

static int __filemap_fdatawrite_range(struct address_space *mapping, loff_t start,
				      loff_t end, enum writeback_sync_modes sync_mode)
{
	struct writeback_control wbc = {
		.sync_mode = sync_mode,
		.nr_to_write = LONG_MAX,
		.range_start = start,
		.range_end = end,
	};

	return filemap_fdatawrite_wbc(mapping, &wbc);
}

int filemap_fdatawrite_range(struct address_space *mapping, loff_t start, loff_t end)
{
	return __filemap_fdatawrite_range(mapping, start, end, WB_SYNC_ALL);
}

int filemap_fdatawrite(struct address_space *mapping)
{
	return __filemap_fdatawrite_range(mapping, 0, LLONG_MAX, WB_SYNC_ALL);
}

int filemap_flush(struct address_space *mapping)
{
	return __filemap_fdatawrite_range(mapping, 0, LLONG_MAX, WB_SYNC_NONE);
}

void __filemap_fdatawait_range(struct address_space *mapping, loff_t start_byte,
			       loff_t end_byte)
{
	pgoff_t index = start_byte >> PAGE_SHIFT;
	pgoff_t end = end_byte >> PAGE_SHIFT;
	struct folio_batch fbatch;

	if (end_byte < start_byte)
		return;
	folio_batch_init(&fbatch);
	while (index <= end) {
		unsigned int nr = filemap_get_folios_tag(
			mapping, &index, end, PAGECACHE_TAG_WRITEBACK, &fbatch);

		if (!nr)
			break;
		for (unsigned int i = 0; i < nr; i++)
			folio_wait_writeback(fbatch.folios[i]);
		folio_batch_release(&fbatch);
		cond_resched();
		if (index == 0) /* wrapped past the last index */
			break;
	}
}

int filemap_fdatawait_range(struct address_space *mapping, loff_t start, loff_t end)
{
	__filemap_fdatawait_range(mapping, start, end);
	return filemap_check_errors(mapping);
}

int filemap_fdatawait_range_keep_errors(struct address_space *mapping, loff_t start,
					loff_t end)
{
	__filemap_fdatawait_range(mapping, start, end);
	return filemap_check_and_keep_errors(mapping);
}

int filemap_write_and_wait_range(struct address_space *mapping, loff_t lstart,
				 loff_t lend)
{
	int err = 0, err2;

	if (lend < lstart)
		return 0;
	if (READ_ONCE(mapping->nrpages)) {
		err = __filemap_fdatawrite_range(mapping, lstart, lend, WB_SYNC_ALL);
		/* Partly written (-ENOSPC) is still waited for; -EIO may mean
		 * the worst, so Linux does not wait then. */
		if (err != -EIO)
			__filemap_fdatawait_range(mapping, lstart, lend);
	}
	err2 = filemap_check_errors(mapping);
	if (!err)
		err = err2;
	return err;
}

/* Serialises the advance of one file's cursor (Linux's file->f_lock). */
static DEFINE_SPINLOCK(file_wb_err_lock);

int file_check_and_advance_wb_err(struct file *file)
{
	struct address_space *mapping = file->f_mapping;
	errseq_t old = READ_ONCE(file->f_wb_err);
	int err = 0;

	/* Lockless common case: nothing new since this file last looked. */
	if (errseq_check(&mapping->wb_err, old)) {
		spin_lock(&file_wb_err_lock);
		err = errseq_check_and_advance(&mapping->wb_err, &file->f_wb_err);
		spin_unlock(&file_wb_err_lock);
	}
	/* This replaces filemap_check_errors(): clear the legacy bits as it
	 * would have. */
	clear_bit(AS_EIO, &mapping->flags);
	clear_bit(AS_ENOSPC, &mapping->flags);
	return err;
}

int file_write_and_wait_range(struct file *file, loff_t lstart, loff_t lend)
{
	struct address_space *mapping = file->f_mapping;
	int err = 0, err2;

	if (lend < lstart)
		return 0;
	if (READ_ONCE(mapping->nrpages)) {
		err = __filemap_fdatawrite_range(mapping, lstart, lend, WB_SYNC_ALL);
		if (err != -EIO)
			__filemap_fdatawait_range(mapping, lstart, lend);
	}
	err2 = file_check_and_advance_wb_err(file);
	if (!err)
		err = err2;
	return err;
}

/* ---- the checker ---- */

/*
 * Check PC1, PC2 and PC6 on a quiescent mapping (nobody dirtying or
 * writing it meanwhile: the flag and the mark change in two steps).
 * 0, or -EUCLEAN with one log line naming the invariant and the index.
 */
int filemap_check_mapping(struct address_space *mapping)
{
	struct xarray *xa = &mapping->i_pages;
	unsigned long index = 0, count = 0;
	unsigned long flags;
	struct folio *folio;
	int err = 0;

	xa_lock_irqsave(xa, flags);
	while ((folio = __xa_find(xa, &index, (unsigned long)-1, XA_PRESENT))) {
		count++;
		if (folio->mapping != mapping || folio->index != index ||
		    __atomic_load_n(&folio->refcount, __ATOMIC_RELAXED) < 1) {
			pr_err("pagecache: PC1 broken at index %lu\n", index);
			err = -EUCLEAN;
			break;
		}
		if (folio_test_dirty(folio) &&
		    !__xa_get_mark(xa, index, PAGECACHE_TAG_DIRTY)) {
			pr_err("pagecache: PC2 broken at index %lu\n", index);
			err = -EUCLEAN;
			break;
		}
		if (folio_test_writeback(folio) !=
		    __xa_get_mark(xa, index, PAGECACHE_TAG_WRITEBACK)) {
			pr_err("pagecache: PC6 broken at index %lu\n", index);
			err = -EUCLEAN;
			break;
		}
		if (index == (unsigned long)-1)
			break;
		index++;
	}
	if (!err && count != mapping->nrpages) {
		pr_err("pagecache: PC1 broken: nrpages %lu, %lu folios\n",
		       mapping->nrpages, count);
		err = -EUCLEAN;
	}
	xa_unlock_irqrestore(xa, flags);
	return err;
}
