/*
 * arch/x86_64/profile_tick_test.c - KTAP suite `profile_tick`: the tick
 * while the sampling profiler raises the LAPIC timer's rate
 * (arch/x86_64/time.c, docs/profile.md).
 *
 * Layer: arch/x86_64 tests. Run: `test profile_tick`.
 */
#include <quire/ktest.h>
#include <quire/profile.h>
#include <quire/jiffies.h>
#include <quire/sched.h>
#include <quire/timer.h>
#include <quire/printk.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/time.h>
#include <asm/percpu.h>
#include <asm/time.h>

#define MS 1000000ULL

/* Wait (at most 2 s) until this CPU's timer runs at @mult. */
static bool wait_tick_mult(unsigned int mult)
{
	u64 end = arch_clock_ns() + 2000 * MS;

	while (READ_ONCE(this_cpu()->tick_mult) != mult)
		if (arch_clock_ns() > end)
			return false;
	return true;
}

/* Ticks on this CPU in @ms of busy waiting (interrupts on). */
static u64 busy_ticks(unsigned int ms)
{
	u64 before = READ_ONCE(this_cpu()->ticks);
	u64 end = arch_clock_ns() + ms * MS;

	while (arch_clock_ns() < end)
		arch_cpu_relax();
	return READ_ONCE(this_cpu()->ticks) - before;
}

static void tick_pace_at_each_rate_body(struct ktest *t)
{
	static const unsigned int rates[] = { 0, 250, 1000, 2500, 10000 };

	for (unsigned int i = 0; i < ARRAY_SIZE(rates); i++) {
		unsigned int hz = rates[i], mult = hz / HZ;
		unsigned long j0, samples = 0;
		struct profile_entry top[1];
		u64 c0, c1, ticks;

		if (hz) {
			KTEST_ASSERT_EQ(t, profile_start(hz, 65536), 0);
			KTEST_ASSERT_TRUE(t, wait_tick_mult(mult));
		}
		j0 = jiffies;
		c0 = arch_clock_ns();
		ticks = busy_ticks(1000);
		c1 = arch_clock_ns();
		j0 = jiffies - j0;
		if (hz) {
			KTEST_ASSERT_EQ(t, profile_stop(), 0);
			profile_top(0, top, 1, &samples);
			KTEST_ASSERT_TRUE(t, wait_tick_mult(1));
		}
		cprintf("    # %5u Hz: %llu ticks, %lu jiffies, %lu samples in %llu ms\n", hz,
			(unsigned long long)ticks, j0, samples,
			(unsigned long long)((c1 - c0) / MS));
	}
	profile_release();
}

static void tick_pace_at_each_rate(struct ktest *t)
{
	ktest_on_cpu(t, 0, tick_pace_at_each_rate_body);
}

#define RATE_CHANGES 50

/*
 * A rate change must not take a tick before its time: each CPU switches
 * its LAPIC timer at a tick, so the ticks over many start/stop pairs stay
 * at HZ of the time they took (before: a stop took the tick at the next
 * fast interrupt, a tenth of a millisecond after the last one at 10000 Hz,
 * and these 50 pairs ran 100 ticks in about 200 ms).
 */
static void rate_changes_take_no_early_tick_body(struct ktest *t)
{
	u64 c0, ns, ticks, want;

	c0 = arch_clock_ns();
	ticks = READ_ONCE(this_cpu()->ticks);
	for (int i = 0; i < RATE_CHANGES; i++) {
		KTEST_ASSERT_EQ(t, profile_start(HZ * 40, 64), 0);
		KTEST_ASSERT_TRUE(t, wait_tick_mult(40));
		KTEST_ASSERT_EQ(t, profile_stop(), 0);
		KTEST_ASSERT_TRUE(t, wait_tick_mult(1));
	}
	ticks = READ_ONCE(this_cpu()->ticks) - ticks;
	ns = arch_clock_ns() - c0;
	want = ns / (1000000000ULL / HZ);
	cprintf("    # %d start/stop pairs: %llu ticks in %llu ms (%llu at %u Hz)\n",
		RATE_CHANGES, (unsigned long long)ticks, (unsigned long long)(ns / MS),
		(unsigned long long)want, HZ);
	KTEST_EXPECT_LE(t, ticks, want * 11 / 10 + 2);
	profile_release();
}

static void rate_changes_take_no_early_tick(struct ktest *t)
{
	ktest_on_cpu(t, 0, rate_changes_take_no_early_tick_body);
}

static void profile_tick_exit(struct ktest *t)
{
	profile_release();
}

static const struct ktest_case profile_tick_cases[] = {
	KTEST_CASE(tick_pace_at_each_rate),
	KTEST_CASE(rate_changes_take_no_early_tick),
	KTEST_END,
};

static const struct ktest_suite profile_tick_suite = {
	.name = "profile_tick",
	.exit = profile_tick_exit,
	.cases = profile_tick_cases,
};
KTEST_SUITE(profile_tick_suite);
