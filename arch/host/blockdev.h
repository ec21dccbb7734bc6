/*
 * arch/host/blockdev.h - disks backed by host files, with fault injection.
 *
 * Layer: arch/host (a block driver). Used by: arch/host/main.c (--disk),
 * host-only tests (arch/host/blockdev_test.c), power-cut sweeps.
 * The disk model itself (cache, log, tears, materialise): emudisk.h.
 *
 * Spec of a disk (the --disk option, and hostdisk_create()):
 *   FILE[,opt...]      an existing host file; size from the file
 *   tmp:SIZE[,opt...]  a fresh unlinked temporary file of SIZE bytes
 *                      (K/M/G suffixes), a test disk (serial quire-test-tmp)
 * Options: ro, serial=S, model=M, hwq=N (hw queues), qd=N (depth per
 * queue), lbs=N (logical block size), wce=0|1 (advertise a volatile write
 * cache; default 1), fua=0|1 (honour REQ_FUA; default 0), cache (model the
 * volatile cache: arch/host/emudisk.h; hostdisk_power_cut() then loses
 * what a real disk may lose), record (cache, and keep the whole log for
 * hostdisk_materialise()), seed=N (the disk's own choices: discards, torn
 * and failed writes, completion order in deterministic mode; default from
 * --seed), discard_zeroes (discards always read back zeros), delay_us=N
 * (added per request), fail_write=N (the Nth write fails with -EIO, its
 * range left old, new or torn), torn_write=N (the Nth write lands some of
 * its logical blocks, then fails with -EIO), fail_flush=N (the Nth flush
 * fails with -EIO).
 */
#ifndef ARCH_HOST_BLOCKDEV_H
#define ARCH_HOST_BLOCKDEV_H

#include <quire/blkdev.h>
#include "emudisk.h"

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
	u64 fail_write_nth; /* 0: off; N: the Nth write from now fails
				 * (-EIO), its range left old, new or torn */
	u64 torn_write_nth; /* 0: off; N: the Nth write from now lands
				 * some of its logical blocks (seeded), -EIO */
	u64 fail_flush_nth; /* 0: off; N: the Nth flush fails, -EIO */
	u32 hold_writes;    /* the next N write requests are received
				 * (SUBMITted) but not done until
				 * hostdisk_release_held() */
};

/* Arm (replace) the faults of @disk. Counting restarts. 0 or -EINVAL. */
int hostdisk_set_faults(struct gendisk *disk, const struct hostdisk_faults *f);
/* Let the held writes go on. Returns how many there were. */
unsigned int hostdisk_release_held(struct gendisk *disk);

/*
 * Simulate power loss on a disk with the "cache" option, now, with
 * whatever is in flight (arch/host/emudisk.h: enum emudisk_cut_kind, @arg
 * its count or seed): what was durable stays, the rest is kept or lost as
 * @kind says. The disk keeps working afterwards (as after a reboot), with
 * an empty cache and a new log; requests in flight complete with -EIO.
 * Returns the number of writes that were not durable, or -EINVAL.
 */
int hostdisk_power_cut(struct gendisk *disk, enum emudisk_cut_kind kind, u64 arg);

/* Writes in the modelled cache now (not yet durable). */
unsigned int hostdisk_cached_writes(struct gendisk *disk);

/* The log of a disk with the "record" option (docs/block.md, "the host
 * disk"): events so far; writes a cut after event @n may keep or lose;
 * the image such a cut leaves, written to @out_fd (a file of the caller's,
 * not the disk's). -EINVAL without "record". */
u64 hostdisk_log_events(struct gendisk *disk);
int hostdisk_undecided(struct gendisk *disk, u64 n);
int hostdisk_materialise(struct gendisk *disk, u64 n, enum emudisk_cut_kind kind, u64 arg,
			 int out_fd);
/* The model itself, to read its log (emudisk.h) while @disk is idle. */
const struct emudisk *hostdisk_model(struct gendisk *disk);
/* Print the log, one event a line ("# " comments), to @fd. */
void hostdisk_log_dump(struct gendisk *disk, int fd);

#endif
