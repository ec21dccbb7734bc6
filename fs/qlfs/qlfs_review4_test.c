/*
 * fs/qlfs/qlfs_review4_test.c - suite `qlfs_review4`: the fourth
 * adversarial review (session 20, RVA): a node freed while another task
 * reads it (node.c, qlfs_free_node() against qlfs_get_node_folio()).
 *
 * Layer: fs (qlfs tests). Used by: jobs host-plain-det-qlfs-review4 (the
 * deterministic mode, seed 3: before the fix it failed both cases) and
 * host-asan-qlfs-review4 (free-running); on request only (`test
 * qlfs_review4`): its racer spins on a CPU, which would cost a one-CPU
 * QEMU job minutes.
 * Provides: the suite; no API.
 *
 * The cleaner asks the node cache for nodes it does not own:
 * data_owner() (gc.c) checks only that the NAT's entry is not NULL_ADDR
 * and has the summary's version, then calls qlfs_get_node_folio();
 * node read-around (node.c) adds folios for the nids after the one read.
 * Such a reader adds and locks the nid's folio, then reads the NAT. The
 * node's owner meanwhile frees it: qlfs_free_node() dropped the cached
 * folio, then changed the NAT entry without any lock the reader takes,
 * so a reader in between found the NAT unchanged and the folio gone:
 *  - a node never written (NEW_ADDR: a file made and unlinked before its
 *    inode reached the disk) made qlfs_get_node_folio() call the entry
 *    corrupt ("NAT address outside the main area") and the file system
 *    went read-only;
 *  - a node on the disk was read back into the cache after its free, a
 *    folio for a free nid (QN2 broken).
 * Each case runs rounds of make, unlink with a racing reader (a kthread
 * calling qlfs_get_node_folio() on the nid in a loop, as data_owner()
 * does after its NAT check) and checks after each round: writable, no
 * folio at the freed nid, and fsck clean at the end.
 *
 * Locking: none of its own; the racer only reads through node.c's API.
 */
#include <quire/ktest.h>
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/pagemap.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/sched.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/slab.h>
#include <quire/printk.h>
#include "qlfs_mount.h"
#include "qlfs_test.h"

#define R4 "/qr4"

struct r4 {
	struct qlfs_dev d;
	bool mounted;
	struct qlfs_sb_info *sbi;
	u32 nid;		   /* the racer's target; 0: none */
	u32 reads, gone;	   /* the racer's folios and -ENOENTs */
	struct completion running; /* the racer made its first read */
	char buf[4096];
};

static int r4_init(struct ktest *t)
{
	struct r4 *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return -ENOMEM;
	t->priv = r;
	return 0;
}

static void r4_exit(struct ktest *t)
{
	struct r4 *r = t->priv;

	if (r->mounted) {
		KTEST_EXPECT_EQ(t, ksys_umount(R4, 0), 0);
		KTEST_EXPECT_EQ(t, qlfs_test_fsck(&r->d), 0);
	}
	ksys_rmdir(R4);
	qlfs_dev_close(&r->d);
	kfree(r);
}

/* The cleaner's read of a node it does not own (data_owner(): the NAT
 * entry not NULL_ADDR, then the folio), over and over. */
static int r4_racer(void *data)
{
	struct r4 *r = data;
	bool first = true;

	while (!kthread_should_stop()) {
		u32 nid = __atomic_load_n(&r->nid, __ATOMIC_ACQUIRE), addr = NULL_ADDR;
		struct folio *folio;

		if (!nid || qlfs_get_nat_entry(r->sbi, nid, NULL, &addr, NULL) ||
		    addr == NULL_ADDR) {
			cond_resched();
			continue;
		}
		folio = qlfs_get_node_folio(r->sbi, nid);
		if (IS_ERR(folio)) {
			r->gone++;
		} else {
			r->reads++;
			qlfs_put_node_folio(folio);
		}
		if (first)
			complete(&r->running);
		first = false;
		cond_resched(); /* one CPU: the unlink must run too */
	}
	return 0;
}

/* Is a folio cached at @nid of the node mapping? */
static bool r4_cached(struct r4 *r, u32 nid)
{
	struct folio *folio =
		__filemap_get_folio(r->sbi->node_inode->i_mapping, nid, 0, 0);

	if (IS_ERR(folio))
		return false;
	folio_put(folio);
	return true;
}

/*
 * @rounds of: a file made (its inode written first when @written), the
 * racer started on its nid, the file unlinked (eviction frees the nid),
 * the racer stopped. Every round: still writable, no folio at the freed
 * nid (QN2).
 */
static void r4_rounds(struct ktest *t, struct r4 *r, u32 rounds, bool written)
{
	u32 stale = 0, ro = 0, i;

	qlfs_test_fresh_mount(t, &r->d, 0, R4);
	r->mounted = true;
	r->sbi = qlfs_test_sbi(t, R4, NULL);
	qlfs_stop_gc_thread(r->sbi);
	memset(r->buf, 'r', sizeof(r->buf));
	for (i = 0; i < rounds && !ro; i++) {
		struct task_struct *k;
		struct kstat st;
		u32 addr = 0;
		int fd = ksys_open(R4 "/f", O_WRONLY | O_CREAT | O_EXCL, 0644);

		KTEST_ASSERT_TRUE(t, fd >= 0);
		KTEST_EXPECT_EQ(t, ksys_write(fd, r->buf, sizeof(r->buf)),
				(long)sizeof(r->buf));
		if (written)
			KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
		KTEST_EXPECT_EQ(t, ksys_fstat(fd, &st), 0);
		KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
		__atomic_store_n(&r->nid, (u32)st.ino, __ATOMIC_RELEASE);
		init_completion(&r->running);
		k = kthread_run(r4_racer, r, "qr4-racer");
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
		wait_for_completion(&r->running);
		KTEST_EXPECT_EQ(t, ksys_unlink(R4 "/f"), 0);
		kthread_stop(k);
		__atomic_store_n(&r->nid, 0, __ATOMIC_RELEASE);
		KTEST_EXPECT_EQ(
			t, qlfs_get_nat_entry(r->sbi, (u32)st.ino, NULL, &addr, NULL), 0);
		KTEST_EXPECT_EQ(t, addr, NULL_ADDR);
		if (r4_cached(r, (u32)st.ino))
			stale++;
		if (READ_ONCE(r->sbi->read_only))
			ro++;
	}
	pr_info("    # %u rounds: racer read %u folios, %u gone; %u stale folios, %s\n",
		i, r->reads, r->gone, stale, ro ? "read-only" : "writable");
	KTEST_EXPECT_EQ(t, stale, 0);
	KTEST_EXPECT_EQ(t, ro, 0);
}

/* A file unlinked before its inode was ever written: the NAT says NEW_ADDR
 * while qlfs_free_node() runs. */
static void qlfs_rv4_free_of_an_unwritten_node_against_a_reader(struct ktest *t)
{
	struct r4 *r = t->priv;

	r4_rounds(t, r, qlfs_test_scale(200, 40), false);
}

/* A file whose inode is on the disk (fsync): the reader reads it back. */
static void qlfs_rv4_free_of_a_written_node_against_a_reader(struct ktest *t)
{
	struct r4 *r = t->priv;

	r4_rounds(t, r, qlfs_test_scale(100, 20), true);
}

static const struct ktest_case qlfs_review4_cases[] = {
	KTEST_CASE(qlfs_rv4_free_of_an_unwritten_node_against_a_reader),
	KTEST_CASE(qlfs_rv4_free_of_a_written_node_against_a_reader),
	KTEST_END,
};

static const struct ktest_suite qlfs_review4_suite = {
	.name = "qlfs_review4",
	.init = r4_init,
	.exit = r4_exit,
	.cases = qlfs_review4_cases,
	.on_request = true,
};
KTEST_SUITE(qlfs_review4_suite);
