/*
 * kernel/schedbench.c - scheduler benchmarks: context switch, wake-up latency.
 *
 * Layer: kernel. Provides: the shell command `bench` (subcommands ctxsw and
 * wakeup, each printing "bench: METRIC VALUE UNIT" lines) and the KTAP
 * suite "schedbench", which runs the same code with a few rounds and checks
 * that every round was counted where it should have run.
 * Used by: tools/bench (make bench), which puts these figures next to the
 * same measurement of Linux threads (tools/futexbench.c, same method).
 * Method and figures: docs/bench.md.
 *
 *  ctxsw   two kthreads bound to one CPU hand the CPU to each other with
 *          completions (complete() the other, wait_for_completion() for
 *          it): every hand-off is one switch. ns per switch = elapsed of
 *          the measured rounds / (2 * rounds).
 *  wakeup  a waker kthread on CPU 0, a sleeper on CPU 1. Per round, the
 *          waker waits until the sleeper is armed and off its CPU, spins a
 *          pseudo-random 20..100 us more, reads arch_clock_ns() and calls
 *          complete(); the sleeper reads arch_clock_ns() as soon as
 *          wait_for_completion() returns. Latency = the difference; median
 *          and p99 over the measured rounds.
 *
 * Both run warm-up rounds first (a tenth, at most WARMUP_MAX) that are not
 * measured. Timing uses no timers in the hot path: the waits are plain
 * wait_for_completion(), as futex waits without a timeout on Linux.
 *
 * Locking: the completions order everything. Each field of a bench is
 * written by one thread (named beside it) and read by the shell only after
 * both threads completed ->finished. ->armed and ->abort are atomics.
 */
#include <quire/completion.h>
#include <quire/errno.h>
#include <quire/jiffies.h>
#include <quire/ktest.h>
#include <quire/kthread.h>
#include <quire/printk.h>
#include <quire/sched.h>
#include <quire/shell.h>
#include <quire/slab.h>
#include <quire/smp.h>
#include <quire/string.h>
#include <arch/time.h>

#define CTXSW_ROUNDS	10000		/* default; 20000 switches, < 1 s under TCG */
#define WAKEUP_ROUNDS	1000		/* default; ~0.1 s of pauses + latencies */
#define ROUNDS_MAX	400000		/* each per-round array fits a 4 MiB block */
#define WARMUP_MAX	1000		/* unmeasured rounds, at most */
#define PAUSE_MIN_NS	20000		/* waker's pause before a wake-up: */
#define PAUSE_SPAN_NS	80000		/*   20..100 us, pseudo-random */
#define SETTLE_NS	(5ULL * 1000000000)	/* sleeper must be asleep within 5 s */
#define FINISH_MS	60000		/* shell waits this long for a bench, */
#define FINISH_MS_ROUND	1		/*   plus this per round */
#define WAKER_CPU	0
#define SLEEPER_CPU	1

static unsigned long warmup_rounds(unsigned long rounds)
{
	return min(rounds / 10, (unsigned long)WARMUP_MAX);
}

/* Voluntary + involuntary switches of the caller so far. */
static unsigned long my_switches(void)
{
	struct task_struct *p = current;

	return p->nvcsw + p->nivcsw;
}

/* A kthread's last act: wait for kthread_stop(), as Linux threads do. */
static void wait_for_stop(void)
{
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
}

/* --- ctxsw: ping-pong on one CPU --- */

/* One of the two threads; its fields are written by that thread only. */
struct ctxsw_side {
	struct ctxsw_bench *b;
	int me;				/* 0: "ping", starts; 1: "pong" */
	struct completion go;		/* this thread may run */
	unsigned long done;		/* rounds it went through */
	unsigned long switches;		/* its switches meanwhile */
	unsigned long wrong_cpu;	/* rounds not on b->cpu */
};

struct ctxsw_bench {
	unsigned int cpu;		/* both threads are bound here */
	unsigned long warmup, rounds;	/* rounds measured after warmup */
	struct ctxsw_side side[2];
	struct completion finished;	/* each thread completes it once */
	u64 elapsed_ns;			/* side 0: the measured rounds */
};

static int ctxsw_thread(void *data)
{
	struct ctxsw_side *me = data;
	struct ctxsw_bench *b = me->b;
	struct ctxsw_side *other = &b->side[!me->me];
	unsigned long i, total = b->warmup + b->rounds, sw = my_switches();
	u64 t0 = 0;

	for (i = 0; i < total; i++) {
		if (me->me == 0 && i == b->warmup)
			t0 = arch_clock_ns();
		if (me->me == 0)
			complete(&other->go);
		wait_for_completion(&me->go);
		if (me->me == 1)
			complete(&other->go);
		me->wrong_cpu += raw_smp_processor_id() != b->cpu;
		me->done++;
	}
	if (me->me == 0)
		b->elapsed_ns = arch_clock_ns() - t0;
	me->switches = my_switches() - sw;
	complete(&b->finished);
	wait_for_stop();
	return 0;
}

/* --- wakeup: waker on one CPU, sleeper on another --- */

struct wakeup_bench {
	unsigned int waker_cpu, sleeper_cpu;
	unsigned long warmup, rounds;	/* rounds measured after warmup */
	struct task_struct *sleeper;
	struct completion wake;		/* the timed complete() */
	struct completion finished;	/* each thread completes it once */
	unsigned long armed;		/* sleeper: rounds it began waiting for */
	bool abort;			/* waker: gave up, sleeper must end */
	u64 seed;			/* waker: pause generator state */
	u64 *t_wake;			/* waker: clock just before complete() */
	u64 *lat;			/* sleeper: clock after the wait - t_wake */
	unsigned long done;		/* sleeper: rounds it was woken for */
	unsigned long slept;		/* sleeper: rounds it really switched out */
	unsigned long slept_measured;	/* sleeper: the same, warm-up left out */
	unsigned long wrong_cpu;	/* sleeper: rounds not on sleeper_cpu */
	unsigned long backwards;	/* sleeper: rounds with clock < t_wake */
	unsigned long waker_wrong_cpu;	/* waker: rounds not on waker_cpu */
	int err;			/* waker: 0 or -ETIMEDOUT */
};

/* xorshift64: the same pause sequence on every platform (futexbench too). */
static u64 next_pause_ns(u64 *state)
{
	u64 x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return PAUSE_MIN_NS + x % PAUSE_SPAN_NS;
}

static void spin_ns(u64 ns)
{
	u64 end = arch_clock_ns() + ns;

	while (arch_clock_ns() < end)
		arch_cpu_relax();
}

/* Has @p switched out (SCHED2) and left the run queue (SCHED1)? on_rq is read
 * only after on_cpu == 0 was seen (acquire): its last write came before. */
static bool task_is_asleep(struct task_struct *p)
{
	return !__atomic_load_n(&p->on_cpu, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&p->on_rq, __ATOMIC_RELAXED);
}

/* Wait until the sleeper armed round @round and is asleep: once armed, the
 * only sleep it can be in is wait_for_completion(). Linux calls this
 * wait_task_inactive(). 0 or -ETIMEDOUT. */
static int wait_sleeper_off_cpu(struct wakeup_bench *b, unsigned long round)
{
	u64 deadline = arch_clock_ns() + SETTLE_NS;

	while (__atomic_load_n(&b->armed, __ATOMIC_ACQUIRE) < round ||
	       !task_is_asleep(b->sleeper)) {
		if (arch_clock_ns() > deadline)
			return -ETIMEDOUT;
		arch_cpu_relax();
	}
	return 0;
}

static int waker_thread(void *data)
{
	struct wakeup_bench *b = data;
	unsigned long i, total = b->warmup + b->rounds;

	for (i = 0; i < total; i++) {
		b->err = wait_sleeper_off_cpu(b, i + 1);
		if (b->err) {
			__atomic_store_n(&b->abort, true, __ATOMIC_RELEASE);
			complete(&b->wake);
			break;
		}
		spin_ns(next_pause_ns(&b->seed));
		if (raw_smp_processor_id() != b->waker_cpu)
			b->waker_wrong_cpu++;
		b->t_wake[i] = arch_clock_ns();
		complete(&b->wake);
	}
	complete(&b->finished);
	wait_for_stop();
	return 0;
}

static int sleeper_thread(void *data)
{
	struct wakeup_bench *b = data;
	unsigned long i, total = b->warmup + b->rounds, sw;
	u64 now;

	for (i = 0; i < total; i++) {
		sw = current->nvcsw;	/* voluntary switches: sleeps */
		__atomic_store_n(&b->armed, i + 1, __ATOMIC_RELEASE);
		wait_for_completion(&b->wake);
		now = arch_clock_ns();
		if (__atomic_load_n(&b->abort, __ATOMIC_ACQUIRE))
			break;
		if (now < b->t_wake[i])
			b->backwards++;
		b->lat[i] = now < b->t_wake[i] ? 0 : now - b->t_wake[i];
		if (current->nvcsw != sw) {
			b->slept++;
			b->slept_measured += i >= b->warmup;
		}
		b->wrong_cpu += raw_smp_processor_id() != b->sleeper_cpu;
		b->done++;
	}
	complete(&b->finished);
	wait_for_stop();
	return 0;
}

/* --- running a pair of threads --- */

/* Bind and start @k[0], @k[1] on @cpu[0], @cpu[1]; wait until both
 * completed @finished, then stop them. -ENOMEM if one could not be
 * created, -ETIMEDOUT if they did not finish (they are then left behind,
 * with their data: a scheduler bug, reported rather than hung on).
 * Context: process, may sleep. */
static int run_pair(struct task_struct *k[2], const unsigned int cpu[2],
		    struct completion *finished, unsigned long rounds)
{
	unsigned long left;
	int i;

	if (IS_ERR(k[0]) || IS_ERR(k[1])) {
		for (i = 0; i < 2; i++)
			if (!IS_ERR(k[i]))
				kthread_stop(k[i]);
		return -ENOMEM;
	}
	for (i = 0; i < 2; i++)
		kthread_bind(k[i], cpu[i]);
	for (i = 0; i < 2; i++)
		wake_up_process(k[i]);
	left = msecs_to_jiffies(FINISH_MS + FINISH_MS_ROUND * rounds);
	for (i = 0; i < 2; i++) {
		left = wait_for_completion_timeout(finished, left);
		if (!left)
			return -ETIMEDOUT;
	}
	for (i = 0; i < 2; i++)
		kthread_stop(k[i]);
	return 0;
}

/* Run ctxsw on @b (cpu, warmup, rounds set; the rest zero). */
static int ctxsw_run(struct ctxsw_bench *b)
{
	const unsigned int cpus[2] = { b->cpu, b->cpu };
	struct task_struct *k[2];

	for (int i = 0; i < 2; i++) {
		b->side[i].b = b;
		b->side[i].me = i;
		init_completion(&b->side[i].go);
	}
	init_completion(&b->finished);
	k[0] = kthread_create(ctxsw_thread, &b->side[0], "bench-ping");
	k[1] = kthread_create(ctxsw_thread, &b->side[1], "bench-pong");
	return run_pair(k, cpus, &b->finished, b->warmup + b->rounds);
}

/* Run wakeup on @b (from wakeup_alloc()). The result of run_pair(); the
 * waker's own verdict is then in b->err. */
static int wakeup_run(struct wakeup_bench *b)
{
	const unsigned int cpus[2] = { b->waker_cpu, b->sleeper_cpu };
	struct task_struct *k[2];

	init_completion(&b->wake);
	init_completion(&b->finished);
	k[0] = kthread_create(waker_thread, b, "bench-waker");
	k[1] = kthread_create(sleeper_thread, b, "bench-sleeper");
	b->sleeper = k[1];
	return run_pair(k, cpus, &b->finished, b->warmup + b->rounds);
}

static struct wakeup_bench *wakeup_alloc(unsigned long rounds)
{
	struct wakeup_bench *b = kzalloc(sizeof(*b), GFP_KERNEL);
	unsigned long total = rounds + warmup_rounds(rounds);

	if (!b)
		return NULL;
	b->t_wake = kcalloc(total, sizeof(u64), GFP_KERNEL);
	b->lat = kcalloc(total, sizeof(u64), GFP_KERNEL);
	if (!b->t_wake || !b->lat) {
		kfree(b->t_wake);
		kfree(b->lat);
		kfree(b);
		return NULL;
	}
	b->waker_cpu = WAKER_CPU;
	b->sleeper_cpu = SLEEPER_CPU;
	b->rounds = rounds;
	b->warmup = warmup_rounds(rounds);
	b->seed = 0x9e3779b97f4a7c15ULL;
	return b;
}

static void wakeup_free(struct wakeup_bench *b)
{
	kfree(b->t_wake);
	kfree(b->lat);
	kfree(b);
}

/* --- statistics --- */

/* Shell sort, ascending (no sort() in the core yet). */
static void sort_u64(u64 *v, unsigned long n)
{
	unsigned long gap, i, j;

	for (gap = n / 2; gap; gap = gap == 2 ? 1 : gap * 5 / 11)
		for (i = gap; i < n; i++) {
			u64 x = v[i];

			for (j = i; j >= gap && v[j - gap] > x; j -= gap)
				v[j] = v[j - gap];
			v[j] = x;
		}
}

/* The @pct-th percentile of sorted @v: the smallest value with at least
 * @pct % of the values at or below it (futexbench uses the same rule). */
static u64 percentile(const u64 *v, unsigned long n, unsigned int pct)
{
	unsigned long idx = (n * pct + 99) / 100;

	return v[idx ? idx - 1 : 0];
}

/* --- the shell command --- */

/* ROUNDS argument: 1..ROUNDS_MAX. 0 or -EINVAL. */
static int parse_rounds(const char *s, unsigned long *rounds)
{
	unsigned long long v;

	if (kstrtoull(s, 10, &v) || v < 1 || v > ROUNDS_MAX)
		return -EINVAL;
	*rounds = v;
	return 0;
}

/* "bench: METRIC X.Y ns" from a sum of @ns over @n events. */
static void print_ns_mean(const char *metric, u64 ns, u64 n)
{
	u64 tenths = (ns * 10 + n / 2) / n;

	cprintf("bench: %s %llu.%llu ns\n", metric, (unsigned long long)(tenths / 10),
		(unsigned long long)(tenths % 10));
}

static int bench_ctxsw(const char *cmd, unsigned long rounds)
{
	struct ctxsw_bench *b = kzalloc(sizeof(*b), GFP_KERNEL);
	int ret;

	if (!b) {
		shell_error(cmd, "ctxsw: out of memory");
		return -ENOMEM;
	}
	b->cpu = 0;
	b->rounds = rounds;
	b->warmup = warmup_rounds(rounds);
	ret = ctxsw_run(b);
	if (ret) {
		shell_error(cmd, "ctxsw: %s", ret == -ENOMEM ? "out of memory" :
			    "threads did not finish in time (scheduler bug?)");
		return ret;	/* on -ETIMEDOUT the threads still use @b */
	}
	print_ns_mean("ctxsw_switch", b->elapsed_ns, 2 * (u64)rounds);
	cprintf("bench: ctxsw_rounds %lu rounds\n", rounds);
	cprintf("bench: ctxsw_warmup %lu rounds\n", b->warmup);
	kfree(b);
	return 0;
}

static int bench_wakeup(const char *cmd, unsigned long rounds)
{
	struct wakeup_bench *b;
	u64 *lat;
	int ret;

	if (!cpu_online(WAKER_CPU) || !cpu_online(SLEEPER_CPU)) {
		shell_error(cmd, "wakeup: needs CPUs %d and %d online (%u online)",
			    WAKER_CPU, SLEEPER_CPU, num_online_cpus());
		return -ENODEV;
	}
	b = wakeup_alloc(rounds);
	if (!b) {
		shell_error(cmd, "wakeup: out of memory for %lu rounds", rounds);
		return -ENOMEM;
	}
	ret = wakeup_run(b);
	if (ret) {
		shell_error(cmd, "wakeup: %s", ret == -ENOMEM ? "out of memory" :
			    "threads did not finish in time (scheduler bug?)");
		if (ret == -ENOMEM)
			wakeup_free(b);
		return ret;	/* on -ETIMEDOUT the threads still use @b */
	}
	if (b->err) {
		ret = b->err;
		shell_error(cmd, "wakeup: the sleeper was not asleep within %llu s",
			    SETTLE_NS / 1000000000);
		wakeup_free(b);
		return ret;
	}
	lat = b->lat + b->warmup;
	sort_u64(lat, rounds);
	cprintf("bench: wakeup_median %llu ns\n", (unsigned long long)percentile(lat, rounds, 50));
	cprintf("bench: wakeup_p99 %llu ns\n", (unsigned long long)percentile(lat, rounds, 99));
	cprintf("bench: wakeup_rounds %lu rounds\n", rounds);
	cprintf("bench: wakeup_asleep %lu rounds\n", b->slept_measured);
	wakeup_free(b);
	return 0;
}

/* `bench` subcommands. Another benchmark joins by adding a row here. */
static const struct bench_subcommand {
	const char *name;
	unsigned long rounds;		/* default ROUNDS */
	int (*run)(const char *cmd, unsigned long rounds);
} bench_subcommands[] = {
	{ "ctxsw", CTXSW_ROUNDS, bench_ctxsw },
	{ "wakeup", WAKEUP_ROUNDS, bench_wakeup },
};

static const struct bench_subcommand *find_subcommand(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(bench_subcommands); i++)
		if (strcmp(bench_subcommands[i].name, name) == 0)
			return &bench_subcommands[i];
	return NULL;
}

static int cmd_bench(int argc, char **argv)
{
	const struct bench_subcommand *sub = argc >= 2 ? find_subcommand(argv[1]) : NULL;
	unsigned long rounds;

	if (!sub || argc > 3) {
		shell_error(argv[0], "usage: bench ctxsw|wakeup [ROUNDS]");
		return -EINVAL;
	}
	rounds = sub->rounds;
	if (argc == 3 && parse_rounds(argv[2], &rounds)) {
		shell_error(argv[0], "ROUNDS '%s' is not a number in 1..%d", argv[2],
			    ROUNDS_MAX);
		return -EINVAL;
	}
	return sub->run(argv[0], rounds);
}

SHELL_COMMAND(bench, "bench", "bench ctxsw|wakeup [ROUNDS]",
	      "scheduler benchmarks: context switch, cross-CPU wake-up latency",
	      cmd_bench);

/* --- KTAP suite "schedbench": the bench code counts what it claims --- */

/* Every round is gone through by both threads, on the bound CPU, and each
 * round really switched: the ping thread sleeps once per round, the pong
 * thread too except perhaps in its first wait (when ping ran first). */
static void schedbench_ctxsw_counts_every_round(struct ktest *t)
{
	struct ctxsw_bench *b = kzalloc(sizeof(*b), GFP_KERNEL);
	unsigned long total;
	unsigned int cpu;

	KTEST_ASSERT_NOT_NULL(t, b);
	for_each_online_cpu(cpu) {
		memset(b, 0, sizeof(*b));
		b->cpu = cpu;
		b->rounds = 20;
		b->warmup = warmup_rounds(b->rounds);
		total = b->warmup + b->rounds;
		KTEST_ASSERT_EQ(t, ctxsw_run(b), 0);
		KTEST_EXPECT_EQ(t, b->side[0].done, total);
		KTEST_EXPECT_EQ(t, b->side[1].done, total);
		KTEST_EXPECT_GE(t, b->side[0].switches, total);
		KTEST_EXPECT_GE(t, b->side[1].switches, total - 1);
		KTEST_EXPECT_EQ(t, b->side[0].wrong_cpu, 0);
		KTEST_EXPECT_EQ(t, b->side[1].wrong_cpu, 0);
		KTEST_EXPECT_GT(t, b->elapsed_ns, 0);
	}
	kfree(b);
}

/* Every round: the waker ran on CPU 0, the sleeper was asleep when woken
 * and ran on CPU 1, and its clock read was not before the waker's. */
static void schedbench_wakeup_sleeper_runs_on_other_cpu(struct ktest *t)
{
	struct wakeup_bench *b;
	unsigned long total, i;

	if (!cpu_online(SLEEPER_CPU))
		ktest_skip(t, "needs 2 online CPUs");
	b = wakeup_alloc(20);
	KTEST_ASSERT_NOT_NULL(t, b);
	b->seed ^= ktest_seed();
	total = b->warmup + b->rounds;
	KTEST_ASSERT_EQ(t, wakeup_run(b), 0);
	KTEST_EXPECT_EQ(t, b->err, 0);
	KTEST_EXPECT_EQ(t, b->done, total);
	KTEST_EXPECT_EQ(t, b->slept, total);
	KTEST_EXPECT_EQ(t, b->wrong_cpu, 0);
	KTEST_EXPECT_EQ(t, b->waker_wrong_cpu, 0);
	KTEST_EXPECT_EQ(t, b->backwards, 0);
	for (i = 0; i < total; i++)
		KTEST_EXPECT_GT(t, b->t_wake[i], 0);
	sort_u64(b->lat + b->warmup, b->rounds);
	KTEST_EXPECT_LE(t, percentile(b->lat + b->warmup, b->rounds, 50),
			percentile(b->lat + b->warmup, b->rounds, 99));
	wakeup_free(b);
}

static void schedbench_sort_and_percentiles(struct ktest *t)
{
	u64 v[100];
	unsigned long i;

	for (i = 0; i < 100; i++)
		v[i] = (i * 37) % 100 + 1;	/* 1..100, shuffled */
	sort_u64(v, 100);
	for (i = 0; i < 100; i++)
		KTEST_EXPECT_EQ(t, v[i], i + 1);
	KTEST_EXPECT_EQ(t, percentile(v, 100, 50), 50);
	KTEST_EXPECT_EQ(t, percentile(v, 100, 99), 99);
	KTEST_EXPECT_EQ(t, percentile(v, 1, 99), 1);
	KTEST_EXPECT_EQ(t, percentile(v, 3, 50), 2);
}

static void schedbench_rounds_argument_is_validated(struct ktest *t)
{
	unsigned long r = 7;

	KTEST_EXPECT_EQ(t, parse_rounds("0", &r), -EINVAL);
	KTEST_EXPECT_EQ(t, parse_rounds("-1", &r), -EINVAL);
	KTEST_EXPECT_EQ(t, parse_rounds("12x", &r), -EINVAL);
	KTEST_EXPECT_EQ(t, parse_rounds("400001", &r), -EINVAL);
	KTEST_EXPECT_EQ(t, r, 7);
	KTEST_EXPECT_EQ(t, parse_rounds("400000", &r), 0);
	KTEST_EXPECT_EQ(t, r, 400000);
}

static const struct ktest_case schedbench_cases[] = {
	KTEST_CASE(schedbench_ctxsw_counts_every_round),
	KTEST_CASE(schedbench_wakeup_sleeper_runs_on_other_cpu),
	KTEST_CASE(schedbench_sort_and_percentiles),
	KTEST_CASE(schedbench_rounds_argument_is_validated),
	KTEST_END,
};

static const struct ktest_suite schedbench_suite = {
	.name = "schedbench",
	.cases = schedbench_cases,
};
KTEST_SUITE(schedbench_suite);
