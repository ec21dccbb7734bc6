/*
 * mm/backing-dev.c - backing_dev_info and its bdi_writeback: life cycle,
 * the list of registered bdis, noop_backing_dev_info, and the "writeback"
 * workqueue the flushers run on (Linux's mm/backing-dev.c).
 *
 * Layer: mm. Used by: block/bdev.c (one bdi per disk), file systems,
 * fs/fs-writeback.c (walks the bdis for sync), the `wbstat` command.
 * Provides: bdi_alloc(), bdi_register(), bdi_unregister(), bdi_put(),
 * bdi_iterate(), noop_backing_dev_info, bdi_wq.
 * Not here: the flusher's work function wb_workfn() and the bandwidth
 * update wb_update_bandwidth_workfn() (fs/fs-writeback.c and
 * mm/dirty_throttle.c; this file only arms them).
 *
 * Quire has one bdi_writeback per bdi (Linux's root wb; no cgroups).
 *
 * Invariants:
 *  PC9: a wb is WB_registered exactly while its bdi is on bdi_list; only a
 *      registered wb queues its flusher or bandwidth work.
 *
 * Locking: bdi_list_lock (mutex) guards bdi_list; bdi_unregister takes it
 * before wb->work_lock (spin, irqsave: folio_end_writeback queues the
 * bandwidth work from interrupts).
 */
#include <quire/backing-dev.h>
#include <quire/pagemap.h>
#include <quire/slab.h>
#include <quire/mutex.h>
#include <quire/string.h>
#include <quire/jiffies.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/init.h>
#include <quire/bug.h>
#include "pagecache.h"

/* Linux's INIT_BW: 100 MB/s in pages per second. */
#define INIT_BW (100ul << (20 - PAGE_SHIFT))

struct workqueue_struct *bdi_wq;
struct backing_dev_info noop_backing_dev_info;

static DEFINE_MUTEX(bdi_list_lock);
static LIST_HEAD(bdi_list);

/* wb_workfn() (fs/fs-writeback.c) and wb_update_bandwidth_workfn()
 * (mm/dirty_throttle.c) are declared in backing-dev.h. */

static void wb_init(struct bdi_writeback *wb, struct backing_dev_info *bdi)
{
	memset(wb, 0, sizeof(*wb));
	wb->bdi = bdi;
	wb->last_old_flush = jiffies;
	spin_lock_init(&wb->list_lock);
	INIT_LIST_HEAD(&wb->b_dirty);
	INIT_LIST_HEAD(&wb->b_io);
	INIT_LIST_HEAD(&wb->b_more_io);
	INIT_LIST_HEAD(&wb->b_dirty_time);
	atomic_set(&wb->writeback_inodes, 0);
	for (int i = 0; i < NR_WB_STAT_ITEMS; i++)
		percpu_counter_init(&wb->stat[i], 0, GFP_KERNEL);
	wb->bw_time_stamp = jiffies;
	wb->write_bandwidth = INIT_BW;
	wb->avg_write_bandwidth = INIT_BW;
	wb->dirty_ratelimit = INIT_BW;
	wb->balanced_dirty_ratelimit = INIT_BW;
	wb->dirty_sleep = jiffies;
	spin_lock_init(&wb->work_lock);
	INIT_LIST_HEAD(&wb->work_list);
	INIT_DELAYED_WORK(&wb->dwork, wb_workfn);
	INIT_DELAYED_WORK(&wb->bw_dwork, wb_update_bandwidth_workfn);
}

void wb_exit(struct bdi_writeback *wb)
{
	for (int i = 0; i < NR_WB_STAT_ITEMS; i++)
		percpu_counter_destroy(&wb->stat[i]);
}

void bdi_init(struct backing_dev_info *bdi)
{
	INIT_LIST_HEAD(&bdi->bdi_list);
	bdi->ra_pages = VM_READAHEAD_PAGES;
	bdi->min_ratio = 0;
	bdi->max_ratio = 100;
	atomic_set(&bdi->refcnt, 1);
	wb_init(&bdi->wb, bdi);
}

struct backing_dev_info *bdi_alloc(int node_id)
{
	struct backing_dev_info *bdi = kzalloc(sizeof(*bdi), GFP_KERNEL);

	if (!bdi)
		return NULL;
	bdi_init(bdi);
	/* Linux's default: pages are written back and accounted. */
	bdi->capabilities = BDI_CAP_WRITEBACK | BDI_CAP_WRITEBACK_ACCT;
	return bdi;
}

int bdi_register(struct backing_dev_info *bdi, const char *name, u32 dev)
{
	if (test_bit(WB_registered, &bdi->wb.state))
		return -EBUSY;
	scnprintf(bdi->dev_name, sizeof(bdi->dev_name), "%s", name);
	bdi->dev = dev;
	mutex_lock(&bdi_list_lock);
	set_bit(WB_registered, &bdi->wb.state);
	list_add_tail(&bdi->bdi_list, &bdi_list);
	mutex_unlock(&bdi_list_lock);
	return 0;
}

/*
 * Stop the wb: no new work is queued once WB_registered is clear; the
 * flusher runs once more at once (it writes everything left when it finds
 * the wb unregistered, as Linux's wb_shutdown() asks), and the bandwidth
 * work is cancelled.
 */
static void wb_shutdown(struct bdi_writeback *wb)
{
	unsigned long flags;

	spin_lock_irqsave(&wb->work_lock, flags);
	if (!test_and_clear_bit(WB_registered, &wb->state)) {
		spin_unlock_irqrestore(&wb->work_lock, flags);
		return;
	}
	spin_unlock_irqrestore(&wb->work_lock, flags);
	if (bdi_wq) {
		mod_delayed_work(bdi_wq, &wb->dwork, 0);
		flush_delayed_work(&wb->dwork);
	}
	cancel_delayed_work_sync(&wb->dwork);
	cancel_delayed_work_sync(&wb->bw_dwork);
}

void bdi_unregister(struct backing_dev_info *bdi)
{
	mutex_lock(&bdi_list_lock);
	if (!list_empty(&bdi->bdi_list))
		list_del_init(&bdi->bdi_list);
	mutex_unlock(&bdi_list_lock);
	wb_shutdown(&bdi->wb);
}

void bdi_put(struct backing_dev_info *bdi)
{
	if (bdi == &noop_backing_dev_info)
		return;
	if (!atomic_dec_and_test(&bdi->refcnt))
		return;
	WARN_ON_ONCE(test_bit(WB_registered, &bdi->wb.state));
	wb_exit(&bdi->wb);
	kfree(bdi);
}

int bdi_iterate(int (*fn)(struct backing_dev_info *bdi, void *arg), void *arg)
{
	struct backing_dev_info *bdi;
	int ret = 0;

	mutex_lock(&bdi_list_lock);
	list_for_each_entry(bdi, &bdi_list, bdi_list) {
		ret = fn(bdi, arg);
		if (ret)
			break;
	}
	mutex_unlock(&bdi_list_lock);
	return ret;
}

static int default_bdi_init(void)
{
	bdi_init(&noop_backing_dev_info);
	noop_backing_dev_info.capabilities = 0;
	scnprintf(noop_backing_dev_info.dev_name, sizeof(noop_backing_dev_info.dev_name),
		  "noop");
	bdi_wq = alloc_workqueue("writeback", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!bdi_wq)
		return -ENOMEM;
	return 0;
}
subsys_initcall(default_bdi_init);
