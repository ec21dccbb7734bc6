/*
 * drivers/virtio/virtio_blk.c - the virtio block driver (virtio 1.2
 * section 5.2) on blk-mq.
 *
 * Layer: drivers/virtio (a virtio driver and a blk-mq driver).
 * Provides: disks vda, vdb, ... for every virtio-blk device.
 *
 * A request is three or more buffers: the 16-byte header (out), the data
 * pages (out for writes, in for reads) or one discard/write-zeroes range
 * (out), and the status byte (in), exposed through virtqueue_add_sgs()
 * (one indirect descriptor when negotiated). One virtqueue per hw queue
 * (VIRTIO_BLK_F_MQ: up to one per CPU); its MSI-X vector is aimed at the
 * CPU blk-mq maps to it. Requests stay in flight until the interrupt,
 * where virtblk_done() completes them and reruns the hw queue, or until a
 * waiting task's poll (virtblk_poll(), docs/block.md "Polling") finds them
 * first; the interrupt stays on either way.
 *
 * Durability: with VIRTIO_BLK_F_FLUSH the device's write cache is
 * volatile (unless CONFIG_WCE says writethrough): the queue is told
 * "write cache, no FUA", so the block layer turns REQ_PREFLUSH/REQ_FUA
 * into VIRTIO_BLK_T_FLUSH requests around the write. Without FLUSH no
 * flush is ever sent. Test knob: the kernel option virtio_blk.noflush
 * pretends the cache is not volatile (a kernel that forgets to flush:
 * the blklogwrites test in tests/ must catch it).
 *
 * Config values are checked (capacity, block size, segment counts,
 * queue count, discard limits); a bad value is logged and the feature
 * ignored or clamped. A device that breaks the ring rules is reset and
 * every request it held, and every later one, fails with BLK_STS_IOERR.
 * So is a device that keeps a request past the disk's timeout (block
 * layer default 30 s; `blkdev vda timeout=MS`): virtblk_timeout() marks
 * the disk dead, breaks and resets the device, and fails what it held,
 * each request once (the queue lock decides against a late completion).
 * Test knob: virtblk_test_set_deaf() makes the driver ignore the
 * device's completions, as if its interrupts were lost.
 *
 * Locking: bvq->lock (irqsave) serialises all use of one virtqueue:
 * queue_rq/commit_rqs, the interrupt's completions, polling, and
 * detaching after a break. blk_mq_complete_request() is called under it (its
 * only call back, virtblk_complete_rq(), takes no lock); blk_mq_run_hw_queue()
 * only after dropping it.
 */
#include <quire/virtio.h>
#include <quire/blk-mq.h>
#include <quire/platform.h>
#include <quire/completion.h>
#include <quire/jiffies.h>
#include <quire/kernel.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/init.h>
#include <quire/atomic.h>
#include <arch/irq.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include "virtio_blk.h"

#define VIRTBLK_MAX_SG		128	/* data segments per request */
#define VIRTBLK_MAX_QUEUES	8
#define VIRTBLK_MAX_CAPACITY	(1ULL << 52)	/* sectors: 2 EiB */
#define VIRTBLK_GET_ID_MS	5000
#define VIRTBLK_STATUS_NONE	0xff	/* before the device writes it */

struct virtio_blk;

struct virtio_blk_vq {
	spinlock_t lock;		/* serialises every call on vq */
	struct virtqueue *vq;
	struct virtio_blk *vblk;
	char name[12];
};

struct virtio_blk {
	struct virtio_device *vdev;
	struct gendisk *disk;
	struct blk_mq_tag_set tag_set;
	unsigned int num_vqs;
	struct virtio_blk_vq *vqs;
	unsigned int sg_elems;		/* data segments per request */
	int index;			/* vda = 0 */
	bool deaf;			/* test: ignore completions */
	bool irq_lost;			/* test: ignore interrupts only */
};

/* Per-request data (the blk-mq pdu). In kmalloc'd memory: DMA-able. */
struct virtblk_req {
	struct virtio_blk_outhdr out_hdr;
	struct virtio_blk_discard_write_zeroes range;
	u8 status;			/* written by the device */
	struct completion *done;	/* internal request (GET_ID), else NULL */
	struct blk_segment *segs;	/* [sg_elems] */
	struct scatterlist sg[];	/* [sg_elems + 2] */
};

static int virtblk_next_index;

/* ---- requests ---- */

static blk_status_t virtblk_status(u8 status)
{
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return BLK_STS_OK;
	case VIRTIO_BLK_S_UNSUPP:
		return BLK_STS_NOTSUPP;
	default:		/* IOERR, or nothing/garbage written */
		return BLK_STS_IOERR;
	}
}

static int virtblk_setup_cmd(struct request *rq, struct virtblk_req *vbr)
{
	static const u32 types[] = {
		[REQ_OP_READ] = VIRTIO_BLK_T_IN, [REQ_OP_WRITE] = VIRTIO_BLK_T_OUT,
		[REQ_OP_FLUSH] = VIRTIO_BLK_T_FLUSH, [REQ_OP_DISCARD] = VIRTIO_BLK_T_DISCARD,
		[REQ_OP_WRITE_ZEROES] = VIRTIO_BLK_T_WRITE_ZEROES,
	};
	enum req_op op = req_op(rq);

	if (op >= ARRAY_SIZE(types) || (!types[op] && op != REQ_OP_READ))
		return -EOPNOTSUPP;
	vbr->out_hdr.type = types[op];
	vbr->out_hdr.ioprio = 0;
	/* 5.2.6: sector is for reads and writes only, else 0 */
	vbr->out_hdr.sector = op_has_data(rq->cmd_flags) ? blk_rq_pos(rq) : 0;
	vbr->status = VIRTBLK_STATUS_NONE;
	vbr->done = NULL;
	if (op == REQ_OP_DISCARD || op == REQ_OP_WRITE_ZEROES) {
		vbr->range.sector = blk_rq_pos(rq);
		vbr->range.num_sectors = blk_rq_sectors(rq);
		vbr->range.flags = 0;
	}
	return 0;
}

/* Fill vbr->sg: header, data or range, status. Returns out/in counts. */
static int virtblk_map(struct virtio_blk *vblk, struct request *rq, struct virtblk_req *vbr,
		       unsigned int *out, unsigned int *in)
{
	enum req_op op = req_op(rq);
	unsigned int n = 0, nsegs;

	if (rq->nr_phys_segments > vblk->sg_elems)
		return -EINVAL;
	sg_init_one(&vbr->sg[n++], &vbr->out_hdr, sizeof(vbr->out_hdr));
	*out = 1;
	*in = 1;
	if (op == REQ_OP_DISCARD || op == REQ_OP_WRITE_ZEROES) {
		sg_init_one(&vbr->sg[n++], &vbr->range, sizeof(vbr->range));
		(*out)++;
	} else if (op_has_data(rq->cmd_flags)) {
		nsegs = blk_rq_map_segments(rq, vbr->segs);
		for (unsigned int i = 0; i < nsegs; i++)
			sg_set_page(&vbr->sg[n++], vbr->segs[i].page, vbr->segs[i].len,
				    vbr->segs[i].offset);
		if (op == REQ_OP_WRITE)
			*out += nsegs;
		else
			*in += nsegs;
	}
	sg_init_one(&vbr->sg[n], &vbr->status, 1);
	return 0;
}

static blk_status_t virtblk_queue_rq(struct blk_mq_hw_ctx *hctx,
				     const struct blk_mq_queue_data *bd)
{
	struct virtio_blk *vblk = hctx->queue->queuedata;
	struct virtio_blk_vq *bvq = hctx->driver_data;
	struct virtblk_req *vbr = blk_mq_rq_to_pdu(bd->rq);
	unsigned int out, in;
	unsigned long flags;
	bool notify = false;
	int err;

	if (virtqueue_is_broken(bvq->vq))
		return BLK_STS_IOERR;
	err = virtblk_setup_cmd(bd->rq, vbr);
	err = err ?: virtblk_map(vblk, bd->rq, vbr, &out, &in);
	if (err)
		return errno_to_blk_status(err);
	spin_lock_irqsave(&bvq->lock, flags);
	err = virtqueue_add_sgs(bvq->vq, vbr->sg, out, in, vbr, GFP_ATOMIC);
	if (err) {
		if (err == -ENOSPC)
			notify = virtqueue_kick_prepare(bvq->vq);
		spin_unlock_irqrestore(&bvq->lock, flags);
		if (notify)
			virtqueue_notify(bvq->vq);
		return err == -ENOSPC ? BLK_STS_DEV_RESOURCE : BLK_STS_IOERR;
	}
	if (bd->last)
		notify = virtqueue_kick_prepare(bvq->vq);
	spin_unlock_irqrestore(&bvq->lock, flags);
	if (notify)
		virtqueue_notify(bvq->vq);
	return BLK_STS_OK;
}

static void virtblk_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct virtio_blk_vq *bvq = hctx->driver_data;
	unsigned long flags;
	bool notify;

	spin_lock_irqsave(&bvq->lock, flags);
	notify = virtqueue_kick_prepare(bvq->vq);
	spin_unlock_irqrestore(&bvq->lock, flags);
	if (notify)
		virtqueue_notify(bvq->vq);
}

static enum blk_eh_timer_return virtblk_timeout(struct request *rq);
static int virtblk_poll(struct blk_mq_hw_ctx *hctx);
static void virtblk_complete_rq(struct request *rq);

static const struct blk_mq_ops virtio_mq_ops = {
	.queue_rq = virtblk_queue_rq,
	.commit_rqs = virtblk_commit_rqs,
	.complete = virtblk_complete_rq,
	.timeout = virtblk_timeout,
	.poll = virtblk_poll,
};

/* ---- completion ---- */

static void virtblk_complete(struct virtblk_req *vbr, blk_status_t forced)
{
	if (forced)
		vbr->status = VIRTIO_BLK_S_IOERR; /* the device is reset */
	if (vbr->done) {
		complete(vbr->done);
		return;
	}
	blk_mq_complete_request(blk_mq_rq_from_pdu(vbr));
}

/* ->complete: the device's status byte (or the forced failure) decides. */
static void virtblk_complete_rq(struct request *rq)
{
	struct virtblk_req *vbr = blk_mq_rq_to_pdu(rq);

	blk_mq_end_request(rq, virtblk_status(vbr->status));
}

/* The device broke: it was reset (no more DMA); fail what it held. */
static void virtblk_fail_all(struct virtio_blk *vblk)
{
	struct virtblk_req *vbr;
	unsigned long flags;

	for (unsigned int i = 0; i < vblk->num_vqs; i++) {
		struct virtio_blk_vq *bvq = &vblk->vqs[i];

		spin_lock_irqsave(&bvq->lock, flags);
		while ((vbr = virtqueue_detach_unused_buf(bvq->vq)))
			virtblk_complete(vbr, BLK_STS_IOERR);
		spin_unlock_irqrestore(&bvq->lock, flags);
	}
	if (vblk->disk)
		blk_mq_run_hw_queues(vblk->disk->queue);
}

/* virtio_driver.broken: the break came from elsewhere (config space,
 * a timeout, a test): fail what the device held. Context: process. */
static void virtblk_broken(struct virtio_device *vdev)
{
	if (vdev->priv)
		virtblk_fail_all(vdev->priv);
}

/* The queue's callback. Context: hard interrupt. */
static void virtblk_done(struct virtqueue *vq)
{
	struct virtio_blk *vblk = vq->vdev->priv;
	struct virtio_blk_vq *bvq = &vblk->vqs[vq->index];
	struct virtblk_req *vbr;
	unsigned long flags;
	bool broken;

	if (READ_ONCE(vblk->deaf) || READ_ONCE(vblk->irq_lost))
		return; /* test: the interrupt is lost */
	spin_lock_irqsave(&bvq->lock, flags);
	do {
		virtqueue_disable_cb(vq);
		while ((vbr = virtqueue_get_buf(vq, NULL)))
			virtblk_complete(vbr, BLK_STS_OK);
		broken = virtqueue_is_broken(vq);
	} while (!broken && !virtqueue_enable_cb(vq));
	spin_unlock_irqrestore(&bvq->lock, flags);
	if (broken)
		virtblk_fail_all(vblk);
	else if (vblk->disk)
		blk_mq_run_hw_queue(vblk->disk->queue->hctxs[vq->index]);
}

/*
 * blk_mq_ops.poll: reap the used ring of @hctx's virtqueue (Linux's
 * virtblk_poll(), but on an ordinary queue: its interrupt stays on).
 * The interrupt handler may run at the same time on another CPU, or on
 * this one as soon as the lock is dropped: both take buffers out under
 * bvq->lock, and virtqueue_get_buf() hands each out once, so each
 * request is completed by exactly one of them. Context: process.
 */
static int virtblk_poll(struct blk_mq_hw_ctx *hctx)
{
	struct virtio_blk_vq *bvq = hctx->driver_data;
	struct virtio_blk *vblk = bvq->vblk;
	struct virtblk_req *vbr;
	unsigned long flags;
	bool broken;
	int found = 0;

	if (READ_ONCE(vblk->deaf))
		return 0; /* test: the device's answers are lost */
	spin_lock_irqsave(&bvq->lock, flags);
	while ((vbr = virtqueue_get_buf(bvq->vq, NULL))) {
		virtblk_complete(vbr, BLK_STS_OK);
		found++;
	}
	broken = virtqueue_is_broken(bvq->vq);
	spin_unlock_irqrestore(&bvq->lock, flags);
	if (broken) {
		virtblk_fail_all(vblk);
		return -EIO;
	}
	if (found)
		blk_mq_run_hw_queue(hctx);
	return found;
}

/*
 * blk_mq_ops.timeout: the device kept @rq past the disk's timeout. Linux's
 * virtio-blk has no handler (it waits); Quire treats a device that stops
 * answering like one that breaks the ring rules: the disk is marked dead
 * (new bios fail at once), the device is reset (no more DMA into our
 * buffers) and every request it held, @rq included, fails with -EIO.
 * Each request comes out of its virtqueue once, under the queue lock, so
 * a completion racing this handler and the reset's failure cannot both
 * end it. Context: process (the queue's timeout work).
 */
static enum blk_eh_timer_return virtblk_timeout(struct request *rq)
{
	struct virtio_blk *vblk = rq->q->queuedata;

	if (blk_mq_request_completed(rq))
		return BLK_EH_DONE; /* the device answered just now */
	pr_err("%s: %s request at sector %llu (tag %d) not answered within %u ms: resetting the device\n",
	       vblk->disk->disk_name, blk_op_str(req_op(rq)),
	       (unsigned long long)blk_rq_pos(rq), rq->tag,
	       jiffies_to_msecs(rq->q->rq_timeout));
	blk_mark_disk_dead(vblk->disk);
	virtio_break_device(vblk->vdev, "request timed out");
	virtblk_fail_all(vblk); /* @rq among them, unless completed */
	return BLK_EH_DONE;
}

/* ---- config ---- */

#define VBLK_CFG(field) __builtin_offsetof(struct virtio_blk_config, field), \
			sizeof(((struct virtio_blk_config *)0)->field)

/* Read a config field of up to 8 bytes (little endian) into a u64. */
static u64 virtblk_cread(struct virtio_blk *vblk, unsigned int off, unsigned int len)
{
	u64 v = 0;

	if (virtio_cread_bytes(vblk->vdev, off, &v, len))
		return 0;
	return v;
}

static bool has(struct virtio_blk *vblk, unsigned int f)
{
	return virtio_has_feature(vblk->vdev, f);
}

static sector_t virtblk_capacity(struct virtio_blk *vblk, u32 lbs)
{
	u64 cap = virtblk_cread(vblk, VBLK_CFG(capacity));

	if (cap > VIRTBLK_MAX_CAPACITY) {
		pr_err("%s: capacity %llu sectors is implausible: using 0\n",
		       vblk->vdev->name, (unsigned long long)cap);
		return 0;
	}
	return ALIGN_DOWN(cap, (u64)(lbs >> SECTOR_SHIFT));
}

static u32 virtblk_block_size(struct virtio_blk *vblk)
{
	u32 bs;

	if (!has(vblk, VIRTIO_BLK_F_BLK_SIZE))
		return SECTOR_SIZE;
	bs = virtblk_cread(vblk, VBLK_CFG(blk_size));
	if (bs < SECTOR_SIZE || bs > PAGE_SIZE || (bs & (bs - 1))) {
		pr_warn("%s: block size %u invalid: using 512\n", vblk->vdev->name, bs);
		return SECTOR_SIZE;
	}
	return bs;
}

static bool virtblk_write_cache(struct virtio_blk *vblk)
{
	if (!has(vblk, VIRTIO_BLK_F_FLUSH) || cmdline_has("virtio_blk.noflush"))
		return false;
	if (has(vblk, VIRTIO_BLK_F_CONFIG_WCE))
		return virtblk_cread(vblk, VBLK_CFG(wce)) != 0;
	return true;
}

static void virtblk_discard_limits(struct virtio_blk *vblk, struct queue_limits *lim)
{
	if (has(vblk, VIRTIO_BLK_F_DISCARD) && virtblk_cread(vblk, VBLK_CFG(max_discard_seg)))
		lim->max_discard_sectors = min(virtblk_cread(vblk, VBLK_CFG(max_discard_sectors)),
					       (u64)0x7fffffff);
	if (has(vblk, VIRTIO_BLK_F_WRITE_ZEROES) &&
	    virtblk_cread(vblk, VBLK_CFG(max_write_zeroes_seg)))
		lim->max_write_zeroes_sectors =
			min(virtblk_cread(vblk, VBLK_CFG(max_write_zeroes_sectors)),
			    (u64)0x7fffffff);
	/* the range must be a whole number of logical blocks */
	lim->max_discard_sectors = ALIGN_DOWN(lim->max_discard_sectors,
					      lim->logical_block_size >> SECTOR_SHIFT);
	lim->max_write_zeroes_sectors = ALIGN_DOWN(lim->max_write_zeroes_sectors,
						   lim->logical_block_size >> SECTOR_SHIFT);
}

static void virtblk_set_limits(struct virtio_blk *vblk, struct queue_limits *lim)
{
	u32 size_max = has(vblk, VIRTIO_BLK_F_SIZE_MAX) ?
		       (u32)virtblk_cread(vblk, VBLK_CFG(size_max)) : 0;
	u8 exp = has(vblk, VIRTIO_BLK_F_TOPOLOGY) ?
		 (u8)virtblk_cread(vblk, VBLK_CFG(physical_block_exp)) : 0;

	memset(lim, 0, sizeof(*lim));
	lim->logical_block_size = virtblk_block_size(vblk);
	lim->physical_block_size = exp <= 8 ? lim->logical_block_size << exp :
			lim->logical_block_size;
	lim->max_sectors = 2048;		/* 1 MiB per request */
	lim->max_segments = vblk->sg_elems;
	lim->max_segment_size = size_max >= PAGE_SIZE ? size_max : (1u << 20);
	if (size_max && size_max < PAGE_SIZE)
		pr_warn("%s: size_max %u below a page: ignored\n", vblk->vdev->name, size_max);
	virtblk_discard_limits(vblk, lim);
	lim->write_cache = virtblk_write_cache(vblk);
	lim->fua = false;
	lim->read_only = has(vblk, VIRTIO_BLK_F_RO);
}

static unsigned int virtblk_seg_max(struct virtio_blk *vblk, unsigned int ring)
{
	u32 seg = has(vblk, VIRTIO_BLK_F_SEG_MAX) ?
		  (u32)virtblk_cread(vblk, VBLK_CFG(seg_max)) : 1;

	if (!seg)
		seg = 1;
	if (!has(vblk, VIRTIO_RING_F_INDIRECT_DESC))
		seg = min(seg, ring - 2);	/* header + status need room */
	return min(seg, (u32)VIRTBLK_MAX_SG);
}

static unsigned int virtblk_nr_queues(struct virtio_blk *vblk)
{
	u32 n = has(vblk, VIRTIO_BLK_F_MQ) ? (u32)virtblk_cread(vblk, VBLK_CFG(num_queues)) : 1;

	if (!n) {
		pr_warn("%s: num_queues 0: using 1\n", vblk->vdev->name);
		n = 1;
	}
	return min(n, min(platform.nr_cpus, (unsigned int)VIRTBLK_MAX_QUEUES));
}

static void virtblk_config_changed(struct virtio_device *vdev)
{
	struct virtio_blk *vblk = vdev->priv;
	sector_t cap;

	if (!vblk->disk)
		return;
	cap = virtblk_capacity(vblk, vblk->disk->queue->limits.logical_block_size);
	if (cap != get_capacity(vblk->disk)) {
		pr_info("%s: capacity changed to %llu sectors\n", vblk->disk->disk_name,
			(unsigned long long)cap);
		set_capacity(vblk->disk, cap);
	}
}

/* ---- probe ---- */

static int virtblk_init_vqs(struct virtio_blk *vblk)
{
	vq_callback_t *callbacks[VIRTBLK_MAX_QUEUES];
	const char *names[VIRTBLK_MAX_QUEUES];
	struct virtqueue *vqs[VIRTBLK_MAX_QUEUES];
	int err;

	vblk->num_vqs = virtblk_nr_queues(vblk);
	vblk->vqs = kcalloc(vblk->num_vqs, sizeof(*vblk->vqs), GFP_KERNEL);
	if (!vblk->vqs)
		return -ENOMEM;
	for (unsigned int i = 0; i < vblk->num_vqs; i++) {
		spin_lock_init(&vblk->vqs[i].lock);
		scnprintf(vblk->vqs[i].name, sizeof(vblk->vqs[i].name), "req.%u", i);
		vblk->vqs[i].vblk = vblk;
		callbacks[i] = virtblk_done;
		names[i] = vblk->vqs[i].name;
	}
	err = virtio_find_vqs(vblk->vdev, vblk->num_vqs, vqs, callbacks, names);
	if (err == -ENOSPC && vblk->num_vqs > 1) {
		pr_warn("%s: not enough interrupt vectors for %u queues: using 1\n",
			vblk->vdev->name, vblk->num_vqs);
		vblk->num_vqs = 1;
		err = virtio_find_vqs(vblk->vdev, 1, vqs, callbacks, names);
	}
	if (err)
		return err;
	for (unsigned int i = 0; i < vblk->num_vqs; i++)
		vblk->vqs[i].vq = vqs[i];
	return 0;
}

static void virtblk_name(int index, char *name)
{
	if (index < 26)
		scnprintf(name, DISK_NAME_LEN, "vd%c", 'a' + index);
	else
		scnprintf(name, DISK_NAME_LEN, "vd%c%c", 'a' + index / 26 - 1, 'a' + index % 26);
}

/* Keep printable ASCII of the device's 20-byte id (not NUL terminated
 * when it is exactly 20 long). */
static void virtblk_copy_serial(char *dst, const u8 *id)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < VIRTIO_BLK_ID_BYTES && id[i] && n < DISK_SERIAL_LEN - 1; i++)
		if (id[i] >= 0x20 && id[i] < 0x7f)
			dst[n++] = id[i];
	dst[n] = '\0';
}

/* GET_ID on queue 0 before the disk is visible. 0 or -errno. */
static int virtblk_get_id(struct virtio_blk *vblk, char *serial)
{
	struct virtio_blk_vq *bvq = &vblk->vqs[0];
	struct virtblk_req *vbr = kzalloc(sizeof(*vbr) + 3 * sizeof(vbr->sg[0]), GFP_KERNEL);
	u8 *id = kzalloc(VIRTIO_BLK_ID_BYTES, GFP_KERNEL);
	struct completion done;
	unsigned long flags;
	int err = -ENOMEM;

	if (!vbr || !id)
		goto out;
	init_completion(&done);
	vbr->out_hdr.type = VIRTIO_BLK_T_GET_ID;
	vbr->status = VIRTBLK_STATUS_NONE;
	vbr->done = &done;
	sg_init_one(&vbr->sg[0], &vbr->out_hdr, sizeof(vbr->out_hdr));
	sg_init_one(&vbr->sg[1], id, VIRTIO_BLK_ID_BYTES);
	sg_init_one(&vbr->sg[2], &vbr->status, 1);
	spin_lock_irqsave(&bvq->lock, flags);
	err = virtqueue_add_sgs(bvq->vq, vbr->sg, 1, 2, vbr, GFP_ATOMIC);
	spin_unlock_irqrestore(&bvq->lock, flags);
	if (err)
		goto out;
	virtqueue_kick(bvq->vq);
	if (!wait_for_completion_timeout(&done, msecs_to_jiffies(VIRTBLK_GET_ID_MS))) {
		virtio_break_device(vblk->vdev, "GET_ID not answered within 5 s");
		virtblk_fail_all(vblk);		/* completes @done */
		wait_for_completion(&done);
	}
	err = vbr->status == VIRTIO_BLK_S_OK ? 0 : -EIO;
	if (!err)
		virtblk_copy_serial(serial, id);
out:
	kfree(id);
	kfree(vbr);
	return err;
}

static int virtblk_alloc_disk(struct virtio_blk *vblk)
{
	struct queue_limits lim;
	int err;
	unsigned int ring = virtqueue_get_vring_size(vblk->vqs[0].vq);

	if (ring < 4) {		/* header + data + status, and room for a second */
		pr_err("%s: queue of %u entries is too small\n", vblk->vdev->name, ring);
		return -EINVAL;
	}
	vblk->sg_elems = virtblk_seg_max(vblk, ring);
	vblk->tag_set.ops = &virtio_mq_ops;
	vblk->tag_set.nr_hw_queues = vblk->num_vqs;
	vblk->tag_set.queue_depth = virtqueue_get_vring_size(vblk->vqs[0].vq);
	vblk->tag_set.cmd_size = sizeof(struct virtblk_req) +
		(vblk->sg_elems + 2) * sizeof(struct scatterlist) +
		vblk->sg_elems * sizeof(struct blk_segment);
	vblk->tag_set.driver_data = vblk;
	err = blk_mq_alloc_tag_set(&vblk->tag_set);
	if (err)
		return err;
	virtblk_set_limits(vblk, &lim);
	vblk->disk = blk_mq_alloc_disk(&vblk->tag_set, &lim, vblk);
	if (IS_ERR(vblk->disk)) {
		err = PTR_ERR(vblk->disk);
		vblk->disk = NULL;
		return err;
	}
	vblk->disk->private_data = vblk;
	for (unsigned int i = 0; i < vblk->num_vqs; i++) {
		struct blk_mq_hw_ctx *hctx = vblk->disk->queue->hctxs[i];

		hctx->driver_data = &vblk->vqs[i];
		for (unsigned int t = 0; t < hctx->queue_depth; t++) {
			struct virtblk_req *vbr = blk_mq_rq_to_pdu(hctx->rqs[t]);

			vbr->segs = (struct blk_segment *)&vbr->sg[vblk->sg_elems + 2];
		}
	}
	set_capacity(vblk->disk, virtblk_capacity(vblk, lim.logical_block_size));
	/* Poll before sleeping, adaptive budget (docs/block.md, Polling);
	 * `blkdev vdX poll=off` or the option virtio_blk.nopoll turn it off. */
	blk_queue_poll(vblk->disk->queue, !cmdline_has("virtio_blk.nopoll"), 0);
	return 0;
}

static int virtblk_probe(struct virtio_device *vdev)
{
	struct virtio_blk *vblk = kzalloc(sizeof(*vblk), GFP_KERNEL);
	struct gendisk *disk;
	int err;

	if (!vblk)
		return -ENOMEM;
	vblk->vdev = vdev;
	vdev->priv = vblk;
	err = virtblk_init_vqs(vblk);
	if (err)
		goto out_free;
	virtio_device_ready(vdev);
	err = virtblk_alloc_disk(vblk);
	if (err)
		goto out_del_vqs;
	disk = vblk->disk;
	vblk->index = virtblk_next_index++;
	virtblk_name(vblk->index, disk->disk_name);
	strscpy_len(disk->model, "virtio-blk", sizeof(disk->model));
	if (virtblk_get_id(vblk, disk->serial))
		pr_info("%s: no serial (GET_ID failed)\n", disk->disk_name);
	err = add_disk(disk);
	if (err)
		goto out_del_vqs;
	pr_info("%s: %s, %llu sectors of %u bytes, %u queue%s of %u, %s%s%s\n", disk->disk_name,
		vdev->name, (unsigned long long)get_capacity(disk),
		disk->queue->limits.logical_block_size, vblk->num_vqs,
		vblk->num_vqs == 1 ? "" : "s", vblk->tag_set.queue_depth,
		disk->queue->limits.write_cache ? "write cache (flush)" : "no volatile cache",
		disk->queue->limits.read_only ? ", read-only" : "",
		disk->serial[0] ? ", serial set" : "");
	return 0;
out_del_vqs:
	vdev->config->reset(vdev);	/* no DMA into what we free next */
	vdev->config->del_vqs(vdev);
	/* the disk and tag set are not freed: the block layer keeps no
	 * reference to an unregistered disk, and this path is rare */
out_free:
	vdev->priv = NULL;
	if (!vblk->disk) {
		kfree(vblk->vqs);
		kfree(vblk);
	}
	return err;
}

/* ---- test hooks (virtio_blk.h) ---- */

bool virtblk_is_virtio_disk(struct gendisk *disk)
{
	return disk->queue->tag_set->ops == &virtio_mq_ops;
}

struct virtio_device *virtblk_vdev(struct gendisk *disk)
{
	return ((struct virtio_blk *)disk->private_data)->vdev;
}

int virtblk_test_forge_used(struct gendisk *disk, u32 id, u32 len)
{
	struct virtio_blk *vblk = disk->private_data;
	struct virtio_blk_vq *bvq = &vblk->vqs[0];
	struct vring *vr;
	unsigned long flags;
	u16 idx;

	spin_lock_irqsave(&bvq->lock, flags);
	if (virtqueue_inflight(bvq->vq)) {
		spin_unlock_irqrestore(&bvq->lock, flags);
		return -EBUSY;
	}
	vr = virtqueue_get_vring(bvq->vq);
	idx = READ_ONCE(vr->used->idx);
	vr->used->ring[idx & (vr->num - 1)].id = id;
	vr->used->ring[idx & (vr->num - 1)].len = len;
	smp_wmb();
	WRITE_ONCE(vr->used->idx, idx + 1);
	spin_unlock_irqrestore(&bvq->lock, flags);
	flags = arch_local_irq_save();		/* as the interrupt would run */
	vring_interrupt(bvq->vq);
	arch_local_irq_restore(flags);
	return 0;
}

void virtblk_test_set_deaf(struct gendisk *disk, bool deaf)
{
	struct virtio_blk *vblk = disk->private_data;

	WRITE_ONCE(vblk->deaf, deaf);
}

void virtblk_test_set_irq_lost(struct gendisk *disk, bool lost)
{
	struct virtio_blk *vblk = disk->private_data;

	WRITE_ONCE(vblk->irq_lost, lost);
}

static const unsigned int virtblk_features[] = {
	VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_RO, VIRTIO_BLK_F_BLK_SIZE,
	VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_TOPOLOGY, VIRTIO_BLK_F_CONFIG_WCE, VIRTIO_BLK_F_MQ,
	VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES,
};

static struct virtio_driver virtio_blk_driver = {
	.name = "virtio_blk",
	.device_id = VIRTIO_ID_BLOCK,
	.feature_table = virtblk_features,
	.feature_table_size = ARRAY_SIZE(virtblk_features),
	.probe = virtblk_probe,
	.config_changed = virtblk_config_changed,
	.broken = virtblk_broken,
};

static int virtio_blk_init(void)
{
	return register_virtio_driver(&virtio_blk_driver);
}
subsys_initcall(virtio_blk_init);
