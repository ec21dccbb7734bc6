/*
 * mm/internal.h - what the mm/ files share and nobody else needs.
 */
#ifndef MM_INTERNAL_H
#define MM_INTERNAL_H

#include <quire/mmzone.h>

/* Set up kmalloc's caches; mm_init() calls it after the buddy allocator. */
void slab_init(void);
/* Print kmalloc's per-class usage (the `mem` command). */
void slab_print_stats(void);

/* Frees rejected as bad (double free, foreign pointer, wrong order) since
 * boot; the tests check it moves. */
extern unsigned long mm_bad_frees;

/* A node that is online and holds memory managed by the buddy allocator. */
static inline bool node_has_memory(int nid)
{
	return nid >= 0 && nid < (int)num_online_nodes() &&
	       NODE_DATA(nid)->managed_pages > 0;
}

/* The node of the calling CPU, always a valid node id. */
int numa_node_id(void);

#endif
