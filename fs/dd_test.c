/*
 * fs/dd_test.c - the `dd` suite: GNU dd's numbers (checked against
 * coreutils 9.1's output), operand errors, and copies through null, zero
 * and a test disk's page cache (buffered, O_DIRECT, conv=fsync).
 *
 * The copies run dd with status=none or noxfer: timings would make the
 * deterministic runs' output differ (tests/host_determinism.sh).
 */
#include <quire/ktest.h>
#include <quire/blkdev.h>
#include <quire/fs.h>
#include <quire/pagemap.h>
#include <quire/string.h>
#include <quire/printk.h>
#include "dd_internal.h"
#include "../block/blk-test.h"
#include "../block/bdev_internal.h"

static void expect_str(struct ktest *t, const char *got, const char *want)
{
	if (strcmp(got, want))
		ktest_fail(t, __FILE__, __LINE__, "got '%s', want '%s'", got, want);
}

static void dd_seconds_print_like_printf_g(struct ktest *t)
{
	static const struct {
		u64 ns;
		const char *want;
	} cases[] = {
		{543021000, "0.543021 s"},
		{2556360000ULL, "2.55636 s"},
		{58545800, "0.0585458 s"},
		{41858, "4.1858e-05 s"},
		{104494, "0.000104494 s"},
		{21000, "2.1e-05 s"},
		{1000000000, "1 s"},
		{123456789012ULL, "123.457 s"},
		{9999995, "0.01 s"},
		{1, "1e-09 s"},
		{0, "0 s"},
		{1500000000, "1.5 s"},
		{100000, "0.0001 s"},
	};
	char buf[40];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		dd_format_seconds(buf, sizeof(buf), cases[i].ns);
		expect_str(t, buf, cases[i].want);
	}
}

/* The lines coreutils 9.1 printed for these byte counts and times. */
struct xfer_case {
	u64 bytes, ns;
	const char *want;
};

/* dd_format_xfer() of each case, final (%g seconds) or @progress. */
static void expect_xfer_lines(struct ktest *t, const struct xfer_case *cases,
			      unsigned int n, bool progress)
{
	char buf[160];
	unsigned int i;

	for (i = 0; i < n; i++) {
		dd_format_xfer(buf, sizeof(buf), cases[i].bytes, cases[i].ns, progress);
		expect_str(t, buf, cases[i].want);
	}
}

static void dd_xfer_line_matches_gnu_dd(struct ktest *t)
{
	static const struct xfer_case cases[] = {
		{67108864, 2558500,
		 "67108864 bytes (67 MB, 64 MiB) copied, 0.0025585 s, 26.2 GB/s"},
		{512, 41858, "512 bytes copied, 4.1858e-05 s, 12.2 MB/s"},
		{1000, 29816, "1000 bytes (1.0 kB) copied, 2.9816e-05 s, 33.5 MB/s"},
		{1, 104494, "1 byte copied, 0.000104494 s, 9.6 kB/s"},
		{0, 40786, "0 bytes copied, 4.0786e-05 s, 0.0 kB/s"},
		{1073741824, 125188000,
		 "1073741824 bytes (1.1 GB, 1.0 GiB) copied, 0.125188 s, "
		 "8.6 GB/s"},
		{20000, 58669800,
		 "20000 bytes (20 kB, 20 KiB) copied, 0.0586698 s, 341 kB/s"},
		{1280000, 232053000,
		 "1280000 bytes (1.3 MB, 1.2 MiB) copied, 0.232053 s, 5.5 MB/s"},
		{5120000, 69402200,
		 "5120000 bytes (5.1 MB, 4.9 MiB) copied, 0.0694022 s, 73.8 MB/s"},
		{209715200, 1573370000,
		 "209715200 bytes (210 MB, 200 MiB) copied, 1.57337 s, "
		 "133 MB/s"},
		{10485760000ULL, 792425000,
		 "10485760000 bytes (10 GB, 9.8 GiB) copied, 0.792425 s, "
		 "13.2 GB/s"},
		/* human_readable() rounds the exact rate to nearest */
		{512, 1000000001, "512 bytes copied, 1 s, 512 B/s"},
		{999, 1000000001, "999 bytes copied, 1 s, 999 B/s"},
		{999, 1998000000, "999 bytes copied, 1.998 s, 500 B/s"},
	};

	expect_xfer_lines(t, cases, ARRAY_SIZE(cases), false);
}

/* A status=progress line: coreutils prints whole seconds there ("%.0f s":
 * "subsecond jitter" is no use once a second), rounded as printf does,
 * half to even. */
static void dd_progress_line_has_whole_seconds(struct ktest *t)
{
	static const struct xfer_case cases[] = {
		{67108864, 2558500000ULL,
		 "67108864 bytes (67 MB, 64 MiB) copied, 3 s, 26.2 MB/s"},
		{67108864, 2500000000ULL,
		 "67108864 bytes (67 MB, 64 MiB) copied, 2 s, 26.8 MB/s"},
		{67108864, 3500000000ULL,
		 "67108864 bytes (67 MB, 64 MiB) copied, 4 s, 19.2 MB/s"},
		{512, 1000000000ULL, "512 bytes copied, 1 s, 512 B/s"},
		{1000, 400000000, "1000 bytes (1.0 kB) copied, 0 s, 2.5 kB/s"},
	};

	expect_xfer_lines(t, cases, ARRAY_SIZE(cases), true);
}

/* GNU dd's numbers (coreutils' parse_integer(): xstrtoumax with suffixes
 * "bcEGkKMPTwYZ0" and 'x' products): K is 1024 but KB and kB are 1000, KiB
 * is 1024 again; b, w and c are 512, 2 and 1; NxM multiplies. */
static void dd_numbers_take_gnu_suffixes(struct ktest *t)
{
	static const struct {
		const char *s;
		u64 want; /* 0: refused */
	} cases[] = {
		{"512", 512},
		{"1k", 1024},
		{"1K", 1024},
		{"1kB", 1000},
		{"1KB", 1000},
		{"1KiB", 1024},
		{"2M", 2 << 20},
		{"2MB", 2000000},
		{"2MiB", 2 << 20},
		{"1G", 1 << 30},
		{"1GB", 1000000000},
		{"1T", 1ULL << 40},
		{"1TB", 1000000000000ULL},
		{"3b", 1536},
		{"3w", 6},
		{"7c", 7},
		{"2x512", 1024},
		{"2x2x2", 8},
		{"1kx4", 4096},
		{"4x1M", 4 << 20},
		{"9223372036854775807", 9223372036854775807ULL},
		{"9223372036854775808", 0},
		{"99999999999999999999", 0},
		{"8E", 0},
		{"4Ex2", 0},
		{"4294967296x4294967296", 0},
		{"", 0},
		{"x2", 0},
		{"2x", 0},
		{"2xx2", 0},
		{"-1", 0},
		{"+1", 0},
		{" 1", 0},
		{"1 ", 0},
		{"1Q", 0},
		{"1KiBx", 0},
		{"1iB", 0},
		{"1Bi", 0},
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 v = 0;
		int err = dd_parse_size(cases[i].s, &v);

		if (cases[i].want && (err || v != cases[i].want))
			ktest_fail(t, __FILE__, __LINE__, "'%s': %d, %llu; want %llu",
				   cases[i].s, err, (unsigned long long)v,
				   (unsigned long long)cases[i].want);
		if (!cases[i].want && err != -EINVAL)
			ktest_fail(t, __FILE__, __LINE__, "'%s': %d, %llu; want -EINVAL",
				   cases[i].s, err, (unsigned long long)v);
	}
}

static int run_dd(const char *line)
{
	return ktest_run_command(dd_command, line);
}

static void dd_rejects_bad_operands(struct ktest *t)
{
	static const char *const bad[] = {
		"dd",
		"dd if=zero",
		"dd of=null",
		"dd if=zero of=null foo=1",
		"dd if=zero of=null bs=0",
		"dd if=zero of=null bs=1x",
		"dd if=zero of=null bs=5M",
		"dd if=zero of=null count=abc",
		"dd if=zero of=null iflag=odd",
		"dd if=zero of=null oflag=direct,,sync",
		"dd if=zero of=null conv=ucase",
		"dd if=zero of=null status=loud",
		"dd if= of=null",
		"dd =zero of=null",
		"dd if=zero of=null seek=99999999999999 bs=1M",
		/* GNU dd: an empty word in a list is "invalid ... flag: ''" */
		"dd if=zero of=null count=1 iflag=",
		"dd if=zero of=null count=1 iflag=direct,",
		"dd if=zero of=null count=1 oflag=,dsync",
		"dd if=zero of=null count=1 conv=",
		"dd if=zero of=null count=1 conv=notrunc,",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int err = run_dd(bad[i]);

		if (err != -EINVAL)
			ktest_fail(t, __FILE__, __LINE__,
				   "'%s' returned %d, want -EINVAL", bad[i], err);
	}
	KTEST_EXPECT_EQ(t, run_dd("dd if=no_such_disk of=null"), -ENODEV);
	KTEST_EXPECT_EQ(t, run_dd("dd if=zero of=no_such_disk count=1"), -ENODEV);
	/* Linux's /dev/null has no fsync either. */
	KTEST_EXPECT_EQ(t, run_dd("dd if=zero of=null count=1 conv=fsync status=none"),
			-EINVAL);
}

static void dd_zero_to_null_copies_count_blocks(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, run_dd("dd if=zero of=null bs=64K count=16 status=noxfer"), 0);
	KTEST_EXPECT_EQ(t, run_dd("dd if=null of=null bs=4K status=noxfer"), 0);
	KTEST_EXPECT_EQ(t, run_dd("dd if=zero of=null bs=1M count=0 status=none"), 0);
}

static int pick_disk(struct gendisk *disk, void *arg)
{
	struct gendisk **found = arg;

	if (!disk_is_test_disk(disk) || bdev_read_only(&disk->part0) ||
	    disk_is_dead(disk) || get_capacity(disk) % 8 || get_capacity(disk) < 8192)
		return 0;
	*found = disk;
	return 1;
}

static struct gendisk *test_disk(struct ktest *t)
{
	struct gendisk *disk = NULL;

	disk_iterate(pick_disk, &disk);
	if (!disk)
		ktest_skip(t,
			   "no writable test disk of 4 MiB or more (serial quire-test*)");
	return disk;
}

#define DD_REGION_SECTOR 4096 /* 2 MiB into the disk: a region of its own */
#define DD_REGION_PAGES	 16

/*
 * A pattern written raw at region A; `dd if=DISK skip=A of=DISK seek=B`
 * buffered with conv=fsync; region B read raw from the disk holds A's
 * bytes, and the disk's ->writepage wrote them (the legacy branch).
 */
static void dd_buffered_copy_with_fsync_reaches_the_disk(struct ktest *t)
{
	struct gendisk *disk = test_disk(t);
	size_t bytes = DD_REGION_PAGES * PAGE_SIZE;
	struct blk_test_buf a, b;
	struct inode *inode = bdev_inode(disk);
	unsigned long calls;
	char line[160];

	KTEST_ASSERT_NOT_NULL(t, inode);
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&a, bytes), 0);
	if (blk_test_buf_alloc(&b, bytes)) {
		blk_test_buf_free(&a);
		KTEST_ASSERT_TRUE(t, false);
	}
	blk_test_fill(a.va, DD_REGION_SECTOR, bytes / 512, 0xdd01);
	KTEST_EXPECT_EQ(
		t, blk_test_rw(disk, REQ_OP_WRITE, DD_REGION_SECTOR, &a, 0, bytes), 0);
	/* What the cache held of both regions is stale now. */
	invalidate_mapping_pages(inode->i_mapping, 0, ~0UL);
	calls = bdev_writepage_calls(inode);
	scnprintf(line, sizeof(line),
		  "dd if=%s of=%s bs=4K count=%d skip=%d seek=%d conv=fsync status=none",
		  disk->disk_name, disk->disk_name, DD_REGION_PAGES, DD_REGION_SECTOR / 8,
		  DD_REGION_SECTOR / 8 + DD_REGION_PAGES);
	KTEST_EXPECT_EQ(t, run_dd(line), 0);
	KTEST_EXPECT_GE(t, bdev_writepage_calls(inode) - calls, DD_REGION_PAGES);
	KTEST_EXPECT_FALSE(t, mapping_tagged(inode->i_mapping, PAGECACHE_TAG_DIRTY));
	KTEST_EXPECT_EQ(t,
			blk_test_rw(disk, REQ_OP_READ, DD_REGION_SECTOR + bytes / 512, &b,
				    0, bytes),
			0);
	KTEST_EXPECT_EQ(t, memcmp(a.va, b.va, bytes), 0);
	blk_test_buf_free(&a);
	blk_test_buf_free(&b);
}

/* Buffered dd of zeros over the region, then `dd iflag=direct` back out
 * of the disk: the O_DIRECT read writes the dirty pages back first. */
static void dd_buffered_then_direct_read_back(struct ktest *t)
{
	struct gendisk *disk = test_disk(t);
	size_t bytes = DD_REGION_PAGES * PAGE_SIZE;
	struct blk_test_buf b;
	char line[160];
	size_t i;
	bool zero = true;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&b, bytes), 0);
	blk_test_fill(b.va, DD_REGION_SECTOR, bytes / 512, 0xdd02);
	KTEST_EXPECT_EQ(
		t, blk_test_rw(disk, REQ_OP_WRITE, DD_REGION_SECTOR, &b, 0, bytes), 0);
	invalidate_mapping_pages(bdev_inode(disk)->i_mapping, 0, ~0UL);
	scnprintf(line, sizeof(line),
		  "dd if=zero of=%s bs=8K count=%d seek=%d status=noxfer",
		  disk->disk_name, DD_REGION_PAGES / 2, DD_REGION_SECTOR / 16);
	KTEST_EXPECT_EQ(t, run_dd(line), 0);
	scnprintf(line, sizeof(line),
		  "dd if=%s of=null bs=64K count=1 skip=%d iflag=direct "
		  "status=noxfer",
		  disk->disk_name, DD_REGION_SECTOR / 128);
	KTEST_EXPECT_EQ(t, run_dd(line), 0);
	KTEST_EXPECT_EQ(t, blk_test_rw(disk, REQ_OP_READ, DD_REGION_SECTOR, &b, 0, bytes),
			0);
	for (i = 0; i < bytes; i++)
		zero &= ((char *)b.va)[i] == 0;
	KTEST_EXPECT_TRUE(t, zero);
	blk_test_buf_free(&b);
}

static void dd_direct_needs_aligned_blocks(struct ktest *t)
{
	struct gendisk *disk = test_disk(t);
	char line[160];

	scnprintf(line, sizeof(line),
		  "dd if=zero of=%s bs=100 count=1 oflag=direct status=none",
		  disk->disk_name);
	KTEST_EXPECT_EQ(t, run_dd(line), -EINVAL);
	scnprintf(line, sizeof(line),
		  "dd if=%s of=null bs=4K count=2 iflag=direct status=none",
		  disk->disk_name);
	KTEST_EXPECT_EQ(t, run_dd(line), 0);
}

static const struct ktest_case dd_cases[] = {
	KTEST_CASE(dd_seconds_print_like_printf_g),
	KTEST_CASE(dd_xfer_line_matches_gnu_dd),
	KTEST_CASE(dd_progress_line_has_whole_seconds),
	KTEST_CASE(dd_numbers_take_gnu_suffixes),
	KTEST_CASE(dd_rejects_bad_operands),
	KTEST_CASE(dd_zero_to_null_copies_count_blocks),
	KTEST_CASE(dd_buffered_copy_with_fsync_reaches_the_disk),
	KTEST_CASE(dd_buffered_then_direct_read_back),
	KTEST_CASE(dd_direct_needs_aligned_blocks),
	KTEST_END,
};

/* The cache a case filled is the disk's, not a leak of the case. */
static void dd_exit(struct ktest *t)
{
	bdev_drop_all_caches();
}

static const struct ktest_suite dd_suite = {
	.name = "dd",
	.exit = dd_exit,
	.cases = dd_cases,
};
KTEST_SUITE(dd_suite);
