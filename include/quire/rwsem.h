/*
 * include/quire/rwsem.h - reader/writer semaphores, Linux's API.
 *
 * Many readers or one writer. Fair: a reader arriving while anybody waits
 * queues behind them, so a waiting writer is not starved by a stream of
 * readers; when a writer releases, the waiters at the head of the queue
 * are woken (one writer, or every reader up to the next writer).
 */
#ifndef QUIRE_RWSEM_H
#define QUIRE_RWSEM_H

#include <quire/compiler.h>
#include <quire/list.h>
#include <quire/spinlock.h>

struct task_struct;

struct rw_semaphore {
	long count;			/* readers holding; -1 writer holds */
	struct task_struct *owner;	/* the writer, for debugging */
	raw_spinlock_t wait_lock;	/* guards count and wait_list; irqs off */
	struct list_head wait_list;	/* struct rwsem_waiter, FIFO */
	const char *name;
	struct lock_class_key *key;
};

#define __RWSEM_INITIALIZER(n) {					\
	.count = 0, .owner = NULL,					\
	.wait_lock = __RAW_SPIN_LOCK_UNLOCKED,				\
	.wait_list = LIST_HEAD_INIT(n.wait_list), .name = #n, .key = NULL }
#define DECLARE_RWSEM(n) struct rw_semaphore n = __RWSEM_INITIALIZER(n)

void __init_rwsem(struct rw_semaphore *sem, const char *name,
		  struct lock_class_key *key);
#define init_rwsem(sem) do {						\
	static struct lock_class_key __key;				\
	__init_rwsem((sem), #sem, &__key);				\
} while (0)

/* Context: process, may sleep. */
void down_read(struct rw_semaphore *sem);
void down_write(struct rw_semaphore *sem);
/* 1 if taken. */
int down_read_trylock(struct rw_semaphore *sem);
int down_write_trylock(struct rw_semaphore *sem);
void up_read(struct rw_semaphore *sem);
void up_write(struct rw_semaphore *sem);
/* Writer becomes a reader without letting another writer in. */
void downgrade_write(struct rw_semaphore *sem);
bool rwsem_is_locked(struct rw_semaphore *sem);

#endif
