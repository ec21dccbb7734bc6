/*
 * net/core/dev.c - the registry of network devices, and the two paths
 * every frame takes: netif_rx() up to the stack, dev_queue_xmit() down to
 * the driver (Linux's net/core/dev.c, without sk_buffs, NAPI or qdiscs).
 *
 * Layer: net. Used by: NIC drivers (drivers/net/), the stack's glue,
 * the shell. Provides: alloc_netdev(), free_netdev(), register_netdev(),
 * unregister_netdev(), dev_get_by_name(), for_each_netdev(), dev_open(),
 * dev_close(), netdev_rx_handler_register()/unregister(),
 * netif_carrier_on()/off(), netif_rx(), netif_rx_csum(), dev_queue_xmit(),
 * dev_queue_xmit_csum().
 * Checksum offload: dev->features says what the device does
 * (NETIF_F_HW_CSUM, NETIF_F_RXCSUM); a partial checksum for a device
 * that cannot complete it is completed here (skb_checksum_help()), and a
 * CHECKSUM_UNNECESSARY from a device that did not claim RXCSUM is
 * demoted to CHECKSUM_NONE.
 * Not here: queues of frames (a driver that is busy says so and the
 * stack retries), multiple queues, segmentation offloads, notifier
 * chains (one link handler per device instead).
 *
 * Invariants: ND1..ND4 in include/quire/netdevice.h.
 *
 * Locking: net_devices_lock (a mutex) guards the list and name choice.
 * The frame and carrier paths read the handler pointers without a lock,
 * counted in dev->rx_handler_users for the length of the call (ND4):
 * netdev_rx_handler_unregister() clears the pointers and then sleeps on
 * dev->rx_handler_wait until no call is left, so the stack may free its
 * handler data when it returns. State bits and counters are atomic.
 */
#include <quire/netdevice.h>
#include <quire/checksum.h>
#include <quire/mutex.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/bug.h>

static LIST_HEAD(net_devices);
static DEFINE_MUTEX(net_devices_lock);

struct net_device *alloc_netdev(size_t sizeof_priv, const char *name)
{
	struct net_device *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (!dev)
		return NULL;
	if (sizeof_priv) {
		dev->priv = kzalloc(sizeof_priv, GFP_KERNEL);
		if (!dev->priv) {
			kfree(dev);
			return NULL;
		}
	}
	strscpy_len(dev->name, name, sizeof(dev->name));
	dev->mtu = ETH_DATA_LEN;
	set_bit(__LINK_STATE_NOCARRIER, &dev->state);
	INIT_LIST_HEAD(&dev->dev_list);
	init_waitqueue_head(&dev->rx_handler_wait);
	return dev;
}

void free_netdev(struct net_device *dev)
{
	if (!dev)
		return;
	WARN_ON(!list_empty(&dev->dev_list));
	kfree(dev->priv);
	kfree(dev);
}

static struct net_device *__dev_get_by_name(const char *name)
{
	struct net_device *dev;

	list_for_each_entry(dev, &net_devices, dev_list)
		if (!strcmp(dev->name, name))
			return dev;
	return NULL;
}

int register_netdev(struct net_device *dev)
{
	int err = 0;

	if (!dev->netdev_ops || !dev->netdev_ops->ndo_start_xmit)
		return -EINVAL;
	mutex_lock(&net_devices_lock);
	if (!strcmp(dev->name, "eth%d")) {
		char name[IFNAMSIZ];
		int i;

		for (i = 0; i < 100; i++) {
			scnprintf(name, sizeof(name), "eth%d", i);
			if (!__dev_get_by_name(name))
				break;
		}
		if (i == 100)
			err = -ENFILE;
		else
			strscpy_len(dev->name, name, sizeof(dev->name));
	} else if (!dev->name[0]) {
		err = -EINVAL;
	} else if (__dev_get_by_name(dev->name)) {
		err = -EEXIST;
	}
	if (!err)
		list_add_tail(&dev->dev_list, &net_devices);
	mutex_unlock(&net_devices_lock);
	return err;
}

void unregister_netdev(struct net_device *dev)
{
	dev_close(dev);
	mutex_lock(&net_devices_lock);
	list_del_init(&dev->dev_list);
	mutex_unlock(&net_devices_lock);
}

struct net_device *dev_get_by_name(const char *name)
{
	struct net_device *dev;

	mutex_lock(&net_devices_lock);
	dev = __dev_get_by_name(name);
	mutex_unlock(&net_devices_lock);
	return dev;
}

int for_each_netdev(int (*fn)(struct net_device *dev, void *arg), void *arg)
{
	struct net_device *dev;
	int ret = 0;

	mutex_lock(&net_devices_lock);
	list_for_each_entry(dev, &net_devices, dev_list) {
		ret = fn(dev, arg);
		if (ret)
			break;
	}
	mutex_unlock(&net_devices_lock);
	return ret;
}

int dev_open(struct net_device *dev)
{
	int err = 0;

	if (netif_running(dev))
		return 0;
	if (dev->netdev_ops->ndo_open)
		err = dev->netdev_ops->ndo_open(dev);
	if (!err)
		set_bit(__LINK_STATE_START, &dev->state);
	return err;
}

int dev_close(struct net_device *dev)
{
	if (!test_and_clear_bit(__LINK_STATE_START, &dev->state))
		return 0;
	if (dev->netdev_ops->ndo_stop)
		return dev->netdev_ops->ndo_stop(dev);
	return 0;
}

int netdev_rx_handler_register(struct net_device *dev, netdev_rx_handler_t *rx,
			       netdev_link_handler_t *link, void *data)
{
	if (dev->rx_handler)
		return -EBUSY;
	dev->rx_handler_data = data;
	__atomic_store_n(&dev->link_handler, link, __ATOMIC_RELEASE);
	__atomic_store_n(&dev->rx_handler, rx, __ATOMIC_RELEASE);
	return 0;
}

/*
 * ND4, the caller's side: count the call in before reading a handler,
 * out after it. SEQ_CST pairs with unregister's store of NULL and its
 * read of the count: either unregister sees this call counted and waits,
 * or this call sees the handler gone (Linux: rcu_read_lock() around the
 * handler, synchronize_net() in unregister).
 */
static void netdev_handler_enter(struct net_device *dev)
{
	__atomic_add_fetch(&dev->rx_handler_users, 1, __ATOMIC_SEQ_CST);
}

static void netdev_handler_exit(struct net_device *dev)
{
	if (!__atomic_sub_fetch(&dev->rx_handler_users, 1, __ATOMIC_SEQ_CST))
		wake_up_all(&dev->rx_handler_wait);
}

static bool netdev_handler_idle(struct net_device *dev)
{
	return !__atomic_load_n(&dev->rx_handler_users, __ATOMIC_SEQ_CST);
}

void netdev_rx_handler_unregister(struct net_device *dev)
{
	__atomic_store_n(&dev->rx_handler, NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dev->link_handler, NULL, __ATOMIC_SEQ_CST);
	wait_event(dev->rx_handler_wait, netdev_handler_idle(dev));
	dev->rx_handler_data = NULL;
}

static void netif_link_changed(struct net_device *dev, bool up)
{
	netdev_link_handler_t *link;

	netdev_handler_enter(dev);
	link = __atomic_load_n(&dev->link_handler, __ATOMIC_SEQ_CST);
	if (link)
		link(dev, up, dev->rx_handler_data);
	netdev_handler_exit(dev);
}

void netif_carrier_on(struct net_device *dev)
{
	if (test_and_clear_bit(__LINK_STATE_NOCARRIER, &dev->state))
		netif_link_changed(dev, true);
}

void netif_carrier_off(struct net_device *dev)
{
	if (!test_and_set_bit(__LINK_STATE_NOCARRIER, &dev->state))
		netif_link_changed(dev, false);
}

int netif_rx(struct net_device *dev, const void *frame, unsigned int len)
{
	return netif_rx_csum(dev, frame, len, CHECKSUM_NONE);
}

int netif_rx_csum(struct net_device *dev, const void *frame, unsigned int len,
		  unsigned int ip_summed)
{
	netdev_rx_handler_t *rx;

	if (ip_summed != CHECKSUM_UNNECESSARY || !(dev->features & NETIF_F_RXCSUM))
		ip_summed = CHECKSUM_NONE;

	netdev_handler_enter(dev);
	rx = __atomic_load_n(&dev->rx_handler, __ATOMIC_SEQ_CST);
	if (!rx || !netif_running(dev)) {
		netdev_handler_exit(dev);
		atomic64_inc(&dev->stats.rx_dropped);
		return NET_RX_DROP;
	}
	atomic64_inc(&dev->stats.rx_packets);
	atomic64_add(len, &dev->stats.rx_bytes);
	rx(dev, frame, len, ip_summed, dev->rx_handler_data);
	netdev_handler_exit(dev);
	return NET_RX_SUCCESS;
}

int dev_queue_xmit(struct net_device *dev, const void *frame, unsigned int len)
{
	if (len < ETH_HLEN || len > ETH_HLEN + dev->mtu) {
		atomic64_inc(&dev->stats.tx_errors);
		return -EINVAL;
	}
	if (!netif_running(dev) || netif_queue_stopped(dev))
		return NETDEV_TX_BUSY;
	return dev->netdev_ops->ndo_start_xmit(dev, frame, len);
}

int dev_queue_xmit_csum(struct net_device *dev, void *frame, unsigned int len,
			unsigned int csum_start, unsigned int csum_offset)
{
	u8 *field = (u8 *)frame + csum_start + csum_offset;
	u8 saved[2];
	int r;

	if (len < ETH_HLEN || len > ETH_HLEN + dev->mtu || csum_start < ETH_HLEN ||
	    csum_start >= len || csum_offset > len - csum_start ||
	    len - csum_start - csum_offset < 2) {
		atomic64_inc(&dev->stats.tx_errors);
		return -EINVAL;
	}
	if (!netif_running(dev) || netif_queue_stopped(dev))
		return NETDEV_TX_BUSY;
	if ((dev->features & NETIF_F_HW_CSUM) && dev->netdev_ops->ndo_start_xmit_csum)
		return dev->netdev_ops->ndo_start_xmit_csum(dev, frame, len, csum_start,
							    csum_offset);
	/* skb_checksum_help(): complete it here; a BUSY answer gets the
	 * pseudo-header sum back, so a retry completes it again rightly. */
	memcpy(saved, field, 2);
	csum_complete_partial(frame, len, csum_start, csum_offset);
	r = dev->netdev_ops->ndo_start_xmit(dev, frame, len);
	if (r == NETDEV_TX_BUSY)
		memcpy(field, saved, 2);
	return r;
}
