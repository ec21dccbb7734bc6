/*
 * include/quire/crc32c.h - CRC32C (Castagnoli, reflected polynomial
 * 0x82F63B78), Linux's crc32c() contract.
 *
 * Layer: lib. Implemented by lib/crc32c.c (table-driven, one byte a step).
 * Used by: qlfs's metadata checksums (include/quire/qlfs_fs.h).
 *
 * crc32c(crc, p, len) continues a CRC from @crc over @len bytes and does no
 * inversion itself: the standard CRC32C of a buffer (iSCSI, RFC 3720) is
 * ~crc32c(~0u, p, len), and crc32c(crc32c(c, a, n), b, m) is the CRC of a
 * followed by b.
 */
#ifndef QUIRE_CRC32C_H
#define QUIRE_CRC32C_H

#include <quire/types.h>

u32 crc32c(u32 crc, const void *p, size_t len);

#endif
