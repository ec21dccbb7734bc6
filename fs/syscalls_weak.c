/*
 * fs/syscalls_weak.c - TEMPORARY link placeholders while the VFS of issue
 * 10 lands in parts. Each is __weak and fails with -ENOSYS: the real
 * definition in the VFS replaces it at link time. This file is deleted
 * once every call has its real definition; nothing may rely on these.
 */
#include <quire/syscalls.h>
#include <quire/compiler.h>
#include <quire/errno.h>

__weak int ksys_open(const char *path, int flags, umode_t mode)
{
	return -ENOSYS;
}

__weak int ksys_close(int fd)
{
	return -ENOSYS;
}

__weak ssize_t_k ksys_read(int fd, void *buf, size_t count)
{
	return -ENOSYS;
}

__weak ssize_t_k ksys_write(int fd, const void *buf, size_t count)
{
	return -ENOSYS;
}

__weak ssize_t_k ksys_pread64(int fd, void *buf, size_t count, loff_t pos)
{
	return -ENOSYS;
}

__weak ssize_t_k ksys_pwrite64(int fd, const void *buf, size_t count, loff_t pos)
{
	return -ENOSYS;
}

__weak loff_t ksys_lseek(int fd, loff_t offset, int whence)
{
	return -ENOSYS;
}

__weak int ksys_fsync(int fd)
{
	return -ENOSYS;
}

__weak int ksys_fdatasync(int fd)
{
	return -ENOSYS;
}

__weak int ksys_ftruncate(int fd, loff_t length)
{
	return -ENOSYS;
}

__weak int ksys_fstat(int fd, struct kstat *st)
{
	return -ENOSYS;
}

__weak ssize_t_k ksys_getdents64(int fd, void *dirent, size_t count)
{
	return -ENOSYS;
}

__weak int ksys_stat(const char *path, struct kstat *st)
{
	return -ENOSYS;
}

__weak int ksys_lstat(const char *path, struct kstat *st)
{
	return -ENOSYS;
}

__weak int ksys_truncate(const char *path, loff_t length)
{
	return -ENOSYS;
}

__weak int ksys_mkdir(const char *path, umode_t mode)
{
	return -ENOSYS;
}

__weak int ksys_rmdir(const char *path)
{
	return -ENOSYS;
}

__weak int ksys_unlink(const char *path)
{
	return -ENOSYS;
}

__weak int ksys_rename(const char *oldpath, const char *newpath, unsigned int flags)
{
	return -ENOSYS;
}

__weak int ksys_link(const char *oldpath, const char *newpath)
{
	return -ENOSYS;
}

__weak int ksys_symlink(const char *target, const char *linkpath)
{
	return -ENOSYS;
}

__weak ssize_t_k ksys_readlink(const char *path, char *buf, size_t size)
{
	return -ENOSYS;
}

__weak int ksys_statfs(const char *path, struct kstatfs *buf)
{
	return -ENOSYS;
}

__weak int ksys_mount(const char *source, const char *target, const char *fstype,
		      unsigned long flags, const void *data)
{
	return -ENOSYS;
}

__weak int ksys_umount(const char *target, int flags)
{
	return -ENOSYS;
}

__weak int ksys_chdir(const char *path)
{
	return -ENOSYS;
}

__weak int ksys_getcwd(char *buf, size_t size)
{
	return -ENOSYS;
}
