/*
 * include/quire/blk-compat.h - the sleeping primitives the block layer
 * uses (wait queues, completions, current->plug), in one place.
 *
 * Layer: block. With the scheduler present (include/quire/wait.h exists)
 * these are the kernel's own. Before it landed, the block layer was written
 * against the same names with a busy-waiting stand-in, kept here so the
 * layer builds on any tree: correct (completions come from other CPUs or
 * host threads) but it spins instead of sleeping.
 */
#ifndef QUIRE_BLK_COMPAT_H
#define QUIRE_BLK_COMPAT_H

#include <quire/compiler.h>
#include <arch/cpu.h>

struct blk_plug;

#if __has_include(<quire/wait.h>) && __has_include(<quire/completion.h>) && \
	__has_include(<quire/sched.h>)
#include <quire/wait.h>
#include <quire/completion.h>
#include <quire/sched.h>

static inline struct blk_plug **blk_current_plug(void)
{
	return &current->plug;
}
#else
typedef struct wait_queue_head {
	int unused;
} wait_queue_head_t;

static inline void init_waitqueue_head(wait_queue_head_t *wq) { }
static inline void wake_up(wait_queue_head_t *wq) { }
#define wait_event(wq, cond)						\
	do {								\
		while (!(cond))						\
			arch_cpu_relax();				\
	} while (0)

struct completion {
	int done;
};

static inline void init_completion(struct completion *c)
{
	c->done = 0;
}

static inline void complete(struct completion *c)
{
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
}

static inline void wait_for_completion(struct completion *c)
{
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
}

/* One "task" until the scheduler exists. */
extern struct blk_plug *blk_fallback_plug;
static inline struct blk_plug **blk_current_plug(void)
{
	return &blk_fallback_plug;
}
#endif

#endif
