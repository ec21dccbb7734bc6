/*
 * block/blk-timeout.c - request timeouts: a device that never answers.
 *
 * Layer: block. Used by: block/blk-mq.c (dispatch arms, teardown stops),
 * drivers (->timeout in struct blk_mq_ops, blk_queue_rq_timeout()).
 * Provides: blk_add_timer(), blk_queue_rq_timeout(), blk_timeout_init(),
 * blk_sync_queue(), blk_mq_timeout_work().
 *
 * Linux's scheme: every request dispatched to the driver gets a deadline
 * (now + q->rq_timeout, default 30 s, set per disk with
 * blk_queue_rq_timeout() or the shell's `blkdev DEV timeout=MS`); one timer
 * per queue fires at the earliest deadline and queues q->timeout_work,
 * which walks every request of every hw queue and calls the driver's
 * ->timeout for each one in flight past its deadline. The driver answers
 * BLK_EH_DONE (it completed the request, e.g. by resetting the device and
 * failing all it held) or BLK_EH_RESET_TIMER (wait another period). The
 * work re-arms the timer for the earliest deadline still ahead.
 *
 * A completion can race the timeout: the work sees a request in flight
 * and expired, and meanwhile the device completes it, the tag is freed
 * and given to a new request. As in Linux, the work takes a reference
 * first (rq->ref; a request whose reference already fell to 0 has been
 * freed: the completion won) so the tag cannot be reused under it, then
 * checks again that this request is still in flight and expired (a new
 * incarnation has a later deadline), and only then calls ->timeout. The
 * request is completed exactly once whatever happens: the completion is
 * a compare-and-swap IN_FLIGHT -> COMPLETE (blk-mq.c, BLK4).
 *
 * Invariants:
 *  TO1: a request IN_FLIGHT has a deadline, and the queue's timer is
 *       pending for a time no later than it, or the timeout work is
 *       queued or running (it re-arms for what it did not expire).
 *  TO2: ->timeout is only called with a reference held on the request.
 *  TO3: once blk_sync_queue() has begun, the timer is never armed again
 *       (q->timeout_stopped, under q->timeout_lock): the queue may be
 *       freed when it returns. TO1 no longer holds then.
 *
 * Locking: q->timeout_lock (irqsave) serialises our mod_timer() calls on
 * q->timeout (two at once on one timer are not safe: issue 13, bug 4) and
 * guards timeout_stopped and timeout_armed/timeout_expires, our own record of the timer
 * (read without the lock on the dispatch fast path; timer_pending() is
 * not safe to call unlocked here).
 * The work runs in process context and takes no block-layer lock across
 * ->timeout.
 */
#include <quire/blk-mq.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include <quire/atomic.h>
#include "blk.h"

/* Will q->timeout fire by @expiry anyway? Context: any, no lock: a
 * stale answer is corrected under the lock in blk_timeout_arm(). */
static bool blk_timeout_armed_by(struct request_queue *q, unsigned long expiry)
{
	return READ_ONCE(q->timeout_armed) &&
	       !time_before(expiry, READ_ONCE(q->timeout_expires));
}

/* Arm q->timeout for @expiry unless it fires earlier already. */
static void blk_timeout_arm(struct request_queue *q, unsigned long expiry)
{
	unsigned long flags;

	spin_lock_irqsave(&q->timeout_lock, flags);
	if (!q->timeout_stopped && !blk_timeout_armed_by(q, expiry)) { /* TO3 */
		WRITE_ONCE(q->timeout_expires, expiry);
		WRITE_ONCE(q->timeout_armed, true);
		mod_timer(&q->timeout, expiry);
	}
	spin_unlock_irqrestore(&q->timeout_lock, flags);
}

/* @rq goes to the driver now: give it a deadline (TO1). The caller
 * has set rq->state IN_FLIGHT. Context: any. */
void blk_add_timer(struct request *rq)
{
	struct request_queue *q = rq->q;
	unsigned long expiry = jiffies + READ_ONCE(q->rq_timeout);

	WRITE_ONCE(rq->deadline, expiry);
	/* the state and deadline stores before the armed test (pairs with
	 * the barrier in blk_rq_timed_out_timer()): a timer firing now
	 * leads to a scan that sees this request */
	smp_mb();
	if (!blk_timeout_armed_by(q, expiry))
		blk_timeout_arm(q, expiry);
}

void blk_queue_rq_timeout(struct request_queue *q, unsigned int timeout)
{
	WRITE_ONCE(q->rq_timeout, timeout ? timeout : 1);
}

/* The timer: hand over to process context. Context: hard interrupt. */
static void blk_rq_timed_out_timer(struct timer_list *t)
{
	struct request_queue *q = from_timer(q, t, timeout);
	unsigned long flags;

	spin_lock_irqsave(&q->timeout_lock, flags);
	WRITE_ONCE(q->timeout_armed, false);
	spin_unlock_irqrestore(&q->timeout_lock, flags);
	smp_mb(); /* pairs with blk_add_timer() */
	kblockd_schedule_work(&q->timeout_work);
}

/*
 * Is @rq in flight and past its deadline? If in flight and not yet due,
 * note its deadline in *@next (0: none yet).
 */
static bool blk_mq_req_expired(struct request *rq, unsigned long *next)
{
	unsigned long deadline;

	if (__atomic_load_n(&rq->state, __ATOMIC_ACQUIRE) != MQ_RQ_IN_FLIGHT)
		return false;
	deadline = READ_ONCE(rq->deadline);
	if (time_after_eq(jiffies, deadline))
		return true;
	if (!*next || time_before(deadline, *next))
		*next = deadline ? deadline : 1;
	return false;
}

static void blk_count_timeout(struct request *rq)
{
	struct gendisk *disk = rq->q->disk;
	unsigned long flags;

	spin_lock_irqsave(&disk->stats_lock, flags);
	disk->stats.timeouts++;
	spin_unlock_irqrestore(&disk->stats_lock, flags);
}

/* TO2: the caller holds a reference on @rq. */
static void blk_mq_rq_timed_out(struct request *rq)
{
	const struct blk_mq_ops *ops = rq->q->tag_set->ops;
	enum blk_eh_timer_return ret = BLK_EH_RESET_TIMER;

	bool first = !READ_ONCE(rq->timed_out);

	blk_count_timeout(rq);
	WRITE_ONCE(rq->timed_out, true);
	if (ops->timeout)
		ret = ops->timeout(rq);
	else if (first) /* one line per request, not per period */
		pr_warn("%s: %s request at sector %llu in flight past its %u ms timeout; the driver has no timeout handler: waiting on\n",
			rq->q->disk->disk_name, blk_op_str(req_op(rq)),
			(unsigned long long)blk_rq_pos(rq),
			jiffies_to_msecs(rq->q->rq_timeout));
	if (ret == BLK_EH_RESET_TIMER)
		blk_add_timer(rq);
	else
		WARN_ON_ONCE(ret != BLK_EH_DONE);
}

static bool blk_mq_get_ref(struct request *rq)
{
	int ref = __atomic_load_n(&rq->ref, __ATOMIC_RELAXED);

	do {
		if (!ref)
			return false;
	} while (!__atomic_compare_exchange_n(&rq->ref, &ref, ref + 1, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return true;
}

void (*blk_timeout_race_hook)(struct request *rq);
void (*blk_sync_queue_hook)(struct request_queue *q);

static void blk_mq_check_expired(struct request *rq, unsigned long *next)
{
	void (*hook)(struct request *) = READ_ONCE(blk_timeout_race_hook);

	if (!blk_mq_req_expired(rq, next))
		return;
	if (hook)
		hook(rq); /* tests: let a completion come now */
	if (!blk_mq_get_ref(rq))
		return; /* freed: the completion won */
	if (hook)
		hook(rq);
	/* Locked into this incarnation: expired still, or reused/completed? */
	if (blk_mq_req_expired(rq, next))
		blk_mq_rq_timed_out(rq);
	blk_mq_put_request(rq); /* frees it if the completion came */
}

/* Context: process (system workqueue). */
void blk_mq_timeout_work(struct work_struct *work)
{
	struct request_queue *q = container_of(work, struct request_queue, timeout_work);
	unsigned long next = 0;

	for (unsigned int i = 0; i < q->nr_hw_queues; i++) {
		struct blk_mq_hw_ctx *hctx = q->hctxs[i];

		for (unsigned int t = 0; t < hctx->queue_depth; t++)
			blk_mq_check_expired(hctx->rqs[t], &next);
	}
	if (next)
		blk_timeout_arm(q, next); /* TO1 */
}

void blk_timeout_init(struct request_queue *q, unsigned int timeout)
{
	spin_lock_init(&q->timeout_lock);
	timer_setup(&q->timeout, blk_rq_timed_out_timer, 0);
	INIT_WORK(&q->timeout_work, blk_mq_timeout_work);
	blk_queue_rq_timeout(q, timeout ? timeout : BLK_DEFAULT_TIMEOUT);
}

/*
 * No timer or timeout work runs for @q after this, and none is started
 * again (Linux's name; TO3): for a queue going away, whose caller made
 * sure no request is in flight. The timer is stopped first, for good: the
 * work still running may re-arm it (a request not yet due, or answered
 * BLK_EH_RESET_TIMER), and deleting it again after cancel_work_sync() left
 * a window in which it fired and queued the work on a queue about to be
 * freed. Context: process, may sleep.
 */
void blk_sync_queue(struct request_queue *q)
{
	void (*sync_hook)(struct request_queue * q);
	unsigned long flags;

	spin_lock_irqsave(&q->timeout_lock, flags);
	q->timeout_stopped = true;
	spin_unlock_irqrestore(&q->timeout_lock, flags);
	del_timer_sync(&q->timeout);
	cancel_work_sync(&q->timeout_work);
	sync_hook = READ_ONCE(blk_sync_queue_hook); /* once: a test clears it */
	if (sync_hook)
		sync_hook(q);
	WRITE_ONCE(q->timeout_armed, false);
}
