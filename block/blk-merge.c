/*
 * block/blk-merge.c - fitting bios to the device: splitting, segment
 * counting, merging on the plug, mapping a request's segments.
 *
 * Layer: block. Used by: block/blk-mq.c; drivers (blk_rq_map_segments()).
 * Provides: bio_split_to_limits(), bio_nr_segments(),
 * blk_attempt_plug_merge(), blk_rq_bio_prep(), blk_rq_map_segments().
 *
 * A segment is a piece of a bio_vec of at most max_segment_size bytes; the
 * same rule counts segments everywhere (split, merge, map), so a request
 * never holds more than max_segments of them nor more than max_sectors.
 * Quire does not join physically adjacent bio_vecs into one segment (Linux
 * does): simpler, and a bio_vec may already span many pages.
 *
 * Locking: none; a plug belongs to its task, a request being built to its
 * submitter.
 */
#include <quire/blk-mq.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include "blk.h"

static unsigned int segs_of(u32 len, u32 max_seg)
{
	return DIV_ROUND_UP(len, max_seg);
}

unsigned int bio_nr_segments(struct request_queue *q, struct bio *bio)
{
	struct bvec_iter iter;
	struct bio_vec bv;
	unsigned int n = 0;

	if (!op_has_data(bio->bi_opf))
		return 0;
	bio_for_each_bvec(bv, bio, iter)
		n += segs_of(bv.bv_len, q->limits.max_segment_size);
	return n;
}

/*
 * The bytes of @bio that a limit of @max_sectors allows. In 64 bits: a
 * limit of 2^23 sectors or more is 4 GiB or more, which a u32 cannot hold
 * (it wrapped to 0 or a few KiB); no bio is that long, so it takes all.
 */
static u32 bio_bytes_within(struct bio *bio, u32 max_sectors)
{
	return min((u64)bio->bi_iter.bi_size, (u64)max_sectors << SECTOR_SHIFT);
}

/* How many bytes from the start of @bio fit in one request. */
static u32 bio_bytes_within_limits(struct request_queue *q, struct bio *bio)
{
	const struct queue_limits *lim = &q->limits;
	u32 max_bytes = bio_bytes_within(bio, lim->max_sectors);
	unsigned int segs = 0;
	struct bvec_iter iter;
	struct bio_vec bv;
	u32 bytes = 0;

	bio_for_each_bvec(bv, bio, iter) {
		u32 left = bv.bv_len;

		while (left) {
			u32 chunk = min(left, lim->max_segment_size);

			if (segs == lim->max_segments)
				return bytes;
			if (chunk > max_bytes - bytes)
				return max_bytes;
			segs++;
			bytes += chunk;
			left -= chunk;
		}
	}
	return bytes;
}

static u32 bio_split_bytes(struct request_queue *q, struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_DISCARD:
		return bio_bytes_within(bio, q->limits.max_discard_sectors);
	case REQ_OP_WRITE_ZEROES:
		return bio_bytes_within(bio, q->limits.max_write_zeroes_sectors);
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		return bio_bytes_within_limits(q, bio);
	default:
		return bio->bi_iter.bi_size;
	}
}

/*
 * @bio itself when it fits the device's limits; else a clone of its
 * largest leading part that fits (cut at a logical block boundary),
 * chained to @bio, with @bio advanced past it. NULL on failure, with the
 * error in @bio->bi_status by the caller (-ENOMEM), or -EINVAL here when
 * no whole logical block fits one request (segments misaligned to it).
 */
struct bio *bio_split_to_limits(struct bio *bio)
{
	struct request_queue *q = bdev_get_queue(bio->bi_bdev);
	u32 lbs = q->limits.logical_block_size;
	u32 bytes = bio_split_bytes(q, bio);
	struct bio *split;

	if (bytes >= bio->bi_iter.bi_size)
		return bio;
	bytes = ALIGN_DOWN(bytes, lbs);
	if (!bytes) {
		pr_err("%s: bio segments cannot be split at a %u-byte block boundary\n",
		       q->disk->disk_name, lbs);
		bio->bi_status = -EINVAL;
		return NULL;
	}
	split = bio_split(bio, bytes >> SECTOR_SHIFT, GFP_KERNEL);
	if (!split)
		bio->bi_status = -ENOMEM;
	return split;
}

void blk_rq_bio_prep(struct request *rq, struct bio *bio)
{
	rq->cmd_flags = bio->bi_opf;
	rq->bio = rq->biotail = bio;
	bio->bi_next = NULL;
	rq->__sector = bio->bi_iter.bi_sector;
	rq->__data_len = bio->bi_iter.bi_size;
	rq->nr_phys_segments = bio_nr_segments(rq->q, bio);
}

/* Could @bio join @rq at all (same kind of I/O, no barrier flags)? */
static bool blk_rq_merge_ok(struct request *rq, struct bio *bio)
{
	if (!op_has_data(bio->bi_opf) || (bio->bi_opf & REQ_NOMERGE_FLAGS))
		return false;
	if (req_op(rq) != bio_op(bio) || (rq->cmd_flags & REQ_NOMERGE_FLAGS))
		return false;
	return rq->bio && rq->bio->bi_bdev == bio->bi_bdev;
}

static bool blk_rq_fits(struct request *rq, struct bio *bio, unsigned int segs)
{
	const struct queue_limits *lim = &rq->q->limits;

	return blk_rq_sectors(rq) + bio_sectors(bio) <= lim->max_sectors &&
	       rq->nr_phys_segments + segs <= lim->max_segments;
}

static void blk_rq_merge_account(struct request *rq, struct bio *bio,
				 unsigned int segs)
{
	rq->__data_len += bio->bi_iter.bi_size;
	rq->nr_phys_segments += segs;
	rq->cmd_flags |= bio->bi_opf & REQ_SYNC;
	blk_account_merge(rq->q, bio->bi_opf);
}

/* Try to add @bio to the back or the front of @rq. */
static bool blk_rq_try_merge(struct request *rq, struct bio *bio)
{
	unsigned int segs;

	if (!blk_rq_merge_ok(rq, bio))
		return false;
	if (blk_rq_pos(rq) + blk_rq_sectors(rq) != bio->bi_iter.bi_sector &&
	    bio_end_sector(bio) != blk_rq_pos(rq))
		return false; /* not adjacent: no need to count segments */
	segs = bio_nr_segments(rq->q, bio);
	if (!blk_rq_fits(rq, bio, segs))
		return false;
	if (blk_rq_pos(rq) + blk_rq_sectors(rq) == bio->bi_iter.bi_sector) {
		rq->biotail->bi_next = bio;
		rq->biotail = bio;
		bio->bi_next = NULL;
		blk_rq_merge_account(rq, bio, segs);
		return true;
	}
	if (bio_end_sector(bio) == blk_rq_pos(rq)) {
		bio->bi_next = rq->bio;
		rq->bio = bio;
		rq->__sector = bio->bi_iter.bi_sector;
		blk_rq_merge_account(rq, bio, segs);
		return true;
	}
	return false;
}

/*
 * Merge @bio into a request waiting on @plug, newest first (Linux looks
 * at the newest only; the plug holds at most BLK_MAX_REQUEST_COUNT).
 */
bool blk_attempt_plug_merge(struct request_queue *q, struct blk_plug *plug,
			    struct bio *bio)
{
	struct list_head *pos;

	for (pos = plug->mq_list.prev; pos != &plug->mq_list; pos = pos->prev) {
		struct request *rq = list_entry(pos, struct request, queuelist);

		if (rq->q == q && blk_rq_try_merge(rq, bio))
			return true;
	}
	return false;
}

unsigned int blk_rq_map_segments(struct request *rq, struct blk_segment *segs)
{
	u32 max_seg = rq->q->limits.max_segment_size;
	struct bvec_iter iter;
	struct bio_vec bv;
	unsigned int n = 0;
	struct bio *bio;

	if (!blk_rq_bytes(rq) || !op_has_data(rq->cmd_flags))
		return 0;
	for (bio = rq->bio; bio; bio = bio->bi_next) {
		bio_for_each_bvec(bv, bio, iter) {
			for (u32 done = 0; done < bv.bv_len; n++) {
				u32 len = min(bv.bv_len - done, max_seg);

				if (WARN_ON_ONCE(n >= rq->nr_phys_segments))
					return n;
				segs[n].page = bv.bv_page;
				segs[n].offset = bv.bv_offset + done;
				segs[n].len = len;
				done += len;
			}
		}
	}
	return n;
}
