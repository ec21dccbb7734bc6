/*
 * include/quire/vmstat.h - global VM event counters (Linux's enum
 * vm_event_item and count_vm_event()), printed by the `vmstat` command
 * under /proc/vmstat's names.
 *
 * Layer: mm. Implemented by mm/vmstat.c. Per-node page counts are in
 * <quire/mmzone.h> (node_page_state()); these are events since boot.
 * Counted with relaxed atomic adds, read without locks: a snapshot.
 */
#ifndef QUIRE_VMSTAT_H
#define QUIRE_VMSTAT_H

#include <quire/compiler.h>

enum vm_event_item {
	PGACTIVATE,	/* folios moved to the active list */
	PGDEACTIVATE,	/* folios moved from active to inactive */
	PGREFILL,	/* active folios scanned for aging */
	PGROTATED,	/* PG_reclaim folios rotated to the inactive tail */
	PGSCAN_KSWAPD,	/* inactive folios scanned by kswapd */
	PGSCAN_DIRECT,	/* ... by direct reclaim */
	PGSTEAL_KSWAPD, /* folios freed by kswapd */
	PGSTEAL_DIRECT, /* ... by direct reclaim */
	ALLOCSTALL,	/* allocations that entered direct reclaim */
	PAGEOUTRUN,	/* kswapd balancing runs (balance_pgdat) */
	DROP_PAGECACHE, /* `drop_caches` runs */
	NR_VM_EVENT_ITEMS,
};

void count_vm_events(enum vm_event_item item, unsigned long delta);
static inline void count_vm_event(enum vm_event_item item)
{
	count_vm_events(item, 1);
}
unsigned long vm_event_count(enum vm_event_item item);

/* /proc/vmstat's name of a node counter / an event ("nr_dirty"). */
const char *node_stat_name(int item);
const char *vm_event_name(enum vm_event_item item);

#endif
