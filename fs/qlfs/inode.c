/*
 * fs/qlfs/inode.c - qlfs inodes: reading one from its node block, making
 * a new one, writing its fields back, and eviction (Linux's
 * fs/f2fs/inode.c and the inode part of namei.c's f2fs_new_inode()).
 *
 * Layer: fs (qlfs, the metadata half). Used by: super.c (the root),
 * namei.c (lookup, create), checkpoint.c (orphans), the VFS (through
 * qlfs_sops: alloc/destroy, write_inode, evict_inode).
 * Provides: qlfs_iget(), qlfs_new_inode(), qlfs_update_inode(),
 * qlfs_inode_to_folio(), qlfs_inode_blocks_add(), qlfs_alloc_inode(),
 * qlfs_destroy_inode(), qlfs_write_inode(), qlfs_evict_inode(),
 * qlfs_inode_got_pino().
 *
 * Quire's VFS has no inode hash or LRU (an inode lives while a dentry or
 * a file holds it), so qlfs keeps its own table, sbi->inode_cache (ino ->
 * inode), for qlfs_iget(): an inode found there whose count already fell
 * to 0 is being evicted, and iget waits for eviction to take it out
 * before reading it again. Reading an inode checks what QL10 says of it
 * (type, inline data only in regular files, directory depth and size, size
 * within the largest file) before anything uses it; an inode with inline
 * data (valid on disk) is refused with -EOPNOTSUPP: the mount has no
 * inline data path yet.
 *
 * Invariants:
 *  QI1: an inode with QLFS_I_ACTIVE is in inode_cache under its ino, and
 *       no other inode of that ino is; its node folio holds its on-disk
 *       fields, written by qlfs_inode_to_folio() after each change (QM1),
 *       except i_size grown by a buffered write: QLFS_I_SIZE_DIRTY says
 *       the folio does not have it yet, and every checkpoint
 *       (qlfs_sync_inode_meta()), fsync, ->write_inode and the eviction
 *       of a named inode write it first (PERF10: the writer locked the
 *       inode's folio twice a page, write_begin's block map walk and
 *       write_end's size; F2FS's f2fs_i_size_write() only marks the
 *       inode dirty too).
 *  QI2: an inode evicted with no link has lost every block of its tree and
 *       its nid before it leaves the orphan list.
 *  QI3: an inode block's QLFS_ADVISE_LOST_PINO is its inode's
 *       QLFS_I_NEED_CP as of its last qlfs_inode_to_folio(), and reading
 *       the inode sets NEED_CP from it: a rename or link that a checkpoint
 *       does not have yet still makes fsync checkpoint after the inode was
 *       evicted and read back (F2FS's FADVISE_LOST_PINO_BIT). A fsync
 *       that checkpointed clears it (qlfs_inode_got_pino()).
 *
 * Locking: inode_cache_lock (a mutex, held across the read of a new inode
 * so that one ino is read once) -> node folio locks. Eviction takes
 * qlfs_lock_op() around freeing blocks and taking the inode off the
 * orphan list (orphan_lock inside cp_rwsem, as the checkpoint takes it).
 */
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/timer.h>
#include <quire/bug.h>
#include "qlfs_mount.h"

struct inode *qlfs_alloc_inode(struct super_block *sb)
{
	struct qlfs_inode_info *qi = kzalloc(sizeof(*qi), GFP_KERNEL);

	if (!qi)
		return NULL;
	init_rwsem(&qi->data_wb_rwsem);
	return &qi->vfs_inode;
}

void qlfs_destroy_inode(struct inode *inode)
{
	kfree(QLFS_I(inode));
}

void qlfs_inode_blocks_add(struct inode *inode, s64 n)
{
	spin_lock(&inode->i_lock);
	inode->i_blocks +=
		(u64)n << (QLFS_BLKSIZE_BITS - 9); /* two's complement: n < 0 subtracts */
	spin_unlock(&inode->i_lock);
}

static __le64 ns_sec(s64 ns)
{
	return cpu_to_le64(ns < 0 ? 0 : (u64)ns / 1000000000ULL);
}

static __le32 ns_nsec(s64 ns)
{
	return cpu_to_le32(ns < 0 ? 0 : (u64)ns % 1000000000ULL);
}

static s64 disk_to_ns(__le64 sec, __le32 nsec)
{
	u64 s = le64_to_cpu(sec), n = le32_to_cpu(nsec);

	if (s > (u64)LLONG_MAX / 1000000000ULL - 1 || n >= 1000000000ULL)
		return 0;
	return (s64)(s * 1000000000ULL + n);
}

void qlfs_inode_to_folio(struct inode *inode, struct folio *folio)
{
	struct qlfs_inode *ri = folio_address(folio);
	struct qlfs_inode_info *qi = QLFS_I(inode);
	s64 atime, ctime, mtime;

	folio_wait_writeback(folio);
	/* before i_size is read: a write_end that grows it after this sets
	 * the bit again (it writes i_size first) */
	clear_bit(QLFS_I_SIZE_DIRTY, &qi->flags);
	smp_mb();
	ri->i_mode = cpu_to_le16(inode->i_mode);
	ri->i_links = cpu_to_le32(inode->i_nlink);
	ri->i_size = cpu_to_le64(i_size_read(inode));
	ri->i_blocks = cpu_to_le64(inode->i_blocks >> (QLFS_BLKSIZE_BITS - 9));
	/* the times: each read once, a writer may be touching them
	 * (inode_touch_mctime() under i_rwsem, which this does not hold) */
	atime = READ_ONCE(inode->i_atime_ns);
	ctime = READ_ONCE(inode->i_ctime_ns);
	mtime = READ_ONCE(inode->i_mtime_ns);
	ri->i_atime = ns_sec(atime);
	ri->i_atime_nsec = ns_nsec(atime);
	ri->i_ctime = ns_sec(ctime);
	ri->i_ctime_nsec = ns_nsec(ctime);
	ri->i_mtime = ns_sec(mtime);
	ri->i_mtime_nsec = ns_nsec(mtime);
	ri->i_generation = cpu_to_le32(qi->i_generation);
	ri->i_current_depth =
		cpu_to_le32(S_ISDIR(inode->i_mode) ? qi->i_current_depth : 0);
	ri->i_pino = cpu_to_le32(qi->i_pino);
	/* QI3: the block says what the inode's NEED_CP says */
	if (test_bit(QLFS_I_NEED_CP, &qi->flags))
		ri->i_advise |= QLFS_ADVISE_LOST_PINO;
	else
		ri->i_advise &= ~QLFS_ADVISE_LOST_PINO;
	if (S_ISCHR(inode->i_mode) || S_ISBLK(inode->i_mode))
		ri->i_addr[0] = cpu_to_le32(inode->i_rdev);
	folio_mark_dirty(folio);
	WRITE_ONCE(QLFS_I_SB(inode)->s_dirty, true);
}

/* After a checkpoint that has @inode's entries (fsync's): its block's
 * LOST_PINO goes (F2FS's try_to_fix_pino()), so that reading it back
 * does not checkpoint again; unless a rename or link set NEED_CP since. */
void qlfs_inode_got_pino(struct inode *inode)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	struct folio *folio;
	bool lost;

	if (test_bit(QLFS_I_NEED_CP, &QLFS_I(inode)->flags))
		return;
	folio = qlfs_get_node_folio(sbi, inode->i_ino);
	if (IS_ERR(folio))
		return; /* reported; the bit only costs a checkpoint */
	lost = READ_ONCE(((struct qlfs_inode *)folio_address(folio))->i_advise) &
	       QLFS_ADVISE_LOST_PINO;
	qlfs_put_node_folio(folio);
	if (!lost)
		return;
	qlfs_lock_op(sbi);
	qlfs_update_inode(inode);
	qlfs_unlock_op(sbi);
}

void qlfs_update_inode(struct inode *inode)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	struct folio *folio;

	if (inode->i_ino == QLFS_NODE_INO || READ_ONCE(sbi->read_only))
		return;
	folio = qlfs_get_node_folio(sbi, inode->i_ino);
	if (IS_ERR(folio))
		return; /* reported (read-only now) */
	qlfs_inode_to_folio(inode, folio);
	qlfs_put_node_folio(folio);
	/* a statistic (the tests count the writer's folio locks) */
	__atomic_fetch_add(&sbi->inode_updates, 1, __ATOMIC_RELAXED);
}

/*
 * inode_cache_lock keeps each inode of the table from leaving it (and
 * being freed: eviction takes it out under that lock), and it may be held
 * over node folio locks (the lock order above); the checkpoint already
 * takes it under cp_rwsem (clear_need_cp()).
 */
void qlfs_sync_inode_meta(struct qlfs_sb_info *sbi)
{
	unsigned long ino = 0;
	struct inode *inode;

	mutex_lock(&sbi->inode_cache_lock);
	while ((inode = xa_find(&sbi->inode_cache, &ino, ~0UL, XA_PRESENT))) {
		if (test_bit(QLFS_I_SIZE_DIRTY, &QLFS_I(inode)->flags))
			qlfs_update_inode(inode);
		if (ino == ~0UL)
			break;
		ino++;
	}
	mutex_unlock(&sbi->inode_cache_lock);
}

/* The flusher's call: a change to a node folio, so under qlfs_lock_op()
 * like every other (QM4). */
int qlfs_write_inode(struct inode *inode, struct writeback_control *wbc)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);

	qlfs_lock_op(sbi);
	qlfs_update_inode(inode);
	qlfs_unlock_op(sbi);
	return 0;
}

/* QL10's checks of an inode block, NULL if it is sound. */
static const char *inode_invalid(struct qlfs_sb_info *sbi, const struct qlfs_inode *ri)
{
	u16 mode = le16_to_cpu(ri->i_mode);
	u64 size = le64_to_cpu(ri->i_size);
	u32 depth = le32_to_cpu(ri->i_current_depth);

	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	default:
		return "unknown file type";
	}
	if (ri->i_inline & ~QLFS_KNOWN_INLINE)
		return "unknown inline flags";
	if (ri->i_inline & QLFS_INLINE_DATA) {
		if (!S_ISREG(mode))
			return "inline data in a file that is not regular";
		if (size > MAX_INLINE_DATA)
			return "inline data larger than the inode holds";
		for (int i = 0; i < NIDS_PER_INODE; i++)
			if (ri->i_nid[i])
				return "inline data with node ids";
	}
	if (S_ISDIR(mode)) {
		if (depth < 1 || depth > QLFS_MAX_DIR_HASH_DEPTH)
			return "directory depth out of range";
		if (size != qlfs_dir_blocks(depth) * QLFS_BLKSIZE)
			return "directory size does not match its depth";
	}
	if (size > (u64)sbi->sb->s_maxbytes)
		return "size past the largest file";
	for (int i = 0; i < NIDS_PER_INODE; i++)
		if (le32_to_cpu(ri->i_nid[i]) >= sbi->l.max_nid)
			return "node id out of range";
	return NULL;
}

/* Fill a new in-memory inode from its node block. */
static int read_inode(struct inode *inode)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	struct qlfs_inode_info *qi = QLFS_I(inode);
	const struct qlfs_inode *ri;
	struct folio *folio;
	const char *why;
	u32 nat_ino, addr;
	int err;

	err = qlfs_get_nat_entry(sbi, inode->i_ino, &nat_ino, &addr, NULL);
	if (err)
		return err == -EINVAL ? -EUCLEAN : err;
	/* Free in the NAT: no inode, whatever the node cache holds (a
	 * cleaner's read in qlfs_free_node()'s window between dropping the
	 * folio and clearing the entry puts the old block back there). */
	if (addr == NULL_ADDR)
		return -ENOENT;
	folio = qlfs_get_node_folio(sbi, inode->i_ino);
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	ri = folio_address(folio);
	why = nat_ino != inode->i_ino ? "its NAT entry names another inode" :
	      (le32_to_cpu(ri->footer.flag) >> OFFSET_BIT_SHIFT) ? "not an inode block" :
								   inode_invalid(sbi, ri);
	if (why) {
		qlfs_msg(sbi, "inode %lu: %s", inode->i_ino, why);
		qlfs_put_node_folio(folio);
		qlfs_handle_error(sbi, "corrupt inode");
		return -EUCLEAN;
	}
	if (ri->i_inline & QLFS_INLINE_DATA) {
		/* valid on disk (QL10), but the mount keeps every file's data in
		 * blocks: taking the bytes in i_addr[] for addresses would read
		 * garbage or, written, leak blocks that truncation skips */
		qlfs_msg(sbi, "inode %lu: inline data is not supported (yet)",
			 inode->i_ino);
		qlfs_put_node_folio(folio);
		return -EOPNOTSUPP;
	}
	inode->i_mode = le16_to_cpu(ri->i_mode);
	set_nlink(inode, le32_to_cpu(ri->i_links));
	inode->i_size = le64_to_cpu(ri->i_size);
	inode->i_blocks = le64_to_cpu(ri->i_blocks) << (QLFS_BLKSIZE_BITS - 9);
	inode->i_atime_ns = disk_to_ns(ri->i_atime, ri->i_atime_nsec);
	inode->i_ctime_ns = disk_to_ns(ri->i_ctime, ri->i_ctime_nsec);
	inode->i_mtime_ns = disk_to_ns(ri->i_mtime, ri->i_mtime_nsec);
	if (S_ISCHR(inode->i_mode) || S_ISBLK(inode->i_mode))
		inode->i_rdev = le32_to_cpu(ri->i_addr[0]);
	qi->i_generation = le32_to_cpu(ri->i_generation);
	qi->i_current_depth = le32_to_cpu(ri->i_current_depth);
	qi->i_pino = le32_to_cpu(ri->i_pino);
	if (ri->i_advise & QLFS_ADVISE_LOST_PINO) /* QI3 */
		set_bit(QLFS_I_NEED_CP, &qi->flags);
	qlfs_put_node_folio(folio);
	return 0;
}

/* i_count + 1 unless it is 0 (Linux's atomic_inc_not_zero). */
static bool get_unless_zero(atomic_t *count)
{
	int c = atomic_read(count);

	while (c)
		if (atomic_try_cmpxchg(count, &c, c + 1))
			return true;
	return false;
}

struct inode *qlfs_iget(struct super_block *sb, u32 ino)
{
	struct qlfs_sb_info *sbi = QLFS_SB(sb);
	struct inode *inode;
	int err;

	if (ino < QLFS_ROOT_INO || ino >= sbi->l.max_nid) {
		qlfs_msg(sbi, "inode number %u out of range", ino);
		return ERR_PTR(-EUCLEAN);
	}
	for (;;) {
		mutex_lock(&sbi->inode_cache_lock);
		inode = xa_load(&sbi->inode_cache, ino);
		if (!inode)
			break;
		/* a reference unless it is already on its way out */
		if (get_unless_zero(&inode->i_count)) {
			mutex_unlock(&sbi->inode_cache_lock);
			return inode;
		}
		mutex_unlock(&sbi->inode_cache_lock);
		msleep(1); /* eviction takes it out of the table */
	}
	inode = new_inode(sb);
	if (!inode) {
		mutex_unlock(&sbi->inode_cache_lock);
		return ERR_PTR(-ENOMEM);
	}
	inode->i_ino = ino;
	err = read_inode(inode);
	/* whole before it is in the table: another qlfs_iget() (lookup, the
	 * cleaner) takes it from there as soon as the lock goes */
	if (!err)
		qlfs_set_inode_ops(inode);
	if (!err && IS_ERR(xa_store(&sbi->inode_cache, ino, inode, GFP_KERNEL)))
		err = -ENOMEM;
	if (err) {
		mutex_unlock(&sbi->inode_cache_lock);
		iput(inode); /* not ACTIVE: eviction touches nothing on disk */
		return ERR_PTR(err);
	}
	set_bit(QLFS_I_ACTIVE, &QLFS_I(inode)->flags);
	mutex_unlock(&sbi->inode_cache_lock);
	return inode;
}

struct inode *qlfs_new_inode(struct inode *dir, umode_t mode)
{
	struct super_block *sb = dir->i_sb;
	struct qlfs_sb_info *sbi = QLFS_SB(sb);
	struct qlfs_inode_info *qi;
	struct inode *inode;
	struct folio *folio;
	u32 nid;
	int err;

	err = qlfs_reserve_blocks(sbi, 1);
	if (err)
		return ERR_PTR(err);
	err = qlfs_alloc_nid(sbi, 0, &nid);
	if (err) {
		qlfs_release_blocks(sbi, 1);
		return ERR_PTR(err);
	}
	inode = new_inode(sb);
	if (!inode) {
		qlfs_free_node(sbi, nid);
		return ERR_PTR(-ENOMEM);
	}
	qi = QLFS_I(inode);
	inode->i_ino = nid;
	inode->i_mode = mode;
	inode->i_blocks = 1 << (QLFS_BLKSIZE_BITS - 9); /* the inode block */
	qi->i_pino = dir->i_ino;
	qi->i_generation = (u32)current_time_ns() ^ nid;
	if (S_ISDIR(mode)) {
		qi->i_current_depth = 1;
		inode->i_size = qlfs_dir_blocks(1) * QLFS_BLKSIZE;
	}
	folio = qlfs_new_node_folio(sbi, nid, nid, 0, !S_ISDIR(mode));
	if (IS_ERR(folio)) {
		err = PTR_ERR(folio);
		goto fail;
	}
	qlfs_inode_to_folio(inode, folio);
	qlfs_put_node_folio(folio);
	qlfs_set_inode_ops(inode); /* before the table publishes it */
	mutex_lock(&sbi->inode_cache_lock);
	if (IS_ERR(xa_store(&sbi->inode_cache, nid, inode, GFP_KERNEL))) {
		mutex_unlock(&sbi->inode_cache_lock);
		err = -ENOMEM;
		goto fail;
	}
	set_bit(QLFS_I_ACTIVE, &qi->flags);
	set_bit(QLFS_I_NEED_CP, &qi->flags);
	mutex_unlock(&sbi->inode_cache_lock);
	spin_lock(&sbi->nat_lock);
	sbi->total_valid_inode_count++;
	spin_unlock(&sbi->nat_lock);
	return inode;
fail:
	qlfs_free_node(sbi, nid);
	iput(inode);
	return ERR_PTR(err);
}

void qlfs_evict_inode(struct inode *inode)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	struct qlfs_inode_info *qi = QLFS_I(inode);
	int err;

	if (inode->i_ino == QLFS_NODE_INO || !test_bit(QLFS_I_ACTIVE, &qi->flags)) {
		truncate_inode_pages_final(&inode->i_data);
		clear_inode(inode);
		return;
	}
	if (inode->i_nlink || READ_ONCE(sbi->read_only)) {
		/* still named (or frozen): what is dirty goes to the disk */
		if (inode->i_nlink && !READ_ONCE(sbi->read_only)) {
			filemap_write_and_wait(&inode->i_data);
			/* a size only this inode has (QI1) */
			if (test_bit(QLFS_I_SIZE_DIRTY, &qi->flags)) {
				qlfs_lock_op(sbi);
				qlfs_update_inode(inode);
				qlfs_unlock_op(sbi);
			}
		}
		truncate_inode_pages_final(&inode->i_data);
		goto out;
	}
	/* the pages go inside the operation: a checkpoint between would find
	 * their reserved blocks (NEW_ADDR) with no dirty page (QM2) */
	qlfs_lock_op(sbi);
	truncate_inode_pages_final(&inode->i_data);
	err = qlfs_truncate_blocks(inode, 0);
	if (!err) {
		bool low;

		qlfs_free_node(sbi, inode->i_ino);
		spin_lock(&sbi->nat_lock);
		low = !sbi->total_valid_inode_count; /* the checkpoint's, from disk */
		if (!low)
			sbi->total_valid_inode_count--;
		spin_unlock(&sbi->nat_lock);
		if (low)
			qlfs_handle_error(sbi,
					  "valid_inode_count below the inodes in use");
		/* QI2, in the same operation: a checkpoint must not list an
		 * orphan whose nid it has free (F2FS: truncate_node()) */
		qlfs_remove_orphan_inode(sbi, inode->i_ino);
	}
	qlfs_unlock_op(sbi);
out:
	mutex_lock(&sbi->inode_cache_lock);
	if (xa_load(&sbi->inode_cache, inode->i_ino) == inode) /* nid not reused yet */
		xa_erase(&sbi->inode_cache, inode->i_ino);
	clear_bit(QLFS_I_ACTIVE, &qi->flags);
	mutex_unlock(&sbi->inode_cache_lock);
	clear_inode(inode);
}
