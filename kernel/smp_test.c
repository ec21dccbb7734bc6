/*
 * kernel/smp_test.c - KTAP suite `smp`: cross-CPU function calls.
 *
 * The cases force the interleavings they check (a call that moves its
 * caller to another CPU), so they need no timing and no luck.
 */
#include <quire/ktest.h>
#include <quire/smp.h>
#include <quire/sched.h>

struct on_each_probe {
	struct task_struct *caller;
	unsigned int caller_cpu;
	int moved;	    /* atomic: a remote call moved the caller */
	int runs[MAX_CPUS]; /* atomic: calls per CPU */
};

/*
 * Count the call on this CPU; the first remote call also makes the caller
 * (spinning in on_each_cpu() on its own CPU) movable only to this CPU, so
 * it is migrated at its next preemption point.
 */
static void count_and_pull_caller(void *arg)
{
	struct on_each_probe *p = arg;
	unsigned int cpu = smp_processor_id();
	struct cpumask here = cpumask_of(cpu);

	__atomic_fetch_add(&p->runs[cpu], 1, __ATOMIC_RELAXED);
	if (cpu != p->caller_cpu && !__atomic_exchange_n(&p->moved, 1, __ATOMIC_RELAXED))
		set_cpus_allowed_ptr(p->caller, &here);
}

static void on_each_cpu_pulled_to_cpu0(struct ktest *t)
{
	struct on_each_probe p = {.caller = current, .caller_cpu = 0};
	unsigned int cpu;

	on_each_cpu(count_and_pull_caller, &p, true);
	for_each_online_cpu(cpu) {
		int runs_on_cpu = __atomic_load_n(&p.runs[cpu], __ATOMIC_RELAXED);

		if (runs_on_cpu != 1)
			ktest_fail(t, __FILE__, __LINE__, "CPU %u ran the call %d times",
				   cpu, runs_on_cpu);
	}
}

/*
 * on_each_cpu() runs @func once on every online CPU, also when the caller
 * is asked to migrate while the remote calls run: the local call happens
 * on the CPU the remote ones skipped (preemption stays off throughout).
 */
static void on_each_cpu_runs_once_per_cpu_when_caller_is_moved(struct ktest *t)
{
	ktest_on_cpu(t, 0, on_each_cpu_pulled_to_cpu0);
}

static const struct ktest_case smp_cases[] = {
	KTEST_CASE(on_each_cpu_runs_once_per_cpu_when_caller_is_moved),
	KTEST_END,
};

static const struct ktest_suite smp_suite = {
	.name = "smp",
	.cases = smp_cases,
};
KTEST_SUITE(smp_suite);
