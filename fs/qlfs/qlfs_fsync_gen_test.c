/*
 * fs/qlfs/qlfs_fsync_gen_test.c - suite `qlfs_fsync_gen`: how fsync's
 * data-address check (QF5, fs/qlfs/file.c and node.c: data_addr_gen)
 * behaves when another task keeps writing the same file (session 21,
 * QF5B). The power-cut case of the check itself is in arch/host's
 * qlfs_review4_cut.
 *
 * Layer: fs (qlfs tests). Used by: every host and kernel job (`test`).
 * Provides: the suite; no API.
 *
 * fsync writes its FSYNC-marked inode block only if no data address of
 * the file moved since it waited for the file's data; else it waits and
 * flushes again, and after QLFS_FSYNC_TRIES more passes it writes a
 * checkpoint instead (counted: sbi->fsync_retries, fsync_checkpoints,
 * shown by the `qlfs` shell command). A writer that keeps starting the
 * writeback of its pages (sync_file_range(WRITE), the flusher under
 * pressure) moves addresses all the time: it made every fsync a
 * checkpoint until the last pass held the file's data writes off (QF5B).
 *
 * Locking: the case's writer is a kthread; the counters are read after
 * it stopped.
 */
#include <quire/ktest.h>
#include <quire/kthread.h>
#include <quire/sched.h>
#include <quire/syscalls.h>
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/slab.h>
#include <quire/printk.h>
#include "qlfs_mount.h"
#include "qlfs_test.h"

#define FG	 "/qlfs_fsync_gen"
#define FG_FILE	 FG "/f"
#define PG	 4096
#define FG_PAGES 64u /* the writer's pages; the fsyncer writes page FG_PAGES */

struct fg {
	struct qlfs_dev d;
	bool mounted;
	struct inode *inode;
	unsigned long writes; /* the writer's, read after it stopped */
	u8 wbuf[PG], fbuf[PG];
};

static int fg_init(struct ktest *t)
{
	struct fg *g = kzalloc(sizeof(*g), GFP_KERNEL);

	if (!g)
		return -ENOMEM;
	t->priv = g;
	return 0;
}

static void fg_exit(struct ktest *t)
{
	struct fg *g = t->priv;

	if (g->inode)
		iput(g->inode);
	if (g->mounted) {
		KTEST_EXPECT_EQ(t, ksys_umount(FG, 0), 0);
		KTEST_EXPECT_EQ(t, qlfs_test_fsck(&g->d), 0);
	}
	ksys_rmdir(FG);
	qlfs_dev_close(&g->d);
	kfree(g);
}

/*
 * The steady writer: page after page of the file rewritten and its
 * writeback started at once, not waited for (sync_file_range(WRITE)).
 */
static int fg_writer(void *data)
{
	struct fg *g = data;
	int fd = ksys_open(FG_FILE, O_WRONLY, 0);
	unsigned long i = 0;

	while (fd >= 0 && !kthread_should_stop()) {
		loff_t pos = (loff_t)(i % FG_PAGES) * PG;

		g->wbuf[0] = (u8)i;
		if (ksys_pwrite64(fd, g->wbuf, PG, pos) != PG)
			break;
		filemap_fdatawrite_range(g->inode->i_mapping, pos, pos + PG - 1);
		i++;
		cond_resched();
	}
	if (fd >= 0)
		ksys_close(fd);
	g->writes = i;
	while (!kthread_should_stop())
		schedule_timeout_uninterruptible(1);
	return 0;
}

#define FG_FSYNCS 20u

/*
 * U2: a steady writer on the same file does not make every fsync a
 * checkpoint. F2FS's rule: an fsync covers what was written before it
 * started; the later writes are not its business, only their addresses
 * must not reach the marked chain before their data.
 */
static void
qlfs_fsync_gen_steady_writer_does_not_make_every_fsync_a_checkpoint(struct ktest *t)
{
	struct fg *g = t->priv;
	struct qlfs_sb_info *sbi;
	struct task_struct *k;
	u64 retries, held, cps, nr_cp;
	int fd;

	qlfs_test_fresh_mount(t, &g->d, 7, FG);
	g->mounted = true;
	memset(g->wbuf, 'w', sizeof(g->wbuf));
	memset(g->fbuf, 'f', sizeof(g->fbuf));
	fd = ksys_open(FG_FILE, O_CREAT | O_RDWR, 0644);
	KTEST_ASSERT_OP(t, fd, >=, 0);
	for (u32 i = 0; i <= FG_PAGES; i++)
		KTEST_ASSERT_EQ(t, ksys_pwrite64(fd, g->wbuf, PG, (loff_t)i * PG), PG);
	ksys_sync(); /* the checkpoint has the file: its fsyncs roll forward */
	sbi = qlfs_test_sbi(t, FG_FILE, &g->inode);
	retries = READ_ONCE(sbi->fsync_retries);
	held = READ_ONCE(sbi->fsync_held_passes);
	cps = READ_ONCE(sbi->fsync_checkpoints);
	nr_cp = READ_ONCE(sbi->nr_checkpoints);

	k = kthread_run(fg_writer, g, "qlfs-fg-writer");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	for (u32 n = 0; n < FG_FSYNCS; n++) {
		g->fbuf[0] = (u8)n;
		KTEST_EXPECT_EQ(t, ksys_pwrite64(fd, g->fbuf, PG, (loff_t)FG_PAGES * PG),
				PG);
		KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
	}
	kthread_stop(k);
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
	retries = READ_ONCE(sbi->fsync_retries) - retries;
	held = READ_ONCE(sbi->fsync_held_passes) - held;
	cps = READ_ONCE(sbi->fsync_checkpoints) - cps;
	nr_cp = READ_ONCE(sbi->nr_checkpoints) - nr_cp;
	pr_info("    # %u fsyncs against %lu writes: %llu passes again, %llu holding the writes off, %llu checkpoints instead (%llu in all)\n",
		FG_FSYNCS, g->writes, (unsigned long long)retries,
		(unsigned long long)held, (unsigned long long)cps,
		(unsigned long long)nr_cp);
	KTEST_EXPECT_GT(t, g->writes, 0UL);
	/* before QF5B: 20 of 20 (80 passes again), on the host */
	KTEST_EXPECT_EQ(t, cps, 0ULL);
	KTEST_EXPECT_LE(t, held, (u64)FG_FSYNCS);
}

/*
 * U1: a data address that moves after fsync's first check (under the
 * inode block's lock) and before its marked block is taken is seen once
 * the block is taken: the block goes out unmarked and fsync passes again
 * (one retry, no checkpoint). The test switch moves data_addr_gen in that
 * window as a writeback pass holding a cached direct node could; before
 * the second check the marked block went out (no retry).
 */
static void qlfs_fsync_gen_address_moved_before_the_marked_block_is_taken(struct ktest *t)
{
	struct fg *g = t->priv;
	struct qlfs_sb_info *sbi;
	u64 retries, cps;
	int fd;

	qlfs_test_fresh_mount(t, &g->d, 7, FG);
	g->mounted = true;
	memset(g->fbuf, 'f', sizeof(g->fbuf));
	fd = ksys_open(FG_FILE, O_CREAT | O_RDWR, 0644);
	KTEST_ASSERT_OP(t, fd, >=, 0);
	KTEST_ASSERT_EQ(t, ksys_pwrite64(fd, g->fbuf, PG, 0), PG);
	ksys_sync(); /* the checkpoint has the file: its fsync rolls forward */
	sbi = qlfs_test_sbi(t, FG_FILE, NULL);
	qlfs_stop_gc_thread(sbi);
	g->fbuf[0] = 'g';
	KTEST_ASSERT_EQ(t, ksys_pwrite64(fd, g->fbuf, PG, 0), PG);
	retries = READ_ONCE(sbi->fsync_retries);
	cps = READ_ONCE(sbi->fsync_checkpoints);
	WRITE_ONCE(sbi->test.fsync_window_bump, true);
	KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
	KTEST_EXPECT_FALSE(t, READ_ONCE(sbi->test.fsync_window_bump)); /* it fired */
	KTEST_EXPECT_EQ(t, READ_ONCE(sbi->fsync_retries) - retries, 1ULL);
	KTEST_EXPECT_EQ(t, READ_ONCE(sbi->fsync_checkpoints) - cps, 0ULL);
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
}

static const struct ktest_case qlfs_fsync_gen_cases[] = {
	KTEST_CASE(qlfs_fsync_gen_address_moved_before_the_marked_block_is_taken),
	KTEST_CASE(qlfs_fsync_gen_steady_writer_does_not_make_every_fsync_a_checkpoint),
	KTEST_END,
};

static const struct ktest_suite qlfs_fsync_gen_suite = {
	.name = "qlfs_fsync_gen",
	.init = fg_init,
	.exit = fg_exit,
	.cases = qlfs_fsync_gen_cases,
};
KTEST_SUITE(qlfs_fsync_gen_suite);
