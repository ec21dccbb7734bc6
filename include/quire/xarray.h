/*
 * include/quire/xarray.h - Linux's XArray: a sparse array of pointers
 * indexed by unsigned long, with three search marks per entry.
 *
 * Layer: lib. Implemented by lib/xarray.c. Used by: the page cache
 * (address_space.i_pages, include/quire/fs.h).
 *
 * A radix tree of 64-slot nodes. Each node keeps, per mark, a bitmap of the
 * slots below which the mark is set somewhere; a marked entry marks every
 * ancestor (XA1), so a marked search skips unmarked subtrees. Entries are
 * any pointer with the low two bits clear (NULL = empty).
 *
 * Locking: xa->xa_lock (spinlock, irqsave: the page cache clears the
 * WRITEBACK mark from bio completion in interrupt context). Functions with
 * a __ prefix want the caller to hold it; the others take it. Quire has no
 * RCU: lookups (xa_load, xa_find) take the lock too.
 *
 * Invariants (checked by xa_check(), the `xarray` suite):
 *  XA1: a mark bit is set in a node's mark bitmap for a slot iff some entry
 *      in that slot's subtree carries the mark; xa_marked() is the root's.
 *  XA2: every node's count equals its non-NULL slots; no node is empty
 *      (empty nodes are freed at once); parent/offset links are consistent.
 *  XA3: the tree is no taller than the largest index needs (it shrinks
 *      when the top node holds only slot 0).
 */
#ifndef QUIRE_XARRAY_H
#define QUIRE_XARRAY_H

#include <quire/compiler.h>
#include <quire/types.h>
#include <quire/spinlock.h>
#include <quire/gfp.h>

typedef unsigned int xa_mark_t;
#define XA_MARK_0    0u
#define XA_MARK_1    1u
#define XA_MARK_2    2u
#define XA_MAX_MARKS 3u
#define XA_PRESENT   8u /* xa_find() filter: any entry, marked or not */

#define XA_CHUNK_SHIFT 6
#define XA_CHUNK_SIZE  (1u << XA_CHUNK_SHIFT)

struct xa_node {
	unsigned char shift;	/* bits of index below this node */
	unsigned char offset;	/* slot in parent */
	unsigned char count;	/* non-NULL slots */
	struct xa_node *parent; /* NULL for the top node */
	void *slots[XA_CHUNK_SIZE];
	unsigned long marks[XA_MAX_MARKS]; /* bit per slot (XA1) */
};

struct xarray {
	spinlock_t xa_lock;
	unsigned int xa_marks;	/* root mark bits (bit m = mark m) */
	void *xa_head;		/* an entry (index 0 only) or a node */
	unsigned long xa_nodes; /* nodes allocated, for tests/stats */
};

void xa_init(struct xarray *xa);
/* Free every node (entries are the caller's); the array becomes empty. */
void xa_destroy(struct xarray *xa);

static inline bool xa_empty(const struct xarray *xa)
{
	return READ_ONCE(xa->xa_head) == NULL;
}

#define xa_lock_irqsave(xa, flags)	spin_lock_irqsave(&(xa)->xa_lock, flags)
#define xa_unlock_irqrestore(xa, flags) spin_unlock_irqrestore(&(xa)->xa_lock, flags)

/* The entry at @index, or NULL. Takes the lock. */
void *xa_load(struct xarray *xa, unsigned long index);

/*
 * Store @entry at @index (NULL erases); returns the old entry, or
 * ERR_PTR(-ENOMEM) if a node could not be allocated (nothing changed).
 * Storing keeps the entry's marks; erasing clears them. Called with
 * xa_lock held: node allocation uses GFP_ATOMIC | __GFP_NOWARN under the
 * lock (@gfp is accepted for Linux's signature; there is no preallocation
 * call: a caller that gets -ENOMEM backs off and retries or fails). Every
 * node a store needs is allocated before the tree changes.
 */
void *__xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);
/* As __xa_store() but -EBUSY (and no change) if @index is occupied. */
int __xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);
void *__xa_erase(struct xarray *xa, unsigned long index);
/* Locked wrappers. */
void *xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp);
void *xa_erase(struct xarray *xa, unsigned long index);

/* Marks on a present entry (no-op on an empty slot). __ = lock held. */
void __xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
void __xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
bool __xa_get_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
void xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
void xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
bool xa_get_mark(struct xarray *xa, unsigned long index, xa_mark_t mark);
/* Any entry carries @mark (the root bit: O(1)). */
static inline bool xa_marked(const struct xarray *xa, xa_mark_t mark)
{
	return READ_ONCE(xa->xa_marks) & (1u << mark);
}

/*
 * The first entry at an index in [*indexp, max] that matches @filter
 * (XA_PRESENT or a mark); sets *indexp to its index. NULL (and *indexp
 * unspecified) if none. __xa_find() with the lock held.
 */
void *__xa_find(struct xarray *xa, unsigned long *indexp, unsigned long max,
		xa_mark_t filter);
void *xa_find(struct xarray *xa, unsigned long *indexp, unsigned long max,
	      xa_mark_t filter);

/*
 * Copy up to @n entries matching @filter with index in [*startp, max] into
 * @dst, in index order; *startp becomes one past the last index copied
 * (0 after ULONG_MAX; unchanged if none). Returns how many. __ = lock held.
 * The page cache's batch lookups.
 */
unsigned int __xa_extract(struct xarray *xa, void **dst, unsigned long *startp,
			  unsigned long max, unsigned int n, xa_mark_t filter);

/* Check XA1-XA3; 0 or -EUCLEAN with one log line naming the invariant. */
int xa_check(struct xarray *xa);

#endif
