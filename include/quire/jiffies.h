/*
 * include/quire/jiffies.h - the tick counter, Linux's names.
 *
 * jiffies counts ticks of HZ per second. It starts at INITIAL_JIFFIES, five
 * minutes before it wraps, so that code comparing jiffies without
 * time_after()/time_before() breaks in the first minutes of every run, as
 * in Linux. CPU 0 advances it in timer_interrupt(), catching up with
 * arch_clock_ns() when ticks were late (TCG, a descheduled host thread).
 */
#ifndef QUIRE_JIFFIES_H
#define QUIRE_JIFFIES_H

#include <quire/compiler.h>

#define HZ		250
#define TICK_NSEC	(1000000000UL / HZ)
#define INITIAL_JIFFIES	((unsigned long)(unsigned int)(-300 * HZ))
#define MAX_JIFFY_OFFSET ((long)(~0UL >> 1) - 1)

/* Read with a relaxed atomic load (racy by design, as Linux's volatile
 * jiffies; the atomic tells ThreadSanitizer so). Written by kernel/time.c. */
extern unsigned long jiffies_counter;
#define jiffies ((unsigned long)__atomic_load_n(&jiffies_counter, __ATOMIC_RELAXED))

#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)
#define time_after_eq(a, b)	((long)((a) - (b)) >= 0)
#define time_before_eq(a, b)	time_after_eq(b, a)
#define time_is_before_jiffies(a) time_after(jiffies, a)
#define time_is_after_jiffies(a) time_before(jiffies, a)

/* Rounds up: msecs_to_jiffies(1) is 1. */
static inline unsigned long msecs_to_jiffies(unsigned int ms)
{
	return ((unsigned long)ms * HZ + 999) / 1000;
}

static inline unsigned long usecs_to_jiffies(unsigned int us)
{
	return ((unsigned long)us * HZ + 999999) / 1000000;
}

static inline unsigned int jiffies_to_msecs(unsigned long j)
{
	return (unsigned int)(j * (1000 / HZ));
}

static inline u64 jiffies_to_nsecs(unsigned long j)
{
	return (u64)j * TICK_NSEC;
}

#endif
