/*
 * include/quire/kthread.h - kernel threads, Linux's API.
 *
 * kthread_create() returns a thread that has not started: bind it, then
 * wake_up_process() (or use kthread_run()). The thread runs threadfn(data);
 * a thread meant to be stopped loops until kthread_should_stop() and
 * returns. kthread_stop() sets the stop flag, wakes the thread, waits for
 * it to return and gives back its return value. The thread may have
 * returned already. A kthread holds a reference for kthread_stop(): a
 * thread that returns and is never stopped stays a zombie (its struct,
 * state X in ps; its stack is freed at exit). Call kthread_stop() once.
 */
#ifndef QUIRE_KTHREAD_H
#define QUIRE_KTHREAD_H

#include <quire/errno.h>
#include <quire/sched.h>

/* ERR_PTR(-ENOMEM) when out of memory, as in Linux. Context: process. */
struct task_struct *kthread_create(int (*threadfn)(void *data), void *data,
				   const char *namefmt, ...) __printf(3, 4);
struct task_struct *kthread_create_on_node(int (*threadfn)(void *data),
					   void *data, int node,
					   const char *namefmt, ...) __printf(4, 5);

#define kthread_run(threadfn, data, namefmt, ...)                               \
	({                                                                      \
		struct task_struct *__k =                                       \
			kthread_create(threadfn, data, namefmt, ##__VA_ARGS__); \
		if (!IS_ERR(__k))                                               \
			wake_up_process(__k);                                   \
		__k;                                                            \
	})

/* Before the first wake-up only. */
void kthread_bind(struct task_struct *k, unsigned int cpu);
void kthread_bind_node(struct task_struct *k, int nid);
void kthread_bind_mask(struct task_struct *k, const struct cpumask *mask);

/* Returns threadfn's result (-EINTR if it never ran). Context: process. */
int kthread_stop(struct task_struct *k);
bool kthread_should_stop(void);
/* End the calling kthread with @result now. */
void kthread_exit(int result) __noreturn;

#endif
