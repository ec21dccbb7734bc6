/*
 * arch/host/tools/vfs_libc.h - the few Quire interfaces the POSIX cases
 * and the model test's runner use, over libc, so that a host program runs
 * them on a real (FUSE) mount: ksys_open() is open(2) returning -errno,
 * kmalloc() is malloc(), KTEST_EXPECT_EQ() records a failure.
 *
 * Layer: arch/host (host programs only). Used by: vfs_fuse_test.c, and
 * through the headers of libc/quire/ (each includes only this one) by
 * fs/vfs_model.c and fs/vfs_model_run.c built for that program.
 * Provides: the ksys_* calls of <quire/syscalls.h> with its structs and
 * constants (the values are Linux's, as Quire's are), kmalloc() and
 * friends, strscpy_len(), errname(), cprintf(); and declares what comes
 * from the kernel's one definition: scnprintf() (kernel/vsprintf.c, built
 * in) and the ktest macros (include/quire/ktest_expect.h; a failed
 * assertion ends the case's process: each case runs in a child of its
 * own).
 *
 * Invariants:
 *  VL1: every ksys_* call is exactly one libc call (or raw syscall where
 *       glibc's wrapper would change the contract: getdents64, getcwd,
 *       renameat2) and returns its result or -errno, never errno itself.
 *  VL2: nothing here keeps state between calls but the ktest counters.
 *
 * Locking: none; one thread.
 */
#ifndef ARCH_HOST_TOOLS_VFS_LIBC_H
#define ARCH_HOST_TOOLS_VFS_LIBC_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* ---- <quire/types.h> ---- */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef long ssize_t_k;
typedef unsigned short umode_t;

#define ARRAY_SIZE(a)  (sizeof(a) / sizeof((a)[0]))
#define min(a, b)      ((a) < (b) ? (a) : (b))
#define max(a, b)      ((a) > (b) ? (a) : (b))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __noreturn     __attribute__((noreturn))
#define PAGE_SIZE      4096
#define MAX_ERRNO      4095

/* ---- <quire/syscalls.h>: Linux's values ---- */

#define NR_OPEN_DEFAULT 1024 /* the test program sets RLIMIT_NOFILE to it */
#define MAXSYMLINKS	40
#define DT_UNKNOWN	0
#define DT_DIR		4
#define DT_REG		8
#define DT_LNK		10
#ifndef SEEK_DATA
#define SEEK_DATA 3
#define SEEK_HOLE 4
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_NOREPLACE (1u << 0)
#define RENAME_EXCHANGE	 (1u << 1)
#endif

struct kstat {
	u64 ino;
	u32 dev;
	umode_t mode;
	unsigned int nlink;
	u32 rdev;
	loff_t size;
	u64 blocks;
	u32 blksize;
	s64 atime_ns, mtime_ns, ctime_ns;
};

struct kstatfs {
	u64 f_type;
	u64 f_bsize;
	u64 f_blocks, f_bfree, f_bavail;
	u64 f_files, f_ffree;
	u64 f_namelen;
	u64 f_flags;
};

struct linux_dirent64 {
	u64 d_ino;
	s64 d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* VL1: the result, or -errno. */
static inline long vl_ret(long ret)
{
	return ret < 0 ? -errno : ret;
}

static inline s64 vl_ns(struct timespec ts)
{
	return (s64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void vl_kstat(const struct stat *s, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->ino = s->st_ino;
	/* dev_t folded to 32 bits: only compared for equality */
	st->dev = (u32)(s->st_dev ^ (s->st_dev >> 32));
	st->mode = s->st_mode;
	st->nlink = s->st_nlink;
	st->rdev = (u32)s->st_rdev;
	st->size = s->st_size;
	st->blocks = s->st_blocks;
	st->blksize = s->st_blksize;
	st->atime_ns = vl_ns(s->st_atim);
	st->mtime_ns = vl_ns(s->st_mtim);
	st->ctime_ns = vl_ns(s->st_ctim);
}

static inline int vl_stat_ret(int ret, const struct stat *s, struct kstat *st)
{
	if (ret < 0) {
		memset(st, 0, sizeof(*st)); /* (the callers read it only on success) */
		return -errno;
	}
	vl_kstat(s, st);
	return 0;
}

static inline int ksys_open(const char *path, int flags, umode_t mode)
{
	return vl_ret(open(path, flags, mode));
}

static inline int ksys_close(int fd)
{
	return vl_ret(close(fd));
}

static inline ssize_t_k ksys_read(int fd, void *buf, size_t count)
{
	return vl_ret(read(fd, buf, count));
}

static inline ssize_t_k ksys_write(int fd, const void *buf, size_t count)
{
	return vl_ret(write(fd, buf, count));
}

static inline ssize_t_k ksys_pread64(int fd, void *buf, size_t count, loff_t pos)
{
	return vl_ret(pread(fd, buf, count, pos));
}

static inline ssize_t_k ksys_pwrite64(int fd, const void *buf, size_t count, loff_t pos)
{
	return vl_ret(pwrite(fd, buf, count, pos));
}

static inline loff_t ksys_lseek(int fd, loff_t offset, int whence)
{
	return vl_ret(lseek(fd, offset, whence));
}

static inline int ksys_fsync(int fd)
{
	return vl_ret(fsync(fd));
}

static inline int ksys_fdatasync(int fd)
{
	return vl_ret(fdatasync(fd));
}

static inline int ksys_ftruncate(int fd, loff_t length)
{
	return vl_ret(ftruncate(fd, length));
}

static inline int ksys_fstat(int fd, struct kstat *st)
{
	struct stat s;

	return vl_stat_ret(fstat(fd, &s), &s, st);
}

static inline ssize_t_k ksys_getdents64(int fd, void *dirent, size_t count)
{
	return vl_ret(syscall(SYS_getdents64, fd, dirent, count));
}

static inline int ksys_stat(const char *path, struct kstat *st)
{
	struct stat s;

	return vl_stat_ret(stat(path, &s), &s, st);
}

static inline int ksys_lstat(const char *path, struct kstat *st)
{
	struct stat s;

	return vl_stat_ret(lstat(path, &s), &s, st);
}

static inline int ksys_truncate(const char *path, loff_t length)
{
	return vl_ret(truncate(path, length));
}

static inline int ksys_mkdir(const char *path, umode_t mode)
{
	return vl_ret(mkdir(path, mode));
}

static inline int ksys_rmdir(const char *path)
{
	return vl_ret(rmdir(path));
}

static inline int ksys_unlink(const char *path)
{
	return vl_ret(unlink(path));
}

static inline int ksys_rename(const char *oldpath, const char *newpath,
			      unsigned int flags)
{
	return vl_ret(
		syscall(SYS_renameat2, AT_FDCWD, oldpath, AT_FDCWD, newpath, flags));
}

static inline int ksys_link(const char *oldpath, const char *newpath)
{
	return vl_ret(link(oldpath, newpath));
}

static inline int ksys_symlink(const char *target, const char *linkpath)
{
	return vl_ret(symlink(target, linkpath));
}

static inline ssize_t_k ksys_readlink(const char *path, char *buf, size_t size)
{
	/* readlink(2) says EINVAL for size 0; glibc passes it through */
	return vl_ret(readlink(path, buf, size));
}

static inline int ksys_statfs(const char *path, struct kstatfs *buf)
{
	struct statfs s;

	if (statfs(path, &s) < 0)
		return -errno;
	memset(buf, 0, sizeof(*buf));
	buf->f_type = (u64)s.f_type;
	buf->f_bsize = s.f_bsize;
	buf->f_blocks = s.f_blocks;
	buf->f_bfree = s.f_bfree;
	buf->f_bavail = s.f_bavail;
	buf->f_files = s.f_files;
	buf->f_ffree = s.f_ffree;
	buf->f_namelen = s.f_namelen;
	buf->f_flags = s.f_flags & ST_RDONLY ? MS_RDONLY : 0;
	return 0;
}

static inline int ksys_chdir(const char *path)
{
	return vl_ret(chdir(path));
}

/* The raw call: its length with the NUL (glibc's getcwd() returns the
 * buffer, and allocates one for NULL). */
static inline int ksys_getcwd(char *buf, size_t size)
{
	return vl_ret(syscall(SYS_getcwd, buf, size));
}

/* ---- <quire/slab.h> ---- */

#define GFP_KERNEL	       0
#define kmalloc(size, gfp)     malloc(size)
#define kzalloc(size, gfp)     calloc(1, size)
#define kcalloc(n, size, gfp)  calloc(n, size)
#define krealloc(p, size, gfp) realloc(p, size)
#define kfree(p)	       free(p)

/* ---- <quire/string.h>, <quire/printk.h>, <quire/errno.h> ---- */

#define cprintf printf

static inline size_t strscpy_len(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/* The kernel's own formatting, kernel/vsprintf.c, linked in (with
 * arch/host/tools/libc/arch/debug.h): one definition, the same formats. */
int scnprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
int vscnprintf(char *buf, size_t size, const char *fmt, va_list args);

/* kernel/vsprintf.c's %pS: vfs_fuse_test.c knows no symbols (false). */
bool arch_lookup_symbol(unsigned long addr, char *name, size_t size,
			unsigned long *offset);

/* "ENOENT" for 2 or -2 (Quire's errname()). */
static inline const char *errname(int err)
{
	const char *s = strerrorname_np(err < 0 ? -err : err);

	return s ? s : "E?";
}

/* ---- <quire/ktest.h>: enough for the cases ---- */

struct ktest {
	const char *name;
	bool failed;
};

/* The kernel's expectations and assertions, their one definition
 * (include/quire/ktest_expect.h). vfs_fuse_test.c defines ktest_fail()
 * (it prints the failure as ktest does) and ktest_abort() (it ends the
 * case's process: each case runs in a child of its own). */
#include "../../../include/quire/ktest_expect.h"

#endif
