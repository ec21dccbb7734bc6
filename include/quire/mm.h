/*
 * include/quire/mm.h - physical pages: the page allocator's interface.
 *
 * Each NUMA node has a pg_data_t (include/quire/mmzone.h) with a buddy
 * allocator over that node's free pages. alloc_pages() can fail: it returns
 * NULL and the caller handles -ENOMEM.
 */
#ifndef QUIRE_MM_H
#define QUIRE_MM_H

#include <quire/compiler.h>
#include <quire/gfp.h>
#include <quire/list.h>
#include <arch/memory.h>

#define MAX_ORDER	10	/* largest block: 2^10 pages = 4 MiB */

/* One per page frame (Linux's struct page, much smaller). */
struct page {
	unsigned long flags;		/* PG_* bits; node id in the top byte */
	struct list_head lru;		/* buddy free list / owner's list */
	unsigned int order;		/* buddy order while free or as a head page */
	int refcount;			/* 0 while free */
	void *private;			/* owner's use (slab cache, page cache) */
	struct address_space *mapping;	/* page cache owner, or NULL */
	unsigned long index;		/* page index in mapping */
};

/* Allocate 2^@order contiguous pages, preferring node @nid (NUMA_NO_NODE:
 * the caller's node). Falls back to other nodes by distance unless
 * __GFP_THISNODE. NULL when no memory. Context: any with GFP_ATOMIC;
 * process otherwise. */
struct page *alloc_pages(int nid, unsigned int order, gfp_t flags);
void __free_pages(struct page *page, unsigned int order);
static inline struct page *alloc_page(gfp_t flags)
{
	return alloc_pages(-1, 0, flags);
}
static inline void free_page_struct(struct page *page)
{
	__free_pages(page, 0);
}

void *page_address(const struct page *page);
struct page *virt_to_page(const void *addr);
phys_addr_t page_to_phys(const struct page *page);
int page_to_nid(const struct page *page);

/* Whole-address helpers. */
void *__get_free_pages(gfp_t flags, unsigned int order);
void free_pages(void *addr, unsigned int order);

/* Free pages on node @nid, and in all. */
unsigned long nr_free_pages_node(int nid);
unsigned long nr_free_pages(void);
unsigned long totalram_pages(void);

/* Set up the page allocator from platform.mem; called by start_kernel(). */
void mm_init(void);

#endif
