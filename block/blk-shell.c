/*
 * block/blk-shell.c - shell commands to watch disks: lsblk, iostat, blkdev.
 *
 * Layer: block (user interface). Provides: `lsblk`, `iostat [DEV]`,
 * `blkdev DEV [timeout=MS] [poll=off|on|US]`.
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

static u64 hctx_sum(struct request_queue *q, size_t off)
{
	u64 sum = 0;

	for (unsigned int i = 0; i < q->nr_hw_queues; i++)
		sum += __atomic_load_n((u64 *)((char *)q->hctxs[i] + off),
				       __ATOMIC_RELAXED);
	return sum;
}

#define HCTX_SUM(q, field) hctx_sum(q, __builtin_offsetof(struct blk_mq_hw_ctx, field))

/* Completions by polling vs by interrupt (docs/block.md, Polling). */
static void iostat_poll(struct gendisk *disk)
{
	struct request_queue *q = disk->queue;
	u64 done = HCTX_SUM(q, completed), polled = HCTX_SUM(q, poll_completed);

	cprintf("  poll %s: %llu waits polled, %llu polls, %llu found; completions: %llu polled, %llu by interrupt, %llu on another CPU\n",
		READ_ONCE(q->poll_enabled) ? "on" : "off",
		(unsigned long long)HCTX_SUM(q, poll_considered),
		(unsigned long long)HCTX_SUM(q, poll_invoked),
		(unsigned long long)HCTX_SUM(q, poll_success), (unsigned long long)polled,
		(unsigned long long)(done > polled ? done - polled : 0),
		(unsigned long long)HCTX_SUM(q, remote_completed));
}

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
	iostat_poll(disk);
	return 0;
}

static int cmd_iostat(int argc, char **argv)
{
	if (argc > 2) {
		shell_error(argv[0], "usage: iostat [DEV]");
		return -EINVAL;
	}
	if (argc == 2) {
		struct gendisk *disk = get_disk_by_name(argv[1]);

		if (!disk) {
			shell_error(argv[0], "no disk named '%s'", argv[1]);
			return -ENODEV;
		}
		put_disk(disk);
	}
	disk_iterate(iostat_one, argc == 2 ? argv[1] : NULL);
	return 0;
}
SHELL_COMMAND(iostat, "iostat", "iostat [DEV]", "per-disk I/O statistics", cmd_iostat);

/* poll=off | on (adaptive budget) | US (fixed budget, 1..1000 us):
 * Linux's io_poll and io_poll_delay in one. */
static int blkdev_set_poll(const char *cmd, struct request_queue *q, const char *val)
{
	unsigned int us;

	if (!q->tag_set->ops->poll && strcmp(val, "off")) {
		shell_error(cmd, "%s: the driver cannot poll", q->disk->disk_name);
		return -EOPNOTSUPP;
	}
	if (!strcmp(val, "off"))
		blk_queue_poll(q, false, 0);
	else if (!strcmp(val, "on"))
		blk_queue_poll(q, true, 0);
	else if (!kstrtouint(val, 10, &us) && us && us <= 1000)
		blk_queue_poll(q, true, us * 1000);
	else {
		shell_error(cmd, "'poll=%s': want off, on or 1 to 1000 (us)", val);
		return -EINVAL;
	}
	return 0;
}

/* `blkdev DEV [timeout=MS] [poll=...]`: show or set a disk's settings
 * (Linux: the queue's sysfs files io_timeout, io_poll, io_poll_delay). */
static int blkdev_show_set(struct gendisk *disk, int argc, char **argv)
{
	unsigned int ms, nsec;
	int err;

	for (int i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "poll=", 5)) {
			err = blkdev_set_poll(argv[0], disk->queue, argv[i] + 5);
			if (err)
				return err;
			continue;
		}
		if (strncmp(argv[i], "timeout=", 8) || kstrtouint(argv[i] + 8, 10, &ms) ||
		    !ms || ms > 3600 * 1000) {
			shell_error(
				argv[0],
				"'%s': want timeout=MS, 1 to 3600000, or poll=off|on|US",
				argv[i]);
			return -EINVAL;
		}
		blk_queue_rq_timeout(disk->queue, msecs_to_jiffies(ms));
	}
	nsec = READ_ONCE(disk->queue->poll_nsec);
	cprintf("%s: %s timeout=%u poll=", disk->disk_name,
		disk_is_dead(disk) ? "dead" : "live",
		jiffies_to_msecs(READ_ONCE(disk->queue->rq_timeout)));
	if (!READ_ONCE(disk->queue->poll_enabled))
		cprintf("off\n");
	else if (!nsec)
		cprintf("on\n");
	else
		cprintf("%u\n", nsec / 1000);
	return 0;
}

static int cmd_blkdev(int argc, char **argv)
{
	struct gendisk *disk;
	int err;

	if (argc < 2 || argc > 4) {
		shell_error(argv[0], "usage: blkdev DEV [timeout=MS] [poll=off|on|US]");
		return -EINVAL;
	}
	disk = get_disk_by_name(argv[1]);
	if (!disk) {
		shell_error(argv[0], "no disk named '%s'", argv[1]);
		return -ENODEV;
	}
	err = blkdev_show_set(disk, argc, argv);
	put_disk(disk); /* held across the command (GD1) */
	return err;
}
SHELL_COMMAND(blkdev, "blkdev", "blkdev DEV [timeout=MS] [poll=off|on|US]",
	      "show a disk's state, request timeout and polling, or set them",
	      cmd_blkdev);
