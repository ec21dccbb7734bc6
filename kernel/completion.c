/*
 * kernel/completion.c - completions (Linux's kernel/sched/completion.c).
 *
 * Layer: kernel. Provides: include/quire/completion.h.
 * Locking: x->wait.lock (irqsave) guards x->done and the waiters.
 */
#include <quire/completion.h>
#include <quire/sched.h>

void complete(struct completion *x)
{
	unsigned long flags;

	spin_lock_irqsave(&x->wait.lock, flags);
	if (x->done != COMPLETION_DONE_ALL)
		x->done++;
	__wake_up_locked(&x->wait, TASK_NORMAL, 1);
	spin_unlock_irqrestore(&x->wait.lock, flags);
}

void complete_all(struct completion *x)
{
	unsigned long flags;

	spin_lock_irqsave(&x->wait.lock, flags);
	x->done = COMPLETION_DONE_ALL;
	__wake_up_locked(&x->wait, TASK_NORMAL, 0);
	spin_unlock_irqrestore(&x->wait.lock, flags);
}

/* Sleep until done > 0 or the timeout; consume one done. Returns the
 * jiffies left (>= 1) or 0 on timeout. Called with x->wait.lock held. */
static long do_wait_for_common(struct completion *x, long timeout,
			       long (*action)(long))
{
	struct wait_queue_entry wait;

	if (x->done)
		goto done;
	init_waitqueue_entry(&wait, current);
	wait.flags = WQ_FLAG_EXCLUSIVE;
	list_add_tail(&wait.entry, &x->wait.head);
	current->wait_what = x->wait.name;
	do {
		__set_current_state(TASK_UNINTERRUPTIBLE);
		spin_unlock_irq(&x->wait.lock);
		timeout = action(timeout);
		spin_lock_irq(&x->wait.lock);
	} while (!x->done && timeout);
	list_del_init(&wait.entry);
	current->wait_what = NULL;
	if (!x->done)
		return 0;
done:
	if (x->done != COMPLETION_DONE_ALL)
		x->done--;
	return timeout ? timeout : 1;
}

static long wait_for_common(struct completion *x, long timeout,
			    long (*action)(long))
{
	spin_lock_irq(&x->wait.lock);
	timeout = do_wait_for_common(x, timeout, action);
	spin_unlock_irq(&x->wait.lock);
	return timeout;
}

void wait_for_completion(struct completion *x)
{
	wait_for_common(x, MAX_SCHEDULE_TIMEOUT, schedule_timeout);
}

void wait_for_completion_io(struct completion *x)
{
	wait_for_common(x, MAX_SCHEDULE_TIMEOUT, io_schedule_timeout);
}

unsigned long wait_for_completion_timeout(struct completion *x, unsigned long timeout)
{
	return wait_for_common(x, (long)timeout, schedule_timeout);
}

unsigned long wait_for_completion_io_timeout(struct completion *x,
					     unsigned long timeout)
{
	return wait_for_common(x, (long)timeout, io_schedule_timeout);
}

bool try_wait_for_completion(struct completion *x)
{
	unsigned long flags;
	bool ret = false;

	spin_lock_irqsave(&x->wait.lock, flags);
	if (x->done) {
		if (x->done != COMPLETION_DONE_ALL)
			x->done--;
		ret = true;
	}
	spin_unlock_irqrestore(&x->wait.lock, flags);
	return ret;
}

bool completion_done(struct completion *x)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&x->wait.lock, flags);
	ret = x->done != 0;
	spin_unlock_irqrestore(&x->wait.lock, flags);
	return ret;
}
