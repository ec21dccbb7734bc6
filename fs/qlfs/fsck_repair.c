/*
 * fs/qlfs/fsck_repair.c - fsck.qlfs -y: the repair (e2fsck -y's contract,
 * F2FS's fsck -a in spirit), docs/qlfs.md "Repair".
 *
 * Layer: fs. Used by: fs/qlfs/fsck.c (qlfs_fsck() with opts->repair).
 * Provides: fsck_repair() and what the checks call on their way
 * (fsck_internal.h). Invariants FR1..FR3: fs/qlfs/fsck.c's header.
 * Locking: none; one caller owns the device.
 *
 * The checks (fs/qlfs/fsck.c) run first and leave what they learnt: which nodes are
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
 * (made if need be) as "#ino", e2fsck's way. A directory without "." or
 * ".." gets them back in block 0 (a new block 0 if it had to go; names in
 * those slots moved), a wrong ".." names the parent; a log whose current
 * segment holds the other kind of blocks gets a free one, and data
 * pointers into node segments become holes.
 * What it will not do it says (fsck_uncorrectable(), fsck.c).
 * Two things are written in place: a bad superblock copy (from the good
 * one), and the SSA block of a non-current segment whose summary is wrong
 * (the live checkpoint reads it only for blocks that stay, and for those
 * the new summary is the true one).
 */
#include <quire/errno.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/slab.h>
#include <quire/mm.h>
#include "qlfs.h"
#include "fsck_internal.h"

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

void fsck_unclaim(struct fsck *f, u32 addr)
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
bool fsck_fix_dentry(struct fsck *f, struct qlfs_dentry_block *db, u32 slot, u32 n)
{
	struct qlfs_dir_entry *de = &db->dentry[slot];

	if (!f->o->repair)
		return false;
	if (f->verdict == DENT_REDOT) { /* pass 2 walks directory f->ino */
		de->ino = cpu_to_le32(f->ino);
		de->hash_code = cpu_to_le32(qlfs_dentry_hash((const u8 *)".", 1));
		return true;
	}
	if (f->verdict == DENT_RETYPE || f->verdict == DENT_REHASH) {
		u32 len = le16_to_cpu(de->name_len);

		if (f->verdict == DENT_RETYPE)
			de->file_type = ft_of_mode(ni(f, le32_to_cpu(de->ino))->mode);
		/* checked by check_dentry(): 1..255 bytes, inside the block */
		de->hash_code = cpu_to_le32(qlfs_dentry_hash(db->filename[slot], len));
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
			f->rfull = true;
			fsck_uncorrectable(f, "no free segment left for the repair");
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
		fsck_say(f, "cannot write block %u: %s", addr, errname(err));
		f->r->operational = true;
	}
	f->r->repaired++;
	return err;
}

/* Directory block @addr changed (pass 2, lost+found): write it elsewhere;
 * its parent's pointer follows (keep_data()). 0, or -errno (not moved). */
int fsck_rewrite_dentry_block(struct fsck *f, u32 addr, struct qlfs_dentry_block *db)
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
	fsck_unclaim(f, addr);
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

void fsck_note_clone(struct fsck *f, u32 nid, u16 ofs, u32 addr)
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

/* The data pointer at @ofs of node @nid, as the repair keeps it. A new
 * block (a copy, or one made in a hole) may itself have been rewritten
 * since (a second name added to it): moved_to() of it too. */
static u32 keep_data(struct fsck *f, u32 nid, u16 ofs, u32 addr)
{
	const struct blk_owner *o;

	if (addr == NULL_ADDR) /* a block the repair made in a hole? */
		return moved_to(f, clone_of(f, nid, ofs, NULL_ADDR));
	addr = moved_to(f, addr);
	o = owner_at(f, addr);
	if (o && o->kind == OWN_DATA && o->nid == nid && o->ofs == ofs)
		return addr;
	/* a copy, a new block, or dropped */
	return moved_to(f, clone_of(f, nid, ofs, addr));
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
	return ofs < NODE_OFS_DIND ||
	       (ofs - NODE_OFS_DIND - 1) % ((u64)NIDS_PER_BLOCK + 1);
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
			fsck_say(f, "inode %u: freed (%s)", nid,
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

/* Block @k of directory @dir is a hole (@orig: the pointer there, 0 or a
 * block the repair dropped): @db becomes that block, at a new address
 * (fix_node() points the inode at it). 0, or -errno. */
static int new_dentry_block(struct fsck *f, u32 dir, u32 k, u32 orig,
			    struct qlfs_dentry_block *db)
{
	u32 to = repair_alloc(f, false, dir, k);

	if (!to || repair_write(f, to, db))
		return -ENOSPC;
	for (u32 i = 0; i < f->nr_clones; i++) { /* a copy to make: this instead */
		struct qlfs_clone *c = &f->clones[i];

		if (c->nid == dir && c->ofs == k && c->from == orig && !c->to) {
			c->to = to;
			return 0;
		}
	}
	return note_clone_to(f, dir, k, orig, to) ? 0 : -ENOMEM;
}

/* Put @name in block @k of directory @dir (@in: its inode block): into
 * the block as the repair has it now, rewritten elsewhere, or a new block
 * in a hole. 0; -ENOSPC if that block is full; -errno. */
static int add_entry_at(struct fsck *f, u32 dir, const struct qlfs_inode *in, u32 k,
			const char *name, u32 ino, u8 ft, u8 *blk)
{
	struct qlfs_dentry_block *db = (void *)blk;
	u32 len = strlen(name), orig = le32_to_cpu(in->i_addr[k]);
	u32 addr = keep_data(f, dir, k, orig);
	int slot;

	memset(blk, 0, QLFS_BLKSIZE);
	if (addr && qlfs_dev_read(f->d, addr, blk, 1))
		return -EIO;
	slot = free_slots(db, DIV_ROUND_UP(len, QLFS_SLOT_LEN));
	if (slot < 0)
		return -ENOSPC;
	put_entry(db, slot, name, qlfs_dentry_hash((const u8 *)name, len), ino, ft);
	if (addr)
		return fsck_rewrite_dentry_block(f, addr, db);
	return new_dentry_block(f, dir, k, orig, db);
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
	/* Without the uuid salt of qlfs_node_cp_ver(), as mkfs's footers:
	 * only roll-forward asks for the salt, and it takes a node whose
	 * cp_ver is the live pack's version salted; this block belongs to
	 * the repair's pack (version + 1), so it must not match, and does
	 * not either way. fsck reads only the low half (node_stamp()). */
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
	fsck_say(f, "repaired: created /lost+found (inode %u)", nid);
	return nid;
}

/*
 * The root inode's block is lost (unreadable, checksum or fields bad, or
 * its NAT entry of no use and not found again): a new empty root, mkfs's
 * (mode 0755, "." and ".." naming itself), at new addresses. Everything it
 * named is then named by nothing: decide_inodes() frees what holds
 * nothing, and link_lost() puts the rest in a new /lost+found as "#INO"
 * (e2fsck's answer to a lost root). Lost: the root's names (so the names
 * of the top-level files and directories; what is below a directory keeps
 * its names), its mode, owner and times. 0, or -errno (nothing written
 * that the live checkpoint uses: FR1).
 */
int fsck_new_root(struct fsck *f)
{
	u8 *blk = qlfs_alloc_blocks(0);
	struct qlfs_dentry_block *db = (void *)blk;
	struct qlfs_inode *in = (void *)blk;
	struct nid_info *n = ni(f, QLFS_ROOT_INO);
	u32 daddr, naddr;
	int err = -ENOSPC;

	if (!blk)
		return -ENOMEM;
	if (n->flags & NI_GOOD) /* a sound node block whose fields are not */
		fsck_unclaim(f, n->addr);
	memset(blk, 0, QLFS_BLKSIZE);
	put_entry(db, 0, ".", qlfs_dentry_hash((const u8 *)".", 1), QLFS_ROOT_INO,
		  QLFS_FT_DIR);
	put_entry(db, 1, "..", qlfs_dentry_hash((const u8 *)"..", 2), QLFS_ROOT_INO,
		  QLFS_FT_DIR);
	daddr = repair_alloc(f, false, QLFS_ROOT_INO, 0);
	if (!daddr || repair_write(f, daddr, blk))
		goto out;
	memset(blk, 0, QLFS_BLKSIZE);
	in->i_mode = cpu_to_le16(QLFS_S_IFDIR | 0755);
	in->i_links = cpu_to_le32(2);
	in->i_size = cpu_to_le64(qlfs_dir_blocks(1) * QLFS_BLKSIZE);
	in->i_blocks = cpu_to_le64(2);
	in->i_current_depth = cpu_to_le32(1);
	in->i_pino = cpu_to_le32(QLFS_ROOT_INO);
	in->i_addr[0] = cpu_to_le32(daddr);
	in->footer.nid = in->footer.ino = cpu_to_le32(QLFS_ROOT_INO);
	in->footer.cp_ver = f->cp->checkpoint_ver; /* unsalted: make_lost_found() */
	naddr = repair_alloc(f, true, QLFS_ROOT_INO, 0);
	if (!naddr || repair_write(f, naddr, blk))
		goto out;
	n->flags = NI_IN_USE | NI_INODE | NI_DIR | NI_GOOD | NI_REACHED | NI_HAS_DOT |
		   NI_HAS_DOTDOT;
	n->ino = QLFS_ROOT_INO;
	n->addr = naddr;
	n->mode = QLFS_S_IFDIR | 0755;
	n->depth = 1;
	n->parent = n->dotdot = QLFS_ROOT_INO;
	n->links = 2;
	n->refs = n->subdirs = n->entries = 0;
	n->blocks = 2;
	f->lpf = 0; /* the old root's /lost+found, if any, is named by nothing now */
	fsck_say(
		f,
		"repaired: the root directory made again, empty (its entries go to /lost+found)");
	err = 0;
out:
	qlfs_free_blocks(blk, 0);
	return err;
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
	return fsck_rewrite_dentry_block(f, addr, db);
}

/* A name taken out of slots 0 and 1 of a directory's block 0 to make room
 * for "." and "..", to be put back elsewhere. */
struct taken_name {
	char name[QLFS_NAME_LEN + 1];
	u32 ino;
	u8 ft;
};

/* Take out of @db the names that sit in slot 0 (if @dot) or slot 1 (if
 * @dotdot) (a mount wrote there after "." or ".." was lost); at most two.
 * Pass 2 kept them, so they are sound. */
static u32 take_out_names(struct qlfs_dentry_block *db, bool dot, bool dotdot,
			  struct taken_name out[2])
{
	u32 nr = 0;

	for (u32 s = 0; s < 2;) {
		struct qlfs_dir_entry *de = &db->dentry[s];
		u32 len = le16_to_cpu(de->name_len), n = DIV_ROUND_UP(len, QLFS_SLOT_LEN);

		if (!qlfs_test_bit(db->dentry_bitmap, s) || !n) {
			s++;
			continue;
		}
		if ((dot && s == 0) || (dotdot && s + n > 1)) {
			memcpy(out[nr].name, db->filename[s],
			       min(len, (u32)QLFS_NAME_LEN));
			out[nr].name[min(len, (u32)QLFS_NAME_LEN)] = 0;
			out[nr].ino = le32_to_cpu(de->ino);
			out[nr++].ft = de->file_type;
			for (u32 k = s; k < s + n && k < NR_DENTRY_IN_BLOCK; k++)
				db->dentry_bitmap[k / 8] &= ~(1u << (k % 8));
		}
		s += n;
	}
	return nr;
}

/* Put name @t, taken out of directory @dir's block 0, back in @dir; if
 * there is no room, its inode loses the name (lost+found, if it was its
 * only one: link_lost() runs next). */
static void put_back_name(struct fsck *f, u32 dir, const struct taken_name *t)
{
	struct nid_info *n = ni(f, t->ino);

	if (!add_entry(f, dir, t->name, t->ino, t->ft)) {
		fsck_say(f,
			 "directory %u: \"%s\" moved to make room for \".\" and \"..\"",
			 dir, t->name);
		return;
	}
	fsck_say(f, "directory %u: no room for \"%s\": its name is lost", dir, t->name);
	ni(f, dir)->entries--;
	if (n->flags & NI_DIR) {
		ni(f, dir)->subdirs--;
		n->flags &= ~NI_PARENT;
		n->flags |= NI_LOST;
	} else if (!--n->refs) {
		n->flags |= NI_LOST;
	}
}

/* QL11: a kept directory without "." or ".." (removed by pass 2 as
 * malformed, or never there) gets them back in block 0, slots 0 and 1
 * (a new block 0 if it has none; names a mount put in those slots since
 * are moved elsewhere in the directory): "." names itself, ".." its parent
 * (the root for now when it has none: link_lost() then points it at
 * /lost+found). Without them the second check would find the same problem
 * again. */
static void restore_dots(struct fsck *f)
{
	u8 *blk = qlfs_alloc_blocks(0);
	struct qlfs_dentry_block *db = (void *)blk;

	if (!blk)
		return;
	for (u32 dir = QLFS_ROOT_INO; dir < f->l.max_nid; dir++) {
		struct nid_info *n = ni(f, dir);
		u32 parent = dir == QLFS_ROOT_INO || !(n->flags & NI_PARENT) ?
				     QLFS_ROOT_INO :
				     n->parent;
		bool dot = !(n->flags & NI_HAS_DOT), dotdot = !(n->flags & NI_HAS_DOTDOT);
		struct taken_name out[2];
		u32 addr, orig, nr_out;

		if (!(n->flags & NI_DIR) || !inode_kept(f, dir) || (!dot && !dotdot))
			continue;
		if (qlfs_dev_read(f->d, n->addr, blk, 1))
			continue;
		orig = le32_to_cpu(((struct qlfs_inode *)blk)->i_addr[0]);
		addr = keep_data(f, dir, 0, orig);
		memset(blk, 0, QLFS_BLKSIZE); /* no block 0: a new one */
		if (addr && qlfs_dev_read(f->d, addr, blk, 1))
			continue;
		nr_out = take_out_names(db, dot, dotdot, out);
		if (dot)
			put_entry(db, 0, ".", qlfs_dentry_hash((const u8 *)".", 1), dir,
				  QLFS_FT_DIR);
		if (dotdot)
			put_entry(db, 1, "..", qlfs_dentry_hash((const u8 *)"..", 2),
				  parent, QLFS_FT_DIR);
		if (addr ? fsck_rewrite_dentry_block(f, addr, db) :
			   new_dentry_block(f, dir, 0, orig, db))
			continue;
		n->flags |= NI_HAS_DOT | NI_HAS_DOTDOT;
		if (dotdot)
			n->dotdot = parent;
		fsck_say(f, "repaired: directory %u: \"%s\" restored", dir,
			 dot && dotdot ? ". and .." :
			 dot	       ? "." :
					 "..");
		for (u32 i = 0; i < nr_out; i++)
			put_back_name(f, dir, &out[i]);
	}
	qlfs_free_blocks(blk, 0);
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
			fsck_say(
				f,
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
		fsck_say(f, "repaired: inode %u linked into /lost+found as %s", nid,
			 name);
	}
	qlfs_free_blocks(blk, 0);
}

/* Does segment @segno hold a kept block of a node (@node) or of data? */
static bool seg_holds(struct fsck *f, u32 segno, bool node)
{
	u64 first = (u64)segno * f->l.bps;

	for (u32 b = 0; b < f->l.bps; b++) {
		const struct blk_owner *o = ftable_peek(&f->owners, first + b);

		if (block_kept(f, o) && (o->kind == OWN_NODE) == node)
			return true;
	}
	return false;
}

/* QL14/QL7: a log whose current segment holds kept blocks of the other
 * kind (its SIT type says so too: the pack's segment number is what is
 * wrong) gets a free segment as its current one; the old one keeps its
 * blocks and type, and its SSA block is written (repair_ssa()). */
static void move_cursegs(struct fsck *f)
{
	for (int t = 0; t < NR_CURSEG_TYPE; t++) {
		struct seg_info *s = seg(f, f->cur_seg[t]);
		u32 type = le16_to_cpu(s->se.vblocks) >> SIT_VBLOCKS_SHIFT, segno;

		if (s->bad || type == (u32)t || type >= NR_CURSEG_TYPE ||
		    qlfs_log_is_node(type) == qlfs_log_is_node(t) ||
		    !seg_holds(f, f->cur_seg[t], !qlfs_log_is_node(t)))
			continue;
		for (segno = 0; segno < f->l.segs_main; segno++)
			if (seg_reusable(f, segno))
				break;
		if (segno == f->l.segs_main) {
			fsck_uncorrectable(f, "no free segment left for the repair");
			continue;
		}
		fsck_say(
			f,
			"repaired: log %d's current segment %u holds %s blocks: segment %u instead",
			t, f->cur_seg[t], qlfs_log_is_node(t) ? "data" : "node", segno);
		seg(f, segno)->repair_type = 1 + t; /* not taken by repair_alloc() */
		f->cur_seg[t] = segno;
		f->cur_off[t] = 0;
		f->cur_moved |= 1u << t;
	}
}

/* QL7: a data pointer into a node log's current segment, or into a node
 * segment that holds kept nodes, names no block of its file (data never
 * lives there): dropped, a hole. */
static void drop_misplaced_data(struct fsck *f)
{
	for (u32 segno = 0; segno < f->l.segs_main; segno++) {
		const struct seg_info *s = seg(f, segno);
		u32 type = le16_to_cpu(s->se.vblocks) >> SIT_VBLOCKS_SHIFT;
		int log = curseg_type(f, segno);
		u64 first = (u64)segno * f->l.bps;
		bool node_seg = log >= 0 ? qlfs_log_is_node(log) :
					   !s->bad && type < NR_CURSEG_TYPE &&
						   qlfs_log_is_node(type) &&
						   seg_holds(f, segno, true);

		if (!node_seg || s->repair_type)
			continue;
		for (u32 b = 0; b < f->l.bps; b++) {
			struct blk_owner *o = ftable_peek(&f->owners, first + b);

			if (!block_kept(f, o) || o->kind != OWN_DATA)
				continue;
			fsck_say(f,
				 "block %u: data of nid %u in node segment %u: dropped",
				 f->l.main_blkaddr + (u32)(first + b), o->nid, segno);
			o->kind = 0;
		}
	}
}

/* QL11: a kept directory whose ".." names another directory than the one
 * naming it (the root: itself) gets it pointed at its parent. */
static void fix_dotdots(struct fsck *f)
{
	u8 *blk = qlfs_alloc_blocks(0);

	if (!blk)
		return;
	for (u32 dir = QLFS_ROOT_INO; dir < f->l.max_nid; dir++) {
		struct nid_info *n = ni(f, dir);
		u32 parent = dir == QLFS_ROOT_INO ? QLFS_ROOT_INO : n->parent;

		if (!(n->flags & NI_DIR) || !inode_kept(f, dir) ||
		    !(n->flags & NI_HAS_DOTDOT) || n->dotdot == parent ||
		    (dir != QLFS_ROOT_INO && !(n->flags & NI_PARENT)))
			continue;
		if (!set_dotdot(f, dir, parent, blk))
			fsck_say(f, "repaired: directory %u: \"..\" names %u", dir,
				 parent);
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
		if (!dir && n->size_fix) {
			/* QL10: a size past the largest file becomes the end
			 * of the last block its tree maps (e2fsck's answer to
			 * a bad i_size); 0 if it maps none */
			in->i_size = cpu_to_le64((u64)(n->size_fix - 1) * QLFS_BLKSIZE);
			fsck_say(f,
				 "inode %u: size set to %llu (the end of its last block)",
				 nid, (unsigned long long)le64_to_cpu(in->i_size));
		}
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
		fsck_unclaim(f, n->addr);
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
			ne->version =
				ni(f, nid)->version; /* found again: the summary's */
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
	if (!qlfs_geometry_workable(l->segs_main, ovp) &&
	    l->segs_main >= QLFS_MIN_WORKING_MAIN_SEGS) {
		/* QL8, the geometry rule: an older mkfs set too little aside;
		 * mkfs's overprovision today, if the kept blocks fit beside it */
		u32 want = qlfs_default_ovp(l->segs_main);
		u64 user = (u64)(l->segs_main - want) * l->bps;

		if (p->valid_blocks <= user) {
			cp->overprov_segment_count = cpu_to_le32(want);
			cp->rsvd_segment_count = cpu_to_le32(QLFS_RSVD_SEGS);
			cp->user_block_count = cpu_to_le64(user);
			fsck_say(f, "repaired: %u segments overprovisioned (were %u)",
				 want, ovp);
		} else {
			fsck_uncorrectable(
				f,
				"too full to set aside the overprovisioned segments it needs");
		}
	}
	cp->valid_block_count = cpu_to_le64(p->valid_blocks);
	cp->valid_node_count = cpu_to_le32(p->nodes);
	cp->valid_inode_count = cpu_to_le32(p->inodes);
	cp->free_segment_count = cpu_to_le32(p->free_segs);
	for (int t = 0; t < 3; t++) {
		cp->cur_data_segno[t] = cpu_to_le32(f->cur_seg[t]);
		cp->cur_node_segno[t] = cpu_to_le32(f->cur_seg[3 + t]);
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

		if (f->cur_moved & (1u << t)) { /* a free segment: no entries */
			memset(sum, 0, QLFS_BLKSIZE);
			sum->entry_type =
				qlfs_log_is_node(t) ? SUM_TYPE_NODE : SUM_TYPE_DATA;
		} else {
			memcpy(sum, cp_summary(f, t), QLFS_BLKSIZE);
		}
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
		fsck_say(f, "cannot write the new checkpoint pack: %s", errname(err));
		f->r->operational = true;
		return err;
	}
	f->r->repaired += 8;
	fsck_say(f, "repaired: checkpoint %llu written to pack %d",
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
	if (!err && f->sb_rebuilt) { /* then the other, after a flush */
		memcpy(blk, f->sb, QLFS_BLKSIZE);
		err = repair_write(f, !copy, blk);
		if (!err)
			err = qlfs_dev_flush(f->d);
		if (!err)
			fsck_say(f, "repaired: both superblock copies written again");
	} else if (!err) {
		fsck_say(f, "repaired: superblock copy %d rewritten from copy %d", copy,
			 f->r->sb_used);
	}
	qlfs_free_blocks(blk, 0);
	return err;
}

/* Everything after the checks, in an order a crash can stop anywhere:
 * new blocks, SSA, shadow SIT/NAT, then the pack that makes them live. */
int fsck_repair(struct fsck *f)
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
	restore_dots(f);
	link_lost(f);
	fix_dotdots(f);
	err = make_clones(f, two);
	move_cursegs(f);
	drop_misplaced_data(f);
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
