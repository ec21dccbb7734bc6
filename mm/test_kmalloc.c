/*
 * mm/test_kmalloc.c - KTAP suite `kmalloc`: size classes, kzalloc,
 * kcalloc, kfree checks, per-node placement, a random stress run.
 *
 * Layer: mm tests. Sizes and node counts come from the running system.
 */
#include <quire/slab.h>
#include <quire/mm.h>
#include <quire/mmzone.h>
#include <quire/ktest.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/sched.h>
#include <quire/errno.h>
#include <quire/fs.h>
#include <arch/memory.h>
#include "internal.h"

static const size_t test_sizes[] = {
	1, 7, 8, 9, 16, 24, 32, 33, 64, 100, 128, 200, 256, 500, 512, 1000,
	1024, 1500, 2048, 2049, 4096, 4097, 8192, 20000, 65536, 1 << 20,
};

static size_t class_align(size_t size)
{
	size_t a = 8;

	while (a < size && a < PAGE_SIZE)
		a <<= 1;
	return a;
}

static void kmalloc_every_size_class(struct ktest *t)
{
	for (size_t i = 0; i < ARRAY_SIZE(test_sizes); i++) {
		size_t size = test_sizes[i];
		unsigned char *p = kmalloc(size, GFP_KERNEL);

		KTEST_ASSERT_NOT_NULL(t, p);
		KTEST_EXPECT_GE(t, ksize(p), size);
		KTEST_EXPECT_TRUE(t, IS_ALIGNED(__pa(p), class_align(size)));
		memset(p, 0xc3, ksize(p));	/* all of ksize() is usable */
		kfree(p);
	}
}

static void kmalloc_zero_size_returns_null(struct ktest *t)
{
	KTEST_EXPECT_NULL(t, kmalloc(0, GFP_KERNEL));
}

static void kmalloc_too_large_returns_null(struct ktest *t)
{
	KTEST_EXPECT_NULL(t, kmalloc((PAGE_SIZE << MAX_ORDER) + 1, __GFP_NOWARN));
	KTEST_EXPECT_NULL(t, kmalloc(SIZE_MAX, __GFP_NOWARN));
}

static void kzalloc_returns_zeroed_memory(struct ktest *t)
{
	for (size_t i = 0; i < ARRAY_SIZE(test_sizes); i++) {
		size_t size = test_sizes[i], bad = 0;
		unsigned char *p = kmalloc(size, GFP_KERNEL);

		KTEST_ASSERT_NOT_NULL(t, p);
		memset(p, 0xff, size);
		kfree(p);
		p = kzalloc(size, GFP_KERNEL);	/* likely the same object */
		KTEST_ASSERT_NOT_NULL(t, p);
		for (size_t j = 0; j < size; j++)
			bad += p[j] != 0;
		KTEST_EXPECT_EQ(t, bad, 0);
		kfree(p);
	}
}

static void kcalloc_overflow_returns_null(struct ktest *t)
{
	u64 *p;

	KTEST_EXPECT_NULL(t, kcalloc(SIZE_MAX / 2 + 1, 2, GFP_KERNEL));
	KTEST_EXPECT_NULL(t, kcalloc(2, SIZE_MAX / 2 + 1, GFP_KERNEL));
	KTEST_EXPECT_NULL(t, kcalloc(SIZE_MAX, SIZE_MAX, GFP_KERNEL));
	p = kcalloc(100, sizeof(*p), GFP_KERNEL);
	KTEST_ASSERT_NOT_NULL(t, p);
	for (int i = 0; i < 100; i++)
		KTEST_EXPECT_EQ(t, p[i], 0);
	kfree(p);
}

static void kfree_null_is_noop(struct ktest *t)
{
	unsigned long bad = mm_bad_frees, used = kmalloc_objects_in_use();

	kfree(NULL);
	KTEST_EXPECT_EQ(t, mm_bad_frees, bad);
	KTEST_EXPECT_EQ(t, kmalloc_objects_in_use(), used);
	KTEST_EXPECT_EQ(t, ksize(NULL), 0);
}

static void kfree_bad_pointers_are_rejected(struct ktest *t)
{
	unsigned long bad = mm_bad_frees, used;
	char *keep = kmalloc(32, GFP_KERNEL), *p = kmalloc(32, GFP_KERNEL), *q, *r;
	char *large = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);
	int on_stack;

	KTEST_ASSERT_NOT_NULL(t, keep);
	KTEST_ASSERT_NOT_NULL(t, p);
	KTEST_ASSERT_NOT_NULL(t, large);
	used = kmalloc_objects_in_use();
	cprintf("# the next 4 'mm: bad free' lines are expected\n");
	mm_bad_frees_expected = 4;
	kfree(p + 1);			/* inside an object */
	kfree(large + PAGE_SIZE);	/* inside a large allocation */
	kfree(&on_stack);		/* not kmalloc memory */
	KTEST_EXPECT_EQ(t, mm_bad_frees, bad + 3);
	kfree(p);
	kfree(p);			/* double free */
	KTEST_EXPECT_EQ(t, mm_bad_frees, bad + 4);
	KTEST_EXPECT_EQ(t, mm_bad_frees_expected, 0);
	KTEST_EXPECT_EQ(t, kmalloc_objects_in_use(), used - 1);
	/* The freelist is intact: two allocations give two distinct objects. */
	q = kmalloc(32, GFP_KERNEL);
	r = kmalloc(32, GFP_KERNEL);
	KTEST_EXPECT_TRUE(t, q && r && q != r);
	kfree(q);
	kfree(r);
	kfree(keep);
	kfree(large);
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++)
		KTEST_EXPECT_EQ(t, check_node_invariants(nid), 0);
	KTEST_EXPECT_EQ(t, slab_check_invariants(), 0);
}

static void kmalloc_node_places_on_node(struct ktest *t)
{
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		void *small, *large;

		if (nr_free_pages_node(nid) < 16)
			continue;
		small = kmalloc_node(64, GFP_KERNEL, nid);
		large = kmalloc_node(5 * PAGE_SIZE, GFP_KERNEL, nid);
		KTEST_ASSERT_NOT_NULL(t, small);
		KTEST_ASSERT_NOT_NULL(t, large);
		KTEST_EXPECT_EQ(t, page_to_nid(virt_to_page(small)), nid);
		KTEST_EXPECT_EQ(t, page_to_nid(virt_to_page(large)), nid);
		kfree(small);
		kfree(large);
	}
}

/* ---- Random stress with patterns ---- */

#define STRESS_SLOTS	512
#define STRESS_OPS	20000
#define STRESS_CHECK_EVERY 16

struct stress_slot {
	unsigned char *p;
	size_t size;
	unsigned char pattern;
};

static u64 rng_next(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t random_size(u64 *rng)
{
	u64 r = rng_next(rng);

	if (r % 16 == 0)
		return 1 + (r >> 8) % (6 * PAGE_SIZE);	/* some large ones */
	return 1 + (r >> 8) % 2048;
}

static bool pattern_intact(const struct stress_slot *sl)
{
	for (size_t i = 0; i < sl->size; i++)
		if (sl->p[i] != (unsigned char)(sl->pattern + i))
			return false;
	return true;
}

static void stress_step(struct ktest *t, struct stress_slot *sl, u64 *rng)
{
	if (sl->p) {
		KTEST_EXPECT_TRUE(t, pattern_intact(sl));
		kfree(sl->p);
		sl->p = NULL;
		return;
	}
	sl->size = random_size(rng);
	sl->p = kmalloc_node(sl->size, __GFP_NOWARN,
			     (int)(rng_next(rng) % (num_online_nodes() + 1)) - 1);
	if (!sl->p)
		return;
	sl->pattern = (unsigned char)rng_next(rng);
	for (size_t i = 0; i < sl->size; i++)
		sl->p[i] = (unsigned char)(sl->pattern + i);
}

static void kmalloc_stress_keeps_patterns(struct ktest *t)
{
	static struct stress_slot slots[STRESS_SLOTS];
	u64 rng = ktest_seed() * 0x9e3779b97f4a7c15ULL + 7;
	unsigned long used = kmalloc_objects_in_use();
	unsigned long bad = mm_bad_frees;

	cprintf("# seed %llu\n", (unsigned long long)ktest_seed());
	memset(slots, 0, sizeof(slots));
	for (int op = 0; op < STRESS_OPS && !t->failed; op++) {
		stress_step(t, &slots[rng_next(&rng) % STRESS_SLOTS], &rng);
		if (op % STRESS_CHECK_EVERY == 0) /* a check walks every slab */
			KTEST_EXPECT_EQ(t, slab_check_invariants(), 0);
	}
	for (int i = 0; i < STRESS_SLOTS; i++)
		if (slots[i].p)
			stress_step(t, &slots[i], &rng);
	KTEST_EXPECT_EQ(t, kmalloc_objects_in_use(), used);
	KTEST_EXPECT_EQ(t, mm_bad_frees, bad);
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++)
		KTEST_EXPECT_EQ(t, check_node_invariants(nid), 0);
	KTEST_EXPECT_EQ(t, slab_check_invariants(), 0);
}

/* ---- Every CPU at once ---- */

#define CONCURRENT_ITERS	4000

struct concurrent_worker {
	struct completion done;
	u64 seed;
	int errors;		/* patterns found broken, allocations failed */
};

/* Allocate, fill, check and free small objects and single pages. */
static void concurrent_work(struct concurrent_worker *w)
{
	unsigned char *held[16] = { NULL };
	size_t sizes[16];

	for (int i = 0; i < CONCURRENT_ITERS; i++) {
		int slot = rng_next(&w->seed) % 16;
		unsigned char tag = (unsigned char)slot;

		if (held[slot]) {
			for (size_t j = 0; j < sizes[slot]; j++)
				w->errors += held[slot][j] != tag;
			kfree(held[slot]);
			held[slot] = NULL;
			continue;
		}
		sizes[slot] = (rng_next(&w->seed) & 1) ? 1 + rng_next(&w->seed) % 512 :
			      PAGE_SIZE + 1;
		held[slot] = kmalloc(sizes[slot], __GFP_NOWARN);
		if (!held[slot]) {
			w->errors++;
			continue;
		}
		memset(held[slot], tag, sizes[slot]);
	}
	for (int i = 0; i < 16; i++)
		kfree(held[i]);
}

static int concurrent_worker_fn(void *data)
{
	struct concurrent_worker *w = data;

	concurrent_work(w);
	complete(&w->done);
	for (;;) {	/* kthread_stop() wants us alive until it comes */
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return w->errors;
}

static void kmalloc_concurrent_on_every_cpu(struct ktest *t)
{
	static struct concurrent_worker workers[MAX_CPUS];
	struct task_struct *tasks[MAX_CPUS];
	unsigned long used = kmalloc_objects_in_use();
	unsigned int n = num_possible_cpus();

	for (unsigned int c = 0; c < n; c++) {
		init_completion(&workers[c].done);
		workers[c].seed = ktest_seed() * 31 + c + 1;
		workers[c].errors = 0;
		tasks[c] = kthread_create(concurrent_worker_fn, &workers[c], "kmalloc-t%u", c);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, tasks[c]);
		kthread_bind(tasks[c], c);
		wake_up_process(tasks[c]);
	}
	for (unsigned int c = 0; c < n; c++) {
		wait_for_completion(&workers[c].done);
		KTEST_EXPECT_EQ(t, kthread_stop(tasks[c]), 0);
	}
	KTEST_EXPECT_EQ(t, kmalloc_objects_in_use(), used);
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++)
		KTEST_EXPECT_EQ(t, check_node_invariants(nid), 0);
	KTEST_EXPECT_EQ(t, slab_check_invariants(), 0);
}

/*
 * slab_check_slab_page() sees a broken slab: a private page made a
 * kmalloc-64 slab by hand (no cache list holds it), then damaged.
 */
static void slab_checker_catches_a_broken_slab(struct ktest *t)
{
	void *obj = kmalloc(64, GFP_KERNEL);
	struct page *page = alloc_pages(NUMA_NO_NODE, 0, 0);
	unsigned int objects, stride;
	char *base;

	if (!obj || !page) {
		kfree(obj);
		if (page)
			__free_pages(page, 0);
		KTEST_ASSERT_TRUE(t, false);
	}
	objects = virt_to_page(obj)->objects;
	stride = PAGE_SIZE / objects; /* a power of two: exact */
	base = page_address(page);
	page_set_flag(page, PG_slab);
	page->private = virt_to_page(obj)->private;
	page->objects = objects;
	page->inuse = 0;
	page->freelist = base;
	for (unsigned int i = 0; i < objects; i++)
		*(void **)(base + i * stride) =
			i + 1 < objects ? base + (i + 1) * stride : NULL;
	KTEST_EXPECT_EQ(t, slab_check_slab_page(page), 0);
	page->inuse = 1; /* SLAB2: one free object too many */
	KTEST_EXPECT_EQ(t, slab_check_slab_page(page), -EUCLEAN);
	page->inuse = objects + 1; /* SLAB1: more in use than it holds */
	KTEST_EXPECT_EQ(t, slab_check_slab_page(page), -EUCLEAN);
	page->inuse = 0;
	page->freelist = base + 8; /* SLAB2: a misaligned free object */
	KTEST_EXPECT_EQ(t, slab_check_slab_page(page), -EUCLEAN);
	page->freelist = base;
	arch_unpoison_range(base, PAGE_SIZE); /* checks poison free pointers */
	*(void **)(base + stride) = base;     /* SLAB2: the freelist loops */
	KTEST_EXPECT_EQ(t, slab_check_slab_page(page), -EUCLEAN);
	page_clear_flag(page, PG_slab);
	page->private = NULL;
	page->freelist = NULL;
	page->inuse = page->objects = 0;
	__free_pages(page, 0);
	kfree(obj);
	KTEST_EXPECT_EQ(t, slab_check_invariants(), 0);
}

static const struct ktest_case kmalloc_cases[] = {
	KTEST_CASE(kmalloc_every_size_class),
	KTEST_CASE(kmalloc_zero_size_returns_null),
	KTEST_CASE(kmalloc_too_large_returns_null),
	KTEST_CASE(kzalloc_returns_zeroed_memory),
	KTEST_CASE(kcalloc_overflow_returns_null),
	KTEST_CASE(kfree_null_is_noop),
	KTEST_CASE(kfree_bad_pointers_are_rejected),
	KTEST_CASE(kmalloc_node_places_on_node),
	KTEST_CASE(kmalloc_stress_keeps_patterns),
	KTEST_CASE(slab_checker_catches_a_broken_slab),
	KTEST_END,
};

/*
 * The cases count the allocator's free pages / objects exactly: another
 * disk's writeback still running from an earlier suite (bios, requests,
 * pages freed as it ends) moved them. Each case starts with every disk
 * synced.
 */
static int kmalloc_test_init(struct ktest *t)
{
	ksys_sync();
	return 0;
}

static const struct ktest_suite kmalloc_suite = {
	.name = "kmalloc",
	.init = kmalloc_test_init,
	.cases = kmalloc_cases,
};
KTEST_SUITE(kmalloc_suite);

/* A suite of its own: it needs kthreads on every CPU, so a scheduler or
 * arch problem shows up here, named, rather than in `kmalloc`. */
static const struct ktest_case kmalloc_smp_cases[] = {
	KTEST_CASE(kmalloc_concurrent_on_every_cpu),
	KTEST_END,
};

static const struct ktest_suite kmalloc_smp_suite = {
	.name = "kmalloc_smp",
	.init = kmalloc_test_init,
	.cases = kmalloc_smp_cases,
};
KTEST_SUITE(kmalloc_smp_suite);
