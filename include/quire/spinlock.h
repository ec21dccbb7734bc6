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

struct lock_class_key;

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
	static struct lock_class_key *__key_anchor;		\
	__spin_lock_init(lock, #lock, (struct lock_class_key *)&__key_anchor); \
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

#endif
