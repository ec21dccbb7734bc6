/*
 * fs/vfs_test.c - the VFS and ramfs through the ksys_* calls: every call,
 * every error code it names (POSIX and Linux's choices), orphans, mounts.
 *
 * Each case runs in a fresh ramfs mounted on /vt and as the working
 * directory (vt_init), unmounted after (vt_exit): a reference a case
 * leaked makes the umount fail with EBUSY, which fails the case. The
 * concurrent cases are in fs/vfs_race_test.c.
 *
 * Suite vfs_qlfs runs the same cases (but the two about ramfs itself) on
 * qlfs: a fresh mkfs on a test disk for each case (vt_init_qlfs) and
 * fsck.qlfs clean after its umount; where qlfs rightly differs from ramfs
 * (st_blocks counts the inode's block too, SEEK_HOLE finds real holes,
 * statfs's type), the case says so by vt_on_qlfs().
 *
 * The cases that use only POSIX calls are in fs/vfs_posix_cases.h, so
 * that a host program runs them through a qlfs-fuse mount too (suite
 * vfs_fuse, arch/host/tools/vfs_fuse_test.c); the ones here look at
 * Quire's own state (dentries, mounts, page cache) or mount file systems.
 */
#include <quire/ktest.h>
#include <quire/syscalls.h>
#include <quire/dcache.h>
#include <quire/mount.h>
#include <quire/pagemap.h>
#include <quire/string.h>
#include <quire/slab.h>
#include <quire/errno.h>
#include <quire/namei.h>
#include <quire/printk.h>
#include "vfs_test.h"
#include "qlfs/qlfs_test.h"

/* ---- fixture ---- */

static int vt_fds[64];
static int vt_nr_fds;
static bool vt_qlfs;		/* this case runs on qlfs */
static bool vt_active;		/* vt_init set up VT (vt_exit undoes it) */
static struct qlfs_dev vt_qdev; /* its disk */

bool vt_on_qlfs(void)
{
	return vt_qlfs;
}

bool vt_on_fuse(void)
{
	return false; /* Quire's own VFS */
}

int vt_open(struct ktest *t, const char *path, int flags, umode_t mode)
{
	int fd = ksys_open(path, flags, mode);

	if (fd >= 0 && vt_nr_fds < (int)ARRAY_SIZE(vt_fds))
		vt_fds[vt_nr_fds++] = fd;
	return fd;
}

void vt_close(struct ktest *t, int fd)
{
	for (int i = 0; i < vt_nr_fds; i++) {
		if (vt_fds[i] == fd) {
			vt_fds[i] = vt_fds[--vt_nr_fds];
			break;
		}
	}
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
}

static int vt_mount(void)
{
	int err;

	if (!vt_qlfs)
		return ksys_mount("none", VT, "ramfs", 0, NULL);
	err = qlfs_test_disk(&vt_qdev);
	if (!err)
		err = qlfs_test_mkfs(&vt_qdev, QLFS_MIN_LOG_BLOCKS_PER_SEG);
	if (!err)
		err = ksys_mount(vt_qdev.disk->disk_name, VT, "qlfs", 0, NULL);
	return err;
}

static int vt_setup(void)
{
	int err;

	vt_nr_fds = 0;
	err = ksys_mkdir(VT, 0755);
	if (!err)
		err = vt_mount();
	if (!err)
		err = ksys_chdir(VT);
	return err;
}

int vt_init(struct ktest *t)
{
	vt_qlfs = false;
	vt_active = true;
	return vt_setup();
}

int vt_init_qlfs(struct ktest *t)
{
	vt_qlfs = true;
	vt_active = false;
	if (qlfs_test_disk(&vt_qdev))
		ktest_skip(
			t,
			"no writable test disk of 32 MiB or more (serial quire-test*)");
	vt_active = true;
	return vt_setup();
}

void vt_exit(struct ktest *t)
{
	int err;

	if (!vt_active)
		return; /* skipped before anything was set up */
	while (vt_nr_fds)
		ksys_close(vt_fds[--vt_nr_fds]);
	KTEST_EXPECT_EQ(t, vt_check_tree(VT), 0);
	KTEST_EXPECT_EQ(t, vt_check_tree("/"), 0);
	KTEST_EXPECT_EQ(t, ksys_chdir("/"), 0);
	err = ksys_umount(VT, 0);
	KTEST_EXPECT_EQ(t, err, 0);
	if (err)
		ksys_umount(VT, MNT_DETACH);
	else if (vt_qlfs)
		KTEST_EXPECT_EQ(t, qlfs_test_fsck(&vt_qdev), 0); /* QL1..QL14 */
	KTEST_EXPECT_EQ(t, ksys_rmdir(VT), 0);
	if (vt_qlfs)
		qlfs_dev_close(&vt_qdev);
}

/* DC1-DC6 over the tree of the mount at @path. */
int vt_check_tree(const char *path)
{
	struct path p;
	int err = kern_path(path, LOOKUP_FOLLOW, &p);

	if (err)
		return err;
	err = d_check_tree(p.mnt->mnt_root);
	path_put(&p);
	return err;
}

#include "vfs_test_files.h"

/* ---- the POSIX cases (shared with suite vfs_fuse) ---- */

#include "vfs_posix_cases.h"

/* ---- statfs, writeback: each file system's own ---- */

static void statfs_and_fsync_on_ramfs(struct ktest *t)
{
	struct kstatfs sf;

	statfs_then_fsync_a_file(t, 0x858458f6, &sf); /* RAMFS_MAGIC */
	KTEST_EXPECT_EQ(t, sf.f_flags & MS_RDONLY, 0);
	KTEST_EXPECT_EQ(t, ksys_statfs("missing", &sf), -ENOENT);
	fsync_the_directory(t);
}

static void statfs_and_fsync_on_qlfs(struct ktest *t)
{
	struct kstatfs sf, sf2;

	statfs_then_fsync_a_file(t, QLFS_SUPER_MAGIC, &sf);
	KTEST_EXPECT_GT(t, sf.f_blocks, 0);
	KTEST_EXPECT_LT(t, sf.f_bfree, sf.f_blocks);
	/* the inode and its data block are counted */
	KTEST_EXPECT_EQ(t, ksys_statfs(".", &sf2), 0);
	KTEST_EXPECT_EQ(t, sf2.f_bfree + 2, sf.f_bfree);
	fsync_the_directory(t);
}

/* Three pages of @c written to a new file "f": its descriptor, @path
 * held (its mapping is d_inode(path->dentry)->i_mapping), @buf (3 pages,
 * kmalloc'ed) zeroed again for the read back. */
static int write_three_pages(struct ktest *t, char c, char **buf, struct path *path)
{
	int fd;

	*buf = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);
	KTEST_ASSERT_NOT_NULL(t, *buf);
	memset(*buf, c, 3 * PAGE_SIZE);
	fd = vt_open(t, "f", O_CREAT | O_RDWR, 0644);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_write(fd, *buf, 3 * PAGE_SIZE), 3 * PAGE_SIZE);
	memset(*buf, 0, 3 * PAGE_SIZE);
	KTEST_ASSERT_EQ(t, kern_path("f", 0, path), 0);
	return fd;
}

/* Read "f" back through @fd: every byte is @c; then let go of it all. */
static void read_three_pages_back(struct ktest *t, int fd, char c, char *buf,
				  struct path *path)
{
	KTEST_EXPECT_EQ(t, ksys_pread64(fd, buf, 3 * PAGE_SIZE, 0), 3 * PAGE_SIZE);
	for (int i = 0; i < 3 * PAGE_SIZE; i++)
		if (buf[i] != c) {
			KTEST_EXPECT_EQ(t, buf[i], c);
			break;
		}
	path_put(path);
	vt_close(t, fd);
	kfree(buf);
}

/* qlfs: ->writepages writes the dirty pages; clean, they can be dropped
 * and read back from the disk. */
static void qlfs_pages_are_written_back(struct ktest *t)
{
	struct address_space *mapping;
	struct path path;
	char *buf;
	int fd = write_three_pages(t, 'q', &buf, &path);

	mapping = d_inode(path.dentry)->i_mapping;
	KTEST_EXPECT_NE(t, mapping->a_ops->writepages, NULL);
	KTEST_EXPECT_EQ(t, filemap_write_and_wait(mapping), 0);
	KTEST_EXPECT_FALSE(t, mapping_tagged(mapping, PAGECACHE_TAG_DIRTY));
	KTEST_EXPECT_EQ(t, invalidate_mapping_pages(mapping, 0, ~0ul), 3);
	KTEST_EXPECT_EQ(t, mapping->nrpages, 0);
	read_three_pages_back(t, fd, 'q', buf, &path);
}

/* ramfs: the data stays in dirty pages that nothing writes or frees. */
static void ramfs_pages_stay_dirty_and_unwritten(struct ktest *t)
{
	struct address_space *mapping;
	struct path path;
	char *buf;
	int fd = write_three_pages(t, 'r', &buf, &path);

	mapping = d_inode(path.dentry)->i_mapping;
	KTEST_EXPECT_EQ(t, mapping->nrpages, 3);
	KTEST_EXPECT_EQ(t, mapping->a_ops->writepage, NULL);
	KTEST_EXPECT_EQ(t, mapping->a_ops->writepages, NULL);
	KTEST_EXPECT_EQ(t, filemap_write_and_wait(mapping), 0);
	/* Clean-cache reclaim must not take them: they are the only copy. */
	KTEST_EXPECT_EQ(t, invalidate_mapping_pages(mapping, 0, ~0ul), 0);
	KTEST_EXPECT_EQ(t, mapping->nrpages, 3);
	for (pgoff_t i = 0; i < 3; i++) {
		struct folio *folio = filemap_get_folio(mapping, i);

		KTEST_ASSERT_NOT_ERR_OR_NULL(t, folio);
		KTEST_EXPECT_TRUE(t, folio_test_dirty(folio));
		KTEST_EXPECT_FALSE(t, folio_test_writeback(folio));
		folio_put(folio);
	}
	read_three_pages_back(t, fd, 'r', buf, &path);
}

/* A file unlinked while open keeps its data until the last close. */
static void unlinked_open_file_lives_until_close(struct ktest *t)
{
	long dentries = dentry_count();
	struct kstat st;
	char buf[8];
	int fd, fd2;

	fd = vt_open(t, "f", O_CREAT | O_RDWR, 0644);
	KTEST_ASSERT_GE(t, fd, 0);
	fd2 = vt_open(t, "f", O_RDONLY, 0);
	KTEST_ASSERT_GE(t, fd2, 0);
	KTEST_EXPECT_EQ(t, ksys_write(fd, "orphan", 6), 6);
	KTEST_EXPECT_EQ(t, ksys_unlink("f"), 0);
	KTEST_EXPECT_FALSE(t, vt_exists("f"));
	KTEST_EXPECT_EQ(t, ksys_fstat(fd, &st), 0);
	KTEST_EXPECT_EQ(t, st.nlink, 0);
	KTEST_EXPECT_EQ(t, st.size, 6);
	vt_close(t, fd);
	KTEST_EXPECT_EQ(t, ksys_pread64(fd2, buf, 6, 0), 6);
	KTEST_EXPECT_EQ(t, memcmp(buf, "orphan", 6), 0);
	/* A new file of the same name is another file. */
	KTEST_EXPECT_EQ(t, vt_write_file("f", "new"), 0);
	KTEST_EXPECT_EQ(t, ksys_pread64(fd2, buf, 6, 0), 6);
	KTEST_EXPECT_EQ(t, memcmp(buf, "orphan", 6), 0);
	KTEST_EXPECT_EQ(t, ksys_unlink("f"), 0);
	vt_close(t, fd2);
	/* The last close freed the orphan's dentry (and its inode). */
	KTEST_EXPECT_EQ(t, dentry_count(), dentries);
}

/* ---- mount, umount ---- */

static void mount_and_umount_rules(struct ktest *t)
{
	int mounts = nr_mounts();
	struct kstat st, st2;
	int fd;

	KTEST_EXPECT_EQ(t, ksys_mkdir("m", 0755), 0);
	KTEST_EXPECT_EQ(t, vt_write_file("f", "x"), 0);
	KTEST_EXPECT_EQ(t, ksys_mount("none", "f", "ramfs", 0, NULL), -ENOTDIR);
	KTEST_EXPECT_EQ(t, ksys_mount("none", "missing", "ramfs", 0, NULL), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_mount("none", "m", "nosuchfs", 0, NULL), -ENODEV);
	KTEST_EXPECT_EQ(t, ksys_mount("none", "m", "ramfs", 0x1000, NULL), -EINVAL);
	KTEST_EXPECT_EQ(t, nr_mounts(), mounts);
	KTEST_EXPECT_EQ(t, ksys_mount("none", "m", "ramfs", 0, NULL), 0);
	KTEST_EXPECT_EQ(t, nr_mounts(), mounts + 1);
	KTEST_EXPECT_EQ(t, ksys_stat("m", &st), 0);
	KTEST_EXPECT_EQ(t, ksys_stat(".", &st2), 0);
	KTEST_EXPECT_NE(t, st.dev, st2.dev);
	KTEST_EXPECT_EQ(t, ksys_umount("f", 0), -EINVAL); /* not a mount */
	KTEST_EXPECT_EQ(t, ksys_umount("m", 8), -EINVAL); /* bad flags */
	KTEST_EXPECT_EQ(t, ksys_umount("/", 0), -EBUSY);  /* the root */
	KTEST_EXPECT_EQ(t, ksys_rmdir("m"), -EBUSY);	  /* a mount point */
	KTEST_EXPECT_EQ(t, ksys_rename("m", "m2", 0), -EBUSY);
	/* Busy while a file is open in it, while it is the cwd, while
	 * something is mounted on it. */
	fd = vt_open(t, "m/x", O_CREAT | O_RDWR, 0644);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_umount("m", 0), -EBUSY);
	vt_close(t, fd);
	KTEST_EXPECT_EQ(t, ksys_chdir("m"), 0);
	KTEST_EXPECT_EQ(t, ksys_umount(VT "/m", 0), -EBUSY);
	KTEST_EXPECT_EQ(t, ksys_chdir(VT), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("m/inner", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_mount("none", "m/inner", "ramfs", 0, NULL), 0);
	KTEST_EXPECT_EQ(t, ksys_umount("m", 0), -EBUSY);
	KTEST_EXPECT_EQ(t, ksys_umount("m/inner", 0), 0);
	KTEST_EXPECT_TRUE(t, vt_exists("m/x"));
	KTEST_EXPECT_EQ(t, ksys_umount("m", 0), 0);
	KTEST_EXPECT_FALSE(t, vt_exists("m/x")); /* the directory below again */
	KTEST_EXPECT_EQ(t, ksys_umount("m", 0), -EINVAL);
	KTEST_EXPECT_EQ(t, nr_mounts(), mounts);
	/* Two mounts stacked on one directory: the top one is seen. */
	KTEST_EXPECT_EQ(t, ksys_mount("none", "m", "ramfs", 0, NULL), 0);
	KTEST_EXPECT_EQ(t, vt_write_file("m/lower", "x"), 0);
	KTEST_EXPECT_EQ(t, ksys_mount("none", "m", "ramfs", 0, NULL), 0);
	KTEST_EXPECT_FALSE(t, vt_exists("m/lower"));
	KTEST_EXPECT_EQ(t, ksys_umount("m", 0), 0);
	KTEST_EXPECT_TRUE(t, vt_exists("m/lower"));
	KTEST_EXPECT_EQ(t, ksys_umount("m", 0), 0);
	KTEST_EXPECT_EQ(t, nr_mounts(), mounts);
}

static void lazy_umount_waits_for_last_user(struct ktest *t)
{
	int mounts = nr_mounts();
	char buf[8];
	int fd;

	KTEST_EXPECT_EQ(t, ksys_mkdir("m", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_mount("none", "m", "ramfs", 0, NULL), 0);
	KTEST_EXPECT_EQ(t, ksys_mkdir("m/in", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_mount("none", "m/in", "ramfs", 0, NULL), 0);
	fd = vt_open(t, "m/data", O_CREAT | O_RDWR, 0644);
	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_EXPECT_EQ(t, ksys_write(fd, "lazy", 4), 4);
	KTEST_EXPECT_EQ(t, ksys_umount("m", MNT_DETACH), 0);
	KTEST_EXPECT_EQ(t, nr_mounts(), mounts); /* both gone from the table */
	KTEST_EXPECT_FALSE(t, vt_exists("m/data"));
	KTEST_EXPECT_EQ(t, ksys_pread64(fd, buf, 4, 0), 4); /* still usable */
	KTEST_EXPECT_EQ(t, memcmp(buf, "lazy", 4), 0);
	vt_close(t, fd); /* the last user: the tree is freed (leak check) */
}

static void read_only_mount_refuses_writes(struct ktest *t)
{
	struct kstatfs sf;
	int fd;

	KTEST_EXPECT_EQ(t, ksys_mkdir("m", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_mount("none", "m", "ramfs", MS_RDONLY, NULL), 0);
	KTEST_EXPECT_EQ(t, ksys_statfs("m", &sf), 0);
	KTEST_EXPECT_EQ(t, sf.f_flags & MS_RDONLY, MS_RDONLY);
	KTEST_EXPECT_EQ(t, ksys_open("m/f", O_CREAT | O_RDWR, 0644), -EROFS);
	KTEST_EXPECT_EQ(t, ksys_mkdir("m/d", 0755), -EROFS);
	KTEST_EXPECT_EQ(t, ksys_mkdir("m", 0755), -EEXIST); /* EEXIST first */
	KTEST_EXPECT_EQ(t, ksys_symlink("x", "m/s"), -EROFS);
	KTEST_EXPECT_EQ(t, ksys_unlink("m/none"), -EROFS);
	KTEST_EXPECT_EQ(t, ksys_rmdir("m/none"), -EROFS);
	KTEST_EXPECT_EQ(t, ksys_rename("m/a", "m/b", 0), -EROFS);
	fd = vt_open(t, "m", O_RDONLY | O_DIRECTORY, 0);
	KTEST_EXPECT_GE(t, fd, 0);
	if (fd >= 0)
		vt_close(t, fd);
	KTEST_EXPECT_EQ(t, ksys_umount("m", 0), 0);
}

struct mount_seen {
	int vt, inner, root;
	bool inner_ro;
};

static int note_mount(void *arg, const char *source, const char *path, const char *fstype,
		      int mnt_flags)
{
	struct mount_seen *s = arg;

	if (!strcmp(path, VT) && !strcmp(fstype, vt_on_qlfs() ? "qlfs" : "ramfs"))
		s->vt++;
	if (strcmp(fstype, "ramfs"))
		return 0;
	if (!strcmp(path, "/"))
		s->root++;
	else if (!strcmp(path, VT "/m") && !strcmp(source, "src")) {
		s->inner++;
		s->inner_ro = mnt_flags & MNT_READONLY;
	}
	return 0;
}

static void iterate_mounts_lists_each_mount(struct ktest *t)
{
	struct mount_seen s = {0};

	KTEST_EXPECT_EQ(t, ksys_mkdir("m", 0755), 0);
	KTEST_EXPECT_EQ(t, ksys_mount("src", "m", "ramfs", MS_RDONLY, NULL), 0);
	KTEST_EXPECT_EQ(t, iterate_mounts(note_mount, &s), 0);
	KTEST_EXPECT_EQ(t, s.root, 1);
	KTEST_EXPECT_EQ(t, s.vt, 1);
	KTEST_EXPECT_EQ(t, s.inner, 1);
	KTEST_EXPECT_TRUE(t, s.inner_ro);
	KTEST_EXPECT_EQ(t, ksys_umount("m", 0), 0);
	memset(&s, 0, sizeof(s));
	KTEST_EXPECT_EQ(t, iterate_mounts(note_mount, &s), 0);
	KTEST_EXPECT_EQ(t, s.inner, 0);
}

/* Kernel callers pass buffers; a NULL one is EFAULT, never a crash. */
static void null_buffers_are_efault(struct ktest *t)
{
	int fd = vt_open(t, "f", O_CREAT | O_RDWR, 0644);
	int dfd = vt_open(t, ".", O_RDONLY, 0);

	KTEST_ASSERT_GE(t, fd, 0);
	KTEST_ASSERT_GE(t, dfd, 0);
	KTEST_EXPECT_EQ(t, ksys_write(fd, NULL, 4), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_read(fd, NULL, 4), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_pwrite64(fd, NULL, 4, 0), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_pread64(fd, NULL, 4, 0), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_fstat(fd, NULL), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_getdents64(dfd, NULL, 64), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_stat("f", NULL), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_statfs("f", NULL), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_stat(NULL, NULL), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_open(NULL, O_RDONLY, 0), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_mkdir(NULL, 0755), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_symlink(NULL, "s"), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_rename("f", NULL, 0), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_readlink("f", NULL, 8), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_getcwd(NULL, 8), -EFAULT);
	KTEST_EXPECT_EQ(t, ksys_mount(NULL, NULL, "ramfs", 0, NULL), -EINVAL);
	KTEST_EXPECT_EQ(t, ksys_umount(NULL, 0), -EINVAL);
	vt_close(t, fd);
	vt_close(t, dfd);
}

/* The cases of both suites: each runs them on its file system, with its
 * own two in the middle (statfs and fsync; what writeback does). */
#define VFS_CASES_FIRST VFS_POSIX_CASES_OPEN

#define VFS_CASES_LAST                                                            \
	VFS_POSIX_CASES_UNLINK, KTEST_CASE(unlinked_open_file_lives_until_close), \
		VFS_POSIX_CASES_NAMES, KTEST_CASE(mount_and_umount_rules),        \
		KTEST_CASE(lazy_umount_waits_for_last_user),                      \
		KTEST_CASE(read_only_mount_refuses_writes),                       \
		KTEST_CASE(iterate_mounts_lists_each_mount),                      \
		KTEST_CASE(null_buffers_are_efault)

static const struct ktest_case vfs_cases[] = {
	VFS_CASES_FIRST,
	KTEST_CASE(statfs_and_fsync_on_ramfs),
	KTEST_CASE(ramfs_pages_stay_dirty_and_unwritten),
	VFS_CASES_LAST,
	KTEST_END,
};

static const struct ktest_suite vfs_suite = {
	.name = "vfs",
	.init = vt_init,
	.exit = vt_exit,
	.cases = vfs_cases,
};
KTEST_SUITE(vfs_suite);

static const struct ktest_case vfs_qlfs_cases[] = {
	VFS_CASES_FIRST,
	KTEST_CASE(statfs_and_fsync_on_qlfs),
	KTEST_CASE(qlfs_pages_are_written_back),
	VFS_CASES_LAST,
	KTEST_END,
};

static const struct ktest_suite vfs_qlfs_suite = {
	.name = "vfs_qlfs",
	.init = vt_init_qlfs,
	.exit = vt_exit,
	.cases = vfs_qlfs_cases,
};
KTEST_SUITE(vfs_qlfs_suite);
