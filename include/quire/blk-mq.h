/*
 * include/quire/blk-mq.h - the driver interface: requests, hardware queues,
 * tag sets (Linux's blk-mq, in miniature).
 *
 * Layer: block. Used by: block drivers (drivers/virtio/virtio_blk.c,
 * arch/host/blockdev.c).
 *
 * A driver:
 *   1. fills a struct blk_mq_tag_set (ops, nr_hw_queues, queue_depth,
 *      cmd_size = bytes of its per-request data) and calls
 *      blk_mq_alloc_tag_set();
 *   2. calls blk_mq_alloc_disk(set, &limits, queuedata), names the disk,
 *      set_capacity(), add_disk();
 *   3. in ->queue_rq() sends the request to the device (must not sleep);
 *   4. when the device finishes, notes the status in its per-request data
 *      and calls blk_mq_complete_request(rq) (any context, usually its
 *      interrupt handler); its ->complete(rq) ends the request with
 *      blk_mq_end_request(rq, status). Then, with its own
 *      locks dropped, blk_mq_run_hw_queue(hctx) so follow-up work (retries
 *      after BLK_STS_RESOURCE, the next step of a flush sequence) starts;
 *   5. optionally, in ->timeout(), deals with a request the device kept
 *      past the queue's timeout (set->timeout, default 30 s).
 *
 * Requests: one tag per request from the hw queue's pool of queue_depth;
 * a submitter sleeps when all tags are in use. Request memory (struct
 * request + cmd_size bytes) is allocated once per tag and reused.
 *
 * Locking: hctx->lock (irqsave) guards the tag bitmap, the dispatch list
 * and nr_inflight; hctx->flush_lock the shared flushes (blk-flush.c).
 * Neither is held while calling into the driver.
 */
#ifndef QUIRE_BLK_MQ_H
#define QUIRE_BLK_MQ_H

#include <quire/blkdev.h>
#include <quire/blk-compat.h>

struct blk_mq_ops;

struct blk_mq_tag_set {
	const struct blk_mq_ops *ops;
	unsigned int nr_hw_queues;	/* >= 1; capped at BLK_MQ_MAX_HW_QUEUES */
	unsigned int queue_depth;	/* tags per hw queue, >= 1 */
	unsigned int cmd_size;		/* driver bytes after each struct request */
	unsigned int timeout;		/* jiffies per request; 0: 30 s */
	void *driver_data;
};

#define BLK_DEFAULT_TIMEOUT (30 * HZ) /* Linux's blk-mq default */

#define BLK_MQ_MAX_HW_QUEUES	64
#define BLK_MQ_MAX_DEPTH	1024

struct blk_mq_hw_ctx {
	spinlock_t lock;		/* protects tag bitmap, dispatch, nr_inflight */
	unsigned long *tag_bitmap;	/* bit set: tag in use */
	unsigned int nr_tags_used;
	struct list_head dispatch;	/* ready, waiting for the driver */
	unsigned int nr_inflight;	/* accepted by queue_rq, not completed */
	wait_queue_head_t tag_wait;	/* submitters waiting for a tag */
	struct request **rqs;		/* [queue_depth], request of each tag */
	unsigned int queue_num;		/* index in q->hctxs */
	unsigned int queue_depth;
	struct request_queue *queue;
	void *driver_data;		/* set by the driver (e.g. its virtqueue) */
	u64 dispatched;			/* requests given to queue_rq (stat) */
	u64 completed;			/* completions (stat, under lock) */
	u64 remote_completed;		/* ... on another CPU than submitted */
	/* polling (Linux's debugfs names; atomic: pollers on any CPU) */
	u64 poll_considered; /* waits that polled before sleeping */
	u64 poll_invoked;    /* ->poll() calls */
	u64 poll_success;    /* ... that found completions */
	u64 poll_completed;  /* requests ->poll() completed */
	/* shared flushes (block/blk-flush.c, FL1-FL3) */
	spinlock_t flush_lock;		/* protects the five below */
	struct list_head flush_pending; /* waiting for the next flush */
	struct list_head flush_running; /* covered by the flush in flight */
	struct request *flush_rq;	/* carrying that flush, or NULL */
	u64 flush_issued;		/* flushes kicked on this hctx */
	u64 flush_ok;			/* number of the last that succeeded */
};

/* Request state flags (rq->rq_flags), block-layer private. */
#define RQF_FLUSH_SEQ	(1u << 0)	/* part of a flush sequence */
#define RQF_ACCOUNTED	(1u << 2)	/* stats already counted (flush steps) */
#define RQF_INFLIGHT_WR	(1u << 3)	/* counted in in_flight[1], not [0] */

/*
 * Where a request stands with the driver (Linux: enum mq_rq_state), in
 * rq->state, changed atomically: IDLE -> IN_FLIGHT at dispatch,
 * IN_FLIGHT -> COMPLETE by exactly one blk_mq_complete_request(),
 * -> IDLE when the tag is freed (or the driver refused the request).
 */
enum mq_rq_state {
	MQ_RQ_IDLE = 0,
	MQ_RQ_IN_FLIGHT = 1,
	MQ_RQ_COMPLETE = 2,
};

struct request {
	struct request_queue *q;
	struct blk_mq_hw_ctx *mq_hctx;
	int tag;			/* index of this request in its hctx */
	blk_opf_t cmd_flags;		/* op and REQ_* flags */
	unsigned int rq_flags;		/* RQF_* */
	sector_t __sector;		/* first sector */
	u32 __data_len;			/* bytes */
	u16 nr_phys_segments;		/* segments after max_segment_size cuts */
	struct bio *bio, *biotail;	/* the bios, chained by bi_next */
	blk_status_t status;		/* set at completion */
	int state;			/* enum mq_rq_state (atomic) */
	/* 1 while allocated, +1 while the timeout work looks at it (atomic) */
	int ref;
	unsigned long deadline;		/* jiffies: times out after this */
	bool timed_out;			/* ->timeout was called for it */
	u64 start_time_ns;		/* allocation time, for stats */
	u64 io_start_time_ns;		/* sent to the driver (poll stats) */
	unsigned int cpu;		/* submitting CPU (blk_mq_rq_cpu()) */
	struct list_head queuelist;	/* on a plug or hctx->dispatch */
	/* flush sequencing (block/blk-flush.c) */
	unsigned int flush_seq;		/* REQ_FSEQ_* steps done */
	struct list_head flush_list;	/* on hctx->flush_pending/_running */
	blk_opf_t flush_orig_flags;	/* the data step's op and flags */
	u32 flush_orig_len;
	u16 flush_orig_segs;
};

static inline enum req_op req_op(const struct request *rq)
{
	return bio_op_of(rq->cmd_flags);
}

static inline sector_t blk_rq_pos(const struct request *rq)
{
	return rq->__sector;
}

static inline u32 blk_rq_bytes(const struct request *rq)
{
	return rq->__data_len;
}

static inline unsigned int blk_rq_sectors(const struct request *rq)
{
	return rq->__data_len >> SECTOR_SHIFT;
}

/* The driver's per-request data (cmd_size bytes after the request). */
static inline void *blk_mq_rq_to_pdu(struct request *rq)
{
	return rq + 1;
}

static inline struct request *blk_mq_rq_from_pdu(void *pdu)
{
	return (struct request *)pdu - 1;
}

/* One memory segment of a request, as a driver hands it to a device. */
struct blk_segment {
	struct page *page;
	u32 offset;		/* bytes into page (may exceed PAGE_SIZE) */
	u32 len;		/* <= max_segment_size */
};

/*
 * Fill @segs (room for rq->nr_phys_segments entries) with the data of @rq
 * in order, each at most max_segment_size bytes. Returns the count (0 for
 * requests without data: flush, discard, write-zeroes).
 */
unsigned int blk_rq_map_segments(struct request *rq, struct blk_segment *segs);

struct blk_mq_queue_data {
	struct request *rq;
	bool last;		/* no more requests follow in this batch: kick */
};

/* What a driver's ->timeout did (Linux: enum blk_eh_timer_return). */
enum blk_eh_timer_return {
	BLK_EH_DONE,	    /* the driver completed the request (or it had
				 * completed already): nothing more to do */
	BLK_EH_RESET_TIMER, /* still in flight: wait another period */
};

struct blk_mq_ops {
	/*
	 * Start @bd->rq on the device. Return BLK_STS_OK (it now owns the
	 * request and will complete it), BLK_STS_RESOURCE / _DEV_RESOURCE
	 * (no room now: the block layer keeps it and retries at the next
	 * blk_mq_run_hw_queue(), so only return this with requests in
	 * flight on @hctx), or an error status (the request fails).
	 * When @bd->last is false more requests follow and the driver may
	 * delay the device notification until ->commit_rqs() or a request
	 * with last = true. Context: any; must not sleep.
	 */
	blk_status_t (*queue_rq)(struct blk_mq_hw_ctx *hctx,
				 const struct blk_mq_queue_data *bd);
	/* Notify the device of requests queued with last = false. Optional.
	 * Context: as queue_rq. */
	void (*commit_rqs)(struct blk_mq_hw_ctx *hctx);
	/* Called by blk_mq_complete_request() for @rq: end it with
	 * blk_mq_end_request(rq, status), the status taken from the
	 * driver's per-request data. Required if the driver uses
	 * blk_mq_complete_request(). Context: that of the caller. */
	void (*complete)(struct request *rq);
	/*
	 * @rq has been in flight longer than the queue's rq_timeout.
	 * Optional; without it the block layer waits another period (and
	 * logs). The request may be completing on another CPU at the same
	 * time: blk_mq_request_completed() tells, and the driver's own
	 * locks should decide which side completes it; if both call
	 * blk_mq_complete_request(), the first wins and the second is
	 * ignored (silently for a timed-out request). The request stays
	 * allocated until this returns. Context: process (the queue's
	 * timeout work), may sleep.
	 */
	enum blk_eh_timer_return (*timeout)(struct request *rq);
	/*
	 * Reap what the device has finished on @hctx, without waiting:
	 * blk_mq_complete_request() for each (the interrupt may be doing
	 * the same at the same time: the driver's own lock hands each
	 * request to one of them). Returns how many it completed, or a
	 * negative errno when the queue cannot be polled (device broken).
	 * Optional (Linux's ->poll without the batch). Context: process,
	 * never with the driver's locks held; must not sleep.
	 */
	int (*poll)(struct blk_mq_hw_ctx *hctx);
};

/* 0, -EINVAL (bad set, logged) or -ENOMEM. Context: process. */
int blk_mq_alloc_tag_set(struct blk_mq_tag_set *set);
void blk_mq_free_tag_set(struct blk_mq_tag_set *set);

/*
 * A gendisk with a request queue driven by @set, limits @lim (zero fields
 * get defaults: 512-byte blocks, 255 KiB... see docs/block.md).
 * ERR_PTR(-ENOMEM) or ERR_PTR(-EINVAL) (bad limits, logged) on failure,
 * as in Linux. Context: process.
 */
struct gendisk *blk_mq_alloc_disk(struct blk_mq_tag_set *set,
				  const struct queue_limits *lim, void *queuedata);

/*
 * The device finished @rq, as in Linux: marks it complete (the first
 * completion wins, BLK4 of block/blk-mq.c) and calls the driver's ->complete(rq), which
 * reads the status from its own per-request data and ends the request
 * with blk_mq_end_request(). A later completion of the same request is
 * ignored. Context: any, typically hard interrupt; ->complete runs in it.
 */
void blk_mq_complete_request(struct request *rq);

/*
 * End @rq with @status: every bio of it ends (or a flush sequence moves
 * on) and its tag is freed. Called from ->complete, or directly by a
 * driver whose completion cannot race a ->timeout (then it marks the
 * request complete itself, and does nothing if a completion came first).
 * Never calls the driver. Context: any.
 */
void blk_mq_end_request(struct request *rq, blk_status_t status);

/* The CPU that allocated @rq (Linux: rq->mq_ctx->cpu). */
static inline unsigned int blk_mq_rq_cpu(struct request *rq)
{
	return rq->cpu;
}

/*
 * Polling (docs/block.md, "Polling"). blk_mq_poll() calls ->poll() once
 * on hw queue @queue_num of @q; bio_poll() on the queue @bio went to.
 * Both return what ->poll() returned (0 when the queue does not poll).
 * bio_poll_until() spins on bio_poll() until @done(@arg) is true or the
 * queue's poll budget for a request like @bio is spent (or another task
 * wants the CPU), and returns @done(@arg); the caller then sleeps as
 * usual (interrupts stay on, so a completion the poll missed still wakes
 * it). @bio must not be freed meanwhile (it may complete). Context:
 * process, not atomic.
 */
int blk_mq_poll(struct request_queue *q, unsigned int queue_num);
int bio_poll(struct bio *bio);
bool bio_poll_until(struct bio *bio, bool (*done)(void *), void *arg);
/* Turn polling on (adaptive budget when @nsec is 0) or off. */
void blk_queue_poll(struct request_queue *q, bool on, unsigned int nsec);

/* Has @rq been completed (and not yet freed)? (Linux's name.) */
static inline bool blk_mq_request_completed(struct request *rq)
{
	return __atomic_load_n(&rq->state, __ATOMIC_ACQUIRE) == MQ_RQ_COMPLETE;
}

/* Give the driver what waits on @hctx's dispatch list. Context: any, but
 * not with locks the driver's queue_rq takes. */
void blk_mq_run_hw_queue(struct blk_mq_hw_ctx *hctx);
void blk_mq_run_hw_queues(struct request_queue *q);

#endif
