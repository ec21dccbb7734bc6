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

/* Write the CPUs c < @nr_cpus with cpu_node[c] == @nid into @buf as ranges,
 * "0-1,4", or "none"; returns the length (scnprintf's). */
int node_cpulist_scnprintf(char *buf, size_t size, const int *cpu_node,
			   unsigned int nr_cpus, int nid)
{
	int len = 0;

	for (unsigned int c = 0; c < nr_cpus; c++) {
		unsigned int e = c;

		if (cpu_node[c] != nid)
			continue;
		while (e + 1 < nr_cpus && cpu_node[e + 1] == nid)
			e++;
		len += scnprintf(buf + len, size - len, "%s%u", len ? "," : "", c);
		if (e > c)
			len += scnprintf(buf + len, size - len, "-%u", e);
		c = e;
	}
	if (!len)
		len = scnprintf(buf, size, "none");
	return len;
}

static int cmd_numa(int argc, char **argv)
{
	unsigned int n = num_online_nodes();
	char cpus[4 * MAX_CPUS];	/* worst case "0,2,4,...,62" */

	if (argc != 1) {
		shell_error(argv[0], "takes no arguments");
		return -EINVAL;
	}
	cprintf("nodes %u\n", n);
	for (unsigned int nid = 0; nid < n; nid++) {
		node_cpulist_scnprintf(cpus, sizeof(cpus), platform.cpu_node,
				       min(num_possible_cpus(), (unsigned int)MAX_CPUS), nid);
		cprintf("node %u cpus %s present_mib %llu free_mib %lu\n", nid, cpus,
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
