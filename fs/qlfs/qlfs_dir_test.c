/*
 * fs/qlfs/qlfs_dir_test.c - KTAP suite `qlfs_dir`: qlfs's dentry blocks and
 * the hash levels' arithmetic (fs/qlfs/dir.c), no mount needed: names of
 * every slot count, a block filled to the last slot, deletion and reuse,
 * readdir's walk never starting inside a name, hostile blocks (lengths of
 * 0 and over 255, names running past the block or into free slots) that
 * are skipped and counted without an out-of-bounds read, and the bucket
 * numbering checked against fsck's inverse.
 */
#include <quire/ktest.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/slab.h>
#include <quire/printk.h>
#include "qlfs_data.h"

static struct qlfs_dentry_block *new_block(struct ktest *t)
{
	struct qlfs_dentry_block *db = kzalloc(sizeof(*db), GFP_KERNEL);

	KTEST_ASSERT_NOT_NULL(t, db);
	t->priv = db;
	return db;
}

static int qd_init(struct ktest *t)
{
	t->priv = NULL;
	return 0;
}

static void qd_exit(struct ktest *t)
{
	kfree(t->priv);
}

static int find(const struct qlfs_dentry_block *db, const char *name, u32 *bad)
{
	u32 len = strlen(name);

	return qlfs_dblock_find(db, (const u8 *)name, len,
				qlfs_dentry_hash((const u8 *)name, len), bad);
}

/* Add @name where there is room; its slot, or -ENOSPC. */
static int add(struct qlfs_dentry_block *db, const char *name, u32 ino)
{
	u32 len = strlen(name);
	int s = qlfs_dblock_room(db, qlfs_name_slots(len));

	if (s >= 0)
		qlfs_dblock_fill(db, s, (const u8 *)name, len,
				 qlfs_dentry_hash((const u8 *)name, len), ino,
				 QLFS_FT_REG_FILE);
	return s;
}

static void qlfs_dir_dots_make_an_empty_block(struct ktest *t)
{
	struct qlfs_dentry_block *db = new_block(t);
	u32 bad = 0;

	qlfs_dblock_make_dots(db, 7, 3);
	KTEST_EXPECT_EQ(t, find(db, ".", &bad), 0);
	KTEST_EXPECT_EQ(t, find(db, "..", &bad), 1);
	KTEST_EXPECT_EQ(t, le32_to_cpu(db->dentry[0].ino), 7);
	KTEST_EXPECT_EQ(t, le32_to_cpu(db->dentry[1].ino), 3);
	KTEST_EXPECT_EQ(t, le32_to_cpu(db->dentry[1].hash_code), 0);
	KTEST_EXPECT_TRUE(t, qlfs_dblock_is_empty(db, true));
	KTEST_EXPECT_FALSE(t, qlfs_dblock_is_empty(db, false));
	KTEST_EXPECT_EQ(t, add(db, "a", 9), 2);
	KTEST_EXPECT_FALSE(t, qlfs_dblock_is_empty(db, true));
	KTEST_EXPECT_EQ(t, bad, 0);
}

/* Names of 1..255 bytes take ceil(len / 8) slots and are found again. */
static void qlfs_dir_names_of_every_length_round_trip(struct ktest *t)
{
	static const u32 lens[] = {1, 7, 8, 9, 16, 17, 100, 254, 255};
	struct qlfs_dentry_block *db = new_block(t);
	char name[QLFS_NAME_LEN + 1];
	u32 bad = 0;

	for (u32 i = 0; i < ARRAY_SIZE(lens); i++) {
		int s;

		memset(db, 0, sizeof(*db));
		memset(name, 'a' + i, lens[i]);
		name[lens[i]] = '\0';
		s = add(db, name, 100 + i);
		KTEST_EXPECT_EQ(t, s, 0);
		KTEST_EXPECT_EQ(t, qlfs_dentry_slots_ok(db, 0), qlfs_name_slots(lens[i]));
		KTEST_EXPECT_EQ(t, find(db, name, &bad), 0);
		/* the next free slot is right after its last one */
		KTEST_EXPECT_EQ(t, qlfs_dblock_room(db, 1),
				(int)qlfs_name_slots(lens[i]));
		name[lens[i] - 1] ^= 1; /* one byte off: not found */
		KTEST_EXPECT_EQ(t, find(db, name, &bad), -ENOENT);
	}
	KTEST_EXPECT_EQ(t, bad, 0);
}

/* 211 one-slot names fill a block after "." and ".."; the 212th finds no
 * room; deleting one makes room for exactly one slot there. */
static void qlfs_dir_block_fills_to_the_last_slot(struct ktest *t)
{
	struct qlfs_dentry_block *db = new_block(t);
	char name[16];
	u32 bad = 0;

	qlfs_dblock_make_dots(db, 3, 3);
	for (u32 i = 0; i < NR_DENTRY_IN_BLOCK - 2; i++) {
		scnprintf(name, sizeof(name), "f%u", i);
		KTEST_ASSERT_EQ(t, add(db, name, 10 + i), (int)i + 2);
	}
	KTEST_EXPECT_EQ(t, add(db, "full", 1), -ENOSPC);
	for (u32 i = 0; i < NR_DENTRY_IN_BLOCK - 2; i++) {
		scnprintf(name, sizeof(name), "f%u", i);
		KTEST_EXPECT_EQ(t, find(db, name, &bad), (int)i + 2);
	}
	KTEST_EXPECT_EQ(t, find(db, "f100", &bad), 102);
	qlfs_dblock_clear(db, 102);
	KTEST_EXPECT_EQ(t, find(db, "f100", &bad), -ENOENT);
	KTEST_EXPECT_EQ(t, qlfs_dblock_room(db, 2), -ENOSPC);
	KTEST_EXPECT_EQ(t, add(db, "new", 5), 102);
	KTEST_EXPECT_EQ(t, bad, 0);
	/* bits past slot 213 are never set */
	KTEST_EXPECT_EQ(t, db->dentry_bitmap[SIZE_OF_DENTRY_BITMAP - 1] & 0xe0, 0);
}

/* Deleting a long name frees all its slots; a shorter one reuses them. */
static void qlfs_dir_delete_frees_every_slot_of_a_name(struct ktest *t)
{
	struct qlfs_dentry_block *db = new_block(t);
	char name[41];
	u32 bad = 0;

	memset(name, 'x', 40);
	name[40] = '\0';
	KTEST_EXPECT_EQ(t, add(db, "a", 1), 0);
	KTEST_EXPECT_EQ(t, add(db, name, 2), 1); /* slots 1..5 */
	KTEST_EXPECT_EQ(t, add(db, "b", 3), 6);
	qlfs_dblock_clear(db, 1);
	for (u32 s = 1; s < 6; s++)
		KTEST_EXPECT_FALSE(t, qlfs_test_bit(db->dentry_bitmap, s));
	KTEST_EXPECT_EQ(t, qlfs_dblock_room(db, 5), 1);
	KTEST_EXPECT_EQ(t, qlfs_dblock_room(db, 6), 7);
	KTEST_EXPECT_EQ(t, add(db, "0123456789abcdef0123", 4), 1); /* 3 slots */
	KTEST_EXPECT_EQ(t, find(db, "b", &bad), 6);
	KTEST_EXPECT_EQ(t, find(db, name, &bad), -ENOENT);
	KTEST_EXPECT_EQ(t, bad, 0);
}

/* readdir's walk: each entry once, in slot order, and a position inside
 * a name (a continuation slot) goes to the next whole entry. */
static void qlfs_dir_next_never_starts_inside_a_name(struct ktest *t)
{
	struct qlfs_dentry_block *db = new_block(t);
	u32 bad = 0;
	int s;

	qlfs_dblock_make_dots(db, 3, 3);
	KTEST_EXPECT_EQ(t, add(db, "a-name-of-24-bytes-long!", 4), 2); /* 2..4 */
	KTEST_EXPECT_EQ(t, add(db, "z", 5), 5);
	KTEST_EXPECT_EQ(t, qlfs_dblock_next(db, 0, &bad), 0);
	KTEST_EXPECT_EQ(t, qlfs_dblock_next(db, 1, &bad), 1);
	KTEST_EXPECT_EQ(t, qlfs_dblock_next(db, 2, &bad), 2);
	KTEST_EXPECT_EQ(t, qlfs_dblock_next(db, 3, &bad), 5);
	KTEST_EXPECT_EQ(t, qlfs_dblock_next(db, 4, &bad), 5);
	KTEST_EXPECT_EQ(t, qlfs_dblock_next(db, 6, &bad), -ENOENT);
	/* a continuation slot whose entry bytes look like a name is still
	 * not an entry */
	db->dentry[3].name_len = cpu_to_le16(1);
	db->dentry[3].ino = cpu_to_le32(99);
	s = qlfs_dblock_next(db, 3, &bad);
	KTEST_EXPECT_EQ(t, s, 5);
	KTEST_EXPECT_EQ(t, bad, 0);
}

/* QD3: hostile blocks. Each malformed entry is skipped and counted; the
 * whole entries around it are still found; nothing is read out of bounds
 * (ASan would say so in the asan jobs). */
static void qlfs_dir_malformed_entries_are_skipped_and_counted(struct ktest *t)
{
	struct qlfs_dentry_block *db = new_block(t);
	u32 bad = 0;

	KTEST_EXPECT_EQ(t, add(db, "good", 1), 0);
	/* slot 1: length 0 */
	qlfs_set_bit(db->dentry_bitmap, 1);
	/* slot 2: length 300 */
	qlfs_set_bit(db->dentry_bitmap, 2);
	db->dentry[2].name_len = cpu_to_le16(300);
	/* slot 3: 16 bytes claimed, slot 4 free */
	qlfs_set_bit(db->dentry_bitmap, 3);
	db->dentry[3].name_len = cpu_to_le16(16);
	/* slots 5, 6: a whole entry after the free slot 4 */
	qlfs_dblock_fill(db, 5, (const u8 *)"also-good", 9,
			 qlfs_dentry_hash((const u8 *)"also-good", 9), 2,
			 QLFS_FT_REG_FILE);
	/* slot 212, the last: 255 bytes would run past the block */
	qlfs_set_bit(db->dentry_bitmap, 212);
	db->dentry[212].name_len = cpu_to_le16(255);

	KTEST_EXPECT_EQ(t, qlfs_dentry_slots_ok(db, 1), 0);
	KTEST_EXPECT_EQ(t, qlfs_dentry_slots_ok(db, 2), 0);
	KTEST_EXPECT_EQ(t, qlfs_dentry_slots_ok(db, 3), 0);
	KTEST_EXPECT_EQ(t, qlfs_dentry_slots_ok(db, 212), 0);
	KTEST_EXPECT_EQ(t, find(db, "good", &bad), 0);
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, find(db, "also-good", &bad), 5);
	KTEST_EXPECT_EQ(t, bad, 3);
	bad = 0;
	KTEST_EXPECT_EQ(t, find(db, "missing", &bad), -ENOENT);
	KTEST_EXPECT_EQ(t, bad, 4);
	/* a malformed slot is in use: room never hands it out */
	KTEST_EXPECT_EQ(t, qlfs_dblock_room(db, 1), 4);
	KTEST_EXPECT_EQ(t, qlfs_dblock_room(db, 2), 7);
}

/* The bucket numbering against fsck's inverse (fs/qlfs/fsck.c
 * check_dentry_block: level from the block index), for every level. */
static void qlfs_dir_bucket_blocks_match_fsck_numbering(struct ktest *t)
{
	u64 expect = 0;

	for (u32 level = 0; level < QLFS_MAX_DIR_HASH_DEPTH; level++) {
		for (u64 b = 0;
		     b<qlfs_dir_level_buckets(level); b += level> 10 ? 997 : 1) {
			u64 idx = qlfs_dir_bucket_block(level, b);
			u64 j = idx / 2, lv = 0;

			while ((2ULL << lv) - 1 <= j)
				lv++;
			KTEST_ASSERT_EQ(t, lv, level);
			KTEST_ASSERT_EQ(t, j + 1 - (1ULL << lv), b);
		}
		KTEST_EXPECT_EQ(t, qlfs_dir_bucket_block(level, 0), expect);
		expect += QLFS_DIR_BUCKET_BLOCKS * qlfs_dir_level_buckets(level);
		/* the levels so far fill exactly i_size's blocks (QD1) */
		KTEST_EXPECT_EQ(t, expect, qlfs_dir_blocks(level + 1));
	}
}

/* How deep does a directory of 100 000 names go? Simulated with slot
 * counts only (the same first-fit by level as qlfs_add_link()): 8 or 9
 * levels, so a miss reads at most 18 blocks, not hundreds. */
static void qlfs_dir_100000_names_need_few_levels(struct ktest *t)
{
	const u32 depth_max = 12, n = 100000;
	u64 nblocks = qlfs_dir_blocks(depth_max);
	u16 *used = kzalloc(nblocks * sizeof(*used), GFP_KERNEL);
	u32 depth = 1, placed = 0;
	char name[24];

	KTEST_ASSERT_NOT_NULL(t, used);
	used[0] = 2; /* "." and ".." */
	for (u32 i = 0; i < n; i++) {
		u32 len = scnprintf(name, sizeof(name), "file-%u", i);
		u32 h = qlfs_dentry_hash((const u8 *)name, len),
		    slots = qlfs_name_slots(len);
		bool done = false;

		for (u32 level = 0; !done && level < depth_max; level++) {
			u64 blk = qlfs_dir_bucket_block(
				level, h % qlfs_dir_level_buckets(level));

			if (level == depth)
				depth++;
			for (u32 k = 0; k < QLFS_DIR_BUCKET_BLOCKS && !done; k++)
				if (used[blk + k] + slots <= NR_DENTRY_IN_BLOCK) {
					used[blk + k] += slots;
					done = true;
				}
		}
		if (!done)
			break;
		placed++;
	}
	kfree(used);
	KTEST_EXPECT_EQ(t, placed, n);
	KTEST_EXPECT_GE(t, depth, 8);
	KTEST_EXPECT_LE(t, depth, 10);
}

static const struct ktest_case qlfs_dir_cases[] = {
	KTEST_CASE(qlfs_dir_dots_make_an_empty_block),
	KTEST_CASE(qlfs_dir_names_of_every_length_round_trip),
	KTEST_CASE(qlfs_dir_block_fills_to_the_last_slot),
	KTEST_CASE(qlfs_dir_delete_frees_every_slot_of_a_name),
	KTEST_CASE(qlfs_dir_next_never_starts_inside_a_name),
	KTEST_CASE(qlfs_dir_malformed_entries_are_skipped_and_counted),
	KTEST_CASE(qlfs_dir_bucket_blocks_match_fsck_numbering),
	KTEST_CASE(qlfs_dir_100000_names_need_few_levels),
	KTEST_END,
};

static const struct ktest_suite qlfs_dir_suite = {
	.name = "qlfs_dir",
	.init = qd_init,
	.exit = qd_exit,
	.cases = qlfs_dir_cases,
};
KTEST_SUITE(qlfs_dir_suite);
