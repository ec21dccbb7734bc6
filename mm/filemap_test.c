/*
 * mm/filemap_test.c - KTAP suite "pagecache": the page cache core on a
 * RAM-backed test address space (mm/filemap.c, mm/page-writeback.c,
 * mm/readahead.c, mm/truncate.c, fs/inode.c).
 *
 * The test address space ("pct") keeps its backing store in pages of its
 * own; its ->writepages and ->writepage copy a folio there and end its
 * writeback at once or later from a workqueue (p->async), and fail the
 * indices a case asks to (-EIO, -ENOSPC, -ENOMEM). Every case checks at
 * the end that the node counters moved exactly by the pages the mapping
 * holds (pct_check_counters: NR_FILE_PAGES, NR_FILE_DIRTY, NR_WRITEBACK
 * and the wb's WB_RECLAIMABLE/WB_WRITEBACK against the folios' flags);
 * each case syncs before it takes the counters' base, so no other file
 * system's writeback moves them meanwhile.
 */
#include <quire/ktest.h>
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/workqueue.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/sched.h>
#include <quire/errno.h>
#include <quire/timer.h>
#include <quire/jiffies.h>
#include <quire/fs.h>
#include <arch/cpu.h>
#include "pagecache.h"

#define PCT_MAX_WRITES	1024
#define PCT_STORE_ORDER 6 /* 64 pages of backing store */
#define PCT_STORE_PAGES (1ul << PCT_STORE_ORDER)
#define PCT_MAX_FAILS	4
#define PCT_ASYNC_MAX	256

struct pct {
	struct super_block sb;
	struct backing_dev_info *bdi;
	struct inode *inode;
	struct address_space *mapping;
	struct page *store; /* the "disk": PCT_STORE_PAGES pages */

	/* behaviour */
	bool async; /* end writeback from the workqueue */
	int nfail;
	pgoff_t fail_index[PCT_MAX_FAILS];
	int fail_err[PCT_MAX_FAILS];
	int enomem_left;		/* ->writepages returns -ENOMEM this often */
	pgoff_t dirty_ahead;		/* writing page i dirties page i + this */
	pgoff_t dirty_ahead_limit;	/* ... if below this */
	struct folio *wait_for_waiters; /* see sync_all_waits_for_writeback */

	/* what happened */
	int writepages_calls;
	int writepage_calls;
	int nwritten;
	pgoff_t written[PCT_MAX_WRITES];
	pgoff_t fail_read;	 /* ->read_folio fails this index + 1 */
	loff_t truncate_in_read; /* ->read_folio then truncates to this - 1 */
	int readahead_calls;	 /* ->readahead: calls, last batch */
	pgoff_t ra_first;
	unsigned int ra_count, ra_take;
	int nreads;
	pgoff_t reads[PCT_MAX_WRITES];
	bool saw_writeback_at_write; /* a folio handed out under writeback */

	/* async completions */
	spinlock_t lock;
	struct folio *pending[PCT_ASYNC_MAX];
	int npending;
	struct workqueue_struct *wq;
	struct work_struct work;
	bool irq_completion; /* end writeback from a timer instead */
	struct timer_list timer;

	/* counters at creation */
	unsigned long base_pages, base_dirty, base_writeback;
};

static unsigned int pct_seq;

static char *pct_store_addr(struct pct *p, pgoff_t index)
{
	return (char *)page_address(p->store) + index * PAGE_SIZE;
}

static int pct_injected(struct pct *p, pgoff_t index)
{
	for (int i = 0; i < p->nfail; i++)
		if (p->fail_index[i] == index)
			return p->fail_err[i];
	return 0;
}

static void pct_end_io(struct pct *p, struct folio *folio, int err)
{
	if (err)
		mapping_set_error(p->mapping, err);
	folio_end_writeback(folio);
	folio_put(folio);
}

static void pct_workfn(struct work_struct *work)
{
	struct pct *p = container_of(work, struct pct, work);
	unsigned long flags;

	for (;;) {
		struct folio *folio = NULL;

		spin_lock_irqsave(&p->lock, flags);
		if (p->npending)
			folio = p->pending[--p->npending];
		spin_unlock_irqrestore(&p->lock, flags);
		if (!folio)
			break;
		pct_end_io(p, folio, 0);
	}
}

/* Bio completion's context: the timer runs in hard-interrupt context. */
static void pct_timer_fn(struct timer_list *timer)
{
	struct pct *p = from_timer(p, timer, timer);

	pct_workfn(&p->work);
}

static void pct_dirty_page(struct pct *p, pgoff_t index, char fill);

/* Write one locked folio whose dirty bit writeback_iter() cleared. */
static int pct_write_folio(struct pct *p, struct folio *folio)
{
	int err = pct_injected(p, folio->index);
	unsigned long flags;
	bool queued = false;

	if (folio_test_writeback(folio))
		p->saw_writeback_at_write = true;
	folio_start_writeback(folio);
	folio_unlock(folio);
	folio_get(folio);
	if (p->nwritten < PCT_MAX_WRITES)
		p->written[p->nwritten] = folio->index;
	p->nwritten++;
	if (!err && folio->index < PCT_STORE_PAGES)
		memcpy(pct_store_addr(p, folio->index), folio_address(folio), PAGE_SIZE);
	if (p->dirty_ahead && folio->index + p->dirty_ahead < p->dirty_ahead_limit)
		pct_dirty_page(p, folio->index + p->dirty_ahead, 'a');
	if (p->async && !err) {
		spin_lock_irqsave(&p->lock, flags);
		if (p->npending < PCT_ASYNC_MAX) {
			p->pending[p->npending++] = folio;
			queued = true;
		}
		spin_unlock_irqrestore(&p->lock, flags);
		if (queued && p->irq_completion)
			mod_timer(&p->timer, jiffies + 1);
		else if (queued)
			queue_work(p->wq, &p->work);
	}
	if (!queued)
		pct_end_io(p, folio, err);
	return err;
}

static int pct_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct pct *p = mapping->private_data;
	struct folio *folio = NULL;
	int err;

	p->writepages_calls++;
	if (p->enomem_left) {
		p->enomem_left--;
		return -ENOMEM;
	}
	while ((folio = writeback_iter(mapping, wbc, folio, &err)))
		err = pct_write_folio(p, folio);
	return err;
}

static int pct_writepage(struct page *page, struct writeback_control *wbc)
{
	struct folio *folio = page_folio(page);
	struct pct *p = folio->mapping->private_data;

	p->writepage_calls++;
	return pct_write_folio(p, folio);
}

static int pct_read_folio(struct file *file, struct folio *folio)
{
	struct pct *p = folio->mapping->private_data;

	if (p->nreads < PCT_MAX_WRITES)
		p->reads[p->nreads] = folio->index;
	p->nreads++;
	if (p->fail_read && folio->index + 1 == p->fail_read) {
		/* A failed read: unlocked, not uptodate, -EIO (Linux's
		 * contract: ->read_folio unlocks even on error). */
		folio_unlock(folio);
		return -EIO;
	}
	if (folio->index < PCT_STORE_PAGES)
		memcpy(folio_address(folio), pct_store_addr(p, folio->index), PAGE_SIZE);
	else
		memset(folio_address(folio), 0, PAGE_SIZE);
	folio_mark_uptodate(folio);
	folio_unlock(folio);
	if (p->truncate_in_read) {
		/* A truncate on another CPU, landing once the read ended. */
		loff_t size = p->truncate_in_read - 1;

		p->truncate_in_read = 0;
		truncate_setsize(p->inode, size);
	}
	return 0;
}

/* ->readahead: read the batch's folios (at most ra_take of them when
 * set: the rest are left for read_pages() to drop). */
static void pct_readahead(struct readahead_control *rac)
{
	struct pct *p = rac->mapping->private_data;
	struct folio *folio;
	unsigned int taken = 0;

	p->readahead_calls++;
	p->ra_first = readahead_index(rac);
	p->ra_count = readahead_count(rac);
	while ((!p->ra_take || taken < p->ra_take) && (folio = readahead_folio(rac))) {
		taken++;
		pct_read_folio(rac->file, folio);
	}
}

static const struct address_space_operations pct_aops_readahead = {
	.writepages = pct_writepages,
	.read_folio = pct_read_folio,
	.readahead = pct_readahead,
};

static const struct address_space_operations pct_aops_writepages = {
	.writepages = pct_writepages,
	.read_folio = pct_read_folio,
	.write_begin = simple_write_begin,
	.write_end = simple_write_end,
};

static const struct address_space_operations pct_aops_writepage = {
	.writepage = pct_writepage,
	.read_folio = pct_read_folio,
	.write_begin = simple_write_begin,
	.write_end = simple_write_end,
};

/* A character device's: nothing to write back with. */
static const struct address_space_operations pct_aops_none = {
	.read_folio = pct_read_folio,
	.write_begin = simple_write_begin,
	.write_end = simple_write_end,
};

static const struct file_operations pct_fops = {
	.fsync = generic_file_fsync_nometa,
};

static struct pct *pct_new(struct ktest *t, const struct address_space_operations *aops)
{
	struct pct *p = kzalloc(sizeof(*p), GFP_KERNEL);

	KTEST_ASSERT_NOT_NULL(t, p);
	t->priv = p;
	spin_lock_init(&p->lock);
	INIT_WORK(&p->work, pct_workfn);
	timer_setup(&p->timer, pct_timer_fn, 0);
	p->wq = alloc_workqueue("pct", WQ_UNBOUND, 1);
	KTEST_ASSERT_NOT_NULL(t, p->wq);
	p->store = alloc_pages(NUMA_NO_NODE, PCT_STORE_ORDER, __GFP_ZERO);
	KTEST_ASSERT_NOT_NULL(t, p->store);
	p->bdi = bdi_alloc(NUMA_NO_NODE);
	KTEST_ASSERT_NOT_NULL(t, p->bdi);
	KTEST_ASSERT_EQ(t, bdi_register(p->bdi, "pctest", MKDEV(250, ++pct_seq)), 0);

	strscpy_len(p->sb.s_id, "pctest", sizeof(p->sb.s_id));
	p->sb.s_bdi = p->bdi;
	spin_lock_init(&p->sb.s_inode_list_lock);
	INIT_LIST_HEAD(&p->sb.s_inodes);
	init_rwsem(&p->sb.s_umount);

	/* The node counters are global: another file system's dirty pages
	 * written back by the flusher during the case (an earlier suite's,
	 * kupdate 30 s later) would move them. sync first, so nothing but
	 * this mapping is dirty or under writeback while the case runs. */
	ksys_sync();
	p->base_pages = global_node_page_state(NR_FILE_PAGES);
	p->base_dirty = global_node_page_state(NR_FILE_DIRTY);
	p->base_writeback = global_node_page_state(NR_WRITEBACK);

	p->inode = new_inode(&p->sb);
	KTEST_ASSERT_NOT_NULL(t, p->inode);
	p->inode->i_mode = S_IFREG;
	p->inode->i_fop = &pct_fops;
	p->mapping = p->inode->i_mapping;
	p->mapping->a_ops = aops;
	p->mapping->private_data = p;
	return p;
}

/* Node and wb counters against the folios' flags (PC3). */
static void pct_check_counters(struct ktest *t, struct pct *p)
{
	struct folio_batch fbatch;
	pgoff_t index = 0;
	unsigned long pages = 0, dirty = 0, writeback = 0;
	struct bdi_writeback *wb = &p->bdi->wb;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(p->mapping, &index, (pgoff_t)-1, &fbatch)) {
		for (unsigned int i = 0; i < fbatch.nr; i++) {
			struct folio *folio = fbatch.folios[i];

			pages++;
			dirty += folio_test_dirty(folio);
			writeback += folio_test_writeback(folio);
			/* PC2: a dirty folio carries the DIRTY mark. */
			KTEST_EXPECT_TRUE(t, !folio_test_dirty(folio) ||
						     xa_get_mark(&p->mapping->i_pages,
								 folio->index,
								 PAGECACHE_TAG_DIRTY));
			KTEST_EXPECT_EQ(t, folio_test_writeback(folio),
					xa_get_mark(&p->mapping->i_pages, folio->index,
						    PAGECACHE_TAG_WRITEBACK));
		}
		folio_batch_release(&fbatch);
	}
	KTEST_EXPECT_EQ(t, p->mapping->nrpages, pages);
	KTEST_EXPECT_EQ(t, global_node_page_state(NR_FILE_PAGES) - p->base_pages, pages);
	KTEST_EXPECT_EQ(t, global_node_page_state(NR_FILE_DIRTY) - p->base_dirty, dirty);
	KTEST_EXPECT_EQ(t, global_node_page_state(NR_WRITEBACK) - p->base_writeback,
			writeback);
	KTEST_EXPECT_EQ(t, wb_stat_sum(wb, WB_RECLAIMABLE), dirty);
	KTEST_EXPECT_EQ(t, wb_stat_sum(wb, WB_WRITEBACK), writeback);
	KTEST_EXPECT_EQ(t, xa_check(&p->mapping->i_pages), 0);
	KTEST_EXPECT_EQ(t, filemap_check_mapping(p->mapping), 0);
}

static int pct_npending(struct pct *p)
{
	unsigned long flags;
	int n;

	spin_lock_irqsave(&p->lock, flags);
	n = p->npending;
	spin_unlock_irqrestore(&p->lock, flags);
	return n;
}

static void pct_wait_async(struct pct *p)
{
	if (p->irq_completion) {
		/* A timer armed while one ran may be pending: wait for all. */
		while (pct_npending(p) || timer_pending(&p->timer))
			schedule_timeout_uninterruptible(1);
		del_timer_sync(&p->timer);
	}
	flush_work(&p->work);
	flush_workqueue(p->wq);
}

static int pct_init(struct ktest *t)
{
	t->priv = NULL;
	return 0;
}

/* After each case: counters, then everything goes (iput evicts). */
static void pct_exit(struct ktest *t)
{
	struct pct *p = t->priv;

	if (!p)
		return;
	if (p->wq)
		pct_wait_async(p);
	if (p->inode) {
		pct_check_counters(t, p);
		filemap_write_and_wait_range(p->mapping, 0, LLONG_MAX);
		pct_wait_async(p);
		p->nfail = 0;
		iput(p->inode);
		KTEST_EXPECT_EQ(t, global_node_page_state(NR_FILE_PAGES), p->base_pages);
		KTEST_EXPECT_EQ(t, global_node_page_state(NR_FILE_DIRTY), p->base_dirty);
		KTEST_EXPECT_EQ(t, global_node_page_state(NR_WRITEBACK),
				p->base_writeback);
	}
	if (p->bdi) {
		bdi_unregister(p->bdi);
		bdi_put(p->bdi);
	}
	if (p->wq)
		destroy_workqueue(p->wq);
	if (p->store)
		__free_pages(p->store, PCT_STORE_ORDER);
	kfree(p);
	t->priv = NULL;
}

/* Put @fill in page @index of the file and mark it dirty. */
static void pct_dirty_page(struct pct *p, pgoff_t index, char fill)
{
	struct folio *folio = __filemap_get_folio(p->mapping, index,
						  FGP_LOCK | FGP_CREAT | FGP_WRITE, 0);

	if (IS_ERR(folio))
		return;
	memset(folio_address(folio), fill, PAGE_SIZE);
	folio_mark_uptodate(folio);
	folio_mark_dirty(folio);
	spin_lock(&p->inode->i_lock);
	if (p->inode->i_size < (loff_t)(index + 1) * PAGE_SIZE)
		p->inode->i_size = (loff_t)(index + 1) * PAGE_SIZE;
	spin_unlock(&p->inode->i_lock);
	folio_unlock(folio);
	folio_put(folio);
}

static void pct_dirty_range(struct pct *p, pgoff_t first, pgoff_t n, char fill)
{
	for (pgoff_t i = first; i < first + n; i++)
		pct_dirty_page(p, i, fill);
}

static bool pct_page_dirty(struct pct *p, pgoff_t index)
{
	struct folio *folio = filemap_get_folio(p->mapping, index);
	bool dirty;

	if (IS_ERR(folio))
		return false;
	dirty = folio_test_dirty(folio);
	folio_put(folio);
	return dirty;
}

static int pct_times_written(struct pct *p, pgoff_t index)
{
	int n = 0;

	for (int i = 0; i < p->nwritten && i < PCT_MAX_WRITES; i++)
		n += p->written[i] == index;
	return n;
}

static struct writeback_control pct_wbc(enum writeback_sync_modes mode, long nr)
{
	struct writeback_control wbc = {
		.sync_mode = mode,
		.nr_to_write = nr,
		.range_start = 0,
		.range_end = LLONG_MAX,
	};

	return wbc;
}

/* ---- do_writepages: its three branches ---- */

static void do_writepages_calls_writepages(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct writeback_control wbc = pct_wbc(WB_SYNC_ALL, LONG_MAX);

	pct_dirty_range(p, 0, 8, 'x');
	pct_check_counters(t, p);
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->writepages_calls, 1);
	KTEST_EXPECT_EQ(t, p->writepage_calls, 0);
	KTEST_EXPECT_EQ(t, p->nwritten, 8);
	KTEST_EXPECT_FALSE(t, mapping_tagged(p->mapping, PAGECACHE_TAG_DIRTY));
	KTEST_EXPECT_FALSE(t, mapping_tagged(p->mapping, PAGECACHE_TAG_TOWRITE));
	KTEST_EXPECT_EQ(t, pct_store_addr(p, 7)[100], 'x');
	pct_check_counters(t, p);
}

static void do_writepages_writepage_only_uses_writeback_use_writepage(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepage);
	struct writeback_control wbc = pct_wbc(WB_SYNC_ALL, LONG_MAX);

	p->async = true;
	pct_dirty_range(p, 0, 8, 'y');
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->writepages_calls, 0);
	KTEST_EXPECT_EQ(t, p->writepage_calls, 8);
	KTEST_EXPECT_EQ(t, wbc.nr_to_write, LONG_MAX - 8);
	pct_wait_async(p);
	KTEST_EXPECT_FALSE(t, mapping_tagged(p->mapping, PAGECACHE_TAG_WRITEBACK));
	KTEST_EXPECT_EQ(t, pct_store_addr(p, 3)[0], 'y');
	pct_check_counters(t, p);
}

static void do_writepages_neither_returns_0_writes_nothing(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_none);
	struct writeback_control wbc = pct_wbc(WB_SYNC_ALL, LONG_MAX);

	pct_dirty_range(p, 0, 4, 'z');
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->nwritten, 0);
	KTEST_EXPECT_EQ(t, wbc.nr_to_write, LONG_MAX);
	KTEST_EXPECT_TRUE(t, pct_page_dirty(p, 0));
	KTEST_EXPECT_TRUE(t, mapping_tagged(p->mapping, PAGECACHE_TAG_DIRTY));
	pct_check_counters(t, p);
	/* Clean up by truncation: there is no way to write these. */
	truncate_inode_pages(p->mapping, 0);
	pct_check_counters(t, p);
}

static void do_writepages_nr_to_write_zero_returns_0(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct writeback_control wbc = pct_wbc(WB_SYNC_ALL, 0);

	pct_dirty_range(p, 0, 4, 'q');
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	wbc.nr_to_write = -3;
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->writepages_calls, 0);
	KTEST_EXPECT_EQ(t, p->nwritten, 0);
	KTEST_EXPECT_TRUE(t, pct_page_dirty(p, 2));
	pct_check_counters(t, p);
}

static void do_writepages_enomem_retries_only_for_sync_all(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct writeback_control wbc = pct_wbc(WB_SYNC_NONE, LONG_MAX);

	pct_dirty_range(p, 0, 2, 'm');
	p->enomem_left = 2;
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), -ENOMEM);
	KTEST_EXPECT_EQ(t, p->writepages_calls, 1);
	wbc = pct_wbc(WB_SYNC_ALL, LONG_MAX);
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->writepages_calls, 3); /* one -ENOMEM left, retried */
	KTEST_EXPECT_EQ(t, p->nwritten, 2);
	pct_check_counters(t, p);
}

/* Case: end writeback from interrupt context, as bio completion does;
 * lockdep checks every lock folio_end_writeback takes is irq-safe. */
static void end_writeback_in_interrupt_context(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct file *f;

	p->async = true;
	p->irq_completion = true;
	pct_dirty_range(p, 0, 12, 'r');
	f = file_open_inode(p->inode, O_RDWR);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, f);
	KTEST_EXPECT_EQ(t, vfs_fsync(f, 0), 0); /* waits on the timer's ends */
	KTEST_EXPECT_FALSE(t, mapping_tagged(p->mapping, PAGECACHE_TAG_WRITEBACK));
	KTEST_EXPECT_EQ(t, p->nwritten, 12);
	KTEST_EXPECT_EQ(t, atomic_read(&p->bdi->wb.writeback_inodes), 0);
	fput(f);
	pct_wait_async(p);
	pct_check_counters(t, p);
}

/* ---- writeback_iter: tags, modes, ranges ---- */

struct dirtier {
	struct pct *p;
	pgoff_t npages;
	unsigned long rounds;
};

static int dirtier_fn(void *data)
{
	struct dirtier *d = data;

	while (!kthread_should_stop()) {
		pct_dirty_page(d->p, d->rounds % d->npages, 'd');
		WRITE_ONCE(d->rounds, d->rounds + 1);
		cond_resched();
	}
	return 0;
}

/* An fsync while another thread keeps dirtying the file ends, and writes
 * each page at most once: it writes only the TOWRITE snapshot. */
static void fsync_of_file_being_dirtied_terminates(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct dirtier d = {.p = p, .npages = 16};
	struct task_struct *k;
	struct file *f;

	pct_dirty_range(p, 0, 16, 'a');
	f = file_open_inode(p->inode, O_RDWR);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, f);
	k = kthread_run(dirtier_fn, &d, "pct-dirtier");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	while (!READ_ONCE(d.rounds)) /* it runs before the first fsync */
		schedule_timeout_uninterruptible(1);
	for (int round = 0; round < 5; round++) {
		p->nwritten = 0;
		KTEST_EXPECT_EQ(t, vfs_fsync(f, 0), 0);
		KTEST_EXPECT_LE(t, p->nwritten, 16);
		for (pgoff_t i = 0; i < 16; i++)
			KTEST_EXPECT_LE(t, pct_times_written(p, i), 1);
	}
	kthread_stop(k);
	fput(f);
	pct_check_counters(t, p);
}

/*
 * The livelock TOWRITE prevents: a writer that keeps 40 dirty pages ahead
 * of writeback (writing page i dirties page i + 40). A DIRTY-tag walk
 * (WB_SYNC_NONE, untagged) always finds a full batch ahead and stops only
 * at nr_to_write (200 here; unbounded it would run as long as the writer);
 * the WB_SYNC_ALL walk writes the 40 pages dirty when it began, and ends.
 */
static void dirty_tag_walk_would_not_stop_towrite_does(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct writeback_control wbc = pct_wbc(WB_SYNC_NONE, 200);

	p->dirty_ahead = 40;
	p->dirty_ahead_limit = 1000;
	pct_dirty_range(p, 0, 40, 'n');
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->nwritten, 200); /* stopped only by the budget */
	KTEST_EXPECT_EQ(t, wbc.nr_to_write, 0);
	KTEST_EXPECT_TRUE(t, pct_page_dirty(p, 239));

	truncate_inode_pages(p->mapping, 0);
	p->nwritten = 0;
	pct_dirty_range(p, 0, 40, 'n');
	wbc = pct_wbc(WB_SYNC_ALL, 200);
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->nwritten, 40); /* the snapshot, then done */
	KTEST_EXPECT_EQ(t, wbc.nr_to_write, 160);
	KTEST_EXPECT_TRUE(t, pct_page_dirty(p, 40)); /* dirtied behind it */
	KTEST_EXPECT_TRUE(t, pct_page_dirty(p, 79));
	p->dirty_ahead = 0;
	truncate_inode_pages(p->mapping, 0);
	pct_check_counters(t, p);
}

/* Put page @index under writeback and dirty it again, as a page being
 * rewritten while its previous write is in flight. */
static struct folio *pct_start_writeback_and_redirty(struct pct *p, pgoff_t index)
{
	struct folio *folio = __filemap_get_folio(p->mapping, index, FGP_LOCK, 0);

	if (IS_ERR(folio))
		return NULL;
	folio_clear_dirty_for_io(folio);
	folio_start_writeback(folio);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	return folio; /* referenced */
}

struct ender {
	struct folio *folio;
	bool saw_waiter;
};

/* End the folio's writeback once somebody sleeps on it. */
static int ender_fn(void *data)
{
	struct ender *e = data;

	while (!folio_test_waiters_flag(e->folio) && !kthread_should_stop())
		schedule_timeout_uninterruptible(1);
	e->saw_waiter = folio_test_waiters_flag(e->folio);
	folio_end_writeback(e->folio);
	while (!kthread_should_stop())
		schedule_timeout_uninterruptible(1);
	return 0;
}

static void sync_all_waits_for_writeback_sync_none_skips(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct writeback_control wbc = pct_wbc(WB_SYNC_NONE, LONG_MAX);
	struct ender e = {0};
	struct task_struct *k;
	struct folio *folio;

	pct_dirty_range(p, 0, 4, 'w');
	folio = pct_start_writeback_and_redirty(p, 2);
	KTEST_ASSERT_NOT_NULL(t, folio);
	pct_check_counters(t, p);

	/* WB_SYNC_NONE: page 2 is under writeback, so it is skipped. */
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->nwritten, 3);
	KTEST_EXPECT_EQ(t, pct_times_written(p, 2), 0);
	KTEST_EXPECT_TRUE(t, folio_test_dirty(folio));
	KTEST_EXPECT_TRUE(t, folio_test_writeback(folio));

	/* WB_SYNC_ALL: waits until the writeback ends, then writes it. */
	e.folio = folio;
	k = kthread_run(ender_fn, &e, "pct-ender");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	wbc = pct_wbc(WB_SYNC_ALL, LONG_MAX);
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	kthread_stop(k);
	KTEST_EXPECT_TRUE(t, e.saw_waiter);
	KTEST_EXPECT_FALSE(t, p->saw_writeback_at_write);
	KTEST_EXPECT_EQ(t, pct_times_written(p, 2), 1);
	KTEST_EXPECT_FALSE(t, folio_test_dirty(folio));
	KTEST_EXPECT_FALSE(t, folio_test_waiters_flag(folio));
	folio_put(folio);
	pct_check_counters(t, p);
}

static void nr_to_write_is_honoured(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct writeback_control wbc = pct_wbc(WB_SYNC_NONE, 5);

	pct_dirty_range(p, 0, 20, 'h');
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->nwritten, 5);
	KTEST_EXPECT_EQ(t, wbc.nr_to_write, 0);
	for (pgoff_t i = 0; i < 5; i++)
		KTEST_EXPECT_FALSE(t, pct_page_dirty(p, i));
	KTEST_EXPECT_TRUE(t, pct_page_dirty(p, 5));
	pct_check_counters(t, p);
}

static void range_cyclic_resumes_and_never_wraps(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct writeback_control wbc = pct_wbc(WB_SYNC_NONE, 5);

	wbc.range_cyclic = 1;
	pct_dirty_range(p, 0, 20, 'c');
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->mapping->writeback_index, 5);
	KTEST_EXPECT_EQ(t, p->written[0], 0);
	KTEST_EXPECT_EQ(t, p->written[4], 4);

	wbc.nr_to_write = 5;
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->written[5], 5); /* resumed */
	KTEST_EXPECT_EQ(t, p->written[9], 9);
	KTEST_EXPECT_EQ(t, p->mapping->writeback_index, 10);

	/* Pages 0-2 dirty again behind writeback_index: a call with a big
	 * budget writes 10..19 and stops at the end, without wrapping. */
	pct_dirty_range(p, 0, 3, 'C');
	p->nwritten = 0;
	wbc.nr_to_write = 100;
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->nwritten, 10);
	KTEST_EXPECT_EQ(t, p->written[0], 10);
	KTEST_EXPECT_EQ(t, pct_times_written(p, 0), 0);
	KTEST_EXPECT_EQ(t, p->mapping->writeback_index, 0);
	KTEST_EXPECT_TRUE(t, pct_page_dirty(p, 0));
	/* The next call starts at 0. */
	p->nwritten = 0;
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, p->nwritten, 3);
	pct_check_counters(t, p);
}

static void sync_all_keeps_going_after_error_returns_first(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepage);
	struct writeback_control wbc = pct_wbc(WB_SYNC_ALL, LONG_MAX);

	pct_dirty_range(p, 0, 10, 'e');
	p->nfail = 2;
	p->fail_index[0] = 3;
	p->fail_err[0] = -EIO;
	p->fail_index[1] = 7;
	p->fail_err[1] = -ENOSPC;
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), -EIO);
	KTEST_EXPECT_EQ(t, p->nwritten, 10);

	/* WB_SYNC_NONE stops at the first error. */
	pct_dirty_range(p, 0, 10, 'e');
	p->nwritten = 0;
	wbc = pct_wbc(WB_SYNC_NONE, LONG_MAX);
	KTEST_EXPECT_EQ(t, do_writepages(p->mapping, &wbc), -EIO);
	KTEST_EXPECT_EQ(t, p->nwritten, 4);
	p->nfail = 0;
	/* The AS_* bits: the last error recorded wins the old-style check. */
	KTEST_EXPECT_NE(t, filemap_check_errors(p->mapping), 0);
	KTEST_EXPECT_EQ(t, filemap_check_errors(p->mapping), 0);
	pct_check_counters(t, p);
}

/* ---- errors reach fsync: once per open file (errseq) ---- */

static void failed_write_reports_eio_once_per_open_file(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct file *a, *b, *late, *after_seen;

	p->async = true;
	a = file_open_inode(p->inode, O_RDWR);
	b = file_open_inode(p->inode, O_RDWR);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, a);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, b);
	pct_dirty_range(p, 0, 4, 'f');
	p->nfail = 1;
	p->fail_index[0] = 1;
	p->fail_err[0] = -EIO;
	/* Background writeback meets the failure; nobody is told yet. */
	KTEST_EXPECT_EQ(t, filemap_flush(p->mapping), -EIO);
	pct_wait_async(p);
	p->nfail = 0;

	/* Opened after the failure, before anyone saw it: it sees it too
	 * (errseq_sample gives 0 for an unseen error). */
	late = file_open_inode(p->inode, O_RDWR);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, late);

	KTEST_EXPECT_EQ(t, vfs_fsync(a, 0), -EIO);
	KTEST_EXPECT_EQ(t, vfs_fsync(a, 0), 0);
	/* Opened after the error was seen: not reported. */
	after_seen = file_open_inode(p->inode, O_RDWR);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, after_seen);
	KTEST_EXPECT_EQ(t, vfs_fsync(b, 0), -EIO);
	KTEST_EXPECT_EQ(t, vfs_fsync(b, 0), 0);
	KTEST_EXPECT_EQ(t, vfs_fsync(late, 0), -EIO);
	KTEST_EXPECT_EQ(t, vfs_fsync(late, 0), 0);
	KTEST_EXPECT_EQ(t, vfs_fsync(after_seen, 0), 0);
	/* A second failure is news for every file again. */
	pct_dirty_page(p, 2, 'g');
	p->nfail = 1;
	p->fail_index[0] = 2;
	p->fail_err[0] = -EIO;
	KTEST_EXPECT_EQ(t, vfs_fsync(after_seen, 0), -EIO);
	p->nfail = 0;
	KTEST_EXPECT_EQ(t, vfs_fsync(a, 0), -EIO);
	KTEST_EXPECT_EQ(t, vfs_fsync(a, 0), 0);
	fput(a);
	fput(b);
	fput(late);
	fput(after_seen);
	pct_check_counters(t, p);
}

/* The AS_* bits: the _keep_errors wait reports without clearing,
 * filemap_fdatawait_range() reports once and clears (Linux). */
static void fdatawait_keep_errors_keeps_fdatawait_clears(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);

	p->async = true;
	pct_dirty_range(p, 0, 3, 'v');
	p->nfail = 1;
	p->fail_index[0] = 0;
	p->fail_err[0] = -ENOSPC;
	KTEST_EXPECT_EQ(t, filemap_fdatawrite(p->mapping), -ENOSPC);
	p->nfail = 0;
	KTEST_EXPECT_EQ(t, filemap_fdatawait_range_keep_errors(p->mapping, 0, LLONG_MAX),
			-ENOSPC);
	KTEST_EXPECT_FALSE(t, mapping_tagged(p->mapping, PAGECACHE_TAG_WRITEBACK));
	KTEST_EXPECT_EQ(t, filemap_fdatawait_range_keep_errors(p->mapping, 0, LLONG_MAX),
			-ENOSPC);
	KTEST_EXPECT_EQ(t, filemap_fdatawait_range(p->mapping, 0, LLONG_MAX), -ENOSPC);
	KTEST_EXPECT_EQ(t, filemap_fdatawait_range(p->mapping, 0, LLONG_MAX), 0);
	/* The errseq copy is still there for files. */
	KTEST_EXPECT_EQ(t, errseq_check(&p->mapping->wb_err, 0), -ENOSPC);
	pct_check_counters(t, p);
}

/* ---- truncation ---- */

static void truncate_drops_dirty_pages_and_restores_counters(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct folio *folio;

	pct_dirty_range(p, 0, 10, 't');
	KTEST_EXPECT_EQ(t, p->mapping->nrpages, 10);
	pct_check_counters(t, p);
	/* To 5000 bytes: page 1 keeps its first 904 bytes, the rest zero;
	 * pages 2..9 go. */
	truncate_setsize(p->inode, 5000);
	KTEST_EXPECT_EQ(t, p->mapping->nrpages, 2);
	folio = filemap_get_folio(p->mapping, 1);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, folio);
	KTEST_EXPECT_EQ(t, ((char *)folio_address(folio))[5000 - PAGE_SIZE - 1], 't');
	KTEST_EXPECT_EQ(t, ((char *)folio_address(folio))[5000 - PAGE_SIZE], 0);
	KTEST_EXPECT_EQ(t, ((char *)folio_address(folio))[PAGE_SIZE - 1], 0);
	folio_put(folio);
	pct_check_counters(t, p);
	truncate_inode_pages(p->mapping, 0);
	KTEST_EXPECT_EQ(t, p->mapping->nrpages, 0);
	KTEST_EXPECT_FALSE(t, mapping_tagged(p->mapping, PAGECACHE_TAG_DIRTY));
	KTEST_EXPECT_EQ(t, p->nwritten, 0); /* dropped, never written */
	pct_check_counters(t, p);
}

static void truncate_waits_for_writeback(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct ender e = {0};
	struct task_struct *k;
	struct folio *folio;

	pct_dirty_range(p, 0, 3, 'u');
	folio = pct_start_writeback_and_redirty(p, 1);
	KTEST_ASSERT_NOT_NULL(t, folio);
	e.folio = folio;
	k = kthread_run(ender_fn, &e, "pct-ender");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	truncate_inode_pages(p->mapping, 0);
	KTEST_EXPECT_TRUE(t, e.saw_waiter);
	KTEST_EXPECT_FALSE(t, folio_test_writeback(folio));
	KTEST_EXPECT_NULL(t, folio->mapping);
	kthread_stop(k);
	folio_put(folio);
	KTEST_EXPECT_EQ(t, p->mapping->nrpages, 0);
	pct_check_counters(t, p);
}

static bool pct_cached(struct pct *p, pgoff_t index)
{
	struct folio *folio = filemap_get_folio(p->mapping, index);

	if (IS_ERR(folio))
		return false;
	folio_put(folio);
	return true;
}

struct truncator {
	struct address_space *mapping;
	atomic_t done;
};

static int truncator_fn(void *data)
{
	struct truncator *tr = data;

	truncate_inode_pages(tr->mapping, 0);
	atomic_set(&tr->done, 1);
	return 0;
}

/*
 * PC7 with a folio added behind the sweep: truncation waits on the lock of
 * folio 5 (held here) after it dropped 0..4, and meanwhile a folio appears
 * at 1 (a reader that sampled i_size before the truncate). Linux's
 * truncate_inode_pages_range() sweeps again from the start until a pass
 * finds nothing; Quire's one pass returned with folio 1 still cached.
 */
static void truncate_sweeps_again_for_folios_added_behind_it(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct truncator tr = {.mapping = p->mapping};
	struct folio *held, *late;
	struct task_struct *k;

	pct_dirty_range(p, 0, 8, 't');
	held = __filemap_get_folio(p->mapping, 5, FGP_LOCK, 0);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, held);
	atomic_set(&tr.done, 0);
	k = kthread_run(truncator_fn, &tr, "pct-truncate");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	/* The sweep waits on folio 5, past 0..4. */
	while (!folio_test_waiters_flag(held))
		schedule_timeout_uninterruptible(1);
	KTEST_EXPECT_FALSE(t, pct_cached(p, 1));
	late = __filemap_get_folio(p->mapping, 1, FGP_LOCK | FGP_CREAT, 0);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, late);
	memset(folio_address(late), 0, PAGE_SIZE);
	folio_mark_uptodate(late);
	folio_unlock(late);
	folio_put(late);
	folio_unlock(held);
	while (!atomic_read(&tr.done))
		schedule_timeout_uninterruptible(1);
	kthread_stop(k);
	KTEST_EXPECT_NULL(t, held->mapping);
	folio_put(held);
	KTEST_EXPECT_FALSE(t, pct_cached(p, 1));
	KTEST_EXPECT_EQ(t, p->mapping->nrpages, 0);
	pct_check_counters(t, p);
}

static void invalidate_mapping_pages_drops_only_clean_unused(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct writeback_control wbc = pct_wbc(WB_SYNC_ALL, LONG_MAX);
	struct folio *held;

	pct_dirty_range(p, 0, 6, 'i');
	do_writepages(p->mapping, &wbc);
	pct_dirty_page(p, 0, 'j');		 /* dirty: stays */
	held = filemap_get_folio(p->mapping, 1); /* in use: stays */
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, held);
	KTEST_EXPECT_EQ(t, invalidate_mapping_pages(p->mapping, 0, (pgoff_t)-1), 4);
	KTEST_EXPECT_EQ(t, p->mapping->nrpages, 2);
	folio_put(held);
	pct_check_counters(t, p);
}

/* ---- reads, read-ahead, writes ---- */

static void pct_fill_store(struct pct *p)
{
	for (pgoff_t i = 0; i < PCT_STORE_PAGES; i++)
		memset(pct_store_addr(p, i), (int)(i & 0x7f) + 1, PAGE_SIZE);
	p->inode->i_size = PCT_STORE_PAGES * PAGE_SIZE;
}

/*
 * Sequential one-page reads from 0 with the 32-page maximum: the first
 * window is 4 pages (4x the request) with the marker at page 1; reading
 * page 1 starts the next, 8 pages at 4..11 (marker 4); page 4 starts
 * 16 pages at 12..27 (marker 12) (Linux's ramp-up).
 */
static void readahead_issues_expected_windows(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct file *f;
	char buf[16];
	loff_t pos = 0;

	pct_fill_store(p);
	f = file_open_inode(p->inode, O_RDONLY);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, f);
	KTEST_EXPECT_EQ(t, f->f_ra.ra_pages, VM_READAHEAD_PAGES);

	KTEST_EXPECT_EQ(t, filemap_read(f, buf, 1, &pos), 1);
	KTEST_EXPECT_EQ(t, p->nreads, 4);
	for (int i = 0; i < 4; i++)
		KTEST_EXPECT_EQ(t, p->reads[i], (pgoff_t)i);
	pos = PAGE_SIZE;
	KTEST_EXPECT_EQ(t, filemap_read(f, buf, 1, &pos), 1);
	KTEST_EXPECT_EQ(t, buf[0], 2);
	KTEST_EXPECT_EQ(t, p->nreads, 12);
	KTEST_EXPECT_EQ(t, p->reads[4], 4);
	KTEST_EXPECT_EQ(t, p->reads[11], 11);
	for (pos = 2 * PAGE_SIZE; pos < 4 * (loff_t)PAGE_SIZE; pos += PAGE_SIZE - 1)
		filemap_read(f, buf, 1, &pos);
	KTEST_EXPECT_EQ(t, p->nreads, 12); /* cached, no marker */
	pos = 4 * PAGE_SIZE;
	KTEST_EXPECT_EQ(t, filemap_read(f, buf, 1, &pos), 1);
	KTEST_EXPECT_EQ(t, p->nreads, 28);
	KTEST_EXPECT_EQ(t, p->reads[12], 12);
	KTEST_EXPECT_EQ(t, p->reads[27], 27);
	/* A random read far away reads just that page. */
	pos = 50 * PAGE_SIZE;
	KTEST_EXPECT_EQ(t, filemap_read(f, buf, 1, &pos), 1);
	KTEST_EXPECT_EQ(t, p->nreads, 29);
	KTEST_EXPECT_EQ(t, p->reads[28], 50);
	fput(f);
	pct_check_counters(t, p);
}

static void buffered_write_then_read_back(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	size_t len = 3 * PAGE_SIZE + 1000;
	char *in = kzalloc(len, GFP_KERNEL), *out = kzalloc(len, GFP_KERNEL);
	struct file *f;
	loff_t pos;

	KTEST_ASSERT_NOT_NULL(t, in);
	KTEST_ASSERT_NOT_NULL(t, out);
	pct_fill_store(p);
	p->inode->i_size = 0;
	for (size_t i = 0; i < len; i++)
		in[i] = (char)(i * 7 + 3);
	f = file_open_inode(p->inode, O_RDWR);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, f);
	pos = 100;
	KTEST_EXPECT_EQ(t, generic_perform_write(f, in, len, &pos), (long)len);
	KTEST_EXPECT_EQ(t, pos, 100 + (loff_t)len);
	KTEST_EXPECT_EQ(t, p->inode->i_size, 100 + (loff_t)len);
	KTEST_EXPECT_EQ(t, p->mapping->nrpages, 4);
	pct_check_counters(t, p);
	pos = 100;
	KTEST_EXPECT_EQ(t, filemap_read(f, out, len, &pos), (long)len);
	KTEST_EXPECT_EQ(t, memcmp(in, out, len), 0);
	/* Beyond EOF a write began at a fresh page: zeros before pos 100. */
	pos = 0;
	KTEST_EXPECT_EQ(t, filemap_read(f, out, 100, &pos), 100);
	KTEST_EXPECT_EQ(t, out[0], 0);
	KTEST_EXPECT_EQ(t, out[99], 0);
	/* Written back, dropped, read again from the store. */
	KTEST_EXPECT_EQ(t, vfs_fsync(f, 0), 0);
	truncate_inode_pages(p->mapping, 0);
	memset(out, 0, len);
	pos = 100;
	KTEST_EXPECT_EQ(t, filemap_read(f, out, len, &pos), (long)len);
	KTEST_EXPECT_EQ(t, memcmp(in, out, len), 0);
	pos = 100 + len;
	KTEST_EXPECT_EQ(t, filemap_read(f, out, 10, &pos), 0); /* EOF */
	fput(f);
	kfree(in);
	kfree(out);
	pct_check_counters(t, p);
}

/* With ->readahead, the window goes to it in one batch; folios it leaves
 * unread are taken back out of the cache (Linux's read_pages). */
static void readahead_uses_readahead_op_and_drops_leftovers(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_readahead);
	struct file *f;
	char buf[4];
	loff_t pos = 0;

	pct_fill_store(p);
	f = file_open_inode(p->inode, O_RDONLY);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, f);
	p->ra_take = 2;
	KTEST_EXPECT_EQ(t, filemap_read(f, buf, 1, &pos), 1);
	KTEST_EXPECT_EQ(t, p->readahead_calls, 1);
	KTEST_EXPECT_EQ(t, p->ra_first, 0);
	KTEST_EXPECT_EQ(t, p->ra_count, 4);
	KTEST_EXPECT_EQ(t, p->nreads, 2);
	KTEST_EXPECT_EQ(t, p->mapping->nrpages, 2); /* 2 and 3 dropped */
	KTEST_EXPECT_EQ(t, buf[0], 1);
	pct_check_counters(t, p);
	fput(f);
}

/* A failed read in the read-ahead batch: filemap_read() reports -EIO for
 * that page and reads the others; nobody unlocks the folio twice. */
static void failed_read_is_eio_and_unlocked_once(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct file *f;
	char buf[8];
	loff_t pos = 0;

	pct_fill_store(p);
	p->fail_read = 2 + 1; /* page 2, inside the first window (0-3) */
	f = file_open_inode(p->inode, O_RDONLY);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, f);
	KTEST_EXPECT_EQ(t, filemap_read(f, buf, 1, &pos), 1);
	KTEST_EXPECT_EQ(t, p->nreads, 4);
	pos = 2 * PAGE_SIZE;
	KTEST_EXPECT_EQ(t, filemap_read(f, buf, 1, &pos), -EIO);
	p->fail_read = 0;
	KTEST_EXPECT_EQ(t, filemap_read(f, buf, 1, &pos), 1);
	KTEST_EXPECT_EQ(t, buf[0], 3);
	fput(f);
	pct_check_counters(t, p);
}

/*
 * Context read-ahead (Linux's try_context_readahead): a reader with no
 * read-ahead state of its own at index 4, pages 0..3 cached (another
 * reader's stream). History 4 pages reaching the start of the file is
 * doubled to 8 (a whole-file read), the window is 8 + 1 = 9 pages at 4..12,
 * and async_size is 1 (the marker on its last page). Quire's gave 4 + 1 = 5
 * pages with async_size 4.
 */
static void context_readahead_follows_linux_window(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct file *f;
	char buf[1];
	loff_t pos = 4 * PAGE_SIZE;

	pct_fill_store(p);
	for (pgoff_t i = 0; i < 4; i++) {
		struct folio *folio = read_mapping_folio(p->mapping, i, NULL);

		KTEST_ASSERT_NOT_ERR_OR_NULL(t, folio);
		folio_put(folio);
	}
	KTEST_EXPECT_EQ(t, p->nreads, 4);
	f = file_open_inode(p->inode, O_RDONLY);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, f);
	KTEST_EXPECT_EQ(t, filemap_read(f, buf, 1, &pos), 1);
	KTEST_EXPECT_EQ(t, f->f_ra.start, 4);
	KTEST_EXPECT_EQ(t, f->f_ra.size, 9);
	KTEST_EXPECT_EQ(t, f->f_ra.async_size, 1);
	KTEST_EXPECT_EQ(t, p->nreads, 4 + 9);
	KTEST_EXPECT_TRUE(t, pct_cached(p, 12));
	KTEST_EXPECT_FALSE(t, pct_cached(p, 13));
	fput(f);
	pct_check_counters(t, p);
}

/*
 * A truncate that lands while a read is under way (from ->read_folio once
 * the folio is unlocked, as another CPU's would) must not make the read
 * return bytes past the new i_size: filemap_read() reads i_size again once
 * it holds the uptodate folio (Linux: "i_size must be checked after we know
 * the pages are Uptodate"). Before, it copied the whole page, its tail
 * zeroed by the truncate, and returned PAGE_SIZE for a 100-byte file: a
 * result neither before nor after the truncate.
 */
static void read_racing_truncate_stops_at_new_size(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	char *buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	struct file *f;
	loff_t pos = 0;

	KTEST_ASSERT_NOT_NULL(t, buf);
	memset(pct_store_addr(p, 0), 'x', PAGE_SIZE);
	p->inode->i_size = PAGE_SIZE;
	p->truncate_in_read = 100 + 1;
	f = file_open_inode(p->inode, O_RDONLY);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, f);
	KTEST_EXPECT_EQ(t, filemap_read(f, buf, PAGE_SIZE, &pos), 100);
	KTEST_EXPECT_EQ(t, pos, 100);
	KTEST_EXPECT_EQ(t, buf[99], 'x');
	KTEST_EXPECT_EQ(t, p->inode->i_size, 100);
	KTEST_EXPECT_EQ(t, p->truncate_in_read, 0); /* it did run */
	fput(f);
	kfree(buf);
	pct_check_counters(t, p);
}

/* Inserting at a taken index is -EEXIST (Linux's code), which is what
 * __filemap_get_folio(FGP_CREAT) retries on when it loses a race. */
static void filemap_add_folio_taken_index_is_eexist(struct ktest *t)
{
	struct pct *p = pct_new(t, &pct_aops_writepages);
	struct folio *folio;

	pct_dirty_page(p, 5, 'k');
	folio = filemap_alloc_folio(GFP_KERNEL, false);
	KTEST_ASSERT_NOT_NULL(t, folio);
	KTEST_EXPECT_EQ(t, filemap_add_folio(p->mapping, folio, 5, GFP_KERNEL), -EEXIST);
	KTEST_EXPECT_FALSE(t, folio_test_locked(folio));
	KTEST_EXPECT_NULL(t, folio->mapping);
	folio_put(folio);
	KTEST_EXPECT_EQ(t, p->mapping->nrpages, 1);
	pct_check_counters(t, p);
}

/* ---- PG_uptodate publishes the contents ---- */

struct uptodate_race {
	struct folio *folio;
	char seen;
	atomic_t running, done;
};

/* filemap_read()'s lockless path: PG_uptodate seen, then the contents
 * (plain byte accesses on both sides: ThreadSanitizer did not report the
 * race through memset()/memcpy() of these pages). */
static int uptodate_reader_fn(void *data)
{
	struct uptodate_race *r = data;

	atomic_set(&r->running, 1);
	while (!folio_test_uptodate(r->folio))
		arch_cpu_relax();
	r->seen = ((char *)folio_address(r->folio))[100];
	atomic_inc(&r->done);
	return 0;
}

/* ->read_folio's end: the contents, then folio_mark_uptodate(). */
static int uptodate_writer_fn(void *data)
{
	struct uptodate_race *r = data;
	char *d = folio_address(r->folio);

	while (!atomic_read(&r->running))
		arch_cpu_relax();
	for (int i = 0; i < 256; i++)
		d[i] = 'u';
	folio_mark_uptodate(r->folio);
	atomic_inc(&r->done);
	return 0;
}

/*
 * A reader that sees PG_uptodate sees the contents written before
 * folio_mark_uptodate() (Linux: smp_wmb() before the set, smp_rmb() after
 * a set test). The flag was a relaxed RMW after a fence on a stack slot,
 * read with a relaxed load: nothing a reader on another CPU may rely on in
 * C's memory model, and ThreadSanitizer reported the fill and the read as a
 * data race. The two run on two CPUs (a task switch on one CPU orders
 * everything), so the tsan jobs (2 and 4 CPUs) are the ones that see it.
 */
static void uptodate_flag_publishes_contents(struct ktest *t)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct uptodate_race r = {0};
	struct task_struct *k[2];
	unsigned int cpu = smp_processor_id();

	KTEST_ASSERT_NOT_NULL(t, page);
	r.folio = page_folio(page);
	k[0] = kthread_create(uptodate_reader_fn, &r, "pct-uptodate-r");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k[0]);
	k[1] = kthread_create(uptodate_writer_fn, &r, "pct-uptodate-w");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k[1]);
	kthread_bind(k[0], cpu);
	kthread_bind(k[1], (cpu + 1) % num_online_cpus());
	wake_up_process(k[0]);
	wake_up_process(k[1]);
	while (atomic_read(&r.done) < 2)
		schedule_timeout_uninterruptible(1);
	kthread_stop(k[0]);
	kthread_stop(k[1]);
	KTEST_EXPECT_EQ(t, r.seen, 'u');
	free_page_struct(page);
}

/* ---- folio lock ---- */

struct locker {
	struct folio *folio;
	unsigned long *counter;
	int rounds;
	atomic_t started, finished;
};

static int locker_fn(void *data)
{
	struct locker *l = data;

	atomic_inc(&l->started);
	for (int i = 0; i < l->rounds; i++) {
		unsigned long v;

		folio_lock(l->folio);
		v = READ_ONCE(*l->counter);
		if (i % 8 == 0)
			cond_resched();
		WRITE_ONCE(*l->counter, v + 1);
		folio_unlock(l->folio);
	}
	atomic_inc(&l->finished);
	return 0;
}

static void folio_lock_excludes_and_wakes_waiters(struct ktest *t)
{
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned long counter = 0;
	struct locker l;
	struct task_struct *k[3];

	KTEST_ASSERT_NOT_NULL(t, page);
	l.folio = page_folio(page);
	l.counter = &counter;
	l.rounds = 300;
	atomic_set(&l.started, 0);
	atomic_set(&l.finished, 0);
	folio_lock(l.folio); /* held while they start: they must wait */
	for (int i = 0; i < 3; i++) {
		k[i] = kthread_run(locker_fn, &l, "pct-lock%d", i);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, k[i]);
	}
	/* kthread_stop() of a thread that never ran does not run it: wait
	 * until all three run and one sleeps on the lock, then until all
	 * three are done. */
	while (atomic_read(&l.started) < 3 || !folio_test_waiters_flag(l.folio))
		schedule_timeout_uninterruptible(1);
	folio_unlock(l.folio);
	while (atomic_read(&l.finished) < 3)
		schedule_timeout_uninterruptible(1);
	for (int i = 0; i < 3; i++)
		kthread_stop(k[i]);
	KTEST_EXPECT_EQ(t, counter, 900);
	KTEST_EXPECT_FALSE(t, folio_test_locked(l.folio));
	KTEST_EXPECT_FALSE(t, folio_test_waiters_flag(l.folio));
	free_page_struct(page);
}

static const struct ktest_case pagecache_cases[] = {
	KTEST_CASE(do_writepages_calls_writepages),
	KTEST_CASE(do_writepages_writepage_only_uses_writeback_use_writepage),
	KTEST_CASE(do_writepages_neither_returns_0_writes_nothing),
	KTEST_CASE(do_writepages_nr_to_write_zero_returns_0),
	KTEST_CASE(do_writepages_enomem_retries_only_for_sync_all),
	KTEST_CASE(end_writeback_in_interrupt_context),
	KTEST_CASE(fsync_of_file_being_dirtied_terminates),
	KTEST_CASE(dirty_tag_walk_would_not_stop_towrite_does),
	KTEST_CASE(sync_all_waits_for_writeback_sync_none_skips),
	KTEST_CASE(nr_to_write_is_honoured),
	KTEST_CASE(range_cyclic_resumes_and_never_wraps),
	KTEST_CASE(sync_all_keeps_going_after_error_returns_first),
	KTEST_CASE(failed_write_reports_eio_once_per_open_file),
	KTEST_CASE(fdatawait_keep_errors_keeps_fdatawait_clears),
	KTEST_CASE(truncate_drops_dirty_pages_and_restores_counters),
	KTEST_CASE(truncate_waits_for_writeback),
	KTEST_CASE(truncate_sweeps_again_for_folios_added_behind_it),
	KTEST_CASE(invalidate_mapping_pages_drops_only_clean_unused),
	KTEST_CASE(readahead_issues_expected_windows),
	KTEST_CASE(buffered_write_then_read_back),
	KTEST_CASE(readahead_uses_readahead_op_and_drops_leftovers),
	KTEST_CASE(failed_read_is_eio_and_unlocked_once),
	KTEST_CASE(filemap_add_folio_taken_index_is_eexist),
	KTEST_CASE(read_racing_truncate_stops_at_new_size),
	KTEST_CASE(context_readahead_follows_linux_window),
	KTEST_CASE(folio_lock_excludes_and_wakes_waiters),
	KTEST_CASE(uptodate_flag_publishes_contents),
	KTEST_END,
};

static const struct ktest_suite pagecache_suite = {
	.name = "pagecache",
	.init = pct_init,
	.exit = pct_exit,
	.cases = pagecache_cases,
};
KTEST_SUITE(pagecache_suite);
