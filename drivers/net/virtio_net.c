/*
 * drivers/net/virtio_net.c - the virtio network driver (virtio 1.2
 * section 5.1; Linux's drivers/net/virtio_net.c, cut down): one receive
 * and one transmit queue, whole Ethernet frames to and from the seam in
 * include/quire/netdevice.h.
 *
 * Layer: drivers/net. Used by: the stack (through netdevice.h), the
 * `netdev` shell command, suites virtio_net (QEMU: ARP against slirp)
 * and virtio_net_fake (a fake device that lies).
 * Provides: the virtio_net driver (registered at subsys_initcall), the
 * test hooks and counters of virtio_net.h.
 *
 * Features: VIRTIO_NET_F_MAC (else a random locally administered
 * address), VIRTIO_NET_F_STATUS (link from config; config_changed ->
 * carrier on/off; without it the carrier is on), VIRTIO_NET_F_MRG_RXBUF
 * (a frame may span several receive buffers, their count in the first
 * header's num_buffers; virtio_net.nomrg keeps whole-frame buffers but the
 * feature stays negotiated, so num_buffers is still read), VIRTIO_NET_F_CSUM (a frame the stack sends as
 * CHECKSUM_PARTIAL goes with VIRTIO_NET_HDR_F_NEEDS_CSUM, csum_start and
 * csum_offset: the device completes the TCP/UDP checksum; dev->features
 * gets NETIF_F_HW_CSUM), VIRTIO_NET_F_GUEST_CSUM (a received frame with
 * VIRTIO_NET_HDR_F_DATA_VALID goes up as CHECKSUM_UNNECESSARY; one with
 * NEEDS_CSUM, a partial checksum from a local peer, is completed here and
 * goes up as CHECKSUM_NONE, so the stack still verifies it;
 * NETIF_F_RXCSUM). No segmentation offload (GSO/TSO), no MQ.
 *
 * Invariants:
 *  VN1: every receive buffer is either posted on the rx queue, or being
 *       handled by rx_work (which posts it again after netif_rx()
 *       returned), or freed after the device broke: a frame never waits
 *       for a buffer because one was lost. A buffer that cannot be
 *       posted is counted (rx_refill_failed), and so is a pass of
 *       rx_work that found the device holding none (rx_ring_empty: it had
 *       used them all; frames then wait in QEMU or a NIC drops them).
 *  VN2: every transmitted frame's copy is freed exactly once: at its
 *       completion (counted in tx_packets/tx_bytes) or, after a break,
 *       taken back with virtqueue_detach_unused_buf() (tx_dropped).
 *  VN3: the device is trusted for nothing: a used length shorter than
 *       the header, a num_buffers of 0 or beyond what the ring holds, a
 *       missing buffer of a merged frame break the device
 *       (virtio_break_device(): reset, no more DMA) instead of being
 *       read; the ring itself rejects unknown ids and lengths beyond a
 *       buffer (virtio_ring.c). A frame shorter than an Ethernet header
 *       or longer than the largest frame (whole, or merged over an
 *       honest num_buffers: a peer with a larger MTU can send it) is
 *       not the device's fault: dropped and counted (rx_length_errors,
 *       rx_dropped), every buffer of it posted again. A NEEDS_CSUM
 *       whose csum_start/csum_offset lie outside the frame's IP packet
 *       (or inside the Ethernet header and its VLAN tags), or whose IP
 *       length lies outside the frame, is counted (rx_csum_errors) and
 *       the frame goes up as CHECKSUM_NONE, untouched: the stack
 *       verifies it. Only
 *       DATA_VALID is trusted, and only with GUEST_CSUM negotiated.
 *  VN4: the queue is stopped (netif_stop_queue) only when the tx ring
 *       is full, and woken by the completion work once a slot is free,
 *       or when the device broke (its ring emptied by the break). A
 *       stopped queue always has the tx interrupt on (whatever
 *       net.virtio_net.tx_irq says), so that completion comes.
 *
 * Locking: rx_lock guards the rx virtqueue, tx_lock the tx virtqueue
 * (spinlocks, irqsave: the queue callbacks run in hard interrupt and
 * take them to disable callbacks). netif_rx() is called from rx_work
 * (system_wq, process context) without any lock held; the stack may take
 * its own there (lwIP's core lock with net.lwip.rx_direct) and send.
 * Completed tx buffers are freed by the next xmit, by rx_work and by
 * tx_work, which runs on virtnet_tx_wq (never behind rx_work). Link
 * changes run from link_work.
 */
#include <quire/virtio.h>
#include <quire/netdevice.h>
#include <quire/jiffies.h>
#include <arch/time.h>
#include <quire/kernel.h>
#include <quire/slab.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/init.h>
#include <quire/atomic.h>
#include <quire/shell.h>
#include <quire/checksum.h>
#include <quire/sysctl.h>
#include <quire/workqueue.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ids.h>
#include "virtio_net.h"

/* Little-endian fields are read as they are (x86_64, and the host). */
/* Every header is the 12-byte one: VIRTIO_F_VERSION_1 is required. */
#define VNET_HDR_LEN	   sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define VLAN_HLEN	   4 /* an 802.1Q or 802.1ad tag (Linux's if_vlan.h) */
/*
 * Largest frame we take: Ethernet header + MTU + two VLAN tags (802.1ad
 * + 802.1Q), 1522 bytes. The MTU is the IP packet's; a tagged frame of a
 * full-size packet is longer than ETH_FRAME_LEN and valid (Linux's small
 * buffers hold GOOD_PACKET_LEN, one tag; its merged ones any length).
 * The stack above may drop a tagged frame (lwIP here has no VLAN
 * support): that is its business, the driver delivers it.
 */
#define VNET_MAX_FRAME_LEN (ETH_FRAME_LEN + 2 * VLAN_HLEN)
/* ... and with the virtio-net header before it. */
#define VNET_MAX_FRAME	   (VNET_HDR_LEN + VNET_MAX_FRAME_LEN)
/* Receive buffer: one whole frame without MRG_RXBUF; with it, smaller
 * buffers the device fills one after the other (Linux sizes them by a
 * moving average; a fixed size is enough for an MTU of 1500). */
#define VNET_RX_BUF	   2048
#define VNET_RX_BUF_MRG	   1024

struct virtnet_txbuf {
	unsigned int len; /* frame bytes, header excluded */
	u8 data[];	  /* header, then the frame */
};

struct virtnet_info {
	struct virtio_device *vdev;
	struct net_device *dev;
	struct virtqueue *rvq, *svq;
	spinlock_t rx_lock, tx_lock;
	bool mergeable; /* 1024-byte buffers a frame spans (else 2048) */
	/* VIRTIO_NET_F_MRG_RXBUF negotiated: the header's num_buffers holds
	 * (virtio_net.nomrg only keeps the 2048-byte buffers; the feature
	 * stays negotiated and the device may still spread a frame) */
	bool mrg_hdr;
	bool csum, guest_csum; /* VIRTIO_NET_F_CSUM, _GUEST_CSUM negotiated */
	unsigned int rx_buf_len;
	struct work_struct rx_work, tx_work, link_work;
	u8 rx_frame[VNET_MAX_FRAME]; /* a merged frame, reassembled (rx_work only) */
	atomic64_t rx_bufs, rx_length_errors, rx_merged, rx_refill_failed, rx_ring_empty;
	atomic64_t tx_inflight, tx_busy;
	atomic64_t tx_csum, rx_csum_valid, rx_csum_partial, rx_csum_errors;
	bool tx_cb_on; /* tx completions interrupt (tx_lock) */
	u64 rx_irq_ns; /* the last rx interrupt (rx_lock) */
	atomic64_t rx_work_delay_ns, rx_work_runs; /* interrupt -> rx_work */
};

static bool virtnet_broken(struct virtnet_info *vi)
{
	return virtio_device_is_broken(vi->vdev);
}

/*
 * net.virtio_net.tx_irq: 1, every transmit completion interrupts and
 * tx_work frees the frames; 0, the completions are taken at the next
 * transmit (virtnet_xmit reclaims first) and the interrupt is on only
 * while the queue is stopped (VN4: its completion wakes the queue), as
 * Linux's virtio_net without napi_tx (free_old_xmit_skbs() in start_xmit,
 * virtqueue_enable_cb_delayed() when the ring is full). Under TCG each
 * interrupt is an emulated delivery plus a tx_work run.
 */
static unsigned int virtnet_tx_irq;
SYSCTL_ENTRY(virtnet_tx_irq, .procname = "net.virtio_net.tx_irq", .data = &virtnet_tx_irq,
	     .type = SYSCTL_UINT, .min = 0, .max = 1);

/* ---- receive ---- */

/* Post @buf on the rx queue (VN1). Context: process. */
static void virtnet_post_rx(struct virtnet_info *vi, void *buf)
{
	struct scatterlist sg;
	unsigned long flags;
	int err;

	sg_init_one(&sg, buf, vi->rx_buf_len);
	spin_lock_irqsave(&vi->rx_lock, flags);
	err = virtqueue_add_sgs(vi->rvq, &sg, 0, 1, buf, GFP_ATOMIC);
	spin_unlock_irqrestore(&vi->rx_lock, flags);
	if (err) {
		if (err != -EIO)
			atomic64_inc(&vi->rx_refill_failed);
		kfree(buf);
		return;
	}
	atomic64_inc(&vi->rx_bufs);
}

/* Fill the rx ring with new buffers. Context: process. */
static void virtnet_fill_rx(struct virtnet_info *vi)
{
	unsigned int n = virtqueue_get_vring_size(vi->rvq);

	for (unsigned int i = 0; i < n; i++) {
		void *buf = kmalloc(vi->rx_buf_len, GFP_KERNEL);

		if (!buf) {
			atomic64_inc(&vi->rx_refill_failed);
			break;
		}
		virtnet_post_rx(vi, buf);
	}
	virtqueue_kick(vi->rvq);
}

static void *virtnet_get_rx(struct virtnet_info *vi, unsigned int *len)
{
	unsigned long flags;
	void *buf;

	spin_lock_irqsave(&vi->rx_lock, flags);
	buf = virtqueue_get_buf(vi->rvq, len);
	spin_unlock_irqrestore(&vi->rx_lock, flags);
	if (buf)
		atomic64_dec(&vi->rx_bufs);
	return buf;
}

/*
 * How much of a received frame of @flen bytes a partial checksum covers:
 * the IP packet, not the Ethernet padding after it (a frame shorter than
 * 60 bytes is padded, and the device's sum stops at the packet's end;
 * Linux trims the skb to the IP length, pskb_trim_rcsum() in ip_rcv() and
 * ipv6_rcv(), before the checksum is completed). The packet starts after
 * the Ethernet header and up to two VLAN tags (802.1Q, 802.1ad: Linux
 * trims after untagging, vlan_do_receive()); *@l3 is set to where. An
 * IPv4 total length or IPv6 payload length that is not inside the frame,
 * or an IPv4 total length below its header, is a lie: 0. Any other type:
 * the whole frame.
 */
static unsigned int virtnet_rx_csum_len(const u8 *frame, unsigned int flen,
					unsigned int *l3)
{
	unsigned int off = ETH_HLEN, type = frame[12] << 8 | frame[13], len;
	const u8 *ip;

	for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); tags++) {
		if (flen < off + VLAN_HLEN)
			return 0; /* ETH_P_8021Q/AD: a tag cut short */
		type = frame[off + 2] << 8 | frame[off + 3];
		off += VLAN_HLEN;
	}
	*l3 = off;
	ip = frame + off;
	if (type == 0x0800) { /* ETH_P_IP */
		if (flen < off + 20 || ip[0] >> 4 != 4)
			return 0;
		len = ip[2] << 8 | ip[3];
		if (len < (ip[0] & 15) * 4u || (ip[0] & 15) < 5)
			return 0;
	} else if (type == 0x86dd) { /* ETH_P_IPV6 */
		if (flen < off + 40)
			return 0;
		len = 40 + (ip[4] << 8 | ip[5]);
	} else {
		return flen;
	}
	return off + len <= flen ? off + len : 0;
}

/*
 * The checksum state of a received frame from its header's @flags,
 * @start and @offset (read once, VN3): DATA_VALID is trusted; a partial
 * checksum (NEEDS_CSUM) is completed in place over the IP packet
 * (virtnet_rx_csum_len(): padding left out) when it lies inside it,
 * after the Ethernet header and VLAN tags, and counted as an error
 * otherwise (a frame whose IP length lies, too: left untouched); either
 * way the stack verifies it (CHECKSUM_NONE). Without GUEST_CSUM the flags
 * mean nothing (the device must send 0). Context: rx_work.
 */
static unsigned int virtnet_rx_csum(struct virtnet_info *vi, u8 *frame, unsigned int flen,
				    u8 flags, u16 start, u16 offset)
{
	if (!vi->guest_csum)
		return CHECKSUM_NONE;
	if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		unsigned int l3 = ETH_HLEN;
		unsigned int clen = virtnet_rx_csum_len(frame, flen, &l3);

		if (start < l3 || !clen ||
		    csum_complete_partial(frame, clen, start, offset))
			atomic64_inc(&vi->rx_csum_errors);
		else
			atomic64_inc(&vi->rx_csum_partial);
		return CHECKSUM_NONE;
	}
	if (flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		atomic64_inc(&vi->rx_csum_valid);
		return CHECKSUM_UNNECESSARY;
	}
	return CHECKSUM_NONE;
}

/*
 * A frame of @flen bytes the driver does not take (shorter than an
 * Ethernet header, or longer than the largest frame: a peer with a larger
 * MTU behind a tap backend can send one): counted as a length error and a
 * drop, as Linux's receive_small()/receive_mergeable() do
 * (rx_length_errors, drops); the device stays up.
 */
static void virtnet_rx_length_error(struct virtnet_info *vi)
{
	atomic64_inc(&vi->rx_length_errors);
	atomic64_inc(&vi->dev->stats.rx_dropped);
}

/*
 * One used buffer @buf of @len bytes, the start of a frame: hand the
 * frame up (VN3 checks first), taking the frame's other buffers too when
 * merged; every buffer is posted again, or freed when the device broke.
 * A merged frame longer than the largest one is still taken off the ring
 * whole (all num_buffers buffers, so the next used entry starts a frame),
 * only not copied past rx_frame: then dropped and counted. Context:
 * rx_work.
 */
static void virtnet_receive(struct virtnet_info *vi, void *buf, unsigned int len)
{
	struct virtio_net_hdr_mrg_rxbuf *hdr = buf;
	u8 *frame = (u8 *)buf + VNET_HDR_LEN;
	unsigned int flen, nbufs = 1, ip_summed;
	u16 csum_start, csum_offset;
	u8 flags;

	if (len < VNET_HDR_LEN) {
		virtio_break_device(vi->vdev,
				    "rx used length shorter than the virtio-net header");
		kfree(buf);
		return;
	}
	flen = len - VNET_HDR_LEN;
	/* The header's fields once (the device could rewrite them). */
	flags = READ_ONCE(hdr->hdr.flags);
	csum_start = READ_ONCE(hdr->hdr.csum_start);
	csum_offset = READ_ONCE(hdr->hdr.csum_offset);
	if (vi->mrg_hdr) {
		nbufs = READ_ONCE(hdr->num_buffers);
		if (!nbufs || nbufs > virtqueue_get_vring_size(vi->rvq)) {
			char why[80];

			scnprintf(why, sizeof(why), "rx num_buffers %u impossible",
				  nbufs);
			virtio_break_device(vi->vdev, why);
			kfree(buf);
			return;
		}
	}
	if (nbufs > 1) {
		/* Gather the rest of the frame; what lies past the largest
		 * frame is not copied (VNET_MAX_FRAME bounds rx_frame), the
		 * length still adds up: such a frame is dropped below. Each
		 * length is within its buffer (virtio_ring.c), nbufs within
		 * the ring: flen cannot wrap. */
		if (flen <= VNET_MAX_FRAME_LEN)
			memcpy(vi->rx_frame, frame, flen);
		for (unsigned int i = 1; i < nbufs; i++) {
			unsigned int blen;
			void *more = virtnet_get_rx(vi, &blen);

			if (!more) {
				char why[80];

				scnprintf(why, sizeof(why),
					  "rx frame of %u buffers: buffer %u missing",
					  nbufs, i + 1);
				virtio_break_device(vi->vdev, why);
				kfree(buf);
				return;
			}
			if (flen + blen <= VNET_MAX_FRAME_LEN)
				memcpy(vi->rx_frame + flen, more, blen);
			flen += blen;
			virtnet_post_rx(vi, more);
		}
		frame = vi->rx_frame;
		atomic64_inc(&vi->rx_merged);
	}
	if (flen < ETH_HLEN || flen > VNET_MAX_FRAME_LEN) {
		virtnet_rx_length_error(vi);
	} else {
		ip_summed =
			virtnet_rx_csum(vi, frame, flen, flags, csum_start, csum_offset);
		netif_rx_csum(vi->dev, frame, flen, ip_summed);
	}
	virtnet_post_rx(vi, buf);
}

/*
 * The device broke: free what it held (VN1, VN2). The tx ring is empty
 * then, so a queue stopped for a full ring is woken (VN4): a later frame
 * is dropped and counted by start_xmit, where a queue left stopped would
 * answer NETDEV_TX_BUSY for ever (and the stack retries each frame).
 * Context: process.
 */
static void virtnet_free_unused(struct virtnet_info *vi)
{
	unsigned long flags;
	void *buf;

	spin_lock_irqsave(&vi->rx_lock, flags);
	while ((buf = virtqueue_detach_unused_buf(vi->rvq))) {
		atomic64_dec(&vi->rx_bufs);
		kfree(buf);
	}
	spin_unlock_irqrestore(&vi->rx_lock, flags);
	spin_lock_irqsave(&vi->tx_lock, flags);
	while ((buf = virtqueue_detach_unused_buf(vi->svq))) {
		atomic64_dec(&vi->tx_inflight);
		atomic64_inc(&vi->dev->stats.tx_dropped);
		kfree(buf);
	}
	if (virtnet_broken(vi))
		netif_wake_queue(vi->dev);
	spin_unlock_irqrestore(&vi->tx_lock, flags);
}

/* The device has used every buffer made available (its used index has
 * caught up with our avail index). Context: rx_work. */
static bool virtnet_rx_ring_empty(struct virtnet_info *vi)
{
	struct vring *vr = virtqueue_get_vring(vi->rvq);

	return READ_ONCE(vr->used->idx) == READ_ONCE(vr->avail->idx);
}

static void virtnet_tx_reclaim_now(struct virtnet_info *vi);

/*
 * tx_work runs on its own queue: with net.lwip.rx_direct the stack sends
 * from rx_work (system_wq), and a full ring's retries (ethif.c) sleep
 * there waiting for tx_work to wake the queue: on the same pool (one
 * worker each) that wake-up would wait behind them.
 */
static struct workqueue_struct *virtnet_tx_wq;

/* Context: any. */
static void virtnet_queue_tx(struct virtnet_info *vi)
{
	queue_work(virtnet_tx_wq ? virtnet_tx_wq : system_wq, &vi->tx_work);
}

static void virtnet_rx_work(struct work_struct *work)
{
	struct virtnet_info *vi = container_of(work, struct virtnet_info, rx_work);
	unsigned long flags;
	unsigned int len;
	void *buf;
	bool more;
	bool kick = false;
	u64 irq_ns;

	spin_lock_irqsave(&vi->rx_lock, flags);
	irq_ns = vi->rx_irq_ns;
	vi->rx_irq_ns = 0;
	spin_unlock_irqrestore(&vi->rx_lock, flags);
	if (irq_ns) {
		atomic64_add(arch_clock_ns() - irq_ns, &vi->rx_work_delay_ns);
		atomic64_inc(&vi->rx_work_runs);
	}
	for (;;) {
		bool emptied = false;

		while ((buf = virtnet_get_rx(vi, &len))) {
			/* Did the device use every buffer posted? Then it
			 * held none: frames waited (QEMU holds them back) or
			 * were dropped (a real NIC). Counted once a pass. */
			if (!emptied && virtnet_rx_ring_empty(vi)) {
				emptied = true;
				atomic64_inc(&vi->rx_ring_empty);
			}
			virtnet_receive(vi, buf, len);
			kick = true;
		}
		if (virtnet_broken(vi))
			break;
		spin_lock_irqsave(&vi->rx_lock, flags);
		more = !virtqueue_enable_cb(vi->rvq);
		if (more)
			virtqueue_disable_cb(vi->rvq);
		spin_unlock_irqrestore(&vi->rx_lock, flags);
		if (!more)
			break;
	}
	if (virtnet_broken(vi))
		virtnet_free_unused(vi);
	else if (kick)
		virtqueue_kick(vi->rvq);
	if (!READ_ONCE(virtnet_tx_irq))
		virtnet_tx_reclaim_now(vi); /* what the last sends left (tx_irq 0) */
}

/* The rx queue's callback. Context: hard interrupt. */
static void virtnet_rx_done(struct virtqueue *vq)
{
	struct virtnet_info *vi = vq->vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&vi->rx_lock, flags);
	virtqueue_disable_cb(vq);
	if (!vi->rx_irq_ns)
		vi->rx_irq_ns = arch_clock_ns();
	spin_unlock_irqrestore(&vi->rx_lock, flags);
	schedule_work(&vi->rx_work);
}

/* ---- transmit ---- */

/* Turn the tx interrupt on or off as tx_irq and the queue's state want;
 * tx_lock held. */
static void virtnet_tx_cb_update(struct virtnet_info *vi)
{
	bool want = READ_ONCE(virtnet_tx_irq) || netif_queue_stopped(vi->dev);

	if (want == vi->tx_cb_on)
		return;
	vi->tx_cb_on = want;
	if (!want)
		virtqueue_disable_cb(vi->svq);
	else if (!virtqueue_enable_cb(vi->svq))
		virtnet_queue_tx(vi); /* completions came meanwhile */
}

/* Free what the device is done with; tx_lock held. */
static void virtnet_reclaim_tx(struct virtnet_info *vi)
{
	struct virtnet_txbuf *tb;
	unsigned int len;

	while ((tb = virtqueue_get_buf(vi->svq, &len))) {
		atomic64_dec(&vi->tx_inflight);
		atomic64_inc(&vi->dev->stats.tx_packets);
		atomic64_add(tb->len, &vi->dev->stats.tx_bytes);
		kfree(tb);
	}
}

/* Free the completed frames, wake a stopped queue that has room again. */
static void virtnet_tx_reclaim_now(struct virtnet_info *vi)
{
	unsigned long flags;

	spin_lock_irqsave(&vi->tx_lock, flags);
	virtnet_reclaim_tx(vi);
	if (netif_queue_stopped(vi->dev) && vi->svq->num_free)
		netif_wake_queue(vi->dev); /* VN4 */
	virtnet_tx_cb_update(vi);
	spin_unlock_irqrestore(&vi->tx_lock, flags);
}

static void virtnet_tx_work(struct work_struct *work)
{
	struct virtnet_info *vi = container_of(work, struct virtnet_info, tx_work);

	virtnet_tx_reclaim_now(vi);
	if (virtnet_broken(vi))
		virtnet_free_unused(vi);
}

/* The tx queue's callback. Context: hard interrupt. */
static void virtnet_tx_done(struct virtqueue *vq)
{
	struct virtnet_info *vi = vq->vdev->priv;

	virtnet_queue_tx(vi);
}

/* One frame out; @csum_start/@csum_offset with @partial (a CHECKSUM_PARTIAL
 * frame the device completes: NEEDS_CSUM), else a header of zeros. */
static netdev_tx_t virtnet_xmit(struct net_device *dev, const void *frame,
				unsigned int len, bool partial, unsigned int csum_start,
				unsigned int csum_offset)
{
	struct virtnet_info *vi = netdev_priv(dev);
	struct virtnet_txbuf *tb = kmalloc(sizeof(*tb) + VNET_HDR_LEN + len, GFP_KERNEL);
	struct virtio_net_hdr_mrg_rxbuf *hdr;
	struct scatterlist sg;
	unsigned long flags;
	bool kick;
	int err;

	if (!tb) {
		atomic64_inc(&dev->stats.tx_dropped);
		return NETDEV_TX_OK;
	}
	tb->len = len;
	hdr = (struct virtio_net_hdr_mrg_rxbuf *)tb->data;
	memset(hdr, 0, VNET_HDR_LEN); /* GSO_NONE, num_buffers 0 on tx */
	if (partial) {
		/* virtio 1.2 5.1.6.2: the field holds the pseudo-header sum;
		 * the device stores the ones' complement sum from csum_start
		 * at csum_start + csum_offset. */
		hdr->hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		hdr->hdr.csum_start = csum_start;
		hdr->hdr.csum_offset = csum_offset;
	}
	memcpy(tb->data + VNET_HDR_LEN, frame, len);
	sg_init_one(&sg, tb->data, VNET_HDR_LEN + len);
	spin_lock_irqsave(&vi->tx_lock, flags);
	virtnet_reclaim_tx(vi);
	err = virtqueue_add_sgs(vi->svq, &sg, 1, 0, tb, GFP_ATOMIC);
	if (err == -ENOSPC) {
		netif_stop_queue(dev);
		atomic64_inc(&vi->tx_busy);
		/* a completion between the reclaim and the stop wakes it */
		if (vi->svq->num_free)
			netif_wake_queue(dev);
		virtnet_tx_cb_update(vi);
		spin_unlock_irqrestore(&vi->tx_lock, flags);
		kfree(tb);
		return NETDEV_TX_BUSY;
	}
	if (err) { /* broken */
		spin_unlock_irqrestore(&vi->tx_lock, flags);
		kfree(tb);
		atomic64_inc(&dev->stats.tx_dropped);
		return NETDEV_TX_OK;
	}
	atomic64_inc(&vi->tx_inflight);
	if (partial)
		atomic64_inc(&vi->tx_csum);
	if (!vi->svq->num_free)
		netif_stop_queue(dev); /* VN4: woken by tx_work */
	virtnet_tx_cb_update(vi);
	kick = virtqueue_kick_prepare(vi->svq);
	spin_unlock_irqrestore(&vi->tx_lock, flags);
	if (kick)
		virtqueue_notify(vi->svq);
	return NETDEV_TX_OK;
}

static netdev_tx_t virtnet_start_xmit(struct net_device *dev, const void *frame,
				      unsigned int len)
{
	return virtnet_xmit(dev, frame, len, false, 0, 0);
}

/* NETIF_F_HW_CSUM (only with VIRTIO_NET_F_CSUM); dev_queue_xmit_csum()
 * checked that the field lies inside the frame. */
static netdev_tx_t virtnet_start_xmit_csum(struct net_device *dev, const void *frame,
					   unsigned int len, unsigned int csum_start,
					   unsigned int csum_offset)
{
	return virtnet_xmit(dev, frame, len, true, csum_start, csum_offset);
}

/* ---- open/stop, link ---- */

static int virtnet_open(struct net_device *dev)
{
	struct virtnet_info *vi = netdev_priv(dev);

	if (virtnet_broken(vi))
		return -EIO;
	schedule_work(&vi->rx_work); /* frames that came before */
	return 0;
}

static int virtnet_stop(struct net_device *dev)
{
	/* Buffers stay posted (taking them back needs a reset): frames that
	 * come while down are counted as dropped by netif_rx(). */
	return 0;
}

static const struct net_device_ops virtnet_ops = {
	.ndo_open = virtnet_open,
	.ndo_stop = virtnet_stop,
	.ndo_start_xmit = virtnet_start_xmit,
	.ndo_start_xmit_csum = virtnet_start_xmit_csum,
};

static void virtnet_update_link(struct virtnet_info *vi)
{
	u16 status = VIRTIO_NET_S_LINK_UP;

	if (virtio_has_feature(vi->vdev, VIRTIO_NET_F_STATUS) &&
	    virtio_cread_bytes(vi->vdev,
			       __builtin_offsetof(struct virtio_net_config, status),
			       &status, sizeof(status)))
		status = 0; /* config never settled: the device is broken */
	if (status & VIRTIO_NET_S_LINK_UP)
		netif_carrier_on(vi->dev);
	else
		netif_carrier_off(vi->dev);
}

static void virtnet_link_work(struct work_struct *work)
{
	virtnet_update_link(container_of(work, struct virtnet_info, link_work));
}

/* Context: hard interrupt. */
static void virtnet_config_changed(struct virtio_device *vdev)
{
	struct virtnet_info *vi = vdev->priv;

	if (vi)
		schedule_work(&vi->link_work);
}

static void virtnet_broken_cb(struct virtio_device *vdev)
{
	struct virtnet_info *vi = vdev->priv;

	if (!vi)
		return;
	netif_carrier_off(vi->dev);
	virtnet_free_unused(vi);
}

/* ---- probe ---- */

/* After the reset (no more interrupts to queue them): none of the work
 * items is queued or running when this returns. Context: process. */
static void virtnet_cancel_work(struct virtnet_info *vi)
{
	cancel_work_sync(&vi->rx_work);
	cancel_work_sync(&vi->tx_work);
	cancel_work_sync(&vi->link_work);
}

static void virtnet_get_mac(struct virtnet_info *vi)
{
	u8 *mac = vi->dev->dev_addr;

	if (virtio_has_feature(vi->vdev, VIRTIO_NET_F_MAC) &&
	    !virtio_cread_bytes(vi->vdev,
				__builtin_offsetof(struct virtio_net_config, mac), mac,
				ETH_ALEN) &&
	    !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return;
	if (virtio_has_feature(vi->vdev, VIRTIO_NET_F_MAC))
		pr_warn("%s: MAC from config is multicast or zero: using a random one\n",
			vi->vdev->name);
	/* Random, locally administered (bit 1), unicast (bit 0 clear): from
	 * the clock and the device's index, never an address (a pointer
	 * made quire-host's deterministic replays differ, host-determinism). */
	u64 r = arch_clock_ns() * 0x9e3779b97f4a7c15ULL ^ (u64)jiffies ^
		((u64)vi->vdev->index << 40);
	r ^= r >> 29;
	r *= 0xbf58476d1ce4e5b9ULL;
	r ^= r >> 32;
	for (int i = 0; i < ETH_ALEN; i++)
		mac[i] = r >> (8 * i);
	mac[0] = (mac[0] & 0xfe) | 0x02;
}

static int virtnet_probe(struct virtio_device *vdev)
{
	vq_callback_t *callbacks[2] = {virtnet_rx_done, virtnet_tx_done};
	const char *const names[2] = {"input.0", "output.0"};
	struct virtqueue *vqs[2];
	struct net_device *dev = alloc_etherdev(sizeof(struct virtnet_info));
	struct virtnet_info *vi;
	int err;

	if (!dev)
		return -ENOMEM;
	vi = netdev_priv(dev);
	vi->vdev = vdev;
	vi->dev = dev;
	spin_lock_init(&vi->rx_lock);
	spin_lock_init(&vi->tx_lock);
	INIT_WORK(&vi->rx_work, virtnet_rx_work);
	INIT_WORK(&vi->tx_work, virtnet_tx_work);
	INIT_WORK(&vi->link_work, virtnet_link_work);
	vi->mrg_hdr = virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
	vi->mergeable = vi->mrg_hdr && !cmdline_has("virtio_net.nomrg");
	vi->rx_buf_len = vi->mergeable ? VNET_RX_BUF_MRG : VNET_RX_BUF;
	vi->csum = virtio_has_feature(vdev, VIRTIO_NET_F_CSUM);
	vi->guest_csum = virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM);
	if (vi->csum)
		dev->features |= NETIF_F_HW_CSUM;
	if (vi->guest_csum)
		dev->features |= NETIF_F_RXCSUM;
	dev->netdev_ops = &virtnet_ops;
	dev->driver = "virtio_net";
	err = virtio_find_vqs(vdev, 2, vqs, callbacks, names);
	if (err)
		goto out_free;
	vi->rvq = vqs[0];
	vi->svq = vqs[1];
	vi->tx_cb_on = true; /* callbacks start enabled */
	vdev->priv = vi;
	virtnet_get_mac(vi);
	virtio_device_ready(vdev);
	/* Buffers from the start, as Linux's probe did: frames before
	 * dev_open() are counted as dropped by netif_rx(). */
	virtnet_fill_rx(vi);
	err = register_netdev(dev);
	if (err)
		goto out_del_vqs;
	virtnet_update_link(vi);
	pr_info("%s: %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s, rings %u/%u%s%s%s\n",
		dev->name, vdev->name, dev->dev_addr[0], dev->dev_addr[1],
		dev->dev_addr[2], dev->dev_addr[3], dev->dev_addr[4], dev->dev_addr[5],
		netif_carrier_ok(dev) ? "up" : "down", virtqueue_get_vring_size(vi->rvq),
		virtqueue_get_vring_size(vi->svq),
		vi->mergeable ? ", mergeable rx buffers" : "",
		vi->csum ? ", tx csum offload" : "",
		vi->guest_csum ? ", rx csum offload" : "");
	return 0;
out_del_vqs:
	/* As remove: an interrupt since virtnet_fill_rx() may have queued
	 * rx_work (or tx_work) on @vi, which is freed below. */
	vdev->config->reset(vdev);
	virtnet_cancel_work(vi);
	virtnet_free_unused(vi);
	vdev->config->del_vqs(vdev);
out_free:
	vdev->priv = NULL;
	free_netdev(dev);
	return err;
}

static void virtnet_remove(struct virtio_device *vdev)
{
	struct virtnet_info *vi = vdev->priv;
	struct net_device *dev;

	if (!vi)
		return;
	dev = vi->dev;
	unregister_netdev(dev);
	vdev->config->reset(vdev); /* no more DMA, no more interrupts */
	virtnet_cancel_work(vi);
	virtnet_free_unused(vi);
	vdev->config->del_vqs(vdev);
	vdev->priv = NULL;
	free_netdev(dev);
}

/* ---- hooks (virtio_net.h) ---- */

bool virtnet_is_virtio_net(struct net_device *dev)
{
	return dev->netdev_ops == &virtnet_ops;
}

struct virtio_device *virtnet_vdev(struct net_device *dev)
{
	return ((struct virtnet_info *)netdev_priv(dev))->vdev;
}

bool virtnet_mergeable(struct net_device *dev)
{
	return ((struct virtnet_info *)netdev_priv(dev))->mergeable;
}

unsigned int virtnet_rx_buf_len(struct net_device *dev)
{
	return ((struct virtnet_info *)netdev_priv(dev))->rx_buf_len;
}

void virtnet_get_counters(struct net_device *dev, struct virtnet_counters *c)
{
	struct virtnet_info *vi = netdev_priv(dev);

	c->rx_bufs = atomic64_read(&vi->rx_bufs);
	c->rx_length_errors = atomic64_read(&vi->rx_length_errors);
	c->rx_merged = atomic64_read(&vi->rx_merged);
	c->rx_refill_failed = atomic64_read(&vi->rx_refill_failed);
	c->rx_ring_empty = atomic64_read(&vi->rx_ring_empty);
	c->tx_inflight = atomic64_read(&vi->tx_inflight);
	c->tx_busy = atomic64_read(&vi->tx_busy);
	c->tx_csum = atomic64_read(&vi->tx_csum);
	c->rx_csum_valid = atomic64_read(&vi->rx_csum_valid);
	c->rx_csum_partial = atomic64_read(&vi->rx_csum_partial);
	c->rx_csum_errors = atomic64_read(&vi->rx_csum_errors);
	c->broken = virtnet_broken(vi);
	c->rx_work_delay_ns = atomic64_read(&vi->rx_work_delay_ns);
	c->rx_work_runs = atomic64_read(&vi->rx_work_runs);
}

void virtnet_test_flush(struct net_device *dev)
{
	struct virtnet_info *vi = netdev_priv(dev);

	flush_work(&vi->rx_work);
	flush_work(&vi->tx_work);
	flush_work(&vi->link_work);
	if (!virtnet_broken(vi))
		virtnet_tx_reclaim_now(vi); /* tx_irq 0: completions wait for a send */
}

/* ---- `netdev` ---- */

static int netdev_show(struct net_device *dev, void *arg)
{
	cprintf("%s: driver %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, mtu %u, %s, link %s\n",
		dev->name, dev->driver ? dev->driver : "?", dev->dev_addr[0],
		dev->dev_addr[1], dev->dev_addr[2], dev->dev_addr[3], dev->dev_addr[4],
		dev->dev_addr[5], dev->mtu, netif_running(dev) ? "up" : "down",
		netif_carrier_ok(dev) ? "up" : "down");
	cprintf("  rx %lld packets %lld bytes %lld errors %lld dropped; tx %lld packets %lld bytes %lld errors %lld dropped%s\n",
		(long long)atomic64_read(&dev->stats.rx_packets),
		(long long)atomic64_read(&dev->stats.rx_bytes),
		(long long)atomic64_read(&dev->stats.rx_errors),
		(long long)atomic64_read(&dev->stats.rx_dropped),
		(long long)atomic64_read(&dev->stats.tx_packets),
		(long long)atomic64_read(&dev->stats.tx_bytes),
		(long long)atomic64_read(&dev->stats.tx_errors),
		(long long)atomic64_read(&dev->stats.tx_dropped),
		netif_queue_stopped(dev) ? ", queue stopped" : "");
	if (virtnet_is_virtio_net(dev)) {
		struct virtnet_counters c;
		struct virtio_device *vdev = virtnet_vdev(dev);

		virtnet_get_counters(dev, &c);
		cprintf("  %s (%s): rx buffers %llu%s, length errors %llu, merged %llu, refill failed %llu, ring emptied %llu; tx in flight %llu, busy %llu%s%s\n",
			vdev->name, vdev->transport ? vdev->transport : "?",
			(unsigned long long)c.rx_bufs,
			virtnet_mergeable(dev) ? " (mergeable)" : "",
			(unsigned long long)c.rx_length_errors,
			(unsigned long long)c.rx_merged,
			(unsigned long long)c.rx_refill_failed,
			(unsigned long long)c.rx_ring_empty,
			(unsigned long long)c.tx_inflight, (unsigned long long)c.tx_busy,
			c.broken ? ", BROKEN: " : "",
			c.broken ? vdev->broken_reason : "");
		u64 rk, ri, rs, tk, ti, ts;

		virtqueue_stats(((struct virtnet_info *)netdev_priv(dev))->rvq, &rk, &ri,
				&rs);
		virtqueue_stats(((struct virtnet_info *)netdev_priv(dev))->svq, &tk, &ti,
				&ts);
		cprintf("  features: device %#llx, negotiated %#llx; rx queue %llu kicks %llu irqs, tx queue %llu kicks %llu irqs\n",
			(unsigned long long)vdev->device_features,
			(unsigned long long)vdev->features, (unsigned long long)rk,
			(unsigned long long)ri, (unsigned long long)tk,
			(unsigned long long)ti);
		cprintf("  rx interrupt to rx_work: %llu runs, mean %llu us\n",
			(unsigned long long)c.rx_work_runs,
			(unsigned long long)(c.rx_work_runs ?
						     c.rx_work_delay_ns / c.rx_work_runs /
							     1000 :
						     0));
		cprintf("  checksum offload: tx %s, %llu frames completed by the device; rx %s, %llu valid, %llu partial completed, %llu bad csum_start/offset\n",
			(dev->features & NETIF_F_HW_CSUM) ? "on" : "off",
			(unsigned long long)c.tx_csum,
			(dev->features & NETIF_F_RXCSUM) ? "on" : "off",
			(unsigned long long)c.rx_csum_valid,
			(unsigned long long)c.rx_csum_partial,
			(unsigned long long)c.rx_csum_errors);
	}
	(*(int *)arg)++;
	return 0;
}

static int netdev_cmd(int argc, char **argv)
{
	int n = 0;

	if (argc != 1) {
		shell_error(argv[0], "takes no arguments");
		return -EINVAL;
	}
	for_each_netdev(netdev_show, &n);
	if (!n)
		cprintf("no network devices\n");
	return 0;
}
SHELL_COMMAND(netdev, "netdev", "netdev",
	      "network devices: MAC, link, counters (virtio_net's own too)", netdev_cmd);

static const unsigned int virtnet_features[] = {
	VIRTIO_NET_F_MAC,  VIRTIO_NET_F_STATUS,	    VIRTIO_NET_F_MRG_RXBUF,
	VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM,
};

static struct virtio_driver virtio_net_driver = {
	.name = "virtio_net",
	.device_id = VIRTIO_ID_NET,
	.feature_table = virtnet_features,
	.feature_table_size = ARRAY_SIZE(virtnet_features),
	.probe = virtnet_probe,
	.remove = virtnet_remove,
	.config_changed = virtnet_config_changed,
	.broken = virtnet_broken_cb,
};

static int virtio_net_init(void)
{
	virtnet_tx_wq = alloc_workqueue("virtio_net_tx", WQ_HIGHPRI, 0);
	if (!virtnet_tx_wq)
		pr_warn("virtio_net: no workqueue of its own: tx_work on system_wq\n");
	return register_virtio_driver(&virtio_net_driver);
}
subsys_initcall(virtio_net_init);
