/*
 * drivers/net/virtio_net_test.c - KTAP suite "virtio_net": the driver
 * against QEMU's real virtio-net with user networking (slirp), no stack:
 * an ARP request for the gateway 10.0.2.2 goes out by dev_queue_xmit()
 * and slirp's reply comes back through netif_rx().
 *
 * Layer: drivers/net (tests). Suite: virtio_net. Needs a virtio-net
 * device (tools/quire --net; the tests/run job virtio.net); without one
 * the case is skipped with that reason (declared in tests/run).
 */
#include <quire/ktest.h>
#include <quire/netdevice.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/jiffies.h>
#include <quire/timer.h>
#include <quire/wait.h>
#include <quire/printk.h>
#include "virtio_net.h"

static const u8 slirp_gw_ip[4] = {10, 0, 2, 2};
static const u8 slirp_guest_ip[4] = {10, 0, 2, 15};

struct arp_probe {
	struct wait_queue_head wq;
	u8 mac[ETH_ALEN];    /* ours */
	int replies;	     /* ARP replies from 10.0.2.2 to us */
	int frames;	     /* every frame seen */
	int echo_ok;	     /* ICMP echo replies whose payload matched */
	int echo_bad;	     /* ICMP echo replies that did not */
	u8 gw_mac[ETH_ALEN]; /* who answered */
};

static struct net_device *find_virtio_net(void)
{
	char name[IFNAMSIZ];

	for (int i = 0; i < 8; i++) {
		struct net_device *dev;

		scnprintf(name, sizeof(name), "eth%d", i);
		dev = dev_get_by_name(name);
		if (dev && virtnet_is_virtio_net(dev))
			return dev;
	}
	return NULL;
}

/* ARP for IPv4 over Ethernet (RFC 826): 28 bytes after the header. */
static unsigned int build_arp_request(u8 *f, const u8 *mac)
{
	memset(f, 0, ETH_ZLEN);
	memset(f, 0xff, ETH_ALEN); /* broadcast */
	memcpy(f + 6, mac, ETH_ALEN);
	f[12] = 0x08, f[13] = 0x06; /* ETH_P_ARP */
	f[14] = 0, f[15] = 1;	    /* Ethernet */
	f[16] = 0x08, f[17] = 0x00; /* IPv4 */
	f[18] = ETH_ALEN, f[19] = 4;
	f[20] = 0, f[21] = 1; /* request */
	memcpy(f + 22, mac, ETH_ALEN);
	memcpy(f + 28, slirp_guest_ip, 4);
	memcpy(f + 38, slirp_gw_ip, 4);
	return ETH_ZLEN;
}

#define ECHO_PAYLOAD 1400 /* longer than one mergeable rx buffer */
#define ECHO_LEN     (ETH_HLEN + 20 + 8 + ECHO_PAYLOAD)

static u16 ip_csum(const u8 *p, unsigned int len)
{
	u32 sum = 0;

	for (unsigned int i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* An ICMP echo request from 10.0.2.15 to 10.0.2.2 (RFC 792). */
static void build_echo(u8 *f, const u8 *mac, const u8 *gw_mac)
{
	u8 *ip = f + ETH_HLEN, *icmp = ip + 20;
	u16 c;

	memcpy(f, gw_mac, ETH_ALEN);
	memcpy(f + 6, mac, ETH_ALEN);
	f[12] = 0x08, f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (20 + 8 + ECHO_PAYLOAD) >> 8, ip[3] = (u8)(20 + 8 + ECHO_PAYLOAD);
	ip[8] = 64, ip[9] = 1; /* TTL, ICMP */
	memcpy(ip + 12, slirp_guest_ip, 4);
	memcpy(ip + 16, slirp_gw_ip, 4);
	c = ip_csum(ip, 20);
	ip[10] = c >> 8, ip[11] = (u8)c;
	memset(icmp, 0, 8);
	icmp[0] = 8;			/* echo request */
	icmp[4] = 0x51, icmp[5] = 0x0e; /* id */
	icmp[7] = 1;			/* sequence */
	for (int i = 0; i < ECHO_PAYLOAD; i++)
		icmp[8 + i] = (u8)(i * 13 + 5);
	c = ip_csum(icmp, 8 + ECHO_PAYLOAD);
	icmp[2] = c >> 8, icmp[3] = (u8)c;
}

static void echo_seen(struct arp_probe *p, const u8 *f, unsigned int len)
{
	const u8 *icmp = f + ETH_HLEN + 20;
	bool ok = len >= ECHO_LEN && icmp[4] == 0x51 && icmp[5] == 0x0e;

	for (int i = 0; ok && i < ECHO_PAYLOAD; i++)
		ok = icmp[8 + i] == (u8)(i * 13 + 5);
	if (ok)
		WRITE_ONCE(p->echo_ok, p->echo_ok + 1);
	else
		WRITE_ONCE(p->echo_bad, p->echo_bad + 1);
	wake_up(&p->wq);
}

static void arp_rx(struct net_device *dev, const void *frame, unsigned int len,
		   unsigned int ip_summed, void *data)
{
	struct arp_probe *p = data;
	const u8 *f = frame;

	if (len >= ETH_HLEN + 28 && f[12] == 0x08 && f[13] == 0x00 &&
	    f[ETH_HLEN + 9] == 1 && f[ETH_HLEN + 20] == 0 &&
	    !memcmp(f + ETH_HLEN + 12, slirp_gw_ip, 4)) {
		p->frames++;
		echo_seen(p, f, len);
		return;
	}

	p->frames++;
	if (len < 42 || f[12] != 0x08 || f[13] != 0x06 || f[21] != 2)
		return;
	if (memcmp(f + 28, slirp_gw_ip, 4) || memcmp(f + 38, slirp_guest_ip, 4) ||
	    memcmp(f + 32, p->mac, ETH_ALEN) || memcmp(f, p->mac, ETH_ALEN))
		return;
	memcpy(p->gw_mac, f + 22, ETH_ALEN);
	WRITE_ONCE(p->replies, p->replies + 1);
	wake_up(&p->wq);
}

static void arp_request_for_the_gateway_gets_slirps_reply(struct ktest *t)
{
	struct net_device *dev = find_virtio_net();
	struct arp_probe p = {0};
	u64 tx0, rx0;
	u8 frame[ETH_ZLEN];
	unsigned int len;
	int tries, ret;

	if (!dev)
		ktest_skip(
			t,
			"no virtio-net device (boot with tools/quire --net: job virtio.net)");
	init_waitqueue_head(&p.wq);
	memcpy(p.mac, dev->dev_addr, ETH_ALEN);
	KTEST_ASSERT_TRUE(t, netif_carrier_ok(dev));
	KTEST_ASSERT_EQ(t, netdev_rx_handler_register(dev, arp_rx, NULL, &p), 0);
	KTEST_ASSERT_EQ(t, dev_open(dev), 0);
	tx0 = atomic64_read(&dev->stats.tx_packets);
	rx0 = atomic64_read(&dev->stats.rx_packets);
	len = build_arp_request(frame, p.mac);
	/* slirp answers at once; a few tries only so that a lost first
	 * frame is not a failure. The bound is a failure verdict, not a
	 * measurement. */
	for (tries = 0; tries < 5 && !READ_ONCE(p.replies); tries++) {
		ret = dev_queue_xmit(dev, frame, len);
		KTEST_EXPECT_EQ(t, ret, NETDEV_TX_OK);
		wait_event_timeout(p.wq, READ_ONCE(p.replies), msecs_to_jiffies(2000));
	}
	/* every frame sent comes back complete (VN2) */
	for (int i = 0; i < 500 && atomic64_read(&dev->stats.tx_packets) < tx0 + tries;
	     i++) {
		virtnet_test_flush(dev);
		msleep(10);
	}
	dev_close(dev);
	netdev_rx_handler_unregister(dev);
	KTEST_EXPECT_GE(t, p.replies, 1);
	KTEST_EXPECT_EQ(t, atomic64_read(&dev->stats.tx_packets), tx0 + tries);
	KTEST_EXPECT_GE(t, atomic64_read(&dev->stats.rx_packets), rx0 + 1);
	/* slirp's gateway MAC is 52:55:0a:00:02:02 (QEMU's slirp) */
	KTEST_EXPECT_EQ(t, p.gw_mac[0], 0x52);
	KTEST_EXPECT_EQ(t, p.gw_mac[1], 0x55);
	if (p.replies)
		pr_info("virtio_net test: %s: %d ARP request(s), reply from %02x:%02x:%02x:%02x:%02x:%02x, %d frame(s) seen\n",
			dev->name, tries, p.gw_mac[0], p.gw_mac[1], p.gw_mac[2],
			p.gw_mac[3], p.gw_mac[4], p.gw_mac[5], p.frames);
}

/*
 * A 1442-byte ICMP echo to slirp's gateway: its reply is longer than one
 * mergeable receive buffer, so with VIRTIO_NET_F_MRG_RXBUF the device
 * spreads it over two (counted in rx_merged) and the driver gathers it.
 */
static void echo_reply_longer_than_a_buffer_comes_back_whole(struct ktest *t)
{
	static u8 frame[ECHO_LEN];
	struct net_device *dev = find_virtio_net();
	struct arp_probe p = {0};
	struct virtnet_counters c0, c1;
	u8 arp[ETH_ZLEN];
	int tries;

	if (!dev)
		ktest_skip(
			t,
			"no virtio-net device (boot with tools/quire --net: job virtio.net)");
	init_waitqueue_head(&p.wq);
	memcpy(p.mac, dev->dev_addr, ETH_ALEN);
	KTEST_ASSERT_EQ(t, netdev_rx_handler_register(dev, arp_rx, NULL, &p), 0);
	KTEST_ASSERT_EQ(t, dev_open(dev), 0);
	build_arp_request(arp, p.mac);
	for (tries = 0; tries < 5 && !READ_ONCE(p.replies); tries++) {
		KTEST_EXPECT_EQ(t, dev_queue_xmit(dev, arp, sizeof(arp)), NETDEV_TX_OK);
		wait_event_timeout(p.wq, READ_ONCE(p.replies), msecs_to_jiffies(2000));
	}
	virtnet_get_counters(dev, &c0);
	if (p.replies) {
		build_echo(frame, p.mac, p.gw_mac);
		for (tries = 0; tries < 5 && !READ_ONCE(p.echo_ok); tries++) {
			KTEST_EXPECT_EQ(t, dev_queue_xmit(dev, frame, sizeof(frame)),
					NETDEV_TX_OK);
			wait_event_timeout(p.wq, READ_ONCE(p.echo_ok),
					   msecs_to_jiffies(2000));
		}
	}
	/* every frame sent comes back complete (VN2; and no copy is left
	 * for the suite's leak check) */
	for (int i = 0; i < 500; i++) {
		virtnet_test_flush(dev);
		virtnet_get_counters(dev, &c1);
		if (!c1.tx_inflight)
			break;
		msleep(10);
	}
	KTEST_EXPECT_EQ(t, c1.tx_inflight, 0);
	dev_close(dev);
	netdev_rx_handler_unregister(dev);
	KTEST_ASSERT_OP(t, p.replies, >=, 1);
	KTEST_EXPECT_GE(t, p.echo_ok, 1);
	KTEST_EXPECT_EQ(t, p.echo_bad, 0);
	if (virtnet_mergeable(dev))
		KTEST_EXPECT_GE(t, c1.rx_merged, c0.rx_merged + 1);
	pr_info("virtio_net test: %s: %d echo reply(ies) of %u bytes intact, %llu merged frame(s)%s\n",
		dev->name, p.echo_ok, ECHO_LEN,
		(unsigned long long)(c1.rx_merged - c0.rx_merged),
		virtnet_mergeable(dev) ? "" : " (no MRG_RXBUF)");
}

static const struct ktest_case virtio_net_cases[] = {
	KTEST_CASE(arp_request_for_the_gateway_gets_slirps_reply),
	KTEST_CASE(echo_reply_longer_than_a_buffer_comes_back_whole),
	KTEST_END,
};

static const struct ktest_suite virtio_net_suite = {
	.name = "virtio_net",
	.cases = virtio_net_cases,
};
KTEST_SUITE(virtio_net_suite);
