/*
 * arch/x86_64/memory.c - free RAM for the page allocator: platform.mem.
 *
 * Layer: arch/x86_64. Provides: memory_reserve(), memory_init().
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

#define MAX_RESERVED	64
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

void memory_init(const struct boot_info *bi)
{
	u64 total = 0;

	memory_reserve(0, LOW_RESERVED_END, "low memory");
	memory_reserve(kernel_image_start_phys(), kernel_image_end_phys(), "kernel");
	for (u32 i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_entry *e = &bi->mem[i];

		if (e->type != BOOT_MEM_USABLE || e->base + e->length < e->base)
			continue;
		add_unreserved(ALIGN_UP(e->base, PAGE_SIZE),
			       ALIGN_DOWN(e->base + e->length, PAGE_SIZE), 0);
	}
	for (unsigned int i = 0; i < platform.nr_mem_ranges; i++) {
		const struct mem_range *r = &platform.mem[i];

		total += r->end - r->start;
		pr_info("memory: free [%#014llx-%#014llx) node %d\n",
			(unsigned long long)r->start, (unsigned long long)r->end, r->nid);
	}
	pr_info("memory: %llu MiB free in %u ranges\n",
		(unsigned long long)(total >> 20), platform.nr_mem_ranges);
}
