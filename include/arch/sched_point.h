/*
 * include/arch/sched_point.h - seeded preemption points: the arch half.
 *
 * The core marks the places where a window between two lock-free steps
 * may hide a race (include/quire/sched_point.h: lock release,
 * set_current_state(), wake-up, atomic read-modify-write, workqueue
 * PENDING bit). When points are on, the arch decides at each one, from a
 * seed, whether to disturb the caller there:
 *   arch/host, deterministic mode: hand the baton to a vCPU the seeded PRNG
 *       picks (so another CPU's steps land in the window), replayably;
 *   arch/host, free-running mode: a seeded short delay (pause burst or a
 *       host yield) that widens the window;
 *   arch/x86_64: nothing unless built with CONFIG_SCHED_POINTS (make
 *       kernel-sp) and booted with sched_points=N: a seeded pause burst.
 * The return value asks the core to also preempt the caller's task there
 * (as an interrupt arriving at that instruction could).
 *
 * Normal x86 builds compile every point to nothing.
 */
#ifndef ARCH_SCHED_POINT_H
#define ARCH_SCHED_POINT_H

#include <quire/compiler.h>

enum sched_point_kind {
	SP_UNLOCK,    /* a lock was just released */
	SP_SET_STATE, /* around set_current_state() */
	SP_WAKEUP,    /* around try_to_wake_up() */
	SP_ATOMIC,    /* after an atomic read-modify-write */
	SP_PENDING,   /* after a workqueue PENDING-bit operation */
	SP_PREEMPT,   /* preempt_enable() brought the count to 0 */
	SP_NR_KINDS,
};

/* True when the arch runs one seeded, replayable schedule (arch/host
 * --deterministic: one vCPU at a time, virtual time): for the few tests
 * whose counts follow the schedule rather than the code under test. */
bool arch_schedule_is_seeded(void);

#if defined(ARCH_HOST) || defined(CONFIG_SCHED_POINTS)
#define HAVE_ARCH_SCHED_POINTS 1

/* Nonzero when points are on (set once at boot, read at every point). */
extern int arch_sched_points_on;

/*
 * A point of @kind was reached. Returns true when the caller's task should
 * be preempted here too. Must not itself reach a point (it uses no hooked
 * primitive). Context: any, including interrupts off and locks held.
 */
bool arch_sched_point(enum sched_point_kind kind);
#endif

#endif
