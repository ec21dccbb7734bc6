/*
 * fs/writeback_weak_tmp.c - TEMPORARY __weak stand-ins so the writeback part
 * (fs/fs-writeback.c, mm/dirty_throttle.c) links before the page-cache core
 * (mm/backing-dev.c, mm/filemap.c, fs/inode.c) lands. The real definitions
 * replace them; this file is deleted when the branch merges main with that
 * part. Nothing relies on these bodies.
 */
#include <quire/backing-dev.h>
#include <quire/pagemap.h>
#include <quire/errno.h>

__weak struct backing_dev_info noop_backing_dev_info;
__weak struct workqueue_struct *bdi_wq;
__weak int bdi_iterate(int (*fn)(struct backing_dev_info *bdi, void *arg), void *arg)
{
	return 0;
}
__weak int filemap_fdatawait_range(struct address_space *m, loff_t s, loff_t e)
{
	return 0;
}
__weak int filemap_fdatawait_range_keep_errors(struct address_space *m, loff_t s,
					       loff_t e)
{
	return 0;
}
__weak void iput(struct inode *inode)
{
}
