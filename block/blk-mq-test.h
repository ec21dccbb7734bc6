/*
 * block/blk-mq-test.h - tdev, the scripted RAM device of the block-layer
 * suites (block/blk-mq-test.c), shared with block/blk-timeout-test.c.
 * Tests only.
 */
#ifndef BLOCK_BLK_MQ_TEST_H
#define BLOCK_BLK_MQ_TEST_H

#include <quire/blk-mq.h>
#include <quire/ktest.h>

#define TDEV_ORDER 8  /* 1 MiB of RAM */
#define TDEV_MAX   16 /* requests the log and the device hold */

struct tdev_log {
	blk_opf_t opf;
	sector_t sector;
	u32 bytes;
	bool last;
};

struct tdev {
	spinlock_t lock; /* protects everything below */
	struct request *inflight[TDEV_MAX];
	unsigned int nr_inflight;
	unsigned int room;     /* accept at most this many at once */
	unsigned int resource; /* RESOURCE answers given */
	unsigned int fail_nth; /* 1: fail the next accepted request */
	blk_status_t fail_status;
	struct tdev_log log[TDEV_MAX * 4];
	unsigned int nr_log;
	unsigned int kicks; /* doorbells: last = true or commit_rqs */
	/* a device that stops answering (tdev_timeout) */
	/* on timeout: take back only the late request (else reset, die) */
	bool abort_on_timeout;
	bool dead;		       /* reset: refuses everything */
	unsigned int reset_timer_left; /* answer RESET_TIMER this often first */
	unsigned int resets;	       /* resets by the timeout handler */
	unsigned int aborted;	       /* requests it took back alone */
	unsigned int stale;	       /* ->timeout for a request it no longer held */
	unsigned int early;	       /* ->timeout before the deadline: a bug */
	unsigned int finished;	       /* requests tdev_finish() completed */
	unsigned int polled;	       /* requests ->poll completed */
	unsigned int bad_checks;       /* blk_mq_check_tags() failures seen */
	struct page *ram;
	struct blk_mq_tag_set set;
	struct gendisk *disk;
};

extern struct tdev tdev;

/* A tdev with limits @lim (zero fields: blk-mq's defaults), @depth tags
 * and room for @room requests at once; t->priv = &tdev. */
int tdev_init_lim(struct ktest *t, struct queue_limits lim, unsigned int depth,
		  unsigned int room);
/* max_sectors 64, max_segments 4, write cache @wc, FUA support @fua. */
int tdev_init(struct ktest *t, bool wc, bool fua, unsigned int depth, unsigned int room);
/* Finish what the device holds, free the disk. Safe to call twice. */
void tdev_exit(struct ktest *t);
/* The device completes everything it holds; returns how many. */
unsigned int tdev_finish(struct tdev *d);

/* A bio against tdev, submitted without waiting. */
struct tbio {
	struct bio *bio;
	struct page *page;
	bool done;
	int status;
	int ends; /* bi_end_io calls: must be 1 */
};

void tbio_end_io(struct bio *bio);
/* Submit @sectors at @sector from a fresh page filled with @fill. */
void tbio_submit(struct ktest *t, struct tbio *tb, blk_opf_t opf, sector_t sector,
		 u32 sectors, u8 fill);
void tbio_free(struct tbio *tb, unsigned int n);
/* Let the device finish until every bio of @tb is done (bounded). */
bool tdev_drain(struct tbio *tb, unsigned int n);

#endif
