/*
 * fs/qlfs/qlfs_shell.c - the `qlfs [MOUNTPOINT]` shell command: the state
 * of a mounted qlfs (the checkpoint, the six logs, segments, counts).
 *
 * Layer: fs (qlfs). Used by: the shell, suite qlfs_meta.
 * Provides: qlfs_shell_cmd() (SHELL_COMMAND "qlfs"), qlfs_for_each_counter()
 *  (the same figures for /metrics: include/quire/qlfs_stats.h).
 *
 * Without an argument it shows every mounted qlfs. Figures are read
 * without stopping the file system (sit_lock for the segment counts, the
 * rest racily), as F2FS's /sys/kernel/debug/f2fs/status is.
 *
 * Locking: iterate_supers() holds each sb's s_umount (shared) around it.
 */
#include <quire/shell.h>
#include <quire/printk.h>
#include <quire/namei.h>
#include <quire/dcache.h>
#include <quire/errno.h>
#include <quire/qlfs_stats.h>
#include "qlfs_mount.h"

static const char *const log_names[NR_CURSEG_TYPE] = {
	"hot data", "warm data", "cold data", "hot node", "warm node", "cold node",
};

static void show(struct super_block *sb)
{
	struct qlfs_sb_info *sbi = QLFS_SB(sb);
	u32 dirty = 0, full = 0, free, prefree;
	u64 valid;

	if (!sbi)
		return;
	cprintf("qlfs(%s)%s: checkpoint %llu (pack %d), %llu written since mount\n",
		sbi->disk->disk_name, READ_ONCE(sbi->read_only) ? " read-only" : "",
		(unsigned long long)le64_to_cpu(sbi->ckpt->checkpoint_ver),
		sbi->cur_cp_pack, (unsigned long long)sbi->nr_checkpoints);
	cprintf("  %-10s %8s %6s %6s\n", "log", "segment", "blkoff", "valid");
	spin_lock(&sbi->sit_lock);
	for (int t = 0; t < NR_CURSEG_TYPE; t++)
		cprintf("  %-10s %8u %6u %6u\n", log_names[t], sbi->curseg[t].segno,
			sbi->curseg[t].next_blkoff,
			sbi->sentries[sbi->curseg[t].segno].valid_blocks);
	for (u32 s = 0; s < sbi->l.segs_main; s++) {
		u32 v = sbi->sentries[s].valid_blocks;
		bool cur = false;

		for (int t = 0; t < NR_CURSEG_TYPE; t++)
			cur |= sbi->curseg[t].segno == s;
		if (cur || !v)
			continue;
		if (v == sbi->l.bps)
			full++;
		else
			dirty++;
	}
	free = sbi->free_segments;
	prefree = sbi->prefree_segments;
	valid = sbi->total_valid_block_count;
	spin_unlock(&sbi->sit_lock);
	cprintf("  segments: %u main of %u blocks; %u free, %u prefree, %u dirty, %u full, %d current\n",
		sbi->l.segs_main, sbi->l.bps, free, prefree, dirty, full, NR_CURSEG_TYPE);
	cprintf("  blocks: %llu valid of %llu user blocks; %u nodes, %u inodes; %u orphans\n",
		(unsigned long long)valid, (unsigned long long)sbi->user_block_count,
		READ_ONCE(sbi->total_valid_node_count),
		READ_ONCE(sbi->total_valid_inode_count), READ_ONCE(sbi->orphan_count));
	cprintf("  written since mount: %llu node blocks, %llu data blocks\n",
		(unsigned long long)READ_ONCE(sbi->node_blocks_written),
		(unsigned long long)READ_ONCE(sbi->data_blocks_written));
	cprintf("  fsync: %llu passes again (a data address moved), %llu holding the file's writes off, %llu checkpoints instead\n",
		(unsigned long long)READ_ONCE(sbi->fsync_retries),
		(unsigned long long)READ_ONCE(sbi->fsync_held_passes),
		(unsigned long long)READ_ONCE(sbi->fsync_checkpoints));
	/* GC part (gc.c) */
	cprintf("  cleaning: %llu foreground runs, %llu background runs; %llu segments cleaned, %llu data and %llu node blocks moved; %llu segments reused by SSR\n",
		(unsigned long long)READ_ONCE(sbi->gc_fg_runs),
		(unsigned long long)READ_ONCE(sbi->gc_bg_runs),
		(unsigned long long)READ_ONCE(sbi->gc_segments),
		(unsigned long long)READ_ONCE(sbi->gc_data_moved),
		(unsigned long long)READ_ONCE(sbi->gc_node_moved),
		(unsigned long long)READ_ONCE(sbi->gc_ssr_segments));
}

static void show_one(struct super_block *sb, void *arg)
{
	int *n = arg;

	if (sb->s_type == &qlfs_fs_type && sb->s_root) {
		show(sb);
		(*n)++;
	}
}

int qlfs_shell_cmd(int argc, char **argv)
{
	struct path p;
	int err, n = 0;

	if (argc > 2) {
		shell_error(argv[0], "usage: qlfs [MOUNTPOINT]");
		return -EINVAL;
	}
	if (argc == 1) {
		iterate_supers(show_one, &n);
		if (!n)
			cprintf("no qlfs mounted\n");
		return 0;
	}
	err = kern_path(argv[1], LOOKUP_FOLLOW, &p);
	if (err) {
		shell_error(argv[0], "%s: %s", argv[1], errname(err));
		return err;
	}
	if (p.dentry->d_sb->s_type != &qlfs_fs_type ||
	    p.dentry != p.dentry->d_sb->s_root) {
		shell_error(argv[0], "%s: not the root of a qlfs mount", argv[1]);
		path_put(&p);
		return -EINVAL;
	}
	down_read(&p.dentry->d_sb->s_umount);
	show(p.dentry->d_sb);
	up_read(&p.dentry->d_sb->s_umount);
	path_put(&p);
	return 0;
}
SHELL_COMMAND(qlfs, "qlfs", "qlfs [MOUNTPOINT]",
	      "a mounted qlfs: checkpoint, the six logs, segments, counts",
	      qlfs_shell_cmd);

/* --- the same figures for other readers (include/quire/qlfs_stats.h) --- */

struct qlfs_counter_walk {
	void (*fn)(const char *disk, const char *name, unsigned long long value,
		   void *arg);
	void *arg;
};

static void counters_one(struct super_block *sb, void *arg)
{
	struct qlfs_counter_walk *w = arg;
	struct qlfs_sb_info *sbi;
	struct {
		const char *name;
		unsigned long long v;
	} c[] = {
		{"checkpoint_version", 0},
		{"checkpoints_written", 0},
		{"free_segments", 0},
		{"prefree_segments", 0},
		{"valid_blocks", 0},
		{"user_blocks", 0},
		{"valid_nodes", 0},
		{"valid_inodes", 0},
		{"orphans", 0},
		{"node_blocks_written", 0},
		{"data_blocks_written", 0},
		{"gc_fg_runs", 0},
		{"gc_bg_runs", 0},
		{"gc_segments", 0},
		{"gc_data_moved", 0},
		{"gc_node_moved", 0},
		{"ssr_segments", 0},
		{"fsync_retries", 0},
		{"fsync_held_passes", 0},
		{"fsync_checkpoints", 0},
	};
	unsigned int i = 0;

	if (sb->s_type != &qlfs_fs_type || !sb->s_root || !QLFS_SB(sb))
		return;
	sbi = QLFS_SB(sb);
	c[i++].v = le64_to_cpu(sbi->ckpt->checkpoint_ver);
	c[i++].v = sbi->nr_checkpoints;
	spin_lock(&sbi->sit_lock);
	c[i++].v = sbi->free_segments;
	c[i++].v = sbi->prefree_segments;
	c[i++].v = sbi->total_valid_block_count;
	spin_unlock(&sbi->sit_lock);
	c[i++].v = sbi->user_block_count;
	c[i++].v = READ_ONCE(sbi->total_valid_node_count);
	c[i++].v = READ_ONCE(sbi->total_valid_inode_count);
	c[i++].v = READ_ONCE(sbi->orphan_count);
	c[i++].v = READ_ONCE(sbi->node_blocks_written);
	c[i++].v = READ_ONCE(sbi->data_blocks_written);
	c[i++].v = READ_ONCE(sbi->gc_fg_runs);
	c[i++].v = READ_ONCE(sbi->gc_bg_runs);
	c[i++].v = READ_ONCE(sbi->gc_segments);
	c[i++].v = READ_ONCE(sbi->gc_data_moved);
	c[i++].v = READ_ONCE(sbi->gc_node_moved);
	c[i++].v = READ_ONCE(sbi->gc_ssr_segments);
	c[i++].v = READ_ONCE(sbi->fsync_retries);
	c[i++].v = READ_ONCE(sbi->fsync_held_passes);
	c[i++].v = READ_ONCE(sbi->fsync_checkpoints);
	for (i = 0; i < ARRAY_SIZE(c); i++)
		w->fn(sbi->disk->disk_name, c[i].name, c[i].v, w->arg);
}

void qlfs_for_each_counter(void (*fn)(const char *disk, const char *name,
				      unsigned long long value, void *arg),
			   void *arg)
{
	struct qlfs_counter_walk w = {.fn = fn, .arg = arg};

	iterate_supers(counters_one, &w);
}
