/*
 * fs/qlfs/dir.c - qlfs directories: dentry blocks and F2FS's multi-level
 * hash table (Linux's fs/f2fs/dir.c).
 *
 * Layer: fs (qlfs, the namespace/data half). Used by: namei.c (lookup,
 * create, link, unlink, rename), the directory file_operations, the
 * `qlfs_dir` suite (the block functions, no mount).
 * Provides: the dentry-block functions of qlfs_data.h (qlfs_dblock_*),
 * qlfs_find_entry(), qlfs_add_link(), qlfs_delete_entry(),
 * qlfs_set_link(), qlfs_make_empty(), qlfs_empty_dir(), qlfs_inode_by_name(),
 * qlfs_dir_operations.
 * Not here: reading and writing the directory's blocks (data.c's
 * address_space_operations: a directory's data pages are checksummed
 * dentry blocks, verified at read and sealed at write).
 *
 * Format (docs/qlfs-format.md "Directories"): level n of the table has 2^n
 * buckets of 2 blocks; a name with hash h lives in bucket h mod 2^n of one
 * level n < i_current_depth. A lookup reads one bucket per level (at most
 * 2 x depth blocks); an insertion tries levels 0, 1, ... and adds a level
 * when the bucket of every level is full. Entries never move, so readdir's
 * position (block x 213 + slot) is stable across insertions and deletions.
 *
 * Invariants (QD = qlfs directory, in memory; fsck's QL11 on disk):
 *  QD1: a directory's i_size is 4096 x 2(2^depth - 1) for its
 *       i_current_depth; no block past it is ever read or written.
 *  QD2: a dentry block is changed only with its folio locked and out of
 *       writeback (its checksum is sealed at submit over a stable page),
 *       then marked dirty; its block was reserved first (NEW_ADDR, QM2).
 *  QD3: a block read from disk is never trusted: every entry is checked
 *       (qlfs_dentry_slots_ok()) before its name is read; a malformed one
 *       is skipped and reported once (qlfs_handle_error()).
 *
 * Locking: the VFS's i_rwsem on the directory (exclusive for changes,
 * shared for readdir and lookup's callers), then qlfs_lock_op() around
 * every change (QM4, the caller's in namei.c), then one dentry folio lock
 * at a time.
 */
#include <quire/dcache.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/syscalls.h>
#include "qlfs_data.h"

/* ---- dentry blocks: pure functions ---- */

static bool slot_used(const struct qlfs_dentry_block *db, u32 slot)
{
	return qlfs_test_bit(db->dentry_bitmap, slot);
}

static void slot_clear(struct qlfs_dentry_block *db, u32 slot)
{
	db->dentry_bitmap[slot / 8] &= ~(1u << (slot % 8));
}

u32 qlfs_dentry_slots_ok(const struct qlfs_dentry_block *db, u32 slot)
{
	u32 len = le16_to_cpu(db->dentry[slot].name_len);
	u32 n = qlfs_name_slots(len);

	if (len == 0 || len > QLFS_NAME_LEN || slot + n > NR_DENTRY_IN_BLOCK)
		return 0;
	for (u32 s = slot; s < slot + n; s++)
		if (!slot_used(db, s))
			return 0;
	return n;
}

/* The first whole entry at or after slot @s, which is not inside a name
 * (slot 0, or just past a whole entry): -ENOENT when none. */
static int dblock_walk(const struct qlfs_dentry_block *db, u32 s, u32 from, u32 *bad)
{
	while (s < NR_DENTRY_IN_BLOCK) {
		u32 n;

		if (!slot_used(db, s)) {
			s++;
			continue;
		}
		n = qlfs_dentry_slots_ok(db, s);
		if (!n) {
			(*bad)++;
			s++;
			continue;
		}
		if (s >= from)
			return s;
		s += n;
	}
	return -ENOENT;
}

int qlfs_dblock_next(const struct qlfs_dentry_block *db, u32 from, u32 *bad)
{
	return dblock_walk(db, 0, from, bad);
}

int qlfs_dblock_find(const struct qlfs_dentry_block *db, const u8 *name, u32 len,
		     u32 hash, u32 *bad)
{
	int s = 0;

	while ((s = dblock_walk(db, s, s, bad)) >= 0) {
		const struct qlfs_dir_entry *de = &db->dentry[s];

		if (le32_to_cpu(de->hash_code) == hash &&
		    le16_to_cpu(de->name_len) == len &&
		    !memcmp(db->filename[s], name, len))
			return s;
		s += qlfs_name_slots(le16_to_cpu(de->name_len));
	}
	return -ENOENT;
}

int qlfs_dblock_room(const struct qlfs_dentry_block *db, u32 nslots)
{
	u32 run = 0;

	for (u32 s = 0; s < NR_DENTRY_IN_BLOCK; s++) {
		run = slot_used(db, s) ? 0 : run + 1;
		if (run == nslots)
			return s + 1 - nslots;
	}
	return -ENOSPC;
}

void qlfs_dblock_fill(struct qlfs_dentry_block *db, u32 slot, const u8 *name, u32 len,
		      u32 hash, u32 ino, u8 file_type)
{
	u32 n = qlfs_name_slots(len);
	struct qlfs_dir_entry *de = &db->dentry[slot];

	de->hash_code = cpu_to_le32(hash);
	de->ino = cpu_to_le32(ino);
	de->name_len = cpu_to_le16(len);
	de->file_type = file_type;
	memset(db->filename[slot], 0, (size_t)n * QLFS_SLOT_LEN);
	memcpy(db->filename[slot], name, len);
	for (u32 s = slot; s < slot + n; s++) {
		qlfs_set_bit(db->dentry_bitmap, s);
		if (s != slot)
			memset(&db->dentry[s], 0, sizeof(db->dentry[s]));
	}
}

void qlfs_dblock_clear(struct qlfs_dentry_block *db, u32 slot)
{
	u32 n = qlfs_name_slots(le16_to_cpu(db->dentry[slot].name_len));

	for (u32 s = slot; s < slot + n && s < NR_DENTRY_IN_BLOCK; s++) {
		slot_clear(db, s);
		memset(&db->dentry[s], 0, sizeof(db->dentry[s]));
		memset(db->filename[s], 0, QLFS_SLOT_LEN);
	}
}

void qlfs_dblock_make_dots(struct qlfs_dentry_block *db, u32 ino, u32 parent)
{
	memset(db, 0, sizeof(*db));
	qlfs_dblock_fill(db, 0, (const u8 *)".", 1, 0, ino, QLFS_FT_DIR);
	qlfs_dblock_fill(db, 1, (const u8 *)"..", 2, 0, parent, QLFS_FT_DIR);
}

bool qlfs_dblock_is_empty(const struct qlfs_dentry_block *db, bool first)
{
	for (u32 s = first ? 2 : 0; s < NR_DENTRY_IN_BLOCK; s++)
		if (slot_used(db, s))
			return false;
	return true;
}

u8 qlfs_mode_to_ftype(umode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return QLFS_FT_REG_FILE;
	case S_IFDIR:
		return QLFS_FT_DIR;
	case S_IFCHR:
		return QLFS_FT_CHRDEV;
	case S_IFBLK:
		return QLFS_FT_BLKDEV;
	case S_IFIFO:
		return QLFS_FT_FIFO;
	case S_IFSOCK:
		return QLFS_FT_SOCK;
	case S_IFLNK:
		return QLFS_FT_SYMLINK;
	}
	return QLFS_FT_UNKNOWN;
}

unsigned int qlfs_ftype_to_dtype(u8 ftype)
{
	static const u8 dt[QLFS_FT_MAX] = {
		[QLFS_FT_REG_FILE] = 8, [QLFS_FT_DIR] = 4,  [QLFS_FT_CHRDEV] = 2,
		[QLFS_FT_BLKDEV] = 6,	[QLFS_FT_FIFO] = 1, [QLFS_FT_SOCK] = 12,
		[QLFS_FT_SYMLINK] = 10,
	};

	return ftype < QLFS_FT_MAX ? dt[ftype] : 0; /* DT_UNKNOWN */
}
