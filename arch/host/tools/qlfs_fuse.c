/*
 * arch/host/tools/qlfs_fuse.c - qlfs-fuse: a qlfs image mounted on the
 * host through FUSE, by the same fs/ code the kernel runs.
 *
 * Layer: arch/host (a host tool; libc and libfuse3's high-level API, never
 * the core's headers: QF2 in qlfs_fuse.h). Built by arch/host/build.mk as
 * build/host/VARIANT/qlfs-fuse with qlfs_fuse_kern.c and quire-host's
 * objects but main.o.
 * Provides: main(), the struct fuse_operations, qf_host_*().
 *
 *   qlfs-fuse [-f] [-d] [-o OPT[,OPT...]] IMAGE MOUNTPOINT
 *
 * main() parses the options, takes an exclusive flock() on IMAGE (a second
 * mount is refused with one line; it is also what a script waits for after
 * `fusermount3 -u`: the lock goes only when the checkpoint is written), and
 * unless -f forks: the parent waits on a pipe until the child says the
 * mount is ready (exit 0) or why it is not (one line, exit 1), as mount(8)
 * helpers do. Then it boots the core (qlfs_fuse_kern.c mounts the image)
 * and the kernel calls qf_host_start_fuse(), which starts the libfuse
 * thread: fuse_mount(), tell the parent, fuse_loop(), and at its end
 * (fusermount3 -u, umount, or SIGINT/SIGTERM/SIGHUP with -f) QF_SHUTDOWN,
 * after which the kernel syncs, unmounts (a checkpoint) and exits.
 *
 * Each operation fills a struct qf_req with paths under QF_ROOT and file
 * descriptors of the kernel (fi->fh) and calls qf_call(). libfuse's
 * high-level API keeps the paths; use_ino gives qlfs's own inode numbers
 * (hard links are seen as such); hard_remove lets an unlinked file stay
 * open on its kernel descriptor (qlfs keeps it as an orphan). Each name of
 * a hard-linked file is still its own host inode (libfuse keeps one node
 * per path): no attribute cache, auto_inval_data and QF4 keep the names
 * in agreement (qf_init(), qf_write(); docs/qlfs.md, "Through FUSE").
 */
#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "qlfs_fuse.h"

/* From the core, declared here without its headers (QF2). */
extern const char qlfs_version_string[];

#define TOOL "qlfs-fuse"

struct qf_config qf_cfg = {.ready_fd = -1};

static struct fuse *qf_fuse;
static int qf_lock_fd = -1; /* the image, flock()ed */
static uid_t qf_uid;
static gid_t qf_gid;

static const char usage[] =
	"usage: " TOOL " [-f] [-d] [-o OPT[,OPT...]] IMAGE MOUNTPOINT\n"
	"Mount the qlfs image file IMAGE on MOUNTPOINT through FUSE.\n"
	"  -f          stay in the foreground (default: run in the background once mounted)\n"
	"  -d          FUSE debug output (implies -f)\n"
	"  -o ro       mount read-only (the image is opened read-only)\n"
	"  -o rw       mount read-write (the default)\n"
	"  -o OPT      any other option goes to libfuse (e.g. allow_other)\n"
	"  -h, --help  this text;  -V, --version  the version\n"
	"Unmount with: fusermount3 -u MOUNTPOINT. The file system is synced and a\n"
	"checkpoint written before the process ends and lets go of IMAGE's lock\n"
	"(flock IMAGE true waits for that). Exit status: 0 mounted (or unmounted\n"
	"cleanly with -f), 1 an error (one line on stderr).\n";

static void __attribute__((noreturn)) die(const char *fmt, const char *arg)
{
	fprintf(stderr, TOOL ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

/* ---- requests ---- */

/* A fresh request for @path under QF_ROOT (NULL: none); -ENAMETOOLONG. */
static int req_init(struct qf_req *r, int op, const char *path)
{
	memset(r, 0, offsetof(struct qf_req, path));
	r->op = op;
	r->path[0] = 0;
	r->path2[0] = 0;
	if (path && snprintf(r->path, sizeof(r->path), QF_ROOT "%s", path) >=
			    (int)sizeof(r->path))
		return -ENAMETOOLONG;
	return 0;
}

static int set_path2(struct qf_req *r, const char *path, int under_root)
{
	if (snprintf(r->path2, sizeof(r->path2), "%s%s", under_root ? QF_ROOT : "",
		     path) >= (int)sizeof(r->path2))
		return -ENAMETOOLONG;
	return 0;
}

/* Operations on one path and nothing else. */
static int path_call(int op, const char *path, unsigned int mode)
{
	struct qf_req r;
	int err = req_init(&r, op, path);

	if (err)
		return err;
	r.mode = mode;
	return qf_call(&r);
}

static int fd_call(int op, struct fuse_file_info *fi, unsigned int flags)
{
	struct qf_req r;

	req_init(&r, op, NULL);
	r.fd = fi->fh;
	r.flags = flags;
	return qf_call(&r);
}

static void ns_to_ts(long long ns, struct timespec *ts)
{
	ts->tv_sec = ns / 1000000000LL;
	ts->tv_nsec = ns % 1000000000LL;
	if (ts->tv_nsec < 0) {
		ts->tv_sec--;
		ts->tv_nsec += 1000000000LL;
	}
}

static void to_stat(const struct qf_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = a->ino;
	st->st_mode = a->mode;
	st->st_nlink = a->nlink;
	st->st_uid = qf_uid; /* qlfs keeps no owners: the mounting user's */
	st->st_gid = qf_gid;
	st->st_rdev = a->rdev;
	st->st_size = a->size;
	st->st_blocks = a->blocks;
	st->st_blksize = a->blksize;
	ns_to_ts(a->atime_ns, &st->st_atim);
	ns_to_ts(a->mtime_ns, &st->st_mtim);
	ns_to_ts(a->ctime_ns, &st->st_ctim);
}

/* ---- struct fuse_operations ---- */

static void *qf_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->use_ino = 1;
	cfg->hard_remove = 1;
	cfg->nullpath_ok = 1;
	/* No attribute cache: with the high-level API each name of a hard
	 * link is its own node in the host kernel, so a link, an unlink or a
	 * write through one name would leave the others' cached st_nlink,
	 * size and times stale. Every stat asks qlfs (docs/qlfs-tools.md).
	 * What stays stale: the size an O_APPEND write starts from (QF4
	 * puts the bytes at the end, qf_write()). */
	cfg->attr_timeout = 0;
	/* And the page cache: with auto_inval_data the host kernel asks for
	 * the attributes at each read and drops the name's cached pages
	 * when the size or mtime changed, so a read by one name sees a
	 * write by another (libfuse 3 asks for it by default: said here
	 * because hard links depend on it; without it such a read returns
	 * the pages that name cached before). */
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	return NULL;
}

static int qf_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct qf_req r;
	int err;

	if (fi) {
		req_init(&r, QF_FGETATTR, NULL);
		r.fd = fi->fh;
	} else if ((err = req_init(&r, QF_GETATTR, path))) {
		return err;
	}
	err = qf_call(&r);
	if (!err)
		to_stat(&r.attr, st);
	return err;
}

static int qf_readlink(const char *path, char *buf, size_t size)
{
	struct qf_req r;
	long long n;
	int err = req_init(&r, QF_READLINK, path);

	if (err)
		return err;
	if (!size)
		return -EINVAL;
	r.buf = buf;
	r.size = size - 1;
	n = qf_call(&r);
	if (n < 0)
		return n;
	buf[n] = 0; /* FUSE wants it NUL-ended, cut if need be */
	return 0;
}

static int qf_mknod(const char *path, mode_t mode, dev_t rdev)
{
	return path_call(QF_MKNOD, path, mode);
}

static int qf_mkdir(const char *path, mode_t mode)
{
	return path_call(QF_MKDIR, path, mode);
}

static int qf_unlink(const char *path)
{
	return path_call(QF_UNLINK, path, 0);
}

static int qf_rmdir(const char *path)
{
	return path_call(QF_RMDIR, path, 0);
}

static int qf_symlink(const char *target, const char *path)
{
	struct qf_req r;
	int err = req_init(&r, QF_SYMLINK, path);

	if (!err)
		err = set_path2(&r, target, 0);
	return err ? err : qf_call(&r);
}

static int two_paths(int op, const char *from, const char *to, unsigned int flags)
{
	struct qf_req r;
	int err = req_init(&r, op, from);

	if (!err)
		err = set_path2(&r, to, 1);
	if (err)
		return err;
	r.flags = flags;
	return qf_call(&r);
}

static int qf_rename(const char *from, const char *to, unsigned int flags)
{
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL; /* RENAME_WHITEOUT: no overlayfs here */
	return two_paths(QF_RENAME, from, to, flags);
}

static int qf_link(const char *from, const char *to)
{
	return two_paths(QF_LINK, from, to, 0);
}

static int qf_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	if (!path)
		return -ENOENT; /* unlinked and open: no name to reach it by */
	return path_call(QF_CHMOD, path, mode);
}

/* qlfs keeps no owners: changing to the owner shown is accepted (cp -a,
 * tar and rsync running as that user ask for it), anything else EPERM. */
static int qf_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	if ((uid != (uid_t)-1 && uid != qf_uid) || (gid != (gid_t)-1 && gid != qf_gid))
		return -EPERM;
	return 0;
}

static int qf_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct qf_req r;
	int err;

	if (fi) {
		req_init(&r, QF_FTRUNCATE, NULL);
		r.fd = fi->fh;
	} else if ((err = req_init(&r, QF_TRUNCATE, path))) {
		return err;
	}
	r.off = size;
	return qf_call(&r);
}

static int open_call(const char *path, int flags, mode_t mode, struct fuse_file_info *fi)
{
	struct qf_req r;
	long long fd;
	int err = req_init(&r, QF_OPEN, path);

	if (err)
		return err;
	r.flags = flags;
	r.mode = mode;
	fd = qf_call(&r);
	if (fd < 0)
		return fd;
	fi->fh = fd;
	return 0;
}

static int qf_open(const char *path, struct fuse_file_info *fi)
{
	return open_call(path, fi->flags, 0, fi);
}

static int qf_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return open_call(path, fi->flags | O_CREAT, mode, fi);
}

static int rw_call(int op, void *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct qf_req r;

	req_init(&r, op, NULL);
	r.fd = fi->fh;
	r.buf = buf;
	r.size = size;
	r.off = off;
	return qf_call(&r);
}

static int qf_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	return rw_call(QF_READ, buf, size, off, fi);
}

/* fi->flags are the descriptor's flags at this write (FUSE's write
 * request carries them): O_APPEND appends at qlfs's end of file, not at
 * @off, which is the end this name's host inode last heard of (QF4). */
static int qf_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct qf_req r;

	req_init(&r, QF_WRITE, NULL);
	r.fd = fi->fh;
	r.buf = (void *)buf;
	r.size = size;
	r.off = off;
	/* A write-back of mmap()ed pages (writepage) goes where its page is. */
	r.flags = (fi->flags & O_APPEND) && !fi->writepage ? QF_WRITE_APPEND : 0;
	return qf_call(&r);
}

static int qf_statfs(const char *path, struct statvfs *sv)
{
	struct qf_req r;
	int err = req_init(&r, QF_STATFS, "/");

	if (err)
		return err;
	err = qf_call(&r);
	if (err)
		return err;
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = sv->f_frsize = r.sfs.bsize;
	sv->f_blocks = r.sfs.blocks;
	sv->f_bfree = r.sfs.bfree;
	sv->f_bavail = r.sfs.bavail;
	sv->f_files = r.sfs.files;
	sv->f_ffree = sv->f_favail = r.sfs.ffree;
	sv->f_namemax = r.sfs.namelen;
	sv->f_flag = r.sfs.read_only ? ST_RDONLY : 0;
	return 0;
}

/* close(2) of one of the descriptors the caller holds: the VFS has no
 * ->flush and qlfs writes back on its own (or at fsync): nothing to do. */
static int qf_flush(const char *path, struct fuse_file_info *fi)
{
	return 0;
}

static int qf_release(const char *path, struct fuse_file_info *fi)
{
	return fd_call(QF_CLOSE, fi, 0);
}

static int qf_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	return fd_call(QF_FSYNC, fi, !!datasync);
}

static int qf_opendir(const char *path, struct fuse_file_info *fi)
{
	return open_call(path, O_RDONLY | O_DIRECTORY, 0, fi);
}

#define DIRBUF 32768

static int qf_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	static char dents[DIRBUF]; /* one libfuse thread (fuse_loop) */
	struct qf_req r;

	for (;;) {
		long long n;

		req_init(&r, QF_GETDENTS, NULL);
		r.fd = fi->fh;
		r.off = off;
		r.buf = dents;
		r.size = sizeof(dents);
		n = qf_call(&r);
		if (n <= 0)
			return n;
		for (long long pos = 0; pos < n;) {
			struct qf_dirent *d = (struct qf_dirent *)(dents + pos);
			struct stat st = {.st_ino = d->d_ino, .st_mode = d->d_type << 12};

			if (filler(buf, d->d_name, &st, d->d_off, 0))
				return 0; /* full: the kernel asks again from d_off */
			off = d->d_off;
			pos += d->d_reclen;
		}
	}
}

static int qf_releasedir(const char *path, struct fuse_file_info *fi)
{
	return fd_call(QF_CLOSE, fi, 0);
}

static int qf_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
	return fd_call(QF_FSYNC, fi, !!datasync);
}

static long long ts_to_ns(const struct timespec *ts)
{
	if (ts->tv_nsec == UTIME_NOW)
		return QF_UTIME_NOW;
	if (ts->tv_nsec == UTIME_OMIT)
		return QF_UTIME_OMIT;
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static int qf_utimens(const char *path, const struct timespec tv[2],
		      struct fuse_file_info *fi)
{
	struct qf_req r;
	int err;

	if (!path)
		return -ENOENT;
	err = req_init(&r, QF_UTIMENS, path);
	if (err)
		return err;
	r.atime_ns = tv ? ts_to_ns(&tv[0]) : QF_UTIME_NOW;
	r.mtime_ns = tv ? ts_to_ns(&tv[1]) : QF_UTIME_NOW;
	return qf_call(&r);
}

static off_t qf_lseek(const char *path, off_t off, int whence, struct fuse_file_info *fi)
{
	struct qf_req r;

	req_init(&r, QF_LSEEK, NULL);
	r.fd = fi->fh;
	r.off = off;
	r.flags = whence;
	return qf_call(&r);
}

static const struct fuse_operations qf_ops = {
	.init = qf_init,
	.getattr = qf_getattr,
	.readlink = qf_readlink,
	.mknod = qf_mknod,
	.mkdir = qf_mkdir,
	.unlink = qf_unlink,
	.rmdir = qf_rmdir,
	.symlink = qf_symlink,
	.rename = qf_rename,
	.link = qf_link,
	.chmod = qf_chmod,
	.chown = qf_chown,
	.truncate = qf_truncate,
	.open = qf_open,
	.create = qf_create,
	.read = qf_read,
	.write = qf_write,
	.statfs = qf_statfs,
	.flush = qf_flush,
	.release = qf_release,
	.fsync = qf_fsync,
	.opendir = qf_opendir,
	.readdir = qf_readdir,
	.releasedir = qf_releasedir,
	.fsyncdir = qf_fsyncdir,
	.utimens = qf_utimens,
	.lseek = qf_lseek,
};

/* ---- the libfuse thread ---- */

/* Tell the waiting parent (if any) how the start went. */
static void tell_parent(int status)
{
	unsigned char b = status;

	if (qf_cfg.ready_fd < 0)
		return;
	/* A failed write: the parent is gone, nobody to tell. */
	(void)!write(qf_cfg.ready_fd, &b, 1);
	close(qf_cfg.ready_fd);
	qf_cfg.ready_fd = -1;
}

void qf_host_fail(int status, const char *msg)
{
	fprintf(stderr, TOOL ": %s: %s\n", qf_cfg.image, msg);
	tell_parent(status);
}

void qf_host_finished(int status, const char *msg)
{
	if (status && msg[0]) /* else the FUSE side said why already */
		fprintf(stderr, TOOL ": %s: %s\n", qf_cfg.image, msg);
	/* The image is unmounted: let go of it before anyone hears we are
	 * done (the lock is the parent's too until it exits). */
	flock(qf_lock_fd, LOCK_UN);
	tell_parent(status); /* if the FUSE mount failed, it still waits */
}

/* In the background, stdio goes to /dev/null once the mount is ready (the
 * parent has said all there was to say). */
static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void *fuse_thread(void *arg)
{
	struct fuse_session *se = fuse_get_session(qf_fuse);
	struct qf_req r;
	sigset_t set;
	int failed = 0;

	/* This thread, and only it, takes the signals that end the loop. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (fuse_set_signal_handlers(se) || fuse_mount(qf_fuse, qf_cfg.mountpoint)) {
		/* The parent hears it once the image is unmounted and its
		 * lock free (qf_host_finished()): it may be mounted again. */
		fprintf(stderr, TOOL ": %s: FUSE mount failed (see the line above)\n",
			qf_cfg.image);
		failed = 1;
	} else {
		tell_parent(0);
		if (!qf_cfg.foreground) {
			(void)!chdir("/");
			detach_stdio();
		}
		fuse_loop(qf_fuse);
		fuse_unmount(qf_fuse);
	}
	fuse_remove_signal_handlers(se);
	req_init(&r, QF_SHUTDOWN, NULL);
	r.flags = failed; /* the exit status is 1 even if the unmount goes well */
	qf_call(&r);
	return NULL;
}

/* Context: the kernel's boot task, interrupts masked (QF2). */
int qf_host_start_fuse(void)
{
	pthread_t t;
	sigset_t set, old;
	int err;

	/* The thread starts with every signal blocked: a vCPU's interrupt
	 * signals are for vCPUs only. */
	sigfillset(&set);
	pthread_sigmask(SIG_SETMASK, &set, &old);
	err = pthread_create(&t, NULL, fuse_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		qf_host_fail(1, "cannot start the FUSE thread");
		return -err;
	}
	pthread_detach(t);
	return 0;
}

/* ---- main ---- */

/* -o OPTS: ro/rw are ours (and the FUSE mount's), the rest libfuse's. */
static void parse_opts(char *opts, char *fuse_opts, size_t size)
{
	for (char *o = strtok(opts, ","); o; o = strtok(NULL, ",")) {
		size_t used = strlen(fuse_opts);

		if (!strcmp(o, "ro"))
			qf_cfg.read_only = 1;
		else if (!strcmp(o, "rw"))
			qf_cfg.read_only = 0;
		else if (snprintf(fuse_opts + used, size - used, ",%s", o) >=
			 (int)(size - used))
			die("%s", "-o: options too long");
	}
}

static void parse_args(int argc, char **argv, const char **image, const char **mnt)
{
	static char extra[4096];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			exit(0);
		}
		if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			printf(TOOL " %s", qlfs_version_string);
			exit(0);
		}
	}
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];

		if (!strcmp(a, "-f")) {
			qf_cfg.foreground = 1;
		} else if (!strcmp(a, "-d")) {
			qf_cfg.debug = qf_cfg.foreground = 1;
		} else if (!strcmp(a, "-o")) {
			if (++i == argc)
				die("%s", "-o needs a value (" TOOL " --help for usage)");
			parse_opts(argv[i], extra, sizeof(extra));
		} else if (!strncmp(a, "-o", 2)) {
			parse_opts(a + 2, extra, sizeof(extra));
		} else if (a[0] == '-' && a[1]) {
			die("unknown option '%s' (" TOOL " --help for usage)", a);
		} else if (!*image) {
			*image = a;
		} else if (!*mnt) {
			*mnt = a;
		} else {
			die("too many arguments: '%s' (" TOOL " --help for usage)", a);
		}
	}
	if (!*image || !*mnt)
		die("%s", "needs IMAGE and MOUNTPOINT (" TOOL " --help for usage)");
	snprintf(qf_cfg.fuse_opts, sizeof(qf_cfg.fuse_opts), "subtype=qlfs%s%s", extra,
		 qf_cfg.read_only ? ",ro" : "");
}

/* The image: a regular file we can lock. Returns its size. */
static unsigned long long open_image(const char *image)
{
	struct stat st;
	int fd = open(image, qf_cfg.read_only ? O_RDONLY : O_RDWR);

	if (fd < 0) {
		fprintf(stderr, TOOL ": cannot open '%s': %s\n", image, strerror(errno));
		exit(1);
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		die("'%s' is not a regular file (image files only)", image);
	if (strchr(image, ','))
		die("'%s': an image path may not contain ','", image);
	if (st.st_size < 4096)
		die("'%s' is smaller than one 4 KiB block", image);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK)
			die("'%s' is in use (mounted by another qlfs-fuse, or held by "
			    "another program)",
			    image);
		die("cannot lock '%s'", image);
	}
	qf_lock_fd = fd; /* stays open: the lock lives until the unmount is done */
	return st.st_size;
}

static void check_mountpoint(const char *mnt)
{
	static char abs[PATH_MAX];
	struct stat st;

	if (!realpath(mnt, abs) || stat(abs, &st)) {
		fprintf(stderr, TOOL ": mount point '%s': %s\n", mnt, strerror(errno));
		exit(1);
	}
	if (!S_ISDIR(st.st_mode))
		die("mount point '%s' is not a directory", mnt);
	qf_cfg.mountpoint = abs;
}

static void make_fuse(void)
{
	char *argv[6];
	int argc = 0;
	struct fuse_args args;

	argv[argc++] = TOOL;
	if (qf_cfg.debug)
		argv[argc++] = "-d";
	argv[argc++] = "-o";
	argv[argc++] = qf_cfg.fuse_opts;
	args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	qf_fuse = fuse_new(&args, &qf_ops, sizeof(qf_ops), NULL);
	if (!qf_fuse)
		die("%s", "libfuse refused the options (see the line above)");
}

/* Unless -f: the parent stays until the child says how the mount went. */
static void daemonize(void)
{
	int p[2];
	unsigned char status;
	pid_t pid;

	if (pipe(p))
		die("%s", "cannot make a pipe");
	pid = fork();
	if (pid < 0)
		die("%s", "cannot fork");
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &status, 1) != 1)
			die("%s",
			    "the file system process ended before the mount was ready");
		_exit(status);
	}
	close(p[0]);
	qf_cfg.ready_fd = p[1];
	setsid();
}

int main(int argc, char **argv)
{
	const char *image = NULL, *mnt = NULL;
	char fsname[PATH_MAX + 16];
	unsigned long long size;
	sigset_t set;

	parse_args(argc, argv, &image, &mnt);
	qf_cfg.image = image;
	check_mountpoint(mnt);
	size = open_image(image);
	snprintf(fsname, sizeof(fsname), ",fsname=%s", image);
	if (strlen(qf_cfg.fuse_opts) + strlen(fsname) < sizeof(qf_cfg.fuse_opts) &&
	    !strpbrk(image, ",\\"))
		strcat(qf_cfg.fuse_opts, fsname);
	qf_uid = getuid();
	qf_gid = getgid();
	make_fuse();
	/* Every thread but the libfuse one (which unblocks them) keeps
	 * SIGINT/SIGTERM/SIGHUP blocked: they end the FUSE loop cleanly. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (!qf_cfg.foreground)
		daemonize();
	qf_boot(size);
}
