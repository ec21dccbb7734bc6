/*
 * fs/qlfs/node.c - node blocks of a mounted qlfs: the NAT in memory, nid
 * allocation, node folios in the node inode's page cache and their
 * ->writepages, the block map walk and truncation (Linux's
 * fs/f2fs/node.c).
 *
 * Layer: fs (qlfs, the metadata half). Used by: inode.c (inodes are
 * nodes), data.c and file.c (the block map), checkpoint.c, super.c.
 * Provides: qlfs_build/destroy_node_manager(), qlfs_get_nat_entry(),
 * qlfs_alloc_nid(), qlfs_free_node(), qlfs_new_node_folio(),
 * qlfs_get_node_folio(), qlfs_put_node_folio(), qlfs_get_dnode_of_data(),
 * qlfs_put_dnode(), qlfs_data_blkaddr(), qlfs_set_data_blkaddr(),
 * qlfs_reserve_new_block(), qlfs_truncate_blocks(), qlfs_set_summary(),
 * qlfs_nat_version(), qlfs_sync_node_pages(), qlfs_fsync_node_pages(),
 * qlfs_flush_nat_entries().
 *
 * The NAT is kept in memory a block at a time, read on first use (the
 * live copy by the checkpoint's version bitmap, its checksum checked); a
 * changed block is written to its shadow copy at the next checkpoint. A
 * node block is cached in the node inode's mapping at index nid (QM1);
 * reading one checks its checksum and that its footer names that nid and
 * the NAT's ino (QL9, QL4), so a block from elsewhere is never taken for
 * it. Node writeback (QM3) sets PG_writeback on the locked folio (the
 * page is stable from then on: writers wait for writeback), then gives
 * the node a new block in the log of its kind (hot: directories' inodes
 * and direct nodes, warm: other files', cold: indirect nodes), fills the
 * footer (cp_ver, next_blkaddr) and the checksum, and points the NAT
 * entry at the new block; the old block is invalidated. Writeback before
 * the block (F2FS's order): an fsync that waits for every node under
 * writeback after taking its own block then waits for each block before
 * it in the log, so its flush leaves no hole in the roll-forward chain.
 *
 * Invariants:
 *  QN1: a nid in use has a NAT entry with a block address, or NEW_ADDR in
 *       memory for a node created since it was last written (its folio is
 *       then dirty in the node mapping, and one block is reserved for it).
 *  QN2: a freed nid has no folio in the node mapping, NULL_ADDR and a
 *       bumped version in the NAT. qlfs_free_node() changes the entry
 *       holding the nid's folio locked, as every reader of a node locks
 *       it before reading the NAT: none reads the entry half freed.
 *  QN3: a node folio's footer offset is its place in its inode's tree
 *       (docs/qlfs-format.md "Node offsets"), checked on every step of the
 *       block map walk.
 *  QN4: a NAT entry read from the disk is NULL_ADDR or a main-area block;
 *       otherwise the file system is read-only before any checkpoint
 *       (nat_block_check()).
 *
 * Locking: sbi->nat_lock (a spinlock) guards nat_blocks[] entries and
 * contents, dirty_nat_blocks and the node counts; a NAT block is read
 * outside it and installed under it. nid_alloc_mutex serialises nid
 * allocation. Node folios are locked inode first, then an indirect node,
 * then a direct node (QM1's order); ->writepages runs under qlfs_lock_op()
 * (a WB_SYNC_NONE pass skips while a checkpoint holds it).
 */
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include <quire/sched.h>
#include <quire/backing-dev.h>
#include "qlfs_mount.h"

/* ---- NAT ---- */

static u32 nat_bitmap_off(const struct qlfs_sb_info *sbi)
{
	return qlfs_sit_bitmap_bytes(&sbi->l);
}

/*
 * QN4: an entry read from the disk holds no address but NULL_ADDR or one
 * in the main area. NEW_ADDR is a reservation in memory only (QM2): one on
 * the disk would reach the next checkpoint's NAT as if this mount had made
 * it. A block with such an entry stays loaded (each lookup still checks
 * its own node), but the file system turns read-only at once, so no
 * checkpoint writes the forged entry back (fuzz seed 374410821, mutant 16
 * of mutants_orphan: the orphan recovery's checkpoint found it).
 */
static void nat_block_check(struct qlfs_sb_info *sbi, const struct qlfs_nat_block *blk,
			    u32 i)
{
	for (u32 j = 0; j < NAT_ENTRY_PER_BLOCK; j++) {
		u32 nid = i * NAT_ENTRY_PER_BLOCK + j;
		u32 addr = le32_to_cpu(blk->entries[j].block_addr);

		if (nid >= sbi->l.max_nid)
			break;
		if (addr == NULL_ADDR || qlfs_valid_main_blkaddr(sbi, addr))
			continue;
		qlfs_msg(sbi, "NAT block %u: node %u at block %u, outside the main area",
			 i, nid, addr);
		qlfs_handle_error(sbi, "a corrupt NAT entry");
		return;
	}
}

/* NAT block @i, read on first use. */
static struct qlfs_nat_block *nat_block(struct qlfs_sb_info *sbi, u32 i, int *err)
{
	struct qlfs_nat_block *blk;
	u32 addr;
	int copy;

	spin_lock(&sbi->nat_lock);
	blk = sbi->nat_blocks[i];
	copy = qlfs_test_bit(sbi->ckpt->sit_nat_version_bitmap + nat_bitmap_off(sbi), i);
	spin_unlock(&sbi->nat_lock);
	if (blk)
		return blk;
	blk = qlfs_alloc_blocks(0);
	if (!blk) {
		*err = -ENOMEM;
		return NULL;
	}
	addr = qlfs_nat_blkaddr(&sbi->l, i, copy);
	*err = qlfs_meta_rw(sbi, REQ_OP_READ, addr, blk, 1);
	if (!*err && !qlfs_block_csum_ok(blk, addr)) {
		qlfs_msg(sbi, "NAT block %u (copy %d, block %u): bad checksum", i, copy,
			 addr);
		qlfs_handle_error(sbi, "corrupt NAT block");
		*err = -EIO;
	}
	if (*err) {
		qlfs_free_blocks(blk, 0);
		return NULL;
	}
	nat_block_check(sbi, blk, i);
	spin_lock(&sbi->nat_lock);
	if (sbi->nat_blocks[i]) { /* another reader won */
		qlfs_free_blocks(blk, 0);
		blk = sbi->nat_blocks[i];
	} else {
		sbi->nat_blocks[i] = blk;
	}
	spin_unlock(&sbi->nat_lock);
	return blk;
}

/* The entry of @nid, its block loaded; caller holds nat_lock after. */
static struct qlfs_nat_entry *nat_entry_locked(struct qlfs_sb_info *sbi, u32 nid,
					       int *err)
{
	struct qlfs_nat_block *blk = nat_block(sbi, nid / NAT_ENTRY_PER_BLOCK, err);

	if (!blk)
		return NULL;
	spin_lock(&sbi->nat_lock);
	return &blk->entries[nid % NAT_ENTRY_PER_BLOCK];
}

static void nat_mark_dirty(struct qlfs_sb_info *sbi, u32 nid)
{
	qlfs_bm_set(sbi->dirty_nat_blocks, nid / NAT_ENTRY_PER_BLOCK);
	WRITE_ONCE(sbi->s_dirty, true);
}

int qlfs_get_nat_entry(struct qlfs_sb_info *sbi, u32 nid, u32 *ino, u32 *blkaddr,
		       u8 *version)
{
	struct qlfs_nat_entry *ne;
	int err = 0;

	if (nid >= sbi->l.max_nid)
		return -EINVAL;
	ne = nat_entry_locked(sbi, nid, &err);
	if (!ne)
		return err;
	if (ino)
		*ino = le32_to_cpu(ne->ino);
	if (blkaddr)
		*blkaddr = le32_to_cpu(ne->block_addr);
	if (version)
		*version = ne->version;
	spin_unlock(&sbi->nat_lock);
	return 0;
}

static void set_nat_addr(struct qlfs_sb_info *sbi, u32 nid, u32 ino, u32 blkaddr)
{
	int err = 0;
	struct qlfs_nat_entry *ne = nat_entry_locked(sbi, nid, &err);

	if (WARN_ON_ONCE(!ne)) /* the block is loaded: the nid is in use */
		return;
	ne->ino = cpu_to_le32(ino);
	ne->block_addr = cpu_to_le32(blkaddr);
	nat_mark_dirty(sbi, nid);
	spin_unlock(&sbi->nat_lock);
}

u8 qlfs_nat_version(struct qlfs_sb_info *sbi, u32 nid)
{
	u8 v = 0;

	qlfs_get_nat_entry(sbi, nid, NULL, NULL, &v);
	return v;
}

void qlfs_set_summary(struct qlfs_summary *sum, u32 nid, u32 ofs_in_node, u8 version)
{
	sum->nid = cpu_to_le32(nid);
	sum->version = version;
	sum->ofs_in_node = cpu_to_le16(ofs_in_node);
}

int qlfs_alloc_nid(struct qlfs_sb_info *sbi, u32 ino, u32 *nid)
{
	u32 max = sbi->l.max_nid, start, n;
	int err = -ENOSPC;

	mutex_lock(&sbi->nid_alloc_mutex);
	start = sbi->next_free_nid;
	if (start < QLFS_FIRST_FREE_NID || start >= max)
		start = QLFS_FIRST_FREE_NID;
	n = start;
	do {
		struct qlfs_nat_entry *ne = nat_entry_locked(sbi, n, &err);

		if (!ne)
			break;
		if (le32_to_cpu(ne->block_addr) == NULL_ADDR) {
			ne->ino = cpu_to_le32(ino ? ino : n);
			ne->block_addr = cpu_to_le32(NEW_ADDR);
			nat_mark_dirty(sbi, n);
			qlfs_bm_set(sbi->nid_new_map, n); /* RF */
			sbi->total_valid_node_count++;
			spin_unlock(&sbi->nat_lock);
			*nid = n;
			sbi->next_free_nid = n + 1 < max ? n + 1 : QLFS_FIRST_FREE_NID;
			err = 0;
			break;
		}
		spin_unlock(&sbi->nat_lock);
		err = -ENOSPC;
		if (++n >= max)
			n = QLFS_FIRST_FREE_NID;
	} while (n != start);
	mutex_unlock(&sbi->nid_alloc_mutex);
	return err;
}

/* QN2: the folio of a node that goes away leaves the cache. */
static void drop_node_folio(struct qlfs_sb_info *sbi, u32 nid)
{
	struct folio *folio =
		__filemap_get_folio(sbi->node_inode->i_mapping, nid, FGP_LOCK, 0);

	if (IS_ERR(folio))
		return;
	folio_wait_writeback(folio);
	folio_cancel_dirty(folio);
	filemap_remove_folio(folio);
	folio_unlock(folio);
	folio_put(folio);
}

/* The NAT half of qlfs_free_node(). */
static void free_nat_entry(struct qlfs_sb_info *sbi, u32 nid)
{
	struct qlfs_nat_entry *ne;
	u32 addr;
	int err = 0;
	bool low;

	ne = nat_entry_locked(sbi, nid, &err);
	if (!ne)
		return;
	addr = le32_to_cpu(ne->block_addr);
	ne->block_addr = cpu_to_le32(NULL_ADDR);
	ne->ino = 0;
	ne->version++;
	nat_mark_dirty(sbi, nid);
	qlfs_bm_set(sbi->nid_freed_map, nid); /* RF */
	low = !sbi->total_valid_node_count;   /* a checkpoint's count from disk */
	if (!low)
		sbi->total_valid_node_count--;
	spin_unlock(&sbi->nat_lock);
	if (low)
		qlfs_handle_error(sbi, "valid_node_count below the nodes in use");
	if (addr == NEW_ADDR)
		qlfs_release_blocks(sbi, 1);
	else
		qlfs_invalidate_block(sbi, addr);
}

/*
 * QN2, under the nid's folio lock: every reader of a node (a read on
 * demand, read-around, the cleaner's move_node_block() and data_owner(),
 * node writeback) locks the nid's folio, adding it first when it is not
 * cached, before it reads the NAT entry. So the folio is taken locked
 * (made when not cached) and held across the NAT change: a reader waits,
 * finds the folio gone from the mapping, adds its own and reads NULL_ADDR
 * (-ENOENT). Dropped before the NAT change only, a reader in between read
 * the old entry: a NEW_ADDR one (a node never written) called the NAT
 * corrupt and made the file system read-only, an address read the block
 * back into the cache of a free nid (suite qlfs_review4). Without memory
 * for a folio, the cached one is dropped before and after the change
 * (the window stays, narrower).
 */
void qlfs_free_node(struct qlfs_sb_info *sbi, u32 nid)
{
	struct address_space *mapping = sbi->node_inode->i_mapping;
	struct folio *folio = __filemap_get_folio(mapping, nid, FGP_LOCK | FGP_CREAT,
						  __GFP_NORETRY | __GFP_NOWARN);

	if (IS_ERR(folio)) {
		drop_node_folio(sbi, nid);
		free_nat_entry(sbi, nid);
		drop_node_folio(sbi, nid);
		return;
	}
	folio_wait_writeback(folio); /* its NAT move done (write_node_folio()) */
	folio_cancel_dirty(folio);
	free_nat_entry(sbi, nid);
	filemap_remove_folio(folio);
	folio_unlock(folio);
	folio_put(folio);
}

static void clear_rf_maps(struct qlfs_sb_info *sbi);

int qlfs_flush_nat_entries(struct qlfs_sb_info *sbi, u8 *nat_bitmap)
{
	const struct qlfs_layout *l = &sbi->l;
	u8 *blk = qlfs_alloc_blocks(0);
	int err = 0;

	if (!blk)
		return -ENOMEM;
	for (u32 i = 0; i < l->nat_blocks && !err; i++) {
		u32 addr;
		int copy;

		spin_lock(&sbi->nat_lock);
		if (!qlfs_bm_test(sbi->dirty_nat_blocks, i)) {
			spin_unlock(&sbi->nat_lock);
			continue;
		}
		memcpy(blk, sbi->nat_blocks[i], QLFS_BLKSIZE);
		spin_unlock(&sbi->nat_lock);
		for (u32 j = 0; j < NAT_ENTRY_PER_BLOCK; j++) {
			struct qlfs_nat_entry *ne =
				&((struct qlfs_nat_block *)blk)->entries[j];

			/* QM2: every node was written first */
			if (WARN_ON_ONCE(le32_to_cpu(ne->block_addr) == NEW_ADDR)) {
				err = -EIO;
				break;
			}
		}
		if (err)
			break;
		copy = !qlfs_test_bit(nat_bitmap, i);
		addr = qlfs_nat_blkaddr(l, i, copy);
		qlfs_block_seal(blk, addr);
		err = qlfs_meta_rw(sbi, REQ_OP_WRITE, addr, blk, 1);
		if (err)
			break;
		nat_bitmap[i / 8] ^= 1u << (i % 8);
		spin_lock(&sbi->nat_lock);
		qlfs_bm_clear(sbi->dirty_nat_blocks, i);
		spin_unlock(&sbi->nat_lock);
	}
	qlfs_free_blocks(blk, 0);
	if (!err)
		clear_rf_maps(sbi);
	return err;
}

/* ---- node folios ---- */

static u32 node_ofs(const void *node)
{
	const struct qlfs_node_footer *f = (const void *)((const u8 *)node + 4064);

	return le32_to_cpu(f->flag) >> OFFSET_BIT_SHIFT;
}

static struct qlfs_node_footer *footer_of(void *node)
{
	return (void *)((u8 *)node + __builtin_offsetof(struct qlfs_inode, footer));
}

static bool ofs_is_indirect(u32 ofs)
{
	return ofs == NODE_OFS_IND1 || ofs == NODE_OFS_IND2 || ofs == NODE_OFS_DIND ||
	       (ofs > NODE_OFS_DIND &&
		(ofs - NODE_OFS_DIND - 1) % (NIDS_PER_BLOCK + 1) == 0);
}

struct folio *qlfs_new_node_folio(struct qlfs_sb_info *sbi, u32 nid, u32 ino, u32 ofs,
				  bool cold)
{
	struct folio *folio = __filemap_get_folio(sbi->node_inode->i_mapping, nid,
						  FGP_LOCK | FGP_CREAT, GFP_KERNEL);
	struct qlfs_node_footer *f;

	if (IS_ERR(folio))
		return folio;
	folio_wait_writeback(folio);
	memset(folio_address(folio), 0, QLFS_BLKSIZE);
	f = footer_of(folio_address(folio));
	f->nid = cpu_to_le32(nid);
	f->ino = cpu_to_le32(ino);
	f->flag =
		cpu_to_le32(ofs << OFFSET_BIT_SHIFT | (cold ? 1u << COLD_BIT_SHIFT : 0));
	folio_mark_uptodate(folio);
	folio_mark_dirty(folio);
	WRITE_ONCE(sbi->s_dirty, true);
	return folio;
}

/*
 * Does a node block read from the disk hold NEW_ADDR in an address slot
 * where none can be? NEW_ADDR is a reservation in memory (docs/
 * qlfs-format.md, Conventions): a checkpoint writes none (QM2), so only a
 * node written since the current checkpoint (its cp_ver; background
 * writeback may write one before its data, and reclaim may drop the clean
 * folio) may hold one. Taken from an older block it would read as a hole
 * without an error, and freeing it would release a reservation never made
 * (the counts would then disagree with the SIT at the next mount).
 */
static bool node_has_new_addr(struct qlfs_sb_info *sbi, const void *node)
{
	const struct qlfs_inode *ri = node;
	const __le32 *a = node;
	u32 ofs = node_ofs(node), n = ADDRS_PER_BLOCK, i = 0;

	if (ofs_is_indirect(ofs) || ri->footer.cp_ver == qlfs_node_cp_ver(sbi))
		return false;
	if (!ofs) {
		u16 type = le16_to_cpu(ri->i_mode) & S_IFMT;

		if (ri->i_inline & QLFS_INLINE_DATA)
			return false;
		a = (const __le32 *)((const u8 *)node +
				     __builtin_offsetof(struct qlfs_inode, i_addr));
		n = ADDRS_PER_INODE;
		if (type == S_IFCHR || type == S_IFBLK)
			i = 1; /* i_addr[0] is the device number */
	}
	for (; i < n; i++)
		if (a[i] == cpu_to_le32(NEW_ADDR))
			return true;
	return false;
}

/* A node block read into @folio at @addr: its checksum, its footer (@nid
 * of inode @ino), no NEW_ADDR (QL9, QL4). NULL or what is wrong. */
static const char *node_block_invalid(struct qlfs_sb_info *sbi, struct folio *folio,
				      u32 nid, u32 ino, u32 addr)
{
	struct qlfs_node_footer *f = footer_of(folio_address(folio));

	if (!qlfs_block_csum_ok(folio_address(folio), addr))
		return "bad checksum";
	if (le32_to_cpu(f->nid) != nid || le32_to_cpu(f->ino) != ino)
		return "wrong footer";
	if (node_has_new_addr(sbi, folio_address(folio)))
		return "NEW_ADDR on disk";
	return NULL;
}

/*
 * Node read-around: the nodes after @nid (up to QLFS_NODE_RA in all)
 * whose blocks follow @addr on the disk, not cached yet, go into the same
 * read as @nid's: nodes made together get neighbouring nids and are
 * written together in nid order (the node log, a checkpoint's writeback),
 * so the inodes of files made one after the other, or a file's direct
 * nodes, come in with one request instead of one each (the small-file
 * read, a large file's block map). The run stops at the first nid that is
 * cached, free, or elsewhere on the disk: it never costs a second request.
 * Each folio is added locked before its NAT entry is read, so no write of
 * that node can slip between (a node changes only through its folio).
 * Fills @ra with the locked, not uptodate folios; returns how many.
 */
static unsigned int node_ra_collect(struct qlfs_sb_info *sbi, u32 nid, u32 addr,
				    struct folio **ra)
{
	struct address_space *mapping = sbi->node_inode->i_mapping;
	unsigned int n = 0;

	for (u32 i = 1; i < QLFS_NODE_RA && nid + i < sbi->l.max_nid; i++) {
		struct folio *folio = filemap_alloc_folio(
			mapping->gfp_mask | __GFP_NORETRY | __GFP_NOWARN, false);
		u32 a = NULL_ADDR;

		if (!folio)
			break;
		if (filemap_add_folio(mapping, folio, nid + i, mapping->gfp_mask) < 0) {
			folio_put(folio);
			break;
		}
		if (qlfs_get_nat_entry(sbi, nid + i, NULL, &a, NULL) || a != addr + i) {
			filemap_remove_folio(folio);
			folio_unlock(folio);
			folio_put(folio);
			break;
		}
		ra[n++] = folio;
	}
	return n;
}

/* The read-around folios after the read: each checked as a node read on
 * demand is, uptodate when sound, else dropped without a word (nobody asked
 * for it yet: a read on demand reports it); unlocked. */
static void node_ra_finish(struct qlfs_sb_info *sbi, struct folio **ra, unsigned int n,
			   u32 addr, int err)
{
	for (unsigned int i = 0; i < n; i++) {
		struct folio *folio = ra[i];
		u32 ino = 0;

		if (!err && !qlfs_get_nat_entry(sbi, folio->index, &ino, NULL, NULL) &&
		    !node_block_invalid(sbi, folio, folio->index, ino, addr + 1 + i)) {
			folio_mark_uptodate(folio);
		} else {
			filemap_remove_folio(folio);
		}
		folio_unlock(folio);
		folio_put(folio);
	}
	if (n)
		__atomic_add_fetch(&sbi->node_blocks_read_ahead, n, __ATOMIC_RELAXED);
}

struct folio *qlfs_get_node_folio(struct qlfs_sb_info *sbi, u32 nid)
{
	struct folio *folio, *ra[QLFS_NODE_RA - 1];
	const char *bad;
	unsigned int nr_ra = 0, took;
	u32 ino, addr;
	struct bio *bio;
	int err;

	if (nid < QLFS_ROOT_INO || nid >= sbi->l.max_nid) {
		qlfs_handle_error(sbi, "a node id out of range");
		return ERR_PTR(-EIO);
	}
	folio = __filemap_get_folio(sbi->node_inode->i_mapping, nid,
				    FGP_LOCK | FGP_CREAT | FGP_ACCESSED, GFP_KERNEL);
	if (IS_ERR(folio) || folio_test_uptodate(folio))
		return folio;
	err = qlfs_get_nat_entry(sbi, nid, &ino, &addr, NULL);
	if (err)
		goto fail;
	err = -ENOENT;
	if (addr == NULL_ADDR)
		goto fail;
	err = -EIO;
	if (!qlfs_valid_main_blkaddr(sbi, addr)) {
		qlfs_msg(sbi, "node %u: NAT address %u outside the main area", nid, addr);
		qlfs_handle_error(sbi, "corrupt NAT entry");
		goto fail;
	}
	nr_ra = node_ra_collect(sbi, nid, addr, ra);
	bio = qlfs_bio_alloc(sbi, REQ_OP_READ, addr, 1 + nr_ra);
	if (!bio) {
		node_ra_finish(sbi, ra, nr_ra, addr, -ENOMEM);
		err = -ENOMEM;
		goto fail;
	}
	bio_add_page(bio, &folio->page, QLFS_BLKSIZE, 0);
	for (unsigned int i = 0; i < nr_ra; i++)
		if (!bio_add_page(bio, &ra[i]->page, QLFS_BLKSIZE, 0))
			break; /* qlfs_bio_alloc() gave fewer vectors: read alone */
	took = bio->bi_vcnt - 1;
	err = submit_bio_wait(bio);
	node_ra_finish(sbi, ra, took, addr, err);
	node_ra_finish(sbi, ra + took, nr_ra - took, addr, -EIO); /* not read */
	bio_put(bio);
	if (err) {
		qlfs_msg(sbi, "node %u at block %u: read error %s", nid, addr,
			 errname(err));
		goto fail;
	}
	err = -EIO;
	bad = node_block_invalid(sbi, folio, nid, ino, addr);
	if (bad) {
		struct qlfs_node_footer *f = footer_of(folio_address(folio));

		if (!strcmp(bad, "wrong footer"))
			qlfs_msg(sbi,
				 "node %u at block %u: footer names node %u of inode %u",
				 nid, addr, le32_to_cpu(f->nid), le32_to_cpu(f->ino));
		else
			qlfs_msg(sbi, "node %u at block %u: %s", nid, addr, bad);
		qlfs_handle_error(sbi, "corrupt node block");
		goto fail;
	}
	folio_mark_uptodate(folio);
	return folio;
fail:
	filemap_remove_folio(folio);
	folio_unlock(folio);
	folio_put(folio);
	return ERR_PTR(err);
}

void qlfs_put_node_folio(struct folio *folio)
{
	folio_unlock(folio);
	folio_put(folio);
}

/* QM1: a node folio about to change. */
static void node_folio_prepare(struct folio *folio)
{
	folio_wait_writeback(folio);
}

static void node_folio_dirty(struct qlfs_sb_info *sbi, struct folio *folio)
{
	folio_mark_dirty(folio);
	WRITE_ONCE(sbi->s_dirty, true);
}

/* ---- node writeback ---- */

static void node_write_end_io(struct bio *bio)
{
	struct folio *folio = page_folio(bio->bi_io_vec[0].bv_page);
	struct qlfs_sb_info *sbi = bio->bi_private;

	if (bio->bi_status) {
		mapping_set_error(folio->mapping, bio->bi_status);
		WRITE_ONCE(sbi->read_only, true); /* reported by the checkpoint */
	}
	folio_end_writeback(folio);
	bio_put(bio);
}

/* The log a node goes to (F2FS's: indirect nodes cold; the cold bit marks
 * the nodes of non-directories, which are warm). */
static enum qlfs_log node_log(void *node)
{
	u32 flag = le32_to_cpu(footer_of(node)->flag);

	if (ofs_is_indirect(flag >> OFFSET_BIT_SHIFT))
		return CURSEG_COLD_NODE;
	return flag & (1u << COLD_BIT_SHIFT) ? CURSEG_WARM_NODE : CURSEG_HOT_NODE;
}

/* fsync's marked inode block: the file, and its data_addr_gen when fsync
 * waited for the file's data (QF5). */
struct fsync_gen {
	struct inode *inode;
	unsigned long gen;
};

/*
 * Write one locked node folio whose dirty bit writeback_iter() cleared;
 * @marks: the footer's FSYNC/DENTRY bits (fsync), 0 otherwise. With @fg
 * (fsync's marked inode block): if a data address of the file moved since
 * fsync's wait (data_addr_gen no longer fg->gen) once the block is taken,
 * the block goes out without the marks and -EAGAIN is returned (fsync
 * tries again). Checked after the block is taken (QF5B): any node of the
 * file written to the log before this block took its block first, under
 * the same log's curseg lock, so an address it carries that moved after
 * fsync's wait is seen here.
 */
static int write_node_folio(struct qlfs_sb_info *sbi, struct folio *folio,
			    struct writeback_control *wbc, u32 marks,
			    const struct fsync_gen *fg)
{
	u32 nid = folio->index, ino, old, new, next;
	struct qlfs_node_footer *f = footer_of(folio_address(folio));
	struct qlfs_summary sum;
	struct bio *bio;
	u8 version;
	int err;

	err = qlfs_get_nat_entry(sbi, nid, &ino, &old, &version);
	if (err)
		goto redirty;
	if (old == NULL_ADDR) { /* freed meanwhile: nothing to write */
		folio_unlock(folio);
		return 0;
	}
	qlfs_set_summary(&sum, nid, 0, version);
	/* Under writeback before the block is taken (F2FS's
	 * __write_node_page()): an fsync that takes a later block of this log
	 * then waits for this one, and its flush covers it, so the chain
	 * roll-forward walks has no hole before the fsynced inode. */
	folio_start_writeback(folio);
	if (fg && marks && READ_ONCE(sbi->test.fsync_window_bump)) {
		/* the test's data write in the window, once */
		WRITE_ONCE(sbi->test.fsync_window_bump, false);
		__atomic_add_fetch(&QLFS_I(fg->inode)->data_addr_gen, 1,
				   __ATOMIC_RELEASE);
	}
	err = __qlfs_allocate_block(sbi, node_log(folio_address(folio)), old, &sum, &new,
				    &next);
	if (err) {
		folio_end_writeback(folio);
		goto redirty;
	}
	if (fg && marks &&
	    __atomic_load_n(&QLFS_I(fg->inode)->data_addr_gen, __ATOMIC_ACQUIRE) !=
		    fg->gen) {
		marks = 0; /* an ordinary node write; fsync tries again */
		err = -EAGAIN;
	}
	f->cp_ver = qlfs_node_cp_ver(sbi);
	f->next_blkaddr = cpu_to_le32(next);
	f->flag = cpu_to_le32(
		(le32_to_cpu(f->flag) & ~(1u << FSYNC_BIT_SHIFT | 1u << DENT_BIT_SHIFT)) |
		marks);
	qlfs_block_seal(folio_address(folio), new);
	set_nat_addr(sbi, nid, ino, new);
	bio = qlfs_bio_alloc(
		sbi, REQ_OP_WRITE | (wbc->sync_mode == WB_SYNC_ALL ? REQ_SYNC : 0), new,
		1);
	if (!bio) {
		/* the block is taken: write it by hand, synchronously */
		int werr;

		folio_unlock(folio);
		werr = qlfs_meta_rw(sbi, REQ_OP_WRITE, new, folio_address(folio), 1);
		if (werr)
			mapping_set_error(folio->mapping, werr);
		folio_end_writeback(folio);
		return werr ? werr : err;
	}
	bio_add_page(bio, &folio->page, QLFS_BLKSIZE, 0);
	bio->bi_end_io = node_write_end_io;
	bio->bi_private = sbi;
	folio_unlock(folio);
	__atomic_add_fetch(&sbi->node_blocks_written, 1, __ATOMIC_RELAXED);
	submit_bio(bio);
	return err;
redirty:
	folio_redirty_for_writepage(wbc, folio);
	folio_unlock(folio);
	return err;
}

/*
 * F2FS's skip rule for node writeback (f2fs_write_node_pages(),
 * nr_pages_to_skip(sbi, NODE)): the flusher leaves node pages dirty until
 * eight segments' worth have gathered, unless the device is over its dirty
 * limit (dirty_exceeded) or reclaim asks. A node being filled (the inode
 * whose size grows at every write, the direct node taking the next
 * addresses) is changed again at once, and a change waits for the node's
 * writeback (QM1): written early, every write would wait for a node I/O,
 * and the node would be written many times over. Integrity writeback
 * (fsync, sync, the checkpoint) never skips. Counts the dirty tag up to
 * the limit only.
 */
static bool node_writeback_may_wait(struct qlfs_sb_info *sbi,
				    struct address_space *mapping,
				    struct writeback_control *wbc)
{
	unsigned long index = 0, n = 0, limit = 8UL * sbi->l.bps;
	struct bdi_writeback *wb = inode_to_wb(mapping->host);

	if (wbc->sync_mode == WB_SYNC_ALL || wbc->for_reclaim ||
	    (wb && READ_ONCE(wb->dirty_exceeded)))
		return false;
	while (n < limit &&
	       xa_find(&mapping->i_pages, &index, ULONG_MAX, PAGECACHE_TAG_DIRTY)) {
		n++;
		if (++index == 0)
			break;
	}
	if (n >= limit)
		return false;
	wbc->pages_skipped += n;
	return true;
}

static int qlfs_node_writepages(struct address_space *mapping,
				struct writeback_control *wbc)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(mapping->host);
	struct folio *folio = NULL;
	struct blk_plug plug;
	bool cp = sbi->cp_task == current;
	int err = 0;

	if (!mapping_tagged(mapping, PAGECACHE_TAG_DIRTY) &&
	    wbc->sync_mode == WB_SYNC_NONE)
		return 0;
	if (READ_ONCE(sbi->read_only)) {
		wbc->pages_skipped += mapping->nrpages;
		return -EROFS;
	}
	if (!cp && node_writeback_may_wait(sbi, mapping, wbc))
		return 0;
	if (!cp) {
		if (wbc->sync_mode == WB_SYNC_NONE) {
			if (!down_read_trylock(&sbi->cp_rwsem)) {
				wbc->pages_skipped++;
				return 0;
			}
		} else {
			down_read(&sbi->cp_rwsem);
		}
	}
	blk_start_plug(&plug);
	while ((folio = writeback_iter(mapping, wbc, folio, &err)))
		err = write_node_folio(sbi, folio, wbc, 0, NULL);
	blk_finish_plug(&plug);
	if (!cp)
		up_read(&sbi->cp_rwsem);
	return err;
}

static const struct address_space_operations qlfs_node_aops = {
	.writepages = qlfs_node_writepages,
	.dirty_folio = filemap_dirty_folio,
};

int qlfs_sync_node_pages(struct qlfs_sb_info *sbi, struct writeback_control *wbc)
{
	int err = do_writepages(sbi->node_inode->i_mapping, wbc);
	int err2 = filemap_fdatawait_range(sbi->node_inode->i_mapping, 0, LLONG_MAX);

	return err ? err : err2;
}

/* Write @folio (locked by the caller) now if it is dirty, with @marks
 * (and @fg: write_node_folio()). */
static int fsync_write_one(struct qlfs_sb_info *sbi, struct folio *folio, u32 marks,
			   const struct fsync_gen *fg)
{
	struct writeback_control wbc = {.sync_mode = WB_SYNC_ALL, .nr_to_write = 1};

	folio_wait_writeback(folio);
	if (!folio_clear_dirty_for_io(folio)) {
		folio_unlock(folio);
		return 0;
	}
	return write_node_folio(sbi, folio, &wbc, marks, fg); /* unlocks it */
}

/*
 * F2FS's f2fs_fsync_node_pages(): the inode's dirty direct nodes, then its
 * inode block last with the FSYNC mark, all into the warm node log (they
 * are a regular file's) and so onto the chain roll-forward walks
 * (recovery.c); waits for them. The inode block is written even when
 * clean, so the chain always ends in a marked block for this inode; with
 * @dentry (a file made since the last checkpoint, file.c decides) it also
 * carries the DENTRY mark: recovery makes the inode and its entry again
 * from it (i_pino, i_name). An inode roll-forward cannot bring back takes
 * a checkpoint instead: not a regular file, renamed or linked since the
 * last checkpoint or made without a recorded name (QLFS_I_NEED_CP), other
 * than one link.
 */
int qlfs_fsync_node_pages(struct inode *inode, bool dentry)
{
	return qlfs_fsync_node_pages_since(inode, dentry, NULL);
}

/*
 * The same, for an fsync that waited for the file's data when its
 * data_addr_gen was *@gen: the marked inode block is written only if no
 * data address moved since (checked under the inode block's lock, after
 * the direct nodes were written, and again once the block is taken,
 * write_node_folio()): else -EAGAIN, nothing marked (QF5). The second
 * check (QF5B) closes a gap the first leaves: between the first check
 * and the block, a writeback pass that holds a cached direct node (data.c,
 * w->dnode: only that node locked, not the inode's) may move an address
 * in it and a third task (another fsync of the file, node writeback) may
 * write that node to the log ahead of the marked block, which then makes
 * roll-forward take it. Normally the pass cannot: its previous page is
 * in its unsent bio until it set the next address, and fsync waited for
 * that page, so the move came before the first check; but a page whose
 * block could not be taken (qlfs_allocate_block() failed) leaves the node
 * cached with no page in the bio (docs/qlfs.md, fsync).
 */
static int fsync_node_pages(struct inode *inode, bool dentry, const unsigned long *gen,
			    bool op_held);

int qlfs_fsync_node_pages_since(struct inode *inode, bool dentry,
				const unsigned long *gen)
{
	return fsync_node_pages(inode, dentry, gen, false);
}

/*
 * The same with qlfs_lock_op() held by the caller (fsync's last pass,
 * which also holds the file's data_wb_rwsem: file.c). Where a checkpoint
 * is needed instead it returns -EAGAIN: the caller takes it once it has
 * let go of both.
 */
int qlfs_fsync_node_pages_locked(struct inode *inode, bool dentry,
				 const unsigned long *gen)
{
	return fsync_node_pages(inode, dentry, gen, true);
}

static int fsync_node_pages(struct inode *inode, bool dentry, const unsigned long *gen,
			    bool op_held)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	struct address_space *mapping = sbi->node_inode->i_mapping;
	struct folio_batch fbatch;
	struct folio *ifolio;
	pgoff_t index = 0;
	int err = 0;

	if (!S_ISREG(inode->i_mode) || inode->i_nlink != 1 ||
	    test_bit(QLFS_I_NEED_CP, &QLFS_I(inode)->flags))
		return op_held ? -EAGAIN : qlfs_write_checkpoint(sbi, CP_REASON_FSYNC);
	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	if (!op_held)
		qlfs_lock_op(sbi);
	folio_batch_init(&fbatch);
	while (!err && filemap_get_folios_tag(mapping, &index, (pgoff_t)-1,
					      PAGECACHE_TAG_DIRTY, &fbatch)) {
		for (unsigned int i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];
			struct qlfs_node_footer *f;

			if (folio->index == inode->i_ino)
				continue; /* last, below */
			folio_lock(folio);
			f = footer_of(folio_address(folio));
			if (folio->mapping != mapping || !folio_test_uptodate(folio) ||
			    le32_to_cpu(f->ino) != inode->i_ino ||
			    ofs_is_indirect(node_ofs(folio_address(folio)))) {
				folio_unlock(folio);
				continue;
			}
			err = fsync_write_one(sbi, folio, 0, NULL);
			if (err)
				break;
		}
		folio_batch_release(&fbatch);
	}
	if (!err) {
		ifolio = qlfs_get_node_folio(sbi, inode->i_ino);
		if (IS_ERR(ifolio)) {
			err = PTR_ERR(ifolio);
		} else {
			struct fsync_gen fg = {.inode = inode, .gen = gen ? *gen : 0};

			folio_wait_writeback(ifolio);
			/* early: nothing written when it moved already */
			if (gen && __atomic_load_n(&QLFS_I(inode)->data_addr_gen,
						   __ATOMIC_ACQUIRE) != *gen) {
				folio_unlock(ifolio);
				folio_put(ifolio);
				if (!op_held)
					qlfs_unlock_op(sbi);
				return -EAGAIN;
			}
			folio_mark_dirty(ifolio);
			err = fsync_write_one(sbi, ifolio,
					      1u << FSYNC_BIT_SHIFT |
						      (dentry ? 1u << DENT_BIT_SHIFT : 0),
					      gen ? &fg : NULL);
			folio_put(ifolio);
		}
	}
	if (!op_held)
		qlfs_unlock_op(sbi);
	if (!err)
		err = filemap_fdatawait_range(mapping, 0, LLONG_MAX);
	if (!err && READ_ONCE(sbi->read_only))
		err = -EIO;
	return err;
}

static int alloc_rf_maps(struct qlfs_sb_info *sbi);
static void free_rf_maps(struct qlfs_sb_info *sbi);

int qlfs_build_node_manager(struct qlfs_sb_info *sbi)
{
	struct inode *inode;

	sbi->nat_blocks =
		kcalloc(sbi->l.nat_blocks, sizeof(*sbi->nat_blocks), GFP_KERNEL);
	sbi->dirty_nat_blocks =
		kcalloc(QLFS_BM_LONGS(sbi->l.nat_blocks), sizeof(long), GFP_KERNEL);
	if (!sbi->nat_blocks || !sbi->dirty_nat_blocks || alloc_rf_maps(sbi))
		return -ENOMEM;
	inode = new_inode(sbi->sb);
	if (!inode)
		return -ENOMEM;
	inode->i_ino = QLFS_NODE_INO;
	inode->i_mode = S_IFREG;
	inode->i_mapping->a_ops = &qlfs_node_aops;
	inode->i_size = (loff_t)sbi->l.max_nid << QLFS_BLKSIZE_BITS;
	sbi->node_inode = inode;
	return 0;
}

void qlfs_destroy_node_manager(struct qlfs_sb_info *sbi)
{
	if (sbi->nat_blocks)
		for (u32 i = 0; i < sbi->l.nat_blocks; i++)
			qlfs_free_blocks(sbi->nat_blocks[i], 0);
	kfree(sbi->nat_blocks);
	kfree(sbi->dirty_nat_blocks);
	free_rf_maps(sbi);
	sbi->nat_blocks = NULL;
	sbi->dirty_nat_blocks = NULL;
}

/* ---- the block map (F2FS's get_node_path and get_dnode_of_data) ---- */

#define MAX_LEVEL 4

/*
 * Where file block @index lives: @offset[i] is the slot to follow at level
 * i (level 0 is the inode: an i_addr index or, for deeper levels, an
 * i_nid[] slot turned into an index past i_addr), @noffset[i] the node
 * offset of the node at level i. Returns the level of the node holding
 * the address, or -EFBIG.
 */
static int get_node_path(u64 index, u32 offset[MAX_LEVEL], u32 noffset[MAX_LEVEL])
{
	const u64 direct = ADDRS_PER_BLOCK,
		  indirect = (u64)NIDS_PER_BLOCK * ADDRS_PER_BLOCK,
		  dind = (u64)NIDS_PER_BLOCK * indirect;

	noffset[0] = 0;
	if (index < ADDRS_PER_INODE) {
		offset[0] = index;
		return 0;
	}
	index -= ADDRS_PER_INODE;
	for (int d = 0; d < 2; d++) {
		if (index < direct) {
			offset[0] = ADDRS_PER_INODE + NODE_DIR1_BLOCK + d;
			noffset[1] = NODE_OFS_DIR1 + d;
			offset[1] = index;
			return 1;
		}
		index -= direct;
	}
	for (int d = 0; d < 2; d++) {
		if (index < indirect) {
			u32 base = d ? NODE_OFS_IND2 : NODE_OFS_IND1;

			offset[0] = ADDRS_PER_INODE + NODE_IND1_BLOCK + d;
			noffset[1] = base;
			offset[1] = index / ADDRS_PER_BLOCK;
			noffset[2] = base + 1 + offset[1];
			offset[2] = index % ADDRS_PER_BLOCK;
			return 2;
		}
		index -= indirect;
	}
	if (index < dind) {
		offset[0] = ADDRS_PER_INODE + NODE_DIND_BLOCK;
		noffset[1] = NODE_OFS_DIND;
		offset[1] = index / indirect;
		noffset[2] = NODE_OFS_DIND + 1 + offset[1] * (NIDS_PER_BLOCK + 1);
		offset[2] = (index / ADDRS_PER_BLOCK) % NIDS_PER_BLOCK;
		noffset[3] = noffset[2] + 1 + offset[2];
		offset[3] = index % ADDRS_PER_BLOCK;
		return 3;
	}
	return -EFBIG;
}

/* The nid slot @slot of node @node at @level (level 0: the inode's i_nid). */
static __le32 *nid_slot(void *node, int level, u32 slot)
{
	if (!level)
		return (__le32 *)((u8 *)node +
				  __builtin_offsetof(struct qlfs_inode, i_nid)) +
		       (slot - ADDRS_PER_INODE);
	return (__le32 *)node + slot; /* nid[] at 0 */
}

static __le32 *addr_slot(void *node, bool inode, u32 ofs)
{
	if (inode)
		return (__le32 *)((u8 *)node +
				  __builtin_offsetof(struct qlfs_inode, i_addr)) +
		       ofs;
	return (__le32 *)node + ofs; /* addr[] at 0 */
}

/* i_blocks +1 for a new node, written into the locked inode folio. */
static void inode_blocks_in_folio(struct inode *inode, struct folio *ifolio, s64 n)
{
	qlfs_inode_blocks_add(inode, n);
	node_folio_prepare(ifolio);
	((struct qlfs_inode *)folio_address(ifolio))->i_blocks =
		cpu_to_le64(inode->i_blocks >> (QLFS_BLKSIZE_BITS - 9));
	node_folio_dirty(QLFS_I_SB(inode), ifolio);
}

/* A new node under @parent's slot: nid, reservation, folio. */
static struct folio *new_child(struct dnode_of_data *dn, struct folio *parent,
			       __le32 *slot, u32 noffset)
{
	struct inode *inode = dn->inode;
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	struct folio *folio;
	u32 nid;
	int err;

	err = qlfs_reserve_blocks(sbi, 1);
	if (err)
		return ERR_PTR(err);
	err = qlfs_alloc_nid(sbi, inode->i_ino, &nid);
	if (err) {
		qlfs_release_blocks(sbi, 1);
		return ERR_PTR(err);
	}
	folio = qlfs_new_node_folio(sbi, nid, inode->i_ino, noffset,
				    !S_ISDIR(inode->i_mode));
	if (IS_ERR(folio)) {
		qlfs_free_node(sbi, nid); /* releases the reservation */
		return folio;
	}
	node_folio_prepare(parent);
	*slot = cpu_to_le32(nid);
	node_folio_dirty(sbi, parent);
	inode_blocks_in_folio(inode, dn->inode_folio, 1);
	return folio;
}

/*
 * An existing child: read it and check it is the node this place wants.
 * @path holds the nids of its @level ancestors (path[0] the inode), whose
 * folios the walk holds locked: a child naming one of them (a looped tree,
 * only on a forged disk) is refused before its lock is taken, which would
 * wait for ever on our own lock (QN3); so is a node the NAT gives to
 * another inode (two trees naming each other: an ABBA between two walks).
 */
static struct folio *get_child(struct inode *inode, u32 nid, u32 noffset, const u32 *path,
			       int level)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	struct folio *folio;
	struct qlfs_node_footer *f;
	u32 ino = 0;
	int err;

	for (int i = 0; i < level; i++)
		if (path[i] == nid) {
			qlfs_msg(sbi,
				 "inode %lu: node %u at offset %u names its own ancestor",
				 inode->i_ino, nid, noffset);
			qlfs_handle_error(sbi, "corrupt node tree");
			return ERR_PTR(-EIO);
		}
	/* A node of another inode (by the NAT, whose ino its footer must
	 * match) is refused before its lock too: that inode's own walk may
	 * hold it while it waits for ours (two trees naming each other). */
	err = qlfs_get_nat_entry(sbi, nid, &ino, NULL, NULL);
	if (err && err != -EINVAL)
		return ERR_PTR(err);
	if (err || ino != inode->i_ino) {
		qlfs_msg(sbi, "inode %lu: node %u at offset %u belongs to inode %u",
			 inode->i_ino, nid, noffset, err ? 0 : ino);
		qlfs_handle_error(sbi, "corrupt node tree");
		return ERR_PTR(-EIO);
	}
	folio = qlfs_get_node_folio(sbi, nid);
	if (IS_ERR(folio))
		return PTR_ERR(folio) == -ENOENT ? ERR_PTR(-EIO) : folio;
	f = footer_of(folio_address(folio));
	if (le32_to_cpu(f->ino) != inode->i_ino ||
	    node_ofs(folio_address(folio)) != noffset) {
		qlfs_msg(sbi,
			 "inode %lu: node %u has offset %u of inode %u, wanted offset %u",
			 inode->i_ino, nid, node_ofs(folio_address(folio)),
			 le32_to_cpu(f->ino), noffset);
		qlfs_put_node_folio(folio);
		qlfs_handle_error(sbi, "corrupt node tree");
		return ERR_PTR(-EIO);
	}
	return folio;
}

int qlfs_get_dnode_of_data(struct dnode_of_data *dn, pgoff_t index,
			   enum qlfs_dnode_mode mode)
{
	struct inode *inode = dn->inode;
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	u32 offset[MAX_LEVEL], noffset[MAX_LEVEL], path[MAX_LEVEL];
	struct folio *parent, *child = NULL;
	int level, err;

	level = get_node_path(index, offset, noffset);
	if (level < 0)
		return level;
	if (!dn->inode_folio) {
		dn->inode_folio = qlfs_get_node_folio(sbi, inode->i_ino);
		if (IS_ERR(dn->inode_folio)) {
			err = PTR_ERR(dn->inode_folio);
			dn->inode_folio = NULL;
			return err;
		}
	}
	parent = dn->inode_folio;
	path[0] = inode->i_ino;
	for (int i = 1; i <= level; i++) {
		__le32 *slot = nid_slot(folio_address(parent), i - 1, offset[i - 1]);
		u32 nid = le32_to_cpu(*slot);

		if (!nid) {
			err = -ENOENT;
			if (mode != ALLOC_NODE)
				goto fail;
			child = new_child(dn, parent, slot, noffset[i]);
		} else {
			child = get_child(inode, nid, noffset[i], path, i);
		}
		if (IS_ERR(child)) {
			err = PTR_ERR(child);
			goto fail;
		}
		if (parent != dn->inode_folio)
			qlfs_put_node_folio(parent);
		parent = child;
		path[i] = child->index; /* i <= 3 */
	}
	dn->node_folio = parent;
	dn->nid = level ? parent->index : inode->i_ino;
	dn->ofs_in_node = offset[level];
	dn->data_blkaddr = qlfs_data_blkaddr(dn);
	dn->inode_folio_locked = true;
	return 0;
fail:
	if (parent != dn->inode_folio)
		qlfs_put_node_folio(parent);
	qlfs_put_node_folio(dn->inode_folio);
	dn->inode_folio = NULL;
	dn->node_folio = NULL;
	return err;
}

void qlfs_put_dnode(struct dnode_of_data *dn)
{
	if (dn->node_folio && dn->node_folio != dn->inode_folio)
		qlfs_put_node_folio(dn->node_folio);
	if (dn->inode_folio)
		qlfs_put_node_folio(dn->inode_folio);
	dn->node_folio = dn->inode_folio = NULL;
	dn->inode_folio_locked = false;
}

u32 qlfs_data_blkaddr(struct dnode_of_data *dn)
{
	return le32_to_cpu(*addr_slot(folio_address(dn->node_folio),
				      dn->node_folio == dn->inode_folio,
				      dn->ofs_in_node));
}

void qlfs_set_data_blkaddr(struct dnode_of_data *dn, u32 blkaddr)
{
	node_folio_prepare(dn->node_folio);
	*addr_slot(folio_address(dn->node_folio), dn->node_folio == dn->inode_folio,
		   dn->ofs_in_node) = cpu_to_le32(blkaddr);
	node_folio_dirty(QLFS_I_SB(dn->inode), dn->node_folio);
	dn->data_blkaddr = blkaddr;
	if (blkaddr != NULL_ADDR && blkaddr != NEW_ADDR) /* QF5 */
		__atomic_add_fetch(&QLFS_I(dn->inode)->data_addr_gen, 1,
				   __ATOMIC_RELEASE);
}

int qlfs_reserve_new_block(struct dnode_of_data *dn)
{
	int err = qlfs_reserve_blocks(QLFS_I_SB(dn->inode), 1);

	if (err)
		return err;
	qlfs_set_data_blkaddr(dn, NEW_ADDR);
	inode_blocks_in_folio(dn->inode, dn->inode_folio, 1);
	return 0;
}

/* ---- truncation ---- */

/* Free the data addresses [@from, @to) of a locked node folio. Returns
 * how many were freed. */
static u32 free_addrs(struct qlfs_sb_info *sbi, struct folio *folio, bool inode, u32 from,
		      u32 to)
{
	u32 n = 0;

	for (u32 i = from; i < to; i++) {
		__le32 *slot = addr_slot(folio_address(folio), inode, i);
		u32 addr = le32_to_cpu(*slot);

		if (addr == NULL_ADDR)
			continue;
		if (!n)
			node_folio_prepare(folio);
		if (addr == NEW_ADDR)
			qlfs_release_blocks(sbi, 1);
		else
			qlfs_invalidate_block(sbi, addr);
		*slot = 0;
		n++;
	}
	if (n)
		node_folio_dirty(sbi, folio);
	return n;
}

/*
 * Truncate the subtree of node @nid (offset @noffset, depth @depth below
 * it: 0 a direct node) that maps file blocks from @start, keeping blocks
 * before @from. @path: the nids of its @level ancestors (get_child()).
 * Returns blocks freed (data and nodes) or -errno; *gone says whether the
 * node itself was freed (its parent clears the slot).
 */
static s64 truncate_node(struct inode *inode, u32 nid, u32 noffset, int depth, u64 start,
			 u64 from, bool *gone, u32 *path, int level)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	u64 span = ADDRS_PER_BLOCK;
	struct folio *folio;
	s64 freed = 0;

	for (int d = 0; d < depth; d++)
		span *= NIDS_PER_BLOCK;
	*gone = false;
	folio = get_child(inode, nid, noffset, path, level);
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	path[level] = nid;
	if (!depth) {
		freed = free_addrs(sbi, folio, false, from > start ? from - start : 0,
				   ADDRS_PER_BLOCK);
	} else {
		u64 child_span = span / NIDS_PER_BLOCK;

		for (u32 j = 0; j < NIDS_PER_BLOCK; j++) {
			u64 cstart = start + j * child_span;
			__le32 *slot = nid_slot(folio_address(folio), 1, j);
			u32 cnid = le32_to_cpu(*slot), cofs;
			bool cgone;
			s64 n;

			if (!cnid || cstart + child_span <= from)
				continue;
			cofs = depth == 2 ? noffset + 1 + j * (NIDS_PER_BLOCK + 1) :
					    noffset + 1 + j;
			n = truncate_node(inode, cnid, cofs, depth - 1, cstart, from,
					  &cgone, path, level + 1);
			if (n < 0) {
				qlfs_put_node_folio(folio);
				return n;
			}
			freed += n;
			if (cgone) {
				node_folio_prepare(folio);
				*slot = 0;
				node_folio_dirty(sbi, folio);
			}
		}
	}
	qlfs_put_node_folio(folio);
	if (from <= start) {
		qlfs_free_node(sbi, nid);
		*gone = true;
		freed++;
	}
	return freed;
}

int qlfs_truncate_blocks(struct inode *inode, pgoff_t from)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	static const int depth[NIDS_PER_INODE] = {0, 0, 1, 1, 2};
	static const u32 noffset[NIDS_PER_INODE] = {NODE_OFS_DIR1, NODE_OFS_DIR2,
						    NODE_OFS_IND1, NODE_OFS_IND2,
						    NODE_OFS_DIND};
	struct folio *ifolio;
	u64 start = ADDRS_PER_INODE;
	u32 path[MAX_LEVEL] = {inode->i_ino};
	s64 freed;
	int err = 0;

	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	ifolio = qlfs_get_node_folio(sbi, inode->i_ino);
	if (IS_ERR(ifolio))
		return PTR_ERR(ifolio);
	if (((struct qlfs_inode *)folio_address(ifolio))->i_inline & QLFS_INLINE_DATA) {
		freed = 0; /* inline data lives in i_addr[]: the data half's */
		goto out;
	}
	freed = free_addrs(sbi, ifolio, true, (u32)min((u64)from, (u64)ADDRS_PER_INODE),
			   ADDRS_PER_INODE);
	for (int i = 0; i < NIDS_PER_INODE; i++) {
		u64 span = ADDRS_PER_BLOCK;
		__le32 *slot = nid_slot(folio_address(ifolio), 0, ADDRS_PER_INODE + i);
		u32 nid = le32_to_cpu(*slot);
		bool gone;
		s64 n;

		for (int d = 0; d < depth[i]; d++)
			span *= NIDS_PER_BLOCK;
		if (nid && start + span > from) {
			n = truncate_node(inode, nid, noffset[i], depth[i], start, from,
					  &gone, path, 1);
			if (n < 0) {
				err = n;
				break;
			}
			freed += n;
			if (gone) {
				node_folio_prepare(ifolio);
				*slot = 0;
				node_folio_dirty(sbi, ifolio);
			}
		}
		start += span;
	}
out:
	if (freed) {
		qlfs_inode_blocks_add(inode, -freed);
		qlfs_inode_to_folio(inode, ifolio);
		node_folio_dirty(sbi, ifolio);
	}
	qlfs_put_node_folio(ifolio);
	return err;
}

/* ---- RF: what roll-forward of new inodes needs (recovery.c, file.c) ---- */

static int alloc_rf_maps(struct qlfs_sb_info *sbi)
{
	size_t longs = QLFS_BM_LONGS(sbi->l.max_nid);

	sbi->nid_new_map = kcalloc(longs, sizeof(long), GFP_KERNEL);
	sbi->nid_freed_map = kcalloc(longs, sizeof(long), GFP_KERNEL);
	sbi->dir_unstable_map = kcalloc(longs, sizeof(long), GFP_KERNEL);
	return sbi->nid_new_map && sbi->nid_freed_map && sbi->dir_unstable_map ? 0 :
										 -ENOMEM;
}

static void free_rf_maps(struct qlfs_sb_info *sbi)
{
	kfree(sbi->nid_new_map);
	kfree(sbi->nid_freed_map);
	kfree(sbi->dir_unstable_map);
	sbi->nid_new_map = sbi->nid_freed_map = sbi->dir_unstable_map = NULL;
}

/* The checkpoint wrote the NAT (cp_rwsem held for write: no operation
 * runs): every node in use is now the checkpoint's. */
static void clear_rf_maps(struct qlfs_sb_info *sbi)
{
	size_t bytes = QLFS_BM_LONGS(sbi->l.max_nid) * sizeof(long);

	spin_lock(&sbi->nat_lock);
	memset(sbi->nid_new_map, 0, bytes);
	memset(sbi->nid_freed_map, 0, bytes);
	memset(sbi->dir_unstable_map, 0, bytes);
	spin_unlock(&sbi->nat_lock);
}

bool qlfs_nid_checkpointed(struct qlfs_sb_info *sbi, u32 nid)
{
	u32 addr = NULL_ADDR;
	bool fresh;

	if (nid < QLFS_ROOT_INO || nid >= sbi->l.max_nid ||
	    qlfs_get_nat_entry(sbi, nid, NULL, &addr, NULL) || addr == NULL_ADDR ||
	    addr == NEW_ADDR)
		return false;
	spin_lock(&sbi->nat_lock);
	fresh = qlfs_bm_test(sbi->nid_new_map, nid);
	spin_unlock(&sbi->nat_lock);
	return !fresh;
}

bool qlfs_nid_was_free_at_cp(struct qlfs_sb_info *sbi, u32 nid)
{
	bool r;

	if (nid < QLFS_ROOT_INO || nid >= sbi->l.max_nid)
		return false;
	spin_lock(&sbi->nat_lock);
	r = qlfs_bm_test(sbi->nid_new_map, nid) && !qlfs_bm_test(sbi->nid_freed_map, nid);
	spin_unlock(&sbi->nat_lock);
	return r;
}

void qlfs_mark_dir_unstable(struct qlfs_sb_info *sbi, u32 ino)
{
	if (ino >= sbi->l.max_nid)
		return;
	spin_lock(&sbi->nat_lock);
	qlfs_bm_set(sbi->dir_unstable_map, ino);
	spin_unlock(&sbi->nat_lock);
}

bool qlfs_dir_unstable(struct qlfs_sb_info *sbi, u32 ino)
{
	bool r;

	if (ino >= sbi->l.max_nid)
		return true;
	spin_lock(&sbi->nat_lock);
	r = qlfs_bm_test(sbi->dir_unstable_map, ino);
	spin_unlock(&sbi->nat_lock);
	return r;
}

int qlfs_recover_inode_page(struct qlfs_sb_info *sbi, u32 ino,
			    const struct qlfs_inode *raw)
{
	struct qlfs_nat_entry *ne;
	struct qlfs_inode *ri;
	struct folio *folio;
	int err = 0;

	if (ino < QLFS_FIRST_FREE_NID || ino >= sbi->l.max_nid)
		return -EUCLEAN;
	err = qlfs_reserve_blocks(sbi, 1);
	if (err)
		return err;
	mutex_lock(&sbi->nid_alloc_mutex);
	ne = nat_entry_locked(sbi, ino, &err);
	if (!ne) {
		mutex_unlock(&sbi->nid_alloc_mutex);
		qlfs_release_blocks(sbi, 1);
		return err;
	}
	if (le32_to_cpu(ne->block_addr) != NULL_ADDR) {
		spin_unlock(&sbi->nat_lock);
		mutex_unlock(&sbi->nid_alloc_mutex);
		qlfs_release_blocks(sbi, 1);
		return -EEXIST;
	}
	ne->ino = cpu_to_le32(ino);
	ne->block_addr = cpu_to_le32(NEW_ADDR);
	nat_mark_dirty(sbi, ino);
	qlfs_bm_set(sbi->nid_new_map, ino);
	sbi->total_valid_node_count++;
	sbi->total_valid_inode_count++;
	spin_unlock(&sbi->nat_lock);
	mutex_unlock(&sbi->nid_alloc_mutex);

	folio = qlfs_new_node_folio(sbi, ino, ino, 0, !S_ISDIR(le16_to_cpu(raw->i_mode)));
	if (IS_ERR(folio)) {
		qlfs_free_node(sbi, ino); /* releases the reservation */
		spin_lock(&sbi->nat_lock);
		sbi->total_valid_inode_count--;
		spin_unlock(&sbi->nat_lock);
		return PTR_ERR(folio);
	}
	ri = folio_address(folio);
	/* what comes before the addresses, less what recovery rebuilds */
	memcpy(ri, raw, __builtin_offsetof(struct qlfs_inode, i_addr));
	ri->i_inline = 0;
	ri->i_links = cpu_to_le32(1);
	ri->i_size = 0;
	ri->i_blocks = cpu_to_le64(1);
	memset(ri->i_reserved, 0, sizeof(ri->i_reserved));
	folio_mark_dirty(folio);
	qlfs_put_node_folio(folio);
	return 0;
}

int qlfs_write_node_marked(struct qlfs_sb_info *sbi, u32 nid, u32 marks)
{
	struct folio *folio;
	int err;

	qlfs_lock_op(sbi);
	folio = qlfs_get_node_folio(sbi, nid);
	if (IS_ERR(folio)) {
		qlfs_unlock_op(sbi);
		return PTR_ERR(folio);
	}
	folio_wait_writeback(folio);
	folio_mark_dirty(folio);
	err = fsync_write_one(sbi, folio, marks, NULL); /* unlocks it */
	folio_put(folio);
	qlfs_unlock_op(sbi);
	if (!err)
		err = filemap_fdatawait_range(
			sbi->node_inode->i_mapping, (loff_t)nid << PAGE_SHIFT,
			((loff_t)nid << PAGE_SHIFT) + PAGE_SIZE - 1);
	return err;
}

void qlfs_set_inode_name(struct inode *inode, struct inode *dir, const u8 *name, u32 len)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	struct qlfs_inode *ri;
	struct folio *folio;

	if (!len || len > QLFS_NAME_LEN)
		return;
	folio = qlfs_get_node_folio(sbi, inode->i_ino);
	if (IS_ERR(folio))
		return; /* reported; QLFS_I_NEED_CP stays: fsync checkpoints */
	node_folio_prepare(folio);
	ri = folio_address(folio);
	QLFS_I(inode)->i_pino = dir->i_ino;
	ri->i_pino = cpu_to_le32(dir->i_ino);
	ri->i_namelen = cpu_to_le32(len);
	memset(ri->i_name, 0, sizeof(ri->i_name));
	memcpy(ri->i_name, name, len);
	node_folio_dirty(sbi, folio);
	qlfs_put_node_folio(folio);
	clear_bit(QLFS_I_NEED_CP, &QLFS_I(inode)->flags);
}
