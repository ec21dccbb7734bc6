/*
 * fs/qlfs/qlfs_format_test.c - KTAP suite `qlfs_format`: the layout
 * arithmetic, mkfs then fsck on a test disk, and for each invariant
 * QL1..QL14 of docs/qlfs-format.md an image damaged so that it breaks,
 * which fsck must report under that number (with hostile values: huge
 * segment counts, addresses out of range, bad checksums, both or one
 * superblock bad).
 *
 * The damage is done through the block layer like fsck's reads: read a
 * block, change a field, re-seal its checksum (so the checksum invariant
 * QL9 does not hide the one under test), write it back. Each case starts
 * from a fresh mkfs and first checks that fsck finds that image clean.
 * Needs a writable test disk of 32 MiB or more (serial quire-test*): the
 * host jobs attach tmp:32M, the kernel jobs a 64M disk.
 */
#include <quire/ktest.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/slab.h>
#include <quire/printk.h>
#include "qlfs.h"

#define TEST_TIME 1000000000ULL /* mkfs -T: 2001-09-09 */

struct qt {
	struct qlfs_dev d;
	struct qlfs_layout l;
	struct qlfs_fsck_result r;
	u8 *blk;
};

static int pick_disk(struct gendisk *disk, void *arg)
{
	struct gendisk **found = arg;

	if (!disk_is_test_disk(disk) || bdev_read_only(&disk->part0) ||
	    disk_is_dead(disk) || get_capacity(disk) < (32u << 20) / SECTOR_SIZE)
		return 0;
	*found = disk;
	return 1;
}

static int qt_init(struct ktest *t)
{
	struct qt *q = kzalloc(sizeof(*q), GFP_KERNEL);

	if (!q)
		return -ENOMEM;
	q->blk = qlfs_alloc_blocks(0);
	if (!q->blk) {
		kfree(q);
		return -ENOMEM;
	}
	t->priv = q;
	return 0;
}

static void qt_exit(struct ktest *t)
{
	struct qt *q = t->priv;

	qlfs_dev_close(&q->d);
	qlfs_free_blocks(q->blk, 0);
	kfree(q);
}

static struct qt *qt_disk(struct ktest *t)
{
	struct qt *q = t->priv;
	struct gendisk *disk = NULL;

	disk_iterate(pick_disk, &disk);
	if (!disk)
		ktest_skip(
			t,
			"no writable test disk of 32 MiB or more (serial quire-test*)");
	KTEST_ASSERT_EQ(t, qlfs_dev_open(&q->d, disk->disk_name, true), 0);
	return q;
}

static int qt_fsck(struct qt *q)
{
	struct qlfs_fsck_opts o = {.quiet = true};

	return qlfs_fsck(&q->d, &o, &q->r);
}

/* A fresh file system with 2^@log_bps-block segments (0: the size mkfs
 * picks), found clean. */
static struct qt *qt_mkfs(struct ktest *t, u32 log_bps)
{
	struct qlfs_mkfs_opts o = {.force = true, .time = TEST_TIME, .quiet = true};
	struct qt *q = qt_disk(t);

	if (!log_bps)
		log_bps = qlfs_mkfs_pick_log_bps(q->d.nr_blocks);
	o.log_bps = log_bps;
	KTEST_ASSERT_EQ(t, qlfs_compute_layout(q->d.nr_blocks, log_bps, &q->l), 0);
	KTEST_ASSERT_EQ(t, qlfs_mkfs(&q->d, &o), 0);
	KTEST_ASSERT_EQ(t, qt_fsck(q), 0);
	KTEST_ASSERT_EQ(t, q->r.problems, 0);
	return q;
}

static void qt_read(struct ktest *t, struct qt *q, u32 addr)
{
	KTEST_ASSERT_EQ(t, qlfs_dev_read(&q->d, addr, q->blk, 1), 0);
}

/* Write q->blk back to @addr, re-sealed unless @keep_csum (damage it). */
static void qt_write(struct ktest *t, struct qt *q, u32 addr, bool keep_csum)
{
	if (!keep_csum)
		qlfs_block_seal(q->blk, addr);
	KTEST_ASSERT_EQ(t, qlfs_dev_write(&q->d, addr, q->blk, 1), 0);
}

static void qt_flip(struct ktest *t, struct qt *q, u32 addr, u32 byte)
{
	qt_read(t, q, addr);
	q->blk[byte] ^= 0x40;
	qt_write(t, q, addr, true);
}

/* fsck exits @status and reports invariant @ql. */
static void expect_broken(struct ktest *t, struct qt *q, int status, unsigned int ql)
{
	KTEST_EXPECT_EQ(t, qt_fsck(q), status);
	if (!(q->r.broken & (1u << ql)))
		ktest_fail(t, __FILE__, __LINE__, "QL%u not reported (broken mask %#x)",
			   ql, q->r.broken);
}

/* Addresses of the fresh image (mkfs.c: data logs at 0..2, node at 3..5). */
static u32 root_inode_addr(struct qt *q)
{
	return qlfs_seg_blkaddr(&q->l, CURSEG_HOT_NODE);
}

static u32 root_dent_addr(struct qt *q)
{
	return qlfs_seg_blkaddr(&q->l, CURSEG_HOT_DATA);
}

static u32 pack_addr(struct qt *q, int pack)
{
	return q->l.cp_blkaddr + pack * q->l.bps;
}

/* Change the checkpoint of pack @pack (header and footer) by @fn. */
static void qt_edit_cp(struct ktest *t, struct qt *q, int pack,
		       void (*fn)(struct qlfs_checkpoint *cp))
{
	u32 base = pack_addr(q, pack);

	for (u32 b = 0; b < 8; b += 7) {
		qt_read(t, q, base + b);
		fn((struct qlfs_checkpoint *)q->blk);
		qt_write(t, q, base + b, false);
	}
}

/* ---- layout ---- */

static void qlfs_layout_arithmetic_for_several_sizes(struct ktest *t)
{
	static const struct {
		u64 bytes;
		u32 log_bps;
		u32 total, sit, nat, ssa, main, sit_blocks, nat_blocks, max_nid,
			main_addr;
	} c[] = {
		{32ULL << 20, 9, 16, 1, 1, 1, 8, 1, 10, 4540, 4096}, /* smallest */
		{1ULL << 20, 4, 16, 1, 1, 1, 8, 1, 1, 454, 128},     /* smallest, 64K */
		{64ULL << 20, 4, 1024, 2, 3, 64, 947, 18, 34, 15436, 1232},
		{4ULL << 30, 9, 2048, 1, 5, 4, 2029, 37, 2289, 1039206, 9728},
		{5ULL << 30, 9, 2560, 1, 6, 5, 2538, 47, 2863, 1299802, 11264},
		{1ULL << 40, 9, 524288, 19, 44, 1024, 523135, 9512, 22200, 10078800,
		 590336},
		{2ULL << 40, 9, 524288, 19, 44, 1024, 523135, 9512, 22200, 10078800,
		 590336},
	};
	struct qlfs_layout l;

	for (unsigned int i = 0; i < ARRAY_SIZE(c); i++) {
		KTEST_ASSERT_EQ(
			t,
			qlfs_compute_layout(c[i].bytes / QLFS_BLKSIZE, c[i].log_bps, &l),
			0);
		KTEST_EXPECT_EQ(t, l.segment_count, c[i].total);
		KTEST_EXPECT_EQ(t, l.segs_sit, c[i].sit);
		KTEST_EXPECT_EQ(t, l.segs_nat, c[i].nat);
		KTEST_EXPECT_EQ(t, l.segs_ssa, c[i].ssa);
		KTEST_EXPECT_EQ(t, l.segs_main, c[i].main);
		KTEST_EXPECT_EQ(t, l.sit_blocks, c[i].sit_blocks);
		KTEST_EXPECT_EQ(t, l.nat_blocks, c[i].nat_blocks);
		KTEST_EXPECT_EQ(t, l.max_nid, c[i].max_nid);
		KTEST_EXPECT_EQ(t, l.main_blkaddr, c[i].main_addr);
		/* the areas tile the file system exactly */
		KTEST_EXPECT_EQ(t, l.main_blkaddr + (u64)l.segs_main * l.bps,
				l.block_count);
		KTEST_EXPECT_LE(t, l.sit_blocks, l.segs_sit * l.bps);
		KTEST_EXPECT_LE(t, l.nat_blocks, l.segs_nat * l.bps);
		KTEST_EXPECT_LE(t, l.segs_main, l.segs_ssa * l.bps);
		KTEST_EXPECT_LE(t, qlfs_sit_bitmap_bytes(&l) + qlfs_nat_bitmap_bytes(&l),
				QLFS_CP_BITMAP_BYTES);
	}
}

static void qlfs_layout_refuses_bad_sizes(struct ktest *t)
{
	struct qlfs_layout l;

	KTEST_EXPECT_EQ(t, qlfs_compute_layout((31ULL << 20) / QLFS_BLKSIZE, 9, &l),
			-ENOSPC);
	KTEST_EXPECT_EQ(t, qlfs_compute_layout(0, 9, &l), -ENOSPC);
	KTEST_EXPECT_EQ(t, qlfs_compute_layout(255, 4, &l), -ENOSPC);
	KTEST_EXPECT_EQ(t, qlfs_compute_layout((1ULL << 40) / QLFS_BLKSIZE, 4, &l),
			-EINVAL);
	KTEST_EXPECT_EQ(t, qlfs_compute_layout(1ULL << 20, 3, &l), -EINVAL);
	KTEST_EXPECT_EQ(t, qlfs_compute_layout(1ULL << 20, 10, &l), -EINVAL);
	KTEST_EXPECT_EQ(t, qlfs_compute_layout(1ULL << 20, 0xffffffffu, &l), -EINVAL);
	/* a hostile size clamps to 1 TiB instead of overflowing */
	KTEST_EXPECT_EQ(t, qlfs_compute_layout(~0ULL, 9, &l), 0);
	KTEST_EXPECT_EQ(t, l.block_count, QLFS_MAX_BLOCKS);
}

/* docs/qlfs-format.md "4 GiB files": the tree reaches 2^20 blocks through
 * the indirect nodes, and node offsets are F2FS's. */
static void qlfs_4gib_file_is_addressable(struct ktest *t)
{
	u64 direct = ADDRS_PER_INODE + 2ULL * ADDRS_PER_BLOCK;
	u64 indirect = 2ULL * NIDS_PER_BLOCK * ADDRS_PER_BLOCK;
	u64 dind = (u64)NIDS_PER_BLOCK * NIDS_PER_BLOCK * ADDRS_PER_BLOCK;

	KTEST_EXPECT_EQ(t, direct, 2953);
	KTEST_EXPECT_EQ(t, direct + indirect, 2067465);
	KTEST_EXPECT_GE(t, (direct + indirect) * QLFS_BLKSIZE, 4ULL << 30);
	KTEST_EXPECT_EQ(t, direct + indirect + dind, 1050839561ULL);
	KTEST_EXPECT_EQ(t, NODE_OFS_IND2, 1020);
	KTEST_EXPECT_EQ(t, NODE_OFS_DIND, 2037);
}

/* ---- mkfs, then fsck ---- */

static void qlfs_mkfs_then_fsck_is_clean_for_each_segment_size(struct ktest *t)
{
	static const u32 logs[] = {4, 7, 0}; /* 64 KiB, 512 KiB, mkfs picks */

	for (unsigned int i = 0; i < ARRAY_SIZE(logs); i++) {
		struct qt *q = qt_mkfs(t, logs[i]);

		KTEST_EXPECT_EQ(t, q->r.inodes, 1);
		KTEST_EXPECT_EQ(t, q->r.nodes, 1);
		KTEST_EXPECT_EQ(t, q->r.valid_blocks, 2);
		KTEST_EXPECT_EQ(t, q->r.cp_used, 0);
		KTEST_EXPECT_EQ(t, q->r.cp_ver, 1);
		KTEST_EXPECT_EQ(t, q->r.sb_used, 0);
	}
}

static void qlfs_mkfs_refuses_an_existing_fs_without_force(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);
	struct qlfs_mkfs_opts o = {.log_bps = 0, .time = TEST_TIME, .quiet = true};

	KTEST_EXPECT_NOT_NULL(t, qlfs_probe_signature(&q->d));
	KTEST_EXPECT_EQ(t, qlfs_mkfs(&q->d, &o), -EEXIST);
	o.force = true;
	KTEST_EXPECT_EQ(t, qlfs_mkfs(&q->d, &o), 0);
	/* a zeroed start is no file system */
	memset(q->blk, 0, QLFS_BLKSIZE);
	for (u32 b = 0; b < 17; b++)
		KTEST_ASSERT_EQ(t, qlfs_dev_write(&q->d, b, q->blk, 1), 0);
	KTEST_EXPECT_NULL(t, qlfs_probe_signature(&q->d));
}

/* The segment size: mkfs picks one that leaves the six logs room to
 * clean; one given (-s) that leaves too few main segments is refused, and
 * so is a device under the smallest workable size. */
static void qlfs_mkfs_picks_or_refuses_the_segment_size(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);
	struct qlfs_mkfs_opts o = {.force = true, .time = TEST_TIME, .quiet = true};
	u64 all = q->d.nr_blocks, min = qlfs_mkfs_min_blocks(QLFS_MIN_LOG_BLOCKS_PER_SEG);
	struct qlfs_layout l;

	/* 32 MiB: 2 MiB segments would leave 8 main ones */
	KTEST_ASSERT_EQ(t, qlfs_compute_layout(8192, 9, &l), 0);
	KTEST_EXPECT_EQ(t, l.segs_main, 8);
	o.log_bps = 9;
	q->d.nr_blocks = 8192;
	KTEST_EXPECT_EQ(t, qlfs_mkfs(&q->d, &o), -ENOSPC);
	q->d.nr_blocks = all;
	/* what it picks leaves QLFS_AUTO_MAIN_SEGS and is the largest that does */
	o.log_bps = qlfs_mkfs_pick_log_bps(all);
	KTEST_ASSERT_OP(t, o.log_bps, >=, QLFS_MIN_LOG_BLOCKS_PER_SEG);
	KTEST_ASSERT_EQ(t, qlfs_compute_layout(all, o.log_bps, &l), 0);
	KTEST_EXPECT_GE(t, l.segs_main, QLFS_AUTO_MAIN_SEGS);
	if (o.log_bps < QLFS_MAX_LOG_BLOCKS_PER_SEG) {
		KTEST_ASSERT_EQ(t, qlfs_compute_layout(all, o.log_bps + 1, &l), 0);
		KTEST_EXPECT_LT(t, l.segs_main, QLFS_AUTO_MAIN_SEGS);
	}
	/* a 1 TiB device keeps F2FS's 2 MiB segments */
	KTEST_EXPECT_EQ(t, qlfs_mkfs_pick_log_bps(QLFS_MAX_BLOCKS), 9);
	/* the smallest: exactly the workable minimum of main segments */
	KTEST_ASSERT_EQ(t, qlfs_compute_layout(min, QLFS_MIN_LOG_BLOCKS_PER_SEG, &l), 0);
	KTEST_EXPECT_EQ(t, l.segs_main, QLFS_MIN_WORKING_MAIN_SEGS);
	KTEST_EXPECT_EQ(t, qlfs_mkfs_pick_log_bps(min), QLFS_MIN_LOG_BLOCKS_PER_SEG);
	KTEST_EXPECT_EQ(t, qlfs_mkfs_pick_log_bps(min - 1), 0);
	o.log_bps = 0;
	q->d.nr_blocks = min - 1;
	KTEST_EXPECT_EQ(t, qlfs_mkfs(&q->d, &o), -ENOSPC);
	q->d.nr_blocks = min;
	KTEST_EXPECT_EQ(t, qlfs_mkfs(&q->d, &o), 0);
	KTEST_EXPECT_EQ(t, qt_fsck(q), 0);
	/* every workable file system leaves the cleaner its overprovision */
	KTEST_EXPECT_GE(t, qlfs_default_ovp(QLFS_MIN_WORKING_MAIN_SEGS),
			QLFS_MIN_OVP_SEGS);
	KTEST_EXPECT_GE(t, qlfs_default_ovp(QLFS_AUTO_MAIN_SEGS), QLFS_MIN_OVP_SEGS);
	q->d.nr_blocks = all;
}

/* ---- QL1, QL2: superblocks ---- */

static int qt_fsck_y(struct qt *q);
static void expect_repaired(struct ktest *t, struct qt *q, unsigned int ql);

static void sb_edit(struct ktest *t, struct qt *q, u32 copy,
		    void (*fn)(struct qlfs_super_block *sb))
{
	qt_read(t, q, copy);
	fn((struct qlfs_super_block *)q->blk);
	qt_write(t, q, copy, false);
}

static void sb_more_main(struct qlfs_super_block *sb)
{
	sb->segment_count_main = cpu_to_le32(le32_to_cpu(sb->segment_count_main) + 1);
}

static void sb_huge_segment_count(struct qlfs_super_block *sb)
{
	sb->segment_count = cpu_to_le32(0xffffffffu);
	sb->block_count = cpu_to_le64(~0ULL);
}

static void sb_bad_log_bps(struct qlfs_super_block *sb)
{
	sb->log_blocks_per_seg = cpu_to_le32(31);
}

static void sb_main_past_device(struct qlfs_super_block *sb)
{
	sb->main_blkaddr = cpu_to_le32(0xfffffff0u);
}

/* QL1: geometry that is not the layout's, in both copies (sealed): -n
 * reports it and checks on with the layout under which a checkpoint pack
 * is found; -y writes both copies again, as mkfs made them (they were
 * refused, 8, before fsck looked for the layout). */
static void qlfs_ql1_bad_geometry_in_both_copies_is_rebuilt(struct ktest *t)
{
	static void (*const edits[])(struct qlfs_super_block *) = {
		sb_more_main,
		sb_huge_segment_count,
		sb_bad_log_bps,
		sb_main_past_device,
	};
	u8 *orig = qlfs_alloc_blocks(0);

	KTEST_ASSERT_NOT_NULL(t, orig);
	for (unsigned int i = 0; i < ARRAY_SIZE(edits); i++) {
		struct qt *q = qt_mkfs(t, 0);

		qt_read(t, q, 0);
		memcpy(orig, q->blk, QLFS_BLKSIZE);
		sb_edit(t, q, 0, edits[i]);
		sb_edit(t, q, 1, edits[i]);
		expect_broken(t, q, 4, 1);
		KTEST_EXPECT_FALSE(t, q->r.operational);
		KTEST_EXPECT_EQ(t, q->r.inodes, 1); /* the rest was checked */
		KTEST_EXPECT_NULL(t, q->r.uncorrectable);
		expect_repaired(t, q, 1);
		for (u32 c = 0; c < 2; c++) {
			qt_read(t, q, c);
			KTEST_EXPECT_EQ(t, memcmp(q->blk, orig, QLFS_CSUM_OFFSET), 0);
		}
	}
	qlfs_free_blocks(orig, 0);
}

/* QL2: one bad copy is reported and the other used; both bad: the layout
 * a checkpoint pack confirms; both bad and no pack anywhere: refused (8),
 * and -y says why it cannot repair. */
static void qlfs_ql2_one_bad_superblock_uses_the_other(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);

	qt_flip(t, q, 0, 100);
	expect_broken(t, q, 4, 2);
	KTEST_EXPECT_EQ(t, q->r.sb_used, 1);
	KTEST_EXPECT_EQ(t, q->r.inodes, 1); /* the rest was checked */

	q = qt_mkfs(t, 0);
	sb_edit(t, q, 1, sb_more_main); /* checksum fine, geometry not */
	expect_broken(t, q, 4, 2);
	KTEST_EXPECT_EQ(t, q->r.sb_used, 0);

	qt_flip(t, q, 0, 100);
	expect_broken(t, q, 4, 9); /* both bad: copy 1's checksum holds */
	KTEST_EXPECT_EQ(t, q->r.sb_used, 1);
	KTEST_EXPECT_FALSE(t, q->r.operational);
	expect_repaired(t, q, 9);

	qt_flip(t, q, 0, 100);
	qt_flip(t, q, 1, 100);
	for (int p = 0; p < 2; p++) {
		qt_read(t, q, pack_addr(q, p));
		memset(q->blk, 0, QLFS_BLKSIZE);
		qt_write(t, q, pack_addr(q, p), true);
	}
	expect_broken(t, q, 8, 9);
	KTEST_EXPECT_TRUE(t, q->r.operational);
	KTEST_EXPECT_EQ(t, qt_fsck_y(q), 8);
	KTEST_EXPECT_NOT_NULL(t, q->r.uncorrectable);
	KTEST_EXPECT_EQ(t, q->r.repaired, 0);
}

/* ---- QL3: checkpoint packs ---- */

static void cp_bad_pack_size(struct qlfs_checkpoint *cp)
{
	cp->cp_pack_total_block_count = cpu_to_le32(0x7fffffff);
}

static void cp_bad_curseg(struct qlfs_checkpoint *cp)
{
	cp->cur_data_segno[1] = cpu_to_le32(0xffffff00u);
}

static void cp_newer(struct qlfs_checkpoint *cp)
{
	cp->checkpoint_ver = cpu_to_le64(7);
}

static void qlfs_ql3_no_valid_checkpoint_pack(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);

	/* pack 0's footer torn: pack 1 (version 0) is used, no problem */
	qt_flip(t, q, pack_addr(q, 0) + 7, 9);
	KTEST_EXPECT_EQ(t, qt_fsck(q), 0);
	KTEST_EXPECT_EQ(t, q->r.cp_used, 1);
	KTEST_EXPECT_EQ(t, q->r.cp_ver, 0);
	/* then pack 1's header too: none is left */
	qt_flip(t, q, pack_addr(q, 1), 9);
	expect_broken(t, q, 4, 3);

	q = qt_mkfs(t, 0);
	qt_edit_cp(t, q, 0, cp_bad_pack_size);
	qt_edit_cp(t, q, 1, cp_bad_curseg);
	expect_broken(t, q, 4, 3);
}

/* Header and footer with different versions: that pack is not valid; the
 * higher valid version wins. */
static void qlfs_ql3_versions_pick_the_pack(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);

	qt_read(t, q, pack_addr(q, 1));
	cp_newer((struct qlfs_checkpoint *)q->blk);
	qt_write(t, q, pack_addr(q, 1), false); /* header 7, footer 0 */
	KTEST_EXPECT_EQ(t, qt_fsck(q), 0);
	KTEST_EXPECT_EQ(t, q->r.cp_used, 0);
	qt_edit_cp(t, q, 1, cp_newer); /* now whole: version 7 wins */
	KTEST_EXPECT_EQ(t, qt_fsck(q), 0);
	KTEST_EXPECT_EQ(t, q->r.cp_used, 1);
	KTEST_EXPECT_EQ(t, q->r.cp_ver, 7);
}

/* ---- QL4: NAT ---- */

static struct qlfs_nat_entry *nat_entry(struct ktest *t, struct qt *q, u32 nid, u32 *addr)
{
	*addr = qlfs_nat_blkaddr(&q->l, nid / NAT_ENTRY_PER_BLOCK, 0);
	qt_read(t, q, *addr);
	return &((struct qlfs_nat_block *)q->blk)->entries[nid % NAT_ENTRY_PER_BLOCK];
}

static void qlfs_ql4_nat_entries(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);
	struct qlfs_nat_entry *ne;
	u32 addr;

	ne = nat_entry(t, q, QLFS_ROOT_INO, &addr);
	ne->ino = cpu_to_le32(5); /* the root node claims inode 5 */
	qt_write(t, q, addr, false);
	expect_broken(t, q, 4, 4);

	q = qt_mkfs(t, 0);
	ne = nat_entry(t, q, QLFS_NODE_INO, &addr);
	ne->ino = cpu_to_le32(QLFS_NODE_INO); /* a reserved nid in use */
	ne->block_addr = cpu_to_le32(root_inode_addr(q));
	qt_write(t, q, addr, false);
	expect_broken(t, q, 4, 4);

	q = qt_mkfs(t, 0);
	ne = nat_entry(t, q, QLFS_ROOT_INO, &addr);
	ne->block_addr = cpu_to_le32(0xfffffff0u); /* out of range */
	qt_write(t, q, addr, false);
	expect_broken(t, q, 4, 4);

	q = qt_mkfs(t, 0);
	ne = nat_entry(t, q, QLFS_ROOT_INO, &addr);
	ne->block_addr = cpu_to_le32(q->l.sit_blkaddr); /* at metadata */
	qt_write(t, q, addr, false);
	expect_broken(t, q, 4, 4);
}

/* ---- QL5, QL6, QL14: SIT ---- */

static struct qlfs_sit_entry *sit_entry(struct ktest *t, struct qt *q, u32 segno,
					u32 *addr)
{
	*addr = qlfs_sit_blkaddr(&q->l, segno / SIT_ENTRY_PER_BLOCK, 0);
	qt_read(t, q, *addr);
	return &((struct qlfs_sit_block *)q->blk)->entries[segno % SIT_ENTRY_PER_BLOCK];
}

static void qlfs_ql5_sit_counts_and_bits(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);
	struct qlfs_sit_entry *se;
	u32 addr;

	se = sit_entry(t, q, 7, &addr);
	se->vblocks = cpu_to_le16(3 | CURSEG_WARM_DATA << SIT_VBLOCKS_SHIFT);
	qt_write(t, q, addr, false); /* count 3, no bit set */
	expect_broken(t, q, 4, 5);

	q = qt_mkfs(t, 7); /* 128 blocks: bits 128.. are past */
	se = sit_entry(t, q, 7, &addr);
	qlfs_set_bit(se->valid_map, 200);
	se->vblocks = cpu_to_le16(1);
	qt_write(t, q, addr, false);
	expect_broken(t, q, 4, 5);

	q = qt_mkfs(t, 0);
	se = sit_entry(t, q, 7, &addr);
	se->vblocks = cpu_to_le16(9 << SIT_VBLOCKS_SHIFT); /* log type 9 */
	qt_write(t, q, addr, false);
	expect_broken(t, q, 4, 5);
}

static void qlfs_ql6_valid_but_unowned_and_owned_twice(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);
	struct qlfs_sit_entry *se;
	struct qlfs_inode *ri;
	u32 addr;

	se = sit_entry(t, q, 7, &addr);
	qlfs_set_bit(se->valid_map, 0);
	se->vblocks = cpu_to_le16(1 | CURSEG_WARM_DATA << SIT_VBLOCKS_SHIFT);
	qt_write(t, q, addr, false);
	expect_broken(t, q, 4, 6);

	q = qt_mkfs(t, 0);
	qt_read(t, q, root_inode_addr(q));
	ri = (struct qlfs_inode *)q->blk;
	ri->i_addr[1] = ri->i_addr[0]; /* the dentry block twice */
	ri->i_blocks = cpu_to_le64(3);
	qt_write(t, q, root_inode_addr(q), false);
	expect_broken(t, q, 4, 6);

	q = qt_mkfs(t, 0);
	se = sit_entry(t, q, CURSEG_HOT_DATA, &addr);
	se->valid_map[0] = 0; /* the root's dentry block */
	se->vblocks = cpu_to_le16(CURSEG_HOT_DATA << SIT_VBLOCKS_SHIFT);
	qt_write(t, q, addr, false);
	expect_broken(t, q, 4, 6);
}

static void qlfs_ql14_current_segment_type_and_tail(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);
	struct qlfs_sit_entry *se;
	u32 addr;

	se = sit_entry(t, q, CURSEG_HOT_DATA, &addr);
	se->vblocks = cpu_to_le16(1 | CURSEG_WARM_DATA << SIT_VBLOCKS_SHIFT);
	qt_write(t, q, addr, false);
	expect_broken(t, q, 4, 14);

	q = qt_mkfs(t, 0);
	se = sit_entry(t, q, CURSEG_COLD_DATA, &addr);
	qlfs_set_bit(se->valid_map, 0); /* past blkoff 0 */
	se->vblocks = cpu_to_le16(1 | CURSEG_COLD_DATA << SIT_VBLOCKS_SHIFT);
	qt_write(t, q, addr, false);
	expect_broken(t, q, 4, 14);
}

/* ---- QL7: summaries ---- */

static void qlfs_ql7_summary_names_another_owner(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);
	struct qlfs_summary_block *sum;
	u32 addr = pack_addr(q, 0) + 1 + CURSEG_HOT_DATA;

	qt_read(t, q, addr);
	sum = (struct qlfs_summary_block *)q->blk;
	sum->entries[0].nid = cpu_to_le32(77);
	qt_write(t, q, addr, false);
	expect_broken(t, q, 4, 7);

	q = qt_mkfs(t, 0);
	addr = pack_addr(q, 0) + 1 + CURSEG_HOT_NODE;
	qt_read(t, q, addr);
	sum = (struct qlfs_summary_block *)q->blk;
	sum->entries[0].version = 3;
	qt_write(t, q, addr, false);
	expect_broken(t, q, 4, 7);
}

/* ---- QL8: checkpoint counts ---- */

static void cp_more_inodes(struct qlfs_checkpoint *cp)
{
	cp->valid_inode_count = cpu_to_le32(5);
}

static void cp_fewer_free(struct qlfs_checkpoint *cp)
{
	cp->free_segment_count = cpu_to_le32(le32_to_cpu(cp->free_segment_count) - 1);
}

static void cp_huge_valid(struct qlfs_checkpoint *cp)
{
	cp->valid_block_count = cpu_to_le64(~0ULL);
}

static void qlfs_ql8_checkpoint_counts(struct ktest *t)
{
	static void (*const edits[])(struct qlfs_checkpoint *) = {
		cp_more_inodes,
		cp_fewer_free,
		cp_huge_valid,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(edits); i++) {
		struct qt *q = qt_mkfs(t, 0);

		qt_edit_cp(t, q, 0, edits[i]);
		expect_broken(t, q, 4, 8);
		KTEST_EXPECT_EQ(t, q->r.cp_used, 0);
	}
}

/* ---- QL9: checksums ---- */

static void qlfs_ql9_flipped_bits_fail_checksums(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);
	u32 at[4];

	at[0] = root_dent_addr(q);
	at[1] = root_inode_addr(q);
	at[2] = qlfs_nat_blkaddr(&q->l, 0, 0);
	at[3] = qlfs_sit_blkaddr(&q->l, 0, 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(at); i++) {
		q = qt_mkfs(t, 0);
		qt_flip(t, q, at[i], 2000);
		expect_broken(t, q, 4, 9);
	}
	/* a good block at the wrong address fails too (the seed is the address) */
	q = qt_mkfs(t, 0);
	qt_read(t, q, root_dent_addr(q));
	KTEST_ASSERT_EQ(t, qlfs_dev_write(&q->d, root_dent_addr(q) + 1, q->blk, 1), 0);
	KTEST_EXPECT_FALSE(t, qlfs_block_csum_ok(q->blk, root_dent_addr(q) + 1));
	KTEST_EXPECT_TRUE(t, qlfs_block_csum_ok(q->blk, root_dent_addr(q)));
}

/* ---- QL10: inodes ---- */

static void ri_blocks(struct qlfs_inode *ri)
{
	ri->i_blocks = cpu_to_le64(7);
}

static void ri_addr_out_of_range(struct qlfs_inode *ri)
{
	ri->i_addr[5] = cpu_to_le32(0xfffffff0u);
}

static void ri_free_nid(struct qlfs_inode *ri)
{
	ri->i_nid[0] = cpu_to_le32(40);
}

static void ri_huge_nid(struct qlfs_inode *ri)
{
	ri->i_nid[4] = cpu_to_le32(0xffffffffu);
}

static void ri_no_type(struct qlfs_inode *ri)
{
	ri->i_mode = cpu_to_le16(0755);
}

static void ri_inline_dir(struct qlfs_inode *ri)
{
	ri->i_inline = QLFS_INLINE_DATA;
}

static void ri_node_offset(struct qlfs_inode *ri)
{
	ri->footer.flag = cpu_to_le32(5 << OFFSET_BIT_SHIFT);
}

static void qlfs_ql10_inode_fields_and_pointers(struct ktest *t)
{
	static void (*const edits[])(struct qlfs_inode *) = {
		ri_blocks,  ri_addr_out_of_range, ri_free_nid,	  ri_huge_nid,
		ri_no_type, ri_inline_dir,	  ri_node_offset,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(edits); i++) {
		struct qt *q = qt_mkfs(t, 0);

		qt_read(t, q, root_inode_addr(q));
		edits[i]((struct qlfs_inode *)q->blk);
		qt_write(t, q, root_inode_addr(q), false);
		expect_broken(t, q, 4, 10);
	}
}

/* ---- QL11, QL12: directories and links ---- */

static void ri_links3(struct qlfs_inode *ri)
{
	ri->i_links = cpu_to_le32(3);
}

static void ri_depth(struct qlfs_inode *ri)
{
	ri->i_current_depth = cpu_to_le32(31);
}

static void qlfs_ql11_directory_entries(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);
	struct qlfs_dentry_block *db;

	qt_read(t, q, root_dent_addr(q));
	db = (struct qlfs_dentry_block *)q->blk;
	db->dentry[1].hash_code = cpu_to_le32(1234);
	qt_write(t, q, root_dent_addr(q), false);
	expect_broken(t, q, 4, 11);

	q = qt_mkfs(t, 0);
	qt_read(t, q, root_dent_addr(q));
	db = (struct qlfs_dentry_block *)q->blk;
	db->dentry[1].ino = cpu_to_le32(9); /* ".." of the root elsewhere */
	qt_write(t, q, root_dent_addr(q), false);
	expect_broken(t, q, 4, 11);

	q = qt_mkfs(t, 0);
	qt_read(t, q, root_dent_addr(q));
	db = (struct qlfs_dentry_block *)q->blk;
	db->dentry[0].name_len = cpu_to_le16(0xffff); /* hostile length */
	qt_write(t, q, root_dent_addr(q), false);
	expect_broken(t, q, 4, 11);

	q = qt_mkfs(t, 0);
	qt_read(t, q, root_inode_addr(q));
	ri_depth((struct qlfs_inode *)q->blk);
	qt_write(t, q, root_inode_addr(q), false);
	expect_broken(t, q, 4, 11);
}

static void qlfs_ql12_directory_link_count(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);

	qt_read(t, q, root_inode_addr(q));
	ri_links3((struct qlfs_inode *)q->blk);
	qt_write(t, q, root_inode_addr(q), false);
	expect_broken(t, q, 4, 12);
}

/*
 * Add regular file inode 4 the way the mount will: its inode block 0 of
 * the warm node log, NAT entry, SIT bit, the checkpoint's summary and
 * counts; and, if @name, an entry "f" in the root. @links: its i_links.
 */
static void add_file(struct ktest *t, struct qt *q, bool name, u32 links)
{
	u32 seg = CURSEG_WARM_NODE, addr = qlfs_seg_blkaddr(&q->l, seg), a;
	struct qlfs_inode *in;
	struct qlfs_nat_entry *ne;
	struct qlfs_sit_entry *se;

	memset(q->blk, 0, QLFS_BLKSIZE);
	in = (struct qlfs_inode *)q->blk;
	in->i_mode = cpu_to_le16(QLFS_S_IFREG | 0644);
	in->i_links = cpu_to_le32(links);
	in->i_blocks = cpu_to_le64(1);
	in->i_pino = cpu_to_le32(QLFS_ROOT_INO);
	in->footer.nid = in->footer.ino = cpu_to_le32(4);
	in->footer.cp_ver = cpu_to_le64(1);
	qt_write(t, q, addr, false);

	ne = nat_entry(t, q, 4, &a);
	ne->ino = cpu_to_le32(4);
	ne->block_addr = cpu_to_le32(addr);
	qt_write(t, q, a, false);

	se = sit_entry(t, q, seg, &a);
	qlfs_set_bit(se->valid_map, 0);
	se->vblocks = cpu_to_le16(1 | seg << SIT_VBLOCKS_SHIFT);
	qt_write(t, q, a, false);

	a = pack_addr(q, 0) + 1 + seg;
	qt_read(t, q, a);
	((struct qlfs_summary_block *)q->blk)->entries[0].nid = cpu_to_le32(4);
	qt_write(t, q, a, false);
	for (u32 b = 0; b < 8; b += 7) {
		struct qlfs_checkpoint *cp = (struct qlfs_checkpoint *)q->blk;

		qt_read(t, q, pack_addr(q, 0) + b);
		cp->cur_node_blkoff[1] = cpu_to_le16(1);
		cp->valid_block_count = cpu_to_le64(3);
		cp->valid_node_count = cpu_to_le32(2);
		cp->valid_inode_count = cpu_to_le32(2);
		qt_write(t, q, pack_addr(q, 0) + b, false);
	}
	if (name) {
		struct qlfs_dentry_block *db = (struct qlfs_dentry_block *)q->blk;

		qt_read(t, q, root_dent_addr(q));
		qlfs_set_bit(db->dentry_bitmap, 2);
		db->dentry[2].hash_code =
			cpu_to_le32(qlfs_dentry_hash((const u8 *)"f", 1));
		db->dentry[2].ino = cpu_to_le32(4);
		db->dentry[2].name_len = cpu_to_le16(1);
		db->dentry[2].file_type = QLFS_FT_REG_FILE;
		db->filename[2][0] = 'f';
		qt_write(t, q, root_dent_addr(q), false);
	}
}

/* The editor above makes a sound file: the control for QL12 and QL13. */
static void qlfs_a_named_file_is_clean(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);

	add_file(t, q, true, 1);
	KTEST_EXPECT_EQ(t, qt_fsck(q), 0);
	KTEST_EXPECT_EQ(t, q->r.broken, 0);
	KTEST_EXPECT_EQ(t, q->r.inodes, 2);
}

static void qlfs_ql12_file_link_count(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);

	add_file(t, q, true, 2);
	expect_broken(t, q, 4, 12);
}

static void qlfs_ql13_unnamed_inode(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);

	add_file(t, q, false, 1);
	expect_broken(t, q, 4, 13);
	KTEST_EXPECT_EQ(t, q->r.broken, 1u << 13); /* nothing else */
}

/* ---- hostile images: sealed random damage ---- */

#define DAMAGE_ROUNDS 150

static u64 qt_rng(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random bytes (1..64 of them, random values) written into one of the
 * fresh image's metadata blocks, which is then re-sealed so fsck parses
 * the damage instead of stopping at the checksum: fsck must answer 0, 4 or
 * 8 every time, never crash, loop or read out of bounds (the asan jobs run
 * this too). Seeded: `test --seed N qlfs_format.CASE` replays a run.
 */
static void qlfs_fsck_survives_sealed_random_damage(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);
	u64 rng = ktest_seed() * 2654435761ULL + 7;
	u8 *saved = qlfs_alloc_blocks(0);
	u32 blocks[8], hist[3] = {0};

	KTEST_ASSERT_NOT_NULL(t, saved);
	cprintf("# seed %llu\n", (unsigned long long)ktest_seed());
	blocks[0] = 0;
	blocks[1] = pack_addr(q, 0);
	blocks[2] = pack_addr(q, 0) + 1 + CURSEG_HOT_NODE;
	blocks[3] = qlfs_sit_blkaddr(&q->l, 0, 0);
	blocks[4] = qlfs_nat_blkaddr(&q->l, 0, 0);
	blocks[5] = pack_addr(q, 0) + 1 + CURSEG_HOT_DATA;
	blocks[6] = root_inode_addr(q);
	blocks[7] = root_dent_addr(q);
	for (int round = 0; round < DAMAGE_ROUNDS; round++) {
		u32 addr = blocks[qt_rng(&rng) % ARRAY_SIZE(blocks)];
		u32 n = 1 + qt_rng(&rng) % 64;
		int status;

		qt_read(t, q, addr);
		memcpy(saved, q->blk, QLFS_BLKSIZE);
		for (u32 i = 0; i < n; i++) {
			u64 r = qt_rng(&rng);

			q->blk[(r >> 8) % QLFS_CSUM_OFFSET] = r & 0xff;
		}
		qt_write(t, q, addr, false);
		status = qt_fsck(q);
		if (status != 0 && status != 4 && status != 8)
			ktest_fail(t, __FILE__, __LINE__, "round %d: block %u: status %d",
				   round, addr, status);
		hist[status == 0 ? 0 : status == 4 ? 1 : 2]++;
		memcpy(q->blk, saved, QLFS_BLKSIZE);
		KTEST_ASSERT_EQ(t, qlfs_dev_write(&q->d, addr, q->blk, 1), 0);
	}
	cprintf("# %u rounds: %u clean, %u with problems, %u refused\n", DAMAGE_ROUNDS,
		hist[0], hist[1], hist[2]);
	KTEST_EXPECT_GT(t, hist[1], DAMAGE_ROUNDS / 4); /* the damage is seen */
	KTEST_EXPECT_EQ(t, qt_fsck(q), 0);		/* and undone */
	qlfs_free_blocks(saved, 0);
}

/* ---- an image builder: files with node trees, directories with levels ---- */

/*
 * Small edits as the mount will make them, on a fresh image (segments as
 * mkfs picks them):
 * blocks appended to the current segments (logs 0..5 = main segments
 * 0..5, all in SIT block 0), NAT entries in NAT block 0, summaries and
 * counts in checkpoint pack 0. img_commit() writes SIT, NAT and the pack.
 */
struct img {
	struct qt *q;
	struct qlfs_sit_block sit;
	struct qlfs_nat_block nat;
	u8 pack[8][QLFS_BLKSIZE];
	u32 nodes, inodes, blocks;
};

static void img_load(struct ktest *t, struct qt *q, struct img *m)
{
	m->q = q;
	qt_read(t, q, qlfs_sit_blkaddr(&q->l, 0, 0));
	memcpy(&m->sit, q->blk, QLFS_BLKSIZE);
	qt_read(t, q, qlfs_nat_blkaddr(&q->l, 0, 0));
	memcpy(&m->nat, q->blk, QLFS_BLKSIZE);
	for (u32 b = 0; b < 8; b++) {
		qt_read(t, q, pack_addr(q, 0) + b);
		memcpy(m->pack[b], q->blk, QLFS_BLKSIZE);
	}
	m->nodes = le32_to_cpu(((struct qlfs_checkpoint *)m->pack[0])->valid_node_count);
	m->inodes =
		le32_to_cpu(((struct qlfs_checkpoint *)m->pack[0])->valid_inode_count);
	m->blocks =
		le64_to_cpu(((struct qlfs_checkpoint *)m->pack[0])->valid_block_count);
}

static u32 img_blkoff(struct img *m, u32 log, int add)
{
	struct qlfs_checkpoint *cp = (void *)m->pack[0];
	u32 off = le16_to_cpu(log < 3 ? cp->cur_data_blkoff[log] :
					cp->cur_node_blkoff[log - 3]);

	if (log < 3)
		cp->cur_data_blkoff[log] = cpu_to_le16(off + add);
	else
		cp->cur_node_blkoff[log - 3] = cpu_to_le16(off + add);
	return off;
}

/* The next block of @log, owned by @nid at @ofs (summary, SIT). */
static u32 img_alloc(struct img *m, u32 log, u32 nid, u16 ofs)
{
	u32 off = img_blkoff(m, log, 1);
	struct qlfs_sit_entry *se = &m->sit.entries[log];
	struct qlfs_summary *sum =
		&((struct qlfs_summary_block *)m->pack[1 + log])->entries[off];

	qlfs_set_bit(se->valid_map, off);
	se->vblocks = cpu_to_le16(le16_to_cpu(se->vblocks) + 1);
	sum->nid = cpu_to_le32(nid);
	sum->ofs_in_node = cpu_to_le16(ofs);
	m->blocks++;
	return qlfs_seg_blkaddr(&m->q->l, log) + off;
}

static void img_nat(struct img *m, u32 nid, u32 ino, u32 addr)
{
	struct qlfs_nat_entry *ne = &m->nat.entries[nid];

	ne->ino = cpu_to_le32(ino);
	ne->block_addr = cpu_to_le32(addr);
	m->nodes++;
	if (nid == ino)
		m->inodes++;
}

/* Write node block @blk (its body filled) as @nid of @ino at @ofs. */
static u32 img_node(struct ktest *t, struct img *m, u8 *blk, u32 nid, u32 ino, u32 ofs)
{
	struct qlfs_node_footer *ft = (void *)(blk + 4064);
	u32 addr = img_alloc(m, CURSEG_WARM_NODE, nid, 0);

	ft->nid = cpu_to_le32(nid);
	ft->ino = cpu_to_le32(ino);
	ft->flag = cpu_to_le32(ofs << OFFSET_BIT_SHIFT);
	ft->cp_ver = cpu_to_le64(1);
	memcpy(m->q->blk, blk, QLFS_BLKSIZE);
	qt_write(t, m->q, addr, false);
	img_nat(m, nid, ino, addr);
	return addr;
}

/* A data block of 4 KiB of @fill for @nid's slot @ofs, in @log. */
static u32 img_data(struct ktest *t, struct img *m, u32 log, u32 nid, u16 ofs,
		    const void *blk)
{
	u32 addr = img_alloc(m, log, nid, ofs);

	memcpy(m->q->blk, blk, QLFS_BLKSIZE);
	qt_write(t, m->q, addr, log == CURSEG_HOT_DATA ? false : true);
	return addr;
}

static void img_commit(struct ktest *t, struct img *m)
{
	struct qt *q = m->q;
	struct qlfs_checkpoint *cp = (void *)m->pack[0];
	u32 free = q->l.segs_main - NR_CURSEG_TYPE;

	cp->valid_block_count = cpu_to_le64(m->blocks);
	cp->valid_node_count = cpu_to_le32(m->nodes);
	cp->valid_inode_count = cpu_to_le32(m->inodes);
	cp->free_segment_count = cpu_to_le32(free);
	memcpy(m->pack[7], m->pack[0], QLFS_BLKSIZE);
	for (u32 b = 0; b < 8; b++) {
		memcpy(q->blk, m->pack[b], QLFS_BLKSIZE);
		qt_write(t, q, pack_addr(q, 0) + b, false);
	}
	memcpy(q->blk, &m->sit, QLFS_BLKSIZE);
	qt_write(t, q, qlfs_sit_blkaddr(&q->l, 0, 0), false);
	memcpy(q->blk, &m->nat, QLFS_BLKSIZE);
	qt_write(t, q, qlfs_nat_blkaddr(&q->l, 0, 0), false);
}

/* Put @name -> @ino (type @ft) into dentry block @db at @slot. */
static void dent_put(struct qlfs_dentry_block *db, u32 slot, const char *name, u32 ino,
		     u8 ft)
{
	u32 len = strlen(name);

	for (u32 s = slot; s < slot + DIV_ROUND_UP(len, QLFS_SLOT_LEN); s++)
		qlfs_set_bit(db->dentry_bitmap, s);
	db->dentry[slot].hash_code = cpu_to_le32(qlfs_dentry_hash((const u8 *)name, len));
	db->dentry[slot].ino = cpu_to_le32(ino);
	db->dentry[slot].name_len = cpu_to_le16(len);
	db->dentry[slot].file_type = ft;
	memcpy(db->filename[slot], name, len);
}

/* Add @name -> @ino to the root's dentry block (slot @slot). */
static void root_name(struct ktest *t, struct qt *q, u32 slot, const char *name, u32 ino,
		      u8 ft)
{
	qt_read(t, q, root_dent_addr(q));
	dent_put((struct qlfs_dentry_block *)q->blk, slot, name, ino, ft);
	qt_write(t, q, root_dent_addr(q), false);
}

/* Nids of the big file (docs/qlfs-format.md "Node offsets"). */
enum {
	BIG_INO = 4,
	BIG_DN = 5,
	BIG_IND = 6,
	BIG_IND_DN = 7,
	BIG_DIND = 8,
	BIG_DIND_IND = 9,
	BIG_DIND_DN = 10
};

struct big_file {
	u32 data[4];  /* addresses of its four data blocks */
	u32 node[11]; /* by nid */
};

/*
 * A 5 GiB sparse file "big" (inode 4) with a data block in each part of
 * its tree: i_addr[0]; direct node i_nid[0] slot 3; indirect i_nid[2] ->
 * its 3rd direct node slot 0; double indirect i_nid[4] -> its 2nd indirect
 * node -> that one's 6th direct node slot 7.
 */
static void make_big_file(struct ktest *t, struct qt *q, struct big_file *bf)
{
	struct img *m = kzalloc(sizeof(*m), GFP_KERNEL);
	u8 *blk = qlfs_alloc_blocks(0), *data = qlfs_alloc_blocks(0);
	struct qlfs_inode *in = (void *)blk;
	struct qlfs_direct_node *dn = (void *)blk;
	struct qlfs_indirect_node *ind = (void *)blk;
	u32 ofs_dind_ind = NODE_OFS_DIND + 1 + 1 * (NIDS_PER_BLOCK + 1);

	KTEST_ASSERT_TRUE(t, m && blk && data);
	img_load(t, q, m);
	memset(data, 0x5a, QLFS_BLKSIZE);
	/* leaves first, so each parent knows its children's addresses */
	memset(blk, 0, QLFS_BLKSIZE);
	bf->data[3] = img_data(t, m, CURSEG_WARM_DATA, BIG_DIND_DN, 7, data);
	dn->addr[7] = cpu_to_le32(bf->data[3]);
	bf->node[BIG_DIND_DN] =
		img_node(t, m, blk, BIG_DIND_DN, BIG_INO, ofs_dind_ind + 1 + 5);
	memset(blk, 0, QLFS_BLKSIZE);
	ind->nid[5] = cpu_to_le32(BIG_DIND_DN);
	bf->node[BIG_DIND_IND] = img_node(t, m, blk, BIG_DIND_IND, BIG_INO, ofs_dind_ind);
	memset(blk, 0, QLFS_BLKSIZE);
	ind->nid[1] = cpu_to_le32(BIG_DIND_IND);
	bf->node[BIG_DIND] = img_node(t, m, blk, BIG_DIND, BIG_INO, NODE_OFS_DIND);

	memset(blk, 0, QLFS_BLKSIZE);
	bf->data[2] = img_data(t, m, CURSEG_WARM_DATA, BIG_IND_DN, 0, data);
	dn->addr[0] = cpu_to_le32(bf->data[2]);
	bf->node[BIG_IND_DN] =
		img_node(t, m, blk, BIG_IND_DN, BIG_INO, NODE_OFS_IND1 + 1 + 2);
	memset(blk, 0, QLFS_BLKSIZE);
	ind->nid[2] = cpu_to_le32(BIG_IND_DN);
	bf->node[BIG_IND] = img_node(t, m, blk, BIG_IND, BIG_INO, NODE_OFS_IND1);

	memset(blk, 0, QLFS_BLKSIZE);
	bf->data[1] = img_data(t, m, CURSEG_WARM_DATA, BIG_DN, 3, data);
	dn->addr[3] = cpu_to_le32(bf->data[1]);
	bf->node[BIG_DN] = img_node(t, m, blk, BIG_DN, BIG_INO, NODE_OFS_DIR1);

	memset(blk, 0, QLFS_BLKSIZE);
	bf->data[0] = img_data(t, m, CURSEG_WARM_DATA, BIG_INO, 0, data);
	in->i_mode = cpu_to_le16(QLFS_S_IFREG | 0644);
	in->i_links = cpu_to_le32(1);
	in->i_size = cpu_to_le64(5ULL << 30);
	in->i_blocks = cpu_to_le64(1 + 6 + 4);
	in->i_addr[0] = cpu_to_le32(bf->data[0]);
	in->i_nid[NODE_DIR1_BLOCK] = cpu_to_le32(BIG_DN);
	in->i_nid[NODE_IND1_BLOCK] = cpu_to_le32(BIG_IND);
	in->i_nid[NODE_DIND_BLOCK] = cpu_to_le32(BIG_DIND);
	bf->node[BIG_INO] = img_node(t, m, blk, BIG_INO, BIG_INO, 0);
	img_commit(t, m);
	root_name(t, q, 2, "big", BIG_INO, QLFS_FT_REG_FILE);
	qlfs_free_blocks(blk, 0);
	qlfs_free_blocks(data, 0);
	kfree(m);
}

/* Change node @addr's block by @fn and re-seal it. */
static void node_edit(struct ktest *t, struct qt *q, u32 addr, u32 idx, u32 val,
		      bool footer_ofs)
{
	qt_read(t, q, addr);
	if (footer_ofs)
		((struct qlfs_node_footer *)(q->blk + 4064))->flag =
			cpu_to_le32(val << OFFSET_BIT_SHIFT);
	else
		((__le32 *)q->blk)[idx] = cpu_to_le32(val);
	qt_write(t, q, addr, false);
}

static void qlfs_fsck_walks_direct_indirect_and_double_indirect_nodes(struct ktest *t)
{
	struct big_file bf;
	struct qt *q = qt_mkfs(t, 0);

	make_big_file(t, q, &bf);
	KTEST_EXPECT_EQ(t, qt_fsck(q), 0);
	KTEST_EXPECT_EQ(t, q->r.broken, 0);
	KTEST_EXPECT_EQ(t, q->r.inodes, 2);
	KTEST_EXPECT_EQ(t, q->r.nodes, 8);
	KTEST_EXPECT_EQ(t, q->r.valid_blocks, 2 + 11);

	/* the deepest direct node at the wrong offset */
	node_edit(t, q, bf.node[BIG_DIND_DN], 0, 5000, true);
	expect_broken(t, q, 4, 10);

	/* an indirect node naming itself: walked once, reported */
	q = qt_mkfs(t, 0);
	make_big_file(t, q, &bf);
	node_edit(t, q, bf.node[BIG_DIND_IND], 6, BIG_DIND_IND, false);
	expect_broken(t, q, 4, 4);

	/* two direct nodes pointing at one data block */
	q = qt_mkfs(t, 0);
	make_big_file(t, q, &bf);
	node_edit(t, q, bf.node[BIG_IND_DN], 1, bf.data[3], false);
	expect_broken(t, q, 4, 6);

	/* a direct node hung where an indirect one belongs */
	q = qt_mkfs(t, 0);
	make_big_file(t, q, &bf);
	node_edit(t, q, bf.node[BIG_IND], 2, BIG_DN, false);
	expect_broken(t, q, 4, 4);
}

/* Directory "d" (inode 11) of depth 2: "." and ".." in block 0, and "name"
 * in level 1's bucket hash % 2 (blocks 2..5), or in the other one. */
static void make_dir(struct ktest *t, struct qt *q, bool wrong_bucket)
{
	struct img *m = kzalloc(sizeof(*m), GFP_KERNEL);
	u8 *blk = qlfs_alloc_blocks(0);
	struct qlfs_dentry_block *db = (void *)blk;
	struct qlfs_inode *in = (void *)blk;
	u32 hash = qlfs_dentry_hash((const u8 *)"name", 4);
	u32 bucket = (hash % 2) ^ wrong_bucket, b0, b1;

	KTEST_ASSERT_TRUE(t, m && blk);
	img_load(t, q, m);
	memset(blk, 0, QLFS_BLKSIZE);
	dent_put(db, 0, ".", 11, QLFS_FT_DIR);
	dent_put(db, 1, "..", QLFS_ROOT_INO, QLFS_FT_DIR);
	b0 = img_data(t, m, CURSEG_HOT_DATA, 11, 0, blk);
	memset(blk, 0, QLFS_BLKSIZE);
	dent_put(db, 7, "name", BIG_INO, QLFS_FT_REG_FILE);
	b1 = img_data(t, m, CURSEG_HOT_DATA, 11, 2 + 2 * bucket, blk);
	memset(blk, 0, QLFS_BLKSIZE);
	in->i_mode = cpu_to_le16(QLFS_S_IFDIR | 0755);
	in->i_links = cpu_to_le32(2);
	in->i_size = cpu_to_le64(qlfs_dir_blocks(2) * QLFS_BLKSIZE);
	in->i_blocks = cpu_to_le64(3);
	in->i_current_depth = cpu_to_le32(2);
	in->i_addr[0] = cpu_to_le32(b0);
	in->i_addr[2 + 2 * bucket] = cpu_to_le32(b1);
	img_node(t, m, blk, 11, 11, 0);
	/* "name" is a second link of the one-block file inode 4 */
	img_commit(t, m);
	root_name(t, q, 5, "d", 11, QLFS_FT_DIR);
	qt_read(t, q, root_inode_addr(q));
	((struct qlfs_inode *)q->blk)->i_links = cpu_to_le32(3);
	qt_write(t, q, root_inode_addr(q), false);
	qlfs_free_blocks(blk, 0);
	kfree(m);
}

static void qlfs_fsck_checks_hash_levels_of_a_directory(struct ktest *t)
{
	struct big_file bf;
	struct qt *q = qt_mkfs(t, 0);

	make_big_file(t, q, &bf);
	make_dir(t, q, false);
	expect_broken(t, q, 4, 12); /* "big" has 2 names, 1 link */
	KTEST_EXPECT_EQ(t, q->r.broken, 1u << 12);
	node_edit(t, q, bf.node[BIG_INO], 3, 2, false); /* i_links (word 3) = 2 */
	KTEST_EXPECT_EQ(t, qt_fsck(q), 0);
	KTEST_EXPECT_EQ(t, q->r.inodes, 3);

	q = qt_mkfs(t, 0);
	make_big_file(t, q, &bf);
	make_dir(t, q, true);
	node_edit(t, q, bf.node[BIG_INO], 3, 2, false);
	expect_broken(t, q, 4, 11); /* the entry in the other bucket */
}

/* ---- fsck -y: repair ---- */

static int qt_fsck_y(struct qt *q)
{
	struct qlfs_fsck_opts o = {.quiet = true, .repair = true};

	return qlfs_fsck(&q->d, &o, &q->r);
}

/* -n reports invariant @ql, -y corrects everything (exit 1, blocks
 * written), and a second -n finds the image clean. */
static void expect_repaired(struct ktest *t, struct qt *q, unsigned int ql)
{
	expect_broken(t, q, 4, ql);
	KTEST_EXPECT_EQ(t, qt_fsck_y(q), 1);
	KTEST_EXPECT_GT(t, q->r.repaired, 0);
	KTEST_EXPECT_EQ(t, q->r.left, 0);
	KTEST_EXPECT_EQ(t, qt_fsck(q), 0);
	KTEST_EXPECT_EQ(t, q->r.broken, 0);
}

/* Node @nid's address in the live state (the pack the last fsck used). */
static u32 live_nat(struct ktest *t, struct qt *q, u32 nid)
{
	u32 i = nid / NAT_ENTRY_PER_BLOCK;
	struct qlfs_checkpoint *cp = (void *)q->blk;
	int copy;

	qt_read(t, q, pack_addr(q, q->r.cp_used));
	copy = qlfs_test_bit(cp->sit_nat_version_bitmap + qlfs_sit_bitmap_bytes(&q->l),
			     i);
	qt_read(t, q, qlfs_nat_blkaddr(&q->l, i, copy));
	return le32_to_cpu(((struct qlfs_nat_block *)q->blk)
				   ->entries[nid % NAT_ENTRY_PER_BLOCK]
				   .block_addr);
}

/* Word @idx of node @nid's live block. */
static u32 live_word(struct ktest *t, struct qt *q, u32 nid, u32 idx)
{
	qt_read(t, q, live_nat(t, q, nid));
	return le32_to_cpu(((__le32 *)q->blk)[idx]);
}

#define I_ADDR_WORD (__builtin_offsetof(struct qlfs_inode, i_addr) / 4)
#define I_NID_WORD  (__builtin_offsetof(struct qlfs_inode, i_nid) / 4)

static bool in_main_area(struct qt *q, u32 addr)
{
	return addr >= q->l.main_blkaddr &&
	       addr - q->l.main_blkaddr < (u64)q->l.segs_main * q->l.bps;
}

static bool data_is_5a(struct ktest *t, struct qt *q, u32 addr)
{
	qt_read(t, q, addr);
	for (u32 i = 0; i < QLFS_BLKSIZE; i++)
		if (q->blk[i] != 0x5a)
			return false;
	return true;
}

/* Does the root name "big" (inode 4)? */
static bool root_names_big(struct ktest *t, struct qt *q)
{
	struct qlfs_dentry_block *db = (void *)q->blk;
	u32 addr = live_word(t, q, QLFS_ROOT_INO, I_ADDR_WORD);

	qt_read(t, q, addr);
	for (u32 s = 0; s < NR_DENTRY_IN_BLOCK; s++)
		if (qlfs_test_bit(db->dentry_bitmap, s) &&
		    le16_to_cpu(db->dentry[s].name_len) == 3 &&
		    !memcmp(db->filename[s], "big", 3))
			return le32_to_cpu(db->dentry[s].ino) == BIG_INO;
	return false;
}

/* The block at @addr exists and holds the big file's bytes. */
static bool big_data_ok(struct ktest *t, struct qt *q, u32 addr)
{
	return addr != NULL_ADDR && in_main_area(q, addr) && data_is_5a(t, q, addr);
}

/*
 * The big file of make_big_file() is whole: the image checks clean, the
 * root names it, and every part of its tree leads to a data block holding
 * what was written (at its old address, or at a copy the repair made).
 * The judge of every repair test: a repair that dropped the file, or a
 * part of it, fails here (the negative control below shows it does).
 */
static bool big_file_intact(struct ktest *t, struct qt *q, const struct big_file *bf)
{
	bool ok = qt_fsck(q) == 0 && root_names_big(t, q);

	ok = ok && big_data_ok(t, q, live_word(t, q, BIG_INO, I_ADDR_WORD));
	ok = ok && live_word(t, q, BIG_INO, I_NID_WORD + NODE_DIR1_BLOCK) == BIG_DN &&
	     big_data_ok(t, q, live_word(t, q, BIG_DN, 3));
	ok = ok && live_word(t, q, BIG_INO, I_NID_WORD + NODE_IND1_BLOCK) == BIG_IND &&
	     live_word(t, q, BIG_IND, 2) == BIG_IND_DN &&
	     big_data_ok(t, q, live_word(t, q, BIG_IND_DN, 0));
	ok = ok && live_word(t, q, BIG_INO, I_NID_WORD + NODE_DIND_BLOCK) == BIG_DIND &&
	     live_word(t, q, BIG_DIND, 1) == BIG_DIND_IND &&
	     live_word(t, q, BIG_DIND_IND, 5) == BIG_DIND_DN &&
	     big_data_ok(t, q, live_word(t, q, BIG_DIND_DN, 7));
	return ok;
}

static struct qt *qt_big(struct ktest *t, struct big_file *bf)
{
	struct qt *q = qt_mkfs(t, 0);

	make_big_file(t, q, bf);
	KTEST_ASSERT_TRUE(t, big_file_intact(t, q, bf)); /* the control */
	return q;
}

static void qlfs_repair_superblock_copy(struct ktest *t)
{
	struct big_file bf;
	struct qt *q = qt_big(t, &bf);

	qt_flip(t, q, 1, 40); /* copy 1: bad checksum */
	expect_repaired(t, q, 2);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));

	qt_flip(t, q, 0, 40); /* copy 0: copy 1 is used, copy 0 rewritten */
	expect_repaired(t, q, 2);
	KTEST_EXPECT_EQ(t, q->r.sb_used, 0);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));
}

/* SIT counts and bits (QL5, QL6) and the checkpoint's counts (QL8) are
 * rebuilt from the blocks the trees own. */
static void qlfs_repair_sit_and_counts(struct ktest *t)
{
	struct big_file bf;
	struct qt *q = qt_big(t, &bf);
	struct qlfs_sit_entry *se;
	u32 addr;

	se = sit_entry(t, q, 7, &addr);
	se->vblocks = cpu_to_le16(3 | CURSEG_WARM_DATA << SIT_VBLOCKS_SHIFT);
	qt_write(t, q, addr, false); /* count 3, no bit */
	expect_repaired(t, q, 5);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));

	q = qt_big(t, &bf);
	se = sit_entry(t, q, 7, &addr);
	qlfs_set_bit(se->valid_map, 9); /* valid, owned by nothing */
	se->vblocks = cpu_to_le16(1 | CURSEG_WARM_DATA << SIT_VBLOCKS_SHIFT);
	qt_write(t, q, addr, false);
	expect_repaired(t, q, 6);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));

	q = qt_big(t, &bf);
	se = sit_entry(t, q, CURSEG_WARM_DATA, &addr);
	se->valid_map[0] &= ~1; /* the big file's first data block */
	se->vblocks = cpu_to_le16(le16_to_cpu(se->vblocks) - 1);
	qt_write(t, q, addr, false);
	expect_repaired(t, q, 6);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));

	q = qt_big(t, &bf);
	qt_edit_cp(t, q, 0, cp_more_inodes);
	expect_repaired(t, q, 8);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));
	q = qt_big(t, &bf);
	qt_edit_cp(t, q, 0, cp_huge_valid);
	expect_repaired(t, q, 8);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));
}

/* A torn pack is ignored; the repair's pack goes over it (the other
 * place), and the live one is never written. */
static void qlfs_repair_leaves_the_live_pack_alone(struct ktest *t)
{
	struct big_file bf;
	struct qt *q = qt_big(t, &bf);
	u8 *live = qlfs_alloc_blocks(3);

	KTEST_ASSERT_NOT_NULL(t, live);
	qt_flip(t, q, pack_addr(q, 1) + 7, 8); /* pack 1's footer: torn */
	KTEST_EXPECT_EQ(t, qt_fsck(q), 0);     /* ignored */
	KTEST_EXPECT_EQ(t, q->r.cp_used, 0);
	qt_edit_cp(t, q, 0, cp_more_inodes);
	KTEST_ASSERT_EQ(t, qlfs_dev_read(&q->d, pack_addr(q, 0), live, 8), 0);
	expect_repaired(t, q, 8);
	KTEST_EXPECT_EQ(t, q->r.cp_used, 1); /* the new pack, version 2 */
	KTEST_EXPECT_EQ(t, q->r.cp_ver, 2);
	for (u32 b = 0; b < 8; b++) {
		qt_read(t, q, pack_addr(q, 0) + b);
		KTEST_EXPECT_EQ(t, memcmp(q->blk, live + b * QLFS_BLKSIZE, QLFS_BLKSIZE),
				0);
	}
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));
	qlfs_free_blocks(live, 3);
}

/* NAT entries in use that no tree reaches, or pointing outside the main
 * area, are cleared; an inode's pointer to a free nid is dropped. */
static void qlfs_repair_nat_garbage_and_dangling_pointers(struct ktest *t)
{
	struct big_file bf;
	struct qt *q = qt_big(t, &bf);
	struct qlfs_nat_entry *ne;
	u32 addr;

	ne = nat_entry(t, q, 20, &addr);
	ne->ino = cpu_to_le32(20);
	ne->block_addr = cpu_to_le32(qlfs_seg_blkaddr(&q->l, 9)); /* no node there */
	ne = &((struct qlfs_nat_block *)q->blk)->entries[21];
	ne->ino = cpu_to_le32(21);
	ne->block_addr = cpu_to_le32(q->l.sit_blkaddr); /* at metadata */
	qt_write(t, q, addr, false);
	expect_repaired(t, q, 4);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));
	KTEST_EXPECT_EQ(t, live_nat(t, q, 20), 0);
	KTEST_EXPECT_EQ(t, live_nat(t, q, 21), 0);

	q = qt_big(t, &bf);
	node_edit(t, q, bf.node[BIG_IND], 7, 30, false); /* -> free nid 30 */
	expect_repaired(t, q, 10);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));
	KTEST_EXPECT_EQ(t, live_word(t, q, BIG_IND, 7), 0);

	q = qt_big(t, &bf);
	node_edit(t, q, bf.node[BIG_DN], 9, q->l.nat_blkaddr, false); /* data at NAT */
	node_edit(t, q, bf.node[BIG_INO], 3, 1, false);		      /* keep i_links */
	expect_repaired(t, q, 10);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));

	/* a block owned twice: each owner gets its own copy (e2fsck's pass
	 * 1B clones too), nothing is lost whichever pointer was forged */
	q = qt_big(t, &bf);
	node_edit(t, q, bf.node[BIG_IND_DN], 1, bf.data[3], false);
	node_edit(t, q, bf.node[BIG_INO], 3, 1, false);
	expect_repaired(t, q, 6);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));
	KTEST_EXPECT_TRUE(t, big_data_ok(t, q, live_word(t, q, BIG_IND_DN, 1)));
	KTEST_EXPECT_NE(t, live_word(t, q, BIG_IND_DN, 1),
			live_word(t, q, BIG_DIND_DN, 7));
	KTEST_EXPECT_EQ(t, q->r.valid_blocks, 2 + 11 + 1); /* the copy */
}

/* Entries naming no inode, with a wrong hash, or in the wrong bucket go;
 * a wrong file type is set right; link counts follow the names. */
static void qlfs_repair_directory_entries_and_links(struct ktest *t)
{
	struct big_file bf;
	struct qt *q = qt_big(t, &bf);

	root_name(t, q, 8, "ghost", 50, QLFS_FT_REG_FILE); /* no inode 50 */
	expect_repaired(t, q, 11);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));

	q = qt_big(t, &bf);
	root_name(t, q, 8, "hashx", BIG_INO, QLFS_FT_REG_FILE);
	qt_read(t, q, root_dent_addr(q));
	((struct qlfs_dentry_block *)q->blk)->dentry[8].hash_code ^= cpu_to_le32(1);
	qt_write(t, q, root_dent_addr(q), false); /* a second name, bad hash */
	expect_repaired(t, q, 11);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));

	q = qt_big(t, &bf);
	qt_read(t, q, root_dent_addr(q));
	((struct qlfs_dentry_block *)q->blk)->dentry[2].file_type = QLFS_FT_DIR;
	qt_write(t, q, root_dent_addr(q), false); /* "big" said to be a dir */
	expect_repaired(t, q, 11);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));

	q = qt_big(t, &bf);
	node_edit(t, q, bf.node[BIG_INO], 3, 3, false); /* i_links 3, one name */
	expect_repaired(t, q, 12);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));
	KTEST_EXPECT_EQ(t, live_word(t, q, BIG_INO, 3), 1);

	q = qt_big(t, &bf);
	qt_read(t, q, root_inode_addr(q));
	ri_links3((struct qlfs_inode *)q->blk); /* the root: 3, no subdirectory */
	qt_write(t, q, root_inode_addr(q), false);
	expect_repaired(t, q, 12);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));
}

/* Inode 12, a regular file with no data, named by nothing; as an orphan
 * (links 0, on the pack's orphan list) when @orphan. */
static void add_lone_inode(struct ktest *t, struct qt *q, bool orphan)
{
	struct img *m = kzalloc(sizeof(*m), GFP_KERNEL);
	u8 *blk = qlfs_alloc_blocks(0);
	struct qlfs_inode *in = (void *)blk;

	KTEST_ASSERT_TRUE(t, m && blk);
	img_load(t, q, m);
	memset(blk, 0, QLFS_BLKSIZE);
	in->i_mode = cpu_to_le16(QLFS_S_IFREG | 0644);
	in->i_links = cpu_to_le32(orphan ? 0 : 1);
	in->i_blocks = cpu_to_le64(1);
	img_node(t, m, blk, 12, 12, 0);
	img_commit(t, m);
	if (orphan) { /* the pack with one orphan block: 9 blocks */
		u8 *pk = qlfs_alloc_blocks(4);
		struct qlfs_checkpoint *cp = (void *)pk;
		struct qlfs_orphan_block *ob = (void *)(pk + QLFS_BLKSIZE);

		KTEST_ASSERT_NOT_NULL(t, pk);
		KTEST_ASSERT_EQ(t, qlfs_dev_read(&q->d, pack_addr(q, 0), pk, 8), 0);
		memmove(pk + 2 * QLFS_BLKSIZE, pk + QLFS_BLKSIZE, 6 * QLFS_BLKSIZE);
		memset(ob, 0, QLFS_BLKSIZE);
		ob->ino[0] = cpu_to_le32(12);
		ob->blk_count = cpu_to_le16(1);
		ob->entry_count = cpu_to_le32(1);
		cp->cp_pack_start_sum = cpu_to_le32(2);
		cp->cp_pack_total_block_count = cpu_to_le32(9);
		cp->ckpt_flags = cpu_to_le32(CP_ORPHAN_PRESENT_FLAG);
		memcpy(pk + 8 * QLFS_BLKSIZE, pk, QLFS_BLKSIZE);
		for (u32 b = 0; b < 9; b++)
			qlfs_block_seal(pk + b * QLFS_BLKSIZE, pack_addr(q, 0) + b);
		KTEST_EXPECT_EQ(t, qlfs_dev_write(&q->d, pack_addr(q, 0), pk, 9), 0);
		qlfs_free_blocks(pk, 4);
	}
	qlfs_free_blocks(blk, 0);
	kfree(m);
}

/* An orphan whose unlink did not finish, and an empty inode named by
 * nothing, are freed (QL13); the big file stays. */
static void qlfs_repair_frees_orphans_and_empty_unnamed_inodes(struct ktest *t)
{
	struct big_file bf;
	struct qt *q = qt_big(t, &bf);

	add_lone_inode(t, q, true);
	KTEST_EXPECT_EQ(t, qt_fsck(q), 0); /* an orphan is sound as it is */
	KTEST_EXPECT_EQ(t, q->r.inodes, 3);
	qt_edit_cp(t, q, 0, cp_more_inodes); /* something to repair */
	expect_repaired(t, q, 8);
	KTEST_EXPECT_EQ(t, q->r.inodes, 2); /* the orphan went with it */
	KTEST_EXPECT_EQ(t, live_nat(t, q, 12), 0);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));

	q = qt_big(t, &bf);
	add_lone_inode(t, q, false);
	expect_repaired(t, q, 13);
	KTEST_EXPECT_EQ(t, q->r.inodes, 2);
	KTEST_EXPECT_TRUE(t, big_file_intact(t, q, &bf));
}

/* Ino of @name in directory @dir's live block @k, or 0. */
static u32 live_lookup(struct ktest *t, struct qt *q, u32 dir, u32 k, const char *name)
{
	struct qlfs_dentry_block *db = (void *)q->blk;
	u32 len = strlen(name), addr = live_word(t, q, dir, I_ADDR_WORD + k);

	if (!addr)
		return 0;
	qt_read(t, q, addr);
	for (u32 s = 0; s < NR_DENTRY_IN_BLOCK; s++)
		if (qlfs_test_bit(db->dentry_bitmap, s) &&
		    le16_to_cpu(db->dentry[s].name_len) == len &&
		    !memcmp(db->filename[s], name, len))
			return le32_to_cpu(db->dentry[s].ino);
	return 0;
}

/* Inode 12, a file of one data block, and directory 13 holding "in" ->
 * file 14: 12 and 13 named by nothing (14 is named, by 13). */
static void add_lost_inodes(struct ktest *t, struct qt *q)
{
	struct img *m = kzalloc(sizeof(*m), GFP_KERNEL);
	u8 *blk = qlfs_alloc_blocks(0);
	struct qlfs_inode *in = (void *)blk;
	struct qlfs_dentry_block *db = (void *)blk;
	u32 data, dent;

	KTEST_ASSERT_TRUE(t, m && blk);
	img_load(t, q, m);
	memset(blk, 0x5a, QLFS_BLKSIZE);
	data = img_data(t, m, CURSEG_WARM_DATA, 12, 0, blk);
	memset(blk, 0, QLFS_BLKSIZE);
	in->i_mode = cpu_to_le16(QLFS_S_IFREG | 0644);
	in->i_links = cpu_to_le32(1);
	in->i_size = cpu_to_le64(QLFS_BLKSIZE);
	in->i_blocks = cpu_to_le64(2);
	in->i_addr[0] = cpu_to_le32(data);
	img_node(t, m, blk, 12, 12, 0);
	memset(blk, 0, QLFS_BLKSIZE);
	in->i_mode = cpu_to_le16(QLFS_S_IFREG | 0644);
	in->i_links = cpu_to_le32(1);
	in->i_blocks = cpu_to_le64(1);
	img_node(t, m, blk, 14, 14, 0);
	memset(blk, 0, QLFS_BLKSIZE);
	dent_put(db, 0, ".", 13, QLFS_FT_DIR);
	dent_put(db, 1, "..", QLFS_ROOT_INO, QLFS_FT_DIR);
	dent_put(db, 2, "in", 14, QLFS_FT_REG_FILE);
	dent = img_data(t, m, CURSEG_HOT_DATA, 13, 0, blk);
	memset(blk, 0, QLFS_BLKSIZE);
	in->i_mode = cpu_to_le16(QLFS_S_IFDIR | 0755);
	in->i_links = cpu_to_le32(2);
	in->i_size = cpu_to_le64(qlfs_dir_blocks(1) * QLFS_BLKSIZE);
	in->i_blocks = cpu_to_le64(2);
	in->i_current_depth = cpu_to_le32(1);
	in->i_addr[0] = cpu_to_le32(dent);
	img_node(t, m, blk, 13, 13, 0);
	img_commit(t, m);
	qlfs_free_blocks(blk, 0);
	kfree(m);
}

/* Inodes nobody names that hold something are linked into a new
 * /lost+found as "#ino" (a directory's ".." made to name it), as e2fsck
 * does; what they hold is still there. */
static void qlfs_repair_links_lost_inodes_into_lost_found(struct ktest *t)
{
	struct qt *q = qt_mkfs(t, 0);
	u32 lpf;

	add_lost_inodes(t, q);
	expect_repaired(t, q, 13);
	KTEST_EXPECT_EQ(t, q->r.inodes, 5); /* root, 12, 13, 14, lost+found */
	lpf = live_lookup(t, q, QLFS_ROOT_INO, 0, "lost+found");
	KTEST_ASSERT_NE(t, lpf, 0);
	KTEST_EXPECT_EQ(t, live_lookup(t, q, lpf, 0, "#12"), 12);
	KTEST_EXPECT_EQ(t, live_lookup(t, q, lpf, 0, "#13"), 13);
	KTEST_EXPECT_EQ(t, live_lookup(t, q, 13, 0, ".."), lpf);
	KTEST_EXPECT_EQ(t, live_lookup(t, q, 13, 0, "in"), 14);
	KTEST_EXPECT_EQ(t, live_word(t, q, lpf, 3), 3);		  /* i_links */
	KTEST_EXPECT_EQ(t, live_word(t, q, QLFS_ROOT_INO, 3), 3); /* i_links */
	KTEST_EXPECT_TRUE(t, data_is_5a(t, q, live_word(t, q, 12, I_ADDR_WORD)));
}

/*
 * Sealed random damage (as qlfs_fsck_survives_sealed_random_damage) to
 * the metadata of an image holding the big file, then -y: it answers 0,
 * 1, 4 or 8, never crashes or reads out of bounds; when it says 1 a
 * second -n is clean, and a second -y after a 4 changes nothing more
 * that a third check would object to. Seeded (`test --seed N`).
 */
static void qlfs_repair_survives_sealed_random_damage(struct ktest *t)
{
	u64 rng = ktest_seed() * 2654435761ULL + 11;
	u32 hist[4] = {0};
	struct big_file bf;

	cprintf("# seed %llu\n", (unsigned long long)ktest_seed());
	for (int round = 0; round < 24; round++) {
		struct qt *q = qt_big(t, &bf);
		u32 blocks[] = {1,
				pack_addr(q, 0),
				pack_addr(q, 0) + 1 + CURSEG_WARM_NODE,
				qlfs_sit_blkaddr(&q->l, 0, 0),
				qlfs_nat_blkaddr(&q->l, 0, 0),
				root_inode_addr(q),
				root_dent_addr(q),
				bf.node[BIG_INO],
				bf.node[BIG_IND],
				bf.node[BIG_DIND_DN]};
		u32 addr = blocks[qt_rng(&rng) % ARRAY_SIZE(blocks)];
		u32 n = 1 + qt_rng(&rng) % 16;
		int status;

		qt_read(t, q, addr);
		for (u32 i = 0; i < n; i++) {
			u64 r = qt_rng(&rng);

			q->blk[(r >> 8) % QLFS_CSUM_OFFSET] = r & 0xff;
		}
		qt_write(t, q, addr, false);
		status = qt_fsck_y(q);
		if (status == 1) {
			hist[1]++;
			KTEST_EXPECT_EQ(t, qt_fsck(q), 0);
		} else if (status == 4 || status == 0 || status == 8) {
			hist[status == 0 ? 0 : status == 4 ? 2 : 3]++;
			qt_fsck_y(q); /* again: no crash */
		} else {
			ktest_fail(t, __FILE__, __LINE__, "round %d: block %u: status %d",
				   round, addr, status);
		}
	}
	cprintf("# 24 rounds: %u clean, %u corrected, %u left, %u refused\n", hist[0],
		hist[1], hist[2], hist[3]);
	KTEST_EXPECT_GT(t, hist[1], 4); /* most damage is repaired */
}

/*
 * The negative control: damage that takes the big file with it (its inode
 * block fails its checksum: its tree cannot be read) is repaired into a
 * clean image without the file, and big_file_intact() says so.
 */
static void qlfs_repair_control_a_lost_file_is_seen(struct ktest *t)
{
	struct big_file bf;
	struct qt *q = qt_big(t, &bf);

	qt_flip(t, q, bf.node[BIG_INO], 100);
	expect_broken(t, q, 4, 9);
	KTEST_EXPECT_EQ(t, qt_fsck_y(q), 1);
	KTEST_EXPECT_EQ(t, qt_fsck(q), 0);
	KTEST_EXPECT_EQ(t, q->r.inodes, 1);
	KTEST_EXPECT_FALSE(t, big_file_intact(t, q, &bf));
}

static const struct ktest_case qlfs_format_cases[] = {
	KTEST_CASE(qlfs_layout_arithmetic_for_several_sizes),
	KTEST_CASE(qlfs_layout_refuses_bad_sizes),
	KTEST_CASE(qlfs_4gib_file_is_addressable),
	KTEST_CASE(qlfs_mkfs_then_fsck_is_clean_for_each_segment_size),
	KTEST_CASE(qlfs_mkfs_refuses_an_existing_fs_without_force),
	KTEST_CASE(qlfs_mkfs_picks_or_refuses_the_segment_size),
	KTEST_CASE(qlfs_ql1_bad_geometry_in_both_copies_is_rebuilt),
	KTEST_CASE(qlfs_ql2_one_bad_superblock_uses_the_other),
	KTEST_CASE(qlfs_ql3_no_valid_checkpoint_pack),
	KTEST_CASE(qlfs_ql3_versions_pick_the_pack),
	KTEST_CASE(qlfs_ql4_nat_entries),
	KTEST_CASE(qlfs_ql5_sit_counts_and_bits),
	KTEST_CASE(qlfs_ql6_valid_but_unowned_and_owned_twice),
	KTEST_CASE(qlfs_ql7_summary_names_another_owner),
	KTEST_CASE(qlfs_ql8_checkpoint_counts),
	KTEST_CASE(qlfs_ql9_flipped_bits_fail_checksums),
	KTEST_CASE(qlfs_ql10_inode_fields_and_pointers),
	KTEST_CASE(qlfs_ql11_directory_entries),
	KTEST_CASE(qlfs_ql12_directory_link_count),
	KTEST_CASE(qlfs_a_named_file_is_clean),
	KTEST_CASE(qlfs_ql12_file_link_count),
	KTEST_CASE(qlfs_ql13_unnamed_inode),
	KTEST_CASE(qlfs_ql14_current_segment_type_and_tail),
	KTEST_CASE(qlfs_fsck_walks_direct_indirect_and_double_indirect_nodes),
	KTEST_CASE(qlfs_fsck_checks_hash_levels_of_a_directory),
	KTEST_CASE(qlfs_fsck_survives_sealed_random_damage),
	KTEST_CASE(qlfs_repair_superblock_copy),
	KTEST_CASE(qlfs_repair_sit_and_counts),
	KTEST_CASE(qlfs_repair_leaves_the_live_pack_alone),
	KTEST_CASE(qlfs_repair_nat_garbage_and_dangling_pointers),
	KTEST_CASE(qlfs_repair_directory_entries_and_links),
	KTEST_CASE(qlfs_repair_frees_orphans_and_empty_unnamed_inodes),
	KTEST_CASE(qlfs_repair_links_lost_inodes_into_lost_found),
	KTEST_CASE(qlfs_repair_control_a_lost_file_is_seen),
	KTEST_CASE(qlfs_repair_survives_sealed_random_damage),
	KTEST_END,
};

static const struct ktest_suite qlfs_format_suite = {
	.name = "qlfs_format",
	.init = qt_init,
	.exit = qt_exit,
	.cases = qlfs_format_cases,
};
KTEST_SUITE(qlfs_format_suite);
