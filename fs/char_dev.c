/*
 * fs/char_dev.c - the character devices null and zero as inodes (Linux's
 * drivers/char/mem.c, without a file system to hold them).
 *
 * Layer: fs. Used by: the `dd` command (if=zero, of=null), tests of
 * do_writepages()' third branch.
 * Provides: chrdev_open_by_name(), chrdev_inode().
 * Not here: device numbers as a lookup key (no mknod, no VFS yet), mmap,
 * other mem devices (full, random, mem).
 *
 * Each device is one inode (S_IFCHR, i_rdev 1:3 / 1:5 as Linux) on the
 * "chardev" super_block, whose s_bdi is noop_backing_dev_info (no
 * BDI_CAP_WRITEBACK) and whose mapping has empty_aops: no ->writepages,
 * no ->writepage, so do_writepages() on it returns 0 and writes nothing.
 * Reads and writes never touch the page cache: null reads EOF and
 * swallows writes, zero reads zeros and swallows writes. Neither has
 * ->fsync: fsync of them is -EINVAL, as on Linux.
 *
 * Invariants:
 *  CD1: the device inodes never have a page in their mapping put there by
 *      this file (nrpages stays 0 unless a test adds one itself).
 *  CD2: their read and write never change the file position.
 *
 * Locking: none of its own. The inodes are made once at boot (late
 * initcall) and never freed; their file operations keep no state.
 */
#include <quire/chrdev.h>
#include <quire/backing-dev.h>
#include <quire/init.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>

#define MEM_MAJOR 1 /* Linux's */

static ssize_t_k null_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	return 0;
}

/* Neither device moves *@pos (Linux's write_null and read_iter_zero leave
 * it; null_lseek pins it at 0): it means nothing to them, and adding
 * @count to a position near LLONG_MAX would wrap it negative (CD2). */
static ssize_t_k null_write(struct file *file, const void *buf, size_t count, loff_t *pos)
{
	return (ssize_t_k)count;
}

static ssize_t_k zero_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	memset(buf, 0, count);
	return (ssize_t_k)count;
}

static const struct file_operations null_fops = {
	.read = null_read,
	.write = null_write,
};

static const struct file_operations zero_fops = {
	.read = zero_read,
	.write = null_write,
};

static struct chrdev {
	const char *name;
	unsigned int minor;
	const struct file_operations *fops;
	struct inode *inode;
} chrdevs[] = {
	{"null", 3, &null_fops, NULL},
	{"zero", 5, &zero_fops, NULL},
};

static struct super_block chrdev_sb = {
	.s_id = "chardev",
	.s_bdi = &noop_backing_dev_info,
};

static struct chrdev *chrdev_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(chrdevs); i++)
		if (strcmp(chrdevs[i].name, name) == 0)
			return &chrdevs[i];
	return NULL;
}

struct inode *chrdev_inode(const char *name)
{
	struct chrdev *cd = chrdev_find(name);

	return cd ? cd->inode : NULL;
}

struct file *chrdev_open_by_name(const char *name, unsigned int flags)
{
	struct chrdev *cd = chrdev_find(name);

	if (!cd)
		return ERR_PTR(-ENODEV);
	if (!cd->inode)
		return ERR_PTR(-ENOMEM); /* chrdev_init() failed */
	return file_open_inode(cd->inode, flags);
}

static int chrdev_init(void)
{
	unsigned int i;

	spin_lock_init(&chrdev_sb.s_inode_list_lock);
	INIT_LIST_HEAD(&chrdev_sb.s_inodes);
	init_rwsem(&chrdev_sb.s_umount);
	for (i = 0; i < ARRAY_SIZE(chrdevs); i++) {
		struct inode *inode = new_inode(&chrdev_sb);

		if (!inode)
			return -ENOMEM;
		inode->i_mode = S_IFCHR;
		inode->i_rdev = MKDEV(MEM_MAJOR, chrdevs[i].minor);
		inode->i_fop = chrdevs[i].fops;
		/* i_data.a_ops stays empty_aops: nothing to write back. */
		chrdevs[i].inode = inode;
	}
	return 0;
}
late_initcall(chrdev_init);
