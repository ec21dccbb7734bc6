/*
 * arch/host/qlfs_mutate.c - the qlfs image mutator (qlfs_mutate.h).
 *
 * Layer: arch/host (plain C on an image in host memory). Used by: suite
 * qlfs_fuzz (arch/host/qlfs_fuzz_test.c) and the libFuzzer target.
 * Provides: qm_index(), qm_apply(), qm_random_program().
 *
 * Each op picks its block from one list of the index (QZ2), its field
 * from a table of the on-disk struct's fields (include/quire/qlfs_fs.h)
 * and its value from a table of values that break rules: 0 and ~0, the
 * ends of the device, of the main area and of the nid space, the
 * metadata areas' first blocks, the block's own address or nid, another
 * inode's nid, the old value plus or minus one. Every index is taken
 * modulo the list it picks from (QZ1).
 *
 * Locking: none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qlfs_mutate.h"

const char *const qm_op_names[QM_NR_OPS] = {
	"flip", "zero", "swap",	 "word", "sb",	 "cp",	   "sit",
	"nat",	"sum",	"inode", "node", "dent", "orphan",
};

static const char *const kind_names[QM_NR_KINDS] = {
	"sb",  "cp",	"orphan", "cpsum",     "sit",  "nat",
	"ssa", "inode", "dnode",  "inode-ind", "dent", "data",
};

static uint8_t *blk_at(uint8_t *img, uint32_t addr)
{
	return img + (size_t)addr * QLFS_BLKSIZE;
}

static bool csum_ok(const uint8_t *img, uint32_t addr)
{
	return qlfs_block_csum_ok(img + (size_t)addr * QLFS_BLKSIZE, addr);
}

static bool all_zero(const uint8_t *b)
{
	for (size_t i = 0; i < QLFS_BLKSIZE; i++)
		if (b[i])
			return false;
	return true;
}

static int add(struct qm_index *x, enum qm_kind k, uint32_t addr, uint32_t *cap)
{
	if (x->nr[k] == cap[k]) {
		uint32_t n = cap[k] ? cap[k] * 2 : 64;
		uint32_t *p = realloc(x->list[k], n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		x->list[k] = p;
		cap[k] = n;
	}
	x->list[k][x->nr[k]++] = addr;
	return 0;
}

static enum qm_kind node_kind(const struct qlfs_node_footer *f)
{
	uint32_t ofs = le32_to_cpu(f->flag) >> OFFSET_BIT_SHIFT;

	if (le32_to_cpu(f->nid) == le32_to_cpu(f->ino))
		return QM_INODE;
	if (ofs == NODE_OFS_IND1 || ofs == NODE_OFS_IND2 || ofs == NODE_OFS_DIND)
		return QM_INDNODE;
	return QM_DNODE;
}

static int index_packs(struct qm_index *x, const uint8_t *img, uint32_t *cap)
{
	const struct qlfs_layout *l = &x->l;
	int err = 0;

	for (int p = 0; p < 2 && !err; p++) {
		uint32_t base = l->cp_blkaddr + p * l->bps, total, start;
		const struct qlfs_checkpoint *cp =
			(const void *)blk_at((uint8_t *)img, base);

		if (!csum_ok(img, base))
			continue;
		if (le64_to_cpu(cp->checkpoint_ver) > x->cp_ver)
			x->cp_ver = le64_to_cpu(cp->checkpoint_ver);
		total = le32_to_cpu(cp->cp_pack_total_block_count);
		start = le32_to_cpu(cp->cp_pack_start_sum);
		if (total < 2 || total > l->bps || start < 1 || start >= total)
			continue;
		err = add(x, QM_CP, base, cap) ?: add(x, QM_CP, base + total - 1, cap);
		for (uint32_t b = 1; b < total - 1 && !err; b++)
			err = add(x, b < start ? QM_ORPHAN : QM_CPSUM, base + b, cap);
	}
	return err;
}

int qm_index(struct qm_index *x, const uint8_t *img, uint64_t nr_blocks)
{
	const struct qlfs_layout *l = &x->l;
	uint32_t cap[QM_NR_KINDS] = {0};
	unsigned int ql;
	int err = 0;

	memset(x, 0, sizeof(*x));
	x->nr_blocks = nr_blocks;
	if (nr_blocks < 2 || qlfs_sb_invalid((const void *)img, 0, nr_blocks, &x->l, &ql))
		return -EINVAL;
	for (uint32_t a = 0; a < 2 && !err; a++)
		if (csum_ok(img, a))
			err = add(x, QM_SB, a, cap);
	err = err ?: index_packs(x, img, cap);
	for (int c = 0; c < 2 && !err; c++) {
		for (uint32_t i = 0; i < l->sit_blocks && !err; i++)
			if (csum_ok(img, qlfs_sit_blkaddr(l, i, c)))
				err = add(x, QM_SIT, qlfs_sit_blkaddr(l, i, c), cap);
		for (uint32_t i = 0; i < l->nat_blocks && !err; i++)
			if (csum_ok(img, qlfs_nat_blkaddr(l, i, c)))
				err = add(x, QM_NAT, qlfs_nat_blkaddr(l, i, c), cap);
	}
	for (uint32_t s = 0; s < l->segs_main && !err; s++)
		if (csum_ok(img, l->ssa_blkaddr + s))
			err = add(x, QM_SSA, l->ssa_blkaddr + s, cap);
	for (uint64_t a = l->main_blkaddr; a < l->block_count && !err; a++) {
		const uint8_t *b = blk_at((uint8_t *)img, a);
		const struct qlfs_node_footer *f = (const void *)(b + 4064);
		uint32_t nid = le32_to_cpu(f->nid);

		if (csum_ok(img, a) && nid && nid < l->max_nid && le32_to_cpu(f->ino))
			err = add(x, node_kind(f), a, cap);
		else if (csum_ok(img, a))
			err = add(x, QM_DENT, a, cap);
		else if (!all_zero(b))
			err = add(x, QM_DATA, a, cap);
	}
	if (err)
		qm_index_free(x);
	return err;
}

void qm_index_free(struct qm_index *x)
{
	for (int k = 0; k < QM_NR_KINDS; k++)
		free(x->list[k]);
	memset(x, 0, sizeof(*x));
}

/* ---- picking ---- */

/* Block @sel of list @k, or of the next non-empty list; 0 when none. */
static bool pick(const struct qm_index *x, int k, uint32_t sel, uint32_t *addr, int *kind)
{
	for (int i = 0; i < QM_NR_KINDS; i++) {
		int kk = (k + i) % QM_NR_KINDS;

		if (x->nr[kk]) {
			*addr = x->list[kk][sel % x->nr[kk]];
			*kind = kk;
			return true;
		}
	}
	return false;
}

/* A block of any kind (for flips, zeros and swaps): the kind from the low
 * bits of @sel, the block from the rest. */
static bool pick_any(const struct qm_index *x, uint32_t sel, uint32_t *addr, int *kind)
{
	return pick(x, sel % QM_NR_KINDS, sel / QM_NR_KINDS, addr, kind);
}

/* The nid of an inode of the base, by @sel (for values). */
static uint32_t some_inode_nid(const struct qm_index *x, const uint8_t *img, uint32_t sel)
{
	const struct qlfs_node_footer *f;

	if (!x->nr[QM_INODE])
		return QLFS_ROOT_INO;
	f = (const void *)(img +
			   (size_t)x->list[QM_INODE][sel % x->nr[QM_INODE]] *
				   QLFS_BLKSIZE +
			   4064);
	return le32_to_cpu(f->nid);
}

/*
 * The value selector @val for a field now holding @old in block @addr
 * (whose own nid is @nid): a value that breaks a rule. 64 bits; the
 * caller stores as many as the field holds.
 */
static uint64_t pick_value(const struct qm_index *x, const uint8_t *img, uint32_t addr,
			   uint32_t nid, uint64_t old, uint16_t val)
{
	const struct qlfs_layout *l = &x->l;
	uint32_t r = val >> 5;

	switch (val % 32) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return old + 1;
	case 3:
		return old - 1;
	case 4:
		return ~0ULL;
	case 5:
		return 0xffffffffu;
	case 6:
		return 0x7fffffffu;
	case 7:
		return 0x80000000u;
	case 8:
		return x->nr_blocks;
	case 9:
		return x->nr_blocks - 1;
	case 10:
		return l->main_blkaddr;
	case 11:
		return l->main_blkaddr - 1;
	case 12:
		return l->cp_blkaddr + r % 2 * l->bps;
	case 13:
		return l->nat_blkaddr + r % (l->nat_blocks + 1);
	case 14:
		return l->sit_blkaddr;
	case 15:
		return l->ssa_blkaddr + r % l->segs_main;
	case 16:
		return l->max_nid;
	case 17:
		return l->max_nid - 1;
	case 18:
		return l->segs_main;
	case 19:
		return l->segs_main - 1;
	case 20:
		return l->bps;
	case 21:
		return addr;
	case 22:
		return nid;
	case 23:
		return some_inode_nid(x, img, r);
	case 24:
		return l->main_blkaddr + r % (l->segs_main * l->bps);
	case 25:
		return x->nr[QM_INODE] ? x->list[QM_INODE][r % x->nr[QM_INODE]] : addr;
	case 26:
		return x->nr[QM_DNODE] ? x->list[QM_DNODE][r % x->nr[QM_DNODE]] : addr;
	case 27:
		return 1ULL << 63;
	case 28:
		return 1ULL << (32 + r % 31);
	case 29:
		return old ^ (1ULL << (r % 32));
	case 30:
		return old << 1;
	default:
		return r;
	}
}

static uint64_t get_field(const uint8_t *p, int width)
{
	uint64_t v = 0;

	memcpy(&v, p, width); /* little-endian host (QLFS_SWAB) */
	return le64_to_cpu(v);
}

static void set_field(uint8_t *p, int width, uint64_t v)
{
	v = cpu_to_le64(v);
	memcpy(p, &v, width);
}

static bool has_csum(int kind)
{
	return kind != QM_DATA;
}

static void seal(uint8_t *img, uint32_t addr, int kind, const struct qm_op *op)
{
	if (has_csum(kind) && !(op->flags & QM_FLAG_NOSEAL))
		qlfs_block_seal(blk_at(img, addr), addr);
}

struct field {
	uint16_t off;
	uint8_t width;
};

/* Set field @f of block @addr (own nid @nid) by @val; returns the value. */
static uint64_t edit(const struct qm_index *x, uint8_t *img, uint32_t addr, uint32_t nid,
		     struct field f, uint16_t val)
{
	uint8_t *p = blk_at(img, addr) + f.off;
	uint64_t v = pick_value(x, img, addr, nid, get_field(p, f.width), val);

	set_field(p, f.width, v);
	return v;
}

/* ---- the ops ---- */

#define F(s, m)                                                             \
	{                                                                   \
		__builtin_offsetof(struct s, m), sizeof(((struct s *)0)->m) \
	}

static const struct field sb_fields[] = {
	F(qlfs_super_block, magic),
	F(qlfs_super_block, major_ver),
	F(qlfs_super_block, minor_ver),
	F(qlfs_super_block, log_blocksize),
	F(qlfs_super_block, log_blocks_per_seg),
	F(qlfs_super_block, block_count),
	F(qlfs_super_block, segment_count),
	F(qlfs_super_block, segment_count_ckpt),
	F(qlfs_super_block, segment_count_sit),
	F(qlfs_super_block, segment_count_nat),
	F(qlfs_super_block, segment_count_ssa),
	F(qlfs_super_block, segment_count_main),
	F(qlfs_super_block, segment0_blkaddr),
	F(qlfs_super_block, cp_blkaddr),
	F(qlfs_super_block, sit_blkaddr),
	F(qlfs_super_block, nat_blkaddr),
	F(qlfs_super_block, ssa_blkaddr),
	F(qlfs_super_block, main_blkaddr),
	F(qlfs_super_block, sit_blocks),
	F(qlfs_super_block, nat_blocks),
	F(qlfs_super_block, max_nid),
	F(qlfs_super_block, root_ino),
	F(qlfs_super_block, node_ino),
	F(qlfs_super_block, meta_ino),
	F(qlfs_super_block, feature),
	{112, 4} /* label bytes */,
};

static const struct field cp_fields[] = {
	F(qlfs_checkpoint, checkpoint_ver),
	F(qlfs_checkpoint, user_block_count),
	F(qlfs_checkpoint, valid_block_count),
	F(qlfs_checkpoint, rsvd_segment_count),
	F(qlfs_checkpoint, overprov_segment_count),
	F(qlfs_checkpoint, free_segment_count),
	{36, 4},
	{40, 4},
	{44, 4}, /* cur_node_segno */
	{48, 4},
	{52, 4},
	{56, 4}, /* cur_data_segno */
	{60, 2},
	{62, 2},
	{64, 2}, /* cur_node_blkoff */
	{66, 2},
	{68, 2},
	{70, 2}, /* cur_data_blkoff */
	F(qlfs_checkpoint, ckpt_flags),
	F(qlfs_checkpoint, cp_pack_total_block_count),
	F(qlfs_checkpoint, cp_pack_start_sum),
	F(qlfs_checkpoint, valid_node_count),
	F(qlfs_checkpoint, valid_inode_count),
	F(qlfs_checkpoint, next_free_nid),
	F(qlfs_checkpoint, sit_ver_bitmap_bytesize),
	F(qlfs_checkpoint, nat_ver_bitmap_bytesize),
	F(qlfs_checkpoint, elapsed_time),
	{128, 1},
	{129, 1},
	{130, 1}, /* version bitmap bytes */
};

static const struct field inode_fields[] = {
	F(qlfs_inode, i_mode),
	F(qlfs_inode, i_advise),
	F(qlfs_inode, i_inline),
	F(qlfs_inode, i_links),
	F(qlfs_inode, i_size),
	F(qlfs_inode, i_blocks),
	F(qlfs_inode, i_current_depth),
	F(qlfs_inode, i_flags),
	F(qlfs_inode, i_pino),
	F(qlfs_inode, i_namelen),
	F(qlfs_inode, i_generation),
	{360, 4}, /* i_addr[0] */
	{364, 4},
	{368, 4},
	{4044, 4}, /* i_nid[] */
	{4048, 4},
	{4052, 4},
	{4056, 4},
	{4060, 4},
};

static const struct field footer_fields[] = {
	{4064, 4}, /* nid */
	{4068, 4}, /* ino */
	{4072, 4}, /* flag: marks, node offset */
	{4076, 4}, /* next_blkaddr */
	{4080, 8}, /* cp_ver */
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* The i_mode values of every file type, and a bad one. */
static const uint16_t modes[] = {
	QLFS_S_IFREG | 0644,
	QLFS_S_IFDIR | 0755,
	QLFS_S_IFLNK | 0777,
	QLFS_S_IFCHR | 0600,
	QLFS_S_IFIFO | 0600,
	QLFS_S_IFSOCK | 0600,
	QLFS_S_IFBLK | 0600,
	0170000,
	0,
};

static int op_flip(const struct qm_index *x, uint8_t *img, const struct qm_op *op,
		   char *d, size_t n)
{
	uint32_t addr;
	int kind, bits = 1 + op->val % 8;

	if (!pick_any(x, op->blk, &addr, &kind))
		return 0;
	for (int k = 0; k < bits; k++) {
		uint32_t bit = (op->off * 2654435761u + k * 40503u + op->val) %
			       (QLFS_BLKSIZE * 8);

		if (bit >= QLFS_CSUM_OFFSET * 8 && has_csum(kind))
			bit %= QLFS_CSUM_OFFSET * 8;
		blk_at(img, addr)[bit / 8] ^= 1u << (bit % 8);
	}
	seal(img, addr, kind, op);
	return snprintf(d, n, "flip %d bits of %s %u", bits, kind_names[kind], addr);
}

static int op_zero(const struct qm_index *x, uint8_t *img, const struct qm_op *op,
		   char *d, size_t n)
{
	uint32_t addr;
	int kind;

	if (!pick_any(x, op->blk, &addr, &kind))
		return 0;
	memset(blk_at(img, addr), 0, QLFS_BLKSIZE);
	seal(img, addr, kind, op);
	return snprintf(d, n, "zero %s %u", kind_names[kind], addr);
}

static int op_swap(const struct qm_index *x, uint8_t *img, const struct qm_op *op,
		   char *d, size_t n)
{
	uint8_t tmp[QLFS_BLKSIZE];
	uint32_t a, b;
	int ka, kb;

	if (!pick_any(x, op->blk, &a, &ka) || !pick_any(x, op->off, &b, &kb) || a == b)
		return 0;
	memcpy(tmp, blk_at(img, a), QLFS_BLKSIZE);
	memcpy(blk_at(img, a), blk_at(img, b), QLFS_BLKSIZE);
	memcpy(blk_at(img, b), tmp, QLFS_BLKSIZE);
	seal(img, a, kb, op);
	seal(img, b, ka, op);
	return snprintf(d, n, "swap %s %u with %s %u", kind_names[ka], a, kind_names[kb],
			b);
}

static int op_word(const struct qm_index *x, uint8_t *img, const struct qm_op *op,
		   char *d, size_t n)
{
	uint32_t addr, w = op->off % 2 ? op->off / 2 % 32 : op->off / 2 % 1023;
	int kind;
	uint64_t v;

	if (!pick(x, op->blk % QM_DATA, op->blk / QM_DATA, &addr, &kind))
		return 0;
	v = edit(x, img, addr, 0, (struct field){w * 4, 4}, op->val);
	seal(img, addr, kind, op);
	return snprintf(d, n, "word %u of %s %u := %#llx", w, kind_names[kind], addr,
			(unsigned long long)v);
}

static int op_sb(const struct qm_index *x, uint8_t *img, const struct qm_op *op, char *d,
		 size_t n)
{
	struct field f = sb_fields[op->off % NFIELDS(sb_fields)];
	int copies = op->blk % 3; /* 0: copy 0, 1: copy 1, 2: both */
	uint64_t v = 0;

	for (uint32_t a = 0; a < 2; a++) {
		if (copies != 2 && copies != (int)a)
			continue;
		v = edit(x, img, a, 0, f, op->val);
		seal(img, a, QM_SB, op);
	}
	return snprintf(d, n, "sb%s field @%u := %#llx",
			copies == 2 ? "s" :
			copies	    ? "1" :
				      "0",
			f.off, (unsigned long long)v);
}

/* The footer of the pack whose header is @hdr (the header's own count). */
static uint32_t pack_footer(const struct qm_index *x, const uint8_t *img, uint32_t hdr)
{
	const struct qlfs_checkpoint *cp =
		(const void *)(img + (size_t)hdr * QLFS_BLKSIZE);
	uint32_t total = le32_to_cpu(cp->cp_pack_total_block_count);

	return total >= 2 && total <= x->l.bps ? hdr + total - 1 : hdr;
}

static int op_cp(const struct qm_index *x, uint8_t *img, const struct qm_op *op, char *d,
		 size_t n)
{
	struct field f = cp_fields[op->off % NFIELDS(cp_fields)];
	uint32_t hdr = x->l.cp_blkaddr + op->blk % 2 * x->l.bps;
	uint32_t ftr = pack_footer(x, img, hdr);
	uint64_t v;

	if (!csum_ok(img, hdr))
		return 0;
	v = edit(x, img, hdr, 0, f, op->val);
	set_field(blk_at(img, ftr) + f.off, f.width, v);
	seal(img, hdr, QM_CP, op);
	seal(img, ftr, QM_CP, op);
	return snprintf(d, n, "cp pack %d field @%u := %#llx", op->blk % 2, f.off,
			(unsigned long long)v);
}

static int op_sit(const struct qm_index *x, uint8_t *img, const struct qm_op *op, char *d,
		  size_t n)
{
	uint32_t addr, e = op->off % SIT_ENTRY_PER_BLOCK, w = op->off / 64 % 3;
	struct field f;
	int kind;

	if (!pick(x, QM_SIT, op->blk, &addr, &kind) || kind != QM_SIT)
		return 0;
	f.off = e * sizeof(struct qlfs_sit_entry);
	f.width = 2;
	if (w == 1) { /* a byte of valid_map */
		f.off += 2 + op->val % SIT_VBLOCK_MAP_SIZE;
		f.width = 1;
	} else if (w == 2) {
		f.off += 2 + SIT_VBLOCK_MAP_SIZE;
		f.width = 8;
	}
	edit(x, img, addr, 0, f, op->val);
	seal(img, addr, kind, op);
	return snprintf(d, n, "sit %u entry %u field %u", addr, e, w);
}

static int op_nat(const struct qm_index *x, uint8_t *img, const struct qm_op *op, char *d,
		  size_t n)
{
	uint32_t addr, e = op->off % NAT_ENTRY_PER_BLOCK, w = op->off / 512 % 3;
	const struct qlfs_nat_block *nb;
	struct field f;
	uint64_t v;
	int kind;

	if (!pick(x, QM_NAT, op->blk, &addr, &kind) || kind != QM_NAT)
		return 0;
	nb = (const void *)blk_at(img, addr);
	for (uint32_t i = 0; i < NAT_ENTRY_PER_BLOCK; i++) { /* a used entry */
		uint32_t k = (e + i) % NAT_ENTRY_PER_BLOCK;

		if (le32_to_cpu(nb->entries[k].block_addr)) {
			e = k;
			break;
		}
	}
	f.off = e * sizeof(struct qlfs_nat_entry) + (w == 0 ? 5 : w == 1 ? 1 : 0);
	f.width = w == 2 ? 1 : 4;
	v = edit(x, img, addr, 0, f, op->val);
	seal(img, addr, kind, op);
	return snprintf(d, n, "nat %u entry %u %s := %#llx", addr, e,
			w == 0 ? "block_addr" :
			w == 1 ? "ino" :
				 "version",
			(unsigned long long)v);
}

static int op_sum(const struct qm_index *x, uint8_t *img, const struct qm_op *op, char *d,
		  size_t n)
{
	uint32_t addr, e = op->off % ENTRIES_IN_SUM, w = op->off / 512 % 4;
	struct field f;
	int kind;

	if (!pick(x, op->blk % 2 ? QM_SSA : QM_CPSUM, op->blk / 2, &addr, &kind) ||
	    (kind != QM_SSA && kind != QM_CPSUM))
		return 0;
	f.off = e * sizeof(struct qlfs_summary);
	f.width = 4;
	if (w == 1) {
		f.off += 4;
		f.width = 1;
	} else if (w == 2) {
		f.off += 5;
		f.width = 2;
	} else if (w == 3) {
		f.off = 4088;
		f.width = 1;
	}
	edit(x, img, addr, 0, f, op->val);
	seal(img, addr, kind, op);
	return snprintf(d, n, "%s %u entry %u field %u", kind_names[kind], addr, e, w);
}

static uint32_t own_nid(const uint8_t *img, uint32_t addr)
{
	return le32_to_cpu(
		((const struct qlfs_node_footer *)(blk_at((uint8_t *)img, addr) + 4064))
			->nid);
}

static int op_inode(const struct qm_index *x, uint8_t *img, const struct qm_op *op,
		    char *d, size_t n)
{
	struct field f = inode_fields[op->off % NFIELDS(inode_fields)];
	uint32_t addr;
	uint64_t v;
	int kind;

	if (!pick(x, QM_INODE, op->blk, &addr, &kind) || kind != QM_INODE)
		return 0;
	if (f.off == 0 && op->val % 2) { /* another file type */
		v = modes[op->val / 2 % NFIELDS(modes)];
		set_field(blk_at(img, addr), 2, v);
	} else if (f.off == 360 && op->val % 3 == 0) { /* any i_addr[] */
		f.off += op->val / 3 % ADDRS_PER_INODE * 4;
		v = edit(x, img, addr, own_nid(img, addr), f, op->val / 3);
	} else {
		v = edit(x, img, addr, own_nid(img, addr), f, op->val);
	}
	seal(img, addr, kind, op);
	return snprintf(d, n, "inode %u field @%u := %#llx", addr, f.off,
			(unsigned long long)v);
}

/* A node's pointers and footer: loops through itself, its inode or
 * another node; a roll-forward chain through itself (next_blkaddr to its
 * own address with the current checkpoint's version). */
static int op_node(const struct qm_index *x, uint8_t *img, const struct qm_op *op,
		   char *d, size_t n)
{
	static const int kinds[] = {QM_DNODE, QM_INDNODE, QM_INODE};
	int kind = kinds[op->blk % 3];
	uint32_t addr, nid;
	struct qlfs_node_footer *ft;
	struct field f;
	uint64_t v;

	if (!pick(x, kind, op->blk / 3, &addr, &kind) ||
	    (kind != QM_DNODE && kind != QM_INDNODE && kind != QM_INODE))
		return 0;
	nid = own_nid(img, addr);
	ft = (void *)(blk_at(img, addr) + 4064);
	if (op->off % 4 == 0) { /* a chain looped on itself, in this checkpoint */
		ft->next_blkaddr = cpu_to_le32(
			op->val % 2 ? addr :
				      (uint32_t)pick_value(x, img, addr, nid, addr,
							   op->val / 2));
		ft->cp_ver = cpu_to_le64(x->cp_ver);
		seal(img, addr, kind, op);
		return snprintf(d, n, "node %u chain -> %u", addr,
				le32_to_cpu(ft->next_blkaddr));
	}
	if (op->off % 4 == 1 || kind == QM_INODE) {
		f = footer_fields[op->off / 4 % NFIELDS(footer_fields)];
	} else { /* a pointer: nid[] of an indirect node, addr[] of a direct one */
		f.off = op->off / 4 %
			(kind == QM_INDNODE ? NIDS_PER_BLOCK : ADDRS_PER_BLOCK) * 4;
		f.off = op->off & 0x8000 ? f.off : f.off % 16; /* mostly the first */
		f.width = 4;
	}
	v = edit(x, img, addr, nid, f, op->val);
	seal(img, addr, kind, op);
	return snprintf(d, n, "%s %u field @%u := %#llx", kind_names[kind], addr, f.off,
			(unsigned long long)v);
}

static int op_dent(const struct qm_index *x, uint8_t *img, const struct qm_op *op,
		   char *d, size_t n)
{
	static const uint16_t lens[] = {0, 1, 8, 9, 255, 256, 4096, 0xffff};
	static const uint8_t types[] = {0,
					QLFS_FT_DIR,
					QLFS_FT_REG_FILE,
					QLFS_FT_SYMLINK,
					QLFS_FT_CHRDEV,
					QLFS_FT_MAX,
					0xff};
	struct qlfs_dentry_block *db;
	uint32_t addr, slot = op->off % NR_DENTRY_IN_BLOCK, w = op->off / 256 % 6;
	const char *what;
	int kind;

	if (!pick(x, QM_DENT, op->blk, &addr, &kind) || kind != QM_DENT)
		return 0;
	db = (void *)blk_at(img, addr);
	for (uint32_t i = 0; i < NR_DENTRY_IN_BLOCK; i++) { /* a used slot */
		uint32_t k = (slot + i) % NR_DENTRY_IN_BLOCK;

		if (qlfs_test_bit(db->dentry_bitmap, k) && db->dentry[k].name_len) {
			slot = k;
			break;
		}
	}
	switch (w) {
	case 0:
		what = "name_len";
		db->dentry[slot].name_len = cpu_to_le16(
			op->val % 2 ? lens[op->val / 2 % NFIELDS(lens)] :
				      (NR_DENTRY_IN_BLOCK - slot) * QLFS_SLOT_LEN +
					      op->val / 2 % 3 - 1);
		break;
	case 1:
		what = "ino";
		db->dentry[slot].ino = cpu_to_le32(pick_value(
			x, img, addr, 0, le32_to_cpu(db->dentry[slot].ino), op->val));
		break;
	case 2:
		what = "file_type";
		db->dentry[slot].file_type = types[op->val % NFIELDS(types)];
		break;
	case 3:
		what = "hash";
		db->dentry[slot].hash_code ^= cpu_to_le32(1u << (op->val % 32));
		break;
	case 4: /* bitmap: a slot's bit flipped */
		what = "bitmap";
		slot = (slot + op->val % 4) % NR_DENTRY_IN_BLOCK;
		db->dentry_bitmap[slot / 8] ^= 1u << (slot % 8);
		break;
	default: /* a name byte: '/', NUL, '.', or any */
		what = "name";
		db->filename[slot][op->val % QLFS_SLOT_LEN] =
			"/\0.."[op->val / 8 % 4] ?: (uint8_t)(op->val >> 8);
		break;
	}
	seal(img, addr, kind, op);
	return snprintf(d, n, "dent %u slot %u %s", addr, slot, what);
}

static int op_orphan(const struct qm_index *x, uint8_t *img, const struct qm_op *op,
		     char *d, size_t n)
{
	static const struct field f[] = {{0, 4}, {4, 4}, {4084, 2}, {4086, 2}, {4088, 4}};
	struct field ff = f[op->off % NFIELDS(f)];
	uint32_t addr;
	int kind;

	if (!pick(x, QM_ORPHAN, op->blk, &addr, &kind) || kind != QM_ORPHAN)
		return 0;
	edit(x, img, addr, 0, ff, op->val);
	seal(img, addr, kind, op);
	return snprintf(d, n, "orphan %u field @%u", addr, ff.off);
}

typedef int (*qm_op_fn)(const struct qm_index *x, uint8_t *img, const struct qm_op *op,
			char *d, size_t n);

static const qm_op_fn ops[QM_NR_OPS] = {
	op_flip, op_zero, op_swap,  op_word, op_sb,   op_cp,	 op_sit,
	op_nat,	 op_sum,  op_inode, op_node, op_dent, op_orphan,
};

int qm_apply(const struct qm_index *x, uint8_t *img, const uint8_t *prog, size_t len,
	     char *desc, size_t size)
{
	char one[160];
	size_t used = 0;
	int done = 0;

	if (desc && size)
		desc[0] = '\0';
	for (size_t i = 0; i + QM_OP_BYTES <= len && i / QM_OP_BYTES < QM_MAX_PROGRAM_OPS;
	     i += QM_OP_BYTES) {
		struct qm_op op;
		int k;

		memcpy(&op, prog + i, sizeof(op));
		k = ops[op.code % QM_NR_OPS](x, img, &op, one, sizeof(one));
		if (k <= 0)
			continue;
		done++;
		if (desc && used + 3 < size)
			used += snprintf(desc + used, size - used, "%s%s%s",
					 used ? "; " : "", one,
					 op.flags & QM_FLAG_NOSEAL ? " (unsealed)" : "");
	}
	return done;
}

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

size_t qm_random_program(uint64_t *rng, int opcode, unsigned int max_ops, uint8_t *prog)
{
	uint64_t r = next(rng);
	unsigned int n = 1 + (r % 4 ? r / 4 % 2 : r / 4 % max_ops);

	for (unsigned int i = 0; i < n; i++) {
		struct qm_op op;

		r = next(rng);
		op.code = opcode >= 0 && r % 4 ? opcode : r / 4 % QM_NR_OPS;
		op.flags = r >> 8 & 3 ? 0 : QM_FLAG_NOSEAL;
		op.blk = r >> 16;
		op.off = r >> 32;
		op.val = r >> 48;
		memcpy(prog + i * QM_OP_BYTES, &op, QM_OP_BYTES);
	}
	return n * QM_OP_BYTES;
}
