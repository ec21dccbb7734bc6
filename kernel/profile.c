/*
 * kernel/profile.c - a sampling profiler: each CPU's tick records the
 * address it interrupted; a report counts them by function.
 *
 * Layer: kernel. Used by: the `profile` shell command, the arch tick
 * (profile_tick(), arch/x86_64/time.c). Provides: include/quire/profile.h.
 * docs/profile.md says how to read a report and what is left out.
 *
 * Each possible CPU has one buffer of (pc, caller) pairs, allocated by
 * profile_start() in process context; the tick only stores into its own
 * CPU's buffer and, when it is full, counts the sample as dropped: nothing
 * is allocated or locked in the interrupt. A report resolves each address
 * to the start of its function with arch_lookup_symbol() and counts them
 * in a small open-addressed table.
 *
 * Invariants:
 *   PF1 a tick writes buf[nr] before it publishes nr + 1 (release), so a
 *       reader that loads nr (acquire) reads only complete samples, also
 *       while sampling goes on.
 *   PF2 buffers are freed or replaced only when no tick can use them:
 *       profile_on is cleared, then each CPU's in_tick is seen clear
 *       (Dekker with profile_tick(), which raises in_tick before it reads
 *       profile_on; both seq_cst), so a tick that read profile_on set has
 *       finished.
 *
 * Locking: profile_mutex serialises start, stop, release and reports;
 * the tick takes no lock (PF1, PF2).
 */
#include <quire/profile.h>
#include <quire/shell.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/slab.h>
#include <quire/mutex.h>
#include <quire/smp.h>
#include <quire/jiffies.h>
#include <arch/debug.h>
#include <arch/time.h>
#include <arch/cpu.h>

struct profile_sample {
	unsigned long pc;
	unsigned long caller;
};

struct profile_cpu {
	struct profile_sample *buf;
	unsigned int nr;       /* samples in buf (PF1) */
	unsigned int in_tick;  /* PF2 */
	unsigned long dropped; /* samples lost: buf was full */
} __aligned(64);

static struct profile_cpu profile_cpus[MAX_CPUS];
static unsigned int profile_slots; /* entries of each buf */
static int profile_on;
static unsigned int profile_hz;	   /* 0: samples only from direct calls */
static u64 profile_t0, profile_t1; /* ns: start, stop (0 while running) */
static DEFINE_MUTEX(profile_mutex);

void profile_tick(unsigned long pc, unsigned long caller)
{
	struct profile_cpu *c = &profile_cpus[smp_processor_id()];

	__atomic_store_n(&c->in_tick, 1, __ATOMIC_SEQ_CST); /* PF2 */
	if (__atomic_load_n(&profile_on, __ATOMIC_SEQ_CST)) {
		unsigned int n = c->nr;

		if (n < profile_slots) {
			c->buf[n].pc = pc;
			c->buf[n].caller = caller;
			__atomic_store_n(&c->nr, n + 1, __ATOMIC_RELEASE); /* PF1 */
		} else {
			c->dropped++;
		}
	}
	__atomic_store_n(&c->in_tick, 0, __ATOMIC_RELEASE);
}

bool profile_running(void)
{
	return __atomic_load_n(&profile_on, __ATOMIC_ACQUIRE);
}

/* PF2: after this no tick touches a buffer. Called with profile_mutex. */
static void profile_quiesce(void)
{
	__atomic_store_n(&profile_on, 0, __ATOMIC_SEQ_CST);
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++)
		while (__atomic_load_n(&profile_cpus[cpu].in_tick, __ATOMIC_SEQ_CST))
			arch_cpu_relax();
}

static void profile_free_buffers(void)
{
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		kfree(profile_cpus[cpu].buf);
		profile_cpus[cpu].buf = NULL;
		profile_cpus[cpu].nr = 0;
		profile_cpus[cpu].dropped = 0;
	}
	profile_slots = 0;
}

int profile_start(unsigned int hz, unsigned int samples)
{
	int ret;

	if (hz % HZ || hz > HZ * 40 || !samples || samples > PROFILE_MAX_SAMPLES)
		return -EINVAL;
	mutex_lock(&profile_mutex);
	if (profile_running()) {
		ret = -EBUSY;
		goto out;
	}
	profile_free_buffers(); /* PF2: stopped, and quiesced by the stop */
	for (unsigned int cpu = 0; cpu < num_possible_cpus(); cpu++) {
		profile_cpus[cpu].buf =
			kmalloc(sizeof(struct profile_sample) * samples, GFP_KERNEL);
		if (!profile_cpus[cpu].buf) {
			profile_free_buffers();
			ret = -ENOMEM;
			goto out;
		}
	}
	profile_slots = samples;
	if (hz) {
		ret = arch_profile_set_rate(hz / HZ);
		if (ret) {
			profile_free_buffers();
			goto out;
		}
	}
	profile_hz = hz;
	profile_t0 = arch_clock_ns();
	profile_t1 = 0;
	__atomic_store_n(&profile_on, 1, __ATOMIC_SEQ_CST);
	ret = 0;
out:
	mutex_unlock(&profile_mutex);
	return ret;
}

int profile_stop(void)
{
	int ret = 0;

	mutex_lock(&profile_mutex);
	if (!profile_running()) {
		ret = -EINVAL;
	} else {
		profile_quiesce();
		profile_t1 = arch_clock_ns();
		if (profile_hz)
			arch_profile_set_rate(0);
	}
	mutex_unlock(&profile_mutex);
	return ret;
}

void profile_release(void)
{
	mutex_lock(&profile_mutex);
	if (profile_running()) {
		profile_quiesce();
		if (profile_hz)
			arch_profile_set_rate(0);
	}
	profile_free_buffers();
	mutex_unlock(&profile_mutex);
}

/* --- reports --- */

#define PROFILE_BUCKETS 4096   /* distinct functions counted */
#define PROFILE_OTHER	(~0UL) /* key of what did not fit */

struct profile_bucket {
	unsigned long key;
	unsigned long count; /* 0: empty */
};

/* Start of the function holding @addr; 0 when none is known. */
static unsigned long profile_func(unsigned long addr)
{
	unsigned long off;
	char name[2];

	if (!addr || !arch_lookup_symbol(addr, name, sizeof(name), &off))
		return 0;
	return addr - off;
}

static void profile_count(struct profile_bucket *tab, unsigned long key)
{
	unsigned long h = (key >> 4) * 0x9E3779B97F4A7C15UL;

	for (unsigned int i = 0; i < PROFILE_BUCKETS; i++) {
		struct profile_bucket *b = &tab[(h + i) & (PROFILE_BUCKETS - 1)];

		if (b->count && b->key != key)
			continue;
		b->key = key;
		b->count++;
		return;
	}
	/* Full: one bucket holds more than the others anyway; count apart. */
	tab[PROFILE_BUCKETS].key = PROFILE_OTHER;
	tab[PROFILE_BUCKETS].count++;
}

/* Pick up to @max buckets, most samples first (empties the ones taken). */
static int profile_pick(struct profile_bucket *tab, struct profile_entry *top, int max)
{
	int n = 0;

	while (n < max) {
		struct profile_bucket *best = NULL;

		for (unsigned int i = 0; i <= PROFILE_BUCKETS; i++)
			if (tab[i].count && (!best || tab[i].count > best->count))
				best = &tab[i];
		if (!best)
			break;
		top[n].func = best->key;
		top[n].samples = best->count;
		best->count = 0;
		n++;
	}
	return n;
}

/*
 * Count samples on @cpu (< 0: all) by the function of their pc, or with
 * @only set by the function of the caller of those whose pc is in @only.
 * Called with profile_mutex.
 */
static int profile_tally(int cpu, unsigned long only, struct profile_entry *top, int max,
			 unsigned long *total)
{
	struct profile_bucket *tab;
	unsigned long n_all = 0;
	int n;

	if (!profile_slots)
		return -ENOENT;
	tab = kcalloc(PROFILE_BUCKETS + 1, sizeof(*tab), GFP_KERNEL);
	if (!tab)
		return -ENOMEM;
	for (unsigned int c = 0; c < num_possible_cpus(); c++) {
		struct profile_cpu *pc = &profile_cpus[c];
		unsigned int nr;

		if (cpu >= 0 && c != (unsigned int)cpu)
			continue;
		nr = __atomic_load_n(&pc->nr, __ATOMIC_ACQUIRE); /* PF1 */
		for (unsigned int i = 0; i < nr; i++) {
			unsigned long f = profile_func(pc->buf[i].pc);

			if (only) {
				if (f != only)
					continue;
				f = profile_func(pc->buf[i].caller);
			}
			profile_count(tab, f);
			n_all++;
		}
	}
	n = profile_pick(tab, top, max);
	kfree(tab);
	*total = n_all;
	return n;
}

int profile_top(int cpu, struct profile_entry *top, int max, unsigned long *total)
{
	int n;

	mutex_lock(&profile_mutex);
	n = profile_tally(cpu, 0, top, max, total);
	mutex_unlock(&profile_mutex);
	return n;
}

int profile_top_callers(int cpu, unsigned long func, struct profile_entry *top, int max,
			unsigned long *total)
{
	int n;

	if (!func)
		return -EINVAL;
	mutex_lock(&profile_mutex);
	n = profile_tally(cpu, func, top, max, total);
	mutex_unlock(&profile_mutex);
	return n;
}

static const char *profile_name(unsigned long func, char *buf, size_t size)
{
	unsigned long off;

	if (func == PROFILE_OTHER)
		return "(other functions)";
	if (!func || !arch_lookup_symbol(func, buf, size, &off))
		return "(unknown)";
	return buf;
}

/* Per mille, rounded, printed as a percentage with one decimal. */
static unsigned long permille(unsigned long part, unsigned long whole)
{
	return whole ? (part * 1000 + whole / 2) / whole : 0;
}

#define PROFILE_SHOW_MAX 100
#define PROFILE_CALLERS	 3

void profile_report(int max, bool callers)
{
	struct profile_entry *top, sub[PROFILE_CALLERS];
	unsigned long total, sub_total;
	char name[64];
	u64 t1;
	int n, m;

	if (max < 1 || max > PROFILE_SHOW_MAX)
		max = PROFILE_SHOW_MAX;
	top = kcalloc(max, sizeof(*top), GFP_KERNEL);
	if (!top) {
		cprintf("profile: out of memory\n");
		return;
	}
	mutex_lock(&profile_mutex);
	n = profile_tally(-1, 0, top, max, &total);
	if (n < 0) {
		mutex_unlock(&profile_mutex);
		kfree(top);
		cprintf("profile: no samples (profile start first)\n");
		return;
	}
	t1 = profile_t1 ? profile_t1 : arch_clock_ns();
	cprintf("profile: %s, %u Hz, %llu ms, %lu samples\n",
		profile_running() ? "running" : "stopped", profile_hz,
		(unsigned long long)((t1 - profile_t0) / 1000000), total);
	for (unsigned int c = 0; c < num_possible_cpus(); c++)
		cprintf("  cpu%u: %u samples, %lu dropped\n", c,
			__atomic_load_n(&profile_cpus[c].nr, __ATOMIC_ACQUIRE),
			READ_ONCE(profile_cpus[c].dropped));
	cprintf(" samples  share  function\n");
	for (int i = 0; i < n; i++) {
		unsigned long pm = permille(top[i].samples, total);

		cprintf("%8lu %4lu.%lu%%  %s\n", top[i].samples, pm / 10, pm % 10,
			profile_name(top[i].func, name, sizeof(name)));
		if (!callers || !top[i].func || top[i].func == PROFILE_OTHER)
			continue;
		m = profile_tally(-1, top[i].func, sub, PROFILE_CALLERS, &sub_total);
		if (m <= 0)
			continue;
		cprintf("%17s", "from");
		for (int j = 0; j < m; j++) {
			pm = permille(sub[j].samples, sub_total);
			cprintf(" %s %lu.%lu%%%s",
				profile_name(sub[j].func, name, sizeof(name)), pm / 10,
				pm % 10, j + 1 < m ? "," : "");
		}
		cprintf("\n");
	}
	mutex_unlock(&profile_mutex);
	kfree(top);
}

/* --- the shell command --- */

static int cmd_profile(int argc, char **argv)
{
	unsigned int hz = PROFILE_DEFAULT_HZ, samples = PROFILE_DEFAULT_SAMPLES, max = 25;
	bool callers = false;
	int ret;

	if (argc >= 2 && !strcmp(argv[1], "start") && argc <= 4) {
		if ((argc >= 3 && kstrtouint(argv[2], 10, &hz)) ||
		    (argc >= 4 && kstrtouint(argv[3], 10, &samples)) || !hz) {
			shell_error(argv[0], "usage: profile start [HZ [SAMPLES]]");
			return -EINVAL;
		}
		ret = profile_start(hz, samples);
		if (ret == -EINVAL)
			shell_error(argv[0],
				    "HZ must be a multiple of %u up to %u, SAMPLES 1..%u",
				    HZ, HZ * 40, PROFILE_MAX_SAMPLES);
		else if (ret == -EOPNOTSUPP)
			shell_error(argv[0], "this arch takes no samples");
		else if (ret == -EBUSY)
			shell_error(argv[0], "running already (profile stop)");
		else if (!ret)
			cprintf("profile: sampling at %u Hz, %u samples per CPU\n", hz,
				samples);
		return ret;
	}
	if (argc == 2 && !strcmp(argv[1], "stop")) {
		ret = profile_stop();
		if (ret)
			shell_error(argv[0], "not running");
		return ret;
	}
	if (argc == 2 && !strcmp(argv[1], "release")) {
		profile_release();
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "show")) {
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "-c")) {
				callers = true;
			} else if (kstrtouint(argv[i], 10, &max) || !max ||
				   max > PROFILE_SHOW_MAX) {
				shell_error(argv[0],
					    "usage: profile show [-c] [N], N 1..%u",
					    PROFILE_SHOW_MAX);
				return -EINVAL;
			}
		}
		profile_report((int)max, callers);
		return 0;
	}
	shell_error(
		argv[0],
		"usage: profile start [HZ [SAMPLES]] | stop | show [-c] [N] | release");
	return -EINVAL;
}

SHELL_COMMAND(profile, "profile",
	      "profile start [HZ [SAMPLES]]|stop|show [-c] [N]|release",
	      "sample where the CPUs spend their time (docs/profile.md)", cmd_profile);
