/*
 * fs/qlfs/layout.c - qlfs's geometry, checksums, directory hash and block
 * I/O: what mkfs, fsck and (later) the mount share.
 *
 * Layer: fs. Used by: fs/qlfs/mkfs.c, fsck.c, their tests and the host tools.
 * Provides: qlfs_compute_layout(), qlfs_sb_set_layout(), qlfs_block_csum(),
 * qlfs_dentry_hash(), qlfs_dev_open/read/write/flush(),
 * qlfs_alloc_blocks()/qlfs_free_blocks().
 *
 * The layout is a pure function of the device size and the segment size,
 * so fsck can recompute it from a superblock and compare field by field
 * (QL1). All arithmetic is in 64 bits before any value is narrowed, and
 * sizes beyond QLFS_MAX_BLOCKS are clamped first, so no hostile size can
 * overflow it.
 *
 * Locking: none; a qlfs_dev is used by one thread at a time.
 */
#include <quire/crc32c.h>
#include <quire/errno.h>
#include <quire/mm.h>
#include <quire/string.h>
#include <quire/printk.h>
#include "qlfs.h"

#define CP_AND_SB_SEGS 3 /* segment 0 (superblocks) + two packs */

u32 qlfs_block_csum(const void *block, u32 blkaddr)
{
	return crc32c(QLFS_SUPER_MAGIC ^ blkaddr, block, QLFS_CSUM_OFFSET);
}

u32 qlfs_dentry_hash(const u8 *name, u32 len)
{
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	return crc32c(~0u, name, len);
}

/* NAT blocks for @main segments, capped by the checkpoint's bitmap room. */
static u64 nat_blocks_for(u64 main, u32 bps, u64 sit_blocks)
{
	u64 room = QLFS_CP_BITMAP_BYTES - DIV_ROUND_UP(sit_blocks, 8);

	return min(DIV_ROUND_UP(main * bps, NAT_ENTRY_PER_BLOCK), room * 8);
}

int qlfs_compute_layout(u64 dev_blocks, u32 log_bps, struct qlfs_layout *l)
{
	u64 bps, total, m0, sitb0, sit_segs, nat_segs, ssa_segs, main, fixed;

	if (log_bps < QLFS_MIN_LOG_BLOCKS_PER_SEG ||
	    log_bps > QLFS_MAX_LOG_BLOCKS_PER_SEG)
		return -EINVAL;
	bps = 1ULL << log_bps;
	total = min(dev_blocks, QLFS_MAX_BLOCKS) / bps;
	if (total <= CP_AND_SB_SEGS + QLFS_MIN_MAIN_SEGS)
		return -ENOSPC;
	m0 = total - CP_AND_SB_SEGS;
	sitb0 = DIV_ROUND_UP(m0, SIT_ENTRY_PER_BLOCK);
	if (DIV_ROUND_UP(sitb0, 8) >= QLFS_CP_BITMAP_BYTES)
		return -EINVAL; /* too many segments: use larger ones */
	sit_segs = DIV_ROUND_UP(sitb0, bps);
	nat_segs = DIV_ROUND_UP(nat_blocks_for(m0, bps, sitb0), bps);
	ssa_segs = DIV_ROUND_UP(m0, bps);
	fixed = CP_AND_SB_SEGS + 2 * sit_segs + 2 * nat_segs + ssa_segs;
	if (fixed + QLFS_MIN_MAIN_SEGS > total)
		return -ENOSPC;
	main = total - fixed;

	memset(l, 0, sizeof(*l));
	l->log_bps = log_bps;
	l->bps = bps;
	l->segment_count = total;
	l->block_count = total * bps;
	l->segs_sit = sit_segs;
	l->segs_nat = nat_segs;
	l->segs_ssa = ssa_segs;
	l->segs_main = main;
	l->cp_blkaddr = bps;
	l->sit_blkaddr = l->cp_blkaddr + 2 * bps;
	l->nat_blkaddr = l->sit_blkaddr + 2 * sit_segs * bps;
	l->ssa_blkaddr = l->nat_blkaddr + 2 * nat_segs * bps;
	l->main_blkaddr = l->ssa_blkaddr + ssa_segs * bps;
	l->sit_blocks = DIV_ROUND_UP(main, SIT_ENTRY_PER_BLOCK);
	l->nat_blocks = nat_blocks_for(main, bps, l->sit_blocks);
	l->max_nid = l->nat_blocks * NAT_ENTRY_PER_BLOCK;
	return 0;
}

void qlfs_sb_set_layout(struct qlfs_super_block *sb, const struct qlfs_layout *l)
{
	sb->magic = cpu_to_le32(QLFS_SUPER_MAGIC);
	sb->major_ver = cpu_to_le16(QLFS_MAJOR_VERSION);
	sb->minor_ver = cpu_to_le16(QLFS_MINOR_VERSION);
	sb->log_blocksize = cpu_to_le32(QLFS_BLKSIZE_BITS);
	sb->log_blocks_per_seg = cpu_to_le32(l->log_bps);
	sb->block_count = cpu_to_le64(l->block_count);
	sb->segment_count = cpu_to_le32(l->segment_count);
	sb->segment_count_ckpt = cpu_to_le32(2);
	sb->segment_count_sit = cpu_to_le32(2 * l->segs_sit);
	sb->segment_count_nat = cpu_to_le32(2 * l->segs_nat);
	sb->segment_count_ssa = cpu_to_le32(l->segs_ssa);
	sb->segment_count_main = cpu_to_le32(l->segs_main);
	sb->segment0_blkaddr = 0;
	sb->cp_blkaddr = cpu_to_le32(l->cp_blkaddr);
	sb->sit_blkaddr = cpu_to_le32(l->sit_blkaddr);
	sb->nat_blkaddr = cpu_to_le32(l->nat_blkaddr);
	sb->ssa_blkaddr = cpu_to_le32(l->ssa_blkaddr);
	sb->main_blkaddr = cpu_to_le32(l->main_blkaddr);
	sb->sit_blocks = cpu_to_le32(l->sit_blocks);
	sb->nat_blocks = cpu_to_le32(l->nat_blocks);
	sb->max_nid = cpu_to_le32(l->max_nid);
	sb->root_ino = cpu_to_le32(QLFS_ROOT_INO);
	sb->node_ino = cpu_to_le32(QLFS_NODE_INO);
	sb->meta_ino = cpu_to_le32(QLFS_META_INO);
	sb->feature = 0;
}

void *qlfs_alloc_blocks(unsigned int order)
{
	return __get_free_pages(GFP_KERNEL | __GFP_ZERO, order);
}

void qlfs_free_blocks(void *buf, unsigned int order)
{
	if (buf)
		free_pages(buf, order);
}

int qlfs_dev_open(struct qlfs_dev *d, const char *name, bool write)
{
	struct gendisk *disk = get_disk_by_name(name); /* a reference */
	int err = 0;

	memset(d, 0, sizeof(*d));
	if (!disk)
		return -ENODEV;
	if (bdev_logical_block_size(&disk->part0) > QLFS_BLKSIZE)
		err = -EINVAL;
	else if (write && bdev_read_only(&disk->part0))
		err = -EROFS;
	d->nr_blocks = get_capacity(disk) >> (QLFS_BLKSIZE_BITS - SECTOR_SHIFT);
	if (!err && !d->nr_blocks)
		err = -EINVAL;
	if (err) {
		put_disk(disk);
		return err;
	}
	d->disk = disk;
	d->bdev = &disk->part0;
	return 0;
}

void qlfs_dev_close(struct qlfs_dev *d)
{
	if (d->disk)
		put_disk(d->disk);
	d->disk = NULL;
	d->bdev = NULL;
}

static int qlfs_dev_rw(struct qlfs_dev *d, blk_opf_t opf, u32 blkaddr, void *buf, u32 nr)
{
	int err = 0;

	if ((u64)blkaddr + nr > d->nr_blocks)
		return -EINVAL;
	while (nr && !err) {
		u32 n = min(nr, (u32)BIO_MAX_VECS);
		struct bio *bio = bio_alloc(d->bdev, n, opf, GFP_KERNEL);

		if (!bio)
			return -ENOMEM;
		bio->bi_iter.bi_sector = (sector_t)blkaddr
					 << (QLFS_BLKSIZE_BITS - SECTOR_SHIFT);
		for (u32 i = 0; i < n; i++)
			bio_add_page(bio, virt_to_page((u8 *)buf + i * QLFS_BLKSIZE),
				     QLFS_BLKSIZE, 0);
		err = submit_bio_wait(bio);
		bio_put(bio);
		blkaddr += n;
		nr -= n;
		buf = (u8 *)buf + (size_t)n * QLFS_BLKSIZE;
	}
	return err;
}

int qlfs_dev_read(struct qlfs_dev *d, u32 blkaddr, void *buf, u32 nr)
{
	return qlfs_dev_rw(d, REQ_OP_READ, blkaddr, buf, nr);
}

int qlfs_dev_write(struct qlfs_dev *d, u32 blkaddr, const void *buf, u32 nr)
{
	return qlfs_dev_rw(d, REQ_OP_WRITE, blkaddr, (void *)buf, nr);
}

int qlfs_dev_flush(struct qlfs_dev *d)
{
	return blkdev_issue_flush(d->bdev);
}
