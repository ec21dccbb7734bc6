/*
 * fs/stat.c - stat, lstat, fstat (Linux's fs/stat.c).
 *
 * Layer: fs (the VFS). Used by: the ksys_* callers; file systems
 * (generic_fillattr in their ->getattr).
 * Provides: ksys_stat(), ksys_lstat(), ksys_fstat(), generic_fillattr(),
 * vfs_getattr().
 *
 * Locking: none: the fields are read as Linux reads them, each one
 * atomically but not as a whole (a stat racing a write may see the new
 * size with the old mtime).
 */
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/string.h>
#include <quire/errno.h>
#include "internal.h"

void generic_fillattr(struct inode *inode, struct kstat *stat)
{
	struct super_block *sb = inode->i_sb;

	memset(stat, 0, sizeof(*stat));
	stat->ino = inode->i_ino;
	stat->dev = sb ? sb->s_dev : 0;
	stat->mode = inode->i_mode;
	stat->nlink = READ_ONCE(inode->i_nlink);
	stat->rdev = inode->i_rdev;
	stat->size = READ_ONCE(inode->i_size);
	stat->blocks = READ_ONCE(inode->i_blocks);
	stat->blksize = sb && sb->s_blocksize ? sb->s_blocksize : PAGE_SIZE;
	stat->atime_ns = READ_ONCE(inode->i_atime_ns);
	stat->mtime_ns = READ_ONCE(inode->i_mtime_ns);
	stat->ctime_ns = READ_ONCE(inode->i_ctime_ns);
}

int vfs_getattr(const struct path *path, struct kstat *stat)
{
	struct inode *inode = d_inode(path->dentry);

	if (inode->i_op && inode->i_op->getattr)
		return inode->i_op->getattr(path, stat);
	generic_fillattr(inode, stat);
	return 0;
}

static int stat_path(const char *pathname, unsigned int flags, struct kstat *st)
{
	struct path path;
	int err;

	if (!st)
		return -EFAULT;
	err = kern_path(pathname, flags, &path);
	if (err)
		return err;
	err = vfs_getattr(&path, st);
	path_put(&path);
	return err;
}

int ksys_stat(const char *pathname, struct kstat *st)
{
	return stat_path(pathname, LOOKUP_FOLLOW, st);
}

int ksys_lstat(const char *pathname, struct kstat *st)
{
	return stat_path(pathname, 0, st);
}

int ksys_fstat(int fd, struct kstat *st)
{
	struct file *file = fget(fd);
	int err = 0;

	if (!file)
		return -EBADF;
	if (!st)
		err = -EFAULT;
	else if (file->f_path.dentry)
		err = vfs_getattr(&file->f_path, st);
	else
		generic_fillattr(file_inode(file), st);
	fput(file);
	return err;
}
