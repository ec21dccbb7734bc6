/*
 * lib/xarray_test.c - KTAP suite `xarray`: lib/xarray.c against its
 * contract (include/quire/xarray.h) and its invariants XA1-XA3.
 *
 * Layer: lib tests. Every case uses a private struct xarray on its stack
 * and destroys it, so the suite leaves nothing allocated. Allocation
 * failure is injected through the test hook in lib/xarray_internal.h
 * (xa_fail_array / xa_fail_after), not by exhausting the heap.
 */
#include <quire/xarray.h>
#include <quire/ktest.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/kthread.h>
#include <quire/sched.h>
#include "xarray_internal.h"

/* A distinct fake entry per value: bit 3 set, low two bits clear. */
#define E(v) ((void *)(((unsigned long)(v) << 3) | 8UL))

static const unsigned long huge_index = 0x123456789abcdefUL;

static void *store(struct xarray *xa, unsigned long index, void *entry)
{
	return xa_store(xa, index, entry, GFP_KERNEL);
}

static int insert(struct xarray *xa, unsigned long index, void *entry)
{
	unsigned long flags;
	int ret;

	xa_lock_irqsave(xa, flags);
	ret = __xa_insert(xa, index, entry, GFP_KERNEL);
	xa_unlock_irqrestore(xa, flags);
	return ret;
}

static unsigned int extract(struct xarray *xa, void **dst, unsigned long *start,
			    unsigned long max, unsigned int n, xa_mark_t filter)
{
	unsigned long flags;
	unsigned int got;

	xa_lock_irqsave(xa, flags);
	got = __xa_extract(xa, dst, start, max, n, filter);
	xa_unlock_irqrestore(xa, flags);
	return got;
}

static struct xa_node *top_node(struct xarray *xa)
{
	unsigned long head = (unsigned long)xa->xa_head;

	return (head & 3UL) == 2UL ? (struct xa_node *)(head - 2UL) : NULL;
}

static void xarray_store_load_erase_each_scale(struct ktest *t)
{
	static const unsigned long idx[] = {0,
					    1,
					    63,
					    64,
					    4095,
					    4096,
					    1UL << 32,
					    0x123456789abcdefUL,
					    ULONG_MAX - 1,
					    ULONG_MAX};
	struct xarray xa;

	xa_init(&xa);
	KTEST_EXPECT_TRUE(t, xa_empty(&xa));
	KTEST_EXPECT_NULL(t, xa_load(&xa, 0));
	for (unsigned int i = 0; i < ARRAY_SIZE(idx); i++) {
		KTEST_EXPECT_NULL(t, store(&xa, idx[i], E(i)));
		KTEST_EXPECT_TRUE(t, xa_load(&xa, idx[i]) == E(i));
		KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(idx); i++) {
		KTEST_EXPECT_TRUE(t, xa_load(&xa, idx[i]) == E(i));
		KTEST_EXPECT_NULL(t, xa_load(&xa, idx[i] ^ 2)); /* none in idx[] */
	}
	/* Replacing returns the old entry. */
	KTEST_EXPECT_TRUE(t, store(&xa, ULONG_MAX, E(99)) == E(ARRAY_SIZE(idx) - 1));
	KTEST_EXPECT_TRUE(t, xa_load(&xa, ULONG_MAX) == E(99));
	for (unsigned int i = 0; i < ARRAY_SIZE(idx); i++) {
		void *want = idx[i] == ULONG_MAX ? E(99) : E(i);

		KTEST_EXPECT_TRUE(t, xa_erase(&xa, idx[i]) == want);
		KTEST_EXPECT_NULL(t, xa_load(&xa, idx[i]));
		KTEST_EXPECT_NULL(t, xa_erase(&xa, idx[i]));
		KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	}
	KTEST_EXPECT_TRUE(t, xa_empty(&xa));
	KTEST_EXPECT_EQ(t, xa.xa_nodes, 0);
	xa_destroy(&xa);
}

static void xarray_single_entry_at_zero_needs_no_node(struct ktest *t)
{
	struct xarray xa;

	xa_init(&xa);
	KTEST_EXPECT_NULL(t, store(&xa, 0, E(1)));
	KTEST_EXPECT_EQ(t, xa.xa_nodes, 0);
	KTEST_EXPECT_TRUE(t, xa.xa_head == E(1));
	/* Storing NULL erases; erasing an absent index changes nothing. */
	KTEST_EXPECT_NULL(t, store(&xa, 5, NULL));
	KTEST_EXPECT_TRUE(t, store(&xa, 0, NULL) == E(1));
	KTEST_EXPECT_TRUE(t, xa_empty(&xa));
	/* Not an entry: the low two bits belong to the array. */
	KTEST_EXPECT_TRUE(t, store(&xa, 3, (void *)0x1002UL) == ERR_PTR(-EINVAL));
	KTEST_EXPECT_TRUE(t, xa_empty(&xa));
	xa_destroy(&xa);
}

static void xarray_insert_busy_leaves_entry(struct ktest *t)
{
	struct xarray xa;

	xa_init(&xa);
	KTEST_EXPECT_EQ(t, insert(&xa, 70, E(1)), 0);
	KTEST_EXPECT_EQ(t, insert(&xa, 70, E(2)), -EBUSY);
	KTEST_EXPECT_TRUE(t, xa_load(&xa, 70) == E(1));
	KTEST_EXPECT_EQ(t, insert(&xa, ULONG_MAX, E(3)), 0);
	KTEST_EXPECT_EQ(t, insert(&xa, ULONG_MAX, E(4)), -EBUSY);
	KTEST_EXPECT_TRUE(t, xa_load(&xa, ULONG_MAX) == E(3));
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	xa_destroy(&xa);
	KTEST_EXPECT_TRUE(t, xa_empty(&xa));
	KTEST_EXPECT_EQ(t, xa.xa_nodes, 0);
}

/* Whether every node on the path to @index has @mark for its slot. */
static bool path_marked(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	struct xa_node *node = top_node(xa);

	while (node) {
		unsigned int off = (index >> node->shift) & (XA_CHUNK_SIZE - 1);

		if (!(node->marks[mark] & (1UL << off)))
			return false;
		if (node->shift == 0)
			return true;
		node = (struct xa_node *)((unsigned long)node->slots[off] - 2UL);
	}
	return false;
}

static void xarray_marks_propagate_up_and_clear_up(struct ktest *t)
{
	struct xa_node *top;
	struct xarray xa;

	xa_init(&xa);
	store(&xa, 5, E(5));
	store(&xa, 4100, E(6));
	store(&xa, huge_index, E(7));
	KTEST_EXPECT_FALSE(t, xa_marked(&xa, XA_MARK_1));
	xa_set_mark(&xa, 4100, XA_MARK_1);
	xa_set_mark(&xa, huge_index, XA_MARK_1);
	KTEST_EXPECT_TRUE(t, xa_marked(&xa, XA_MARK_1));
	KTEST_EXPECT_FALSE(t, xa_marked(&xa, XA_MARK_0));
	KTEST_EXPECT_TRUE(t, path_marked(&xa, 4100, XA_MARK_1));
	KTEST_EXPECT_TRUE(t, path_marked(&xa, huge_index, XA_MARK_1));
	KTEST_EXPECT_FALSE(t, path_marked(&xa, 5, XA_MARK_1));
	KTEST_EXPECT_TRUE(t, xa_get_mark(&xa, 4100, XA_MARK_1));
	KTEST_EXPECT_FALSE(t, xa_get_mark(&xa, 5, XA_MARK_1));
	/* A mark on an empty slot is a no-op. */
	xa_set_mark(&xa, 6, XA_MARK_2);
	KTEST_EXPECT_FALSE(t, xa_marked(&xa, XA_MARK_2));
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);

	/* Clearing one of two: the top keeps the other's bit, the root too. */
	xa_clear_mark(&xa, 4100, XA_MARK_1);
	KTEST_EXPECT_FALSE(t, xa_get_mark(&xa, 4100, XA_MARK_1));
	top = top_node(&xa);
	KTEST_ASSERT_NOT_NULL(t, top);
	KTEST_EXPECT_EQ(t, top->marks[XA_MARK_1],
			1UL << ((huge_index >> top->shift) & 63));
	KTEST_EXPECT_TRUE(t, xa_marked(&xa, XA_MARK_1));
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	/* The last marked entry erased: no bit left anywhere. */
	xa_erase(&xa, huge_index);
	KTEST_EXPECT_FALSE(t, xa_marked(&xa, XA_MARK_1));
	top = top_node(&xa);
	KTEST_ASSERT_NOT_NULL(t, top);
	KTEST_EXPECT_EQ(t, top->marks[XA_MARK_1], 0);
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	/* Storing over a marked entry keeps its mark; erase + store drops it. */
	xa_set_mark(&xa, 5, XA_MARK_0);
	store(&xa, 5, E(50));
	KTEST_EXPECT_TRUE(t, xa_get_mark(&xa, 5, XA_MARK_0));
	xa_erase(&xa, 5);
	store(&xa, 5, E(51));
	KTEST_EXPECT_FALSE(t, xa_get_mark(&xa, 5, XA_MARK_0));
	KTEST_EXPECT_FALSE(t, xa_marked(&xa, XA_MARK_0));
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	xa_destroy(&xa);
}

static void xarray_mark_on_lone_entry_survives_grow_and_shrink(struct ktest *t)
{
	struct xarray xa;

	xa_init(&xa);
	store(&xa, 0, E(1));
	xa_set_mark(&xa, 0, XA_MARK_2);
	KTEST_EXPECT_TRUE(t, xa_marked(&xa, XA_MARK_2));
	store(&xa, ULONG_MAX, E(2)); /* grows to the top shift */
	KTEST_EXPECT_TRUE(t, xa_get_mark(&xa, 0, XA_MARK_2));
	KTEST_EXPECT_TRUE(t, path_marked(&xa, 0, XA_MARK_2));
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	xa_erase(&xa, ULONG_MAX); /* shrinks back to the head */
	KTEST_EXPECT_TRUE(t, xa.xa_head == E(1));
	KTEST_EXPECT_EQ(t, xa.xa_nodes, 0);
	KTEST_EXPECT_TRUE(t, xa_get_mark(&xa, 0, XA_MARK_2));
	KTEST_EXPECT_TRUE(t, xa_marked(&xa, XA_MARK_2));
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	xa_clear_mark(&xa, 0, XA_MARK_2);
	KTEST_EXPECT_FALSE(t, xa_marked(&xa, XA_MARK_2));
	xa_destroy(&xa);
}

static void xarray_find_marked_skips_unmarked_subtrees(struct ktest *t)
{
	static const unsigned long marked[] = {3, 200, 70000, 1UL << 40, ULONG_MAX};
	unsigned long index;
	struct xarray xa;
	unsigned int i;
	void *entry;

	xa_init(&xa);
	/* A dense unmarked run in front, and sparse marked entries. */
	for (i = 0; i < 300; i++)
		store(&xa, i + 1000, E(i + 1000));
	for (i = 0; i < ARRAY_SIZE(marked); i++) {
		store(&xa, marked[i], E(i));
		xa_set_mark(&xa, marked[i], XA_MARK_0);
	}
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	index = 0;
	for (i = 0; i < ARRAY_SIZE(marked); i++) {
		entry = xa_find(&xa, &index, ULONG_MAX, XA_MARK_0);
		KTEST_EXPECT_TRUE(t, entry == E(i));
		KTEST_EXPECT_EQ(t, index, marked[i]);
		if (index == ULONG_MAX)
			break;
		index++;
	}
	KTEST_EXPECT_EQ(t, i, ARRAY_SIZE(marked) - 1);
	/* Nothing marked in [201, 69999]; [1000, 1299] is present but unmarked. */
	index = 201;
	KTEST_EXPECT_NULL(t, xa_find(&xa, &index, 69999, XA_MARK_0));
	index = 201;
	KTEST_EXPECT_TRUE(t, xa_find(&xa, &index, 69999, XA_PRESENT) == E(1000));
	KTEST_EXPECT_EQ(t, index, 1000);
	index = 1299;
	KTEST_EXPECT_TRUE(t, xa_find(&xa, &index, ULONG_MAX, XA_PRESENT) == E(1299));
	index = 1300;
	KTEST_EXPECT_TRUE(t, xa_find(&xa, &index, ULONG_MAX, XA_PRESENT) == E(2));
	KTEST_EXPECT_EQ(t, index, 70000);
	/* Start past max, and an unused mark. */
	index = 10;
	KTEST_EXPECT_NULL(t, xa_find(&xa, &index, 9, XA_PRESENT));
	index = 0;
	KTEST_EXPECT_NULL(t, xa_find(&xa, &index, ULONG_MAX, XA_MARK_1));
	xa_destroy(&xa);
}

static void xarray_extract_batches_across_nodes_and_stops_at_max(struct ktest *t)
{
	void *batch[16];
	unsigned long start = 0;
	unsigned int got, total = 0;
	struct xarray xa;

	xa_init(&xa);
	/* Every third index of [0, 600): crosses many 64-slot leaves. */
	for (unsigned long i = 0; i < 600; i += 3)
		store(&xa, i, E(i));
	while ((got = extract(&xa, batch, &start, 449, ARRAY_SIZE(batch), XA_PRESENT))) {
		for (unsigned int j = 0; j < got; j++)
			KTEST_EXPECT_TRUE(t, batch[j] == E(3 * (total + j)));
		total += got;
		KTEST_EXPECT_EQ(t, start, 3 * (total - 1) + 1);
	}
	KTEST_EXPECT_EQ(t, total, 150); /* 0, 3, ..., 447 */
	KTEST_EXPECT_EQ(t, start, 448);
	/* Marked batch: every 30th. */
	for (unsigned long i = 0; i < 600; i += 30)
		xa_set_mark(&xa, i, XA_MARK_1);
	start = 31;
	got = extract(&xa, batch, &start, ULONG_MAX, 4, XA_MARK_1);
	KTEST_EXPECT_EQ(t, got, 4);
	KTEST_EXPECT_TRUE(t, batch[0] == E(60) && batch[3] == E(150));
	KTEST_EXPECT_EQ(t, start, 151);
	/* At ULONG_MAX *startp wraps to 0. */
	store(&xa, ULONG_MAX, E(7));
	start = 1000;
	KTEST_EXPECT_EQ(t, extract(&xa, batch, &start, ULONG_MAX, 16, XA_PRESENT), 1);
	KTEST_EXPECT_TRUE(t, batch[0] == E(7));
	KTEST_EXPECT_EQ(t, start, 0);
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	xa_destroy(&xa);
}

static void xarray_shrinks_after_erase(struct ktest *t)
{
	struct xa_node *top;
	struct xarray xa;

	xa_init(&xa);
	store(&xa, 1, E(1));
	store(&xa, 1UL << 40, E(2));
	top = top_node(&xa);
	KTEST_ASSERT_NOT_NULL(t, top);
	KTEST_EXPECT_EQ(t, top->shift, 36);
	KTEST_EXPECT_EQ(t, xa.xa_nodes, 7 + 6); /* 1: shifts 36..0; 1 << 40: 30..0 */
	xa_erase(&xa, 1UL << 40);
	top = top_node(&xa);
	KTEST_ASSERT_NOT_NULL(t, top);
	KTEST_EXPECT_EQ(t, top->shift, 0);
	KTEST_EXPECT_EQ(t, xa.xa_nodes, 1);
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	store(&xa, 4096, E(3));
	xa_erase(&xa, 1);
	top = top_node(&xa);
	KTEST_ASSERT_NOT_NULL(t, top);
	KTEST_EXPECT_EQ(t, top->shift, 12); /* 4096 still needs it */
	KTEST_EXPECT_EQ(t, xa.xa_nodes, 3);
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	xa_erase(&xa, 4096);
	KTEST_EXPECT_TRUE(t, xa_empty(&xa));
	KTEST_EXPECT_EQ(t, xa.xa_nodes, 0);
	xa_destroy(&xa);
}

static void xarray_alloc_failure_changes_nothing(struct ktest *t)
{
	struct xarray xa;
	unsigned long nodes;
	int fails = 0;

	xa_init(&xa);
	store(&xa, 0, E(0));
	store(&xa, 100, E(100));
	xa_set_mark(&xa, 100, XA_MARK_0);
	nodes = xa.xa_nodes;
	/* ULONG_MAX needs 9 levels of growth and 10 new nodes down: fail
	 * each one of them in turn. */
	for (int after = 0; after < 19; after++) {
		xa_fail_array = &xa;
		xa_fail_after = after;
		KTEST_EXPECT_TRUE(t, store(&xa, ULONG_MAX, E(1)) == ERR_PTR(-ENOMEM));
		KTEST_EXPECT_EQ(t, insert(&xa, ULONG_MAX, E(1)), -ENOMEM);
		xa_fail_array = NULL;
		fails++;
		KTEST_EXPECT_EQ(t, xa.xa_nodes, nodes);
		KTEST_EXPECT_NULL(t, xa_load(&xa, ULONG_MAX));
		KTEST_EXPECT_TRUE(t, xa_load(&xa, 0) == E(0));
		KTEST_EXPECT_TRUE(t, xa_load(&xa, 100) == E(100));
		KTEST_EXPECT_TRUE(t, xa_get_mark(&xa, 100, XA_MARK_0));
		KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	}
	KTEST_EXPECT_EQ(t, fails, 19);
	/* With exactly the 19 it needs, it succeeds. */
	xa_fail_array = &xa;
	xa_fail_after = 19;
	KTEST_EXPECT_NULL(t, store(&xa, ULONG_MAX, E(1)));
	xa_fail_array = NULL;
	KTEST_EXPECT_EQ(t, xa_fail_after, 0);
	KTEST_EXPECT_EQ(t, xa.xa_nodes, nodes + 19);
	KTEST_EXPECT_TRUE(t, xa_load(&xa, ULONG_MAX) == E(1));
	/* A store that needs no node cannot fail. */
	xa_fail_array = &xa;
	xa_fail_after = 0;
	KTEST_EXPECT_TRUE(t, store(&xa, 101, E(101)) == NULL);
	xa_fail_array = NULL;
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	xa_destroy(&xa);
}

/* ---- random operations against a shadow model ---- */

#define SHADOW_N   128
#define SHADOW_OPS 6000

struct shadow {
	unsigned long index[SHADOW_N];
	void *entry[SHADOW_N];
	unsigned int marks[SHADOW_N];
};

static u64 rng_next(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static unsigned long pick_index(unsigned int i, u64 *rng)
{
	if (i < 40)
		return i; /* dense, one leaf */
	if (i < 70)
		return rng_next(rng) % 5000;
	if (i < 100)
		return rng_next(rng) % (1UL << 30);
	if (i == SHADOW_N - 1)
		return ULONG_MAX;
	return rng_next(rng);
}

static void shadow_init(struct shadow *sh, u64 *rng)
{
	memset(sh, 0, sizeof(*sh));
	for (unsigned int i = 0; i < SHADOW_N; i++) {
		bool dup;

		do {
			sh->index[i] = pick_index(i, rng);
			dup = false;
			for (unsigned int j = 0; j < i; j++)
				dup |= sh->index[j] == sh->index[i];
		} while (dup);
	}
}

/* The shadow's answer to xa_find(): slot of the first match, or -1. */
static int shadow_find(struct shadow *sh, unsigned long start, unsigned long max,
		       xa_mark_t filter)
{
	int best = -1;

	for (int i = 0; i < SHADOW_N; i++) {
		if (!sh->entry[i] || sh->index[i] < start || sh->index[i] > max)
			continue;
		if (filter != XA_PRESENT && !(sh->marks[i] & (1u << filter)))
			continue;
		if (best < 0 || sh->index[i] < sh->index[best])
			best = i;
	}
	return best;
}

static void shadow_step(struct ktest *t, struct xarray *xa, struct shadow *sh, u64 *rng,
			unsigned int op)
{
	unsigned int i = rng_next(rng) % SHADOW_N;
	xa_mark_t mark = rng_next(rng) % XA_MAX_MARKS;
	unsigned long index = sh->index[i];
	void *entry = E(op + 1);
	unsigned long start, max;
	int want;

	switch (rng_next(rng) % 7) {
	case 0:
	case 1:
		KTEST_EXPECT_TRUE(t, store(xa, index, entry) == sh->entry[i]);
		if (!sh->entry[i])
			sh->marks[i] = 0;
		sh->entry[i] = entry;
		break;
	case 2:
		KTEST_EXPECT_EQ(t, insert(xa, index, entry), sh->entry[i] ? -EBUSY : 0);
		if (!sh->entry[i]) {
			sh->entry[i] = entry;
			sh->marks[i] = 0;
		}
		break;
	case 3:
		KTEST_EXPECT_TRUE(t, xa_erase(xa, index) == sh->entry[i]);
		sh->entry[i] = NULL;
		sh->marks[i] = 0;
		break;
	case 4:
		xa_set_mark(xa, index, mark);
		if (sh->entry[i])
			sh->marks[i] |= 1u << mark;
		break;
	case 5:
		xa_clear_mark(xa, index, mark);
		sh->marks[i] &= ~(1u << mark);
		break;
	case 6:
		start = sh->index[rng_next(rng) % SHADOW_N];
		max = rng_next(rng) % 4 ? ULONG_MAX : start + rng_next(rng) % 100000;
		if (max < start)
			max = ULONG_MAX;
		if (rng_next(rng) % 2)
			mark = XA_PRESENT;
		want = shadow_find(sh, start, max, mark);
		entry = xa_find(xa, &start, max, mark);
		if (want < 0) {
			KTEST_EXPECT_NULL(t, entry);
		} else {
			KTEST_EXPECT_TRUE(t, entry == sh->entry[want]);
			KTEST_EXPECT_EQ(t, start, sh->index[want]);
		}
		break;
	}
	KTEST_EXPECT_TRUE(t, xa_load(xa, index) == sh->entry[i]);
	for (xa_mark_t m = 0; m < XA_MAX_MARKS; m++)
		KTEST_EXPECT_EQ(t, xa_get_mark(xa, index, m),
				!!(sh->marks[i] & (1u << m)));
}

static void shadow_expect_root_marks(struct ktest *t, struct xarray *xa,
				     struct shadow *sh)
{
	for (xa_mark_t m = 0; m < XA_MAX_MARKS; m++) {
		bool any = false;

		for (unsigned int i = 0; i < SHADOW_N; i++)
			any |= !!(sh->marks[i] & (1u << m));
		KTEST_EXPECT_EQ(t, xa_marked(xa, m), any);
	}
}

static void xarray_random_ops_match_shadow_model(struct ktest *t)
{
	static struct shadow sh;
	u64 rng = ktest_seed() * 2654435761ULL + 1;
	struct xarray xa;
	void *batch[8];
	unsigned long start;
	unsigned int got, seen = 0;

	cprintf("# seed %llu\n", (unsigned long long)ktest_seed());
	xa_init(&xa);
	shadow_init(&sh, &rng);
	for (unsigned int op = 0; op < SHADOW_OPS && !t->failed; op++) {
		shadow_step(t, &xa, &sh, &rng, op);
		if (op % 64 == 63) {
			KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
			shadow_expect_root_marks(t, &xa, &sh);
		}
	}
	/* A full batched walk sees exactly the shadow's entries, in order. */
	start = 0;
	while ((got = extract(&xa, batch, &start, ULONG_MAX, ARRAY_SIZE(batch),
			      XA_PRESENT))) {
		seen += got;
		if (start == 0)
			break; /* wrapped after ULONG_MAX */
	}
	for (unsigned int i = 0; i < SHADOW_N; i++)
		seen -= !!sh.entry[i];
	KTEST_EXPECT_EQ(t, seen, 0);
	for (unsigned int i = 0; i < SHADOW_N; i++)
		KTEST_EXPECT_TRUE(t, xa_erase(&xa, sh.index[i]) == sh.entry[i]);
	KTEST_EXPECT_TRUE(t, xa_empty(&xa));
	KTEST_EXPECT_EQ(t, xa.xa_nodes, 0);
	KTEST_EXPECT_EQ(t, xa.xa_marks, 0);
	xa_destroy(&xa);
}

/* ---- the checker catches damage ---- */

/*
 * xa_marked() and xa_empty() read the root without the lock (the page
 * cache's mapping_tagged(), the flusher). The writers changed xa_marks
 * and xa_head with plain stores under the lock: ThreadSanitizer reported
 * the race in the page cache's fsync test. Here a kthread toggles a mark
 * and the entry under the lock while this CPU reads both unlocked; under
 * TSan (host-tsan-* jobs) plain stores are a data-race report.
 */
struct unlocked_readers {
	struct xarray xa;
	int stop; /* atomic */
};

static int xarray_toggler(void *data)
{
	struct unlocked_readers *u = data;

	for (int i = 0; i < 2000 && !__atomic_load_n(&u->stop, __ATOMIC_RELAXED); i++) {
		store(&u->xa, 5, E(5));
		xa_set_mark(&u->xa, 5, XA_MARK_0);
		xa_clear_mark(&u->xa, 5, XA_MARK_0);
		xa_erase(&u->xa, 5);
		if (!(i % 64))
			cond_resched();
	}
	return 0;
}

static void xarray_root_is_read_without_the_lock(struct ktest *t)
{
	static struct unlocked_readers u;
	struct task_struct *k;
	unsigned long seen = 0;

	xa_init(&u.xa);
	u.stop = 0;
	k = kthread_run(xarray_toggler, &u, "xa-toggler");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	for (int i = 0; i < 2000; i++) {
		seen += xa_marked(&u.xa, XA_MARK_0);
		seen += !xa_empty(&u.xa);
		if (!(i % 64))
			cond_resched();
	}
	__atomic_store_n(&u.stop, 1, __ATOMIC_RELAXED);
	kthread_stop(k);
	(void)seen; /* how many is timing: not printed (determinism) */
	KTEST_EXPECT_TRUE(t, xa_empty(&u.xa));
	KTEST_EXPECT_FALSE(t, xa_marked(&u.xa, XA_MARK_0));
	xa_destroy(&u.xa);
}

static void xarray_check_catches_damage(struct ktest *t)
{
	struct xa_node *top, *leaf1, *leaf64;
	struct xarray xa;
	void *saved;

	xa_init(&xa);
	/* Top of shift 6: slot 0 -> leaf [0, 63], slot 1 -> leaf [64, 127]. */
	store(&xa, 1, E(1));
	store(&xa, 64, E(64));
	store(&xa, 70, E(70));
	xa_set_mark(&xa, 70, XA_MARK_0);
	top = top_node(&xa);
	KTEST_ASSERT_NOT_NULL(t, top);
	KTEST_ASSERT_EQ(t, top->shift, 6);
	leaf1 = (struct xa_node *)((unsigned long)top->slots[0] - 2UL);
	leaf64 = (struct xa_node *)((unsigned long)top->slots[1] - 2UL);
	KTEST_ASSERT_EQ(t, xa_check(&xa), 0);

	/* XA1: the mark missing in the top node. */
	top->marks[XA_MARK_0] &= ~2UL;
	KTEST_EXPECT_EQ(t, xa_check(&xa), -EUCLEAN);
	top->marks[XA_MARK_0] |= 2UL;
	/* XA1: a mark the subtree does not have. */
	top->marks[XA_MARK_1] |= 1UL;
	KTEST_EXPECT_EQ(t, xa_check(&xa), -EUCLEAN);
	top->marks[XA_MARK_1] = 0;
	/* XA1: the root bit missing. */
	xa.xa_marks &= ~1u;
	KTEST_EXPECT_EQ(t, xa_check(&xa), -EUCLEAN);
	xa.xa_marks |= 1u;
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);

	/* XA2: a wrong count, low and high. */
	leaf64->count--;
	KTEST_EXPECT_EQ(t, xa_check(&xa), -EUCLEAN);
	leaf64->count += 2;
	KTEST_EXPECT_EQ(t, xa_check(&xa), -EUCLEAN);
	leaf64->count--;
	/* XA2: a wrong offset link. */
	leaf1->offset = 5;
	KTEST_EXPECT_EQ(t, xa_check(&xa), -EUCLEAN);
	leaf1->offset = 0;
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);

	/* XA3: the top holding only slot 0 (leaf64 unhooked for a moment). */
	saved = top->slots[1];
	top->slots[1] = NULL;
	top->count = 1;
	top->marks[XA_MARK_0] = 0;
	xa.xa_marks = 0;
	xa.xa_nodes--;
	KTEST_EXPECT_EQ(t, xa_check(&xa), -EUCLEAN);
	top->slots[1] = saved;
	top->count = 2;
	top->marks[XA_MARK_0] = 2UL;
	xa.xa_marks = 1u;
	xa.xa_nodes++;
	KTEST_EXPECT_EQ(t, xa_check(&xa), 0);
	xa_destroy(&xa);
	KTEST_EXPECT_EQ(t, xa.xa_nodes, 0);
}

static const struct ktest_case xarray_cases[] = {
	KTEST_CASE(xarray_store_load_erase_each_scale),
	KTEST_CASE(xarray_single_entry_at_zero_needs_no_node),
	KTEST_CASE(xarray_insert_busy_leaves_entry),
	KTEST_CASE(xarray_marks_propagate_up_and_clear_up),
	KTEST_CASE(xarray_mark_on_lone_entry_survives_grow_and_shrink),
	KTEST_CASE(xarray_find_marked_skips_unmarked_subtrees),
	KTEST_CASE(xarray_extract_batches_across_nodes_and_stops_at_max),
	KTEST_CASE(xarray_shrinks_after_erase),
	KTEST_CASE(xarray_alloc_failure_changes_nothing),
	KTEST_CASE(xarray_random_ops_match_shadow_model),
	KTEST_CASE(xarray_root_is_read_without_the_lock),
	KTEST_CASE(xarray_check_catches_damage),
	KTEST_END,
};

static const struct ktest_suite xarray_suite = {
	.name = "xarray",
	.cases = xarray_cases,
};
KTEST_SUITE(xarray_suite);
