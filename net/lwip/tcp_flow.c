// SPDX-License-Identifier: GPL-2.0
/*
 * net/lwip/tcp_flow.c - where a bulk TCP sender's time goes: the data
 * segments lwIP sends and the ACKs it gets back, on the wire (`tcpflow`).
 *
 * Layer: net (lwIP port). Used by: ethif_linkoutput() (every frame
 * sent), quire_tcp_tw_syn_hook() (every IPv4 packet received, before TCP
 * sees it), the shell. Off unless net.lwip.flowstat is 1 (writing it
 * also resets the counters).
 *
 * It follows one connection: the last one that sent data. Between two
 * events (a data segment out, an ACK in) the time is charged to what
 * held the sender back, judged from the segments' sequence numbers, the
 * peer's advertised window and the pcb (Linux's tcp_chrono_* "busy",
 * "rwnd-limited", "sndbuf-limited", with a few more splits):
 *
 *   wait ending in an ACK (nothing sent meanwhile):
 *     rwnd      in flight + MSS > the peer's window: the peer's window is full
 *     cwnd      ... > lwIP's congestion window
 *     sndbuf    the send buffer is used up (pcb->snd_buf < MSS): the
 *               application cannot give more until an ACK frees some
 *     queued    data is queued (pcb->unsent) and could go: nobody ran tcp_output
 *     app       nothing to send: the application has not written
 *   wait ending in a data segment:
 *     ack2send  from an ACK to the next segment out (lwIP's reaction)
 *     send2send from a segment to the next one, up to 200 us (a burst)
 *     stall     ... longer than 200 us
 *
 * Also: ACKs by the segments they acknowledge, retransmissions, the
 * peer's window range. The sender's state at an ACK is read before lwIP
 * processes the ACK (the hook runs first), so it is the state the wait
 * ended in.
 *
 * Locking: the core lock (both callers hold it: NL2 for transmit, the
 * IPv4 input hook runs on the tcpip thread).
 */
#include <quire/kernel.h>
#include <quire/string.h>
#include <quire/shell.h>
#include <quire/sysctl.h>
#include <quire/printk.h>
#include <arch/time.h>

#include "lwip/opt.h"
#include "lwip/def.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"

#include "lwip_port.h"

enum {
	TF_RWND,
	TF_CWND,
	TF_SNDBUF,
	TF_QUEUED,
	TF_APP,
	TF_ACK2SEND,
	TF_SEND2SEND,
	TF_STALL,
	TF_NR
};

static const char *const tf_names[TF_NR] = {
	"rwnd", "cwnd", "sndbuf", "queued", "app", "ack2send", "send2send", "stall",
};

#define TF_STALL_NS 200000
#define TF_ACK_HIST 7 /* acked MSS: <1, 1, 2, 3-4, 5-8, 9-16, >16 */

struct tcp_flow {
	/* the connection followed (network order addresses, host ports) */
	u32 saddr, daddr;
	u16 sport, dport;
	bool active;
	u32 snd_max, una, wnd;
	u64 last_ns;
	bool last_rx; /* the last event was an ACK */
	/* counters since the last reset */
	u64 ns[TF_NR], n[TF_NR];
	u64 tx_segs, tx_bytes, retrans, acks, dupacks, acked_bytes;
	u64 ack_hist[TF_ACK_HIST];
	u64 inflight_at_ack;	/* sum, bytes */
	u64 rxq_ns, rxq_max_ns; /* ACKs: from ethif_rx() to the tcpip thread */
	u32 wnd_min, wnd_max;
	u64 first_ns, end_ns;
	u32 flows;
};

/*
 * The receiving side (a bulk upload into Quire, e.g. an HTTP PUT): the
 * last connection that received data. Time between two events (a data
 * segment in, a segment out carrying an ACK) is charged to the room the
 * sender had at the first of them: the right edge Quire last advertised
 * (ack + window) minus the highest sequence received.
 *
 *   closed  room < MSS: the sender may not send (Quire's window is full)
 *   small   room < 16 KiB
 *   half    room < TCP_WND / 2
 *   open    room >= TCP_WND / 2
 *
 * Also: the window advertised in each ACK, segments per ACK, the delay
 * from a segment to the ACK that covers it (lwIP ACKs every second
 * segment at once, a lone one from its fast timer), and from an ACK that
 * reopens a closed window to the next segment (the sender's reaction).
 */
enum {
	RF_CLOSED,
	RF_SMALL,
	RF_HALF,
	RF_OPEN,
	RF_NR
};
static const char *const rf_names[RF_NR] = {"closed", "small", "half", "open"};
#define RF_WND_HIST 6 /* advertised: <MSS, <4 MSS, <16K, <32K, <48K, more */

struct tcp_rflow {
	u32 laddr, paddr; /* ours, the peer's (network order) */
	u16 lport, pport;
	bool active, advertised;
	u32 rcv_max;	 /* highest sequence received + 1 */
	u32 ack, wnd;	 /* the last ACK sent and its window */
	u32 unacked_seq; /* first byte received and not yet ACKed ... */
	u64 unacked_ns;	 /* ... since */
	u64 reopen_ns;	 /* an ACK reopened a closed window at */
	u64 last_ns, first_ns, end_ns;
	u64 ns[RF_NR];
	u64 segs, bytes, ooseq, acks, wnd_updates;
	u64 wnd_hist[RF_WND_HIST];
	u64 ack_delay_ns, ack_delay_max_ns, ack_delay_n,
		ack_delay_long; /* long: >= 100 ms */
	u64 reopen_wait_ns, reopens;
	u64 rxq_ns, rxq_max_ns; /* from ethif_rx() to here */
	u32 flows;
};

static unsigned int tcp_flowstat;
static struct tcp_flow tf;
static struct tcp_rflow rf;

bool tcp_flow_on(void)
{
	return READ_ONCE(tcp_flowstat);
}

static void tcp_flow_reset(const struct ctl_table *t, long old)
{
	LOCK_TCPIP_CORE();
	memset(&tf, 0, sizeof(tf));
	memset(&rf, 0, sizeof(rf));
	UNLOCK_TCPIP_CORE();
}
SYSCTL_ENTRY(tcp_flowstat, .procname = "net.lwip.flowstat", .data = &tcp_flowstat,
	     .type = SYSCTL_UINT, .min = 0, .max = 1, .after_write = tcp_flow_reset);

static struct tcp_pcb *tf_pcb(void)
{
	struct tcp_pcb *pcb;

	for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
		if (pcb->local_port == tf.sport && pcb->remote_port == tf.dport &&
		    ip4_addr_get_u32(ip_2_ip4(&pcb->local_ip)) == tf.saddr)
			return pcb;
	return NULL;
}

/* 0: under one MSS, 1: one, 2: two, 3: 3-4, ... TF_ACK_HIST - 1: more. */
static unsigned int tf_ack_bucket(u32 segs)
{
	unsigned int k = segs ? 1 : 0;
	u32 lim = 1;

	while (segs > lim && k < TF_ACK_HIST - 1) {
		k++;
		lim <<= 1;
	}
	return k;
}

/* Charge the time since the last event; @rx: this event is an ACK. */
static void tf_charge(u64 now, bool rx)
{
	u64 dt = now - tf.last_ns;
	u32 inflight = tf.snd_max - tf.una;
	struct tcp_pcb *pcb;
	int k;

	if (!tf.last_ns)
		return;
	if (!rx) {
		k = tf.last_rx ? TF_ACK2SEND : dt > TF_STALL_NS ? TF_STALL : TF_SEND2SEND;
	} else if (inflight + TCP_MSS > tf.wnd) {
		k = TF_RWND;
	} else {
		pcb = tf_pcb();
		if (pcb && inflight + TCP_MSS > pcb->cwnd)
			k = TF_CWND;
		else if (pcb && pcb->snd_buf < TCP_MSS)
			k = TF_SNDBUF;
		else if (pcb && pcb->unsent)
			k = TF_QUEUED;
		else
			k = TF_APP;
	}
	tf.ns[k] += dt;
	tf.n[k]++;
}

/* Charge the receiver's time since its last event to the room it left. */
static void rf_charge(u64 now)
{
	s32 room = (s32)(rf.ack + rf.wnd - rf.rcv_max);
	int k;

	if (!rf.last_ns || !rf.advertised)
		goto out;
	if (room < TCP_MSS)
		k = RF_CLOSED;
	else if (room < 16384)
		k = RF_SMALL;
	else if (room < TCP_WND / 2)
		k = RF_HALF;
	else
		k = RF_OPEN;
	rf.ns[k] += now - rf.last_ns;
out:
	rf.last_ns = rf.end_ns = now;
}

/* A data segment of @dlen bytes at @seq received (core lock). */
static void rf_data(u32 saddr, u32 daddr, u16 sport, u16 dport, u32 seq, u32 dlen,
		    u64 now, u64 rx_ns)
{
	if (!rf.active || rf.paddr != saddr || rf.laddr != daddr || rf.pport != sport ||
	    rf.lport != dport) {
		memset(&rf.laddr, 0,
		       offsetof(struct tcp_rflow, first_ns) -
			       offsetof(struct tcp_rflow, laddr));
		rf.paddr = saddr;
		rf.laddr = daddr;
		rf.pport = sport;
		rf.lport = dport;
		rf.active = true;
		rf.rcv_max = seq;
		rf.flows++;
		if (!rf.first_ns)
			rf.first_ns = now;
	}
	rf_charge(now);
	if (seq != rf.rcv_max)
		rf.ooseq++;
	if (TCP_SEQ_GT(seq + dlen, rf.rcv_max))
		rf.rcv_max = seq + dlen;
	if (!rf.unacked_ns) {
		rf.unacked_ns = now;
		rf.unacked_seq = seq;
	}
	if (rf.reopen_ns) {
		rf.reopen_wait_ns += now - rf.reopen_ns;
		rf.reopens++;
		rf.reopen_ns = 0;
	}
	if (rx_ns && now > rx_ns) {
		rf.rxq_ns += now - rx_ns;
		rf.rxq_max_ns = max(rf.rxq_max_ns, now - rx_ns);
	}
	rf.segs++;
	rf.bytes += dlen;
}

/* A segment sent on the followed receiving connection: its ACK and window. */
static void rf_ack(u32 ack, u32 wnd, u64 now)
{
	static const u32 lim[RF_WND_HIST - 1] = {TCP_MSS, 4 * TCP_MSS, 16384, 32768,
						 49152};
	s32 before = (s32)(rf.ack + rf.wnd - rf.rcv_max);
	int k = 0;

	rf_charge(now);
	if (rf.advertised && ack == rf.ack) {
		if (wnd > rf.wnd)
			rf.wnd_updates++;
	}
	if (rf.unacked_ns && TCP_SEQ_GT(ack, rf.unacked_seq)) {
		u64 d = now - rf.unacked_ns;

		rf.ack_delay_ns += d;
		rf.ack_delay_max_ns = max(rf.ack_delay_max_ns, d);
		rf.ack_delay_n++;
		if (d >= 100000000)
			rf.ack_delay_long++;
		rf.unacked_ns = TCP_SEQ_LT(ack, rf.rcv_max) ? now : 0;
		rf.unacked_seq = ack;
	}
	while (k < RF_WND_HIST - 1 && wnd >= lim[k])
		k++;
	rf.wnd_hist[k]++;
	rf.acks++;
	if (rf.advertised && before < TCP_MSS &&
	    (s32)(ack + wnd - rf.rcv_max) >= TCP_MSS && !rf.reopen_ns)
		rf.reopen_ns = now;
	rf.ack = ack;
	rf.wnd = wnd;
	rf.advertised = true;
}

/* A frame lwIP sends (NL2: core lock). */
void tcp_flow_tx(const u8 *f, unsigned int len)
{
	const struct ip_hdr *iph = (const struct ip_hdr *)(f + ETH_HLEN);
	const struct tcp_hdr *th;
	unsigned int hlen, tot, thlen, dlen;
	u32 seq, saddr, daddr;
	u16 sport, dport;
	u64 now;

	if (!READ_ONCE(tcp_flowstat) || len < ETH_HLEN + IP_HLEN + TCP_HLEN ||
	    f[12] != 0x08 || f[13] != 0x00 || IPH_V(iph) != 4 ||
	    IPH_PROTO(iph) != IP_PROTO_TCP)
		return;
	hlen = IPH_HL_BYTES(iph);
	tot = lwip_ntohs(IPH_LEN(iph));
	if (hlen < IP_HLEN || tot < hlen + TCP_HLEN || ETH_HLEN + tot > len)
		return;
	th = (const struct tcp_hdr *)((const u8 *)iph + hlen);
	thlen = TCPH_HDRLEN_BYTES(th);
	if (thlen < TCP_HLEN || hlen + thlen > tot)
		return;
	dlen = tot - hlen - thlen;
	saddr = ip4_addr_get_u32(&iph->src);
	daddr = ip4_addr_get_u32(&iph->dest);
	sport = lwip_ntohs(th->src);
	dport = lwip_ntohs(th->dest);
	seq = lwip_ntohl(th->seqno);
	now = arch_clock_ns();
	if (rf.active && (TCPH_FLAGS(th) & TCP_ACK) && rf.laddr == saddr &&
	    rf.paddr == daddr && rf.lport == sport && rf.pport == dport)
		rf_ack(lwip_ntohl(th->ackno), lwip_ntohs(th->wnd), now);
	if (!dlen)
		return; /* pure ACKs: not the sender's events */
	if (!tf.active || tf.saddr != saddr || tf.daddr != daddr || tf.sport != sport ||
	    tf.dport != dport) {
		/* another connection: follow it from here */
		tf.saddr = saddr;
		tf.daddr = daddr;
		tf.sport = sport;
		tf.dport = dport;
		tf.active = true;
		tf.snd_max = tf.una = seq;
		tf.wnd = 0xffff;
		tf.last_ns = 0;
		tf.flows++;
		if (!tf.first_ns)
			tf.first_ns = now;
	}
	tf_charge(now, false);
	if (TCP_SEQ_LT(seq, tf.snd_max))
		tf.retrans++;
	if (TCP_SEQ_GT(seq + dlen, tf.snd_max))
		tf.snd_max = seq + dlen;
	tf.tx_segs++;
	tf.tx_bytes += dlen;
	tf.last_ns = tf.end_ns = now;
	tf.last_rx = false;
}

/* An IPv4 packet received, before lwIP's IP and TCP input (core lock). */
void tcp_flow_rx(struct pbuf *p)
{
	const struct ip_hdr *iph = (const struct ip_hdr *)p->payload;
	const struct tcp_hdr *th;
	unsigned int hlen, tot, thlen;
	u32 ack, acked, wnd;
	u64 now;

	if (!READ_ONCE(tcp_flowstat) || p->len < IP_HLEN || IPH_V(iph) != 4 ||
	    IPH_PROTO(iph) != IP_PROTO_TCP)
		return;
	hlen = IPH_HL_BYTES(iph);
	if (hlen < IP_HLEN || p->len < hlen + TCP_HLEN)
		return;
	th = (const struct tcp_hdr *)((const u8 *)iph + hlen);
	tot = lwip_ntohs(IPH_LEN(iph));
	thlen = TCPH_HDRLEN_BYTES(th);
	if (tot > hlen + thlen && thlen >= TCP_HLEN)
		rf_data(ip4_addr_get_u32(&iph->src), ip4_addr_get_u32(&iph->dest),
			lwip_ntohs(th->src), lwip_ntohs(th->dest), lwip_ntohl(th->seqno),
			tot - hlen - thlen, arch_clock_ns(), p->rx_ns);
	if (!tf.active)
		return;
	if (ip4_addr_get_u32(&iph->dest) != tf.saddr ||
	    ip4_addr_get_u32(&iph->src) != tf.daddr || lwip_ntohs(th->dest) != tf.sport ||
	    lwip_ntohs(th->src) != tf.dport || !(TCPH_FLAGS(th) & TCP_ACK))
		return;
	ack = lwip_ntohl(th->ackno);
	wnd = lwip_ntohs(th->wnd);
	now = arch_clock_ns();
	tf_charge(now, true);
	if (p->rx_ns && now > p->rx_ns) {
		tf.rxq_ns += now - p->rx_ns;
		tf.rxq_max_ns = max(tf.rxq_max_ns, now - p->rx_ns);
	}
	if (TCP_SEQ_GT(ack, tf.una) && TCP_SEQ_LEQ(ack, tf.snd_max)) {
		acked = ack - tf.una;
		tf.inflight_at_ack += tf.snd_max - tf.una;
		tf.una = ack;
		tf.acks++;
		tf.acked_bytes += acked;
		tf.ack_hist[tf_ack_bucket(acked / TCP_MSS)]++;
	} else {
		tf.dupacks++;
	}
	tf.wnd = wnd;
	if (!tf.wnd_max || wnd > tf.wnd_max)
		tf.wnd_max = wnd;
	if (!tf.wnd_min || wnd < tf.wnd_min)
		tf.wnd_min = wnd;
	tf.last_ns = tf.end_ns = now;
	tf.last_rx = true;
}

static void rf_report(void)
{
	static const char *const hist[RF_WND_HIST] = {
		"<MSS", "<4MSS", "<16K", "<32K", "<48K", ">=48K",
	};
	struct tcp_rflow s;
	u64 total = 0;

	LOCK_TCPIP_CORE();
	s = rf;
	UNLOCK_TCPIP_CORE();
	for (int i = 0; i < RF_NR; i++)
		total += s.ns[i];
	cprintf("receiving: %u connection%s followed, %llu ms from the first segment to the last event\n",
		s.flows, s.flows == 1 ? "" : "s",
		(unsigned long long)((s.end_ns - s.first_ns) / 1000000));
	cprintf("  received %llu segments, %llu bytes, %llu out of order; %llu ACKs sent (%llu window updates), %llu.%02llu segments per ACK\n",
		(unsigned long long)s.segs, (unsigned long long)s.bytes,
		(unsigned long long)s.ooseq, (unsigned long long)s.acks,
		(unsigned long long)s.wnd_updates,
		(unsigned long long)(s.acks ? s.segs / s.acks : 0),
		(unsigned long long)(s.acks ? s.segs * 100 / s.acks % 100 : 0));
	cprintf("  ACK delay: mean %llu us, max %llu us, %llu of %llu >= 100 ms; closed window reopened %llu times, next segment after mean %llu us\n",
		(unsigned long long)(s.ack_delay_n ?
					     s.ack_delay_ns / s.ack_delay_n / 1000 :
					     0),
		(unsigned long long)(s.ack_delay_max_ns / 1000),
		(unsigned long long)s.ack_delay_long, (unsigned long long)s.ack_delay_n,
		(unsigned long long)s.reopens,
		(unsigned long long)(s.reopens ? s.reopen_wait_ns / s.reopens / 1000 :
						 0));
	cprintf("  segments from the driver to TCP (core lock wait, input): mean %llu us, max %llu us\n",
		(unsigned long long)(s.segs ? s.rxq_ns / s.segs / 1000 : 0),
		(unsigned long long)(s.rxq_max_ns / 1000));
	cprintf("  window advertised:");
	for (int i = 0; i < RF_WND_HIST; i++)
		cprintf(" %s:%llu", hist[i], (unsigned long long)s.wnd_hist[i]);
	cprintf("\n  sender's room     ms  share\n");
	for (int i = 0; i < RF_NR; i++)
		cprintf("  %-9s %10llu %5llu%%\n", rf_names[i],
			(unsigned long long)(s.ns[i] / 1000000),
			(unsigned long long)(total ? s.ns[i] * 100 / total : 0));
}

static int tcpflow_cmd(int argc, char **argv)
{
	static const char *const hist[TF_ACK_HIST] = {
		"<1", "1", "2", "3-4", "5-8", "9-16", ">16",
	};
	struct tcp_flow s;
	u64 total = 0;

	if (!net_lwip_running()) {
		cprintf("no network\n");
		return 0;
	}
	LOCK_TCPIP_CORE();
	s = tf;
	UNLOCK_TCPIP_CORE();
	if (!tcp_flowstat)
		cprintf("tcpflow: off (sysctl -w net.lwip.flowstat=1 starts it)\n");
	for (int i = 0; i < TF_NR; i++)
		total += s.ns[i];
	cprintf("tcpflow: %u connection%s followed, %llu ms from the first segment to the last event\n",
		s.flows, s.flows == 1 ? "" : "s",
		(unsigned long long)((s.end_ns - s.first_ns) / 1000000));
	cprintf("  sent %llu segments, %llu bytes, %llu retransmitted; %llu ACKs (%llu acked nothing), %llu bytes acked\n",
		(unsigned long long)s.tx_segs, (unsigned long long)s.tx_bytes,
		(unsigned long long)s.retrans, (unsigned long long)s.acks,
		(unsigned long long)s.dupacks, (unsigned long long)s.acked_bytes);
	cprintf("  peer window %u-%u, mean in flight at an ACK %llu bytes\n", s.wnd_min,
		s.wnd_max, (unsigned long long)(s.acks ? s.inflight_at_ack / s.acks : 0));
	cprintf("  ACKs from the driver to the tcpip thread: mean %llu us, max %llu us\n",
		(unsigned long long)(s.acks + s.dupacks ?
					     s.rxq_ns / (s.acks + s.dupacks) / 1000 :
					     0),
		(unsigned long long)(s.rxq_max_ns / 1000));
	cprintf("  ACKs by MSS acked:");
	for (int i = 0; i < TF_ACK_HIST; i++)
		cprintf(" %s:%llu", hist[i], (unsigned long long)s.ack_hist[i]);
	cprintf("\n  time    waits       ms  share  mean us\n");
	for (int i = 0; i < TF_NR; i++)
		cprintf("  %-9s %7llu %8llu %5llu%% %8llu\n", tf_names[i],
			(unsigned long long)s.n[i],
			(unsigned long long)(s.ns[i] / 1000000),
			(unsigned long long)(total ? s.ns[i] * 100 / total : 0),
			(unsigned long long)(s.n[i] ? s.ns[i] / s.n[i] / 1000 : 0));
	rf_report();
	return 0;
}
SHELL_COMMAND(tcpflow, "tcpflow", "tcpflow",
	      "a bulk TCP sender's time by what held it (sysctl net.lwip.flowstat=1)",
	      tcpflow_cmd);
