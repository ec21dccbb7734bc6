/*
 * include/quire/mount.h - mounts: a file system's tree attached at a
 * directory of another (Linux's <linux/mount.h> and fs/mount.h).
 *
 * Layer: fs (the VFS). Implemented by fs/namespace.c. Used by fs/namei.c,
 * fs/open.c, the shell's `mount`.
 *
 * One mount table for the whole system (Linux's initial mount namespace).
 * The root mount (ramfs, mounted at boot) is its own parent. Invariants
 * MNT1-MNT4 and the locking are in fs/namespace.c.
 */
#ifndef QUIRE_MOUNT_H
#define QUIRE_MOUNT_H

#include <quire/types.h>
#include <quire/list.h>
#include <quire/atomic.h>
#include <quire/fs.h>

#define MNT_READONLY 0x40 /* mnt_flags (Linux's value) */

struct vfsmount {
	struct dentry *mnt_root; /* root of the mounted tree */
	struct super_block *mnt_sb;
	int mnt_flags;	    /* MNT_READONLY */
	atomic_t mnt_count; /* references: the tree's (while mounted),
				  * each struct path, each open file, cwd */
	/* Under mount_lock: */
	struct vfsmount *mnt_parent;   /* the mount it sits on (self: root) */
	struct dentry *mnt_mountpoint; /* the dentry in mnt_parent */
	struct list_head mnt_list;     /* on the mount table, mount order */
	struct list_head mnt_mounts;   /* mounts on this one */
	struct list_head mnt_child;    /* on mnt_parent->mnt_mounts */
	bool mnt_attached;	       /* in the table (not yet unmounted) */
	char mnt_devname[64];	       /* the source as given, for `mount` */
};

struct vfsmount *mntget(struct vfsmount *mnt);
/* The last reference of an unmounted mount releases its tree and sb. */
void mntput(struct vfsmount *mnt);
/* The mount sitting on @path (referenced), or NULL. */
struct vfsmount *lookup_mnt(const struct path *path);
/* -EROFS if writes through @mnt are refused (MNT_READONLY, SB_RDONLY). */
int mnt_want_write(struct vfsmount *mnt);
/* Mount the root file system (ramfs) and make it everyone's root and
 * working directory; once, at boot. */
int init_mount_tree(void);
/* The root and working directory (Linux's fs_struct, one for all). */
void get_fs_root(struct path *root);
void get_fs_pwd(struct path *pwd);
void set_fs_pwd(const struct path *path);
void set_fs_root(const struct path *path);

/* Mount the root disk (root= on the command line) and make it the root
 * (fs/do_mounts.c); once, after the initcalls. */
void prepare_namespace(void);

/* Call @fn for each mount in mount order (the `mount` command): source,
 * where it is mounted (a path), fs type name, flags. Stops at non-zero. */
int iterate_mounts(int (*fn)(void *arg, const char *source, const char *path,
			     const char *fstype, int mnt_flags),
		   void *arg);
/* Number of mounts in the table (tests). */
int nr_mounts(void);

#endif
