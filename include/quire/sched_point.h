/*
 * include/quire/sched_point.h - seeded preemption points (the core half).
 *
 * sched_point(SP_x) marks a place where another CPU's steps, or a
 * preemption, may land between two lock-free steps: the primitives call it
 * themselves (raw_spin_unlock() and the spin_unlock family, around
 * set_current_state(), try_to_wake_up(), every atomic read-modify-write
 * in include/quire/atomic.h) and the workqueue after each PENDING-bit
 * operation. The arch decides, from a seed, what happens there
 * (include/arch/sched_point.h; docs/host.md "Scheduling points"). When the
 * arch asks for it and the task may be preempted (interrupts on,
 * preempt_count 0, not idle), the task yields as if a tick had ended its
 * timeslice: a runnable task of the same or higher priority runs first.
 *
 * Cost when off: nothing in a normal x86 build; one load and a branch on
 * the host and in an x86 CONFIG_SCHED_POINTS build.
 */
#ifndef QUIRE_SCHED_POINT_H
#define QUIRE_SCHED_POINT_H

#include <quire/compiler.h>
#include <arch/sched_point.h>

/* Yield the CPU if the running task may be preempted here (kernel/sched_point.c). */
void sched_point_preempt(void);

static inline void sched_point(enum sched_point_kind kind)
{
#ifdef HAVE_ARCH_SCHED_POINTS
	if (unlikely(__atomic_load_n(&arch_sched_points_on, __ATOMIC_RELAXED)) &&
	    arch_sched_point(kind))
		sched_point_preempt();
#else
	(void)kind;
#endif
}

#endif
