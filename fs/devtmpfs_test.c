/*
 * fs/devtmpfs_test.c - /dev (fs/devtmpfs.c): its nodes, their device
 * numbers, and a disk's node writing through the disk's page cache and
 * ->writepage (do_writepages()' legacy branch) from the VFS.
 */
#include <quire/syscalls.h>
#include <quire/ktest.h>
#include <quire/blkdev.h>
#include <quire/pagemap.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include "../block/blk-test.h"
#include "../block/bdev_internal.h"

struct dev_seen {
	char names[16][DISK_NAME_LEN];
	unsigned char types[16];
	unsigned int n;
};

/* The names (and d_type) in /dev. */
static int dev_list(struct dev_seen *s)
{
	char *buf = kmalloc(4096, GFP_KERNEL);
	int fd = ksys_open("/dev", O_RDONLY | O_DIRECTORY, 0);
	ssize_t_k got = 0;

	if (!buf || fd < 0) {
		kfree(buf);
		return fd < 0 ? fd : -ENOMEM;
	}
	while ((got = ksys_getdents64(fd, buf, 4096)) > 0) {
		for (ssize_t_k off = 0; off < got;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);

			off += d->d_reclen;
			if (s->n < ARRAY_SIZE(s->names) && d->d_name[0] != '.') {
				strscpy_len(s->names[s->n], d->d_name, DISK_NAME_LEN);
				s->types[s->n++] = d->d_type;
			}
		}
	}
	ksys_close(fd);
	kfree(buf);
	return got;
}

/* d_type of @name in @s, or -1 if it is not there. */
static int dev_type(const struct dev_seen *s, const char *name)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return s->types[i];
	return -1;
}

static int check_disk_listed(struct gendisk *disk, void *arg)
{
	struct ktest *t = ((void **)arg)[0];
	struct dev_seen *s = ((void **)arg)[1];

	if (dev_type(s, disk->disk_name) != DT_BLK)
		ktest_fail(t, __FILE__, __LINE__, "/dev/%s missing or not a block device",
			   disk->disk_name);
	return 0;
}

static void dev_lists_null_zero_console_and_every_disk(struct ktest *t)
{
	struct dev_seen *s = kzalloc(sizeof(*s), GFP_KERNEL);
	void *arg[2] = {t, s};

	KTEST_ASSERT_NOT_NULL(t, s);
	KTEST_EXPECT_EQ(t, dev_list(s), 0);
	KTEST_EXPECT_EQ(t, dev_type(s, "null"), DT_CHR);
	KTEST_EXPECT_EQ(t, dev_type(s, "zero"), DT_CHR);
	KTEST_EXPECT_EQ(t, dev_type(s, "console"), DT_CHR);
	disk_iterate(check_disk_listed, arg);
	kfree(s);
}

static void dev_nodes_carry_linux_device_numbers(struct ktest *t)
{
	struct kstat st;

	KTEST_ASSERT_EQ(t, ksys_stat("/dev/null", &st), 0);
	KTEST_EXPECT_TRUE(t, S_ISCHR(st.mode));
	KTEST_EXPECT_EQ(t, st.rdev, MKDEV(1, 3));
	KTEST_ASSERT_EQ(t, ksys_stat("/dev/zero", &st), 0);
	KTEST_EXPECT_EQ(t, st.rdev, MKDEV(1, 5));
	KTEST_ASSERT_EQ(t, ksys_stat("/dev/console", &st), 0);
	KTEST_EXPECT_EQ(t, st.rdev, MKDEV(5, 1));
	KTEST_EXPECT_EQ(t, ksys_stat("/dev/nosuchdisk", &st), -ENOENT);
	KTEST_EXPECT_EQ(t, ksys_open("/dev/newfile", O_WRONLY | O_CREAT, 0644), -EACCES);
}

static void dev_null_and_zero_read_and_write(struct ktest *t)
{
	char buf[64];
	int fd;

	fd = ksys_open("/dev/zero", O_RDWR, 0);
	KTEST_ASSERT_TRUE(t, fd >= 0);
	memset(buf, 0x5a, sizeof(buf));
	KTEST_EXPECT_EQ(t, ksys_read(fd, buf, sizeof(buf)), sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		KTEST_EXPECT_EQ(t, buf[i], 0);
	KTEST_EXPECT_EQ(t, ksys_write(fd, buf, 10), 10);
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
	fd = ksys_open("/dev/null", O_RDWR, 0);
	KTEST_ASSERT_TRUE(t, fd >= 0);
	KTEST_EXPECT_EQ(t, ksys_read(fd, buf, sizeof(buf)), 0);
	KTEST_EXPECT_EQ(t, ksys_write(fd, buf, sizeof(buf)), sizeof(buf));
	KTEST_EXPECT_EQ(t, ksys_fsync(fd), -EINVAL); /* no ->fsync, as Linux */
	KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
}

static int pick_disk(struct gendisk *disk, void *arg)
{
	struct gendisk **found = arg;

	if (!disk_is_test_disk(disk) || bdev_read_only(&disk->part0) ||
	    disk_is_dead(disk) || get_capacity(disk) < 16384)
		return 0;
	*found = disk;
	return 1;
}

#define DEV_REGION_SECTOR 12288 /* 6 MiB in: not dd_test's or bdev_test's */
#define DEV_REGION_PAGES  8

/* pwrite to /dev/DISK, fsync: the disk's ->writepage wrote the pages, none
 * stays dirty, and the disk holds the bytes (read raw). */
static void dev_disk_write_and_fsync_go_through_writepage(struct ktest *t)
{
	struct gendisk *disk = NULL;
	size_t bytes = DEV_REGION_PAGES * PAGE_SIZE;
	struct blk_test_buf a, b;
	struct inode *inode;
	unsigned long calls;
	char path[32];
	int fd;

	disk_iterate(pick_disk, &disk);
	if (!disk)
		ktest_skip(t,
			   "no writable test disk of 8 MiB or more (serial quire-test*)");
	inode = bdev_inode(disk);
	KTEST_ASSERT_NOT_NULL(t, inode);
	KTEST_ASSERT_EQ(t, blk_test_buf_alloc(&a, bytes), 0);
	if (blk_test_buf_alloc(&b, bytes)) {
		blk_test_buf_free(&a);
		KTEST_ASSERT_TRUE(t, false);
	}
	blk_test_fill(a.va, DEV_REGION_SECTOR, bytes / 512, 0xde01);
	scnprintf(path, sizeof(path), "/dev/%s", disk->disk_name);
	fd = ksys_open(path, O_RDWR, 0);
	KTEST_EXPECT_TRUE(t, fd >= 0);
	if (fd >= 0) {
		calls = bdev_writepage_calls(inode);
		KTEST_EXPECT_EQ(t,
				ksys_pwrite64(fd, a.va, bytes, DEV_REGION_SECTOR * 512LL),
				bytes);
		KTEST_EXPECT_TRUE(t,
				  mapping_tagged(inode->i_mapping, PAGECACHE_TAG_DIRTY));
		KTEST_EXPECT_EQ(t, ksys_fsync(fd), 0);
		KTEST_EXPECT_GE(t, bdev_writepage_calls(inode) - calls, DEV_REGION_PAGES);
		KTEST_EXPECT_FALSE(t,
				   mapping_tagged(inode->i_mapping, PAGECACHE_TAG_DIRTY));
		KTEST_EXPECT_EQ(t, ksys_close(fd), 0);
	}
	KTEST_EXPECT_EQ(
		t, blk_test_rw(disk, REQ_OP_READ, DEV_REGION_SECTOR, &b, 0, bytes), 0);
	KTEST_EXPECT_EQ(t, memcmp(a.va, b.va, bytes), 0);
	blk_test_buf_free(&a);
	blk_test_buf_free(&b);
	invalidate_mapping_pages(inode->i_mapping, 0, ~0UL); /* the leak check */
}

static const struct ktest_case devtmpfs_cases[] = {
	KTEST_CASE(dev_lists_null_zero_console_and_every_disk),
	KTEST_CASE(dev_nodes_carry_linux_device_numbers),
	KTEST_CASE(dev_null_and_zero_read_and_write),
	KTEST_CASE(dev_disk_write_and_fsync_go_through_writepage),
	KTEST_END,
};

static const struct ktest_suite devtmpfs_suite = {
	.name = "devtmpfs",
	.cases = devtmpfs_cases,
};
KTEST_SUITE(devtmpfs_suite);
