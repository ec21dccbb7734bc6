/*
 * arch/host/qlfs_fuzz.h - the hostile-image runner: one qlfs image
 * through fsck, mount, a walk, a few writes, umount and fsck again
 * (docs/qlfs-fuzz.md).
 *
 * Layer: arch/host. Used by: suite qlfs_fuzz (arch/host/qlfs_fuzz_test.c)
 * and the libFuzzer target (arch/host/tools/qlfs_fuzz_main.c).
 * Provides: qfz_make_base(), qfz_run_image(), qfz_save_image().
 *
 * Invariants (what a run checks; docs/qlfs-fuzz.md "What counts as a
 * failure"):
 *  QF1: nothing crashes, hangs or makes a sanitizer report (the process
 *       itself is the check: ASan/UBSan abort it, tests/run's idle timer
 *       and libFuzzer's -timeout catch a hang).
 *  QF2: no WARN_ON() fires: a hostile image is an error, not a kernel bug.
 *  QF3: an image that fsck -n finds clean mounts, and stays clean
 *       through the walk, the writes and umount (fsck and the mount
 *       agree on what a valid image is).
 *  QF4: fsck -y that says it repaired everything (status 0 or 1) leaves
 *       an image a second fsck -n finds clean.
 *  QF5: every fsck status is one of 0, 1, 4, 8 (e2fsck's), umount of a
 *       mount that succeeded succeeds.
 *  QF6: an image fsck -y repaired (a clean fsck -n after it) mounts, and
 *       is still clean after the walk, the writes and umount.
 *
 * Locking: none; one run at a time (the mount point is fixed).
 * Context: process (a kernel thread or the shell), sleeps.
 */
#ifndef ARCH_HOST_QLFS_FUZZ_H
#define ARCH_HOST_QLFS_FUZZ_H

#include <quire/types.h>

#define QFZ_BASE_BYTES	 (8u << 20) /* the base image: 8 MiB, 64 KiB segments */
#define QFZ_BASE_LOG_BPS 4

struct qfz_report {
	int fsck_before;   /* fsck -n of the image as given */
	u32 broken_before; /* ... the invariants it found broken (bit n: QLn) */
	int mount;	   /* 0 or the mount's -errno */
	int fsck_after;	   /* fsck -n after umount */
	int fsck_repair;   /* fsck -y */
	int fsck_second;   /* fsck -n after -y */
	u32 left_broken;   /* -y: invariants still broken (bit n: QLn; bit 0: status 8) */
	const char *uncorrectable; /* -y: why it declared the rest beyond repair */
	u32 walked, read_blocks, writes_ok;
	bool failed;   /* one of QF2..QF5 broken */
	char why[256]; /* which, when failed */
};

/* Options of one run (the negative control's sabotage). */
struct qfz_opts {
	bool repair;	  /* run fsck -y and the second -n (QF4) */
	bool sabotage;	  /* after umount, zero the newest checkpoint's
			   * header on the disk: QF3 must catch it */
	const char *dump; /* save the image as fsck -y gets it (after the
			   * mount's writes) to this host file, or NULL */
};

/*
 * Make the base image (QFZ_BASE_BYTES, 64 KiB segments): a populated
 * qlfs stopped as by a power cut (an orphan, files to roll forward),
 * into a buffer from malloc(). 0 or -errno.
 */
int qfz_make_base(u8 **img, u64 *size);

/* Run @img (@size bytes, a copy is made) through one check: fills @r.
 * Returns 0, or -errno when the runner itself could not work (no disk,
 * no memory): that is not the image's fault. */
int qfz_run_image(const u8 *img, u64 size, const struct qfz_opts *o,
		  struct qfz_report *r);

/* Image buffers (host memory: images are too big for kmalloc). */
u8 *qfz_host_alloc(u64 size);
void qfz_host_free(u8 *p);

/* Write @img to the host file @path. 0 or -errno. */
int qfz_save_image(const char *path, const u8 *img, u64 size);
/* Read the host file @path into a buffer from malloc(). 0 or -errno. */
int qfz_load_image(const char *path, u8 **img, u64 *size);

#endif
