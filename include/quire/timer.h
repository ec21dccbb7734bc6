/*
 * include/quire/timer.h - kernel timers (timer_list), Linux's API.
 *
 * A timer runs its function once, in interrupt context on the CPU whose
 * timer base holds it, at the first tick at or after its expiry (jiffies).
 * Timers on one base fire in expiry order, equal expiries in the order they
 * were added. A handler must not sleep. del_timer_sync() also waits for a
 * handler running on another CPU; never call it from the handler or while
 * holding a lock the handler takes.
 *
 * Quire runs timers in hard-interrupt context from the tick (Linux: in the
 * TIMER softirq); the difference only matters for what a handler may lock.
 */
#ifndef QUIRE_TIMER_H
#define QUIRE_TIMER_H

#include <quire/compiler.h>
#include <quire/list.h>
#include <quire/jiffies.h>

struct timer_list {
	struct list_head entry;		/* on its base, while pending */
	unsigned long expires;		/* jiffies */
	void (*function)(struct timer_list *);
	u32 flags;
	int base_cpu; /* its base; -1 while it moves */
};

#define TIMER_PINNED	0x1	/* stays on the CPU given to add_timer_on() */

void timer_setup(struct timer_list *timer, void (*func)(struct timer_list *),
		 unsigned int flags);
#define from_timer(var, timer, field) container_of(timer, __typeof__(*var), field)

/* Arm (or re-arm) to fire at @expires. Returns 1 if it was pending.
 * Context: any. */
int mod_timer(struct timer_list *timer, unsigned long expires);
void add_timer(struct timer_list *timer);
void add_timer_on(struct timer_list *timer, unsigned int cpu);
/* Deactivate; 1 if it was pending. Does not wait for a running handler. */
int del_timer(struct timer_list *timer);
/* Deactivate and wait for a running handler to return. Context: process
 * (or any context that does not interrupt the handler). */
int del_timer_sync(struct timer_list *timer);
bool timer_pending(const struct timer_list *timer);

/* Sleeping and busy waits. */
void msleep(unsigned int msecs);
void usleep_range(unsigned long min_us, unsigned long max_us);
void udelay(unsigned long usecs);
void ndelay(unsigned long nsecs);
void mdelay(unsigned long msecs);

/* Run expired timers of this CPU (kernel/time.c). */
void run_local_timers(void);
/* For arches and boots without a tick: advance jiffies from the clock and
 * run this CPU's expired timers. */
void timer_poll(void);
bool timers_pending_local(void);
/* Bring jiffies up to the clock now (a tick may be late or missing):
 * schedule_timeout() does, so a sleep never ends before its time. */
void jiffies_sync(void);
/* Has this CPU ever had a tick? */
bool tick_running(void);

#endif
