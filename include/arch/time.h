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

/* --- Implemented by the kernel --- */
void timer_interrupt(void);

#endif
