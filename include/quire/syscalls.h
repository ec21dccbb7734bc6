/*
 * include/quire/syscalls.h - the file system calls, as the shell, the
 * tests and (later) the HTTP server make them.
 *
 * Layer: fs (the VFS). Used by: shell commands, test suites, tools.
 * Provides: ksys_open() ... ksys_getcwd(), struct kstat, struct kstatfs,
 * struct linux_dirent64.
 *
 * Quire has no user space: these are Linux's system calls with kernel
 * buffers, named as Linux names its in-kernel helpers (ksys_read(),
 * ksys_write(), ksys_lseek(), ksys_sync() ...). Each keeps the contract
 * of the Linux call of the same name minus ksys_ (man 2): it returns the
 * result or -errno (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, ENOSPC,
 * ENAMETOOLONG, EROFS, EIO, EXDEV, ELOOP, EINVAL, EBADF, EMFILE, EBUSY,
 * ERANGE ...), never panics on any argument, and changes nothing when it
 * fails.
 *
 * Every task shares one table of open files and one working directory,
 * as Linux's kernel threads share init's files_struct and fs_struct
 * (CLONE_FILES | CLONE_FS): `cd` in the shell moves everyone.
 */
#ifndef QUIRE_SYSCALLS_H
#define QUIRE_SYSCALLS_H

#include <quire/types.h>
#include <quire/fs.h>

#define NAME_MAX	255  /* bytes in a file name, without the NUL */
#define PATH_MAX	4096 /* bytes in a path, with the NUL */
#define MAXSYMLINKS	40   /* symlinks followed in one lookup (ELOOP) */
#define NR_OPEN_DEFAULT 1024 /* open files at once (EMFILE) */

#ifndef O_NOFOLLOW
#define O_NOFOLLOW 00400000
#endif

#define SEEK_SET  0
#define SEEK_CUR  1
#define SEEK_END  2
#define SEEK_DATA 3
#define SEEK_HOLE 4

#define RENAME_NOREPLACE (1u << 0)
#define RENAME_EXCHANGE	 (1u << 1)

#define MS_RDONLY  1	 /* mount flags (Linux's values) */
#define MS_SILENT  32768 /* no message when the source holds no such fs */
#define MNT_FORCE  1	 /* umount flags */
#define MNT_DETACH 2

/* d_type of struct linux_dirent64 (Linux's values). */
#define DT_UNKNOWN 0
#define DT_FIFO	   1
#define DT_CHR	   2
#define DT_DIR	   4
#define DT_BLK	   6
#define DT_REG	   8
#define DT_LNK	   10
#define DT_SOCK	   12

struct kstat {
	u64 ino;
	u32 dev; /* MKDEV() of the super_block's device, 0 if none */
	umode_t mode;
	unsigned int nlink;
	u32 rdev; /* a device inode's MKDEV() */
	loff_t size;
	u64 blocks; /* 512-byte units allocated */
	u32 blksize;
	s64 atime_ns, mtime_ns, ctime_ns; /* since the epoch if known, else boot */
};

struct kstatfs {
	u64 f_type; /* the file system's magic */
	u64 f_bsize;
	u64 f_blocks, f_bfree, f_bavail;
	u64 f_files, f_ffree;
	u64 f_namelen;
	u64 f_flags; /* MS_RDONLY if read-only */
};

/* getdents64's record: d_reclen bytes, 8-byte aligned, name NUL-ended. */
struct linux_dirent64 {
	u64 d_ino;
	s64 d_off; /* where the next record starts (for lseek) */
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int ksys_open(const char *path, int flags, umode_t mode); /* the fd */
int ksys_close(int fd);
ssize_t_k ksys_read(int fd, void *buf, size_t count);
ssize_t_k ksys_write(int fd, const void *buf, size_t count);
ssize_t_k ksys_pread64(int fd, void *buf, size_t count, loff_t pos);
ssize_t_k ksys_pwrite64(int fd, const void *buf, size_t count, loff_t pos);
loff_t ksys_lseek(int fd, loff_t offset, int whence);
int ksys_fsync(int fd);
int ksys_fdatasync(int fd);
int ksys_ftruncate(int fd, loff_t length);
int ksys_fstat(int fd, struct kstat *st);
ssize_t_k ksys_getdents64(int fd, void *dirent, size_t count);

int ksys_stat(const char *path, struct kstat *st);
int ksys_lstat(const char *path, struct kstat *st);
int ksys_truncate(const char *path, loff_t length);
int ksys_mkdir(const char *path, umode_t mode);
int ksys_rmdir(const char *path);
int ksys_unlink(const char *path);
int ksys_rename(const char *oldpath, const char *newpath, unsigned int flags);
int ksys_link(const char *oldpath, const char *newpath);
int ksys_symlink(const char *target, const char *linkpath);
ssize_t_k ksys_readlink(const char *path, char *buf, size_t size);
int ksys_statfs(const char *path, struct kstatfs *buf);
/* chmod(2): the permission bits (S_IALLUGO) of @path's inode (symlinks
 * followed); ctime now. */
int ksys_chmod(const char *path, umode_t mode);
/* utimensat(2) without a directory fd: times[0] atime, times[1] mtime, in
 * ns since the epoch, or UTIME_NOW / UTIME_OMIT; @times NULL: both now.
 * @flags: AT_SYMLINK_NOFOLLOW or 0. ctime now unless both are omitted. */
#define UTIME_NOW	    (-0x7fffffffffffffffLL - 1) /* S64_MIN */
#define UTIME_OMIT	    (-0x7fffffffffffffffLL)
#define AT_SYMLINK_NOFOLLOW 0x100
int ksys_utimensat(const char *path, const s64 times[2], int flags);

/* mount("vdb", "/mnt", "qlfs", 0, NULL); source is a path (/dev/vdb) or a
 * disk's name, or ignored for file systems that need no device. */
int ksys_mount(const char *source, const char *target, const char *fstype,
	       unsigned long flags, const void *data);
int ksys_umount(const char *target, int flags);
int ksys_chdir(const char *path);
/* The working directory's path in @buf; its length with the NUL, or
 * -ERANGE if @size is too small. */
int ksys_getcwd(char *buf, size_t size);

#endif
