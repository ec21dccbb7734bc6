/*
 * fs/statfs.c - statfs (Linux's fs/statfs.c).
 *
 * Layer: fs (the VFS). Used by: the ksys_* callers (`df`).
 * Provides: ksys_statfs(), vfs_statfs().
 */
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/mount.h>
#include <quire/string.h>
#include <quire/errno.h>

/* ->statfs of the sb, and f_flags from the mount (Linux's ST_RDONLY has
 * MS_RDONLY's value). */
int vfs_statfs(const struct path *path, struct kstatfs *buf)
{
	struct super_block *sb = path->dentry->d_sb;
	int err;

	memset(buf, 0, sizeof(*buf));
	if (!sb->s_op || !sb->s_op->statfs)
		return -ENOSYS;
	err = sb->s_op->statfs(path->dentry, buf);
	if (err)
		return err;
	if ((path->mnt->mnt_flags & MNT_READONLY) || (READ_ONCE(sb->s_flags) & SB_RDONLY))
		buf->f_flags |= MS_RDONLY;
	return 0;
}

int ksys_statfs(const char *pathname, struct kstatfs *buf)
{
	struct path path;
	int err;

	if (!buf)
		return -EFAULT;
	err = kern_path(pathname, LOOKUP_FOLLOW, &path);
	if (err)
		return err;
	err = vfs_statfs(&path, buf);
	path_put(&path);
	return err;
}
