/*
 * fs/qlfs/qlfs_data.h - the namespace/data half's own interfaces: what
 * data.c, file.c, dir.c and namei.c call in each other, and the pure
 * dentry-block functions the `qlfs_dir` suite tests without a mount.
 * What the other half calls is in qlfs_mount.h ("data half" section).
 *
 * Layer: fs (qlfs). Used by: fs/qlfs/{data,file,dir,namei}.c and their
 * tests.
 */
#ifndef FS_QLFS_QLFS_DATA_H
#define FS_QLFS_QLFS_DATA_H

#include "qlfs_mount.h"

/* ---- dentry blocks (dir.c): pure functions on one 4 KiB block ---- */

/* Slots a name of @len bytes takes (docs/qlfs-format.md "Directories"). */
static inline u32 qlfs_name_slots(u32 len)
{
	return DIV_ROUND_UP(len, QLFS_SLOT_LEN);
}

/* Buckets of hash level @level, and the first directory block of its
 * bucket @bucket (F2FS's dir_buckets()/dir_block_index()). */
static inline u64 qlfs_dir_level_buckets(u32 level)
{
	return 1ULL << level;
}

static inline u64 qlfs_dir_bucket_block(u32 level, u64 bucket)
{
	return QLFS_DIR_BUCKET_BLOCKS * ((1ULL << level) - 1 + bucket);
}

/* The slots the entry starting at @slot of @db takes, or 0 when the
 * entry is malformed (length 0 or over 255, running past the block or
 * into a free slot): the block came from disk and is not trusted. */
u32 qlfs_dentry_slots_ok(const struct qlfs_dentry_block *db, u32 slot);
/* The slot of the entry named @name (@len bytes, hash @hash) in @db, or
 * -ENOENT. Malformed entries are skipped and counted in *@bad. */
int qlfs_dblock_find(const struct qlfs_dentry_block *db, const u8 *name, u32 len,
		     u32 hash, u32 *bad);
/* The first run of @nslots free slots of @db, or -ENOSPC (F2FS's
 * f2fs_room_for_filename()). */
int qlfs_dblock_room(const struct qlfs_dentry_block *db, u32 nslots);
/* Store an entry at @slot (free, room for the name: the caller found it
 * with qlfs_dblock_room()). */
void qlfs_dblock_fill(struct qlfs_dentry_block *db, u32 slot, const u8 *name, u32 len,
		      u32 hash, u32 ino, u8 file_type);
/* Remove the entry at @slot (qlfs_dentry_slots_ok() said it is whole). */
void qlfs_dblock_clear(struct qlfs_dentry_block *db, u32 slot);
/* A new directory's block 0: "." (@ino) in slot 0, ".." (@parent) in 1. */
void qlfs_dblock_make_dots(struct qlfs_dentry_block *db, u32 ino, u32 parent);
/* The first whole entry starting at or after @from, walking from slot 0
 * so that a @from inside a name is never taken for an entry; -ENOENT
 * when none. *@bad counts malformed entries skipped. */
int qlfs_dblock_next(const struct qlfs_dentry_block *db, u32 from, u32 *bad);
/* The same from slot @s, which must not be inside a name (0, or just
 * past a whole entry): the walk readdir and find make in one pass. */
int qlfs_dblock_walk(const struct qlfs_dentry_block *db, u32 s, u32 from, u32 *bad);
/* Does @db hold no entry but "." and ".." (when @first, block 0)? */
bool qlfs_dblock_is_empty(const struct qlfs_dentry_block *db, bool first);

/* QLFS_FT_* of an i_mode, and the readdir d_type (Linux's DT_*) of one. */
u8 qlfs_mode_to_ftype(umode_t mode);
unsigned int qlfs_ftype_to_dtype(u8 ftype);

/* ---- directories (dir.c) ---- */

/* Where a name was found: its dentry block (referenced, unlocked) and
 * slot, with the entry's ino and type copied out. */
struct qlfs_dir_slot {
	struct folio *folio;
	u32 slot;
	u32 ino;
	u8 file_type;
};

/* Look @name up in @dir: 0 and @res filled (release with
 * qlfs_put_dir_slot()), -ENOENT, or -EIO/-EUCLEAN/-ENOMEM. Reads one
 * bucket (two blocks) per level. Context: @dir's i_rwsem held. */
int qlfs_find_entry(struct inode *dir, const u8 *name, u32 len,
		    struct qlfs_dir_slot *res);
void qlfs_put_dir_slot(struct qlfs_dir_slot *res);
/* Add @name -> @inode to @dir (a new level when every bucket on the way
 * is full; -ENOSPC at depth 20 or when no block can be reserved). Updates
 * @dir's times, size and depth in its node. Under qlfs_lock_op(). */
int qlfs_add_link(struct inode *dir, const u8 *name, u32 len, struct inode *inode);
/* Remove the entry @res found; @dir's times. Under qlfs_lock_op(). */
int qlfs_delete_entry(struct inode *dir, struct qlfs_dir_slot *res);
/* Point the entry @res at @inode instead (rename over a name). */
int qlfs_set_link(struct inode *dir, struct qlfs_dir_slot *res, struct inode *inode);
/* A new directory @inode's block 0 ("." and ".." -> @parent), depth 1. */
int qlfs_make_empty(struct inode *inode, struct inode *parent);
/* Does @dir hold nothing but "." and ".."? (a block that cannot be read
 * counts as not empty) */
bool qlfs_empty_dir(struct inode *dir);
/* Point @dir's ".." at @parent (a directory moved by rename). */
int qlfs_set_dotdot(struct inode *dir, struct inode *parent);
extern const struct file_operations qlfs_dir_operations;

/* ---- data pages (data.c) ---- */

extern const struct address_space_operations qlfs_file_aops;
extern const struct address_space_operations qlfs_dir_aops;
/* The address of file block @index (NULL_ADDR for a hole, NEW_ADDR, or a
 * main-area block: anything else is -EIO and a read-only file system). */
int qlfs_data_blkaddr_of(struct inode *inode, pgoff_t index, u32 *blkaddr);
/* Give file block @index a block if it is a hole (NEW_ADDR, QM2): its
 * address in *@blkaddr (may be NULL). Under qlfs_lock_op(). */
int qlfs_reserve_data_block(struct inode *inode, pgoff_t index, u32 *blkaddr);

/* ---- files (file.c) ---- */

extern const struct file_operations qlfs_file_operations;
extern const struct inode_operations qlfs_file_inode_operations;
int qlfs_setattr(struct dentry *dentry, struct iattr *attr);
int qlfs_getattr(const struct path *path, struct kstat *stat);
int qlfs_fsync(struct file *file, loff_t start, loff_t end, int datasync);
int qlfs_truncate(struct inode *inode, loff_t size);

#endif
