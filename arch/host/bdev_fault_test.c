/*
 * arch/host/bdev_fault_test.c - the `bdev_fault` suite (host only: it
 * needs the host disk's injected failures, arch/host/blockdev.h): a write
 * that fails under a disk's page cache (block/bdev.c's ->writepage
 * completion) surfaces as -EIO at the next fsync of every file open on the
 * disk, once each (Linux's errseq rule), and not in a file opened after
 * it was seen.
 */
#include <quire/ktest.h>
#include <quire/blkdev.h>
#include <quire/fs.h>
#include <quire/pagemap.h>
#include <quire/string.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/syscalls.h>
#include <quire/printk.h>
#include "../../block/blk-test.h"
#include "blockdev.h"
#include "../../block/bdev_internal.h"

static int pick_hostdisk(struct gendisk *disk, void *arg)
{
	struct gendisk **found = arg;

	if (!is_hostdisk(disk) || !disk_is_test_disk(disk) ||
	    bdev_read_only(&disk->part0) || get_capacity(disk) % 8 ||
	    get_capacity(disk) < 16384)
		return 0;
	*found = disk;
	return 1;
}

static ssize_t_k write_at(struct file *f, const void *buf, size_t n, loff_t pos)
{
	return f->f_op->write(f, buf, n, &pos);
}

static void failed_writeback_is_eio_once_per_open_file(struct ktest *t)
{
	struct hostdisk_faults fail = {.fail_write_nth = 1}, none = {0};
	struct gendisk *disk = NULL;
	struct file *f1, *f2, *f3;
	struct blk_test_buf b;
	loff_t pos = 9 << 20; /* a region no other suite uses */

	disk_iterate(pick_hostdisk, &disk);
	if (!disk)
		ktest_skip(t, "no writable host test disk of 8 MiB or more");
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, PAGE_SIZE), 0);
	f1 = blkdev_open_by_name(disk->disk_name, O_RDWR);
	f2 = blkdev_open_by_name(disk->disk_name, O_RDWR);
	KTEST_ASSERT_TRUE(t, !IS_ERR(f1) && !IS_ERR(f2));
	KTEST_EXPECT_EQ(t, vfs_fsync(f1, 0), 0); /* nothing else left dirty */
	KTEST_EXPECT_EQ(t, vfs_fsync(f2, 0), 0);
	blk_test_fill(b.va, pos >> 9, 8, 0xfa17);
	KTEST_ASSERT_EQ(t, hostdisk_set_faults(disk, &fail), 0);
	KTEST_EXPECT_EQ(t, write_at(f1, b.va, PAGE_SIZE, pos), PAGE_SIZE);
	KTEST_EXPECT_EQ(t, vfs_fsync(f1, 0), -EIO);
	KTEST_EXPECT_EQ(t, vfs_fsync(f1, 0), 0); /* once */
	f3 = blkdev_open_by_name(disk->disk_name, O_RDWR);
	KTEST_EXPECT_EQ(t, vfs_fsync(f2, 0), -EIO); /* every file open then */
	KTEST_EXPECT_EQ(t, vfs_fsync(f2, 0), 0);
	if (!IS_ERR(f3)) {
		KTEST_EXPECT_EQ(t, vfs_fsync(f3, 0), 0); /* seen before it opened */
		fput(f3);
	}
	KTEST_EXPECT_EQ(t, hostdisk_set_faults(disk, &none), 0);
	/* The page is clean (the error was reported); rewrite it for real. */
	KTEST_EXPECT_EQ(t, write_at(f1, b.va, PAGE_SIZE, pos), PAGE_SIZE);
	KTEST_EXPECT_EQ(t, vfs_fsync(f1, 0), 0);
	fput(f1);
	fput(f2);
	blk_test_buf_free(&b);
}

/*
 * A disk removed (del_gendisk(), here hostdisk_destroy()) while its page
 * cache holds dirty pages and a file is open on it: as Linux's
 * del_gendisk() -> bdev_mark_dead(), the dirty pages are written before
 * the disk goes, `sync` no longer visits it (it used to write back through
 * the freed gendisk: ASan use-after-poison in bdev_nr_sectors() from
 * blkdev_writepage()), the open file's I/O is -ENXIO, and the bdev inode
 * and its bdi are freed with the last file (the suite's leak check).
 */
static void removed_disk_writes_back_then_fails_its_open_files(struct ktest *t)
{
	struct gendisk *disk = NULL;
	struct blk_test_buf b;
	struct inode *inode;
	unsigned long calls;
	struct file *f;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, 2 * PAGE_SIZE), 0);
	if (hostdisk_create("tmp:8M", &disk)) {
		blk_test_buf_free(&b);
		KTEST_ASSERT_TRUE(t, false);
	}
	f = blkdev_open_by_name(disk->disk_name, O_RDWR);
	if (IS_ERR(f)) {
		hostdisk_destroy(disk);
		blk_test_buf_free(&b);
		KTEST_ASSERT_TRUE(t, false);
	}
	inode = f->f_inode;
	blk_test_fill(b.va, 0, 16, 0xde1);
	KTEST_EXPECT_EQ(t, write_at(f, b.va, 2 * PAGE_SIZE, 0), 2 * PAGE_SIZE);
	calls = bdev_writepage_calls(inode);
	hostdisk_destroy(disk);
	KTEST_EXPECT_EQ(t, bdev_writepage_calls(inode) - calls, 2); /* written */
	KTEST_EXPECT_EQ(t, inode->i_mapping->nrpages, 0);	    /* dropped */
	ksys_sync();
	KTEST_EXPECT_EQ(t, write_at(f, b.va, PAGE_SIZE, 0), -ENXIO);
	KTEST_EXPECT_EQ(t, f->f_op->read(f, b.va, PAGE_SIZE, &f->f_pos), -ENXIO);
	KTEST_EXPECT_EQ(t, vfs_fsync(f, 0), -ENXIO);
	fput(f); /* the last reference: inode, bdi and all freed */
	blk_test_buf_free(&b);
}

/*
 * An opener racing del_gendisk(): blkdev_open_by_name() used to take the
 * inode from bdev_inode() without a reference and ihold() it only in
 * file_open_inode(), after bdev_mutex was dropped; bdev_del_disk()'s
 * iput() in between freed it (ASan: use-after-poison in ihold() from
 * file_open_inode()). Played in order here: the opener's lookup
 * (bdev_inode_get(), its reference taken under bdev_mutex), the whole
 * deletion, then its open: -ENXIO, the disk is gone (BD3).
 */
static void open_racing_removal_keeps_the_inode(struct ktest *t)
{
	struct gendisk *disk = NULL;
	struct inode *inode;
	struct file *f;

	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:8M", &disk), 0);
	inode = bdev_inode_get(disk); /* the opener, step 1 */
	KTEST_ASSERT_NOT_NULL(t, inode);
	hostdisk_destroy(disk);		    /* del_gendisk(), all of it */
	f = file_open_inode(inode, O_RDWR); /* the opener, step 2 */
	iput(inode); /* the last reference: inode, bdi and all freed */
	KTEST_EXPECT_EQ(t, IS_ERR(f) ? PTR_ERR(f) : 0, -ENXIO); /* BD3 */
	if (!IS_ERR(f))
		fput(f);
}

/*
 * A disk removed while a file is open on its /dev node: devtmpfs held no
 * reference on the bdev inode and shared its i_mapping, so the open
 * file's read went through the freed inode (ASan: use-after-poison in
 * blkdev_read()), and the node stayed in /dev. As Linux: the node goes
 * with the disk (devtmpfs_delete_node() from del_gendisk()'s path), the
 * file holds its own reference (BD4): its I/O is -ENXIO, close frees all.
 */
static void dev_node_of_removed_disk_goes_open_file_fails(struct ktest *t)
{
	struct gendisk *disk = NULL;
	struct blk_test_buf b;
	struct kstat st;
	char path[32];
	int fd;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, PAGE_SIZE), 0);
	if (hostdisk_create("tmp:8M", &disk)) {
		blk_test_buf_free(&b);
		KTEST_ASSERT_TRUE(t, false);
	}
	scnprintf(path, sizeof(path), "/dev/%s", disk->disk_name);
	fd = ksys_open(path, O_RDWR, 0);
	KTEST_EXPECT_GE(t, fd, 0);
	blk_test_fill(b.va, 0, 8, 0xde2);
	KTEST_EXPECT_EQ(t, ksys_pwrite64(fd, b.va, PAGE_SIZE, 0), PAGE_SIZE);
	hostdisk_destroy(disk);
	KTEST_EXPECT_EQ(t, ksys_stat(path, &st), -ENOENT); /* the node went */
	KTEST_EXPECT_EQ(t, ksys_pread64(fd, b.va, PAGE_SIZE, 0), -ENXIO);
	KTEST_EXPECT_EQ(t, ksys_pwrite64(fd, b.va, PAGE_SIZE, 0), -ENXIO);
	KTEST_EXPECT_EQ(t, ksys_fsync(fd), -ENXIO);
	KTEST_EXPECT_EQ(t, ksys_fstat(fd, &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 0);       /* unlinked, as Linux's */
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0); /* the last reference: freed */
	KTEST_EXPECT_EQ(t, ksys_open(path, O_RDONLY, 0), -ENOENT);
	blk_test_buf_free(&b);
}

/*
 * A task holding a disk across a sleep while del_gendisk() runs (GD1):
 * blkdev_fsync() between its write-back and its flush, O_DIRECT between
 * its write-back and its bios. bdev_sleep_hook parks the task right there
 * until the disk is deleted and its driver gone (hostdisk_destroy()).
 * The disk was freed under it (ASan: use-after-poison reading
 * bdev->bd_queue in the flush's bio_alloc()/submit_bio()); now the file
 * holds the bdev inode, which holds the disk, and the dead disk fails
 * the bio at the door (GD2): -EIO, and the driver never sees it.
 */
struct sleep_race {
	struct file *f;
	void *buf;
	bool direct;
	int ret;
	struct completion in_window, deleted, done;
};

static struct sleep_race *the_race;

static void park_until_deleted(struct file *file)
{
	struct sleep_race *r = READ_ONCE(the_race);

	if (!r || file != r->f)
		return;
	WRITE_ONCE(the_race, NULL); /* once */
	complete(&r->in_window);
	wait_for_completion(&r->deleted);
}

static int sleep_race_fn(void *data)
{
	struct sleep_race *r = data;
	loff_t pos = 0;

	if (r->direct)
		r->ret = (int)r->f->f_op->read(r->f, r->buf, PAGE_SIZE, &pos);
	else
		r->ret = vfs_fsync(r->f, 0);
	complete(&r->done);
	return 0;
}

static void sleep_racing_removal(struct ktest *t, bool direct)
{
	struct sleep_race r = {.direct = direct};
	struct gendisk *disk = NULL;
	struct task_struct *k;
	struct blk_test_buf b;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, PAGE_SIZE), 0);
	if (hostdisk_create("tmp:8M", &disk)) {
		blk_test_buf_free(&b);
		KTEST_ASSERT_TRUE(t, false);
	}
	r.buf = b.va;
	r.f = blkdev_open_by_name(disk->disk_name, direct ? O_RDONLY | O_DIRECT : O_RDWR);
	KTEST_ASSERT_TRUE(t, !IS_ERR(r.f));
	if (!direct) /* something for the fsync to write first */
		KTEST_EXPECT_EQ(t, write_at(r.f, b.va, PAGE_SIZE, 0), PAGE_SIZE);
	init_completion(&r.in_window);
	init_completion(&r.deleted);
	init_completion(&r.done);
	WRITE_ONCE(the_race, &r);
	WRITE_ONCE(bdev_sleep_hook, park_until_deleted);
	k = kthread_run(sleep_race_fn, &r, "sleep-race");
	KTEST_ASSERT_TRUE(t, !IS_ERR(k));
	wait_for_completion(&r.in_window);
	hostdisk_destroy(disk); /* del_gendisk(), then the driver frees its part */
	complete(&r.deleted);
	wait_for_completion(&r.done);
	kthread_stop(k);
	WRITE_ONCE(bdev_sleep_hook, NULL);
	KTEST_EXPECT_EQ(t, r.ret, -EIO); /* GD2: failed at the door */
	fput(r.f); /* the last reference: inode, then the disk, freed */
	blk_test_buf_free(&b);
}

static void fsync_racing_removal_keeps_the_disk(struct ktest *t)
{
	sleep_racing_removal(t, false);
}

static void direct_read_racing_removal_keeps_the_disk(struct ktest *t)
{
	sleep_racing_removal(t, true);
}

/* get_disk_by_name() returned the disk without a reference: a caller
 * racing the deletion read freed memory. Now it holds one (GD1). */
static void disk_by_name_holds_the_disk(struct ktest *t)
{
	struct gendisk *disk = NULL, *d;
	char name[DISK_NAME_LEN];

	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:8M", &disk), 0);
	strscpy_len(name, disk->disk_name, sizeof(name));
	d = get_disk_by_name(name);
	KTEST_ASSERT_TRUE(t, d == disk);
	hostdisk_destroy(disk);
	KTEST_EXPECT_EQ(t, strcmp(d->disk_name, name), 0);	 /* still there */
	KTEST_EXPECT_EQ(t, blkdev_issue_flush(&d->part0), -EIO); /* GD2 */
	KTEST_EXPECT_TRUE(t, get_disk_by_name(name) == NULL);
	put_disk(d); /* the last reference: freed */
}

struct isize_reader {
	struct file *f;
	void *buf;
	bool stop;
	int errors;
	struct completion done;
};

static int isize_reader_fn(void *data)
{
	struct isize_reader *r = data;

	while (!READ_ONCE(r->stop)) {
		loff_t pos = 0;

		if (r->f->f_op->read(r->f, r->buf, PAGE_SIZE, &pos) != PAGE_SIZE)
			r->errors++;
	}
	complete(&r->done);
	return 0;
}

/* blkdev_open() stores i_size while another open file's read
 * (filemap_read()) reads it without a lock. */
static void open_while_reading_sets_isize_once(struct ktest *t)
{
	struct gendisk *disk = NULL;
	struct blk_test_buf b;
	struct isize_reader r = {0};
	struct task_struct *k;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, PAGE_SIZE), 0);
	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:8M", &disk), 0);
	r.f = blkdev_open_by_name(disk->disk_name, O_RDONLY);
	KTEST_ASSERT_TRUE(t, !IS_ERR(r.f));
	r.buf = b.va;
	init_completion(&r.done);
	k = kthread_run(isize_reader_fn, &r, "isize-reader");
	KTEST_ASSERT_TRUE(t, !IS_ERR(k));
	for (int i = 0; i < 2000; i++) {
		struct file *f = blkdev_open_by_name(disk->disk_name, O_RDONLY);

		if (!IS_ERR(f))
			fput(f);
	}
	WRITE_ONCE(r.stop, true);
	wait_for_completion(&r.done);
	kthread_stop(k);
	KTEST_EXPECT_EQ(t, r.errors, 0);
	fput(r.f);
	hostdisk_destroy(disk);
	blk_test_buf_free(&b);
}

static const struct ktest_case bdev_fault_cases[] = {
	KTEST_CASE(failed_writeback_is_eio_once_per_open_file),
	KTEST_CASE(removed_disk_writes_back_then_fails_its_open_files),
	KTEST_CASE(open_while_reading_sets_isize_once),
	KTEST_CASE(open_racing_removal_keeps_the_inode),
	KTEST_CASE(dev_node_of_removed_disk_goes_open_file_fails),
	KTEST_CASE(fsync_racing_removal_keeps_the_disk),
	KTEST_CASE(direct_read_racing_removal_keeps_the_disk),
	KTEST_CASE(disk_by_name_holds_the_disk),
	KTEST_END,
};

/* The cache a case filled is the disk's, not a leak of the case. */
static void bdev_fault_exit(struct ktest *t)
{
	bdev_drop_all_caches();
}

static const struct ktest_suite bdev_fault_suite = {
	.name = "bdev_fault",
	.exit = bdev_fault_exit,
	.cases = bdev_fault_cases,
};
KTEST_SUITE(bdev_fault_suite);
