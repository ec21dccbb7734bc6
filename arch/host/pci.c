/*
 * arch/host/pci.c - a fake PCI Express segment in memory, so that the PCI
 * core, MSI-X and the virtio-pci transport run in quire-host (under
 * ASan and TSan too) as they do on x86.
 *
 * Layer: arch/host. Used by: drivers/pci (through platform.pci_ecam[] and
 * arch_ioremap()). Provides: host_pci_init(), arch_ioremap().
 *
 * The "ECAM window" is 2 MiB of static memory (buses 0 and 1) at a fake
 * physical address far above the RAM arena; host_pci_init() writes the
 * config spaces below and lists the window in platform.pci_ecam[0]
 * before start_kernel(), as x86 does from ACPI MCFG. Config space is
 * plain memory (arch/host/include/asm/io.h): a write sticks and has no
 * side effect, and write-ones/read-back sizes every BAR to its smallest
 * (16 bytes of memory, 4 of I/O) whatever it claimed. Each BAR register
 * holds 1 (I/O at 0): pci_iomap() refuses I/O BARs, so no driver maps
 * what is not there.
 *
 *   00:00.0 8086:29c0 host bridge
 *   00:01.0 1af4:1042 virtio-blk whose two vendor capabilities (common
 *           config at 0x40, notify at 0x50) point at each other: issue 13
 *           bug 10. virtio-pci's probe must end (the capabilities name a
 *           BAR that does not exist: -EINVAL) instead of hanging boot.
 *   00:02.0 8086:2448 PCI bridge to bus 1
 *   00:03.0 1af4:1042 virtio-blk whose one vendor capability points at
 *           itself: refused as legacy-only (no notify capability)
 *   01:00.0 1b36:0005 a function with a 4-entry MSI-X capability
 *
 * arch_ioremap() hands out the window, and RAM of the arena as itself
 * (__va), so a test may give a fake function a BAR in kmalloc'd memory.
 *
 * Invariants:
 *   HP1 arch_ioremap() returns NULL for anything not wholly inside the
 *       window or one RAM range; the arithmetic cannot wrap.
 *
 * Locking: none; the window is written once, before any vCPU runs.
 */
#include <quire/pci.h>
#include <quire/platform.h>
#include <quire/string.h>
#include <arch/memory.h>
#include "host.h"

#define FAKE_ECAM_PHYS	(1ULL << 44) /* far above any arena */
#define FAKE_ECAM_BUSES 2
#define FAKE_ECAM_SIZE	(FAKE_ECAM_BUSES << 20)

static u8 fake_ecam[FAKE_ECAM_SIZE] __aligned(4096);

static u8 *fn_cfg(unsigned int bus, unsigned int dev, unsigned int fn)
{
	return fake_ecam + (bus << 20) + (dev << 15) + (fn << 12);
}

static void put16(u8 *cfg, unsigned int off, u16 v)
{
	memcpy(cfg + off, &v, 2);
}

static void put32(u8 *cfg, unsigned int off, u32 v)
{
	memcpy(cfg + off, &v, 4);
}

static u8 *fake_fn(unsigned int bus, unsigned int dev, u16 vendor, u16 device, u32 class,
		   u8 hdr_type)
{
	u8 *cfg = fn_cfg(bus, dev, 0);

	memset(cfg, 0, PCI_CFG_SPACE_EXP_SIZE);
	put16(cfg, PCI_VENDOR_ID, vendor);
	put16(cfg, PCI_DEVICE_ID, device);
	put32(cfg, PCI_REVISION_ID, class << 8 | 1);
	cfg[PCI_HEADER_TYPE] = hdr_type;
	for (unsigned int i = 0; i < (hdr_type == PCI_HEADER_TYPE_BRIDGE ? 2 : 6); i++)
		put32(cfg, PCI_BASE_ADDRESS_0 + 4 * i, PCI_BASE_ADDRESS_SPACE_IO);
	return cfg;
}

/* Capability @id at @pos, next @next; the list starts at the first one. */
static void fake_cap(u8 *cfg, u8 pos, u8 id, u8 next)
{
	cfg[pos] = id;
	cfg[pos + PCI_CAP_LIST_NEXT] = next;
	put16(cfg, PCI_STATUS, PCI_STATUS_CAP_LIST);
	if (!cfg[PCI_CAPABILITY_LIST])
		cfg[PCI_CAPABILITY_LIST] = pos;
}

/* A virtio_pci_cap (virtio 1.2 4.1.4) without the UAPI header. */
static void fake_virtio_cap(u8 *cfg, u8 pos, u8 next, u8 len, u8 type, u32 off,
			    u32 length)
{
	fake_cap(cfg, pos, PCI_CAP_ID_VNDR, next);
	cfg[pos + 2] = len;  /* cap_len */
	cfg[pos + 3] = type; /* cfg_type */
	cfg[pos + 4] = 0;    /* bar */
	put32(cfg, pos + 8, off);
	put32(cfg, pos + 12, length);
}

void host_pci_init(void)
{
	u8 *cfg;

	memset(fake_ecam, 0xff, sizeof(fake_ecam)); /* absent functions read ~0 */
	fake_fn(0, 0, 0x8086, 0x29c0, 0x060000, PCI_HEADER_TYPE_NORMAL);

	cfg = fake_fn(0, 1, 0x1af4, 0x1042, 0x010000, PCI_HEADER_TYPE_NORMAL);
	put16(cfg, PCI_SUBSYSTEM_VENDOR_ID, 0x1af4);
	put16(cfg, PCI_SUBSYSTEM_ID, 0x0002);
	fake_virtio_cap(cfg, 0x40, 0x50, 16, 1, 0, 0x1000);	 /* common */
	fake_virtio_cap(cfg, 0x50, 0x40, 20, 2, 0x1000, 0x1000); /* notify: loops */
	put32(cfg, 0x50 + 16, 4);				 /* multiplier */

	cfg = fake_fn(0, 3, 0x1af4, 0x1042, 0x010000, PCI_HEADER_TYPE_NORMAL);
	put16(cfg, PCI_SUBSYSTEM_VENDOR_ID, 0x1af4);
	put16(cfg, PCI_SUBSYSTEM_ID, 0x0002);
	fake_virtio_cap(cfg, 0x40, 0x40, 16, 1, 0, 0x1000); /* points at itself */

	cfg = fake_fn(0, 2, 0x8086, 0x2448, 0x060400, PCI_HEADER_TYPE_BRIDGE);
	cfg[PCI_PRIMARY_BUS] = 0;
	cfg[PCI_SECONDARY_BUS] = 1;
	cfg[PCI_SUBORDINATE_BUS] = 1;

	cfg = fake_fn(1, 0, 0x1b36, 0x0005, 0x00ff00, PCI_HEADER_TYPE_NORMAL);
	fake_cap(cfg, 0x40, PCI_CAP_ID_MSIX, 0);
	put16(cfg, 0x40 + PCI_MSIX_FLAGS, 3); /* 4 entries */
	put32(cfg, 0x40 + PCI_MSIX_TABLE, 0); /* BAR 0 + 0 */

	platform.pci_ecam[0] = (struct pci_ecam){
		.base = FAKE_ECAM_PHYS,
		.segment = 0,
		.bus_start = 0,
		.bus_end = FAKE_ECAM_BUSES - 1,
	};
	platform.nr_pci_ecam = 1;
}

/* HP1: [phys, phys + size) inside [start, end), without overflow. */
static bool inside(phys_addr_t phys, size_t size, phys_addr_t start, phys_addr_t end)
{
	return phys >= start && phys <= end && size <= end - phys;
}

void *arch_ioremap(phys_addr_t phys, size_t size)
{
	if (inside(phys, size, FAKE_ECAM_PHYS, FAKE_ECAM_PHYS + FAKE_ECAM_SIZE))
		return fake_ecam + (phys - FAKE_ECAM_PHYS);
	for (unsigned int i = 0; i < platform.nr_mem_ranges; i++)
		if (inside(phys, size, platform.mem[i].start, platform.mem[i].end))
			return __va(phys);
	return NULL;
}
