/*
 * arch/x86_64/paging.c - the kernel's page tables.
 *
 * Layer: arch/x86_64. Provides: paging_init(), arch_ioremap(),
 * arch_direct_map_base, x86_map_pages(), kernel_addr_mapped().
 *
 * paging_init() builds new 4-level tables from a static pool in .bss and
 * switches CR3 to them; the boot's identity map is not in them, so it is
 * gone from then on. The new tables hold:
 *   - the direct map of every RAM range of boot_info, the first 2 MiB and
 *     the kernel image's own pages (__va() of a page table must work)
 *     at DIRECT_MAP_BASE + phys: 1 GiB pages when the CPU has them, else
 *     2 MiB pages; writable, NX;
 *   - the kernel image at KERNEL_VIRT_BASE + phys in 4 KiB pages, W^X:
 *     .text read+exec, .rodata read-only NX, .data/.bss read-write NX;
 *   - the ioremap window, filled on demand with uncached 4 KiB pages.
 * Every page table comes from the pool, which lives in the kernel image,
 * so a table's virtual address is always phys + KERNEL_VIRT_BASE.
 *
 * Invariants:
 *   PG1 a failed x86_map_pages() leaves none of the 4 KiB entries it
 *       installed (the tables it allocated stay, empty, for the next
 *       mapping of those addresses); a failed arch_ioremap() therefore
 *       maps nothing and does not advance ioremap_next.
 *   PG2 the ioremap window holds only what arch_ioremap() returned:
 *       ioremap_next <= IOREMAP_BASE + IOREMAP_SIZE + PAGE_SIZE, and a
 *       request is checked against the room left (end - ioremap_next), a
 *       difference that cannot wrap, never against a sum.
 *
 * Locking: ioremap_lock (raw, interrupts off) serialises arch_ioremap()
 * and guards ioremap_next; boot-time mapping runs on the boot CPU alone.
 */
#include <quire/bug.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <arch/memory.h>
#include <arch/irq.h>
#include <arch/cpu.h>
#include <asm/layout.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include <asm/setup.h>
#include <asm/smp.h>

#define PT_POOL_PAGES	256	/* 1 MiB: direct map of 64 GiB with 2 MiB pages + rest */
#define PT_ENTRIES	512

uintptr_t arch_direct_map_base = DIRECT_MAP_BASE;

extern char _text[], _etext[], _rodata[], _erodata[], _data[], _kernel_end[];
extern char boot_stack_guard[];

static u64 pt_pool[PT_POOL_PAGES][PT_ENTRIES] __aligned(4096);
static unsigned int pt_pool_used;
static u64 *kernel_pml4;
static u64 nx_bit;		/* PTE_NX when EFER.NXE is on, else 0 */
static bool have_1g_pages;
static unsigned int phys_bits = 36; /* MAXPHYADDR; CPUID 0x80000008 */
static unsigned long ioremap_next = IOREMAP_BASE;
static int ioremap_lock;
static unsigned int pt_fail_nth; /* x86_pt_alloc_fail_nth(): 0 = off */

void x86_pt_alloc_fail_nth(unsigned int nth)
{
	__atomic_store_n(&pt_fail_nth, nth, __ATOMIC_RELAXED);
}

/* Fault injection for tests, as Linux's fail-nth: true on the nth call
 * after x86_pt_alloc_fail_nth(n), once. */
static bool pt_alloc_should_fail(void)
{
	unsigned int n = __atomic_load_n(&pt_fail_nth, __ATOMIC_RELAXED);

	if (!n)
		return false;
	__atomic_store_n(&pt_fail_nth, n - 1, __ATOMIC_RELAXED);
	return n == 1;
}

static u64 *pt_alloc(void)
{
	if (pt_pool_used == PT_POOL_PAGES || pt_alloc_should_fail())
		return NULL;
	return pt_pool[pt_pool_used++];		/* zeroed: .bss */
}

static u64 *pt_virt(u64 entry)
{
	return (u64 *)((entry & PTE_ADDR_MASK) + KERNEL_VIRT_BASE);
}

static unsigned int pt_index(unsigned long va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & 0x1ff;
}

/* The table at @level - 1 under @table's entry for @va, created if absent. */
static u64 *pt_next(u64 *table, unsigned long va, int level)
{
	u64 *e = &table[pt_index(va, level)];
	u64 *next;

	if (*e & PTE_PRESENT)
		return pt_virt(*e);
	next = pt_alloc();
	if (!next)
		return NULL;
	*e = KERNEL_PHYS(next) | PTE_PRESENT | PTE_WRITE;
	return next;
}

/* Map one page of @page_size (4K, 2M or 1G) at @va. */
static int map_one(unsigned long va, phys_addr_t pa, u64 page_size, u64 flags)
{
	int leaf = page_size == PAGE_SIZE_1G ? 3 : page_size == PAGE_SIZE_2M ? 2 : 1;
	u64 *t = kernel_pml4;

	for (int level = 4; level > leaf; level--) {
		u64 e = t[pt_index(va, level)];

		/* Only the direct map has huge pages, and it is linear: a
		 * huge page already covering @va maps it to @pa. */
		if ((e & PTE_PRESENT) && (e & PTE_HUGE))
			return 0;
		t = pt_next(t, va, level);
		if (!t)
			return -ENOMEM;
	}
	if (leaf > 1)
		flags |= PTE_HUGE;
	t[pt_index(va, leaf)] = pa | (flags & ~PTE_NX) | (flags & nx_bit) | PTE_PRESENT;
	return 0;
}

int x86_map_pages(unsigned long virt, phys_addr_t phys, size_t size, u64 flags)
{
	for (size_t off = 0; off < size; off += PAGE_SIZE) {
		int err = map_one(virt + off, phys + off, PAGE_SIZE, flags);

		if (err) {
			x86_unmap_pages(virt, off); /* PG1: nothing stays */
			return err;
		}
		invlpg(virt + off);
	}
	return 0;
}

phys_addr_t x86_kernel_pgd_phys(void)
{
	return KERNEL_PHYS(kernel_pml4);
}

/* Direct-map [start, end) rounded out to 2 MiB, with 1 GiB pages where
 * aligned and available. */
static void map_direct(phys_addr_t start, phys_addr_t end)
{
	start = ALIGN_DOWN(start, PAGE_SIZE_2M);
	end = ALIGN_UP(end, PAGE_SIZE_2M);
	while (start < end) {
		u64 sz = PAGE_SIZE_2M;

		if (have_1g_pages && IS_ALIGNED(start, PAGE_SIZE_1G) &&
		    end - start >= PAGE_SIZE_1G)
			sz = PAGE_SIZE_1G;
		if (map_one(DIRECT_MAP_BASE + start, start, sz, PTE_WRITE | PTE_NX))
			panic("paging: page-table pool exhausted mapping RAM at %#llx",
			      (unsigned long long)start);
		start += sz;
	}
}

static bool boot_mem_is_ram(u32 type)
{
	return type == BOOT_MEM_USABLE || type == BOOT_MEM_ACPI ||
	       type == BOOT_MEM_NVS || type == BOOT_MEM_BOOTDATA;
}

static void map_kernel_range(char *start, char *end, u64 flags)
{
	unsigned long s = (unsigned long)start, e = ALIGN_UP((unsigned long)end, PAGE_SIZE);

	if (x86_map_pages(s, KERNEL_PHYS(s), e - s, flags | PTE_GLOBAL))
		panic("paging: page-table pool exhausted mapping the kernel");
}

void x86_unmap_pages(unsigned long virt, size_t size)
{
	for (unsigned long va = virt; va < virt + size; va += PAGE_SIZE) {
		u64 *t = kernel_pml4;
		int level;

		for (level = 4; level > 1; level--) {
			u64 e = t[pt_index(va, level)];

			if (!(e & PTE_PRESENT) || (e & PTE_HUGE))
				break;
			t = pt_virt(e);
		}
		if (level == 1) {
			t[pt_index(va, 1)] = 0;
			invlpg(va);
		}
	}
}

static void detect_paging_features(void)
{
	u32 max, a, b, c, d;

	cpuid(0x80000000, 0, &max, &b, &c, &d);
	if (max < 0x80000001)
		return;
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	have_1g_pages = d & (1U << 26);
	if (max >= 0x80000008) {
		cpuid(0x80000008, 0, &a, &b, &c, &d);
		if ((a & 0xff) >= 32 && (a & 0xff) <= 52)
			phys_bits = a & 0xff;
	}
	if (rdmsr(MSR_EFER) & EFER_NXE)
		nx_bit = PTE_NX;
}

void paging_init(const struct boot_info *bi)
{
	detect_paging_features();
	kernel_pml4 = pt_alloc();
	map_direct(0, PAGE_SIZE_2M);
	/* The kernel's own RAM: a loader may call it reserved (UEFI does). */
	map_direct(kernel_image_start_phys(), kernel_image_end_phys());
	for (u32 i = 0; i < bi->nr_mem; i++)
		if (boot_mem_is_ram(bi->mem[i].type) && bi->mem[i].length)
			map_direct(bi->mem[i].base, bi->mem[i].base + bi->mem[i].length);
	map_kernel_range(_text, _etext, 0);
	map_kernel_range(_rodata, _erodata, PTE_NX);
	map_kernel_range(_data, _kernel_end, PTE_WRITE | PTE_NX);
	x86_unmap_pages((unsigned long)boot_stack_guard, PAGE_SIZE);
	write_cr3(KERNEL_PHYS(kernel_pml4));
	pr_info("paging: direct map at %#lx (%s pages), kernel W^X%s, %u page-table pages used\n",
		arch_direct_map_base, have_1g_pages ? "1 GiB" : "2 MiB",
		nx_bit ? " + NX" : " (no NX on this CPU)", pt_pool_used);
}

u64 x86_lookup_pte(unsigned long va)
{
	u64 *t = (u64 *)((read_cr3() & PTE_ADDR_MASK) + KERNEL_VIRT_BASE);

	for (int level = 4; level >= 1; level--) {
		u64 e = t[pt_index(va, level)];

		if (!(e & PTE_PRESENT))
			return 0;
		if (level == 1 || (level <= 3 && (e & PTE_HUGE)))
			return e;
		t = pt_virt(e);
	}
	return 0;
}

bool kernel_addr_mapped(unsigned long va)
{
	return x86_lookup_pte(va) & PTE_PRESENT;
}

phys_addr_t kernel_image_start_phys(void)
{
	return KERNEL_PHYS(_text);
}

phys_addr_t kernel_image_end_phys(void)
{
	return KERNEL_PHYS(ALIGN_UP((unsigned long)_kernel_end, PAGE_SIZE));
}

/*
 * Linux's checks (__ioremap_caller): no zero size, no wrap of the last
 * byte, nothing past the CPU's physical address width. The window check
 * compares against the room that is left, so no sum can wrap.
 */
static bool ioremap_range_ok(phys_addr_t phys, size_t size)
{
	phys_addr_t last = phys + size - 1;

	if (!size || last < phys)
		return false;
	if (last >> phys_bits) {
		pr_err("ioremap: %#llx+%#zx is past the %u-bit physical address space\n",
		       (unsigned long long)phys, size, phys_bits);
		return false;
	}
	return true;
}

/* Context: process. Takes ioremap_lock; with interrupts on, a failed
 * mapping ends with flush_tlb_all(). */
void *arch_ioremap(phys_addr_t phys, size_t size)
{
	const unsigned long end = IOREMAP_BASE + IOREMAP_SIZE;
	phys_addr_t base, len;
	unsigned long flags, va = 0;
	int err = 0;

	if (!ioremap_range_ok(phys, size))
		return NULL;
	base = ALIGN_DOWN(phys, PAGE_SIZE);
	len = ALIGN_UP(phys + size, PAGE_SIZE) - base; /* < 2^52: no wrap */
	flags = arch_local_irq_save();
	while (__atomic_exchange_n(&ioremap_lock, 1, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	if (ioremap_next <= end && len <= end - ioremap_next) /* PG2 */
		err = x86_map_pages(ioremap_next, base, len,
				    PTE_WRITE | PTE_PCD | PTE_PWT | PTE_NX);
	else
		err = -ENOSPC;
	if (!err) {
		va = ioremap_next;
		ioremap_next += len + PAGE_SIZE;	/* a guard page between mappings */
	}
	__atomic_store_n(&ioremap_lock, 0, __ATOMIC_RELEASE);
	arch_local_irq_restore(flags);
	/* PG1: the entries a failed map installed are gone from this CPU's
	 * TLB; another CPU may have cached one speculatively, and the next
	 * mapping reuses these addresses. */
	if (err == -ENOMEM && !arch_irqs_disabled())
		flush_tlb_all();
	if (err)
		pr_err("ioremap: cannot map %#llx+%#zx: %s\n", (unsigned long long)phys,
		       size, err == -ENOSPC ? "window full" : "out of page tables");
	return va ? (void *)(va + (phys - base)) : NULL;
}
