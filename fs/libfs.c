/*
 * fs/libfs.c - helpers for file systems whose tree lives in the dcache
 * (Linux's fs/libfs.c): ramfs, devtmpfs.
 *
 * Layer: fs (the VFS). Used by: fs/ramfs/, devtmpfs, the VFS's defaults.
 * Provides: simple_lookup(), simple_link(), simple_unlink(), simple_rmdir(),
 * simple_rename(), simple_statfs(), simple_get_link(), simple_setattr(),
 * simple_read_folio(), noop_fsync(), simple_dir_operations,
 * simple_symlink_inode_operations.
 *
 * Such a file system keeps each name alive by a reference of its own on
 * the dentry (DC6, d_make_persistent()), dropped at unlink; a directory is
 * the set of its positive hashed children. Called with the locks of VFS2.
 */
#include <quire/syscalls.h>
#include <quire/dcache.h>
#include <quire/pagemap.h>
#include <quire/string.h>
#include <quire/errno.h>
#include "internal.h"

struct dentry *simple_lookup(struct inode *dir, struct dentry *dentry, unsigned int flags)
{
	/* Everything that exists is in the dcache: a miss is negative.
	 * (Linux's always_delete_dentry: freed at its last dput, DC4.) */
	d_add(dentry, NULL);
	return NULL;
}

int simple_link(struct dentry *old_dentry, struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(old_dentry);

	WRITE_ONCE(inode->i_ctime_ns, current_time_ns());
	inode_touch_mctime(dir);
	inc_nlink(inode);
	ihold(inode);
	d_instantiate(dentry, inode);
	d_make_persistent(dentry);
	return 0;
}

int simple_unlink(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);

	WRITE_ONCE(inode->i_ctime_ns, current_time_ns());
	inode_touch_mctime(dir);
	drop_nlink(inode);
	d_make_discardable(dentry);
	return 0;
}

int simple_rmdir(struct inode *dir, struct dentry *dentry)
{
	if (!simple_empty(dentry))
		return -ENOTEMPTY;
	drop_nlink(d_inode(dentry)); /* its "." */
	simple_unlink(dir, dentry);
	drop_nlink(dir); /* its ".." */
	return 0;
}

static int simple_rename_exchange(struct inode *old_dir, struct dentry *old_dentry,
				  struct inode *new_dir, struct dentry *new_dentry)
{
	bool old_is_dir = d_is_dir(old_dentry);
	bool new_is_dir = d_is_dir(new_dentry);

	if (old_dir != new_dir && old_is_dir != new_is_dir) {
		/* A directory's ".." moves to the other parent. */
		if (old_is_dir) {
			drop_nlink(old_dir);
			inc_nlink(new_dir);
		} else {
			drop_nlink(new_dir);
			inc_nlink(old_dir);
		}
	}
	inode_touch_mctime(old_dir);
	inode_touch_mctime(new_dir);
	return 0;
}

int simple_rename(struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir,
		  struct dentry *new_dentry, unsigned int flags)
{
	bool is_dir = d_is_dir(old_dentry);

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & RENAME_EXCHANGE)
		return simple_rename_exchange(old_dir, old_dentry, new_dir, new_dentry);
	if (!simple_empty(new_dentry))
		return -ENOTEMPTY;
	if (!d_really_is_negative(new_dentry)) {
		struct inode *victim = d_inode(new_dentry);

		simple_unlink(new_dir, new_dentry);
		if (is_dir) {
			drop_nlink(victim); /* its "." */
			drop_nlink(old_dir);
		}
	} else if (is_dir) {
		drop_nlink(old_dir);
		inc_nlink(new_dir);
	}
	WRITE_ONCE(d_inode(old_dentry)->i_ctime_ns, current_time_ns());
	inode_touch_mctime(old_dir);
	inode_touch_mctime(new_dir);
	return 0;
}

int simple_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct super_block *sb = dentry->d_sb;

	buf->f_type = sb->s_magic;
	buf->f_bsize = sb->s_blocksize;
	buf->f_namelen = NAME_MAX;
	return 0;
}

const char *simple_get_link(struct dentry *dentry, struct inode *inode,
			    struct delayed_call *done)
{
	return inode->i_link;
}

int simple_setattr(struct dentry *dentry, struct iattr *iattr)
{
	struct inode *inode = d_inode(dentry);

	if (iattr->ia_valid & ATTR_SIZE)
		truncate_setsize(inode, iattr->ia_size);
	if (iattr->ia_valid & ATTR_MODE)
		WRITE_ONCE(inode->i_mode, iattr->ia_mode);
	setattr_copy_times(inode, iattr);
	return 0;
}

void setattr_copy_times(struct inode *inode, const struct iattr *attr)
{
	s64 now = current_time_ns();

	if (attr->ia_valid & ATTR_ATIME)
		WRITE_ONCE(inode->i_atime_ns,
			   attr->ia_valid & ATTR_ATIME_SET ? attr->ia_atime_ns : now);
	if (attr->ia_valid & ATTR_MTIME)
		WRITE_ONCE(inode->i_mtime_ns,
			   attr->ia_valid & ATTR_MTIME_SET ? attr->ia_mtime_ns : now);
	if (attr->ia_valid & ATTR_CTIME)
		WRITE_ONCE(inode->i_ctime_ns, now);
}

int simple_read_folio(struct file *file, struct folio *folio)
{
	memset(folio_address(folio), 0, folio_size(folio));
	folio_mark_uptodate(folio);
	folio_unlock(folio);
	return 0;
}

int noop_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	return 0;
}

/* ---- directories in the dcache ---- */

static loff_t dcache_dir_lseek(struct file *file, loff_t offset, int whence)
{
	switch (whence) {
	case SEEK_CUR:
		if (__builtin_add_overflow(offset, file->f_pos, &offset))
			return -EINVAL;
		break;
	case SEEK_SET:
		break;
	default:
		return -EINVAL;
	}
	if (offset < 0)
		return -EINVAL;
	file->f_pos = offset;
	return offset;
}

static unsigned int dt_type(umode_t mode)
{
	return (mode >> 12) & 15; /* Linux's S_DT(): DT_* are the type bits */
}

static bool emit_child(void *arg, const char *name, int len, loff_t off, u64 ino,
		       umode_t mode)
{
	struct dir_context *ctx = arg;

	ctx->pos = off;
	return dir_emit(ctx, name, len, ino, dt_type(mode));
}

/* "." at 0, ".." at 1, then the children by offset (DC5): an entry there
 * from the first call to the last is returned once, whatever else comes
 * and goes meanwhile (Linux's stable offsets of simple_offset_*). */
static int dcache_readdir(struct file *file, struct dir_context *ctx)
{
	struct dentry *dentry = file->f_path.dentry;

	if (!dentry)
		return -ENOTDIR;
	if (ctx->pos == 0) {
		if (!dir_emit(ctx, ".", 1, d_inode(dentry)->i_ino, DT_DIR))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		struct dentry *parent = dget_parent(dentry);
		u64 ino = d_inode(parent)->i_ino;

		dput(parent);
		if (!dir_emit(ctx, "..", 2, ino, DT_DIR))
			return 0;
		ctx->pos = 2;
	}
	d_for_each_child(dentry, &ctx->pos, emit_child, ctx);
	return 0;
}

const struct file_operations simple_dir_operations = {
	.llseek = dcache_dir_lseek,
	.iterate_shared = dcache_readdir,
	.fsync = noop_fsync,
};

const struct inode_operations simple_symlink_inode_operations = {
	.get_link = simple_get_link,
};
