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

static inline bool slot_used(const struct qlfs_dentry_block *db, u32 slot)
{
	return qlfs_test_bit(db->dentry_bitmap, slot);
}

static void slot_clear(struct qlfs_dentry_block *db, u32 slot)
{
	db->dentry_bitmap[slot / 8] &= ~(1u << (slot % 8));
}

/* qlfs_dentry_slots_ok(), inlined in the walks (lookups scan thousands of
 * entries per call in a large directory). */
static inline u32 entry_slots(const struct qlfs_dentry_block *db, u32 slot)
{
	u32 len = le16_to_cpu(db->dentry[slot].name_len);
	u32 n = (len + QLFS_SLOT_LEN - 1) / QLFS_SLOT_LEN;

	if (len == 0 || len > QLFS_NAME_LEN || slot + n > NR_DENTRY_IN_BLOCK)
		return 0;
	for (u32 s = slot + 1; s < slot + n; s++)
		if (!slot_used(db, s))
			return 0;
	return n;
}

u32 qlfs_dentry_slots_ok(const struct qlfs_dentry_block *db, u32 slot)
{
	if (!slot_used(db, slot))
		return 0;
	return entry_slots(db, slot);
}

int qlfs_dblock_walk(const struct qlfs_dentry_block *db, u32 s, u32 from, u32 *bad)
{
	while (s < NR_DENTRY_IN_BLOCK) {
		u32 n;

		if (!db->dentry_bitmap[s / 8]) { /* 8 free slots */
			s = (s | 7) + 1;
			continue;
		}
		if (!slot_used(db, s)) {
			s++;
			continue;
		}
		n = entry_slots(db, s);
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
	return qlfs_dblock_walk(db, 0, from, bad);
}

int qlfs_dblock_find(const struct qlfs_dentry_block *db, const u8 *name, u32 len,
		     u32 hash, u32 *bad)
{
	int s = 0;

	while ((s = qlfs_dblock_walk(db, s, s, bad)) >= 0) {
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

/* ---- a directory's dentry blocks in its page cache ---- */

/* The depth, checked (QL11: 1..20) since it came from disk. */
static int dir_depth(struct inode *dir, u32 *depth)
{
	*depth = QLFS_I(dir)->i_current_depth;
	if (*depth >= 1 && *depth <= QLFS_MAX_DIR_HASH_DEPTH)
		return 0;
	qlfs_msg(QLFS_I_SB(dir), "directory %lu: depth %u out of range", dir->i_ino,
		 *depth);
	qlfs_handle_error(QLFS_I_SB(dir), "directory depth");
	return -EUCLEAN;
}

static struct qlfs_dentry_block *dblock(struct folio *folio)
{
	return folio_address(folio);
}

/* QD3: a malformed entry was skipped in block @index of @dir. */
static void report_bad_entries(struct inode *dir, pgoff_t index, u32 bad)
{
	if (!bad)
		return;
	qlfs_msg(QLFS_I_SB(dir), "directory %lu block %lu: %u malformed entries",
		 dir->i_ino, (unsigned long)index, bad);
	qlfs_handle_error(QLFS_I_SB(dir), "malformed directory entry");
}

/* Block @index of @dir, uptodate and referenced (a hole reads empty). */
static struct folio *dir_get_folio(struct inode *dir, pgoff_t index)
{
	return read_mapping_folio(dir->i_mapping, index, NULL);
}

/* The same, locked and out of writeback, for a change (QD2). */
static struct folio *dir_lock_folio(struct inode *dir, pgoff_t index)
{
	struct folio *folio;

	for (;;) {
		folio = dir_get_folio(dir, index);
		if (IS_ERR(folio))
			return folio;
		folio_lock(folio);
		if (folio->mapping == dir->i_mapping && folio_test_uptodate(folio))
			break;
		folio_unlock(folio); /* truncated or dropped meanwhile */
		folio_put(folio);
	}
	folio_wait_writeback(folio);
	return folio;
}

void qlfs_put_dir_slot(struct qlfs_dir_slot *res)
{
	if (res->folio)
		folio_put(res->folio);
	res->folio = NULL;
}

static int find_in_level(struct inode *dir, u32 level, const u8 *name, u32 len, u32 hash,
			 struct qlfs_dir_slot *res)
{
	u64 bidx = qlfs_dir_bucket_block(level, hash % qlfs_dir_level_buckets(level));

	for (u32 k = 0; k < QLFS_DIR_BUCKET_BLOCKS; k++) {
		struct folio *folio = dir_get_folio(dir, bidx + k);
		u32 bad = 0;
		int s;

		if (IS_ERR(folio))
			return PTR_ERR(folio);
		QLFS_I(dir)->dentry_blocks_searched++;
		s = qlfs_dblock_find(dblock(folio), name, len, hash, &bad);
		report_bad_entries(dir, bidx + k, bad);
		if (s >= 0) {
			res->folio = folio;
			res->slot = s;
			res->ino = le32_to_cpu(dblock(folio)->dentry[s].ino);
			res->file_type = dblock(folio)->dentry[s].file_type;
			return 0;
		}
		folio_put(folio);
	}
	return -ENOENT;
}

int qlfs_find_entry(struct inode *dir, const u8 *name, u32 len, struct qlfs_dir_slot *res)
{
	u32 hash = qlfs_dentry_hash(name, len), depth;
	int err = dir_depth(dir, &depth);

	res->folio = NULL;
	if (err)
		return err;
	for (u32 level = 0; level < depth; level++) {
		err = find_in_level(dir, level, name, len, hash, res);
		if (err != -ENOENT)
			return err;
	}
	return -ENOENT;
}

/* Store the entry in the first block of its bucket at @level with room:
 * 0, BUCKET_FULL when both are full, or -errno (-ENOSPC: no block). */
#define BUCKET_FULL 1
static int add_in_level(struct inode *dir, u32 level, const u8 *name, u32 len, u32 hash,
			struct inode *inode)
{
	u64 bidx = qlfs_dir_bucket_block(level, hash % qlfs_dir_level_buckets(level));
	u32 nslots = qlfs_name_slots(len);

	for (u32 k = 0; k < QLFS_DIR_BUCKET_BLOCKS; k++) {
		struct folio *folio = dir_lock_folio(dir, bidx + k);
		int s, err;

		if (IS_ERR(folio))
			return PTR_ERR(folio);
		s = qlfs_dblock_room(dblock(folio), nslots);
		if (s >= 0) {
			err = qlfs_reserve_data_block(dir, bidx + k, NULL); /* QD2 */
			if (!err) {
				qlfs_dblock_fill(dblock(folio), s, name, len, hash,
						 inode->i_ino,
						 qlfs_mode_to_ftype(inode->i_mode));
				folio_mark_dirty(folio);
			}
			folio_unlock(folio);
			folio_put(folio);
			return err;
		}
		folio_unlock(folio);
		folio_put(folio);
	}
	return BUCKET_FULL;
}

/* @dir's depth, i_size (QD1) and times into its node. */
static void dir_changed(struct inode *dir, u32 depth)
{
	if (depth != QLFS_I(dir)->i_current_depth) {
		QLFS_I(dir)->i_current_depth = depth;
		i_size_write(dir, qlfs_dir_blocks(depth) * QLFS_BLKSIZE);
	}
	inode_touch_mctime(dir);
	qlfs_update_inode(dir);
}

int qlfs_add_link(struct inode *dir, const u8 *name, u32 len, struct inode *inode)
{
	u32 hash = qlfs_dentry_hash(name, len), depth;
	int err = dir_depth(dir, &depth);

	if (err)
		return err;
	if (len == 0 || len > QLFS_NAME_LEN)
		return -ENAMETOOLONG;
	for (u32 level = 0;; level++) {
		if (level == depth) {
			if (depth == QLFS_MAX_DIR_HASH_DEPTH)
				return -ENOSPC;
			depth++; /* a new level (F2FS's f2fs_add_regular_entry) */
		}
		err = add_in_level(dir, level, name, len, hash, inode);
		if (err != BUCKET_FULL)
			break;
	}
	if (!err)
		dir_changed(dir, depth);
	return err;
}

int qlfs_delete_entry(struct inode *dir, struct qlfs_dir_slot *res)
{
	struct folio *folio = res->folio;

	folio_lock(folio);
	folio_wait_writeback(folio);
	if (folio->mapping != dir->i_mapping ||
	    !qlfs_dentry_slots_ok(dblock(folio), res->slot)) {
		folio_unlock(folio);
		return -EIO; /* QD3 */
	}
	qlfs_dblock_clear(dblock(folio), res->slot);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	dir_changed(dir, QLFS_I(dir)->i_current_depth);
	return 0;
}

int qlfs_set_link(struct inode *dir, struct qlfs_dir_slot *res, struct inode *inode)
{
	struct folio *folio = res->folio;
	struct qlfs_dir_entry *de;

	folio_lock(folio);
	folio_wait_writeback(folio);
	if (folio->mapping != dir->i_mapping ||
	    !qlfs_dentry_slots_ok(dblock(folio), res->slot)) {
		folio_unlock(folio);
		return -EIO;
	}
	de = &dblock(folio)->dentry[res->slot];
	de->ino = cpu_to_le32(inode->i_ino);
	de->file_type = qlfs_mode_to_ftype(inode->i_mode);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	res->ino = inode->i_ino;
	dir_changed(dir, QLFS_I(dir)->i_current_depth);
	return 0;
}

int qlfs_set_dotdot(struct inode *dir, struct inode *parent)
{
	struct qlfs_dir_slot res;
	int err = qlfs_find_entry(dir, (const u8 *)"..", 2, &res);

	if (err)
		return err == -ENOENT ? -EUCLEAN : err;
	err = qlfs_set_link(dir, &res, parent);
	qlfs_put_dir_slot(&res);
	return err;
}

int qlfs_make_empty(struct inode *inode, struct inode *parent)
{
	struct folio *folio;
	int err;

	err = qlfs_reserve_data_block(inode, 0, NULL);
	if (err)
		return err;
	folio = __filemap_get_folio(inode->i_mapping, 0, FGP_LOCK | FGP_CREAT | FGP_WRITE,
				    inode->i_mapping->gfp_mask);
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	folio_wait_writeback(folio);
	qlfs_dblock_make_dots(dblock(folio), inode->i_ino, parent->i_ino);
	folio_mark_uptodate(folio);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	folio_put(folio);
	QLFS_I(inode)->i_current_depth = 1;
	i_size_write(inode, qlfs_dir_blocks(1) * QLFS_BLKSIZE);
	return 0;
}

/* Is block @index of @dir a hole? (read nothing for it then) */
static bool dir_block_is_hole(struct inode *dir, pgoff_t index)
{
	u32 blkaddr;

	/* a block given an entry is NEW_ADDR at least (QD2) */
	return !qlfs_data_blkaddr_of(dir, index, &blkaddr) && blkaddr == NULL_ADDR;
}

bool qlfs_empty_dir(struct inode *dir)
{
	u64 nblocks = i_size_read(dir) >> QLFS_BLKSIZE_BITS;

	for (u64 n = 0; n < nblocks; n++) {
		struct folio *folio;
		bool empty;

		if (n && dir_block_is_hole(dir, n))
			continue;
		folio = dir_get_folio(dir, n);
		if (IS_ERR(folio))
			return false;
		empty = qlfs_dblock_is_empty(dblock(folio), n == 0);
		folio_put(folio);
		if (!empty)
			return false;
	}
	return true;
}

/* ---- readdir ---- */

/* Positions: block x NR_DENTRY_IN_BLOCK + slot, stable since entries
 * never move (F2FS's). */
static int qlfs_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *dir = file_inode(file);
	u64 nblocks = i_size_read(dir) >> QLFS_BLKSIZE_BITS;
	u32 depth;
	int err = dir_depth(dir, &depth);

	if (err)
		return err;
	if (ctx->pos < 0)
		return -EINVAL;
	for (u64 n = ctx->pos / NR_DENTRY_IN_BLOCK; n < nblocks; n++) {
		u32 from = ctx->pos / NR_DENTRY_IN_BLOCK == n ?
				   ctx->pos % NR_DENTRY_IN_BLOCK :
				   0;
		struct qlfs_dentry_block *db;
		struct folio *folio;
		u32 bad = 0;
		int s;

		if (n && dir_block_is_hole(dir, n)) {
			ctx->pos = (n + 1) * NR_DENTRY_IN_BLOCK;
			continue;
		}
		folio = dir_get_folio(dir, n);
		if (IS_ERR(folio))
			return PTR_ERR(folio);
		db = dblock(folio);
		for (s = qlfs_dblock_next(db, from, &bad); s >= 0;
		     s = qlfs_dblock_walk(db, s + qlfs_dentry_slots_ok(db, s), 0, &bad)) {
			const struct qlfs_dir_entry *de = &db->dentry[s];

			ctx->pos = n * NR_DENTRY_IN_BLOCK + s;
			if (!dir_emit(ctx, (const char *)db->filename[s],
				      le16_to_cpu(de->name_len), le32_to_cpu(de->ino),
				      qlfs_ftype_to_dtype(de->file_type))) {
				folio_put(folio);
				return 0;
			}
		}
		report_bad_entries(dir, n, bad);
		folio_put(folio);
		ctx->pos = (n + 1) * NR_DENTRY_IN_BLOCK;
		cond_resched();
	}
	return 0;
}

/* SEEK_SET and SEEK_CUR to a position readdir gave (or 0); -EINVAL for
 * the others, as the VFS's dcache directories answer. */
static loff_t qlfs_dir_llseek(struct file *file, loff_t offset, int whence)
{
	if (whence != SEEK_SET && whence != SEEK_CUR)
		return -EINVAL;
	return generic_file_llseek_size(file, offset, whence, LLONG_MAX, 0);
}

const struct file_operations qlfs_dir_operations = {
	.llseek = qlfs_dir_llseek,
	.iterate_shared = qlfs_readdir,
	.fsync = qlfs_fsync,
};
