/*
 * include/quire/slab.h - kmalloc(): small objects from size classes.
 */
#ifndef QUIRE_SLAB_H
#define QUIRE_SLAB_H

#include <quire/compiler.h>
#include <quire/gfp.h>

/* NULL when out of memory (or @size == 0: ZERO_SIZE_PTR is not used).
 * Memory is aligned to at least 8 bytes, to its size class up to PAGE_SIZE. */
void *kmalloc(size_t size, gfp_t flags);
void *kmalloc_node(size_t size, gfp_t flags, int nid);
void *kzalloc(size_t size, gfp_t flags);
void *kcalloc(size_t n, size_t size, gfp_t flags);
void kfree(const void *p);
size_t ksize(const void *p);

#endif
