/*
 * fs/qlfs/segment.c - segments of a mounted qlfs: the SIT in memory, the
 * six logs and their summaries, block allocation, invalidation, prefree,
 * space reservation, SSR (Linux's fs/f2fs/segment.c; cleaning is gc.c).
 *
 * Layer: fs (qlfs, the metadata half). Used by: node.c (node writeback),
 * data.c (data writeback), checkpoint.c, super.c.
 * Provides: qlfs_build/destroy_segment_manager(), qlfs_allocate_block(),
 * __qlfs_allocate_block(), qlfs_invalidate_block(), qlfs_reserve_blocks(),
 * qlfs_release_blocks(), qlfs_valid_main_blkaddr(), qlfs_bio_alloc(),
 * qlfs_balance_fs(), qlfs_gc_counts(), qlfs_read_summary_block(),
 * qlfs_flush_sit_entries(), qlfs_fill_cp_segments(),
 * qlfs_clear_prefree_segments().
 *
 * Mount loads every SIT entry from the live copy of its block (the pack's
 * version bitmap) and checks it (QL9 checksum, QL5 count = bits, no bit
 * past the segment, a known type), then the checkpoint against it (QL8:
 * valid_block_count = the SIT's sum, free_segment_count; QL14: each log's
 * segment has its type and nothing valid at or past its blkoff).
 *
 * Each log appends to its current segment; when the segment is full the
 * log sends the segment's summary block to the SSA (not waiting, QS5) and
 * takes the lowest free segment after it (wrapping). A block rewritten goes to a new place
 * (QM3) and the old one is invalidated; a segment left with no valid block
 * becomes prefree and is free again only after the next checkpoint is
 * durable (qlfs_clear_prefree_segments()).
 *
 * Invariants:
 *  QS1: free_segmap bit s is set iff segment s has no valid block, is not
 *       current and is not prefree; free_segments counts those bits and
 *       prefree_segments the bits of prefree_segmap.
 *  QS2: sentries[s].valid_blocks = the bits of valid_map; their sum over
 *       all segments plus the blocks reserved (NEW_ADDR, new nodes not
 *       yet written) = total_valid_block_count (QM2).
 *  QS3: a log's next_blkoff never passes bps; blocks at or past it are
 *       not valid (QL14), except in an SSR log (curseg->ssr), whose
 *       next_blkoff is its next hole and which a checkpoint records full.
 *  QS4: a block valid at the last durable checkpoint, or valid since
 *       (ckpt_valid_map: an invalidated block's bit is set too), is never
 *       allocated again before the next one (SSR's holes, QM3; a block an
 *       fsync logged is roll-forward's after a cut).
 *  QS5: the SSA block of a segment a log leaves is sent without waiting
 *       (PERF10; it was a synchronous write under the log's lock, in the
 *       middle of writeback). Every reader of the SSA (the cleaner, SSR,
 *       roll-forward's set_summary()) and every checkpoint, before its
 *       pack, waits for all of them (qlfs_wait_summary_writes()), so the
 *       pack's flush covers them and no read sees an old block; a segment
 *       is free again only after a checkpoint, so two writes of one SSA
 *       block are never in flight together. Roll-forward never needed a
 *       segment's SSA block after a cut (fsync did not flush it before
 *       either: set_summary() starts from an empty one when it is missing,
 *       and an old one's other entries name blocks the SIT has invalid).
 *
 * Cleaning is gc.c's: qlfs_balance_fs() runs it before writers dirty
 * more than the free segments can take, and the cleaner reads a victim's
 * summary block here (qlfs_read_summary_block()). SSR (F2FS's adaptive
 * logging): when the free segments are down to the cleaner's reserve, a
 * data log that leaves its segment takes the data segment with the most
 * holes instead (get_ssr_segment()) and writes only into blocks clear in
 * both its valid map and its checkpoint valid map (QS4); a checkpoint
 * records such a log as full (blkoff = bps). A log that finds neither a
 * free segment nor holes makes the file system read-only.
 *
 * Locking: a log's curseg->lock (a mutex: SSR reads an SSA block) ->
 * sbi->sit_lock (a spinlock) for sentries, the segment bitmaps and the
 * counts. The curseg segno changes under both.
 */
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include <quire/bitops.h>
#include "qlfs_mount.h"

u32 qlfs_segno(const struct qlfs_sb_info *sbi, u32 blkaddr)
{
	return (blkaddr - sbi->l.main_blkaddr) >> sbi->l.log_bps;
}

static u32 blkoff_in_seg(const struct qlfs_sb_info *sbi, u32 blkaddr)
{
	return (blkaddr - sbi->l.main_blkaddr) & (sbi->l.bps - 1);
}

bool qlfs_valid_main_blkaddr(const struct qlfs_sb_info *sbi, u32 blkaddr)
{
	return blkaddr >= sbi->l.main_blkaddr &&
	       blkaddr - sbi->l.main_blkaddr < (u64)sbi->l.segs_main * sbi->l.bps;
}

struct bio *qlfs_bio_alloc(struct qlfs_sb_info *sbi, blk_opf_t opf, u32 blkaddr,
			   unsigned int nr_vecs)
{
	struct bio *bio = bio_alloc(sbi->bdev, nr_vecs, opf, GFP_KERNEL);

	if (bio)
		bio->bi_iter.bi_sector = (sector_t)blkaddr
					 << (QLFS_BLKSIZE_BITS - SECTOR_SHIFT);
	return bio;
}

/* Under sit_lock: is @segno a log's current segment? */
static bool is_cur_seg(struct qlfs_sb_info *sbi, u32 segno)
{
	for (int t = 0; t < NR_CURSEG_TYPE; t++)
		if (sbi->curseg[t].segno == segno)
			return true;
	return false;
}

/* ... a current segment of another log than @type? */
static bool is_cur_seg_but(struct qlfs_sb_info *sbi, u32 segno, int type)
{
	for (int t = 0; t < NR_CURSEG_TYPE; t++)
		if (t != type && sbi->curseg[t].segno == segno)
			return true;
	return false;
}

static void mark_sit_dirty(struct qlfs_sb_info *sbi, u32 segno)
{
	qlfs_bm_set(sbi->dirty_sit_blocks, segno / SIT_ENTRY_PER_BLOCK);
	WRITE_ONCE(sbi->s_dirty, true);
}

/* ---- mount ---- */

static const char *sit_entry_invalid(const struct qlfs_sb_info *sbi,
				     const struct qlfs_sit_entry *e)
{
	u16 vb = le16_to_cpu(e->vblocks);
	u32 bits = 0;

	if ((vb >> SIT_VBLOCKS_SHIFT) >= NR_CURSEG_TYPE)
		return "unknown log type";
	for (u32 b = 0; b < QLFS_MAX_BLOCKS_PER_SEG; b++) {
		if (!qlfs_test_bit(e->valid_map, b))
			continue;
		if (b >= sbi->l.bps)
			return "valid bit past the segment";
		bits++;
	}
	if (bits != (vb & SIT_VBLOCKS_MASK))
		return "valid count differs from its bitmap";
	return NULL;
}

static int load_sit(struct qlfs_sb_info *sbi, u64 *sum)
{
	const struct qlfs_layout *l = &sbi->l;
	struct qlfs_sit_block *blk = qlfs_alloc_blocks(0);
	int err = 0;

	if (!blk)
		return -ENOMEM;
	*sum = 0;
	for (u32 i = 0; i < l->sit_blocks && !err; i++) {
		int copy = qlfs_test_bit(sbi->ckpt->sit_nat_version_bitmap, i);
		u32 addr = qlfs_sit_blkaddr(l, i, copy);

		err = qlfs_meta_rw(sbi, REQ_OP_READ, addr, blk, 1);
		if (err) {
			qlfs_msg(sbi, "cannot read SIT block %u: %s", i, errname(err));
			break;
		}
		if (!qlfs_block_csum_ok(blk, addr)) {
			qlfs_msg(sbi, "SIT block %u (copy %d, block %u): bad checksum", i,
				 copy, addr);
			err = -EUCLEAN;
			break;
		}
		for (u32 j = 0; j < SIT_ENTRY_PER_BLOCK; j++) {
			u32 s = i * SIT_ENTRY_PER_BLOCK + j;
			const struct qlfs_sit_entry *e = &blk->entries[j];
			struct qlfs_seg_entry *se;
			const char *why;

			if (s >= l->segs_main)
				break;
			why = sit_entry_invalid(sbi, e);
			if (why) {
				qlfs_msg(sbi, "SIT entry of segment %u: %s", s, why);
				err = -EUCLEAN;
				break;
			}
			se = &sbi->sentries[s];
			se->valid_blocks = le16_to_cpu(e->vblocks) & SIT_VBLOCKS_MASK;
			se->type = le16_to_cpu(e->vblocks) >> SIT_VBLOCKS_SHIFT;
			memcpy(se->valid_map, e->valid_map, SIT_VBLOCK_MAP_SIZE);
			memcpy(se->ckpt_valid_map, e->valid_map, SIT_VBLOCK_MAP_SIZE);
			se->mtime = le64_to_cpu(e->mtime);
			*sum += se->valid_blocks;
		}
	}
	qlfs_free_blocks(blk, 0);
	return err;
}

static u32 cp_segno(const struct qlfs_checkpoint *cp, int t)
{
	return t < 3 ? le32_to_cpu(cp->cur_data_segno[t]) :
		       le32_to_cpu(cp->cur_node_segno[t - 3]);
}

static u32 cp_blkoff(const struct qlfs_checkpoint *cp, int t)
{
	return t < 3 ? le16_to_cpu(cp->cur_data_blkoff[t]) :
		       le16_to_cpu(cp->cur_node_blkoff[t - 3]);
}

int qlfs_build_segment_manager(struct qlfs_sb_info *sbi, const u8 *pack)
{
	const struct qlfs_layout *l = &sbi->l;
	const struct qlfs_checkpoint *cp = sbi->ckpt;
	u32 start_sum = le32_to_cpu(cp->cp_pack_start_sum), free = 0;
	u64 sum;
	int err;

	init_waitqueue_head(&sbi->ssa_wait);
	sbi->sentries = kcalloc(l->segs_main, sizeof(*sbi->sentries), GFP_KERNEL);
	sbi->free_segmap = kcalloc(QLFS_BM_LONGS(l->segs_main), sizeof(long), GFP_KERNEL);
	sbi->prefree_segmap =
		kcalloc(QLFS_BM_LONGS(l->segs_main), sizeof(long), GFP_KERNEL);
	sbi->dirty_sit_blocks =
		kcalloc(QLFS_BM_LONGS(l->sit_blocks), sizeof(long), GFP_KERNEL);
	if (!sbi->sentries || !sbi->free_segmap || !sbi->prefree_segmap ||
	    !sbi->dirty_sit_blocks)
		return -ENOMEM;
	err = load_sit(sbi, &sum);
	if (err)
		return err;
	if (sum != le64_to_cpu(cp->valid_block_count)) {
		qlfs_msg(sbi, "checkpoint says %llu valid blocks, the SIT %llu",
			 (unsigned long long)le64_to_cpu(cp->valid_block_count),
			 (unsigned long long)sum);
		return -EUCLEAN;
	}
	for (int t = 0; t < NR_CURSEG_TYPE; t++) {
		struct qlfs_curseg *c = &sbi->curseg[t];
		struct qlfs_seg_entry *se;

		c->segno = cp_segno(cp, t);
		c->next_blkoff = cp_blkoff(cp, t);
		se = &sbi->sentries[c->segno];
		if (se->type != t) {
			qlfs_msg(sbi, "log %d's segment %u has type %u in the SIT", t,
				 c->segno, se->type);
			return -EUCLEAN;
		}
		for (u32 b = c->next_blkoff; b < l->bps; b++)
			if (qlfs_test_bit(se->valid_map, b)) {
				qlfs_msg(
					sbi,
					"log %d: block %u of segment %u is valid past its blkoff %u",
					t, b, c->segno, c->next_blkoff);
				return -EUCLEAN;
			}
		memcpy(&c->sum, pack + (size_t)(start_sum + t) * QLFS_BLKSIZE,
		       sizeof(c->sum));
	}
	for (u32 s = 0; s < l->segs_main; s++)
		if (!sbi->sentries[s].valid_blocks && !is_cur_seg(sbi, s)) {
			qlfs_bm_set(sbi->free_segmap, s);
			free++;
		}
	if (free != le32_to_cpu(cp->free_segment_count)) {
		qlfs_msg(sbi, "checkpoint says %u free segments, the SIT %u",
			 le32_to_cpu(cp->free_segment_count), free);
		return -EUCLEAN;
	}
	sbi->free_segments = free;
	return 0;
}

void qlfs_destroy_segment_manager(struct qlfs_sb_info *sbi)
{
	/* a failed last checkpoint may leave SSA writes in flight; the last
	 * completion is out of the queue's lock once we have had it */
	if (sbi->sentries) {
		wait_event(sbi->ssa_wait, !atomic_read(&sbi->ssa_writes_inflight));
		spin_lock_irq(&sbi->ssa_wait.lock);
		spin_unlock_irq(&sbi->ssa_wait.lock);
	}
	kfree(sbi->sentries);
	kfree(sbi->free_segmap);
	kfree(sbi->prefree_segmap);
	kfree(sbi->dirty_sit_blocks);
	sbi->sentries = NULL;
	sbi->free_segmap = sbi->prefree_segmap = sbi->dirty_sit_blocks = NULL;
}

/* ---- reservation ---- */

int qlfs_reserve_blocks(struct qlfs_sb_info *sbi, u32 count)
{
	int err = 0;

	spin_lock(&sbi->sit_lock);
	if (READ_ONCE(sbi->read_only))
		err = -EROFS;
	else if (sbi->total_valid_block_count + count > sbi->user_block_count)
		err = -ENOSPC;
	else
		sbi->total_valid_block_count += count;
	spin_unlock(&sbi->sit_lock);
	return err;
}

void qlfs_release_blocks(struct qlfs_sb_info *sbi, u32 count)
{
	spin_lock(&sbi->sit_lock);
	if (WARN_ON_ONCE(sbi->total_valid_block_count < count))
		sbi->total_valid_block_count = 0;
	else
		sbi->total_valid_block_count -= count;
	spin_unlock(&sbi->sit_lock);
}

/* F2FS's f2fs_balance_fs(): clean in the foreground when the free
 * segments no longer cover what is dirty (gc.c, qlfs_gc_needed()). */
int qlfs_balance_fs(struct qlfs_sb_info *sbi)
{
	if (READ_ONCE(sbi->read_only) || READ_ONCE(sbi->test.gc_off) ||
	    !qlfs_gc_needed(sbi))
		return 0;
	return qlfs_gc(sbi, QLFS_FG_GC);
}

/* ---- for the cleaner (gc.c) ---- */

void qlfs_gc_counts(struct qlfs_sb_info *sbi, u32 *free, u32 *prefree)
{
	spin_lock(&sbi->sit_lock);
	*free = sbi->free_segments;
	*prefree = sbi->prefree_segments;
	spin_unlock(&sbi->sit_lock);
}

/* ---- the SSA: a left segment's summary, written asynchronously (QS5) ---- */

static void seal_summary(struct qlfs_sb_info *sbi, int type,
			 struct qlfs_summary_block *sum)
{
	sum->entry_type = qlfs_log_is_node(type) ? SUM_TYPE_NODE : SUM_TYPE_DATA;
}

/* Context: the disk's completion (any): free_pages() may run there. */
static void ssa_write_end_io(struct bio *bio)
{
	struct qlfs_sb_info *sbi = bio->bi_private;
	unsigned long flags;

	if (bio->bi_status)
		WRITE_ONCE(sbi->ssa_write_err, -EIO);
	qlfs_free_blocks(page_address(bio->bi_io_vec[0].bv_page), 0);
	bio_put(bio);
	/* the count falls and the waiters wake under the queue's lock: the
	 * unmount's wait takes that lock before sbi goes */
	spin_lock_irqsave(&sbi->ssa_wait.lock, flags);
	atomic_dec(&sbi->ssa_writes_inflight);
	wake_up_all_locked(&sbi->ssa_wait);
	spin_unlock_irqrestore(&sbi->ssa_wait.lock, flags);
}

int qlfs_wait_summary_writes(struct qlfs_sb_info *sbi)
{
	wait_event(sbi->ssa_wait, !atomic_read(&sbi->ssa_writes_inflight));
	if (READ_ONCE(sbi->ssa_write_err)) {
		qlfs_handle_error(sbi, "cannot write a summary block");
		return -EIO;
	}
	return 0;
}

/*
 * Under c->lock: send the summary of the segment log @type leaves to its
 * SSA block from a copy the completion frees, not waiting (F2FS keeps it
 * in the meta mapping and writes it later).
 */
static int write_summary_async(struct qlfs_sb_info *sbi, int type, u32 segno)
{
	struct qlfs_curseg *c = &sbi->curseg[type];
	u32 ssa = sbi->l.ssa_blkaddr + segno;
	struct qlfs_summary_block *blk;
	struct bio *bio;

	if (READ_ONCE(sbi->ssa_write_err))
		return -EIO;
	blk = qlfs_alloc_blocks(0);
	if (!blk)
		return -ENOMEM;
	bio = qlfs_bio_alloc(sbi, REQ_OP_WRITE, ssa, 1);
	if (!bio) {
		qlfs_free_blocks(blk, 0);
		return -ENOMEM;
	}
	memcpy(blk, &c->sum, sizeof(*blk));
	seal_summary(sbi, type, blk);
	qlfs_block_seal(blk, ssa);
	bio_add_page(bio, virt_to_page(blk), QLFS_BLKSIZE, 0);
	bio->bi_private = sbi;
	bio->bi_end_io = ssa_write_end_io;
	atomic_inc(&sbi->ssa_writes_inflight);
	__atomic_fetch_add(&sbi->ssa_writes, 1, __ATOMIC_RELAXED);
	submit_bio(bio);
	return 0;
}

int qlfs_read_summary_block(struct qlfs_sb_info *sbi, u32 segno,
			    struct qlfs_summary_block *sum)
{
	u32 ssa = sbi->l.ssa_blkaddr + segno;
	int err = qlfs_wait_summary_writes(sbi);

	if (!err)
		err = qlfs_meta_rw(sbi, REQ_OP_READ, ssa, sum, 1);
	if (err)
		return err;
	if (!qlfs_block_csum_ok(sum, ssa)) {
		qlfs_msg(sbi, "summary block of segment %u (block %u): bad checksum",
			 segno, ssa);
		qlfs_handle_error(sbi, "corrupt summary block");
		return -EIO;
	}
	return 0;
}

/* ---- invalidation ---- */

/* Under sit_lock: clear @blkaddr's valid bit. false if it was not valid
 * (the caller reports the corruption outside the lock). */
static bool __invalidate(struct qlfs_sb_info *sbi, u32 blkaddr)
{
	u32 segno = qlfs_segno(sbi, blkaddr), off = blkoff_in_seg(sbi, blkaddr);
	struct qlfs_seg_entry *se = &sbi->sentries[segno];

	if (!qlfs_test_bit(se->valid_map, off) || !se->valid_blocks)
		return false;
	se->valid_map[off / 8] &= ~(1u << (off % 8));
	/* RF: not an SSR hole before the next checkpoint either (F2FS's
	 * update_sit_entry(): "SSR should never reuse block which is
	 * checkpointed or newly invalidated"): an fsync may have logged it,
	 * and roll-forward gives it back to its file after a cut */
	qlfs_set_bit(se->ckpt_valid_map, off);
	se->valid_blocks--;
	se->mtime = qlfs_elapsed_time(sbi);
	mark_sit_dirty(sbi, segno);
	if (!se->valid_blocks && !is_cur_seg(sbi, segno) &&
	    !qlfs_bm_test_and_set(sbi->prefree_segmap, segno))
		sbi->prefree_segments++;
	return true;
}

void qlfs_invalidate_block(struct qlfs_sb_info *sbi, u32 blkaddr)
{
	bool ok;

	if (blkaddr == NULL_ADDR || blkaddr == NEW_ADDR)
		return;
	if (!qlfs_valid_main_blkaddr(sbi, blkaddr)) {
		qlfs_handle_error(sbi, "invalidating a block outside the main area");
		return;
	}
	spin_lock(&sbi->sit_lock);
	ok = __invalidate(sbi, blkaddr);
	if (ok && !WARN_ON_ONCE(!sbi->total_valid_block_count))
		sbi->total_valid_block_count--;
	spin_unlock(&sbi->sit_lock);
	if (!ok)
		qlfs_handle_error(sbi, "invalidating a block the SIT has not valid");
}

bool qlfs_block_valid_in_sit(struct qlfs_sb_info *sbi, u32 blkaddr)
{
	bool v;

	if (!qlfs_valid_main_blkaddr(sbi, blkaddr))
		return false;
	spin_lock(&sbi->sit_lock);
	v = qlfs_test_bit(sbi->sentries[qlfs_segno(sbi, blkaddr)].valid_map,
			  blkoff_in_seg(sbi, blkaddr));
	spin_unlock(&sbi->sit_lock);
	return v;
}

/* ---- SSR (GC part): a data log writing into a dirty segment's holes ---- */

/* Under sit_lock: may block @off of @se take a write by SSR? Only if it is
 * invalid now and was at the last checkpoint (its old contents may still
 * be what that checkpoint names: f2fs.md "Adaptive logging"). */
static bool ssr_hole(struct qlfs_sb_info *sbi, const struct qlfs_seg_entry *se, u32 off)
{
	if (qlfs_test_bit(se->valid_map, off))
		return false;
	return READ_ONCE(sbi->test.gc_fault) == QLFS_GC_FAULT_SSR_NO_CKPT ||
	       !qlfs_test_bit(se->ckpt_valid_map, off);
}

/* Under sit_lock: the first hole of @se at or after @off, or bps. */
static u32 next_ssr_hole(struct qlfs_sb_info *sbi, const struct qlfs_seg_entry *se,
			 u32 off)
{
	while (off < sbi->l.bps && !ssr_hole(sbi, se, off))
		off++;
	return off;
}

/* Under sit_lock: the data segment with the most holes for SSR (F2FS's
 * get_ssr_segment()), not current, not prefree; NULL_SEGNO if none. */
static u32 get_ssr_segment(struct qlfs_sb_info *sbi)
{
	u32 best = NULL_SEGNO, most = 0;

	for (u32 s = 0; s < sbi->l.segs_main; s++) {
		const struct qlfs_seg_entry *se = &sbi->sentries[s];
		u32 holes = 0;

		if (!se->valid_blocks || se->valid_blocks == sbi->l.bps ||
		    qlfs_log_is_node(se->type) || is_cur_seg(sbi, s) ||
		    qlfs_bm_test(sbi->prefree_segmap, s))
			continue;
		for (u32 i = 0; i < sbi->l.bps / 8; i++)
			holes +=
				8 - hweight64(se->valid_map[i] |
					      (READ_ONCE(sbi->test.gc_fault) ==
							       QLFS_GC_FAULT_SSR_NO_CKPT ?
						       0 :
						       se->ckpt_valid_map[i]));
		if (holes > most) {
			most = holes;
			best = s;
		}
	}
	return best;
}

/* Under sit_lock: does data log @type take a dirty segment's holes rather
 * than a free segment? When the free ones are down to the cleaner's
 * reserve (F2FS's need_SSR()), once the mount is done; node logs always
 * take free ones. */
static bool need_ssr(struct qlfs_sb_info *sbi, int type)
{
	/* not during mount's roll-forward: its holes may hold fsynced data
	 * not recovered yet */
	return READ_ONCE(sbi->gc_ssr_on) && !qlfs_log_is_node(type) &&
	       sbi->free_segments <= qlfs_gc_reserve_segs(sbi);
}

/* Log @type (c->lock held, its old summary written) moves to segment
 * @segno for SSR: its summary block is the segment's SSA block. */
static int change_curseg_ssr(struct qlfs_sb_info *sbi, int type, u32 segno)
{
	struct qlfs_curseg *c = &sbi->curseg[type];
	struct qlfs_summary_block *blk = qlfs_alloc_blocks(0);
	int err;

	if (!blk)
		return -ENOMEM;
	err = qlfs_read_summary_block(sbi, segno, blk);
	if (!err) {
		memcpy(&c->sum, blk, sizeof(c->sum));
		spin_lock(&sbi->sit_lock);
		if (sbi->sentries[segno].valid_blocks && !is_cur_seg(sbi, segno) &&
		    !qlfs_log_is_node(sbi->sentries[segno].type)) {
			sbi->sentries[segno].type = type;
			mark_sit_dirty(sbi, segno);
			c->segno = segno;
			c->ssr = true;
			c->next_blkoff = next_ssr_hole(sbi, &sbi->sentries[segno], 0);
		} else {
			err = -EAGAIN; /* changed meanwhile: take a free one */
		}
		spin_unlock(&sbi->sit_lock);
	}
	qlfs_free_blocks(blk, 0);
	if (!err)
		__atomic_fetch_add(&sbi->gc_ssr_segments, 1, __ATOMIC_RELAXED);
	return err;
}

/* The log @type leaves its full segment: its summary to the SSA, then the
 * next free segment. Under c->lock. */
static int new_curseg(struct qlfs_sb_info *sbi, int type)
{
	struct qlfs_curseg *c = &sbi->curseg[type];
	u32 old = c->segno, segs = sbi->l.segs_main;
	u32 s;
	int err;

	err = write_summary_async(sbi, type, old);
	if (err) {
		qlfs_handle_error(sbi, "cannot write a summary block");
		return err;
	}
	spin_lock(&sbi->sit_lock);
	if (!sbi->sentries[old].valid_blocks && !is_cur_seg_but(sbi, old, type) &&
	    !qlfs_bm_test_and_set(sbi->prefree_segmap, old))
		sbi->prefree_segments++; /* an SSR segment may empty while current */
	c->ssr = false;
	if (need_ssr(sbi, type)) {
		u32 v = get_ssr_segment(sbi);

		spin_unlock(&sbi->sit_lock);
		if (v != NULL_SEGNO && !change_curseg_ssr(sbi, type, v))
			return 0;
		spin_lock(&sbi->sit_lock);
	}
	s = qlfs_bm_find_next(sbi->free_segmap, segs, old + 1);
	if (s >= segs)
		s = qlfs_bm_find_next(sbi->free_segmap, segs, 0);
	if (s >= segs) {
		u32 prefree = sbi->prefree_segments;
		u64 valid = sbi->total_valid_block_count;

		spin_unlock(&sbi->sit_lock);
		/*
		 * No free segment for this log: cleaning (qlfs_balance_fs(),
		 * before pages are dirtied) keeps enough free for what is dirty,
		 * so only a file system with too few segments for its six logs
		 * gets here. The page in hand cannot be written, and a
		 * checkpoint now would write its node with NEW_ADDR (QM2) and
		 * counts the SIT does not have. Going read-only keeps the last
		 * checkpoint as the disk's state (what was written since is
		 * lost, and fsync says so).
		 */
		qlfs_msg(sbi, "log %d: no free segment (%u prefree, %llu valid blocks)",
			 type, prefree, (unsigned long long)valid);
		qlfs_handle_error(sbi, "a log found no free segment");
		return -ENOSPC;
	}
	qlfs_bm_clear(sbi->free_segmap, s);
	sbi->free_segments--;
	sbi->sentries[s].type = type;
	sbi->sentries[s].mtime = qlfs_elapsed_time(sbi);
	mark_sit_dirty(sbi, s);
	c->segno = s;
	c->next_blkoff = 0;
	spin_unlock(&sbi->sit_lock);
	memset(&c->sum, 0, sizeof(c->sum));
	seal_summary(sbi, type, &c->sum);
	return 0;
}

int __qlfs_allocate_block(struct qlfs_sb_info *sbi, enum qlfs_log type, u32 old_blkaddr,
			  const struct qlfs_summary *sum, u32 *new_blkaddr,
			  u32 *next_blkaddr)
{
	struct qlfs_curseg *c = &sbi->curseg[type];
	struct qlfs_seg_entry *se;
	bool bad_old = false, twice = false;
	u32 addr, off;
	int err = 0;

	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	if (old_blkaddr != NULL_ADDR && old_blkaddr != NEW_ADDR &&
	    !qlfs_valid_main_blkaddr(sbi, old_blkaddr)) {
		qlfs_handle_error(sbi, "rewriting a block from outside the main area");
		return -EIO;
	}
	mutex_lock(&c->lock);
	if (c->next_blkoff >= sbi->l.bps) {
		err = new_curseg(sbi, type);
		if (err)
			goto out;
	}
	off = c->next_blkoff;
	addr = qlfs_seg_blkaddr(&sbi->l, c->segno) + off;
	c->sum.entries[off] = *sum;
	spin_lock(&sbi->sit_lock);
	se = &sbi->sentries[c->segno];
	if (qlfs_test_bit(se->valid_map, off) || (c->ssr && !ssr_hole(sbi, se, off))) {
		twice = true;
	} else {
		qlfs_set_bit(se->valid_map, off);
		se->valid_blocks++;
		se->mtime = qlfs_elapsed_time(sbi);
		mark_sit_dirty(sbi, c->segno);
		if (old_blkaddr == NULL_ADDR)
			sbi->total_valid_block_count++; /* not reserved (QM2) */
		else if (old_blkaddr != NEW_ADDR)
			bad_old = !__invalidate(sbi, old_blkaddr);
	}
	spin_unlock(&sbi->sit_lock);
	if (twice) {
		qlfs_handle_error(sbi, "a log's next block is already valid");
		err = -EIO;
		goto out;
	}
	c->next_blkoff++;
	if (c->ssr) {
		spin_lock(&sbi->sit_lock);
		c->next_blkoff = next_ssr_hole(sbi, se, c->next_blkoff);
		spin_unlock(&sbi->sit_lock);
	}
	/* F2FS takes the next segment as soon as one fills, so the block
	 * after this one is known (a node footer's next_blkaddr). */
	if (c->next_blkoff >= sbi->l.bps && new_curseg(sbi, type))
		c->next_blkoff = sbi->l.bps; /* the next allocation retries */
	if (next_blkaddr)
		*next_blkaddr =
			c->next_blkoff < sbi->l.bps ?
				qlfs_seg_blkaddr(&sbi->l, c->segno) + c->next_blkoff :
				NULL_ADDR;
	*new_blkaddr = addr;
out:
	mutex_unlock(&c->lock);
	if (bad_old)
		qlfs_handle_error(sbi, "rewriting a block the SIT has not valid");
	return err;
}

int qlfs_allocate_block(struct qlfs_sb_info *sbi, enum qlfs_log type, u32 old_blkaddr,
			const struct qlfs_summary *sum, u32 *new_blkaddr)
{
	return __qlfs_allocate_block(sbi, type, old_blkaddr, sum, new_blkaddr, NULL);
}

/* ---- checkpoint ---- */

int qlfs_flush_sit_entries(struct qlfs_sb_info *sbi, u8 *sit_bitmap)
{
	const struct qlfs_layout *l = &sbi->l;
	struct qlfs_sit_block *blk = qlfs_alloc_blocks(0);
	int err = 0;

	if (!blk)
		return -ENOMEM;
	for (u32 i = 0; i < l->sit_blocks && !err; i++) {
		int copy;
		u32 addr;

		spin_lock(&sbi->sit_lock);
		if (!qlfs_bm_test(sbi->dirty_sit_blocks, i)) {
			spin_unlock(&sbi->sit_lock);
			continue;
		}
		memset(blk, 0, QLFS_BLKSIZE);
		for (u32 j = 0; j < SIT_ENTRY_PER_BLOCK; j++) {
			u32 s = i * SIT_ENTRY_PER_BLOCK + j;
			const struct qlfs_seg_entry *se = &sbi->sentries[s];

			if (s >= l->segs_main)
				break;
			blk->entries[j].vblocks = cpu_to_le16(
				se->valid_blocks | (se->type << SIT_VBLOCKS_SHIFT));
			memcpy(blk->entries[j].valid_map, se->valid_map,
			       SIT_VBLOCK_MAP_SIZE);
			blk->entries[j].mtime = cpu_to_le64(se->mtime);
		}
		spin_unlock(&sbi->sit_lock);
		copy = !qlfs_test_bit(sit_bitmap, i); /* the shadow copy */
		addr = qlfs_sit_blkaddr(l, i, copy);
		qlfs_block_seal(blk, addr);
		err = qlfs_meta_rw(sbi, REQ_OP_WRITE, addr, blk, 1);
		if (err)
			break;
		sit_bitmap[i / 8] ^= 1u << (i % 8);
		spin_lock(&sbi->sit_lock);
		qlfs_bm_clear(sbi->dirty_sit_blocks, i);
		spin_unlock(&sbi->sit_lock);
	}
	qlfs_free_blocks(blk, 0);
	return err;
}

void qlfs_fill_cp_segments(struct qlfs_sb_info *sbi, struct qlfs_checkpoint *cp,
			   struct qlfs_summary_block *sums)
{
	u32 free = 0;

	for (int t = 0; t < NR_CURSEG_TYPE; t++) {
		struct qlfs_curseg *c = &sbi->curseg[t];

		mutex_lock(&c->lock);
		if (t < 3) {
			/* an SSR log as full (QL14: valid blocks follow its next
			 * hole); after a mount it takes a new segment */
			cp->cur_data_segno[t] = cpu_to_le32(c->segno);
			cp->cur_data_blkoff[t] =
				cpu_to_le16(c->ssr ? sbi->l.bps : c->next_blkoff);
		} else {
			cp->cur_node_segno[t - 3] = cpu_to_le32(c->segno);
			cp->cur_node_blkoff[t - 3] = cpu_to_le16(c->next_blkoff);
		}
		memcpy(&sums[t], &c->sum, sizeof(sums[t]));
		seal_summary(sbi, t, &sums[t]);
		mutex_unlock(&c->lock);
	}
	spin_lock(&sbi->sit_lock);
	for (u32 s = 0; s < sbi->l.segs_main; s++)
		if (!sbi->sentries[s].valid_blocks && !is_cur_seg(sbi, s))
			free++;
	spin_unlock(&sbi->sit_lock);
	cp->free_segment_count = cpu_to_le32(free);
}

void qlfs_clear_prefree_segments(struct qlfs_sb_info *sbi)
{
	u32 segs = sbi->l.segs_main;

	spin_lock(&sbi->sit_lock);
	for (u32 s = 0; s < segs; s++) {
		struct qlfs_seg_entry *se = &sbi->sentries[s];

		memcpy(se->ckpt_valid_map, se->valid_map, SIT_VBLOCK_MAP_SIZE);
		if (!qlfs_bm_test_and_clear(sbi->prefree_segmap, s))
			continue;
		sbi->prefree_segments--;
		if (!se->valid_blocks && !is_cur_seg(sbi, s) &&
		    !qlfs_bm_test_and_set(sbi->free_segmap, s))
			sbi->free_segments++;
	}
	spin_unlock(&sbi->sit_lock);
}

/* ---- roll-forward recovery (recovery.c) ---- */

/* Hold @segno out of allocation while the chain in it may still be needed
 * (until the recovery checkpoint is durable). true if it was free. */
bool qlfs_hold_segment(struct qlfs_sb_info *sbi, u32 segno)
{
	bool was;

	spin_lock(&sbi->sit_lock);
	was = qlfs_bm_test_and_clear(sbi->free_segmap, segno);
	if (was)
		sbi->free_segments--;
	spin_unlock(&sbi->sit_lock);
	return was;
}

void qlfs_release_segment(struct qlfs_sb_info *sbi, u32 segno)
{
	spin_lock(&sbi->sit_lock);
	if (!sbi->sentries[segno].valid_blocks && !is_cur_seg(sbi, segno) &&
	    !qlfs_bm_test(sbi->prefree_segmap, segno) &&
	    !qlfs_bm_test_and_set(sbi->free_segmap, segno))
		sbi->free_segments++;
	spin_unlock(&sbi->sit_lock);
}

/* Record @sum as the owner of @blkaddr: in its log's summary if the
 * segment is current, else in its SSA block on disk. */
static int set_summary(struct qlfs_sb_info *sbi, u32 blkaddr,
		       const struct qlfs_summary *sum)
{
	u32 segno = qlfs_segno(sbi, blkaddr), off = blkoff_in_seg(sbi, blkaddr);
	u32 ssa = sbi->l.ssa_blkaddr + segno;
	struct qlfs_summary_block *blk;
	int err;

	for (int t = 0; t < NR_CURSEG_TYPE; t++) {
		struct qlfs_curseg *c = &sbi->curseg[t];

		mutex_lock(&c->lock);
		if (c->segno == segno) {
			c->sum.entries[off] = *sum;
			mutex_unlock(&c->lock);
			return 0;
		}
		mutex_unlock(&c->lock);
	}
	err = qlfs_wait_summary_writes(sbi); /* QS5 */
	if (err)
		return err;
	blk = qlfs_alloc_blocks(0);
	if (!blk)
		return -ENOMEM;
	err = qlfs_meta_rw(sbi, REQ_OP_READ, ssa, blk, 1);
	if (!err) {
		/* a segment the log was still filling at the crash has none */
		if (!qlfs_block_csum_ok(blk, ssa) || blk->entry_type != SUM_TYPE_DATA) {
			memset(blk, 0, QLFS_BLKSIZE);
			blk->entry_type = SUM_TYPE_DATA;
		}
		blk->entries[off] = *sum;
		qlfs_block_seal(blk, ssa);
		err = qlfs_meta_rw(sbi, REQ_OP_WRITE, ssa, blk, 1);
		__atomic_fetch_add(&sbi->ssa_sync_writes, 1, __ATOMIC_RELAXED);
	}
	qlfs_free_blocks(blk, 0);
	return err;
}

int qlfs_recover_block(struct qlfs_sb_info *sbi, u32 blkaddr,
		       const struct qlfs_summary *sum)
{
	u32 segno, off;
	struct qlfs_seg_entry *se;

	if (!qlfs_valid_main_blkaddr(sbi, blkaddr))
		return -EUCLEAN;
	segno = qlfs_segno(sbi, blkaddr);
	off = blkoff_in_seg(sbi, blkaddr);
	spin_lock(&sbi->sit_lock);
	se = &sbi->sentries[segno];
	if (qlfs_test_bit(se->valid_map, off)) {
		spin_unlock(&sbi->sit_lock);
		return -EEXIST;
	}
	/* RF: never a data block in a node log's segment (recovery.c) */
	if (qlfs_log_is_node(se->type) && (se->valid_blocks || is_cur_seg(sbi, segno))) {
		spin_unlock(&sbi->sit_lock);
		return -EUCLEAN;
	}
	if (qlfs_bm_test_and_clear(sbi->free_segmap, segno))
		sbi->free_segments--;
	if (!se->valid_blocks && !is_cur_seg(sbi, segno))
		se->type = CURSEG_WARM_DATA;
	qlfs_set_bit(se->valid_map, off);
	se->valid_blocks++;
	se->mtime = qlfs_elapsed_time(sbi);
	mark_sit_dirty(sbi, segno);
	sbi->total_valid_block_count++;
	spin_unlock(&sbi->sit_lock);
	return set_summary(sbi, blkaddr, sum);
}

int qlfs_move_logs(struct qlfs_sb_info *sbi, const unsigned long *segmap)
{
	int err = 0;

	for (int t = 0; t < NR_CURSEG_TYPE && !err; t++) {
		mutex_lock(&sbi->curseg[t].lock);
		if (!segmap || qlfs_bm_test(segmap, sbi->curseg[t].segno))
			err = new_curseg(sbi, t);
		mutex_unlock(&sbi->curseg[t].lock);
	}
	return err;
}

int qlfs_move_all_logs(struct qlfs_sb_info *sbi)
{
	return qlfs_move_logs(sbi, NULL);
}
