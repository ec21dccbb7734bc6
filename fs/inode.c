/*
 * fs/inode.c - the inode life cycle and open files on an inode: creation,
 * references, eviction (writeback waited for, pages truncated), and the
 * file-level fsync entry points (Linux's fs/inode.c, with the bits of
 * fs/open.c, fs/file_table.c and fs/sync.c the page cache needs).
 *
 * Layer: fs. Used by: block/bdev.c (a disk's bdev inode), fs/char_dev.c,
 * file systems, tests.
 * Provides: inode_init_once(), new_inode(), ihold(), iput(), clear_inode(),
 * empty_aops, file_open_inode(), dentry_open(), fput(), vfs_fsync(_range)(),
 * generic_file_fsync_nometa(), set_nlink() and friends, current_time_ns().
 * Not here: dirty-inode lists (fs/fs-writeback.c), path lookup
 * (fs/namei.c).
 *
 * Invariants:
 *  PC10: an inode on sb->s_inodes has i_count >= 1 or is being evicted
 *       (I_FREEING); an evicted inode has no pages (nrpages == 0), is on no
 *       writeback list and no sb list when it is freed.
 *
 * Locking: sb->s_inode_list_lock guards s_inodes and i_sb_list;
 * inode->i_lock guards i_state. Eviction runs with no lock held: it
 * sleeps for writeback (I_SYNC) and for folios.
 */
#include <quire/fs.h>
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <arch/time.h>

const struct address_space_operations empty_aops = {0};

/* Inode numbers for inodes whose file system gives none (Linux's
 * get_next_ino). */
static unsigned long last_ino;

void inode_init_once(struct inode *inode, struct super_block *sb)
{
	struct address_space *mapping = &inode->i_data;

	memset(inode, 0, sizeof(*inode));
	inode->i_sb = sb;
	inode->i_nlink = 1;
	init_rwsem(&inode->i_rwsem);
	spin_lock_init(&inode->i_lock);
	atomic_set(&inode->i_count, 1);
	INIT_LIST_HEAD(&inode->i_io_list);
	INIT_LIST_HEAD(&inode->i_sb_list);

	mapping->host = inode;
	xa_init(&mapping->i_pages);
	init_rwsem(&mapping->invalidate_lock);
	mapping->a_ops = &empty_aops;
	mapping->gfp_mask = GFP_KERNEL;
	mapping->wb_err = 0;
	inode->i_mapping = mapping;
	inode->i_atime_ns = inode->i_mtime_ns = inode->i_ctime_ns = current_time_ns();
}

s64 current_time_ns(void)
{
	return (s64)arch_clock_ns();
}

void inode_touch_mctime(struct inode *inode)
{
	s64 now = current_time_ns();

	WRITE_ONCE(inode->i_mtime_ns, now);
	WRITE_ONCE(inode->i_ctime_ns, now);
}

/* Link counts change under i_rwsem; stat reads them without it. */
void set_nlink(struct inode *inode, unsigned int nlink)
{
	WRITE_ONCE(inode->i_nlink, nlink);
}

void inc_nlink(struct inode *inode)
{
	WRITE_ONCE(inode->i_nlink, inode->i_nlink + 1);
}

void drop_nlink(struct inode *inode)
{
	if (WARN_ON_ONCE(inode->i_nlink == 0))
		return;
	WRITE_ONCE(inode->i_nlink, inode->i_nlink - 1);
}

void clear_nlink(struct inode *inode)
{
	WRITE_ONCE(inode->i_nlink, 0);
}

struct inode *new_inode(struct super_block *sb)
{
	struct inode *inode;

	if (sb && sb->s_op && sb->s_op->alloc_inode)
		inode = sb->s_op->alloc_inode(sb);
	else
		inode = kzalloc(sizeof(*inode), GFP_KERNEL);
	if (!inode)
		return NULL;
	inode_init_once(inode, sb);
	inode->i_ino = __atomic_add_fetch(&last_ino, 1, __ATOMIC_RELAXED);
	if (sb) {
		spin_lock(&sb->s_inode_list_lock);
		list_add(&inode->i_sb_list, &sb->s_inodes);
		spin_unlock(&sb->s_inode_list_lock);
	}
	return inode;
}

void ihold(struct inode *inode)
{
	WARN_ON_ONCE(atomic_inc_return(&inode->i_count) < 2);
}

static void inode_sb_list_del(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;

	if (!sb || list_empty(&inode->i_sb_list))
		return;
	spin_lock(&sb->s_inode_list_lock);
	list_del_init(&inode->i_sb_list);
	spin_unlock(&sb->s_inode_list_lock);
}

void clear_inode(struct inode *inode)
{
	truncate_inode_pages_final(&inode->i_data);
	WARN_ON_ONCE(inode->i_data.nrpages);
	inode_sb_list_del(inode);
	spin_lock(&inode->i_lock);
	inode->i_state |= I_FREEING | I_CLEAR;
	spin_unlock(&inode->i_lock);
}

static void destroy_inode(struct inode *inode)
{
	struct super_block *sb = inode->i_sb;

	xa_destroy(&inode->i_data.i_pages);
	if (sb && sb->s_op && sb->s_op->destroy_inode)
		sb->s_op->destroy_inode(inode);
	else
		kfree(inode);
}

/*
 * The last reference went: no writeback may be running on the inode when
 * its pages go, so take it off its wb's lists, wait for I_SYNC to clear,
 * then truncate everything (waiting for writeback of each folio) and free
 * it (Linux's evict()). Context: process, may sleep.
 */
static void evict(struct inode *inode)
{
	const struct super_operations *op = inode->i_sb ? inode->i_sb->s_op : NULL;

	spin_lock(&inode->i_lock);
	inode->i_state |= I_FREEING;
	spin_unlock(&inode->i_lock);
	inode_io_list_del(inode);
	inode_wait_for_writeback(inode);
	if (op && op->evict_inode)
		op->evict_inode(inode); /* must call clear_inode() */
	else
		clear_inode(inode);
	WARN_ON_ONCE(!(inode->i_state & I_CLEAR));
	inode_sb_list_del(inode);
	destroy_inode(inode);
}

void iput(struct inode *inode)
{
	if (!inode)
		return;
	/*
	 * Linux's atomic_dec_and_lock(): the last reference goes with i_lock
	 * held and I_FREEING is set before it is dropped. A walker of
	 * s_inodes that takes a reference under i_lock only when I_FREEING
	 * is clear (sync, qlfs's checkpoint: __iget()) then never revives an
	 * inode whose count already reached 0 (it would be evicted twice).
	 */
	for (int c = atomic_read(&inode->i_count); c > 1;)
		if (atomic_try_cmpxchg(&inode->i_count, &c, c - 1))
			return;
	spin_lock(&inode->i_lock);
	/* i_state under i_lock: the flusher changes it (I_SYNC) meanwhile */
	WARN_ON_ONCE(inode->i_state & I_CLEAR);
	if (!atomic_dec_and_test(&inode->i_count)) {
		spin_unlock(&inode->i_lock);
		return;
	}
	inode->i_state |= I_FREEING;
	spin_unlock(&inode->i_lock);
	evict(inode);
}

/* ---- open files ---- */

struct file *file_open_inode(struct inode *inode, unsigned int flags)
{
	struct file *file = kzalloc(sizeof(*file), GFP_KERNEL);
	int err;

	if (!file)
		return ERR_PTR(-ENOMEM);
	ihold(inode);
	file->f_inode = inode;
	file->f_mapping = inode->i_mapping;
	file->f_op = inode->i_fop;
	file->f_flags = flags;
	file->f_mode = (flags & O_ACCMODE) == O_RDONLY ? FMODE_READ :
		       (flags & O_ACCMODE) == O_WRONLY ? FMODE_WRITE :
							 FMODE_READ | FMODE_WRITE;
	mutex_init(&file->f_pos_lock);
	atomic_set(&file->f_count, 1);
	/* Errors nobody has seen yet are reported to this file too; errors
	 * already seen are not (errseq_sample, Linux's rule). */
	file->f_wb_err = errseq_sample(&file->f_mapping->wb_err);
	file_ra_state_init(&file->f_ra, file->f_mapping);
	if (file->f_op && file->f_op->open) {
		err = file->f_op->open(inode, file);
		if (err) {
			iput(inode);
			kfree(file);
			return ERR_PTR(err);
		}
	}
	return file;
}

void fput(struct file *file)
{
	struct inode *inode = file->f_inode;

	if (!atomic_dec_and_test(&file->f_count))
		return;
	if (file->f_op && file->f_op->release)
		file->f_op->release(inode, file);
	iput(inode);
	if (file->f_path.dentry)
		path_put(&file->f_path); /* may be the last: orphan freed */
	kfree(file);
}

struct file *dentry_open(const struct path *path, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	struct file *file;

	/* f_path is set after ->open: no ->open of ours looks at it. */
	file = file_open_inode(inode, flags);
	if (IS_ERR(file))
		return file;
	file->f_path = *path;
	path_get(path);
	return file;
}

int vfs_fsync_range(struct file *file, loff_t start, loff_t end, int datasync)
{
	if (!file->f_op || !file->f_op->fsync)
		return -EINVAL;
	return file->f_op->fsync(file, start, end, datasync);
}

int vfs_fsync(struct file *file, int datasync)
{
	return vfs_fsync_range(file, 0, LLONG_MAX, datasync);
}

int generic_file_fsync_nometa(struct file *file, loff_t start, loff_t end, int datasync)
{
	return file_write_and_wait_range(file, start, end);
}
