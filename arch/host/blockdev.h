/*
 * arch/host/blockdev.h - disks backed by host files, with fault injection.
 *
 * Layer: arch/host (a block driver). Used by: arch/host/host.c (--disk),
 * host-only tests (arch/host/blockdev_test.c).
 *
 * Spec of a disk (the --disk option, and hostdisk_create()):
 *   FILE[,opt...]      an existing host file; size from the file
 *   tmp:SIZE[,opt...]  a fresh unlinked temporary file of SIZE bytes
 *                      (K/M/G suffixes), a test disk (serial quire-test-tmp)
 * Options: ro, serial=S, model=M, hwq=N (hw queues), qd=N (depth per
 * queue), lbs=N (logical block size), wce=0|1 (advertise a volatile write
 * cache; default 1), fua=0|1 (honour REQ_FUA; default 0), cache (model the
 * volatile cache in memory: writes land in the file only at FLUSH, so
 * hostdisk_power_cut() can drop them), delay_us=N (added per request),
 * fail_write=N (the Nth write fails with -EIO), torn_write=N (the Nth
 * write lands only its first half, then fails with -EIO).
 */
#ifndef ARCH_HOST_BLOCKDEV_H
#define ARCH_HOST_BLOCKDEV_H

#include <quire/blkdev.h>

/* Remember a --disk spec; the disk is created at device initcall time.
 * 0 or -E2BIG (too many). Context: before start_kernel(). */
int hostdisk_add_option(const char *spec);

/* Create and register a disk from @spec as the next free vdX.
 * 0 or -errno (logged). Context: process. */
int hostdisk_create(const char *spec, struct gendisk **out);
/* Unregister, wait for I/O, stop workers, close. Context: process. */
void hostdisk_destroy(struct gendisk *disk);

/* Is @disk a host file disk? */
bool is_hostdisk(struct gendisk *disk);

struct hostdisk_faults {
	u64 fail_write_nth;	/* 0: off; N: the Nth write from now: -EIO */
	u64 torn_write_nth;	/* 0: off; N: the Nth write from now is torn */
	u32 torn_keep_sectors;	/* sectors of the torn write that land; 0:
				 * half of it (at least one, less than all) */
};

/* Arm (replace) the faults of @disk. Counting restarts. 0 or -EINVAL. */
int hostdisk_set_faults(struct gendisk *disk, const struct hostdisk_faults *f);

enum power_cut_mode {
	POWER_CUT_DROP,		/* every write not covered by a flush is lost */
	POWER_CUT_RANDOM,	/* each such write lands or not, possibly torn
				 * to a prefix, in any order (seeded) */
};

/*
 * Simulate power loss on a disk with the "cache" option: what a completed
 * FLUSH covered stays; the rest is handled per @mode. The disk keeps
 * working afterwards (as after a reboot), empty cache. Returns the number
 * of writes that were pending, or -EINVAL (no cache model). Call it with
 * no I/O in flight on @disk.
 */
int hostdisk_power_cut(struct gendisk *disk, enum power_cut_mode mode, u64 seed);

/* Writes held in the modelled cache now (not yet durable). */
unsigned int hostdisk_cached_writes(struct gendisk *disk);

#endif
