/*
 * kernel/wait_test.c - KTAP suites "wait" and "completion": wait queue
 * and completion semantics, and a no-lost-wake-up stress test across CPUs.
 *
 * Layer: kernel tests. Uses only kernel APIs, so the same cases run on
 * QEMU and arch/host (threads or deterministic mode).
 */
#include <quire/ktest.h>
#include <quire/wait.h>
#include <quire/completion.h>
#include <quire/kthread.h>
#include <quire/timer.h>
#include <quire/atomic.h>
#include <quire/printk.h>
#include <quire/string.h>

/* Wait (polling with short sleeps) until @cond or about 10 s passed. */
#define wait_until(cond) ({						\
	unsigned long __end = jiffies + 10 * HZ;			\
	while (!(cond) && time_before(jiffies, __end))			\
		msleep(1);						\
	(cond);								\
})

static int nr_waiters(struct wait_queue_head *wq)
{
	struct list_head *pos;
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&wq->lock, flags);
	list_for_each(pos, &wq->head)
		n++;
	spin_unlock_irqrestore(&wq->lock, flags);
	return n;
}

static void wait_event_timeout_returns_0_after_timeout(struct ktest *t)
{
	DECLARE_WAIT_QUEUE_HEAD(wq);
	unsigned long start = jiffies;
	long ret = wait_event_timeout(wq, false, 5);

	KTEST_EXPECT_EQ(t, ret, 0);
	KTEST_EXPECT_GE(t, (long)(jiffies - start), 5);
}

struct waker {
	struct wait_queue_head *wq;
	int *flag;
	unsigned int delay_ms;
};

static int waker_fn(void *arg)
{
	struct waker *w = arg;

	msleep(w->delay_ms);
	WRITE_ONCE(*w->flag, 1);
	wake_up(w->wq);
	return 0;
}

static void wait_event_timeout_returns_remaining_when_woken(struct ktest *t)
{
	DECLARE_WAIT_QUEUE_HEAD(wq);
	int flag = 0;
	struct waker w = { &wq, &flag, 20 };
	struct task_struct *k = kthread_run(waker_fn, &w, "waker");
	long ret;

	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	ret = wait_event_timeout(wq, READ_ONCE(flag), 5 * HZ);
	KTEST_EXPECT_GT(t, ret, 0);
	KTEST_EXPECT_LT(t, ret, 5 * HZ);
	KTEST_EXPECT_EQ(t, kthread_stop(k), 0);
}

static void wait_event_timeout_true_condition_returns_at_least_1(struct ktest *t)
{
	DECLARE_WAIT_QUEUE_HEAD(wq);

	KTEST_EXPECT_EQ(t, wait_event_timeout(wq, true, 0), 1);
	KTEST_EXPECT_EQ(t, wait_event_timeout(wq, true, 7), 7);
}

struct excl {
	struct wait_queue_head wq;
	int go;
	atomic_t woken;
};

static int exclusive_waiter(void *arg)
{
	struct excl *e = arg;

	wait_event_exclusive(e->wq, READ_ONCE(e->go));
	atomic_inc(&e->woken);
	return 0;
}

#define NR_TEST_WAITERS 3

/* Start NR_TEST_WAITERS kthreads running @fn on a fresh @e and return once
 * all of them sleep on e->wq. */
static void start_waiters(struct ktest *t, struct excl *e, int (*fn)(void *),
			  const char *name, struct task_struct **k)
{
	init_waitqueue_head(&e->wq);
	e->go = 0;
	atomic_set(&e->woken, 0);
	for (int i = 0; i < NR_TEST_WAITERS; i++) {
		k[i] = kthread_run(fn, e, "%s%d", name, i);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, k[i]);
	}
	KTEST_ASSERT_TRUE(t, wait_until(nr_waiters(&e->wq) == NR_TEST_WAITERS));
}

static void stop_waiters(struct ktest *t, struct task_struct **k)
{
	for (int i = 0; i < NR_TEST_WAITERS; i++)
		KTEST_EXPECT_EQ(t, kthread_stop(k[i]), 0);
}

static void wake_up_wakes_one_exclusive_waiter_wake_up_all_all(struct ktest *t)
{
	static struct excl e;
	struct task_struct *k[NR_TEST_WAITERS];

	start_waiters(t, &e, exclusive_waiter, "excl", k);
	WRITE_ONCE(e.go, 1);
	wake_up(&e.wq);
	KTEST_EXPECT_TRUE(t, wait_until(atomic_read(&e.woken) == 1));
	msleep(50);
	KTEST_EXPECT_EQ(t, atomic_read(&e.woken), 1);
	KTEST_EXPECT_EQ(t, nr_waiters(&e.wq), 2);
	wake_up_all(&e.wq);
	KTEST_EXPECT_TRUE(t, wait_until(atomic_read(&e.woken) == NR_TEST_WAITERS));
	stop_waiters(t, k);
}

static int nonexclusive_waiter(void *arg)
{
	struct excl *e = arg;

	wait_event(e->wq, READ_ONCE(e->go));
	atomic_inc(&e->woken);
	return 0;
}

static void wake_up_wakes_all_nonexclusive_waiters(struct ktest *t)
{
	static struct excl e;
	struct task_struct *k[NR_TEST_WAITERS];

	start_waiters(t, &e, nonexclusive_waiter, "nonexcl", k);
	WRITE_ONCE(e.go, 1);
	wake_up(&e.wq);
	KTEST_EXPECT_TRUE(t, wait_until(atomic_read(&e.woken) == NR_TEST_WAITERS));
	stop_waiters(t, k);
}

static void wake_up_before_schedule_is_not_lost(struct ktest *t)
{
	set_current_state(TASK_UNINTERRUPTIBLE);
	KTEST_EXPECT_EQ(t, wake_up_process(current), 1);
	KTEST_EXPECT_EQ(t, current->state, TASK_RUNNING);
	schedule();	/* returns at once: the wake-up came first */
	KTEST_EXPECT_EQ(t, current->state, TASK_RUNNING);
}

/* --- stress: producers and consumers through a bounded ring --- */

#define STRESS_PRODUCERS	4
#define STRESS_CONSUMERS	4
#define STRESS_ITEMS		1500	/* per producer */
#define STRESS_RING		16

struct stress {
	spinlock_t lock;		/* guards ring, head, tail, done */
	int ring[STRESS_RING];
	unsigned int head, tail;
	bool done;
	struct wait_queue_head not_empty, not_full;
	u8 seen[STRESS_PRODUCERS * STRESS_ITEMS];
	atomic_t consumed, duplicates;
	u64 seed;
	struct completion finished;
	atomic_t running;
};

static struct stress st;

static u64 xorshift(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool ring_put(struct stress *s, int item)
{
	bool ok;

	spin_lock_irq(&s->lock);
	ok = s->head - s->tail < STRESS_RING;
	if (ok)
		s->ring[s->head++ % STRESS_RING] = item;
	spin_unlock_irq(&s->lock);
	return ok;
}

/* 1 got an item, 0 empty, -1 empty and done. */
static int ring_get(struct stress *s, int *item)
{
	int ret = 0;

	spin_lock_irq(&s->lock);
	if (s->head != s->tail) {
		*item = s->ring[s->tail++ % STRESS_RING];
		ret = 1;
	} else if (s->done) {
		ret = -1;
	}
	spin_unlock_irq(&s->lock);
	return ret;
}

static int producer(void *arg)
{
	long id = (long)arg;
	u64 rnd = st.seed + (u64)id * 0x9e3779b97f4a7c15ULL + 1;

	for (int i = 0; i < STRESS_ITEMS; i++) {
		int item = (int)id * STRESS_ITEMS + i;

		wait_event(st.not_full, ring_put(&st, item));
		wake_up(&st.not_empty);
		if (xorshift(&rnd) % 16 == 0)
			yield();
		if (xorshift(&rnd) % 64 == 0)
			udelay(xorshift(&rnd) % 20);
	}
	if (atomic_dec_and_test(&st.running))
		complete(&st.finished);
	return 0;
}

static int consumer(void *arg)
{
	int item, r;

	for (;;) {
		wait_event_exclusive(st.not_empty, (r = ring_get(&st, &item)) != 0);
		if (r < 0)
			break;
		wake_up(&st.not_full);
		/* Pass the baton: another consumer may be needed. */
		wake_up(&st.not_empty);
		if (__atomic_fetch_add(&st.seen[item], 1, __ATOMIC_RELAXED))
			atomic_inc(&st.duplicates);
		atomic_inc(&st.consumed);
	}
	wake_up(&st.not_empty);
	return 0;
}

static void no_lost_wakeups_many_producers_consumers(struct ktest *t)
{
	struct task_struct *p[STRESS_PRODUCERS], *c[STRESS_CONSUMERS];
	unsigned long left;
	int missing = 0;

	memset(&st, 0, sizeof(st));
	spin_lock_init(&st.lock);
	init_waitqueue_head(&st.not_empty);
	init_waitqueue_head(&st.not_full);
	init_completion(&st.finished);
	st.seed = ktest_seed();
	cprintf("        # seed %llu\n", (unsigned long long)st.seed);
	atomic_set(&st.running, STRESS_PRODUCERS);
	for (long i = 0; i < STRESS_CONSUMERS; i++) {
		c[i] = kthread_run(consumer, NULL, "consumer%ld", i);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, c[i]);
	}
	for (long i = 0; i < STRESS_PRODUCERS; i++) {
		p[i] = kthread_run(producer, (void *)i, "producer%ld", i);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, p[i]);
	}
	left = wait_for_completion_timeout(&st.finished, 150 * HZ);
	KTEST_ASSERT_TRUE(t, left > 0);
	spin_lock_irq(&st.lock);
	st.done = true;
	spin_unlock_irq(&st.lock);
	wake_up_all(&st.not_empty);
	for (int i = 0; i < STRESS_PRODUCERS; i++)
		KTEST_EXPECT_EQ(t, kthread_stop(p[i]), 0);
	for (int i = 0; i < STRESS_CONSUMERS; i++)
		KTEST_EXPECT_EQ(t, kthread_stop(c[i]), 0);
	for (int i = 0; i < STRESS_PRODUCERS * STRESS_ITEMS; i++)
		missing += st.seen[i] == 0;
	KTEST_EXPECT_EQ(t, missing, 0);
	KTEST_EXPECT_EQ(t, atomic_read(&st.duplicates), 0);
	KTEST_EXPECT_EQ(t, atomic_read(&st.consumed), STRESS_PRODUCERS * STRESS_ITEMS);
}

static const struct ktest_case wait_cases[] = {
	KTEST_CASE(wait_event_timeout_returns_0_after_timeout),
	KTEST_CASE(wait_event_timeout_returns_remaining_when_woken),
	KTEST_CASE(wait_event_timeout_true_condition_returns_at_least_1),
	KTEST_CASE(wake_up_wakes_one_exclusive_waiter_wake_up_all_all),
	KTEST_CASE(wake_up_wakes_all_nonexclusive_waiters),
	KTEST_CASE(wake_up_before_schedule_is_not_lost),
	KTEST_CASE(no_lost_wakeups_many_producers_consumers),
	KTEST_END,
};

static const struct ktest_suite wait_suite = {
	.name = "wait",
	.cases = wait_cases,
};
KTEST_SUITE(wait_suite);

/* --- completions --- */

static int completer(void *arg)
{
	msleep(10);
	complete(arg);
	return 0;
}

static void wait_for_completion_returns_after_complete(struct ktest *t)
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct task_struct *k = kthread_run(completer, &done, "completer");

	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	wait_for_completion(&done);
	KTEST_EXPECT_FALSE(t, completion_done(&done));
	KTEST_EXPECT_EQ(t, kthread_stop(k), 0);
}

static void wait_for_completion_timeout_returns_0_on_timeout(struct ktest *t)
{
	DECLARE_COMPLETION_ONSTACK(done);

	KTEST_EXPECT_EQ(t, wait_for_completion_timeout(&done, 3), 0);
	complete(&done);
	KTEST_EXPECT_GT(t, wait_for_completion_timeout(&done, 3), 0);
}

static void complete_counts_and_complete_all_releases_everyone(struct ktest *t)
{
	DECLARE_COMPLETION_ONSTACK(done);

	complete(&done);
	complete(&done);
	KTEST_EXPECT_TRUE(t, try_wait_for_completion(&done));
	KTEST_EXPECT_TRUE(t, try_wait_for_completion(&done));
	KTEST_EXPECT_FALSE(t, try_wait_for_completion(&done));
	complete_all(&done);
	for (int i = 0; i < 5; i++)
		KTEST_EXPECT_TRUE(t, try_wait_for_completion(&done));
	reinit_completion(&done);
	KTEST_EXPECT_FALSE(t, completion_done(&done));
}

static const struct ktest_case completion_cases[] = {
	KTEST_CASE(wait_for_completion_returns_after_complete),
	KTEST_CASE(wait_for_completion_timeout_returns_0_on_timeout),
	KTEST_CASE(complete_counts_and_complete_all_releases_everyone),
	KTEST_END,
};

static const struct ktest_suite completion_suite = {
	.name = "completion",
	.cases = completion_cases,
};
KTEST_SUITE(completion_suite);
