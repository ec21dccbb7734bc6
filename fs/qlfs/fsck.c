/*
 * fs/qlfs/fsck.c - the qlfs checker: invariants QL1..QL14 of
 * docs/qlfs-format.md (F2FS's fsck/fsck.c in spirit), and with -y their
 * repair, written as a new checkpoint (the section at the end; docs/qlfs.md
 * "Repair").
 *
 * Layer: fs. Used by: fsck.qlfs (shell command and host tool,
 * fs/qlfs/tool.c), the qlfs_format suite (and later every qlfs test).
 * Provides: qlfs_fsck().
 *
 * Order: superblocks (QL1, QL2), checkpoint packs (QL3), SIT (QL5) and NAT
 * (QL4) from their live copies, then pass 1 walks every inode's node tree
 * (claiming each node and data block for its owner: QL4, QL6, QL10), pass
 * 2 reads every directory's entry blocks (QL11) and counts names (QL12,
 * QL13), and a last pass over the segments compares the SIT, the owners
 * and the summaries (QL6, QL7, QL14) and the checkpoint's counts (QL8).
 * Every block read is checked against its checksum (QL9).
 *
 * Everything read is hostile: each address, nid, count and length is
 * range-checked before use, node trees have a fixed depth and each nid is
 * walked once, so a looped or forged image cannot make fsck loop, recurse
 * deeply or index out of bounds. A block that fails its checksum is
 * reported and not interpreted further.
 *
 * Memory: 40 bytes per nid and 75 per segment, and 8 bytes per main-area
 * block for owners, in chunks of 64 KiB (no allocation above MAX_ORDER)
 * allocated for the regions that hold valid blocks only.
 *
 * Repair invariants (-y):
 *  FR1: nothing the live checkpoint uses is written over before the new
 *       pack's footer is down: rewritten blocks go to segments free in the
 *       live state, SIT/NAT blocks to their shadow copies, the pack to the
 *       other place (exceptions: the bad superblock copy, and SSA entries
 *       of blocks that stay, which become true).
 *  FR2: a repair only drops what it cannot read or that nothing reaches,
 *       or copies (a block owned twice); a sound, named file keeps all of
 *       its blocks.
 *  FR3: the exit status after a repair is a fresh check's verdict.
 *
 * Locking: none; one caller owns the device while checking.
 */
#include <quire/errno.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/console.h>
#include <quire/slab.h>
#include <quire/mm.h>
#include <quire/bitops.h>
#include "qlfs.h"

#define CHUNK_ORDER 4 /* 64 KiB per table chunk */

/* A large array in page chunks. */
struct ftable {
	u8 **chunks;
	u32 nr_chunks;
	u32 per_chunk;
	u32 esize;
};

/* @lazy: chunks are allocated when first written (ftable_get()). */
static int ftable_init(struct ftable *t, u64 n, u32 esize, bool lazy)
{
	t->esize = esize;
	t->per_chunk = (PAGE_SIZE << CHUNK_ORDER) / esize;
	t->nr_chunks = DIV_ROUND_UP(n ? n : 1, t->per_chunk);
	t->chunks = kzalloc(sizeof(u8 *) * t->nr_chunks, GFP_KERNEL);
	if (!t->chunks)
		return -ENOMEM;
	for (u32 i = 0; i < t->nr_chunks && !lazy; i++) {
		t->chunks[i] = __get_free_pages(GFP_KERNEL | __GFP_ZERO, CHUNK_ORDER);
		if (!t->chunks[i])
			return -ENOMEM;
	}
	return 0;
}

static void ftable_free(struct ftable *t)
{
	if (!t->chunks)
		return;
	for (u32 i = 0; i < t->nr_chunks; i++)
		if (t->chunks[i])
			free_pages(t->chunks[i], CHUNK_ORDER);
	kfree(t->chunks);
	t->chunks = NULL;
}

static void *ftable_at(struct ftable *t, u64 i)
{
	return t->chunks[i / t->per_chunk] + (i % t->per_chunk) * t->esize;
}

/* Element @i of a lazy table, or NULL if its chunk was never written. */
static void *ftable_peek(struct ftable *t, u64 i)
{
	u8 *c = t->chunks[i / t->per_chunk];

	return c ? c + (i % t->per_chunk) * t->esize : NULL;
}

/* Element @i of a lazy table, its chunk allocated if need be; NULL: no memory. */
static void *ftable_get(struct ftable *t, u64 i)
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
	u32 depth;
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
	bool pass2;
	/* -y (fsck_repair.c part below) */
	bool sb_fix;		  /* rewrite superblock copy !sb_used */
	int verdict;		  /* of the entry check_dentry() just read */
	struct qlfs_moved *moved; /* dentry blocks rewritten: old -> new */
	u32 nr_moved;
	struct qlfs_clone *clones; /* data blocks owned twice: the 2nd's copy */
	u32 nr_clones;
	u32 rseg[2], roff[2]; /* repair segments: node, data */
	struct qlfs_summary_block *rsum[2];
	bool rfull; /* no free segment left for the repair */
	u32 lpf;    /* the root's "lost+found" directory, or 0 */
};

/* What pass 2 does with a directory entry under -y. */
enum {
	DENT_KEEP,
	DENT_DROP,
	DENT_RETYPE
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

static void report(struct fsck *f, unsigned int ql, const char *fmt, ...) __printf(3, 4);

static void report(struct fsck *f, unsigned int ql, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	f->r->problems++;
	f->r->broken |= 1u << ql;
	if (f->o->quiet || (f->o->max_reports && f->r->problems > f->o->max_reports))
		return;
	va_start(ap, fmt);
	vscnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cprintf("fsck.qlfs: QL%u: %s\n", ql, msg);
}

/* An operational message (not a broken invariant): shown unless quiet. */
static void say(struct fsck *f, const char *fmt, ...) __printf(2, 3);

static void say(struct fsck *f, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (f->o->quiet)
		return;
	va_start(ap, fmt);
	vscnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cprintf("fsck.qlfs: %s\n", msg);
}

static struct nid_info *ni(struct fsck *f, u32 nid)
{
	return ftable_at(&f->nids, nid);
}

static struct seg_info *seg(struct fsck *f, u32 segno)
{
	return ftable_at(&f->segs, segno);
}

static bool in_main(struct fsck *f, u32 addr)
{
	return addr >= f->l.main_blkaddr &&
	       addr - f->l.main_blkaddr < (u64)f->l.segs_main * f->l.bps;
}

/* -y (the repair section, at the end). */
static void note_clone(struct fsck *f, u32 nid, u16 ofs, u32 addr);
static void unclaim(struct fsck *f, u32 addr);
static bool fix_dentry(struct fsck *f, struct qlfs_dentry_block *db, u32 slot, u32 n);
static int rewrite_dentry_block(struct fsck *f, u32 addr, struct qlfs_dentry_block *db);

/* Read one metadata block at @addr into @buf and verify its checksum. */
static int read_meta(struct fsck *f, u32 addr, void *buf, const char *what)
{
	int err = qlfs_dev_read(f->d, addr, buf, 1);

	if (err) {
		say(f, "cannot read %s at block %u: %s", what, addr, errname(err));
		f->r->operational = true;
		return err;
	}
	if (!qlfs_block_csum_ok(buf, addr)) {
		report(f, 9, "%s at block %u: bad checksum (stored %08x, computed %08x)",
		       what, addr, qlfs_block_stored_csum(buf),
		       qlfs_block_csum(buf, addr));
		return -EUCLEAN;
	}
	return 0;
}

/* ---- QL1, QL2: superblocks ---- */

/* Why superblock @sb is not usable (NULL: it is), and which invariant. */
static const char *sb_invalid(struct fsck *f, struct qlfs_super_block *sb, u32 addr,
			      unsigned int *ql)
{
	struct qlfs_layout l;
	u32 log_bps = le32_to_cpu(sb->log_blocks_per_seg);
	u64 count = le64_to_cpu(sb->block_count);

	*ql = 9;
	if (!qlfs_block_csum_ok(sb, addr))
		return le32_to_cpu(sb->magic) == QLFS_SUPER_MAGIC ? "bad checksum" :
								    "no qlfs magic";
	*ql = 1;
	if (le32_to_cpu(sb->magic) != QLFS_SUPER_MAGIC)
		return "bad magic";
	if (le16_to_cpu(sb->major_ver) != QLFS_MAJOR_VERSION)
		return "unknown major version";
	if (le32_to_cpu(sb->feature))
		return "unknown feature bits";
	if (le32_to_cpu(sb->log_blocksize) != QLFS_BLKSIZE_BITS)
		return "block size is not 4 KiB";
	if (count > f->d->nr_blocks)
		return "block_count larger than the device";
	if (qlfs_compute_layout(count, log_bps, &l) || l.block_count != count)
		return "block_count and segment size give no valid layout";
	if (le32_to_cpu(sb->segment_count) != l.segment_count ||
	    le32_to_cpu(sb->segment_count_ckpt) != 2 ||
	    le32_to_cpu(sb->segment_count_sit) != 2 * l.segs_sit ||
	    le32_to_cpu(sb->segment_count_nat) != 2 * l.segs_nat ||
	    le32_to_cpu(sb->segment_count_ssa) != l.segs_ssa ||
	    le32_to_cpu(sb->segment_count_main) != l.segs_main)
		return "segment counts differ from the layout";
	if (le32_to_cpu(sb->segment0_blkaddr) != 0 ||
	    le32_to_cpu(sb->cp_blkaddr) != l.cp_blkaddr ||
	    le32_to_cpu(sb->sit_blkaddr) != l.sit_blkaddr ||
	    le32_to_cpu(sb->nat_blkaddr) != l.nat_blkaddr ||
	    le32_to_cpu(sb->ssa_blkaddr) != l.ssa_blkaddr ||
	    le32_to_cpu(sb->main_blkaddr) != l.main_blkaddr)
		return "area addresses differ from the layout";
	if (le32_to_cpu(sb->sit_blocks) != l.sit_blocks ||
	    le32_to_cpu(sb->nat_blocks) != l.nat_blocks ||
	    le32_to_cpu(sb->max_nid) != l.max_nid)
		return "SIT/NAT sizes differ from the layout";
	if (le32_to_cpu(sb->root_ino) != QLFS_ROOT_INO ||
	    le32_to_cpu(sb->node_ino) != QLFS_NODE_INO ||
	    le32_to_cpu(sb->meta_ino) != QLFS_META_INO)
		return "reserved inode numbers";
	if (sb->volume_name[63])
		return "label not NUL-terminated";
	f->l = l;
	return NULL;
}

static int check_supers(struct fsck *f)
{
	u8 *two = qlfs_alloc_blocks(1);
	const char *why[2];
	unsigned int ql[2];
	int err, use = -1;

	if (!two)
		return -ENOMEM;
	err = qlfs_dev_read(f->d, 0, two, 2);
	if (err) {
		say(f, "cannot read the superblocks: %s", errname(err));
		f->r->operational = true;
		goto out;
	}
	for (int i = 1; i >= 0; i--) { /* copy 0 last: its layout stays */
		why[i] = sb_invalid(f, (void *)(two + i * QLFS_BLKSIZE), i, &ql[i]);
		if (!why[i])
			use = i;
	}
	if (use == 1) /* recompute copy 1's layout */
		sb_invalid(f, (void *)(two + QLFS_BLKSIZE), 1, &ql[1]);
	if (use < 0 &&
	    le32_to_cpu(((struct qlfs_super_block *)two)->magic) != QLFS_SUPER_MAGIC &&
	    le32_to_cpu(((struct qlfs_super_block *)(two + QLFS_BLKSIZE))->magic) !=
		    QLFS_SUPER_MAGIC) {
		report(f, 1,
		       "no qlfs superblock (no magic in blocks 0 and 1): not a qlfs image");
		f->r->operational = true;
		err = -EINVAL;
		goto out;
	}
	if (use < 0) {
		report(f, ql[0], "superblock copy 0: %s", why[0]);
		report(f, ql[1], "superblock copy 1: %s", why[1]);
		say(f, "no valid qlfs superblock");
		f->r->operational = true;
		err = -EINVAL;
		goto out;
	}
	if (why[!use])
		report(f, 2, "superblock copy %d is not valid (QL%u: %s); copy %d used",
		       !use, ql[!use], why[!use], use);
	else if (memcmp(two, two + QLFS_BLKSIZE, QLFS_CSUM_OFFSET))
		report(f, 2, "the two superblock copies differ");
	f->sb_fix = why[!use] || memcmp(two, two + QLFS_BLKSIZE, QLFS_CSUM_OFFSET);
	memcpy(f->sb, two + use * QLFS_BLKSIZE, QLFS_BLKSIZE);
	f->r->sb_used = use;
	err = 0;
out:
	qlfs_free_blocks(two, 1);
	return err;
}

/* ---- QL3: checkpoint packs ---- */

static bool bits_clear_from(const u8 *map, u32 from, u32 bytes)
{
	for (u32 b = from; b < bytes * 8; b++)
		if (qlfs_test_bit(map, b))
			return false;
	return true;
}

static const char *cp_fields_invalid(struct fsck *f, const struct qlfs_checkpoint *cp)
{
	const struct qlfs_layout *l = &f->l;
	u32 total = le32_to_cpu(cp->cp_pack_total_block_count);
	u32 start = le32_to_cpu(cp->cp_pack_start_sum);
	u32 flags = le32_to_cpu(cp->ckpt_flags);
	u32 sitb = qlfs_sit_bitmap_bytes(l), natb = qlfs_nat_bitmap_bytes(l);

	if (flags & ~CP_KNOWN_FLAGS)
		return "unknown flags";
	if (start < 1 || start - 1 > l->bps - 8 || total != start + NR_CURSEG_TYPE + 1)
		return "pack size out of range";
	if (!(flags & CP_ORPHAN_PRESENT_FLAG) != (start == 1))
		return "orphan flag and orphan blocks disagree";
	if (le32_to_cpu(cp->sit_ver_bitmap_bytesize) != sitb ||
	    le32_to_cpu(cp->nat_ver_bitmap_bytesize) != natb)
		return "version bitmap sizes differ from the superblock's";
	if (!bits_clear_from(cp->sit_nat_version_bitmap, l->sit_blocks, sitb) ||
	    !bits_clear_from(cp->sit_nat_version_bitmap + sitb, l->nat_blocks, natb) ||
	    !bits_clear_from(cp->sit_nat_version_bitmap + sitb + natb, 0,
			     QLFS_CP_BITMAP_BYTES - sitb - natb))
		return "version bitmap bits past the areas";
	if (le32_to_cpu(cp->next_free_nid) >= l->max_nid)
		return "next_free_nid out of range";
	for (int i = 0; i < NR_CURSEG_TYPE; i++) {
		u32 s = i < 3 ? le32_to_cpu(cp->cur_data_segno[i]) :
				le32_to_cpu(cp->cur_node_segno[i - 3]);
		u32 off = i < 3 ? le16_to_cpu(cp->cur_data_blkoff[i]) :
				  le16_to_cpu(cp->cur_node_blkoff[i - 3]);

		if (s >= l->segs_main || off > l->bps)
			return "current segment out of range";
		for (int j = 0; j < i; j++)
			if ((j < 3 ? le32_to_cpu(cp->cur_data_segno[j]) :
				     le32_to_cpu(cp->cur_node_segno[j - 3])) == s)
				return "two logs share a current segment";
	}
	return NULL;
}

/* Validate pack @p (into @buf, 2^3 blocks... up to bps blocks). */
static const char *cp_pack_invalid(struct fsck *f, int p, u8 *buf)
{
	u32 base = f->l.cp_blkaddr + p * f->l.bps;
	struct qlfs_checkpoint *cp = (void *)buf;
	const char *why;
	u32 total;

	if (qlfs_dev_read(f->d, base, buf, 1))
		return "unreadable";
	if (!qlfs_block_csum_ok(buf, base))
		return "header checksum";
	why = cp_fields_invalid(f, cp);
	if (why)
		return why;
	total = le32_to_cpu(cp->cp_pack_total_block_count);
	if (qlfs_dev_read(f->d, base + 1, buf + QLFS_BLKSIZE, total - 1))
		return "unreadable";
	for (u32 b = 1; b < total; b++)
		if (!qlfs_block_csum_ok(buf + b * QLFS_BLKSIZE, base + b))
			return b == total - 1 ? "footer checksum" :
						"orphan or summary block checksum";
	if (memcmp(buf, buf + (total - 1) * QLFS_BLKSIZE, QLFS_CSUM_OFFSET))
		return le64_to_cpu(cp->checkpoint_ver) ==
				       le64_to_cpu(((struct qlfs_checkpoint
							     *)(buf + (total -
								       1) * QLFS_BLKSIZE))
							   ->checkpoint_ver) ?
			       "footer differs from header" :
			       "header and footer versions differ";
	for (u32 b = 1; b < le32_to_cpu(cp->cp_pack_start_sum); b++) {
		struct qlfs_orphan_block *ob = (void *)(buf + b * QLFS_BLKSIZE);

		if (le16_to_cpu(ob->blk_addr) != b - 1 ||
		    le16_to_cpu(ob->blk_count) !=
			    le32_to_cpu(cp->cp_pack_start_sum) - 1 ||
		    le32_to_cpu(ob->entry_count) > ORPHANS_PER_BLOCK)
			return "orphan block header";
	}
	return NULL;
}

static int check_checkpoint(struct fsck *f)
{
	u32 order = f->l.log_bps; /* a pack is at most one segment */
	u8 *pk[2] = {qlfs_alloc_blocks(order), qlfs_alloc_blocks(order)};
	const char *why[2];
	int use = -1, err = 0;

	if (!pk[0] || !pk[1]) {
		err = -ENOMEM;
		goto out;
	}
	for (int p = 0; p < 2; p++) {
		why[p] = cp_pack_invalid(f, p, pk[p]);
		if (!why[p] &&
		    (use < 0 ||
		     le64_to_cpu(((struct qlfs_checkpoint *)pk[p])->checkpoint_ver) >
			     le64_to_cpu(((struct qlfs_checkpoint *)pk[use])
						 ->checkpoint_ver)))
			use = p;
	}
	if (use < 0) {
		report(f, 3, "no valid checkpoint pack (pack 0: %s; pack 1: %s)", why[0],
		       why[1]);
		err = -EUCLEAN;
		goto out;
	}
	f->pack = pk[use];
	pk[use] = NULL;
	f->cp = (void *)f->pack;
	f->r->cp_used = use;
	f->r->cp_ver = le64_to_cpu(f->cp->checkpoint_ver);
	for (int i = 0; i < 3; i++) {
		f->cur_seg[i] = le32_to_cpu(f->cp->cur_data_segno[i]);
		f->cur_off[i] = le16_to_cpu(f->cp->cur_data_blkoff[i]);
		f->cur_seg[3 + i] = le32_to_cpu(f->cp->cur_node_segno[i]);
		f->cur_off[3 + i] = le16_to_cpu(f->cp->cur_node_blkoff[i]);
	}
out:
	qlfs_free_blocks(pk[0], order);
	qlfs_free_blocks(pk[1], order);
	return err;
}

static const struct qlfs_summary_block *cp_summary(struct fsck *f, int type)
{
	u32 start = le32_to_cpu(f->cp->cp_pack_start_sum);

	return (const void *)(f->pack + (start + type) * QLFS_BLKSIZE);
}

static int curseg_type(struct fsck *f, u32 segno)
{
	for (int t = 0; t < NR_CURSEG_TYPE; t++)
		if (f->cur_seg[t] == segno)
			return t;
	return -1;
}

/* ---- QL5: SIT; QL4: NAT entries ---- */

static bool live_copy(struct fsck *f, u32 bitmap_off, u32 i)
{
	return qlfs_test_bit(f->cp->sit_nat_version_bitmap + bitmap_off, i);
}

/* Block @i of the SIT (@nat false) or NAT through the read-ahead: runs of
 * up to RA_BLOCKS blocks whose live copy is the same are read in one go.
 * Returns the block (checksum not yet checked) or NULL on an I/O error. */
#define RA_ORDER  6
#define RA_BLOCKS (1u << RA_ORDER)

static const u8 *area_block(struct fsck *f, bool nat, u32 i, int *copy, u32 *addr)
{
	const struct qlfs_layout *l = &f->l;
	u32 off = nat ? qlfs_sit_bitmap_bytes(l) : 0,
	    nr = nat ? l->nat_blocks : l->sit_blocks;
	u32 run = 1;
	int err;

	*copy = live_copy(f, off, i);
	*addr = nat ? qlfs_nat_blkaddr(l, i, *copy) : qlfs_sit_blkaddr(l, i, *copy);
	if (*addr >= f->ra_addr && *addr - f->ra_addr < f->ra_nr)
		return f->ra + (size_t)(*addr - f->ra_addr) * QLFS_BLKSIZE;
	while (run < RA_BLOCKS && i + run < nr && live_copy(f, off, i + run) == *copy)
		run++;
	err = qlfs_dev_read(f->d, *addr, f->ra, run);
	if (err) {
		say(f, "cannot read %s blocks at %u: %s", nat ? "NAT" : "SIT", *addr,
		    errname(err));
		f->r->operational = true;
		f->ra_nr = 0;
		return NULL;
	}
	f->ra_addr = *addr;
	f->ra_nr = run;
	return f->ra;
}

/* QL9 for a block already read. */
static int csum_check(struct fsck *f, const void *blk, u32 addr, const char *what)
{
	if (qlfs_block_csum_ok(blk, addr))
		return 0;
	report(f, 9, "%s at block %u: bad checksum (stored %08x, computed %08x)", what,
	       addr, qlfs_block_stored_csum(blk), qlfs_block_csum(blk, addr));
	return -EUCLEAN;
}

static int load_sit(struct fsck *f)
{
	const struct qlfs_layout *l = &f->l;

	for (u32 i = 0; i < l->sit_blocks; i++) {
		const struct qlfs_sit_block *b;
		char what[32];
		int copy, err;
		u32 addr;

		b = (const void *)area_block(f, false, i, &copy, &addr);
		if (!b)
			return -EIO;
		scnprintf(what, sizeof(what), "SIT block %u (copy %d)", i, copy);
		err = csum_check(f, b, addr, what);
		for (u32 e = 0; e < SIT_ENTRY_PER_BLOCK; e++) {
			u32 segno = i * SIT_ENTRY_PER_BLOCK + e;
			struct seg_info *s;
			u32 vb, nr;

			if (segno >= l->segs_main)
				break;
			s = seg(f, segno);
			s->bad = err != 0;
			if (err)
				continue;
			s->se = b->entries[e];
			vb = le16_to_cpu(s->se.vblocks);
			nr = 0;
			for (u32 k = 0; k < SIT_VBLOCK_MAP_SIZE; k++)
				nr += hweight64(s->se.valid_map[k]);
			if ((vb & SIT_VBLOCKS_MASK) != nr)
				report(f, 5, "segment %u: valid count %u but %u bits set",
				       segno, vb & SIT_VBLOCKS_MASK, nr);
			if (!bits_clear_from(s->se.valid_map, l->bps,
					     SIT_VBLOCK_MAP_SIZE))
				report(f, 5, "segment %u: valid bits past its %u blocks",
				       segno, l->bps);
			if ((vb >> SIT_VBLOCKS_SHIFT) >= NR_CURSEG_TYPE)
				report(f, 5, "segment %u: log type %u", segno,
				       vb >> SIT_VBLOCKS_SHIFT);
			f->r->valid_blocks += vb & SIT_VBLOCKS_MASK;
		}
	}
	return 0;
}

static void load_nat_entry(struct fsck *f, u32 nid, const struct qlfs_nat_entry *ne)
{
	struct nid_info *n = ni(f, nid);
	u32 addr = le32_to_cpu(ne->block_addr), ino = le32_to_cpu(ne->ino);

	n->version = ne->version;
	if (addr == NULL_ADDR)
		return;
	if (nid < QLFS_ROOT_INO) {
		report(f, 4, "reserved nid %u has a NAT entry (block %u)", nid, addr);
		n->flags |= NI_NAT_FIX;
		return;
	}
	f->nat_in_use++;
	if (!in_main(f, addr)) {
		report(f, 4, "nid %u: block %u is outside the main area", nid, addr);
		n->flags |= NI_NAT_FIX;
		return;
	}
	if (ino < QLFS_ROOT_INO || ino >= f->l.max_nid) {
		report(f, 4, "nid %u: inode number %u out of range", nid, ino);
		n->flags |= NI_NAT_FIX;
		return;
	}
	n->flags |= NI_IN_USE;
	n->ino = ino;
	n->addr = addr;
}

static int load_nat(struct fsck *f)
{
	const struct qlfs_layout *l = &f->l;

	for (u32 i = 0; i < l->nat_blocks; i++) {
		const struct qlfs_nat_block *b;
		char what[32];
		int copy, err;
		u32 addr;

		b = (const void *)area_block(f, true, i, &copy, &addr);
		if (!b)
			return -EIO;
		scnprintf(what, sizeof(what), "NAT block %u (copy %d)", i, copy);
		err = csum_check(f, b, addr, what);
		for (u32 e = 0; e < NAT_ENTRY_PER_BLOCK; e++) {
			u32 nid = i * NAT_ENTRY_PER_BLOCK + e;

			if (err)
				ni(f, nid)->flags |= NI_NAT_BAD;
			else
				load_nat_entry(f, nid, &b->entries[e]);
		}
	}
	return 0;
}

/* ---- pass 1: node trees (QL4, QL6, QL10) ---- */

static void claim(struct fsck *f, u32 addr, u8 kind, u32 nid, u16 ofs)
{
	u64 i = addr - f->l.main_blkaddr;
	struct blk_owner *o = ftable_get(&f->owners, i);

	if (!o) {
		say(f, "out of memory");
		f->r->operational = true;
		return;
	}
	if (o->kind) {
		report(f, 6, "block %u owned twice: by %s of nid %u and by %s of nid %u",
		       addr, o->kind == OWN_NODE ? "node" : "data", o->nid,
		       kind == OWN_NODE ? "node" : "data", nid);
		if (kind == OWN_DATA && o->kind == OWN_DATA)
			note_clone(f, nid, ofs, addr);
		return;
	}
	o->kind = kind;
	o->nid = nid;
	o->ofs = ofs;
}

static void check_dentry_block(struct fsck *f, u32 dir, u64 idx, u32 addr);

/* A data pointer of the node @parent at index @ofs: file block @fblk. */
static void data_block(struct fsck *f, u32 parent, u16 ofs, u64 fblk, u32 addr)
{
	struct nid_info *in = ni(f, f->ino);

	if (addr == NULL_ADDR)
		return;
	if (f->pass2) {
		if (in->flags & NI_DIR && fblk < qlfs_dir_blocks(in->depth))
			check_dentry_block(f, f->ino, fblk, addr);
		return;
	}
	if (!in_main(f, addr)) {
		report(f, 10, "inode %u: block %llu at address %u, outside the main area",
		       f->ino, (unsigned long long)fblk, addr);
		return;
	}
	if (in->flags & NI_DIR && fblk >= qlfs_dir_blocks(in->depth)) {
		report(f, 11, "directory %u: block %llu past its size", f->ino,
		       (unsigned long long)fblk);
		if (f->o->repair)
			return; /* not claimed: -y drops the pointer */
	}
	claim(f, addr, OWN_DATA, parent, ofs);
	f->i_blocks++;
}

/* Node offsets and first file block of each child (docs: "Node offsets"). */
#define ADDRS_BEFORE_DIR1 ADDRS_PER_INODE
#define N		  ((u64)NIDS_PER_BLOCK)

enum node_kind {
	NODE_DIRECT,
	NODE_INDIRECT,
	NODE_DIND
};

static void walk_node(struct fsck *f, u32 parent, u16 slot, u32 nid, u32 ofs,
		      enum node_kind kind, u64 fblk);

static void walk_children(struct fsck *f, u32 nid, const u8 *blk, u32 ofs,
			  enum node_kind kind, u64 fblk)
{
	if (kind == NODE_DIRECT) {
		const struct qlfs_direct_node *dn = (const void *)blk;

		for (u32 j = 0; j < ADDRS_PER_BLOCK; j++)
			data_block(f, nid, j, fblk + j, le32_to_cpu(dn->addr[j]));
		return;
	}
	for (u32 j = 0; j < NIDS_PER_BLOCK; j++) {
		const struct qlfs_indirect_node *in = (const void *)blk;
		u32 child = le32_to_cpu(in->nid[j]);

		if (!child)
			continue;
		if (kind == NODE_INDIRECT)
			walk_node(f, nid, j, child, ofs + 1 + j, NODE_DIRECT,
				  fblk + j * N);
		else
			walk_node(f, nid, j, child, ofs + 1 + j * (N + 1), NODE_INDIRECT,
				  fblk + j * N * N);
	}
}

/* Is node @nid, the child of inode f->ino at offset @ofs, sound? */
static bool node_ok(struct fsck *f, u32 nid, u32 ofs, const u8 *blk)
{
	const struct qlfs_node_footer *ft = (const void *)(blk + 4064);
	struct nid_info *n = ni(f, nid);

	if (le32_to_cpu(ft->nid) != nid || le32_to_cpu(ft->ino) != n->ino) {
		report(f, 4, "nid %u at block %u: footer says nid %u ino %u, NAT ino %u",
		       nid, n->addr, le32_to_cpu(ft->nid), le32_to_cpu(ft->ino), n->ino);
		return false;
	}
	if (le32_to_cpu(ft->flag) >> OFFSET_BIT_SHIFT != ofs) {
		report(f, 10, "inode %u: node %u has offset %u, its place is %u", f->ino,
		       nid, le32_to_cpu(ft->flag) >> OFFSET_BIT_SHIFT, ofs);
		return false;
	}
	return true;
}

static void walk_node(struct fsck *f, u32 parent, u16 slot, u32 nid, u32 ofs,
		      enum node_kind kind, u64 fblk)
{
	struct nid_info *n;
	u8 *blk;

	if (nid >= f->l.max_nid) {
		report(f, 10, "inode %u: nid %u out of range", f->ino, nid);
		return;
	}
	n = ni(f, nid);
	if (!f->pass2) {
		if (n->flags & NI_NAT_BAD)
			return;
		if (!(n->flags & NI_IN_USE)) {
			report(f, 10, "inode %u: points at free nid %u", f->ino, nid);
			return;
		}
		if (n->ino != f->ino || nid == n->ino) {
			report(f, 4, "nid %u (NAT ino %u) is in the tree of inode %u",
			       nid, n->ino, f->ino);
			return;
		}
		if (n->flags & NI_REACHED) {
			report(f, 4, "nid %u reached twice in inode %u's tree", nid,
			       f->ino);
			return;
		}
		n->flags |= NI_REACHED;
		n->from = parent;
		n->from_slot = slot;
	} else {
		if (!(n->flags & NI_REACHED) || n->ino != f->ino || n->flags & NI_PASS2)
			return;
		n->flags |= NI_PASS2; /* a looped tree is walked once */
	}
	blk = qlfs_alloc_blocks(0);
	if (!blk) {
		f->r->operational = true;
		return;
	}
	if (f->pass2 ? qlfs_dev_read(f->d, n->addr, blk, 1) != 0 :
		       read_meta(f, n->addr, blk, "node block") != 0)
		goto out;
	if (!f->pass2) {
		if (!node_ok(f, nid, ofs, blk))
			goto out;
		claim(f, n->addr, OWN_NODE, nid, 0);
		n->flags |= NI_GOOD;
		f->i_blocks++;
	}
	walk_children(f, nid, blk, ofs, kind, fblk);
out:
	qlfs_free_blocks(blk, 0);
}

static bool mode_ok(u16 mode)
{
	switch (mode & QLFS_S_IFMT) {
	case QLFS_S_IFREG:
	case QLFS_S_IFDIR:
	case QLFS_S_IFLNK:
	case QLFS_S_IFCHR:
	case QLFS_S_IFBLK:
	case QLFS_S_IFIFO:
	case QLFS_S_IFSOCK:
		return true;
	}
	return false;
}

#define QLFS_MAX_FILE_BLOCKS (ADDRS_PER_INODE + 2 * N + 2 * N * N + N * N * N)

/* QL10's checks of the inode's own fields; false: do not walk it. */
static bool inode_fields_ok(struct fsck *f, const struct qlfs_inode *in)
{
	u16 mode = le16_to_cpu(in->i_mode);
	u64 size = le64_to_cpu(in->i_size);
	u32 depth = le32_to_cpu(in->i_current_depth);

	if (!mode_ok(mode)) {
		report(f, 10, "inode %u: mode %06o is no file type", f->ino, mode);
		return false;
	}
	if (in->i_inline & ~QLFS_KNOWN_INLINE) {
		report(f, 10, "inode %u: unknown inline flags %#x", f->ino, in->i_inline);
		return false;
	}
	if (in->i_inline & QLFS_INLINE_DATA) {
		bool nids = false;

		for (int i = 0; i < NIDS_PER_INODE; i++)
			nids |= in->i_nid[i] != 0;
		if ((mode & QLFS_S_IFMT) != QLFS_S_IFREG || size > MAX_INLINE_DATA ||
		    nids) {
			report(f, 10, "inode %u: inline data in a %s of %llu bytes%s",
			       f->ino,
			       (mode & QLFS_S_IFMT) == QLFS_S_IFREG ? "file" : "non-file",
			       (unsigned long long)size, nids ? " with nids" : "");
			return false;
		}
	}
	if ((mode & QLFS_S_IFMT) == QLFS_S_IFDIR) {
		if (depth < 1 || depth > QLFS_MAX_DIR_HASH_DEPTH ||
		    size != qlfs_dir_blocks(depth) * QLFS_BLKSIZE) {
			report(f, 11, "directory %u: depth %u and size %llu disagree",
			       f->ino, depth, (unsigned long long)size);
			return false;
		}
	} else if (size > (u64)QLFS_MAX_FILE_BLOCKS * QLFS_BLKSIZE) {
		report(f, 10, "inode %u: size %llu beyond the largest file", f->ino,
		       (unsigned long long)size);
	}
	return true;
}

static void walk_inode_tree(struct fsck *f, const struct qlfs_inode *in)
{
	static const struct {
		u32 ofs;
		enum node_kind kind;
		u64 fblk;
	} slot[NIDS_PER_INODE] = {
		{NODE_OFS_DIR1, NODE_DIRECT, ADDRS_BEFORE_DIR1},
		{NODE_OFS_DIR2, NODE_DIRECT, ADDRS_BEFORE_DIR1 + N},
		{NODE_OFS_IND1, NODE_INDIRECT, ADDRS_BEFORE_DIR1 + 2 * N},
		{NODE_OFS_IND2, NODE_INDIRECT, ADDRS_BEFORE_DIR1 + 2 * N + N * N},
		{NODE_OFS_DIND, NODE_DIND, ADDRS_BEFORE_DIR1 + 2 * N + 2 * N * N},
	};

	if (in->i_inline & QLFS_INLINE_DATA)
		return;
	for (u32 k = 0; k < ADDRS_PER_INODE; k++)
		data_block(f, f->ino, k, k, le32_to_cpu(in->i_addr[k]));
	for (int s = 0; s < NIDS_PER_INODE; s++)
		if (in->i_nid[s])
			walk_node(f, f->ino, s, le32_to_cpu(in->i_nid[s]), slot[s].ofs,
				  slot[s].kind, slot[s].fblk);
}

static void check_inode(struct fsck *f, u32 nid, u8 *blk)
{
	struct nid_info *n = ni(f, nid);
	const struct qlfs_inode *in = (const void *)blk;

	f->ino = nid;
	n->flags |= NI_REACHED;
	if (read_meta(f, n->addr, blk, "inode") || !node_ok(f, nid, 0, blk))
		return;
	claim(f, n->addr, OWN_NODE, nid, 0);
	n->flags |= NI_GOOD;
	if (!inode_fields_ok(f, in))
		return;
	n->flags |= NI_INODE;
	n->mode = le16_to_cpu(in->i_mode);
	n->links = le32_to_cpu(in->i_links);
	if ((n->mode & QLFS_S_IFMT) == QLFS_S_IFDIR) {
		n->flags |= NI_DIR;
		n->depth = le32_to_cpu(in->i_current_depth);
	}
	f->r->inodes++;
	f->i_blocks = 1;
	walk_inode_tree(f, in);
	n->blocks = f->i_blocks;
	if (le64_to_cpu(in->i_blocks) != f->i_blocks)
		report(f, 10, "inode %u: i_blocks %llu, its tree holds %llu", nid,
		       (unsigned long long)le64_to_cpu(in->i_blocks),
		       (unsigned long long)f->i_blocks);
}

static int pass1(struct fsck *f)
{
	u8 *blk = qlfs_alloc_blocks(0);

	if (!blk)
		return -ENOMEM;
	for (u32 nid = QLFS_ROOT_INO; nid < f->l.max_nid && !f->r->operational; nid++) {
		struct nid_info *n = ni(f, nid);

		if ((n->flags & NI_IN_USE) && n->ino == nid)
			check_inode(f, nid, blk);
	}
	for (u32 nid = QLFS_ROOT_INO; nid < f->l.max_nid; nid++) {
		struct nid_info *n = ni(f, nid);

		if ((n->flags & (NI_IN_USE | NI_REACHED)) == NI_IN_USE)
			report(f, 4, "nid %u (ino %u) is in no inode's tree", nid,
			       n->ino);
	}
	qlfs_free_blocks(blk, 0);
	return 0;
}

/* ---- pass 2: directories (QL11, QL12, QL13) ---- */

static u8 ft_of_mode(u16 mode)
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

static bool is_dot(const u8 *name, u32 len)
{
	return len == 1 && name[0] == '.';
}

static bool is_dotdot(const u8 *name, u32 len)
{
	return len == 2 && name[0] == '.' && name[1] == '.';
}

/* "." and ".." belong in block 0, slots 0 and 1, and nowhere else. */
static void dot_entry(struct fsck *f, u32 dir, u64 idx, u32 slot, bool dotdot, u32 ino)
{
	struct nid_info *d = ni(f, dir);

	if (idx != 0 || slot != (dotdot ? 1 : 0)) {
		report(f, 11, "directory %u: \"%s\" in block %llu slot %u", dir,
		       dotdot ? ".." : ".", (unsigned long long)idx, slot);
		f->verdict = DENT_DROP;
		return;
	}
	if (dotdot) {
		d->flags |= NI_HAS_DOTDOT;
		d->dotdot = ino;
	} else {
		d->flags |= NI_HAS_DOT;
		if (ino != dir)
			report(f, 11, "directory %u: \".\" names %u", dir, ino);
	}
}

static void name_entry(struct fsck *f, u32 dir, const u8 *name, u32 len, u32 ino, u8 ft)
{
	struct nid_info *t;

	if (ino >= f->l.max_nid || !(ni(f, ino)->flags & NI_INODE)) {
		report(f, 11, "directory %u: \"%.*s\" names %u, not an inode in use", dir,
		       (int)min(len, 40u), name, ino);
		f->verdict = DENT_DROP;
		return;
	}
	t = ni(f, ino);
	if (ft != ft_of_mode(t->mode)) {
		report(f, 11, "directory %u: \"%.*s\" has file type %u, inode %u is %u",
		       dir, (int)min(len, 40u), name, ft, ino, ft_of_mode(t->mode));
		f->verdict = DENT_RETYPE;
	}
	if (t->flags & NI_DIR && t->flags & NI_PARENT && f->o->repair) {
		report(f, 11, "directory %u named twice (in %u and %u)", ino, t->parent,
		       dir);
		f->verdict = DENT_DROP; /* -y: the second name goes, uncounted */
		return;
	}
	t->refs++;
	ni(f, dir)->entries++;
	if (!(t->flags & NI_DIR))
		return;
	if (dir == QLFS_ROOT_INO && len == 10 && !memcmp(name, "lost+found", 10))
		f->lpf = ino;
	ni(f, dir)->subdirs++;
	if (t->flags & NI_PARENT) {
		report(f, 11, "directory %u named twice (in %u and %u)", ino, t->parent,
		       dir);
		return;
	}
	t->flags |= NI_PARENT;
	t->parent = dir;
}

/* Check one entry at @slot of @db (block @idx of @dir, bucket @bucket of
 * @nbuckets); returns the slots it takes. */
static u32 check_dentry(struct fsck *f, u32 dir, u64 idx,
			const struct qlfs_dentry_block *db, u32 slot, u64 bucket,
			u64 nbuckets)
{
	const struct qlfs_dir_entry *de = &db->dentry[slot];
	u32 len = le16_to_cpu(de->name_len), ino = le32_to_cpu(de->ino);
	u32 nslots = DIV_ROUND_UP(len, QLFS_SLOT_LEN);
	const u8 *name = db->filename[slot];
	u32 hash;

	f->verdict = DENT_DROP; /* until it proves sound */
	if (len == 0 || len > QLFS_NAME_LEN || slot + nslots > NR_DENTRY_IN_BLOCK) {
		report(f, 11, "directory %u block %llu slot %u: name length %u", dir,
		       (unsigned long long)idx, slot, len);
		return 1;
	}
	for (u32 s = slot; s < slot + nslots; s++)
		if (!qlfs_test_bit(db->dentry_bitmap, s)) {
			report(f, 11,
			       "directory %u block %llu slot %u: name runs into free slot %u",
			       dir, (unsigned long long)idx, slot, s);
			return 1;
		}
	for (u32 i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == 0) {
			report(f, 11,
			       "directory %u block %llu slot %u: '/' or NUL in the name",
			       dir, (unsigned long long)idx, slot);
			return nslots;
		}
	f->verdict = DENT_KEEP;
	hash = qlfs_dentry_hash(name, len);
	if (le32_to_cpu(de->hash_code) != hash) {
		report(f, 11, "directory %u: \"%.*s\" stored hash %08x, computed %08x",
		       dir, (int)min(len, 40u), name, le32_to_cpu(de->hash_code), hash);
		f->verdict = DENT_DROP;
	} else if (hash % nbuckets != bucket) {
		report(f, 11,
		       "directory %u: \"%.*s\" in bucket %llu, its hash picks %llu", dir,
		       (int)min(len, 40u), name, (unsigned long long)bucket,
		       (unsigned long long)(hash % nbuckets));
		f->verdict = DENT_DROP;
	}
	if (f->verdict == DENT_DROP && f->o->repair)
		return nslots; /* -y removes it: its target is not counted */
	if (is_dot(name, len) || is_dotdot(name, len))
		dot_entry(f, dir, idx, slot, is_dotdot(name, len), ino);
	else
		name_entry(f, dir, name, len, ino, de->file_type);
	return nslots;
}

static void check_dentry_block(struct fsck *f, u32 dir, u64 idx, u32 addr)
{
	struct qlfs_dentry_block *db = (void *)f->blk;
	u64 j = idx / 2, level = 0, bucket;

	while ((2ULL << level) - 1 <= j) /* j in [2^level - 1, 2^(level+1) - 1) */
		level++;
	bucket = j + 1 - (1ULL << level);
	bool dirty = false;

	if (read_meta(f, addr, db, "directory block")) {
		if (f->o->repair)
			unclaim(f, addr); /* -y: a hole instead (entries lost) */
		return;
	}
	if (!bits_clear_from(db->dentry_bitmap, NR_DENTRY_IN_BLOCK,
			     SIZE_OF_DENTRY_BITMAP)) {
		report(f, 11, "directory %u block %llu: bitmap bits past slot 213", dir,
		       (unsigned long long)idx);
		for (u32 b = NR_DENTRY_IN_BLOCK; b < SIZE_OF_DENTRY_BITMAP * 8; b++)
			db->dentry_bitmap[b / 8] &= ~(1u << (b % 8));
		dirty = true;
	}
	for (u32 s = 0; s < NR_DENTRY_IN_BLOCK;) {
		u32 n;

		if (!qlfs_test_bit(db->dentry_bitmap, s)) {
			s++;
			continue;
		}
		n = check_dentry(f, dir, idx, db, s, bucket, 1ULL << level);
		if (f->verdict != DENT_KEEP)
			dirty |= fix_dentry(f, db, s, n);
		s += n;
	}
	if (dirty && f->o->repair)
		rewrite_dentry_block(f, addr, db);
}

static int pass2(struct fsck *f)
{
	u8 *blk = qlfs_alloc_blocks(0);

	if (!blk)
		return -ENOMEM;
	f->pass2 = true;
	for (u32 nid = QLFS_ROOT_INO; nid < f->l.max_nid && !f->r->operational; nid++) {
		struct nid_info *n = ni(f, nid);

		if (!(n->flags & NI_DIR))
			continue;
		f->ino = nid;
		if (qlfs_dev_read(f->d, n->addr, blk, 1) == 0)
			walk_inode_tree(f, (const void *)blk);
	}
	f->pass2 = false;
	qlfs_free_blocks(blk, 0);
	return 0;
}

/* Does directory @dir reach the root by its parents? Marks the chain. */
static bool reaches_root(struct fsck *f, u32 dir)
{
	u32 cur = dir, steps = 0;

	while (cur != QLFS_ROOT_INO && !(ni(f, cur)->flags & NI_ROOTED)) {
		if (!(ni(f, cur)->flags & NI_PARENT) || ++steps > f->r->inodes)
			return false;
		cur = ni(f, cur)->parent;
	}
	for (cur = dir; cur != QLFS_ROOT_INO && !(ni(f, cur)->flags & NI_ROOTED);
	     cur = ni(f, cur)->parent)
		ni(f, cur)->flags |= NI_ROOTED;
	return true;
}

static void check_dir_links(struct fsck *f, u32 nid, struct nid_info *n)
{
	u32 parent = nid == QLFS_ROOT_INO ? QLFS_ROOT_INO : n->parent;

	if ((n->flags & (NI_HAS_DOT | NI_HAS_DOTDOT)) != (NI_HAS_DOT | NI_HAS_DOTDOT))
		report(f, 11, "directory %u: no \"%s\" entry", nid,
		       n->flags & NI_HAS_DOT ? ".." : ".");
	else if ((n->flags & NI_PARENT || nid == QLFS_ROOT_INO) && n->dotdot != parent)
		report(f, 11, "directory %u: \"..\" names %u, its parent is %u", nid,
		       n->dotdot, parent);
	if (nid == QLFS_ROOT_INO && n->refs)
		report(f, 11, "the root directory is named by %u entries", n->refs);
	if (n->links != 2 + n->subdirs)
		report(f, 12, "directory %u: %u links, has %u subdirectories (want %u)",
		       nid, n->links, n->subdirs, 2 + n->subdirs);
	if (nid == QLFS_ROOT_INO)
		return;
	if (!(n->flags & NI_PARENT))
		report(f, 13, "directory %u is named by no entry", nid);
	else if (!reaches_root(f, nid))
		report(f, 11, "directory %u does not reach the root (a loop of parents)",
		       nid);
}

static void check_links(struct fsck *f)
{
	struct nid_info *root = ni(f, QLFS_ROOT_INO);

	if (!(root->flags & NI_DIR))
		report(f, 11, "the root inode %u is not a directory in use",
		       QLFS_ROOT_INO);
	for (u32 nid = QLFS_ROOT_INO; nid < f->l.max_nid; nid++) {
		struct nid_info *n = ni(f, nid);

		if (!(n->flags & NI_INODE))
			continue;
		if (n->flags & NI_ORPHAN) {
			if (n->links || n->refs)
				report(f, 13, "orphan %u has %u links and %u names", nid,
				       n->links, n->refs);
			continue;
		}
		if (!n->links)
			report(f, 10, "inode %u: no links and not an orphan", nid);
		if (n->flags & NI_DIR)
			check_dir_links(f, nid, n);
		else if (!n->refs)
			report(f, 13, "inode %u is named by no entry", nid);
		else if (n->links != n->refs)
			report(f, 12, "inode %u: %u links, %u entries name it", nid,
			       n->links, n->refs);
	}
}

static void load_orphans(struct fsck *f)
{
	u32 nblk = le32_to_cpu(f->cp->cp_pack_start_sum) - 1;

	for (u32 b = 0; b < nblk; b++) {
		const struct qlfs_orphan_block *ob =
			(const void *)(f->pack + (1 + b) * QLFS_BLKSIZE);

		for (u32 e = 0; e < le32_to_cpu(ob->entry_count); e++) {
			u32 ino = le32_to_cpu(ob->ino[e]);

			if (ino >= f->l.max_nid || !(ni(f, ino)->flags & NI_INODE))
				report(f, 13, "orphan %u is not an inode in use", ino);
			else if (ni(f, ino)->flags & NI_ORPHAN)
				report(f, 13, "orphan %u listed twice", ino);
			else
				ni(f, ino)->flags |= NI_ORPHAN;
		}
	}
}

/* ---- segments: QL6, QL7, QL14; counts: QL8 ---- */

static void check_block(struct fsck *f, u32 segno, u32 b, bool valid, int type,
			const struct qlfs_summary_block *sum)
{
	u64 i = (u64)segno * f->l.bps + b;
	static const struct blk_owner nobody;
	const struct blk_owner *o = ftable_peek(&f->owners, i);
	u32 addr = f->l.main_blkaddr + i;
	const struct qlfs_summary *se;

	if (!o)
		o = &nobody;
	if (valid != (o->kind != 0)) {
		report(f, 6,
		       valid ? "block %u (segment %u +%u) valid in SIT but owned by nothing" :
			       "block %u (segment %u +%u) owned by nid %u but not valid in SIT",
		       addr, segno, b, o->nid);
		return;
	}
	if (!valid)
		return;
	if ((o->kind == OWN_NODE) != qlfs_log_is_node(type)) {
		report(f, 7, "block %u: a %s block in a %s-log segment (%u)", addr,
		       o->kind == OWN_NODE ? "node" : "data",
		       qlfs_log_is_node(type) ? "node" : "data", segno);
		return;
	}
	if (!sum)
		return;
	se = &sum->entries[b];
	if (le32_to_cpu(se->nid) != o->nid ||
	    (o->kind == OWN_DATA && le16_to_cpu(se->ofs_in_node) != o->ofs) ||
	    se->version != ni(f, o->nid)->version)
		report(f, 7,
		       "block %u: summary says nid %u ofs %u v%u, owner is nid %u ofs %u v%u",
		       addr, le32_to_cpu(se->nid), le16_to_cpu(se->ofs_in_node),
		       se->version, o->nid, o->kind == OWN_DATA ? o->ofs : 0,
		       ni(f, o->nid)->version);
}

static void check_curseg(struct fsck *f, u32 segno, int log, u32 type)
{
	const struct seg_info *s = seg(f, segno);

	if (type != (u32)log)
		report(f, 14, "current segment %u of log %d has SIT type %u", segno, log,
		       type);
	for (u32 b = f->cur_off[log]; b < f->l.bps; b++)
		if (qlfs_test_bit(s->se.valid_map, b)) {
			report(f, 14,
			       "current segment %u of log %d: block %u valid past blkoff %u",
			       segno, log, b, f->cur_off[log]);
			break;
		}
}

static int check_segments(struct fsck *f, u32 *free_segs)
{
	struct qlfs_summary_block *ssa = qlfs_alloc_blocks(0);

	if (!ssa)
		return -ENOMEM;
	*free_segs = 0;
	for (u32 segno = 0; segno < f->l.segs_main; segno++) {
		struct seg_info *s = seg(f, segno);
		u32 vb = le16_to_cpu(s->se.vblocks), type = vb >> SIT_VBLOCKS_SHIFT;
		int log = curseg_type(f, segno);
		const struct qlfs_summary_block *sum = NULL;

		if (s->bad)
			continue;
		if (!(vb & SIT_VBLOCKS_MASK) && log < 0)
			(*free_segs)++;
		if (log >= 0) {
			check_curseg(f, segno, log, type);
			sum = cp_summary(f, log);
		} else if (vb & SIT_VBLOCKS_MASK) {
			char what[32];

			scnprintf(what, sizeof(what), "SSA block of segment %u", segno);
			if (read_meta(f, f->l.ssa_blkaddr + segno, ssa, what) == 0)
				sum = ssa;
		}
		if (sum && (vb & SIT_VBLOCKS_MASK) &&
		    (sum->entry_type == SUM_TYPE_NODE) != qlfs_log_is_node(type))
			report(f, 7, "segment %u: summary type %u, SIT log type %u",
			       segno, sum->entry_type, type);
		if (!(vb & SIT_VBLOCKS_MASK) &&
		    bits_clear_from(s->se.valid_map, 0, SIT_VBLOCK_MAP_SIZE) &&
		    !ftable_peek(&f->owners, (u64)segno * f->l.bps))
			continue; /* empty, and no block of it owned */
		for (u32 b = 0; b < f->l.bps; b++)
			check_block(f, segno, b, qlfs_test_bit(s->se.valid_map, b), type,
				    sum);
	}
	qlfs_free_blocks(ssa, 0);
	return 0;
}

static void check_counts(struct fsck *f, u32 free_segs)
{
	const struct qlfs_checkpoint *cp = f->cp;
	const struct qlfs_layout *l = &f->l;
	u32 ovp = le32_to_cpu(cp->overprov_segment_count);
	u32 rsvd = le32_to_cpu(cp->rsvd_segment_count);
	u64 user = le64_to_cpu(cp->user_block_count);

	if (rsvd > ovp || ovp >= l->segs_main)
		report(f, 8, "reserved %u / overprovisioned %u of %u segments", rsvd, ovp,
		       l->segs_main);
	else if (user != (u64)(l->segs_main - ovp) * l->bps)
		report(f, 8, "user_block_count %llu, want %llu", (unsigned long long)user,
		       (unsigned long long)(l->segs_main - ovp) * l->bps);
	if (le64_to_cpu(cp->valid_block_count) != f->r->valid_blocks)
		report(f, 8, "valid_block_count %llu, SIT holds %llu",
		       (unsigned long long)le64_to_cpu(cp->valid_block_count),
		       (unsigned long long)f->r->valid_blocks);
	if (f->r->valid_blocks > user)
		report(f, 8, "%llu valid blocks exceed user_block_count %llu",
		       (unsigned long long)f->r->valid_blocks, (unsigned long long)user);
	if (le32_to_cpu(cp->valid_node_count) != f->nat_in_use)
		report(f, 8, "valid_node_count %u, NAT has %llu in use",
		       le32_to_cpu(cp->valid_node_count),
		       (unsigned long long)f->nat_in_use);
	if (le32_to_cpu(cp->valid_inode_count) != f->r->inodes)
		report(f, 8, "valid_inode_count %u, found %u inodes",
		       le32_to_cpu(cp->valid_inode_count), f->r->inodes);
	if (le32_to_cpu(cp->free_segment_count) != free_segs)
		report(f, 8, "free_segment_count %u, SIT has %u free segments",
		       le32_to_cpu(cp->free_segment_count), free_segs);
}

/* ---- -y: repair (e2fsck -y's contract, F2FS's fsck -a in spirit) ----
 *
 * The checks above run first and leave what they learnt: which nodes are
 * sound (NI_GOOD) and who reached them (from, from_slot), the owner of
 * every block, the names of every inode. The repair then decides what
 * stays (kept(): a sound node of an inode that stays) and writes a new
 * state beside the live one, as a checkpoint would:
 *  - a rewritten node or directory block goes to a new address in a
 *    segment free in the live state (repair_alloc()), never over a block
 *    the live checkpoint uses; its SSA block is written with it;
 *  - changed SIT and NAT blocks go to their shadow copies (the bit flips
 *    in the new pack only);
 *  - the new pack (version + 1) goes to the other pack's place: header and
 *    summaries, a cache flush, the footer, a flush. Until the footer is
 *    down the live pack is the newest valid one: a crash in the middle of
 *    the repair leaves the old state, and -y can run again.
 * Inodes nobody names that hold something are linked into /lost+found
 * (made if need be) as "#ino", e2fsck's way.
 * Two things are written in place: a bad superblock copy (from the good
 * one), and the SSA block of a non-current segment whose summary is wrong
 * (the live checkpoint reads it only for blocks that stay, and for those
 * the new summary is the true one).
 */

static bool inode_kept(struct fsck *f, u32 ino)
{
	return ino < f->l.max_nid &&
	       (ni(f, ino)->flags & (NI_INODE | NI_DROP)) == NI_INODE;
}

/* Does node @nid stay (a sound node of an inode that stays)? */
static bool kept(struct fsck *f, u32 nid)
{
	struct nid_info *n = ni(f, nid);

	return (n->flags & NI_GOOD) && inode_kept(f, n->ino);
}

static struct blk_owner *owner_at(struct fsck *f, u32 addr)
{
	return in_main(f, addr) ? ftable_peek(&f->owners, addr - f->l.main_blkaddr) :
				  NULL;
}

static void unclaim(struct fsck *f, u32 addr)
{
	struct blk_owner *o = owner_at(f, addr);

	if (o)
		o->kind = 0;
}

/* Is block @addr owned, and by a node that stays? */
static bool block_kept(struct fsck *f, const struct blk_owner *o)
{
	return o && o->kind && kept(f, o->nid);
}

/* Remove (DENT_DROP) or retype the entry at @slot, @n slots long. */
static bool fix_dentry(struct fsck *f, struct qlfs_dentry_block *db, u32 slot, u32 n)
{
	struct qlfs_dir_entry *de = &db->dentry[slot];

	if (!f->o->repair)
		return false;
	if (f->verdict == DENT_RETYPE) {
		de->file_type = ft_of_mode(ni(f, le32_to_cpu(de->ino))->mode);
		return true;
	}
	for (u32 s = slot; s < slot + n && s < NR_DENTRY_IN_BLOCK; s++)
		db->dentry_bitmap[s / 8] &= ~(1u << (s % 8));
	return true;
}

/* Is segment @segno free in the live state and unused by anything? */
static bool seg_reusable(struct fsck *f, u32 segno)
{
	const struct seg_info *s = seg(f, segno);
	u64 first = (u64)segno * f->l.bps;

	if (s->bad || curseg_type(f, segno) >= 0 || s->repair_type ||
	    (le16_to_cpu(s->se.vblocks) & SIT_VBLOCKS_MASK) ||
	    !bits_clear_from(s->se.valid_map, 0, SIT_VBLOCK_MAP_SIZE))
		return false;
	for (u32 b = 0; b < f->l.bps; b++) {
		const struct blk_owner *o = ftable_peek(&f->owners, first + b);

		if (o && o->kind)
			return false;
	}
	return true;
}

/* A new block for a rewritten node (@node) or directory block, owned by
 * @nid at @ofs; 0 when no free segment is left. */
static u32 repair_alloc(struct fsck *f, bool node, u32 nid, u16 ofs)
{
	int k = node ? 0 : 1;
	struct blk_owner *o;
	u32 addr;

	if (!f->rseg[k] || f->roff[k] == f->l.bps) {
		u32 segno;

		for (segno = 0; segno < f->l.segs_main; segno++)
			if (seg_reusable(f, segno))
				break;
		if (segno == f->l.segs_main) {
			if (!f->rfull)
				say(f, "no free segment left for the repair");
			f->rfull = true;
			return 0;
		}
		seg(f, segno)->repair_type =
			1 + (node ? CURSEG_WARM_NODE : CURSEG_HOT_DATA);
		f->rseg[k] = segno + 1; /* 0: none yet */
		f->roff[k] = 0;
	}
	addr = qlfs_seg_blkaddr(&f->l, f->rseg[k] - 1) + f->roff[k]++;
	o = ftable_get(&f->owners, addr - f->l.main_blkaddr);
	if (!o) {
		f->r->operational = true;
		return 0;
	}
	o->kind = node ? OWN_NODE : OWN_DATA;
	o->nid = nid;
	o->ofs = ofs;
	return addr;
}

/* Seal @blk for @addr and write it; counts the repair. */
static int repair_write(struct fsck *f, u32 addr, void *blk)
{
	int err;

	qlfs_block_seal(blk, addr);
	err = qlfs_dev_write(f->d, addr, blk, 1);
	if (err) {
		say(f, "cannot write block %u: %s", addr, errname(err));
		f->r->operational = true;
	}
	f->r->repaired++;
	return err;
}

/* Directory block @addr changed (pass 2, lost+found): write it elsewhere;
 * its parent's pointer follows (keep_data()). 0, or -errno (not moved). */
static int rewrite_dentry_block(struct fsck *f, u32 addr, struct qlfs_dentry_block *db)
{
	struct blk_owner *o = owner_at(f, addr), old;
	u32 to;

	if (!o || o->kind != OWN_DATA || f->nr_moved == QLFS_MAX_MOVED)
		return -EINVAL;
	if (!f->moved) {
		f->moved = kcalloc(QLFS_MAX_MOVED, sizeof(*f->moved), GFP_KERNEL);
		if (!f->moved) {
			f->r->operational = true;
			return -ENOMEM;
		}
	}
	old = *o;
	to = repair_alloc(f, false, old.nid, old.ofs);
	if (!to)
		return -ENOSPC;
	if (repair_write(f, to, db))
		return -EIO;
	unclaim(f, addr);
	f->moved[f->nr_moved].from = addr;
	f->moved[f->nr_moved++].to = to;
	return 0;
}

static struct qlfs_clone *note_clone_to(struct fsck *f, u32 nid, u16 ofs, u32 addr,
					u32 to)
{
	struct qlfs_clone *c;

	if (!f->o->repair || f->nr_clones == QLFS_MAX_MOVED)
		return NULL;
	if (!f->clones) {
		f->clones = kcalloc(QLFS_MAX_MOVED, sizeof(*f->clones), GFP_KERNEL);
		if (!f->clones) {
			f->r->operational = true;
			return NULL;
		}
	}
	c = &f->clones[f->nr_clones++];
	c->nid = nid;
	c->ofs = ofs;
	c->from = addr;
	c->to = to;
	return c;
}

static void note_clone(struct fsck *f, u32 nid, u16 ofs, u32 addr)
{
	note_clone_to(f, nid, ofs, addr, NULL_ADDR); /* make_clones() fills @to */
}

/* Copy each block owned twice for its second owner (if that one stays). */
static int make_clones(struct fsck *f, u8 *blk)
{
	for (u32 i = 0; i < f->nr_clones; i++) {
		struct qlfs_clone *c = &f->clones[i];
		int err;

		if (c->to || !kept(f, c->nid))
			continue; /* a block lost+found added, or a copy not needed */
		err = qlfs_dev_read(f->d, c->from, blk, 1);
		if (err)
			return err;
		c->to = repair_alloc(f, false, c->nid, c->ofs);
		if (!c->to)
			return 0;
		err = qlfs_dev_write(f->d, c->to, blk, 1); /* data: no checksum */
		if (err)
			return err;
		f->r->repaired++;
	}
	return 0;
}

static u32 clone_of(struct fsck *f, u32 nid, u16 ofs, u32 addr)
{
	for (u32 i = 0; i < f->nr_clones; i++)
		if (f->clones[i].nid == nid && f->clones[i].ofs == ofs &&
		    f->clones[i].from == addr)
			return f->clones[i].to;
	return NULL_ADDR;
}

/* Where directory block @addr is now (it may have moved more than once:
 * later moves are later in the list). */
static u32 moved_to(struct fsck *f, u32 addr)
{
	for (u32 i = 0; i < f->nr_moved; i++)
		if (f->moved[i].from == addr)
			addr = f->moved[i].to;
	return addr;
}

/* The data pointer at @ofs of node @nid, as the repair keeps it. */
static u32 keep_data(struct fsck *f, u32 nid, u16 ofs, u32 addr)
{
	const struct blk_owner *o;

	if (addr == NULL_ADDR) /* a block lost+found added in a hole? */
		return clone_of(f, nid, ofs, NULL_ADDR);
	addr = moved_to(f, addr);
	o = owner_at(f, addr);
	if (o && o->kind == OWN_DATA && o->nid == nid && o->ofs == ofs)
		return addr;
	return clone_of(f, nid, ofs, addr); /* a copy, a new block, or dropped */
}

/* The child pointer at @slot of node @nid, as the repair keeps it. */
static u32 keep_child(struct fsck *f, u32 nid, u16 slot, u32 child)
{
	struct nid_info *c;

	if (!child || child >= f->l.max_nid)
		return 0;
	c = ni(f, child);
	return c->from == nid && c->from_slot == slot && kept(f, child) ? child : 0;
}

static bool node_is_direct(u32 ofs)
{
	if (ofs == NODE_OFS_IND1 || ofs == NODE_OFS_IND2 || ofs == NODE_OFS_DIND)
		return false;
	return ofs < NODE_OFS_DIND || (ofs - NODE_OFS_DIND - 1) % (N + 1);
}

/* Which inodes stay: an orphan nobody names and an inode nobody names
 * that holds nothing are freed; the rest keep their blocks. */
static void decide_inodes(struct fsck *f)
{
	for (u32 nid = QLFS_ROOT_INO; nid < f->l.max_nid; nid++) {
		struct nid_info *n = ni(f, nid);
		bool dir = n->flags & NI_DIR, named;

		if (!(n->flags & NI_INODE) || nid == QLFS_ROOT_INO)
			continue;
		named = dir ? n->flags & NI_PARENT : n->refs;
		if (n->flags & NI_ORPHAN && !named)
			n->flags |= NI_DROP; /* QL13: its unlink finished */
		else if (!named && (dir ? !n->entries : n->blocks <= 1))
			n->flags |= NI_DROP; /* unnamed and empty */
		else if (!named)
			n->flags |= NI_LOST; /* QL13: into lost+found */
		if (n->flags & NI_DROP)
			say(f, "inode %u: freed (%s)", nid,
			    n->flags & NI_ORPHAN ? "orphan" : "unnamed and empty");
	}
}

/* ---- -y: lost+found ---- */

/* The first slot of a free run of @n in @db, or -1. */
static int free_slots(const struct qlfs_dentry_block *db, u32 n)
{
	u32 run = 0;

	for (u32 s = 0; s < NR_DENTRY_IN_BLOCK; s++) {
		run = qlfs_test_bit(db->dentry_bitmap, s) ? 0 : run + 1;
		if (run == n)
			return s + 1 - n;
	}
	return -1;
}

static void put_entry(struct qlfs_dentry_block *db, u32 slot, const char *name, u32 hash,
		      u32 ino, u8 ft)
{
	u32 len = strlen(name);
	struct qlfs_dir_entry *de = &db->dentry[slot];

	for (u32 s = slot; s < slot + DIV_ROUND_UP(len, QLFS_SLOT_LEN); s++)
		qlfs_set_bit(db->dentry_bitmap, s);
	de->hash_code = cpu_to_le32(hash);
	de->ino = cpu_to_le32(ino);
	de->name_len = cpu_to_le16(len);
	de->file_type = ft;
	memcpy(db->filename[slot], name, len);
}

/* Put @name in block @k of directory @dir (@in: its inode block): into
 * the block as the repair has it now, rewritten elsewhere, or a new block
 * in a hole. 0; -ENOSPC if that block is full; -errno. */
static int add_entry_at(struct fsck *f, u32 dir, const struct qlfs_inode *in, u32 k,
			const char *name, u32 ino, u8 ft, u8 *blk)
{
	struct qlfs_dentry_block *db = (void *)blk;
	u32 len = strlen(name), orig = le32_to_cpu(in->i_addr[k]);
	u32 addr = keep_data(f, dir, k, orig), to;
	int slot;

	memset(blk, 0, QLFS_BLKSIZE);
	if (addr && qlfs_dev_read(f->d, addr, blk, 1))
		return -EIO;
	slot = free_slots(db, DIV_ROUND_UP(len, QLFS_SLOT_LEN));
	if (slot < 0)
		return -ENOSPC;
	put_entry(db, slot, name, qlfs_dentry_hash((const u8 *)name, len), ino, ft);
	if (addr)
		return rewrite_dentry_block(f, addr, db);
	to = repair_alloc(f, false, dir, k); /* a hole: a new block */
	if (!to || repair_write(f, to, db))
		return -ENOSPC;
	return note_clone_to(f, dir, k, orig, to) ? 0 : -ENOMEM;
}

/* Add @name -> @ino to directory @dir in a bucket its hash may use (one
 * per level, F2FS's rule; blocks the inode addresses itself only). */
static int add_entry(struct fsck *f, u32 dir, const char *name, u32 ino, u8 ft)
{
	u32 hash = qlfs_dentry_hash((const u8 *)name, strlen(name));
	u8 *iblk = qlfs_alloc_blocks(0), *blk = qlfs_alloc_blocks(0);
	int err = -ENOMEM;

	if (!iblk || !blk)
		goto out;
	err = qlfs_dev_read(f->d, ni(f, dir)->addr, iblk, 1);
	if (err)
		goto out;
	err = -ENOSPC;
	for (u32 lvl = 0; err == -ENOSPC && lvl < ni(f, dir)->depth; lvl++) {
		u64 first = QLFS_DIR_BUCKET_BLOCKS *
			    ((1ULL << lvl) - 1 + hash % (1ULL << lvl));

		for (u32 b = 0; b < QLFS_DIR_BUCKET_BLOCKS && err == -ENOSPC; b++)
			if (first + b < ADDRS_PER_INODE)
				err = add_entry_at(f, dir, (void *)iblk, first + b, name,
						   ino, ft, blk);
	}
out:
	qlfs_free_blocks(iblk, 0);
	qlfs_free_blocks(blk, 0);
	return err;
}

/* A nid free in the live state and in the repair's. */
static u32 free_nid(struct fsck *f)
{
	for (u32 nid = QLFS_FIRST_FREE_NID; nid < f->l.max_nid; nid++)
		if (!(ni(f, nid)->flags &
		      (NI_IN_USE | NI_NAT_FIX | NI_NAT_BAD | NI_REACHED | NI_INODE)))
			return nid;
	return 0;
}

/* A new directory "lost+found" in the root (mode 0700, depth 1). */
static u32 make_lost_found(struct fsck *f, u8 *blk)
{
	struct qlfs_dentry_block *db = (void *)blk;
	struct qlfs_inode *in = (void *)blk;
	u32 nid = free_nid(f), daddr, naddr;
	struct nid_info *n;

	if (!nid || add_entry(f, QLFS_ROOT_INO, "lost+found", nid, QLFS_FT_DIR))
		return 0;
	memset(blk, 0, QLFS_BLKSIZE);
	put_entry(db, 0, ".", 0, nid, QLFS_FT_DIR);
	put_entry(db, 1, "..", 0, QLFS_ROOT_INO, QLFS_FT_DIR);
	daddr = repair_alloc(f, false, nid, 0);
	if (!daddr || repair_write(f, daddr, blk))
		return 0;
	memset(blk, 0, QLFS_BLKSIZE);
	in->i_mode = cpu_to_le16(QLFS_S_IFDIR | 0700);
	in->i_links = cpu_to_le32(2);
	in->i_size = cpu_to_le64(qlfs_dir_blocks(1) * QLFS_BLKSIZE);
	in->i_blocks = cpu_to_le64(2);
	in->i_current_depth = cpu_to_le32(1);
	in->i_pino = cpu_to_le32(QLFS_ROOT_INO);
	in->i_namelen = cpu_to_le32(10);
	memcpy(in->i_name, "lost+found", 10);
	in->i_addr[0] = cpu_to_le32(daddr);
	in->footer.nid = in->footer.ino = cpu_to_le32(nid);
	in->footer.cp_ver = f->cp->checkpoint_ver;
	naddr = repair_alloc(f, true, nid, 0);
	if (!naddr || repair_write(f, naddr, blk))
		return 0;
	n = ni(f, nid);
	n->flags |= NI_IN_USE | NI_INODE | NI_DIR | NI_GOOD | NI_REACHED | NI_PARENT |
		    NI_HAS_DOT | NI_HAS_DOTDOT;
	n->ino = nid;
	n->addr = naddr;
	n->mode = QLFS_S_IFDIR | 0700;
	n->depth = 1;
	n->parent = n->dotdot = QLFS_ROOT_INO;
	n->links = 2;
	ni(f, QLFS_ROOT_INO)->subdirs++;
	ni(f, QLFS_ROOT_INO)->entries++;
	say(f, "repaired: created /lost+found (inode %u)", nid);
	return nid;
}

/* Directory @dir's ".." now names @parent (block 0, slot 1). */
static int set_dotdot(struct fsck *f, u32 dir, u32 parent, u8 *blk)
{
	struct qlfs_dentry_block *db = (void *)blk;
	u32 addr;

	if (qlfs_dev_read(f->d, ni(f, dir)->addr, blk, 1))
		return -EIO;
	addr = keep_data(f, dir, 0, le32_to_cpu(((struct qlfs_inode *)blk)->i_addr[0]));
	if (!addr || qlfs_dev_read(f->d, addr, blk, 1))
		return -EIO;
	if (!qlfs_test_bit(db->dentry_bitmap, 1) ||
	    le16_to_cpu(db->dentry[1].name_len) != 2 || memcmp(db->filename[1], "..", 2))
		return -EUCLEAN; /* no "..": left as it is */
	db->dentry[1].ino = cpu_to_le32(parent);
	ni(f, dir)->dotdot = parent;
	return rewrite_dentry_block(f, addr, db);
}

/* QL13: each inode nobody names that holds something gets a name, "#ino",
 * in /lost+found (made if the root has no such directory), as e2fsck. */
static void link_lost(struct fsck *f)
{
	u8 *blk = qlfs_alloc_blocks(0);
	u32 lpf = 0;

	if (!blk)
		return;
	for (u32 nid = QLFS_ROOT_INO; nid < f->l.max_nid; nid++) {
		struct nid_info *n = ni(f, nid);
		char name[16];

		if (!(n->flags & NI_LOST))
			continue;
		if (!lpf)
			lpf = f->lpf && inode_kept(f, f->lpf) &&
					      ni(f, f->lpf)->flags & NI_DIR ?
				      f->lpf :
				      make_lost_found(f, blk);
		scnprintf(name, sizeof(name), "#%u", nid);
		if (!lpf || add_entry(f, lpf, name, nid, ft_of_mode(n->mode))) {
			say(f,
			    "inode %u: named by nothing and no room in /lost+found: left",
			    nid);
			continue;
		}
		n->flags &= ~NI_LOST;
		ni(f, lpf)->entries++;
		if (n->flags & NI_DIR) {
			n->flags |= NI_PARENT;
			n->parent = lpf;
			ni(f, lpf)->subdirs++;
			set_dotdot(f, nid, lpf, blk);
		} else {
			n->refs++;
		}
		say(f, "repaired: inode %u linked into /lost+found as %s", nid, name);
	}
	qlfs_free_blocks(blk, 0);
}

/* Each kept inode's blocks: the kept blocks its tree owns. */
static void count_kept_blocks(struct fsck *f)
{
	u64 nr = (u64)f->l.segs_main * f->l.bps;

	for (u32 nid = QLFS_ROOT_INO; nid < f->l.max_nid; nid++)
		ni(f, nid)->blocks = 0;
	for (u64 i = 0; i < nr; i++) {
		const struct blk_owner *o;

		if (!f->owners.chunks[i / f->owners.per_chunk]) {
			i += f->owners.per_chunk - 1 - i % f->owners.per_chunk;
			continue;
		}
		o = ftable_at(&f->owners, i);
		if (block_kept(f, o))
			ni(f, ni(f, o->nid)->ino)->blocks++;
	}
}

/* Apply the repair's view to node block @blk of kept node @nid. */
static void fix_node(struct fsck *f, u32 nid, u8 *blk)
{
	struct nid_info *n = ni(f, nid);
	u32 ofs = le32_to_cpu(((struct qlfs_node_footer *)(blk + 4064))->flag) >>
		  OFFSET_BIT_SHIFT;

	if (nid == n->ino) {
		struct qlfs_inode *in = (void *)blk;
		bool dir = n->flags & NI_DIR;
		bool named =
			nid == QLFS_ROOT_INO || (dir ? n->flags & NI_PARENT : n->refs);

		if (named) /* QL12 (an unnamed inode keeps its count: QL13) */
			in->i_links = cpu_to_le32(dir ? 2 + n->subdirs : n->refs);
		in->i_blocks = cpu_to_le64(n->blocks);
		if (in->i_inline & QLFS_INLINE_DATA)
			return;
		for (u32 k = 0; k < ADDRS_PER_INODE; k++)
			in->i_addr[k] = cpu_to_le32(
				keep_data(f, nid, k, le32_to_cpu(in->i_addr[k])));
		for (u32 s = 0; s < NIDS_PER_INODE; s++)
			in->i_nid[s] = cpu_to_le32(
				keep_child(f, nid, s, le32_to_cpu(in->i_nid[s])));
	} else if (node_is_direct(ofs)) {
		struct qlfs_direct_node *dn = (void *)blk;

		for (u32 j = 0; j < ADDRS_PER_BLOCK; j++)
			dn->addr[j] = cpu_to_le32(
				keep_data(f, nid, j, le32_to_cpu(dn->addr[j])));
	} else {
		struct qlfs_indirect_node *in = (void *)blk;

		for (u32 j = 0; j < NIDS_PER_BLOCK; j++)
			in->nid[j] = cpu_to_le32(
				keep_child(f, nid, j, le32_to_cpu(in->nid[j])));
	}
}

/* Rewrite, elsewhere, every kept node the repair changes. */
static int rewrite_nodes(struct fsck *f)
{
	u8 *blk = qlfs_alloc_blocks(0), *orig = qlfs_alloc_blocks(0);
	int err = 0;

	if (!blk || !orig) {
		err = -ENOMEM;
		goto out;
	}
	for (u32 nid = QLFS_ROOT_INO; nid < f->l.max_nid && !err; nid++) {
		struct nid_info *n = ni(f, nid);
		u32 to;

		if (!kept(f, nid))
			continue;
		err = qlfs_dev_read(f->d, n->addr, orig, 1);
		if (err)
			break;
		memcpy(blk, orig, QLFS_BLKSIZE);
		fix_node(f, nid, blk);
		if (!memcmp(blk, orig, QLFS_CSUM_OFFSET))
			continue;
		to = repair_alloc(f, true, nid, 0);
		if (!to)
			break; /* left as it is: the check after says so */
		err = repair_write(f, to, blk);
		if (err)
			break;
		unclaim(f, n->addr);
		n->addr = to;
		n->flags |= NI_MOVED;
	}
out:
	qlfs_free_blocks(blk, 0);
	qlfs_free_blocks(orig, 0);
	return err;
}

/* The new pack being built (f->pack's header copied), and its bitmap. */
struct repair_pack {
	u8 *buf; /* 8 blocks: header, 6 summaries, footer */
	struct qlfs_checkpoint *cp;
	u64 valid_blocks;
	u32 free_segs, nodes, inodes;
};

static void flip_bit(u8 *map, u32 bit)
{
	map[bit / 8] ^= 1u << (bit % 8);
}

/* Write NAT block @i's entries as the repair keeps them to its shadow
 * copy, if they change. */
static int repair_nat_block(struct fsck *f, struct repair_pack *p, u32 i, u8 *blk)
{
	u32 off = qlfs_sit_bitmap_bytes(&f->l), addr;
	struct qlfs_nat_block *nb = (void *)blk;
	u8 *orig = blk + QLFS_BLKSIZE;
	int copy = live_copy(f, off, i);
	bool bad = false;
	int err;

	addr = qlfs_nat_blkaddr(&f->l, i, copy);
	err = qlfs_dev_read(f->d, addr, blk, 1);
	if (err)
		return err;
	if (!qlfs_block_csum_ok(blk, addr)) {
		memset(blk, 0, QLFS_BLKSIZE); /* its entries are lost */
		bad = true;
	}
	memcpy(orig, blk, QLFS_BLKSIZE);
	for (u32 e = 0; e < NAT_ENTRY_PER_BLOCK; e++) {
		u32 nid = i * NAT_ENTRY_PER_BLOCK + e;
		struct qlfs_nat_entry *ne = &nb->entries[e];

		if (nid >= QLFS_ROOT_INO && nid < f->l.max_nid && kept(f, nid)) {
			ne->ino = cpu_to_le32(ni(f, nid)->ino);
			ne->block_addr = cpu_to_le32(ni(f, nid)->addr);
			p->nodes++;
			p->inodes += nid == ni(f, nid)->ino;
		} else if (ne->block_addr || ne->ino) {
			ne->ino = 0;
			ne->block_addr = 0;
			ne->version++; /* the nid is freed */
		}
	}
	if (!bad && !memcmp(blk, orig, QLFS_CSUM_OFFSET))
		return 0;
	flip_bit(p->cp->sit_nat_version_bitmap + off, i);
	return repair_write(f, qlfs_nat_blkaddr(&f->l, i, !copy), blk);
}

/* The log type segment @segno gets, from its blocks' owners. */
static u32 repair_seg_type(struct fsck *f, u32 segno, bool has_node, bool has_data)
{
	const struct seg_info *s = seg(f, segno);
	int log = curseg_type(f, segno);
	u32 old = le16_to_cpu(s->se.vblocks) >> SIT_VBLOCKS_SHIFT;

	if (log >= 0)
		return log; /* QL14 */
	if (s->repair_type)
		return s->repair_type - 1;
	if (!has_node && !has_data)
		return s->bad || old >= NR_CURSEG_TYPE ? 0 : old;
	if (!s->bad && old < NR_CURSEG_TYPE && qlfs_log_is_node(old) == has_node &&
	    !(has_node && has_data))
		return old;
	return has_node ? CURSEG_WARM_NODE : CURSEG_WARM_DATA;
}

/* Segment @segno's SIT entry from its kept blocks. */
static void repair_sit_entry(struct fsck *f, struct repair_pack *p, u32 segno,
			     struct qlfs_sit_entry *se)
{
	u64 first = (u64)segno * f->l.bps;
	bool has_node = false, has_data = false;
	int log = curseg_type(f, segno);
	u32 nr = 0;

	memset(se->valid_map, 0, SIT_VBLOCK_MAP_SIZE);
	for (u32 b = 0; b < f->l.bps; b++) {
		const struct blk_owner *o = ftable_peek(&f->owners, first + b);

		if (!block_kept(f, o))
			continue;
		qlfs_set_bit(se->valid_map, b);
		nr++;
		has_node |= o->kind == OWN_NODE;
		has_data |= o->kind == OWN_DATA;
		if (log >= 0 && b >= f->cur_off[log])
			f->cur_off[log] = b + 1; /* QL14: never write over it */
	}
	seg(f, segno)->new_type = repair_seg_type(f, segno, has_node, has_data);
	seg(f, segno)->new_valid = nr;
	se->vblocks = cpu_to_le16(nr | seg(f, segno)->new_type << SIT_VBLOCKS_SHIFT);
	if (seg(f, segno)->bad)
		se->mtime = 0;
	p->valid_blocks += nr;
	p->free_segs += !nr && log < 0;
}

static int repair_sit_block(struct fsck *f, struct repair_pack *p, u32 i, u8 *blk)
{
	struct qlfs_sit_block *sb = (void *)blk;
	u8 *orig = blk + QLFS_BLKSIZE;
	int copy = live_copy(f, 0, i);
	u32 addr = qlfs_sit_blkaddr(&f->l, i, copy);
	bool bad;
	int err;

	err = qlfs_dev_read(f->d, addr, blk, 1);
	if (err)
		return err;
	bad = !qlfs_block_csum_ok(blk, addr);
	if (bad)
		memset(blk, 0, QLFS_BLKSIZE);
	memcpy(orig, blk, QLFS_BLKSIZE);
	for (u32 e = 0; e < SIT_ENTRY_PER_BLOCK; e++) {
		u32 segno = i * SIT_ENTRY_PER_BLOCK + e;

		if (segno >= f->l.segs_main)
			break;
		repair_sit_entry(f, p, segno, &sb->entries[e]);
	}
	if (!bad && !memcmp(blk, orig, QLFS_CSUM_OFFSET))
		return 0;
	flip_bit(p->cp->sit_nat_version_bitmap, i);
	return repair_write(f, qlfs_sit_blkaddr(&f->l, i, !copy), blk);
}

/* Fill @sum's entries of segment @segno's kept blocks; true if it changed. */
static bool fill_summary(struct fsck *f, u32 segno, struct qlfs_summary_block *sum)
{
	u64 first = (u64)segno * f->l.bps;
	bool changed = false;

	for (u32 b = 0; b < f->l.bps; b++) {
		const struct blk_owner *o = ftable_peek(&f->owners, first + b);
		struct qlfs_summary want = {0}, *se = &sum->entries[b];

		if (!block_kept(f, o))
			continue;
		want.nid = cpu_to_le32(o->nid);
		want.version = ni(f, o->nid)->version;
		want.ofs_in_node = cpu_to_le16(o->kind == OWN_DATA ? o->ofs : 0);
		if (memcmp(se, &want, sizeof(want))) {
			*se = want;
			changed = true;
		}
	}
	return changed;
}

/* SSA blocks of the segments that hold kept blocks (not the current
 * ones: their summaries are in the pack). */
static int repair_ssa(struct fsck *f, u8 *blk)
{
	struct qlfs_summary_block *sum = (void *)blk;

	for (u32 segno = 0; segno < f->l.segs_main; segno++) {
		u32 addr = f->l.ssa_blkaddr + segno;
		u8 type = qlfs_log_is_node(seg(f, segno)->new_type) ? SUM_TYPE_NODE :
								      SUM_TYPE_DATA;
		bool changed;
		int err;

		if (curseg_type(f, segno) >= 0 || !seg(f, segno)->new_valid)
			continue;
		err = qlfs_dev_read(f->d, addr, blk, 1);
		if (err)
			return err;
		changed = !qlfs_block_csum_ok(blk, addr) || seg(f, segno)->repair_type;
		if (changed)
			memset(blk, 0, QLFS_BLKSIZE);
		changed |= sum->entry_type != type;
		sum->entry_type = type;
		changed |= fill_summary(f, segno, sum);
		if (changed && repair_write(f, addr, blk))
			return -EIO;
	}
	return 0;
}

/* The new pack's header: the live one's, with the repair's state. */
static void repair_cp_header(struct fsck *f, struct repair_pack *p)
{
	struct qlfs_checkpoint *cp = p->cp;
	const struct qlfs_layout *l = &f->l;
	u32 ovp = le32_to_cpu(cp->overprov_segment_count);
	u32 rsvd = le32_to_cpu(cp->rsvd_segment_count);

	cp->checkpoint_ver = cpu_to_le64(le64_to_cpu(f->cp->checkpoint_ver) + 1);
	if (rsvd > ovp || ovp >= l->segs_main ||
	    le64_to_cpu(cp->user_block_count) != (u64)(l->segs_main - ovp) * l->bps) {
		ovp = qlfs_default_ovp(l->segs_main);
		cp->overprov_segment_count = cpu_to_le32(ovp);
		cp->rsvd_segment_count = cpu_to_le32(QLFS_RSVD_SEGS);
		cp->user_block_count = cpu_to_le64((u64)(l->segs_main - ovp) * l->bps);
	}
	cp->valid_block_count = cpu_to_le64(p->valid_blocks);
	cp->valid_node_count = cpu_to_le32(p->nodes);
	cp->valid_inode_count = cpu_to_le32(p->inodes);
	cp->free_segment_count = cpu_to_le32(p->free_segs);
	for (int t = 0; t < 3; t++) {
		cp->cur_data_blkoff[t] = cpu_to_le16(f->cur_off[t]);
		cp->cur_node_blkoff[t] = cpu_to_le16(f->cur_off[3 + t]);
	}
	/* orphans are freed or named again: none is left */
	cp->ckpt_flags = cpu_to_le32(le32_to_cpu(cp->ckpt_flags) & CP_UMOUNT_FLAG);
	cp->cp_pack_start_sum = cpu_to_le32(1);
	cp->cp_pack_total_block_count = cpu_to_le32(1 + NR_CURSEG_TYPE + 1);
}

/* Write the new pack to the other place: header and summaries, a flush,
 * the footer, a flush (a torn pack is never taken for a whole one). */
static int repair_write_pack(struct fsck *f, struct repair_pack *p)
{
	u32 base = f->l.cp_blkaddr + !f->r->cp_used * f->l.bps;
	int err;

	for (int t = 0; t < NR_CURSEG_TYPE; t++) {
		struct qlfs_summary_block *sum =
			(void *)(p->buf + (1 + t) * QLFS_BLKSIZE);

		memcpy(sum, cp_summary(f, t), QLFS_BLKSIZE);
		fill_summary(f, f->cur_seg[t], sum);
	}
	repair_cp_header(f, p);
	memcpy(p->buf + 7 * QLFS_BLKSIZE, p->buf, QLFS_BLKSIZE);
	for (u32 b = 0; b < 8; b++)
		qlfs_block_seal(p->buf + b * QLFS_BLKSIZE, base + b);
	err = qlfs_dev_write(f->d, base, p->buf, 7);
	if (!err)
		err = qlfs_dev_flush(f->d);
	if (!err)
		err = qlfs_dev_write(f->d, base + 7, p->buf + 7 * QLFS_BLKSIZE, 1);
	if (!err)
		err = qlfs_dev_flush(f->d);
	if (err) {
		say(f, "cannot write the new checkpoint pack: %s", errname(err));
		f->r->operational = true;
		return err;
	}
	f->r->repaired += 8;
	say(f, "repaired: checkpoint %llu written to pack %d",
	    (unsigned long long)le64_to_cpu(p->cp->checkpoint_ver), !f->r->cp_used);
	return 0;
}

/* QL2: the bad (or different) superblock copy rewritten from the good. */
static int repair_super(struct fsck *f)
{
	u8 *blk = qlfs_alloc_blocks(0);
	int copy = !f->r->sb_used, err;

	if (!blk)
		return -ENOMEM;
	memcpy(blk, f->sb, QLFS_BLKSIZE);
	err = repair_write(f, copy, blk);
	if (!err)
		err = qlfs_dev_flush(f->d);
	if (!err)
		say(f, "repaired: superblock copy %d rewritten from copy %d", copy,
		    f->r->sb_used);
	qlfs_free_blocks(blk, 0);
	return err;
}

/* Everything after the checks, in an order a crash can stop anywhere:
 * new blocks, SSA, shadow SIT/NAT, then the pack that makes them live. */
static int repair(struct fsck *f)
{
	struct repair_pack p = {0};
	u8 *two = qlfs_alloc_blocks(1);
	int err = 0;

	p.buf = qlfs_alloc_blocks(3);
	if (!two || !p.buf) {
		err = -ENOMEM;
		goto out;
	}
	p.cp = (void *)p.buf;
	memcpy(p.buf, f->pack, QLFS_BLKSIZE);
	decide_inodes(f);
	link_lost(f);
	err = make_clones(f, two);
	count_kept_blocks(f);
	if (!err)
		err = rewrite_nodes(f);
	for (u32 i = 0; i < f->l.nat_blocks && !err; i++)
		err = repair_nat_block(f, &p, i, two);
	for (u32 i = 0; i < f->l.sit_blocks && !err; i++)
		err = repair_sit_block(f, &p, i, two);
	if (!err)
		err = repair_ssa(f, two);
	if (!err)
		err = repair_write_pack(f, &p);
	if (!err && f->sb_fix)
		err = repair_super(f);
out:
	qlfs_free_blocks(two, 1);
	qlfs_free_blocks(p.buf, 3);
	return err;
}

/* ---- driver ---- */

static int fsck_alloc(struct fsck *f)
{
	int err;

	err = ftable_init(&f->nids, f->l.max_nid, sizeof(struct nid_info), false);
	if (!err)
		err = ftable_init(&f->segs, f->l.segs_main, sizeof(struct seg_info),
				  false);
	if (!err)
		err = ftable_init(&f->owners, (u64)f->l.segs_main * f->l.bps,
				  sizeof(struct blk_owner), true);
	return err;
}

static void fsck_free(struct fsck *f)
{
	kfree(f->moved);
	kfree(f->clones);
	ftable_free(&f->nids);
	ftable_free(&f->segs);
	ftable_free(&f->owners);
	qlfs_free_blocks(f->pack, f->l.log_bps);
	qlfs_free_blocks(f->sb, 0);
	qlfs_free_blocks(f->blk, 0);
	qlfs_free_blocks(f->ra, RA_ORDER);
}

static int fsck_run(struct fsck *f)
{
	u32 free_segs;
	int err;

	err = check_supers(f);
	if (err)
		return err;
	err = check_checkpoint(f);
	if (err)
		return err;
	err = fsck_alloc(f);
	if (err)
		return err;
	err = load_sit(f);
	if (!err)
		err = load_nat(f);
	if (!err)
		err = pass1(f);
	if (!err)
		load_orphans(f);
	if (!err)
		err = pass2(f);
	if (err || f->r->operational)
		return err ? err : -EIO;
	check_links(f);
	err = check_segments(f, &free_segs);
	if (!err)
		check_counts(f, free_segs);
	f->r->nodes = f->nat_in_use;
	if (!err && f->o->repair && f->r->problems && !f->r->operational) {
		if (ni(f, QLFS_ROOT_INO)->flags & NI_DIR)
			err = repair(f);
		else /* everything hangs from it: a human should look first */
			say(f, "the root directory is lost: nothing repaired");
	}
	return err;
}

/* After a repair, the judge: a fresh check of the new state, quiet. 1 (as
 * e2fsck: errors corrected) if it is clean, else 4 (some are left, and a
 * plain -n lists them). @r keeps the first run's counts of problems. */
static int fsck_after_repair(struct qlfs_dev *d, const struct qlfs_fsck_opts *o,
			     struct qlfs_fsck_result *r)
{
	struct qlfs_fsck_opts again = {.quiet = true};
	struct qlfs_fsck_result *r2 = kzalloc(sizeof(*r2), GFP_KERNEL);
	int status;

	if (!r2)
		return 8;
	status = qlfs_fsck(d, &again, r2);
	r->left = r2->problems;
	r->left_broken = r2->broken;
	kfree(r2);
	return status == 0 ? 1 : status == 8 ? 8 : 4;
}

int qlfs_fsck(struct qlfs_dev *d, const struct qlfs_fsck_opts *o,
	      struct qlfs_fsck_result *r)
{
	struct fsck f = {.d = d, .o = o, .r = r};
	int err;

	memset(r, 0, sizeof(*r));
	r->cp_used = -1;
	f.sb = qlfs_alloc_blocks(0);
	f.blk = qlfs_alloc_blocks(0);
	f.ra = qlfs_alloc_blocks(RA_ORDER);
	if (!f.sb || !f.blk || !f.ra) {
		err = -ENOMEM;
	} else {
		err = fsck_run(&f);
	}
	fsck_free(&f);
	if (err == -ENOMEM) {
		say(&f, "out of memory");
		r->operational = true;
	}
	if (r->operational)
		return 8;
	if (!r->problems)
		return 0;
	if (o->repair && r->repaired)
		return fsck_after_repair(d, o, r);
	return 4;
}
