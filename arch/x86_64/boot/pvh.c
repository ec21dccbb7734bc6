/*
 * arch/x86_64/boot/pvh.c - direct boot: turn the PVH start_info into
 * struct boot_info.
 *
 * Layer: arch/x86_64 boot. Runs once on the boot CPU, on the early page
 * tables (physical memory below 4 GiB is identity mapped), with the serial
 * console already up.
 *
 * QEMU's `-kernel` with a PVH ELF note enters pvh_entry with EBX pointing
 * at struct hvm_start_info (Xen's public arch-x86/hvm/start_info.h,
 * version 1): the e820 memory map, the RSDP and the command line.
 */
#include <quire/errno.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <asm/setup.h>

#define HVM_START_MAGIC		0x336ec578

struct hvm_start_info {
	u32 magic;
	u32 version;		/* 1 has the memory map */
	u32 flags;
	u32 nr_modules;
	u64 modlist_paddr;
	u64 cmdline_paddr;	/* NUL-terminated, 0 if none */
	u64 rsdp_paddr;
	u64 memmap_paddr;	/* struct hvm_memmap_table_entry[] */
	u32 memmap_entries;
	u32 reserved;
};

struct hvm_memmap_table_entry {
	u64 addr;
	u64 size;
	u32 type;		/* e820 type */
	u32 reserved;
};

/* e820 types to boot_info types. */
static u32 e820_to_boot_mem(u32 type)
{
	switch (type) {
	case 1: return BOOT_MEM_USABLE;
	case 3: return BOOT_MEM_ACPI;
	case 4: return BOOT_MEM_NVS;
	case 5: return BOOT_MEM_BAD;
	default: return BOOT_MEM_RESERVED;
	}
}

static void *phys_low(u64 phys)
{
	return (void *)(uintptr_t)phys;	/* identity mapped below 4 GiB */
}

static void pvh_copy_memmap(struct boot_info *bi, const struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *e;
	u32 n = si->memmap_entries;

	if (si->version < 1 || !si->memmap_paddr || si->memmap_paddr >= (1ULL << 32))
		return;
	if (n > BOOT_INFO_MAX_MEM) {
		pr_err("pvh: %u memory map entries, only the first %d used\n", n,
		       BOOT_INFO_MAX_MEM);
		n = BOOT_INFO_MAX_MEM;
	}
	e = phys_low(si->memmap_paddr);
	for (u32 i = 0; i < n; i++) {
		bi->mem[i].base = e[i].addr;
		bi->mem[i].length = e[i].size;
		bi->mem[i].type = e820_to_boot_mem(e[i].type);
	}
	bi->nr_mem = n;
}

int pvh_build_boot_info(struct boot_info *bi, u64 start_info)
{
	const struct hvm_start_info *si;

	if (!start_info || start_info >= (1ULL << 32))
		return -EINVAL;
	si = phys_low(start_info);
	if (si->magic != HVM_START_MAGIC)
		return -EINVAL;
	memset(bi, 0, sizeof(*bi));
	bi->magic = BOOT_INFO_MAGIC;
	bi->rsdp_phys = si->rsdp_paddr;
	strscpy_len(bi->loader, "pvh", sizeof(bi->loader));
	if (si->cmdline_paddr && si->cmdline_paddr < (1ULL << 32))
		strscpy_len(bi->cmdline, phys_low(si->cmdline_paddr),
			    sizeof(bi->cmdline));
	pvh_copy_memmap(bi, si);
	return 0;
}
