/*
 * kernel/printk.c - the kernel log.
 *
 * Layer: kernel. Used by: everything.
 * Provides: printk(), vprintk(), cprintf(), console_write(), log_buf_copy().
 *
 * Each printk() formats one record "[seconds.micros] text" into a ring
 * buffer of LOG_BUF_SIZE bytes (oldest bytes are overwritten) and, when its
 * level is at or below console_loglevel, writes it to the console.
 *
 * Locking: log_lock (a raw spinning lock with interrupts off) guards the
 * ring; console output is serialised by console_lock so that lines from
 * different CPUs do not interleave. Both are raw, not spinlock_t, because
 * printk must work before the scheduler and from any context, panic
 * included (panic_in_progress lets the panicking CPU through).
 */
#include <quire/printk.h>
#include <quire/string.h>
#include <arch/console.h>
#include <arch/irq.h>
#include <arch/cpu.h>
#include <arch/time.h>

#define LOG_BUF_SIZE	(64 * 1024)	/* bytes; enough for a boot and a test run */
#define LINE_MAX_LEN	1024		/* one record, formatted */

int console_loglevel = LOGLEVEL_DEFAULT;	/* show levels <= this */
bool panic_in_progress;

static char log_buf[LOG_BUF_SIZE];
static u64 log_head;		/* total bytes ever written; guarded by log_lock */
static int log_lock;		/* 0 free, 1 held */
static int console_lock;	/* 0 free, 1 held */

static void raw_lock(int *lock)
{
	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE)) {
		if (READ_ONCE(panic_in_progress))
			return;
		arch_cpu_relax();
	}
}

static void raw_unlock(int *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

static void log_store(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_buf[(log_head + i) % LOG_BUF_SIZE] = s[i];
	log_head += n;
}

size_t log_buf_copy(char *buf, size_t size)
{
	unsigned long flags = arch_local_irq_save();
	size_t avail, start, n;

	raw_lock(&log_lock);
	avail = log_head < LOG_BUF_SIZE ? log_head : LOG_BUF_SIZE;
	n = avail < size ? avail : size;
	start = log_head - n;
	for (size_t i = 0; i < n; i++)
		buf[i] = log_buf[(start + i) % LOG_BUF_SIZE];
	raw_unlock(&log_lock);
	arch_local_irq_restore(flags);
	return n;
}

void console_write(const char *s, size_t len)
{
	unsigned long flags = arch_local_irq_save();

	raw_lock(&console_lock);
	arch_console_write(s, len);
	raw_unlock(&console_lock);
	arch_local_irq_restore(flags);
}

static int parse_level(const char **fmt)
{
	const char *f = *fmt;

	if (f[0] == KERN_SOH[0] && f[1] >= '0' && f[1] <= '7') {
		*fmt = f + 2;
		return f[1] - '0';
	}
	return LOGLEVEL_DEFAULT;
}

int vprintk(const char *fmt, va_list args)
{
	char line[LINE_MAX_LEN];
	int level = parse_level(&fmt);
	u64 ns = arch_clock_ns();
	int n;

	n = scnprintf(line, sizeof(line), "[%5llu.%06llu] ",
		      (unsigned long long)(ns / 1000000000ULL),
		      (unsigned long long)(ns % 1000000000ULL / 1000));
	n += vscnprintf(line + n, sizeof(line) - n, fmt, args);
	if (n > 0 && line[n - 1] != '\n' && n < (int)sizeof(line) - 1)
		line[n++] = '\n';

	unsigned long flags = arch_local_irq_save();
	raw_lock(&log_lock);
	log_store(line, n);
	raw_unlock(&log_lock);
	arch_local_irq_restore(flags);

	if (level <= console_loglevel)
		console_write(line, n);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

int cprintf(const char *fmt, ...)
{
	char buf[LINE_MAX_LEN];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n);
	return n;
}
