/*
 * fs/vfs_model.c - an in-memory model of a POSIX file system: what the
 * random-operation model test (fs/vfs_model_test.c) compares the VFS with.
 *
 * Layer: fs (tests only). Used by: fs/vfs_model_test.c.
 * Provides: vm_init(), vm_open() ... vm_readdir() (fs/vfs_model.h).
 * Not here: times, permissions, directory sizes, RENAME_EXCHANGE, trailing
 * slashes, paths that climb above the model's root (the generator never
 * makes them), SEEK_DATA/SEEK_HOLE beyond ramfs' answer (the test checks
 * those against the contract instead).
 *
 * Each call follows Linux's code path (fs/namei.c, fs/open.c,
 * fs/read_write.c, fs/libfs.c for ramfs), so when several errors apply
 * the model picks the one Linux picks: an intermediate component that is
 * missing is ENOENT, one that is not a directory ENOTDIR, a name over
 * NAME_MAX is ENAMETOOLONG when it is looked up, more than MAXSYMLINKS
 * symlinks in one lookup is ELOOP; rename checks in do_renameat2()'s
 * order (ENOENT, EEXIST for RENAME_NOREPLACE, EINVAL when moving a
 * directory under itself, ENOTEMPTY when the target is an ancestor of the
 * source, then same inode, ENOTDIR/EISDIR, ENOTEMPTY).
 *
 * Invariants:
 *  VM1: a directory is linked in exactly one parent (or is the root) and
 *      its parent pointer names it; a removed directory has no children.
 *  VM2: a node is freed exactly when it has no links (nlink 0, or removed
 *      directory) and no open fd; the root is never freed.
 *  VM3: a regular file's data holds exactly size bytes (cap >= size);
 *      bytes never written read as zero.
 *
 * Locking: none. One test thread owns a model.
 */
#include "vfs_model.h"
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>

struct vm_entry {
	struct vm_entry *next;
	struct vm_node *node;
	char name[NAME_MAX + 1];
};

struct vm_node {
	unsigned int id;
	umode_t type;	    /* S_IFREG, S_IFDIR, S_IFLNK */
	unsigned int nlink; /* files, symlinks; a directory: 1, 0 once removed */
	unsigned int opens; /* fds on it */
	bool dirty;	    /* data changed since the checker looked */
	u8 *data;	    /* S_IFREG: size bytes (VM3) */
	loff_t size;
	size_t cap;
	char *target;		   /* S_IFLNK */
	struct vm_entry *children; /* S_IFDIR */
	struct vm_node *parent;	   /* S_IFDIR: VM1 */
};

enum {
	LAST_NORM,
	LAST_DOT,
	LAST_DOTDOT
};

/* Where a path led: the directory holding its last component, that
 * component, and what it names (NULL: nothing). */
struct vm_path {
	struct vm_node *dir;
	char last[NAME_MAX + 1];
	bool toolong; /* the last component is over NAME_MAX */
	int type;     /* LAST_* */
	struct vm_node *node;
};

static struct vm_node *vm_new_node(struct vfs_model *m, umode_t type)
{
	struct vm_node *n = kzalloc(sizeof(*n), GFP_KERNEL);

	if (!n)
		return NULL;
	n->id = ++m->next_id;
	n->type = type;
	n->nlink = 1;
	n->dirty = true;
	m->nr_nodes++;
	return n;
}

static void vm_free_node(struct vfs_model *m, struct vm_node *n)
{
	kfree(n->data);
	kfree(n->target);
	kfree(n);
	m->nr_nodes--;
}

/* VM2: free @n if nothing keeps it. */
static void vm_node_put(struct vfs_model *m, struct vm_node *n)
{
	if (n != m->root && n->nlink == 0 && n->opens == 0)
		vm_free_node(m, n);
}

static struct vm_entry *vm_find_entry(struct vm_node *dir, const char *name)
{
	struct vm_entry *e;

	for (e = dir->children; e; e = e->next)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}

static struct vm_node *vm_find(struct vm_node *dir, const char *name)
{
	struct vm_entry *e = vm_find_entry(dir, name);

	return e ? e->node : NULL;
}

static int vm_add_entry(struct vm_node *dir, const char *name, struct vm_node *n)
{
	struct vm_entry *e = kzalloc(sizeof(*e), GFP_KERNEL);

	if (!e)
		return -ENOMEM;
	strscpy_len(e->name, name, sizeof(e->name));
	e->node = n;
	e->next = dir->children;
	dir->children = e;
	if (n->type == S_IFDIR)
		n->parent = dir;
	return 0;
}

/* Take the entry @name out of @dir; its node is the caller's. */
static void vm_del_entry(struct vm_node *dir, const char *name)
{
	struct vm_entry **pp, *e;

	for (pp = &dir->children; (e = *pp); pp = &e->next)
		if (!strcmp(e->name, name)) {
			*pp = e->next;
			kfree(e);
			return;
		}
}

static bool vm_is_ancestor_or_self(struct vfs_model *m, struct vm_node *a,
				   struct vm_node *d)
{
	for (;;) {
		if (d == a)
			return true;
		if (d == m->root || !d->parent)
			return false;
		d = d->parent;
	}
}

static unsigned int vm_dir_nlink(const struct vm_node *dir)
{
	unsigned int n = 2;

	if (!dir->nlink)
		return 0; /* removed: Linux's clear_nlink() */
	for (struct vm_entry *e = dir->children; e; e = e->next)
		n += e->node->type == S_IFDIR;
	return n;
}

/* ---- path walk (Linux's link_path_walk, walk_component, step_into) ---- */

static int vm_resolve(struct vfs_model *m, struct vm_node *base, const char *path,
		      int *nlinks, bool follow, struct vm_path *p);

/* Follow symlink @link found in @dir to what it names (a node, or
 * -ENOENT when dangling). */
static int vm_follow(struct vfs_model *m, struct vm_node *dir, struct vm_node *link,
		     int *nlinks, struct vm_node **res)
{
	struct vm_path p;
	int err;

	if ((*nlinks)++ >= MAXSYMLINKS)
		return -ELOOP;
	err = vm_resolve(m, dir, link->target, nlinks, true, &p);
	if (err)
		return err;
	if (!p.node)
		return -ENOENT;
	*res = p.node;
	return 0;
}

/* The next component of *@s: its start and length; *@s moves past it
 * and its slashes. Returns false at the end of the path. */
static bool vm_next_component(const char **s, const char **name, size_t *len)
{
	const char *c = *s;

	while (*c == '/')
		c++;
	*name = c;
	while (*c && *c != '/')
		c++;
	*len = c - *name;
	while (*c == '/')
		c++;
	*s = c;
	return *len > 0;
}

/* Walk every component but the last (following symlinks); fill p->dir,
 * p->last, p->type. */
static int vm_parentat(struct vfs_model *m, struct vm_node *base, const char *path,
		       int *nlinks, struct vm_path *p)
{
	size_t plen = strlen(m->prefix), len;
	struct vm_node *dir = base, *child;
	const char *s = path, *name;
	char comp[NAME_MAX + 1];
	int err;

	if (!*path)
		return -ENOENT;
	if (path[0] == '/') {
		/* Absolute: only under the model's prefix (never generated
		 * otherwise). */
		if (strncmp(path, m->prefix, plen) || (path[plen] && path[plen] != '/'))
			return -EXDEV;
		s = path + plen;
		dir = m->root;
	}
	for (;;) {
		bool more;

		if (!vm_next_component(&s, &name, &len)) {
			/* "" after the prefix, or trailing slashes: the dir. */
			p->dir = dir;
			p->type = LAST_DOT;
			strscpy_len(p->last, ".", sizeof(p->last));
			p->toolong = false;
			return 0;
		}
		more = *s != '\0';
		p->type = LAST_NORM;
		if (len == 1 && name[0] == '.')
			p->type = LAST_DOT;
		else if (len == 2 && name[0] == '.' && name[1] == '.')
			p->type = LAST_DOTDOT;
		if (!more) {
			p->dir = dir;
			p->toolong = len > NAME_MAX;
			memcpy(p->last, name, min(len, (size_t)NAME_MAX));
			p->last[min(len, (size_t)NAME_MAX)] = '\0';
			return 0;
		}
		if (p->type == LAST_DOT)
			continue;
		if (p->type == LAST_DOTDOT) {
			if (dir != m->root)
				dir = dir->parent;
			continue;
		}
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, name, len);
		comp[len] = '\0';
		child = vm_find(dir, comp);
		if (!child)
			return -ENOENT;
		if (child->type == S_IFLNK) {
			err = vm_follow(m, dir, child, nlinks, &child);
			if (err)
				return err;
		}
		if (child->type != S_IFDIR)
			return -ENOTDIR;
		dir = child;
	}
}

/* Look the last component up in its directory (not following it). */
static int vm_lookup_last(struct vfs_model *m, struct vm_path *p)
{
	switch (p->type) {
	case LAST_DOT:
		p->node = p->dir;
		return 0;
	case LAST_DOTDOT:
		p->node = p->dir == m->root ? p->dir : p->dir->parent;
		return 0;
	}
	if (p->toolong)
		return -ENAMETOOLONG;
	p->node = vm_find(p->dir, p->last);
	return 0;
}

/* The whole walk; with @follow a final symlink is followed, and @p then
 * describes its target (whose node may be NULL: dangling). */
static int vm_resolve(struct vfs_model *m, struct vm_node *base, const char *path,
		      int *nlinks, bool follow, struct vm_path *p)
{
	int err = vm_parentat(m, base, path, nlinks, p);

	if (!err)
		err = vm_lookup_last(m, p);
	if (err || !follow || !p->node || p->node->type != S_IFLNK)
		return err;
	if ((*nlinks)++ >= MAXSYMLINKS)
		return -ELOOP;
	return vm_resolve(m, p->dir, p->node->target, nlinks, true, p);
}

/* ---- files' bytes ---- */

/* VM3: set a regular file's size; new bytes are zero. */
static int vm_set_size(struct vm_node *n, loff_t size)
{
	if ((size_t)size > n->cap) {
		size_t cap = max((size_t)size, n->cap * 2);
		u8 *d = kzalloc(cap, GFP_KERNEL);

		if (!d)
			return -ENOMEM;
		if (n->size)
			memcpy(d, n->data, n->size);
		kfree(n->data);
		n->data = d;
		n->cap = cap;
	} else if (size > n->size) {
		memset(n->data + n->size, 0, size - n->size);
	}
	n->size = size;
	n->dirty = true;
	return 0;
}

static ssize_t_k vm_write_at(struct vm_node *n, const void *buf, size_t count, loff_t pos)
{
	int err;

	if (pos + (loff_t)count > n->size) {
		err = vm_set_size(n, pos + count);
		if (err)
			return err;
	}
	memcpy(n->data + pos, buf, count);
	n->dirty = true;
	return (ssize_t_k)count;
}

static ssize_t_k vm_read_at(struct vm_node *n, void *buf, size_t count, loff_t pos)
{
	size_t avail;

	if (pos >= n->size)
		return 0;
	avail = min((size_t)(n->size - pos), count);
	memcpy(buf, n->data + pos, avail);
	return (ssize_t_k)avail;
}

/* ---- the calls ---- */

int vm_init(struct vfs_model *m, const char *prefix)
{
	memset(m, 0, sizeof(*m));
	strscpy_len(m->prefix, prefix, sizeof(m->prefix));
	m->root = vm_new_node(m, S_IFDIR);
	if (!m->root)
		return -ENOMEM;
	m->root->parent = m->root;
	return 0;
}

static void vm_free_tree(struct vfs_model *m, struct vm_node *dir)
{
	struct vm_entry *e;

	while ((e = dir->children)) {
		struct vm_node *n = e->node;

		dir->children = e->next;
		kfree(e);
		if (n->type == S_IFDIR) {
			vm_free_tree(m, n);
			n->nlink = 0;
		} else {
			n->nlink--;
		}
		vm_node_put(m, n);
	}
}

void vm_close_all(struct vfs_model *m)
{
	for (int fd = 0; fd < VM_MAX_FDS; fd++)
		if (m->fds[fd].node)
			vm_close(m, fd);
}

void vm_destroy(struct vfs_model *m)
{
	if (!m->root)
		return;
	vm_close_all(m);
	vm_free_tree(m, m->root);
	vm_free_node(m, m->root);
	m->root = NULL;
}

static struct vm_fd *vm_get_fd(struct vfs_model *m, int fd)
{
	if (fd < 0 || fd >= VM_MAX_FDS || !m->fds[fd].node)
		return NULL;
	return &m->fds[fd];
}

static int vm_create(struct vfs_model *m, struct vm_path *p, umode_t type,
		     struct vm_node **res)
{
	struct vm_node *n = vm_new_node(m, type);
	int err;

	if (!n)
		return -ENOMEM;
	err = vm_add_entry(p->dir, p->last, n);
	if (err) {
		vm_free_node(m, n);
		return err;
	}
	*res = n;
	return 0;
}

/* Linux's do_open() and may_open() on what the walk found. */
static int vm_do_open(struct vfs_model *m, struct vm_node *n, unsigned int flags,
		      bool created)
{
	int fd;

	if (flags & O_CREAT) {
		if ((flags & O_EXCL) && !created)
			return -EEXIST;
		if (n->type == S_IFDIR)
			return -EISDIR;
	}
	if ((flags & O_DIRECTORY) && n->type != S_IFDIR)
		return -ENOTDIR;
	if (n->type == S_IFLNK)
		return -ELOOP;
	if (n->type == S_IFDIR && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
		return -EISDIR;
	for (fd = 0; fd < VM_MAX_FDS; fd++)
		if (!m->fds[fd].node)
			break;
	if (fd == VM_MAX_FDS)
		return -EMFILE;
	if ((flags & O_TRUNC) && n->type == S_IFREG && !created) {
		int err = vm_set_size(n, 0);

		if (err)
			return err;
	}
	m->fds[fd] = (struct vm_fd){.node = n, .flags = flags, .pos = 0};
	n->opens++;
	return fd;
}

int vm_open(struct vfs_model *m, const char *path, unsigned int flags)
{
	struct vm_path p;
	struct vm_node *n;
	bool created = false;
	int nl = 0, err;

	if (!(flags & O_CREAT)) {
		err = vm_resolve(m, m->root, path, &nl, !(flags & O_NOFOLLOW), &p);
		if (err)
			return err;
		if (!p.node)
			return -ENOENT;
		return vm_do_open(m, p.node, flags, false);
	}
	err = vm_parentat(m, m->root, path, &nl, &p);
	if (err)
		return err;
	if (p.type != LAST_NORM)
		return -EISDIR;
	err = vm_lookup_last(m, &p);
	if (err)
		return err;
	n = p.node;
	/* O_EXCL implies O_NOFOLLOW (build_open_flags()). */
	if (n && n->type == S_IFLNK && !(flags & (O_EXCL | O_NOFOLLOW))) {
		if (nl++ >= MAXSYMLINKS)
			return -ELOOP;
		err = vm_resolve(m, p.dir, n->target, &nl, true, &p);
		if (err)
			return err;
		n = p.node;
		if (!n && p.type != LAST_NORM)
			return -EISDIR;
	}
	if (!n) {
		err = vm_create(m, &p, S_IFREG, &n);
		if (err)
			return err;
		n->nlink = 1;
		created = true;
	}
	return vm_do_open(m, n, flags, created);
}

int vm_close(struct vfs_model *m, int fd)
{
	struct vm_fd *f = vm_get_fd(m, fd);
	struct vm_node *n;

	if (!f)
		return -EBADF;
	n = f->node;
	f->node = NULL;
	n->opens--;
	vm_node_put(m, n);
	return 0;
}

static int vm_check_read(struct vm_fd *f)
{
	if (!f)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (f->node->type == S_IFDIR)
		return -EISDIR;
	return 0;
}

static int vm_check_write(struct vm_fd *f)
{
	if (!f || (f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	return 0;
}

ssize_t_k vm_read(struct vfs_model *m, int fd, void *buf, size_t count)
{
	struct vm_fd *f = vm_get_fd(m, fd);
	int err = vm_check_read(f);
	ssize_t_k n;

	if (err)
		return err;
	n = vm_read_at(f->node, buf, count, f->pos);
	f->pos += n;
	return n;
}

ssize_t_k vm_pread(struct vfs_model *m, int fd, void *buf, size_t count, loff_t pos)
{
	struct vm_fd *f = vm_get_fd(m, fd);
	int err;

	if (pos < 0)
		return -EINVAL;
	err = vm_check_read(f);
	if (err)
		return err;
	return vm_read_at(f->node, buf, count, pos);
}

ssize_t_k vm_write(struct vfs_model *m, int fd, const void *buf, size_t count)
{
	struct vm_fd *f = vm_get_fd(m, fd);
	int err = vm_check_write(f);
	ssize_t_k n;

	if (err)
		return err;
	if (!count)
		return 0;
	if (f->flags & O_APPEND)
		f->pos = f->node->size;
	n = vm_write_at(f->node, buf, count, f->pos);
	if (n > 0)
		f->pos += n;
	return n;
}

ssize_t_k vm_pwrite(struct vfs_model *m, int fd, const void *buf, size_t count,
		    loff_t pos)
{
	struct vm_fd *f = vm_get_fd(m, fd);
	int err;

	if (pos < 0)
		return -EINVAL;
	err = vm_check_write(f);
	if (err)
		return err;
	if (!count)
		return 0;
	/* Linux appends with O_APPEND whatever @pos says (pwrite(2), BUGS). */
	if (f->flags & O_APPEND)
		pos = f->node->size;
	return vm_write_at(f->node, buf, count, pos);
}

/* generic_file_llseek()'s answer for a file without holes (ramfs). */
loff_t vm_lseek(struct vfs_model *m, int fd, loff_t off, int whence)
{
	struct vm_fd *f = vm_get_fd(m, fd);
	loff_t size, pos;

	if (!f)
		return -EBADF;
	size = f->node->type == S_IFREG ? f->node->size : 0;
	switch (whence) {
	case SEEK_SET:
		pos = off;
		break;
	case SEEK_CUR:
		pos = f->pos + off;
		break;
	case SEEK_END:
		pos = size + off;
		break;
	case SEEK_DATA:
		if ((u64)off >= (u64)size)
			return -ENXIO;
		pos = off;
		break;
	case SEEK_HOLE:
		if ((u64)off >= (u64)size)
			return -ENXIO;
		pos = size;
		break;
	default:
		return -EINVAL;
	}
	if (pos < 0)
		return -EINVAL;
	f->pos = pos;
	return pos;
}

void vm_set_pos(struct vfs_model *m, int fd, loff_t pos)
{
	struct vm_fd *f = vm_get_fd(m, fd);

	if (f)
		f->pos = pos;
}

int vm_ftruncate(struct vfs_model *m, int fd, loff_t len)
{
	struct vm_fd *f = vm_get_fd(m, fd);

	if (len < 0)
		return -EINVAL;
	if (!f)
		return -EBADF;
	if (f->node->type != S_IFREG || (f->flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	return vm_set_size(f->node, len);
}

int vm_truncate(struct vfs_model *m, const char *path, loff_t len)
{
	struct vm_path p;
	int nl = 0, err;

	if (len < 0)
		return -EINVAL;
	err = vm_resolve(m, m->root, path, &nl, true, &p);
	if (err)
		return err;
	if (!p.node)
		return -ENOENT;
	if (p.node->type == S_IFDIR)
		return -EISDIR;
	if (p.node->type != S_IFREG)
		return -EINVAL;
	return vm_set_size(p.node, len);
}

/* Linux's filename_create(): the parent and a free last name. */
static int vm_filename_create(struct vfs_model *m, const char *path, struct vm_path *p)
{
	int nl = 0, err = vm_parentat(m, m->root, path, &nl, p);

	if (err)
		return err;
	if (p->type != LAST_NORM)
		return -EEXIST;
	err = vm_lookup_last(m, p);
	if (err)
		return err;
	return p->node ? -EEXIST : 0;
}

int vm_mkdir(struct vfs_model *m, const char *path)
{
	struct vm_path p;
	struct vm_node *n;
	int err = vm_filename_create(m, path, &p);

	if (err)
		return err;
	return vm_create(m, &p, S_IFDIR, &n);
}

/* Linux's do_rmdir()/do_unlinkat() front half: the parent and the victim. */
static int vm_lookup_victim(struct vfs_model *m, const char *path, struct vm_path *p)
{
	int nl = 0, err = vm_parentat(m, m->root, path, &nl, p);

	if (err)
		return err;
	if (p->toolong && p->type == LAST_NORM)
		return -ENAMETOOLONG;
	return vm_lookup_last(m, p);
}

int vm_rmdir(struct vfs_model *m, const char *path)
{
	struct vm_path p;
	int err = vm_lookup_victim(m, path, &p);

	if (err)
		return err;
	if (p.type == LAST_DOT)
		return -EINVAL;
	if (p.type == LAST_DOTDOT)
		return -ENOTEMPTY;
	if (!p.node)
		return -ENOENT;
	if (p.node->type != S_IFDIR)
		return -ENOTDIR;
	if (p.node->children)
		return -ENOTEMPTY;
	vm_del_entry(p.dir, p.last);
	p.node->nlink = 0;
	vm_node_put(m, p.node);
	return 0;
}

int vm_unlink(struct vfs_model *m, const char *path)
{
	struct vm_path p;
	int err = vm_lookup_victim(m, path, &p);

	if (err)
		return err;
	if (p.type != LAST_NORM)
		return -EISDIR;
	if (!p.node)
		return -ENOENT;
	if (p.node->type == S_IFDIR)
		return -EISDIR;
	vm_del_entry(p.dir, p.last);
	p.node->nlink--;
	vm_node_put(m, p.node);
	return 0;
}

/* Take @victim (the target of a rename) out of @dir. */
static void vm_drop_victim(struct vfs_model *m, struct vm_node *dir, const char *name,
			   struct vm_node *victim)
{
	vm_del_entry(dir, name);
	if (victim->type == S_IFDIR)
		victim->nlink = 0;
	else
		victim->nlink--;
	vm_node_put(m, victim);
}

/* do_renameat2()'s checks in its order, then vfs_rename()'s, then
 * simple_rename()'s. */
static int vm_rename_check(struct vfs_model *m, struct vm_path *o, struct vm_path *n,
			   unsigned int flags)
{
	struct vm_node *old, *new;
	int err;

	if (o->type != LAST_NORM)
		return -EBUSY;
	if (n->type != LAST_NORM)
		return (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
	err = vm_lookup_last(m, o);
	if (err)
		return err;
	if (!o->node)
		return -ENOENT;
	err = vm_lookup_last(m, n);
	if (err)
		return err;
	old = o->node;
	new = n->node;
	if ((flags & RENAME_NOREPLACE) && new)
		return -EEXIST;
	if (o->dir != n->dir) {
		/* lock_rename()'s trap */
		if (old->type == S_IFDIR && vm_is_ancestor_or_self(m, old, n->dir))
			return -EINVAL;
		if (new &&new->type == S_IFDIR && vm_is_ancestor_or_self(m, new, o->dir))
			return -ENOTEMPTY;
	}
	if (old == new)
		return 1; /* nothing to do */
	if (new) {
		if (old->type == S_IFDIR && new->type != S_IFDIR)
			return -ENOTDIR;
		if (old->type != S_IFDIR && new->type == S_IFDIR)
			return -EISDIR;
		if (new->type == S_IFDIR &&new->children)
			return -ENOTEMPTY;
	}
	return 0;
}

int vm_rename(struct vfs_model *m, const char *oldp, const char *newp, unsigned int flags)
{
	struct vm_path o, n;
	struct vm_node *node;
	int nl = 0, err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & RENAME_EXCHANGE)
		return -EINVAL; /* not modelled; never generated */
	err = vm_parentat(m, m->root, oldp, &nl, &o);
	if (err)
		return err;
	nl = 0;
	err = vm_parentat(m, m->root, newp, &nl, &n);
	if (err)
		return err;
	err = vm_rename_check(m, &o, &n, flags);
	if (err)
		return err < 0 ? err : 0;
	node = o.node;
	if (n.node)
		vm_drop_victim(m, n.dir, n.last, n.node);
	vm_del_entry(o.dir, o.last);
	err = vm_add_entry(n.dir, n.last, node);
	if (err) /* no memory: the test stops at once */
		return err;
	return 0;
}

int vm_link(struct vfs_model *m, const char *oldp, const char *newp)
{
	struct vm_path o, n;
	int nl = 0, err;

	err = vm_resolve(m, m->root, oldp, &nl, false, &o);
	if (err)
		return err;
	if (!o.node)
		return -ENOENT;
	err = vm_filename_create(m, newp, &n);
	if (err)
		return err;
	if (o.node->type == S_IFDIR)
		return -EPERM;
	err = vm_add_entry(n.dir, n.last, o.node);
	if (err)
		return err;
	o.node->nlink++;
	return 0;
}

int vm_symlink(struct vfs_model *m, const char *target, const char *linkp)
{
	struct vm_path p;
	struct vm_node *n;
	char *t;
	int err;

	if (!*target)
		return -ENOENT;
	err = vm_filename_create(m, linkp, &p);
	if (err)
		return err;
	t = kmalloc(strlen(target) + 1, GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	strscpy_len(t, target, strlen(target) + 1);
	err = vm_create(m, &p, S_IFLNK, &n);
	if (err) {
		kfree(t);
		return err;
	}
	n->target = t;
	n->size = strlen(t);
	return 0;
}

ssize_t_k vm_readlink(struct vfs_model *m, const char *path, char *buf, size_t size)
{
	struct vm_path p;
	size_t len;
	int nl = 0, err;

	if ((ssize_t_k)size <= 0)
		return -EINVAL;
	err = vm_resolve(m, m->root, path, &nl, false, &p);
	if (err)
		return err;
	if (!p.node)
		return -ENOENT;
	if (p.node->type != S_IFLNK)
		return -EINVAL;
	len = min(strlen(p.node->target), size);
	memcpy(buf, p.node->target, len);
	return (ssize_t_k)len;
}

void vm_node_stat(const struct vm_node *n, struct vm_stat *st)
{
	st->type = n->type;
	st->nlink = n->type == S_IFDIR ? vm_dir_nlink(n) : n->nlink;
	st->size = n->size;
	st->id = n->id;
}

int vm_stat(struct vfs_model *m, const char *path, bool follow, struct vm_stat *st)
{
	struct vm_path p;
	int nl = 0, err = vm_resolve(m, m->root, path, &nl, follow, &p);

	if (err)
		return err;
	if (!p.node)
		return -ENOENT;
	vm_node_stat(p.node, st);
	return 0;
}

int vm_fstat(struct vfs_model *m, int fd, struct vm_stat *st)
{
	struct vm_fd *f = vm_get_fd(m, fd);

	if (!f)
		return -EBADF;
	vm_node_stat(f->node, st);
	return 0;
}

unsigned char vm_node_dtype(const struct vm_node *n)
{
	switch (n->type) {
	case S_IFDIR:
		return DT_DIR;
	case S_IFLNK:
		return DT_LNK;
	default:
		return DT_REG;
	}
}

int vm_opendir(struct vfs_model *m, const char *path, struct vm_node **dir)
{
	struct vm_path p;
	int nl = 0, err = vm_resolve(m, m->root, path, &nl, true, &p);

	if (err)
		return err;
	if (!p.node)
		return -ENOENT;
	if (p.node->type != S_IFDIR)
		return -ENOTDIR;
	*dir = p.node;
	return 0;
}

/* ---- for the generator and the checker ---- */

struct vm_node *vm_lookup_nofollow(struct vfs_model *m, const char *path)
{
	struct vm_path p;
	int nl = 0;

	if (vm_resolve(m, m->root, path, &nl, false, &p))
		return NULL;
	return p.node;
}

bool vm_node_is_dir(const struct vm_node *n)
{
	return n->type == S_IFDIR;
}

const u8 *vm_node_data(const struct vm_node *n, loff_t *size)
{
	*size = n->type == S_IFREG ? n->size : 0;
	return n->type == S_IFREG ? n->data : NULL;
}

unsigned int vm_node_id(const struct vm_node *n)
{
	return n->id;
}

bool vm_node_test_and_clear_dirty(struct vm_node *n)
{
	bool d = n->dirty;

	n->dirty = false;
	return d;
}

bool vm_child(const struct vm_node *dir, int i, const char **name, struct vm_node **child)
{
	struct vm_entry *e;

	if (dir->type != S_IFDIR)
		return false;
	for (e = dir->children; e && i; e = e->next)
		i--;
	if (!e)
		return false;
	*name = e->name;
	*child = e->node;
	return true;
}

int vm_nr_children(const struct vm_node *dir)
{
	int n = 0;

	if (dir->type != S_IFDIR)
		return 0;
	for (struct vm_entry *e = dir->children; e; e = e->next)
		n++;
	return n;
}
