/*
 * include/quire/trace.h - trace events into a per-CPU ring buffer, printed
 * in the text format of Linux's tracefs `trace` file.
 *
 * Layer: kernel. Implemented by kernel/trace.c (the `trace` shell command:
 * trace start|stop|clear|show, event filters). Readers outside kernel/
 * (net/http's /trace) use trace_text_*() below. See docs/trace.md.
 *
 * An event has Linux's name and its fields already formatted as Linux's
 * TP_printk prints them, e.g.
 *   trace_event("writeback_dirty_folio", "bdi %s: ino=%lu index=%lu", ...);
 * The buffer adds task-pid, [cpu], flags and a timestamp, so a line reads
 *   dd-130     [000] d..1.  14.437511: writeback_dirty_folio: bdi 254:0: ino=... index=...
 * Cost while tracing is off: one relaxed load and a branch.
 *
 * Context: any, interrupts included (a record is written with interrupts
 * off on the local CPU's ring; a full ring overwrites its oldest records and
 * counts them as lost).
 */
#ifndef QUIRE_TRACE_H
#define QUIRE_TRACE_H

#include <quire/compiler.h>
#include <quire/types.h>

extern int trace_on; /* set by `trace start`; read relaxed */

static inline bool trace_enabled(void)
{
	return __atomic_load_n(&trace_on, __ATOMIC_RELAXED) != 0;
}

void __trace_event(const char *event, const char *fmt, ...) __printf(2, 3);

#define trace_event(event, fmt, ...)                              \
	do {                                                      \
		if (unlikely(trace_enabled()))                    \
			__trace_event(event, fmt, ##__VA_ARGS__); \
	} while (0)

/* Programmatic control (tests and the shell command). */
void trace_start(void);
void trace_stop(void);
void trace_clear(void);
#define TRACE_FILTER_MAX 256 /* bytes of `trace events` patterns */
/* Record only events matching one of the comma-separated globs in
 * @patterns ("*" = all, the default). -EINVAL if empty or too long.
 * Context: process. */
int trace_set_filter(const char *patterns);
void trace_get_filter(char *buf, size_t size);
/* Print the buffer, oldest first, merged across CPUs by timestamp. */
void trace_print(void);

/*
 * Reading the buffer as the text of Linux's trace file, line by line: the
 * reader of the shell's `trace show` (trace_print()) and of HTTP's /trace.
 * trace_text_open() takes a merged, non-consuming copy of every CPU's ring
 * (recording goes on meanwhile; NULL if the copy cannot be allocated);
 * trace_text_read() puts the next line into @buf: first the header
 * ("# tracer: nop", the entries counts, the column legend), then one line
 * per record, oldest first across CPUs. Each line ends in '\n' and @buf is
 * NUL-ended; a line longer than @size - 1 bytes is cut (its '\n' kept).
 * Returns the line's length, 0 after the last (@size >= 2).
 * trace_text_close() frees the copy. Context: process, may sleep.
 */
#define TRACE_LINE_MAX 512 /* a record's line always fits in this many bytes */
struct trace_text;
struct trace_text *trace_text_open(void);
size_t trace_text_read(struct trace_text *tt, char *buf, size_t size);
void trace_text_close(struct trace_text *tt);

#endif
