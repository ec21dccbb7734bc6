/*
 * mm/reclaim_test.c - reclaim with the real page cache (suite reclaim):
 * do_writepages()' -ENOMEM throttling on the local node, and kswapd plus
 * direct reclaim under memory pressure on every node.
 *
 * The file data lives in a RAM "disk" (struct ram_store): for each page
 * index the generation last written and how many writes it took, not the
 * bytes. A page of generation g holds the 64-bit word (index << 32 | g)
 * everywhere, so ->writepages can check every page it is given (a torn or
 * misplaced page is counted bad), count a page written twice at the same
 * generation (double) or older than the disk's (stale), and ->read_folio
 * can rebuild a page from its generation.
 *
 * After every case the counters must balance on every node: the folios on
 * the lists are the cached ones (LRU4), and the dirty and writeback folios
 * found there are exactly NR_FILE_DIRTY and NR_WRITEBACK, so
 * dirty + writeback + clean = cached.
 */
#include <quire/ktest.h>
#include <quire/swap.h>
#include <quire/vmstat.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/pagemap.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/workqueue.h>
#include <quire/jiffies.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/fs.h>
#include "internal.h"

struct ram_store {
	unsigned long npages;
	u32 *gen;	      /* generation on "disk", per index */
	u32 *writes;	      /* writes per index */
	atomic_t enomem_left; /* ->writepages fails with -ENOMEM this often */
	atomic_t calls;	      /* ->writepages calls */
	atomic_t bad, doubles, stale;
	/* Slow disk: writes end in batches of COMPLETE_BATCH per jiffy,
	 * from the completer thread, not at once. */
	bool async;
	spinlock_t lock;     /* guards the ring */
	struct folio **ring; /* folios under writeback, oldest first */
	unsigned long head, tail;
	struct task_struct *completer;
};

#define COMPLETE_BATCH 64

static u64 pattern(unsigned long index, u32 gen)
{
	return (u64)index << 32 | gen;
}

static void fill_page(struct folio *folio, u32 gen)
{
	u64 *p = folio_address(folio), v = pattern(folio->index, gen);

	for (unsigned int i = 0; i < PAGE_SIZE / sizeof(u64); i++)
		p[i] = v;
}

/* The page's generation, or -1 if it is not a whole pattern of its index. */
static long page_gen(struct folio *folio)
{
	u64 *p = folio_address(folio);

	if (p[0] >> 32 != folio->index)
		return -1;
	for (unsigned int i = 1; i < PAGE_SIZE / sizeof(u64); i++)
		if (p[i] != p[0])
			return -1;
	return (long)(u32)p[0];
}

static struct ram_store *store_of(struct address_space *mapping)
{
	return mapping->private_data;
}

static int ram_write_folio(struct folio *folio, struct writeback_control *wbc, void *data)
{
	struct ram_store *st = data;
	long gen = page_gen(folio);
	unsigned long i = folio->index;

	folio_start_writeback(folio);
	if (gen < 0 || i >= st->npages) {
		atomic_inc(&st->bad);
	} else {
		if ((u32)gen == st->gen[i] && st->writes[i])
			atomic_inc(&st->doubles);
		else if ((u32)gen < st->gen[i])
			atomic_inc(&st->stale);
		st->gen[i] = (u32)gen;
		st->writes[i]++;
	}
	folio_unlock(folio);
	if (st->async) {
		unsigned long flags;

		folio_get(folio); /* the "I/O"'s, dropped at its end */
		spin_lock_irqsave(&st->lock, flags);
		st->ring[st->tail++ % st->npages] = folio;
		spin_unlock_irqrestore(&st->lock, flags);
		return 0;
	}
	folio_end_writeback(folio); /* a RAM disk: done at once */
	return 0;
}

/* End up to @max writebacks, oldest first; returns how many. */
static unsigned long ram_complete(struct ram_store *st, unsigned long max)
{
	unsigned long n = 0, flags;

	while (n < max) {
		struct folio *folio = NULL;

		spin_lock_irqsave(&st->lock, flags);
		if (st->head != st->tail)
			folio = st->ring[st->head++ % st->npages];
		spin_unlock_irqrestore(&st->lock, flags);
		if (!folio)
			break;
		folio_end_writeback(folio);
		folio_put(folio);
		n++;
	}
	return n;
}

static int ram_completer_fn(void *data)
{
	struct ram_store *st = data;

	while (!kthread_should_stop()) {
		ram_complete(st, COMPLETE_BATCH);
		schedule_timeout_uninterruptible(1);
	}
	ram_complete(st, ~0UL);
	return 0;
}

static int ram_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct ram_store *st = store_of(mapping);

	atomic_inc(&st->calls);
	if (atomic_read(&st->enomem_left) > 0) {
		atomic_dec(&st->enomem_left);
		return -ENOMEM;
	}
	return write_cache_pages(mapping, wbc, ram_write_folio, st);
}

static int ram_read_folio(struct file *file, struct folio *folio)
{
	struct ram_store *st = store_of(folio->mapping);

	fill_page(folio, folio->index < st->npages ? st->gen[folio->index] : 0);
	folio_mark_uptodate(folio);
	folio_unlock(folio);
	return 0;
}

static const struct address_space_operations ram_aops = {
	.writepages = ram_writepages,
	.read_folio = ram_read_folio,
	.dirty_folio = filemap_dirty_folio,
};

/* A file of @npages on a registered bdi (so its pages are accounted). */
struct ram_file {
	struct super_block sb;
	struct backing_dev_info *bdi;
	struct inode *inode;
	struct ram_store st;
};

static int ram_file_init(struct ktest *t, struct ram_file *rf, unsigned long npages,
			 int id)
{
	char name[16];

	memset(rf, 0, sizeof(*rf));
	rf->st.npages = npages;
	spin_lock_init(&rf->st.lock);
	rf->st.gen = kzalloc(npages * sizeof(u32), 0);
	rf->st.writes = kzalloc(npages * sizeof(u32), 0);
	if (!rf->st.gen || !rf->st.writes)
		goto fail;
	rf->bdi = bdi_alloc(NUMA_NO_NODE);
	if (!rf->bdi)
		goto fail;
	scnprintf(name, sizeof(name), "ramtest%d", id);
	if (bdi_register(rf->bdi, name, MKDEV(250, id)))
		goto fail_bdi;
	scnprintf(rf->sb.s_id, sizeof(rf->sb.s_id), "%s", name);
	rf->sb.s_bdi = rf->bdi;
	spin_lock_init(&rf->sb.s_inode_list_lock);
	INIT_LIST_HEAD(&rf->sb.s_inodes);
	init_rwsem(&rf->sb.s_umount);
	rf->inode = new_inode(&rf->sb);
	if (!rf->inode)
		goto fail_reg;
	rf->inode->i_mode = S_IFREG;
	rf->inode->i_size = (loff_t)npages << PAGE_SHIFT;
	rf->inode->i_mapping->a_ops = &ram_aops;
	rf->inode->i_mapping->private_data = &rf->st;
	return 0;
fail_reg:
	bdi_unregister(rf->bdi);
fail_bdi:
	bdi_put(rf->bdi);
fail:
	kfree(rf->st.gen);
	kfree(rf->st.writes);
	ktest_fail(t, __FILE__, __LINE__, "no memory for a test file");
	return -ENOMEM;
}

/* Make its writes end from a thread, COMPLETE_BATCH per jiffy. */
static int ram_file_slow(struct ktest *t, struct ram_file *rf)
{
	rf->st.ring = kcalloc(rf->st.npages, sizeof(*rf->st.ring), 0);
	KTEST_ASSERT_NOT_NULL(t, rf->st.ring);
	rf->st.completer = kthread_run(ram_completer_fn, &rf->st, "ram-disk");
	KTEST_ASSERT_TRUE(t, !IS_ERR(rf->st.completer));
	rf->st.async = true;
	return 0;
}

static void ram_file_exit(struct ram_file *rf)
{
	if (rf->st.completer) {
		filemap_write_and_wait(rf->inode->i_mapping);
		kthread_stop(rf->st.completer);
		kfree(rf->st.ring);
	}
	iput(rf->inode); /* evicts: off the wb lists, pages truncated */
	bdi_unregister(rf->bdi);
	bdi_put(rf->bdi);
	kfree(rf->st.gen);
	kfree(rf->st.writes);
}

/* Wait (at most 5 s) until every kswapd sleeps with no wake-up pending:
 * LRU4 holds only while nobody has folios isolated. */
void wait_kswapds_asleep(struct ktest *t)
{
	unsigned long deadline = jiffies + 5 * HZ;

	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);

		if (!READ_ONCE(pgdat->kswapd))
			continue;
		while (!waitqueue_active(&pgdat->kswapd_wait) ||
		       READ_ONCE(pgdat->kswapd_wake)) {
			if (time_after(jiffies, deadline)) {
				ktest_fail(t, __FILE__, __LINE__, "kswapd%u still busy",
					   nid);
				return;
			}
			schedule_timeout_uninterruptible(1);
		}
	}
}

/* LRU4 and dirty + writeback + clean = cached, on every node. */
static void expect_counters_balance(struct ktest *t)
{
	wait_kswapds_asleep(t);
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);
		unsigned long dirty = 0, wb = 0, clean = 0, flags;
		struct folio *f;

		KTEST_EXPECT_EQ(t, lru_check_invariants(nid, true), 0);
		spin_lock_irqsave(&pgdat->lruvec.lru_lock, flags);
		for (int l = 0; l < NR_LRU_LISTS; l++) {
			list_for_each_entry(f, &pgdat->lruvec.lists[l], lru) {
				if (folio_test_dirty(f))
					dirty++;
				else if (folio_test_writeback(f))
					wb++;
				else
					clean++;
			}
		}
		spin_unlock_irqrestore(&pgdat->lruvec.lru_lock, flags);
		KTEST_EXPECT_EQ(t, dirty, node_page_state(pgdat, NR_FILE_DIRTY));
		KTEST_EXPECT_EQ(t, wb, node_page_state(pgdat, NR_WRITEBACK));
		KTEST_EXPECT_EQ(t, dirty + wb + clean,
				node_page_state(pgdat, NR_FILE_PAGES));
	}
}

/* Put page @index of @rf in the cache on node @nid, generation @gen,
 * dirty or clean; returns it referenced and unlocked. */
static struct folio *cache_page(struct ktest *t, struct ram_file *rf, unsigned long index,
				int nid, u32 gen, bool dirty)
{
	struct page *page = alloc_pages(nid, 0, __GFP_THISNODE | __GFP_NOWARN);
	struct folio *folio;

	KTEST_ASSERT_NOT_NULL(t, page);
	folio = page_folio(page);
	folio_set_locked(folio);
	KTEST_ASSERT_EQ(t, filemap_add_folio(rf->inode->i_mapping, folio, index, 0), 0);
	fill_page(folio, gen);
	folio_mark_uptodate(folio);
	if (dirty)
		folio_mark_dirty(folio);
	else
		rf->st.gen[index] = gen; /* as if read from the disk */
	folio_unlock(folio);
	return folio;
}

/* ---- do_writepages() and -ENOMEM ---- */

struct wp_task {
	struct address_space *mapping;
	enum writeback_sync_modes mode;
	int ret;
	unsigned long start, end;
	struct completion done;
	struct work_struct work;
};

static void wp_run(struct wp_task *w)
{
	struct writeback_control wbc = {
		.sync_mode = w->mode,
		.nr_to_write = LONG_MAX,
		.range_start = 0,
		.range_end = LLONG_MAX,
	};

	w->start = jiffies;
	w->ret = do_writepages(w->mapping, &wbc);
	w->end = jiffies;
	complete(&w->done);
}

static int wp_thread(void *data)
{
	wp_run(data);
	return 0;
}

static void wp_work(struct work_struct *work)
{
	wp_run(container_of(work, struct wp_task, work));
}

static int nr_sleepers(wait_queue_head_t *wq)
{
	struct list_head *pos;
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&wq->lock, flags);
	list_for_each(pos, &wq->head)
		n++;
	spin_unlock_irqrestore(&wq->lock, flags);
	return n;
}

static bool wait_for_sleeper(pg_data_t *pgdat)
{
	unsigned long deadline = jiffies + 2 * HZ;

	while (nr_sleepers(&pgdat->reclaim_wait[VMSCAN_THROTTLE_WRITEBACK]) != 1 ||
	       atomic_read(&pgdat->nr_writeback_throttled) != 1) {
		if (time_after(jiffies, deadline))
			return false;
		yield();
	}
	return true;
}

/* End writeback of 33 folios of @pool (on one node), one at a time. */
static void complete_writebacks(struct folio **pool, int n)
{
	for (int i = 0; i < n; i++) {
		folio_lock(pool[i]);
		folio_start_writeback(pool[i]);
		folio_unlock(pool[i]);
	}
	for (int i = 0; i < n; i++)
		folio_end_writeback(pool[i]);
}

#define POOL (int)(SWAP_CLUSTER_MAX + 1)

/* The first node other than @nid (or -1). */
static int other_node(int nid)
{
	for (int n = 0; n < (int)num_online_nodes(); n++)
		if (n != nid && NODE_DATA(n)->managed_pages)
			return n;
	return -1;
}

static bool node_has_cpu(int nid)
{
	struct cpumask m = cpumask_of_node(nid);

	return !cpumask_empty(&m);
}

static int other_sleeper_fn(void *data)
{
	reclaim_throttle(data, VMSCAN_THROTTLE_WRITEBACK);
	while (!kthread_should_stop())
		schedule_timeout_uninterruptible(1);
	return 0;
}

/* The writer left its first sleep too soon: a fault (-1) if that was
 * within its 100 ms, else its timeout (inconclusive, 1). */
static int woken_or_timed_out(struct wp_task *w)
{
	return (long)(jiffies - READ_ONCE(w->start)) < HZ / 10 ? -1 : 1;
}

/*
 * The seed's retry: ->writepages fails with -ENOMEM twice under
 * WB_SYNC_ALL. The writer (a kthread on node @nid) sleeps on @nid's
 * WRITEBACK queue; 33 completions on another node leave it asleep, 33 on
 * its own node wake it; the second time nobody completes anything and the
 * 100 ms timeout ends the sleep; the third call writes the page once.
 * Returns 1 if a sleep timed out before the completions (inconclusive).
 */
static int enomem_trial(struct ktest *t, int nid)
{
	int other = other_node(nid), verdict = 0;
	struct folio *mine[POOL], *theirs[POOL], *data;
	struct ram_file *rf = kzalloc(sizeof(*rf), 0),
			*pool_file = kzalloc(sizeof(*rf), 0);
	pg_data_t *pgdat = NODE_DATA(nid);
	struct wp_task w = {.mode = WB_SYNC_ALL};
	struct task_struct *k;

	KTEST_ASSERT_TRUE(t, rf && pool_file);
	if (ram_file_init(t, rf, 4, 1) || ram_file_init(t, pool_file, 2 * POOL, 2))
		goto out_free;
	for (int i = 0; i < POOL; i++) {
		mine[i] = cache_page(t, pool_file, i, nid, 0, false);
		theirs[i] = cache_page(t, pool_file, POOL + i, other < 0 ? nid : other, 0,
				       false);
	}
	data = cache_page(t, rf, 0, nid, 1, true);
	atomic_set(&rf->st.enomem_left, 2);
	w.mapping = rf->inode->i_mapping;
	init_completion(&w.done);
	k = kthread_create_on_node(wp_thread, &w, nid, "wp-enomem");
	KTEST_ASSERT_TRUE(t, !IS_ERR(k));
	wake_up_process(k);
	if (!wait_for_sleeper(pgdat)) {
		verdict = 1;
		goto join;
	}
	if (other >= 0) {
		/* Another node's completions, with a task throttled there too
		 * (so they reach __acct_reclaim_writeback): it wakes, ours
		 * stays asleep. */
		struct task_struct *o =
			kthread_run(other_sleeper_fn, NODE_DATA(other), "wp-other");

		KTEST_ASSERT_TRUE(t, !IS_ERR(o));
		if (!wait_for_sleeper(NODE_DATA(other)))
			verdict = 1;
		complete_writebacks(theirs, POOL); /* another node: still asleep */
		if (!verdict &&
		    nr_sleepers(&pgdat->reclaim_wait[VMSCAN_THROTTLE_WRITEBACK]) != 1)
			verdict = woken_or_timed_out(&w);
		kthread_stop(o);
	}
	complete_writebacks(mine, POOL - 1); /* 32: still asleep */
	if (!verdict && nr_sleepers(&pgdat->reclaim_wait[VMSCAN_THROTTLE_WRITEBACK]) != 1)
		verdict = woken_or_timed_out(&w);
	complete_writebacks(mine + POOL - 1, 1); /* the 33rd wakes it */
	if (!verdict &&
	    nr_sleepers(&pgdat->reclaim_wait[VMSCAN_THROTTLE_WRITEBACK]) != 0 &&
	    atomic_read(&rf->st.calls) < 2)
		verdict = 3; /* not woken, unless its timeout had fired */
join:
	wait_for_completion(&w.done);
	kthread_stop(k);
	/* A sleeper whose timeout fired stays queued until it runs: then both
	 * sleeps were whole timeouts. */
	if (verdict == 3)
		verdict = (long)(w.end - w.start) >= 2 * (HZ / 10) ? 1 : -1;
	KTEST_EXPECT_EQ(t, w.ret, 0);
	KTEST_EXPECT_EQ(t, atomic_read(&rf->st.calls), 3);
	KTEST_EXPECT_EQ(t, rf->st.writes[0], 1);
	KTEST_EXPECT_EQ(t, rf->st.gen[0], 1);
	if (!verdict) /* the second -ENOMEM slept its whole 100 ms */
		KTEST_EXPECT_GE(t, (long)(w.end - w.start), HZ / 10);
	if (verdict < 0)
		ktest_fail(
			t, __FILE__, __LINE__,
			"node %d: the writer slept through its node's 33rd completion or woke before it",
			nid);
	folio_put(data);
	for (int i = 0; i < POOL; i++) {
		folio_put(mine[i]);
		folio_put(theirs[i]);
	}
	ram_file_exit(rf);
	ram_file_exit(pool_file);
out_free:
	kfree(rf);
	kfree(pool_file);
	return verdict;
}

static void enomem_under_sync_all_sleeps_on_local_node(struct ktest *t)
{
	for (int nid = 0; nid < (int)num_online_nodes(); nid++) {
		int v = 1;

		if (!node_has_cpu(nid) || !NODE_DATA(nid)->managed_pages)
			continue;
		for (int i = 0; i < 5 && v > 0; i++)
			v = enomem_trial(t, nid);
		if (v > 0)
			ktest_fail(t, __FILE__, __LINE__,
				   "node %d: every trial timed out first", nid);
	}
	expect_counters_balance(t);
}

/* WB_SYNC_NONE: no retry, the -ENOMEM comes back after one call. */
static void enomem_under_sync_none_returns_at_once(struct ktest *t)
{
	struct ram_file *rf = kzalloc(sizeof(*rf), 0);
	struct wp_task w = {.mode = WB_SYNC_NONE};
	struct folio *data;

	KTEST_ASSERT_NOT_NULL(t, rf);
	if (ram_file_init(t, rf, 4, 3)) {
		kfree(rf);
		return;
	}
	data = cache_page(t, rf, 0, numa_node_id(), 1, true);
	atomic_set(&rf->st.enomem_left, 1);
	w.mapping = rf->inode->i_mapping;
	init_completion(&w.done);
	wp_run(&w);
	KTEST_EXPECT_EQ(t, w.ret, -ENOMEM);
	KTEST_EXPECT_EQ(t, atomic_read(&rf->st.calls), 1);
	KTEST_EXPECT_EQ(t, rf->st.writes[0], 0);
	KTEST_EXPECT_TRUE(t, folio_test_dirty(data));
	folio_put(data);
	filemap_write_and_wait(rf->inode->i_mapping);
	KTEST_EXPECT_EQ(t, rf->st.writes[0], 1);
	ram_file_exit(rf);
	kfree(rf);
	expect_counters_balance(t);
}

/* In a workqueue worker (where the flushers run) the retry only yields:
 * three -ENOMEMs, no sleep on any queue, the page written once. */
static void enomem_in_a_flusher_worker_retries_without_sleeping(struct ktest *t)
{
	struct ram_file *rf = kzalloc(sizeof(*rf), 0);
	struct wp_task w = {.mode = WB_SYNC_ALL};
	struct folio *data;

	KTEST_ASSERT_NOT_NULL(t, rf);
	if (ram_file_init(t, rf, 4, 4)) {
		kfree(rf);
		return;
	}
	data = cache_page(t, rf, 0, numa_node_id(), 1, true);
	atomic_set(&rf->st.enomem_left, 3);
	w.mapping = rf->inode->i_mapping;
	init_completion(&w.done);
	INIT_WORK(&w.work, wp_work);
	queue_work(system_wq, &w.work);
	wait_for_completion(&w.done);
	flush_work(&w.work);
	KTEST_EXPECT_EQ(t, w.ret, 0);
	KTEST_EXPECT_EQ(t, atomic_read(&rf->st.calls), 4);
	KTEST_EXPECT_EQ(t, rf->st.writes[0], 1);
	KTEST_EXPECT_LT(t, (long)(w.end - w.start), HZ / 10); /* never slept 100 ms */
	folio_put(data);
	ram_file_exit(rf);
	kfree(rf);
	expect_counters_balance(t);
}

/* ---- pressure ---- */

#define PRESSURE_STEP 512UL /* pages: watermark spacing per node */

struct pressure_writer {
	struct ktest *t;
	struct ram_file *rf;
	unsigned long base, n; /* its indices */
	u32 *expect;	       /* generation each index must end with */
	int nid;
	atomic_t *past_b; /* the flusher's start signal */
	struct completion done;
	int errors;
	unsigned long at; /* pages read or dirtied: 6 steps in all */
};

/* Read page @i through the cache: it must hold its last generation. */
static struct folio *pressure_read(struct pressure_writer *pw, unsigned long i)
{
	struct folio *f = read_mapping_folio(pw->rf->inode->i_mapping, i, NULL);

	if (IS_ERR(f)) {
		pw->errors++;
		return NULL;
	}
	if (page_gen(f) != (long)pw->expect[i])
		pw->errors++;
	return f;
}

/* Write a new generation into page @i and dirty it. Reclaim may take the
 * page out of the cache between the lookup and the lock (the benign race
 * every page-cache writer handles): then look it up again. */
static void pressure_dirty(struct pressure_writer *pw, unsigned long i)
{
	struct address_space *mapping = pw->rf->inode->i_mapping;

	for (int tries = 0; tries < 100; tries++) {
		struct folio *f = pressure_read(pw, i);

		if (!f)
			return;
		folio_lock(f);
		if (f->mapping == mapping) {
			folio_wait_writeback(f);
			pw->expect[i]++;
			fill_page(f, pw->expect[i]);
			folio_mark_dirty(f);
			folio_unlock(f);
			folio_put(f);
			return;
		}
		folio_unlock(f);
		folio_put(f);
	}
	pw->errors++;
}

/*
 * Its share of the file, in three parts: read A (2 steps) and dirty every
 * second page of it; read B (1 step) with no flusher running, which takes
 * the node below low and makes reclaim meet A's dirty pages at the tail;
 * then, the flusher started, read C (2 steps) while A is written back.
 */
static int pressure_writer_fn(void *data)
{
	struct pressure_writer *pw = data;
	unsigned long a = pw->base, b = a + 2 * PRESSURE_STEP, c = b + PRESSURE_STEP;

	for (unsigned long i = a; i < b; i++) {
		struct folio *f = pressure_read(pw, i);

		if (f)
			folio_put(f);
		WRITE_ONCE(pw->at, pw->at + 1);
	}
	for (unsigned long i = a; i < b; i += 2) {
		pressure_dirty(pw, i);
		WRITE_ONCE(pw->at, pw->at + 1);
	}
	for (unsigned long i = b; i < pw->base + pw->n; i++) {
		struct folio *f;

		if (i == c)
			atomic_inc(pw->past_b);
		f = pressure_read(pw, i);
		if (f)
			folio_put(f);
		balance_dirty_pages_ratelimited(pw->rf->inode->i_mapping);
		WRITE_ONCE(pw->at, pw->at + 1);
	}
	complete(&pw->done);
	return 0;
}

struct pressure_flusher {
	struct ram_file *rf;
	atomic_t past_b; /* writers done with part B */
	unsigned int writers;
	bool stop;
	struct completion done;
};

static int pressure_flusher_fn(void *data)
{
	struct pressure_flusher *pf = data;

	while (atomic_read(&pf->past_b) < (int)pf->writers && !READ_ONCE(pf->stop))
		schedule_timeout_uninterruptible(1);
	while (!READ_ONCE(pf->stop)) {
		filemap_flush(pf->rf->inode->i_mapping);
		schedule_timeout_uninterruptible(HZ / 50); /* a lazy flusher */
	}
	complete(&pf->done);
	return 0;
}

static void pressure_show_task(struct task_struct *p, void *arg)
{
	cprintf("#   %-16s pid %d state %#x cpu %u on_rq %d run %llu ms sw %lu/%lu waits %s\n",
		p->comm, p->pid, READ_ONCE(p->state), READ_ONCE(p->cpu),
		READ_ONCE(p->on_rq),
		(unsigned long long)(READ_ONCE(p->sum_exec_runtime) / 1000000),
		READ_ONCE(p->nvcsw), READ_ONCE(p->nivcsw),
		READ_ONCE(p->wait_what) ? READ_ONCE(p->wait_what) : "-");
}

static void pressure_show(struct pressure_writer *pw, unsigned int nn,
			  struct ram_file *rf)
{
	unsigned long in_flight, flags;

	spin_lock_irqsave(&rf->st.lock, flags);
	in_flight = rf->st.tail - rf->st.head;
	spin_unlock_irqrestore(&rf->st.lock, flags);
	cprintf("# pressure: in flight %lu;", in_flight);
	for (unsigned int n = 0; n < nn; n++) {
		pg_data_t *pgdat = NODE_DATA(n);

		cprintf(" w%u %lu/%lu free %lu dirty %lu wb %lu iso %lu thr %d;", n,
			READ_ONCE(pw[n].at), pw[n].n + PRESSURE_STEP,
			node_page_state(pgdat, NR_FREE_PAGES),
			node_page_state(pgdat, NR_FILE_DIRTY),
			node_page_state(pgdat, NR_WRITEBACK),
			node_page_state(pgdat, NR_ISOLATED_FILE),
			atomic_read(&pgdat->nr_writeback_throttled));
	}
	cprintf(" kswapd runs %lu scanned %lu freed %lu; refill %lu; stalls %lu\n",
		vm_event_count(PAGEOUTRUN), vm_event_count(PGSCAN_KSWAPD),
		vm_event_count(PGSTEAL_KSWAPD), vm_event_count(PGREFILL),
		vm_event_count(ALLOCSTALL));
}

/*
 * Wait for the writers, with a progress line every 10 s (a slow TCG run
 * must not look silent) and, after 60 s without one page done, every
 * task's state once, and the case fails (it still waits: the writers use
 * this frame).
 */
static void pressure_wait_writers(struct ktest *t, struct pressure_writer *pw,
				  unsigned int nn, struct ram_file *rf)
{
	unsigned long last = 0, since = jiffies, shown = jiffies;
	bool dumped = false;

	for (unsigned int n = 0; n < nn; n++) {
		while (!wait_for_completion_timeout(&pw[n].done, HZ)) {
			unsigned long sum = 0;

			for (unsigned int i = 0; i < nn; i++)
				sum += READ_ONCE(pw[i].at);
			if (sum != last) {
				last = sum;
				since = jiffies;
			}
			if (time_after(jiffies, shown + 10 * HZ)) {
				shown = jiffies;
				pressure_show(pw, nn, rf);
			}
			if (!dumped && time_after(jiffies, since + 60 * HZ)) {
				dumped = true;
				pressure_show(pw, nn, rf);
				cprintf("# pressure: no page done for 60 s; tasks:\n");
				for_each_task(pressure_show_task, NULL);
				ktest_fail(
					t, __FILE__, __LINE__,
					"pressure writers stuck (60 s without a page)");
			}
		}
	}
}

/*
 * Every node's watermarks are set PRESSURE_STEP pages apart below its free
 * pages (min 3 steps down, low 2, high 1); a writer per node reads 5 steps
 * of a RAM-backed file on a slow "disk" through the cache and redirties
 * half of its first 2 steps (pressure_writer_fn); a lazy flusher writes;
 * kswapd and direct reclaim evict. Then:
 * every page on "disk" holds its last generation, none was written twice
 * at one generation or torn, every page reads back right, reclaim freed
 * cache on each node, and the counters balance.
 */
static bool pressure_round(struct ktest *t)
{
	bool met_dirty = false;
	unsigned int nn = num_online_nodes();
	struct pressure_writer *pw = kcalloc(nn, sizeof(*pw), 0);
	struct ram_file *rf = kzalloc(sizeof(*rf), 0);
	unsigned long per = 5 * PRESSURE_STEP, steal0, kswapd0, direct0, immediate0,
		      rotated0;
	unsigned long throttled0;
	struct pressure_flusher pf = {0};
	struct task_struct *ft;
	u32 *expect;

	KTEST_ASSERT_TRUE(t, pw && rf);
	if (ram_file_init(t, rf, nn * per, 5))
		goto out_free;
	ram_file_slow(t, rf);
	expect = kzalloc(nn * per * sizeof(u32), 0);
	KTEST_ASSERT_NOT_NULL(t, expect);
	steal0 = vm_event_count(PGSTEAL_KSWAPD) + vm_event_count(PGSTEAL_DIRECT);
	kswapd0 = vm_event_count(PGSTEAL_KSWAPD);
	direct0 = vm_event_count(PGSTEAL_DIRECT);
	immediate0 = global_node_page_state(NR_VMSCAN_IMMEDIATE);
	rotated0 = vm_event_count(PGROTATED);
	throttled0 = global_node_page_state(NR_THROTTLED_WRITTEN);
	for (unsigned int n = 0; n < nn; n++) {
		pg_data_t *pgdat = NODE_DATA(n);
		unsigned long free = node_page_state(pgdat, NR_FREE_PAGES);

		WRITE_ONCE(pgdat->kswapd_failures, 0); /* earlier suites' exhaustion */
		if (free < 4 * PRESSURE_STEP)
			continue;
		WRITE_ONCE(pgdat->watermark[WMARK_MIN], free - 3 * PRESSURE_STEP);
		WRITE_ONCE(pgdat->watermark[WMARK_LOW], free - 2 * PRESSURE_STEP);
		WRITE_ONCE(pgdat->watermark[WMARK_HIGH], free - PRESSURE_STEP);
	}
	pf.rf = rf;
	pf.writers = nn;
	init_completion(&pf.done);
	ft = kthread_run(pressure_flusher_fn, &pf, "pressure-flush");
	KTEST_ASSERT_TRUE(t, !IS_ERR(ft));
	for (unsigned int n = 0; n < nn; n++) {
		struct task_struct *k;

		pw[n] = (struct pressure_writer){.t = t,
						 .rf = rf,
						 .base = n * per,
						 .n = per,
						 .expect = expect,
						 .nid = n,
						 .past_b = &pf.past_b};
		init_completion(&pw[n].done);
		k = kthread_create_on_node(pressure_writer_fn, &pw[n], n, "pressure-w%u",
					   n);
		KTEST_ASSERT_TRUE(t, !IS_ERR(k));
		wake_up_process(k);
		pw[n].t = (void *)k; /* reused: the task, for kthread_stop */
	}
	pressure_wait_writers(t, pw, nn, rf);
	for (unsigned int n = 0; n < nn; n++) {
		kthread_stop((struct task_struct *)pw[n].t);
		KTEST_EXPECT_EQ(t, pw[n].errors, 0);
	}
	WRITE_ONCE(pf.stop, true);
	wait_for_completion(&pf.done);
	kthread_stop(ft);
	setup_per_zone_wmarks();
	/* Where a later stall is, if the round ends silent. */
	pressure_show(pw, nn, rf);
	cprintf("# pressure: writers done; writing back and reading back\n");
	KTEST_EXPECT_EQ(t, filemap_write_and_wait(rf->inode->i_mapping), 0);
	KTEST_EXPECT_EQ(t, atomic_read(&rf->st.bad), 0);
	KTEST_EXPECT_EQ(t, atomic_read(&rf->st.doubles), 0);
	KTEST_EXPECT_EQ(t, atomic_read(&rf->st.stale), 0);
	for (unsigned long i = 0; i < nn * per; i++) {
		struct folio *f;

		if (rf->st.gen[i] != expect[i]) {
			ktest_fail(t, __FILE__, __LINE__,
				   "page %lu: disk gen %u, want %u", i, rf->st.gen[i],
				   expect[i]);
			break;
		}
		f = read_mapping_folio(rf->inode->i_mapping, i, NULL);
		if (IS_ERR(f) || page_gen(f) != (long)expect[i]) {
			ktest_fail(t, __FILE__, __LINE__, "page %lu reads back wrong", i);
			if (!IS_ERR(f))
				folio_put(f);
			break;
		}
		folio_put(f);
	}
	KTEST_EXPECT_GT(t,
			vm_event_count(PGSTEAL_KSWAPD) + vm_event_count(PGSTEAL_DIRECT),
			steal0);
	/* Reclaim met dirty pages (part B) and marked them for immediate
	 * reclaim instead of freeing them (the caller's check). */
	met_dirty = global_node_page_state(NR_VMSCAN_IMMEDIATE) > immediate0;
	cprintf("# pressure: %lu pages per node; freed by kswapd %lu, direct %lu; immediate %lu, rotated %lu, throttled-written %lu\n",
		per, vm_event_count(PGSTEAL_KSWAPD) - kswapd0,
		vm_event_count(PGSTEAL_DIRECT) - direct0,
		global_node_page_state(NR_VMSCAN_IMMEDIATE) - immediate0,
		vm_event_count(PGROTATED) - rotated0,
		global_node_page_state(NR_THROTTLED_WRITTEN) - throttled0);
	expect_counters_balance(t);
	kfree(expect);
	ram_file_exit(rf);
out_free:
	kfree(rf);
	kfree(pw);
	expect_counters_balance(t);
	return met_dirty;
}

/*
 * Whether reclaim meets a part-B page still dirty, before the flushers
 * write it, is timing: kernel-smp1 under make test's load once had them
 * all written first ('expected NR_VMSCAN_IMMEDIATE > immediate0, got 0').
 * Up to 3 rounds, each checking everything else, until one meets one.
 */
static void reclaim_under_pressure_loses_and_rewrites_nothing(struct ktest *t)
{
	for (int round = 1; round <= 3 && !t->failed; round++) {
		if (pressure_round(t))
			return;
		cprintf("# pressure round %d: reclaim met no dirty page, again\n", round);
	}
	if (!t->failed)
		ktest_fail(
			t, __FILE__, __LINE__,
			"reclaim met no dirty page (NR_VMSCAN_IMMEDIATE unchanged) in 3 rounds");
}

/* drop_caches frees the clean folios and keeps the dirty ones. */
static void drop_caches_frees_clean_keeps_dirty(struct ktest *t)
{
	struct ram_file *rf = kzalloc(sizeof(*rf), 0);
	struct address_space *mapping;
	unsigned long before;

	KTEST_ASSERT_NOT_NULL(t, rf);
	if (ram_file_init(t, rf, 16, 6)) {
		kfree(rf);
		return;
	}
	mapping = rf->inode->i_mapping;
	for (int i = 0; i < 16; i++)
		folio_put(cache_page(t, rf, i, numa_node_id(), 1, i < 4));
	before = mapping->nrpages;
	KTEST_EXPECT_EQ(t, before, 16);
	KTEST_EXPECT_GE(t, drop_pagecache(), 12);
	KTEST_EXPECT_EQ(t, mapping->nrpages, 4);
	expect_counters_balance(t);
	ram_file_exit(rf);
	kfree(rf);
	expect_counters_balance(t);
}

/*
 * Direct reclaim with the real cache: kswapd kept out (its node hopeless),
 * every node's min a little above its free pages, 256 clean cached pages on
 * this node. A GFP_KERNEL allocation stalls, frees at least
 * SWAP_CLUSTER_MAX of them from the inactive tail (oldest first), gets its
 * page, and the progress revives the node's kswapd (failures back to 0).
 */
static void direct_reclaim_frees_clean_cache_oldest_first(struct ktest *t)
{
	struct ram_file *rf = kzalloc(sizeof(*rf), 0);
	unsigned long stalls = vm_event_count(ALLOCSTALL),
		      steal = vm_event_count(PGSTEAL_DIRECT);
	int nid = numa_node_id();
	struct address_space *mapping;
	struct page *page;
	unsigned long kept;

	KTEST_ASSERT_NOT_NULL(t, rf);
	if (ram_file_init(t, rf, 256, 7)) {
		kfree(rf);
		return;
	}
	mapping = rf->inode->i_mapping;
	for (int i = 0; i < 256; i++)
		folio_put(cache_page(t, rf, i, nid, 1, false));
	for (unsigned int n = 0; n < num_online_nodes(); n++) {
		pg_data_t *pgdat = NODE_DATA(n);
		unsigned long free = node_page_state(pgdat, NR_FREE_PAGES);

		WRITE_ONCE(pgdat->kswapd_failures, MAX_RECLAIM_RETRIES);
		WRITE_ONCE(pgdat->watermark[WMARK_MIN], free + 8);
		WRITE_ONCE(pgdat->watermark[WMARK_LOW], free + 16);
		WRITE_ONCE(pgdat->watermark[WMARK_HIGH], free + 24);
	}
	page = alloc_pages(nid, 0, GFP_KERNEL);
	setup_per_zone_wmarks();
	KTEST_EXPECT_NOT_NULL(t, page);
	if (page)
		__free_pages(page, 0);
	KTEST_EXPECT_EQ(t, vm_event_count(ALLOCSTALL), stalls + 1);
	KTEST_EXPECT_GE(t, vm_event_count(PGSTEAL_DIRECT) - steal, SWAP_CLUSTER_MAX);
	kept = READ_ONCE(mapping->nrpages);
	KTEST_EXPECT_LE(t, kept, 256 - SWAP_CLUSTER_MAX);
	KTEST_EXPECT_EQ(t, READ_ONCE(NODE_DATA(nid)->kswapd_failures), 0);
	/* Oldest first: the pages left are the newest ones. */
	for (unsigned long i = 0; i < 256; i++) {
		struct folio *f = filemap_get_folio(mapping, i);
		bool cached = !IS_ERR(f);

		if (cached)
			folio_put(f);
		if (cached != (i >= 256 - kept)) {
			ktest_fail(t, __FILE__, __LINE__, "page %lu %s", i,
				   cached ? "kept, an older one went" :
					    "went, a newer one stayed");
			break;
		}
	}
	for (unsigned int n = 0; n < num_online_nodes(); n++)
		WRITE_ONCE(NODE_DATA(n)->kswapd_failures, 0);
	ram_file_exit(rf);
	kfree(rf);
	expect_counters_balance(t);
}

/* ---- reclaim against lookups ---- */

#define HELD_PAGES   16
#define HELD_LOOKUPS 2000

struct holder {
	struct address_space *mapping;
	bool stop;
	int errors; /* lookups that failed */
	int taken;  /* folios held: reclaim took one out of the cache meanwhile */
	unsigned long held;
	struct completion done;
};

/* Read each page in, then look it up without locking it (as
 * filemap_read() does), hold it a while, and check it is still
 * in the cache: nothing truncates here, and reclaim must never take out a
 * folio somebody holds. */
static int holder_fn(void *data)
{
	struct holder *h = data;

	while (!READ_ONCE(h->stop)) {
		for (unsigned long i = 0; i < HELD_PAGES; i++) {
			struct folio *f = read_mapping_folio(h->mapping, i, NULL);

			if (IS_ERR(f)) {
				h->errors++;
				continue;
			}
			folio_put(f);
			f = filemap_get_folio(h->mapping, i);
			if (IS_ERR(f))
				continue; /* reclaimed meanwhile */

			/* The case reads it while this thread runs. */
			WRITE_ONCE(h->held, h->held + 1);
			yield();
			if (READ_ONCE(f->mapping) != h->mapping)
				h->taken++;
			folio_put(f);
		}
	}
	complete(&h->done);
	return 0;
}

/*
 * VMS3 (Linux's __remove_mapping(), which freezes the count at 2 under the
 * mapping's lock): reclaim frees a folio only if the cache and reclaim are
 * its only holders, checked where no lookup can take a reference, i.e.
 * under i_pages.xa_lock. A holder thread looks pages up and holds them
 * while drop_caches (the same path as kswapd and direct reclaim) runs
 * round after round: no folio it holds may leave the cache. Checked
 * before taking the lock, a lookup could land in between (the scheduling
 * points of the deterministic mode put it there).
 */
static void reclaim_never_takes_a_held_folio(struct ktest *t)
{
	struct ram_file *rf = kzalloc(sizeof(*rf), 0);
	struct holder h = {0};
	struct task_struct *k;

	KTEST_ASSERT_NOT_NULL(t, rf);
	if (ram_file_init(t, rf, HELD_PAGES, 8)) {
		kfree(rf);
		return;
	}
	h.mapping = rf->inode->i_mapping;
	init_completion(&h.done);
	k = kthread_run(holder_fn, &h, "reclaim-holder");
	KTEST_ASSERT_TRUE(t, !IS_ERR(k));
	/* drop_caches round after round until the holder took HELD_LOOKUPS
	 * references; 10 s without one more only catch a stuck holder. */
	for (unsigned long held, last = 0, since = jiffies;
	     (held = READ_ONCE(h.held)) < HELD_LOOKUPS;) {
		if (held != last) {
			last = held;
			since = jiffies;
		} else if (time_after(jiffies, since + 10 * HZ)) {
			ktest_fail(t, __FILE__, __LINE__,
				   "holder stuck at %lu references", held);
			break;
		}
		drop_pagecache();
		yield();
	}
	WRITE_ONCE(h.stop, true);
	wait_for_completion(&h.done);
	kthread_stop(k);
	KTEST_EXPECT_EQ(t, h.errors, 0);
	KTEST_EXPECT_GE(t, h.held, HELD_LOOKUPS);
	KTEST_EXPECT_EQ(t, h.taken, 0);
	ram_file_exit(rf);
	kfree(rf);
	expect_counters_balance(t);
}

static const struct ktest_case reclaim_cases[] = {
	KTEST_CASE(enomem_under_sync_all_sleeps_on_local_node),
	KTEST_CASE(enomem_under_sync_none_returns_at_once),
	KTEST_CASE(enomem_in_a_flusher_worker_retries_without_sleeping),
	KTEST_CASE(drop_caches_frees_clean_keeps_dirty),
	KTEST_CASE(direct_reclaim_frees_clean_cache_oldest_first),
	KTEST_CASE(reclaim_under_pressure_loses_and_rewrites_nothing),
	KTEST_CASE(reclaim_never_takes_a_held_folio),
	KTEST_END,
};

/* Whatever a case did to the watermarks, the next starts from the rule. */
static void reclaim_exit(struct ktest *t)
{
	setup_per_zone_wmarks();
}

/*
 * Another disk's writeback completing during a case woke its throttled
 * sleepers early, and its clean cached pages were reclaimed before the
 * case's own: each case starts with every disk synced and the clean page
 * cache dropped.
 */
static int reclaim_init(struct ktest *t)
{
	ksys_sync();
	drop_pagecache();
	return 0;
}

static const struct ktest_suite reclaim_suite = {
	.name = "reclaim",
	.init = reclaim_init,
	.exit = reclaim_exit,
	.cases = reclaim_cases,
};
KTEST_SUITE(reclaim_suite);
