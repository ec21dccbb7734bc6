/*
 * kernel/wait.c - wait queues (Linux's kernel/sched/wait.c semantics).
 *
 * Layer: kernel. Provides: include/quire/wait.h.
 * Locking: wq_head->lock, taken irqsave (wake-ups come from interrupts).
 * Wake functions run under it and call try_to_wake_up(), which takes
 * p->pi_lock and an rq lock (raw, so no lockdep order is recorded).
 */
#include <quire/wait.h>
#include <quire/sched.h>
#include <quire/lockdep.h>

void __init_waitqueue_head(struct wait_queue_head *wq_head, const char *name,
			   struct lock_class_key *key)
{
	__spin_lock_init(&wq_head->lock, name, key);
	INIT_LIST_HEAD(&wq_head->head);
	wq_head->name = name;
}

int default_wake_function(struct wait_queue_entry *wq_entry, unsigned int mode,
			  int flags, void *key)
{
	return try_to_wake_up(wq_entry->private, mode, flags);
}

int autoremove_wake_function(struct wait_queue_entry *wq_entry, unsigned int mode,
			     int flags, void *key)
{
	int ret = default_wake_function(wq_entry, mode, flags, key);

	if (ret)
		list_del_init(&wq_entry->entry);
	return ret;
}

void add_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *e)
{
	unsigned long flags;

	e->flags &= ~WQ_FLAG_EXCLUSIVE;
	spin_lock_irqsave(&wq_head->lock, flags);
	list_add(&e->entry, &wq_head->head);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}

void add_wait_queue_exclusive(struct wait_queue_head *wq_head,
			      struct wait_queue_entry *e)
{
	unsigned long flags;

	e->flags |= WQ_FLAG_EXCLUSIVE;
	spin_lock_irqsave(&wq_head->lock, flags);
	list_add_tail(&e->entry, &wq_head->head);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}

void remove_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *e)
{
	unsigned long flags;

	spin_lock_irqsave(&wq_head->lock, flags);
	list_del_init(&e->entry);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}

/* Queue @e: exclusive waiters at the tail, others at the head. */
static void queue_entry(struct wait_queue_head *wq_head, struct wait_queue_entry *e)
{
	if (e->flags & WQ_FLAG_EXCLUSIVE)
		list_add_tail(&e->entry, &wq_head->head);
	else
		list_add(&e->entry, &wq_head->head);
}

/* Queue @e on @wq_head unless it already is, and set the task state, both
 * under the queue's lock so no wake-up can slip between them. */
static void queue_and_set_state(struct wait_queue_head *wq_head,
				struct wait_queue_entry *e, int state)
{
	unsigned long flags;

	spin_lock_irqsave(&wq_head->lock, flags);
	if (list_empty(&e->entry))
		queue_entry(wq_head, e);
	current->wait_what = wq_head->name;
	set_current_state(state);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}

void prepare_to_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *e,
		     int state)
{
	e->flags &= ~WQ_FLAG_EXCLUSIVE;
	queue_and_set_state(wq_head, e, state);
}

bool prepare_to_wait_exclusive(struct wait_queue_head *wq_head,
			       struct wait_queue_entry *e, int state)
{
	unsigned long flags;
	bool was_empty = false;

	e->flags |= WQ_FLAG_EXCLUSIVE;
	spin_lock_irqsave(&wq_head->lock, flags);
	if (list_empty(&e->entry)) {
		was_empty = list_empty(&wq_head->head);
		queue_entry(wq_head, e);
	}
	current->wait_what = wq_head->name;
	set_current_state(state);
	spin_unlock_irqrestore(&wq_head->lock, flags);
	return was_empty;
}

long prepare_to_wait_event(struct wait_queue_head *wq_head,
			   struct wait_queue_entry *e, int state)
{
	queue_and_set_state(wq_head, e, state);
	return 0;
}

void finish_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *e)
{
	unsigned long flags;

	__set_current_state(TASK_RUNNING);
	current->wait_what = NULL;
	/* Linux peeks with list_empty_careful() first; Quire always takes the
	 * lock, so a waker still unlinking the entry (autoremove) has
	 * finished writing it before the caller's stack frame goes away. */
	spin_lock_irqsave(&wq_head->lock, flags);
	list_del_init(&e->entry);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}

static void __wake_up_common(struct wait_queue_head *wq_head, unsigned int mode,
			     int nr_exclusive, void *key)
{
	struct wait_queue_entry *curr, *next;

	list_for_each_entry_safe(curr, next, &wq_head->head, entry) {
		unsigned int flags = curr->flags;
		int ret = curr->func(curr, mode, 0, key);

		if (ret < 0)
			break;
		if (ret && (flags & WQ_FLAG_EXCLUSIVE) && !--nr_exclusive)
			break;
	}
}

void __wake_up(struct wait_queue_head *wq_head, unsigned int mode,
	       int nr_exclusive, void *key)
{
	unsigned long flags;

	spin_lock_irqsave(&wq_head->lock, flags);
	__wake_up_common(wq_head, mode, nr_exclusive, key);
	spin_unlock_irqrestore(&wq_head->lock, flags);
}

void __wake_up_locked(struct wait_queue_head *wq_head, unsigned int mode, int nr)
{
	__wake_up_common(wq_head, mode, nr, NULL);
}
