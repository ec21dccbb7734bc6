/*
 * block/bdev.c - a disk's own page cache: the bdev inode (Linux's
 * block/bdev.c and block/fops.c, without buffer heads).
 *
 * Layer: block. Used by: the `dd` command (fs/dd.c), `sync`, tests.
 * Provides: blkdev_open_by_name(), bdev_inode(), bdev_inode_get_by_dev(),
 * the bdev inode's address_space_operations (->writepage, ->read_folio,
 * write_begin/end) and file_operations (buffered and O_DIRECT read/write,
 * fsync), and def_blk_node_fops for device nodes (/dev/vda).
 * Not here: partitions (Quire has none), buffer heads (a page is the unit
 * of I/O), exclusive opens and holders, ->readahead and ->writepages (on
 * purpose: buffered I/O to a disk runs do_writepages()' legacy branch,
 * writeback_use_writepage()).
 *
 * Each registered disk gets, at boot (or at its first open if it came
 * later), a struct bdev_inode: an inode (S_IFBLK, i_rdev MAJ:MIN, i_size
 * the capacity) on a super_block of its own ("bdev") whose s_bdi is a bdi
 * made for the disk (bdi_alloc + bdi_register "MAJ:MIN", BDI_CAP_WRITEBACK
 * | BDI_CAP_WRITEBACK_ACCT). It lives as long as its disk: closing the
 * disk leaves its dirty pages to the flusher and `sync` (Linux instead
 * writes and drops a whole disk's cache at its last close, in
 * blkdev_flush_mapping()); del_gendisk() writes them and lets go of the
 * disk (bdev_del_disk()), the inode going with its last open file.
 *
 * ->writepage writes one page with one bio (adjacent bios merge in the
 * plug writeback_use_writepage() holds); its completion ends the folio's
 * writeback and records a failure with mapping_set_error(), which fsync
 * reports once per open file (errseq). O_DIRECT goes straight to the disk
 * in bios of up to BIO_MAX_VECS pages, all in flight at once, after
 * writing back (and, for writes, dropping) the cached pages of the range.
 *
 * Invariants:
 *  BD1: a folio in a bdev mapping lies below i_size rounded up to a page;
 *      ->writepage never writes past the capacity (a last partial page
 *      is written up to the capacity only).
 *  BD2: O_DIRECT offsets, lengths and buffers are multiples of the logical
 *      block size, else -EINVAL and nothing is submitted.
 *  BD3: once its disk is deleted (bdev_del_disk()) an inode's bdev is NULL,
 *      it is on no list (bdev_list, sync's supers), its /dev node is gone,
 *      and every file operation on it is -ENXIO; it is freed with its last
 *      reference.
 *  BD4: every open file of a disk holds a reference on its bdev inode:
 *      f_inode for blkdev_open_by_name(), private_data for a device node
 *      (def_blk_node_fops, dropped at ->release). Nothing else keeps a
 *      pointer to the inode past bdev_mutex without a reference. The
 *      inode holds a reference on its disk (block/genhd.c, GD1) until it
 *      is freed, so a file's fsync or O_DIRECT I/O that sleeps across
 *      del_gendisk() still has its disk (dead: its bios fail, GD2).
 *
 * Locking: bdev_mutex guards bdev_list and the creation of bdev inodes.
 * The page cache locks (folio lock, i_pages) are the page cache's; the
 * write path takes no lock of its own (Linux's blkdev_write_iter neither).
 * Completions run in interrupt context: they take no lock here.
 */
#include <quire/blkdev.h>
#include <quire/bio.h>
#include <quire/fs.h>
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/completion.h>
#include <quire/init.h>
#include <quire/mutex.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/bug.h>
#include <quire/devtmpfs.h>
#include "bdev_internal.h"
#include "blk.h"

static DEFINE_MUTEX(bdev_mutex);
void (*bdev_sleep_hook)(struct file *file);

/* Tests widen the window where a task holds the disk across a sleep. */
static void bdev_sleep_point(struct file *file)
{
	void (*hook)(struct file * file) = READ_ONCE(bdev_sleep_hook);

	if (hook)
		hook(file);
}
static LIST_HEAD(bdev_list);
static unsigned int bdev_count; /* disks given a bdev inode so far */

static struct bdev_inode *BDEV_I(struct inode *inode)
{
	return container_of(inode, struct bdev_inode, inode);
}

/* The disk, or NULL once it was deleted (BD3). */
static struct block_device *I_BDEV(struct inode *inode)
{
	return READ_ONCE(BDEV_I(inode)->bdev);
}

static loff_t bdev_size(struct block_device *bdev)
{
	return (loff_t)bdev_nr_sectors(bdev) << SECTOR_SHIFT;
}

/* ---- address space operations ---- */

static void blkdev_end_write(struct bio *bio)
{
	struct folio *folio = bio->bi_private;

	if (bio->bi_status)
		mapping_set_error(folio->mapping, bio->bi_status);
	folio_end_writeback(folio);
	bio_put(bio);
}

/* Context: process (the flusher, fsync, sync), may sleep for a bio. The
 * folio is locked and its dirty bit cleared (writeback_iter()). */
static int blkdev_writepage(struct page *page, struct writeback_control *wbc)
{
	struct folio *folio = page_folio(page);
	struct bdev_inode *bi = BDEV_I(folio->mapping->host);
	struct block_device *bdev = I_BDEV(&bi->inode);
	blk_opf_t opf = REQ_OP_WRITE | (wbc->sync_mode == WB_SYNC_ALL ? REQ_SYNC : 0);
	loff_t size, pos = folio_pos(folio);
	struct bio *bio;

	__atomic_fetch_add(&bi->writepage_calls, 1, __ATOMIC_RELAXED);
	if (!bdev) { /* BD3: dirtied after the disk was deleted */
		folio_unlock(folio);
		return -ENXIO;
	}
	size = bdev_size(bdev);
	if (pos >= size) { /* BD1: the disk shrank under us */
		folio_unlock(folio);
		return 0;
	}
	bio = bio_alloc(bdev, 1, opf, GFP_KERNEL);
	if (!bio) {
		/* Still dirty: WB_SYNC_ALL retries after reclaim_throttle(). */
		folio_redirty_for_writepage(wbc, folio);
		folio_unlock(folio);
		return -ENOMEM;
	}
	bio->bi_iter.bi_sector = pos >> SECTOR_SHIFT;
	bio_add_page(bio, page, (unsigned int)min_t_loff(PAGE_SIZE, size - pos), 0);
	bio->bi_end_io = blkdev_end_write;
	bio->bi_private = folio;
	folio_start_writeback(folio);
	folio_unlock(folio);
	submit_bio(bio);
	return 0;
}

static void blkdev_end_read(struct bio *bio)
{
	struct folio *folio = bio->bi_private;

	if (!bio->bi_status)
		folio_mark_uptodate(folio);
	folio_unlock(folio);
	bio_put(bio);
}

/* Read one locked folio; unlocked when the read ends. Context: process. */
static int blkdev_read_folio(struct file *file, struct folio *folio)
{
	struct bdev_inode *bi = BDEV_I(folio->mapping->host);
	struct block_device *bdev = I_BDEV(&bi->inode);
	loff_t size, pos = folio_pos(folio);
	size_t len;
	struct bio *bio;

	__atomic_fetch_add(&bi->read_folio_calls, 1, __ATOMIC_RELAXED);
	if (!bdev) { /* BD3 */
		folio_unlock(folio);
		return -ENXIO;
	}
	size = bdev_size(bdev);
	len = pos >= size ? 0 : (size_t)min_t_loff(PAGE_SIZE, size - pos);
	if (len < PAGE_SIZE)
		memset((char *)folio_address(folio) + len, 0, PAGE_SIZE - len);
	if (!len) {
		folio_mark_uptodate(folio);
		folio_unlock(folio);
		return 0;
	}
	bio = bio_alloc(bdev, 1, REQ_OP_READ, GFP_KERNEL);
	if (!bio) {
		folio_unlock(folio);
		return -ENOMEM;
	}
	bio->bi_iter.bi_sector = pos >> SECTOR_SHIFT;
	bio_add_page(bio, &folio->page, (unsigned int)len, 0);
	bio->bi_end_io = blkdev_end_read;
	bio->bi_private = folio;
	submit_bio(bio);
	return 0;
}

/* Linux 6.9's def_blk_aops without buffer heads: no ->writepages, no
 * ->readahead. */
static const struct address_space_operations def_blk_aops = {
	.writepage = blkdev_writepage,
	.read_folio = blkdev_read_folio,
	.write_begin = simple_write_begin,
	.write_end = simple_write_end,
};

/* ---- O_DIRECT ---- */

struct blkdev_dio {
	int remaining; /* bios in flight + 1 while submitting */
	int error;     /* the first error, or 0 */
	struct completion done;
};

static void blkdev_dio_put(struct blkdev_dio *dio)
{
	if (__atomic_sub_fetch(&dio->remaining, 1, __ATOMIC_ACQ_REL) == 0)
		complete(&dio->done);
}

static void blkdev_end_dio(struct bio *bio)
{
	struct blkdev_dio *dio = bio->bi_private;
	int zero = 0;

	if (bio->bi_status)
		__atomic_compare_exchange_n(&dio->error, &zero, bio->bi_status, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	bio_put(bio);
	blkdev_dio_put(dio);
}

/* One bio of up to BIO_MAX_VECS pages from @buf; returns bytes put in it. */
static size_t blkdev_dio_fill(struct bio *bio, char *buf, size_t count)
{
	size_t done = 0;

	while (done < count) {
		char *p = buf + done;
		unsigned int off = (unsigned long)p & (PAGE_SIZE - 1);
		unsigned int len =
			(unsigned int)min_t_loff(PAGE_SIZE - off, count - done);

		if (!bio_add_page(bio, virt_to_page(p), len, off))
			break;
		done += len;
	}
	return done;
}

/* Context: process, may sleep. */
static ssize_t_k blkdev_direct_io(struct block_device *bdev, struct file *file, void *buf,
				  size_t count, loff_t pos, bool write)
{
	struct address_space *mapping = file->f_mapping;
	u32 lbs = bdev_logical_block_size(bdev);
	struct blkdev_dio dio = {.remaining = 1};
	loff_t end = pos + (loff_t)count - 1;
	struct blk_plug plug;
	size_t done = 0;
	int err;

	if ((pos | (loff_t)count | (loff_t)(unsigned long)buf) & (lbs - 1))
		return -EINVAL; /* BD2 */
	if (!count)
		return 0;
	err = filemap_write_and_wait_range(mapping, pos, end);
	if (err)
		return err;
	bdev_sleep_point(file); /* GD1: @bdev's disk is held by the file */
	if (write)
		invalidate_mapping_pages(mapping, pos >> PAGE_SHIFT, end >> PAGE_SHIFT);
	init_completion(&dio.done);
	blk_start_plug(&plug);
	while (done < count) {
		struct bio *bio = bio_alloc(bdev, BIO_MAX_VECS,
					    write ? REQ_OP_WRITE | REQ_SYNC : REQ_OP_READ,
					    GFP_KERNEL);

		if (!bio) {
			dio.error = -ENOMEM;
			break;
		}
		bio->bi_iter.bi_sector = (pos + (loff_t)done) >> SECTOR_SHIFT;
		bio->bi_end_io = blkdev_end_dio;
		bio->bi_private = &dio;
		done += blkdev_dio_fill(bio, (char *)buf + done, count - done);
		__atomic_add_fetch(&dio.remaining, 1, __ATOMIC_RELAXED);
		submit_bio(bio);
	}
	blk_finish_plug(&plug);
	blkdev_dio_put(&dio);
	wait_for_completion(&dio.done);
	if (write) /* what a reader cached meanwhile is stale */
		invalidate_mapping_pages(mapping, pos >> PAGE_SHIFT, end >> PAGE_SHIFT);
	return dio.error ? dio.error : (ssize_t_k)count;
}

/* ---- file operations ---- */

static ssize_t_k blkdev_read(struct file *file, void *buf, size_t count, loff_t *pos)
{
	struct block_device *bdev = I_BDEV(file->f_mapping->host);
	loff_t size;
	ssize_t_k ret;

	if (!bdev)
		return -ENXIO; /* BD3 */
	size = bdev_size(bdev);
	if (*pos < 0)
		return -EINVAL;
	if (*pos >= size)
		return 0;
	count = (size_t)min_t_loff((loff_t)count, size - *pos);
	if (!(file->f_flags & O_DIRECT))
		return filemap_read(file, buf, count, pos);
	ret = blkdev_direct_io(bdev, file, buf, count, *pos, false);
	if (ret > 0)
		*pos += ret;
	return ret;
}

static int blkdev_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct block_device *bdev = I_BDEV(file->f_mapping->host);
	int err;

	if (!bdev)
		return -ENXIO; /* BD3 */
	err = file_write_and_wait_range(file, start, end);
	if (err)
		return err;
	bdev_sleep_point(file); /* GD1: @bdev's disk is held by the file */
	err = blkdev_issue_flush(bdev);
	return err == -EOPNOTSUPP ? 0 : err;
}

static ssize_t_k blkdev_write(struct file *file, const void *buf, size_t count,
			      loff_t *pos)
{
	struct block_device *bdev = I_BDEV(file->f_mapping->host);
	loff_t size, start = *pos;
	ssize_t_k ret;

	if (!bdev)
		return -ENXIO; /* BD3 */
	size = bdev_size(bdev);
	if (bdev_read_only(bdev))
		return -EPERM;
	if (*pos < 0)
		return -EINVAL;
	if (*pos >= size)
		return count ? -ENOSPC : 0;
	count = (size_t)min_t_loff((loff_t)count, size - *pos);
	if (file->f_flags & O_DIRECT) {
		ret = blkdev_direct_io(bdev, file, (void *)buf, count, *pos, true);
		if (ret > 0)
			*pos += ret;
	} else {
		ret = generic_perform_write(file, buf, count, pos);
	}
	/* O_DSYNC/O_SYNC: Linux's generic_write_sync(). */
	if (ret > 0 && (file->f_flags & O_DSYNC)) {
		int err = blkdev_fsync(file, start, start + ret - 1, 1);

		if (err)
			return err;
	}
	return ret;
}

static int blkdev_open(struct inode *inode, struct file *file)
{
	struct block_device *bdev = I_BDEV(inode);

	if (!bdev)
		return -ENXIO; /* BD3 */
	if ((file->f_flags & O_ACCMODE) != O_RDONLY && bdev_read_only(bdev))
		return -EROFS;
	if (disk_is_dead(bdev->bd_disk))
		return -ENXIO;
	/* The capacity may have changed (Linux: bdev_set_nr_sectors). */
	spin_lock(&inode->i_lock);
	i_size_write(inode, bdev_size(bdev)); /* filemap_read() reads it unlocked */
	spin_unlock(&inode->i_lock);
	return 0;
}

static loff_t blkdev_llseek(struct file *file, loff_t offset, int whence)
{
	loff_t size = i_size_read(file->f_mapping->host);

	return generic_file_llseek_size(file, offset, whence, size, size);
}

static const struct file_operations def_blk_fops = {
	.read = blkdev_read,
	.write = blkdev_write,
	.fsync = blkdev_fsync,
	.open = blkdev_open,
	.llseek = blkdev_llseek,
};

/*
 * A device node's open (Linux's blkdev_open(): the bdev by i_rdev, held by
 * the file, its inode's mapping as f_mapping). The node (devtmpfs' inode)
 * keeps no pointer to the disk: the file takes a reference on the bdev
 * inode here and drops it at its release (BD4), so the inode outlives the
 * disk's deletion while the file is open, and I/O on it is then -ENXIO.
 */
static int blkdev_open_node(struct inode *node, struct file *file)
{
	struct inode *inode = bdev_inode_get_by_dev(node->i_rdev);
	int err;

	if (!inode)
		return -ENXIO; /* its disk is deleted */
	file->f_mapping = inode->i_mapping;
	file->f_wb_err = errseq_sample(&file->f_mapping->wb_err);
	file_ra_state_init(&file->f_ra, file->f_mapping);
	err = blkdev_open(inode, file);
	if (err) {
		iput(inode);
		return err;
	}
	file->private_data = inode;
	return 0;
}

static int blkdev_release_node(struct inode *node, struct file *file)
{
	iput(file->private_data); /* BD4: may free a deleted disk's inode */
	return 0;
}

const struct file_operations def_blk_node_fops = {
	.read = blkdev_read,
	.write = blkdev_write,
	.fsync = blkdev_fsync,
	.open = blkdev_open_node,
	.release = blkdev_release_node,
	.llseek = blkdev_llseek,
};

/* ---- the bdev inodes ---- */

static struct inode *bdev_alloc_inode(struct super_block *sb)
{
	return &container_of(sb, struct bdev_inode, sb)->inode;
}

/* The last reference of a deleted disk's inode went (bdev_del_disk()
 * dropped the disk's own; open files held the rest): free it all. */
static void bdev_destroy_inode(struct inode *inode)
{
	struct bdev_inode *bi = BDEV_I(inode);

	bdi_unregister(bi->bdi);
	bdi_put(bi->bdi);
	put_disk(bi->disk); /* GD1: may be the last reference */
	kfree(bi);
}

/* `sync` calls each registered sb's ->sync_fs: a cache flush of the disk
 * (ksys_sync() then flushes every disk once more). */
static int bdev_sync_fs(struct super_block *sb, int wait)
{
	int err;

	if (!wait)
		return 0;
	err = blkdev_issue_flush(sb->s_bdev);
	return err == -EOPNOTSUPP ? 0 : err;
}

static const struct super_operations bdev_sops = {
	.alloc_inode = bdev_alloc_inode,
	.destroy_inode = bdev_destroy_inode,
	.sync_fs = bdev_sync_fs,
};

static struct bdev_inode *bdev_find(struct gendisk *disk)
{
	struct bdev_inode *bi;

	list_for_each_entry(bi, &bdev_list, list)
		if (bi->bdev->bd_disk == disk)
			return bi;
	return NULL;
}

static void bdev_init_sb(struct super_block *sb, struct block_device *bdev,
			 struct backing_dev_info *bdi)
{
	scnprintf(sb->s_id, sizeof(sb->s_id), "bdev");
	sb->s_op = &bdev_sops;
	sb->s_bdi = bdi;
	sb->s_bdev = bdev;
	spin_lock_init(&sb->s_inode_list_lock);
	INIT_LIST_HEAD(&sb->s_inodes);
	init_rwsem(&sb->s_umount);
}

/* Make @disk's bdev inode. Caller holds bdev_mutex. NULL on no memory. */
static struct bdev_inode *bdev_create(struct gendisk *disk)
{
	struct bdev_inode *bi = kzalloc(sizeof(*bi), GFP_KERNEL);
	u32 dev = MKDEV(BDEV_MAJOR, bdev_count * BDEV_MINORS);
	struct inode *inode;
	char name[16];

	if (!bi)
		return NULL;
	__atomic_store_n(&disk->part0.bd_dev, dev, __ATOMIC_RELAXED); /* traces */
	bi->bdi = bdi_alloc(NUMA_NO_NODE);
	if (!bi->bdi)
		goto out_free;
	bi->bdi->capabilities = BDI_CAP_WRITEBACK | BDI_CAP_WRITEBACK_ACCT;
	bi->bdev = &disk->part0;
	bdev_init_sb(&bi->sb, bi->bdev, bi->bdi);
	inode = new_inode(&bi->sb);
	if (WARN_ON_ONCE(inode != &bi->inode))
		goto out_bdi;
	inode->i_mode = S_IFBLK;
	inode->i_rdev = dev;
	inode->i_size = bdev_size(bi->bdev);
	inode->i_fop = &def_blk_fops;
	inode->i_private = bi->bdev;
	inode->i_data.a_ops = &def_blk_aops;
	scnprintf(name, sizeof(name), "%u:%u", MAJOR(dev), MINOR(dev));
	if (bdi_register(bi->bdi, name, dev))
		goto out_bdi;
	bdev_count++;
	bi->disk = get_disk(disk); /* GD1: until the inode is freed */
	list_add_tail(&bi->list, &bdev_list);
	register_super(&bi->sb); /* sync waits for its inodes (fs/sync.c) */
	pr_info("bdev: %s is %s (bdi %s)\n", disk->disk_name, name, bi->bdi->dev_name);
	return bi;
out_bdi:
	bdi_put(bi->bdi);
out_free:
	kfree(bi);
	return NULL;
}

/* @disk's bdev inode, made if the disk is still registered; bdev_mutex
 * held. */
static struct inode *bdev_inode_locked(struct gendisk *disk)
{
	struct bdev_inode *bi = bdev_find(disk);

	if (!bi && READ_ONCE(disk->registered)) /* none for a deleted disk */
		bi = bdev_create(disk);
	return bi ? &bi->inode : NULL;
}

struct inode *bdev_inode(struct gendisk *disk)
{
	struct inode *inode;

	mutex_lock(&bdev_mutex);
	inode = bdev_inode_locked(disk);
	mutex_unlock(&bdev_mutex);
	return inode;
}

/*
 * bdev_inode() with a reference taken under bdev_mutex, for an opener:
 * bdev_del_disk() drops the disk's own reference once the inode left
 * bdev_list, so a reference taken after bdev_mutex is dropped could come
 * after the inode was freed. The caller iput()s it. NULL if the disk is
 * deleted or on no memory.
 */
struct inode *bdev_inode_get(struct gendisk *disk)
{
	struct inode *inode;

	mutex_lock(&bdev_mutex);
	inode = bdev_inode_locked(disk);
	if (inode)
		ihold(inode);
	mutex_unlock(&bdev_mutex);
	return inode;
}

/* The bdev inode whose device number is @dev, with a reference (taken
 * under bdev_mutex); NULL if no registered disk has it. */
struct inode *bdev_inode_get_by_dev(u32 dev)
{
	struct bdev_inode *bi;
	struct inode *inode = NULL;

	mutex_lock(&bdev_mutex);
	list_for_each_entry(bi, &bdev_list, list) {
		if (bi->inode.i_rdev == dev) {
			inode = &bi->inode;
			ihold(inode);
			break;
		}
	}
	mutex_unlock(&bdev_mutex);
	return inode;
}

/*
 * @disk is being deleted (del_gendisk(), after taking it off the disk
 * list, before waiting for its requests). Linux's bdev_mark_dead(): unless
 * @surprise (the disk is dead already, its I/O would fail), write the
 * dirty pages back and wait; then what Linux's bdev_unhash() and the
 * disk's final put do: the inode leaves bdev_list (no new opener, no
 * drop_caches) and its super_block leaves sync's list, the open files see
 * no disk (BD3: -ENXIO), the cache is dropped, and the disk's own
 * reference goes: the inode, its bdi and the struct are freed with the
 * last open file. A write racing this on a file already open may lose its
 * data (Linux's too: the device is going). Context: process, may sleep.
 */
void bdev_del_disk(struct gendisk *disk, bool surprise)
{
	struct bdev_inode *bi;

	mutex_lock(&bdev_mutex);
	bi = bdev_find(disk);
	if (bi)
		list_del_init(&bi->list);
	mutex_unlock(&bdev_mutex);
	if (!bi)
		return;
	/* Linux's device_del(): the node goes from /dev (an open file keeps
	 * its own reference, BD4). */
	devtmpfs_delete_node(disk->disk_name, bi->inode.i_rdev);
	unregister_super(&bi->sb); /* waits for a sync walking it */
	if (!surprise)
		filemap_write_and_wait(bi->inode.i_mapping);
	WRITE_ONCE(bi->bdev, NULL);
	bi->inode.i_private = NULL;
	truncate_inode_pages(bi->inode.i_mapping, 0);
	pr_info("bdev: %s deleted: its page cache is dropped\n", disk->disk_name);
	iput(&bi->inode);
}

struct file *blkdev_open_by_name(const char *name, unsigned int flags)
{
	struct gendisk *disk = get_disk_by_name(name);
	struct inode *inode;
	struct file *file;

	if (!disk)
		return ERR_PTR(-ENODEV);
	inode = bdev_inode_get(disk); /* deletion may run meanwhile */
	put_disk(disk);		      /* the inode holds it now (GD1) */
	if (!inode)
		return ERR_PTR(-ENOMEM);
	file = file_open_inode(inode, flags);
	iput(inode);
	return file;
}

void invalidate_bdev(struct block_device *bdev)
{
	struct bdev_inode *bi;

	mutex_lock(&bdev_mutex);
	bi = bdev_find(bdev->bd_disk);
	mutex_unlock(&bdev_mutex);
	if (bi)
		invalidate_mapping_pages(bi->inode.i_mapping, 0, ~0UL);
}

void bdev_drop_all_caches(void)
{
	struct bdev_inode *bi;

	mutex_lock(&bdev_mutex);
	list_for_each_entry(bi, &bdev_list, list) {
		filemap_write_and_wait(bi->inode.i_mapping);
		invalidate_mapping_pages(bi->inode.i_mapping, 0, ~0UL);
	}
	mutex_unlock(&bdev_mutex);
}

unsigned long bdev_writepage_calls(struct inode *inode)
{
	return __atomic_load_n(&BDEV_I(inode)->writepage_calls, __ATOMIC_RELAXED);
}

unsigned long bdev_read_folio_calls(struct inode *inode)
{
	return __atomic_load_n(&BDEV_I(inode)->read_folio_calls, __ATOMIC_RELAXED);
}

#define BDEV_BOOT_MAX 64

static int collect_disk(struct gendisk *disk, void *arg)
{
	struct gendisk **disks = arg;
	unsigned int i;

	for (i = 0; i < BDEV_BOOT_MAX; i++)
		if (!disks[i]) {
			disks[i] = disk;
			return 0;
		}
	return -ENOSPC;
}

/* Every disk registered at boot gets its bdev inode now, so none is made
 * later inside a test (which would count it as a leak). */
static int bdev_init(void)
{
	struct gendisk **disks = kcalloc(BDEV_BOOT_MAX, sizeof(*disks), GFP_KERNEL);
	unsigned int i;

	if (!disks)
		return -ENOMEM;
	disk_iterate(collect_disk, disks);
	for (i = 0; i < BDEV_BOOT_MAX && disks[i]; i++)
		if (!bdev_inode(disks[i]))
			pr_err("bdev: no memory for %s's page cache\n",
			       disks[i]->disk_name);
	kfree(disks);
	return 0;
}
late_initcall(bdev_init);
