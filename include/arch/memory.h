/*
 * include/arch/memory.h - physical memory and its mapping.
 *
 * All RAM listed in platform.mem is mapped at arch_direct_map_base + phys
 * (x86_64: the higher-half direct map; host: the arena). Only memory from
 * the page allocator or kmalloc may be handed to __pa() or to a device.
 */
#ifndef ARCH_MEMORY_H
#define ARCH_MEMORY_H

#include <quire/types.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

extern uintptr_t arch_direct_map_base;

static inline void *__va(phys_addr_t phys)
{
	return (void *)(uintptr_t)(phys + arch_direct_map_base);
}

static inline phys_addr_t __pa(const void *virt)
{
	return (phys_addr_t)((uintptr_t)virt - arch_direct_map_base);
}

/* Map device memory (MMIO) uncached; NULL on failure. Context: process. */
void *arch_ioremap(phys_addr_t phys, size_t size);

/*
 * Memory poisoning, for a memory checker the arch may have (Linux: the
 * kasan_poison()/kasan_unpoison() of generic KASAN). The page allocator and
 * kmalloc poison what nobody may touch: free pages, free objects, and the
 * redzone after each object; an access to poisoned bytes is then reported
 * at once with the stack that made it (arch/host under ASan, through its
 * manual poisoning interface). On x86_64 and in the other host builds
 * these do nothing and arch_poison_enabled() is false.
 * Context: any; the caller owns [p, p + n) (the range is not shared).
 */
void arch_poison_range(const void *p, size_t n);
void arch_unpoison_range(const void *p, size_t n);
/* Does this build check poison? kmalloc spends redzones only then. */
bool arch_poison_enabled(void);

#endif
