/*
 * mm/page-writeback.c - the page-level half of writeback: dirtying and
 * cleaning folios with their tags and counters, starting and ending
 * writeback, the writeback iterator, and do_writepages() (Linux's
 * mm/page-writeback.c, the 6.9 shape the seed shows).
 *
 * Layer: mm. Used by: mm/filemap.c (write path, fsync), fs/fs-writeback.c
 * (the flusher calls do_writepages), block/bdev.c and file systems
 * (->writepages/->writepage implementations call writeback_iter() and
 * folio_start_writeback()/folio_end_writeback()).
 * Provides: do_writepages(), writeback_use_writepage(), writeback_iter(),
 * write_cache_pages(), tag_pages_for_writeback(), filemap_dirty_folio(),
 * folio_mark_dirty(), folio_redirty_for_writepage(),
 * folio_clear_dirty_for_io(), folio_cancel_dirty(),
 * __folio_start_writeback(), folio_end_writeback().
 * Not here: balance_dirty_pages(), thresholds and bandwidth estimation
 * (mm/dirty_throttle.c: Quire splits Linux's file), the flusher
 * (fs/fs-writeback.c).
 *
 * What moves together (docs/pagecache.md, PC2-PC4):
 *   mark dirty:      PG_dirty, DIRTY mark;   NR_FILE_DIRTY+ NR_DIRTIED+
 *                    WB_RECLAIMABLE+ WB_DIRTIED+ current->nr_dirtied+
 *   clear for I/O:   PG_dirty off (mark stays); NR_FILE_DIRTY- WB_RECLAIMABLE-
 *   start writeback: PG_writeback, WRITEBACK mark, DIRTY mark off if clean,
 *                    TOWRITE off unless keep_write; NR_WRITEBACK+ WB_WRITEBACK+
 *   end writeback:   PG_writeback off, WRITEBACK mark off; NR_WRITEBACK-
 *                    WB_WRITEBACK- WB_WRITTEN+ NR_WRITTEN+
 * The dirty counters move only for mappings that can write back
 * (BDI_CAP_WRITEBACK); the wb writeback counters only with
 * BDI_CAP_WRITEBACK_ACCT; NR_WRITEBACK/NR_WRITTEN always (Linux's rules).
 *
 * Locking: folio lock -> i_pages.xa_lock (irqsave) -> wb->work_lock.
 * folio_end_writeback() runs in interrupt context: it takes only the
 * xa_lock (irqsave), the folio wait queue lock and wb->work_lock
 * (irqsave), and queues the bandwidth work; nothing here sleeps in it.
 */
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/swap.h>
#include <quire/sched.h>
#include <quire/smp.h>
#include <quire/blkdev.h>
#include <quire/jiffies.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include <quire/trace.h>
#include <quire/printk.h>
#include "pagecache.h"

#ifndef BANDWIDTH_INTERVAL
#define BANDWIDTH_INTERVAL max_t_ul(HZ / 5, 1) /* 200 ms (Linux) */
#endif
static inline unsigned long max_t_ul(unsigned long a, unsigned long b)
{
	return a > b ? a : b;
}

/* Yield the CPU every this many entries while tagging (Linux's
 * XA_CHECK_SCHED). */
#define XA_CHECK_SCHED 4096

const char *bdi_trace_name(struct backing_dev_info *bdi, struct bdi_name *buf)
{
	if (!bdi || bdi == &noop_backing_dev_info || !bdi->dev)
		return "(unknown)";
	scnprintf(buf->s, sizeof(buf->s), "%u:%u", MAJOR(bdi->dev), MINOR(bdi->dev));
	return buf->s;
}

static void trace_wbc_writepage(struct writeback_control *wbc,
				struct backing_dev_info *bdi)
{
	struct bdi_name name;

	if (!trace_enabled())
		return;
	__trace_event("wbc_writepage",
		      "bdi %s: towrt=%ld skip=%ld mode=%d kupd=%d bgrd=%d reclm=%d "
		      "cyclic=%d start=0x%lx end=0x%lx cgroup_ino=%lu",
		      bdi_trace_name(bdi, &name), wbc->nr_to_write, wbc->pages_skipped,
		      (int)wbc->sync_mode, wbc->for_kupdate, wbc->for_background,
		      wbc->for_reclaim, wbc->range_cyclic,
		      (unsigned long)wbc->range_start, (unsigned long)wbc->range_end,
		      1ul);
}

/* ---- dirtying ---- */

/* Counters of a folio becoming dirty (Linux's folio_account_dirtied).
 * Called with the xa_lock held. */
static void folio_account_dirtied(struct folio *folio, struct address_space *mapping)
{
	struct inode *inode = mapping->host;
	struct bdi_writeback *wb;

	trace_folio_event("writeback_dirty_folio", folio, mapping);
	if (!mapping_can_writeback(mapping))
		return;
	wb = inode_to_wb(inode);
	mod_node_page_state(folio_pgdat(folio), NR_FILE_DIRTY, 1);
	mod_node_page_state(folio_pgdat(folio), NR_DIRTIED, 1);
	wb_stat_mod(wb, WB_RECLAIMABLE, 1);
	wb_stat_mod(wb, WB_DIRTIED, 1);
	current->nr_dirtied += 1;
}

/* Counters of a dirty folio cleaned without I/O (Linux's
 * folio_account_cleaned: truncation). */
static void folio_account_cleaned(struct folio *folio, struct bdi_writeback *wb)
{
	mod_node_page_state(folio_pgdat(folio), NR_FILE_DIRTY, -1);
	wb_stat_mod(wb, WB_RECLAIMABLE, -1);
}

/* PG_dirty is already set: the mark and counters (Linux's
 * __folio_mark_dirty). A folio truncated meanwhile gets neither. */
static void __folio_mark_dirty(struct folio *folio, struct address_space *mapping)
{
	unsigned long flags;

	xa_lock_irqsave(&mapping->i_pages, flags);
	if (folio->mapping) {
		WARN_ON_ONCE(!folio_test_uptodate(folio));
		folio_account_dirtied(folio, mapping);
		__xa_set_mark(&mapping->i_pages, folio->index, PAGECACHE_TAG_DIRTY);
	}
	xa_unlock_irqrestore(&mapping->i_pages, flags);
}

bool filemap_dirty_folio(struct address_space *mapping, struct folio *folio)
{
	if (folio_test_set_dirty(folio))
		return false;
	__folio_mark_dirty(folio, mapping);
	if (mapping->host)
		__mark_inode_dirty(mapping->host, I_DIRTY_PAGES);
	return true;
}

bool noop_dirty_folio(struct address_space *mapping, struct folio *folio)
{
	if (!folio_test_dirty(folio))
		return !folio_test_set_dirty(folio);
	return false;
}

bool folio_mark_dirty(struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);

	if (likely(mapping)) {
		/* PG_reclaim doubles as PG_readahead: a folio being written
		 * is neither about to be reclaimed nor a read-ahead marker. */
		if (folio_test_reclaim(folio))
			folio_clear_reclaim(folio);
		if (mapping->a_ops->dirty_folio)
			return mapping->a_ops->dirty_folio(mapping, folio);
		return filemap_dirty_folio(mapping, folio);
	}
	return !folio_test_set_dirty(folio);
}

bool folio_redirty_for_writepage(struct writeback_control *wbc, struct folio *folio)
{
	struct address_space *mapping = folio->mapping;
	bool ret;

	wbc->pages_skipped += 1;
	ret = filemap_dirty_folio(mapping, folio);
	if (mapping && mapping_can_writeback(mapping)) {
		struct bdi_writeback *wb = inode_to_wb(mapping->host);

		/* Not a new dirtying: undo what filemap_dirty_folio added. */
		current->nr_dirtied -= 1;
		mod_node_page_state(folio_pgdat(folio), NR_DIRTIED, -1);
		wb_stat_mod(wb, WB_DIRTIED, -1);
	}
	return ret;
}

bool folio_clear_dirty_for_io(struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);

	WARN_ON_ONCE(!folio_test_locked(folio));
	if (mapping && mapping_can_writeback(mapping)) {
		struct bdi_writeback *wb = inode_to_wb(mapping->host);

		/* The DIRTY mark stays until __folio_start_writeback(), so a
		 * tagged walk still finds the folio meanwhile (PC2). */
		if (folio_test_clear_dirty(folio)) {
			mod_node_page_state(folio_pgdat(folio), NR_FILE_DIRTY, -1);
			wb_stat_mod(wb, WB_RECLAIMABLE, -1);
			return true;
		}
		return false;
	}
	return folio_test_clear_dirty(folio);
}

void folio_cancel_dirty(struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);

	if (!folio_test_dirty(folio))
		return;
	if (mapping && mapping_can_writeback(mapping)) {
		if (folio_test_clear_dirty(folio))
			folio_account_cleaned(folio, inode_to_wb(mapping->host));
	} else {
		folio_clear_dirty(folio);
	}
}

/* ---- writeback state ---- */

static void wb_inode_writeback_start(struct bdi_writeback *wb)
{
	atomic_inc(&wb->writeback_inodes);
}

/* The last folio of an inode under writeback ended: one inode fewer, and
 * a bandwidth update soon (Linux's wb_inode_writeback_end). Context: any. */
static void wb_inode_writeback_end(struct bdi_writeback *wb)
{
	unsigned long flags;

	atomic_dec(&wb->writeback_inodes);
	spin_lock_irqsave(&wb->work_lock, flags);
	if (test_bit(WB_registered, &wb->state) && bdi_wq)
		queue_delayed_work(bdi_wq, &wb->bw_dwork, BANDWIDTH_INTERVAL);
	spin_unlock_irqrestore(&wb->work_lock, flags);
}

bool __folio_start_writeback(struct folio *folio, bool keep_write)
{
	struct address_space *mapping = folio_mapping(folio);
	unsigned long flags;
	bool ret;

	WARN_ON_ONCE(!folio_test_locked(folio));
	if (mapping) {
		struct inode *inode = mapping->host;
		struct backing_dev_info *bdi = inode_to_bdi(inode);
		bool on_wblist;

		xa_lock_irqsave(&mapping->i_pages, flags);
		ret = folio_test_set_writeback(folio);
		if (!ret) {
			on_wblist = mapping_tagged(mapping, PAGECACHE_TAG_WRITEBACK);
			__xa_set_mark(&mapping->i_pages, folio->index,
				      PAGECACHE_TAG_WRITEBACK);
			if (bdi_cap_account_writeback(bdi)) {
				struct bdi_writeback *wb = inode_to_wb(inode);

				wb_stat_mod(wb, WB_WRITEBACK, 1);
				if (!on_wblist)
					wb_inode_writeback_start(wb);
			}
		}
		if (!folio_test_dirty(folio))
			__xa_clear_mark(&mapping->i_pages, folio->index,
					PAGECACHE_TAG_DIRTY);
		if (!keep_write)
			__xa_clear_mark(&mapping->i_pages, folio->index,
					PAGECACHE_TAG_TOWRITE);
		xa_unlock_irqrestore(&mapping->i_pages, flags);
	} else {
		ret = folio_test_set_writeback(folio);
	}
	WARN_ON_ONCE(ret);
	if (!ret)
		mod_node_page_state(folio_pgdat(folio), NR_WRITEBACK, 1);
	return ret;
}

/* Clear PG_writeback and the mark with the counters; true if someone
 * waits on the folio (Linux's __folio_end_writeback). Context: any. */
static bool __folio_end_writeback(struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);
	unsigned long flags;
	bool ret;

	if (mapping) {
		struct inode *inode = mapping->host;
		struct backing_dev_info *bdi = inode_to_bdi(inode);

		xa_lock_irqsave(&mapping->i_pages, flags);
		ret = folio_test_clear_writeback(folio);
		__xa_clear_mark(&mapping->i_pages, folio->index, PAGECACHE_TAG_WRITEBACK);
		if (ret && bdi_cap_account_writeback(bdi)) {
			struct bdi_writeback *wb = inode_to_wb(inode);

			wb_stat_mod(wb, WB_WRITEBACK, -1);
			wb_stat_mod(wb, WB_WRITTEN, 1);
			__atomic_fetch_add(&wb->completions, 1, __ATOMIC_RELAXED);
			if (!mapping_tagged(mapping, PAGECACHE_TAG_WRITEBACK))
				wb_inode_writeback_end(wb);
		}
		xa_unlock_irqrestore(&mapping->i_pages, flags);
	} else {
		ret = folio_test_clear_writeback(folio);
	}
	if (WARN_ON_ONCE(!ret))
		return false;
	mod_node_page_state(folio_pgdat(folio), NR_WRITEBACK, -1);
	mod_node_page_state(folio_pgdat(folio), NR_WRITTEN, 1);
	smp_mb(); /* PG_writeback clear before PG_waiters is read (PC5) */
	return folio_test_waiters_flag(folio);
}

void folio_end_writeback(struct folio *folio)
{
	/*
	 * Reclaim asked for this folio while it was under writeback: move it
	 * to the tail of the inactive list so it is freed soon (Linux: a
	 * plain test and clear, not atomic; losing a rotation is harmless).
	 */
	if (folio_test_reclaim(folio)) {
		folio_clear_reclaim(folio);
		folio_rotate_reclaimable(folio);
	}
	/* Truncation may free the folio as soon as PG_writeback is clear:
	 * hold it across the wake-up and the reclaim accounting. */
	folio_get(folio);
	if (__folio_end_writeback(folio))
		folio_wake_bit(folio, PG_writeback);
	acct_reclaim_writeback(folio);
	folio_put(folio);
}

/* ---- the writeback iterator ---- */

static pgoff_t wbc_end(const struct writeback_control *wbc)
{
	if (wbc->range_cyclic)
		return (pgoff_t)-1;
	return wbc->range_end >> PAGE_SHIFT;
}

void tag_pages_for_writeback(struct address_space *mapping, pgoff_t start, pgoff_t end)
{
	struct xarray *xa = &mapping->i_pages;
	unsigned long index = start;
	unsigned int tagged = 0;
	unsigned long flags;

	xa_lock_irqsave(xa, flags);
	while (index <= end && __xa_find(xa, &index, end, PAGECACHE_TAG_DIRTY)) {
		__xa_set_mark(xa, index, PAGECACHE_TAG_TOWRITE);
		if (index == end)
			break;
		index++;
		if (++tagged % XA_CHECK_SCHED)
			continue;
		xa_unlock_irqrestore(xa, flags);
		cond_resched();
		xa_lock_irqsave(xa, flags);
	}
	xa_unlock_irqrestore(xa, flags);
}

/* May this locked folio be written now? (Linux's folio_prepare_writeback) */
static bool folio_prepare_writeback(struct address_space *mapping,
				    struct writeback_control *wbc, struct folio *folio)
{
	/* Truncated or invalidated: skip it even for integrity writeback;
	 * a new folio at the same index is not what was asked for. */
	if (unlikely(folio->mapping != mapping))
		return false;
	/* Somebody else wrote it for us. */
	if (!folio_test_dirty(folio))
		return false;
	if (folio_test_writeback(folio)) {
		if (wbc->sync_mode == WB_SYNC_NONE)
			return false;
		folio_wait_writeback(folio);
	}
	WARN_ON_ONCE(folio_test_writeback(folio));
	return folio_clear_dirty_for_io(folio);
}

static struct folio *writeback_get_folio(struct address_space *mapping,
					 struct writeback_control *wbc)
{
	struct folio *folio;

retry:
	folio = folio_batch_next(&wbc->fbatch);
	if (!folio) {
		folio_batch_release(&wbc->fbatch);
		cond_resched();
		filemap_get_folios_tag(mapping, &wbc->index, wbc_end(wbc),
				       wbc_to_tag(wbc), &wbc->fbatch);
		folio = folio_batch_next(&wbc->fbatch);
		if (!folio)
			return NULL;
	}
	folio_lock(folio);
	if (unlikely(!folio_prepare_writeback(mapping, wbc, folio))) {
		folio_unlock(folio);
		goto retry;
	}
	trace_wbc_writepage(wbc, inode_to_bdi(mapping->host));
	return folio;
}

struct folio *writeback_iter(struct address_space *mapping, struct writeback_control *wbc,
			     struct folio *folio, int *error)
{
	if (!folio) {
		folio_batch_init(&wbc->fbatch);
		wbc->saved_err = *error = 0;
		/* Cyclic writeback resumes where the last one stopped; a
		 * ranged one starts at its range. */
		if (wbc->range_cyclic)
			wbc->index = mapping->writeback_index;
		else
			wbc->index = wbc->range_start >> PAGE_SHIFT;
		/*
		 * Livelock avoidance: snapshot the dirty folios as TOWRITE
		 * first and write only those, so a task dirtying the file
		 * while we write cannot keep us going (PC4: only the code
		 * that clears DIRTY and starts I/O clears TOWRITE).
		 */
		if (wbc->sync_mode == WB_SYNC_ALL || wbc->tagged_writepages)
			tag_pages_for_writeback(mapping, wbc->index, wbc_end(wbc));
	} else {
		wbc->nr_to_write -= folio_nr_pages(folio);
		WARN_ON_ONCE(*error > 0);
		/*
		 * Integrity writeback goes through every tagged folio even
		 * past nr_to_write or an error, and returns the first error
		 * at the end; background writeback stops at either.
		 */
		if (wbc->sync_mode == WB_SYNC_ALL) {
			if (*error && !wbc->saved_err)
				wbc->saved_err = *error;
		} else {
			if (*error || wbc->nr_to_write <= 0)
				goto done;
		}
	}

	folio = writeback_get_folio(mapping, wbc);
	if (!folio) {
		/*
		 * End of the range. Cyclic writeback does not wrap around to
		 * index 0 within this call: folios are locked in ascending
		 * index order only, and a caller may hold earlier folios
		 * under writeback while it iterates.
		 */
		if (wbc->range_cyclic)
			mapping->writeback_index = 0;
		*error = wbc->saved_err;
	}
	return folio;

done:
	if (wbc->range_cyclic)
		mapping->writeback_index = folio->index + folio_nr_pages(folio);
	folio_batch_release(&wbc->fbatch);
	return NULL;
}

int write_cache_pages(struct address_space *mapping, struct writeback_control *wbc,
		      writepage_t writepage, void *data)
{
	struct folio *folio = NULL;
	int error;

	while ((folio = writeback_iter(mapping, wbc, folio, &error))) {
		error = writepage(folio, wbc, data);
		if (error == AOP_WRITEPAGE_ACTIVATE) {
			folio_unlock(folio);
			error = 0;
		}
	}
	return error;
}

/*
 * The legacy branch of do_writepages(): one ->writepage per folio inside a
 * block plug. Errors are recorded on the mapping as they happen (fsync
 * reports them); the last one is returned.
 */
static int writeback_use_writepage(struct address_space *mapping,
				   struct writeback_control *wbc)
{
	struct folio *folio = NULL;
	struct blk_plug plug;
	int err;

	blk_start_plug(&plug);
	while ((folio = writeback_iter(mapping, wbc, folio, &err))) {
		err = mapping->a_ops->writepage(&folio->page, wbc);
		if (err == AOP_WRITEPAGE_ACTIVATE) {
			folio_unlock(folio);
			err = 0;
		}
		mapping_set_error(mapping, err);
	}
	blk_finish_plug(&plug);
	return err;
}

int do_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	int ret;
	struct bdi_writeback *wb;

	if (wbc->nr_to_write <= 0)
		return 0;
	wb = inode_to_wb_wbc(mapping->host, wbc);
	wb_bandwidth_estimate_start(wb);
	while (1) {
		if (mapping->a_ops->writepages) {
			ret = mapping->a_ops->writepages(mapping, wbc);
		} else if (mapping->a_ops->writepage) {
			ret = writeback_use_writepage(mapping, wbc);
		} else {
			/* deal with chardevs and other special files */
			ret = 0;
		}
		if (ret != -ENOMEM || wbc->sync_mode != WB_SYNC_ALL)
			break;

		/*
		 * Lacking an allocation context or the locality or writeback
		 * state of any of the inode's pages, throttle based on
		 * writeback activity on the local node. It's as good a
		 * guess as any.
		 */
		reclaim_throttle(NODE_DATA(numa_node_id()), VMSCAN_THROTTLE_WRITEBACK);
	}
	/*
	 * Usually few pages are written by now from those just submitted,
	 * but with constant writeback this keeps the bandwidth estimate
	 * moving once in a while.
	 */
	if (time_is_before_jiffies(READ_ONCE(wb->bw_time_stamp) + BANDWIDTH_INTERVAL))
		wb_update_bandwidth(wb);
	return ret;
}
