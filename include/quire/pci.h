/*
 * include/quire/pci.h - PCI Express devices: config space, BARs,
 * capabilities, MSI-X, and drivers that bind to devices.
 *
 * Layer: drivers/pci. Used by: drivers/virtio/virtio_pci_modern.c.
 * Provides: struct pci_dev (one per function found through ECAM),
 * config-space accessors with bounds checks, pci_iomap() of memory BARs,
 * pci_find_capability() / pci_find_next_capability(), MSI-X vectors
 * (pci_msix_enable(), pci_msix_request(), pci_msix_disable()), and
 * pci_register_driver() which probes every matching device.
 *
 * Enumeration (drivers/pci/pci.c) runs once at subsys_initcall; the device
 * list is read-only afterwards. Binding happens at driver registration
 * (device_initcall), in process context.
 *
 * Locking: the device list is fixed after enumeration. A pci_dev's MSI-X
 * state is owned by its driver (probe/remove are serialised by pci_lock).
 */
#ifndef QUIRE_PCI_H
#define QUIRE_PCI_H

#include <quire/compiler.h>
#include <quire/list.h>
#include <arch/irq.h>

/* Config space registers (PCI 3.0 / PCIe 4.0), Linux's names. */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define  PCI_COMMAND_IO		0x1
#define  PCI_COMMAND_MEMORY	0x2
#define  PCI_COMMAND_MASTER	0x4
#define  PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS		0x06
#define  PCI_STATUS_CAP_LIST	0x10
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_HEADER_TYPE		0x0e
#define  PCI_HEADER_TYPE_MASK	0x7f
#define  PCI_HEADER_TYPE_NORMAL	0
#define  PCI_HEADER_TYPE_BRIDGE	1
#define  PCI_HEADER_TYPE_MFD	0x80
#define PCI_BASE_ADDRESS_0	0x10
#define  PCI_BASE_ADDRESS_SPACE_IO	0x1
#define  PCI_BASE_ADDRESS_MEM_TYPE_64	0x4
#define  PCI_BASE_ADDRESS_MEM_PREFETCH	0x8
#define PCI_PRIMARY_BUS		0x18
#define PCI_SECONDARY_BUS	0x19
#define PCI_SUBORDINATE_BUS	0x1a
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_CFG_SPACE_EXP_SIZE	4096

#define PCI_CAP_ID_VNDR		0x09	/* vendor specific (virtio uses it) */
#define PCI_CAP_ID_EXP		0x10
#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_LIST_NEXT	1

/* MSI-X capability (PCI 3.0 6.8.2) */
#define PCI_MSIX_FLAGS		2
#define  PCI_MSIX_FLAGS_QSIZE	0x07ff	/* table size - 1 */
#define  PCI_MSIX_FLAGS_MASKALL	0x4000
#define  PCI_MSIX_FLAGS_ENABLE	0x8000
#define PCI_MSIX_TABLE		4
#define PCI_MSIX_PBA		8
#define  PCI_MSIX_BIR		0x7
#define PCI_MSIX_ENTRY_SIZE	16
#define  PCI_MSIX_ENTRY_LOWER_ADDR	0
#define  PCI_MSIX_ENTRY_UPPER_ADDR	4
#define  PCI_MSIX_ENTRY_DATA		8
#define  PCI_MSIX_ENTRY_VECTOR_CTRL	12
#define   PCI_MSIX_ENTRY_CTRL_MASKBIT	0x1

#define PCI_STD_NUM_BARS	6
#define PCI_ANY_ID		0xffffu
#define PCI_MSIX_MAX_VECTORS	65	/* per device, Quire's cap */

/* struct pci_bar.flags */
#define PCI_BAR_IO		0x1
#define PCI_BAR_MEM64		0x2
#define PCI_BAR_PREFETCH	0x4

struct pci_bar {
	u64 start;		/* bus address assigned by the firmware; 0: unset */
	u64 size;		/* bytes; 0: BAR not implemented */
	unsigned int flags;	/* PCI_BAR_* */
	void *va;		/* pci_iomap() mapping, NULL until mapped */
};

struct pci_driver;

struct pci_dev {
	struct list_head node;		/* on the global device list */
	u16 segment;
	u8 bus, devfn;			/* devfn = device << 3 | function */
	u16 vendor, device;
	u16 subsystem_vendor, subsystem_device;
	u32 class;			/* class << 16 | subclass << 8 | prog-if */
	u8 revision;
	u8 hdr_type;			/* PCI_HEADER_TYPE_* (MFD bit cleared) */
	void *cfg;			/* 4 KiB ECAM window of this function */
	struct pci_bar bar[PCI_STD_NUM_BARS];
	struct pci_driver *driver;	/* bound driver, or NULL */
	void *driver_data;
	/* MSI-X, owned by the bound driver */
	u8 msix_cap;			/* config offset, 0: none */
	u16 msix_table_size;		/* entries the device has */
	bool msix_enabled;
	void *msix_table;		/* mapped table */
	int msix_handle[PCI_MSIX_MAX_VECTORS];	/* arch_msi_alloc handle, -1 */
	u16 msix_nvec;			/* entries enabled */
};

#define PCI_SLOT(devfn)		(((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)		((devfn) & 0x07)

struct pci_device_id {
	u16 vendor, device;		/* PCI_ANY_ID matches anything */
};

struct pci_driver {
	const char *name;
	const struct pci_device_id *id_table;	/* ends with vendor 0 */
	/* Bind to @dev; 0 or -errno (the device stays unbound). Context:
	 * process, may sleep. */
	int (*probe)(struct pci_dev *dev, const struct pci_device_id *id);
	struct list_head node;
};

/* Config space, bounds- and alignment-checked: 0 or -EINVAL (value set
 * to all ones, as a missing device reads). Context: any. */
int pci_read_config_byte(const struct pci_dev *dev, unsigned int where, u8 *val);
int pci_read_config_word(const struct pci_dev *dev, unsigned int where, u16 *val);
int pci_read_config_dword(const struct pci_dev *dev, unsigned int where, u32 *val);
int pci_write_config_byte(const struct pci_dev *dev, unsigned int where, u8 val);
int pci_write_config_word(const struct pci_dev *dev, unsigned int where, u16 val);
int pci_write_config_dword(const struct pci_dev *dev, unsigned int where, u32 val);

/* Config offset of the first capability @cap (after @pos for _next), 0 if
 * none. The walk stops after 48 steps (a looping list is a device bug). */
u8 pci_find_capability(const struct pci_dev *dev, u8 cap);
u8 pci_find_next_capability(const struct pci_dev *dev, u8 pos, u8 cap);
/* The same, reading the list entry at @pos (a capability's next
 * pointer, or PCI_CAPABILITY_LIST) and spending one of *@ttl per entry
 * visited: 0 when the list ends or *@ttl runs out. A caller walking
 * every capability of a kind shares one budget across its calls, so a
 * loop in the list ends the whole walk (Linux: __pci_find_next_cap_ttl). */
#define PCI_FIND_CAP_TTL 48
u8 __pci_find_next_cap_ttl(const struct pci_dev *dev, u8 pos, u8 cap, int *ttl);

/* Enable memory decoding (and bus mastering for DMA). */
void pci_enable_device_mem(struct pci_dev *dev);
void pci_set_master(struct pci_dev *dev);

/* Map memory BAR @bar whole (cached per device); NULL for an I/O,
 * missing or unassigned BAR (logged). Context: process. */
void *pci_iomap(struct pci_dev *dev, unsigned int bar);

/*
 * MSI-X: enable @nvec entries (all masked, function unmasked); 0,
 * -ENODEV (no MSI-X capability), -ENOSPC (table smaller than @nvec) or
 * -EINVAL (table outside its BAR). pci_msix_request() points entry
 * @entry at a new vector on CPU @cpu calling @handler(@data) and unmasks
 * it. pci_msix_disable() masks and frees every entry. Context: process.
 */
int pci_msix_enable(struct pci_dev *dev, unsigned int nvec);
int pci_msix_request(struct pci_dev *dev, unsigned int entry, unsigned int cpu,
		     irq_handler_t handler, void *data);
void pci_msix_mask(struct pci_dev *dev, unsigned int entry, bool mask);
void pci_msix_disable(struct pci_dev *dev);

/* Probe @drv against every unbound device. Returns the number bound.
 * Context: process, may sleep. */
int pci_register_driver(struct pci_driver *drv);

/* "0000:00:02.0" */
void pci_name(const struct pci_dev *dev, char *buf, size_t size);

/* Call @fn on each device in enumeration order; stops at non-zero. */
int pci_for_each_dev(int (*fn)(struct pci_dev *dev, void *arg), void *arg);

#endif
