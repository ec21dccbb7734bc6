/*
 * fs/qlfs/qlfs_mount.h - the mounted qlfs: the contract between its two
 * halves (Linux's fs/f2fs/f2fs.h plays this part for F2FS).
 *
 * Layer: fs (qlfs). Used by: every fs/qlfs/ file of the mount and its tests.
 *
 * The metadata half  - super.c (mount, umount, statfs, sync_fs, the
 *   "qlfs" file_system_type), segment.c (SIT in memory, the six logs,
 *   block allocation and invalidation, prefree, SSA), checkpoint.c
 *   (checkpoints, orphans, the periodic checkpoint), node.c (NAT in
 *   memory, nid allocation, node pages in the node inode's page cache and
 *   their ->writepages, the block map walk), inode.c (iget, new inodes,
 *   the inode's node block, eviction), recovery.c (roll-forward).
 * The namespace/data half - data.c (file and directory data pages: their
 *   address_space_operations, ->writepages), file.c (file_operations,
 *   setattr/truncate, fsync), dir.c (dentry blocks, the multi-level hash),
 *   namei.c (inode_operations, symlinks, qlfs_set_inode_ops()).
 *
 * Names follow F2FS's (f2fs_get_dnode_of_data() is qlfs_get_dnode_of_data()
 * and so on) so that both can be read side by side. The on-disk format is
 * docs/qlfs-format.md / include/quire/qlfs_fs.h; this file is memory only.
 *
 * Invariants (QM = qlfs mounted; fsck's QL1..QL14 hold on disk after every
 * checkpoint):
 *  QM1: a node block's only truth is its folio in the node inode's page
 *       cache (index = nid) while it is cached: every change to an inode's
 *       on-disk fields or a direct node's addresses is made in that folio,
 *       locked, after folio_wait_writeback(), and marks it dirty.
 *  QM2: the valid blocks counted in memory (sbi->total_valid_block_count)
 *       include blocks reserved with NEW_ADDR; a checkpoint writes only
 *       after every dirty data page is written, so no NEW_ADDR reaches the
 *       disk (QL10) and the count equals the SIT's sum (QL8).
 *  QM3: out of place: a data or node block is never overwritten in place
 *       while a checkpoint names it; the new copy goes to a log, the old
 *       one is invalidated in the SIT. A segment whose last valid block
 *       went is prefree until the next checkpoint is durable, then free.
 *  QM4: every metadata-changing operation runs between qlfs_lock_op() and
 *       qlfs_unlock_op() (cp_rwsem shared); a checkpoint holds it for
 *       write, so it sees no operation half done.
 *
 * Locking order (outer first): the VFS's i_rwsem -> sbi->cp_rwsem (shared,
 * qlfs_lock_op) -> a data folio's lock -> a node folio's lock (inode's
 * before a direct node's) -> sbi->nat_lock / sbi->sit_lock (spinning, or
 * short mutexes: never held across I/O or a folio lock). The checkpoint
 * takes cp_mutex, then cp_rwsem for write.
 */
#ifndef FS_QLFS_QLFS_MOUNT_H
#define FS_QLFS_QLFS_MOUNT_H

#include "qlfs.h"
#include <quire/fs.h>
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/mutex.h>
#include <quire/rwsem.h>
#include <quire/spinlock.h>
#include <quire/list.h>
#include <quire/xarray.h>
#include <quire/workqueue.h>
#include <quire/wait.h> /* GC part: gc_wait */

/* ---- in-memory state of a mounted qlfs ---- */

/* One log's current segment (F2FS's curseg_info). Under its mutex. */
struct qlfs_curseg {
	struct mutex lock;
	u32 segno;	 /* main-area segment number */
	u32 next_blkoff; /* next block the log writes */
	/* The segment's summary block, built as blocks are written; written
	 * to its SSA block when the log leaves the segment, and into the
	 * checkpoint pack while current. */
	struct qlfs_summary_block sum;
	/* GC part: writing into the holes of a dirty segment (SSR): each
	 * next_blkoff is a block clear in its valid and checkpoint maps. */
	bool ssr;
};

/* One main segment (F2FS's seg_entry). Under sbi->sit_lock. */
struct qlfs_seg_entry {
	u16 valid_blocks;
	u8 type; /* enum qlfs_log */
	u8 valid_map[SIT_VBLOCK_MAP_SIZE];
	/* Valid at the last checkpoint: SSR may only reuse blocks clear in
	 * both maps. */
	u8 ckpt_valid_map[SIT_VBLOCK_MAP_SIZE];
	u64 mtime; /* elapsed seconds at the last change */
};

/* RV part: switches only ktest cases turn, per mount (sbi->test): wrong
 * behaviour on purpose for the negative controls, which must make their
 * checks fail, and cleaning held off. Zero in every mount nobody armed: no
 * global a build could ship switched on. */
struct qlfs_test_hooks {
	int rf_mutant; /* enum qlfs_rf_mutant (recovery.c); armed before the
			* mount with qlfs_test_arm_rf_mutant() */
	int gc_fault;  /* QLFS_GC_FAULT_* (gc.c, segment.c) */
	bool gc_off;   /* qlfs_balance_fs() cleans nothing */
	/* node.c, write_node_folio(): once, move the file's data_addr_gen
	 * between fsync's first check and the taking of its marked inode
	 * block, as a data write in that window would (QF5B) */
	bool fsync_window_bump;
	/* file.c, fsync_pass(): every pass but the last gives -EAGAIN at
	 * once, so fsync always takes the held pass (qlfs_review4_cut) */
	bool fsync_force_held;
	/* file.c: called by fsync's held pass at each enum
	 * qlfs_fsync_held_point, in the fsyncing task (a case pauses it
	 * there and cuts the power) */
	void (*fsync_held_hook)(struct inode *inode, int point);
};

/* Where fsync's held pass calls sbi->test.fsync_held_hook. */
enum qlfs_fsync_held_point {
	QLFS_FSYNC_HELD_ENTER,	 /* the last pass, no lock taken yet */
	QLFS_FSYNC_HELD_LOCKED,	 /* qlfs_lock_op() and data_wb_rwsem held */
	QLFS_FSYNC_HELD_WAITED,	 /* the file's data waited for */
	QLFS_FSYNC_HELD_FLUSHED, /* and the cache flushed */
	QLFS_FSYNC_HELD_NODES,	 /* the marked nodes written and waited for */
};

struct qlfs_sb_info {
	struct super_block *sb;
	struct gendisk *disk;
	struct block_device *bdev;
	struct qlfs_layout l;
	struct qlfs_super_block raw_super; /* the copy in use */
	bool read_only;			   /* SB_RDONLY, or refused for writing */

	/* Checkpoint (checkpoint.c). */
	struct qlfs_checkpoint *ckpt; /* the last one written (a block) */
	int cur_cp_pack;	      /* 0/1: the pack ckpt came from */
	struct rw_semaphore cp_rwsem; /* QM4 */
	struct mutex cp_mutex;	      /* one checkpoint at a time */
	void *cp_task;		      /* the task inside a checkpoint */
	u64 elapsed_base;	      /* ckpt->elapsed_time at mount */

	/* Segments (segment.c). */
	spinlock_t sit_lock;
	struct qlfs_seg_entry *sentries; /* [segs_main] */
	unsigned long *dirty_sit_blocks; /* bit i: SIT block i changed */
	unsigned long *free_segmap;	 /* bit s: segment s has no valid block */
	unsigned long *prefree_segmap;	 /* emptied since the last checkpoint */
	u32 free_segments;		 /* free, not current, not prefree */
	struct qlfs_curseg curseg[NR_CURSEG_TYPE];
	u64 total_valid_block_count; /* QM2 */
	u64 user_block_count;
	u32 total_valid_node_count;
	u32 total_valid_inode_count;

	/* NAT (node.c). */
	spinlock_t nat_lock;
	struct qlfs_nat_block **nat_blocks; /* [nat_blocks], loaded on demand */
	unsigned long *dirty_nat_blocks;
	u32 next_free_nid;	  /* search hint */
	struct inode *node_inode; /* its mapping caches node blocks, index nid */

	/* Inodes (inode.c): ino -> struct inode, for qlfs_iget(). */
	struct xarray inode_cache;
	struct mutex inode_cache_lock;
	/* Orphans (checkpoint.c): unlinked, still open. */
	struct mutex orphan_lock;
	struct list_head orphan_list;
	u32 orphan_count;

	/* Statistics for the `qlfs` shell command and the tests. */
	u64 nr_checkpoints;
	u64 data_blocks_written, node_blocks_written;
	/* QP (session 19, speed): node blocks read around a missing one
	 * (node.c, node_ra_collect()), so the tests can see it happen. */
	u64 node_blocks_read_ahead;
	/* SW (session 20, speed): ->writepages' walks of a block map from
	 * the inode (data.c: the others found their direct node cached). */
	u64 wb_dnode_walks;
	/* PERF10: inode fields written into the inode's node folio
	 * (qlfs_update_inode(): a lock of that folio each). */
	u64 inode_updates;
	/* PERF10: SSA blocks sent as logs left segments (not waited for),
	 * and those written synchronously (roll-forward's; segment.c, QS5). */
	u64 ssa_writes, ssa_sync_writes;
	atomic_t ssa_writes_inflight;
	int ssa_write_err; /* sticky: a failed SSA write */
	struct wait_queue_head ssa_wait;

	/* Metadata half's own (super.c, segment.c, node.c, checkpoint.c). */
	struct mutex nid_alloc_mutex; /* qlfs_alloc_nid(): one scan at a time */
	u32 prefree_segments;	      /* bits in prefree_segmap */
	bool s_dirty;		      /* changed since the last checkpoint */
	u64 mount_ns;		      /* current_time_ns() at mount */
	struct delayed_work cp_work;  /* the periodic checkpoint */
	bool cp_work_stopping;	      /* umount: do not queue it again */
	u32 *mount_orphans;	      /* orphans of the mounted pack (fill_super) */
	u32 nr_mount_orphans;
	int bad_sb_copy;       /* -1, or the copy to rewrite from the good one */
	u64 orphans_recovered; /* statistics */
	u64 fsync_inodes_recovered, fsync_blocks_recovered;
	/* QF5 (file.c): fsync passes that found a data address moved since
	 * their wait (-EAGAIN, another pass); last passes, which hold the
	 * file's data writes off (after QLFS_FSYNC_TRIES of those); fsyncs
	 * that wrote a checkpoint instead after all that. */
	u64 fsync_retries, fsync_held_passes, fsync_checkpoints;
	u64 cp_ver_salt; /* a node footer's cp_ver, high half: see qlfs_node_cp_ver() */

	/* RF (roll-forward of new inodes and entries; node.c, recovery.c).
	 * Bit n of each map, under nat_lock, cleared when a checkpoint writes
	 * the NAT: nid n was allocated since the last checkpoint (F2FS's NAT
	 * entry without IS_CHECKPOINTED), freed since it, or (a directory)
	 * lost a name to rename or rmdir since it. */
	unsigned long *nid_new_map, *nid_freed_map, *dir_unstable_map;
	u64 inodes_made_by_recovery, dentries_recovered; /* statistics */

	/* ---- cleaning (GC part, gc.c) ---- */
	struct mutex gc_mutex;	       /* one cleaning pass at a time */
	struct task_struct *gc_thread; /* the background cleaner, or NULL */
	wait_queue_head_t gc_wait;     /* it sleeps here between passes */
	bool gc_wake;		       /* set, then wake gc_wait: a pass now */
	u32 gc_bg_interval_ms;	       /* its period (tests shorten it) */
	bool gc_bg_ignore_idle;	       /* tests: clean even when the disk is busy */
	bool gc_ssr_on;		       /* SSR allowed (after mount's recovery) */
	u64 gc_last_writes;	       /* blocks written at the last background look */
	u64 gc_fg_runs, gc_bg_runs;    /* statistics (the `qlfs` command) */
	u64 gc_segments, gc_data_moved, gc_node_moved;
	u64 gc_ssr_segments; /* SSR: segments a log took with holes */

	/* RV part: the tests' switches, this mount's only (all 0 unless a
	 * ktest case set them, struct qlfs_test_hooks below). */
	struct qlfs_test_hooks test;
};

/* In-memory part of a qlfs inode (F2FS's f2fs_inode_info); the rest is in
 * its node folio (QM1). */
struct qlfs_inode_info {
	struct inode vfs_inode;
	u32 i_current_depth; /* directories */
	u32 i_pino;	     /* parent, a hint for recovery */
	u32 i_generation;
	unsigned long flags; /* QLFS_I_* below */
	/* Bumped (release) when a data address of the file becomes a real
	 * block, after that block's folio is under writeback: fsync's
	 * marked node is written only if it did not move since fsync
	 * waited for the data (QF5, file.c). */
	unsigned long data_addr_gen;
	/* Held shared by ->writepages (after qlfs_lock_op(), before any
	 * folio: the only place data addresses become real blocks, so
	 * data_addr_gen moves only under it) and for write by fsync's last
	 * pass, which so writes its marked block with no data write of the
	 * file under way (QF5B, file.c). */
	struct rw_semaphore data_wb_rwsem;
	/* Data side may add fields below this line. */
	u64 dentry_blocks_searched; /* dir.c: blocks a lookup scanned (tests) */
};

#define QLFS_I_NEED_CP	  0 /* fsync must write a checkpoint */
#define QLFS_I_ORPHAN	  1 /* on sbi->orphan_list */
#define QLFS_I_ACTIVE	  2 /* in sbi->inode_cache: eviction acts on disk */
#define QLFS_I_DATA_FIRST 8 /* bits 8.. for the data side */
/* PERF10: a buffered write grew i_size and the node folio does not have it
 * yet (data.c's write_end); the checkpoint, fsync, ->write_inode and
 * eviction write it (qlfs_inode_to_folio() clears it; F2FS's
 * FI_DIRTY_INODE and f2fs_sync_inode_meta()). */
#define QLFS_I_SIZE_DIRTY (QLFS_I_DATA_FIRST + 0)

static inline struct qlfs_sb_info *QLFS_SB(const struct super_block *sb)
{
	return sb->s_fs_info;
}

static inline struct qlfs_inode_info *QLFS_I(struct inode *inode)
{
	return container_of(inode, struct qlfs_inode_info, vfs_inode);
}

static inline struct qlfs_sb_info *QLFS_I_SB(const struct inode *inode)
{
	return QLFS_SB(inode->i_sb);
}

#define QLFS_MAGIC QLFS_SUPER_MAGIC /* statfs f_type */

/* ---- super.c ---- */

extern struct file_system_type qlfs_fs_type;
/* Print one line "qlfs(vdb): ..." at KERN_ERR (mount refusals, I/O errors,
 * corruption). */
void qlfs_msg(struct qlfs_sb_info *sbi, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A corruption found after mount: say so once and make the file system
 * read-only (writes get -EROFS from then on; reads still work). */
void qlfs_handle_error(struct qlfs_sb_info *sbi, const char *what);

/* ---- checkpoint.c ---- */

/* QM4. A checkpoint's own task passes through without blocking. */
void qlfs_lock_op(struct qlfs_sb_info *sbi);
void qlfs_unlock_op(struct qlfs_sb_info *sbi);

enum qlfs_cp_reason {
	CP_REASON_SYNC,	  /* sync_fs, sync */
	CP_REASON_UMOUNT, /* the last one: sets CP_UMOUNT_FLAG */
	CP_REASON_FSYNC,  /* an fsync that roll-forward cannot cover */
	CP_REASON_PERIODIC,
	CP_REASON_CLEANING, /* prefree segments must become free */
	CP_REASON_RECOVERY, /* after roll-forward */
};

/* Write a checkpoint (F2FS's f2fs_write_checkpoint(), see
 * ../shared/reference/f2fs.md "Checkpoint"): every dirty data page, then
 * node pages, then NAT and SIT shadow copies, the pack (flush before the
 * footer). 0 or -errno (then the file system goes read-only). Context:
 * process, no qlfs lock held. */
int qlfs_write_checkpoint(struct qlfs_sb_info *sbi, enum qlfs_cp_reason reason);
/* An inode left with no link while open: kept until evicted. */
int qlfs_add_orphan_inode(struct qlfs_sb_info *sbi, u32 ino);
void qlfs_remove_orphan_inode(struct qlfs_sb_info *sbi, u32 ino);

/* ---- segment.c ---- */

/* F2FS's f2fs_balance_fs(): when the free segments no longer cover what
 * is dirty plus the cleaner's reserve, foreground cleaning (gc.c) moves
 * victims and a checkpoint makes them free. Call it before qlfs_lock_op()
 * in paths that will allocate (write_begin, create). 0, or -ENOSPC when
 * cleaning can no longer keep the logs supplied (a file system with too
 * few segments for its logs). Context: process, no qlfs lock held. */
int qlfs_balance_fs(struct qlfs_sb_info *sbi);

/* Give the block of a page being written a new address in log @type
 * (out of place, QM3): invalidate @old_blkaddr (unless NULL_ADDR or
 * NEW_ADDR), mark the new block valid, record @sum as its summary; move
 * the log to a free segment when full. Space was reserved before (QM2),
 * so it fails only when the file system broke (-EIO) or went read-only
 * (-EROFS). Context: under qlfs_lock_op(). */
int qlfs_allocate_block(struct qlfs_sb_info *sbi, enum qlfs_log type, u32 old_blkaddr,
			const struct qlfs_summary *sum, u32 *new_blkaddr);
/* A block stopped being owned (truncate, unlink, overwrite). */
void qlfs_invalidate_block(struct qlfs_sb_info *sbi, u32 blkaddr);
/* Reserve @count blocks of user space: -ENOSPC when the file system is
 * really full. qlfs_release_blocks() undoes it. */
int qlfs_reserve_blocks(struct qlfs_sb_info *sbi, u32 count);
void qlfs_release_blocks(struct qlfs_sb_info *sbi, u32 count);
/* Is @blkaddr a main-area block? (every address read from disk is
 * checked with it before use) */
bool qlfs_valid_main_blkaddr(const struct qlfs_sb_info *sbi, u32 blkaddr);
/* Submit a read or write of one block (4 KiB, @page) at @blkaddr; @end_io
 * and @private as bio's. Writes carry @opf (REQ_SYNC, REQ_FUA...). */
struct bio *qlfs_bio_alloc(struct qlfs_sb_info *sbi, blk_opf_t opf, u32 blkaddr,
			   unsigned int nr_vecs);

/* ---- node.c ---- */

/* QP (session 19, speed): nodes one read of a missing node brings in, the
 * one asked for included (node.c, node_ra_collect()). */
#define QLFS_NODE_RA 32

/* The block map walk (F2FS's dnode_of_data). */
struct dnode_of_data {
	struct inode *inode;
	struct folio *inode_folio; /* the inode's node folio, locked */
	struct folio *node_folio;  /* the node holding the address, locked */
	u32 nid;		   /* node_folio's nid */
	u32 ofs_in_node;	   /* the address's index in it */
	u32 data_blkaddr;	   /* the address (NULL_ADDR, NEW_ADDR or a block) */
	bool inode_folio_locked;
};

enum qlfs_dnode_mode {
	LOOKUP_NODE, /* -ENOENT when a node on the way does not exist */
	ALLOC_NODE,  /* make the missing nodes (reserves their blocks) */
};

static inline void set_new_dnode(struct dnode_of_data *dn, struct inode *inode,
				 struct folio *ifolio, struct folio *nfolio, u32 nid)
{
	*dn = (struct dnode_of_data){
		.inode = inode, .inode_folio = ifolio, .node_folio = nfolio, .nid = nid};
}

/* Find (or make) the node holding the address of file block @index; fills
 * @dn with both folios locked and referenced. 0 or -errno (-ENOENT,
 * -ENOSPC, -EIO, -EFBIG past the largest file). Under qlfs_lock_op() for
 * ALLOC_NODE. */
int qlfs_get_dnode_of_data(struct dnode_of_data *dn, pgoff_t index,
			   enum qlfs_dnode_mode mode);
/* Unlock and drop what @dn holds. */
void qlfs_put_dnode(struct dnode_of_data *dn);
/* The address at @dn->ofs_in_node of @dn->node_folio. */
u32 qlfs_data_blkaddr(struct dnode_of_data *dn);
/* Store @blkaddr there (QM1: waits for the node's writeback, marks it
 * dirty) and in dn->data_blkaddr. */
void qlfs_set_data_blkaddr(struct dnode_of_data *dn, u32 blkaddr);
/* A hole becomes NEW_ADDR: reserves one block (-ENOSPC), i_blocks + 1. */
int qlfs_reserve_new_block(struct dnode_of_data *dn);
/* Free file blocks from @from on: data addresses (invalidated or
 * released), then nodes no longer needed. i_size is the caller's. Under
 * qlfs_lock_op(). */
int qlfs_truncate_blocks(struct inode *inode, pgoff_t from);
/* The summary a data block at @dn gets (owner nid, version, ofs). */
void qlfs_set_summary(struct qlfs_summary *sum, u32 nid, u32 ofs_in_node, u8 version);
/* The owner's NAT version, for summaries. */
u8 qlfs_nat_version(struct qlfs_sb_info *sbi, u32 nid);

/* Node folios: locked, uptodate, referenced; checksum and footer (nid,
 * ino) verified on read (else -EIO and qlfs_handle_error()). */
struct folio *qlfs_get_node_folio(struct qlfs_sb_info *sbi, u32 nid);
void qlfs_put_node_folio(struct folio *folio); /* unlock + put */
static inline void *qlfs_node_addr(struct folio *folio)
{
	return folio_address(folio);
}
/* Write the inode's dirty node folios for fsync (WB_SYNC_ALL, the FSYNC
 * mark on the last, DENTRY when @dentry), waiting for them. */
int qlfs_fsync_node_pages(struct inode *inode, bool dentry);
int qlfs_fsync_node_pages_since(struct inode *inode, bool dentry,
				const unsigned long *gen);
int qlfs_fsync_node_pages_locked(struct inode *inode, bool dentry,
				 const unsigned long *gen);
/* Write every dirty node folio (checkpoint, sync). */
int qlfs_sync_node_pages(struct qlfs_sb_info *sbi, struct writeback_control *wbc);

/* ---- inode.c ---- */

/* The inode @ino, read from its node block the first time (mode, size,
 * links, times; then qlfs_set_inode_ops()). ERR_PTR(-ENOENT/-EIO/-ENOMEM),
 * -EUCLEAN for an inode block that breaks QL10. */
struct inode *qlfs_iget(struct super_block *sb, u32 ino);
/* A new inode in @dir (a nid, a node folio written into the page cache,
 * i_pino = dir). Under qlfs_lock_op(). Mode and, for directories, depth
 * set; link count 1 (2 for a directory) left to the caller. */
struct inode *qlfs_new_inode(struct inode *dir, umode_t mode);
/* Copy the in-memory fields (size, links, times, blocks, depth, pino)
 * into the inode's node folio (QM1). Every change to them calls this,
 * except a buffered write's larger i_size (QLFS_I_SIZE_DIRTY); it is also
 * ->write_inode. Context: process, may lock the node folio (a data folio
 * may be held). */
void qlfs_update_inode(struct inode *inode);
/* The checkpoint's step (cp_rwsem held for write): every inode with
 * QLFS_I_SIZE_DIRTY written into its node folio, before the node pages
 * are (F2FS's f2fs_sync_inode_meta()). */
void qlfs_sync_inode_meta(struct qlfs_sb_info *sbi);
/* ql10 (the rename flag, inode.c QI3): after fsync's checkpoint. */
void qlfs_inode_got_pino(struct inode *inode);
/* i_blocks in 4 KiB blocks (the on-disk unit) +/- n. */
void qlfs_inode_blocks_add(struct inode *inode, s64 n);

/* ---- metadata half: shared among its own files only ---- */

/* Bitmaps of unsigned longs (segments, SIT/NAT blocks), changed under the
 * lock that guards them (not atomic). */
#define QLFS_BM_LONGS(n) (((n) + 63) / 64)
static inline bool qlfs_bm_test(const unsigned long *m, u32 n)
{
	return (m[n / 64] >> (n % 64)) & 1;
}
static inline void qlfs_bm_set(unsigned long *m, u32 n)
{
	m[n / 64] |= 1UL << (n % 64);
}
static inline void qlfs_bm_clear(unsigned long *m, u32 n)
{
	m[n / 64] &= ~(1UL << (n % 64));
}
static inline bool qlfs_bm_test_and_set(unsigned long *m, u32 n)
{
	bool r = qlfs_bm_test(m, n);

	qlfs_bm_set(m, n);
	return r;
}
static inline bool qlfs_bm_test_and_clear(unsigned long *m, u32 n)
{
	bool r = qlfs_bm_test(m, n);

	qlfs_bm_clear(m, n);
	return r;
}
/* The first set bit at or after @from, or @size. */
static inline u32 qlfs_bm_find_next(const unsigned long *m, u32 size, u32 from)
{
	while (from < size) {
		unsigned long w = m[from / 64] >> (from % 64);

		if (w)
			return min(size, from + (u32)__builtin_ctzl(w));
		from = (from / 64 + 1) * 64;
	}
	return size;
}

/* The cp_ver a node footer carries: the checkpoint version in the low 32
 * bits and a CRC32C of the superblock's uuid in the high 32 (F2FS puts the
 * checkpoint's CRC there, CP_CRC_RECOVERY_FLAG), so that roll-forward never
 * takes a node left on the disk by an earlier file system, whose versions
 * started from 1 too, for one of this one's. */
static inline __le64 qlfs_node_cp_ver(const struct qlfs_sb_info *sbi)
{
	return cpu_to_le64((le64_to_cpu(sbi->ckpt->checkpoint_ver) & 0xffffffffULL) |
			   sbi->cp_ver_salt);
}

/* super.c: the super_operations' helpers. */
extern const struct super_operations qlfs_sops;
/* Seconds the file system has been mounted in total (the SIT mtime clock). */
u64 qlfs_elapsed_time(struct qlfs_sb_info *sbi);
/* Synchronous metadata I/O of @nr blocks at @blkaddr (REQ_OP_* | REQ_*). */
int qlfs_meta_rw(struct qlfs_sb_info *sbi, blk_opf_t opf, u32 blkaddr, void *buf, u32 nr);

/* segment.c */
int qlfs_build_segment_manager(struct qlfs_sb_info *sbi, const u8 *pack);
void qlfs_destroy_segment_manager(struct qlfs_sb_info *sbi);
/* qlfs_allocate_block() that also says which block the log writes next
 * (a node footer's next_blkaddr; NULL_ADDR when unknown). */
int __qlfs_allocate_block(struct qlfs_sb_info *sbi, enum qlfs_log type, u32 old_blkaddr,
			  const struct qlfs_summary *sum, u32 *new_blkaddr,
			  u32 *next_blkaddr);
/* Checkpoint steps (cp_rwsem held for write): dirty SIT blocks to their
 * shadow copies, flipping @sit_bitmap's bits; the pack's segment fields and
 * summaries; after the pack is durable, prefree -> free. */
int qlfs_flush_sit_entries(struct qlfs_sb_info *sbi, u8 *sit_bitmap);
void qlfs_fill_cp_segments(struct qlfs_sb_info *sbi, struct qlfs_checkpoint *cp,
			   struct qlfs_summary_block *sums);
void qlfs_clear_prefree_segments(struct qlfs_sb_info *sbi);
u32 qlfs_segno(const struct qlfs_sb_info *sbi, u32 blkaddr);
/* Roll-forward (recovery.c): keep a segment of the fsync chain out of
 * allocation until the recovery checkpoint; a block found in the chain
 * made valid again with its owner's summary (-EEXIST if valid already);
 * each log whose current segment is in @segmap (the chain's, or holding
 * recovered blocks) moved to a fresh segment before the recovery
 * checkpoint. */
bool qlfs_hold_segment(struct qlfs_sb_info *sbi, u32 segno);
void qlfs_release_segment(struct qlfs_sb_info *sbi, u32 segno);
int qlfs_recover_block(struct qlfs_sb_info *sbi, u32 blkaddr,
		       const struct qlfs_summary *sum);
int qlfs_move_logs(struct qlfs_sb_info *sbi, const unsigned long *segmap);
int qlfs_move_all_logs(struct qlfs_sb_info *sbi); /* @segmap NULL: every log */
bool qlfs_block_valid_in_sit(struct qlfs_sb_info *sbi, u32 blkaddr);

/* node.c */
int qlfs_build_node_manager(struct qlfs_sb_info *sbi);
void qlfs_destroy_node_manager(struct qlfs_sb_info *sbi);
int qlfs_flush_nat_entries(struct qlfs_sb_info *sbi, u8 *nat_bitmap);
/* A free nid, marked in use (NEW_ADDR) for @ino (0: the nid itself). */
int qlfs_alloc_nid(struct qlfs_sb_info *sbi, u32 ino, u32 *nid);
/* A new node's folio: zeroed, footer set, uptodate, dirty, locked. */
struct folio *qlfs_new_node_folio(struct qlfs_sb_info *sbi, u32 nid, u32 ino, u32 ofs,
				  bool cold);
/* Free node @nid: its block (or reservation), its folio, its NAT entry
 * (version bumped), the node count. */
void qlfs_free_node(struct qlfs_sb_info *sbi, u32 nid);
/* A NAT entry, 0 or -EIO (its block unreadable or corrupt). */
int qlfs_get_nat_entry(struct qlfs_sb_info *sbi, u32 nid, u32 *ino, u32 *blkaddr,
		       u8 *version);

/* inode.c */
struct inode *qlfs_alloc_inode(struct super_block *sb);
void qlfs_destroy_inode(struct inode *inode);
int qlfs_write_inode(struct inode *inode, struct writeback_control *wbc);
void qlfs_evict_inode(struct inode *inode);
/* Copy the inode's in-memory fields into its node folio (locked, waited). */
void qlfs_inode_to_folio(struct inode *inode, struct folio *folio);

/* recovery.c: F2FS's roll-forward, at mount before the orphans. */
int qlfs_recover_fsync_data(struct qlfs_sb_info *sbi);

/* ---- RF: roll-forward of new inodes and entries (node.c) ---- */

/* Does the last checkpoint hold node @nid as it is now (in use then, not
 * freed or allocated again since: F2FS's f2fs_is_checkpointed_node())? */
bool qlfs_nid_checkpointed(struct qlfs_sb_info *sbi, u32 nid);
/* Was @nid, allocated since the last checkpoint, free in it (not a nid
 * freed and taken again since)? Roll-forward can then allocate it anew. */
bool qlfs_nid_was_free_at_cp(struct qlfs_sb_info *sbi, u32 nid);
/* Directory @ino lost a name to rename or rmdir: until the next
 * checkpoint, the entry a new file's roll-forward would make in it may
 * meet a name the checkpoint still gives to another inode, so fsync of a
 * new file in it checkpoints instead (F2FS's fsync_mode=strict,
 * CP_RECOVER_DIR). */
void qlfs_mark_dir_unstable(struct qlfs_sb_info *sbi, u32 ino);
bool qlfs_dir_unstable(struct qlfs_sb_info *sbi, u32 ino);
/* Make inode @ino again from its logged block @raw (F2FS's
 * f2fs_recover_inode_page()): its nid, free in the checkpoint, is taken,
 * a block reserved, and a node folio made with @raw's mode, owner, times,
 * parent and name; size 0, one link, no blocks but itself (recovery fills
 * them in). -EEXIST when the nid is in use, -ENOSPC, -EIO. Context: mount,
 * under qlfs_lock_op(). */
int qlfs_recover_inode_page(struct qlfs_sb_info *sbi, u32 ino,
			    const struct qlfs_inode *raw);
/* Write node @nid now (its cached folio, dirty or not) with footer marks
 * @marks (1 << FSYNC_BIT_SHIFT, 1 << DENT_BIT_SHIFT) and wait: the write
 * fsync makes, for tests that lay out F2FS's recovery cases. */
int qlfs_write_node_marked(struct qlfs_sb_info *sbi, u32 nid, u32 marks);
/* recovery.c: a wrong recovery on purpose, for the negative controls of
 * F2FS's eight recovery cases (arch/host/qlfs_rollforward_test.c). */
enum qlfs_rf_mutant {
	QLFS_RF_MUTANT_NONE,
	QLFS_RF_MUTANT_MARKED_BLOCKS_ONLY,	 /* case 1: unmarked ones dropped */
	QLFS_RF_MUTANT_FIRST_MARK_ONLY,		 /* case 2: stops at the first mark */
	QLFS_RF_MUTANT_PAST_THE_LAST_MARK,	 /* case 3: takes what follows it */
	QLFS_RF_MUTANT_INODE_BLOCKS_ONLY,	 /* case 4: direct nodes dropped */
	QLFS_RF_MUTANT_MAKE_FROM_UNMARKED_INODE, /* cases 5, 8: no DENTRY needed */
	QLFS_RF_MUTANT_NO_DENTRY,		 /* case 6: no entry made */
	QLFS_RF_MUTANT_GIVE_UP_ON_MISSING_INODE, /* case 7: dnode(F) first ends it */
};
/* RV part: the next mount of @disk (only) recovers with @mutant; a mount
 * takes it at its roll-forward. qlfs_test_disarm_rf_mutant() after the
 * mount drops it if no roll-forward ran (a read-only mount). ktest only. */
void qlfs_test_arm_rf_mutant(struct gendisk *disk, int mutant);
void qlfs_test_disarm_rf_mutant(void);
/* RF: record @inode's entry (parent @dir, @name) in its inode block, so
 * that roll-forward can make the entry again; clears QLFS_I_NEED_CP. */
void qlfs_set_inode_name(struct inode *inode, struct inode *dir, const u8 *name, u32 len);

/* checkpoint.c */
int qlfs_recover_orphan_inodes(struct qlfs_sb_info *sbi);
void qlfs_start_periodic_checkpoint(struct qlfs_sb_info *sbi);
void qlfs_stop_periodic_checkpoint(struct qlfs_sb_info *sbi);
#define QLFS_CP_INTERVAL_MS 30000

/* ---- cleaning (GC part: gc.c; see its header and docs/qlfs.md) ---- */

#define NULL_SEGNO ((u32)~0u)
enum qlfs_gc_type {
	QLFS_FG_GC, /* greedy; writes what it moved; a checkpoint frees */
	QLFS_BG_GC, /* cost-benefit; lazy: the moved pages are left dirty */
};
/* Tests' negative controls (sbi->test.gc_fault): a cleaner that frees a
 * victim without moving its valid blocks, and one that makes a cleaned
 * segment free at once instead of prefree until the checkpoint (QS1). */
#define QLFS_GC_FAULT_SKIP_MOVE	  1
#define QLFS_GC_FAULT_FREE_EARLY  2
#define QLFS_GC_FAULT_SSR_NO_CKPT 3 /* SSR reuses blocks valid at the checkpoint */
/* Background cleaner's period (F2FS's gc_min_sleep_time is 30 s). */
#define QLFS_GC_BG_INTERVAL_MS	  10000

/* The victim among @nsegs segment entries @se by @type's policy
 * (greedy: fewest valid blocks; cost-benefit: highest (1-u)*age/(1+u),
 * ages from @now and the mtimes): never a current segment (@cur), a free
 * or prefree one (no valid block), a full one, or one set in @skip (may be
 * NULL). NULL_SEGNO when there is none. Pure: the tests call it on a
 * crafted table. */
u32 qlfs_select_victim(const struct qlfs_seg_entry *se, u32 nsegs, u32 bps,
		       const u32 cur[NR_CURSEG_TYPE], const unsigned long *skip, u64 now,
		       enum qlfs_gc_type type);
/* The first file block a direct node (or the inode, offset 0) at node
 * offset @ofs maps, or -1 for an indirect node's offset. */
s64 qlfs_start_bidx_of_node(u32 ofs);
/* Move the valid blocks of segment @segno (F2FS's do_garbage_collect()):
 * node blocks dirtied in the node cache, data blocks loaded and dirtied
 * in their file's page cache (cold); FG also writes them. Returns the
 * blocks still valid in it afterwards (FG: 0 when all moved), or -errno.
 * Context: process, no qlfs lock held. */
int qlfs_gc_segment(struct qlfs_sb_info *sbi, u32 segno, enum qlfs_gc_type type);
/* One foreground pass (F2FS's f2fs_gc(FG_GC)): greedy victims until the
 * free segments cover what is dirty plus the reserve, then a checkpoint
 * turns them free. 0 or -errno. Context: process, no qlfs lock held. */
int qlfs_gc(struct qlfs_sb_info *sbi, enum qlfs_gc_type type);
/* Segments kept free for the cleaner (half the overprovisioned ones, 1 to
 * 12); at or below it the data logs write into holes (SSR, segment.c). */
u32 qlfs_gc_reserve_segs(struct qlfs_sb_info *sbi);
/* Is cleaning wanted before more is dirtied (qlfs_balance_fs())? */
bool qlfs_gc_needed(struct qlfs_sb_info *sbi);
/* The background cleaner: started at a writable mount, stopped at umount
 * before the last checkpoint. */
int qlfs_start_gc_thread(struct qlfs_sb_info *sbi);
void qlfs_stop_gc_thread(struct qlfs_sb_info *sbi);
/* A data folio the cleaner moved: its next write goes to the cold data
 * log (F2FS's set_cold_data()); data.c clears it. */
#define QLFS_GC_COLD_PRIVATE ((void *)0x9c01d)
static inline bool qlfs_folio_gc_cold(struct folio *folio)
{
	return folio->private == QLFS_GC_COLD_PRIVATE;
}
/* segment.c, for the cleaner: free segments, prefree ones, and whether a
 * segment is a log's current one; the summary block of a segment. */
void qlfs_gc_counts(struct qlfs_sb_info *sbi, u32 *free, u32 *prefree);
/* Wait for every SSA write in flight (QS5): before the SSA is read, and
 * before a checkpoint's pack. -EIO if one failed (then read-only). */
int qlfs_wait_summary_writes(struct qlfs_sb_info *sbi);
int qlfs_read_summary_block(struct qlfs_sb_info *sbi, u32 segno,
			    struct qlfs_summary_block *sum);

/* qlfs_shell.c: `qlfs [MOUNTPOINT]` */
int qlfs_shell_cmd(int argc, char **argv);

/* ---- data half (data.c, file.c, dir.c, namei.c) ---- */

/* Set i_op, i_fop and the mapping's a_ops by i_mode (qlfs_iget() and
 * qlfs_new_inode() call it). */
void qlfs_set_inode_ops(struct inode *inode);
/* The log a data page of @inode goes to (hot: directories, warm: files). */
enum qlfs_log qlfs_data_log(struct inode *inode);
/* Write every dirty data page of the file system (the checkpoint's first
 * step; the caller is the checkpoint task). */
int qlfs_sync_dirty_data(struct qlfs_sb_info *sbi);

#endif
