/*
 * fs/fsbench_test.c - the `fsbench` suite: every row at a small scale on a
 * fresh ramfs (rows printed in the documented format, with the amounts the
 * scale gives, the data checked by fsbench itself, nothing left behind),
 * an error that stops the bench without touching files it did not make,
 * the option errors, the stamps' check (negative controls), --raw on a
 * test disk (the bytes reach the disk) and on a read-only one, and on a
 * fresh qlfs (a test disk of 32 MiB or more) each row's qlfs line: the
 * blocks it wrote, and on a disk filled to 95 % the cleaning its
 * overwrites forced.
 *
 * Timings vary: the cases compare the rows' names and amounts, never a
 * time or a rate.
 */
#include "fs-shell.h"
#include "fsbench_internal.h"
#include <quire/syscalls.h>
#include <quire/ktest.h>
#include <quire/blkdev.h>
#include <quire/fs.h>
#include <quire/mm.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include "qlfs/qlfs_test.h"

#define FSB_DIR	 "/fsb_test"
#define FSB_QDIR "/fsb_qlfs"
#define OUT_LEN	 8192

struct fsbt {
	char out[OUT_LEN];
	struct qlfs_dev qd; /* the qlfs cases' test disk */
	bool qmounted;	    /* a qlfs is mounted at FSB_QDIR */
};

/* Does the line that @s is in (up to its newline, included) contain @sub? */
static bool line_has(const char *s, const char *sub)
{
	char line[160];
	const char *nl = strchr(s, '\n');
	size_t len = nl ? (size_t)(nl - s + 1) : strlen(s);

	if (len >= sizeof(line))
		return false;
	memcpy(line, s, len);
	line[len] = '\0';
	return fsh_has(line, sub);
}

static int fsbt_init(struct ktest *t)
{
	struct fsbt *c = kzalloc(sizeof(*c), GFP_KERNEL);
	int err;

	if (!c)
		return -ENOMEM;
	t->priv = c;
	err = ksys_mkdir(FSB_DIR, 0755);
	if (err && err != -EEXIST)
		return err;
	return ksys_mount("none", FSB_DIR, "ramfs", 0, NULL);
}

static void fsbt_exit(struct ktest *t)
{
	struct fsbt *c = t->priv;

	fsh_capture(NULL, 0);
	if (c->qmounted && ksys_umount(FSB_QDIR, 0))
		ksys_umount(FSB_QDIR, MNT_DETACH);
	if (c->qmounted)
		ksys_rmdir(FSB_QDIR);
	qlfs_dev_close(&c->qd);
	ksys_umount(FSB_DIR, 0);
	ksys_rmdir(FSB_DIR);
	kfree(t->priv);
}

/* Run @line, capturing what it prints; its status. */
static int run(struct ktest *t, const char *line)
{
	struct fsbt *c = t->priv;

	return fsh_run_captured(c->out, sizeof(c->out), line);
}

/* The line of row @name in @out: "name amount unit secs s rate unit/s";
 * its amount and unit, or false when no such line is there. */
static bool find_row(const char *out, const char *name, unsigned long long *amount,
		     char unit[8])
{
	size_t n = strlen(name);

	for (const char *l = out; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
		const char *p = l + n;
		unsigned int u = 0;

		if (strncmp(l, name, n) || *p != ' ')
			continue;
		while (*p == ' ')
			p++;
		*amount = 0;
		while (*p >= '0' && *p <= '9')
			*amount = *amount * 10 + (*p++ - '0');
		while (*p == ' ')
			p++;
		while (*p && *p != ' ' && u < 7)
			unit[u++] = *p++;
		unit[u] = '\0';
		/* the seconds and the rate follow on the same line:
		 * " N.NNNNNN s  R.R MB/s" */
		return line_has(p, " s ") &&
		       (line_has(p, " MB/s\n") || line_has(p, " ops/s\n"));
	}
	return false;
}

static void expect_row(struct ktest *t, const char *name, unsigned long long want,
		       const char *unit)
{
	struct fsbt *c = t->priv;
	unsigned long long got;
	char u[8];

	if (!find_row(c->out, name, &got, u))
		ktest_fail(t, __FILE__, __LINE__, "no row '%s' in \"%s\"", name, c->out);
	else if (got != want || strcmp(u, unit))
		ktest_fail(t, __FILE__, __LINE__, "row %s: %llu %s, want %llu %s", name,
			   got, u, want, unit);
}

static void expect_no_row(struct ktest *t, const char *name)
{
	struct fsbt *c = t->priv;
	unsigned long long got;
	char u[8];

	if (find_row(c->out, name, &got, u))
		ktest_fail(t, __FILE__, __LINE__, "row '%s' should not be there: \"%s\"",
			   name, c->out);
}

/* Names in directory @path other than "." and "..". */
static int count_entries(const char *path)
{
	char buf[512];
	int fd = ksys_open(path, O_RDONLY | O_DIRECTORY, 0), n = 0;
	ssize_t_k got;

	if (fd < 0)
		return fd;
	while ((got = ksys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t_k off = 0; off < got;) {
			struct linux_dirent64 *d = (void *)(buf + off);

			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				n++;
			off += d->d_reclen;
		}
	}
	ksys_close(fd);
	return got < 0 ? (int)got : n;
}

/* -s 256: seq 1 MiB, rand 256 KiB (64 writes a row), 39 small files. */
static void every_row_runs_checks_its_data_and_leaves_nothing(struct ktest *t)
{
	KTEST_ASSERT_EQ(t, run(t, "fsbench -s 256 --seed 7 --fs ramfs " FSB_DIR), 0);
	KTEST_EXPECT_TRUE(t, fsh_has(((struct fsbt *)t->priv)->out,
				     "fsbench " FSB_DIR
				     " (ramfs): scale 256, seed 7: seq 1024 KiB, "
				     "rand 256 KiB, 39 small files in 10 dirs\n"));
	expect_row(t, "seq-write", 1ULL << 20, "bytes");
	expect_row(t, "seq-read", 1ULL << 20, "bytes");
	expect_row(t, "rand-write", 256ULL << 10, "bytes");
	expect_row(t, "rand-write-fs64", 256ULL << 10, "bytes");
	expect_row(t, "small-create", 39, "ops");
	expect_row(t, "small-read", 39, "ops");
	expect_row(t, "small-delete", 39, "ops");
	KTEST_EXPECT_FALSE(t, fsh_has(((struct fsbt *)t->priv)->out, ": qlfs: "));
	KTEST_EXPECT_EQ(t, count_entries(FSB_DIR), 0);
}

/* The figures of row @name's qlfs line ("  ROW: qlfs: ..."), in its
 * order (enum fsb_qlfs_counter of fsbench.c); false if there is none. */
static bool find_qlfs_line(const char *out, const char *name, u64 v[9])
{
	char head[40];
	const char *p = NULL;
	unsigned int n = 0;
	size_t len = scnprintf(head, sizeof(head), "  %s: qlfs: ", name);

	for (const char *l = out; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "")
		if (!strncmp(l, head, len)) {
			p = l + len;
			break;
		}
	if (!p)
		return false;
	while (*p && *p != '\n' && n < 9) {
		if (*p < '0' || *p > '9') {
			p++;
			continue;
		}
		v[n] = 0;
		while (*p >= '0' && *p <= '9')
			v[n] = v[n] * 10 + (*p++ - '0');
		n++;
	}
	return n == 9 && line_has(p, "segments reused by SSR\n");
}

enum {
	QL_CP,
	QL_DATA,
	QL_NODE,
	QL_GC_FG,
	QL_GC_BG,
	QL_GC_SEGS,
	QL_GC_DATA,
	QL_GC_NODE,
	QL_SSR
};

/* A fresh qlfs at FSB_QDIR on the first test disk of 32 MiB or more. */
static void mount_qlfs(struct ktest *t)
{
	struct fsbt *c = t->priv;

	qlfs_test_fresh_mount(t, &c->qd, 0, FSB_QDIR);
	c->qmounted = true;
}

/* Unmounted, and fsck finds the disk clean. */
static void umount_qlfs(struct ktest *t)
{
	struct fsbt *c = t->priv;

	KTEST_ASSERT_EQ(t, ksys_umount(FSB_QDIR, 0), 0);
	c->qmounted = false;
	ksys_rmdir(FSB_QDIR);
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&c->qd), 0);
}

/*
 * On qlfs each row is followed by what qlfs did during it. seq-write
 * (1 MiB at -s 256, then fsync) wrote each of its 256 data blocks and
 * at least its inode; the random rows' fsyncs wrote data and nodes. On
 * ramfs no such line (every_row_runs_...: checked there).
 */
static void qlfs_rows_say_what_qlfs_wrote(struct ktest *t)
{
	struct fsbt *c = t->priv;
	u64 v[9];

	mount_qlfs(t);
	KTEST_ASSERT_EQ(t, run(t, "fsbench -s 256 --rows seq,rand --fs qlfs " FSB_QDIR),
			0);
	expect_row(t, "seq-write", 1ULL << 20, "bytes");
	KTEST_ASSERT_TRUE(t, find_qlfs_line(c->out, "seq-write", v));
	KTEST_EXPECT_GE(t, v[QL_DATA], 256);
	KTEST_EXPECT_GE(t, v[QL_NODE], 1);
	KTEST_ASSERT_TRUE(t, find_qlfs_line(c->out, "seq-read", v));
	KTEST_EXPECT_EQ(t, v[QL_DATA], 0); /* reading writes no data */
	for (unsigned int i = 0; i < 2; i++) {
		const char *row = i ? "rand-write-fs64" : "rand-write";

		KTEST_ASSERT_TRUE(t, find_qlfs_line(c->out, row, v));
		KTEST_EXPECT_GE(t, v[QL_DATA], 1);
		KTEST_EXPECT_LE(t, v[QL_DATA], 64 + v[QL_GC_DATA]);
		KTEST_EXPECT_GE(t, v[QL_NODE], 1);
	}
	umount_qlfs(t);
}

/*
 * --fill 95, then 2 x 1024 random 4 KiB overwrites of a 4 MiB file (-s
 * 16): 8 MiB of new blocks where at most 5 % of the disk (1.6 MiB of 32)
 * was free. A log-structured file system gets space back only by
 * cleaning segments or reusing their holes (SSR), so the random rows'
 * lines must count one or the other: the counters are the cleaner's.
 */
static void qlfs_rows_count_the_cleaning_of_a_full_disk(struct ktest *t)
{
	struct fsbt *c = t->priv;
	u64 v[9], reclaimed = 0;

	mount_qlfs(t);
	KTEST_ASSERT_EQ(
		t, run(t, "fsbench -s 16 --rows rand --fill 95 --fs qlfs " FSB_QDIR), 0);
	KTEST_EXPECT_TRUE(t, fsh_has(c->out, "  fill: "));
	for (unsigned int i = 0; i < 2; i++) {
		const char *row = i ? "rand-write-fs64" : "rand-write";

		expect_row(t, row, 4ULL << 20, "bytes");
		KTEST_ASSERT_TRUE(t, find_qlfs_line(c->out, row, v));
		reclaimed += v[QL_GC_SEGS] + v[QL_SSR];
		cprintf("    # %s: %llu data, %llu node blocks; %llu+%llu cleaner runs, %llu segments cleaned, %llu by SSR\n",
			row, (unsigned long long)v[QL_DATA],
			(unsigned long long)v[QL_NODE], (unsigned long long)v[QL_GC_FG],
			(unsigned long long)v[QL_GC_BG],
			(unsigned long long)v[QL_GC_SEGS], (unsigned long long)v[QL_SSR]);
	}
	KTEST_EXPECT_GT(t, reclaimed, 0);
	umount_qlfs(t);
}

static void rows_option_runs_only_those_rows(struct ktest *t)
{
	KTEST_ASSERT_EQ(t, run(t, "fsbench -s 1000 --rows small " FSB_DIR), 0);
	expect_row(t, "small-create", 10, "ops");
	expect_row(t, "small-delete", 10, "ops");
	expect_no_row(t, "seq-write");
	expect_no_row(t, "rand-write");
	KTEST_EXPECT_EQ(t, count_entries(FSB_DIR), 0);
}

/*
 * A user's file where fsbench wants to create its own: the bench stops at
 * that row with one error line, removes what it made, and leaves the
 * user's file as it was.
 */
static void an_error_stops_the_bench_and_spares_other_files(struct ktest *t)
{
	struct fsbt *c = t->priv;
	char buf[8] = {0};
	int fd = ksys_open(FSB_DIR "/fsbench.rand", O_WRONLY | O_CREAT, 0644);

	KTEST_ASSERT_TRUE(t, fd >= 0);
	KTEST_EXPECT_EQ(t, ksys_write(fd, "mine", 4), 4);
	ksys_close(fd);
	KTEST_EXPECT_EQ(t, run(t, "fsbench -s 256 " FSB_DIR), -EEXIST);
	expect_row(t, "seq-read", 1ULL << 20, "bytes");
	expect_no_row(t, "rand-write");
	expect_no_row(t, "small-create");
	KTEST_EXPECT_TRUE(t, fsh_has(c->out, "fsbench: rand-write: create: " FSB_DIR
					     "/fsbench.rand: File exists (EEXIST)\n"));
	KTEST_EXPECT_EQ(t, count_entries(FSB_DIR), 1);
	fd = ksys_open(FSB_DIR "/fsbench.rand", O_RDONLY, 0);
	KTEST_ASSERT_TRUE(t, fd >= 0);
	KTEST_EXPECT_EQ(t, ksys_read(fd, buf, sizeof(buf)), 4);
	KTEST_EXPECT_EQ(t, memcmp(buf, "mine", 4), 0);
	ksys_close(fd);
	KTEST_EXPECT_EQ(t, ksys_unlink(FSB_DIR "/fsbench.rand"), 0);
}

/* --fill needs to know how big the file system is: ramfs does not say. The
 * bench stops before the random rows and leaves nothing behind. */
static void fill_refuses_a_file_system_without_a_size(struct ktest *t)
{
	struct fsbt *c = t->priv;

	KTEST_EXPECT_EQ(t, run(t, "fsbench -s 256 --rows rand --fill 50 " FSB_DIR),
			-EINVAL);
	KTEST_EXPECT_TRUE(t, fsh_has(c->out, "fsbench: --fill: " FSB_DIR
					     " reports no size (statfs f_blocks 0)\n"));
	expect_no_row(t, "rand-write");
	KTEST_EXPECT_EQ(t, count_entries(FSB_DIR), 0);
}

static void expect_usage(struct ktest *t, const char *line, const char *msg)
{
	struct fsbt *c = t->priv;

	KTEST_EXPECT_EQ(t, run(t, line), -EINVAL);
	if (!fsh_has(c->out, msg))
		ktest_fail(t, __FILE__, __LINE__, "'%s' printed \"%s\", want \"%s\"",
			   line, c->out, msg);
}

static void bad_options_are_refused_with_a_reason(struct ktest *t)
{
	struct fsbt *c = t->priv;

	expect_usage(t, "fsbench", "fsbench: usage: fsbench [-s SCALE]");
	expect_usage(t, "fsbench -s 0 " FSB_DIR,
		     "fsbench: -s: need a number in 1..65536\n");
	expect_usage(t, "fsbench -s x " FSB_DIR, "fsbench: -s: need a number");
	expect_usage(t, "fsbench -s", "fsbench: -s: needs a value\n");
	expect_usage(t, "fsbench --fill 100 " FSB_DIR,
		     "fsbench: --fill: need a number in 0..99\n");
	expect_usage(t, "fsbench " FSB_DIR " --fs", "fsbench: --fs: needs a value\n");
	expect_usage(t, "fsbench --rows seq,big " FSB_DIR,
		     "fsbench: --rows: 'big': expected seq, rand or small\n");
	expect_usage(t, "fsbench -q " FSB_DIR, "fsbench: unknown option '-q'\n");
	expect_usage(t, "fsbench " FSB_DIR " " FSB_DIR,
		     "fsbench: one DIR or DISK only\n");
	expect_usage(t, "fsbench --raw nosuchdisk",
		     "fsbench: --raw: no disk named 'nosuchdisk'\n");
	expect_usage(t, "fsbench --fs qlfs " FSB_DIR,
		     "fsbench: " FSB_DIR " is on ramfs, not qlfs\n");
	KTEST_EXPECT_EQ(t, run(t, "fsbench " FSB_DIR "/none"), -ENOTDIR);
	KTEST_EXPECT_TRUE(t, fsh_has(c->out, "Not a directory (ENOTDIR)\n"));
	KTEST_EXPECT_EQ(t, count_entries(FSB_DIR), 0);
}

/* The check is what makes the rows' data trustworthy: each wrong field,
 * and a zero block (a hole), fails it. */
static void a_stamp_checks_magic_generation_and_offset(struct ktest *t)
{
	u8 *blk = kzalloc(PAGE_SIZE, GFP_KERNEL);

	KTEST_ASSERT_TRUE(t, blk != NULL);
	KTEST_EXPECT_EQ(t, fsb_check(blk, 0, 0), -EIO); /* a hole */
	fsb_stamp(blk, 3, 8192);
	KTEST_EXPECT_EQ(t, fsb_check(blk, 3, 8192), 0);
	KTEST_EXPECT_EQ(t, fsb_check(blk, 2, 8192), -EIO); /* stale */
	KTEST_EXPECT_EQ(t, fsb_check(blk, 3, 4096), -EIO); /* misplaced */
	blk[0] ^= 1;
	KTEST_EXPECT_EQ(t, fsb_check(blk, 3, 8192), -EIO); /* not ours */
	kfree(blk);
}

struct pick {
	bool want_ro;
	struct gendisk *disk;
};

static int pick_disk(struct gendisk *disk, void *arg)
{
	struct pick *p = arg;

	if (!disk_is_test_disk(disk) || disk_is_dead(disk) ||
	    bdev_read_only(&disk->part0) != p->want_ro ||
	    get_capacity(disk) < (1u << 20) / SECTOR_SIZE)
		return 0;
	p->disk = disk;
	return 1;
}

static struct gendisk *test_disk(struct ktest *t, bool ro)
{
	struct pick p = {.want_ro = ro};

	disk_iterate(pick_disk, &p);
	if (!p.disk)
		ktest_skip(
			t,
			ro ? "no read-only test disk (serial quire-test*)" :
			     "no writable test disk of 1 MiB or more (serial quire-test*)");
	return p.disk;
}

/* -s 256: 1 MiB from sector 0; what it wrote is on the disk after (read
 * back with O_DIRECT: no cache between). */
static void raw_writes_the_region_and_flushes(struct ktest *t)
{
	struct gendisk *disk = test_disk(t, false);
	char line[64];
	struct file *f;
	u8 *buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	loff_t pos = 1020 << 10;

	KTEST_ASSERT_TRUE(t, buf != NULL);
	scnprintf(line, sizeof(line), "fsbench -s 256 --raw %s", disk->disk_name);
	KTEST_EXPECT_EQ(t, run(t, line), 0);
	expect_row(t, "raw-write", 1ULL << 20, "bytes");
	f = blkdev_open_by_name(disk->disk_name, O_RDONLY | O_DIRECT);
	KTEST_ASSERT_TRUE(t, !IS_ERR(f));
	KTEST_EXPECT_EQ(t, f->f_op->read(f, buf, PAGE_SIZE, &pos), PAGE_SIZE);
	fput(f);
	/* the fill pattern of every raw bio (fsb_fill()) */
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		if (buf[i] != (u8)(0xa5 ^ (i * 31))) {
			ktest_fail(t, __FILE__, __LINE__,
				   "byte %u of the last 4 KiB: %#x", i, buf[i]);
			break;
		}
	kfree(buf);
}

static void raw_refuses_a_read_only_disk(struct ktest *t)
{
	struct gendisk *disk = test_disk(t, true);
	struct fsbt *c = t->priv;
	char line[64];

	scnprintf(line, sizeof(line), "fsbench --raw %s", disk->disk_name);
	KTEST_EXPECT_EQ(t, run(t, line), -EROFS);
	KTEST_EXPECT_TRUE(t, fsh_has(c->out, "Read-only file system (EROFS)\n"));
}

static const struct ktest_case fsbench_cases[] = {
	KTEST_CASE(every_row_runs_checks_its_data_and_leaves_nothing),
	KTEST_CASE(rows_option_runs_only_those_rows),
	KTEST_CASE(an_error_stops_the_bench_and_spares_other_files),
	KTEST_CASE(fill_refuses_a_file_system_without_a_size),
	KTEST_CASE(bad_options_are_refused_with_a_reason),
	KTEST_CASE(a_stamp_checks_magic_generation_and_offset),
	KTEST_CASE(raw_writes_the_region_and_flushes),
	KTEST_CASE(raw_refuses_a_read_only_disk),
	KTEST_CASE(qlfs_rows_say_what_qlfs_wrote),
	KTEST_CASE(qlfs_rows_count_the_cleaning_of_a_full_disk),
	KTEST_END,
};

static const struct ktest_suite fsbench_suite = {
	.name = "fsbench",
	.init = fsbt_init,
	.exit = fsbt_exit,
	.cases = fsbench_cases,
};
KTEST_SUITE(fsbench_suite);
