/*
 * arch/x86_64/fw_cfg_test.c - KTAP suite "fw_cfg": the fw_cfg file reader
 * (arch/x86_64/fw_cfg.c) against QEMU's real device.
 *
 * Layer: arch/x86_64 tests. Run: `test fw_cfg` in the shell, or boot with
 * exec=test fw_cfg. Uses "etc/e820", which QEMU's pc and q35 machines
 * always provide (20-byte entries, one of them RAM from address 0).
 * Locking: none; fw_cfg is only touched from this single test thread.
 */
#include <quire/ktest.h>
#include <quire/errno.h>
#include <asm/fw_cfg.h>

struct e820_wire {
	u64 addr;
	u64 len;
	u32 type;
} __attribute__((packed));

static void fw_cfg_signature_reads_qemu(struct ktest *t)
{
	KTEST_EXPECT_TRUE(t, fw_cfg_present());
}

static void fw_cfg_reads_a_known_file(struct ktest *t)
{
	struct e820_wire e[16];
	int n = fw_cfg_read_file("etc/e820", e, sizeof(e)), i;
	bool low_ram = false;

	KTEST_ASSERT_TRUE(t, n > 0);
	KTEST_ASSERT_EQ(t, n % (int)sizeof(e[0]), 0);
	for (i = 0; i < n / (int)sizeof(e[0]); i++)
		if (e[i].type == 1 && e[i].addr == 0 && e[i].len > 0)
			low_ram = true;		/* E820_RAM from 0 */
	KTEST_EXPECT_TRUE(t, low_ram);
}

static void fw_cfg_truncates_to_the_buffer(struct ktest *t)
{
	u8 buf[8];
	int i, n;

	for (i = 0; i < 8; i++)
		buf[i] = 0xa5;
	n = fw_cfg_read_file("etc/e820", buf, 3);
	KTEST_EXPECT_EQ(t, n, 3);
	for (i = 3; i < 8; i++)
		KTEST_EXPECT_EQ(t, buf[i], 0xa5);
	KTEST_EXPECT_EQ(t, fw_cfg_read_file("etc/e820", buf, 0), 0);
}

static void fw_cfg_missing_file_is_enoent(struct ktest *t)
{
	char buf[4];

	KTEST_EXPECT_EQ(t, fw_cfg_read_file("opt/quire/no-such-file", buf, 4),
			-ENOENT);
	/* A prefix of a real name is not that name. */
	KTEST_EXPECT_EQ(t, fw_cfg_read_file("etc/e82", buf, 4), -ENOENT);
	/* Longer than any directory entry can hold (55 chars + NUL). */
	KTEST_EXPECT_EQ(t, fw_cfg_read_file(
		"etc/e820-this-name-is-far-longer-than-fifty-six-characters",
		buf, 4), -ENOENT);
}

static void fw_cfg_rejects_bad_arguments(struct ktest *t)
{
	char buf[4];

	KTEST_EXPECT_EQ(t, fw_cfg_read_file(NULL, buf, 4), -EINVAL);
	KTEST_EXPECT_EQ(t, fw_cfg_read_file("", buf, 4), -EINVAL);
	KTEST_EXPECT_EQ(t, fw_cfg_read_file("etc/e820", NULL, 4), -EINVAL);
}

static const struct ktest_case fw_cfg_cases[] = {
	KTEST_CASE(fw_cfg_signature_reads_qemu),
	KTEST_CASE(fw_cfg_reads_a_known_file),
	KTEST_CASE(fw_cfg_truncates_to_the_buffer),
	KTEST_CASE(fw_cfg_missing_file_is_enoent),
	KTEST_CASE(fw_cfg_rejects_bad_arguments),
	KTEST_END,
};

static const struct ktest_suite fw_cfg_suite = {
	.name = "fw_cfg",
	.cases = fw_cfg_cases,
};
KTEST_SUITE(fw_cfg_suite);
