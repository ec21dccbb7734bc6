/*
 * kernel/time.c - jiffies, the tick handler, busy-wait delays, `sleep`.
 *
 * Layer: kernel. Provides: jiffies, timer_interrupt() (called by the arch
 * HZ times a second on every CPU), timer_poll(), udelay()/ndelay()/mdelay().
 *
 * Every CPU's tick brings jiffies up to arch_clock_ns(): a late or lost
 * tick (TCG, a descheduled host thread, an idle CPU 0) is caught up at the
 * next tick anywhere, so timeouts in jiffies stay timeouts in real time.
 * jiffies only moves forward, under jiffies_lock.
 */
#include <quire/jiffies.h>
#include <quire/timer.h>
#include <quire/sched.h>
#include <quire/shell.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <arch/time.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include "sched_internal.h"

unsigned long jiffies_counter = INITIAL_JIFFIES;
static DEFINE_RAW_SPINLOCK(jiffies_lock);

/* Bring jiffies up to the clock. Interrupts off. */
static void update_jiffies(void)
{
	unsigned long target = INITIAL_JIFFIES +
			       (unsigned long)(arch_clock_ns() / TICK_NSEC);

	if (!time_after(target, jiffies))
		return;
	raw_spin_lock(&jiffies_lock);
	if (time_after(target, jiffies))
		__atomic_store_n(&jiffies_counter, target, __ATOMIC_RELEASE);
	raw_spin_unlock(&jiffies_lock);
}

void timer_interrupt(void)
{
	timer_mark_tick();
	update_jiffies();
	run_local_timers();
	scheduler_tick();
}

void jiffies_sync(void)
{
	unsigned long flags;

	if (tick_running())
		return;
	flags = arch_local_irq_save();
	update_jiffies();
	arch_local_irq_restore(flags);
}

void timer_poll(void)
{
	unsigned long flags = arch_local_irq_save();

	update_jiffies();
	arch_local_irq_restore(flags);
	run_local_timers();
}

void ndelay(unsigned long nsecs)
{
	u64 end = arch_clock_ns() + nsecs;

	while (arch_clock_ns() < end)
		arch_cpu_relax();
}

void udelay(unsigned long usecs)
{
	ndelay(usecs * 1000);
}

void mdelay(unsigned long msecs)
{
	while (msecs--)
		udelay(1000);
}

/* sleep MS: sleep the shell for MS milliseconds (at most an hour). */
static int cmd_sleep(int argc, char **argv)
{
	unsigned long long ms;

	if (argc != 2) {
		shell_error(argv[0], "usage: sleep MS");
		return -EINVAL;
	}
	if (kstrtoull(argv[1], 10, &ms) || ms > 3600 * 1000ULL) {
		shell_error(argv[0], "invalid milliseconds '%s' (0..3600000)", argv[1]);
		return -EINVAL;
	}
	msleep((unsigned int)ms);
	return 0;
}
SHELL_COMMAND(sleep, "sleep", "sleep MS", "sleep for MS milliseconds", cmd_sleep);
