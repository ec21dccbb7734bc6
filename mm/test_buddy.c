/*
 * mm/test_buddy.c - KTAP suite `buddy`: the page allocator.
 *
 * Layer: mm tests. Every case reads the node count and sizes from the
 * running system, so the suite runs unchanged on the host (any --mem and
 * --numa) and in QEMU. Cases that exhaust a node take all of its pages for
 * a moment; run them while nothing else allocates (the shell is idle).
 */
#include <quire/mm.h>
#include <quire/mmzone.h>
#include <quire/ktest.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/fs.h>
#include <quire/swap.h>
#include "internal.h"

#define NOFAIL_FLAGS	(__GFP_THISNODE | __GFP_NOWARN)

static void expect_all_invariants(struct ktest *t)
{
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++)
		KTEST_EXPECT_EQ(t, check_node_invariants(nid), 0);
}

static bool node_has_order(int nid, unsigned int order)
{
	for (unsigned int o = order; o <= MAX_ORDER; o++)
		if (READ_ONCE(NODE_DATA(nid)->free_area[o].nr_free))
			return true;
	return false;
}

static void buddy_alloc_free_every_order(struct ktest *t)
{
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		for (unsigned int order = 0; order <= MAX_ORDER; order++) {
			unsigned long before = nr_free_pages_node(nid);
			struct page *page;

			if (!node_has_order(nid, order))
				continue;
			page = alloc_pages(nid, order, NOFAIL_FLAGS);
			KTEST_ASSERT_NOT_NULL(t, page);
			KTEST_EXPECT_EQ(t, page_to_nid(page), nid);
			KTEST_EXPECT_EQ(t, page->refcount, 1);
			KTEST_EXPECT_TRUE(t, IS_ALIGNED(page_to_pfn(page), 1UL << order));
			KTEST_EXPECT_EQ(t, nr_free_pages_node(nid), before - (1UL << order));
			KTEST_EXPECT_TRUE(t, virt_to_page(page_address(page)) == page);
			memset(page_address(page), 0x5a, PAGE_SIZE << order);
			__free_pages(page, order);
			KTEST_EXPECT_EQ(t, nr_free_pages_node(nid), before);
		}
	}
	expect_all_invariants(t);
}

static void buddy_order_above_max_returns_null(struct ktest *t)
{
	KTEST_EXPECT_NULL(t, alloc_pages(0, MAX_ORDER + 1, __GFP_NOWARN));
	KTEST_EXPECT_NULL(t, alloc_pages(0, 64, __GFP_NOWARN));
}

/* Take every page of @nid at order 0 onto @list; return how many. */
static unsigned long exhaust_node(int nid, struct list_head *list)
{
	unsigned long n = 0;
	struct page *page;

	while ((page = alloc_pages(nid, 0, NOFAIL_FLAGS))) {
		list_add_tail(&page->lru, list);
		n++;
	}
	return n;
}

/* Free odd pfns first, then the rest: every merge path runs. */
static void free_list_interleaved(struct list_head *list)
{
	struct page *page, *next;

	for (int pass = 0; pass < 2; pass++) {
		list_for_each_entry_safe(page, next, list, lru) {
			if (pass == 0 && !(page_to_pfn(page) & 1))
				continue;
			list_del(&page->lru);
			__free_pages(page, 0);
		}
	}
}

static void buddy_exhaustion_returns_null_and_free_merges_back(struct ktest *t)
{
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);
		unsigned long before = nr_free_pages_node(nid), n;
		unsigned long top[MAX_ORDER + 1];
		LIST_HEAD(taken);

		for (int o = 0; o <= MAX_ORDER; o++)
			top[o] = pgdat->free_area[o].nr_free;
		n = exhaust_node(nid, &taken);
		KTEST_EXPECT_EQ(t, n, before);
		KTEST_EXPECT_EQ(t, nr_free_pages_node(nid), 0);
		KTEST_EXPECT_NULL(t, alloc_pages(nid, 0, NOFAIL_FLAGS));
		KTEST_EXPECT_EQ(t, check_node_invariants(nid), 0);
		free_list_interleaved(&taken);
		KTEST_EXPECT_EQ(t, nr_free_pages_node(nid), before);
		/* Merging worked: the same blocks as before, order by order. */
		for (int o = 0; o <= MAX_ORDER; o++)
			KTEST_EXPECT_EQ(t, pgdat->free_area[o].nr_free, top[o]);
	}
	expect_all_invariants(t);
}

static void buddy_node_affinity_honoured(struct ktest *t)
{
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		struct page *page;

		if (!nr_free_pages_node(nid))
			continue;
		page = alloc_pages(nid, 0, 0);
		KTEST_ASSERT_NOT_NULL(t, page);
		KTEST_EXPECT_EQ(t, page_to_nid(page), nid);
		KTEST_EXPECT_GE(t, page_to_pfn(page), NODE_DATA(nid)->node_start_pfn);
		KTEST_EXPECT_LT(t, page_to_pfn(page), pgdat_end_pfn(NODE_DATA(nid)));
		__free_pages(page, 0);
	}
}

/* Smallest distance from @nid to another node with free pages; 0 if none. */
static int nearest_other_distance(int nid)
{
	int best = 0;

	for (unsigned int m = 0; m < num_online_nodes(); m++) {
		if ((int)m == nid || !nr_free_pages_node(m))
			continue;
		if (!best || node_distance(nid, m) < best)
			best = node_distance(nid, m);
	}
	return best;
}

static void buddy_fallback_goes_to_nearest_node(struct ktest *t)
{
	if (num_online_nodes() < 2)
		ktest_skip(t, "needs 2 or more NUMA nodes");
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		unsigned long before = nr_free_pages_node(nid);
		struct page *page;
		LIST_HEAD(taken);
		int want;

		exhaust_node(nid, &taken);
		want = nearest_other_distance(nid);
		page = alloc_pages(nid, 0, __GFP_NOWARN);
		if (want) {
			KTEST_EXPECT_NOT_NULL(t, page);
			if (page) {
				KTEST_EXPECT_NE(t, page_to_nid(page), nid);
				KTEST_EXPECT_EQ(t, node_distance(nid, page_to_nid(page)), want);
				__free_pages(page, 0);
			}
		}
		KTEST_EXPECT_NULL(t, alloc_pages(nid, 0, NOFAIL_FLAGS));
		free_list_interleaved(&taken);
		KTEST_EXPECT_EQ(t, nr_free_pages_node(nid), before);
	}
	expect_all_invariants(t);
}

static void buddy_gfp_zero_zeroes(struct ktest *t)
{
	for (unsigned int order = 0; order <= 3; order++) {
		struct page *page = alloc_pages(NUMA_NO_NODE, order, 0);
		const unsigned char *p;

		KTEST_ASSERT_NOT_NULL(t, page);
		memset(page_address(page), 0xa5, PAGE_SIZE << order);
		__free_pages(page, order);
		page = alloc_pages(NUMA_NO_NODE, order, __GFP_ZERO); /* LIFO: same pages */
		KTEST_ASSERT_NOT_NULL(t, page);
		p = page_address(page);
		size_t bad = 0;

		for (size_t i = 0; i < (PAGE_SIZE << order); i++)
			bad += p[i] != 0;
		KTEST_EXPECT_EQ(t, bad, 0);
		__free_pages(page, order);
	}
}

static void buddy_bad_frees_are_rejected(struct ktest *t)
{
	struct page *page = alloc_pages(0, 1, __GFP_NOWARN);
	unsigned long free, bad = mm_bad_frees;
	int on_stack;

	KTEST_ASSERT_NOT_NULL(t, page);
	free = nr_free_pages_node(0);
	cprintf("# the next 4 'mm: bad free' lines are expected\n");
	mm_bad_frees_expected = 4;
	__free_pages(page, 0);			/* wrong order */
	__free_pages(page + 1, 0);		/* tail page */
	free_pages(&on_stack, 0);		/* not page-allocator memory */
	KTEST_EXPECT_EQ(t, mm_bad_frees, bad + 3);
	KTEST_EXPECT_EQ(t, nr_free_pages_node(0), free);
	__free_pages(page, 1);
	KTEST_EXPECT_EQ(t, nr_free_pages_node(0), free + 2);
	__free_pages(page, 1);			/* double free */
	KTEST_EXPECT_EQ(t, mm_bad_frees, bad + 4);
	KTEST_EXPECT_EQ(t, mm_bad_frees_expected, 0);
	KTEST_EXPECT_EQ(t, nr_free_pages_node(0), free + 2);
	expect_all_invariants(t);
}

static void buddy_get_page_delays_free(struct ktest *t)
{
	struct page *page = alloc_pages(0, 0, __GFP_NOWARN);
	unsigned long free;

	KTEST_ASSERT_NOT_NULL(t, page);
	free = nr_free_pages_node(0);
	get_page(page);
	put_page(page);
	KTEST_EXPECT_EQ(t, nr_free_pages_node(0), free);
	KTEST_EXPECT_EQ(t, page->refcount, 1);
	put_page(page);
	KTEST_EXPECT_EQ(t, nr_free_pages_node(0), free + 1);
}

/* ---- Random alloc/free against a shadow model ---- */

#define SHADOW_SLOTS	64
#define SHADOW_OPS	3000
#define SHADOW_MAX_ORDER 5

struct shadow_slot {
	struct page *page;
	unsigned int order;
	u64 tag;
};

static u64 rng_next(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void tag_block(struct shadow_slot *sl)
{
	char *base = page_address(sl->page);

	for (unsigned long i = 0; i < (1UL << sl->order); i++)
		*(u64 *)(base + i * PAGE_SIZE) = sl->tag + i;
}

static bool block_tag_intact(const struct shadow_slot *sl)
{
	const char *base = page_address(sl->page);

	for (unsigned long i = 0; i < (1UL << sl->order); i++)
		if (*(const u64 *)(base + i * PAGE_SIZE) != sl->tag + i)
			return false;
	return true;
}

static void shadow_step(struct ktest *t, struct shadow_slot *sl, long *shadow, u64 *rng)
{
	if (sl->page) {
		KTEST_EXPECT_TRUE(t, block_tag_intact(sl));
		shadow[page_to_nid(sl->page)] += 1L << sl->order;
		__free_pages(sl->page, sl->order);
		sl->page = NULL;
		return;
	}
	sl->order = rng_next(rng) % (SHADOW_MAX_ORDER + 1);
	int nid = (int)(rng_next(rng) % (num_online_nodes() + 1)) - 1;
	gfp_t gfp = __GFP_NOWARN | ((rng_next(rng) & 1) ? __GFP_THISNODE : 0);

	if (nid < 0)
		gfp &= ~__GFP_THISNODE;	/* NUMA_NO_NODE: the local node */
	sl->page = alloc_pages(nid, sl->order, gfp);
	if (!sl->page)
		return;
	if (gfp & __GFP_THISNODE)
		KTEST_EXPECT_EQ(t, page_to_nid(sl->page), nid);
	sl->tag = rng_next(rng) & ~0xfffULL;
	tag_block(sl);
	shadow[page_to_nid(sl->page)] -= 1L << sl->order;
}

static void buddy_random_ops_match_shadow_model(struct ktest *t)
{
	static struct shadow_slot slots[SHADOW_SLOTS];
	long shadow[MAX_NUMNODES];
	u64 rng = ktest_seed() * 2654435761ULL + 1;
	unsigned int n = num_online_nodes();

	cprintf("# seed %llu\n", (unsigned long long)ktest_seed());
	memset(slots, 0, sizeof(slots));
	for (unsigned int nid = 0; nid < n; nid++)
		shadow[nid] = (long)nr_free_pages_node(nid);
	for (int op = 0; op < SHADOW_OPS && !t->failed; op++) {
		shadow_step(t, &slots[rng_next(&rng) % SHADOW_SLOTS], shadow, &rng);
		for (unsigned int nid = 0; nid < n; nid++)
			KTEST_EXPECT_EQ(t, nr_free_pages_node(nid), shadow[nid]);
	}
	for (int i = 0; i < SHADOW_SLOTS; i++)
		if (slots[i].page)
			shadow_step(t, &slots[i], shadow, &rng);
	for (unsigned int nid = 0; nid < n; nid++)
		KTEST_EXPECT_EQ(t, nr_free_pages_node(nid), shadow[nid]);
	expect_all_invariants(t);
}

/* ---- The `numa` command's CPU list format ---- */

static void numa_cpulist_formats_ranges(struct ktest *t)
{
	static const int map[] = { 0, 0, 1, 0, 0, 0, 2, 1 };
	char buf[64];

	node_cpulist_scnprintf(buf, sizeof(buf), map, ARRAY_SIZE(map), 0);
	KTEST_EXPECT_EQ(t, strcmp(buf, "0-1,3-5"), 0);
	node_cpulist_scnprintf(buf, sizeof(buf), map, ARRAY_SIZE(map), 1);
	KTEST_EXPECT_EQ(t, strcmp(buf, "2,7"), 0);
	node_cpulist_scnprintf(buf, sizeof(buf), map, ARRAY_SIZE(map), 2);
	KTEST_EXPECT_EQ(t, strcmp(buf, "6"), 0);
	node_cpulist_scnprintf(buf, sizeof(buf), map, ARRAY_SIZE(map), 3);
	KTEST_EXPECT_EQ(t, strcmp(buf, "none"), 0);
	node_cpulist_scnprintf(buf, 4, map, ARRAY_SIZE(map), 0);	/* truncates */
	KTEST_EXPECT_EQ(t, strcmp(buf, "0-1"), 0);
}

static const struct ktest_case buddy_cases[] = {
	KTEST_CASE(buddy_alloc_free_every_order),
	KTEST_CASE(buddy_order_above_max_returns_null),
	KTEST_CASE(buddy_exhaustion_returns_null_and_free_merges_back),
	KTEST_CASE(buddy_node_affinity_honoured),
	KTEST_CASE(buddy_fallback_goes_to_nearest_node),
	KTEST_CASE(buddy_gfp_zero_zeroes),
	KTEST_CASE(buddy_bad_frees_are_rejected),
	KTEST_CASE(buddy_get_page_delays_free),
	KTEST_CASE(buddy_random_ops_match_shadow_model),
	KTEST_CASE(numa_cpulist_formats_ranges),
	KTEST_END,
};

/*
 * The cases count the node's free pages exactly: another disk's writeback
 * still running from an earlier suite (bios, requests, pages freed as it
 * ends) moved them, and kswapd, woken when a case takes every page,
 * reclaimed an earlier suite's clean cached pages into the count. Each
 * case starts with every disk synced and the clean page cache dropped.
 */
static int buddy_init(struct ktest *t)
{
	ksys_sync();
	drop_pagecache();
	return 0;
}

static const struct ktest_suite buddy_suite = {
	.name = "buddy",
	.init = buddy_init,
	.cases = buddy_cases,
};
KTEST_SUITE(buddy_suite);
