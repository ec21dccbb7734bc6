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
 * mark; every node block carries the checkpoint version it was written
 * under and the address of the next block of its log, so the warm node
 * blocks written since the last checkpoint form a chain from the pack's
 * cur_node_blkoff. Recovery walks it twice, as F2FS does:
 *  1. find the inodes with an FSYNC-marked block in the chain and the last
 *     such block of each, keeping the chain's segments out of allocation;
 *  2. walk again and, for each block of those inodes up to their last
 *     marked one, copy the inode's size and times and every data address
 *     into the live tree (a data address found there is made valid in the
 *     SIT with its owner's summary; the one it replaces is invalidated);
 *     a size below the blocks is truncated;
 *  3. move every log to a fresh segment and write a checkpoint; only then
 *     may the chain's segments be reused.
 * Until step 3's checkpoint is durable nothing the previous checkpoint
 * names is overwritten, so a crash during recovery recovers again.
 *
 * The walk stops at the first block that fails its checksum, carries
 * another checkpoint version, names a node out of range or points outside
 * the main area, and after as many steps as the main area has blocks (a
 * looped chain). Only inodes that the checkpoint has are recovered (fsync
 * of a new, renamed or hard-linked file, of a directory, or one whose name
 * must be made again, takes a checkpoint instead: node.c); F2FS also
 * recreates dentries and new inodes, qlfs does not yet.
 *
 * Invariants:
 *  QR1: recovery changes the disk only in SSA blocks of segments that were
 *       free at the checkpoint or in the pack's current segments' summary
 *       copies, until its own checkpoint.
 *
 * Locking: runs alone at mount (s_umount held for write, no other user).
 */
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/list.h>
#include "qlfs_mount.h"

struct fsync_inode {
	struct list_head list;
	u32 ino;
	u32 last_blkaddr; /* its last FSYNC-marked block; 0 once passed */
	struct inode *inode;
	bool inode_block; /* an inode block of it was recovered */
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

struct chain {
	struct qlfs_sb_info *sbi;
	u32 addr;
	u64 steps;
	u8 *blk;
};

static void chain_start(struct chain *c, struct qlfs_sb_info *sbi, u8 *blk)
{
	const struct qlfs_checkpoint *cp = sbi->ckpt;
	u32 seg = le32_to_cpu(cp->cur_node_segno[CURSEG_WARM_NODE - CURSEG_HOT_NODE]);
	u32 off = le16_to_cpu(cp->cur_node_blkoff[CURSEG_WARM_NODE - CURSEG_HOT_NODE]);

	c->sbi = sbi;
	c->blk = blk;
	c->steps = 0;
	c->addr = off < sbi->l.bps ? qlfs_seg_blkaddr(&sbi->l, seg) + off : NULL_ADDR;
}

/* The next block of the chain into c->blk; false at its end. */
static bool chain_next(struct chain *c, bool first)
{
	struct qlfs_sb_info *sbi = c->sbi;

	if (!first) {
		u32 next = le32_to_cpu(footer(c->blk)->next_blkaddr);

		if (next == c->addr)
			return false;
		c->addr = next;
	}
	if (!qlfs_valid_main_blkaddr(sbi, c->addr) ||
	    ++c->steps > (u64)sbi->l.segs_main * sbi->l.bps)
		return false;
	if (qlfs_meta_rw(sbi, REQ_OP_READ, c->addr, c->blk, 1))
		return false;
	return recoverable(sbi, c->blk, c->addr);
}

static struct fsync_inode *find_entry(struct list_head *head, u32 ino)
{
	struct fsync_inode *e;

	list_for_each_entry(e, head, list)
		if (e->ino == ino)
			return e;
	return NULL;
}

/* Pass 1 (F2FS's find_fsync_dnodes). */
static int find_fsync_dnodes(struct qlfs_sb_info *sbi, struct list_head *head,
			     unsigned long *held, u8 *blk)
{
	struct chain c;

	chain_start(&c, sbi, blk);
	for (bool first = true; chain_next(&c, first); first = false) {
		u32 segno = qlfs_segno(sbi, c.addr), ino = le32_to_cpu(footer(blk)->ino);
		struct fsync_inode *e;

		if (!qlfs_bm_test(held, segno) && qlfs_hold_segment(sbi, segno))
			qlfs_bm_set(held, segno);
		if (!(le32_to_cpu(footer(blk)->flag) & (1u << FSYNC_BIT_SHIFT)))
			continue;
		e = find_entry(head, ino);
		if (!e) {
			e = kzalloc(sizeof(*e), GFP_KERNEL);
			if (!e)
				return -ENOMEM;
			e->ino = ino;
			list_add_tail(&e->list, head);
		}
		e->last_blkaddr = c.addr;
	}
	return 0;
}

/* Copy @n addresses of a logged node into the live tree from file block
 * @start (F2FS's do_recover_data). */
static int recover_addrs(struct qlfs_sb_info *sbi, struct inode *inode, u64 start,
			 const __le32 *addrs, u32 n)
{
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
			qlfs_set_summary(&sum, dn.nid, dn.ofs_in_node, version);
			err = qlfs_recover_block(sbi, dest, &sum);
			if (err == -EEXIST) {
				qlfs_msg(
					sbi,
					"roll-forward: inode %lu block %llu: block %u is in use; skipped",
					inode->i_ino, (unsigned long long)(start + i),
					dest);
				err = 0;
				continue;
			}
			if (err)
				break;
			qlfs_inode_blocks_add(inode, 1);
			sbi->fsync_blocks_recovered++;
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

static int recover_block(struct qlfs_sb_info *sbi, struct fsync_inode *e, const u8 *blk)
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
		e->inode_block = true;
		return recover_addrs(
			sbi, inode, 0,
			(const __le32 *)(blk +
					 __builtin_offsetof(struct qlfs_inode, i_addr)),
			ADDRS_PER_INODE);
	}
	if (!dnode_start(ofs, &start))
		return 0; /* indirect nodes are not logged by fsync */
	return recover_addrs(sbi, inode, start, (const __le32 *)blk,
			     ADDRS_PER_BLOCK); /* addr[] */
}

/* Pass 2 (F2FS's recover_data). */
static int recover_data(struct qlfs_sb_info *sbi, struct list_head *head, u8 *blk)
{
	struct chain c;
	int err = 0;

	chain_start(&c, sbi, blk);
	for (bool first = true; !err && chain_next(&c, first); first = false) {
		struct fsync_inode *e = find_entry(head, le32_to_cpu(footer(blk)->ino));

		if (!e || !e->inode || !e->last_blkaddr)
			continue;
		err = recover_block(sbi, e, blk);
		if (c.addr == e->last_blkaddr)
			e->last_blkaddr = 0; /* later blocks were not fsynced */
	}
	return err;
}

int qlfs_recover_fsync_data(struct qlfs_sb_info *sbi)
{
	unsigned long *held =
		kcalloc(QLFS_BM_LONGS(sbi->l.segs_main), sizeof(long), GFP_KERNEL);
	u8 *blk = qlfs_alloc_blocks(0);
	struct fsync_inode *e, *tmp;
	LIST_HEAD(head);
	int err = -ENOMEM;
	u32 n = 0;

	if (!held || !blk)
		goto out;
	err = find_fsync_dnodes(sbi, &head, held, blk);
	if (err || list_empty(&head))
		goto out;
	list_for_each_entry(e, &head, list) {
		struct inode *inode = qlfs_iget(sbi->sb, e->ino);

		if (IS_ERR(inode)) {
			qlfs_msg(sbi, "roll-forward: inode %u: %s; not recovered", e->ino,
				 errname(PTR_ERR(inode)));
			continue;
		}
		if (!S_ISREG(inode->i_mode)) {
			iput(inode);
			continue;
		}
		e->inode = inode;
		n++;
	}
	err = recover_data(sbi, &head, blk);
	list_for_each_entry(e, &head, list) {
		if (!e->inode)
			continue;
		if (!err && e->inode_block)
			err = qlfs_truncate_blocks(
				e->inode,
				DIV_ROUND_UP(i_size_read(e->inode), QLFS_BLKSIZE));
		if (!err)
			qlfs_update_inode(e->inode);
	}
	if (!err)
		err = qlfs_move_all_logs(sbi);
	if (!err)
		err = qlfs_write_checkpoint(sbi, CP_REASON_RECOVERY);
	if (!err) {
		sbi->fsync_inodes_recovered += n;
		pr_info("qlfs(%s): roll-forward: %u inodes, %llu blocks recovered\n",
			sbi->disk->disk_name, n,
			(unsigned long long)sbi->fsync_blocks_recovered);
	}
out:
	list_for_each_entry_safe(e, tmp, &head, list) {
		if (e->inode)
			iput(e->inode);
		list_del(&e->list);
		kfree(e);
	}
	if (held) {
		if (!err) /* the chain is no longer needed: its checkpoint is durable */
			for (u32 s = 0; s < sbi->l.segs_main; s++)
				if (qlfs_bm_test(held, s))
					qlfs_release_segment(sbi, s);
		kfree(held);
	}
	qlfs_free_blocks(blk, 0);
	if (err) {
		qlfs_msg(sbi, "roll-forward failed: %s", errname(err));
		qlfs_handle_error(sbi, "roll-forward recovery failed");
	}
	return 0; /* mounted read-only on failure: the checkpoint's state is whole */
}
