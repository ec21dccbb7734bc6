/*
 * arch/host/sched_point.c - seeded scheduling points on the host.
 *
 * Layer: arch/host. Provides: arch_sched_point(), arch_sched_points_on
 * (include/arch/sched_point.h). Used by: every sched_point() of the core.
 *
 * `--sched-points N` turns the points on: each one fires with probability
 * 1/N, chosen by the seed (`--seed S`). What a firing point does:
 *   deterministic mode: det_sched_point() hands the baton to a vCPU the
 *       seeded PRNG picks (possibly the same one), then asks for a
 *       preemption of the running task half of the time. The same seed
 *       replays the same choices, byte for byte.
 *   free-running mode: a short delay (a burst of up to 2048 pause
 *       instructions, or one sched_yield() of the vCPU's host thread) from
 *       a per-vCPU xorshift PRNG seeded by S and the CPU id, and a
 *       preemption one time in four. Not replayable (the host schedules
 *       the threads), but it widens every window so that free-running
 *       runs hit them too.
 *
 * Invariants:
 *  HSP1. arch_sched_point() reaches no point itself: it uses only
 *        __atomic builtins and host calls, never include/quire/atomic.h
 *        or a kernel lock. (Interrupt handlers it takes at its unmask,
 *        HSP3, reach points, as they would from a signal landing there;
 *        they run after the PRNG step, never inside it.)
 *  HSP2. Off (arch_sched_points_on == 0) no PRNG is stepped: runs
 *        without --sched-points replay exactly as before they existed.
 *  HSP3. The masked PRNG step loses no interrupt: one raised while it is
 *        masked (its signal returned at once) is taken when the step
 *        unmasks (host_irq_unmask_raw()), not at some later enable point.
 *        A task looping through cond_resched() passes no enable point, so
 *        its CPU would get no further tick (the timer's bit stays set and
 *        no new signal is sent for a set bit).
 *
 * Locking: none. sp_rng of a vCPU is touched only by the thread running
 * that vCPU, with the vCPU's interrupts masked while it is used (so the
 * signal handler's own points cannot interleave); see HSP3 for the unmask.
 */
#include <sched.h>

#include "host.h"
#include <arch/sched_point.h>

int arch_sched_points_on;

static u64 sp_random(struct vcpu *v)
{
	u64 x = v->sp_rng;

	if (!x)
		x = (host_cfg.seed + 1) * 0x9e3779b97f4a7c15ULL +
		    v->id * 0xbf58476d1ce4e5b9ULL + 1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	v->sp_rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Selftest only (arch/host/selftest.c): runs inside the masked PRNG step. */
void (*host_sp_masked_hook)(void);

static bool free_sched_point(void)
{
	int saved =
		host_irq_mask_raw(); /* HSP locking: no handler between read and write */
	u64 r;

	/* Read once masked: the task cannot be preempted to another vCPU
	 * between this and the step, so it steps its own vCPU's PRNG. */
	r = sp_random(host_this_vcpu());
	if (unlikely(host_sp_masked_hook))
		host_sp_masked_hook();
	host_irq_unmask_raw(saved); /* HSP3 */
	if (r % host_cfg.sched_points)
		return false;
	r >>= 20;
	if (r % 8 == 0) {
		sched_yield();
	} else {
		for (unsigned int i = (unsigned int)(r >> 3) % 2048; i; i--)
			__builtin_ia32_pause();
	}
	return (r >> 16) % 4 == 0;
}

bool arch_sched_point(enum sched_point_kind kind)
{
	struct vcpu *v = host_this_vcpu();

	if (!v)
		return false;
	if (host_cfg.deterministic)
		return det_sched_point(v, host_cfg.sched_points);
	return free_sched_point();
}

bool arch_schedule_is_seeded(void)
{
	return host_cfg.deterministic;
}
