/*
 * drivers/virtio/virtio_ring.c - split virtqueues (virtio 1.2 section 2.7)
 * with indirect descriptors and event-index notification suppression,
 * driving a device that is not trusted.
 *
 * Layer: drivers/virtio. Provides: vring_create_virtqueue(),
 * virtqueue_add_sgs(), virtqueue_kick*(), virtqueue_get_buf(),
 * virtqueue_{enable,disable}_cb(), virtqueue_detach_unused_buf(),
 * vring_interrupt(), virtqueue_stats(), virtqueue_kick_checks(). Used by: transports (create), drivers (the rest).
 *
 * Memory: one zeroed page allocation holds the descriptor table, the
 * available ring (+ used_event) and, page aligned, the used ring
 * (+ avail_event): the legacy layout of vring_init(), which 1.x devices
 * accept at any address. Indirect tables are kmalloc'd per request, for
 * chains longer than dev.virtio.direct_max buffers (below).
 *
 * Trust: the device may write anything into the used ring. Nothing the
 * driver relies on is read back from shared memory: the free list and
 * each request's chain live in private arrays (desc_next[], state[]).
 * Every used entry is checked before it is believed:
 *   VQU1 used->idx moves at most `num` past the last index we consumed;
 *   VQU2 the id is < num and heads a request that is in flight now (so a
 *      repeated id is refused: it was detached the first time);
 *   VQU3 len <= the device-writable bytes of that request.
 * A violation breaks the device (virtio_break_device(): logged, reset,
 * every queue refuses work) and get_buf returns NULL from then on; the
 * driver takes its requests back with virtqueue_detach_unused_buf().
 *
 * Invariants (checked by virtqueue_check(), after each step of the virtio
 * tests):
 *   VQ1 num_free + sum of state[h].ndescs over in-flight heads == num.
 *   VQ2 state[h].data != NULL iff h heads a request the device holds.
 *   VQ3 free_head starts a desc_next[] chain of exactly num_free entries.
 *
 * Barriers (2.7.13, 2.7.7): descriptors and the avail ring entry are
 * written before avail->idx (virtio_wmb); avail->idx is written before we
 * read the device's notification suppression (virtio_mb), and used->idx
 * is read before the used entries it covers (virtio_rmb). On x86 the
 * rings are ordinary write-back memory, so wmb/rmb are compiler barriers
 * and mb is a full fence.
 *
 * Locking: none inside; callers serialise each queue (include/quire/virtio.h).
 */
#include <quire/virtio.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/atomic.h>
#include <quire/bug.h>
#include <quire/platform.h>
#include <quire/sysctl.h>

#define virtio_mb()	smp_mb()
#define virtio_rmb()	smp_rmb()
#define virtio_wmb()	smp_wmb()

struct vring_desc_state {
	void *data;			/* VQ2: the request's token */
	struct vring_desc *indir_desc;	/* its indirect table, or NULL */
	u16 ndescs;			/* ring descriptors it holds */
	u32 in_len;			/* device-writable bytes (VQU3) */
};

struct vring_virtqueue {
	struct virtqueue vq;
	struct vring vring;		/* shared with the device */
	unsigned int order;		/* of the ring's page allocation */
	bool indirect;			/* VIRTIO_RING_F_INDIRECT_DESC */
	bool event;			/* VIRTIO_RING_F_EVENT_IDX */
	int broken;			/* atomic */
	bool cb_disabled;		/* driver asked for no callbacks */
	u16 free_head;			/* VQ3 */
	u16 avail_idx_shadow;		/* our copy of avail->idx */
	u16 avail_flags_shadow;
	u16 num_added;			/* since the last kick_prepare */
	u16 last_used_idx;		/* next used entry to consume */
	bool (*notify)(struct virtqueue *vq);
	u64 kicks, irqs, spurious;
	u64 kick_checks;		/* virtqueue_kick_prepare calls */
	u16 *desc_next;			/* private chain links (never trust ring) */
	struct vring_desc_state *state;	/* per head */
};

#define to_vvq(_vq) container_of(_vq, struct vring_virtqueue, vq)

static bool vq_broken(const struct vring_virtqueue *vq)
{
	return __atomic_load_n(&vq->broken, __ATOMIC_ACQUIRE);
}

void __virtqueue_break(struct virtqueue *_vq)
{
	__atomic_store_n(&to_vvq(_vq)->broken, 1, __ATOMIC_RELEASE);
}

bool virtqueue_is_broken(const struct virtqueue *_vq)
{
	return vq_broken(to_vvq((struct virtqueue *)_vq));
}

/* The device broke a rule: stop believing it. */
static void vq_bad(struct vring_virtqueue *vq, const char *what)
{
	char msg[96];

	scnprintf(msg, sizeof(msg), "queue %s: %s", vq->vq.name, what);
	__virtqueue_break(&vq->vq);
	virtio_break_device(vq->vq.vdev, msg);
}

/* ---- creation ---- */

static void vring_init_free_list(struct vring_virtqueue *vq)
{
	unsigned int num = vq->vring.num;

	for (unsigned int i = 0; i < num - 1; i++)
		vq->desc_next[i] = i + 1;
	vq->desc_next[num - 1] = 0;
	vq->free_head = 0;
	vq->vq.num_free = num;
}

struct virtqueue *vring_create_virtqueue(unsigned int index, unsigned int num,
					 struct virtio_device *vdev,
					 bool (*notify)(struct virtqueue *vq),
					 vq_callback_t *callback, const char *name)
{
	struct vring_virtqueue *vq;
	struct page *pages;

	if (!num || (num & (num - 1)) || num > VIRTQUEUE_MAX_SIZE)
		return NULL;
	vq = kzalloc(sizeof(*vq), GFP_KERNEL);
	if (!vq)
		return NULL;
	vq->order = get_order(vring_size(num, PAGE_SIZE));
	pages = alloc_pages(NUMA_NO_NODE, vq->order, GFP_KERNEL | __GFP_ZERO);
	vq->desc_next = kcalloc(num, sizeof(*vq->desc_next), GFP_KERNEL);
	vq->state = kcalloc(num, sizeof(*vq->state), GFP_KERNEL);
	if (!pages || !vq->desc_next || !vq->state)
		goto out_free;
	vring_init(&vq->vring, num, page_address(pages), PAGE_SIZE);
	vq->vq.callback = callback;
	vq->vq.name = name;
	vq->vq.vdev = vdev;
	vq->vq.index = index;
	vq->vq.num_max = num;
	vq->notify = notify;
	vq->indirect = virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC);
	vq->event = virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX);
	vring_init_free_list(vq);
	list_add_tail(&vq->vq.list, &vdev->vqs);
	/* VIO1 (virtio.c): a break that ran before the list_add did not see
	 * this queue; the full barrier pairs with its SEQ_CST exchange */
	virtio_mb();
	if (virtio_device_is_broken(vdev))
		__virtqueue_break(&vq->vq);
	return &vq->vq;
out_free:
	if (pages)
		__free_pages(pages, vq->order);
	kfree(vq->desc_next);
	kfree(vq->state);
	kfree(vq);
	return NULL;
}

void vring_del_virtqueue(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);

	list_del(&_vq->list);
	for (unsigned int i = 0; i < vq->vring.num; i++)
		kfree(vq->state[i].indir_desc);
	__free_pages(virt_to_page(vq->vring.desc), vq->order);
	kfree(vq->desc_next);
	kfree(vq->state);
	kfree(vq);
}

/* ---- adding buffers ---- */

static void fill_desc(struct vring_desc *d, const struct scatterlist *sg, bool write)
{
	d->addr = sg->dma_address;
	d->len = sg->length;
	d->flags = write ? VRING_DESC_F_WRITE : 0;
}

/*
 * Chains of up to this many buffers go straight into ring descriptors even
 * when indirect tables are negotiated (sysctl dev.virtio.direct_max,
 * default 3: a virtio-blk request with one data buffer, between its header
 * and status byte; 0: every multi-buffer chain is indirect, as Linux's
 * virtqueue_use_indirect(), whose comment says "FIXME: tune this
 * threshold"). A direct chain costs no kmalloc()/kfree() here and no
 * mapping of a table in the device; it holds more ring descriptors, so a
 * chain that does not fit in the free ones goes indirect anyway and the
 * queue depth (one descriptor per request) still holds. See
 * docs/virtio.md, Performance.
 */
static unsigned int vring_direct_max = 3;
SYSCTL_ENTRY(vring_direct_max, .procname = "dev.virtio.direct_max",
	     .data = &vring_direct_max, .type = SYSCTL_UINT, .min = 0, .max = 64);

static bool vring_use_indirect(const struct vring_virtqueue *vq, unsigned int total)
{
	return vq->indirect && total > 1 &&
	       (total > READ_ONCE(vring_direct_max) || vq->vq.num_free < total);
}

/* An indirect table for @total buffers, or NULL (then go direct). */
static struct vring_desc *alloc_indirect(const struct scatterlist *sg, unsigned int out,
					 unsigned int total, gfp_t gfp)
{
	struct vring_desc *t = kmalloc(total * sizeof(*t), gfp | __GFP_NOWARN);

	if (!t)
		return NULL;
	for (unsigned int i = 0; i < total; i++) {
		fill_desc(&t[i], &sg[i], i >= out);
		if (i + 1 < total) {
			t[i].flags |= VRING_DESC_F_NEXT;
			t[i].next = i + 1;
		}
	}
	return t;
}

/* Put the chain for @sg in ring descriptors from the free list. */
static u16 add_direct(struct vring_virtqueue *vq, const struct scatterlist *sg,
		      unsigned int out, unsigned int total)
{
	u16 head = vq->free_head, i = head, prev = head;

	for (unsigned int n = 0; n < total; n++) {
		struct vring_desc *d = &vq->vring.desc[i];

		fill_desc(d, &sg[n], n >= out);
		if (n + 1 < total) {
			d->flags |= VRING_DESC_F_NEXT;
			d->next = vq->desc_next[i];
		}
		prev = i;
		i = vq->desc_next[i];
	}
	vq->free_head = vq->desc_next[prev];
	vq->vq.num_free -= total;
	return head;
}

static void publish_avail(struct vring_virtqueue *vq, u16 head)
{
	vq->vring.avail->ring[vq->avail_idx_shadow & (vq->vring.num - 1)] = head;
	virtio_wmb();		/* descriptors and entry before the index */
	vq->avail_idx_shadow++;
	WRITE_ONCE(vq->vring.avail->idx, vq->avail_idx_shadow);
	vq->num_added++;
}

int virtqueue_add_sgs(struct virtqueue *_vq, const struct scatterlist *sg,
		      unsigned int out, unsigned int in, void *data, gfp_t gfp)
{
	struct vring_virtqueue *vq = to_vvq(_vq);
	unsigned int total = out + in;
	struct vring_desc *indir = NULL;
	u32 in_len = 0;
	u16 head;

	if (vq_broken(vq))
		return -EIO;
	if (!data || !total || total > 0xffff)
		return -EINVAL;
	for (unsigned int i = out; i < total; i++)
		in_len += sg[i].length;
	if (vring_use_indirect(vq, total))
		indir = alloc_indirect(sg, out, total, gfp);
	if (!indir && total > vq->vring.num)
		return -EINVAL;		/* 2.7.5.3.1: no chain longer than the ring */
	if (vq->vq.num_free < (indir ? 1 : total)) {
		kfree(indir);
		return -ENOSPC;
	}
	if (indir) {
		struct scatterlist table = { __pa(indir), total * sizeof(*indir) };

		head = add_direct(vq, &table, 1, 1);
		vq->vring.desc[head].flags = VRING_DESC_F_INDIRECT;
	} else {
		head = add_direct(vq, sg, out, total);
	}
	vq->state[head] = (struct vring_desc_state){
		.data = data, .indir_desc = indir,
		.ndescs = indir ? 1 : total, .in_len = in_len,
	};
	publish_avail(vq, head);
	if (vq->num_added == 0xffff)	/* the event window must not wrap */
		virtqueue_kick(_vq);
	return 0;
}

/* ---- notifications ---- */

bool virtqueue_kick_prepare(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);
	u16 new = vq->avail_idx_shadow, old = new - vq->num_added;
	bool kick;

	vq->kick_checks++;
	virtio_mb();		/* avail->idx visible before we read the device's wish */
	if (vq->event)
		kick = vring_need_event(READ_ONCE(vring_avail_event(&vq->vring)), new, old);
	else
		kick = !(READ_ONCE(vq->vring.used->flags) & VRING_USED_F_NO_NOTIFY);
	vq->num_added = 0;
	return kick && !vq_broken(vq);
}

bool virtqueue_notify(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);

	if (vq_broken(vq))
		return false;
	vq->kicks++;
	if (!vq->notify(_vq)) {
		__virtqueue_break(_vq);
		return false;
	}
	return true;
}

/* false when the queue is broken (Linux's contract). */
bool virtqueue_kick(struct virtqueue *vq)
{
	if (virtqueue_kick_prepare(vq))
		return virtqueue_notify(vq);
	return !virtqueue_is_broken(vq);
}

/* ---- used buffers ---- */

/*
 * vring_interrupt() asks this on the interrupt's CPU, without the lock
 * the driver holds while virtqueue_get_buf() advances last_used_idx on
 * another: both sides go through READ_ONCE/WRITE_ONCE. A stale answer is
 * harmless (the consumer is taking those entries anyway); a torn or
 * compiler-cached one is not C (TSan saw the plain pair in
 * virtio_net_fake's device-thread case, 2 runs in 6, session 24).
 */
static bool more_used(const struct vring_virtqueue *vq)
{
	return READ_ONCE(vq->last_used_idx) != READ_ONCE(vq->vring.used->idx);
}

/* Free @head's chain onto the free list (private links only). */
static void *detach_buf(struct vring_virtqueue *vq, u16 head)
{
	struct vring_desc_state *st = &vq->state[head];
	void *data = st->data;
	u16 i = head;

	for (unsigned int n = 1; n < st->ndescs; n++)
		i = vq->desc_next[i];
	vq->desc_next[i] = vq->free_head;
	vq->free_head = head;
	vq->vq.num_free += st->ndescs;
	kfree(st->indir_desc);
	*st = (struct vring_desc_state){ 0 };
	return data;
}

/* VQU1..VQU3 for the used entry at last_used_idx; false breaks the device. */
static bool used_entry_ok(struct vring_virtqueue *vq, u16 used_idx, u32 *id, u32 *len)
{
	struct vring_used_elem *e;
	char why[80];

	if ((u16)(used_idx - vq->last_used_idx) > vq->vring.num) {
		scnprintf(why, sizeof(why), "used index jumped from %u to %u (ring of %u)",
			  vq->last_used_idx, used_idx, vq->vring.num);
		goto bad;
	}
	e = &vq->vring.used->ring[vq->last_used_idx & (vq->vring.num - 1)];
	*id = READ_ONCE(e->id);
	*len = READ_ONCE(e->len);
	if (*id >= vq->vring.num) {
		scnprintf(why, sizeof(why), "used id %u out of range (ring of %u)", *id,
			  vq->vring.num);
		goto bad;
	}
	if (!vq->state[*id].data) {
		scnprintf(why, sizeof(why), "used id %u is not in flight", *id);
		goto bad;
	}
	if (*len > vq->state[*id].in_len) {
		scnprintf(why, sizeof(why), "used len %u > %u writable bytes of id %u", *len,
			  vq->state[*id].in_len, *id);
		goto bad;
	}
	return true;
bad:
	vq_bad(vq, why);
	return false;
}

void *virtqueue_get_buf(struct virtqueue *_vq, unsigned int *len)
{
	struct vring_virtqueue *vq = to_vvq(_vq);
	u16 used_idx;
	u32 id, l;

	if (vq_broken(vq))
		return NULL;
	used_idx = READ_ONCE(vq->vring.used->idx);
	if (used_idx == vq->last_used_idx)
		return NULL;
	virtio_rmb();		/* the index before the entries it covers */
	if (!used_entry_ok(vq, used_idx, &id, &l))
		return NULL;
	WRITE_ONCE(vq->last_used_idx, vq->last_used_idx + 1); /* more_used() */
	if (vq->event && !vq->cb_disabled)
		WRITE_ONCE(vring_used_event(&vq->vring), vq->last_used_idx);
	if (len)
		*len = l;
	return detach_buf(vq, id);
}

void virtqueue_disable_cb(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);

	vq->cb_disabled = true;
	if (!vq->event) {
		vq->avail_flags_shadow |= VRING_AVAIL_F_NO_INTERRUPT;
		WRITE_ONCE(vq->vring.avail->flags, vq->avail_flags_shadow);
	}
}

bool virtqueue_enable_cb(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);

	vq->cb_disabled = false;
	if (vq->event) {
		WRITE_ONCE(vring_used_event(&vq->vring), vq->last_used_idx);
	} else {
		vq->avail_flags_shadow &= ~VRING_AVAIL_F_NO_INTERRUPT;
		WRITE_ONCE(vq->vring.avail->flags, vq->avail_flags_shadow);
	}
	virtio_mb();		/* the arm before re-checking used->idx */
	return !more_used(vq) || vq_broken(vq);
}

void *virtqueue_detach_unused_buf(struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq(_vq);

	for (unsigned int i = 0; i < vq->vring.num; i++)
		if (vq->state[i].data)
			return detach_buf(vq, i);
	return NULL;
}

void vring_interrupt(void *data)
{
	struct vring_virtqueue *vq = to_vvq((struct virtqueue *)data);

	vq->irqs++;
	if (vq_broken(vq))
		return;
	if (!more_used(vq)) {
		vq->spurious++;
		return;
	}
	if (vq->vq.callback)
		vq->vq.callback(&vq->vq);
}

/* ---- accessors ---- */

unsigned int virtqueue_get_vring_size(const struct virtqueue *vq)
{
	return to_vvq((struct virtqueue *)vq)->vring.num;
}

unsigned int virtqueue_inflight(const struct virtqueue *_vq)
{
	struct vring_virtqueue *vq = to_vvq((struct virtqueue *)_vq);
	unsigned int n = 0;

	for (unsigned int i = 0; i < vq->vring.num; i++)
		n += vq->state[i].data != NULL;
	return n;
}

phys_addr_t virtqueue_get_desc_addr(const struct virtqueue *vq)
{
	return __pa(to_vvq((struct virtqueue *)vq)->vring.desc);
}

phys_addr_t virtqueue_get_avail_addr(const struct virtqueue *vq)
{
	return __pa(to_vvq((struct virtqueue *)vq)->vring.avail);
}

phys_addr_t virtqueue_get_used_addr(const struct virtqueue *vq)
{
	return __pa(to_vvq((struct virtqueue *)vq)->vring.used);
}

struct vring *virtqueue_get_vring(struct virtqueue *vq)
{
	return &to_vvq(vq)->vring;
}

void virtqueue_stats(const struct virtqueue *_vq, u64 *kicks, u64 *irqs, u64 *spurious)
{
	struct vring_virtqueue *vq = to_vvq((struct virtqueue *)_vq);

	*kicks = vq->kicks;
	*irqs = vq->irqs;
	*spurious = vq->spurious;
}

u64 virtqueue_kick_checks(const struct virtqueue *vq)
{
	return to_vvq((struct virtqueue *)vq)->kick_checks;
}

/* ---- checks ---- */

#define VQ_FREE 1
#define VQ_HELD 2

static int vq_check_fail(const struct vring_virtqueue *vq, const char *inv,
			 const char *what, unsigned int a, unsigned int b)
{
	pr_err("virtio: queue %s: %s broken: %s (%u, %u)\n", vq->vq.name, inv, what, a,
	       b);
	return -EUCLEAN;
}

int virtqueue_check(const struct virtqueue *_vq)
{
	const struct vring_virtqueue *vq = to_vvq((struct virtqueue *)_vq);
	unsigned int num = vq->vring.num, held = 0;
	u8 seen[VIRTQUEUE_MAX_SIZE] = {0};
	u16 i = vq->free_head;

	if (!num || num > VIRTQUEUE_MAX_SIZE || vq->vq.num_free > num)
		return vq_check_fail(vq, "VQ1", "num_free beyond the ring size",
				     vq->vq.num_free, num);
	/* VQ3: the free list, exactly num_free distinct entries */
	for (unsigned int n = 0; n < vq->vq.num_free; n++) {
		if (i >= num || seen[i])
			return vq_check_fail(
				vq, "VQ3", "free list leaves the ring or loops at entry",
				n, i);
		seen[i] = VQ_FREE;
		i = vq->desc_next[i];
	}
	/* VQ2: each in-flight head's chain, no descriptor both free and held */
	for (unsigned int h = 0; h < num; h++) {
		const struct vring_desc_state *st = &vq->state[h];

		if (!st->data) {
			if (st->ndescs || st->indir_desc)
				return vq_check_fail(vq, "VQ2",
						     "idle head holds descriptors", h,
						     st->ndescs);
			continue;
		}
		if (!st->ndescs || st->ndescs > num)
			return vq_check_fail(vq, "VQ2",
					     "in-flight head with a bad descriptor count",
					     h, st->ndescs);
		i = h;
		for (unsigned int n = 0; n < st->ndescs; n++) {
			if (i >= num || seen[i])
				return vq_check_fail(
					vq, "VQ2",
					"descriptor both free and in flight, or in two chains",
					h, i);
			seen[i] = VQ_HELD;
			i = vq->desc_next[i];
		}
		held += st->ndescs;
	}
	if (vq->vq.num_free + held != num)
		return vq_check_fail(vq, "VQ1",
				     "num_free + held descriptors != ring size",
				     vq->vq.num_free + held, num);
	if ((u16)(vq->avail_idx_shadow - vq->last_used_idx) > num)
		return vq_check_fail(vq, "VQ1",
				     "avail/used indices further apart than the ring",
				     vq->avail_idx_shadow, vq->last_used_idx);
	return 0;
}
