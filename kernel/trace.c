/*
 * kernel/trace.c - trace events into per-CPU ring buffers, printed in the
 * text format of Linux's tracefs `trace` file.
 *
 * Layer: kernel. Used by: every subsystem through trace_event()
 * (include/quire/trace.h); the `trace` shell command; tools/wbplot reads
 * what it prints. Provides: __trace_event(), trace_start/stop/clear(),
 * trace_print(), and for the shell and tests (kernel/trace_internal.h)
 * a merged iterator, the line formatter, resizing and event filters.
 * Not here: Linux's function tracer, per-event enable files, histograms
 * (docs/trace.md, "Left out").
 *
 * Each possible CPU has one ring of bytes (trace_buffer_size_kb KiB). A
 * record is a struct trace_rec followed by its formatted fields, padded to
 * 8 bytes; a record never straddles the end of the ring: when it does not
 * fit before the end, a padding record fills the tail and the record goes
 * to offset 0. head and tail are byte positions that only grow (offset =
 * position % size). A writer that needs room advances tail over the oldest
 * records and counts each one as lost: a full ring overwrites, it never
 * blocks and never drops the newest record.
 *
 * Invariants:
 *  TR1: tail <= head <= tail + size, and tail % size is the start of a
 *      record (or padding).
 *  TR2: entries == the number of non-padding records in [tail, head);
 *      written == entries + lost since the last clear or resize.
 *  TR3: records in one ring are in the order they were written; their
 *      timestamps never decrease (each is taken under the ring's lock).
 *
 * Locking: each ring has a raw spinlock, taken with interrupts off (an
 * event may come from an interrupt handler on the same CPU). Writers only
 * touch their own CPU's ring; readers (trace_iter_start, clear, resize)
 * take each ring's lock in turn, never two at once. The event filter is
 * two buffers flipped by one index: a writer (filter_mutex) fills the idle
 * one once no reader still uses it (filter_readers[]), then publishes it.
 */
#include <quire/trace.h>
#include <quire/sysctl.h>
#include <quire/shell.h>
#include <quire/init.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/slab.h>
#include <quire/mutex.h>
#include <quire/sched.h>
#include <quire/smp.h>
#include <quire/preempt.h>
#include <arch/irq.h>
#include <arch/time.h>
#include <arch/cpu.h>
#include "trace_internal.h"

int trace_on;

#define TRACE_REC_PAD 0x80000000U /* len flag: padding, not an event */

struct trace_rec {
	u32 len; /* bytes of this record, 8-aligned (| TRACE_REC_PAD) */
	s32 pid;
	u64 ts;
	const char *event; /* a string literal: lives for ever */
	char comm[16];
	char flags[6];
	char text[]; /* NUL-terminated fields */
};

struct trace_cpu_buffer {
	raw_spinlock_t lock; /* guards everything below */
	char *buf;
	size_t size;	/* bytes; 0 when not allocated */
	u64 head, tail; /* byte positions (TR1) */
	unsigned long entries, written, lost;
} __aligned(64);

static struct trace_cpu_buffer trace_bufs[MAX_CPUS];
static unsigned long trace_buffer_size_kb = TRACE_SIZE_KB_DEFAULT;
static unsigned long trace_cur_kb;	 /* what the rings really have */
static DEFINE_MUTEX(trace_config_mutex); /* resize, filter changes */

static char filters[2][TRACE_FILTER_MAX] = {"*", "*"};
static int filter_idx;
static unsigned long filter_readers[2];
static bool filter_all = true; /* the published filter is "*" */

/* --- the event filter --- */

/*
 * Linux's glob_match() way: walk both strings once, remembering only the
 * last '*' seen; on a mismatch that star takes one more character and the
 * walk resumes after it. An earlier star never needs another try (the
 * later one can absorb whatever it would have), so this is O(len(pat) *
 * len(str)), not exponential in the number of stars: the pattern is a
 * shell argument, matched against every event recorded.
 */
bool trace_glob_match(const char *pat, const char *str)
{
	const char *star_pat = NULL, *star_str = NULL;

	for (;;) {
		if (*pat == '*') {
			star_pat = ++pat;
			star_str = str;
		} else if (*str && (*pat == '?' || *pat == *str)) {
			pat++;
			str++;
		} else if (!*str && !*pat) {
			return true;
		} else if (star_pat && *star_str) {
			pat = star_pat;
			str = ++star_str;
		} else {
			return false;
		}
	}
}

/* Does one pattern of the comma list @list match @event? */
static bool filter_list_matches(const char *list, const char *event)
{
	char pat[TRACE_FILTER_MAX];

	while (*list) {
		const char *comma = strchr(list, ',');
		size_t n = comma ? (size_t)(comma - list) : strlen(list);

		memcpy(pat, list, n);
		pat[n] = '\0';
		if (trace_glob_match(pat, event))
			return true;
		list += n;
		if (*list == ',')
			list++;
	}
	return false;
}

static bool trace_event_wanted(const char *event)
{
	bool match;
	int i;

	if (__atomic_load_n(&filter_all, __ATOMIC_ACQUIRE))
		return true;
	for (;;) {
		i = __atomic_load_n(&filter_idx, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&filter_readers[i], 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&filter_idx, __ATOMIC_SEQ_CST) == i)
			break;
		__atomic_fetch_sub(&filter_readers[i], 1, __ATOMIC_SEQ_CST);
	}
	match = filter_list_matches(filters[i], event);
	__atomic_fetch_sub(&filter_readers[i], 1, __ATOMIC_SEQ_CST);
	return match;
}

static bool pattern_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '*' || c == '?' || c == ',';
}

int trace_set_filter(const char *patterns)
{
	size_t n = strlen(patterns), i;
	int next;

	if (n == 0 || n >= TRACE_FILTER_MAX || patterns[0] == ',' ||
	    patterns[n - 1] == ',')
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!pattern_char_ok(patterns[i]) ||
		    (patterns[i] == ',' && patterns[i + 1] == ','))
			return -EINVAL;
	mutex_lock(&trace_config_mutex);
	next = !filter_idx;
	/* Nobody may still read the buffer we are about to overwrite. */
	while (__atomic_load_n(&filter_readers[next], __ATOMIC_SEQ_CST))
		arch_cpu_relax();
	memcpy(filters[next], patterns, n + 1);
	__atomic_store_n(&filter_idx, next, __ATOMIC_SEQ_CST);
	__atomic_store_n(&filter_all, strcmp(patterns, "*") == 0, __ATOMIC_RELEASE);
	mutex_unlock(&trace_config_mutex);
	return 0;
}

void trace_get_filter(char *buf, size_t size)
{
	mutex_lock(&trace_config_mutex);
	scnprintf(buf, size, "%s", filters[filter_idx]);
	mutex_unlock(&trace_config_mutex);
}

/* --- recording --- */

/* Linux's latency columns: irqs-off, need-resched, hardirq, preempt-depth,
 * migrate-disable (Quire has no migrate_disable(): always '.'). Read
 * before the recorder masks interrupts, so they describe the caller. */
static void trace_context_flags(char *f)
{
	unsigned int pc = preempt_count();
	unsigned int depth = pc & PREEMPT_MASK;

	f[0] = arch_irqs_disabled() ? 'd' : '.';
	f[1] = current->need_resched ? 'N' : '.';
	f[2] = (pc & HARDIRQ_MASK) ? 'h' : '.';
	f[3] = depth ? "0123456789abcdef"[min(depth, 15U)] : '.';
	f[4] = '.';
	f[5] = '\0';
}

/* Make room for @len bytes at head, overwriting the oldest records.
 * Caller holds cb->lock; len <= cb->size. */
static void ring_reserve(struct trace_cpu_buffer *cb, u32 len)
{
	while (cb->head + len - cb->tail > cb->size) {
		struct trace_rec *old = (void *)(cb->buf + cb->tail % cb->size);

		cb->tail += old->len & ~TRACE_REC_PAD;
		if (!(old->len & TRACE_REC_PAD)) {
			cb->entries--;
			cb->lost++;
		}
	}
}

/* Return where a record of @len bytes goes, padding the ring's end if it
 * does not fit there. Caller holds cb->lock. */
static struct trace_rec *ring_alloc(struct trace_cpu_buffer *cb, u32 len)
{
	size_t off = cb->head % cb->size;
	struct trace_rec *rec;

	if (off + len > cb->size) {
		u32 pad = (u32)(cb->size - off);

		ring_reserve(cb, pad);
		rec = (void *)(cb->buf + off);
		rec->len = pad | TRACE_REC_PAD;
		cb->head += pad;
		off = 0;
	}
	ring_reserve(cb, len);
	rec = (void *)(cb->buf + off);
	cb->head += len;
	return rec;
}

static void trace_task(char *comm, int *pid)
{
	struct task_struct *t = current;

	if (!t || t->is_idle) {
		strscpy_len(comm, "<idle>", 16);
		*pid = 0;
		return;
	}
	memcpy(comm, t->comm, 15);
	comm[15] = '\0';
	*pid = t->pid;
}

void __trace_event(const char *event, const char *fmt, ...)
{
	char text[TRACE_TEXT_MAX], flags[6], comm[16];
	struct trace_cpu_buffer *cb;
	struct trace_rec *rec;
	unsigned long irqflags;
	int n, pid;
	u32 len;
	va_list ap;

	if (!trace_event_wanted(event))
		return;
	trace_context_flags(flags);
	trace_task(comm, &pid);
	va_start(ap, fmt);
	n = vscnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	len = ALIGN_UP((u32)(sizeof(*rec) + n + 1), 8U);

	irqflags = arch_local_irq_save();
	cb = &trace_bufs[smp_processor_id()];
	raw_spin_lock(&cb->lock);
	if (cb->size && len <= cb->size) {
		rec = ring_alloc(cb, len);
		rec->len = len;
		rec->pid = pid;
		rec->ts = arch_clock_ns(); /* TR3: under the lock */
		rec->event = event;
		memcpy(rec->comm, comm, sizeof(rec->comm));
		memcpy(rec->flags, flags, sizeof(rec->flags));
		memcpy(rec->text, text, n + 1);
		cb->entries++;
		cb->written++;
	}
	raw_spin_unlock(&cb->lock);
	arch_local_irq_restore(irqflags);
}

void trace_start(void)
{
	__atomic_store_n(&trace_on, 1, __ATOMIC_RELEASE);
}

void trace_stop(void)
{
	__atomic_store_n(&trace_on, 0, __ATOMIC_RELEASE);
}

static void ring_empty(struct trace_cpu_buffer *cb)
{
	cb->head = cb->tail = 0;
	cb->entries = cb->written = cb->lost = 0;
}

void trace_clear(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < num_possible_cpus(); cpu++) {
		struct trace_cpu_buffer *cb = &trace_bufs[cpu];
		unsigned long flags = arch_local_irq_save();

		raw_spin_lock(&cb->lock);
		ring_empty(cb);
		raw_spin_unlock(&cb->lock);
		arch_local_irq_restore(flags);
	}
}

/* --- sizing --- */

int trace_resize(unsigned long kb)
{
	unsigned int cpu, nr = num_possible_cpus();
	char *fresh[MAX_CPUS] = {NULL};
	int err = 0;

	if (kb < TRACE_SIZE_KB_MIN || kb > TRACE_SIZE_KB_MAX)
		return -EINVAL;
	for (cpu = 0; cpu < nr; cpu++) {
		fresh[cpu] = kmalloc_node(kb * 1024, GFP_KERNEL, cpu_to_node(cpu));
		if (!fresh[cpu])
			err = -ENOMEM;
	}
	mutex_lock(&trace_config_mutex);
	for (cpu = 0; cpu < nr && !err; cpu++) {
		struct trace_cpu_buffer *cb = &trace_bufs[cpu];
		unsigned long flags = arch_local_irq_save();
		char *old;

		raw_spin_lock(&cb->lock);
		old = cb->buf;
		cb->buf = fresh[cpu];
		cb->size = kb * 1024;
		ring_empty(cb);
		raw_spin_unlock(&cb->lock);
		arch_local_irq_restore(flags);
		fresh[cpu] = old; /* freed below, outside the lock */
	}
	if (!err)
		trace_cur_kb = trace_buffer_size_kb = kb;
	mutex_unlock(&trace_config_mutex);
	for (cpu = 0; cpu < nr; cpu++)
		kfree(fresh[cpu]);
	return err;
}

/* kernel.trace_buffer_size_kb: the sysctl writes the variable first; a
 * failed resize puts back the size the rings have. */
static void trace_size_written(const struct ctl_table *table, long old)
{
	unsigned long want = READ_ONCE(trace_buffer_size_kb);

	if (trace_resize(want)) {
		pr_warn("trace: cannot resize rings to %lu KiB, kept %lu\n", want,
			trace_cur_kb);
		WRITE_ONCE(trace_buffer_size_kb, trace_cur_kb);
	}
}

SYSCTL_ENTRY(trace_buffer_size_kb, .procname = "kernel.trace_buffer_size_kb",
	     .data = &trace_buffer_size_kb, .type = SYSCTL_ULONG,
	     .min = TRACE_SIZE_KB_MIN, .max = TRACE_SIZE_KB_MAX,
	     .after_write = trace_size_written);

void trace_get_stats(struct trace_stats *st)
{
	unsigned int cpu;

	memset(st, 0, sizeof(*st));
	st->nr_cpus = num_possible_cpus();
	st->size_kb = trace_cur_kb;
	for (cpu = 0; cpu < st->nr_cpus; cpu++) {
		struct trace_cpu_buffer *cb = &trace_bufs[cpu];
		unsigned long flags = arch_local_irq_save();

		raw_spin_lock(&cb->lock);
		st->entries += cb->entries;
		st->written += cb->written;
		st->lost += cb->lost;
		raw_spin_unlock(&cb->lock);
		arch_local_irq_restore(flags);
	}
}

static int trace_init(void)
{
	return trace_resize(trace_buffer_size_kb);
}
core_initcall(trace_init);

/* --- reading --- */

struct trace_cpu_copy {
	char *buf; /* [tail, head) of the ring, linear */
	size_t len, pos;
	struct trace_rec *next; /* the next unread record, or NULL */
};

static void copy_advance(struct trace_cpu_copy *c)
{
	c->next = NULL;
	while (c->pos < c->len) {
		struct trace_rec *r = (void *)(c->buf + c->pos);

		c->pos += r->len & ~TRACE_REC_PAD;
		if (!(r->len & TRACE_REC_PAD)) {
			c->next = r;
			return;
		}
	}
}

/* Copy one ring's [tail, head) in at most two pieces. */
static int copy_ring(struct trace_cpu_buffer *cb, struct trace_cpu_copy *c,
		     struct trace_stats *st)
{
	unsigned long flags;
	size_t want, off, first;

	/* The size can change only under trace_config_mutex (held). */
	c->buf = cb->size ? kmalloc(cb->size, GFP_KERNEL) : NULL;
	if (cb->size && !c->buf)
		return -ENOMEM;
	flags = arch_local_irq_save();
	raw_spin_lock(&cb->lock);
	want = cb->head - cb->tail;
	if (want) {
		off = cb->tail % cb->size;
		first = min(want, cb->size - off);
		memcpy(c->buf, cb->buf + off, first);
		memcpy(c->buf + first, cb->buf, want - first);
	}
	st->entries += cb->entries;
	st->written += cb->written;
	st->lost += cb->lost;
	raw_spin_unlock(&cb->lock);
	arch_local_irq_restore(flags);
	c->len = want;
	c->pos = 0;
	copy_advance(c);
	return 0;
}

int trace_iter_start(struct trace_iter *it)
{
	unsigned int cpu;
	int err = 0;

	memset(it, 0, sizeof(*it));
	it->nr_cpus = num_possible_cpus();
	it->copy = kcalloc(it->nr_cpus, sizeof(*it->copy), GFP_KERNEL);
	if (!it->copy)
		return -ENOMEM;
	mutex_lock(&trace_config_mutex);
	it->stats.nr_cpus = it->nr_cpus;
	it->stats.size_kb = trace_cur_kb;
	for (cpu = 0; cpu < it->nr_cpus && !err; cpu++)
		err = copy_ring(&trace_bufs[cpu], &it->copy[cpu], &it->stats);
	mutex_unlock(&trace_config_mutex);
	if (err)
		trace_iter_end(it);
	return err;
}

bool trace_iter_next(struct trace_iter *it, struct trace_line *l)
{
	struct trace_rec *best = NULL;
	unsigned int cpu, best_cpu = 0;

	for (cpu = 0; cpu < it->nr_cpus; cpu++) {
		struct trace_rec *r = it->copy[cpu].next;

		if (r && (!best || r->ts < best->ts)) {
			best = r;
			best_cpu = cpu;
		}
	}
	if (!best)
		return false;
	l->ts = best->ts;
	l->pid = best->pid;
	l->cpu = best_cpu;
	memcpy(l->comm, best->comm, sizeof(l->comm));
	memcpy(l->flags, best->flags, sizeof(l->flags));
	l->event = best->event;
	l->text = best->text; /* valid until trace_iter_end() */
	copy_advance(&it->copy[best_cpu]);
	return true;
}

void trace_iter_end(struct trace_iter *it)
{
	unsigned int cpu;

	if (!it->copy)
		return;
	for (cpu = 0; cpu < it->nr_cpus; cpu++)
		kfree(it->copy[cpu].buf);
	kfree(it->copy);
	it->copy = NULL;
}

int trace_format_line(char *buf, size_t size, const struct trace_line *l)
{
	/* Linux's ns2usecs(): to the nearest microsecond (ts < 2^64 - 500:
	 * 584 years of uptime). */
	u64 us = (l->ts + 500) / 1000;
	unsigned long secs = (unsigned long)(us / 1000000);
	unsigned long usecs = (unsigned long)(us % 1000000);

	/* Linux 6.x trace_print_context(): "%16s-%-7d [%03d] " + lat flags
	 * + " %5lu.%06lu: " (trace_print_time()), then "event: fields". */
	return scnprintf(buf, size, "%16s-%-7d [%03u] %s %5lu.%06lu: %s: %s", l->comm,
			 l->pid, l->cpu, l->flags, secs, usecs, l->event, l->text);
}

/* The header of Linux 6.x's trace file, after the entries line. */
static const char *const trace_legend[] = {
	"#",
	"#                                _-----=> irqs-off/BH-disabled",
	"#                               / _----=> need-resched",
	"#                              | / _---=> hardirq/softirq",
	"#                              || / _--=> preempt-depth",
	"#                              ||| / _-=> migrate-disable",
	"#                              |||| /     delay",
	"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
	"#              | |         |   |||||     |         |",
};

/* The shell printed records into TRACE_TEXT_MAX + 96 bytes: still fits. */
_Static_assert(TRACE_TEXT_MAX + 96 <= TRACE_LINE_MAX, "a trace line is cut");

struct trace_text {
	struct trace_iter it;
	unsigned int line; /* header lines handed out */
};

struct trace_text *trace_text_open(void)
{
	struct trace_text *tt = kzalloc(sizeof(*tt), GFP_KERNEL);

	if (!tt)
		return NULL;
	if (trace_iter_start(&tt->it)) {
		kfree(tt);
		return NULL;
	}
	return tt;
}

size_t trace_text_read(struct trace_text *tt, char *buf, size_t size)
{
	const struct trace_stats *st = &tt->it.stats;
	struct trace_line l;
	size_t n;

	if (size < 2)
		return 0;
	size--; /* room for the newline */
	if (tt->line == 0)
		n = scnprintf(buf, size, "# tracer: nop");
	else if (tt->line == 1)
		n = scnprintf(buf, size, "#");
	else if (tt->line == 2)
		n = scnprintf(buf, size,
			      "# entries-in-buffer/entries-written: %lu/%lu   #P:%u",
			      st->entries, st->written, st->nr_cpus);
	else if (tt->line < 3 + ARRAY_SIZE(trace_legend))
		n = scnprintf(buf, size, "%s", trace_legend[tt->line - 3]);
	else if (trace_iter_next(&tt->it, &l))
		n = trace_format_line(buf, size, &l);
	else
		return 0;
	if (tt->line < 3 + ARRAY_SIZE(trace_legend))
		tt->line++;
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

void trace_text_close(struct trace_text *tt)
{
	if (!tt)
		return;
	trace_iter_end(&tt->it);
	kfree(tt);
}

void trace_print(void)
{
	struct trace_text *tt = trace_text_open();
	char line[TRACE_LINE_MAX];

	if (!tt) {
		cprintf("trace: no memory to copy the buffer\n");
		return;
	}
	while (trace_text_read(tt, line, sizeof(line)))
		cprintf("%s", line);
	trace_text_close(tt);
}

/* --- the shell command --- */

static int trace_cmd_size(int argc, char **argv)
{
	struct trace_stats st;
	unsigned long long kb;
	int err;

	if (argc == 3) {
		if (kstrtoull(argv[2], 10, &kb) || kb < TRACE_SIZE_KB_MIN ||
		    kb > TRACE_SIZE_KB_MAX) {
			shell_error("trace",
				    "size: '%s' is not a number of KiB in %u..%u",
				    argv[2], TRACE_SIZE_KB_MIN, TRACE_SIZE_KB_MAX);
			return -EINVAL;
		}
		err = trace_resize((unsigned long)kb);
		if (err) {
			shell_error("trace", "size: cannot allocate %llu KiB per CPU",
				    kb);
			return err;
		}
	}
	trace_get_stats(&st);
	cprintf("buffer_size_kb %lu per CPU, %u CPUs; entries %lu, written %lu, lost %lu; %s\n",
		st.size_kb, st.nr_cpus, st.entries, st.written, st.lost,
		trace_enabled() ? "on" : "off");
	return 0;
}

static int trace_cmd_events(int argc, char **argv)
{
	char cur[TRACE_FILTER_MAX];

	if (argc == 3 && trace_set_filter(argv[2])) {
		shell_error("trace",
			    "events: bad pattern list '%s' (want NAME[,NAME], globs * ?)",
			    argv[2]);
		return -EINVAL;
	}
	trace_get_filter(cur, sizeof(cur));
	cprintf("events %s\n", cur);
	return 0;
}

/* `trace mark TEXT`: Linux's trace_marker, recorded as tracing_mark_write. */
static int trace_cmd_mark(int argc, char **argv)
{
	char text[TRACE_TEXT_MAX];
	size_t n = 0;
	int i;

	for (i = 2; i < argc; i++)
		n += scnprintf(text + n, sizeof(text) - n, "%s%s", i > 2 ? " " : "",
			       argv[i]);
	text[n] = '\0';
	trace_event("tracing_mark_write", "%s", text);
	return 0;
}

int trace_command(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "show";

	if (strcmp(sub, "show") == 0 && argc <= 2) {
		trace_print();
		return 0;
	}
	if (strcmp(sub, "start") == 0 && argc == 2) {
		trace_start();
		return 0;
	}
	if (strcmp(sub, "stop") == 0 && argc == 2) {
		trace_stop();
		return 0;
	}
	if (strcmp(sub, "clear") == 0 && argc == 2) {
		trace_clear();
		return 0;
	}
	if (strcmp(sub, "size") == 0 && argc <= 3)
		return trace_cmd_size(argc, argv);
	if (strcmp(sub, "events") == 0 && argc <= 3)
		return trace_cmd_events(argc, argv);
	if (strcmp(sub, "mark") == 0)
		return trace_cmd_mark(argc, argv);
	shell_error(
		"trace",
		"usage: trace [show|start|stop|clear|size [KB]|events [PAT,...]|mark TEXT]");
	return -EINVAL;
}

SHELL_COMMAND(trace, "trace",
	      "trace [show|start|stop|clear|size [KB]|events PAT[,PAT]|mark TEXT]",
	      "trace events: record, filter, print in Linux's trace format",
	      trace_command);
