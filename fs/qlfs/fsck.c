/*
 * fs/qlfs/fsck.c - the qlfs checker: invariants QL1..QL14 of
 * docs/qlfs-format.md (F2FS's fsck/fsck.c in spirit); with -y it hands
 * what it learnt to the repair (fs/qlfs/fsck_repair.c, through
 * fsck_internal.h), which writes a new checkpoint (docs/qlfs.md "Repair").
 *
 * Layer: fs. Used by: fsck.qlfs (shell command and host tool,
 * fs/qlfs/tool.c), the qlfs_format suite (and later every qlfs test).
 * Provides: qlfs_fsck(); qlfs_sb_invalid(), qlfs_cp_pack_invalid() and
 * qlfs_geometry_unworkable(), QL1 and QL3 for one superblock copy and one
 * checkpoint pack and the geometry rule (QL8), which mount (super.c) uses
 * too: one set of rules, one set of messages.
 *
 * Both superblock copies bad (QL1/QL9 twice): the layout is a function of
 * the size and the segment size, and a pack's checksum names its address,
 * so the one layout under which a sound checkpoint pack is found rebuilds
 * the superblock (find_layout(); F2FS's fsck has no such step and stops).
 * Neither pack whole: the sound pieces of one (salvage_pack()); no sound
 * header or footer in either: one rebuilt from the SIT and NAT
 * (rebuild_pack()). The root inode's block lost: -y makes a new empty root
 * (fsck_new_root()). What -y will not repair it says
 * (fsck_uncorrectable(): no header and no SIT or NAT block to rebuild one
 * from, no layout or two, a superblock copy of another version, a root
 * inode of another type, too few main segments, no free segment for the
 * repair) and ends with 4 (8 without a superblock), as e2fsck.
 *
 * Order: superblocks (QL1, QL2), checkpoint packs (QL3), SIT (QL5) and NAT
 * (QL4) from their live copies (entries of a NAT block that fails its
 * checksum, and a useless root entry, found again where SIT, summary and
 * node footer agree: recover_nat()), then pass 1 walks every inode's node tree
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
#include "fsck_internal.h"

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
void fsck_say(struct fsck *f, const char *fmt, ...)
{
	char msg[320]; /* rebuild_pack()'s says 240 */
	va_list ap;

	if (f->o->quiet)
		return;
	va_start(ap, fmt);
	vscnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cprintf("fsck.qlfs: %s\n", msg);
}

void fsck_uncorrectable(struct fsck *f, const char *why)
{
	if (f->r->uncorrectable == why)
		return;
	if (!f->r->uncorrectable)
		f->r->uncorrectable = why;
	fsck_say(f, "%s: %s", f->o->repair ? "cannot repair" : "-y cannot repair", why);
}

/* Read one metadata block at @addr into @buf and verify its checksum. */
static int read_meta(struct fsck *f, u32 addr, void *buf, const char *what)
{
	int err = qlfs_dev_read(f->d, addr, buf, 1);

	if (err) {
		fsck_say(f, "cannot read %s at block %u: %s", what, addr, errname(err));
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

const char *qlfs_sb_invalid(const struct qlfs_super_block *sb, u32 addr, u64 dev_blocks,
			    struct qlfs_layout *layout, unsigned int *ql)
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
	if (count > dev_blocks)
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
	*layout = l;
	return NULL;
}

static int fsck_read(void *d, u32 blkaddr, void *buf, u32 nr);

/* A qlfs superblock, however damaged: its magic, or a checksum that holds
 * (seeded with the magic and the address, qlfs_block_csum()). */
static bool sb_looks_like_qlfs(const void *blk, u32 addr)
{
	const struct qlfs_super_block *sb = blk;

	return le32_to_cpu(sb->magic) == QLFS_SUPER_MAGIC ||
	       qlfs_block_csum_ok(blk, addr);
}

/* Does a sound checkpoint pack sit where layout @l puts one, with user
 * blocks that agree with @l? (@buf: a segment's worth.) */
static bool layout_has_pack(struct fsck *f, const struct qlfs_layout *l, u8 *buf)
{
	const struct qlfs_checkpoint *cp = (const void *)buf;

	for (int p = 0; p < 2; p++) {
		u32 ovp;

		if (qlfs_cp_pack_invalid(l, p, buf, fsck_read, f->d))
			continue;
		ovp = le32_to_cpu(cp->overprov_segment_count);
		if (ovp < l->segs_main && le64_to_cpu(cp->user_block_count) ==
						  (u64)(l->segs_main - ovp) * l->bps)
			return true;
	}
	return false;
}

/* Of the superblock words a layout decides and that differ between
 * layouts (segment size, sizes, counts, area addresses, SIT/NAT sizes),
 * how many layout @l would write as one of the copies holds them (the
 * better copy): at most ARRAY_SIZE(layout_words). */
static const u8 layout_words[] = {12, 16, 24, 32, 36, 40, 44, 52,
				  56, 60, 64, 68, 72, 76, 80};

static u32 layout_score(const struct qlfs_layout *l, const u8 *two, u8 *scratch)
{
	u32 best = 0;

	memset(scratch, 0, QLFS_BLKSIZE);
	qlfs_sb_set_layout((struct qlfs_super_block *)scratch, l);
	for (int c = 0; c < 2; c++) {
		u32 score = 0;

		for (u32 w = 0; w < ARRAY_SIZE(layout_words); w++)
			score += !memcmp(scratch + layout_words[w],
					 two + c * QLFS_BLKSIZE + layout_words[w], 4);
		best = max(best, score);
	}
	return best;
}

/*
 * Both superblock copies bad: the layout is a function of the size and the
 * segment size, and a checkpoint pack's checksum names its address, so try
 * each segment size with each size the copies or the device give, keep the
 * layouts under which a sound pack is found and that most of the copies'
 * layout fields agree with (an earlier mkfs with another segment size
 * leaves its packs behind: not these copies' file system), and of those
 * the one they agree with most. 0 and *@out; -ENOENT: none; -EEXIST: a
 * tie (a guess: not taken); -ENOMEM.
 */
static int find_layout(struct fsck *f, const u8 *two, struct qlfs_layout *out)
{
	const struct qlfs_super_block *sb = (const void *)two;
	u64 sizes[3] = {le64_to_cpu(sb[0].block_count), le64_to_cpu(sb[1].block_count),
			f->d->nr_blocks};
	u8 *buf = qlfs_alloc_blocks(QLFS_MAX_LOG_BLOCKS_PER_SEG);
	u32 best = 0, ties = 0;

	if (!buf)
		return -ENOMEM;
	for (u32 lb = QLFS_MIN_LOG_BLOCKS_PER_SEG; lb <= QLFS_MAX_LOG_BLOCKS_PER_SEG;
	     lb++) {
		u64 tried[3];

		for (int c = 0; c < 3; c++) {
			struct qlfs_layout l;
			bool again = false;
			u32 score;

			tried[c] = 0;
			if (sizes[c] > f->d->nr_blocks ||
			    qlfs_compute_layout(sizes[c], lb, &l))
				continue;
			for (int k = 0; k < c; k++)
				again |= tried[k] == l.block_count;
			tried[c] = l.block_count;
			if (again || !layout_has_pack(f, &l, buf))
				continue;
			score = layout_score(&l, two, buf);
			if (score <= ARRAY_SIZE(layout_words) / 2)
				continue; /* a pack, but not of these copies */
			if (score == best)
				ties++;
			if (score > best) {
				best = score;
				ties = 0;
				*out = l;
			}
		}
	}
	qlfs_free_blocks(buf, QLFS_MAX_LOG_BLOCKS_PER_SEG);
	return !best ? -ENOENT : ties ? -EEXIST : 0;
}

/* QL1 for both copies: a superblock made again from the one layout that
 * finds a sound checkpoint pack (find_layout()), its uuid, label and mkfs
 * time from a copy whose checksum holds (else copy 0); -y writes it to
 * both places (repair_super()). A copy whose checksum holds and that says
 * another major version or unknown features may be a newer qlfs: left. */
static int rebuild_super(struct fsck *f, const u8 *two)
{
	const struct qlfs_super_block *sb = (const void *)two;
	struct qlfs_layout l;
	int src = 0, err;

	for (int i = 1; i >= 0; i--) {
		if (!qlfs_block_csum_ok(&sb[i], i))
			continue;
		if (le16_to_cpu(sb[i].major_ver) != QLFS_MAJOR_VERSION ||
		    le32_to_cpu(sb[i].feature)) {
			/* e2fsck's "Get a newer version of e2fsck!": exit 8 */
			fsck_say(
				f,
				"superblock copy %d: checksum sound, format %u.%u, features %#x; this fsck.qlfs knows format %u.%u and no features: a newer qlfs may have made it, nothing is written",
				i, le16_to_cpu(sb[i].major_ver),
				le16_to_cpu(sb[i].minor_ver), le32_to_cpu(sb[i].feature),
				QLFS_MAJOR_VERSION, QLFS_MINOR_VERSION);
			fsck_uncorrectable(f, "a superblock copy of another version");
			return -EUCLEAN;
		}
		src = i;
	}
	err = find_layout(f, two, &l);
	if (err == -ENOMEM)
		return err;
	if (err) {
		fsck_uncorrectable(f,
				   err == -EEXIST ?
					   "both superblock copies bad, two layouts fit" :
					   "both superblock copies bad, no layout fits");
		return -EUCLEAN;
	}
	memcpy(f->sb, &sb[src], QLFS_BLKSIZE);
	qlfs_sb_set_layout(f->sb, &l);
	f->sb->volume_name[63] = 0;
	f->l = l;
	f->sb_fix = f->sb_rebuilt = true;
	f->r->sb_used = src;
	fsck_say(f, "%s: segments of %u KiB, %llu blocks (a checkpoint pack found there)",
		 f->o->repair ? "superblock made again" : "-y makes the superblock again",
		 (1u << l.log_bps) * 4, (unsigned long long)l.block_count);
	return 0;
}

static int check_supers(struct fsck *f)
{
	u8 *two = qlfs_alloc_blocks(1);
	struct qlfs_layout l;
	const char *why[2];
	unsigned int ql[2];
	int err, use = -1;

	if (!two)
		return -ENOMEM;
	err = qlfs_dev_read(f->d, 0, two, 2);
	if (err) {
		fsck_say(f, "cannot read the superblocks: %s", errname(err));
		f->r->operational = true;
		goto out;
	}
	for (int i = 1; i >= 0; i--) { /* copy 0 last: its layout stays */
		why[i] = qlfs_sb_invalid((void *)(two + i * QLFS_BLKSIZE), i,
					 f->d->nr_blocks, &f->l, &ql[i]);
		if (!why[i])
			use = i;
	}
	if (use < 0 && !sb_looks_like_qlfs(two, 0) &&
	    !sb_looks_like_qlfs(two + QLFS_BLKSIZE, 1) &&
	    find_layout(f, two, &l) != 0) { /* and no pack of theirs either */
		report(f, 1,
		       "no qlfs superblock (no magic in blocks 0 and 1): not a qlfs image");
		f->r->operational = true;
		err = -EINVAL;
		goto out;
	}
	if (use < 0) {
		report(f, ql[0], "superblock copy 0: %s", why[0]);
		report(f, ql[1], "superblock copy 1: %s", why[1]);
		err = rebuild_super(f, two);
		if (!err)
			goto out;
		fsck_say(f, "no valid qlfs superblock");
		/* e2fsck's answer without a superblock: 8, could not check */
		f->r->operational = true;
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

/* QL3's field ranges of the header @cp. */
static const char *cp_fields_invalid(const struct qlfs_layout *l,
				     const struct qlfs_checkpoint *cp)
{
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
		if (qlfs_cp_segno(cp, i) >= l->segs_main ||
		    qlfs_cp_blkoff(cp, i) > l->bps)
			return "current segment out of range";
		for (int j = 0; j < i; j++)
			if (qlfs_cp_segno(cp, j) == qlfs_cp_segno(cp, i))
				return "two logs share a current segment";
	}
	return NULL;
}

const char *qlfs_cp_pack_invalid(const struct qlfs_layout *l, int p, u8 *buf,
				 int (*read)(void *ctx, u32 blkaddr, void *buf, u32 nr),
				 void *ctx)
{
	u32 base = l->cp_blkaddr + p * l->bps;
	struct qlfs_checkpoint *cp = (void *)buf, *footer;
	const char *why;
	u32 total;

	if (read(ctx, base, buf, 1))
		return "unreadable";
	if (!qlfs_block_csum_ok(buf, base))
		return "header checksum";
	why = cp_fields_invalid(l, cp);
	if (why)
		return why;
	total = le32_to_cpu(cp->cp_pack_total_block_count);
	if (read(ctx, base + 1, buf + QLFS_BLKSIZE, total - 1))
		return "unreadable";
	for (u32 b = 1; b < total; b++)
		if (!qlfs_block_csum_ok(buf + b * QLFS_BLKSIZE, base + b))
			return b == total - 1 ? "footer checksum" :
						"orphan or summary block checksum";
	footer = (void *)(buf + (size_t)(total - 1) * QLFS_BLKSIZE);
	if (le64_to_cpu(cp->checkpoint_ver) != le64_to_cpu(footer->checkpoint_ver))
		return "header and footer versions differ";
	if (memcmp(cp, footer, QLFS_CSUM_OFFSET))
		return "footer differs from header";
	for (u32 b = 1; b < le32_to_cpu(cp->cp_pack_start_sum); b++) {
		struct qlfs_orphan_block *ob = (void *)(buf + b * QLFS_BLKSIZE);

		if (le16_to_cpu(ob->blk_addr) != b - 1 ||
		    le16_to_cpu(ob->blk_count) !=
			    le32_to_cpu(cp->cp_pack_start_sum) - 1 ||
		    le32_to_cpu(ob->entry_count) > ORPHANS_PER_BLOCK)
			return "orphan block header";
	}
	/* the current segments' summaries: each log's own type (the mount
	 * refused a pack fsck took: found by qlfs_fuzz, tests/images/) */
	for (int t = 0; t < NR_CURSEG_TYPE; t++) {
		const struct qlfs_summary_block *sum =
			(void *)(buf + (size_t)(le32_to_cpu(cp->cp_pack_start_sum) + t) *
					       QLFS_BLKSIZE);

		if (sum->entry_type !=
		    (qlfs_log_is_node(t) ? SUM_TYPE_NODE : SUM_TYPE_DATA))
			return "summary block type";
	}
	return NULL;
}

int qlfs_cp_newer_pack(u8 *const pk[2], const char *const why[2])
{
	const struct qlfs_checkpoint *cp0 = (void *)pk[0], *cp1 = (void *)pk[1];

	if (why[0] || why[1])
		return why[0] && why[1] ? -1 : !!why[0];
	return le64_to_cpu(cp1->checkpoint_ver) > le64_to_cpu(cp0->checkpoint_ver);
}

bool qlfs_geometry_unworkable(const struct qlfs_layout *l,
			      const struct qlfs_checkpoint *cp, char *why, size_t size)
{
	u32 ovp = le32_to_cpu(cp->overprov_segment_count);
	u32 want = qlfs_default_ovp(l->segs_main);
	bool raise =
		l->segs_main >= QLFS_MIN_WORKING_MAIN_SEGS &&
		le64_to_cpu(cp->valid_block_count) <= (u64)(l->segs_main - want) * l->bps;

	if (qlfs_geometry_workable(l->segs_main, ovp))
		return false;
	scnprintf(
		why, size,
		"%u main segments, %u overprovisioned: too few for six logs and cleaning (needs %u and %u); %s",
		l->segs_main, ovp, QLFS_MIN_WORKING_MAIN_SEGS, QLFS_MIN_OVP_SEGS,
		raise ? "fsck.qlfs -y sets more aside" : "make it again with mkfs.qlfs");
	return true;
}

static int fsck_read(void *d, u32 blkaddr, void *buf, u32 nr)
{
	return qlfs_dev_read(d, blkaddr, buf, nr);
}

/*
 * Neither pack is whole (QL3 twice): the pieces of one that are still
 * sound make a pack to check against and to repair from. Its header, or
 * else its footer (a copy of the header: found at the place its own pack
 * size names), checksum and fields sound; of pack @p's other blocks, the
 * orphan blocks if every one holds (else the orphan list is dropped: the
 * orphans come out as unnamed inodes, freed if empty, else in
 * /lost+found) and each current segment's summary that holds (else an
 * empty one of its type: -y fills it from the blocks' owners). The SIT,
 * NAT and their version bitmap come from the header, whose checksum
 * vouches for them. F2FS's fsck stops here instead. Returns the version
 * found (0: no sound header or footer in pack @p), @pk holding the pack;
 * *@torn: its footer is another checkpoint's, or a zeroed block (a crash
 * stopped the write of this pack before its footer: a pack whose footer
 * is merely damaged must win over it, whatever the versions).
 */
static u64 salvage_pack(struct fsck *f, int p, u8 *pk, bool *torn)
{
	const struct qlfs_layout *l = &f->l;
	u32 base = l->cp_blkaddr + p * l->bps, start, hdr = l->bps;
	struct qlfs_checkpoint *cp = (void *)pk;
	bool orphans_ok = true;

	*torn = false;
	if (qlfs_dev_read(f->d, base, pk, l->bps))
		return 0;
	for (u32 b = 0; b < l->bps && hdr == l->bps; b++) {
		const struct qlfs_checkpoint *c = (const void *)(pk + b * QLFS_BLKSIZE);

		if (!qlfs_block_csum_ok(c, base + b) || cp_fields_invalid(l, c))
			continue;
		/* the header at 0, or a footer where its pack size puts it */
		if (b == 0 || b == le32_to_cpu(c->cp_pack_total_block_count) - 1)
			hdr = b;
	}
	if (hdr == l->bps)
		return 0;
	if (!hdr) {
		u32 end = le32_to_cpu(cp->cp_pack_total_block_count) - 1;
		const u8 *ft = pk + end * QLFS_BLKSIZE;

		if (qlfs_block_csum_ok(ft, base + end))
			*torn = memcmp(pk, ft, QLFS_CSUM_OFFSET);
		else
			*torn = bits_clear_from(ft, 0, QLFS_BLKSIZE);
	} else {
		memcpy(pk, pk + hdr * QLFS_BLKSIZE, QLFS_BLKSIZE);
	}
	start = le32_to_cpu(cp->cp_pack_start_sum);
	for (u32 b = 1; b < start; b++) {
		const struct qlfs_orphan_block *ob = (void *)(pk + b * QLFS_BLKSIZE);

		if (!qlfs_block_csum_ok(ob, base + b) ||
		    le16_to_cpu(ob->blk_addr) != b - 1 ||
		    le16_to_cpu(ob->blk_count) != start - 1 ||
		    le32_to_cpu(ob->entry_count) > ORPHANS_PER_BLOCK)
			orphans_ok = false;
	}
	for (int t = 0; t < NR_CURSEG_TYPE; t++) {
		u8 *from = pk + (start + t) * QLFS_BLKSIZE;
		struct qlfs_summary_block *sum = (void *)from;
		u8 type = qlfs_log_is_node(t) ? SUM_TYPE_NODE : SUM_TYPE_DATA;

		if (!qlfs_block_csum_ok(from, base + start + t) ||
		    sum->entry_type != type) {
			memset(from, 0, QLFS_BLKSIZE);
			sum->entry_type = type;
		}
		if (!orphans_ok) /* summaries right after the header */
			memmove(pk + (1 + t) * QLFS_BLKSIZE, from, QLFS_BLKSIZE);
	}
	if (!orphans_ok) {
		cp->ckpt_flags &= ~cpu_to_le32(CP_ORPHAN_PRESENT_FLAG);
		cp->cp_pack_start_sum = cpu_to_le32(1);
		cp->cp_pack_total_block_count = cpu_to_le32(1 + NR_CURSEG_TYPE + 1);
	}
	fsck_say(f, "pack %d salvaged: its %s%s, %s", p, hdr ? "footer" : "header",
		 *torn ? " (a torn write: its footer never written)" : "",
		 orphans_ok ? "its orphan list" :
			      "no orphan list (a block of it is bad)");
	return le64_to_cpu(cp->checkpoint_ver) ?: 1;
}

/*
 * ---- no sound header or footer in either pack: a header rebuilt ----
 *
 * Neither pack has a header or footer whose checksum and fields hold
 * (salvage_pack() found none). What a header says can mostly be found
 * again: which copy of each SIT and NAT block is live (a copy that fails
 * its checksum never is; of two that hold, the newer by their contents:
 * a NAT entry's version is bumped when its nid is freed and a node footer
 * carries the checkpoint version it was written under; a SIT copy that
 * marks valid the blocks of the nodes the chosen NAT names, and no others,
 * is the newer; last, the mtimes), where each log writes (a segment of
 * its type whose valid blocks all lie before the offset, else a free
 * segment), the counts (from the SIT and the NAT). The best header left
 * (one whose checksum holds, its fields out of range; else a block 0 that
 * fails its checksum) only breaks ties and gives what nothing else knows:
 * the next free nid hint, and the overprovision if its checksum holds and
 * it is no more than mkfs's (else mkfs's). The clock is the SIT's newest
 * mtime, never a header's. The version is the highest any sound part says
 * (a header or footer whose checksum holds, a node footer the NAT names or
 * past a node log's offset), plus one: nodes fsynced after the lost
 * checkpoint carry its version, which may be above every node the NAT
 * names, and the repair writes one above that, so no node written after
 * the lost checkpoint is taken for roll-forward. The orphan list is
 * dropped (its inodes come out unnamed: freed if empty, else in
 * /lost+found), and so is roll-forward: what was fsynced after the last
 * checkpoint is lost. F2FS's fsck has no such mode (it stops). 0 with the pack in @pk[*@use] and its
 * version; -EUCLEAN: nothing to rebuild from (said); -ENOMEM.
 */
#define REBUILD_MAX_CONTESTED 64
#define NO_SEG		      ((u32)~0u)

struct contested {
	u32 i;	      /* SIT block */
	u8 *copy;     /* both copies */
	s64 score[2]; /* 2 per node block the chosen NAT names that it marks valid,
		       * less its valid blocks in node segments */
};

struct rebuild {
	const struct qlfs_checkpoint *best; /* the best header left, or NULL */
	bool sound;			    /* its checksum holds */
	int pack;			    /* its pack */
	u64 version;			    /* the highest any sound part says */
	u8 *bitmap;			    /* the new version bitmap */
	u32 by_content, guessed;	    /* blocks whose live copy was chosen */
	struct contested *cont;
	u32 nr_cont;
	u8 *buf;       /* 2 blocks */
	u32 buf_sit;   /* 1 + the chosen SIT block buf holds, or 0 */
	u32 copies_ok; /* SIT and NAT block copies whose checksum holds */
};

static u64 cp_ver(const void *blk)
{
	return le64_to_cpu(((const struct qlfs_checkpoint *)blk)->checkpoint_ver);
}

/* A plausible version: not 0, and its low half (a node footer's stamp, what
 * roll-forward compares) far from wrapping when the rebuild and the repair
 * add 1 each: a sealed header saying 2^32 made -y write 2^32 + 2, whose
 * stamp is 2, and the mount rolled forward the nodes fsynced after the
 * lost checkpoint 2 (tests/images/fsck-y-cp-rebuilt-version-past-2-32). */
static bool version_ok(u64 v)
{
	return v && v < 0xffffffffULL - 2;
}

static void find_best_header(struct fsck *f, u8 *const pk[2], struct rebuild *rb)
{
	for (int p = 0; p < 2; p++) {
		u32 base = f->l.cp_blkaddr + p * f->l.bps;

		for (u32 b = 0; b < f->l.bps; b++) {
			const struct qlfs_checkpoint *c =
				(const void *)(pk[p] + b * QLFS_BLKSIZE);
			u32 total = le32_to_cpu(c->cp_pack_total_block_count);
			u32 start = le32_to_cpu(c->cp_pack_start_sum);

			if (!qlfs_block_csum_ok(c, base + b) || !version_ok(cp_ver(c)))
				continue;
			/* a header, or a footer where its own pack size puts it */
			if (b && b != total - 1 && b != start + NR_CURSEG_TYPE)
				continue;
			rb->version = max(rb->version, cp_ver(c));
			if (!rb->best || cp_ver(c) > cp_ver(rb->best)) {
				rb->best = c;
				rb->pack = p;
				rb->sound = true;
			}
		}
	}
	if (rb->best)
		return;
	/* no checksum holds: a block 0 as a hint (fields valid first) */
	for (int p = 0; p < 2; p++) {
		const struct qlfs_checkpoint *c = (const void *)pk[p];

		if (bits_clear_from(pk[p], 0, QLFS_BLKSIZE))
			continue;
		if (!rb->best || (cp_fields_invalid(&f->l, rb->best) &&
				  !cp_fields_invalid(&f->l, c))) {
			rb->best = c;
			rb->pack = p;
		}
	}
}

/* Node @nid at @addr: its footer's checkpoint version (low half), -1 if
 * the block is not that node. */
static s64 node_stamp(struct fsck *f, u32 nid, u32 addr, u8 *blk)
{
	const struct qlfs_node_footer *ft = (const void *)(blk + 4064);

	if (!in_main(f, addr) || qlfs_dev_read(f->d, addr, blk, 1) ||
	    !qlfs_block_csum_ok(blk, addr) || le32_to_cpu(ft->nid) != nid)
		return -1;
	return le64_to_cpu(ft->cp_ver) & 0xffffffffULL;
}

/* Of two NAT block copies whose checksums hold, the newer: 0, 1, or -1
 * (their entries say nothing). Each differing entry votes: for the copy
 * whose entry is in the main area when the other's is not; else for the
 * higher version if that entry is empty (not the root's) or names its
 * node; else for the entry whose node carries the later stamp (or that
 * names a node where the other names none). */
static int newer_nat_copy(struct fsck *f, u32 i, const u8 *two, u8 *blk)
{
	const struct qlfs_nat_block *c[2] = {(const void *)two,
					     (const void *)(two + QLFS_BLKSIZE)};
	int votes = 0;

	for (u32 e = 0; e < NAT_ENTRY_PER_BLOCK; e++) {
		const struct qlfs_nat_entry *a = &c[0]->entries[e],
					    *b = &c[1]->entries[e];
		u32 nid = i * NAT_ENTRY_PER_BLOCK + e;
		u32 aa = le32_to_cpu(a->block_addr), ba = le32_to_cpu(b->block_addr);
		s64 s[2];

		if (!memcmp(a, b, sizeof(*a)))
			continue;
		/* an address outside the main area: no qlfs wrote that copy
		 * (whatever its versions say), a vote for the other one */
		if ((aa && !in_main(f, aa)) != (ba && !in_main(f, ba))) {
			votes += aa && !in_main(f, aa) ? 1 : -1;
			continue;
		}
		if (a->version != b->version) { /* freed since: bumped */
			const struct qlfs_nat_entry *n =
				(s8)(b->version - a->version) > 0 ? b : a;
			const struct qlfs_nat_entry *o = n == b ? a : b;
			s64 sn, so;

			/* only for an entry that is empty (the nid freed) or
			 * whose node is there: a forged copy may
			 * bump versions at will (tests/images/fsck-y-nat-*).
			 * The root is never freed: its bumped entry may name
			 * its own older block, still sound (fsck-y-nat-copy-
			 * stale-root), so it never counts; nor does a node
			 * older than the other copy's (a nid freed, then used
			 * again, names a later node) */
			if (nid == QLFS_ROOT_INO)
				continue;
			if (n->block_addr) {
				sn = node_stamp(f, nid, le32_to_cpu(n->block_addr), blk);
				if (sn < 0)
					continue;
				so = o->block_addr ?
					     node_stamp(f, nid,
							le32_to_cpu(o->block_addr), blk) :
					     -1;
				if (so > sn) { /* the other copy's node is later */
					votes += n == b ? -1 : 1;
					continue;
				}
			}
			votes += n == b ? 1 : -1;
			continue;
		}
		s[0] = a->block_addr ?
			       node_stamp(f, nid, le32_to_cpu(a->block_addr), blk) :
			       -2;
		s[1] = b->block_addr ?
			       node_stamp(f, nid, le32_to_cpu(b->block_addr), blk) :
			       -2;
		/* moved (the later stamp), or allocated (a node, not none) */
		if (s[0] == -1 || s[1] == -1 || s[0] == s[1])
			continue;
		votes += s[1] > s[0] ? 1 : -1;
	}
	return votes > 0 ? 1 : votes < 0 ? 0 : -1;
}

static u64 sit_max_mtime(const u8 *blk)
{
	const struct qlfs_sit_block *sb = (const void *)blk;
	u64 m = 0;

	for (u32 e = 0; e < SIT_ENTRY_PER_BLOCK; e++)
		m = max(m, le64_to_cpu(sb->entries[e].mtime));
	return m;
}

/* Read both copies of SIT (@nat false) or NAT block @i into rb->buf: bit
 * k of the result set if copy k's checksum holds. */
static int read_copies(struct fsck *f, struct rebuild *rb, bool nat, u32 i)
{
	int ok = 0;

	rb->buf_sit = 0;
	for (int k = 0; k < 2; k++) {
		u32 addr = nat ? qlfs_nat_blkaddr(&f->l, i, k) :
				 qlfs_sit_blkaddr(&f->l, i, k);
		u8 *b = rb->buf + k * QLFS_BLKSIZE;

		if (!qlfs_dev_read(f->d, addr, b, 1) && qlfs_block_csum_ok(b, addr))
			ok |= 1 << k;
	}
	rb->copies_ok += (ok & 1) + (ok >> 1);
	return ok;
}

/* The live copy of block @i of an area, bit @bit of the bitmap. */
static void set_live(struct fsck *f, struct rebuild *rb, u32 bit, int copy)
{
	if (copy)
		qlfs_set_bit(rb->bitmap, bit);
	else
		rb->bitmap[bit / 8] &= ~(1u << (bit % 8));
}

static int hint_copy(struct fsck *f, struct rebuild *rb, u32 bit)
{
	return rb->best ? qlfs_test_bit(rb->best->sit_nat_version_bitmap, bit) : 0;
}

/* Pick each NAT block's live copy; the SIT blocks whose two copies hold
 * and differ are kept for choose_sit() (up to REBUILD_MAX_CONTESTED). */
static void choose_nat(struct fsck *f, struct rebuild *rb, u8 *blk)
{
	u32 off = qlfs_sit_bitmap_bytes(&f->l) * 8;

	for (u32 i = 0; i < f->l.nat_blocks; i++) {
		int ok = read_copies(f, rb, true, i), copy = hint_copy(f, rb, off + i);

		if (ok == 3 &&
		    memcmp(rb->buf, rb->buf + QLFS_BLKSIZE, QLFS_CSUM_OFFSET)) {
			int newer = newer_nat_copy(f, i, rb->buf, blk);

			if (newer >= 0) {
				copy = newer;
				rb->by_content++;
			} else if (!rb->sound) {
				rb->guessed++;
			}
		} else if (ok == 1 || ok == 2) {
			copy = ok == 2;
		}
		set_live(f, rb, off + i, copy);
	}
}

/* The nodes the chosen NAT names, for the contested SIT blocks' scores
 * and the version (the highest node stamp). Also counts for the header. */
static void scan_nodes(struct fsck *f, struct rebuild *rb, u8 *blk, u32 *nodes,
		       u32 *inodes)
{
	u32 off = qlfs_sit_bitmap_bytes(&f->l) * 8;

	for (u32 i = 0; i < f->l.nat_blocks; i++) {
		int copy = qlfs_test_bit(rb->bitmap, off + i);
		u32 addr = qlfs_nat_blkaddr(&f->l, i, copy);
		const struct qlfs_nat_block *nb = (const void *)rb->buf;

		rb->buf_sit = 0;
		if (qlfs_dev_read(f->d, addr, rb->buf, 1) ||
		    !qlfs_block_csum_ok(rb->buf, addr))
			continue;
		for (u32 e = 0; e < NAT_ENTRY_PER_BLOCK; e++) {
			u32 nid = i * NAT_ENTRY_PER_BLOCK + e;
			u32 a = le32_to_cpu(nb->entries[e].block_addr), rel, segno;
			s64 stamp;

			if (!a || nid < QLFS_ROOT_INO || nid >= f->l.max_nid)
				continue;
			(*nodes)++;
			*inodes += le32_to_cpu(nb->entries[e].ino) == nid;
			if (!in_main(f, a))
				continue;
			stamp = node_stamp(f, nid, a, blk);
			if (stamp > 0 && version_ok(stamp))
				rb->version = max(rb->version, (u64)stamp);
			rel = a - f->l.main_blkaddr;
			segno = rel / f->l.bps;
			for (u32 k = 0; k < rb->nr_cont; k++) {
				struct contested *c = &rb->cont[k];

				if (c->i != segno / SIT_ENTRY_PER_BLOCK)
					continue;
				for (int n = 0; n < 2; n++) {
					const struct qlfs_sit_block *sb =
						(const void *)(c->copy +
							       n * QLFS_BLKSIZE);

					c->score[n] +=
						2 *
						qlfs_test_bit(
							sb->entries[segno %
								    SIT_ENTRY_PER_BLOCK]
								.valid_map,
							rel % f->l.bps);
				}
			}
		}
	}
}

static int choose_sit(struct fsck *f, struct rebuild *rb, u8 *blk, u32 *nodes,
		      u32 *inodes)
{
	for (u32 i = 0; i < f->l.sit_blocks; i++) {
		int ok = read_copies(f, rb, false, i);

		if (ok == 3 &&
		    memcmp(rb->buf, rb->buf + QLFS_BLKSIZE, QLFS_CSUM_OFFSET) &&
		    rb->nr_cont < REBUILD_MAX_CONTESTED) {
			struct contested *c = &rb->cont[rb->nr_cont];

			c->copy = qlfs_alloc_blocks(1);
			if (!c->copy)
				return -ENOMEM;
			memcpy(c->copy, rb->buf, 2 * QLFS_BLKSIZE);
			c->i = i;
			c->score[0] = c->score[1] = 0;
			rb->nr_cont++;
			continue;
		}
		set_live(f, rb, i, ok == 1 || ok == 2 ? ok == 2 : hint_copy(f, rb, i));
		if (ok == 3 && !rb->sound &&
		    memcmp(rb->buf, rb->buf + QLFS_BLKSIZE, QLFS_CSUM_OFFSET))
			rb->guessed++; /* past REBUILD_MAX_CONTESTED */
	}
	scan_nodes(f, rb, blk, nodes, inodes);
	for (u32 k = 0; k < rb->nr_cont; k++) {
		struct contested *c = &rb->cont[k];
		u64 m[2];
		int copy;

		for (int n = 0; n < 2; n++) {
			const struct qlfs_sit_block *sb =
				(const void *)(c->copy + n * QLFS_BLKSIZE);

			for (u32 e = 0; e < SIT_ENTRY_PER_BLOCK; e++) {
				u32 vb = le16_to_cpu(sb->entries[e].vblocks);

				if (vb >> SIT_VBLOCKS_SHIFT < NR_CURSEG_TYPE &&
				    qlfs_log_is_node(vb >> SIT_VBLOCKS_SHIFT))
					c->score[n] -= vb & SIT_VBLOCKS_MASK;
			}
			m[n] = sit_max_mtime(c->copy + n * QLFS_BLKSIZE);
		}
		if (c->score[0] != c->score[1])
			copy = c->score[1] > c->score[0];
		else if (m[0] != m[1])
			copy = m[1] > m[0];
		else
			copy = -1;
		if (copy >= 0)
			rb->by_content++;
		else if (!rb->sound)
			rb->guessed++;
		set_live(f, rb, c->i, copy >= 0 ? copy : hint_copy(f, rb, c->i));
	}
	return 0;
}

/* The SIT entry of @segno in its chosen copy, NULL if that block is bad
 * (the block read stays in rb->buf for the next call). */
static const struct qlfs_sit_entry *chosen_sit(struct fsck *f, struct rebuild *rb,
					       u32 segno)
{
	u32 i = segno / SIT_ENTRY_PER_BLOCK;
	u32 addr = qlfs_sit_blkaddr(&f->l, i, qlfs_test_bit(rb->bitmap, i));
	const struct qlfs_sit_block *sb = (const void *)rb->buf;

	if (rb->buf_sit != i + 1) {
		rb->buf_sit = 0;
		if (qlfs_dev_read(f->d, addr, rb->buf, 1) ||
		    !qlfs_block_csum_ok(rb->buf, addr))
			return NULL;
		rb->buf_sit = i + 1;
	}
	return &sb->entries[segno % SIT_ENTRY_PER_BLOCK];
}

static u32 last_valid(const struct qlfs_sit_entry *se, u32 bps)
{
	u32 end = 0;

	for (u32 b = 0; b < bps; b++)
		if (qlfs_test_bit(se->valid_map, b))
			end = b + 1;
	return end;
}

/* Where each log writes: the best header's segment if the SIT gives it
 * that log's type (its offset past every valid block, its summary if it
 * holds), else a free segment from offset 0. @pk: the best header's pack,
 * as read; @out: the new pack (header, 6 summaries). */
static int rebuild_cursegs(struct fsck *f, struct rebuild *rb, const u8 *pk, u8 *out,
			   u32 *moved)
{
	struct qlfs_checkpoint *cp = (void *)out;
	const struct qlfs_checkpoint *best = rb->best;
	u32 seg[NR_CURSEG_TYPE], offs[NR_CURSEG_TYPE];
	u32 start = best ? le32_to_cpu(best->cp_pack_start_sum) : 0;
	u32 base = f->l.cp_blkaddr + rb->pack * f->l.bps;

	for (int t = 0; t < NR_CURSEG_TYPE; t++) {
		const struct qlfs_sit_entry *se;
		struct qlfs_summary_block *sum = (void *)(out + (1 + t) * QLFS_BLKSIZE);
		u8 type = qlfs_log_is_node(t) ? SUM_TYPE_NODE : SUM_TYPE_DATA;
		u32 s = NO_SEG, o = 0;

		if (best) {
			s = le32_to_cpu(t < 3 ? best->cur_data_segno[t] :
						best->cur_node_segno[t - 3]);
			o = le16_to_cpu(t < 3 ? best->cur_data_blkoff[t] :
						best->cur_node_blkoff[t - 3]);
		}
		for (int k = 0; k < t && s < f->l.segs_main; k++)
			if (seg[k] == s)
				s = NO_SEG;
		se = s < f->l.segs_main ? chosen_sit(f, rb, s) : NULL;
		memset(sum, 0, QLFS_BLKSIZE);
		sum->entry_type = type;
		if (se && le16_to_cpu(se->vblocks) >> SIT_VBLOCKS_SHIFT == (u32)t) {
			seg[t] = s;
			offs[t] = max(o <= f->l.bps ? o : 0, last_valid(se, f->l.bps));
			if (start >= 1 && start - 1 <= f->l.bps - 8 &&
			    qlfs_block_csum_ok(pk + (start + t) * QLFS_BLKSIZE,
					       base + start + t) &&
			    ((struct qlfs_summary_block *)(pk +
							   (start + t) * QLFS_BLKSIZE))
					    ->entry_type == type)
				memcpy(sum, pk + (start + t) * QLFS_BLKSIZE,
				       QLFS_BLKSIZE);
		} else {
			seg[t] = NO_SEG;
			offs[t] = 0;
		}
	}
	for (int t = 0; t < NR_CURSEG_TYPE; t++) {
		u32 s;

		if (seg[t] != NO_SEG)
			continue;
		for (s = 0; s < f->l.segs_main; s++) {
			const struct qlfs_sit_entry *se;
			bool taken = false;

			for (int k = 0; k < NR_CURSEG_TYPE; k++)
				taken |= seg[k] == s;
			if (taken)
				continue;
			se = chosen_sit(f, rb, s);
			if (se && !(le16_to_cpu(se->vblocks) & SIT_VBLOCKS_MASK) &&
			    bits_clear_from(se->valid_map, 0, SIT_VBLOCK_MAP_SIZE))
				break;
		}
		if (s == f->l.segs_main)
			return -ENOSPC;
		seg[t] = s;
		(*moved)++;
	}
	for (int t = 0; t < 3; t++) {
		cp->cur_data_segno[t] = cpu_to_le32(seg[t]);
		cp->cur_data_blkoff[t] = cpu_to_le16(offs[t]);
		cp->cur_node_segno[t] = cpu_to_le32(seg[3 + t]);
		cp->cur_node_blkoff[t] = cpu_to_le16(offs[3 + t]);
	}
	return 0;
}

/* Counts of the chosen SIT: valid blocks, free segments, the latest mtime. */
static void sit_counts(struct fsck *f, struct rebuild *rb, struct qlfs_checkpoint *cp)
{
	u64 valid = 0, mtime = 0;
	u32 free = 0;

	for (u32 s = 0; s < f->l.segs_main; s++) {
		const struct qlfs_sit_entry *se = chosen_sit(f, rb, s);
		u32 vb;
		bool cur = false;

		if (!se)
			continue;
		vb = le16_to_cpu(se->vblocks) & SIT_VBLOCKS_MASK;
		for (int t = 0; t < 3; t++)
			cur |= le32_to_cpu(cp->cur_data_segno[t]) == s ||
			       le32_to_cpu(cp->cur_node_segno[t]) == s;
		valid += vb;
		free += !vb && !cur;
		mtime = max(mtime, le64_to_cpu(se->mtime));
	}
	cp->valid_block_count = cpu_to_le64(valid);
	cp->free_segment_count = cpu_to_le32(free);
	/* the clock: the SIT's newest mtime, never a header's (the one of a
	 * refused pack may say 2^64 - 256: every segment's age would wrap) */
	cp->elapsed_time = cpu_to_le64(mtime);
}

/* The node blocks at and past each node log's offset were written after
 * the lost checkpoint: fsync's chain (roll-forward) carries its version,
 * which is above every node the NAT names when that checkpoint wrote no
 * node (one of fsck -y's, say). The version goes above them too, so the
 * repair's pack is not taken for theirs (tests/images/
 * fsck-y-cp-rebuilt-below-fsynced-nodes). */
static void stamp_past_node_logs(struct fsck *f, struct rebuild *rb,
				 const struct qlfs_checkpoint *cp, u8 *blk)
{
	const struct qlfs_node_footer *ft = (const void *)(blk + 4064);

	for (int t = 0; t < NR_CURSEG_NODE_TYPE; t++) {
		u32 seg = le32_to_cpu(cp->cur_node_segno[t]);
		u32 start = f->l.main_blkaddr + seg * f->l.bps;

		for (u32 b = le16_to_cpu(cp->cur_node_blkoff[t]); b < f->l.bps; b++) {
			u64 v;

			if (qlfs_dev_read(f->d, start + b, blk, 1) ||
			    !qlfs_block_csum_ok(blk, start + b))
				continue;
			v = le64_to_cpu(ft->cp_ver) & 0xffffffffULL;
			if (version_ok(v))
				rb->version = max(rb->version, v);
		}
	}
}

static void free_rebuild(struct rebuild *rb)
{
	for (u32 k = 0; rb->cont && k < rb->nr_cont; k++)
		qlfs_free_blocks(rb->cont[k].copy, 1);
	kfree(rb->cont);
	qlfs_free_blocks(rb->buf, 1);
}

static int rebuild_pack(struct fsck *f, u8 *const pk[2], int *use, u64 *version)
{
	const struct qlfs_layout *l = &f->l;
	struct rebuild rb = {0};
	u8 *out = qlfs_alloc_blocks(3), *blk = qlfs_alloc_blocks(0);
	struct qlfs_checkpoint *cp = (void *)out;
	u32 nodes = 0, inodes = 0, moved = 0, ovp, rsvd, nfn;
	const char *ovp_from;
	bool ovp_kept;
	u64 valid;
	int err = 0;

	rb.buf = qlfs_alloc_blocks(1);
	rb.cont = kcalloc(REBUILD_MAX_CONTESTED, sizeof(*rb.cont), GFP_KERNEL);
	if (!out || !blk || !rb.buf || !rb.cont) {
		err = -ENOMEM;
		goto out;
	}
	find_best_header(f, pk, &rb);
	memset(out, 0, 8 * QLFS_BLKSIZE);
	if (rb.best)
		memcpy(out, rb.best, QLFS_BLKSIZE);
	memset(cp->sit_nat_version_bitmap, 0, QLFS_CP_BITMAP_BYTES);
	memset(cp->reserved, 0, sizeof(cp->reserved));
	rb.bitmap = cp->sit_nat_version_bitmap;
	choose_nat(f, &rb, blk);
	err = choose_sit(f, &rb, blk, &nodes, &inodes);
	if (err)
		goto out;
	if (!rb.copies_ok) {
		fsck_uncorrectable(
			f,
			"no sound checkpoint header in either pack, and no SIT or NAT block whose checksum holds: nothing to rebuild one from");
		err = -EUCLEAN;
		goto out;
	}
	if (rebuild_cursegs(f, &rb, pk[rb.pack], out, &moved)) {
		fsck_uncorrectable(
			f,
			"no sound checkpoint header in either pack, and no free segment for a log of the rebuilt one");
		err = -EUCLEAN;
		goto out;
	}
	/* one above: nodes fsynced after the lost checkpoint carry its version,
	 * which may be above every node the NAT names (roll-forward) */
	stamp_past_node_logs(f, &rb, cp, blk);
	cp->checkpoint_ver = cpu_to_le64(rb.version + 1);
	/* the overprovision: the header's only if its checksum holds, it
	 * agrees with itself and it is no more than mkfs's (mkfs never set
	 * more; an older one set less, which the repair raises); else mkfs's.
	 * A header whose fields merely agree could shrink the volume to one
	 * segment (tests/images/fsck-y-cp-*-overprovision*) */
	ovp = le32_to_cpu(cp->overprov_segment_count);
	rsvd = le32_to_cpu(cp->rsvd_segment_count);
	ovp_kept =
		rb.sound && rsvd <= ovp && ovp <= qlfs_default_ovp(l->segs_main) &&
		le64_to_cpu(cp->user_block_count) == (u64)(l->segs_main - ovp) * l->bps;
	ovp_from = ovp_kept ? "the header's" : "mkfs's";
	if (!ovp_kept) {
		ovp = qlfs_default_ovp(l->segs_main); /* mkfs's */
		cp->overprov_segment_count = cpu_to_le32(ovp);
		cp->rsvd_segment_count = cpu_to_le32(QLFS_RSVD_SEGS);
		cp->user_block_count = cpu_to_le64((u64)(l->segs_main - ovp) * l->bps);
	}
	cp->valid_node_count = cpu_to_le32(nodes);
	cp->valid_inode_count = cpu_to_le32(inodes);
	cp->ckpt_flags = 0; /* no orphan list */
	cp->cp_pack_start_sum = cpu_to_le32(1);
	cp->cp_pack_total_block_count = cpu_to_le32(1 + NR_CURSEG_TYPE + 1);
	nfn = le32_to_cpu(cp->next_free_nid);
	if (nfn < QLFS_FIRST_FREE_NID || nfn >= l->max_nid)
		cp->next_free_nid = cpu_to_le32(QLFS_FIRST_FREE_NID);
	cp->sit_ver_bitmap_bytesize = cpu_to_le32(qlfs_sit_bitmap_bytes(l));
	cp->nat_ver_bitmap_bytesize = cpu_to_le32(qlfs_nat_bitmap_bytes(l));
	sit_counts(f, &rb, cp);
	valid = le64_to_cpu(cp->valid_block_count);
	if (!ovp_kept && valid > le64_to_cpu(cp->user_block_count)) {
		/* mkfs's leaves fewer user blocks than are valid (an older
		 * mkfs set less aside, the image is full): the mount would
		 * refuse it. The most that leaves them room, if workable */
		u64 need = DIV_ROUND_UP(valid, l->bps);
		u32 fit = need < l->segs_main ? l->segs_main - (u32)need : 0;

		if (qlfs_geometry_workable(l->segs_main, fit)) {
			ovp = fit;
			cp->overprov_segment_count = cpu_to_le32(ovp);
			cp->user_block_count =
				cpu_to_le64((u64)(l->segs_main - ovp) * l->bps);
			ovp_from = "the most that fits";
		}
	}
	memcpy(out + (1 + NR_CURSEG_TYPE) * QLFS_BLKSIZE, out, QLFS_BLKSIZE);
	memcpy(pk[rb.pack], out, (2 + NR_CURSEG_TYPE) * QLFS_BLKSIZE);
	*use = rb.pack;
	*version = le64_to_cpu(cp->checkpoint_ver);
	fsck_say(
		f,
		"%s a checkpoint header (version %llu) from %s: live copy of %u SIT/NAT blocks by content, %u guessed; %u logs on a free segment; %u segments overprovisioned (%s); no orphans, no roll-forward",
		f->o->repair ? "rebuilt" : "-y rebuilds", (unsigned long long)*version,
		!rb.best ? "the SIT and NAT" :
		rb.sound ? "a sound header's fields" :
			   "the SIT and NAT, a bad header's hints",
		rb.by_content, rb.guessed, moved, ovp, ovp_from);
out:
	free_rebuild(&rb);
	qlfs_free_blocks(out, 3);
	qlfs_free_blocks(blk, 0);
	return err;
}

static int check_checkpoint(struct fsck *f)
{
	u32 order = f->l.log_bps; /* a pack is at most one segment */
	u8 *pk[2] = {qlfs_alloc_blocks(order), qlfs_alloc_blocks(order)};
	const char *why[2];
	char geo[160];
	int use, err = 0;

	if (!pk[0] || !pk[1]) {
		err = -ENOMEM;
		goto out;
	}
	for (int p = 0; p < 2; p++)
		why[p] = qlfs_cp_pack_invalid(&f->l, p, pk[p], fsck_read, f->d);
	use = qlfs_cp_newer_pack(pk, why);
	if (use < 0) {
		report(f, 3, "no valid checkpoint pack (pack 0: %s; pack 1: %s)", why[0],
		       why[1]);
		bool torn[2];
		u64 v[2] = {salvage_pack(f, 0, pk[0], &torn[0]),
			    salvage_pack(f, 1, pk[1], &torn[1])};

		if (!v[0] && !v[1]) {
			/* no header left: one made again from the SIT and NAT */
			err = rebuild_pack(f, pk, &use, &v[0]);
			if (err)
				goto out;
		} else {
			use = v[0] && v[1] && torn[0] != torn[1] ? torn[0] : v[1] > v[0];
			fsck_say(f, "checked against pack %d as salvaged (version %llu)",
				 use, (unsigned long long)v[use]);
		}
	}
	f->pack = pk[use];
	pk[use] = NULL;
	f->cp = (void *)f->pack;
	f->r->cp_used = use;
	f->r->cp_ver = le64_to_cpu(f->cp->checkpoint_ver);
	if (qlfs_geometry_unworkable(&f->l, f->cp, geo, sizeof(geo))) {
		report(f, 8, "%s", geo); /* the mount refuses it (super.c) */
		if (f->l.segs_main < QLFS_MIN_WORKING_MAIN_SEGS)
			fsck_uncorrectable(f, "too few main segments to work");
	}
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

/* ---- QL5: SIT; QL4: NAT entries ---- */

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
		fsck_say(f, "cannot read %s blocks at %u: %s", nat ? "NAT" : "SIT", *addr,
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

/* ---- NAT entries lost: found again from the node blocks ---- */

/* Is the root's NAT entry of no use (not in use, or its block not a root
 * inode whose checksum holds)? */
static bool root_entry_lost(struct fsck *f, u8 *blk)
{
	const struct qlfs_node_footer *ft = (const void *)(blk + 4064);
	struct nid_info *n = ni(f, QLFS_ROOT_INO);

	if (n->flags & NI_NAT_BAD)
		return true;
	if (!(n->flags & NI_IN_USE) || n->ino != QLFS_ROOT_INO)
		return true;
	return qlfs_dev_read(f->d, n->addr, blk, 1) ||
	       !qlfs_block_csum_ok(blk, n->addr) ||
	       le32_to_cpu(ft->nid) != QLFS_ROOT_INO ||
	       le32_to_cpu(ft->ino) != QLFS_ROOT_INO;
}

/*
 * NAT entries lost (their NAT block failed its checksum, or the root's
 * entry is of no use: everything hangs from it) are found again where the
 * rest of the metadata agrees on them: a block the SIT marks valid in a
 * node segment, whose summary names the nid and whose footer, checksum
 * sound, says the same nid. A nid found at two such blocks is left lost.
 * What F2FS's fsck does not do; docs/qlfs.md "Repair" (FR2: only what
 * three structures agree on is taken).
 */
static int recover_nat(struct fsck *f)
{
	const struct qlfs_node_footer *ft;
	struct qlfs_summary_block *ssa;
	struct nid_info saved;
	bool root = false, any = false;
	u32 found = 0, twice = 0;
	u8 *blk;
	int err = 0;

	blk = qlfs_alloc_blocks(0);
	ssa = qlfs_alloc_blocks(0);
	if (!blk || !ssa) {
		err = -ENOMEM;
		goto out;
	}
	ft = (const void *)(blk + 4064);
	root = root_entry_lost(f, blk);
	for (u32 nid = QLFS_ROOT_INO; nid < f->l.max_nid && !any; nid++)
		any = ni(f, nid)->flags & NI_NAT_BAD;
	if (!root && !any)
		goto out;
	saved = *ni(f, QLFS_ROOT_INO);
	if (root && !(saved.flags & NI_NAT_BAD)) {
		struct nid_info *n = ni(f, QLFS_ROOT_INO);

		if (n->flags & (NI_IN_USE | NI_NAT_FIX))
			f->nat_in_use--; /* load_nat_entry() counted it; again if found */
		n->flags = (n->flags & ~(NI_IN_USE | NI_NAT_FIX)) | NI_NAT_BAD;
	}
	for (u32 segno = 0; segno < f->l.segs_main; segno++) {
		const struct seg_info *s = seg(f, segno);
		u32 vb = le16_to_cpu(s->se.vblocks), type = vb >> SIT_VBLOCKS_SHIFT;
		const struct qlfs_summary_block *sum = ssa;
		int log = curseg_type(f, segno);

		if (s->bad || !(vb & SIT_VBLOCKS_MASK) || type >= NR_CURSEG_TYPE ||
		    !qlfs_log_is_node(type))
			continue;
		if (log >= 0)
			sum = cp_summary(f, log);
		else if (qlfs_dev_read(f->d, f->l.ssa_blkaddr + segno, ssa, 1) ||
			 !qlfs_block_csum_ok(ssa, f->l.ssa_blkaddr + segno))
			continue;
		if (sum->entry_type != SUM_TYPE_NODE)
			continue;
		for (u32 b = 0; b < f->l.bps; b++) {
			u32 nid = le32_to_cpu(sum->entries[b].nid), ino;
			u32 addr = qlfs_seg_blkaddr(&f->l, segno) + b;
			struct nid_info *n;

			if (!qlfs_test_bit(s->se.valid_map, b) || nid < QLFS_ROOT_INO ||
			    nid >= f->l.max_nid || !(ni(f, nid)->flags & NI_NAT_BAD))
				continue;
			if (qlfs_dev_read(f->d, addr, blk, 1) ||
			    !qlfs_block_csum_ok(blk, addr) || le32_to_cpu(ft->nid) != nid)
				continue;
			ino = le32_to_cpu(ft->ino);
			n = ni(f, nid);
			if (ino < QLFS_ROOT_INO || ino >= f->l.max_nid)
				continue;
			if (n->flags & NI_IN_USE) { /* a second block: neither is sure */
				n->flags |= NI_NAT_FIX;
				twice++;
				continue;
			}
			n->flags |= NI_IN_USE;
			n->ino = ino;
			n->addr = addr;
			n->version = sum->entries[b].version;
			f->nat_in_use++;
			found++;
		}
	}
	for (u32 nid = QLFS_ROOT_INO; nid < f->l.max_nid; nid++) {
		struct nid_info *n = ni(f, nid);

		if (!(n->flags & NI_NAT_BAD))
			continue;
		if (n->flags & NI_NAT_FIX) { /* found twice: lost after all */
			n->flags &= ~(NI_IN_USE | NI_NAT_FIX);
			f->nat_in_use--;
			found--;
		}
		if (n->flags & NI_IN_USE)
			n->flags &= ~NI_NAT_BAD;
	}
	if (root && !(saved.flags & NI_NAT_BAD) &&
	    !(ni(f, QLFS_ROOT_INO)->flags & NI_IN_USE)) {
		*ni(f, QLFS_ROOT_INO) = saved; /* not found: the checks judge it */
		f->nat_in_use += !!(saved.flags & (NI_IN_USE | NI_NAT_FIX));
	} else if (root && !(saved.flags & NI_NAT_BAD)) {
		report(f, 4,
		       "the root's NAT entry names block %u, not the root inode: found again at block %u",
		       saved.addr, ni(f, QLFS_ROOT_INO)->addr);
	}
	if (found || twice)
		fsck_say(f, "%u NAT entries found again from their node blocks%s", found,
			 twice ? " (some named by two blocks: left)" : "");
out:
	qlfs_free_blocks(blk, 0);
	qlfs_free_blocks(ssa, 0);
	return err;
}

/* ---- pass 1: node trees (QL4, QL6, QL10) ---- */

static void claim(struct fsck *f, u32 addr, u8 kind, u32 nid, u16 ofs)
{
	u64 i = addr - f->l.main_blkaddr;
	struct blk_owner *o = ftable_get(&f->owners, i);

	if (!o) {
		fsck_say(f, "out of memory");
		f->r->operational = true;
		return;
	}
	if (o->kind) {
		report(f, 6, "block %u owned twice: by %s of nid %u and by %s of nid %u",
		       addr, o->kind == OWN_NODE ? "node" : "data", o->nid,
		       kind == OWN_NODE ? "node" : "data", nid);
		if (kind == OWN_DATA && o->kind == OWN_DATA) {
			fsck_note_clone(f, nid, ofs, addr);
		} else if (kind == OWN_NODE) {
			/* a node's address is its NAT entry's, checked by its
			 * footer: the data pointer is the forged one (-y: a hole) */
			o->kind = kind;
			o->nid = nid;
			o->ofs = ofs;
		}
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
	if (f->pass2) { /* pass 1 reported an address outside the main area */
		if (in->flags & NI_DIR && fblk < qlfs_dir_blocks(in->depth) &&
		    in_main(f, addr))
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
	f->i_end = max(f->i_end, fblk + 1);
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
	f->i_end = 0;
	walk_inode_tree(f, in);
	n->blocks = f->i_blocks;
	if (!(n->flags & NI_DIR) &&
	    le64_to_cpu(in->i_size) > (u64)QLFS_MAX_FILE_BLOCKS * QLFS_BLKSIZE)
		n->size_fix = 1 + f->i_end; /* QL10, reported by inode_fields_ok() */
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
		if (ino != dir) {
			report(f, 11, "directory %u: \".\" names %u", dir, ino);
			f->verdict = DENT_REDOT;
		}
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
		/* -y: only the stored hash is wrong when the name's own hash
		 * picks this bucket (always so for "." and ".."): rewrite it
		 * (dropping "." or ".." could not be undone) */
		f->verdict = hash % nbuckets == bucket ? DENT_REHASH : DENT_DROP;
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
			fsck_unclaim(f, addr); /* -y: a hole instead (entries lost) */
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
			dirty |= fsck_fix_dentry(f, db, s, n);
		s += n;
	}
	if (dirty && f->o->repair)
		fsck_rewrite_dentry_block(f, addr, db);
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
		err = recover_nat(f);
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
		struct nid_info *root = ni(f, QLFS_ROOT_INO);

		if (!(root->flags & NI_DIR) && !(root->flags & NI_INODE))
			err = fsck_new_root(f); /* its block lost: e2fsck's way */
		if (err)
			return err;
		if (root->flags & NI_DIR)
			err = fsck_repair(f);
		else /* a sound inode of another type: a human should look */
			fsck_uncorrectable(
				f, "the root inode is not a directory: nothing repaired");
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
	if (!r->uncorrectable)
		r->uncorrectable = r2->uncorrectable;
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
		fsck_say(&f, "out of memory");
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
