/*
 * tools/linux-bench/fsbench.c - Quire's `fsbench` rows (fs/fsbench.c) as a
 * Linux program, for the Linux guest of tools/linux-bench/run (--fs f2fs,
 * ext4): the same rows, sizes, scale, seed, stamps, checks and line format,
 * with Linux's calls in place of Quire's ksys_* ones.
 *
 *   fsbench [-s SCALE] [--seed N] [--rows seq,rand,small] [--fs TYPE] [--fill PCT]
 *           [--keep-caches] DIR
 *
 * Built static by tools/linux-bench/run (gcc -O2 -static) into the guest's
 * initramfs. Where the two differ, it is by what each kernel offers:
 *   - the clock: CLOCK_MONOTONIC here, arch_clock_ns() in Quire;
 *   - dropping a file's cache: posix_fadvise(POSIX_FADV_DONTNEED) here,
 *     invalidate_mapping_pages() (what that fadvise calls) in Quire;
 *   - dropping every cache before small-read: `1 > drop_caches` here
 *     (page cache only: dentries and inodes stay, as in Quire, which
 *     has no way to drop them), drop_pagecache() in Quire.
 * Keep the two in step: a change of a row in one is a change in both
 * (tests/run's job fsbench.linux-same-rows compares their rows).
 * --keep-caches leaves drop_caches alone: for that job, which runs this
 * program on the shared build host, whose caches are not ours to drop.
 *
 * Exit status 0, or 1 after one line "fsbench: ROW: PATH: strerror".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define FSB_SEQ_BYTES	(256ULL << 20)
#define FSB_RAND_BYTES	(64ULL << 20)
#define FSB_SMALL_FILES 10000u
#define FSB_SMALL_DIRS	10u
#define FSB_SMALL_BYTES 1024u
#define FSB_CHUNK	(1u << 20)
#define FSB_FSYNC_EVERY 64u
#define FSB_MAX_SCALE	65536u
#define FSB_MIN_BYTES	(64u << 10)
#define FSB_PAGE	4096u
#define FSB_PROGRESS_NS 1000000000ULL
#define FSB_MAGIC	0x42534651u /* "QFSB", as fs/fsbench_internal.h */

#define FSB_ROW_SEQ   1u
#define FSB_ROW_RAND  2u
#define FSB_ROW_SMALL 4u

struct fsb_stamp {
	uint32_t magic, gen;
	uint64_t off;
};

static struct {
	char dir[1024];
	unsigned int scale, rows;
	uint64_t seed, rnd;
	uint64_t seq_bytes, rand_bytes;
	unsigned int nr_small, nr_dirs;
	char *buf;
	uint32_t *gen;
	char path[1200];
	int made_seq, made_rand, made_small;
	int keep_caches, made_fill;
	unsigned int fill_pct;
	const char *want_fs;
	const char *fstype;
	uint64_t start_ns, next_progress_ns;
} b;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void stamp(void *block, uint32_t gen, uint64_t off)
{
	struct fsb_stamp s = {FSB_MAGIC, gen, off};

	memcpy(block, &s, sizeof(s));
}

static int check(const void *block, uint32_t gen, uint64_t off)
{
	struct fsb_stamp s;

	memcpy(&s, block, sizeof(s));
	return s.magic == FSB_MAGIC && s.gen == gen && s.off == off ? 0 : -EIO;
}

static void fill(char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(0xa5 ^ (i * 31));
}

static uint64_t next_rand(void)
{
	b.rnd ^= b.rnd << 13;
	b.rnd ^= b.rnd >> 7;
	b.rnd ^= b.rnd << 17;
	return b.rnd;
}

static int fail(const char *what, const char *path, int err)
{
	printf("fsbench: %s: %s: %s\n", what, path, strerror(-err));
	fflush(stdout);
	return err;
}

/* Quire's fsb_row() line, byte for byte. */
static void row(const char *name, uint64_t amount, int bytes, uint64_t ns)
{
	uint64_t rate10 = 0;

	if (ns)
		rate10 = bytes ? amount * 10000 / ns : amount * 10000000000ULL / ns;
	printf("%-16s %12llu %-5s %6llu.%06llu s %9llu.%llu %s\n", name,
	       (unsigned long long)amount, bytes ? "bytes" : "ops",
	       (unsigned long long)(ns / 1000000000ULL),
	       (unsigned long long)(ns % 1000000000ULL / 1000),
	       (unsigned long long)rate10 / 10, (unsigned long long)rate10 % 10,
	       bytes ? "MB/s" : "ops/s");
	fflush(stdout);
}

static void start(void)
{
	b.start_ns = now_ns();
	b.next_progress_ns = b.start_ns + FSB_PROGRESS_NS;
}

static uint64_t elapsed(void)
{
	return now_ns() - b.start_ns;
}

static void progress(const char *name, uint64_t done, uint64_t total, const char *unit)
{
	uint64_t now = now_ns();

	if (now < b.next_progress_ns)
		return;
	b.next_progress_ns = now + FSB_PROGRESS_NS;
	printf("  %s: %llu of %llu %s, %llu s\n", name, (unsigned long long)done,
	       (unsigned long long)total, unit,
	       (unsigned long long)((now - b.start_ns) / 1000000000ULL));
	fflush(stdout);
}

static int name(const char *rel)
{
	int n = snprintf(b.path, sizeof(b.path), "%s/%s", b.dir, rel);

	return n < (int)sizeof(b.path) ? 0 : -ENAMETOOLONG;
}

/* All @len bytes at @pos through pwrite (@write) or pread; a transfer of
 * 0 bytes is -EIO. */
static int rw_full(int fd, char *buf, size_t len, off_t pos, int write)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write ? pwrite(fd, buf + done, len - done, pos + done) :
				    pread(fd, buf + done, len - done, pos + done);

		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		done += n;
	}
	return 0;
}

static int read_full(int fd, char *buf, size_t len, off_t pos)
{
	return rw_full(fd, buf, len, pos, 0);
}

static int write_full(int fd, char *buf, size_t len, off_t pos)
{
	return rw_full(fd, buf, len, pos, 1);
}

/* The length of the chunk at @off of a file of @bytes. */
static size_t chunk_len(uint64_t bytes, uint64_t off)
{
	return bytes - off < FSB_CHUNK ? bytes - off : FSB_CHUNK;
}

static int do_fsync(int fd)
{
	return fsync(fd) ? -errno : 0;
}

/* Quire: invalidate_mapping_pages() of the file. */
static int drop_file_cache(const char *row_name, const char *path)
{
	int fd = open(path, O_RDONLY), err;

	if (fd < 0)
		return fail(row_name, path, -errno);
	err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	return err ? fail(row_name, path, -err) : 0;
}

/* Quire: drop_pagecache(). */
static void drop_page_cache(void)
{
	int fd = b.keep_caches ? -1 : open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1\n", 2) != 2)
			printf("  small-read: drop_caches: %s\n", strerror(errno));
		close(fd);
	}
}

static void stamp_chunk(size_t len, uint64_t off, uint32_t gen)
{
	for (size_t i = 0; i < len; i += FSB_PAGE)
		stamp(b.buf + i, gen, off + i);
}

static int verify_file(const char *row_name, const char *path, uint64_t bytes)
{
	int fd = open(path, O_RDONLY), err = 0;

	if (fd < 0)
		return fail(row_name, path, -errno);
	for (uint64_t off = 0; off < bytes && !err; off += FSB_CHUNK) {
		size_t len = chunk_len(bytes, off);

		err = read_full(fd, b.buf, len, off);
		for (size_t i = 0; i < len && !err; i += FSB_PAGE) {
			uint64_t blk = (off + i) / FSB_PAGE;

			err = check(b.buf + i, b.gen[blk], off + i);
			if (err)
				printf("fsbench: %s: %s: block %llu does not hold what was written\n",
				       row_name, path, (unsigned long long)blk);
		}
	}
	close(fd);
	return err ? fail(row_name, path, err) : 0;
}

static int write_seq(const char *row_name, int fd, uint64_t bytes, uint32_t gen)
{
	for (uint64_t off = 0; off < bytes; off += FSB_CHUNK) {
		size_t len = chunk_len(bytes, off);
		int err;

		stamp_chunk(len, off, gen);
		err = write_full(fd, b.buf, len, off);
		if (err)
			return err;
		progress(row_name, (off + len) >> 20, bytes >> 20, "MiB");
	}
	return do_fsync(fd);
}

static int close_keep(int fd, int err)
{
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* Quire's fsb_remove(): the rows after start without @rel. */
static int remove_made(const char *row_name, const char *rel, int *made)
{
	int err = name(rel);

	if (!err && unlink(b.path))
		err = -errno;
	if (err)
		return fail(row_name, b.path, err);
	*made = 0;
	return 0;
}

static int seq_rows(void)
{
	int fd, err = name("fsbench.seq");

	if (err)
		return fail("seq-write", b.dir, err);
	start();
	fd = open(b.path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return fail("seq-write: open", b.path, -errno);
	b.made_seq = 1;
	err = close_keep(fd, write_seq("seq-write", fd, b.seq_bytes, 1));
	if (err)
		return fail("seq-write", b.path, err);
	row("seq-write", b.seq_bytes, 1, elapsed());
	err = drop_file_cache("seq-read", b.path);
	if (err)
		return err;
	start();
	fd = open(b.path, O_RDONLY);
	if (fd < 0)
		return fail("seq-read: open", b.path, -errno);
	for (uint64_t off = 0; off < b.seq_bytes && !err; off += FSB_CHUNK) {
		size_t len = chunk_len(b.seq_bytes, off);

		err = read_full(fd, b.buf, len, off);
		for (size_t i = 0; i < len && !err; i += FSB_PAGE)
			err = check(b.buf + i, 1, off + i);
		progress("seq-read", (off + len) >> 20, b.seq_bytes >> 20, "MiB");
	}
	close(fd);
	if (err)
		return fail("seq-read", b.path, err);
	row("seq-read", b.seq_bytes, 1, elapsed());
	return remove_made("seq-read", "fsbench.seq", &b.made_seq);
}

/* Quire's fsb_fill_fs(): --fill PCT of the blocks in use before the
 * random rows (statfs: f_blocks - f_bavail), not timed. */
static int fill_fs(void)
{
	struct statfs st;
	uint64_t total, used, want, bytes;
	int fd, err = name("fsbench.fill");

	if (!err && statfs(b.dir, &st))
		err = -errno;
	if (err)
		return fail("--fill: statfs", b.dir, err);
	if (!st.f_blocks) {
		printf("fsbench: --fill: %s reports no size (statfs f_blocks 0)\n",
		       b.dir);
		return -EINVAL;
	}
	total = (uint64_t)st.f_blocks * st.f_bsize;
	used = ((uint64_t)st.f_blocks -
		(st.f_bavail < st.f_blocks ? st.f_bavail : st.f_blocks)) *
	       st.f_bsize;
	want = total / 100 * b.fill_pct;
	bytes = want > used ? (want - used) & ~(uint64_t)(FSB_CHUNK - 1) : 0;
	fd = open(b.path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return fail("--fill: create", b.path, -errno);
	b.made_fill = 1;
	start();
	err = close_keep(fd, write_seq("--fill", fd, bytes, 1));
	if (err)
		return fail("--fill", b.path, err);
	printf("  fill: %llu MiB written: %u %% of %llu MiB in use before the random rows\n",
	       (unsigned long long)(bytes >> 20), b.fill_pct,
	       (unsigned long long)(total >> 20));
	fill(b.buf, FSB_CHUNK);
	return 0;
}

static int rand_writes(const char *row_name, int fd, uint64_t nr, unsigned int every)
{
	uint64_t blocks = b.rand_bytes / FSB_PAGE;

	for (uint64_t i = 0; i < nr; i++) {
		uint64_t blk = next_rand() % blocks;
		int err;

		stamp(b.buf, ++b.gen[blk], blk * FSB_PAGE);
		err = write_full(fd, b.buf, FSB_PAGE, blk * FSB_PAGE);
		if (!err && every && (i + 1) % every == 0)
			err = do_fsync(fd);
		if (err)
			return err;
		progress(row_name, i + 1, nr, "writes");
	}
	if (every && nr % every == 0)
		return 0;
	return do_fsync(fd);
}

static int rand_row(const char *row_name, unsigned int every)
{
	uint64_t nr = b.rand_bytes / FSB_PAGE;
	int fd, err = drop_file_cache(row_name, b.path);

	if (err)
		return err;
	start();
	fd = open(b.path, O_WRONLY);
	if (fd < 0)
		return fail(row_name, b.path, -errno);
	err = close_keep(fd, rand_writes(row_name, fd, nr, every));
	if (err)
		return fail(row_name, b.path, err);
	row(row_name, nr * FSB_PAGE, 1, elapsed());
	err = drop_file_cache(row_name, b.path);
	return err ? err : verify_file(row_name, b.path, b.rand_bytes);
}

static int rand_rows(void)
{
	int fd, err = name("fsbench.rand");

	if (err)
		return fail("rand-write", b.dir, err);
	b.rnd = b.seed * 0x9e3779b97f4a7c15ULL | 1;
	fd = open(b.path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return fail("rand-write: create", b.path, -errno);
	b.made_rand = 1;
	start();
	err = close_keep(fd, write_seq("rand-write: create", fd, b.rand_bytes, 1));
	if (err)
		return fail("rand-write: create", b.path, err);
	for (uint64_t i = 0; i < b.rand_bytes / FSB_PAGE; i++)
		b.gen[i] = 1;
	fill(b.buf, FSB_CHUNK);
	if (b.fill_pct)
		err = fill_fs();
	if (!err)
		err = name("fsbench.rand");
	if (!err)
		err = rand_row("rand-write", 0);
	if (!err)
		err = rand_row("rand-write-fs64", FSB_FSYNC_EVERY);
	if (!err)
		err = remove_made("rand-write", "fsbench.rand", &b.made_rand);
	if (!err && b.made_fill)
		err = remove_made("rand-write", "fsbench.fill", &b.made_fill);
	return err;
}

static int small_name(unsigned int i, int dir_only)
{
	char rel[48];

	if (dir_only)
		snprintf(rel, sizeof(rel), "fsbench.small/d%02u", i);
	else
		snprintf(rel, sizeof(rel), "fsbench.small/d%02u/f%05u", i % b.nr_dirs, i);
	return name(rel);
}

static int small_create_one(unsigned int i)
{
	int fd = open(b.path, O_WRONLY | O_CREAT | O_EXCL, 0644);

	if (fd < 0)
		return -errno;
	stamp(b.buf, 0, i);
	return close_keep(fd, write_full(fd, b.buf, FSB_SMALL_BYTES, 0));
}

static int small_read_one(unsigned int i)
{
	int fd = open(b.path, O_RDONLY), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, b.buf, 2 * FSB_SMALL_BYTES);
	if (n < 0)
		err = -errno;
	else if (n != FSB_SMALL_BYTES || check(b.buf, 0, i))
		err = -EIO;
	close(fd);
	return err;
}

static int small_phase(int op)
{
	static const char *const rows[] = {"small-create", "small-read", "small-delete"};
	int err = 0;

	fill(b.buf, FSB_CHUNK);
	start();
	for (unsigned int i = 0; i < b.nr_small; i++) {
		err = small_name(i, 0);
		if (!err && op == 0)
			err = small_create_one(i);
		else if (!err && op == 1)
			err = small_read_one(i);
		else if (!err)
			err = unlink(b.path) ? -errno : 0;
		if (err)
			return fail(rows[op], b.path, err);
		progress(rows[op], i + 1, b.nr_small, "files");
	}
	if (op != 1)
		sync();
	row(rows[op], b.nr_small, 0, elapsed());
	return 0;
}

static int small_rows(void)
{
	int err = name("fsbench.small");

	if (!err)
		err = mkdir(b.path, 0755) ? -errno : 0;
	b.made_small = !err;
	for (unsigned int d = 0; d < b.nr_dirs && !err; d++) {
		err = small_name(d, 1);
		if (!err)
			err = mkdir(b.path, 0755) ? -errno : 0;
	}
	if (err)
		return fail("small-create: mkdir", b.path, err);
	err = small_phase(0);
	if (err)
		return err;
	sync();
	drop_page_cache();
	err = small_phase(1);
	return err ? err : small_phase(2);
}

static void cleanup(void)
{
	if (b.made_seq && !name("fsbench.seq"))
		unlink(b.path);
	if (b.made_rand && !name("fsbench.rand"))
		unlink(b.path);
	if (b.made_fill && !name("fsbench.fill"))
		unlink(b.path);
	if (!b.made_small)
		return;
	for (unsigned int i = 0; i < b.nr_small; i++)
		if (!small_name(i, 0))
			unlink(b.path);
	for (unsigned int d = 0; d < b.nr_dirs; d++)
		if (!small_name(d, 1))
			rmdir(b.path);
	if (!name("fsbench.small"))
		rmdir(b.path);
}

/* statfs's f_type as Linux names the type in /proc/mounts. */
static const char *fs_name(long type)
{
	switch ((unsigned long)type) {
	case 0xef53:
		return "ext4";
	case 0xf2f52010:
		return "f2fs";
	case 0x01021994:
		return "tmpfs";
	case 0x858458f6:
		return "ramfs";
	case 0x9123683e:
		return "btrfs";
	case 0x58465342:
		return "xfs";
	}
	return "other";
}

static int usage(const char *msg)
{
	fprintf(stderr,
		"fsbench: %s\nusage: fsbench [-s SCALE] [--seed N] "
		"[--rows seq,rand,small] [--fs TYPE] [--fill PCT] [--keep-caches] DIR\n",
		msg);
	return 2;
}

static int parse_rows(const char *list)
{
	char buf[64], *s = buf, *w;

	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		return -1;
	b.rows = 0;
	while ((w = strsep(&s, ","))) {
		if (!strcmp(w, "seq"))
			b.rows |= FSB_ROW_SEQ;
		else if (!strcmp(w, "rand"))
			b.rows |= FSB_ROW_RAND;
		else if (!strcmp(w, "small"))
			b.rows |= FSB_ROW_SMALL;
		else
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	struct stat st;
	int err = 0;

	b.scale = 1;
	b.seed = 1;
	b.rows = FSB_ROW_SEQ | FSB_ROW_RAND | FSB_ROW_SMALL;
	for (int i = 1; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end || v < 1 || v > FSB_MAX_SCALE)
				return usage("-s: need a number in 1..65536");
			b.scale = v;
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			b.seed = strtoull(argv[++i], &end, 10);
			if (*end)
				return usage("--seed: need a number");
		} else if (!strcmp(argv[i], "--rows") && i + 1 < argc) {
			if (parse_rows(argv[++i]))
				return usage("--rows: expected seq, rand or small");
		} else if (!strcmp(argv[i], "--fill") && i + 1 < argc) {
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end || v > 99)
				return usage("--fill: need a number in 0..99");
			b.fill_pct = v;
		} else if (!strcmp(argv[i], "--fs") && i + 1 < argc) {
			b.want_fs = argv[++i];
		} else if (!strcmp(argv[i], "--keep-caches")) {
			b.keep_caches = 1;
		} else if (argv[i][0] == '-' || dir) {
			return usage("bad arguments");
		} else {
			dir = argv[i];
		}
	}
	if (!dir)
		return usage("no DIR");
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return fail("DIR", dir, -ENOTDIR) ? 1 : 1;
	snprintf(b.dir, sizeof(b.dir), "%s", dir);
	{
		struct statfs sf;

		b.fstype = statfs(dir, &sf) ? "?" : fs_name(sf.f_type);
	}
	if (b.want_fs && strcmp(b.fstype, b.want_fs)) {
		printf("fsbench: %s is on %s, not %s\n", dir, b.fstype, b.want_fs);
		return 1;
	}
	b.seq_bytes = FSB_SEQ_BYTES / b.scale;
	b.seq_bytes = (b.seq_bytes < FSB_MIN_BYTES ? FSB_MIN_BYTES : b.seq_bytes) &
		      ~(uint64_t)(FSB_PAGE - 1);
	b.rand_bytes = FSB_RAND_BYTES / b.scale;
	b.rand_bytes = (b.rand_bytes < FSB_MIN_BYTES ? FSB_MIN_BYTES : b.rand_bytes) &
		       ~(uint64_t)(FSB_PAGE - 1);
	b.nr_small = FSB_SMALL_FILES / b.scale < 10 ? 10 : FSB_SMALL_FILES / b.scale;
	b.nr_dirs = b.nr_small < FSB_SMALL_DIRS ? b.nr_small : FSB_SMALL_DIRS;
	b.buf = aligned_alloc(FSB_PAGE, FSB_CHUNK);
	b.gen = calloc(b.rand_bytes / FSB_PAGE, sizeof(*b.gen));
	if (!b.buf || !b.gen)
		return fail("memory", dir, -ENOMEM) ? 1 : 1;
	fill(b.buf, FSB_CHUNK);
	printf("fsbench %s (%s): scale %u, seed %llu: seq %llu KiB, rand %llu KiB, %u small files in %u dirs\n",
	       b.dir, b.fstype, b.scale, (unsigned long long)b.seed,
	       (unsigned long long)(b.seq_bytes >> 10),
	       (unsigned long long)(b.rand_bytes >> 10), b.nr_small, b.nr_dirs);
	fflush(stdout);
	if (b.rows & FSB_ROW_SEQ)
		err = seq_rows();
	if (!err && (b.rows & FSB_ROW_RAND))
		err = rand_rows();
	if (!err && (b.rows & FSB_ROW_SMALL))
		err = small_rows();
	cleanup();
	return err ? 1 : 0;
}
