/*
 * kernel/mutex.c - sleeping mutual exclusion (Linux's mutex API).
 *
 * Layer: kernel. Provides: include/quire/mutex.h.
 * Contenders queue FIFO on wait_list and sleep; mutex_unlock() hands the
 * mutex directly to the first waiter (owner = waiter, granted = true), so
 * no waiter starves and no newcomer can barge in. (Linux spins
 * optimistically and lets newcomers steal; Quire keeps the simple, fair
 * hand-off.)
 *
 * Locking: wait_lock (raw, interrupts off) guards owner and wait_list. A
 * waiter's struct lives on its stack; the unlocker takes a task reference
 * before granting, because the waiter may return at once.
 */
#include <quire/mutex.h>
#include <quire/sched.h>
#include <quire/lockdep.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include <arch/irq.h>

struct mutex_waiter {
	struct list_head list;
	struct task_struct *task;
	bool granted;			/* owner was set to task; wait_lock */
};

void __mutex_init(struct mutex *lock, const char *name, struct lock_class_key *key)
{
	lock->owner = NULL;
	raw_spin_lock_init(&lock->wait_lock);
	INIT_LIST_HEAD(&lock->wait_list);
	lock->name = name;
	lock->key = key;
}

static const void *mutex_key(struct mutex *lock)
{
	return lock->key ? (const void *)lock->key : (const void *)lock;
}

static void might_sleep_check(const char *what)
{
	if (unlikely(preempt_count()))
		pr_err("BUG: sleeping %s in atomic context (preempt_count %#x)\n", what,
		       preempt_count());
}

/* Sleep until the unlocker granted us the mutex. wait_lock held, irqs off;
 * both as on entry on return. */
static void mutex_wait(struct mutex *lock, struct mutex_waiter *w)
{
	struct task_struct *t = current;

	list_add_tail(&w->list, &lock->wait_list);
	t->wait_what = lock->name;
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (READ_ONCE(w->granted))
			break;
		raw_spin_unlock(&lock->wait_lock);
		schedule();
		raw_spin_lock(&lock->wait_lock);
	}
	__set_current_state(TASK_RUNNING);
	t->wait_what = NULL;
}

void mutex_lock(struct mutex *lock)
{
	struct mutex_waiter w = { .task = current };
	unsigned long flags;

	might_sleep_check("mutex_lock");
	lock_acquire(lock, mutex_key(lock), lock->name, false, _THIS_IP_);
	flags = arch_local_irq_save();
	raw_spin_lock(&lock->wait_lock);
	if (!lock->owner)
		lock->owner = current;
	else
		mutex_wait(lock, &w);
	raw_spin_unlock(&lock->wait_lock);
	arch_local_irq_restore(flags);
}

int mutex_lock_interruptible(struct mutex *lock)
{
	mutex_lock(lock);
	return 0;
}

int mutex_trylock(struct mutex *lock)
{
	unsigned long flags = arch_local_irq_save();
	int ret = 0;

	raw_spin_lock(&lock->wait_lock);
	if (!lock->owner) {
		lock->owner = current;
		ret = 1;
	}
	raw_spin_unlock(&lock->wait_lock);
	arch_local_irq_restore(flags);
	if (ret)
		lock_acquire(lock, mutex_key(lock), lock->name, true, _THIS_IP_);
	return ret;
}

void mutex_unlock(struct mutex *lock)
{
	struct mutex_waiter *w;
	struct task_struct *next = NULL;
	unsigned long flags;

	if (WARN_ON(READ_ONCE(lock->owner) != current))
		pr_err("mutex_unlock(%s) by %s, owner %s\n", lock->name, current->comm,
		       lock->owner ? lock->owner->comm : "none");
	lock_release(lock);
	flags = arch_local_irq_save();
	raw_spin_lock(&lock->wait_lock);
	w = list_first_entry_or_null(&lock->wait_list, struct mutex_waiter, list);
	if (w) {
		list_del(&w->list);
		next = w->task;
		get_task_struct(next);
		lock->owner = next;
		WRITE_ONCE(w->granted, true);
	} else {
		lock->owner = NULL;
	}
	raw_spin_unlock(&lock->wait_lock);
	arch_local_irq_restore(flags);
	if (next) {
		wake_up_process(next);
		put_task_struct(next);
	}
}

bool mutex_is_locked(struct mutex *lock)
{
	return READ_ONCE(lock->owner) != NULL;
}

bool mutex_is_owner(struct mutex *lock)
{
	return READ_ONCE(lock->owner) == current;
}
