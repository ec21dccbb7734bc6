/*
 * fs/vfs_model_run.c - the runner of the random-operation model test:
 * the seeded generator, each operation on both sides (the ksys_* calls
 * and the model of fs/vfs_model.c), the comparisons and the tree check.
 * docs/vfs-model-test.md.
 *
 * Layer: fs (tests). Used by: fs/vfs_model_test.c (suite vfs_model, the
 * vfs_model command: ramfs and qlfs backends), and, built over libc,
 * arch/host/tools/vfs_fuse_test.c (suite vfs_model_fuse: a qlfs-fuse
 * mount as the backend). It uses only the ksys_* calls, kmalloc() and
 * the string functions, so both builds take it unchanged.
 * Provides: vm_run(), vm_kind_name[] (fs/vfs_model.h).
 *
 * For each step: draw one operation from the generator, run it on both
 * sides and compare return values, errno, bytes read, stat results and
 * directory listings; then the tree check compares the whole namespace
 * (listings as sets, types, nlink, sizes, inode numbers: one model inode
 * is one real inode) and the bytes of every file written since it was
 * last checked. The first difference stops the run and prints the seed,
 * the step, the last operations and the commands that replay it
 * (fs/vfs_model_test.c shows them).
 *
 * Locking: none; one thread. The fds and the mount are the run's own.
 */
#include "vfs_model.h"
#include <quire/syscalls.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>

#define VM_BUF	      (64u << 10)
#define VM_HISTORY    8		 /* operations shown before a failure */
#define VM_MAX_ENTS   256	 /* entries in one directory */
#define VM_MAX_NODES  1024	 /* nodes the tree check looks at */
#define VM_LINKED_IDS (1u << 22) /* model inode ids the linked bitmap holds */

const char *const vm_kind_name[NR_OPS] = {
	"open",	   "close",	"read",	    "write",   "pread",	 "pwrite",
	"lseek",   "ftruncate", "truncate", "fstat",   "stat",	 "lstat",
	"fsync",   "mkdir",	"rmdir",    "unlink",  "rename", "link",
	"symlink", "readlink",	"readdir",  "remount",
};

/* Relative weights of the generator. */
static const unsigned char vm_weight[NR_OPS] = {
	[OP_OPEN] = 12,	   [OP_CLOSE] = 6,   [OP_READ] = 5,    [OP_WRITE] = 10,
	[OP_PREAD] = 6,	   [OP_PWRITE] = 10, [OP_LSEEK] = 4,   [OP_FTRUNCATE] = 4,
	[OP_TRUNCATE] = 4, [OP_FSTAT] = 3,   [OP_STAT] = 3,    [OP_LSTAT] = 2,
	[OP_FSYNC] = 1,	   [OP_MKDIR] = 7,   [OP_RMDIR] = 4,   [OP_UNLINK] = 6,
	[OP_RENAME] = 9,   [OP_LINK] = 4,    [OP_SYMLINK] = 5, [OP_READLINK] = 3,
	[OP_READDIR] = 4,  [OP_REMOUNT] = 0,
};

/* One operation, as generated or scripted. */
struct vm_op {
	enum vm_kind kind;
	char path[2][PATH_MAX / 8]; /* paths (relative to the root, or absolute) */
	unsigned int flags;	    /* open flags, rename flags */
	int fd;			    /* a slot of the model's fd table */
	loff_t off;
	size_t len;
	int whence;
};

struct vm_runner {
	struct vfs_model m;
	struct vm_options o;
	u64 rng;
	unsigned long step;
	unsigned long remounts; /* OP_REMOUNT steps generated */
	int real_fd[VM_MAX_FDS];
	char fd_path[VM_MAX_FDS][PATH_MAX / 8]; /* the name each was opened by */
	/* The name each was opened by stopped leading to its file since
	 * (or the file was renamed over by another name of it): the
	 * backend's orphan_estale may apply. */
	bool fd_lost[VM_MAX_FDS];
	/* Model inodes that have had two names (stale_append_pos backends
	 * only; NULL otherwise): one bit per id, ids past it count as linked. */
	u8 *linked;
	u8 *wbuf, *rbuf, *mbuf; /* VM_BUF each */
	char hist[VM_HISTORY][200];
	struct vm_dirent *ents; /* VM_MAX_ENTS */
	struct {
		unsigned int id;
		u64 ino;
	} * seen; /* VM_MAX_NODES */
	unsigned int nseen;
	bool failed;
	long long last_ret; /* the model's answer to the last call */
	struct vm_stats st; /* coverage */
};

static const char *const vm_names[] = {
	"a", "b",  "c",	       "d",    "e",
	"f", "gg", "file.txt", "dir2", "a_rather_long_name_0123456789",
};

/* ---- random numbers (splitmix64: a seed replays the run) ---- */

static u64 vm_rand(struct vm_runner *r)
{
	u64 z = (r->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 vm_rnd(struct vm_runner *r, u64 n)
{
	return n ? vm_rand(r) % n : 0;
}

/* ---- reporting ---- */

/* @path with each component over 32 bytes shown as "<N bytes>". */
static const char *vm_short(const char *path, char *buf, size_t size)
{
	size_t len = 0;

	while (*path && len + 1 < size) {
		size_t n = 0;

		while (path[n] && path[n] != '/')
			n++;
		if (n > 32)
			len += scnprintf(buf + len, size - len, "<%zu bytes>", n);
		else
			len += scnprintf(buf + len, size - len, "%.*s", (int)n, path);
		path += n;
		if (*path == '/' && len + 1 < size) {
			buf[len++] = '/';
			buf[len] = '\0';
			path++;
		}
	}
	buf[len] = '\0';
	return buf;
}

static void vm_describe(const struct vm_op *op, char *buf, size_t size)
{
	const char *k = vm_kind_name[op->kind];
	char s0[80], s1[80];
	struct vm_op o = *op;

	strscpy_len(o.path[0], vm_short(op->path[0], s0, sizeof(s0)), sizeof(o.path[0]));
	strscpy_len(o.path[1], vm_short(op->path[1], s1, sizeof(s1)), sizeof(o.path[1]));
	op = &o;

	switch (op->kind) {
	case OP_OPEN:
		scnprintf(buf, size, "fd%d = open(\"%s\", %#o)", op->fd, op->path[0],
			  op->flags);
		break;
	case OP_CLOSE:
	case OP_FSTAT:
	case OP_FSYNC:
		scnprintf(buf, size, "%s(fd%d)", k, op->fd);
		break;
	case OP_READ:
	case OP_WRITE:
		scnprintf(buf, size, "%s(fd%d, %zu)", k, op->fd, op->len);
		break;
	case OP_PREAD:
	case OP_PWRITE:
		scnprintf(buf, size, "%s(fd%d, %zu, %lld)", k, op->fd, op->len,
			  (long long)op->off);
		break;
	case OP_LSEEK:
		scnprintf(buf, size, "lseek(fd%d, %lld, %d)", op->fd, (long long)op->off,
			  op->whence);
		break;
	case OP_FTRUNCATE:
		scnprintf(buf, size, "ftruncate(fd%d, %lld)", op->fd, (long long)op->off);
		break;
	case OP_TRUNCATE:
		scnprintf(buf, size, "truncate(\"%s\", %lld)", op->path[0],
			  (long long)op->off);
		break;
	case OP_RENAME:
		scnprintf(buf, size, "rename(\"%s\", \"%s\", %u)", op->path[0],
			  op->path[1], op->flags);
		break;
	case OP_LINK:
	case OP_SYMLINK:
		scnprintf(buf, size, "%s(\"%s\", \"%s\")", k, op->path[0], op->path[1]);
		break;
	case OP_READLINK:
		scnprintf(buf, size, "readlink(\"%s\", %zu)", op->path[0], op->len);
		break;
	case OP_REMOUNT:
		scnprintf(buf, size, "remount");
		break;
	default:
		scnprintf(buf, size, "%s(\"%s\")", k, op->path[0]);
		break;
	}
}

static void vm_fmt_ret(char *buf, size_t size, long long v)
{
	if (v < 0 && v >= -MAX_ERRNO)
		scnprintf(buf, size, "-%s", errname((int)v));
	else
		scnprintf(buf, size, "%lld", v);
}

/* The first difference: say what, where, and how to replay it. */
static __printf(2, 3) void vm_fail(struct vm_runner *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	vscnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cprintf("# vfs_model: seed %llu step %lu: %s\n", (unsigned long long)r->o.seed,
		r->step, msg);
	cprintf("# vfs_model: last operations (oldest first):\n");
	for (unsigned long i = r->step > VM_HISTORY ? r->step - VM_HISTORY + 1 : 1;
	     i <= r->step; i++)
		cprintf("# vfs_model:   %lu: %s\n", i, r->hist[i % VM_HISTORY]);
	if (r->o.replay_case)
		cprintf("# vfs_model: replay: test --seed %llu %s\n",
			(unsigned long long)r->o.replay_seed, r->o.replay_case);
	if (!r->o.remount_one_in)
		cprintf("# vfs_model: replay with a log: vfs_model --seed %llu --steps %lu "
			"--verbose\n",
			(unsigned long long)r->o.seed, r->step);
}

/* Compare a return value; false (and the failure printed) if they differ. */
static bool vm_same(struct vm_runner *r, const char *what, long long real,
		    long long model)
{
	char a[32], b[32];

	r->last_ret = model;
	if (real == model)
		return true;
	vm_fmt_ret(a, sizeof(a), real);
	vm_fmt_ret(b, sizeof(b), model);
	vm_fail(r, "%s: real %s, model %s", what, a, b);
	return false;
}

/* ---- the real side ---- */

static void vm_real_path(const char *path, char *buf, size_t size)
{
	if (path[0] == '/')
		strscpy_len(buf, path, size);
	else
		scnprintf(buf, size, "%s/%s", VM_PREFIX, path);
}

static bool vm_same_stat(struct vm_runner *r, const char *what, const struct kstat *st,
			 const struct vm_stat *ms)
{
	if ((st->mode & S_IFMT) != ms->type) {
		vm_fail(r, "%s: type %#o, model %#o", what, st->mode & S_IFMT, ms->type);
		return false;
	}
	if (st->nlink != ms->nlink) {
		vm_fail(r, "%s: nlink %u, model %u", what, st->nlink, ms->nlink);
		return false;
	}
	if (ms->type != S_IFDIR && st->size != ms->size) {
		vm_fail(r, "%s: size %lld, model %lld", what, (long long)st->size,
			(long long)ms->size);
		return false;
	}
	return true;
}

/* ---- the operations on both sides ---- */

/* The backend's known difference (struct vm_backend.orphan_estale): is
 * @real ESTALE from a call on fd slot @fd whose file the name it was
 * opened by stopped leading to at some step since the open (unlinked,
 * renamed over, a directory on the way renamed), or that was renamed
 * over by another name of itself (vm_note_lost())? */
static bool vm_orphan_estale(struct vm_runner *r, int fd, long long real)
{
	struct vm_stat fs;

	if (real != -ESTALE || !r->o.backend->orphan_estale || vm_fstat(&r->m, fd, &fs))
		return false;
	if (!r->fd_lost[fd])
		return false; /* its name always led to it: ESTALE is wrong */
	r->st.orphan_estale++;
	return true;
}

/* After a step that changed names: each open file whose name no longer
 * leads to it is lost for good (orphan_estale), even if a later step
 * makes the name lead to it again (the backend's node for that name is
 * gone by then); and every open file of @same_id (a file renamed over
 * by another name of itself, or 0) too. */
static void vm_note_lost(struct vm_runner *r, unsigned int same_id)
{
	for (int fd = 0; fd < VM_MAX_FDS; fd++) {
		struct vm_stat fs, ps;

		if (r->fd_lost[fd] || vm_fstat(&r->m, fd, &fs))
			continue;
		if (fs.id == same_id || vm_stat(&r->m, r->fd_path[fd], true, &ps) ||
		    ps.id != fs.id)
			r->fd_lost[fd] = true;
	}
}

static bool vm_linked(struct vm_runner *r, unsigned int id)
{
	return id >= VM_LINKED_IDS || (r->linked[id / 8] >> (id % 8)) & 1;
}

static void vm_set_linked(struct vm_runner *r, const char *path)
{
	struct vm_stat ms;

	if (r->linked && !vm_stat(&r->m, path, false, &ms) && ms.id < VM_LINKED_IDS)
		r->linked[ms.id / 8] |= 1u << (ms.id % 8);
}

static bool vm_do_open(struct vm_runner *r, struct vm_op *op, const char *p0)
{
	int real = ksys_open(p0, op->flags, 0644);
	int model = vm_open(&r->m, op->path[0], op->flags);

	if (real >= 0 && model >= 0) {
		r->real_fd[model] = real;
		strscpy_len(r->fd_path[model], op->path[0], sizeof(r->fd_path[model]));
		r->fd_lost[model] = false;
		op->fd = model;
		return true;
	}
	if (real >= 0)
		ksys_close(real);
	if (model >= 0) {
		vm_close(&r->m, model);
		model = 0;
	}
	return vm_same(r, "open", real < 0 ? real : 0, model);
}

static bool vm_do_read(struct vm_runner *r, struct vm_op *op)
{
	int fd = r->real_fd[op->fd];
	ssize_t_k real, model;

	memset(r->rbuf, 0xa5, op->len);
	if (op->kind == OP_READ) {
		real = ksys_read(fd, r->rbuf, op->len);
		model = vm_read(&r->m, op->fd, r->mbuf, op->len);
	} else {
		real = ksys_pread64(fd, r->rbuf, op->len, op->off);
		model = vm_pread(&r->m, op->fd, r->mbuf, op->len, op->off);
	}
	if (!vm_same(r, vm_kind_name[op->kind], real, model))
		return false;
	if (model > 0 && memcmp(r->rbuf, r->mbuf, model)) {
		for (ssize_t_k i = 0; i < model; i++)
			if (r->rbuf[i] != r->mbuf[i]) {
				vm_fail(r, "%s: byte %ld of %ld is %#x, model %#x",
					vm_kind_name[op->kind], (long)i, (long)model,
					r->rbuf[i], r->mbuf[i]);
				break;
			}
		return false;
	}
	return true;
}

/* The backend's known difference (struct vm_backend.stale_append_pos):
 * after an O_APPEND write on fd slot @fd of a file that has had two names,
 * the real offset may differ from the model's; set it to the model's
 * (where Linux has it) and count it. The bytes are checked by the tree
 * check as always. */
static bool vm_stale_append_pos(struct vm_runner *r, int fd)
{
	struct vm_fd *f = &r->m.fds[fd];
	struct vm_stat fs;
	loff_t real;

	if (!r->linked || !(f->flags & O_APPEND) || vm_fstat(&r->m, fd, &fs) ||
	    !vm_linked(r, fs.id))
		return true;
	real = ksys_lseek(r->real_fd[fd], 0, SEEK_CUR);
	if (real == f->pos)
		return true;
	if (real < 0 || ksys_lseek(r->real_fd[fd], f->pos, SEEK_SET) != f->pos) {
		vm_fail(r, "%s: the offset after an O_APPEND write: %lld, model %lld",
			vm_kind_name[OP_WRITE], (long long)real, (long long)f->pos);
		return false;
	}
	r->st.stale_append_pos++;
	return true;
}

static bool vm_do_write(struct vm_runner *r, struct vm_op *op)
{
	int fd = r->real_fd[op->fd];
	ssize_t_k real, model;

	for (size_t i = 0; i < op->len; i++)
		r->wbuf[i] = (u8)vm_rand(r) | 1; /* never zero: holes show */
	if (op->kind == OP_WRITE) {
		real = ksys_write(fd, r->wbuf, op->len);
		model = vm_write(&r->m, op->fd, r->wbuf, op->len);
	} else {
		real = ksys_pwrite64(fd, r->wbuf, op->len, op->off);
		model = vm_pwrite(&r->m, op->fd, r->wbuf, op->len, op->off);
	}
	if (!vm_same(r, vm_kind_name[op->kind], real, model))
		return false;
	return model <= 0 || vm_stale_append_pos(r, op->fd);
}

/* lseek: SEEK_DATA and SEEK_HOLE are checked against the contract (a file
 * system may keep holes), the rest exactly. */
static bool vm_do_lseek(struct vm_runner *r, struct vm_op *op)
{
	loff_t pos0 = r->m.fds[op->fd].node ? r->m.fds[op->fd].pos : 0;
	loff_t real = ksys_lseek(r->real_fd[op->fd], op->off, op->whence);
	loff_t model = vm_lseek(&r->m, op->fd, op->off, op->whence);
	struct vm_stat ms;
	loff_t size;
	const u8 *data;

	if ((op->whence == SEEK_DATA || op->whence == SEEK_HOLE) &&
	    vm_orphan_estale(r, op->fd, real)) {
		vm_set_pos(&r->m, op->fd, pos0); /* unchanged, as the real one */
		return true;
	}
	if (op->whence == SEEK_DATA && real == -ENXIO && model >= 0) {
		/* No data from off to the end: all of it must read as zeros
		 * (a file system with real holes, qlfs). */
		vm_fstat(&r->m, op->fd, &ms);
		data = vm_node_data(r->m.fds[op->fd].node, &size);
		for (loff_t i = op->off; i < ms.size; i++)
			if (data[i]) {
				vm_fail(r,
					"lseek: SEEK_DATA found no data from %lld, byte %lld is %#x",
					(long long)op->off, (long long)i, data[i]);
				return false;
			}
		vm_set_pos(&r->m, op->fd, pos0); /* unchanged, as the real one */
		return true;
	}
	if ((op->whence != SEEK_DATA && op->whence != SEEK_HOLE) || real < 0 || model < 0)
		return vm_same(r, "lseek", real, model);
	vm_fstat(&r->m, op->fd, &ms);
	size = ms.size;
	if (real < op->off || real > size || (op->whence == SEEK_DATA && real == size)) {
		vm_fail(r, "lseek: %lld outside [%lld, %lld]", (long long)real,
			(long long)op->off, (long long)size);
		return false;
	}
	/* Whatever SEEK_DATA skipped must read as zeros. */
	data = vm_node_data(r->m.fds[op->fd].node, &size);
	for (loff_t i = op->off; op->whence == SEEK_DATA && i < real; i++)
		if (data[i]) {
			vm_fail(r, "lseek: SEEK_DATA skipped byte %lld (%#x)",
				(long long)i, data[i]);
			return false;
		}
	vm_set_pos(&r->m, op->fd, real);
	return true;
}

static bool vm_do_stat(struct vm_runner *r, struct vm_op *op, const char *p0)
{
	struct kstat st;
	struct vm_stat ms;
	int real, model;

	memset(&st, 0, sizeof(st));
	if (op->kind == OP_FSTAT) {
		real = ksys_fstat(r->real_fd[op->fd], &st);
		model = vm_fstat(&r->m, op->fd, &ms);
	} else {
		bool follow = op->kind == OP_STAT;

		real = follow ? ksys_stat(p0, &st) : ksys_lstat(p0, &st);
		model = vm_stat(&r->m, op->path[0], follow, &ms);
	}
	if (op->kind == OP_FSTAT && !model && vm_orphan_estale(r, op->fd, real)) {
		r->last_ret = model;
		return true;
	}
	if (!vm_same(r, vm_kind_name[op->kind], real, model))
		return false;
	return model || vm_same_stat(r, vm_kind_name[op->kind], &st, &ms);
}

static bool vm_do_readlink(struct vm_runner *r, struct vm_op *op, const char *p0)
{
	char *real_buf = (char *)r->rbuf, *model_buf = (char *)r->mbuf;
	ssize_t_k real = ksys_readlink(p0, real_buf, op->len);
	ssize_t_k model = vm_readlink(&r->m, op->path[0], model_buf, op->len);

	if (!vm_same(r, "readlink", real, model))
		return false;
	if (model > 0 && memcmp(real_buf, model_buf, model)) {
		vm_fail(r, "readlink: \"%.*s\", model \"%.*s\"", (int)real, real_buf,
			(int)model, model_buf);
		return false;
	}
	return true;
}

/* Read directory @path (a real path) into r->ents through getdents64 with
 * a buffer of @bufsize bytes; "." and ".." must come exactly once each and
 * are left out. Returns the count or -errno (a bad listing fails the run
 * and returns -EIO). */
static int vm_real_readdir(struct vm_runner *r, const char *path, size_t bufsize)
{
	int fd = ksys_open(path, O_RDONLY | O_DIRECTORY, 0), n = 0, dots = 0, ret = 0;
	ssize_t_k got;

	if (fd < 0)
		return fd;
	while ((got = ksys_getdents64(fd, r->rbuf, bufsize)) > 0) {
		for (ssize_t_k off = 0; off < got;) {
			struct linux_dirent64 *d =
				(struct linux_dirent64 *)(r->rbuf + off);

			if (d->d_reclen <
				    __builtin_offsetof(struct linux_dirent64, d_name) +
					    2 ||
			    off + d->d_reclen > got || d->d_reclen % 8) {
				vm_fail(r,
					"readdir %s: bad record length %u at %ld of %ld",
					path, d->d_reclen, (long)off, (long)got);
				ret = -EIO;
				goto out;
			}
			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) {
				dots++;
				continue;
			}
			if (n == VM_MAX_ENTS) {
				vm_fail(r, "readdir %s: over %d entries", path,
					VM_MAX_ENTS);
				ret = -EIO;
				goto out;
			}
			strscpy_len(r->ents[n].name, d->d_name, sizeof(r->ents[n].name));
			r->ents[n].type = d->d_type;
			r->ents[n].id = 0;
			n++;
		}
	}
	ret = got < 0 ? got : n;
	if (got == 0 && dots != 2) {
		vm_fail(r, "readdir %s: \".\" and \"..\" came %d times, want 2", path,
			dots);
		ret = -EIO;
	}
out:
	ksys_close(fd);
	return ret;
}

/* The listing of real directory @rpath must be model directory @dir's,
 * as sets of (name, type), each name once. */
static bool vm_same_listing(struct vm_runner *r, const char *rpath, struct vm_node *dir,
			    size_t bufsize)
{
	int n = vm_real_readdir(r, rpath, bufsize), want = vm_nr_children(dir);
	struct vm_node *child;
	const char *name;

	if (r->failed)
		return false;
	if (n < 0)
		return vm_same(r, "readdir", n, 0);
	if (n != want) {
		vm_fail(r, "readdir %s: %d entries, model %d", rpath, n, want);
		return false;
	}
	for (int i = 0; vm_child(dir, i, &name, &child); i++) {
		unsigned char type = vm_node_dtype(child);
		int dups = 0;

		for (int j = 0; j < n; j++) {
			if (strcmp(r->ents[j].name, name))
				continue;
			dups++;
			if (r->ents[j].type != type) {
				vm_fail(r, "readdir %s: %s has d_type %u, model %u",
					rpath, name, r->ents[j].type, type);
				return false;
			}
		}
		if (dups != 1) {
			vm_fail(r, "readdir %s: \"%s\" listed %d times, model once",
				rpath, name, dups);
			return false;
		}
	}
	return true;
}

static bool vm_do_readdir(struct vm_runner *r, struct vm_op *op, const char *p0)
{
	struct vm_node *dir;
	int model = vm_opendir(&r->m, op->path[0], &dir), real;

	if (model < 0) {
		real = vm_real_readdir(r, p0, op->len);
		return !r->failed && vm_same(r, "readdir", real < 0 ? real : 0, model);
	}
	return vm_same_listing(r, p0, dir, op->len);
}

static bool vm_do_remount(struct vm_runner *r)
{
	int err;

	for (int fd = 0; fd < VM_MAX_FDS; fd++)
		if (r->m.fds[fd].node)
			ksys_close(r->real_fd[fd]);
	vm_close_all(&r->m);
	err = r->o.backend->remount(VM_PREFIX);
	return vm_same(r, "remount", err, 0);
}

/* rmdir, unlink, rename: names go; what the open files lost is noted
 * (vm_note_lost()). */
static bool vm_do_unname(struct vm_runner *r, struct vm_op *op, const char *p0,
			 const char *p1)
{
	struct vm_stat a, b;
	unsigned int same_id = 0;
	bool ok;

	switch (op->kind) {
	case OP_RMDIR:
		ok = vm_same(r, "rmdir", ksys_rmdir(p0), vm_rmdir(&r->m, op->path[0]));
		break;
	case OP_UNLINK:
		ok = vm_same(r, "unlink", ksys_unlink(p0), vm_unlink(&r->m, op->path[0]));
		break;
	default:
		/* Two names of one file: a no-op (POSIX), but not to the
		 * backend's node of the target name (orphan_estale). */
		if (!(op->flags & RENAME_EXCHANGE) &&
		    !vm_stat(&r->m, op->path[0], false, &a) &&
		    !vm_stat(&r->m, op->path[1], false, &b) && a.id == b.id)
			same_id = a.id;
		ok = vm_same(r, "rename", ksys_rename(p0, p1, op->flags),
			     vm_rename(&r->m, op->path[0], op->path[1], op->flags));
		break;
	}
	if (ok && !r->last_ret && r->o.backend->orphan_estale)
		vm_note_lost(r, same_id);
	return ok;
}

/* Run @op on both sides; false at the first difference. */
static bool vm_apply(struct vm_runner *r, struct vm_op *op)
{
	char p0[PATH_MAX / 4], p1[PATH_MAX / 4];
	int fd = r->real_fd[op->fd];

	vm_real_path(op->path[0], p0, sizeof(p0));
	vm_real_path(op->path[1], p1, sizeof(p1));
	switch (op->kind) {
	case OP_OPEN:
		return vm_do_open(r, op, p0);
	case OP_CLOSE:
		return vm_same(r, "close", ksys_close(fd), vm_close(&r->m, op->fd));
	case OP_READ:
	case OP_PREAD:
		return vm_do_read(r, op);
	case OP_WRITE:
	case OP_PWRITE:
		return vm_do_write(r, op);
	case OP_LSEEK:
		return vm_do_lseek(r, op);
	case OP_FTRUNCATE:
		return vm_same(r, "ftruncate", ksys_ftruncate(fd, op->off),
			       vm_ftruncate(&r->m, op->fd, op->off));
	case OP_TRUNCATE:
		return vm_same(r, "truncate", ksys_truncate(p0, op->off),
			       vm_truncate(&r->m, op->path[0], op->off));
	case OP_FSTAT:
	case OP_STAT:
	case OP_LSTAT:
		return vm_do_stat(r, op, p0);
	case OP_FSYNC:
		return vm_same(r, "fsync", ksys_fsync(fd), 0);
	case OP_MKDIR:
		return vm_same(r, "mkdir", ksys_mkdir(p0, 0755),
			       vm_mkdir(&r->m, op->path[0]));
	case OP_RMDIR:
	case OP_UNLINK:
	case OP_RENAME:
		return vm_do_unname(r, op, p0, p1);
	case OP_LINK:
		if (!vm_same(r, "link", ksys_link(p0, p1),
			     vm_link(&r->m, op->path[0], op->path[1])))
			return false;
		if (!r->last_ret)
			vm_set_linked(r, op->path[1]);
		return true;
	case OP_SYMLINK: /* path[0] is the target, stored as given */
		return vm_same(r, "symlink", ksys_symlink(op->path[0], p1),
			       vm_symlink(&r->m, op->path[0], op->path[1]));
	case OP_READLINK:
		return vm_do_readlink(r, op, p0);
	case OP_READDIR:
		return vm_do_readdir(r, op, p0);
	case OP_REMOUNT:
		return vm_do_remount(r);
	case NR_OPS:
		break;
	}
	return false;
}

/* ---- the tree check ---- */

/* One model inode is one real inode: same id, same ino; different ids,
 * different inos. */
static bool vm_same_inode(struct vm_runner *r, const char *what, unsigned int id, u64 ino)
{
	for (unsigned int i = 0; i < r->nseen; i++) {
		if (r->seen[i].id == id && r->seen[i].ino != ino) {
			vm_fail(r, "%s: ino %llu, but %llu for another name of it", what,
				(unsigned long long)ino,
				(unsigned long long)r->seen[i].ino);
			return false;
		}
		if (r->seen[i].id != id && r->seen[i].ino == ino) {
			vm_fail(r, "%s: ino %llu is also another file's", what,
				(unsigned long long)ino);
			return false;
		}
	}
	if (r->nseen < VM_MAX_NODES) {
		r->seen[r->nseen].id = id;
		r->seen[r->nseen++].ino = ino;
	}
	return true;
}

/* Every byte of regular file @rpath against @n's. */
static bool vm_same_content(struct vm_runner *r, const char *rpath, struct vm_node *n)
{
	loff_t size, pos;
	const u8 *data = vm_node_data(n, &size);
	int fd = ksys_open(rpath, O_RDONLY | O_NOFOLLOW, 0);
	bool ok = true;

	if (fd < 0)
		return vm_same(r, "open for the content check", fd, 0);
	for (pos = 0; ok && pos <= size; pos += VM_BUF) {
		ssize_t_k want = min((loff_t)VM_BUF, size - pos);
		ssize_t_k got = ksys_pread64(fd, r->rbuf, VM_BUF, pos);

		if (got != want) {
			vm_fail(r, "content of %s: pread at %lld gave %ld, model %ld",
				rpath, (long long)pos, (long)got, (long)want);
			ok = false;
		} else if (want && memcmp(r->rbuf, data + pos, want)) {
			/* (want 0: data may be NULL, memcmp() must not see it) */
			for (ssize_t_k i = 0; i < want; i++)
				if (r->rbuf[i] != data[pos + i]) {
					vm_fail(r,
						"content of %s: byte %lld is %#x, model %#x",
						rpath, (long long)(pos + i), r->rbuf[i],
						data[pos + i]);
					break;
				}
			ok = false;
		}
	}
	ksys_close(fd);
	return ok;
}

static bool vm_check_dir(struct vm_runner *r, struct vm_node *dir, char *rpath,
			 size_t len, bool all_content);

static bool vm_check_entry(struct vm_runner *r, struct vm_node *n, char *rpath,
			   size_t len, bool all_content)
{
	struct kstat st;
	struct vm_stat ms;
	int err = ksys_lstat(rpath, &st);

	if (err)
		return vm_same(r, rpath, err, 0);
	vm_node_stat(n, &ms);
	if (!vm_same_stat(r, rpath, &st, &ms) || !vm_same_inode(r, rpath, ms.id, st.ino))
		return false;
	if (ms.type == S_IFREG && (vm_node_test_and_clear_dirty(n) || all_content))
		return vm_same_content(r, rpath, n);
	if (ms.type == S_IFDIR)
		return vm_check_dir(r, n, rpath, len, all_content);
	return true;
}

static bool vm_check_dir(struct vm_runner *r, struct vm_node *dir, char *rpath,
			 size_t len, bool all_content)
{
	struct vm_node *child;
	const char *name;

	if (!vm_same_listing(r, rpath, dir, 512))
		return false;
	for (int i = 0; vm_child(dir, i, &name, &child); i++) {
		size_t l = len + 1 + strlen(name);

		if (l >= PATH_MAX / 2) /* deeper than the generator goes */
			continue;
		rpath[len] = '/';
		strscpy_len(rpath + len + 1, name, PATH_MAX / 2 - len - 1);
		if (!vm_check_entry(r, child, rpath, l, all_content))
			return false;
		rpath[len] = '\0';
	}
	return true;
}

/* The whole namespace, every open fd, and the bytes written since the last
 * check (all bytes with @all_content). */
static bool vm_check_tree(struct vm_runner *r, bool all_content)
{
	char *rpath = kmalloc(PATH_MAX / 2, GFP_KERNEL);
	bool ok;

	if (!rpath)
		return vm_same(r, "kmalloc", -ENOMEM, 0);
	r->nseen = 0;
	strscpy_len(rpath, VM_PREFIX, PATH_MAX / 2);
	ok = vm_check_entry(r, vm_lookup_nofollow(&r->m, "."), rpath, strlen(rpath),
			    all_content);
	kfree(rpath);
	for (int fd = 0; ok && fd < VM_MAX_FDS; fd++) {
		struct vm_op op = {.kind = OP_FSTAT, .fd = fd};

		if (r->m.fds[fd].node)
			ok = vm_do_stat(r, &op, "");
	}
	return ok;
}

/* ---- the generator ---- */

static struct vm_node *vm_child_named(struct vm_node *dir, const char *want)
{
	struct vm_node *child;
	const char *name;

	for (int i = 0; dir && vm_child(dir, i, &name, &child); i++)
		if (!strcmp(name, want))
			return child;
	return NULL;
}

/* A path relative to the root: mostly names that exist, some that do
 * not, now and then "X/../X", "./" or a name over NAME_MAX. */
static void vm_gen_path(struct vm_runner *r, char *buf, size_t size)
{
	struct vm_node *node = vm_lookup_nofollow(&r->m, ".");
	unsigned int depth = 1 + vm_rnd(r, 3);
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < depth; i++) {
		char name[NAME_MAX + 2];
		struct vm_node *child = NULL;
		int n = node ? vm_nr_children(node) : 0;
		const char *cname;

		if (n && vm_rnd(r, 4) < 3) {
			vm_child(node, vm_rnd(r, n), &cname, &child);
			strscpy_len(name, cname, sizeof(name));
		} else if (vm_rnd(r, 48) == 0) {
			memset(name, 'x', NAME_MAX + 1);
			name[NAME_MAX + 1] = '\0';
		} else {
			strscpy_len(name, vm_names[vm_rnd(r, ARRAY_SIZE(vm_names))],
				    sizeof(name));
			child = vm_child_named(node, name);
		}
		if (vm_rnd(r, 48) == 0 && i + 1 < depth)
			len += scnprintf(buf + len, size - len, "%s./", len ? "/" : "");
		else if (len)
			len += scnprintf(buf + len, size - len, "/");
		len += scnprintf(buf + len, size - len, "%s", name);
		if (child && vm_node_is_dir(child) && i + 1 < depth && vm_rnd(r, 32) == 0)
			len += scnprintf(buf + len, size - len, "/../%s", name);
		if (child && !vm_node_is_dir(child) && vm_rnd(r, 2))
			break; /* mostly stop at a file rather than ENOTDIR */
		if (!child && vm_rnd(r, 8))
			break; /* mostly a new name last rather than ENOENT */
		node = child && vm_node_is_dir(child) ? child : NULL;
	}
}

static int vm_pick_fd(struct vm_runner *r)
{
	int n = 0, fds[VM_MAX_FDS];

	for (int fd = 0; fd < VM_MAX_FDS; fd++)
		if (r->m.fds[fd].node)
			fds[n++] = fd;
	return n ? fds[vm_rnd(r, n)] : -1;
}

static int vm_nr_fds(struct vm_runner *r)
{
	int n = 0;

	for (int fd = 0; fd < VM_MAX_FDS; fd++)
		n += r->m.fds[fd].node != NULL;
	return n;
}

static unsigned int vm_gen_open_flags(struct vm_runner *r)
{
	unsigned int f = vm_rnd(r, 3); /* O_RDONLY, O_WRONLY, O_RDWR */

	if (vm_rnd(r, 2)) {
		f |= O_CREAT;
		if (vm_rnd(r, 6) == 0)
			f |= O_EXCL;
	} else if (vm_rnd(r, 12) == 0) {
		f |= O_DIRECTORY; /* never with O_CREAT: EINVAL since Linux 6.4 */
	}
	if ((f & O_ACCMODE) != O_RDONLY && vm_rnd(r, 8) == 0)
		f |= O_TRUNC;
	if (vm_rnd(r, 6) == 0)
		f |= O_APPEND;
	if (vm_rnd(r, 16) == 0)
		f |= O_NOFOLLOW;
	return f;
}

/* An offset for a write of @len into a file of @size bytes: inside, at the
 * end, past it (a hole), or far. */
static loff_t vm_gen_offset(struct vm_runner *r, loff_t size, size_t len)
{
	loff_t off;

	switch (vm_rnd(r, 10)) {
	case 0:
	case 1:
	case 2:
	case 3:
		off = vm_rnd(r, size + 1);
		break;
	case 4:
	case 5:
	case 6:
		off = vm_rnd(r, 16384);
		break;
	case 7:
	case 8:
		off = size + vm_rnd(r, 8192);
		break;
	default:
		off = vm_rnd(r, VM_MAX_SIZE);
		break;
	}
	return min(off, (loff_t)(VM_MAX_SIZE - len));
}

static size_t vm_gen_len(struct vm_runner *r)
{
	switch (vm_rnd(r, 8)) {
	case 0:
		return 1 + vm_rnd(r, VM_BUF);
	case 1:
	case 2:
		return 1 + vm_rnd(r, 16);
	default:
		return 1 + vm_rnd(r, 4096);
	}
}

static loff_t vm_fd_size(struct vm_runner *r, int fd)
{
	struct vm_stat ms;

	return vm_fstat(&r->m, fd, &ms) ? 0 : ms.size;
}

static void vm_gen_symlink_target(struct vm_runner *r, struct vm_op *op)
{
	char rel[PATH_MAX / 8];

	switch (vm_rnd(r, 10)) {
	case 0: /* itself: a loop */
		scnprintf(op->path[0], sizeof(op->path[0]), "%s/%s", VM_PREFIX,
			  op->path[1]);
		break;
	case 1:
	case 2:
	case 3:
	case 4: /* a name in the same directory */
		strscpy_len(op->path[0], vm_names[vm_rnd(r, ARRAY_SIZE(vm_names))],
			    sizeof(op->path[0]));
		break;
	default: /* anywhere in the tree, absolute */
		vm_gen_path(r, rel, sizeof(rel));
		scnprintf(op->path[0], sizeof(op->path[0]), "%s/%s", VM_PREFIX, rel);
		break;
	}
}

/* Fill @op with needs of @kind; false if it cannot be made now (no fd). */
static bool vm_gen_args(struct vm_runner *r, struct vm_op *op)
{
	bool needs_fd =
		op->kind <= OP_FTRUNCATE || op->kind == OP_FSTAT || op->kind == OP_FSYNC;

	if (needs_fd && op->kind != OP_OPEN) {
		op->fd = vm_pick_fd(r);
		if (op->fd < 0)
			return false;
	}
	switch (op->kind) {
	case OP_OPEN:
		if (vm_nr_fds(r) == VM_MAX_FDS)
			return false;
		vm_gen_path(r, op->path[0], sizeof(op->path[0]));
		op->flags = vm_gen_open_flags(r);
		break;
	case OP_READ:
	case OP_PREAD:
	case OP_WRITE:
	case OP_PWRITE:
		op->len = vm_gen_len(r);
		op->off = vm_gen_offset(r, vm_fd_size(r, op->fd), op->len);
		if (vm_rnd(r, 64) == 0)
			op->off = -1;
		break;
	case OP_LSEEK:
		op->whence = vm_rnd(r, 5);
		op->off = op->whence == SEEK_SET ? (loff_t)vm_rnd(r, VM_MAX_SIZE) :
						   (loff_t)vm_rnd(r, 8192) - 4096;
		if (op->whence >= SEEK_DATA)
			op->off = vm_rnd(r, vm_fd_size(r, op->fd) + 2);
		if (r->m.fds[op->fd].node && vm_node_is_dir(r->m.fds[op->fd].node))
			return false; /* a directory's offset is its own business */
		break;
	case OP_FTRUNCATE:
	case OP_TRUNCATE: {
		loff_t size = op->kind == OP_FTRUNCATE ? vm_fd_size(r, op->fd) : 0;

		if (op->kind == OP_TRUNCATE)
			vm_gen_path(r, op->path[0], sizeof(op->path[0]));
		switch (vm_rnd(r, 10)) {
		case 0:
		case 1:
		case 2:
		case 3:
		case 4:
			op->off = vm_rnd(r, size + 1);
			break;
		case 5:
		case 6:
		case 7:
			op->off = size + vm_rnd(r, 16384);
			break;
		case 8:
			op->off = vm_rnd(r, VM_MAX_SIZE);
			break;
		default:
			op->off = vm_rnd(r, 4) ? 0 : -1;
			break;
		}
		op->off = min(op->off, (loff_t)VM_MAX_SIZE);
		break;
	}
	case OP_RENAME:
		op->flags = vm_rnd(r, 4) == 0 ? RENAME_NOREPLACE : 0;
		/* fall through */
	case OP_LINK:
		vm_gen_path(r, op->path[0], sizeof(op->path[0]));
		vm_gen_path(r, op->path[1], sizeof(op->path[1]));
		break;
	case OP_SYMLINK:
		vm_gen_path(r, op->path[1], sizeof(op->path[1]));
		vm_gen_symlink_target(r, op);
		break;
	case OP_READLINK:
		vm_gen_path(r, op->path[0], sizeof(op->path[0]));
		op->len = vm_rnd(r, 4) ? 4096 : vm_rnd(r, 12);
		break;
	case OP_READDIR:
		vm_gen_path(r, op->path[0], sizeof(op->path[0]));
		if (vm_rnd(r, 4) == 0)
			strscpy_len(op->path[0], ".", sizeof(op->path[0]));
		op->len = 64 + vm_rnd(r, 1024); /* the getdents64 buffer */
		break;
	case OP_STAT:
	case OP_LSTAT:
	case OP_MKDIR:
	case OP_RMDIR:
	case OP_UNLINK:
		vm_gen_path(r, op->path[0], sizeof(op->path[0]));
		break;
	default:
		break;
	}
	return true;
}

static void vm_gen(struct vm_runner *r, struct vm_op *op)
{
	unsigned int total = 0, pick;

	/* The remount hook: one step in remount_one_in, when the backend can;
	 * and at the middle step if the dice gave none yet, so that a run
	 * always remounts (100 000 steps at 1 in 25 000 gave none for seed
	 * 628289 of vfs-fuse-model: e^-4, a make test in 55). */
	if (r->o.remount_one_in && r->o.backend->remount &&
	    (vm_rnd(r, r->o.remount_one_in) == 0 ||
	     (!r->remounts && r->step == r->o.steps / 2))) {
		memset(op, 0, sizeof(*op));
		op->kind = OP_REMOUNT;
		r->remounts++;
		return;
	}
	for (int k = 0; k < NR_OPS; k++)
		total += vm_weight[k];
	for (;;) {
		memset(op, 0, sizeof(*op));
		pick = vm_rnd(r, total);
		for (op->kind = 0; pick >= vm_weight[op->kind]; op->kind++)
			pick -= vm_weight[op->kind];
		if (vm_gen_args(r, op))
			return;
	}
}

static void vm_runner_free(struct vm_runner *r)
{
	kfree(r->wbuf);
	kfree(r->rbuf);
	kfree(r->mbuf);
	kfree(r->ents);
	kfree(r->seen);
	kfree(r->linked);
	vm_destroy(&r->m);
	kfree(r);
}

static struct vm_runner *vm_runner_alloc(const struct vm_options *o)
{
	struct vm_runner *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return NULL;
	r->o = *o;
	r->rng = o->seed;
	r->wbuf = kmalloc(VM_BUF, GFP_KERNEL);
	r->rbuf = kmalloc(VM_BUF, GFP_KERNEL);
	r->mbuf = kmalloc(VM_BUF, GFP_KERNEL);
	r->ents = kcalloc(VM_MAX_ENTS, sizeof(*r->ents), GFP_KERNEL);
	r->seen = kcalloc(VM_MAX_NODES, sizeof(*r->seen), GFP_KERNEL);
	if (o->backend->stale_append_pos)
		r->linked = kzalloc(VM_LINKED_IDS / 8, GFP_KERNEL);
	if (!r->wbuf || !r->rbuf || !r->mbuf || !r->ents || !r->seen ||
	    (o->backend->stale_append_pos && !r->linked) || vm_init(&r->m, VM_PREFIX)) {
		vm_runner_free(r);
		return NULL;
	}
	return r;
}

/* Mount the backend at VM_PREFIX (made if missing). */
static int vm_setup(struct vm_runner *r)
{
	int err = ksys_mkdir(VM_PREFIX, 0755);

	if (err && err != -EEXIST) {
		cprintf("# vfs_model: mkdir %s: %s\n", VM_PREFIX, errname(err));
		return err;
	}
	err = r->o.backend->mount(VM_PREFIX);
	if (err)
		cprintf("# vfs_model: mount %s on %s: %s\n", r->o.backend->name,
			VM_PREFIX, errname(err));
	return err;
}

static int vm_teardown(struct vm_runner *r)
{
	int err;

	for (int fd = 0; fd < VM_MAX_FDS; fd++)
		if (r->m.fds[fd].node)
			ksys_close(r->real_fd[fd]);
	vm_close_all(&r->m);
	err = r->o.backend->unmount(VM_PREFIX);
	if (err)
		cprintf("# vfs_model: umount %s: %s\n", VM_PREFIX, errname(err));
	if (!err)
		err = ksys_rmdir(VM_PREFIX);
	return err;
}

/* Count what the step did and add its result to its history line. */
static void vm_note_result(struct vm_runner *r, struct vm_op *op, char *h)
{
	size_t len = strlen(h);
	char ret[32];

	if (op->kind == OP_OPEN && r->last_ret >= 0)
		vm_describe(op, h, sizeof(r->hist[0])); /* now with its fd */
	len = strlen(h);
	vm_fmt_ret(ret, sizeof(ret), r->last_ret);
	scnprintf(h + len, sizeof(r->hist[0]) - len, " = %s", ret);
	if (r->o.verbose)
		cprintf("%lu: %s\n", r->step, h);
	r->st.ran[op->kind]++;
	if (r->last_ret >= 0)
		r->st.ok[op->kind]++;
	else if (-r->last_ret < (long long)ARRAY_SIZE(r->st.errno_seen))
		r->st.errno_seen[-r->last_ret]++;
}

#define VM_PROGRESS_STEPS 100000UL

/* Run the steps of @ops (scripted, @nops of them, each checked against its
 * expected model result) or of the generator (@ops NULL). */
static int vm_run_ops(struct vm_runner *r, const struct vm_op *ops, const long *expect,
		      unsigned long nops)
{
	unsigned long n = ops ? nops : r->o.steps;

	for (r->step = 1; r->step <= n && !r->failed; r->step++) {
		struct vm_op op;
		char *h = r->hist[r->step % VM_HISTORY];

		if (ops)
			op = ops[r->step - 1];
		else
			vm_gen(r, &op);
		vm_describe(&op, h, sizeof(r->hist[0]));
		r->last_ret = 0;
		if (!vm_apply(r, &op))
			break;
		vm_note_result(r, &op, h);
		if ((op.kind == OP_REMOUNT || r->o.check_one_in <= 1 ||
		     r->step % r->o.check_one_in == 0) &&
		    !vm_check_tree(r, op.kind == OP_REMOUNT))
			break;
		/* A long run shows it is alive: a line every VM_PROGRESS_STEPS
		 * (by steps, not time: a seed prints the same lines). */
		if (n >= 2 * VM_PROGRESS_STEPS && r->step % VM_PROGRESS_STEPS == 0)
			cprintf("# vfs_model: step %lu of %lu, %lu remounts\n", r->step,
				n, r->remounts);
	}
	if (r->failed)
		return -EIO;
	r->step = n;
	return vm_check_tree(r, true) ? 0 : -EIO;
}

/* One line per kind: how often it ran and succeeded. */
static void vm_print_stats(const struct vm_stats *st)
{
	char line[160];
	size_t len = 0;

	for (int k = 0; k < NR_OPS; k++) {
		if (!st->ran[k])
			continue;
		len += scnprintf(line + len, sizeof(line) - len, " %s %lu/%lu",
				 vm_kind_name[k], st->ok[k], st->ran[k]);
		if (len > 100 || k == NR_OPS - 1) {
			cprintf("# vfs_model: ok/ran:%s\n", line);
			len = 0;
		}
	}
	if (len)
		cprintf("# vfs_model: ok/ran:%s\n", line);
	len = 0;
	for (int e = 1; e < (int)ARRAY_SIZE(st->errno_seen); e++)
		if (st->errno_seen[e])
			len += scnprintf(line + len, sizeof(line) - len, " %s %lu",
					 errname(e), st->errno_seen[e]);
	cprintf("# vfs_model: errors:%s\n", line);
	if (st->orphan_estale)
		cprintf("# vfs_model: calls on an orphan gave ESTALE %lu times (the "
			"backend's known difference)\n",
			st->orphan_estale);
	if (st->stale_append_pos)
		cprintf("# vfs_model: O_APPEND writes to a file with two names left the "
			"offset stale %lu times (the backend's known difference)\n",
			st->stale_append_pos);
}

/* @ops: a script of @nops steps, or NULL for o->steps generated ones. */
static int vm_run_script(const struct vm_options *o, const struct vm_op *ops,
			 unsigned long nops, struct vm_stats *st)
{
	struct vm_runner *r = vm_runner_alloc(o);
	int err, err2;

	if (!r)
		return -ENOMEM;
	err = vm_setup(r);
	if (err)
		goto out;
	err = vm_run_ops(r, ops, NULL, nops);
	err2 = vm_teardown(r);
	if (!err)
		err = err2;
	vm_print_stats(&r->st);
	if (st)
		*st = r->st;
out:
	vm_runner_free(r);
	return err;
}

int vm_run(const struct vm_options *o, struct vm_stats *st)
{
	return vm_run_script(o, NULL, 0, st);
}
