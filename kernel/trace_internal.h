/*
 * kernel/trace_internal.h - what kernel/trace.c shares with its tests
 * (kernel/trace_test.c) and the shell command. Not a public interface:
 * subsystems emit events with trace_event() (include/quire/trace.h).
 */
#ifndef KERNEL_TRACE_INTERNAL_H
#define KERNEL_TRACE_INTERNAL_H

#include <quire/trace.h>

#define TRACE_TEXT_MAX	      384  /* bytes of an event's fields, NUL included */
#define TRACE_SIZE_KB_MIN     4	   /* per-CPU ring, KiB */
#define TRACE_SIZE_KB_MAX     4096 /* kmalloc's largest block */
#define TRACE_SIZE_KB_DEFAULT 512

/* One record as the printer sees it (a copy, not the ring's bytes). */
struct trace_line {
	u64 ts; /* arch_clock_ns() when recorded */
	int pid;
	unsigned int cpu;
	char comm[16];
	char flags[6]; /* Linux's 5 latency characters, "d..1." */
	const char *event;
	const char *text;
};

struct trace_stats {
	unsigned long entries; /* records in the rings now */
	unsigned long written; /* records ever written (since clear) */
	unsigned long lost;    /* overwritten before being read */
	unsigned long size_kb; /* per-CPU ring size */
	unsigned int nr_cpus;
};

/* Format @l exactly as Linux's trace file prints an event line (no
 * newline). Returns the length. */
int trace_format_line(char *buf, size_t size, const struct trace_line *l);

/*
 * A merged, non-consuming read of every CPU's ring: trace_iter_start()
 * copies each ring under its lock (so recording goes on meanwhile), then
 * trace_iter_next() returns the records oldest first across CPUs (equal
 * timestamps: lower CPU first). -ENOMEM if the copy cannot be allocated.
 */
struct trace_iter {
	unsigned int nr_cpus;
	struct trace_cpu_copy *copy; /* one per CPU */
	struct trace_stats stats;    /* when the copy was taken */
};
int trace_iter_start(struct trace_iter *it);
bool trace_iter_next(struct trace_iter *it, struct trace_line *l);
void trace_iter_end(struct trace_iter *it);

void trace_get_stats(struct trace_stats *st);
/* Reallocate every CPU's ring (emptied) to @kb KiB; -EINVAL out of range,
 * -ENOMEM. Context: process. */
int trace_resize(unsigned long kb);
/* Shell-style glob: '*' any run, '?' one character. */
bool trace_glob_match(const char *pat, const char *str);

/* The `trace` shell command (argv[0] is "trace"). */
int trace_command(int argc, char **argv);

#endif
