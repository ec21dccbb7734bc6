/*
 * fs/devtmpfs.c - /dev: a node for every disk, null, zero and console
 * (Linux's drivers/base/devtmpfs.c), mounted at boot.
 *
 * Layer: fs. Used by: the shell (`cat /dev/zero`, `hexdump /dev/vda`),
 * tests of do_writepages()' branches from a live system.
 * Provides: the file system type "devtmpfs", mounted on /dev at boot.
 * Provides: devtmpfs_delete_node() (include/quire/devtmpfs.h), for a
 * disk's deletion.
 * Not here: mknod, chmod, creating or removing names in /dev (only the
 * kernel makes and removes nodes: lookups of a name that is not a device
 * are ENOENT, a create is refused), partitions, one super_block shared by
 * every mount (Linux's; here each mount has its own, and a deletion
 * visits them all).
 *
 * Each node is an inode of this file system with Linux's device numbers:
 *  - a disk ("vda"): S_IFBLK with the bdev inode's i_rdev and
 *    block/bdev.c's def_blk_node_fops: as Linux's blkdev_open(), ->open
 *    finds the bdev inode by i_rdev, takes a reference the file holds
 *    until its release, and makes the disk's own page cache the file's
 *    f_mapping, so reads and writes through /dev/vda are the disk's
 *    buffered I/O and its dirty pages go back through ->writepage
 *    (do_writepages()' legacy branch); the node itself points to nothing
 *    of the disk;
 *  - null 1:3, zero 1:5: S_IFCHR with fs/char_dev.c's file operations,
 *    empty address_space_operations (do_writepages() does nothing);
 *  - console 5:1: S_IFCHR, reads what is typed, writes to the console.
 * Linux's devtmpfs gets a node from device_add(); here a disk that
 * appears after boot (a later probe) gets its node the next time /dev is
 * looked up in or listed (devtmpfs_refresh()), so `ls /dev` always shows
 * every registered disk. A disk's deletion (del_gendisk() ->
 * bdev_del_disk(), Linux's device_del()) removes its node from every
 * mounted devtmpfs (devtmpfs_delete_node(), an unlink: a file open on the
 * node keeps working on its own reference, with -ENXIO for its I/O).
 *
 * Invariants:
 *  DEV1: one node per name; a disk's node holds only the disk's device
 *      number (i_rdev): no pointer to the bdev inode, whose lifetime is
 *      the disk's and its open files' (block/bdev.c, BD4).
 *  DEV2: every node is pinned in the dcache (d_make_persistent) and goes
 *      with the super_block (kill_litter_super at umount), or, for a disk,
 *      at its deletion (devtmpfs_delete_node()).
 *  DEV3: a node is made only for a registered disk, under devtmpfs_mutex,
 *      and devtmpfs_delete_node() runs after the disk left the disk list
 *      and takes devtmpfs_mutex: no node of a deleted disk stays in /dev.
 *
 * Locking: devtmpfs_mutex serialises the making and removal of nodes (a
 * lookup holds the directory's i_rwsem exclusively but readdir only
 * shared); it nests inside the directory's i_rwsem and takes dcache,
 * inode, disk list and bdev_mutex locks inside. devtmpfs_supers_lock
 * guards the list of mounted super_blocks and is outermost: a deletion
 * holds it across its visit of each sb (root's i_rwsem, then
 * devtmpfs_mutex), so an umount waits for it.
 */
#include <quire/fs.h>
#include <quire/dcache.h>
#include <quire/syscalls.h>
#include <quire/blkdev.h>
#include <quire/chrdev.h>
#include <quire/console.h>
#include <quire/init.h>
#include <quire/mutex.h>
#include <quire/slab.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/devtmpfs.h>
#include <quire/bug.h>

#define DEVTMPFS_MAGIC	   0x1994 /* Linux's TMPFS_MAGIC is 0x01021994 */
#define TTYAUX_MAJOR	   5	  /* Linux's: /dev/console is 5:1 */
#define DEVTMPFS_MAX_DISKS 64	  /* disks one refresh looks at */

static DEFINE_MUTEX(devtmpfs_mutex);
static DEFINE_MUTEX(devtmpfs_supers_lock);
static LIST_HEAD(devtmpfs_supers); /* struct devtmpfs_sb_info, per mount */

struct devtmpfs_sb_info {
	struct list_head list; /* on devtmpfs_supers (devtmpfs_supers_lock) */
	struct super_block *sb;
};

/* ---- console ---- */

/* Block for one byte typed, then take what else is waiting. */
static ssize_t_k console_dev_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	char *p = buf;
	size_t n = 0;

	if (!count)
		return 0;
	do {
		p[n++] = (char)console_getc();
	} while (n < count && p[n - 1] != '\n' && console_input_pending());
	return (ssize_t_k)n;
}

static ssize_t_k console_dev_write(struct file *file, const void *buf, size_t count,
				   loff_t *pos)
{
	console_write(buf, count);
	return (ssize_t_k)count;
}

static const struct file_operations console_dev_fops = {
	.read = console_dev_read,
	.write = console_dev_write,
};

/* ---- nodes ---- */

/* What a node is made of. */
struct dev_node {
	umode_t mode;
	u32 rdev;
	const struct file_operations *fops;
};

/* Is @name a device, and which? -ENOENT if not (or not up yet). Caller
 * holds devtmpfs_mutex (DEV3). */
static int devtmpfs_describe(const char *name, struct dev_node *n)
{
	struct gendisk *disk;
	struct inode *cd, *bdev;

	WARN_ON_ONCE(!mutex_is_locked(&devtmpfs_mutex));
	memset(n, 0, sizeof(*n));
	if (!strcmp(name, "console")) {
		n->mode = S_IFCHR | 0600;
		n->rdev = MKDEV(TTYAUX_MAJOR, 1);
		n->fops = &console_dev_fops;
		return 0;
	}
	cd = chrdev_inode(name); /* null, zero */
	if (cd) {
		n->mode = S_IFCHR | 0666;
		n->rdev = cd->i_rdev;
		n->fops = cd->i_fop;
		return 0;
	}
	disk = get_disk_by_name(name);
	if (!disk)
		return -ENOENT;
	bdev = bdev_inode(disk); /* NULL: no memory, or deleted meanwhile */
	put_disk(disk);
	if (!bdev)
		return -ENOENT;
	n->mode = S_IFBLK | 0660;
	n->rdev = bdev->i_rdev; /* DEV1: the number only */
	n->fops = &def_blk_node_fops;
	return 0;
}

/* Attach a new inode for @n to negative @dentry and pin it (DEV2). */
static int devtmpfs_instantiate(struct super_block *sb, struct dentry *dentry,
				const struct dev_node *n)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return -ENOMEM;
	inode->i_mode = n->mode;
	inode->i_rdev = n->rdev;
	inode->i_fop = n->fops;
	d_add(dentry, inode);
	d_make_persistent(dentry);
	return 0;
}

/* Make node @name unless it exists. Caller holds devtmpfs_mutex and the
 * root's i_rwsem (shared at least). */
static int devtmpfs_make_node(struct super_block *sb, const char *name)
{
	struct qstr q = QSTR_INIT(name, strlen(name));
	struct dentry *dentry = d_lookup(sb->s_root, &q);
	struct dev_node n;
	int err;

	if (dentry) { /* DEV1 */
		dput(dentry);
		return 0;
	}
	err = devtmpfs_describe(name, &n);
	if (err)
		return err;
	dentry = d_alloc(sb->s_root, &q);
	if (!dentry)
		return -ENOMEM;
	err = devtmpfs_instantiate(sb, dentry, &n);
	dput(dentry);
	return err;
}

struct disk_names {
	char name[DEVTMPFS_MAX_DISKS][DISK_NAME_LEN];
	unsigned int n;
};

/* Under disk_iterate()'s spinlock: only copy the name. */
static int devtmpfs_collect_disk(struct gendisk *disk, void *arg)
{
	struct disk_names *d = arg;

	if (d->n == DEVTMPFS_MAX_DISKS)
		return -ENOSPC;
	strscpy_len(d->name[d->n++], disk->disk_name, DISK_NAME_LEN);
	return 0;
}

/* Give every device a node it does not have yet. */
static void devtmpfs_refresh(struct super_block *sb)
{
	struct disk_names *d = kzalloc(sizeof(*d), GFP_KERNEL);

	mutex_lock(&devtmpfs_mutex);
	devtmpfs_make_node(sb, "null");
	devtmpfs_make_node(sb, "zero");
	devtmpfs_make_node(sb, "console");
	if (d) {
		disk_iterate(devtmpfs_collect_disk, d);
		for (unsigned int i = 0; i < d->n; i++)
			devtmpfs_make_node(sb, d->name[i]);
	}
	mutex_unlock(&devtmpfs_mutex);
	kfree(d);
}

/* ---- the directory ---- */

/* The VFS found no dentry for the name: a device that came since the
 * last refresh gets its node on this very dentry; anything else is a
 * negative dentry (ENOENT). Called with the root's i_rwsem exclusive. */
static struct dentry *devtmpfs_lookup(struct inode *dir, struct dentry *dentry,
				      unsigned int flags)
{
	struct dev_node n;
	int err = -ENOENT;

	if (dentry->d_name.len > NAME_MAX)
		return simple_lookup(dir, dentry, flags);
	mutex_lock(&devtmpfs_mutex);
	if (!devtmpfs_describe(dentry->d_name.name, &n)) /* DEV3 */
		err = devtmpfs_instantiate(dir->i_sb, dentry, &n);
	mutex_unlock(&devtmpfs_mutex);
	if (err == -ENOENT)
		return simple_lookup(dir, dentry, flags);
	return err ? ERR_PTR(err) : NULL;
}

/* Unlink node @name of @sb if it is device @dev. */
static void devtmpfs_delete_one(struct super_block *sb, const char *name, u32 dev)
{
	struct qstr q = QSTR_INIT(name, strlen(name));
	struct inode *dir = d_inode(sb->s_root);
	struct dentry *dentry;

	inode_lock(dir);
	mutex_lock(&devtmpfs_mutex);
	dentry = d_lookup(sb->s_root, &q);
	if (dentry && d_inode(dentry) && S_ISBLK(d_inode(dentry)->i_mode) &&
	    d_inode(dentry)->i_rdev == dev) {
		simple_unlink(dir, dentry); /* DEV2: unpinned */
		d_delete(dentry);
	}
	mutex_unlock(&devtmpfs_mutex);
	inode_unlock(dir);
	dput(dentry);
}

void devtmpfs_delete_node(const char *name, u32 dev)
{
	struct devtmpfs_sb_info *info;

	mutex_lock(&devtmpfs_supers_lock);
	list_for_each_entry(info, &devtmpfs_supers, list)
		devtmpfs_delete_one(info->sb, name, dev);
	mutex_unlock(&devtmpfs_supers_lock);
}

static int devtmpfs_iterate(struct file *file, struct dir_context *ctx)
{
	devtmpfs_refresh(file_inode(file)->i_sb);
	return simple_dir_operations.iterate_shared(file, ctx);
}

static const struct inode_operations devtmpfs_dir_iops = {
	.lookup = devtmpfs_lookup,
};

static struct file_operations devtmpfs_dir_fops;

static const struct super_operations devtmpfs_sops = {
	.statfs = simple_statfs,
};

static int devtmpfs_fill_super(struct super_block *sb, void *data, int silent)
{
	struct devtmpfs_sb_info *info = kzalloc(sizeof(*info), GFP_KERNEL);
	struct inode *root;

	if (!info)
		return -ENOMEM;
	info->sb = sb;
	INIT_LIST_HEAD(&info->list);
	sb->s_fs_info = info;
	root = new_inode(sb);
	if (!root)
		return -ENOMEM;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_magic = DEVTMPFS_MAGIC;
	sb->s_op = &devtmpfs_sops;
	root->i_mode = S_IFDIR | 0755;
	root->i_op = &devtmpfs_dir_iops;
	root->i_fop = &devtmpfs_dir_fops;
	inc_nlink(root); /* "." */
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;
	devtmpfs_refresh(sb); /* now, so no test meets a first allocation */
	mutex_lock(&devtmpfs_supers_lock);
	list_add_tail(&info->list, &devtmpfs_supers);
	mutex_unlock(&devtmpfs_supers_lock);
	return 0;
}

/* A deletion visiting this sb finishes first (devtmpfs_supers_lock). */
static void devtmpfs_kill_sb(struct super_block *sb)
{
	struct devtmpfs_sb_info *info = sb->s_fs_info;

	if (info) {
		mutex_lock(&devtmpfs_supers_lock);
		list_del_init(&info->list);
		mutex_unlock(&devtmpfs_supers_lock);
		kfree(info);
	}
	kill_litter_super(sb);
}

static struct dentry *devtmpfs_mount(struct file_system_type *fs_type, int flags,
				     const char *dev_name, void *data)
{
	return mount_nodev(fs_type, flags, data, devtmpfs_fill_super);
}

static struct file_system_type devtmpfs_fs_type = {
	.name = "devtmpfs",
	.mount = devtmpfs_mount,
	.kill_sb = devtmpfs_kill_sb,
};

/* Late: after fs/char_dev.c and block/bdev.c made their inodes (link
 * order within a level), and after the root file system made /dev. */
static int devtmpfs_init(void)
{
	int err;

	devtmpfs_dir_fops = simple_dir_operations;
	devtmpfs_dir_fops.iterate_shared = devtmpfs_iterate;
	err = register_filesystem(&devtmpfs_fs_type);
	if (err)
		return err;
	err = ksys_mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	if (err)
		pr_err("devtmpfs: cannot mount on /dev: %s\n", errname(err));
	else
		pr_info("devtmpfs: mounted on /dev\n");
	return err;
}
late_initcall(devtmpfs_init);
