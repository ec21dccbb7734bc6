/*
 * fs/qlfs/checkpoint.c - checkpoints, orphan inodes and the periodic
 * checkpoint (Linux's fs/f2fs/checkpoint.c).
 *
 * Layer: fs (qlfs, the metadata half). Used by: super.c (sync_fs, umount,
 * mount's orphan recovery), node.c (fsync's fallback), namei.c/file.c
 * (orphans, fsync), the `qlfs` command.
 * Provides: qlfs_lock_op(), qlfs_unlock_op(), qlfs_write_checkpoint(),
 * qlfs_add_orphan_inode(), qlfs_remove_orphan_inode(),
 * qlfs_recover_orphan_inodes(), qlfs_start/stop_periodic_checkpoint().
 *
 * A checkpoint, in F2FS's order (../shared/reference/f2fs.md
 * "Checkpoint"): cp_mutex; every dirty data page written
 * (qlfs_sync_dirty_data(), the data half's) before operations stop, so
 * the frozen part is short; cp_rwsem taken for write (no operation is
 * half done from here on, QM4); dirty data again (what came in between,
 * and that of inodes being evicted: sync_freeing_data()); the sizes
 * buffered writes left in the inodes (qlfs_sync_inode_meta(), inode.c
 * QI1); every dirty node page written and waited for; the dirty NAT and SIT
 * blocks written to their shadow copies, their version bits flipped in the
 * new pack; then the pack that is not current: header, orphan blocks, the
 * six summaries, and the footer written with REQ_PREFLUSH | REQ_FUA, i.e.
 * after a cache flush that makes everything before it durable, and
 * durable itself when it completes. Only then do prefree segments become
 * free (QM3), and sbi->ckpt becomes the new header (QM6).
 *
 * Invariants:
 *  QC1: a pack is written only whole and only into the pack that is not
 *       current; the footer is the last block written and nothing the
 *       pack names is still in a volatile cache when it lands.
 *  QC2: when qlfs_write_checkpoint() returns 0 the disk holds exactly the
 *       state of the file system at the moment cp_rwsem was taken, with
 *       no NEW_ADDR in it (QM2) and its counts = the SIT's and NAT's.
 *  QC3: an inode on orphan_list is listed in every checkpoint written
 *       while it is there; it leaves the list only once its blocks and
 *       nid are freed (QI2), or when it got a name again.
 *
 * Locking: cp_mutex -> cp_rwsem (write) -> the node and SIT/NAT locks.
 * qlfs_lock_op() takes cp_rwsem shared, except in the checkpoint's own
 * task (sbi->cp_task), whose writeback calls it again. orphan_lock (a
 * mutex) guards orphan_list.
 */
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/sched.h>
#include <quire/jiffies.h>
#include <quire/bug.h>
#include "qlfs_mount.h"

struct qlfs_orphan {
	struct list_head list;
	u32 ino;
};

void qlfs_lock_op(struct qlfs_sb_info *sbi)
{
	if (READ_ONCE(sbi->cp_task) != current)
		down_read(&sbi->cp_rwsem);
}

void qlfs_unlock_op(struct qlfs_sb_info *sbi)
{
	if (READ_ONCE(sbi->cp_task) != current)
		up_read(&sbi->cp_rwsem);
}

/* ---- orphans ---- */

int qlfs_add_orphan_inode(struct qlfs_sb_info *sbi, u32 ino)
{
	struct qlfs_orphan *o;
	u32 max = (sbi->l.bps - 8) * ORPHANS_PER_BLOCK;

	mutex_lock(&sbi->orphan_lock);
	list_for_each_entry(o, &sbi->orphan_list, list)
		if (o->ino == ino) {
			mutex_unlock(&sbi->orphan_lock);
			return 0;
		}
	if (sbi->orphan_count >= max) {
		mutex_unlock(&sbi->orphan_lock);
		return -ENOSPC;
	}
	o = kmalloc(sizeof(*o), GFP_KERNEL);
	if (!o) {
		mutex_unlock(&sbi->orphan_lock);
		return -ENOMEM;
	}
	o->ino = ino;
	list_add_tail(&o->list, &sbi->orphan_list);
	sbi->orphan_count++;
	WRITE_ONCE(sbi->s_dirty, true);
	mutex_unlock(&sbi->orphan_lock);
	return 0;
}

/* @ino 0: the first one (teardown). */
void qlfs_remove_orphan_inode(struct qlfs_sb_info *sbi, u32 ino)
{
	struct qlfs_orphan *o;

	mutex_lock(&sbi->orphan_lock);
	list_for_each_entry(o, &sbi->orphan_list, list)
		if (!ino || o->ino == ino) {
			list_del(&o->list);
			sbi->orphan_count--;
			WRITE_ONCE(sbi->s_dirty, true);
			kfree(o);
			break;
		}
	mutex_unlock(&sbi->orphan_lock);
}

/* Orphan blocks into @blks (the pack's blocks 1..n). Returns n. */
static u32 write_orphan_blocks(struct qlfs_sb_info *sbi, u8 *blks)
{
	struct qlfs_orphan *o;
	u32 n = DIV_ROUND_UP(sbi->orphan_count, ORPHANS_PER_BLOCK), i = 0;

	list_for_each_entry(o, &sbi->orphan_list, list) {
		struct qlfs_orphan_block *ob =
			(void *)(blks + (size_t)(i / ORPHANS_PER_BLOCK) * QLFS_BLKSIZE);

		ob->ino[i % ORPHANS_PER_BLOCK] = cpu_to_le32(o->ino);
		ob->entry_count = cpu_to_le32(i % ORPHANS_PER_BLOCK + 1);
		i++;
	}
	for (u32 b = 0; b < n; b++) {
		struct qlfs_orphan_block *ob = (void *)(blks + (size_t)b * QLFS_BLKSIZE);

		ob->blk_addr = cpu_to_le16(b);
		ob->blk_count = cpu_to_le16(n);
	}
	return n;
}

int qlfs_recover_orphan_inodes(struct qlfs_sb_info *sbi)
{
	u32 n = sbi->nr_mount_orphans;
	int err = 0;

	for (u32 i = 0; i < n; i++) {
		u32 ino = sbi->mount_orphans[i];
		struct inode *inode;

		err = qlfs_add_orphan_inode(sbi, ino); /* listed until freed */
		if (err)
			return err;
		inode = qlfs_iget(sbi->sb, ino);
		if (IS_ERR(inode)) {
			qlfs_msg(sbi, "orphan inode %u: %s; mounted read-only", ino,
				 errname(PTR_ERR(inode)));
			qlfs_handle_error(sbi, "a bad orphan list");
			return 0;
		}
		if (inode->i_nlink) {
			qlfs_msg(sbi, "orphan inode %u has %u links: kept", ino,
				 inode->i_nlink);
			qlfs_remove_orphan_inode(sbi, ino);
		}
		iput(inode); /* no link: eviction frees it (QI2) */
		sbi->orphans_recovered++;
	}
	if (n)
		err = qlfs_write_checkpoint(sbi, CP_REASON_RECOVERY);
	return err;
}

/* ---- the checkpoint ---- */

static int write_pack(struct qlfs_sb_info *sbi, u8 *pack, u32 total)
{
	u32 base = sbi->l.cp_blkaddr + (!sbi->cur_cp_pack) * sbi->l.bps;
	int err;

	for (u32 b = 0; b < total; b++)
		qlfs_block_seal(pack + (size_t)b * QLFS_BLKSIZE, base + b);
	err = qlfs_meta_rw(sbi, REQ_OP_WRITE, base, pack, total - 1);
	if (err)
		return err;
	/* QC1: flush what came before, then the footer, durable itself */
	return qlfs_meta_rw(sbi, REQ_OP_WRITE | REQ_PREFLUSH | REQ_FUA | REQ_SYNC,
			    base + total - 1, pack + (size_t)(total - 1) * QLFS_BLKSIZE,
			    1);
}

/* Every inode is on disk as the checkpoint has it: fsync may roll forward. */
static void clear_need_cp(struct qlfs_sb_info *sbi)
{
	unsigned long ino = 0;
	struct inode *inode;

	mutex_lock(&sbi->inode_cache_lock);
	while ((inode = xa_find(&sbi->inode_cache, &ino, ~0UL, XA_PRESENT))) {
		clear_bit(QLFS_I_NEED_CP, &QLFS_I(inode)->flags);
		if (ino == ~0UL)
			break;
		ino++;
	}
	mutex_unlock(&sbi->inode_cache_lock);
}

/*
 * The dirty data of inodes being evicted (I_FREEING), which
 * qlfs_sync_dirty_data() skips (it may not take a reference): their
 * reserved blocks (NEW_ADDR, QM2) must not reach the pack either. Called
 * with cp_rwsem held for write, so such an inode cannot go meanwhile:
 * its eviction needs qlfs_lock_op() before its pages leave (a named one
 * writes them through ->writepages, an unlinked one drops them inside
 * its operation: inode.c), and nobody else can clean or dirty them. The
 * scan starts again after each inode (no reference keeps its place); a
 * written inode is not dirty any more, so it ends.
 */
static int sync_freeing_data(struct qlfs_sb_info *sbi)
{
	struct super_block *sb = sbi->sb;
	int err = 0;

	while (!err) {
		struct address_space *found = NULL;
		struct inode *inode;

		spin_lock(&sb->s_inode_list_lock);
		list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
			bool freeing;

			if (inode->i_ino == QLFS_NODE_INO)
				continue;
			spin_lock(&inode->i_lock);
			freeing = (inode->i_state & I_FREEING) &&
				  !(inode->i_state & I_CLEAR);
			spin_unlock(&inode->i_lock);
			if (freeing &&
			    mapping_tagged(inode->i_mapping, PAGECACHE_TAG_DIRTY)) {
				found = inode->i_mapping;
				break;
			}
		}
		spin_unlock(&sb->s_inode_list_lock);
		if (!found)
			break;
		err = filemap_write_and_wait(found);
	}
	return err;
}

static int do_checkpoint(struct qlfs_sb_info *sbi, enum qlfs_cp_reason reason)
{
	struct writeback_control wbc = {
		.sync_mode = WB_SYNC_ALL,
		.nr_to_write = LONG_MAX,
		.range_end = LLONG_MAX,
	};
	u32 sitb = qlfs_sit_bitmap_bytes(&sbi->l);
	u32 norphan, total, start;
	struct qlfs_checkpoint *cp;
	u8 *pack;
	int err;

	err = qlfs_sync_dirty_data(sbi);
	if (!err)
		err = sync_freeing_data(sbi);
	if (err)
		return err;
	qlfs_sync_inode_meta(sbi); /* sizes write_end left in the inodes */
	err = qlfs_sync_node_pages(sbi, &wbc);
	if (!err)
		err = filemap_check_errors(sbi->node_inode->i_mapping);
	if (!err && READ_ONCE(sbi->read_only))
		err = -EIO; /* a node write failed */
	if (err)
		return err;
	if (WARN_ON_ONCE(mapping_tagged(sbi->node_inode->i_mapping, PAGECACHE_TAG_DIRTY)))
		return -EIO;

	/* the SSA blocks logs sent as they left segments (segment.c QS5):
	 * done before the pack's flush */
	err = qlfs_wait_summary_writes(sbi);
	if (err)
		return err;
	pack = qlfs_alloc_blocks(sbi->l.log_bps);
	if (!pack)
		return -ENOMEM;
	cp = (void *)pack;
	memcpy(cp, sbi->ckpt, QLFS_BLKSIZE);
	err = qlfs_flush_nat_entries(sbi, cp->sit_nat_version_bitmap + sitb);
	if (!err)
		err = qlfs_flush_sit_entries(sbi, cp->sit_nat_version_bitmap);
	if (err)
		goto out;

	mutex_lock(&sbi->orphan_lock);
	norphan = write_orphan_blocks(sbi, pack + QLFS_BLKSIZE);
	mutex_unlock(&sbi->orphan_lock);
	start = 1 + norphan;
	total = start + NR_CURSEG_TYPE + 1;
	cp->checkpoint_ver = cpu_to_le64(le64_to_cpu(sbi->ckpt->checkpoint_ver) + 1);
	cp->valid_block_count = cpu_to_le64(sbi->total_valid_block_count);
	cp->valid_node_count = cpu_to_le32(sbi->total_valid_node_count);
	cp->valid_inode_count = cpu_to_le32(sbi->total_valid_inode_count);
	cp->next_free_nid =
		cpu_to_le32(sbi->next_free_nid < sbi->l.max_nid ? sbi->next_free_nid :
								  QLFS_FIRST_FREE_NID);
	cp->elapsed_time = cpu_to_le64(qlfs_elapsed_time(sbi));
	cp->ckpt_flags = cpu_to_le32((reason == CP_REASON_UMOUNT ? CP_UMOUNT_FLAG : 0) |
				     (norphan ? CP_ORPHAN_PRESENT_FLAG : 0));
	cp->cp_pack_start_sum = cpu_to_le32(start);
	cp->cp_pack_total_block_count = cpu_to_le32(total);
	qlfs_fill_cp_segments(sbi, cp, (void *)(pack + (size_t)start * QLFS_BLKSIZE));
	memcpy(pack + (size_t)(total - 1) * QLFS_BLKSIZE, cp, QLFS_BLKSIZE);

	err = write_pack(sbi, pack, total);
	if (err)
		goto out;
	spin_lock(&sbi->nat_lock); /* nat_block() reads the NAT version bits */
	memcpy(sbi->ckpt, cp, QLFS_BLKSIZE);
	spin_unlock(&sbi->nat_lock);
	sbi->cur_cp_pack = !sbi->cur_cp_pack;
	qlfs_clear_prefree_segments(sbi);
	clear_need_cp(sbi);
	/* the pack has all of it: operations are stopped (cp_rwsem), and the
	 * node, NAT and SIT writes above set the flag themselves */
	WRITE_ONCE(sbi->s_dirty, false);
	sbi->nr_checkpoints++;
out:
	qlfs_free_blocks(pack, sbi->l.log_bps);
	return err;
}

int qlfs_write_checkpoint(struct qlfs_sb_info *sbi, enum qlfs_cp_reason reason)
{
	int err;

	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	mutex_lock(&sbi->cp_mutex);
	WRITE_ONCE(sbi->cp_task, current);
	/* most dirty data before operations stop (F2FS: block_operations) */
	err = qlfs_sync_dirty_data(sbi);
	down_write(&sbi->cp_rwsem);
	if (!err)
		err = do_checkpoint(sbi, reason);
	up_write(&sbi->cp_rwsem);
	WRITE_ONCE(sbi->cp_task, NULL);
	mutex_unlock(&sbi->cp_mutex);
	if (err) {
		qlfs_msg(sbi, "checkpoint failed: %s", errname(err));
		qlfs_handle_error(sbi, "a checkpoint failed");
	}
	return err;
}

/* ---- the periodic checkpoint ---- */

static void cp_workfn(struct work_struct *work)
{
	struct qlfs_sb_info *sbi =
		container_of(to_delayed_work(work), struct qlfs_sb_info, cp_work);

	if (READ_ONCE(sbi->read_only))
		return;
	if (READ_ONCE(sbi->s_dirty) ||
	    mapping_tagged(sbi->node_inode->i_mapping, PAGECACHE_TAG_DIRTY))
		qlfs_write_checkpoint(sbi, CP_REASON_PERIODIC);
	if (!READ_ONCE(sbi->cp_work_stopping))
		schedule_delayed_work(&sbi->cp_work,
				      msecs_to_jiffies(QLFS_CP_INTERVAL_MS));
}

void qlfs_start_periodic_checkpoint(struct qlfs_sb_info *sbi)
{
	INIT_DELAYED_WORK(&sbi->cp_work, cp_workfn);
	schedule_delayed_work(&sbi->cp_work, msecs_to_jiffies(QLFS_CP_INTERVAL_MS));
}

void qlfs_stop_periodic_checkpoint(struct qlfs_sb_info *sbi)
{
	WRITE_ONCE(sbi->cp_work_stopping, true);
	if (sbi->cp_work.work.func)
		cancel_delayed_work_sync(&sbi->cp_work);
}
