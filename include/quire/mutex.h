/*
 * include/quire/mutex.h - sleeping locks, Linux's API.
 *
 * One owner at a time; contenders sleep (TASK_UNINTERRUPTIBLE) in FIFO
 * order on the mutex's wait list. Only the owner may unlock (a WARN
 * otherwise). Never from interrupt context, never recursively.
 */
#ifndef QUIRE_MUTEX_H
#define QUIRE_MUTEX_H

#include <quire/compiler.h>
#include <quire/list.h>
#include <quire/spinlock.h>

struct task_struct;

struct mutex {
	struct task_struct *owner;	/* NULL when free; written under wait_lock */
	raw_spinlock_t wait_lock;	/* guards owner and wait_list; irqs off */
	struct list_head wait_list;	/* struct mutex_waiter, FIFO */
	const char *name;
	struct lock_class_key *key;
};

#define __MUTEX_INITIALIZER(lockname) {					\
	.owner = NULL, .wait_lock = __RAW_SPIN_LOCK_UNLOCKED, \
	.wait_list = LIST_HEAD_INIT(lockname.wait_list), .name = #lockname, \
	.key = NULL }
#define DEFINE_MUTEX(m) struct mutex m = __MUTEX_INITIALIZER(m)

void __mutex_init(struct mutex *lock, const char *name, struct lock_class_key *key);
#define mutex_init(m) do {						\
	static struct lock_class_key __key;				\
	__mutex_init((m), #m, &__key);					\
} while (0)

/* Context: process, may sleep. */
void mutex_lock(struct mutex *lock);
#define mutex_lock_nested(l, s) mutex_lock(l)
/* Quire has no signals: always 0. */
int mutex_lock_interruptible(struct mutex *lock);
/* 1 if taken, 0 if busy. Context: process. */
int mutex_trylock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);
bool mutex_is_locked(struct mutex *lock);
/* Does the current task own it? */
bool mutex_is_owner(struct mutex *lock);

#endif
