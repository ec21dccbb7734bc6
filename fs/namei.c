/*
 * fs/namei.c - path lookup and the namespace calls: open's lookup and
 * create, mkdir, rmdir, unlink, rename, link, symlink, readlink (Linux's
 * fs/namei.c, with its checks and error codes, without RCU walk).
 *
 * Layer: fs (the VFS). Used by: fs/open.c, fs/stat.c, fs/namespace.c,
 * the ksys_* callers (shell, tests).
 * Provides: kern_path(), path_get(), path_put(), do_filp_open(),
 * ksys_mkdir(), ksys_rmdir(), ksys_unlink(), ksys_rename(), ksys_link(),
 * ksys_symlink(), ksys_readlink(), vfs_create() ... vfs_rename().
 *
 * A walk (struct nameidata) starts at the root or the working directory
 * and takes one component at a time: "." stays, ".." goes to the parent
 * (out of a mount through its mount point, never above the root), a name
 * is looked up in the dcache (d_lookup) or, on a miss, by the file system
 * (->lookup under the directory's i_rwsem), then followed down the mounts
 * on it. A symlink in the middle is always followed, one at the end only
 * with LOOKUP_FOLLOW (or a trailing slash); at most MAXSYMLINKS in one
 * walk (ELOOP). Every name is at most NAME_MAX bytes and a path less than
 * PATH_MAX (ENAMETOOLONG). The namespace calls walk to the parent
 * (path_parentat), lock it, look the last name up, check, and call the
 * file system.
 *
 * Invariants:
 *  VFS1: a walk holds a reference on nd->path (mount and dentry) and on
 *        nd->root; each step takes the new ones before dropping the old.
 *  VFS2: a namespace change runs with the parent's i_rwsem held for
 *        writing (both parents, and s_vfs_rename_mutex when they differ,
 *        for a rename), and the victim's i_rwsem: the checks made under
 *        them (exists, empty, not a mount point) still hold at the call.
 *  VFS3: a failed call changes nothing (each check comes before the
 *        file system is called; the file system's own failures undo).
 *  VFS4: a rename never makes a directory its own descendant: the source
 *        is not an ancestor of the target's parent (checked under
 *        s_vfs_rename_mutex, which freezes cross-directory moves).
 *
 * Locking: directory i_rwsem before child i_rwsem; an ancestor's before a
 * descendant's; for a rename s_vfs_rename_mutex, then the parents
 * (ancestor first, else target's parent first), then source and target
 * inodes (by address). dcache_lock and mount_lock are taken inside.
 */
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/mount.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include "internal.h"

struct nameidata {
	struct path path;   /* where the walk is (VFS1) */
	struct path root;   /* "/" of this walk */
	struct qstr last;   /* the last component (in the name or a body) */
	int last_type;	    /* LAST_* */
	unsigned int flags; /* LOOKUP_*; a trailing slash adds DIRECTORY */
	int total_link_count;
	const char *link; /* the body picked by the last step, if any */
	int nr_bodies;	  /* bodies copied so far (freed at the end) */
	char *bodies[MAXSYMLINKS + 1];
};

void path_get(const struct path *path)
{
	mntget(path->mnt);
	dget(path->dentry);
}

void path_put(const struct path *path)
{
	dput(path->dentry);
	mntput(path->mnt);
}

/* Is the name usable: -ENOENT if empty, -ENAMETOOLONG if PATH_MAX or
 * more (Linux's getname()). */
static int getname_check(const char *name)
{
	size_t len;

	if (!name)
		return -EFAULT;
	len = strnlen(name, PATH_MAX);
	if (len == 0)
		return -ENOENT;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static void nd_init(struct nameidata *nd, const char *name, unsigned int flags)
{
	memset(nd, 0, sizeof(*nd));
	nd->flags = flags;
	get_fs_root(&nd->root);
	if (*name == '/') {
		nd->path = nd->root;
		path_get(&nd->path);
	} else {
		get_fs_pwd(&nd->path);
	}
}

static void terminate_walk(struct nameidata *nd)
{
	if (nd->path.dentry)
		path_put(&nd->path);
	nd->path.dentry = NULL;
	path_put(&nd->root);
	for (int i = 0; i < nd->nr_bodies; i++)
		kfree(nd->bodies[i]);
	nd->nr_bodies = 0;
}

/* Hand the walk's path to the caller, then end the walk. */
static void nd_take_path(struct nameidata *nd, struct path *path)
{
	*path = nd->path;
	nd->path.dentry = NULL;
	nd->path.mnt = NULL;
	terminate_walk(nd);
}

/* Go down the mounts stacked on @path (Linux's follow_mount). */
static void follow_mount(struct path *path)
{
	struct vfsmount *m;

	while ((m = lookup_mnt(path))) {
		struct dentry *root = dget(m->mnt_root);

		path_put(path);
		path->mnt = m;
		path->dentry = root;
	}
}

/* From the root of a mount to its mount point; false at the top. */
static bool follow_up(struct path *path)
{
	struct vfsmount *mnt = path->mnt, *parent;
	struct dentry *mp;

	spin_lock(&mount_lock);
	parent = mnt->mnt_parent;
	if (parent == mnt) {
		spin_unlock(&mount_lock);
		return false;
	}
	mp = dget(mnt->mnt_mountpoint);
	mntget(parent);
	spin_unlock(&mount_lock);
	path_put(path);
	path->mnt = parent;
	path->dentry = mp;
	return true;
}

static void follow_dotdot(struct nameidata *nd)
{
	for (;;) {
		if (path_equal(&nd->path, &nd->root))
			return; /* ".." of the root is the root */
		if (nd->path.dentry != nd->path.mnt->mnt_root) {
			struct dentry *parent = dget_parent(nd->path.dentry);

			dput(nd->path.dentry);
			nd->path.dentry = parent;
			return;
		}
		if (!follow_up(&nd->path))
			return;
	}
}

/*
 * Look @name up in @base, whose i_rwsem the caller holds (Linux's
 * lookup_one_qstr_excl()): the cached dentry, or a new one the file
 * system's ->lookup fills (positive or negative). Referenced, or ERR_PTR.
 */
static struct dentry *lookup_hash_locked(const struct qstr *name, struct dentry *base)
{
	struct inode *dir = d_inode(base);
	struct dentry *dentry, *old;

	dentry = d_lookup(base, name);
	if (dentry)
		return dentry;
	if (is_dead_dir(dir))
		return ERR_PTR(-ENOENT);
	if (!dir->i_op || !dir->i_op->lookup)
		return ERR_PTR(-ENOTDIR);
	/* Linux's file systems refuse a long name in ->lookup (simple_lookup,
	 * ext4_lookup): only a name really looked up is too long, so an
	 * earlier ENOENT or ENOTDIR wins. Checked here once for all of them;
	 * the dcache never holds one (d_for_each_child's buffer relies on it). */
	if (name->len > NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	dentry = d_alloc(base, name);
	if (!dentry)
		return ERR_PTR(-ENOMEM);
	old = dir->i_op->lookup(dir, dentry, 0);
	if (old) {
		dput(dentry); /* unhashed: freed */
		dentry = old;
	}
	return dentry;
}

static struct dentry *lookup_slow(const struct qstr *name, struct dentry *dir)
{
	struct inode *inode = d_inode(dir);
	struct dentry *dentry;

	inode_lock(inode);
	dentry = lookup_hash_locked(name, dir);
	inode_unlock(inode);
	return dentry;
}

static void set_last(struct nameidata *nd, const char *name, unsigned int len)
{
	nd->last.name = name;
	nd->last.len = len;
	nd->last_type = LAST_NORM;
	if (name[0] == '.' && len == 1)
		nd->last_type = LAST_DOT;
	else if (name[0] == '.' && name[1] == '.' && len == 2)
		nd->last_type = LAST_DOTDOT;
}

/* Copy the body of the symlink @link into the walk and, for an absolute
 * body, restart at the root. Sets nd->link. */
static int pick_link(struct nameidata *nd, struct dentry *link)
{
	struct inode *inode = d_inode(link);
	struct delayed_call done = {0};
	const char *body;
	size_t len;
	char *copy;

	if (++nd->total_link_count > MAXSYMLINKS)
		return -ELOOP;
	if (!inode->i_op || !inode->i_op->get_link)
		return -EINVAL;
	body = inode->i_op->get_link(link, inode, &done);
	if (IS_ERR(body))
		return PTR_ERR(body);
	len = strnlen(body, PATH_MAX);
	copy = len && len < PATH_MAX ? kmalloc(len + 1, GFP_KERNEL) : NULL;
	if (copy) {
		memcpy(copy, body, len);
		copy[len] = '\0';
	}
	do_delayed_call(&done);
	if (!copy)
		return len == 0 ? -ENOENT : len >= PATH_MAX ? -ENAMETOOLONG : -ENOMEM;
	nd->bodies[nd->nr_bodies++] = copy;
	if (copy[0] == '/') {
		path_put(&nd->path);
		nd->path = nd->root;
		path_get(&nd->path);
	}
	nd->link = copy;
	return 0;
}

/*
 * One step of the walk: "." ".." or a name. 0 when nd->path moved onto it,
 * 1 when it is a symlink to follow (body in nd->link, nd->path still its
 * directory), or -errno (-ENOENT for a missing name).
 */
static int walk_component(struct nameidata *nd, bool follow)
{
	struct path next;
	struct dentry *dentry;
	int err;

	if (nd->last_type == LAST_DOT || nd->last_type == LAST_ROOT)
		return 0;
	if (nd->last_type == LAST_DOTDOT) {
		follow_dotdot(nd);
		return 0;
	}
	dentry = d_lookup(nd->path.dentry, &nd->last);
	if (!dentry)
		dentry = lookup_slow(&nd->last, nd->path.dentry);
	if (IS_ERR(dentry))
		return PTR_ERR(dentry);
	if (d_really_is_negative(dentry)) {
		dput(dentry);
		return -ENOENT;
	}
	if (follow && d_is_symlink(dentry)) {
		err = pick_link(nd, dentry);
		dput(dentry);
		return err ? err : 1;
	}
	next.mnt = mntget(nd->path.mnt);
	next.dentry = dentry;
	follow_mount(&next);
	path_put(&nd->path);
	nd->path = next;
	return 0;
}

/*
 * Walk every component of @name but the last, which is left in nd->last
 * (Linux's link_path_walk). Symlinks met on the way are followed: the rest
 * of the name waits on a stack while the body is walked.
 */
static int link_path_walk(const char *name, struct nameidata *nd)
{
	const char *stack[MAXSYMLINKS];
	int depth = 0;

	for (;;) {
		const char *p = name;
		bool slash;
		int err;

		while (*name == '/')
			name++;
		if (!*name) {
			if (depth) {
				name = stack[--depth];
				continue;
			}
			nd->last_type = LAST_ROOT; /* "/" (or a body "/") */
			return 0;
		}
		for (p = name; *p && *p != '/'; p++)
			;
		set_last(nd, name, p - name);
		slash = *p == '/';
		while (*p == '/')
			p++;
		if (!*p && !depth) {
			if (slash)
				nd->flags |= LOOKUP_DIRECTORY | LOOKUP_FOLLOW;
			return 0;
		}
		err = walk_component(nd, true);
		if (err < 0)
			return err;
		if (err > 0) {
			if (*p) {
				if (depth == MAXSYMLINKS)
					return -ELOOP;
				stack[depth++] = p;
			}
			name = nd->link;
			continue;
		}
		if (!d_is_dir(nd->path.dentry))
			return -ENOTDIR;
		name = p;
	}
}

/* Walk @name to the end: the last component too, following a final
 * symlink with LOOKUP_FOLLOW (Linux's path_lookupat). */
static int path_lookupat(struct nameidata *nd, const char *name)
{
	int err = link_path_walk(name, nd);

	while (!err) {
		err = walk_component(nd, nd->flags & LOOKUP_FOLLOW);
		if (err <= 0)
			break;
		err = link_path_walk(nd->link, nd);
	}
	if (!err && (nd->flags & LOOKUP_DIRECTORY) && !d_is_dir(nd->path.dentry))
		err = -ENOTDIR;
	return err;
}

int kern_path(const char *name, unsigned int flags, struct path *path)
{
	struct nameidata nd;
	int err = getname_check(name);

	if (err)
		return err;
	nd_init(&nd, name, flags);
	err = path_lookupat(&nd, name);
	if (err) {
		terminate_walk(&nd);
		return err;
	}
	nd_take_path(&nd, path);
	return 0;
}

/* Walk to the parent of @name's last component (Linux's
 * filename_parentat); nd->last and nd->last_type tell what it is. */
static int path_parentat(struct nameidata *nd, const char *name)
{
	int err = getname_check(name);

	if (err) {
		memset(nd, 0, sizeof(*nd));
		return err;
	}
	nd_init(nd, name, 0);
	err = link_path_walk(name, nd);
	if (err)
		terminate_walk(nd);
	return err;
}

static bool has_trailing_slash(const struct nameidata *nd)
{
	return nd->flags & LOOKUP_DIRECTORY;
}

/* ---- the vfs_* calls: checks every file system gets, then the fs ---- */

static int may_create(struct inode *dir)
{
	return is_dead_dir(dir) ? -ENOENT : 0;
}

int vfs_create(struct inode *dir, struct dentry *dentry, umode_t mode, bool excl)
{
	int err = may_create(dir);

	if (err)
		return err;
	if (!dir->i_op->create)
		return -EACCES;
	return dir->i_op->create(dir, dentry, (mode & S_IALLUGO) | S_IFREG, excl);
}

int vfs_mkdir(struct inode *dir, struct dentry *dentry, umode_t mode)
{
	int err = may_create(dir);

	if (err)
		return err;
	if (!dir->i_op->mkdir)
		return -EPERM;
	return dir->i_op->mkdir(dir, dentry, (mode & S_IALLUGO) | S_IFDIR);
}

int vfs_symlink(struct inode *dir, struct dentry *dentry, const char *target)
{
	int err = may_create(dir);

	if (err)
		return err;
	if (!dir->i_op->symlink)
		return -EPERM;
	return dir->i_op->symlink(dir, dentry, target);
}

int vfs_link(struct dentry *old_dentry, struct inode *dir, struct dentry *new_dentry)
{
	struct inode *inode = d_inode(old_dentry);
	int err = may_create(dir);

	if (err)
		return err;
	if (S_ISDIR(inode->i_mode))
		return -EPERM;
	if (!dir->i_op->link)
		return -EPERM;
	inode_lock(inode);
	if (inode->i_nlink == 0)
		err = -ENOENT; /* an open, unlinked file cannot come back */
	else
		err = dir->i_op->link(old_dentry, dir, new_dentry);
	inode_unlock(inode);
	return err;
}

int vfs_unlink(struct inode *dir, struct dentry *dentry)
{
	struct inode *target = d_inode(dentry);
	int err;

	if (S_ISDIR(target->i_mode))
		return -EISDIR;
	if (!dir->i_op->unlink)
		return -EPERM;
	inode_lock(target);
	if (d_mountpoint(dentry))
		err = -EBUSY;
	else
		err = dir->i_op->unlink(dir, dentry);
	inode_unlock(target);
	if (!err)
		d_delete(dentry); /* VFS2: still under the parent's lock */
	return err;
}

int vfs_rmdir(struct inode *dir, struct dentry *dentry)
{
	struct inode *target = d_inode(dentry);
	int err;

	if (!S_ISDIR(target->i_mode))
		return -ENOTDIR;
	if (!dir->i_op->rmdir)
		return -EPERM;
	inode_lock(target);
	if (d_mountpoint(dentry))
		err = -EBUSY;
	else
		err = dir->i_op->rmdir(dir, dentry); /* ENOTEMPTY is the fs's */
	if (!err)
		target->i_flags |= S_DEAD;
	inode_unlock(target);
	if (!err)
		d_delete(dentry);
	return err;
}

static void lock_two_inodes(struct inode *a, struct inode *b)
{
	if (b && a > b) {
		struct inode *t = a;

		a = b;
		b = t;
	}
	inode_lock(a);
	if (b && b != a)
		inode_lock(b);
}

static void unlock_two_inodes(struct inode *a, struct inode *b)
{
	inode_unlock(a);
	if (b && b != a)
		inode_unlock(b);
}

int vfs_rename(struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir,
	       struct dentry *new_dentry, unsigned int flags)
{
	struct inode *source = d_inode(old_dentry);
	struct inode *target = d_inode(new_dentry);
	bool is_dir = S_ISDIR(source->i_mode);
	int err;

	if (source == target)
		return 0; /* two links of one inode: nothing to do (POSIX) */
	if (target && !(flags & RENAME_EXCHANGE)) {
		if (is_dir && !S_ISDIR(target->i_mode))
			return -ENOTDIR;
		if (!is_dir && S_ISDIR(target->i_mode))
			return -EISDIR;
	}
	if (!target && (err = may_create(new_dir)))
		return err;
	if (!old_dir->i_op->rename)
		return -EPERM;
	if (d_mountpoint(old_dentry) || d_mountpoint(new_dentry))
		return -EBUSY;
	lock_two_inodes(source, target);
	err = old_dir->i_op->rename(old_dir, old_dentry, new_dir, new_dentry, flags);
	if (!err && target && S_ISDIR(target->i_mode) && !(flags & RENAME_EXCHANGE))
		target->i_flags |= S_DEAD;
	unlock_two_inodes(source, target);
	if (!err) {
		if (flags & RENAME_EXCHANGE)
			d_exchange(old_dentry, new_dentry);
		else
			d_move(old_dentry, new_dentry);
	}
	return err;
}

/* ---- creating names ---- */

/*
 * Walk to the parent of @name, lock it, and return the negative dentry of
 * the new name (Linux's filename_create): EEXIST if it exists or is "."
 * ".." "/"; a trailing slash only for a directory (ENOENT otherwise);
 * EROFS on a read-only mount. On success @path holds the parent, locked.
 */
static struct dentry *filename_create(const char *name, struct path *path, bool is_dir)
{
	struct nameidata nd;
	struct dentry *dentry;
	int err, want_write;

	err = path_parentat(&nd, name);
	if (err)
		return ERR_PTR(err);
	if (nd.last_type != LAST_NORM) {
		terminate_walk(&nd);
		return ERR_PTR(-EEXIST);
	}
	want_write = mnt_want_write(nd.path.mnt);
	inode_lock(d_inode(nd.path.dentry));
	dentry = lookup_hash_locked(&nd.last, nd.path.dentry);
	if (IS_ERR(dentry))
		goto unlock;
	err = 0;
	if (!d_really_is_negative(dentry))
		err = -EEXIST;
	else if (!is_dir && has_trailing_slash(&nd))
		err = -ENOENT;
	else if (want_write)
		err = want_write;
	if (err) {
		dput(dentry);
		dentry = ERR_PTR(err);
		goto unlock;
	}
	*path = nd.path;
	path_get(path);
	terminate_walk(&nd);
	return dentry;
unlock:
	inode_unlock(d_inode(nd.path.dentry));
	terminate_walk(&nd);
	return dentry;
}

static void done_path_create(struct path *path, struct dentry *dentry)
{
	dput(dentry);
	inode_unlock(d_inode(path->dentry));
	path_put(path);
}

int ksys_mkdir(const char *pathname, umode_t mode)
{
	struct path path;
	struct dentry *dentry = filename_create(pathname, &path, true);
	int err;

	if (IS_ERR(dentry))
		return PTR_ERR(dentry);
	err = vfs_mkdir(d_inode(path.dentry), dentry, mode);
	done_path_create(&path, dentry);
	return err;
}

int ksys_symlink(const char *target, const char *linkpath)
{
	struct path path;
	struct dentry *dentry;
	int err = getname_check(target);

	if (err)
		return err;
	dentry = filename_create(linkpath, &path, false);
	if (IS_ERR(dentry))
		return PTR_ERR(dentry);
	err = vfs_symlink(d_inode(path.dentry), dentry, target);
	done_path_create(&path, dentry);
	return err;
}

int ksys_link(const char *oldpath, const char *newpath)
{
	struct path old_path, new_path;
	struct dentry *new_dentry;
	int err;

	err = kern_path(oldpath, 0, &old_path); /* link() does not follow */
	if (err)
		return err;
	new_dentry = filename_create(newpath, &new_path, false);
	if (IS_ERR(new_dentry)) {
		err = PTR_ERR(new_dentry);
		goto out;
	}
	if (old_path.mnt != new_path.mnt)
		err = -EXDEV;
	else
		err = vfs_link(old_path.dentry, d_inode(new_path.dentry), new_dentry);
	done_path_create(&new_path, new_dentry);
out:
	path_put(&old_path);
	return err;
}

/* ---- removing names ---- */

/* Walk to @name's parent for a removal: locked parent and the victim's
 * dentry (positive), or ERR_PTR. */
static struct dentry *lookup_for_delete(struct nameidata *nd)
{
	struct dentry *dentry;
	int err = mnt_want_write(nd->path.mnt);

	if (err)
		return ERR_PTR(err);
	inode_lock(d_inode(nd->path.dentry));
	dentry = lookup_hash_locked(&nd->last, nd->path.dentry);
	if (!IS_ERR(dentry) && d_really_is_negative(dentry)) {
		dput(dentry);
		dentry = ERR_PTR(-ENOENT);
	}
	if (IS_ERR(dentry))
		inode_unlock(d_inode(nd->path.dentry));
	return dentry;
}

int ksys_rmdir(const char *pathname)
{
	struct nameidata nd;
	struct dentry *dentry;
	int err = path_parentat(&nd, pathname);

	if (err)
		return err;
	switch (nd.last_type) {
	case LAST_DOTDOT:
		err = -ENOTEMPTY;
		goto out;
	case LAST_DOT:
		err = -EINVAL;
		goto out;
	case LAST_ROOT:
		err = -EBUSY;
		goto out;
	}
	dentry = lookup_for_delete(&nd);
	if (IS_ERR(dentry)) {
		err = PTR_ERR(dentry);
		goto out;
	}
	err = vfs_rmdir(d_inode(nd.path.dentry), dentry);
	dput(dentry);
	inode_unlock(d_inode(nd.path.dentry));
out:
	terminate_walk(&nd);
	return err;
}

int ksys_unlink(const char *pathname)
{
	struct nameidata nd;
	struct dentry *dentry;
	int err = path_parentat(&nd, pathname);

	if (err)
		return err;
	if (nd.last_type != LAST_NORM) {
		err = -EISDIR;
		goto out;
	}
	dentry = lookup_for_delete(&nd);
	if (IS_ERR(dentry)) {
		err = PTR_ERR(dentry);
		goto out;
	}
	if (has_trailing_slash(&nd))
		err = d_is_dir(dentry) ? -EISDIR : -ENOTDIR;
	else
		err = vfs_unlink(d_inode(nd.path.dentry), dentry);
	dput(dentry);
	inode_unlock(d_inode(nd.path.dentry));
out:
	terminate_walk(&nd);
	return err;
}

/* ---- rename ---- */

/* The child of @p1 on the way down to @p2, if @p1 is a proper ancestor
 * of @p2 (Linux's d_ancestor). Tree frozen by s_vfs_rename_mutex. */
static struct dentry *d_ancestor(struct dentry *p1, struct dentry *p2)
{
	struct dentry *p;

	spin_lock(&dcache_lock);
	for (p = p2; !IS_ROOT(p); p = p->d_parent) {
		if (p->d_parent == p1) {
			spin_unlock(&dcache_lock);
			return p;
		}
	}
	spin_unlock(&dcache_lock);
	return NULL;
}

/* Lock both parents of a rename; the "trap" (VFS4): the child of the
 * ancestor parent that leads to the other, or NULL. */
static struct dentry *lock_rename(struct dentry *p1, struct dentry *p2)
{
	struct dentry *p;

	if (p1 == p2) {
		inode_lock(d_inode(p1));
		return NULL;
	}
	mutex_lock(&p1->d_sb->s_vfs_rename_mutex);
	p = d_ancestor(p2, p1);
	if (p) {
		inode_lock(d_inode(p2));
		inode_lock(d_inode(p1));
		return p;
	}
	p = d_ancestor(p1, p2);
	inode_lock(d_inode(p1));
	inode_lock(d_inode(p2));
	return p;
}

static void unlock_rename(struct dentry *p1, struct dentry *p2)
{
	inode_unlock(d_inode(p1));
	if (p1 != p2) {
		inode_unlock(d_inode(p2));
		mutex_unlock(&p1->d_sb->s_vfs_rename_mutex);
	}
}

/* The checks of Linux's do_renameat2() between the lookups and the call. */
static int rename_checks(struct nameidata *old, struct nameidata *new,
			 struct dentry *old_dentry, struct dentry *new_dentry,
			 struct dentry *trap, unsigned int flags)
{
	if (d_really_is_negative(old_dentry))
		return -ENOENT;
	if ((flags & RENAME_NOREPLACE) && !d_really_is_negative(new_dentry))
		return -EEXIST;
	if (flags & RENAME_EXCHANGE) {
		if (d_really_is_negative(new_dentry))
			return -ENOENT;
		if (!d_is_dir(new_dentry) && has_trailing_slash(old))
			return -ENOTDIR;
	}
	if (!d_is_dir(old_dentry) &&
	    (has_trailing_slash(old) ||
	     (!(flags & RENAME_EXCHANGE) && has_trailing_slash(new))))
		return -ENOTDIR;
	if (old_dentry == trap)
		return -EINVAL; /* VFS4: into its own subtree */
	if (new_dentry == trap)
		return flags & RENAME_EXCHANGE ? -EINVAL : -ENOTEMPTY;
	return 0;
}

static int do_rename(struct nameidata *old, struct nameidata *new, unsigned int flags)
{
	struct dentry *old_dir = old->path.dentry, *new_dir = new->path.dentry;
	struct dentry *old_dentry, *new_dentry, *trap;
	int err;

	trap = lock_rename(new_dir, old_dir);
	old_dentry = lookup_hash_locked(&old->last, old_dir);
	err = PTR_ERR(old_dentry);
	if (IS_ERR(old_dentry))
		goto out_unlock;
	err = -ENOENT; /* Linux: a missing source before anything of the target */
	if (d_really_is_negative(old_dentry))
		goto out_old;
	new_dentry = lookup_hash_locked(&new->last, new_dir);
	err = PTR_ERR(new_dentry);
	if (IS_ERR(new_dentry))
		goto out_old;
	err = rename_checks(old, new, old_dentry, new_dentry, trap, flags);
	if (!err)
		err = vfs_rename(d_inode(old_dir), old_dentry, d_inode(new_dir),
				 new_dentry, flags);
	dput(new_dentry);
out_old:
	dput(old_dentry);
out_unlock:
	unlock_rename(new_dir, old_dir);
	return err;
}

int ksys_rename(const char *oldpath, const char *newpath, unsigned int flags)
{
	struct nameidata old, new;
	int err;

	if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) ||
	    ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)))
		return -EINVAL;
	err = path_parentat(&old, oldpath);
	if (err)
		return err;
	err = path_parentat(&new, newpath);
	if (err)
		goto out_old;
	err = -EXDEV;
	if (old.path.mnt != new.path.mnt)
		goto out;
	err = -EBUSY;
	if (old.last_type != LAST_NORM)
		goto out;
	if (new.last_type != LAST_NORM) {
		err = flags & RENAME_NOREPLACE ? -EEXIST : -EBUSY;
		goto out;
	}
	err = mnt_want_write(old.path.mnt);
	if (!err)
		err = do_rename(&old, &new, flags);
out:
	terminate_walk(&new);
out_old:
	terminate_walk(&old);
	return err;
}

/* ---- symlinks ---- */

ssize_t_k ksys_readlink(const char *pathname, char *buf, size_t size)
{
	struct delayed_call done = {0};
	struct inode *inode;
	struct path path;
	const char *body;
	ssize_t_k len;
	int err;

	if ((ssize_t_k)size <= 0)
		return -EINVAL;
	if (!buf)
		return -EFAULT;
	err = kern_path(pathname, 0, &path);
	if (err)
		return err;
	inode = d_inode(path.dentry);
	if (!S_ISLNK(inode->i_mode) || !inode->i_op->get_link) {
		path_put(&path);
		return -EINVAL;
	}
	body = inode->i_op->get_link(path.dentry, inode, &done);
	if (IS_ERR(body)) {
		len = PTR_ERR(body);
	} else {
		len = strnlen(body, PATH_MAX);
		if ((size_t)len > size)
			len = size;
		memcpy(buf, body, len); /* no NUL, as readlink(2) */
	}
	do_delayed_call(&done);
	path_put(&path);
	return len;
}

/* ---- open's lookup ---- */

/* The open-time checks on what the walk found (Linux's may_open). */
static int may_open(const struct path *path, int flags)
{
	struct inode *inode = d_inode(path->dentry);
	bool write = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);

	if (S_ISLNK(inode->i_mode))
		return -ELOOP; /* O_NOFOLLOW on a symlink */
	if ((flags & O_DIRECTORY) && !S_ISDIR(inode->i_mode))
		return -ENOTDIR;
	if (S_ISDIR(inode->i_mode) && (write || (flags & O_CREAT)))
		return -EISDIR;
	if (write && (S_ISREG(inode->i_mode) || S_ISDIR(inode->i_mode)))
		return mnt_want_write(path->mnt);
	return 0;
}

/* O_CREAT's last step: create the name if missing (a symlink at the end
 * is followed, unless O_EXCL or O_NOFOLLOW); 1 if a link body is to be
 * walked, 0 with nd->path on the file. @created says it is new. */
static int open_create(struct nameidata *nd, int flags, umode_t mode, bool *created)
{
	struct dentry *dir = nd->path.dentry, *dentry;
	struct path next;
	int err;

	if (nd->last_type != LAST_NORM || has_trailing_slash(nd))
		return -EISDIR;
	inode_lock(d_inode(dir));
	dentry = lookup_hash_locked(&nd->last, dir);
	if (IS_ERR(dentry)) {
		inode_unlock(d_inode(dir));
		return PTR_ERR(dentry);
	}
	if (d_really_is_negative(dentry)) {
		err = mnt_want_write(nd->path.mnt);
		if (!err)
			err = vfs_create(d_inode(dir), dentry, mode, flags & O_EXCL);
		inode_unlock(d_inode(dir));
		if (err) {
			dput(dentry);
			return err;
		}
		*created = true;
	} else {
		inode_unlock(d_inode(dir));
		if (flags & O_EXCL) {
			dput(dentry);
			return -EEXIST;
		}
		if (d_is_symlink(dentry) && !(flags & O_NOFOLLOW)) {
			err = pick_link(nd, dentry);
			dput(dentry);
			return err ? err : 1;
		}
	}
	next.mnt = mntget(nd->path.mnt);
	next.dentry = dentry;
	follow_mount(&next);
	path_put(&nd->path);
	nd->path = next;
	return 0;
}

struct file *do_filp_open(const char *pathname, int flags, umode_t mode)
{
	struct nameidata nd;
	bool created = false;
	struct path path;
	struct file *file;
	int err = getname_check(pathname);

	if (err)
		return ERR_PTR(err);
	nd_init(&nd, pathname, (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW);
	if (flags & O_DIRECTORY)
		nd.flags |= LOOKUP_DIRECTORY;
	err = link_path_walk(pathname, &nd);
	if (!(flags & O_CREAT)) {
		while (!err) {
			err = walk_component(&nd, nd.flags & LOOKUP_FOLLOW);
			if (err <= 0)
				break;
			err = link_path_walk(nd.link, &nd);
		}
		if (!err && (nd.flags & LOOKUP_DIRECTORY) && !d_is_dir(nd.path.dentry))
			err = -ENOTDIR;
	} else {
		while (!err && (err = open_create(&nd, flags, mode, &created)) > 0)
			err = link_path_walk(nd.link, &nd);
	}
	if (err) {
		terminate_walk(&nd);
		return ERR_PTR(err);
	}
	nd_take_path(&nd, &path);
	err = created ? 0 : may_open(&path, flags);
	if (err) {
		path_put(&path);
		return ERR_PTR(err);
	}
	file = dentry_open(&path, flags);
	if (!IS_ERR(file) && (flags & O_TRUNC) && !created &&
	    S_ISREG(d_inode(path.dentry)->i_mode)) {
		err = do_truncate(path.dentry, 0);
		if (err) {
			fput(file);
			file = ERR_PTR(err);
		}
	}
	path_put(&path);
	return file;
}
