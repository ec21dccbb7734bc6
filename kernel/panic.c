/*
 * kernel/panic.c - panic(), WARN and stack dumps.
 *
 * Layer: kernel. Provides: panic(), panic_enter()/panic_finish() (for arch
 * exception reports), warn_slowpath(), warn_count(), dump_stack(), the
 * `crash` command.
 * A panic stops the other CPUs, prints the reason and a symbolised stack,
 * and powers off with PANIC_EXIT_STATUS so that a scripted run (tests)
 * ends at once instead of hanging.
 */
#include <quire/bug.h>
#include <quire/printk.h>
#include <quire/kernel.h>
#include <quire/shell.h>
#include <quire/string.h>
#include <quire/errno.h>
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
		printk(KERN_ERR "  [<%016lx>] %pS\n", arch_stack_addr_for_log(pcs[i]),
		       (void *)pcs[i]);
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

static unsigned long nr_warnings;

unsigned long warn_count(void)
{
	return __atomic_load_n(&nr_warnings, __ATOMIC_RELAXED);
}

void warn_slowpath(const char *file, int line, const char *cond)
{
	__atomic_fetch_add(&nr_warnings, 1, __ATOMIC_RELAXED);
	printk(KERN_WARNING "WARNING: %s:%d: %s\n", file, line, cond);
	dump_stack();
}

/*
 * `crash KIND`: deliberately break the kernel, to check that each kind of
 * failure produces a complete panic report naming the faulting function
 * and a PANIC_EXIT_STATUS exit (tests/ and docs/boot.md use it).
 */
static volatile int crash_zero;		/* volatile: the compiler cannot fold it */
static volatile int crash_one = 1;
static unsigned char crash_data_code[16] = { 0xc3 };	/* `ret`, in a data page */

static noinline void crash_null_deref(void)
{
	*(volatile int *)(uintptr_t)crash_zero = 1;
}

static noinline void crash_write_text(void)
{
	*(volatile unsigned char *)(uintptr_t)crash_write_text = 0xcc;
}

static noinline void crash_exec_data(void)
{
	void (*fn)(void) = (void (*)(void))(uintptr_t)crash_data_code;

	barrier();
	fn();
}

static noinline void crash_bug(void)
{
	BUG_ON(crash_zero == 0);
}

static noinline void crash_divide_by_zero(void)
{
	volatile int x = crash_one / crash_zero;

	(void)x;
}

/* Unbounded recursion: overflows the stack into its guard page. */
static noinline int crash_stack_overflow(int depth)
{
	volatile char frame[512];

	frame[0] = (char)depth;
	if (crash_one)		/* always: hides the endless recursion from GCC */
		return crash_stack_overflow(depth + 1) + frame[0];
	return 0;
}

static void crash_stack(void)
{
	crash_stack_overflow(0);
}

/* Not a crash: one WARN_ON() and the kernel goes on (tests/run checks that a
 * warning outside every test case fails the next `test`). */
static noinline void crash_warn(void)
{
	WARN_ON(crash_one);
}

static const struct {
	const char *kind;
	void (*fn)(void);
	const char *what;
	bool returns; /* the kernel goes on: success, not a failure */
} crash_kinds[] = {
	{"null", crash_null_deref, "NULL pointer dereference"},
	{"wx", crash_write_text, "write into kernel text (W^X)"},
	{"nx", crash_exec_data, "jump into a data page (NX)"},
	{"bug", crash_bug, "BUG_ON()"},
	{"divzero", crash_divide_by_zero, "integer division by zero"},
	{"stack", crash_stack, "kernel stack overflow"},
	{"warn", crash_warn, "a WARN_ON() (the kernel goes on)", true},
};

static int cmd_crash(int argc, char **argv)
{
	if (argc != 2) {
		shell_error(argv[0], "usage: crash null|wx|nx|bug|divzero|stack|warn");
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(crash_kinds); i++) {
		if (strcmp(argv[1], crash_kinds[i].kind))
			continue;
		printk(KERN_EMERG "crash: %s, on request\n", crash_kinds[i].what);
		crash_kinds[i].fn();
		if (crash_kinds[i].returns)
			return 0;
		shell_error(argv[0], "%s did not crash the kernel", argv[1]);
		return -EFAULT;
	}
	shell_error(argv[0],
		    "unknown kind '%s' (null, wx, nx, bug, divzero, stack, warn)",
		    argv[1]);
	return -EINVAL;
}
SHELL_COMMAND(crash, "crash", "crash null|wx|nx|bug|divzero|stack|warn",
	      "panic the kernel on purpose (tests the panic report)", cmd_crash);
