/*
 * block/blk-mq.c - requests, tags, hardware queues, dispatch, completion.
 *
 * Layer: block. Used by: submit_bio() above, block drivers below.
 * Provides: blk_mq_alloc_tag_set(), blk_mq_alloc_disk(),
 * blk_mq_complete_request(), blk_mq_end_request(), blk_mq_run_hw_queue(),
 * polling (blk_mq_poll(), bio_poll(), bio_poll_until(), blk_queue_poll()),
 * and (block-internal)
 * blk_mq_submit_bio(), blk_mq_dispatch_list(), blk_mq_put_request().
 * Not here: timeouts (blk-timeout.c), flush sequences (blk-flush.c).
 *
 * The path of a bio: split to the limits (blk-merge.c) -> merged into a
 * request on the task's plug, or -> a new request with a tag of the
 * submitting CPU's hw queue (sleeping while none is free) -> straight to
 * the flush machinery when it carries PREFLUSH/FUA the device must see as
 * separate flushes (blk-flush.c) -> on the plug, or on hctx->dispatch ->
 * ->queue_rq() -> ... -> blk_mq_complete_request() -> ->complete() ->
 * blk_mq_end_request() -> bios ended, tag freed,
 * a waiting submitter woken.
 *
 * Invariants (checked by blk_mq_check_tags(), after each step of the
 * blk_mq tests):
 *  BLK1: a request holds its tag from blk_mq_get_request() until
 *      blk_mq_free_request(); hctx->rqs[tag] is that request.
 *  BLK2: hctx->nr_inflight counts requests between a queue_rq() call and
 *      their completion (a request the driver refused is not counted).
 *  BLK3: the only driver call on the completion path is ->complete(), made
 *      by blk_mq_complete_request(); ending a request never calls
 *      ->queue_rq() (drivers complete under their own locks): follow-up
 *      work waits on hctx->dispatch for the next blk_mq_run_hw_queue().
 *  BLK4: rq->state is IN_FLIGHT from dispatch until exactly one
 *      blk_mq_complete_request() (or direct blk_mq_end_request()) swaps it
 *      to COMPLETE; a second completion
 *      (or one of a request never dispatched) is refused with a warning.
 *  BLK5: rq->ref is 1 from blk_mq_get_request() until the request is ended,
 *      plus one while the timeout work examines it; the tag is freed when
 *      it drops to 0 (block/blk-timeout.c).
 *  BLK6: polling is never needed for progress: ->poll and the driver's
 *      interrupt may reap the same queue at once (the driver's lock and BLK4
 *      give each request one completion), and a wait that polled in vain
 *      still sleeps until the interrupt's completion wakes it.
 *
 * Locking: hctx->lock (irqsave; leaf lock, never held across driver calls)
 * protects tag_bitmap, nr_tags_used, dispatch, nr_inflight, completed,
 * remote_completed. rq->state and rq->ref change by atomic operations only
 * (BLK4, BLK5); so do the poll counters and q->poll_stat[] (statistics).
 */
#include <quire/blk-mq.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/bug.h>
#include <quire/preempt.h>
#include <arch/cpu.h>
#include <arch/time.h>
#include <quire/trace.h>
#include <quire/sched.h>
#include <quire/fs.h>
#include "blk.h"

#define BITS_PER_LONG	(8 * sizeof(unsigned long))
#define RESOURCE_RETRIES 1000	/* re-dispatch tries with nothing in flight */

/* ---- tags ---- */

/*
 * The lowest free tag of @hctx, or -1: a word of the bitmap at a time
 * (its first zero bit), not a test per tag below the first free one (up
 * to 32 per request at QD32, with the interrupts off).
 */
static int blk_mq_get_tag(struct blk_mq_hw_ctx *hctx)
{
	unsigned int nwords = DIV_ROUND_UP(hctx->queue_depth, BITS_PER_LONG);
	unsigned long flags;
	int tag = -1;

	spin_lock_irqsave(&hctx->lock, flags);
	for (unsigned int w = 0; w < nwords; w++) {
		unsigned long free = ~hctx->tag_bitmap[w];
		unsigned int i;

		if (!free)
			continue;
		i = w * BITS_PER_LONG + __builtin_ctzl(free);
		if (i >= hctx->queue_depth)
			break; /* the last word's bits past the depth */
		hctx->tag_bitmap[w] |= 1UL << (i % BITS_PER_LONG);
		WRITE_ONCE(hctx->nr_tags_used, hctx->nr_tags_used + 1);
		tag = i;
		break;
	}
	spin_unlock_irqrestore(&hctx->lock, flags);
	return tag;
}

static void blk_mq_put_tag(struct blk_mq_hw_ctx *hctx, int tag)
{
	unsigned long flags;

	/* Wake under the lock: once it is dropped this path never touches
	 * @hctx again, which del_gendisk() relies on (blk_mq_quiesce_tags). */
	spin_lock_irqsave(&hctx->lock, flags);
	hctx->tag_bitmap[tag / BITS_PER_LONG] &= ~(1UL << (tag % BITS_PER_LONG));
	/* Marked: disk_idle() reads it without the lock. */
	WRITE_ONCE(hctx->nr_tags_used, hctx->nr_tags_used - 1);
	wake_up(&hctx->tag_wait);
	spin_unlock_irqrestore(&hctx->lock, flags);
}

static struct blk_mq_hw_ctx *blk_mq_map_queue(struct request_queue *q)
{
	return q->hctxs[arch_smp_processor_id() % q->nr_hw_queues];
}

enum stat_group blk_stat_group(blk_opf_t opf)
{
	switch (bio_op_of(opf)) {
	case REQ_OP_READ:		return STAT_READ;
	case REQ_OP_DISCARD:		return STAT_DISCARD;
	case REQ_OP_FLUSH:		return STAT_FLUSH;
	default:			return STAT_WRITE;
	}
}

/*
 * A request with a free tag of this CPU's hw queue. Sleeps while every
 * tag is in use, after dispatching the task's plug (whose requests hold
 * tags: waiting with them unsent could wait forever).
 * Context: process, may sleep.
 */
struct request *blk_mq_get_request(struct request_queue *q, blk_opf_t opf)
{
	struct blk_mq_hw_ctx *hctx = blk_mq_map_queue(q);
	struct request *rq;
	unsigned long flags;
	int tag = blk_mq_get_tag(hctx);

	if (tag < 0) {
		blk_flush_plug(*blk_current_plug());
		wait_event(hctx->tag_wait, (tag = blk_mq_get_tag(hctx)) >= 0);
	}
	rq = hctx->rqs[tag]; /* BLK1 */
	rq->cmd_flags = opf;
	rq->rq_flags = op_is_write(opf) ? RQF_INFLIGHT_WR : 0;
	rq->__sector = 0;
	rq->__data_len = 0;
	rq->nr_phys_segments = 0;
	rq->bio = rq->biotail = NULL;
	rq->status = BLK_STS_OK;
	rq->flush_seq = 0;
	rq->timed_out = false;
	__atomic_store_n(&rq->ref, 1, __ATOMIC_RELEASE); /* BLK5: was 0 */
	rq->start_time_ns = arch_clock_ns();
	rq->cpu = arch_smp_processor_id();
	INIT_LIST_HEAD(&rq->queuelist);
	spin_lock_irqsave(&q->disk->stats_lock, flags);
	q->disk->stats.in_flight[op_is_write(opf) ? 1 : 0]++;
	spin_unlock_irqrestore(&q->disk->stats_lock, flags);
	return rq;
}

static void __blk_mq_free_request(struct request *rq)
{
	struct gendisk *disk = rq->q->disk;
	unsigned long flags;

	__atomic_store_n(&rq->state, MQ_RQ_IDLE, __ATOMIC_RELEASE);
	spin_lock_irqsave(&disk->stats_lock, flags);
	disk->stats.in_flight[(rq->rq_flags & RQF_INFLIGHT_WR) ? 1 : 0]--;
	spin_unlock_irqrestore(&disk->stats_lock, flags);
	blk_mq_put_tag(rq->mq_hctx, rq->tag);
}

/* Drop a reference (BLK5); the last frees the tag. Context: any. */
void blk_mq_put_request(struct request *rq)
{
	if (__atomic_sub_fetch(&rq->ref, 1, __ATOMIC_ACQ_REL) == 0)
		__blk_mq_free_request(rq);
}

void blk_mq_free_request(struct request *rq)
{
	blk_mq_put_request(rq);
}

void blk_account_merge(struct request_queue *q, blk_opf_t opf)
{
	unsigned long flags;

	spin_lock_irqsave(&q->disk->stats_lock, flags);
	q->disk->stats.merges[blk_stat_group(opf)]++;
	spin_unlock_irqrestore(&q->disk->stats_lock, flags);
}

void blk_account_done(struct request *rq, blk_status_t status)
{
	struct disk_stats *st = &rq->q->disk->stats;
	enum stat_group g = blk_stat_group(rq->cmd_flags);
	u64 now = arch_clock_ns();
	unsigned long flags;

	spin_lock_irqsave(&rq->q->disk->stats_lock, flags);
	st->ios[g]++;
	st->sectors[g] += blk_rq_sectors(rq);
	st->nsecs[g] += now - rq->start_time_ns;
	if (status)
		st->errors++;
	if (op_has_data(rq->cmd_flags)) {
		st->max_rq_sectors = max(st->max_rq_sectors, blk_rq_sectors(rq));
		st->max_rq_segments = max(st->max_rq_segments,
					  (u32)rq->nr_phys_segments);
	}
	spin_unlock_irqrestore(&rq->q->disk->stats_lock, flags);
}

/* ---- checks ---- */

#define CHECK_MAX_DISPATCH 100000 /* a longer walk means a corrupt list */

static int blk_mq_check_hctx(struct blk_mq_hw_ctx *hctx)
{
	unsigned int used = 0, walked = 0;
	struct request *rq;

	for (unsigned int tag = 0; tag < hctx->queue_depth; tag++) {
		bool busy = hctx->tag_bitmap[tag / BITS_PER_LONG] &
			    (1UL << (tag % BITS_PER_LONG));

		rq = hctx->rqs[tag];
		if (!rq || rq->tag != (int)tag || rq->mq_hctx != hctx) {
			pr_err("blk-mq: hctx %u: BLK1 broken: rqs[%u] is not the request of tag %u\n",
			       hctx->queue_num, tag, tag);
			return -EUCLEAN;
		}
		used += busy;
		/* Freeing drops ref to 0 and the state to IDLE before the
		 * bit is cleared under our lock; allocation sets the bit
		 * first. So a free tag has neither. */
		if (!busy && __atomic_load_n(&rq->ref, __ATOMIC_ACQUIRE)) {
			pr_err("blk-mq: hctx %u: BLK5 broken: free tag %u has ref %d\n",
			       hctx->queue_num, tag,
			       __atomic_load_n(&rq->ref, __ATOMIC_ACQUIRE));
			return -EUCLEAN;
		}
		if (!busy &&
		    __atomic_load_n(&rq->state, __ATOMIC_ACQUIRE) != MQ_RQ_IDLE) {
			pr_err("blk-mq: hctx %u: BLK4 broken: free tag %u is in state %d\n",
			       hctx->queue_num, tag,
			       __atomic_load_n(&rq->state, __ATOMIC_ACQUIRE));
			return -EUCLEAN;
		}
	}
	if (used != hctx->nr_tags_used) {
		pr_err("blk-mq: hctx %u: BLK1 broken: %u tags set, nr_tags_used %u\n",
		       hctx->queue_num, used, hctx->nr_tags_used);
		return -EUCLEAN;
	}
	if (hctx->nr_inflight > used) {
		pr_err("blk-mq: hctx %u: BLK2 broken: nr_inflight %u with %u tags in use\n",
		       hctx->queue_num, hctx->nr_inflight, used);
		return -EUCLEAN;
	}
	list_for_each_entry(rq, &hctx->dispatch, queuelist) {
		int tag = rq->tag;

		if (++walked > CHECK_MAX_DISPATCH || rq->mq_hctx != hctx || tag < 0 ||
		    (unsigned int)tag >= hctx->queue_depth || hctx->rqs[tag] != rq ||
		    !(hctx->tag_bitmap[tag / BITS_PER_LONG] &
		      (1UL << (tag % BITS_PER_LONG)))) {
			pr_err("blk-mq: hctx %u: BLK1 broken: a request on the dispatch list does not hold its tag\n",
			       hctx->queue_num);
			return -EUCLEAN;
		}
	}
	return 0;
}

int blk_mq_check_tags(struct request_queue *q)
{
	for (unsigned int i = 0; i < q->nr_hw_queues; i++) {
		struct blk_mq_hw_ctx *hctx = q->hctxs[i];
		unsigned long flags;
		int err;

		spin_lock_irqsave(&hctx->lock, flags);
		err = blk_mq_check_hctx(hctx);
		spin_unlock_irqrestore(&hctx->lock, flags);
		if (err)
			return err;
	}
	return 0;
}

/* ---- completion ---- */

/* A step of @rq ended: the next step of its flush sequence, or its end.
 * Context: any; never calls the driver (BLK3). */
static void blk_mq_end_or_advance(struct request *rq, blk_status_t status)
{
	if (rq->rq_flags & RQF_FLUSH_SEQ)
		blk_flush_complete_step(rq, status);
	else
		blk_mq_end_bios_free(rq, status);
}

/* End every bio of @rq with @status, then free its tag. Context: any. */
void blk_mq_end_bios_free(struct request *rq, blk_status_t status)
{
	int err = blk_status_to_errno(status);
	struct bio *bio = rq->bio;

	if (!(rq->rq_flags & RQF_ACCOUNTED))
		blk_account_done(rq, status);
	rq->bio = rq->biotail = NULL;
	while (bio) {
		struct bio *next = bio->bi_next;

		bio->bi_next = NULL;
		if (err)
			bio->bi_status = err;
		bio_endio(bio);
		bio = next;
	}
	blk_mq_free_request(rq);
}

/* ---- polling ---- */

#define BLK_POLL_MIN_NS	 20000	/* budget floor, and before any sample */
#define BLK_POLL_FAST_NS 100000 /* adaptive: spin only below this mean */

/* Linux's blk_mq_poll_stats_bkt(): direction + 2 x log2(sectors). */
static unsigned int blk_mq_poll_stats_bkt(blk_opf_t opf, u32 bytes)
{
	unsigned int ddir = op_is_write(opf) ? 1 : 0;
	u32 sectors = bytes >> SECTOR_SHIFT;
	unsigned int bucket;

	if (!sectors)
		return ddir;
	bucket = ddir + 2 * (31 - __builtin_clz(sectors));
	if (bucket >= BLK_MQ_POLL_STATS_BKTS)
		bucket = ddir + BLK_MQ_POLL_STATS_BKTS - 2;
	return bucket;
}

/* Fold @rq's time at the driver into its bucket's mean (1/8 weight).
 * Two CPUs updating one bucket at once may lose a sample: a statistic. */
static void blk_mq_poll_stat_add(struct request *rq)
{
	u64 *mean =
		&rq->q->poll_stat[blk_mq_poll_stats_bkt(rq->cmd_flags, blk_rq_bytes(rq))];
	u64 t = arch_clock_ns() - rq->io_start_time_ns;
	u64 old = __atomic_load_n(mean, __ATOMIC_RELAXED);

	__atomic_store_n(mean, old ? old - old / 8 + t / 8 : t, __ATOMIC_RELAXED);
}

/*
 * How long to poll for a request like @opf/@bytes before sleeping. Linux's
 * hybrid polling sleeps half the mean completion time, then spins until
 * the request completes. Quire's timers tick every 4 ms, so it cannot
 * sleep for tens of microseconds: it spins from the start instead, for
 * twice the mean (most completions land within it), but only while the
 * device is fast (mean below BLK_POLL_FAST_NS): a longer spin costs more
 * CPU than the sleep and wake-up it saves, and under a virtual machine it
 * takes that CPU from the host threads doing the I/O (docs/block.md).
 * 0: do not spin (one poll pass, then sleep). A fixed budget is used as is.
 */
static u64 blk_mq_poll_budget(struct request_queue *q, blk_opf_t opf, u32 bytes)
{
	unsigned int fixed = READ_ONCE(q->poll_nsec);
	u64 mean;

	if (fixed)
		return fixed;
	mean = __atomic_load_n(&q->poll_stat[blk_mq_poll_stats_bkt(opf, bytes)],
			       __ATOMIC_RELAXED);
	if (mean > BLK_POLL_FAST_NS)
		return 0;
	return max(2 * mean, (u64)BLK_POLL_MIN_NS);
}

void blk_queue_poll(struct request_queue *q, bool on, unsigned int nsec)
{
	WRITE_ONCE(q->poll_nsec, nsec);
	WRITE_ONCE(q->poll_enabled, on && q->tag_set->ops->poll);
}

static void blk_mq_stat_inc(u64 *counter, u64 n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

int blk_mq_poll(struct request_queue *q, unsigned int queue_num)
{
	const struct blk_mq_ops *ops = q->tag_set->ops;
	struct blk_mq_hw_ctx *hctx;
	int ret;

	if (!ops->poll || queue_num >= q->nr_hw_queues)
		return 0;
	hctx = q->hctxs[queue_num];
	ret = ops->poll(hctx);
	blk_mq_stat_inc(&hctx->poll_invoked, 1);
	if (ret > 0) {
		blk_mq_stat_inc(&hctx->poll_success, 1);
		blk_mq_stat_inc(&hctx->poll_completed, ret);
	}
	return ret;
}

int bio_poll(struct bio *bio)
{
	struct request_queue *q = bdev_get_queue(bio->bi_bdev);
	unsigned int cookie = READ_ONCE(bio->bi_cookie);

	if (cookie == BLK_QC_T_NONE || !READ_ONCE(q->poll_enabled))
		return 0;
	return blk_mq_poll(q, cookie);
}

bool bio_poll_until(struct bio *bio, bool (*done)(void *), void *arg)
{
	struct request_queue *q = bdev_get_queue(bio->bi_bdev);
	unsigned int cookie = READ_ONCE(bio->bi_cookie);
	u64 budget, end;

	if (done(arg))
		return true;
	if (cookie >= q->nr_hw_queues || !READ_ONCE(q->poll_enabled))
		return false;
	budget = blk_mq_poll_budget(q, bio->bi_opf, bio->bi_iter.bi_size);
	if (budget)
		blk_mq_stat_inc(&q->hctxs[cookie]->poll_considered, 1);
	end = arch_clock_ns() + budget;
	for (;;) {
		if (blk_mq_poll(q, cookie) < 0)
			break;
		if (done(arg))
			return true;
		if (need_resched() || arch_clock_ns() >= end)
			break;
		arch_cpu_relax();
	}
	return done(arg);
}

/* ---- completion (continued) ---- */

/* IN_FLIGHT -> COMPLETE; false if another completion won (BLK4). */
static bool blk_mq_mark_complete(struct request *rq)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	int in_flight = MQ_RQ_IN_FLIGHT;
	unsigned long flags;

	/* BLK4: one completion wins. A timeout handler and the device may
	 * both try for a timed-out request; otherwise a second completion
	 * is a driver bug. */
	if (!__atomic_compare_exchange_n(&rq->state, &in_flight, MQ_RQ_COMPLETE, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		WARN_ON_ONCE(!READ_ONCE(rq->timed_out));
		return false;
	}
	if (READ_ONCE(rq->q->poll_enabled))
		blk_mq_poll_stat_add(rq);
	spin_lock_irqsave(&hctx->lock, flags);
	hctx->nr_inflight--; /* BLK2 */
	hctx->completed++;
	if (arch_smp_processor_id() != rq->cpu)
		hctx->remote_completed++;
	spin_unlock_irqrestore(&hctx->lock, flags);
	return true;
}

void blk_mq_complete_request(struct request *rq)
{
	const struct blk_mq_ops *ops = rq->q->tag_set->ops;

	if (!blk_mq_mark_complete(rq))
		return;
	if (WARN_ON_ONCE(!ops->complete))
		blk_mq_end_request(rq, BLK_STS_IOERR);
	else
		ops->complete(rq);
}

/* Linux's block_rq_issue and block_rq_complete events. */
static u32 rq_dev(struct request *rq, char *rwbs)
{
	blk_fill_rwbs(rwbs, rq->cmd_flags);
	return __atomic_load_n(&rq->q->disk->part0.bd_dev, __ATOMIC_RELAXED);
}

static void trace_block_rq_issue(struct request *rq)
{
	char rwbs[8];
	u32 dev = rq_dev(rq, rwbs);

	trace_event("block_rq_issue", "%u,%u %s %u () %llu + %u [%s]", MAJOR(dev),
		    MINOR(dev), rwbs, rq->__data_len, (unsigned long long)rq->__sector,
		    rq->__data_len >> 9, current->comm);
}

static void trace_block_rq_complete(struct request *rq, int error)
{
	char rwbs[8];
	u32 dev = rq_dev(rq, rwbs);

	trace_event("block_rq_complete", "%u,%u %s () %llu + %u [%d]", MAJOR(dev),
		    MINOR(dev), rwbs, (unsigned long long)rq->__sector,
		    rq->__data_len >> 9, error);
}

void blk_mq_end_request(struct request *rq, blk_status_t status)
{
	/* From ->complete the request is COMPLETE already; a direct end
	 * marks it here, and loses to a completion that came first. */
	if (__atomic_load_n(&rq->state, __ATOMIC_ACQUIRE) != MQ_RQ_COMPLETE &&
	    !blk_mq_mark_complete(rq))
		return;
	rq->status = status;
	if (trace_enabled())
		trace_block_rq_complete(rq, blk_status_to_errno(status));
	blk_mq_end_or_advance(rq, status);
}

/* ---- dispatch ---- */

/* Put @rq on its hctx's dispatch list (BLK3: no driver call). Context: any. */
void blk_mq_requeue_request(struct request *rq)
{
	struct blk_mq_hw_ctx *hctx = rq->mq_hctx;
	unsigned long flags;

	spin_lock_irqsave(&hctx->lock, flags);
	list_add_tail(&rq->queuelist, &hctx->dispatch);
	spin_unlock_irqrestore(&hctx->lock, flags);
}

/* @rq goes to the driver: in flight, with a deadline (BLK4, TO1). */
static void blk_mq_rq_start(struct request *rq)
{
	rq->io_start_time_ns = arch_clock_ns();
	WRITE_ONCE(rq->deadline, jiffies + READ_ONCE(rq->q->rq_timeout));
	__atomic_store_n(&rq->state, MQ_RQ_IN_FLIGHT, __ATOMIC_RELEASE);
	blk_add_timer(rq);
}

/* The driver refused @rq: not in flight after all. */
static void blk_mq_rq_unstart(struct request *rq)
{
	__atomic_store_n(&rq->state, MQ_RQ_IDLE, __ATOMIC_RELEASE);
}

/* What became of a list offered to the driver. */
enum dispatch_result {
	DISPATCH_DONE,		/* every request taken (or failed) */
	DISPATCH_PARKED,	/* refused; a completion will rerun the queue */
	DISPATCH_RETRY,		/* refused with nothing in flight: retry */
};

/*
 * The driver refused @rq (and the rest of @list) for lack of room: park
 * them at the head of the dispatch list. DISPATCH_RETRY when nothing is in
 * flight, so no completion will come to rerun the queue: the caller
 * retries itself.
 */
static enum dispatch_result blk_mq_park(struct blk_mq_hw_ctx *hctx,
					struct request *rq, struct list_head *list)
{
	unsigned long flags;
	bool idle;

	list_add(&rq->queuelist, list);
	spin_lock_irqsave(&hctx->lock, flags);
	hctx->nr_inflight--;
	list_splice_tail_init(&hctx->dispatch, list);
	list_splice_tail_init(list, &hctx->dispatch);
	idle = hctx->nr_inflight == 0;
	spin_unlock_irqrestore(&hctx->lock, flags);
	return idle ? DISPATCH_RETRY : DISPATCH_PARKED;
}

/* Move everything on @hctx->dispatch to the end of @list; false if that
 * left @list empty. Context: any. */
static bool blk_mq_take_dispatch(struct blk_mq_hw_ctx *hctx, struct list_head *list)
{
	unsigned long flags;

	spin_lock_irqsave(&hctx->lock, flags);
	list_splice_tail_init(&hctx->dispatch, list);
	spin_unlock_irqrestore(&hctx->lock, flags);
	return !list_empty(list);
}

/* Offer the requests of @list to the driver in order. */
static enum dispatch_result blk_mq_dispatch_rq_list(struct blk_mq_hw_ctx *hctx,
						    struct list_head *list)
{
	const struct blk_mq_ops *ops = hctx->queue->tag_set->ops;
	struct blk_mq_queue_data bd = { .last = true };
	bool need_commit = false;	/* queued with last = false, no kick yet */
	unsigned long flags;
	blk_status_t ret;

	while (!list_empty(list)) {
		struct request *rq = list_first_entry(list, struct request, queuelist);

		list_del_init(&rq->queuelist);
		bd.rq = rq;
		bd.last = list_empty(list);
		spin_lock_irqsave(&hctx->lock, flags);
		hctx->nr_inflight++; /* BLK2: before the driver can complete it */
		hctx->dispatched++;
		spin_unlock_irqrestore(&hctx->lock, flags);
		blk_mq_rq_start(rq);
		if (trace_enabled())
			trace_block_rq_issue(rq);
		ret = ops->queue_rq(hctx, &bd);
		if (ret == BLK_STS_OK) {
			need_commit = !bd.last;
			continue;
		}
		blk_mq_rq_unstart(rq);
		if (ret == BLK_STS_RESOURCE || ret == BLK_STS_DEV_RESOURCE) {
			if (need_commit && ops->commit_rqs)
				ops->commit_rqs(hctx);
			return blk_mq_park(hctx, rq, list);
		}
		spin_lock_irqsave(&hctx->lock, flags);
		hctx->nr_inflight--;
		spin_unlock_irqrestore(&hctx->lock, flags);
		blk_mq_end_or_advance(rq, ret); /* may queue more on dispatch */
	}
	if (need_commit && ops->commit_rqs)
		ops->commit_rqs(hctx);
	return DISPATCH_DONE;
}

/* Fail everything parked on @hctx: the driver refuses with nothing in
 * flight, so waiting would hang. */
static void blk_mq_fail_parked(struct blk_mq_hw_ctx *hctx)
{
	LIST_HEAD(list);

	pr_err("%s: driver returns BLK_STS_RESOURCE with no request in flight; failing parked requests\n",
	       hctx->queue->disk->disk_name);
	/* Failing a flush step can queue the next flush: until none is left. */
	while (blk_mq_take_dispatch(hctx, &list)) {
		while (!list_empty(&list)) {
			struct request *rq =
				list_first_entry(&list, struct request, queuelist);

			list_del_init(&rq->queuelist);
			blk_mq_end_or_advance(rq, BLK_STS_IOERR);
		}
	}
}

void blk_mq_run_hw_queue(struct blk_mq_hw_ctx *hctx)
{
	unsigned int retries = 0;
	LIST_HEAD(list);

	while (blk_mq_take_dispatch(hctx, &list)) {
		switch (blk_mq_dispatch_rq_list(hctx, &list)) {
		case DISPATCH_DONE:
			continue;	/* more may have arrived meanwhile */
		case DISPATCH_PARKED:
			return;
		case DISPATCH_RETRY:
			break;
		}
		if (++retries > RESOURCE_RETRIES) {
			blk_mq_fail_parked(hctx);
			return;
		}
		arch_cpu_relax();
	}
}

void blk_mq_run_hw_queues(struct request_queue *q)
{
	for (unsigned int i = 0; i < q->nr_hw_queues; i++)
		blk_mq_run_hw_queue(q->hctxs[i]);
}

/* Hand a list of requests (from a plug, or one new request) to their hw
 * queues; each queue is run once, so the driver gets one kick per queue.
 * Context: process or any. */
void blk_mq_dispatch_list(struct list_head *list)
{
	struct blk_mq_hw_ctx *run[16];
	unsigned int nr = 0, i;

	while (!list_empty(list)) {
		struct request *rq = list_first_entry(list, struct request, queuelist);
		struct blk_mq_hw_ctx *hctx = rq->mq_hctx;

		list_del_init(&rq->queuelist);
		blk_mq_requeue_request(rq);
		for (i = 0; i < nr && run[i] != hctx; i++)
			;
		if (i < nr)
			continue;
		if (nr == ARRAY_SIZE(run)) {
			for (i = 0; i < nr; i++)
				blk_mq_run_hw_queue(run[i]);
			nr = 0;
		}
		run[nr++] = hctx;
	}
	for (i = 0; i < nr; i++)
		blk_mq_run_hw_queue(run[i]);
}

/* ---- submission ---- */

static void blk_mq_submit_one(struct request_queue *q, struct bio *bio,
			      struct blk_flush_ticket *ticket)
{
	struct blk_plug *plug = *blk_current_plug();
	struct request *rq;
	LIST_HEAD(one);

	bio->bi_cookie = blk_mq_map_queue(q)->queue_num; /* bio_poll() */
	if (plug && blk_attempt_plug_merge(q, plug, bio))
		return;
	rq = blk_mq_get_request(q, bio->bi_opf);
	blk_rq_bio_prep(rq, bio);
	if (blk_flush_needs_seq(q, rq->cmd_flags, blk_rq_bytes(rq))) {
		blk_insert_flush(rq, ticket);
		return;
	}
	if (plug) {
		list_add_tail(&rq->queuelist, &plug->mq_list);
		if (++plug->rq_count >= BLK_MAX_REQUEST_COUNT)
			blk_flush_plug(plug);
		return;
	}
	list_add_tail(&rq->queuelist, &one);
	blk_mq_dispatch_list(&one);
}

/* Context: process, may sleep. */
void blk_mq_submit_bio(struct bio *bio)
{
	struct request_queue *q = bdev_get_queue(bio->bi_bdev);
	struct blk_flush_ticket ticket = {NULL, 0, NULL};
	struct bio *split;

	if (blk_flush_prepare(q, bio))
		return;
	/* Every piece keeps PREFLUSH and FUA (Linux's bio_split()); the
	 * ticket lets the pieces share the first piece's flush. */
	while ((split = bio_split_to_limits(bio)) != bio) {
		if (!split) {
			bio_endio(bio);		/* bi_status says why */
			return;
		}
		blk_mq_submit_one(q, split, &ticket);
	}
	blk_mq_submit_one(q, bio, &ticket);
	blk_flush_ticket_release(&ticket);
}

/* ---- set-up ---- */

int blk_mq_alloc_tag_set(struct blk_mq_tag_set *set)
{
	if (!set->ops || !set->ops->queue_rq || !set->nr_hw_queues ||
	    !set->queue_depth || set->queue_depth > BLK_MQ_MAX_DEPTH) {
		pr_err("blk-mq: invalid tag set (ops, %u hw queues, depth %u)\n",
		       set->nr_hw_queues, set->queue_depth);
		return -EINVAL;
	}
	if (set->nr_hw_queues > BLK_MQ_MAX_HW_QUEUES)
		set->nr_hw_queues = BLK_MQ_MAX_HW_QUEUES;
	return 0;
}

void blk_mq_free_tag_set(struct blk_mq_tag_set *set)
{
}

static void blk_mq_free_hctx(struct blk_mq_hw_ctx *hctx)
{
	if (!hctx)
		return;
	for (unsigned int i = 0; hctx->rqs && i < hctx->queue_depth; i++)
		kfree(hctx->rqs[i]);
	kfree(hctx->rqs);
	kfree(hctx->tag_bitmap);
	kfree(hctx);
}

static struct blk_mq_hw_ctx *blk_mq_alloc_hctx(struct request_queue *q,
					       unsigned int num)
{
	struct blk_mq_tag_set *set = q->tag_set;
	unsigned int depth = set->queue_depth;
	struct blk_mq_hw_ctx *hctx = kzalloc(sizeof(*hctx), GFP_KERNEL);

	if (!hctx)
		return NULL;
	spin_lock_init(&hctx->lock);
	INIT_LIST_HEAD(&hctx->dispatch);
	spin_lock_init(&hctx->flush_lock);
	INIT_LIST_HEAD(&hctx->flush_pending);
	INIT_LIST_HEAD(&hctx->flush_running);
	init_waitqueue_head(&hctx->tag_wait);
	hctx->queue = q;
	hctx->queue_num = num;
	hctx->queue_depth = depth;
	hctx->tag_bitmap = kcalloc(DIV_ROUND_UP(depth, BITS_PER_LONG),
				   sizeof(unsigned long), GFP_KERNEL);
	hctx->rqs = kcalloc(depth, sizeof(*hctx->rqs), GFP_KERNEL);
	if (!hctx->tag_bitmap || !hctx->rqs)
		goto out_free;
	for (unsigned int i = 0; i < depth; i++) {
		struct request *rq = kzalloc(sizeof(*rq) + set->cmd_size, GFP_KERNEL);

		if (!rq)
			goto out_free;
		rq->q = q;
		rq->mq_hctx = hctx;
		rq->tag = i;
		INIT_LIST_HEAD(&rq->queuelist);
		hctx->rqs[i] = rq;
	}
	return hctx;
out_free:
	blk_mq_free_hctx(hctx);
	return NULL;
}

static void blk_mq_free_queue(struct request_queue *q)
{
	blk_sync_queue(q);
	blk_flush_cancel_late(q);
	for (unsigned int i = 0; q->hctxs && i < q->nr_hw_queues; i++)
		blk_mq_free_hctx(q->hctxs[i]);
	kfree(q->hctxs);
	kfree(q);
}

static struct request_queue *blk_mq_alloc_queue(struct blk_mq_tag_set *set,
						const struct queue_limits *lim,
						void *queuedata, int *err)
{
	struct request_queue *q = kzalloc(sizeof(*q), GFP_KERNEL);

	*err = -ENOMEM;
	if (!q)
		return NULL;
	q->tag_set = set;
	q->queuedata = queuedata;
	init_waitqueue_head(&q->q_freeze_wq);
	blk_flush_init_queue(q);
	blk_timeout_init(q, set->timeout);
	q->nr_hw_queues = set->nr_hw_queues;
	if (lim)
		q->limits = *lim;
	blk_set_default_limits(&q->limits);
	*err = blk_validate_limits(&q->limits);
	if (*err)
		goto out_free;
	*err = -ENOMEM;
	q->hctxs = kcalloc(q->nr_hw_queues, sizeof(*q->hctxs), GFP_KERNEL);
	if (!q->hctxs)
		goto out_free;
	for (unsigned int i = 0; i < q->nr_hw_queues; i++) {
		q->hctxs[i] = blk_mq_alloc_hctx(q, i);
		if (!q->hctxs[i])
			goto out_free;
	}
	*err = 0;
	return q;
out_free:
	blk_mq_free_queue(q);
	return NULL;
}

struct gendisk *blk_mq_alloc_disk(struct blk_mq_tag_set *set,
				  const struct queue_limits *lim, void *queuedata)
{
	struct gendisk *disk = kzalloc(sizeof(*disk), GFP_KERNEL);
	int err = -ENOMEM;

	if (!disk)
		return ERR_PTR(-ENOMEM);
	disk->queue = blk_mq_alloc_queue(set, lim, queuedata, &err);
	if (!disk->queue) {
		kfree(disk);
		return ERR_PTR(err);
	}
	disk->queue->disk = disk;
	disk->part0.bd_disk = disk;
	disk->part0.bd_queue = disk->queue;
	spin_lock_init(&disk->stats_lock);
	INIT_LIST_HEAD(&disk->list);
	disk->refcount = 1; /* the driver's */
	return disk;
}

struct gendisk *get_disk(struct gendisk *disk)
{
	__atomic_add_fetch(&disk->refcount, 1, __ATOMIC_RELAXED);
	return disk;
}

/* The last reference frees the disk and its queue (GD1). */
void put_disk(struct gendisk *disk)
{
	if (!disk || __atomic_sub_fetch(&disk->refcount, 1, __ATOMIC_ACQ_REL))
		return;
	WARN_ON_ONCE(disk->registered);
	blk_mq_free_queue(disk->queue);
	kfree(disk);
}
