/*
 * arch/x86_64/boot_test.c - KTAP suite "x86_boot": what the boot code
 * promises the rest of the kernel (docs/boot.md).
 *
 * Layer: arch/x86_64 tests. Run: `test x86_boot` in the shell, or boot
 * with -append "exec=test x86_boot".
 */
#include <quire/ktest.h>
#include <quire/smp.h>
#include <quire/sched.h>
#include <quire/platform.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <arch/debug.h>
#include <arch/memory.h>
#include <asm/acpi.h>
#include <asm/idt.h>
#include <asm/layout.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/setup.h>

extern char _text[], _etext[], _rodata[], _erodata[], _data[], _kernel_end[];
extern char boot_stack_guard[], boot_stack[];
static int boot_test_data = 1;	/* a .data variable to probe */

static void wx_text_is_executable_read_only(struct ktest *t)
{
	for (char *p = _text; p < _etext; p += PAGE_SIZE) {
		u64 pte = x86_lookup_pte((unsigned long)p);

		KTEST_ASSERT_TRUE(t, pte & PTE_PRESENT);
		KTEST_ASSERT_TRUE(t, !(pte & PTE_WRITE));
		KTEST_ASSERT_TRUE(t, !(pte & PTE_NX));
	}
}

static void wx_rodata_is_read_only_nx(struct ktest *t)
{
	bool nx = rdmsr(MSR_EFER) & EFER_NXE;

	for (char *p = _rodata; p < _erodata; p += PAGE_SIZE) {
		u64 pte = x86_lookup_pte((unsigned long)p);

		KTEST_ASSERT_TRUE(t, pte & PTE_PRESENT);
		KTEST_ASSERT_TRUE(t, !(pte & PTE_WRITE));
		KTEST_ASSERT_TRUE(t, !nx || (pte & PTE_NX));
	}
}

static void wx_data_and_bss_are_writable_nx(struct ktest *t)
{
	bool nx = rdmsr(MSR_EFER) & EFER_NXE;

	for (char *p = _data; p < _kernel_end; p += PAGE_SIZE) {
		u64 pte = x86_lookup_pte((unsigned long)p);

		if (p == boot_stack_guard)
			continue;
		KTEST_ASSERT_TRUE(t, pte & PTE_PRESENT);
		KTEST_ASSERT_TRUE(t, pte & PTE_WRITE);
		KTEST_ASSERT_TRUE(t, !nx || (pte & PTE_NX));
	}
	KTEST_EXPECT_EQ(t, boot_test_data, 1);
}

static void boot_stack_has_unmapped_guard_page(struct ktest *t)
{
	KTEST_EXPECT_FALSE(t, kernel_addr_mapped((unsigned long)boot_stack_guard));
	KTEST_EXPECT_FALSE(t, kernel_addr_mapped((unsigned long)boot_stack - 1));
	KTEST_EXPECT_TRUE(t, kernel_addr_mapped((unsigned long)boot_stack));
}

static void temporary_identity_mapping_maps_and_unmaps(struct ktest *t)
{
	/* Identity-map one of our own pages, as SMP start-up code might. */
	static u8 page[PAGE_SIZE] __aligned(PAGE_SIZE);
	const unsigned long low = KERNEL_PHYS(page);
	volatile u32 *ident = (volatile u32 *)low, *direct = (volatile u32 *)page;

	KTEST_ASSERT_EQ(t, x86_map_pages(low, low, PAGE_SIZE, PTE_WRITE), 0);
	KTEST_ASSERT_TRUE(t, kernel_addr_mapped(low));
	*direct = 0x51554952;
	KTEST_EXPECT_EQ(t, *ident, 0x51554952);
	x86_unmap_pages(low, PAGE_SIZE);
	KTEST_EXPECT_FALSE(t, kernel_addr_mapped(low));
}

static void identity_map_is_dropped(struct ktest *t)
{
	KTEST_EXPECT_FALSE(t, kernel_addr_mapped(0));
	KTEST_EXPECT_FALSE(t, kernel_addr_mapped(KERNEL_PHYS_LOAD));
	KTEST_EXPECT_FALSE(t, kernel_addr_mapped(KERNEL_PHYS((unsigned long)_data)));
}

static void free_ranges_are_sorted_aligned_and_direct_mapped(struct ktest *t)
{
	KTEST_ASSERT_TRUE(t, platform.nr_mem_ranges > 0);
	for (unsigned int i = 0; i < platform.nr_mem_ranges; i++) {
		const struct mem_range *r = &platform.mem[i];

		KTEST_EXPECT_TRUE(t, r->start < r->end);
		KTEST_EXPECT_TRUE(t, IS_ALIGNED(r->start, PAGE_SIZE));
		KTEST_EXPECT_TRUE(t, IS_ALIGNED(r->end, PAGE_SIZE));
		KTEST_EXPECT_TRUE(t, r->nid >= 0 && r->nid < (int)platform.nr_nodes);
		KTEST_EXPECT_TRUE(t, i == 0 || platform.mem[i - 1].end <= r->start);
		KTEST_EXPECT_TRUE(t, kernel_addr_mapped((unsigned long)__va(r->start)));
		KTEST_EXPECT_TRUE(t, kernel_addr_mapped((unsigned long)__va(r->end - 1)));
	}
}

static void free_ranges_exclude_kernel_and_low_memory(struct ktest *t)
{
	phys_addr_t ks = kernel_image_start_phys(), ke = kernel_image_end_phys();

	for (unsigned int i = 0; i < platform.nr_mem_ranges; i++) {
		const struct mem_range *r = &platform.mem[i];

		KTEST_EXPECT_TRUE(t, r->start >= 0x100000);
		KTEST_EXPECT_TRUE(t, r->end <= ks || r->start >= ke);
	}
}

static void direct_map_aliases_kernel_data(struct ktest *t)
{
	volatile int *alias = __va(KERNEL_PHYS(&boot_test_data));

	KTEST_EXPECT_EQ(t, *alias, 1);
	boot_test_data = 2;
	KTEST_EXPECT_EQ(t, *alias, 2);
	boot_test_data = 1;
}

static void lookup_symbol_names_functions(struct ktest *t)
{
	char name[64];
	unsigned long off;

	KTEST_ASSERT_TRUE(t, arch_lookup_symbol((unsigned long)x86_64_start + 5, name,
						sizeof(name), &off));
	KTEST_EXPECT_EQ(t, strcmp(name, "x86_64_start"), 0);
	KTEST_EXPECT_EQ(t, off, 5);
	KTEST_EXPECT_FALSE(t, arch_lookup_symbol((unsigned long)&boot_test_data, name,
						 sizeof(name), &off));
	KTEST_EXPECT_FALSE(t, arch_lookup_symbol(0x1234, name, sizeof(name), &off));
}

static noinline int trace_here(unsigned long *pcs, int max)
{
	int n = arch_stack_trace(pcs, max, 0);

	barrier();	/* no tail call: this frame must be on the stack */
	return n;
}

static void stack_trace_finds_the_caller(struct ktest *t)
{
	unsigned long pcs[8];
	char name[64];
	unsigned long off;
	int n = trace_here(pcs, 8);

	KTEST_ASSERT_TRUE(t, n >= 2);
	KTEST_ASSERT_TRUE(t, arch_lookup_symbol(pcs[0], name, sizeof(name), &off));
	KTEST_EXPECT_EQ(t, strncmp(name, "trace_here", 10), 0);	/* maybe .constprop */
	KTEST_ASSERT_TRUE(t, arch_lookup_symbol(pcs[1], name, sizeof(name), &off));
	KTEST_EXPECT_EQ(t, strcmp(name, "stack_trace_finds_the_caller"), 0);
}

static void ioremap_maps_uncached_keeping_offset(struct ktest *t)
{
	phys_addr_t phys = acpi_info.lapic_phys ? acpi_info.lapic_phys + 0x30 : 0xfee00030;
	u8 *p = arch_ioremap(phys, 4), *q = arch_ioremap(phys, 4);
	u64 pte;

	KTEST_ASSERT_NOT_NULL(t, p);
	KTEST_ASSERT_NOT_NULL(t, q);
	KTEST_EXPECT_NE(t, (unsigned long)p, (unsigned long)q);
	KTEST_EXPECT_EQ(t, (unsigned long)p & 0xfff, 0x30);
	pte = x86_lookup_pte((unsigned long)p);
	KTEST_EXPECT_EQ(t, pte & PTE_ADDR_MASK, phys & ~0xfffULL);
	KTEST_EXPECT_TRUE(t, pte & PTE_PCD);
	KTEST_EXPECT_NULL(t, arch_ioremap(phys, 0));
}

/* How many 4 KiB pages of [@va, @va + @len) are mapped. */
static unsigned long pages_mapped(unsigned long va, unsigned long len)
{
	unsigned long n = 0;

	for (unsigned long off = 0; off < len; off += PAGE_SIZE)
		n += kernel_addr_mapped(va + off);
	return n;
}

/* The page-aligned address the next arch_ioremap() will return: each
 * mapping is followed by one guard page. */
static unsigned long ioremap_next_slot(struct ktest *t, phys_addr_t phys)
{
	u8 *p = arch_ioremap(phys, 4);

	KTEST_ASSERT_NOT_NULL(t, p);
	return ((unsigned long)p & ~0xfffUL) + 2 * PAGE_SIZE;
}

/*
 * A range larger than what is left of the window, or past the physical
 * address width, is refused before anything is mapped (issue 13 #13: the
 * window check wrapped for about 55 TiB and up, and the failed call left
 * RAM mapped uncached past the next slot), and the window is not used up.
 */
static void ioremap_refuses_a_range_past_the_window(struct ktest *t)
{
	phys_addr_t phys = acpi_info.lapic_phys ? acpi_info.lapic_phys : 0xfee00000;
	static const struct {
		phys_addr_t phys;
		u64 size;
	} bad[] = {
		/* wraps ioremap_next + len (with >= 47 address bits) */
		{0xfe000000, 1ULL << 46},
		{0x1000, IOREMAP_SIZE - 0x1000}, /* more than is left */
		{0x100000, ~0ULL - 0x100000},	 /* to the last byte */
		{~0ULL - 0xffe, 0xfff},		 /* ALIGN_UP wraps to 0 */
		{1ULL << 52, PAGE_SIZE},	 /* past any MAXPHYADDR */
	};
	unsigned long next = ioremap_next_slot(t, phys);
	u8 *q;

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		KTEST_EXPECT_NULL(t, arch_ioremap(bad[i].phys, bad[i].size));
		KTEST_EXPECT_EQ(t, pages_mapped(next, 1UL << 30), 0);
	}
	q = arch_ioremap(phys + 0x30, 4);
	KTEST_ASSERT_NOT_NULL(t, q);
	KTEST_EXPECT_EQ(t, (unsigned long)q, next + 0x30);
}

/* A mapping that runs out of page tables half way leaves nothing mapped
 * (issue 13 #13), and its addresses are handed out again. */
static void ioremap_rolls_back_a_failed_mapping(struct ktest *t)
{
	phys_addr_t phys = acpi_info.lapic_phys ? acpi_info.lapic_phys : 0xfee00000;
	unsigned long next = ioremap_next_slot(t, phys);
	u8 *q;

	if (IS_ALIGNED(next, PAGE_SIZE_2M)) /* start inside a filled table */
		next = ioremap_next_slot(t, phys);
	/* The page table for the next 2 MiB region is the first one needed. */
	x86_pt_alloc_fail_nth(1);
	KTEST_EXPECT_NULL(t, arch_ioremap(phys, 4 * PAGE_SIZE_2M));
	x86_pt_alloc_fail_nth(0);
	KTEST_EXPECT_EQ(t, pages_mapped(next, 4 * PAGE_SIZE_2M + PAGE_SIZE), 0);
	q = arch_ioremap(phys + 0x30, 4);
	KTEST_ASSERT_NOT_NULL(t, q);
	KTEST_EXPECT_EQ(t, (unsigned long)q, next + 0x30);
}

static void dummy_handler(struct pt_regs *regs, void *data)
{
}

static void vectors_alloc_register_and_refuse_duplicates(struct ktest *t)
{
	int v = x86_alloc_vector();

	KTEST_ASSERT_TRUE(t, v >= FIRST_ALLOC_VECTOR && v < NR_VECTORS);
	KTEST_EXPECT_NE(t, x86_alloc_vector(), v);
	KTEST_EXPECT_EQ(t, x86_register_vector(v, dummy_handler, NULL), 0);
	KTEST_EXPECT_EQ(t, x86_register_vector(v, dummy_handler, NULL), -EBUSY);
	KTEST_EXPECT_EQ(t, x86_register_vector(NR_VECTORS, dummy_handler, NULL), -EINVAL);
	x86_free_vector(v);
	x86_free_vector(v + 1 < NR_VECTORS ? v + 1 : v);
	KTEST_EXPECT_EQ(t, x86_register_vector(v, dummy_handler, NULL), 0);
	x86_free_vector(v);
}

static void platform_has_boot_cpu_first_and_sane_nodes_body(struct ktest *t)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	KTEST_ASSERT_TRUE(t, platform.nr_cpus >= 1 && platform.nr_cpus <= MAX_CPUS);
	KTEST_EXPECT_EQ(t, platform.cpu_hwid[0], b >> 24);
	KTEST_ASSERT_TRUE(t, platform.nr_nodes >= 1 && platform.nr_nodes <= MAX_NUMNODES);
	for (unsigned int i = 0; i < platform.nr_cpus; i++)
		KTEST_EXPECT_TRUE(t, platform.cpu_node[i] < (int)platform.nr_nodes);
	for (unsigned int n = 0; n < platform.nr_nodes; n++) {
		KTEST_EXPECT_EQ(t, node_distance(n, n), LOCAL_DISTANCE);
		for (unsigned int m = 0; m < platform.nr_nodes; m++)
			KTEST_EXPECT_TRUE(t, m == n || node_distance(n, m) > LOCAL_DISTANCE);
	}
}

static void platform_has_boot_cpu_first_and_sane_nodes(struct ktest *t)
{
	ktest_on_cpu(t, 0, platform_has_boot_cpu_first_and_sane_nodes_body);
}

static void string_memmove_handles_overlap(struct ktest *t)
{
	char b[16] = "abcdefgh";

	memmove(b + 2, b, 6);
	KTEST_EXPECT_EQ(t, memcmp(b, "ababcdef", 8), 0);
	memmove(b, b + 2, 6);
	KTEST_EXPECT_EQ(t, memcmp(b, "abcdefef", 8), 0);
	memset(b, 'x', 3);
	KTEST_EXPECT_EQ(t, memcmp(b, "xxxdefef", 8), 0);
	KTEST_EXPECT_EQ(t, strrchr("a/b/c", '/') - "a/b/c", 3);
	KTEST_EXPECT_NULL(t, strchr("abc", 'z'));
	KTEST_EXPECT_TRUE(t, strncmp("abcd", "abcz", 3) == 0);
	KTEST_EXPECT_TRUE(t, strcmp("abc", "abd") < 0);
	KTEST_EXPECT_EQ(t, strnlen("abcdef", 4), 4);
}

static const struct ktest_case x86_boot_cases[] = {
	KTEST_CASE(wx_text_is_executable_read_only),
	KTEST_CASE(wx_rodata_is_read_only_nx),
	KTEST_CASE(wx_data_and_bss_are_writable_nx),
	KTEST_CASE(boot_stack_has_unmapped_guard_page),
	KTEST_CASE(identity_map_is_dropped),
	KTEST_CASE(temporary_identity_mapping_maps_and_unmaps),
	KTEST_CASE(free_ranges_are_sorted_aligned_and_direct_mapped),
	KTEST_CASE(free_ranges_exclude_kernel_and_low_memory),
	KTEST_CASE(direct_map_aliases_kernel_data),
	KTEST_CASE(lookup_symbol_names_functions),
	KTEST_CASE(stack_trace_finds_the_caller),
	KTEST_CASE(ioremap_maps_uncached_keeping_offset),
	KTEST_CASE(ioremap_refuses_a_range_past_the_window),
	KTEST_CASE(ioremap_rolls_back_a_failed_mapping),
	KTEST_CASE(vectors_alloc_register_and_refuse_duplicates),
	KTEST_CASE(platform_has_boot_cpu_first_and_sane_nodes),
	KTEST_CASE(string_memmove_handles_overlap),
	KTEST_END,
};

static const struct ktest_suite x86_boot_suite = {
	.name = "x86_boot",
	.cases = x86_boot_cases,
};
KTEST_SUITE(x86_boot_suite);
