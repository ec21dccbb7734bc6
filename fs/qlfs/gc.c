/*
 * fs/qlfs/gc.c - cleaning (segment cleaning, "garbage collection") of a
 * mounted qlfs: victim selection, moving a victim's valid blocks, the
 * foreground pass and the background cleaner (Linux's fs/f2fs/gc.c).
 *
 * Layer: fs (qlfs, the metadata half). Used by: segment.c
 * (qlfs_balance_fs() calls qlfs_gc() in the foreground), super.c (starts
 * and stops the background thread), the `qlfs` command (statistics),
 * suite qlfs_gc.
 * Provides: qlfs_select_victim(), qlfs_start_bidx_of_node(),
 * qlfs_gc_segment(), qlfs_gc(), qlfs_gc_needed(), qlfs_gc_reserve_segs(),
 * qlfs_start_gc_thread(), qlfs_stop_gc_thread().
 * Not here: SSR, the data logs' writing into holes when free segments run
 * low (segment.c, new_curseg()), which uses the same reserve.
 *
 * A log writes out of place (QM3), so overwrites and deletions leave
 * invalid blocks scattered in "dirty" segments (some blocks valid, not
 * current, not free). Cleaning picks a victim among them (F2FS's
 * get_victim_by_default()): the foreground takes the one with the fewest
 * valid blocks (greedy: the most space back per block moved), the
 * background the best (1 - u) * age / (1 + u) (cost-benefit, u the
 * segment's utilisation, age from its SIT mtime relative to the oldest
 * and youngest segments: cold, mostly empty segments first). Moving a
 * victim (F2FS's do_garbage_collect()) reads its summary block and, for
 * each block still valid in the SIT, asks its owner whether the block is
 * still its own: a node block is alive when the NAT points at it, and is
 * moved by dirtying its folio in the node cache (node writeback puts it in
 * a log); a data block is alive when the owner's NAT version is the
 * summary's and the direct node's slot still holds its address, and is
 * moved lazily through the page cache (F2FS's move_data_page()): the
 * file's page is read, marked dirty and cold (QLFS_GC_COLD_PRIVATE), so
 * its next write goes to the cold data log. The foreground writes those
 * pages itself; the background leaves them to the flusher. Either way the
 * victim is then empty but only prefree: it becomes free after the next
 * checkpoint is durable (QS1), so the last checkpoint's blocks stay intact
 * until a newer one no longer needs them. The foreground pass ends with
 * that checkpoint.
 *
 * When: qlfs_balance_fs() (before a write dirties a page, before a
 * create) asks qlfs_gc_needed(): the free segments must cover twice the
 * dirty pages of the disk (each may, at writeback, also dirty a node;
 * summed exactly where the per-CPU counter's error could matter,
 * dirty_at_most()) plus a reserve (qlfs_gc_reserve_segs(): half the
 * overprovisioned segments, 1 to QLFS_GC_RESERVE_SEGS). Writers that find
 * it short clean in the foreground, one at a time (gc_mutex), before they
 * dirty more. The background thread wakes every gc_bg_interval_ms and, when the
 * disk was idle since its last look (no block written) and free segments
 * are below half the main area, moves one victim lazily.
 *
 * Invariants:
 *  QG1: a victim is never a current segment, nor free or prefree; a block
 *       is moved only after its owner was checked under the folio lock of
 *       the page or node that owns it, inside qlfs_lock_op() (a checkpoint
 *       never sees a move half done, QM4).
 *  QG2: a cleaned segment is prefree until the next checkpoint is durable,
 *       then free (QS1); nothing is written into it before.
 *  QG3: moving never changes a block's contents: the page cache's copy
 *       (or the node cache's) is what gets written.
 *
 * Locking: gc_mutex (one pass at a time) -> qlfs_lock_op() -> a data
 * folio -> node folios (the mount's order, qlfs_mount.h). iget/iput and
 * the writes of moved pages run outside qlfs_lock_op() (an eviction or a
 * writepages takes it itself). The checkpoint of a foreground pass is
 * taken under gc_mutex (cp_mutex nests inside it; nothing takes gc_mutex
 * under cp_mutex).
 */
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/bug.h>
#include <quire/sched.h>
#include <quire/kthread.h>
#include <quire/jiffies.h>
#include <quire/backing-dev.h>
#include "qlfs_data.h"

/* Segments kept for the cleaner beyond what is dirty: every log may need
 * a new segment, twice over, while a victim's blocks move. */
#define QLFS_GC_RESERVE_SEGS (2 * NR_CURSEG_TYPE)
/* Victims one foreground pass moves at most. */
#define QLFS_GC_MAX_VICTIMS  8
/* Free segments a foreground pass keeps for one victim's moves: the cold
 * data log (or a node log) and the node logs its direct nodes go to. */
#define QLFS_GC_FLOOR_SEGS   4

/* ---- victim selection (F2FS's get_victim_by_default) ---- */

static bool is_current(const u32 cur[NR_CURSEG_TYPE], u32 segno)
{
	for (int t = 0; t < NR_CURSEG_TYPE; t++)
		if (cur[t] == segno)
			return true;
	return false;
}

/* F2FS's get_cb_cost(), inverted: higher is a better victim. */
static u64 cb_benefit(u32 valid, u32 bps, u64 mtime, u64 min_mtime, u64 max_mtime)
{
	u64 u = (u64)valid * 100 / bps, age = 0;

	if (max_mtime > min_mtime)
		age = 100 - 100 * (mtime - min_mtime) / (max_mtime - min_mtime);
	return 100 * (100 - u) * age / (100 + u);
}

static bool candidate(const struct qlfs_seg_entry *e, u32 s, u32 bps,
		      const u32 cur[NR_CURSEG_TYPE], const unsigned long *skip)
{
	return e->valid_blocks && e->valid_blocks < bps && !is_current(cur, s) &&
	       !(skip && qlfs_bm_test(skip, s));
}

u32 qlfs_select_victim(const struct qlfs_seg_entry *se, u32 nsegs, u32 bps,
		       const u32 cur[NR_CURSEG_TYPE], const unsigned long *skip, u64 now,
		       enum qlfs_gc_type type)
{
	u64 min_mtime = ~0ULL, max_mtime = 0, best = 0;
	u32 victim = NULL_SEGNO;

	for (u32 s = 0; s < nsegs; s++) {
		u64 m = min(se[s].mtime, now);

		if (!candidate(&se[s], s, bps, cur, skip))
			continue;
		min_mtime = min(min_mtime, m);
		max_mtime = max(max_mtime, m);
	}
	for (u32 s = 0; s < nsegs; s++) {
		u64 score;

		if (!candidate(&se[s], s, bps, cur, skip))
			continue;
		if (type == QLFS_FG_GC)
			score = bps - se[s].valid_blocks; /* greedy */
		else
			score = cb_benefit(se[s].valid_blocks, bps, min(se[s].mtime, now),
					   min_mtime, max_mtime) +
				1;
		if (score > best) {
			best = score;
			victim = s;
		}
	}
	return victim;
}

static bool is_current_seg(struct qlfs_sb_info *sbi, u32 segno)
{
	bool cur = false;

	spin_lock(&sbi->sit_lock);
	for (int t = 0; t < NR_CURSEG_TYPE; t++)
		cur |= sbi->curseg[t].segno == segno;
	spin_unlock(&sbi->sit_lock);
	return cur;
}

static u32 get_victim(struct qlfs_sb_info *sbi, const unsigned long *skip,
		      enum qlfs_gc_type type)
{
	u64 now = qlfs_elapsed_time(sbi);
	u32 cur[NR_CURSEG_TYPE], v;

	spin_lock(&sbi->sit_lock); /* curseg segnos change under it too */
	for (int t = 0; t < NR_CURSEG_TYPE; t++)
		cur[t] = sbi->curseg[t].segno;
	v = qlfs_select_victim(sbi->sentries, sbi->l.segs_main, sbi->l.bps, cur, skip,
			       now, type);
	spin_unlock(&sbi->sit_lock);
	return v;
}

/* ---- moving blocks ---- */

s64 qlfs_start_bidx_of_node(u32 ofs)
{
	const s64 ai = ADDRS_PER_INODE, apb = ADDRS_PER_BLOCK, npb = NIDS_PER_BLOCK;

	if (!ofs)
		return 0;
	if (ofs <= NODE_OFS_DIR2)
		return ai + (ofs - NODE_OFS_DIR1) * apb;
	if (ofs > NODE_OFS_IND1 && ofs < NODE_OFS_IND2)
		return ai + 2 * apb + (ofs - NODE_OFS_IND1 - 1) * apb;
	if (ofs > NODE_OFS_IND2 && ofs < NODE_OFS_DIND)
		return ai + 2 * apb + npb * apb + (ofs - NODE_OFS_IND2 - 1) * apb;
	if (ofs > NODE_OFS_DIND) {
		u32 r = ofs - NODE_OFS_DIND - 1, k = r / (NIDS_PER_BLOCK + 1),
		    j = r % (NIDS_PER_BLOCK + 1);

		if (j)
			return ai + 2 * apb + 2 * npb * apb +
			       ((s64)k * npb + j - 1) * apb;
	}
	return -1; /* an indirect node: it owns no data */
}

static bool valid_in_sit(struct qlfs_sb_info *sbi, const struct qlfs_seg_entry *se,
			 u32 off)
{
	bool v;

	spin_lock(&sbi->sit_lock);
	v = qlfs_test_bit(se->valid_map, off);
	spin_unlock(&sbi->sit_lock);
	return v;
}

/* A node block: alive when the NAT points at it (checked again under the
 * node folio's lock, which node writeback holds while it moves the NAT);
 * moved by dirtying its folio. 1 moved, 0 dead, -errno. */
static int move_node_block(struct qlfs_sb_info *sbi, u32 blkaddr,
			   const struct qlfs_summary *sum)
{
	u32 nid = le32_to_cpu(sum->nid), addr;
	struct folio *folio;
	int moved = 0;

	if (nid < QLFS_ROOT_INO || qlfs_get_nat_entry(sbi, nid, NULL, &addr, NULL) ||
	    addr != blkaddr)
		return 0;
	qlfs_lock_op(sbi);
	folio = qlfs_get_node_folio(sbi, nid);
	if (IS_ERR(folio)) {
		qlfs_unlock_op(sbi);
		return PTR_ERR(folio) == -ENOENT ? 0 : PTR_ERR(folio);
	}
	if (!qlfs_get_nat_entry(sbi, nid, NULL, &addr, NULL) && addr == blkaddr) {
		folio_wait_writeback(folio);
		folio_mark_dirty(folio);
		WRITE_ONCE(sbi->s_dirty, true);
		moved = 1;
	}
	qlfs_put_node_folio(folio);
	qlfs_unlock_op(sbi);
	return moved;
}

/* Whose is data block @blkaddr, by its summary: the inode and file block,
 * if the owner's NAT version is the summary's and the direct node's slot
 * still holds @blkaddr (F2FS's is_alive()). */
static bool data_owner(struct qlfs_sb_info *sbi, u32 blkaddr,
		       const struct qlfs_summary *sum, u32 *ino, pgoff_t *index)
{
	u32 nid = le32_to_cpu(sum->nid), ofs = le16_to_cpu(sum->ofs_in_node), naddr;
	struct dnode_of_data dn;
	struct folio *folio;
	const struct qlfs_inode *ri;
	u8 version;
	s64 start;
	bool alive = false;

	if (nid < QLFS_ROOT_INO || qlfs_get_nat_entry(sbi, nid, ino, &naddr, &version) ||
	    naddr == NULL_ADDR || version != sum->version)
		return false;
	folio = qlfs_get_node_folio(sbi, nid);
	if (IS_ERR(folio))
		return false;
	ri = folio_address(folio);
	start = qlfs_start_bidx_of_node(le32_to_cpu(ri->footer.flag) >> OFFSET_BIT_SHIFT);
	if (start < 0 || le32_to_cpu(ri->footer.ino) != *ino)
		goto out;
	if (!start && (ofs >= ADDRS_PER_INODE || (ri->i_inline & QLFS_INLINE_DATA)))
		goto out;
	if (start && ofs >= ADDRS_PER_BLOCK)
		goto out;
	dn = (struct dnode_of_data){.node_folio = folio, .ofs_in_node = ofs};
	dn.inode_folio = start ? NULL : folio;
	alive = qlfs_data_blkaddr(&dn) == blkaddr;
	*index = start + ofs;
out:
	qlfs_put_node_folio(folio);
	return alive;
}

/* Load file block @index of @inode and dirty it, cold, if it still lives
 * at @blkaddr (QG1). 1 moved, 0 not. */
static int move_data_page(struct qlfs_sb_info *sbi, struct inode *inode, pgoff_t index,
			  u32 blkaddr)
{
	struct address_space *mapping = inode->i_mapping;
	struct folio *folio;
	u32 addr;
	int moved = 0;

	if (!S_ISDIR(inode->i_mode) &&
	    ((loff_t)index << PAGE_SHIFT) >= i_size_read(inode))
		return 0; /* being truncated: the truncation frees it */
	folio = read_mapping_folio(mapping, index, NULL);
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	qlfs_lock_op(sbi);
	folio_lock(folio);
	if (folio->mapping == mapping && folio_test_uptodate(folio)) {
		folio_wait_writeback(folio);
		if (!qlfs_data_blkaddr_of(inode, index, &addr) && addr == blkaddr) {
			if (S_ISREG(inode->i_mode))
				folio->private = QLFS_GC_COLD_PRIVATE;
			folio_mark_dirty(folio);
			moved = 1;
		}
	}
	folio_unlock(folio);
	qlfs_unlock_op(sbi);
	folio_put(folio);
	return moved;
}

static int move_data_block(struct qlfs_sb_info *sbi, u32 blkaddr,
			   const struct qlfs_summary *sum, enum qlfs_gc_type type)
{
	struct inode *inode;
	pgoff_t index;
	u32 ino;
	int moved;

	if (!data_owner(sbi, blkaddr, sum, &ino, &index))
		return 0;
	inode = qlfs_iget(sbi->sb, ino);
	if (IS_ERR(inode))
		return 0;
	moved = move_data_page(sbi, inode, index, blkaddr);
	if (moved > 0 && type == QLFS_FG_GC) {
		/* written and waited for; a write error stays the file's, for
		 * its next fsync (the keep_errors wait does not consume it) */
		loff_t pos = (loff_t)index << PAGE_SHIFT, end = pos + PAGE_SIZE - 1;
		int err = filemap_fdatawrite_range(inode->i_mapping, pos, end);

		if (!err)
			err = filemap_fdatawait_range_keep_errors(inode->i_mapping, pos,
								  end);
		if (err)
			moved = err;
	}
	iput(inode);
	return moved;
}

/* The negative control QLFS_GC_FAULT_SKIP_MOVE: drop the block as if it
 * had been moved (the data is lost: the tests must see it). */
static void fault_drop_block(struct qlfs_sb_info *sbi, u32 blkaddr)
{
	qlfs_invalidate_block(sbi, blkaddr);
}

/* QLFS_GC_FAULT_FREE_EARLY: the cleaned victim free at once (breaks QG2;
 * the power-cut test must see the last checkpoint's blocks overwritten). */
static void fault_free_early(struct qlfs_sb_info *sbi, u32 segno)
{
	spin_lock(&sbi->sit_lock);
	if (!sbi->sentries[segno].valid_blocks &&
	    qlfs_bm_test_and_clear(sbi->prefree_segmap, segno)) {
		sbi->prefree_segments--;
		if (!qlfs_bm_test_and_set(sbi->free_segmap, segno))
			sbi->free_segments++;
	}
	spin_unlock(&sbi->sit_lock);
}

int qlfs_gc_segment(struct qlfs_sb_info *sbi, u32 segno, enum qlfs_gc_type type)
{
	struct qlfs_seg_entry *se = &sbi->sentries[segno];
	u32 base = qlfs_seg_blkaddr(&sbi->l, segno), left;
	struct qlfs_summary_block *sum;
	bool node;
	int err;

	if (segno >= sbi->l.segs_main)
		return -EINVAL;
	if (is_current_seg(sbi, segno))
		return -EBUSY; /* QG1 (its summary is still the log's) */
	sum = qlfs_alloc_blocks(0);
	if (!sum)
		return -ENOMEM;
	err = qlfs_read_summary_block(sbi, segno, sum);
	if (err)
		goto out;
	spin_lock(&sbi->sit_lock);
	node = qlfs_log_is_node(se->type);
	spin_unlock(&sbi->sit_lock);
	if (sum->entry_type != (node ? SUM_TYPE_NODE : SUM_TYPE_DATA)) {
		qlfs_msg(sbi, "segment %u: summary type %u for a %s segment", segno,
			 sum->entry_type, node ? "node" : "data");
		qlfs_handle_error(sbi, "corrupt summary block");
		err = -EIO;
		goto out;
	}
	for (u32 off = 0; off < sbi->l.bps && !err; off++) {
		int moved;

		if (READ_ONCE(sbi->read_only)) {
			err = -EROFS;
			break;
		}
		if (!valid_in_sit(sbi, se, off))
			continue;
		if (READ_ONCE(sbi->test.gc_fault) == QLFS_GC_FAULT_SKIP_MOVE) {
			fault_drop_block(sbi, base + off);
			continue;
		}
		if (node)
			moved = move_node_block(sbi, base + off, &sum->entries[off]);
		else
			moved = move_data_block(sbi, base + off, &sum->entries[off],
						type);
		if (moved < 0) {
			err = moved;
			break;
		}
		if (!moved)
			continue;
		if (node)
			__atomic_fetch_add(&sbi->gc_node_moved, 1, __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&sbi->gc_data_moved, 1, __ATOMIC_RELAXED);
	}
	if (!err && node && type == QLFS_FG_GC) {
		struct writeback_control wbc = {
			.sync_mode = WB_SYNC_ALL,
			.nr_to_write = LONG_MAX,
			.range_end = LLONG_MAX,
		};

		err = qlfs_sync_node_pages(sbi, &wbc); /* the moved nodes */
	}
out:
	qlfs_free_blocks(sum, 0);
	if (err)
		return err;
	spin_lock(&sbi->sit_lock);
	left = se->valid_blocks;
	spin_unlock(&sbi->sit_lock);
	if (READ_ONCE(sbi->test.gc_fault) == QLFS_GC_FAULT_FREE_EARLY)
		fault_free_early(sbi, segno);
	return left;
}

/* ---- when ---- */

/*
 * The disk's dirty pages (WB_RECLAIMABLE) are a per-CPU counter: a CPU
 * folds its count into the total only past wb_stat_mod()'s batch (32), so
 * the quick read wb_stat() is off by up to 31 pages on each CPU (after
 * pages dirtied on one CPU and cleaned on another). On a file system of
 * few small segments that is more than its free space (4 CPUs: 124 pages,
 * counted twice 15 segments of 16 blocks): a comparison that error could
 * turn takes the exact sum (as Linux's wb_dirty_limits() does under
 * wb_stat_error()), the others keep the quick read. F2FS counts its dirty
 * pages in atomics of its own.
 */
/* Are the disk's dirty pages @limit or fewer? */
static bool dirty_at_most(struct qlfs_sb_info *sbi, s64 limit)
{
	struct bdi_writeback *wb = &sbi->sb->s_bdi->wb;
	s64 quick = wb_stat(wb, WB_RECLAIMABLE);
	s64 error = (s64)wb_stat_error();

	if (limit < 0)
		return false;
	if (quick + error <= limit)
		return true;
	if (quick - error > limit)
		return false;
	return wb_stat_sum(wb, WB_RECLAIMABLE) <= limit;
}

/* Do twice the disk's dirty pages fit in @blocks (each may, at writeback,
 * also dirty a node)? */
static bool twice_dirty_fit(struct qlfs_sb_info *sbi, s64 blocks)
{
	return blocks >= 0 && dirty_at_most(sbi, blocks / 2);
}

/* The cleaner's room: half the overprovisioned segments (the user blocks
 * leave them aside), at most QLFS_GC_RESERVE_SEGS, at least one. */
u32 qlfs_gc_reserve_segs(struct qlfs_sb_info *sbi)
{
	/* the overprovisioned segments: those the user blocks leave out */
	u32 ovp = sbi->l.segs_main - (u32)(sbi->user_block_count >> sbi->l.log_bps);

	return clamp(ovp / 2, 1u, (u32)QLFS_GC_RESERVE_SEGS);
}

/* Do the free segments (@extra more counted) cover twice the dirty pages
 * plus the reserve? */
static bool room_for(struct qlfs_sb_info *sbi, u32 extra, u32 margin)
{
	u32 free, prefree;

	qlfs_gc_counts(sbi, &free, &prefree);
	return twice_dirty_fit(sbi,
			       ((s64)free + extra - qlfs_gc_reserve_segs(sbi) - margin) *
				       sbi->l.bps);
}

bool qlfs_gc_needed(struct qlfs_sb_info *sbi)
{
	u32 free, prefree;

	qlfs_gc_counts(sbi, &free, &prefree);
	/* prefree segments cost only a checkpoint: take them back early */
	if (prefree && free < QLFS_GC_RESERVE_SEGS)
		return true;
	return !room_for(sbi, 0, 0);
}

/* A foreground pass cleans half the reserve again past it, so that the
 * writers after it go a while without cleaning. */
static bool enough_free(struct qlfs_sb_info *sbi, u32 extra)
{
	return room_for(sbi, extra, qlfs_gc_reserve_segs(sbi) / 2);
}

/* Clean one greedy victim (skipped from then on in this pass). 1 when one
 * was cleaned, 0 when there is none, -errno. */
static int fg_gc_one(struct qlfs_sb_info *sbi, unsigned long *skip)
{
	u32 v = get_victim(sbi, skip, QLFS_FG_GC);
	int left;

	if (v == NULL_SEGNO)
		return 0;
	qlfs_bm_set(skip, v);
	left = qlfs_gc_segment(sbi, v, QLFS_FG_GC);
	if (left < 0)
		return left;
	__atomic_fetch_add(&sbi->gc_segments, 1, __ATOMIC_RELAXED);
	return 1;
}

/*
 * One foreground pass (F2FS's f2fs_gc(FG_GC)): until the free segments
 * (prefree ones counted: a checkpoint frees them) cover the dirty pages
 * and the reserve, clean greedy victims; a checkpoint first when a
 * segment's worth of pages is dirty (it writes them), and whenever the free segments fall to
 * QLFS_GC_FLOOR_SEGS (it turns the cleaned victims free before the moves
 * use up the rest); a last one frees the victims. Bounded:
 * QLFS_GC_MAX_VICTIMS victims.
 */
static int fg_gc(struct qlfs_sb_info *sbi)
{
	unsigned long *skip =
		kcalloc(QLFS_BM_LONGS(sbi->l.segs_main), sizeof(long), GFP_KERNEL);
	u32 free, prefree, cleaned = 0;
	bool flushed = false;
	int err = 0;

	if (!skip)
		return -ENOMEM;
	qlfs_gc_counts(sbi, &free, &prefree);
	while (!err && !enough_free(sbi, prefree) && cleaned < QLFS_GC_MAX_VICTIMS) {
		/* a flush only for a segment's worth of dirty pages: on a file
		 * system of few segments a checkpoint per write would fill the
		 * node logs with the same nodes' copies */
		if ((!flushed && !dirty_at_most(sbi, sbi->l.bps - 1)) ||
		    (prefree && free <= QLFS_GC_FLOOR_SEGS)) {
			flushed = true;
			err = qlfs_write_checkpoint(sbi, CP_REASON_CLEANING);
		} else if (free <= QLFS_GC_FLOOR_SEGS) {
			break; /* no room left to move into */
		} else {
			err = fg_gc_one(sbi, skip);
			if (err <= 0)
				break;
			err = 0;
			cleaned++;
		}
		qlfs_gc_counts(sbi, &free, &prefree);
	}
	qlfs_gc_counts(sbi, &free, &prefree);
	if (!err && (prefree || cleaned))
		err = qlfs_write_checkpoint(sbi, CP_REASON_CLEANING);
	kfree(skip);
	return err;
}

/* Blocks the data logs can still write in their current segments. */
static u64 data_log_room(struct qlfs_sb_info *sbi)
{
	u64 room = 0;

	for (int t = 0; t < NR_CURSEG_DATA_TYPE; t++) {
		mutex_lock(&sbi->curseg[t].lock);
		room += sbi->l.bps - sbi->curseg[t].next_blkoff;
		mutex_unlock(&sbi->curseg[t].lock);
	}
	return room;
}

int qlfs_gc(struct qlfs_sb_info *sbi, enum qlfs_gc_type type)
{
	u32 free, prefree;
	int err = 0;

	if (READ_ONCE(sbi->read_only))
		return -EROFS;
	mutex_lock(&sbi->gc_mutex);
	if (type == QLFS_FG_GC) {
		/* passes until there is room (another writer may have made it),
		 * or until two passes in a row free nothing */
		bool first = qlfs_gc_needed(sbi);

		for (int stuck = 0; !err && stuck < 2 && (first || !enough_free(sbi, 0));
		     first = false) {
			u32 before;

			qlfs_gc_counts(sbi, &before, &prefree);
			__atomic_fetch_add(&sbi->gc_fg_runs, 1, __ATOMIC_RELAXED);
			err = fg_gc(sbi);
			qlfs_gc_counts(sbi, &free, &prefree);
			stuck = free > before ? 0 : stuck + 1;
		}
	} else {
		u32 v = get_victim(sbi, NULL, QLFS_BG_GC);

		if (v != NULL_SEGNO) {
			int left = qlfs_gc_segment(sbi, v, QLFS_BG_GC);

			__atomic_fetch_add(&sbi->gc_bg_runs, 1, __ATOMIC_RELAXED);
			if (left < 0)
				err = left;
			else
				__atomic_fetch_add(&sbi->gc_segments, 1,
						   __ATOMIC_RELAXED);
		}
	}
	mutex_unlock(&sbi->gc_mutex);
	if (err == -EROFS || READ_ONCE(sbi->read_only))
		return -EROFS;
	qlfs_gc_counts(sbi, &free, &prefree);
	if (type == QLFS_FG_GC && !free && !prefree &&
	    !twice_dirty_fit(sbi, (s64)data_log_room(sbi) - 2))
		return -ENOSPC; /* the data logs would run dry at writeback */
	return err;
}

/* ---- the background cleaner (F2FS's gc_thread_func) ---- */

static bool disk_idle(struct qlfs_sb_info *sbi)
{
	u64 w = READ_ONCE(sbi->data_blocks_written) + READ_ONCE(sbi->node_blocks_written);
	bool idle =
		w == sbi->gc_last_writes && !wb_stat(&sbi->sb->s_bdi->wb, WB_WRITEBACK);

	sbi->gc_last_writes = w;
	return idle || READ_ONCE(sbi->gc_bg_ignore_idle);
}

static int gc_thread_func(void *data)
{
	struct qlfs_sb_info *sbi = data;

	while (!kthread_should_stop()) {
		u32 free, prefree;

		wait_event_timeout(sbi->gc_wait,
				   kthread_should_stop() || READ_ONCE(sbi->gc_wake),
				   msecs_to_jiffies(READ_ONCE(sbi->gc_bg_interval_ms)));
		if (kthread_should_stop())
			break;
		WRITE_ONCE(sbi->gc_wake, false);
		if (READ_ONCE(sbi->read_only) || !disk_idle(sbi))
			continue;
		qlfs_gc_counts(sbi, &free, &prefree);
		if (free + prefree < sbi->l.segs_main / 2 ||
		    READ_ONCE(sbi->gc_bg_ignore_idle))
			qlfs_gc(sbi, QLFS_BG_GC);
	}
	return 0;
}

int qlfs_start_gc_thread(struct qlfs_sb_info *sbi)
{
	struct task_struct *k;

	if (!sbi->gc_bg_interval_ms)
		sbi->gc_bg_interval_ms = QLFS_GC_BG_INTERVAL_MS;
	WRITE_ONCE(sbi->gc_ssr_on, true); /* the mount's recovery is done */
	k = kthread_run(gc_thread_func, sbi, "qlfs_gc-%s", sbi->disk->disk_name);
	if (IS_ERR(k))
		return PTR_ERR(k);
	sbi->gc_thread = k;
	return 0;
}

void qlfs_stop_gc_thread(struct qlfs_sb_info *sbi)
{
	if (!sbi->gc_thread)
		return;
	kthread_stop(sbi->gc_thread);
	sbi->gc_thread = NULL;
}
