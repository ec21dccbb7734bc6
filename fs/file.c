/*
 * fs/file.c - the table of open files (Linux's files_struct and fdtable),
 * one for the whole system: every task shares it, as Linux's kernel
 * threads share init's (CLONE_FILES).
 *
 * Layer: fs (the VFS). Used by: fs/open.c, fs/read_write.c, fs/stat.c,
 * fs/readdir.c.
 * Provides: get_unused_fd(), put_unused_fd(), fd_install(), fget(),
 * close_fd_get_file().
 *
 * Invariants:
 *  FD1: fd_array[fd] is NULL, FD_RESERVED (taken by get_unused_fd, not yet
 *       installed) or a file holding one reference for the table.
 *  FD2: the lowest free descriptor is handed out (POSIX).
 *
 * Locking: file_lock (a spinlock) guards fd_array. fget() takes a file
 * reference under it, so a concurrent close cannot free a file in use:
 * the last fput() runs after both are done.
 */
#include <quire/fs.h>
#include <quire/syscalls.h>
#include <quire/spinlock.h>
#include <quire/errno.h>
#include "internal.h"

#define FD_RESERVED ((struct file *)1)

static DEFINE_SPINLOCK(file_lock);
static struct file *fd_array[NR_OPEN_DEFAULT];

int get_unused_fd(void)
{
	int fd;

	spin_lock(&file_lock);
	for (fd = 0; fd < NR_OPEN_DEFAULT; fd++) {
		if (!fd_array[fd]) {
			fd_array[fd] = FD_RESERVED; /* FD1, FD2 */
			break;
		}
	}
	spin_unlock(&file_lock);
	return fd < NR_OPEN_DEFAULT ? fd : -EMFILE;
}

void put_unused_fd(int fd)
{
	spin_lock(&file_lock);
	fd_array[fd] = NULL;
	spin_unlock(&file_lock);
}

void fd_install(int fd, struct file *file)
{
	spin_lock(&file_lock);
	fd_array[fd] = file;
	spin_unlock(&file_lock);
}

struct file *fget(int fd)
{
	struct file *file = NULL;

	if (fd < 0 || fd >= NR_OPEN_DEFAULT)
		return NULL;
	spin_lock(&file_lock);
	if (fd_array[fd] && fd_array[fd] != FD_RESERVED) {
		file = fd_array[fd];
		atomic_inc(&file->f_count);
	}
	spin_unlock(&file_lock);
	return file;
}

struct file *close_fd_get_file(int fd)
{
	struct file *file = NULL;

	if (fd < 0 || fd >= NR_OPEN_DEFAULT)
		return NULL;
	spin_lock(&file_lock);
	if (fd_array[fd] && fd_array[fd] != FD_RESERVED) {
		file = fd_array[fd];
		fd_array[fd] = NULL;
	}
	spin_unlock(&file_lock);
	return file;
}
