/*
 * mm/internal.h - what the mm/ files share and nobody else needs.
 */
#ifndef MM_INTERNAL_H
#define MM_INTERNAL_H

#include <quire/mmzone.h>
#include <quire/smp.h>

/* Set up kmalloc's caches; mm_init() calls it after the buddy allocator. */
void slab_init(void);
/* Print kmalloc's per-class usage (the `mem` command). */
void slab_print_stats(void);

/* Frees rejected as bad (double free, foreign pointer, wrong order) since
 * boot; the tests check it moves. */
extern unsigned long mm_bad_frees;
/* Tests that free badly on purpose add how many here first: those get
 * their log line but no WARN stack trace (whose addresses vary per run). */
extern int mm_bad_frees_expected;
/* Count and log one refused free of @addr; WARNs the first time. */
void mm_report_bad_free(const void *addr, const char *reason);

/* A node that is online and holds memory managed by the buddy allocator. */
static inline bool node_has_memory(int nid)
{
	return nid >= 0 && nid < (int)num_online_nodes() &&
	       NODE_DATA(nid)->managed_pages > 0;
}

/* Check the buddy invariants BUD1-BUD4 of node @nid (mm/page_alloc.c);
 * 0 or a negative code, logged. */
int check_node_invariants(int nid);
/* Check SLAB1 and SLAB2 of mm/slab.c on every cache and node (partial
 * slabs, and the counters that account for the full ones): 0, or
 * -EUCLEAN with one log line naming the broken invariant. Context: any;
 * takes each node lock of each cache. */
int slab_check_invariants(void);
/* The same for the one slab @page, which nobody else may touch (tests). */
int slab_check_slab_page(struct page *page);
/* kmalloc objects handed out and not yet freed, all caches and nodes. */
unsigned long kmalloc_objects_in_use(void);

/* The CPUs of node @nid as "0-1,4" ("none" if it has none); the `numa`
 * command's format (mm/show_mem.c). Returns the length written. */
int node_cpulist_scnprintf(char *buf, size_t size, const int *cpu_node,
			   unsigned int nr_cpus, int nid);

/* The node of the calling CPU, always a valid node id. */

#endif
