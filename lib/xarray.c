/*
 * lib/xarray.c - Linux's XArray: a sparse array of pointers indexed by
 * unsigned long, kept as a radix tree of 64-slot nodes, with three marks.
 *
 * Layer: lib. Used by: the page cache (address_space.i_pages).
 * Provides: xa_load(), __xa_store()/xa_store(), __xa_insert(),
 * __xa_erase()/xa_erase(), the mark calls, __xa_find()/xa_find(),
 * __xa_extract(), xa_destroy(), xa_check().
 * Not here: RCU lookups, multi-index entries, value entries and the xas_*
 * cursor API of Linux (docs/xarray.md).
 *
 * Shape. xa_head is NULL, an entry (the only one, at index 0), or a node
 * pointer tagged with bit 1 (xa_mk_node(): entries have the low two bits
 * clear, so the tag tells them apart). A node of shift s covers 64 << s
 * indices; slot i holds the child for indices with bits s..s+5 equal to i.
 * Nodes of shift 0 hold entries. The top node has the smallest shift that
 * covers the largest index (XA3); the tree grows by adding a top node whose
 * slot 0 is the old top, and shrinks by the reverse.
 *
 * Invariants (include/quire/xarray.h; xa_check() verifies them):
 *  XA1: a node's marks[m] bit i is set iff some entry below slot i carries
 *      mark m; xa_marks bit m is set iff any entry carries it.
 *  XA2: count = non-NULL slots, no node is empty, parent/offset/shift
 *      links agree, xa_nodes = nodes in the tree.
 *  XA3: the top node never holds only slot 0.
 *
 * No allocation failure leaves a half-done store: __xa_store() counts the
 * nodes it needs (xa_nodes_needed()), allocates them all first, and only
 * then changes the tree.
 *
 * Locking: xa->xa_lock (irqsave) guards everything in the array; the
 * __ functions assert it is held, the others take it.
 */
#include <quire/xarray.h>
#include <quire/slab.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/bug.h>
#include "xarray_internal.h"

#define XA_NODE_TAG  2UL
#define XA_MAX_SHIFT 60u /* the top shift that covers ULONG_MAX */
#define XA_POOL_MAX  24u /* 2 * 10 + 1 nodes at most for one store */
#define XA_LONG_BITS 64u

/* Test hook (lib/xarray_test.c): make node allocations for @xa_fail_array
 * fail once xa_fail_after more have succeeded. */
struct xarray *xa_fail_array;
int xa_fail_after;

static bool xa_is_node(const void *entry)
{
	return ((unsigned long)entry & 3UL) == XA_NODE_TAG;
}

static struct xa_node *xa_to_node(const void *entry)
{
	return (struct xa_node *)((unsigned long)entry - XA_NODE_TAG);
}

static void *xa_mk_node(const struct xa_node *node)
{
	return (void *)((unsigned long)node | XA_NODE_TAG);
}

static bool xa_valid_mark(xa_mark_t mark)
{
	return mark < XA_MAX_MARKS;
}

/* The index bits a node of @shift covers (all of them at the top shift). */
static unsigned long xa_span_mask(unsigned int shift)
{
	if (shift + XA_CHUNK_SHIFT >= XA_LONG_BITS)
		return ~0UL;
	return (1UL << (shift + XA_CHUNK_SHIFT)) - 1;
}

/* The smallest shift whose node covers @index (XA3). */
static unsigned int xa_shift_for(unsigned long index)
{
	unsigned int shift = 0;

	while (shift < XA_MAX_SHIFT && (index >> shift) >= XA_CHUNK_SIZE)
		shift += XA_CHUNK_SHIFT;
	return shift;
}

static unsigned int xa_offset(unsigned long index, const struct xa_node *node)
{
	return (index >> node->shift) & (XA_CHUNK_SIZE - 1);
}

static void xa_init_node(struct xa_node *node)
{
	memset(node, 0, sizeof(*node));
}

void xa_init(struct xarray *xa)
{
	spin_lock_init(&xa->xa_lock);
	xa->xa_marks = 0;
	WRITE_ONCE(xa->xa_head, NULL);
	xa->xa_nodes = 0;
}

/* ---- node allocation: all before any change ---- */

struct xa_pool {
	unsigned int nr;
	struct xa_node *nodes[XA_POOL_MAX];
};

static struct xa_node *xa_alloc_node(struct xarray *xa)
{
	if (xa == xa_fail_array) {
		if (xa_fail_after <= 0)
			return NULL;
		xa_fail_after--;
	}
	return kmalloc(sizeof(struct xa_node), GFP_ATOMIC | __GFP_NOWARN);
}

static void xa_free_node(struct xarray *xa, struct xa_node *node)
{
	xa->xa_nodes--;
	kfree(node);
}

static int xa_pool_fill(struct xarray *xa, struct xa_pool *pool, unsigned int need)
{
	pool->nr = 0;
	while (pool->nr < need) {
		struct xa_node *node = xa_alloc_node(xa);

		if (!node) {
			while (pool->nr)
				kfree(pool->nodes[--pool->nr]);
			return -ENOMEM;
		}
		pool->nodes[pool->nr++] = node;
	}
	return 0;
}

static struct xa_node *xa_pool_take(struct xarray *xa, struct xa_pool *pool,
				    unsigned int shift, struct xa_node *parent,
				    unsigned int offset)
{
	struct xa_node *node = pool->nodes[--pool->nr];

	xa_init_node(node);
	node->shift = shift;
	node->parent = parent;
	node->offset = offset;
	xa->xa_nodes++;
	return node;
}

/*
 * How many nodes storing a non-NULL entry at @index adds: levels to grow
 * the top by, plus the missing nodes on the path down to shift 0.
 */
static unsigned int xa_nodes_needed(struct xarray *xa, unsigned long index)
{
	unsigned int want = xa_shift_for(index);
	void *head = xa->xa_head;
	struct xa_node *node;

	if (!head || !xa_is_node(head)) {
		if (index == 0)
			return 0;
		/* A new top of shift @want; with an entry at 0, also the
		 * chain under slot 0 that keeps it. Slot (index >> want) is
		 * not 0, so the new index's path is all new. */
		return (head ? want / XA_CHUNK_SHIFT + 1 : 1) + want / XA_CHUNK_SHIFT;
	}
	node = xa_to_node(head);
	if (want > node->shift)
		return (want - node->shift) / XA_CHUNK_SHIFT + want / XA_CHUNK_SHIFT;
	while (node->shift) {
		void *child = node->slots[xa_offset(index, node)];

		if (!child)
			return node->shift / XA_CHUNK_SHIFT;
		node = xa_to_node(child);
	}
	return 0;
}

/* Make the top node cover @index (XA3 holds: @index needs that shift). */
static void xa_grow(struct xarray *xa, unsigned long index, struct xa_pool *pool)
{
	unsigned int want = xa_shift_for(index);
	void *head = xa->xa_head;
	struct xa_node *top;

	if (!head) {
		top = xa_pool_take(xa, pool, want, NULL, 0);
		WRITE_ONCE(xa->xa_head, xa_mk_node(top));
		return;
	}
	if (!xa_is_node(head)) {
		/* The lone entry at index 0 moves into a node of shift 0,
		 * its marks (the root's) with it. */
		top = xa_pool_take(xa, pool, 0, NULL, 0);
		top->slots[0] = head;
		top->count = 1;
		for (xa_mark_t m = 0; m < XA_MAX_MARKS; m++)
			if (xa->xa_marks & (1u << m))
				top->marks[m] = 1;
		WRITE_ONCE(xa->xa_head, xa_mk_node(top));
	}
	top = xa_to_node(xa->xa_head);
	while (top->shift < want) {
		struct xa_node *node;

		node = xa_pool_take(xa, pool, top->shift + XA_CHUNK_SHIFT, NULL, 0);
		node->slots[0] = xa_mk_node(top);
		node->count = 1;
		for (xa_mark_t m = 0; m < XA_MAX_MARKS; m++)
			if (top->marks[m])
				node->marks[m] = 1;
		top->parent = node;
		top->offset = 0;
		WRITE_ONCE(xa->xa_head, xa_mk_node(node));
		top = node;
	}
}

/* Give back the top node while it holds only slot 0 (XA3). */
static void xa_shrink(struct xarray *xa)
{
	while (xa_is_node(xa->xa_head)) {
		struct xa_node *top = xa_to_node(xa->xa_head);
		void *child = top->slots[0];

		if (top->count != 1 || !child)
			return;
		if (xa_is_node(child)) {
			xa_to_node(child)->parent = NULL;
			xa_to_node(child)->offset = 0;
		}
		/* Root marks = top's marks for slot 0, unchanged (XA1). */
		WRITE_ONCE(xa->xa_head, child);
		xa_free_node(xa, top);
	}
}

/*
 * Where the entry for @index lives: returns the leaf node and sets *offp,
 * or NULL with *offp = 0 for the entry in xa_head. *slotp is the slot's
 * address, or NULL when no slot for @index exists.
 */
static struct xa_node *xa_walk(struct xarray *xa, unsigned long index, unsigned int *offp,
			       void ***slotp)
{
	void *head = xa->xa_head;
	struct xa_node *node;

	*offp = 0;
	*slotp = NULL;
	if (!xa_is_node(head)) {
		if (index == 0)
			*slotp = &xa->xa_head;
		return NULL;
	}
	node = xa_to_node(head);
	if ((index & ~xa_span_mask(node->shift)) != 0)
		return NULL;
	for (;;) {
		unsigned int off = xa_offset(index, node);

		if (node->shift == 0) {
			*offp = off;
			*slotp = &node->slots[off];
			return node;
		}
		if (!node->slots[off])
			return NULL;
		node = xa_to_node(node->slots[off]);
	}
}

/* ---- marks ---- */

static void xa_mark_up(struct xarray *xa, struct xa_node *node, unsigned int off,
		       xa_mark_t mark)
{
	for (; node; off = node->offset, node = node->parent) {
		if (node->marks[mark] & (1UL << off))
			return; /* XA1: the ancestors have it */
		node->marks[mark] |= 1UL << off;
	}
	WRITE_ONCE(xa->xa_marks,
		   xa->xa_marks | (1u << mark)); /* xa_marked() reads it unlocked */
}

static void xa_unmark_up(struct xarray *xa, struct xa_node *node, unsigned int off,
			 xa_mark_t mark)
{
	for (; node; off = node->offset, node = node->parent) {
		node->marks[mark] &= ~(1UL << off);
		if (node->marks[mark])
			return; /* XA1: another slot still has it */
	}
	WRITE_ONCE(xa->xa_marks, xa->xa_marks & ~(1u << mark));
}

void __xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	struct xa_node *node;
	unsigned int off;
	void **slot;

	lockdep_assert_held(&xa->xa_lock);
	if (!xa_valid_mark(mark))
		return;
	node = xa_walk(xa, index, &off, &slot);
	if (slot && *slot)
		xa_mark_up(xa, node, off, mark);
}

void __xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	struct xa_node *node;
	unsigned int off;
	void **slot;

	lockdep_assert_held(&xa->xa_lock);
	if (!xa_valid_mark(mark))
		return;
	node = xa_walk(xa, index, &off, &slot);
	if (slot && *slot)
		xa_unmark_up(xa, node, off, mark);
}

bool __xa_get_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	struct xa_node *node;
	unsigned int off;
	void **slot;

	lockdep_assert_held(&xa->xa_lock);
	if (!xa_valid_mark(mark))
		return false;
	node = xa_walk(xa, index, &off, &slot);
	if (!slot || !*slot)
		return false;
	if (!node)
		return xa->xa_marks & (1u << mark);
	return node->marks[mark] & (1UL << off);
}

void xa_set_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	unsigned long flags;

	xa_lock_irqsave(xa, flags);
	__xa_set_mark(xa, index, mark);
	xa_unlock_irqrestore(xa, flags);
}

void xa_clear_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	unsigned long flags;

	xa_lock_irqsave(xa, flags);
	__xa_clear_mark(xa, index, mark);
	xa_unlock_irqrestore(xa, flags);
}

bool xa_get_mark(struct xarray *xa, unsigned long index, xa_mark_t mark)
{
	unsigned long flags;
	bool ret;

	xa_lock_irqsave(xa, flags);
	ret = __xa_get_mark(xa, index, mark);
	xa_unlock_irqrestore(xa, flags);
	return ret;
}

/* ---- load, store, erase ---- */

void *xa_load(struct xarray *xa, unsigned long index)
{
	unsigned long flags;
	unsigned int off;
	void **slot;
	void *entry;

	xa_lock_irqsave(xa, flags);
	xa_walk(xa, index, &off, &slot);
	entry = slot ? *slot : NULL;
	xa_unlock_irqrestore(xa, flags);
	return entry;
}

void *__xa_erase(struct xarray *xa, unsigned long index)
{
	struct xa_node *node;
	unsigned int off;
	void **slot;
	void *old;

	lockdep_assert_held(&xa->xa_lock);
	node = xa_walk(xa, index, &off, &slot);
	if (!slot || !*slot)
		return NULL;
	old = *slot;
	if (!node) {
		WRITE_ONCE(xa->xa_head, NULL);
		WRITE_ONCE(xa->xa_marks, 0);
		return old;
	}
	for (xa_mark_t m = 0; m < XA_MAX_MARKS; m++)
		if (node->marks[m] & (1UL << off))
			xa_unmark_up(xa, node, off, m);
	node->slots[off] = NULL;
	node->count--;
	/* XA2: free empty nodes at once, upwards. */
	while (node && node->count == 0) {
		struct xa_node *parent = node->parent;

		off = node->offset;
		xa_free_node(xa, node);
		if (parent) {
			parent->slots[off] = NULL;
			parent->count--;
		} else {
			WRITE_ONCE(xa->xa_head, NULL);
			WRITE_ONCE(xa->xa_marks, 0);
		}
		node = parent;
	}
	xa_shrink(xa);
	return old;
}

void *__xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	struct xa_pool pool;
	struct xa_node *node;
	unsigned int off;
	void *old;

	lockdep_assert_held(&xa->xa_lock);
	if (!entry)
		return __xa_erase(xa, index);
	if ((unsigned long)entry & 3UL)
		return ERR_PTR(-EINVAL); /* not an entry: low bits are ours */
	if (xa_pool_fill(xa, &pool, xa_nodes_needed(xa, index)))
		return ERR_PTR(-ENOMEM); /* nothing changed */
	if (index == 0 && !xa_is_node(xa->xa_head)) {
		old = xa->xa_head;
		WRITE_ONCE(xa->xa_head, entry);
		return old;
	}
	xa_grow(xa, index, &pool);
	node = xa_to_node(xa->xa_head);
	while (node->shift) {
		off = xa_offset(index, node);
		if (!node->slots[off]) {
			struct xa_node *child;

			child = xa_pool_take(xa, &pool, node->shift - XA_CHUNK_SHIFT,
					     node, off);
			node->slots[off] = xa_mk_node(child);
			node->count++;
		}
		node = xa_to_node(node->slots[off]);
	}
	off = xa_offset(index, node);
	old = node->slots[off];
	node->slots[off] = entry; /* an old entry's marks stay */
	if (!old)
		node->count++;
	/* xa_nodes_needed() is exact; were it not, give back the rest. */
	if (WARN_ON(pool.nr != 0))
		while (pool.nr)
			kfree(pool.nodes[--pool.nr]);
	return old;
}

int __xa_insert(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	unsigned int off;
	void **slot;
	void *old;

	lockdep_assert_held(&xa->xa_lock);
	xa_walk(xa, index, &off, &slot);
	if (slot && *slot)
		return -EBUSY;
	if (!entry)
		return 0;
	old = __xa_store(xa, index, entry, gfp);
	return IS_ERR(old) ? (int)PTR_ERR(old) : 0;
}

void *xa_store(struct xarray *xa, unsigned long index, void *entry, gfp_t gfp)
{
	unsigned long flags;
	void *old;

	xa_lock_irqsave(xa, flags);
	old = __xa_store(xa, index, entry, gfp);
	xa_unlock_irqrestore(xa, flags);
	return old;
}

void *xa_erase(struct xarray *xa, unsigned long index)
{
	unsigned long flags;
	void *old;

	xa_lock_irqsave(xa, flags);
	old = __xa_erase(xa, index);
	xa_unlock_irqrestore(xa, flags);
	return old;
}

/* ---- searching ---- */

/* The first slot >= @off of @node that matches @filter, or 64. */
static unsigned int xa_node_next(const struct xa_node *node, unsigned int off,
				 xa_mark_t filter)
{
	unsigned long bits;

	if (off >= XA_CHUNK_SIZE)
		return XA_CHUNK_SIZE;
	if (filter == XA_PRESENT) {
		for (; off < XA_CHUNK_SIZE; off++)
			if (node->slots[off])
				return off;
		return XA_CHUNK_SIZE;
	}
	bits = node->marks[filter] & (~0UL << off);
	return bits ? (unsigned int)__builtin_ctzl(bits) : XA_CHUNK_SIZE;
}

void *__xa_find(struct xarray *xa, unsigned long *indexp, unsigned long max,
		xa_mark_t filter)
{
	unsigned long index = *indexp;
	void *head = xa->xa_head;
	struct xa_node *node;
	unsigned int off;

	lockdep_assert_held(&xa->xa_lock);
	if (filter != XA_PRESENT && !xa_valid_mark(filter))
		return NULL;
	if (index > max || !head)
		return NULL;
	if (filter != XA_PRESENT && !(xa->xa_marks & (1u << filter)))
		return NULL; /* XA1: nothing carries it */
	if (!xa_is_node(head)) {
		if (index != 0)
			return NULL;
		return head; /* *indexp is 0 already */
	}
	node = xa_to_node(head);
	if (index & ~xa_span_mask(node->shift))
		return NULL;
	off = xa_offset(index, node);
	for (;;) {
		unsigned int next = xa_node_next(node, off, filter);

		if (next >= XA_CHUNK_SIZE) {
			/* Nothing left here: go on after this node in its
			 * parent. Indices only grow, so pass max = done. */
			if (!node->parent)
				return NULL;
			off = node->offset + 1;
			node = node->parent;
			if (off >= XA_CHUNK_SIZE)
				continue;
			index = (index & ~xa_span_mask(node->shift)) |
				((unsigned long)off << node->shift);
			if (index > max)
				return NULL;
			continue;
		}
		if (next != off) {
			index = (index & ~xa_span_mask(node->shift)) |
				((unsigned long)next << node->shift);
			if (index > max)
				return NULL;
		}
		if (node->shift == 0) {
			*indexp = index;
			return node->slots[next];
		}
		node = xa_to_node(node->slots[next]);
		off = xa_offset(index, node);
	}
}

void *xa_find(struct xarray *xa, unsigned long *indexp, unsigned long max,
	      xa_mark_t filter)
{
	unsigned long flags;
	void *entry;

	xa_lock_irqsave(xa, flags);
	entry = __xa_find(xa, indexp, max, filter);
	xa_unlock_irqrestore(xa, flags);
	return entry;
}

unsigned int __xa_extract(struct xarray *xa, void **dst, unsigned long *startp,
			  unsigned long max, unsigned int n, xa_mark_t filter)
{
	unsigned long index = *startp;
	unsigned int got = 0;

	lockdep_assert_held(&xa->xa_lock);
	while (got < n) {
		void *entry = __xa_find(xa, &index, max, filter);

		if (!entry)
			break;
		dst[got++] = entry;
		*startp = index + 1; /* wraps to 0 after ULONG_MAX */
		if (index == max)
			break;
		index++;
	}
	return got;
}

void xa_destroy(struct xarray *xa)
{
	unsigned long flags;
	struct xa_node *node;
	unsigned int off = 0;

	xa_lock_irqsave(xa, flags);
	if (!xa_is_node(xa->xa_head))
		goto out;
	/* Post-order: free a node once every child below it is gone. */
	node = xa_to_node(xa->xa_head);
	while (node) {
		while (node->shift && off < XA_CHUNK_SIZE && !node->slots[off])
			off++;
		if (node->shift && off < XA_CHUNK_SIZE) {
			node = xa_to_node(node->slots[off]);
			off = 0;
			continue;
		}
		struct xa_node *parent = node->parent;

		off = node->offset;
		xa_free_node(xa, node);
		if (parent)
			parent->slots[off++] = NULL;
		node = parent;
	}
out:
	WRITE_ONCE(xa->xa_head, NULL);
	WRITE_ONCE(xa->xa_marks, 0);
	xa_unlock_irqrestore(xa, flags);
}

/* ---- the checker ---- */

static int xa_corrupt(const char *inv, unsigned long base, unsigned int shift,
		      const char *what)
{
	/* No pointers: the line must replay byte for byte (host-determinism). */
	pr_err("xarray: %s violated: node at index %#lx shift %u: %s\n", inv, base, shift,
	       what);
	return -EUCLEAN;
}

/* Check @node (first index @base) and below; counts nodes in *nodes. */
static int xa_check_node(const struct xa_node *node, const struct xa_node *parent,
			 unsigned long base, unsigned long *nodes)
{
	unsigned int count = 0;

	(*nodes)++;
	if (node->parent != parent)
		return xa_corrupt("XA2", base, node->shift, "wrong parent link");
	if (node->shift % XA_CHUNK_SHIFT || node->shift > XA_MAX_SHIFT)
		return xa_corrupt("XA2", base, node->shift, "bad shift");
	for (unsigned int i = 0; i < XA_CHUNK_SIZE; i++) {
		void *e = node->slots[i];
		unsigned long ibase = base | ((unsigned long)i << node->shift);
		const struct xa_node *child;
		int err;

		if (!e) {
			for (xa_mark_t m = 0; m < XA_MAX_MARKS; m++)
				if (node->marks[m] & (1UL << i))
					return xa_corrupt("XA1", base, node->shift,
							  "mark on an empty slot");
			continue;
		}
		count++;
		if (node->shift == 0) {
			if ((unsigned long)e & 3UL)
				return xa_corrupt("XA2", base, 0, "node in a leaf slot");
			continue;
		}
		if (!xa_is_node(e))
			return xa_corrupt("XA2", base, node->shift,
					  "entry above shift 0");
		child = xa_to_node(e);
		if (child->offset != i || child->shift + XA_CHUNK_SHIFT != node->shift)
			return xa_corrupt("XA2", ibase, child->shift,
					  "offset or shift disagrees with parent");
		err = xa_check_node(child, node, ibase, nodes);
		if (err)
			return err;
		for (xa_mark_t m = 0; m < XA_MAX_MARKS; m++)
			if (!!(node->marks[m] & (1UL << i)) != !!child->marks[m])
				return xa_corrupt("XA1", base, node->shift,
						  "mark bit disagrees with the subtree");
	}
	if (count == 0)
		return xa_corrupt("XA2", base, node->shift, "empty node");
	if (count != node->count)
		return xa_corrupt("XA2", base, node->shift,
				  "count is not the used slots");
	return 0;
}

int xa_check(struct xarray *xa)
{
	unsigned long flags, nodes = 0;
	struct xa_node *top;
	int err = 0;

	xa_lock_irqsave(xa, flags);
	if (xa->xa_marks & ~((1u << XA_MAX_MARKS) - 1)) {
		err = xa_corrupt("XA1", 0, 0, "unknown root mark");
		goto out;
	}
	if (!xa_is_node(xa->xa_head)) {
		if (!xa->xa_head && xa->xa_marks)
			err = xa_corrupt("XA1", 0, 0, "root marked, array empty");
		else if (xa->xa_nodes)
			err = xa_corrupt("XA2", 0, 0,
					 "xa_nodes is not the nodes in the tree");
		goto out;
	}
	top = xa_to_node(xa->xa_head);
	err = xa_check_node(top, NULL, 0, &nodes);
	if (err)
		goto out;
	if (top->offset != 0)
		err = xa_corrupt("XA2", 0, top->shift, "top node has an offset");
	else if (nodes != xa->xa_nodes)
		err = xa_corrupt("XA2", 0, top->shift,
				 "xa_nodes is not the nodes in the tree");
	else if (top->count == 1 && top->slots[0])
		err = xa_corrupt("XA3", 0, top->shift, "top node holds only slot 0");
	for (xa_mark_t m = 0; !err && m < XA_MAX_MARKS; m++)
		if (!!(xa->xa_marks & (1u << m)) != !!top->marks[m])
			err = xa_corrupt("XA1", 0, top->shift,
					 "root mark disagrees with the tree");
out:
	xa_unlock_irqrestore(xa, flags);
	return err;
}
