/*
 * arch/host/qlfs_review3_test.c - KTAP suite `qlfs_review3`: the third
 * adversarial review of qlfs (session 19): roll-forward against power cuts
 * during recovery itself and after it, and the background cleaner at
 * umount.
 *
 * Layer: arch/host tests (the power cut and the write faults are the host
 * disk's, emudisk.h). Used by: every host job (`test`), and
 * `quire-host --exec 'test qlfs_review3'`.
 *
 * Recovery (fs/qlfs/recovery.c, QR1) changes nothing the previous
 * checkpoint needs until its own checkpoint is durable, so a cut at any
 * of its writes must leave a disk that recovers again. The sweep makes
 * one crashed image (fsynced new files rolled forward, an old file
 * overwritten and fsynced), then for k = 1, 2, ...: the image back, the
 * k-th write of the mount failing (left old, new or torn), a cut keeping
 * a seeded subset of what was not durable, and a second mount that must
 * recover everything fsync acknowledged, fsck clean; until a mount's
 * recovery no longer reaches its k-th write. Then a second crash after a
 * finished recovery: the files of both rounds there.
 */
#include <quire/ktest.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/slab.h>
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/pagemap.h>
#include <quire/blkdev.h>
#include <quire/sched.h>
#include <quire/jiffies.h>
#include <quire/kthread.h>
#include "../../fs/qlfs/qlfs_data.h"
#include "../../fs/qlfs/qlfs_test.h"
#include "blockdev.h"

#define MNT		     "/qlfs_review3"
#define NEW_FILES	     4
#define RV_IMAGE_CHUNK_ORDER 5 /* r->blk: restore_image() reads 32 blocks at a time */
#define RV_IMAGE_CHUNK	     (1u << RV_IMAGE_CHUNK_ORDER)

struct rv {
	struct gendisk *disk;
	struct qlfs_dev d;
	bool mounted;
	u8 **image; /* the crashed disk, block by block */
	u8 *blk;
	u8 buf[8192];
};

static struct rv rv_state;

static int rv_init(struct ktest *t)
{
	int err = ksys_mkdir(MNT, 0755);

	memset(&rv_state, 0, sizeof(rv_state));
	t->priv = &rv_state;
	return err == -EEXIST ? 0 : err;
}

static void rv_exit(struct ktest *t)
{
	struct rv *r = t->priv;

	if (r->mounted)
		ksys_umount(MNT, 0);
	if (r->image) {
		for (u64 b = 0; b < r->d.nr_blocks; b++)
			kfree(r->image[b]);
		kfree(r->image);
	}
	if (r->blk)
		qlfs_free_blocks(r->blk, RV_IMAGE_CHUNK_ORDER);
	qlfs_dev_close(&r->d);
	if (r->disk)
		hostdisk_destroy(r->disk);
	ksys_rmdir(MNT);
}

static void rv_mount(struct ktest *t, struct rv *r)
{
	KTEST_ASSERT_EQ(t, ksys_mount(r->disk->disk_name, MNT, "qlfs", 0, NULL), 0);
	r->mounted = true;
}

static void rv_umount(struct ktest *t, struct rv *r)
{
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;
}

/* Stop the file system, cut the power (@kind, @arg), unmount. */
static void rv_crash(struct ktest *t, struct rv *r, enum emudisk_cut_kind kind, u64 arg)
{
	qlfs_handle_error(qlfs_test_sbi(t, MNT, NULL), "test: power cut");
	KTEST_EXPECT_GE(t, hostdisk_power_cut(r->disk, kind, arg), 0);
	rv_umount(t, r);
}

/* fsck -n: the count of problems, printed if any. */
static u32 rv_fsck(struct rv *r)
{
	struct qlfs_fsck_opts o = {.quiet = true};
	struct qlfs_fsck_result res;
	int st = qlfs_fsck(&r->d, &o, &res);

	if (st || res.problems) {
		struct qlfs_fsck_opts loud = {.max_reports = 20};

		qlfs_fsck(&r->d, &loud, &res);
		return res.problems ? res.problems : 1;
	}
	return 0;
}

static void put(struct ktest *t, struct rv *r, const char *path, loff_t pos, u32 len,
		u8 fill, bool do_fsync)
{
	int fd = ksys_open(path, O_CREAT | O_WRONLY, 0644);

	KTEST_ASSERT_OP(t, fd, >=, 0);
	memset(r->buf, fill, sizeof(r->buf));
	for (u32 done = 0; done < len;) {
		u32 n = min((u32)sizeof(r->buf), len - done);

		KTEST_ASSERT_EQ(t, ksys_pwrite64(fd, r->buf, n, pos + done), n);
		done += n;
	}
	if (do_fsync)
		KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
	ksys_close(fd);
}

/* Does @path hold @len bytes of @fill at @pos, and no more than @size? */
static bool holds(struct rv *r, const char *path, loff_t pos, u32 len, u8 fill,
		  loff_t size)
{
	struct kstat st;
	int fd;
	bool ok;

	if (ksys_stat(path, &st) || st.size != size)
		return false;
	fd = ksys_open(path, O_RDONLY, 0);
	ok = fd >= 0;
	for (u32 done = 0; ok && done < len;) {
		u32 n = min((u32)sizeof(r->buf), len - done);

		ok = ksys_pread64(fd, r->buf, n, pos + done) == n;
		for (u32 i = 0; ok && i < n; i++)
			ok = r->buf[i] == fill;
		done += n;
	}
	if (fd >= 0)
		ksys_close(fd);
	return ok;
}

static void name_of(char *out, size_t n, int i)
{
	scnprintf(out, n, MNT "/new%d", i);
}

/* What the first round's fsyncs acknowledged. */
static bool round1_there(struct rv *r)
{
	char name[64];
	bool ok = holds(r, MNT "/old", 0, 8192, 'o', 40960) &&
		  holds(r, MNT "/old", 8192, 16384, 'O', 40960) &&
		  holds(r, MNT "/old", 24576, 16384, 'o', 40960);

	for (int i = 0; ok && i < NEW_FILES; i++) {
		name_of(name, sizeof(name), i);
		ok = holds(r, name, 0, 5000 + 4096 * i, 'a' + i, 5000 + 4096 * i);
	}
	return ok;
}

/* Mount, write the first round (one checkpointed file overwritten, new
 * files, all fsynced: roll-forward's work), cut with only what is
 * durable; the disk then holds a chain for recovery. */
static void make_crashed_disk(struct ktest *t, struct rv *r)
{
	struct qlfs_mkfs_opts o = {
		.log_bps = 7, .force = true, .time = 1000000000ULL, .quiet = true};
	struct qlfs_sb_info *sbi;
	char name[64];
	u64 cps;

	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:32M,cache", &r->disk), 0);
	KTEST_ASSERT_EQ(t, qlfs_dev_open(&r->d, r->disk->disk_name, true), 0);
	KTEST_ASSERT_EQ(t, qlfs_mkfs(&r->d, &o), 0);
	KTEST_ASSERT_EQ(t, blkdev_issue_flush(&r->disk->part0), 0);
	rv_mount(t, r);
	put(t, r, MNT "/old", 0, 40960, 'o', false);
	ksys_sync();
	sbi = qlfs_test_sbi(t, MNT, NULL);
	cps = sbi->nr_checkpoints;
	put(t, r, MNT "/old", 8192, 16384, 'O', true);
	for (int i = 0; i < NEW_FILES; i++) {
		name_of(name, sizeof(name), i);
		put(t, r, name, 0, 5000 + 4096 * i, 'a' + i, true);
	}
	/* all of it rolled forward, none of it checkpointed */
	KTEST_ASSERT_EQ(t, sbi->nr_checkpoints, cps);
	KTEST_ASSERT_EQ(t, blkdev_issue_flush(&r->disk->part0), 0);
	rv_crash(t, r, EMUDISK_CUT_NONE, 0);
}

static void save_image(struct ktest *t, struct rv *r)
{
	r->blk = qlfs_alloc_blocks(RV_IMAGE_CHUNK_ORDER);
	KTEST_ASSERT_NOT_NULL(t, r->blk);
	r->image = kcalloc(r->d.nr_blocks, sizeof(*r->image), GFP_KERNEL);
	KTEST_ASSERT_NOT_NULL(t, r->image);
	for (u64 b = 0; b < r->d.nr_blocks; b++) {
		r->image[b] = kmalloc(QLFS_BLKSIZE, GFP_KERNEL);
		KTEST_ASSERT_NOT_NULL(t, r->image[b]);
		KTEST_ASSERT_EQ(t, qlfs_dev_read(&r->d, b, r->blk, 1), 0);
		memcpy(r->image[b], r->blk, QLFS_BLKSIZE);
	}
}

/*
 * The crashed image back (only the blocks that differ), durable. Read in
 * chunks of RV_IMAGE_CHUNK blocks: the cut-during-recovery sweep restores
 * the image once a round, and one read per block was most of its time.
 */
static void restore_image(struct ktest *t, struct rv *r)
{
	for (u64 b = 0; b < r->d.nr_blocks; b += RV_IMAGE_CHUNK) {
		u32 n = min(r->d.nr_blocks - b, (u64)RV_IMAGE_CHUNK);

		KTEST_ASSERT_EQ(t, qlfs_dev_read(&r->d, b, r->blk, n), 0);
		for (u32 i = 0; i < n; i++) {
			void *blk = r->blk + (size_t)i * QLFS_BLKSIZE;

			if (!memcmp(blk, r->image[b + i], QLFS_BLKSIZE))
				continue;
			memcpy(blk, r->image[b + i], QLFS_BLKSIZE);
			KTEST_ASSERT_EQ(t, qlfs_dev_write(&r->d, b + i, blk, 1), 0);
		}
	}
	KTEST_ASSERT_EQ(t, blkdev_issue_flush(&r->disk->part0), 0);
}

/*
 * A cut at each write of recovery (the k-th write fails: its blocks old,
 * new or torn; the rest of what was not durable kept as seed k says):
 * the next mount recovers again, every fsynced byte there, fsck clean.
 * Then (k past recovery's writes) a finished recovery, a second round
 * of fsyncs and a second cut: both rounds there.
 */
static void qlfs_rv_cut_during_recovery_recovers_again(struct ktest *t)
{
	struct rv *r = t->priv;
	struct qlfs_sb_info *sbi;
	u32 k, failed_mounts = 0;
	char name[64];

	make_crashed_disk(t, r);
	save_image(t, r);
	for (k = 1; k < 400; k++) {
		struct hostdisk_faults f = {.fail_write_nth = k};
		bool hit;

		restore_image(t, r);
		KTEST_ASSERT_EQ(t, hostdisk_set_faults(r->disk, &f), 0);
		KTEST_ASSERT_EQ(t, ksys_mount(r->disk->disk_name, MNT, "qlfs", 0, NULL),
				0);
		r->mounted = true;
		sbi = qlfs_test_sbi(t, MNT, NULL);
		hit = READ_ONCE(sbi->read_only);
		failed_mounts += hit;
		rv_crash(t, r, EMUDISK_CUT_SUBSET, k);
		memset(&f, 0, sizeof(f));
		KTEST_ASSERT_EQ(t, hostdisk_set_faults(r->disk, &f), 0);

		rv_mount(t, r);
		sbi = qlfs_test_sbi(t, MNT, NULL);
		if (READ_ONCE(sbi->read_only) || !round1_there(r)) {
			ktest_fail(t, __FILE__, __LINE__,
				   "write %u of recovery failed, cut (seed %u): %s", k, k,
				   READ_ONCE(sbi->read_only) ? "read-only" :
							       "fsynced data lost");
			break;
		}
		rv_umount(t, r);
		if (rv_fsck(r)) {
			ktest_fail(t, __FILE__, __LINE__,
				   "write %u of recovery failed, cut (seed %u): fsck", k,
				   k);
			break;
		}
		if (!hit)
			break; /* recovery finished before its k-th write */
	}
	pr_info("    # %u mounts cut at one of their writes, recovered again\n",
		failed_mounts);
	KTEST_EXPECT_GT(t, failed_mounts, 5);
	KTEST_EXPECT_LT(t, k, 400);

	/* recovery done (the last round): a second round, a second cut */
	rv_mount(t, r);
	put(t, r, MNT "/second", 0, 7000, 's', true);
	put(t, r, MNT "/new0", 0, 4096, 'z', true);
	KTEST_ASSERT_EQ(t, blkdev_issue_flush(&r->disk->part0), 0);
	rv_crash(t, r, EMUDISK_CUT_SUBSET, 77);
	rv_mount(t, r);
	KTEST_EXPECT_FALSE(t, READ_ONCE(qlfs_test_sbi(t, MNT, NULL)->read_only));
	KTEST_EXPECT_TRUE(t, holds(r, MNT "/second", 0, 7000, 's', 7000));
	KTEST_EXPECT_TRUE(t, holds(r, MNT "/new0", 0, 4096, 'z', 5000));
	KTEST_EXPECT_TRUE(t, holds(r, MNT "/new0", 4096, 904, 'a', 5000));
	for (int i = 1; i < NEW_FILES; i++) {
		name_of(name, sizeof(name), i);
		KTEST_EXPECT_TRUE(
			t, holds(r, name, 0, 5000 + 4096 * i, 'a' + i, 5000 + 4096 * i));
	}
	rv_umount(t, r);
	KTEST_EXPECT_EQ(t, rv_fsck(r), 0);
}

/* ---- qlfs_iget() handing out an inode before its operations are set ---- */

#define IGET_ROUNDS 400

struct iget_race {
	struct super_block *sb;
	u32 ino;
	u32 half_made; /* inodes seen without their operations */
	u32 errors;
};

/* Take @ino and let it go again (evicted: nothing else holds it), each
 * time checking that the inode came with qlfs's operations. */
static void iget_round(struct iget_race *ir)
{
	struct inode *inode = qlfs_iget(ir->sb, ir->ino);

	if (IS_ERR(inode)) {
		__atomic_fetch_add(&ir->errors, 1, __ATOMIC_RELAXED);
		return;
	}
	if (!READ_ONCE(inode->i_op) || READ_ONCE(inode->i_fop) != &qlfs_file_operations ||
	    READ_ONCE(inode->i_mapping->a_ops) != &qlfs_file_aops)
		__atomic_fetch_add(&ir->half_made, 1, __ATOMIC_RELAXED);
	iput(inode);
}

static int iget_thread(void *data)
{
	while (!kthread_should_stop())
		iget_round(data);
	return 0;
}

/*
 * Two tasks qlfs_iget() the same uncached file over and over (as lookup
 * and the cleaner's move_data_block() do): each inode handed out must
 * have its i_op, i_fop and a_ops. The one that read it published it in
 * sbi->inode_cache and dropped inode_cache_lock before
 * qlfs_set_inode_ops(): the other could take it with empty_aops (the
 * cleaner's read_mapping_folio() then fails -EIO) and no i_op.
 */
static void qlfs_rv_iget_never_returns_an_inode_without_its_operations(struct ktest *t)
{
	struct rv *r = t->priv;
	struct qlfs_mkfs_opts o = {
		.log_bps = 7, .force = true, .time = 1000000000ULL, .quiet = true};
	struct iget_race ir = {0};
	struct task_struct *k;
	struct kstat st;

	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:32M", &r->disk), 0);
	KTEST_ASSERT_EQ(t, qlfs_dev_open(&r->d, r->disk->disk_name, true), 0);
	KTEST_ASSERT_EQ(t, qlfs_mkfs(&r->d, &o), 0);
	rv_mount(t, r);
	put(t, r, MNT "/f", 0, 4096, 'f', false);
	rv_umount(t, r);
	rv_mount(t, r); /* /f not in memory: only the races below read it */
	ir.sb = qlfs_test_sbi(t, MNT, NULL)->sb;
	qlfs_stop_gc_thread(qlfs_test_sbi(t, MNT, NULL));
	KTEST_ASSERT_EQ(t, ksys_stat(MNT, &st), 0);
	/* the ino from the directory, without a dentry that would pin it */
	{
		struct inode *dir;
		struct qlfs_dir_slot res;
		struct path p;

		KTEST_ASSERT_EQ(t, kern_path(MNT, LOOKUP_FOLLOW, &p), 0);
		dir = d_inode(p.dentry);
		KTEST_ASSERT_EQ(t, qlfs_find_entry(dir, (const u8 *)"f", 1, &res), 0);
		ir.ino = res.ino;
		qlfs_put_dir_slot(&res);
		path_put(&p);
	}
	k = kthread_run(iget_thread, &ir, "rv3-iget");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	for (u32 i = 0; i < IGET_ROUNDS; i++)
		iget_round(&ir);
	kthread_stop(k);
	pr_info("    # %u rounds: %u inodes without their operations, %u errors\n",
		IGET_ROUNDS, ir.half_made, ir.errors);
	KTEST_EXPECT_EQ(t, ir.half_made, 0);
	KTEST_EXPECT_EQ(t, ir.errors, 0);
	rv_umount(t, r);
	KTEST_EXPECT_EQ(t, rv_fsck(r), 0);
}

/* ---- truncation against a read that fills the page cache ---- */

#define TR_BLOCKS 16
#define TR_ROUNDS 150

struct trunc_race {
	int fd; /* the reader's own */
	u32 reads;
};

/* Read the whole file over and over (readahead fills the cache from the
 * block map as it is at that moment). */
static int trunc_reader(void *data)
{
	struct trunc_race *tr = data;
	static u8 rbuf[TR_BLOCKS * 4096];

	while (!kthread_should_stop()) {
		ksys_pread64(tr->fd, rbuf, sizeof(rbuf), 0);
		__atomic_fetch_add(&tr->reads, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

/*
 * Truncate to 0 then back to its size: the file reads back as zeros
 * (POSIX), whatever a read (or the cleaner's read_mapping_folio()) did
 * meanwhile. The suspicion: qlfs_truncate() sets the size and drops the
 * pages, then frees the blocks, without mapping->invalidate_lock; a read
 * that sampled the old size could fill the cache from the blocks still
 * mapped and leave the old bytes past the new end. It holds because
 * qlfs_read_folio() and qlfs_readahead() look at i_size again with the
 * new folio locked (zeros past it), and truncation waits for locked
 * folios. Kept as a guard.
 */
static void qlfs_rv_truncate_then_extend_reads_zeros_during_reads(struct ktest *t)
{
	struct rv *r = t->priv;
	struct qlfs_mkfs_opts o = {
		.log_bps = 7, .force = true, .time = 1000000000ULL, .quiet = true};
	struct trunc_race tr = {0};
	struct task_struct *k;
	struct inode *inode;
	struct path p;
	u32 stale = 0, round;
	int fd;

	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:32M", &r->disk), 0);
	KTEST_ASSERT_EQ(t, qlfs_dev_open(&r->d, r->disk->disk_name, true), 0);
	KTEST_ASSERT_EQ(t, qlfs_mkfs(&r->d, &o), 0);
	rv_mount(t, r);
	put(t, r, MNT "/f", 0, TR_BLOCKS * 4096, 'x', true);
	fd = ksys_open(MNT "/f", O_RDWR, 0);
	KTEST_ASSERT_OP(t, fd, >=, 0);
	tr.fd = ksys_open(MNT "/f", O_RDONLY, 0);
	KTEST_ASSERT_OP(t, tr.fd, >=, 0);
	KTEST_ASSERT_EQ(t, kern_path(MNT "/f", 0, &p), 0);
	inode = d_inode(p.dentry);
	k = kthread_run(trunc_reader, &tr, "rv3-reader");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	for (round = 0; round < TR_ROUNDS && !stale; round++) {
		memset(r->buf, 'x', sizeof(r->buf));
		for (u32 b = 0; b < TR_BLOCKS; b += 2)
			KTEST_EXPECT_EQ(t, ksys_pwrite64(fd, r->buf, 8192, b * 4096),
					8192);
		/* on disk, and out of the cache: the reader reads the blocks */
		KTEST_EXPECT_EQ(t, filemap_write_and_wait(inode->i_mapping), 0);
		invalidate_mapping_pages(inode->i_mapping, 0, ~0UL);
		KTEST_EXPECT_EQ(t, ksys_ftruncate(fd, 0), 0);
		KTEST_EXPECT_EQ(t, ksys_ftruncate(fd, TR_BLOCKS * 4096), 0);
		for (u32 b = 0; b < TR_BLOCKS && !stale; b += 2) {
			KTEST_EXPECT_EQ(t, ksys_pread64(fd, r->buf, 8192, b * 4096),
					8192);
			for (u32 i = 0; i < 8192; i++)
				if (r->buf[i]) {
					pr_info("    # round %u: block %u byte %u: %#x\n",
						round, b + i / 4096, i % 4096, r->buf[i]);
					stale++;
					break;
				}
		}
	}
	kthread_stop(k);
	pr_info("    # %u rounds, %u reads racing them\n", round, tr.reads);
	KTEST_EXPECT_EQ(t, stale, 0);
	path_put(&p);
	ksys_close(tr.fd);
	ksys_close(fd);
	rv_umount(t, r);
	KTEST_EXPECT_EQ(t, rv_fsck(r), 0);
}

/* ---- the background cleaner at umount (commit 364dbe5) ---- */

#define UM_BLOCKS 256
#define UM_ROUNDS 6

/*
 * Umount while the background cleaner is moving blocks (every 1 ms, idle
 * or not): the cleaner takes inode references of its own (qlfs_iget() of
 * a victim's owner), so it must be stopped before the VFS lets the
 * inodes go and checks that none is left ("busy inodes after unmount",
 * a WARN that fails the case); qlfs_kill_sb() stops it first, as F2FS's
 * kill_f2fs_super(). Each round the file reads back whole, fsck clean.
 */
static void qlfs_rv_umount_stops_a_busy_background_cleaner(struct ktest *t)
{
	struct rv *r = t->priv;
	struct qlfs_mkfs_opts o = {
		.log_bps = 4, .force = true, .time = 1000000000ULL, .quiet = true};
	u64 passes = 0;

	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:32M", &r->disk), 0);
	KTEST_ASSERT_EQ(t, qlfs_dev_open(&r->d, r->disk->disk_name, true), 0);
	KTEST_ASSERT_EQ(t, qlfs_mkfs(&r->d, &o), 0);
	rv_mount(t, r);
	put(t, r, MNT "/f", 0, UM_BLOCKS * 4096, 'a', false);
	ksys_sync();
	for (u32 round = 0; round < UM_ROUNDS; round++) {
		struct qlfs_sb_info *sbi = qlfs_test_sbi(t, MNT, NULL);

		/* a third of the blocks again: segments with holes to clean */
		for (u32 b = round % 3; b < UM_BLOCKS; b += 3)
			put(t, r, MNT "/f", (loff_t)b * 4096, 4096, 'a', false);
		ksys_sync();
		WRITE_ONCE(sbi->gc_bg_ignore_idle, true);
		WRITE_ONCE(sbi->gc_bg_interval_ms, 1);
		WRITE_ONCE(sbi->gc_wake, true);
		wake_up(&sbi->gc_wait);
		/* until a pass has moved something: the umount finds it busy */
		for (int i = 0; i < 200 && READ_ONCE(sbi->gc_bg_runs) < 2; i++)
			msleep(1);
		passes += READ_ONCE(sbi->gc_bg_runs);
		rv_umount(t, r);
		KTEST_EXPECT_EQ(t, rv_fsck(r), 0);
		rv_mount(t, r);
		KTEST_EXPECT_TRUE(t, holds(r, MNT "/f", 0, UM_BLOCKS * 4096, 'a',
					   UM_BLOCKS * 4096));
	}
	pr_info("    # %u umounts, %llu background passes before them\n", UM_ROUNDS,
		(unsigned long long)passes);
	KTEST_EXPECT_GE(t, passes, UM_ROUNDS);
	rv_umount(t, r);
}

/* ---- qlfs_iget() of a freed inode whose old node folio lingers ---- */

/*
 * qlfs_free_node() drops the node's folio, then clears its NAT entry; a
 * cleaner reading the node in between (move_node_block(), data_owner():
 * qlfs_get_node_folio() without the NAT's word once a folio is cached)
 * puts the old block back in the node cache, with the NAT then saying
 * free. data_owner() then finds a freed inode's block still "alive" in
 * that folio and asks qlfs_iget() for the inode: read_inode() took the
 * folio, saw that the NAT names no inode and called it corruption, and
 * the file system went read-only. The case lays that state out itself
 * (the window is a few instructions wide): the inode's last block read
 * back into the node cache after its unlink. qlfs_iget() must say -ENOENT
 * and leave the file system writable.
 */
static void qlfs_rv_iget_of_a_freed_inode_is_enoent_despite_a_stale_folio(struct ktest *t)
{
	struct rv *r = t->priv;
	struct qlfs_mkfs_opts o = {
		.log_bps = 7, .force = true, .time = 1000000000ULL, .quiet = true};
	struct qlfs_sb_info *sbi;
	struct folio *folio;
	struct inode *inode;
	struct kstat st;
	u32 addr;

	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:32M", &r->disk), 0);
	KTEST_ASSERT_EQ(t, qlfs_dev_open(&r->d, r->disk->disk_name, true), 0);
	KTEST_ASSERT_EQ(t, qlfs_mkfs(&r->d, &o), 0);
	rv_mount(t, r);
	sbi = qlfs_test_sbi(t, MNT, NULL);
	qlfs_stop_gc_thread(sbi);
	put(t, r, MNT "/f", 0, 4096, 'f', false);
	ksys_sync();
	KTEST_ASSERT_EQ(t, ksys_stat(MNT "/f", &st), 0);
	KTEST_ASSERT_EQ(t, qlfs_get_nat_entry(sbi, st.ino, NULL, &addr, NULL), 0);
	r->blk = qlfs_alloc_blocks(RV_IMAGE_CHUNK_ORDER);
	KTEST_ASSERT_NOT_NULL(t, r->blk);
	KTEST_ASSERT_EQ(t, qlfs_meta_rw(sbi, REQ_OP_READ, addr, r->blk, 1), 0);
	KTEST_ASSERT_EQ(t, ksys_unlink(MNT "/f"), 0); /* evicted: nid freed */
	KTEST_ASSERT_EQ(t, qlfs_get_nat_entry(sbi, st.ino, NULL, &addr, NULL), 0);
	KTEST_ASSERT_EQ(t, addr, NULL_ADDR);

	/* what the cleaner's read in qlfs_free_node()'s window leaves */
	folio = __filemap_get_folio(sbi->node_inode->i_mapping, st.ino,
				    FGP_LOCK | FGP_CREAT, GFP_KERNEL);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, folio);
	memcpy(folio_address(folio), r->blk, QLFS_BLKSIZE);
	folio_mark_uptodate(folio);
	folio_unlock(folio);
	folio_put(folio);

	inode = qlfs_iget(sbi->sb, st.ino);
	KTEST_EXPECT_EQ(t, IS_ERR(inode) ? PTR_ERR(inode) : 0, -ENOENT);
	if (!IS_ERR(inode))
		iput(inode);
	KTEST_EXPECT_FALSE(t, READ_ONCE(sbi->read_only));
	/* the nid again, for a new file: its folio made afresh */
	put(t, r, MNT "/g", 0, 4096, 'g', false);
	KTEST_EXPECT_TRUE(t, holds(r, MNT "/g", 0, 4096, 'g', 4096));
	rv_umount(t, r);
	KTEST_EXPECT_EQ(t, rv_fsck(r), 0);
}

static const struct ktest_case qlfs_review3_cases[] = {
	KTEST_CASE(qlfs_rv_cut_during_recovery_recovers_again),
	KTEST_CASE(qlfs_rv_iget_never_returns_an_inode_without_its_operations),
	KTEST_CASE(qlfs_rv_truncate_then_extend_reads_zeros_during_reads),
	KTEST_CASE(qlfs_rv_umount_stops_a_busy_background_cleaner),
	KTEST_CASE(qlfs_rv_iget_of_a_freed_inode_is_enoent_despite_a_stale_folio),
	KTEST_END,
};

static const struct ktest_suite qlfs_review3_suite = {
	.name = "qlfs_review3",
	.init = rv_init,
	.exit = rv_exit,
	.cases = qlfs_review3_cases,
};
KTEST_SUITE(qlfs_review3_suite);
