/*
 * arch/host/slirp_net.c - a network device for quire-host backed by
 * libslirp (QEMU's user networking: a NAT to the host's sockets, with a
 * DHCP server, gateway 10.0.2.2 and DNS 10.0.2.3), so the stack above
 * net/core/dev.c is tested without QEMU; and a host-side echo peer.
 *
 * Layer: arch/host (a "device"). Used by: quire-host with `hostnet=slirp`
 * on its command line. Provides: net_device "eth0" (driver "slirp").
 * Not here: deterministic mode (the slirp thread is a host thread outside
 * the baton: refused with a message), several devices.
 *
 * Options (kernel command line): hostnet=slirp; hostfwd=tcp:HPORT:GPORT
 * (host 127.0.0.1:HPORT to the guest's 10.0.2.15:GPORT; udp: likewise).
 * The echo peer: a host thread listening on 127.0.0.1 (an ephemeral
 * port); the kernel sees it as netpeer=10.0.2.2:PORT on its command line
 * (slirp maps 10.0.2.2 to the host's loopback). Every connection gets its
 * bytes back.
 *
 * Model: one host pthread ("slirp") owns the Slirp instance; libslirp is
 * not thread-safe and is called from nowhere else. Frames cross in two
 * rings of SLIRP_RING slots:
 *  transmit: ndo_start_xmit() (a kernel thread) copies the frame into tx
 *    and kicks the slirp thread's eventfd; a full ring stops the queue
 *    (NETDEV_TX_BUSY) and the slirp thread wakes it when it drains.
 *  receive: libslirp's send_packet (slirp thread) copies into rx and
 *    raises the device's MSI; the handler queues rx_work, which hands
 *    each frame to netif_rx() in process context. A full ring drops the
 *    frame (rx_dropped; TCP retransmits).
 *
 * Invariants:
 *  SN1: every frame is in at most one ring slot; a slot is written only
 *       by its ring's producer while free and read only by its consumer
 *       while full (head/tail under ring->lock).
 *  SN2: only the slirp thread calls libslirp.
 *
 * Locking: each ring's lock is a pthread mutex taken with interrupts
 * masked on a vCPU (arch/host's rule for libc locks); nothing nests in it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <slirp/libslirp.h>

#include "host.h"
#include <quire/kernel.h>
#include <quire/init.h>
#include <quire/netdevice.h>
#include <quire/platform.h>
#include <quire/printk.h>
#include <quire/workqueue.h>
#include <arch/irq.h>

#define SLIRP_RING	256
#define SLIRP_FRAME_MAX (ETH_FRAME_LEN + 4) /* room for a VLAN tag */
#define SLIRP_TIMERS	16
#define SLIRP_MAX_FDS	256

struct slirp_ring {
	pthread_mutex_t lock;	 /* guards head, tail (SN1) */
	unsigned int head, tail; /* free-running; tail - head = used */
	u16 len[SLIRP_RING];
	u8 buf[SLIRP_RING][SLIRP_FRAME_MAX];
};

struct slirp_timer {
	bool used, armed;
	s64 expire_ms;
	SlirpTimerCb cb;
	void *cb_opaque;
};

struct slirp_netdev {
	struct net_device *dev;
	Slirp *slirp; /* the slirp thread's (SN2) */
	int kick_fd;  /* eventfd: tx has frames, or stop */
	int msi;
	struct work_struct rx_work;
	struct slirp_ring tx, rx;
	struct slirp_timer timers[SLIRP_TIMERS]; /* slirp thread */
	struct pollfd fds[SLIRP_MAX_FDS];	 /* slirp thread */
	unsigned int nfds;
	char hostfwd[64];
};

static struct slirp_netdev *slirp_nd;

static s64 slirp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (s64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Producer side: copy a frame in; false when the ring is full. */
static bool slirp_ring_put(struct slirp_ring *r, const void *frame, unsigned int len)
{
	bool ok = false;

	pthread_mutex_lock(&r->lock);
	if (r->tail - r->head < SLIRP_RING) {
		unsigned int i = r->tail % SLIRP_RING;

		memcpy(r->buf[i], frame, len);
		r->len[i] = len;
		r->tail++;
		ok = true;
	}
	pthread_mutex_unlock(&r->lock);
	return ok;
}

/* Consumer side: copy the oldest frame out; its length, or 0 if empty. */
static unsigned int slirp_ring_get(struct slirp_ring *r, void *frame)
{
	unsigned int len = 0;

	pthread_mutex_lock(&r->lock);
	if (r->tail != r->head) {
		unsigned int i = r->head % SLIRP_RING;

		len = r->len[i];
		memcpy(frame, r->buf[i], len);
		r->head++;
	}
	pthread_mutex_unlock(&r->lock);
	return len;
}

/* --- libslirp's callbacks (slirp thread) --- */

static ssize_t slirp_cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_netdev *sn = opaque;

	if (len < ETH_HLEN || len > SLIRP_FRAME_MAX ||
	    !slirp_ring_put(&sn->rx, buf, len)) {
		atomic64_inc(&sn->dev->stats.rx_dropped);
		return len;
	}
	host_msi_trigger(sn->msi);
	return len;
}

static void slirp_cb_guest_error(const char *msg, void *opaque)
{
	fprintf(stderr, "slirp: guest error: %s\n", msg);
}

static int64_t slirp_cb_clock_get_ns(void *opaque)
{
	return slirp_now_ms() * 1000000;
}

static void *slirp_cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct slirp_netdev *sn = opaque;

	for (unsigned int i = 0; i < SLIRP_TIMERS; i++) {
		struct slirp_timer *t = &sn->timers[i];

		if (!t->used) {
			*t = (struct slirp_timer){
				.used = true, .cb = cb, .cb_opaque = cb_opaque};
			return t;
		}
	}
	fprintf(stderr, "slirp: out of timers\n");
	abort();
}

static void slirp_cb_timer_free(void *timer, void *opaque)
{
	((struct slirp_timer *)timer)->used = false;
}

static void slirp_cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;

	t->expire_ms = expire_ms;
	t->armed = true;
}

static void slirp_cb_nop_fd(int fd, void *opaque)
{
}

static void slirp_cb_notify(void *opaque)
{
}

static const SlirpCb slirp_callbacks = {
	.send_packet = slirp_cb_send_packet,
	.guest_error = slirp_cb_guest_error,
	.clock_get_ns = slirp_cb_clock_get_ns,
	.timer_new = slirp_cb_timer_new,
	.timer_free = slirp_cb_timer_free,
	.timer_mod = slirp_cb_timer_mod,
	.register_poll_fd = slirp_cb_nop_fd,
	.unregister_poll_fd = slirp_cb_nop_fd,
	.notify = slirp_cb_notify,
};

static int slirp_cb_add_poll(int fd, int events, void *opaque)
{
	struct slirp_netdev *sn = opaque;
	short ev = 0;

	if (sn->nfds == SLIRP_MAX_FDS) {
		fprintf(stderr, "slirp: more than %d sockets\n", SLIRP_MAX_FDS);
		abort();
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	sn->fds[sn->nfds] = (struct pollfd){.fd = fd, .events = ev};
	return sn->nfds++;
}

static int slirp_cb_get_revents(int idx, void *opaque)
{
	struct slirp_netdev *sn = opaque;
	short re = sn->fds[idx].revents;
	int ev = 0;

	if (re & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (re & POLLERR)
		ev |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

/* --- the slirp thread --- */

static Slirp *slirp_create(struct slirp_netdev *sn)
{
	SlirpConfig cfg = {
		.version = 1,
		.in_enabled = true,
		.if_mtu = ETH_DATA_LEN,
		.if_mru = ETH_DATA_LEN,
		.vhostname = "quire-host",
	};

	inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
	inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
	inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
	return slirp_new(&cfg, &slirp_callbacks, sn);
}

/* "tcp:HPORT:GPORT" or "udp:HPORT:GPORT": 0, or -1 (printed). */
static int slirp_add_fwd(struct slirp_netdev *sn, const char *spec)
{
	unsigned int hport, gport;
	char proto[4];
	struct in_addr host, guest;

	if (sscanf(spec, "%3[a-z]:%u:%u", proto, &hport, &gport) != 3 ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp")) || !hport || hport > 65535 ||
	    !gport || gport > 65535) {
		fprintf(stderr, "slirp: hostfwd=%s: not tcp:HOSTPORT:GUESTPORT\n", spec);
		return -1;
	}
	inet_pton(AF_INET, "127.0.0.1", &host);
	inet_pton(AF_INET, "10.0.2.15", &guest);
	if (slirp_add_hostfwd(sn->slirp, !strcmp(proto, "udp"), host, hport, guest,
			      gport)) {
		fprintf(stderr, "slirp: hostfwd=%s: cannot listen on 127.0.0.1:%u\n",
			spec, hport);
		return -1;
	}
	return 0;
}

static void slirp_run_timers(struct slirp_netdev *sn, s64 now, u32 *timeout)
{
	for (unsigned int i = 0; i < SLIRP_TIMERS; i++) {
		struct slirp_timer *t = &sn->timers[i];

		if (!t->used || !t->armed)
			continue;
		if (t->expire_ms <= now) {
			t->armed = false;
			t->cb(t->cb_opaque);
		} else if ((u64)(t->expire_ms - now) < *timeout) {
			*timeout = t->expire_ms - now;
		}
	}
}

static void slirp_drain_tx(struct slirp_netdev *sn)
{
	static u8 frame[SLIRP_FRAME_MAX];
	unsigned int len;

	while ((len = slirp_ring_get(&sn->tx, frame))) {
		slirp_input(sn->slirp, frame, len);
		atomic64_inc(&sn->dev->stats.tx_packets);
		atomic64_add(len, &sn->dev->stats.tx_bytes);
	}
	if (netif_queue_stopped(sn->dev))
		netif_wake_queue(sn->dev);
}

static void *slirp_thread(void *arg)
{
	struct slirp_netdev *sn = arg;

	for (;;) {
		u32 timeout = 100;
		u64 kicks;
		int n;

		slirp_run_timers(sn, slirp_now_ms(), &timeout);
		sn->nfds = 0;
		slirp_cb_add_poll(sn->kick_fd, SLIRP_POLL_IN, sn);
		slirp_pollfds_fill(sn->slirp, &timeout, slirp_cb_add_poll, sn);
		n = poll(sn->fds, sn->nfds, timeout);
		if (sn->fds[0].revents & POLLIN)
			(void)!read(sn->kick_fd, &kicks, sizeof(kicks));
		slirp_pollfds_poll(sn->slirp, n < 0, slirp_cb_get_revents, sn);
		slirp_drain_tx(sn);
	}
	return NULL;
}

/* --- the echo peer (host threads) --- */

static void *echo_conn(void *arg)
{
	int fd = (int)(long)arg;
	char buf[16384];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, n - off);

			if (w <= 0)
				goto out;
			off += w;
		}
	}
out:
	close(fd);
	return NULL;
}

static void *echo_listener(void *arg)
{
	int lfd = (int)(long)arg;

	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (pthread_create(&t, NULL, echo_conn, (void *)(long)fd))
			close(fd);
		else
			pthread_detach(t);
	}
}

/* Listen on 127.0.0.1:0: the port, or -1. */
static int echo_peer_start(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	pthread_t t;
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) ||
	    pthread_create(&t, NULL, echo_listener, (void *)(long)fd))
		return -1;
	pthread_detach(t);
	return ntohs(a.sin_port);
}

/* Put "key=value" on the kernel command line before exec= (after it
 * nothing is a key): the core reads netpeer= with cmdline_get(). */
static int slirp_cmdline_insert(const char *word)
{
	char *line = platform.cmdline, *exec = strstr(line, "exec=");
	size_t wl = strlen(word), used = strlen(line);

	if (used + wl + 2 > CMDLINE_SIZE)
		return -1;
	if (!exec)
		return host_cmdline_append(word);
	memmove(exec + wl + 1, exec, strlen(exec) + 1);
	memcpy(exec, word, wl);
	exec[wl] = ' ';
	return 0;
}

/* --- the net_device --- */

static netdev_tx_t slirp_start_xmit(struct net_device *dev, const void *frame,
				    unsigned int len)
{
	struct slirp_netdev *sn = netdev_priv(dev);
	unsigned long flags = arch_local_irq_save();
	u64 one = 1;
	bool ok = slirp_ring_put(&sn->tx, frame, len);

	if (!ok)
		netif_stop_queue(dev);
	(void)!write(sn->kick_fd, &one, sizeof(one));
	arch_local_irq_restore(flags);
	return ok ? NETDEV_TX_OK : NETDEV_TX_BUSY;
}

static int slirp_open(struct net_device *dev)
{
	netif_carrier_on(dev);
	return 0;
}

static int slirp_stop(struct net_device *dev)
{
	netif_carrier_off(dev);
	return 0;
}

static const struct net_device_ops slirp_netdev_ops = {
	.ndo_open = slirp_open,
	.ndo_stop = slirp_stop,
	.ndo_start_xmit = slirp_start_xmit,
};

/* Context: process (system workqueue). */
static void slirp_rx_work(struct work_struct *work)
{
	struct slirp_netdev *sn = container_of(work, struct slirp_netdev, rx_work);
	u8 frame[SLIRP_FRAME_MAX];
	unsigned int len;

	for (;;) {
		unsigned long flags = arch_local_irq_save();

		len = slirp_ring_get(&sn->rx, frame);
		arch_local_irq_restore(flags);
		if (!len)
			break;
		netif_rx(sn->dev, frame, len);
	}
}

/* Context: hard interrupt. */
static void slirp_msi(void *data)
{
	struct slirp_netdev *sn = data;

	schedule_work(&sn->rx_work);
}

static int slirp_start(struct slirp_netdev *sn)
{
	char word[48], fwd[64];
	pthread_t t;
	int port;

	sn->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sn->slirp = slirp_create(sn);
	if (sn->kick_fd < 0 || !sn->slirp)
		return -1;
	if (cmdline_get("hostfwd", fwd, sizeof(fwd)) && slirp_add_fwd(sn, fwd))
		return -1;
	port = echo_peer_start();
	if (port < 0)
		return -1;
	snprintf(word, sizeof(word), "netpeer=10.0.2.2:%d", port);
	if (slirp_cmdline_insert(word))
		return -1;
	/* From here on only the slirp thread calls libslirp (SN2). */
	if (pthread_create(&t, NULL, slirp_thread, sn))
		return -1;
	pthread_detach(t);
	return 0;
}

static int slirp_net_init(void)
{
	static const u8 mac[ETH_ALEN] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	struct net_device *dev;
	struct slirp_netdev *sn;
	char mode[16];
	unsigned long flags;
	u64 msi_addr;
	u32 msi_data;
	int err;

	if (!cmdline_get("hostnet", mode, sizeof(mode)))
		return 0;
	if (strcmp(mode, "slirp")) {
		pr_err("slirp: hostnet=%s: only hostnet=slirp exists\n", mode);
		return -EINVAL;
	}
	if (host_cfg.deterministic) {
		pr_err("slirp: hostnet=slirp does not run in deterministic mode\n");
		return -EINVAL;
	}
	dev = alloc_etherdev(sizeof(*sn));
	if (!dev)
		return -ENOMEM;
	sn = netdev_priv(dev);
	sn->dev = dev;
	pthread_mutex_init(&sn->tx.lock, NULL);
	pthread_mutex_init(&sn->rx.lock, NULL);
	INIT_WORK(&sn->rx_work, slirp_rx_work);
	memcpy(dev->dev_addr, mac, ETH_ALEN);
	dev->netdev_ops = &slirp_netdev_ops;
	dev->driver = "slirp";
	sn->msi = arch_msi_alloc(0, slirp_msi, sn, &msi_addr, &msi_data);
	if (sn->msi < 0) {
		free_netdev(dev);
		return sn->msi;
	}
	flags = arch_local_irq_save();
	err = slirp_start(sn);
	arch_local_irq_restore(flags);
	if (err) {
		pr_err("slirp: cannot start libslirp or the echo peer\n");
		return -EIO; /* the MSI and device stay: a boot-time failure */
	}
	err = register_netdev(dev);
	if (err)
		return err;
	slirp_nd = sn;
	pr_info("slirp: %s on libslirp %s: 10.0.2.0/24, gateway 10.0.2.2\n", dev->name,
		slirp_version_string());
	return 0;
}
device_initcall(slirp_net_init);
