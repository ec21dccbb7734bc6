/*
 * include/quire/workqueue.h - deferred work in kernel threads, Linux's API.
 *
 * A work item is queued at most once at a time (WORK_STRUCT_PENDING): a
 * queue_work() while it is pending returns false and does nothing. The
 * function runs in a worker thread (process context, may sleep). PENDING is
 * cleared just before the function runs, so it may requeue itself, and the
 * item may be freed by its own function.
 *
 * Each workqueue has its own workers: per-CPU (one worker bound to each
 * CPU, runs work queued on that CPU) or WQ_UNBOUND (one worker, any CPU).
 * Each worker runs its items strictly in queueing order, one at a time.
 * (Linux adds workers when one blocks; Quire does not: max_active is 1 per
 * pool. Work that waits on other work of the same pool deadlocks.)
 */
#ifndef QUIRE_WORKQUEUE_H
#define QUIRE_WORKQUEUE_H

#include <quire/compiler.h>
#include <quire/list.h>
#include <quire/timer.h>

struct work_struct;
struct worker_pool;
typedef void (*work_func_t)(struct work_struct *work);

#define WORK_STRUCT_PENDING_BIT	0
/* Set with PENDING while cancel_work_sync() owns the item (Linux's
 * WORK_OFFQ_CANCELING): other grabbers give up instead of spinning. */
#define WORK_STRUCT_CANCELING_BIT 1

struct work_struct {
	unsigned long data;		/* WORK_STRUCT_{PENDING,CANCELING} bits */
	struct list_head entry;		/* on pool->worklist (pool->lock) */
	work_func_t func;
	struct worker_pool *pool;	/* last pool it was queued on */
};

struct delayed_work {
	struct work_struct work;
	struct timer_list timer;
	struct workqueue_struct *wq;	/* where the timer queues it */
	int cpu;
};

#define WQ_UNBOUND		0x2
#define WQ_MEM_RECLAIM		0x8	/* accepted; every wq has its own worker */
#define WQ_HIGHPRI		0x10	/* workers run at PRIO_HIGH */
#define WORK_CPU_UNBOUND	(-1)

void __init_work(struct work_struct *work, work_func_t func);
#define INIT_WORK(w, f)	__init_work((w), (f))
void delayed_work_timer_fn(struct timer_list *t);
#define INIT_DELAYED_WORK(dw, f) do {					\
	__init_work(&(dw)->work, (f));					\
	timer_setup(&(dw)->timer, delayed_work_timer_fn, 0);		\
	(dw)->wq = NULL;						\
	(dw)->cpu = WORK_CPU_UNBOUND;					\
} while (0)
#define to_delayed_work(w) container_of(w, struct delayed_work, work)

static inline bool work_pending(struct work_struct *work)
{
	return __atomic_load_n(&work->data, __ATOMIC_ACQUIRE) & 1;
}
#define delayed_work_pending(dw) work_pending(&(dw)->work)

struct workqueue_struct;
extern struct workqueue_struct *system_wq;
extern struct workqueue_struct *system_unbound_wq;
extern struct workqueue_struct *system_long_wq;

/* NULL on failure. @max_active is accepted and ignored (1 per pool).
 * Context: process, may sleep. */
struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max_active, ...) __printf(1, 4);
void destroy_workqueue(struct workqueue_struct *wq);

/* true if queued, false if it was already pending. Context: any. */
bool queue_work_on(int cpu, struct workqueue_struct *wq, struct work_struct *work);
bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
bool queue_delayed_work_on(int cpu, struct workqueue_struct *wq,
			   struct delayed_work *dwork, unsigned long delay);
bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
			unsigned long delay);
/* Queue, or move the timer of a pending one to @delay from now. Returns
 * true if it was pending before. */
bool mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
		      unsigned long delay);
bool schedule_work(struct work_struct *work);
bool schedule_delayed_work(struct delayed_work *dwork, unsigned long delay);

/* Wait for the last queued instance of @work to finish. true if it had to
 * wait. Context: process, may sleep. */
bool flush_work(struct work_struct *work);
bool flush_delayed_work(struct delayed_work *dwork);
/* Remove it if pending and wait for a running instance. true if it was
 * pending. */
bool cancel_work_sync(struct work_struct *work);
bool cancel_delayed_work_sync(struct delayed_work *dwork);
/* Not waiting for a running instance. */
bool cancel_delayed_work(struct delayed_work *dwork);
/* Wait for everything queued on @wq before the call. */
void flush_workqueue(struct workqueue_struct *wq);
/* Check @wq's pools (WQ1, WQ2, WQ7 of kernel/workqueue.c): 0, or -EUCLEAN with one log line naming the broken invariant.
 * Context: any; takes each pool's lock. */
int workqueue_check(struct workqueue_struct *wq);
/* Is the caller a worker of some workqueue? */
bool current_is_workqueue_worker(void);

/* Create the system workqueues (kernel/main.c, after smp_init()). */
void workqueue_init(void);

#endif
