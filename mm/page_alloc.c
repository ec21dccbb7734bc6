/*
 * mm/page_alloc.c - the buddy page allocator, one per NUMA node.
 *
 * Layer: mm. Used by: kmalloc (mm/slab.c), the page cache, drivers.
 * Provides: mm_init(), alloc_pages(), __free_pages(), get_page()/put_page(),
 * get_page_unless_zero(), put_page_testzero(), free_unref_page(),
 * the page <-> address conversions, nr_free_pages[_node](), totalram_pages().
 *
 * Each node (pg_data_t, include/quire/mmzone.h) has a struct page for every
 * pfn of its span (node_mem_map, carved from the node's own RAM at boot) and
 * free_area[0..MAX_ORDER] lists of free blocks. A block of order k starts at
 * a pfn aligned to 2^k; its buddy is at pfn ^ 2^k. Freeing merges a block
 * with its buddy while the buddy is free with the same order.
 *
 * Invariants (checked by check_node_invariants(), the `buddy` tests):
 *  BUD1: a page is PG_buddy iff it heads a block on free_area[page->order].
 *  BUD2: a free block lies entirely in managed (not PG_reserved) pages of
 *      its node, and its first pfn is aligned to 2^order.
 *  BUD3: vm_stat[NR_FREE_PAGES] == sum over orders of nr_free << order.
 *  BUD4: an allocated block's head has refcount >= 1 and order == its order;
 *      every other page of a free or allocated block has refcount 0 and is
 *      not PG_buddy. __free_pages() relies on BUD4 to reject bad frees.
 *  BUD5: (poisoning builds, arch_poison_enabled()) the memory of every free
 *      block is poisoned, so a use after free is reported at the access;
 *      alloc_pages() unpoisons the block it returns.
 *
 * Locking: pgdat->lock (irqsave: GFP_ATOMIC callers run in interrupts)
 * guards free_area[], and PG_buddy/order of the node's pages, and the
 * refcount of free blocks. An allocated block's refcount is atomic, as
 * Linux's page_ref_*() (get_page(), put_page() and their kin take no
 * lock: every page-cache lookup, write and end of I/O calls them, on every
 * CPU, and a node-wide lock there made them all queue behind each other);
 * the last put (refcount 1 -> 0, acquire-release) hands the block back
 * under the lock, and a reference is taken from 0 only by prep_new_page()
 * under the lock (get_page_unless_zero() never does). No other lock nests
 * inside it; it nests inside lru_lock (reclaim takes references of LRU
 * folios). mm_init() runs alone on the boot CPU.
 *
 * The slow path (docs/reclaim.md): pages come first from nodes that stay
 * above their min watermark; leaving a node below low wakes its kswapd;
 * when every node would go below min, the slow path wakes the kswapd of
 * every node below high (wake_all_kswapds()), and a caller that may sleep
 * reclaims page cache directly (try_to_free_pages()) before anything below
 * min is handed out. put_page() of the last reference to a folio still on
 * an LRU list takes it off its list first (mm/swap.c).
 */
#include <quire/mm.h>
#include <quire/mmzone.h>
#include <quire/platform.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/bug.h>
#include <quire/swap.h>
#include <arch/cpu.h>
#include <arch/memory.h>
#include "internal.h"

pg_data_t node_data[MAX_NUMNODES];
unsigned long mm_bad_frees;
int mm_bad_frees_expected;

/* platform.mem as whole pfns, checked by mm_init(): sorted, disjoint, on
 * valid nodes. Read-only after mm_init(); pfn_to_page() searches it. */
struct pfn_range {
	unsigned long start, end;	/* [start, end) */
	int nid;
};
static struct pfn_range mm_ranges[MAX_MEM_RANGES];
static unsigned int nr_mm_ranges;

#define PFN_UP(x)	(((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define PFN_DOWN(x)	((x) >> PAGE_SHIFT)

static unsigned long page_flags_for_node(int nid)
{
	return (unsigned long)nid << PG_NODE_SHIFT;
}

int page_to_nid(const struct page *page)
{
	return (int)(__atomic_load_n(&page->flags, __ATOMIC_RELAXED) >> PG_NODE_SHIFT);
}

unsigned long page_to_pfn(const struct page *page)
{
	pg_data_t *pgdat = NODE_DATA(page_to_nid(page));

	return pgdat->node_start_pfn + (unsigned long)(page - pgdat->node_mem_map);
}

phys_addr_t page_to_phys(const struct page *page)
{
	return (phys_addr_t)page_to_pfn(page) << PAGE_SHIFT;
}

void *page_address(const struct page *page)
{
	return __va(page_to_phys(page));
}

/* The range holding @pfn, by binary search; NULL in a hole. */
static const struct pfn_range *find_range(unsigned long pfn)
{
	unsigned int lo = 0, hi = nr_mm_ranges;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (pfn < mm_ranges[mid].start)
			hi = mid;
		else if (pfn >= mm_ranges[mid].end)
			lo = mid + 1;
		else
			return &mm_ranges[mid];
	}
	return NULL;
}

/* By range, not by node span: spans of nodes may interleave. */
struct page *pfn_to_page(unsigned long pfn)
{
	const struct pfn_range *r = find_range(pfn);
	pg_data_t *pgdat;

	if (!r)
		return NULL;
	pgdat = NODE_DATA(r->nid);
	if (!pgdat->node_mem_map || pfn < pgdat->node_start_pfn || pfn >= pgdat_end_pfn(pgdat))
		return NULL;
	return &pgdat->node_mem_map[pfn - pgdat->node_start_pfn];
}

struct page *virt_to_page(const void *addr)
{
	return pfn_to_page(PFN_DOWN(__pa(addr)));
}

/* Is @page a real element of some node's mem_map (not a stray pointer)? */
static bool page_is_valid(const struct page *page)
{
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);
		const struct page *map = pgdat->node_mem_map;

		if (!map || page < map || page >= map + pgdat->node_spanned_pages)
			continue;
		return ((uintptr_t)page - (uintptr_t)map) % sizeof(*page) == 0;
	}
	return false;
}

unsigned long global_node_page_state(enum node_stat_item item)
{
	unsigned long sum = 0;

	for (unsigned int nid = 0; nid < num_online_nodes(); nid++)
		sum += node_page_state(NODE_DATA(nid), item);
	return sum;
}

unsigned long nr_free_pages_node(int nid)
{
	if (nid < 0 || nid >= (int)num_online_nodes())
		return 0;
	return node_page_state(NODE_DATA(nid), NR_FREE_PAGES);
}

unsigned long nr_free_pages(void)
{
	return global_node_page_state(NR_FREE_PAGES);
}

unsigned long totalram_pages(void)
{
	unsigned long sum = 0;

	for (unsigned int nid = 0; nid < num_online_nodes(); nid++)
		sum += NODE_DATA(nid)->managed_pages;
	return sum;
}

/* ---- The buddy lists (all under pgdat->lock) ---- */

static void add_to_free_list(pg_data_t *pgdat, struct page *page, unsigned int order)
{
	page_set_flag(page, PG_buddy);
	page->order = order;
	list_add(&page->lru, &pgdat->free_area[order].free_list);
	pgdat->free_area[order].nr_free++;
}

static void del_from_free_list(pg_data_t *pgdat, struct page *page, unsigned int order)
{
	list_del(&page->lru);
	page_clear_flag(page, PG_buddy);
	pgdat->free_area[order].nr_free--;
}

/* Put the block at @pfn back, merging with free buddies (BUD1, BUD2). */
static void __free_one_page(pg_data_t *pgdat, unsigned long pfn, unsigned int order)
{
	unsigned long start = pgdat->node_start_pfn, end = pgdat_end_pfn(pgdat);

	lockdep_assert_held(&pgdat->lock);
	while (order < MAX_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy;

		if (buddy_pfn < start || buddy_pfn + (1UL << order) > end)
			break;
		buddy = &pgdat->node_mem_map[buddy_pfn - start];
		if (!PageBuddy(buddy) || buddy->order != order)
			break;
		del_from_free_list(pgdat, buddy, order);
		pfn &= buddy_pfn;
		order++;
	}
	add_to_free_list(pgdat, &pgdat->node_mem_map[pfn - start], order);
}

/* Take a block of @order, splitting a bigger one; NULL if none. */
static struct page *__rmqueue(pg_data_t *pgdat, unsigned int order)
{
	lockdep_assert_held(&pgdat->lock);
	for (unsigned int o = order; o <= MAX_ORDER; o++) {
		struct free_area *area = &pgdat->free_area[o];
		struct page *page;

		if (list_empty(&area->free_list))
			continue;
		page = list_first_entry(&area->free_list, struct page, lru);
		del_from_free_list(pgdat, page, o);
		while (o > order) {	/* give back the upper halves */
			o--;
			add_to_free_list(pgdat, page + (1UL << o), o);
		}
		return page;
	}
	return NULL;
}

static void prep_new_page(pg_data_t *pgdat, struct page *page, unsigned int order)
{
	__atomic_store_n(&page->flags, page_flags_for_node(pgdat->node_id), __ATOMIC_RELAXED);
	page->order = order;
	__atomic_store_n(&page->refcount, 1, __ATOMIC_RELAXED);
	page->private = NULL;
	page->mapping = NULL;
	page->index = 0;
	INIT_LIST_HEAD(&page->lru);
}

static struct page *rmqueue_node(int nid, unsigned int order)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	struct page *page;
	unsigned long flags;

	if (!pgdat->managed_pages)
		return NULL;
	spin_lock_irqsave(&pgdat->lock, flags);
	page = __rmqueue(pgdat, order);
	if (page) {
		prep_new_page(pgdat, page, order);
		mod_node_page_state(pgdat, NR_FREE_PAGES, -(1L << order));
	}
	spin_unlock_irqrestore(&pgdat->lock, flags);
	if (page)
		arch_unpoison_range(page_address(page), PAGE_SIZE << order); /* BUD5 */
	return page;
}

static void warn_alloc(int nid, unsigned int order, gfp_t flags)
{
	if (flags & __GFP_NOWARN)
		return;
	pr_warn("page allocation failure: order:%u node:%d gfp:%#x free:%lu pages\n",
		order, nid, flags, nr_free_pages());
}

/* Would taking 2^@order pages leave node @nid at or above its @mark
 * watermark? Nodes without memory never are. */
static bool node_watermark_ok(int nid, unsigned int order, enum zone_watermarks mark)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long free = node_page_state(pgdat, NR_FREE_PAGES);

	if (!pgdat->managed_pages)
		return false;
	return free >= (1UL << order) + READ_ONCE(pgdat->watermark[mark]);
}

/* One pass over the nodes @nid may use; @mark: leave each at or above that
 * watermark (NR_WMARK: take anything there is). */
static struct page *get_page_from_freelist(int nid, unsigned int order, gfp_t flags,
					   enum zone_watermarks mark)
{
	unsigned int n = (flags & __GFP_THISNODE) ? 1 : num_online_nodes();
	struct page *page = NULL;

	for (unsigned int i = 0; i < n && !page; i++) {
		int z = (flags & __GFP_THISNODE) ? nid : NODE_DATA(nid)->zonelist[i];

		if (mark != NR_WMARK && !node_watermark_ok(z, order, mark))
			continue;
		page = rmqueue_node(z, order);
	}
	return page;
}

/*
 * Linux's wake_all_kswapds(): the slow path wakes the kswapd of every node
 * the allocation may use that is not balanced (below high), not only the
 * node that ends up giving the page. A node below min is skipped by every
 * fast-path allocation, so nothing else would wake its kswapd again.
 */
static void wake_all_kswapds(int nid, unsigned int order, gfp_t flags)
{
	unsigned int n = (flags & __GFP_THISNODE) ? 1 : num_online_nodes();

	for (unsigned int i = 0; i < n; i++) {
		int z = (flags & __GFP_THISNODE) ? nid : NODE_DATA(nid)->zonelist[i];

		if (NODE_DATA(z)->managed_pages &&
		    !node_watermark_ok(z, order, WMARK_HIGH))
			wakeup_kswapd(z);
	}
}

/*
 * The allocator's slow path (docs/reclaim.md): no node could give the
 * block without going below its min watermark. Every such node's kswapd
 * is woken (wake_all_kswapds()). An allocation that may sleep reclaims
 * page cache directly first (one try_to_free_pages() round: other
 * allocators may take what it freed, and retrying while they do made each
 * allocation sleep for seconds under pressure); then any
 * allocation takes what there is, below min if it must: Quire has no OOM
 * killer, and a NULL is the caller's to handle.
 */
static struct page *__alloc_pages_slowpath(int nid, unsigned int order, gfp_t flags)
{
	struct page *page;

	wake_all_kswapds(nid, order, flags);
	if (gfp_may_direct_reclaim(flags)) {
		try_to_free_pages(nid, 1UL << order, flags);
		page = get_page_from_freelist(nid, order, flags, WMARK_MIN);
		if (page)
			return page;
	}
	return get_page_from_freelist(nid, order, flags, NR_WMARK);
}

struct page *alloc_pages(int nid, unsigned int order, gfp_t flags)
{
	struct page *page = NULL;
	unsigned int n = num_online_nodes();

	if (nid == NUMA_NO_NODE)
		nid = numa_node_id();
	if (WARN_ON_ONCE(nid < 0 || nid >= (int)n) || order > MAX_ORDER) {
		warn_alloc(nid, order, flags);
		return NULL;
	}
	page = get_page_from_freelist(nid, order, flags, WMARK_MIN);
	if (page) {
		if (!node_watermark_ok(page_to_nid(page), 0, WMARK_LOW))
			wakeup_kswapd(page_to_nid(page)); /* below low: balance it */
	} else {
		/* It woke every unbalanced node's kswapd already: one wake-up
		 * per allocation (two in a row could run kswapd twice). */
		page = __alloc_pages_slowpath(nid, order, flags);
	}
	if (!page) {
		warn_alloc(nid, order, flags);
		return NULL;
	}
	if (flags & __GFP_ZERO)
		memset(page_address(page), 0, PAGE_SIZE << order);
	return page;
}

/* Count and log a refused free (the lists were not touched); the first
 * unexpected one also WARNs with a stack trace. The address is logged as
 * physical (stable from run to run, unlike a host virtual address).
 * Context: any, no mm lock held. */
void mm_report_bad_free(const void *addr, const char *reason)
{
	struct page *page = virt_to_page(addr);
	bool bad_free = true;

	__atomic_fetch_add(&mm_bad_frees, 1, __ATOMIC_RELAXED);
	if (page)
		pr_err("mm: bad free of phys %#llx: %s\n", (unsigned long long)__pa(addr),
		       reason);
	else
		pr_err("mm: bad free of an address outside RAM: %s\n", reason);
	if (__atomic_load_n(&mm_bad_frees_expected, __ATOMIC_RELAXED) > 0)
		__atomic_fetch_sub(&mm_bad_frees_expected, 1, __ATOMIC_RELAXED);
	else
		WARN_ON_ONCE(bad_free);
}

/* Why freeing @page as a block of @order is illegal (BUD4), or NULL. On
 * an allocated block (the caller's reference) its fields are stable. */
static const char *free_check(struct page *page, unsigned int order)
{
	if (PageBuddy(page) || __atomic_load_n(&page->refcount, __ATOMIC_RELAXED) <= 0)
		return "page is free, or a tail page (double free?)";
	if (PageReserved(page))
		return "page is reserved";
	if (page->order != order || !IS_ALIGNED(page_to_pfn(page), 1UL << order))
		return "order differs from the allocation's";
	return NULL;
}

/* Return the block headed by @page (refcount already 0) to the buddy
 * lists. Under pgdat->lock. */
static void __free_block(pg_data_t *pgdat, struct page *page, unsigned int order)
{
	lockdep_assert_held(&pgdat->lock);
	__atomic_store_n(&page->flags, page_flags_for_node(pgdat->node_id),
			 __ATOMIC_RELAXED);
	page->private = NULL;
	page->mapping = NULL;
	arch_poison_range(page_address(page), PAGE_SIZE << order); /* BUD5 */
	__free_one_page(pgdat, page_to_pfn(page), order);
	mod_node_page_state(pgdat, NR_FREE_PAGES, 1L << order);
}

/*
 * Drop one reference to the block headed by @page (@order, or its recorded
 * order if @any_order). True when it was the last one: the block is left
 * with refcount 0 for the caller to take off its LRU list and free. A bad
 * put is reported and changes nothing.
 */
static bool put_block(struct page *page, unsigned int order, bool any_order)
{
	const char *bad;
	int old;

	if (!page || !page_is_valid(page)) {
		mm_report_bad_free(page, "not a struct page of any node");
		return false;
	}
	if (any_order)
		order = READ_ONCE(page->order);
	bad = free_check(page, order);
	/* never below 0: a put too many is reported, not counted */
	old = __atomic_load_n(&page->refcount, __ATOMIC_RELAXED);
	while (!bad) {
		if (old <= 0) {
			bad = "page is free, or a tail page (double free?)";
			break;
		}
		if (__atomic_compare_exchange_n(&page->refcount, &old, old - 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return old == 1;
	}
	mm_report_bad_free(page_address(page), bad);
	return false;
}

void __free_pages(struct page *page, unsigned int order)
{
	if (!put_block(page, order, false))
		return;
	if (page_test_flag(page, PG_lru)) /* a folio freed this way too */
		__page_cache_release(page_folio(page));
	free_unref_page(page);
}

bool put_page_testzero(struct page *page)
{
	return put_block(page, 0, true);
}

void free_unref_page(struct page *page)
{
	pg_data_t *pgdat = NODE_DATA(page_to_nid(page));
	unsigned long flags;

	spin_lock_irqsave(&pgdat->lock, flags);
	if (WARN_ON_ONCE(__atomic_load_n(&page->refcount, __ATOMIC_ACQUIRE) != 0 ||
			 PageBuddy(page)))
		goto out;
	__free_block(pgdat, page, page->order);
out:
	spin_unlock_irqrestore(&pgdat->lock, flags);
}

/*
 * The last put of a page-cache folio still on an LRU list takes it off the
 * list before the page goes back (Linux's __page_cache_release): reclaim
 * isolating it meanwhile finds the count at 0 and leaves it alone
 * (get_page_unless_zero), so it can never take a freed page.
 */
void put_page(struct page *page)
{
	if (!put_page_testzero(page))
		return;
	if (page_test_flag(page, PG_lru))
		__page_cache_release(page_folio(page));
	free_unref_page(page);
}

/* The caller holds a reference already: never from 0 (Linux's
 * page_ref_inc()). */
void get_page(struct page *page)
{
	WARN_ON_ONCE(__atomic_fetch_add(&page->refcount, 1, __ATOMIC_RELAXED) <= 0);
}

/* A reference unless the block is free or being freed (Linux's
 * page_ref_add_unless(page, 1, 0)): a free block's head and every tail
 * page have refcount 0 (BUD4). */
bool get_page_unless_zero(struct page *page)
{
	int old = __atomic_load_n(&page->refcount, __ATOMIC_RELAXED);

	do {
		if (old <= 0)
			return false;
	} while (!__atomic_compare_exchange_n(&page->refcount, &old, old + 1, false,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

/* Acquire: a caller that decides from the count that nobody else holds
 * the page (reclaim's __remove_mapping(), under the mapping's lock) must
 * see every access a holder made before its put_page() (release), as
 * Linux's folio_ref_freeze() (a fully ordered cmpxchg) does; relaxed,
 * reclaim cleared folio->mapping racing with a holder's read of it just
 * before its last put (ThreadSanitizer, reclaim_never_takes_a_held_folio,
 * one run in two). */
int page_ref_count(struct page *page)
{
	return __atomic_load_n(&page->refcount, __ATOMIC_ACQUIRE);
}

void *__get_free_pages(gfp_t flags, unsigned int order)
{
	struct page *page = alloc_pages(NUMA_NO_NODE, order, flags);

	return page ? page_address(page) : NULL;
}

void free_pages(void *addr, unsigned int order)
{
	struct page *page;

	if (!addr)
		return;
	page = virt_to_page(addr);
	if (!page || !IS_ALIGNED((uintptr_t)addr, PAGE_SIZE)) {
		mm_report_bad_free(addr, "not a page from the page allocator");
		return;
	}
	__free_pages(page, order);
}

/* ---- Boot: build each node from platform.mem ---- */

/* Span of node @nid's ranges, in pfns; false if it has none. */
static bool node_span(int nid, unsigned long *start, unsigned long *end,
		      unsigned long *present)
{
	*start = ~0UL;
	*end = 0;
	*present = 0;
	for (unsigned int i = 0; i < nr_mm_ranges; i++) {
		const struct pfn_range *r = &mm_ranges[i];

		if (r->nid != nid)
			continue;
		*start = min(*start, r->start);
		*end = max(*end, r->end);
		*present += r->end - r->start;
	}
	return *end > *start;
}

/* Carve node_mem_map from the first range of @nid big enough for it;
 * return the pfn range [*res_s, *res_e) it occupies. */
static int alloc_node_mem_map(pg_data_t *pgdat, unsigned long *res_s,
			      unsigned long *res_e)
{
	size_t bytes = pgdat->node_spanned_pages * sizeof(struct page);
	unsigned long need = PFN_UP(bytes);

	for (unsigned int i = 0; i < nr_mm_ranges; i++) {
		unsigned long s = mm_ranges[i].start, e = mm_ranges[i].end;

		if (mm_ranges[i].nid != pgdat->node_id || e - s <= need)
			continue;
		pgdat->node_mem_map = __va((phys_addr_t)s << PAGE_SHIFT);
		*res_s = s;
		*res_e = s + need;
		return 0;
	}
	return -1;
}

/* Give [s, e) to the buddy lists in the largest aligned blocks. */
static void free_range(pg_data_t *pgdat, unsigned long s, unsigned long e)
{
	for (unsigned long pfn = s; pfn < e; pfn++)
		page_clear_flag(&pgdat->node_mem_map[pfn - pgdat->node_start_pfn],
				PG_reserved);
	while (s < e) {
		unsigned int order = MAX_ORDER;

		while (order && (!IS_ALIGNED(s, 1UL << order) || s + (1UL << order) > e))
			order--;
		arch_poison_range(__va((phys_addr_t)s << PAGE_SHIFT),
				  PAGE_SIZE << order); /* BUD5 */
		__free_one_page(pgdat, s, order);
		pgdat->managed_pages += 1UL << order;
		mod_node_page_state(pgdat, NR_FREE_PAGES, 1L << order);
		s += 1UL << order;
	}
}

static void free_node_ranges(pg_data_t *pgdat, unsigned long res_s, unsigned long res_e)
{
	for (unsigned int i = 0; i < nr_mm_ranges; i++) {
		unsigned long s = mm_ranges[i].start, e = mm_ranges[i].end;

		if (mm_ranges[i].nid != pgdat->node_id)
			continue;
		if (res_s >= s && res_e <= e) {	/* the mem_map's own range */
			free_range(pgdat, s, res_s);
			s = res_e;
		}
		if (s < e)
			free_range(pgdat, s, e);
	}
}

static void init_node(int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long start, end, present, res_s, res_e, flags;

	pgdat->node_id = nid;
	spin_lock_init(&pgdat->lock);
	for (int i = 0; i < NR_VMSCAN_THROTTLE; i++)
		init_waitqueue_head(&pgdat->reclaim_wait[i]);
	atomic_set(&pgdat->nr_writeback_throttled, 0);
	spin_lock_init(&pgdat->lruvec.lru_lock);
	for (int l = 0; l < NR_LRU_LISTS; l++)
		INIT_LIST_HEAD(&pgdat->lruvec.lists[l]);
	init_waitqueue_head(&pgdat->kswapd_wait);
	for (int o = 0; o <= MAX_ORDER; o++) {
		INIT_LIST_HEAD(&pgdat->free_area[o].free_list);
		pgdat->free_area[o].nr_free = 0;
	}
	if (!node_span(nid, &start, &end, &present))
		return;
	pgdat->node_start_pfn = start;
	pgdat->node_spanned_pages = end - start;
	pgdat->node_present_pages = present;
	if (alloc_node_mem_map(pgdat, &res_s, &res_e)) {
		pr_err("mm: node %d: no range holds its mem_map (%lu pages); node unused\n",
		       nid, pgdat->node_spanned_pages);
		pgdat->node_spanned_pages = 0;
		return;
	}
	memset(pgdat->node_mem_map, 0, pgdat->node_spanned_pages * sizeof(struct page));
	for (unsigned long i = 0; i < pgdat->node_spanned_pages; i++)
		pgdat->node_mem_map[i].flags = page_flags_for_node(nid) | BIT(PG_reserved);
	spin_lock_irqsave(&pgdat->lock, flags);	/* for the asserts only */
	free_node_ranges(pgdat, res_s, res_e);
	spin_unlock_irqrestore(&pgdat->lock, flags);
}

/* zonelist: @nid first, then the others by distance (ties: next id up). */
static void build_zonelist(int nid)
{
	int *zl = NODE_DATA(nid)->zonelist;
	int n = (int)num_online_nodes();

	for (int i = 0; i < n; i++)
		zl[i] = (nid + i) % n;
	for (int i = 1; i < n; i++) {	/* insertion sort, stable */
		int v = zl[i], j = i;

		while (j > 1 && node_distance(nid, zl[j - 1]) > node_distance(nid, v)) {
			zl[j] = zl[j - 1];
			j--;
		}
		zl[j] = v;
	}
}

/* Take platform.mem range @r into mm_ranges[] if it is sound: whole pages
 * (never pfn 0: physical 0 would look like NULL to drivers), a valid node,
 * after the previous range. Anything else is logged and left out. */
static void add_mm_range(const struct mem_range *r)
{
	unsigned long s = max(PFN_UP(r->start), 1UL), e = PFN_DOWN(r->end);
	unsigned long prev_end = nr_mm_ranges ? mm_ranges[nr_mm_ranges - 1].end : 0;

	if (s >= e)
		return;		/* less than a page */
	if (r->nid < 0 || r->nid >= (int)platform.nr_nodes || s < prev_end) {
		pr_err("mm: memory %#llx-%#llx (node %d) %s; ignored\n",
		       (unsigned long long)r->start, (unsigned long long)r->end, r->nid,
		       s < prev_end ? "overlaps or is out of order" : "is on no such node");
		return;
	}
	mm_ranges[nr_mm_ranges++] = (struct pfn_range){ .start = s, .end = e, .nid = r->nid };
}

void mm_init(void)
{
	if (platform.nr_nodes == 0 || platform.nr_nodes > MAX_NUMNODES) {
		pr_err("mm: platform reports %u nodes; using 1\n", platform.nr_nodes);
		platform.nr_nodes = 1;
	}
	for (unsigned int i = 0; i < platform.nr_mem_ranges && i < MAX_MEM_RANGES; i++)
		add_mm_range(&platform.mem[i]);
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		init_node(nid);
		build_zonelist(nid);
	}
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++)
		pr_info("mm: node %u: pfn %#lx-%#lx, %lu pages managed, %lu free\n", nid,
			NODE_DATA(nid)->node_start_pfn, pgdat_end_pfn(NODE_DATA(nid)),
			NODE_DATA(nid)->managed_pages, nr_free_pages_node(nid));
	init_per_zone_wmark_min();
	slab_init();
}

/* ---- Invariant checker (tests; O(spanned pages)) ---- */

static int check_free_block(pg_data_t *pgdat, struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page);

	if (!PageBuddy(page) || page->order != order) /* BUD1 */
		return -1;
	if (!IS_ALIGNED(pfn, 1UL << order) || pfn + (1UL << order) > pgdat_end_pfn(pgdat))
		return -2; /* BUD2 */
	for (unsigned long i = 0; i < (1UL << order); i++) {
		if (PageReserved(page + i) ||
		    __atomic_load_n(&page[i].refcount, __ATOMIC_RELAXED)) /* BUD2, BUD4 */
			return -3;
		if (i && PageBuddy(page + i)) /* BUD4 */
			return -4;
	}
	return 0;
}

/* Verify BUD1-BUD4 on node @nid; 0, or a negative code naming the broken one
 * (also logged). Context: any; takes pgdat->lock. */
int check_node_invariants(int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long flags, free = 0, blocks = 0, buddies = 0;
	int err = 0;

	spin_lock_irqsave(&pgdat->lock, flags);
	for (unsigned int o = 0; o <= MAX_ORDER && !err; o++) {
		struct free_area *area = &pgdat->free_area[o];
		unsigned long n = 0;
		struct page *page;

		list_for_each_entry(page, &area->free_list, lru) {
			err = check_free_block(pgdat, page, o);
			if (err || ++n > area->nr_free)
				break;
		}
		if (!err && n != area->nr_free)
			err = -5;
		free += n << o;
		blocks += n;
	}
	for (unsigned long i = 0; i < pgdat->node_spanned_pages && !err; i++)
		buddies += PageBuddy(&pgdat->node_mem_map[i]);
	if (!err && buddies != blocks)
		err = -6; /* BUD1 */
	if (!err && free != node_page_state(pgdat, NR_FREE_PAGES))
		err = -7; /* BUD3 */
	spin_unlock_irqrestore(&pgdat->lock, flags);
	if (err)
		pr_err("mm: node %d: buddy invariant broken (code %d)\n", nid, err);
	return err;
}
