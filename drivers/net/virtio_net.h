/*
 * drivers/net/virtio_net.h - virtio_net's test hooks and counters, for
 * its own suites (virtio_net_test.c) and the `netdev` command.
 *
 * Layer: drivers/net. Used by: virtio_net.c, virtio_net_test.c.
 */
#ifndef DRIVERS_NET_VIRTIO_NET_H
#define DRIVERS_NET_VIRTIO_NET_H

#include <quire/netdevice.h>
#include <quire/virtio.h>

/* The driver's own counters (beyond struct net_device_stats). */
struct virtnet_counters {
	u64 rx_bufs;	      /* receive buffers the device holds now */
	u64 rx_length_errors; /* frames shorter than an Ethernet header, or
			       * longer than 1514 + two VLAN tags (1522) */
	u64 rx_merged;	      /* frames that spanned several buffers (MRG_RXBUF) */
	u64 rx_refill_failed; /* a buffer could not be (re)posted */
	u64 rx_ring_empty;    /* rx_work found the device holding no buffer */
	u64 tx_inflight;      /* frames the device holds now */
	u64 tx_busy;	      /* xmit refused: ring full */
	u64 tx_csum;	      /* frames sent with NEEDS_CSUM (the device completes) */
	u64 rx_csum_valid;    /* frames received with DATA_VALID (trusted) */
	u64 rx_csum_partial;  /* NEEDS_CSUM received: completed in software */
	u64 rx_csum_errors;   /* NEEDS_CSUM with csum_start/offset out of the frame */
	u64 broken;	      /* 1 once the device was broken and reset */
	u64 rx_work_runs;     /* rx_work runs that an interrupt queued */
	u64 rx_work_delay_ns; /* their summed delay from the interrupt */
};

bool virtnet_is_virtio_net(struct net_device *dev);
struct virtio_device *virtnet_vdev(struct net_device *dev);
void virtnet_get_counters(struct net_device *dev, struct virtnet_counters *c);
bool virtnet_mergeable(struct net_device *dev);
/* The receive buffer size the driver posts (header included). */
unsigned int virtnet_rx_buf_len(struct net_device *dev);

/* Test: wait until the receive, transmit and link work queued so far
 * has run (a test that played the device then checks the outcome). */
void virtnet_test_flush(struct net_device *dev);

#endif
