/*
 * kernel/stress_test.c - KTAP suite "stress": concurrency stress cases for
 * the seeded scheduling points.
 *
 * Layer: kernel (tests). Used by: tests/run (the stress-* jobs: a few
 * seeds with --sched-points), tools/stress-sweep (make stress: many seeds),
 * and every plain `test` run (one pass, no points).
 *
 * Each case drives one kind of race that issue 13 found by reading: a
 * stop or destroy against a worker going to sleep, a cancel against a
 * queuer preempted after setting PENDING, an exit against a wake-up,
 * affinity changes of a running task, concurrent mod_timer(), a timer
 * re-armed for "now" by its handler, on_each_cpu() with preemption,
 * the wake-up of a higher-priority task on the same CPU; and (review R4)
 * a grab of PENDING, from an interrupt or by a second canceller, while
 * cancel_work_sync() flushes. Alone they rarely fail; with
 * `--sched-points N` (docs/host.md) the seed splits their windows, and
 * the sweep finds each bug within a few seeds.
 *
 * A case that hangs (a lost wake-up, a livelock) ends the run by panic
 * after stress_hang_s= seconds (default 20; virtual seconds in
 * deterministic mode), naming the case: the harness then reports it with
 * its replay command.
 */
#include <quire/ktest.h>
#include <quire/kernel.h>
#include <quire/kthread.h>
#include <quire/sched.h>
#include <quire/workqueue.h>
#include <quire/completion.h>
#include <quire/atomic.h>
#include <quire/timer.h>
#include <quire/smp.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include "sched_internal.h"
#include <quire/errno.h>

static unsigned int stress_hang_s(void)
{
	char buf[16];
	unsigned long long v;

	if (cmdline_get("stress_hang_s", buf, sizeof(buf)) && !kstrtoull(buf, 10, &v) &&
	    v > 0 && v < 3600)
		return (unsigned int)v;
	return 20;
}

static void stress_show_task(struct task_struct *p, void *arg)
{
	pr_err("  %-16s pid %d state %#x cpu %u on_rq %d on_cpu %d prio %d preempt_count %d need_resched %d waits %s\n",
	       p->comm, p->pid, READ_ONCE(p->state), READ_ONCE(p->cpu),
	       READ_ONCE(p->on_rq), READ_ONCE(p->on_cpu), p->prio,
	       (int)READ_ONCE(p->preempt_count), (int)READ_ONCE(p->need_resched),
	       p->wait_what ? p->wait_what : "-");
}

/* Wait for @done; a run that makes no progress ends here, by name, with
 * every task's state for the post-mortem. */
static void stress_wait(struct ktest *t, struct completion *done, const char *what)
{
	unsigned int s = stress_hang_s();

	if (wait_for_completion_timeout(done, (unsigned long)s * HZ))
		return;
	pr_err("stress %s: %s is stuck; tasks:\n", t->name, what);
	for_each_task(stress_show_task, NULL);
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct rq *rq = &runqueues[cpu];
		struct task_struct *curr = READ_ONCE(rq->curr);

		if (!cpu_online(cpu) || !curr)
			continue;
		pr_err("  cpu %u: curr %s need_resched %d nr_queued %u rq locked %d\n",
		       cpu, curr->comm, READ_ONCE(curr->need_resched),
		       READ_ONCE(rq->nr_queued), raw_spin_is_locked(&rq->lock));
		for (int prio = 0; prio < NR_PRIO; prio++) {
			struct task_struct *p;

			list_for_each_entry(p, &rq->queue[prio], run_list)
				pr_err("    queued: %s\n", p->comm);
		}
	}
	panic("stress %s: %s did not finish in %u s (lost wake-up or livelock)", t->name,
	      what, s);
}

static struct task_struct *stress_thread(struct ktest *t, int (*fn)(void *), void *arg,
					 const char *name, int cpu, int prio)
{
	struct task_struct *k = kthread_create(fn, arg, "%s", name);

	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	if (cpu >= 0)
		kthread_bind(k, (unsigned int)cpu);
	if (prio != PRIO_NORMAL)
		sched_set_prio_class(k, prio);
	wake_up_process(k);
	return k;
}

/* --- bug 1: destroy_workqueue() against a worker going to sleep --- */

static void nop_fn(struct work_struct *work)
{
}

struct destroy_loop {
	struct completion done;
	int rounds;
};

static int destroy_loop_fn(void *arg)
{
	struct destroy_loop *d = arg;

	for (int i = 0; i < 40; i++) {
		/* Unbound (one worker) on odd rounds: the stop then lands just
		 * as the worker, done with the flush barrier, goes idle. */
		unsigned int flags = i % 2 ? WQ_UNBOUND : 0;
		struct workqueue_struct *wq = alloc_workqueue("stress_d%d", flags, 0, i);
		struct work_struct w;
		unsigned int cpu;

		if (!wq)
			break;
		for_each_online_cpu(cpu) {
			INIT_WORK(&w, nop_fn);
			queue_work_on((int)cpu, wq, &w);
			flush_work(&w);
		}
		INIT_WORK(&w, nop_fn);
		queue_work(wq, &w);
		destroy_workqueue(wq); /* flush, then kthread_stop() each worker */
		d->rounds++;
	}
	complete(&d->done);
	return 0;
}

static void destroy_workqueue_loop_does_not_hang(struct ktest *t)
{
	static struct destroy_loop d;
	struct task_struct *k;

	d.rounds = 0;
	init_completion(&d.done);
	k = stress_thread(t, destroy_loop_fn, &d, "stress_destroy", -1, PRIO_NORMAL);
	stress_wait(t, &d.done, "the destroy_workqueue() loop");
	kthread_stop(k);
	KTEST_EXPECT_EQ(t, d.rounds, 40);
}

/* --- bug 2: cancel_work_sync() against a queuer preempted after PENDING --- */

struct cancel_race {
	struct workqueue_struct *wq;
	struct work_struct work;
	atomic_t runs;
	int queue_cpu; /* the worker's CPU: not the queuer's when possible */
	bool done;
	int cancels;
	struct completion queuer_done, canceller_done;
};

static void cancel_race_fn(struct work_struct *work)
{
	struct cancel_race *c = container_of(work, struct cancel_race, work);

	atomic_inc(&c->runs);
}

/* Normal priority, on CPU 0: queue over and over. */
static int queuer_fn(void *arg)
{
	struct cancel_race *c = arg;

	for (int i = 0; i < 3000; i++) {
		queue_work_on(c->queue_cpu, c->wq, &c->work);
		if (i % 64 == 0)
			cond_resched();
	}
	WRITE_ONCE(c->done, true);
	complete(&c->queuer_done);
	return 0;
}

/* High priority, on CPU 0 too: wake every tick and cancel. */
static int canceller_fn(void *arg)
{
	struct cancel_race *c = arg;

	while (!READ_ONCE(c->done)) {
		cancel_work_sync(&c->work);
		c->cancels++;
		schedule_timeout_uninterruptible(1);
	}
	complete(&c->canceller_done);
	return 0;
}

static void cancel_work_sync_against_preempted_queuer(struct ktest *t)
{
	static struct cancel_race c;
	struct task_struct *q, *k;

	memset(&c, 0, sizeof(c));
	c.wq = alloc_workqueue("stress_cq", 0, 0);
	KTEST_ASSERT_NOT_NULL(t, c.wq);
	INIT_WORK(&c.work, cancel_race_fn);
	init_completion(&c.queuer_done);
	init_completion(&c.canceller_done);
	c.queue_cpu = num_online_cpus() > 1 ? 1 : 0;
	k = stress_thread(t, canceller_fn, &c, "stress_cancel", 0, PRIO_HIGH);
	q = stress_thread(t, queuer_fn, &c, "stress_queue", 0, PRIO_NORMAL);
	stress_wait(t, &c.queuer_done, "the queuer (preempted holding PENDING?)");
	stress_wait(t, &c.canceller_done, "the canceller");
	kthread_stop(q);
	kthread_stop(k);
	cancel_work_sync(&c.work);
	KTEST_EXPECT_FALSE(t, work_pending(&c.work));
	KTEST_EXPECT_GT(t, c.cancels, 0);
	destroy_workqueue(c.wq);
}

/*
 * --- mod_delayed_work() from an interrupt while cancel_delayed_work_sync()
 * owns PENDING ---
 *
 * The canceller keeps PENDING across flush_work(), with interrupts on and
 * asleep. Linux marks the item CANCELING so that grab_pending() in another
 * context gives up (-ENOENT: mod_delayed_work() returns true and queues
 * nothing, cancel_delayed_work() returns false) instead of spinning. A
 * timer handler on the canceller's CPU that spins there waits, interrupts
 * off, for a task that can only run on that CPU: the CPU is lost.
 */
struct cancel_irq {
	struct workqueue_struct *wq;
	struct delayed_work dwork;
	struct timer_list timer;
	struct completion started, release, cancelled;
	atomic_t runs;
	bool handler_in, handler_out, mod_ret, cancel_ret;
};

static void cancel_irq_fn(struct work_struct *work)
{
	struct cancel_irq *c =
		container_of(to_delayed_work(work), struct cancel_irq, dwork);

	atomic_inc(&c->runs);
	complete(&c->started);
	wait_for_completion(&c->release);
}

static void cancel_irq_timer_fn(struct timer_list *timer)
{
	struct cancel_irq *c = container_of(timer, struct cancel_irq, timer);

	WRITE_ONCE(c->handler_in, true);
	c->mod_ret = mod_delayed_work(c->wq, &c->dwork, 1);
	c->cancel_ret = cancel_delayed_work(&c->dwork);
	WRITE_ONCE(c->handler_out, true);
}

static int cancel_irq_canceller(void *arg)
{
	struct cancel_irq *c = arg;

	cancel_delayed_work_sync(&c->dwork);
	complete(&c->cancelled);
	return 0;
}

static void cancel_irq_body(struct ktest *t)
{
	static struct cancel_irq c;
	struct task_struct *k;

	memset(&c, 0, sizeof(c));
	c.wq = alloc_workqueue("stress_ci", WQ_UNBOUND, 0);
	KTEST_ASSERT_NOT_NULL(t, c.wq);
	INIT_DELAYED_WORK(&c.dwork, cancel_irq_fn);
	timer_setup(&c.timer, cancel_irq_timer_fn, 0);
	init_completion(&c.started);
	init_completion(&c.release);
	init_completion(&c.cancelled);
	queue_delayed_work(c.wq, &c.dwork, 0);
	stress_wait(t, &c.started, "the work item");
	/* The canceller, on CPU 0, takes PENDING and sleeps in flush_work(). */
	k = stress_thread(t, cancel_irq_canceller, &c, "stress_cirq", 0, PRIO_NORMAL);
	while (READ_ONCE(k->state) != TASK_UNINTERRUPTIBLE || READ_ONCE(k->on_cpu) ||
	       !delayed_work_pending(&c.dwork))
		schedule_timeout_uninterruptible(1);
	/* An interrupt on CPU 0 re-arms and cancels the item meanwhile. */
	c.timer.expires = jiffies + 1;
	add_timer_on(&c.timer, 0);
	while (!READ_ONCE(c.handler_in))
		schedule_timeout_uninterruptible(1);
	complete(&c.release);
	stress_wait(t, &c.cancelled,
		    "cancel_delayed_work_sync() (CPU 0 spinning in a timer?)");
	kthread_stop(k);
	del_timer_sync(&c.timer);
	KTEST_EXPECT_TRUE(t, READ_ONCE(c.handler_out));
	KTEST_EXPECT_TRUE(t, c.mod_ret); /* Linux: -ENOENT becomes true */
	KTEST_EXPECT_FALSE(t, c.cancel_ret);
	KTEST_EXPECT_FALSE(t, delayed_work_pending(&c.dwork));
	KTEST_EXPECT_FALSE(t, timer_pending(&c.dwork.timer));
	KTEST_EXPECT_EQ(t, atomic_read(&c.runs), 1);
	destroy_workqueue(c.wq);
}

static void grab_pending_from_irq_during_cancel_sync(struct ktest *t)
{
	if (num_online_cpus() < 2)
		ktest_skip(t, "needs 2 CPUs: CPU 0 is the one that would spin");
	ktest_on_cpu(t, 1, cancel_irq_body);
}

/*
 * Two cancel_work_sync() of one item on one CPU: the second, at a higher
 * priority, finds PENDING owned by the first (asleep in flush_work()).
 * Linux's second canceller sleeps until the first is done (cancel_waitq);
 * one that spins keeps the first off the CPU for ever.
 */
struct cancel_two {
	struct workqueue_struct *wq;
	struct work_struct work;
	struct completion started, release, first_done, second_done;
	atomic_t runs;
};

static void cancel_two_fn(struct work_struct *work)
{
	struct cancel_two *c = container_of(work, struct cancel_two, work);

	atomic_inc(&c->runs);
	complete(&c->started);
	wait_for_completion(&c->release);
}

static int cancel_two_first(void *arg)
{
	struct cancel_two *c = arg;

	cancel_work_sync(&c->work);
	complete(&c->first_done);
	return 0;
}

static int cancel_two_second(void *arg)
{
	struct cancel_two *c = arg;

	cancel_work_sync(&c->work);
	complete(&c->second_done);
	return 0;
}

static void cancel_two_body(struct ktest *t)
{
	static struct cancel_two c;
	struct task_struct *k1, *k2;

	memset(&c, 0, sizeof(c));
	c.wq = alloc_workqueue("stress_c2", WQ_UNBOUND, 0);
	KTEST_ASSERT_NOT_NULL(t, c.wq);
	INIT_WORK(&c.work, cancel_two_fn);
	init_completion(&c.started);
	init_completion(&c.release);
	init_completion(&c.first_done);
	init_completion(&c.second_done);
	queue_work(c.wq, &c.work);
	stress_wait(t, &c.started, "the work item");
	k1 = stress_thread(t, cancel_two_first, &c, "stress_c2a", 0, PRIO_NORMAL);
	while (READ_ONCE(k1->state) != TASK_UNINTERRUPTIBLE || READ_ONCE(k1->on_cpu) ||
	       !work_pending(&c.work))
		schedule_timeout_uninterruptible(1);
	k2 = stress_thread(t, cancel_two_second, &c, "stress_c2b", 0, PRIO_HIGH);
	/* Let the second reach the item, then let the work finish. */
	schedule_timeout_uninterruptible(2);
	complete_all(&c.release); /* this run and the one after */
	stress_wait(t, &c.first_done,
		    "the first cancel_work_sync() (the second spinning?)");
	stress_wait(t, &c.second_done, "the second cancel_work_sync()");
	kthread_stop(k1);
	kthread_stop(k2);
	KTEST_EXPECT_FALSE(t, work_pending(&c.work));
	KTEST_EXPECT_EQ(t, atomic_read(&c.runs), 1);
	/* Usable again after both cancels. */
	reinit_completion(&c.started);
	queue_work(c.wq, &c.work);
	stress_wait(t, &c.started, "the work item, queued again");
	flush_work(&c.work);
	KTEST_EXPECT_EQ(t, atomic_read(&c.runs), 2);
	destroy_workqueue(c.wq);
}

static void two_cancel_work_sync_on_one_cpu(struct ktest *t)
{
	if (num_online_cpus() < 2)
		ktest_skip(t, "needs 2 CPUs: CPU 0 runs both cancellers, CPU 1 the test");
	ktest_on_cpu(t, 1, cancel_two_body);
}

/* --- bug 7: a thread exiting in a sleep state against kthread_stop()'s wake-up --- */

static int exit_sleeping_fn(void *arg)
{
	set_current_state(TASK_INTERRUPTIBLE); /* and return so: legal, as in Linux */
	return 7;
}

struct exit_race {
	struct completion done;
	int stopped;
};

static int exit_race_fn(void *arg)
{
	struct exit_race *e = arg;

	for (int i = 0; i < 200; i++) {
		struct task_struct *k =
			kthread_create(exit_sleeping_fn, NULL, "stress_x%d", i);
		int ret;

		if (IS_ERR(k))
			break;
		wake_up_process(k);
		if (i % 2)
			yield();
		ret = kthread_stop(k); /* its wake-up races with the exit */
		if (ret == 7 || ret == -EINTR)
			e->stopped++;
	}
	complete(&e->done);
	return 0;
}

static void exit_against_wakeup_stays_dead(struct ktest *t)
{
	static struct exit_race e;
	struct task_struct *k;

	e.stopped = 0;
	init_completion(&e.done);
	k = stress_thread(t, exit_race_fn, &e, "stress_exit", -1, PRIO_NORMAL);
	stress_wait(t, &e.done, "the exit/stop loop");
	kthread_stop(k);
	KTEST_EXPECT_EQ(t, e.stopped, 200);
}

/* --- bug 3: set_cpus_allowed_ptr() on a running task, from two CPUs --- */

static int spinner_fn(void *arg)
{
	unsigned long *spins = arg;

	while (!kthread_should_stop()) {
		WRITE_ONCE(*spins, *spins + 1);
		cond_resched();
	}
	return 0;
}

struct affinity_race {
	struct task_struct *target;
	struct completion done[2];
};

static int changer_fn(void *arg)
{
	struct affinity_race *a = arg;
	int me = current->cpu == 0 ? 0 : 1;
	unsigned int n = num_online_cpus();

	for (unsigned int i = 0; i < 400; i++) {
		struct cpumask m = cpumask_of((i + (unsigned int)me) % n);

		if (i % 3 == 2)
			m = cpu_online_mask;
		set_cpus_allowed_ptr(a->target, &m);
	}
	complete(&a->done[me]);
	return 0;
}

static void affinity_changes_on_running_task(struct ktest *t)
{
	static struct affinity_race a;
	static unsigned long spins;
	struct task_struct *c0, *c1;
	unsigned long before;

	if (num_online_cpus() < 2)
		ktest_skip(t, "needs 2 CPUs");
	spins = 0;
	init_completion(&a.done[0]);
	init_completion(&a.done[1]);
	a.target = stress_thread(t, spinner_fn, &spins, "stress_spin", -1, PRIO_NORMAL);
	c0 = stress_thread(t, changer_fn, &a, "stress_aff0", 0, PRIO_NORMAL);
	c1 = stress_thread(t, changer_fn, &a, "stress_aff1", 1, PRIO_NORMAL);
	stress_wait(t, &a.done[0], "affinity changer 0");
	stress_wait(t, &a.done[1], "affinity changer 1");
	kthread_stop(c0);
	kthread_stop(c1);
	before = READ_ONCE(spins);
	/* Still scheduled: a task lost from every run queue never moves again.
	 * Up to 2 s, not a fixed 20 ms: a TCG vCPU may wait that long for
	 * a host core (failed once in kernel-smp4 at 20 ms). */
	for (int i = 0; i < 200 && READ_ONCE(spins) == before; i++)
		msleep(10);
	KTEST_EXPECT_GT(t, READ_ONCE(spins), before);
	kthread_stop(a.target);
}

/* --- bug 4: two CPUs mod_timer() one timer --- */

struct timer_race {
	struct timer_list timer;
	atomic_t fired;
	struct completion done[2];
};

static void timer_race_fn(struct timer_list *tl)
{
	struct timer_race *r = from_timer(r, tl, timer);

	atomic_inc(&r->fired);
}

static int modder_fn(void *arg)
{
	struct timer_race *r = arg;
	int me = current->cpu == 0 ? 0 : 1;

	for (unsigned int i = 0; i < 2000; i++) {
		mod_timer(&r->timer, jiffies + 1 + (i + (unsigned int)me) % 3);
		if (i % 32 == 0)
			cond_resched();
	}
	/* Far off: the test then finds it pending, however slow the machine. */
	mod_timer(&r->timer, jiffies + 60 * HZ);
	complete(&r->done[me]);
	return 0;
}

static void concurrent_mod_timer_on_one_timer(struct ktest *t)
{
	static struct timer_race r;
	struct task_struct *m0, *m1;

	if (num_online_cpus() < 2)
		ktest_skip(t, "needs 2 CPUs");
	timer_setup(&r.timer, timer_race_fn, 0);
	atomic_set(&r.fired, 0);
	init_completion(&r.done[0]);
	init_completion(&r.done[1]);
	m0 = stress_thread(t, modder_fn, &r, "stress_mod0", 0, PRIO_NORMAL);
	m1 = stress_thread(t, modder_fn, &r, "stress_mod1", 1, PRIO_NORMAL);
	stress_wait(t, &r.done[0], "mod_timer loop 0");
	stress_wait(t, &r.done[1], "mod_timer loop 1");
	kthread_stop(m0);
	kthread_stop(m1);
	KTEST_EXPECT_TRUE(t, timer_pending(&r.timer));
	del_timer_sync(&r.timer);
	KTEST_EXPECT_FALSE(t, timer_pending(&r.timer));
	{
		int fired = atomic_read(&r.fired);

		msleep(20); /* a corrupted list would fire it again */
		KTEST_EXPECT_EQ(t, atomic_read(&r.fired), fired);
	}
}

/* --- bug 5: a handler re-arms for a time already due --- */

struct rearm {
	struct timer_list timer;
	unsigned long at[5];
	int runs;
	struct completion done;
};

static void rearm_fn(struct timer_list *tl)
{
	struct rearm *r = from_timer(r, tl, timer);

	r->at[r->runs++] = jiffies;
	if (r->runs < 5)
		mod_timer(tl, jiffies); /* due now: Linux runs it at the next tick */
	else
		complete(&r->done);
}

static void timer_rearmed_for_now_runs_next_tick(struct ktest *t)
{
	static struct rearm r;

	memset(&r, 0, sizeof(r));
	init_completion(&r.done);
	timer_setup(&r.timer, rearm_fn, 0);
	mod_timer(&r.timer, jiffies + 1);
	stress_wait(t, &r.done, "the re-arming timer");
	del_timer_sync(&r.timer);
	for (int i = 1; i < 5; i++)
		KTEST_EXPECT_GT(t, (long)(r.at[i] - r.at[i - 1]), 0);
}

/* --- bug 6: on_each_cpu() from a task that may be preempted and moved --- */

static void count_cpu_fn(void *info)
{
	atomic_t *hits = info;

	atomic_inc(&hits[smp_processor_id()]);
}

struct oec {
	atomic_t hits[MAX_CPUS];
	int bad;
	struct completion done;
};

static int oec_fn(void *arg)
{
	struct oec *o = arg;
	unsigned int cpu;

	for (int i = 0; i < 300; i++) {
		struct cpumask here = cpumask_of(0);

		/* Onto CPU 0, beside the busy task, but free to move: a
		 * preemption in on_each_cpu() then lets CPU 1 pull us. */
		set_cpus_allowed_ptr(current, &here);
		set_cpus_allowed_ptr(current, &cpu_online_mask);
		for (cpu = 0; cpu < MAX_CPUS; cpu++)
			atomic_set(&o->hits[cpu], 0);
		on_each_cpu(count_cpu_fn, o->hits, true);
		for_each_online_cpu(cpu)
			if (atomic_read(&o->hits[cpu]) != 1)
				o->bad++;
	}
	complete(&o->done);
	return 0;
}

static int busy_fn(void *arg)
{
	while (!kthread_should_stop())
		cond_resched();
	return 0;
}

static void on_each_cpu_with_preemption_runs_once_per_cpu(struct ktest *t)
{
	static struct oec o;
	struct task_struct *k, *b;

	o.bad = 0;
	init_completion(&o.done);
	b = stress_thread(t, busy_fn, NULL, "stress_busy", 0, PRIO_NORMAL);
	k = stress_thread(t, oec_fn, &o, "stress_oec", -1, PRIO_NORMAL);
	stress_wait(t, &o.done, "the on_each_cpu() loop");
	kthread_stop(k);
	kthread_stop(b);
	KTEST_EXPECT_EQ(t, o.bad, 0);
}

/* --- bug 8: waking a higher-priority task on the same CPU --- */

struct hiprio {
	bool go;
	bool ran;
};

static int hiprio_fn(void *arg)
{
	struct hiprio *h = arg;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (READ_ONCE(h->go))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	WRITE_ONCE(h->ran, true);
	return 0;
}

static void hiprio_body(struct ktest *t)
{
	static struct hiprio h;
	int late = 0;

	for (int i = 0; i < 10; i++) {
		struct task_struct *k;

		h.go = false;
		h.ran = false;
		k = stress_thread(t, hiprio_fn, &h, "stress_hi", 0, PRIO_HIGH);
		while (READ_ONCE(k->state) != TASK_INTERRUPTIBLE || READ_ONCE(k->on_cpu))
			schedule_timeout_uninterruptible(1);
		WRITE_ONCE(h.go, true);
		wake_up_process(k);
		if (!READ_ONCE(
			    h.ran)) /* Linux: it ran before wake_up_process() returned */
			late++;
		kthread_stop(k);
	}
	KTEST_EXPECT_EQ(t, late, 0);
}

static void wakeup_of_higher_prio_preempts_at_once(struct ktest *t)
{
	ktest_on_cpu(t, 0, hiprio_body);
}

static const struct ktest_case stress_cases[] = {
	KTEST_CASE(destroy_workqueue_loop_does_not_hang),
	KTEST_CASE(cancel_work_sync_against_preempted_queuer),
	KTEST_CASE(grab_pending_from_irq_during_cancel_sync),
	KTEST_CASE(two_cancel_work_sync_on_one_cpu),
	KTEST_CASE(exit_against_wakeup_stays_dead),
	KTEST_CASE(affinity_changes_on_running_task),
	KTEST_CASE(concurrent_mod_timer_on_one_timer),
	KTEST_CASE(timer_rearmed_for_now_runs_next_tick),
	KTEST_CASE(on_each_cpu_with_preemption_runs_once_per_cpu),
	KTEST_CASE(wakeup_of_higher_prio_preempts_at_once),
	KTEST_END,
};

static const struct ktest_suite stress_suite = {
	.name = "stress",
	.cases = stress_cases,
};
KTEST_SUITE(stress_suite);
