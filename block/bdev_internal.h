/*
 * block/bdev_internal.h - block/bdev.c's struct, shared with its tests
 * (block/bdev_test.c). Users open a disk with blkdev_open_by_name().
 */
#ifndef BLOCK_BDEV_INTERNAL_H
#define BLOCK_BDEV_INTERNAL_H

#include <quire/blkdev.h>
#include <quire/fs.h>
#include <quire/backing-dev.h>

/* Device numbers as Linux gives virtio-blk disks: the first dynamic block
 * major, 16 minors per disk (vda 254:0, vdb 254:16, ...). Traces name a
 * disk's bdi by them ("bdi 254:0:"). */
#define BDEV_MAJOR  254
#define BDEV_MINORS 16

struct bdev_inode {
	struct inode inode;		/* the disk's page cache: i_data */
	struct super_block sb;		/* "bdev", s_bdi = bdi */
	struct block_device *bdev;	/* &disk->part0; NULL once deleted (BD3) */
	struct gendisk *disk;		/* held (GD1) until the inode is freed */
	struct backing_dev_info *bdi;	/* the disk's, registered "MAJ:MIN" */
	struct list_head list;		/* on bdev_list (bdev_mutex) */
	unsigned long writepage_calls;	/* ->writepage calls (atomic) */
	unsigned long read_folio_calls; /* ->read_folio calls (atomic) */
};

static inline loff_t min_t_loff(loff_t a, loff_t b)
{
	return a < b ? a : b;
}

/* Tests only: called where blkdev_fsync() and O_DIRECT sleep between
 * taking the disk and using it (after writing back the range), to let a
 * test delete the disk right there (arch/host/bdev_fault_test.c). */
extern void (*bdev_sleep_hook)(struct file *file);

/* How often the disk's ->writepage / ->read_folio ran (tests). */
unsigned long bdev_writepage_calls(struct inode *inode);
unsigned long bdev_read_folio_calls(struct inode *inode);

/* Write back and drop every disk's cached pages: a suite's exit hook, so
 * the cache it filled is not counted as its leak. Context: process. */
void bdev_drop_all_caches(void);

#endif
