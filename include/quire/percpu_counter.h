/*
 * include/quire/percpu_counter.h - approximate counters with per-CPU
 * deltas, Linux's API.
 *
 * percpu_counter_add() changes only the caller's CPU slot until it exceeds
 * the batch, then folds it into the shared count under the lock.
 * percpu_counter_read() is the shared count (off by up to
 * batch * nr_cpus); percpu_counter_sum() adds every slot (exact when
 * nobody adds concurrently).
 */
#ifndef QUIRE_PERCPU_COUNTER_H
#define QUIRE_PERCPU_COUNTER_H

#include <quire/compiler.h>
#include <quire/platform.h>
#include <quire/gfp.h>
#include <quire/spinlock.h>

struct percpu_counter {
	raw_spinlock_t lock;		/* guards count when folding */
	s64 count;
	s32 counters[MAX_CPUS];		/* per-CPU deltas, touched with irqs off */
};

extern int percpu_counter_batch;

int percpu_counter_init(struct percpu_counter *fbc, s64 amount, gfp_t gfp);
void percpu_counter_destroy(struct percpu_counter *fbc);
void percpu_counter_set(struct percpu_counter *fbc, s64 amount);
void percpu_counter_add_batch(struct percpu_counter *fbc, s64 amount, s32 batch);
s64 percpu_counter_sum(struct percpu_counter *fbc);

static inline void percpu_counter_add(struct percpu_counter *fbc, s64 amount)
{
	percpu_counter_add_batch(fbc, amount, percpu_counter_batch);
}

static inline void percpu_counter_inc(struct percpu_counter *fbc)
{
	percpu_counter_add(fbc, 1);
}

static inline void percpu_counter_dec(struct percpu_counter *fbc)
{
	percpu_counter_add(fbc, -1);
}

static inline void percpu_counter_sub(struct percpu_counter *fbc, s64 amount)
{
	percpu_counter_add(fbc, -amount);
}

static inline s64 percpu_counter_read(struct percpu_counter *fbc)
{
	return __atomic_load_n(&fbc->count, __ATOMIC_RELAXED);
}

static inline s64 percpu_counter_read_positive(struct percpu_counter *fbc)
{
	s64 v = percpu_counter_read(fbc);

	return v > 0 ? v : 0;
}

static inline s64 percpu_counter_sum_positive(struct percpu_counter *fbc)
{
	s64 v = percpu_counter_sum(fbc);

	return v > 0 ? v : 0;
}

#endif
