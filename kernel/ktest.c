/*
 * kernel/ktest.c - the in-kernel test runner (KUnit's shape, KTAP output).
 *
 * Layer: kernel. Used by: the `test` shell command, arch/host's test mode.
 * Provides: ktest_run(), ktest_fail(), ktest_abort(), ktest_skip(),
 * ktest_seed(). See include/quire/ktest.h for the output format.
 *
 * Each case runs in the caller's thread. An assertion ends the case through
 * __builtin_longjmp back into run_case(); nothing a case allocated is freed
 * for it, so cases release their resources before asserting or use the
 * suite's exit hook.
 *
 * Checks besides the cases' own: lockdep reports and WARN_ON()s during a
 * case fail it unless declared (t->lockdep_reports_expected,
 * t->warnings_expected); a warning outside every case (at boot) is a
 * top-level "# warning:" line, which tests/run fails; kmalloc objects and
 * pages still in use after a suite that were not before fail the suite
 * (leak), beyond the allowlist ktest_kept[]. The runner's own behaviour is
 * checked from outside: the on-request suite ktest_selftest
 * (kernel/ktest_test.c) fails in each way on purpose and tests/run checks
 * every failure.
 */
#include <quire/ktest.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/shell.h>
#include <quire/lockdep.h>
#include <quire/sched.h>
#include <quire/smp.h>
#include <quire/slab.h>
#include <quire/mm.h>
#include <quire/bug.h>
#include <quire/fs.h>
#include <arch/time.h>

extern const struct ktest_suite *__start_quire_ktest_suites[] __weak;
extern const struct ktest_suite *__stop_quire_ktest_suites[] __weak;

static u64 seed = 0x5eed;
/* `test --quick`: long cases run their small size (ktest_quick()); and
 * `test --skip A,B.c`: suite A and case c of suite B are not run (the jobs
 * that pass these are the second run of a kind: tests/run,
 * docs/testing.md). */
static bool quick;
static char skip_list[1024]; /* tests/run checks every job's list fits */
/* Warnings that fired during cases (each judged by its case), and those
 * outside any case already reported by report_outside_warnings(). */
static unsigned long warnings_in_cases, warnings_outside_reported;

u64 ktest_seed(void)
{
	return seed;
}

void ktest_set_seed(u64 s)
{
	seed = s;
}

void ktest_on_cpu(struct ktest *t, unsigned int cpu, void (*body)(struct ktest *t))
{
	struct cpumask saved = current->cpus_allowed, only = cpumask_of(cpu);

	KTEST_ASSERT_EQ(t, set_cpus_allowed_ptr(current, &only), 0);
	KTEST_EXPECT_EQ(t, raw_smp_processor_id(), cpu);
	body(t);
	set_cpus_allowed_ptr(current, &saved);
}

int ktest_run_command(int (*run)(int argc, char **argv), const char *line)
{
	char buf[200], *argv[16];
	int argc = 0;
	char *p;

	scnprintf(buf, sizeof(buf), "%s", line);
	for (p = buf; *p && argc < (int)ARRAY_SIZE(argv);) {
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return run(argc, argv);
}

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cprintf("        # %s: %s:%d: %s\n", t->name, file, line, msg);
	t->failed = true;
}

void ktest_abort(struct ktest *t)
{
	__builtin_longjmp((void **)t->jmp, 1);
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skipped = true;
	t->skip_reason = reason;
	__builtin_longjmp((void **)t->jmp, 1);
}

/* Does "suite" or "suite.case" @filter select this case? */
static bool filter_matches(const char *filter, const char *suite, const char *tcase)
{
	size_t n = strlen(suite);

	if (!filter || !*filter)
		return true;
	if (strncmp(filter, suite, n) != 0)
		return false;
	if (filter[n] == '\0')
		return true;
	return filter[n] == '.' && (!tcase || strcmp(filter + n + 1, tcase) == 0);
}

/* Is suite @suite (@tcase NULL), or its case @tcase, left out by
 * skip_list? An entry SUITE leaves out the whole suite, SUITE.CASE one case. */
static bool skipped(const char *suite, const char *tcase)
{
	size_t n = strlen(suite);

	for (const char *p = skip_list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len >= n && !strncmp(p, suite, n)) {
			if (len == n)
				return true;
			if (tcase && p[n] == '.' && len - n - 1 == strlen(tcase) &&
			    !strncmp(p + n + 1, tcase, len - n - 1))
				return true;
		}
		p += len + (end ? 1 : 0);
	}
	return false;
}

/* Does case @c of @s run under @filter and skip_list? */
static bool case_selected(const char *filter, const struct ktest_suite *s,
			  const struct ktest_case *c)
{
	return filter_matches(filter, s->name, c->name) && !skipped(s->name, c->name);
}

static noinline void run_case_body(const struct ktest_suite *s,
				   const struct ktest_case *c, struct ktest *t)
{
	if (__builtin_setjmp((void **)t->jmp) == 0) {
		if (s->init && s->init(t)) {
			ktest_fail(t, __FILE__, __LINE__, "suite init failed");
			return;
		}
		c->run(t);
	}
}

static bool run_case(const struct ktest_suite *s, const struct ktest_case *c, int nr)
{
	struct ktest t = { .name = c->name };
	unsigned long reports = lockdep_inversions(), warnings = warn_count();
	struct cpumask cpus = current->cpus_allowed;

	run_case_body(s, c, &t);
	if (s->exit)
		s->exit(&t);
	set_cpus_allowed_ptr(current, &cpus);	/* even after an assertion */
	reports = lockdep_inversions() - reports;
	if (reports != t.lockdep_reports_expected)
		ktest_fail(&t, __FILE__, __LINE__,
			   "lockdep reported %lu possible deadlock(s), expected %u",
			   reports, t.lockdep_reports_expected);
	warnings = warn_count() - warnings;
	warnings_in_cases += warnings;
	if (warnings != t.warnings_expected)
		ktest_fail(&t, __FILE__, __LINE__,
			   "%lu kernel warning(s) (WARNING: lines), expected %u",
			   warnings, t.warnings_expected);
	if (t.skipped && !t.failed)
		cprintf("    ok %d %s # SKIP %s\n", nr, c->name, t.skip_reason);
	else
		cprintf("    %sok %d %s\n", t.failed ? "not " : "", nr, c->name);
	return !t.failed;
}

static int count_cases(const struct ktest_suite *s, const char *filter)
{
	int n = 0;

	for (const struct ktest_case *c = s->cases; c->name; c++)
		n += case_selected(filter, s, c);
	return n;
}

/*
 * The leak check's allowlist: deliberate long-lived allocations a suite may
 * leave behind, each with why. Nothing else may stay allocated after a suite.
 */
static unsigned int blkdev_worker_threads(void)
{
	return clamp(num_possible_cpus(), 4u, 16u); /* as mt_start_workers() */
}

static const struct ktest_kept {
	const char *suite;
	unsigned int (*threads)(void); /* kernel threads kept: task_struct + stack each */
	const char *why;
} ktest_kept[] = {
	{"blkdev", blkdev_worker_threads,
	 "requests_in_flight_from_threads_on_every_cpu starts its worker threads on first "
	 "use and keeps them for later runs (block/blk-test.c, mt_start_workers())"},
	{"hostdisk_blk", blkdev_worker_threads,
	 "threads_on_every_cpu_2_queues runs blk_test_many_threads(), which starts the same "
	 "worker threads when the blkdev suite has not (a run of this suite alone)"},
};

/* @before plus what suite @s may keep (ktest_kept[]). */
static void kept_allowance(const struct ktest_suite *s, struct mm_usage *allow)
{
	BUILD_BUG_ON(sizeof(struct task_struct) > KMALLOC_MAX_CACHE_SIZE);
	for (size_t i = 0; i < ARRAY_SIZE(ktest_kept); i++) {
		unsigned int n;

		if (strcmp(ktest_kept[i].suite, s->name))
			continue;
		n = ktest_kept[i].threads();
		allow->objects[kmalloc_index(sizeof(struct task_struct))] += n;
		allow->pages += n * (THREAD_SIZE / PAGE_SIZE);
	}
}

/* Did the suite leave more allocated than it found, beyond what
 * ktest_kept[] allows it? Prints the "# leak:" line that fails it. */
static bool suite_leaked(const struct ktest_suite *s, const struct mm_usage *before)
{
	struct mm_usage now, allow = *before;
	char what[192];

	kept_allowance(s, &allow);
	mm_usage_snapshot(&now);
	if (!mm_usage_grew(&allow, &now, what, sizeof(what)))
		return false;
	mm_usage_grew(before, &now, what, sizeof(what));
	cprintf("    # leak: %s still allocated after suite %s\n", what, s->name);
	kmalloc_print_new_objects(before, 8);
	return true;
}

/* Run one suite's selected cases; return the number that failed, counting
 * a leak as one more. */
static int run_suite(const struct ktest_suite *s, const char *filter, int nr)
{
	struct mm_usage before;
	int failed = 0, i = 0;
	u64 start = arch_clock_ns();

	cprintf("    KTAP version 1\n    # Subtest: %s\n    1..%d\n",
		s->name, count_cases(s, filter));
	/* An earlier suite's dirty pages written back while this one runs
	 * (kupdate, the background threshold) would hold bios and requests
	 * at the leak check: write them all first. */
	ksys_sync();
	mm_usage_snapshot(&before);
	for (const struct ktest_case *c = s->cases; c->name; c++)
		if (case_selected(filter, s, c))
			failed += !run_case(s, c, ++i);
	failed += suite_leaked(s, &before);
	/* The suite's time as a KTAP diagnostic after its name: tests/run
	 * keeps it in build/test-times.txt, for trimming make test. */
	cprintf("%sok %d %s # time %llu ms\n", failed ? "not " : "", nr, s->name,
		(unsigned long long)((arch_clock_ns() - start) / 1000000));
	return failed;
}

/* A warning outside every case (at boot, or between test runs) belongs to
 * no case: print a top-level "# warning:" line, which tests/run fails. */
static void report_outside_warnings(void)
{
	unsigned long outside = warn_count() - warnings_in_cases;

	if (outside <= warnings_outside_reported)
		return;
	cprintf("# warning: %lu kernel warning(s) outside any test case (see dmesg)\n",
		outside - warnings_outside_reported);
	warnings_outside_reported = outside;
}

bool ktest_quick(void)
{
	return READ_ONCE(quick);
}

/* Is suite @s selected by @filter? On-request suites only by name. */
static bool suite_selected(const struct ktest_suite *s, const char *filter)
{
	if (s->on_request && (!filter || !*filter))
		return false;
	if (skipped(s->name, NULL))
		return false;
	return filter_matches(filter, s->name, NULL) && count_cases(s, filter) > 0;
}

int ktest_run(const char *filter)
{
	bool lockdep_was_on;
	const struct ktest_suite **p;
	int nsuites = 0, failed = 0, nr = 0;

	for (p = __start_quire_ktest_suites; p < __stop_quire_ktest_suites; p++)
		nsuites += suite_selected(*p, filter);
	if (!nsuites)
		return -ENOENT;
	cprintf("KTAP version 1\n# seed %llu\n", (unsigned long long)seed);
	if (quick)
		cprintf("# quick: long cases run their small size (test --quick)\n");
	if (skip_list[0])
		cprintf("# not run here: %s (test --skip)\n", skip_list);
	cprintf("1..%d\n", nsuites);
	report_outside_warnings();
	lockdep_was_on = lockdep_enabled();
	lockdep_set_enabled(true);	/* every test run checks lock order */
	for (p = __start_quire_ktest_suites; p < __stop_quire_ktest_suites; p++)
		if (suite_selected(*p, filter))
			failed += run_suite(*p, filter, ++nr);
	lockdep_set_enabled(lockdep_was_on);
	report_outside_warnings();
	return failed;
}

/* The shell's `test [--seed N] [suite[.case]]` and `test --list`. */
static int list_suites(void)
{
	const struct ktest_suite **p;

	for (p = __start_quire_ktest_suites; p < __stop_quire_ktest_suites; p++)
		for (const struct ktest_case *c = (*p)->cases; c->name; c++)
			cprintf("%s.%s%s\n", (*p)->name, c->name,
				(*p)->on_request ? " (on request)" : "");
	return 0;
}

static int cmd_test(int argc, char **argv)
{
	const char *filter = "";
	int i, ret;

	quick = false;
	skip_list[0] = '\0';
	for (i = 1; i < argc; i++) {
		unsigned long long v;

		if (strcmp(argv[i], "--list") == 0)
			return list_suites();
		if (strcmp(argv[i], "--quick") == 0) {
			quick = true;
			continue;
		}
		if (strcmp(argv[i], "--skip") == 0) {
			if (i + 1 >= argc || !argv[i + 1][0] ||
			    strlen(argv[i + 1]) >= sizeof(skip_list)) {
				shell_error(
					argv[0],
					"--skip needs SUITE[.CASE][,SUITE[.CASE]...] (under %zu bytes)",
					sizeof(skip_list));
				return -EINVAL;
			}
			strscpy_len(skip_list, argv[i + 1], sizeof(skip_list));
			i++;
			continue;
		}
		if (strcmp(argv[i], "--seed") == 0) {
			if (i + 1 >= argc || kstrtoull(argv[i + 1], 0, &v)) {
				shell_error(argv[0], "--seed needs a number");
				return -EINVAL;
			}
			ktest_set_seed(v);
			i++;
		} else if (argv[i][0] == '-') {
			shell_error(argv[0], "unknown option '%s'", argv[i]);
			return -EINVAL;
		} else {
			filter = argv[i];
		}
	}
	ret = ktest_run(filter);
	quick = false;
	skip_list[0] = '\0';
	if (ret == -ENOENT) {
		shell_error(argv[0], "no test matches '%s' (try: test --list)", filter);
		return ret;
	}
	return ret ? -EIO : 0;
}

SHELL_COMMAND(test, "test",
	      "test [--seed N] [--quick] [--skip S,S] [--list] [SUITE[.CASE]]",
	      "run in-kernel tests, print KTAP", cmd_test);

/* The parsers. The runner itself is checked from outside, through the
 * on-request suite ktest_selftest (kernel/ktest_test.c). */
static void lib_kstrtoull_parses_and_rejects(struct ktest *t)
{
	unsigned long long v;
	int iv;

	KTEST_EXPECT_EQ(t, kstrtoull("123", 0, &v), 0);
	KTEST_EXPECT_EQ(t, v, 123);
	KTEST_EXPECT_EQ(t, kstrtoull("0x1f", 0, &v), 0);
	KTEST_EXPECT_EQ(t, v, 31);
	KTEST_EXPECT_EQ(t, kstrtoull("12a", 0, &v), -EINVAL);
	KTEST_EXPECT_EQ(t, kstrtoull("", 0, &v), -EINVAL);
	KTEST_EXPECT_EQ(t, kstrtoull("99999999999999999999999", 0, &v), -ERANGE);
	KTEST_EXPECT_EQ(t, kstrtoint("-5", 10, &iv), 0);
	KTEST_EXPECT_EQ(t, iv, -5);
	KTEST_EXPECT_EQ(t, kstrtoint("3000000000", 10, &iv), -ERANGE);
}

static void lib_parse_size_suffixes(struct ktest *t)
{
	u64 v;

	KTEST_EXPECT_EQ(t, parse_size("4K", &v), 0);
	KTEST_EXPECT_EQ(t, v, 4096);
	KTEST_EXPECT_EQ(t, parse_size("2MiB", &v), 0);
	KTEST_EXPECT_EQ(t, v, 2 << 20);
	KTEST_EXPECT_EQ(t, parse_size("1G", &v), 0);
	KTEST_EXPECT_EQ(t, v, 1ULL << 30);
	KTEST_EXPECT_EQ(t, parse_size("12Q", &v), -EINVAL);
	KTEST_EXPECT_EQ(t, parse_size("M", &v), -EINVAL);
}

static void vsprintf_formats(struct ktest *t)
{
	char b[64];

	scnprintf(b, sizeof(b), "%5d|%-4s|%04x|%llu", 42, "ab", 0xbe, 18446744073709551615ULL);
	KTEST_EXPECT_EQ(t, strcmp(b, "   42|ab  |00be|18446744073709551615"), 0);
	const char *null_str = READ_ONCE(t->skip_reason);	/* NULL here */

	scnprintf(b, sizeof(b), "%ld %s %c", -9223372036854775807L - 1, null_str, 'z');
	KTEST_EXPECT_EQ(t, strcmp(b, "-9223372036854775808 (null) z"), 0);
	KTEST_EXPECT_EQ(t, scnprintf(b, 4, "%s", "truncated"), 3);
	KTEST_EXPECT_EQ(t, strcmp(b, "tru"), 0);
}

static const struct ktest_case lib_cases[] = {
	KTEST_CASE(lib_kstrtoull_parses_and_rejects),
	KTEST_CASE(lib_parse_size_suffixes),
	KTEST_CASE(vsprintf_formats),
	KTEST_END,
};

static const struct ktest_suite lib_suite = {
	.name = "lib",
	.cases = lib_cases,
};
KTEST_SUITE(lib_suite);
