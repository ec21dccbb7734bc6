/*
 * include/quire/slab.h - kmalloc(): small objects from size classes.
 *
 * Layer: mm. Implemented by mm/slab.c; see docs/mm.md.
 * Requests up to 2048 bytes come from power-of-two size classes
 * (kmalloc-8 .. kmalloc-2048), bigger ones from whole pages (at most
 * 2^MAX_ORDER pages). Context: any with GFP_ATOMIC / GFP_NOWAIT (locks are
 * irqsave; nothing sleeps today); kfree() from any context.
 */
#ifndef QUIRE_SLAB_H
#define QUIRE_SLAB_H

#include <quire/compiler.h>
#include <quire/gfp.h>

#define KMALLOC_SHIFT_LOW      3  /* smallest class: 8 bytes */
#define KMALLOC_SHIFT_HIGH     11 /* largest class: 2048 bytes */
#define KMALLOC_MAX_CACHE_SIZE (1UL << KMALLOC_SHIFT_HIGH)
#define NR_KMALLOC_CACHES      (KMALLOC_SHIFT_HIGH - KMALLOC_SHIFT_LOW + 1)

/* The size class (index into the kmalloc caches) that serves a kmalloc()
 * of @size <= KMALLOC_MAX_CACHE_SIZE bytes. */
static inline unsigned int kmalloc_index(size_t size)
{
	unsigned int i = 0;

	while ((1UL << (i + KMALLOC_SHIFT_LOW)) < size)
		i++;
	return i;
}

/* NULL when out of memory (logged unless __GFP_NOWARN), or @size == 0
 * (ZERO_SIZE_PTR is not used). Memory is aligned to its size class (at
 * least 8 bytes); above 2048 bytes, to PAGE_SIZE. __GFP_ZERO zeroes it. */
void *kmalloc(size_t size, gfp_t flags);
/* The same, from node @nid if it has memory (NUMA_NO_NODE: this CPU's
 * node), else the nearest; __GFP_THISNODE: @nid or NULL. */
void *kmalloc_node(size_t size, gfp_t flags, int nid);
void *kzalloc(size_t size, gfp_t flags);
/* Zeroed array; NULL if @n * @size overflows. */
void *kcalloc(size_t n, size_t size, gfp_t flags);
/* Free what kmalloc returned; NULL is ignored. Anything else (a pointer
 * inside an object, a double free) is logged and changes nothing. */
void kfree(const void *p);
/* Usable bytes at @p (>= the size asked for); 0 for NULL. */
size_t ksize(const void *p);

/* What is allocated now, for leak checks (kernel/ktest.c checks every
 * suite): kmalloc objects in use per size class, and pages in use outside
 * kmalloc's slabs (large kmalloc()s, alloc_pages()). Slab pages are not
 * counted: an empty slab may stay cached, and its objects are counted. */
struct mm_usage {
	unsigned long objects[NR_KMALLOC_CACHES];
	unsigned long pages;
	u64 seq; /* allocations tracked so far (poisoning builds) */
};
void mm_usage_snapshot(struct mm_usage *u);
/* What @now holds beyond @before, written to @buf as "2 kmalloc-64,
 * 3 pages"; false (and @buf empty) when it holds nothing more. */
bool mm_usage_grew(const struct mm_usage *before, const struct mm_usage *now, char *buf,
		   size_t size);
/* In poisoning builds (mm/slab.c SLAB3: each object records its allocator),
 * print "    #   kmalloc-64 object allocated by FUNCTION+0xoff" for up to
 * @max objects allocated since @since and not freed; returns how many.
 * Elsewhere prints nothing and returns 0. Context: process; takes each
 * slab's node lock; O(pages of RAM). */
unsigned int kmalloc_print_new_objects(const struct mm_usage *since, unsigned int max);

#endif
