/*
 * mm/slab.c - kmalloc(): small objects from power-of-two size classes.
 *
 * Layer: mm. Used by: everything. Provides: kmalloc(), kmalloc_node(),
 * kzalloc(), kcalloc(), kfree(), ksize(); for the leak check (kernel/ktest.c)
 * mm_usage_snapshot(), mm_usage_grew(), kmalloc_print_new_objects().
 *
 * A request up to KMALLOC_MAX_CACHE_SIZE goes to the cache of the smallest
 * power of two that holds it (kmalloc-8 .. kmalloc-2048). A cache keeps, per
 * node, a list of partial slabs: single pages cut into equal objects, free
 * objects chained through their first word (page->freelist). Full slabs are
 * on no list; an empty slab goes back to the buddy allocator unless it is
 * the node's last partial slab. Bigger requests take whole pages from
 * alloc_pages() (PG_large_kmalloc). kfree() finds the owner by
 * virt_to_page(): PG_slab -> page->private is the cache.
 *
 * Invariants (SLAB1, SLAB2 checked by slab_check_invariants(), after each
 * step of the kmalloc tests):
 *  SLAB1: a slab page is PG_slab, private = its cache, and 0 <= inuse <=
 *      objects; it is on its node's partial list iff 0 < objects - inuse,
 *      or it is the node's only empty slab.
 *  SLAB2: page->freelist chains exactly objects - inuse distinct objects of
 *      that page, each at a multiple of the cache's stride.
 *  SLAB3: (poisoning builds, arch_poison_enabled()) a free object is poisoned
 *      whole, its free pointer included (the allocator reaches that word
 *      through get_freepointer()/set_freepointer() only); an allocated
 *      object of a kmalloc(n) is unpoisoned for its first n bytes, the
 *      rest of its stride (the redzone) stays poisoned; ksize() unpoisons
 *      the whole size class. The stride is the size class, or when
 *      poisoning max(2 * size, 32): every object then has a redzone of at
 *      least 16 bytes, power-of-two objects stay naturally aligned, and
 *      the redzone's last 16 bytes hold the object's kmalloc_track (who
 *      allocated it, and when), which names a leaked object.
 * kfree() checks SLAB2 before pushing (offset alignment and not already on
 * the freelist), so a double free is a WARN and changes nothing.
 *
 * Locking: kmem_cache_node.lock (irqsave) guards its partial list, its
 * counters and the freelist/inuse of its slabs. It is never held across
 * alloc_pages()/__free_pages() (the buddy's pgdat->lock nests inside no
 * slab lock, nor the reverse).
 */
#include <quire/slab.h>
#include <quire/mm.h>
#include <quire/mmzone.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include <arch/memory.h>
#include "internal.h"

#define BITS_PER_LONG_SLAB (8 * sizeof(unsigned long))

struct kmem_cache_node {
	spinlock_t lock;		/* guards all below and its slabs' freelists */
	struct list_head partial;	/* slabs with a free object (SLAB1) */
	unsigned long nr_slabs;		/* slabs on this node, partial or full */
	unsigned long nr_inuse;		/* objects handed out */
	unsigned long nr_allocs;	/* kmalloc() calls served since boot */
};

struct kmem_cache {
	char name[16];			/* "kmalloc-64" */
	unsigned int size;		/* object size, a power of two */
	unsigned int stride;		/* object to next object: size, or see SLAB3 */
	unsigned int objects;		/* objects per slab (one page) */
	struct kmem_cache_node node[MAX_NUMNODES];
};

static struct kmem_cache kmalloc_caches[NR_KMALLOC_CACHES];
static bool slab_ready;

/* Poisoning builds (SLAB3): at the end of each object's redzone. */
struct kmalloc_track {
	unsigned long caller; /* return address into kmalloc()'s caller */
	u64 seq;	      /* kmalloc_seq at allocation; 0 while free */
};
static bool slab_track; /* arch_poison_enabled(): tracks exist */
static u64 kmalloc_seq; /* allocations tracked since boot */

void slab_init(void)
{
	for (int i = 0; i < NR_KMALLOC_CACHES; i++) {
		struct kmem_cache *s = &kmalloc_caches[i];

		s->size = 1U << (i + KMALLOC_SHIFT_LOW);
		s->stride = arch_poison_enabled() ? max(2 * s->size, 32u) :
						    s->size; /* SLAB3 */
		s->objects = PAGE_SIZE / s->stride;
		scnprintf(s->name, sizeof(s->name), "kmalloc-%u", s->size);
		for (int nid = 0; nid < MAX_NUMNODES; nid++) {
			spin_lock_init(&s->node[nid].lock);
			INIT_LIST_HEAD(&s->node[nid].partial);
		}
	}
	slab_track = arch_poison_enabled();
	slab_ready = true;
}

static struct kmem_cache *kmalloc_cache(size_t size)
{
	return &kmalloc_caches[kmalloc_index(size)];
}

static bool is_kmalloc_cache(const void *p)
{
	const struct kmem_cache *s = p;

	return s >= kmalloc_caches && s < kmalloc_caches + NR_KMALLOC_CACHES;
}

/* The free pointer is a free object's first word (SLAB2). Free objects are
 * poisoned whole (SLAB3): these lift the poison for that word alone while the
 * allocator reads or writes it. Under the node's lock. */
static void *get_freepointer(const void *obj)
{
	void *next;

	arch_unpoison_range(obj, sizeof(void *));
	next = *(void *const *)obj;
	arch_poison_range(obj, sizeof(void *));
	return next;
}

static void set_freepointer(void *obj, void *next)
{
	arch_unpoison_range(obj, sizeof(void *));
	*(void **)obj = next;
	arch_poison_range(obj, sizeof(void *));
}

/* Write @obj's kmalloc_track (SLAB3), inside its poisoned redzone. */
static void set_track(const struct kmem_cache *s, void *obj, unsigned long caller,
		      u64 seq)
{
	struct kmalloc_track *tr = (void *)((char *)obj + s->stride - sizeof(*tr));

	if (!slab_track)
		return;
	arch_unpoison_range(tr, sizeof(*tr));
	tr->caller = caller;
	WRITE_ONCE(tr->seq, seq);
	arch_poison_range(tr, sizeof(*tr));
}

static struct kmalloc_track get_track(const struct kmem_cache *s, const void *obj)
{
	const struct kmalloc_track *p =
		(const void *)((const char *)obj + s->stride - sizeof(*p));
	struct kmalloc_track tr;

	arch_unpoison_range(p, sizeof(*p));
	tr = *p;
	arch_poison_range(p, sizeof(*p));
	return tr;
}

/* Is @p a possible freelist entry of @page (SLAB2): NULL, or an object of
 * this slab? A free object's first word written by someone else (a use
 * after free) fails this check. */
static bool freelist_ptr_ok(const struct kmem_cache *s, struct page *page, const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)page_address(page);

	return !p || (off < s->objects * s->stride && off % s->stride == 0);
}

/* Pop one object from the first partial slab of @n; NULL if none. */
static void *alloc_from_partial(struct kmem_cache *s, struct kmem_cache_node *n)
{
	struct page *page;
	void *obj, *next;

	lockdep_assert_held(&n->lock);
	if (list_empty(&n->partial))
		return NULL;
	page = list_first_entry(&n->partial, struct page, lru);
	obj = page->freelist;
	next = get_freepointer(obj);
	if (!freelist_ptr_ok(s, page, next)) {
		/* Cut the freelist: the rest of the slab is lost, not reused. */
		pr_err("%s: freelist of slab %p corrupted at %p (next %p): use after free?\n",
		       s->name, page_address(page), obj, next);
		WARN_ON_ONCE(true);
		next = NULL;
		page->inuse = page->objects - 1;
	}
	page->freelist = next;
	page->inuse++;
	if (page->inuse == page->objects)
		list_del_init(&page->lru); /* full: off the list (SLAB1) */
	n->nr_inuse++;
	n->nr_allocs++;
	return obj;
}

static void *slab_alloc_partial(struct kmem_cache *s, int nid)
{
	struct kmem_cache_node *n = &s->node[nid];
	unsigned long flags;
	void *obj;

	spin_lock_irqsave(&n->lock, flags);
	obj = alloc_from_partial(s, n);
	spin_unlock_irqrestore(&n->lock, flags);
	return obj;
}

/* A fresh slab on node @nid only, then one object from it. */
static void *slab_alloc_new(struct kmem_cache *s, int nid, gfp_t flags)
{
	struct page *page = alloc_pages(nid, 0, (flags & ~__GFP_ZERO) |
					__GFP_THISNODE | __GFP_NOWARN);
	struct kmem_cache_node *n = &s->node[nid];
	char *base;
	unsigned long irqflags;
	void *obj;

	if (!page)
		return NULL;
	base = page_address(page);
	page_set_flag(page, PG_slab);
	page->private = s;
	page->objects = s->objects;
	page->inuse = 0;
	page->freelist = base;
	if (slab_track)
		memset(base, 0, PAGE_SIZE); /* every kmalloc_track: free (SLAB3) */
	for (unsigned int i = 0; i < s->objects; i++)
		*(void **)(base + i * s->stride) =
			i + 1 < s->objects ? base + (i + 1) * s->stride : NULL;
	arch_poison_range(base, PAGE_SIZE); /* every object free (SLAB3) */
	inc_node_page_state(NODE_DATA(nid), NR_SLAB_PAGES);
	spin_lock_irqsave(&n->lock, irqflags);
	n->nr_slabs++;
	list_add(&page->lru, &n->partial);
	obj = alloc_from_partial(s, n);
	spin_unlock_irqrestore(&n->lock, irqflags);
	return obj;
}

/* Node by node in fallback order: a partial slab, else a new one there. */
static void *slab_alloc(struct kmem_cache *s, int nid, gfp_t flags)
{
	unsigned int tries = (flags & __GFP_THISNODE) ? 1 : num_online_nodes();

	for (unsigned int i = 0; i < tries; i++) {
		int node = NODE_DATA(nid)->zonelist[i];
		void *obj = slab_alloc_partial(s, node);

		if (!obj)
			obj = slab_alloc_new(s, node, flags);
		if (obj)
			return obj;
	}
	if (!(flags & __GFP_NOWARN))
		pr_warn("kmalloc: %s: out of memory (node %d, gfp %#x)\n", s->name, nid,
			flags);
	return NULL;
}

static void *kmalloc_large(size_t size, gfp_t flags, int nid)
{
	unsigned int order = get_order(size);
	struct page *page;

	if (order > MAX_ORDER) {
		if (!(flags & __GFP_NOWARN))
			pr_warn("kmalloc: %zu bytes is more than the largest block\n", size);
		return NULL;
	}
	page = alloc_pages(nid, order, flags);
	if (!page)
		return NULL;
	page_set_flag(page, PG_large_kmalloc);
	mod_node_page_state(NODE_DATA(page_to_nid(page)), NR_KMALLOC_LARGE, 1L << order);
	/* The slack after @size is the redzone (SLAB3). */
	arch_poison_range((char *)page_address(page) + size, (PAGE_SIZE << order) - size);
	return page_address(page);
}

/* A fresh object of @s for a kmalloc(@size) from @caller: usable for @size
 * bytes, the rest of its stride poisoned as its redzone (SLAB3). */
static void *slab_post_alloc(struct kmem_cache *s, void *obj, size_t size, gfp_t flags,
			     unsigned long caller)
{
	arch_unpoison_range(obj, s->size);
	if (flags & __GFP_ZERO)
		memset(obj, 0, s->size);
	arch_poison_range((char *)obj + size, s->stride - size);
	if (slab_track)
		set_track(s, obj, caller,
			  __atomic_add_fetch(&kmalloc_seq, 1, __ATOMIC_RELAXED));
	return obj;
}

/* kmalloc_node() for @caller (each public entry passes its own). */
static void *__kmalloc_node(size_t size, gfp_t flags, int nid, unsigned long caller)
{
	void *obj;

	if (!size || !slab_ready)
		return NULL;
	if (nid == NUMA_NO_NODE)
		nid = numa_node_id();
	if (WARN_ON_ONCE(nid < 0 || nid >= (int)num_online_nodes()))
		return NULL;
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_large(size, flags, nid);
	obj = slab_alloc(kmalloc_cache(size), nid, flags);
	return obj ? slab_post_alloc(kmalloc_cache(size), obj, size, flags, caller) :
		     NULL;
}

#define CALLER ((unsigned long)__builtin_return_address(0))

void *kmalloc_node(size_t size, gfp_t flags, int nid)
{
	return __kmalloc_node(size, flags, nid, CALLER);
}

void *kmalloc(size_t size, gfp_t flags)
{
	return __kmalloc_node(size, flags, NUMA_NO_NODE, CALLER);
}

void *kzalloc(size_t size, gfp_t flags)
{
	return __kmalloc_node(size, flags | __GFP_ZERO, NUMA_NO_NODE, CALLER);
}

void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return __kmalloc_node(n * size, flags | __GFP_ZERO, NUMA_NO_NODE, CALLER);
}

/* Is @obj on @page's freelist already (a double free)? Under the lock. */
static bool object_is_free(struct page *page, const void *obj)
{
	unsigned int n = 0;

	for (void *p = page->freelist; p; p = get_freepointer(p)) {
		if (p == obj || WARN_ON_ONCE(++n > page->objects))
			return true;	/* a loop means corruption: refuse */
	}
	return false;
}

/* Push @obj back (SLAB2), poisoned (SLAB3); returns the slab if it must go to
 * the buddy. */
static struct page *__slab_free(struct kmem_cache *s, struct kmem_cache_node *n,
				struct page *page, void *obj)
{
	bool was_full = page->inuse == page->objects;

	lockdep_assert_held(&n->lock);
	arch_poison_range(obj, s->stride);
	set_track(s, obj, 0, 0); /* free: no owner (SLAB3) */
	set_freepointer(obj, page->freelist);
	page->freelist = obj;
	page->inuse--;
	n->nr_inuse--;
	if (page->inuse == 0 && !list_is_singular(&n->partial) && !was_full) {
		list_del_init(&page->lru);	/* empty, not the last partial */
		n->nr_slabs--;
		return page;
	}
	if (was_full)
		list_add(&page->lru, &n->partial);
	return NULL;
}

static void slab_free(struct page *page, const void *p)
{
	struct kmem_cache *s = page->private;
	struct kmem_cache_node *n;
	uintptr_t off = (uintptr_t)p - (uintptr_t)page_address(page);
	unsigned long flags;
	struct page *empty = NULL;
	int nid = page_to_nid(page);
	bool double_free;

	if (!is_kmalloc_cache(s) || off % s->stride || off >= s->objects * s->stride) {
		mm_report_bad_free(p, "not the start of a kmalloc object");
		return;
	}
	n = &s->node[nid];
	spin_lock_irqsave(&n->lock, flags);
	double_free = page->inuse == 0 || object_is_free(page, p);
	if (!double_free)
		empty = __slab_free(s, n, page, (void *)p);
	spin_unlock_irqrestore(&n->lock, flags);
	if (double_free)
		mm_report_bad_free(p, "kmalloc object already free (double free)");
	if (empty) {
		page_clear_flag(empty, PG_slab);
		dec_node_page_state(NODE_DATA(nid), NR_SLAB_PAGES);
		__free_pages(empty, 0);
	}
}

static void kfree_large(struct page *page)
{
	mod_node_page_state(NODE_DATA(page_to_nid(page)), NR_KMALLOC_LARGE,
			    -(1L << page->order));
	page_clear_flag(page, PG_large_kmalloc);
	__free_pages(page, page->order);
}

void kfree(const void *p)
{
	struct page *page;

	if (!p)
		return;
	page = virt_to_page(p);
	if (page && PageSlab(page))
		slab_free(page, p);
	else if (page && page_test_flag(page, PG_large_kmalloc) && p == page_address(page))
		kfree_large(page);
	else
		mm_report_bad_free(p, "not from kmalloc");
}

size_t ksize(const void *p)
{
	struct page *page;

	if (!p)
		return 0;
	page = virt_to_page(p);
	if (page && PageSlab(page) && is_kmalloc_cache(page->private)) {
		size_t size = ((struct kmem_cache *)page->private)->size;

		arch_unpoison_range(p, size); /* the caller may use it all (SLAB3) */
		return size;
	}
	if (page && page_test_flag(page, PG_large_kmalloc) && p == page_address(page)) {
		arch_unpoison_range(p, PAGE_SIZE << page->order);
		return PAGE_SIZE << page->order;
	}
	pr_err("ksize: %p is not a kmalloc object\n", p);
	return 0;
}

/* ---- checks ---- */

#define SLAB_CHECK_MAX_PARTIAL 1000000 /* a longer walk means a corrupt list */

static int slab_check_fail(const char *inv, const char *name, const void *slab,
			   const char *what, unsigned long a, unsigned long b)
{
	/* The physical address, not the pointer: on the host it is the arena
	 * offset, the same in every run (deterministic replay compares logs). */
	pr_err("slab: %s broken: %s slab at phys %#llx: %s (%lu, %lu)\n", inv, name,
	       (unsigned long long)__pa(slab), what, a, b);
	return -EUCLEAN;
}

/* SLAB1 (the page's own part) and SLAB2 for the slab @page of @s. Under
 * the node's lock, or on a slab nobody else can reach. */
static int slab_check_page(const struct kmem_cache *s, struct page *page)
{
	unsigned long seen[PAGE_SIZE / 8 / BITS_PER_LONG_SLAB] = {0};
	char *base = page_address(page);
	unsigned int nfree = 0;

	if (!PageSlab(page) || page->private != s || page->objects != s->objects ||
	    page->inuse > page->objects)
		return slab_check_fail("SLAB1", s->name, base, "flag, cache or counts",
				       page->inuse, page->objects);
	for (void *p = page->freelist; p; p = get_freepointer(p)) {
		unsigned long i = ((char *)p - base) / s->stride;

		if (!freelist_ptr_ok(s, page, p))
			return slab_check_fail(
				"SLAB2", s->name, base,
				"free object outside the slab or misaligned",
				(unsigned long)((char *)p - base), s->stride);
		if (seen[i / BITS_PER_LONG_SLAB] & (1UL << (i % BITS_PER_LONG_SLAB)))
			return slab_check_fail("SLAB2", s->name, base,
					       "object twice on the freelist", i, nfree);
		seen[i / BITS_PER_LONG_SLAB] |= 1UL << (i % BITS_PER_LONG_SLAB);
		nfree++;
	}
	if (nfree != (unsigned int)page->objects - page->inuse)
		return slab_check_fail("SLAB2", s->name, base,
				       "free objects != objects - inuse", nfree,
				       (unsigned long)page->objects - page->inuse);
	return 0;
}

int slab_check_slab_page(struct page *page)
{
	if (!PageSlab(page) || !is_kmalloc_cache(page->private))
		return slab_check_fail("SLAB1", "?", page_address(page),
				       "not a kmalloc slab", 0, 0);
	return slab_check_page(page->private, page);
}

/* Every partial slab of @s on node @nid, and the node's counters. */
static int slab_check_node(const struct kmem_cache *s, int nid)
{
	const struct kmem_cache_node *n = &s->node[nid];
	unsigned long partial = 0, inuse = 0;
	struct page *page;
	int err;

	list_for_each_entry(page, &n->partial, lru) {
		if (++partial > SLAB_CHECK_MAX_PARTIAL)
			return slab_check_fail("SLAB1", s->name, NULL,
					       "partial list loops", partial,
					       n->nr_slabs);
		err = slab_check_page(s, page);
		if (err)
			return err;
		if (page_to_nid(page) != nid || page->inuse == page->objects)
			return slab_check_fail("SLAB1", s->name, page_address(page),
					       "full or foreign slab on the partial list",
					       page_to_nid(page), page->inuse);
		inuse += page->inuse;
	}
	/* the full slabs are on no list: each holds objects in use */
	if (partial > n->nr_slabs ||
	    n->nr_inuse != inuse + (n->nr_slabs - partial) * s->objects)
		return slab_check_fail("SLAB1", s->name, NULL,
				       "nr_inuse disagrees with the slabs' inuse",
				       n->nr_inuse,
				       inuse + (n->nr_slabs - partial) * s->objects);
	return 0;
}

int slab_check_invariants(void)
{
	for (int i = 0; i < NR_KMALLOC_CACHES; i++) {
		for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
			struct kmem_cache *s = &kmalloc_caches[i];
			unsigned long flags;
			int err;

			spin_lock_irqsave(&s->node[nid].lock, flags);
			err = slab_check_node(s, nid);
			spin_unlock_irqrestore(&s->node[nid].lock, flags);
			if (err)
				return err;
		}
	}
	return 0;
}

unsigned long kmalloc_objects_in_use(void)
{
	unsigned long sum = 0;

	for (int i = 0; i < NR_KMALLOC_CACHES; i++)
		for (unsigned int nid = 0; nid < num_online_nodes(); nid++)
			sum += READ_ONCE(kmalloc_caches[i].node[nid].nr_inuse);
	return sum;
}

/* Print, for the slab page @page, each object tracked after @since and
 * not freed; returns how many, at most @max printed in all. */
static unsigned int print_new_objects_of(struct page *page, u64 since, unsigned int max)
{
	const struct kmem_cache *s = page->private;
	char *base = page_address(page);
	unsigned int n = 0;

	for (unsigned int i = 0; i < s->objects && n < max; i++) {
		struct kmalloc_track tr = get_track(s, base + i * s->stride);

		if (tr.seq <= since)
			continue;
		cprintf("    #   %s object allocated by %pS\n", s->name,
			(void *)tr.caller);
		n++;
	}
	return n;
}

unsigned int kmalloc_print_new_objects(const struct mm_usage *since, unsigned int max)
{
	unsigned int n = 0;

	if (!slab_track)
		return 0;
	for (unsigned int nid = 0; nid < num_online_nodes() && n < max; nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);

		for (unsigned long i = 0; i < pgdat->node_spanned_pages && n < max; i++) {
			struct page *page = &pgdat->node_mem_map[i];
			struct kmem_cache_node *cn;
			unsigned long flags;

			if (!PageSlab(page) || !is_kmalloc_cache(page->private))
				continue;
			cn = &((struct kmem_cache *)page->private)->node[nid];
			spin_lock_irqsave(&cn->lock, flags);
			if (PageSlab(page))
				n += print_new_objects_of(page, since->seq, max - n);
			spin_unlock_irqrestore(&cn->lock, flags);
		}
	}
	return n;
}

void mm_usage_snapshot(struct mm_usage *u)
{
	u->seq = __atomic_load_n(&kmalloc_seq, __ATOMIC_RELAXED);
	for (int i = 0; i < NR_KMALLOC_CACHES; i++) {
		u->objects[i] = 0;
		for (unsigned int nid = 0; nid < num_online_nodes(); nid++)
			u->objects[i] += READ_ONCE(kmalloc_caches[i].node[nid].nr_inuse);
	}
	u->pages = totalram_pages() - nr_free_pages() -
		   global_node_page_state(NR_SLAB_PAGES);
}

bool mm_usage_grew(const struct mm_usage *before, const struct mm_usage *now, char *buf,
		   size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < NR_KMALLOC_CACHES; i++)
		if (now->objects[i] > before->objects[i])
			len += scnprintf(buf + len, size - len, "%s%lu %s",
					 len ? ", " : "",
					 now->objects[i] - before->objects[i],
					 kmalloc_caches[i].name);
	if (now->pages > before->pages)
		len += scnprintf(buf + len, size - len, "%s%lu pages", len ? ", " : "",
				 now->pages - before->pages);
	return len > 0;
}

void slab_print_stats(void)
{
	cprintf("%-14s %8s %8s %10s %10s\n", "cache", "objsize", "slabs", "active",
		"total");
	for (int i = 0; i < NR_KMALLOC_CACHES; i++) {
		struct kmem_cache *s = &kmalloc_caches[i];
		unsigned long slabs = 0, inuse = 0;

		for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
			slabs += READ_ONCE(s->node[nid].nr_slabs);
			inuse += READ_ONCE(s->node[nid].nr_inuse);
		}
		cprintf("%-14s %8u %8lu %10lu %10lu\n", s->name, s->size, slabs, inuse,
			slabs * s->objects);
	}
	cprintf("%-14s %8s %8lu pages\n", "kmalloc-large", "-",
		global_node_page_state(NR_KMALLOC_LARGE));
}
