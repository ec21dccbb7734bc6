/*
 * kernel/trace_test.c - the `trace` suite: the ring buffers, Linux's line
 * format, filters, the context flags, the merge across CPUs, and writers
 * on every CPU racing a reader.
 *
 * Each case starts with tracing off, the rings empty and every event
 * wanted, and leaves them so (suite init/exit): it owns the buffer while
 * it runs.
 */
#include <quire/ktest.h>
#include <quire/trace.h>
#include <quire/sysctl.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/sched.h>
#include <quire/smp.h>
#include <quire/kthread.h>
#include <quire/slab.h>
#include <arch/irq.h>
#include "trace_internal.h"

/* Every case records only the suite's own "test_*" events unless it sets
 * another filter: the kernel's own events (a test disk's writeback, a
 * timer's work on another CPU) would otherwise enter the exact counts
 * (kernel-smp4: 8 events where 3 IPIs were sent). */
static int trace_test_init(struct ktest *t)
{
	trace_stop();
	trace_clear();
	return trace_set_filter("test_*");
}

static void trace_test_exit(struct ktest *t)
{
	trace_stop();
	trace_set_filter("*");
	trace_resize(TRACE_SIZE_KB_DEFAULT);
	trace_clear();
}

/* Records now in the buffer, merged, into @lines (at most @max); returns
 * how many there were in all. Texts are copied into @texts[i]. */
struct seen {
	unsigned int n;
	struct trace_line line[64];
	char text[64][48];
	char event[64][32];
};

static unsigned int collect(struct ktest *t, struct seen *s)
{
	struct trace_iter it;
	struct trace_line l;
	unsigned int total = 0;

	memset(s, 0, sizeof(*s));
	KTEST_ASSERT_EQ(t, trace_iter_start(&it), 0);
	while (trace_iter_next(&it, &l)) {
		if (s->n < ARRAY_SIZE(s->line)) {
			s->line[s->n] = l;
			scnprintf(s->text[s->n], sizeof(s->text[0]), "%s", l.text);
			scnprintf(s->event[s->n], sizeof(s->event[0]), "%s", l.event);
			s->line[s->n].text = s->text[s->n];
			s->line[s->n].event = s->event[s->n];
			s->n++;
		}
		total++;
	}
	trace_iter_end(&it);
	return total;
}

static void trace_line_format_is_linux_tracefs(struct ktest *t)
{
	static const struct {
		struct trace_line l;
		const char *want;
	} cases[] = {
		{{.ts = 14437511123ULL,
		  .pid = 130,
		  .cpu = 0,
		  .comm = "dd",
		  .flags = "d..1.",
		  .event = "writeback_dirty_folio",
		  .text = "bdi 254:0: ino=266338304 index=56326"},
		 "              dd-130     [000] d..1.    14.437511: "
		 "writeback_dirty_folio: bdi 254:0: ino=266338304 index=56326"},
		{{.ts = 15774026000ULL,
		  .pid = 30,
		  .cpu = 12,
		  .comm = "kworker/u4:1",
		  .flags = ".....",
		  .event = "writeback_pages_written",
		  .text = "7935"},
		 "    kworker/u4:1-30      [012] .....    15.774026: "
		 "writeback_pages_written: 7935"},
	};
	char buf[256];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		trace_format_line(buf, sizeof(buf), &cases[i].l);
		KTEST_EXPECT_EQ(t, strcmp(buf, cases[i].want), 0);
	}
}

/* Linux's trace_print_time() prints ns2usecs(ts): rounded to the nearest
 * microsecond, carrying into the seconds. */
static void trace_timestamp_rounds_to_nearest_usec(struct ktest *t)
{
	static const struct {
		u64 ts;
		const char *want;
	} cases[] = {
		{14437511499ULL, "   14.437511"},
		{14437511500ULL, "   14.437512"},
		{1999999500ULL, "    2.000000"},
		{1999999499ULL, "    1.999999"},
		{0, "    0.000000"},
		{499, "    0.000000"},
		{500, "    0.000001"},
	};
	struct trace_line l = {.comm = "x", .flags = ".....", .event = "e", .text = ""};
	char buf[128], want[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		l.ts = cases[i].ts;
		trace_format_line(buf, sizeof(buf), &l);
		scnprintf(want, sizeof(want),
			  "               x-0       [000] ..... %s: e: ", cases[i].want);
		if (strcmp(buf, want))
			ktest_fail(t, __FILE__, __LINE__, "ts %llu: got '%s', want '%s'",
				   (unsigned long long)cases[i].ts, buf, want);
	}
}

static void trace_records_events_in_order_with_task(struct ktest *t)
{
	struct seen *s = kzalloc(sizeof(*s), GFP_KERNEL);
	unsigned int i;

	KTEST_ASSERT_NOT_NULL(t, s);
	trace_event("test_before_start", "x=%d", 0); /* off: not recorded */
	trace_start();
	for (i = 0; i < 3; i++)
		trace_event("test_event", "seq=%u name=%s", i, "abc");
	trace_stop();
	trace_event("test_after_stop", "x=%d", 0);
	KTEST_EXPECT_EQ(t, collect(t, s), 3);
	for (i = 0; i < s->n; i++) {
		char want[48];

		scnprintf(want, sizeof(want), "seq=%u name=abc", i);
		KTEST_EXPECT_EQ(t, strcmp(s->text[i], want), 0);
		KTEST_EXPECT_EQ(t, strcmp(s->event[i], "test_event"), 0);
		KTEST_EXPECT_EQ(t, s->line[i].pid, current->pid);
		KTEST_EXPECT_EQ(t, strncmp(s->line[i].comm, current->comm, 15), 0);
		if (i)
			KTEST_EXPECT_GE(t, s->line[i].ts, s->line[i - 1].ts);
	}
	kfree(s);
}

/* A 4 KiB ring on one CPU, 300 events: the newest survive, in order, and
 * every overwritten one is counted as lost (TR2). */
static void overwrite_body(struct ktest *t)
{
	struct seen *s = kzalloc(sizeof(*s), GFP_KERNEL);
	struct trace_stats st;
	unsigned int i, total, first;

	KTEST_ASSERT_NOT_NULL(t, s);
	trace_start();
	for (i = 0; i < 300; i++)
		trace_event("test_fill", "seq=%03u", i);
	trace_stop();
	trace_get_stats(&st);
	KTEST_EXPECT_EQ(t, st.written, 300);
	KTEST_EXPECT_EQ(t, st.entries + st.lost, 300);
	KTEST_EXPECT_GT(t, st.lost, 0);
	KTEST_EXPECT_GT(t, st.entries, 10);
	total = collect(t, s);
	KTEST_EXPECT_EQ(t, total, st.entries);
	first = 300 - total;
	for (i = 0; i < s->n; i++) {
		char want[16];

		scnprintf(want, sizeof(want), "seq=%03u", first + i);
		KTEST_EXPECT_EQ(t, strcmp(s->text[i], want), 0);
	}
	kfree(s);
}

static void full_ring_overwrites_oldest_and_counts_lost(struct ktest *t)
{
	KTEST_ASSERT_EQ(t, trace_resize(TRACE_SIZE_KB_MIN), 0);
	ktest_on_cpu(t, 0, overwrite_body);
}

static void glob_matches_like_the_shell(struct ktest *t)
{
	KTEST_EXPECT_TRUE(t, trace_glob_match("writeback_*", "writeback_start"));
	KTEST_EXPECT_TRUE(t, trace_glob_match("*", ""));
	KTEST_EXPECT_TRUE(t, trace_glob_match("*_dirty_*", "global_dirty_state"));
	KTEST_EXPECT_TRUE(t,
			  trace_glob_match("mm_vmscan_throttle?", "mm_vmscan_throttled"));
	KTEST_EXPECT_TRUE(t,
			  trace_glob_match("balance_dirty_pages", "balance_dirty_pages"));
	KTEST_EXPECT_FALSE(t, trace_glob_match("writeback_*", "global_dirty_state"));
	KTEST_EXPECT_FALSE(
		t, trace_glob_match("balance_dirty_pages", "balance_dirty_pages2"));
	KTEST_EXPECT_FALSE(t, trace_glob_match("a?", "a"));
	KTEST_EXPECT_FALSE(t, trace_glob_match("*x", "abc"));
}

/* `trace events` patterns are a shell argument, matched against every
 * event recorded: "*a" repeated must not backtrack exponentially (the
 * recursive matcher took C(64, 20) steps here: it never finished). */
static void glob_with_many_stars_takes_linear_steps(struct ktest *t)
{
	char pat[64], str[72];
	unsigned int i;

	for (i = 0; i < 20; i++) {
		pat[2 * i] = '*';
		pat[2 * i + 1] = 'a';
	}
	pat[40] = 'b';
	pat[41] = '\0';
	memset(str, 'a', 64);
	str[64] = '\0';
	KTEST_EXPECT_FALSE(t, trace_glob_match(pat, str));
	str[63] = 'b';
	KTEST_EXPECT_TRUE(t, trace_glob_match(pat, str));
	KTEST_EXPECT_TRUE(t, trace_glob_match("*?*?*?*", "abc"));
	KTEST_EXPECT_FALSE(t, trace_glob_match("*?*?*?*?*", "abc"));
	KTEST_EXPECT_TRUE(t, trace_glob_match("a*", "a"));
	KTEST_EXPECT_TRUE(t, trace_glob_match("a*b*c", "axxbyyc"));
	KTEST_EXPECT_FALSE(t, trace_glob_match("a*b*c", "axxbyycd"));
	KTEST_EXPECT_TRUE(t, trace_glob_match("*b*b", "abbab"));
}

/* A glob and an exact name; the names are the suite's own (test_*): a
 * filter of real ones ("writeback_*") would also record the flusher's
 * events from another CPU between trace_start() and trace_stop(). */
static void event_filter_records_only_matching_events(struct ktest *t)
{
	struct seen *s = kzalloc(sizeof(*s), GFP_KERNEL);
	char cur[TRACE_FILTER_MAX];

	KTEST_ASSERT_NOT_NULL(t, s);
	KTEST_ASSERT_EQ(t, trace_set_filter("test_wb_*,test_throttled"), 0);
	trace_get_filter(cur, sizeof(cur));
	KTEST_EXPECT_EQ(t, strcmp(cur, "test_wb_*,test_throttled"), 0);
	trace_start();
	trace_event("test_wb_start", "a=%d", 1);
	trace_event("test_balance", "a=%d", 2);
	trace_event("test_throttled", "a=%d", 3);
	trace_event("test_throttled_not", "a=%d", 4);
	trace_stop();
	KTEST_EXPECT_EQ(t, collect(t, s), 2);
	KTEST_EXPECT_EQ(t, strcmp(s->event[0], "test_wb_start"), 0);
	KTEST_EXPECT_EQ(t, strcmp(s->event[1], "test_throttled"), 0);
	kfree(s);
}

static int run_trace_cmd(const char *line)
{
	return ktest_run_command(trace_command, line);
}

static void bad_filter_patterns_are_rejected(struct ktest *t)
{
	static const char *const bad[] = {"", ",a", "a,", "a,,b", "a b", "a/b", "a;b"};
	char cur[TRACE_FILTER_MAX];
	unsigned int i;

	KTEST_ASSERT_EQ(t, trace_set_filter("writeback_*"), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KTEST_EXPECT_EQ(t, trace_set_filter(bad[i]), -EINVAL);
	trace_get_filter(cur, sizeof(cur));
	KTEST_EXPECT_EQ(t, strcmp(cur, "writeback_*"), 0); /* unchanged */
	KTEST_EXPECT_EQ(t, run_trace_cmd("trace events a//b"), -EINVAL);
	KTEST_EXPECT_EQ(t, run_trace_cmd("trace size 3"), -EINVAL);
	KTEST_EXPECT_EQ(t, run_trace_cmd("trace size lots"), -EINVAL);
	KTEST_EXPECT_EQ(t, run_trace_cmd("trace frobnicate"), -EINVAL);
	KTEST_EXPECT_EQ(t, run_trace_cmd("trace start now"), -EINVAL);
	KTEST_EXPECT_EQ(t, run_trace_cmd("trace events"), 0);
}

/* The latency columns describe the caller: irqs off 'd', hard interrupt
 * 'h', preempt depth as a digit. */
static void flags_body(struct ktest *t)
{
	struct seen *s = kzalloc(sizeof(*s), GFP_KERNEL);
	unsigned long flags;

	KTEST_ASSERT_NOT_NULL(t, s);
	trace_start();
	trace_event("test_plain", "%d", 0);
	flags = arch_local_irq_save();
	trace_event("test_irqs_off", "%d", 1);
	irq_enter();
	trace_event("test_hardirq", "%d", 2);
	irq_exit();
	arch_local_irq_restore(flags);
	preempt_disable();
	preempt_disable();
	trace_event("test_preempt2", "%d", 3);
	preempt_enable();
	preempt_enable();
	trace_stop();
	KTEST_ASSERT_EQ(t, collect(t, s), 4);
	KTEST_EXPECT_EQ(t, s->line[0].flags[0], '.');
	KTEST_EXPECT_EQ(t, s->line[0].flags[2], '.');
	KTEST_EXPECT_EQ(t, s->line[1].flags[0], 'd');
	KTEST_EXPECT_EQ(t, s->line[1].flags[2], '.');
	KTEST_EXPECT_EQ(t, s->line[2].flags[0], 'd');
	KTEST_EXPECT_EQ(t, s->line[2].flags[2], 'h');
	KTEST_EXPECT_EQ(t, s->line[3].flags[0], '.');
	KTEST_EXPECT_EQ(t, s->line[3].flags[3], '2');
	KTEST_EXPECT_EQ(t, s->line[3].flags[4], '.');
	kfree(s);
}

static void flags_show_irqs_off_hardirq_and_preempt_depth(struct ktest *t)
{
	ktest_on_cpu(t, 0, flags_body);
}

static void record_from_ipi(void *info)
{
	trace_event("test_ipi", "from=%u", *(unsigned int *)info);
}

/* Real interrupts: a cross-CPU call records on each other CPU, in hard
 * interrupt context there. */
static void events_from_interrupts_on_other_cpus(struct ktest *t)
{
	struct seen *s = kzalloc(sizeof(*s), GFP_KERNEL);
	unsigned int me, i, others = num_online_cpus() - 1;
	struct cpumask all = cpu_online_mask;

	KTEST_ASSERT_NOT_NULL(t, s);
	me = get_cpu();
	put_cpu();
	trace_start();
	smp_call_function_many(&all, record_from_ipi, &me, true);
	trace_stop();
	KTEST_EXPECT_EQ(t, collect(t, s), others);
	for (i = 0; i < s->n; i++) {
		KTEST_EXPECT_EQ(t, strcmp(s->event[i], "test_ipi"), 0);
		KTEST_EXPECT_EQ(t, s->line[i].flags[2], 'h');
	}
	kfree(s);
}

static unsigned int merge_seq;

static void emit_seq(struct ktest *t)
{
	trace_event("test_merge", "seq=%u", merge_seq++);
}

/* Events written on alternating CPUs come out in time order, each with
 * the CPU it was written on. */
static void merged_across_cpus_by_time(struct ktest *t)
{
	struct seen *s = kzalloc(sizeof(*s), GFP_KERNEL);
	unsigned int cpu, round, i;

	KTEST_ASSERT_NOT_NULL(t, s);
	merge_seq = 0;
	trace_start();
	for (round = 0; round < 4; round++)
		for_each_online_cpu(cpu)
			ktest_on_cpu(t, cpu, emit_seq);
	trace_stop();
	KTEST_EXPECT_EQ(t, collect(t, s), merge_seq);
	for (i = 0; i < s->n; i++) {
		char want[16];

		scnprintf(want, sizeof(want), "seq=%u", i);
		KTEST_EXPECT_EQ(t, strcmp(s->text[i], want), 0);
		KTEST_EXPECT_EQ(t, s->line[i].cpu, i % num_online_cpus());
	}
	kfree(s);
}

#define RACE_EVENTS 3000

static unsigned int race_done;

static int race_writer(void *data)
{
	unsigned int i;

	for (i = 0; i < RACE_EVENTS; i++) {
		trace_event("test_race", "cpu=%u i=%u", raw_smp_processor_id(), i);
		if (i % 256 == 0)
			cond_resched();
	}
	__atomic_fetch_add(&race_done, 1, __ATOMIC_SEQ_CST);
	while (!kthread_should_stop())
		schedule_timeout_uninterruptible(1);
	return 0;
}

/* Writers on every CPU fill small rings while this thread reads them:
 * nothing is torn (each record's text parses), counts add up (TR2). */
static void writers_on_every_cpu_race_a_reader(struct ktest *t)
{
	struct task_struct *w[MAX_CPUS];
	unsigned int cpu, n = 0, reads;
	struct trace_stats st;

	KTEST_ASSERT_EQ(t, trace_resize(8), 0);
	/* only this case's events: the system's own (block I/O of a test
	 * disk's writeback, a file system's periodic checkpoint) would add
	 * to the counts (seed 2 saw 12002 written for 12000) */
	KTEST_ASSERT_EQ(t, trace_set_filter("test_race"), 0);
	race_done = 0;
	trace_start();
	for_each_online_cpu(cpu) {
		w[n] = kthread_create(race_writer, NULL, "trace_race/%u", cpu);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, w[n]);
		kthread_bind(w[n], cpu);
		wake_up_process(w[n++]);
	}
	/* Read until every writer is done (at least 20 times). */
	for (reads = 0; reads < 20 || __atomic_load_n(&race_done, __ATOMIC_SEQ_CST) < n;
	     reads++) {
		struct trace_iter it;
		struct trace_line l;

		KTEST_ASSERT_EQ(t, trace_iter_start(&it), 0);
		while (trace_iter_next(&it, &l))
			if (strcmp(l.event, "test_race") || strncmp(l.text, "cpu=", 4))
				KTEST_EXPECT_TRUE(t, false);
		trace_iter_end(&it);
		cond_resched();
	}
	for (cpu = 0; cpu < n; cpu++)
		kthread_stop(w[cpu]);
	trace_stop();
	trace_get_stats(&st);
	KTEST_EXPECT_EQ(t, st.written, (unsigned long)n * RACE_EVENTS);
	KTEST_EXPECT_EQ(t, st.entries + st.lost, st.written);
}

/* trace_text_*() (the reader of `trace show` and HTTP's /trace): the
 * Linux header with the counts, then each record as trace_format_line()
 * prints it, newline-ended; a short buffer cuts a line but keeps its
 * newline; the end reads as 0. */
static void text_reader_gives_header_then_records(struct ktest *t)
{
	static const char entries[] = "# entries-in-buffer/entries-written: 2/2   #P:";
	char line[TRACE_LINE_MAX], want[TRACE_LINE_MAX], small[8];
	struct trace_text *tt;
	struct seen *s = kzalloc(sizeof(*s), GFP_KERNEL);
	unsigned int header = 0, records = 0;
	size_t n;

	KTEST_ASSERT_TRUE(t, s != NULL);
	trace_start();
	trace_event("test_text", "one=%d", 1);
	trace_event("test_text", "two=%d", 2);
	trace_stop();
	KTEST_ASSERT_EQ(t, collect(t, s), 2);
	tt = trace_text_open();
	KTEST_ASSERT_TRUE(t, tt != NULL);
	while ((n = trace_text_read(tt, line, sizeof(line)))) {
		KTEST_EXPECT_EQ(t, line[n - 1], '\n');
		KTEST_EXPECT_EQ(t, strlen(line), n);
		if (line[0] == '#') {
			KTEST_EXPECT_EQ(t, records, 0); /* the header comes first */
			if (header == 0)
				KTEST_EXPECT_EQ(t, strcmp(line, "# tracer: nop\n"), 0);
			if (header == 2)
				KTEST_EXPECT_EQ(
					t, strncmp(line, entries, strlen(entries)), 0);
			header++;
			continue;
		}
		KTEST_ASSERT_TRUE(t, records < 2);
		n = trace_format_line(want, sizeof(want), &s->line[records]);
		want[n++] = '\n';
		want[n] = '\0';
		KTEST_EXPECT_EQ(t, strcmp(line, want), 0);
		records++;
	}
	KTEST_EXPECT_EQ(t, header, 12);
	KTEST_EXPECT_EQ(t, records, 2);
	KTEST_EXPECT_EQ(t, trace_text_read(tt, line, sizeof(line)), 0);
	trace_text_close(tt);

	tt = trace_text_open();
	KTEST_ASSERT_TRUE(t, tt != NULL);
	KTEST_EXPECT_EQ(t, trace_text_read(tt, small, 1), 0);
	KTEST_EXPECT_EQ(t, trace_text_read(tt, small, sizeof(small)), 7);
	KTEST_EXPECT_EQ(t, strcmp(small, "# trac\n"), 0);
	trace_text_close(tt);
	kfree(s);
}

static void buffer_size_tunable_resizes_rings(struct ktest *t)
{
	struct trace_stats st;
	long v;

	KTEST_ASSERT_EQ(t, sysctl_set("kernel.trace_buffer_size_kb", "16"), 0);
	KTEST_EXPECT_EQ(t, sysctl_get("kernel.trace_buffer_size_kb", &v), 0);
	KTEST_EXPECT_EQ(t, v, 16);
	trace_get_stats(&st);
	KTEST_EXPECT_EQ(t, st.size_kb, 16);
	KTEST_EXPECT_EQ(t, sysctl_set("kernel.trace_buffer_size_kb", "5000"), -EINVAL);
	trace_get_stats(&st);
	KTEST_EXPECT_EQ(t, st.size_kb, 16);
	KTEST_ASSERT_EQ(t, sysctl_set("kernel.trace_buffer_size_kb", "512"), 0);
}

static const struct ktest_case trace_cases[] = {
	KTEST_CASE(trace_line_format_is_linux_tracefs),
	KTEST_CASE(trace_timestamp_rounds_to_nearest_usec),
	KTEST_CASE(trace_records_events_in_order_with_task),
	KTEST_CASE(full_ring_overwrites_oldest_and_counts_lost),
	KTEST_CASE(glob_matches_like_the_shell),
	KTEST_CASE(glob_with_many_stars_takes_linear_steps),
	KTEST_CASE(event_filter_records_only_matching_events),
	KTEST_CASE(bad_filter_patterns_are_rejected),
	KTEST_CASE(flags_show_irqs_off_hardirq_and_preempt_depth),
	KTEST_CASE(events_from_interrupts_on_other_cpus),
	KTEST_CASE(merged_across_cpus_by_time),
	KTEST_CASE(writers_on_every_cpu_race_a_reader),
	KTEST_CASE(buffer_size_tunable_resizes_rings),
	KTEST_CASE(text_reader_gives_header_then_records),
	KTEST_END,
};

static const struct ktest_suite trace_suite = {
	.name = "trace",
	.init = trace_test_init,
	.exit = trace_test_exit,
	.cases = trace_cases,
};
KTEST_SUITE(trace_suite);
