/*
 * arch/x86_64/sched_point.c - seeded scheduling points in a debug kernel.
 *
 * Layer: arch/x86_64. Provides: arch_sched_point(), arch_sched_points_on
 * and x86_sched_points_init() (include/arch/sched_point.h), only in a
 * kernel built with CONFIG_SCHED_POINTS (make kernel-sp, in build/sp/). A
 * normal kernel compiles every sched_point() to nothing and this file to
 * an empty object.
 *
 * Booted with sched_points=N (and sched_points_seed=S, default 1), each
 * point fires one time in N: a burst of up to 255 pause instructions
 * (under TCG each one leaves the translated code, so longer bursts made a
 * stress case twenty times slower), from a per-CPU xorshift PRNG seeded by
 * S and the CPU id, and one time in
 * four a preemption of the running task (kernel/sched_point.c). QEMU runs
 * are not replayable (TCG schedules the vCPUs), but the delays widen every
 * window between two lock-free steps so that a run of many seeds hits
 * them, as on the host's free-running mode.
 *
 * Invariant:
 *  XSP1. arch_sched_point() reaches no point itself (only __atomic
 *        builtins and the pause instruction).
 * Locking: none; sp_rng[cpu] is only touched on that CPU. A preemption
 * between the load and the store of one CPU's state just repeats a value.
 */
#include <quire/kernel.h>
#include <quire/printk.h>
#include <quire/smp.h>
#include <quire/string.h>
#include <arch/cpu.h>
#include <arch/sched_point.h>

#ifdef CONFIG_SCHED_POINTS
int arch_sched_points_on;
static unsigned int sp_rate;
static u64 sp_seed = 1;
static u64 sp_rng[MAX_CPUS];

bool arch_sched_point(enum sched_point_kind kind)
{
	unsigned int cpu = arch_smp_processor_id();
	u64 x;

	if (cpu >= MAX_CPUS)
		return false;
	x = sp_rng[cpu];
	if (!x)
		x = (sp_seed + 1) * 0x9e3779b97f4a7c15ULL + cpu * 0xbf58476d1ce4e5b9ULL +
		    1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	sp_rng[cpu] = x;
	x *= 0x2545f4914f6cdd1dULL;
	if (x % sp_rate)
		return false;
	x >>= 20;
	for (unsigned int i = (unsigned int)(x % 256); i; i--)
		__asm__ __volatile__("pause" ::: "memory");
	return (x >> 16) % 4 == 0;
}

/* Read sched_points= and sched_points_seed=. Context: boot CPU, late init. */
void x86_sched_points_init(void)
{
	char buf[24];
	unsigned long long v;

	if (!cmdline_get("sched_points", buf, sizeof(buf)))
		return;
	if (kstrtoull(buf, 10, &v) || v < 1 || v > 1000000) {
		pr_err("sched_points: '%s' is not a number in 1..1000000; points stay off\n",
		       buf);
		return;
	}
	sp_rate = (unsigned int)v;
	if (cmdline_get("sched_points_seed", buf, sizeof(buf)) &&
	    kstrtoull(buf, 0, &v) == 0)
		sp_seed = v;
	pr_info("sched points: 1 in %u, seed %llu\n", sp_rate,
		(unsigned long long)sp_seed);
	__atomic_store_n(&arch_sched_points_on, 1, __ATOMIC_RELEASE);
}
#else
void x86_sched_points_init(void)
{
}
#endif

bool arch_schedule_is_seeded(void)
{
	return false;
}
