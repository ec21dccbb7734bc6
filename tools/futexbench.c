/*
 * tools/futexbench.c - the scheduler benchmarks of kernel/schedbench.c, run
 * on Linux threads: the floor Quire's figures are judged against.
 *
 * Layer: tools (a Linux host program; pthreads and raw futex(2), no Quire
 * code). Used by: tools/bench (make bench), which runs it in the same run
 * as `bench ctxsw` / `bench wakeup` in QEMU and in quire-host.
 * Provides: futexbench [ctxsw|wakeup] [ROUNDS], printing the same
 * "bench: METRIC VALUE UNIT" lines as the kernel's `bench` command.
 *
 * Same method as the kernel (docs/bench.md), with a futex word playing the
 * completion: complete() is "add 1 to the word, FUTEX_WAKE one waiter";
 * wait_for_completion() is "FUTEX_WAIT while the word is below the count
 * wanted". Threads are pinned with sched_setaffinity().
 *
 *  ctxsw   two threads pinned to CPU 0 hand it to each other; ns per
 *          switch = elapsed of the measured rounds / (2 * rounds).
 *  wakeup  waker pinned to CPU 0, sleeper to CPU 1. The waker waits until
 *          the sleeper is armed and in state S (/proc/self/task/TID/stat:
 *          asleep in FUTEX_WAIT), spins a pseudo-random 20..100 us (same
 *          generator as the kernel), reads CLOCK_MONOTONIC and wakes it;
 *          the sleeper reads the clock as soon as its wait returns.
 *
 * Synchronisation: the futex words, with acquire/release atomics; each
 * result field has one writer, read by main() after pthread_join().
 * Exit status: 0, 1 (could not run: pinning, memory, sleeper never slept),
 * 2 (bad arguments).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The kernel's constants (kernel/schedbench.c): keep them equal. */
#define CTXSW_ROUNDS	10000
#define WAKEUP_ROUNDS	1000
#define ROUNDS_MAX	400000
#define WARMUP_MAX	1000
#define PAUSE_MIN_NS	20000
#define PAUSE_SPAN_NS	80000
#define SETTLE_NS	(5ULL * 1000000000)
#define WAKER_CPU	0
#define SLEEPER_CPU	1

typedef uint64_t u64;

static u64 clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static unsigned long warmup_rounds(unsigned long rounds)
{
	return rounds / 10 < WARMUP_MAX ? rounds / 10 : WARMUP_MAX;
}

/* FUTEX_WAIT: 0 if woken, -1 with errno (EAGAIN: *@word != @val). */
static int futex_wait(uint32_t *word, uint32_t val)
{
	return syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* complete(): one more event, wake one waiter. */
static void post(uint32_t *word)
{
	__atomic_add_fetch(word, 1, __ATOMIC_RELEASE);
	futex_wake(word);
}

/* wait_for_completion() of the @want-th event. Returns true if it slept. */
static bool wait_for(uint32_t *word, uint32_t want)
{
	uint32_t v;
	bool slept = false;

	while ((v = __atomic_load_n(word, __ATOMIC_ACQUIRE)) < want)
		if (futex_wait(word, v) == 0)
			slept = true;
	return slept;
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static pthread_t start(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, fn, arg);

	if (err) {
		fprintf(stderr, "futexbench: pthread_create: %s\n", strerror(err));
		exit(1);
	}
	return t;
}

/* --- ctxsw --- */

struct ctxsw_bench {
	int cpu;
	unsigned long warmup, rounds;
	uint32_t go[2];			/* go[i]: events posted to thread i */
	u64 elapsed_ns;			/* thread 0 */
	unsigned long done[2], wrong_cpu[2];
	int err[2];			/* thread i: pinning failed */
};

struct ctxsw_arg {
	struct ctxsw_bench *b;
	int me;
};

static void *ctxsw_thread(void *data)
{
	struct ctxsw_arg *a = data;
	struct ctxsw_bench *b = a->b;
	unsigned long i, total = b->warmup + b->rounds;
	int me = a->me, other = !me;
	u64 t0 = 0;

	b->err[me] = pin_to(b->cpu);
	for (i = 0; i < total; i++) {
		if (me == 0 && i == b->warmup)
			t0 = clock_ns();
		if (me == 0)
			post(&b->go[other]);
		wait_for(&b->go[me], i + 1);
		if (me == 1)
			post(&b->go[other]);
		b->wrong_cpu[me] += sched_getcpu() != b->cpu;
		b->done[me]++;
	}
	if (me == 0)
		b->elapsed_ns = clock_ns() - t0;
	return NULL;
}

static int bench_ctxsw(unsigned long rounds)
{
	struct ctxsw_bench b = { .cpu = 0, .rounds = rounds, .warmup = warmup_rounds(rounds) };
	struct ctxsw_arg arg[2] = { { &b, 0 }, { &b, 1 } };
	pthread_t t[2];
	u64 tenths;

	t[0] = start(ctxsw_thread, &arg[0]);
	t[1] = start(ctxsw_thread, &arg[1]);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	if (b.err[0] || b.err[1]) {
		fprintf(stderr, "futexbench: ctxsw: cannot pin to CPU %d: %s\n", b.cpu,
			strerror(-(b.err[0] ? b.err[0] : b.err[1])));
		return 1;
	}
	if (b.wrong_cpu[0] || b.wrong_cpu[1])
		fprintf(stderr, "futexbench: ctxsw: %lu rounds off CPU %d\n",
			b.wrong_cpu[0] + b.wrong_cpu[1], b.cpu);
	tenths = (b.elapsed_ns * 10 + rounds) / (2 * rounds);
	printf("bench: ctxsw_switch %llu.%llu ns\n", (unsigned long long)(tenths / 10),
	       (unsigned long long)(tenths % 10));
	printf("bench: ctxsw_rounds %lu rounds\n", rounds);
	printf("bench: ctxsw_warmup %lu rounds\n", b.warmup);
	return 0;
}

/* --- wakeup --- */

struct wakeup_bench {
	unsigned long warmup, rounds;
	uint32_t wake;			/* waker: wake-ups posted */
	uint32_t armed;			/* sleeper: rounds it began waiting for */
	int sleeper_tid;		/* sleeper, before its first arm */
	bool abort;			/* waker gave up */
	u64 seed;			/* waker: pause generator */
	u64 *t_wake;			/* waker: clock just before the wake */
	u64 *lat;			/* sleeper */
	unsigned long done, slept, slept_measured, wrong_cpu, backwards;
	int err[2];			/* waker, sleeper: -errno */
};

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
	u64 end = clock_ns() + ns;

	while (clock_ns() < end)
		__builtin_ia32_pause();
}

/* The state letter of thread @fd's stat file ('S': sleeping), or 0. */
static char thread_state(int fd)
{
	char buf[512], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Until the sleeper armed @round and sleeps (Linux's wait_task_inactive()
 * from user space). 0 or -ETIMEDOUT. */
static int wait_sleeper_asleep(struct wakeup_bench *b, int fd, uint32_t round)
{
	u64 deadline = clock_ns() + SETTLE_NS;

	uint32_t armed;

	while ((armed = __atomic_load_n(&b->armed, __ATOMIC_ACQUIRE)) < round ||
	       thread_state(fd) != 'S') {
		if (armed == UINT32_MAX)
			return -ECANCELED;	/* the sleeper could not start */
		if (clock_ns() > deadline)
			return -ETIMEDOUT;
		__builtin_ia32_pause();
	}
	return 0;
}

static int open_thread_stat(struct wakeup_bench *b)
{
	char path[64];
	int tid;

	while (!(tid = __atomic_load_n(&b->sleeper_tid, __ATOMIC_ACQUIRE)))
		__builtin_ia32_pause();
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void *waker_thread(void *data)
{
	struct wakeup_bench *b = data;
	unsigned long i, total = b->warmup + b->rounds;
	int fd = open_thread_stat(b);

	b->err[0] = fd < 0 ? -errno : pin_to(WAKER_CPU);
	for (i = 0; i < total && !b->err[0]; i++) {
		b->err[0] = wait_sleeper_asleep(b, fd, i + 1);
		if (b->err[0])
			break;
		spin_ns(next_pause_ns(&b->seed));
		b->t_wake[i] = clock_ns();
		post(&b->wake);
	}
	if (b->err[0]) {
		__atomic_store_n(&b->abort, true, __ATOMIC_RELEASE);
		post(&b->wake);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void *sleeper_thread(void *data)
{
	struct wakeup_bench *b = data;
	unsigned long i, total = b->warmup + b->rounds;
	bool slept;
	u64 now;

	b->err[1] = pin_to(SLEEPER_CPU);
	__atomic_store_n(&b->sleeper_tid, (int)gettid(), __ATOMIC_RELEASE);
	for (i = 0; i < total && !b->err[1]; i++) {
		__atomic_store_n(&b->armed, i + 1, __ATOMIC_RELEASE);
		slept = wait_for(&b->wake, i + 1);
		now = clock_ns();
		if (__atomic_load_n(&b->abort, __ATOMIC_ACQUIRE))
			break;
		b->backwards += now < b->t_wake[i];
		b->lat[i] = now < b->t_wake[i] ? 0 : now - b->t_wake[i];
		b->slept += slept;
		b->slept_measured += slept && i >= b->warmup;
		b->wrong_cpu += sched_getcpu() != SLEEPER_CPU;
		b->done++;
	}
	if (b->err[1])
		__atomic_store_n(&b->armed, UINT32_MAX, __ATOMIC_RELEASE);
	return NULL;
}

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

static u64 percentile(const u64 *v, unsigned long n, unsigned int pct)
{
	unsigned long idx = (n * pct + 99) / 100;

	return v[idx ? idx - 1 : 0];
}

static int report_wakeup_error(struct wakeup_bench *b)
{
	int err = b->err[1] ? b->err[1] : b->err[0];

	if (err == -ETIMEDOUT)
		fprintf(stderr, "futexbench: wakeup: the sleeper was not asleep within %llu s\n",
			SETTLE_NS / 1000000000);
	else
		fprintf(stderr, "futexbench: wakeup: cannot pin to CPUs %d and %d: %s\n",
			WAKER_CPU, SLEEPER_CPU, strerror(-err));
	return 1;
}

static int bench_wakeup(unsigned long rounds)
{
	struct wakeup_bench b = { .rounds = rounds, .warmup = warmup_rounds(rounds),
				  .seed = 0x9e3779b97f4a7c15ULL };
	unsigned long total = b.warmup + rounds;
	pthread_t t[2];
	u64 *lat;

	b.t_wake = calloc(total, sizeof(u64));
	b.lat = calloc(total, sizeof(u64));
	if (!b.t_wake || !b.lat) {
		fprintf(stderr, "futexbench: wakeup: out of memory for %lu rounds\n", rounds);
		return 1;
	}
	t[0] = start(waker_thread, &b);
	t[1] = start(sleeper_thread, &b);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	if (b.err[0] || b.err[1])
		return report_wakeup_error(&b);
	if (b.wrong_cpu || b.backwards)
		fprintf(stderr, "futexbench: wakeup: %lu rounds off CPU %d, %lu clock steps back\n",
			b.wrong_cpu, SLEEPER_CPU, b.backwards);
	lat = b.lat + b.warmup;
	sort_u64(lat, rounds);
	printf("bench: wakeup_median %llu ns\n", (unsigned long long)percentile(lat, rounds, 50));
	printf("bench: wakeup_p99 %llu ns\n", (unsigned long long)percentile(lat, rounds, 99));
	printf("bench: wakeup_rounds %lu rounds\n", rounds);
	printf("bench: wakeup_asleep %lu rounds\n", b.slept_measured);
	free(b.t_wake);
	free(b.lat);
	return 0;
}

/* --- main --- */

static void usage(void)
{
	fprintf(stderr, "usage: futexbench [ctxsw|wakeup] [ROUNDS]   (no argument: both, "
		"default rounds %d and %d)\n", CTXSW_ROUNDS, WAKEUP_ROUNDS);
	exit(2);
}

static unsigned long parse_rounds(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < 1 || v > ROUNDS_MAX) {
		fprintf(stderr, "futexbench: ROUNDS '%s' is not a number in 1..%d\n", s,
			ROUNDS_MAX);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long rounds = 0;

	if (argc > 3)
		usage();
	if (argc >= 3)
		rounds = parse_rounds(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 1)
		return bench_ctxsw(CTXSW_ROUNDS) || bench_wakeup(WAKEUP_ROUNDS);
	if (!strcmp(argv[1], "ctxsw"))
		return bench_ctxsw(rounds ? rounds : CTXSW_ROUNDS);
	if (!strcmp(argv[1], "wakeup"))
		return bench_wakeup(rounds ? rounds : WAKEUP_ROUNDS);
	usage();
	return 2;
}
