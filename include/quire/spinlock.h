/*
 * include/quire/spinlock.h - spinlocks, Linux's API.
 *
 * A ticket lock: FIFO fair across CPUs. spin_lock() disables preemption
 * for as long as it is held (the scheduler's preempt_count; see
 * include/quire/preempt.h); the _irqsave/_irq variants also mask local
 * interrupts. Never sleep holding one. With the lock-order checker on
 * (lockdep, kernel/lockdep.c) every acquisition is recorded against the
 * lock's class (its initialisation site).
 */
#ifndef QUIRE_SPINLOCK_H
#define QUIRE_SPINLOCK_H

#include <quire/compiler.h>
#include <arch/irq.h>
#include <arch/cpu.h>
#include <quire/sched_point.h>

struct lock_class_key {
	char dummy;		/* a unique address per initialisation site */
};

/*
 * raw_spinlock_t: the bare ticket lock, for the scheduler's own locks
 * (run queues, task wake-ups, timer bases) which are held across a
 * context switch or inside lockdep. No preemption count, no lockdep.
 * Callers disable interrupts themselves.
 */
typedef struct raw_spinlock {
	u16 next;
	u16 owner;
} raw_spinlock_t;

#define __RAW_SPIN_LOCK_UNLOCKED { 0, 0 }
#define DEFINE_RAW_SPINLOCK(x) raw_spinlock_t x = __RAW_SPIN_LOCK_UNLOCKED

static inline void raw_spin_lock_init(raw_spinlock_t *lock)
{
	lock->next = 0;
	lock->owner = 0;
}

static inline void raw_spin_lock(raw_spinlock_t *lock)
{
	u16 ticket = __atomic_fetch_add(&lock->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&lock->owner, __ATOMIC_ACQUIRE) != ticket)
		arch_cpu_relax();
}

static inline void raw_spin_unlock(raw_spinlock_t *lock)
{
	__atomic_store_n(&lock->owner, (u16)(lock->owner + 1), __ATOMIC_RELEASE);
	sched_point(SP_UNLOCK);
}

static inline bool raw_spin_is_locked(raw_spinlock_t *lock)
{
	return __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&lock->next, __ATOMIC_RELAXED);
}

typedef struct spinlock {
	u16 next;		/* next ticket to hand out */
	u16 owner;		/* ticket now holding the lock */
	int owner_cpu;		/* for debugging; -1 when free */
	const char *name;	/* lock class name for lockdep and ps */
	struct lock_class_key *key;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(lockname) \
	{ .next = 0, .owner = 0, .owner_cpu = -1, .name = #lockname, .key = NULL }
#define DEFINE_SPINLOCK(x) spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

void __spin_lock_init(spinlock_t *lock, const char *name, struct lock_class_key *key);
#define spin_lock_init(lock) do {				\
	static struct lock_class_key __key;			\
	__spin_lock_init(lock, #lock, &__key);			\
} while (0)

void spin_lock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);
bool spin_trylock(spinlock_t *lock);
void spin_lock_irq(spinlock_t *lock);
void spin_unlock_irq(spinlock_t *lock);
unsigned long _spin_lock_irqsave(spinlock_t *lock);
void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);
#define spin_lock_irqsave(lock, flags) ((flags) = _spin_lock_irqsave(lock))
bool spin_is_locked(spinlock_t *lock);

/* Cheap check in test builds: WARN unless this CPU holds @lock. */
void lockdep_assert_held(spinlock_t *lock);

/* Nested acquisition of two locks of one class, in a fixed order the
 * caller guarantees (Linux's spin_lock_nested): lockdep does not record
 * the dependency. */
void spin_lock_nested(spinlock_t *lock, int subclass);

#endif
