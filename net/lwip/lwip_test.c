/*
 * net/lwip/lwip_test.c - tests of Quire's lwIP port.
 *
 * Suite lwip_port (every `test` run): the sys_arch layer (semaphores,
 * mailboxes, protection) and the ip= parser, without a device.
 * Suite lwip_slirp (on request; quire-host hostnet=slirp, tests/run job
 * host-net-slirp): the whole stack over libslirp's NAT: DHCP gives
 * 10.0.2.15, the gateway answers pings, 1 MiB goes to the host's echo
 * peer (netpeer= on the command line, arch/host/slirp_net.c) and comes
 * back intact, and the pools are back to idle afterwards. Checksum
 * offload on a fake device with NETIF_F_HW_CSUM | NETIF_F_RXCSUM: lwIP's
 * TCP leaves as CHECKSUM_PARTIAL with the pseudo-header sum in the field,
 * a segment with a bad checksum is dropped unless the device vouched for
 * it (CHECKSUM_UNNECESSARY), and slirp's netif keeps software checksums.
 */
#include <quire/kernel.h>
#include <quire/sysctl.h>
#include <quire/ktest.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/mutex.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/jiffies.h>
#include <quire/sched.h>
#include <quire/printk.h>
#include <arch/irq.h>
#include <quire/checksum.h>

#include "lwip/opt.h"
#include "lwip/sys.h"
#include "lwip/api.h"
#include "lwip/tcpip.h"
#include "lwip/timeouts.h"
#include "lwip/stats.h"
#include "lwip/memp.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"

#include "lwip_port.h"
#include "lwip_hooks.h"

/* --- lwip_port --- */

struct parse_case {
	const char *in;
	int err;
	bool off, dhcp;
	const char *ip, *mask, *gw;
};

static const struct parse_case parse_cases[] = {
	{NULL, 0, false, true, "0.0.0.0", "0.0.0.0", "0.0.0.0"},
	{"dhcp", 0, false, true, "0.0.0.0", "0.0.0.0", "0.0.0.0"},
	{"off", 0, true, false, "0.0.0.0", "0.0.0.0", "0.0.0.0"},
	{"10.0.2.15/24,gw=10.0.2.2", 0, false, false, "10.0.2.15", "255.255.255.0",
	 "10.0.2.2"},
	{"192.168.1.7", 0, false, false, "192.168.1.7", "255.255.255.0", "0.0.0.0"},
	{"10.1.2.3/8", 0, false, false, "10.1.2.3", "255.0.0.0", "0.0.0.0"},
	{"10.1.2.3/32,gw=10.1.2.1", 0, false, false, "10.1.2.3", "255.255.255.255",
	 "10.1.2.1"},
	{"10.0.2.256/24", -EINVAL},
	{"10.0.2.15/33", -EINVAL},
	{"10.0.2.15/0", -EINVAL},
	{"10.0.2.15/", -EINVAL},
	{"10.0.2.15/24,gx=10.0.2.2", -EINVAL},
	{"10.0.2.15/24,gw=10.0.2", -EINVAL},
	{"10.0.2", -EINVAL},
	{"10.0.2.15.1", -EINVAL},
	{"", -EINVAL},
	{"0010.0.2.15", -EINVAL},
	{"static", -EINVAL},
};

static u32 ip4(const char *s)
{
	u32 a = 0xdeadbeef;

	net_parse_ip4(s, &a);
	return a;
}

static void ip_option_parses_dhcp_off_and_static(struct ktest *t)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct ethif_config cfg;
		int err = ethif_parse_config(c->in, &cfg);

		KTEST_EXPECT_EQ(t, err, c->err);
		if (err || c->err)
			continue;
		KTEST_EXPECT_EQ(t, cfg.off, c->off);
		KTEST_EXPECT_EQ(t, cfg.dhcp, c->dhcp);
		KTEST_EXPECT_EQ(t, ip4_addr_get_u32(&cfg.ip), ip4(c->ip));
		KTEST_EXPECT_EQ(t, ip4_addr_get_u32(&cfg.mask), ip4(c->mask));
		KTEST_EXPECT_EQ(t, ip4_addr_get_u32(&cfg.gw), ip4(c->gw));
	}
}

static void sem_counts_and_times_out(struct ktest *t)
{
	sys_sem_t sem;

	KTEST_ASSERT_EQ(t, sys_sem_new(&sem, 2), ERR_OK);
	KTEST_EXPECT_NE(t, sys_arch_sem_wait(&sem, 1000), SYS_ARCH_TIMEOUT);
	KTEST_EXPECT_NE(t, sys_arch_sem_wait(&sem, 1000), SYS_ARCH_TIMEOUT);
	/* LW1: the count is spent; a timed wait ends without one. */
	KTEST_EXPECT_EQ(t, sys_arch_sem_wait(&sem, 5), SYS_ARCH_TIMEOUT);
	sys_sem_signal(&sem);
	KTEST_EXPECT_NE(t, sys_arch_sem_wait(&sem, 0), SYS_ARCH_TIMEOUT);
	sys_sem_free(&sem);
	KTEST_EXPECT_FALSE(t, sys_sem_valid(&sem));
}

static void mbox_is_fifo_and_refuses_when_full(struct ktest *t)
{
	static int msgs[5];
	sys_mbox_t box;
	void *m;
	int i;

	KTEST_ASSERT_EQ(t, sys_mbox_new(&box, 4), ERR_OK);
	for (i = 0; i < 4; i++)
		KTEST_EXPECT_EQ(t, sys_mbox_trypost(&box, &msgs[i]), ERR_OK);
	KTEST_EXPECT_EQ(t, sys_mbox_trypost(&box, &msgs[4]), ERR_MEM); /* LW2 */
	for (i = 0; i < 4; i++) {
		KTEST_EXPECT_EQ(t, sys_arch_mbox_tryfetch(&box, &m), 0);
		KTEST_EXPECT_TRUE(t, m == &msgs[i]);
	}
	KTEST_EXPECT_EQ(t, sys_arch_mbox_tryfetch(&box, &m), SYS_MBOX_EMPTY);
	KTEST_EXPECT_EQ(t, sys_arch_mbox_fetch(&box, &m, 5), SYS_ARCH_TIMEOUT);
	sys_mbox_free(&box);
}

struct mbox_poster {
	sys_mbox_t *box;
	void *msg;
	struct completion posted;
};

static int mbox_post_thread(void *data)
{
	struct mbox_poster *p = data;

	sys_mbox_post(p->box, p->msg); /* blocks: the box is full */
	complete(&p->posted);
	return 0;
}

static void mbox_post_waits_for_room(struct ktest *t)
{
	static int a, b;
	struct mbox_poster p;
	struct task_struct *k;
	sys_mbox_t box;
	void *m;

	KTEST_ASSERT_EQ(t, sys_mbox_new(&box, 1), ERR_OK);
	KTEST_ASSERT_EQ(t, sys_mbox_trypost(&box, &a), ERR_OK);
	p.box = &box;
	p.msg = &b;
	init_completion(&p.posted);
	k = kthread_run(mbox_post_thread, &p, "mbox_post");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	/* The poster sleeps until a fetch makes room; then both arrive in order. */
	KTEST_EXPECT_NE(t, sys_arch_mbox_fetch(&box, &m, 0), SYS_ARCH_TIMEOUT);
	KTEST_EXPECT_TRUE(t, m == &a);
	wait_for_completion(&p.posted);
	KTEST_EXPECT_NE(t, sys_arch_mbox_fetch(&box, &m, 0), SYS_ARCH_TIMEOUT);
	KTEST_EXPECT_TRUE(t, m == &b);
	kthread_stop(k);
	sys_mbox_free(&box);
}

static void protect_nests_and_restores_irqs(struct ktest *t)
{
	bool before = arch_irqs_disabled();
	sys_prot_t outer = sys_arch_protect();
	sys_prot_t inner = sys_arch_protect(); /* LW3: nests, no deadlock */

	KTEST_EXPECT_TRUE(t, arch_irqs_disabled());
	sys_arch_unprotect(inner);
	KTEST_EXPECT_TRUE(t, arch_irqs_disabled());
	sys_arch_unprotect(outer);
	KTEST_EXPECT_EQ(t, arch_irqs_disabled(), before);
}

static const struct ktest_case lwip_port_cases[] = {
	KTEST_CASE(ip_option_parses_dhcp_off_and_static),
	KTEST_CASE(sem_counts_and_times_out),
	KTEST_CASE(mbox_is_fifo_and_refuses_when_full),
	KTEST_CASE(mbox_post_waits_for_room),
	KTEST_CASE(protect_nests_and_restores_irqs),
	KTEST_END,
};

static const struct ktest_suite lwip_port_suite = {
	.name = "lwip_port",
	.cases = lwip_port_cases,
};
KTEST_SUITE(lwip_port_suite);

/* --- lwip_slirp --- */

#define ECHO_BYTES (1024 * 1024)
#define ECHO_CHUNK 4096

static int slirp_init(struct ktest *t)
{
	if (!net_lwip_running() || !ethif_first()) {
		cprintf("# no network device: run quire-host with hostnet=slirp\n");
		return -ENODEV;
	}
	return 0;
}

static void dhcp_gets_10_0_2_15(struct ktest *t)
{
	struct ethif *e = ethif_first();
	u32 ip, mask, gw;

	KTEST_ASSERT_EQ(t, ethif_wait_for_address(e, 20000), 0);
	LOCK_TCPIP_CORE();
	ip = ip4_addr_get_u32(netif_ip4_addr(&e->netif));
	mask = ip4_addr_get_u32(netif_ip4_netmask(&e->netif));
	gw = ip4_addr_get_u32(netif_ip4_gw(&e->netif));
	UNLOCK_TCPIP_CORE();
	KTEST_EXPECT_EQ(t, ip, ip4("10.0.2.15"));
	KTEST_EXPECT_EQ(t, mask, ip4("255.255.255.0"));
	KTEST_EXPECT_EQ(t, gw, ip4("10.0.2.2"));
	KTEST_EXPECT_TRUE(t, e->dhcp);
}

static void ping_of_the_gateway_answers(struct ktest *t)
{
	unsigned int i;

	KTEST_ASSERT_EQ(t, ethif_wait_for_address(ethif_first(), 20000), 0);
	for (i = 1; i <= 3; i++) {
		u32 rtt;
		u8 ttl = 0;

		KTEST_EXPECT_EQ(t, net_ping_once(ip4("10.0.2.2"), i, 5000, &rtt, &ttl),
				0);
		KTEST_EXPECT_GT(t, ttl, 0);
	}
	/* Nobody is at 10.0.2.99: no reply, a timeout, not a hang. */
	KTEST_EXPECT_EQ(t, net_ping_once(ip4("10.0.2.99"), 9, 200, NULL, NULL),
			-ETIMEDOUT);
}

static u8 echo_byte(u32 i, u32 seed)
{
	u32 x = (i / 4 + seed) * 2654435761u;

	return (u8)(x >> (8 * (i % 4)));
}

struct echo_sender {
	struct netconn *conn;
	u32 seed;
	err_t err;
	struct completion done;
};

static int echo_send_thread(void *data)
{
	struct echo_sender *s = data;
	u8 *buf = kmalloc(ECHO_CHUNK, GFP_KERNEL);
	u32 off;

	s->err = buf ? ERR_OK : ERR_MEM;
	for (off = 0; buf && off < ECHO_BYTES && s->err == ERR_OK; off += ECHO_CHUNK) {
		for (u32 i = 0; i < ECHO_CHUNK; i++)
			buf[i] = echo_byte(off + i, s->seed);
		s->err = netconn_write(s->conn, buf, ECHO_CHUNK, NETCONN_COPY);
	}
	kfree(buf);
	complete(&s->done);
	return 0;
}

/* Receive @want bytes and compare them with the pattern: bytes matched. */
static u32 echo_receive(struct ktest *t, struct netconn *conn, u32 want, u32 seed)
{
	u32 got = 0;

	while (got < want) {
		struct netbuf *nb;
		void *data;
		u16_t len;
		err_t err = netconn_recv(conn, &nb);

		if (err != ERR_OK) {
			cprintf("# netconn_recv: lwIP error %d after %u bytes\n", err,
				got);
			break;
		}
		do {
			netbuf_data(nb, &data, &len);
			for (u16_t i = 0; i < len; i++, got++) {
				if (((u8 *)data)[i] != echo_byte(got, seed)) {
					cprintf("# byte %u differs\n", got);
					netbuf_delete(nb);
					return got;
				}
			}
		} while (netbuf_next(nb) >= 0);
		netbuf_delete(nb);
	}
	return got;
}

static int netpeer(ip_addr_t *addr, u16 *port)
{
	char buf[32], *colon;
	unsigned int p;
	u32 a;

	if (!cmdline_get("netpeer", buf, sizeof(buf)))
		return -ENOENT;
	colon = strchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (net_parse_ip4(buf, &a) || kstrtouint(colon + 1, 10, &p) || !p || p > 65535)
		return -EINVAL;
	ip_addr_set_ip4_u32(addr, a);
	*port = p;
	return 0;
}

static void tcp_moves_1mib_both_ways_through_nat_intact(struct ktest *t)
{
	struct echo_sender s = {.seed = (u32)ktest_seed()};
	struct task_struct *k;
	ip_addr_t addr;
	u16 port;
	u32 got;

	cprintf("# seed %u\n", s.seed);
	KTEST_ASSERT_EQ(t, netpeer(&addr, &port), 0);
	KTEST_ASSERT_EQ(t, ethif_wait_for_address(ethif_first(), 20000), 0);
	s.conn = netconn_new(NETCONN_TCP);
	KTEST_ASSERT_NOT_NULL(t, s.conn);
	netconn_set_recvtimeout(s.conn, 30000); /* a silent peer fails, not hangs */
	KTEST_ASSERT_EQ(t, netconn_connect(s.conn, &addr, port), ERR_OK);
	init_completion(&s.done);
	/* One thread sends while this one receives: the echo peer writes
	 * back as it reads, so sending everything first could fill both
	 * directions' buffers and stall. */
	k = kthread_run(echo_send_thread, &s, "echo_send");
	KTEST_ASSERT_NOT_ERR_OR_NULL(t, k);
	got = echo_receive(t, s.conn, ECHO_BYTES, s.seed);
	wait_for_completion(&s.done);
	kthread_stop(k);
	KTEST_EXPECT_EQ(t, s.err, ERR_OK);
	KTEST_EXPECT_EQ(t, got, ECHO_BYTES);
	KTEST_EXPECT_EQ(t, netconn_close(s.conn), ERR_OK);
	netconn_delete(s.conn);
}

/* After the connections closed, nothing of them is left in the pools
 * (TIME_WAIT keeps its pcb, but no segment, pbuf or netconn). */
static void pools_back_to_idle_after_tcp(struct ktest *t)
{
	u32 segs, pool, netconns, heap, listeners = 0;
	bool active = true;
	int i;

	/* The last FIN may still wait for its ACK: let the connection reach
	 * TIME_WAIT (a bound far above slirp's round trip, not a timing). */
	for (i = 0; i < 1000 && active; i++) {
		LOCK_TCPIP_CORE();
		active = tcp_active_pcbs != NULL;
		UNLOCK_TCPIP_CORE();
		if (active)
			schedule_timeout_uninterruptible(msecs_to_jiffies(10));
	}
	KTEST_EXPECT_FALSE(t, active);
	LOCK_TCPIP_CORE();
	/* A listening server (net/http's, started at boot) keeps one. */
	for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next)
		listeners++;
	segs = lwip_stats.memp[MEMP_TCP_SEG]->used;
	pool = lwip_stats.memp[MEMP_PBUF_POOL]->used;
	netconns = lwip_stats.memp[MEMP_NETCONN]->used;
	heap = lwip_stats.mem.used;
	UNLOCK_TCPIP_CORE();
	KTEST_EXPECT_EQ(t, segs, 0);
	KTEST_EXPECT_EQ(t, pool, 0);
	KTEST_EXPECT_EQ(t, netconns, listeners);
	KTEST_EXPECT_LT(t, heap, 4096);
}

/* A device that answers NETDEV_TX_BUSY @busy_left times, then takes
 * frames: ethif_linkoutput()'s retry and drop paths. */
struct busy_nic {
	unsigned int busy_left, sent;
	u16 first_type; /* ethertype of the first frame taken */
};

static int busy_open(struct net_device *dev)
{
	netif_carrier_on(dev);
	return 0;
}

static int busy_stop(struct net_device *dev)
{
	netif_carrier_off(dev);
	return 0;
}

static netdev_tx_t busy_xmit(struct net_device *dev, const void *frame, unsigned int len)
{
	struct busy_nic *nic = netdev_priv(dev);
	const u8 *f = frame;

	if (nic->busy_left) {
		nic->busy_left--;
		return NETDEV_TX_BUSY;
	}
	if (!nic->sent++)
		nic->first_type = f[12] << 8 | f[13];
	return NETDEV_TX_OK;
}

static const struct net_device_ops busy_ops = {
	.ndo_open = busy_open,
	.ndo_stop = busy_stop,
	.ndo_start_xmit = busy_xmit,
};

/* Attach a busy_nic at 192.168.77.1/24, ping 192.168.77.2 (nobody: the
 * ARP request is what gets sent), detach. */
static void busy_nic_ping(struct ktest *t, unsigned int busy, struct busy_nic *out,
			  u64 *retries, u64 *dropped)
{
	struct net_device *dev = alloc_netdev(sizeof(struct busy_nic), "busy%d");
	struct ethif_config cfg;
	struct busy_nic *nic;
	struct ethif *e;

	KTEST_ASSERT_NOT_NULL(t, dev);
	dev->netdev_ops = &busy_ops;
	dev->driver = "busy_nic";
	nic = netdev_priv(dev);
	nic->busy_left = busy;
	KTEST_ASSERT_EQ(t, register_netdev(dev), 0);
	KTEST_ASSERT_EQ(t, ethif_parse_config("192.168.77.1/24", &cfg), 0);
	KTEST_ASSERT_EQ(t, ethif_attach(dev, &cfg), 0);
	e = list_last_entry(&ethif_list, struct ethif, list);
	KTEST_EXPECT_TRUE(t, e->dev == dev);
	KTEST_EXPECT_EQ(t, net_ping_once(ip4("192.168.77.2"), 1, 100, NULL, NULL),
			-ETIMEDOUT);
	LOCK_TCPIP_CORE(); /* NL2: the transmit side's counters */
	*out = *nic;
	*retries = e->tx_busy_retries;
	*dropped = e->tx_dropped;
	UNLOCK_TCPIP_CORE();
	ethif_detach(e);
	unregister_netdev(dev);
	free_netdev(dev);
}

static void busy_device_is_retried_until_it_takes_the_frame(struct ktest *t)
{
	struct busy_nic nic;
	u64 retries, dropped;

	busy_nic_ping(t, 3, &nic, &retries, &dropped);
	KTEST_EXPECT_GE(t, nic.sent, 1);
	KTEST_EXPECT_EQ(t, nic.first_type, 0x0806); /* the ARP request */
	KTEST_EXPECT_EQ(t, retries, 3);
	KTEST_EXPECT_EQ(t, dropped, 0);
}

static void busy_device_that_stays_busy_drops_the_frame(struct ktest *t)
{
	struct busy_nic nic;
	u64 retries, dropped;

	busy_nic_ping(t, 1000000, &nic, &retries, &dropped);
	KTEST_EXPECT_EQ(t, nic.sent, 0);
	KTEST_EXPECT_GE(t, dropped, 1);
	KTEST_EXPECT_EQ(t, retries, dropped * 25); /* ETHIF_TX_TRIES each */
}

/* A device with checksum offload both ways that records what it is
 * handed (ethif_linkoutput() calls it under the core lock). */
struct csum_nic {
	unsigned int plain, partial;
	unsigned int last_len, csum_start, csum_offset;
	u8 last[ETH_FRAME_LEN]; /* the last TCP frame */
};

static netdev_tx_t csum_nic_xmit(struct net_device *dev, const void *frame,
				 unsigned int len)
{
	((struct csum_nic *)netdev_priv(dev))->plain++;
	return NETDEV_TX_OK;
}

static netdev_tx_t csum_nic_xmit_csum(struct net_device *dev, const void *frame,
				      unsigned int len, unsigned int start,
				      unsigned int offset)
{
	struct csum_nic *nic = netdev_priv(dev);

	nic->partial++;
	nic->last_len = len;
	nic->csum_start = start;
	nic->csum_offset = offset;
	memcpy(nic->last, frame, len);
	return NETDEV_TX_OK;
}

static const struct net_device_ops csum_nic_ops = {
	.ndo_open = busy_open,
	.ndo_stop = busy_stop,
	.ndo_start_xmit = csum_nic_xmit,
	.ndo_start_xmit_csum = csum_nic_xmit_csum,
};

static void tcpip_barrier_cb(void *arg)
{
	complete(arg);
}

/* Every frame posted to the tcpip thread before has been processed. */
static void tcpip_barrier(void)
{
	DECLARE_COMPLETION_ONSTACK(done);

	while (tcpip_try_callback(tcpip_barrier_cb, &done) != ERR_OK)
		schedule_timeout_uninterruptible(1);
	wait_for_completion(&done);
}

/* The textbook (big-endian) sum of a TCP/IPv4 frame's pseudo header, and
 * with @seg the segment too: 0xffff when its checksum is right. */
static u16 tcp_sum_be(const u8 *f, bool seg)
{
	const u8 *ip = f + ETH_HLEN;
	unsigned int ihl = (ip[0] & 15) * 4, l4 = (ip[2] << 8 | ip[3]) - ihl;
	u32 sum = 6 + l4;

	for (int i = 12; i < 20; i += 2)
		sum += ip[i] << 8 | ip[i + 1];
	for (unsigned int i = 0; seg && i < l4; i += 2)
		sum += ip[ihl + i] << 8 | (i + 1 < l4 ? ip[ihl + i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void put16(u8 *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(u8 *p, u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void tcp_checksum_offload_partial_out_trusted_in(struct ktest *t)
{
	static const u8 peer[ETH_ALEN] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	struct net_device *dev = alloc_netdev(sizeof(struct csum_nic), "csum%d");
	u32 me = ip4("192.168.79.1"), him = ip4("192.168.79.2");
	struct ethif_config cfg;
	struct csum_nic *nic;
	struct tcp_pcb *pcb;
	struct ethif *e;
	u8 f[ETH_HLEN + 40];
	u32 iss, chkerr;
	u16 sport, good, flags;
	enum tcp_state state;

	KTEST_ASSERT_NOT_NULL(t, dev);
	/* slirp's netif (no offload) keeps every checksum in software */
	KTEST_ASSERT_NOT_NULL(t, ethif_first());
	LOCK_TCPIP_CORE();
	flags = ethif_first()->netif.chksum_flags;
	UNLOCK_TCPIP_CORE();
	KTEST_EXPECT_EQ(t, flags, NETIF_CHECKSUM_ENABLE_ALL);
	KTEST_EXPECT_FALSE(t, ethif_first()->tx_csum || ethif_first()->rx_csum);

	dev->netdev_ops = &csum_nic_ops;
	dev->driver = "csum_nic";
	dev->features = NETIF_F_HW_CSUM | NETIF_F_RXCSUM;
	nic = netdev_priv(dev);
	KTEST_ASSERT_EQ(t, register_netdev(dev), 0);
	KTEST_ASSERT_EQ(t, ethif_parse_config("192.168.79.1/24", &cfg), 0);
	KTEST_ASSERT_EQ(t, ethif_attach(dev, &cfg), 0);
	e = list_last_entry(&ethif_list, struct ethif, list);
	KTEST_ASSERT_TRUE(t, e->dev == dev);

	/* the peer's ARP reply first, so the SYN goes at once */
	memset(f, 0, sizeof(f));
	memcpy(f, dev->dev_addr, ETH_ALEN);
	memcpy(f + 6, peer, ETH_ALEN);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 2);
	memcpy(f + 22, peer, ETH_ALEN);
	memcpy(f + 28, &him, 4);
	memcpy(f + 32, dev->dev_addr, ETH_ALEN);
	memcpy(f + 38, &me, 4);
	netif_rx(dev, f, 42);
	tcpip_barrier();

	LOCK_TCPIP_CORE();
	pcb = tcp_new();
	if (pcb) {
		ip_addr_t dst;

		ip_addr_set_ip4_u32(&dst, him);
		if (tcp_connect(pcb, &dst, 80, NULL) != ERR_OK) {
			tcp_abort(pcb);
			pcb = NULL;
		}
	}
	UNLOCK_TCPIP_CORE();
	KTEST_ASSERT_NOT_NULL(t, pcb);
	/* the SYN: CHECKSUM_PARTIAL, after the IP header, TCP's field */
	KTEST_ASSERT_EQ(t, nic->partial, 1);
	KTEST_EXPECT_EQ(t, nic->csum_start, ETH_HLEN + 20);
	KTEST_EXPECT_EQ(t, nic->csum_offset, 16);
	KTEST_EXPECT_EQ(t, nic->last[ETH_HLEN + 9], 6);
	KTEST_EXPECT_EQ(t, nic->last[ETH_HLEN + 20 + 13], 0x02); /* SYN */
	/* the field holds the pseudo-header sum, as Linux's CHECKSUM_PARTIAL */
	KTEST_EXPECT_EQ(
		t, nic->last[nic->csum_start + 16] << 8 | nic->last[nic->csum_start + 17],
		tcp_sum_be(nic->last, false));
	KTEST_ASSERT_EQ(t,
			csum_complete_partial(nic->last, nic->last_len, nic->csum_start,
					      nic->csum_offset),
			0);
	KTEST_EXPECT_EQ(t, tcp_sum_be(nic->last, true), 0xffff);
	sport = nic->last[34] << 8 | nic->last[35];
	iss = (u32)nic->last[38] << 24 | nic->last[39] << 16 | nic->last[40] << 8 |
	      nic->last[41];

	/* the SYN-ACK with a wrong checksum */
	memset(f, 0, sizeof(f));
	memcpy(f, dev->dev_addr, ETH_ALEN);
	memcpy(f + 6, peer, ETH_ALEN);
	put16(f + 12, 0x0800);
	f[14] = 0x45;
	put16(f + 16, 40);
	f[22] = 64;
	f[23] = 6;
	memcpy(f + 26, &him, 4);
	memcpy(f + 30, &me, 4);
	good = csum_fold(csum_partial(f + 14, 20, 0));
	memcpy(f + 24, &good, 2);
	put16(f + 34, 80);
	put16(f + 36, sport);
	put32(f + 38, 1000);
	put32(f + 42, iss + 1);
	f[46] = 5 << 4;
	f[47] = 0x12; /* SYN ACK */
	put16(f + 48, 8192);
	put16(f + 50, 0xffff - tcp_sum_be(f, true)); /* right ... */
	KTEST_ASSERT_EQ(t, tcp_sum_be(f, true), 0xffff);
	f[51] ^= 0x5a; /* ... and wrong */

	LOCK_TCPIP_CORE();
	chkerr = lwip_stats.tcp.chkerr;
	UNLOCK_TCPIP_CORE();
	netif_rx_csum(dev, f, sizeof(f), CHECKSUM_NONE);
	tcpip_barrier();
	LOCK_TCPIP_CORE();
	state = pcb->state;
	chkerr = lwip_stats.tcp.chkerr - chkerr;
	UNLOCK_TCPIP_CORE();
	KTEST_EXPECT_EQ(t, state, SYN_SENT); /* verified, dropped */
	KTEST_EXPECT_EQ(t, chkerr, 1);
	KTEST_EXPECT_EQ(t, __atomic_load_n(&e->rx_csum_trusted, __ATOMIC_RELAXED), 0);

	netif_rx_csum(dev, f, sizeof(f), CHECKSUM_UNNECESSARY);
	tcpip_barrier();
	LOCK_TCPIP_CORE();
	state = pcb->state;
	flags = e->netif.chksum_flags;
	UNLOCK_TCPIP_CORE();
	KTEST_EXPECT_EQ(t, state, ESTABLISHED); /* trusted: not verified */
	KTEST_EXPECT_EQ(t, __atomic_load_n(&e->rx_csum_trusted, __ATOMIC_RELAXED), 1);
	KTEST_EXPECT_EQ(t, flags,
			NETIF_CHECKSUM_ENABLE_ALL &
				~(NETIF_CHECKSUM_GEN_TCP | NETIF_CHECKSUM_GEN_UDP));
	KTEST_EXPECT_EQ(t, nic->partial, 2); /* our ACK, offloaded too */
	KTEST_EXPECT_EQ(t, nic->last[ETH_HLEN + 20 + 13], 0x10);

	LOCK_TCPIP_CORE();
	tcp_abort(pcb); /* a RST, offloaded */
	KTEST_EXPECT_EQ(t, e->tx_csum_offloaded, 3);
	KTEST_EXPECT_EQ(t, e->tx_csum_sw + e->tx_csum_frag, 0);
	UNLOCK_TCPIP_CORE();
	KTEST_EXPECT_EQ(t, nic->partial, 3);
	ethif_detach(e);
	unregister_netdev(dev);
	free_netdev(dev);
}

/*
 * NET12: quire_tcp_tw_syn_hook() (tcp_tw.c) fed forged IPv4 packets
 * directly, under the core lock, each against a TIME_WAIT pcb of its own
 * (192.168.81.2:40000 -> 192.168.81.1:80, rcv_nxt TW_RCV_NXT) made for
 * the case and removed after it. A packet lwIP would drop (a bad TCP or
 * IP checksum, an IP total length past the frame, a TCP header length
 * below 20 or past the segment) and a SYN for a pcb a netconn still
 * holds leave the TIME_WAIT alone; a sound SYN after rcv_nxt ends it, one
 * at or before rcv_nxt does not; a sound RST ends it only at rcv_nxt. Each negative case passes the checks
 * before its own, so removing that check makes it end the TIME_WAIT.
 */
#define TW_RCV_NXT 0x10000000u
#define TW_PKT_MAX 80 /* IP header + TCP header + room for a claimed payload */

enum tw_forge {
	TW_GOOD,
	TW_BAD_TCP_SUM,
	TW_BAD_IP_SUM,
	TW_IPLEN_PAST_FRAME,
	TW_TCP_HLEN_16,
	TW_TCP_HLEN_PAST_SEGMENT,
	TW_SYN_ACK,
	TW_RST,	    /* a RST alone */
	TW_RST_ACK, /* RST and ACK */
	TW_SYN_RST, /* both: lwIP drops it */
};

/*
 * A SYN from 192.168.81.2:40000 to 192.168.81.1:80 with sequence number
 * @seq, forged as @how, into @f after ETH_HLEN bytes of (unused) Ethernet
 * header, so that tcp_sum_be() sums it. Returns the IP packet's length in
 * the frame (the pbuf's), which the IP total length may exceed.
 */
static unsigned int tw_forge_syn(u8 *f, u32 seq, enum tw_forge how)
{
	u8 *ip = f + ETH_HLEN, *th = ip + 20;
	u32 src = ip4("192.168.81.2"), dst = ip4("192.168.81.1");
	unsigned int tot = 40, claimed = 40;
	u16 sum;

	memset(f, 0, ETH_HLEN + TW_PKT_MAX);
	if (how == TW_IPLEN_PAST_FRAME)
		claimed = 60; /* 20 bytes of payload the frame does not hold */
	ip[0] = 0x45;
	put16(ip + 2, claimed);
	ip[6] = 0x40; /* DF, no fragment */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16(th, 40000);
	put16(th + 2, 80);
	put32(th + 4, seq);
	th[12] = 5 << 4;
	if (how == TW_TCP_HLEN_16)
		th[12] = 4 << 4;
	if (how == TW_TCP_HLEN_PAST_SEGMENT)
		th[12] = 15 << 4; /* 60 bytes in a 20-byte segment */
	th[13] = how == TW_SYN_ACK ? 0x12 :
		 how == TW_RST	   ? 0x04 :
		 how == TW_RST_ACK ? 0x14 :
		 how == TW_SYN_RST ? 0x06 :
				     0x02;
	put16(th + 14, 8192);
	/* the TCP checksum over the claimed length (zeros past the frame,
	 * what a sum stopping at the frame's end would see) */
	put16(th + 16, 0xffff - tcp_sum_be(f, true));
	if (how == TW_BAD_TCP_SUM)
		th[17] ^= 0x5a;
	sum = csum_fold(csum_partial(ip, 20, 0));
	memcpy(ip + 10, &sum, 2);
	if (how == TW_BAD_IP_SUM)
		ip[11] ^= 0x5a;
	return tot;
}

struct tw_result {
	bool ended;	      /* the TIME_WAIT pcb was freed */
	unsigned long reused; /* quire_tcp_tw_syn_reused's step */
	unsigned long rst;    /* quire_tcp_tw_rst_ended's step */
	bool pbuf_intact;     /* payload and lengths as before the hook */
	int ret;	      /* the hook's return (never eats: 0) */
};

/* A TIME_WAIT pcb for the forged four-tuple (@held: a netconn still
 * holds it), the packet of @len bytes from @f + ETH_HLEN through the
 * hook as from @inp, the pcb removed if still there. */
static struct tw_result tw_hook_run(struct ktest *t, struct netif *inp, const u8 *f,
				    unsigned int len, bool held)
{
	struct tw_result r = {0};
	struct tcp_pcb *pcb, *q;
	unsigned long before, before_rst;
	struct pbuf *p;
	void *payload;

	LOCK_TCPIP_CORE();
	pcb = tcp_alloc(TCP_PRIO_NORMAL);
	p = pbuf_alloc(PBUF_RAW, len, PBUF_RAM);
	if (!pcb || !p) {
		if (pcb)
			tcp_free(pcb);
		if (p)
			pbuf_free(p);
		UNLOCK_TCPIP_CORE();
		KTEST_EXPECT_TRUE(t, pcb && p); /* a pcb and a pbuf for the case */
		return r;
	}
	ip_addr_set_ip4_u32(&pcb->local_ip, ip4("192.168.81.1"));
	ip_addr_set_ip4_u32(&pcb->remote_ip, ip4("192.168.81.2"));
	pcb->local_port = 80;
	pcb->remote_port = 40000;
	pcb->rcv_nxt = TW_RCV_NXT;
	pcb->state = TIME_WAIT;
	pcb->callback_arg = held ? (void *)pcb : NULL;
	TCP_REG(&tcp_tw_pcbs, pcb);
	pbuf_take(p, f + ETH_HLEN, len);
	payload = p->payload;
	before = quire_tcp_tw_syn_reused;
	before_rst = quire_tcp_tw_rst_ended;
	r.ret = quire_tcp_tw_syn_hook(p, inp);
	r.reused = quire_tcp_tw_syn_reused - before;
	r.rst = quire_tcp_tw_rst_ended - before_rst;
	r.pbuf_intact = p->payload == payload && p->len == len && p->tot_len == len;
	r.ended = true;
	for (q = tcp_tw_pcbs; q; q = q->next)
		if (q == pcb)
			r.ended = false;
	if (!r.ended) {
		pcb->callback_arg = NULL;
		tcp_pcb_remove(&tcp_tw_pcbs, pcb);
		tcp_free(pcb);
	}
	pbuf_free(p);
	UNLOCK_TCPIP_CORE();
	return r;
}

static void time_wait_ended_only_by_a_sound_syn_after_or_rst_at_rcv_nxt(struct ktest *t)
{
	static const struct {
		const char *what;
		enum tw_forge how;
		u32 seq;
		bool held, ends;
	} cases[] = {
		{"sound SYN after rcv_nxt", TW_GOOD, TW_RCV_NXT + 1, false, true},
		{"sound SYN far after rcv_nxt", TW_GOOD, TW_RCV_NXT + 0x40000000u, false,
		 true},
		{"SYN at rcv_nxt", TW_GOOD, TW_RCV_NXT, false, false},
		{"SYN before rcv_nxt", TW_GOOD, TW_RCV_NXT - 1, false, false},
		{"bad TCP checksum", TW_BAD_TCP_SUM, TW_RCV_NXT + 1, false, false},
		{"bad IP checksum", TW_BAD_IP_SUM, TW_RCV_NXT + 1, false, false},
		{"IP length past the frame", TW_IPLEN_PAST_FRAME, TW_RCV_NXT + 1, false,
		 false},
		{"TCP header length 16", TW_TCP_HLEN_16, TW_RCV_NXT + 1, false, false},
		{"TCP header length past the segment", TW_TCP_HLEN_PAST_SEGMENT,
		 TW_RCV_NXT + 1, false, false},
		{"SYN ACK", TW_SYN_ACK, TW_RCV_NXT + 1, false, false},
		{"pcb a netconn holds", TW_GOOD, TW_RCV_NXT + 1, true, false},
		/* Linux's kill (tcp_rfc1337 = 0): a RST at rcv_nxt, the answer
		 * of a peer in SYN-SENT to the ACK of its SYN before rcv_nxt */
		{"RST at rcv_nxt", TW_RST, TW_RCV_NXT, false, true},
		{"RST ACK at rcv_nxt", TW_RST_ACK, TW_RCV_NXT, false, true},
		{"RST after rcv_nxt", TW_RST, TW_RCV_NXT + 1, false, false},
		{"RST before rcv_nxt", TW_RST, TW_RCV_NXT - 1, false, false},
		{"SYN RST at rcv_nxt", TW_SYN_RST, TW_RCV_NXT, false, false},
		{"SYN RST after rcv_nxt", TW_SYN_RST, TW_RCV_NXT + 1, false, false},
		{"RST at rcv_nxt, pcb a netconn holds", TW_RST, TW_RCV_NXT, true, false},
	};
	struct netif inp;
	u8 f[ETH_HLEN + TW_PKT_MAX];
	unsigned int rst_len;

	memset(&inp, 0, sizeof(inp));
	inp.chksum_flags = NETIF_CHECKSUM_ENABLE_ALL;
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned int len = tw_forge_syn(f, cases[i].seq, cases[i].how);
		struct tw_result r = tw_hook_run(t, &inp, f, len, cases[i].held);

		if (r.ended != cases[i].ends)
			cprintf("# %s: the TIME_WAIT %s\n", cases[i].what,
				r.ended ? "ended" : "stayed");
		bool rst = cases[i].how == TW_RST || cases[i].how == TW_RST_ACK;

		KTEST_EXPECT_EQ(t, r.ended, cases[i].ends);
		KTEST_EXPECT_EQ(t, r.reused, cases[i].ends && !rst ? 1 : 0);
		KTEST_EXPECT_EQ(t, r.rst, cases[i].ends && rst ? 1 : 0);
		KTEST_EXPECT_EQ(t, r.ret, 0);
		KTEST_EXPECT_TRUE(t, r.pbuf_intact);
	}
	/* A netif that does not verify TCP checksums (a device vouched for
	 * the frame, ethif_input_trusted()): lwIP takes the segment, so the
	 * SYN ends the TIME_WAIT; the IP checksum is still checked. */
	inp.chksum_flags = NETIF_CHECKSUM_ENABLE_ALL & ~NETIF_CHECKSUM_CHECK_TCP;
	KTEST_EXPECT_TRUE(t, tw_hook_run(t, &inp, f,
					 tw_forge_syn(f, TW_RCV_NXT + 1, TW_BAD_TCP_SUM),
					 false)
				     .ended);
	KTEST_EXPECT_FALSE(t, tw_hook_run(t, &inp, f,
					  tw_forge_syn(f, TW_RCV_NXT + 1, TW_BAD_IP_SUM),
					  false)
				      .ended);
	/* a RST is checked as a SYN is: a bad TCP checksum where the netif
	 * verifies it leaves the TIME_WAIT */
	inp.chksum_flags = NETIF_CHECKSUM_ENABLE_ALL;
	rst_len = tw_forge_syn(f, TW_RCV_NXT, TW_RST);
	f[ETH_HLEN + 20 + 17] ^= 0x5a;
	KTEST_EXPECT_FALSE(t, tw_hook_run(t, &inp, f, rst_len, false).ended);
}

/* A link change while the tcpip mailbox is full must still reach lwIP
 * (a lost "up" would leave the netif down for good). The tcpip thread
 * is held in a callback while frames and no-op callbacks fill its
 * mailbox; then the carrier goes off. */
struct tcpip_hold {
	struct completion entered, release;
};

static void tcpip_hold_cb(void *arg)
{
	struct tcpip_hold *h = arg;

	complete(&h->entered);
	wait_for_completion(&h->release);
}

static void tcpip_noop_cb(void *arg)
{
}

static void link_change_with_the_tcpip_mailbox_full_is_not_lost(struct ktest *t)
{
	struct net_device *dev = alloc_netdev(sizeof(struct busy_nic), "full0");
	struct tcpip_hold hold;
	struct ethif_config cfg;
	u8 frame[ETH_ZLEN];
	struct ethif *e;
	unsigned int i, waited;
	bool up = true;
	long direct;

	KTEST_ASSERT_NOT_NULL(t, dev);
	/* the frames must queue in the mailbox, not wait for the core lock
	 * the held tcpip thread owns (net.lwip.rx_direct) */
	KTEST_ASSERT_EQ(t, sysctl_get("net.lwip.rx_direct", &direct), 0);
	KTEST_ASSERT_EQ(t, sysctl_set("net.lwip.rx_direct", "0"), 0);
	dev->netdev_ops = &busy_ops;
	dev->driver = "busy_nic";
	KTEST_ASSERT_EQ(t, register_netdev(dev), 0);
	KTEST_ASSERT_EQ(t, ethif_parse_config("192.168.78.1/24", &cfg), 0);
	KTEST_ASSERT_EQ(t, ethif_attach(dev, &cfg), 0);
	e = list_last_entry(&ethif_list, struct ethif, list);
	KTEST_ASSERT_TRUE(t, e->dev == dev);
	init_completion(&hold.entered);
	init_completion(&hold.release);
	KTEST_ASSERT_EQ(t, tcpip_try_callback(tcpip_hold_cb, &hold), ERR_OK);
	wait_for_completion(&hold.entered);
	/* broadcast frames of a local experimental ethertype: lwIP drops them */
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, ETH_ALEN);
	memcpy(frame + ETH_ALEN, dev->dev_addr, ETH_ALEN);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	for (i = 0; i < 2 * TCPIP_MBOX_SIZE && !e->rx_dropped; i++)
		netif_rx(dev, frame, sizeof(frame));
	for (i = 0; i < 2 * MEMP_NUM_TCPIP_MSG_API; i++)
		if (tcpip_try_callback(tcpip_noop_cb, NULL) != ERR_OK)
			break;
	KTEST_EXPECT_LT(t, i, 2 * MEMP_NUM_TCPIP_MSG_API); /* it is full */
	netif_carrier_off(dev);
	complete(&hold.release);
	/* lwIP learns it (after the mailbox drains); 5 s is only a bound */
	for (waited = 0; waited < 5000 && up; waited += 10) {
		LOCK_TCPIP_CORE();
		up = netif_is_link_up(&e->netif);
		UNLOCK_TCPIP_CORE();
		if (up)
			schedule_timeout_uninterruptible(msecs_to_jiffies(10));
	}
	KTEST_EXPECT_FALSE(t, up);
	KTEST_EXPECT_GE(t, __atomic_load_n(&e->link_retries, __ATOMIC_RELAXED), 1);
	ethif_detach(e);
	unregister_netdev(dev);
	free_netdev(dev);
	sysctl_set("net.lwip.rx_direct", direct ? "1" : "0");
}

/* LW4 (sys_arch.c): a timeout set under the core lock by another thread */
struct lw4_timeout {
	struct completion done;
	unsigned long fired;
};

static void lw4_timeout_fn(void *arg)
{
	struct lw4_timeout *k = arg;

	k->fired = jiffies;
	complete(&k->done);
}

/*
 * A 20 ms timeout set by this thread under the core lock, as rx_direct's
 * input (a SYN starting TCP's timer) or an API call does, fires within
 * 200 ms, six times in a row. Before LW4 the tcpip thread slept on until
 * its own next timeout (DHCP's 500 ms, ARP's 1 s): 444-464 ms, each round
 * lined up with DHCP's beat by the 37 ms sleep (with TCP's 250 ms timer
 * running it would be about 210 ms: a regression would only just fail).
 */
static void lw4_timeout_rounds(struct ktest *t, bool trylock)
{
	unsigned int late = 0;

	KTEST_ASSERT_EQ(t, ethif_wait_for_address(ethif_first(), 20000), 0);
	for (int i = 0; i < 6; i++) {
		struct lw4_timeout k;
		unsigned long start;
		unsigned int ms;

		init_completion(&k.done);
		if (trylock) {
			/* the last note LW4 took is then a 2 ms timeout, long
			 * past at the unlock below: a trylock that took no note
			 * of its own would compare with it and not wake tcpip */
			LOCK_TCPIP_CORE();
			sys_timeout(2, tcpip_noop_cb, NULL);
			UNLOCK_TCPIP_CORE();
			LOCK_TCPIP_CORE();
			UNLOCK_TCPIP_CORE();
		}
		schedule_timeout_uninterruptible(msecs_to_jiffies(37));
		if (!trylock)
			LOCK_TCPIP_CORE();
		else
			while (!lwip_port_trylock_core())
				schedule_timeout_uninterruptible(1);
		start = jiffies;
		sys_timeout(20, lw4_timeout_fn, &k);
		UNLOCK_TCPIP_CORE();
		if (!wait_for_completion_timeout(&k.done, msecs_to_jiffies(3000))) {
			LOCK_TCPIP_CORE();
			sys_untimeout(lw4_timeout_fn, &k);
			UNLOCK_TCPIP_CORE();
			ktest_fail(t, __FILE__, __LINE__,
				   "round %d: a 20 ms timeout not fired after 3 s", i);
			return;
		}
		ms = jiffies_to_msecs(k.fired - start);
		cprintf("# round %d: the 20 ms timeout fired after %u ms\n", i, ms);
		late += ms > 200;
	}
	KTEST_EXPECT_EQ(t, late, 0);
}

static void timeout_set_under_the_core_lock_elsewhere_fires_on_time(struct ktest *t)
{
	lw4_timeout_rounds(t, false);
}

/*
 * The same through lwip_port_trylock_core() (httpd's HD9 give-back takes
 * the lock so): its section keeps LW4's bookkeeping, so the unlock wakes
 * tcpip for an earlier timeout. A plain mutex_trylock()/mutex_unlock()
 * section, or a trylock that does not note the earliest timeout, leaves
 * tcpip asleep until its own next one.
 */
static void timeout_set_under_the_trylocked_core_lock_fires_on_time(struct ktest *t)
{
	lw4_timeout_rounds(t, true);
}

/* lwip_port_trylock_core() fails at once while another thread (here the
 * tcpip thread, held in a callback) has the core lock, and takes it once
 * that thread lets it go. */
static void core_trylock_fails_while_tcpip_holds_the_lock(struct ktest *t)
{
	struct tcpip_hold hold;
	unsigned int tries;
	bool got = false;

	init_completion(&hold.entered);
	init_completion(&hold.release);
	KTEST_ASSERT_EQ(t, tcpip_try_callback(tcpip_hold_cb, &hold), ERR_OK);
	wait_for_completion(&hold.entered);
	for (tries = 0; tries < 3; tries++)
		KTEST_EXPECT_FALSE(t, lwip_port_trylock_core());
	complete(&hold.release);
	for (tries = 0; tries < 5000 && !got; tries++) {
		got = lwip_port_trylock_core();
		if (!got)
			schedule_timeout_uninterruptible(1);
	}
	KTEST_ASSERT_TRUE(t, got);
	KTEST_EXPECT_TRUE(t, mutex_is_owner(lock_tcpip_core));
	UNLOCK_TCPIP_CORE();
	KTEST_EXPECT_FALSE(t, mutex_is_owner(lock_tcpip_core));
}

/*
 * An accept mailbox full of error markers resets the next connection
 * whose handshake completes (accept_function()'s ERR_MEM: tcp_abort()).
 * A marker comes from every SYN lwIP had no pcb for, as many as the
 * peer sends while every pcb is held, so markers may take only the slots
 * beyond MEMP_NUM_NETCONN (LW5): the listener here never runs while
 * DEFAULT_ACCEPTMBOX_SIZE SYNs find no pcb, then one handshake completes.
 * Before LW5 all the markers went in and the connection was refused.
 */
static void accept_markers_leave_room_for_every_connection(struct ktest *t)
{
	struct netconn *l = netconn_new(NETCONN_TCP), *nc;
	struct lwip_mbox_stats before, after;
	unsigned int markers = 0, conns = 0;
	struct tcp_pcb_listen *lpcb;
	struct tcp_pcb *pcb;
	err_t err, posted;

	KTEST_ASSERT_NOT_NULL(t, l);
	KTEST_ASSERT_EQ(t, netconn_bind(l, IP4_ADDR_ANY, 8093), ERR_OK);
	KTEST_ASSERT_EQ(t, netconn_listen_with_backlog(l, 4), ERR_OK);
	lwip_mbox_get_stats(&l->acceptmbox, &before);
	KTEST_EXPECT_EQ(t, before.size, DEFAULT_ACCEPTMBOX_SIZE);
	LOCK_TCPIP_CORE();
	lpcb = (struct tcp_pcb_listen *)l->pcb.tcp;
	/* tcp_listen_input()'s TCP_EVENT_ACCEPT for a SYN with no pcb */
	for (unsigned int i = 0; i < DEFAULT_ACCEPTMBOX_SIZE; i++)
		lpcb->accept(lpcb->callback_arg, NULL, ERR_MEM);
	pcb = tcp_alloc(TCP_PRIO_NORMAL);
	if (!pcb) {
		UNLOCK_TCPIP_CORE();
		netconn_delete(l);
		KTEST_ASSERT_NOT_NULL(t, pcb);
		return;
	}
	pcb->listener = lpcb;
	posted = lpcb->accept(lpcb->callback_arg, pcb, ERR_OK);
	if (posted != ERR_OK)
		tcp_abort(pcb); /* what tcp_process() does: a RST */
	UNLOCK_TCPIP_CORE();
	KTEST_EXPECT_EQ(t, posted, ERR_OK);
	lwip_mbox_get_stats(&l->acceptmbox, &after);
	KTEST_EXPECT_EQ(t, after.full_msgs - before.full_msgs, 0);
	KTEST_EXPECT_EQ(t, after.full_errs - before.full_errs, MEMP_NUM_NETCONN);
	KTEST_EXPECT_LT(t, after.len, after.size);
	netconn_set_recvtimeout(l, 50);
	while ((err = netconn_accept(l, &nc)) != ERR_TIMEOUT) {
		if (err == ERR_ABRT) {
			markers++;
			continue;
		}
		KTEST_EXPECT_EQ(t, err, ERR_OK);
		if (err != ERR_OK)
			break;
		conns++;
		netconn_delete(nc);
	}
	KTEST_EXPECT_EQ(t, markers, DEFAULT_ACCEPTMBOX_SIZE - MEMP_NUM_NETCONN);
	KTEST_EXPECT_EQ(t, conns, 1);
	netconn_delete(l);
}

static const struct ktest_case lwip_slirp_cases[] = {
	KTEST_CASE(accept_markers_leave_room_for_every_connection),
	KTEST_CASE(busy_device_is_retried_until_it_takes_the_frame),
	KTEST_CASE(busy_device_that_stays_busy_drops_the_frame),
	KTEST_CASE(link_change_with_the_tcpip_mailbox_full_is_not_lost),
	KTEST_CASE(tcp_checksum_offload_partial_out_trusted_in),
	KTEST_CASE(time_wait_ended_only_by_a_sound_syn_after_or_rst_at_rcv_nxt),
	KTEST_CASE(dhcp_gets_10_0_2_15),
	KTEST_CASE(ping_of_the_gateway_answers),
	KTEST_CASE(timeout_set_under_the_core_lock_elsewhere_fires_on_time),
	KTEST_CASE(timeout_set_under_the_trylocked_core_lock_fires_on_time),
	KTEST_CASE(core_trylock_fails_while_tcpip_holds_the_lock),
	KTEST_CASE(tcp_moves_1mib_both_ways_through_nat_intact),
	KTEST_CASE(pools_back_to_idle_after_tcp),
	KTEST_END,
};

static const struct ktest_suite lwip_slirp_suite = {
	.name = "lwip_slirp",
	.init = slirp_init,
	.cases = lwip_slirp_cases,
	.on_request = true,
};
KTEST_SUITE(lwip_slirp_suite);
