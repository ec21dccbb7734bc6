/*
 * arch/host/qlfs_review4_cut_test.c - KTAP suite `qlfs_review4_cut`: the
 * fourth adversarial review (session 20, RVA), the part that needs the
 * host disk's cache model and power cut: fsync's order of data before
 * FSYNC-marked nodes (fs/qlfs/file.c) when the data of the file outside
 * the fsynced range is still being written; and (REV, QF5) when a data
 * write starts after fsync's first wait, before its marked node.
 *
 * Layer: arch/host tests (emudisk.h: held writes, power cut). Used by:
 * every host job (`test`), and `quire-host --exec 'test qlfs_review4_cut'`.
 * Provides: the suite; no API.
 *
 * qlfs_fsync() waited for the data of the range it was given
 * (file_write_and_wait_range()), flushed, then wrote the inode block with
 * the FSYNC mark: a block carrying every data address of the file. A page
 * outside the range whose write was in flight (the flusher's, or the
 * cleaner's move) already had its new address in that inode block; the
 * marked block was made durable by fsync's last flush, the page's write
 * was not (a flush covers only writes completed before it), so a power
 * cut after the answer left roll-forward pointing the page at a block
 * never written. An O_DSYNC write is such a range fsync.
 *
 * The qlfs_rv6_* cases (session 23, CUTH) cut the power *inside* fsync's
 * held pass (file.c, QF5B), at each of its points, a steady writer going
 * on (r4c_cut_in_held_pass(); docs/qlfs-crash.md).
 *
 * Locking: none of its own; a kthread does the O_DSYNC write while the
 * case decides when the held write may go on.
 */
#include <quire/ktest.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/sched.h>
#include <quire/jiffies.h>
#include <quire/rwsem.h>
#include "../../fs/qlfs/qlfs_data.h"
#include "../../fs/qlfs/qlfs_test.h"
#include "../../fs/qlfs/qlfs_mount.h"
#include "blockdev.h"
#include "host.h"

#define MNT "/qlfs_review4_cut"
#define PG  4096

struct r4c {
	struct gendisk *disk;
	struct qlfs_dev d;
	bool mounted;
	int ret;		/* the O_DSYNC write's, the held fsync's */
	struct completion done; /* the O_DSYNC write, the fsync returned */
	u8 buf[PG];
	u8 hold_buf[PG];
	/* a cut inside fsync's held pass (r4c_cut_in_held_pass) */
	unsigned long sw_iters;	   /* the steady writer's writes so far */
	bool sw_park, sw_parked;   /* the writer asked to wait, waiting */
	int pause_at;		   /* enum qlfs_fsync_held_point, or -1 */
	int hold_page;		   /* page written, held, at the held pass's
				    * start (r4c_held_hook), or -1 */
	unsigned long seen;	   /* bit per point the fsync passed */
	u8 fsync_fill;		   /* what the held fsync writes to page 64 */
	struct completion reached; /* the fsync is at pause_at */
	struct completion go;	   /* let it go on */
};

static struct r4c r4c_state;

static int r4c_init(struct ktest *t)
{
	int err = ksys_mkdir(MNT, 0755);

	memset(&r4c_state, 0, sizeof(r4c_state));
	t->priv = &r4c_state;
	return err == -EEXIST ? 0 : err;
}

static void r4c_exit(struct ktest *t)
{
	struct r4c *r = t->priv;

	if (r->mounted)
		ksys_umount(MNT, 0);
	qlfs_dev_close(&r->d);
	if (r->disk)
		hostdisk_destroy(r->disk);
	ksys_rmdir(MNT);
}

/* Unmounted, then fsck finds the image clean. */
static void r4c_umount_and_fsck(struct ktest *t, struct r4c *r)
{
	struct qlfs_fsck_opts fo = {.quiet = true};
	struct qlfs_fsck_result res;

	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;
	KTEST_EXPECT_EQ(t, qlfs_fsck(&r->d, &fo, &res), 0);
	KTEST_EXPECT_EQ(t, res.problems, 0);
}

static void r4c_mount(struct ktest *t, struct r4c *r)
{
	KTEST_ASSERT_EQ(t, ksys_mount(r->disk->disk_name, MNT, "qlfs", 0, NULL), 0);
	r->mounted = true;
}

/* Every case's start: a fresh qlfs on a cached 32 MiB disk, mounted,
 * its cleaner stopped (no block moves behind the case's back). */
static struct qlfs_sb_info *r4c_format_and_mount(struct ktest *t, struct r4c *r)
{
	struct qlfs_mkfs_opts o = {
		.log_bps = 7, .force = true, .time = 1000000000ULL, .quiet = true};
	struct qlfs_sb_info *sbi;

	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:32M,cache", &r->disk), 0);
	KTEST_ASSERT_EQ(t, qlfs_dev_open(&r->d, r->disk->disk_name, true), 0);
	KTEST_ASSERT_EQ(t, qlfs_mkfs(&r->d, &o), 0);
	r4c_mount(t, r);
	sbi = qlfs_test_sbi(t, MNT, NULL);
	qlfs_stop_gc_thread(sbi);
	return sbi;
}

/* Write one page of @fill at @pos of @path (made if need be). */
static void r4c_put(struct ktest *t, struct r4c *r, loff_t pos, u8 fill, int flags)
{
	int fd = ksys_open(MNT "/f", O_CREAT | O_WRONLY | flags, 0644);

	KTEST_ASSERT_OP(t, fd, >=, 0);
	memset(r->buf, fill, sizeof(r->buf));
	KTEST_EXPECT_EQ(t, ksys_pwrite64(fd, r->buf, PG, pos), PG);
	ksys_close(fd);
}

/* Does page @pos of the file hold @fill throughout? */
static bool r4c_holds(struct r4c *r, loff_t pos, u8 fill)
{
	int fd = ksys_open(MNT "/f", O_RDONLY, 0);
	bool ok = fd >= 0 && ksys_pread64(fd, r->buf, PG, pos) == PG;

	for (u32 i = 0; ok && i < PG; i++)
		ok = r->buf[i] == fill;
	if (fd >= 0)
		ksys_close(fd);
	return ok;
}

/* The O_DSYNC write of page 1 ('b'): a range fsync of that page. */
static int r4c_dsync_writer(void *data)
{
	struct r4c *r = data;
	int fd = ksys_open(MNT "/f", O_WRONLY | O_DSYNC, 0);
	static u8 b[PG];

	memset(b, 'b', sizeof(b));
	r->ret = fd < 0 ? fd : (int)ksys_pwrite64(fd, b, PG, PG);
	if (fd >= 0)
		ksys_close(fd);
	complete(&r->done);
	return 0;
}

/*
 * A file of two pages of 'a', checkpointed. Page 0 is written again (the
 * same bytes: what the cleaner's move does) and its write started but
 * held by the disk; then page 1 is written with O_DSYNC ('b'). The case
 * waits until the O_DSYNC write has returned or sleeps on page 0's
 * writeback; when it returned first, the power is cut with page 0's
 * write still held (lost), else the held write goes on first and the cut
 * follows the answer. Either way, after the cut and roll-forward: page 1
 * is 'b' (acknowledged), page 0 'a' (its only contents ever), fsck clean.
 */
static void qlfs_rv4_range_fsync_never_points_at_unwritten_data(struct ktest *t)
{
	struct r4c *r = t->priv;
	struct hostdisk_faults hold = {.hold_writes = 1}, none = {0};
	struct qlfs_sb_info *sbi;
	struct task_struct *k;
	struct folio *folio;
	struct inode *inode;
	struct path p;
	bool answered_first = false;

	sbi = r4c_format_and_mount(t, r);
	r4c_put(t, r, 0, 'a', 0);
	r4c_put(t, r, PG, 'a', 0);
	ksys_sync(); /* the checkpoint has the file: fsync rolls forward */

	r4c_put(t, r, 0, 'a', 0);
	KTEST_ASSERT_EQ(t, kern_path(MNT "/f", LOOKUP_FOLLOW, &p), 0);
	inode = d_inode(p.dentry);
	KTEST_ASSERT_EQ(t, hostdisk_set_faults(r->disk, &hold), 0);
	KTEST_EXPECT_EQ(t, filemap_fdatawrite_range(inode->i_mapping, 0, PG - 1), 0);
	folio = __filemap_get_folio(inode->i_mapping, 0, 0, 0);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, folio);
	KTEST_EXPECT_TRUE(t, folio_test_writeback(folio)); /* held */

	init_completion(&r->done);
	k = kthread_run(r4c_dsync_writer, r, "r4c-dsync");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	/* Not a timeout: the first of two events, each of which must come. */
	for (;;) {
		if (completion_done(&r->done)) {
			answered_first = true;
			break;
		}
		if (page_test_flag(&folio->page, PG_waiters) &&
		    folio_test_writeback(folio))
			break;
		schedule_timeout_uninterruptible(1);
	}
	if (answered_first) { /* the cut, page 0's write still held */
		KTEST_EXPECT_EQ(t, r->ret, PG);
		qlfs_handle_error(sbi, "test: power cut");
		KTEST_EXPECT_GE(t, hostdisk_power_cut(r->disk, EMUDISK_CUT_NONE, 0), 0);
		hostdisk_release_held(r->disk);
	} else { /* fsync waits for page 0: let it go, then cut */
		hostdisk_release_held(r->disk);
		wait_for_completion(&r->done);
		KTEST_EXPECT_EQ(t, r->ret, PG);
		qlfs_handle_error(sbi, "test: power cut");
		KTEST_EXPECT_GE(t, hostdisk_power_cut(r->disk, EMUDISK_CUT_NONE, 0), 0);
	}
	KTEST_EXPECT_EQ(t, hostdisk_set_faults(r->disk, &none), 0);
	folio_put(folio);
	path_put(&p);
	kthread_stop(k);
	pr_info("    # the O_DSYNC write %s\n",
		answered_first ? "answered with page 0's write held" :
				 "waited for page 0's write");
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;

	r4c_mount(t, r); /* roll-forward */
	KTEST_EXPECT_TRUE(t, r4c_holds(r, PG, 'b'));
	KTEST_EXPECT_TRUE(t, r4c_holds(r, 0, 'a'));
	r4c_umount_and_fsck(t, r);
}

/* The byte page @pos of the file holds throughout, or -1 (mixed, error). */
static int r4c_fill(struct r4c *r, loff_t pos)
{
	int fd = ksys_open(MNT "/f", O_RDONLY, 0);
	bool ok = fd >= 0 && ksys_pread64(fd, r->buf, PG, pos) == PG;

	for (u32 i = 1; ok && i < PG; i++)
		ok = r->buf[i] == r->buf[0];
	if (fd >= 0)
		ksys_close(fd);
	return ok ? r->buf[0] : -1;
}

/* Sleep a tick at a time until @cond; false after 10 s (a hang). */
#define R4C_WAIT(cond)                                         \
	({                                                     \
		unsigned long __end = jiffies + 10 * HZ;       \
		while (!(cond) && time_before(jiffies, __end)) \
			schedule_timeout_uninterruptible(1);   \
		(bool)(cond);                                  \
	})

static bool r4c_waited_on(struct folio *folio)
{
	return page_test_flag(&folio->page, PG_waiters) && folio_test_writeback(folio);
}

/*
 * A file of two pages of 'a', checkpointed; page 0 rewritten with 'c'
 * (dirty only). Page 1 is written with O_DSYNC ('b'); its data write is
 * held until the case holds cp_rwsem for write, so the fsync stops at
 * qlfs_lock_op() after its first wait and flush. There the case writes
 * page 0 (held by the disk), lets the fsync go on, and once the marked
 * inode block is written and the fsync waits for page 0, flushes the
 * disk (someone else's flush) and cuts the power, page 0's write lost.
 * After roll-forward page 0 must be 'a' or 'c', never a block never
 * written; page 1 'a' or 'b'; fsck clean.
 */
static void qlfs_rv5_fsync_node_never_reaches_media_before_its_data(struct ktest *t)
{
	struct r4c *r = t->priv;
	struct hostdisk_faults hold = {.hold_writes = 1}, none = {0};
	struct folio *f0, *f1, *node;
	struct qlfs_sb_info *sbi;
	struct task_struct *k;
	struct inode *inode;
	struct path p;
	int got0, got1;

	sbi = r4c_format_and_mount(t, r);
	r4c_put(t, r, 0, 'a', 0);
	r4c_put(t, r, PG, 'a', 0);
	ksys_sync(); /* the checkpoint has the file: fsync rolls forward */
	r4c_put(t, r, 0, 'c', 0);

	KTEST_ASSERT_EQ(t, kern_path(MNT "/f", LOOKUP_FOLLOW, &p), 0);
	inode = d_inode(p.dentry);
	KTEST_ASSERT_EQ(t, hostdisk_set_faults(r->disk, &hold), 0);
	init_completion(&r->done);
	k = kthread_run(r4c_dsync_writer, r, "r4c-dsync");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);

	/* 1: the fsync waits for page 1's held write. */
	f1 = __filemap_get_folio(inode->i_mapping, 1, 0, 0);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, f1); /* written, not yet under writeback */
	KTEST_ASSERT_TRUE(t, R4C_WAIT(r4c_waited_on(f1)));
	/* 2: as a checkpoint, hold the operations; the fsync goes on to its
	 * first wait and flush and stops at qlfs_lock_op(). */
	down_write(&sbi->cp_rwsem);
	WRITE_ONCE(sbi->cp_task, current);
	hostdisk_release_held(r->disk);
	KTEST_EXPECT_TRUE(t, R4C_WAIT(!list_empty(&sbi->cp_rwsem.wait_list)));
	/* 3: page 0's write starts now, in the window (held by the disk). */
	KTEST_EXPECT_EQ(t, hostdisk_set_faults(r->disk, &hold), 0);
	KTEST_EXPECT_EQ(t, filemap_fdatawrite_range(inode->i_mapping, 0, PG - 1), 0);
	f0 = __filemap_get_folio(inode->i_mapping, 0, 0, 0);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, f0);
	KTEST_EXPECT_TRUE(t, folio_test_writeback(f0)); /* held */
	WRITE_ONCE(sbi->cp_task, NULL);
	up_write(&sbi->cp_rwsem);
	/* 4: the fsync wrote the marked inode block and waits for page 0. */
	KTEST_EXPECT_TRUE(t, R4C_WAIT(r4c_waited_on(f0)));
	node = __filemap_get_folio(sbi->node_inode->i_mapping, inode->i_ino, 0, 0);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, node);
	KTEST_EXPECT_TRUE(t, R4C_WAIT(!folio_test_writeback(node)));
	KTEST_EXPECT_FALSE(t, completion_done(&r->done));
	/* 5: someone else's flush makes the inode block durable; the cut
	 * loses page 0's write, still held. */
	KTEST_EXPECT_EQ(t, blkdev_issue_flush(sbi->bdev), 0);
	qlfs_handle_error(sbi, "test: power cut");
	KTEST_EXPECT_GE(t, hostdisk_power_cut(r->disk, EMUDISK_CUT_NONE, 0), 0);
	hostdisk_release_held(r->disk);
	KTEST_EXPECT_EQ(t, hostdisk_set_faults(r->disk, &none), 0);
	wait_for_completion(&r->done);
	folio_put(node);
	folio_put(f0);
	folio_put(f1);
	path_put(&p);
	kthread_stop(k);
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;

	r4c_mount(t, r); /* roll-forward */
	got0 = r4c_fill(r, 0);
	got1 = r4c_fill(r, PG);
	pr_info("    # after the cut: page 0 %d ('a' %d, 'c' %d), page 1 %d\n", got0, 'a',
		'c', got1);
	KTEST_EXPECT_TRUE(t, got0 == 'a' || got0 == 'c');
	KTEST_EXPECT_TRUE(t, got1 == 'a' || got1 == 'b');
	r4c_umount_and_fsck(t, r);
}

#define R4C_SW_PAGES  64u /* the writer's pages; the fsyncer's is page 64 */
#define R4C_SW_FSYNCS 20u

static bool r4c_sw_page(int fill)
{
	return fill == 'w' || (fill >= 'A' && fill <= 'Z');
}

/* The writer's pages that hold no whole page it wrote (each printed). */
static int r4c_bad_writer_pages(struct r4c *r)
{
	int bad = 0;

	for (u32 i = 0; i < R4C_SW_PAGES; i++) {
		int got = r4c_fill(r, (loff_t)i * PG);

		if (!r4c_sw_page(got)) {
			pr_info("    # after the cut: page %u holds %d\n", i, got);
			bad++;
		}
	}
	return bad;
}

/*
 * The steady writer of qlfs_fsync_gen: page after page of the file
 * rewritten whole ('A'..'Z') and its writeback started, not waited for.
 */
static int r4c_steady_writer(void *data)
{
	static u8 b[PG];
	int fd = ksys_open(MNT "/f", O_WRONLY, 0);
	struct inode *inode = data;
	unsigned long i = 0;

	while (fd >= 0 && !kthread_should_stop()) {
		loff_t pos = (loff_t)(i % R4C_SW_PAGES) * PG;

		if (__atomic_load_n(&r4c_state.sw_park, __ATOMIC_ACQUIRE)) {
			/* between two writes, none of its own in flight
			 * unsent (r4c_held_hook) */
			__atomic_store_n(&r4c_state.sw_parked, true, __ATOMIC_RELEASE);
			schedule_timeout_uninterruptible(1);
			continue;
		}
		__atomic_store_n(&r4c_state.sw_parked, false, __ATOMIC_RELEASE);
		memset(b, 'A' + (int)(i % 26), sizeof(b));
		if (ksys_pwrite64(fd, b, PG, pos) != PG)
			break; /* read-only after the cut */
		filemap_fdatawrite_range(inode->i_mapping, pos, pos + PG - 1);
		i++;
		__atomic_store_n(&r4c_state.sw_iters, i, __ATOMIC_RELEASE);
		cond_resched();
	}
	if (fd >= 0)
		ksys_close(fd);
	while (!kthread_should_stop())
		schedule_timeout_uninterruptible(1);
	return 0;
}

/*
 * QF5B's last pass (it holds the file's data writes off, data_wb_rwsem)
 * under a power cut: a writer keeps rewriting pages 0..63 of the file and
 * starting their writeback while page 64 is written and fsynced 20 times
 * (some of those fsyncs take the held pass: the counts are printed); the
 * power is cut as the last fsync returns, the writer still going. After
 * roll-forward page 64 holds the last fsync's bytes, and every page of
 * the writer a whole page it wrote (or the first 'w'), never a block its
 * data never reached (zeros); fsck clean. Review REVQF5 (session 21).
 * It does not see the window QF5 closed (a cut *before* fsync returns,
 * after someone else's flush: qlfs_rv5_fsync_node_never_reaches_media_before_its_data):
 * with the data-address checks removed it still passes.
 */
static void qlfs_rv5_held_fsync_pass_with_a_steady_writer_survives_a_cut(struct ktest *t)
{
	struct r4c *r = t->priv;
	u64 retries, held, cps;
	struct qlfs_sb_info *sbi;
	struct task_struct *k;
	struct inode *inode;
	struct path p;
	int fd;
	u8 last = 0;

	sbi = r4c_format_and_mount(t, r);
	for (u32 i = 0; i <= R4C_SW_PAGES; i++)
		r4c_put(t, r, (loff_t)i * PG, 'w', 0);
	ksys_sync(); /* the checkpoint has the file: fsync rolls forward */
	retries = READ_ONCE(sbi->fsync_retries);
	held = READ_ONCE(sbi->fsync_held_passes);
	cps = READ_ONCE(sbi->fsync_checkpoints);

	KTEST_ASSERT_EQ(t, kern_path(MNT "/f", LOOKUP_FOLLOW, &p), 0);
	inode = d_inode(p.dentry);
	fd = ksys_open(MNT "/f", O_WRONLY, 0);
	KTEST_ASSERT_OP(t, fd, >=, 0);
	k = kthread_run(r4c_steady_writer, inode, "r4c-steady");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	for (u32 n = 0; n < R4C_SW_FSYNCS; n++) {
		last = 'a' + (u8)(n % 26);
		memset(r->buf, last, sizeof(r->buf));
		KTEST_EXPECT_EQ(
			t, ksys_pwrite64(fd, r->buf, PG, (loff_t)R4C_SW_PAGES * PG), PG);
		KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
	}
	/* the cut as the last fsync returns: what is not durable is lost */
	qlfs_handle_error(sbi, "test: power cut");
	KTEST_EXPECT_GE(t, hostdisk_power_cut(r->disk, EMUDISK_CUT_NONE, 0), 0);
	kthread_stop(k);
	ksys_close(fd);
	path_put(&p);
	pr_info("    # %u fsyncs: %llu passes again, %llu holding the writes off, %llu checkpoints\n",
		R4C_SW_FSYNCS,
		(unsigned long long)(READ_ONCE(sbi->fsync_retries) - retries),
		(unsigned long long)(READ_ONCE(sbi->fsync_held_passes) - held),
		(unsigned long long)(READ_ONCE(sbi->fsync_checkpoints) - cps));
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;

	r4c_mount(t, r); /* roll-forward */
	KTEST_EXPECT_EQ(t, r4c_fill(r, (loff_t)R4C_SW_PAGES * PG), (int)last);
	KTEST_EXPECT_EQ(t, r4c_bad_writer_pages(r), 0);
	r4c_umount_and_fsck(t, r);
}

/*
 * Write page @index again ('Z', a writer's bytes, or the fsync's) with
 * its write held by the disk; its folio (a reference), or NULL. The next
 * write request is not always the page's: when its block opens a new
 * segment, that segment's summary block goes first (segment.c). Then
 * that one is let go and the page written again: a write of the page
 * that has not ended 20 ticks later is the held one.
 */
static struct folio *r4c_hold_page_write(struct r4c *r, struct inode *inode,
					 pgoff_t index)
{
	struct hostdisk_faults hold = {.hold_writes = 1};
	loff_t pos = (loff_t)index * PG;
	struct folio *f = NULL;

	for (int tries = 0; tries < 5; tries++) {
		int fd = ksys_open(MNT "/f", O_WRONLY, 0);

		if (fd < 0)
			return NULL;
		memset(r->hold_buf, index ? r->fsync_fill : 'Z', PG);
		ksys_pwrite64(fd, r->hold_buf, PG, pos);
		ksys_close(fd);
		/* armed after the write: its foreground cleaning, if any,
		 * is not held */
		hostdisk_set_faults(r->disk, &hold);
		filemap_fdatawrite_range(inode->i_mapping, pos, pos + PG - 1);
		f = __filemap_get_folio(inode->i_mapping, index, 0, 0);
		if (IS_ERR_OR_NULL(f))
			return NULL;
		for (int i = 0; i < 20 && folio_test_writeback(f); i++)
			schedule_timeout_uninterruptible(1);
		if (folio_test_writeback(f))
			return f;
		folio_put(f);
		hostdisk_release_held(r->disk); /* someone else's */
	}
	return NULL;
}

/* The held fsync's pause points (sbi->test.fsync_held_hook): in the
 * fsyncing task, the file's locks as the point says. */
static void r4c_held_hook(struct inode *inode, int point)
{
	struct r4c *r = &r4c_state;
	unsigned long end;

	__atomic_or_fetch(&r->seen, 1ul << point, __ATOMIC_RELEASE);
	if (point == QLFS_FSYNC_HELD_ENTER && r->hold_page >= 0) {
		struct folio *f;

		/*
		 * Page @hold_page written again and its write held: page 64
		 * (the fsync's own), and the held pass sleeps on it; or page
		 * 0, one of the writer's, and the writer, rewriting it, waits
		 * for it in ->writepages holding data_wb_rwsem shared: the
		 * held pass waits at its down_write() until the write ends
		 * (how session 21's draft hung: its held write's release
		 * came only after the held pass). The writer waits meanwhile.
		 */
		__atomic_store_n(&r->sw_park, true, __ATOMIC_RELEASE);
		end = jiffies + 5 * HZ;
		while (!__atomic_load_n(&r->sw_parked, __ATOMIC_ACQUIRE) &&
		       time_before(jiffies, end))
			schedule_timeout_uninterruptible(1);
		f = r4c_hold_page_write(r, inode, r->hold_page);
		__atomic_store_n(&r->sw_park, false, __ATOMIC_RELEASE);
		if (!r->hold_page && f) /* the writer on it */
			while (!r4c_waited_on(f) && time_before(jiffies, end))
				schedule_timeout_uninterruptible(1);
		if (f)
			folio_put(f);
	}
	if (point != r->pause_at)
		return;
	complete(&r->reached);
	wait_for_completion(&r->go);
}

/* The held fsync: page 64 written with r->fsync_fill, then fsync. */
static int r4c_held_fsyncer(void *data)
{
	struct r4c *r = data;
	int fd = ksys_open(MNT "/f", O_WRONLY, 0);
	static u8 b[PG];

	memset(b, r->fsync_fill, sizeof(b));
	if (fd < 0)
		r->ret = fd;
	else if (ksys_pwrite64(fd, b, PG, (loff_t)R4C_SW_PAGES * PG) != PG)
		r->ret = -EIO;
	else
		r->ret = ksys_fsync(fd);
	if (fd >= 0)
		ksys_close(fd);
	complete(&r->done);
	return 0;
}

/* Is the held pass asleep on a data page of the file (page 64's held write)? */
static bool r4c_fsync_waits_on_data(struct r4c *r, struct inode *inode)
{
	bool found = false;

	if (!(__atomic_load_n(&r->seen, __ATOMIC_ACQUIRE) &
	      1ul << QLFS_FSYNC_HELD_LOCKED))
		return false;
	for (pgoff_t i = 0; i <= R4C_SW_PAGES && !found; i++) {
		struct folio *f = __filemap_get_folio(inode->i_mapping, i, 0, 0);

		if (IS_ERR_OR_NULL(f))
			continue;
		found = r4c_waited_on(f);
		folio_put(f);
	}
	return found;
}

enum r4c_cut_at {
	R4C_CUT_WRITER_HELD, /* waiting for data_wb_rwsem behind the
			      * writer, which waits for its held write */
	R4C_CUT_LOCKED,	     /* both locks taken, before the data wait */
	R4C_CUT_DATA_HELD,   /* in the data wait, a writer's write held */
	R4C_CUT_WAITED,	     /* data waited for, before the flush */
	R4C_CUT_FLUSHED,     /* flushed, before the marked node */
	R4C_CUT_NODE_HELD,   /* the marked node's write sent, held */
	R4C_CUT_NODES,	     /* the marked node written, before the unlock */
};

static const char *const r4c_cut_names[] = {
	[R4C_CUT_WRITER_HELD] = "behind a writer waiting for its held write",
	[R4C_CUT_LOCKED] = "locks taken",
	[R4C_CUT_DATA_HELD] = "in the data wait, a data write held",
	[R4C_CUT_WAITED] = "data waited for",
	[R4C_CUT_FLUSHED] = "flushed",
	[R4C_CUT_NODE_HELD] = "the marked node's write held",
	[R4C_CUT_NODES] = "the marked node written",
};

/*
 * A power cut *inside* fsync's held pass (QF5B, fs/qlfs/file.c), the
 * steady writer of qlfs_rv5_held_fsync_pass_with_a_steady_writer_survives_a_cut
 * going on: three fsyncs of page 64 ('a'..'c'), then a fourth ('d') in a
 * kthread whose first passes are skipped (test.fsync_force_held) and
 * which is paused at @at (test.fsync_held_hook), or sleeps on a held
 * write there; the power is cut, the held writes and the fsync go on.
 * Expected: the fsync returns (0, -EIO or -EROFS: the cut came before
 * its answer), the writer stops, umount works; after roll-forward page
 * 64 is 'c' or 'd', every writer page a whole page it wrote; fsck clean.
 * Session 21's draft of this case hung; this one waits with bounds.
 */
static void r4c_cut_in_held_pass(struct ktest *t, enum r4c_cut_at at)
{
	static const int pause[] = {
		[R4C_CUT_WRITER_HELD] = -1,
		[R4C_CUT_LOCKED] = QLFS_FSYNC_HELD_LOCKED,
		[R4C_CUT_DATA_HELD] = -1,
		[R4C_CUT_WAITED] = QLFS_FSYNC_HELD_WAITED,
		[R4C_CUT_FLUSHED] = QLFS_FSYNC_HELD_FLUSHED,
		[R4C_CUT_NODE_HELD] = QLFS_FSYNC_HELD_FLUSHED,
		[R4C_CUT_NODES] = QLFS_FSYNC_HELD_NODES,
	};
	struct hostdisk_faults hold2 = {.hold_writes = 2}, none = {0};
	struct r4c *r = t->priv;
	struct folio *node = NULL;
	struct qlfs_sb_info *sbi;
	struct task_struct *k, *fk;
	struct inode *inode;
	struct path p;
	int fd, got;
	bool cut_where_meant, answered;

	sbi = r4c_format_and_mount(t, r);
	for (u32 i = 0; i <= R4C_SW_PAGES; i++)
		r4c_put(t, r, (loff_t)i * PG, 'w', 0);
	ksys_sync(); /* the checkpoint has the file: fsync rolls forward */

	KTEST_ASSERT_EQ(t, kern_path(MNT "/f", LOOKUP_FOLLOW, &p), 0);
	inode = d_inode(p.dentry);
	fd = ksys_open(MNT "/f", O_WRONLY, 0);
	KTEST_ASSERT_OP(t, fd, >=, 0);
	k = kthread_run(r4c_steady_writer, inode, "r4c-steady");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	for (u8 c = 'a'; c <= 'c'; c++) {
		memset(r->buf, c, sizeof(r->buf));
		KTEST_EXPECT_EQ(
			t, ksys_pwrite64(fd, r->buf, PG, (loff_t)R4C_SW_PAGES * PG), PG);
		KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
	}
	ksys_close(fd);

	r->pause_at = pause[at];
	r->hold_page = at == R4C_CUT_DATA_HELD	 ? (int)R4C_SW_PAGES :
		       at == R4C_CUT_WRITER_HELD ? 0 :
						   -1;
	r->fsync_fill = 'd';
	init_completion(&r->reached);
	init_completion(&r->go);
	init_completion(&r->done);
	WRITE_ONCE(sbi->test.fsync_held_hook, r4c_held_hook);
	WRITE_ONCE(sbi->test.fsync_force_held, true);
	fk = kthread_run(r4c_held_fsyncer, r, "r4c-fsync");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, fk);

	if (r->pause_at >= 0) {
		cut_where_meant = wait_for_completion_timeout(&r->reached, 10 * HZ);
		if (at == R4C_CUT_NODE_HELD) {
			/* the next write is the marked inode block's, or a
			 * full segment's summary block, then that one */
			KTEST_EXPECT_EQ(t, hostdisk_set_faults(r->disk, &hold2), 0);
			complete(&r->go);
			node = __filemap_get_folio(sbi->node_inode->i_mapping,
						   inode->i_ino, 0, 0);
			KTEST_ASSERT_NOT_ERR_OR_NULL(t, node);
			cut_where_meant =
				cut_where_meant && R4C_WAIT(r4c_waited_on(node));
		}
	} else if (at == R4C_CUT_DATA_HELD) { /* asleep on page 64 */
		cut_where_meant = R4C_WAIT(r4c_fsync_waits_on_data(r, inode));
	} else { /* at down_write(), behind the writer */
		struct rw_semaphore *sem = &QLFS_I(inode)->data_wb_rwsem;

		cut_where_meant =
			R4C_WAIT((READ_ONCE(r->seen) & 1ul << QLFS_FSYNC_HELD_ENTER) &&
				 !list_empty(&sem->wait_list));
		cut_where_meant = cut_where_meant &&
				  !(READ_ONCE(r->seen) & 1ul << QLFS_FSYNC_HELD_LOCKED);
	}
	KTEST_EXPECT_TRUE(t, cut_where_meant);
	if (!cut_where_meant) { /* where the fsync and the writer were */
		struct folio *f0 = __filemap_get_folio(inode->i_mapping, 0, 0, 0);

		pr_info("    # not where meant: points passed %#lx, data_wb_rwsem %ld%s, cp_rwsem %ld%s, writer %lu writes%s, page 0 %s%s\n",
			READ_ONCE(r->seen),
			(long)READ_ONCE(QLFS_I(inode)->data_wb_rwsem.count),
			list_empty(&QLFS_I(inode)->data_wb_rwsem.wait_list) ? "" :
									      " +waiters",
			(long)READ_ONCE(sbi->cp_rwsem.count),
			list_empty(&sbi->cp_rwsem.wait_list) ? "" : " +waiters",
			__atomic_load_n(&r->sw_iters, __ATOMIC_ACQUIRE),
			READ_ONCE(r->sw_parked) ? " (parked)" : "",
			!IS_ERR_OR_NULL(f0) && folio_test_writeback(f0) ?
				"under writeback" :
				"idle",
			!IS_ERR_OR_NULL(f0) && r4c_waited_on(f0) ? ", waited on" : "");
		if (!IS_ERR_OR_NULL(f0))
			folio_put(f0);
	}
	KTEST_EXPECT_FALSE(t, completion_done(&r->done));
	/* each write not yet durable kept or not (or each of its blocks),
	 * by the run's seed: --seed N (with --sched-points) repeats it */
	qlfs_handle_error(sbi, "test: power cut");
	KTEST_EXPECT_GE(t,
			hostdisk_power_cut(r->disk,
					   (host_cfg.seed + at) & 1 ? EMUDISK_CUT_TORN :
								      EMUDISK_CUT_SUBSET,
					   host_cfg.seed * 16 + at),
			0);
	KTEST_EXPECT_EQ(t, hostdisk_set_faults(r->disk, &none), 0);
	hostdisk_release_held(r->disk);
	if (at != R4C_CUT_NODE_HELD)
		complete(&r->go);
	/* a bound, not a timeout: the fsync must answer (a hang is
	 * reported, then waited out: gdb shows where) */
	answered = wait_for_completion_timeout(&r->done, 10 * HZ);
	KTEST_EXPECT_TRUE(t, answered);
	if (!answered)
		wait_for_completion(&r->done);
	pr_info("    # cut inside the held pass (%s): fsync %d, writer %lu writes\n",
		r4c_cut_names[at], r->ret,
		__atomic_load_n(&r->sw_iters, __ATOMIC_ACQUIRE));
	KTEST_EXPECT_TRUE(t, r->ret == 0 || r->ret == -EIO || r->ret == -EROFS);
	KTEST_EXPECT_TRUE(t, (r->seen & 1ul << QLFS_FSYNC_HELD_LOCKED) != 0);
	WRITE_ONCE(sbi->test.fsync_held_hook, NULL);
	WRITE_ONCE(sbi->test.fsync_force_held, false);
	kthread_stop(fk);
	kthread_stop(k);
	if (node)
		folio_put(node);
	path_put(&p);
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;

	r4c_mount(t, r); /* roll-forward */
	got = r4c_fill(r, (loff_t)R4C_SW_PAGES * PG);
	pr_info("    # after the cut: page 64 holds %d ('c' %d, 'd' %d)\n", got, 'c',
		'd');
	KTEST_EXPECT_TRUE(t, got == 'c' || got == 'd');
	KTEST_EXPECT_EQ(t, r4c_bad_writer_pages(r), 0);
	r4c_umount_and_fsck(t, r);
}

static void
qlfs_rv6_cut_in_held_fsync_pass_behind_a_writer_waiting_on_its_write(struct ktest *t)
{
	r4c_cut_in_held_pass(t, R4C_CUT_WRITER_HELD);
}

static void qlfs_rv6_cut_in_held_fsync_pass_with_locks_taken(struct ktest *t)
{
	r4c_cut_in_held_pass(t, R4C_CUT_LOCKED);
}

static void qlfs_rv6_cut_in_held_fsync_pass_waiting_for_a_held_data_write(struct ktest *t)
{
	r4c_cut_in_held_pass(t, R4C_CUT_DATA_HELD);
}

static void qlfs_rv6_cut_in_held_fsync_pass_after_its_data_wait(struct ktest *t)
{
	r4c_cut_in_held_pass(t, R4C_CUT_WAITED);
}

static void qlfs_rv6_cut_in_held_fsync_pass_after_its_flush(struct ktest *t)
{
	r4c_cut_in_held_pass(t, R4C_CUT_FLUSHED);
}

static void qlfs_rv6_cut_in_held_fsync_pass_with_its_marked_node_held(struct ktest *t)
{
	r4c_cut_in_held_pass(t, R4C_CUT_NODE_HELD);
}

static void qlfs_rv6_cut_in_held_fsync_pass_after_its_marked_node(struct ktest *t)
{
	r4c_cut_in_held_pass(t, R4C_CUT_NODES);
}

static const struct ktest_case qlfs_review4_cut_cases[] = {
	KTEST_CASE(qlfs_rv4_range_fsync_never_points_at_unwritten_data),
	KTEST_CASE(qlfs_rv5_fsync_node_never_reaches_media_before_its_data),
	KTEST_CASE(qlfs_rv5_held_fsync_pass_with_a_steady_writer_survives_a_cut),
	KTEST_CASE(qlfs_rv6_cut_in_held_fsync_pass_behind_a_writer_waiting_on_its_write),
	KTEST_CASE(qlfs_rv6_cut_in_held_fsync_pass_with_locks_taken),
	KTEST_CASE(qlfs_rv6_cut_in_held_fsync_pass_waiting_for_a_held_data_write),
	KTEST_CASE(qlfs_rv6_cut_in_held_fsync_pass_after_its_data_wait),
	KTEST_CASE(qlfs_rv6_cut_in_held_fsync_pass_after_its_flush),
	KTEST_CASE(qlfs_rv6_cut_in_held_fsync_pass_with_its_marked_node_held),
	KTEST_CASE(qlfs_rv6_cut_in_held_fsync_pass_after_its_marked_node),
	KTEST_END,
};

static const struct ktest_suite qlfs_review4_cut_suite = {
	.name = "qlfs_review4_cut",
	.init = r4c_init,
	.exit = r4c_exit,
	.cases = qlfs_review4_cut_cases,
};
KTEST_SUITE(qlfs_review4_cut_suite);
