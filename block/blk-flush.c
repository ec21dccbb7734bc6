/*
 * block/blk-flush.c - REQ_PREFLUSH and REQ_FUA, Linux's way.
 *
 * Layer: block. Used by: block/blk-mq.c.
 * Provides: blk_flush_prepare(), blk_flush_needs_seq(), blk_insert_flush(),
 * blk_flush_complete_step(), blk_flush_ticket_release().
 *
 * A write with REQ_PREFLUSH promises: every write completed before it was
 * submitted is durable before any of its data is written. REQ_FUA
 * promises: this write is durable when it completes. How that reaches the
 * device depends on it (Linux: blk_flush_policy()):
 *
 *   device                      PREFLUSH           FUA
 *   no volatile write cache     stripped           stripped
 *   write cache, FUA support    FLUSH, then write  kept on the write
 *   write cache, no FUA         FLUSH, then write  write, then FLUSH
 *
 * An empty write with PREFLUSH (and REQ_OP_FLUSH, turned into one) is a
 * pure flush: one FLUSH, or nothing at all without a write cache.
 *
 * A sequence is PREFLUSH -> DATA -> POSTFLUSH on one request (one tag);
 * a failing step ends it with its status. The data step is the request
 * itself. The flush steps are shared, as in Linux's flush queue: each hw
 * queue has at most one FLUSH in flight, carried by the first request
 * that waits for it (its tag), and covering every request on
 * hctx->flush_running. A request whose next step is a flush joins
 * hctx->flush_pending; when no flush is in flight, the pending ones
 * become the running ones and a new FLUSH goes out (blk_kick_flush).
 * A request never joins a flush already in flight (it may have been
 * issued before the request was submitted) -- except the pieces of one
 * split bio: they were all submitted when the bio was, so any flush
 * issued after the first piece entered the queue covers them all
 * (struct blk_flush_ticket). A split PREFLUSH write is therefore one
 * FLUSH, then all its data: no piece reaches the device before the flush
 * completed (issue 13, bug 9).
 *
 * Invariants:
 *  FL1: hctx->flush_rq is non-NULL exactly while a FLUSH is in flight
 *       (or waiting on hctx->dispatch to go out) for hctx->flush_running;
 *       the carrier is itself on flush_running.
 *  FL2: a request is on flush_pending or flush_running only while its
 *       next step is PREFLUSH or POSTFLUSH; no data step of it is queued.
 *  FL3: hctx->flush_issued counts the flushes kicked on the hctx (the one
 *       in flight, if any, is number flush_issued); flush_ok is the number
 *       of the last one that completed without error. One flush is in
 *       flight at a time, so they complete in order.
 *
 * Test knobs (kernel options; tests/run's virtio.durability-* jobs and
 * docs/virtio.md "Durability"). Four are mutants, each breaking one
 * promise, that tests/logwrites.py must report as a loss:
 *   blk_flush.nopreflush   a data write's PREFLUSH step is dropped (empty
 *                          flushes still go out);
 *   blk_flush.nofua        FUA's post-flush is dropped on a device without
 *                          FUA: the write completes while only cached;
 *   blk_flush.earlyack     an empty flush is acknowledged at once and a
 *                          FLUSH sent BLK_FLUSH_LATE_MS later (a cache
 *                          that lies about its flush): what its caller
 *                          writes after the ack reaches the device first;
 *   blk_flush.splitnowait  issue 13 bug 9: the later pieces of a split
 *                          PREFLUSH write do not wait for its flush.
 * One only delays, keeping every promise, so that QEMU's log (which
 * records completions, not submissions) shows bug 9 deterministically:
 *   blk_flush.slowflush    a FLUSH kicked by a PREFLUSH write's submitter
 *                          (split or not) is sent after all the bio's
 *                          pieces were submitted and once nothing else is
 *                          in flight on its hw queue.
 *
 * Work started from a completion is queued on hctx->dispatch for the
 * driver's next blk_mq_run_hw_queue() (blk-mq.c, BLK3); the submitter
 * dispatches at once.
 *
 * Locking: hctx->flush_lock (irqsave) protects flush_pending,
 * flush_running, flush_rq, flush_issued, flush_ok and the flush_list of
 * every request on those lists. It nests outside nothing: hctx->lock is
 * taken (by blk_mq_requeue_request) only after it is dropped.
 */
#include <quire/blk-mq.h>
#include <quire/spinlock.h>
#include <quire/kernel.h>
#include <quire/printk.h>
#include <quire/timer.h>
#include <arch/time.h>
#include "blk.h"

#define REQ_FSEQ_ALL (REQ_FSEQ_PREFLUSH | REQ_FSEQ_DATA | REQ_FSEQ_POSTFLUSH)

enum {
	BLK_FLUSH_NOPREFLUSH = 1 << 0,
	BLK_FLUSH_NOFUA = 1 << 1,
	BLK_FLUSH_EARLYACK = 1 << 2,
	BLK_FLUSH_SPLITNOWAIT = 1 << 3,
	BLK_FLUSH_SLOWFLUSH = 1 << 4,
};

static int blk_flush_knobs = -1; /* not read from the command line yet */

static bool blk_flush_knob(int knob)
{
	static const char *const names[] = {
		"blk_flush.nopreflush",	 "blk_flush.nofua",	"blk_flush.earlyack",
		"blk_flush.splitnowait", "blk_flush.slowflush",
	};
	int v = READ_ONCE(blk_flush_knobs);

	if (v < 0) {
		v = 0;
		for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
			if (cmdline_has(names[i])) {
				v |= 1 << i;
				pr_info("blk-flush: test knob %s is on\n", names[i]);
			}
		}
		WRITE_ONCE(blk_flush_knobs, v);
	}
	return v & knob;
}

static unsigned int blk_flush_policy(struct request_queue *q, blk_opf_t opf,
				     bool has_data)
{
	unsigned int policy = 0;

	if (has_data)
		policy |= REQ_FSEQ_DATA;
	if (q->limits.write_cache) {
		if ((opf & REQ_PREFLUSH) &&
		    !(has_data && blk_flush_knob(BLK_FLUSH_NOPREFLUSH)))
			policy |= REQ_FSEQ_PREFLUSH;
		if ((opf & REQ_FUA) && !q->limits.fua && has_data &&
		    !blk_flush_knob(BLK_FLUSH_NOFUA))
			policy |= REQ_FSEQ_POSTFLUSH;
	}
	return policy;
}

static void blk_flush_owed_endio(struct bio *bio)
{
	bio_put(bio);
}

/*
 * blk_flush.earlyack. It used to send, at each early ack, the FLUSH owed
 * by the previous one: that FLUSH still covered every write completed
 * before the ack, so the mutant lost a promise only when QEMU happened to
 * complete the caller's next write before the FLUSH (CI, 2026-12-07:
 * qlfs-qemu.durability-log-earlyack-caught saw no loss). Now the FLUSH
 * goes a full second after the ack, long after the caller's next writes.
 * Several acks within the second share one FLUSH.
 */
#define BLK_FLUSH_LATE_MS 1000

static void blk_flush_late_workfn(struct work_struct *work)
{
	struct request_queue *q =
		container_of(to_delayed_work(work), struct request_queue, flush_late);
	struct block_device *bdev =
		__atomic_load_n(&q->flush_late_bdev, __ATOMIC_ACQUIRE);
	struct bio *bio = bio_alloc(bdev, 1, REQ_OP_WRITE | REQ_PREFLUSH, GFP_KERNEL);

	if (!bio)
		return; /* a mutant: the flush is simply lost */
	bio->bi_end_io = blk_flush_owed_endio;
	submit_bio(bio);
}

void blk_flush_init_queue(struct request_queue *q)
{
	INIT_DELAYED_WORK(&q->flush_late, blk_flush_late_workfn);
}

/* Before the queue's disk goes: no late FLUSH after it. */
void blk_flush_cancel_late(struct request_queue *q)
{
	cancel_delayed_work_sync(&q->flush_late);
}

static void blk_flush_ack_early(struct request_queue *q, struct bio *bio)
{
	__atomic_store_n(&q->flush_late_bdev, bio->bi_bdev, __ATOMIC_RELEASE);
	queue_delayed_work(system_wq, &q->flush_late,
			   msecs_to_jiffies(BLK_FLUSH_LATE_MS));
	bio_endio(bio);
}

bool blk_flush_prepare(struct request_queue *q, struct bio *bio)
{
	if (bio_op(bio) == REQ_OP_FLUSH)
		bio->bi_opf = REQ_OP_WRITE | REQ_PREFLUSH | (bio->bi_opf & REQ_SYNC);
	if (!op_is_flush(bio->bi_opf))
		return false;
	/* Only writes get here with the flags (bio_check_op() fails others). */
	if (!q->limits.write_cache)
		bio->bi_opf &= ~(REQ_PREFLUSH | REQ_FUA);
	if (!bio->bi_iter.bi_size && !(bio->bi_opf & REQ_PREFLUSH)) {
		bio_endio(bio);		/* nothing to make durable */
		return true;
	}
	if (!bio->bi_iter.bi_size && bio->bi_end_io != blk_flush_owed_endio &&
	    blk_flush_knob(BLK_FLUSH_EARLYACK)) {
		blk_flush_ack_early(q, bio);
		return true;
	}
	return false;
}

bool blk_flush_needs_seq(struct request_queue *q, blk_opf_t opf, bool has_data)
{
	unsigned int policy = blk_flush_policy(q, opf, has_data);

	return policy & (REQ_FSEQ_PREFLUSH | REQ_FSEQ_POSTFLUSH);
}

/* The first step of @rq's sequence not done yet (REQ_FSEQ_DONE: none). */
static unsigned int blk_flush_next_step(struct request *rq)
{
	if (!(rq->flush_seq & REQ_FSEQ_PREFLUSH))
		return REQ_FSEQ_PREFLUSH;
	if (!(rq->flush_seq & REQ_FSEQ_DATA))
		return REQ_FSEQ_DATA;
	if (!(rq->flush_seq & REQ_FSEQ_POSTFLUSH))
		return REQ_FSEQ_POSTFLUSH;
	return REQ_FSEQ_DONE;
}

/* Make @rq the FLUSH request its hctx sends (FL1). */
static void blk_flush_set_flush_step(struct request *rq)
{
	rq->cmd_flags = REQ_OP_FLUSH | REQ_SYNC;
	rq->__data_len = 0;
	rq->nr_phys_segments = 0;
	rq->start_time_ns = arch_clock_ns();
}

static void blk_flush_set_data_step(struct request *rq)
{
	rq->cmd_flags = rq->flush_orig_flags;
	rq->__data_len = rq->flush_orig_len;
	rq->nr_phys_segments = rq->flush_orig_segs;
	rq->start_time_ns = arch_clock_ns();
}

/*
 * With no flush in flight, make the pending requests the running ones and
 * return the first, now describing a FLUSH, for the caller to dispatch.
 * NULL: nothing to do. Context: any, hctx->flush_lock held.
 */
static struct request *blk_kick_flush(struct blk_mq_hw_ctx *hctx)
{
	struct request *carrier;

	lockdep_assert_held(&hctx->flush_lock);
	if (hctx->flush_rq || list_empty(&hctx->flush_pending))
		return NULL;
	list_splice_tail_init(&hctx->flush_pending, &hctx->flush_running);
	carrier = list_first_entry(&hctx->flush_running, struct request, flush_list);
	hctx->flush_rq = carrier; /* FL1 */
	hctx->flush_issued++;	  /* FL3 */
	blk_flush_set_flush_step(carrier);
	return carrier;
}

/*
 * @rq's next step is a flush: let it wait for one, on @out if it must carry
 * it. A split piece holding @ticket may use the flush its first piece
 * waits for, or skip the step if that one already succeeded.
 * Context: any.
 */
static void blk_flush_wait(struct request *rq, struct blk_flush_ticket *ticket,
			   struct list_head *out)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	bool mine = ticket && ticket->hctx == hctx;
	struct request *carrier = NULL;
	bool covered = false;
	unsigned long flags;

	spin_lock_irqsave(&hctx->flush_lock, flags);
	if (mine &&
	    (hctx->flush_ok >= ticket->gen || blk_flush_knob(BLK_FLUSH_SPLITNOWAIT))) {
		covered = true; /* that flush is done: skip it */
	} else if (mine && hctx->flush_rq && hctx->flush_issued >= ticket->gen) {
		list_add_tail(&rq->flush_list, &hctx->flush_running);
	} else {
		list_add_tail(&rq->flush_list, &hctx->flush_pending);
		if (ticket && !ticket->hctx) {
			ticket->hctx = hctx; /* the flush that covers us */
			ticket->gen = hctx->flush_issued + 1;
		}
		carrier = blk_kick_flush(hctx);
	}
	spin_unlock_irqrestore(&hctx->flush_lock, flags);
	if (covered) {
		rq->flush_seq |= REQ_FSEQ_PREFLUSH;
		blk_flush_set_data_step(rq);
		list_add_tail(&rq->queuelist, out);
	} else if (carrier && ticket && !ticket->parked &&
		   blk_flush_knob(BLK_FLUSH_SLOWFLUSH)) {
		ticket->parked = carrier; /* blk_flush_ticket_release() */
	} else if (carrier) {
		list_add_tail(&carrier->queuelist, out);
	}
}

/* Context: process (the submitter, after its bio's last piece). */
void blk_flush_ticket_release(struct blk_flush_ticket *ticket)
{
	struct request *rq = ticket->parked;
	LIST_HEAD(out);

	if (!rq)
		return;
	ticket->parked = NULL;
	while (READ_ONCE(rq->mq_hctx->nr_inflight))
		msleep(1); /* a slow flush: legal, and only with the knob */
	list_add_tail(&rq->queuelist, &out);
	blk_mq_dispatch_list(&out);
}

/* The sequence of @rq is over: give the request back its own flags and
 * end it. Context: any. */
static void blk_flush_end(struct request *rq, blk_status_t status)
{
	rq->rq_flags &= ~RQF_FLUSH_SEQ;
	rq->cmd_flags = rq->flush_orig_flags;
	rq->__data_len = rq->flush_orig_len;
	blk_mq_end_bios_free(rq, status);
}

/* Start @rq's next step: requests for the driver go on @out. */
static void blk_flush_start_next(struct request *rq, blk_status_t status,
				 struct blk_flush_ticket *ticket, struct list_head *out)
{
	unsigned int step = blk_flush_next_step(rq);

	if (status != BLK_STS_OK || step == REQ_FSEQ_DONE) {
		blk_flush_end(rq, status);
	} else if (step == REQ_FSEQ_DATA) {
		blk_flush_set_data_step(rq);
		list_add_tail(&rq->queuelist, out);
	} else {
		blk_flush_wait(rq, step == REQ_FSEQ_PREFLUSH ? ticket : NULL, out);
	}
}

/* Context: process (the submitter). */
void blk_insert_flush(struct request *rq, struct blk_flush_ticket *ticket)
{
	struct request_queue *q = rq->q;
	unsigned int policy = blk_flush_policy(q, rq->cmd_flags, blk_rq_bytes(rq));
	LIST_HEAD(out);

	rq->rq_flags |= RQF_FLUSH_SEQ | RQF_ACCOUNTED;
	rq->flush_orig_flags = rq->cmd_flags & ~REQ_PREFLUSH;
	if (!q->limits.fua)
		rq->flush_orig_flags &= ~REQ_FUA;
	rq->flush_orig_len = rq->__data_len;
	rq->flush_orig_segs = rq->nr_phys_segments;
	rq->flush_seq = REQ_FSEQ_ALL & ~policy;
	INIT_LIST_HEAD(&rq->flush_list);
	blk_flush_start_next(rq, BLK_STS_OK, ticket, &out);
	blk_mq_dispatch_list(&out);
}

/* BLK3: from a completion, follow-up work waits on hctx->dispatch. */
static void blk_flush_requeue_list(struct list_head *list)
{
	while (!list_empty(list)) {
		struct request *rq = list_first_entry(list, struct request, queuelist);

		list_del_init(&rq->queuelist);
		blk_mq_requeue_request(rq);
	}
}

/*
 * The FLUSH carried by @carrier ended with @status: every request it
 * covered has that step done (or fails with @status), and the requests
 * that came meanwhile get the next flush.
 */
static void blk_flush_end_flush(struct request *carrier, blk_status_t status,
				struct list_head *out)
{
	struct blk_mq_hw_ctx *hctx = carrier->mq_hctx;
	struct request *rq, *next;
	unsigned long flags;
	LIST_HEAD(covered);

	spin_lock_irqsave(&hctx->flush_lock, flags);
	hctx->flush_rq = NULL;
	if (status == BLK_STS_OK)
		hctx->flush_ok = hctx->flush_issued; /* FL3 */
	list_splice_tail_init(&hctx->flush_running, &covered);
	spin_unlock_irqrestore(&hctx->flush_lock, flags);
	list_for_each_entry_safe(rq, next, &covered, flush_list) {
		list_del_init(&rq->flush_list);
		rq->flush_seq |= blk_flush_next_step(rq); /* FL2 */
		blk_flush_start_next(rq, status, NULL, out);
	}
	spin_lock_irqsave(&hctx->flush_lock, flags);
	rq = blk_kick_flush(hctx);
	spin_unlock_irqrestore(&hctx->flush_lock, flags);
	if (rq)
		list_add_tail(&rq->queuelist, out);
}

/* Context: any (the driver's completion, or a refused dispatch). */
void blk_flush_complete_step(struct request *rq, blk_status_t status)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	bool carrier;
	unsigned long flags;
	LIST_HEAD(out);

	blk_account_done(rq, status);
	spin_lock_irqsave(&hctx->flush_lock, flags);
	carrier = hctx->flush_rq == rq;
	spin_unlock_irqrestore(&hctx->flush_lock, flags);
	if (carrier) {
		blk_flush_end_flush(rq, status, &out);
	} else {
		rq->flush_seq |= REQ_FSEQ_DATA; /* FL2: only data runs alone */
		blk_flush_start_next(rq, status, NULL, &out);
	}
	blk_flush_requeue_list(&out);
}
