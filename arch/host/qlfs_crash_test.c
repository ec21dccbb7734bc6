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
#include "../../fs/qlfs/qlfs_test.h"
#include "blockdev.h"

#define MNT "/qlfs_crash"

#define ct qlfs_test_mnt /* the shared fixture: disk, device, mounted */

static struct ct ct_state;

static int ct_init(struct ktest *t)
{
	t->priv = &ct_state;
	return qlfs_test_mnt_init(&ct_state, MNT);
}

static void ct_exit(struct ktest *t)
{
	qlfs_test_mnt_exit(t->priv, MNT, hostdisk_destroy);
}

/* The case's own disk (@spec, with a volatile cache), a fresh qlfs on it. */
static struct ct *ct_mkfs_on(struct ktest *t, const char *spec, u32 log_bps)
{
	struct ct *c = t->priv;

	KTEST_ASSERT_EQ(t, hostdisk_create(spec, &c->disk), 0);
	KTEST_ASSERT_EQ(t, qlfs_test_mnt_mkfs(c, log_bps), 0);
	return c;
}

static struct ct *ct_mkfs(struct ktest *t, u32 log_bps)
{
	return ct_mkfs_on(t, "tmp:32M,cache", log_bps);
}

static void ct_mount(struct ktest *t, struct ct *c)
{
	KTEST_ASSERT_EQ(t, qlfs_test_mnt_mount(c, MNT), 0);
}

static void ct_umount(struct ktest *t, struct ct *c)
{
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	c->mounted = false;
}

static struct qlfs_sb_info *ct_sbi(struct ktest *t)
{
	return qlfs_test_sbi(t, MNT, NULL);
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

/* The skeleton of a case: a fresh file system mounted; a sync after which
 * the checkpoint count is read; the cut and the mount after it; the
 * umount and fsck at the end. */
static struct ct *ct_fresh(struct ktest *t, u32 log_bps)
{
	struct ct *c = ct_mkfs(t, log_bps);

	ct_mount(t, c);
	return c;
}

/* sync, then *@sbi and its checkpoint count. */
static u64 ct_sync(struct ktest *t, struct qlfs_sb_info **sbi)
{
	ksys_sync();
	*sbi = ct_sbi(t);
	return (*sbi)->nr_checkpoints;
}

static void ct_cut_and_remount(struct ktest *t, struct ct *c)
{
	ct_crash(t, c, EMUDISK_CUT_NONE, 0);
	ct_mount(t, c);
}

static void ct_finish(struct ktest *t, struct ct *c)
{
	ct_umount(t, c);
	ct_expect_clean(t, c);
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
	struct ct *c = ct_fresh(t, 4);
	struct path p;

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
	ct_finish(t, c);
}

/* An fsync of a file the last checkpoint has rolls forward: its node
 * blocks and the cache flush, no checkpoint. */
static void qlfs_fsync_survives_a_power_cut(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 4);
	struct qlfs_sb_info *sbi;
	u64 cps;

	put(t, MNT "/f", 0, 40000, 'o', false);
	put(t, MNT "/g", 0, 4000, 'g', false);
	cps = ct_sync(t, &sbi);
	put(t, MNT "/f", 8192, 8192, 'n', false);     /* overwrite */
	put(t, MNT "/f", 4000000, 5000, 'e', true);   /* far append, then fsync */
	KTEST_EXPECT_EQ(t, sbi->nr_checkpoints, cps); /* rolled forward */
	put(t, MNT "/g", 0, 4000, 'G', false);	      /* no fsync: may go */
	ct_cut_and_remount(t, c);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->fsync_inodes_recovered, 1);
	KTEST_EXPECT_EQ(t, size_of(MNT "/f"), 4005000);
	expect_bytes(t, MNT "/f", 0, 8192, 'o');
	expect_bytes(t, MNT "/f", 8192, 8192, 'n');
	expect_bytes(t, MNT "/f", 16384, 40000 - 16384, 'o');
	expect_bytes(t, MNT "/f", 40000, 100000, 0); /* the hole */
	expect_bytes(t, MNT "/f", 4000000, 5000, 'e');
	expect_bytes(t, MNT "/g", 0, 4000, 'g');
	ct_finish(t, c);
}

/* A new file's fsync is a checkpoint: the file and its name survive. */
static void qlfs_fsync_of_a_new_file_survives_a_power_cut(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 0);

	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/d", 0755), 0);
	put(t, MNT "/d/new", 0, 12345, 'x', true);
	ct_cut_and_remount(t, c);
	KTEST_EXPECT_EQ(t, size_of(MNT "/d/new"), 12345);
	expect_bytes(t, MNT "/d/new", 0, 12345, 'x');
	ct_finish(t, c);
}

/* A checkpoint whose flush fails never completes; a cut that keeps any
 * subset (or tear) of its writes leaves the previous checkpoint whole. */
static void qlfs_torn_checkpoint_leaves_the_previous_one(struct ktest *t)
{
	for (u64 seed = 1; seed <= 8; seed++) {
		struct ct *c = ct_fresh(t, 4);
		struct hostdisk_faults f = {.fail_flush_nth = 1};
		u64 ver;

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
		ct_finish(t, c);
		qlfs_dev_close(&c->d); /* its reference on the disk */
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

/* ---- suite qlfs_rollforward: F2FS's eight recovery cases and new files ---- */

#define BS     QLFS_BLKSIZE
#define RF_FAR 925 /* a file block in the first direct node (i_addr[] holds 921) */
#define MARK_F (1u << FSYNC_BIT_SHIFT)
#define MARK_D (1u << DENT_BIT_SHIFT)

/* The checks of one case, run against the real recovery (every failure
 * reported) or against a wrong one on purpose (sbi->test.rf_mutant: a negative
 * control, which must make some check fail). */
struct rfc {
	struct ktest *t;
	bool ok;
	bool quiet;
};

#define RF_CHECK(r, cond, fmt, ...)                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			(r)->ok = false;                                    \
			if (!(r)->quiet)                                    \
				ktest_fail((r)->t, __FILE__, __LINE__, fmt, \
					   ##__VA_ARGS__);                  \
		}                                                           \
	} while (0)

/* Does @path hold @len bytes of @fill at @pos? (no test failure) */
static bool bytes_are(const char *path, loff_t pos, u32 len, u8 fill)
{
	static u8 buf[BS];
	int fd = ksys_open(path, O_RDONLY, 0);
	bool ok = fd >= 0;

	for (u32 done = 0; ok && done < len;) {
		u32 n = min((u32)sizeof(buf), len - done);

		ok = ksys_pread64(fd, buf, n, pos + done) == n;
		for (u32 i = 0; ok && i < n; i++)
			ok = buf[i] == fill;
		done += n;
	}
	if (fd >= 0)
		ksys_close(fd);
	return ok;
}

static struct inode *inode_of(struct ktest *t, const char *path)
{
	struct path p;
	struct inode *inode;

	KTEST_ASSERT_EQ(t, kern_path(path, 0, &p), 0);
	inode = d_inode(p.dentry);
	ihold(inode);
	path_put(&p);
	return inode;
}

static u32 ino_of(struct ktest *t, const char *path)
{
	struct inode *inode = inode_of(t, path);
	u32 ino = inode->i_ino;

	iput(inode);
	return ino;
}

/* The nid of the direct node that maps file block @index of @path. */
static u32 dnode_of(struct ktest *t, const char *path, pgoff_t index)
{
	struct inode *inode = inode_of(t, path);
	struct dnode_of_data dn;
	u32 nid, ino = inode->i_ino;
	int err;

	set_new_dnode(&dn, inode, NULL, NULL, 0);
	err = qlfs_get_dnode_of_data(&dn, index, LOOKUP_NODE);
	nid = dn.nid;
	if (!err)
		qlfs_put_dnode(&dn);
	iput(inode);
	KTEST_ASSERT_EQ(t, err, 0);
	KTEST_ASSERT_NE(t, nid, ino); /* a direct node, not the inode */
	return nid;
}

/* @path's data blocks to the disk and its size into its inode's node
 * folio; its nodes stay dirty in memory. */
static void write_out(struct ktest *t, const char *path)
{
	struct inode *inode = inode_of(t, path);
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);

	KTEST_EXPECT_EQ(t, filemap_write_and_wait(inode->i_mapping), 0);
	/* and its size into its node folio, as fsync does before it writes
	 * the nodes (a buffered write leaves it in the inode: inode.c QI1) */
	qlfs_lock_op(sbi);
	qlfs_update_inode(inode);
	qlfs_unlock_op(sbi);
	iput(inode);
}

/* Node @nid written now with @marks: the blocks fsync writes, laid out
 * in the order a case names. */
static void node_write(struct ktest *t, u32 nid, u32 marks)
{
	KTEST_ASSERT_EQ(t, qlfs_write_node_marked(ct_sbi(t), nid, marks), 0);
}

/* Everything written so far made durable, then the power cut. */
static void rf_cut(struct ktest *t, struct ct *c)
{
	KTEST_ASSERT_EQ(t, blkdev_issue_flush(&c->disk->part0), 0);
	ct_crash(t, c, EMUDISK_CUT_NONE, 0);
}

/* Mount again (roll-forward runs) with @mutant's recovery. */
static void rf_remount(struct ktest *t, struct ct *c, int mutant)
{
	int err;

	qlfs_test_arm_rf_mutant(c->disk, mutant);
	err = ksys_mount(c->disk->disk_name, MNT, "qlfs", 0, NULL);
	qlfs_test_disarm_rf_mutant();
	KTEST_ASSERT_EQ(t, err, 0);
	c->mounted = true;
}

/* umount, then fsck.qlfs -n must find the disk clean. */
static void rf_finish(struct rfc *r, struct ct *c)
{
	struct qlfs_fsck_opts o = {.quiet = true};
	struct qlfs_fsck_result res;
	int st;

	ct_umount(r->t, c);
	st = qlfs_fsck(&c->d, &o, &res);
	if ((st || res.problems) && !r->quiet) {
		struct qlfs_fsck_opts loud = {.max_reports = 20};

		qlfs_fsck(&c->d, &loud, &res);
	}
	RF_CHECK(r, !st && !res.problems, "fsck: status %d, %u problems", st,
		 res.problems);
}

/* Cases 1-4: /f is in the checkpoint (blocks 0..3 and RF_FAR of 'a'). */
static struct ct *rf_old_file(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 4);

	put(t, MNT "/f", 0, 4 * BS, 'a', false);
	put(t, MNT "/f", RF_FAR * BS, BS, 'a', false);
	ksys_sync();
	return c;
}

/* Cases 5-8: /n is made after the checkpoint (block 0 'n', RF_FAR 'N'). */
static struct ct *rf_new_file(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 4);

	ksys_sync();
	put(t, MNT "/n", 0, BS, 'n', false);
	put(t, MNT "/n", RF_FAR * BS, BS, 'N', false);
	write_out(t, MNT "/n");
	return c;
}

/* 1. inode(x) | CP | inode(x) | dnode(F): the unmarked inode block before
 * the mark is taken too ("update the latest inode(x)"). */
static bool rf_case1(struct ktest *t, int mutant)
{
	struct rfc r = {.t = t, .ok = true, .quiet = mutant};
	struct ct *c = rf_old_file(t);
	u32 ino = ino_of(t, MNT "/f"), dnid = dnode_of(t, MNT "/f", RF_FAR);

	put(t, MNT "/f", 1 * BS, BS, 'B', false);
	put(t, MNT "/f", RF_FAR * BS, BS, 'D', false);
	write_out(t, MNT "/f");
	node_write(t, ino, 0);
	node_write(t, dnid, MARK_F);
	rf_cut(t, c);

	rf_remount(t, c, mutant);
	RF_CHECK(&r, ct_sbi(t)->fsync_inodes_recovered == 1, "%llu inodes recovered",
		 (unsigned long long)ct_sbi(t)->fsync_inodes_recovered);
	RF_CHECK(&r, bytes_are(MNT "/f", 1 * BS, BS, 'B'),
		 "block 1 (in the unmarked inode block) not recovered");
	RF_CHECK(&r, bytes_are(MNT "/f", RF_FAR * BS, BS, 'D'), "block %u not recovered",
		 RF_FAR);
	RF_CHECK(&r,
		 bytes_are(MNT "/f", 0, BS, 'a') &&
			 bytes_are(MNT "/f", 2 * BS, 2 * BS, 'a'),
		 "the checkpoint's blocks changed");
	rf_finish(&r, c);
	return r.ok;
}

/* 2. inode(x) | CP | inode(F) | dnode(F): both marks are taken. */
static bool rf_case2(struct ktest *t, int mutant)
{
	struct rfc r = {.t = t, .ok = true, .quiet = mutant};
	struct ct *c = rf_old_file(t);
	u32 ino = ino_of(t, MNT "/f"), dnid = dnode_of(t, MNT "/f", RF_FAR);

	put(t, MNT "/f", 1 * BS, BS, 'B', false);
	write_out(t, MNT "/f");
	node_write(t, ino, MARK_F);
	put(t, MNT "/f", RF_FAR * BS, BS, 'D', false);
	write_out(t, MNT "/f");
	node_write(t, dnid, MARK_F);
	rf_cut(t, c);

	rf_remount(t, c, mutant);
	RF_CHECK(&r, bytes_are(MNT "/f", 1 * BS, BS, 'B'), "block 1 not recovered");
	RF_CHECK(&r, bytes_are(MNT "/f", RF_FAR * BS, BS, 'D'),
		 "block %u (the second mark's) not recovered", RF_FAR);
	rf_finish(&r, c);
	return r.ok;
}

/* 3. inode(x) | CP | dnode(F) | inode(x): recovered to the dnode(F); the
 * inode block written after the last mark is dropped. */
static bool rf_case3(struct ktest *t, int mutant)
{
	struct rfc r = {.t = t, .ok = true, .quiet = mutant};
	struct ct *c = rf_old_file(t);
	u32 ino = ino_of(t, MNT "/f"), dnid = dnode_of(t, MNT "/f", RF_FAR);

	put(t, MNT "/f", RF_FAR * BS, BS, 'D', false);
	write_out(t, MNT "/f");
	node_write(t, dnid, MARK_F);
	put(t, MNT "/f", 2 * BS, BS, 'C', false); /* after the mark: not fsynced */
	write_out(t, MNT "/f");
	node_write(t, ino, 0);
	rf_cut(t, c);

	rf_remount(t, c, mutant);
	RF_CHECK(&r, bytes_are(MNT "/f", RF_FAR * BS, BS, 'D'), "block %u not recovered",
		 RF_FAR);
	RF_CHECK(&r, bytes_are(MNT "/f", 2 * BS, BS, 'a'),
		 "block 2 taken from the inode block after the last mark");
	rf_finish(&r, c);
	return r.ok;
}

/* 4. inode(x) | CP | dnode(F) | inode(F): both taken. */
static bool rf_case4(struct ktest *t, int mutant)
{
	struct rfc r = {.t = t, .ok = true, .quiet = mutant};
	struct ct *c = rf_old_file(t);
	u32 ino = ino_of(t, MNT "/f"), dnid = dnode_of(t, MNT "/f", RF_FAR);

	put(t, MNT "/f", RF_FAR * BS, BS, 'D', false);
	put(t, MNT "/f", 1 * BS, BS, 'B', false);
	put(t, MNT "/f", (RF_FAR + 1) * BS, 100, 'E', false); /* grows the file */
	write_out(t, MNT "/f");
	node_write(t, dnid, MARK_F);
	node_write(t, ino, MARK_F);
	rf_cut(t, c);

	rf_remount(t, c, mutant);
	RF_CHECK(&r, bytes_are(MNT "/f", RF_FAR * BS, BS, 'D'), "block %u not recovered",
		 RF_FAR);
	RF_CHECK(&r, bytes_are(MNT "/f", 1 * BS, BS, 'B'), "block 1 not recovered");
	RF_CHECK(&r, size_of(MNT "/f") == (RF_FAR + 1) * BS + 100, "size %lld",
		 (long long)size_of(MNT "/f"));
	RF_CHECK(&r, bytes_are(MNT "/f", (RF_FAR + 1) * BS, 100, 'E'),
		 "the last block not recovered");
	rf_finish(&r, c);
	return r.ok;
}

/* No trace of /n, made after the checkpoint and not recovered: no name,
 * its nid free (fsck then finds no unnamed inode either). */
static void rf_expect_no_new_file(struct rfc *r, u32 ino)
{
	u32 addr = 1;

	RF_CHECK(r, size_of(MNT "/n") == -ENOENT, "/n: %lld",
		 (long long)size_of(MNT "/n"));
	RF_CHECK(r,
		 !qlfs_get_nat_entry(ct_sbi(r->t), ino, NULL, &addr, NULL) &&
			 addr == NULL_ADDR,
		 "inode %u in use at block %u", ino, addr);
	RF_CHECK(r, ct_sbi(r->t)->fsync_inodes_recovered == 0, "%llu inodes recovered",
		 (unsigned long long)ct_sbi(r->t)->fsync_inodes_recovered);
}

/* 5. CP | inode(x) | dnode(F): the inode(DF) is missing, so the dnode(F)
 * is dropped: /n does not come back. */
static bool rf_case5(struct ktest *t, int mutant)
{
	struct rfc r = {.t = t, .ok = true, .quiet = mutant};
	struct ct *c = rf_new_file(t);
	u32 ino = ino_of(t, MNT "/n"), dnid = dnode_of(t, MNT "/n", RF_FAR);

	node_write(t, ino, 0);
	node_write(t, dnid, MARK_F);
	rf_cut(t, c);

	rf_remount(t, c, mutant);
	rf_expect_no_new_file(&r, ino);
	rf_finish(&r, c);
	return r.ok;
}

/* /n made again by roll-forward, with its entry and data. */
static void rf_expect_new_file(struct rfc *r, loff_t size)
{
	struct qlfs_sb_info *sbi = ct_sbi(r->t);

	RF_CHECK(r, size_of(MNT "/n") == size, "/n: size %lld, want %lld",
		 (long long)size_of(MNT "/n"), (long long)size);
	RF_CHECK(r, bytes_are(MNT "/n", 0, BS, 'n'), "/n block 0");
	RF_CHECK(r, bytes_are(MNT "/n", RF_FAR * BS, BS, 'N'), "/n block %u", RF_FAR);
	RF_CHECK(r, sbi->inodes_made_by_recovery == 1 && sbi->dentries_recovered == 1,
		 "%llu inodes made, %llu entries",
		 (unsigned long long)sbi->inodes_made_by_recovery,
		 (unsigned long long)sbi->dentries_recovered);
}

/* 6. CP | inode(DF) | dnode(F): the inode and its entry made again, then
 * the later dnode's data (which grows the file past the logged size). */
static bool rf_case6(struct ktest *t, int mutant)
{
	struct rfc r = {.t = t, .ok = true, .quiet = mutant};
	struct ct *c = rf_new_file(t);
	u32 ino = ino_of(t, MNT "/n"), dnid = dnode_of(t, MNT "/n", RF_FAR);

	node_write(t, ino, MARK_F | MARK_D);
	put(t, MNT "/n", (RF_FAR + 1) * BS, BS, 'E', false);
	write_out(t, MNT "/n");
	node_write(t, dnid, MARK_F);
	rf_cut(t, c);

	rf_remount(t, c, mutant);
	rf_expect_new_file(&r, (RF_FAR + 2) * BS);
	RF_CHECK(&r, bytes_are(MNT "/n", (RF_FAR + 1) * BS, BS, 'E'), "/n block %u",
		 RF_FAR + 1);
	rf_finish(&r, c);
	return r.ok;
}

/* 7. CP | dnode(F) | inode(DF): the dnode(F) finds no inode, the walk goes
 * on, and the inode(DF) after it makes the inode: both are recovered. */
static bool rf_case7(struct ktest *t, int mutant)
{
	struct rfc r = {.t = t, .ok = true, .quiet = mutant};
	struct ct *c = rf_new_file(t);
	u32 ino = ino_of(t, MNT "/n"), dnid = dnode_of(t, MNT "/n", RF_FAR);

	node_write(t, dnid, MARK_F);
	node_write(t, ino, MARK_F | MARK_D);
	rf_cut(t, c);

	rf_remount(t, c, mutant);
	rf_expect_new_file(&r, (RF_FAR + 1) * BS);
	rf_finish(&r, c);
	return r.ok;
}

/* 8. CP | dnode(F) | inode(x): no inode(DF) ever comes: nothing. */
static bool rf_case8(struct ktest *t, int mutant)
{
	struct rfc r = {.t = t, .ok = true, .quiet = mutant};
	struct ct *c = rf_new_file(t);
	u32 ino = ino_of(t, MNT "/n"), dnid = dnode_of(t, MNT "/n", RF_FAR);

	node_write(t, dnid, MARK_F);
	node_write(t, ino, 0);
	rf_cut(t, c);

	rf_remount(t, c, mutant);
	rf_expect_no_new_file(&r, ino);
	rf_finish(&r, c);
	return r.ok;
}

#define RF_CASE(n, name, mutant, control)                                 \
	static void qlfs_rf_case##n##_##name(struct ktest *t)             \
	{                                                                 \
		KTEST_EXPECT_TRUE(t, rf_case##n(t, QLFS_RF_MUTANT_NONE)); \
	}                                                                 \
	static void qlfs_rf_case##n##_control_##control(struct ktest *t)  \
	{                                                                 \
		KTEST_EXPECT_FALSE(t, rf_case##n(t, mutant));             \
	}

RF_CASE(1, inode_cp_inode_dnodeF, QLFS_RF_MUTANT_MARKED_BLOCKS_ONLY,
	unmarked_inode_dropped)
RF_CASE(2, inode_cp_inodeF_dnodeF, QLFS_RF_MUTANT_FIRST_MARK_ONLY, first_mark_only)
RF_CASE(3, inode_cp_dnodeF_inode, QLFS_RF_MUTANT_PAST_THE_LAST_MARK,
	past_the_last_mark_taken)
RF_CASE(4, inode_cp_dnodeF_inodeF, QLFS_RF_MUTANT_INODE_BLOCKS_ONLY, direct_nodes_dropped)
RF_CASE(5, cp_inode_dnodeF, QLFS_RF_MUTANT_MAKE_FROM_UNMARKED_INODE,
	inode_made_without_dentry_mark)
RF_CASE(6, cp_inodeDF_dnodeF, QLFS_RF_MUTANT_NO_DENTRY, entry_not_made)
RF_CASE(7, cp_dnodeF_inodeDF, QLFS_RF_MUTANT_GIVE_UP_ON_MISSING_INODE,
	gives_up_at_the_missing_inode)
RF_CASE(8, cp_dnodeF_inode, QLFS_RF_MUTANT_MAKE_FROM_UNMARKED_INODE,
	inode_made_without_dentry_mark)

/* A new file's fsync rolls forward (its inode block with FSYNC and DENTRY,
 * no checkpoint); the cut; it is back under its name with its data. */
static void qlfs_rf_new_file_fsync_rolls_forward(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 0);
	u64 cps;

	cps = ct_sbi(t)->nr_checkpoints;
	put(t, MNT "/new", 0, 12345, 'x', true);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->nr_checkpoints, cps);
	ct_cut_and_remount(t, c);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->inodes_made_by_recovery, 1);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->dentries_recovered, 1);
	KTEST_EXPECT_EQ(t, size_of(MNT "/new"), 12345);
	expect_bytes(t, MNT "/new", 0, 12345, 'x');
	ct_finish(t, c);
}

/* A new file in a new directory: the checkpoint has no parent to make the
 * entry in, so fsync checkpoints (F2FS's CP_NODE_NEED_CP). */
static void qlfs_rf_new_file_in_a_new_directory_checkpoints(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 4);
	u64 cps;

	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/d", 0755), 0);
	cps = ct_sbi(t)->nr_checkpoints;
	put(t, MNT "/d/new", 0, 5000, 'y', true);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->nr_checkpoints, cps + 1);
	/* the directory is in the checkpoint now: its next new file rolls
	 * forward */
	put(t, MNT "/d/next", 0, 3000, 'z', true);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->nr_checkpoints, cps + 1);
	ct_cut_and_remount(t, c);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->inodes_made_by_recovery, 1);
	expect_bytes(t, MNT "/d/new", 0, 5000, 'y');
	expect_bytes(t, MNT "/d/next", 0, 3000, 'z');
	ct_finish(t, c);
}

static void fsync_path(struct ktest *t, const char *path)
{
	int fd = ksys_open(path, O_RDONLY, 0);

	KTEST_ASSERT_OP(t, fd, >=, 0);
	KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
	ksys_close(fd);
}

/* Rename, then fsync: the inode block does not name the new entry
 * (F2FS's lost pino), so fsync checkpoints; both an old file and a new one
 * rolled forward once under its first name end under the new name. */
static void qlfs_rf_rename_then_fsync_checkpoints(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 4);
	struct qlfs_sb_info *sbi;
	u64 cps;

	put(t, MNT "/a", 0, 6000, 'a', false);
	cps = ct_sync(t, &sbi);
	put(t, MNT "/tmp", 0, 7000, 't', true); /* rolled forward */
	KTEST_EXPECT_EQ(t, sbi->nr_checkpoints, cps);
	KTEST_ASSERT_EQ(t, ksys_rename(MNT "/tmp", MNT "/final", 0), 0);
	fsync_path(t, MNT "/final");
	KTEST_EXPECT_EQ(t, sbi->nr_checkpoints, cps + 1);
	KTEST_ASSERT_EQ(t, ksys_rename(MNT "/a", MNT "/b", 0), 0);
	fsync_path(t, MNT "/b");
	KTEST_EXPECT_EQ(t, sbi->nr_checkpoints, cps + 2);
	ct_cut_and_remount(t, c);
	KTEST_EXPECT_EQ(t, size_of(MNT "/tmp"), -ENOENT);
	KTEST_EXPECT_EQ(t, size_of(MNT "/a"), -ENOENT);
	expect_bytes(t, MNT "/final", 0, 7000, 't');
	expect_bytes(t, MNT "/b", 0, 6000, 'a');
	ct_finish(t, c);
}

/* Drop @path's dentry and with it the last reference of its inode: the
 * inode is evicted (the iput path), and read back from its node block at
 * the next lookup. */
static void evict_path(struct ktest *t, const char *path)
{
	struct qlfs_sb_info *sbi = ct_sbi(t);
	struct path p;
	unsigned long ino;

	KTEST_ASSERT_EQ(t, kern_path(path, LOOKUP_FOLLOW, &p), 0);
	ino = p.dentry->d_inode->i_ino;
	d_drop(p.dentry);
	path_put(&p);
	mutex_lock(&sbi->inode_cache_lock);
	KTEST_EXPECT_NULL(t, xa_load(&sbi->inode_cache, ino));
	mutex_unlock(&sbi->inode_cache_lock);
}

/* The rename's "needs a checkpoint" survives the inode's eviction (F2FS's
 * FADVISE_LOST_PINO_BIT in i_advise): renamed, evicted, read back, written
 * and fsynced, the file checkpoints, and after the cut it is under its new
 * name, not rolled forward under the old one. The same for a second name
 * (link) and the old one unlinked. */
static void qlfs_rf_rename_then_eviction_then_fsync_checkpoints(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 4);
	struct qlfs_sb_info *sbi;
	u64 cps;

	put(t, MNT "/a", 0, 6000, 'a', false);
	put(t, MNT "/l", 0, 5000, 'l', false);
	cps = ct_sync(t, &sbi);
	KTEST_ASSERT_EQ(t, ksys_rename(MNT "/a", MNT "/b", 0), 0);
	evict_path(t, MNT "/b");
	put(t, MNT "/b", 0, 6000, 'c', true);
	KTEST_EXPECT_EQ(t, sbi->nr_checkpoints, cps + 1);
	/* a checkpoint had the name: the next fsync rolls forward */
	evict_path(t, MNT "/b");
	put(t, MNT "/b", 0, 100, 'd', true);
	KTEST_EXPECT_EQ(t, sbi->nr_checkpoints, cps + 1);
	ct_cut_and_remount(t, c);
	KTEST_EXPECT_EQ(t, size_of(MNT "/a"), -ENOENT);
	expect_bytes(t, MNT "/b", 0, 100, 'd');
	expect_bytes(t, MNT "/b", 100, 5900, 'c');
	/* a second name, the first one gone */
	sbi = ct_sbi(t);
	cps = sbi->nr_checkpoints;
	KTEST_ASSERT_EQ(t, ksys_link(MNT "/l", MNT "/m"), 0);
	KTEST_ASSERT_EQ(t, ksys_unlink(MNT "/l"), 0);
	evict_path(t, MNT "/m");
	put(t, MNT "/m", 0, 5000, 'n', true);
	KTEST_EXPECT_EQ(t, sbi->nr_checkpoints, cps + 1);
	ct_cut_and_remount(t, c);
	KTEST_EXPECT_EQ(t, size_of(MNT "/l"), -ENOENT);
	expect_bytes(t, MNT "/m", 0, 5000, 'n');
	ct_finish(t, c);
}

/* Where F2FS checkpoints, qlfs does: a file with a second name
 * (CP_HARDLINK), a directory (CP_NON_REGULAR); both survive the cut. */
static void qlfs_rf_hard_link_and_directory_fsync_checkpoint(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 4);
	struct qlfs_sb_info *sbi;
	u64 cps;

	put(t, MNT "/h", 0, 4000, 'h', false);
	cps = ct_sync(t, &sbi);
	KTEST_ASSERT_EQ(t, ksys_link(MNT "/h", MNT "/h2"), 0);
	put(t, MNT "/h", 0, 4000, 'H', true);
	KTEST_EXPECT_EQ(t, sbi->nr_checkpoints, cps + 1);
	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/dir", 0755), 0);
	fsync_path(t, MNT "/dir");
	KTEST_EXPECT_EQ(t, sbi->nr_checkpoints, cps + 2);
	ct_cut_and_remount(t, c);
	expect_bytes(t, MNT "/h2", 0, 4000, 'H');
	KTEST_EXPECT_EQ(t, size_of(MNT "/dir"), 8192);
	ct_finish(t, c);
}

/* Many new files, each fsynced (no checkpoint), then the cut: every one
 * comes back with its name and bytes. */
static void qlfs_rf_many_new_files_fsynced_then_a_cut(struct ktest *t)
{
	enum {
		N = 60
	};
	struct ct *c = ct_fresh(t, 4);
	char path[64];
	u64 cps;

	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/d", 0755), 0);
	ksys_sync();
	cps = ct_sbi(t)->nr_checkpoints;
	for (int i = 0; i < N; i++) {
		scnprintf(path, sizeof(path), MNT "/d/file-%d", i);
		put(t, path, 0, 1000 + 97 * i, 'A' + i % 26, true);
	}
	KTEST_EXPECT_EQ(t, ct_sbi(t)->nr_checkpoints, cps);
	ct_cut_and_remount(t, c);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->inodes_made_by_recovery, N);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->dentries_recovered, N);
	for (int i = 0; i < N; i++) {
		scnprintf(path, sizeof(path), MNT "/d/file-%d", i);
		KTEST_EXPECT_EQ(t, size_of(path), 1000 + 97 * i);
		expect_bytes(t, path, 0, 1000 + 97 * i, 'A' + i % 26);
	}
	ct_finish(t, c);
}

/* The checkpoint names /s for a file unlinked since; a new /s fsynced
 * rolls forward, and recovery replaces the stale entry (F2FS's
 * recover_dentry()): the old file goes with its last link. */
static void qlfs_rf_replaces_a_stale_entry(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 4);
	u64 cps;

	put(t, MNT "/s", 0, 3 * BS, 's', false);
	ksys_sync();
	KTEST_ASSERT_EQ(t, ksys_unlink(MNT "/s"), 0);
	cps = ct_sbi(t)->nr_checkpoints;
	put(t, MNT "/s", 0, 1000, 'n', true);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->nr_checkpoints, cps);
	ct_cut_and_remount(t, c);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->dentries_recovered, 1);
	KTEST_EXPECT_EQ(t, size_of(MNT "/s"), 1000);
	expect_bytes(t, MNT "/s", 0, 1000, 'n');
	ct_finish(t, c); /* the old inode freed, not left unnamed */
}

/* A directory that lost a name to rename since the checkpoint: the entry
 * a new file's roll-forward would make could meet the checkpoint's name
 * of the moved file and take it away, so fsync checkpoints. */
static void qlfs_rf_directory_that_lost_a_name_checkpoints(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 4);
	u64 cps;

	put(t, MNT "/x", 0, 2000, 'x', false);
	ksys_sync();
	KTEST_ASSERT_EQ(t, ksys_rename(MNT "/x", MNT "/y", 0), 0);
	cps = ct_sbi(t)->nr_checkpoints;
	put(t, MNT "/x", 0, 3000, 'X', true);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->nr_checkpoints, cps + 1);
	ct_cut_and_remount(t, c);
	expect_bytes(t, MNT "/x", 0, 3000, 'X');
	expect_bytes(t, MNT "/y", 0, 2000, 'x');
	ct_finish(t, c);
}

/* A logged inode block whose data address points into the node chain
 * (a forged or torn disk): recovery refuses it and the mount stays
 * read-only with the checkpoint's state, rather than make a node block a
 * file's data. */
static void qlfs_rf_refuses_data_in_a_node_segment(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 4);
	struct qlfs_inode *ri;
	u32 ino, addr;
	u8 *blk;

	put(t, MNT "/f", 0, 4 * BS, 'a', false);
	ksys_sync();
	ino = ino_of(t, MNT "/f");
	/* enough direct nodes that the fsync's chain leaves its segment */
	for (u32 i = 0; i < 24; i++)
		put(t, MNT "/f",
		    (u64)(ADDRS_PER_INODE + 2 * ADDRS_PER_BLOCK + i * ADDRS_PER_BLOCK) *
			    BS,
		    BS, 'd', false);
	put(t, MNT "/f", BS, BS, 'B', true);
	KTEST_ASSERT_EQ(t, qlfs_get_nat_entry(ct_sbi(t), ino, NULL, &addr, NULL), 0);
	ct_crash(t, c, EMUDISK_CUT_NONE, 0);

	blk = qlfs_alloc_blocks(0);
	KTEST_ASSERT_NOT_NULL(t, blk);
	KTEST_ASSERT_EQ(t, qlfs_dev_read(&c->d, addr, blk, 1), 0);
	ri = (void *)blk;
	KTEST_EXPECT_TRUE(t, le32_to_cpu(ri->footer.flag) & MARK_F);
	ri->i_addr[1] = cpu_to_le32(addr); /* the inode block itself */
	qlfs_block_seal(blk, addr);
	KTEST_ASSERT_EQ(t, qlfs_dev_write(&c->d, addr, blk, 1), 0);
	KTEST_ASSERT_EQ(t, qlfs_dev_flush(&c->d), 0);
	qlfs_free_blocks(blk, 0);

	ct_mount(t, c);
	KTEST_EXPECT_TRUE(t, READ_ONCE(ct_sbi(t)->read_only));
	expect_bytes(t, MNT "/f", BS, BS, 'a'); /* the checkpoint's */
	ct_finish(t, c);
}

/* After a clean umount the next mount writes no checkpoint until
 * something changes, so an fsync's nodes carry the umount checkpoint's
 * version: roll-forward must run after a clean umount too (F2FS does). */
static void qlfs_rf_fsync_after_a_clean_remount_survives(struct ktest *t)
{
	struct ct *c = ct_fresh(t, 4);
	u64 cps;

	put(t, MNT "/f", 0, 3 * BS, 'a', false);
	ct_umount(t, c); /* CP_UMOUNT_FLAG */
	ct_mount(t, c);
	cps = ct_sbi(t)->nr_checkpoints;
	put(t, MNT "/f", BS, BS, 'b', true);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->nr_checkpoints, cps);
	ct_cut_and_remount(t, c);
	KTEST_EXPECT_EQ(t, ct_sbi(t)->fsync_inodes_recovered, 1);
	expect_bytes(t, MNT "/f", 0, BS, 'a');
	expect_bytes(t, MNT "/f", BS, BS, 'b');
	expect_bytes(t, MNT "/f", 2 * BS, BS, 'a');
	ct_finish(t, c);
}

/* ---- random operations, fsyncs, then a cut ---- */

#define RR_NAMES 10 /* /d0/f0../d0/f4, /d1/f0../d1/f4 */
#define RR_OBJS	 160

/* A file as the test knows it: where and what it is now, and what its last
 * durable point (an fsync of it, or a checkpoint) made of it. */
struct rr_obj {
	int name; /* -1: unlinked */
	u8 fill;
	u32 len;
	bool dirty; /* changed (bytes or name) since its durable point */
	int d_name; /* -1: no durable point */
	u8 d_fill;
	u32 d_len;
};

static void rr_path(char *buf, int name)
{
	scnprintf(buf, 32, MNT "/d%d/f%d", name / 5, name % 5);
}

static u64 rr_next(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rr_durable(struct rr_obj *o)
{
	o->dirty = false;
	o->d_name = o->name;
	o->d_fill = o->fill;
	o->d_len = o->len;
}

/* One round: random writes (new and old files), fsyncs, unlinks, renames
 * (within and across the two directories, over names too) and syncs, the
 * cut, then every file whose last durable point came after its last change
 * must be there with those bytes; fsck clean. */
static void rr_round(struct ktest *t, u64 *rng, int ops)
{
	static struct rr_obj obj[RR_OBJS];
	static u8 buf[3 * BS + 512];
	int at[RR_NAMES], nobj = 0, checked = 0;
	struct ct *c = ct_fresh(t, 4);
	char path[32], path2[32];

	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/d0", 0755), 0);
	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/d1", 0755), 0);
	ksys_sync();
	for (int i = 0; i < RR_NAMES; i++)
		at[i] = -1;
	for (int op = 0; op < ops && nobj < RR_OBJS; op++) {
		u64 cps = ct_sbi(t)->nr_checkpoints, r = rr_next(rng);
		int name = r % RR_NAMES, kind = (r >> 8) % 100, o = at[name];
		bool synced = false;

		if (kind < 50 || o < 0) { /* write whole bytes, maybe fsync */
			int fd;

			if (o < 0) {
				o = nobj++;
				obj[o] = (struct rr_obj){.name = name, .d_name = -1};
				at[name] = o;
			}
			obj[o].fill = 'a' + (r >> 16) % 26;
			obj[o].len = 1 + (r >> 24) % sizeof(buf);
			obj[o].dirty = true;
			rr_path(path, name);
			fd = ksys_open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
			KTEST_ASSERT_OP(t, fd, >=, 0);
			memset(buf, obj[o].fill, obj[o].len);
			KTEST_ASSERT_EQ(t, ksys_write(fd, buf, obj[o].len), obj[o].len);
			if ((r >> 40) % 3) {
				KTEST_ASSERT_EQ(t, ksys_fsync(fd), 0);
				rr_durable(&obj[o]);
				synced = true;
			}
			ksys_close(fd);
		} else if (kind < 70) { /* fsync */
			rr_path(path, name);
			fsync_path(t, path);
			rr_durable(&obj[o]);
			synced = true;
		} else if (kind < 80) { /* unlink */
			rr_path(path, name);
			KTEST_ASSERT_EQ(t, ksys_unlink(path), 0);
			obj[o].name = -1;
			obj[o].dirty = true;
			at[name] = -1;
		} else if (kind < 93) { /* rename, maybe over another file */
			int to = (r >> 32) % RR_NAMES;

			if (to == name)
				continue;
			rr_path(path, name);
			rr_path(path2, to);
			KTEST_ASSERT_EQ(t, ksys_rename(path, path2, 0), 0);
			if (at[to] >= 0) {
				obj[at[to]].name = -1;
				obj[at[to]].dirty = true;
			}
			at[to] = o;
			at[name] = -1;
			obj[o].name = to;
			obj[o].dirty = true;
		} else {
			ksys_sync();
			synced = true;
		}
		if (ct_sbi(t)->nr_checkpoints != cps)
			for (int i = 0; i < nobj; i++) {
				if (synced) /* the checkpoint has everything */
					rr_durable(&obj[i]);
				else /* one came in the middle of an operation */
					obj[i].d_name = -1;
			}
	}
	ct_cut_and_remount(t, c);
	for (int i = 0; i < nobj; i++) {
		struct rr_obj *o = &obj[i];

		if (o->dirty || o->d_name < 0 || o->name < 0)
			continue;
		rr_path(path, o->d_name);
		KTEST_EXPECT_EQ(t, size_of(path), (loff_t)o->d_len);
		expect_bytes(t, path, 0, o->d_len, o->d_fill);
		checked++;
	}
	cprintf("# %d files, %d checked, %llu made again by roll-forward\n", nobj,
		checked, (unsigned long long)ct_sbi(t)->inodes_made_by_recovery);
	ct_finish(t, c);
	qlfs_dev_close(&c->d);
	hostdisk_destroy(c->disk);
	c->disk = NULL;
}

static void qlfs_rf_random_operations_then_a_cut(struct ktest *t)
{
	u64 rng = ktest_seed() * 2654435761ULL + 7;

	cprintf("# seed %llu\n", (unsigned long long)ktest_seed());
	for (int round = 0; round < 6; round++)
		rr_round(t, &rng, 200);
}

/* Write @n blocks of @path from block @first, every @step-th, of @fill,
 * and write them back. */
static void put_blocks(struct ktest *t, const char *path, u32 first, u32 n, u32 step,
		       u8 fill)
{
	for (u32 i = 0; i < n; i++)
		put(t, path, (loff_t)(first + i * step) * BS, BS, fill, false);
	write_out(t, path);
}

/*
 * SSR (a data log writing into the holes of a dirty segment) may use a
 * block only if it was invalid at the last checkpoint and has not been
 * valid since (F2FS: "SSR should never reuse block which is checkpointed
 * or newly invalidated"): a block written after the checkpoint, fsynced
 * and then overwritten is still what roll-forward gives the file after a
 * cut. /h's blocks, one to three of /k's, are rewritten before the
 * checkpoint (holes SSR may take, fewer per segment than /a's would give);
 * /a's are written after it between blocks of /c (so
 * their segments stay dirty, not prefree), fsynced, then rewritten without
 * fsync; /b then fills the disk until the data log takes holes; the cut:
 * /a reads back as its fsync left it, /h and /k as the checkpoint had them.
 */
static void qlfs_rf_ssr_spares_blocks_an_fsync_logged(struct ktest *t)
{
	struct ct *c = ct_mkfs_on(t, "tmp:8M,cache", 4);
	struct qlfs_sb_info *sbi;
	u32 b = 0;

	ct_mount(t, c);
	sbi = ct_sbi(t);
	qlfs_stop_gc_thread(sbi);
	qlfs_stop_periodic_checkpoint(sbi);
	WRITE_ONCE(sbi->test.gc_off, true);
	put_blocks(t, MNT "/a", 0, 64, 1, 'o');
	for (u32 i = 0; i < 32; i++) { /* one /h block to three of /k */
		put_blocks(t, MNT "/h", i, 1, 1, 'h');
		put_blocks(t, MNT "/k", 3 * i, 3, 1, 'k');
	}
	put_blocks(t, MNT "/h", 0, 32, 1, 'H'); /* holes SSR may take */
	ksys_sync();
	for (u32 i = 0; i < 64; i++) { /* /a and /c blocks side by side */
		put_blocks(t, MNT "/a", i, 1, 1, 'P');
		put_blocks(t, MNT "/c", i, 1, 1, 'c');
	}
	fsync_path(t, MNT "/a");
	put_blocks(t, MNT "/a", 0, 64, 1, 'Q'); /* not fsynced: holes now */
	while (READ_ONCE(sbi->gc_ssr_segments) < 3 && READ_ONCE(sbi->free_segments) &&
	       !READ_ONCE(sbi->read_only) && b < 2048) {
		put_blocks(t, MNT "/b", b, 8, 1, 'b');
		b += 8;
	}
	KTEST_EXPECT_GT(t, READ_ONCE(sbi->gc_ssr_segments), 0);
	KTEST_ASSERT_EQ(t, blkdev_issue_flush(&c->disk->part0), 0);
	ct_cut_and_remount(t, c);
	for (u32 i = 0; i < 64; i++)
		if (!bytes_are(MNT "/a", (loff_t)i * BS, BS, 'P')) {
			ktest_fail(t, __FILE__, __LINE__,
				   "/a block %u is not what its fsync wrote", i);
			break;
		}
	expect_bytes(t, MNT "/h", 0, 32 * BS, 'H');
	expect_bytes(t, MNT "/k", 0, 96 * BS, 'k');
	ct_finish(t, c);
}

static const struct ktest_case qlfs_rollforward_cases[] = {
	KTEST_CASE(qlfs_rf_case1_inode_cp_inode_dnodeF),
	KTEST_CASE(qlfs_rf_case1_control_unmarked_inode_dropped),
	KTEST_CASE(qlfs_rf_case2_inode_cp_inodeF_dnodeF),
	KTEST_CASE(qlfs_rf_case2_control_first_mark_only),
	KTEST_CASE(qlfs_rf_case3_inode_cp_dnodeF_inode),
	KTEST_CASE(qlfs_rf_case3_control_past_the_last_mark_taken),
	KTEST_CASE(qlfs_rf_case4_inode_cp_dnodeF_inodeF),
	KTEST_CASE(qlfs_rf_case4_control_direct_nodes_dropped),
	KTEST_CASE(qlfs_rf_case5_cp_inode_dnodeF),
	KTEST_CASE(qlfs_rf_case5_control_inode_made_without_dentry_mark),
	KTEST_CASE(qlfs_rf_case6_cp_inodeDF_dnodeF),
	KTEST_CASE(qlfs_rf_case6_control_entry_not_made),
	KTEST_CASE(qlfs_rf_case7_cp_dnodeF_inodeDF),
	KTEST_CASE(qlfs_rf_case7_control_gives_up_at_the_missing_inode),
	KTEST_CASE(qlfs_rf_case8_cp_dnodeF_inode),
	KTEST_CASE(qlfs_rf_case8_control_inode_made_without_dentry_mark),
	KTEST_CASE(qlfs_rf_new_file_fsync_rolls_forward),
	KTEST_CASE(qlfs_rf_new_file_in_a_new_directory_checkpoints),
	KTEST_CASE(qlfs_rf_rename_then_fsync_checkpoints),
	KTEST_CASE(qlfs_rf_rename_then_eviction_then_fsync_checkpoints),
	KTEST_CASE(qlfs_rf_hard_link_and_directory_fsync_checkpoint),
	KTEST_CASE(qlfs_rf_many_new_files_fsynced_then_a_cut),
	KTEST_CASE(qlfs_rf_replaces_a_stale_entry),
	KTEST_CASE(qlfs_rf_directory_that_lost_a_name_checkpoints),
	KTEST_CASE(qlfs_rf_refuses_data_in_a_node_segment),
	KTEST_CASE(qlfs_rf_fsync_after_a_clean_remount_survives),
	KTEST_CASE(qlfs_rf_random_operations_then_a_cut),
	KTEST_CASE(qlfs_rf_ssr_spares_blocks_an_fsync_logged),
	KTEST_END,
};

static const struct ktest_suite qlfs_rollforward_suite = {
	.name = "qlfs_rollforward",
	.init = ct_init,
	.exit = ct_exit,
	.cases = qlfs_rollforward_cases,
};
KTEST_SUITE(qlfs_rollforward_suite);
