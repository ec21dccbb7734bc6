/*
 * drivers/virtio/virtio.c - the virtio core: driver registry, the device
 * status handshake, feature negotiation, config reads, breaking a device,
 * and the `virtio` shell command.
 *
 * Layer: drivers/virtio. Provides: register_virtio_driver(),
 * register_virtio_device(), virtio_device_ready(), virtio_break_device(),
 * virtio_cread_bytes(), virtio_find_vqs(), virtio_config_changed().
 *
 * Status handshake (virtio 1.2 section 3.1.1), in register_virtio_device():
 *
 *   RESET -> ACKNOWLEDGE -> DRIVER -> (write features) -> FEATURES_OK
 *     -> re-read: still FEATURES_OK? -> driver probe (queues) -> DRIVER_OK
 *   any failure: FAILED, then reset (the device forgets everything).
 *
 * VIRTIO_F_VERSION_1 is required: a device that does not offer it is a
 * legacy device, and it is refused with a message, not half driven.
 * Offered features are accepted only when the driver lists them or they
 * are ring features Quire implements (INDIRECT_DESC, EVENT_IDX) or
 * VERSION_1/ACCESS_PLATFORM (DMA addresses are physical addresses here).
 * Test knobs on the kernel command line: virtio.noindirect and
 * virtio.noeventidx refuse the ring features.
 *
 * Invariants:
 *   VIO1 every queue of a broken device is broken: virtio_break_device()
 *      breaks those on vdev->vqs, and vring_create_virtqueue() makes a
 *      queue of an already broken device broken at birth.
 *   VIO2 vdev->driver is set only once the driver's probe has returned 0,
 *      so a break during probe queues no broken_work: a failed probe
 *      leaves nothing behind that would run on the freed device. After a
 *      successful probe the core queues ->broken() itself if the device
 *      broke meanwhile.
 *   VIO3 broken_work is idle once unregister_virtio_device() clears
 *      vdev->driver (cancel_work_sync), before ->remove() runs, and is
 *      never queued again: a break reads vdev->driver and queues the
 *      work under virtio_bind_lock, which unregister takes to clear it,
 *      so a break that saw the driver has queued its work before the
 *      cancel.
 *   VIO4 DRIVER_OK is never written to a broken (so reset) device.
 *
 * Locking: virtio_lock (mutex) guards the driver and device lists; they
 * only change in process context. vdev->status_lock (spin, irqsave; may
 * nest inside a queue lock) makes virtio_device_ready()'s test of broken
 * and its DRIVER_OK write one step against a break's reset (VIO4).
 * vdev->broken is atomic;
 * virtio_break_device() (callers may hold a queue lock, in any context)
 * takes only virtio_bind_lock (spinlock, irqsave, innermost: nothing but
 * schedule_work() under it), around "is a driver bound? then queue
 * broken_work", and hands the driver's clean-up to that work item.
 * Binding and unbinding (vdev->driver) happen under it too (V2, V3).
 */
#include <quire/virtio.h>
#include <quire/kernel.h>
#include <quire/mutex.h>
#include <quire/spinlock.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/shell.h>
#include <quire/atomic.h>

#define CONFIG_GEN_RETRIES	64

static LIST_HEAD(virtio_drivers);
static LIST_HEAD(virtio_devices);
static DEFINE_MUTEX(virtio_lock);	/* guards both lists */
static DEFINE_SPINLOCK(virtio_bind_lock); /* vdev->driver vs broken_work (V3) */
static int virtio_next_index;

int register_virtio_driver(struct virtio_driver *drv)
{
	mutex_lock(&virtio_lock);
	list_add_tail(&drv->node, &virtio_drivers);
	mutex_unlock(&virtio_lock);
	return 0;
}

static struct virtio_driver *find_driver(u32 device_id)
{
	struct virtio_driver *drv;

	list_for_each_entry(drv, &virtio_drivers, node)
		if (drv->device_id == device_id)
			return drv;
	return NULL;
}

static void add_status(struct virtio_device *vdev, u8 bits)
{
	vdev->config->set_status(vdev, vdev->config->get_status(vdev) | bits);
}

/* Mark FAILED so the device knows, then reset it (3.1.1 step 8). */
static void virtio_fail(struct virtio_device *vdev)
{
	add_status(vdev, VIRTIO_CONFIG_S_FAILED);
	vdev->config->reset(vdev);
}

/* A broken device was reset: DRIVER_OK would tell a device that never
 * went through the handshake to start, so it is not written. The test and
 * the write are one step under status_lock, which a break's reset also
 * takes (VIO4): a break either comes first and is seen, or resets after. */
void virtio_device_ready(struct virtio_device *vdev)
{
	unsigned long flags;

	spin_lock_irqsave(&vdev->status_lock, flags);
	if (!virtio_device_is_broken(vdev))
		add_status(vdev, VIRTIO_CONFIG_S_DRIVER_OK);
	spin_unlock_irqrestore(&vdev->status_lock, flags);
}

static u64 driver_features(struct virtio_device *vdev, const struct virtio_driver *drv)
{
	u64 want = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM;

	for (unsigned int i = 0; i < drv->feature_table_size; i++)
		if (drv->feature_table[i] < 64)
			want |= 1ULL << drv->feature_table[i];
	if (!cmdline_has("virtio.noindirect"))
		want |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (!cmdline_has("virtio.noeventidx"))
		want |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	return vdev->device_features & want;
}

/* ACKNOWLEDGE .. FEATURES_OK. 0 or -errno; the caller fails the device. */
static int virtio_negotiate(struct virtio_device *vdev, struct virtio_driver *drv)
{
	add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
	vdev->device_features = vdev->config->get_features(vdev);
	if (!(vdev->device_features & (1ULL << VIRTIO_F_VERSION_1))) {
		pr_err("%s: device offers no VIRTIO_F_VERSION_1: legacy virtio is not supported\n",
		       vdev->name);
		return -ENODEV;
	}
	vdev->features = driver_features(vdev, drv);
	if (vdev->config->finalize_features(vdev))
		return -EIO;
	add_status(vdev, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		pr_err("%s: device refused our features 0x%llx\n", vdev->name,
		       (unsigned long long)vdev->features);
		return -ENODEV;
	}
	return 0;
}

/* driver->broken() for a device broken in interrupt context or under a
 * queue lock, where the driver cannot take its queue locks. */
static void virtio_broken_work(struct work_struct *work)
{
	struct virtio_device *vdev = container_of(work, struct virtio_device, broken_work);
	struct virtio_driver *drv = __atomic_load_n(&vdev->driver, __ATOMIC_ACQUIRE);

	if (drv && drv->broken)
		drv->broken(vdev);
}

int register_virtio_device(struct virtio_device *vdev)
{
	struct virtio_driver *drv;
	unsigned long flags;
	int err;

	INIT_LIST_HEAD(&vdev->vqs);
	INIT_WORK(&vdev->broken_work, virtio_broken_work);
	spin_lock_init(&vdev->status_lock);
	mutex_lock(&virtio_lock);
	vdev->index = virtio_next_index++;
	scnprintf(vdev->name, sizeof(vdev->name), "virtio%d", vdev->index);
	list_add_tail(&vdev->node, &virtio_devices);
	drv = find_driver(vdev->id.device);
	mutex_unlock(&virtio_lock);
	vdev->config->reset(vdev);
	add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	if (!drv) {
		pr_info("%s: no driver for virtio device type %u\n", vdev->name, vdev->id.device);
		return 0;
	}
	err = virtio_negotiate(vdev, drv);
	if (!err)
		err = drv->probe(vdev); /* VIO2: vdev->driver still NULL */
	if (err) {
		virtio_fail(vdev);
		pr_err("%s: binding %s failed (%d): device set FAILED and reset\n", vdev->name,
		       drv->name, err);
		mutex_lock(&virtio_lock);
		list_del(&vdev->node);
		mutex_unlock(&virtio_lock);
		return err;
	}
	if (!(vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_DRIVER_OK))
		virtio_device_ready(vdev);
	/*
	 * Bind. A break from now on schedules ->broken(); one that came
	 * during probe scheduled nothing (VIO2), so do it here. A break sets
	 * vdev->broken before it takes virtio_bind_lock: if its locked part
	 * comes first it saw no driver and we see it broken, else it sees
	 * the driver and queues the work itself.
	 */
	spin_lock_irqsave(&virtio_bind_lock, flags);
	__atomic_store_n(&vdev->driver, drv, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&vdev->broken, __ATOMIC_SEQ_CST) && drv->broken)
		schedule_work(&vdev->broken_work);
	spin_unlock_irqrestore(&virtio_bind_lock, flags);
	return 0;
}

void unregister_virtio_device(struct virtio_device *vdev)
{
	struct virtio_driver *drv = vdev->driver;
	unsigned long flags;

	/* VIO3: no ->broken() may run during or after ->remove(), nor be
	 * queued: a break that saw the driver has queued it by now */
	spin_lock_irqsave(&virtio_bind_lock, flags);
	__atomic_store_n(&vdev->driver, NULL, __ATOMIC_SEQ_CST);
	spin_unlock_irqrestore(&virtio_bind_lock, flags);
	cancel_work_sync(&vdev->broken_work);
	if (drv && drv->remove)
		drv->remove(vdev);
	vdev->config->reset(vdev);
	mutex_lock(&virtio_lock);
	list_del(&vdev->node);
	mutex_unlock(&virtio_lock);
}

int virtio_find_vqs(struct virtio_device *vdev, unsigned int nvqs, struct virtqueue *vqs[],
		    vq_callback_t *callbacks[], const char *const names[])
{
	return vdev->config->find_vqs(vdev, nvqs, vqs, callbacks, names);
}

void virtio_break_device(struct virtio_device *vdev, const char *reason)
{
	struct virtio_driver *drv;
	struct virtqueue *vq;
	unsigned long flags;

	/* SEQ_CST: ordered before the loads of vdev->vqs and vdev->driver
	 * below (VIO1, VIO2) */
	if (__atomic_exchange_n(&vdev->broken, 1, __ATOMIC_SEQ_CST))
		return;		/* already broken: one report, one reset */
	list_for_each_entry(vq, &vdev->vqs, list)
		__virtqueue_break(vq);
	strscpy_len(vdev->broken_reason, reason ? reason : "?", sizeof(vdev->broken_reason));
	pr_err("%s: device broke the virtio rules (%s): reset; its requests fail with -EIO\n",
	       vdev->name, reason ? reason : "?");
	spin_lock_irqsave(&vdev->status_lock, flags); /* VIO4 */
	vdev->config->reset(vdev);
	spin_unlock_irqrestore(&vdev->status_lock, flags);
	spin_lock_irqsave(&virtio_bind_lock, flags); /* V3 */
	drv = __atomic_load_n(&vdev->driver, __ATOMIC_SEQ_CST);
	if (drv && drv->broken)
		schedule_work(&vdev->broken_work);
	spin_unlock_irqrestore(&virtio_bind_lock, flags);
}

void virtio_config_changed(struct virtio_device *vdev)
{
	if (virtio_device_is_broken(vdev))
		return;
	if (vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET) {
		virtio_break_device(vdev, "device set DEVICE_NEEDS_RESET");
		return;
	}
	if (vdev->driver && vdev->driver->config_changed)
		vdev->driver->config_changed(vdev);
}

int virtio_cread_bytes(struct virtio_device *vdev, unsigned int offset, void *buf,
		       unsigned int len)
{
	for (int i = 0; i < CONFIG_GEN_RETRIES; i++) {
		u32 gen = vdev->config->generation(vdev);

		vdev->config->get(vdev, offset, buf, len);
		if (vdev->config->generation(vdev) == gen)
			return 0;
	}
	virtio_break_device(vdev, "config generation never settles");
	return -EIO;
}

int virtio_for_each_device(int (*fn)(struct virtio_device *vdev, void *arg), void *arg)
{
	struct virtio_device *vdev;
	int ret = 0;

	mutex_lock(&virtio_lock);
	list_for_each_entry(vdev, &virtio_devices, node) {
		ret = fn(vdev, arg);
		if (ret)
			break;
	}
	mutex_unlock(&virtio_lock);
	return ret;
}

/* ---- the `virtio` command ---- */

static int show_vdev(struct virtio_device *vdev, void *arg)
{
	struct virtqueue *vq;
	u8 status = vdev->config->get_status(vdev);

	cprintf("%s type %u %s status 0x%02x%s driver %s\n", vdev->name, vdev->id.device,
		vdev->transport ? vdev->transport : "-", status,
		virtio_device_is_broken(vdev) ? " BROKEN" : "",
		vdev->driver ? vdev->driver->name : "-");
	cprintf("  features offered 0x%016llx negotiated 0x%016llx\n",
		(unsigned long long)vdev->device_features, (unsigned long long)vdev->features);
	list_for_each_entry(vq, &vdev->vqs, list) {
		u64 kicks, irqs, spurious;

		virtqueue_stats(vq, &kicks, &irqs, &spurious);
		cprintf("  vq %u %-8s size %u free %u kicks %llu/%llu irqs %llu spurious %llu%s\n",
			vq->index, vq->name, virtqueue_get_vring_size(vq), vq->num_free,
			(unsigned long long)kicks,
			(unsigned long long)virtqueue_kick_checks(vq), (unsigned long long)irqs,
			(unsigned long long)spurious, virtqueue_is_broken(vq) ? " broken" : "");
	}
	return 0;
}

static int cmd_virtio(int argc, char **argv)
{
	if (argc != 1) {
		shell_error(argv[0], "usage: virtio");
		return -EINVAL;
	}
	virtio_for_each_device(show_vdev, NULL);
	return 0;
}
SHELL_COMMAND(virtio, "virtio", "virtio",
	      "virtio devices: status, features, queues (kicks, interrupts)", cmd_virtio);
