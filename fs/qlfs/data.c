/*
 * fs/qlfs/data.c - qlfs's data pages: the address_space_operations of
 * files, symlinks and directories (Linux's fs/f2fs/data.c).
 *
 * Layer: fs (qlfs, the namespace/data half). Used by: the page cache
 * (filemap_read(), generic_perform_write(), do_writepages()), dir.c (a
 * directory's dentry blocks are its data pages), file.c, namei.c (a
 * symlink's body), the checkpoint (qlfs_sync_dirty_data()).
 * Provides: qlfs_file_aops, qlfs_dir_aops, qlfs_data_log(),
 * qlfs_reserve_data_block(), qlfs_sync_dirty_data().
 * Not here: the block map itself (node.c: qlfs_get_dnode_of_data()) and
 * block allocation (segment.c: qlfs_allocate_block()).
 *
 * A data page reaches the disk only through ->writepages (F2FS's
 * f2fs_write_data_pages(); ../shared/reference/f2fs.md "The data
 * writepages path"): each dirty page gets a new block in its temperature's
 * log (out of place, QM3: hot for directories, warm for files), its
 * summary, and the new address in its direct node, which is dirtied (QM1);
 * contiguous blocks go out in one bio, inside a block plug. A hole that is
 * written becomes NEW_ADDR at write_begin (space reserved there, so ENOSPC
 * comes at write(), never at writeback, QM2).
 *
 * Directory pages are dentry blocks: metadata with a checksum seeded by
 * their address (docs/qlfs-format.md). read_folio reads them synchronously
 * and checks the checksum; ->writepages seals it for the new address on
 * the locked page, which stays stable under writeback (QD2 in dir.c).
 *
 * Invariants:
 *  QDA1: a data address read from a dnode is used only if it is NULL_ADDR,
 *       NEW_ADDR or a main-area block (qlfs_valid_main_blkaddr()); else the
 *       read fails with -EIO and the file system goes read-only.
 *  QDA2: a dirty data page has a reserved or real block (NEW_ADDR or an
 *       address) in its dnode from write_begin until truncated; the
 *       reservation and the dirtying happen inside one qlfs_lock_op()
 *       section, so a checkpoint never sees NEW_ADDR without the dirty
 *       page that will replace it (QM2).
 *  QDA3: ->writepages holds qlfs_lock_op() across its page walk (taken
 *       before any folio lock, the lock order of qlfs_mount.h); the
 *       checkpoint's own task passes through it.
 *  QDA4: ->writepages may keep a reference (never a lock) on the direct
 *       node of the page it last wrote and take the next page's address
 *       from it without walking from the inode (whose folio the writer
 *       locks at every page: write_begin's reservation, write_end's size),
 *       but only after locking it and finding it still in the node cache
 *       (a freed node leaves it, QN2) with this inode's footer and offset,
 *       and only for a block already reserved or written (no inode field
 *       changes). Locks are still taken data folio, then node folio.
 *
 * Locking: qlfs_lock_op() (write_begin to write_end, ->writepages) ->
 * the data folio lock -> node folio locks (inside qlfs_get_dnode_of_data()).
 */
#include <quire/trace.h>
#include <quire/bio.h>
#include <quire/blkdev.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include "qlfs_data.h"

enum qlfs_log qlfs_data_log(struct inode *inode)
{
	return S_ISDIR(inode->i_mode) ? CURSEG_HOT_DATA : CURSEG_WARM_DATA;
}

/*
 * The address of file block @index of @inode: NULL_ADDR for a hole (no
 * node on the way either), NEW_ADDR, or a main-area block (QDA1). 0 or
 * -EIO/-ENOMEM. Context: may lock node folios (a data folio may be held).
 */
int qlfs_data_blkaddr_of(struct inode *inode, pgoff_t index, u32 *blkaddr)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	struct dnode_of_data dn;
	int err;

	set_new_dnode(&dn, inode, NULL, NULL, 0);
	err = qlfs_get_dnode_of_data(&dn, index, LOOKUP_NODE);
	if (err == -ENOENT || err == -EFBIG) {
		*blkaddr = NULL_ADDR;
		return 0;
	}
	if (err)
		return err;
	*blkaddr = dn.data_blkaddr;
	qlfs_put_dnode(&dn);
	if (*blkaddr != NULL_ADDR && *blkaddr != NEW_ADDR &&
	    !qlfs_valid_main_blkaddr(sbi, *blkaddr)) {
		qlfs_msg(sbi, "inode %lu block %lu: address %u outside the main area",
			 inode->i_ino, (unsigned long)index, *blkaddr);
		qlfs_handle_error(sbi, "data address out of range");
		return -EIO;
	}
	return 0;
}

int qlfs_reserve_data_block(struct inode *inode, pgoff_t index, u32 *blkaddr)
{
	struct dnode_of_data dn;
	int err;

	set_new_dnode(&dn, inode, NULL, NULL, 0);
	err = qlfs_get_dnode_of_data(&dn, index, ALLOC_NODE);
	if (err)
		return err;
	if (dn.data_blkaddr == NULL_ADDR)
		err = qlfs_reserve_new_block(&dn);
	if (!err && blkaddr)
		*blkaddr = dn.data_blkaddr;
	qlfs_put_dnode(&dn);
	return err;
}

/* ---- reading ---- */

static void zero_folio_uptodate(struct folio *folio)
{
	memset(folio_address(folio), 0, PAGE_SIZE);
	folio_mark_uptodate(folio);
}

static struct bio *data_bio(struct qlfs_sb_info *sbi, blk_opf_t opf, u32 blkaddr,
			    unsigned int nr_vecs)
{
	return qlfs_bio_alloc(sbi, opf, blkaddr, nr_vecs);
}

static void qlfs_read_end_io(struct bio *bio)
{
	for (unsigned int i = 0; i < bio->bi_vcnt; i++) {
		struct folio *folio = page_folio(bio->bi_io_vec[i].bv_page);

		if (!bio->bi_status)
			folio_mark_uptodate(folio);
		folio_unlock(folio);
	}
	bio_put(bio);
}

/* Read block @blkaddr into the locked @folio and wait. 0 or -EIO. */
static int read_block_sync(struct qlfs_sb_info *sbi, struct folio *folio, u32 blkaddr)
{
	struct bio *bio = data_bio(sbi, REQ_OP_READ, blkaddr, 1);
	int err;

	if (!bio)
		return -ENOMEM;
	bio_add_page(bio, &folio->page, PAGE_SIZE, 0);
	err = submit_bio_wait(bio);
	bio_put(bio);
	return err;
}

/* A dentry block: read it now and check its checksum (QL9) before anyone
 * parses it. */
static int read_dentry_block(struct inode *dir, struct folio *folio, u32 blkaddr)
{
	struct qlfs_sb_info *sbi = QLFS_I_SB(dir);
	int err = read_block_sync(sbi, folio, blkaddr);

	if (err)
		return err;
	if (!qlfs_block_csum_ok(folio_address(folio), blkaddr)) {
		qlfs_msg(sbi, "directory %lu block %lu at %u: bad checksum", dir->i_ino,
			 (unsigned long)folio->index, blkaddr);
		qlfs_handle_error(sbi, "directory block checksum");
		return -EIO;
	}
	folio_mark_uptodate(folio);
	return 0;
}

/* ->read_folio: a hole (or a reserved block) reads as zeros; a file's page
 * past i_size too. Unlocks the folio when done. */
static int qlfs_read_folio(struct file *file, struct folio *folio)
{
	struct inode *inode = folio->mapping->host;
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	struct bio *bio;
	u32 blkaddr;
	int err = 0;

	if (!S_ISDIR(inode->i_mode) && folio_pos(folio) >= i_size_read(inode)) {
		zero_folio_uptodate(folio);
		goto out;
	}
	err = qlfs_data_blkaddr_of(inode, folio->index, &blkaddr);
	if (err)
		goto out;
	if (blkaddr == NULL_ADDR || blkaddr == NEW_ADDR) {
		zero_folio_uptodate(folio);
		goto out;
	}
	if (S_ISDIR(inode->i_mode)) {
		err = read_dentry_block(inode, folio, blkaddr);
		goto out;
	}
	bio = data_bio(sbi, REQ_OP_READ, blkaddr, 1);
	if (!bio) {
		err = -ENOMEM;
		goto out;
	}
	bio_add_page(bio, &folio->page, PAGE_SIZE, 0);
	bio->bi_end_io = qlfs_read_end_io;
	submit_bio(bio); /* unlocks the folio */
	return 0;
out:
	folio_unlock(folio);
	return err;
}

/* ->readahead: the batch's folios, contiguous blocks in one bio. A folio
 * whose address cannot be read is left for read_folio to report. */
static void qlfs_readahead(struct readahead_control *rac)
{
	struct inode *inode = rac->mapping->host;
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	struct bio *bio = NULL;
	u32 last = NULL_ADDR;
	struct folio *folio;

	while ((folio = readahead_folio(rac))) {
		u32 blkaddr = NULL_ADDR;

		if (folio_pos(folio) < i_size_read(inode) &&
		    qlfs_data_blkaddr_of(inode, folio->index, &blkaddr)) {
			folio_unlock(folio);
			continue;
		}
		if (blkaddr == NULL_ADDR || blkaddr == NEW_ADDR) {
			zero_folio_uptodate(folio);
			folio_unlock(folio);
			continue;
		}
		if (bio && (blkaddr != last + 1 ||
			    !bio_add_page(bio, &folio->page, PAGE_SIZE, 0))) {
			submit_bio(bio);
			bio = NULL;
		}
		if (!bio) {
			bio = data_bio(sbi, REQ_OP_READ, blkaddr, BIO_MAX_VECS);
			if (!bio) {
				folio_unlock(folio);
				continue;
			}
			bio->bi_end_io = qlfs_read_end_io;
			bio_add_page(bio, &folio->page, PAGE_SIZE, 0);
		}
		last = blkaddr;
	}
	if (bio)
		submit_bio(bio);
}

/* ---- buffered writes ---- */

/*
 * ->write_begin: the folio, locked, with its block reserved (a hole
 * becomes NEW_ADDR: -ENOSPC here when the file system is full), read first
 * when the write covers it partly. Returns with qlfs_lock_op() held
 * (QDA2); write_end releases it.
 */
static int qlfs_write_begin(struct file *file, struct address_space *mapping, loff_t pos,
			    unsigned int len, struct folio **foliop, void **fsdata)
{
	struct inode *inode = mapping->host;
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	pgoff_t index = pos >> PAGE_SHIFT;
	size_t off = pos & (PAGE_SIZE - 1);
	struct folio *folio;
	u32 blkaddr;
	int err;

	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	err = qlfs_balance_fs(sbi); /* clean (gc.c) when free segments run low */
	if (err)
		return err;
	qlfs_lock_op(sbi);
	folio = __filemap_get_folio(mapping, index, FGP_LOCK | FGP_CREAT | FGP_WRITE,
				    mapping->gfp_mask);
	if (IS_ERR(folio)) {
		err = PTR_ERR(folio);
		goto out_unlock_op;
	}
	err = qlfs_reserve_data_block(inode, index, &blkaddr);
	if (err)
		goto out_folio;
	if (!folio_test_uptodate(folio) && len != PAGE_SIZE) {
		if (blkaddr == NEW_ADDR || folio_pos(folio) >= i_size_read(inode)) {
			memset(folio_address(folio), 0, off);
			memset((char *)folio_address(folio) + off + len, 0,
			       PAGE_SIZE - off - len);
		} else if (!qlfs_valid_main_blkaddr(sbi, blkaddr)) {
			qlfs_handle_error(sbi, "data address out of range");
			err = -EIO;
			goto out_folio;
		} else {
			err = read_block_sync(sbi, folio, blkaddr);
			if (err)
				goto out_folio;
			folio_mark_uptodate(folio);
		}
	}
	*foliop = folio;
	return 0;
out_folio:
	folio_unlock(folio);
	folio_put(folio);
out_unlock_op:
	qlfs_unlock_op(sbi);
	return err;
}

/* ->write_end: as simple_write_end; a larger i_size only marks the inode
 * (QLFS_I_SIZE_DIRTY, inode.c QI1), its node folio gets it later; then
 * qlfs_unlock_op(). */
static int qlfs_write_end(struct file *file, struct address_space *mapping, loff_t pos,
			  unsigned int len, unsigned int copied, struct folio *folio,
			  void *fsdata)
{
	struct inode *inode = mapping->host;
	struct qlfs_sb_info *sbi = QLFS_I_SB(inode);
	bool grew = false;

	if (!folio_test_uptodate(folio)) {
		if (copied < len)
			memset((char *)folio_address(folio) + (pos & (PAGE_SIZE - 1)) +
				       copied,
			       0, len - copied);
		folio_mark_uptodate(folio);
	}
	if (copied) {
		spin_lock(&inode->i_lock);
		if (pos + copied > inode->i_size) {
			i_size_write(inode, pos + copied);
			grew = true;
		}
		spin_unlock(&inode->i_lock);
		folio_mark_dirty(folio);
	}
	folio_unlock(folio);
	folio_put(folio);
	if (grew) {
		/* QI1: the node folio gets the size later (the checkpoint,
		 * fsync, ->write_inode, eviction), not one more lock of it a
		 * page; i_size is written before the bit (inode.c reads it
		 * after clearing the bit) */
		smp_mb();
		set_bit(QLFS_I_SIZE_DIRTY, &QLFS_I(inode)->flags);
	}
	if (copied)
		__mark_inode_dirty(inode, I_DIRTY_SYNC); /* mtime, size */
	qlfs_unlock_op(sbi);
	return copied;
}

/* ---- writeback ---- */

struct qlfs_writepage_ctx {
	struct qlfs_sb_info *sbi;
	struct bio *bio;   /* being filled: contiguous blocks */
	struct bio *spare; /* allocated before a block is, so that a block
			    * once allocated always has a bio */
	u32 last_blkaddr;
	blk_opf_t opf;
	/* The direct node of the last page written (referenced, not locked;
	 * QDA4): the next pages it maps are found from it without the walk
	 * from the inode, whose folio the writer locks for every page. */
	struct folio *dnode;
	pgoff_t dnode_start; /* file index of its first address */
	u32 dnode_ofs;	     /* its node offset (footer flag) */
};

static void qlfs_write_end_io(struct bio *bio)
{
	for (unsigned int i = 0; i < bio->bi_vcnt; i++) {
		struct folio *folio = page_folio(bio->bi_io_vec[i].bv_page);

		if (bio->bi_status)
			mapping_set_error(folio->mapping, bio->bi_status);
		folio_end_writeback(folio);
	}
	bio_put(bio);
}

static void submit_write_bio(struct qlfs_writepage_ctx *w)
{
	if (!w->bio)
		return;
	/* F2FS's f2fs_submit_write_bio event */
	trace_event("qlfs_submit_write_bio",
		    "dev = (%u,%u), WRITE, DATA, sector = %llu, size = %u",
		    MAJOR(w->sbi->sb->s_dev), MINOR(w->sbi->sb->s_dev),
		    (unsigned long long)w->bio->bi_iter.bi_sector,
		    w->bio->bi_iter.bi_size);
	submit_bio(w->bio);
	w->bio = NULL;
}

/* Make sure a spare bio is ready (BIO_MAX_VECS, or one vector when memory
 * is short). -ENOMEM: none. */
static int get_spare_bio(struct qlfs_writepage_ctx *w)
{
	if (!w->spare)
		w->spare = bio_alloc(w->sbi->bdev, BIO_MAX_VECS, w->opf, GFP_KERNEL);
	if (!w->spare)
		w->spare = bio_alloc(w->sbi->bdev, 1, w->opf, GFP_KERNEL);
	return w->spare ? 0 : -ENOMEM;
}

/* Add the folio (under writeback, at @blkaddr) to the current bio, or
 * start the spare one when not contiguous or full. */
static void add_to_write_bio(struct qlfs_writepage_ctx *w, struct folio *folio,
			     u32 blkaddr)
{
	if (w->bio && (blkaddr != w->last_blkaddr + 1 ||
		       !bio_add_page(w->bio, &folio->page, PAGE_SIZE, 0)))
		submit_write_bio(w);
	if (!w->bio) {
		w->bio = w->spare;
		w->spare = NULL;
		w->bio->bi_iter.bi_sector = (sector_t)blkaddr
					    << (QLFS_BLKSIZE_BITS - SECTOR_SHIFT);
		w->bio->bi_end_io = qlfs_write_end_io;
		bio_add_page(w->bio, &folio->page, PAGE_SIZE, 0);
	}
	w->last_blkaddr = blkaddr;
}

static u32 footer_ofs(struct folio *node)
{
	const struct qlfs_direct_node *dn = folio_address(node);

	return le32_to_cpu(dn->footer.flag) >> OFFSET_BIT_SHIFT;
}

/* Is the locked cached direct node still @inode's node there (QDA4)? A
 * node freed by truncation left the node cache (QN2): its folio, which
 * we still reference, has no mapping any more. */
static bool cached_dnode_valid(struct qlfs_writepage_ctx *w, struct inode *inode)
{
	struct folio *node = w->dnode;
	const struct qlfs_direct_node *dn = folio_address(node);

	return node->mapping == w->sbi->node_inode->i_mapping &&
	       folio_test_uptodate(node) && le32_to_cpu(dn->footer.ino) == inode->i_ino &&
	       le32_to_cpu(dn->footer.nid) == node->index &&
	       footer_ofs(node) == w->dnode_ofs;
}

static void forget_cached_dnode(struct qlfs_writepage_ctx *w)
{
	if (w->dnode)
		folio_put(w->dnode);
	w->dnode = NULL;
}

/*
 * The dnode of file block @index for writeback, as qlfs_get_dnode_of_data()
 * (ALLOC_NODE) gives it, but from the cached direct node when it maps
 * @index: then only that node is locked (dn->inode_folio NULL), not the
 * inode's folio (F2FS also unlocks the inode page once past it). Only for
 * a block already reserved or written: that changes no inode field.
 */
static int writepage_get_dnode(struct qlfs_writepage_ctx *w, struct inode *inode,
			       pgoff_t index, struct dnode_of_data *dn)
{
	int err;

	if (w->dnode && index >= w->dnode_start &&
	    index - w->dnode_start < ADDRS_PER_BLOCK) {
		folio_lock(w->dnode);
		if (cached_dnode_valid(w, inode)) {
			set_new_dnode(dn, inode, NULL, w->dnode, w->dnode->index);
			dn->ofs_in_node = index - w->dnode_start;
			dn->data_blkaddr = qlfs_data_blkaddr(dn);
			if (dn->data_blkaddr != NULL_ADDR) {
				folio_get(w->dnode); /* qlfs_put_dnode() drops it */
				return 0;
			}
		}
		folio_unlock(w->dnode);
		forget_cached_dnode(w);
	}
	set_new_dnode(dn, inode, NULL, NULL, 0);
	__atomic_fetch_add(&w->sbi->wb_dnode_walks, 1, __ATOMIC_RELAXED);
	err = qlfs_get_dnode_of_data(dn, index, ALLOC_NODE);
	if (err || dn->node_folio == dn->inode_folio)
		return err;
	forget_cached_dnode(w);
	folio_get(dn->node_folio);
	w->dnode = dn->node_folio;
	w->dnode_start = index - dn->ofs_in_node;
	w->dnode_ofs = footer_ofs(dn->node_folio);
	return 0;
}

/* GC part: a page the cleaner moved goes to the cold data log (F2FS's
 * set_cold_data(); gc.c), once. */
static enum qlfs_log gc_data_log(struct inode *inode, struct folio *folio)
{
	if (!qlfs_folio_gc_cold(folio))
		return qlfs_data_log(inode);
	folio->private = NULL;
	return CURSEG_COLD_DATA;
}

static void qlfs_invalidate_folio(struct folio *folio, size_t offset, size_t len)
{
	if (!offset && len == folio_size(folio))
		folio->private = NULL;
}

static bool qlfs_release_folio(struct folio *folio, gfp_t gfp)
{
	folio->private = NULL; /* only the cleaner's cold mark lives there */
	return true;
}

/*
 * Give the locked folio (dirty bit cleared by writeback_iter()) its new
 * block: out of place in its log, the summary, the dnode updated (QM1,
 * QM3); a dentry block is sealed for that address. Unlocks the folio.
 */
static int qlfs_write_data_folio(struct folio *folio, struct writeback_control *wbc,
				 struct qlfs_writepage_ctx *w)
{
	struct inode *inode = folio->mapping->host;
	struct qlfs_sb_info *sbi = w->sbi;
	loff_t isize = i_size_read(inode);
	struct qlfs_summary sum;
	struct dnode_of_data dn;
	u32 new_blkaddr;
	int err;

	if (!S_ISDIR(inode->i_mode)) {
		if (folio_pos(folio) >= isize) { /* truncated meanwhile */
			folio_unlock(folio);
			return 0;
		}
		if (folio_pos(folio) + PAGE_SIZE > isize) /* F2FS: zero the tail */
			memset((char *)folio_address(folio) + (isize & (PAGE_SIZE - 1)),
			       0, PAGE_SIZE - (isize & (PAGE_SIZE - 1)));
	}
	if (READ_ONCE(sbi->read_only)) {
		err = -EROFS;
		goto out_error;
	}
	if (get_spare_bio(w)) {
		/* still dirty: WB_SYNC_ALL retries after reclaim */
		folio_redirty_for_writepage(wbc, folio);
		folio_unlock(folio);
		return -ENOMEM;
	}
	err = writepage_get_dnode(w, inode, folio->index, &dn);
	if (err)
		goto out_error;
	if (WARN_ON_ONCE(dn.data_blkaddr == NULL_ADDR)) { /* QDA2 broken */
		err = qlfs_reserve_new_block(&dn);
		if (err) {
			qlfs_put_dnode(&dn);
			goto out_error;
		}
	}
	qlfs_set_summary(&sum, dn.nid, dn.ofs_in_node, qlfs_nat_version(sbi, dn.nid));
	err = qlfs_allocate_block(sbi, gc_data_log(inode, folio), dn.data_blkaddr, &sum,
				  &new_blkaddr);
	if (err) {
		qlfs_put_dnode(&dn);
		goto out_error;
	}
	if (S_ISDIR(inode->i_mode))
		qlfs_block_seal(folio_address(folio), new_blkaddr);
	/* Under writeback before its address is in the node (QF5): an
	 * fsync that sees the address moved (data_addr_gen) retries, and
	 * one that did not finds this folio in its wait. */
	folio_start_writeback(folio);
	qlfs_set_data_blkaddr(&dn, new_blkaddr);
	qlfs_put_dnode(&dn);
	folio_unlock(folio);
	add_to_write_bio(w, folio, new_blkaddr);
	/* a statistic, bumped by concurrent writers (the flusher, fsync) */
	__atomic_fetch_add(&sbi->data_blocks_written, 1, __ATOMIC_RELAXED);
	return 0;
out_error:
	/* The page stays clean; fsync reports the error once (errseq). */
	mapping_set_error(folio->mapping, err);
	folio_unlock(folio);
	return err;
}

/* ->writepages (F2FS's f2fs_write_data_pages() and
 * f2fs_write_cache_pages()). Context: process; takes qlfs_lock_op(). */
static int qlfs_writepages(struct address_space *mapping, struct writeback_control *wbc)
{
	struct inode *inode = mapping->host;
	struct qlfs_writepage_ctx w = {
		.sbi = QLFS_I_SB(inode),
		.opf = REQ_OP_WRITE | (wbc->sync_mode == WB_SYNC_ALL ? REQ_SYNC : 0),
	};
	struct folio *folio = NULL;
	struct blk_plug plug;
	int err = 0;

	/* Nothing dirty and nobody waits: return at once (F2FS). */
	if (wbc->sync_mode == WB_SYNC_NONE &&
	    !mapping_tagged(mapping, PAGECACHE_TAG_DIRTY))
		return 0;
	/* F2FS's f2fs_writepages event */
	trace_event("qlfs_writepages",
		    "dev = (%u,%u), ino = %lu, %s, nr_to_write %ld, sync_mode %d",
		    MAJOR(inode->i_sb->s_dev), MINOR(inode->i_sb->s_dev),
		    (unsigned long)inode->i_ino, S_ISDIR(inode->i_mode) ? "DIR" : "FILE",
		    wbc->nr_to_write, wbc->sync_mode);
	blk_start_plug(&plug);
	qlfs_lock_op(w.sbi); /* QDA3: before any folio lock */
	/* fsync's last pass excludes us (QF5B, file.c): every bio sent
	 * before we let go, so it never waits for a page in ours */
	down_read(&QLFS_I(inode)->data_wb_rwsem);
	while ((folio = writeback_iter(mapping, wbc, folio, &err)))
		err = qlfs_write_data_folio(folio, wbc, &w);
	submit_write_bio(&w);
	up_read(&QLFS_I(inode)->data_wb_rwsem);
	if (w.spare)
		bio_put(w.spare);
	forget_cached_dnode(&w);
	qlfs_unlock_op(w.sbi);
	blk_finish_plug(&plug);
	return err;
}

/* Write every dirty data page of @sbi's files and directories and wait
 * (the checkpoint's first step; its task passes qlfs_lock_op()). */
int qlfs_sync_dirty_data(struct qlfs_sb_info *sbi)
{
	struct super_block *sb = sbi->sb;
	struct inode *inode, *prev = NULL;
	int err = 0;

	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		struct address_space *mapping = inode->i_mapping;
		int ret;

		if (mapping->a_ops != &qlfs_file_aops && mapping->a_ops != &qlfs_dir_aops)
			continue;
		spin_lock(&inode->i_lock);
		if ((inode->i_state & (I_NEW | I_FREEING | I_WILL_FREE)) ||
		    (!mapping_tagged(mapping, PAGECACHE_TAG_DIRTY) &&
		     !mapping_tagged(mapping, PAGECACHE_TAG_WRITEBACK))) {
			spin_unlock(&inode->i_lock);
			continue;
		}
		atomic_inc(&inode->i_count); /* __iget() */
		spin_unlock(&inode->i_lock);
		spin_unlock(&sb->s_inode_list_lock);
		if (prev)
			iput(prev);
		prev = inode;
		ret = filemap_write_and_wait(mapping);
		if (ret && !err)
			err = ret;
		spin_lock(&sb->s_inode_list_lock);
	}
	spin_unlock(&sb->s_inode_list_lock);
	if (prev)
		iput(prev);
	return err;
}

/* Files and symlinks. */
const struct address_space_operations qlfs_file_aops = {
	.read_folio = qlfs_read_folio,
	.readahead = qlfs_readahead,
	.writepages = qlfs_writepages,
	.write_begin = qlfs_write_begin,
	.write_end = qlfs_write_end,
	.dirty_folio = filemap_dirty_folio,
	.invalidate_folio = qlfs_invalidate_folio, /* GC part: the cold mark */
	.release_folio = qlfs_release_folio,
};

/* Directories: dentry blocks, changed by dir.c (no write_begin). */
const struct address_space_operations qlfs_dir_aops = {
	.read_folio = qlfs_read_folio,
	.writepages = qlfs_writepages,
	.dirty_folio = filemap_dirty_folio,
};
