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

#define MNT "/qlfs_review4_cut"
#define PG  4096

struct r4c {
	struct gendisk *disk;
	struct qlfs_dev d;
	bool mounted;
	int ret;		/* the O_DSYNC write's */
	struct completion done; /* the O_DSYNC write returned */
	u8 buf[PG];
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
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;
	{
		struct qlfs_fsck_opts fo = {.quiet = true};
		struct qlfs_fsck_result res;

		KTEST_EXPECT_EQ(t, qlfs_fsck(&r->d, &fo, &res), 0);
		KTEST_EXPECT_EQ(t, res.problems, 0);
	}
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
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;
	{
		struct qlfs_fsck_opts fo = {.quiet = true};
		struct qlfs_fsck_result res;

		KTEST_EXPECT_EQ(t, qlfs_fsck(&r->d, &fo, &res), 0);
		KTEST_EXPECT_EQ(t, res.problems, 0);
	}
}

#define R4C_SW_PAGES  64u /* the writer's pages; the fsyncer's is page 64 */
#define R4C_SW_FSYNCS 20u

static bool r4c_sw_page(int fill)
{
	return fill == 'w' || (fill >= 'A' && fill <= 'Z');
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

		memset(b, 'A' + (int)(i % 26), sizeof(b));
		if (ksys_pwrite64(fd, b, PG, pos) != PG)
			break; /* read-only after the cut */
		filemap_fdatawrite_range(inode->i_mapping, pos, pos + PG - 1);
		i++;
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
	int fd, got, bad = 0;
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
	for (u32 i = 0; i < R4C_SW_PAGES; i++) {
		got = r4c_fill(r, (loff_t)i * PG);
		if (!r4c_sw_page(got)) {
			pr_info("    # after the cut: page %u holds %d\n", i, got);
			bad++;
		}
	}
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;
	{
		struct qlfs_fsck_opts fo = {.quiet = true};
		struct qlfs_fsck_result res;

		KTEST_EXPECT_EQ(t, qlfs_fsck(&r->d, &fo, &res), 0);
		KTEST_EXPECT_EQ(t, res.problems, 0);
	}
}

static const struct ktest_case qlfs_review4_cut_cases[] = {
	KTEST_CASE(qlfs_rv4_range_fsync_never_points_at_unwritten_data),
	KTEST_CASE(qlfs_rv5_fsync_node_never_reaches_media_before_its_data),
	KTEST_CASE(qlfs_rv5_held_fsync_pass_with_a_steady_writer_survives_a_cut),
	KTEST_END,
};

static const struct ktest_suite qlfs_review4_cut_suite = {
	.name = "qlfs_review4_cut",
	.init = r4c_init,
	.exit = r4c_exit,
	.cases = qlfs_review4_cut_cases,
};
KTEST_SUITE(qlfs_review4_cut_suite);
