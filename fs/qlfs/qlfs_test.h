/*
 * fs/qlfs/qlfs_test.h - helpers of the suites that mount qlfs on a test
 * disk (fs/qlfs/qlfs_test.c: suite `qlfs`; fs/vfs_test.c: `vfs_qlfs`;
 * fs/vfs_model_test.c: the model on qlfs; the qlfs_* suites in fs/qlfs/
 * and arch/host/): pick the disk, make a fresh file system, mount it,
 * find its sb_info, check it with fsck (the independent judge); and the
 * fixture of the power-cut suites that make their own disk.
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
/* qlfs_test_disk() into @d, or the case is skipped (no return). */
void qlfs_test_need_disk(struct ktest *t, struct qlfs_dev *d);
/* That, then a fresh qlfs (qlfs_test_mount_fresh()) mounted at @dir: the
 * case fails (no return) if it cannot. */
void qlfs_test_fresh_mount(struct ktest *t, struct qlfs_dev *d, u32 log_bps,
			   const char *dir);
struct qlfs_sb_info;
struct inode;
/* The qlfs mounted at @path, or the case fails (no return); with @inode,
 * a reference on @path's inode too (the caller iput()s it). */
struct qlfs_sb_info *qlfs_test_sbi(struct ktest *t, const char *path,
				   struct inode **inode);

/* The fixture of a suite whose cases make their own disk (arch/host's
 * power-cut suites: hostdisk_create()) and mount it at one directory. */
struct qlfs_test_mnt {
	struct gendisk *disk; /* the case's own disk, or NULL */
	struct qlfs_dev d;
	bool mounted;
};
/* Suite init: @m zeroed, @dir made (it may exist). 0 or -errno. */
int qlfs_test_mnt_init(struct qlfs_test_mnt *m, const char *dir);
/* Format the case's disk (m->disk, made by the suite) with 2^@log_bps-
 * block segments (0: mkfs picks), its cache flushed. 0 or -errno. */
int qlfs_test_mnt_mkfs(struct qlfs_test_mnt *m, u32 log_bps);
/* Mount it at @dir (m->mounted set). 0 or -errno. */
int qlfs_test_mnt_mount(struct qlfs_test_mnt *m, const char *dir);
/* Suite exit: unmount @dir if mounted, close the device, @put_disk() the
 * disk if there is one, remove @dir. */
void qlfs_test_mnt_exit(struct qlfs_test_mnt *m, const char *dir,
			void (*put_disk)(struct gendisk *disk));

/* mkfs -f with 2^@log_bps-block segments on @d (0: mkfs picks; quiet).
 * 0 or -errno. */
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
