/*
 * include/quire/smp.h - CPU numbering, CPU masks, cross-CPU function calls.
 *
 * A struct cpumask is a bitmap of MAX_CPUS (64) CPUs. cpu_online_mask has
 * a bit for every CPU that runs the scheduler. smp_call_function_single()
 * runs a function on another CPU in interrupt context and waits for it.
 */
#ifndef QUIRE_SMP_H
#define QUIRE_SMP_H

#include <quire/bitops.h>
#include <quire/compiler.h>
#include <quire/platform.h>
#include <arch/cpu.h>

struct cpumask {
	u64 bits;
};

#define CPU_MASK_NONE	((struct cpumask){ 0 })
#define CPU_MASK_ALL	((struct cpumask){ ~0ULL })

static inline bool cpumask_test_cpu(unsigned int cpu, const struct cpumask *m)
{
	return cpu < MAX_CPUS && (__atomic_load_n(&m->bits, __ATOMIC_ACQUIRE) >> cpu) & 1;
}

static inline void cpumask_set_cpu(unsigned int cpu, struct cpumask *m)
{
	__atomic_fetch_or(&m->bits, 1ULL << cpu, __ATOMIC_SEQ_CST);
}

static inline void cpumask_clear_cpu(unsigned int cpu, struct cpumask *m)
{
	__atomic_fetch_and(&m->bits, ~(1ULL << cpu), __ATOMIC_SEQ_CST);
}

static inline struct cpumask cpumask_of(unsigned int cpu)
{
	return (struct cpumask){ 1ULL << cpu };
}

static inline unsigned int cpumask_weight(const struct cpumask *m)
{
	return hweight64(__atomic_load_n(&m->bits, __ATOMIC_RELAXED));
}

static inline bool cpumask_empty(const struct cpumask *m)
{
	return __atomic_load_n(&m->bits, __ATOMIC_RELAXED) == 0;
}

#define for_each_cpu(cpu, mask)						\
	for ((cpu) = 0; (cpu) < MAX_CPUS; (cpu)++)			\
		if (cpumask_test_cpu(cpu, mask))

extern struct cpumask cpu_online_mask;

#define for_each_online_cpu(cpu) for_each_cpu(cpu, &cpu_online_mask)
#define for_each_possible_cpu(cpu)					\
	for ((cpu) = 0; (cpu) < num_possible_cpus(); (cpu)++)

static inline bool cpu_online(unsigned int cpu)
{
	return cpumask_test_cpu(cpu, &cpu_online_mask);
}

static inline unsigned int num_online_cpus(void)
{
	return cpumask_weight(&cpu_online_mask);
}

/* The CPUs of NUMA node @nid. */
struct cpumask cpumask_of_node(int nid);

/* Caller's CPU. Stable only with preemption or interrupts off. */
#define smp_processor_id()	arch_smp_processor_id()
#define raw_smp_processor_id()	arch_smp_processor_id()
unsigned int get_cpu(void);	/* preempt_disable() + id */

/* NUMA node of the caller's CPU (Linux's numa_node_id()). Same stability
 * rule as smp_processor_id(). */
static inline int numa_node_id(void)
{
	return cpu_to_node(arch_smp_processor_id());
}
void put_cpu(void);

typedef void (*smp_call_func_t)(void *info);

/* Run @func(@info) on @cpu (in interrupt context there, or directly when
 * @cpu is the caller's); wait for it to finish when @wait. 0, or -ENXIO
 * when @cpu is offline. Context: process, interrupts on. */
int smp_call_function_single(unsigned int cpu, smp_call_func_t func,
			     void *info, bool wait);
/* Run @func on every online CPU in @mask except the caller's. */
void smp_call_function_many(const struct cpumask *mask, smp_call_func_t func,
			    void *info, bool wait);
/* ... and on the caller's too. */
void on_each_cpu(smp_call_func_t func, void *info, bool wait);

/* Boot the secondary CPUs (kernel/main.c, after arch_init_late()). */
void smp_init(void);

#endif
