/*
 * include/arch/time.h - clocks and the periodic tick.
 */
#ifndef ARCH_TIME_H
#define ARCH_TIME_H

#include <quire/compiler.h>

/* Monotonic nanoseconds since boot. Context: any, including NMI/panic. */
u64 arch_clock_ns(void);

/* Start the periodic tick at @hz on the calling CPU; the arch then calls
 * timer_interrupt() (kernel/time.c) in hard-interrupt context @hz times a
 * second on that CPU. */
void arch_timer_start(unsigned int hz);

/* Sample at @mult times HZ on every CPU: the arch calls profile_tick()
 * (include/quire/profile.h) with the interrupted address that often;
 * timer_interrupt() still runs at HZ. 0 stops the samples and gives back
 * the plain tick. Each CPU switches at its next tick. Returns 0, or
 * -EOPNOTSUPP where the arch cannot sample (quire-host). Context: process. */
int arch_profile_set_rate(unsigned int mult);

/* --- Implemented by the kernel --- */
void timer_interrupt(void);

#endif
