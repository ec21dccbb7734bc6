/*
 * net/lwip/lwip_port.h - what the files of Quire's lwIP port share.
 *
 * Layer: net (lwIP port). Used by: sys_arch.c, ethif.c, net_shell.c and
 * the port's tests. Include after lwIP's headers.
 */
#ifndef QUIRE_NET_LWIP_PORT_H
#define QUIRE_NET_LWIP_PORT_H

#include <quire/netdevice.h>
#include <quire/list.h>
#include <quire/workqueue.h>
#include "lwip/netif.h"

/* Milliseconds since @start (a sys_now() value), at most @timeout_ms when
 * that is not 0 (lwIP's contract for the sys_arch_*_wait results). */
static inline u32_t lwip_elapsed_ms(u32_t start, u32_t timeout_ms)
{
	u32_t e = sys_now() - start;

	return (timeout_ms && e > timeout_ms) ? timeout_ms : e;
}

/*
 * One lwIP netif per Quire net_device (ethif.c). Created at boot for
 * every registered device and never freed (devices are not unregistered
 * while the stack runs: include/quire/netdevice.h).
 */
struct ethif {
	struct netif netif; /* lwIP's; under the core lock */
	struct net_device *dev;
	struct list_head list;		/* on ethif_list, fixed after boot */
	bool link_up;			/* last carrier state seen, atomic */
	struct delayed_work link_retry; /* posts ethif_link_apply (NL3) */
	bool dhcp;			/* the address comes from DHCP */
	u64 tx_busy_retries;		/* dev_queue_xmit() BUSY, retried; core lock */
	u64 tx_dropped;			/* given up after ETHIF_TX_TRIES; core lock */
	u64 rx_dropped;			/* no pbuf or the mailbox was full */
	u64 link_retries;      /* link posts refused by a full mailbox (NL3), atomic */
	bool tx_csum, rx_csum; /* the device's NETIF_F_HW_CSUM, NETIF_F_RXCSUM */
	u64 tx_csum_offloaded; /* TCP/UDP frames sent CHECKSUM_PARTIAL; core lock */
	u64 tx_csum_sw;	       /* ... completed here instead (padded frame); core lock */
	u64 tx_csum_frag;      /* TCP/UDP fragments sent without checksum; core lock */
	u64 rx_csum_trusted;   /* frames lwIP did not verify (device: valid), atomic */
	u8 txbuf[ETH_FRAME_LEN]; /* linearised frame; core lock */
};

/* A mailbox's state and sys_mbox_trypost() refusals (sys_arch.c): for a
 * listener's accept mailbox, full_msgs counts connections lwIP reset just
 * after their handshake (accept_function()'s ERR_MEM: tcp_abort()),
 * full_errs the error markers (a SYN with no pcb or netconn) it dropped. */
struct lwip_mbox_stats {
	unsigned int len, size, high;
	unsigned long full_msgs, full_errs;
};
void lwip_mbox_get_stats(sys_mbox_t *mbox, struct lwip_mbox_stats *s);

/* `tcpflow` (tcp_flow.c): a frame @f of @len bytes lwIP sends; core lock. */
void tcp_flow_tx(const u8 *f, unsigned int len);
bool tcp_flow_on(void);

/* The netifs, in net_device registration order (fixed after boot). */
extern struct list_head ethif_list;
/* True once tcpip_init() has run (some device was there at boot). */
bool net_lwip_running(void);
/* The first netif (eth0's), or NULL. */
struct ethif *ethif_first(void);
/* Attach @dev to lwIP with @c (boot does it for every device): 0 or
 * -errno. ethif_detach() undoes it (for tests: devices stay otherwise),
 * closing the device; on return no lwIP path refers to @e. Context:
 * process, not under the core lock. */
struct ethif_config;
int ethif_attach(struct net_device *dev, const struct ethif_config *c);
void ethif_detach(struct ethif *e);
/* Wait until @e has an IPv4 address: 0, or -ETIMEDOUT after @ms. */
int ethif_wait_for_address(struct ethif *e, unsigned int ms);

/* The core lock if it is free now (sys_arch.c, LW4's bookkeeping kept):
 * true with it held, to release with UNLOCK_TCPIP_CORE(); false at once
 * when another thread holds it. Context: process, not holding it. */
bool lwip_port_trylock_core(void);

/* Parse "A.B.C.D" into network order: 0 or -EINVAL. */
int net_parse_ip4(const char *s, u32 *addr);

/* The address configuration of a netif (ethif.c), from ip= on the kernel
 * command line: "dhcp" (also for NULL), "off" or A.B.C.D/LEN[,gw=A.B.C.D]. */
struct ethif_config {
	bool off, dhcp;
	ip4_addr_t ip, mask, gw;
};
int ethif_parse_config(const char *s, struct ethif_config *c);

/* One ICMP echo to @dst (network order) with sequence @seq: 0 with the
 * round trip in @rtt_us and the reply's TTL, -ETIMEDOUT after
 * @timeout_ms, -ENODEV without a stack. Context: process, may sleep;
 * not with the core lock held. (net_shell.c) */
int net_ping_once(u32 dst, u16 seq, unsigned int timeout_ms, u32 *rtt_us, u8 *ttl);

#endif
