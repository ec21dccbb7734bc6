/*
 * mm/pagecache_weak.c - TEMPORARY link placeholders while issue 9 lands in
 * parts (pagecache core, writeback/flusher, reclaim, trace). Each is __weak:
 * the real definition in its owner's file replaces it at link time. This
 * file is deleted once every owner has landed; nothing may rely on these
 * bodies (they do nothing and report nothing).
 */
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/swap.h>
#include <quire/trace.h>
#include <quire/sched.h>
#include <quire/errno.h>

/* owner: pagecache core (mm/filemap.c, mm/page-writeback.c, fs/inode.c) */
__weak int do_writepages(struct address_space *m, struct writeback_control *w)
{
	return 0;
}
__weak void filemap_remove_folio(struct folio *f)
{
}
__weak void folio_lock(struct folio *f)
{
	folio_set_locked(f);
}
__weak void folio_unlock(struct folio *f)
{
	folio_clear_locked(f);
}
__weak void folio_wait_writeback(struct folio *f)
{
}
__weak void folio_batch_release(struct folio_batch *b)
{
	folio_batch_init(b);
}
__weak void truncate_inode_pages_final(struct address_space *m)
{
}
__weak int write_inode_now(struct inode *i, int sync)
{
	return 0;
}

/* owner: writeback (fs/fs-writeback.c, mm/dirty_throttle.c, mm/backing-dev.c) */
__weak void __mark_inode_dirty(struct inode *i, int flags)
{
}
__weak void balance_dirty_pages_ratelimited(struct address_space *m)
{
}
__weak void wb_bandwidth_estimate_start(struct bdi_writeback *wb)
{
}
__weak void wb_update_bandwidth(struct bdi_writeback *wb)
{
}
__weak bool node_dirty_ok(pg_data_t *pgdat)
{
	return true;
}
__weak void inode_io_list_del(struct inode *i)
{
}
__weak void inode_wait_for_writeback(struct inode *i)
{
}
__weak void wakeup_flusher_threads(enum wb_reason r)
{
}
/* wb->dwork and wb->bw_dwork run these (armed by mm/backing-dev.c) */
__weak void wb_workfn(struct work_struct *w)
{
}
__weak void wb_update_bandwidth_workfn(struct work_struct *w)
{
}

/* owner: reclaim (mm/swap.c, mm/vmscan.c) */
__weak void folio_add_lru(struct folio *f)
{
}
__weak void folio_mark_accessed(struct folio *f)
{
}
__weak void folio_rotate_reclaimable(struct folio *f)
{
}
__weak void __acct_reclaim_writeback(pg_data_t *p, struct folio *f, int n)
{
}
__weak void reclaim_throttle(pg_data_t *p, enum vmscan_throttle_state r)
{
	yield();
}
__weak void wakeup_kswapd(int nid)
{
}

/* owner: trace (kernel/trace.c) */
__weak int trace_on;
__weak void __trace_event(const char *event, const char *fmt, ...)
{
}
