/*
 * fs/namespace.c - the mount table: mount, umount, crossing mount points,
 * the root and working directory, paths of dentries (Linux's
 * fs/namespace.c, fs/fs_struct.c and fs/d_path.c, one namespace).
 *
 * Layer: fs (the VFS). Used by: fs/namei.c (lookup_mnt() at each mount
 * point, mnt_want_write()), fs/open.c (ksys_getcwd, ksys_chdir), the
 * shell's `mount`/`umount` (V2), boot (init_mount_tree()).
 * Provides: ksys_mount(), ksys_umount(), lookup_mnt(), mntget(), mntput(),
 * mnt_want_write(), d_mountpoint(), d_path(), init_mount_tree(),
 * get_fs_root(), get_fs_pwd(), set_fs_pwd(), iterate_mounts().
 * Not here: bind mounts, remount, propagation, namespaces, pivot_root;
 * mounts are found by a list walk, not a hash (there are few).
 *
 * Invariants:
 *  MNT1: a mount in the table (mnt_attached) holds one reference on
 *        itself (the tree's), one on mnt_parent and one on the dentry
 *        mnt_mountpoint, whose d_mounted counts the mounts on it.
 *  MNT2: no two attached mounts share (mnt_parent, mnt_mountpoint): a
 *        mount on a mount point goes on top of the root of what is
 *        mounted there (ksys_mount follows down first).
 *  MNT3: umount without MNT_DETACH happens only when the mount's count is
 *        the tree's plus the caller's (no open file, working directory,
 *        path in use, or child mount: each holds one).
 *  MNT4: the last mntput() of a detached mount drops its root dentry and
 *        deactivates its sb (->kill_sb).
 *
 * Locking: namespace_sem (a mutex) serialises mount and umount; mount_lock
 * (a spinlock, before dcache_lock) guards the table, mnt_parent,
 * mnt_mountpoint, mnt_mounts/mnt_child, mnt_attached and d_mounted;
 * fs_lock guards the root and working directory. mnt_count is atomic.
 */
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/mutex.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include <quire/init.h>
#include <quire/printk.h>
#include "internal.h"

DEFINE_SPINLOCK(mount_lock);
static DEFINE_MUTEX(namespace_sem);
static LIST_HEAD(mount_table);
static DEFINE_SPINLOCK(fs_lock);
static struct path fs_root, fs_pwd; /* under fs_lock */

struct vfsmount *mntget(struct vfsmount *mnt)
{
	if (mnt)
		atomic_inc(&mnt->mnt_count);
	return mnt;
}

/* MNT4. Context: process, may sleep. */
static void cleanup_mnt(struct vfsmount *mnt)
{
	struct super_block *sb = mnt->mnt_sb;

	WARN_ON_ONCE(mnt->mnt_attached);
	dput(mnt->mnt_root);
	deactivate_super(sb);
	kfree(mnt);
}

void mntput(struct vfsmount *mnt)
{
	if (mnt && atomic_dec_and_test(&mnt->mnt_count))
		cleanup_mnt(mnt);
}

bool d_mountpoint(struct dentry *dentry)
{
	return __atomic_load_n(&dentry->d_mounted, __ATOMIC_RELAXED) != 0;
}

struct vfsmount *lookup_mnt(const struct path *path)
{
	struct vfsmount *m, *found = NULL;

	if (!d_mountpoint(path->dentry))
		return NULL;
	spin_lock(&mount_lock);
	list_for_each_entry(m, &mount_table, mnt_list) {
		if (m->mnt_parent == path->mnt && m->mnt_mountpoint == path->dentry &&
		    m->mnt_parent != m) {
			found = mntget(m); /* MNT2: the only one */
			break;
		}
	}
	spin_unlock(&mount_lock);
	return found;
}

int mnt_want_write(struct vfsmount *mnt)
{
	/* s_flags: a file system may turn itself read-only at any time */
	if ((mnt->mnt_flags & MNT_READONLY) ||
	    (READ_ONCE(mnt->mnt_sb->s_flags) & SB_RDONLY))
		return -EROFS;
	return 0;
}

int nr_mounts(void)
{
	struct vfsmount *m;
	int n = 0;

	spin_lock(&mount_lock);
	list_for_each_entry(m, &mount_table, mnt_list)
		n++;
	spin_unlock(&mount_lock);
	return n;
}

/* ---- the root and working directory (fs_struct) ---- */

void get_fs_root(struct path *root)
{
	spin_lock(&fs_lock);
	*root = fs_root;
	path_get(root);
	spin_unlock(&fs_lock);
}

void get_fs_pwd(struct path *pwd)
{
	spin_lock(&fs_lock);
	*pwd = fs_pwd;
	path_get(pwd);
	spin_unlock(&fs_lock);
}

void set_fs_pwd(const struct path *path)
{
	struct path old;

	path_get(path);
	spin_lock(&fs_lock);
	old = fs_pwd;
	fs_pwd = *path;
	spin_unlock(&fs_lock);
	path_put(&old);
}

/* Linux's set_fs_root() (fs/fs_struct.c): everyone's root becomes @path
 * (prepare_namespace() after it mounted the root file system). */
void set_fs_root(const struct path *path)
{
	struct path old;

	path_get(path);
	spin_lock(&fs_lock);
	old = fs_root;
	fs_root = *path;
	spin_unlock(&fs_lock);
	path_put(&old);
}

/* ---- d_path ---- */

static bool prepend(char **p, char *buf, const char *s, int len)
{
	if (*p - buf < len)
		return false;
	*p -= len;
	memcpy(*p, s, len);
	return true;
}

char *d_path(const struct path *path, const struct path *root, char *buf, int buflen)
{
	struct vfsmount *mnt = path->mnt;
	struct dentry *d = path->dentry;
	char *end = buf + buflen, *p = end;
	char *res = p;

	if (buflen < 2)
		return ERR_PTR(-ENAMETOOLONG);
	*--p = '\0';
	spin_lock(&mount_lock);
	spin_lock(&dcache_lock);
	if (!(d->d_flags & DCACHE_HASHED) && !IS_ROOT(d)) {
		res = ERR_PTR(-ENOENT);
		goto out;
	}
	while (d != root->dentry || mnt != root->mnt) {
		if (d == mnt->mnt_root || IS_ROOT(d)) {
			/* The top of this mount: continue in its parent. */
			if (mnt->mnt_parent == mnt || !mnt->mnt_attached)
				break;
			d = mnt->mnt_mountpoint;
			mnt = mnt->mnt_parent;
			continue;
		}
		if (!prepend(&p, buf, d->d_name.name, d->d_name.len) ||
		    !prepend(&p, buf, "/", 1)) {
			res = ERR_PTR(-ENAMETOOLONG);
			goto out;
		}
		d = d->d_parent;
	}
	if (p == end - 1 && !prepend(&p, buf, "/", 1))
		res = ERR_PTR(-ENAMETOOLONG);
	else
		res = p;
out:
	spin_unlock(&dcache_lock);
	spin_unlock(&mount_lock);
	return res;
}

/* ---- mount ---- */

static struct vfsmount *alloc_vfsmnt(const char *name)
{
	struct vfsmount *mnt = kzalloc(sizeof(*mnt), GFP_KERNEL);

	if (!mnt)
		return NULL;
	atomic_set(&mnt->mnt_count, 1); /* MNT1: the tree's */
	INIT_LIST_HEAD(&mnt->mnt_list);
	INIT_LIST_HEAD(&mnt->mnt_mounts);
	INIT_LIST_HEAD(&mnt->mnt_child);
	mnt->mnt_parent = mnt;
	strscpy_len(mnt->mnt_devname, name ? name : "none", sizeof(mnt->mnt_devname));
	return mnt;
}

static struct vfsmount *vfs_kern_mount(struct file_system_type *type, int flags,
				       const char *name, void *data)
{
	struct vfsmount *mnt = alloc_vfsmnt(name);
	struct dentry *root;

	if (!mnt)
		return ERR_PTR(-ENOMEM);
	root = type->mount(type, flags, name, data);
	if (IS_ERR(root)) {
		kfree(mnt);
		return ERR_PTR(PTR_ERR(root));
	}
	mnt->mnt_root = root;
	mnt->mnt_sb = root->d_sb;
	if (flags & MS_RDONLY)
		mnt->mnt_flags |= MNT_READONLY;
	return mnt;
}

/* MNT1: put @mnt on @mp; takes references on mp's mount and dentry. */
static void attach_mnt(struct vfsmount *mnt, const struct path *mp)
{
	mntget(mp->mnt);
	dget(mp->dentry);
	spin_lock(&mount_lock);
	mnt->mnt_parent = mp->mnt;
	mnt->mnt_mountpoint = mp->dentry;
	__atomic_add_fetch(&mp->dentry->d_mounted, 1, __ATOMIC_RELAXED);
	list_add_tail(&mnt->mnt_child, &mp->mnt->mnt_mounts);
	list_add_tail(&mnt->mnt_list, &mount_table);
	mnt->mnt_attached = true;
	spin_unlock(&mount_lock);
}

/* Follow @path down to the top of the mounts stacked on it (MNT2). */
static void follow_down_all(struct path *path)
{
	struct vfsmount *m;

	while ((m = lookup_mnt(path))) {
		struct dentry *root = dget(m->mnt_root);

		path_put(path);
		path->mnt = m;
		path->dentry = root;
	}
}

static int do_new_mount(struct path *mp, const char *source, const char *fstype,
			unsigned long flags, const void *data)
{
	struct file_system_type *type = get_fs_type(fstype);
	struct vfsmount *mnt;
	int err = 0;

	if (!type)
		return -ENODEV;
	if ((type->fs_flags & FS_REQUIRES_DEV) && (!source || !*source))
		return -EINVAL;
	mnt = vfs_kern_mount(type, flags, source, (void *)data);
	if (IS_ERR(mnt))
		return PTR_ERR(mnt);
	mutex_lock(&namespace_sem);
	follow_down_all(mp);
	if (d_unlinked(mp->dentry) || !d_is_dir(mp->dentry))
		err = -ENOENT; /* removed while we were mounting */
	else
		attach_mnt(mnt, mp);
	mutex_unlock(&namespace_sem);
	if (err)
		mntput(mnt);
	return err;
}

int ksys_mount(const char *source, const char *target, const char *fstype,
	       unsigned long flags, const void *data)
{
	struct path mp;
	int err;

	if (!target || !fstype)
		return -EINVAL;
	if (flags & ~(unsigned long)(MS_RDONLY | MS_SILENT))
		return -EINVAL; /* remount, bind, move: not in Quire */
	err = kern_path(target, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &mp);
	if (err)
		return err;
	err = do_new_mount(&mp, source, fstype, flags, data);
	path_put(&mp);
	return err;
}

/* ---- umount ---- */

static void umount_one(struct vfsmount *mnt)
{
	lockdep_assert_held(&mount_lock);
	list_del_init(&mnt->mnt_list);
	list_del_init(&mnt->mnt_child);
	__atomic_sub_fetch(&mnt->mnt_mountpoint->d_mounted, 1, __ATOMIC_RELAXED);
	mnt->mnt_attached = false;
}

/* Detach @mnt and its descendants, deepest first; returns how many were
 * put in @out (at most @max; the rest wait for the next call). The
 * references MNT1 held are dropped by the caller, unlocked
 * (put_detached()). */
static int umount_tree(struct vfsmount *mnt, struct vfsmount **out, int max)
{
	int n = 0;

	spin_lock(&mount_lock);
	while (n < max && mnt->mnt_attached) {
		struct vfsmount *m = mnt;

		while (!list_empty(&m->mnt_mounts))
			m = list_first_entry(&m->mnt_mounts, struct vfsmount, mnt_child);
		umount_one(m);
		out[n++] = m;
	}
	spin_unlock(&mount_lock);
	return n;
}

static void put_detached(struct vfsmount *m)
{
	struct vfsmount *parent = m->mnt_parent;
	struct dentry *mp = m->mnt_mountpoint;

	m->mnt_parent = m;
	m->mnt_mountpoint = NULL;
	dput(mp);
	mntput(parent);
	mntput(m); /* the tree's reference (MNT1) */
}

static int do_umount(struct vfsmount *mnt, int flags)
{
	struct vfsmount *batch[16];
	int err = 0, n;

	mutex_lock(&namespace_sem);
	spin_lock(&mount_lock);
	if (!mnt->mnt_attached || mnt->mnt_parent == mnt)
		err = mnt->mnt_parent == mnt ? -EBUSY : -EINVAL;
	else if (!(flags & MNT_DETACH) && atomic_read(&mnt->mnt_count) > 2)
		err = -EBUSY; /* MNT3: the tree's + ours */
	spin_unlock(&mount_lock);
	if (!err) {
		do {
			n = umount_tree(mnt, batch, ARRAY_SIZE(batch));
			for (int i = 0; i < n; i++)
				put_detached(batch[i]);
		} while (n);
	}
	mutex_unlock(&namespace_sem);
	return err;
}

int ksys_umount(const char *target, int flags)
{
	struct path path;
	int err;

	if (!target || (flags & ~(MNT_FORCE | MNT_DETACH)))
		return -EINVAL;
	err = kern_path(target, LOOKUP_FOLLOW, &path);
	if (err)
		return err;
	if (path.dentry != path.mnt->mnt_root)
		err = -EINVAL; /* not a mount point */
	else
		err = do_umount(path.mnt, flags);
	path_put(&path);
	return err;
}

/* Linux's is_path_reachable(): is the mount @m inside the tree of @root?
 * (Mounts left outside after prepare_namespace() changed the root, the
 * boot ramfs among them, are not listed.) Under namespace_sem. */
static bool mnt_is_reachable(struct vfsmount *m, const struct path *root)
{
	struct dentry *d = m->mnt_root;

	while (m != root->mnt) {
		if (m->mnt_parent == m || !m->mnt_attached)
			return false;
		d = m->mnt_mountpoint;
		m = m->mnt_parent;
	}
	return is_subdir(d, root->dentry);
}

int iterate_mounts(int (*fn)(void *arg, const char *source, const char *path,
			     const char *fstype, int mnt_flags),
		   void *arg)
{
	char *buf = kmalloc(PATH_MAX, GFP_KERNEL);
	struct vfsmount *m;
	struct path root;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	get_fs_root(&root);
	mutex_lock(&namespace_sem); /* the table stays as it is */
	list_for_each_entry(m, &mount_table, mnt_list) {
		struct path at = {.mnt = m, .dentry = m->mnt_root};
		char *p;

		if (!mnt_is_reachable(m, &root))
			continue;
		p = d_path(&at, &root, buf, PATH_MAX);

		err = fn(arg, m->mnt_devname, IS_ERR(p) ? "?" : p,
			 m->mnt_sb->s_type->name, m->mnt_flags);
		if (err)
			break;
	}
	mutex_unlock(&namespace_sem);
	path_put(&root);
	kfree(buf);
	return err;
}

/* ---- the root ---- */

int init_mount_tree(void)
{
	struct file_system_type *type = get_fs_type("ramfs");
	struct vfsmount *mnt;
	struct path root;

	dcache_init();
	if (!type)
		return -ENODEV;
	mnt = vfs_kern_mount(type, 0, "rootfs", NULL);
	if (IS_ERR(mnt))
		return PTR_ERR(mnt);
	spin_lock(&mount_lock);
	list_add_tail(&mnt->mnt_list, &mount_table);
	mnt->mnt_attached = true; /* its own parent: the root of the tree */
	spin_unlock(&mount_lock);
	root.mnt = mnt;
	root.dentry = mnt->mnt_root;
	path_get(&root);
	path_get(&root);
	spin_lock(&fs_lock);
	fs_root = root;
	fs_pwd = root;
	spin_unlock(&fs_lock);
	return 0;
}

/* Linux's init_mount_tree() + the directories devtmpfs and mounts need. */
static int vfs_init(void)
{
	int err = init_mount_tree();

	if (!err)
		err = ksys_mkdir("/dev", 0755);
	if (!err)
		err = ksys_mkdir("/mnt", 0755);
	if (err)
		pr_err("VFS: cannot set up the root file system: %d\n", err);
	else
		pr_info("VFS: mounted ramfs on /\n");
	return err;
}
subsys_initcall(vfs_init);
