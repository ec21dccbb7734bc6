/*
 * fs/qlfs/qlfs_review5_test.c - KTAP suite `qlfs_review5`: the fifth
 * adversarial review (session 20, REV) of QN4 (fs/qlfs/node.c,
 * nat_block_check()): NAT entries read from the disk are checked as their
 * block is read, and a bad one makes the file system read-only before any
 * checkpoint can write it back.
 *
 * Layer: test (fs/qlfs). Used by: `test qlfs_review5` (on request).
 * Provides: nothing (cases only).
 *
 * Each case makes a file system, unmounts it, forges one NAT entry in the
 * live NAT copy (sealed again, as the qlfs_hostile suite does) and mounts
 * it: the mount refuses, or what reads the entry gets an error, the file
 * system turns read-only, and nothing is written afterwards: the forged
 * NAT block and the newest checkpoint stay as forged.
 *
 * Invariants: every case ends unmounted (as QH1 of qlfs_hostile).
 * Locking: none (cases run one at a time, single-threaded).
 */
#include <quire/ktest.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/slab.h>
#include <quire/syscalls.h>
#include <quire/printk.h>
#include "qlfs_data.h"
#include "qlfs_test.h"
#include "qlfs_mount.h"

#define MNT "/qlfs_review5"

struct r5 {
	struct qlfs_dev d;
	struct qlfs_layout l;
	u8 *blk;
	u8 *nat; /* the forged NAT block, as written */
	bool mounted;
};

static int r5_init(struct ktest *t)
{
	struct r5 *r = kzalloc(sizeof(*r), GFP_KERNEL);
	int err;

	if (!r)
		return -ENOMEM;
	r->blk = qlfs_alloc_blocks(0);
	r->nat = qlfs_alloc_blocks(0);
	if (!r->blk || !r->nat) {
		qlfs_free_blocks(r->blk, 0);
		qlfs_free_blocks(r->nat, 0);
		kfree(r);
		return -ENOMEM;
	}
	t->priv = r;
	err = ksys_mkdir(MNT, 0755);
	return err == -EEXIST ? 0 : err;
}

static void r5_exit(struct ktest *t)
{
	struct r5 *r = t->priv;

	if (r->mounted)
		ksys_umount(MNT, 0);
	ksys_rmdir(MNT);
	qlfs_free_blocks(r->blk, 0);
	qlfs_free_blocks(r->nat, 0);
	kfree(r);
}

static struct r5 *r5_fresh(struct ktest *t)
{
	struct r5 *r = t->priv;

	qlfs_test_need_disk(t, &r->d);
	KTEST_ASSERT_EQ(t,
			qlfs_compute_layout(r->d.nr_blocks,
					    qlfs_mkfs_pick_log_bps(r->d.nr_blocks),
					    &r->l),
			0);
	KTEST_ASSERT_EQ(t, qlfs_test_mount_fresh(&r->d, 0, MNT), 0);
	r->mounted = true;
	return r;
}

static int r5_mount(struct r5 *r)
{
	int err = ksys_mount(r->d.disk->disk_name, MNT, "qlfs", 0, NULL);

	r->mounted = !err;
	return err;
}

static void r5_umount(struct ktest *t, struct r5 *r)
{
	KTEST_ASSERT_EQ(t, ksys_umount(MNT, 0), 0);
	r->mounted = false;
}

/* The newest valid checkpoint's version; its header left in r->blk. */
static u64 r5_cp_ver(struct ktest *t, struct r5 *r, u8 *hdr)
{
	u64 best = 0;
	int use = -1;

	for (int p = 0; p < 2; p++) {
		u32 addr = r->l.cp_blkaddr + p * r->l.bps;
		const struct qlfs_checkpoint *cp = (const void *)r->blk;

		KTEST_ASSERT_EQ(t, qlfs_dev_read(&r->d, addr, r->blk, 1), 0);
		if (qlfs_block_csum_ok(r->blk, addr) &&
		    (use < 0 || le64_to_cpu(cp->checkpoint_ver) > best)) {
			best = le64_to_cpu(cp->checkpoint_ver);
			use = p;
			if (hdr)
				memcpy(hdr, r->blk, QLFS_BLKSIZE);
		}
	}
	KTEST_ASSERT_OP(t, use, >=, 0);
	return best;
}

/* The live copy of the NAT block holding @nid: its address. */
static u32 r5_nat_addr(struct ktest *t, struct r5 *r, u32 nid)
{
	u8 *hdr = qlfs_alloc_blocks(0);
	u32 i = nid / NAT_ENTRY_PER_BLOCK, addr;
	int copy;

	KTEST_ASSERT_NOT_NULL(t, hdr);
	r5_cp_ver(t, r, hdr);
	copy = qlfs_test_bit(((struct qlfs_checkpoint *)hdr)->sit_nat_version_bitmap +
				     qlfs_sit_bitmap_bytes(&r->l),
			     i);
	qlfs_free_blocks(hdr, 0);
	addr = qlfs_nat_blkaddr(&r->l, i, copy);
	return addr;
}

/* Forge the on-disk NAT entry of @nid: @blkaddr, and @ino unless 0. */
static void r5_forge_nat(struct ktest *t, struct r5 *r, u32 nid, u32 blkaddr, u32 ino)
{
	u32 addr = r5_nat_addr(t, r, nid);
	struct qlfs_nat_entry *ne;

	KTEST_ASSERT_EQ(t, qlfs_dev_read(&r->d, addr, r->nat, 1), 0);
	KTEST_ASSERT_TRUE(t, qlfs_block_csum_ok(r->nat, addr));
	ne = &((struct qlfs_nat_block *)r->nat)->entries[nid % NAT_ENTRY_PER_BLOCK];
	ne->block_addr = cpu_to_le32(blkaddr);
	if (ino)
		ne->ino = cpu_to_le32(ino);
	qlfs_block_seal(r->nat, addr);
	KTEST_ASSERT_EQ(t, qlfs_dev_write(&r->d, addr, r->nat, 1), 0);
}

/* Nothing was written after the forgery: the same newest checkpoint, and
 * the NAT block of @nid still the forged one, at the same place. */
static void r5_expect_untouched(struct ktest *t, struct r5 *r, u32 nid, u64 cp_ver,
				u32 nat_addr)
{
	KTEST_EXPECT_EQ(t, r5_cp_ver(t, r, NULL), cp_ver);
	KTEST_EXPECT_EQ(t, r5_nat_addr(t, r, nid), nat_addr);
	KTEST_ASSERT_EQ(t, qlfs_dev_read(&r->d, nat_addr, r->blk, 1), 0);
	KTEST_EXPECT_EQ(t, memcmp(r->blk, r->nat, QLFS_BLKSIZE), 0);
}

static u32 r5_ino(struct ktest *t, const char *path)
{
	struct kstat st;

	KTEST_ASSERT_EQ(t, ksys_stat(path, &st), 0);
	return st.ino;
}

static void r5_file(struct ktest *t, struct r5 *r, const char *path, u8 fill)
{
	int fd = ksys_open(path, O_CREAT | O_RDWR, 0644);

	KTEST_ASSERT_OP(t, fd, >=, 0);
	memset(r->blk, fill, QLFS_BLKSIZE);
	KTEST_EXPECT_EQ(t, ksys_pwrite64(fd, r->blk, QLFS_BLKSIZE, 0), QLFS_BLKSIZE);
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
}

static long r5_read(struct ktest *t, struct r5 *r, const char *path)
{
	int fd = ksys_open(path, O_RDONLY, 0);
	long n;

	if (fd < 0)
		return fd;
	n = ksys_pread64(fd, r->blk, QLFS_BLKSIZE, 0);
	ksys_close(fd);
	return n;
}

/*
 * One forgery of the NAT entry of file "f" (@how: 0 a metadata block, the
 * first checkpoint pack's; 1 the inode block of file "g"; 2 its own block
 * but another inode number; 3 past the end of the disk). The mount may
 * refuse; mounted, "f" is an error and the file system read-only (no
 * new file), "g" still reads; after the unmount nothing was written.
 */
static void r5_forge_file_entry(struct ktest *t, int how)
{
	struct r5 *r = r5_fresh(t);
	u32 f, g, gaddr, faddr, forged = 0, nat_addr;
	u64 cp_ver;
	long n;
	int err;

	r5_file(t, r, MNT "/f", 'f');
	r5_file(t, r, MNT "/g", 'g');
	f = r5_ino(t, MNT "/f");
	g = r5_ino(t, MNT "/g");
	r5_umount(t, r);
	cp_ver = r5_cp_ver(t, r, NULL);
	KTEST_ASSERT_EQ(t, qlfs_dev_read(&r->d, r5_nat_addr(t, r, g), r->nat, 1), 0);
	gaddr = le32_to_cpu(((struct qlfs_nat_block *)r->nat)
				    ->entries[g % NAT_ENTRY_PER_BLOCK]
				    .block_addr);
	faddr = le32_to_cpu(((struct qlfs_nat_block *)r->nat)
				    ->entries[f % NAT_ENTRY_PER_BLOCK]
				    .block_addr);
	switch (how) {
	case 0:
		forged = r->l.cp_blkaddr;
		break;
	case 1:
		forged = gaddr;
		break;
	case 2:
		forged = faddr;
		break;
	default:
		forged = r->l.block_count + 7;
		break;
	}
	r5_forge_nat(t, r, f, forged, how == 2 ? g : 0);
	nat_addr = r5_nat_addr(t, r, f);

	err = r5_mount(r);
	pr_info("    # forgery %d (node %u at %u): mount %d\n", how, f, forged, err);
	if (!err) {
		n = r5_read(t, r, MNT "/f");
		KTEST_EXPECT_OP(t, n, <, 0);
		KTEST_EXPECT_EQ(t, r5_read(t, r, MNT "/g"), QLFS_BLKSIZE);
		KTEST_EXPECT_EQ(t, r->blk[0], 'g');
		err = ksys_open(MNT "/new", O_CREAT | O_RDWR, 0644);
		KTEST_EXPECT_OP(t, err, <, 0); /* read-only now */
		if (err >= 0)
			ksys_close(err);
		r5_umount(t, r);
	}
	r5_expect_untouched(t, r, f, cp_ver, nat_addr);
}

static void qlfs_rv5_nat_entry_at_a_metadata_block(struct ktest *t)
{
	r5_forge_file_entry(t, 0);
}

static void qlfs_rv5_nat_entry_at_another_inode_block(struct ktest *t)
{
	r5_forge_file_entry(t, 1);
}

static void qlfs_rv5_nat_entry_with_another_inode_number(struct ktest *t)
{
	r5_forge_file_entry(t, 2);
}

static void qlfs_rv5_nat_entry_past_the_disk(struct ktest *t)
{
	r5_forge_file_entry(t, 3);
}

/*
 * A free nid in a NAT block the mount does not read (the second) holding
 * NEW_ADDR or a metadata block: the files made until the allocator
 * reaches that block are fine; then the block is read, the file system
 * turns read-only, and no checkpoint (the unmount's either) writes the
 * block back with the forged entry in it.
 */
static void r5_forge_free_nid(struct ktest *t, u32 forged_addr)
{
	struct r5 *r = r5_fresh(t);
	u32 nid = NAT_ENTRY_PER_BLOCK + 20, nat_addr;
	char name[32];
	u64 cp_ver;
	u32 made = 0;

	if (r->l.max_nid <= nid + 1) {
		r5_umount(t, r);
		ktest_skip(t, "one NAT block only");
	}
	r5_umount(t, r);
	cp_ver = r5_cp_ver(t, r, NULL);
	r5_forge_nat(t, r, nid, forged_addr == NEW_ADDR ? NEW_ADDR : r->l.cp_blkaddr, 0);
	nat_addr = r5_nat_addr(t, r, nid);
	KTEST_ASSERT_EQ(t, r5_mount(r), 0);
	for (u32 i = 0; i < 2 * NAT_ENTRY_PER_BLOCK; i++) {
		int fd;

		scnprintf(name, sizeof(name), MNT "/n%u", i);
		fd = ksys_open(name, O_CREAT | O_RDWR, 0644);
		if (fd < 0)
			break;
		ksys_close(fd);
		made++;
	}
	pr_info("    # %u files made before the error\n", made);
	KTEST_EXPECT_OP(t, made, <, 2 * NAT_ENTRY_PER_BLOCK);
	ksys_sync();
	r5_umount(t, r);
	KTEST_EXPECT_EQ(t, r5_nat_addr(t, r, nid), nat_addr);
	KTEST_ASSERT_EQ(t, qlfs_dev_read(&r->d, nat_addr, r->blk, 1), 0);
	KTEST_EXPECT_EQ(t, memcmp(r->blk, r->nat, QLFS_BLKSIZE), 0);
	KTEST_EXPECT_OP(t, r5_cp_ver(t, r, NULL), >=, cp_ver);
}

static void qlfs_rv5_free_nid_new_addr_in_a_later_nat_block(struct ktest *t)
{
	r5_forge_free_nid(t, NEW_ADDR);
}

static void qlfs_rv5_free_nid_at_metadata_in_a_later_nat_block(struct ktest *t)
{
	r5_forge_free_nid(t, 0);
}

/* A sum of the whole disk (FNV-1a over every block). */
static u64 r5_disk_sum(struct ktest *t, struct r5 *r)
{
	u64 h = 0xcbf29ce484222325ULL;

	for (u32 b = 0; b < r->l.block_count; b++) {
		KTEST_ASSERT_EQ(t, qlfs_dev_read(&r->d, b, r->blk, 1), 0);
		for (u32 i = 0; i < QLFS_BLKSIZE; i++)
			h = (h ^ r->blk[i]) * 0x100000001b3ULL;
	}
	return h;
}

/*
 * A read-only mount writes nothing, though the image asks for work: an
 * orphan in the checkpoint (a file unlinked while open) and an fsync's
 * node chain after it (the umount wrote no checkpoint: the file system
 * was turned read-only first, as after a crash). The disk is the same
 * byte for byte after the read-only mount and its unmount; a read-write
 * mount then does the work (roll-forward, orphan freed) and fsck finds
 * the result clean.
 */
static void qlfs_rv5_read_only_mount_writes_nothing(struct ktest *t)
{
	struct r5 *r = r5_fresh(t);
	struct qlfs_sb_info *sbi = qlfs_test_sbi(t, MNT, NULL);
	int orphan, fd;
	u64 before;

	orphan = ksys_open(MNT "/o", O_CREAT | O_RDWR, 0644);
	KTEST_ASSERT_OP(t, orphan, >=, 0);
	KTEST_ASSERT_EQ(t, ksys_unlink(MNT "/o"), 0);
	r5_file(t, r, MNT "/f", 'f');
	ksys_sync(); /* the checkpoint lists the orphan, has "f" */
	fd = ksys_open(MNT "/f", O_RDWR, 0);
	KTEST_ASSERT_OP(t, fd, >=, 0);
	memset(r->blk, 'F', QLFS_BLKSIZE);
	KTEST_EXPECT_EQ(t, ksys_pwrite64(fd, r->blk, QLFS_BLKSIZE, 0), QLFS_BLKSIZE);
	KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0); /* rolled forward, no checkpoint */
	ksys_close(fd);
	qlfs_handle_error(sbi, "test: the crash");
	ksys_close(orphan);
	r5_umount(t, r);

	before = r5_disk_sum(t, r);
	KTEST_ASSERT_EQ(t, ksys_mount(r->d.disk->disk_name, MNT, "qlfs", MS_RDONLY, NULL),
			0);
	r->mounted = true;
	KTEST_EXPECT_EQ(t, r5_read(t, r, MNT "/f"), QLFS_BLKSIZE);
	pr_info("    # read-only: \"f\" reads '%c' (the fsynced 'F' needs roll-forward)\n",
		r->blk[0]);
	ksys_sync();
	r5_umount(t, r);
	KTEST_EXPECT_EQ(t, r5_disk_sum(t, r), before);

	KTEST_ASSERT_EQ(t, r5_mount(r), 0);
	KTEST_EXPECT_EQ(t, r5_read(t, r, MNT "/f"), QLFS_BLKSIZE);
	KTEST_EXPECT_EQ(t, r->blk[0], 'F');
	r5_umount(t, r);
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&r->d), 0);
}

static const struct ktest_case qlfs_review5_cases[] = {
	KTEST_CASE(qlfs_rv5_nat_entry_at_a_metadata_block),
	KTEST_CASE(qlfs_rv5_nat_entry_at_another_inode_block),
	KTEST_CASE(qlfs_rv5_nat_entry_with_another_inode_number),
	KTEST_CASE(qlfs_rv5_nat_entry_past_the_disk),
	KTEST_CASE(qlfs_rv5_free_nid_new_addr_in_a_later_nat_block),
	KTEST_CASE(qlfs_rv5_free_nid_at_metadata_in_a_later_nat_block),
	KTEST_CASE(qlfs_rv5_read_only_mount_writes_nothing),
	KTEST_END,
};

static const struct ktest_suite qlfs_review5_suite = {
	.name = "qlfs_review5",
	.init = r5_init,
	.exit = r5_exit,
	.cases = qlfs_review5_cases,
	.on_request = true,
};
KTEST_SUITE(qlfs_review5_suite);
