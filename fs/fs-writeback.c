/*
 * fs/fs-writeback.c - dirty inodes and the flusher: which inodes are dirty
 * on each bdi_writeback, and the work that writes them back (sync, start-all,
 * kupdate, background).
 *
 * Layer: fs. Used by: the page cache (folio dirtying calls
 * __mark_inode_dirty), dirty throttling (wb_start_background_writeback),
 * reclaim (wakeup_flusher_threads), fsync and eviction (write_inode_now,
 * inode_wait_for_writeback, inode_io_list_del), `sync`.
 * Provides: __mark_inode_dirty(), wb_workfn(), wb_queue_work(),
 * wb_wakeup_delayed(), wb_start_background_writeback(),
 * wakeup_flusher_threads(), sync_inodes_sb(), write_inode_now(),
 * inode_wait_for_writeback(), inode_io_list_del(),
 * wb_reason_name(), wb_check_lists(). sync(2) itself: fs/sync.c.
 * Not here: writing one mapping (do_writepages, mm/page-writeback.c), the
 * thresholds it obeys (mm/dirty_throttle.c), the bdi life cycle
 * (mm/backing-dev.c).
 *
 * Each bdi has one bdi_writeback (no cgroups). A dirty inode sits on one of
 * its lists: b_dirty (newest at the head), b_io (this pass; taken from the
 * tail), b_more_io (requeued in this pass). The flusher is wb->dwork on
 * bdi_wq; a run (wb_workfn) does the queued works in order, then a pending
 * start-all request, then kupdate (inodes dirtied more than
 * dirty_expire_interval ago, every dirty_writeback_interval), then
 * background writeback while wb_over_bg_thresh().
 *
 * Invariants (checked by wb_check_lists()):
 *  WB10: an inode is on at most one list, of its own wb (inode->i_wb).
 *  WB11: b_dirty is ordered by dirtied_when, newest at the head (redirtying
 *      restamps an inode that would break the order), so the expired
 *      inodes are a tail of it.
 *  WB12: WB_has_dirty_io is set iff b_dirty, b_io or b_more_io holds an
 *      inode (under list_lock).
 *  WB13: I_SYNC is held by one writer at a time; nobody but that writer
 *      moves the inode between lists except to put it on b_dirty.
 *  WB14: an inode that is dirty, not I_SYNC and not I_FREEING is on a list
 *      (so it will be written).
 *
 * Locking: wb->list_lock -> inode->i_lock (the order, always); list_lock
 * guards the lists, i_io_list and dirtied_when. i_lock guards i_state.
 * wb->work_lock (irq) guards work_list and the WB_registered test before
 * queueing. The flusher sleeps (I/O waits, I_SYNC waits) with no spinlock
 * held. I_SYNC waiters sleep on inode_sync_wait.
 */
#include <quire/fs.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/pagemap.h>
#include <quire/blkdev.h>
#include <quire/completion.h>
#include <quire/sched.h>
#include <quire/slab.h>
#include <quire/jiffies.h>
#include <quire/trace.h>
#include <quire/shell.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include <quire/errno.h>
#include <quire/string.h>
#include "writeback_internal.h"

/* 4 MiB: the smallest chunk the flusher writes of one inode. */
#define MIN_WRITEBACK_PAGES (4096UL >> (PAGE_SHIFT - 10))
/* A flusher chunk is at most this fraction of the dirty limit. */
#define DIRTY_SCOPE	    8

static DECLARE_WAIT_QUEUE_HEAD(inode_sync_wait);
/* Inodes on some wb list: Linux's get_nr_dirty_inodes(), near enough. */
static atomic_t nr_io_list_inodes;

static const char *const wb_reason_names[WB_REASON_MAX] = {
	[WB_REASON_BACKGROUND] = "background",
	[WB_REASON_VMSCAN] = "vmscan",
	[WB_REASON_SYNC] = "sync",
	[WB_REASON_PERIODIC] = "periodic",
	[WB_REASON_LAPTOP_TIMER] = "laptop_timer",
	[WB_REASON_FS_FREE_SPACE] = "fs_free_space",
	[WB_REASON_FORKER_THREAD] = "forker_thread",
	[WB_REASON_FOREIGN_FLUSH] = "foreign_flush",
};

const char *wb_reason_name(enum wb_reason reason)
{
	if ((unsigned int)reason >= WB_REASON_MAX)
		return "unknown";
	return wb_reason_names[reason];
}

static struct inode *wb_inode(struct list_head *head)
{
	return list_entry(head, struct inode, i_io_list);
}

static struct bdi_writeback *inode_wb(struct inode *inode)
{
	return inode->i_wb ? inode->i_wb : inode_to_wb(inode);
}

/* ---- traces (Linux's events, fields and formats) ---- */

static void trace_wb_work(const char *event, struct bdi_writeback *wb,
			  struct wb_writeback_work *work)
{
	u32 sb_dev = work->sb && work->sb->s_bdi ? work->sb->s_bdi->dev : 0;

	trace_event(
		event,
		"bdi %u:%u: sb_dev %u:%u nr_pages=%ld sync_mode=%d kupdate=%d range_cyclic=%d background=%d reason=%s cgroup_ino=1",
		MAJOR(wb->bdi->dev), MINOR(wb->bdi->dev), MAJOR(sb_dev), MINOR(sb_dev),
		work->nr_pages, work->sync_mode, work->for_kupdate, work->range_cyclic,
		work->for_background, wb_reason_name(work->reason));
}

/* Linux's show_inode_state(): known names joined by '|', the rest in hex. */
static const char *inode_state_str(unsigned long state, char *buf, size_t size)
{
	static const struct {
		unsigned long bit;
		const char *name;
	} names[] = {
		{I_DIRTY_SYNC, "I_DIRTY_SYNC"},
		{I_DIRTY_DATASYNC, "I_DIRTY_DATASYNC"},
		{I_DIRTY_PAGES, "I_DIRTY_PAGES"},
		{I_NEW, "I_NEW"},
		{I_WILL_FREE, "I_WILL_FREE"},
		{I_FREEING, "I_FREEING"},
		{I_CLEAR, "I_CLEAR"},
		{I_SYNC, "I_SYNC"},
		{I_DIRTY_TIME, "I_DIRTY_TIME"},
		{I_REFERENCED, "I_REFERENCED"},
	};
	size_t len = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(state & names[i].bit))
			continue;
		state &= ~names[i].bit;
		len += scnprintf(buf + len, size - len, "%s%s", len ? "|" : "",
				 names[i].name);
	}
	if (state)
		len += scnprintf(buf + len, size - len, "%s0x%lx", len ? "|" : "", state);
	return buf;
}

static void trace_single_inode(const char *event, struct inode *inode,
			       struct writeback_control *wbc, long nr_to_write)
{
	struct bdi_writeback *wb = inode_wb(inode);
	char state[160];

	if (!trace_enabled())
		return;
	trace_event(
		event,
		"bdi %u:%u: ino=%lu state=%s dirtied_when=%lu age=%lu index=%lu to_write=%ld wrote=%lu cgroup_ino=1",
		MAJOR(wb->bdi->dev), MINOR(wb->bdi->dev), inode->i_ino,
		inode_state_str(READ_ONCE(inode->i_state), state, sizeof(state)),
		inode->dirtied_when, (jiffies - inode->dirtied_when) * 1000 / HZ,
		inode->i_mapping->writeback_index, nr_to_write,
		(unsigned long)(nr_to_write - wbc->nr_to_write));
}

/* ---- the lists ---- */

static bool wb_io_lists_populated(struct bdi_writeback *wb)
{
	if (wb_has_dirty_io(wb))
		return false;
	set_bit(WB_has_dirty_io, &wb->state);
	return true;
}

static void wb_io_lists_depopulated(struct bdi_writeback *wb)
{
	if (wb_has_dirty_io(wb) && list_empty(&wb->b_dirty) && list_empty(&wb->b_io) &&
	    list_empty(&wb->b_more_io))
		clear_bit(WB_has_dirty_io, &wb->state);
}

/* Move @inode to @head of @wb; true if the wb had no dirty inode before. */
static bool inode_io_list_move_locked(struct inode *inode, struct bdi_writeback *wb,
				      struct list_head *head)
{
	lockdep_assert_held(&wb->list_lock);
	if (list_empty(&inode->i_io_list))
		atomic_inc(&nr_io_list_inodes);
	list_move(&inode->i_io_list, head);
	return wb_io_lists_populated(wb);
}

static void inode_io_list_del_locked(struct inode *inode, struct bdi_writeback *wb)
{
	lockdep_assert_held(&wb->list_lock);
	if (!list_empty(&inode->i_io_list))
		atomic_dec(&nr_io_list_inodes);
	list_del_init(&inode->i_io_list);
	inode->i_state &= ~I_SYNC_QUEUED;
	wb_io_lists_depopulated(wb);
}

void inode_io_list_del(struct inode *inode)
{
	struct bdi_writeback *wb = inode_wb(inode);

	spin_lock(&wb->list_lock);
	spin_lock(&inode->i_lock);
	inode_io_list_del_locked(inode, wb);
	spin_unlock(&inode->i_lock);
	spin_unlock(&wb->list_lock);
}

/*
 * Back to b_dirty's head (WB11): an inode older than the current head
 * gets dirtied_when = now, so it is not seen as expired at once again.
 */
static void redirty_tail_locked(struct inode *inode, struct bdi_writeback *wb)
{
	if (!list_empty(&wb->b_dirty)) {
		struct inode *head = wb_inode(wb->b_dirty.next);

		if (head != inode && time_before(inode->dirtied_when, head->dirtied_when))
			inode->dirtied_when = jiffies;
	}
	inode_io_list_move_locked(inode, wb, &wb->b_dirty);
	inode->i_state &= ~I_SYNC_QUEUED;
}

static void redirty_tail(struct inode *inode, struct bdi_writeback *wb)
{
	spin_lock(&inode->i_lock);
	redirty_tail_locked(inode, wb);
	spin_unlock(&inode->i_lock);
}

/* Retry after this pass's b_io is done. */
static void requeue_io(struct inode *inode, struct bdi_writeback *wb)
{
	inode_io_list_move_locked(inode, wb, &wb->b_more_io);
}

static void inode_sync_complete(struct inode *inode)
{
	inode->i_state &= ~I_SYNC;
	smp_mb(); /* waiters see I_SYNC clear before the wake-up */
	wake_up_all(&inode_sync_wait);
}

/* Called with i_lock held; drops it, sleeps while I_SYNC, takes it again.
 * The caller keeps the inode alive. */
static void __inode_wait_for_writeback(struct inode *inode)
{
	while (inode->i_state & I_SYNC) {
		spin_unlock(&inode->i_lock);
		wait_event(inode_sync_wait, !(READ_ONCE(inode->i_state) & I_SYNC));
		spin_lock(&inode->i_lock);
	}
}

void inode_wait_for_writeback(struct inode *inode)
{
	spin_lock(&inode->i_lock);
	__inode_wait_for_writeback(inode);
	spin_unlock(&inode->i_lock);
}

/* Sleep once until I_SYNC is cleared; called with i_lock held, which is
 * dropped. The inode may be gone afterwards: not touched after the unlock. */
static void inode_sleep_on_writeback(struct inode *inode)
{
	DEFINE_WAIT(wait);
	bool sleep;

	prepare_to_wait(&inode_sync_wait, &wait, TASK_UNINTERRUPTIBLE);
	sleep = inode->i_state & I_SYNC;
	spin_unlock(&inode->i_lock);
	if (sleep)
		schedule();
	finish_wait(&inode_sync_wait, &wait);
}

/* Linux's list_splice_init(): @list's entries to the head of @head, in
 * their order; @list ends empty. */
static void list_splice_head(struct list_head *list, struct list_head *head)
{
	while (!list_empty(list))
		list_move(list->prev, head);
}

/*
 * Move the inodes dirtied at or before @dirtied_before from the tail of
 * @delaying_queue to @dispatch_queue, oldest last (taken first), grouped by
 * super_block. Returns how many moved (Linux's move_expired_inodes).
 */
static int move_expired_inodes(struct list_head *delaying_queue,
			       struct list_head *dispatch_queue,
			       unsigned long dirtied_before)
{
	LIST_HEAD(tmp);
	struct super_block *sb = NULL;
	struct inode *inode;
	bool do_sb_sort = false;
	int moved = 0;

	while (!list_empty(delaying_queue)) {
		inode = wb_inode(delaying_queue->prev);
		if (time_after(inode->dirtied_when, dirtied_before))
			break;
		list_move(&inode->i_io_list, &tmp);
		moved++;
		spin_lock(&inode->i_lock);
		inode->i_state |= I_SYNC_QUEUED;
		spin_unlock(&inode->i_lock);
		if (sb && sb != inode->i_sb)
			do_sb_sort = true;
		sb = inode->i_sb;
	}
	if (!do_sb_sort) {
		list_splice_head(&tmp, dispatch_queue);
		return moved;
	}
	while (!list_empty(&tmp)) {
		struct list_head *pos, *prev;

		sb = wb_inode(tmp.prev)->i_sb;
		for (pos = tmp.prev; pos != &tmp; pos = prev) {
			prev = pos->prev;
			if (wb_inode(pos)->i_sb == sb)
				list_move(pos, dispatch_queue);
		}
	}
	return moved;
}

/*
 * Refill b_io: b_more_io first, then the inodes of b_dirty dirtied at or
 * before @dirtied_before. Callers only call it with b_io empty.
 */
void queue_io(struct bdi_writeback *wb, struct wb_writeback_work *work,
	      unsigned long dirtied_before)
{
	int moved;

	lockdep_assert_held(&wb->list_lock);
	list_splice_head(&wb->b_more_io, &wb->b_io);
	moved = move_expired_inodes(&wb->b_dirty, &wb->b_io, dirtied_before);
	if (moved)
		wb_io_lists_populated(wb);
	trace_event("writeback_queue_io",
		    "bdi %u:%u: older=%lu age=%ld enqueue=%d reason=%s cgroup_ino=1",
		    MAJOR(wb->bdi->dev), MINOR(wb->bdi->dev), dirtied_before,
		    (long)(jiffies - dirtied_before) * 1000 / HZ, moved,
		    wb_reason_name(work->reason));
}

/* ---- work items ---- */

static void wb_wakeup(struct bdi_writeback *wb)
{
	spin_lock_irq(&wb->work_lock);
	if (test_bit(WB_registered, &wb->state))
		mod_delayed_work(bdi_wq, &wb->dwork, 0);
	spin_unlock_irq(&wb->work_lock);
}

void wb_wakeup_delayed(struct bdi_writeback *wb)
{
	unsigned long timeout =
		msecs_to_jiffies(READ_ONCE(dirty_writeback_interval) * 10);

	spin_lock_irq(&wb->work_lock);
	if (test_bit(WB_registered, &wb->state))
		queue_delayed_work(bdi_wq, &wb->dwork, timeout);
	spin_unlock_irq(&wb->work_lock);
}

static void finish_writeback_work(struct wb_writeback_work *work)
{
	struct completion *done = work->done;

	if (work->auto_free)
		kfree(work);
	if (done)
		complete(done);
}

void wb_queue_work(struct bdi_writeback *wb, struct wb_writeback_work *work)
{
	trace_wb_work("writeback_queue", wb, work);
	spin_lock_irq(&wb->work_lock);
	if (!test_bit(WB_registered, &wb->state)) {
		spin_unlock_irq(&wb->work_lock);
		finish_writeback_work(work);
		return;
	}
	list_add_tail(&work->list, &wb->work_list);
	mod_delayed_work(bdi_wq, &wb->dwork, 0);
	spin_unlock_irq(&wb->work_lock);
}

static struct wb_writeback_work *get_next_work_item(struct bdi_writeback *wb)
{
	struct wb_writeback_work *work = NULL;

	spin_lock_irq(&wb->work_lock);
	if (!list_empty(&wb->work_list)) {
		work = list_first_entry(&wb->work_list, struct wb_writeback_work, list);
		list_del_init(&work->list);
	}
	spin_unlock_irq(&wb->work_lock);
	return work;
}

/*
 * Start-all: write everything dirty now (no wait). Coalesces requests: one
 * pending at a time, with the first request's reason. Deviation from Linux,
 * which writes the reason after test_and_set_bit() with nothing ordering it
 * against the flusher's read (Linux only traces it): here the reason makes
 * a sync's pass for_sync (wb_check_start_all()), so the bit and the reason
 * are set together under work_lock, and the flusher reads them together
 * under it: it never sees the bit with the previous request's reason.
 */
static void wb_start_writeback(struct bdi_writeback *wb, enum wb_reason reason)
{
	unsigned long flags;

	if (!wb_has_dirty_io(wb))
		return;
	if (test_bit(WB_start_all, &wb->state))
		return;
	spin_lock_irqsave(&wb->work_lock, flags);
	if (test_and_set_bit(WB_start_all, &wb->state)) {
		spin_unlock_irqrestore(&wb->work_lock, flags);
		return;
	}
	wb->start_all_reason = reason;
	spin_unlock_irqrestore(&wb->work_lock, flags);
	wb_wakeup(wb);
}

void wb_start_background_writeback(struct bdi_writeback *wb)
{
	trace_event("writeback_wake_background", "bdi %u:%u: cgroup_ino=1",
		    MAJOR(wb->bdi->dev), MINOR(wb->bdi->dev));
	wb_wakeup(wb);
}

static int wakeup_one_bdi(struct backing_dev_info *bdi, void *arg)
{
	wb_start_writeback(&bdi->wb, *(enum wb_reason *)arg);
	return 0;
}

void wakeup_flusher_threads(enum wb_reason reason)
{
	if (current->plug)
		blk_flush_plug(current->plug);
	bdi_iterate(wakeup_one_bdi, &reason);
}

/* ---- writing one inode ---- */

static int write_inode(struct inode *inode, struct writeback_control *wbc)
{
	struct super_block *sb = inode->i_sb;

	if (sb && sb->s_op && sb->s_op->write_inode)
		return sb->s_op->write_inode(inode, wbc);
	return 0;
}

/*
 * Write @inode's pages (do_writepages) and, if its metadata is dirty, the
 * inode itself. The caller set I_SYNC and moves the inode between lists.
 * WB_SYNC_ALL (other than sync(2)'s, which waits per super_block) waits for
 * the data before writing the metadata.
 */
static int __writeback_single_inode(struct inode *inode, struct writeback_control *wbc)
{
	struct address_space *mapping = inode->i_mapping;
	long nr_to_write = wbc->nr_to_write;
	unsigned long dirty;
	int ret, err;

	WARN_ON(!(inode->i_state & I_SYNC));
	trace_single_inode("writeback_single_inode_start", inode, wbc, nr_to_write);
	ret = do_writepages(mapping, wbc);
	/* The flusher's plug (wb_writeback) would keep this inode's last
	 * requests until BLK_MAX_REQUEST_COUNT piled up or the work ended:
	 * send them now, so the disk never idles behind a long pass. Not
	 * for sync(2)'s passes (for_sync): their caller waits for the whole
	 * work anyway, and the plug then merges the neighbouring blocks of
	 * consecutive inodes (the small files a sync writes out); the plug
	 * goes at the end of the work, or when the flusher sleeps
	 * (sched_submit_work()). */
	if (current->plug && !wbc->for_sync)
		blk_flush_plug(current->plug);
	if (wbc->sync_mode == WB_SYNC_ALL && !wbc->for_sync) {
		err = filemap_fdatawait_range(mapping, 0, LLONG_MAX);
		if (!ret)
			ret = err;
	}

	/* Clear the dirty bits just before ->write_inode; pages dirtied
	 * meanwhile keep I_DIRTY_PAGES (pairs with __mark_inode_dirty). */
	spin_lock(&inode->i_lock);
	dirty = inode->i_state & I_DIRTY;
	inode->i_state &= ~dirty;
	smp_mb();
	if (mapping_tagged(mapping, PAGECACHE_TAG_DIRTY))
		inode->i_state |= I_DIRTY_PAGES;
	spin_unlock(&inode->i_lock);

	if (dirty & ~I_DIRTY_PAGES) {
		err = write_inode(inode, wbc);
		if (!ret)
			ret = err;
	}
	trace_single_inode("writeback_single_inode", inode, wbc, nr_to_write);
	return ret;
}

/*
 * Write one inode outside the flusher (write_inode_now). Leaves the lists
 * to the flusher unless the inode ends up clean (taken off) or dirty and
 * not queued for this pass (back to b_dirty).
 */
static int writeback_single_inode(struct inode *inode, struct writeback_control *wbc)
{
	struct bdi_writeback *wb;
	int ret = 0;

	spin_lock(&inode->i_lock);
	if (inode->i_state & I_SYNC) {
		if (wbc->sync_mode != WB_SYNC_ALL)
			goto out;
		__inode_wait_for_writeback(inode);
	}
	WARN_ON(inode->i_state & I_SYNC);
	if (!(inode->i_state & I_DIRTY_ALL) &&
	    (wbc->sync_mode != WB_SYNC_ALL ||
	     !mapping_tagged(inode->i_mapping, PAGECACHE_TAG_WRITEBACK)))
		goto out;
	inode->i_state |= I_SYNC;
	spin_unlock(&inode->i_lock);

	ret = __writeback_single_inode(inode, wbc);

	wb = inode_wb(inode);
	spin_lock(&wb->list_lock);
	spin_lock(&inode->i_lock);
	if (!(inode->i_state & I_FREEING)) {
		if (!(inode->i_state & I_DIRTY_ALL))
			inode_io_list_del_locked(inode, wb);
		else if (!(inode->i_state & I_SYNC_QUEUED))
			redirty_tail_locked(inode, wb);
	}
	spin_unlock(&wb->list_lock);
	inode_sync_complete(inode);
out:
	spin_unlock(&inode->i_lock);
	return ret;
}

int write_inode_now(struct inode *inode, int sync)
{
	struct writeback_control wbc = {
		.nr_to_write = LONG_MAX,
		.sync_mode = sync ? WB_SYNC_ALL : WB_SYNC_NONE,
		.range_start = 0,
		.range_end = LLONG_MAX,
	};

	if (!mapping_can_writeback(inode->i_mapping))
		wbc.nr_to_write = 0;
	return writeback_single_inode(inode, &wbc);
}

/*
 * Pages a flusher writes of one inode before moving on: everything for
 * integrity (and tagged) writeback, else min(avg bandwidth / 2, dirty limit
 * / DIRTY_SCOPE, what the work has left), rounded to MIN_WRITEBACK_PAGES.
 */
long writeback_chunk_size(struct bdi_writeback *wb, struct wb_writeback_work *work)
{
	long pages;

	if (work->sync_mode == WB_SYNC_ALL || work->tagged_writepages)
		return LONG_MAX;
	pages = min((long)(READ_ONCE(wb->avg_write_bandwidth) / 2),
		    (long)(READ_ONCE(global_wb_domain.dirty_limit) / DIRTY_SCOPE));
	pages = min(pages, work->nr_pages);
	return (pages + MIN_WRITEBACK_PAGES) / MIN_WRITEBACK_PAGES * MIN_WRITEBACK_PAGES;
}

/*
 * Where an inode goes after the flusher wrote it (reference section 8):
 * pages skipped -> b_dirty; still dirty with the budget used up ->
 * b_more_io; still dirty otherwise (blocked) -> b_dirty, so we do not spin;
 * metadata dirty -> b_dirty; clean -> off the lists. Integrity writeback
 * restamps a still-dirty inode so this sync does not take it again.
 * Both locks held.
 */
void requeue_inode(struct inode *inode, struct bdi_writeback *wb,
		   struct writeback_control *wbc)
{
	if (inode->i_state & I_FREEING)
		return;
	if ((inode->i_state & I_DIRTY) &&
	    (wbc->sync_mode == WB_SYNC_ALL || wbc->tagged_writepages))
		inode->dirtied_when = jiffies;
	if (wbc->pages_skipped) {
		if (inode->i_state & I_DIRTY_ALL)
			redirty_tail_locked(inode, wb);
		else
			inode_io_list_del_locked(inode, wb);
		return;
	}
	if (mapping_tagged(inode->i_mapping, PAGECACHE_TAG_DIRTY)) {
		if (wbc->nr_to_write <= 0)
			requeue_io(inode, wb);
		else
			redirty_tail_locked(inode, wb);
	} else if (inode->i_state & I_DIRTY) {
		redirty_tail_locked(inode, wb);
	} else {
		inode_io_list_del_locked(inode, wb);
	}
}

/*
 * Write the inodes at the tail of b_io that belong to @sb (work->sb: move
 * others back to b_dirty; no work->sb: stop at the first other sb). Returns
 * pages written plus inodes cleaned. list_lock held, dropped around I/O.
 */
static long writeback_sb_inodes(struct super_block *sb, struct bdi_writeback *wb,
				struct wb_writeback_work *work)
{
	struct writeback_control wbc = {
		.sync_mode = work->sync_mode,
		.tagged_writepages = work->tagged_writepages,
		.for_kupdate = work->for_kupdate,
		.for_background = work->for_background,
		.for_sync = work->for_sync,
		.range_cyclic = work->range_cyclic,
		.range_start = 0,
		.range_end = LLONG_MAX,
		.wb = wb,
	};
	unsigned long start_time = jiffies;
	long write_chunk, wrote = 0;

	while (!list_empty(&wb->b_io)) {
		struct inode *inode = wb_inode(wb->b_io.prev);

		if (inode->i_sb != sb) {
			if (work->sb) {
				redirty_tail(inode, wb);
				continue;
			}
			break;
		}
		spin_lock(&inode->i_lock);
		if (inode->i_state & (I_NEW | I_FREEING | I_WILL_FREE)) {
			redirty_tail_locked(inode, wb);
			spin_unlock(&inode->i_lock);
			continue;
		}
		if ((inode->i_state & I_SYNC) && wbc.sync_mode != WB_SYNC_ALL) {
			/* Someone else writes it: try again after this pass. */
			spin_unlock(&inode->i_lock);
			requeue_io(inode, wb);
			continue;
		}
		spin_unlock(&wb->list_lock);
		if (inode->i_state & I_SYNC) {
			/* Integrity writeback waits; the inode may be gone
			 * after that: start again. */
			inode_sleep_on_writeback(inode);
			spin_lock(&wb->list_lock);
			continue;
		}
		inode->i_state |= I_SYNC; /* WB13; pins the inode (evict waits) */
		spin_unlock(&inode->i_lock);

		write_chunk = writeback_chunk_size(wb, work);
		wbc.nr_to_write = write_chunk;
		wbc.pages_skipped = 0;
		wbc.inode = inode;
		__writeback_single_inode(inode, &wbc);
		wbc.inode = NULL;

		work->nr_pages -= write_chunk - wbc.nr_to_write;
		wrote += write_chunk - wbc.nr_to_write;
		cond_resched();

		spin_lock(&wb->list_lock);
		spin_lock(&inode->i_lock);
		if (!(inode->i_state & I_DIRTY_ALL))
			wrote++;
		requeue_inode(inode, wb, &wbc);
		inode_sync_complete(inode);
		spin_unlock(&inode->i_lock);
		/* Back to wb_writeback() often enough to check the
		 * background threshold and other works. */
		if (wrote) {
			if (time_is_before_jiffies(start_time + HZ / 10UL))
				break;
			if (work->nr_pages <= 0)
				break;
		}
	}
	return wrote;
}

/* Write b_io super_block by super_block (each read-locked). */
static long __writeback_inodes_wb(struct bdi_writeback *wb,
				  struct wb_writeback_work *work)
{
	unsigned long start_time = jiffies;
	long wrote = 0;

	while (!list_empty(&wb->b_io)) {
		struct inode *inode = wb_inode(wb->b_io.prev);
		struct super_block *sb = inode->i_sb;

		if (!down_read_trylock(&sb->s_umount)) {
			redirty_tail(inode, wb);
			continue;
		}
		wrote += writeback_sb_inodes(sb, wb, work);
		up_read(&sb->s_umount);
		if (wrote) {
			if (time_is_before_jiffies(start_time + HZ / 10UL))
				break;
			if (work->nr_pages <= 0)
				break;
		}
	}
	return wrote;
}

/*
 * Do one work: pass after pass over b_io until nr_pages are written or
 * nothing more is to be had. Only inodes dirtied before the work began are
 * taken (kupdate: before jiffies - dirty_expire_interval; background: all),
 * so a steady writer cannot keep a sync going. Background and kupdate yield
 * to queued works. Returns pages written.
 */
static long wb_writeback(struct bdi_writeback *wb, struct wb_writeback_work *work)
{
	unsigned long dirtied_before = jiffies;
	long nr_pages = work->nr_pages;
	struct blk_plug plug;
	struct inode *inode;
	long progress;

	blk_start_plug(&plug);
	for (;;) {
		if (work->nr_pages <= 0)
			break;
		if ((work->for_background || work->for_kupdate) &&
		    !list_empty(&wb->work_list))
			break;
		if (work->for_background && !wb_over_bg_thresh(wb))
			break;

		spin_lock(&wb->list_lock);
		trace_wb_work("writeback_start", wb, work);
		if (list_empty(&wb->b_io)) {
			if (work->for_kupdate)
				dirtied_before =
					jiffies -
					msecs_to_jiffies(
						READ_ONCE(dirty_expire_interval) * 10);
			else if (work->for_background)
				dirtied_before = jiffies;
			queue_io(wb, work, dirtied_before);
		}
		if (work->sb)
			progress = writeback_sb_inodes(work->sb, wb, work);
		else
			progress = __writeback_inodes_wb(wb, work);
		trace_wb_work("writeback_written", wb, work);

		if (progress) {
			spin_unlock(&wb->list_lock);
			continue;
		}
		if (list_empty(&wb->b_more_io)) {
			spin_unlock(&wb->list_lock);
			break;
		}
		/* Nothing written but inodes wait on another writer: sleep
		 * until one is free rather than spin. */
		trace_wb_work("writeback_wait", wb, work);
		inode = wb_inode(wb->b_more_io.prev);
		spin_lock(&inode->i_lock);
		spin_unlock(&wb->list_lock);
		inode_sleep_on_writeback(inode);
	}
	blk_finish_plug(&plug);
	return nr_pages - work->nr_pages;
}

static long get_nr_dirty_pages(void)
{
	return global_node_page_state(NR_FILE_DIRTY) + atomic_read(&nr_io_list_inodes);
}

static long wb_check_start_all(struct bdi_writeback *wb)
{
	enum wb_reason reason;
	long nr_pages;

	if (!test_bit(WB_start_all, &wb->state))
		return 0;
	/* the reason set with the bit (wb_start_writeback()) */
	spin_lock_irq(&wb->work_lock);
	reason = wb->start_all_reason;
	spin_unlock_irq(&wb->work_lock);
	nr_pages = get_nr_dirty_pages();
	if (nr_pages) {
		struct wb_writeback_work work = {
			.nr_pages = nr_pages,
			.sync_mode = WB_SYNC_NONE,
			.range_cyclic = 1,
			.reason = reason,
			/* sync(2)'s first step (wakeup_flusher_threads()):
			 * like sync's own works, keep the plug across inodes
			 * (__writeback_single_inode()), so the small files
			 * of a sync merge whichever pass writes them. */
			.for_sync = reason == WB_REASON_SYNC,
		};

		nr_pages = wb_writeback(wb, &work);
	}
	clear_bit(WB_start_all, &wb->state);
	return nr_pages;
}

/* kupdate: every dirty_writeback_interval, the inodes older than
 * dirty_expire_interval. 0 disables it. */
static long wb_check_old_data_flush(struct bdi_writeback *wb)
{
	unsigned int interval = READ_ONCE(dirty_writeback_interval);
	unsigned long expired;
	long nr_pages;

	if (!interval) /* `sysctl` may write it meanwhile: read it once */
		return 0;
	expired = wb->last_old_flush + msecs_to_jiffies(interval * 10);
	if (time_before(jiffies, expired))
		return 0;
	wb->last_old_flush = jiffies;
	nr_pages = get_nr_dirty_pages();
	if (nr_pages) {
		struct wb_writeback_work work = {
			.nr_pages = nr_pages,
			.sync_mode = WB_SYNC_NONE,
			.for_kupdate = 1,
			.range_cyclic = 1,
			.reason = WB_REASON_PERIODIC,
		};

		return wb_writeback(wb, &work);
	}
	return 0;
}

static long wb_check_background_flush(struct bdi_writeback *wb)
{
	if (wb_over_bg_thresh(wb)) {
		struct wb_writeback_work work = {
			.nr_pages = LONG_MAX,
			.sync_mode = WB_SYNC_NONE,
			.for_background = 1,
			.range_cyclic = 1,
			.reason = WB_REASON_BACKGROUND,
		};

		return wb_writeback(wb, &work);
	}
	return 0;
}

/*
 * bdi_unregister() runs the flusher once more after clearing WB_registered:
 * start writing whatever is still dirty (WB_SYNC_NONE, like start-all; the
 * caller waits for the I/O it cares about). Linux leaves that to the
 * unmount's sync; Quire has no unmount yet.
 */
static long wb_check_shutdown(struct bdi_writeback *wb)
{
	struct wb_writeback_work work = {
		.nr_pages = LONG_MAX,
		.sync_mode = WB_SYNC_NONE,
		.range_cyclic = 1,
		.reason = WB_REASON_SYNC,
	};

	if (test_bit(WB_registered, &wb->state) || !wb_has_dirty_io(wb))
		return 0;
	return wb_writeback(wb, &work);
}

/* One flusher round, in the reference's order. */
static long wb_do_writeback(struct bdi_writeback *wb)
{
	struct wb_writeback_work *work;
	long wrote = 0;

	set_bit(WB_writeback_running, &wb->state);
	while ((work = get_next_work_item(wb)) != NULL) {
		trace_wb_work("writeback_exec", wb, work);
		wrote += wb_writeback(wb, work);
		finish_writeback_work(work);
	}
	wrote += wb_check_start_all(wb);
	wrote += wb_check_old_data_flush(wb);
	wrote += wb_check_background_flush(wb);
	wrote += wb_check_shutdown(wb);
	clear_bit(WB_writeback_running, &wb->state);
	return wrote;
}

void wb_workfn(struct work_struct *work)
{
	struct bdi_writeback *wb =
		container_of(to_delayed_work(work), struct bdi_writeback, dwork);
	long pages_written;

	do {
		pages_written = wb_do_writeback(wb);
		trace_event("writeback_pages_written", "%ld", pages_written);
	} while (!list_empty(&wb->work_list));

	if (!list_empty(&wb->work_list))
		wb_wakeup(wb);
	else if (wb_has_dirty_io(wb) && READ_ONCE(dirty_writeback_interval))
		wb_wakeup_delayed(wb);
}

/* ---- dirtying ---- */

/*
 * Mark @inode dirty with @flags (I_DIRTY_*). The first dirtying puts it at
 * the head of its wb's b_dirty with dirtied_when = now and, if the wb had no
 * dirty inode, arms the flusher for dirty_writeback_interval from now.
 * I_DIRTY_TIME (lazytime) is not kept apart: it counts as I_DIRTY_SYNC.
 * Context: any process context; takes i_lock and wb->list_lock.
 */
void __mark_inode_dirty(struct inode *inode, int flags)
{
	struct bdi_writeback *wb = NULL;
	unsigned long was_dirty;
	bool wakeup_bdi;

	if (flags & I_DIRTY_TIME)
		flags = (flags & ~I_DIRTY_TIME) | I_DIRTY_SYNC;
	flags &= I_DIRTY;
	/* No lockless early return (Linux peeks at i_state after a barrier):
	 * i_lock orders us against __writeback_single_inode() clearing the
	 * bits, and the page cache calls here once per clean->dirty page. */
	spin_lock(&inode->i_lock);
	if ((inode->i_state & flags) == (unsigned long)flags)
		goto out_unlock;
	was_dirty = inode->i_state & I_DIRTY;
	if (!inode->i_wb)
		inode->i_wb = inode_to_wb(inode);
	inode->i_state |= flags;
	if (!was_dirty) {
		wb = inode->i_wb;
		spin_unlock(&inode->i_lock);
		spin_lock(&wb->list_lock);
		spin_lock(&inode->i_lock);
	}
	/* Being written for this pass, or going away: flags are enough. */
	if (inode->i_state & (I_SYNC_QUEUED | I_FREEING))
		goto out_unlock;
	if (!was_dirty) {
		inode->dirtied_when = jiffies;
		wakeup_bdi = inode_io_list_move_locked(inode, wb, &wb->b_dirty);
		spin_unlock(&wb->list_lock);
		spin_unlock(&inode->i_lock);
		if (wakeup_bdi && (wb->bdi->capabilities & BDI_CAP_WRITEBACK))
			wb_wakeup_delayed(wb);
		return;
	}
out_unlock:
	if (wb)
		spin_unlock(&wb->list_lock);
	spin_unlock(&inode->i_lock);
}

/* ---- sync ---- */

/* A reference unless the last one is already gone (iput() drops it without
 * i_lock; the inode stays on s_inodes, under our list lock, until evicted). */
static bool inode_get_unless_zero(struct inode *inode)
{
	int count = atomic_read(&inode->i_count);

	do {
		if (!count)
			return false;
	} while (!atomic_try_cmpxchg(&inode->i_count, &count, count + 1));
	return true;
}

/* Wait for the writeback of every inode of @sb that has pages (sync(2)'s
 * second half: the WB_SYNC_ALL pass only started I/O). */
static void wait_sb_inodes(struct super_block *sb)
{
	struct inode *inode, *old = NULL;

	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		struct address_space *mapping = inode->i_mapping;

		spin_lock(&inode->i_lock);
		if ((inode->i_state & (I_FREEING | I_WILL_FREE | I_NEW)) ||
		    !mapping_tagged(mapping, PAGECACHE_TAG_WRITEBACK) ||
		    !inode_get_unless_zero(inode)) {
			spin_unlock(&inode->i_lock);
			continue;
		}
		spin_unlock(&inode->i_lock);
		spin_unlock(&sb->s_inode_list_lock);
		if (old)
			iput(old);
		old = inode;
		filemap_fdatawait_range_keep_errors(mapping, 0, LLONG_MAX);
		cond_resched();
		spin_lock(&sb->s_inode_list_lock);
	}
	spin_unlock(&sb->s_inode_list_lock);
	if (old)
		iput(old);
}

/* Write every dirty inode of @sb (WB_SYNC_ALL) and wait for all of its
 * writeback. Context: process, may sleep; s_umount held. */
void sync_inodes_sb(struct super_block *sb)
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct wb_writeback_work work = {
		.sb = sb,
		.sync_mode = WB_SYNC_ALL,
		.nr_pages = LONG_MAX,
		.range_cyclic = 0,
		.done = &done,
		.reason = WB_REASON_SYNC,
		.for_sync = 1,
	};
	struct backing_dev_info *bdi = sb->s_bdi;

	if (!bdi || bdi == &noop_backing_dev_info)
		return;
	wb_queue_work(&bdi->wb, &work);
	wait_for_completion(&done);
	wait_sb_inodes(sb);
}

/* ---- the checker ---- */

/* WB10-WB12 (and WB13's owner rule is the code's). 0, or -EUCLEAN with one
 * line naming the broken invariant. Context: process; takes list_lock. */
int wb_check_lists(struct bdi_writeback *wb)
{
	struct list_head *lists[] = {&wb->b_dirty, &wb->b_io, &wb->b_more_io};
	struct inode *inode, *prev = NULL;
	unsigned int i;
	bool any = false;
	int err = 0;

	spin_lock(&wb->list_lock);
	for (i = 0; i < ARRAY_SIZE(lists) && !err; i++) {
		list_for_each_entry(inode, lists[i], i_io_list) {
			any = true;
			if (inode->i_wb != wb) {
				pr_err("WB10: inode %lu on a list of another wb\n",
				       inode->i_ino);
				err = -EUCLEAN;
				break;
			}
			if (i == 0 && prev &&
			    time_after(inode->dirtied_when, prev->dirtied_when)) {
				pr_err("WB11: b_dirty: inode %lu (dirtied %lu) after newer inode %lu (%lu)\n",
				       inode->i_ino, inode->dirtied_when, prev->i_ino,
				       prev->dirtied_when);
				err = -EUCLEAN;
				break;
			}
			if (i == 0)
				prev = inode;
		}
	}
	if (!err && any != wb_has_dirty_io(wb)) {
		pr_err("WB12: WB_has_dirty_io %d but lists %s\n", wb_has_dirty_io(wb),
		       any ? "populated" : "empty");
		err = -EUCLEAN;
	}
	spin_unlock(&wb->list_lock);
	return err;
}
