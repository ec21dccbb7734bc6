/*
 * mm/show_mem.c - the `mem` and `numa` shell commands.
 *
 * Layer: mm. Provides: shell commands only. Reads counters without locks:
 * the numbers are a snapshot that may be a few pages stale.
 *
 * `numa` output is parsed by tests; its format is fixed:
 *   nodes N
 *   node <id> cpus <list, e.g. 0-1,4; "none"> present_mib <M> free_mib <F>
 *   distances
 *   <id>: d0 d1 ...
 */
#include <quire/mm.h>
#include <quire/mmzone.h>
#include <quire/platform.h>
#include <quire/printk.h>
#include <quire/shell.h>
#include <quire/errno.h>
#include "internal.h"

#define PAGES_TO_KIB(p)	((unsigned long)(p) << (PAGE_SHIFT - 10))
#define PAGES_TO_MIB(p)	((unsigned long)(p) >> (20 - PAGE_SHIFT))

static void print_mem_line(const char *what, unsigned long total, unsigned long free)
{
	cprintf("%-8s total %8lu KiB (%5lu MiB)  free %8lu KiB (%5lu MiB)  used %8lu KiB (%5lu MiB)\n",
		what, PAGES_TO_KIB(total), PAGES_TO_MIB(total), PAGES_TO_KIB(free),
		PAGES_TO_MIB(free), PAGES_TO_KIB(total - free), PAGES_TO_MIB(total - free));
}

static void print_free_areas(int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);

	cprintf("  node %d free blocks by order:", nid);
	for (int o = 0; o <= MAX_ORDER; o++)
		cprintf(" %lu", READ_ONCE(pgdat->free_area[o].nr_free));
	cprintf("\n  node %d slab %lu KiB, large kmalloc %lu KiB\n", nid,
		PAGES_TO_KIB(node_page_state(pgdat, NR_SLAB_PAGES)),
		PAGES_TO_KIB(node_page_state(pgdat, NR_KMALLOC_LARGE)));
}

static int cmd_mem(int argc, char **argv)
{
	if (argc != 1) {
		shell_error(argv[0], "takes no arguments");
		return -EINVAL;
	}
	print_mem_line("all", totalram_pages(), nr_free_pages());
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		char name[16];

		scnprintf(name, sizeof(name), "node %u", nid);
		print_mem_line(name, NODE_DATA(nid)->managed_pages, nr_free_pages_node(nid));
		print_free_areas(nid);
	}
	slab_print_stats();
	return 0;
}
SHELL_COMMAND(mem, "mem", "mem", "memory: total, free, used per node; kmalloc caches",
	      cmd_mem);

/* Print the CPUs of node @nid as a list of ranges: "0-1,4", or "none". */
static void print_cpulist(int nid)
{
	bool any = false;

	for (unsigned int c = 0; c < num_possible_cpus(); c++) {
		unsigned int e = c;

		if (cpu_to_node(c) != nid)
			continue;
		while (e + 1 < num_possible_cpus() && cpu_to_node(e + 1) == nid)
			e++;
		cprintf(any ? ",%u" : "%u", c);
		if (e > c)
			cprintf("-%u", e);
		any = true;
		c = e;
	}
	if (!any)
		cprintf("none");
}

static int cmd_numa(int argc, char **argv)
{
	unsigned int n = num_online_nodes();

	if (argc != 1) {
		shell_error(argv[0], "takes no arguments");
		return -EINVAL;
	}
	cprintf("nodes %u\n", n);
	for (unsigned int nid = 0; nid < n; nid++) {
		cprintf("node %u cpus ", nid);
		print_cpulist(nid);
		cprintf(" present_mib %llu free_mib %lu\n",
			(unsigned long long)(platform.node_present_bytes[nid] >> 20),
			PAGES_TO_MIB(nr_free_pages_node(nid)));
	}
	cprintf("distances\n");
	for (unsigned int a = 0; a < n; a++) {
		cprintf("%u:", a);
		for (unsigned int b = 0; b < n; b++)
			cprintf(" %d", node_distance(a, b));
		cprintf("\n");
	}
	return 0;
}
SHELL_COMMAND(numa, "numa", "numa", "NUMA nodes: CPUs, memory, distances", cmd_numa);
