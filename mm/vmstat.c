/*
 * mm/vmstat.c - VM event counters and the `vmstat`, `free` and
 * `drop_caches` shell commands.
 *
 * Layer: mm. Provides: count_vm_events(), vm_event_count(), the names of
 * the counters as /proc/vmstat prints them, and the commands:
 *   vmstat         node counters summed over nodes, then events, one
 *                  "name value" per line (/proc/vmstat's format)
 *   vmstat -n      the node counters of each node under "node N"
 *                  (/sys/devices/system/node/nodeN/vmstat)
 *   free           total/used/free/buff-cache/available in KiB (free(1))
 *   drop_caches    drop clean page cache (vm.drop_caches=1)
 * Reads counters without locks: a snapshot.
 */
#include <quire/vmstat.h>
#include <quire/mmzone.h>
#include <quire/swap.h>
#include <quire/shell.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include "internal.h"

static unsigned long vm_events[NR_VM_EVENT_ITEMS];

void count_vm_events(enum vm_event_item item, unsigned long delta)
{
	__atomic_fetch_add(&vm_events[item], delta, __ATOMIC_RELAXED);
}

unsigned long vm_event_count(enum vm_event_item item)
{
	return __atomic_load_n(&vm_events[item], __ATOMIC_RELAXED);
}

/* Linux's /proc/vmstat names (nr_kmalloc_large is Quire's: Linux counts
 * large kmallocs in nr_slab_unreclaimable_B). */
static const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS] = {
	[NR_FREE_PAGES] = "nr_free_pages",
	[NR_FILE_PAGES] = "nr_file_pages",
	[NR_FILE_DIRTY] = "nr_dirty",
	[NR_WRITEBACK] = "nr_writeback",
	[NR_WRITTEN] = "nr_written",
	[NR_DIRTIED] = "nr_dirtied",
	[NR_THROTTLED_WRITTEN] = "nr_throttled_written",
	[NR_SLAB_PAGES] = "nr_slab_unreclaimable",
	[NR_KMALLOC_LARGE] = "nr_kmalloc_large",
	[NR_INACTIVE_FILE] = "nr_inactive_file",
	[NR_ACTIVE_FILE] = "nr_active_file",
	[NR_ISOLATED_FILE] = "nr_isolated_file",
	[NR_VMSCAN_WRITE] = "nr_vmscan_write",
	[NR_VMSCAN_IMMEDIATE] = "nr_vmscan_immediate_reclaim",
};

static const char *const vm_event_names[NR_VM_EVENT_ITEMS] = {
	[PGACTIVATE] = "pgactivate",
	[PGDEACTIVATE] = "pgdeactivate",
	[PGREFILL] = "pgrefill",
	[PGROTATED] = "pgrotated",
	[PGSCAN_KSWAPD] = "pgscan_kswapd",
	[PGSCAN_DIRECT] = "pgscan_direct",
	[PGSTEAL_KSWAPD] = "pgsteal_kswapd",
	[PGSTEAL_DIRECT] = "pgsteal_direct",
	[ALLOCSTALL] = "allocstall_normal",
	[PAGEOUTRUN] = "pageoutrun",
	[DROP_PAGECACHE] = "drop_pagecache",
};

const char *node_stat_name(int item)
{
	return item >= 0 && item < NR_VM_NODE_STAT_ITEMS ? node_stat_names[item] : "?";
}

const char *vm_event_name(enum vm_event_item item)
{
	return item < NR_VM_EVENT_ITEMS ? vm_event_names[item] : "?";
}

static void print_node_stats(int nid)
{
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++) {
		unsigned long v = nid < 0 ? global_node_page_state(i) :
					    node_page_state(NODE_DATA(nid), i);

		cprintf("%s %lu\n", node_stat_names[i], v);
	}
}

static int cmd_vmstat(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "-n")) {
		for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
			pg_data_t *pgdat = NODE_DATA(nid);

			cprintf("node %u\n", nid);
			print_node_stats(nid);
			cprintf("watermark_min %lu\nwatermark_low %lu\nwatermark_high %lu\n",
				pgdat->watermark[WMARK_MIN], pgdat->watermark[WMARK_LOW],
				pgdat->watermark[WMARK_HIGH]);
			cprintf("nr_writeback_throttled %d\nkswapd_failures %d\n",
				atomic_read(&pgdat->nr_writeback_throttled),
				READ_ONCE(pgdat->kswapd_failures));
		}
		return 0;
	}
	if (argc != 1) {
		shell_error(argv[0], "usage: vmstat [-n]");
		return -EINVAL;
	}
	print_node_stats(-1);
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		cprintf("%s %lu\n", vm_event_names[i], vm_event_count(i));
	return 0;
}
SHELL_COMMAND(vmstat, "vmstat", "vmstat [-n]",
	      "VM counters by /proc/vmstat names; -n: per NUMA node", cmd_vmstat);

#define K(pages) ((unsigned long)(pages) << (PAGE_SHIFT - 10))

/* Linux's si_mem_available(): free above the reserves, plus the page
 * cache that could go without dropping below the low watermarks. */
static unsigned long mem_available(void)
{
	unsigned long wmark_low = 0, free = nr_free_pages(), file, avail;

	for (unsigned int nid = 0; nid < num_online_nodes(); nid++)
		wmark_low += NODE_DATA(nid)->watermark[WMARK_LOW];
	file = global_node_page_state(NR_ACTIVE_FILE) +
	       global_node_page_state(NR_INACTIVE_FILE);
	avail = free > wmark_low ? free - wmark_low : 0;
	avail += file - min(file / 2, wmark_low);
	return avail;
}

static int cmd_free(int argc, char **argv)
{
	unsigned long total = totalram_pages(), free = nr_free_pages();
	unsigned long cache = global_node_page_state(NR_FILE_PAGES);
	unsigned long used = total > free + cache ? total - free - cache : 0;

	if (argc != 1) {
		shell_error(argv[0], "takes no arguments");
		return -EINVAL;
	}
	cprintf("               total        used        free      shared  buff/cache   available\n");
	cprintf("Mem:    %12lu%12lu%12lu%12lu%12lu%12lu\n", K(total), K(used), K(free),
		0UL, K(cache), K(mem_available()));
	cprintf("Swap:   %12lu%12lu%12lu\n", 0UL, 0UL, 0UL);
	return 0;
}
SHELL_COMMAND(free, "free", "free", "memory in KiB as free(1): total, used, free, cache",
	      cmd_free);

static int cmd_drop_caches(int argc, char **argv)
{
	unsigned int what = 1;

	if (argc > 2 ||
	    (argc == 2 && (kstrtouint(argv[1], 10, &what) || what < 1 || what > 3))) {
		shell_error(
			argv[0],
			"usage: drop_caches [1|2|3] (1: page cache, 2: slab, 3: both)");
		return -EINVAL;
	}
	/* 2 (slab objects) has nothing to drop: kmalloc caches keep no
	 * reclaimable objects. */
	cprintf("drop_caches: freed %lu page-cache pages\n",
		what & 1 ? drop_pagecache() : 0);
	return 0;
}
SHELL_COMMAND(drop_caches, "drop_caches", "drop_caches [1|2|3]",
	      "drop clean page cache (as vm.drop_caches=1)", cmd_drop_caches);
