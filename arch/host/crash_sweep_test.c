/*
 * arch/host/crash_sweep_test.c - on-request KTAP suite `crash_sweep`: the
 * bounded sample of qlfs's power-cut sweep (crash_sweep.c), its
 * regression cases, and the negative controls that prove the checker can
 * fail.
 *
 * On request (`test crash_sweep`, tests/run's crash-sweep jobs): a few
 * thousand images take tens of seconds, too long for every host job. The
 * sample's workloads are drawn by the test seed (`test --seed N`), which
 * tests/run varies per run and prints. The whole sweep is `make
 * crashtest` (the shell's `crashsweep --all`).
 */
#include <quire/ktest.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/fs.h>
#include <quire/string.h>
#include <quire/syscalls.h>
#include "crash_sweep.h"

#define SAMPLE_IMAGES 2500

static struct csw_sweep sweep;

static int cs_init(struct ktest *t)
{
	memset(&sweep, 0, sizeof(sweep));
	sweep.seed = ktest_seed();
	sweep.quiet = true;
	sweep.max_failure_lines = 10;
	t->priv = &sweep;
	return csw_begin(&sweep);
}

static void cs_exit(struct ktest *t)
{
	csw_end(t->priv);
}

static void summary(struct csw_sweep *sw)
{
	cprintf("# %llu workloads (%llu more refused by the model), %llu cut points, %llu images checked, %llu failed\n",
		(unsigned long long)sw->workloads, (unsigned long long)sw->skipped,
		(unsigned long long)sw->cut_points, (unsigned long long)sw->images,
		(unsigned long long)sw->failures);
}

/* Run @spec (every cut, every kind) and return how many images failed. */
static u64 failures_of(struct ktest *t, const char *spec)
{
	struct csw_sweep *sw = t->priv;
	struct csw_workload w;
	u64 before = sw->failures;

	KTEST_ASSERT_EQ(t, csw_workload_parse(spec, &w), 0);
	KTEST_EXPECT_EQ(t, csw_run_workload(sw, &w, 0, -1, 0, false), 0);
	return sw->failures - before;
}

/* The bounded sample: workloads of 1 to 3 operations drawn by the seed,
 * one image drawn per cut point; every image must pass. */
static void sample_of_cuts_loses_nothing(struct ktest *t)
{
	struct csw_sweep *sw = t->priv;

	KTEST_EXPECT_EQ(t, csw_run_sample(sw, SAMPLE_IMAGES), 0);
	summary(sw);
	KTEST_EXPECT_GE(t, sw->images, SAMPLE_IMAGES);
	if (sw->failures)
		ktest_fail(t, __FILE__, __LINE__, "%llu image(s) failed; first: %s",
			   (unsigned long long)sw->failures, sw->first_failure);
}

/*
 * fsync's data must be durable before its marked node blocks can land: a
 * cut between them, keeping the node and not the data, made roll-forward
 * give /B a block never written (before fs/qlfs/file.c flushed first:
 * 'hole+fsync, cut after event 3 (subset ...): /B (object 1): bytes of
 * no state 0..1', and the same for /D/C's overwrite with a tear).
 */
static void fsync_data_is_durable_before_its_nodes(struct ktest *t)
{
	static const char *const specs[] = {
		"hole+fdatasync",	 "hole+fsync",
		"overwrite+fsync",	 "append+fdatasync",
		"truncate,append+fsync",
	};

	struct csw_sweep *sw = t->priv;

	for (u64 s = 0; s < 4; s++) { /* four draws of subsets and tears */
		sw->seed = ktest_seed() + s;
		for (u32 i = 0; i < ARRAY_SIZE(specs); i++)
			KTEST_EXPECT_EQ(t, failures_of(t, specs[i]), 0);
	}
	summary(sw);
}

/* Negative control: a recovery that skips roll-forward (the mount option
 * disable_roll_forward) loses the fsynced append, and the checker says. */
static void control_recovery_without_roll_forward_is_caught(struct ktest *t)
{
	struct csw_sweep *sw = t->priv;

	sw->mount_opts = "disable_roll_forward";
	sw->max_failure_lines = 0;
	KTEST_EXPECT_GT(t, failures_of(t, "append+fsync"), 0);
	KTEST_EXPECT_GT(t, failures_of(t, "overwrite+fdatasync"), 0);
	sw->mount_opts = NULL;
	cprintf("# caught: %s\n", sw->first_failure);
}

/* Negative control: the checker fed a torn data block (one 512-byte
 * sector of the fsynced file's first block from another write) fails. */
static void control_torn_data_block_is_caught(struct ktest *t)
{
	struct csw_sweep *sw = t->priv;

	sw->tear_data = true;
	sw->max_failure_lines = 0;
	KTEST_EXPECT_GT(t, failures_of(t, "overwrite+fsync"), 0);
	sw->tear_data = false;
	cprintf("# caught: %s\n", sw->first_failure);
}

/* Does @msg contain @what? */
static bool says(const char *msg, const char *what)
{
	for (size_t n = strlen(what); *msg; msg++)
		if (!strncmp(msg, what, n))
			return true;
	return false;
}

static int link_dc_as_em(const char *mnt)
{
	char a[64], b[64];

	scnprintf(a, sizeof(a), "%s/D/C", mnt);
	scnprintf(b, sizeof(b), "%s/E/m", mnt);
	return ksys_link(a, b);
}

static int make_stray_file(const char *mnt)
{
	char a[64];
	int fd;

	scnprintf(a, sizeof(a), "%s/D/stray", mnt);
	fd = ksys_open(a, O_CREAT | O_WRONLY, 0644);
	return fd < 0 ? fd : ksys_close(fd);
}

static int unlink_a(const char *mnt)
{
	char a[64];

	scnprintf(a, sizeof(a), "%s/A", mnt);
	return ksys_unlink(a);
}

static int nothing(const char *mnt)
{
	return 0;
}

/*
 * Negative controls of CS1, CS3, CS4 on trees made by hand: /D/C renamed
 * to /E/m, the recovered tree with both names (each name alone is some
 * state's: only CS3 catches it); a name the workload never made (CS4); /A
 * gone though no state lost it (CS1); and the unchanged tree passes.
 */
static void control_wrong_trees_are_caught(struct ktest *t)
{
	struct csw_workload rename, append;
	char msg[CSW_MSG] = "";

	KTEST_ASSERT_EQ(t, csw_workload_parse("rename", &rename), 0);
	KTEST_ASSERT_EQ(t, csw_workload_parse("append+fsync", &append), 0);
	KTEST_EXPECT_EQ(t, csw_check_mangled(&rename, 1, nothing, msg), 0);
	KTEST_EXPECT_EQ(t, csw_check_mangled(&rename, 1, link_dc_as_em, msg), -EUCLEAN);
	cprintf("# two names: %s\n", msg);
	KTEST_EXPECT_TRUE(t, says(msg, "has 2 name(s)"));
	KTEST_EXPECT_EQ(t, csw_check_mangled(&append, 1, make_stray_file, msg), -EUCLEAN);
	cprintf("# stray: %s\n", msg);
	KTEST_EXPECT_TRUE(t, says(msg, "unknown name /D/stray"));
	KTEST_EXPECT_EQ(t, csw_check_mangled(&append, 1, unlink_a, msg), -EUCLEAN);
	cprintf("# lost: %s\n", msg);
	KTEST_EXPECT_TRUE(t, says(msg, "/A holds nothing"));
}

static const struct ktest_case crash_sweep_cases[] = {
	KTEST_CASE(sample_of_cuts_loses_nothing),
	KTEST_CASE(fsync_data_is_durable_before_its_nodes),
	KTEST_CASE(control_recovery_without_roll_forward_is_caught),
	KTEST_CASE(control_torn_data_block_is_caught),
	KTEST_CASE(control_wrong_trees_are_caught),
	KTEST_END,
};

static const struct ktest_suite crash_sweep_suite = {
	.name = "crash_sweep",
	.init = cs_init,
	.exit = cs_exit,
	.cases = crash_sweep_cases,
	.on_request = true,
};
KTEST_SUITE(crash_sweep_suite);
