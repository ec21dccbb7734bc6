/*
 * include/quire/checksum.h - the Internet checksum (RFC 1071) for the
 * network seam and drivers: Linux's names (csum_partial, csum_fold,
 * csum_tcpudp_nofold), plain C, no arch-specific versions.
 *
 * Layer: net. Implemented by net/core/checksum.c. Used by: net/core/dev.c
 * (completing a partial checksum for a device without NETIF_F_HW_CSUM),
 * drivers/net/virtio_net.c (completing a partial checksum received with
 * VIRTIO_NET_HDR_F_NEEDS_CSUM), net/lwip/ethif.c (the pseudo-header sum
 * of a frame whose checksum the device fills), tests.
 *
 * A sum (u32, "wsum") is an unfolded ones' complement sum of 16-bit words
 * in network byte order, read as they lie in memory (so the result is in
 * memory order too, as Linux's __wsum: store a folded value as it is).
 */
#ifndef QUIRE_CHECKSUM_H
#define QUIRE_CHECKSUM_H

#include <quire/types.h>

/* Add @len bytes at @buf to @sum (an odd last byte is padded with 0).
 * @len must be even except for the last piece of a sum. */
u32 csum_partial(const void *buf, unsigned int len, u32 sum);

/* Fold @sum to 16 bits and complement it: the checksum to store. */
u16 csum_fold(u32 sum);

/* The IPv4 pseudo-header (RFC 793/768) added to @sum: @saddr and @daddr
 * as they lie in the packet (network order), @len the TCP/UDP length and
 * @proto the protocol in host order. */
u32 csum_tcpudp_nofold(u32 saddr, u32 daddr, u32 len, u8 proto, u32 sum);

/* The value a CHECKSUM_PARTIAL frame carries in its checksum field: the
 * pseudo-header sum folded but NOT complemented (Linux's
 * ~csum_tcpudp_magic(), what tcp_v4_send_check() stores), so that the
 * device's ones' complement sum from csum_start gives the checksum. */
static inline u16 csum_tcpudp_partial(u32 saddr, u32 daddr, u32 len, u8 proto)
{
	return (u16)~csum_fold(csum_tcpudp_nofold(saddr, daddr, len, proto, 0));
}

/*
 * Complete a partial checksum in place (Linux's skb_checksum_help()):
 * the ones' complement sum of @frame[@start..@len) -- the field at
 * @start + @offset holding the pseudo-header sum -- folded, complemented
 * and stored at @start + @offset (0 is stored as 0xffff, which is the
 * same checksum and never reads as "no checksum" for UDP). 0, or
 * -EINVAL when the field is not inside [@start, @len) (nothing written).
 */
int csum_complete_partial(void *frame, unsigned int len, unsigned int start,
			  unsigned int offset);

#endif
