/*
 * block/blk.h - functions shared inside the block layer only.
 */
#ifndef BLOCK_BLK_H
#define BLOCK_BLK_H

#include <quire/blk-mq.h>

/* bdev.c: @disk is being deleted (del_gendisk()); see bdev.c. */
void bdev_del_disk(struct gendisk *disk, bool surprise);

/* blk-mq.c */
void blk_mq_submit_bio(struct bio *bio);
void blk_mq_dispatch_list(struct list_head *list);
void blk_mq_requeue_request(struct request *rq);
void blk_mq_end_bios_free(struct request *rq, blk_status_t status);
void blk_mq_free_request(struct request *rq);
void blk_mq_put_request(struct request *rq);
struct request *blk_mq_get_request(struct request_queue *q, blk_opf_t opf);
void blk_account_done(struct request *rq, blk_status_t status);
void blk_account_merge(struct request_queue *q, blk_opf_t opf);
enum stat_group blk_stat_group(blk_opf_t opf);
/* Check BLK1, BLK2, BLK4 and BLK5 on every hw queue of @q: 0, or -EUCLEAN
 * with one log line naming the broken invariant. Context: any; takes each
 * hctx->lock. */
int blk_mq_check_tags(struct request_queue *q);

/* blk-merge.c */
struct bio *bio_split_to_limits(struct bio *bio);
unsigned int bio_nr_segments(struct request_queue *q, struct bio *bio);
bool blk_attempt_plug_merge(struct request_queue *q, struct blk_plug *plug,
			    struct bio *bio);
void blk_rq_bio_prep(struct request *rq, struct bio *bio);

/* blk-flush.c */
#define REQ_FSEQ_PREFLUSH	(1u << 0)	/* flush before the data */
#define REQ_FSEQ_DATA		(1u << 1)	/* the write itself */
#define REQ_FSEQ_POSTFLUSH	(1u << 2)	/* flush after it (emulated FUA) */
#define REQ_FSEQ_DONE		(1u << 3)

/*
 * What a split bio's first piece learnt about the flush that covers it
 * (blk-flush.c): later pieces on the same hw queue may share that flush.
 * Zeroed at the start of each bio's submission.
 */
struct blk_flush_ticket {
	struct blk_mq_hw_ctx *hctx; /* NULL: no piece has waited yet */
	u64 gen;		    /* number of that flush on hctx */
	struct request *parked;	    /* test knob blk_flush.slowflush */
};

/* Strip flush flags the device does not need; true when @bio is done
 * (an empty flush on a device without a write cache). */
bool blk_flush_prepare(struct request_queue *q, struct bio *bio);
void blk_flush_init_queue(struct request_queue *q);
void blk_flush_cancel_late(struct request_queue *q);
/* Does a request built from @opf/@has_data need a flush sequence? */
bool blk_flush_needs_seq(struct request_queue *q, blk_opf_t opf, bool has_data);
void blk_insert_flush(struct request *rq, struct blk_flush_ticket *ticket);
/* After the last piece of a bio: send a FLUSH the slowflush knob held. */
void blk_flush_ticket_release(struct blk_flush_ticket *ticket);
/* A step of a flush sequence ended. Context: any. */
void blk_flush_complete_step(struct request *rq, blk_status_t status);

/* blk-timeout.c */
void blk_add_timer(struct request *rq);
void blk_timeout_init(struct request_queue *q, unsigned int timeout);
void blk_sync_queue(struct request_queue *q);
void blk_mq_timeout_work(struct work_struct *work);
/* Tests only (block/blk-mq-test.c): called in the timeout work between
 * seeing @rq expired and acting on it, to widen the window in which a
 * completion races the timeout. NULL otherwise. */
extern void (*blk_timeout_race_hook)(struct request *rq);
/* Tests only (block/blk-timeout-test.c): called in blk_sync_queue() once
 * the timeout work can no longer be running, to widen the window in which
 * a timer that work armed could fire. NULL otherwise. */
extern void (*blk_sync_queue_hook)(struct request_queue *q);

/* genhd.c */
void blk_set_default_limits(struct queue_limits *lim);
int blk_validate_limits(struct queue_limits *lim);

#endif
