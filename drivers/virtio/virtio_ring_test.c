/*
 * drivers/virtio/virtio_ring_test.c - KTAP suite "virtio": the split ring
 * against a fake in-memory device that plays by the rules, then breaks
 * them (forged used entries), with no hardware involved.
 *
 * Layer: drivers/virtio (tests). Suite: virtio.
 *
 * The fake device is a struct virtio_device with config ops that count
 * resets, and "device side" helpers that read the available ring and
 * write the used ring directly (virtqueue_get_vring()). The fake driver
 * completes each token exactly once: from virtqueue_get_buf() with
 * status 0, or, once the queue is broken, from
 * virtqueue_detach_unused_buf() with -EIO (what virtio_blk does).
 * Every case checks: the forged entry is refused, the device is marked
 * broken and reset exactly once, every waiter gets exactly one
 * completion, with -EIO, and the ring refuses new work.
 */
#include <quire/virtio.h>
#include <quire/ktest.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/atomic.h>
#include <quire/kernel.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/workqueue.h>
#include <quire/smp.h>
#include <quire/jiffies.h>
#include <quire/sched.h>
#include <quire/preempt.h>
#include <quire/sysctl.h>
#include <arch/cpu.h>
#include <arch/memory.h>
#include <arch/time.h>

#define FAKE_RING	8
#define FAKE_REQS	32

struct fake_req {
	int status;		/* 0 or -EIO once completed */
	int completions;	/* must end at exactly 1 */
	u32 len;		/* bytes the device said it wrote */
};

struct fake_dev {
	struct virtio_device vdev;
	struct virtqueue *vq;
	unsigned int resets;
	unsigned int notifies;
	unsigned int callbacks;
	u8 status;
	u16 last_avail;		/* device side: next avail entry to take */
	u16 used_idx;		/* device side: next used index to write */
	u32 gen;		/* config generation */
	u32 gen_flips;		/* reads of it that still see a change */
	u32 gets;		/* config reads */
	u64 offered;		/* features the fake device offers */
	bool refuse_features;	/* clear FEATURES_OK when it is set */
	u16 qsize;		/* find_vqs: queue size the device reports (0: bad) */
	struct virtqueue *probe_vq; /* made by fake_find_vqs */
	u8 status_log[16];	/* every status written, in order */
	unsigned int nr_status;
	unsigned int bad_checks; /* virtqueue_check() failures seen */
	u8 buf[FAKE_REQS][64];	/* "request memory" the sgs point at */
	struct fake_req reqs[FAKE_REQS];
};

static void fake_get(struct virtio_device *v, unsigned int off, void *buf, unsigned int len)
{
	struct fake_dev *fd = container_of(v, struct fake_dev, vdev);

	fd->gets++;
	memset(buf, 0x5a, len);
}

static void fake_set(struct virtio_device *v, unsigned int off, const void *buf,
		     unsigned int len)
{
}

static u32 fake_generation(struct virtio_device *v)
{
	struct fake_dev *fd = container_of(v, struct fake_dev, vdev);

	if (fd->gen_flips) {
		fd->gen_flips--;
		return fd->gen++;
	}
	return fd->gen;
}

static void (*fake_get_status_hook)(struct fake_dev *fd);

static u8 fake_get_status(struct virtio_device *v)
{
	struct fake_dev *fd = container_of(v, struct fake_dev, vdev);

	if (fake_get_status_hook)
		fake_get_status_hook(fd);
	return fd->status;
}

static void fake_set_status(struct virtio_device *v, u8 s)
{
	struct fake_dev *fd = container_of(v, struct fake_dev, vdev);

	if (fd->refuse_features)
		s &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	if (fd->nr_status < ARRAY_SIZE(fd->status_log))
		fd->status_log[fd->nr_status++] = s;
	fd->status = s;
}

static void fake_reset(struct virtio_device *v)
{
	struct fake_dev *fd = container_of(v, struct fake_dev, vdev);

	fd->resets++;
	fd->status = 0;
	if (fd->nr_status < ARRAY_SIZE(fd->status_log))
		fd->status_log[fd->nr_status++] = 0;
}

static u64 fake_get_features(struct virtio_device *v)
{
	return container_of(v, struct fake_dev, vdev)->offered;
}

static int fake_finalize(struct virtio_device *v)
{
	return 0;
}

static bool fake_notify(struct virtqueue *vq)
{
	container_of(vq->vdev, struct fake_dev, vdev)->notifies++;
	return true;
}

/* One queue of fd->qsize entries; a size of 0 fails as virtio-pci does. */
static int fake_find_vqs(struct virtio_device *v, unsigned int nvqs,
			 struct virtqueue *vqs[], vq_callback_t *callbacks[],
			 const char *const names[])
{
	struct fake_dev *fd = container_of(v, struct fake_dev, vdev);

	if (nvqs != 1 || !fd->qsize)
		return -EINVAL;
	fd->probe_vq = vring_create_virtqueue(0, fd->qsize, v, fake_notify, callbacks[0],
					      names[0]);
	if (!fd->probe_vq)
		return -ENOMEM;
	vqs[0] = fd->probe_vq;
	return 0;
}

static void fake_del_vqs(struct virtio_device *v)
{
	struct fake_dev *fd = container_of(v, struct fake_dev, vdev);

	if (fd->probe_vq)
		vring_del_virtqueue(fd->probe_vq);
	fd->probe_vq = NULL;
}

static const struct virtio_config_ops fake_ops = {
	.get = fake_get,
	.set = fake_set,
	.generation = fake_generation,
	.get_status = fake_get_status,
	.set_status = fake_set_status,
	.reset = fake_reset,
	.get_features = fake_get_features,
	.finalize_features = fake_finalize,
	.find_vqs = fake_find_vqs,
	.del_vqs = fake_del_vqs,
};

/* The fake driver's completion path (as virtblk_done + fail_all). */
static void fake_driver_collect(struct fake_dev *fd)
{
	struct fake_req *r;
	unsigned int len;

	while ((r = virtqueue_get_buf(fd->vq, &len))) {
		r->status = 0;
		r->len = len;
		r->completions++;
	}
	if (!virtqueue_is_broken(fd->vq))
		return;
	while ((r = virtqueue_detach_unused_buf(fd->vq))) {
		r->status = -EIO;
		r->completions++;
	}
	if (virtqueue_check(fd->vq)) /* after each step */
		fd->bad_checks++;
}

static void fake_callback(struct virtqueue *vq)
{
	struct fake_dev *fd = container_of(vq->vdev, struct fake_dev, vdev);

	fd->callbacks++;
	fake_driver_collect(fd);
}

static struct fake_dev *fake_create(struct ktest *t, u64 features)
{
	struct fake_dev *fd = kzalloc(sizeof(*fd), GFP_KERNEL);

	KTEST_ASSERT_NOT_NULL(t, fd);
	INIT_LIST_HEAD(&fd->vdev.vqs);
	strscpy_len(fd->vdev.name, "fakevirtio", sizeof(fd->vdev.name));
	fd->vdev.config = &fake_ops;
	fd->vdev.features = features;
	fd->vq = vring_create_virtqueue(0, FAKE_RING, &fd->vdev, fake_notify, fake_callback,
					"fake");
	if (!fd->vq)
		kfree(fd);
	KTEST_ASSERT_NOT_NULL(t, fd->vq);
	return fd;
}

static void fake_destroy(struct ktest *t, struct fake_dev *fd)
{
	KTEST_EXPECT_EQ(t, virtqueue_check(fd->vq), 0);
	KTEST_EXPECT_EQ(t, fd->bad_checks, 0);
	vring_del_virtqueue(fd->vq);
	kfree(fd);
}

#define F_ALL (1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_INDIRECT_DESC | \
	       1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_PLAIN (1ULL << VIRTIO_F_VERSION_1)

/* Submit request @i: one 16-byte out buffer, then @in_bufs 16-byte in
 * buffers (its writable size is 16 * in_bufs). */
static int fake_submit(struct fake_dev *fd, unsigned int i, unsigned int in_bufs)
{
	struct scatterlist sg[4];
	int err;

	for (unsigned int n = 0; n <= in_bufs; n++)
		sg_init_one(&sg[n], &fd->buf[i][16 * n], 16);
	err = virtqueue_add_sgs(fd->vq, sg, 1, in_bufs, &fd->reqs[i], GFP_KERNEL);
	if (virtqueue_check(fd->vq)) /* after each step */
		fd->bad_checks++;
	return err;
}

/* One request on @vq (not fd->vq): 0 or add_sgs' error. */
static int fake_submit_vq(struct fake_dev *fd, struct virtqueue *vq)
{
	struct scatterlist sg[2];

	sg_init_one(&sg[0], &fd->buf[0][0], 16);
	sg_init_one(&sg[1], &fd->buf[0][16], 16);
	return virtqueue_add_sgs(vq, sg, 1, 1, &fd->reqs[0], GFP_KERNEL);
}

/* Device side: take the next available head, or -1. */
static int dev_pop(struct fake_dev *fd)
{
	struct vring *vr = virtqueue_get_vring(fd->vq);

	if (READ_ONCE(vr->avail->idx) == fd->last_avail)
		return -1;
	return vr->avail->ring[fd->last_avail++ & (vr->num - 1)];
}

/* Device side: publish a used entry (possibly forged) and interrupt. */
static void dev_push(struct fake_dev *fd, u32 id, u32 len)
{
	struct vring *vr = virtqueue_get_vring(fd->vq);

	vr->used->ring[fd->used_idx & (vr->num - 1)].id = id;
	vr->used->ring[fd->used_idx & (vr->num - 1)].len = len;
	smp_wmb();
	WRITE_ONCE(vr->used->idx, ++fd->used_idx);
	vring_interrupt(fd->vq);
}

/* After a forgery: the device is broken and reset once, every request
 * got exactly one completion, and those still held got -EIO. */
static void expect_broken(struct ktest *t, struct fake_dev *fd, unsigned int nreqs,
			  unsigned int good)
{
	unsigned int eio = 0;

	KTEST_EXPECT_TRUE(t, virtqueue_is_broken(fd->vq));
	KTEST_EXPECT_TRUE(t, virtio_device_is_broken(&fd->vdev));
	KTEST_EXPECT_EQ(t, fd->resets, 1);
	for (unsigned int i = 0; i < nreqs; i++) {
		KTEST_EXPECT_EQ(t, fd->reqs[i].completions, 1);
		eio += fd->reqs[i].status == -EIO;
	}
	KTEST_EXPECT_EQ(t, eio, nreqs - good);
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING);
	/* no new work, no more used entries believed */
	KTEST_EXPECT_EQ(t, fake_submit(fd, nreqs, 1), -EIO);
	KTEST_EXPECT_FALSE(t, virtqueue_kick(fd->vq));
	KTEST_EXPECT_NULL(t, virtqueue_get_buf(fd->vq, NULL));
}

/* ---- a device that plays by the rules ---- */

/* virtqueue_check() sees a miscounted free list (on a private queue). */
static void ring_checker_catches_a_miscounted_free_list(struct ktest *t)
{
	struct fake_dev *fd = fake_create(t, F_PLAIN);

	KTEST_ASSERT_EQ(t, fake_submit(fd, 0, 2), 0); /* 3 descriptors held */
	KTEST_ASSERT_EQ(t, fake_submit(fd, 1, 1), 0);
	KTEST_ASSERT_EQ(t, virtqueue_check(fd->vq), 0);
	fd->vq->num_free--; /* VQ1: one descriptor lost */
	KTEST_EXPECT_EQ(t, virtqueue_check(fd->vq), -EUCLEAN);
	fd->vq->num_free += 2; /* VQ3: the free list is one short */
	KTEST_EXPECT_EQ(t, virtqueue_check(fd->vq), -EUCLEAN);
	fd->vq->num_free--;
	fd->vq->num_free = FAKE_RING + 1; /* VQ1: more free than the ring */
	KTEST_EXPECT_EQ(t, virtqueue_check(fd->vq), -EUCLEAN);
	fd->vq->num_free = FAKE_RING - 5;
	KTEST_EXPECT_EQ(t, virtqueue_check(fd->vq), 0);
	fake_destroy(t, fd);
}

/* Set dev.virtio.direct_max to @val; returns the value before. */
static long set_direct_max(struct ktest *t, long val)
{
	char buf[24];
	long old = -1;

	KTEST_EXPECT_EQ(t, sysctl_get("dev.virtio.direct_max", &old), 0);
	scnprintf(buf, sizeof(buf), "%ld", val);
	KTEST_EXPECT_EQ(t, sysctl_set("dev.virtio.direct_max", buf), 0);
	return old;
}

static void ring_completes_each_request_once_with_its_len(struct ktest *t)
{
	struct fake_dev *fd = fake_create(t, F_ALL);
	long direct_max = set_direct_max(t, 0); /* every chain indirect */
	int heads[4];

	for (unsigned int i = 0; i < 4; i++)
		KTEST_ASSERT_EQ(t, fake_submit(fd, i, 2), 0);
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING - 4);	/* indirect: 1 each */
	KTEST_EXPECT_TRUE(t, virtqueue_kick(fd->vq));
	for (unsigned int i = 0; i < 4; i++)
		heads[i] = dev_pop(fd);
	for (int i = 3; i >= 0; i--)		/* out of order */
		dev_push(fd, heads[i], 20 + i);
	for (unsigned int i = 0; i < 4; i++) {
		KTEST_EXPECT_EQ(t, fd->reqs[i].completions, 1);
		KTEST_EXPECT_EQ(t, fd->reqs[i].status, 0);
		KTEST_EXPECT_EQ(t, fd->reqs[i].len, 20 + i);
	}
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING);
	KTEST_EXPECT_FALSE(t, virtqueue_is_broken(fd->vq));
	KTEST_EXPECT_EQ(t, fd->resets, 0);
	set_direct_max(t, direct_max);
	fake_destroy(t, fd);
}

/*
 * dev.virtio.direct_max: with indirect tables negotiated, a chain of up to
 * direct_max buffers still goes into ring descriptors; a longer one, or
 * one that does not fit in the free descriptors, takes one indirect
 * descriptor. The device sees which (VRING_DESC_F_INDIRECT on the head),
 * every request completes once with its len, and the ring is whole after.
 */
static void short_chains_go_direct_up_to_direct_max(struct ktest *t)
{
	static const unsigned int in_bufs[4] = {2, 3, 2, 2};
	static const bool indirect[4] = {false, true, false, true};
	static const unsigned int free_after[4] = {FAKE_RING - 3, FAKE_RING - 4, 1, 0};
	struct fake_dev *fd = fake_create(t, F_ALL);
	struct vring *vr = virtqueue_get_vring(fd->vq);
	long direct_max = set_direct_max(t, 3);
	int heads[4];

	for (unsigned int i = 0; i < 4; i++) {
		KTEST_EXPECT_EQ(t, fake_submit(fd, i, in_bufs[i]), 0);
		KTEST_EXPECT_EQ(t, fd->vq->num_free, free_after[i]);
	}
	KTEST_EXPECT_TRUE(t, virtqueue_kick(fd->vq));
	for (unsigned int i = 0; i < 4; i++) {
		heads[i] = dev_pop(fd);
		KTEST_ASSERT_TRUE(t, heads[i] >= 0);
		KTEST_EXPECT_EQ(t, !!(vr->desc[heads[i]].flags & VRING_DESC_F_INDIRECT),
				indirect[i]);
		KTEST_EXPECT_EQ(t, !!(vr->desc[heads[i]].flags & VRING_DESC_F_NEXT),
				!indirect[i]);
	}
	for (int i = 3; i >= 0; i--) /* out of order, each all it may write */
		dev_push(fd, heads[i], 16 * in_bufs[i]);
	for (unsigned int i = 0; i < 4; i++) {
		KTEST_EXPECT_EQ(t, fd->reqs[i].completions, 1);
		KTEST_EXPECT_EQ(t, fd->reqs[i].status, 0);
		KTEST_EXPECT_EQ(t, fd->reqs[i].len, 16 * in_bufs[i]);
	}
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING);
	KTEST_EXPECT_FALSE(t, virtqueue_is_broken(fd->vq));
	set_direct_max(t, direct_max);
	fake_destroy(t, fd);
}

static void direct_chains_take_one_descriptor_per_buffer_and_fill_up(struct ktest *t)
{
	struct fake_dev *fd = fake_create(t, F_PLAIN);

	KTEST_ASSERT_EQ(t, fake_submit(fd, 0, 3), 0);		/* 4 descriptors */
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING - 4);
	KTEST_ASSERT_EQ(t, fake_submit(fd, 1, 3), 0);
	KTEST_EXPECT_EQ(t, fd->vq->num_free, 0);
	KTEST_EXPECT_EQ(t, fake_submit(fd, 2, 1), -ENOSPC);	/* full: retry later */
	dev_push(fd, dev_pop(fd), 0);
	KTEST_EXPECT_EQ(t, fd->reqs[0].completions, 1);
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING - 4);
	KTEST_EXPECT_EQ(t, fake_submit(fd, 2, 1), 0);
	dev_push(fd, dev_pop(fd), 48);
	dev_push(fd, dev_pop(fd), 16);
	KTEST_EXPECT_EQ(t, fd->reqs[1].len, 48);
	KTEST_EXPECT_EQ(t, fd->reqs[2].completions, 1);
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING);
	fake_destroy(t, fd);
}

static void chain_longer_than_the_ring_is_refused_without_indirect(struct ktest *t)
{
	struct fake_dev *fd = fake_create(t, F_PLAIN);
	struct scatterlist sg[FAKE_RING + 1];

	for (unsigned int n = 0; n <= FAKE_RING; n++)
		sg_init_one(&sg[n], fd->buf[0], 16);
	KTEST_EXPECT_EQ(t, virtqueue_add_sgs(fd->vq, sg, 1, FAKE_RING, &fd->reqs[0], GFP_KERNEL),
			-EINVAL);
	KTEST_EXPECT_EQ(t, virtqueue_add_sgs(fd->vq, sg, 0, 0, &fd->reqs[0], GFP_KERNEL), -EINVAL);
	KTEST_EXPECT_EQ(t, virtqueue_add_sgs(fd->vq, sg, 1, 0, NULL, GFP_KERNEL), -EINVAL);
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING);
	fake_destroy(t, fd);
}

static void event_idx_suppresses_kicks_the_device_did_not_ask_for(struct ktest *t)
{
	struct fake_dev *fd = fake_create(t, F_ALL);
	struct vring *vr = virtqueue_get_vring(fd->vq);

	/* the device wants a kick when avail->idx passes 2 */
	vring_avail_event(vr) = 2;
	KTEST_ASSERT_EQ(t, fake_submit(fd, 0, 1), 0);
	KTEST_EXPECT_FALSE(t, virtqueue_kick_prepare(fd->vq));	/* idx 0 -> 1 */
	KTEST_ASSERT_EQ(t, fake_submit(fd, 1, 1), 0);
	KTEST_ASSERT_EQ(t, fake_submit(fd, 2, 1), 0);
	KTEST_EXPECT_TRUE(t, virtqueue_kick_prepare(fd->vq));	/* 1 -> 3 crosses 2 */
	/* and the driver tells the device where it wants its interrupt */
	for (int i = 0; i < 3; i++)
		dev_push(fd, dev_pop(fd), 0);
	KTEST_EXPECT_EQ(t, vring_used_event(vr), 3);
	fake_destroy(t, fd);
}

static void no_notify_flag_suppresses_kicks_without_event_idx(struct ktest *t)
{
	struct fake_dev *fd = fake_create(t, F_PLAIN);
	struct vring *vr = virtqueue_get_vring(fd->vq);

	vr->used->flags = VRING_USED_F_NO_NOTIFY;
	KTEST_ASSERT_EQ(t, fake_submit(fd, 0, 1), 0);
	KTEST_EXPECT_FALSE(t, virtqueue_kick_prepare(fd->vq));
	vr->used->flags = 0;
	KTEST_ASSERT_EQ(t, fake_submit(fd, 1, 1), 0);
	KTEST_EXPECT_TRUE(t, virtqueue_kick_prepare(fd->vq));
	virtqueue_disable_cb(fd->vq);
	KTEST_EXPECT_EQ(t, vr->avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	KTEST_EXPECT_TRUE(t, virtqueue_enable_cb(fd->vq));
	KTEST_EXPECT_EQ(t, vr->avail->flags, 0);
	fake_destroy(t, fd);
}

/* ---- forged used entries ---- */

/* Three requests in flight; the first completes honestly. */
static struct fake_dev *three_in_flight(struct ktest *t, u64 features)
{
	struct fake_dev *fd = fake_create(t, features);

	for (unsigned int i = 0; i < 3; i++)
		KTEST_ASSERT_EQ(t, fake_submit(fd, i, 1), 0);
	virtqueue_kick(fd->vq);
	dev_push(fd, dev_pop(fd), 16);
	KTEST_EXPECT_EQ(t, fd->reqs[0].status, 0);
	return fd;
}

static void used_id_out_of_range_breaks_device_and_fails_waiters(struct ktest *t)
{
	struct fake_dev *fd = three_in_flight(t, F_ALL);

	dev_push(fd, FAKE_RING + 5, 1);
	expect_broken(t, fd, 3, 1);
	fake_destroy(t, fd);
}

static void used_id_not_in_flight_is_rejected(struct ktest *t)
{
	struct fake_dev *fd = three_in_flight(t, F_PLAIN);

	/* head 7 is a free descriptor: never handed to the device */
	dev_push(fd, FAKE_RING - 1, 1);
	expect_broken(t, fd, 3, 1);
	fake_destroy(t, fd);
}

/*
 * The same, with len 0: the length check (VQU3) cannot catch it, since a
 * free head has 0 writable bytes. Only the in-flight check (VQU2) stands
 * between this entry and a completion of nothing (get_buf returning the
 * free slot's NULL token, and its descriptor pushed on the free list a
 * second time).
 */
static void used_id_not_in_flight_with_len_0_is_rejected(struct ktest *t)
{
	struct fake_dev *fd = three_in_flight(t, F_PLAIN);

	dev_push(fd, FAKE_RING - 1, 0);
	expect_broken(t, fd, 3, 1);
	fake_destroy(t, fd);
}

/* A double completion: request 0 completed honestly, then its id again. */
static void used_id_completed_twice_with_len_0_is_rejected(struct ktest *t)
{
	struct fake_dev *fd = fake_create(t, F_ALL);
	int head;

	for (unsigned int i = 0; i < 3; i++)
		KTEST_ASSERT_EQ(t, fake_submit(fd, i, 1), 0);
	head = dev_pop(fd);
	dev_push(fd, head, 16);
	KTEST_EXPECT_EQ(t, fd->reqs[0].completions, 1);
	dev_push(fd, head, 0); /* the same id again, nothing written */
	expect_broken(t, fd, 3, 1);
	fake_destroy(t, fd);
}

static void repeated_used_id_is_rejected(struct ktest *t)
{
	struct fake_dev *fd = fake_create(t, F_ALL);
	int head;

	for (unsigned int i = 0; i < 3; i++)
		KTEST_ASSERT_EQ(t, fake_submit(fd, i, 1), 0);
	head = dev_pop(fd);
	dev_push(fd, head, 16);
	dev_push(fd, head, 16);		/* the same request again */
	expect_broken(t, fd, 3, 1);
	fake_destroy(t, fd);
}

static void used_len_beyond_writable_bytes_is_rejected(struct ktest *t)
{
	struct fake_dev *fd = three_in_flight(t, F_ALL);

	dev_push(fd, dev_pop(fd), 17);	/* 16 writable bytes */
	expect_broken(t, fd, 3, 1);
	fake_destroy(t, fd);
}

static void huge_used_len_is_rejected(struct ktest *t)
{
	struct fake_dev *fd = three_in_flight(t, F_PLAIN);

	dev_push(fd, dev_pop(fd), 0xffffffff);
	expect_broken(t, fd, 3, 1);
	fake_destroy(t, fd);
}

static void used_idx_jump_beyond_ring_size_is_rejected(struct ktest *t)
{
	struct fake_dev *fd = three_in_flight(t, F_ALL);
	struct vring *vr = virtqueue_get_vring(fd->vq);

	/* entries look valid, but the index claims num + 1 new ones */
	vr->used->ring[fd->used_idx & (FAKE_RING - 1)].id = dev_pop(fd);
	fd->used_idx += FAKE_RING + 1;
	WRITE_ONCE(vr->used->idx, fd->used_idx);
	vring_interrupt(fd->vq);
	expect_broken(t, fd, 3, 1);
	fake_destroy(t, fd);
}

static void broken_device_gets_no_callbacks(struct ktest *t)
{
	struct fake_dev *fd = three_in_flight(t, F_ALL);
	unsigned int cbs;

	dev_push(fd, 200, 0);
	cbs = fd->callbacks;
	dev_push(fd, 1, 0);		/* later interrupts are ignored */
	KTEST_EXPECT_EQ(t, fd->callbacks, cbs);
	expect_broken(t, fd, 3, 1);
	fake_destroy(t, fd);
}

/* ---- device config ---- */

static void config_read_retries_until_the_generation_settles(struct ktest *t)
{
	struct fake_dev *fd = fake_create(t, F_ALL);
	u64 v = 0;

	fd->gen_flips = 6;		/* three torn reads, then stable */
	KTEST_EXPECT_EQ(t, virtio_cread_bytes(&fd->vdev, 0, &v, sizeof(v)), 0);
	KTEST_EXPECT_EQ(t, v, 0x5a5a5a5a5a5a5a5aULL);
	KTEST_EXPECT_EQ(t, fd->gets, 4);
	KTEST_EXPECT_FALSE(t, virtio_device_is_broken(&fd->vdev));
	fake_destroy(t, fd);
}

static void config_generation_that_never_settles_breaks_the_device(struct ktest *t)
{
	struct fake_dev *fd = fake_create(t, F_ALL);
	u32 v;

	fd->gen_flips = ~0u;
	KTEST_EXPECT_EQ(t, virtio_cread_bytes(&fd->vdev, 0, &v, sizeof(v)), -EIO);
	KTEST_EXPECT_TRUE(t, virtio_device_is_broken(&fd->vdev));
	KTEST_EXPECT_TRUE(t, virtqueue_is_broken(fd->vq));
	KTEST_EXPECT_EQ(t, fd->resets, 1);
	KTEST_EXPECT_LE(t, fd->gets, 64);	/* bounded, no hang */
	fake_destroy(t, fd);
}

/* ---- the status handshake (register_virtio_device) ---- */

#define FAKE_DEVICE_ID	0xfffe	/* no real virtio device type */
static unsigned int fake_probes;

static int fake_driver_probe(struct virtio_device *vdev)
{
	fake_probes++;
	return 0;
}

static const unsigned int fake_driver_features[] = { 0, 5 };

static struct virtio_driver fake_driver = {
	.name = "fake",
	.device_id = FAKE_DEVICE_ID,
	.feature_table = fake_driver_features,
	.feature_table_size = ARRAY_SIZE(fake_driver_features),
	.probe = fake_driver_probe,
};

/* A fake device ready for register_virtio_device(), no queue. */
static struct fake_dev *fake_plain_device(struct ktest *t, u64 offered)
{
	static bool registered;
	struct fake_dev *fd = kzalloc(sizeof(*fd), GFP_KERNEL);

	KTEST_ASSERT_NOT_NULL(t, fd);
	if (!registered)
		register_virtio_driver(&fake_driver);
	registered = true;
	fd->vdev.config = &fake_ops;
	fd->vdev.id.device = FAKE_DEVICE_ID;
	fd->offered = offered;
	fake_probes = 0;
	return fd;
}

static void handshake_sets_status_in_order_and_takes_only_offered_features(struct ktest *t)
{
	static const u8 want[] = {
		0, VIRTIO_CONFIG_S_ACKNOWLEDGE,
		VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER,
		VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK,
		VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
			VIRTIO_CONFIG_S_DRIVER_OK,
	};
	/* offers feature 5 (the driver wants it), 7 (it does not), ring features */
	struct fake_dev *fd = fake_plain_device(t, F_ALL | 1ULL << 5 | 1ULL << 7);
	u64 wanted;

	KTEST_ASSERT_EQ(t, register_virtio_device(&fd->vdev), 0);
	KTEST_EXPECT_EQ(t, fake_probes, 1);
	KTEST_EXPECT_EQ(t, fd->nr_status, ARRAY_SIZE(want));
	for (unsigned int i = 0; i < ARRAY_SIZE(want) && i < fd->nr_status; i++)
		KTEST_EXPECT_EQ(t, fd->status_log[i], want[i]);
	wanted = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << 5;		/* not 0, not 7 */
	if (!cmdline_has("virtio.noindirect"))
		wanted |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (!cmdline_has("virtio.noeventidx"))
		wanted |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	KTEST_EXPECT_EQ(t, fd->vdev.features, wanted);
	unregister_virtio_device(&fd->vdev);
	kfree(fd);
}

static void device_without_version_1_is_refused_failed_and_reset(struct ktest *t)
{
	struct fake_dev *fd = fake_plain_device(t, 1ULL << VIRTIO_RING_F_INDIRECT_DESC);

	KTEST_EXPECT_EQ(t, register_virtio_device(&fd->vdev), -ENODEV);
	KTEST_EXPECT_EQ(t, fake_probes, 0);
	KTEST_ASSERT_TRUE(t, fd->nr_status >= 2);
	KTEST_EXPECT_TRUE(t, fd->status_log[fd->nr_status - 2] & VIRTIO_CONFIG_S_FAILED);
	KTEST_EXPECT_EQ(t, fd->status_log[fd->nr_status - 1], 0);	/* reset last */
	KTEST_EXPECT_EQ(t, fd->resets, 2);				/* first and last */
	kfree(fd);
}

static void device_refusing_features_ok_is_failed_and_reset(struct ktest *t)
{
	struct fake_dev *fd = fake_plain_device(t, F_ALL);

	fd->refuse_features = true;
	KTEST_EXPECT_EQ(t, register_virtio_device(&fd->vdev), -ENODEV);
	KTEST_EXPECT_EQ(t, fake_probes, 0);
	KTEST_EXPECT_EQ(t, fd->status, 0);
	KTEST_ASSERT_TRUE(t, fd->nr_status >= 2);
	KTEST_EXPECT_TRUE(t, fd->status_log[fd->nr_status - 2] & VIRTIO_CONFIG_S_FAILED);
	kfree(fd);
}

/* ---- a device that breaks during probe ---- */

#define FAKE_BREAK_ID 0xfffd /* the probe below reads config, then makes a queue */
static unsigned int break_probes, break_broken_calls;
static bool break_probe_ready; /* probe calls virtio_device_ready itself */

static void break_driver_broken(struct virtio_device *vdev)
{
	break_broken_calls++;
}

/* As virtio_blk's probe: read config (here it never settles: the core
 * breaks and resets the device), make the queue, set DRIVER_OK. */
static int break_driver_probe(struct virtio_device *vdev)
{
	struct virtqueue *vqs[1];
	vq_callback_t *cbs[1] = {fake_callback};
	const char *const names[1] = {"brk"};
	u32 v;
	int err;

	break_probes++;
	virtio_cread_bytes(vdev, 0, &v, sizeof(v));
	err = virtio_find_vqs(vdev, 1, vqs, cbs, names);
	if (err)
		return err;
	if (break_probe_ready)
		virtio_device_ready(vdev);
	return 0;
}

static struct virtio_driver break_driver = {
	.name = "fake-break",
	.device_id = FAKE_BREAK_ID,
	.probe = break_driver_probe,
	.broken = break_driver_broken,
};

/* A device whose config generation never settles, queue size @qsize. */
static struct fake_dev *breaking_device(struct ktest *t, u16 qsize)
{
	static bool registered;
	struct fake_dev *fd = kzalloc(sizeof(*fd), GFP_KERNEL);

	KTEST_ASSERT_NOT_NULL(t, fd);
	if (!registered)
		register_virtio_driver(&break_driver);
	registered = true;
	fd->vdev.config = &fake_ops;
	fd->vdev.id.device = FAKE_BREAK_ID;
	fd->offered = F_ALL;
	fd->gen_flips = ~0u;
	fd->qsize = qsize;
	break_probes = break_broken_calls = 0;
	return fd;
}

/* Was DRIVER_OK written after the last reset in the status log? */
static bool driver_ok_after_last_reset(const struct fake_dev *fd)
{
	bool ok = false;

	for (unsigned int i = 0; i < fd->nr_status; i++)
		ok = fd->status_log[i] ?
			     ok || (fd->status_log[i] & VIRTIO_CONFIG_S_DRIVER_OK) :
			     false;
	return ok;
}

/*
 * Issue 13 bug 11: the break during probe queued broken_work; the probe
 * then failed (queue size 0) and the transport freed the device with the
 * work still queued: a use-after-free in the worker. A failed probe must
 * leave no work behind and never call ->broken() of a driver that is not
 * bound.
 */
static void break_during_a_failed_probe_leaves_no_work_behind(struct ktest *t)
{
	struct fake_dev *fd = breaking_device(t, 0);
	bool pending;

	KTEST_EXPECT_EQ(t, register_virtio_device(&fd->vdev), -EINVAL);
	KTEST_EXPECT_EQ(t, break_probes, 1);
	KTEST_EXPECT_TRUE(t, virtio_device_is_broken(&fd->vdev));
	pending = work_pending(&fd->vdev.broken_work);
	flush_workqueue(system_wq); /* had it been queued, it runs now */
	KTEST_EXPECT_FALSE(t, pending);
	KTEST_EXPECT_EQ(t, break_broken_calls, 0);
	KTEST_EXPECT_NULL(t, fd->vdev.driver);
	KTEST_EXPECT_FALSE(t, driver_ok_after_last_reset(fd));
	KTEST_EXPECT_EQ(t, fd->status, 0); /* reset last */
	kfree(fd);
}

/*
 * The break comes before the queue exists: the queue must be born
 * broken (a later break would otherwise find the device already broken
 * and do nothing: a live queue on a reset device), DRIVER_OK must not be
 * written to the reset device (by the driver or by the core), and the
 * bound driver's ->broken() runs once, after its probe.
 */
static void
break_before_the_queues_exist_gives_broken_queues_and_no_driver_ok(struct ktest *t)
{
	for (int ready = 0; ready <= 1; ready++) {
		struct fake_dev *fd = breaking_device(t, FAKE_RING);
		int err;

		break_probe_ready = ready;
		err = register_virtio_device(&fd->vdev);
		flush_workqueue(system_wq);
		cprintf("# probe %s DRIVER_OK itself: register %d, %u ->broken() calls\n",
			ready ? "sets" : "leaves", err, break_broken_calls);
		KTEST_EXPECT_TRUE(t, virtio_device_is_broken(&fd->vdev));
		KTEST_ASSERT_NOT_NULL(t, fd->probe_vq);
		KTEST_EXPECT_TRUE(t, virtqueue_is_broken(fd->probe_vq));
		KTEST_EXPECT_EQ(t, fake_submit_vq(fd, fd->probe_vq), -EIO);
		KTEST_EXPECT_FALSE(t, driver_ok_after_last_reset(fd));
		KTEST_EXPECT_EQ(t, fd->status & VIRTIO_CONFIG_S_DRIVER_OK, 0);
		KTEST_EXPECT_EQ(t, err, 0);
		KTEST_EXPECT_EQ(t, break_broken_calls, 1);
		if (!err)
			unregister_virtio_device(&fd->vdev);
		fake_del_vqs(&fd->vdev);
		kfree(fd);
	}
	break_probe_ready = false;
}

/*
 * Review R-VIO4: virtio_device_ready() tested "broken" and then wrote
 * DRIVER_OK; a break on another CPU between the two reset the device, and
 * DRIVER_OK then reached a device that had not been through the
 * handshake. The window is widened here: the status read inside
 * virtio_device_ready() starts a break on another CPU and gives it up to
 * 50 ms to finish. The fix (vdev->status_lock around the test and the
 * write, and around the break's reset) makes that break wait, so its
 * reset comes after DRIVER_OK, never before.
 */
#define READY_RACE_NS 50000000ull
static struct task_struct *ready_race_breaker;
static int ready_race_done; /* atomic: the break returned */

static int ready_race_break_fn(void *data)
{
	virtio_break_device(data, "test: break racing DRIVER_OK");
	__atomic_store_n(&ready_race_done, 1, __ATOMIC_RELEASE);
	return 0;
}

static void ready_race_hook(struct fake_dev *fd)
{
	u64 start;

	if (!ready_race_breaker)
		return;
	wake_up_process(ready_race_breaker);
	ready_race_breaker = NULL;
	start = arch_clock_ns();
	while (!__atomic_load_n(&ready_race_done, __ATOMIC_ACQUIRE) &&
	       arch_clock_ns() - start < READY_RACE_NS)
		arch_cpu_relax();
}

static void break_racing_driver_ok_never_reaches_a_reset_device(struct ktest *t)
{
	unsigned int cpu = smp_processor_id(), other;
	struct task_struct *k;
	struct fake_dev *fd;

	if (num_online_cpus() < 2)
		ktest_skip(t, "needs 2 or more CPUs");
	other = cpu == 0 ? 1 : 0;
	fd = breaking_device(t, FAKE_RING);
	fd->gen_flips = 0; /* the probe itself does not break it */
	KTEST_ASSERT_EQ(t, register_virtio_device(&fd->vdev), 0);
	KTEST_EXPECT_FALSE(t, virtio_device_is_broken(&fd->vdev));
	/* Back to a device before DRIVER_OK, as a probe sees it. */
	fd->status &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	fd->nr_status = 0;
	ready_race_done = 0;
	k = kthread_create(ready_race_break_fn, &fd->vdev, "vio4-break");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	kthread_bind(k, other);
	preempt_disable();
	ready_race_breaker = k;
	fake_get_status_hook = ready_race_hook;
	virtio_device_ready(&fd->vdev);
	fake_get_status_hook = NULL;
	preempt_enable();
	kthread_stop(k); /* it has returned, or returns after its break */
	KTEST_EXPECT_TRUE(t, __atomic_load_n(&ready_race_done, __ATOMIC_ACQUIRE));
	flush_workqueue(system_wq);
	KTEST_EXPECT_TRUE(t, virtio_device_is_broken(&fd->vdev));
	KTEST_EXPECT_FALSE(t, driver_ok_after_last_reset(fd));
	KTEST_EXPECT_EQ(t, fd->status, 0);
	unregister_virtio_device(&fd->vdev);
	fake_del_vqs(&fd->vdev);
	kfree(fd);
}

/* ---- a break racing unregister ---- */

#define FAKE_RACE_ID	  0xfffc
/*
 * 4000 rounds; 1000 in a `test --quick` run (make test's time: with 4
 * vCPUs on a loaded 2-core host a round's cross-CPU hand-offs cost up to
 * 14 ms, 56 s for the case). The bug this case was written for showed 8
 * times in 4000 rounds (deterministic seed 2) and 3 times in 1000 (seed 1).
 */
#define RACE_ROUNDS	  4000
#define RACE_ROUNDS_QUICK 1000
static struct virtio_device *race_vdev;
static struct completion race_go, race_done;

static int race_driver_probe(struct virtio_device *vdev)
{
	return 0;
}

static void race_driver_broken(struct virtio_device *vdev)
{
}

/* Reset from two CPUs at once (the break's and unregister's): atomic,
 * as a device serialises its register writes. */
static void race_reset(struct virtio_device *v)
{
	struct fake_dev *fd = container_of(v, struct fake_dev, vdev);

	__atomic_add_fetch(&fd->resets, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&fd->status, 0, __ATOMIC_RELAXED);
}

static struct virtio_driver race_driver = {
	.name = "fake-race",
	.device_id = FAKE_RACE_ID,
	.probe = race_driver_probe,
	.broken = race_driver_broken,
};

/* The "timeout handler": breaks race_vdev when told to. */
static int race_breaker(void *unused)
{
	while (!kthread_should_stop()) {
		if (!wait_for_completion_timeout(&race_go, msecs_to_jiffies(50)))
			continue;
		virtio_break_device(race_vdev, "ktest: break racing unregister");
		complete(&race_done);
	}
	return 0;
}

/*
 * V3: once unregister_virtio_device() has returned, broken_work is idle
 * and stays so: the caller frees the device next. A break on another CPU
 * that read vdev->driver before unregister cleared it, and queued the
 * work after unregister's cancel_work_sync(), left the work queued on
 * memory about to be freed (found with --deterministic; the seed of the
 * run picks the interleavings).
 */
static void break_racing_unregister_leaves_no_work_queued(struct ktest *t)
{
	static bool registered;
	static struct virtio_config_ops race_ops;
	struct task_struct *breaker;
	unsigned int queued = 0, broke = 0;
	unsigned int rounds = ktest_quick() ? RACE_ROUNDS_QUICK : RACE_ROUNDS;

	if (!registered)
		register_virtio_driver(&race_driver);
	registered = true;
	race_ops = fake_ops;
	race_ops.reset = race_reset;
	init_completion(&race_go);
	init_completion(&race_done);
	breaker = kthread_create(race_breaker, NULL, "vbreak");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, breaker);
	kthread_bind(breaker, (smp_processor_id() + 1) % num_online_cpus());
	wake_up_process(breaker);
	for (unsigned int i = 0; i < rounds; i++) {
		struct fake_dev *fd = kzalloc(sizeof(*fd), GFP_KERNEL);
		bool pending;

		KTEST_ASSERT_NOT_NULL(t, fd);
		fd->vdev.config = &race_ops;
		fd->vdev.id.device = FAKE_RACE_ID;
		fd->offered = F_PLAIN;
		KTEST_ASSERT_EQ(t, register_virtio_device(&fd->vdev), 0);
		race_vdev = &fd->vdev;
		complete(&race_go);
		unregister_virtio_device(&fd->vdev);
		wait_for_completion(&race_done);
		pending = work_pending(&fd->vdev.broken_work);
		queued += pending;
		broke += virtio_device_is_broken(&fd->vdev);
		flush_workqueue(system_wq); /* so the test itself frees safely */
		kfree(fd);
	}
	kthread_stop(breaker);
	cprintf("# %u rounds, %u broken, %u left broken_work queued after unregister\n",
		rounds, broke, queued);
	KTEST_EXPECT_EQ(t, broke, rounds);
	KTEST_EXPECT_EQ(t, queued, 0);
}

/* ---- random honest traffic ---- */

static u64 rnd(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random submissions and out-of-order completions with random lengths
 * within bounds: every request completes once, nothing breaks. */
static void random_honest_traffic_completes_everything_once(struct ktest *t)
{
	u64 seed = ktest_seed() | 1;
	struct fake_dev *fd;
	int held[FAKE_RING];
	unsigned int nheld = 0, next = 0;

	cprintf("# random ring traffic: seed %llu\n", (unsigned long long)ktest_seed());
	fd = fake_create(t, rnd(&seed) & 1 ? F_ALL : F_PLAIN);
	for (unsigned int step = 0; step < 2000; step++) {
		int h;

		if (next < FAKE_REQS && rnd(&seed) % 2 &&
		    !fake_submit(fd, next, 1 + rnd(&seed) % 3))
			next++;
		while (nheld < FAKE_RING && (h = dev_pop(fd)) >= 0)
			held[nheld++] = h;
		if (nheld && rnd(&seed) % 2) {
			unsigned int k = rnd(&seed) % nheld;

			dev_push(fd, held[k], rnd(&seed) % 17);
			held[k] = held[--nheld];
		}
		if (next == FAKE_REQS && !nheld && fd->vq->num_free == FAKE_RING)
			break;
	}
	KTEST_EXPECT_FALSE(t, virtqueue_is_broken(fd->vq));
	for (unsigned int i = 0; i < next; i++)
		KTEST_EXPECT_EQ(t, fd->reqs[i].completions, 1);
	KTEST_EXPECT_EQ(t, next, FAKE_REQS);
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING);
	fake_destroy(t, fd);
}

/* ---- direct and indirect heads in one ring (review of direct_max) ---- */

/*
 * Submit request @i as a chain of @total 8-byte buffers (one out, the
 * rest in); returns add_sgs' error. The chain may be as long as the ring.
 */
static int fake_submit_chain(struct fake_dev *fd, unsigned int i, unsigned int total)
{
	struct scatterlist sg[FAKE_RING + 1];
	int err;

	for (unsigned int n = 0; n < total; n++)
		sg_init_one(&sg[n], &fd->buf[i][8 * (n % 8)], 8);
	err = virtqueue_add_sgs(fd->vq, sg, 1, total - 1, &fd->reqs[i], GFP_KERNEL);
	if (virtqueue_check(fd->vq)) /* after each step */
		fd->bad_checks++;
	return err;
}

/*
 * The sysctl refuses what it cannot hold (2^31, 65, -1) and keeps its
 * value; 0 and 64, its bounds, are taken.
 */
static void direct_max_sysctl_refuses_out_of_range_values(struct ktest *t)
{
	static const char *const bad[] = {"2147483648", "4294967299", "65", "-1", "x"};
	long old = set_direct_max(t, 5), now = -1;

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		KTEST_EXPECT_NE(t, sysctl_set("dev.virtio.direct_max", bad[i]), 0);
		KTEST_EXPECT_EQ(t, sysctl_get("dev.virtio.direct_max", &now), 0);
		KTEST_EXPECT_EQ(t, now, 5);
	}
	set_direct_max(t, 64);
	set_direct_max(t, 0);
	set_direct_max(t, old);
}

/*
 * Chains at the edges: with direct_max above the ring, a chain of exactly
 * the ring size goes direct and takes every descriptor; a second request
 * then has no room (-ENOSPC, even for an indirect table, nothing leaked);
 * once one descriptor is held, a ring-size chain no longer fits and goes
 * indirect; one longer than the ring always goes indirect. direct_max and
 * direct_max + 1 buffers go direct and indirect.
 */
static void chains_of_ring_size_and_direct_max_edges(struct ktest *t)
{
	struct fake_dev *fd = fake_create(t, F_ALL);
	struct vring *vr = virtqueue_get_vring(fd->vq);
	long direct_max = set_direct_max(t, 64);
	int h;

	KTEST_ASSERT_EQ(t, fake_submit_chain(fd, 0, FAKE_RING), 0);
	KTEST_EXPECT_EQ(t, fd->vq->num_free, 0);
	KTEST_EXPECT_EQ(t, fake_submit_chain(fd, 1, 2), -ENOSPC);
	KTEST_EXPECT_EQ(t, fd->vq->num_free, 0);
	h = dev_pop(fd);
	KTEST_ASSERT_TRUE(t, h >= 0);
	KTEST_EXPECT_FALSE(t, vr->desc[h].flags & VRING_DESC_F_INDIRECT);
	dev_push(fd, h, 8 * (FAKE_RING - 1));
	KTEST_EXPECT_EQ(t, fd->reqs[0].len, 8 * (FAKE_RING - 1));
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING);

	KTEST_ASSERT_EQ(t, fake_submit(fd, 1, 1), 0); /* 2 direct */
	KTEST_ASSERT_EQ(t, fake_submit_chain(fd, 2, FAKE_RING), 0);
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING - 3);
	KTEST_ASSERT_EQ(t, fake_submit_chain(fd, 3, FAKE_RING + 1), 0);
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING - 4);
	set_direct_max(t, 3);
	KTEST_ASSERT_EQ(t, fake_submit_chain(fd, 4, 3), 0); /* direct_max: direct */
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING - 7);
	KTEST_ASSERT_EQ(t, fake_submit_chain(fd, 5, 4), 0); /* direct_max + 1 */
	KTEST_EXPECT_EQ(t, fd->vq->num_free, 0);
	for (unsigned int i = 1; i <= 5; i++) {
		static const bool indirect[6] = {false, false, true, true, false, true};

		h = dev_pop(fd);
		KTEST_ASSERT_TRUE(t, h >= 0);
		KTEST_EXPECT_EQ(t, !!(vr->desc[h].flags & VRING_DESC_F_INDIRECT),
				indirect[i]);
		dev_push(fd, h, 8);
		KTEST_EXPECT_EQ(t, fd->reqs[i].completions, 1);
	}
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING);
	KTEST_EXPECT_FALSE(t, virtqueue_is_broken(fd->vq));
	set_direct_max(t, direct_max);
	fake_destroy(t, fd);
}

/*
 * A device that completes the second descriptor of a direct chain (its
 * `next`, not the head): VQU2 refuses it (it heads nothing in flight),
 * the device breaks, every request is completed once, the free list is
 * whole. The same for a used len beyond the direct chain's writable
 * buffers, and beyond an indirect head's (the older F_ALL cases now send
 * 2-buffer chains direct, so this is where VQU3 meets an indirect table).
 */
static void non_head_id_of_a_direct_chain_is_rejected(struct ktest *t)
{
	for (unsigned int c = 0; c < 3; c++) {
		struct fake_dev *fd = fake_create(t, F_ALL);
		struct vring *vr = virtqueue_get_vring(fd->vq);
		long direct_max = set_direct_max(t, 3);
		int h;

		KTEST_ASSERT_EQ(t, fake_submit(fd, 0, 1), 0); /* 2 direct */
		KTEST_ASSERT_EQ(t, fake_submit(fd, 1, 2), 0); /* 3 direct */
		KTEST_ASSERT_EQ(t, fake_submit(fd, 2, 3), 0); /* 4: indirect */
		KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING - 6);
		dev_pop(fd);
		h = dev_pop(fd);
		KTEST_ASSERT_TRUE(t, h >= 0);
		KTEST_ASSERT_TRUE(t, vr->desc[h].flags & VRING_DESC_F_NEXT);
		if (c == 0) {
			dev_push(fd, vr->desc[h].next, 0);
		} else if (c == 1) {
			dev_push(fd, h, 2 * 16 + 1); /* 32 writable bytes */
		} else { /* the indirect head: 48 writable bytes in its table */
			h = dev_pop(fd);
			KTEST_ASSERT_TRUE(t, h >= 0);
			KTEST_ASSERT_TRUE(t, vr->desc[h].flags & VRING_DESC_F_INDIRECT);
			dev_push(fd, h, 3 * 16 + 1);
		}
		set_direct_max(t, direct_max);
		expect_broken(t, fd, 3, 0);
		fake_destroy(t, fd);
	}
}

/* The address of the first buffer of the chain headed by @h. */
static u64 first_buf(struct vring *vr, int h)
{
	const struct vring_desc *d = &vr->desc[h];

	if (d->flags & VRING_DESC_F_INDIRECT)
		return ((const struct vring_desc *)__va(d->addr))[0].addr;
	return d->addr;
}

/*
 * Seeded random traffic with direct_max changed between every step (0, 1,
 * 2, 3, 4, the ring size, 64) and chains of 2..ring size buffers: direct
 * and indirect heads are in flight together and detached in any order;
 * each head is indirect exactly when the rule in force at its submission
 * said so; the ring checker holds after every step; every request
 * completes once with its len; nothing leaks.
 */
static void direct_and_indirect_heads_mix_while_direct_max_changes(struct ktest *t)
{
	static const unsigned int maxes[] = {0, 1, 2, 3, 4, FAKE_RING, 64};
	u64 seed = ktest_seed() * 2 + 0x5eed;
	struct fake_dev *fd = fake_create(t, F_ALL);
	struct vring *vr = virtqueue_get_vring(fd->vq);
	long direct_max = set_direct_max(t, 3);
	bool want_indirect[FAKE_REQS] = {0};
	unsigned int total[FAKE_REQS] = {0};
	int held[FAKE_RING], req_of[FAKE_RING];
	unsigned int nheld = 0, next = 0, seen_direct = 0, seen_indirect = 0;

	cprintf("# direct/indirect mix: seed %llu\n", (unsigned long long)ktest_seed());
	for (unsigned int i = 0; i < FAKE_RING; i++)
		req_of[i] = -1;
	for (unsigned int step = 0; step < 4000 && !t->failed; step++) {
		unsigned int dm = maxes[rnd(&seed) % ARRAY_SIZE(maxes)];
		int h;

		set_direct_max(t, dm);
		if (next < FAKE_REQS && rnd(&seed) % 2) {
			unsigned int n = 2 + rnd(&seed) % (FAKE_RING - 1);
			unsigned int free = fd->vq->num_free;
			int err;

			err = fake_submit_chain(fd, next, n);
			KTEST_EXPECT_EQ(t, err, free ? 0 : -ENOSPC);
			if (!err) {
				want_indirect[next] = n > dm || free < n;
				total[next] = n;
				KTEST_EXPECT_EQ(t, fd->vq->num_free,
						free - (want_indirect[next] ? 1 : n));
				next++;
			}
		}
		while (nheld < FAKE_RING && (h = dev_pop(fd)) >= 0) {
			KTEST_ASSERT_TRUE(t, h < FAKE_RING);
			/* which request: the one whose token the head holds */
			req_of[h] = -1;
			for (unsigned int r = 0; r < next; r++)
				if (!fd->reqs[r].completions &&
				    first_buf(vr, h) == __pa(fd->buf[r]))
					req_of[h] = r;
			KTEST_ASSERT_TRUE(t, req_of[h] >= 0);
			KTEST_EXPECT_EQ(t, !!(vr->desc[h].flags & VRING_DESC_F_INDIRECT),
					want_indirect[req_of[h]]);
			if (vr->desc[h].flags & VRING_DESC_F_INDIRECT)
				seen_indirect++;
			else
				seen_direct++;
			held[nheld++] = h;
		}
		if (nheld && rnd(&seed) % 2) {
			unsigned int k = rnd(&seed) % nheld;
			int r = req_of[held[k]];

			dev_push(fd, held[k], 8 * (total[r] - 1));
			KTEST_EXPECT_EQ(t, fd->reqs[r].completions, 1);
			KTEST_EXPECT_EQ(t, fd->reqs[r].len, 8 * (total[r] - 1));
			held[k] = held[--nheld];
		}
		KTEST_EXPECT_EQ(t, virtqueue_check(fd->vq), 0);
		if (next == FAKE_REQS && !nheld && fd->vq->num_free == FAKE_RING)
			break;
	}
	cprintf("# %u direct and %u indirect heads\n", seen_direct, seen_indirect);
	KTEST_EXPECT_GT(t, seen_direct, 0);
	KTEST_EXPECT_GT(t, seen_indirect, 0);
	KTEST_EXPECT_FALSE(t, virtqueue_is_broken(fd->vq));
	KTEST_EXPECT_EQ(t, next, FAKE_REQS);
	for (unsigned int i = 0; i < next; i++)
		KTEST_EXPECT_EQ(t, fd->reqs[i].completions, 1);
	KTEST_EXPECT_EQ(t, fd->vq->num_free, FAKE_RING);
	set_direct_max(t, direct_max);
	fake_destroy(t, fd);
}

static const struct ktest_case virtio_cases[] = {
	KTEST_CASE(ring_checker_catches_a_miscounted_free_list),
	KTEST_CASE(ring_completes_each_request_once_with_its_len),
	KTEST_CASE(short_chains_go_direct_up_to_direct_max),
	KTEST_CASE(direct_max_sysctl_refuses_out_of_range_values),
	KTEST_CASE(chains_of_ring_size_and_direct_max_edges),
	KTEST_CASE(non_head_id_of_a_direct_chain_is_rejected),
	KTEST_CASE(direct_and_indirect_heads_mix_while_direct_max_changes),
	KTEST_CASE(direct_chains_take_one_descriptor_per_buffer_and_fill_up),
	KTEST_CASE(chain_longer_than_the_ring_is_refused_without_indirect),
	KTEST_CASE(event_idx_suppresses_kicks_the_device_did_not_ask_for),
	KTEST_CASE(no_notify_flag_suppresses_kicks_without_event_idx),
	KTEST_CASE(used_id_out_of_range_breaks_device_and_fails_waiters),
	KTEST_CASE(used_id_not_in_flight_is_rejected),
	KTEST_CASE(used_id_not_in_flight_with_len_0_is_rejected),
	KTEST_CASE(used_id_completed_twice_with_len_0_is_rejected),
	KTEST_CASE(repeated_used_id_is_rejected),
	KTEST_CASE(used_len_beyond_writable_bytes_is_rejected),
	KTEST_CASE(huge_used_len_is_rejected),
	KTEST_CASE(used_idx_jump_beyond_ring_size_is_rejected),
	KTEST_CASE(broken_device_gets_no_callbacks),
	KTEST_CASE(config_read_retries_until_the_generation_settles),
	KTEST_CASE(config_generation_that_never_settles_breaks_the_device),
	KTEST_CASE(handshake_sets_status_in_order_and_takes_only_offered_features),
	KTEST_CASE(device_without_version_1_is_refused_failed_and_reset),
	KTEST_CASE(device_refusing_features_ok_is_failed_and_reset),
	KTEST_CASE(break_during_a_failed_probe_leaves_no_work_behind),
	KTEST_CASE(break_before_the_queues_exist_gives_broken_queues_and_no_driver_ok),
	KTEST_CASE(break_racing_driver_ok_never_reaches_a_reset_device),
	KTEST_CASE(break_racing_unregister_leaves_no_work_queued),
	KTEST_CASE(random_honest_traffic_completes_everything_once),
	KTEST_END,
};

static const struct ktest_suite virtio_suite = {
	.name = "virtio",
	.cases = virtio_cases,
};
KTEST_SUITE(virtio_suite);
