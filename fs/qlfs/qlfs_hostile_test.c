/*
 * fs/qlfs/qlfs_hostile_test.c - KTAP suite `qlfs_hostile`: qlfs mounted on
 * forged images whose forged blocks pass their checksums (the review of
 * what the mount reads from the disk and trusts, issue 10).
 *
 * Layer: test (fs/qlfs). Used by: `test qlfs_hostile` (tests/run: the
 * host jobs, and host-asan-qlfs-hostile alone under ASan and UBSan).
 * Provides: nothing (cases only).
 *
 * Each case makes a file system with qlfs_mkfs(), fills it through the
 * VFS, unmounts it, edits blocks on the disk directly (found through the
 * checkpoint and the NAT as the mount finds them) and seals each edited
 * block again (qlfs_block_seal()), so that the mount reads a block with a
 * valid checksum that breaks one rule of docs/qlfs-format.md. The mount
 * must then refuse, or mount and answer an error for what the forgery
 * touches: no hang, no sanitizer report, no wrong data without an error,
 * and no change that leaves the disk worse than the forgery did.
 * Needs a writable test disk of 32 MiB or more (serial quire-test*).
 *
 * Invariants:
 *  QH1: every case ends unmounted; what it forged is on the test disk
 *       only (the next case runs qlfs_mkfs() again).
 *
 * Locking: none (cases run one at a time, single-threaded).
 */
#include <quire/ktest.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/slab.h>
#include <quire/syscalls.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include "qlfs_data.h"
#include "qlfs_test.h"

#define MNT "/qlfs_hostile"

struct qh {
	struct qlfs_dev d;
	struct qlfs_layout l;
	u8 *blk;
	u8 *buf; /* 2 blocks */
	bool mounted;
};

static int qh_init(struct ktest *t)
{
	struct qh *h = kzalloc(sizeof(*h), GFP_KERNEL);
	int err;

	if (!h)
		return -ENOMEM;
	h->blk = qlfs_alloc_blocks(0);
	h->buf = qlfs_alloc_blocks(1);
	if (!h->blk || !h->buf) {
		qlfs_free_blocks(h->blk, 0);
		qlfs_free_blocks(h->buf, 1);
		kfree(h);
		return -ENOMEM;
	}
	t->priv = h;
	err = ksys_mkdir(MNT, 0755);
	return err == -EEXIST ? 0 : err;
}

static void qh_exit(struct ktest *t)
{
	struct qh *h = t->priv;

	if (h->mounted)
		ksys_umount(MNT, 0);
	ksys_rmdir(MNT);
	qlfs_free_blocks(h->blk, 0);
	qlfs_free_blocks(h->buf, 1);
	kfree(h);
}

/* A fresh file system (the segment size mkfs picks) mounted at MNT. */
static struct qh *qh_fresh(struct ktest *t)
{
	struct qh *h = t->priv;

	qlfs_test_need_disk(t, &h->d);
	KTEST_ASSERT_EQ(t,
			qlfs_compute_layout(h->d.nr_blocks,
					    qlfs_mkfs_pick_log_bps(h->d.nr_blocks),
					    &h->l),
			0);
	KTEST_ASSERT_EQ(t, qlfs_test_mount_fresh(&h->d, 0, MNT), 0);
	h->mounted = true;
	return h;
}

static int qh_mount(struct qh *h)
{
	int err = ksys_mount(h->d.disk->disk_name, MNT, "qlfs", 0, NULL);

	h->mounted = !err;
	return err;
}

static void qh_umount(struct ktest *t, struct qh *h)
{
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	h->mounted = false;
}

static void qh_read(struct ktest *t, struct qh *h, u32 addr)
{
	KTEST_ASSERT_EQ(t, qlfs_dev_read(&h->d, addr, h->blk, 1), 0);
}

/* Seal h->blk for @addr and write it there. */
static void qh_write_sealed(struct ktest *t, struct qh *h, u32 addr)
{
	qlfs_block_seal(h->blk, addr);
	KTEST_ASSERT_EQ(t, qlfs_dev_write(&h->d, addr, h->blk, 1), 0);
}

/* The header of the newest valid checkpoint pack, into h->buf. */
static const struct qlfs_checkpoint *disk_cp(struct ktest *t, struct qh *h)
{
	u64 best = 0;
	int use = -1;

	for (int p = 0; p < 2; p++) {
		u32 addr = h->l.cp_blkaddr + p * h->l.bps;
		const struct qlfs_checkpoint *cp = (const void *)h->blk;

		qh_read(t, h, addr);
		if (qlfs_block_csum_ok(h->blk, addr) &&
		    (use < 0 || le64_to_cpu(cp->checkpoint_ver) > best)) {
			best = le64_to_cpu(cp->checkpoint_ver);
			use = p;
			memcpy(h->buf, h->blk, QLFS_BLKSIZE);
		}
	}
	KTEST_ASSERT_OP(t, use, >=, 0);
	return (const void *)h->buf;
}

/* The on-disk block address of node @nid (the live NAT copy). */
static u32 disk_node_addr(struct ktest *t, struct qh *h, u32 nid)
{
	const struct qlfs_checkpoint *cp = disk_cp(t, h);
	u32 i = nid / NAT_ENTRY_PER_BLOCK;
	int copy = qlfs_test_bit(
		cp->sit_nat_version_bitmap + qlfs_sit_bitmap_bytes(&h->l), i);
	u32 naddr = qlfs_nat_blkaddr(&h->l, i, copy), addr;

	qh_read(t, h, naddr);
	KTEST_ASSERT_TRUE(t, qlfs_block_csum_ok(h->blk, naddr));
	addr = le32_to_cpu(((struct qlfs_nat_block *)h->blk)
				   ->entries[nid % NAT_ENTRY_PER_BLOCK]
				   .block_addr);
	KTEST_ASSERT_OP(t, addr, >=, h->l.main_blkaddr);
	KTEST_ASSERT_OP(t, addr, <, h->l.block_count);
	return addr;
}

/* Node @nid read into h->blk; its address returned. */
static u32 read_node(struct ktest *t, struct qh *h, u32 nid)
{
	u32 addr = disk_node_addr(t, h, nid);

	qh_read(t, h, addr);
	KTEST_ASSERT_EQ(t, le32_to_cpu(((struct qlfs_inode *)h->blk)->footer.nid), nid);
	return addr;
}

static u32 ino_of(struct ktest *t, const char *path)
{
	struct kstat st;

	KTEST_ASSERT_EQ(t, ksys_stat(path, &st), 0);
	return st.ino;
}

/* A file @path of @blocks blocks (block b filled with b + 1), or with
 * only block @blocks - 1 written when @sparse. */
static void make_file(struct ktest *t, const char *path, u64 blocks, bool sparse)
{
	struct qh *h = t->priv;
	int fd = ksys_open(path, O_CREAT | O_RDWR, 0644);

	KTEST_ASSERT_OP(t, fd, >=, 0);
	for (u64 b = sparse ? blocks - 1 : 0; b < blocks; b++) {
		memset(h->blk, (int)(b + 1), QLFS_BLKSIZE);
		KTEST_ASSERT_EQ(t,
				ksys_pwrite64(fd, h->blk, QLFS_BLKSIZE, b * QLFS_BLKSIZE),
				QLFS_BLKSIZE);
	}
	KTEST_ASSERT_EQ(t, ksys_close(fd), 0);
}

/* pread of file block @b of @path: its result (bytes or -errno). */
static long read_block_of(struct ktest *t, const char *path, u64 b)
{
	struct qh *h = t->priv;
	int fd = ksys_open(path, O_RDONLY, 0);
	long n;

	if (fd < 0)
		return fd;
	n = ksys_pread64(fd, h->blk, QLFS_BLKSIZE, b * QLFS_BLKSIZE);
	ksys_close(fd);
	return n;
}

/* ---- the node tree ---- */

/* A node that names itself or an ancestor (a looped tree) is an error,
 * not a hang: the walk locks each node of its path and would wait on its
 * own lock (F2FS's get_dnode_of_data() has the same lock order). Cases:
 * i_nid[0] naming the inode; an indirect node naming itself; an indirect
 * node naming the inode; each read and truncated. */
static void forge_loop(struct ktest *t, int which, bool truncate)
{
	struct qh *h = qh_fresh(t);
	u64 blocks = which ? ADDRS_PER_INODE + 2ULL * ADDRS_PER_BLOCK + 1 :
			     ADDRS_PER_INODE + 2;
	u32 ino, addr;

	make_file(t, MNT "/f", blocks, which != 0);
	ino = ino_of(t, MNT "/f");
	qh_umount(t, h);
	addr = read_node(t, h, ino);
	if (!which) {
		((struct qlfs_inode *)h->blk)->i_nid[0] = cpu_to_le32(ino);
	} else {
		u32 ind = le32_to_cpu(((struct qlfs_inode *)h->blk)->i_nid[2]);

		KTEST_ASSERT_OP(t, ind, !=, 0);
		addr = read_node(t, h, ind);
		KTEST_ASSERT_OP(t, le32_to_cpu(((__le32 *)h->blk)[0]), !=, 0);
		((__le32 *)h->blk)[0] = cpu_to_le32(which == 1 ? ind : ino);
	}
	qh_write_sealed(t, h, addr);
	KTEST_ASSERT_EQ(t, qh_mount(h), 0);
	if (truncate)
		KTEST_EXPECT_OP(t, ksys_truncate(MNT "/f", 0), <, 0);
	else
		KTEST_EXPECT_EQ(t, read_block_of(t, MNT "/f", blocks - 1), -EIO);
	qh_umount(t, h);
}

static void qlfs_hostile_inode_naming_itself_as_its_direct_node(struct ktest *t)
{
	forge_loop(t, 0, false);
	forge_loop(t, 0, true);
}

static void qlfs_hostile_indirect_node_naming_itself(struct ktest *t)
{
	forge_loop(t, 1, false);
	forge_loop(t, 1, true);
}

static void qlfs_hostile_indirect_node_naming_its_inode(struct ktest *t)
{
	forge_loop(t, 2, false);
	forge_loop(t, 2, true);
}

/* NEW_ADDR ("reserved, not written") is an error on disk (docs/
 * qlfs-format.md, Conventions; fsck's QL10): read as a hole it would be
 * zeros without an error, and truncating it would release a reservation
 * never taken (the counts then disagree with the SIT: the next mount is
 * refused). */
static void qlfs_hostile_new_addr_on_disk_is_an_error(struct ktest *t)
{
	struct qh *h = qh_fresh(t);
	u32 ino, addr;
	long n;

	make_file(t, MNT "/g", 2, false);
	ino = ino_of(t, MNT "/g");
	qh_umount(t, h);
	addr = read_node(t, h, ino);
	((struct qlfs_inode *)h->blk)->i_addr[1] = cpu_to_le32(NEW_ADDR);
	qh_write_sealed(t, h, addr);
	KTEST_ASSERT_EQ(t, qh_mount(h), 0);
	n = read_block_of(t, MNT "/g", 1);
	KTEST_EXPECT_OP(t, n, <, 0);
	ksys_truncate(MNT "/g", 0);
	qh_umount(t, h);
	KTEST_EXPECT_EQ(t, qh_mount(h), 0); /* the umount left the counts whole */
	if (h->mounted)
		qh_umount(t, h);
}

/* ---- inodes ---- */

/* Inline data (QL10 allows it in a regular file: fsck finds the image
 * clean) is either read as data or refused with a clear error; its bytes
 * are never taken for block addresses: no error on a clean image, no
 * block written into a tree that truncation then skips. */
static void qlfs_hostile_inline_data_file(struct ktest *t)
{
	static const char text[] = "hello, inline";
	const u32 len = sizeof(text) - 1;
	struct qh *h = qh_fresh(t);
	u32 ino[2], addr;
	long n;
	int fd;

	make_file(t, MNT "/z", 0, false); /* created empty */
	make_file(t, MNT "/i", 0, false);
	ino[0] = ino_of(t, MNT "/z");
	ino[1] = ino_of(t, MNT "/i");
	qh_umount(t, h);
	/* "z": inline, i_size 100, zero bytes; "i": inline text */
	for (int k = 0; k < 2; k++) {
		struct qlfs_inode *ri = (void *)h->blk;

		addr = read_node(t, h, ino[k]);
		KTEST_ASSERT_EQ(t, le64_to_cpu(ri->i_size), 0);
		ri->i_inline = QLFS_INLINE_DATA;
		ri->i_size = cpu_to_le64(k ? len : 100);
		if (k)
			memcpy(ri->i_addr, text, len);
		qh_write_sealed(t, h, addr);
	}
	KTEST_ASSERT_EQ(t, qlfs_test_fsck(&h->d), 0); /* a valid image */
	KTEST_ASSERT_EQ(t, qh_mount(h), 0);

	n = read_block_of(t, MNT "/i", 0);
	if (n >= 0) {
		KTEST_EXPECT_EQ(t, n, len);
		KTEST_EXPECT_EQ(t, memcmp(h->blk, text, len), 0);
	} else {
		KTEST_EXPECT_EQ(t, n, -EOPNOTSUPP);
	}
	/* a valid image leaves the file system writable */
	KTEST_EXPECT_EQ(t, ksys_mkdir(MNT "/still_writable", 0755), 0);

	fd = ksys_open(MNT "/z", O_RDWR, 0);
	if (fd >= 0) {
		memset(h->blk, 0x5a, QLFS_BLKSIZE);
		KTEST_EXPECT_EQ(t, ksys_pwrite64(fd, h->blk, QLFS_BLKSIZE, 0),
				QLFS_BLKSIZE);
		KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
		ksys_close(fd);
		KTEST_EXPECT_EQ(t, ksys_unlink(MNT "/z"), 0);
	} else {
		KTEST_EXPECT_EQ(t, fd, -EOPNOTSUPP);
	}
	qh_umount(t, h);
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&h->d), 0);
}

/* ---- directories ---- */

/* Add an entry @name -> @ino (file type @ft) to the root's dentry block 0
 * on the disk. */
static void forge_root_entry(struct ktest *t, struct qh *h, const char *name, u32 ino,
			     u8 ft)
{
	struct qlfs_dentry_block *db = (void *)h->blk;
	u32 len = strlen(name), slot, addr;

	read_node(t, h, QLFS_ROOT_INO);
	addr = le32_to_cpu(((struct qlfs_inode *)h->blk)->i_addr[0]);
	qh_read(t, h, addr);
	KTEST_ASSERT_TRUE(t, qlfs_block_csum_ok(h->blk, addr));
	for (slot = 2; slot < NR_DENTRY_IN_BLOCK; slot++)
		if (!qlfs_test_bit(db->dentry_bitmap, slot))
			break;
	KTEST_ASSERT_OP(t, slot, <, NR_DENTRY_IN_BLOCK - 1);
	qlfs_dblock_fill(db, slot, (const u8 *)name, len,
			 qlfs_dentry_hash((const u8 *)name, len), ino, ft);
	qh_write_sealed(t, h, addr);
}

/* A directory entry naming its own directory, or a directory that has a
 * parent elsewhere (a directory with two names: QL11), is an error at
 * lookup: the VFS would lock one inode twice through its two dentries
 * (rmdir: the parent and the victim; rename: both parents). */
static void qlfs_hostile_entry_naming_its_own_directory(struct ktest *t)
{
	struct qh *h = qh_fresh(t);
	struct kstat st;

	qh_umount(t, h);
	forge_root_entry(t, h, "self", QLFS_ROOT_INO, QLFS_FT_DIR);
	KTEST_ASSERT_EQ(t, qh_mount(h), 0);
	KTEST_EXPECT_OP(t, ksys_stat(MNT "/self", &st), <, 0);
	KTEST_EXPECT_OP(t, ksys_rmdir(MNT "/self"), <, 0);
	qh_umount(t, h);
}

static void qlfs_hostile_second_name_of_a_directory(struct ktest *t)
{
	struct qh *h = qh_fresh(t);
	struct kstat st;
	u32 ino;

	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/a", 0755), 0);
	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/a/b", 0755), 0);
	make_file(t, MNT "/a/b/f", 1, false);
	ino = ino_of(t, MNT "/a/b");
	qh_umount(t, h);
	forge_root_entry(t, h, "b2", ino, QLFS_FT_DIR); /* /b2 and /a/b */
	KTEST_ASSERT_EQ(t, qh_mount(h), 0);
	KTEST_EXPECT_EQ(t, ksys_stat(MNT "/a/b/f", &st), 0);
	KTEST_EXPECT_OP(t, ksys_stat(MNT "/b2/f", &st), <, 0);
	/* with two dentries for /a/b this would lock it twice */
	KTEST_EXPECT_OP(t, ksys_rename(MNT "/b2/f", MNT "/a/b/g", 0), <, 0);
	qh_umount(t, h);
}

/* An entry naming an inode without links (and not on the orphan list: a
 * deleted inode referenced, ext4's words) is an error at lookup: taken as
 * is, its last reference would free it, blocks and nid, under the name
 * that still names it (reading the file destroyed it). */
static void qlfs_hostile_entry_naming_an_inode_without_links(struct ktest *t)
{
	struct qh *h = qh_fresh(t);
	u32 ino, addr;

	make_file(t, MNT "/f", 3, false);
	ino = ino_of(t, MNT "/f");
	qh_umount(t, h);
	addr = read_node(t, h, ino);
	((struct qlfs_inode *)h->blk)->i_links = 0;
	qh_write_sealed(t, h, addr);
	KTEST_ASSERT_EQ(t, qh_mount(h), 0);
	KTEST_EXPECT_OP(t, read_block_of(t, MNT "/f", 0), <, 0);
	qh_umount(t, h);
	KTEST_EXPECT_EQ(t, disk_node_addr(t, h, ino), addr); /* not freed */
}

/* A directory whose link count is below 2 + its subdirectories: rmdir of
 * each is refused once the count would say none is left, rather than
 * dropping it under 2 (a warning at 0, and the root, its count 0, freed
 * by its eviction at umount: the next mount has no root). */
static void qlfs_hostile_directory_link_count_too_low(struct ktest *t)
{
	struct qh *h = qh_fresh(t);
	u32 addr;

	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/a", 0755), 0);
	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/b", 0755), 0);
	KTEST_ASSERT_EQ(t, ksys_mkdir(MNT "/c", 0755), 0);
	qh_umount(t, h);
	addr = read_node(t, h, QLFS_ROOT_INO);
	KTEST_ASSERT_EQ(t, le32_to_cpu(((struct qlfs_inode *)h->blk)->i_links), 5);
	((struct qlfs_inode *)h->blk)->i_links = cpu_to_le32(2);
	qh_write_sealed(t, h, addr);
	KTEST_ASSERT_EQ(t, qh_mount(h), 0);
	ksys_rmdir(MNT "/a");
	ksys_rmdir(MNT "/b");
	KTEST_EXPECT_OP(t, ksys_rmdir(MNT "/c"), <, 0);
	qh_umount(t, h);
	KTEST_EXPECT_EQ(t, qh_mount(h), 0);
	if (h->mounted)
		qh_umount(t, h);
}

/* The checkpoint's node and inode counts are checked for range at mount,
 * not against the NAT (read a block at a time): counts below the nodes in
 * use are found when a free would take them under 0, and are a corruption
 * (read-only), not a kernel warning. */
static void qlfs_hostile_checkpoint_counts_below_the_nodes_in_use(struct ktest *t)
{
	struct qh *h = qh_fresh(t);
	u64 best = 0;
	int use = -1;

	make_file(t, MNT "/f", 1, false);
	qh_umount(t, h);
	for (int p = 0; p < 2; p++) {
		qh_read(t, h, h->l.cp_blkaddr + p * h->l.bps);
		if (use < 0 ||
		    le64_to_cpu(((struct qlfs_checkpoint *)h->blk)->checkpoint_ver) >
			    best) {
			best = le64_to_cpu(
				((struct qlfs_checkpoint *)h->blk)->checkpoint_ver);
			use = p;
		}
	}
	for (int b = 0; b < 2; b++) { /* header and footer */
		u32 base = h->l.cp_blkaddr + use * h->l.bps, addr;
		struct qlfs_checkpoint *cp = (void *)h->blk;

		qh_read(t, h, base);
		addr = base + (b ? le32_to_cpu(cp->cp_pack_total_block_count) - 1 : 0);
		qh_read(t, h, addr);
		KTEST_ASSERT_TRUE(t, qlfs_block_csum_ok(h->blk, addr));
		cp->valid_node_count = cpu_to_le32(0);
		cp->valid_inode_count = cpu_to_le32(0);
		qh_write_sealed(t, h, addr);
	}
	KTEST_ASSERT_EQ(t, qh_mount(h), 0);
	ksys_unlink(MNT "/f"); /* its eviction frees its nodes */
	qh_umount(t, h);
}

/* A link count at its largest (2^32 - 1: only a forged disk has one) does
 * not go round to 0 on one more link (F2FS's F2FS_LINK_MAX, -EMLINK): at 0
 * a named inode, or the root given a subdirectory, would be freed by its
 * eviction. */
static void qlfs_hostile_link_count_at_its_largest(struct ktest *t)
{
	struct qh *h = qh_fresh(t);
	u32 ino, addr;
	struct kstat st;

	make_file(t, MNT "/f", 1, false);
	ino = ino_of(t, MNT "/f");
	qh_umount(t, h);
	addr = read_node(t, h, ino);
	((struct qlfs_inode *)h->blk)->i_links = cpu_to_le32(0xffffffffu);
	qh_write_sealed(t, h, addr);
	addr = read_node(t, h, QLFS_ROOT_INO);
	((struct qlfs_inode *)h->blk)->i_links = cpu_to_le32(0xffffffffu);
	qh_write_sealed(t, h, addr);
	KTEST_ASSERT_EQ(t, qh_mount(h), 0);
	KTEST_EXPECT_EQ(t, ksys_link(MNT "/f", MNT "/g"), -EMLINK);
	KTEST_EXPECT_EQ(t, ksys_mkdir(MNT "/d", 0755), -EMLINK);
	qh_umount(t, h);
	KTEST_ASSERT_EQ(t, qh_mount(h), 0);
	KTEST_EXPECT_EQ(t, ksys_stat(MNT "/f", &st), 0);
	KTEST_EXPECT_EQ(t, read_block_of(t, MNT "/f", 0), QLFS_BLKSIZE);
	qh_umount(t, h);
}

struct tree_reader {
	const char *path;
	u64 block;
	int rounds, unexpected, last;
	struct completion done;
	struct task_struct *task;
	u8 *buf;
};

static int tree_reader_main(void *arg)
{
	struct tree_reader *r = arg;
	int fd = ksys_open(r->path, O_RDONLY, 0);

	for (int i = 0; fd >= 0 && i < r->rounds; i++) {
		long n = ksys_pread64(fd, r->buf, QLFS_BLKSIZE, r->block * QLFS_BLKSIZE);

		if (n != -EIO) {
			r->unexpected++;
			r->last = n;
		}
		cond_resched();
	}
	if (fd < 0) {
		r->unexpected++;
		r->last = fd;
	} else {
		ksys_close(fd);
	}
	complete(&r->done);
	return 0;
}

/* Two inodes whose trees name each other's inode (i_nid[0]): a walk
 * holds its own inode's folio lock while it takes the child's, so two
 * walks at once would each hold the lock the other waits for. A node the
 * NAT gives to another inode is refused before its lock is taken. */
static void qlfs_hostile_two_trees_naming_each_others_inode(struct ktest *t)
{
	struct qh *h = qh_fresh(t);
	const u64 blocks = ADDRS_PER_INODE + 2;
	struct tree_reader r[2] = {
		{.path = MNT "/a", .block = blocks - 1, .rounds = 1000},
		{.path = MNT "/b", .block = blocks - 1, .rounds = 1000},
	};
	u32 ino[2], addr;

	make_file(t, MNT "/a", blocks, true);
	make_file(t, MNT "/b", blocks, true);
	ino[0] = ino_of(t, MNT "/a");
	ino[1] = ino_of(t, MNT "/b");
	qh_umount(t, h);
	for (int k = 0; k < 2; k++) {
		addr = read_node(t, h, ino[k]);
		((struct qlfs_inode *)h->blk)->i_nid[0] = cpu_to_le32(ino[!k]);
		qh_write_sealed(t, h, addr);
	}
	KTEST_ASSERT_EQ(t, qh_mount(h), 0);
	for (int k = 0; k < 2; k++) {
		r[k].buf = h->buf + k * QLFS_BLKSIZE;
		init_completion(&r[k].done);
		r[k].task = kthread_run(tree_reader_main, &r[k], "qh-tree%d", k);
		KTEST_ASSERT_NOT_ERR_OR_NULL(t, r[k].task);
	}
	for (int k = 0; k < 2; k++) {
		wait_for_completion(&r[k].done);
		KTEST_EXPECT_EQ(t, kthread_stop(r[k].task), 0);
		KTEST_EXPECT_EQ(t, r[k].unexpected, 0);
		if (r[k].unexpected)
			ktest_fail(t, __FILE__, __LINE__, "reader %d: last result %d", k,
				   r[k].last);
	}
	qh_umount(t, h);
}

static const struct ktest_case qlfs_hostile_cases[] = {
	KTEST_CASE(qlfs_hostile_inode_naming_itself_as_its_direct_node),
	KTEST_CASE(qlfs_hostile_indirect_node_naming_itself),
	KTEST_CASE(qlfs_hostile_indirect_node_naming_its_inode),
	KTEST_CASE(qlfs_hostile_two_trees_naming_each_others_inode),
	KTEST_CASE(qlfs_hostile_new_addr_on_disk_is_an_error),
	KTEST_CASE(qlfs_hostile_inline_data_file),
	KTEST_CASE(qlfs_hostile_entry_naming_its_own_directory),
	KTEST_CASE(qlfs_hostile_second_name_of_a_directory),
	KTEST_CASE(qlfs_hostile_entry_naming_an_inode_without_links),
	KTEST_CASE(qlfs_hostile_directory_link_count_too_low),
	KTEST_CASE(qlfs_hostile_checkpoint_counts_below_the_nodes_in_use),
	KTEST_CASE(qlfs_hostile_link_count_at_its_largest),
	KTEST_END,
};

static const struct ktest_suite qlfs_hostile_suite = {
	.name = "qlfs_hostile",
	.init = qh_init,
	.exit = qh_exit,
	.cases = qlfs_hostile_cases,
};
KTEST_SUITE(qlfs_hostile_suite);
