/*
 * fs/sync.c - sync(2) for the whole system: ksys_sync() and the `sync`
 * command (Linux keeps them in fs/sync.c too).
 *
 * Layer: fs. Used by: the shell, tests, qlfs later.
 * Provides: ksys_sync(), `sync`, ksys_fsync(), ksys_fdatasync().
 * Not here: the writeback it drives (fs/fs-writeback.c).
 *
 * Order (Linux's, with Quire's per-bdi pass): WB_SYNC_NONE start-all on
 * every bdi, so every disk starts writing at once; WB_SYNC_ALL on every bdi
 * (each inode written is waited for); every registered super_block:
 * sync_inodes_sb() (which also waits for inodes already under writeback),
 * ->sync_fs(nowait), ->sync_fs(wait); last an empty flush of every disk's
 * volatile cache. A super_block nobody registered (fs/super.c) is covered
 * by the per-bdi passes for the inodes still dirty when sync starts.
 *
 * Locking: none of its own; see fs/fs-writeback.c and fs/super.c.
 */
#include <quire/fs.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/blkdev.h>
#include <quire/completion.h>
#include <quire/shell.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/syscalls.h>
#include "internal.h"

struct sync_bdis {
	struct completion done; /* completed once per queued work */
	unsigned int queued;
};

/*
 * Queue, for every inode of @bdi, a WB_SYNC_NONE pass that starts all the
 * writes without waiting (for_sync: the flusher's plug merges neighbouring
 * ones across inodes, the disk has them all at once: Linux's sync starts
 * everything this way first), then WB_SYNC_ALL (each inode waited for as
 * it is written, so mostly for I/O already in flight). Runs under the bdi
 * list mutex, which the flusher may need: the waiting happens after
 * bdi_iterate() returns.
 */
static int sync_queue_one_bdi(struct backing_dev_info *bdi, void *arg)
{
	struct sync_bdis *s = arg;
	struct wb_writeback_work *work;

	if (!wb_has_dirty_io(&bdi->wb))
		return 0;
	work = kzalloc(sizeof(*work), GFP_KERNEL);
	if (work) { /* without it, the WB_SYNC_ALL pass below does it all */
		work->sync_mode = WB_SYNC_NONE;
		work->for_sync = 1;
		work->nr_pages = LONG_MAX;
		work->reason = WB_REASON_SYNC;
		work->auto_free = 1;
		wb_queue_work(&bdi->wb, work);
	}
	work = kzalloc(sizeof(*work), GFP_KERNEL);
	if (!work)
		return 0; /* the per-sb pass below still covers registered sbs */
	work->sync_mode = WB_SYNC_ALL;
	work->nr_pages = LONG_MAX;
	work->reason = WB_REASON_SYNC;
	work->auto_free = 1;
	work->done = &s->done;
	s->queued++;
	wb_queue_work(&bdi->wb, work);
	return 0;
}

static void sync_all_bdis(void)
{
	struct sync_bdis s = {.queued = 0};

	init_completion(&s.done);
	bdi_iterate(sync_queue_one_bdi, &s);
	while (s.queued--)
		wait_for_completion(&s.done);
}

static void sync_inodes_one_sb(struct super_block *sb, void *arg)
{
	sync_inodes_sb(sb);
}

static void sync_fs_one_sb(struct super_block *sb, void *arg)
{
	if (sb->s_op && sb->s_op->sync_fs)
		sb->s_op->sync_fs(sb, *(int *)arg);
}

/* The names of the registered disks, taken under disk_iterate()'s
 * spinlock; the flushes, which sleep, happen after it is dropped. */
#define SYNC_MAX_DISKS 64

struct disk_names {
	unsigned int nr;
	char name[SYNC_MAX_DISKS][DISK_NAME_LEN];
};

static int note_disk_name(struct gendisk *disk, void *arg)
{
	struct disk_names *n = arg;

	if (n->nr == SYNC_MAX_DISKS)
		return 1;
	strscpy_len(n->name[n->nr++], disk->disk_name, DISK_NAME_LEN);
	return 0;
}

static void flush_every_disk(void)
{
	struct disk_names *n = kzalloc(sizeof(*n), GFP_KERNEL);

	if (!n) {
		pr_warn("sync: no memory to list the disks: their caches are not flushed\n");
		return;
	}
	if (disk_iterate(note_disk_name, n))
		pr_warn("sync: more than %d disks: only the first are flushed\n",
			SYNC_MAX_DISKS);
	for (unsigned int i = 0; i < n->nr; i++) {
		struct gendisk *disk = get_disk_by_name(n->name[i]);
		int err;

		if (!disk)
			continue; /* gone meanwhile */
		err = disk_is_dead(disk) ? 0 : blkdev_issue_flush(&disk->part0);
		if (err && err != -EOPNOTSUPP)
			pr_warn("sync: flush of %s failed: %d\n", disk->disk_name, err);
		put_disk(disk); /* held across the flush (GD1) */
	}
	kfree(n);
}

/*
 * sync(2): start writeback everywhere (WB_SYNC_NONE), then WB_SYNC_ALL on
 * every bdi, wait for every registered super_block's inodes, ->sync_fs
 * (no wait, then wait), and flush every disk's volatile cache.
 */
void ksys_sync(void)
{
	int nowait = 0, wait = 1;

	wakeup_flusher_threads(WB_REASON_SYNC);
	sync_all_bdis();
	iterate_supers(sync_inodes_one_sb, NULL);
	iterate_supers(sync_fs_one_sb, &nowait);
	iterate_supers(sync_fs_one_sb, &wait);
	flush_every_disk();
}

static int cmd_sync(int argc, char **argv)
{
	if (argc != 1) {
		shell_error(argv[0], "usage: sync");
		return -EINVAL;
	}
	ksys_sync();
	return 0;
}
SHELL_COMMAND(sync, "sync", "sync",
	      "write every dirty page and inode, wait, flush the disks' caches",
	      cmd_sync);

/* ---- fsync(2), fdatasync(2) ---- */

static int do_fsync(int fd, int datasync)
{
	struct file *file = fget(fd);
	int err;

	if (!file)
		return -EBADF;
	err = vfs_fsync(file, datasync); /* -EINVAL without ->fsync */
	fput(file);
	return err;
}

int ksys_fsync(int fd)
{
	return do_fsync(fd, 0);
}

int ksys_fdatasync(int fd)
{
	return do_fsync(fd, 1);
}
