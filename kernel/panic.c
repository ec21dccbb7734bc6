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

extern bool panic_in_progress;

void dump_stack(void)
{
	unsigned long pcs[32];
	int n = arch_stack_trace(pcs, 32, 1);

	printk(KERN_ERR "Call trace:\n");
	for (int i = 0; i < n; i++)
		printk(KERN_ERR "  [<%016lx>] %pS\n", pcs[i], (void *)pcs[i]);
}

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	arch_local_irq_disable();
	if (__atomic_exchange_n(&panic_in_progress, true, __ATOMIC_SEQ_CST))
		for (;;)
			;	/* another CPU is already panicking */
	arch_stop_other_cpus();
	va_start(ap, fmt);
	vscnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "Kernel panic: %s\n", msg);
	dump_stack();
	printk(KERN_EMERG "---[ end Kernel panic: %s ]---\n", msg);
	arch_poweroff(PANIC_EXIT_STATUS);
}

void warn_slowpath(const char *file, int line, const char *cond)
{
	printk(KERN_WARNING "WARNING: %s:%d: %s\n", file, line, cond);
	dump_stack();
}
