/*
 * include/quire/netdevice.h - network devices: the seam between a NIC
 * driver (drivers/net/) and the network stack (net/).
 *
 * Layer: net. Implemented by net/core/dev.c. Used by: NIC drivers, the
 * stack's glue, the shell (`ifconfig`, `netstat`).
 *
 * Linux's names and contracts, cut down: a driver allocates a struct
 * net_device (alloc_netdev), fills dev_addr, mtu and netdev_ops, and
 * register_netdev()s it. Frames are whole Ethernet frames (14-byte header
 * included, no FCS) in contiguous buffers: there is no sk_buff. A driver
 * hands a received frame to netif_rx(), which calls the stack's handler
 * (netdev_rx_handler_register(), one per device) or counts a drop. The
 * stack sends with dev_queue_xmit(), which calls ->ndo_start_xmit().
 *
 * Checksum offload (Linux's skb->ip_summed, without the sk_buff): a
 * device with NETIF_F_HW_CSUM takes frames whose TCP/UDP checksum it
 * completes itself (dev_queue_xmit_csum() -> ->ndo_start_xmit_csum(),
 * CHECKSUM_PARTIAL: the field holds the pseudo-header sum, the device
 * stores the ones' complement sum from csum_start at csum_start +
 * csum_offset); one with NETIF_F_RXCSUM may hand frames up as
 * CHECKSUM_UNNECESSARY (netif_rx_csum(): it verified the TCP/UDP
 * checksum, the stack may skip it). Everything else is CHECKSUM_NONE:
 * the stack computes and verifies its own.
 *
 * Invariants:
 *  ND1: a device is on the registry list from register_netdev() until
 *       unregister_netdev(); names are unique (eth0, eth1, ... when the
 *       driver leaves the name as "eth%d").
 *  ND2: ->ndo_start_xmit() is never called while the queue is stopped
 *       (netif_stop_queue) or the device is down; dev_queue_xmit() then
 *       returns NETDEV_TX_BUSY and counts nothing.
 *  ND3: every frame given to netif_rx() is counted exactly once: as
 *       rx_packets/rx_bytes when a handler took it, as rx_dropped when
 *       there is none or the device is down.
 *  ND4: when netdev_rx_handler_unregister() returns, no call of the rx
 *       or link handler is running and none will start: the handler's
 *       data may be freed (Linux's synchronize_net() after the unregister).
 *
 * Locking: the registry list is under a mutex (process context). Counters
 * are atomics. netif_rx() runs in process context (a driver's work item or
 * thread, never a hard interrupt): the handler may sleep briefly (take a
 * mutex, post to a mailbox). dev_queue_xmit() is process context too.
 */
#ifndef QUIRE_NETDEVICE_H
#define QUIRE_NETDEVICE_H

#include <quire/types.h>
#include <quire/list.h>
#include <quire/atomic.h>
#include <quire/wait.h>

#define IFNAMSIZ      16
#define ETH_ALEN      6
#define ETH_HLEN      14
#define ETH_DATA_LEN  1500
#define ETH_FRAME_LEN 1514 /* header + ETH_DATA_LEN, no FCS */
#define ETH_ZLEN      60   /* shortest frame, no FCS */

/* A frame's checksum state (Linux's skb->ip_summed values). */
#define CHECKSUM_NONE	     0 /* nothing known: the stack verifies */
#define CHECKSUM_UNNECESSARY 1 /* rx: the device verified the TCP/UDP checksum */
#define CHECKSUM_PARTIAL     3 /* tx: the device completes it (csum_start/offset) */

/* dev->features (Linux's NETIF_F_* names). */
#define NETIF_F_HW_CSUM (1U << 0) /* ->ndo_start_xmit_csum() completes a checksum */
#define NETIF_F_RXCSUM	(1U << 1) /* netif_rx_csum() may say CHECKSUM_UNNECESSARY */

typedef enum netdev_tx {
	NETDEV_TX_OK = 0,      /* the driver owns the frame's copy */
	NETDEV_TX_BUSY = 0x10, /* ring full or queue stopped: retry later */
} netdev_tx_t;

struct net_device;

/* Counters, Linux's rtnl_link_stats64 names. */
struct net_device_stats {
	atomic64_t rx_packets, tx_packets;
	atomic64_t rx_bytes, tx_bytes;
	atomic64_t rx_errors, tx_errors;
	atomic64_t rx_dropped, tx_dropped;
};

struct net_device_ops {
	/* Bring the link up (fill RX rings, enable interrupts): 0 or -errno.
	 * Context: process. */
	int (*ndo_open)(struct net_device *dev);
	/* Stop receiving and sending; frames in flight are dropped or
	 * completed. Context: process. */
	int (*ndo_stop)(struct net_device *dev);
	/* Queue one frame of @len bytes (ETH_HLEN <= len <= ETH_HLEN + mtu).
	 * The driver copies it (or otherwise keeps it alive) before
	 * returning NETDEV_TX_OK, and counts tx_packets/tx_bytes when the
	 * device is done with it; NETDEV_TX_BUSY when it has no room (it
	 * then stops the queue and wakes it when room comes). Context:
	 * process. */
	netdev_tx_t (*ndo_start_xmit)(struct net_device *dev, const void *frame,
				      unsigned int len);
	/* As ndo_start_xmit, for a CHECKSUM_PARTIAL frame: the device
	 * completes the checksum at @csum_start + @csum_offset (both
	 * checked by dev_queue_xmit_csum() to lie inside the frame). Needed
	 * for NETIF_F_HW_CSUM; without it the feature is ignored. */
	netdev_tx_t (*ndo_start_xmit_csum)(struct net_device *dev, const void *frame,
					   unsigned int len, unsigned int csum_start,
					   unsigned int csum_offset);
};

/* The stack's receive handler: @frame is valid only during the call;
 * @ip_summed is CHECKSUM_NONE or (from a NETIF_F_RXCSUM device only)
 * CHECKSUM_UNNECESSARY. */
typedef void netdev_rx_handler_t(struct net_device *dev, const void *frame,
				 unsigned int len, unsigned int ip_summed, void *data);
/* The stack's link-state handler: carrier went on or off. */
typedef void netdev_link_handler_t(struct net_device *dev, bool up, void *data);

#define __LINK_STATE_START     0 /* ndo_open succeeded (IFF_UP) */
#define __LINK_STATE_NOCARRIER 1
#define __LINK_STATE_XOFF      2 /* queue stopped */

struct net_device {
	char name[IFNAMSIZ];
	u8 dev_addr[ETH_ALEN];
	unsigned int mtu;    /* payload bytes, ETH_DATA_LEN */
	unsigned long state; /* __LINK_STATE_* bits */
	u32 features;	     /* NETIF_F_*, set by the driver before register_netdev() */
	const struct net_device_ops *netdev_ops;
	struct net_device_stats stats;
	const char *driver;		 /* "virtio_net" etc., for display */
	netdev_rx_handler_t *rx_handler; /* the stack's, or NULL */
	netdev_link_handler_t *link_handler;
	void *rx_handler_data;
	int rx_handler_users;			/* calls of the handlers running (ND4) */
	struct wait_queue_head rx_handler_wait; /* unregister waits for them */
	struct list_head dev_list;		/* on the registry (ND1) */
	void *priv;				/* the driver's: netdev_priv() */
};

static inline void *netdev_priv(const struct net_device *dev)
{
	return dev->priv;
}

/* A zeroed device with @sizeof_priv bytes of private data (netdev_priv),
 * @name as given ("eth%d" picks the first free ethN at registration);
 * NULL without memory. Free with free_netdev() (after unregister). */
struct net_device *alloc_netdev(size_t sizeof_priv, const char *name);
static inline struct net_device *alloc_etherdev(size_t sizeof_priv)
{
	return alloc_netdev(sizeof_priv, "eth%d");
}
void free_netdev(struct net_device *dev);

/* Add to the registry (ND1), carrier off until netif_carrier_on().
 * 0, -EEXIST for a taken name, -EINVAL for a device without ops. */
int register_netdev(struct net_device *dev);
/* Close it if open, then take it off the registry. */
void unregister_netdev(struct net_device *dev);

/* By name, or NULL. The device stays valid until unregistered (devices
 * are never unregistered while the stack uses them: drivers do it only
 * on probe failure and in tests). */
struct net_device *dev_get_by_name(const char *name);
/* Call @fn on every registered device in registration order, under the
 * registry mutex; stop at the first non-zero return and give it back. */
int for_each_netdev(int (*fn)(struct net_device *dev, void *arg), void *arg);

/* Open (->ndo_open, then __LINK_STATE_START) or close a device: 0 or
 * -errno; opening an open device is 0. */
int dev_open(struct net_device *dev);
int dev_close(struct net_device *dev);
static inline bool netif_running(const struct net_device *dev)
{
	return test_bit(__LINK_STATE_START, &dev->state);
}

/* The stack attaches to a device: -EBUSY if another handler is set. */
int netdev_rx_handler_register(struct net_device *dev, netdev_rx_handler_t *rx,
			       netdev_link_handler_t *link, void *data);
/* Detach; waits for the handler calls in progress (ND4), so it must not
 * be called from a handler. Context: process, may sleep. */
void netdev_rx_handler_unregister(struct net_device *dev);

/* Carrier (link) state, from the driver; calls the link handler on change. */
void netif_carrier_on(struct net_device *dev);
void netif_carrier_off(struct net_device *dev);
static inline bool netif_carrier_ok(const struct net_device *dev)
{
	return !test_bit(__LINK_STATE_NOCARRIER, &dev->state);
}

/* Transmit flow control, from the driver. */
static inline void netif_stop_queue(struct net_device *dev)
{
	set_bit(__LINK_STATE_XOFF, &dev->state);
}
static inline void netif_wake_queue(struct net_device *dev)
{
	clear_bit(__LINK_STATE_XOFF, &dev->state);
}
static inline bool netif_queue_stopped(const struct net_device *dev)
{
	return test_bit(__LINK_STATE_XOFF, &dev->state);
}

/* A driver received @frame: to the handler, or counted as dropped (ND3).
 * Returns NET_RX_SUCCESS or NET_RX_DROP. Context: process. */
#define NET_RX_SUCCESS 0
#define NET_RX_DROP    1
int netif_rx(struct net_device *dev, const void *frame, unsigned int len);
/* The same with the frame's checksum state: CHECKSUM_UNNECESSARY from a
 * device without NETIF_F_RXCSUM, or any other value, goes up as
 * CHECKSUM_NONE (the stack then verifies). */
int netif_rx_csum(struct net_device *dev, const void *frame, unsigned int len,
		  unsigned int ip_summed);

/* The stack sends @frame (ND2): ->ndo_start_xmit()'s answer, or
 * NETDEV_TX_BUSY when the device is down or its queue stopped; a frame of
 * a bad length is -EINVAL (counted in tx_errors). Context: process. */
int dev_queue_xmit(struct net_device *dev, const void *frame, unsigned int len);
/*
 * The stack sends a CHECKSUM_PARTIAL @frame: its TCP/UDP checksum field at
 * @csum_start + @csum_offset holds the pseudo-header sum (csum_tcpudp_
 * partial()). A NETIF_F_HW_CSUM device completes it (->ndo_start_xmit_
 * csum()); for any other the checksum is completed here in software
 * (Linux's skb_checksum_help()) and ->ndo_start_xmit() sends it; on
 * NETDEV_TX_BUSY the field holds the pseudo-header sum again, so the
 * caller may retry with the same buffer. A field outside the frame, or
 * before the end of the Ethernet header, is -EINVAL (counted in tx_errors).
 * Context: process.
 */
int dev_queue_xmit_csum(struct net_device *dev, void *frame, unsigned int len,
			unsigned int csum_start, unsigned int csum_offset);

#endif
