/*
 * arch/host/emudisk_test.c - unit tests of the disk model alone, and the
 * negative-control pairs: for each way an easy disk model hides bugs, a
 * deliberately wrong file-system-like workload that now loses committed
 * data at some cut, and the correct workload that never does.
 *
 * Layer: arch/host (tests). Suite: emudisk. The model is driven directly
 * (submit and complete in a chosen order), on unlinked temporary files;
 * no block layer, so every interleaving is exact.
 *
 * The workload (a tiny log-structured file system): round g writes its
 * data to blocks DATA0 + 4g .. + 3 (two 2-block writes, pattern g), then a
 * commit block (block 0) saying "rounds 1..g are valid". The check on an
 * image: if block 0 says g, the data of every round 1..g is there, whole.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#include <quire/ktest.h>
#include <quire/printk.h>
#include "emudisk.h"

#define LBS	512u
#define NBLOCKS 64u
#define DATA0	8u
#define ROUNDS	3u
#define SEEDS	48u /* per cut point and kind */

struct tdisk {
	struct emudisk d;
	int media, out;
	u8 blk[8 * LBS];
};

static int tmpfile_fd(void)
{
	char tmpl[] = "/tmp/quire-emudisk-XXXXXX";
	int fd = mkstemp(tmpl);

	if (fd >= 0)
		unlink(tmpl);
	return fd;
}

static void tdisk_open(struct ktest *t, struct tdisk *td, u32 lbs, bool record)
{
	td->media = tmpfile_fd();
	td->out = tmpfile_fd();
	KTEST_ASSERT_TRUE(t, td->media >= 0 && td->out >= 0);
	KTEST_ASSERT_EQ(t, ftruncate(td->media, NBLOCKS * lbs), 0);
	KTEST_ASSERT_EQ(t,
			emudisk_init(&td->d, td->media, NBLOCKS * lbs, lbs, true, record,
				     ktest_seed()),
			0);
}

static void tdisk_close(struct tdisk *td)
{
	emudisk_release(&td->d);
	close(td->media);
	close(td->out);
}

/* The byte that fills block @b of generation @gen (1..7). */
static u8 pat(u32 b, u32 gen)
{
	return 0x80 | (gen & 7) << 4 | (b & 15);
}

/* Fill @nr blocks of @lbs bytes: every byte of block b says (gen, b). */
static void fill(u8 *buf, u32 lbs, u32 block, u32 nr, u32 gen)
{
	for (u32 i = 0; i < nr; i++)
		memset(buf + i * lbs, pat(block + i, gen), lbs);
}

static emudisk_id_t wr(struct tdisk *td, u32 block, u32 nr, u32 gen, u32 flags)
{
	fill(td->blk, LBS, block, nr, gen);
	return emudisk_submit_write(&td->d, (u64)block * LBS, (u64)nr * LBS, td->blk,
				    flags);
}

/* Generation block @b holds in the image @fd (0: never written; -1: not a
 * whole block of one write). */
static int gen_of(int fd, u32 lbs, u32 b)
{
	u8 buf[4096];

	if (pread(fd, buf, lbs, (off_t)b * lbs) != (ssize_t)lbs)
		return -1;
	for (u32 i = 1; i < lbs; i++)
		if (buf[i] != buf[0])
			return -1;
	if (!buf[0])
		return 0;
	if (!(buf[0] & 0x80) || (buf[0] & 15) != (b & 15))
		return -1;
	return (buf[0] >> 4) & 7;
}

/* The commit block holds the round number: pattern (round, block 0). */
static bool image_loses_data(int fd)
{
	int g = gen_of(fd, LBS, 0);

	if (g < 0)
		return true; /* a torn or garbage commit block */
	for (int r = 1; r <= g; r++)
		for (u32 i = 0; i < 4; i++) {
			u32 b = DATA0 + 4 * (r - 1) + i;
			u8 c, want = pat(b, r);

			if (pread(fd, &c, 1, (off_t)b * LBS) != 1 || c != want)
				return true;
		}
	return false;
}

/* Materialise every cut of every kind; count the images that lose data. */
static u32 sweep(struct ktest *t, struct tdisk *td, u32 *images)
{
	u64 seed = ktest_seed();
	u32 losses = 0;

	*images = 0;
	for (u64 n = 0; n <= emudisk_nr_events(&td->d); n++) {
		u32 und = emudisk_undecided(&td->d, n);
		struct emudisk_cut cuts[2 + 2 * SEEDS + 64];
		u32 nc = 0;

		cuts[nc++] = (struct emudisk_cut){EMUDISK_CUT_NONE, 0};
		for (u32 k = 1; k <= und && k < 64; k++)
			cuts[nc++] = (struct emudisk_cut){EMUDISK_CUT_PREFIX, k};
		for (u32 s = 0; s < SEEDS; s++) {
			cuts[nc++] = (struct emudisk_cut){EMUDISK_CUT_SUBSET, seed + s};
			cuts[nc++] = (struct emudisk_cut){EMUDISK_CUT_TORN, seed + s};
		}
		for (u32 c = 0; c < nc; c++) {
			KTEST_ASSERT_EQ(
				t, emudisk_materialise(&td->d, n, &cuts[c], td->out), 0);
			(*images)++;
			if (image_loses_data(td->out)) {
				if (!losses)
					cprintf("# first loss: cut after event %llu, kind %d arg %llu\n",
						(unsigned long long)n, cuts[c].kind,
						(unsigned long long)cuts[c].arg);
				losses++;
			}
		}
	}
	return losses;
}

enum workload {
	GOOD_PREFLUSH_FUA,	 /* data, wait, FLUSH, wait, commit FUA */
	GOOD_PREFLUSH_POSTFLUSH, /* data, wait, FLUSH, wait, commit, FLUSH */
	BAD_NO_PREFLUSH,	 /* data, wait, commit, wait, FLUSH */
	BAD_FUA_NO_PREFLUSH,	 /* data, wait, commit FUA */
	BAD_NOT_WAITED,		 /* data, FLUSH before data completed, commit FUA */
	BAD_FLUSH_ERROR_IGNORED, /* the flush fails; commit anyway */
	GOOD_FLUSH_ERROR_RETRIED,
	BAD_WRITE_ERROR_IGNORED, /* a data write fails torn; commit anyway */
	GOOD_WRITE_ERROR_RETRIED,
};

static int flush_now(struct tdisk *td)
{
	return emudisk_complete(&td->d, emudisk_submit_flush(&td->d));
}

static int write_now(struct tdisk *td, u32 block, u32 nr, u32 gen, u32 flags)
{
	return emudisk_complete(&td->d, wr(td, block, nr, gen, flags));
}

/* Data of round @g: two 2-block writes, both waited for; a failed one is
 * written again when @retry. */
static void round_data(struct ktest *t, struct tdisk *td, u32 g, bool retry)
{
	u32 b = DATA0 + 4 * (g - 1);

	for (u32 i = 0; i < 4; i += 2)
		while (write_now(td, b + i, 2, g, 0) && retry)
			;
	(void)t;
}

static void run_workload(struct ktest *t, struct tdisk *td, enum workload w)
{
	struct emudisk_faults f = {0};

	if (w == BAD_FLUSH_ERROR_IGNORED || w == GOOD_FLUSH_ERROR_RETRIED)
		f.fail_flush_nth = 2;
	if (w == BAD_WRITE_ERROR_IGNORED || w == GOOD_WRITE_ERROR_RETRIED)
		f.torn_write_nth = 4; /* round 2's first data write: torn */
	emudisk_set_faults(&td->d, &f);
	for (u32 g = 1; g <= ROUNDS; g++) {
		bool retry = w == GOOD_WRITE_ERROR_RETRIED;

		switch (w) {
		case BAD_NOT_WAITED: {
			u32 b = DATA0 + 4 * (g - 1);
			emudisk_id_t d1 = wr(td, b, 2, g, 0), d2 = wr(td, b + 2, 2, g, 0);
			emudisk_id_t fl = emudisk_submit_flush(&td->d);

			KTEST_EXPECT_EQ(t, emudisk_complete(&td->d, d1), 0);
			KTEST_EXPECT_EQ(t, emudisk_complete(&td->d, d2), 0);
			KTEST_EXPECT_EQ(t, emudisk_complete(&td->d, fl), 0);
			KTEST_EXPECT_EQ(t, write_now(td, 0, 1, g, EMUDISK_FUA), 0);
			break;
		}
		case BAD_NO_PREFLUSH:
			round_data(t, td, g, false);
			KTEST_EXPECT_EQ(t, write_now(td, 0, 1, g, 0), 0);
			KTEST_EXPECT_EQ(t, flush_now(td), 0);
			break;
		case BAD_FUA_NO_PREFLUSH:
			round_data(t, td, g, false);
			KTEST_EXPECT_EQ(t, write_now(td, 0, 1, g, EMUDISK_FUA), 0);
			break;
		case GOOD_PREFLUSH_POSTFLUSH:
			round_data(t, td, g, false);
			KTEST_EXPECT_EQ(t, flush_now(td), 0);
			KTEST_EXPECT_EQ(t, write_now(td, 0, 1, g, 0), 0);
			KTEST_EXPECT_EQ(t, flush_now(td), 0);
			break;
		case BAD_FLUSH_ERROR_IGNORED:
			round_data(t, td, g, false);
			flush_now(td);
			KTEST_EXPECT_EQ(t, write_now(td, 0, 1, g, EMUDISK_FUA), 0);
			break;
		case GOOD_FLUSH_ERROR_RETRIED:
			round_data(t, td, g, false);
			while (flush_now(td))
				;
			KTEST_EXPECT_EQ(t, write_now(td, 0, 1, g, EMUDISK_FUA), 0);
			break;
		default: /* GOOD_PREFLUSH_FUA, *_WRITE_ERROR_* */
			round_data(t, td, g, retry);
			KTEST_EXPECT_EQ(t, flush_now(td), 0);
			KTEST_EXPECT_EQ(t, write_now(td, 0, 1, g, EMUDISK_FUA), 0);
			break;
		}
	}
}

static u32 losses_of(struct ktest *t, enum workload w, const char *name)
{
	struct tdisk *td = calloc(1, sizeof(*td));
	u32 images, losses;

	KTEST_ASSERT_NOT_NULL(t, td);
	tdisk_open(t, td, LBS, true);
	run_workload(t, td, w);
	losses = sweep(t, td, &images);
	cprintf("# %s: %u of %u images after %llu events lose committed data (seed %llu)\n",
		name, losses, images, (unsigned long long)emudisk_nr_events(&td->d),
		(unsigned long long)ktest_seed());
	tdisk_close(td);
	free(td);
	return losses;
}

#define LOSSES(t, w) losses_of(t, w, #w)

/* Kindness 1: a FUA write flushed the whole cache. */
static void commit_fua_without_preflush_loses_data(struct ktest *t)
{
	KTEST_EXPECT_GT(t, LOSSES(t, BAD_FUA_NO_PREFLUSH), 0);
	KTEST_EXPECT_EQ(t, LOSSES(t, GOOD_PREFLUSH_FUA), 0);
}

static void commit_without_preflush_loses_data(struct ktest *t)
{
	KTEST_EXPECT_GT(t, LOSSES(t, BAD_NO_PREFLUSH), 0);
	KTEST_EXPECT_EQ(t, LOSSES(t, GOOD_PREFLUSH_POSTFLUSH), 0);
}

/* Kindness 2: a flush persisted writes still in flight. */
static void commit_before_data_completed_loses_data(struct ktest *t)
{
	KTEST_EXPECT_GT(t, LOSSES(t, BAD_NOT_WAITED), 0);
	KTEST_EXPECT_EQ(t, LOSSES(t, GOOD_PREFLUSH_FUA), 0);
}

/* Kindness 5: flushes never failed, failed writes changed nothing. */
static void ignored_flush_error_loses_data(struct ktest *t)
{
	KTEST_EXPECT_GT(t, LOSSES(t, BAD_FLUSH_ERROR_IGNORED), 0);
	KTEST_EXPECT_EQ(t, LOSSES(t, GOOD_FLUSH_ERROR_RETRIED), 0);
}

static void ignored_write_error_loses_data(struct ktest *t)
{
	KTEST_EXPECT_GT(t, LOSSES(t, BAD_WRITE_ERROR_IGNORED), 0);
	KTEST_EXPECT_EQ(t, LOSSES(t, GOOD_WRITE_ERROR_RETRIED), 0);
}

/* ---- the model's rules, one by one ---- */

/* FUA makes its own range durable, nothing else; an older cached write to
 * that range never lands over it. */
static void fua_covers_only_its_own_range(struct ktest *t)
{
	struct tdisk td;
	struct emudisk_cut none = {EMUDISK_CUT_NONE, 0};

	tdisk_open(t, &td, LBS, true);
	KTEST_EXPECT_EQ(t, write_now(&td, 1, 1, 1, 0), 0);	     /* A */
	KTEST_EXPECT_EQ(t, write_now(&td, 2, 1, 1, 0), 0);	     /* A' */
	KTEST_EXPECT_EQ(t, write_now(&td, 2, 1, 2, EMUDISK_FUA), 0); /* B */
	KTEST_ASSERT_EQ(
		t, emudisk_materialise(&td.d, emudisk_nr_events(&td.d), &none, td.out),
		0);
	KTEST_EXPECT_EQ(t, gen_of(td.out, LBS, 1), 0); /* A lost */
	KTEST_EXPECT_EQ(t, gen_of(td.out, LBS, 2), 2); /* B */
	for (u64 s = 0; s < 64; s++) {
		struct emudisk_cut c = {EMUDISK_CUT_TORN, s};

		KTEST_ASSERT_EQ(
			t,
			emudisk_materialise(&td.d, emudisk_nr_events(&td.d), &c, td.out),
			0);
		KTEST_EXPECT_EQ(t, gen_of(td.out, LBS, 2), 2); /* never A' */
	}
	tdisk_close(&td);
}

/* A flush covers the writes completed before it was submitted, and only
 * once it has completed itself. */
static void flush_covers_writes_completed_before_its_submission(struct ktest *t)
{
	struct tdisk td;
	struct emudisk_cut none = {EMUDISK_CUT_NONE, 0};
	emudisk_id_t a, b, f;

	tdisk_open(t, &td, LBS, true);
	a = wr(&td, 1, 1, 1, 0);
	KTEST_EXPECT_EQ(t, emudisk_complete(&td.d, a), 0);
	b = wr(&td, 2, 1, 1, 0);
	f = emudisk_submit_flush(&td.d);
	KTEST_ASSERT_EQ(
		t, emudisk_materialise(&td.d, emudisk_nr_events(&td.d), &none, td.out),
		0);
	KTEST_EXPECT_EQ(t, gen_of(td.out, LBS, 1), 0); /* flush not done */
	KTEST_EXPECT_EQ(t, emudisk_complete(&td.d, b), 0);
	KTEST_EXPECT_EQ(t, emudisk_complete(&td.d, f), 0);
	KTEST_ASSERT_EQ(
		t, emudisk_materialise(&td.d, emudisk_nr_events(&td.d), &none, td.out),
		0);
	KTEST_EXPECT_EQ(t, gen_of(td.out, LBS, 1), 1); /* covered */
	KTEST_EXPECT_EQ(t, gen_of(td.out, LBS, 2), 0); /* in flight then */
	KTEST_EXPECT_EQ(t, emudisk_undecided(&td.d, emudisk_nr_events(&td.d)), 1);
	/* a cut before the flush completed: nothing durable */
	KTEST_ASSERT_EQ(
		t,
		emudisk_materialise(&td.d, emudisk_nr_events(&td.d) - 1, &none, td.out),
		0);
	KTEST_EXPECT_EQ(t, gen_of(td.out, LBS, 1), 0);
	tdisk_close(&td);
}

/* Two flushes in flight, the later one completes first: it makes durable
 * every write completed before it was submitted, the older flush's batch
 * too, and the newest version of a block stays (the case dm-log-writes
 * once replayed wrongly: W1,C1,F1,W1',C1',F2,CF2,CF1). */
static void flushes_completing_out_of_order_keep_the_newest(struct ktest *t)
{
	struct tdisk td;
	emudisk_id_t f1, f2;

	tdisk_open(t, &td, LBS, true);
	KTEST_EXPECT_EQ(t, write_now(&td, 3, 1, 1, 0), 0); /* W1 */
	f1 = emudisk_submit_flush(&td.d);
	KTEST_EXPECT_EQ(t, write_now(&td, 3, 1, 2, 0), 0); /* W1' */
	f2 = emudisk_submit_flush(&td.d);
	KTEST_EXPECT_EQ(t, emudisk_complete(&td.d, f2), 0);
	for (int pass = 0; pass < 2; pass++) {
		for (u64 s = 0; s < 64; s++) {
			struct emudisk_cut c = {
				s % 2 ? EMUDISK_CUT_TORN : EMUDISK_CUT_NONE, s};

			KTEST_ASSERT_EQ(t,
					emudisk_materialise(&td.d,
							    emudisk_nr_events(&td.d), &c,
							    td.out),
					0);
			KTEST_EXPECT_EQ(t, gen_of(td.out, LBS, 3), 2);
		}
		if (!pass)
			KTEST_EXPECT_EQ(t, emudisk_complete(&td.d, f1), 0); /* CF1 */
	}
	tdisk_close(&td);
}

/* Two writes to one block in flight together, then a flush: they settle
 * in the order they completed, whichever was submitted first, and every
 * cut after the flush leaves what reads showed once both had completed,
 * with or without record (without, the flush folds the log into the
 * media). Both orders are possible: a disk may apply either last. */
static void overlapping_writes_settle_as_reads_saw_them(struct ktest *t)
{
	int settled[2][2];

	for (int record = 0; record < 2; record++)
		for (int older_last = 0; older_last < 2; older_last++) {
			struct tdisk td;
			emudisk_id_t a, b;
			u8 buf[LBS];

			tdisk_open(t, &td, LBS, record);
			a = wr(&td, 3, 1, 1, 0);
			b = wr(&td, 3, 1, 2, 0);
			KTEST_EXPECT_EQ(t, emudisk_complete(&td.d, older_last ? b : a),
					0);
			KTEST_EXPECT_EQ(t, emudisk_complete(&td.d, older_last ? a : b),
					0);
			KTEST_ASSERT_EQ(t, emudisk_read(&td.d, 3 * LBS, LBS, buf), 0);
			settled[record][older_last] = buf[0] == pat(3, 1) ? 1 :
						      buf[0] == pat(3, 2) ? 2 :
									    -1;
			KTEST_EXPECT_EQ(t, flush_now(&td), 0);
			for (u64 s = 0; s < 64; s++) {
				struct emudisk_cut c = {s % 3 == 0 ? EMUDISK_CUT_NONE :
							s % 3 == 1 ? EMUDISK_CUT_SUBSET :
								     EMUDISK_CUT_TORN,
							s};

				KTEST_ASSERT_EQ(t,
						emudisk_materialise(
							&td.d, emudisk_nr_events(&td.d),
							&c, td.out),
						0);
				KTEST_EXPECT_EQ(t, gen_of(td.out, LBS, 3),
						settled[record][older_last]);
			}
			tdisk_close(&td);
		}
	for (int record = 0; record < 2; record++) {
		KTEST_EXPECT_EQ(t, settled[record][0], 2); /* b completed last */
		KTEST_EXPECT_EQ(t, settled[record][1], 1); /* a completed last */
	}
}

/* The same two writes, the older one still in flight at the cut: it may
 * land after the newer (FUA, durable) one, or not. */
static void in_flight_older_write_may_land_over_a_durable_one(struct ktest *t)
{
	struct tdisk td;
	u32 seen[3] = {0};

	tdisk_open(t, &td, LBS, true);
	wr(&td, 3, 1, 1, 0); /* A: never completes */
	KTEST_EXPECT_EQ(t, write_now(&td, 3, 1, 2, EMUDISK_FUA), 0); /* B */
	for (u64 s = 0; s < 64; s++) {
		struct emudisk_cut c = {EMUDISK_CUT_TORN, s};
		int g;

		KTEST_ASSERT_EQ(
			t,
			emudisk_materialise(&td.d, emudisk_nr_events(&td.d), &c, td.out),
			0);
		g = gen_of(td.out, LBS, 3);
		KTEST_ASSERT_TRUE(t, g == 1 || g == 2);
		seen[g]++;
	}
	KTEST_EXPECT_GT(t, seen[1], 0);
	KTEST_EXPECT_GT(t, seen[2], 0);
	tdisk_close(&td);
}

/* Kindness 3: an 8-block write showed only prefixes. Now every one of the
 * 256 patterns shows, and "last block there" says nothing of the first. */
static void torn_writes_show_every_pattern(struct ktest *t)
{
	struct tdisk td;
	bool seen[256] = {false};
	u32 distinct = 0;

	tdisk_open(t, &td, LBS, true);
	wr(&td, 8, 8, 1, 0); /* in flight: anything may land */
	for (u64 s = 0; s < 3000; s++) {
		struct emudisk_cut c = {EMUDISK_CUT_TORN, ktest_seed() + s};
		u32 pat = 0;

		KTEST_ASSERT_EQ(
			t,
			emudisk_materialise(&td.d, emudisk_nr_events(&td.d), &c, td.out),
			0);
		for (u32 i = 0; i < 8; i++) {
			int g = gen_of(td.out, LBS, 8 + i);

			KTEST_ASSERT_TRUE(t, g == 0 || g == 1);
			pat |= (u32)g << i;
		}
		distinct += !seen[pat];
		seen[pat] = true;
	}
	cprintf("# %u of 256 tear patterns in 3000 seeds\n", distinct);
	KTEST_EXPECT_EQ(t, distinct, 256);
	KTEST_EXPECT_TRUE(t, seen[0x80]); /* only the last block */
	tdisk_close(&td);
}

/* Never inside a logical block: a 4096-byte block lands whole or not. */
static void tears_never_split_a_logical_block(struct ktest *t)
{
	struct tdisk td;
	u8 buf[4 * 4096];

	tdisk_open(t, &td, 4096, true);
	fill(buf, 4096, 4, 4, 1);
	emudisk_submit_write(&td.d, 4 * 4096, sizeof(buf), buf, 0);
	for (u64 s = 0; s < 200; s++) {
		struct emudisk_cut c = {EMUDISK_CUT_TORN, s};

		KTEST_ASSERT_EQ(
			t,
			emudisk_materialise(&td.d, emudisk_nr_events(&td.d), &c, td.out),
			0);
		for (u32 i = 0; i < 4; i++) {
			int g = gen_of(td.out, 4096, 4 + i);

			KTEST_EXPECT_TRUE(t, g == 0 || g == 1);
		}
	}
	tdisk_close(&td);
}

/* Kindness 4: discards read back zeros. Now old data or zeros, by seed. */
static void discard_reads_old_data_or_zeros(struct ktest *t)
{
	u32 zeros = 0, old = 0;

	for (u64 s = 1; s <= 32; s++) {
		struct tdisk td;
		u8 b[LBS];

		tdisk_open(t, &td, LBS, false);
		td.d.rng = s;
		KTEST_EXPECT_EQ(t, write_now(&td, 3, 1, 1, 0), 0);
		KTEST_EXPECT_EQ(t,
				emudisk_complete(&td.d, emudisk_submit_discard(
								&td.d, 3 * LBS, LBS)),
				0);
		KTEST_ASSERT_EQ(t, emudisk_read(&td.d, 3 * LBS, LBS, b), 0);
		zeros += b[0] == 0;
		old += b[0] == pat(3, 1);
		tdisk_close(&td);
	}
	KTEST_EXPECT_GT(t, zeros, 0);
	KTEST_EXPECT_GT(t, old, 0);
	KTEST_EXPECT_EQ(t, zeros + old, 32);
}

static void discard_zeroes_option_always_zeroes(struct ktest *t)
{
	struct tdisk td;
	u8 b[LBS];

	tdisk_open(t, &td, LBS, false);
	td.d.discard_zeroes = true;
	for (u32 i = 0; i < 16; i++) {
		KTEST_EXPECT_EQ(t, write_now(&td, 3, 1, 1, 0), 0);
		KTEST_EXPECT_EQ(t,
				emudisk_complete(&td.d, emudisk_submit_discard(
								&td.d, 3 * LBS, LBS)),
				0);
		KTEST_ASSERT_EQ(t, emudisk_read(&td.d, 3 * LBS, LBS, b), 0);
		KTEST_EXPECT_EQ(t, b[0], 0);
	}
	tdisk_close(&td);
}

/* A failed write leaves its range old, new or torn (by seed); reads agree
 * with what it left. */
static void failed_write_leaves_range_unknown(struct ktest *t)
{
	u32 all_old = 0, all_new = 0, torn = 0;

	for (u64 s = 1; s <= 64; s++) {
		struct tdisk td;
		struct emudisk_faults f = {.fail_write_nth = 1};
		u8 b[4 * LBS];
		u32 landed = 0;

		tdisk_open(t, &td, LBS, false);
		td.d.rng = s;
		emudisk_set_faults(&td.d, &f);
		KTEST_EXPECT_EQ(t, write_now(&td, 4, 4, 1, 0), -EIO);
		KTEST_ASSERT_EQ(t, emudisk_read(&td.d, 4 * LBS, sizeof(b), b), 0);
		for (u32 i = 0; i < 4; i++)
			landed += b[i * LBS] != 0;
		all_old += landed == 0;
		all_new += landed == 4;
		torn += landed && landed < 4;
		tdisk_close(&td);
	}
	cprintf("# failed write: %u old, %u new, %u torn\n", all_old, all_new, torn);
	KTEST_EXPECT_GT(t, all_old, 0);
	KTEST_EXPECT_GT(t, all_new, 0);
	KTEST_EXPECT_GT(t, torn, 0);
}

/* Kindness 6: cuts only with nothing in flight. Now a cut takes what is in
 * flight: it lands or not by seed, and its completion reports -EIO. */
static void power_cut_with_requests_in_flight(struct ktest *t)
{
	u32 landed = 0, lost = 0;

	for (u64 s = 0; s < 32; s++) {
		struct tdisk td;
		struct emudisk_cut c = {EMUDISK_CUT_SUBSET, s};
		emudisk_id_t w;
		u8 b[LBS];

		tdisk_open(t, &td, LBS, false);
		w = wr(&td, 5, 1, 1, 0);
		KTEST_EXPECT_EQ(t, emudisk_power_cut(&td.d, &c), 1);
		KTEST_EXPECT_EQ(t, emudisk_complete(&td.d, w), -EIO);
		KTEST_ASSERT_EQ(t, emudisk_read(&td.d, 5 * LBS, LBS, b), 0);
		landed += b[0] != 0;
		lost += b[0] == 0;
		KTEST_EXPECT_EQ(t, emudisk_nr_events(&td.d), 0);
		tdisk_close(&td);
	}
	KTEST_EXPECT_GT(t, landed, 0);
	KTEST_EXPECT_GT(t, lost, 0);
}

/* Without record, a quiescent flush folds the log into the media; a write
 * in flight across the flush keeps it (ED5). */
static void log_folds_only_when_everything_is_durable(struct ktest *t)
{
	struct tdisk td;
	emudisk_id_t w;

	tdisk_open(t, &td, LBS, false);
	KTEST_EXPECT_EQ(t, write_now(&td, 1, 1, 1, 0), 0);
	w = wr(&td, 2, 1, 1, 0);
	KTEST_EXPECT_EQ(t, flush_now(&td), 0);
	KTEST_EXPECT_EQ(t, emudisk_cached_writes(&td.d), 1); /* w */
	KTEST_EXPECT_GT(t, emudisk_nr_events(&td.d), 0);
	KTEST_EXPECT_EQ(t, emudisk_complete(&td.d, w), 0);
	KTEST_EXPECT_EQ(t, flush_now(&td), 0);
	KTEST_EXPECT_EQ(t, emudisk_nr_events(&td.d), 0); /* folded */
	KTEST_EXPECT_EQ(t, gen_of(td.media, LBS, 1), 1);
	KTEST_EXPECT_EQ(t, gen_of(td.media, LBS, 2), 1);
	tdisk_close(&td);
}

/* Bad requests are refused, a handle completes once, reads see writes. */
static void bad_requests_and_double_completion(struct ktest *t)
{
	struct tdisk td;
	emudisk_id_t w;
	u8 b[LBS];

	tdisk_open(t, &td, LBS, true);
	KTEST_EXPECT_EQ(
		t,
		emudisk_complete(&td.d, emudisk_submit_write(&td.d, 1, LBS, td.blk, 0)),
		-EINVAL);
	KTEST_EXPECT_EQ(t,
			emudisk_complete(&td.d, emudisk_submit_write(&td.d, NBLOCKS * LBS,
								     LBS, td.blk, 0)),
			-EINVAL);
	KTEST_EXPECT_EQ(t,
			emudisk_complete(&td.d, emudisk_submit_zero(&td.d, 0, (u64)-LBS)),
			-EINVAL);
	KTEST_EXPECT_EQ(t, emudisk_read(&td.d, 0, LBS + 1, b), -EINVAL);
	w = wr(&td, 7, 1, 3, 0);
	KTEST_ASSERT_EQ(t, emudisk_read(&td.d, 7 * LBS, LBS, b), 0);
	KTEST_EXPECT_EQ(t, b[0], pat(7, 3));
	KTEST_EXPECT_EQ(t, emudisk_complete(&td.d, w), 0);
	KTEST_EXPECT_EQ(t, emudisk_complete(&td.d, w), -EINVAL);
	KTEST_EXPECT_EQ(t, emudisk_complete(&td.d, w + 100), -EIO);
	KTEST_EXPECT_EQ(t, emudisk_nr_events(&td.d), 2);
	tdisk_close(&td);
}

/* emudisk_materialise_delta(): from whatever cut it last left, every cut
 * (each kind, over a workload of overlapping writes, tears and flushes)
 * is the image emudisk_materialise() writes whole; n = 0 gives the media
 * back. */
static void delta_images_equal_whole_ones(struct ktest *t)
{
	static u8 a[NBLOCKS * LBS], b[NBLOCKS * LBS];
	struct tdisk td;
	int32_t ver[NBLOCKS];
	int work = tmpfile_fd();
	u64 seed = ktest_seed(), checked = 0;

	tdisk_open(t, &td, LBS, true);
	KTEST_ASSERT_TRUE(t, work >= 0);
	memset(td.blk, 0x5a, LBS); /* the media is not all zeros */
	KTEST_ASSERT_EQ(t, pwrite(td.media, td.blk, LBS, 5 * LBS), (ssize_t)LBS);
	KTEST_ASSERT_EQ(t, ftruncate(work, 0), 0);
	KTEST_ASSERT_EQ(t, ftruncate(work, NBLOCKS * LBS), 0);
	KTEST_ASSERT_EQ(t, pwrite(work, td.blk, LBS, 5 * LBS), (ssize_t)LBS);
	for (u32 i = 0; i < NBLOCKS; i++)
		ver[i] = -1;
	run_workload(t, &td, GOOD_PREFLUSH_FUA);
	write_now(&td, 4, 6, 5, 0); /* cached at the end, over data blocks */
	wr(&td, 6, 3, 6, 0);	    /* in flight at the end */
	for (u64 n = emudisk_nr_events(&td.d) + 1; n-- > 0;) {
		struct emudisk_cut cuts[] = {
			{EMUDISK_CUT_NONE, 0},
			{EMUDISK_CUT_PREFIX, emudisk_undecided(&td.d, n)},
			{EMUDISK_CUT_SUBSET, seed + n},
			{EMUDISK_CUT_TORN, seed + n},
		};

		for (u32 c = 0; c < ARRAY_SIZE(cuts); c++) {
			KTEST_ASSERT_EQ(
				t, emudisk_materialise(&td.d, n, &cuts[c], td.out), 0);
			KTEST_ASSERT_EQ(
				t,
				emudisk_materialise_delta(&td.d, n, &cuts[c], work, ver),
				0);
			KTEST_ASSERT_EQ(t, pread(td.out, a, sizeof(a), 0),
					(ssize_t)sizeof(a));
			KTEST_ASSERT_EQ(t, pread(work, b, sizeof(b), 0),
					(ssize_t)sizeof(b));
			if (memcmp(a, b, sizeof(a))) {
				ktest_fail(
					t, __FILE__, __LINE__,
					"cut after event %llu, kind %d: delta image differs",
					(unsigned long long)n, cuts[c].kind);
				goto out;
			}
			checked++;
		}
	}
	KTEST_EXPECT_EQ(
		t,
		emudisk_materialise_delta(
			&td.d, 0, &(struct emudisk_cut){EMUDISK_CUT_NONE, 0}, work, ver),
		0);
	KTEST_ASSERT_EQ(t, pread(td.media, a, sizeof(a), 0), (ssize_t)sizeof(a));
	KTEST_ASSERT_EQ(t, pread(work, b, sizeof(b), 0), (ssize_t)sizeof(b));
	KTEST_EXPECT_EQ(t, memcmp(a, b, sizeof(a)), 0);
	KTEST_EXPECT_GT(t, checked, 40);
	KTEST_EXPECT_EQ(t,
			emudisk_materialise_delta(
				&td.d, 0, &(struct emudisk_cut){EMUDISK_CUT_NONE, 0},
				td.media, ver),
			-EINVAL);
out:
	close(work);
	tdisk_close(&td);
}

static const struct ktest_case emudisk_cases[] = {
	KTEST_CASE(commit_fua_without_preflush_loses_data),
	KTEST_CASE(commit_without_preflush_loses_data),
	KTEST_CASE(commit_before_data_completed_loses_data),
	KTEST_CASE(ignored_flush_error_loses_data),
	KTEST_CASE(ignored_write_error_loses_data),
	KTEST_CASE(fua_covers_only_its_own_range),
	KTEST_CASE(flush_covers_writes_completed_before_its_submission),
	KTEST_CASE(flushes_completing_out_of_order_keep_the_newest),
	KTEST_CASE(overlapping_writes_settle_as_reads_saw_them),
	KTEST_CASE(in_flight_older_write_may_land_over_a_durable_one),
	KTEST_CASE(torn_writes_show_every_pattern),
	KTEST_CASE(tears_never_split_a_logical_block),
	KTEST_CASE(discard_reads_old_data_or_zeros),
	KTEST_CASE(discard_zeroes_option_always_zeroes),
	KTEST_CASE(failed_write_leaves_range_unknown),
	KTEST_CASE(power_cut_with_requests_in_flight),
	KTEST_CASE(log_folds_only_when_everything_is_durable),
	KTEST_CASE(bad_requests_and_double_completion),
	KTEST_CASE(delta_images_equal_whole_ones),
	KTEST_END,
};

static const struct ktest_suite emudisk_suite = {
	.name = "emudisk",
	.cases = emudisk_cases,
};
KTEST_SUITE(emudisk_suite);
