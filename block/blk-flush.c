/*
 * block/blk-flush.c - REQ_PREFLUSH and REQ_FUA, Linux's way.
 *
 * Layer: block. Used by: block/blk-mq.c.
 * Provides: blk_flush_prepare(), blk_flush_needs_seq(), blk_insert_flush(),
 * blk_flush_complete_step().
 *
 * A write with REQ_PREFLUSH promises: every write completed before it was
 * submitted is durable before it is written. REQ_FUA promises: this write
 * is durable when it completes. How that reaches the device depends on it
 * (Linux: blk_flush_policy()):
 *
 *   device                      PREFLUSH           FUA
 *   no volatile write cache     stripped           stripped
 *   write cache, FUA support    FLUSH, then write  kept on the write
 *   write cache, no FUA         FLUSH, then write  write, then FLUSH
 *
 * An empty write with PREFLUSH (and REQ_OP_FLUSH, turned into one) is a
 * pure flush: one FLUSH, or nothing at all without a write cache.
 *
 * The steps of one sequence run one after the other on the SAME request
 * (one tag): PREFLUSH -> DATA -> POSTFLUSH, each a full trip through the
 * driver; a failing step ends the sequence with its status. Linux instead
 * coalesces concurrent flushes into one flush request per queue; Quire
 * does one flush per sequence (simpler, more flushes under load).
 * The first step is dispatched by the submitter; later ones are queued
 * from the completion and start at the driver's next
 * blk_mq_run_hw_queue() (blk-mq.c, I3).
 *
 * Locking: none; the request belongs to its sequence.
 */
#include <quire/blk-mq.h>
#include <arch/time.h>
#include "blk.h"

#define REQ_FSEQ_ALL (REQ_FSEQ_PREFLUSH | REQ_FSEQ_DATA | REQ_FSEQ_POSTFLUSH)

static unsigned int blk_flush_policy(struct request_queue *q, blk_opf_t opf,
				     bool has_data)
{
	unsigned int policy = 0;

	if (has_data)
		policy |= REQ_FSEQ_DATA;
	if (q->limits.write_cache) {
		if (opf & REQ_PREFLUSH)
			policy |= REQ_FSEQ_PREFLUSH;
		if ((opf & REQ_FUA) && !q->limits.fua && has_data)
			policy |= REQ_FSEQ_POSTFLUSH;
	}
	return policy;
}

bool blk_flush_prepare(struct request_queue *q, struct bio *bio)
{
	if (bio_op(bio) == REQ_OP_FLUSH)
		bio->bi_opf = REQ_OP_WRITE | REQ_PREFLUSH | (bio->bi_opf & REQ_SYNC);
	if (!op_is_flush(bio->bi_opf))
		return false;
	if (bio_op(bio) != REQ_OP_WRITE || !q->limits.write_cache)
		bio->bi_opf &= ~(REQ_PREFLUSH | REQ_FUA);
	if (!bio->bi_iter.bi_size && !(bio->bi_opf & REQ_PREFLUSH)) {
		bio_endio(bio);		/* nothing to make durable */
		return true;
	}
	return false;
}

bool blk_flush_needs_seq(struct request_queue *q, blk_opf_t opf, bool has_data)
{
	unsigned int policy = blk_flush_policy(q, opf, has_data);

	return policy & (REQ_FSEQ_PREFLUSH | REQ_FSEQ_POSTFLUSH);
}

static void blk_flush_set_flush_step(struct request *rq)
{
	rq->cmd_flags = REQ_OP_FLUSH | REQ_SYNC;
	rq->__data_len = 0;
	rq->nr_phys_segments = 0;
}

/* Make @rq describe the next undone step. false when all are done. */
static bool blk_flush_setup_step(struct request *rq)
{
	rq->start_time_ns = arch_clock_ns();
	if (!(rq->flush_seq & REQ_FSEQ_PREFLUSH)) {
		blk_flush_set_flush_step(rq);
	} else if (!(rq->flush_seq & REQ_FSEQ_DATA)) {
		rq->cmd_flags = rq->flush_orig_flags;
		rq->__data_len = rq->flush_orig_len;
		rq->nr_phys_segments = rq->flush_orig_segs;
	} else if (!(rq->flush_seq & REQ_FSEQ_POSTFLUSH)) {
		blk_flush_set_flush_step(rq);
	} else {
		return false;
	}
	return true;
}

/* Context: process (the submitter). */
void blk_insert_flush(struct request *rq)
{
	struct request_queue *q = rq->q;
	unsigned int policy = blk_flush_policy(q, rq->cmd_flags, blk_rq_bytes(rq));
	LIST_HEAD(one);

	rq->rq_flags |= RQF_FLUSH_SEQ | RQF_ACCOUNTED;
	rq->flush_orig_flags = rq->cmd_flags & ~REQ_PREFLUSH;
	if (!q->limits.fua)
		rq->flush_orig_flags &= ~REQ_FUA;
	rq->flush_orig_len = rq->__data_len;
	rq->flush_orig_segs = rq->nr_phys_segments;
	rq->flush_seq = REQ_FSEQ_ALL & ~policy;
	blk_flush_setup_step(rq);
	list_add_tail(&rq->queuelist, &one);
	blk_mq_dispatch_list(&one);
}

/* The step that just ran, judged by what the request describes now. */
static unsigned int blk_flush_cur_step(struct request *rq)
{
	if (!(rq->flush_seq & REQ_FSEQ_PREFLUSH))
		return REQ_FSEQ_PREFLUSH;
	if (!(rq->flush_seq & REQ_FSEQ_DATA))
		return REQ_FSEQ_DATA;
	return REQ_FSEQ_POSTFLUSH;
}

/* Context: any (the driver's completion). */
void blk_flush_complete_step(struct request *rq, blk_status_t status)
{
	blk_account_done(rq, status);
	rq->flush_seq |= blk_flush_cur_step(rq);
	if (status == BLK_STS_OK && blk_flush_setup_step(rq)) {
		blk_mq_requeue_request(rq);	/* I3: no driver call here */
		return;
	}
	rq->rq_flags &= ~RQF_FLUSH_SEQ;
	rq->cmd_flags = rq->flush_orig_flags;
	blk_mq_end_request(rq, status);
}
