/*
 * include/quire/atomic.h - atomic_t and atomic64_t, Linux's API on GCC's
 * __atomic builtins.
 *
 * Ordering: plain reads/sets are relaxed; operations that return a value
 * (atomic_*_return, atomic_cmpxchg, atomic_xchg, atomic_dec_and_test) are
 * fully ordered, as in Linux. smp_mb() and friends are full fences.
 *
 * Every read-modify-write is followed by sched_point(SP_ATOMIC): with
 * seeded preemption points on, another CPU may run (or the task be
 * preempted) right after it (include/quire/sched_point.h).
 */
#ifndef QUIRE_ATOMIC_H
#define QUIRE_ATOMIC_H

#include <quire/compiler.h>
#include <quire/sched_point.h>

typedef struct { int counter; } atomic_t;
typedef struct { s64 counter; } atomic64_t;

#define ATOMIC_INIT(i)	{ (i) }
#define ATOMIC64_INIT(i) { (i) }

/* A locked read-modify-write of a stack slot: a full barrier on x86 (as
 * Linux's smp_mb()), and unlike a fence understood by ThreadSanitizer. */
#define smp_mb() do {							\
	int __mb_slot = 0;						\
	__atomic_fetch_add(&__mb_slot, 0, __ATOMIC_SEQ_CST);		\
} while (0)
/* x86 is TSO: loads are not reordered with loads, stores with stores. */
#define smp_rmb()	barrier()
#define smp_wmb()	barrier()
#define smp_load_acquire(p)	__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)

#define __ATOMIC_OPS(pfx, type, ctype)                                                   \
	static inline ctype pfx##_read(const type *v)                                    \
	{                                                                                \
		return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);                   \
	}                                                                                \
	static inline void pfx##_set(type *v, ctype i)                                   \
	{                                                                                \
		__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);                      \
	}                                                                                \
	static inline void pfx##_add(ctype i, type *v)                                   \
	{                                                                                \
		__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);                    \
		sched_point(SP_ATOMIC);                                                  \
	}                                                                                \
	static inline void pfx##_sub(ctype i, type *v)                                   \
	{                                                                                \
		__atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED);                    \
		sched_point(SP_ATOMIC);                                                  \
	}                                                                                \
	static inline void pfx##_inc(type *v)                                            \
	{                                                                                \
		pfx##_add(1, v);                                                         \
	}                                                                                \
	static inline void pfx##_dec(type *v)                                            \
	{                                                                                \
		pfx##_sub(1, v);                                                         \
	}                                                                                \
	static inline ctype pfx##_add_return(ctype i, type *v)                           \
	{                                                                                \
		ctype r = __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);          \
		sched_point(SP_ATOMIC);                                                  \
		return r;                                                                \
	}                                                                                \
	static inline ctype pfx##_sub_return(ctype i, type *v)                           \
	{                                                                                \
		ctype r = __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST);          \
		sched_point(SP_ATOMIC);                                                  \
		return r;                                                                \
	}                                                                                \
	static inline ctype pfx##_fetch_add(ctype i, type *v)                            \
	{                                                                                \
		ctype r = __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST);          \
		sched_point(SP_ATOMIC);                                                  \
		return r;                                                                \
	}                                                                                \
	static inline ctype pfx##_inc_return(type *v)                                    \
	{                                                                                \
		return pfx##_add_return(1, v);                                           \
	}                                                                                \
	static inline ctype pfx##_dec_return(type *v)                                    \
	{                                                                                \
		return pfx##_sub_return(1, v);                                           \
	}                                                                                \
	static inline bool pfx##_dec_and_test(type *v)                                   \
	{                                                                                \
		return pfx##_sub_return(1, v) == 0;                                      \
	}                                                                                \
	static inline bool pfx##_inc_and_test(type *v)                                   \
	{                                                                                \
		return pfx##_add_return(1, v) == 0;                                      \
	}                                                                                \
	static inline ctype pfx##_xchg(type *v, ctype n)                                 \
	{                                                                                \
		ctype r = __atomic_exchange_n(&v->counter, n, __ATOMIC_SEQ_CST);         \
		sched_point(SP_ATOMIC);                                                  \
		return r;                                                                \
	}                                                                                \
	static inline ctype pfx##_cmpxchg(type *v, ctype old, ctype n)                   \
	{                                                                                \
		__atomic_compare_exchange_n(&v->counter, &old, n, false,                 \
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);         \
		sched_point(SP_ATOMIC);                                                  \
		return old;                                                              \
	}                                                                                \
	static inline bool pfx##_try_cmpxchg(type *v, ctype *old, ctype n)               \
	{                                                                                \
		bool r = __atomic_compare_exchange_n(                                    \
			&v->counter, old, n, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
		sched_point(SP_ATOMIC);                                                  \
		return r;                                                                \
	}

__ATOMIC_OPS(atomic, atomic_t, int)
__ATOMIC_OPS(atomic64, atomic64_t, s64)
#undef __ATOMIC_OPS

/* Bit operations on an unsigned long word (Linux's set_bit family). */
static inline bool test_and_set_bit(unsigned int nr, unsigned long *addr)
{
	bool r = __atomic_fetch_or(addr, 1UL << nr, __ATOMIC_SEQ_CST) & (1UL << nr);

	sched_point(SP_ATOMIC);
	return r;
}

static inline bool test_and_clear_bit(unsigned int nr, unsigned long *addr)
{
	bool r = __atomic_fetch_and(addr, ~(1UL << nr), __ATOMIC_SEQ_CST) & (1UL << nr);

	sched_point(SP_ATOMIC);
	return r;
}

static inline void set_bit(unsigned int nr, unsigned long *addr)
{
	__atomic_fetch_or(addr, 1UL << nr, __ATOMIC_SEQ_CST);
	sched_point(SP_ATOMIC);
}

static inline void clear_bit(unsigned int nr, unsigned long *addr)
{
	__atomic_fetch_and(addr, ~(1UL << nr), __ATOMIC_SEQ_CST);
	sched_point(SP_ATOMIC);
}

static inline bool test_bit(unsigned int nr, const unsigned long *addr)
{
	return __atomic_load_n(addr, __ATOMIC_ACQUIRE) & (1UL << nr);
}

#endif
