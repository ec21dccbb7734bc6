/*
 * net/http/http_rate_test.c - suite http_rate: the minimum-rate account
 * of HD5/HD6 (http_rate.c) without a network. Simulated peers against the
 * arithmetic: without a window it is the old average rule; with one, a
 * peer that moved 1 GiB fast and then trickles is cut within about one
 * timeout plus the window (NET12: before, 1 GiB / rate, days), a peer at
 * the rate is never cut, one a little below it is cut when the window
 * and timeout are spent.
 */
#include <quire/kernel.h>
#include <quire/ktest.h>
#include "httpd.h"

#define T_MS 10000 /* the default httpd.timeout_ms */
#define RATE 4096  /* the default minimum rates, bytes/s */
#define W_MS 30000 /* the default httpd.rate_window_ms */

/*
 * A peer that moves @bytes every T_MS - 1 ms, just inside every timeout
 * (HD2 alone never cuts it): each wait lasts that long when the account
 * allows it, and ends in a cut (nothing moved) when it allows less.
 * Returns the ms waited until the cut, or @limit_ms if none came by then.
 */
static u64 trickle_until_cut(struct http_rate *r, unsigned int window_ms, u64 bytes,
			     u64 limit_ms)
{
	u64 waited = 0;

	while (waited < limit_ms) {
		u32 left = http_rate_wait_left(r, RATE, T_MS);

		if (left < T_MS - 1)
			return waited + left;
		http_rate_account(r, RATE, T_MS, window_ms, T_MS - 1, bytes);
		waited += T_MS - 1;
	}
	return limit_ms;
}

/* 1 GiB moved fast: 64 KiB pieces, each after 1 ms of waiting. */
static void move_a_gib_fast(struct http_rate *r, unsigned int window_ms)
{
	for (unsigned int i = 0; i < (1U << 30) / 65536; i++)
		http_rate_account(r, RATE, T_MS, window_ms, 1, 65536);
}

static void a_fast_gib_then_a_trickle_is_cut_within_the_window(struct ktest *t)
{
	struct http_rate r;
	u64 cut;

	http_rate_start(&r, T_MS);
	move_a_gib_fast(&r, W_MS);
	KTEST_EXPECT_EQ(t, r.bytes, 1ULL << 30);
	KTEST_EXPECT_EQ(t, r.credit_us, (s64)(T_MS + W_MS) * 1000); /* capped */
	/* 100 bytes per wait: cut after the timeout and the window, about */
	cut = trickle_until_cut(&r, W_MS, 100, 86400000ULL);
	KTEST_EXPECT_GE(t, cut, (u64)(T_MS + W_MS) * 99 / 100);
	KTEST_EXPECT_LE(t, cut, (u64)(T_MS + W_MS) * 11 / 10);

	/* no window: the average over the whole response (the old rule)
	 * lets the same peer wait 1 GiB / 4096 B/s, three days */
	http_rate_start(&r, T_MS);
	move_a_gib_fast(&r, 0);
	cut = trickle_until_cut(&r, 0, 100, 86400000ULL);
	KTEST_EXPECT_EQ(t, cut, 86400000ULL); /* not cut in a day */
}

static void a_peer_at_the_rate_is_never_cut_one_below_is(struct ktest *t)
{
	struct http_rate r;
	u64 cut;

	/* 4096 bytes a second, a second each wait: the credit stays put */
	http_rate_start(&r, T_MS);
	for (unsigned int s = 0; s < 100000; s++) {
		KTEST_ASSERT_EQ(t, http_rate_wait_left(&r, RATE, T_MS), T_MS);
		http_rate_account(&r, RATE, T_MS, W_MS, 1000, RATE);
	}
	/* 4000 bytes a second: 2.3 % short; the 10 s the credit starts
	 * with last 10 / 0.0234 s = 427 s */
	http_rate_start(&r, T_MS);
	for (cut = 0; cut < 1000000 && http_rate_wait_left(&r, RATE, T_MS); cut += 1000)
		http_rate_account(&r, RATE, T_MS, W_MS, 1000, 4000);
	KTEST_EXPECT_GE(t, cut, 420000);
	KTEST_EXPECT_LE(t, cut, 435000);
}

static void without_a_window_the_credit_is_the_average(struct ktest *t)
{
	struct http_rate r;
	u64 bytes = 0, waited = 0;

	http_rate_start(&r, T_MS);
	KTEST_EXPECT_EQ(t, http_rate_wait_left(&r, RATE, T_MS), T_MS);
	/* the old rule: timeout + bytes / rate - waited, at most a timeout */
	for (unsigned int i = 1; i < 200; i++) {
		/* about 4.3 KB/s, then (from 100) a tenth of it */
		u64 ms = (i * 37) % 700, b = (i * 7919) % 3000 / (i < 100 ? 1 : 10);
		s64 old = (s64)T_MS + (s64)(bytes * 1000 / RATE) - (s64)waited;
		u32 left = http_rate_wait_left(&r, RATE, T_MS);

		if (old <= 0)
			KTEST_EXPECT_LE(t, left, 1); /* ms rounding */
		else
			KTEST_EXPECT_LE(t,
					left > http_min(old, T_MS) ?
						left - http_min(old, T_MS) :
						http_min(old, T_MS) - left,
					1); /* ms rounding */
		http_rate_account(&r, RATE, T_MS, 0, ms, b);
		bytes += b;
		waited += ms;
	}
	KTEST_EXPECT_EQ(t, http_rate_wait_left(&r, RATE, T_MS), 0); /* spent */
	KTEST_EXPECT_EQ(t, r.bytes, bytes);
	KTEST_EXPECT_EQ(t, r.wait_ms, waited);
	/* rate 0: no rule but HD2's */
	http_rate_account(&r, 0, T_MS, W_MS, 1000000, 0);
	KTEST_EXPECT_EQ(t, http_rate_wait_left(&r, 0, T_MS), T_MS);
}

/*
 * REVN12 (review of NET12): the knobs at their extremes (kstrtouint takes
 * up to UINT_MAX; 2^32 and beyond are refused, the default kept) never
 * overflow the account: a timeout and a window of UINT_MAX ms cap the
 * credit at 2 * UINT_MAX ms and the wait at UINT_MAX; a rate of UINT_MAX
 * B/s earns a small move nothing; a rate of 1 B/s without a window banks
 * 4 TiB moved (4.4e18 us) and stays positive; a window of 1 ms caps the
 * fast GiB at the timeout plus 1 ms.
 */
#define KNOB_MAX 0xffffffffU /* kstrtouint()'s largest */

static void knobs_at_their_extremes_do_not_overflow(struct ktest *t)
{
	struct http_rate r;

	http_rate_start(&r, KNOB_MAX);
	KTEST_EXPECT_EQ(t, http_rate_wait_left(&r, 1, KNOB_MAX), KNOB_MAX);
	for (unsigned int i = 0; i < (1U << 30) / 65536; i++)
		http_rate_account(&r, 1, KNOB_MAX, KNOB_MAX, 1, 65536);
	KTEST_EXPECT_EQ(t, r.credit_us, ((s64)KNOB_MAX + KNOB_MAX) * 1000);
	KTEST_EXPECT_EQ(t, http_rate_wait_left(&r, 1, KNOB_MAX), KNOB_MAX);

	http_rate_start(&r, T_MS);
	http_rate_account(&r, KNOB_MAX, T_MS, W_MS, 0, 4096);
	KTEST_EXPECT_EQ(t, r.credit_us, (s64)T_MS * 1000); /* 0.95 us: nothing */
	http_rate_account(&r, KNOB_MAX, T_MS, W_MS, T_MS, 0);
	KTEST_EXPECT_EQ(t, http_rate_wait_left(&r, KNOB_MAX, T_MS), 0);

	http_rate_start(&r, T_MS);
	for (unsigned int i = 0; i < 1U << 22; i++)
		http_rate_account(&r, 1, T_MS, 0, 0, 1U << 20);
	KTEST_EXPECT_EQ(t, r.bytes, 1ULL << 42);
	KTEST_EXPECT_EQ(t, r.credit_us, (s64)T_MS * 1000 + (s64)(1ULL << 42) * 1000000);
	KTEST_EXPECT_EQ(t, http_rate_wait_left(&r, 1, T_MS), T_MS);

	http_rate_start(&r, T_MS);
	move_a_gib_fast(&r, 1);
	KTEST_EXPECT_EQ(t, r.credit_us, (s64)(T_MS + 1) * 1000);
}

static const struct ktest_case http_rate_cases[] = {
	KTEST_CASE(a_fast_gib_then_a_trickle_is_cut_within_the_window),
	KTEST_CASE(a_peer_at_the_rate_is_never_cut_one_below_is),
	KTEST_CASE(without_a_window_the_credit_is_the_average),
	KTEST_CASE(knobs_at_their_extremes_do_not_overflow),
	KTEST_END,
};

static const struct ktest_suite http_rate_suite = {
	.name = "http_rate",
	.cases = http_rate_cases,
};
KTEST_SUITE(http_rate_suite);
