/*
 * fs/readdir.c - getdents64 (Linux's fs/readdir.c).
 *
 * Layer: fs (the VFS). Used by: the ksys_* callers (`ls`).
 * Provides: ksys_getdents64(), iterate_dir().
 *
 * Each record is a struct linux_dirent64, 8-byte aligned, its d_off the
 * position of the entry after it (what lseek takes to resume there). The
 * directory's ->iterate_shared emits entries with dir_emit() from
 * ctx->pos on; a record that does not fit ends the call and is the first
 * of the next one.
 *
 * Locking: the directory's i_rwsem shared around ->iterate_shared (entries
 * may come and go meanwhile: each one present throughout is returned
 * exactly once, see simple_dir_operations), f_pos under f_pos_lock.
 */
#include <quire/syscalls.h>
#include <quire/dcache.h>
#include <quire/mutex.h>
#include <quire/string.h>
#include <quire/errno.h>
#include "internal.h"

int iterate_dir(struct file *file, struct dir_context *ctx)
{
	struct inode *inode = file_inode(file);
	int err;

	if (!file->f_op || !file->f_op->iterate_shared)
		return -ENOTDIR;
	inode_lock_shared(inode);
	if (is_dead_dir(inode)) {
		err = -ENOENT;
	} else {
		ctx->pos = file->f_pos;
		err = file->f_op->iterate_shared(file, ctx);
		file->f_pos = ctx->pos;
	}
	inode_unlock_shared(inode);
	return err;
}

struct getdents_callback64 {
	struct dir_context ctx;
	char *current;		     /* where the next record goes */
	struct linux_dirent64 *prev; /* the last record written */
	size_t count;		     /* bytes left */
	int error;
};

static bool filldir64(struct dir_context *ctx, const char *name, int namlen,
		      loff_t offset, u64 ino, unsigned int d_type)
{
	struct getdents_callback64 *buf = (struct getdents_callback64 *)ctx;
	size_t reclen = ALIGN_UP(offsetof(struct linux_dirent64, d_name) + namlen + 1,
				 sizeof(u64));
	struct linux_dirent64 *dirent;

	if (reclen > buf->count) {
		buf->error = -EINVAL; /* not even one: the buffer is too small */
		return false;
	}
	if (buf->prev)
		buf->prev->d_off = offset;
	dirent = (struct linux_dirent64 *)buf->current;
	dirent->d_ino = ino;
	dirent->d_off = 0; /* set by the next record, or at the end */
	dirent->d_reclen = (unsigned short)reclen;
	dirent->d_type = (unsigned char)d_type;
	memcpy(dirent->d_name, name, namlen);
	dirent->d_name[namlen] = '\0';
	buf->prev = dirent;
	buf->current += reclen;
	buf->count -= reclen;
	return true;
}

ssize_t_k ksys_getdents64(int fd, void *dirent, size_t count)
{
	struct getdents_callback64 buf = {
		.ctx.actor = filldir64,
		.current = dirent,
		.count = count,
	};
	struct file *file = fget(fd);
	ssize_t_k ret;

	if (!file)
		return -EBADF;
	if (!dirent) {
		fput(file);
		return -EFAULT;
	}
	mutex_lock(&file->f_pos_lock);
	ret = iterate_dir(file, &buf.ctx);
	mutex_unlock(&file->f_pos_lock);
	if (ret >= 0)
		ret = buf.error;
	if (buf.prev) {
		buf.prev->d_off = buf.ctx.pos;
		ret = count - buf.count;
	}
	fput(file);
	return ret;
}
