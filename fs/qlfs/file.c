/*
 * fs/qlfs/file.c - qlfs regular files: file_operations, truncate, lseek
 * with SEEK_DATA/SEEK_HOLE, fsync (Linux's fs/f2fs/file.c).
 *
 * Layer: fs (qlfs, the namespace/data half). Used by: the VFS (read,
 * write, lseek, fsync, truncate, stat of a qlfs file).
 * Provides: qlfs_file_operations, qlfs_file_inode_operations,
 * qlfs_setattr(), qlfs_getattr(), qlfs_fsync().
 *
 * fsync (F2FS's f2fs_do_sync_file()): the range's data pages are written
 * (WB_SYNC_ALL) and waited for; then, if roll-forward could not recover
 * the inode (need_checkpoint(): a directory, other links, renamed or
 * linked since the last checkpoint, or new with a parent the checkpoint
 * does not hold), a checkpoint is written, which flushes the disk's cache
 * before its footer; otherwise its node blocks go to the warm node log
 * with the FSYNC mark, and the DENTRY mark when the file is new since the
 * checkpoint (qlfs_fsync_node_pages(); recovery.c makes its inode and
 * entry again), and the disk's cache is flushed (blkdev_issue_flush()):
 * what fsync acknowledged survives a power cut. The cache is flushed
 * before the node blocks too (unlike F2FS): a marked node never reaches
 * the media before the data it points to, so a cut before fsync returns
 * leaves the file old or new, never pointing at blocks never written.
 * The marked blocks hold every address of the file, so fsync waits for
 * all of the file's writes in flight before each flush, not only the
 * range's (a write that starts during fsync, after the first wait, is
 * covered by the second: durable once fsync returns).
 *
 * Truncate (F2FS's f2fs_setattr()/f2fs_truncate()): the pages past the new
 * size go (truncate_setsize()), then their blocks and the nodes no longer
 * needed (qlfs_truncate_blocks()), and the part of the new last block past
 * the size is zeroed on disk too (written again as a dirty page), so that
 * growing the file later reads zeros there.
 *
 * Locking: i_rwsem (the VFS's for setattr; taken here for lseek), then
 * qlfs_lock_op() around every metadata change (QM4); truncate drops the
 * page cache inside it too, so that a checkpoint never sees a reserved
 * block (NEW_ADDR) whose dirty page is already gone.
 */
#include <quire/dcache.h>
#include <quire/blkdev.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/syscalls.h>
#include "qlfs_data.h"

/* ---- truncate and setattr ---- */

/* Zero the bytes of the new last block past @size on disk as well. */
static int zero_partial_block(struct inode *inode, loff_t size)
{
	struct address_space *mapping = inode->i_mapping;
	pgoff_t index = size >> PAGE_SHIFT;
	size_t off = size & (PAGE_SIZE - 1);
	struct folio *folio;
	u32 blkaddr;
	int err;

	if (!off)
		return 0;
	err = qlfs_data_blkaddr_of(inode, index, &blkaddr);
	if (err || blkaddr == NULL_ADDR)
		return err;
	folio = read_mapping_folio(mapping, index, NULL);
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	folio_lock(folio);
	if (folio->mapping == mapping) {
		memset((char *)folio_address(folio) + off, 0, PAGE_SIZE - off);
		folio_mark_dirty(folio);
	}
	folio_unlock(folio);
	folio_put(folio);
	return 0;
}

/* i_size = @size, blocks past it freed. Context: i_rwsem held. */
int qlfs_truncate(struct inode *inode, loff_t size)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	int err;

	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	/* The pages go inside the operation too: a checkpoint between would
	 * find their reserved blocks (NEW_ADDR) with no dirty page left to
	 * replace them (QM2, QDA2). */
	qlfs_lock_op(sbi);
	truncate_setsize(inode, size);
	err = qlfs_truncate_blocks(inode, DIV_ROUND_UP(size, PAGE_SIZE));
	if (!err)
		err = zero_partial_block(inode, size);
	inode_touch_mctime(inode);
	qlfs_update_inode(inode);
	qlfs_unlock_op(sbi);
	return err;
}

int qlfs_setattr(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	int err = 0;

	if (attr->ia_valid & ATTR_SIZE) {
		if (!S_ISREG(inode->i_mode))
			return -EINVAL;
		err = qlfs_truncate(inode, attr->ia_size);
		if (err)
			return err;
	}
	if (attr->ia_valid & (ATTR_MODE | ATTR_ATIME | ATTR_MTIME | ATTR_CTIME)) {
		if (READ_ONCE(sbi->read_only))
			return -EROFS;
		if (attr->ia_valid & ATTR_MODE)
			WRITE_ONCE(inode->i_mode, attr->ia_mode);
		setattr_copy_times(inode, attr);
		qlfs_lock_op(sbi);
		qlfs_update_inode(inode);
		qlfs_unlock_op(sbi);
	}
	return 0;
}

/* st_blocks is i_blocks: the data and node blocks the inode holds. */
int qlfs_getattr(const struct path *path, struct kstat *stat)
{
	generic_fillattr(d_inode(path->dentry), stat);
	return 0;
}

/* ---- lseek: SEEK_DATA / SEEK_HOLE from the block map ---- */

/* The first file block after the direct node (or inode) holding @index. */
static pgoff_t dnode_end(pgoff_t index)
{
	if (index < ADDRS_PER_INODE)
		return ADDRS_PER_INODE;
	return ADDRS_PER_INODE +
	       ((index - ADDRS_PER_INODE) / ADDRS_PER_BLOCK + 1) * ADDRS_PER_BLOCK;
}

/*
 * The first block at or after @index that is data (@data) or a hole
 * (!@data), below @end; @end when none. A missing node is a hole for its
 * whole range (F2FS's f2fs_seek_block()).
 */
static int seek_block(struct inode *inode, pgoff_t index, pgoff_t end, bool data,
		      pgoff_t *found)
{
	while (index < end) {
		pgoff_t stop = min(dnode_end(index), end);
		struct dnode_of_data dn;
		int err;

		set_new_dnode(&dn, inode, NULL, NULL, 0);
		err = qlfs_get_dnode_of_data(&dn, index, LOOKUP_NODE);
		if (err == -ENOENT) {
			if (!data) {
				*found = index;
				return 0;
			}
			index = stop;
			continue;
		}
		if (err)
			return err;
		for (; index < stop; index++, dn.ofs_in_node++) {
			u32 blkaddr = qlfs_data_blkaddr(&dn);

			if ((blkaddr != NULL_ADDR) == data) {
				qlfs_put_dnode(&dn);
				*found = index;
				return 0;
			}
		}
		qlfs_put_dnode(&dn);
		cond_resched();
	}
	*found = end;
	return 0;
}

static loff_t qlfs_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file->f_mapping->host;
	loff_t isize, pos;
	pgoff_t found;
	int err;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return generic_file_llseek(file, offset, whence);
	inode_lock_shared(inode);
	isize = i_size_read(inode);
	if (offset < 0 || offset >= isize) {
		inode_unlock_shared(inode);
		return -ENXIO;
	}
	err = seek_block(inode, offset >> PAGE_SHIFT, DIV_ROUND_UP(isize, PAGE_SIZE),
			 whence == SEEK_DATA, &found);
	inode_unlock_shared(inode);
	if (err)
		return err;
	pos = (loff_t)found << PAGE_SHIFT;
	if (pos < offset)
		pos = offset;
	if (pos >= isize) {
		if (whence == SEEK_DATA)
			return -ENXIO;
		pos = isize; /* the hole at the end */
	}
	file->f_pos = pos;
	return pos;
}

/* ---- fsync ---- */

/*
 * F2FS's need_do_checkpoint(): can roll-forward not recover this inode from
 * its node blocks? It can when the last checkpoint holds the inode; or,
 * for a file made since (*@dentry: its inode block gets the DENTRY mark,
 * F2FS's f2fs_need_dentry_mark()), when the checkpoint holds its parent
 * (CP_NODE_NEED_CP), its nid was free in the checkpoint (recovery takes it
 * again), and the parent lost no name to rename or rmdir since (F2FS's
 * strict CP_RECOVER_DIR: the entry recovery makes could meet a name the
 * checkpoint gives to a live inode). Never for a directory
 * (CP_NON_REGULAR), other than one link (CP_HARDLINK), or after a rename
 * or link, or with no name recorded (QLFS_I_NEED_CP, F2FS's
 * CP_WRONG_PINO).
 */
static bool need_checkpoint(struct inode *inode, bool *dentry)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	u32 pino = READ_ONCE(QLFS_I(inode)->i_pino);

	*dentry = false;
	if (!S_ISREG(inode->i_mode) || inode->i_nlink != 1 ||
	    test_bit(QLFS_I_NEED_CP, &QLFS_I(inode)->flags))
		return true;
	if (qlfs_nid_checkpointed(sbi, inode->i_ino))
		return false;
	if (!qlfs_nid_was_free_at_cp(sbi, inode->i_ino) ||
	    !qlfs_nid_checkpointed(sbi, pino) || qlfs_dir_unstable(sbi, pino))
		return true;
	*dentry = true;
	return false;
}

/* QF5: fsync's passes that let data writes of the file go on, before the
 * last one, which holds them off (QF5B) */
#define QLFS_FSYNC_TRIES 2

/*
 * One pass of fsync's node writing, its data waited for and flushed first.
 * Unless @last, data writes of the file go on meanwhile and the pass gives
 * -EAGAIN when one moved a data address since the wait (QF5). The last
 * pass holds them off (data_wb_rwsem for write, after qlfs_lock_op() as
 * ->writepages takes them; every writeback pass of the file has sent its
 * bios when it lets go): no address moves from its wait to its marked
 * block, so a steady writer of the file cannot make it fail. F2FS has no
 * such pass (nor the check: its marked nodes may carry such addresses).
 * -EAGAIN from the last pass: a checkpoint is needed (the caller takes it).
 */
/* RV part: the test's pause points in the held pass (qlfs_review4_cut) */
static void held_point(struct inode *inode, bool last, enum qlfs_fsync_held_point p)
{
	void (*hook)(struct inode *, int) =
		READ_ONCE(QLFS_I_SB(inode)->test.fsync_held_hook);

	if (last && hook)
		hook(inode, p);
}

static int fsync_pass(struct inode *inode, bool dentry, bool last)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	struct qlfs_inode_info *qi = QLFS_I(inode);
	unsigned long gen;
	int err;

	if (!last && READ_ONCE(sbi->test.fsync_force_held))
		return -EAGAIN;
	held_point(inode, last, QLFS_FSYNC_HELD_ENTER);
	if (last) {
		qlfs_lock_op(sbi);
		down_write(&qi->data_wb_rwsem);
		__atomic_add_fetch(&sbi->fsync_held_passes, 1, __ATOMIC_RELAXED);
		held_point(inode, last, QLFS_FSYNC_HELD_LOCKED);
	}
	gen = __atomic_load_n(&qi->data_addr_gen, __ATOMIC_ACQUIRE);
	filemap_fdatawait_range_keep_errors(inode->i_mapping, 0, LLONG_MAX);
	held_point(inode, last, QLFS_FSYNC_HELD_WAITED);
	err = blkdev_issue_flush(sbi->bdev);
	if (!err) {
		held_point(inode, last, QLFS_FSYNC_HELD_FLUSHED);
		if (!last)
			qlfs_lock_op(sbi);
		qlfs_update_inode(inode); /* size and times into the node (QM1) */
		if (!last)
			qlfs_unlock_op(sbi);
		err = last ? qlfs_fsync_node_pages_locked(inode, dentry, &gen) :
			     qlfs_fsync_node_pages_since(inode, dentry, &gen);
		if (!err)
			held_point(inode, last, QLFS_FSYNC_HELD_NODES);
	}
	if (last) {
		up_write(&qi->data_wb_rwsem);
		qlfs_unlock_op(sbi);
	}
	return err;
}

int qlfs_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct inode *inode = file->f_mapping->host;
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	bool dentry;
	int err, err2;

	err = file_write_and_wait_range(file, start, end);
	if (err)
		return err;
	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	if (need_checkpoint(inode, &dentry)) {
		/* NEED_CP stays set until a checkpoint has the inode (its
		 * clear_need_cp(), under cp_rwsem): cleared here, a second
		 * fsync meanwhile would roll forward and answer before any
		 * checkpoint has the file. */
		err = qlfs_write_checkpoint(sbi, CP_REASON_FSYNC);
		if (!err)
			qlfs_inode_got_pino(inode); /* QI3 */
		return err;
	}
	/* The data first, durable: a node block with the FSYNC mark that
	 * reaches the media before the blocks it points to would make
	 * roll-forward give the file whatever those blocks held before
	 * (another file's old bytes) after a cut before the final flush.
	 * F2FS leaves this window open; the crash sweep shut it
	 * (docs/qlfs-crash.md). The marked blocks carry every address of
	 * the file, not only the range's: the writes in flight outside
	 * the range (the flusher's, the cleaner's moves; an O_DSYNC write
	 * is a range fsync) are waited for too, and again before the last
	 * flush for those that started meanwhile (suite qlfs_review4_cut).
	 * QF5: a data write that starts after this wait puts its new address
	 * into a node this fsync may write marked, with nothing ordering its
	 * data first (qlfs_review4_cut, second case: zeros after the cut): the
	 * marked inode block goes only if no address moved since the wait
	 * (data_addr_gen); else wait and flush again; the last pass holds
	 * the file's data writes off (QF5B: a steady writer of the file made
	 * every fsync a checkpoint), fsync_pass(). */
	for (unsigned int tries = 0;; tries++) {
		err = fsync_pass(inode, dentry, tries == QLFS_FSYNC_TRIES);
		if (err != -EAGAIN)
			break;
		__atomic_add_fetch(&sbi->fsync_retries, 1, __ATOMIC_RELAXED);
		if (tries == QLFS_FSYNC_TRIES) {
			__atomic_add_fetch(&sbi->fsync_checkpoints, 1, __ATOMIC_RELAXED);
			err = qlfs_write_checkpoint(sbi, CP_REASON_FSYNC);
			if (!err)
				qlfs_inode_got_pino(inode);
			return err;
		}
	}
	filemap_fdatawait_range_keep_errors(inode->i_mapping, 0, LLONG_MAX);
	err2 = blkdev_issue_flush(sbi->bdev);
	return err ? err : err2;
}

const struct file_operations qlfs_file_operations = {
	.read = filemap_read,
	.write = generic_file_write,
	.llseek = qlfs_llseek,
	.fsync = qlfs_fsync,
};

const struct inode_operations qlfs_file_inode_operations = {
	.setattr = qlfs_setattr,
	.getattr = qlfs_getattr,
};
