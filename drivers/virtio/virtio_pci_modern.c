/*
 * drivers/virtio/virtio_pci_modern.c - the virtio 1.x PCI transport
 * (virtio 1.2 section 4.1).
 *
 * Layer: drivers/virtio (a PCI driver). Provides: probing of virtio PCI
 * functions (vendor 0x1af4, device 0x1000-0x107f) into virtio devices.
 *
 * A modern device describes its register blocks with vendor-specific
 * capabilities (4.1.4): common config, notify, ISR and device config,
 * each a (BAR, offset, length). The first capability of each type is
 * used (4.1.4.1: "the driver SHOULD use the first"); each region is
 * checked to lie inside an assigned memory BAR, with a minimum length
 * (common: the whole struct; notify: a 16-bit doorbell; device: as the
 * driver reads it through bounded get/set). A transitional device id
 * (0x1000-0x103f) without these capabilities is legacy-only: refused.
 *
 * Interrupts: MSI-X only; entry 0 is the config-change vector, entry
 * 1 + i belongs to queue i and is aimed at CPU i % nr_cpus (blk-mq maps
 * CPU c to queue c % nr_queues, so a queue's completions land on the
 * CPU that submits to it). A vector the device does not accept reads
 * back as VIRTIO_MSI_NO_VECTOR (4.1.5.1.2) and fails the probe.
 *
 * 64-bit common-config fields are written as two 32-bit halves (4.1.3.1).
 *
 * Locking: the common config's queue_select is only used during probe
 * (process context, one device at a time under pci_lock). Doorbell
 * writes need no lock.
 */
#include <quire/virtio.h>
#include <quire/pci.h>
#include <quire/platform.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/init.h>
#include <arch/time.h>
#include <arch/io.h>
#include <linux/virtio_pci.h>

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_RESET_TIMEOUT_NS	(1000ull * 1000 * 1000)

struct vp_region {
	void *va;
	u32 len;
};

struct virtio_pci_vq {
	struct virtqueue *vq;
	void *notify;			/* this queue's doorbell */
};

struct virtio_pci_device {
	struct virtio_device vdev;
	struct pci_dev *pci;
	char pci_name[24];
	struct virtio_pci_common_cfg *common;
	struct vp_region isr, device, notify;
	u32 notify_off_multiplier;
	unsigned int nvqs;
	struct virtio_pci_vq *vqs;
};

#define to_vp(v) container_of(v, struct virtio_pci_device, vdev)
#define CFG(vp, field) (&(vp)->common->field)

/* ---- capabilities ---- */

struct vp_cap {
	u8 pos;				/* config offset, 0: absent */
	u8 bar;
	u32 offset, length;
};

static int vp_map_cap(struct virtio_pci_device *vp, const struct vp_cap *c,
		      u32 min_len, struct vp_region *r, const char *what)
{
	struct pci_bar *bar;
	u8 *base;

	if (!c->pos) {
		r->va = NULL;
		r->len = 0;
		return 0;
	}
	bar = c->bar < PCI_STD_NUM_BARS ? &vp->pci->bar[c->bar] : NULL;
	if (!bar || (bar->flags & PCI_BAR_IO) || !bar->size ||
	    (u64)c->offset + c->length > bar->size || c->length < min_len) {
		pr_err("virtio-pci %s: %s capability (BAR %u, 0x%x+0x%x) outside its BAR or too short\n",
		       vp->pci_name, what, c->bar, c->offset, c->length);
		return -EINVAL;
	}
	base = pci_iomap(vp->pci, c->bar);
	if (!base)
		return -ENOMEM;
	r->va = base + c->offset;
	r->len = c->length;
	return 0;
}

/*
 * The first vendor capability of each cfg_type we use (4.1.4). One
 * budget of PCI_FIND_CAP_TTL list entries for the whole walk: each call
 * returns at a vendor capability, so a per-call bound would let a list
 * that loops through vendor capabilities (0x40 -> 0x50 -> 0x40, or one
 * pointing at itself) spin for ever, at boot, under pci_lock.
 */
static void vp_find_caps(struct virtio_pci_device *vp, struct vp_cap caps[5])
{
	int ttl = PCI_FIND_CAP_TTL;
	u16 status;
	u8 pos = 0;

	memset(caps, 0, 5 * sizeof(*caps));
	pci_read_config_word(vp->pci, PCI_STATUS, &status);
	if (status & PCI_STATUS_CAP_LIST)
		pos = __pci_find_next_cap_ttl(vp->pci, PCI_CAPABILITY_LIST,
					      PCI_CAP_ID_VNDR, &ttl);
	for (; pos; pos = __pci_find_next_cap_ttl(vp->pci, pos + PCI_CAP_LIST_NEXT,
						  PCI_CAP_ID_VNDR, &ttl)) {
		u8 type, len, bar;
		u32 off, length;

		pci_read_config_byte(vp->pci, pos + VIRTIO_PCI_CAP_LEN, &len);
		pci_read_config_byte(vp->pci, pos + VIRTIO_PCI_CAP_CFG_TYPE, &type);
		pci_read_config_byte(vp->pci, pos + VIRTIO_PCI_CAP_BAR, &bar);
		pci_read_config_dword(vp->pci, pos + VIRTIO_PCI_CAP_OFFSET, &off);
		pci_read_config_dword(vp->pci, pos + VIRTIO_PCI_CAP_LENGTH, &length);
		/* 4.1.4.1: ignore unknown types and reserved BAR numbers */
		if (len < sizeof(struct virtio_pci_cap) || type < VIRTIO_PCI_CAP_COMMON_CFG ||
		    type > VIRTIO_PCI_CAP_DEVICE_CFG || bar >= PCI_STD_NUM_BARS ||
		    caps[type].pos)
			continue;
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && len < sizeof(struct virtio_pci_notify_cap))
			continue;
		caps[type] = (struct vp_cap){ .pos = pos, .bar = bar, .offset = off, .length = length };
	}
}

static int vp_map_regions(struct virtio_pci_device *vp, const struct vp_cap caps[5])
{
	struct vp_region common;
	int err;

	err = vp_map_cap(vp, &caps[VIRTIO_PCI_CAP_COMMON_CFG],
			 sizeof(struct virtio_pci_common_cfg), &common, "common");
	err = err ?: vp_map_cap(vp, &caps[VIRTIO_PCI_CAP_NOTIFY_CFG], 2, &vp->notify, "notify");
	err = err ?: vp_map_cap(vp, &caps[VIRTIO_PCI_CAP_ISR_CFG], 1, &vp->isr, "isr");
	err = err ?: vp_map_cap(vp, &caps[VIRTIO_PCI_CAP_DEVICE_CFG], 0, &vp->device, "device");
	if (err)
		return err;
	vp->common = common.va;
	pci_read_config_dword(vp->pci, caps[VIRTIO_PCI_CAP_NOTIFY_CFG].pos +
			      VIRTIO_PCI_NOTIFY_CAP_MULT, &vp->notify_off_multiplier);
	if (vp->notify_off_multiplier & 1) {	/* 4.1.4.4: even power of 2, or 0 */
		pr_err("virtio-pci %s: notify_off_multiplier %u is odd\n", vp->pci_name,
		       vp->notify_off_multiplier);
		return -EINVAL;
	}
	return 0;
}

/* ---- config ops ---- */

/*
 * 4.1.3.1: config fields are read at their own width (8, 16, 32 bits;
 * 64-bit fields as two 32-bit reads). Other sizes go byte by byte.
 */
static void vp_get(struct virtio_device *vdev, unsigned int offset, void *buf,
		   unsigned int len)
{
	struct virtio_pci_device *vp = to_vp(vdev);
	u8 *src = (u8 *)vp->device.va + offset;
	u32 lo, hi;

	if ((u64)offset + len > vp->device.len) {	/* reads past it see zeroes */
		memset(buf, 0, len);
		return;
	}
	if (len == 2 && !(offset & 1)) {
		u16 w = readw(src);

		memcpy(buf, &w, 2);
	} else if (len == 4 && !(offset & 3)) {
		lo = readl(src);
		memcpy(buf, &lo, 4);
	} else if (len == 8 && !(offset & 3)) {
		lo = readl(src);
		hi = readl(src + 4);
		memcpy(buf, &lo, 4);
		memcpy((u8 *)buf + 4, &hi, 4);
	} else {
		for (unsigned int i = 0; i < len; i++)
			((u8 *)buf)[i] = readb(src + i);
	}
}

static void vp_set(struct virtio_device *vdev, unsigned int offset, const void *buf,
		   unsigned int len)
{
	struct virtio_pci_device *vp = to_vp(vdev);
	u8 *dst = (u8 *)vp->device.va + offset;
	u32 v;

	if ((u64)offset + len > vp->device.len)
		return;
	if (len == 4 && !(offset & 3)) {
		memcpy(&v, buf, 4);
		writel(v, dst);
	} else {
		for (unsigned int i = 0; i < len; i++)
			writeb(((const u8 *)buf)[i], dst + i);
	}
}

static u32 vp_generation(struct virtio_device *vdev)
{
	return readb(CFG(to_vp(vdev), config_generation));
}

static u8 vp_get_status(struct virtio_device *vdev)
{
	return readb(CFG(to_vp(vdev), device_status));
}

static void vp_set_status(struct virtio_device *vdev, u8 status)
{
	writeb(status, CFG(to_vp(vdev), device_status));
}

/* 4.1.4.3.2: after writing 0 the driver waits until status reads 0. */
static void vp_reset(struct virtio_device *vdev)
{
	struct virtio_pci_device *vp = to_vp(vdev);
	u64 start = arch_clock_ns();

	writeb(0, CFG(vp, device_status));
	while (readb(CFG(vp, device_status))) {
		if (arch_clock_ns() - start > VIRTIO_RESET_TIMEOUT_NS) {
			pr_err("virtio-pci %s: device did not finish its reset\n", vp->pci_name);
			return;
		}
	}
}

static u64 vp_get_features(struct virtio_device *vdev)
{
	struct virtio_pci_device *vp = to_vp(vdev);
	u64 f;

	writel(0, CFG(vp, device_feature_select));
	f = readl(CFG(vp, device_feature));
	writel(1, CFG(vp, device_feature_select));
	return f | (u64)readl(CFG(vp, device_feature)) << 32;
}

static int vp_finalize_features(struct virtio_device *vdev)
{
	struct virtio_pci_device *vp = to_vp(vdev);

	writel(0, CFG(vp, guest_feature_select));
	writel((u32)vdev->features, CFG(vp, guest_feature));
	writel(1, CFG(vp, guest_feature_select));
	writel((u32)(vdev->features >> 32), CFG(vp, guest_feature));
	return 0;
}

/* ---- queues ---- */

static bool vp_notify(struct virtqueue *vq)
{
	struct virtio_pci_vq *info = vq->priv;

	writew(vq->index, info->notify);
	return true;
}

static void vp_config_irq(void *data)
{
	virtio_config_changed(data);
}

static void write64(u64 v, __le32 *lo, __le32 *hi)
{
	writel((u32)v, lo);
	writel((u32)(v >> 32), hi);
}

/* Where queue @i's doorbell is: notify base + queue_notify_off * mult. */
static void *vp_notify_addr(struct virtio_pci_device *vp, unsigned int i)
{
	u64 off = (u64)readw(CFG(vp, queue_notify_off)) * vp->notify_off_multiplier;

	if (off + 2 > vp->notify.len) {
		pr_err("virtio-pci %s: queue %u doorbell at +0x%llx outside the notify region\n",
		       vp->pci_name, i, (unsigned long long)off);
		return NULL;
	}
	return (u8 *)vp->notify.va + off;
}

static int vp_setup_vq(struct virtio_pci_device *vp, unsigned int i, vq_callback_t *cb,
		       const char *name)
{
	struct virtio_pci_vq *info = &vp->vqs[i];
	struct virtqueue *vq;
	u16 size;

	writew(i, CFG(vp, queue_select));
	size = readw(CFG(vp, queue_size));
	if (!size || (size & (size - 1)) || readw(CFG(vp, queue_enable))) {
		pr_err("virtio-pci %s: queue %u: bad size %u or already enabled\n",
		       vp->pci_name, i, size);
		return -EINVAL;
	}
	info->notify = vp_notify_addr(vp, i);
	if (!info->notify)
		return -EINVAL;
	vq = vring_create_virtqueue(i, min(size, (u16)VIRTQUEUE_MAX_SIZE), &vp->vdev,
				    vp_notify, cb, name);
	if (!vq)
		return -ENOMEM;
	vq->priv = info;
	info->vq = vq;
	writew(virtqueue_get_vring_size(vq), CFG(vp, queue_size));
	write64(virtqueue_get_desc_addr(vq), CFG(vp, queue_desc_lo), CFG(vp, queue_desc_hi));
	write64(virtqueue_get_avail_addr(vq), CFG(vp, queue_avail_lo), CFG(vp, queue_avail_hi));
	write64(virtqueue_get_used_addr(vq), CFG(vp, queue_used_lo), CFG(vp, queue_used_hi));
	return 0;
}

/* Vector @entry for queue @i (or the config vector when @i < 0). */
static int vp_set_vector(struct virtio_pci_device *vp, int i, u16 entry)
{
	__le16 *reg = i < 0 ? CFG(vp, msix_config) : CFG(vp, queue_msix_vector);

	if (i >= 0)
		writew(i, CFG(vp, queue_select));
	writew(entry, reg);
	if (readw(reg) != entry) {	/* 4.1.5.1.2: NO_VECTOR = could not */
		pr_err("virtio-pci %s: device refused MSI-X vector %u for %s %d\n",
		       vp->pci_name, entry, i < 0 ? "config" : "queue", i);
		return -EBUSY;
	}
	return 0;
}

static int vp_request_vectors(struct virtio_pci_device *vp, unsigned int nvqs)
{
	int err = pci_msix_enable(vp->pci, nvqs + 1);

	if (err) {
		pr_err("virtio-pci %s: cannot enable %u MSI-X vectors: %d\n", vp->pci_name,
		       nvqs + 1, err);
		return err;
	}
	err = pci_msix_request(vp->pci, 0, 0, vp_config_irq, &vp->vdev);
	err = err ?: vp_set_vector(vp, -1, 0);
	for (unsigned int i = 0; !err && i < nvqs; i++) {
		err = pci_msix_request(vp->pci, i + 1, i % platform.nr_cpus, vring_interrupt,
				       vp->vqs[i].vq);
		err = err ?: vp_set_vector(vp, i, i + 1);
	}
	if (err == -ENOSPC)
		pr_err("virtio-pci %s: out of interrupt vectors for %u queues\n", vp->pci_name,
		       nvqs);
	return err;
}

static void vp_del_vqs(struct virtio_device *vdev)
{
	struct virtio_pci_device *vp = to_vp(vdev);

	pci_msix_disable(vp->pci);
	for (unsigned int i = 0; i < vp->nvqs; i++)
		if (vp->vqs[i].vq)
			vring_del_virtqueue(vp->vqs[i].vq);
	kfree(vp->vqs);
	vp->vqs = NULL;
	vp->nvqs = 0;
}

static int vp_find_vqs(struct virtio_device *vdev, unsigned int nvqs, struct virtqueue *vqs[],
		       vq_callback_t *callbacks[], const char *const names[])
{
	struct virtio_pci_device *vp = to_vp(vdev);
	u16 max = readw(CFG(vp, num_queues));
	int err = 0;

	if (!nvqs || nvqs > max || nvqs + 1 > PCI_MSIX_MAX_VECTORS) {
		pr_err("virtio-pci %s: %u queues asked, device has %u\n", vp->pci_name, nvqs, max);
		return -EINVAL;
	}
	vp->vqs = kcalloc(nvqs, sizeof(*vp->vqs), GFP_KERNEL);
	if (!vp->vqs)
		return -ENOMEM;
	vp->nvqs = nvqs;
	for (unsigned int i = 0; !err && i < nvqs; i++)
		err = vp_setup_vq(vp, i, callbacks[i], names[i]);
	err = err ?: vp_request_vectors(vp, nvqs);
	if (err) {
		vp_del_vqs(vdev);
		return err;
	}
	for (unsigned int i = 0; i < nvqs; i++) {
		writew(i, CFG(vp, queue_select));
		writew(1, CFG(vp, queue_enable));
		vqs[i] = vp->vqs[i].vq;
	}
	return 0;
}

static const struct virtio_config_ops vp_config_ops = {
	.get = vp_get,
	.set = vp_set,
	.generation = vp_generation,
	.get_status = vp_get_status,
	.set_status = vp_set_status,
	.reset = vp_reset,
	.get_features = vp_get_features,
	.finalize_features = vp_finalize_features,
	.find_vqs = vp_find_vqs,
	.del_vqs = vp_del_vqs,
};

/* ---- probe ---- */

static int vp_device_type(struct pci_dev *pci)
{
	if (pci->device >= 0x1040 && pci->device <= 0x107f)
		return pci->device - 0x1040;
	if (pci->device >= 0x1000 && pci->device <= 0x103f)
		return pci->subsystem_device;	/* transitional: 4.1.2.1 */
	return -ENODEV;
}

static int virtio_pci_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
	struct virtio_pci_device *vp;
	struct vp_cap caps[5];
	int type = vp_device_type(pci);
	int err;

	if (type < 0)
		return -ENODEV;
	vp = kzalloc(sizeof(*vp), GFP_KERNEL);
	if (!vp)
		return -ENOMEM;
	vp->pci = pci;
	pci_name(pci, vp->pci_name, sizeof(vp->pci_name));
	vp_find_caps(vp, caps);
	if (!caps[VIRTIO_PCI_CAP_COMMON_CFG].pos || !caps[VIRTIO_PCI_CAP_NOTIFY_CFG].pos) {
		pr_err("virtio-pci %s: %04x:%04x is a legacy-only virtio device (no virtio 1.x capabilities): not supported\n",
		       vp->pci_name, pci->vendor, pci->device);
		err = -ENODEV;
		goto out_free;
	}
	pci_enable_device_mem(pci);
	err = vp_map_regions(vp, caps);
	if (err)
		goto out_free;
	pci_set_master(pci);
	vp->vdev.id.device = type;
	vp->vdev.id.vendor = pci->subsystem_vendor;
	vp->vdev.config = &vp_config_ops;
	vp->vdev.transport = vp->pci_name;
	pci->driver_data = vp;
	err = register_virtio_device(&vp->vdev);
	if (err)
		goto out_free;	/* the core failed and reset the device */
	return 0;
out_free:
	pci->driver_data = NULL;
	kfree(vp);
	return err;
}

static const struct pci_device_id virtio_pci_ids[] = {
	{ VIRTIO_PCI_VENDOR, PCI_ANY_ID },
	{ 0, 0 },
};

static struct pci_driver virtio_pci_driver = {
	.name = "virtio-pci",
	.id_table = virtio_pci_ids,
	.probe = virtio_pci_probe,
};

static int virtio_pci_init(void)
{
	pci_register_driver(&virtio_pci_driver);
	return 0;
}
device_initcall(virtio_pci_init);
