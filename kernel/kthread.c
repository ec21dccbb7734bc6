/*
 * kernel/kthread.c - kernel threads: create, bind, stop.
 *
 * Layer: kernel. Provides: include/quire/kthread.h.
 * A kthread is a task whose threadfn runs through kthread_entry(); it ends
 * by returning (or kthread_exit()). kthread_stop() waits on
 * kthread_exit_wq until the thread has marked itself exited.
 *
 * Locking: none of its own; should_stop and exited are single-writer flags
 * published with release/acquire, paired with the wait queue's lock.
 */
#include <quire/kthread.h>
#include <quire/wait.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include "sched_internal.h"

static DECLARE_WAIT_QUEUE_HEAD(kthread_exit_wq);

void kthread_entry(void) __noreturn;

void kthread_exit(int result)
{
	struct task_struct *p = current;

	p->exit_code = result;
	task_mark_dying(p);	/* before exited: kthread_stop() then reaps it */
	__atomic_store_n(&p->exited, true, __ATOMIC_RELEASE);
	wake_up_all(&kthread_exit_wq);
	do_exit(result);
}

void kthread_entry(void)
{
	struct task_struct *p = current;

	if (kthread_should_stop())
		kthread_exit(-EINTR);
	kthread_exit(p->threadfn(p->data));
}

static struct task_struct *kthread_vcreate(int (*threadfn)(void *), void *data,
					   const char *namefmt, va_list ap)
{
	char name[TASK_COMM_LEN];
	struct task_struct *k;

	vscnprintf(name, sizeof(name), namefmt, ap);
	k = create_task(threadfn, data, name);
	if (!k)
		return ERR_PTR(-ENOMEM);
	get_task_struct(k); /* kthread_stop()'s reference */
	return k;
}

struct task_struct *kthread_create(int (*threadfn)(void *data), void *data,
				   const char *namefmt, ...)
{
	struct task_struct *k;
	va_list ap;

	va_start(ap, namefmt);
	k = kthread_vcreate(threadfn, data, namefmt, ap);
	va_end(ap);
	return k;
}

struct task_struct *kthread_create_on_node(int (*threadfn)(void *data),
					   void *data, int node,
					   const char *namefmt, ...)
{
	struct task_struct *k;
	va_list ap;

	va_start(ap, namefmt);
	k = kthread_vcreate(threadfn, data, namefmt, ap);
	va_end(ap);
	if (!IS_ERR(k) && node >= 0)
		kthread_bind_node(k, node);
	return k;
}

void kthread_bind_mask(struct task_struct *k, const struct cpumask *mask)
{
	unsigned int cpu;

	if (WARN_ON(READ_ONCE(k->state) != TASK_NEW) || cpumask_empty(mask))
		return;
	k->cpus_allowed = *mask;
	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpumask_test_cpu(cpu, mask))
			break;
	if (!cpumask_test_cpu(k->cpu, mask))
		k->cpu = cpu;
}

void kthread_bind(struct task_struct *k, unsigned int cpu)
{
	struct cpumask m = cpumask_of(cpu);

	if (WARN_ON(cpu >= MAX_CPUS))
		return;
	kthread_bind_mask(k, &m);
}

void kthread_bind_node(struct task_struct *k, int nid)
{
	struct cpumask m = cpumask_of_node(nid);

	if (!cpumask_empty(&m))
		kthread_bind_mask(k, &m);
}

bool kthread_should_stop(void)
{
	return __atomic_load_n(&current->should_stop, __ATOMIC_ACQUIRE);
}

int kthread_stop(struct task_struct *k)
{
	int ret;

	__atomic_store_n(&k->should_stop, true, __ATOMIC_RELEASE);
	wake_up_process(k);
	wait_event(kthread_exit_wq, __atomic_load_n(&k->exited, __ATOMIC_ACQUIRE));
	ret = k->exit_code;
	reap_dead_tasks();	/* its stack is freed, the scheduler's ref gone */
	put_task_struct(k);	/* the reference kthread_create() took for us */
	return ret;
}
