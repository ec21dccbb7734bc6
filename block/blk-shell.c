/*
 * block/blk-shell.c - shell commands to watch disks: lsblk, iostat, blkdev.
 *
 * Layer: block (user interface). Provides: `lsblk`, `iostat [DEV]`,
 * `blkdev DEV [timeout=MS]`.
 * Locking: disk_iterate() holds the disk list lock while printing.
 */
#include <quire/blk-mq.h>
#include <quire/shell.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/string.h>

/* "1.5G" style size of @sectors 512-byte sectors. */
static void format_size(char *buf, size_t size, sector_t sectors)
{
	static const char units[] = "KMGTP";
	u64 bytes = sectors << SECTOR_SHIFT;
	u64 tenths;
	int u = -1;

	if (bytes < 1024) {
		scnprintf(buf, size, "%lluB", (unsigned long long)bytes);
		return;
	}
	tenths = bytes * 10;
	while (tenths >= 10240 && u < 4) {
		tenths /= 1024;
		u++;
	}
	if (tenths % 10)
		scnprintf(buf, size, "%llu.%llu%c", (unsigned long long)tenths / 10,
			  (unsigned long long)tenths % 10, units[u]);
	else
		scnprintf(buf, size, "%llu%c", (unsigned long long)tenths / 10, units[u]);
}

static int lsblk_one(struct gendisk *disk, void *arg)
{
	struct queue_limits *lim = &disk->queue->limits;
	char size[16];

	format_size(size, sizeof(size), get_capacity(disk));
	cprintf("%-6s %8s %2d %7u %7u %3u %4u %3d %-5s %s%s%s\n", disk->disk_name, size,
		lim->read_only, lim->logical_block_size, lim->physical_block_size,
		disk->queue->nr_hw_queues, disk->queue->tag_set->queue_depth,
		lim->write_cache, disk_is_dead(disk) ? "dead" : "live", disk->model,
		disk->serial[0] ? " serial=" : "", disk->serial);
	return 0;
}

static int cmd_lsblk(int argc, char **argv)
{
	if (argc != 1) {
		shell_error(argv[0], "takes no arguments");
		return -EINVAL;
	}
	cprintf("NAME       SIZE RO LOG-SEC PHY-SEC HWQ   QD WCE STATE MODEL\n");
	disk_iterate(lsblk_one, NULL);
	return 0;
}
SHELL_COMMAND(lsblk, "lsblk", "lsblk", "list block devices", cmd_lsblk);

static const char *const stat_names[NR_STAT_GROUPS] = {
	"read", "write", "discard", "flush",
};

static int iostat_one(struct gendisk *disk, void *arg)
{
	const char *only = arg;
	struct disk_stats st;

	if (only && strcmp(only, disk->disk_name))
		return 0;
	disk_stats_read(disk, &st);
	cprintf("%s: %s; in-flight %u reads, %u writes; %llu errors; %llu timeouts\n",
		disk->disk_name, disk_is_dead(disk) ? "dead" : "live", st.in_flight[0],
		st.in_flight[1], (unsigned long long)st.errors,
		(unsigned long long)st.timeouts);
	for (int g = 0; g < NR_STAT_GROUPS; g++) {
		u64 avg_us = st.ios[g] ? st.nsecs[g] / st.ios[g] / 1000 : 0;

		cprintf("  %-8s %10llu ios %12llu sectors %8llu merges %10llu ms total %6llu us avg\n",
			stat_names[g], (unsigned long long)st.ios[g],
			(unsigned long long)st.sectors[g],
			(unsigned long long)st.merges[g],
			(unsigned long long)(st.nsecs[g] / 1000000),
			(unsigned long long)avg_us);
	}
	return 0;
}

static int cmd_iostat(int argc, char **argv)
{
	if (argc > 2) {
		shell_error(argv[0], "usage: iostat [DEV]");
		return -EINVAL;
	}
	if (argc == 2 && !get_disk_by_name(argv[1])) {
		shell_error(argv[0], "no disk named '%s'", argv[1]);
		return -ENODEV;
	}
	disk_iterate(iostat_one, argc == 2 ? argv[1] : NULL);
	return 0;
}
SHELL_COMMAND(iostat, "iostat", "iostat [DEV]", "per-disk I/O statistics", cmd_iostat);

/* `blkdev DEV [timeout=MS]`: show or set a disk's settings (Linux: the
 * queue's sysfs files, e.g. /sys/block/DEV/queue/io_timeout). */
static int cmd_blkdev(int argc, char **argv)
{
	struct gendisk *disk;
	unsigned int ms;

	if (argc < 2 || argc > 3) {
		shell_error(argv[0], "usage: blkdev DEV [timeout=MS]");
		return -EINVAL;
	}
	disk = get_disk_by_name(argv[1]);
	if (!disk) {
		shell_error(argv[0], "no disk named '%s'", argv[1]);
		return -ENODEV;
	}
	if (argc == 3) {
		if (strncmp(argv[2], "timeout=", 8) || kstrtouint(argv[2] + 8, 10, &ms) ||
		    !ms || ms > 3600 * 1000) {
			shell_error(argv[0], "'%s': want timeout=MS, 1 to 3600000",
				    argv[2]);
			return -EINVAL;
		}
		blk_queue_rq_timeout(disk->queue, msecs_to_jiffies(ms));
	}
	cprintf("%s: %s timeout=%u\n", disk->disk_name,
		disk_is_dead(disk) ? "dead" : "live",
		jiffies_to_msecs(READ_ONCE(disk->queue->rq_timeout)));
	return 0;
}
SHELL_COMMAND(blkdev, "blkdev", "blkdev DEV [timeout=MS]",
	      "show a disk's state and request timeout, or set the timeout", cmd_blkdev);
