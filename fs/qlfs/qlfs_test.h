/*
 * fs/qlfs/qlfs_test.h - helpers of the suites that mount qlfs on a test
 * disk (fs/qlfs/qlfs_test.c: suite `qlfs`; fs/vfs_test.c: `vfs_qlfs`;
 * fs/vfs_model_test.c: the model on qlfs): pick the disk, make a fresh
 * file system, mount it, check it with fsck (the independent judge).
 */
#ifndef FS_QLFS_QLFS_TEST_H
#define FS_QLFS_QLFS_TEST_H

#include <quire/ktest.h>
#include "qlfs.h"

#define QLFS_TEST_MIN_BYTES (32u << 20)
#define QLFS_TEST_TIME	    1000000000ULL /* mkfs -T: 2001-09-09 */

/* The first writable test disk (serial quire-test*) of 32 MiB or more,
 * opened in @d: 0, or -ENODEV when there is none. */
int qlfs_test_disk(struct qlfs_dev *d);
/* Is @d one of quire-host's memory disks (serial quire-test-tmp*)? The
 * big workloads (100 000 names, the long model run) run there only: in
 * QEMU without KVM they would take minutes (the kernel jobs declare
 * their skips). */
bool qlfs_test_disk_is_fast(const struct qlfs_dev *d);
/* @full, or @small where the big single-threaded workloads would only cost
 * time: under ThreadSanitizer (every lock instrumented: 100 000 names take
 * six minutes) and with scheduling points on (the stress-det-all jobs,
 * which interleave CPUs that these cases do not use). */
u32 qlfs_test_scale(u32 full, u32 small);
/* mkfs -f with 2^@log_bps-block segments on @d (quiet). 0 or -errno. */
int qlfs_test_mkfs(struct qlfs_dev *d, u32 log_bps);
/* fsck -n of @d: its problems printed as KTAP diagnostics ("# ..."), the
 * count returned (0: clean); -errno when it could not check. */
int qlfs_test_fsck(struct qlfs_dev *d);
/* mkfs @d, make @dir and mount it there. 0 or -errno. */
int qlfs_test_mount_fresh(struct qlfs_dev *d, u32 log_bps, const char *dir);
/* Unmount @dir and mount @d there again (a checkpoint, then everything
 * read back from the disk). 0 or -errno. */
int qlfs_test_remount(struct qlfs_dev *d, const char *dir);

#endif
