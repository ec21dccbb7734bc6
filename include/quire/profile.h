/*
 * include/quire/profile.h - a sampling profiler: where the CPUs spend
 * their time, by function (docs/profile.md).
 *
 * Layer: kernel (kernel/profile.c). While it runs, each CPU's tick (raised
 * to a sampling rate for the run) records the code address it interrupted,
 * and that function's caller, into the CPU's own fixed buffer; `profile
 * show` (or profile_report()) counts the samples by function through the
 * kernel's symbol table (kallsyms on x86_64). The arch takes the samples:
 * x86_64 from its LAPIC timer (arch_profile_set_rate()); quire-host takes
 * none (its interrupts arrive at enable points, not at the interrupted
 * instruction) and profile_start() returns -EOPNOTSUPP there.
 *
 * Context: profile_tick() hard interrupt; everything else process context
 * (may sleep), serialised by one mutex.
 */
#ifndef QUIRE_PROFILE_H
#define QUIRE_PROFILE_H

#include <quire/compiler.h>

#define PROFILE_DEFAULT_HZ	1000
#define PROFILE_DEFAULT_SAMPLES 65536 /* per CPU: 65 s at 1000 Hz */
#define PROFILE_MAX_SAMPLES	(1U << 20)

/* Start sampling at @hz (a multiple of HZ, at most HZ * 40) into fresh
 * buffers of @samples entries per CPU (the last run's samples are
 * dropped). 0, -EINVAL, -ENOMEM, -EBUSY (running already) or
 * -EOPNOTSUPP (the arch takes no samples). */
int profile_start(unsigned int hz, unsigned int samples);
/* Stop sampling; the samples stay for profile_report() until the next
 * start or profile_release(). Returns -EINVAL when not running. */
int profile_stop(void);
/* Stop if running and free the buffers. */
void profile_release(void);
bool profile_running(void);

/* One line of a report: the samples whose address is in @func. */
struct profile_entry {
	unsigned long func; /* start address, 0: no known function */
	unsigned long samples;
};

/* Count the samples taken so far (running or stopped), on @cpu or on
 * every CPU (@cpu < 0). Fills @top with up to @max functions, most
 * samples first, and returns how many; *@total gets every sample
 * counted. -ENOMEM, or -ENOENT with no buffers. */
int profile_top(int cpu, struct profile_entry *top, int max, unsigned long *total);
/* The same for the callers of @func (the caller of each sample in it). */
int profile_top_callers(int cpu, unsigned long func, struct profile_entry *top, int max,
			unsigned long *total);

/* Print the report (`profile show`): samples per CPU, the top @max
 * functions with their share, and with @callers each one's three first
 * callers. */
void profile_report(int max, bool callers);

/* --- Called by the arch --- */

/* Record a sample on this CPU: @pc the interrupted address, @caller the
 * return address of the interrupted function's frame (0 if unknown).
 * Context: hard interrupt, on the CPU whose tick it is. */
void profile_tick(unsigned long pc, unsigned long caller);

#endif
