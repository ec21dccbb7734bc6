/*
 * kernel/rwsem.c - reader/writer semaphores (Linux's rwsem API).
 *
 * Layer: kernel. Provides: include/quire/rwsem.h.
 * count > 0: that many readers hold it; -1: a writer does; 0: free.
 * Fairness: a newcomer queues whenever anybody waits, and hand-off wakes
 * the head of the queue: one writer, or the run of readers before the next
 * writer. So a writer waits at most for the readers ahead of it.
 *
 * Locking: wait_lock (raw, interrupts off) guards count, owner, wait_list.
 * Waiters live on their stacks; grants take a task reference (as mutex.c).
 */
#include <quire/rwsem.h>
#include <quire/sched.h>
#include <quire/lockdep.h>
#include <quire/bug.h>
#include <arch/irq.h>

struct rwsem_waiter {
	struct list_head list;
	struct task_struct *task;
	bool writer;
	bool granted;
};

void __init_rwsem(struct rw_semaphore *sem, const char *name,
		  struct lock_class_key *key)
{
	sem->count = 0;
	sem->owner = NULL;
	raw_spin_lock_init(&sem->wait_lock);
	INIT_LIST_HEAD(&sem->wait_list);
	sem->name = name;
	sem->key = key;
}

static const void *rwsem_key(struct rw_semaphore *sem)
{
	return sem->key ? (const void *)sem->key : (const void *)sem;
}

static void grant(struct rwsem_waiter *w, struct task_struct **wake, int *nr)
{
	list_del(&w->list);
	get_task_struct(w->task);
	wake[(*nr)++] = w->task;
	WRITE_ONCE(w->granted, true);
}

/* Hand the free (or reader-held) semaphore to the head of the queue.
 * Fills @wake with tasks to wake after dropping wait_lock. */
static int rwsem_mark_wake(struct rw_semaphore *sem, struct task_struct **wake,
			   int max)
{
	struct rwsem_waiter *w, *tmp;
	int nr = 0;

	w = list_first_entry_or_null(&sem->wait_list, struct rwsem_waiter, list);
	if (!w)
		return 0;
	if (w->writer) {
		if (sem->count == 0) {
			sem->count = -1;
			sem->owner = w->task;
			grant(w, wake, &nr);
		}
		return nr;
	}
	list_for_each_entry_safe(w, tmp, &sem->wait_list, list) {
		if (w->writer || nr == max)
			break;
		sem->count++;
		grant(w, wake, &nr);
	}
	return nr;
}

static void wake_granted(struct task_struct **wake, int nr)
{
	for (int i = 0; i < nr; i++) {
		wake_up_process(wake[i]);
		put_task_struct(wake[i]);
	}
}

/* Queue and sleep until granted. wait_lock held, irqs off. */
static void rwsem_wait(struct rw_semaphore *sem, bool writer)
{
	struct rwsem_waiter w = { .task = current, .writer = writer };

	list_add_tail(&w.list, &sem->wait_list);
	current->wait_what = sem->name;
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (READ_ONCE(w.granted))
			break;
		raw_spin_unlock(&sem->wait_lock);
		schedule();
		raw_spin_lock(&sem->wait_lock);
	}
	__set_current_state(TASK_RUNNING);
	current->wait_what = NULL;
}

void down_read(struct rw_semaphore *sem)
{
	unsigned long flags;

	lock_acquire(sem, rwsem_key(sem), sem->name, false, _THIS_IP_);
	flags = arch_local_irq_save();
	raw_spin_lock(&sem->wait_lock);
	if (sem->count >= 0 && list_empty(&sem->wait_list))
		sem->count++;
	else
		rwsem_wait(sem, false);
	raw_spin_unlock(&sem->wait_lock);
	arch_local_irq_restore(flags);
}

void down_write(struct rw_semaphore *sem)
{
	unsigned long flags;

	lock_acquire(sem, rwsem_key(sem), sem->name, false, _THIS_IP_);
	flags = arch_local_irq_save();
	raw_spin_lock(&sem->wait_lock);
	if (sem->count == 0 && list_empty(&sem->wait_list)) {
		sem->count = -1;
		sem->owner = current;
	} else {
		rwsem_wait(sem, true);
	}
	raw_spin_unlock(&sem->wait_lock);
	arch_local_irq_restore(flags);
}

static int rwsem_trylock(struct rw_semaphore *sem, bool writer)
{
	unsigned long flags = arch_local_irq_save();
	int ret = 0;

	raw_spin_lock(&sem->wait_lock);
	if (writer && sem->count == 0) {
		sem->count = -1;
		sem->owner = current;
		ret = 1;
	} else if (!writer && sem->count >= 0 && list_empty(&sem->wait_list)) {
		sem->count++;
		ret = 1;
	}
	raw_spin_unlock(&sem->wait_lock);
	arch_local_irq_restore(flags);
	if (ret)
		lock_acquire(sem, rwsem_key(sem), sem->name, true, _THIS_IP_);
	return ret;
}

int down_read_trylock(struct rw_semaphore *sem)
{
	return rwsem_trylock(sem, false);
}

int down_write_trylock(struct rw_semaphore *sem)
{
	return rwsem_trylock(sem, true);
}

#define RWSEM_WAKE_BATCH 32

/* Release by a reader (writer = false) or the writer; hand it on. */
static void rwsem_release(struct rw_semaphore *sem, bool writer)
{
	struct task_struct *wake[RWSEM_WAKE_BATCH];
	unsigned long flags;
	int nr = 0;

	lock_release(sem);
	flags = arch_local_irq_save();
	raw_spin_lock(&sem->wait_lock);
	if (writer) {
		WARN_ON(sem->count != -1);
		sem->count = 0;
		sem->owner = NULL;
	} else {
		WARN_ON(sem->count <= 0);
		sem->count--;
	}
	if (sem->count == 0)
		nr = rwsem_mark_wake(sem, wake, RWSEM_WAKE_BATCH);
	raw_spin_unlock(&sem->wait_lock);
	arch_local_irq_restore(flags);
	wake_granted(wake, nr);
}

void up_read(struct rw_semaphore *sem)
{
	rwsem_release(sem, false);
}

void up_write(struct rw_semaphore *sem)
{
	rwsem_release(sem, true);
}

void downgrade_write(struct rw_semaphore *sem)
{
	struct task_struct *wake[RWSEM_WAKE_BATCH];
	unsigned long flags = arch_local_irq_save();
	struct rwsem_waiter *w;
	int nr = 0;

	raw_spin_lock(&sem->wait_lock);
	WARN_ON(sem->count != -1);
	sem->count = 1;
	sem->owner = NULL;
	w = list_first_entry_or_null(&sem->wait_list, struct rwsem_waiter, list);
	if (w && !w->writer)
		nr = rwsem_mark_wake(sem, wake, RWSEM_WAKE_BATCH);
	raw_spin_unlock(&sem->wait_lock);
	arch_local_irq_restore(flags);
	wake_granted(wake, nr);
}

bool rwsem_is_locked(struct rw_semaphore *sem)
{
	return READ_ONCE(sem->count) != 0;
}
