/*
 * fs/qlfs/super.c - mounting qlfs: the "qlfs" file_system_type, the
 * superblock and checkpoint pack checks, statfs, sync_fs and umount
 * (Linux's fs/f2fs/super.c with the pack choice of checkpoint.c).
 *
 * Layer: fs (qlfs, the metadata half). Used by: the VFS (`mount vdb /mnt
 * qlfs`: mount_bdev() calls qlfs_fill_super()), every other file of the
 * mount (qlfs_msg(), qlfs_handle_error(), qlfs_meta_rw()).
 * Provides: qlfs_fs_type, qlfs_sops, qlfs_msg(), qlfs_handle_error(),
 * qlfs_meta_rw(), qlfs_elapsed_time().
 *
 * Mount reads both superblock copies and both checkpoint packs and checks
 * them with fsck.qlfs's own QL1 and QL3 (qlfs_sb_invalid(),
 * qlfs_cp_pack_invalid() in fsck.c: the same rules and messages), plus the
 * checkpoint counts that mount relies on (QL8's ranges) and the summary
 * blocks' types; the SIT is checked as it loads
 * (segment.c, QL5, QL8, QL14), each NAT block and node block as it is
 * first read (node.c, QL9, QL4's footer rule), each inode as it is read
 * (inode.c, QL10). A refusal is one line "qlfs(vdb): ..." and -EUCLEAN
 * (-EIO for a read error, -ENOMEM); nothing read from the disk is used
 * before it is range-checked.
 *
 * Invariants:
 *  QM5: a mounted qlfs's in-memory geometry (sbi->l) is the layout that
 *       qlfs_compute_layout() gives for its superblock's block_count and
 *       segment size, and fits the device.
 *  QM6: sbi->ckpt is a copy of the header of the newest durable pack,
 *       which is pack sbi->cur_cp_pack; the next checkpoint writes the
 *       other pack.
 *  QM7: after qlfs_handle_error() the file system never writes again
 *       (sbi->read_only, SB_RDONLY); reads go on.
 *
 * Locking: fill_super and put_super run alone (mount_bdev() and the last
 * mntput()); statfs reads counters racily (as Linux's f2fs_statfs).
 */
#include <quire/fs.h>
#include <quire/dcache.h>
#include <quire/syscalls.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/init.h>
#include <quire/crc32c.h>
#include <quire/bug.h>
#include "qlfs_mount.h"

void qlfs_msg(struct qlfs_sb_info *sbi, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("qlfs(%s): %s\n", sbi->disk ? sbi->disk->disk_name : "?", msg);
}

void qlfs_handle_error(struct qlfs_sb_info *sbi, const char *what)
{
	bool was = __atomic_exchange_n(&sbi->read_only, true, __ATOMIC_SEQ_CST);

	if (!was)
		qlfs_msg(sbi, "%s; the file system is read-only from now on", what);
	/* atomic: two errors at once (two readers meeting one bad node) */
	if (sbi->sb)
		__atomic_fetch_or(&sbi->sb->s_flags, SB_RDONLY, __ATOMIC_RELAXED);
}

u64 qlfs_elapsed_time(struct qlfs_sb_info *sbi)
{
	return sbi->elapsed_base +
	       (u64)(current_time_ns() - (s64)sbi->mount_ns) / 1000000000ULL;
}

int qlfs_meta_rw(struct qlfs_sb_info *sbi, blk_opf_t opf, u32 blkaddr, void *buf, u32 nr)
{
	int err = 0;

	if ((u64)blkaddr + nr > sbi->l.block_count)
		return -EINVAL;
	while (nr && !err) {
		u32 n = min(nr, (u32)BIO_MAX_VECS);
		struct bio *bio = qlfs_bio_alloc(sbi, opf, blkaddr, n);

		if (!bio)
			return -ENOMEM;
		for (u32 i = 0; i < n; i++)
			bio_add_page(bio,
				     virt_to_page((u8 *)buf + (size_t)i * QLFS_BLKSIZE),
				     QLFS_BLKSIZE, 0);
		err = submit_bio_wait(bio);
		bio_put(bio);
		blkaddr += n;
		nr -= n;
		buf = (u8 *)buf + (size_t)n * QLFS_BLKSIZE;
	}
	return err;
}

/* ---- QL1, QL2: the superblock ---- */

static bool sb_has_magic(const u8 *blk)
{
	return le32_to_cpu(((const struct qlfs_super_block *)blk)->magic) ==
	       QLFS_SUPER_MAGIC;
}

/* Both copies through QL1 (qlfs_sb_invalid(), fsck's rules and words). */
static int read_super(struct qlfs_sb_info *sbi, u64 dev_blocks, int silent)
{
	u8 *two = qlfs_alloc_blocks(1);
	const char *why[2];
	struct qlfs_layout l[2];
	unsigned int ql; /* fsck's invariant number: not said here */
	int err, use = -1;

	if (!two)
		return -ENOMEM;
	sbi->l.block_count = 2; /* qlfs_meta_rw()'s bound until the layout is known */
	err = qlfs_meta_rw(sbi, REQ_OP_READ, 0, two, 2);
	if (err) {
		qlfs_msg(sbi, "cannot read the superblocks: %s", errname(err));
		goto out;
	}
	for (int i = 1; i >= 0; i--) {
		why[i] = qlfs_sb_invalid((void *)(two + i * QLFS_BLKSIZE), i, dev_blocks,
					 &l[i], &ql);
		if (!why[i])
			use = i;
	}
	err = -EUCLEAN;
	if (use < 0) {
		if (!sb_has_magic(two) && !sb_has_magic(two + QLFS_BLKSIZE)) {
			/* MS_SILENT (the boot's root=auto): no qlfs here, no word */
			if (!silent)
				qlfs_msg(sbi, "not a qlfs file system (no superblock)");
		} else
			qlfs_msg(sbi, "no valid superblock (copy 0: %s; copy 1: %s)",
				 why[0], why[1]);
		goto out;
	}
	sbi->bad_sb_copy = -1;
	if (why[!use]) {
		qlfs_msg(sbi, "superblock copy %d is bad (%s); using copy %d", !use,
			 why[!use], use);
		sbi->bad_sb_copy = !use;
	} else if (memcmp(two, two + QLFS_BLKSIZE, QLFS_CSUM_OFFSET)) {
		qlfs_msg(sbi, "the two superblock copies differ; using copy 0");
		sbi->bad_sb_copy = 1;
	}
	memcpy(&sbi->raw_super, two + use * QLFS_BLKSIZE, QLFS_BLKSIZE);
	sbi->l = l[use];
	sbi->cp_ver_salt =
		(u64)crc32c(~0u, sbi->raw_super.uuid, sizeof(sbi->raw_super.uuid)) << 32;
	err = 0;
out:
	qlfs_free_blocks(two, 1);
	return err;
}

/* ---- QL3: the checkpoint packs ---- */

/* The counts mount relies on (QL8's bounds), on top of QL3. */
static const char *cp_counts_invalid(const struct qlfs_layout *l,
				     const struct qlfs_checkpoint *cp)
{
	u32 ovp = le32_to_cpu(cp->overprov_segment_count);
	u32 rsvd = le32_to_cpu(cp->rsvd_segment_count);

	if (rsvd > ovp || ovp >= l->segs_main)
		return "reserved/overprovisioned segment counts out of range";
	if (le64_to_cpu(cp->user_block_count) != (u64)(l->segs_main - ovp) * l->bps)
		return "user_block_count differs from the layout";
	if (le64_to_cpu(cp->valid_block_count) > le64_to_cpu(cp->user_block_count))
		return "valid_block_count above user_block_count";
	if (le32_to_cpu(cp->valid_node_count) > l->max_nid ||
	    le32_to_cpu(cp->valid_inode_count) > le32_to_cpu(cp->valid_node_count) ||
	    le32_to_cpu(cp->valid_node_count) > le64_to_cpu(cp->valid_block_count))
		return "node or inode count out of range";
	if (le32_to_cpu(cp->free_segment_count) > l->segs_main - NR_CURSEG_TYPE)
		return "free_segment_count out of range";
	return NULL;
}

/* A consistent image that cannot work: too few main or overprovisioned
 * segments for six logs and cleaning (qlfs_geometry_unworkable(), fsck's
 * rule and words; an older mkfs made such images on small devices). A log
 * of it could run dry with space left, and the file system would go
 * read-only: refused instead. */
static int geometry_unworkable(struct qlfs_sb_info *sbi, const struct qlfs_checkpoint *cp)
{
	char why[160];

	if (!qlfs_geometry_unworkable(&sbi->l, cp, why, sizeof(why)))
		return 0;
	qlfs_msg(sbi, "%s", why);
	return -EUCLEAN;
}

static int cp_read(void *sbi, u32 blkaddr, void *buf, u32 nr)
{
	return qlfs_meta_rw(sbi, REQ_OP_READ, blkaddr, buf, nr);
}

/* Read and check pack @p into @buf (one segment's worth): QL3
 * (qlfs_cp_pack_invalid(), fsck's rules and words), the counts, and the
 * summary blocks' types. */
static const char *cp_pack_invalid(struct qlfs_sb_info *sbi, int p, u8 *buf)
{
	const struct qlfs_checkpoint *cp = (void *)buf;
	const char *why = qlfs_cp_pack_invalid(&sbi->l, p, buf, cp_read, sbi);

	if (!why)
		why = cp_counts_invalid(&sbi->l, cp);
	for (int t = 0; !why && t < NR_CURSEG_TYPE; t++) {
		struct qlfs_summary_block *sum =
			(void *)(buf + (size_t)(le32_to_cpu(cp->cp_pack_start_sum) + t) *
					       QLFS_BLKSIZE);

		if (sum->entry_type !=
		    (qlfs_log_is_node(t) ? SUM_TYPE_NODE : SUM_TYPE_DATA))
			why = "summary block type";
	}
	return why;
}

/* Choose the newer valid pack; keep it in *@pack (freed by the caller,
 * order log_bps). */
static int read_checkpoint(struct qlfs_sb_info *sbi, u8 **pack)
{
	u32 order = sbi->l.log_bps;
	u8 *pk[2] = {qlfs_alloc_blocks(order), qlfs_alloc_blocks(order)};
	const char *why[2];
	int use, err = 0;

	if (!pk[0] || !pk[1]) {
		err = -ENOMEM;
		goto out;
	}
	for (int p = 0; p < 2; p++)
		why[p] = cp_pack_invalid(sbi, p, pk[p]);
	use = qlfs_cp_newer_pack(pk, why);
	if (use < 0) {
		qlfs_msg(sbi, "no valid checkpoint (pack 0: %s; pack 1: %s)", why[0],
			 why[1]);
		err = -EUCLEAN;
		goto out;
	}
	sbi->cur_cp_pack = use;
	*pack = pk[use];
	pk[use] = NULL;
out:
	qlfs_free_blocks(pk[0], order);
	qlfs_free_blocks(pk[1], order);
	return err;
}

/* The orphan inode numbers of the mounted pack, kept for
 * qlfs_recover_orphan_inodes(). */
static int load_orphans(struct qlfs_sb_info *sbi, const u8 *pack)
{
	u32 nblk = le32_to_cpu(sbi->ckpt->cp_pack_start_sum) - 1, n = 0;

	if (!nblk)
		return 0;
	sbi->mount_orphans =
		kcalloc((size_t)nblk * ORPHANS_PER_BLOCK, sizeof(u32), GFP_KERNEL);
	if (!sbi->mount_orphans)
		return -ENOMEM;
	for (u32 b = 0; b < nblk; b++) {
		const struct qlfs_orphan_block *ob =
			(const void *)(pack + (size_t)(b + 1) * QLFS_BLKSIZE);

		for (u32 i = 0; i < le32_to_cpu(ob->entry_count); i++)
			sbi->mount_orphans[n++] = le32_to_cpu(ob->ino[i]);
	}
	sbi->nr_mount_orphans = n;
	return 0;
}

/* ---- super_operations ---- */

static int qlfs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct qlfs_sb_info *sbi = QLFS_SB(dentry->d_sb);
	u64 used = READ_ONCE(sbi->total_valid_block_count);
	u64 files = sbi->l.max_nid - QLFS_ROOT_INO;
	u64 nodes = READ_ONCE(sbi->total_valid_node_count);

	buf->f_type = QLFS_MAGIC;
	buf->f_bsize = QLFS_BLKSIZE;
	buf->f_blocks = sbi->user_block_count;
	buf->f_bfree = used < sbi->user_block_count ? sbi->user_block_count - used : 0;
	buf->f_bavail = buf->f_bfree;
	buf->f_files = files;
	buf->f_ffree = min(files > nodes ? files - nodes : 0, buf->f_bfree);
	buf->f_namelen = QLFS_NAME_LEN;
	return 0;
}

static int qlfs_sync_fs(struct super_block *sb, int wait)
{
	struct qlfs_sb_info *sbi = QLFS_SB(sb);

	if (!sbi || READ_ONCE(sbi->read_only))
		return 0;
	if (!READ_ONCE(sbi->s_dirty) &&
	    !mapping_tagged(sbi->node_inode->i_mapping, PAGECACHE_TAG_DIRTY))
		return 0;
	return qlfs_write_checkpoint(sbi, CP_REASON_SYNC);
}

static void qlfs_free_sbi(struct qlfs_sb_info *sbi)
{
	if (sbi->node_inode) {
		iput(sbi->node_inode);
		sbi->node_inode = NULL;
	}
	qlfs_destroy_node_manager(sbi);
	qlfs_destroy_segment_manager(sbi);
	while (!list_empty(&sbi->orphan_list))
		qlfs_remove_orphan_inode(sbi, 0);
	kfree(sbi->mount_orphans);
	qlfs_free_blocks(sbi->ckpt, 0);
	xa_destroy(&sbi->inode_cache);
	kfree(sbi);
}

static void qlfs_put_super(struct super_block *sb)
{
	struct qlfs_sb_info *sbi = QLFS_SB(sb);

	if (!sbi)
		return;
	qlfs_stop_gc_thread(sbi); /* GC part: before the last checkpoint */
	qlfs_stop_periodic_checkpoint(sbi);
	if (!READ_ONCE(sbi->read_only)) {
		int err = qlfs_write_checkpoint(sbi, CP_REASON_UMOUNT);

		if (err)
			qlfs_msg(sbi, "umount checkpoint failed: %s", errname(err));
	}
	sb->s_fs_info = NULL;
	qlfs_free_sbi(sbi);
}

const struct super_operations qlfs_sops = {
	.alloc_inode = qlfs_alloc_inode,
	.destroy_inode = qlfs_destroy_inode,
	.write_inode = qlfs_write_inode,
	.evict_inode = qlfs_evict_inode,
	.sync_fs = qlfs_sync_fs,
	.statfs = qlfs_statfs,
	.put_super = qlfs_put_super,
};

/* Rewrite the bad superblock copy from the good one (F2FS does the same
 * at mount). A failure is only reported: the good copy is intact. */
static void fix_super_copy(struct qlfs_sb_info *sbi)
{
	u8 *blk = qlfs_alloc_blocks(0);
	int copy = sbi->bad_sb_copy, err = -ENOMEM;

	if (blk) {
		memcpy(blk, &sbi->raw_super, QLFS_BLKSIZE);
		qlfs_block_seal(blk, copy);
		err = qlfs_meta_rw(sbi, REQ_OP_WRITE | REQ_FUA, copy, blk, 1);
	}
	if (err)
		qlfs_msg(sbi, "could not rewrite superblock copy %d: %s", copy,
			 errname(err));
	else
		qlfs_msg(sbi, "superblock copy %d rewritten from copy %d", copy, !copy);
	qlfs_free_blocks(blk, 0);
}

/*
 * Is mount option @opt in @data ("a,b,c")? One option so far, F2FS's
 * disable_roll_forward: the mount skips roll-forward recovery, so what
 * fsync logged after the last checkpoint is not taken (the crash sweep's
 * negative control, docs/qlfs-crash.md). Other words are ignored, as
 * before.
 */
static bool qlfs_opt_set(const char *data, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = data; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, opt, n))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

static int qlfs_fill_super(struct super_block *sb, void *data, int silent)
{
	struct qlfs_sb_info *sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	u64 dev_blocks;
	struct inode *root;
	u8 *pack = NULL;
	int err;

	if (!sbi)
		return -ENOMEM;
	sbi->sb = sb;
	sbi->bdev = sb->s_bdev;
	sbi->disk = sb->s_bdev->bd_disk;
	sbi->read_only = sb->s_flags & SB_RDONLY;
	sbi->bad_sb_copy = -1;
	init_rwsem(&sbi->cp_rwsem);
	mutex_init(&sbi->cp_mutex);
	spin_lock_init(&sbi->sit_lock);
	spin_lock_init(&sbi->nat_lock);
	xa_init(&sbi->inode_cache);
	mutex_init(&sbi->inode_cache_lock);
	mutex_init(&sbi->orphan_lock);
	INIT_LIST_HEAD(&sbi->orphan_list);
	mutex_init(&sbi->nid_alloc_mutex);
	for (int t = 0; t < NR_CURSEG_TYPE; t++)
		mutex_init(&sbi->curseg[t].lock);
	mutex_init(&sbi->gc_mutex); /* GC part */
	init_waitqueue_head(&sbi->gc_wait);
	sb->s_fs_info = sbi;
	sb->s_op = &qlfs_sops;
	sb->s_magic = QLFS_MAGIC;
	sb->s_blocksize = QLFS_BLKSIZE;
	sb->s_maxbytes = (loff_t)(ADDRS_PER_INODE + 2ULL * ADDRS_PER_BLOCK +
				  2ULL * NIDS_PER_BLOCK * ADDRS_PER_BLOCK +
				  (u64)NIDS_PER_BLOCK * NIDS_PER_BLOCK * ADDRS_PER_BLOCK)
			 << QLFS_BLKSIZE_BITS;

	if (bdev_logical_block_size(sbi->bdev) > QLFS_BLKSIZE) {
		qlfs_msg(sbi, "logical block size %u is over 4 KiB",
			 bdev_logical_block_size(sbi->bdev));
		err = -EINVAL;
		goto fail;
	}
	dev_blocks = get_capacity(sbi->disk) >> (QLFS_BLKSIZE_BITS - SECTOR_SHIFT);
	err = read_super(sbi, dev_blocks, silent);
	if (err)
		goto fail;
	err = read_checkpoint(sbi, &pack);
	if (err)
		goto fail;
	err = geometry_unworkable(sbi, (const struct qlfs_checkpoint *)pack);
	if (err)
		goto fail;
	err = -ENOMEM;
	sbi->ckpt = qlfs_alloc_blocks(0);
	if (!sbi->ckpt)
		goto fail;
	memcpy(sbi->ckpt, pack, QLFS_BLKSIZE);
	sbi->user_block_count = le64_to_cpu(sbi->ckpt->user_block_count);
	sbi->total_valid_block_count = le64_to_cpu(sbi->ckpt->valid_block_count);
	sbi->total_valid_node_count = le32_to_cpu(sbi->ckpt->valid_node_count);
	sbi->total_valid_inode_count = le32_to_cpu(sbi->ckpt->valid_inode_count);
	sbi->next_free_nid = le32_to_cpu(sbi->ckpt->next_free_nid);
	sbi->elapsed_base = le64_to_cpu(sbi->ckpt->elapsed_time);
	sbi->mount_ns = current_time_ns();
	err = load_orphans(sbi, pack);
	if (err)
		goto fail;
	err = qlfs_build_segment_manager(sbi, pack);
	if (err)
		goto fail;
	err = qlfs_build_node_manager(sbi);
	if (err)
		goto fail;
	qlfs_free_blocks(pack, sbi->l.log_bps);
	pack = NULL;

	root = qlfs_iget(sb, QLFS_ROOT_INO);
	if (IS_ERR(root)) {
		err = PTR_ERR(root);
		qlfs_msg(sbi, "cannot read the root inode: %s", errname(err));
		goto fail;
	}
	if (!S_ISDIR(root->i_mode) || root->i_nlink < 2) {
		qlfs_msg(sbi, "the root inode is not a directory with links");
		iput(root);
		err = -EUCLEAN;
		goto fail;
	}
	sb->s_root = d_make_root(root);
	if (!sb->s_root) {
		err = -ENOMEM;
		goto fail;
	}
	if (!sbi->read_only) {
		if (sbi->bad_sb_copy >= 0)
			fix_super_copy(sbi);
		/* the pack's orphans stay listed in every checkpoint until freed
		 * (QC3), roll-forward's included */
		for (u32 i = 0; i < sbi->nr_mount_orphans && !err; i++)
			err = qlfs_add_orphan_inode(sbi, sbi->mount_orphans[i]);
		if (err)
			goto fail_root;
		/* roll-forward before any checkpoint moves the chain's start;
		 * after a clean umount too (F2FS): a mount writes no checkpoint
		 * until something changes, so an fsync after it logs nodes
		 * under the umount checkpoint's version */
		if (!qlfs_opt_set(data, "disable_roll_forward"))
			qlfs_recover_fsync_data(sbi);
	}
	if (!sbi->read_only) {
		err = qlfs_recover_orphan_inodes(sbi);
		if (err)
			goto fail_root;
		qlfs_start_periodic_checkpoint(sbi);
		if (qlfs_start_gc_thread(sbi)) /* GC part: cleaning goes on without */
			qlfs_msg(sbi, "no background cleaner (out of memory)");
	}
	kfree(sbi->mount_orphans);
	sbi->mount_orphans = NULL;
	pr_info("qlfs(%s): mounted%s: checkpoint %llu (pack %d), %llu of %llu blocks in use\n",
		sbi->disk->disk_name, sbi->read_only ? " read-only" : "",
		(unsigned long long)le64_to_cpu(sbi->ckpt->checkpoint_ver),
		sbi->cur_cp_pack, (unsigned long long)sbi->total_valid_block_count,
		(unsigned long long)sbi->user_block_count);
	return 0;

fail_root:
	/* The tree goes with the sb's shutdown (put_super frees sbi). */
	return err;
fail:
	if (pack)
		qlfs_free_blocks(pack, sbi->l.log_bps);
	sb->s_fs_info = NULL;
	qlfs_free_sbi(sbi);
	return err;
}

static struct dentry *qlfs_mount(struct file_system_type *fs_type, int flags,
				 const char *dev_name, void *data)
{
	return mount_bdev(fs_type, flags, dev_name, data, qlfs_fill_super);
}

/* GC part: the background cleaner stops before the VFS evicts the inodes
 * (it takes inode references of its own), as F2FS's kill_f2fs_super(). */
static void qlfs_kill_sb(struct super_block *sb)
{
	if (sb->s_fs_info)
		qlfs_stop_gc_thread(QLFS_SB(sb));
	kill_block_super(sb);
}

struct file_system_type qlfs_fs_type = {
	.name = "qlfs",
	.fs_flags = FS_REQUIRES_DEV,
	.mount = qlfs_mount,
	.kill_sb = qlfs_kill_sb,
};

static int init_qlfs_fs(void)
{
	return register_filesystem(&qlfs_fs_type);
}
core_initcall(init_qlfs_fs);
