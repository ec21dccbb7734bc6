/*
 * kernel/profile_test.c - KTAP suite "profile": the sampling profiler
 * (kernel/profile.c, docs/profile.md).
 *
 * The first case feeds samples by hand (profile_start() with no rate: the
 * tick takes none) and checks the counting by function and caller and the
 * full buffer; it runs on every arch. The second samples for real: a
 * thread spins in one function on CPU 0 and that function must hold most
 * of CPU 0's samples, at more than one sample per tick; quire-host takes
 * no samples (arch_profile_set_rate() is -EOPNOTSUPP), its jobs declare
 * that skip.
 */
#include <quire/ktest.h>
#include <quire/profile.h>
#include <quire/jiffies.h>
#include <quire/sched.h>
#include <quire/timer.h>
#include <quire/printk.h>
#include <quire/kthread.h>
#include <quire/smp.h>
#include <quire/errno.h>
#include <arch/irq.h>
#include <arch/time.h>

#define SPIN_MS 400

/* Noinline and large enough that samples at +1 and +2 are inside them. */
static noinline unsigned long profile_test_spin(u64 end)
{
	volatile unsigned long x = 0;

	do {
		for (int i = 0; i < 100000; i++)
			x += i;
	} while (arch_clock_ns() < end);
	return x;
}

static noinline unsigned long profile_test_other(unsigned long v)
{
	volatile unsigned long x = v;

	for (int i = 0; i < 3; i++)
		x += x * 3;
	return x;
}

static noinline unsigned long profile_test_caller(unsigned long v)
{
	volatile unsigned long x = v;

	for (int i = 0; i < 3; i++)
		x ^= x >> 1;
	return x;
}

static void report_counts_samples_by_function(struct ktest *t)
{
	unsigned long spin = (unsigned long)profile_test_spin;
	unsigned long other = (unsigned long)profile_test_other;
	unsigned long caller = (unsigned long)profile_test_caller;
	struct profile_entry top[4];
	unsigned long total, flags;
	int n;

	KTEST_ASSERT_EQ(t, profile_start(0, 40), 0);
	KTEST_EXPECT_EQ(t, profile_start(0, 40), -EBUSY);
	flags = arch_local_irq_save(); /* one CPU's buffer, as a tick */
	for (int i = 0; i < 25; i++)
		profile_tick(spin + 1 + (i & 1), i < 20 ? caller + 2 : other + 1);
	for (int i = 0; i < 10; i++)
		profile_tick(other + 2, 0);
	for (int i = 0; i < 10; i++) /* 5 fit, 5 are dropped */
		profile_tick(caller + 1, spin + 1);
	arch_local_irq_restore(flags);

	n = profile_top(-1, top, 4, &total);
	KTEST_ASSERT_EQ(t, n, 3);
	KTEST_EXPECT_EQ(t, total, 40);
	KTEST_EXPECT_EQ(t, top[0].func, spin);
	KTEST_EXPECT_EQ(t, top[0].samples, 25);
	KTEST_EXPECT_EQ(t, top[1].func, other);
	KTEST_EXPECT_EQ(t, top[1].samples, 10);
	KTEST_EXPECT_EQ(t, top[2].func, caller);
	KTEST_EXPECT_EQ(t, top[2].samples, 5);

	n = profile_top_callers(-1, spin, top, 4, &total);
	KTEST_ASSERT_EQ(t, n, 2);
	KTEST_EXPECT_EQ(t, total, 25);
	KTEST_EXPECT_EQ(t, top[0].func, caller);
	KTEST_EXPECT_EQ(t, top[0].samples, 20);
	KTEST_EXPECT_EQ(t, top[1].func, other);
	KTEST_EXPECT_EQ(t, top[1].samples, 5);
	/* Samples of other had no caller: counted as no function. */
	n = profile_top_callers(-1, other, top, 4, &total);
	KTEST_ASSERT_EQ(t, n, 1);
	KTEST_EXPECT_EQ(t, top[0].func, 0);

	KTEST_EXPECT_EQ(t, profile_stop(), 0);
	KTEST_EXPECT_EQ(t, profile_stop(), -EINVAL);
	profile_report(5, true);
	profile_release();
	KTEST_EXPECT_EQ(t, profile_top(-1, top, 4, &total), -ENOENT);
	KTEST_EXPECT_EQ(t, profile_start(300, 40), -EINVAL); /* not a multiple of HZ */
}

static void spin_on_cpu0(struct ktest *t)
{
	unsigned long spin = (unsigned long)profile_test_spin;
	struct profile_entry top[3];
	unsigned long total, total2, j0, ticks;
	int ret, n;

	ret = profile_start(HZ * 4, 4096);
	if (ret == -EOPNOTSUPP)
		ktest_skip(t, "this arch takes no samples");
	KTEST_ASSERT_EQ(t, ret, 0);
	msleep(2 * 1000 / HZ); /* each CPU takes up the rate at its next tick */
	j0 = jiffies;
	profile_test_spin(arch_clock_ns() + SPIN_MS * 1000000ULL);
	ticks = jiffies - j0;
	KTEST_ASSERT_EQ(t, profile_stop(), 0);

	n = profile_top(0, top, 3, &total);
	KTEST_ASSERT_TRUE(t, n >= 1);
	cprintf("    # cpu0: %lu samples in %lu ticks, %lu in profile_test_spin\n", total,
		ticks, top[0].func == spin ? top[0].samples : 0UL);
	profile_report(8, true);
	KTEST_EXPECT_EQ(t, top[0].func, spin);
	/* Most samples: the 2 ms of sleep and a few interrupts are not in it. */
	KTEST_EXPECT_GE(t, top[0].samples * 10, total * 8);
	/* The rate went up: more samples than ticks (4 per tick on a quiet
	 * host; a loaded host's vCPU misses some of either). */
	KTEST_EXPECT_GT(t, total, ticks);
	KTEST_EXPECT_GE(t, total, 50UL);

	/* Stopped: no more samples. */
	msleep(20);
	KTEST_ASSERT_TRUE(t, profile_top(0, top, 1, &total2) >= 1);
	KTEST_EXPECT_EQ(t, total2, total);
	profile_release();
}

static void spinning_function_dominates_the_samples(struct ktest *t)
{
	ktest_on_cpu(t, 0, spin_on_cpu0);
}

#define RACE_MS	     400
#define RACE_SLOTS   256
#define RACE_THREADS 2

struct profile_race {
	unsigned int hz;    /* HZ * 40, or 0 where the arch takes no samples */
	unsigned long bad;  /* a result out of the documented set */
	unsigned long runs; /* starts that succeeded */
	u64 end;
};

/* Start, feed a few samples by hand, count, stop, sometimes release, as
 * fast as it can, against another thread doing the same and the ticks. */
static int profile_racer(void *arg)
{
	struct profile_race *r = arg;
	struct profile_entry top[2];
	unsigned long total;
	int ret;

	for (unsigned int i = 0; !kthread_should_stop(); i++) {
		if (arch_clock_ns() > r->end) {
			msleep(1);
			continue;
		}
		ret = profile_start(r->hz, RACE_SLOTS);
		if (ret && ret != -EBUSY)
			__atomic_fetch_add(&r->bad, 1, __ATOMIC_RELAXED);
		if (!ret)
			__atomic_fetch_add(&r->runs, 1, __ATOMIC_RELAXED);
		if (!r->hz) {
			unsigned long flags = arch_local_irq_save();

			for (int k = 0; k < 8; k++)
				profile_tick((unsigned long)profile_test_other + 1, 0);
			arch_local_irq_restore(flags);
		}
		ret = profile_top(-1, top, 2, &total);
		if ((ret < 0 && ret != -ENOENT) ||
		    (ret >= 0 && total > (unsigned long)RACE_SLOTS * num_possible_cpus()))
			__atomic_fetch_add(&r->bad, 1, __ATOMIC_RELAXED);
		ret = profile_stop();
		if (ret && ret != -EINVAL)
			__atomic_fetch_add(&r->bad, 1, __ATOMIC_RELAXED);
		if (i % 4 == 3)
			profile_release();
	}
	return 0;
}

/*
 * PF1/PF2 under fire: two threads (on two CPUs when there are) start,
 * count, stop and release the buffers while the ticks sample into them at
 * the highest rate: every call answers within its documented set, and the
 * kernel survives freeing buffers the ticks just wrote to.
 */
static void start_stop_show_race_from_two_cpus(struct ktest *t)
{
	struct profile_race r = {.hz = HZ * 40};
	struct task_struct *k[RACE_THREADS];
	unsigned long total;

	if (profile_start(r.hz, 1) == -EOPNOTSUPP)
		r.hz = 0; /* quire-host: the threads feed samples by hand */
	profile_release();
	r.end = arch_clock_ns() + RACE_MS * 1000000ULL;
	for (int i = 0; i < RACE_THREADS; i++) {
		k[i] = kthread_create(profile_racer, &r, "profrace%d", i);
		KTEST_ASSERT_TRUE(t, !IS_ERR(k[i]));
		kthread_bind(k[i], i % num_online_cpus());
		wake_up_process(k[i]);
	}
	msleep(RACE_MS + 20);
	for (int i = 0; i < RACE_THREADS; i++)
		kthread_stop(k[i]);
	cprintf("    # %lu runs at %u Hz, %lu bad answers\n", r.runs, r.hz, r.bad);
	KTEST_EXPECT_EQ(t, r.bad, 0UL);
	KTEST_EXPECT_GT(t, r.runs, 0UL); /* 27 at load 10 under TCG */
	/* Still usable after it. */
	profile_release();
	KTEST_ASSERT_EQ(t, profile_start(0, 4), 0);
	KTEST_EXPECT_EQ(t, profile_top(-1, NULL, 0, &total), 0);
	KTEST_EXPECT_EQ(t, total, 0UL);
	profile_release();
}

static void profile_test_exit(struct ktest *t)
{
	profile_release(); /* a case that ended early */
}

static const struct ktest_case profile_cases[] = {
	KTEST_CASE(report_counts_samples_by_function),
	KTEST_CASE(spinning_function_dominates_the_samples),
	KTEST_CASE(start_stop_show_race_from_two_cpus),
	KTEST_END,
};

static const struct ktest_suite profile_suite = {
	.name = "profile",
	.exit = profile_test_exit,
	.cases = profile_cases,
};
KTEST_SUITE(profile_suite);
