/*
 * arch/host/qlfs_gc_crash_test.c - KTAP suite `qlfs_gc_crash`: cleaning
 * (fs/qlfs/gc.c) across a power cut of the host disk's modelled volatile
 * cache (emudisk.h), as arch/host/qlfs_crash_test.c does for the rest.
 *
 * A segment the cleaner emptied is prefree until the next checkpoint
 * (QG2, QS1): the last checkpoint still names its blocks. The case fills
 * the disk's free segments after cleaning one (cleaning from the writers
 * and the periodic checkpoint held off, so the last checkpoint stays the
 * one before the cleaning), makes it all durable, cuts the power and
 * mounts: the last checkpoint's file must read back whole. Its negative
 * control makes the cleaned segment free at once (QLFS_GC_FAULT_FREE_EARLY):
 * the writes land in it and the file comes back damaged.
 *
 * arch/host only: the power cut is the host disk's.
 */
#include <quire/ktest.h>
#include <quire/errno.h>
#include <quire/string.h>
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/pagemap.h>
#include <quire/blkdev.h>
#include "../../fs/qlfs/qlfs_data.h"
#include "../../fs/qlfs/qlfs_test.h"
#include "blockdev.h"

#define MNT	 "/qlfs_gc_crash"
#define A_BLOCKS 64 /* the checkpointed file: 4 segments of 16 blocks */

struct gcc {
	struct qlfs_test_mnt m; /* the shared fixture: disk, device, mounted */
	u8 buf[4096];
};

static struct gcc gcc_state;

static int gcc_init(struct ktest *t)
{
	memset(gcc_state.buf, 0, sizeof(gcc_state.buf));
	t->priv = &gcc_state;
	return qlfs_test_mnt_init(&gcc_state.m, MNT);
}

static void gcc_exit(struct ktest *t)
{
	struct gcc *c = t->priv;

	qlfs_test_mnt_exit(&c->m, MNT, hostdisk_destroy);
}

static struct qlfs_sb_info *gcc_sbi(struct ktest *t, struct inode **inode,
				    const char *path)
{
	return qlfs_test_sbi(t, path, inode);
}

/* The case's own 8 MiB disk (a volatile cache), a fresh qlfs of 64 KiB
 * segments on it, mounted at MNT: its sb_info. */
static struct qlfs_sb_info *gcc_fresh(struct ktest *t, struct gcc *c)
{
	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:8M,cache", &c->m.disk), 0);
	KTEST_ASSERT_EQ(t, qlfs_test_mnt_mkfs(&c->m, 4), 0);
	KTEST_ASSERT_EQ(t, qlfs_test_mnt_mount(&c->m, MNT), 0);
	return gcc_sbi(t, NULL, MNT);
}

/* Block @b of a file, generation @gen. */
static void fill(u8 *buf, u32 b, u32 gen)
{
	for (u32 i = 0; i < 4096; i++)
		buf[i] = (u8)(b * 7 + gen * 31 + i);
}

/* 0, or the first write's error (-ENOSPC when the user blocks are full). */
static ssize_t_k write_blocks(struct ktest *t, struct gcc *c, const char *path, u32 from,
			      u32 n, u32 step, u32 gen)
{
	int fd = ksys_open(path, O_CREAT | O_WRONLY, 0644);
	ssize_t_k w = 4096;

	KTEST_ASSERT_OP(t, fd, >=, 0);
	for (u32 b = from; b < from + n && w == 4096; b += step) {
		fill(c->buf, b, gen);
		w = ksys_pwrite64(fd, c->buf, 4096, (loff_t)b << 12);
	}
	ksys_close(fd);
	return w == 4096 ? 0 : w;
}

/* Blocks of @path that are not generation @gen. */
static u32 blocks_not(struct ktest *t, struct gcc *c, const char *path, u32 n, u32 gen)
{
	int fd = ksys_open(path, O_RDONLY, 0);
	u8 want[64];
	u32 bad = 0;

	KTEST_ASSERT_OP(t, fd, >=, 0);
	for (u32 b = 0; b < n; b++) {
		fill(c->buf, b, gen);
		memcpy(want, c->buf, sizeof(want));
		if (ksys_pread64(fd, c->buf, 4096, (loff_t)b << 12) != 4096 ||
		    memcmp(want, c->buf, sizeof(want)))
			bad++;
	}
	ksys_close(fd);
	return bad;
}

/* Is block @b of @path not generation @gen? (1 or 0) */
static u32 blocks_not_one(struct ktest *t, struct gcc *c, const char *path, u32 b,
			  u32 gen)
{
	int fd = ksys_open(path, O_RDONLY, 0);
	u8 want[64];
	u32 bad;

	KTEST_ASSERT_OP(t, fd, >=, 0);
	fill(c->buf, b, gen);
	memcpy(want, c->buf, sizeof(want));
	bad = ksys_pread64(fd, c->buf, 4096, (loff_t)b << 12) != 4096 ||
	      memcmp(want, c->buf, sizeof(want));
	ksys_close(fd);
	return bad;
}

/* "b": 16-block chunks written back at once, until no segment is free
 * (or the user blocks are all taken). */
static void fill_free_segments(struct ktest *t, struct gcc *c, struct qlfs_sb_info *sbi)
{
	struct inode *inode;
	ssize_t_k err = 0;
	u32 b = 0;

	KTEST_ASSERT_EQ(t, write_blocks(t, c, MNT "/b", 0, 1, 1, 0), 0);
	gcc_sbi(t, &inode, MNT "/b");
	while (READ_ONCE(sbi->free_segments) && !err && b < 4096) {
		err = write_blocks(t, c, MNT "/b", b, 16, 1, 0);
		KTEST_EXPECT_EQ(t, filemap_write_and_wait(inode->i_mapping), 0);
		b += 16;
	}
	iput(inode);
	KTEST_EXPECT_TRUE(t, !err || err == -ENOSPC);
}

/*
 * The scenario, with @fault as the cleaner's: returns the blocks of "a"
 * (as the last checkpoint has it) that the next mount finds damaged.
 */
static u32 clean_fill_and_cut(struct ktest *t, int fault)
{
	struct gcc *c = t->priv;
	struct qlfs_sb_info *sbi;
	struct inode *inode;
	u32 addr, bad;
	u64 cps;

	sbi = gcc_fresh(t, c);
	qlfs_stop_gc_thread(sbi);
	qlfs_stop_periodic_checkpoint(sbi);
	WRITE_ONCE(sbi->test.gc_off, true);

	KTEST_ASSERT_EQ(t, write_blocks(t, c, MNT "/a", 0, A_BLOCKS, 1, 0), 0);
	ksys_sync(); /* the last checkpoint: "a" at generation 0 */
	cps = sbi->nr_checkpoints;
	/* half of its first segment */
	KTEST_ASSERT_EQ(t, write_blocks(t, c, MNT "/a", 0, 16, 2, 1), 0);
	gcc_sbi(t, &inode, MNT "/a");
	KTEST_ASSERT_EQ(t, filemap_write_and_wait(inode->i_mapping), 0);
	KTEST_ASSERT_EQ(t, qlfs_data_blkaddr_of(inode, 1, &addr), 0);
	WRITE_ONCE(sbi->test.gc_fault, fault);
	KTEST_EXPECT_EQ(t, qlfs_gc_segment(sbi, qlfs_segno(sbi, addr), QLFS_FG_GC), 0);
	WRITE_ONCE(sbi->test.gc_fault, 0);
	iput(inode);
	KTEST_EXPECT_EQ(t, qlfs_bm_test(sbi->free_segmap, qlfs_segno(sbi, addr)),
			fault == QLFS_GC_FAULT_FREE_EARLY);

	/* the overprovision too (in memory only: no checkpoint follows), so
	 * that the fill takes every free segment, the cleaned one's turn too */
	spin_lock(&sbi->sit_lock);
	sbi->user_block_count = (u64)sbi->l.segs_main * sbi->l.bps;
	spin_unlock(&sbi->sit_lock);
	fill_free_segments(t, c, sbi);
	KTEST_EXPECT_EQ(t, sbi->nr_checkpoints, cps); /* still the last one */
	KTEST_ASSERT_EQ(t, blkdev_issue_flush(&c->m.disk->part0), 0);
	qlfs_handle_error(sbi, "test: power cut");
	KTEST_EXPECT_GE(t, hostdisk_power_cut(c->m.disk, EMUDISK_CUT_NONE, 0), 0);
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	c->m.mounted = false;

	KTEST_ASSERT_EQ(t, ksys_mount(c->m.disk->disk_name, MNT, "qlfs", 0, NULL), 0);
	c->m.mounted = true;
	bad = blocks_not(t, c, MNT "/a", A_BLOCKS, 0);
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	c->m.mounted = false;
	return bad;
}

static void qlfs_gc_cleaned_segment_not_reused_before_the_checkpoint(struct ktest *t)
{
	struct gcc *c = t->priv;
	struct qlfs_fsck_opts o = {.max_reports = 10};
	struct qlfs_fsck_result r;

	KTEST_EXPECT_EQ(t, clean_fill_and_cut(t, 0), 0);
	KTEST_EXPECT_EQ(t, qlfs_fsck(&c->m.d, &o, &r), 0);
}

/* Negative control: free at once, the segment is written over and the
 * last checkpoint's file is damaged. */
static void qlfs_gc_negative_control_freed_at_once_is_overwritten(struct ktest *t)
{
	KTEST_EXPECT_GT(t, clean_fill_and_cut(t, QLFS_GC_FAULT_FREE_EARLY), 0);
}

/*
 * SSR: "a" (256 blocks) has its odd blocks rewritten before the last
 * checkpoint (holes SSR may fill) and its blocks 0 mod 4 of the first half
 * after it (holes it may not: the checkpoint still names them). Cleaning
 * held off, "b" fills the free segments until the data log takes holes;
 * then a cut: the checkpoint's "a" must read back whole. Returns its
 * damaged blocks; @fault QLFS_GC_FAULT_SSR_NO_CKPT lets SSR ignore the
 * checkpoint's map (the negative control).
 */
static u32 ssr_fill_and_cut(struct ktest *t, int fault, u64 *ssr)
{
	struct gcc *c = t->priv;
	struct qlfs_sb_info *sbi;
	struct inode *inode;
	ssize_t_k err = 0;
	u32 bad, b = 0;

	sbi = gcc_fresh(t, c);
	qlfs_stop_gc_thread(sbi);
	qlfs_stop_periodic_checkpoint(sbi);
	WRITE_ONCE(sbi->test.gc_off, true);

	KTEST_ASSERT_EQ(t, write_blocks(t, c, MNT "/a", 0, 256, 1, 0), 0);
	ksys_sync();
	KTEST_ASSERT_EQ(t, write_blocks(t, c, MNT "/a", 1, 255, 2, 1), 0);
	ksys_sync(); /* the last checkpoint: odd blocks at 1, even at 0 */
	KTEST_ASSERT_EQ(t, write_blocks(t, c, MNT "/a", 0, 128, 4, 2), 0);
	gcc_sbi(t, &inode, MNT "/a");
	KTEST_ASSERT_EQ(t, filemap_write_and_wait(inode->i_mapping), 0);
	iput(inode);

	WRITE_ONCE(sbi->test.gc_fault, fault);
	KTEST_ASSERT_EQ(t, write_blocks(t, c, MNT "/b", 0, 1, 1, 0), 0);
	gcc_sbi(t, &inode, MNT "/b");
	while (READ_ONCE(sbi->gc_ssr_segments) < 3 && READ_ONCE(sbi->free_segments) &&
	       !err && b < 4096) {
		err = write_blocks(t, c, MNT "/b", b, 8, 1, 0);
		KTEST_EXPECT_EQ(t, filemap_write_and_wait(inode->i_mapping), 0);
		b += 8;
	}
	iput(inode);
	WRITE_ONCE(sbi->test.gc_fault, 0);
	*ssr = READ_ONCE(sbi->gc_ssr_segments);
	KTEST_ASSERT_EQ(t, blkdev_issue_flush(&c->m.disk->part0), 0);
	qlfs_handle_error(sbi, "test: power cut");
	KTEST_EXPECT_GE(t, hostdisk_power_cut(c->m.disk, EMUDISK_CUT_NONE, 0), 0);
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	c->m.mounted = false;

	KTEST_ASSERT_EQ(t, ksys_mount(c->m.disk->disk_name, MNT, "qlfs", 0, NULL), 0);
	c->m.mounted = true;
	bad = 0;
	for (u32 i = 0; i < 256; i++)
		bad += blocks_not_one(t, c, MNT "/a", i, i % 2);
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	c->m.mounted = false;
	return bad;
}

static void qlfs_gc_ssr_never_writes_a_block_valid_at_the_checkpoint(struct ktest *t)
{
	struct gcc *c = t->priv;
	struct qlfs_fsck_opts o = {.max_reports = 10};
	struct qlfs_fsck_result r;
	u64 ssr;

	KTEST_EXPECT_EQ(t, ssr_fill_and_cut(t, 0, &ssr), 0);
	KTEST_EXPECT_GT(t, ssr, 0);
	KTEST_EXPECT_EQ(t, qlfs_fsck(&c->m.d, &o, &r), 0);
}

/* Negative control: SSR that ignores the checkpoint's map writes over
 * blocks the checkpoint names. */
static void qlfs_gc_negative_control_ssr_ignoring_the_checkpoint_damages(struct ktest *t)
{
	u64 ssr;

	KTEST_EXPECT_GT(t, ssr_fill_and_cut(t, QLFS_GC_FAULT_SSR_NO_CKPT, &ssr), 0);
	KTEST_EXPECT_GT(t, ssr, 0);
}

static const struct ktest_case qlfs_gc_crash_cases[] = {
	KTEST_CASE(qlfs_gc_cleaned_segment_not_reused_before_the_checkpoint),
	KTEST_CASE(qlfs_gc_negative_control_freed_at_once_is_overwritten),
	KTEST_CASE(qlfs_gc_ssr_never_writes_a_block_valid_at_the_checkpoint),
	KTEST_CASE(qlfs_gc_negative_control_ssr_ignoring_the_checkpoint_damages),
	KTEST_END,
};

static const struct ktest_suite qlfs_gc_crash_suite = {
	.name = "qlfs_gc_crash",
	.init = gcc_init,
	.exit = gcc_exit,
	.cases = qlfs_gc_crash_cases,
};
KTEST_SUITE(qlfs_gc_crash_suite);
