/*
 * net/core/dev_test.c - the `netdev` suite: the registry names and finds
 * devices (ND1), a frame is counted once on the way up (ND3), and nothing
 * reaches a driver that is down or stopped (ND2). A fake driver records
 * what it was handed. Checksums: the RFC 1071 example sums right, a
 * partial checksum for a device without NETIF_F_HW_CSUM is completed by
 * dev_queue_xmit_csum() (and put back on NETDEV_TX_BUSY for the retry),
 * and CHECKSUM_UNNECESSARY reaches the handler only from a device with
 * NETIF_F_RXCSUM.
 */
#include <quire/ktest.h>
#include <quire/netdevice.h>
#include <quire/checksum.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/kthread.h>
#include <quire/completion.h>
#include <quire/sched.h>

struct fake_nic {
	int opened, stopped, sent;
	unsigned int last_len;
	netdev_tx_t answer;
	u8 last[64]; /* the first bytes of the last frame handed over */
};

static int fake_open(struct net_device *dev)
{
	((struct fake_nic *)netdev_priv(dev))->opened++;
	return 0;
}

static int fake_stop(struct net_device *dev)
{
	((struct fake_nic *)netdev_priv(dev))->stopped++;
	return 0;
}

static netdev_tx_t fake_xmit(struct net_device *dev, const void *frame, unsigned int len)
{
	struct fake_nic *nic = netdev_priv(dev);

	nic->sent++;
	nic->last_len = len;
	memcpy(nic->last, frame, min(len, (unsigned int)sizeof(nic->last)));
	return nic->answer;
}

static const struct net_device_ops fake_ops = {
	.ndo_open = fake_open,
	.ndo_stop = fake_stop,
	.ndo_start_xmit = fake_xmit,
};

static struct net_device *fake_alloc(const char *name)
{
	struct net_device *dev = alloc_netdev(sizeof(struct fake_nic), name);

	if (dev)
		dev->netdev_ops = &fake_ops;
	return dev;
}

static void registry_names_and_finds_devices(struct ktest *t)
{
	struct net_device *a = fake_alloc("eth%d"), *b = fake_alloc("eth%d");
	struct net_device *dup = fake_alloc("x0"), *c = fake_alloc("x0");

	KTEST_ASSERT_TRUE(t, a && b && c && dup);
	KTEST_ASSERT_EQ(t, register_netdev(a), 0);
	KTEST_ASSERT_EQ(t, register_netdev(b), 0);
	KTEST_EXPECT_TRUE(t, strcmp(a->name, b->name) != 0);
	KTEST_EXPECT_TRUE(t, !strncmp(a->name, "eth", 3) && !strncmp(b->name, "eth", 3));
	KTEST_EXPECT_TRUE(t, dev_get_by_name(a->name) == a);
	KTEST_EXPECT_TRUE(t, dev_get_by_name(b->name) == b);
	KTEST_ASSERT_EQ(t, register_netdev(c), 0);
	KTEST_EXPECT_EQ(t, register_netdev(dup), -EEXIST);
	KTEST_EXPECT_FALSE(t, netif_carrier_ok(a)); /* off until the driver says */
	unregister_netdev(a);
	unregister_netdev(b);
	unregister_netdev(c);
	KTEST_EXPECT_NULL(t, dev_get_by_name("x0"));
	free_netdev(a);
	free_netdev(b);
	free_netdev(c);
	free_netdev(dup);
}

struct rx_log {
	int frames, links;
	unsigned int len, ip_summed;
	bool up;
};

static void log_rx(struct net_device *dev, const void *frame, unsigned int len,
		   unsigned int ip_summed, void *data)
{
	struct rx_log *log = data;

	log->frames++;
	log->len = len;
	log->ip_summed = ip_summed;
}

static void log_link(struct net_device *dev, bool up, void *data)
{
	struct rx_log *log = data;

	log->links++;
	log->up = up;
}

static void every_received_frame_is_counted_once(struct ktest *t)
{
	struct net_device *dev = fake_alloc("rx0");
	struct rx_log log = {};
	u8 frame[64] = {};

	KTEST_ASSERT_NOT_NULL(t, dev);
	KTEST_ASSERT_EQ(t, register_netdev(dev), 0);
	/* No handler, device down: dropped. */
	KTEST_EXPECT_EQ(t, netif_rx(dev, frame, sizeof(frame)), NET_RX_DROP);
	KTEST_ASSERT_EQ(t, netdev_rx_handler_register(dev, log_rx, log_link, &log), 0);
	KTEST_EXPECT_EQ(t, netdev_rx_handler_register(dev, log_rx, log_link, &log),
			-EBUSY);
	/* Handler set, device still down: dropped. */
	KTEST_EXPECT_EQ(t, netif_rx(dev, frame, sizeof(frame)), NET_RX_DROP);
	KTEST_ASSERT_EQ(t, dev_open(dev), 0);
	KTEST_EXPECT_EQ(t, netif_rx(dev, frame, sizeof(frame)), NET_RX_SUCCESS);
	KTEST_EXPECT_EQ(t, log.frames, 1);
	KTEST_EXPECT_EQ(t, log.len, sizeof(frame));
	KTEST_EXPECT_EQ(t, atomic64_read(&dev->stats.rx_packets), 1);
	KTEST_EXPECT_EQ(t, atomic64_read(&dev->stats.rx_bytes), sizeof(frame));
	KTEST_EXPECT_EQ(t, atomic64_read(&dev->stats.rx_dropped), 2);
	/* Carrier changes reach the link handler once each. */
	netif_carrier_on(dev);
	netif_carrier_on(dev);
	KTEST_EXPECT_EQ(t, log.links, 1);
	KTEST_EXPECT_TRUE(t, log.up);
	netif_carrier_off(dev);
	KTEST_EXPECT_EQ(t, log.links, 2);
	KTEST_EXPECT_FALSE(t, log.up);
	netdev_rx_handler_unregister(dev);
	unregister_netdev(dev);
	KTEST_EXPECT_EQ(t, ((struct fake_nic *)netdev_priv(dev))->stopped, 1);
	free_netdev(dev);
}

static void nothing_reaches_a_driver_that_is_down_or_stopped(struct ktest *t)
{
	struct net_device *dev = fake_alloc("tx0");
	struct fake_nic *nic;
	u8 frame[ETH_FRAME_LEN + 1] = {};

	KTEST_ASSERT_NOT_NULL(t, dev);
	nic = netdev_priv(dev);
	KTEST_ASSERT_EQ(t, register_netdev(dev), 0);
	KTEST_EXPECT_EQ(t, dev_queue_xmit(dev, frame, 60), NETDEV_TX_BUSY);
	KTEST_ASSERT_EQ(t, dev_open(dev), 0);
	KTEST_EXPECT_EQ(t, dev_open(dev), 0);
	KTEST_EXPECT_EQ(t, nic->opened, 1);
	KTEST_EXPECT_EQ(t, dev_queue_xmit(dev, frame, 60), NETDEV_TX_OK);
	KTEST_EXPECT_EQ(t, nic->last_len, 60);
	netif_stop_queue(dev);
	KTEST_EXPECT_EQ(t, dev_queue_xmit(dev, frame, 60), NETDEV_TX_BUSY);
	netif_wake_queue(dev);
	nic->answer = NETDEV_TX_BUSY;
	KTEST_EXPECT_EQ(t, dev_queue_xmit(dev, frame, 60), NETDEV_TX_BUSY);
	KTEST_EXPECT_EQ(t, nic->sent, 2);
	/* Too short for a header, or longer than the MTU allows. */
	KTEST_EXPECT_EQ(t, dev_queue_xmit(dev, frame, ETH_HLEN - 1), -EINVAL);
	KTEST_EXPECT_EQ(t, dev_queue_xmit(dev, frame, ETH_FRAME_LEN + 1), -EINVAL);
	KTEST_EXPECT_EQ(t, nic->sent, 2);
	KTEST_EXPECT_EQ(t, atomic64_read(&dev->stats.tx_errors), 2);
	unregister_netdev(dev);
	free_netdev(dev);
}

/*
 * ND4: a handler call that started before netdev_rx_handler_unregister()
 * has returned when unregister returns (the stack frees what @data points
 * to right after). The handler stays in until unregister has either
 * returned (the bug: it did not wait) or sleeps waiting for it.
 */
struct slow_handler {
	struct net_device *dev;
	bool link; /* go through the link handler, not rx */
	struct completion entered;
	int inside;		  /* atomic: a call is running */
	bool unregister_returned; /* atomic */
	void *data_seen;
};

static void slow_wait_for_unregister(struct slow_handler *s, void *data)
{
	s->data_seen = data;
	__atomic_store_n(&s->inside, 1, __ATOMIC_SEQ_CST);
	complete(&s->entered);
	while (!__atomic_load_n(&s->unregister_returned, __ATOMIC_SEQ_CST) &&
	       !wq_has_sleeper(&s->dev->rx_handler_wait))
		schedule_timeout_uninterruptible(1);
	__atomic_store_n(&s->inside, 0, __ATOMIC_SEQ_CST);
}

static void slow_rx(struct net_device *dev, const void *frame, unsigned int len,
		    unsigned int ip_summed, void *data)
{
	slow_wait_for_unregister(data, data);
}

static void slow_link(struct net_device *dev, bool up, void *data)
{
	slow_wait_for_unregister(data, data);
}

static int slow_caller(void *arg)
{
	struct slow_handler *s = arg;
	u8 frame[ETH_ZLEN] = {};

	if (s->link)
		netif_carrier_on(s->dev);
	else
		netif_rx(s->dev, frame, sizeof(frame));
	return 0;
}

static void unregister_waits_for(struct ktest *t, bool link)
{
	struct net_device *dev = fake_alloc("slow%d");
	struct slow_handler s = {.dev = dev, .link = link};
	u8 frame[ETH_ZLEN] = {};
	struct task_struct *caller;
	int inside;

	KTEST_ASSERT_NOT_NULL(t, dev);
	init_completion(&s.entered);
	KTEST_ASSERT_EQ(t, register_netdev(dev), 0);
	KTEST_ASSERT_EQ(t, netdev_rx_handler_register(dev, slow_rx, slow_link, &s), 0);
	KTEST_ASSERT_EQ(t, dev_open(dev), 0);
	caller = kthread_run(slow_caller, &s, "slow_caller");
	KTEST_ASSERT_TRUE(t, !IS_ERR(caller));
	wait_for_completion(&s.entered);
	netdev_rx_handler_unregister(dev);
	inside = __atomic_load_n(&s.inside, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s.unregister_returned, true, __ATOMIC_SEQ_CST);
	kthread_stop(caller);
	KTEST_EXPECT_EQ(t, inside, 0); /* 1: unregister returned under a call */
	KTEST_EXPECT_TRUE(t, s.data_seen == &s);
	/* after it, nothing reaches the handler */
	KTEST_EXPECT_EQ(t, netif_rx(dev, frame, sizeof(frame)), NET_RX_DROP);
	netif_carrier_off(dev);
	unregister_netdev(dev);
	free_netdev(dev);
}

static void unregister_waits_for_a_receive_call_in_progress(struct ktest *t)
{
	unregister_waits_for(t, false);
}

static void unregister_waits_for_a_link_call_in_progress(struct ktest *t)
{
	unregister_waits_for(t, true);
}

/* RFC 1071 section 3's example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
static void internet_checksum_sums_rfc1071s_example(struct ktest *t)
{
	static const u8 b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	u16 c = csum_fold(csum_partial(b, sizeof(b), 0));
	u8 mem[2];

	memcpy(mem, &c, 2); /* in memory order, as it is stored */
	KTEST_EXPECT_EQ(t, mem[0] << 8 | mem[1], 0xffff - 0xddf2);
	/* an odd length pads with a zero byte */
	c = csum_fold(csum_partial(b, 7, 0));
	memcpy(mem, &c, 2);
	KTEST_EXPECT_EQ(t, mem[0] << 8 | mem[1], 0xffff - 0xdcfb);
	/* the pseudo header: 10.0.0.1 -> 10.0.0.2, TCP, 20 bytes */
	{
		u8 sa[4] = {10, 0, 0, 1}, da[4] = {10, 0, 0, 2};
		u32 s, d;

		memcpy(&s, sa, 4);
		memcpy(&d, da, 4);
		c = csum_tcpudp_partial(s, d, 20, 6);
		memcpy(mem, &c, 2);
		KTEST_EXPECT_EQ(t, mem[0] << 8 | mem[1],
				0x0a00 + 1 + 0x0a00 + 2 + 6 + 20);
	}
}

/* An 8-byte "L4" header at 14 whose field at offset 6 holds the
 * pseudo-header sum 0x1234, then 8 bytes of data. */
static unsigned int partial_frame(u8 *f)
{
	memset(f, 0, 30);
	for (int i = 0; i < 8; i++)
		f[22 + i] = (u8)(0x11 * (i + 1));
	f[20] = 0x12;
	f[21] = 0x34;
	return 30;
}

static void a_partial_checksum_is_completed_for_a_device_without_hw_csum(struct ktest *t)
{
	struct net_device *dev = fake_alloc("csum0");
	struct rx_log log = {};
	struct fake_nic *nic;
	u8 f[30];
	unsigned int len;
	u32 sum;

	KTEST_ASSERT_NOT_NULL(t, dev);
	nic = netdev_priv(dev);
	KTEST_ASSERT_EQ(t, register_netdev(dev), 0);
	KTEST_ASSERT_EQ(t, dev_open(dev), 0);
	len = partial_frame(f);
	KTEST_EXPECT_EQ(t, dev_queue_xmit_csum(dev, f, len, 14, 6), NETDEV_TX_OK);
	KTEST_ASSERT_EQ(t, nic->sent, 1);
	/* what the driver got, with the pseudo-header sum (0x1234) the field
	 * held, sums to 0xffff from csum_start on */
	sum = 0x1234;
	for (int i = 14; i < 30; i += 2)
		sum += nic->last[i] << 8 | nic->last[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	KTEST_EXPECT_EQ(t, sum, 0xffff);
	/* BUSY: the pseudo-header sum is back, so a retry is right again */
	nic->answer = NETDEV_TX_BUSY;
	len = partial_frame(f);
	KTEST_EXPECT_EQ(t, dev_queue_xmit_csum(dev, f, len, 14, 6), NETDEV_TX_BUSY);
	KTEST_EXPECT_EQ(t, f[20] << 8 | f[21], 0x1234);
	nic->answer = NETDEV_TX_OK;
	KTEST_EXPECT_EQ(t, dev_queue_xmit_csum(dev, f, len, 14, 6), NETDEV_TX_OK);
	KTEST_EXPECT_EQ(t, memcmp(f, nic->last, len), 0);
	sum = 0x1234;
	for (int i = 14; i < 30; i += 2)
		sum += f[i] << 8 | f[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	KTEST_EXPECT_EQ(t, sum, 0xffff);
	/* no device can be asked to write outside the frame */
	KTEST_EXPECT_EQ(t, dev_queue_xmit_csum(dev, f, len, 14, 15), -EINVAL);
	KTEST_EXPECT_EQ(t, dev_queue_xmit_csum(dev, f, len, 30, 0), -EINVAL);
	KTEST_EXPECT_EQ(t, dev_queue_xmit_csum(dev, f, len, 0, 6), -EINVAL);
	KTEST_EXPECT_EQ(t, nic->sent, 3);
	/* rx: UNNECESSARY only from a device that claims NETIF_F_RXCSUM */
	KTEST_ASSERT_EQ(t, netdev_rx_handler_register(dev, log_rx, NULL, &log), 0);
	netif_rx_csum(dev, f, len, CHECKSUM_UNNECESSARY);
	KTEST_EXPECT_EQ(t, log.ip_summed, CHECKSUM_NONE);
	dev->features |= NETIF_F_RXCSUM;
	netif_rx_csum(dev, f, len, CHECKSUM_UNNECESSARY);
	KTEST_EXPECT_EQ(t, log.ip_summed, CHECKSUM_UNNECESSARY);
	netif_rx_csum(dev, f, len, CHECKSUM_PARTIAL); /* not a receive state */
	KTEST_EXPECT_EQ(t, log.ip_summed, CHECKSUM_NONE);
	netif_rx(dev, f, len);
	KTEST_EXPECT_EQ(t, log.ip_summed, CHECKSUM_NONE);
	KTEST_EXPECT_EQ(t, log.frames, 4);
	netdev_rx_handler_unregister(dev);
	unregister_netdev(dev);
	free_netdev(dev);
}

static const struct ktest_case netdev_cases[] = {
	KTEST_CASE(registry_names_and_finds_devices),
	KTEST_CASE(every_received_frame_is_counted_once),
	KTEST_CASE(nothing_reaches_a_driver_that_is_down_or_stopped),
	KTEST_CASE(unregister_waits_for_a_receive_call_in_progress),
	KTEST_CASE(unregister_waits_for_a_link_call_in_progress),
	KTEST_CASE(internet_checksum_sums_rfc1071s_example),
	KTEST_CASE(a_partial_checksum_is_completed_for_a_device_without_hw_csum),
	KTEST_END,
};

static const struct ktest_suite netdev_suite = {.name = "netdev", .cases = netdev_cases};
KTEST_SUITE(netdev_suite);
