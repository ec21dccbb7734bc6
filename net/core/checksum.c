/*
 * net/core/checksum.c - the Internet checksum (RFC 1071), in C: what the
 * seam and virtio_net need to complete or prepare a partial checksum
 * (include/quire/checksum.h). lwIP has its own (inet_chksum.c) for the
 * checksums it computes itself.
 *
 * Layer: net. Used by: net/core/dev.c, drivers/net/virtio_net.c,
 * net/lwip/ethif.c, tests.
 */
#include <quire/checksum.h>
#include <quire/errno.h>

static u32 csum_add(u32 sum, u32 add)
{
	sum += add;
	return sum + (sum < add); /* end-around carry */
}

u32 csum_partial(const void *buf, unsigned int len, u32 sum)
{
	const u8 *p = buf;
	u64 acc = sum;

	/* 16-bit words as they lie in memory (little endian here): the
	 * ones' complement sum is byte-order independent (RFC 1071 2(B)),
	 * so the folded result is the checksum in memory order. */
	while (len >= 2) {
		acc += (u16)(p[0] | p[1] << 8);
		p += 2;
		len -= 2;
	}
	if (len)
		acc += p[0];
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (u32)acc;
}

u16 csum_fold(u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

u32 csum_tcpudp_nofold(u32 saddr, u32 daddr, u32 len, u8 proto, u32 sum)
{
	/* The pseudo header is saddr, daddr, zero, proto, length (16 bits):
	 * in memory order, proto and length are byte-swapped words. */
	u16 plen = (u16)len;

	sum = csum_add(sum, saddr);
	sum = csum_add(sum, daddr);
	sum = csum_add(sum, (u32)proto << 8);
	sum = csum_add(sum, (u32)(u16)(plen >> 8 | plen << 8));
	return sum;
}

int csum_complete_partial(void *frame, unsigned int len, unsigned int start,
			  unsigned int offset)
{
	u8 *f = frame;
	u16 c;

	if (start >= len || offset > len - start || len - start - offset < 2)
		return -EINVAL;
	c = csum_fold(csum_partial(f + start, len - start, 0));
	if (!c)
		c = 0xffff;
	f[start + offset] = (u8)c;
	f[start + offset + 1] = (u8)(c >> 8);
	return 0;
}
