/*
 * fs/qlfs/qlfs_gc_test.c - KTAP suite `qlfs_gc`: cleaning (fs/qlfs/gc.c).
 *
 * Victim selection on a crafted segment table (greedy and cost-benefit
 * pick different, named segments; current, full, empty and skipped ones
 * never), the first file block of every kind of direct node, a sparse file
 * with a block under each kind of node moved by cleaning its segments, a
 * file system filled to 95 % and overwritten at random many times its size
 * (no ENOSPC, every block checked against a model, fsck clean after; the
 * same with the background cleaner running on every pass, racing the
 * writer on the job's CPUs), a file system filled until ENOSPC and then
 * overwritten in place (cleaning, not ENOSPC), tiny file systems (32 MiB,
 * 16 MiB, the smallest mkfs makes) filled with small files until ENOSPC,
 * thinned, refilled and overwritten (ENOSPC only when really full, never
 * read-only), and the negative control of
 * a cleaner that drops its victim's blocks instead of moving them (fsck
 * must see it). The power-cut cases are arch/host/qlfs_gc_crash_test.c.
 *
 * Needs a writable test disk of 32 MiB or more; the long overwrite runs
 * on quire-host's memory disks only (minutes under TCG): the kernel jobs
 * declare the skip.
 */
#include <quire/ktest.h>
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/slab.h>
#include <quire/printk.h>
#include <quire/shell.h>
#include "qlfs_data.h"
#include "qlfs_test.h"

#define GT	   "/gct"
#define GT_LOG_BPS 4 /* 64 KiB segments: ~480 of them on 32 MiB */

struct gt {
	struct qlfs_dev d;
	bool mounted;
	u32 *buf; /* one block */
	u64 rng;
};

static int gt_init(struct ktest *t)
{
	struct gt *g = kzalloc(sizeof(*g), GFP_KERNEL);

	if (!g)
		return -ENOMEM;
	g->buf = kmalloc(4096, GFP_KERNEL);
	if (!g->buf) {
		kfree(g);
		return -ENOMEM;
	}
	g->rng = ktest_seed() * 2654435761ULL + 1;
	t->priv = g;
	return 0;
}

static void gt_exit(struct ktest *t)
{
	struct gt *g = t->priv;

	ksys_chdir("/");
	if (g->mounted) {
		KTEST_EXPECT_EQ(t, ksys_umount(GT, 0), 0);
		KTEST_EXPECT_EQ(t, qlfs_test_fsck(&g->d), 0);
	}
	ksys_rmdir(GT);
	qlfs_dev_close(&g->d);
	kfree(g->buf);
	kfree(g);
}

static struct gt *gt_mount(struct ktest *t)
{
	struct gt *g = t->priv;

	qlfs_test_fresh_mount(t, &g->d, GT_LOG_BPS, GT);
	g->mounted = true;
	return g;
}

static struct qlfs_sb_info *gt_sbi(struct ktest *t)
{
	return qlfs_test_sbi(t, GT, NULL);
}

static u32 gt_rand(struct gt *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return (u32)(g->rng >> 11);
}

/* Block @b of file @f at generation @gen: every word says which. */
static void fill_block(u32 *buf, u32 f, u32 b, u32 gen)
{
	for (u32 i = 0; i < 1024; i++)
		buf[i] = (f << 24 ^ b << 4 ^ gen * 0x9e3779b9u) + i * 0x01000193u;
}

static bool block_is(const u32 *buf, u32 f, u32 b, u32 gen)
{
	for (u32 i = 0; i < 1024; i++)
		if (buf[i] != (f << 24 ^ b << 4 ^ gen * 0x9e3779b9u) + i * 0x01000193u)
			return false;
	return true;
}

static void file_name(char *name, u32 f)
{
	memcpy(name, GT "/f00", 9);
	name[6] = '0' + f / 10;
	name[7] = '0' + f % 10;
}

/* ---- victim selection ---- */

/*
 * 12 segments of 16 blocks; logs on 0..4 and 11. Greedy takes 8 (3 valid,
 * but written last); cost-benefit takes 9 (6 valid, oldest); the current
 * segment 11 with 1 valid block, full 6 and empty 10 are never victims.
 */
static void qlfs_gc_victim_greedy_and_cost_benefit_on_a_crafted_table(struct ktest *t)
{
	static const struct {
		u16 valid;
		u64 mtime;
	} tab[12] = {{5, 1},  {5, 1},	 {5, 1},    {5, 1},  {5, 1}, {16, 1},
		     {16, 1}, {10, 100}, {3, 1000}, {6, 10}, {0, 1}, {1, 1}};
	static const u32 cur[NR_CURSEG_TYPE] = {0, 1, 2, 3, 4, 11};
	struct qlfs_seg_entry se[12] = {0};
	unsigned long skip[1] = {0};

	for (int i = 0; i < 12; i++) {
		se[i].valid_blocks = tab[i].valid;
		se[i].mtime = tab[i].mtime;
	}
	/* segment 5: full, not current */
	KTEST_EXPECT_EQ(t, qlfs_select_victim(se, 12, 16, cur, NULL, 1000, QLFS_FG_GC),
			8);
	KTEST_EXPECT_EQ(t, qlfs_select_victim(se, 12, 16, cur, NULL, 1000, QLFS_BG_GC),
			9);
	qlfs_bm_set(skip, 8);
	KTEST_EXPECT_EQ(t, qlfs_select_victim(se, 12, 16, cur, skip, 1000, QLFS_FG_GC),
			9);
	qlfs_bm_set(skip, 9);
	KTEST_EXPECT_EQ(t, qlfs_select_victim(se, 12, 16, cur, skip, 1000, QLFS_FG_GC),
			7);
	KTEST_EXPECT_EQ(t, qlfs_select_victim(se, 12, 16, cur, skip, 1000, QLFS_BG_GC),
			7);
	qlfs_bm_set(skip, 7);
	KTEST_EXPECT_EQ(t, qlfs_select_victim(se, 12, 16, cur, skip, 1000, QLFS_FG_GC),
			NULL_SEGNO);
	/* the current segment with one valid block stays out */
	KTEST_EXPECT_EQ(t, qlfs_select_victim(se, 12, 16, cur, skip, 1000, QLFS_BG_GC),
			NULL_SEGNO);
}

/* docs/qlfs-format.md "Node offsets" and "4 GiB files". */
static void qlfs_gc_start_bidx_of_every_node_kind(struct ktest *t)
{
	const s64 ai = ADDRS_PER_INODE, apb = ADDRS_PER_BLOCK, npb = NIDS_PER_BLOCK;

	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(0), 0);
	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(1), 921);
	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(2), 1937);
	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(3), -1);
	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(4), 2953);
	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(4 + 1015), 2953 + 1015 * apb);
	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(1020), -1);
	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(1021), ai + 2 * apb + npb * apb);
	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(2037), -1);
	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(2038), -1);
	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(2039), ai + 2 * apb + 2 * npb * apb);
	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(2038 + 1017), -1);
	KTEST_EXPECT_EQ(t, qlfs_start_bidx_of_node(2039 + 1017 * 3 + 5),
			ai + 2 * apb + 2 * npb * apb + (3 * npb + 5) * apb);
}

/* ---- moving ---- */

static struct inode *gt_inode(struct ktest *t, const char *path)
{
	struct inode *inode;

	qlfs_test_sbi(t, path, &inode);
	return inode;
}

static void pwrite_block(struct ktest *t, struct gt *g, int fd, u32 f, u32 b, u32 gen)
{
	fill_block(g->buf, f, b, gen);
	KTEST_ASSERT_EQ(t, ksys_pwrite64(fd, g->buf, 4096, (loff_t)b << 12), 4096);
}

static bool pread_block_is(struct gt *g, int fd, u32 f, u32 b, u32 gen)
{
	return ksys_pread64(fd, g->buf, 4096, (loff_t)b << 12) == 4096 &&
	       block_is(g->buf, f, b, gen);
}

/*
 * A sparse file with a block in the inode, under each direct node, under
 * both indirect nodes and under the double-indirect one: cleaning each
 * block's segment moves it (qlfs_start_bidx_of_node() found the right
 * page), the file reads back, and fsck is clean after a checkpoint.
 */
static void qlfs_gc_moves_a_block_under_every_node_kind(struct ktest *t)
{
	static const u32 blocks[] = {0,
				     921,
				     1937,
				     2953 + 7,
				     2953 + 1016 * 1016 + 3,
				     2953 + 2 * 1016 * 1016 + 1016 * 5 + 2};
	struct gt *g = gt_mount(t);
	struct qlfs_sb_info *sbi = gt_sbi(t);
	struct inode *inode;
	u32 addr[ARRAY_SIZE(blocks)];
	int fd = ksys_open(GT "/sparse", O_CREAT | O_RDWR, 0644);

	KTEST_ASSERT_OP(t, fd, >=, 0);
	for (u32 i = 0; i < ARRAY_SIZE(blocks); i++)
		pwrite_block(t, g, fd, 1, blocks[i], 1);
	ksys_sync();
	inode = gt_inode(t, GT "/sparse");
	KTEST_ASSERT_EQ(t, qlfs_move_all_logs(sbi), 0); /* not current ones */
	for (u32 i = 0; i < ARRAY_SIZE(blocks); i++)
		KTEST_ASSERT_EQ(t, qlfs_data_blkaddr_of(inode, blocks[i], &addr[i]), 0);
	/* all six in one segment: cleaning it moves each */
	KTEST_ASSERT_EQ(t, qlfs_segno(sbi, addr[5]), qlfs_segno(sbi, addr[0]));
	KTEST_EXPECT_EQ(t, qlfs_gc_segment(sbi, qlfs_segno(sbi, addr[0]), QLFS_FG_GC), 0);
	for (u32 i = 0; i < ARRAY_SIZE(blocks); i++) {
		u32 again;

		KTEST_ASSERT_EQ(t, qlfs_data_blkaddr_of(inode, blocks[i], &again), 0);
		KTEST_EXPECT_NE(t, again, addr[i]);
	}
	iput(inode);
	KTEST_EXPECT_GE(t, READ_ONCE(sbi->gc_data_moved), ARRAY_SIZE(blocks));
	KTEST_EXPECT_EQ(t, qlfs_write_checkpoint(sbi, CP_REASON_SYNC), 0);
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&g->d), 0);
	for (u32 i = 0; i < ARRAY_SIZE(blocks); i++)
		KTEST_EXPECT_TRUE(t, pread_block_is(g, fd, 1, blocks[i], 1));
	ksys_close(fd);
}

/* ---- the long workload: fill, then overwrite at random ---- */

/* Overwrite rounds (x the user blocks) of the long cases: 1 in make test;
 * `qlfs_gc_rounds N` (a shell command) before `test qlfs_gc` runs longer
 * ones. Under TSan and scheduling points a quarter of a round. */
static u32 gc_rounds = 1;

static int qlfs_gc_rounds_cmd(int argc, char **argv)
{
	unsigned int n = 0;

	if (argc != 2 || kstrtouint(argv[1], 10, &n) || !n || n > 1000) {
		shell_error(argv[0], "usage: qlfs_gc_rounds N (1..1000)");
		return -EINVAL;
	}
	gc_rounds = n;
	return 0;
}
SHELL_COMMAND(qlfs_gc_rounds, "qlfs_gc_rounds", "qlfs_gc_rounds N",
	      "suite qlfs_gc: overwrite N times the user blocks in its long cases",
	      qlfs_gc_rounds_cmd);

/* Random overwrites of a long case: @pct % of @rounds x @blocks. */
static u64 long_writes(u64 blocks, u32 pct)
{
	return blocks * gc_rounds * pct / 100 / qlfs_test_scale(1, 4);
}

#define NFILES 4

struct model {
	u32 blocks; /* per file */
	u16 *gen;   /* [NFILES * blocks] */
	int fd[NFILES];
};

static void model_open(struct ktest *t, struct model *m, int flags)
{
	char name[16];

	for (u32 f = 0; f < NFILES; f++) {
		file_name(name, f);
		m->fd[f] = ksys_open(name, flags, 0644);
		KTEST_ASSERT_OP(t, m->fd[f], >=, 0);
	}
}

static void model_close(struct model *m)
{
	for (u32 f = 0; f < NFILES; f++)
		if (m->fd[f] >= 0)
			ksys_close(m->fd[f]);
}

static void model_verify(struct ktest *t, struct gt *g, struct model *m)
{
	u32 bad = 0;

	for (u32 f = 0; f < NFILES; f++)
		for (u32 b = 0; b < m->blocks; b++)
			if (!pread_block_is(g, m->fd[f], f, b,
					    m->gen[f * m->blocks + b]) &&
			    bad++ < 5)
				ktest_fail(t, __FILE__, __LINE__,
					   "file %u block %u: not generation %u", f, b,
					   m->gen[f * m->blocks + b]);
	KTEST_EXPECT_EQ(t, bad, 0);
}

/* Files of @fill_pct % of the free blocks, then @pct % of a round of
 * random 4 KiB overwrites; every write must succeed. */
static void fill_and_overwrite(struct ktest *t, struct gt *g, struct model *m,
			       u32 fill_pct, u32 pct)
{
	struct kstatfs sf;
	u64 writes;

	KTEST_ASSERT_EQ(t, ksys_statfs(GT, &sf), 0);
	/* nodes: one direct node per 1016 blocks, the inode */
	m->blocks = (u32)(sf.f_bfree * fill_pct / 100 * 1016 / 1017 / NFILES) - 2;
	m->gen = kcalloc((size_t)NFILES * m->blocks, sizeof(u16), GFP_KERNEL);
	KTEST_ASSERT_NOT_NULL(t, m->gen);
	model_open(t, m, O_CREAT | O_RDWR);
	for (u32 b = 0; b < m->blocks; b++)
		for (u32 f = 0; f < NFILES; f++)
			pwrite_block(t, g, m->fd[f], f, b, 0);
	writes = long_writes(sf.f_blocks, pct);
	for (u64 i = 0; i < writes; i++) {
		u32 f = gt_rand(g) % NFILES, b = gt_rand(g) % m->blocks;
		u16 *gen = &m->gen[f * m->blocks + b];

		fill_block(g->buf, f, b, ++*gen);
		if (ksys_pwrite64(m->fd[f], g->buf, 4096, (loff_t)b << 12) != 4096) {
			ktest_fail(t, __FILE__, __LINE__,
				   "write %llu of %llu (file %u block %u) failed",
				   (unsigned long long)i, (unsigned long long)writes, f,
				   b);
			ktest_abort(t);
		}
	}
}

static void after_overwrites(struct ktest *t, struct gt *g, struct model *m)
{
	struct qlfs_sb_info *sbi = gt_sbi(t);

	model_verify(t, g, m);
	ksys_sync();
	KTEST_EXPECT_EQ(t, ktest_run_command(qlfs_shell_cmd, "qlfs " GT), 0);
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&g->d), 0);
	KTEST_EXPECT_GT(t, READ_ONCE(sbi->gc_segments), 0);
	KTEST_EXPECT_GT(t, READ_ONCE(sbi->gc_data_moved), 0);
	model_close(m);
	KTEST_ASSERT_EQ(t, qlfs_test_remount(&g->d, GT), 0);
	model_open(t, m, O_RDWR);
	model_verify(t, g, m);
	model_close(m);
	kfree(m->gen);
}

static void qlfs_gc_fill_95_and_overwrite_keeps_every_block(struct ktest *t)
{
	struct gt *g = gt_mount(t);
	struct model m = {0};

	if (!qlfs_test_disk_is_fast(&g->d))
		ktest_skip(t, "long run: on quire-host's memory disks only");
	fill_and_overwrite(t, g, &m, 95, 100);
	KTEST_EXPECT_GT(t, READ_ONCE(gt_sbi(t)->gc_fg_runs), 0);
	after_overwrites(t, g, &m);
}

/* The background cleaner on every pass (1 ms, idle or not) races the
 * writer and the foreground cleaning (on the job's other CPUs). */
static void qlfs_gc_background_cleaner_races_the_writer(struct ktest *t)
{
	struct gt *g = gt_mount(t);
	struct qlfs_sb_info *sbi = gt_sbi(t);
	struct model m = {0};

	if (!qlfs_test_disk_is_fast(&g->d))
		ktest_skip(t, "long run: on quire-host's memory disks only");
	WRITE_ONCE(sbi->gc_bg_ignore_idle, true);
	WRITE_ONCE(sbi->gc_bg_interval_ms, 1);
	WRITE_ONCE(sbi->gc_wake, true);
	wake_up(&sbi->gc_wait);
	fill_and_overwrite(t, g, &m, 90, 100);
	KTEST_EXPECT_GT(t, READ_ONCE(sbi->gc_bg_runs), 0);
	after_overwrites(t, g, &m);
}

/* Filled until ENOSPC, then overwritten in place: the overwrites need
 * cleaning, never ENOSPC (valid blocks do not grow). */
static void qlfs_gc_really_full_gets_enospc_then_overwrites_clean(struct ktest *t)
{
	struct gt *g = gt_mount(t);
	struct kstatfs sf;
	u32 n = 0, writes;
	int fd = ksys_open(GT "/full", O_CREAT | O_RDWR, 0644);
	ssize_t_k w;

	KTEST_ASSERT_OP(t, fd, >=, 0);
	for (;; n++) {
		fill_block(g->buf, 2, n, 0);
		w = ksys_pwrite64(fd, g->buf, 4096, (loff_t)n << 12);
		if (w != 4096)
			break;
	}
	KTEST_EXPECT_EQ(t, w, -ENOSPC);
	KTEST_ASSERT_EQ(t, ksys_statfs(GT, &sf), 0);
	KTEST_EXPECT_LE(t, sf.f_bfree, 16);
	writes = qlfs_test_disk_is_fast(&g->d) ? long_writes(n, 25) : n / 16;
	for (u32 i = 0; i < writes; i++) {
		u32 b = gt_rand(g) % n;

		fill_block(g->buf, 2, b, 0);
		w = ksys_pwrite64(fd, g->buf, 4096, (loff_t)b << 12);
		if (w != 4096) {
			ktest_fail(t, __FILE__, __LINE__, "overwrite %u of %u: %lld", i,
				   writes, (long long)w);
			break;
		}
	}
	KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
	KTEST_EXPECT_GT(t, READ_ONCE(gt_sbi(t)->gc_segments), 0);
	for (u32 b = 0; b < n; b++)
		if (!pread_block_is(g, fd, 2, b, 0)) {
			ktest_fail(t, __FILE__, __LINE__, "block %u lost", b);
			break;
		}
	ksys_close(fd);
	ksys_sync();
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&g->d), 0);
}

/* ---- tiny file systems ---- */

#define TINY_FILES 1024
#define TINY_MAX   48 /* blocks of a file, at most */

struct tiny {
	u16 blocks[TINY_FILES]; /* 0: no such file */
	u16 gen[TINY_FILES];
	u32 next; /* the next new file's number */
};

static void tiny_name(char *name, u32 f)
{
	scnprintf(name, 24, GT "/t%04u", f);
}

/* Was an ENOSPC honest: is the file system really full, with fewer blocks
 * free than the file of @n blocks needed (its data, its inode, a dentry
 * block)? */
static void tiny_expect_full(struct ktest *t, u32 n)
{
	struct kstatfs sf;

	KTEST_ASSERT_EQ(t, ksys_statfs(GT, &sf), 0);
	if (sf.f_bfree >= n + 2)
		ktest_fail(t, __FILE__, __LINE__,
			   "ENOSPC for a file of %u blocks with %llu of %llu blocks free",
			   n, (unsigned long long)sf.f_bfree,
			   (unsigned long long)sf.f_blocks);
}

/* Write file @f whole, at generation @gen: 0, or -ENOSPC (the file is then
 * removed: the model never holds a file half written). */
static int tiny_write(struct ktest *t, struct gt *g, struct tiny *m, u32 f, u32 n,
		      u32 gen)
{
	char name[24];
	int fd, err = 0;

	tiny_name(name, f);
	fd = ksys_open(name, O_CREAT | O_RDWR, 0644);
	if (fd == -ENOSPC)
		return fd;
	KTEST_ASSERT_OP(t, fd, >=, 0);
	for (u32 b = 0; b < n && !err; b++) {
		ssize_t_k w;

		fill_block(g->buf, f, b, gen);
		w = ksys_pwrite64(fd, g->buf, 4096, (loff_t)b << 12);
		if (w != 4096)
			err = w < 0 ? (int)w : -EIO;
	}
	ksys_close(fd);
	if (err && err != -ENOSPC)
		KTEST_ASSERT_EQ(t, err, 0);
	if (err) {
		KTEST_ASSERT_EQ(t, ksys_unlink(name), 0);
		m->blocks[f] = 0;
		return err;
	}
	m->blocks[f] = n;
	m->gen[f] = gen;
	return 0;
}

/* New files of 1..TINY_MAX blocks until ENOSPC, which must be honest. */
static void tiny_fill(struct ktest *t, struct gt *g, struct tiny *m)
{
	int err = 0;
	u32 n = 0;

	while (!err) {
		KTEST_ASSERT_OP(t, m->next, <, TINY_FILES);
		n = 1 + gt_rand(g) % TINY_MAX;
		err = tiny_write(t, g, m, m->next, n, 0);
		if (!err)
			m->next++;
	}
	tiny_expect_full(t, n); /* the file is gone again: its blocks are free */
}

static void tiny_verify(struct ktest *t, struct gt *g, struct tiny *m)
{
	char name[24];
	u32 bad = 0;

	for (u32 f = 0; f < m->next; f++) {
		int fd;

		if (!m->blocks[f])
			continue;
		tiny_name(name, f);
		fd = ksys_open(name, O_RDONLY, 0);
		KTEST_ASSERT_OP(t, fd, >=, 0);
		for (u32 b = 0; b < m->blocks[f]; b++)
			if (!pread_block_is(g, fd, f, b, m->gen[f]) && bad++ < 5)
				ktest_fail(t, __FILE__, __LINE__,
					   "file %u block %u: not generation %u", f, b,
					   m->gen[f]);
		ksys_close(fd);
	}
	KTEST_EXPECT_EQ(t, bad, 0);
}

/*
 * A file system of @blocks (mkfs picks the segment size): filled with
 * files until ENOSPC, a third deleted, filled again, and every file
 * overwritten whole, three rounds (one in QEMU): ENOSPC only when really full, never
 * read-only, every file read back, fsck clean, and the same after a
 * remount.
 */
static void tiny_rounds(struct ktest *t, u64 blocks)
{
	struct gt *g = t->priv;
	struct tiny *m = kzalloc(sizeof(*m), GFP_KERNEL);
	struct qlfs_sb_info *sbi;
	char name[24];
	u32 rounds;

	KTEST_ASSERT_NOT_NULL(t, m);
	qlfs_test_need_disk(t, &g->d);
	g->d.nr_blocks = blocks;
	KTEST_ASSERT_EQ(t, qlfs_test_mount_fresh(&g->d, 0, GT), 0);
	g->mounted = true;
	sbi = gt_sbi(t);
	pr_info("qlfs_gc: %llu KiB: %u main segments of %u KiB, %u overprovisioned\n",
		(unsigned long long)blocks * 4, sbi->l.segs_main, sbi->l.bps * 4,
		sbi->l.segs_main - (u32)(sbi->user_block_count >> sbi->l.log_bps));
	/* three rounds on quire-host's memory disks, one in QEMU (minutes
	 * under TCG) and under ThreadSanitizer */
	rounds = qlfs_test_disk_is_fast(&g->d) ? qlfs_test_scale(3, 1) : 1;
	for (u32 round = 0; round < rounds; round++) {
		tiny_fill(t, g, m);
		for (u32 f = 0; f < m->next; f++)
			if (m->blocks[f] && gt_rand(g) % 3 == 0) {
				tiny_name(name, f);
				KTEST_ASSERT_EQ(t, ksys_unlink(name), 0);
				m->blocks[f] = 0;
			}
		tiny_fill(t, g, m);
		/* overwrites: the valid blocks do not grow, so never ENOSPC */
		for (u32 f = 0; f < m->next; f++)
			if (m->blocks[f])
				KTEST_ASSERT_EQ(t,
						tiny_write(t, g, m, f, m->blocks[f],
							   m->gen[f] + 1),
						0);
		KTEST_ASSERT_TRUE(t, !READ_ONCE(sbi->read_only));
		tiny_verify(t, g, m);
	}
	ksys_sync();
	KTEST_EXPECT_FALSE(t, READ_ONCE(sbi->read_only));
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&g->d), 0);
	KTEST_ASSERT_EQ(t, qlfs_test_remount(&g->d, GT), 0);
	tiny_verify(t, g, m);
	kfree(m);
}

static void qlfs_gc_tiny_32m_fills_to_enospc_never_read_only(struct ktest *t)
{
	tiny_rounds(t, (32 << 20) / QLFS_BLKSIZE);
}

static void qlfs_gc_tiny_16m_fills_to_enospc_never_read_only(struct ktest *t)
{
	tiny_rounds(t, (16 << 20) / QLFS_BLKSIZE);
}

static void qlfs_gc_smallest_fills_to_enospc_never_read_only(struct ktest *t)
{
	tiny_rounds(t, qlfs_mkfs_min_blocks(QLFS_MIN_LOG_BLOCKS_PER_SEG));
}

/* Negative control: a cleaner that drops its victim's valid blocks
 * instead of moving them leaves blocks owned but not valid: fsck (QL6)
 * must say so. (The fixture's fsck at the end is then skipped: the image
 * is broken on purpose; the next case makes a fresh one.) */
static void qlfs_gc_negative_control_dropping_blocks_is_seen(struct ktest *t)
{
	struct gt *g = gt_mount(t);
	struct qlfs_sb_info *sbi = gt_sbi(t);
	struct inode *inode;
	u32 addr;
	int fd = ksys_open(GT "/nc", O_CREAT | O_RDWR, 0644);

	KTEST_ASSERT_OP(t, fd, >=, 0);
	for (u32 b = 0; b < 32; b++)
		pwrite_block(t, g, fd, 3, b, 0);
	ksys_sync();
	for (u32 b = 0; b < 32; b += 2)
		pwrite_block(t, g, fd, 3, b, 1);
	ksys_sync();
	inode = gt_inode(t, GT "/nc");
	KTEST_ASSERT_EQ(t, qlfs_data_blkaddr_of(inode, 1, &addr), 0);
	iput(inode);
	WRITE_ONCE(sbi->test.gc_fault, QLFS_GC_FAULT_SKIP_MOVE);
	KTEST_EXPECT_EQ(t, qlfs_gc_segment(sbi, qlfs_segno(sbi, addr), QLFS_FG_GC), 0);
	WRITE_ONCE(sbi->test.gc_fault, 0);
	KTEST_EXPECT_EQ(t, qlfs_write_checkpoint(sbi, CP_REASON_SYNC), 0);
	KTEST_EXPECT_GT(t, qlfs_test_fsck(&g->d), 0);
	ksys_close(fd);
	ksys_chdir("/");
	KTEST_EXPECT_EQ(t, ksys_umount(GT, 0), 0);
	g->mounted = false;
}

static const struct ktest_case qlfs_gc_cases[] = {
	KTEST_CASE(qlfs_gc_victim_greedy_and_cost_benefit_on_a_crafted_table),
	KTEST_CASE(qlfs_gc_start_bidx_of_every_node_kind),
	KTEST_CASE(qlfs_gc_moves_a_block_under_every_node_kind),
	KTEST_CASE(qlfs_gc_fill_95_and_overwrite_keeps_every_block),
	KTEST_CASE(qlfs_gc_background_cleaner_races_the_writer),
	KTEST_CASE(qlfs_gc_really_full_gets_enospc_then_overwrites_clean),
	KTEST_CASE(qlfs_gc_tiny_32m_fills_to_enospc_never_read_only),
	KTEST_CASE(qlfs_gc_tiny_16m_fills_to_enospc_never_read_only),
	KTEST_CASE(qlfs_gc_smallest_fills_to_enospc_never_read_only),
	KTEST_CASE(qlfs_gc_negative_control_dropping_blocks_is_seen),
	KTEST_END,
};

static const struct ktest_suite qlfs_gc_suite = {
	.name = "qlfs_gc",
	.init = gt_init,
	.exit = gt_exit,
	.cases = qlfs_gc_cases,
};
KTEST_SUITE(qlfs_gc_suite);
