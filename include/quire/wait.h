/*
 * include/quire/wait.h - wait queues, Linux's semantics.
 *
 * A wait_queue_head_t is a spinlock and a list of entries, one per sleeper.
 * Exclusive waiters (prepare_to_wait_exclusive) are added at the tail and
 * non-exclusive ones at the head; wake_up() wakes every non-exclusive
 * waiter and one exclusive one, wake_up_nr() @nr exclusive ones,
 * wake_up_all() all of them. A waiter sets its task state inside
 * prepare_to_wait() before it tests the condition, so a wake-up between
 * the test and schedule() is never lost.
 *
 * Quire has no signals: TASK_INTERRUPTIBLE sleeps are woken only by
 * wake-ups, and wait_event_interruptible() never returns -ERESTARTSYS.
 *
 * Locking: wq_head->lock (irqsave) guards the list; wake-up functions run
 * under it and must not sleep.
 */
#ifndef QUIRE_WAIT_H
#define QUIRE_WAIT_H

#include <quire/compiler.h>
#include <quire/list.h>
#include <quire/spinlock.h>
#include <quire/sched.h>
#include <quire/atomic.h>

struct wait_queue_entry;
typedef int (*wait_queue_func_t)(struct wait_queue_entry *wq_entry,
				 unsigned int mode, int flags, void *key);

#define WQ_FLAG_EXCLUSIVE	0x01
#define WQ_FLAG_WOKEN		0x02

struct wait_queue_entry {
	unsigned int flags;
	void *private;			/* the waiting task */
	wait_queue_func_t func;
	struct list_head entry;
};

struct wait_queue_head {
	spinlock_t lock;		/* guards head */
	struct list_head head;
	const char *name;		/* shown by ps as what a waiter waits on */
};
typedef struct wait_queue_head wait_queue_head_t;
typedef struct wait_queue_entry wait_queue_entry_t;

int default_wake_function(struct wait_queue_entry *wq_entry, unsigned int mode,
			  int flags, void *key);
int autoremove_wake_function(struct wait_queue_entry *wq_entry, unsigned int mode,
			     int flags, void *key);

#define __WAIT_QUEUE_HEAD_INITIALIZER(wq) {				\
	.lock = __SPIN_LOCK_UNLOCKED(wq.lock),				\
	.head = LIST_HEAD_INIT(wq.head), .name = #wq }
#define DECLARE_WAIT_QUEUE_HEAD(wq)					\
	struct wait_queue_head wq = __WAIT_QUEUE_HEAD_INITIALIZER(wq)

void __init_waitqueue_head(struct wait_queue_head *wq_head, const char *name,
			   struct lock_class_key *key);
#define init_waitqueue_head(wq_head) do {				\
	static struct lock_class_key __key;				\
	__init_waitqueue_head((wq_head), #wq_head, &__key);		\
} while (0)

#define DEFINE_WAIT_FUNC(name, function)				\
	struct wait_queue_entry name = {				\
		.private = current, .func = function,			\
		.entry = LIST_HEAD_INIT((name).entry) }
#define DEFINE_WAIT(name) DEFINE_WAIT_FUNC(name, autoremove_wake_function)
#define DECLARE_WAITQUEUE(name, tsk)					\
	struct wait_queue_entry name = {				\
		.private = tsk, .func = default_wake_function,		\
		.entry = { NULL, NULL } }

static inline void init_waitqueue_entry(struct wait_queue_entry *e,
					struct task_struct *p)
{
	e->flags = 0;
	e->private = p;
	e->func = default_wake_function;
	INIT_LIST_HEAD(&e->entry);
}

void add_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *e);
void add_wait_queue_exclusive(struct wait_queue_head *wq_head,
			      struct wait_queue_entry *e);
void remove_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *e);

/* Queue @e (if not queued) and set the task state, under the lock. */
void prepare_to_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *e,
		     int state);
bool prepare_to_wait_exclusive(struct wait_queue_head *wq_head,
			       struct wait_queue_entry *e, int state);
/* For wait_event(): like prepare_to_wait() (exclusive when e->flags says). */
long prepare_to_wait_event(struct wait_queue_head *wq_head,
			   struct wait_queue_entry *e, int state);
/* Back to TASK_RUNNING and off the queue. */
void finish_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *e);

/* Wake waiters: all non-exclusive plus @nr_exclusive exclusive (0: all).
 * Context: any. */
void __wake_up(struct wait_queue_head *wq_head, unsigned int mode,
	       int nr_exclusive, void *key);
/* The same with wq_head->lock already held. */
void __wake_up_locked(struct wait_queue_head *wq_head, unsigned int mode, int nr);

#define wake_up(x)			__wake_up(x, TASK_NORMAL, 1, NULL)
#define wake_up_nr(x, nr)		__wake_up(x, TASK_NORMAL, nr, NULL)
#define wake_up_all(x)			__wake_up(x, TASK_NORMAL, 0, NULL)
#define wake_up_locked(x)		__wake_up_locked((x), TASK_NORMAL, 1)
#define wake_up_all_locked(x)		__wake_up_locked((x), TASK_NORMAL, 0)
#define wake_up_interruptible(x)	__wake_up(x, TASK_INTERRUPTIBLE, 1, NULL)
#define wake_up_interruptible_all(x)	__wake_up(x, TASK_INTERRUPTIBLE, 0, NULL)

/* Anybody waiting? Pairs with a full barrier in the waker, as in Linux. */
static inline bool waitqueue_active(struct wait_queue_head *wq_head)
{
	return !list_empty(&wq_head->head);
}

static inline bool wq_has_sleeper(struct wait_queue_head *wq_head)
{
	smp_mb();
	return waitqueue_active(wq_head);
}

/*
 * The wait_event family. @condition is evaluated after the task state is
 * set, so a waker that makes it true and then calls wake_up() cannot be
 * missed.
 */
#define ___wait_event(wq_head, condition, state, exclusive, ret, cmd)	\
({									\
	struct wait_queue_entry __wq_entry;				\
	long __ret = ret;						\
									\
	init_waitqueue_entry(&__wq_entry, current);			\
	__wq_entry.func = autoremove_wake_function;			\
	__wq_entry.flags = (exclusive) ? WQ_FLAG_EXCLUSIVE : 0;		\
	for (;;) {							\
		prepare_to_wait_event(&(wq_head), &__wq_entry, state);	\
		if (condition)						\
			break;						\
		cmd;							\
	}								\
	finish_wait(&(wq_head), &__wq_entry);				\
	__ret;								\
})

#define wait_event(wq_head, condition) do {				\
	if (condition)							\
		break;							\
	(void)___wait_event(wq_head, condition, TASK_UNINTERRUPTIBLE, 0, 0, \
			    schedule());				\
} while (0)

/* Never interrupted: Quire has no signals. Returns 0. */
#define wait_event_interruptible(wq_head, condition) ({			\
	int __r = 0;							\
	if (!(condition))						\
		(void)___wait_event(wq_head, condition, TASK_INTERRUPTIBLE, 0, \
				    0, schedule());			\
	__r;								\
})

#define wait_event_exclusive(wq_head, condition) do {			\
	if (condition)							\
		break;							\
	(void)___wait_event(wq_head, condition, TASK_UNINTERRUPTIBLE, 1, 0, \
			    schedule());				\
} while (0)

#define ___wait_cond_timeout(condition)					\
({									\
	bool __cond = (condition);					\
	if (__cond && !__ret)						\
		__ret = 1;						\
	__cond || !__ret;						\
})

#define __wait_event_timeout(wq_head, condition, state, timeout)	\
	___wait_event(wq_head, ___wait_cond_timeout(condition), state, 0, \
		      timeout, __ret = schedule_timeout(__ret))

/* Returns 0 if @condition was still false after @timeout jiffies, else
 * the jiffies left (at least 1). */
#define wait_event_timeout(wq_head, condition, timeout) ({		\
	long __ret = (timeout);						\
	if (!___wait_cond_timeout(condition))				\
		__ret = __wait_event_timeout(wq_head, condition,	\
					     TASK_UNINTERRUPTIBLE, timeout); \
	__ret;								\
})

#define wait_event_interruptible_timeout(wq_head, condition, timeout) ({ \
	long __ret = (timeout);						\
	if (!___wait_cond_timeout(condition))				\
		__ret = __wait_event_timeout(wq_head, condition,	\
					     TASK_INTERRUPTIBLE, timeout); \
	__ret;								\
})

/* Like wait_event_timeout(), counted as I/O wait. */
#define io_wait_event_timeout(wq_head, condition, timeout) ({		\
	long __ret = (timeout);						\
	if (!___wait_cond_timeout(condition))				\
		__ret = ___wait_event(wq_head, ___wait_cond_timeout(condition), \
				      TASK_UNINTERRUPTIBLE, 0, timeout,	\
				      __ret = io_schedule_timeout(__ret)); \
	__ret;								\
})

#define io_wait_event(wq_head, condition) do {				\
	if (condition)							\
		break;							\
	(void)___wait_event(wq_head, condition, TASK_UNINTERRUPTIBLE, 0, 0, \
			    io_schedule());				\
} while (0)

/* With wq_head->lock held (spin_lock_irq) by the caller: drops it around
 * schedule(), as Linux's wait_event_lock_irq(). */
#define wait_event_lock_irq(wq_head, condition, lock) do {		\
	if (condition)							\
		break;							\
	(void)___wait_event(wq_head, condition, TASK_UNINTERRUPTIBLE, 0, 0, \
			    spin_unlock_irq(&lock); schedule(); spin_lock_irq(&lock)); \
} while (0)

#endif
