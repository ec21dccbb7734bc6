/*
 * fs/vfs_posix_cases.h - the POSIX cases of the vfs suites: what any
 * POSIX file system must answer through the ksys_* calls, and nothing of
 * the kernel's own state.
 *
 * Not a normal header: its cases are the text of two runners, included
 * once by each after its own declarations (as Linux's mballoc.c includes
 * mballoc-test.c):
 *  - fs/vfs_test.c: suites vfs and vfs_qlfs, on Quire's VFS;
 *  - arch/host/tools/vfs_fuse_test.c: suite vfs_fuse, the same cases by
 *    libc calls on a qlfs-fuse mount (arch/host/tools/vfs_libc.h maps
 *    ksys_* to open(2) ... returning -errno).
 * The includer provides the ktest API (KTEST_EXPECT_*, KTEST_ASSERT_*),
 * the ksys_* calls, kmalloc()/kfree(), the string functions, and the
 * fixture of fs/vfs_test.h (VT the working directory, a fresh file system
 * of its own for each case; vt_open(), vt_write_file() ...).
 *
 * The cases that look at Quire's own state (its dentries, its mount
 * table, its page cache) stay in fs/vfs_test.c; docs/qlfs.md lists them
 * and every case whose answer differs through FUSE.
 *
 * The case lists, in the suites' order: VFS_POSIX_CASES_OPEN (open ...
 * stat), VFS_POSIX_CASES_UNLINK (mkdir ... unlink), VFS_POSIX_CASES_NAMES
 * (rename ... getdents64); statfs_then_fsync_a_file() and
 * fsync_the_directory() are for each runner's own statfs case.
 */
#ifndef FS_VFS_POSIX_CASES_H
#define FS_VFS_POSIX_CASES_H

/* ---- open, read, write ---- */

static void open_creat_write_read_back(struct ktest *t)
{
	char buf[32];
	int fd = vt_open(t, "f", O_CREAT | O_RDWR, 0644);

	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_write(fd, "hello world", 11), 11);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 0, SEEK_SET), 0);
	KTEST_EXPECT_EQ(t, ksys_read(fd, buf, sizeof(buf)), 11);
	KTEST_EXPECT_EQ(t, memcmp(buf, "hello world", 11), 0);
	KTEST_EXPECT_EQ(t, ksys_read(fd, buf, sizeof(buf)), 0); /* EOF */
	vt_close(t, fd);
	KTEST_EXPECT_EQ(t, vt_read_file("/vt/f", buf, sizeof(buf)), 11);
	KTEST_EXPECT_EQ(t, strcmp(buf, "hello world"), 0);
}

static void open_flags_errors(struct ktest *t)
{
	int fd;

	KTEST_EXPECT_EQ(t, vt_write_file("f", "x"), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_open("f", O_CREAT | O_EXCL | O_RDWR, 0644), -EEXIST);
	KTEST_EXPECT_EQ(t, ksys_open("d", O_CREAT | O_EXCL | O_RDWR, 0644), -EEXIST);
	KTEST_EXPECT_EQ(t, ksys_open("f", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_open("d", O_WRONLY, 0), -EISDIR);
	KTEST_EXPECT_EQ(t, ksys_open("d", O_RDWR, 0), -EISDIR);
	KTEST_EXPECT_EQ(t, ksys_open("d", O_CREAT | O_RDONLY, 0644), -EISDIR);
	KTEST_EXPECT_EQ(t, ksys_open("missing", O_RDONLY, 0), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_open("nodir/x", O_CREAT | O_RDWR, 0644), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_open("f/x", O_RDONLY, 0), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_open("f/", O_RDONLY, 0), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_open("new/", O_CREAT | O_RDWR, 0644), -EISDIR);
	KTEST_EXPECT_EQ(t, ksys_open("d", O_CREAT | O_DIRECTORY, 0644), -EINVAL);
	KTEST_EXPECT_EQ(t, ksys_open("", O_RDONLY, 0), -ENOENT);
	KTEST_EXPECT_FALSE(t, vt_exists("new"));
	/* A directory opens read-only; reading it is EISDIR. */
	fd = vt_open(t, "d", O_RDONLY | O_DIRECTORY, 0);
	KTEST_ASSERT_GE(t, fd, 0);
	{
		char c;

		KTEST_EXPECT_EQ(t, ksys_read(fd, &c, 1), -EISDIR);
		KTEST_EXPECT_EQ(t, ksys_write(fd, &c, 1), -EBADF);
	}
	vt_close(t, fd);
}

static void read_write_need_the_right_mode(struct ktest *t)
{
	char c = 'x';
	int ro, wo;

	KTEST_EXPECT_EQ(t, vt_write_file("f", "abc"), 0);
	ro = vt_open(t, "f", O_RDONLY, 0);
	wo = vt_open(t, "f", O_WRONLY, 0);
	KTEST_ASSERT_GE(t, ro, 0);
	KTEST_ASSERT_GE(t, wo, 0);
	KTEST_EXPECT_EQ(t, ksys_write(ro, &c, 1), -EBADF);
	KTEST_EXPECT_EQ(t, ksys_read(wo, &c, 1), -EBADF);
	KTEST_EXPECT_EQ(t, ksys_pwrite64(ro, &c, 1, 0), -EBADF);
	KTEST_EXPECT_EQ(t, ksys_pread64(wo, &c, 1, 0), -EBADF);
	vt_close(t, ro);
	vt_close(t, wo);
}

static void bad_descriptors_are_ebadf(struct ktest *t)
{
	struct kstat st;
	char c;
	int fd;

	fd = vt_open(t, "f", O_CREAT | O_RDWR, 0644);
	KTEST_ASSERT_GE(t, fd, 0);
	vt_close(t, fd);
	for (int i = 0; i < 3; i++) {
		int bad = i == 0 ? -1 : i == 1 ? NR_OPEN_DEFAULT : fd;

		KTEST_EXPECT_EQ(t, ksys_read(bad, &c, 1), -EBADF);
		KTEST_EXPECT_EQ(t, ksys_write(bad, &c, 1), -EBADF);
		KTEST_EXPECT_EQ(t, ksys_lseek(bad, 0, SEEK_SET), -EBADF);
		KTEST_EXPECT_EQ(t, ksys_fstat(bad, &st), -EBADF);
		KTEST_EXPECT_EQ(t, ksys_fsync(bad), -EBADF);
		KTEST_EXPECT_EQ(t, ksys_ftruncate(bad, 0), -EBADF);
		KTEST_EXPECT_EQ(t, ksys_getdents64(bad, &st, sizeof(st)), -EBADF);
		KTEST_EXPECT_EQ(t, ksys_close(bad), -EBADF);
	}
}

static void lowest_descriptor_and_emfile(struct ktest *t)
{
	int *fds = kmalloc((NR_OPEN_DEFAULT + 1) * sizeof(int), GFP_KERNEL);
	int n = 0, fd, err = 0;

	KTEST_ASSERT_NOT_NULL(t, fds);
	KTEST_EXPECT_EQ(t, vt_write_file("f", "x"), 0);
	while (n <= NR_OPEN_DEFAULT) {
		fd = ksys_open("f", O_RDONLY, 0);
		if (fd < 0) {
			err = fd;
			break;
		}
		fds[n++] = fd;
	}
	KTEST_EXPECT_EQ(t, err, -EMFILE);
	KTEST_EXPECT_GT(t, n, 0);
	if (n > 1) {
		/* POSIX: the lowest free descriptor comes back. */
		int lowest = fds[0] < fds[1] ? fds[0] : fds[1];

		KTEST_EXPECT_EQ(t, ksys_close(lowest), 0);
		fd = ksys_open("f", O_RDONLY, 0);
		KTEST_EXPECT_EQ(t, fd, lowest);
		if (fds[0] == lowest)
			fds[0] = fd;
		else
			fds[1] = fd;
	}
	for (int i = 0; i < n; i++)
		ksys_close(fds[i]);
	kfree(fds);
}

static void names_and_paths_too_long(struct ktest *t)
{
	char *p = kmalloc(PATH_MAX + 2, GFP_KERNEL);

	KTEST_ASSERT_NOT_NULL(t, p);
	memset(p, 'a', NAME_MAX + 1);
	p[NAME_MAX + 1] = '\0';
	KTEST_EXPECT_EQ(t, ksys_open(p, O_CREAT | O_RDWR, 0644), -ENAMETOOLONG);
	KTEST_EXPECT_EQ(t, ksys_mkdir(p, 0755), -ENAMETOOLONG);
	p[NAME_MAX] = '\0'; /* exactly NAME_MAX: fine */
	KTEST_EXPECT_EQ(t, ksys_mkdir(p, 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_rmdir(p), 0);
	/* A path of PATH_MAX bytes (no room for its NUL). */
	for (int i = 0; i < PATH_MAX; i++)
		p[i] = i % 2 ? '/' : '.';
	p[PATH_MAX] = '\0';
	KTEST_EXPECT_EQ(t, ksys_open(p, O_RDONLY, 0), -ENAMETOOLONG);
	p[PATH_MAX - 2] = '\0'; /* "./././..." short enough: the cwd */
	{
		struct kstat st;

		KTEST_EXPECT_EQ(t, ksys_stat(p, &st), 0);
		KTEST_EXPECT_TRUE(t, S_ISDIR(st.mode));
	}
	/*
	 * Only a name really looked up is too long (Linux checks it in
	 * ->lookup): a missing directory or a file earlier in the path, or a
	 * missing rename source, wins (found by vfs_model, det seeds 1, 3).
	 */
	{
		struct kstat st;
		char *longname = p + 16;
		int fd;

		memset(longname, 'x', NAME_MAX + 1);
		longname[NAME_MAX + 1] = '\0';
		memcpy(p + 8, "missing/", 8);
		KTEST_EXPECT_EQ(t, ksys_stat(p + 8, &st), -ENOENT);
		fd = ksys_open("f", O_CREAT | O_RDWR, 0644);
		KTEST_EXPECT_GE(t, fd, 0);
		ksys_close(fd);
		memcpy(p + 14, "f/", 2);
		KTEST_EXPECT_EQ(t, ksys_stat(p + 14, &st), -ENOTDIR);
		KTEST_EXPECT_EQ(t, ksys_rename("missing", longname, 0), -ENOENT);
		KTEST_EXPECT_EQ(t, ksys_rename("f", longname, 0), -ENAMETOOLONG);
		KTEST_EXPECT_EQ(t, ksys_unlink("f"), 0);
	}
	kfree(p);
}

static void pread_pwrite_and_append(struct ktest *t)
{
	char buf[16] = {0};
	int fd = vt_open(t, "f", O_CREAT | O_RDWR, 0644);
	struct kstat st;

	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_pwrite64(fd, "xy", 2, 8190), 2); /* over a page edge */
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 0, SEEK_CUR), 0);	 /* f_pos untouched */
	KTEST_EXPECT_EQ(t, ksys_fstat(fd, &st), 0);
	KTEST_EXPECT_EQ(t, st.size, 8192);
	KTEST_EXPECT_EQ(t, ksys_pread64(fd, buf, 4, 8188), 4);
	KTEST_EXPECT_EQ(t, memcmp(buf, "\0\0xy", 4), 0); /* the hole reads zeros */
	KTEST_EXPECT_EQ(t, ksys_pread64(fd, buf, 4, 9000), 0);
	KTEST_EXPECT_EQ(t, ksys_pread64(fd, buf, 4, -1), -EINVAL);
	KTEST_EXPECT_EQ(t, ksys_pwrite64(fd, buf, 4, -1), -EINVAL);
	vt_close(t, fd);

	fd = vt_open(t, "f", O_WRONLY | O_APPEND, 0);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 0, SEEK_SET), 0);
	KTEST_EXPECT_EQ(t, ksys_write(fd, "ab", 2), 2); /* at the end anyway */
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 0, SEEK_CUR), 8194);
	KTEST_EXPECT_EQ(t, ksys_pwrite64(fd, "cd", 2, 0), 2); /* Linux: appends */
	KTEST_EXPECT_EQ(t, ksys_fstat(fd, &st), 0);
	KTEST_EXPECT_EQ(t, st.size, 8196);
	vt_close(t, fd);
	fd = vt_open(t, "f", O_RDONLY, 0);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_pread64(fd, buf, 16, 8190), 6);
	KTEST_EXPECT_EQ(t, memcmp(buf, "xyabcd", 6), 0);
	vt_close(t, fd);
}

static void lseek_whence_and_data_hole(struct ktest *t)
{
	int fd = vt_open(t, "f", O_CREAT | O_RDWR, 0644);

	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_write(fd, "0123456789", 10), 10);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 3, SEEK_SET), 3);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 2, SEEK_CUR), 5);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, -1, SEEK_END), 9);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 100, SEEK_END), 110); /* past EOF is fine */
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, -1, SEEK_SET), -EINVAL);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, -11, SEEK_END), -EINVAL);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 0, 99), -EINVAL);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, LLONG_MAX, SEEK_END), -EINVAL); /* overflow */
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 0, SEEK_CUR), 110); /* unchanged by errors */
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 4, SEEK_DATA), 4);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 4, SEEK_HOLE), 10);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 10, SEEK_DATA), -ENXIO);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 10, SEEK_HOLE), -ENXIO);
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, -1, SEEK_DATA), -ENXIO);
	vt_close(t, fd);
}

/* ---- truncate ---- */

static void truncate_shrinks_grows_and_checks(struct ktest *t)
{
	char buf[16];
	struct kstat st;
	int fd, ro;

	KTEST_EXPECT_EQ(t, vt_write_file("f", "0123456789"), 0);
	KTEST_EXPECT_EQ(t, ksys_truncate("f", 4), 0);
	KTEST_EXPECT_EQ(t, vt_read_file("f", buf, sizeof(buf)), 4);
	KTEST_EXPECT_EQ(t, strcmp(buf, "0123"), 0);
	KTEST_EXPECT_EQ(t, ksys_truncate("f", 8), 0); /* grows with zeros */
	KTEST_EXPECT_EQ(t, vt_read_file("f", buf, sizeof(buf)), 8);
	KTEST_EXPECT_EQ(t, memcmp(buf, "0123\0\0\0\0", 8), 0);
	fd = vt_open(t, "f", O_RDWR, 0);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_ftruncate(fd, 0), 0);
	KTEST_EXPECT_EQ(t, ksys_fstat(fd, &st), 0);
	KTEST_EXPECT_EQ(t, st.size, 0);
	KTEST_EXPECT_EQ(t, st.blocks, vt_on_qlfs() ? PAGE_SIZE / 512 : 0); /* the inode */
	KTEST_EXPECT_EQ(t, ksys_ftruncate(fd, -1), -EINVAL);
	vt_close(t, fd);
	ro = vt_open(t, "f", O_RDONLY, 0);
	KTEST_ASSERT_GE(t, ro, 0);
	KTEST_EXPECT_EQ(t, ksys_ftruncate(ro, 0), -EINVAL);
	vt_close(t, ro);
	KTEST_EXPECT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_truncate("d", 0), -EISDIR);
	KTEST_EXPECT_EQ(t, ksys_truncate("f", -1), -EINVAL);
	KTEST_EXPECT_EQ(t, ksys_truncate("missing", 0), -ENOENT);
	/* O_TRUNC empties an existing file. */
	KTEST_EXPECT_EQ(t, vt_write_file("f", "abc"), 0);
	fd = vt_open(t, "f", O_WRONLY | O_TRUNC, 0);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_fstat(fd, &st), 0);
	KTEST_EXPECT_EQ(t, st.size, 0);
	vt_close(t, fd);
}

/* ---- stat, statfs, fsync ---- */

static void stat_reports_type_size_links(struct ktest *t)
{
	struct kstat st, st2;
	int fd;

	KTEST_EXPECT_EQ(t, vt_write_file("f", "12345"), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("f", &st), 0);
	KTEST_EXPECT_TRUE(t, S_ISREG(st.mode));
	KTEST_EXPECT_EQ(t, st.size, 5);
	KTEST_EXPECT_EQ(t, st.nlink, 1);
	/* qlfs: the data block and the inode's own (docs/qlfs-format.md) */
	KTEST_EXPECT_EQ(t, st.blocks, (vt_on_qlfs() ? 2 : 1) * PAGE_SIZE / 512);
	KTEST_EXPECT_EQ(t, st.blksize, PAGE_SIZE);
	KTEST_EXPECT_NE(t, st.dev, 0);
	fd = vt_open(t, "f", O_RDONLY, 0);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_fstat(fd, &st2), 0);
	KTEST_EXPECT_EQ(t, st2.ino, st.ino);
	KTEST_EXPECT_EQ(t, st2.dev, st.dev);
	vt_close(t, fd);
	KTEST_EXPECT_EQ(t, ksys_stat(".", &st), 0);
	KTEST_EXPECT_TRUE(t, S_ISDIR(st.mode));
	KTEST_EXPECT_EQ(t, st.nlink, 2);
	KTEST_EXPECT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_stat(".", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 3); /* d's ".." */
	KTEST_EXPECT_EQ(t, ksys_stat("missing", &st), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_stat("f/", &st), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_stat("d/", &st), 0);
	/* Another mount has another device number. */
	KTEST_EXPECT_EQ(t, ksys_stat("/", &st2), 0);
	KTEST_EXPECT_NE(t, st2.dev, st.dev);
}

/* Both file systems: statfs of "." into @sf names @magic; a new file "f"
 * of one byte takes fsync and fdatasync. */
static void statfs_then_fsync_a_file(struct ktest *t, unsigned long magic,
				     struct kstatfs *sf)
{
	int fd;

	KTEST_EXPECT_EQ(t, ksys_statfs(".", sf), 0);
	KTEST_EXPECT_EQ(t, sf->f_type, magic);
	KTEST_EXPECT_EQ(t, sf->f_namelen, NAME_MAX);
	KTEST_EXPECT_EQ(t, sf->f_bsize, PAGE_SIZE);
	fd = vt_open(t, "f", O_CREAT | O_RDWR, 0644);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_write(fd, "x", 1), 1);
	KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
	KTEST_EXPECT_EQ(t, ksys_fdatasync(fd), 0);
	vt_close(t, fd);
}

/* fsync of the working directory. */
static void fsync_the_directory(struct ktest *t)
{
	int fd = vt_open(t, ".", O_RDONLY, 0);

	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
	vt_close(t, fd);
}

/* ---- mkdir, rmdir, unlink ---- */

static void mkdir_rmdir_errors(struct ktest *t)
{
	struct kstat st;

	KTEST_EXPECT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("d", 0755), -EEXIST);
	KTEST_EXPECT_EQ(t, ksys_mkdir(".", 0755), -EEXIST);
	KTEST_EXPECT_EQ(t, ksys_mkdir("/", 0755), -EEXIST);
	KTEST_EXPECT_EQ(t, ksys_mkdir("x/y", 0755), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_mkdir("e/", 0755), 0); /* a trailing slash is fine */
	KTEST_EXPECT_EQ(t, ksys_mkdir("d/sub", 0755), 0);
	KTEST_EXPECT_EQ(t, vt_write_file("f", "x"), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("f/x", 0755), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_rmdir("d"), -ENOTEMPTY);
	KTEST_EXPECT_EQ(t, ksys_rmdir("d/sub/."), -EINVAL);
	KTEST_EXPECT_EQ(t, ksys_rmdir("d/sub/.."), -ENOTEMPTY);
	KTEST_EXPECT_EQ(t, ksys_rmdir("/"), -EBUSY);
	KTEST_EXPECT_EQ(t, ksys_rmdir("f"), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_rmdir("missing"), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_rmdir(VT), -EBUSY); /* a mount point */
	KTEST_EXPECT_EQ(t, ksys_rmdir("d/sub/"), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("d", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 2);
	KTEST_EXPECT_EQ(t, ksys_rmdir("d"), 0);
	KTEST_EXPECT_EQ(t, ksys_rmdir("e"), 0);
	KTEST_EXPECT_EQ(t, ksys_stat(".", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 2);
	KTEST_EXPECT_FALSE(t, vt_exists("d"));
}

static void unlink_errors(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_EXPECT_EQ(t, vt_write_file("f", "x"), 0);
	KTEST_EXPECT_EQ(t, ksys_unlink("d"), -EISDIR);
	KTEST_EXPECT_EQ(t, ksys_unlink("d/"), -EISDIR);
	KTEST_EXPECT_EQ(t, ksys_unlink("."), -EISDIR);
	KTEST_EXPECT_EQ(t, ksys_unlink("/"), -EISDIR);
	KTEST_EXPECT_EQ(t, ksys_unlink("f/"), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_unlink("missing"), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_unlink("f/x"), -ENOTDIR);
	KTEST_EXPECT_TRUE(t, vt_exists("f"));
	KTEST_EXPECT_EQ(t, ksys_unlink("f"), 0);
	KTEST_EXPECT_FALSE(t, vt_exists("f"));
	KTEST_EXPECT_EQ(t, ksys_unlink("f"), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_rmdir("d"), 0);
}

/* ---- rename ---- */

static void rename_files_and_dirs(struct ktest *t)
{
	char buf[8];
	struct kstat st;

	KTEST_EXPECT_EQ(t, vt_write_file("a", "A"), 0);
	KTEST_EXPECT_EQ(t, vt_write_file("b", "B"), 0);
	KTEST_EXPECT_EQ(t, ksys_rename("a", "b", 0), 0); /* replaces */
	KTEST_EXPECT_FALSE(t, vt_exists("a"));
	KTEST_EXPECT_EQ(t, vt_read_file("b", buf, sizeof(buf)), 1);
	KTEST_EXPECT_EQ(t, buf[0], 'A');
	KTEST_EXPECT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("e", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_rename("b", "d/b", 0), 0); /* across directories */
	KTEST_EXPECT_TRUE(t, vt_exists("d/b"));
	KTEST_EXPECT_EQ(t, ksys_rename("d", "e/d", 0), 0); /* a directory */
	KTEST_EXPECT_TRUE(t, vt_exists("e/d/b"));
	KTEST_EXPECT_EQ(t, ksys_stat("e", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 3);
	KTEST_EXPECT_EQ(t, ksys_stat(".", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 3); /* ".", e's "..", and its own name */
	KTEST_EXPECT_EQ(t, ksys_mkdir("empty", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_rename("e/d", "empty", 0), 0); /* over an empty dir */
	KTEST_EXPECT_TRUE(t, vt_exists("empty/b"));
	KTEST_EXPECT_FALSE(t, vt_exists("e/d"));
	KTEST_EXPECT_EQ(t, ksys_rename("empty/b", "empty/b", 0), 0); /* itself */
	KTEST_EXPECT_EQ(t, ksys_rename("empty/b", "empty/c/", 0), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_rename("empty/b/", "empty/c", 0), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_rename("empty/", "moved/", 0), 0);
	KTEST_EXPECT_TRUE(t, vt_exists("moved/b"));
}

static void rename_errors(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("d/sub", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("full", 0755), 0);
	KTEST_EXPECT_EQ(t, vt_write_file("full/x", "x"), 0);
	KTEST_EXPECT_EQ(t, vt_write_file("f", "x"), 0);
	KTEST_EXPECT_EQ(t, vt_write_file("g", "y"), 0);
	KTEST_EXPECT_EQ(t, ksys_rename("d", "d/sub/d2", 0), -EINVAL); /* own subtree */
	KTEST_EXPECT_EQ(t, ksys_rename("d", "d/d2", 0), -EINVAL);
	KTEST_EXPECT_EQ(t, ksys_rename("d/sub", "d", 0), -ENOTEMPTY); /* its ancestor */
	KTEST_EXPECT_EQ(t, ksys_rename("d", "full", 0), -ENOTEMPTY);
	KTEST_EXPECT_EQ(t, ksys_rename("d", "f", 0), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_rename("f", "d", 0), -EISDIR);
	KTEST_EXPECT_EQ(t, ksys_rename("f", "g", RENAME_NOREPLACE), -EEXIST);
	KTEST_EXPECT_EQ(t, ksys_rename("f", ".", RENAME_NOREPLACE), -EEXIST);
	KTEST_EXPECT_EQ(t, ksys_rename("missing", "h", 0), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_rename("f", "nodir/h", 0), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_rename(".", "h", 0), -EBUSY);
	KTEST_EXPECT_EQ(t, ksys_rename("f", "..", 0), -EBUSY);
	KTEST_EXPECT_EQ(t, ksys_rename("f", "h", 4), -EINVAL);
	KTEST_EXPECT_EQ(t, ksys_rename("f", "g", RENAME_NOREPLACE | RENAME_EXCHANGE),
			-EINVAL);
	KTEST_EXPECT_EQ(t, ksys_rename("f", "h", RENAME_EXCHANGE), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_rename("f", "/f", 0), -EXDEV); /* another mount */
	KTEST_EXPECT_EQ(t, ksys_rename("f", "h", RENAME_NOREPLACE), 0);
	/* Nothing moved by the failures. */
	KTEST_EXPECT_TRUE(t, vt_exists("d/sub") && vt_exists("full/x") && vt_exists("g"));
	KTEST_EXPECT_TRUE(t, vt_exists("h") && !vt_exists("f"));
}

static void rename_exchange_swaps(struct ktest *t)
{
	struct kstat st;
	char buf[8];

	KTEST_EXPECT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("e", 0755), 0);
	KTEST_EXPECT_EQ(t, vt_write_file("d/f", "F"), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("e/sub", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_rename("d/f", "e/sub", RENAME_EXCHANGE), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("d/f", &st), 0);
	KTEST_EXPECT_TRUE(t, S_ISDIR(st.mode));
	KTEST_EXPECT_EQ(t, vt_read_file("e/sub", buf, sizeof(buf)), 1);
	KTEST_EXPECT_EQ(t, buf[0], 'F');
	KTEST_EXPECT_EQ(t, ksys_stat("d", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 3); /* the directory moved in */
	KTEST_EXPECT_EQ(t, ksys_stat("e", &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 2);
}

/* ---- link, symlink, readlink ---- */

static void hard_links(struct ktest *t)
{
	struct kstat st, st2;
	char buf[8];

	KTEST_EXPECT_EQ(t, vt_write_file("f", "L"), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_link("f", "d/g"), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("f", &st), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("d/g", &st2), 0);
	KTEST_EXPECT_EQ(t, st.ino, st2.ino);
	KTEST_EXPECT_EQ(t, st.nlink, 2);
	KTEST_EXPECT_EQ(t, ksys_link("f", "d/g"), -EEXIST);
	KTEST_EXPECT_EQ(t, ksys_link("d", "d2"), -EPERM);
	KTEST_EXPECT_EQ(t, ksys_link("missing", "x"), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_link("f", "nodir/x"), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_link("f", "x/"), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_link("f", "."), -EEXIST);
	KTEST_EXPECT_EQ(t, ksys_link("f", "/linked"), -EXDEV);
	KTEST_EXPECT_EQ(t, ksys_unlink("f"), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("d/g", &st2), 0);
	KTEST_EXPECT_EQ(t, st2.nlink, 1);
	KTEST_EXPECT_EQ(t, vt_read_file("d/g", buf, sizeof(buf)), 1);
	/* A hard link to a symlink is a link to the symlink itself. */
	KTEST_EXPECT_EQ(t, ksys_symlink("d/g", "s"), 0);
	KTEST_EXPECT_EQ(t, ksys_link("s", "s2"), 0);
	KTEST_EXPECT_EQ(t, ksys_lstat("s2", &st), 0);
	KTEST_EXPECT_TRUE(t, S_ISLNK(st.mode));
}

static void symlinks_followed_and_read(struct ktest *t)
{
	char buf[64];
	struct kstat st;
	int fd;

	KTEST_EXPECT_EQ(t, ksys_mkdir("d", 0755), 0);
	KTEST_EXPECT_EQ(t, vt_write_file("d/f", "S"), 0);
	KTEST_EXPECT_EQ(t, ksys_symlink("d", "ld"), 0);
	KTEST_EXPECT_EQ(t, ksys_symlink("d/f", "lf"), 0);
	KTEST_EXPECT_EQ(t, ksys_symlink(VT "/d/f", "abs"), 0);
	KTEST_EXPECT_EQ(t, ksys_symlink("nowhere", "dangling"), 0);
	KTEST_EXPECT_EQ(t, ksys_symlink("x", "ld"), -EEXIST);
	KTEST_EXPECT_EQ(t, ksys_symlink("", "empty"), -ENOENT);
	KTEST_EXPECT_EQ(t, vt_read_file("ld/f", buf, sizeof(buf)), 1); /* in the middle */
	KTEST_EXPECT_EQ(t, vt_read_file("lf", buf, sizeof(buf)), 1);   /* at the end */
	KTEST_EXPECT_EQ(t, vt_read_file("abs", buf, sizeof(buf)), 1);
	KTEST_EXPECT_EQ(t, ksys_stat("lf", &st), 0);
	KTEST_EXPECT_TRUE(t, S_ISREG(st.mode));
	KTEST_EXPECT_EQ(t, ksys_lstat("lf", &st), 0);
	KTEST_EXPECT_TRUE(t, S_ISLNK(st.mode));
	KTEST_EXPECT_EQ(t, st.size, 3);
	KTEST_EXPECT_EQ(t, ksys_stat("dangling", &st), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_lstat("dangling", &st), 0);
	KTEST_EXPECT_EQ(t, ksys_lstat("ld/", &st), 0); /* a slash follows it */
	KTEST_EXPECT_TRUE(t, S_ISDIR(st.mode));
	KTEST_EXPECT_EQ(t, ksys_readlink("lf", buf, sizeof(buf)), 3);
	KTEST_EXPECT_EQ(t, memcmp(buf, "d/f", 3), 0);
	KTEST_EXPECT_EQ(t, ksys_readlink("lf", buf, 2), 2); /* truncated */
	KTEST_EXPECT_EQ(t, ksys_readlink("d/f", buf, sizeof(buf)), -EINVAL);
	KTEST_EXPECT_EQ(t, ksys_readlink("lf", buf, 0), -EINVAL);
	KTEST_EXPECT_EQ(t, ksys_readlink("missing", buf, sizeof(buf)), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_open("lf", O_RDONLY | O_NOFOLLOW, 0), -ELOOP);
	/* O_CREAT through a dangling link creates its target... */
	fd = vt_open(t, "dangling", O_CREAT | O_WRONLY, 0644);
	KTEST_EXPECT_GE(t, fd, 0);
	if (fd >= 0)
		vt_close(t, fd);
	KTEST_EXPECT_TRUE(t, vt_exists("nowhere"));
	/* ... but not with O_EXCL. */
	KTEST_EXPECT_EQ(t, ksys_open("lf", O_CREAT | O_EXCL | O_WRONLY, 0644), -EEXIST);
	/* Removing the link leaves the target. */
	KTEST_EXPECT_EQ(t, ksys_unlink("ld"), 0);
	KTEST_EXPECT_TRUE(t, vt_exists("d/f"));
}

static void symlink_loops_are_eloop(struct ktest *t)
{
	char name[16];
	struct kstat st;

	KTEST_EXPECT_EQ(t, ksys_symlink("loop2", "loop1"), 0);
	KTEST_EXPECT_EQ(t, ksys_symlink("loop1", "loop2"), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("loop1", &st), -ELOOP);
	KTEST_EXPECT_EQ(t, ksys_open("loop1/x", O_RDONLY, 0), -ELOOP);
	KTEST_EXPECT_EQ(t, ksys_open("loop1", O_CREAT | O_RDWR, 0644), -ELOOP);
	KTEST_EXPECT_EQ(t, ksys_symlink("self/x", "self"), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("self", &st), -ELOOP);
	/* A chain of exactly MAXSYMLINKS links resolves; one more does not. */
	KTEST_EXPECT_EQ(t, vt_write_file("c0", "end"), 0);
	for (int i = 1; i <= MAXSYMLINKS + 1; i++) {
		char target[16];

		scnprintf(target, sizeof(target), "c%d", i - 1);
		scnprintf(name, sizeof(name), "c%d", i);
		KTEST_ASSERT_EQ(t, ksys_symlink(target, name), 0);
	}
	scnprintf(name, sizeof(name), "c%d", MAXSYMLINKS);
	KTEST_EXPECT_EQ(t, ksys_stat(name, &st), 0);
	scnprintf(name, sizeof(name), "c%d", MAXSYMLINKS + 1);
	KTEST_EXPECT_EQ(t, ksys_stat(name, &st), -ELOOP);
}

/* ---- lookup details ---- */

static void dots_slashes_and_mount_crossing(struct ktest *t)
{
	struct kstat st, root, vt;

	KTEST_EXPECT_EQ(t, ksys_mkdir("a", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("a/b", 0755), 0);
	KTEST_EXPECT_EQ(t, vt_write_file("a/b/f", "x"), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("a//b/./f", &st), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("a/b/../b/f", &st), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("./a/b/", &st), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("a/b/f/..", &st), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_stat("/", &root), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("/..", &st), 0); /* ".." of the root */
	KTEST_EXPECT_EQ(t, st.ino, root.ino);
	KTEST_EXPECT_EQ(t, st.dev, root.dev);
	KTEST_EXPECT_EQ(t, ksys_stat("//../..//", &st), 0);
	KTEST_EXPECT_EQ(t, st.ino, root.ino);
	/* ".." from the mount's root leaves the mount. */
	KTEST_EXPECT_EQ(t, ksys_stat("..", &st), 0);
	KTEST_EXPECT_EQ(t, st.dev, root.dev);
	KTEST_EXPECT_EQ(t, st.ino, root.ino);
	KTEST_EXPECT_EQ(t, ksys_stat("a/../../vt", &vt), 0);
	KTEST_EXPECT_EQ(t, ksys_stat(".", &st), 0);
	KTEST_EXPECT_EQ(t, vt.dev, st.dev); /* /vt is the mounted root */
	KTEST_EXPECT_EQ(t, vt.ino, st.ino);
}

static void chdir_and_getcwd(struct ktest *t)
{
	char buf[64];
	struct kstat st;

	KTEST_EXPECT_EQ(t, ksys_getcwd(buf, sizeof(buf)), 4);
	KTEST_EXPECT_EQ(t, strcmp(buf, VT), 0);
	KTEST_EXPECT_EQ(t, ksys_getcwd(buf, 3), -ERANGE);
	KTEST_EXPECT_EQ(t, ksys_mkdir("a", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("a/b", 0755), 0);
	KTEST_EXPECT_EQ(t, vt_write_file("f", "x"), 0);
	KTEST_EXPECT_EQ(t, ksys_chdir("a/b"), 0);
	KTEST_EXPECT_EQ(t, ksys_getcwd(buf, sizeof(buf)), 8);
	KTEST_EXPECT_EQ(t, strcmp(buf, VT "/a/b"), 0);
	KTEST_EXPECT_EQ(t, ksys_stat("../../f", &st), 0); /* relative to it */
	KTEST_EXPECT_EQ(t, ksys_chdir("../../f"), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_chdir("missing"), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_rmdir(VT "/a/b"), 0); /* our own cwd */
	KTEST_EXPECT_EQ(t, ksys_getcwd(buf, sizeof(buf)), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_open("new", O_CREAT | O_RDWR, 0644), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_mkdir("new", 0755), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_chdir("/"), 0);
	KTEST_EXPECT_EQ(t, ksys_getcwd(buf, sizeof(buf)), 2);
	KTEST_EXPECT_EQ(t, strcmp(buf, "/"), 0);
}

/* ---- getdents64 ---- */

struct seen {
	int dot, dotdot, names[8], other;
	loff_t offs[16];
	int nr;
};

static void scan(struct ktest *t, char *buf, ssize_t_k n, struct seen *s)
{
	for (ssize_t_k pos = 0; pos < n;) {
		struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + pos);

		KTEST_ASSERT_TRUE(t, d->d_reclen >= sizeof(*d) && d->d_reclen % 8 == 0);
		if (!strcmp(d->d_name, "."))
			s->dot++;
		else if (!strcmp(d->d_name, ".."))
			s->dotdot++;
		else if (d->d_name[0] == 'n' && d->d_name[1] >= '0' && d->d_name[1] < '8')
			s->names[d->d_name[1] - '0']++;
		else
			s->other++;
		if (!strcmp(d->d_name, "n3"))
			KTEST_EXPECT_EQ(t, d->d_type, DT_DIR);
		else if (d->d_name[0] == 'n')
			KTEST_EXPECT_EQ(t, d->d_type, DT_REG);
		if (s->nr < 16)
			s->offs[s->nr++] = d->d_off;
		pos += d->d_reclen;
	}
}

static void getdents_lists_every_entry_once(struct ktest *t)
{
	char *buf = kmalloc(4096, GFP_KERNEL);
	struct seen s = {0};
	char name[4] = "n0";
	ssize_t_k n;
	int fd;

	KTEST_ASSERT_NOT_NULL(t, buf);
	for (int i = 0; i < 8; i++) {
		name[1] = '0' + i;
		if (i == 3)
			KTEST_EXPECT_EQ(t, ksys_mkdir(name, 0755), 0);
		else
			KTEST_EXPECT_EQ(t, vt_write_file(name, "x"), 0);
	}
	fd = vt_open(t, ".", O_RDONLY | O_DIRECTORY, 0);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_getdents64(fd, buf, 10), -EINVAL); /* too small */
	/* Two records per call: resumes where it stopped. */
	while ((n = ksys_getdents64(fd, buf, 48)) > 0)
		scan(t, buf, n, &s);
	KTEST_EXPECT_EQ(t, n, 0);
	KTEST_EXPECT_EQ(t, s.dot, 1);
	KTEST_EXPECT_EQ(t, s.dotdot, 1);
	KTEST_EXPECT_EQ(t, s.other, 0);
	for (int i = 0; i < 8; i++)
		KTEST_EXPECT_EQ(t, s.names[i], 1);
	for (int i = 1; i < s.nr; i++)
		KTEST_EXPECT_GT(t, s.offs[i], s.offs[i - 1]);
	/* lseek to a d_off resumes after that entry. */
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, s.offs[1], SEEK_SET), s.offs[1]);
	memset(&s, 0, sizeof(s));
	while ((n = ksys_getdents64(fd, buf, 4096)) > 0)
		scan(t, buf, n, &s);
	KTEST_EXPECT_EQ(t, s.dot + s.dotdot, 0);
	KTEST_EXPECT_EQ(t, s.names[0] + s.names[7], 2);
	/* SEEK_END on a directory is EINVAL (ramfs: dcache_dir_lseek); the
	 * host's FUSE seeks its directories by generic_file_llseek: to the
	 * size the daemon reported (docs/qlfs.md, "Through FUSE"). */
	if (vt_on_fuse()) {
		struct kstat st;

		KTEST_EXPECT_EQ(t, ksys_fstat(fd, &st), 0);
		KTEST_EXPECT_EQ(t, ksys_lseek(fd, 0, SEEK_END), st.size);
	} else {
		KTEST_EXPECT_EQ(t, ksys_lseek(fd, 0, SEEK_END), -EINVAL);
	}
	/* Removing entries behind and ahead of the position mid-listing:
	 * the others still come once. */
	KTEST_EXPECT_EQ(t, ksys_lseek(fd, 0, SEEK_SET), 0);
	memset(&s, 0, sizeof(s));
	n = ksys_getdents64(fd, buf, 5 * 24);
	KTEST_ASSERT_GT(t, n, 0);
	scan(t, buf, n, &s);
	KTEST_EXPECT_EQ(t, ksys_unlink("n0"), 0);
	KTEST_EXPECT_EQ(t, ksys_unlink("n6"), 0);
	while ((n = ksys_getdents64(fd, buf, 4096)) > 0)
		scan(t, buf, n, &s);
	for (int i = 0; i < 8; i++)
		if (i != 6)
			KTEST_EXPECT_EQ(t, s.names[i], 1);
	KTEST_EXPECT_EQ(t, s.names[6], 0);
	vt_close(t, fd);
	/* A file is not a directory; a removed directory lists nothing. */
	fd = vt_open(t, "n1", O_RDONLY, 0);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_getdents64(fd, buf, 4096), -ENOTDIR);
	vt_close(t, fd);
	fd = vt_open(t, "n3", O_RDONLY, 0);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_rmdir("n3"), 0);
	KTEST_EXPECT_EQ(t, ksys_getdents64(fd, buf, 4096), -ENOENT);
	vt_close(t, fd);
	kfree(buf);
}

#define VFS_POSIX_CASES_OPEN                                                   \
	KTEST_CASE(open_creat_write_read_back), KTEST_CASE(open_flags_errors), \
		KTEST_CASE(read_write_need_the_right_mode),                    \
		KTEST_CASE(bad_descriptors_are_ebadf),                         \
		KTEST_CASE(lowest_descriptor_and_emfile),                      \
		KTEST_CASE(names_and_paths_too_long),                          \
		KTEST_CASE(pread_pwrite_and_append),                           \
		KTEST_CASE(lseek_whence_and_data_hole),                        \
		KTEST_CASE(truncate_shrinks_grows_and_checks),                 \
		KTEST_CASE(stat_reports_type_size_links)

#define VFS_POSIX_CASES_UNLINK KTEST_CASE(mkdir_rmdir_errors), KTEST_CASE(unlink_errors)

#define VFS_POSIX_CASES_NAMES                                              \
	KTEST_CASE(rename_files_and_dirs), KTEST_CASE(rename_errors),      \
		KTEST_CASE(rename_exchange_swaps), KTEST_CASE(hard_links), \
		KTEST_CASE(symlinks_followed_and_read),                    \
		KTEST_CASE(symlink_loops_are_eloop),                       \
		KTEST_CASE(dots_slashes_and_mount_crossing),               \
		KTEST_CASE(chdir_and_getcwd),                              \
		KTEST_CASE(getdents_lists_every_entry_once)

#endif
