/*
 * fs/vfs_test_files.h - the vfs suites' file helpers (vt_write_file,
 * vt_read_file, vt_exists) over the ksys_* calls: included once by
 * fs/vfs_test.c (the kernel) and once by arch/host/tools/vfs_fuse_test.c
 * (libc calls through vfs_libc.h), so both runs of the POSIX cases share
 * one copy.
 */
/* Write @s into a new file @path. */
int vt_write_file(const char *path, const char *s)
{
	int fd = ksys_open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	ssize_t_k n;

	if (fd < 0)
		return fd;
	n = ksys_write(fd, s, strlen(s));
	ksys_close(fd);
	return n == (ssize_t_k)strlen(s) ? 0 : -EIO;
}

/* Read up to @size - 1 bytes of @path into @buf, NUL-ended. */
ssize_t_k vt_read_file(const char *path, char *buf, size_t size)
{
	int fd = ksys_open(path, O_RDONLY, 0);
	ssize_t_k n;

	if (fd < 0)
		return fd;
	n = ksys_read(fd, buf, size - 1);
	ksys_close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

bool vt_exists(const char *path)
{
	struct kstat st;

	return ksys_lstat(path, &st) == 0;
}
