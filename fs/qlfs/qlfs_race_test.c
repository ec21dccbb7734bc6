/*
 * fs/qlfs/qlfs_race_test.c - KTAP suite `qlfs_race`: the review of qlfs's
 * concurrency and ordering (issue 10, session 18 RV): each case puts a
 * checkpoint into one window between two steps of another operation and
 * checks the checkpoint it wrote.
 *
 * Layer: test (fs/qlfs). Used by: `test qlfs_race` (the host jobs run
 * every suite; tests/run's qlfs_race jobs run it alone).
 * Provides: nothing (cases only).
 *
 * The windows are made with the locks themselves, not with timing: the
 * test holds cp_rwsem shared (qlfs_lock_op()) while the checkpoint
 * (a kthread) queues for it exclusively, so every later qlfs_lock_op()
 * queues behind the checkpoint (the rwsem is fair, FIFO: kernel/rwsem.c);
 * an operation started then runs up to its own qlfs_lock_op() and waits
 * there. Releasing the test's hold lets the checkpoint run with the
 * operation stopped exactly at that point. Every wait of the test is for
 * a condition (a waiter queued, a thread done), polled. After the
 * checkpoint the file system is stopped (qlfs_handle_error(): nothing
 * more is written), unmounted, and fsck judges the checkpoint on the disk.
 * Needs a writable test disk of 32 MiB or more (serial quire-test*).
 *
 * Invariants:
 *  QRT1: every case ends unmounted with its threads finished.
 *
 * Locking: the cases take cp_rwsem and folio locks in qlfs_mount.h's
 * order (cp_rwsem before a data folio's lock).
 */
#include <quire/ktest.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/slab.h>
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/timer.h>
#include <arch/irq.h>
#include "qlfs_data.h"
#include "qlfs_test.h"

#define MNT	   "/qlfs_race"
#define POLL_LIMIT 20000 /* polls of 1 ms: a hang guard, not a timing check */

struct qr {
	struct qlfs_dev d;
	struct qlfs_sb_info *sbi;
	bool mounted;
	bool op_held; /* the test holds qlfs_lock_op() */
};

static int qr_init(struct ktest *t)
{
	struct qr *r = kzalloc(sizeof(*r), GFP_KERNEL);
	int err;

	if (!r)
		return -ENOMEM;
	t->priv = r;
	err = ksys_mkdir(MNT, 0755);
	return err == -EEXIST ? 0 : err;
}

static void qr_exit(struct ktest *t)
{
	struct qr *r = t->priv;

	if (r->op_held)
		qlfs_unlock_op(r->sbi);
	if (r->mounted)
		ksys_umount(MNT, 0);
	ksys_rmdir(MNT);
	qlfs_dev_close(&r->d);
	kfree(r);
}

static struct qlfs_sb_info *qr_sbi(struct ktest *t)
{
	return qlfs_test_sbi(t, MNT, NULL);
}

/* A fresh file system (the segment size mkfs picks) mounted at MNT. */
static struct qr *qr_fresh(struct ktest *t)
{
	struct qr *r = t->priv;

	qlfs_test_fresh_mount(t, &r->d, 0, MNT);
	r->mounted = true;
	r->sbi = qr_sbi(t);
	return r;
}

/* Stop the file system where it is (nothing more reaches the disk),
 * unmount it and let fsck judge the last checkpoint. */
static void qr_stop_and_fsck(struct ktest *t, struct qr *r)
{
	qlfs_handle_error(r->sbi, "test: stopped after the checkpoint");
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&r->d), 0);
}

static void qr_hold_op(struct qr *r)
{
	qlfs_lock_op(r->sbi);
	r->op_held = true;
}

static void qr_release_op(struct qr *r)
{
	r->op_held = false;
	qlfs_unlock_op(r->sbi);
}

/* cp_rwsem's queue length, and the readers holding it (-1: a writer). */
static unsigned int cp_waiters(struct qlfs_sb_info *sbi, long *count)
{
	struct rw_semaphore *sem = &sbi->cp_rwsem;
	unsigned long flags = arch_local_irq_save();
	unsigned int n = 0;
	struct list_head *pos;

	raw_spin_lock(&sem->wait_lock);
	list_for_each(pos, &sem->wait_list)
		n++;
	if (count)
		*count = sem->count;
	raw_spin_unlock(&sem->wait_lock);
	arch_local_irq_restore(flags);
	return n;
}

static bool wait_cp_waiters(struct ktest *t, struct qlfs_sb_info *sbi, unsigned int n)
{
	for (int i = 0; i < POLL_LIMIT; i++) {
		if (cp_waiters(sbi, NULL) >= n)
			return true;
		msleep(1);
	}
	ktest_fail(t, __FILE__, __LINE__, "cp_rwsem: %u waiters, wanted %u",
		   cp_waiters(sbi, NULL), n);
	return false;
}

static bool wait_cp_readers(struct ktest *t, struct qlfs_sb_info *sbi, long n)
{
	long count = 0;

	for (int i = 0; i < POLL_LIMIT; i++) {
		cp_waiters(sbi, &count);
		if (count >= n)
			return true;
		msleep(1);
	}
	ktest_fail(t, __FILE__, __LINE__, "cp_rwsem: %ld readers, wanted %ld", count, n);
	return false;
}

/* ---- a thread running one step ---- */

struct qr_thread {
	int (*fn)(struct qr_thread *th);
	struct qr *r;
	int fd;
	const char *path;
	int ret;
	struct completion done;
	struct task_struct *task;
};

static int qr_thread_main(void *arg)
{
	struct qr_thread *th = arg;

	th->ret = th->fn(th);
	complete(&th->done);
	return 0;
}

static void qr_start(struct ktest *t, struct qr_thread *th, const char *name)
{
	init_completion(&th->done);
	th->task = kthread_run(qr_thread_main, th, "%s", name);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, th->task);
}

static int qr_join(struct qr_thread *th)
{
	wait_for_completion(&th->done);
	kthread_stop(th->task);
	return th->ret;
}

static int do_checkpoint(struct qr_thread *th)
{
	return qlfs_write_checkpoint(th->r->sbi, CP_REASON_SYNC);
}

static int do_write_block0(struct qr_thread *th)
{
	static u8 page[QLFS_BLKSIZE];
	long n;

	memset(page, 0x5a, sizeof(page));
	n = ksys_pwrite64(th->fd, page, sizeof(page), 0);
	return n == sizeof(page) ? 0 : (n < 0 ? (int)n : -EIO);
}

static int do_truncate0(struct qr_thread *th)
{
	return ksys_truncate(th->path, 0);
}

/*
 * Leave file block 0 of @fd's file dirty in the page cache with its
 * block only reserved (NEW_ADDR in its node), and a checkpoint queued
 * for cp_rwsem behind the test's shared hold, having already written the
 * dirty data it found before queueing: the page is dirtied after that
 * first pass, by a write that entered qlfs_lock_op() before the
 * checkpoint queued (it waited for the folio lock the test held).
 */
static void dirty_block0_behind_checkpoint(struct ktest *t, struct qr *r, int fd,
					   struct inode *inode, struct qr_thread *cp)
{
	struct qr_thread w = {.fn = do_write_block0, .r = r, .fd = fd};
	struct folio *folio;

	qr_hold_op(r);
	folio = __filemap_get_folio(inode->i_mapping, 0, FGP_LOCK | FGP_CREAT,
				    inode->i_mapping->gfp_mask);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, folio);
	qr_start(t, &w, "qr-write");
	wait_cp_readers(t, r->sbi, 2); /* the writer is in write_begin */
	cp->fn = do_checkpoint;
	cp->r = r;
	qr_start(t, cp, "qr-cp");
	wait_cp_waiters(t, r->sbi, 1); /* the checkpoint is queued */
	folio_unlock(folio);
	folio_put(folio);
	KTEST_EXPECT_EQ(t, qr_join(&w), 0);
	KTEST_EXPECT_TRUE(t, mapping_tagged(inode->i_mapping, PAGECACHE_TAG_DIRTY));
}

static struct inode *inode_of(struct ktest *t, const char *path)
{
	struct path p;
	struct inode *inode;

	KTEST_ASSERT_EQ(t, kern_path(path, LOOKUP_FOLLOW, &p), 0);
	inode = d_inode(p.dentry);
	path_put(&p);
	return inode; /* kept by the caller's open file */
}

/*
 * truncate drops the page cache past the new size before it takes
 * qlfs_lock_op(): a checkpoint between the two wrote the node with the
 * dropped page's NEW_ADDR in it and counted its reserved block as valid
 * (QM2 broken: fsck's QL10 and QL8 on the checkpoint).
 */
static void qlfs_race_truncate_against_checkpoint(struct ktest *t)
{
	struct qr *r = qr_fresh(t);
	struct qr_thread cp = {0}, tr = {.fn = do_truncate0, .path = MNT "/f"};
	int fd = ksys_open(MNT "/f", O_CREAT | O_RDWR, 0644);

	KTEST_ASSERT_TRUE(t, fd >= 0);
	KTEST_ASSERT_EQ(t, qlfs_write_checkpoint(r->sbi, CP_REASON_SYNC), 0);
	dirty_block0_behind_checkpoint(t, r, fd, inode_of(t, MNT "/f"), &cp);
	tr.r = r;
	qr_start(t, &tr, "qr-truncate");
	wait_cp_waiters(t, r->sbi, 2); /* the truncate waits behind it */
	qr_release_op(r);
	KTEST_EXPECT_EQ(t, qr_join(&cp), 0);
	KTEST_EXPECT_EQ(t, qr_join(&tr), 0);
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
	qr_stop_and_fsck(t, r);
}

static int do_close(struct qr_thread *th)
{
	return ksys_close(th->fd);
}

/*
 * The last close of an unlinked file evicts it: eviction dropped the
 * page cache before qlfs_lock_op(), so a checkpoint between wrote the
 * orphan's node with the dropped page's NEW_ADDR (QM2: QL10, QL8).
 */
static void qlfs_race_evict_against_checkpoint(struct ktest *t)
{
	struct qr *r = qr_fresh(t);
	struct qr_thread cp = {0}, cl = {.fn = do_close};
	int fd = ksys_open(MNT "/f", O_CREAT | O_RDWR, 0644);
	struct inode *inode;

	KTEST_ASSERT_TRUE(t, fd >= 0);
	inode = inode_of(t, MNT "/f");
	KTEST_ASSERT_EQ(t, ksys_unlink(MNT "/f"), 0); /* an orphan, open */
	KTEST_ASSERT_EQ(t, qlfs_write_checkpoint(r->sbi, CP_REASON_SYNC), 0);
	dirty_block0_behind_checkpoint(t, r, fd, inode, &cp);
	cl.r = r;
	cl.fd = fd;
	qr_start(t, &cl, "qr-close");
	wait_cp_waiters(t, r->sbi, 2); /* eviction waits behind it */
	qr_release_op(r);
	KTEST_EXPECT_EQ(t, qr_join(&cp), 0);
	KTEST_EXPECT_EQ(t, qr_join(&cl), 0);
	qr_stop_and_fsck(t, r);
}

static unsigned int mutex_waiters(struct mutex *lock)
{
	unsigned long flags = arch_local_irq_save();
	unsigned int n = 0;
	struct list_head *pos;

	raw_spin_lock(&lock->wait_lock);
	list_for_each(pos, &lock->wait_list)
		n++;
	raw_spin_unlock(&lock->wait_lock);
	arch_local_irq_restore(flags);
	return n;
}

/*
 * Eviction freed the orphan's blocks and nid inside qlfs_lock_op() but
 * took it off the orphan list only after qlfs_unlock_op(): a checkpoint
 * in between listed as an orphan a nid the same checkpoint's NAT has
 * free, and the next mount's orphan recovery, finding no such inode,
 * made the file system read-only (F2FS removes the orphan in the same
 * operation as the inode's node: truncate_node()). The test holds
 * orphan_lock, so eviction stops at the list; no checkpoint may be able
 * to start then (cp_rwsem must still be held by the eviction).
 */
static void qlfs_race_evict_leaves_orphan_list_inside_the_operation(struct ktest *t)
{
	struct qr *r = qr_fresh(t);
	struct qr_thread cl = {.fn = do_close, .r = r};
	int fd = ksys_open(MNT "/f", O_CREAT | O_RDWR, 0644);
	u32 ino, nat_ino = 0, addr = 0;
	bool cp_could_run = false;

	KTEST_ASSERT_TRUE(t, fd >= 0);
	ino = inode_of(t, MNT "/f")->i_ino;
	KTEST_ASSERT_EQ(t, ksys_unlink(MNT "/f"), 0);
	mutex_lock(&r->sbi->orphan_lock);
	cl.fd = fd;
	qr_start(t, &cl, "qr-close");
	for (int i = 0; i < POLL_LIMIT && !mutex_waiters(&r->sbi->orphan_lock); i++)
		msleep(1);
	KTEST_EXPECT_EQ(t, mutex_waiters(&r->sbi->orphan_lock), 1);
	/* the inode's nid is free already ... */
	KTEST_EXPECT_EQ(t, qlfs_get_nat_entry(r->sbi, ino, &nat_ino, &addr, NULL), 0);
	KTEST_EXPECT_EQ(t, addr, NULL_ADDR);
	/* ... while it is listed: a checkpoint must not start now */
	if (down_write_trylock(&r->sbi->cp_rwsem)) {
		cp_could_run = true;
		up_write(&r->sbi->cp_rwsem);
	}
	KTEST_EXPECT_FALSE(t, cp_could_run);
	mutex_unlock(&r->sbi->orphan_lock);
	KTEST_EXPECT_EQ(t, qr_join(&cl), 0);
	KTEST_EXPECT_EQ(t, r->sbi->orphan_count, 0);
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&r->d), 0);
}

static int do_fsync(struct qr_thread *th)
{
	return ksys_fsync(th->fd);
}

static unsigned int cp_mutex_waiters(struct qr *r)
{
	return mutex_waiters(&r->sbi->cp_mutex);
}

/*
 * fsync of a file renamed since the last checkpoint must take a checkpoint
 * (roll-forward does not move a name: QLFS_I_NEED_CP). fsync cleared the
 * inode's NEED_CP before it waited for cp_mutex, so a second fsync
 * meanwhile saw nothing to checkpoint, rolled forward and answered 0
 * before any checkpoint had the new name: a power cut then lost it. The
 * test holds cp_mutex (a checkpoint in progress) while the first fsync
 * waits for it; the file system is stopped as soon as the second one
 * returns, and the next mount must have the file under its new name.
 */
static void
qlfs_race_second_fsync_of_a_renamed_file_waits_for_the_checkpoint(struct ktest *t)
{
	struct qr *r = qr_fresh(t);
	struct qr_thread s1 = {.fn = do_fsync, .r = r}, s2 = {.fn = do_fsync, .r = r};
	static u8 page[QLFS_BLKSIZE], back[QLFS_BLKSIZE];
	int fd = ksys_open(MNT "/old", O_CREAT | O_RDWR, 0644);
	bool stopped = false;
	struct kstat st;

	KTEST_ASSERT_TRUE(t, fd >= 0);
	KTEST_ASSERT_EQ(t, qlfs_write_checkpoint(r->sbi, CP_REASON_SYNC), 0);
	KTEST_ASSERT_EQ(t, ksys_rename(MNT "/old", MNT "/new", 0), 0);
	memset(page, 0xa5, sizeof(page));
	KTEST_ASSERT_EQ(t, ksys_pwrite64(fd, page, sizeof(page), 0), sizeof(page));
	s1.fd = s2.fd = fd;
	mutex_lock(&r->sbi->cp_mutex);
	qr_start(t, &s1, "qr-fsync1");
	for (int i = 0; i < POLL_LIMIT && cp_mutex_waiters(r) < 1; i++)
		msleep(1);
	KTEST_EXPECT_EQ(t, cp_mutex_waiters(r), 1);
	qr_start(t, &s2, "qr-fsync2");
	for (int i = 0;
	     i < POLL_LIMIT && cp_mutex_waiters(r) < 2 && !completion_done(&s2.done); i++)
		msleep(1);
	if (completion_done(&s2.done)) {
		/* acknowledged with no checkpoint possible: cut here */
		qlfs_handle_error(r->sbi, "test: stopped after the second fsync");
		stopped = true;
	}
	mutex_unlock(&r->sbi->cp_mutex);
	KTEST_EXPECT_EQ(t, qr_join(&s2), 0);
	if (!stopped) {
		KTEST_EXPECT_EQ(t, qr_join(&s1), 0);
		qlfs_handle_error(r->sbi, "test: stopped after both fsyncs");
	} else {
		qr_join(&s1); /* not acknowledged before the cut */
	}
	KTEST_EXPECT_FALSE(t, stopped);
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
	KTEST_ASSERT_EQ(t, qlfs_test_remount(&r->d, MNT), 0);
	r->sbi = qr_sbi(t);
	KTEST_EXPECT_EQ(t, ksys_stat(MNT "/new", &st), 0);
	fd = ksys_open(MNT "/new", O_RDONLY, 0);
	KTEST_EXPECT_TRUE(t, fd >= 0);
	if (fd >= 0) {
		KTEST_EXPECT_EQ(t, ksys_pread64(fd, back, sizeof(back), 0), sizeof(back));
		KTEST_EXPECT_EQ(t, memcmp(back, page, sizeof(page)), 0);
		ksys_close(fd);
	}
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&r->d), 0);
}

static int do_mkdir(struct qr_thread *th)
{
	return ksys_mkdir(th->path, 0755);
}

/*
 * A create that fails after its inode is made (here mkdir's first
 * directory block finds no space) drops the inode with no link: its
 * eviction frees it. Between the operation's end and that eviction's
 * qlfs_lock_op() a checkpoint wrote the inode with no link and on no
 * orphan list: after a power cut nobody frees it (fsck's QL13). F2FS's
 * f2fs_handle_failed_inode() puts it on the orphan list inside the
 * operation. The test lowers the user block count so that only the inode
 * block fits, and holds inode_cache_lock so that the mkdir stops inside
 * its operation while the checkpoint queues.
 */
static void qlfs_race_failed_mkdir_against_checkpoint(struct ktest *t)
{
	struct qr *r = qr_fresh(t);
	struct qr_thread cp = {.fn = do_checkpoint, .r = r},
			 mk = {.fn = do_mkdir, .r = r, .path = MNT "/d"};
	u64 saved;

	KTEST_ASSERT_EQ(t, qlfs_write_checkpoint(r->sbi, CP_REASON_SYNC), 0);
	spin_lock(&r->sbi->sit_lock);
	saved = r->sbi->user_block_count;
	r->sbi->user_block_count = r->sbi->total_valid_block_count + 1;
	spin_unlock(&r->sbi->sit_lock);
	mutex_lock(&r->sbi->inode_cache_lock);
	qr_start(t, &mk, "qr-mkdir");
	for (int i = 0; i < POLL_LIMIT && !mutex_waiters(&r->sbi->inode_cache_lock); i++)
		msleep(1);
	KTEST_EXPECT_EQ(t, mutex_waiters(&r->sbi->inode_cache_lock), 1);
	qr_start(t, &cp, "qr-cp");
	wait_cp_waiters(t, r->sbi, 1);
	mutex_unlock(&r->sbi->inode_cache_lock);
	KTEST_EXPECT_EQ(t, qr_join(&mk), -ENOSPC);
	KTEST_EXPECT_EQ(t, qr_join(&cp), 0);
	spin_lock(&r->sbi->sit_lock);
	r->sbi->user_block_count = saved;
	spin_unlock(&r->sbi->sit_lock);
	qr_stop_and_fsck(t, r);
	/* the next mount frees the orphan and stays writable */
	KTEST_ASSERT_EQ(t, ksys_mount(r->d.disk->disk_name, MNT, "qlfs", 0, NULL), 0);
	r->mounted = true;
	r->sbi = qr_sbi(t);
	KTEST_EXPECT_FALSE(t, READ_ONCE(r->sbi->read_only));
	KTEST_EXPECT_EQ(t, ksys_mkdir(MNT "/d", 0755), 0);
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&r->d), 0);
}

/* ---- fsync's roll-forward chain ---- */

struct chain_ctx {
	struct qr *r;
	int fd;
	bool stop;	   /* READ_ONCE/WRITE_ONCE */
	unsigned long ops; /* the node writer's rounds */
};

/* The flusher's part: dirty A's inode node (a larger size), then write
 * the dirty node folios as background writeback does (WB_SYNC_NONE). */
static int node_writer_main(void *arg)
{
	struct chain_ctx *c = arg;
	struct address_space *nodes = c->r->sbi->node_inode->i_mapping;
	loff_t pos = QLFS_BLKSIZE;

	while (!READ_ONCE(c->stop)) {
		struct writeback_control wbc = {.sync_mode = WB_SYNC_NONE,
						.nr_to_write = LONG_MAX,
						.range_end = LLONG_MAX};
		u8 b = 1;

		if (ksys_pwrite64(c->fd, &b, 1, pos++) != 1)
			break;
		do_writepages(nodes, &wbc);
		c->ops++;
		cond_resched();
	}
	while (!kthread_should_stop())
		msleep(1);
	return 0;
}

/* Keeps the node writer's CPU busy, so that a preempted writer stays off
 * it for a while. */
static int hog_main(void *arg)
{
	struct chain_ctx *c = arg;

	while (!READ_ONCE(c->stop))
		cond_resched();
	while (!kthread_should_stop())
		msleep(1);
	return 0;
}

/*
 * Walk the warm node chain on the disk from the checkpoint's start to
 * @target (roll-forward's walk, recovery.c): 0 when it gets there, else
 * the address where it broke (a block not written, or of another
 * checkpoint).
 */
static u32 chain_hole_before(struct qr *r, u32 target, u8 *blk)
{
	struct qlfs_sb_info *sbi = r->sbi;
	const struct qlfs_checkpoint *cp = sbi->ckpt;
	u32 seg, off, addr;

	spin_lock(&sbi->nat_lock); /* a checkpoint changes sbi->ckpt under it */
	seg = le32_to_cpu(cp->cur_node_segno[CURSEG_WARM_NODE - CURSEG_HOT_NODE]);
	off = le16_to_cpu(cp->cur_node_blkoff[CURSEG_WARM_NODE - CURSEG_HOT_NODE]);
	spin_unlock(&sbi->nat_lock);
	addr = qlfs_seg_blkaddr(&sbi->l, seg) + off;

	for (u32 steps = 0; steps < 1u << 20; steps++) {
		const struct qlfs_inode *node = (const void *)blk;

		if (qlfs_dev_read(&r->d, addr, blk, 1) ||
		    !qlfs_block_csum_ok(blk, addr) ||
		    node->footer.cp_ver != qlfs_node_cp_ver(sbi))
			return addr;
		if (addr == target)
			return 0;
		addr = le32_to_cpu(node->footer.next_blkaddr);
	}
	return addr;
}

/*
 * fsync writes its inode into the warm node log and flushes; roll-forward
 * finds it by walking that log from the checkpoint, and stops at the
 * first block not written. A node written by background writeback took
 * its block before it set PG_writeback, so an fsync that took the next
 * block waited for it only if that flag was already set: its flush could
 * leave a hole before the fsynced inode (F2FS sets writeback before it
 * allocates, and waits for every node written before the fsync's). After
 * each fsync the chain on the disk must reach the inode (a checkpoint in
 * between starts a new chain: that round is not walked). The window has
 * no lock to hold it open; the scheduling points widen it: the job
 * host-plain-sp-qlfs-race-chain runs this case with --sched-points 2
 * (free-running, so not replayable: before the fix one run in three
 * found the hole).
 */
static void qlfs_race_fsync_chain_has_no_hole(struct ktest *t)
{
	struct qr *r = t->priv;
	struct chain_ctx c = {.r = r};
	struct task_struct *writer, *hog;
	/* one CPU: the test, the writer and the hog take turns by the tick,
	 * a third of a second a round; 30 rounds there (the window needs two
	 * CPUs to be wide: host-plain-sp-qlfs-race-chain runs 2) */
	u32 rounds = num_online_cpus() > 1 ? qlfs_test_scale(300, 150) : 30;
	u32 hole = 0, round = 0, checked = 0;
	unsigned int cpu = num_online_cpus() > 1 ? 1 : 0;
	u8 one = 1, *blk;
	int fd;

	/* each round walks the chain on the disk from the checkpoint, with a
	 * CPU hog beside: a minute and more under TCG */
	if (!qlfs_test_disk(&r->d) && !qlfs_test_disk_is_fast(&r->d))
		ktest_skip(t, "the chain walks: on quire-host's memory disks only");
	r = qr_fresh(t);
	fd = ksys_open(MNT "/b", O_CREAT | O_RDWR, 0644);
	blk = qlfs_alloc_blocks(0);

	KTEST_ASSERT_NOT_NULL(t, blk);
	c.fd = ksys_open(MNT "/a", O_CREAT | O_RDWR, 0644);
	KTEST_ASSERT_TRUE(t, fd >= 0 && c.fd >= 0);
	KTEST_ASSERT_EQ(t, ksys_pwrite64(fd, &one, 1, 0), 1);
	KTEST_ASSERT_EQ(t, ksys_pwrite64(c.fd, &one, 1, 0), 1);
	KTEST_ASSERT_EQ(t, qlfs_write_checkpoint(r->sbi, CP_REASON_SYNC), 0);
	writer = kthread_create(node_writer_main, &c, "qr-nodes");
	hog = kthread_create(hog_main, &c, "qr-hog");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, writer);
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, hog);
	kthread_bind(writer, cpu);
	kthread_bind(hog, cpu);
	wake_up_process(writer);
	wake_up_process(hog);
	for (round = 0; round < rounds && !hole; round++) {
		u32 ino = 0, addr = 0;
		u64 cps;

		/* the checkpoint count moves under cp_rwsem held for write */
		qlfs_lock_op(r->sbi);
		cps = r->sbi->nr_checkpoints;
		qlfs_unlock_op(r->sbi);
		if (ksys_pwrite64(fd, &one, 1, 1 + round) != 1 || ksys_fsync(fd))
			break;
		if (qlfs_get_nat_entry(r->sbi, inode_of(t, MNT "/b")->i_ino, &ino, &addr,
				       NULL))
			break;
		/* a checkpoint meanwhile (balance_fs, the periodic one) has the
		 * inode and starts a new chain: nothing to walk this time; and
		 * none may start during the walk */
		qlfs_lock_op(r->sbi);
		if (r->sbi->nr_checkpoints == cps) {
			hole = chain_hole_before(r, addr, blk);
			checked++;
		}
		qlfs_unlock_op(r->sbi);
	}
	WRITE_ONCE(c.stop, true);
	kthread_stop(writer);
	kthread_stop(hog);
	KTEST_EXPECT_EQ(t, round, rounds);
	KTEST_EXPECT_GT(t, checked, 0); /* some fsyncs were between checkpoints */
	pr_info("qlfs_race: %u of %u fsyncs walked, %lu background node writes\n",
		checked, round, c.ops);
	if (hole)
		ktest_fail(
			t, __FILE__, __LINE__,
			"fsync %u: the chain on the disk breaks at block %u before the "
			"fsynced inode (%lu background node writes)",
			round, hole, c.ops);
	qlfs_free_blocks(blk, 0);
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
	KTEST_EXPECT_EQ(t, ksys_close(c.fd), 0);
}

static const struct ktest_case qlfs_race_cases[] = {
	KTEST_CASE(qlfs_race_truncate_against_checkpoint),
	KTEST_CASE(qlfs_race_evict_against_checkpoint),
	KTEST_CASE(qlfs_race_evict_leaves_orphan_list_inside_the_operation),
	KTEST_CASE(qlfs_race_second_fsync_of_a_renamed_file_waits_for_the_checkpoint),
	KTEST_CASE(qlfs_race_failed_mkdir_against_checkpoint),
	KTEST_CASE(qlfs_race_fsync_chain_has_no_hole),
	KTEST_END,
};

static const struct ktest_suite qlfs_race_suite = {
	.name = "qlfs_race",
	.init = qr_init,
	.exit = qr_exit,
	.cases = qlfs_race_cases,
};
KTEST_SUITE(qlfs_race_suite);
