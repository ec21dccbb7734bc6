/*
 * fs/inode_race_test.c - iput() against a walker of sb->s_inodes.
 *
 * Layer: fs (test). Used by: the `test` command (suite inode_race), the
 * host jobs and inode-race-det-seed* in tests/run.
 * Provides: nothing; checks PC10 (fs/inode.c) against the walker pattern
 * of qlfs_sync_dirty_data() and Linux's wait_sb_inodes(): under
 * s_inode_list_lock, take i_lock and a reference (__iget()) only when
 * I_NEW, I_FREEING and I_WILL_FREE are clear.
 *
 * The main task creates an inode on a test sb and drops its only
 * reference, again and again; a kthread walks the sb's s_inodes that way
 * and iput()s what it took. If iput() let the count reach 0 before
 * I_FREEING is set under i_lock (an atomic_dec_and_test() then evict(),
 * as before commit 8f7015e), the walker can take a reference on an inode
 * already being evicted, and its own iput() evicts it a second time. The
 * walker records a count of 0 seen under i_lock without I_FREEING (the
 * revival itself); the test sb's ->evict_inode and ->destroy_inode count
 * per inode, and ->destroy_inode does not free, so a double eviction is
 * counted, not a use after free (the case frees every inode at its end).
 * The old window, between atomic_dec_and_test() and evict()'s spin_lock(),
 * holds switch points already: the SP_ATOMIC scheduling point after every
 * atomic read-modify-write, and in deterministic mode the interrupt-flag
 * edges of lockdep's lock_acquire(); none was added for this test. Job
 * inode-race-det-seed1 (--deterministic --cpus 2 --seed 1 --sched-points
 * 3) fails with the old iput() (seeds 2 to 5 too). Free-running (host-plain,
 * TSan) the walker seldom finds an inode between new_inode() and iput():
 * the deterministic job is the one that finds the race.
 *
 * Locking: as the walker's pattern: s_inode_list_lock -> i_lock.
 */
#include <quire/ktest.h>
#include <quire/fs.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/slab.h>
#include <quire/sched.h>
#include <quire/smp.h>
#include <quire/printk.h>
#include <arch/cpu.h>
#include "internal.h"

#define INODE_RACE_ROUNDS 300

struct race_inode {
	struct inode vfs;
	atomic_t evicts;   /* ->evict_inode calls */
	atomic_t destroys; /* ->destroy_inode calls */
};

struct inode_race {
	struct super_block *sb;
	struct race_inode *made[INODE_RACE_ROUNDS]; /* by the main task only */
	int nr_made;
	struct completion started; /* the walker runs (kthread_stop() returns 0) */
	/* the walker's, read after kthread_stop() */
	unsigned long walks;   /* references taken */
	unsigned long revived; /* of them, on an inode whose count was 0 */
	unsigned long revived_ino;
};

static struct race_inode *RACE_I(struct inode *inode)
{
	return container_of(inode, struct race_inode, vfs);
}

static struct inode *race_alloc_inode(struct super_block *sb)
{
	struct inode_race *r = sb->s_fs_info;
	struct race_inode *ri;

	if (r->nr_made == INODE_RACE_ROUNDS)
		return NULL;
	ri = kzalloc(sizeof(*ri), GFP_KERNEL);
	if (!ri)
		return NULL;
	r->made[r->nr_made++] = ri;
	return &ri->vfs;
}

/* inode_init_once() zeroes the inode only: the counters are outside it. */
static void race_evict_inode(struct inode *inode)
{
	atomic_inc(&RACE_I(inode)->evicts);
	clear_inode(inode);
}

/* Kept for the count; the case frees it. */
static void race_destroy_inode(struct inode *inode)
{
	atomic_inc(&RACE_I(inode)->destroys);
}

static const struct super_operations race_sops = {
	.alloc_inode = race_alloc_inode,
	.evict_inode = race_evict_inode,
	.destroy_inode = race_destroy_inode,
};

static struct file_system_type race_fs_type = {
	.name = "inode_race",
	.kill_sb = kill_anon_super,
};

/*
 * One pass: a reference on the first live inode of the sb, as
 * qlfs_sync_dirty_data() takes it, then iput() outside the list lock.
 */
static void race_walk_once(struct inode_race *r)
{
	struct super_block *sb = r->sb;
	struct inode *inode, *got = NULL;

	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		spin_lock(&inode->i_lock);
		if (inode->i_state & (I_NEW | I_FREEING | I_WILL_FREE)) {
			spin_unlock(&inode->i_lock);
			continue;
		}
		/* PC10: a live inode on s_inodes has a reference. */
		if (atomic_read(&inode->i_count) == 0 && !r->revived++)
			r->revived_ino = inode->i_ino;
		atomic_inc(&inode->i_count); /* __iget() */
		spin_unlock(&inode->i_lock);
		got = inode;
		break;
	}
	spin_unlock(&sb->s_inode_list_lock);
	if (got) {
		r->walks++;
		iput(got);
	}
}

static int race_walker(void *arg)
{
	struct inode_race *r = arg;

	complete(&r->started);
	while (!kthread_should_stop()) {
		race_walk_once(r);
		cond_resched();
		arch_cpu_relax();
	}
	return 0;
}

static void iput_never_lets_a_walker_revive_a_dying_inode(struct ktest *t)
{
	struct inode_race *r = kzalloc(sizeof(*r), GFP_KERNEL);
	struct race_inode *first_bad = NULL;
	struct task_struct *walker;
	int bad = 0;

	KTEST_ASSERT_NOT_NULL(t, r);
	r->sb = alloc_super(&race_fs_type, 0);
	if (!r->sb) {
		kfree(r);
		ktest_fail(t, __FILE__, __LINE__, "alloc_super failed");
		ktest_abort(t);
	}
	r->sb->s_op = &race_sops;
	r->sb->s_fs_info = r;
	init_completion(&r->started);
	walker = kthread_create(race_walker, r, "inode_race_walk");
	if (!IS_ERR(walker)) {
		/* Free-running, on another CPU than ours, or it may never run
		 * between our rounds. */
		if (num_online_cpus() > 1)
			kthread_bind(walker,
				     (smp_processor_id() + 1) % num_online_cpus());
		wake_up_process(walker);
		wait_for_completion(&r->started);
		for (int i = 0; i < INODE_RACE_ROUNDS; i++) {
			struct inode *inode = new_inode(r->sb);

			if (!inode)
				break;
			iput(inode);
			cond_resched();
		}
		KTEST_EXPECT_EQ(t, kthread_stop(walker), 0);
	} else {
		ktest_fail(t, __FILE__, __LINE__, "kthread_create: %ld", PTR_ERR(walker));
	}

	KTEST_EXPECT_EQ(t, r->nr_made, INODE_RACE_ROUNDS);
	if (r->revived)
		ktest_fail(
			t, __FILE__, __LINE__,
			"walker took %lu of %lu references on an inode whose count was 0 "
			"without I_FREEING (first: ino %lu)",
			r->revived, r->walks, r->revived_ino);
	for (int i = 0; i < r->nr_made; i++) {
		struct race_inode *ri = r->made[i];

		if (atomic_read(&ri->evicts) != 1 || atomic_read(&ri->destroys) != 1) {
			if (!bad++)
				first_bad = ri;
		}
	}
	if (bad)
		ktest_fail(t, __FILE__, __LINE__,
			   "%d of %d inodes not evicted and destroyed exactly once "
			   "(first: ino %lu, evicted %d times, destroyed %d times)",
			   bad, r->nr_made, first_bad->vfs.i_ino,
			   atomic_read(&first_bad->evicts),
			   atomic_read(&first_bad->destroys));
	for (int i = 0; i < r->nr_made; i++)
		kfree(r->made[i]);
	cprintf("        # %d inodes, the walker took %lu references\n", r->nr_made,
		r->walks);
	deactivate_super(r->sb);
	kfree(r);
}

static const struct ktest_case inode_race_cases[] = {
	KTEST_CASE(iput_never_lets_a_walker_revive_a_dying_inode),
	KTEST_END,
};

static const struct ktest_suite inode_race_suite = {
	.name = "inode_race",
	.cases = inode_race_cases,
};
KTEST_SUITE(inode_race_suite);
