/*
 * block/mm-fallback.c - TEMPORARY: weak stand-ins for kmalloc and the page
 * allocator on arch/x86_64 until mm/ lands on main, so the kernel links
 * with the block layer in it. They fail every allocation (no disks exist
 * on x86 before virtio-blk anyway). arch/host has its own working
 * stand-ins in arch/host/blockdev.c. The real mm/ overrides both; delete
 * this file then.
 */
#include <quire/mm.h>
#include <quire/slab.h>

#ifndef ARCH_HOST
__weak void *kmalloc(size_t size, gfp_t flags) { return NULL; }
__weak void *kzalloc(size_t size, gfp_t flags) { return NULL; }
__weak void *kcalloc(size_t n, size_t size, gfp_t flags) { return NULL; }
__weak void kfree(const void *p) { }
__weak struct page *alloc_pages(int nid, unsigned int order, gfp_t flags) { return NULL; }
__weak void __free_pages(struct page *page, unsigned int order) { }
__weak void *page_address(const struct page *page) { return NULL; }
#endif
