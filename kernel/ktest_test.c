/*
 * kernel/ktest_test.c - the test runner's own checks: a suite that fails on
 * purpose, in every way the runner must notice.
 *
 * Layer: kernel (tests). Used by: tests/run's host-plain-ktest-selftest
 * job, which runs `test ktest_selftest` in a child quire-host and checks
 * each case's outcome below (a failure that did not happen, or a case that
 * went on past its end, fails that job). The suite is on request: a plain
 * `test` never runs it.
 *
 * Each case says what the harness expects of it. "went on" lines are
 * printed only when the case kept running after a point where the runner
 * must have ended it.
 */
#include <quire/ktest.h>
#include <quire/printk.h>
#include <quire/slab.h>
#include <quire/bug.h>

static volatile int one = 1; /* volatile: the compiler cannot fold the checks */
static void *leaked;	     /* reachable, but never freed: the leak check's */

/* Expected: not ok, "expected one == 2, got 1 vs 2", then "went on". */
static void expect_failure_continues(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, one, 2);
	cprintf("        # %s: went on after the expectation\n", t->name);
}

/* Expected: not ok, "assertion one == 2", no "went on", the exit hook ran. */
static void assert_failure_ends_case(struct ktest *t)
{
	KTEST_ASSERT_EQ(t, one, 2);
	cprintf("        # %s: went on after the assertion\n", t->name);
}

/* Expected: not ok, "ktest_test.c:7: failed with 42", no "went on". */
static void fail_and_abort_directly(struct ktest *t)
{
	ktest_fail(t, "ktest_test.c", 7, "failed with %d", 42);
	ktest_abort(t);
	cprintf("        # %s: went on after ktest_abort()\n", t->name);
}

/* Expected: "ok N skip_ends_case # SKIP skipped on purpose", no "went on". */
static void skip_ends_case(struct ktest *t)
{
	ktest_skip(t, "skipped on purpose");
	cprintf("        # %s: went on after ktest_skip()\n", t->name);
}

/* Expected: not ok (a skip does not hide an earlier failure). */
static void skip_after_failure_fails(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, one, 2);
	ktest_skip(t, "too late");
}

/* Expected: not ok, "1 kernel warning(s) (WARNING: lines), expected 0". */
static void undeclared_warning_fails(struct ktest *t)
{
	WARN_ON(one);
}

/* Expected: ok. */
static void declared_warning_passes(struct ktest *t)
{
	t->warnings_expected = 1;
	WARN_ON(one);
}

/* Expected: ok; the suite then fails with "# leak: 1 kmalloc-64". */
static void leaks_one_object(struct ktest *t)
{
	leaked = kmalloc(40, GFP_KERNEL);
	KTEST_ASSERT_NOT_NULL(t, leaked);
}

/* Expected: ok (cases after failing ones still run and can pass). */
static void passes(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, one, 1);
}

static void ktest_selftest_exit(struct ktest *t)
{
	cprintf("        # %s: exit hook ran\n", t->name);
}

static const struct ktest_case ktest_selftest_cases[] = {
	KTEST_CASE(expect_failure_continues),
	KTEST_CASE(assert_failure_ends_case),
	KTEST_CASE(fail_and_abort_directly),
	KTEST_CASE(skip_ends_case),
	KTEST_CASE(skip_after_failure_fails),
	KTEST_CASE(undeclared_warning_fails),
	KTEST_CASE(declared_warning_passes),
	KTEST_CASE(leaks_one_object),
	KTEST_CASE(passes),
	KTEST_END,
};

static const struct ktest_suite ktest_selftest_suite = {
	.name = "ktest_selftest",
	.exit = ktest_selftest_exit,
	.cases = ktest_selftest_cases,
	.on_request = true,
};
KTEST_SUITE(ktest_selftest_suite);
