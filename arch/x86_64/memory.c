/*
 * arch/x86_64/memory.c - free RAM for the page allocator: platform.mem.
 *
 * Layer: arch/x86_64. Provides: memory_reserve(), memory_init(), and the
 * poison hooks of include/arch/memory.h (no checker here: they do nothing).
 *
 * platform.mem = usable RAM of boot_info, minus the reservations recorded
 * with memory_reserve() (the kernel image with its .bss and page-table
 * pool, ACPI tables found in usable RAM, the first 1 MiB which holds the
 * SMP trampoline page and BIOS data), page aligned, split at NUMA memory
 * affinity boundaries (acpi.c gives each piece its node), sorted by start.
 * Boot CPU only, before start_kernel(); no locking.
 */
#include <quire/platform.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/bug.h>
#include <arch/memory.h>
#include <asm/setup.h>
#include <asm/acpi.h>

#define MAX_RESERVED	128
#define LOW_RESERVED_END 0x100000	/* first 1 MiB: BIOS, trampoline */

struct reserved_range {
	phys_addr_t start, end;
	const char *why;
};

static struct reserved_range reserved[MAX_RESERVED];
static unsigned int nr_reserved;

void memory_reserve(phys_addr_t start, phys_addr_t end, const char *why)
{
	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);
	if (nr_reserved == MAX_RESERVED)
		panic("memory: more than %d reservations (at %s)", MAX_RESERVED, why);
	reserved[nr_reserved++] = (struct reserved_range){ start, end, why };
}

static void add_range(phys_addr_t start, phys_addr_t end, int nid)
{
	struct mem_range *r;
	unsigned int i;

	if (start >= end)
		return;
	if (platform.nr_mem_ranges == MAX_MEM_RANGES) {
		pr_err("memory: more than %d free ranges, [%#llx-%#llx) unused\n",
		       MAX_MEM_RANGES, (unsigned long long)start, (unsigned long long)end);
		return;
	}
	for (i = platform.nr_mem_ranges; i > 0 && platform.mem[i - 1].start > start; i--)
		platform.mem[i] = platform.mem[i - 1];
	r = &platform.mem[i];
	r->start = start;
	r->end = end;
	r->nid = nid;
	platform.nr_mem_ranges++;
}

/* Add [start, end) minus every reservation from index @from on. */
static void add_unreserved(phys_addr_t start, phys_addr_t end, unsigned int from)
{
	for (unsigned int i = from; i < nr_reserved; i++) {
		const struct reserved_range *r = &reserved[i];

		if (r->end <= start || r->start >= end)
			continue;
		if (r->start > start)
			add_unreserved(start, r->start, i + 1);
		start = r->end;
		if (start >= end)
			return;
	}
	/* Split at node boundaries (acpi.c knows them). */
	while (start < end) {
		phys_addr_t piece_end = end;
		int nid = acpi_phys_to_node(start, &piece_end);

		add_range(start, min(piece_end, end), nid);
		start = min(piece_end, end);
	}
}

/* Usable entries of the memory map, page aligned inward, sorted and
 * merged: firmware maps (UEFI above all) list adjacent and sometimes
 * overlapping pieces. */
static struct reserved_range usable[BOOT_INFO_MAX_MEM];
static unsigned int nr_usable;

static void collect_usable(const struct boot_info *bi)
{
	for (u32 i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_entry *e = &bi->mem[i];
		phys_addr_t s = ALIGN_UP(e->base, PAGE_SIZE);
		phys_addr_t end = ALIGN_DOWN(e->base + e->length, PAGE_SIZE);
		unsigned int j;

		if (e->type != BOOT_MEM_USABLE || e->base + e->length < e->base || s >= end)
			continue;
		for (j = nr_usable; j > 0 && usable[j - 1].start > s; j--)
			usable[j] = usable[j - 1];
		usable[j] = (struct reserved_range){ s, end, "usable" };
		nr_usable++;
	}
	for (unsigned int i = 1, out = 0; i <= nr_usable; i++) {
		if (i < nr_usable && usable[i].start <= usable[out].end) {
			usable[out].end = max(usable[out].end, usable[i].end);
			continue;
		}
		if (i == nr_usable) {
			nr_usable = out + 1;
			break;
		}
		usable[++out] = usable[i];
	}
}

/* A non-usable entry overlapping a usable one wins (Linux's e820
 * sanitising gives the more restrictive type the overlap too). */
static void reserve_firmware_overlaps(const struct boot_info *bi)
{
	for (u32 i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_entry *e = &bi->mem[i];
		phys_addr_t end = e->base + e->length;

		if (e->type == BOOT_MEM_USABLE || end <= e->base)
			continue;
		for (unsigned int j = 0; j < nr_usable; j++) {
			if (usable[j].end <= e->base || usable[j].start >= end)
				continue;
			pr_warn("memory: map entry [%#llx-%#llx) type %u overlaps usable RAM, "
				"reserved\n", (unsigned long long)e->base,
				(unsigned long long)end, e->type);
			memory_reserve(max(e->base, usable[j].start),
				       min(end, usable[j].end), "firmware overlap");
		}
	}
}

void memory_init(const struct boot_info *bi)
{
	u64 total = 0;

	memory_reserve(0, LOW_RESERVED_END, "low memory");
	memory_reserve(kernel_image_start_phys(), kernel_image_end_phys(), "kernel");
	collect_usable(bi);
	reserve_firmware_overlaps(bi);
	for (unsigned int i = 0; i < nr_usable; i++)
		add_unreserved(usable[i].start, usable[i].end, 0);
	for (unsigned int i = 0; i < platform.nr_mem_ranges; i++) {
		const struct mem_range *r = &platform.mem[i];

		total += r->end - r->start;
		pr_info("memory: free [%#014llx-%#014llx) node %d\n",
			(unsigned long long)r->start, (unsigned long long)r->end, r->nid);
	}
	pr_info("memory: %llu MiB free in %u ranges\n",
		(unsigned long long)(total >> 20), platform.nr_mem_ranges);
}

/* No memory checker on bare metal: poisoning is a no-op (arch/memory.h). */
void arch_poison_range(const void *p, size_t n)
{
}

void arch_unpoison_range(const void *p, size_t n)
{
}

bool arch_poison_enabled(void)
{
	return false;
}
