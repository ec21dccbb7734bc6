/*
 * lib/crc32c_test.c - KTAP suite `crc32c`: lib/crc32c.c against RFC 3720's
 * test vectors (appendix B.4), the common check value of "123456789", a
 * bit-by-bit computation, and chaining.
 */
#include <quire/crc32c.h>
#include <quire/ktest.h>
#include <quire/string.h>

static u32 crc32c_std(const void *p, size_t len)
{
	return ~crc32c(~0u, p, len);
}

/* RFC 3720 B.4: 32 bytes of zeros, of ones, ascending, descending. */
static void crc32c_rfc3720_vectors(struct ktest *t)
{
	u8 buf[32];
	unsigned int i;

	memset(buf, 0, sizeof(buf));
	KTEST_EXPECT_EQ(t, crc32c_std(buf, 32), 0x8a9136aau);
	memset(buf, 0xff, sizeof(buf));
	KTEST_EXPECT_EQ(t, crc32c_std(buf, 32), 0x62a8ab43u);
	for (i = 0; i < 32; i++)
		buf[i] = i;
	KTEST_EXPECT_EQ(t, crc32c_std(buf, 32), 0x46dd794eu);
	for (i = 0; i < 32; i++)
		buf[i] = 31 - i;
	KTEST_EXPECT_EQ(t, crc32c_std(buf, 32), 0x113fdb5cu);
}

/* RFC 3720 B.4's iSCSI SCSI Read (10) command PDU. */
static void crc32c_rfc3720_read_pdu(struct ktest *t)
{
	static const u8 pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};

	KTEST_EXPECT_EQ(t, crc32c_std(pdu, sizeof(pdu)), 0xd9963a56u);
}

static void crc32c_check_value_and_empty(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, crc32c_std("123456789", 9), 0xe3069283u);
	KTEST_EXPECT_EQ(t, crc32c_std("", 0), 0);
	KTEST_EXPECT_EQ(t, crc32c(0x1234u, "", 0), 0x1234u);
}

static u32 crc32c_bitwise(u32 crc, const u8 *p, size_t len)
{
	while (len--) {
		crc ^= *p++;
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return crc;
}

/* CRC1: the table-driven result equals the bitwise one, and a CRC over a
 * buffer equals the CRC of its two halves chained, for every split. */
static void crc32c_table_matches_bitwise_and_chains(struct ktest *t)
{
	u8 buf[300];
	unsigned int i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)(i * 131 + 7);
	for (i = 0; i <= sizeof(buf); i += 13) {
		u32 whole = crc32c(0xdeadbeefu, buf, sizeof(buf));
		u32 split = crc32c(crc32c(0xdeadbeefu, buf, i), buf + i, sizeof(buf) - i);

		KTEST_EXPECT_EQ(t, whole, split);
		KTEST_EXPECT_EQ(t, crc32c(~0u, buf, i), crc32c_bitwise(~0u, buf, i));
	}
}

static const struct ktest_case crc32c_cases[] = {
	KTEST_CASE(crc32c_rfc3720_vectors),
	KTEST_CASE(crc32c_rfc3720_read_pdu),
	KTEST_CASE(crc32c_check_value_and_empty),
	KTEST_CASE(crc32c_table_matches_bitwise_and_chains),
	KTEST_END,
};

static const struct ktest_suite crc32c_suite = {
	.name = "crc32c",
	.cases = crc32c_cases,
};
KTEST_SUITE(crc32c_suite);
