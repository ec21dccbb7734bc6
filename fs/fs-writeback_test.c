/*
 * fs/fs-writeback_test.c - KTAP suite "fs_writeback": the dirty-inode
 * lists (first dirtying, queue_io, requeue_inode), the chunk size, and the
 * checker of WB10-WB12, on inodes made by hand.
 *
 * The inodes here have no pages: requeue_inode() only asks
 * mapping_tagged(DIRTY), so a case sets the DIRTY mark at the root of the
 * mapping's xarray to stand for "pages still dirty". Their bdi is never
 * registered, so no flusher runs for it. The flusher itself, with the real
 * page cache, is in fs/fs-writeback_flush_test.c.
 */
#include <quire/ktest.h>
#include <quire/fs.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/jiffies.h>
#include "writeback_internal.h"

struct wb_fixture {
	struct backing_dev_info bdi;
	struct super_block sb;
	struct inode inodes[4];
};

static void fixture_inode_init(struct wb_fixture *f, struct inode *inode,
			       unsigned long ino)
{
	inode->i_ino = ino;
	inode->i_sb = &f->sb;
	inode->i_mapping = &inode->i_data;
	inode->i_data.host = inode;
	spin_lock_init(&inode->i_lock);
	INIT_LIST_HEAD(&inode->i_io_list);
	INIT_LIST_HEAD(&inode->i_sb_list);
	atomic_set(&inode->i_count, 1);
}

static struct wb_fixture *fixture_new(void)
{
	struct wb_fixture *f = kzalloc(sizeof(*f), GFP_KERNEL);
	unsigned int i;

	if (!f)
		return NULL;
	bdi_init(&f->bdi); /* unregistered: no flusher of its own */
	f->bdi.capabilities = BDI_CAP_WRITEBACK | BDI_CAP_WRITEBACK_ACCT;
	f->sb.s_bdi = &f->bdi;
	spin_lock_init(&f->sb.s_inode_list_lock);
	INIT_LIST_HEAD(&f->sb.s_inodes);
	init_rwsem(&f->sb.s_umount);
	for (i = 0; i < ARRAY_SIZE(f->inodes); i++)
		fixture_inode_init(f, &f->inodes[i], 100 + i);
	return f;
}

static void fixture_free(struct wb_fixture *f)
{
	unsigned int i;

	if (!f)
		return;
	for (i = 0; i < ARRAY_SIZE(f->inodes); i++)
		inode_io_list_del(&f->inodes[i]);
	wb_exit(&f->bdi.wb);
	kfree(f);
}

static void set_pages_dirty_mark(struct inode *inode, bool on)
{
	if (on)
		inode->i_data.i_pages.xa_marks |= 1u << PAGECACHE_TAG_DIRTY;
	else
		inode->i_data.i_pages.xa_marks &= ~(1u << PAGECACHE_TAG_DIRTY);
}

static bool on_list(struct inode *inode, struct list_head *head)
{
	struct inode *pos;

	list_for_each_entry(pos, head, i_io_list)
		if (pos == inode)
			return true;
	return false;
}

/* Put @inode on b_io as the flusher would have, written with @wbc. */
static void requeue_after(struct wb_fixture *f, struct inode *inode,
			  struct writeback_control *wbc)
{
	struct bdi_writeback *wb = &f->bdi.wb;

	spin_lock(&wb->list_lock);
	spin_lock(&inode->i_lock);
	requeue_inode(inode, wb, wbc);
	spin_unlock(&inode->i_lock);
	spin_unlock(&wb->list_lock);
}

/* Start each requeue case from: dirtied (on b_dirty), moved to b_io. */
static void make_written(struct wb_fixture *f, struct inode *inode, int dirty_flags)
{
	struct bdi_writeback *wb = &f->bdi.wb;

	__mark_inode_dirty(inode, I_DIRTY_PAGES);
	spin_lock(&wb->list_lock);
	list_move(&inode->i_io_list, &wb->b_io);
	spin_unlock(&wb->list_lock);
	spin_lock(&inode->i_lock);
	inode->i_state = dirty_flags; /* what __writeback_single_inode left */
	spin_unlock(&inode->i_lock);
}

/* Reference section 8: chunk = everything for integrity or tagged work,
 * else min(avg bw / 2, dirty limit / 8, work pages) rounded to 4 MiB. */
static void chunk_size_rule(struct ktest *t)
{
	struct wb_fixture *f = fixture_new();
	struct wb_writeback_work work = {.nr_pages = LONG_MAX, .sync_mode = WB_SYNC_NONE};
	unsigned long saved_limit = global_wb_domain.dirty_limit;
	const long min_pages = 4096 >> (PAGE_SHIFT - 10);

	KTEST_ASSERT_NOT_NULL(t, f);
	KTEST_EXPECT_EQ(t, min_pages, 1024);
	f->bdi.wb.avg_write_bandwidth = 25600;
	global_wb_domain.dirty_limit = 20000;
	/* dirty limit / 8 = 2500 -> 2500 + 1024 rounded down to 3072 */
	KTEST_EXPECT_EQ(t, writeback_chunk_size(&f->bdi.wb, &work), 3072);
	f->bdi.wb.avg_write_bandwidth = 2000; /* bw / 2 = 1000 -> 2024 -> 1024 */
	KTEST_EXPECT_EQ(t, writeback_chunk_size(&f->bdi.wb, &work), 1024);
	work.nr_pages = 10; /* a small work still writes one 4 MiB chunk */
	KTEST_EXPECT_EQ(t, writeback_chunk_size(&f->bdi.wb, &work), 1024);
	f->bdi.wb.avg_write_bandwidth = 1 << 20;
	work.nr_pages = 5000; /* the work's pages: 5000 + 1024 -> 5120 */
	global_wb_domain.dirty_limit = 1 << 20;
	KTEST_EXPECT_EQ(t, writeback_chunk_size(&f->bdi.wb, &work), 5120);
	work.sync_mode = WB_SYNC_ALL;
	KTEST_EXPECT_EQ(t, writeback_chunk_size(&f->bdi.wb, &work), LONG_MAX);
	work.sync_mode = WB_SYNC_NONE;
	work.tagged_writepages = 1;
	KTEST_EXPECT_EQ(t, writeback_chunk_size(&f->bdi.wb, &work), LONG_MAX);
	global_wb_domain.dirty_limit = saved_limit;
	fixture_free(f);
}

/* The first dirtying stamps dirtied_when and puts the inode at the head of
 * b_dirty; dirtying it again moves nothing. */
static void first_dirtying_goes_to_b_dirty_head(struct ktest *t)
{
	struct wb_fixture *f = fixture_new();
	struct bdi_writeback *wb;
	struct inode *a, *b;
	unsigned long stamp;

	KTEST_ASSERT_NOT_NULL(t, f);
	wb = &f->bdi.wb;
	a = &f->inodes[0];
	b = &f->inodes[1];
	KTEST_EXPECT_FALSE(t, wb_has_dirty_io(wb));
	__mark_inode_dirty(a, I_DIRTY_PAGES);
	stamp = a->dirtied_when;
	KTEST_EXPECT_LE(t, jiffies - stamp, 1);
	KTEST_EXPECT_TRUE(t, wb_has_dirty_io(wb));
	KTEST_EXPECT_EQ(t, a->i_wb, wb);
	KTEST_EXPECT_TRUE(t, a->i_state & I_DIRTY_PAGES);
	__mark_inode_dirty(b, I_DIRTY_SYNC);
	KTEST_EXPECT_TRUE(t, wb->b_dirty.next == &b->i_io_list);
	KTEST_EXPECT_TRUE(t, wb->b_dirty.prev == &a->i_io_list);
	/* Again, and with another flag: a stays where it is, same stamp. */
	__mark_inode_dirty(a, I_DIRTY_PAGES);
	__mark_inode_dirty(a, I_DIRTY_SYNC);
	KTEST_EXPECT_TRUE(t, wb->b_dirty.prev == &a->i_io_list);
	KTEST_EXPECT_EQ(t, a->dirtied_when, stamp);
	KTEST_EXPECT_EQ(t, a->i_state & I_DIRTY, I_DIRTY_PAGES | I_DIRTY_SYNC);
	KTEST_EXPECT_EQ(t, wb_check_lists(wb), 0);
	inode_io_list_del(a);
	KTEST_EXPECT_TRUE(t, wb_has_dirty_io(wb));
	inode_io_list_del(b);
	KTEST_EXPECT_FALSE(t, wb_has_dirty_io(wb));
	fixture_free(f);
}

/* queue_io: b_more_io first, then the expired inodes of b_dirty, oldest
 * first; the young one stays. */
static void queue_io_takes_more_io_then_expired(struct ktest *t)
{
	struct wb_fixture *f = fixture_new();
	struct wb_writeback_work work = {.reason = WB_REASON_PERIODIC};
	unsigned long now = jiffies, expire = 30 * HZ;
	struct bdi_writeback *wb;
	struct inode *old1, *old2, *young, *more;

	KTEST_ASSERT_NOT_NULL(t, f);
	wb = &f->bdi.wb;
	old1 = &f->inodes[0];
	old2 = &f->inodes[1];
	young = &f->inodes[2];
	more = &f->inodes[3];
	__mark_inode_dirty(old1, I_DIRTY_PAGES);
	__mark_inode_dirty(old2, I_DIRTY_PAGES);
	__mark_inode_dirty(young, I_DIRTY_PAGES);
	__mark_inode_dirty(more, I_DIRTY_PAGES);
	spin_lock(&wb->list_lock);
	old1->dirtied_when = now - expire - 10 * HZ;
	old2->dirtied_when = now - expire - 5 * HZ;
	young->dirtied_when = now - HZ;
	list_move(&more->i_io_list, &wb->b_more_io);
	spin_unlock(&wb->list_lock);
	KTEST_EXPECT_EQ(t, wb_check_lists(wb), 0);

	spin_lock(&wb->list_lock);
	queue_io(wb, &work, now - expire);
	spin_unlock(&wb->list_lock);
	KTEST_EXPECT_TRUE(t, list_empty(&wb->b_more_io));
	KTEST_EXPECT_TRUE(t, wb->b_io.prev == &more->i_io_list);
	KTEST_EXPECT_TRUE(t, wb->b_io.prev->prev == &old1->i_io_list);
	KTEST_EXPECT_TRUE(t, wb->b_io.prev->prev->prev == &old2->i_io_list);
	KTEST_EXPECT_TRUE(t, wb->b_io.next == &old2->i_io_list);
	KTEST_EXPECT_TRUE(t, on_list(young, &wb->b_dirty));
	KTEST_EXPECT_TRUE(t, old1->i_state & I_SYNC_QUEUED);
	KTEST_EXPECT_FALSE(t, young->i_state & I_SYNC_QUEUED);
	KTEST_EXPECT_EQ(t, wb_check_lists(wb), 0);
	fixture_free(f);
}

enum requeue_dest {
	OFF_LISTS,
	TO_B_DIRTY,
	TO_B_MORE_IO
};

/*
 * Inode 0 has just been written with @dirty_flags left and its pages'
 * DIRTY mark @pages_dirty; requeue it after @wbc and check it is on
 * @dest and the lists hold (WB invariants).
 * Returns the fixture for the caller's own checks (it frees it), or NULL.
 */
static struct wb_fixture *requeue_expect(struct ktest *t, struct writeback_control *wbc,
					 int dirty_flags, bool pages_dirty,
					 enum requeue_dest dest)
{
	struct wb_fixture *f = fixture_new();
	struct inode *inode;

	KTEST_EXPECT_NOT_NULL(t, f);
	if (!f)
		return NULL;
	inode = &f->inodes[0];
	make_written(f, inode, dirty_flags);
	set_pages_dirty_mark(inode, pages_dirty);
	requeue_after(f, inode, wbc);
	if (dest == TO_B_DIRTY)
		KTEST_EXPECT_TRUE(t, on_list(inode, &f->bdi.wb.b_dirty));
	else if (dest == TO_B_MORE_IO)
		KTEST_EXPECT_TRUE(t, on_list(inode, &f->bdi.wb.b_more_io));
	else
		KTEST_EXPECT_TRUE(t, list_empty(&inode->i_io_list));
	KTEST_EXPECT_EQ(t, wb_check_lists(&f->bdi.wb), 0);
	return f;
}

/* Pages skipped (a ->writepage declined): back to b_dirty. */
static void requeue_pages_skipped_goes_to_b_dirty(struct ktest *t)
{
	struct writeback_control wbc = {.nr_to_write = 100, .pages_skipped = 3};

	fixture_free(requeue_expect(t, &wbc, I_DIRTY_PAGES, true, TO_B_DIRTY));
}

/* Still dirty, budget used up: b_more_io (next pass of this work). */
static void requeue_budget_used_goes_to_b_more_io(struct ktest *t)
{
	struct writeback_control wbc = {.nr_to_write = 0};

	fixture_free(requeue_expect(t, &wbc, I_DIRTY_PAGES, true, TO_B_MORE_IO));
}

/* Still dirty with budget left (blocked): b_dirty, so no spinning. */
static void requeue_blocked_goes_to_b_dirty(struct ktest *t)
{
	struct writeback_control wbc = {.nr_to_write = 500};
	struct wb_fixture *f = requeue_expect(t, &wbc, I_DIRTY_PAGES, true, TO_B_DIRTY);

	if (f)
		KTEST_EXPECT_FALSE(t, f->inodes[0].i_state & I_SYNC_QUEUED);
	fixture_free(f);
}

/* Pages clean but the inode itself dirty again: b_dirty. */
static void requeue_metadata_dirty_goes_to_b_dirty(struct ktest *t)
{
	struct writeback_control wbc = {.nr_to_write = 500};

	fixture_free(requeue_expect(t, &wbc, I_DIRTY_SYNC, false, TO_B_DIRTY));
}

/* Clean: off every list, and the wb has no dirty io left (WB12). */
static void requeue_clean_goes_off_lists(struct ktest *t)
{
	struct writeback_control wbc = {.nr_to_write = 500};
	struct wb_fixture *f = requeue_expect(t, &wbc, 0, false, OFF_LISTS);

	if (f)
		KTEST_EXPECT_FALSE(t, wb_has_dirty_io(&f->bdi.wb));
	fixture_free(f);
}

/* Integrity writeback restamps a still-dirty inode (this sync must not
 * take it again) and keeps b_dirty ordered (WB11). */
static void requeue_integrity_restamps(struct ktest *t)
{
	struct wb_fixture *f = fixture_new();
	struct writeback_control wbc = {.nr_to_write = LONG_MAX,
					.sync_mode = WB_SYNC_ALL};
	struct inode *inode, *other;

	KTEST_ASSERT_NOT_NULL(t, f);
	inode = &f->inodes[0];
	other = &f->inodes[1];
	make_written(f, inode, I_DIRTY_SYNC);
	inode->dirtied_when = jiffies - 100 * HZ;
	__mark_inode_dirty(other, I_DIRTY_PAGES);
	requeue_after(f, inode, &wbc);
	KTEST_EXPECT_TRUE(t, on_list(inode, &f->bdi.wb.b_dirty));
	KTEST_EXPECT_LE(t, jiffies - inode->dirtied_when, 1);
	KTEST_EXPECT_EQ(t, wb_check_lists(&f->bdi.wb), 0);
	fixture_free(f);
}

/* The checker catches a b_dirty out of order and a wrong has_dirty_io. */
static void check_lists_catches_broken_order(struct ktest *t)
{
	struct wb_fixture *f = fixture_new();
	struct bdi_writeback *wb;

	KTEST_ASSERT_NOT_NULL(t, f);
	wb = &f->bdi.wb;
	__mark_inode_dirty(&f->inodes[0], I_DIRTY_PAGES);
	__mark_inode_dirty(&f->inodes[1], I_DIRTY_PAGES);
	f->inodes[0].dirtied_when = f->inodes[1].dirtied_when + HZ; /* tail newer */
	KTEST_EXPECT_EQ(t, wb_check_lists(wb), -EUCLEAN);
	f->inodes[0].dirtied_when = f->inodes[1].dirtied_when;
	KTEST_EXPECT_EQ(t, wb_check_lists(wb), 0);
	clear_bit(WB_has_dirty_io, &wb->state);
	KTEST_EXPECT_EQ(t, wb_check_lists(wb), -EUCLEAN);
	set_bit(WB_has_dirty_io, &wb->state);
	fixture_free(f);
}

static const struct ktest_case fs_writeback_cases[] = {
	KTEST_CASE(chunk_size_rule),
	KTEST_CASE(first_dirtying_goes_to_b_dirty_head),
	KTEST_CASE(queue_io_takes_more_io_then_expired),
	KTEST_CASE(requeue_pages_skipped_goes_to_b_dirty),
	KTEST_CASE(requeue_budget_used_goes_to_b_more_io),
	KTEST_CASE(requeue_blocked_goes_to_b_dirty),
	KTEST_CASE(requeue_metadata_dirty_goes_to_b_dirty),
	KTEST_CASE(requeue_clean_goes_off_lists),
	KTEST_CASE(requeue_integrity_restamps),
	KTEST_CASE(check_lists_catches_broken_order),
	KTEST_END,
};

static const struct ktest_suite fs_writeback_suite = {
	.name = "fs_writeback",
	.cases = fs_writeback_cases,
};
KTEST_SUITE(fs_writeback_suite);
