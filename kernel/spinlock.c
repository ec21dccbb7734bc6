/*
 * kernel/spinlock.c - ticket spinlocks.
 *
 * Layer: kernel. Provides: spin_lock() and friends (include/quire/spinlock.h).
 * A CPU takes a ticket (next++) and spins until owner reaches it: FIFO
 * fairness, so no CPU starves under contention. Holding a spinlock disables
 * preemption (preempt_count), so the holder is never switched out; each
 * acquisition is reported to lockdep (kernel/lockdep.c) under the lock's
 * class, its initialisation site.
 */
#include <quire/spinlock.h>
#include <quire/preempt.h>
#include <quire/lockdep.h>
#include <quire/bug.h>
#include <quire/sched_point.h>
#include <arch/irq.h>
#include <arch/cpu.h>

void __spin_lock_init(spinlock_t *lock, const char *name, struct lock_class_key *key)
{
	lock->next = 0;
	lock->owner = 0;
	lock->owner_cpu = -1;
	lock->name = name;
	lock->key = key;
}

static void ticket_spin_lock(spinlock_t *lock)
{
	u16 ticket = __atomic_fetch_add(&lock->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&lock->owner, __ATOMIC_ACQUIRE) != ticket)
		arch_cpu_relax();
	lock->owner_cpu = (int)arch_smp_processor_id();
}

static void ticket_spin_unlock(spinlock_t *lock)
{
	lock->owner_cpu = -1;
	__atomic_store_n(&lock->owner, (u16)(lock->owner + 1), __ATOMIC_RELEASE);
}

static const void *lock_key(spinlock_t *lock)
{
	return lock->key ? (const void *)lock->key : (const void *)lock;
}

static void do_spin_lock(spinlock_t *lock, unsigned long ip)
{
	preempt_disable();
	lock_acquire(lock, lock_key(lock), lock->name, false, ip);
	ticket_spin_lock(lock);
}

static void do_spin_unlock(spinlock_t *lock)
{
	lock_release(lock);
	ticket_spin_unlock(lock);
	preempt_enable();
	sched_point(SP_UNLOCK);
}

void spin_lock(spinlock_t *lock)
{
	do_spin_lock(lock, _THIS_IP_);
}

void spin_lock_nested(spinlock_t *lock, int subclass)
{
	preempt_disable();
	lock_acquire(lock, NULL, lock->name, true, _THIS_IP_);
	ticket_spin_lock(lock);
}

void spin_unlock(spinlock_t *lock)
{
	do_spin_unlock(lock);
}

bool spin_trylock(spinlock_t *lock)
{
	u16 owner = __atomic_load_n(&lock->owner, __ATOMIC_RELAXED);
	u16 expected = owner;

	preempt_disable();
	if (!__atomic_compare_exchange_n(&lock->next, &expected, (u16)(owner + 1), false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		preempt_enable();
		return false;
	}
	lock->owner_cpu = (int)arch_smp_processor_id();
	lock_acquire(lock, lock_key(lock), lock->name, true, _THIS_IP_);
	return true;
}

void spin_lock_irq(spinlock_t *lock)
{
	arch_local_irq_disable();
	do_spin_lock(lock, _THIS_IP_);
}

void spin_unlock_irq(spinlock_t *lock)
{
	lock_release(lock);
	ticket_spin_unlock(lock);
	arch_local_irq_enable();
	preempt_enable();
	sched_point(SP_UNLOCK);
}

unsigned long _spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags = arch_local_irq_save();

	do_spin_lock(lock, _THIS_IP_);
	return flags;
}

void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	lock_release(lock);
	ticket_spin_unlock(lock);
	arch_local_irq_restore(flags);
	preempt_enable();
	sched_point(SP_UNLOCK);
}

bool spin_is_locked(spinlock_t *lock)
{
	return __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&lock->next, __ATOMIC_RELAXED);
}

void lockdep_assert_held(spinlock_t *lock)
{
	WARN_ON_ONCE(!spin_is_locked(lock) ||
		     lock->owner_cpu != (int)arch_smp_processor_id());
}
