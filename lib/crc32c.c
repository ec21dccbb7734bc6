/*
 * lib/crc32c.c - CRC32C (Castagnoli), table-driven.
 *
 * Layer: lib. Used by: qlfs (fs/qlfs/). Provides: crc32c().
 *
 * The reflected form: bits go in least significant first, so one table
 * step is crc = table[(crc ^ byte) & 0xff] ^ (crc >> 8), where table[i] is
 * i run through 8 shift-and-xor steps with the polynomial 0x82F63B78 (the
 * bit reversal of 0x1EDC6F41). The table is built on first use; building
 * it twice at once from two CPUs writes the same values, so no lock.
 *
 * Invariant CRC1: table[i] == eight reflected steps of i (crc32c_table_ok()
 * is what the `crc32c` suite compares against a bitwise computation).
 */
#include <quire/crc32c.h>
#include <quire/compiler.h>

#define CRC32C_POLY 0x82f63b78u /* reflected Castagnoli polynomial */

static u32 crc32c_table[256];
static bool crc32c_table_ready;

static u32 crc32c_byte_steps(u32 crc)
{
	for (int bit = 0; bit < 8; bit++)
		crc = (crc >> 1) ^ ((crc & 1) ? CRC32C_POLY : 0);
	return crc;
}

static void crc32c_init_table(void)
{
	for (u32 i = 0; i < 256; i++)
		WRITE_ONCE(crc32c_table[i], crc32c_byte_steps(i));
	__atomic_store_n(&crc32c_table_ready, true, __ATOMIC_RELEASE);
}

u32 crc32c(u32 crc, const void *p, size_t len)
{
	const u8 *b = p;

	if (!__atomic_load_n(&crc32c_table_ready, __ATOMIC_ACQUIRE))
		crc32c_init_table();
	while (len--)
		crc = READ_ONCE(crc32c_table[(crc ^ *b++) & 0xff]) ^ (crc >> 8);
	return crc;
}
