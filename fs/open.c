/*
 * fs/open.c - open, close, truncate, chdir, getcwd (Linux's fs/open.c and
 * fs/d_path.c's getcwd).
 *
 * Layer: fs (the VFS). Used by: the ksys_* callers (shell, tests).
 * Provides: ksys_open(), ksys_close(), ksys_truncate(), ksys_ftruncate(),
 * ksys_chmod(), ksys_utimensat(), ksys_chdir(), ksys_getcwd(), do_truncate().
 * Not here: the lookup and create of open (fs/namei.c: do_filp_open).
 *
 * Locking: truncate, chmod and utimensat hold the inode's i_rwsem around
 * ->setattr (writers and truncate exclude each other, as Linux).
 */
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/mount.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include "internal.h"

/* ->setattr, or simple_setattr (Linux's notify_change). i_rwsem held. */
static int notify_change(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);

	if (inode->i_op && inode->i_op->setattr)
		return inode->i_op->setattr(dentry, attr);
	return simple_setattr(dentry, attr);
}

int do_truncate(struct dentry *dentry, loff_t length)
{
	struct inode *inode = d_inode(dentry);
	struct iattr attr = {
		.ia_valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME,
		.ia_size = length,
	};
	int err;

	if (length < 0)
		return -EINVAL;
	if (length > inode->i_sb->s_maxbytes)
		return -EFBIG; /* Linux's inode_newsize_ok() */
	inode_lock(inode);
	err = notify_change(dentry, &attr);
	inode_unlock(inode);
	return err;
}

static int may_truncate(const struct path *path)
{
	struct inode *inode = d_inode(path->dentry);

	if (S_ISDIR(inode->i_mode))
		return -EISDIR;
	if (!S_ISREG(inode->i_mode))
		return -EINVAL;
	return mnt_want_write(path->mnt);
}

int ksys_truncate(const char *pathname, loff_t length)
{
	struct path path;
	int err;

	if (length < 0)
		return -EINVAL;
	err = kern_path(pathname, LOOKUP_FOLLOW, &path);
	if (err)
		return err;
	err = may_truncate(&path);
	if (!err)
		err = do_truncate(path.dentry, length);
	path_put(&path);
	return err;
}

int ksys_ftruncate(int fd, loff_t length)
{
	struct file *file;
	int err;

	if (length < 0)
		return -EINVAL;
	file = fget(fd);
	if (!file)
		return -EBADF;
	if (!(file->f_mode & FMODE_WRITE) || !file->f_path.dentry ||
	    !S_ISREG(file_inode(file)->i_mode))
		err = -EINVAL; /* Linux: not open for writing, not a file */
	else
		err = may_truncate(&file->f_path);
	if (!err)
		err = do_truncate(file->f_path.dentry, length);
	fput(file);
	return err;
}

/* notify_change() on @pathname's inode under i_rwsem, on a writable mount
 * (Linux's chmod_common()/vfs_utimes()). */
static int path_setattr(const char *pathname, unsigned int lookup, struct iattr *attr)
{
	struct path path;
	struct inode *inode;
	int err;

	err = kern_path(pathname, lookup, &path);
	if (err)
		return err;
	err = mnt_want_write(path.mnt);
	if (!err) {
		inode = d_inode(path.dentry);
		inode_lock(inode);
		if (attr->ia_valid & ATTR_MODE)
			attr->ia_mode = (attr->ia_mode & S_IALLUGO) |
					(inode->i_mode & ~S_IALLUGO);
		err = notify_change(path.dentry, attr);
		inode_unlock(inode);
	}
	path_put(&path);
	return err;
}

int ksys_chmod(const char *pathname, umode_t mode)
{
	struct iattr attr = {
		.ia_valid = ATTR_MODE | ATTR_CTIME,
		.ia_mode = mode,
	};

	return path_setattr(pathname, LOOKUP_FOLLOW, &attr);
}

/* One of utimensat's two times into @attr (Linux's do_utimes_path()). */
static void utime_to_attr(s64 t, unsigned int valid, unsigned int set, s64 *dst,
			  struct iattr *attr)
{
	if (t == UTIME_OMIT)
		return;
	attr->ia_valid |= valid;
	if (t != UTIME_NOW) {
		attr->ia_valid |= set;
		*dst = t;
	}
}

int ksys_utimensat(const char *pathname, const s64 times[2], int flags)
{
	struct iattr attr = {.ia_valid = 0};

	if (flags & ~AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	if (!times) {
		attr.ia_valid = ATTR_ATIME | ATTR_MTIME;
	} else {
		utime_to_attr(times[0], ATTR_ATIME, ATTR_ATIME_SET, &attr.ia_atime_ns,
			      &attr);
		utime_to_attr(times[1], ATTR_MTIME, ATTR_MTIME_SET, &attr.ia_mtime_ns,
			      &attr);
		if (!attr.ia_valid)
			return 0; /* both omitted: Linux changes nothing, not even ctime */
	}
	attr.ia_valid |= ATTR_CTIME;
	return path_setattr(pathname, flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW,
			    &attr);
}

int ksys_open(const char *pathname, int flags, umode_t mode)
{
	struct file *file;
	int fd;

	if ((flags & O_CREAT) && (flags & O_DIRECTORY))
		return -EINVAL; /* Linux 6.4's rule */
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL; /* Linux's odd "3" mode: not in Quire */
	fd = get_unused_fd();
	if (fd < 0)
		return fd;
	file = do_filp_open(pathname, flags, mode);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	fd_install(fd, file);
	return fd;
}

int ksys_close(int fd)
{
	struct file *file = close_fd_get_file(fd);

	if (!file)
		return -EBADF;
	fput(file);
	return 0;
}

int ksys_chdir(const char *pathname)
{
	struct path path;
	int err = kern_path(pathname, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &path);

	if (err)
		return err;
	set_fs_pwd(&path);
	path_put(&path);
	return 0;
}

int ksys_getcwd(char *buf, size_t size)
{
	struct path root, pwd;
	char *page, *p;
	int len;

	if (!buf)
		return -EFAULT;
	page = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	get_fs_root(&root);
	get_fs_pwd(&pwd);
	p = d_path(&pwd, &root, page, PATH_MAX);
	if (IS_ERR(p)) {
		len = PTR_ERR(p); /* ENOENT: the directory was removed */
	} else {
		len = page + PATH_MAX - p;
		if ((size_t)len > size)
			len = -ERANGE;
		else
			memcpy(buf, p, len);
	}
	path_put(&pwd);
	path_put(&root);
	kfree(page);
	return len;
}
