/*
 * fs/qlfs/recovery.c - roll-forward recovery of fsynced files at mount
 * (Linux's fs/f2fs/recovery.c: find_fsync_dnodes() and recover_data()).
 *
 * Layer: fs (qlfs, the metadata half). Used by: super.c (fill_super,
 * before the orphans and before any checkpoint).
 * Provides: qlfs_recover_fsync_data().
 *
 * fsync (node.c, qlfs_fsync_node_pages()) writes a file's direct nodes and
 * its inode block into the warm node log, the inode last with the FSYNC
 * mark, and the DENTRY mark too for a file made since the last checkpoint
 * (file.c decides); every node block carries the checkpoint version it was
 * written under and the address of the next block of its log, so the warm
 * node blocks written since the last checkpoint form a chain from the
 * pack's cur_node_blkoff. Recovery walks it twice, as F2FS does:
 *  1. find the inodes with an FSYNC-marked block in the chain and the last
 *     such block of each, keeping the chain's segments out of allocation.
 *     An inode the checkpoint lacks is made again from its first
 *     DENTRY-marked inode block (qlfs_recover_inode_page(): its nid, free
 *     in the checkpoint, taken anew); a marked block of an inode that
 *     neither the checkpoint has nor such a block made is passed over;
 *  2. walk again and, for each block of those inodes up to their last
 *     marked one, copy the inode's size and times and every data address
 *     into the live tree (a data address found there is made valid in the
 *     SIT with its owner's summary; the one it replaces is invalidated; a
 *     block past the size grows it); at a made inode's last DENTRY-marked
 *     block, its entry is made in the parent the block names (i_pino,
 *     i_name: F2FS's recover_dentry(); a stale entry of that name for a
 *     file goes first, with its link); a size below the blocks is
 *     truncated; a made inode whose entry could not be made is freed;
 *  3. move each log whose current segment holds the chain or a recovered
 *     block to a fresh segment, then write a checkpoint; only then may the
 *     chain's segments be reused. The parents stay referenced until the
 *     logs have moved (their eviction would write entry blocks).
 * Until step 3's checkpoint is durable nothing the previous checkpoint
 * names is overwritten, so a crash during recovery recovers again.
 *
 * F2FS's eight ordering cases (its recovery.c header; F: FSYNC mark, D:
 * DENTRY mark, x: none; the suite qlfs_rollforward has each as a named
 * test with a wrong recovery, sbi->test.rf_mutant, that it must catch):
 *  1. inode(x) | CP | inode(x) | dnode(F): the unmarked inode block before
 *     the mark is taken too;   2. inode(x) | CP | inode(F) | dnode(F) and
 *  4. inode(x) | CP | dnode(F) | inode(F): all taken;
 *  3. inode(x) | CP | dnode(F) | inode(x): what follows the last mark is
 *     dropped;                  5. CP | inode(x) | dnode(F): no inode(DF),
 *     nothing made, the dnode(F) dropped;   6. CP | inode(DF) | dnode(F):
 *     made, then both taken;   7. CP | dnode(F) | inode(DF): the dnode(F)
 *     finds no inode yet, the walk goes on and the inode(DF) makes it
 *     (both taken);   8. CP | dnode(F) | inode(x): nothing made.
 *
 * The walk stops at the first block that fails its checksum, carries
 * another checkpoint version, names a node out of range or points outside
 * the main area; after as many steps as the main area had blocks free at
 * the checkpoint (only those can have been written since); and at a block
 * seen before (a looped chain, Brent's cycle detection: no block read
 * twice to find it). A data address in a segment of the chain or of a node
 * log is refused (-EUCLEAN: the mount stays read-only, the checkpoint's
 * state whole), never made a file's data.
 *
 * Invariants:
 *  QR1: recovery changes the disk only in SSA blocks of segments that were
 *       free at the checkpoint or in the pack's current segments' summary
 *       copies, until its own checkpoint.
 *  QR2: an inode is made again only from a DENTRY-marked inode block, in a
 *       nid free at the checkpoint, and keeps no name but the one made from
 *       that block (or it is freed before the checkpoint).
 *
 * Locking: runs alone at mount (s_umount held for write, no other user).
 */
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/list.h>
#include "qlfs_data.h" /* the entries: dir.c */

/* A wrong recovery on purpose, for the negative controls of the eight
 * cases (suite qlfs_rollforward, arch/host/qlfs_crash_test.c): the mount's
 * sbi->test.rf_mutant, 0 unless a test armed the next mount of its disk. */
static DEFINE_MUTEX(rf_arm_lock);
static struct gendisk *rf_arm_disk;
static int rf_arm_mutant;

void qlfs_test_arm_rf_mutant(struct gendisk *disk, int mutant)
{
	mutex_lock(&rf_arm_lock);
	rf_arm_disk = disk;
	rf_arm_mutant = mutant;
	mutex_unlock(&rf_arm_lock);
}

void qlfs_test_disarm_rf_mutant(void)
{
	qlfs_test_arm_rf_mutant(NULL, QLFS_RF_MUTANT_NONE);
}

/* The mount of sbi->disk takes what was armed for it, once. */
static void take_rf_mutant(struct qlfs_sb_info *sbi)
{
	mutex_lock(&rf_arm_lock);
	if (rf_arm_disk && rf_arm_disk == sbi->disk) {
		sbi->test.rf_mutant = rf_arm_mutant;
		rf_arm_disk = NULL;
		rf_arm_mutant = QLFS_RF_MUTANT_NONE;
	}
	mutex_unlock(&rf_arm_lock);
}

static bool mutant(const struct qlfs_sb_info *sbi, int m)
{
	return sbi->test.rf_mutant == m;
}

struct fsync_inode {
	struct list_head list;
	u32 ino;
	u32 last_blkaddr; /* its last FSYNC-marked block; 0 once passed */
	u32 last_dentry;  /* its last DENTRY-marked inode block (made ones) */
	struct inode *inode;
	bool inode_block; /* an inode block of it was recovered */
	bool made;	  /* made again from a DENTRY-marked block */
	bool drop;	  /* made, but its entry could not be: freed again */
};

static const struct qlfs_node_footer *footer(const void *blk)
{
	return (const void *)((const u8 *)blk +
			      __builtin_offsetof(struct qlfs_inode, footer));
}

static u32 ofs_of(const void *blk)
{
	return le32_to_cpu(footer(blk)->flag) >> OFFSET_BIT_SHIFT;
}

static bool marked(const void *blk, int bit)
{
	return le32_to_cpu(footer(blk)->flag) & (1u << bit);
}

/* The first file block a direct node at offset @ofs maps; false for an
 * indirect node or an offset out of range. */
static bool dnode_start(u32 ofs, u64 *start)
{
	const u64 d = ADDRS_PER_BLOCK, i1 = ADDRS_PER_INODE + 2 * d, i2 = i1 + d * d,
		  di = i2 + d * d;

	if (ofs == NODE_OFS_DIR1 || ofs == NODE_OFS_DIR2) {
		*start = ADDRS_PER_INODE + (ofs - NODE_OFS_DIR1) * d;
		return true;
	}
	if (ofs > NODE_OFS_IND1 && ofs < NODE_OFS_IND2) {
		*start = i1 + (ofs - NODE_OFS_IND1 - 1) * d;
		return true;
	}
	if (ofs > NODE_OFS_IND2 && ofs < NODE_OFS_DIND) {
		*start = i2 + (ofs - NODE_OFS_IND2 - 1) * d;
		return true;
	}
	if (ofs > NODE_OFS_DIND) {
		u32 rel = ofs - NODE_OFS_DIND - 1, k = rel / (NIDS_PER_BLOCK + 1),
		    j = rel % (NIDS_PER_BLOCK + 1);

		if (!j || k >= NIDS_PER_BLOCK)
			return false; /* an indirect node, or past the tree */
		*start = di + (u64)k * d * d + (u64)(j - 1) * d;
		return true;
	}
	return false;
}

/* A block of the chain: written since the checkpoint, sound. */
static bool recoverable(struct qlfs_sb_info *sbi, const void *blk, u32 addr)
{
	const struct qlfs_node_footer *f = footer(blk);
	u32 nid = le32_to_cpu(f->nid), ino = le32_to_cpu(f->ino);

	return qlfs_block_csum_ok(blk, addr) && f->cp_ver == qlfs_node_cp_ver(sbi) &&
	       nid >= QLFS_ROOT_INO && nid < sbi->l.max_nid && ino >= QLFS_ROOT_INO &&
	       ino < sbi->l.max_nid;
}

struct rf {
	struct qlfs_sb_info *sbi;
	struct list_head head;
	struct list_head dirs;	   /* parents of made entries (F2FS's dir_list) */
	unsigned long *held;	   /* segments kept out of allocation */
	unsigned long *chain_segs; /* segments the chain runs through */
	unsigned long *used_segs;  /* and those holding recovered blocks */
	u64 max_steps;		   /* blocks writable since the checkpoint */
	u8 *blk;
};

struct chain {
	struct rf *rf;
	u32 addr;
	u64 steps, power; /* Brent's cycle detection: */
	u32 mark;	  /* the block seen at the last power of two */
};

static void chain_start(struct chain *c, struct rf *rf)
{
	struct qlfs_sb_info *sbi = rf->sbi;
	const struct qlfs_checkpoint *cp = sbi->ckpt;
	u32 seg = le32_to_cpu(cp->cur_node_segno[CURSEG_WARM_NODE - CURSEG_HOT_NODE]);
	u32 off = le16_to_cpu(cp->cur_node_blkoff[CURSEG_WARM_NODE - CURSEG_HOT_NODE]);

	c->rf = rf;
	c->steps = 0;
	c->power = 1;
	c->mark = NULL_ADDR;
	c->addr = off < sbi->l.bps ? qlfs_seg_blkaddr(&sbi->l, seg) + off : NULL_ADDR;
}

/*
 * The next block of the chain into rf->blk; false at its end. A chain is
 * at most as long as the blocks that were free at the checkpoint (only
 * those can have been written since, QM3); a looped one (a forged disk)
 * ends as soon as Brent's algorithm sees a block again, a few times the
 * loop's length after entering it, without reading anything twice.
 */
static bool chain_next(struct chain *c, bool first)
{
	struct qlfs_sb_info *sbi = c->rf->sbi;

	if (!first) {
		u32 next = le32_to_cpu(footer(c->rf->blk)->next_blkaddr);

		if (next == c->addr || next == c->mark) {
			qlfs_msg(sbi, "roll-forward: the node chain loops at block %u",
				 next);
			return false;
		}
		if (c->steps == c->power) {
			c->mark = c->addr;
			c->power *= 2;
		}
		c->addr = next;
	}
	if (!qlfs_valid_main_blkaddr(sbi, c->addr) || ++c->steps > c->rf->max_steps)
		return false;
	if (qlfs_meta_rw(sbi, REQ_OP_READ, c->addr, c->rf->blk, 1))
		return false;
	return recoverable(sbi, c->rf->blk, c->addr);
}

static struct fsync_inode *find_entry(struct list_head *head, u32 ino)
{
	struct fsync_inode *e;

	list_for_each_entry(e, head, list)
		if (e->ino == ino)
			return e;
	return NULL;
}

/* The inode a marked block names, made again first when it is a new one's
 * DENTRY-marked inode block (F2FS's add_fsync_inode() and
 * f2fs_recover_inode_page()). NULL when the checkpoint has no such inode
 * (cases 5, 7, 8: a later block may still make it). */
static struct fsync_inode *add_fsync_inode(struct rf *rf, u32 ino, bool any_inode_block)
{
	struct qlfs_sb_info *sbi = rf->sbi;
	const u8 *blk = rf->blk;
	struct fsync_inode *e;
	struct inode *inode;
	bool made = false;
	int err;

	/* only a regular file is rolled forward (file.c): another type in a
	 * DENTRY-marked block is a forged one, and is not made */
	if (!ofs_of(blk) && (marked(blk, DENT_BIT_SHIFT) || any_inode_block) &&
	    S_ISREG(le16_to_cpu(((const struct qlfs_inode *)blk)->i_mode))) {
		qlfs_lock_op(sbi);
		err = qlfs_recover_inode_page(sbi, ino, (const void *)blk);
		qlfs_unlock_op(sbi);
		if (!err)
			made = true;
		else if (err != -EEXIST) /* -EEXIST: the checkpoint has it after all */
			qlfs_msg(sbi, "roll-forward: inode %u cannot be made again: %s",
				 ino, errname(err));
	}
	inode = qlfs_iget(sbi->sb, ino);
	if (PTR_ERR(inode) == -ENOENT &&
	    !mutant(sbi, QLFS_RF_MUTANT_GIVE_UP_ON_MISSING_INODE))
		return NULL;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e) {
		if (!IS_ERR(inode))
			iput(inode);
		return ERR_PTR(-ENOMEM);
	}
	e->ino = ino;
	e->made = made;
	list_add_tail(&e->list, &rf->head);
	if (IS_ERR(inode)) {
		if (PTR_ERR(inode) != -ENOENT)
			qlfs_msg(sbi, "roll-forward: inode %u: %s; not recovered", ino,
				 errname(PTR_ERR(inode)));
		return e; /* no inode: its blocks are passed over */
	}
	if (!S_ISREG(inode->i_mode)) {
		iput(inode);
		return e;
	}
	e->inode = inode;
	return e;
}

/* Pass 1 (F2FS's find_fsync_dnodes). */
static int find_fsync_dnodes(struct rf *rf)
{
	struct qlfs_sb_info *sbi = rf->sbi;
	const u8 *blk = rf->blk;
	struct chain c;

	chain_start(&c, rf);
	for (bool first = true; chain_next(&c, first); first = false) {
		u32 segno = qlfs_segno(sbi, c.addr), ino = le32_to_cpu(footer(blk)->ino);
		bool any = mutant(sbi, QLFS_RF_MUTANT_MAKE_FROM_UNMARKED_INODE);
		struct fsync_inode *e;

		qlfs_bm_set(rf->chain_segs, segno);
		qlfs_bm_set(rf->used_segs, segno);
		if (!qlfs_bm_test(rf->held, segno) && qlfs_hold_segment(sbi, segno))
			qlfs_bm_set(rf->held, segno);
		if (!marked(blk, FSYNC_BIT_SHIFT) && !(any && !ofs_of(blk)))
			continue;
		e = find_entry(&rf->head, ino);
		if (!e) {
			e = add_fsync_inode(rf, ino, any);
			if (IS_ERR(e))
				return PTR_ERR(e);
			if (!e)
				continue; /* CP | dnode(F) | inode(DF): not yet */
		}
		e->last_blkaddr = c.addr;
		if (e->made && !ofs_of(blk) && marked(blk, DENT_BIT_SHIFT))
			e->last_dentry = c.addr;
	}
	return 0;
}

/* A name from a logged inode block: 1..255 bytes, no '/' or NUL (QL11). */
static bool name_ok(const u8 *name, u32 len)
{
	if (!len || len > QLFS_NAME_LEN)
		return false;
	for (u32 i = 0; i < len; i++)
		if (name[i] == '/' || !name[i])
			return false;
	return true;
}

/*
 * Make the entry of a made inode again in its parent (F2FS's
 * recover_dentry()): an entry of that name for another inode (left by the
 * checkpoint, its file unlinked since) goes first, the link it held with
 * it; one naming a directory is not taken away (fsync checkpoints rather
 * than leave that: file.c), and the inode is then not recovered.
 */
/* The parent @pino, held until every log has left the segments of the
 * checkpoint (F2FS's dir_list): its eviction would write its dirty entry
 * blocks, and a log may not write before recovery has claimed the blocks
 * written after the checkpoint (QR1). */
static struct inode *get_dir(struct rf *rf, u32 pino)
{
	struct fsync_inode *d = find_entry(&rf->dirs, pino);
	struct inode *dir;

	if (d)
		return d->inode;
	dir = qlfs_iget(rf->sbi->sb, pino);
	if (IS_ERR(dir))
		return dir;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d) {
		iput(dir);
		return ERR_PTR(-ENOMEM);
	}
	d->ino = pino;
	d->inode = dir;
	list_add_tail(&d->list, &rf->dirs);
	return dir;
}

static void put_dirs(struct list_head *dirs)
{
	struct fsync_inode *d, *tmp;

	list_for_each_entry_safe(d, tmp, dirs, list) {
		iput(d->inode);
		list_del(&d->list);
		kfree(d);
	}
}

static int recover_dentry(struct rf *rf, struct fsync_inode *e, const u8 *blk)
{
	struct qlfs_sb_info *sbi = rf->sbi;
	const struct qlfs_inode *ri = (const void *)blk;
	u32 pino = le32_to_cpu(ri->i_pino), len = le32_to_cpu(ri->i_namelen);
	struct inode *dir, *einode = NULL;
	struct qlfs_dir_slot res;
	int err;

	if (!name_ok(ri->i_name, len))
		return -EUCLEAN;
	dir = get_dir(rf, pino);
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	if (!S_ISDIR(dir->i_mode))
		return -ENOTDIR;
	/* alone at mount: no i_rwsem (one lockdep class for every inode's,
	 * and s_umount -> i_rwsem would close devtmpfs's lookup i_rwsem ->
	 * super_blocks_lock -> s_umount (sync) into a reported cycle) */
	qlfs_lock_op(sbi);
	err = qlfs_find_entry(dir, ri->i_name, len, &res);
	if (!err && res.ino != e->ino) {
		einode = qlfs_iget(sbi->sb, res.ino);
		if (IS_ERR(einode)) {
			err = PTR_ERR(einode);
			einode = NULL;
		} else if (S_ISDIR(einode->i_mode)) {
			err = -EEXIST;
		} else {
			err = qlfs_delete_entry(dir, &res);
			if (!err && einode->i_nlink) {
				drop_nlink(einode);
				if (!einode->i_nlink)
					err = qlfs_add_orphan_inode(sbi, einode->i_ino);
				qlfs_update_inode(einode);
			}
			if (!err)
				err = -ENOENT; /* the name is free now */
		}
		qlfs_put_dir_slot(&res);
	} else if (!err) {
		qlfs_put_dir_slot(&res); /* there already */
	}
	if (err == -ENOENT) {
		err = qlfs_add_link(dir, ri->i_name, len, e->inode);
		if (!err)
			sbi->dentries_recovered++;
	}
	qlfs_unlock_op(sbi);
	if (err)
		qlfs_msg(sbi,
			 "roll-forward: inode %u: no entry \"%.*s\" in directory %u: %s",
			 e->ino, (int)len, ri->i_name, pino, errname(err));
	if (einode)
		iput(einode); /* freed here if that was its last link */
	return err;
}

/* Copy @n addresses of a logged node into the live tree from file block
 * @start (F2FS's do_recover_data). A data address in a segment of the node
 * chain, or in a node log's segment, is refused (-EUCLEAN): it would mark
 * a node block valid as data. */
static int recover_addrs(struct rf *rf, struct inode *inode, u64 start,
			 const __le32 *addrs, u32 n)
{
	struct qlfs_sb_info *sbi = rf->sbi;
	struct dnode_of_data dn;
	struct qlfs_summary sum;
	u32 base;
	u8 version;
	int err;

	set_new_dnode(&dn, inode, NULL, NULL, 0);
	err = qlfs_get_dnode_of_data(&dn, start, ALLOC_NODE);
	if (err)
		return err;
	base = dn.ofs_in_node;
	version = qlfs_nat_version(sbi, dn.nid);
	for (u32 i = 0; i < n; i++) {
		u32 dest = le32_to_cpu(addrs[i]), cur;

		dn.ofs_in_node = base + i;
		cur = qlfs_data_blkaddr(&dn);
		if (dest == NEW_ADDR)
			dest = NULL_ADDR;
		if (dest == cur)
			continue;
		if (dest != NULL_ADDR) {
			if (!qlfs_valid_main_blkaddr(sbi, dest) ||
			    qlfs_bm_test(rf->chain_segs, qlfs_segno(sbi, dest)))
				err = -EUCLEAN;
			else {
				qlfs_set_summary(&sum, dn.nid, dn.ofs_in_node, version);
				err = qlfs_recover_block(sbi, dest, &sum);
			}
			if (err == -EEXIST) {
				qlfs_msg(
					sbi,
					"roll-forward: inode %lu block %llu: block %u is in use; skipped",
					inode->i_ino, (unsigned long long)(start + i),
					dest);
				err = 0;
				continue;
			}
			if (err == -EUCLEAN)
				qlfs_msg(
					sbi,
					"roll-forward: inode %lu block %llu: block %u is in a node segment",
					inode->i_ino, (unsigned long long)(start + i),
					dest);
			if (err)
				break;
			qlfs_inode_blocks_add(inode, 1);
			qlfs_bm_set(rf->used_segs, qlfs_segno(sbi, dest));
			sbi->fsync_blocks_recovered++;
			/* F2FS: a block past the size extends it (an inode
			 * block later in the chain sets the size it logged) */
			if ((u64)i_size_read(inode) <= (start + i) * QLFS_BLKSIZE)
				i_size_write(inode, (start + i + 1) * QLFS_BLKSIZE);
		}
		if (cur != NULL_ADDR && cur != NEW_ADDR) {
			qlfs_invalidate_block(sbi, cur);
			qlfs_inode_blocks_add(inode, -1);
		}
		qlfs_set_data_blkaddr(&dn, dest);
	}
	dn.ofs_in_node = base;
	qlfs_inode_to_folio(inode, dn.inode_folio);
	qlfs_put_dnode(&dn);
	return err;
}

static s64 ns_of(__le64 sec, __le32 nsec)
{
	u64 s = le64_to_cpu(sec), n = le32_to_cpu(nsec);

	if (s > (u64)LLONG_MAX / 1000000000ULL - 1 || n >= 1000000000ULL)
		return 0;
	return (s64)(s * 1000000000ULL + n);
}

static int recover_block(struct rf *rf, struct fsync_inode *e, const u8 *blk)
{
	struct inode *inode = e->inode;
	u32 ofs = ofs_of(blk);
	u64 start;

	if (!ofs) {
		const struct qlfs_inode *ri = (const void *)blk;

		if ((le16_to_cpu(ri->i_mode) & S_IFMT) != (inode->i_mode & S_IFMT) ||
		    (ri->i_inline & QLFS_INLINE_DATA) ||
		    le64_to_cpu(ri->i_size) > (u64)inode->i_sb->s_maxbytes)
			return -EUCLEAN;
		inode->i_mode = le16_to_cpu(ri->i_mode);
		i_size_write(inode, le64_to_cpu(ri->i_size));
		inode->i_mtime_ns = ns_of(ri->i_mtime, ri->i_mtime_nsec);
		inode->i_ctime_ns = ns_of(ri->i_ctime, ri->i_ctime_nsec);
		/* QI3: fsync logs only a block whose names a checkpoint has */
		if (!(ri->i_advise & QLFS_ADVISE_LOST_PINO))
			clear_bit(QLFS_I_NEED_CP, &QLFS_I(inode)->flags);
		e->inode_block = true;
		return recover_addrs(
			rf, inode, 0,
			(const __le32 *)(blk +
					 __builtin_offsetof(struct qlfs_inode, i_addr)),
			ADDRS_PER_INODE);
	}
	if (!dnode_start(ofs, &start) ||
	    mutant(rf->sbi, QLFS_RF_MUTANT_INODE_BLOCKS_ONLY))
		return 0; /* indirect nodes are not logged by fsync */
	return recover_addrs(rf, inode, start, (const __le32 *)blk,
			     ADDRS_PER_BLOCK); /* addr[] */
}

/* Pass 2 (F2FS's recover_data). */
static int recover_data(struct rf *rf)
{
	const u8 *blk = rf->blk;
	struct chain c;
	int err = 0;

	chain_start(&c, rf);
	for (bool first = true; !err && chain_next(&c, first); first = false) {
		struct fsync_inode *e =
			find_entry(&rf->head, le32_to_cpu(footer(blk)->ino));

		if (!e || !e->inode ||
		    (!e->last_blkaddr &&
		     !mutant(rf->sbi, QLFS_RF_MUTANT_PAST_THE_LAST_MARK)))
			continue;
		if (marked(blk, FSYNC_BIT_SHIFT) ||
		    !mutant(rf->sbi, QLFS_RF_MUTANT_MARKED_BLOCKS_ONLY))
			err = recover_block(rf, e, blk);
		if (!err && e->made && c.addr == e->last_dentry &&
		    !mutant(rf->sbi, QLFS_RF_MUTANT_NO_DENTRY) &&
		    recover_dentry(rf, e, blk))
			e->drop = true;
		if (c.addr == e->last_blkaddr ||
		    (marked(blk, FSYNC_BIT_SHIFT) &&
		     mutant(rf->sbi, QLFS_RF_MUTANT_FIRST_MARK_ONLY)))
			e->last_blkaddr = 0; /* later blocks were not fsynced */
	}
	return err;
}

int qlfs_recover_fsync_data(struct qlfs_sb_info *sbi)
{
	struct rf rf = {.sbi = sbi};
	struct fsync_inode *e, *tmp;
	int err = -ENOMEM;
	u32 n = 0, made = 0;

	take_rf_mutant(sbi);
	INIT_LIST_HEAD(&rf.head);
	INIT_LIST_HEAD(&rf.dirs);
	rf.held = kcalloc(QLFS_BM_LONGS(sbi->l.segs_main), sizeof(long), GFP_KERNEL);
	rf.chain_segs =
		kcalloc(QLFS_BM_LONGS(sbi->l.segs_main), sizeof(long), GFP_KERNEL);
	rf.used_segs = kcalloc(QLFS_BM_LONGS(sbi->l.segs_main), sizeof(long), GFP_KERNEL);
	rf.blk = qlfs_alloc_blocks(0);
	rf.max_steps = (u64)sbi->l.segs_main * sbi->l.bps - sbi->total_valid_block_count;
	if (!rf.held || !rf.chain_segs || !rf.used_segs || !rf.blk)
		goto out;
	err = find_fsync_dnodes(&rf);
	if (err || list_empty(&rf.head))
		goto out;
	err = recover_data(&rf);
	list_for_each_entry(e, &rf.head, list) {
		if (!e->inode)
			continue;
		if (!err && e->made && e->drop) {
			/* no name: freed by its eviction, before the checkpoint */
			qlfs_msg(sbi, "roll-forward: inode %u not recovered", e->ino);
			clear_nlink(e->inode);
			qlfs_update_inode(e->inode);
			iput(e->inode);
			e->inode = NULL;
			continue;
		}
		if (!err && e->inode_block)
			err = qlfs_truncate_blocks(
				e->inode,
				DIV_ROUND_UP(i_size_read(e->inode), QLFS_BLKSIZE));
		if (!err)
			qlfs_update_inode(e->inode);
		n++;
		made += e->made;
	}
	if (!err)
		err = qlfs_move_logs(sbi, rf.used_segs);
	put_dirs(&rf.dirs); /* after the move: their entry blocks may go now */
	if (!err)
		err = qlfs_write_checkpoint(sbi, CP_REASON_RECOVERY);
	if (!err) {
		sbi->fsync_inodes_recovered += n;
		sbi->inodes_made_by_recovery += made;
		pr_info("qlfs(%s): roll-forward: %u inodes (%u made again, %llu entries), %llu blocks recovered\n",
			sbi->disk->disk_name, n, made,
			(unsigned long long)sbi->dentries_recovered,
			(unsigned long long)sbi->fsync_blocks_recovered);
	}
out:
	put_dirs(&rf.dirs);
	list_for_each_entry_safe(e, tmp, &rf.head, list) {
		if (e->inode)
			iput(e->inode);
		list_del(&e->list);
		kfree(e);
	}
	if (rf.held) {
		if (!err) /* the chain is no longer needed: its checkpoint is durable */
			for (u32 s = 0; s < sbi->l.segs_main; s++)
				if (qlfs_bm_test(rf.held, s))
					qlfs_release_segment(sbi, s);
		kfree(rf.held);
	}
	kfree(rf.chain_segs);
	kfree(rf.used_segs);
	qlfs_free_blocks(rf.blk, 0);
	if (err) {
		qlfs_msg(sbi, "roll-forward failed: %s", errname(err));
		qlfs_handle_error(sbi, "roll-forward recovery failed");
	}
	return 0; /* mounted read-only on failure: the checkpoint's state is whole */
}
