/*
 * kernel/percpu_counter.c - per-CPU counters (Linux's lib/percpu_counter.c).
 *
 * Layer: kernel. Provides: include/quire/percpu_counter.h.
 * Locking: a CPU's slot is changed only by that CPU with interrupts off;
 * fbc->lock (raw, irqs off) guards folding slots into count and sums.
 */
#include <quire/percpu_counter.h>
#include <quire/smp.h>
#include <arch/irq.h>

int percpu_counter_batch = 32;

int percpu_counter_init(struct percpu_counter *fbc, s64 amount, gfp_t gfp)
{
	raw_spin_lock_init(&fbc->lock);
	fbc->count = amount;
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		fbc->counters[cpu] = 0;
	return 0;
}

void percpu_counter_destroy(struct percpu_counter *fbc)
{
}

void percpu_counter_set(struct percpu_counter *fbc, s64 amount)
{
	unsigned long flags = arch_local_irq_save();

	raw_spin_lock(&fbc->lock);
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		__atomic_store_n(&fbc->counters[cpu], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fbc->count, amount, __ATOMIC_RELAXED);
	raw_spin_unlock(&fbc->lock);
	arch_local_irq_restore(flags);
}

void percpu_counter_add_batch(struct percpu_counter *fbc, s64 amount, s32 batch)
{
	unsigned long flags = arch_local_irq_save();
	s32 *slot = &fbc->counters[arch_smp_processor_id()];
	s64 v = __atomic_load_n(slot, __ATOMIC_RELAXED) + amount;

	if (v >= batch || v <= -batch) {
		raw_spin_lock(&fbc->lock);
		__atomic_store_n(&fbc->count, fbc->count + v, __ATOMIC_RELAXED);
		__atomic_store_n(slot, 0, __ATOMIC_RELAXED);
		raw_spin_unlock(&fbc->lock);
	} else {
		__atomic_store_n(slot, (s32)v, __ATOMIC_RELAXED);
	}
	arch_local_irq_restore(flags);
}

s64 percpu_counter_sum(struct percpu_counter *fbc)
{
	unsigned long flags = arch_local_irq_save();
	s64 ret;

	raw_spin_lock(&fbc->lock);
	ret = fbc->count;
	for (int cpu = 0; cpu < MAX_CPUS; cpu++)
		ret += __atomic_load_n(&fbc->counters[cpu], __ATOMIC_RELAXED);
	raw_spin_unlock(&fbc->lock);
	arch_local_irq_restore(flags);
	return ret;
}
