/*
 * include/quire/ktest.h - in-kernel tests in the shape of Linux's KUnit.
 *
 * A suite is a named table of cases; KTEST_SUITE() registers it at link
 * time. `test` (shell) runs all suites, `test NAME` one suite, and
 * `test NAME.CASE` one case; results are printed as KTAP version 1:
 *
 *   KTAP version 1
 *   1..2
 *       KTAP version 1
 *       # Subtest: buddy
 *       1..3
 *       ok 1 alloc_free
 *       not ok 2 exhaustion
 *   ok 1 buddy # time 12 ms
 *
 * Expectations (KTEST_EXPECT_*) record a failure and go on; assertions
 * (KTEST_ASSERT_*) record it and end the case at once. A failure prints
 * "# file:line: expected ..." diagnostics before the result line.
 * The lock-order checker (lockdep) is on while tests run: a case during
 * which it reports a possible deadlock fails, unless the case declared
 * the report in t->lockdep_reports_expected. In the same way a case fails
 * when a WARN_ON() fired during it ("WARNING:"), unless it declared the
 * warning in t->warnings_expected.
 * A suite leaks when, after its last case, more kmalloc objects or pages
 * are in use than before its first: it then fails with "# leak: ..." after
 * its cases, naming what is left (struct mm_usage). The only exceptions
 * are deliberate long-lived allocations, each justified in the allowlist
 * ktest_kept[] (kernel/ktest.c).
 * Random tests take their seed from ktest_seed() (set by `test --seed N`)
 * and print it, so a failure can be replayed exactly.
 */
#ifndef QUIRE_KTEST_H
#define QUIRE_KTEST_H

#include <quire/compiler.h>
#include <quire/errno.h>

struct ktest {
	const char *name;
	bool failed;
	bool skipped;
	const char *skip_reason;
	void *priv;		/* for the suite's init/exit */
	/* Possible deadlocks lockdep may report during this case; any other
	 * report fails it (lockdep is on for every test run). */
	unsigned int lockdep_reports_expected;
	/* WARN_ON()s this case triggers on purpose; any other fails it. */
	unsigned int warnings_expected;
	long jmp[5];		/* __builtin_setjmp buffer for assertions */
};

/* struct ktest_case, KTEST_CASE(), ktest_fail(), ktest_abort() and the
 * KTEST_EXPECT_*()/KTEST_ASSERT_*() macros: one definition, shared with
 * the host programs that run cases over libc. */
#include <quire/ktest_expect.h>

struct ktest_suite {
	const char *name;
	int (*init)(struct ktest *t);	/* optional, before each case */
	void (*exit)(struct ktest *t);	/* optional, after each case */
	const struct ktest_case *cases;	/* ends with an entry whose name is NULL */
	/* Runs only when named (`test NAME`), never in a plain `test`: for
	 * cases that fail on purpose, which tests/run runs in a child and
	 * checks that each failed as it should (ktest_selftest), and for
	 * suites too long for every job (crash_sweep: its own job). */
	bool on_request;
};

#define KTEST_SUITE(sym)						\
	static const struct ktest_suite *__ktest_suite_ptr_##sym	\
		__section("quire_ktest_suites") = &sym

/* Run suites matching @filter ("", "suite" or "suite.case"); print KTAP.
 * Returns the number of failed cases, or -ENOENT when nothing matched. */
int ktest_run(const char *filter);
u64 ktest_seed(void);
/* True in a `test --quick` run: a long case runs its small size (the
 * second run of a kind in tests/run; the first runs everything full). */
bool ktest_quick(void);
void ktest_set_seed(u64 seed);

/* Run @body with the test thread bound to CPU @cpu (asserting it got
 * there), then give the thread back the CPUs it had: for checks that read
 * per-CPU state, which the scheduler could otherwise move between lines. */
void ktest_on_cpu(struct ktest *t, unsigned int cpu, void (*body)(struct ktest *t));

/* Run a shell command's function @run (its SHELL_COMMAND() run) on @line
 * split at single spaces, at most 16 words of 199 bytes: for the tests of
 * a command (`dd`, `sysctl`, `trace`). Not through shell_run_line(): the
 * shell's line buffer belongs to the `test` command running the case.
 * Returns what @run returned. */
int ktest_run_command(int (*run)(int argc, char **argv), const char *line);

/* Mark the running case skipped, with a reason shown in KTAP ("# SKIP ..."),
 * and end it. Only for a genuine precondition that cannot hold here; the
 * harness counts skips and reports them. */
void ktest_skip(struct ktest *t, const char *reason) __noreturn;

#endif
