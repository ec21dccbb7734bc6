/*
 * fs/writeback_internal.h - the insides of fs/fs-writeback.c its tests
 * (fs/fs-writeback_test.c) call directly. Not an interface for other code.
 */
#ifndef FS_WRITEBACK_INTERNAL_H
#define FS_WRITEBACK_INTERNAL_H

#include <quire/backing-dev.h>

/* Pages the flusher writes of one inode for @work (reference section 8). */
long writeback_chunk_size(struct bdi_writeback *wb, struct wb_writeback_work *work);
/* Where an inode goes after the flusher wrote it. list_lock and i_lock held. */
void requeue_inode(struct inode *inode, struct bdi_writeback *wb,
		   struct writeback_control *wbc);
/* Refill b_io (empty): b_more_io first, then b_dirty's inodes dirtied at or
 * before @dirtied_before. list_lock held. */
void queue_io(struct bdi_writeback *wb, struct wb_writeback_work *work,
	      unsigned long dirtied_before);
/* WB10-WB12: 0, or -EUCLEAN with one line naming the broken invariant. */
int wb_check_lists(struct bdi_writeback *wb);

#endif
