/*
 * include/quire/bio.h - struct bio: one block I/O in flight, Linux's model.
 *
 * Layer: block. Used by: file systems, the page cache, blkbench, tests.
 * Provides: struct bio, struct bio_vec, struct bvec_iter, request ops and
 * flags (REQ_OP_*, REQ_*), blk_status_t, bio_alloc(), bio_add_page(),
 * bio_put(), bio_endio(), bio_chain(), submit_bio(), submit_bio_wait().
 *
 * A bio names a range of 512-byte sectors on a block device and, for data
 * ops, a list of memory segments (bio_vec: page, offset, length). The
 * segment list (bi_io_vec) never changes once submitted; progress and
 * splitting move bi_iter only (so a split clone shares the vector).
 * The owner sets bi_end_io/bi_private, submits, and gets bi_end_io(bio)
 * exactly once with bi_status = 0 or -errno. The owner frees it (bio_put)
 * in or after bi_end_io.
 */
#ifndef QUIRE_BIO_H
#define QUIRE_BIO_H

#include <quire/compiler.h>
#include <quire/gfp.h>

struct page;
struct bio;
struct block_device;

#define SECTOR_SHIFT	9
#define SECTOR_SIZE	(1u << SECTOR_SHIFT)

/* Operation (low 8 bits of bi_opf) and flags (the rest), Linux's values. */
typedef u32 blk_opf_t;
enum req_op {
	REQ_OP_READ		= 0,
	REQ_OP_WRITE		= 1,
	REQ_OP_FLUSH		= 2,	/* make the device's volatile cache durable */
	REQ_OP_DISCARD		= 3,	/* the range's contents may be dropped */
	REQ_OP_WRITE_ZEROES	= 9,	/* the range reads back as zeroes */
};
#define REQ_OP_BITS	8
#define REQ_OP_MASK	((1u << REQ_OP_BITS) - 1)
#define REQ_SYNC	(1u << 8)	/* someone waits for it: a hint */
#define REQ_FUA		(1u << 9)	/* durable when complete */
#define REQ_PREFLUSH	(1u << 10)	/* flush the cache before this write */
#define REQ_NOMERGE	(1u << 11)	/* never merge with another request */
#define REQ_NOMERGE_FLAGS (REQ_NOMERGE | REQ_PREFLUSH | REQ_FUA)

static inline enum req_op bio_op_of(blk_opf_t opf)
{
	return (enum req_op)(opf & REQ_OP_MASK);
}

/* Does the op change the device's contents? (Linux: op_is_write.) */
static inline bool op_is_write(blk_opf_t opf)
{
	return (opf & 1) || bio_op_of(opf) == REQ_OP_DISCARD ||
	       bio_op_of(opf) == REQ_OP_WRITE_ZEROES;
}

static inline bool op_is_flush(blk_opf_t opf)
{
	return opf & (REQ_FUA | REQ_PREFLUSH);
}

/* Does the op move data through memory segments? */
static inline bool op_has_data(blk_opf_t opf)
{
	return bio_op_of(opf) == REQ_OP_READ || bio_op_of(opf) == REQ_OP_WRITE;
}

const char *blk_op_str(enum req_op op);

/*
 * Status a driver reports for a request (Linux's blk_status_t). Bios carry
 * the equivalent -errno in bi_status (blk_status_to_errno()).
 */
typedef u8 blk_status_t;
#define BLK_STS_OK		0
#define BLK_STS_NOTSUPP		1	/* -EOPNOTSUPP */
#define BLK_STS_TIMEOUT		2	/* -ETIMEDOUT */
#define BLK_STS_NOSPC		3	/* -ENOSPC */
#define BLK_STS_MEDIUM		7	/* -ENODATA: unreadable medium */
#define BLK_STS_RESOURCE	9	/* -ENOMEM: driver busy, retry later */
#define BLK_STS_IOERR		10	/* -EIO */
#define BLK_STS_AGAIN		12	/* -EAGAIN */
#define BLK_STS_DEV_RESOURCE	13	/* like RESOURCE (driver restarts us) */

int blk_status_to_errno(blk_status_t status);
blk_status_t errno_to_blk_status(int err);

struct bio_vec {
	struct page *bv_page;	/* first page of a physically contiguous run */
	u32 bv_len;		/* bytes; may exceed PAGE_SIZE if bv_page is
				 * the head of a higher-order allocation */
	u32 bv_offset;		/* bytes into bv_page */
};

/* Where a bio stands in its sector range and segment list. */
struct bvec_iter {
	sector_t bi_sector;	/* device address, in 512-byte sectors */
	u32 bi_size;		/* bytes left */
	u32 bi_idx;		/* current index into bi_io_vec */
	u32 bi_bvec_done;	/* bytes done in the current bvec */
};

typedef void (bio_end_io_t)(struct bio *);

struct bio {
	struct bio *bi_next;		/* next bio of the same request */
	struct block_device *bi_bdev;	/* target device */
	blk_opf_t bi_opf;		/* REQ_OP_* | REQ_* flags */
	unsigned short bi_flags;	/* BIO_* below */
	int bi_status;			/* 0 or -errno when bi_end_io runs */
	struct bvec_iter bi_iter;
	int __bi_remaining;		/* 1 + chained children not done (atomic) */
	bio_end_io_t *bi_end_io;	/* called once at completion */
	void *bi_private;		/* owner's data for bi_end_io */
	unsigned int bi_cookie;		/* hw queue it went to (bio_poll()) */
	unsigned short bi_vcnt;		/* bio_vecs in use */
	unsigned short bi_max_vecs;	/* bio_vecs allocated */
	struct bio_vec *bi_io_vec;	/* the segments (shared by clones) */
	struct bio_vec bi_inline_vecs[];
};

#define BIO_CLONED	(1u << 0)	/* bi_io_vec belongs to another bio */
#define BIO_CHAIN	(1u << 1)	/* __bi_remaining counts children */

#define BIO_MAX_VECS	256

/* bi_cookie of a bio not (yet) queued on a hw queue (Linux's name). */
#define BLK_QC_T_NONE (~0u)

static inline enum req_op bio_op(const struct bio *bio)
{
	return bio_op_of(bio->bi_opf);
}

static inline unsigned int bio_sectors(const struct bio *bio)
{
	return bio->bi_iter.bi_size >> SECTOR_SHIFT;
}

static inline sector_t bio_end_sector(const struct bio *bio)
{
	return bio->bi_iter.bi_sector + bio_sectors(bio);
}

/* The segment at @iter, clipped to what is left (Linux: bvec_iter_bvec). */
struct bio_vec bvec_iter_bvec(const struct bio_vec *bv, struct bvec_iter iter);
/* Move @iter on by @bytes (sector, size, index). */
void bvec_iter_advance(const struct bio_vec *bv, struct bvec_iter *iter, u32 bytes);

/* Visit every segment of @bio from its iterator on. */
#define bio_for_each_bvec(bvl, bio, iter)				\
	for (iter = (bio)->bi_iter;					\
	     (iter).bi_size &&						\
	     ((bvl = bvec_iter_bvec((bio)->bi_io_vec, (iter))), 1);	\
	     bvec_iter_advance((bio)->bi_io_vec, &(iter), (bvl).bv_len))

/*
 * Allocate a bio for @bdev with room for @nr_vecs segments, op @opf.
 * NULL when out of memory (or @nr_vecs > BIO_MAX_VECS).
 * Context: process (may sleep) unless @gfp is GFP_ATOMIC.
 */
struct bio *bio_alloc(struct block_device *bdev, unsigned short nr_vecs,
		      blk_opf_t opf, gfp_t gfp);
/* Free a bio (not its pages). */
void bio_put(struct bio *bio);
/* Reset a completed bio for reuse with the same vector capacity. */
void bio_reset(struct bio *bio, struct block_device *bdev, blk_opf_t opf);
/*
 * Append @len bytes at @off in @page (a run of contiguous pages if @page
 * heads a higher-order allocation). Returns @len, or 0 when the bio is
 * full (the caller submits it and starts another).
 */
int bio_add_page(struct bio *bio, struct page *page, unsigned int len,
		 unsigned int off);

/* Complete @bio: runs bi_end_io once every chained child is done.
 * Context: any (often hard interrupt). */
void bio_endio(struct bio *bio);
/* Make @parent complete only after @bio, passing its error up. */
void bio_chain(struct bio *bio, struct bio *parent);
/*
 * Split the first @sectors off @bio: returns a clone covering them (its
 * completion chained to @bio) and advances @bio past them. NULL when out
 * of memory. Context: process.
 */
struct bio *bio_split(struct bio *bio, unsigned int sectors, gfp_t gfp);

/*
 * Submit @bio. Never fails directly: an error (bad range -EIO, misaligned
 * -EINVAL, read-only device -EROFS, unsupported op -EOPNOTSUPP) comes back
 * through bi_end_io like a device error. May sleep waiting for a free
 * request tag. Context: process, may sleep.
 */
void submit_bio(struct bio *bio);
/* Submit and wait; returns bi_status. Context: process, may sleep. */
int submit_bio_wait(struct bio *bio);

#endif
