/*
 * fs/char_dev_test.c - the `chrdev` suite: null and zero behave as Linux's
 * /dev/null and /dev/zero, and do_writepages() on their mapping (no
 * ->writepages, no ->writepage: the third branch) returns 0 and writes
 * nothing.
 */
#include <quire/ktest.h>
#include <quire/chrdev.h>
#include <quire/pagemap.h>
#include <quire/writeback.h>
#include <quire/backing-dev.h>
#include <quire/mmzone.h>
#include <quire/string.h>

static void null_and_zero_read_and_write_like_linux(struct ktest *t)
{
	struct file *null = chrdev_open_by_name("null", O_RDWR);
	struct file *zero = chrdev_open_by_name("zero", O_RDWR);
	char buf[64];

	KTEST_ASSERT_TRUE(t, !IS_ERR(null) && !IS_ERR(zero));
	memset(buf, 0x5a, sizeof(buf));
	KTEST_EXPECT_EQ(t, null->f_op->read(null, buf, sizeof(buf), &null->f_pos), 0);
	KTEST_EXPECT_EQ(t, buf[0], 0x5a);
	KTEST_EXPECT_EQ(t, null->f_op->write(null, buf, sizeof(buf), &null->f_pos),
			sizeof(buf));
	KTEST_EXPECT_EQ(t, zero->f_op->read(zero, buf, sizeof(buf), &zero->f_pos),
			sizeof(buf));
	KTEST_EXPECT_EQ(t, buf[0] | buf[31] | buf[63], 0);
	KTEST_EXPECT_EQ(t, zero->f_op->write(zero, buf, 7, &zero->f_pos), 7);
	KTEST_EXPECT_EQ(t, vfs_fsync(null, 0), -EINVAL); /* no ->fsync, as Linux */
	KTEST_EXPECT_EQ(t, PTR_ERR(chrdev_open_by_name("full", O_RDWR)), -ENODEV);
	fput(null);
	fput(zero);
}

/* Linux's null and zero never move the file position (read_null,
 * write_null, read_iter_zero leave it; null_lseek pins it at 0), so a
 * position near LLONG_MAX cannot wrap negative whatever the count. */
static void null_and_zero_leave_the_position_alone(struct ktest *t)
{
	static const char *const names[] = {"null", "zero"};
	char buf[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		struct file *f = chrdev_open_by_name(names[i], O_RDWR);
		loff_t pos = LLONG_MAX - 8;

		KTEST_ASSERT_TRUE(t, !IS_ERR(f));
		KTEST_EXPECT_EQ(t, f->f_op->write(f, buf, sizeof(buf), &pos),
				sizeof(buf));
		KTEST_EXPECT_EQ(t, pos, LLONG_MAX - 8);
		KTEST_EXPECT_GE(t, f->f_op->read(f, buf, sizeof(buf), &pos), 0);
		KTEST_EXPECT_EQ(t, pos, LLONG_MAX - 8);
		KTEST_EXPECT_EQ(t, f->f_op->write(f, buf, 0, &pos), 0);
		KTEST_EXPECT_EQ(t, f->f_op->read(f, buf, 0, &pos), 0);
		KTEST_EXPECT_EQ(t, pos, LLONG_MAX - 8);
		fput(f);
	}
}

static void chrdev_inodes_never_write_back(struct ktest *t)
{
	static const char *const names[] = {"null", "zero"};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		struct inode *inode = chrdev_inode(names[i]);
		const struct address_space_operations *a;

		KTEST_ASSERT_NOT_NULL(t, inode);
		KTEST_EXPECT_TRUE(t, S_ISCHR(inode->i_mode));
		KTEST_EXPECT_EQ(t, MAJOR(inode->i_rdev), 1);
		KTEST_EXPECT_EQ(t, MINOR(inode->i_rdev), i == 0 ? 3 : 5);
		KTEST_EXPECT_TRUE(t, inode_to_bdi(inode) == &noop_backing_dev_info);
		KTEST_EXPECT_FALSE(t, mapping_can_writeback(inode->i_mapping));
		a = inode->i_mapping->a_ops;
		KTEST_EXPECT_NULL(t, a->writepages);
		KTEST_EXPECT_NULL(t, a->writepage);
	}
}

static unsigned long node_written(void)
{
	unsigned long sum = 0;
	int nid;

	for (nid = 0; nid < (int)num_online_nodes(); nid++)
		sum += node_page_state(NODE_DATA(nid), NR_WRITTEN);
	return sum;
}

/* do_writepages()' third branch: neither ->writepages nor ->writepage. */
static void do_writepages_on_a_char_device_returns_0_and_writes_nothing(struct ktest *t)
{
	struct inode *inode = chrdev_inode("zero");
	struct writeback_control wbc = {
		.nr_to_write = LONG_MAX,
		.range_start = 0,
		.range_end = LLONG_MAX,
		.sync_mode = WB_SYNC_ALL,
	};
	unsigned long written;

	KTEST_ASSERT_NOT_NULL(t, inode);
	written = node_written();
	KTEST_EXPECT_EQ(t, do_writepages(inode->i_mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, wbc.nr_to_write, LONG_MAX);
	KTEST_EXPECT_EQ(t, node_written(), written);
	KTEST_EXPECT_EQ(t, inode->i_mapping->nrpages, 0); /* CD1 */
	wbc.sync_mode = WB_SYNC_NONE;
	KTEST_EXPECT_EQ(t, do_writepages(inode->i_mapping, &wbc), 0);
	KTEST_EXPECT_EQ(t, filemap_write_and_wait(inode->i_mapping), 0);
}

static const struct ktest_case chrdev_cases[] = {
	KTEST_CASE(null_and_zero_read_and_write_like_linux),
	KTEST_CASE(null_and_zero_leave_the_position_alone),
	KTEST_CASE(chrdev_inodes_never_write_back),
	KTEST_CASE(do_writepages_on_a_char_device_returns_0_and_writes_nothing),
	KTEST_END,
};

static const struct ktest_suite chrdev_suite = {.name = "chrdev", .cases = chrdev_cases};
KTEST_SUITE(chrdev_suite);
