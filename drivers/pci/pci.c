/*
 * drivers/pci/pci.c - PCI Express enumeration through ECAM, config space,
 * BARs, capabilities, driver binding, and the lspci command.
 *
 * Layer: drivers/pci. Provides: pci_read/write_config_*(), pci_iomap(),
 * pci_find_capability(), pci_register_driver(), pci_for_each_dev(), lspci.
 * Not here: MSI-X (drivers/pci/msix.c).
 *
 * Enumeration (subsys_initcall) walks each ECAM segment the firmware
 * listed (ACPI MCFG, platform.pci_ecam[]) from its first bus, every
 * device and function, and follows bridges to their secondary buses as
 * the firmware numbered them (depth-first, like Linux's
 * pci_scan_child_bus). A bus is mapped (1 MiB of ECAM) only when it is
 * scanned, and each bus is scanned at most once (a bridge pointing back
 * to a scanned bus is reported, not followed): the scan terminates.
 * BARs are sized by the usual write-ones/read-back with decoding off.
 *
 * A capability walk reads at most PCI_FIND_CAP_TTL (48) list entries:
 * __pci_find_next_cap_ttl() counts them in the caller's budget, so a
 * caller that walks every capability of one kind (virtio-pci's vendor
 * capabilities) bounds the whole walk, loops included, not each step.
 *
 * Invariants:
 *   PCI1 every pci_dev's cfg points at its own 4 KiB ECAM window, which
 *      stays mapped; config accesses never leave it (checked offsets).
 *   PCI2 the device list is complete before any driver registers and never
 *      changes afterwards.
 *
 * Locking: pci_lock (mutex) serialises driver registration and binding.
 */
#include <quire/pci.h>
#include <quire/platform.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/init.h>
#include <quire/mutex.h>
#include <quire/shell.h>
#include <arch/memory.h>
#include <arch/io.h>

#define PCI_MAX_BUSES		256
#define ECAM_BUS_SIZE		(1u << 20)

static LIST_HEAD(pci_devices); /* PCI2 */
static LIST_HEAD(pci_drivers);
static DEFINE_MUTEX(pci_lock);		/* guards pci_drivers, dev->driver */
static unsigned int nr_pci_devices;

/* ---- config space ---- */

static bool cfg_ok(const struct pci_dev *dev, unsigned int where, unsigned int size)
{
	return dev->cfg && where % size == 0 && where + size <= PCI_CFG_SPACE_EXP_SIZE;
}

int pci_read_config_byte(const struct pci_dev *dev, unsigned int where, u8 *val)
{
	*val = 0xff;
	if (!cfg_ok(dev, where, 1))
		return -EINVAL;
	*val = readb((u8 *)dev->cfg + where);
	return 0;
}

int pci_read_config_word(const struct pci_dev *dev, unsigned int where, u16 *val)
{
	*val = 0xffff;
	if (!cfg_ok(dev, where, 2))
		return -EINVAL;
	*val = readw((u8 *)dev->cfg + where);
	return 0;
}

int pci_read_config_dword(const struct pci_dev *dev, unsigned int where, u32 *val)
{
	*val = 0xffffffff;
	if (!cfg_ok(dev, where, 4))
		return -EINVAL;
	*val = readl((u8 *)dev->cfg + where);
	return 0;
}

int pci_write_config_byte(const struct pci_dev *dev, unsigned int where, u8 val)
{
	if (!cfg_ok(dev, where, 1))
		return -EINVAL;
	writeb(val, (u8 *)dev->cfg + where);
	return 0;
}

int pci_write_config_word(const struct pci_dev *dev, unsigned int where, u16 val)
{
	if (!cfg_ok(dev, where, 2))
		return -EINVAL;
	writew(val, (u8 *)dev->cfg + where);
	return 0;
}

int pci_write_config_dword(const struct pci_dev *dev, unsigned int where, u32 val)
{
	if (!cfg_ok(dev, where, 4))
		return -EINVAL;
	writel(val, (u8 *)dev->cfg + where);
	return 0;
}

void pci_name(const struct pci_dev *dev, char *buf, size_t size)
{
	scnprintf(buf, size, "%04x:%02x:%02x.%u", dev->segment, dev->bus,
		  PCI_SLOT(dev->devfn), PCI_FUNC(dev->devfn));
}

/* ---- capabilities ---- */

u8 __pci_find_next_cap_ttl(const struct pci_dev *dev, u8 pos, u8 cap, int *ttl)
{
	u8 id, next;

	if (pci_read_config_byte(dev, pos, &next))
		return 0;
	while ((*ttl)-- > 0) { /* spent before a return, too */
		next &= ~3;
		if (next < 0x40)	/* 0 ends the list; below 0x40 is header */
			return 0;
		pci_read_config_byte(dev, next, &id);
		if (id == 0xff)
			return 0;
		if (id == cap)
			return next;
		pci_read_config_byte(dev, next + PCI_CAP_LIST_NEXT, &next);
	}
	return 0;
}

u8 pci_find_next_capability(const struct pci_dev *dev, u8 pos, u8 cap)
{
	int ttl = PCI_FIND_CAP_TTL;

	return __pci_find_next_cap_ttl(dev, pos, cap, &ttl);
}

u8 pci_find_capability(const struct pci_dev *dev, u8 cap)
{
	u16 status;

	pci_read_config_word(dev, PCI_STATUS, &status);
	if (!(status & PCI_STATUS_CAP_LIST))
		return 0;
	return pci_find_next_capability(dev, PCI_CAPABILITY_LIST, cap);
}

/* ---- command register ---- */

static void pci_command_set(struct pci_dev *dev, u16 bits)
{
	u16 cmd;

	pci_read_config_word(dev, PCI_COMMAND, &cmd);
	if ((cmd & bits) != bits)
		pci_write_config_word(dev, PCI_COMMAND, cmd | bits);
}

void pci_enable_device_mem(struct pci_dev *dev)
{
	pci_command_set(dev, PCI_COMMAND_MEMORY);
}

void pci_set_master(struct pci_dev *dev)
{
	pci_command_set(dev, PCI_COMMAND_MASTER);
}

/* ---- BARs ---- */

/* Size BAR @i (its low dword at @reg); returns how many BAR slots it
 * used (2 for a 64-bit memory BAR). Decoding is off around the probe. */
static unsigned int pci_size_bar(struct pci_dev *dev, unsigned int i)
{
	unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * i;
	struct pci_bar *bar = &dev->bar[i];
	u32 lo, mask_lo, hi = 0, mask_hi = 0xffffffff;
	bool mem64;
	u64 mask;

	pci_read_config_dword(dev, reg, &lo);
	pci_write_config_dword(dev, reg, 0xffffffff);
	pci_read_config_dword(dev, reg, &mask_lo);
	pci_write_config_dword(dev, reg, lo);
	if (lo & PCI_BASE_ADDRESS_SPACE_IO) {
		mask = (mask_lo & ~3u) | 0xffff0000u;
		bar->flags = PCI_BAR_IO;
		bar->start = lo & ~3u;
		bar->size = mask_lo ? (u32)(~(u32)mask + 1) & 0xffff : 0;
		return 1;
	}
	mem64 = (lo & 6) == PCI_BASE_ADDRESS_MEM_TYPE_64 && i + 1 < PCI_STD_NUM_BARS;
	if (mem64) {
		pci_read_config_dword(dev, reg + 4, &hi);
		pci_write_config_dword(dev, reg + 4, 0xffffffff);
		pci_read_config_dword(dev, reg + 4, &mask_hi);
		pci_write_config_dword(dev, reg + 4, hi);
	}
	mask = ((u64)mask_hi << 32) | (mask_lo & ~0xfu);
	if (!mem64)
		mask |= 0xffffffff00000000ull;
	bar->start = ((u64)hi << 32) | (lo & ~0xfu);
	bar->size = (mask_lo & ~0xfu) || mask_hi != 0xffffffff ? ~mask + 1 : 0;
	bar->flags = (mem64 ? PCI_BAR_MEM64 : 0) |
		     (lo & PCI_BASE_ADDRESS_MEM_PREFETCH ? PCI_BAR_PREFETCH : 0);
	return mem64 ? 2 : 1;
}

static void pci_read_bars(struct pci_dev *dev, unsigned int nr)
{
	u16 cmd;

	pci_read_config_word(dev, PCI_COMMAND, &cmd);
	pci_write_config_word(dev, PCI_COMMAND,
			      cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (unsigned int i = 0; i < nr;)
		i += pci_size_bar(dev, i);
	pci_write_config_word(dev, PCI_COMMAND, cmd);
}

void *pci_iomap(struct pci_dev *dev, unsigned int i)
{
	struct pci_bar *bar;
	char name[16];

	if (i >= PCI_STD_NUM_BARS)
		return NULL;
	bar = &dev->bar[i];
	if (bar->va)
		return bar->va;
	pci_name(dev, name, sizeof(name));
	if ((bar->flags & PCI_BAR_IO) || !bar->size || !bar->start) {
		pr_err("pci %s: BAR %u is not an assigned memory BAR\n", name, i);
		return NULL;
	}
	bar->va = arch_ioremap(bar->start, bar->size);
	if (!bar->va)
		pr_err("pci %s: cannot map BAR %u (%llu bytes at 0x%llx)\n", name, i,
		       (unsigned long long)bar->size, (unsigned long long)bar->start);
	return bar->va;
}

/* ---- enumeration ---- */

struct pci_segment_scan {
	const struct pci_ecam *ecam;
	void *bus_va[PCI_MAX_BUSES];		/* mapped ECAM per bus */
	bool scanned[PCI_MAX_BUSES];		/* each bus once: the walk ends */
};

static void *ecam_fn(struct pci_segment_scan *s, unsigned int bus, u8 devfn)
{
	return (u8 *)s->bus_va[bus] + ((unsigned long)devfn << 12);
}

static int pci_scan_bus(struct pci_segment_scan *s, unsigned int bus, int depth);

static struct pci_dev *pci_alloc_dev(struct pci_segment_scan *s, unsigned int bus,
				     u8 devfn)
{
	struct pci_dev *dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	u32 class;
	u8 hdr;

	if (!dev)
		return NULL;
	dev->segment = s->ecam->segment;
	dev->bus = bus;
	dev->devfn = devfn;
	dev->cfg = ecam_fn(s, bus, devfn);
	pci_read_config_word(dev, PCI_VENDOR_ID, &dev->vendor);
	pci_read_config_word(dev, PCI_DEVICE_ID, &dev->device);
	pci_read_config_dword(dev, PCI_REVISION_ID, &class);
	dev->revision = class & 0xff;
	dev->class = class >> 8;
	pci_read_config_byte(dev, PCI_HEADER_TYPE, &hdr);
	dev->hdr_type = hdr & PCI_HEADER_TYPE_MASK;
	if (dev->hdr_type == PCI_HEADER_TYPE_NORMAL) {
		pci_read_config_word(dev, PCI_SUBSYSTEM_VENDOR_ID, &dev->subsystem_vendor);
		pci_read_config_word(dev, PCI_SUBSYSTEM_ID, &dev->subsystem_device);
		pci_read_bars(dev, 6);
	} else if (dev->hdr_type == PCI_HEADER_TYPE_BRIDGE) {
		pci_read_bars(dev, 2);
	}
	for (int i = 0; i < PCI_MSIX_MAX_VECTORS; i++)
		dev->msix_handle[i] = -1;
	return dev;
}

static void pci_scan_bridge(struct pci_segment_scan *s, struct pci_dev *dev, int depth)
{
	u8 secondary;
	char name[16];

	pci_read_config_byte(dev, PCI_SECONDARY_BUS, &secondary);
	if (!secondary)
		return;		/* not numbered by the firmware */
	pci_name(dev, name, sizeof(name));
	if (secondary < s->ecam->bus_start || secondary > s->ecam->bus_end ||
	    s->scanned[secondary] || depth >= 32) {
		pr_warn("pci %s: bridge to bus %u not followed (outside ECAM, seen, or too deep)\n",
			name, secondary);
		return;
	}
	pci_scan_bus(s, secondary, depth + 1);
}

static void pci_scan_fn(struct pci_segment_scan *s, unsigned int bus, u8 devfn, int depth)
{
	struct pci_dev *dev = pci_alloc_dev(s, bus, devfn);

	if (!dev) {
		pr_err("pci: out of memory scanning bus %u\n", bus);
		return;
	}
	list_add_tail(&dev->node, &pci_devices);
	nr_pci_devices++;
	if (dev->hdr_type == PCI_HEADER_TYPE_BRIDGE)
		pci_scan_bridge(s, dev, depth);
}

static bool fn_present(struct pci_segment_scan *s, unsigned int bus, u8 devfn)
{
	u16 vendor = readw(ecam_fn(s, bus, devfn));

	return vendor != 0xffff && vendor != 0;
}

static int pci_scan_bus(struct pci_segment_scan *s, unsigned int bus, int depth)
{
	phys_addr_t pa = s->ecam->base + (phys_addr_t)(bus - s->ecam->bus_start) * ECAM_BUS_SIZE;

	s->scanned[bus] = true;
	s->bus_va[bus] = arch_ioremap(pa, ECAM_BUS_SIZE);
	if (!s->bus_va[bus]) {
		pr_err("pci: cannot map ECAM of bus %u at 0x%llx\n", bus,
		       (unsigned long long)pa);
		return -ENOMEM;
	}
	for (unsigned int slot = 0; slot < 32; slot++) {
		u8 hdr;

		if (!fn_present(s, bus, slot << 3))
			continue;
		hdr = readb((u8 *)ecam_fn(s, bus, slot << 3) + PCI_HEADER_TYPE);
		for (unsigned int fn = 0; fn < ((hdr & PCI_HEADER_TYPE_MFD) ? 8 : 1); fn++)
			if (fn_present(s, bus, slot << 3 | fn))
				pci_scan_fn(s, bus, slot << 3 | fn, depth);
	}
	return 0;
}

static int pci_subsys_init(void)
{
	static struct pci_segment_scan scan;	/* one segment at a time */

	if (!platform.nr_pci_ecam) {
		pr_info("pci: no ECAM window (no ACPI MCFG): no PCI devices\n");
		return 0;
	}
	for (unsigned int i = 0; i < platform.nr_pci_ecam; i++) {
		const struct pci_ecam *e = &platform.pci_ecam[i];

		if (e->bus_end < e->bus_start) {
			pr_err("pci: ECAM segment %u has bus range %u-%u: ignored\n",
			       e->segment, e->bus_start, e->bus_end);
			continue;
		}
		memset(&scan, 0, sizeof(scan));
		scan.ecam = e;
		pci_scan_bus(&scan, e->bus_start, 0);
	}
	pr_info("pci: %u functions found\n", nr_pci_devices);
	return 0;
}
subsys_initcall(pci_subsys_init);

/* ---- drivers ---- */

int pci_for_each_dev(int (*fn)(struct pci_dev *dev, void *arg), void *arg)
{
	struct pci_dev *dev;
	int ret;

	list_for_each_entry(dev, &pci_devices, node) {
		ret = fn(dev, arg);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct pci_device_id *pci_match(const struct pci_driver *drv,
					     const struct pci_dev *dev)
{
	for (const struct pci_device_id *id = drv->id_table; id->vendor; id++)
		if ((id->vendor == PCI_ANY_ID || id->vendor == dev->vendor) &&
		    (id->device == PCI_ANY_ID || id->device == dev->device))
			return id;
	return NULL;
}

int pci_register_driver(struct pci_driver *drv)
{
	struct pci_dev *dev;
	int bound = 0;

	mutex_lock(&pci_lock);
	list_add_tail(&drv->node, &pci_drivers);
	list_for_each_entry(dev, &pci_devices, node) {
		const struct pci_device_id *id = pci_match(drv, dev);
		char name[16];
		int err;

		if (dev->driver || !id)
			continue;
		err = drv->probe(dev, id);
		if (err) {
			pci_name(dev, name, sizeof(name));
			pr_err("pci %s: %s probe failed: %d\n", name, drv->name, err);
			continue;
		}
		dev->driver = drv;
		bound++;
	}
	mutex_unlock(&pci_lock);
	return bound;
}

/* ---- lspci ---- */

static const char *pci_class_name(u32 class)
{
	switch (class >> 8) {
	case 0x0100: return "SCSI storage";
	case 0x0101: return "IDE";
	case 0x0106: return "SATA";
	case 0x0180: case 0x0000: return "storage/other";
	case 0x0200: return "Ethernet";
	case 0x0300: return "VGA";
	case 0x0600: return "host bridge";
	case 0x0601: return "ISA bridge";
	case 0x0604: return "PCI bridge";
	case 0x0c05: return "SMBus";
	case 0x00ff: return "unclassified";
	}
	return "device";
}

static void lspci_bars(struct pci_dev *dev)
{
	for (unsigned int i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bar[i];

		if (!b->size)
			continue;
		cprintf("    bar%u %s 0x%llx size 0x%llx\n", i,
			b->flags & PCI_BAR_IO ? "io" :
			b->flags & PCI_BAR_MEM64 ? "mem64" : "mem32",
			(unsigned long long)b->start, (unsigned long long)b->size);
	}
}

static int lspci_one(struct pci_dev *dev, void *arg)
{
	bool verbose = *(bool *)arg;
	char name[16];
	u8 msix = pci_find_capability(dev, PCI_CAP_ID_MSIX);
	u16 flags = 0;

	if (msix)
		pci_read_config_word(dev, msix + PCI_MSIX_FLAGS, &flags);
	pci_name(dev, name, sizeof(name));
	cprintf("%s %04x:%04x class %06x %-14s", name, dev->vendor, dev->device,
		dev->class, pci_class_name(dev->class));
	if (msix)
		cprintf(" msix %u%s", (flags & PCI_MSIX_FLAGS_QSIZE) + 1,
			flags & PCI_MSIX_FLAGS_ENABLE ? "+" : "");
	cprintf(" %s\n", dev->driver ? dev->driver->name : "-");
	if (verbose)
		lspci_bars(dev);
	return 0;
}

static int cmd_lspci(int argc, char **argv)
{
	bool verbose = false;

	if (argc == 2 && !strcmp(argv[1], "-v")) {
		verbose = true;
	} else if (argc != 1) {
		shell_error(argv[0], "usage: lspci [-v]");
		return -EINVAL;
	}
	cprintf("ADDRESS      VEN:DEV   CLASS         NAME           MSI-X DRIVER\n");
	pci_for_each_dev(lspci_one, &verbose);
	return 0;
}
SHELL_COMMAND(lspci, "lspci", "lspci [-v]",
	      "list PCI functions (-v: with BARs); msix N+ = N vectors, enabled", cmd_lspci);
