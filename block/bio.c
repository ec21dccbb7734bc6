/*
 * block/bio.c - bios: allocation, segments, chaining, splitting, completion.
 *
 * Layer: block. Used by: everything that does block I/O.
 * Provides: bio_alloc(), bio_put(), bio_reset(), bio_add_page(),
 * bio_endio(), bio_chain(), bio_split(), bvec iteration, submit_bio_wait().
 * Not here: submission and validation (block/blk-core.c).
 *
 * Locking: none. A bio belongs to one owner at a time; __bi_remaining is
 * updated atomically because chained children complete on any CPU.
 */
#include <quire/bio.h>
#include <quire/blkdev.h>
#include <quire/blk-compat.h>
#include <quire/blk-mq.h>
#include <quire/completion.h>
#include <quire/errno.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/bug.h>

struct bio_vec bvec_iter_bvec(const struct bio_vec *bv, struct bvec_iter iter)
{
	const struct bio_vec *cur = &bv[iter.bi_idx];
	struct bio_vec out;

	out.bv_page = cur->bv_page;
	out.bv_offset = cur->bv_offset + iter.bi_bvec_done;
	out.bv_len = min(cur->bv_len - iter.bi_bvec_done, iter.bi_size);
	return out;
}

void bvec_iter_advance(const struct bio_vec *bv, struct bvec_iter *iter, u32 bytes)
{
	if (WARN_ON_ONCE(bytes > iter->bi_size))
		bytes = iter->bi_size;
	iter->bi_sector += bytes >> SECTOR_SHIFT;
	iter->bi_size -= bytes;
	bytes += iter->bi_bvec_done;
	while (iter->bi_size && bytes >= bv[iter->bi_idx].bv_len) {
		bytes -= bv[iter->bi_idx].bv_len;
		iter->bi_idx++;
	}
	iter->bi_bvec_done = iter->bi_size ? bytes : 0;
}

static void bio_init(struct bio *bio, struct block_device *bdev, blk_opf_t opf)
{
	bio->bi_next = NULL;
	bio->bi_bdev = bdev;
	bio->bi_opf = opf;
	bio->bi_flags = 0;
	bio->bi_status = 0;
	memset(&bio->bi_iter, 0, sizeof(bio->bi_iter));
	bio->__bi_remaining = 1;
	bio->bi_end_io = NULL;
	bio->bi_private = NULL;
	bio->bi_cookie = BLK_QC_T_NONE;
	bio->bi_vcnt = 0;
}

struct bio *bio_alloc(struct block_device *bdev, unsigned short nr_vecs,
		      blk_opf_t opf, gfp_t gfp)
{
	struct bio *bio;

	if (nr_vecs > BIO_MAX_VECS)
		return NULL;
	bio = kmalloc(sizeof(*bio) + nr_vecs * sizeof(struct bio_vec), gfp);
	if (!bio)
		return NULL;
	bio_init(bio, bdev, opf);
	bio->bi_max_vecs = nr_vecs;
	bio->bi_io_vec = bio->bi_inline_vecs;
	return bio;
}

void bio_reset(struct bio *bio, struct block_device *bdev, blk_opf_t opf)
{
	WARN_ON_ONCE(bio->bi_flags & BIO_CLONED);
	bio_init(bio, bdev, opf);
}

void bio_put(struct bio *bio)
{
	kfree(bio);
}

int bio_add_page(struct bio *bio, struct page *page, unsigned int len,
		 unsigned int off)
{
	if (WARN_ON_ONCE(bio->bi_flags & BIO_CLONED))
		return 0;
	if (bio->bi_vcnt >= bio->bi_max_vecs || !len)
		return 0;
	if ((u64)bio->bi_iter.bi_size + len > (1ULL << 31))
		return 0;
	bio->bi_io_vec[bio->bi_vcnt].bv_page = page;
	bio->bi_io_vec[bio->bi_vcnt].bv_len = len;
	bio->bi_io_vec[bio->bi_vcnt].bv_offset = off;
	bio->bi_vcnt++;
	bio->bi_iter.bi_size += len;
	return len;
}

/* Is this the last outstanding piece of @bio? */
static bool bio_remaining_done(struct bio *bio)
{
	if (!(bio->bi_flags & BIO_CHAIN))
		return true;
	return __atomic_sub_fetch(&bio->__bi_remaining, 1, __ATOMIC_ACQ_REL) == 0;
}

void bio_endio(struct bio *bio)
{
	if (!bio_remaining_done(bio))
		return;
	if (bio->bi_end_io)
		bio->bi_end_io(bio);
}

/* A chained child finished: pass its error up, drop it, end the parent. */
static void bio_chain_endio(struct bio *bio)
{
	struct bio *parent = bio->bi_private;

	if (bio->bi_status)
		__atomic_compare_exchange_n(&parent->bi_status, &(int){ 0 },
					    bio->bi_status, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	bio_put(bio);
	bio_endio(parent);
}

void bio_chain(struct bio *bio, struct bio *parent)
{
	WARN_ON_ONCE(bio->bi_private || bio->bi_end_io);
	bio->bi_private = parent;
	bio->bi_end_io = bio_chain_endio;
	if (!(parent->bi_flags & BIO_CHAIN)) {
		parent->__bi_remaining = 1;
		parent->bi_flags |= BIO_CHAIN;
	}
	__atomic_add_fetch(&parent->__bi_remaining, 1, __ATOMIC_ACQ_REL);
}

struct bio *bio_split(struct bio *bio, unsigned int sectors, gfp_t gfp)
{
	struct bio *split;
	u32 bytes = sectors << SECTOR_SHIFT;

	if (WARN_ON_ONCE(!sectors || bytes >= bio->bi_iter.bi_size))
		return NULL;
	split = kmalloc(sizeof(*split), gfp);
	if (!split)
		return NULL;
	bio_init(split, bio->bi_bdev, bio->bi_opf);
	split->bi_flags = BIO_CLONED;
	split->bi_io_vec = bio->bi_io_vec;
	split->bi_vcnt = bio->bi_vcnt;
	split->bi_max_vecs = 0;
	split->bi_iter = bio->bi_iter;
	split->bi_iter.bi_size = bytes;
	/* Both halves keep PREFLUSH (Linux): no piece's data may reach the
	 * device before a flush issued after the bio was submitted. */
	if (op_has_data(bio->bi_opf))
		bvec_iter_advance(bio->bi_io_vec, &bio->bi_iter, bytes);
	else {
		bio->bi_iter.bi_sector += sectors;
		bio->bi_iter.bi_size -= bytes;
	}
	bio_chain(split, bio);
	return split;
}

static void submit_bio_wait_endio(struct bio *bio)
{
	complete(bio->bi_private);
}

static bool submit_bio_wait_done(void *done)
{
	return completion_done(done);
}

int submit_bio_wait(struct bio *bio)
{
	struct completion done;

	init_completion(&done);
	bio->bi_private = &done;
	bio->bi_end_io = submit_bio_wait_endio;
	bio->bi_opf |= REQ_SYNC;
	submit_bio(bio);
	bio_poll_until(bio, submit_bio_wait_done, &done);
	wait_for_completion_io(&done);
	return bio->bi_status;
}

int blkdev_issue_flush(struct block_device *bdev)
{
	struct bio *bio = bio_alloc(bdev, 0, REQ_OP_WRITE | REQ_PREFLUSH,
				    GFP_KERNEL);
	int err;

	if (!bio)
		return -ENOMEM;
	err = submit_bio_wait(bio);
	bio_put(bio);
	return err;
}

static const struct {
	blk_status_t status;
	int err;
	const char *name;
} blk_errors[] = {
	{ BLK_STS_OK, 0, "ok" },
	{ BLK_STS_NOTSUPP, -EOPNOTSUPP, "operation not supported" },
	{ BLK_STS_TIMEOUT, -ETIMEDOUT, "timeout" },
	{ BLK_STS_NOSPC, -ENOSPC, "critical space allocation" },
	{ BLK_STS_MEDIUM, -ENODATA, "critical medium" },
	{ BLK_STS_RESOURCE, -ENOMEM, "kernel resource" },
	{ BLK_STS_DEV_RESOURCE, -EBUSY, "device resource" },
	{ BLK_STS_AGAIN, -EAGAIN, "nonblocking retry" },
	{ BLK_STS_IOERR, -EIO, "I/O" },
};

int blk_status_to_errno(blk_status_t status)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(blk_errors); i++)
		if (blk_errors[i].status == status)
			return blk_errors[i].err;
	return -EIO;
}

blk_status_t errno_to_blk_status(int err)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(blk_errors); i++)
		if (blk_errors[i].err == err)
			return blk_errors[i].status;
	return BLK_STS_IOERR;
}

const char *blk_op_str(enum req_op op)
{
	switch (op) {
	case REQ_OP_READ:		return "read";
	case REQ_OP_WRITE:		return "write";
	case REQ_OP_FLUSH:		return "flush";
	case REQ_OP_DISCARD:		return "discard";
	case REQ_OP_WRITE_ZEROES:	return "write-zeroes";
	}
	return "unknown";
}
