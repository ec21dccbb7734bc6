/*
 * fs/qlfs/mkfs.c - make a qlfs (F2FS's mkfs/f2fs_format.c, qlfs's format).
 *
 * Layer: fs. Used by: the mkfs.qlfs shell command and host tool
 * (fs/qlfs/tool.c), the qlfs_format suite.
 * Provides: qlfs_mkfs(), qlfs_mkfs_pick_log_bps(), qlfs_mkfs_min_blocks(),
 * qlfs_probe_signature().
 *
 * Writes, in this order: the SIT and NAT blocks (live copy 0 of each), the
 * root directory's dentry block and inode, checkpoint pack 1 (version
 * 0) and pack 0 (version 1), a flush, and last the two superblocks and a
 * flush: until the superblocks land the device is not a qlfs (so an
 * interrupted mkfs leaves no half file system that fsck would accept).
 * The main area is not zeroed: nothing in it is valid until the SIT says so.
 * Nor is the SSA written: only segments with valid blocks have summaries,
 * and the six that do now are the current ones, whose summaries live in
 * the checkpoint pack (so mkfs of 1 TiB writes about 124 MiB, not 2.1 GiB).
 *
 * The fresh file system (docs/qlfs-format.md "The six logs"): data logs at
 * main segments 0..2, node logs at 3..5; root dentry block = block 0 of
 * segment 0, root inode = block 0 of segment 3.
 */
#include <quire/errno.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/console.h>
#include <quire/shell.h>
#include <arch/time.h>
#include "qlfs.h"

#define MKFS_BATCH_ORDER  6 /* write metadata 64 blocks at a time */
#define MKFS_BATCH	  (1u << MKFS_BATCH_ORDER)
#define MKFS_PROGRESS_MIN 2048 /* metadata blocks worth a progress line */

struct mkfs_ctx {
	struct qlfs_dev *d;
	const struct qlfs_mkfs_opts *o;
	struct qlfs_layout l;
	u32 root_dent_addr, root_inode_addr;
	u64 done, total; /* metadata blocks written, to write */
	unsigned int last_pct;
};

static u32 curseg_segno(unsigned int type)
{
	return type; /* log type t starts in main segment t */
}

static void progress(struct mkfs_ctx *c, u32 n)
{
	unsigned int pct;

	c->done += n;
	if (!c->o->verbose || c->total < MKFS_PROGRESS_MIN)
		return;
	pct = c->done * 100 / c->total;
	if (pct / 10 != c->last_pct / 10 || c->done == c->total) {
		cprintf("Writing metadata: %u%% (%llu of %llu blocks)\n", pct,
			(unsigned long long)c->done, (unsigned long long)c->total);
		c->last_pct = pct;
	}
}

/*
 * Write @count blocks starting at @blkaddr, each made by @fill(c, buf, i)
 * (i = index in the run) then sealed with its checksum.
 */
static int write_run(struct mkfs_ctx *c, u32 blkaddr, u32 count,
		     void (*fill)(struct mkfs_ctx *c, void *blk, u32 i))
{
	u8 *buf = qlfs_alloc_blocks(MKFS_BATCH_ORDER);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (u32 i = 0; i < count && !err; i += MKFS_BATCH) {
		u32 n = min(count - i, MKFS_BATCH);

		for (u32 j = 0; j < n; j++) {
			u8 *blk = buf + (size_t)j * QLFS_BLKSIZE;

			memset(blk, 0, QLFS_BLKSIZE);
			fill(c, blk, i + j);
			qlfs_block_seal(blk, blkaddr + i + j);
		}
		err = qlfs_dev_write(c->d, blkaddr + i, buf, n);
		progress(c, n);
	}
	qlfs_free_blocks(buf, MKFS_BATCH_ORDER);
	return err;
}

static void fill_sit(struct mkfs_ctx *c, void *blk, u32 i)
{
	struct qlfs_sit_block *sb = blk;

	for (u32 e = 0; e < SIT_ENTRY_PER_BLOCK; e++) {
		u32 segno = i * SIT_ENTRY_PER_BLOCK + e;
		struct qlfs_sit_entry *se = &sb->entries[e];
		u32 valid = 0;

		if (segno >= c->l.segs_main)
			break;
		if (segno >= NR_CURSEG_TYPE)
			continue;
		/* the root's dentry block and inode: block 0 of their logs */
		if (segno == CURSEG_HOT_DATA || segno == CURSEG_HOT_NODE) {
			valid = 1;
			qlfs_set_bit(se->valid_map, 0);
		}
		se->vblocks = cpu_to_le16(valid | segno << SIT_VBLOCKS_SHIFT);
	}
}

static void fill_nat(struct mkfs_ctx *c, void *blk, u32 i)
{
	struct qlfs_nat_block *nb = blk;

	if (i == QLFS_ROOT_INO / NAT_ENTRY_PER_BLOCK) {
		struct qlfs_nat_entry *ne =
			&nb->entries[QLFS_ROOT_INO % NAT_ENTRY_PER_BLOCK];

		ne->ino = cpu_to_le32(QLFS_ROOT_INO);
		ne->block_addr = cpu_to_le32(c->root_inode_addr);
	}
}

/* Summary block of main segment @segno (also the CP's current summaries). */
static void fill_summary(struct mkfs_ctx *c, void *blk, u32 segno)
{
	struct qlfs_summary_block *sum = blk;

	sum->entry_type = segno < NR_CURSEG_TYPE && qlfs_log_is_node(segno) ?
				  SUM_TYPE_NODE :
				  SUM_TYPE_DATA;
	if (segno == CURSEG_HOT_NODE)
		sum->entries[0].nid = cpu_to_le32(QLFS_ROOT_INO);
	if (segno == CURSEG_HOT_DATA)
		sum->entries[0].nid = cpu_to_le32(QLFS_ROOT_INO); /* i_addr[0] */
}

static void fill_root_dentries(struct mkfs_ctx *c, void *blk, u32 i)
{
	struct qlfs_dentry_block *db = blk;
	static const char *names[2] = {".", ".."};

	for (int s = 0; s < 2; s++) {
		u32 len = strlen(names[s]);

		qlfs_set_bit(db->dentry_bitmap, s);
		db->dentry[s].hash_code =
			cpu_to_le32(qlfs_dentry_hash((const u8 *)names[s], len));
		db->dentry[s].ino = cpu_to_le32(QLFS_ROOT_INO);
		db->dentry[s].name_len = cpu_to_le16(len);
		db->dentry[s].file_type = QLFS_FT_DIR;
		memcpy(db->filename[s], names[s], len);
	}
}

static void fill_root_inode(struct mkfs_ctx *c, void *blk, u32 i)
{
	struct qlfs_inode *ri = blk;
	u64 t = c->o->time;

	ri->i_mode = cpu_to_le16(QLFS_S_IFDIR | 0755);
	ri->i_links = cpu_to_le32(2);
	ri->i_size = cpu_to_le64(qlfs_dir_blocks(1) * QLFS_BLKSIZE);
	ri->i_blocks = cpu_to_le64(2);
	ri->i_atime = ri->i_ctime = ri->i_mtime = cpu_to_le64(t);
	ri->i_current_depth = cpu_to_le32(1);
	ri->i_pino = cpu_to_le32(QLFS_ROOT_INO);
	ri->i_addr[0] = cpu_to_le32(c->root_dent_addr);
	ri->footer.nid = cpu_to_le32(QLFS_ROOT_INO);
	ri->footer.ino = cpu_to_le32(QLFS_ROOT_INO);
	ri->footer.next_blkaddr = cpu_to_le32(c->root_inode_addr + 1);
	ri->footer.cp_ver = cpu_to_le64(1);
}

static void fill_cp(struct mkfs_ctx *c, struct qlfs_checkpoint *cp, u64 ver)
{
	const struct qlfs_layout *l = &c->l;
	u32 ovp = qlfs_default_ovp(l->segs_main);

	cp->checkpoint_ver = cpu_to_le64(ver);
	cp->user_block_count = cpu_to_le64((u64)(l->segs_main - ovp) * l->bps);
	cp->valid_block_count = cpu_to_le64(2);
	cp->rsvd_segment_count = cpu_to_le32(QLFS_RSVD_SEGS);
	cp->overprov_segment_count = cpu_to_le32(ovp);
	cp->free_segment_count = cpu_to_le32(l->segs_main - NR_CURSEG_TYPE);
	for (int i = 0; i < NR_CURSEG_NODE_TYPE; i++) {
		cp->cur_node_segno[i] = cpu_to_le32(curseg_segno(CURSEG_HOT_NODE + i));
		cp->cur_data_segno[i] = cpu_to_le32(curseg_segno(CURSEG_HOT_DATA + i));
	}
	cp->cur_node_blkoff[0] = cpu_to_le16(1); /* the root inode */
	cp->cur_data_blkoff[0] = cpu_to_le16(1); /* its dentry block */
	cp->ckpt_flags = cpu_to_le32(CP_UMOUNT_FLAG);
	cp->cp_pack_total_block_count = cpu_to_le32(1 + NR_CURSEG_TYPE + 1);
	cp->cp_pack_start_sum = cpu_to_le32(1);
	cp->valid_node_count = cpu_to_le32(1);
	cp->valid_inode_count = cpu_to_le32(1);
	cp->next_free_nid = cpu_to_le32(QLFS_FIRST_FREE_NID);
	cp->sit_ver_bitmap_bytesize = cpu_to_le32(qlfs_sit_bitmap_bytes(l));
	cp->nat_ver_bitmap_bytesize = cpu_to_le32(qlfs_nat_bitmap_bytes(l));
}

/* Pack @pack: header, six current-segment summaries, footer. */
static int write_cp_pack(struct mkfs_ctx *c, int pack, u64 ver)
{
	u32 base = c->l.cp_blkaddr + pack * c->l.bps;
	u8 *buf = qlfs_alloc_blocks(3); /* 8 blocks: the whole pack */
	int err;

	if (!buf)
		return -ENOMEM;
	fill_cp(c, (struct qlfs_checkpoint *)buf, ver);
	memcpy(buf + 7 * QLFS_BLKSIZE, buf, QLFS_BLKSIZE);
	for (u32 t = 0; t < NR_CURSEG_TYPE; t++)
		fill_summary(c, buf + (1 + t) * QLFS_BLKSIZE, curseg_segno(t));
	for (u32 b = 0; b < 8; b++)
		qlfs_block_seal(buf + b * QLFS_BLKSIZE, base + b);
	err = qlfs_dev_write(c->d, base, buf, 8);
	qlfs_free_blocks(buf, 3);
	return err;
}

/* A seeded mix for the uuid (Quire has no random source yet). */
static u64 splitmix64(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill_super(struct mkfs_ctx *c, struct qlfs_super_block *sb)
{
	const struct qlfs_layout *l = &c->l;
	u64 seed = c->o->time ^ ((u64)l->block_count << 20) ^ arch_clock_ns();

	qlfs_sb_set_layout(sb, l);
	for (int i = 0; i < 16; i += 8) {
		u64 r = splitmix64(&seed);

		memcpy(sb->uuid + i, &r, 8);
	}
	if (c->o->label)
		memcpy(sb->volume_name, c->o->label, strnlen(c->o->label, 63));
	sb->mkfs_time = cpu_to_le64(c->o->time);
}

static int write_supers(struct mkfs_ctx *c)
{
	u8 *buf = qlfs_alloc_blocks(1);
	int err;

	if (!buf)
		return -ENOMEM;
	fill_super(c, (struct qlfs_super_block *)buf);
	memcpy(buf + QLFS_BLKSIZE, buf, QLFS_BLKSIZE);
	qlfs_block_seal(buf, 0);
	qlfs_block_seal(buf + QLFS_BLKSIZE, 1);
	err = qlfs_dev_write(c->d, 0, buf, 2);
	qlfs_free_blocks(buf, 1);
	return err;
}

/* Zero the superblock segment's first blocks: an old superblock must not
 * survive a failed mkfs. */
static int erase_supers(struct mkfs_ctx *c)
{
	u8 *buf = qlfs_alloc_blocks(1);
	int err;

	if (!buf)
		return -ENOMEM;
	err = qlfs_dev_write(c->d, 0, buf, 2);
	qlfs_free_blocks(buf, 1);
	return err;
}

static void print_geometry(const struct mkfs_ctx *c)
{
	const struct qlfs_layout *l = &c->l;

	cprintf("qlfs: %llu blocks of 4 KiB (%llu MiB), %u segments of %u KiB\n",
		(unsigned long long)l->block_count,
		(unsigned long long)(l->block_count >> 8), l->segment_count, l->bps * 4);
	cprintf("  checkpoint %u, SIT 2x%u, NAT 2x%u, SSA %u, main %u segments; %u nids\n",
		l->cp_blkaddr, l->segs_sit, l->segs_nat, l->segs_ssa, l->segs_main,
		l->max_nid);
}

static int write_all(struct mkfs_ctx *c)
{
	const struct qlfs_layout *l = &c->l;
	int err;

	c->root_dent_addr = qlfs_seg_blkaddr(l, curseg_segno(CURSEG_HOT_DATA));
	c->root_inode_addr = qlfs_seg_blkaddr(l, curseg_segno(CURSEG_HOT_NODE));
	c->total = l->sit_blocks + l->nat_blocks + 2 + 16 + 2;
	err = erase_supers(c);
	if (!err)
		err = write_run(c, qlfs_sit_blkaddr(l, 0, 0), l->sit_blocks, fill_sit);
	if (!err)
		err = write_run(c, qlfs_nat_blkaddr(l, 0, 0), l->nat_blocks, fill_nat);
	if (!err)
		err = write_run(c, c->root_dent_addr, 1, fill_root_dentries);
	if (!err)
		err = write_run(c, c->root_inode_addr, 1, fill_root_inode);
	if (!err)
		err = write_cp_pack(c, 1, 0);
	if (!err)
		err = write_cp_pack(c, 0, 1);
	if (!err)
		err = qlfs_dev_flush(c->d);
	if (!err)
		err = write_supers(c);
	if (!err)
		err = qlfs_dev_flush(c->d);
	progress(c, 16 + 2); /* the packs and superblocks */
	return err;
}

static void mkfs_error(const struct qlfs_mkfs_opts *o, const char *fmt, ...)
	__printf(2, 3);

static void mkfs_error(const struct qlfs_mkfs_opts *o, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (o->quiet)
		return;
	va_start(ap, fmt);
	vscnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	shell_error("mkfs.qlfs", "%s", msg);
}

/* Does a file system on @blocks with 2^@log_bps-block segments work? */
static bool workable(u64 blocks, u32 log_bps, struct qlfs_layout *l)
{
	return !qlfs_compute_layout(blocks, log_bps, l) &&
	       qlfs_geometry_workable(l->segs_main, qlfs_default_ovp(l->segs_main));
}

u64 qlfs_mkfs_min_blocks(u32 log_bps)
{
	struct qlfs_layout l;
	u64 bps = 1ULL << log_bps;

	/* the metadata grows with the segments: count up from the floor */
	for (u64 segs = QLFS_MIN_WORKING_MAIN_SEGS; segs < 4 * QLFS_AUTO_MAIN_SEGS;
	     segs++)
		if (workable(segs * bps, log_bps, &l))
			return segs * bps;
	return 0; /* not reached for a valid segment size */
}

u32 qlfs_mkfs_pick_log_bps(u64 dev_blocks)
{
	struct qlfs_layout l;

	for (u32 lb = QLFS_DEF_LOG_BLOCKS_PER_SEG; lb >= QLFS_MIN_LOG_BLOCKS_PER_SEG;
	     lb--)
		if (workable(dev_blocks, lb, &l) && l.segs_main >= QLFS_AUTO_MAIN_SEGS)
			return lb;
	for (u32 lb = QLFS_DEF_LOG_BLOCKS_PER_SEG; lb >= QLFS_MIN_LOG_BLOCKS_PER_SEG;
	     lb--)
		if (workable(dev_blocks, lb, &l))
			return lb;
	return 0;
}

/* The one line for a device too small for qlfs, or for segment size
 * @log_bps (-s); 0 or -ENOSPC/-EINVAL. */
static int check_geometry(struct mkfs_ctx *c, const char *name, u32 log_bps, bool told)
{
	u64 blocks = min(c->d->nr_blocks, QLFS_MAX_BLOCKS);
	int err;

	if (!log_bps) {
		u64 min = qlfs_mkfs_min_blocks(QLFS_MIN_LOG_BLOCKS_PER_SEG);

		mkfs_error(
			c->o,
			"%s: %llu KiB is too small: qlfs needs at least %llu KiB (%llu segments of %u KiB)",
			name, (unsigned long long)c->d->nr_blocks * 4,
			(unsigned long long)min * 4,
			(unsigned long long)min >> QLFS_MIN_LOG_BLOCKS_PER_SEG,
			4u << QLFS_MIN_LOG_BLOCKS_PER_SEG);
		return -ENOSPC;
	}
	err = qlfs_compute_layout(blocks, log_bps, &c->l);
	if (err == -EINVAL) {
		mkfs_error(
			c->o,
			"%s: too many segments of %u KiB for the checkpoint's bitmaps: use larger segments (-s)",
			name, 4u << log_bps);
		return err;
	}
	if (!err &&
	    qlfs_geometry_workable(c->l.segs_main, qlfs_default_ovp(c->l.segs_main)))
		return 0;
	if (told) {
		u32 fit = log_bps;
		char hint[48] = "";

		while (--fit >= QLFS_MIN_LOG_BLOCKS_PER_SEG &&
		       !workable(blocks, fit, &c->l))
			;
		if (fit >= QLFS_MIN_LOG_BLOCKS_PER_SEG)
			scnprintf(hint, sizeof(hint), "-s %uK or smaller, or ",
				  4u << fit);
		mkfs_error(
			c->o,
			"%s: segments of %u KiB leave too few main segments (qlfs needs %u): use %sa device of at least %llu KiB",
			name, 4u << log_bps, QLFS_MIN_WORKING_MAIN_SEGS, hint,
			(unsigned long long)qlfs_mkfs_min_blocks(log_bps) * 4);
	}
	return -ENOSPC;
}

int qlfs_mkfs(struct qlfs_dev *d, const struct qlfs_mkfs_opts *o)
{
	struct mkfs_ctx c = {.d = d, .o = o};
	const char *name = o->name ? o->name : d->disk->disk_name;
	u32 log_bps = o->log_bps ? o->log_bps : qlfs_mkfs_pick_log_bps(d->nr_blocks);
	const char *found;
	int err;

	err = check_geometry(&c, name, log_bps, o->log_bps);
	if (err)
		return err;
	found = o->force ? NULL : qlfs_probe_signature(d);
	if (found) {
		mkfs_error(o, "%s already holds %s; use -f to overwrite it", name, found);
		return -EEXIST;
	}
	if (o->verbose && d->nr_blocks > QLFS_MAX_BLOCKS)
		cprintf("mkfs.qlfs: %s has %llu blocks; qlfs uses the first %llu (1 TiB)\n",
			name, (unsigned long long)d->nr_blocks,
			(unsigned long long)QLFS_MAX_BLOCKS);
	if (o->verbose)
		print_geometry(&c);
	err = write_all(&c);
	if (err)
		mkfs_error(o, "%s: write failed: %s", name, errname(err));
	return err;
}

/* Known signatures in the first 68 KiB (blkid's idea, a few of them). */
const char *qlfs_probe_signature(struct qlfs_dev *d)
{
	static const struct {
		u32 off;
		u8 len;
		const char *magic;
		const char *name;
	} sigs[] = {
		{0, 4, "QLFS", "a qlfs file system"},
		{4096, 4, "QLFS", "a qlfs file system (superblock copy 1)"},
		{1024 + 56, 2, "\x53\xef", "an ext2/3/4 file system"},
		{1024, 4, "\x10\x20\xf5\xf2", "an F2FS file system"},
		{0, 4, "XFSB", "an XFS file system"},
		{65536 + 64, 8, "_BHRfS_M", "a btrfs file system"},
		{4086, 10, "SWAPSPACE2", "a swap area"},
		{510, 2, "\x55\xaa", "a partition table (MBR/GPT)"},
	};
	const char *found = NULL;
	u32 nr = min(d->nr_blocks, 17ULL);
	u8 *buf = qlfs_alloc_blocks(5); /* 32 blocks */

	if (!buf || qlfs_dev_read(d, 0, buf, nr)) {
		qlfs_free_blocks(buf, 5);
		return NULL;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(sigs) && !found; i++)
		if (sigs[i].off + sigs[i].len <= nr * QLFS_BLKSIZE &&
		    !memcmp(buf + sigs[i].off, sigs[i].magic, sigs[i].len))
			found = sigs[i].name;
	qlfs_free_blocks(buf, 5);
	return found;
}
