/*
 * fs/super.c - super_blocks: the list sync walks, and their birth and
 * death for mounts (Linux's fs/super.c).
 *
 * Layer: fs. Used by: ksys_sync() (fs/sync.c), fs/namespace.c (mount and
 * the last mntput), file systems' ->mount and ->kill_sb, whoever sets up a
 * super_block by hand (a disk's page cache).
 * Provides: register_super(), unregister_super(), iterate_supers(),
 * alloc_super(), mount_nodev(), generic_shutdown_super(),
 * kill_anon_super(), kill_litter_super(), deactivate_super(),
 * get_anon_dev(), mount_bdev(), kill_block_super().
 * Not here: sget() (each mount makes its own sb: nothing is shared; a
 * second mount of a disk is refused with -EBUSY instead of sharing its sb
 * as Linux's mount_bdev() would).
 *
 * Invariants:
 *  SB1: a mounted sb has s_root set and is on the super_blocks list; after
 *       generic_shutdown_super() it has no dentry and no inode left (the
 *       file system's own inodes go in its ->put_super, as in Linux).
 *  SB2: at most one sb on the list has a given s_bdev (mount_bdev()), and
 *       it holds a reference on that disk's bdev inode (s_bd_inode).
 *
 * Locking: super_blocks_lock (a mutex: the callbacks sleep) guards the list
 * and each sb->s_list; iterate_supers() holds it and each sb's s_umount
 * (read) around the callback.
 */
#include <quire/fs.h>
#include <quire/list.h>
#include <quire/mutex.h>
#include <quire/rwsem.h>
#include <quire/dcache.h>
#include <quire/backing-dev.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include <quire/printk.h>
#include <quire/blkdev.h>
#include "internal.h"

static LIST_HEAD(super_blocks);
static DEFINE_MUTEX(super_blocks_lock);

void register_super(struct super_block *sb)
{
	mutex_lock(&super_blocks_lock);
	list_add_tail(&sb->s_list, &super_blocks);
	mutex_unlock(&super_blocks_lock);
}

void unregister_super(struct super_block *sb)
{
	mutex_lock(&super_blocks_lock);
	list_del_init(&sb->s_list);
	mutex_unlock(&super_blocks_lock);
}

void iterate_supers(void (*f)(struct super_block *sb, void *arg), void *arg)
{
	struct super_block *sb;

	mutex_lock(&super_blocks_lock);
	list_for_each_entry(sb, &super_blocks, s_list) {
		down_read(&sb->s_umount);
		f(sb, arg);
		up_read(&sb->s_umount);
	}
	mutex_unlock(&super_blocks_lock);
}

/* ---- super_blocks for mounts ---- */

/* Anonymous device numbers (major 0, as Linux's get_anon_bdev()); never
 * reused, which is fine for a u32 minor space of 2^20 per boot. */
u32 get_anon_dev(void)
{
	static unsigned int next_anon = 1;

	return MKDEV(0, __atomic_fetch_add(&next_anon, 1, __ATOMIC_RELAXED));
}

struct super_block *alloc_super(struct file_system_type *type, int flags)
{
	struct super_block *sb = kzalloc(sizeof(*sb), GFP_KERNEL);

	if (!sb)
		return NULL;
	spin_lock_init(&sb->s_inode_list_lock);
	INIT_LIST_HEAD(&sb->s_inodes);
	init_rwsem(&sb->s_umount);
	mutex_init(&sb->s_vfs_rename_mutex);
	INIT_LIST_HEAD(&sb->s_list);
	strscpy_len(sb->s_id, type->name, sizeof(sb->s_id));
	sb->s_type = type;
	sb->s_flags = flags;
	sb->s_bdi = &noop_backing_dev_info;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_maxbytes = LLONG_MAX;
	sb->s_dev = get_anon_dev();
	register_super(sb);
	return sb;
}

struct dentry *mount_nodev(struct file_system_type *fs_type, int flags, void *data,
			   int (*fill_super)(struct super_block *sb, void *data,
					     int silent))
{
	struct super_block *sb = alloc_super(fs_type, flags & SB_RDONLY);
	int err;

	if (!sb)
		return ERR_PTR(-ENOMEM);
	err = fill_super(sb, data, 0);
	if (err) {
		deactivate_super(sb);
		return ERR_PTR(err);
	}
	return dget(sb->s_root);
}

void generic_shutdown_super(struct super_block *sb)
{
	const struct super_operations *sop = sb->s_op;

	down_write(&sb->s_umount);
	shrink_dcache_for_umount(sb);
	if (sop && sop->put_super)
		sop->put_super(sb);
	/* SB1: every inode went with its dentries (nobody else holds one),
	 * the file system's own ones in ->put_super (Linux checks after it). */
	spin_lock(&sb->s_inode_list_lock);
	if (!list_empty(&sb->s_inodes))
		pr_err("VFS: busy inodes on %s after unmount\n", sb->s_id);
	WARN_ON_ONCE(!list_empty(&sb->s_inodes));
	spin_unlock(&sb->s_inode_list_lock);
	up_write(&sb->s_umount);
	unregister_super(sb);
}

void kill_anon_super(struct super_block *sb)
{
	generic_shutdown_super(sb);
	kfree(sb);
}

void kill_litter_super(struct super_block *sb)
{
	/* The pinned dentries go in shrink_dcache_for_umount() (DC6). */
	kill_anon_super(sb);
}

void deactivate_super(struct super_block *sb)
{
	sb->s_type->kill_sb(sb);
}

/* ---- super_blocks on a disk ---- */

/* Serialises the "is it mounted already?" test with the sb's creation. */
static DEFINE_MUTEX(bdev_mount_mutex);

static bool bdev_mounted(struct block_device *bdev)
{
	struct super_block *sb;
	bool busy = false;

	mutex_lock(&super_blocks_lock);
	list_for_each_entry(sb, &super_blocks, s_list)
		if (sb->s_bd_inode &&
		    sb->s_bdev == bdev) /* the disk's own "bdev" sb aside */
			busy = true;
	mutex_unlock(&super_blocks_lock);
	return busy;
}

struct dentry *
mount_bdev(struct file_system_type *fs_type, int flags, const char *dev_name, void *data,
	   int (*fill_super)(struct super_block *sb, void *data, int silent))
{
	struct super_block *sb;
	struct gendisk *disk;
	struct inode *bd_inode;
	int err;

	if (!dev_name)
		return ERR_PTR(-EINVAL);
	if (!strncmp(dev_name, "/dev/", 5))
		dev_name += 5;
	disk = get_disk_by_name(dev_name);
	if (!disk)
		return ERR_PTR(-ENOENT);
	if (disk_is_dead(disk))
		return ERR_PTR(-ENXIO);
	if (!(flags & SB_RDONLY) && bdev_read_only(&disk->part0))
		return ERR_PTR(-EACCES);
	bd_inode = bdev_inode(disk);
	if (!bd_inode)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&bdev_mount_mutex);
	if (bdev_mounted(&disk->part0)) {
		mutex_unlock(&bdev_mount_mutex);
		return ERR_PTR(-EBUSY);
	}
	sb = alloc_super(fs_type, flags & SB_RDONLY);
	if (!sb) {
		mutex_unlock(&bdev_mount_mutex);
		return ERR_PTR(-ENOMEM);
	}
	ihold(bd_inode); /* SB2 */
	sb->s_bd_inode = bd_inode;
	sb->s_bdev = &disk->part0; /* on the list: SB2 holds from here */
	mutex_unlock(&bdev_mount_mutex);
	sb->s_dev = bd_inode->i_rdev;
	sb->s_bdi = bd_inode->i_sb->s_bdi;
	strscpy_len(sb->s_id, disk->disk_name, sizeof(sb->s_id));
	/* sync (iterate_supers) waits until the sb is whole, as in Linux */
	down_write(&sb->s_umount);
	err = fill_super(sb, data, 0);
	up_write(&sb->s_umount);
	if (err) {
		deactivate_super(sb);
		return ERR_PTR(err);
	}
	return dget(sb->s_root);
}

void kill_block_super(struct super_block *sb)
{
	struct inode *bd_inode = sb->s_bd_inode;

	generic_shutdown_super(sb);
	iput(bd_inode);
	kfree(sb);
}
