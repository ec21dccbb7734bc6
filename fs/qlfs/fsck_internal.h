/*
 * fs/qlfs/fsck_internal.h - what the two halves of fsck.qlfs share: the
 * checks (fs/qlfs/fsck.c) and the repair they hand over to under -y
 * (fs/qlfs/fsck_repair.c). Not an interface: nothing else includes it.
 */
#ifndef FS_QLFS_FSCK_INTERNAL_H
#define FS_QLFS_FSCK_INTERNAL_H

#include <quire/mm.h>
#include "qlfs.h"

#define CHUNK_ORDER 4 /* 64 KiB per table chunk */

/* A large array in page chunks. */
struct ftable {
	u8 **chunks;
	u32 nr_chunks;
	u32 per_chunk;
	u32 esize;
};

static inline void *ftable_at(struct ftable *t, u64 i)
{
	return t->chunks[i / t->per_chunk] + (i % t->per_chunk) * t->esize;
}

/* Element @i of a lazy table, or NULL if its chunk was never written. */
static inline void *ftable_peek(struct ftable *t, u64 i)
{
	u8 *c = t->chunks[i / t->per_chunk];

	return c ? c + (i % t->per_chunk) * t->esize : NULL;
}

/* Element @i of a lazy table, its chunk allocated if need be; NULL: no memory. */
static inline void *ftable_get(struct ftable *t, u64 i)
{
	u8 **c = &t->chunks[i / t->per_chunk];

	if (!*c)
		*c = __get_free_pages(GFP_KERNEL | __GFP_ZERO, CHUNK_ORDER);
	return *c ? *c + (i % t->per_chunk) * t->esize : NULL;
}

/* Per-nid state. */
#define NI_IN_USE     0x0001 /* NAT entry has an address */
#define NI_INODE      0x0002 /* ino == nid and the block is a good inode */
#define NI_DIR	      0x0004
#define NI_REACHED    0x0008 /* walked from its inode (or is the inode) */
#define NI_NAT_BAD    0x0010 /* its NAT block failed its checksum */
#define NI_ORPHAN     0x0020
#define NI_HAS_DOT    0x0040
#define NI_HAS_DOTDOT 0x0080
#define NI_PARENT     0x0100 /* parent set */
#define NI_ROOTED     0x0200 /* reaches the root by ".." (dirs) */
#define NI_PASS2      0x0400 /* walked by pass 2 */
#define NI_GOOD	      0x0800 /* node sound and its block claimed (pass 1) */
#define NI_NAT_FIX    0x1000 /* -y: a NAT entry in use that is garbage */
#define NI_DROP	      0x2000 /* -y: inode freed (empty orphan, unnamed) */
#define NI_MOVED      0x4000 /* -y: node rewritten at a new address */
#define NI_LOST	      0x8000 /* -y: named by nothing, not empty: lost+found */

struct nid_info {
	u32 ino;
	u32 addr;
	u8 version;
	u16 flags;
	u16 mode;
	u32 links;
	u32 refs;   /* entries naming it, "." and ".." aside */
	u32 parent; /* the directory naming it (dirs) */
	u32 subdirs;
	u32 dotdot;
	union {
		u32 depth;    /* directories */
		u32 size_fix; /* other inodes: i_size past the largest file:
			       * 1 + the file block its tree ends at (-y) */
	};
	u32 from;      /* the node whose pointer reached it first (pass 1) */
	u16 from_slot; /* ... at this index of its nid array */
	u32 entries;   /* directories: names in it, "." and ".." aside */
	u32 blocks;    /* inodes: blocks of its tree (-y: those kept) */
} __packed;

struct seg_info {
	struct qlfs_sit_entry se;
	bool bad;	/* SIT block failed: do not cross-check */
	u8 repair_type; /* -y: 1 + the log type of a repair segment */
	u8 new_type;	/* -y: its log type in the new SIT */
	u16 new_valid;	/* -y: its valid blocks in the new SIT */
};

#define OWN_NODE 1
#define OWN_DATA 2
struct blk_owner {
	u32 nid; /* node: itself; data: its parent node */
	u16 ofs; /* data: index in the parent's addresses */
	u8 kind;
	u8 pad;
};

struct fsck {
	struct qlfs_dev *d;
	const struct qlfs_fsck_opts *o;
	struct qlfs_fsck_result *r;
	struct qlfs_layout l;
	struct qlfs_super_block *sb;
	u8 *pack;		    /* the chosen checkpoint pack */
	struct qlfs_checkpoint *cp; /* = pack */
	u8 *blk;		    /* scratch block */
	u8 *ra;			    /* read-ahead of SIT/NAT runs */
	u32 ra_addr, ra_nr;	    /* blocks ra holds, from ra_addr */
	struct ftable nids, segs, owners;
	u32 cur_seg[NR_CURSEG_TYPE], cur_off[NR_CURSEG_TYPE];
	u32 *orphans;
	u32 nr_orphans;
	u64 nat_in_use;
	/* the inode being walked */
	u32 ino;
	u64 i_blocks;
	u64 i_end; /* 1 + the last file block its tree maps */
	bool pass2;
	/* -y (fsck_repair.c part below) */
	bool sb_fix;		  /* rewrite superblock copy !sb_used */
	bool sb_rebuilt;	  /* ... and copy sb_used: both were bad */
	int verdict;		  /* of the entry check_dentry() just read */
	struct qlfs_moved *moved; /* dentry blocks rewritten: old -> new */
	u32 nr_moved;
	struct qlfs_clone *clones; /* data blocks owned twice: the 2nd's copy */
	u32 nr_clones;
	u32 rseg[2], roff[2]; /* repair segments: node, data */
	struct qlfs_summary_block *rsum[2];
	bool rfull;   /* no free segment left for the repair */
	u8 cur_moved; /* bit t: log t's current segment moved (move_cursegs()) */
	u32 lpf;      /* the root's "lost+found" directory, or 0 */
};

/* What pass 2 does with a directory entry under -y. */
enum {
	DENT_KEEP,
	DENT_DROP,
	DENT_RETYPE,
	DENT_REHASH, /* stored hash wrong, the name in its bucket: rewrite it */
	DENT_REDOT   /* "." names another inode: name its own directory */
};

struct qlfs_moved {
	u32 from, to;
};

/* A data pointer (@nid's slot @ofs) to a block another pointer owns:
 * -y gives it a copy at @to. */
struct qlfs_clone {
	u32 nid, from, to;
	u16 ofs;
};

#define QLFS_MAX_MOVED 4096 /* dentry blocks one repair rewrites */

static inline struct nid_info *ni(struct fsck *f, u32 nid)
{
	return ftable_at(&f->nids, nid);
}

static inline struct seg_info *seg(struct fsck *f, u32 segno)
{
	return ftable_at(&f->segs, segno);
}

static inline bool in_main(struct fsck *f, u32 addr)
{
	return addr >= f->l.main_blkaddr &&
	       addr - f->l.main_blkaddr < (u64)f->l.segs_main * f->l.bps;
}

static inline bool bits_clear_from(const u8 *map, u32 from, u32 bytes)
{
	for (u32 b = from; b < bytes * 8; b++)
		if (qlfs_test_bit(map, b))
			return false;
	return true;
}

static inline bool live_copy(struct fsck *f, u32 bitmap_off, u32 i)
{
	return qlfs_test_bit(f->cp->sit_nat_version_bitmap + bitmap_off, i);
}

static inline const struct qlfs_summary_block *cp_summary(struct fsck *f, int type)
{
	u32 start = le32_to_cpu(f->cp->cp_pack_start_sum);

	return (const void *)(f->pack + (start + type) * QLFS_BLKSIZE);
}

static inline int curseg_type(struct fsck *f, u32 segno)
{
	for (int t = 0; t < NR_CURSEG_TYPE; t++)
		if (f->cur_seg[t] == segno)
			return t;
	return -1;
}

static inline u8 ft_of_mode(u16 mode)
{
	switch (mode & QLFS_S_IFMT) {
	case QLFS_S_IFREG:
		return QLFS_FT_REG_FILE;
	case QLFS_S_IFDIR:
		return QLFS_FT_DIR;
	case QLFS_S_IFCHR:
		return QLFS_FT_CHRDEV;
	case QLFS_S_IFBLK:
		return QLFS_FT_BLKDEV;
	case QLFS_S_IFIFO:
		return QLFS_FT_FIFO;
	case QLFS_S_IFSOCK:
		return QLFS_FT_SOCK;
	case QLFS_S_IFLNK:
		return QLFS_FT_SYMLINK;
	}
	return QLFS_FT_UNKNOWN;
}

/* An operational message (not a broken invariant): shown unless quiet. */
void fsck_say(struct fsck *f, const char *fmt, ...) __printf(2, 3);

/* Something found cannot be repaired safely (@why: static text, kept in
 * r->uncorrectable, the first one only): said once per reason; -y then
 * ends with 4 (e2fsck's "errors left uncorrected"). */
void fsck_uncorrectable(struct fsck *f, const char *why);

/* fs/qlfs/fsck_repair.c, called by the checks under -y (-n: no effect). */
/* Block @addr is owned by nothing from now on (the repair drops it). */
void fsck_unclaim(struct fsck *f, u32 addr);
/* @nid's slot @ofs points at @addr, which another owns: give it a copy. */
void fsck_note_clone(struct fsck *f, u32 nid, u16 ofs, u32 addr);
/* Remove or retype (f->verdict) the entry at @slot, @n slots; changed? */
bool fsck_fix_dentry(struct fsck *f, struct qlfs_dentry_block *db, u32 slot, u32 n);
/* Write changed directory block @addr elsewhere (its parent follows). */
int fsck_rewrite_dentry_block(struct fsck *f, u32 addr, struct qlfs_dentry_block *db);
/* The root inode lost: a new empty root (its entries: lost+found). */
int fsck_new_root(struct fsck *f);
/* After the checks found problems: write the repair (FR1..FR3). */
int fsck_repair(struct fsck *f);

#endif
