/*
 * arch/host/tools/qlfs_fuse_kern.c - qlfs-fuse's kernel half: the image
 * mounted by the core, and the task that runs FUSE requests through the
 * VFS.
 *
 * Layer: arch/host (a host tool; sees the core's headers and host.h, never
 * libc's: QF2 in qlfs_fuse.h). Used by: qlfs_fuse.c.
 * Provides: qf_boot(), qf_call(), and the late initcall qf_kernel_main().
 *
 * The core boots as for mkfs.qlfs (arch/host/tools/qlfs_tool.c): image as
 * disk vda, one CPU, quiet. qf_kernel_main() runs last among the
 * initcalls, on the boot task: it mounts vda on QF_ROOT of the boot
 * ramfs, starts the libfuse thread and becomes the worker. It never
 * returns: after QF_SHUTDOWN it powers off with the exit status.
 *
 * Why a worker and not the libfuse thread itself: kernel code runs only
 * on a vCPU, as a task the scheduler knows (current, preemption, the
 * per-CPU data all come from the vCPU); a libfuse thread is none of that,
 * and a vCPU blocked in read(/dev/fuse) would stall every task queued on
 * it. So libfuse's thread only waits: qf_call() pushes the request on a
 * lock-free list and rings a doorbell, an arch/host MSI vector (as the
 * host disk's worker threads do, arch/host/blockdev.c); its handler wakes
 * the worker, which runs the request and wakes the caller by futex.
 *
 * Locking: qf_head is a lock-free stack (push: compare-and-swap; the
 * worker takes it whole with an exchange). A request belongs to one side
 * at a time (QF1). The worker is one task, so FUSE requests run one at a
 * time, in the order they came.
 */
#include <quire/init.h>
#include <quire/kernel.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/string.h>
#include <quire/fs.h>
#include <quire/syscalls.h>
#include <quire/wait.h>
#include <arch/irq.h>
#include <arch/power.h>
#include "../host.h"
#include "../blockdev.h"
#include "qlfs_fuse.h"
#include "tool_boot.h"

/* QF3: what crosses the seam unchanged has Linux's values. */
_Static_assert(O_CREAT == 0100 && O_EXCL == 0200 && O_TRUNC == 01000 &&
		       O_APPEND == 02000 && O_DIRECTORY == 0200000 &&
		       O_NOFOLLOW == 0400000 && O_SYNC == 04010000,
	       "open flags are Linux's");
_Static_assert(S_IFDIR == 0040000 && S_IFREG == 0100000 && S_IFLNK == 0120000,
	       "mode bits are Linux's");
_Static_assert(SEEK_DATA == 3 && SEEK_HOLE == 4, "whence values are Linux's");
_Static_assert(RENAME_NOREPLACE == 1 && RENAME_EXCHANGE == 2, "rename flags");
_Static_assert(QF_UTIME_NOW == UTIME_NOW && QF_UTIME_OMIT == UTIME_OMIT, "utimens");
_Static_assert(sizeof(struct qf_dirent) == sizeof(struct linux_dirent64),
	       "getdents64 records cross as they are");

/* Open flags the VFS is given; the others (O_LARGEFILE, O_CLOEXEC,
 * O_NOATIME, O_DIRECT: the FUSE kernel module's business) are dropped.
 * O_APPEND too: FUSE sends every write with its offset and the
 * descriptor's flags of the moment (fcntl F_SETFL included): do_write()
 * appends by those (QF4). */
#define QF_OPEN_FLAGS                                                              \
	(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_DSYNC | O_SYNC | O_DIRECTORY | \
	 O_NOFOLLOW)

static struct qf_req *qf_head; /* submitted, not yet taken by the worker */
static DECLARE_WAIT_QUEUE_HEAD(qf_wait);
static int qf_msi = -1;

/* ---- the libfuse thread's side: submit and wait ---- */

long long qf_call(struct qf_req *r)
{
	struct qf_req *old = __atomic_load_n(&qf_head, __ATOMIC_RELAXED);

	r->done = 0;
	do {
		r->next = old;
	} while (!__atomic_compare_exchange_n(&qf_head, &old, r, true, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	host_msi_trigger(qf_msi);
	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
		host_futex_wait(&r->done, 0, 0);
	return r->ret;
}

/* Context: hard interrupt on CPU 0 (the doorbell). */
static void qf_doorbell(void *data)
{
	wake_up(&qf_wait);
}

/* ---- the worker: one request through the VFS ---- */

static void fill_attr(struct qf_attr *a, const struct kstat *st)
{
	a->ino = st->ino;
	a->size = st->size;
	a->blocks = st->blocks;
	a->mode = st->mode;
	a->nlink = st->nlink;
	a->blksize = st->blksize;
	a->rdev = st->rdev;
	a->atime_ns = st->atime_ns;
	a->mtime_ns = st->mtime_ns;
	a->ctime_ns = st->ctime_ns;
}

static long long do_stat(struct qf_req *r)
{
	struct kstat st;
	int err;

	if (r->op == QF_FGETATTR)
		err = ksys_fstat(r->fd, &st);
	else
		err = ksys_lstat(r->path, &st);
	if (!err)
		fill_attr(&r->attr, &st);
	return err;
}

static long long do_statfs(struct qf_req *r)
{
	struct kstatfs st;
	int err = ksys_statfs(r->path, &st);

	if (err)
		return err;
	r->sfs.bsize = st.f_bsize;
	r->sfs.blocks = st.f_blocks;
	r->sfs.bfree = st.f_bfree;
	r->sfs.bavail = st.f_bavail;
	r->sfs.files = st.f_files;
	r->sfs.ffree = st.f_ffree;
	r->sfs.namelen = st.f_namelen;
	r->sfs.read_only = !!(st.f_flags & MS_RDONLY);
	return 0;
}

/* FUSE's mknod for a regular file (the only kind the VFS makes). */
static long long do_mknod(struct qf_req *r)
{
	int fd;

	if ((r->mode & S_IFMT) != S_IFREG)
		return -EPERM; /* no FIFOs, sockets or device nodes in qlfs */
	fd = ksys_open(r->path, O_WRONLY | O_CREAT | O_EXCL, r->mode & 07777);
	if (fd < 0)
		return fd;
	return ksys_close(fd);
}

static long long do_getdents(struct qf_req *r)
{
	loff_t pos = ksys_lseek(r->fd, r->off, SEEK_SET);

	if (pos < 0)
		return pos;
	return ksys_getdents64(r->fd, r->buf, r->size);
}

/* A symlink's own times (FUSE sends the link's path for lutimes). */
static long long do_utimens(struct qf_req *r)
{
	s64 times[2] = {r->atime_ns, r->mtime_ns};

	return ksys_utimensat(r->path, times, AT_SYMLINK_NOFOLLOW);
}

static long long do_fsync(struct qf_req *r)
{
	return r->flags ? ksys_fdatasync(r->fd) : ksys_fsync(r->fd);
}

/* QF4: an O_APPEND write at the end qlfs knows (one worker: no other
 * request runs between the size and the write). */
static long long do_write(struct qf_req *r)
{
	loff_t off = r->off;

	if (r->flags & QF_WRITE_APPEND) {
		off = ksys_lseek(r->fd, 0, SEEK_END);
		if (off < 0)
			return off;
	}
	return ksys_pwrite64(r->fd, r->buf, r->size, off);
}

static long long do_request(struct qf_req *r)
{
	switch (r->op) {
	case QF_GETATTR:
	case QF_FGETATTR:
		return do_stat(r);
	case QF_READLINK:
		return ksys_readlink(r->path, r->buf, r->size);
	case QF_MKNOD:
		return do_mknod(r);
	case QF_MKDIR:
		return ksys_mkdir(r->path, r->mode & 07777);
	case QF_UNLINK:
		return ksys_unlink(r->path);
	case QF_RMDIR:
		return ksys_rmdir(r->path);
	case QF_SYMLINK:
		return ksys_symlink(r->path2, r->path);
	case QF_RENAME:
		return ksys_rename(r->path, r->path2, r->flags);
	case QF_LINK:
		return ksys_link(r->path, r->path2);
	case QF_CHMOD:
		return ksys_chmod(r->path, r->mode);
	case QF_UTIMENS:
		return do_utimens(r);
	case QF_TRUNCATE:
		return ksys_truncate(r->path, r->off);
	case QF_FTRUNCATE:
		return ksys_ftruncate(r->fd, r->off);
	case QF_OPEN:
		return ksys_open(r->path, r->flags & QF_OPEN_FLAGS, r->mode & 07777);
	case QF_READ:
		return ksys_pread64(r->fd, r->buf, r->size, r->off);
	case QF_WRITE:
		return do_write(r);
	case QF_STATFS:
		return do_statfs(r);
	case QF_CLOSE:
		return ksys_close(r->fd);
	case QF_FSYNC:
		return do_fsync(r);
	case QF_GETDENTS:
		return do_getdents(r);
	case QF_LSEEK:
		return ksys_lseek(r->fd, r->off, r->flags);
	}
	return -ENOSYS;
}

/* Finish @r (QF1: not touched after ->done is set). */
static void complete_request(struct qf_req *r, long long ret)
{
	r->ret = ret;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	host_futex_wake(&r->done);
}

/* Take everything submitted, oldest first. */
static struct qf_req *take_requests(void)
{
	struct qf_req *r = __atomic_exchange_n(&qf_head, NULL, __ATOMIC_ACQUIRE);
	struct qf_req *fifo = NULL;

	while (r) {
		struct qf_req *next = r->next;

		r->next = fifo;
		fifo = r;
		r = next;
	}
	return fifo;
}

/* Serve until QF_SHUTDOWN; returns that request (not completed yet). */
static struct qf_req *serve(void)
{
	for (;;) {
		struct qf_req *r;

		wait_event_interruptible(qf_wait,
					 __atomic_load_n(&qf_head, __ATOMIC_ACQUIRE));
		r = take_requests();
		while (r) {
			struct qf_req *next = r->next;

			if (r->op == QF_SHUTDOWN)
				return r; /* the libfuse loop ended: nothing follows */
			complete_request(r, do_request(r));
			r = next;
		}
	}
}

/* ---- mount and unmount ---- */

static void fail_start(const char *what, int err)
{
	char msg[256];
	unsigned long flags;

	scnprintf(msg, sizeof(msg), "%s: %s", what, errname(err));
	flags = arch_local_irq_save();
	qf_host_fail(1, msg);
	arch_local_irq_restore(flags);
	arch_poweroff(1);
}

/* Close what FUSE left open (an aborted connection sends no release),
 * then unmount: qlfs writes its checkpoint (put_super). */
static int unmount_image(char *msg, size_t size)
{
	int err;

	for (int fd = 0; fd < NR_OPEN_DEFAULT; fd++)
		ksys_close(fd);
	ksys_sync();
	err = ksys_umount(QF_ROOT, 0);
	if (err)
		scnprintf(msg, size, "cannot unmount the image: %s", errname(err));
	return err;
}

static int qf_kernel_main(void)
{
	u64 addr;
	u32 data;
	struct qf_req *stop;
	unsigned long flags;
	char msg[160] = "";
	int err, status;

	err = ksys_mkdir(QF_ROOT, 0755);
	if (err)
		fail_start("cannot make the mount point in the core", err);
	err = ksys_mount("vda", QF_ROOT, "qlfs", qf_cfg.read_only ? MS_RDONLY : 0, NULL);
	if (err)
		fail_start("cannot mount the image as qlfs (fsck.qlfs -n IMAGE says why)",
			   err);
	qf_msi = arch_msi_alloc(0, qf_doorbell, NULL, &addr, &data);
	if (qf_msi < 0)
		fail_start("no interrupt vector for the requests", qf_msi);
	flags = arch_local_irq_save();
	err = qf_host_start_fuse();
	arch_local_irq_restore(flags);
	if (err) {
		ksys_umount(QF_ROOT, 0);
		arch_poweroff(1); /* the libfuse side said why */
	}
	stop = serve();
	status = unmount_image(msg, sizeof(msg)) || stop->flags ? 1 : 0;
	complete_request(stop, status);
	flags = arch_local_irq_save();
	qf_host_finished(status, msg);
	arch_local_irq_restore(flags);
	arch_poweroff(status);
	return 0;
}
late_initcall(qf_kernel_main);

#define QF_MEM	    (256ULL << 20) /* RAM for the core, plus: */
#define QF_MEM_MAX  (4ULL << 30)
#define QF_LOGLEVEL 2 /* kernel log: critical only (as mkfs.qlfs) */

void qf_boot(unsigned long long size)
{
	static char spec[QF_PATH_MAX + 8];
	if (strlen(qf_cfg.image) + 4 > sizeof(spec) ||
	    scnprintf(spec, sizeof(spec), "%s%s", qf_cfg.image,
		      qf_cfg.read_only ? ",ro" : "") < 0 ||
	    hostdisk_add_option(spec)) {
		qf_host_fail(1, "cannot attach the image");
		arch_poweroff(1);
	}
	/* a byte per 64 of the image: node and NAT caches */
	qlfs_tool_boot(size, QF_MEM, 64, QF_MEM_MAX, QF_LOGLEVEL);
}
