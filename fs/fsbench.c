/*
 * fs/fsbench.c - `fsbench`: the file system rows of issue 10's benchmark
 * (docs/bench-qlfs.md), on whatever file system is mounted at DIR, and
 * the raw disk's sequential write bandwidth they are judged against.
 *
 * Layer: fs (a shell tool). Used by: the shell, tools/bench (section
 * qlfs), fs/fsbench_test.c.
 * Provides: the `fsbench` command; fsb_stamp() and fsb_check() for its
 * tests (fs/fsbench_internal.h).
 * Not here: the Linux side (tools/linux-bench/fsbench.c runs the same
 * rows, with the same sizes, seeds and checks, on Linux's f2fs and ext4).
 *
 *   fsbench [-s SCALE] [--seed N] [--rows seq,rand,small] [--fs TYPE] [--fill PCT] DIR
 *   fsbench [-s SCALE] --raw DISK
 *
 * Rows (sizes divided by SCALE, default 1):
 *   seq-write        a 256 MiB file in 1 MiB writes, then fsync
 *   seq-read         its read back, after its page cache was dropped
 *   rand-write       16384 seeded 4 KiB overwrites of a 64 MiB file, one
 *                    fsync at the end
 *   rand-write-fs64  the same with an fsync after every 64 writes
 *   small-create     10 000 files of 1 KiB in 10 directories, then sync
 *   small-read       each read back (open, read, close) after the page
 *                    cache was dropped
 *   small-delete     each unlinked, then sync
 *   raw-write        (--raw) 256 MiB written to the disk in 1 MiB bios,
 *                    8 in flight, then a cache flush
 *
 * Each row is timed with arch_clock_ns() and printed as one line:
 *
 *   seq-write        268435456 bytes     5.123456 s      52.3 MB/s
 *   small-create         10000 ops       2.000000 s    5000.0 ops/s
 *
 * (MB = 10^6 bytes), then what the disk completed during it ("  ROW: io:
 * ...") and, on qlfs, what qlfs did ("  ROW: qlfs: ..."): checkpoints,
 * blocks written, the cleaner's runs and moves, SSR; the counters of the
 * `qlfs` command, read through include/quire/qlfs_stats.h, before and after
 * the row. The set-up of a row (creating the 64 MiB file the
 * random rows overwrite, dropping a cache: each random row starts with the
 * file out of the cache) and its check are not timed.
 * Every 4 KiB block written carries a stamp (magic, generation, file
 * offset; fsb_stamp()); after each row the data are read back, from the
 * disk where the file system lets its cache go, and a block with a wrong
 * stamp (a hole, stale data, a block from elsewhere) is an error. Any
 * error prints one line naming the row, the operation and the path, and
 * stops the bench; whatever it created is removed, as it is after a good
 * run. A row longer than a second prints a progress line each second.
 *
 * Caches: seq-read drops the file's clean pages (invalidate_mapping_pages(),
 * what Linux's posix_fadvise(POSIX_FADV_DONTNEED) does); small-read drops
 * every clean page-cache page (drop_pagecache(), Linux's drop_caches=1).
 * Dentries and inodes stay cached (Quire has no way to drop them; the Linux
 * side keeps its own too). A file system that keeps its pages dirty (ramfs)
 * keeps them: a line before the row says how many pages stayed.
 *
 * --fill PCT (0..99): before the random rows, a file (fsbench.fill) brings
 * the file system to PCT % of its blocks in use, so that their overwrites
 * run on a full disk (cleaning included, as Sprite LFS measured); it goes
 * after them. Each group of rows (seq, rand, small) removes its files when
 * done: the next starts on a file system as empty as the first.
 *
 * The header line names DIR's file system type; with --fs TYPE the bench
 * refuses to run on any other (a script whose mount failed would else
 * measure the directory underneath: `fsbench: /mnt is on ramfs, not qlfs`).
 *
 * --raw writes over the disk's first 256 MiB / SCALE (at most the disk):
 * it refuses a disk that is mounted (-EBUSY) or read-only (-EROFS).
 *
 * Locking: none of its own; runs in the shell's thread and may sleep. One
 * fsbench at a time (the shell runs one command).
 */
#include "fs-shell.h"
#include "fsbench_internal.h"
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/mount.h>
#include <quire/dcache.h>
#include <quire/pagemap.h>
#include <quire/swap.h>
#include <quire/blkdev.h>
#include <quire/bio.h>
#include <quire/mm.h>
#include <quire/slab.h>
#include <quire/shell.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/qlfs_stats.h>
#include <arch/time.h>

#define FSB_SEQ_BYTES	(256ULL << 20)
#define FSB_RAND_BYTES	(64ULL << 20)
#define FSB_SMALL_FILES 10000u
#define FSB_SMALL_DIRS	10u
#define FSB_SMALL_BYTES 1024u
#define FSB_CHUNK	(1u << 20) /* one write or read of the sequential rows */
#define FSB_FSYNC_EVERY 64u
#define FSB_MAX_SCALE	65536u
#define FSB_MIN_BYTES	(64u << 10)
#define FSB_RAW_QD	8u
#define FSB_PROGRESS_NS 1000000000ULL
#define FSB_MAX_FILL	99u /* --fill: percent */

/*
 * The qlfs counters (include/quire/qlfs_stats.h) whose change over a row
 * its qlfs line shows, in the line's order.
 */
enum fsb_qlfs_counter {
	FSB_QC_CHECKPOINTS,
	FSB_QC_DATA_WRITTEN,
	FSB_QC_NODE_WRITTEN,
	FSB_QC_GC_FG,
	FSB_QC_GC_BG,
	FSB_QC_GC_SEGMENTS,
	FSB_QC_GC_DATA,
	FSB_QC_GC_NODE,
	FSB_QC_SSR,
	FSB_NR_QC
};

static const char *const fsb_qlfs_names[FSB_NR_QC] = {
	"checkpoints_written", "data_blocks_written", "node_blocks_written",
	"gc_fg_runs",	       "gc_bg_runs",	      "gc_segments",
	"gc_data_moved",       "gc_node_moved",	      "ssr_segments",
};

#define FSB_ROW_SEQ   1u
#define FSB_ROW_RAND  2u
#define FSB_ROW_SMALL 4u

struct fsb {
	const char *cmd;
	char dir[PATH_MAX / 4];
	char fstype[32];     /* DIR's file system type ("qlfs") */
	const char *want_fs; /* --fs: the type DIR must be on, or NULL */
	unsigned int scale, rows;
	u64 seed, rnd;
	u64 seq_bytes, rand_bytes;
	unsigned int nr_small, nr_dirs;
	char *buf;	/* FSB_CHUNK bytes, stamped per 4 KiB block */
	u32 *gen;	/* rand file: the generation each block holds */
	char path[256]; /* scratch for file names */
	/* What this run created, so that the clean-up removes nothing else. */
	bool made_seq, made_rand, made_small, made_fill;
	unsigned int fill_pct; /* --fill: how full before the random rows */
	u64 start_ns, next_progress_ns;
	/* The disk DIR's file system is on (NULL: none, as ramfs), and its
	 * counters when the row started: the row's I/O line. */
	struct gendisk *disk;
	struct disk_stats io0;
	/* On qlfs: its counters when the row started (the row's qlfs line). */
	u64 qc0[FSB_NR_QC];
	bool qc0_valid;
};

/* ---- stamps: what every 4 KiB block (and every small file) begins with ---- */

void fsb_stamp(void *block, u32 gen, u64 off)
{
	struct fsb_stamp *s = block;

	s->magic = FSB_MAGIC;
	s->gen = gen;
	s->off = off;
}

/* 0 if @block holds the stamp of (@gen, @off); else -EIO. */
int fsb_check(const void *block, u32 gen, u64 off)
{
	const struct fsb_stamp *s = block;

	if (s->magic != FSB_MAGIC || s->gen != gen || s->off != off)
		return -EIO;
	return 0;
}

static void fsb_fill(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(0xa5 ^ (i * 31));
}

static u64 fsb_next_rand(struct fsb *b)
{
	b->rnd ^= b->rnd << 13;
	b->rnd ^= b->rnd >> 7;
	b->rnd ^= b->rnd << 17;
	return b->rnd;
}

/* ---- output ---- */

static int fsb_fail(struct fsb *b, const char *what, const char *path, int err)
{
	char w[320];

	scnprintf(w, sizeof(w), "%s: %s", what, path);
	return fsh_err(b->cmd, w, err);
}

/*
 * After a row, what it asked of the disk (load does not change these):
 * "  ROW: io: R reads (K KiB), W writes (K KiB, A KiB each), F flushes"
 * (requests as the disk completed them, after merging).
 * Flushes count the disk's cache flushes (a REQ_PREFLUSH write's pre- and
 * post-flush, a FUA write's emulated post-flush, an empty flush).
 */
static void fsb_io_line(struct fsb *b, const char *name)
{
	struct disk_stats io;
	u64 r, rk, w, wk;

	if (!b->disk)
		return;
	disk_stats_read(b->disk, &io);
	r = io.ios[STAT_READ] - b->io0.ios[STAT_READ];
	rk = (io.sectors[STAT_READ] - b->io0.sectors[STAT_READ]) / 2;
	w = io.ios[STAT_WRITE] - b->io0.ios[STAT_WRITE];
	wk = (io.sectors[STAT_WRITE] - b->io0.sectors[STAT_WRITE]) / 2;
	fsh_printf(
		"  %s: io: %llu reads (%llu KiB), %llu writes (%llu KiB, %llu KiB each), %llu flushes\n",
		name, (unsigned long long)r, (unsigned long long)rk,
		(unsigned long long)w, (unsigned long long)wk,
		(unsigned long long)(w ? wk / w : 0),
		(unsigned long long)(io.ios[STAT_FLUSH] - b->io0.ios[STAT_FLUSH]));
}

struct fsb_qlfs_read {
	const char *disk;
	u64 *v;
	unsigned int found;
};

static void fsb_qlfs_one(const char *disk, const char *name, unsigned long long value,
			 void *arg)
{
	struct fsb_qlfs_read *r = arg;

	if (strcmp(disk, r->disk))
		return;
	for (unsigned int i = 0; i < FSB_NR_QC; i++)
		if (!strcmp(name, fsb_qlfs_names[i])) {
			r->v[i] = value;
			r->found++;
		}
}

/* DIR's qlfs counters into @v: true if DIR is on qlfs and each was read. */
static bool fsb_qlfs_read(struct fsb *b, u64 v[FSB_NR_QC])
{
	struct fsb_qlfs_read r = {.v = v};

	if (!b->disk || strcmp(b->fstype, "qlfs"))
		return false;
	r.disk = b->disk->disk_name;
	qlfs_for_each_counter(fsb_qlfs_one, &r);
	return r.found == FSB_NR_QC;
}

/*
 * After a row on qlfs, what qlfs did during it (the `qlfs` command's
 * counters, their change over the row; the background cleaner's runs
 * count whoever ran them, the row or the file system's own threads):
 * "  ROW: qlfs: C checkpoints, D data and N node blocks written;
 *  cleaning: F foreground and B background runs, S segments cleaned,
 *  MD data and MN node blocks moved, R segments reused by SSR"
 */
static void fsb_qlfs_line(struct fsb *b, const char *name)
{
	u64 v[FSB_NR_QC], d[FSB_NR_QC];

	if (!b->qc0_valid || !fsb_qlfs_read(b, v))
		return;
	for (unsigned int i = 0; i < FSB_NR_QC; i++)
		d[i] = v[i] - b->qc0[i];
	fsh_printf(
		"  %s: qlfs: %llu checkpoints, %llu data and %llu node blocks written; cleaning: %llu foreground and %llu background runs, %llu segments cleaned, %llu data and %llu node blocks moved, %llu segments reused by SSR\n",
		name, (unsigned long long)d[FSB_QC_CHECKPOINTS],
		(unsigned long long)d[FSB_QC_DATA_WRITTEN],
		(unsigned long long)d[FSB_QC_NODE_WRITTEN],
		(unsigned long long)d[FSB_QC_GC_FG], (unsigned long long)d[FSB_QC_GC_BG],
		(unsigned long long)d[FSB_QC_GC_SEGMENTS],
		(unsigned long long)d[FSB_QC_GC_DATA],
		(unsigned long long)d[FSB_QC_GC_NODE], (unsigned long long)d[FSB_QC_SSR]);
}

/* One row: "name amount unit seconds s rate unit/s", as docs/bench-qlfs.md,
 * then its I/O line and, on qlfs, its qlfs line. */
static void fsb_row(struct fsb *b, const char *name, u64 amount, bool bytes, u64 ns)
{
	u64 rate10 = 0; /* MB/s or ops/s, times 10 */

	if (ns)
		rate10 = bytes ? amount * 10000 / ns : amount * 10000000000ULL / ns;
	fsh_printf("%-16s %12llu %-5s %6llu.%06llu s %9llu.%llu %s\n", name,
		   (unsigned long long)amount, bytes ? "bytes" : "ops",
		   (unsigned long long)(ns / 1000000000ULL),
		   (unsigned long long)(ns % 1000000000ULL / 1000),
		   (unsigned long long)rate10 / 10, (unsigned long long)rate10 % 10,
		   bytes ? "MB/s" : "ops/s");
	fsb_io_line(b, name);
	fsb_qlfs_line(b, name);
}

static void fsb_start(struct fsb *b)
{
	if (b->disk)
		disk_stats_read(b->disk, &b->io0);
	b->qc0_valid = fsb_qlfs_read(b, b->qc0);
	b->start_ns = arch_clock_ns();
	b->next_progress_ns = b->start_ns + FSB_PROGRESS_NS;
}

static u64 fsb_elapsed(struct fsb *b)
{
	return arch_clock_ns() - b->start_ns;
}

/* "  name: done of total unit, N s" once a second into a long row. */
static void fsb_progress(struct fsb *b, const char *name, u64 done, u64 total,
			 const char *unit)
{
	u64 now = arch_clock_ns();

	if (now < b->next_progress_ns)
		return;
	b->next_progress_ns = now + FSB_PROGRESS_NS;
	fsh_printf("  %s: %llu of %llu %s, %llu s\n", name, (unsigned long long)done,
		   (unsigned long long)total, unit,
		   (unsigned long long)((now - b->start_ns) / 1000000000ULL));
}

/* ---- file helpers ---- */

static int fsb_name(struct fsb *b, const char *name)
{
	return fsh_join(b->path, sizeof(b->path), b->dir, name);
}

static int fsb_read_full(int fd, char *buf, size_t len, loff_t pos)
{
	size_t done = 0;

	while (done < len) {
		ssize_t_k n = ksys_pread64(fd, buf + done, len - done, pos + done);

		if (n < 0)
			return n;
		if (!n)
			return -EIO; /* the file is shorter than written */
		done += n;
	}
	return 0;
}

static int fsb_write_full(int fd, const char *buf, size_t len, loff_t pos)
{
	size_t done = 0;

	while (done < len) {
		ssize_t_k n = ksys_pwrite64(fd, buf + done, len - done, pos + done);

		if (n < 0)
			return n;
		if (!n)
			return -EIO;
		done += n;
	}
	return 0;
}

/*
 * Drop @path's clean cached pages, as Linux's fadvise(POSIX_FADV_DONTNEED)
 * does; print how many stayed (a dirty page cannot go). Not timed.
 */
static int fsb_drop_file_cache(struct fsb *b, const char *row, const char *path)
{
	struct path p;
	struct inode *inode;
	unsigned long dropped, cached;
	int err = kern_path(path, LOOKUP_FOLLOW, &p);

	if (err)
		return fsb_fail(b, row, path, err);
	inode = d_inode(p.dentry);
	cached = inode->i_mapping->nrpages;
	dropped = invalidate_mapping_pages(inode->i_mapping, 0, ~0UL);
	if (dropped < cached)
		fsh_printf("  %s: %lu of %lu cached pages stayed in the cache\n", row,
			   cached - dropped, cached);
	path_put(&p);
	return 0;
}

/* Stamp the blocks of @len bytes of b->buf for file offset @off. */
static void fsb_stamp_chunk(struct fsb *b, size_t len, u64 off, u32 gen)
{
	for (size_t i = 0; i < len; i += PAGE_SIZE)
		fsb_stamp(b->buf + i, gen, off + i);
}

/* Read @path's @bytes back (after dropping its cache) and check each 4 KiB
 * block's stamp: generation @gen, or b->gen[block] when @gen is 0. */
static int fsb_verify_file(struct fsb *b, const char *row, const char *path, u64 bytes,
			   u32 gen)
{
	int fd, err = 0;

	fd = ksys_open(path, O_RDONLY, 0);
	if (fd < 0)
		return fsb_fail(b, row, path, fd);
	for (u64 off = 0; off < bytes && !err; off += FSB_CHUNK) {
		size_t len = min((u64)FSB_CHUNK, (u64)bytes - off);

		err = fsb_read_full(fd, b->buf, len, off);
		for (size_t i = 0; i < len && !err; i += PAGE_SIZE) {
			u64 blk = (off + i) / PAGE_SIZE;

			err = fsb_check(b->buf + i, gen ? gen : b->gen[blk], off + i);
			if (err)
				fsh_printf(
					"%s: %s: %s: block %llu does not hold what was written\n",
					b->cmd, row, path, (unsigned long long)blk);
		}
	}
	ksys_close(fd);
	if (err)
		return fsb_fail(b, row, path, err);
	return 0;
}

/* Write @bytes sequentially (generation @gen), then fsync. */
static int fsb_write_seq(struct fsb *b, const char *row, int fd, u64 bytes, u32 gen)
{
	for (u64 off = 0; off < bytes; off += FSB_CHUNK) {
		size_t len = min((u64)FSB_CHUNK, (u64)bytes - off);
		int err;

		fsb_stamp_chunk(b, len, off, gen);
		err = fsb_write_full(fd, b->buf, len, off);
		if (err)
			return err;
		fsb_progress(b, row, (off + len) >> 20, bytes >> 20, "MiB");
	}
	return ksys_fsync(fd);
}

/* ---- the rows ---- */

static int fsb_seq_write(struct fsb *b, const char *path)
{
	int fd, err;

	fsb_start(b);
	fd = ksys_open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return fsb_fail(b, "seq-write: open", path, fd);
	b->made_seq = true;
	err = fsb_write_seq(b, "seq-write", fd, b->seq_bytes, 1);
	fsh_keep(&err, ksys_close(fd));
	if (err)
		return fsb_fail(b, "seq-write", path, err);
	fsb_row(b, "seq-write", b->seq_bytes, true, fsb_elapsed(b));
	return 0;
}

static int fsb_seq_read(struct fsb *b, const char *path)
{
	int fd, err = fsb_drop_file_cache(b, "seq-read", path);

	if (err)
		return err;
	fsb_start(b);
	fd = ksys_open(path, O_RDONLY, 0);
	if (fd < 0)
		return fsb_fail(b, "seq-read: open", path, fd);
	for (u64 off = 0; off < b->seq_bytes && !err; off += FSB_CHUNK) {
		size_t len = min((u64)FSB_CHUNK, (u64)b->seq_bytes - off);

		err = fsb_read_full(fd, b->buf, len, off);
		for (size_t i = 0; i < len && !err; i += PAGE_SIZE)
			err = fsb_check(b->buf + i, 1, off + i);
		fsb_progress(b, "seq-read", (off + len) >> 20, b->seq_bytes >> 20, "MiB");
	}
	ksys_close(fd);
	if (err)
		return fsb_fail(b, "seq-read", path, err);
	fsb_row(b, "seq-read", b->seq_bytes, true, fsb_elapsed(b));
	return 0;
}

/* Unlink DIR/@name, made by this run: the rows after start without it. */
static int fsb_remove(struct fsb *b, const char *row, const char *name, bool *made)
{
	int err = fsb_name(b, name);

	if (!err)
		err = ksys_unlink(b->path);
	if (err)
		return fsb_fail(b, row, b->path, err);
	*made = false;
	return 0;
}

static int fsb_seq(struct fsb *b)
{
	int err = fsb_name(b, "fsbench.seq");

	if (err)
		return fsb_fail(b, "seq-write", b->dir, err);
	err = fsb_seq_write(b, b->path);
	if (!err)
		err = fsb_seq_read(b, b->path);
	if (!err) /* the next rows start without it */
		err = fsb_remove(b, "seq-read", "fsbench.seq", &b->made_seq);
	return err;
}

/* @nr seeded 4 KiB overwrites, an fsync every @every (0: at the end only). */
static int fsb_rand_writes(struct fsb *b, const char *row, int fd, u64 nr,
			   unsigned int every)
{
	u64 blocks = b->rand_bytes / PAGE_SIZE;
	int err;

	for (u64 i = 0; i < nr; i++) {
		u64 blk = fsb_next_rand(b) % blocks;

		fsb_stamp(b->buf, ++b->gen[blk], blk * PAGE_SIZE);
		err = fsb_write_full(fd, b->buf, PAGE_SIZE, blk * PAGE_SIZE);
		if (!err && every && (i + 1) % every == 0)
			err = ksys_fsync(fd);
		if (err)
			return err;
		fsb_progress(b, row, i + 1, nr, "writes");
	}
	if (every && nr % every == 0)
		return 0;
	return ksys_fsync(fd);
}

static int fsb_rand_row(struct fsb *b, const char *row, const char *path,
			unsigned int every)
{
	u64 nr = b->rand_bytes / PAGE_SIZE;
	int fd, err;

	/* Each random row starts with the file out of the cache. */
	err = fsb_drop_file_cache(b, row, path);
	if (err)
		return err;
	fsb_start(b);
	fd = ksys_open(path, O_WRONLY, 0);
	if (fd < 0)
		return fsb_fail(b, row, path, fd);
	err = fsb_rand_writes(b, row, fd, nr, every);
	fsh_keep(&err, ksys_close(fd));
	if (err)
		return fsb_fail(b, row, path, err);
	fsb_row(b, row, nr * PAGE_SIZE, true, fsb_elapsed(b));
	err = fsb_drop_file_cache(b, row, path);
	if (!err)
		err = fsb_verify_file(b, row, path, b->rand_bytes, 0);
	return err;
}

/*
 * --fill PCT: a file that brings the file system to PCT % of its blocks in
 * use (statfs: f_blocks - f_bavail), written and fsynced, not timed; the
 * random rows then overwrite on a disk that full, and a log-structured
 * file system must clean once their writes exceed what is free.
 */
static int fsb_fill_fs(struct fsb *b)
{
	struct kstatfs st;
	u64 total, used, want, bytes;
	int fd, err;

	err = fsb_name(b, "fsbench.fill");
	if (!err)
		err = ksys_statfs(b->dir, &st);
	if (err)
		return fsb_fail(b, "--fill: statfs", b->dir, err);
	if (!st.f_blocks) {
		fsh_printf("%s: --fill: %s reports no size (statfs f_blocks 0)\n", b->cmd,
			   b->dir);
		return -EINVAL;
	}
	total = st.f_blocks * st.f_bsize;
	used = (st.f_blocks - min(st.f_bavail, st.f_blocks)) * st.f_bsize;
	want = total / 100 * b->fill_pct;
	bytes = want > used ? (want - used) & ~(u64)(FSB_CHUNK - 1) : 0;
	fd = ksys_open(b->path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return fsb_fail(b, "--fill: create", b->path, fd);
	b->made_fill = true;
	fsb_start(b);
	err = fsb_write_seq(b, "--fill", fd, bytes, 1);
	fsh_keep(&err, ksys_close(fd));
	if (err)
		return fsb_fail(b, "--fill", b->path, err);
	fsh_printf(
		"  fill: %llu MiB written: %u %% of %llu MiB in use before the random rows\n",
		(unsigned long long)(bytes >> 20), b->fill_pct,
		(unsigned long long)(total >> 20));
	fsb_fill(b->buf, FSB_CHUNK);
	return 0;
}

/* The file the random rows overwrite: written and fsynced. */
static int fsb_rand_prepare(struct fsb *b, const char *path)
{
	int fd, err;

	fd = ksys_open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return fsb_fail(b, "rand-write: create", path, fd);
	b->made_rand = true;
	fsb_start(b);
	err = fsb_write_seq(b, "rand-write: create", fd, b->rand_bytes, 1);
	fsh_keep(&err, ksys_close(fd));
	if (err)
		return fsb_fail(b, "rand-write: create", path, err);
	for (u64 i = 0; i < b->rand_bytes / PAGE_SIZE; i++)
		b->gen[i] = 1;
	fsb_fill(b->buf, FSB_CHUNK);
	return 0;
}

static int fsb_rand_rows(struct fsb *b)
{
	int err = fsb_name(b, "fsbench.rand");

	if (err)
		return fsb_fail(b, "rand-write", b->dir, err);
	b->rnd = b->seed * 0x9e3779b97f4a7c15ULL | 1;
	err = fsb_rand_prepare(b, b->path);
	if (!err && b->fill_pct)
		err = fsb_fill_fs(b);
	if (!err)
		err = fsb_name(b, "fsbench.rand");
	if (!err)
		err = fsb_rand_row(b, "rand-write", b->path, 0);
	if (!err)
		err = fsb_rand_row(b, "rand-write-fs64", b->path, FSB_FSYNC_EVERY);
	if (!err) /* the small files start on a file system without them */
		err = fsb_remove(b, "rand-write", "fsbench.rand", &b->made_rand);
	if (!err && b->made_fill)
		err = fsb_remove(b, "rand-write", "fsbench.fill", &b->made_fill);
	return err;
}

/* DIR/fsbench.small/dNN[/fNNNNN] in b->path. */
static int fsb_small_name(struct fsb *b, unsigned int i, bool dir_only)
{
	char rel[48];

	if (dir_only)
		scnprintf(rel, sizeof(rel), "fsbench.small/d%02u", i);
	else
		scnprintf(rel, sizeof(rel), "fsbench.small/d%02u/f%05u", i % b->nr_dirs,
			  i);
	return fsb_name(b, rel);
}

static int fsb_small_create_one(struct fsb *b, unsigned int i)
{
	int fd, err;

	fd = ksys_open(b->path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return fd;
	fsb_stamp(b->buf, 0, i);
	err = fsb_write_full(fd, b->buf, FSB_SMALL_BYTES, 0);
	fsh_keep(&err, ksys_close(fd));
	return err;
}

static int fsb_small_read_one(struct fsb *b, unsigned int i)
{
	ssize_t_k n;
	int fd, err = 0;

	fd = ksys_open(b->path, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	n = ksys_read(fd, b->buf, 2 * FSB_SMALL_BYTES);
	if (n < 0)
		err = n;
	else if (n != FSB_SMALL_BYTES || fsb_check(b->buf, 0, i))
		err = -EIO;
	ksys_close(fd);
	return err;
}

enum fsb_small_op {
	FSB_CREATE,
	FSB_READ,
	FSB_DELETE
};

static const char *const fsb_small_rows[] = {"small-create", "small-read",
					     "small-delete"};

/* One phase over every small file; create and delete end with a sync. */
static int fsb_small_phase(struct fsb *b, enum fsb_small_op op)
{
	const char *row = fsb_small_rows[op];
	int err = 0;

	fsb_fill(b->buf, FSB_CHUNK);
	fsb_start(b);
	for (unsigned int i = 0; i < b->nr_small; i++) {
		err = fsb_small_name(b, i, false);
		if (!err && op == FSB_CREATE)
			err = fsb_small_create_one(b, i);
		else if (!err && op == FSB_READ)
			err = fsb_small_read_one(b, i);
		else if (!err)
			err = ksys_unlink(b->path);
		if (err)
			return fsb_fail(b, row, b->path, err);
		fsb_progress(b, row, i + 1, b->nr_small, "files");
	}
	if (op != FSB_READ)
		ksys_sync();
	fsb_row(b, row, b->nr_small, false, fsb_elapsed(b));
	return 0;
}

static int fsb_small_mkdirs(struct fsb *b)
{
	int err = fsb_name(b, "fsbench.small");

	if (!err)
		err = ksys_mkdir(b->path, 0755);
	b->made_small = !err;
	for (unsigned int d = 0; d < b->nr_dirs && !err; d++) {
		err = fsb_small_name(b, d, true);
		if (!err)
			err = ksys_mkdir(b->path, 0755);
	}
	if (err)
		return fsb_fail(b, "small-create: mkdir", b->path, err);
	return 0;
}

static int fsb_small(struct fsb *b)
{
	int err = fsb_small_mkdirs(b);

	if (!err)
		err = fsb_small_phase(b, FSB_CREATE);
	if (err)
		return err;
	ksys_sync(); /* not timed: the cache drop below needs clean pages */
	drop_pagecache();
	err = fsb_small_phase(b, FSB_READ);
	if (!err)
		err = fsb_small_phase(b, FSB_DELETE);
	return err;
}

/* ---- clean-up: what a run (good or failed) created goes ---- */

static void fsb_cleanup(struct fsb *b)
{
	if (b->made_seq && !fsb_name(b, "fsbench.seq"))
		ksys_unlink(b->path);
	if (b->made_rand && !fsb_name(b, "fsbench.rand"))
		ksys_unlink(b->path);
	if (b->made_fill && !fsb_name(b, "fsbench.fill"))
		ksys_unlink(b->path);
	if (!b->made_small)
		return;
	for (unsigned int i = 0; i < b->nr_small; i++)
		if (!fsb_small_name(b, i, false))
			ksys_unlink(b->path);
	for (unsigned int d = 0; d < b->nr_dirs; d++)
		if (!fsb_small_name(b, d, true))
			ksys_rmdir(b->path);
	if (!fsb_name(b, "fsbench.small"))
		ksys_rmdir(b->path);
}

/* ---- --raw DISK: sequential write bandwidth through the block layer ---- */

/*
 * One 1 MiB bio per slot, slots reused in turn: sequential offsets, at
 * most FSB_RAW_QD bios in flight, as a file system's writeback of one
 * large file would send them. The disk's page cache is invalidated after
 * (its clean pages of the region are stale now), as Linux does after an
 * O_DIRECT write.
 */

struct fsb_raw_slot {
	struct bio *bio;
	struct page *page;
	bool busy; /* submitted, not yet completed */
};

struct fsb_raw {
	struct gendisk *disk;
	spinlock_t lock;      /* protects err and every slot's busy */
	wait_queue_head_t wq; /* a slot went idle */
	int err;	      /* the first bio error */
	struct fsb_raw_slot slot[FSB_RAW_QD];
};

static struct fsb_raw fsb_raw_run; /* one fsbench at a time */

/* Context: the bio's completion (interrupt). */
static void fsb_raw_end_io(struct bio *bio)
{
	struct fsb_raw *r = &fsb_raw_run;
	struct fsb_raw_slot *s = bio->bi_private;
	unsigned long flags;

	spin_lock_irqsave(&r->lock, flags);
	if (bio->bi_status && !r->err)
		r->err = bio->bi_status;
	s->busy = false;
	spin_unlock_irqrestore(&r->lock, flags);
	wake_up(&r->wq);
}

static bool fsb_raw_idle(struct fsb_raw *r, struct fsb_raw_slot *s)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&r->lock, flags);
	idle = !s->busy;
	spin_unlock_irqrestore(&r->lock, flags);
	return idle;
}

static void fsb_raw_free(struct fsb_raw *r)
{
	for (unsigned int i = 0; i < FSB_RAW_QD; i++) {
		struct fsb_raw_slot *s = &r->slot[i];

		if (s->bio)
			bio_put(s->bio);
		if (s->page)
			__free_pages(s->page, get_order(FSB_CHUNK));
		memset(s, 0, sizeof(*s));
	}
}

static int fsb_raw_alloc(struct fsb_raw *r)
{
	for (unsigned int i = 0; i < FSB_RAW_QD; i++) {
		struct fsb_raw_slot *s = &r->slot[i];

		s->page = alloc_pages(NUMA_NO_NODE, get_order(FSB_CHUNK), GFP_KERNEL);
		s->bio = bio_alloc(&r->disk->part0, 1, REQ_OP_WRITE, GFP_KERNEL);
		if (!s->page || !s->bio)
			return -ENOMEM;
		fsb_fill(page_address(s->page), FSB_CHUNK);
	}
	return 0;
}

static void fsb_raw_submit(struct fsb_raw *r, struct fsb_raw_slot *s, u64 off, u32 len)
{
	bio_reset(s->bio, &r->disk->part0, REQ_OP_WRITE);
	s->bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
	bio_add_page(s->bio, s->page, len, 0);
	s->bio->bi_private = s;
	s->bio->bi_end_io = fsb_raw_end_io;
	s->busy = true;
	submit_bio(s->bio);
}

/* @bytes from sector 0 in FSB_CHUNK bios, FSB_RAW_QD in flight, then a
 * cache flush; the time of all of it. Context: process, sleeps. */
static int fsb_raw_write(struct fsb *b, struct fsb_raw *r, u64 bytes)
{
	unsigned int i = 0;
	int err;

	fsb_start(b);
	for (u64 off = 0; off < bytes && !READ_ONCE(r->err); off += FSB_CHUNK, i++) {
		struct fsb_raw_slot *s = &r->slot[i % FSB_RAW_QD];

		wait_event(r->wq, fsb_raw_idle(r, s));
		fsb_raw_submit(r, s, off, min((u64)FSB_CHUNK, (u64)bytes - off));
		fsb_progress(b, "raw-write", (off >> 20) + 1, bytes >> 20, "MiB");
	}
	for (i = 0; i < FSB_RAW_QD; i++)
		wait_event(r->wq, fsb_raw_idle(r, &r->slot[i]));
	err = READ_ONCE(r->err);
	if (!err)
		err = blkdev_issue_flush(&r->disk->part0);
	if (!err)
		fsb_row(b, "raw-write", bytes, true, fsb_elapsed(b));
	return err;
}

struct fsb_mounted {
	struct gendisk *disk;
	bool found;
};

static void fsb_find_mount(struct super_block *sb, void *arg)
{
	struct fsb_mounted *m = arg;

	if (sb->s_type && sb->s_bdev && sb->s_bdev->bd_disk == m->disk)
		m->found = true;
}

static int fsb_raw(struct fsb *b, const char *name)
{
	struct fsb_raw *r = &fsb_raw_run;
	struct fsb_mounted m = {0};
	u64 bytes;
	int err;

	r->disk = get_disk_by_name(name);
	if (!r->disk)
		return fsh_usage(b->cmd, "--raw: no disk named '%s'", name);
	m.disk = r->disk;
	iterate_supers(fsb_find_mount, &m);
	if (m.found)
		return fsb_fail(b, "--raw", name, -EBUSY);
	if (bdev_read_only(&r->disk->part0))
		return fsb_fail(b, "--raw", name, -EROFS);
	bytes = min(FSB_SEQ_BYTES / b->scale, get_capacity(r->disk) << SECTOR_SHIFT);
	bytes &= ~(u64)(PAGE_SIZE - 1);
	if (!bytes)
		return fsb_fail(b, "--raw", name, -ENOSPC);
	spin_lock_init(&r->lock);
	init_waitqueue_head(&r->wq);
	r->err = 0;
	fsh_printf(
		"fsbench --raw %s: %llu MiB from sector 0, %u KiB bios, %u in flight\n",
		name, (unsigned long long)(bytes >> 20), FSB_CHUNK >> 10, FSB_RAW_QD);
	err = fsb_raw_alloc(r);
	if (!err)
		err = fsb_raw_write(b, r, bytes);
	fsb_raw_free(r);
	invalidate_bdev(&r->disk->part0);
	if (err)
		return fsb_fail(b, "raw-write", name, err);
	return 0;
}

/* ---- options and the command ---- */

static int fsb_parse_rows(struct fsb *b, const char *list)
{
	char buf[64], *s = buf, *w;

	if (strscpy_len(buf, list, sizeof(buf)) >= sizeof(buf))
		return fsh_usage(b->cmd, "--rows: too long");
	b->rows = 0;
	for (w = s; w; w = s) {
		s = strchr(w, ',');
		if (s)
			*s++ = '\0';
		if (!strcmp(w, "seq"))
			b->rows |= FSB_ROW_SEQ;
		else if (!strcmp(w, "rand"))
			b->rows |= FSB_ROW_RAND;
		else if (!strcmp(w, "small"))
			b->rows |= FSB_ROW_SMALL;
		else
			return fsh_usage(b->cmd,
					 "--rows: '%s': expected seq, rand or small", w);
	}
	return 0;
}

static int fsb_parse_number(struct fsb *b, const char *opt, const char *val, u64 min,
			    u64 max, u64 *out)
{
	unsigned long long v;

	if (!val || kstrtoull(val, 10, &v) || v < min || v > max)
		return fsh_usage(b->cmd, "%s: need a number in %llu..%llu", opt,
				 (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

/* The option at argv[*i] (and its value, *i moved past it) into @b. */
static int fsb_parse_opt(struct fsb *b, int argc, char **argv, int *i, bool *raw)
{
	const char *a = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;
	u64 v = 0;
	int err;

	if (!strcmp(a, "--raw")) {
		*raw = true;
		return 0;
	}
	if (strcmp(a, "-s") && strcmp(a, "--seed") && strcmp(a, "--rows") &&
	    strcmp(a, "--fs") && strcmp(a, "--fill"))
		return fsh_usage(b->cmd, "unknown option '%s'", a);
	if (!val)
		return fsh_usage(b->cmd, "%s: needs a value", a);
	(*i)++;
	if (!strcmp(a, "-s")) {
		err = fsb_parse_number(b, a, val, 1, FSB_MAX_SCALE, &v);
		b->scale = v;
	} else if (!strcmp(a, "--seed")) {
		err = fsb_parse_number(b, a, val, 0, ~0ULL, &v);
		b->seed = v;
	} else if (!strcmp(a, "--fill")) {
		err = fsb_parse_number(b, a, val, 0, FSB_MAX_FILL, &v);
		b->fill_pct = v;
	} else if (!strcmp(a, "--rows")) {
		err = fsb_parse_rows(b, val);
	} else {
		b->want_fs = val;
		err = 0;
	}
	return err;
}

/* Options into @b; the operand (DIR or the --raw DISK) in *@operand. */
static int fsb_parse(struct fsb *b, int argc, char **argv, const char **operand,
		     bool *raw)
{
	int err = 0;

	for (int i = 1; i < argc && !err; i++) {
		if (argv[i][0] == '-')
			err = fsb_parse_opt(b, argc, argv, &i, raw);
		else if (*operand)
			err = fsh_usage(b->cmd, "one DIR or DISK only");
		else
			*operand = argv[i];
	}
	if (!err && !*operand)
		err = fsh_usage(
			b->cmd,
			"usage: fsbench [-s SCALE] [--seed N] [--rows seq,rand,small] [--fs TYPE] [--fill PCT] DIR | fsbench [-s SCALE] --raw DISK");
	return err;
}

static void fsb_sizes(struct fsb *b)
{
	b->seq_bytes = max((u64)FSB_SEQ_BYTES / b->scale, (u64)FSB_MIN_BYTES) &
		       ~(u64)(PAGE_SIZE - 1);
	b->rand_bytes = max((u64)FSB_RAND_BYTES / b->scale, (u64)FSB_MIN_BYTES) &
			~(u64)(PAGE_SIZE - 1);
	b->nr_small = max(FSB_SMALL_FILES / b->scale, 10u);
	b->nr_dirs = min(FSB_SMALL_DIRS, b->nr_small);
}

static int fsb_run(struct fsb *b)
{
	int err = 0;

	fsh_printf(
		"fsbench %s (%s): scale %u, seed %llu: seq %llu KiB, rand %llu KiB, %u small files in %u dirs\n",
		b->dir, b->fstype, b->scale, (unsigned long long)b->seed,
		(unsigned long long)(b->seq_bytes >> 10),
		(unsigned long long)(b->rand_bytes >> 10), b->nr_small, b->nr_dirs);
	if (b->rows & FSB_ROW_SEQ)
		err = fsb_seq(b);
	if (!err && (b->rows & FSB_ROW_RAND))
		err = fsb_rand_rows(b);
	if (!err && (b->rows & FSB_ROW_SMALL))
		err = fsb_small(b);
	fsb_cleanup(b);
	return err;
}

/* DIR is a directory, on the file system --fs names if it names one. */
static int fsb_check_dir(struct fsb *b)
{
	struct path p;
	int err;

	if (!fsh_is_dir(b->dir))
		return fsb_fail(b, "DIR", b->dir, -ENOTDIR);
	err = kern_path(b->dir, LOOKUP_FOLLOW, &p);
	if (err)
		return fsb_fail(b, "DIR", b->dir, err);
	strscpy_len(b->fstype, p.mnt->mnt_sb->s_type ? p.mnt->mnt_sb->s_type->name : "?",
		    sizeof(b->fstype));
	/* the mount holds the disk for the run (the shell runs one command) */
	b->disk = p.mnt->mnt_sb->s_bdev ? p.mnt->mnt_sb->s_bdev->bd_disk : NULL;
	path_put(&p);
	if (b->want_fs && strcmp(b->fstype, b->want_fs)) {
		fsh_printf("%s: %s is on %s, not %s\n", b->cmd, b->dir, b->fstype,
			   b->want_fs);
		return -EINVAL;
	}
	return 0;
}

static int cmd_fsbench(int argc, char **argv)
{
	struct fsb *b = kzalloc(sizeof(*b), GFP_KERNEL);
	const char *operand = NULL;
	bool raw = false;
	int err;

	if (!b)
		return -ENOMEM;
	b->cmd = argv[0];
	b->scale = 1;
	b->seed = 1;
	b->rows = FSB_ROW_SEQ | FSB_ROW_RAND | FSB_ROW_SMALL;
	err = fsb_parse(b, argc, argv, &operand, &raw);
	if (err)
		goto out;
	if (raw) {
		err = fsb_raw(b, operand);
		goto out;
	}
	if (strscpy_len(b->dir, operand, sizeof(b->dir)) >= sizeof(b->dir)) {
		err = fsb_fail(b, "DIR", operand, -ENAMETOOLONG);
		goto out;
	}
	err = fsb_check_dir(b);
	if (err)
		goto out;
	fsb_sizes(b);
	b->buf = kmalloc(FSB_CHUNK, GFP_KERNEL);
	b->gen = kcalloc(b->rand_bytes / PAGE_SIZE, sizeof(*b->gen), GFP_KERNEL);
	if (!b->buf || !b->gen) {
		err = -ENOMEM;
		goto out;
	}
	fsb_fill(b->buf, FSB_CHUNK);
	err = fsb_run(b);
out:
	kfree(b->gen);
	kfree(b->buf);
	kfree(b);
	return err;
}
SHELL_COMMAND(
	fsbench, "fsbench",
	"fsbench [-s SCALE] [--seed N] [--rows seq,rand,small] [--fs TYPE] [--fill PCT] DIR | fsbench [-s SCALE] --raw DISK",
	"file system benchmark rows (issue 10), or the raw disk's sequential writes",
	cmd_fsbench);
