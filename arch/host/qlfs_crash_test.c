/*
 * arch/host/qlfs_crash_test.c - KTAP suite `qlfs_crash`: qlfs across a
 * power cut of the host disk's modelled volatile cache (emudisk.h).
 *
 * Each case makes its own "tmp:32M,cache" disk (what is not covered by a
 * completed flush is lost, kept or torn at a cut, as a real disk may do),
 * formats and mounts it, works through the VFS, then crashes: the file
 * system is stopped (qlfs_handle_error(): it writes nothing more), the
 * power cut, and the file system unmounted without writing. The next mount
 * must find what sync or fsync acknowledged (a checkpoint, or roll-forward
 * of an fsync), and fsck.qlfs must find the disk clean. A checkpoint whose
 * cache flush fails, cut with a random subset or a random tear of its
 * writes, must leave the previous checkpoint whole (QM3, QC1).
 *
 * arch/host only: the power cut is the host disk's.
 */
#include <quire/ktest.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/pagemap.h>
#include "../../fs/qlfs/qlfs_mount.h"
#include "blockdev.h"

#define MNT "/qlfs_crash"

struct ct {
	struct gendisk *disk;
	struct qlfs_dev d;
	bool mounted;
};

static struct ct ct_state;

static int ct_init(struct ktest *t)
{
	int err = ksys_mkdir(MNT, 0755);

	memset(&ct_state, 0, sizeof(ct_state));
	t->priv = &ct_state;
	return err == -EEXIST ? 0 : err;
}

static void ct_exit(struct ktest *t)
{
	struct ct *c = t->priv;

	if (c->mounted)
		ksys_umount(MNT, 0);
	if (c->disk)
		hostdisk_destroy(c->disk);
	ksys_rmdir(MNT);
}

static struct ct *ct_mkfs(struct ktest *t, u32 log_bps)
{
	struct ct *c = t->priv;
	struct qlfs_mkfs_opts o = {
		.log_bps = log_bps, .force = true, .time = 1000000000ULL, .quiet = true};

	KTEST_ASSERT_EQ(t, hostdisk_create("tmp:32M,cache", &c->disk), 0);
	KTEST_ASSERT_EQ(t, qlfs_dev_open(&c->d, c->disk->disk_name, true), 0);
	KTEST_ASSERT_EQ(t, qlfs_mkfs(&c->d, &o), 0);
	KTEST_ASSERT_EQ(t, blkdev_issue_flush(&c->disk->part0), 0);
	return c;
}

static void ct_mount(struct ktest *t, struct ct *c)
{
	KTEST_ASSERT_EQ(t, ksys_mount(c->disk->disk_name, MNT, "qlfs", 0, NULL), 0);
	c->mounted = true;
}

static void ct_umount(struct ktest *t, struct ct *c)
{
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	c->mounted = false;
}

static struct qlfs_sb_info *ct_sbi(struct ktest *t)
{
	struct path p;
	struct qlfs_sb_info *sbi;

	KTEST_ASSERT_EQ(t, kern_path(MNT, LOOKUP_FOLLOW, &p), 0);
	sbi = QLFS_SB(p.dentry->d_sb);
	path_put(&p);
	return sbi;
}

/* Stop the file system, cut the power (@kind, @arg), unmount writing
 * nothing. Returns the writes the cut found not durable. */
static int ct_crash(struct ktest *t, struct ct *c, enum emudisk_cut_kind kind, u64 arg)
{
	int lost;

	qlfs_handle_error(ct_sbi(t), "test: power cut");
	lost = hostdisk_power_cut(c->disk, kind, arg);
	KTEST_EXPECT_GE(t, lost, 0);
	ct_umount(t, c);
	return lost;
}

static void ct_expect_clean(struct ktest *t, struct ct *c)
{
	struct qlfs_fsck_opts o = {.quiet = true};
	struct qlfs_fsck_result r;
	int st = qlfs_fsck(&c->d, &o, &r);

	if (st || r.problems) {
		struct qlfs_fsck_opts loud = {.max_reports = 20};

		qlfs_fsck(&c->d, &loud, &r);
		ktest_fail(t, __FILE__, __LINE__, "fsck: status %d, %u problems", st,
			   r.problems);
	}
}

static void put(struct ktest *t, const char *path, loff_t pos, u32 len, u8 fill,
		bool do_fsync)
{
	static u8 buf[8192];
	int fd = ksys_open(path, O_CREAT | O_WRONLY, 0644);

	KTEST_ASSERT_OP(t, fd, >=, 0);
	memset(buf, fill, sizeof(buf));
	for (u32 done = 0; done < len;) {
		u32 n = min((u32)sizeof(buf), len - done);

		KTEST_ASSERT_EQ(t, ksys_pwrite64(fd, buf, n, pos + done), n);
		done += n;
	}
	if (do_fsync)
		KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
	ksys_close(fd);
}

/* @path holds @len bytes of @fill at @pos. */
static void expect_bytes(struct ktest *t, const char *path, loff_t pos, u32 len, u8 fill)
{
	static u8 buf[8192];
	int fd = ksys_open(path, O_RDONLY, 0);

	KTEST_ASSERT_OP(t, fd, >=, 0);
	for (u32 done = 0; done < len;) {
		u32 n = min((u32)sizeof(buf), len - done);

		KTEST_ASSERT_EQ(t, ksys_pread64(fd, buf, n, pos + done), n);
		for (u32 i = 0; i < n; i++)
			if (buf[i] != fill) {
				ktest_fail(t, __FILE__, __LINE__,
					   "%s byte %lld: %#x, want %#x", path,
					   (long long)(pos + done + i), buf[i], fill);
				ksys_close(fd);
				return;
			}
		done += n;
	}
	ksys_close(fd);
}

static loff_t size_of(const char *path)
{
	struct kstat st;
	int err = ksys_stat(path, &st);

	return err ? err : st.size;
}

static void qlfs_sync_survives_a_power_cut(struct ktest *t)
{
	struct ct *c = ct_mkfs(t, 4);
	struct path p;

	ct_mount(t, c);
	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/d", 0755), 0);
	put(t, MNT "/d/a", 0, 20000, 'a', false);
	put(t, MNT "/b", 0, 5000, 'b', false);
	ksys_sync();
	put(t, MNT "/late", 0, 3000, 'l', false); /* after the sync: may go */
	put(t, MNT "/b", 0, 100, 'B', false);
	/* their data reaches the disk's cache, not its media */
	KTEST_ASSERT_EQ(t, kern_path(MNT "/b", 0, &p), 0);
	KTEST_EXPECT_EQ(t, filemap_write_and_wait(d_inode(p.dentry)->i_mapping), 0);
	path_put(&p);
	KTEST_EXPECT_GT(t, ct_crash(t, c, EMUDISK_CUT_NONE, 0), 0);

	ct_mount(t, c);
	expect_bytes(t, MNT "/d/a", 0, 20000, 'a');
	KTEST_EXPECT_EQ(t, size_of(MNT "/b"), 5000);
	expect_bytes(t, MNT "/b", 0, 5000, 'b');
	KTEST_EXPECT_EQ(t, size_of(MNT "/late"), -ENOENT);
	ct_umount(t, c);
	ct_expect_clean(t, c);
}

/* An fsync of a file the last checkpoint has rolls forward: its node
 * blocks and the cache flush, no checkpoint. */
static void qlfs_fsync_survives_a_power_cut(struct ktest *t)
{
	struct ct *c = ct_mkfs(t, 4);
	struct qlfs_sb_info *sbi;
	u64 cps;

	ct_mount(t, c);
	put(t, MNT "/f", 0, 40000, 'o', false);
	put(t, MNT "/g", 0, 4000, 'g', false);
	ksys_sync();
	sbi = ct_sbi(t);
	cps = sbi->nr_checkpoints;
	put(t, MNT "/f", 8192, 8192, 'n', false);     /* overwrite */
	put(t, MNT "/f", 4000000, 5000, 'e', true);   /* far append, then fsync */
	KTEST_EXPECT_EQ(t, sbi->nr_checkpoints, cps); /* rolled forward */
	put(t, MNT "/g", 0, 4000, 'G', false);	      /* no fsync: may go */
	ct_crash(t, c, EMUDISK_CUT_NONE, 0);

	ct_mount(t, c);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->fsync_inodes_recovered, 1);
	KTEST_EXPECT_EQ(t, size_of(MNT "/f"), 4005000);
	expect_bytes(t, MNT "/f", 0, 8192, 'o');
	expect_bytes(t, MNT "/f", 8192, 8192, 'n');
	expect_bytes(t, MNT "/f", 16384, 40000 - 16384, 'o');
	expect_bytes(t, MNT "/f", 40000, 100000, 0); /* the hole */
	expect_bytes(t, MNT "/f", 4000000, 5000, 'e');
	expect_bytes(t, MNT "/g", 0, 4000, 'g');
	ct_umount(t, c);
	ct_expect_clean(t, c);
}

/* A new file's fsync is a checkpoint: the file and its name survive. */
static void qlfs_fsync_of_a_new_file_survives_a_power_cut(struct ktest *t)
{
	struct ct *c = ct_mkfs(t, 9);

	ct_mount(t, c);
	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/d", 0755), 0);
	put(t, MNT "/d/new", 0, 12345, 'x', true);
	ct_crash(t, c, EMUDISK_CUT_NONE, 0);

	ct_mount(t, c);
	KTEST_EXPECT_EQ(t, size_of(MNT "/d/new"), 12345);
	expect_bytes(t, MNT "/d/new", 0, 12345, 'x');
	ct_umount(t, c);
	ct_expect_clean(t, c);
}

/* A checkpoint whose flush fails never completes; a cut that keeps any
 * subset (or tear) of its writes leaves the previous checkpoint whole. */
static void qlfs_torn_checkpoint_leaves_the_previous_one(struct ktest *t)
{
	for (u64 seed = 1; seed <= 8; seed++) {
		struct ct *c = ct_mkfs(t, 4);
		struct hostdisk_faults f = {.fail_flush_nth = 1};
		u64 ver;

		ct_mount(t, c);
		put(t, MNT "/keep", 0, 30000, 'k', false);
		ksys_sync();
		ver = le64_to_cpu(ct_sbi(t)->ckpt->checkpoint_ver);
		put(t, MNT "/keep", 0, 30000, 'K', false); /* rewritten out of place */
		put(t, MNT "/more", 0, 9000, 'm', false);
		ksys_unlink(MNT "/keep");
		KTEST_ASSERT_EQ(t, hostdisk_set_faults(c->disk, &f), 0);
		ksys_sync(); /* its checkpoint fails at the flush */
		KTEST_EXPECT_TRUE(t, READ_ONCE(ct_sbi(t)->read_only));
		KTEST_EXPECT_EQ(t, le64_to_cpu(ct_sbi(t)->ckpt->checkpoint_ver), ver);
		ct_crash(t, c, seed % 2 ? EMUDISK_CUT_SUBSET : EMUDISK_CUT_TORN, seed);

		ct_mount(t, c);
		KTEST_EXPECT_EQ(t, le64_to_cpu(ct_sbi(t)->ckpt->checkpoint_ver), ver);
		expect_bytes(t, MNT "/keep", 0, 30000, 'k');
		KTEST_EXPECT_EQ(t, size_of(MNT "/more"), -ENOENT);
		ct_umount(t, c);
		ct_expect_clean(t, c);
		hostdisk_destroy(c->disk);
		c->disk = NULL;
	}
}

static const struct ktest_case qlfs_crash_cases[] = {
	KTEST_CASE(qlfs_sync_survives_a_power_cut),
	KTEST_CASE(qlfs_fsync_survives_a_power_cut),
	KTEST_CASE(qlfs_fsync_of_a_new_file_survives_a_power_cut),
	KTEST_CASE(qlfs_torn_checkpoint_leaves_the_previous_one),
	KTEST_END,
};

static const struct ktest_suite qlfs_crash_suite = {
	.name = "qlfs_crash",
	.init = ct_init,
	.exit = ct_exit,
	.cases = qlfs_crash_cases,
};
KTEST_SUITE(qlfs_crash_suite);
