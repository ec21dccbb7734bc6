/*
 * include/quire/virtio.h - virtio devices, drivers, and virtqueues
 * (Linux's include/linux/virtio.h and virtio_config.h, in miniature).
 *
 * Layer: drivers/virtio. Used by: virtio_pci_modern.c (a transport),
 * virtio_blk.c (a driver), the ring tests (a fake transport).
 * Ring layouts, feature bits and status bits come from the Linux UAPI
 * headers (<linux/virtio_ring.h>, <linux/virtio_config.h>); nothing of
 * theirs is redefined here.
 *
 * A transport finds a device, fills a struct virtio_device (id, config
 * ops) and calls register_virtio_device(): the core runs the status
 * handshake (virtio 1.2 section 3.1.1), negotiates features and calls
 * the driver's probe. The driver asks the transport for virtqueues
 * (virtio_find_vqs()), sets DRIVER_OK (virtio_device_ready()) and then
 * submits buffers with virtqueue_add_sgs() + virtqueue_kick(); the
 * device's interrupt runs vring_interrupt() -> the queue's callback,
 * which collects finished buffers with virtqueue_get_buf().
 *
 * The device is not trusted: virtqueue_get_buf() checks every used
 * entry (docs/virtio.md, "Trust model"); on a violation the device is
 * broken (virtio_break_device(): every queue refuses new buffers and
 * returns no more used ones, the device is reset) and the driver gets
 * its buffers back with virtqueue_detach_unused_buf() to fail them.
 *
 * Locking: a virtqueue is not thread safe; its driver serialises every
 * call on one queue (virtio_blk: a spinlock per queue, irqsave). The
 * broken flag is atomic and may be read without the lock.
 */
#ifndef QUIRE_VIRTIO_H
#define QUIRE_VIRTIO_H

#include <quire/compiler.h>
#include <quire/list.h>
#include <quire/gfp.h>
#include <quire/workqueue.h>
#include <quire/spinlock.h>
#include <quire/mm.h>
#include <arch/memory.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

struct virtio_device;
struct virtqueue;

/* One buffer of a request as the device sees it: a physical range
 * (Linux: struct scatterlist after DMA mapping; Quire has no IOMMU). */
struct scatterlist {
	phys_addr_t dma_address;
	u32 length;
};

static inline void sg_init_one(struct scatterlist *sg, const void *buf, u32 len)
{
	sg->dma_address = __pa(buf);
	sg->length = len;
}

static inline void sg_set_page(struct scatterlist *sg, struct page *page, u32 len,
			       u32 offset)
{
	sg->dma_address = page_to_phys(page) + offset;
	sg->length = len;
}

typedef void vq_callback_t(struct virtqueue *vq);

struct virtqueue {
	struct list_head list;		/* on vdev->vqs */
	vq_callback_t *callback;	/* buffers were used; hard interrupt */
	const char *name;
	struct virtio_device *vdev;
	unsigned int index;		/* queue number on the device */
	unsigned int num_free;		/* free descriptors */
	unsigned int num_max;		/* ring size */
	void *priv;			/* the transport's */
};

struct virtio_config_ops {
	/* Copy @len bytes of device config at @offset (no generation
	 * check: use virtio_cread_bytes()). */
	void (*get)(struct virtio_device *vdev, unsigned int offset, void *buf,
		    unsigned int len);
	void (*set)(struct virtio_device *vdev, unsigned int offset, const void *buf,
		    unsigned int len);
	u32 (*generation)(struct virtio_device *vdev);
	u8 (*get_status)(struct virtio_device *vdev);
	void (*set_status)(struct virtio_device *vdev, u8 status);
	/* Reset and wait until the device says it is done. Context: any. */
	void (*reset)(struct virtio_device *vdev);
	u64 (*get_features)(struct virtio_device *vdev);
	/* Write vdev->features to the device. 0 or -errno. */
	int (*finalize_features)(struct virtio_device *vdev);
	/* Create @nvqs queues, each with its own interrupt. Context: process. */
	int (*find_vqs)(struct virtio_device *vdev, unsigned int nvqs,
			struct virtqueue *vqs[], vq_callback_t *callbacks[],
			const char *const names[]);
	void (*del_vqs)(struct virtio_device *vdev);
};

struct virtio_device_id {
	u32 device;			/* VIRTIO_ID_* */
	u32 vendor;
};

struct virtio_driver;

struct virtio_device {
	int index;			/* virtio0, virtio1, ... */
	char name[16];
	struct virtio_device_id id;
	const struct virtio_config_ops *config;
	struct list_head vqs;
	struct list_head node;		/* on the core's device list */
	u64 device_features;		/* what the device offered */
	u64 features;			/* what was negotiated */
	int broken;			/* atomic; set once, by virtio_break_device */
	spinlock_t status_lock;		/* DRIVER_OK vs a break's reset (VIO4) */
	char broken_reason[96];		/* why, once broken */
	struct work_struct broken_work;	/* runs driver->broken() */
	struct virtio_driver *driver;	/* bound driver: set after its probe
					 * succeeded (atomic; virtio.c VIO2) */
	void *priv;			/* the driver's */
	const char *transport;		/* "pci 0000:00:02.0" etc. for display */
};

struct virtio_driver {
	const char *name;
	u32 device_id;			/* VIRTIO_ID_* it drives */
	const unsigned int *feature_table;	/* feature bits it understands */
	unsigned int feature_table_size;
	int (*probe)(struct virtio_device *vdev);
	void (*remove)(struct virtio_device *vdev);
	/* The device was broken and reset: take back and fail every request
	 * it held. Context: process (a work item). Runs only while the
	 * driver is bound (after probe returned 0, before ->remove()); a
	 * break racing with the end of probe may run it twice, so it must
	 * be idempotent. */
	void (*broken)(struct virtio_device *vdev);
	/* The device's config changed. Context: hard interrupt. */
	void (*config_changed)(struct virtio_device *vdev);
	struct list_head node;
};

static inline bool virtio_has_feature(const struct virtio_device *vdev, unsigned int fbit)
{
	return fbit < 64 && (vdev->features & (1ULL << fbit));
}

/* Register a driver before transports probe (subsys_initcall). */
int register_virtio_driver(struct virtio_driver *drv);
/* Handshake, negotiate, bind. 0 or -errno (status FAILED, device reset).
 * Context: process, may sleep. */
int register_virtio_device(struct virtio_device *vdev);
void unregister_virtio_device(struct virtio_device *vdev);
/* Set DRIVER_OK: the driver may use its queues from now on. Nothing is
 * written to a broken device (it was reset). */
void virtio_device_ready(struct virtio_device *vdev);
/* The device's config changed (transport's config interrupt). */
void virtio_config_changed(struct virtio_device *vdev);
/*
 * Stop trusting @vdev: every queue becomes broken (no buffer added, no
 * used entry returned), the device is reset so it stops touching our
 * memory, and @reason is logged once; then the driver's ->broken() runs
 * from a work item (system_wq) to fail what the device held. Context: any; the
 * caller may hold a queue lock.
 */
void virtio_break_device(struct virtio_device *vdev, const char *reason);
static inline bool virtio_device_is_broken(const struct virtio_device *vdev)
{
	return __atomic_load_n(&vdev->broken, __ATOMIC_ACQUIRE);
}

int virtio_find_vqs(struct virtio_device *vdev, unsigned int nvqs, struct virtqueue *vqs[],
		    vq_callback_t *callbacks[], const char *const names[]);

/*
 * Read @len bytes of device config at @offset, retrying while the
 * device's config generation changes (virtio 1.2 section 2.5.1 / 4.1.4.3.1).
 * 0, or -EIO when it never settles (device marked broken).
 */
int virtio_cread_bytes(struct virtio_device *vdev, unsigned int offset, void *buf,
		       unsigned int len);

/* ---- virtqueues (drivers/virtio/virtio_ring.c) ---- */

#define VIRTQUEUE_MAX_SIZE	256	/* Quire caps every ring here */

/*
 * A split virtqueue of @num entries (a power of two) in new zeroed
 * memory; @notify rings the device's doorbell (false: it could not).
 * NULL on -ENOMEM or a bad @num. Context: process.
 */
struct virtqueue *vring_create_virtqueue(unsigned int index, unsigned int num,
					 struct virtio_device *vdev,
					 bool (*notify)(struct virtqueue *vq),
					 vq_callback_t *callback, const char *name);
void vring_del_virtqueue(struct virtqueue *vq);

/*
 * Expose @out device-readable then @in device-writable buffers of @sg as
 * one request tagged @data (non-NULL), returned later by get_buf. 0,
 * -ENOSPC (ring full: retry after a completion), -EIO (broken) or
 * -EINVAL (no data, or a direct chain longer than the ring).
 */
int virtqueue_add_sgs(struct virtqueue *vq, const struct scatterlist *sg,
		      unsigned int out, unsigned int in, void *data, gfp_t gfp);
/* Does the device want a notification for what was added? Under the
 * queue's lock; then virtqueue_notify() (may be outside it). */
bool virtqueue_kick_prepare(struct virtqueue *vq);
bool virtqueue_notify(struct virtqueue *vq);
bool virtqueue_kick(struct virtqueue *vq);
/* Next finished request's @data and bytes written to it (*@len), or
 * NULL: none, or the device broke a rule (then it is broken). */
void *virtqueue_get_buf(struct virtqueue *vq, unsigned int *len);
void virtqueue_disable_cb(struct virtqueue *vq);
/* Re-arm the callback; false when buffers are already waiting. */
bool virtqueue_enable_cb(struct virtqueue *vq);
/* A request the device still holds, taken back (after a reset). */
void *virtqueue_detach_unused_buf(struct virtqueue *vq);
bool virtqueue_is_broken(const struct virtqueue *vq);
unsigned int virtqueue_get_vring_size(const struct virtqueue *vq);
unsigned int virtqueue_inflight(const struct virtqueue *vq);
phys_addr_t virtqueue_get_desc_addr(const struct virtqueue *vq);
phys_addr_t virtqueue_get_avail_addr(const struct virtqueue *vq);
phys_addr_t virtqueue_get_used_addr(const struct virtqueue *vq);
/* The shared ring itself (Linux: virtqueue_get_vring); for tests that
 * play the device. */
struct vring *virtqueue_get_vring(struct virtqueue *vq);
/* Kicks, interrupts and rule violations seen, for the `virtio` command. */
void virtqueue_stats(const struct virtqueue *vq, u64 *kicks, u64 *irqs, u64 *spurious);
/* Doorbell decisions (virtqueue_kick_prepare calls) so far: a plugged
 * batch makes one per queue, however many requests it holds; EVENT_IDX
 * then turns some of them into no kick at all. */
u64 virtqueue_kick_checks(const struct virtqueue *vq);
/* Check @vq's private bookkeeping (VQ1-VQ3 of virtio_ring.c; indices in
 * bounds): 0, or -EUCLEAN with one log line naming the broken invariant.
 * Reads only the driver's own state, never the shared rings. Context: as
 * any call on @vq (its lock held). */
int virtqueue_check(const struct virtqueue *vq);
/* Mark @vq broken (virtio_break_device does it for all of a device's). */
void __virtqueue_break(struct virtqueue *vq);

/* The queue's interrupt: calls vq->callback when the device used
 * buffers. Context: hard interrupt. Usable as an irq_handler_t. */
void vring_interrupt(void *vq);

/* Shell helper: print every virtio device (drivers/virtio/virtio.c). */
int virtio_for_each_device(int (*fn)(struct virtio_device *vdev, void *arg), void *arg);

#endif
