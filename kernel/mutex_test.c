/*
 * kernel/mutex_test.c - KTAP suites "mutex" (mutex and rwsem exclusion,
 * writer not starved, per-CPU counters) and "lockdep" (ABBA report).
 */
#include <quire/ktest.h>
#include <quire/mutex.h>
#include <quire/rwsem.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/lockdep.h>
#include <quire/percpu_counter.h>
#include <quire/atomic.h>
#include <quire/timer.h>
#include <quire/printk.h>

#define LOCKERS		4
#define LOCK_ROUNDS	2000

struct excl_test {
	struct mutex lock;
	struct rw_semaphore sem;
	long counter;			/* guarded by lock */
	int inside;			/* tasks inside the critical section */
	int readers, writers;		/* inside sem */
	atomic_t violations;
	atomic_t max_readers;
	u64 seed;
};

static struct excl_test ex;
static atomic_t finished;

/* Workers that run to completion: wait for all of them, then join (a
 * kthread stopped before it ever ran returns -EINTR, as in Linux). */
static void join_all(struct ktest *t, struct task_struct **k, int n)
{
	unsigned long end = jiffies + 60 * HZ;

	while (atomic_read(&finished) < n && time_before(jiffies, end))
		msleep(1);
	KTEST_EXPECT_EQ(t, atomic_read(&finished), n);
	for (int i = 0; i < n; i++)
		KTEST_EXPECT_EQ(t, kthread_stop(k[i]), 0);
	atomic_set(&finished, 0);
}

static u64 next_rand(u64 *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static int mutex_hammer(void *arg)
{
	u64 rnd = ex.seed + (u64)(long)arg;

	for (int i = 0; i < LOCK_ROUNDS; i++) {
		mutex_lock(&ex.lock);
		if (__atomic_add_fetch(&ex.inside, 1, __ATOMIC_SEQ_CST) != 1)
			atomic_inc(&ex.violations);
		ex.counter++;
		if (next_rand(&rnd) % 8 == 0)
			yield();
		__atomic_sub_fetch(&ex.inside, 1, __ATOMIC_SEQ_CST);
		mutex_unlock(&ex.lock);
	}
	atomic_inc(&finished);
	return 0;
}

static void mutex_excludes_and_counts_every_increment(struct ktest *t)
{
	struct task_struct *k[LOCKERS];

	mutex_init(&ex.lock);
	ex.counter = 0;
	ex.inside = 0;
	atomic_set(&ex.violations, 0);
	ex.seed = ktest_seed();
	cprintf("        # seed %llu\n", (unsigned long long)ex.seed);
	for (long i = 0; i < LOCKERS; i++) {
		k[i] = kthread_run(mutex_hammer, (void *)i, "mutex%ld", i);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, k[i]);
	}
	join_all(t, k, LOCKERS);
	KTEST_EXPECT_EQ(t, ex.counter, LOCKERS * LOCK_ROUNDS);
	KTEST_EXPECT_EQ(t, atomic_read(&ex.violations), 0);
	KTEST_EXPECT_FALSE(t, mutex_is_locked(&ex.lock));
}

static void mutex_trylock_fails_while_held(struct ktest *t)
{
	DEFINE_MUTEX(m);

	KTEST_EXPECT_EQ(t, mutex_trylock(&m), 1);
	KTEST_EXPECT_TRUE(t, mutex_is_owner(&m));
	KTEST_EXPECT_EQ(t, mutex_trylock(&m), 0);
	mutex_unlock(&m);
	KTEST_EXPECT_FALSE(t, mutex_is_locked(&m));
}

static int rwsem_hammer(void *arg)
{
	long id = (long)arg;
	u64 rnd = ex.seed + (u64)id * 77;

	for (int i = 0; i < LOCK_ROUNDS / 2; i++) {
		if (id == 0 || next_rand(&rnd) % 4 == 0) {
			down_write(&ex.sem);
			if (__atomic_add_fetch(&ex.writers, 1, __ATOMIC_SEQ_CST) != 1 ||
			    __atomic_load_n(&ex.readers, __ATOMIC_SEQ_CST))
				atomic_inc(&ex.violations);
			ex.counter++;
			if (next_rand(&rnd) % 8 == 0)
				yield();
			__atomic_sub_fetch(&ex.writers, 1, __ATOMIC_SEQ_CST);
			up_write(&ex.sem);
		} else {
			int r;

			down_read(&ex.sem);
			r = __atomic_add_fetch(&ex.readers, 1, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&ex.writers, __ATOMIC_SEQ_CST))
				atomic_inc(&ex.violations);
			if (r > atomic_read(&ex.max_readers))
				atomic_set(&ex.max_readers, r);
			if (next_rand(&rnd) % 4 == 0)
				yield();
			__atomic_sub_fetch(&ex.readers, 1, __ATOMIC_SEQ_CST);
			up_read(&ex.sem);
		}
	}
	atomic_inc(&finished);
	return 0;
}

static void rwsem_writers_exclude_everyone(struct ktest *t)
{
	struct task_struct *k[LOCKERS];

	init_rwsem(&ex.sem);
	ex.counter = 0;
	ex.readers = ex.writers = 0;
	atomic_set(&ex.violations, 0);
	atomic_set(&ex.max_readers, 0);
	ex.seed = ktest_seed();
	for (long i = 0; i < LOCKERS; i++) {
		k[i] = kthread_run(rwsem_hammer, (void *)i, "rwsem%ld", i);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, k[i]);
	}
	join_all(t, k, LOCKERS);
	KTEST_EXPECT_EQ(t, atomic_read(&ex.violations), 0);
	KTEST_EXPECT_GE(t, ex.counter, LOCK_ROUNDS / 2);
	KTEST_EXPECT_FALSE(t, rwsem_is_locked(&ex.sem));
}

static int reader_stream(void *arg)
{
	atomic_inc(&finished);	/* here: "started" */
	while (!kthread_should_stop()) {
		down_read(&ex.sem);
		msleep(2);
		up_read(&ex.sem);
	}
	return 0;
}

static void rwsem_writer_not_starved_by_readers(struct ktest *t)
{
	struct task_struct *k[3];
	unsigned long start;

	init_rwsem(&ex.sem);
	for (long i = 0; i < 3; i++) {
		k[i] = kthread_run(reader_stream, NULL, "reader%ld", i);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, k[i]);
	}
	while (atomic_read(&finished) < 3)
		msleep(1);
	atomic_set(&finished, 0);
	msleep(20);
	start = jiffies;
	down_write(&ex.sem);
	KTEST_EXPECT_LT(t, (long)(jiffies - start), HZ);
	downgrade_write(&ex.sem);
	up_read(&ex.sem);
	for (int i = 0; i < 3; i++)
		KTEST_EXPECT_EQ(t, kthread_stop(k[i]), 0);
}

static void rwsem_downgrade_lets_readers_in(struct ktest *t)
{
	DECLARE_RWSEM(sem);

	down_write(&sem);
	KTEST_EXPECT_EQ(t, down_read_trylock(&sem), 0);
	downgrade_write(&sem);
	KTEST_EXPECT_EQ(t, down_read_trylock(&sem), 1);
	KTEST_EXPECT_EQ(t, down_write_trylock(&sem), 0);
	up_read(&sem);
	up_read(&sem);
	KTEST_EXPECT_EQ(t, down_write_trylock(&sem), 1);
	up_write(&sem);
}

static struct percpu_counter pcc;

static int pcc_adder(void *arg)
{
	for (int i = 0; i < 10000; i++) {
		percpu_counter_add(&pcc, 3);
		percpu_counter_sub(&pcc, 1);
		if (i % 512 == 0)
			yield();
	}
	atomic_inc(&finished);
	return 0;
}

static void percpu_counter_sum_is_exact(struct ktest *t)
{
	struct task_struct *k[LOCKERS];

	percpu_counter_init(&pcc, 5, 0);
	for (long i = 0; i < LOCKERS; i++) {
		k[i] = kthread_run(pcc_adder, NULL, "pcc%ld", i);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, k[i]);
	}
	join_all(t, k, LOCKERS);
	KTEST_EXPECT_EQ(t, percpu_counter_sum(&pcc), 5 + LOCKERS * 10000 * 2);
	percpu_counter_destroy(&pcc);
}

static const struct ktest_case mutex_cases[] = {
	KTEST_CASE(mutex_excludes_and_counts_every_increment),
	KTEST_CASE(mutex_trylock_fails_while_held),
	KTEST_CASE(rwsem_writers_exclude_everyone),
	KTEST_CASE(rwsem_writer_not_starved_by_readers),
	KTEST_CASE(rwsem_downgrade_lets_readers_in),
	KTEST_CASE(percpu_counter_sum_is_exact),
	KTEST_END,
};

static const struct ktest_suite mutex_suite = {
	.name = "mutex",
	.cases = mutex_cases,
};
KTEST_SUITE(mutex_suite);

/* --- lockdep --- */

static bool lockdep_was_on;

static int lockdep_suite_init(struct ktest *t)
{
	lockdep_was_on = lockdep_enabled();
	lockdep_set_enabled(true);
	return 0;
}

static void lockdep_suite_exit(struct ktest *t)
{
	lockdep_set_enabled(lockdep_was_on);
}

static void lockdep_reports_abba_inversion(struct ktest *t)
{
	static spinlock_t a, b;
	unsigned long before;

	spin_lock_init(&a);
	spin_lock_init(&b);
	before = lockdep_inversions();
	t->lockdep_reports_expected = 1;	/* the inversion below */
	spin_lock(&a);
	spin_lock(&b);
	spin_unlock(&b);
	spin_unlock(&a);
	KTEST_EXPECT_EQ(t, lockdep_inversions(), before);
	spin_lock(&b);
	spin_lock(&a);		/* B -> A closes the cycle: reported */
	spin_unlock(&a);
	spin_unlock(&b);
	KTEST_EXPECT_EQ(t, lockdep_inversions(), before + 1);
}

static void lockdep_reports_mutex_abba_inversion(struct ktest *t)
{
	static struct mutex a, b;
	unsigned long before;

	mutex_init(&a);
	mutex_init(&b);
	before = lockdep_inversions();
	t->lockdep_reports_expected = 1;	/* the inversion below */
	mutex_lock(&a);
	mutex_lock(&b);
	mutex_unlock(&b);
	mutex_unlock(&a);
	mutex_lock(&b);
	mutex_lock(&a);
	mutex_unlock(&a);
	mutex_unlock(&b);
	KTEST_EXPECT_EQ(t, lockdep_inversions(), before + 1);
}

static void lockdep_consistent_order_is_quiet(struct ktest *t)
{
	static spinlock_t a, b, c;
	unsigned long before;

	spin_lock_init(&a);
	spin_lock_init(&b);
	spin_lock_init(&c);
	before = lockdep_inversions();
	for (int i = 0; i < 3; i++) {
		spin_lock(&a);
		spin_lock(&b);
		spin_lock(&c);
		KTEST_EXPECT_TRUE(t, lockdep_is_held(&b));
		spin_unlock(&c);
		spin_unlock(&b);
		spin_unlock(&a);
	}
	spin_lock(&a);
	spin_lock(&c);		/* a -> c agrees with a -> b -> c */
	spin_unlock(&c);
	spin_unlock(&a);
	KTEST_EXPECT_EQ(t, lockdep_inversions(), before);
}

static const struct ktest_case lockdep_cases[] = {
	KTEST_CASE(lockdep_reports_abba_inversion),
	KTEST_CASE(lockdep_reports_mutex_abba_inversion),
	KTEST_CASE(lockdep_consistent_order_is_quiet),
	KTEST_END,
};

static const struct ktest_suite lockdep_suite = {
	.name = "lockdep",
	.init = lockdep_suite_init,
	.exit = lockdep_suite_exit,
	.cases = lockdep_cases,
};
KTEST_SUITE(lockdep_suite);
