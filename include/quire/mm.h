/*
 * include/quire/mm.h - physical pages: the page allocator's interface.
 *
 * Layer: mm. Implemented by mm/page_alloc.c.
 * Each NUMA node has a pg_data_t (include/quire/mmzone.h) with a buddy
 * allocator over that node's free pages. alloc_pages() can fail: it returns
 * NULL and the caller handles -ENOMEM. See docs/mm.md.
 */
#ifndef QUIRE_MM_H
#define QUIRE_MM_H

#include <quire/compiler.h>
#include <quire/gfp.h>
#include <quire/list.h>
#include <arch/memory.h>

#define MAX_ORDER	10	/* largest block: 2^10 pages = 4 MiB */

struct address_space;

/* page->flags bits. The node id lives in the top byte (PG_NODE_SHIFT). */
enum pageflags {
	PG_reserved,	/* not managed by the allocator (hole, mem_map, kernel) */
	PG_buddy,	/* head of a free block on a free_area list; order valid */
	PG_slab,	/* owned by kmalloc's slab (private: its cache) */
	PG_large_kmalloc, /* head of a kmalloc() too big for a size class */
	/* Page cache (Linux's names; include/quire/pagemap.h). */
	PG_locked,     /* folio_lock(): I/O or a state change in progress */
	PG_dirty,      /* newer than the disk; DIRTY tag in the mapping */
	PG_writeback,  /* being written; WRITEBACK tag in the mapping */
	PG_uptodate,   /* contents valid (read or fully written) */
	PG_error,      /* the last I/O on it failed */
	PG_reclaim,    /* reclaim wants it freed once writeback ends */
	PG_referenced, /* accessed since reclaim last looked (LRU aging) */
	PG_active,     /* on the node's active file LRU, not the inactive */
	PG_lru,	       /* on one of the node's LRU lists (page->lru) */
	PG_waiters,    /* a task sleeps in folio_wait_bit() on this page */
	NR_PAGEFLAGS,
};
#define PG_NODE_SHIFT	56	/* flags >> PG_NODE_SHIFT = node id */

/* One per page frame (Linux's struct page, much smaller). */
struct page {
	unsigned long flags;		/* PG_* bits; node id in the top byte */
	struct list_head lru;		/* buddy free list / owner's list */
	unsigned int order;		/* buddy order while free or as a head page */
	int refcount;			/* 0 while free; 1 from alloc_pages() */
	void *private;			/* owner's use (slab cache, page cache) */
	union {
		struct {		/* page cache */
			struct address_space *mapping;	/* owner, or NULL */
			unsigned long index;		/* page index in mapping */
		};
		struct {		/* slab (PG_slab), under the cache node lock */
			void *freelist;			/* first free object */
			unsigned short inuse;		/* objects handed out */
			unsigned short objects;		/* objects in this slab */
		};
	};
};

/*
 * A folio, Linux's name for "one or more pages that the page cache handles
 * as a unit". In Quire a folio is always exactly one page (order 0): the
 * page cache never allocates large folios. struct folio overlays struct
 * page field by field so Linux's code shape (folio->mapping, folio->index,
 * folio->flags) reads the same; page_folio()/&folio->page convert.
 */
struct folio {
	union {
		struct {
			unsigned long flags;
			struct list_head lru;
			unsigned int order;
			int refcount;
			void *private;
			struct address_space *mapping;
			unsigned long index;
		};
		struct page page;
	};
};
_Static_assert(__builtin_offsetof(struct folio, mapping) ==
		       __builtin_offsetof(struct page, mapping),
	       "folio/page layout");
_Static_assert(__builtin_offsetof(struct folio, index) ==
		       __builtin_offsetof(struct page, index),
	       "folio/page layout");
_Static_assert(__builtin_offsetof(struct folio, private) ==
		       __builtin_offsetof(struct page, private),
	       "folio/page layout");
_Static_assert(sizeof(struct folio) == sizeof(struct page), "folio/page size");

static inline struct folio *page_folio(struct page *page)
{
	return (struct folio *)page;
}

static inline unsigned long folio_nr_pages(const struct folio *folio)
{
	return 1;
}

/*
 * Flag bits are updated atomically (Linux's SetPageDirty is set_bit()): an
 * owner may change its bits (PG_dirty, PG_slab, ...) while the buddy
 * allocator on another CPU reads this page's PG_buddy as a merge candidate.
 */
static inline bool page_test_flag(const struct page *page, enum pageflags f)
{
	return __atomic_load_n(&page->flags, __ATOMIC_RELAXED) & BIT(f);
}

static inline void page_set_flag(struct page *page, enum pageflags f)
{
	__atomic_fetch_or(&page->flags, BIT(f), __ATOMIC_RELAXED);
}

static inline void page_clear_flag(struct page *page, enum pageflags f)
{
	__atomic_fetch_and(&page->flags, ~BIT(f), __ATOMIC_RELAXED);
}

static inline bool PageSlab(const struct page *page)
{
	return page_test_flag(page, PG_slab);
}

static inline bool PageBuddy(const struct page *page)
{
	return page_test_flag(page, PG_buddy);
}

static inline bool PageReserved(const struct page *page)
{
	return page_test_flag(page, PG_reserved);
}

/* Allocate 2^@order contiguous pages, preferring node @nid (NUMA_NO_NODE:
 * the caller's node). Falls back to other nodes by increasing distance
 * unless __GFP_THISNODE. NULL when no memory (logged unless __GFP_NOWARN).
 * The head page has refcount 1 and page->order == @order.
 * Context: any with GFP_ATOMIC (takes the node lock with irqsave). */
struct page *alloc_pages(int nid, unsigned int order, gfp_t flags);
/* Drop a reference to a block from alloc_pages(); at zero it returns to the
 * buddy lists. @order must be the allocation's order. A free page, a tail
 * page or a wrong order is a WARN and nothing is changed. Context: any. */
void __free_pages(struct page *page, unsigned int order);
static inline struct page *alloc_page(gfp_t flags)
{
	return alloc_pages(-1, 0, flags);
}
static inline void free_page_struct(struct page *page)
{
	__free_pages(page, 0);
}

/* Take another reference on an allocated page (page cache). */
void get_page(struct page *page);
/* Drop one; the last frees the block with its recorded order. */
void put_page(struct page *page);

void *page_address(const struct page *page);
/* The struct page of a direct-mapped address, or NULL if @addr is not in
 * any node's managed span. */
struct page *virt_to_page(const void *addr);
phys_addr_t page_to_phys(const struct page *page);
unsigned long page_to_pfn(const struct page *page);
struct page *pfn_to_page(unsigned long pfn);
int page_to_nid(const struct page *page);

/* Whole-address helpers. */
void *__get_free_pages(gfp_t flags, unsigned int order);
void free_pages(void *addr, unsigned int order);

/* Smallest order whose block holds @size bytes (may exceed MAX_ORDER;
 * at most 52 for the largest size_t). */
static inline unsigned int get_order(size_t size)
{
	unsigned int order = 0;

	while (order < 64 - PAGE_SHIFT && (PAGE_SIZE << order) < size)
		order++;
	return order;
}

/* Free pages on node @nid, and in all. */
unsigned long nr_free_pages_node(int nid);
unsigned long nr_free_pages(void);
/* Pages handed to the allocator at boot (managed), all nodes. */
unsigned long totalram_pages(void);

/* Set up the page allocator from platform.mem; called by start_kernel(). */
void mm_init(void);

#endif
