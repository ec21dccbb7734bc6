/*
 * fs/read_write.c - read, write, pread, pwrite, lseek (Linux's
 * fs/read_write.c), and the generic lseek and write checks.
 *
 * Layer: fs (the VFS). Used by: the ksys_* callers; file systems
 * (generic_file_llseek, generic_write_checks).
 * Provides: ksys_read(), ksys_write(), ksys_pread64(), ksys_pwrite64(),
 * ksys_lseek(), generic_file_llseek(), generic_file_llseek_size(),
 * generic_write_checks().
 *
 * Locking: f_pos is read and written under the file's f_pos_lock (Linux's
 * FMODE_ATOMIC_POS: tasks sharing a descriptor see each read's position
 * move atomically); pread/pwrite do not touch it. The write path's
 * i_rwsem is the file system's (generic_file_write).
 */
#include <quire/syscalls.h>
#include <quire/dcache.h>
#include <quire/mutex.h>
#include <quire/errno.h>
#include "internal.h"

/* Linux's MAX_RW_COUNT: one call moves at most this much. */
#define MAX_RW_COUNT (0x7fffffffL & PAGE_MASK)

loff_t generic_file_llseek_size(struct file *file, loff_t offset, int whence,
				loff_t maxsize, loff_t eof)
{
	switch (whence) {
	case SEEK_SET:
		break;
	case SEEK_CUR:
		if (offset == 0)
			return file->f_pos;
		if (__builtin_add_overflow(offset, file->f_pos, &offset))
			return -EINVAL;
		break;
	case SEEK_END:
		if (__builtin_add_overflow(offset, eof, &offset))
			return -EINVAL;
		break;
	case SEEK_DATA: /* the whole file is data */
		if (offset < 0 || offset >= eof)
			return -ENXIO;
		break;
	case SEEK_HOLE: /* ... with the one hole at its end */
		if (offset < 0 || offset >= eof)
			return -ENXIO;
		offset = eof;
		break;
	default:
		return -EINVAL;
	}
	if (offset < 0 || offset > maxsize)
		return -EINVAL;
	file->f_pos = offset;
	return offset;
}

loff_t generic_file_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file->f_mapping->host;

	return generic_file_llseek_size(file, offset, whence, inode->i_sb->s_maxbytes,
					READ_ONCE(inode->i_size));
}

int generic_write_checks(struct file *file, loff_t *pos, size_t *count)
{
	struct inode *inode = file->f_mapping->host;
	loff_t limit = inode->i_sb ? inode->i_sb->s_maxbytes : LLONG_MAX;

	if (file->f_flags & O_APPEND)
		*pos = READ_ONCE(inode->i_size);
	if (*pos < 0)
		return -EINVAL;
	if (!*count)
		return 0;
	if (*pos >= limit)
		return -EFBIG;
	if ((u64)*count > (u64)(limit - *pos))
		*count = limit - *pos;
	return 0;
}

/* The checks read and write share (Linux's vfs_read/vfs_write prologue and
 * rw_verify_area()): 0 with *count clamped to MAX_RW_COUNT, or -errno. */
static int rw_verify(struct file *file, unsigned int fmode, bool has_op, const void *buf,
		     size_t *count, loff_t *pos)
{
	if (!(file->f_mode & fmode))
		return -EBADF;
	if (S_ISDIR(file_inode(file)->i_mode))
		return -EISDIR;
	if (!has_op)
		return -EINVAL;
	if (!buf && *count)
		return -EFAULT;
	if (*pos < 0)
		return -EINVAL;
	if (*count > MAX_RW_COUNT)
		*count = MAX_RW_COUNT;
	return 0;
}

static ssize_t_k vfs_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	int err = rw_verify(file, FMODE_READ, file->f_op && file->f_op->read, buf, &count,
			    pos);

	return err ? err : file->f_op->read(file, buf, count, pos);
}

static ssize_t_k vfs_write(struct file *file, const void *buf, size_t count, loff_t *pos)
{
	int err = rw_verify(file, FMODE_WRITE, file->f_op && file->f_op->write, buf,
			    &count, pos);

	return err ? err : file->f_op->write(file, buf, count, pos);
}

ssize_t_k ksys_read(int fd, void *buf, size_t count)
{
	struct file *file = fget(fd);
	ssize_t_k ret;
	loff_t pos;

	if (!file)
		return -EBADF;
	mutex_lock(&file->f_pos_lock);
	pos = file->f_pos;
	ret = vfs_read(file, buf, count, &pos);
	if (ret >= 0)
		file->f_pos = pos;
	mutex_unlock(&file->f_pos_lock);
	fput(file);
	return ret;
}

ssize_t_k ksys_write(int fd, const void *buf, size_t count)
{
	struct file *file = fget(fd);
	ssize_t_k ret;
	loff_t pos;

	if (!file)
		return -EBADF;
	mutex_lock(&file->f_pos_lock);
	pos = file->f_pos;
	ret = vfs_write(file, buf, count, &pos);
	if (ret >= 0)
		file->f_pos = pos;
	mutex_unlock(&file->f_pos_lock);
	fput(file);
	return ret;
}

ssize_t_k ksys_pread64(int fd, void *buf, size_t count, loff_t pos)
{
	struct file *file;
	ssize_t_k ret;

	if (pos < 0)
		return -EINVAL;
	file = fget(fd);
	if (!file)
		return -EBADF;
	ret = vfs_read(file, buf, count, &pos);
	fput(file);
	return ret;
}

ssize_t_k ksys_pwrite64(int fd, const void *buf, size_t count, loff_t pos)
{
	struct file *file;
	ssize_t_k ret;

	if (pos < 0)
		return -EINVAL;
	file = fget(fd);
	if (!file)
		return -EBADF;
	ret = vfs_write(file, buf, count, &pos); /* O_APPEND appends: Linux's */
	fput(file);
	return ret;
}

loff_t ksys_lseek(int fd, loff_t offset, int whence)
{
	struct file *file = fget(fd);
	loff_t ret;

	if (!file)
		return -EBADF;
	if (whence < SEEK_SET || whence > SEEK_HOLE) {
		ret = -EINVAL;
	} else if (!file->f_op || !file->f_op->llseek) {
		ret = -ESPIPE;
	} else {
		mutex_lock(&file->f_pos_lock);
		ret = file->f_op->llseek(file, offset, whence);
		mutex_unlock(&file->f_pos_lock);
	}
	fput(file);
	return ret;
}
