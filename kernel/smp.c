/*
 * kernel/smp.c - secondary CPU bring-up, IPIs, cross-CPU function calls,
 * the `cpus` shell command.
 *
 * Layer: kernel. Provides: include/quire/smp.h, start_secondary() and
 * handle_ipi() (include/arch/cpu.h).
 *
 * smp_call_function_single() queues an on-stack call on the target's
 * call_queue, sends IPI_CALL_FUNCTION and spins until the target ran it.
 * Calls are always synchronous (Quire's callers all wait). Two CPUs that
 * call each other with interrupts off would deadlock: callers must have
 * interrupts on (Context lines).
 *
 * Locking: call_queue[cpu].lock (raw, irqsave) guards its list.
 */
#include <quire/smp.h>
#include <quire/sched.h>
#include <quire/timer.h>
#include <quire/jiffies.h>
#include <quire/shell.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/time.h>
#include "sched_internal.h"

struct cpumask cpu_online_mask;

struct call_single_data {
	struct list_head list;
	smp_call_func_t func;
	void *info;
	int done;			/* set by the target, release */
};

struct call_queue {
	raw_spinlock_t lock;
	struct list_head list;
} __aligned(64);

static struct call_queue call_queues[MAX_CPUS];

struct cpumask cpumask_of_node(int nid)
{
	struct cpumask m = CPU_MASK_NONE;

	for (unsigned int cpu = 0; cpu < num_possible_cpus(); cpu++)
		if (cpu_to_node(cpu) == nid)
			m.bits |= 1ULL << cpu;
	return m;
}

unsigned int get_cpu(void)
{
	preempt_disable();
	return arch_smp_processor_id();
}

void put_cpu(void)
{
	preempt_enable();
}

static void call_queues_init(void)
{
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		raw_spin_lock_init(&call_queues[cpu].lock);
		INIT_LIST_HEAD(&call_queues[cpu].list);
	}
}

/* Run the calls queued for this CPU. Context: hard interrupt. */
void smp_call_ipi(void)
{
	struct call_queue *q = &call_queues[arch_smp_processor_id()];
	struct call_single_data *csd;

	for (;;) {
		raw_spin_lock(&q->lock);
		csd = list_first_entry_or_null(&q->list, struct call_single_data, list);
		if (csd)
			list_del(&csd->list);
		raw_spin_unlock(&q->lock);
		if (!csd)
			return;
		csd->func(csd->info);
		__atomic_store_n(&csd->done, 1, __ATOMIC_RELEASE);
	}
}

void handle_ipi(enum ipi_type type)
{
	if (type == IPI_RESCHEDULE)
		scheduler_ipi();
	else if (type == IPI_CALL_FUNCTION)
		smp_call_ipi();
}

static void queue_call(unsigned int cpu, struct call_single_data *csd)
{
	struct call_queue *q = &call_queues[cpu];
	unsigned long flags = arch_local_irq_save();

	raw_spin_lock(&q->lock);
	list_add_tail(&csd->list, &q->list);
	raw_spin_unlock(&q->lock);
	arch_local_irq_restore(flags);
	arch_send_ipi(cpu, IPI_CALL_FUNCTION);
}

static void wait_call(struct call_single_data *csd)
{
	while (!__atomic_load_n(&csd->done, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
}

static void run_here(smp_call_func_t func, void *info)
{
	unsigned long flags = arch_local_irq_save();

	func(info);
	arch_local_irq_restore(flags);
}

int smp_call_function_single(unsigned int cpu, smp_call_func_t func,
			     void *info, bool wait)
{
	struct call_single_data csd = { .func = func, .info = info };

	if (cpu >= MAX_CPUS || !cpu_online(cpu))
		return -ENXIO;
	WARN_ON_ONCE(arch_irqs_disabled());
	preempt_disable();
	if (cpu == arch_smp_processor_id()) {
		run_here(func, info);
	} else {
		queue_call(cpu, &csd);
		wait_call(&csd);
	}
	preempt_enable();
	return 0;
}

void smp_call_function_many(const struct cpumask *mask, smp_call_func_t func,
			    void *info, bool wait)
{
	struct call_single_data csd[MAX_CPUS];
	unsigned int cpu, self;

	WARN_ON_ONCE(arch_irqs_disabled());
	preempt_disable();
	self = arch_smp_processor_id();
	for_each_online_cpu(cpu) {
		if (cpu == self || !cpumask_test_cpu(cpu, mask))
			continue;
		csd[cpu] = (struct call_single_data){ .func = func, .info = info };
		queue_call(cpu, &csd[cpu]);
	}
	for_each_online_cpu(cpu)
		if (cpu != self && cpumask_test_cpu(cpu, mask))
			wait_call(&csd[cpu]);
	preempt_enable();
}

/*
 * As Linux's on_each_cpu_cond_mask(): preemption stays off from the remote
 * calls to the local one, so the caller cannot be moved in between to a
 * CPU that already ran @func (running it twice there, never on the first).
 */
void on_each_cpu(smp_call_func_t func, void *info, bool wait)
{
	preempt_disable();
	smp_call_function_many(&cpu_online_mask, func, info, wait);
	run_here(func, info);
	preempt_enable();
}

void start_secondary(unsigned int cpu)
{
	arch_local_irq_disable();
	sched_init_secondary(cpu);
	cpumask_set_cpu(cpu, &cpu_online_mask);
	arch_timer_start(HZ);
	arch_local_irq_enable();
	cpu_idle_loop();
}

static int boot_one(unsigned int cpu)
{
	void *stack = alloc_thread_stack();
	u64 deadline;
	int err;

	if (!stack)
		return -ENOMEM;
	err = arch_boot_secondary(cpu, stack, THREAD_SIZE);
	if (err)
		return err;	/* the stack may be in use by a half-up CPU: keep it */
	deadline = arch_clock_ns() + 2000000000ULL;
	while (!cpu_online(cpu)) {
		if (arch_clock_ns() > deadline)
			return -ETIMEDOUT;
		arch_cpu_relax();
	}
	return 0;
}

void smp_init(void)
{
	/* The boot CPU's tick (idempotent if arch_init_late() started it). */
	arch_timer_start(HZ);
	for (unsigned int cpu = 1; cpu < num_possible_cpus(); cpu++) {
		int err = boot_one(cpu);

		if (err)
			pr_err("smp: CPU %u did not come up: %s\n", cpu, errname(err));
	}
	pr_info("smp: %u of %u CPUs online\n", num_online_cpus(), num_possible_cpus());
}

/* Called by sched_init() before anything can IPI. */
void smp_prepare(void)
{
	call_queues_init();
}

static int cmd_cpus(int argc, char **argv)
{
	if (argc != 1) {
		shell_error(argv[0], "usage: cpus");
		return -EINVAL;
	}
	cprintf("CPU  APIC  NODE  STATE\n");
	for (unsigned int cpu = 0; cpu < num_possible_cpus(); cpu++)
		cprintf("%-4u %-5u %-5d %s\n", cpu, platform.cpu_hwid[cpu],
			cpu_to_node(cpu), cpu_online(cpu) ? "online" : "offline");
	return 0;
}
SHELL_COMMAND(cpus, "cpus", "cpus", "list CPUs: id, APIC id, NUMA node, state", cmd_cpus);
