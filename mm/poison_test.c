/*
 * mm/poison_test.c - bad accesses to kernel heap memory that a poisoning
 * build must report (invariants SLAB3 of mm/slab.c, BUD5 of mm/page_alloc.c).
 *
 * Layer: mm (tests). Used by: tests/run's host-asan-poison-* jobs, which
 * run one case each in a child quire-host built with ASan and expect an
 * "ERROR: AddressSanitizer: use-after-poison" report whose stack names the
 * case: each case touches memory that is free or in a redzone, after a
 * legal access just before it that must not be reported. The suite is on
 * request (a plain `test` never runs it); a build without poisoning skips
 * every case, and on it the bad access would go unnoticed.
 * Linux's counterpart: mm/kasan/kasan_test.c (the same case names).
 */
#include <quire/ktest.h>
#include <quire/printk.h>
#include <quire/slab.h>
#include <quire/mm.h>
#include <quire/mmzone.h>
#include <arch/memory.h>

/* Read one byte in a way the compiler keeps. */
static noinline char touch(const void *p)
{
	return READ_ONCE(*(const volatile char *)p);
}

static void need_poisoning(struct ktest *t)
{
	if (!arch_poison_enabled())
		ktest_skip(t,
			   "this build does not poison (arch_poison_enabled() is false)");
}

static void report_next(struct ktest *t, const char *what)
{
	cprintf("        # %s: next, %s: the sanitizer must stop the run\n", t->name,
		what);
}

/* One byte past a kmalloc(24): the slack of kmalloc-32 is a redzone. */
static void kmalloc_oob_right(struct ktest *t)
{
	char *p;

	need_poisoning(t);
	p = kmalloc(24, GFP_KERNEL);
	KTEST_ASSERT_NOT_NULL(t, p);
	touch(p + 23);
	report_next(t, "a read 1 byte past a kmalloc(24)");
	touch(p + 24);
	kfree(p);
}

/* One byte past a kmalloc(64): no slack, the redzone is the stride's. */
static void kmalloc_oob_right_exact_size(struct ktest *t)
{
	char *p;

	need_poisoning(t);
	p = kmalloc(64, GFP_KERNEL);
	KTEST_ASSERT_NOT_NULL(t, p);
	touch(p + 63);
	report_next(t, "a read 1 byte past a kmalloc(64)");
	touch(p + 64);
	kfree(p);
}

/* A read of a freed object, past its free pointer. */
static void kmalloc_uaf(struct ktest *t)
{
	char *p;

	need_poisoning(t);
	p = kmalloc(128, GFP_KERNEL);
	KTEST_ASSERT_NOT_NULL(t, p);
	touch(p + 16);
	kfree(p);
	report_next(t, "a read of a freed kmalloc(128)");
	touch(p + 16);
}

/* A read of a freed page. */
static void page_alloc_uaf(struct ktest *t)
{
	struct page *page;
	char *p;

	need_poisoning(t);
	page = alloc_pages(NUMA_NO_NODE, 1, GFP_KERNEL);
	KTEST_ASSERT_NOT_NULL(t, page);
	p = page_address(page);
	touch(p + PAGE_SIZE);
	__free_pages(page, 1);
	report_next(t, "a read of a freed order-1 block");
	touch(p + PAGE_SIZE);
}

static const struct ktest_case poison_cases[] = {
	KTEST_CASE(kmalloc_oob_right),
	KTEST_CASE(kmalloc_oob_right_exact_size),
	KTEST_CASE(kmalloc_uaf),
	KTEST_CASE(page_alloc_uaf),
	KTEST_END,
};

static const struct ktest_suite poison_suite = {
	.name = "poison",
	.cases = poison_cases,
	.on_request = true,
};
KTEST_SUITE(poison_suite);
