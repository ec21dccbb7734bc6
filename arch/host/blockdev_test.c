/*
 * arch/host/blockdev_test.c - host-only block tests: fault injection,
 * power cuts, and the generic block bodies on disks the test creates.
 *
 * Layer: arch/host (tests). Suites: hostdisk (fault injection and the
 * cache model), hostdisk_blk (block/blk-test.h bodies on fresh tmp disks,
 * so the host run needs no --disk). Every disk here is an unlinked
 * temporary file made by the test itself.
 */
#include <quire/blk-mq.h>
#include <quire/ktest.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/string.h>
#include "../../block/blk-test.h"
#include "blockdev.h"

static struct gendisk *make_disk(struct ktest *t, const char *spec)
{
	struct gendisk *disk = NULL;
	int err = hostdisk_create(spec, &disk);

	if (err)
		ktest_fail(t, __FILE__, __LINE__, "hostdisk_create(%s): %d", spec, err);
	KTEST_ASSERT_NOT_NULL(t, disk);
	return disk;
}

static int hostdisk_test_init(struct ktest *t)
{
	t->priv = NULL;
	return 0;
}

/* Each case keeps at most two disks in t->priv[] for the exit hook. */
struct made {
	struct gendisk *disk[2];
	struct blk_test_buf buf;
};

static struct made *made(struct ktest *t)
{
	static struct made m;

	t->priv = &m;
	return &m;
}

static void hostdisk_test_exit(struct ktest *t)
{
	struct made *m = t->priv;

	if (!m)
		return;
	for (int i = 0; i < 2; i++)
		if (m->disk[i])
			hostdisk_destroy(m->disk[i]);
	blk_test_buf_free(&m->buf);
	memset(m, 0, sizeof(*m));
}

/* A test disk and an 8-sector buffer; @spec's options after tmp:SIZE. */
static struct gendisk *setup(struct ktest *t, const char *spec)
{
	struct made *m = made(t);

	m->disk[0] = make_disk(t, spec);
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&m->buf, 64 * 1024), 0);
	return m->disk[0];
}

static int wr(struct ktest *t, struct gendisk *d, blk_opf_t opf, sector_t s,
	      u32 nr, u32 gen)
{
	struct made *m = t->priv;

	blk_test_fill(m->buf.va, s, nr, gen);
	return blk_test_rw(d, opf, s, &m->buf, 0, nr << SECTOR_SHIFT);
}

/* Index of the first sector of [s, s+nr) not holding pattern @gen, or -1. */
static long rd_check(struct ktest *t, struct gendisk *d, sector_t s, u32 nr, u32 gen)
{
	struct made *m = t->priv;

	memset(m->buf.va, 0, nr << SECTOR_SHIFT);
	KTEST_ASSERT_EQ(t, blk_test_rw(d, REQ_OP_READ, s, &m->buf, 0, nr << SECTOR_SHIFT), 0);
	return blk_test_check(m->buf.va, s, nr, gen);
}

static bool all_zero(struct ktest *t, struct gendisk *d, sector_t s, u32 nr)
{
	struct made *m = t->priv;
	const u8 *p = m->buf.va;

	KTEST_ASSERT_EQ(t, blk_test_rw(d, REQ_OP_READ, s, &m->buf, 0, nr << SECTOR_SHIFT), 0);
	for (u32 i = 0; i < nr << SECTOR_SHIFT; i++)
		if (p[i])
			return false;
	return true;
}

static void failed_write_reaches_submitter_as_eio(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M");
	struct hostdisk_faults f = { .fail_write_nth = 2 };
	struct disk_stats st;

	KTEST_ASSERT_EQ(t, hostdisk_set_faults(d, &f), 0);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 0, 8, 1), 0);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 8, 8, 1), -EIO);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 16, 8, 1), 0);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 0, 8, 1), -1);
	KTEST_EXPECT_TRUE(t, all_zero(t, d, 8, 8));	/* nothing landed */
	KTEST_EXPECT_EQ(t, rd_check(t, d, 16, 8, 1), -1);
	disk_stats_read(d, &st);
	KTEST_EXPECT_EQ(t, st.errors, 1);
}

static void failed_write_in_split_bio_fails_whole_bio(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:8M");
	struct hostdisk_faults f = { .fail_write_nth = 2 };
	struct made *m = t->priv;
	struct blk_test_buf big;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&big, 3 << 20), 0);
	KTEST_ASSERT_EQ(t, hostdisk_set_faults(d, &f), 0);
	/* 3 MiB = three 1 MiB requests; the second fails, so does the bio */
	KTEST_EXPECT_EQ(t, blk_test_rw(d, REQ_OP_WRITE, 0, &big, 0, 3 << 20), -EIO);
	blk_test_buf_free(&big);
	(void)m;
}

static void torn_write_lands_only_a_prefix(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M");
	struct hostdisk_faults f = { .torn_write_nth = 1, .torn_keep_sectors = 3 };

	KTEST_ASSERT_EQ(t, hostdisk_set_faults(d, &f), 0);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 32, 8, 5), -EIO);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 32, 3, 5), -1);
	KTEST_EXPECT_TRUE(t, all_zero(t, d, 35, 5));
}

static void power_cut_keeps_writes_covered_by_a_flush(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,cache");

	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 0, 8, 1), 0);		/* A */
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 64, 8, 1), 0);	/* C */
	KTEST_EXPECT_EQ(t, blkdev_issue_flush(&d->part0), 0);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 8, 8, 1), 0);		/* B */
	KTEST_EXPECT_EQ(t, rd_check(t, d, 8, 8, 1), -1);	/* cache is read */
	KTEST_EXPECT_EQ(t, hostdisk_power_cut(d, POWER_CUT_DROP, 0), 1);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 0, 8, 1), -1);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 64, 8, 1), -1);
	KTEST_EXPECT_TRUE(t, all_zero(t, d, 8, 8));
}

/* The test that shows the model catches a kernel that forgets to flush. */
static void kernel_that_forgets_to_flush_loses_data(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,cache");

	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 0, 16, 2), 0);
	KTEST_EXPECT_EQ(t, hostdisk_power_cut(d, POWER_CUT_DROP, 0), 1);
	KTEST_EXPECT_TRUE(t, all_zero(t, d, 0, 16));
}

static void fua_write_survives_power_cut_without_fua_support(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,cache,fua=0");

	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE | REQ_FUA, 0, 8, 3), 0);
	KTEST_EXPECT_EQ(t, hostdisk_cached_writes(d), 0);
	hostdisk_power_cut(d, POWER_CUT_DROP, 0);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 0, 8, 3), -1);
}

static void preflush_makes_earlier_writes_durable(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,cache");

	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 0, 8, 4), 0);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE | REQ_PREFLUSH, 16, 8, 4), 0);
	KTEST_EXPECT_EQ(t, hostdisk_power_cut(d, POWER_CUT_DROP, 0), 1);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 0, 8, 4), -1);	/* before the flush */
	KTEST_EXPECT_TRUE(t, all_zero(t, d, 16, 8));		/* itself: not FUA */
}

static void random_power_cut_never_loses_flushed_writes(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,cache");
	u64 seed = ktest_seed();

	cprintf("# seed %llu\n", (unsigned long long)seed);
	for (u32 round = 0; round < 8; round++) {
		for (u32 i = 0; i < 8; i++)
			KTEST_ASSERT_EQ(t, wr(t, d, REQ_OP_WRITE, i * 8, 8, 10 + round), 0);
		KTEST_ASSERT_EQ(t, blkdev_issue_flush(&d->part0), 0);
		for (u32 i = 0; i < 8; i++)
			KTEST_ASSERT_EQ(t, wr(t, d, REQ_OP_WRITE, 64 + i * 8, 8, 10 + round), 0);
		KTEST_EXPECT_EQ(t, hostdisk_power_cut(d, POWER_CUT_RANDOM, seed + round), 8);
		KTEST_EXPECT_EQ(t, rd_check(t, d, 0, 64, 10 + round), -1);
	}
}

static void no_write_cache_means_no_flushes(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,wce=0");
	struct disk_stats st;

	disk_stats_reset(d);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA, 0, 8, 6), 0);
	KTEST_EXPECT_EQ(t, blkdev_issue_flush(&d->part0), 0);
	disk_stats_read(d, &st);
	KTEST_EXPECT_EQ(t, st.ios[STAT_FLUSH], 0);
	KTEST_EXPECT_EQ(t, st.ios[STAT_WRITE], 1);
}

static void bad_disk_specs_are_refused(struct ktest *t)
{
	struct gendisk *d = NULL;

	KTEST_EXPECT_EQ(t, hostdisk_create("/nonexistent/quire.img", &d), -ENOENT);
	KTEST_EXPECT_EQ(t, hostdisk_create("tmp:0", &d), -EINVAL);
	KTEST_EXPECT_EQ(t, hostdisk_create("tmp:1M,bogus", &d), -EINVAL);
	KTEST_EXPECT_EQ(t, hostdisk_create("tmp:1M,qd=x", &d), -EINVAL);
	KTEST_EXPECT_EQ(t, hostdisk_create("tmp:1M,lbs=1000", &d), -EINVAL);
	KTEST_EXPECT_NULL(t, d);
}

static const struct ktest_case hostdisk_cases[] = {
	KTEST_CASE(failed_write_reaches_submitter_as_eio),
	KTEST_CASE(failed_write_in_split_bio_fails_whole_bio),
	KTEST_CASE(torn_write_lands_only_a_prefix),
	KTEST_CASE(power_cut_keeps_writes_covered_by_a_flush),
	KTEST_CASE(kernel_that_forgets_to_flush_loses_data),
	KTEST_CASE(fua_write_survives_power_cut_without_fua_support),
	KTEST_CASE(preflush_makes_earlier_writes_durable),
	KTEST_CASE(random_power_cut_never_loses_flushed_writes),
	KTEST_CASE(no_write_cache_means_no_flushes),
	KTEST_CASE(bad_disk_specs_are_refused),
	KTEST_END,
};

static const struct ktest_suite hostdisk_suite = {
	.name = "hostdisk",
	.init = hostdisk_test_init,
	.exit = hostdisk_test_exit,
	.cases = hostdisk_cases,
};
KTEST_SUITE(hostdisk_suite);

/* ---- the generic bodies on disks made here ---- */

static struct gendisk *one(struct ktest *t, const char *spec)
{
	struct made *m = made(t);

	m->disk[0] = make_disk(t, spec);
	return m->disk[0];
}

static void pattern_mixed_sizes_4k_blocks_2_queues(struct ktest *t)
{
	blk_test_pattern_mixed(t, one(t, "tmp:16M,lbs=4096,hwq=2,qd=8"));
}

static void many_in_flight_queue_depth_4(struct ktest *t)
{
	blk_test_many_in_flight(t, one(t, "tmp:8M,qd=4"));
}

static void many_in_flight_queue_depth_1(struct ktest *t)
{
	blk_test_many_in_flight(t, one(t, "tmp:8M,qd=1"));
}

static void threads_on_every_cpu_2_queues(struct ktest *t)
{
	blk_test_many_threads(t, one(t, "tmp:8M,hwq=2,qd=16"));
}

static void plug_merges_on_host_disk(struct ktest *t)
{
	blk_test_plug_merges(t, one(t, "tmp:8M"));
}

static void split_limits_on_host_disk(struct ktest *t)
{
	blk_test_split_limits(t, one(t, "tmp:64M"));
}

static void bad_bios_on_4k_block_disk(struct ktest *t)
{
	blk_test_bad_bios(t, one(t, "tmp:8M,lbs=4096"));
}

static void flush_fua_with_fua_support(struct ktest *t)
{
	blk_test_flush_and_fua(t, one(t, "tmp:8M,fua=1"));
}

static void flush_fua_without_write_cache(struct ktest *t)
{
	blk_test_flush_and_fua(t, one(t, "tmp:8M,wce=0"));
}

static void read_only_host_disk(struct ktest *t)
{
	blk_test_read_only(t, one(t, "tmp:8M,ro"));
}

static void odd_size_host_disk(struct ktest *t)
{
	blk_test_odd_size(t, one(t, "tmp:1000448"));
}

static void two_host_disks(struct ktest *t)
{
	struct made *m = made(t);

	m->disk[0] = make_disk(t, "tmp:8M");
	m->disk[1] = make_disk(t, "tmp:8M,hwq=2");
	blk_test_two_disks(t, m->disk[0], m->disk[1]);
}

static const struct ktest_case hostdisk_blk_cases[] = {
	KTEST_CASE(pattern_mixed_sizes_4k_blocks_2_queues),
	KTEST_CASE(many_in_flight_queue_depth_4),
	KTEST_CASE(many_in_flight_queue_depth_1),
	KTEST_CASE(threads_on_every_cpu_2_queues),
	KTEST_CASE(plug_merges_on_host_disk),
	KTEST_CASE(split_limits_on_host_disk),
	KTEST_CASE(bad_bios_on_4k_block_disk),
	KTEST_CASE(flush_fua_with_fua_support),
	KTEST_CASE(flush_fua_without_write_cache),
	KTEST_CASE(read_only_host_disk),
	KTEST_CASE(odd_size_host_disk),
	KTEST_CASE(two_host_disks),
	KTEST_END,
};

static const struct ktest_suite hostdisk_blk_suite = {
	.name = "hostdisk_blk",
	.init = hostdisk_test_init,
	.exit = hostdisk_test_exit,
	.cases = hostdisk_blk_cases,
};
KTEST_SUITE(hostdisk_blk_suite);
