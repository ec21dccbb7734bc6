/*
 * kernel/topology_test.c - KTAP suite `topology`: the CPU and NUMA identity
 * helpers agree with what the platform reported.
 *
 * Each case binds the test thread to one CPU at a time (which also proves
 * affinity and migration work), then checks smp_processor_id(),
 * cpu_to_node() and numa_node_id() there.
 */
#include <quire/ktest.h>
#include <quire/smp.h>
#include <quire/sched.h>
#include <quire/platform.h>
#include <quire/preempt.h>

static void numa_node_id_matches_the_cpu_it_runs_on(struct ktest *t)
{
	struct cpumask saved = current->cpus_allowed;
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		struct cpumask only = cpumask_of(cpu);
		unsigned int here;
		int node;

		KTEST_ASSERT_EQ(t, set_cpus_allowed_ptr(current, &only), 0);
		preempt_disable();
		here = smp_processor_id();
		node = numa_node_id();
		preempt_enable();
		KTEST_EXPECT_EQ(t, here, cpu);
		KTEST_EXPECT_EQ(t, node, platform.cpu_node[cpu]);
		KTEST_EXPECT_EQ(t, cpu_to_node(cpu), platform.cpu_node[cpu]);
		KTEST_EXPECT_LT(t, node, (int)platform.nr_nodes);
	}
	set_cpus_allowed_ptr(current, &saved);
}

static void every_node_lists_its_cpus(struct ktest *t)
{
	unsigned int cpu, total = 0;

	for (int nid = 0; nid < (int)platform.nr_nodes; nid++) {
		struct cpumask m = cpumask_of_node(nid);

		for_each_cpu(cpu, &m) {
			KTEST_EXPECT_EQ(t, cpu_to_node(cpu), nid);
			total++;
		}
	}
	KTEST_EXPECT_EQ(t, total, platform.nr_cpus);
}

static const struct ktest_case topology_cases[] = {
	KTEST_CASE(numa_node_id_matches_the_cpu_it_runs_on),
	KTEST_CASE(every_node_lists_its_cpus),
	KTEST_END,
};

static const struct ktest_suite topology_suite = {
	.name = "topology",
	.cases = topology_cases,
};
KTEST_SUITE(topology_suite);
