/*
 * fs/setattr_test.c - KTAP suite `setattr`: chmod and utimensat
 * (ksys_chmod(), ksys_utimensat(), fs/open.c) on ramfs and on qlfs.
 *
 * Layer: fs (tests). What qlfs-fuse's chmod and utimens need (cp -a, tar,
 * rsync set modes and times): the type bits kept, UTIME_NOW and UTIME_OMIT
 * as Linux's utimensat(2), AT_SYMLINK_NOFOLLOW setting the link itself,
 * EROFS on a read-only mount, and on qlfs the values still there after a
 * remount (they reach the inode block) with fsck clean.
 */
#include <quire/ktest.h>
#include <quire/syscalls.h>
#include <quire/errno.h>
#include "qlfs/qlfs_test.h"

#define SR	"/setattr_r"	      /* a ramfs */
#define SQ	"/setattr_q"	      /* a qlfs on a test disk */
#define T_ATIME 1000000000123456789LL /* 2001-09-09, with nanoseconds */
#define T_MTIME 1200000000987654321LL

static struct qlfs_dev sq_dev;

static int sr_init(struct ktest *t)
{
	KTEST_ASSERT_EQ(t, ksys_mkdir(SR, 0755), 0);
	KTEST_ASSERT_EQ(t, ksys_mount("none", SR, "ramfs", 0, NULL), 0);
	return 0;
}

static void sr_exit(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, ksys_umount(SR, 0), 0);
	KTEST_EXPECT_EQ(t, ksys_rmdir(SR), 0);
}

static void make_file(struct ktest *t, const char *path)
{
	int fd = ksys_open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);

	KTEST_ASSERT_TRUE(t, fd >= 0);
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
}

static umode_t mode_of(const char *path)
{
	struct kstat st;

	return ksys_lstat(path, &st) ? 0 : st.mode;
}

static void setattr_chmod_keeps_the_type(struct ktest *t)
{
	struct kstat st;
	s64 ctime;

	sr_init(t);
	make_file(t, SR "/f");
	KTEST_ASSERT_EQ(t, ksys_mkdir(SR "/d", 0755), 0);
	KTEST_ASSERT_EQ(t, ksys_lstat(SR "/f", &st), 0);
	ctime = st.ctime_ns;
	KTEST_EXPECT_EQ(t, ksys_chmod(SR "/f", 0640), 0);
	KTEST_EXPECT_EQ(t, mode_of(SR "/f"), S_IFREG | 0640);
	KTEST_ASSERT_EQ(t, ksys_lstat(SR "/f", &st), 0);
	KTEST_EXPECT_GE(t, st.ctime_ns, ctime);
	/* Bits beyond 07777 (a type) are ignored, as chmod(2) does. */
	KTEST_EXPECT_EQ(t, ksys_chmod(SR "/d", S_IFREG | 04700), 0);
	KTEST_EXPECT_EQ(t, mode_of(SR "/d"), S_IFDIR | 04700);
	KTEST_EXPECT_EQ(t, ksys_chmod(SR "/none", 0600), -ENOENT);
	sr_exit(t);
}

static void setattr_utimensat_sets_omits_and_takes_now(struct ktest *t)
{
	s64 times[2] = {T_ATIME, UTIME_OMIT};
	struct kstat st, before;

	sr_init(t);
	make_file(t, SR "/f");
	KTEST_ASSERT_EQ(t, ksys_lstat(SR "/f", &before), 0);
	KTEST_EXPECT_EQ(t, ksys_utimensat(SR "/f", times, 0), 0);
	KTEST_ASSERT_EQ(t, ksys_lstat(SR "/f", &st), 0);
	KTEST_EXPECT_EQ(t, st.atime_ns, T_ATIME);
	KTEST_EXPECT_EQ(t, st.mtime_ns, before.mtime_ns); /* omitted */
	times[0] = UTIME_OMIT;
	times[1] = T_MTIME;
	KTEST_EXPECT_EQ(t, ksys_utimensat(SR "/f", times, 0), 0);
	KTEST_ASSERT_EQ(t, ksys_lstat(SR "/f", &st), 0);
	KTEST_EXPECT_EQ(t, st.atime_ns, T_ATIME);
	KTEST_EXPECT_EQ(t, st.mtime_ns, T_MTIME);
	/* Both omitted: nothing changes, not even ctime. */
	before = st;
	times[1] = UTIME_OMIT;
	KTEST_EXPECT_EQ(t, ksys_utimensat(SR "/f", times, 0), 0);
	KTEST_ASSERT_EQ(t, ksys_lstat(SR "/f", &st), 0);
	KTEST_EXPECT_EQ(t, st.ctime_ns, before.ctime_ns);
	/* NULL: both now (the clock is not before the values set above). */
	KTEST_EXPECT_EQ(t, ksys_utimensat(SR "/f", NULL, 0), 0);
	KTEST_ASSERT_EQ(t, ksys_lstat(SR "/f", &st), 0);
	KTEST_EXPECT_NE(t, st.atime_ns, T_ATIME);
	KTEST_EXPECT_NE(t, st.mtime_ns, T_MTIME);
	KTEST_EXPECT_EQ(t, st.atime_ns, st.mtime_ns);
	KTEST_EXPECT_EQ(t, ksys_utimensat(SR "/f", NULL, 0x1), -EINVAL);
	sr_exit(t);
}

static void setattr_utimensat_nofollow_sets_the_link(struct ktest *t)
{
	s64 times[2] = {T_ATIME, T_MTIME};
	struct kstat link, target;

	sr_init(t);
	make_file(t, SR "/f");
	KTEST_ASSERT_EQ(t, ksys_symlink("f", SR "/l"), 0);
	KTEST_EXPECT_EQ(t, ksys_utimensat(SR "/l", times, AT_SYMLINK_NOFOLLOW), 0);
	KTEST_ASSERT_EQ(t, ksys_lstat(SR "/l", &link), 0);
	KTEST_ASSERT_EQ(t, ksys_lstat(SR "/f", &target), 0);
	KTEST_EXPECT_EQ(t, link.mtime_ns, T_MTIME);
	KTEST_EXPECT_NE(t, target.mtime_ns, T_MTIME);
	KTEST_EXPECT_EQ(t, ksys_utimensat(SR "/l", times, 0), 0); /* follows */
	KTEST_ASSERT_EQ(t, ksys_lstat(SR "/f", &target), 0);
	KTEST_EXPECT_EQ(t, target.mtime_ns, T_MTIME);
	sr_exit(t);
}

static void sq_mount(struct ktest *t)
{
	if (qlfs_test_disk(&sq_dev))
		ktest_skip(
			t,
			"no writable test disk of 32 MiB or more (serial quire-test*)");
	KTEST_ASSERT_EQ(
		t, qlfs_test_mount_fresh(&sq_dev, QLFS_MIN_LOG_BLOCKS_PER_SEG, SQ), 0);
}

static void sq_umount(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, ksys_umount(SQ, 0), 0);
	KTEST_EXPECT_EQ(t, qlfs_test_fsck(&sq_dev), 0);
	KTEST_EXPECT_EQ(t, ksys_rmdir(SQ), 0);
	qlfs_dev_close(&sq_dev);
}

/* qlfs_setattr() writes mode and times to the inode block. */
static void setattr_qlfs_keeps_mode_and_times_across_a_remount(struct ktest *t)
{
	s64 times[2] = {T_ATIME, T_MTIME};
	struct kstat st;

	sq_mount(t);
	make_file(t, SQ "/f");
	KTEST_ASSERT_EQ(t, ksys_mkdir(SQ "/d", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_chmod(SQ "/f", 0600), 0);
	KTEST_EXPECT_EQ(t, ksys_chmod(SQ "/d", 0711), 0);
	KTEST_EXPECT_EQ(t, ksys_utimensat(SQ "/f", times, 0), 0);
	KTEST_EXPECT_EQ(t, ksys_utimensat(SQ "/d", times, 0), 0);
	KTEST_ASSERT_EQ(t, qlfs_test_remount(&sq_dev, SQ), 0);
	KTEST_EXPECT_EQ(t, mode_of(SQ "/f"), S_IFREG | 0600);
	KTEST_EXPECT_EQ(t, mode_of(SQ "/d"), S_IFDIR | 0711);
	KTEST_ASSERT_EQ(t, ksys_lstat(SQ "/f", &st), 0);
	KTEST_EXPECT_EQ(t, st.atime_ns, T_ATIME);
	KTEST_EXPECT_EQ(t, st.mtime_ns, T_MTIME);
	KTEST_ASSERT_EQ(t, ksys_lstat(SQ "/d", &st), 0);
	KTEST_EXPECT_EQ(t, st.mtime_ns, T_MTIME);
	/* Read-only: refused, nothing changed. */
	KTEST_ASSERT_EQ(t, ksys_umount(SQ, 0), 0);
	KTEST_ASSERT_EQ(
		t, ksys_mount(sq_dev.disk->disk_name, SQ, "qlfs", MS_RDONLY, NULL), 0);
	KTEST_EXPECT_EQ(t, ksys_chmod(SQ "/f", 0644), -EROFS);
	KTEST_EXPECT_EQ(t, ksys_utimensat(SQ "/f", NULL, 0), -EROFS);
	KTEST_EXPECT_EQ(t, mode_of(SQ "/f"), S_IFREG | 0600);
	sq_umount(t);
}

static struct ktest_case setattr_cases[] = {
	KTEST_CASE(setattr_chmod_keeps_the_type),
	KTEST_CASE(setattr_utimensat_sets_omits_and_takes_now),
	KTEST_CASE(setattr_utimensat_nofollow_sets_the_link),
	KTEST_CASE(setattr_qlfs_keeps_mode_and_times_across_a_remount),
	KTEST_END,
};

static const struct ktest_suite setattr_suite = {
	.name = "setattr",
	.cases = setattr_cases,
};
KTEST_SUITE(setattr_suite);
