/*
 * fs/ramfs/inode.c - ramfs: files that live only in the page cache and
 * names that live only in the dcache (Linux's fs/ramfs/inode.c). Mounted
 * at "/" at boot, as Linux's rootfs.
 *
 * Layer: fs (a file system). Used by: the VFS (init_mount_tree() mounts
 * it at "/"), `mount none /x ramfs`, the vfs tests.
 * Provides: the "ramfs" file_system_type.
 * Not here: size limits (Linux's ramfs has none either: it can fill
 * memory, and a write then fails with -ENOMEM), mknod (devtmpfs makes its
 * own device inodes).
 *
 * A file's pages are written through the page cache's buffered path
 * (generic_file_write() -> simple_write_begin/end) and marked dirty with
 * noop_dirty_folio: PG_dirty is set, so reclaim never drops them, but
 * nothing is accounted as dirty and the mapping has no ->writepage or
 * ->writepages: do_writepages() writes nothing and fsync is a no-op.
 * Pages never written (holes, or past a truncate up) read as zeros
 * (simple_read_folio).
 *
 * Invariants:
 *  RAMFS1: every positive dentry of a ramfs tree is pinned (DC6) and its
 *       inode's i_nlink counts its names (+1 per subdirectory and for "."
 *       on a directory); an inode with i_nlink 0 lives only while a file
 *       or dentry still references it (orphan), and its pages go with it.
 *  RAMFS2: a data page in a file's mapping is uptodate and, once written,
 *       PG_dirty until truncated.
 *
 * Locking: the VFS's (VFS2). i_link is set before the dentry is
 * instantiated and never changes.
 */
#include <quire/syscalls.h>
#include <quire/dcache.h>
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/init.h>

#define RAMFS_MAGIC 0x858458f6 /* Linux's */

static const struct super_operations ramfs_ops;
static const struct inode_operations ramfs_dir_inode_operations;

static const struct address_space_operations ramfs_aops = {
	.read_folio = simple_read_folio,
	.write_begin = simple_write_begin,
	.write_end = simple_write_end,
	.dirty_folio = noop_dirty_folio,
};

static const struct file_operations ramfs_file_operations = {
	.read = filemap_read,
	.write = generic_file_write,
	.llseek = generic_file_llseek,
	.fsync = noop_fsync,
};

/* stat's st_blocks: the pages it holds. */
static int ramfs_getattr(const struct path *path, struct kstat *stat)
{
	struct inode *inode = d_inode(path->dentry);

	generic_fillattr(inode, stat);
	stat->blocks = READ_ONCE(inode->i_data.nrpages) * (PAGE_SIZE / 512);
	return 0;
}

static const struct inode_operations ramfs_file_inode_operations = {
	.setattr = simple_setattr,
	.getattr = ramfs_getattr,
};

static const struct inode_operations ramfs_symlink_inode_operations = {
	.get_link = simple_get_link,
	.getattr = ramfs_getattr,
};

static struct inode *ramfs_get_inode(struct super_block *sb, umode_t mode)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_mode = mode;
	inode->i_mapping->a_ops = &ramfs_aops;
	switch (mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &ramfs_file_inode_operations;
		inode->i_fop = &ramfs_file_operations;
		break;
	case S_IFDIR:
		inode->i_op = &ramfs_dir_inode_operations;
		inode->i_fop = &simple_dir_operations;
		inc_nlink(inode); /* "." */
		break;
	case S_IFLNK:
		inode->i_op = &ramfs_symlink_inode_operations;
		break;
	}
	return inode;
}

/* A new inode under @dentry (negative, parent locked): RAMFS1. */
static int ramfs_mknod(struct inode *dir, struct dentry *dentry, umode_t mode,
		       const char *symname)
{
	struct inode *inode = ramfs_get_inode(dir->i_sb, mode);

	if (!inode)
		return -ENOSPC;
	if (symname) {
		size_t len = strlen(symname);
		char *link = kmalloc(len + 1, GFP_KERNEL);

		if (!link) {
			iput(inode);
			return -ENOMEM;
		}
		memcpy(link, symname, len + 1);
		inode->i_link = link;
		inode->i_size = len;
	}
	d_instantiate(dentry, inode);
	d_make_persistent(dentry);
	inode_touch_mctime(dir);
	return 0;
}

static int ramfs_create(struct inode *dir, struct dentry *dentry, umode_t mode, bool excl)
{
	return ramfs_mknod(dir, dentry, mode | S_IFREG, NULL);
}

static int ramfs_mkdir(struct inode *dir, struct dentry *dentry, umode_t mode)
{
	int err = ramfs_mknod(dir, dentry, mode | S_IFDIR, NULL);

	if (!err)
		inc_nlink(dir); /* its ".." */
	return err;
}

static int ramfs_symlink(struct inode *dir, struct dentry *dentry, const char *symname)
{
	return ramfs_mknod(dir, dentry, S_IFLNK | 0777, symname);
}

static const struct inode_operations ramfs_dir_inode_operations = {
	.create = ramfs_create,
	.lookup = simple_lookup,
	.link = simple_link,
	.unlink = simple_unlink,
	.symlink = ramfs_symlink,
	.mkdir = ramfs_mkdir,
	.rmdir = simple_rmdir,
	.rename = simple_rename,
};

static void ramfs_evict_inode(struct inode *inode)
{
	clear_inode(inode); /* RAMFS1: the pages go with it */
	kfree(inode->i_link);
	inode->i_link = NULL;
}

static const struct super_operations ramfs_ops = {
	.statfs = simple_statfs,
	.evict_inode = ramfs_evict_inode,
};

static int ramfs_fill_super(struct super_block *sb, void *data, int silent)
{
	struct inode *inode;

	sb->s_maxbytes = LLONG_MAX; /* Linux's MAX_LFS_FILESIZE */
	sb->s_blocksize = PAGE_SIZE;
	sb->s_magic = RAMFS_MAGIC;
	sb->s_op = &ramfs_ops;
	inode = ramfs_get_inode(sb, S_IFDIR | 0755);
	sb->s_root = d_make_root(inode);
	return sb->s_root ? 0 : -ENOMEM;
}

static struct dentry *ramfs_mount(struct file_system_type *fs_type, int flags,
				  const char *dev_name, void *data)
{
	return mount_nodev(fs_type, flags, data, ramfs_fill_super);
}

static struct file_system_type ramfs_fs_type = {
	.name = "ramfs",
	.mount = ramfs_mount,
	.kill_sb = kill_litter_super,
};

static int init_ramfs_fs(void)
{
	return register_filesystem(&ramfs_fs_type);
}
core_initcall(init_ramfs_fs);
