/*
 * fs/qlfs/qlfs.h - qlfs internals shared by layout.c, mkfs.c, fsck.c, their
 * shell commands and tests. The on-disk format is include/quire/qlfs_fs.h.
 */
#ifndef FS_QLFS_QLFS_H
#define FS_QLFS_QLFS_H

#include <quire/qlfs_fs.h>
#include <quire/blkdev.h>

/* The geometry of a file system, all derived from (device blocks, bps). */
struct qlfs_layout {
	u32 log_bps;	 /* log2 blocks per segment */
	u32 bps;	 /* blocks per segment */
	u64 block_count; /* segment_count * bps */
	u32 segment_count;
	u32 segs_sit, segs_nat; /* per copy */
	u32 segs_ssa, segs_main;
	u32 cp_blkaddr, sit_blkaddr, nat_blkaddr, ssa_blkaddr, main_blkaddr;
	u32 sit_blocks, nat_blocks, max_nid;
};

/*
 * Compute the layout of a file system on @dev_blocks 4 KiB blocks with
 * segments of 2^@log_bps blocks (docs/qlfs-format.md, "Layout"). 0, or
 * -EINVAL (segment size out of range, or the SIT version bitmap would not
 * fit the checkpoint block: "segments too small for this size"), -ENOSPC
 * (fewer than QLFS_MIN_MAIN_SEGS main segments). Context: any.
 */
int qlfs_compute_layout(u64 dev_blocks, u32 log_bps, struct qlfs_layout *l);
/* Set the fields of superblock @sb that layout @l decides (magic, version,
 * sizes, area addresses, reserved inode numbers); the rest (uuid, label,
 * mkfs_time) is the caller's. mkfs and fsck's rebuild both use it. */
void qlfs_sb_set_layout(struct qlfs_super_block *sb, const struct qlfs_layout *l);

static inline u32 qlfs_sit_bitmap_bytes(const struct qlfs_layout *l)
{
	return DIV_ROUND_UP(l->sit_blocks, 8);
}

static inline u32 qlfs_nat_bitmap_bytes(const struct qlfs_layout *l)
{
	return DIV_ROUND_UP(l->nat_blocks, 8);
}

static inline u32 qlfs_seg_blkaddr(const struct qlfs_layout *l, u32 segno)
{
	return l->main_blkaddr + segno * l->bps;
}

/* Copy @copy (0/1) of SIT or NAT block @i. */
static inline u32 qlfs_sit_blkaddr(const struct qlfs_layout *l, u32 i, int copy)
{
	return l->sit_blkaddr + (copy ? l->segs_sit * l->bps : 0) + i;
}

static inline u32 qlfs_nat_blkaddr(const struct qlfs_layout *l, u32 i, int copy)
{
	return l->nat_blkaddr + (copy ? l->segs_nat * l->bps : 0) + i;
}

static inline bool qlfs_test_bit(const u8 *map, u32 bit)
{
	return map[bit / 8] & (1u << (bit % 8));
}

static inline void qlfs_set_bit(u8 *map, u32 bit)
{
	map[bit / 8] |= 1u << (bit % 8);
}

/* Directory hashing (docs/qlfs-format.md, "Directories"). */
u32 qlfs_dentry_hash(const u8 *name, u32 len);
/* Blocks of a directory whose depth is @depth: 2(2^depth - 1). */
static inline u64 qlfs_dir_blocks(u32 depth)
{
	return QLFS_DIR_BUCKET_BLOCKS * ((1ULL << depth) - 1);
}

/*
 * Space for cleaning (docs/qlfs-format.md, "Geometry that works"; F2FS's
 * mkfs sets aside overprovisioned and reserved segments the same way). The
 * six logs each hold a current segment that only they can fill, so the
 * user blocks must leave those six out and as many again for the cleaner
 * (its reserve, qlfs_gc_reserve_segs(), is half the overprovision) and
 * for garbage to clean: QLFS_MIN_OVP_SEGS. A file system is workable with
 * at least QLFS_MIN_WORKING_MAIN_SEGS main segments and that
 * overprovision: mkfs makes no other, mount refuses any other.
 * mkfs without -s picks the largest segment (up to 2 MiB) that leaves
 * QLFS_AUTO_MAIN_SEGS main segments, so the overprovision costs at most
 * 15 % of the space.
 */
#define QLFS_MIN_OVP_SEGS	   (2 * NR_CURSEG_TYPE)
#define QLFS_MIN_WORKING_MAIN_SEGS (2 * QLFS_MIN_OVP_SEGS)
#define QLFS_AUTO_MAIN_SEGS	   (10 * QLFS_MIN_OVP_SEGS)

/* The overprovisioned segments mkfs sets aside for M main segments:
 * QLFS_MIN_OVP_SEGS (the logs' and the cleaner's) plus 5 % of M for garbage
 * to clean (at most half of M, for fsck's repair of an image too small to
 * work). With only the 5 %, small file systems of many small files went
 * read-only: a victim full of other files' blocks costs a node write per
 * block moved (suite qlfs_gc, the tiny cases). */
static inline u32 qlfs_default_ovp(u32 main_segs)
{
	return min((u32)QLFS_MIN_OVP_SEGS, main_segs / 2) + main_segs / 20;
}
#define QLFS_RSVD_SEGS 2

/* Can a file system of @main_segs main segments, @ovp of them
 * overprovisioned, always clean its way to a free segment for each log? */
static inline bool qlfs_geometry_workable(u32 main_segs, u32 ovp)
{
	return main_segs >= QLFS_MIN_WORKING_MAIN_SEGS && ovp >= QLFS_MIN_OVP_SEGS;
}

/* Block I/O through the block layer (submit_bio_wait()). */
struct qlfs_dev {
	struct gendisk *disk;
	struct block_device *bdev;
	u64 nr_blocks; /* whole 4 KiB blocks of the device */
};

/* Open disk @name ("vda"), holding a reference on it until
 * qlfs_dev_close(). 0, -ENODEV, -EINVAL (logical blocks > 4 KiB or a disk
 * under one block), -EROFS (@write on a read-only disk). */
int qlfs_dev_open(struct qlfs_dev *d, const char *name, bool write);
void qlfs_dev_close(struct qlfs_dev *d);
/* Read/write @nr blocks at @blkaddr to/from @buf (from qlfs_alloc_blocks()).
 * -EINVAL past the device's end, else the bio's status. Context: process. */
int qlfs_dev_read(struct qlfs_dev *d, u32 blkaddr, void *buf, u32 nr);
int qlfs_dev_write(struct qlfs_dev *d, u32 blkaddr, const void *buf, u32 nr);
int qlfs_dev_flush(struct qlfs_dev *d);
/* 2^@order zeroed blocks of memory, or NULL. */
void *qlfs_alloc_blocks(unsigned int order);
void qlfs_free_blocks(void *buf, unsigned int order);

/* mkfs (fs/qlfs/mkfs.c). */
struct qlfs_mkfs_opts {
	u32 log_bps;	   /* segment size; 0: mkfs picks (qlfs_mkfs_pick_log_bps()) */
	const char *label; /* <= 63 bytes or NULL */
	bool force;	   /* overwrite an existing file system */
	u64 time;	   /* creation time, seconds since the epoch */
	bool verbose;	   /* print the geometry and progress */
	bool quiet;	   /* no error lines either (tests) */
	const char *name;  /* the device in messages (NULL: the disk's) */
};

/* Make a qlfs on @d. 0 or -errno, with one line saying why on failure:
 * -ENOSPC when the device (or, with @o->log_bps, that segment size) leaves
 * too few main segments to work (qlfs_geometry_workable()). */
int qlfs_mkfs(struct qlfs_dev *d, const struct qlfs_mkfs_opts *o);
/* The segment size mkfs picks for @dev_blocks when not told: the largest,
 * up to 2 MiB, that leaves QLFS_AUTO_MAIN_SEGS main segments, else the
 * largest that leaves a workable file system; 0 when none does. */
u32 qlfs_mkfs_pick_log_bps(u64 dev_blocks);
/* The fewest blocks a workable file system with 2^@log_bps-block segments
 * takes (the smallest qlfs at all: QLFS_MIN_LOG_BLOCKS_PER_SEG). */
u64 qlfs_mkfs_min_blocks(u32 log_bps);
/* Which known file system or partition table @d holds, or NULL. */
const char *qlfs_probe_signature(struct qlfs_dev *d);

/* fsck (fs/qlfs/fsck.c). */
#define QLFS_NR_INVARIANTS 14

struct qlfs_fsck_result {
	u32 problems;	  /* lines reported */
	u32 repaired;	  /* -y: blocks rewritten by the repair (0: none) */
	u32 left;	  /* -y: problems a check after the repair still finds */
	u32 left_broken;  /* ... and their invariants (bit n: QLn) */
	u32 broken;	  /* bit n: invariant QLn broken */
	bool operational; /* could not check (I/O error, no superblock, memory) */
	const char *uncorrectable; /* why -y cannot repair what is left, or NULL */
	int sb_used;		   /* 0/1 */
	int cp_used;		   /* pack 0/1, -1 none */
	u64 cp_ver;
	u32 inodes, nodes;
	u64 valid_blocks;
};

struct qlfs_fsck_opts {
	bool quiet;	 /* no problem lines (tests count them) */
	u32 max_reports; /* 0: unlimited */
	bool repair;	 /* -y: repair what can be, as a new checkpoint */
};

/*
 * QL1 for superblock copy @sb, read from block @addr of a device of
 * @dev_blocks blocks: NULL when it is sound (*@layout is then its
 * layout, left alone otherwise), else why, and in *@ql the invariant it
 * breaks (9: its checksum; 1). fsck and mount (super.c) both use it.
 */
const char *qlfs_sb_invalid(const struct qlfs_super_block *sb, u32 addr, u64 dev_blocks,
			    struct qlfs_layout *layout, unsigned int *ql);
/*
 * QL3 for checkpoint pack @p (0/1) of @l: read into @buf (a segment's
 * worth) through @read(@ctx, blkaddr, buf, nr) (0 or -errno): header
 * checksum and fields (flags, pack size, orphan blocks, version bitmaps,
 * next_free_nid, current segments), every block's checksum, footer =
 * header, orphan block headers. NULL when sound, else why (mount adds its
 * own count checks on top). fsck and mount (super.c) both use it.
 */
const char *qlfs_cp_pack_invalid(const struct qlfs_layout *l, int p, u8 *buf,
				 int (*read)(void *ctx, u32 blkaddr, void *buf, u32 nr),
				 void *ctx);
/*
 * The pack to use of @pk[0], @pk[1], read and checked (@why[p]: NULL, or
 * why pack p is not sound): the newer sound one (0 on a tie), or -1 when
 * neither is. fsck and mount both use it.
 */
int qlfs_cp_newer_pack(u8 *const pk[2], const char *const why[2]);
/*
 * The geometry rule (qlfs_geometry_workable()) for layout @l and the
 * overprovision of pack header @cp: false when the file system can work;
 * true when it has too few main or overprovisioned segments for six logs
 * and cleaning, with the reason in @why (@size bytes). Mount refuses such
 * an image (-EUCLEAN) and fsck reports it (QL8): one rule, one message.
 */
bool qlfs_geometry_unworkable(const struct qlfs_layout *l,
			      const struct qlfs_checkpoint *cp, char *why, size_t size);

/* Log @t's current segment and next block offset in pack header @cp. */
static inline u32 qlfs_cp_segno(const struct qlfs_checkpoint *cp, int t)
{
	return t < 3 ? le32_to_cpu(cp->cur_data_segno[t]) :
		       le32_to_cpu(cp->cur_node_segno[t - 3]);
}

static inline u32 qlfs_cp_blkoff(const struct qlfs_checkpoint *cp, int t)
{
	return t < 3 ? le16_to_cpu(cp->cur_data_blkoff[t]) :
		       le16_to_cpu(cp->cur_node_blkoff[t - 3]);
}

/* Check @d against QL1..QL14; fills @r. Returns the e2fsck exit status:
 * 0 clean, 4 problems found (left uncorrected), 8 operational error; with
 * @o->repair, 1 when problems were found and all of them corrected (a
 * second check is clean), 4 when some are left. */
int qlfs_fsck(struct qlfs_dev *d, const struct qlfs_fsck_opts *o,
	      struct qlfs_fsck_result *r);

#endif
