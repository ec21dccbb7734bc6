/*
 * kernel/task_alloc_tmp.c - TEMPORARY static pools for task structs, stacks
 * and small scheduler objects, until the page allocator and kmalloc
 * (include/quire/mm.h, slab.h) reach this branch. Delete this file then and
 * switch conc_alloc()/conc_free()/stack users to kzalloc()/alloc_pages().
 *
 * Layer: kernel. Locking: pool_lock (raw, irqs off) guards the bitmaps.
 */
#include <quire/sched.h>
#include <quire/string.h>
#include "sched_internal.h"

#define NR_STACKS	96
#define NR_OBJS		512
#define OBJ_SIZE	1024

static u8 stacks[NR_STACKS][THREAD_SIZE] __aligned(16);
static bool stack_used[NR_STACKS];
static u8 objs[NR_OBJS][OBJ_SIZE] __aligned(64);
static bool obj_used[NR_OBJS];
static DEFINE_RAW_SPINLOCK(pool_lock);

static int pool_get(bool *used, int n)
{
	unsigned long flags = arch_local_irq_save();
	int i;

	raw_spin_lock(&pool_lock);
	for (i = 0; i < n && used[i]; i++)
		;
	if (i < n)
		used[i] = true;
	raw_spin_unlock(&pool_lock);
	arch_local_irq_restore(flags);
	return i < n ? i : -1;
}

static void pool_put(bool *used, int i)
{
	unsigned long flags = arch_local_irq_save();

	raw_spin_lock(&pool_lock);
	used[i] = false;
	raw_spin_unlock(&pool_lock);
	arch_local_irq_restore(flags);
}

void *conc_alloc(size_t size)
{
	int i;

	if (size > OBJ_SIZE)
		return NULL;
	i = pool_get(obj_used, NR_OBJS);
	if (i < 0)
		return NULL;
	memset(objs[i], 0, OBJ_SIZE);
	return objs[i];
}

void conc_free(const void *p)
{
	if (p)
		pool_put(obj_used, (int)(((const u8 *)p - &objs[0][0]) / OBJ_SIZE));
}

void *conc_stack_alloc(void)
{
	int i = pool_get(stack_used, NR_STACKS);

	return i < 0 ? NULL : stacks[i];
}

void conc_stack_free(void *stack)
{
	if (stack)
		pool_put(stack_used, (int)(((u8 *)stack - &stacks[0][0]) / THREAD_SIZE));
}
