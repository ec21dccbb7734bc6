/*
 * arch/host/tools/qlfs_fuse.h - the seam between qlfs-fuse's two halves.
 *
 * Layer: arch/host (a host tool). Used by: qlfs_fuse.c (the libfuse
 * side: libc and <fuse.h>, never the kernel's headers) and
 * qlfs_fuse_kern.c (the kernel side: the core's headers, never libc's).
 * Only plain C types cross it, so neither side sees the other's headers
 * (their O_*, S_IF*, SEEK_* and struct stat would clash).
 *
 * A FUSE operation becomes one struct qf_req: the libfuse thread fills it,
 * qf_call() queues it for the kernel and sleeps on req->done (a futex);
 * the kernel's worker task runs it through the ksys_*() calls and wakes
 * the caller (docs/qlfs-tools.md, "How a FUSE request reaches the VFS").
 *
 * Invariants:
 *   QF1: a request is owned by the libfuse thread until qf_call() queues
 *        it, by the kernel worker until it sets ->done, then by the libfuse
 *        thread again; the worker never touches it after setting ->done.
 *   QF2: the kernel side never calls libc but through the qf_host_*()
 *        functions, with interrupts masked; the libfuse side never calls
 *        a kernel function but qf_call().
 *   QF3: open flags, mode bits, SEEK_* and RENAME_* have Linux's values on
 *        both sides (the kernel side asserts it), so they cross unchanged.
 *   QF4: an O_APPEND write lands at the end of the file as qlfs has it,
 *        never at the offset the host kernel computed: with the
 *        high-level API each name of a hard-linked file is its own host
 *        inode, whose cached size is stale once the file grew or shrank
 *        through another name (docs/qlfs.md, "Through FUSE").
 */
#ifndef ARCH_HOST_TOOLS_QLFS_FUSE_H
#define ARCH_HOST_TOOLS_QLFS_FUSE_H

#define QF_ROOT	    "/qlfs" /* where the kernel mounts the image */
#define QF_PATH_MAX (4096 + 8)

enum qf_op {
	QF_GETATTR,  /* path -> attr (lstat) */
	QF_FGETATTR, /* fd -> attr */
	QF_READLINK, /* path -> buf, size */
	QF_MKNOD,    /* path, mode: a regular file, created and closed */
	QF_MKDIR,    /* path, mode */
	QF_UNLINK,
	QF_RMDIR,
	QF_SYMLINK,   /* path2 (the target, as given) -> path */
	QF_RENAME,    /* path -> path2, flags */
	QF_LINK,      /* path -> path2 */
	QF_CHMOD,     /* path, mode */
	QF_UTIMENS,   /* path, times, set */
	QF_TRUNCATE,  /* path, off */
	QF_FTRUNCATE, /* fd, off */
	QF_OPEN,      /* path, flags, mode -> fd */
	QF_READ,      /* fd, buf, size, off */
	QF_WRITE,     /* fd, buf, size, off; flags QF_WRITE_APPEND: at the end */
	QF_STATFS,    /* path -> sfs */
	QF_CLOSE,     /* fd */
	QF_FSYNC,     /* fd; flags 1: fdatasync */
	QF_GETDENTS,  /* fd, off, buf, size */
	QF_LSEEK,     /* fd, off, flags (whence) */
	QF_SHUTDOWN,  /* close what is open, sync, unmount, exit; flags 1: status 1 */
};

struct qf_attr {
	unsigned long long ino, size, blocks;
	unsigned int mode, nlink, blksize, rdev;
	long long atime_ns, mtime_ns, ctime_ns;
};

struct qf_statfs {
	unsigned long long bsize, blocks, bfree, bavail, files, ffree, namelen;
	int read_only;
};

/* Linux's struct linux_dirent64, as getdents64 fills it. */
struct qf_dirent {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* QF_WRITE's flags: the caller's descriptor has O_APPEND now (FUSE's
 * write request carries the file's flags): write at the file's end as
 * qlfs sees it, whatever the offset (QF4). */
#define QF_WRITE_APPEND 1

#define QF_UTIME_NOW  (-0x7fffffffffffffffLL - 1) /* utimens: the current time */
#define QF_UTIME_OMIT (-0x7fffffffffffffffLL)	  /* utimens: leave it */

struct qf_req {
	struct qf_req *next; /* on the submission list (QF1) */
	unsigned int done;   /* futex: set by the worker when finished */
	int op;		     /* enum qf_op */
	long long ret;	     /* result or -errno */
	int fd;
	unsigned int flags;
	unsigned int mode;
	void *buf;
	unsigned long long size;
	long long off;
	long long atime_ns, mtime_ns; /* QF_UTIMENS (or QF_UTIME_*) */
	struct qf_attr attr;
	struct qf_statfs sfs;
	char path[QF_PATH_MAX];
	char path2[QF_PATH_MAX];
};

/* What main() parsed, read by both sides. */
struct qf_config {
	const char *image;	/* as given */
	const char *mountpoint; /* absolute */
	int read_only;
	int foreground;
	int debug;
	int ready_fd;	      /* the waiting parent's pipe, or -1 */
	char fuse_opts[8192]; /* -o for libfuse: fsname=...,subtype=qlfs,... */
};
extern struct qf_config qf_cfg;

/* Kernel side (qlfs_fuse_kern.c). Context: the libfuse thread. Queue @r
 * for the kernel's worker and wait until it ran; returns r->ret. */
long long qf_call(struct qf_req *r);

/* Attach qf_cfg.image (@size bytes) as disk vda and boot the core, which
 * mounts it and starts the libfuse thread. Context: main(), no thread yet. */
void qf_boot(unsigned long long size) __attribute__((noreturn));

/* Libfuse side (qlfs_fuse.c), called by the kernel side with interrupts
 * masked (QF2). */
/* Start the libfuse thread: mount, serve, then QF_SHUTDOWN. 0 or -errno. */
int qf_host_start_fuse(void);
/* The one-line error of a failed start; the waiting parent exits @status. */
void qf_host_fail(int status, const char *msg);
/* The kernel's exit status after QF_SHUTDOWN (0 clean, 1 failed), with its
 * message (may be empty); a parent still waiting (the FUSE mount failed)
 * hears it now, with the image unmounted and free. */
void qf_host_finished(int status, const char *msg);

#endif
