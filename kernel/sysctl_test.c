/*
 * kernel/sysctl_test.c - the `sysctl` suite: lookup, parsing, ranges,
 * types, after_write, sorting, and the shell command's errors. Uses
 * tables of its own (never a real tunable) except where it checks that
 * the registered section is walked.
 */
#include <quire/ktest.h>
#include <quire/sysctl.h>
#include <quire/printk.h>
#include <quire/string.h>
#include "sysctl_internal.h"

static int t_int = 5;
static unsigned int t_uint = 7;
static unsigned long t_ulong = 9;
static int hook_calls;
static long hook_old;

static void t_hook(const struct ctl_table *t, long old)
{
	hook_calls++;
	hook_old = old;
}

static const struct ctl_table t_tables[] = {
	{.procname = "vm.zz_int",
	 .data = &t_int,
	 .type = SYSCTL_INT,
	 .min = -10,
	 .max = 100,
	 .after_write = t_hook},
	{.procname = "kernel.aa_uint",
	 .data = &t_uint,
	 .type = SYSCTL_UINT,
	 .min = 0,
	 .max = 4000000000L},
	{.procname = "vm.mm_ulong",
	 .data = &t_ulong,
	 .type = SYSCTL_ULONG,
	 .min = 1,
	 .max = 1L << 40},
};
static const struct ctl_table *const t_ptrs[] = {&t_tables[0], &t_tables[1],
						 &t_tables[2]};
static const struct sysctl_set_of t_set = {.tables = t_ptrs, .n = ARRAY_SIZE(t_ptrs)};

static void sysctl_finds_by_exact_name(struct ktest *t)
{
	KTEST_EXPECT_TRUE(t, sysctl_find(t_set, "vm.zz_int") == &t_tables[0]);
	KTEST_EXPECT_TRUE(t, sysctl_find(t_set, "vm.mm_ulong") == &t_tables[2]);
	KTEST_EXPECT_NULL(t, sysctl_find(t_set, "vm.zz"));
	KTEST_EXPECT_NULL(t, sysctl_find(t_set, "vm.zz_int2"));
	KTEST_EXPECT_NULL(t, sysctl_find(t_set, ""));
}

static void sysctl_writes_each_type_within_range(struct ktest *t)
{
	hook_calls = 0;
	t_int = 5;
	KTEST_EXPECT_EQ(t, sysctl_write(&t_tables[0], "-10"), 0);
	KTEST_EXPECT_EQ(t, t_int, -10);
	KTEST_EXPECT_EQ(t, hook_calls, 1);
	KTEST_EXPECT_EQ(t, hook_old, 5); /* the hook sees the value before */
	KTEST_EXPECT_EQ(t, sysctl_write(&t_tables[1], "3999999999"), 0);
	KTEST_EXPECT_EQ(t, t_uint, 3999999999U);
	KTEST_EXPECT_EQ(t, sysctl_read(&t_tables[1]), 3999999999L);
	KTEST_EXPECT_EQ(t, sysctl_write(&t_tables[2], "0x10000000000"), 0);
	KTEST_EXPECT_EQ(t, t_ulong, 1UL << 40);
	KTEST_EXPECT_EQ(t, sysctl_write(&t_tables[0], "100"), 0);
	KTEST_EXPECT_EQ(t, sysctl_read(&t_tables[0]), 100);
	KTEST_EXPECT_EQ(t, hook_calls, 2);
}

/* SC1: a rejected write changes nothing and runs no hook. */
static void sysctl_rejects_garbage_and_out_of_range(struct ktest *t)
{
	static const char *const not_numbers[] = {"",	"abc", "12x", "1.5",
						  " 3", "--1", "0x"};
	unsigned int i;

	t_int = 42;
	hook_calls = 0;
	for (i = 0; i < ARRAY_SIZE(not_numbers); i++)
		KTEST_EXPECT_EQ(t, sysctl_write(&t_tables[0], not_numbers[i]), -EINVAL);
	KTEST_EXPECT_EQ(t, sysctl_write(&t_tables[0], "101"), -ERANGE);
	KTEST_EXPECT_EQ(t, sysctl_write(&t_tables[0], "-11"), -ERANGE);
	KTEST_EXPECT_EQ(t, sysctl_write(&t_tables[1], "4000000001"), -ERANGE);
	KTEST_EXPECT_EQ(t, sysctl_write(&t_tables[1], "-1"), -ERANGE);
	KTEST_EXPECT_EQ(t, sysctl_write(&t_tables[2], "0"), -ERANGE);
	KTEST_EXPECT_EQ(t, sysctl_write(&t_tables[2], "99999999999999999999999"),
			-ERANGE);
	KTEST_EXPECT_EQ(t, t_int, 42);
	KTEST_EXPECT_EQ(t, hook_calls, 0);
}

static void sysctl_sorts_by_name(struct ktest *t)
{
	const struct ctl_table *out[3];

	KTEST_ASSERT_EQ(t, sysctl_sorted(t_set, out, 3), 3);
	KTEST_EXPECT_EQ(t, strcmp(out[0]->procname, "kernel.aa_uint"), 0);
	KTEST_EXPECT_EQ(t, strcmp(out[1]->procname, "vm.mm_ulong"), 0);
	KTEST_EXPECT_EQ(t, strcmp(out[2]->procname, "vm.zz_int"), 0);
	KTEST_EXPECT_EQ(t, sysctl_sorted(t_set, out, 2), 2);
}

/* The section is walked: every registered entry is found by its name
 * (so names are unique), has a sane range and holds a value in it or 0. */
static void sysctl_registered_entries_are_sane(struct ktest *t)
{
	struct sysctl_set_of reg = sysctl_registered();
	size_t i;

	KTEST_ASSERT_TRUE(t, reg.n >= 1);
	KTEST_EXPECT_NOT_NULL(t, sysctl_find(reg, "kernel.trace_buffer_size_kb"));
	for (i = 0; i < reg.n; i++) {
		long v = sysctl_read(reg.tables[i]);

		KTEST_EXPECT_TRUE(t, sysctl_find(reg, reg.tables[i]->procname) ==
					     reg.tables[i]);
		/* In range, or 0: Linux's pairs zero one another on a write
		 * (vm.dirty_bytes = 0 once vm.dirty_ratio is set). */
		KTEST_EXPECT_TRUE(t, v == 0 || (reg.tables[i]->min <= v &&
						v <= reg.tables[i]->max));
		KTEST_EXPECT_LE(t, reg.tables[i]->min, reg.tables[i]->max);
	}
}

static void sysctl_set_and_get_by_name(struct ktest *t)
{
	long v;

	KTEST_EXPECT_EQ(t, sysctl_get("no.such_name", &v), -ENOENT);
	KTEST_EXPECT_EQ(t, sysctl_set("no.such_name", "1"), -ENOENT);
	KTEST_EXPECT_EQ(t, sysctl_set("kernel.trace_buffer_size_kb", "x"), -EINVAL);
	KTEST_EXPECT_EQ(t, sysctl_set("kernel.trace_buffer_size_kb", "1"), -EINVAL);
	KTEST_EXPECT_EQ(t, sysctl_get("kernel.trace_buffer_size_kb", &v), 0);
	KTEST_EXPECT_GE(t, v, 4);
}

static int run_sysctl_cmd(const char *line)
{
	return ktest_run_command(sysctl_command, line);
}

static void sysctl_command_reports_bad_input(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, run_sysctl_cmd("sysctl"), -EINVAL);
	KTEST_EXPECT_EQ(t, run_sysctl_cmd("sysctl no.such_name"), -ENOENT);
	KTEST_EXPECT_EQ(t, run_sysctl_cmd("sysctl no.such_name=3"), -ENOENT);
	KTEST_EXPECT_EQ(t, run_sysctl_cmd("sysctl kernel.trace_buffer_size_kb=abc"),
			-EINVAL);
	KTEST_EXPECT_EQ(t, run_sysctl_cmd("sysctl kernel.trace_buffer_size_kb=99999"),
			-EINVAL);
	KTEST_EXPECT_EQ(t, run_sysctl_cmd("sysctl -w kernel.trace_buffer_size_kb"),
			-EINVAL);
	KTEST_EXPECT_EQ(t, run_sysctl_cmd("sysctl =5"), -EINVAL);
	KTEST_EXPECT_EQ(t, run_sysctl_cmd("sysctl -a"), 0);
	KTEST_EXPECT_EQ(t, run_sysctl_cmd("sysctl kernel.trace_buffer_size_kb"), 0);
}

static const struct ktest_case sysctl_cases[] = {
	KTEST_CASE(sysctl_finds_by_exact_name),
	KTEST_CASE(sysctl_writes_each_type_within_range),
	KTEST_CASE(sysctl_rejects_garbage_and_out_of_range),
	KTEST_CASE(sysctl_sorts_by_name),
	KTEST_CASE(sysctl_registered_entries_are_sane),
	KTEST_CASE(sysctl_set_and_get_by_name),
	KTEST_CASE(sysctl_command_reports_bad_input),
	KTEST_END,
};

static const struct ktest_suite sysctl_suite = {.name = "sysctl", .cases = sysctl_cases};
KTEST_SUITE(sysctl_suite);
