/*
 * include/quire/qlfs_stats.h - the counters of every mounted qlfs, the
 * figures the `qlfs` shell command prints, for other readers (the HTTP
 * server's /metrics: net/http/http_fs.c; fsbench's per-row qlfs line:
 * fs/fsbench.c).
 *
 * Layer: fs (qlfs). Implemented by fs/qlfs/qlfs_shell.c.
 */
#ifndef QUIRE_QLFS_STATS_H
#define QUIRE_QLFS_STATS_H

/* Call @fn once per counter of each mounted qlfs: @disk its disk's name
 * ("vda"), @name a Prometheus-style name without prefix ("checkpoints",
 * "free_segments", "gc_segments" ...). The figures of one file system are
 * read first (as `qlfs` reads them: sit_lock for the segment counts, the
 * rest racily), then handed to @fn without any qlfs lock held; @fn may
 * sleep. Context: process; holds the sb's s_umount (shared) meanwhile. */
void qlfs_for_each_counter(void (*fn)(const char *disk, const char *name,
				      unsigned long long value, void *arg),
			   void *arg);

#endif
