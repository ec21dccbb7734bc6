/*
 * kernel/panic.c - panic(), WARN and stack dumps.
 *
 * Layer: kernel. Provides: panic(), warn_slowpath(), dump_stack().
 * A panic stops the other CPUs, prints the reason and a symbolised stack,
 * and powers off with PANIC_EXIT_STATUS so that a scripted run (tests)
 * ends at once instead of hanging.
 */
#include <quire/bug.h>
#include <quire/printk.h>
#include <quire/kernel.h>
#include <arch/debug.h>
#include <arch/irq.h>
#include <arch/power.h>
#include <arch/cpu.h>

extern bool panic_in_progress;
static unsigned int panic_cpu;	/* valid while panic_in_progress */

void dump_stack(void)
{
	unsigned long pcs[32];
	int n = arch_stack_trace(pcs, 32, 1);

	printk(KERN_ERR "Call trace:\n");
	for (int i = 0; i < n; i++)
		printk(KERN_ERR "  [<%016lx>] %pS\n", pcs[i], (void *)pcs[i]);
}

void panic_enter(void)
{
	unsigned int cpu;

	arch_local_irq_disable();
	cpu = arch_smp_processor_id();
	if (__atomic_exchange_n(&panic_in_progress, true, __ATOMIC_SEQ_CST)) {
		if (READ_ONCE(panic_cpu) == cpu) {
			/* Panic while reporting a panic: stop at once. */
			printk(KERN_EMERG "Kernel panic: recursive panic\n");
			arch_poweroff(PANIC_EXIT_STATUS);
		}
		for (;;)
			;	/* another CPU is already panicking */
	}
	WRITE_ONCE(panic_cpu, cpu);
	arch_stop_other_cpus();
}

void panic_finish(const char *msg)
{
	printk(KERN_EMERG "---[ end Kernel panic: %s ]---\n", msg);
	arch_poweroff(PANIC_EXIT_STATUS);
}

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	panic_enter();
	va_start(ap, fmt);
	vscnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "Kernel panic: %s\n", msg);
	dump_stack();
	panic_finish(msg);
}

void warn_slowpath(const char *file, int line, const char *cond)
{
	printk(KERN_WARNING "WARNING: %s:%d: %s\n", file, line, cond);
	dump_stack();
}
