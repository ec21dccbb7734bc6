/*
 * fs/vfs_model.h - an in-memory model of a POSIX file system, for the
 * random-operation model test (fs/vfs_model_test.c). See
 * docs/vfs-model-test.md.
 *
 * The model answers each call as Linux's VFS over ramfs would: the same
 * return value, the same errno, chosen in the same order when several
 * apply. It keeps names, directories, files' bytes, hard links, symlinks,
 * open files (an unlinked file stays readable while open) and nothing
 * else (no times, no permissions, no sizes of directories).
 *
 * Paths are relative to the model's root, or absolute when they start
 * with the model's prefix (the directory where the real file system is
 * mounted), as symlink targets may be.
 */
#ifndef FS_VFS_MODEL_H
#define FS_VFS_MODEL_H

#include <quire/types.h>
#include <quire/syscalls.h>

#define VM_MAX_FDS  8		 /* open files at once */
#define VM_MAX_SIZE (256u << 10) /* largest file the generator makes */

struct vm_node;

struct vm_fd {
	struct vm_node *node; /* NULL: slot free */
	unsigned int flags;   /* O_* it was opened with */
	loff_t pos;
};

struct vfs_model {
	struct vm_node *root;
	char prefix[64]; /* "/vfs_model": absolute targets start so */
	struct vm_fd fds[VM_MAX_FDS];
	unsigned int next_id;  /* model inode numbers */
	unsigned int nr_nodes; /* alive (debug, leak check) */
};

/* One directory entry as readdir reports it (without "." and ".."). */
struct vm_dirent {
	char name[NAME_MAX + 1];
	unsigned char type; /* DT_* */
	unsigned int id;    /* the model inode */
};

int vm_init(struct vfs_model *m, const char *prefix);
void vm_destroy(struct vfs_model *m);

/* The calls, with ksys_*'s contracts; fd arguments are slots of m->fds. */
int vm_open(struct vfs_model *m, const char *path, unsigned int flags);
int vm_close(struct vfs_model *m, int fd);
/* Reads copy into @buf (at most @count bytes); writes take @buf. */
ssize_t_k vm_read(struct vfs_model *m, int fd, void *buf, size_t count);
ssize_t_k vm_write(struct vfs_model *m, int fd, const void *buf, size_t count);
ssize_t_k vm_pread(struct vfs_model *m, int fd, void *buf, size_t count, loff_t pos);
ssize_t_k vm_pwrite(struct vfs_model *m, int fd, const void *buf, size_t count,
		    loff_t pos);
loff_t vm_lseek(struct vfs_model *m, int fd, loff_t off, int whence);
/* The checker learnt where the real file system put the offset (SEEK_DATA
 * and SEEK_HOLE may answer differently on file systems with holes). */
void vm_set_pos(struct vfs_model *m, int fd, loff_t pos);
int vm_ftruncate(struct vfs_model *m, int fd, loff_t len);
int vm_truncate(struct vfs_model *m, const char *path, loff_t len);
int vm_mkdir(struct vfs_model *m, const char *path);
int vm_rmdir(struct vfs_model *m, const char *path);
int vm_unlink(struct vfs_model *m, const char *path);
int vm_rename(struct vfs_model *m, const char *oldp, const char *newp,
	      unsigned int flags);
int vm_link(struct vfs_model *m, const char *oldp, const char *newp);
int vm_symlink(struct vfs_model *m, const char *target, const char *linkp);
ssize_t_k vm_readlink(struct vfs_model *m, const char *path, char *buf, size_t size);

/* What stat/lstat/fstat must report: the file type (S_IF*), nlink, size
 * (meaningful for regular files and symlinks only) and the model's id. */
struct vm_stat {
	umode_t type;
	unsigned int nlink;
	loff_t size;
	unsigned int id;
};
int vm_stat(struct vfs_model *m, const char *path, bool follow, struct vm_stat *st);
int vm_fstat(struct vfs_model *m, int fd, struct vm_stat *st);
/* The directory @path names (following symlinks), for readdir: 0 and
 * *@dir, or -errno (ENOTDIR for anything but a directory). */
int vm_opendir(struct vfs_model *m, const char *path, struct vm_node **dir);

/* ---- for the generator and the checker ---- */

/* A node by path, without following the last symlink; NULL if none. */
struct vm_node *vm_lookup_nofollow(struct vfs_model *m, const char *path);
bool vm_node_is_dir(const struct vm_node *n);
void vm_node_stat(const struct vm_node *n, struct vm_stat *st);
unsigned char vm_node_dtype(const struct vm_node *n); /* DT_* */
/* A regular file's bytes (NULL and 0 for anything else). */
const u8 *vm_node_data(const struct vm_node *n, loff_t *size);
unsigned int vm_node_id(const struct vm_node *n);
/* Has the node's data changed since the last call (cleared by it)? */
bool vm_node_test_and_clear_dirty(struct vm_node *n);
/* The @i-th entry of directory @dir (no "." or ".."), or false. */
bool vm_child(const struct vm_node *dir, int i, const char **name,
	      struct vm_node **child);
int vm_nr_children(const struct vm_node *dir);
/* Close every fd (before a remount): unlinked open files go. */
void vm_close_all(struct vfs_model *m);

/* ---- the runner (fs/vfs_model_run.c) ---- */

/* Where a run mounts its file system; absolute symlink targets start so. */
#define VM_PREFIX "/vfs_model"

/* How a run gets its file system. */
struct vm_backend {
	const char *name;
	int (*mount)(const char *dir);
	/* Unmount and mount again (every fd closed): NULL if the contents do
	 * not survive (ramfs). The hook qlfs fills. */
	int (*remount)(const char *dir);
	int (*unmount)(const char *dir);
	/* Known differences from Linux on tmpfs, each allowed only where it
	 * applies and counted (docs/qlfs.md, "Through FUSE"). The kernel's
	 * backends leave them false. qlfs-fuse (libfuse's high-level API
	 * looks a node up by its path, and each name of a file is its own
	 * host inode):
	 * orphan_estale: fstat and lseek's SEEK_DATA/SEEK_HOLE on an open
	 * file fail with ESTALE once the name it was opened by stopped
	 * leading to it (unlinked, renamed over, a directory on the way
	 * renamed: even if it leads there again later), or once that file
	 * was renamed over by another name of its own (a POSIX no-op the
	 * host still takes as the target's unlink). */
	bool orphan_estale;
	/* stale_append_pos: after an O_APPEND write to a file that has had
	 * two names, the descriptor's offset is the end its name last
	 * heard of plus the bytes written (the bytes themselves land at
	 * the true end: the tree check reads them). */
	bool stale_append_pos;
};

enum vm_kind {
	OP_OPEN,
	OP_CLOSE,
	OP_READ,
	OP_WRITE,
	OP_PREAD,
	OP_PWRITE,
	OP_LSEEK,
	OP_FTRUNCATE,
	OP_TRUNCATE,
	OP_FSTAT,
	OP_STAT,
	OP_LSTAT,
	OP_FSYNC,
	OP_MKDIR,
	OP_RMDIR,
	OP_UNLINK,
	OP_RENAME,
	OP_LINK,
	OP_SYMLINK,
	OP_READLINK,
	OP_READDIR,
	OP_REMOUNT,
	NR_OPS
};

/* What a run did: operations run and succeeded per kind, errors by errno. */
struct vm_stats {
	unsigned long ran[NR_OPS], ok[NR_OPS];
	unsigned long errno_seen[64];
	unsigned long orphan_estale;	/* calls the backend's difference excused */
	unsigned long stale_append_pos; /* O_APPEND writes whose offset was excused */
};

struct vm_options {
	u64 seed;
	unsigned long steps;
	unsigned int remount_one_in; /* 0: never; else about 1 step in N */
	/* The tree check after every step (0, 1), or after every N-th, each
	 * remount and the last (each call's own answer is compared at every
	 * step still): for backends where one check costs many round trips. */
	unsigned int check_one_in;
	bool verbose;
	const struct vm_backend *backend;
	const char *replay_case; /* the ktest case that runs these options */
	u64 replay_seed;	 /* ... with `test --seed` this */
};

extern const char *const vm_kind_name[NR_OPS];

/* One seeded run: mount @o->backend at VM_PREFIX (made if missing), run
 * @o->steps generated operations on both sides comparing each (the first
 * difference is printed with its replay commands), unmount, print the
 * counts; 0 if everything agreed. @st (may be NULL) gets the counts. */
int vm_run(const struct vm_options *o, struct vm_stats *st);

#endif
