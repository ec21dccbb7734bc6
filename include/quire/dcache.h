/*
 * include/quire/dcache.h - directory entries: the names of the tree
 * (Linux's <linux/dcache.h>).
 *
 * Layer: fs (the VFS). Implemented by fs/dcache.c. Used by fs/namei.c,
 * fs/namespace.c, fs/libfs.c, file systems.
 *
 * A dentry is one name in one directory: d_name in d_parent, and the inode
 * it names (d_inode), or none (a negative dentry: "this name does not
 * exist", cached so a second lookup need not ask the file system). Each
 * holds a reference on its parent and on its inode. A dentry is hashed
 * (findable by d_lookup()) from d_add()/d_instantiate() until d_drop() or
 * d_delete(); an unhashed dentry still referenced (an open file whose
 * name was unlinked) keeps its inode alive until the last dput().
 * Invariants DC1-DC6 and the locking rules are in fs/dcache.c.
 */
#ifndef QUIRE_DCACHE_H
#define QUIRE_DCACHE_H

#include <quire/types.h>
#include <quire/list.h>
#include <quire/fs.h>

/* A name: bytes (not NUL-ended in a path), length and hash. */
struct qstr {
	const char *name;
	unsigned int len;
	u32 hash;
};

#define QSTR_INIT(n, l)                            \
	{                                          \
		.name = (n), .len = (l), .hash = 0 \
	}

/* d_flags. */
#define DCACHE_HASHED  0x1 /* in the hash table (or a root) */
#define DCACHE_PERSIST 0x2 /* the fs holds a reference (ramfs's tree) */

struct dentry {
	/* Everything below is under dcache_lock (fs/dcache.c), except
	 * d_sb and d_op-like constants set at d_alloc(). */
	unsigned int d_flags;	    /* DCACHE_* */
	int d_count;		    /* references (dget/dput) */
	struct inode *d_inode;	    /* NULL: negative; see d_inode() */
	struct dentry *d_parent;    /* itself for a root */
	struct qstr d_name;	    /* kmalloc'd, NUL-ended copy */
	struct list_head d_hash;    /* on its dentry_hashtable bucket */
	struct list_head d_child;   /* on d_parent->d_subdirs, oldest first */
	struct list_head d_subdirs; /* its children, in creation order */
	loff_t d_dir_offset;	    /* its stable readdir offset in d_parent */
	loff_t d_next_offset;	    /* the next child's offset (starts at 2) */
	unsigned int d_mounted;	    /* mounts on it; under mount_lock */
	struct super_block *d_sb;
	void *d_fsdata;
};

/* The inode a dentry names, read without dcache_lock (a positive dentry
 * we hold stays positive: d_delete() of a dentry with other users only
 * unhashes it). Acquire: the inode's fields were set before d_instantiate
 * published it. */
static inline struct inode *d_inode(const struct dentry *dentry)
{
	return __atomic_load_n(&dentry->d_inode, __ATOMIC_ACQUIRE);
}
static inline bool d_really_is_negative(const struct dentry *dentry)
{
	return d_inode(dentry) == NULL;
}
static inline bool d_is_dir(const struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);

	return inode && S_ISDIR(inode->i_mode);
}
static inline bool d_is_symlink(const struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);

	return inode && S_ISLNK(inode->i_mode);
}
static inline bool IS_ROOT(const struct dentry *dentry)
{
	return dentry == dentry->d_parent;
}

/* ---- fs/dcache.c ---- */

/* Set up the hash table (once, before the first mount). */
void dcache_init(void);
/* A new unhashed, negative dentry @name in @parent (which it references);
 * count 1. NULL on no memory. */
struct dentry *d_alloc(struct dentry *parent, const struct qstr *name);
/* A root dentry for @inode (consumes its reference), or NULL (the
 * inode is put). */
struct dentry *d_make_root(struct inode *inode);
/* Attach @inode (its reference passes to the dentry) and hash it. */
void d_add(struct dentry *dentry, struct inode *inode);
/* Attach @inode to a negative dentry (hashed or not: hashed after). */
void d_instantiate(struct dentry *dentry, struct inode *inode);
/* The hashed child @name of @parent, referenced, or NULL. */
struct dentry *d_lookup(struct dentry *parent, const struct qstr *name);
/* Unhash: lookups no longer find it. */
void d_drop(struct dentry *dentry);
/* After an unlink/rmdir: a dentry nobody else uses turns negative (its
 * inode put); one still in use is unhashed and keeps the inode. */
void d_delete(struct dentry *dentry);
/* After a rename: @dentry takes @target's name and parent; @target is
 * unhashed. RENAME_EXCHANGE: d_exchange(). */
void d_move(struct dentry *dentry, struct dentry *target);
void d_exchange(struct dentry *dentry1, struct dentry *dentry2);
struct dentry *dget(struct dentry *dentry);
/* Drop a reference; the last one of an unhashed or negative dentry frees
 * it (its inode put, its parent dput). Context: process, may sleep. */
void dput(struct dentry *dentry);
/* The parent, referenced (stable against a concurrent rename). */
struct dentry *dget_parent(struct dentry *dentry);
/* Unhashed and not a root: the name was removed. */
bool d_unlinked(struct dentry *dentry);
/* Is @p1 an ancestor of @p2 (or @p2 itself)? Caller keeps the tree
 * still (s_vfs_rename_mutex). */
bool is_subdir(struct dentry *p2, struct dentry *p1);
/* The file system keeps a reference (DCACHE_PERSIST): a ramfs name. */
void d_make_persistent(struct dentry *dentry);
/* ... and drops it (unlink). */
void d_make_discardable(struct dentry *dentry);
/* Any mount on it? */
bool d_mountpoint(struct dentry *dentry);
/* Drop every dentry of an unmounted sb's tree (its pins included). */
void shrink_dcache_for_umount(struct super_block *sb);
/* Copy the path of @path relative to @root into the end of @buf; the
 * start, or ERR_PTR(-ENAMETOOLONG). Unlinked: ERR_PTR(-ENOENT). */
char *d_path(const struct path *path, const struct path *root, char *buf, int buflen);
/* Check DC1-DC6 over the tree under @root: 0, or -EUCLEAN with one
 * line naming the broken invariant. Context: takes dcache_lock. */
int d_check_tree(struct dentry *root);
/* Number of dentries alive (tests). */
long dentry_count(void);

/* Run @fn on each child of @parent (positive, hashed), in offset order,
 * starting at the first with d_dir_offset >= *pos; stops when @fn returns
 * false. Used by readdir; @fn runs with no lock held, on a copy of the
 * name. Sets *pos past the last emitted. */
void d_for_each_child(struct dentry *parent, loff_t *pos,
		      bool (*fn)(void *arg, const char *name, int len, loff_t off,
				 u64 ino, umode_t mode),
		      void *arg);

#endif
