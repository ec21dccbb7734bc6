/*
 * arch/host/blockdev_test.c - host-only block tests: fault injection,
 * power cuts, and the generic block bodies on disks the test creates.
 *
 * Layer: arch/host (tests). Suites: hostdisk (fault injection and the
 * cache model), hostdisk_blk (block/blk-test.h bodies on fresh tmp disks,
 * so the host run needs no --disk). Every disk here is an unlinked
 * temporary file made by the test itself.
 */
#include <stdlib.h>
#include <unistd.h>

#include <quire/blk-mq.h>
#include <quire/bio.h>
#include <quire/completion.h>
#include <quire/ktest.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/string.h>
#include "../../block/blk-test.h"
#include "blockdev.h"
#include "host.h"

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

/* Each sector of [s, s+nr) holds pattern @gen or zeros (never garbage);
 * counts how many hold @gen. */
static long new_or_old(struct ktest *t, struct gendisk *d, sector_t s, u32 nr, u32 gen)
{
	struct made *m = t->priv;
	long landed = 0;

	KTEST_ASSERT_EQ(t, blk_test_rw(d, REQ_OP_READ, s, &m->buf, 0, nr << SECTOR_SHIFT),
			0);
	for (u32 i = 0; i < nr; i++) {
		const u8 *p = (const u8 *)m->buf.va + (i << SECTOR_SHIFT);
		bool zero = true;

		for (u32 k = 0; k < SECTOR_SIZE; k++)
			zero &= !p[k];
		if (zero)
			continue;
		KTEST_EXPECT_EQ(t, blk_test_check(p, s + i, 1, gen), -1);
		landed++;
	}
	return landed;
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
	new_or_old(t, d, 8, 8, 1); /* old, new or torn: never garbage */
	KTEST_EXPECT_EQ(t, rd_check(t, d, 16, 8, 1), -1);
	disk_stats_read(d, &st);
	KTEST_EXPECT_EQ(t, st.errors, 1);
}

static void failed_write_in_split_bio_fails_whole_bio(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:8M");
	struct hostdisk_faults f = {.fail_write_nth = 2};
	struct blk_test_buf big;

	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&big, 3 << 20), 0);
	KTEST_ASSERT_EQ(t, hostdisk_set_faults(d, &f), 0);
	/* 3 MiB = three 1 MiB requests; the second fails, so does the bio */
	KTEST_EXPECT_EQ(t, blk_test_rw(d, REQ_OP_WRITE, 0, &big, 0, 3 << 20), -EIO);
	blk_test_buf_free(&big);
}

/* A torn write lands some of its logical blocks, not a prefix: over
 * seeds, a later block lands without an earlier one. */
static void torn_write_lands_any_pattern_of_blocks(struct ktest *t)
{
	bool not_prefix = false;

	for (u32 s = 1; s <= 16 && !not_prefix; s++) {
		char spec[64];
		struct gendisk *d;
		struct hostdisk_faults f = {.torn_write_nth = 1};
		long landed;
		bool gap = false, seen_old = false;

		hostdisk_test_exit(t);
		scnprintf(spec, sizeof(spec), "tmp:4M,seed=%u", s);
		d = setup(t, spec);
		KTEST_ASSERT_EQ(t, hostdisk_set_faults(d, &f), 0);
		KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 32, 8, 5), -EIO);
		landed = new_or_old(t, d, 32, 8, 5);
		KTEST_EXPECT_GT(t, landed, 0);
		KTEST_EXPECT_LT(t, landed, 8);
		for (u32 i = 0; i < 8; i++) {
			bool old = all_zero(t, d, 32 + i, 1);

			gap |= seen_old && !old;
			seen_old |= old;
		}
		not_prefix |= gap;
	}
	KTEST_EXPECT_TRUE(t, not_prefix);
}

/* On a 4 KiB-block disk a torn write never splits a logical block. */
static void torn_write_keeps_logical_blocks_whole(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,lbs=4096,seed=3");
	struct hostdisk_faults f = {.torn_write_nth = 1};

	KTEST_ASSERT_EQ(t, hostdisk_set_faults(d, &f), 0);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 0, 64, 7), -EIO);
	for (u32 b = 0; b < 8; b++) {
		long landed = new_or_old(t, d, b * 8, 8, 7);

		KTEST_EXPECT_TRUE(t, landed == 0 || landed == 8);
	}
}

static void failed_flush_reaches_submitter_and_covers_nothing(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,cache,fail_flush=1");

	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 0, 8, 2), 0);
	KTEST_EXPECT_EQ(t, blkdev_issue_flush(&d->part0), -EIO);
	KTEST_EXPECT_EQ(t, hostdisk_power_cut(d, EMUDISK_CUT_NONE, 0), 1);
	KTEST_EXPECT_TRUE(t, all_zero(t, d, 0, 8));
}

static void power_cut_keeps_writes_covered_by_a_flush(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,cache");

	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 0, 8, 1), 0);		/* A */
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 64, 8, 1), 0);	/* C */
	KTEST_EXPECT_EQ(t, blkdev_issue_flush(&d->part0), 0);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 8, 8, 1), 0);		/* B */
	KTEST_EXPECT_EQ(t, rd_check(t, d, 8, 8, 1), -1);	/* cache is read */
	KTEST_EXPECT_EQ(t, hostdisk_power_cut(d, EMUDISK_CUT_NONE, 0), 1);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 0, 8, 1), -1);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 64, 8, 1), -1);
	KTEST_EXPECT_TRUE(t, all_zero(t, d, 8, 8));
}

/* The test that shows the model catches a kernel that forgets to flush. */
static void kernel_that_forgets_to_flush_loses_data(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,cache");

	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 0, 16, 2), 0);
	KTEST_EXPECT_EQ(t, hostdisk_power_cut(d, EMUDISK_CUT_NONE, 0), 1);
	KTEST_EXPECT_TRUE(t, all_zero(t, d, 0, 16));
}

static void fua_write_survives_power_cut_without_fua_support(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,cache,fua=0");

	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE | REQ_FUA, 0, 8, 3), 0);
	KTEST_EXPECT_EQ(t, hostdisk_cached_writes(d), 0);
	hostdisk_power_cut(d, EMUDISK_CUT_NONE, 0);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 0, 8, 3), -1);
}

/* With device FUA, a FUA write makes only itself durable: a commit
 * written FUA without PREFLUSH does not carry the data before it. */
static void fua_write_leaves_earlier_writes_cached(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,cache,fua=1");

	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 8, 8, 3), 0);		  /* data */
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE | REQ_FUA, 0, 8, 3), 0); /* commit */
	KTEST_EXPECT_EQ(t, hostdisk_cached_writes(d), 1);
	KTEST_EXPECT_EQ(t, hostdisk_power_cut(d, EMUDISK_CUT_NONE, 0), 1);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 0, 8, 3), -1); /* commit there */
	KTEST_EXPECT_TRUE(t, all_zero(t, d, 8, 8));	 /* its data not */
	/* the right way: PREFLUSH | FUA */
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 8, 8, 4), 0);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA, 0, 8, 4), 0);
	KTEST_EXPECT_EQ(t, hostdisk_power_cut(d, EMUDISK_CUT_NONE, 0), 0);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 0, 16, 4), -1);
}

static void preflush_makes_earlier_writes_durable(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,cache");

	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 0, 8, 4), 0);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE | REQ_PREFLUSH, 16, 8, 4), 0);
	KTEST_EXPECT_EQ(t, hostdisk_power_cut(d, EMUDISK_CUT_NONE, 0), 1);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 0, 8, 4), -1);	/* before the flush */
	KTEST_EXPECT_TRUE(t, all_zero(t, d, 16, 8));		/* itself: not FUA */
}

struct async_write {
	struct completion done;
	int status;
};

static void async_write_end_io(struct bio *bio)
{
	struct async_write *a = bio->bi_private;

	a->status = bio->bi_status;
	bio_put(bio);
	complete(&a->done);
}

/* Write 8 sectors of pattern @gen at @s from m->buf+@off, not waiting. */
static void write_async(struct ktest *t, struct gendisk *d, sector_t s, u32 off, u32 gen,
			struct async_write *a)
{
	struct made *m = t->priv;
	struct bio *bio = bio_alloc(&d->part0, 1, REQ_OP_WRITE, GFP_KERNEL);

	KTEST_ASSERT_NOT_NULL(t, bio);
	blk_test_fill((u8 *)m->buf.va + off, s, 8, gen);
	init_completion(&a->done);
	bio->bi_iter.bi_sector = s;
	bio_add_page(bio, m->buf.page, 8 << SECTOR_SHIFT, off);
	bio->bi_private = a;
	bio->bi_end_io = async_write_end_io;
	submit_bio(bio);
}

/* Commit (PREFLUSH | FUA at sector 0) after data at sector 64: @wait says
 * whether the data's completion is awaited before the commit; the data
 * write is held in the device until after the power cut when not. */
static void commit_after_data(struct ktest *t, struct gendisk *d, bool wait)
{
	struct made *m = t->priv;
	struct hostdisk_faults f = {.hold_writes = wait ? 0 : 1};
	struct async_write a;

	KTEST_ASSERT_EQ(t, hostdisk_set_faults(d, &f), 0);
	write_async(t, d, 64, 32768, 6, &a);
	if (wait)
		wait_for_completion(&a.done);
	blk_test_fill(m->buf.va, 0, 8, 6);
	KTEST_EXPECT_EQ(t,
			blk_test_rw(d, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA, 0, &m->buf,
				    0, 8 << SECTOR_SHIFT),
			0);
	hostdisk_power_cut(d, EMUDISK_CUT_NONE, 0);
	if (!wait) {
		KTEST_EXPECT_EQ(t, hostdisk_release_held(d), 1);
		wait_for_completion(&a.done);
		KTEST_EXPECT_EQ(t, a.status, -EIO); /* lost in the cut */
	} else {
		KTEST_EXPECT_EQ(t, a.status, 0);
	}
	KTEST_EXPECT_EQ(t, rd_check(t, d, 0, 8, 6), -1); /* commit durable */
}

/* A flush covers only writes completed before it was submitted: a commit
 * that did not wait for its data loses the data; one that did, does not. */
static void commit_before_data_completed_loses_data(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:4M,cache,fua=1");

	commit_after_data(t, d, false);
	KTEST_EXPECT_TRUE(t, all_zero(t, d, 64, 8));
	hostdisk_test_exit(t);
	d = setup(t, "tmp:4M,cache,fua=1");
	commit_after_data(t, d, true);
	KTEST_EXPECT_EQ(t, rd_check(t, d, 64, 8, 6), -1);
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
		KTEST_EXPECT_EQ(t,
				hostdisk_power_cut(d,
						   round % 2 ? EMUDISK_CUT_TORN :
							       EMUDISK_CUT_SUBSET,
						   seed + round),
				8);
		KTEST_EXPECT_EQ(t, rd_check(t, d, 0, 64, 10 + round), -1);
		if (!round) /* later rounds may show older rounds there */
			new_or_old(t, d, 64, 64, 10);
	}
}

/*
 * Deterministic mode delays each completion by a seeded number of switch
 * points and picks among queued requests by seed: a flush issued right
 * after a batch of writes finds some in flight, and some writes complete
 * out of order. (In free mode the workers' timing decides; not asserted.)
 */
static void det_completions_are_late_and_out_of_order(struct ktest *t)
{
	struct gendisk *d;
	struct async_write a[16];
	struct blk_plug plug;
	const struct emudisk *em;
	u64 late = 0, overtaken = 0;
	u32 first = 0, batch;

	if (!host_cfg.deterministic)
		ktest_skip(t, "needs --deterministic (free mode: the workers' timing)");
	d = setup(t, "tmp:4M,record");
	/* Each batch's outcome is a draw of the seeded model: one batch may
	 * by chance have nothing late (stress-det-all seed 2 once drew that),
	 * so up to 8 batches, of which some must show both. */
	for (batch = 0; batch < 8 && !(late && overtaken); batch++) {
		u64 flush_sub = 0, last_comp = 0;

		blk_start_plug(&plug);	     /* one batch: the device gets them at once */
		for (u32 i = 0; i < 16; i++) /* no merges */
			write_async(t, d, 64 + 16 * i, 4096 * i, 1 + batch, &a[i]);
		blk_finish_plug(&plug);
		KTEST_EXPECT_EQ(t, blkdev_issue_flush(&d->part0), 0);
		for (u32 i = 0; i < 16; i++) {
			wait_for_completion(&a[i].done);
			KTEST_EXPECT_EQ(t, a[i].status, 0);
		}
		em = hostdisk_model(d);
		KTEST_ASSERT_EQ(t, em->nr_reqs, first + 17);
		for (u32 i = first; i < em->nr_reqs; i++)
			if (em->reqs[i].op == EMUDISK_FLUSH)
				flush_sub = em->reqs[i].sub;
		for (u32 i = first; i < em->nr_reqs; i++) {
			const struct emudisk_req *r = &em->reqs[i];

			if (r->op != EMUDISK_WRITE)
				continue;
			late += r->comp > flush_sub;
			overtaken += r->comp < last_comp;
			last_comp = r->comp;
		}
		first = em->nr_reqs;
	}
	cprintf("# %llu writes completed after their flush was submitted, %llu overtaken, in %u batch(es) of 16\n",
		(unsigned long long)late, (unsigned long long)overtaken, batch);
	KTEST_EXPECT_GT(t, late, 0);
	KTEST_EXPECT_GT(t, overtaken, 0);
}

/* record: the log of a workload, and the image after each event. */
static void recorded_log_materialises_every_cut(struct ktest *t)
{
	struct gendisk *d = setup(t, "tmp:1M,record");
	char tmpl[] = "/tmp/quire-cut-XXXXXX";
	int fd = mkstemp(tmpl);
	u64 events, commit_seen = 0;

	KTEST_ASSERT_TRUE(t, fd >= 0);
	unlink(tmpl);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE, 8, 8, 9), 0);
	KTEST_EXPECT_EQ(t, wr(t, d, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA, 0, 8, 9), 0);
	events = hostdisk_log_events(d);
	KTEST_EXPECT_GE(t, events, 6); /* W, FLUSH, W (+ POSTFLUSH), each twice */
	for (u64 n = 0; n <= events; n++) {
		u8 c[SECTOR_SIZE], dt[SECTOR_SIZE];

		KTEST_ASSERT_EQ(t,
				hostdisk_materialise(d, n, EMUDISK_CUT_PREFIX,
						     hostdisk_undecided(d, n), fd),
				0);
		KTEST_ASSERT_EQ(t, pread(fd, c, sizeof(c), 0), (ssize_t)sizeof(c));
		KTEST_ASSERT_EQ(t, pread(fd, dt, sizeof(dt), 8 << SECTOR_SHIFT),
				(ssize_t)sizeof(dt));
		if (blk_test_check(c, 0, 1, 9) == -1) {
			commit_seen++;
			KTEST_EXPECT_EQ(t, blk_test_check(dt, 8, 1, 9), -1);
		}
	}
	KTEST_EXPECT_GT(t, commit_seen, 0);
	KTEST_EXPECT_EQ(t, hostdisk_materialise(d, events + 1, EMUDISK_CUT_NONE, 0, fd),
			-EINVAL);
	close(fd);
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
	KTEST_CASE(torn_write_lands_any_pattern_of_blocks),
	KTEST_CASE(torn_write_keeps_logical_blocks_whole),
	KTEST_CASE(failed_flush_reaches_submitter_and_covers_nothing),
	KTEST_CASE(power_cut_keeps_writes_covered_by_a_flush),
	KTEST_CASE(kernel_that_forgets_to_flush_loses_data),
	KTEST_CASE(fua_write_survives_power_cut_without_fua_support),
	KTEST_CASE(fua_write_leaves_earlier_writes_cached),
	KTEST_CASE(commit_before_data_completed_loses_data),
	KTEST_CASE(preflush_makes_earlier_writes_durable),
	KTEST_CASE(random_power_cut_never_loses_flushed_writes),
	KTEST_CASE(recorded_log_materialises_every_cut),
	KTEST_CASE(det_completions_are_late_and_out_of_order),
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

static void discard_split_on_host_disk(struct ktest *t)
{
	blk_test_discard_split(t, one(t, "tmp:64M"));
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
	KTEST_CASE(discard_split_on_host_disk),
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
