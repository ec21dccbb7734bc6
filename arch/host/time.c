/*
 * arch/host/time.c - the clock and the periodic tick.
 *
 * Layer: arch/host. Provides: arch_clock_ns(), arch_timer_start(),
 * arch_profile_set_rate() (-EOPNOTSUPP),
 * host_fire_due_ticks().
 *
 * Real time: arch_clock_ns() is CLOCK_MONOTONIC minus the start time. One
 * "timer thread" (not a vCPU; it runs no kernel code) sleeps until the
 * earliest vCPU tick is due and raises HOST_IRQ_TIMER there. A vCPU that
 * falls behind gets one tick, not a burst (the pending bit coalesces).
 * Deterministic mode: no timer thread; virtual time and ticks are driven by
 * det.c through host_fire_due_ticks().
 *
 * Locking: vcpu->tick_period_ns is written once by its vCPU, read by the
 * tick owner; next_tick_ns belongs to the tick owner (timer thread or
 * baton holder). timer_gen (futex) wakes the timer thread when a tick is
 * added.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "host.h"
#include <quire/printk.h>
#include <arch/time.h>

static u64 boot_ns;
static u32 timer_gen;
static pthread_t timer_thread;
static bool timer_thread_started;

u64 host_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

u64 arch_clock_ns(void)
{
	if (host_cfg.deterministic)
		return det_clock_ns();
	return host_monotonic_ns() - boot_ns;
}

u64 host_fire_due_ticks(u64 now)
{
	u64 earliest = U64_MAX;

	for (unsigned int i = 0; i < platform.nr_cpus; i++) {
		struct vcpu *v = &host_vcpus[i];
		u64 period = __atomic_load_n(&v->tick_period_ns, __ATOMIC_ACQUIRE);

		if (!period || !host_vcpu_runs_irqs(v))
			continue;
		if (!v->next_tick_ns)
			v->next_tick_ns = now + period;
		if (v->next_tick_ns <= now) {
			host_raise_irq(i, HOST_IRQ_TIMER);
			v->next_tick_ns += period;
			if (v->next_tick_ns <= now)	/* fell behind: skip */
				v->next_tick_ns = now + period;
		}
		earliest = min(earliest, v->next_tick_ns);
	}
	return earliest;
}

static void *timer_thread_fn(void *arg)
{
	for (;;) {
		u32 gen = __atomic_load_n(&timer_gen, __ATOMIC_ACQUIRE);
		u64 now = arch_clock_ns();
		u64 next = host_fire_due_ticks(now);

		now = arch_clock_ns();
		if (next == U64_MAX)
			host_futex_wait(&timer_gen, gen, 0);
		else if (next > now)
			host_futex_wait(&timer_gen, gen, next - now);
	}
	return NULL;
}

static int start_timer_thread(void)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);	/* no vCPU signals here */
	err = pthread_create(&timer_thread, NULL, timer_thread_fn, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

/* Context: process, on the vCPU that wants the tick. */
void arch_timer_start(unsigned int hz)
{
	struct vcpu *v = host_this_vcpu();
	unsigned long flags;

	if (hz == 0 || hz > 10000) {
		pr_err("arch_timer_start: %u Hz out of range 1..10000\n", hz);
		return;
	}
	flags = arch_local_irq_save();
	__atomic_store_n(&v->tick_period_ns, 1000000000ULL / hz, __ATOMIC_RELEASE);
	if (host_cfg.deterministic) {
		det_tick_started(v);
	} else {
		if (!__atomic_exchange_n(&timer_thread_started, true, __ATOMIC_ACQ_REL) &&
		    start_timer_thread())
			pr_err("arch_timer_start: cannot start the timer thread\n");
		__atomic_fetch_add(&timer_gen, 1, __ATOMIC_RELEASE);
		host_futex_wake(&timer_gen);
	}
	arch_local_irq_restore(flags);
}

/*
 * No sampling profiler here: an interrupt reaches a vCPU at an enable
 * point or in a signal handler, not as a sample of the code it stopped
 * (docs/profile.md). EOPNOTSUPP is libc's and the kernel's 95.
 */
int arch_profile_set_rate(unsigned int mult)
{
	return -EOPNOTSUPP;
}

void host_time_init(void)
{
	boot_ns = host_monotonic_ns();
}
