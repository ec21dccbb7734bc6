/*
 * block/bdev_test.c - the `bdev` suite: a disk's page cache on the test
 * disks (serial quire-test*): its inode and bdi, the ->writepage-only
 * branch of do_writepages() (counted), ->read_folio and caching, O_DIRECT
 * (alignment, coherence with the cache both ways), the end of the disk, a
 * disk whose size is not a multiple of a page, two writers racing on one
 * region, and a read-only disk.
 *
 * Each case uses its own region of the disk, written raw (bios, not the
 * cache) where it needs known contents, and drops the cached pages of the
 * disk first: another suite may have written the disk behind the cache.
 */
#include <quire/ktest.h>
#include <quire/blkdev.h>
#include <quire/fs.h>
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/string.h>
#include <quire/kthread.h>
#include <quire/sched.h>
#include "blk-test.h"
#include "bdev_internal.h"

#define NPAGES 32 /* pages per case: 128 KiB */

struct bdev_case {
	struct gendisk *disk;
	struct inode *inode;
	struct file *file;
	struct blk_test_buf buf, raw;
	sector_t sector; /* the case's region */
	size_t bytes;
};

struct disk_want {
	bool ro, odd;
	struct gendisk *found;
};

static int want_one(struct gendisk *disk, void *arg)
{
	struct disk_want *w = arg;

	if (!disk_is_test_disk(disk) || disk_is_dead(disk) ||
	    bdev_read_only(&disk->part0) != w->ro ||
	    (get_capacity(disk) % 8 != 0) != w->odd ||
	    (!w->ro && !w->odd && get_capacity(disk) < 16384))
		return 0;
	w->found = disk;
	return 1;
}

static struct gendisk *want_disk(struct ktest *t, bool ro, bool odd)
{
	struct disk_want w = {.ro = ro, .odd = odd};

	disk_iterate(want_one, &w);
	if (!w.found)
		ktest_skip(
			t,
			ro ? "no read-only test disk (serial quire-test*)" :
			odd ?
			     "no test disk whose size is not a multiple of 4 KiB" :
			     "no writable test disk of 8 MiB or more (serial quire-test*)");
	return w.found;
}

/* Open the case's disk, buffers, and a region: @slot * 1 MiB + 4 MiB. */
static void bdev_case_start(struct ktest *t, struct bdev_case *c, unsigned int slot,
			    unsigned int flags)
{
	memset(c, 0, sizeof(*c));
	c->disk = want_disk(t, false, false);
	c->inode = bdev_inode(c->disk);
	KTEST_ASSERT_NOT_NULL(t, c->inode);
	c->bytes = NPAGES * PAGE_SIZE;
	c->sector = (4 + slot) * 2048;
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&c->buf, c->bytes), 0);
	if (blk_test_buf_alloc(&c->raw, c->bytes)) {
		blk_test_buf_free(&c->buf);
		KTEST_ASSERT_TRUE(t, false);
	}
	c->file = blkdev_open_by_name(c->disk->disk_name, flags);
	if (IS_ERR(c->file)) {
		blk_test_buf_free(&c->buf);
		blk_test_buf_free(&c->raw);
		KTEST_ASSERT_TRUE(t, !IS_ERR(c->file));
	}
	/* Nothing of another case (or suite) left dirty or cached. */
	KTEST_EXPECT_EQ(t, vfs_fsync(c->file, 0), 0);
	invalidate_mapping_pages(c->inode->i_mapping, 0, ~0UL);
}

static void bdev_case_end(struct bdev_case *c)
{
	fput(c->file);
	blk_test_buf_free(&c->buf);
	blk_test_buf_free(&c->raw);
}

static ssize_t_k bwrite(struct bdev_case *c, const void *buf, size_t n, loff_t pos)
{
	return c->file->f_op->write(c->file, buf, n, &pos);
}

static ssize_t_k bread(struct bdev_case *c, void *buf, size_t n, loff_t pos)
{
	return c->file->f_op->read(c->file, buf, n, &pos);
}

static loff_t region_pos(const struct bdev_case *c)
{
	return (loff_t)c->sector << SECTOR_SHIFT;
}

static void bdev_inode_has_its_own_bdi_and_only_writepage(struct ktest *t)
{
	struct gendisk *disk = want_disk(t, false, false);
	struct inode *inode = bdev_inode(disk);
	const struct address_space_operations *a;
	struct backing_dev_info *bdi;

	KTEST_ASSERT_NOT_NULL(t, inode);
	KTEST_EXPECT_TRUE(t, bdev_inode(disk) == inode); /* one per disk */
	KTEST_EXPECT_TRUE(t, S_ISBLK(inode->i_mode));
	KTEST_EXPECT_EQ(t, MAJOR(inode->i_rdev), BDEV_MAJOR);
	KTEST_EXPECT_EQ(t, MINOR(inode->i_rdev) % BDEV_MINORS, 0);
	KTEST_EXPECT_EQ(t, inode->i_size, (loff_t)get_capacity(disk) << SECTOR_SHIFT);
	bdi = inode_to_bdi(inode);
	KTEST_EXPECT_TRUE(t, bdi != &noop_backing_dev_info);
	KTEST_EXPECT_EQ(t, bdi->capabilities, BDI_CAP_WRITEBACK | BDI_CAP_WRITEBACK_ACCT);
	KTEST_EXPECT_EQ(t, bdi->dev, inode->i_rdev);
	KTEST_EXPECT_EQ(t, strcmp(inode->i_sb->s_id, "bdev"), 0);
	a = inode->i_mapping->a_ops;
	KTEST_EXPECT_NOT_NULL(t, a->writepage);
	KTEST_EXPECT_NOT_NULL(t, a->read_folio);
	KTEST_EXPECT_NULL(t, a->writepages); /* the legacy branch, on purpose */
	KTEST_EXPECT_NULL(t, a->readahead);
}

/*
 * Buffered writes of a case's region dirty the cache; @writeback makes
 * them reach the disk through ->writepage (at least once per page:
 * @exactly_once when nothing else writes the disk's cache meanwhile), and
 * leaves no page dirty or under writeback; the disk then has them.
 */
struct writeback_way {
	unsigned int slot; /* the case's region */
	u32 gen;	   /* its pattern */
	bool exactly_once;
	void (*writeback)(struct ktest *t, struct bdev_case *c);
};

static void buffered_write_reaches_the_disk(struct ktest *t,
					    const struct writeback_way *w)
{
	struct bdev_case c;
	unsigned long calls;

	bdev_case_start(t, &c, w->slot, O_RDWR);
	blk_test_fill(c.buf.va, c.sector, c.bytes / 512, w->gen);
	calls = bdev_writepage_calls(c.inode);
	KTEST_EXPECT_EQ(t, bwrite(&c, c.buf.va, c.bytes, region_pos(&c)), c.bytes);
	w->writeback(t, &c);
	if (w->exactly_once)
		KTEST_EXPECT_EQ(t, bdev_writepage_calls(c.inode) - calls, NPAGES);
	else
		KTEST_EXPECT_GE(t, bdev_writepage_calls(c.inode) - calls, NPAGES);
	KTEST_EXPECT_FALSE(t, mapping_tagged(c.inode->i_mapping, PAGECACHE_TAG_DIRTY));
	KTEST_EXPECT_FALSE(t,
			   mapping_tagged(c.inode->i_mapping, PAGECACHE_TAG_WRITEBACK));
	KTEST_EXPECT_EQ(t, blk_test_rw(c.disk, REQ_OP_READ, c.sector, &c.raw, 0, c.bytes),
			0);
	KTEST_EXPECT_EQ(t, blk_test_check(c.raw.va, c.sector, c.bytes / 512, w->gen), -1);
	bdev_case_end(&c);
}

/* fsync runs do_writepages(), whose ->writepage-only branch writes every
 * page once. */
static void by_fsync(struct ktest *t, struct bdev_case *c)
{
	KTEST_EXPECT_TRUE(t, mapping_tagged(c->inode->i_mapping, PAGECACHE_TAG_DIRTY));
	KTEST_EXPECT_EQ(t, vfs_fsync(c->file, 0), 0);
}

static void buffered_write_then_fsync_uses_writepage_per_page(struct ktest *t)
{
	static const struct writeback_way w = {0, 0xb001, true, by_fsync};

	buffered_write_reaches_the_disk(t, &w);
}

/* `sync` writes a disk's dirty pages through ->writepage and flushes its
 * cache. It used to call blkdev_issue_flush(), which sleeps, under
 * disk_iterate()'s spinlock: "BUG: scheduling while atomic" (now counted
 * as a warning, which fails the case). */
static void by_sync(struct ktest *t, struct bdev_case *c)
{
	ksys_sync();
}

static void buffered_write_then_sync_reaches_the_disk(struct ktest *t)
{
	static const struct writeback_way w = {5, 0xb005, false, by_sync};

	buffered_write_reaches_the_disk(t, &w);
}

/* A buffered read fills the cache through ->read_folio; a second read of
 * the same range is served from it. */
static void buffered_read_uses_read_folio_once(struct ktest *t)
{
	struct bdev_case c;
	unsigned long reads;

	bdev_case_start(t, &c, 1, O_RDONLY);
	blk_test_fill(c.raw.va, c.sector, c.bytes / 512, 0xb002);
	KTEST_ASSERT_EQ(
		t, blk_test_rw(c.disk, REQ_OP_WRITE, c.sector, &c.raw, 0, c.bytes), 0);
	reads = bdev_read_folio_calls(c.inode);
	KTEST_EXPECT_EQ(t, bread(&c, c.buf.va, c.bytes, region_pos(&c)), c.bytes);
	KTEST_EXPECT_EQ(t, blk_test_check(c.buf.va, c.sector, c.bytes / 512, 0xb002), -1);
	KTEST_EXPECT_GE(t, bdev_read_folio_calls(c.inode) - reads, NPAGES);
	reads = bdev_read_folio_calls(c.inode);
	memset(c.buf.va, 0, c.bytes);
	KTEST_EXPECT_EQ(t, bread(&c, c.buf.va, c.bytes, region_pos(&c)), c.bytes);
	KTEST_EXPECT_EQ(t, blk_test_check(c.buf.va, c.sector, c.bytes / 512, 0xb002), -1);
	KTEST_EXPECT_EQ(t, bdev_read_folio_calls(c.inode) - reads, 0);
	bdev_case_end(&c);
}

/* BD2: O_DIRECT offsets, lengths and buffers must be block aligned. */
static void direct_io_refuses_misaligned_requests(struct ktest *t)
{
	struct bdev_case c;
	char *va;

	bdev_case_start(t, &c, 2, O_RDWR | O_DIRECT);
	va = c.buf.va;
	KTEST_EXPECT_EQ(t, bread(&c, va, 4096, region_pos(&c) + 100), -EINVAL);
	KTEST_EXPECT_EQ(t, bread(&c, va, 100, region_pos(&c)), -EINVAL);
	KTEST_EXPECT_EQ(t, bread(&c, va + 8, 4096, region_pos(&c)), -EINVAL);
	KTEST_EXPECT_EQ(t, bwrite(&c, va, 4096 + 1, region_pos(&c)), -EINVAL);
	KTEST_EXPECT_EQ(t, bread(&c, va, 4096, region_pos(&c)), 4096);
	bdev_case_end(&c);
}

/* A direct write drops the pages a buffered reader cached, and a direct
 * read writes back what a buffered writer left dirty. */
static void direct_io_is_coherent_with_the_cache(struct ktest *t)
{
	struct bdev_case c;
	struct file *direct;
	loff_t pos;

	bdev_case_start(t, &c, 3, O_RDWR);
	pos = region_pos(&c);
	direct = blkdev_open_by_name(c.disk->disk_name, O_RDWR | O_DIRECT);
	if (IS_ERR(direct)) {
		bdev_case_end(&c);
		KTEST_ASSERT_TRUE(t, false);
	}
	/* buffered read caches gen 1, direct write gen 2, buffered sees 2 */
	blk_test_fill(c.raw.va, c.sector, c.bytes / 512, 0xb031);
	KTEST_EXPECT_EQ(
		t, blk_test_rw(c.disk, REQ_OP_WRITE, c.sector, &c.raw, 0, c.bytes), 0);
	KTEST_EXPECT_EQ(t, bread(&c, c.buf.va, c.bytes, pos), c.bytes);
	blk_test_fill(c.raw.va, c.sector, c.bytes / 512, 0xb032);
	KTEST_EXPECT_EQ(t, direct->f_op->write(direct, c.raw.va, c.bytes, &pos), c.bytes);
	pos = region_pos(&c);
	KTEST_EXPECT_EQ(t, bread(&c, c.buf.va, c.bytes, pos), c.bytes);
	KTEST_EXPECT_EQ(t, blk_test_check(c.buf.va, c.sector, c.bytes / 512, 0xb032), -1);
	/* buffered write gen 3 (dirty), direct read sees 3 */
	blk_test_fill(c.buf.va, c.sector, c.bytes / 512, 0xb033);
	KTEST_EXPECT_EQ(t, bwrite(&c, c.buf.va, c.bytes, pos), c.bytes);
	memset(c.raw.va, 0, c.bytes);
	KTEST_EXPECT_EQ(t, direct->f_op->read(direct, c.raw.va, c.bytes, &pos), c.bytes);
	KTEST_EXPECT_EQ(t, blk_test_check(c.raw.va, c.sector, c.bytes / 512, 0xb033), -1);
	fput(direct);
	bdev_case_end(&c);
}

/* Linux's block device file: writing at the end is -ENOSPC, a write
 * across it is cut short, reading there is EOF. */
static void end_of_disk_cuts_writes_and_reads(struct ktest *t)
{
	struct bdev_case c;
	loff_t size;

	bdev_case_start(t, &c, 4, O_RDWR);
	size = c.inode->i_size;
	KTEST_EXPECT_EQ(t, bwrite(&c, c.buf.va, 4096, size), -ENOSPC);
	KTEST_EXPECT_EQ(t, bwrite(&c, c.buf.va, 4096, size - 512), 512);
	KTEST_EXPECT_EQ(t, bread(&c, c.buf.va, 4096, size), 0);
	KTEST_EXPECT_EQ(t, bread(&c, c.buf.va, 4096, size - 1024), 1024);
	KTEST_EXPECT_EQ(t, vfs_fsync(c.file, 0), 0);
	bdev_case_end(&c);
}

/* BD1: the last page of a disk whose size is not a multiple of 4 KiB is
 * written up to the capacity only, and reads back. */
static void odd_sized_disk_last_partial_page(struct ktest *t)
{
	struct gendisk *disk = want_disk(t, false, true);
	loff_t size = (loff_t)get_capacity(disk) << SECTOR_SHIFT;
	loff_t last = size & ~(loff_t)(PAGE_SIZE - 1);
	size_t tail = (size_t)(size - last);
	struct blk_test_buf b, r;
	struct file *f;
	loff_t pos = last;

	KTEST_ASSERT_TRUE(t, tail > 0);
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, PAGE_SIZE), 0);
	if (blk_test_buf_alloc(&r, PAGE_SIZE)) {
		blk_test_buf_free(&b);
		KTEST_ASSERT_TRUE(t, false);
	}
	f = blkdev_open_by_name(disk->disk_name, O_RDWR);
	if (!IS_ERR(f)) {
		blk_test_fill(b.va, last >> SECTOR_SHIFT, tail / 512, 0xb005);
		KTEST_EXPECT_EQ(t, f->f_op->write(f, b.va, PAGE_SIZE, &pos), tail);
		KTEST_EXPECT_EQ(t, vfs_fsync(f, 0), 0);
		KTEST_EXPECT_EQ(
			t,
			blk_test_rw(disk, REQ_OP_READ, last >> SECTOR_SHIFT, &r, 0, tail),
			0);
		KTEST_EXPECT_EQ(
			t, blk_test_check(r.va, last >> SECTOR_SHIFT, tail / 512, 0xb005),
			-1);
		fput(f);
	}
	KTEST_EXPECT_TRUE(t, !IS_ERR(f));
	blk_test_buf_free(&b);
	blk_test_buf_free(&r);
}

/* Two writers (like two `dd`s) through their own files on one region. */
struct racing_writer {
	struct bdev_case *c;
	struct file *file;
	void *buf;
	u32 gen;
	int err;
	bool done;
};

static int racing_writer_fn(void *data)
{
	struct racing_writer *w = data;
	unsigned int round;

	for (round = 0; round < 8 && !w->err; round++) {
		size_t off;

		for (off = 0; off < w->c->bytes && !w->err; off += PAGE_SIZE) {
			loff_t pos = region_pos(w->c) + (loff_t)off;

			if (w->file->f_op->write(w->file, (char *)w->buf + off, PAGE_SIZE,
						 &pos) != PAGE_SIZE)
				w->err = -EIO;
		}
		if (!w->err)
			w->err = vfs_fsync(w->file, 0);
		cond_resched();
	}
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	while (!kthread_should_stop())
		schedule_timeout_uninterruptible(1);
	return 0;
}

/* Each page ends up whole from one writer (a folio is copied under its
 * lock), the cache and the disk agree after the last fsync, and neither
 * writer sees an error. */
static void concurrent_writers_leave_whole_pages(struct ktest *t)
{
	struct racing_writer w[2];
	struct task_struct *k[2];
	struct blk_test_buf other;
	struct bdev_case c;
	unsigned int i;
	size_t off;

	bdev_case_start(t, &c, 6, O_RDWR);
	if (blk_test_buf_alloc(&other, c.bytes)) {
		bdev_case_end(&c);
		KTEST_ASSERT_TRUE(t, false);
	}
	blk_test_fill(c.buf.va, c.sector, c.bytes / 512, 0xb061);
	blk_test_fill(other.va, c.sector, c.bytes / 512, 0xb062);
	for (i = 0; i < 2; i++) {
		w[i] = (struct racing_writer){.c = &c, .gen = 0xb061 + i};
		w[i].buf = i ? other.va : c.buf.va;
		w[i].file = blkdev_open_by_name(c.disk->disk_name, O_RDWR);
		KTEST_ASSERT_TRUE(t, !IS_ERR(w[i].file));
	}
	for (i = 0; i < 2; i++) {
		k[i] = kthread_run(racing_writer_fn, &w[i], "bdev_writer/%u", i);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, k[i]);
	}
	while (!__atomic_load_n(&w[0].done, __ATOMIC_ACQUIRE) ||
	       !__atomic_load_n(&w[1].done, __ATOMIC_ACQUIRE))
		schedule_timeout_uninterruptible(1);
	for (i = 0; i < 2; i++) {
		kthread_stop(k[i]);
		KTEST_EXPECT_EQ(t, w[i].err, 0);
		fput(w[i].file);
	}
	KTEST_EXPECT_EQ(t, vfs_fsync(c.file, 0), 0);
	KTEST_EXPECT_EQ(t, bread(&c, c.buf.va, c.bytes, region_pos(&c)), c.bytes);
	KTEST_EXPECT_EQ(t, blk_test_rw(c.disk, REQ_OP_READ, c.sector, &c.raw, 0, c.bytes),
			0);
	KTEST_EXPECT_EQ(t, memcmp(c.buf.va, c.raw.va, c.bytes), 0);
	for (off = 0; off < c.bytes; off += PAGE_SIZE) {
		sector_t s = c.sector + off / 512;
		char *p = (char *)c.raw.va + off;

		if (blk_test_check(p, s, 8, 0xb061) != -1 &&
		    blk_test_check(p, s, 8, 0xb062) != -1)
			ktest_fail(t, __FILE__, __LINE__, "page at +%zu is torn", off);
	}
	blk_test_buf_free(&other);
	bdev_case_end(&c);
}

static void read_only_disk_refuses_writers(struct ktest *t)
{
	struct gendisk *disk = want_disk(t, true, false);
	struct file *f;

	KTEST_EXPECT_EQ(t, PTR_ERR(blkdev_open_by_name(disk->disk_name, O_RDWR)), -EROFS);
	KTEST_EXPECT_EQ(t, PTR_ERR(blkdev_open_by_name(disk->disk_name, O_WRONLY)),
			-EROFS);
	KTEST_EXPECT_EQ(t, PTR_ERR(blkdev_open_by_name("no_such_disk", O_RDONLY)),
			-ENODEV);
	f = blkdev_open_by_name(disk->disk_name, O_RDONLY);
	KTEST_ASSERT_TRUE(t, !IS_ERR(f));
	fput(f);
}

static const struct ktest_case bdev_cases[] = {
	KTEST_CASE(bdev_inode_has_its_own_bdi_and_only_writepage),
	KTEST_CASE(buffered_write_then_fsync_uses_writepage_per_page),
	KTEST_CASE(buffered_write_then_sync_reaches_the_disk),
	KTEST_CASE(buffered_read_uses_read_folio_once),
	KTEST_CASE(direct_io_refuses_misaligned_requests),
	KTEST_CASE(direct_io_is_coherent_with_the_cache),
	KTEST_CASE(end_of_disk_cuts_writes_and_reads),
	KTEST_CASE(odd_sized_disk_last_partial_page),
	KTEST_CASE(concurrent_writers_leave_whole_pages),
	KTEST_CASE(read_only_disk_refuses_writers),
	KTEST_END,
};

/* The cache a case filled is the disk's, not a leak of the case. */
static void bdev_exit(struct ktest *t)
{
	bdev_drop_all_caches();
}

static const struct ktest_suite bdev_suite = {
	.name = "bdev",
	.exit = bdev_exit,
	.cases = bdev_cases,
};
KTEST_SUITE(bdev_suite);
