/*
 * arch/host/qlfs_review4_cut_test.c - KTAP suite `qlfs_review4_cut`: the
 * fourth adversarial review (session 20, RVA), the part that needs the
 * host disk's cache model and power cut: fsync's order of data before
 * FSYNC-marked nodes (fs/qlfs/file.c) when the data of the file outside
 * the fsynced range is still being written.
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
#include "../../fs/qlfs/qlfs_data.h"
#include "../../fs/qlfs/qlfs_test.h"
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
	struct qlfs_mkfs_opts o = {
		.log_bps = 7, .force = true, .time = 1000000000ULL, .quiet = true};
	struct hostdisk_faults hold = {.hold_writes = 1}, none = {0};
	struct qlfs_sb_info *sbi;
	struct task_struct *k;
	struct folio *folio;
	struct inode *inode;
	struct path p;
	bool answered_first = false;

	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:32M,cache", &r->disk), 0);
	KTEST_ASSERT_EQ(t, qlfs_dev_open(&r->d, r->disk->disk_name, true), 0);
	KTEST_ASSERT_EQ(t, qlfs_mkfs(&r->d, &o), 0);
	r4c_mount(t, r);
	sbi = qlfs_test_sbi(t, MNT, NULL);
	qlfs_stop_gc_thread(sbi);
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

static const struct ktest_case qlfs_review4_cut_cases[] = {
	KTEST_CASE(qlfs_rv4_range_fsync_never_points_at_unwritten_data),
	KTEST_END,
};

static const struct ktest_suite qlfs_review4_cut_suite = {
	.name = "qlfs_review4_cut",
	.init = r4c_init,
	.exit = r4c_exit,
	.cases = qlfs_review4_cut_cases,
};
KTEST_SUITE(qlfs_review4_cut_suite);
