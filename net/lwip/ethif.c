/*
 * net/lwip/ethif.c - lwIP's netifs on Quire's net_devices, and the
 * stack's start at boot (lwIP's "ethernetif" skeleton, Quire's way).
 *
 * Layer: net (lwIP port). Used by: boot (late initcall), the shell,
 * tests. Provides: ethif_list, ethif_first(), ethif_wait_for_address(),
 * net_lwip_running(), net_parse_ip4().
 * Not here: devices that come after boot (none do yet), IPv6.
 *
 * Paths:
 *  transmit: lwIP (core lock held) -> ethif_linkoutput(): the pbuf chain
 *    is linearised into the netif's txbuf and given to dev_queue_xmit();
 *    NETDEV_TX_BUSY is retried ETHIF_TX_TRIES times a jiffy apart, then
 *    the frame is dropped (counted; TCP retransmits).
 *  receive: a driver's netif_rx() -> ethif_rx(): a PBUF_POOL chain;
 *    with net.lwip.rx_direct (default) lwIP takes it there under the core
 *    lock (LWIP_TCPIP_CORE_LOCKING_INPUT's way: no hand-off to the tcpip
 *    thread per frame), else tcpip_input() posts it to the tcpip thread's
 *    mailbox; no pbuf or a full mailbox drops it (counted). Either way
 *    netif_rx() is called in process context.
 *  carrier: netif_carrier_on/off() -> ethif_link() -> tcpip_try_callback()
 *    -> netif_set_link_up/down() on the tcpip thread; a full mailbox is
 *    retried a jiffy later by the link_retry work (NL3).
 *
 * Checksum offload (per netif, LWIP_CHECKSUM_CTRL_PER_NETIF; a device
 * without the features, like quire-host's slirp link, keeps lwIP's
 * software checksums both ways):
 *  transmit, NETIF_F_HW_CSUM: lwIP does not compute TCP/UDP checksums on
 *    this netif (NETIF_CHECKSUM_GEN_TCP/UDP off: it leaves the field 0).
 *    lwIP's pbufs carry no checksum offsets, so ethif_tx_csum() finds
 *    them in the linearised frame: an unfragmented IPv4 TCP or UDP
 *    packet gets the pseudo-header sum in its field and goes by
 *    dev_queue_xmit_csum() (csum_start = after the IP header,
 *    csum_offset 16 for TCP, 6 for UDP), Linux's CHECKSUM_PARTIAL. The
 *    IP header checksum stays lwIP's. Every TCP/UDP frame here is lwIP's
 *    own TCP or UDP (field 0): LWIP_RAW is on, but its one user is ping's
 *    ICMP pcb (net_shell.c; ICMP is never touched here), IP_FORWARD is
 *    off, and a raw pcb of protocol TCP/UDP, whose sender would have
 *    filled the checksum itself, does not exist. An IP fragment cannot be
 *    offloaded (the checksum covers the whole datagram): lwIP's TCP
 *    never fragments (MSS 1460), a UDP datagram over the MTU leaves
 *    without a checksum (0, allowed over IPv4), counted.
 *  receive, NETIF_F_RXCSUM: a frame the device says CHECKSUM_UNNECESSARY
 *    (and that is not an IP fragment) goes to the tcpip thread with
 *    ethif_input_trusted(), which turns NETIF_CHECKSUM_CHECK_TCP/UDP off
 *    for that frame alone (under the core lock, around ethernet_input());
 *    every other frame is verified as before (IP and ICMP always are).
 *
 * Configuration (kernel command line): ip=dhcp (the default), ip=off, or
 * ip=A.B.C.D/LEN[,gw=A.B.C.D] for the first device; others use DHCP.
 *
 * Invariants:
 *  NL1: every frame handed to ethif_rx() is either queued for the tcpip
 *       thread or counted in rx_dropped, never both.
 *  NL2: ethif_linkoutput() runs under the core lock (lwIP calls it from
 *       the stack), so txbuf needs no lock of its own.
 *  NL3: every carrier change reaches lwIP: ethif_link_apply() reads the
 *       latest state when it runs, and a post the full tcpip mailbox
 *       refuses is retried by link_retry until one is queued (a lost "up"
 *       would leave the netif down for good; Linux's linkwatch work).
 *
 * Locking: lwIP's core lock (LOCK_TCPIP_CORE, a Quire mutex) guards every
 * struct netif and lwIP's own state; it is taken by API callers and held
 * by the tcpip thread while it runs. netif_rx takes it with rx_direct (so
 * nothing holding it may wait for a driver's receive work); the carrier
 * path never does: it posts to the tcpip mailbox. dev_open() is called
 * without it (a driver may report carrier from ndo_open).
 */
#include <quire/kernel.h>
#include <quire/errno.h>
#include <quire/init.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/slab.h>
#include <quire/sched.h>
#include <quire/completion.h>
#include <quire/jiffies.h>
#include <quire/sysctl.h>
#include <arch/time.h>

#include "lwip/opt.h"
#include "lwip/init.h"
#include "lwip/tcpip.h"
#include "lwip/netif.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "netif/ethernet.h"

#include "lwip_port.h"

#include <quire/checksum.h>

#define ETHIF_TX_TRIES 25 /* BUSY retries, a jiffy apart: ~100 ms */

/* net.lwip.rx_direct: 1, a received frame goes through lwIP in the
 * driver's context under the core lock (lwIP's LWIP_TCPIP_CORE_LOCKING_INPUT,
 * Linux's NAPI poll running the stack); 0, by the tcpip mailbox. */
static unsigned int ethif_rx_direct = 1;
SYSCTL_ENTRY(ethif_rx_direct, .procname = "net.lwip.rx_direct", .data = &ethif_rx_direct,
	     .type = SYSCTL_UINT, .min = 0, .max = 1);

LIST_HEAD(ethif_list);
static bool lwip_started;

bool net_lwip_running(void)
{
	return __atomic_load_n(&lwip_started, __ATOMIC_ACQUIRE);
}

struct ethif *ethif_first(void)
{
	return list_empty(&ethif_list) ?
		       NULL :
		       list_first_entry(&ethif_list, struct ethif, list);
}

/* An IPv4 packet in a frame: its header length, protocol and total
 * length, or false for anything else (or a malformed header). */
static bool ethif_ip4(const u8 *f, unsigned int len, unsigned int *ihl, u8 *proto,
		      unsigned int *tot, bool *frag)
{
	const u8 *ip = f + ETH_HLEN;

	if (len < ETH_HLEN + 20 || f[12] != 0x08 || f[13] != 0x00 || ip[0] >> 4 != 4)
		return false;
	*ihl = (ip[0] & 15) * 4;
	*tot = ip[2] << 8 | ip[3];
	*proto = ip[9];
	*frag = ((ip[6] << 8 | ip[7]) & 0x3fff) != 0; /* MF or an offset */
	return *ihl >= 20 && *tot >= *ihl && ETH_HLEN + *tot <= len;
}

/*
 * NETIF_F_HW_CSUM: lwIP left the TCP/UDP checksum of the frame in txbuf
 * at 0. Put the pseudo-header sum there and say where the device stores
 * the checksum (true, @start and @offset), or complete it here when the
 * frame has bytes after the IP packet (the device would sum them too);
 * false for a frame that is not TCP/UDP over IPv4. NL2: core lock.
 */
static bool ethif_tx_csum(struct ethif *e, unsigned int len, unsigned int *start,
			  unsigned int *offset)
{
	u8 *f = e->txbuf;
	unsigned int ihl, tot, l4len;
	u32 saddr, daddr;
	bool frag;
	u8 proto;
	u16 pseudo;

	if (!ethif_ip4(f, len, &ihl, &proto, &tot, &frag))
		return false;
	if (proto == IP_PROTO_TCP)
		*offset = 16;
	else if (proto == IP_PROTO_UDP)
		*offset = 6;
	else
		return false;
	if (frag) { /* the checksum covers the datagram, not this frame */
		e->tx_csum_frag++;
		return false;
	}
	l4len = tot - ihl;
	if (l4len < *offset + 2)
		return false;
	*start = ETH_HLEN + ihl;
	memcpy(&saddr, f + ETH_HLEN + 12, 4);
	memcpy(&daddr, f + ETH_HLEN + 16, 4);
	pseudo = csum_tcpudp_partial(saddr, daddr, l4len, proto);
	memcpy(f + *start + *offset, &pseudo, 2);
	if (ETH_HLEN + tot != len) {
		csum_complete_partial(f, ETH_HLEN + tot, *start, *offset);
		e->tx_csum_sw++;
		return false;
	}
	e->tx_csum_offloaded++;
	return true;
}

/* NL2: lwIP holds the core lock here. */
static err_t ethif_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct ethif *e = netif->state;
	unsigned int len = p->tot_len;
	unsigned int csum_start = 0, csum_offset = 0;
	bool partial;
	int tries, r;

	if (len > sizeof(e->txbuf) || pbuf_copy_partial(p, e->txbuf, len, 0) != len) {
		LINK_STATS_INC(link.lenerr);
		return ERR_BUF;
	}
	partial = e->tx_csum && ethif_tx_csum(e, len, &csum_start, &csum_offset);
	tcp_flow_tx(e->txbuf, len);
	for (tries = 0; tries < ETHIF_TX_TRIES; tries++) {
		if (partial)
			r = dev_queue_xmit_csum(e->dev, e->txbuf, len, csum_start,
						csum_offset);
		else
			r = dev_queue_xmit(e->dev, e->txbuf, len);
		if (r == NETDEV_TX_OK) {
			LINK_STATS_INC(link.xmit);
			return ERR_OK;
		}
		if (r != NETDEV_TX_BUSY)
			break;
		e->tx_busy_retries++;
		if (!netif_running(e->dev))
			break;
		schedule_timeout_uninterruptible(1);
	}
	e->tx_dropped++;
	LINK_STATS_INC(link.drop);
	return ERR_IF;
}

/* A frame the device verified (CHECKSUM_UNNECESSARY): lwIP skips the
 * TCP/UDP checksum check for it alone. On the tcpip thread, core lock
 * held (so no other frame sees the flags changed). */
static err_t ethif_input_trusted(struct pbuf *p, struct netif *netif)
{
	u16_t flags = netif->chksum_flags;
	err_t err;

	NETIF_SET_CHECKSUM_CTRL(
		netif, flags & ~(NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP));
	err = ethernet_input(p, netif);
	NETIF_SET_CHECKSUM_CTRL(netif, flags);
	return err;
}

/* May lwIP skip verifying @frame's TCP/UDP checksum? Only when the device
 * said so and it is a whole (unfragmented) IPv4 packet: a reassembled
 * datagram is verified when its last fragment comes in. */
static bool ethif_rx_trusted(struct ethif *e, const void *frame, unsigned int len,
			     unsigned int ip_summed)
{
	unsigned int ihl, tot;
	bool frag;
	u8 proto;

	return ip_summed == CHECKSUM_UNNECESSARY && e->rx_csum &&
	       ethif_ip4(frame, len, &ihl, &proto, &tot, &frag) && !frag;
}

/* NL1. Context: the driver's (process), never the core lock. */
static void ethif_rx(struct net_device *dev, const void *frame, unsigned int len,
		     unsigned int ip_summed, void *data)
{
	struct ethif *e = data;
	struct pbuf *p;

	if (len < ETH_HLEN || len > ETH_HLEN + dev->mtu + 4) {
		LINK_STATS_INC(link.lenerr);
		goto drop;
	}
	p = pbuf_alloc(PBUF_RAW, len, PBUF_POOL);
	if (!p) {
		LINK_STATS_INC(link.memerr);
		goto drop;
	}
	pbuf_take(p, frame, len);
	p->rx_ns = tcp_flow_on() ? arch_clock_ns() : 0;
	LINK_STATS_INC(link.recv);
	if (READ_ONCE(ethif_rx_direct)) {
		bool trusted = ethif_rx_trusted(e, frame, len, ip_summed);

		if (trusted)
			__atomic_add_fetch(&e->rx_csum_trusted, 1, __ATOMIC_RELAXED);
		LOCK_TCPIP_CORE();
		if ((trusted ? ethif_input_trusted : ethernet_input)(p, &e->netif) !=
		    ERR_OK)
			pbuf_free(p);
		UNLOCK_TCPIP_CORE();
		return;
	}
	if (ethif_rx_trusted(e, frame, len, ip_summed)) {
		__atomic_add_fetch(&e->rx_csum_trusted, 1, __ATOMIC_RELAXED);
		if (tcpip_inpkt(p, &e->netif, ethif_input_trusted) != ERR_OK) {
			pbuf_free(p);
			goto drop;
		}
		return;
	}
	if (e->netif.input(p, &e->netif) != ERR_OK) {
		pbuf_free(p);
		goto drop;
	}
	return;
drop:
	__atomic_add_fetch(&e->rx_dropped, 1, __ATOMIC_RELAXED);
	LINK_STATS_INC(link.drop);
}

/* On the tcpip thread (core lock held). */
static void ethif_link_apply(void *arg)
{
	struct ethif *e = arg;

	if (__atomic_load_n(&e->link_up, __ATOMIC_ACQUIRE))
		netif_set_link_up(&e->netif);
	else
		netif_set_link_down(&e->netif);
}

/* NL3: a post the full mailbox refused is tried again a jiffy later,
 * until one goes in. Context: system_wq. */
static void ethif_link_retry(struct work_struct *work)
{
	struct ethif *e = container_of(to_delayed_work(work), struct ethif, link_retry);

	if (tcpip_try_callback(ethif_link_apply, e) != ERR_OK)
		schedule_delayed_work(&e->link_retry, 1);
}

static void ethif_link(struct net_device *dev, bool up, void *data)
{
	struct ethif *e = data;

	__atomic_store_n(&e->link_up, up, __ATOMIC_RELEASE);
	if (tcpip_try_callback(ethif_link_apply, e) != ERR_OK) {
		__atomic_add_fetch(&e->link_retries, 1, __ATOMIC_RELAXED);
		schedule_delayed_work(&e->link_retry, 1);
	}
}

/* On the tcpip thread: log each address the netif gets (DHCP's lease). */
static void ethif_status(struct netif *netif)
{
	struct ethif *e = netif->state;
	u32 ip = lwip_htonl(ip4_addr_get_u32(netif_ip4_addr(netif)));
	u32 mask = lwip_htonl(ip4_addr_get_u32(netif_ip4_netmask(netif)));
	u32 gw = lwip_htonl(ip4_addr_get_u32(netif_ip4_gw(netif)));

	if (!ip)
		return;
	pr_info("net: %s: %u.%u.%u.%u/%d gateway %u.%u.%u.%u (%s)\n", e->dev->name,
		ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255,
		mask ? 32 - __builtin_ctz(mask) : 0, gw >> 24, (gw >> 16) & 255,
		(gw >> 8) & 255, gw & 255, e->dhcp ? "DHCP" : "static");
}

static err_t ethif_init(struct netif *netif)
{
	struct ethif *e = netif->state;

	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->hostname = "quire";
	netif->mtu = e->dev->mtu;
	netif->hwaddr_len = ETH_ALEN;
	memcpy(netif->hwaddr, e->dev->dev_addr, ETH_ALEN);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	netif->output = etharp_output;
	netif->linkoutput = ethif_linkoutput;
	netif_set_status_callback(netif, ethif_status);
	/* The device completes TCP/UDP checksums: lwIP leaves them 0 here
	 * (ethif_tx_csum() fills in the pseudo-header sum). */
	e->tx_csum = e->dev->features & NETIF_F_HW_CSUM;
	e->rx_csum = e->dev->features & NETIF_F_RXCSUM;
	if (e->tx_csum)
		NETIF_SET_CHECKSUM_CTRL(netif, NETIF_CHECKSUM_ENABLE_ALL &
						       ~(NETIF_CHECKSUM_GEN_TCP |
							 NETIF_CHECKSUM_GEN_UDP));
	return ERR_OK;
}

int net_parse_ip4(const char *s, u32 *addr)
{
	unsigned int part[4], i;

	for (i = 0; i < 4; i++) {
		unsigned int v = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (*s++ - '0');
			digits++;
		}
		if (!digits || digits > 3 || v > 255)
			return -EINVAL;
		part[i] = v;
		if (i < 3 && *s++ != '.')
			return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	*addr = lwip_htonl(part[0] << 24 | part[1] << 16 | part[2] << 8 | part[3]);
	return 0;
}

/* "dhcp", "off" or "A.B.C.D/LEN[,gw=A.B.C.D]": 0 or -EINVAL. */
int ethif_parse_config(const char *s, struct ethif_config *c)
{
	char addr[16];
	const char *slash, *comma;
	unsigned int len = 24;
	u32 ip, gw = 0;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->dhcp = true;
	if (!s || !strcmp(s, "dhcp"))
		return 0;
	c->dhcp = false;
	if (!strcmp(s, "off")) {
		c->off = true;
		return 0;
	}
	slash = strchr(s, '/');
	comma = strchr(s, ',');
	n = slash ? (size_t)(slash - s) : comma ? (size_t)(comma - s) : strlen(s);
	if (n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (net_parse_ip4(addr, &ip))
		return -EINVAL;
	if (slash) {
		char lenbuf[4];
		size_t m = comma ? (size_t)(comma - slash - 1) : strlen(slash + 1);

		if (!m || m >= sizeof(lenbuf))
			return -EINVAL;
		memcpy(lenbuf, slash + 1, m);
		lenbuf[m] = '\0';
		if (kstrtouint(lenbuf, 10, &len) || len < 1 || len > 32)
			return -EINVAL;
	}
	if (comma && (strncmp(comma, ",gw=", 4) || net_parse_ip4(comma + 4, &gw)))
		return -EINVAL;
	ip4_addr_set_u32(&c->ip, ip);
	ip4_addr_set_u32(&c->mask, lwip_htonl(len == 32 ? ~0U : ~(~0U >> len)));
	ip4_addr_set_u32(&c->gw, gw);
	return 0;
}

int ethif_attach(struct net_device *dev, const struct ethif_config *c)
{
	struct ethif *e = kzalloc(sizeof(*e), GFP_KERNEL);
	int err;

	if (!e)
		return -ENOMEM;
	e->dev = dev;
	e->dhcp = c->dhcp;
	INIT_DELAYED_WORK(&e->link_retry, ethif_link_retry);
	LOCK_TCPIP_CORE();
	if (!netif_add(&e->netif, &c->ip, &c->mask, &c->gw, e, ethif_init, tcpip_input)) {
		UNLOCK_TCPIP_CORE();
		kfree(e);
		return -EINVAL;
	}
	if (list_empty(&ethif_list))
		netif_set_default(&e->netif);
	netif_set_up(&e->netif);
	UNLOCK_TCPIP_CORE();

	err = netdev_rx_handler_register(dev, ethif_rx, ethif_link, e);
	if (!err)
		err = dev_open(dev);
	if (err) {
		pr_err("net: %s: cannot open: %d\n", dev->name, err);
		netdev_rx_handler_unregister(dev);
		cancel_delayed_work_sync(&e->link_retry);
		LOCK_TCPIP_CORE();
		netif_remove(&e->netif);
		UNLOCK_TCPIP_CORE();
		kfree(e);
		return err;
	}
	list_add_tail(&e->list, &ethif_list);
	/* A carrier already on is applied now, so the shell's first command
	 * finds the link up (later changes go through ethif_link()). */
	LOCK_TCPIP_CORE();
	if (netif_carrier_ok(dev)) {
		__atomic_store_n(&e->link_up, true, __ATOMIC_RELEASE);
		netif_set_link_up(&e->netif);
	}
	if (c->dhcp)
		err = dhcp_start(&e->netif) == ERR_OK ? 0 : -ENOMEM;
	UNLOCK_TCPIP_CORE();
	pr_info("net: %s (%s) is en%u, %s\n", dev->name, dev->driver ? dev->driver : "?",
		e->netif.num, c->dhcp ? "DHCP" : "static address");
	return err;
}

static void ethif_barrier_done(void *arg)
{
	complete(arg);
}

void ethif_detach(struct ethif *e)
{
	DECLARE_COMPLETION_ONSTACK(flushed);

	/* No frame or carrier callback runs or starts after this (ND4:
	 * unregister waits for those in progress); then one callback
	 * through the tcpip mailbox (FIFO) runs after every one posted
	 * before, so none is left holding @e. */
	netdev_rx_handler_unregister(e->dev);
	cancel_delayed_work_sync(&e->link_retry);
	dev_close(e->dev);
	while (tcpip_try_callback(ethif_barrier_done, &flushed) != ERR_OK)
		schedule_timeout_uninterruptible(1);
	wait_for_completion(&flushed);
	LOCK_TCPIP_CORE();
	netif_remove(&e->netif);
	UNLOCK_TCPIP_CORE();
	list_del(&e->list);
	kfree(e);
}

int ethif_wait_for_address(struct ethif *e, unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	for (;;) {
		bool have;

		LOCK_TCPIP_CORE();
		have = !ip4_addr_isany_val(*netif_ip4_addr(&e->netif)) &&
		       netif_is_link_up(&e->netif);
		UNLOCK_TCPIP_CORE();
		if (have)
			return 0;
		if (time_after(jiffies, end))
			return -ETIMEDOUT;
		schedule_timeout_uninterruptible(msecs_to_jiffies(10));
	}
}

struct net_boot {
	struct ethif_config first, rest;
	unsigned int n;
};

static int net_attach_one(struct net_device *dev, void *arg)
{
	struct net_boot *b = arg;
	const struct ethif_config *c = b->n++ ? &b->rest : &b->first;
	int err;

	if (c->off)
		return 0;
	err = ethif_attach(dev, c);
	if (err)
		pr_err("net: %s: not attached to lwIP: %d\n", dev->name, err);
	return 0;
}

static int net_count_one(struct net_device *dev, void *arg)
{
	(*(unsigned int *)arg)++;
	return 0;
}

static void net_tcpip_ready(void *arg)
{
	complete(arg);
}

/* Start lwIP when there is a device to serve: a kernel without one (no
 * NIC yet, most test runs) runs no tcpip thread and no lwIP timers. */
static int net_lwip_init(void)
{
	DECLARE_COMPLETION_ONSTACK(ready);
	struct net_boot b = {.n = 0};
	unsigned int devices = 0;
	char ip[64];

	for_each_netdev(net_count_one, &devices);
	if (!devices)
		return 0;
	if (ethif_parse_config(cmdline_get("ip", ip, sizeof(ip)), &b.first)) {
		pr_err("net: ip=%s: not dhcp, off or A.B.C.D/LEN[,gw=A.B.C.D]; using DHCP\n",
		       ip);
		ethif_parse_config(NULL, &b.first);
	}
	ethif_parse_config(NULL, &b.rest);
	tcpip_init(net_tcpip_ready, &ready);
	wait_for_completion(&ready);
	__atomic_store_n(&lwip_started, true, __ATOMIC_RELEASE);
	pr_info("net: lwIP " LWIP_VERSION_STRING " started, %u device%s\n", devices,
		devices == 1 ? "" : "s");
	for_each_netdev(net_attach_one, &b);
	return 0;
}
late_initcall(net_lwip_init);
