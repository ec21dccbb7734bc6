/*
 * include/quire/completion.h - completions: "this happened", Linux's API.
 *
 * done counts complete() calls not yet consumed; complete_all() makes it
 * effectively infinite until reinit_completion(). Waiters are exclusive:
 * complete() wakes exactly one.
 */
#ifndef QUIRE_COMPLETION_H
#define QUIRE_COMPLETION_H

#include <quire/wait.h>

#define COMPLETION_DONE_ALL	(~0U >> 1)

struct completion {
	unsigned int done;		/* guarded by wait.lock */
	struct wait_queue_head wait;
};

#define COMPLETION_INITIALIZER(work) \
	{ 0, __WAIT_QUEUE_HEAD_INITIALIZER((work).wait) }
#define DECLARE_COMPLETION(work) struct completion work = COMPLETION_INITIALIZER(work)
#define DECLARE_COMPLETION_ONSTACK(work) \
	struct completion work; init_completion(&work)

#define init_completion(x) do {						\
	(x)->done = 0;							\
	init_waitqueue_head(&(x)->wait);				\
} while (0)

static inline void reinit_completion(struct completion *x)
{
	x->done = 0;
}

/* Context: any. */
void complete(struct completion *x);
void complete_all(struct completion *x);
/* Context: process, may sleep. */
void wait_for_completion(struct completion *x);
void wait_for_completion_io(struct completion *x);
/* 0 on timeout, else the jiffies left (at least 1). */
unsigned long wait_for_completion_timeout(struct completion *x, unsigned long timeout);
unsigned long wait_for_completion_io_timeout(struct completion *x,
					     unsigned long timeout);
/* Consume one done without sleeping: true if there was one. */
bool try_wait_for_completion(struct completion *x);
bool completion_done(struct completion *x);

#endif
