/*
 * kernel/ps.c - the `ps` and `top` shell commands: watching threads.
 *
 * Layer: kernel. Provides: shell commands only.
 * ps:  one line per thread: PID, NAME, STATE (R runnable/running,
 *      S sleeping, D uninterruptible, N never started, X dead, I idle), CPU,
 *      PRIO, and what it waits on.
 * top [MS]: CPU use of each thread over MS milliseconds (default 1000),
 *      in percent of one CPU, and each CPU's idle share.
 *
 * Locking: snapshots are taken under tasklist_lock (for_each_task());
 * top's sample table is guarded by top_lock.
 */
#include <quire/sched.h>
#include <quire/shell.h>
#include <quire/printk.h>
#include <quire/mutex.h>
#include <quire/timer.h>
#include <quire/errno.h>
#include <quire/string.h>
#include <arch/time.h>
#include "sched_internal.h"

#define TOP_MAX_TASKS 256

static char state_char(const struct task_struct *p)
{
	unsigned int state = READ_ONCE(p->state);

	if (p->is_idle)
		return 'I';
	if (state == TASK_RUNNING)
		return 'R';
	if (state & TASK_DEAD)
		return 'X';
	if (state & TASK_NEW)
		return 'N';
	if (state & TASK_UNINTERRUPTIBLE)
		return 'D';
	return 'S';
}

static u64 task_runtime(const struct task_struct *p, u64 now)
{
	u64 rt = READ_ONCE(p->sum_exec_runtime);

	if (READ_ONCE(p->on_cpu))
		rt += now - READ_ONCE(p->exec_start);
	return rt;
}

static void ps_line(struct task_struct *p, void *arg)
{
	const char *what = READ_ONCE(p->wait_what);

	cprintf("%5d %-16s %c %3u %4d %s\n", p->pid, p->comm, state_char(p),
		READ_ONCE(p->cpu), p->prio,
		READ_ONCE(p->state) == TASK_RUNNING || !what ? "-" : what);
}

static int cmd_ps(int argc, char **argv)
{
	if (argc != 1) {
		shell_error(argv[0], "usage: ps");
		return -EINVAL;
	}
	cprintf("  PID NAME             S CPU PRIO WAIT\n");
	for_each_task(ps_line, NULL);
	return 0;
}
SHELL_COMMAND(ps, "ps", "ps", "list threads: state, CPU, priority, what they wait on", cmd_ps);

struct top_sample {
	int pid;
	char comm[TASK_COMM_LEN];
	unsigned int cpu;
	u64 runtime;
	u64 delta;
	bool seen;
};

static DEFINE_MUTEX(top_lock);
static struct top_sample samples[TOP_MAX_TASKS];
static int nr_samples;
static u64 idle_before[MAX_CPUS];

static void top_first(struct task_struct *p, void *arg)
{
	u64 now = *(u64 *)arg;

	if (nr_samples == TOP_MAX_TASKS)
		return;
	samples[nr_samples].pid = p->pid;
	samples[nr_samples].seen = false;
	samples[nr_samples++].runtime = task_runtime(p, now);
}

static void top_second(struct task_struct *p, void *arg)
{
	u64 now = *(u64 *)arg;

	for (int i = 0; i < nr_samples; i++) {
		if (samples[i].pid != p->pid)
			continue;
		samples[i].delta = task_runtime(p, now) - samples[i].runtime;
		samples[i].cpu = READ_ONCE(p->cpu);
		strscpy_len(samples[i].comm, p->comm, TASK_COMM_LEN);
		samples[i].seen = true;
	}
}

static void top_print(u64 interval)
{
	unsigned int cpu;

	cprintf("  PID NAME             CPU  %%CPU\n");
	for (int i = 0; i < nr_samples; i++) {
		u64 permille = samples[i].delta * 1000 / interval;

		if (samples[i].seen)
			cprintf("%5d %-16s %3u %3llu.%llu\n", samples[i].pid,
				samples[i].comm, samples[i].cpu,
				(unsigned long long)(permille / 10),
				(unsigned long long)(permille % 10));
	}
	for_each_online_cpu(cpu) {
		u64 idle = READ_ONCE(runqueues[cpu].idle_ns) - idle_before[cpu];

		cprintf("cpu%u idle %llu%%\n", cpu,
			(unsigned long long)min(idle * 100 / interval, 100ULL));
	}
}

static int cmd_top(int argc, char **argv)
{
	unsigned long long ms = 1000;
	unsigned int cpu;
	u64 t0, t1;

	if (argc > 2 || (argc == 2 && (kstrtoull(argv[1], 10, &ms) || !ms ||
				       ms > 60000))) {
		shell_error(argv[0], "usage: top [MS]  (MS: 1..60000)");
		return -EINVAL;
	}
	mutex_lock(&top_lock);
	nr_samples = 0;
	t0 = arch_clock_ns();
	for_each_online_cpu(cpu)
		idle_before[cpu] = READ_ONCE(runqueues[cpu].idle_ns);
	for_each_task(top_first, &t0);
	msleep((unsigned int)ms);
	t1 = arch_clock_ns();
	for_each_task(top_second, &t1);
	top_print(t1 - t0 ? t1 - t0 : 1);
	mutex_unlock(&top_lock);
	return 0;
}
SHELL_COMMAND(top, "top", "top [MS]", "CPU use per thread over MS milliseconds (default 1000)", cmd_top);
