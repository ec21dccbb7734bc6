/*
 * lib/errseq_test.c - KTAP suite `errseq`: lib/errseq.c against Linux's
 * rules (include/quire/errseq.h): each observer sees an error once, an
 * unseen error reaches a late sampler, the counter moves only after SEEN.
 *
 * Layer: lib tests. Single-threaded: the compare-exchange paths are the
 * same code whether or not they race.
 */
#include <quire/errseq.h>
#include <quire/ktest.h>
#include <quire/errno.h>

#define ERRSEQ_SEEN    (1u << 12)
#define ERRSEQ_CTR_INC (1u << 13)

static void errseq_two_observers_each_see_error_once(struct ktest *t)
{
	errseq_t wb_err = 0, a, b;

	a = errseq_sample(&wb_err);
	b = errseq_sample(&wb_err);
	KTEST_EXPECT_EQ(t, errseq_check(&wb_err, a), 0);
	errseq_set(&wb_err, -EIO);
	KTEST_EXPECT_EQ(t, errseq_check(&wb_err, a), -EIO); /* no advance */
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &a), -EIO);
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &a), 0);
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &b), -EIO);
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &b), 0);
	KTEST_EXPECT_EQ(t, errseq_check(&wb_err, a), 0);
	KTEST_EXPECT_TRUE(t, wb_err & ERRSEQ_SEEN);
}

static void errseq_sample_after_unseen_error_reports_it(struct ktest *t)
{
	errseq_t wb_err = 0, late;

	errseq_set(&wb_err, -ENOSPC);
	late = errseq_sample(&wb_err); /* opened after the error */
	KTEST_EXPECT_EQ(t, late, 0);
	KTEST_EXPECT_EQ(t, errseq_check(&wb_err, late), -ENOSPC);
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &late), -ENOSPC);
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &late), 0);
}

static void errseq_sample_after_seen_error_does_not_report(struct ktest *t)
{
	errseq_t wb_err = 0, a = 0, late;

	errseq_set(&wb_err, -EIO);
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &a), -EIO);
	late = errseq_sample(&wb_err);
	KTEST_EXPECT_EQ(t, late, wb_err);
	KTEST_EXPECT_EQ(t, errseq_check(&wb_err, late), 0);
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &late), 0);
}

static void errseq_new_error_after_seen_bumps_counter(struct ktest *t)
{
	errseq_t wb_err = 0, a = 0, before;

	errseq_set(&wb_err, -EIO);
	before = wb_err;
	/* Unseen: overwritten in place, no counter move. */
	KTEST_EXPECT_EQ(t, errseq_set(&wb_err, -ENOSPC), before - EIO + ENOSPC);
	KTEST_EXPECT_EQ(t, wb_err >> 13, before >> 13);
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &a), -ENOSPC);
	before = wb_err;
	KTEST_EXPECT_TRUE(t, before & ERRSEQ_SEEN);
	/* Seen: the same error again is a new event, and is reported. */
	errseq_set(&wb_err, -ENOSPC);
	KTEST_EXPECT_EQ(t, wb_err, (before & ~ERRSEQ_SEEN) + ERRSEQ_CTR_INC);
	KTEST_EXPECT_NE(t, wb_err, a);
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &a), -ENOSPC);
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &a), 0);
	/* The counter wraps in its 19 bits without touching the low bits. */
	wb_err = 0xffffe000u | ERRSEQ_SEEN | EIO;
	errseq_set(&wb_err, -EIO);
	KTEST_EXPECT_EQ(t, wb_err, (errseq_t)EIO);
}

static void errseq_errors_before_any_sample(struct ktest *t)
{
	errseq_t wb_err = 0, a;

	errseq_set(&wb_err, -EIO);
	errseq_set(&wb_err, -EROFS);
	a = errseq_sample(&wb_err);
	/* Only the latest error is kept, and it is reported once. */
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &a), -EROFS);
	KTEST_EXPECT_EQ(t, errseq_check_and_advance(&wb_err, &a), 0);
}

static void errseq_set_ignores_zero_and_out_of_range(struct ktest *t)
{
	errseq_t wb_err = 0;

	KTEST_EXPECT_EQ(t, errseq_set(&wb_err, 0), 0);
	KTEST_EXPECT_EQ(t, errseq_set(&wb_err, -4096), 0);
	KTEST_EXPECT_EQ(t, errseq_set(&wb_err, 5), 0);
	KTEST_EXPECT_EQ(t, wb_err, 0);
	KTEST_EXPECT_EQ(t, errseq_set(&wb_err, -4095), 4095);
}

static const struct ktest_case errseq_cases[] = {
	KTEST_CASE(errseq_two_observers_each_see_error_once),
	KTEST_CASE(errseq_sample_after_unseen_error_reports_it),
	KTEST_CASE(errseq_sample_after_seen_error_does_not_report),
	KTEST_CASE(errseq_new_error_after_seen_bumps_counter),
	KTEST_CASE(errseq_errors_before_any_sample),
	KTEST_CASE(errseq_set_ignores_zero_and_out_of_range),
	KTEST_END,
};

static const struct ktest_suite errseq_suite = {
	.name = "errseq",
	.cases = errseq_cases,
};
KTEST_SUITE(errseq_suite);
