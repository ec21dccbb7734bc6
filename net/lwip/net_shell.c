/*
 * net/lwip/net_shell.c - the network in the shell: `ifconfig`, `ping`,
 * `netstat` (lwIP's counters, pools and connections), and net_ping_once()
 * which the tests share.
 *
 * Layer: net (lwIP port). Used by: the shell, net/lwip/lwip_test.c.
 * Provides: net_ping_once(); shell commands ifconfig, ping, netstat.
 * Not here: changing addresses at run time (the command line sets them).
 *
 * Locking: everything lwIP is read under the core lock (LOCK_TCPIP_CORE)
 * and copied out before printing; ping's raw pcb callback runs on the
 * tcpip thread (core lock held) and hands the reply over by a completion.
 */
#include <quire/kernel.h>
#include <quire/errno.h>
#include <quire/shell.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/completion.h>
#include <quire/jiffies.h>
#include <arch/time.h>

#include "lwip/opt.h"
#include "lwip/tcpip.h"
#include "lwip/netif.h"
#include "lwip/dhcp.h"
#include "lwip/raw.h"
#include "lwip/icmp.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/ip4.h"
#include "lwip/stats.h"
#include "lwip/memp.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"

#include "lwip_port.h"
#include "lwip_hooks.h"

#define PING_ID	  0x5155 /* "QU" */
#define PING_DATA 56	 /* Linux ping's default payload */

static const char *const memp_names[MEMP_MAX] = {
#define LWIP_MEMPOOL(name, num, size, desc) [MEMP_##name] = desc,
#include "lwip/priv/memp_std.h"
};

static void print_ip4(const char *label, u32 a_net)
{
	u32 a = lwip_htonl(a_net);

	cprintf("%s%u.%u.%u.%u", label, a >> 24, (a >> 16) & 255, (a >> 8) & 255,
		a & 255);
}

/* --- ping --- */

struct ping_state {
	u16 seq; /* the echo we wait for; core lock */
	u8 ttl;
	u32 from;
	struct completion got;
};

/* On the tcpip thread: eat our echo replies, leave the rest to others. */
static u8_t ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p,
		      const ip_addr_t *addr)
{
	struct ping_state *st = arg;
	struct icmp_echo_hdr echo;
	struct ip_hdr iph;
	u16_t hlen;

	if (pbuf_copy_partial(p, &iph, sizeof(iph), 0) != sizeof(iph))
		return 0;
	hlen = IPH_HL_BYTES(&iph);
	if (pbuf_copy_partial(p, &echo, sizeof(echo), hlen) != sizeof(echo) ||
	    echo.type != ICMP_ER || echo.id != lwip_htons(PING_ID))
		return 0;
	if (echo.seqno == lwip_htons(st->seq)) {
		st->ttl = IPH_TTL(&iph);
		st->from = ip4_addr_get_u32(ip_2_ip4(addr));
		complete(&st->got);
	}
	pbuf_free(p);
	return 1;
}

static int ping_send(struct raw_pcb *pcb, u32 dst, u16 seq)
{
	struct pbuf *p =
		pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr) + PING_DATA, PBUF_RAM);
	struct icmp_echo_hdr *echo;
	ip_addr_t to;
	err_t err;
	int i;

	if (!p)
		return -ENOMEM;
	echo = p->payload;
	ICMPH_TYPE_SET(echo, ICMP_ECHO);
	ICMPH_CODE_SET(echo, 0);
	echo->id = lwip_htons(PING_ID);
	echo->seqno = lwip_htons(seq);
	echo->chksum = 0;
	for (i = 0; i < PING_DATA; i++)
		((u8 *)(echo + 1))[i] = (u8)i;
	echo->chksum = inet_chksum(echo, p->len);
	ip_addr_set_ip4_u32(&to, dst);
	err = raw_sendto(pcb, p, &to);
	pbuf_free(p);
	return err == ERR_OK ? 0 : -EIO;
}

int net_ping_once(u32 dst, u16 seq, unsigned int timeout_ms, u32 *rtt_us, u8 *ttl)
{
	struct ping_state st = {.seq = seq};
	struct raw_pcb *pcb;
	u64 start;
	int err;

	if (!net_lwip_running())
		return -ENODEV;
	init_completion(&st.got);
	LOCK_TCPIP_CORE();
	pcb = raw_new(IP_PROTO_ICMP);
	if (pcb) {
		raw_recv(pcb, ping_recv, &st);
		raw_bind(pcb, IP_ADDR_ANY);
		start = arch_clock_ns();
		err = ping_send(pcb, dst, seq);
	} else {
		err = -ENOMEM;
	}
	UNLOCK_TCPIP_CORE();
	if (!err && !wait_for_completion_timeout(&st.got, msecs_to_jiffies(timeout_ms)))
		err = -ETIMEDOUT;
	if (!err && rtt_us)
		*rtt_us = (arch_clock_ns() - start) / 1000;
	if (pcb) {
		LOCK_TCPIP_CORE();
		raw_remove(pcb); /* no callback runs after this */
		UNLOCK_TCPIP_CORE();
	}
	if (ttl)
		*ttl = st.ttl;
	return err;
}

static int ping_cmd(int argc, char **argv)
{
	unsigned int count = 4, wait_ms = 1000, i, got = 0;
	const char *host = NULL;
	u32 dst;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < (unsigned int)argc) {
			if (kstrtouint(argv[++i], 10, &count) || !count ||
			    count > 10000) {
				shell_error("ping", "-c: '%s' is not a count in 1..10000",
					    argv[i]);
				return -EINVAL;
			}
		} else if (!strcmp(argv[i], "-W") && i + 1 < (unsigned int)argc) {
			if (kstrtouint(argv[++i], 10, &wait_ms) || !wait_ms ||
			    wait_ms > 60000) {
				shell_error("ping",
					    "-W: '%s' is not milliseconds in 1..60000",
					    argv[i]);
				return -EINVAL;
			}
		} else if (!host) {
			host = argv[i];
		} else {
			shell_error("ping", "usage: ping [-c COUNT] [-W MS] A.B.C.D");
			return -EINVAL;
		}
	}
	if (!host || net_parse_ip4(host, &dst)) {
		shell_error("ping", "usage: ping [-c COUNT] [-W MS] A.B.C.D");
		return -EINVAL;
	}
	if (!net_lwip_running()) {
		shell_error("ping", "no network (no network device at boot)");
		return -ENODEV;
	}
	cprintf("PING %s: %d data bytes\n", host, PING_DATA);
	for (i = 1; i <= count; i++) {
		u32 rtt;
		u8 ttl;
		int err = net_ping_once(dst, i, wait_ms, &rtt, &ttl);

		if (!err) {
			got++;
			cprintf("%d bytes from %s: icmp_seq=%u ttl=%u time=%u.%03u ms\n",
				(int)(PING_DATA + sizeof(struct icmp_echo_hdr)), host, i,
				ttl, rtt / 1000, rtt % 1000);
		} else {
			cprintf("no reply for icmp_seq=%u (%s)\n", i,
				err == -ETIMEDOUT ? "timeout" : "cannot send");
		}
	}
	cprintf("--- %s ping statistics ---\n%u packets transmitted, %u received, %u%% packet loss\n",
		host, count, got, (count - got) * 100 / count);
	return got ? 0 : -ETIMEDOUT;
}
SHELL_COMMAND(ping, "ping", "ping [-c COUNT] [-W MS] A.B.C.D",
	      "send ICMP echo requests (lwIP's raw API)", ping_cmd);

/* --- ifconfig --- */

struct ifconfig_snap {
	u32 ip, mask, gw;
	u64 tx_dropped, tx_busy_retries; /* NL2: under the core lock */
	u64 tx_csum_offloaded, tx_csum_sw, tx_csum_frag;
	bool up, link, dhcp_bound;
	u8 num;
};

static void ifconfig_one(struct ethif *e)
{
	struct net_device *dev = e->dev;
	struct ifconfig_snap s;
	const u8 *m = dev->dev_addr;

	LOCK_TCPIP_CORE();
	s.ip = ip4_addr_get_u32(netif_ip4_addr(&e->netif));
	s.mask = ip4_addr_get_u32(netif_ip4_netmask(&e->netif));
	s.gw = ip4_addr_get_u32(netif_ip4_gw(&e->netif));
	s.up = netif_is_up(&e->netif);
	s.link = netif_is_link_up(&e->netif);
	s.dhcp_bound = e->dhcp && dhcp_supplied_address(&e->netif);
	s.num = e->netif.num;
	s.tx_dropped = e->tx_dropped;
	s.tx_busy_retries = e->tx_busy_retries;
	s.tx_csum_offloaded = e->tx_csum_offloaded;
	s.tx_csum_sw = e->tx_csum_sw;
	s.tx_csum_frag = e->tx_csum_frag;
	UNLOCK_TCPIP_CORE();

	cprintf("%s: flags=<%s%s%s> mtu %u  (lwIP en%u, driver %s)\n", dev->name,
		s.up ? "UP" : "DOWN", s.link ? ",RUNNING" : "",
		netif_running(dev) ? "" : ",CLOSED", dev->mtu, s.num,
		dev->driver ? dev->driver : "?");
	print_ip4("        inet ", s.ip);
	print_ip4("  netmask ", s.mask);
	print_ip4("  gateway ", s.gw);
	cprintf("  (%s)\n", !e->dhcp	 ? "static" :
			    s.dhcp_bound ? "DHCP" :
					   "DHCP, not bound yet");
	cprintf("        ether %02x:%02x:%02x:%02x:%02x:%02x\n", m[0], m[1], m[2], m[3],
		m[4], m[5]);
	cprintf("        RX packets %llu  bytes %llu  dropped %llu (device) %llu (stack)  errors %llu\n",
		(unsigned long long)atomic64_read(&dev->stats.rx_packets),
		(unsigned long long)atomic64_read(&dev->stats.rx_bytes),
		(unsigned long long)atomic64_read(&dev->stats.rx_dropped),
		(unsigned long long)__atomic_load_n(&e->rx_dropped, __ATOMIC_RELAXED),
		(unsigned long long)atomic64_read(&dev->stats.rx_errors));
	cprintf("        TX packets %llu  bytes %llu  dropped %llu  errors %llu  busy retries %llu\n",
		(unsigned long long)atomic64_read(&dev->stats.tx_packets),
		(unsigned long long)atomic64_read(&dev->stats.tx_bytes),
		(unsigned long long)s.tx_dropped,
		(unsigned long long)atomic64_read(&dev->stats.tx_errors),
		(unsigned long long)s.tx_busy_retries);
	if (e->tx_csum || e->rx_csum)
		cprintf("        checksum offload: tx %s (%llu by the device, %llu here, %llu fragments without)  rx %s (%llu trusted)\n",
			e->tx_csum ? "on" : "off",
			(unsigned long long)s.tx_csum_offloaded,
			(unsigned long long)s.tx_csum_sw,
			(unsigned long long)s.tx_csum_frag, e->rx_csum ? "on" : "off",
			(unsigned long long)__atomic_load_n(&e->rx_csum_trusted,
							    __ATOMIC_RELAXED));
	else
		cprintf("        checksum offload: none (lwIP computes and verifies)\n");
}

static int ifconfig_cmd(int argc, char **argv)
{
	struct ethif *e;
	bool found = false;

	if (!net_lwip_running()) {
		cprintf("no network devices (lwIP not started)\n");
		return 0;
	}
	list_for_each_entry(e, &ethif_list, list) {
		if (argc > 1 && strcmp(argv[1], e->dev->name))
			continue;
		ifconfig_one(e);
		found = true;
	}
	if (argc > 1 && !found) {
		shell_error("ifconfig", "%s: no such interface", argv[1]);
		return -ENODEV;
	}
	return 0;
}
SHELL_COMMAND(ifconfig, "ifconfig", "ifconfig [DEV]",
	      "network interfaces: addresses, link, counters", ifconfig_cmd);

/* --- netstat --- */

static void netstat_proto(const char *name, const struct stats_proto *p)
{
	cprintf("  %-7s %9u %9u %7u %7u %7u %7u %7u %7u\n", name, p->xmit, p->recv,
		p->drop, p->chkerr, p->lenerr, p->memerr, p->rterr,
		p->proterr + p->opterr + p->err);
}

static const char *const tcp_states[] = {
	"CLOSED",     "LISTEN",	    "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
	"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",	"LAST_ACK", "TIME_WAIT",
};

static void netstat_pcbs(struct tcp_pcb *pcb)
{
	for (; pcb; pcb = pcb->next) {
		cprintf("  tcp ");
		print_ip4("", ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip)));
		cprintf(":%u  ", pcb->local_port);
		print_ip4("", ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip)));
		cprintf(":%u  %s\n", pcb->remote_port,
			pcb->state < ARRAY_SIZE(tcp_states) ? tcp_states[pcb->state] :
							      "?");
	}
}

/* A listening pcb is the smaller struct tcp_pcb_listen: no remote end. */
static void netstat_listen_pcbs(struct tcp_pcb_listen *lpcb)
{
	for (; lpcb; lpcb = lpcb->next) {
		cprintf("  tcp ");
		print_ip4("", ip4_addr_get_u32(ip_2_ip4(&lpcb->local_ip)));
		cprintf(":%u  *:*  LISTEN\n", lpcb->local_port);
	}
}

static int netstat_cmd(int argc, char **argv)
{
	struct stats_ s;
	struct stats_mem pools[MEMP_MAX];
	unsigned long tw_reused, tw_rst;
	int i;

	if (!net_lwip_running()) {
		cprintf("no network (lwIP not started: no network device at boot)\n");
		return 0;
	}
	LOCK_TCPIP_CORE();
	s = lwip_stats;
	tw_reused = quire_tcp_tw_syn_reused;
	tw_rst = quire_tcp_tw_rst_ended;
	for (i = 0; i < MEMP_MAX; i++)
		pools[i] = *lwip_stats.memp[i];
	UNLOCK_TCPIP_CORE();

	cprintf("heap (PBUF_RAM): %u of %u bytes used, max %u, %u failed allocations\n",
		(unsigned int)s.mem.used, (unsigned int)s.mem.avail,
		(unsigned int)s.mem.max, s.mem.err);
	cprintf("pools:              used    max  size  failed\n");
	for (i = 0; i < MEMP_MAX; i++)
		cprintf("  %-16s %6u %6u %5u %7u\n", memp_names[i],
			(unsigned int)pools[i].used, (unsigned int)pools[i].max,
			(unsigned int)pools[i].avail, pools[i].err);
	cprintf("sys: %u semaphores, %u mutexes, %u mailboxes (%u mailbox full)\n",
		(unsigned int)s.sys.sem.used, (unsigned int)s.sys.mutex.used,
		(unsigned int)s.sys.mbox.used, s.sys.mbox.err);
	cprintf("protocols:    sent  received    drop  chkerr  lenerr  memerr   rterr   other\n");
	netstat_proto("link", &s.link);
	netstat_proto("etharp", &s.etharp);
	netstat_proto("ip", &s.ip);
	netstat_proto("ipfrag", &s.ip_frag);
	netstat_proto("icmp", &s.icmp);
	netstat_proto("udp", &s.udp);
	netstat_proto("tcp", &s.tcp);
	cprintf("tcp: %lu TIME_WAIT connections ended by a new SYN, %lu by a RST\n",
		tw_reused, tw_rst);
	cprintf("connections:\n");
	LOCK_TCPIP_CORE();
	netstat_listen_pcbs(tcp_listen_pcbs.listen_pcbs);
	netstat_pcbs(tcp_active_pcbs);
	netstat_pcbs(tcp_tw_pcbs);
	UNLOCK_TCPIP_CORE();
	return 0;
}
SHELL_COMMAND(netstat, "netstat", "netstat",
	      "lwIP: heap and pool use, per-protocol counters, TCP connections",
	      netstat_cmd);
