/*
 * fs/qlfs/qlfs_test.c - KTAP suite `qlfs`: the mounted qlfs through the
 * system calls, on a freshly formatted test disk, with fsck.qlfs (the
 * independent judge, fs/qlfs/fsck.c) clean after every workload: data and
 * names that survive umount/mount, a 4 GiB sparse file (holes read as
 * zeros, SEEK_DATA/SEEK_HOLE, truncate), a directory of 100 000 entries
 * (lookups read one bucket per level, readdir sees each once, all
 * deleted), ENOSPC only when the file system is full, a file unlinked
 * while open (an orphan through a checkpoint), renames across
 * directories, and the three branches of do_writepages().
 *
 * Also the helpers of qlfs_test.h, which fs/vfs_test.c and
 * fs/vfs_model_test.c use to run their cases on qlfs.
 * Needs a writable test disk of 32 MiB or more (serial quire-test*; the
 * host jobs attach tmp:32M).
 */
#include <quire/ktest.h>
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/slab.h>
#include <quire/printk.h>
#include <quire/shell.h>
#include <quire/sched_point.h>
#include "qlfs_data.h"
#include "qlfs_test.h"
#include "../../block/bdev_internal.h"

#ifndef KTEST_ASSERT_GE
#define KTEST_ASSERT_GE(t, a, b) KTEST_ASSERT_OP(t, a, >=, b)
#define KTEST_ASSERT_GT(t, a, b) KTEST_ASSERT_OP(t, a, >, b)
#endif

/* ---- helpers (qlfs_test.h) ---- */

static int pick_disk(struct gendisk *disk, void *arg)
{
	struct gendisk **found = arg;

	if (!disk_is_test_disk(disk) || bdev_read_only(&disk->part0) ||
	    disk_is_dead(disk) || get_capacity(disk) < QLFS_TEST_MIN_BYTES / SECTOR_SIZE)
		return 0;
	*found = disk;
	return 1;
}

int qlfs_test_disk(struct qlfs_dev *d)
{
	struct gendisk *disk = NULL;

	qlfs_dev_close(d); /* a fixture that opens again: one reference */
	disk_iterate(pick_disk, &disk);
	if (!disk)
		return -ENODEV;
	return qlfs_dev_open(d, disk->disk_name, true);
}

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN true
#else
#define UNDER_TSAN false
#endif

u32 qlfs_test_scale(u32 full, u32 small)
{
	bool points = false;

#ifdef HAVE_ARCH_SCHED_POINTS
	points = __atomic_load_n(&arch_sched_points_on, __ATOMIC_RELAXED);
#endif
	return UNDER_TSAN || points || ktest_quick() ? small : full;
}

bool qlfs_test_disk_is_fast(const struct qlfs_dev *d)
{
	return !strncmp(d->disk->serial, "quire-test-tmp", 14);
}

void qlfs_test_need_disk(struct ktest *t, struct qlfs_dev *d)
{
	if (qlfs_test_disk(d))
		ktest_skip(
			t,
			"no writable test disk of 32 MiB or more (serial quire-test*)");
}

void qlfs_test_fresh_mount(struct ktest *t, struct qlfs_dev *d, u32 log_bps,
			   const char *dir)
{
	qlfs_test_need_disk(t, d);
	KTEST_ASSERT_EQ(t, qlfs_test_mount_fresh(d, log_bps, dir), 0);
}

struct qlfs_sb_info *qlfs_test_sbi(struct ktest *t, const char *path,
				   struct inode **inode)
{
	struct qlfs_sb_info *sbi;
	struct path p;

	KTEST_ASSERT_EQ(t, kern_path(path, LOOKUP_FOLLOW, &p), 0);
	sbi = QLFS_SB(p.dentry->d_sb);
	if (inode) {
		*inode = p.dentry->d_inode;
		atomic_inc(&(*inode)->i_count);
	}
	path_put(&p);
	return sbi;
}

int qlfs_test_mnt_init(struct qlfs_test_mnt *m, const char *dir)
{
	int err = ksys_mkdir(dir, 0755);

	memset(m, 0, sizeof(*m));
	return err == -EEXIST ? 0 : err;
}

int qlfs_test_mnt_mkfs(struct qlfs_test_mnt *m, u32 log_bps)
{
	int err = qlfs_dev_open(&m->d, m->disk->disk_name, true);

	if (!err)
		err = qlfs_test_mkfs(&m->d, log_bps);
	return err ? err : blkdev_issue_flush(&m->disk->part0);
}

int qlfs_test_mnt_mount(struct qlfs_test_mnt *m, const char *dir)
{
	int err = ksys_mount(m->disk->disk_name, dir, "qlfs", 0, NULL);

	m->mounted = !err;
	return err;
}

void qlfs_test_mnt_exit(struct qlfs_test_mnt *m, const char *dir,
			void (*put_disk)(struct gendisk *disk))
{
	if (m->mounted)
		ksys_umount(dir, 0);
	m->mounted = false;
	qlfs_dev_close(&m->d);
	if (m->disk)
		put_disk(m->disk);
	m->disk = NULL;
	ksys_rmdir(dir);
}

int qlfs_test_mkfs(struct qlfs_dev *d, u32 log_bps)
{
	struct qlfs_mkfs_opts o = {
		.log_bps = log_bps, .force = true, .time = QLFS_TEST_TIME, .quiet = true};

	return qlfs_mkfs(d, &o);
}

int qlfs_test_fsck(struct qlfs_dev *d)
{
	struct qlfs_fsck_opts o = {.max_reports = 10};
	struct qlfs_fsck_result r;
	int status = qlfs_fsck(d, &o, &r);

	if (r.operational)
		return -EIO;
	return status ? (int)max(r.problems, 1u) : 0;
}

int qlfs_test_mount_fresh(struct qlfs_dev *d, u32 log_bps, const char *dir)
{
	int err = qlfs_test_mkfs(d, log_bps);

	if (err)
		return err;
	err = ksys_mkdir(dir, 0755);
	if (err && err != -EEXIST)
		return err;
	return ksys_mount(d->disk->disk_name, dir, "qlfs", 0, NULL);
}

int qlfs_test_remount(struct qlfs_dev *d, const char *dir)
{
	int err = ksys_umount(dir, 0);

	return err ? err : ksys_mount(d->disk->disk_name, dir, "qlfs", 0, NULL);
}

/* ---- the suite's fixture: a fresh qlfs on /qt, fsck clean after ---- */

#define QT "/qt"

struct qt {
	struct qlfs_dev d;
	bool mounted;
	char *buf; /* 64 KiB */
};

static int qt_init(struct ktest *t)
{
	struct qt *q = kzalloc(sizeof(*q), GFP_KERNEL);

	if (!q)
		return -ENOMEM;
	q->buf = kmalloc(64 << 10, GFP_KERNEL);
	if (!q->buf) {
		kfree(q);
		return -ENOMEM;
	}
	t->priv = q;
	return 0;
}

/* Unmount (if a case left it mounted) and fsck: every case ends clean. */
static void qt_exit(struct ktest *t)
{
	struct qt *q = t->priv;

	ksys_chdir("/");
	if (q->mounted) {
		KTEST_EXPECT_EQ(t, ksys_umount(QT, 0), 0);
		KTEST_EXPECT_EQ(t, qlfs_test_fsck(&q->d), 0);
	}
	ksys_rmdir(QT);
	qlfs_dev_close(&q->d);
	kfree(q->buf);
	kfree(q);
}

static struct qt *qt_mount(struct ktest *t, u32 log_bps)
{
	struct qt *q = t->priv;

	qlfs_test_fresh_mount(t, &q->d, log_bps, QT);
	q->mounted = true;
	KTEST_ASSERT_EQ(t, ksys_chdir(QT), 0);
	return q;
}

/* Unmount, fsck clean, mount again, back in QT. */
static void qt_remount(struct ktest *t, struct qt *q)
{
	KTEST_ASSERT_EQ(t, ksys_chdir("/"), 0);
	KTEST_ASSERT_EQ(t, ksys_umount(QT, 0), 0);
	q->mounted = false;
	KTEST_ASSERT_EQ(t, qlfs_test_fsck(&q->d), 0);
	KTEST_ASSERT_EQ(t, ksys_mount(q->d.disk->disk_name, QT, "qlfs", 0, NULL), 0);
	q->mounted = true;
	KTEST_ASSERT_EQ(t, ksys_chdir(QT), 0);
}

/* The checkpoint on disk, while mounted, is clean. */
static void qt_sync_fsck(struct ktest *t, struct qt *q)
{
	ksys_sync();
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&q->d), 0);
}

static void fill_pattern(char *buf, size_t n, u32 seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)((i * 31 + seed * 7 + (i >> 12)) & 0xff);
}

static bool check_pattern(const char *buf, size_t n, u32 seed)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != (char)((i * 31 + seed * 7 + (i >> 12)) & 0xff))
			return false;
	return true;
}

static int write_file(const char *path, const char *buf, size_t n)
{
	int fd = ksys_open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	ssize_t_k w;

	if (fd < 0)
		return fd;
	w = ksys_write(fd, buf, n);
	ksys_close(fd);
	return w == (ssize_t_k)n ? 0 : w < 0 ? (int)w : -EIO;
}

static ssize_t_k read_file(const char *path, char *buf, size_t n)
{
	int fd = ksys_open(path, O_RDONLY, 0);
	ssize_t_k r;

	if (fd < 0)
		return fd;
	r = ksys_read(fd, buf, n);
	ksys_close(fd);
	return r;
}

static u64 free_blocks(void)
{
	struct kstatfs sf;

	return ksys_statfs(QT, &sf) ? 0 : sf.f_bfree;
}

/* ---- cases ---- */

/* Files of several sizes (inline-sized, a block, across the inode's
 * direct addresses into the direct nodes), a directory tree, a symlink
 * and a hard link: all there after umount/mount, fsck clean each time. */
static void qlfs_data_and_names_survive_remount(struct ktest *t)
{
	static const size_t sizes[] = {1, 4095, 4096, 65536, 5 << 20};
	struct qt *q = qt_mount(t, 0);
	char path[32], link[16];
	struct kstat st;

	KTEST_ASSERT_EQ(t, ksys_mkdir("a", 0755), 0);
	KTEST_ASSERT_EQ(t, ksys_mkdir("a/b", 0755), 0);
	for (u32 i = 0; i < ARRAY_SIZE(sizes); i++) {
		int fd;

		scnprintf(path, sizeof(path), "a/b/f%u", i);
		fd = ksys_open(path, O_CREAT | O_WRONLY, 0644);
		KTEST_ASSERT_GE(t, fd, 0);
		for (size_t done = 0; done < sizes[i];) {
			size_t n = min(sizes[i] - done, (size_t)(64 << 10));

			fill_pattern(q->buf, n, i + (u32)(done >> 16));
			KTEST_ASSERT_EQ(t, ksys_write(fd, q->buf, n), (ssize_t_k)n);
			done += n;
		}
		KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
	}
	KTEST_ASSERT_EQ(t, ksys_symlink("a/b/f1", "sl"), 0);
	KTEST_ASSERT_EQ(t, ksys_link("a/b/f2", "hl"), 0);
	qt_remount(t, q);
	for (u32 i = 0; i < ARRAY_SIZE(sizes); i++) {
		int fd;

		scnprintf(path, sizeof(path), "a/b/f%u", i);
		KTEST_ASSERT_EQ(t, ksys_stat(path, &st), 0);
		KTEST_EXPECT_EQ(t, st.size, (loff_t)sizes[i]);
		fd = ksys_open(path, O_RDONLY, 0);
		KTEST_ASSERT_GE(t, fd, 0);
		for (size_t done = 0; done < sizes[i];) {
			size_t n = min(sizes[i] - done, (size_t)(64 << 10));

			KTEST_ASSERT_EQ(t, ksys_read(fd, q->buf, n), (ssize_t_k)n);
			KTEST_EXPECT_TRUE(
				t, check_pattern(q->buf, n, i + (u32)(done >> 16)));
			done += n;
		}
		KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
	}
	KTEST_EXPECT_EQ(t, ksys_readlink("sl", link, sizeof(link)), 6);
	KTEST_EXPECT_EQ(t, memcmp(link, "a/b/f1", 6), 0);
	KTEST_EXPECT_EQ(t, read_file("sl", q->buf, 100), 100);
	KTEST_EXPECT_EQ(t, ksys_stat("hl", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 2);
	KTEST_EXPECT_EQ(t, ksys_stat("a", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 3);
	/* remove it all: the file system is as mkfs left it */
	for (u32 i = 0; i < ARRAY_SIZE(sizes); i++) {
		scnprintf(path, sizeof(path), "a/b/f%u", i);
		KTEST_EXPECT_EQ(t, ksys_unlink(path), 0);
	}
	KTEST_EXPECT_EQ(t, ksys_unlink("hl"), 0);
	KTEST_EXPECT_EQ(t, ksys_unlink("sl"), 0);
	KTEST_EXPECT_EQ(t, ksys_rmdir("a/b"), 0);
	KTEST_EXPECT_EQ(t, ksys_rmdir("a"), 0);
	qt_remount(t, q);
	KTEST_EXPECT_EQ(t, ksys_stat("a", &st), -ENOENT);
}

/* A 4 GiB file with data at both ends only: the holes read as zeros,
 * SEEK_DATA/SEEK_HOLE find the two extents through the block map, a few
 * blocks are held, it survives a remount, and truncate frees the end. */
static void qlfs_sparse_4gib_file(struct ktest *t)
{
	const loff_t end = 4LL << 30;
	struct qt *q = qt_mount(t, 0);
	u64 free0 = free_blocks();
	struct kstat st;
	int fd;

	fd = ksys_open("big", O_CREAT | O_RDWR, 0644);
	KTEST_ASSERT_GE(t, fd, 0);
	fill_pattern(q->buf, 4096, 1);
	KTEST_ASSERT_EQ(t, ksys_pwrite64(fd, q->buf, 4096, 0), 4096);
	fill_pattern(q->buf, 4096, 2);
	KTEST_ASSERT_EQ(t, ksys_pwrite64(fd, q->buf, 4096, end - 4096), 4096);
	KTEST_ASSERT_EQ(t, ksys_fsync(fd), 0);
	for (int pass = 0; pass < 2; pass++) {
		static const loff_t holes[] = {4096, 1 << 20, 3LL << 20, 1LL << 30,
					       (2LL << 30) + 12345};

		KTEST_ASSERT_EQ(t, ksys_fstat(fd, &st), 0);
		KTEST_EXPECT_EQ(t, st.size, end);
		/* the inode, a data block at each end, and the nodes on the
		 * way to the far one: a handful, not a million */
		KTEST_EXPECT_LE(t, st.blocks, 16 * 8);
		for (u32 i = 0; i < ARRAY_SIZE(holes); i++) {
			memset(q->buf, 0x55, 4096);
			KTEST_EXPECT_EQ(t, ksys_pread64(fd, q->buf, 4096, holes[i]),
					4096);
			KTEST_EXPECT_EQ(t, q->buf[0] | q->buf[4095] | q->buf[2048], 0);
		}
		KTEST_EXPECT_EQ(t, ksys_pread64(fd, q->buf, 4096, 0), 4096);
		KTEST_EXPECT_TRUE(t, check_pattern(q->buf, 4096, 1));
		KTEST_EXPECT_EQ(t, ksys_pread64(fd, q->buf, 8192, end - 4096), 4096);
		KTEST_EXPECT_TRUE(t, check_pattern(q->buf, 4096, 2));
		KTEST_EXPECT_EQ(t, ksys_lseek(fd, 0, SEEK_DATA), 0);
		KTEST_EXPECT_EQ(t, ksys_lseek(fd, 0, SEEK_HOLE), 4096);
		KTEST_EXPECT_EQ(t, ksys_lseek(fd, 4096, SEEK_DATA), end - 4096);
		KTEST_EXPECT_EQ(t, ksys_lseek(fd, end - 100, SEEK_DATA), end - 100);
		KTEST_EXPECT_EQ(t, ksys_lseek(fd, end - 100, SEEK_HOLE), end);
		KTEST_EXPECT_EQ(t, ksys_lseek(fd, end, SEEK_DATA), -ENXIO);
		if (pass == 0) {
			KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
			qt_remount(t, q);
			fd = ksys_open("big", O_RDWR, 0);
			KTEST_ASSERT_GE(t, fd, 0);
		}
	}
	/* truncate into the first block: the far block and its nodes go,
	 * and the cut part of the first block reads as zeros when regrown */
	KTEST_EXPECT_EQ(t, ksys_ftruncate(fd, 100), 0);
	KTEST_EXPECT_EQ(t, ksys_ftruncate(fd, 8192), 0);
	KTEST_EXPECT_EQ(t, ksys_pread64(fd, q->buf, 8192, 0), 8192);
	KTEST_EXPECT_TRUE(t, check_pattern(q->buf, 100, 1));
	KTEST_EXPECT_EQ(t, q->buf[100] | q->buf[4095] | q->buf[4096], 0);
	KTEST_EXPECT_EQ(t, ksys_fstat(fd, &st), 0);
	KTEST_EXPECT_LE(t, st.blocks, 2 * 8); /* the inode and one block */
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
	qt_remount(t, q);
	KTEST_EXPECT_EQ(t, read_file("big", q->buf, 8192), 8192);
	KTEST_EXPECT_TRUE(t, check_pattern(q->buf, 100, 1));
	KTEST_EXPECT_EQ(t, q->buf[100] | q->buf[4095] | q->buf[4096], 0);
	KTEST_EXPECT_EQ(t, ksys_unlink("big"), 0);
	qt_remount(t, q);
	KTEST_EXPECT_EQ(t, free_blocks(), free0);
}

/* 100 000 names; 20 000 (depth 6 or more) under TSan and scheduling
 * points (qlfs_test_scale()): a single-threaded case gives a race detector
 * nothing more, and the other host jobs run it whole. */
#define BIG_DIR_ENTRIES	  100000
#define SMALL_DIR_ENTRIES 20000

static struct inode *path_inode(const char *path)
{
	struct path p;
	struct inode *inode;

	if (kern_path(path, 0, &p))
		return NULL;
	inode = d_inode(p.dentry);
	path_put(&p); /* the dentry stays cached: positive, hashed */
	return inode;
}

/* Count the entries of @path by getdents64 (each name once: a repeat
 * would show as more than @expect). */
static long count_entries(struct ktest *t, const char *path, char *buf)
{
	int fd = ksys_open(path, O_RDONLY | O_DIRECTORY, 0);
	long n = 0;
	ssize_t_k got;

	if (fd < 0)
		return fd;
	while ((got = ksys_getdents64(fd, buf, 64 << 10)) > 0)
		for (ssize_t_k off = 0; off < got;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);

			off += d->d_reclen;
			n++;
		}
	ksys_close(fd);
	return got < 0 ? got : n;
}

/* 100 000 names (hard links to one file, so the test measures the
 * directory, not 400 MiB of inodes): every one found, a miss reads at most
 * one bucket (2 blocks) per level, readdir returns each once, and all can
 * be deleted; across a remount. */
static void qlfs_directory_of_100000_entries(struct ktest *t)
{
	struct qt *q = t->priv;
	const u32 n = qlfs_test_scale(BIG_DIR_ENTRIES, SMALL_DIR_ENTRIES);

	if (!qlfs_test_disk(&q->d) && !qlfs_test_disk_is_fast(&q->d))
		ktest_skip(t, "100 000 names: on quire-host's memory disks only");
	q = qt_mount(t, QLFS_MIN_LOG_BLOCKS_PER_SEG);
	struct qlfs_inode_info *di;
	struct inode *dir;
	char name[32];
	struct kstat st;
	u64 before;
	u32 depth;

	KTEST_ASSERT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_ASSERT_EQ(t, write_file("f", "x", 1), 0);
	for (u32 i = 0; i < n; i++) {
		scnprintf(name, sizeof(name), "d/entry-%u", i);
		KTEST_ASSERT_EQ(t, ksys_link("f", name), 0);
		if ((i + 1) % 20000 == 0) /* progress: the harness sees it alive */
			cprintf("        # %s: %u names\n", t->name, i + 1);
	}
	KTEST_EXPECT_EQ(t, ksys_stat("f", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, n + 1);
	qt_remount(t, q);
	dir = path_inode("d");
	KTEST_ASSERT_NOT_NULL(t, dir);
	di = QLFS_I(dir);
	depth = di->i_current_depth;
	KTEST_EXPECT_GE(t, depth, n == BIG_DIR_ENTRIES ? 8 : 6);
	KTEST_EXPECT_LE(t, depth, 11);
	/* misses: the lookup reads 2 blocks per level, no more */
	for (u32 i = 0; i < 100; i++) {
		scnprintf(name, sizeof(name), "d/missing-%u", i);
		before = di->dentry_blocks_searched;
		KTEST_EXPECT_EQ(t, ksys_stat(name, &st), -ENOENT);
		KTEST_EXPECT_LE(t, di->dentry_blocks_searched - before, 2 * depth);
		KTEST_EXPECT_GT(t, di->dentry_blocks_searched - before, 0);
	}
	/* hits, from the disk (the dcache was emptied by the remount) */
	for (u32 i = 0; i < n; i += 97) {
		scnprintf(name, sizeof(name), "d/entry-%u", i);
		KTEST_EXPECT_EQ(t, ksys_stat(name, &st), 0);
	}
	KTEST_EXPECT_EQ(t, count_entries(t, "d", q->buf), n + 2);
	for (u32 i = 0; i < n; i++) {
		scnprintf(name, sizeof(name), "d/entry-%u", i);
		KTEST_ASSERT_EQ(t, ksys_unlink(name), 0);
		if ((i + 1) % 20000 == 0)
			cprintf("        # %s: %u names deleted\n", t->name, i + 1);
	}
	KTEST_EXPECT_EQ(t, count_entries(t, "d", q->buf), 2);
	KTEST_EXPECT_EQ(t, ksys_rmdir("d"), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("f", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 1);
}

/* Fill the file system: writes succeed until it is really full (the
 * last gets ENOSPC, statfs says about nothing is free), deleting the file
 * frees its blocks, and it fills again after a checkpoint. */
static void qlfs_enospc_only_when_full(struct ktest *t)
{
	struct qt *q = qt_mount(t, QLFS_MIN_LOG_BLOCKS_PER_SEG);
	u64 free0 = free_blocks(), written = 0;
	struct kstatfs sf;
	ssize_t_k w = 0;
	int fd;

	KTEST_ASSERT_GT(t, free0, 1000);
	fd = ksys_open("fill", O_CREAT | O_WRONLY, 0644);
	KTEST_ASSERT_GE(t, fd, 0);
	fill_pattern(q->buf, 64 << 10, 3);
	while ((w = ksys_write(fd, q->buf, 64 << 10)) > 0)
		written += w;
	KTEST_EXPECT_EQ(t, w, -ENOSPC);
	KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
	KTEST_ASSERT_EQ(t, ksys_statfs(QT, &sf), 0);
	/* the data took the free space, less the file's own nodes */
	KTEST_EXPECT_GE(t, written / 4096 + 64, free0);
	KTEST_EXPECT_LE(t, sf.f_bfree, 16);
	KTEST_EXPECT_EQ(t, ksys_mkdir("no-room", 0755), -ENOSPC);
	qt_sync_fsck(t, q);
	KTEST_EXPECT_EQ(t, ksys_unlink("fill"), 0);
	KTEST_EXPECT_EQ(t, free_blocks(), free0);
	ksys_sync(); /* the emptied segments become free (QM3) */
	KTEST_EXPECT_EQ(t, write_file("again", q->buf, 64 << 10), 0);
	qt_remount(t, q);
	KTEST_EXPECT_EQ(t, read_file("again", q->buf, 64 << 10), 64 << 10);
	KTEST_EXPECT_TRUE(t, check_pattern(q->buf, 64 << 10, 3));
}

/*
 * On a 32 MiB file system with 2 MiB segments (8 main segments, 6 of them
 * the logs' current ones) two files of 923 blocks fit the user blocks but
 * not the logs' free segments, and cleaning (gc.c) had nothing to work
 * with: a log ran dry at writeback (found by the parsing review: the umount
 * checkpoint then wrote NEW_ADDR into nodes), later the file system went
 * read-only there. Now mkfs refuses that geometry (-s 2M on 32 MiB), mount
 * refuses an image of it (suite qlfs_meta), and with the segments mkfs
 * picks the same two files are written, fsynced and read back after a
 * remount, fsck clean. (The read-only path stays for a log that finds no
 * segment anyway; filling tiny file systems until ENOSPC: suite qlfs_gc.)
 */
static void qlfs_32_mib_takes_the_files_that_ran_a_log_dry(struct ktest *t)
{
	struct qt *q = t->priv;
	struct qlfs_mkfs_opts o = {.log_bps = 9, .force = true, .quiet = true};

	qlfs_test_need_disk(t, &q->d);
	q->d.nr_blocks = 8192; /* mkfs: 32 MiB of the disk */
	KTEST_EXPECT_EQ(t, qlfs_mkfs(&q->d, &o), -ENOSPC);
	KTEST_ASSERT_EQ(t, qlfs_test_mount_fresh(&q->d, 0, QT), 0);
	q->mounted = true;
	KTEST_ASSERT_EQ(t, ksys_chdir(QT), 0);
	fill_pattern(q->buf, 64 << 10, 5);
	KTEST_ASSERT_EQ(t, write_file("a", q->buf, 64 << 10), 0);
	ksys_sync(); /* "a" is in the checkpoint */
	for (int f = 0; f < 2; f++) {
		char name[2] = {(char)('b' + f), 0};
		int fd = ksys_open(name, O_CREAT | O_WRONLY, 0644);

		KTEST_ASSERT_GE(t, fd, 0);
		for (int i = 0; i < 923 * 4096 / (64 << 10); i++)
			KTEST_ASSERT_EQ(t, ksys_write(fd, q->buf, 64 << 10), 64 << 10);
		KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
		ksys_close(fd);
	}
	qt_remount(t, q);
	KTEST_EXPECT_EQ(t, read_file("a", q->buf, 64 << 10), 64 << 10);
	KTEST_EXPECT_TRUE(t, check_pattern(q->buf, 64 << 10, 5));
	KTEST_EXPECT_EQ(t, read_file("c", q->buf, 64 << 10), 64 << 10);
	KTEST_EXPECT_TRUE(t, check_pattern(q->buf, 64 << 10, 5));
}

/* A file unlinked while open is an orphan through a checkpoint (fsck
 * clean: QL13 allows it), still readable, and freed at its last close. */
static void qlfs_unlinked_open_file_is_an_orphan(struct ktest *t)
{
	struct qt *q = qt_mount(t, 0);
	u64 free0 = free_blocks();
	int fd;

	fill_pattern(q->buf, 64 << 10, 4);
	KTEST_ASSERT_EQ(t, write_file("o", q->buf, 64 << 10), 0);
	fd = ksys_open("o", O_RDONLY, 0);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_unlink("o"), 0);
	qt_sync_fsck(t, q);
	memset(q->buf, 0, 64 << 10);
	KTEST_EXPECT_EQ(t, ksys_pread64(fd, q->buf, 64 << 10, 0), 64 << 10);
	KTEST_EXPECT_TRUE(t, check_pattern(q->buf, 64 << 10, 4));
	KTEST_EXPECT_LT(t, free_blocks(), free0);
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
	KTEST_EXPECT_EQ(t, free_blocks(), free0);
	qt_sync_fsck(t, q);
}

/* Renames: a file over another, a directory into another directory (its
 * ".." and both parents' link counts), RENAME_NOREPLACE, an exchange;
 * checked after a remount by the names, the counts and fsck (QL11, QL12). */
static void qlfs_renames_across_directories(struct ktest *t)
{
	struct qt *q = qt_mount(t, 0);
	char buf[16];
	struct kstat st;
	u64 ino;

	KTEST_ASSERT_EQ(t, ksys_mkdir("p", 0755), 0);
	KTEST_ASSERT_EQ(t, ksys_mkdir("r", 0755), 0);
	KTEST_ASSERT_EQ(t, ksys_mkdir("p/sub", 0755), 0);
	KTEST_ASSERT_EQ(t, write_file("p/sub/x", "xx", 2), 0);
	KTEST_ASSERT_EQ(t, write_file("a", "aaa", 3), 0);
	KTEST_ASSERT_EQ(t, write_file("b", "bbbb", 4), 0);
	KTEST_EXPECT_EQ(t, ksys_rename("a", "b", 0), 0);
	KTEST_EXPECT_EQ(t, ksys_rename("p/sub", "r/moved", 0), 0);
	KTEST_EXPECT_EQ(t, ksys_rename("b", "r/moved/x", RENAME_NOREPLACE), -EEXIST);
	KTEST_EXPECT_EQ(t, ksys_rename("b", "r/moved/x", RENAME_EXCHANGE), 0);
	qt_remount(t, q);
	KTEST_EXPECT_EQ(t, read_file("b", buf, sizeof(buf)), 2);
	KTEST_EXPECT_EQ(t, read_file("r/moved/x", buf, sizeof(buf)), 3);
	KTEST_EXPECT_EQ(t, ksys_stat("a", &st), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_stat("p", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 2);
	KTEST_EXPECT_EQ(t, ksys_stat("r", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 3);
	ino = st.ino;
	KTEST_EXPECT_EQ(t, ksys_stat("r/moved/..", &st), 0);
	KTEST_EXPECT_EQ(t, st.ino, ino);
	/* a directory over an empty one: p gains one, r loses one */
	KTEST_ASSERT_EQ(t, ksys_mkdir("p/empty", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_rename("p", "r/moved", 0), -ENOTEMPTY);
	KTEST_EXPECT_EQ(t, ksys_rename("r/moved", "p/empty", 0), 0);
	qt_remount(t, q);
	KTEST_EXPECT_EQ(t, ksys_stat("p", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 3);
	KTEST_EXPECT_EQ(t, ksys_stat("r", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 2);
	KTEST_EXPECT_EQ(t, read_file("p/empty/x", buf, sizeof(buf)), 3);
}

/* Hostile blocks on disk, sealed so that their checksums pass: a dentry
 * whose name runs past the longest name (QD3) and a file address in the
 * superblock area (QDA1). The bad entry is skipped and the good one beside
 * it still found, the bad address reads as -EIO, never another block, and
 * both make the file system read-only with one line; fsck agrees that the
 * disk is damaged. */
static void qlfs_hostile_dentry_and_address_are_refused(struct ktest *t)
{
	struct qt *q = qt_mount(t, 0);
	struct qlfs_dentry_block *db;
	struct qlfs_inode *ri;
	u32 dblk, iblk, ino, bad = 0;
	struct inode *dir, *file;
	u8 version;
	struct kstat st;
	int s, fd;

	KTEST_ASSERT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_ASSERT_EQ(t, write_file("d/a", "a", 1), 0);
	KTEST_ASSERT_EQ(t, write_file("d/bb", "b", 1), 0);
	fill_pattern(q->buf, 4096, 5);
	KTEST_ASSERT_EQ(t, write_file("f", q->buf, 4096), 0);
	ksys_sync();
	dir = path_inode("d");
	file = path_inode("f");
	KTEST_ASSERT_TRUE(t, dir && file);
	KTEST_ASSERT_EQ(t, qlfs_data_blkaddr_of(dir, 0, &dblk), 0);
	KTEST_ASSERT_EQ(
		t,
		qlfs_get_nat_entry(QLFS_I_SB(file), file->i_ino, &ino, &iblk, &version),
		0);
	ino = file->i_ino;
	KTEST_ASSERT_EQ(t, ksys_chdir("/"), 0);
	KTEST_ASSERT_EQ(t, ksys_umount(QT, 0), 0);
	q->mounted = false; /* damaged on purpose: no clean fsck at the end */

	db = (void *)q->buf;
	KTEST_ASSERT_EQ(t, qlfs_dev_read(&q->d, dblk, db, 1), 0);
	s = qlfs_dblock_find(db, (const u8 *)"a", 1, qlfs_dentry_hash((const u8 *)"a", 1),
			     &bad);
	KTEST_ASSERT_GE(t, s, 2);
	db->dentry[s].name_len = cpu_to_le16(300);
	qlfs_block_seal(db, dblk);
	KTEST_ASSERT_EQ(t, qlfs_dev_write(&q->d, dblk, db, 1), 0);
	ri = (void *)q->buf;
	KTEST_ASSERT_EQ(t, qlfs_dev_read(&q->d, iblk, ri, 1), 0);
	KTEST_ASSERT_EQ(t, le32_to_cpu(ri->footer.nid), ino); /* the inode's block */
	KTEST_ASSERT_NE(t, le32_to_cpu(ri->i_addr[0]), 0);
	ri->i_addr[0] = cpu_to_le32(1); /* superblock copy 1 */
	qlfs_block_seal(ri, iblk);
	KTEST_ASSERT_EQ(t, qlfs_dev_write(&q->d, iblk, ri, 1), 0);
	KTEST_ASSERT_NE(t, qlfs_test_fsck(&q->d), 0);

	KTEST_ASSERT_EQ(t, ksys_mount(q->d.disk->disk_name, QT, "qlfs", 0, NULL), 0);
	KTEST_EXPECT_EQ(t, ksys_stat(QT "/d/bb", &st), 0);
	KTEST_EXPECT_EQ(t, ksys_stat(QT "/d/a", &st), -ENOENT);
	KTEST_EXPECT_EQ(t, write_file(QT "/new", "x", 1), -EROFS);
	fd = ksys_open(QT "/f", O_RDONLY, 0);
	if (fd >= 0) { /* or refused at iget, as QL10 allows */
		KTEST_EXPECT_EQ(t, ksys_read(fd, q->buf, 4096), -EIO);
		KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
	} else {
		KTEST_EXPECT_TRUE(t, fd == -EIO || fd == -EUCLEAN);
	}
	KTEST_EXPECT_EQ(t, ksys_umount(QT, 0), 0);
}

/* Another writable test disk than @q's, for its /dev node. */
struct other_disk {
	struct gendisk *skip, *found;
};

static int pick_other_disk(struct gendisk *disk, void *arg)
{
	struct other_disk *o = arg;

	if (disk == o->skip || !disk_is_test_disk(disk) || bdev_read_only(&disk->part0) ||
	    disk_is_dead(disk) || get_capacity(disk) < 8)
		return 0;
	o->found = disk;
	return 1;
}

/*
 * Run one shell command, as the shell would, through ktest_run_command()
 * (its own buffer: shell_run_line() parses into one static buffer, which a
 * nested call would overwrite under the running `test` command's line).
 */
extern const struct shell_command *__start_quire_shell_commands[] __weak;
extern const struct shell_command *__stop_quire_shell_commands[] __weak;

static int run_shell(const char *line)
{
	const char *sp = strchr(line, ' ');
	size_t n = sp ? (size_t)(sp - line) : strlen(line);

	for (const struct shell_command **p = __start_quire_shell_commands;
	     p < __stop_quire_shell_commands; p++)
		if (strlen((*p)->name) == n && !strncmp((*p)->name, line, n))
			return ktest_run_command((*p)->run, line);
	return -ENOENT;
}

/* do_writepages()' three branches from the shell, as a user would show
 * them (`trace events wbc_writepage; trace start` shows one bdi per
 * branch): a qlfs file (->writepages: qlfs_writepages() gives its blocks
 * new addresses), another disk through /dev (->writepage, Linux's
 * writeback_use_writepage()), /dev/null (neither: fsync says EINVAL, as
 * Linux's). */
static void qlfs_do_writepages_three_branches(struct ktest *t)
{
	struct qt *q = qt_mount(t, 0);
	struct other_disk o = {.skip = q->d.disk};
	char line[64 + DISK_NAME_LEN];
	struct qlfs_sb_info *sbi;
	struct inode *inode;
	unsigned long calls;
	u64 written;

	/* ->writepages */
	inode = path_inode(".");
	KTEST_ASSERT_NOT_NULL(t, inode);
	sbi = QLFS_I_SB(inode);
	written = READ_ONCE(sbi->data_blocks_written);
	KTEST_ASSERT_EQ(t, run_shell("write " QT "/w hello"), 0);
	inode = path_inode("w");
	KTEST_ASSERT_NOT_NULL(t, inode);
	KTEST_EXPECT_TRUE(t, inode->i_mapping->a_ops->writepages != NULL);
	KTEST_EXPECT_TRUE(t, mapping_tagged(inode->i_mapping, PAGECACHE_TAG_DIRTY));
	KTEST_EXPECT_EQ(t, run_shell("fsync " QT "/w"), 0);
	KTEST_EXPECT_FALSE(t, mapping_tagged(inode->i_mapping, PAGECACHE_TAG_DIRTY));
	/* the file's page, and at most the directory's block */
	KTEST_EXPECT_GE(t, READ_ONCE(sbi->data_blocks_written) - written, 1);
	KTEST_EXPECT_LE(t, READ_ONCE(sbi->data_blocks_written) - written, 2);

	/* ->writepage: another test disk's page cache */
	disk_iterate(pick_other_disk, &o);
	if (o.found) {
		/* the disk's bdev inode: /dev's node only carries its number */
		inode = bdev_inode_get(o.found);
		KTEST_ASSERT_NOT_NULL(t, inode);
		iput(inode); /* the disk (a test disk) keeps its own */
		KTEST_EXPECT_TRUE(t, inode->i_mapping->a_ops->writepages == NULL);
		KTEST_EXPECT_TRUE(t, inode->i_mapping->a_ops->writepage != NULL);
		calls = bdev_writepage_calls(inode);
		scnprintf(line, sizeof(line), "write /dev/%s hello", o.found->disk_name);
		KTEST_EXPECT_EQ(t, run_shell(line), 0);
		scnprintf(line, sizeof(line), "fsync /dev/%s", o.found->disk_name);
		KTEST_EXPECT_EQ(t, run_shell(line), 0);
		KTEST_EXPECT_GE(t, bdev_writepage_calls(inode) - calls, 1);
		invalidate_mapping_pages(inode->i_mapping, 0, ~0ul); /* no leak */
	}

	/* /dev/null: no writeback operations at all */
	inode = path_inode("/dev/null");
	KTEST_ASSERT_NOT_NULL(t, inode);
	KTEST_EXPECT_TRUE(t, inode->i_mapping->a_ops->writepages == NULL);
	KTEST_EXPECT_TRUE(t, inode->i_mapping->a_ops->writepage == NULL);
	KTEST_EXPECT_EQ(t, run_shell("write /dev/null hello"), 0);
	KTEST_EXPECT_EQ(t, run_shell("fsync /dev/null"), -EINVAL);
	KTEST_EXPECT_EQ(t, filemap_write_and_wait(inode->i_mapping), 0);
}

static const struct ktest_case qlfs_cases[] = {
	KTEST_CASE(qlfs_data_and_names_survive_remount),
	KTEST_CASE(qlfs_sparse_4gib_file),
	KTEST_CASE(qlfs_directory_of_100000_entries),
	KTEST_CASE(qlfs_enospc_only_when_full),
	KTEST_CASE(qlfs_32_mib_takes_the_files_that_ran_a_log_dry),
	KTEST_CASE(qlfs_unlinked_open_file_is_an_orphan),
	KTEST_CASE(qlfs_renames_across_directories),
	KTEST_CASE(qlfs_hostile_dentry_and_address_are_refused),
	KTEST_CASE(qlfs_do_writepages_three_branches),
	KTEST_END,
};

static const struct ktest_suite qlfs_suite = {
	.name = "qlfs",
	.init = qt_init,
	.exit = qt_exit,
	.cases = qlfs_cases,
};
KTEST_SUITE(qlfs_suite);
