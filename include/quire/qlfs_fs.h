/*
 * include/quire/qlfs_fs.h - qlfs's on-disk format (docs/qlfs-format.md).
 *
 * Layer: fs (shared by the kernel and the host tools mkfs.qlfs/fsck.qlfs).
 * Provides: the on-disk structures, their constants, the little-endian
 * field types with their conversion helpers, and qlfs_block_csum().
 *
 * Every multi-byte field is little-endian and fixed-width; every struct is
 * packed and its size and the offsets that matter are checked below by
 * _Static_assert against the tables of docs/qlfs-format.md. Names follow
 * Linux's include/linux/f2fs_fs.h where qlfs keeps F2FS's concept; the
 * layouts are qlfs's own (smaller, a checksum in every metadata block).
 *
 * Block addresses are u32 numbers of 4 KiB blocks from the start of the
 * device; NULL_ADDR (0) is a hole, NEW_ADDR (~0) is never on disk.
 *
 * Invariants (docs/qlfs-format.md states them in full; fs/qlfs/fsck.c
 * checks each and names it in its messages):
 *  QL1: the superblock in use is well formed and matches the layout.
 *  QL2: both superblock copies are valid and equal.
 *  QL3: a checkpoint pack is valid (checksums, header = footer, ranges).
 *  QL4: NAT entries point at node blocks that name them; each is in its
 *       inode's tree once.
 *  QL5: SIT counts equal their bitmaps; no bit past the segment; types.
 *  QL6: every valid block has exactly one owner, every owned block is valid.
 *  QL7: summaries name each valid block's owner; node/data segments.
 *  QL8: the checkpoint's counts equal what the SIT and NAT hold.
 *  QL9: every metadata block passes its checksum.
 *  QL10: inode fields, addresses, node offsets and i_blocks hold.
 *  QL11: directory blocks, hashes, buckets, ".", "..", one parent each.
 *  QL12: link counts.
 *  QL13: every inode is named or orphaned.
 *  QL14: nothing valid past a current segment's next block.
 */
#ifndef QUIRE_QLFS_FS_H
#define QUIRE_QLFS_FS_H

#include <quire/types.h>
#include <quire/compiler.h>

/* Little-endian on-disk fields (Linux's __le16/__le32/__le64). */
typedef u16 __le16;
typedef u32 __le32;
typedef u64 __le64;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define QLFS_SWAB(bits, x) __builtin_bswap##bits(x)
#else
#define QLFS_SWAB(bits, x) (x)
#endif

static inline u16 le16_to_cpu(__le16 x)
{
	return QLFS_SWAB(16, x);
}
static inline u32 le32_to_cpu(__le32 x)
{
	return QLFS_SWAB(32, x);
}
static inline u64 le64_to_cpu(__le64 x)
{
	return QLFS_SWAB(64, x);
}
static inline __le16 cpu_to_le16(u16 x)
{
	return QLFS_SWAB(16, x);
}
static inline __le32 cpu_to_le32(u32 x)
{
	return QLFS_SWAB(32, x);
}
static inline __le64 cpu_to_le64(u64 x)
{
	return QLFS_SWAB(64, x);
}

/* Geometry. */
#define QLFS_BLKSIZE_BITS	    12
#define QLFS_BLKSIZE		    4096	       /* bytes per block, fixed */
#define QLFS_MIN_LOG_BLOCKS_PER_SEG 4		       /* 16 blocks = 64 KiB */
#define QLFS_MAX_LOG_BLOCKS_PER_SEG 9		       /* 512 blocks = 2 MiB */
#define QLFS_DEF_LOG_BLOCKS_PER_SEG 9		       /* F2FS's 2 MiB segment */
#define QLFS_MAX_BLOCKS_PER_SEG	    512		       /* bits in a SIT valid_map */
#define QLFS_MIN_MAIN_SEGS	    8		       /* 6 logs + 2 for cleaning */
#define QLFS_MAX_BLOCKS		    (1ULL << 28)       /* 1 TiB: the bitmaps fit the CP */
#define QLFS_CSUM_OFFSET	    (QLFS_BLKSIZE - 4) /* every metadata block's CRC */

#define QLFS_SUPER_MAGIC   0x53464c51u /* "QLFS" as bytes on disk */
#define QLFS_MAJOR_VERSION 1
#define QLFS_MINOR_VERSION 1

#define NULL_ADDR 0u	      /* a hole, or no block */
#define NEW_ADDR  0xffffffffu /* reserved in memory, never on disk */

/* Reserved node ids (F2FS's): 0 none, 1 and 2 the in-memory node and meta
 * inodes (no NAT entry on disk), 3 the root directory. */
#define QLFS_NULL_NID	    0u
#define QLFS_NODE_INO	    1u
#define QLFS_META_INO	    2u
#define QLFS_ROOT_INO	    3u
#define QLFS_FIRST_FREE_NID 4u

/* The six logs (F2FS's enum curseg_type order). */
enum qlfs_log {
	CURSEG_HOT_DATA,  /* directory entry blocks */
	CURSEG_WARM_DATA, /* ordinary file data */
	CURSEG_COLD_DATA, /* moved by cleaning, files marked cold */
	CURSEG_HOT_NODE,  /* direct nodes (and inodes) of directories */
	CURSEG_WARM_NODE, /* direct nodes (and inodes) of regular files */
	CURSEG_COLD_NODE, /* indirect nodes */
	NR_CURSEG_TYPE,
};
#define NR_CURSEG_DATA_TYPE 3
#define NR_CURSEG_NODE_TYPE 3

static inline bool qlfs_log_is_node(unsigned int type)
{
	return type >= CURSEG_HOT_NODE && type < NR_CURSEG_TYPE;
}

/*
 * Superblock: blocks 0 and 1 hold two copies (identical but for the
 * checksum, which is seeded by the block address).
 */
struct qlfs_super_block {
	__le32 magic;		   /* 0: QLFS_SUPER_MAGIC */
	__le16 major_ver;	   /* 4: a reader refuses another major */
	__le16 minor_ver;	   /* 6: compatible additions */
	__le32 log_blocksize;	   /* 8: 12 */
	__le32 log_blocks_per_seg; /* 12: 4..9 */
	__le64 block_count;	   /* 16: blocks in the file system */
	__le32 segment_count;	   /* 24: segments, segment 0 included */
	__le32 segment_count_ckpt; /* 28: 2 (one per pack) */
	__le32 segment_count_sit;  /* 32: both copies */
	__le32 segment_count_nat;  /* 36: both copies */
	__le32 segment_count_ssa;  /* 40 */
	__le32 segment_count_main; /* 44 */
	__le32 segment0_blkaddr;   /* 48: 0 */
	__le32 cp_blkaddr;	   /* 52: pack 0; pack 1 one segment on */
	__le32 sit_blkaddr;	   /* 56: copy 0; copy 1 half the area on */
	__le32 nat_blkaddr;	   /* 60: likewise */
	__le32 ssa_blkaddr;	   /* 64 */
	__le32 main_blkaddr;	   /* 68: segment 0 of the main area */
	__le32 sit_blocks;	   /* 72: SIT blocks per copy in use */
	__le32 nat_blocks;	   /* 76: NAT blocks per copy in use */
	__le32 max_nid;		   /* 80: nat_blocks * NAT_ENTRY_PER_BLOCK */
	__le32 root_ino;	   /* 84: 3 */
	__le32 node_ino;	   /* 88: 1 */
	__le32 meta_ino;	   /* 92: 2 */
	u8 uuid[16];		   /* 96 */
	u8 volume_name[64];	   /* 112: label, NUL-padded, <= 63 bytes */
	__le32 feature;		   /* 176: 0; a reader refuses unknown bits */
	__le64 mkfs_time;	   /* 180: seconds since the epoch */
	u8 reserved[3904];	   /* 188: zero */
	__le32 checksum;	   /* 4092 */
} __packed;

/* Checkpoint flags (F2FS's values). */
#define CP_UMOUNT_FLAG	       0x00000001u /* written by a clean unmount */
#define CP_ORPHAN_PRESENT_FLAG 0x00000002u /* orphan blocks in the pack */
#define CP_KNOWN_FLAGS	       (CP_UMOUNT_FLAG | CP_ORPHAN_PRESENT_FLAG)

#define QLFS_CP_BITMAP_BYTES 3964

/*
 * Checkpoint block: the first (header) and last (footer) block of a pack;
 * the footer repeats the header byte for byte but for its checksum.
 */
struct qlfs_checkpoint {
	__le64 checkpoint_ver;	       /* 0: higher valid version wins */
	__le64 user_block_count;       /* 8: blocks users may fill */
	__le64 valid_block_count;      /* 16: valid blocks of the main area */
	__le32 rsvd_segment_count;     /* 24: kept free for cleaning */
	__le32 overprov_segment_count; /* 28: not counted in user blocks */
	__le32 free_segment_count;     /* 32: no valid block, not current */
	__le32 cur_node_segno[NR_CURSEG_NODE_TYPE];  /* 36: hot, warm, cold */
	__le32 cur_data_segno[NR_CURSEG_DATA_TYPE];  /* 48 */
	__le16 cur_node_blkoff[NR_CURSEG_NODE_TYPE]; /* 60: next free block */
	__le16 cur_data_blkoff[NR_CURSEG_DATA_TYPE]; /* 66 */
	__le32 ckpt_flags;			     /* 72: CP_* */
	__le32 cp_pack_total_block_count;	     /* 76: header..footer */
	__le32 cp_pack_start_sum;		     /* 80: 1 + orphan blocks */
	__le32 valid_node_count;		     /* 84: NAT entries in use */
	__le32 valid_inode_count;		     /* 88 */
	__le32 next_free_nid;			     /* 92: a hint */
	__le32 sit_ver_bitmap_bytesize;		     /* 96: ceil(sit_blocks / 8) */
	__le32 nat_ver_bitmap_bytesize;		     /* 100: ceil(nat_blocks / 8) */
	__le64 elapsed_time; /* 104: seconds mounted, SIT mtime clock */
	u8 reserved[16];     /* 112: zero */
	/* 128: SIT bits, then NAT bits; bit i set: copy 1 of block i is live */
	u8 sit_nat_version_bitmap[QLFS_CP_BITMAP_BYTES];
	__le32 checksum; /* 4092 */
} __packed;

/* Orphan inode block: inodes unlinked while open (cp_pack blocks 1..). */
#define ORPHANS_PER_BLOCK 1021
struct qlfs_orphan_block {
	__le32 ino[ORPHANS_PER_BLOCK]; /* 0 */
	__le16 blk_addr;	       /* 4084: index among the orphan blocks */
	__le16 blk_count;	       /* 4086: orphan blocks in the pack */
	__le32 entry_count;	       /* 4088: ino[] entries in use */
	__le32 checksum;	       /* 4092 */
} __packed;

/* Summary: who owns each block of a segment (F2FS's struct f2fs_summary). */
#define ENTRIES_IN_SUM 512
#define SUM_TYPE_DATA  0
#define SUM_TYPE_NODE  1
struct qlfs_summary {
	__le32 nid;	    /* node: its nid; data: the parent node's nid */
	u8 version;	    /* the owner's NAT version when written */
	__le16 ofs_in_node; /* data: index in the parent's addresses; node: 0 */
} __packed;

struct qlfs_summary_block {
	struct qlfs_summary entries[ENTRIES_IN_SUM]; /* 0 */
	u8 reserved[504];			     /* 3584: zero */
	u8 entry_type;				     /* 4088: SUM_TYPE_* */
	u8 reserved2[3];			     /* 4089 */
	__le32 checksum;			     /* 4092 */
} __packed;

/* SIT: one entry per main-area segment (F2FS's struct f2fs_sit_entry). */
#define SIT_VBLOCKS_SHIFT   10
#define SIT_VBLOCKS_MASK    ((1u << SIT_VBLOCKS_SHIFT) - 1)
#define SIT_VBLOCK_MAP_SIZE 64
#define SIT_ENTRY_PER_BLOCK 55
struct qlfs_sit_entry {
	__le16 vblocks;			   /* bits 0..9 valid blocks, 10..15 log type */
	u8 valid_map[SIT_VBLOCK_MAP_SIZE]; /* bit b: block b valid (LSB first) */
	__le64 mtime;			   /* elapsed_time of the last change */
} __packed;

struct qlfs_sit_block {
	struct qlfs_sit_entry entries[SIT_ENTRY_PER_BLOCK]; /* 0 */
	u8 reserved[22];				    /* 4070 */
	__le32 checksum;				    /* 4092 */
} __packed;

/* NAT: node id -> block (F2FS's struct f2fs_nat_entry). */
#define NAT_ENTRY_PER_BLOCK 454
struct qlfs_nat_entry {
	u8 version;	   /* bumped when the nid is freed and reused */
	__le32 ino;	   /* the inode the node belongs to */
	__le32 block_addr; /* NULL_ADDR: nid free */
} __packed;

struct qlfs_nat_block {
	struct qlfs_nat_entry entries[NAT_ENTRY_PER_BLOCK]; /* 0 */
	u8 reserved[6];					    /* 4086 */
	__le32 checksum;				    /* 4092 */
} __packed;

/* Node blocks. */
#define ADDRS_PER_INODE 921
#define NIDS_PER_INODE	5 /* 2 direct, 2 indirect, 1 double */
#define ADDRS_PER_BLOCK 1016
#define NIDS_PER_BLOCK	1016
#define NODE_DIR1_BLOCK 0 /* index in i_nid[] */
#define NODE_DIR2_BLOCK 1
#define NODE_IND1_BLOCK 2
#define NODE_IND2_BLOCK 3
#define NODE_DIND_BLOCK 4

/* Footer flag bits (F2FS's shifts). */
#define COLD_BIT_SHIFT	 0
#define FSYNC_BIT_SHIFT	 1
#define DENT_BIT_SHIFT	 2
#define OFFSET_BIT_SHIFT 3

struct qlfs_node_footer {
	__le32 nid;	     /* 4064: this node's id */
	__le32 ino;	     /* 4068: its inode (== nid for an inode) */
	__le32 flag;	     /* 4072: marks (bits 0-2), node offset (3..) */
	__le32 next_blkaddr; /* 4076: next node block of its log */
	__le64 cp_ver;	     /* 4080: checkpoint version when written */
	__le32 reserved;     /* 4088: zero */
	__le32 checksum;     /* 4092 */
} __packed;

/* i_inline bits (F2FS's values). */
#define QLFS_INLINE_DATA  0x02
#define QLFS_KNOWN_INLINE QLFS_INLINE_DATA
#define MAX_INLINE_DATA	  (ADDRS_PER_INODE * 4) /* bytes in i_addr[] */

#define QLFS_NAME_LEN 255

/* i_advise bits (F2FS's FADVISE_*_BIT). LOST_PINO: renamed or linked (or
 * made with no name recorded) since the checkpoint that has its entry, so
 * the inode block does not name it and roll-forward could not make it:
 * fsync must checkpoint (F2FS's file_lost_pino()). Format 1.1. */
#define QLFS_ADVISE_LOST_PINO 0x02

struct qlfs_inode {
	__le16 i_mode;			/* 0: S_IF* type and permission bits */
	u8 i_advise;			/* 2: QLFS_ADVISE_* (F2FS's hints) */
	u8 i_inline;			/* 3: QLFS_INLINE_* */
	__le32 i_uid;			/* 4 */
	__le32 i_gid;			/* 8 */
	__le32 i_links;			/* 12 */
	__le64 i_size;			/* 16: bytes */
	__le64 i_blocks;		/* 24: 4 KiB blocks held: nodes and data */
	__le64 i_atime;			/* 32: seconds */
	__le64 i_ctime;			/* 40 */
	__le64 i_mtime;			/* 48 */
	__le32 i_atime_nsec;		/* 56 */
	__le32 i_ctime_nsec;		/* 60 */
	__le32 i_mtime_nsec;		/* 64 */
	__le32 i_generation;		/* 68 */
	__le32 i_current_depth;		/* 72: directories: hash levels in use */
	__le32 i_flags;			/* 76: zero */
	__le32 i_pino;			/* 80: parent directory's ino (a hint) */
	__le32 i_namelen;		/* 84 */
	u8 i_name[256];			/* 88: own name (a hint for recovery) */
	u8 i_reserved[16];		/* 344: zero */
	__le32 i_addr[ADDRS_PER_INODE]; /* 360: data blocks, or inline data */
	__le32 i_nid[NIDS_PER_INODE];	/* 4044: nids of the node tree */
	struct qlfs_node_footer footer; /* 4064 */
} __packed;

struct qlfs_direct_node {
	__le32 addr[ADDRS_PER_BLOCK];	/* 0 */
	struct qlfs_node_footer footer; /* 4064 */
} __packed;

struct qlfs_indirect_node {
	__le32 nid[NIDS_PER_BLOCK];	/* 0 */
	struct qlfs_node_footer footer; /* 4064 */
} __packed;

/* Directory entry blocks (F2FS's struct f2fs_dentry_block, 213 slots). */
#define QLFS_SLOT_LEN		8
#define NR_DENTRY_IN_BLOCK	213
#define SIZE_OF_DENTRY_BITMAP	27
#define QLFS_MAX_DIR_HASH_DEPTH 20
#define QLFS_DIR_BUCKET_BLOCKS	2

/* File types in dentries (F2FS's values, = Linux's DT_* order). */
enum {
	QLFS_FT_UNKNOWN,
	QLFS_FT_REG_FILE,
	QLFS_FT_DIR,
	QLFS_FT_CHRDEV,
	QLFS_FT_BLKDEV,
	QLFS_FT_FIFO,
	QLFS_FT_SOCK,
	QLFS_FT_SYMLINK,
	QLFS_FT_MAX,
};

struct qlfs_dir_entry {
	__le32 hash_code; /* qlfs_dentry_hash() of the name */
	__le32 ino;
	__le16 name_len; /* 1..255 bytes, in ceil(len / 8) slots */
	u8 file_type;	 /* QLFS_FT_* */
} __packed;

struct qlfs_dentry_block {
	u8 dentry_bitmap[SIZE_OF_DENTRY_BITMAP];	  /* 0: bit = slot in use */
	u8 reserved[5];					  /* 27 */
	struct qlfs_dir_entry dentry[NR_DENTRY_IN_BLOCK]; /* 32 */
	u8 filename[NR_DENTRY_IN_BLOCK][QLFS_SLOT_LEN];	  /* 2375 */
	u8 reserved2[13];				  /* 4079 */
	__le32 checksum;				  /* 4092 */
} __packed;

/* POSIX mode bits as stored in i_mode (Linux's values). */
#define QLFS_S_IFMT   0170000
#define QLFS_S_IFSOCK 0140000
#define QLFS_S_IFLNK  0120000
#define QLFS_S_IFREG  0100000
#define QLFS_S_IFBLK  0060000
#define QLFS_S_IFDIR  0040000
#define QLFS_S_IFCHR  0020000
#define QLFS_S_IFIFO  0010000

#define QLFS_CHECK_SIZE(s, n) _Static_assert(sizeof(struct s) == (n), #s " size")
#define QLFS_CHECK_OFF(s, f, n) \
	_Static_assert(__builtin_offsetof(struct s, f) == (n), #s "." #f " offset")

QLFS_CHECK_SIZE(qlfs_super_block, QLFS_BLKSIZE);
QLFS_CHECK_OFF(qlfs_super_block, block_count, 16);
QLFS_CHECK_OFF(qlfs_super_block, main_blkaddr, 68);
QLFS_CHECK_OFF(qlfs_super_block, max_nid, 80);
QLFS_CHECK_OFF(qlfs_super_block, uuid, 96);
QLFS_CHECK_OFF(qlfs_super_block, volume_name, 112);
QLFS_CHECK_OFF(qlfs_super_block, mkfs_time, 180);
QLFS_CHECK_OFF(qlfs_super_block, checksum, QLFS_CSUM_OFFSET);
QLFS_CHECK_SIZE(qlfs_checkpoint, QLFS_BLKSIZE);
QLFS_CHECK_OFF(qlfs_checkpoint, cur_node_segno, 36);
QLFS_CHECK_OFF(qlfs_checkpoint, cur_data_blkoff, 66);
QLFS_CHECK_OFF(qlfs_checkpoint, ckpt_flags, 72);
QLFS_CHECK_OFF(qlfs_checkpoint, next_free_nid, 92);
QLFS_CHECK_OFF(qlfs_checkpoint, elapsed_time, 104);
QLFS_CHECK_OFF(qlfs_checkpoint, sit_nat_version_bitmap, 128);
QLFS_CHECK_OFF(qlfs_checkpoint, checksum, QLFS_CSUM_OFFSET);
QLFS_CHECK_SIZE(qlfs_orphan_block, QLFS_BLKSIZE);
QLFS_CHECK_OFF(qlfs_orphan_block, blk_addr, 4084);
QLFS_CHECK_SIZE(qlfs_summary, 7);
QLFS_CHECK_SIZE(qlfs_summary_block, QLFS_BLKSIZE);
QLFS_CHECK_OFF(qlfs_summary_block, entry_type, 4088);
QLFS_CHECK_SIZE(qlfs_sit_entry, 74);
QLFS_CHECK_SIZE(qlfs_sit_block, QLFS_BLKSIZE);
QLFS_CHECK_SIZE(qlfs_nat_entry, 9);
QLFS_CHECK_SIZE(qlfs_nat_block, QLFS_BLKSIZE);
QLFS_CHECK_SIZE(qlfs_node_footer, 32);
QLFS_CHECK_SIZE(qlfs_inode, QLFS_BLKSIZE);
QLFS_CHECK_OFF(qlfs_inode, i_size, 16);
QLFS_CHECK_OFF(qlfs_inode, i_current_depth, 72);
QLFS_CHECK_OFF(qlfs_inode, i_name, 88);
QLFS_CHECK_OFF(qlfs_inode, i_addr, 360);
QLFS_CHECK_OFF(qlfs_inode, i_nid, 4044);
QLFS_CHECK_OFF(qlfs_inode, footer, 4064);
QLFS_CHECK_OFF(qlfs_inode, footer.checksum, QLFS_CSUM_OFFSET);
QLFS_CHECK_SIZE(qlfs_direct_node, QLFS_BLKSIZE);
QLFS_CHECK_SIZE(qlfs_indirect_node, QLFS_BLKSIZE);
QLFS_CHECK_SIZE(qlfs_dir_entry, 11);
QLFS_CHECK_SIZE(qlfs_dentry_block, QLFS_BLKSIZE);
QLFS_CHECK_OFF(qlfs_dentry_block, dentry, 32);
QLFS_CHECK_OFF(qlfs_dentry_block, filename, 2375);
QLFS_CHECK_OFF(qlfs_dentry_block, checksum, QLFS_CSUM_OFFSET);
_Static_assert(SIZE_OF_DENTRY_BITMAP * 8 >= NR_DENTRY_IN_BLOCK, "dentry bitmap");
_Static_assert(SIT_VBLOCK_MAP_SIZE * 8 == QLFS_MAX_BLOCKS_PER_SEG, "SIT map");

/* Node offset (position in the file's node tree) of each i_nid[] slot. */
#define NODE_OFS_DIR1 1
#define NODE_OFS_DIR2 2
#define NODE_OFS_IND1 3
#define NODE_OFS_IND2 (4 + NIDS_PER_BLOCK)
#define NODE_OFS_DIND (5 + 2 * NIDS_PER_BLOCK)

/* The checksum of a metadata block at @blkaddr: CRC32C (Castagnoli) of its
 * first 4092 bytes, seeded with QLFS_SUPER_MAGIC ^ @blkaddr, so a block
 * written to or read from the wrong place fails it (fs/qlfs/layout.c). */
u32 qlfs_block_csum(const void *block, u32 blkaddr);

static inline u32 qlfs_block_stored_csum(const void *block)
{
	return le32_to_cpu(*(const __le32 *)((const u8 *)block + QLFS_CSUM_OFFSET));
}

/* Store the checksum of @block (about to go to @blkaddr). */
static inline void qlfs_block_seal(void *block, u32 blkaddr)
{
	*(__le32 *)((u8 *)block + QLFS_CSUM_OFFSET) =
		cpu_to_le32(qlfs_block_csum(block, blkaddr));
}

static inline bool qlfs_block_csum_ok(const void *block, u32 blkaddr)
{
	return qlfs_block_stored_csum(block) == qlfs_block_csum(block, blkaddr);
}

#endif
