// SPDX-License-Identifier: GPL-2.0
/*
 * net/lwip/tcp_tw.c - a new SYN for a connection in TIME_WAIT.
 *
 * Layer: net (lwIP port). lwIP 2.1's tcp_timewait_input() answers a SYN
 * whose sequence number is inside the old receive window with a RST (and
 * one outside it with an ACK): a client that opens a new connection from
 * the port of one the guest closed first (through slirp the guest sees
 * the host client's own port) gets "connection reset" for up to 2 *
 * TCP_MSL. Linux (tcp_timewait_state_process(), TCP_TW_SYN; RFC 6191
 * without timestamps, RFC 1122 4.2.2.13) accepts a SYN without ACK or
 * RST whose sequence number is after the old rcv_nxt: it ends the
 * TIME_WAIT and hands the SYN to the listener. This IPv4 input hook
 * (LWIP_HOOK_IP4_INPUT, lwipopts.h) does the same before lwIP's TCP
 * demultiplexes the segment: it frees the matching TIME_WAIT pcb (as
 * tcp_abandon() does for one: no RST), so the SYN finds the listener.
 *
 * A SYN at or before the old rcv_nxt gets lwIP's ACK (Linux's too: an
 * old duplicate, or a new SYN with a small sequence number). The peer,
 * in SYN-SENT, answers that ACK with a RST whose sequence number is the
 * ACK's, the old rcv_nxt; Linux (tcp_rfc1337 = 0, its default) lets a
 * RST at rcv_nxt end the TIME_WAIT ("TIME_WAIT assassination"), so the
 * peer's next SYN is taken. lwIP ignores every RST in TIME_WAIT (RFC
 * 1337), and slirp's ISS grows slowly (about 256 KB/s): after the guest
 * received a big PUT on a port, every new connection from that port
 * failed until the TIME_WAIT ran out. The hook ends the TIME_WAIT for
 * such a RST too, as Linux.
 *
 * Anything else (other sequence numbers, a fragment, a header not in the
 * first pbuf) is left to lwIP unchanged.
 */
#include "lwip/opt.h"
#include "lwip/def.h"
#include "lwip/pbuf.h"
#include "lwip/netif.h"
#include "lwip/ip_addr.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip.h"
#include "lwip/prot/tcp.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/inet_chksum.h"

#include "lwip_hooks.h"

unsigned long quire_tcp_tw_syn_reused;
unsigned long quire_tcp_tw_rst_ended;

/* The hook runs before lwIP checks anything but the IP version: a SYN
 * or RST ends a TIME_WAIT only if lwIP would take it afterwards: a TCP header
 * length it accepts (tcp_input()), an IP header checksum and a TCP
 * checksum that verify (where the netif checks them, as ip4_input() and
 * tcp_input() do). @p is whole (its IP total length within tot_len). */
static int tw_syn_sound(struct pbuf *p, struct netif *inp, u16_t hlen, u16_t iplen,
			const ip4_addr_t *src, const ip4_addr_t *dst)
{
	const struct tcp_hdr *th =
		(const struct tcp_hdr *)((const u8_t *)p->payload + hlen);
	u16_t tcplen = iplen - hlen;
	int ok = 1;

	if (TCPH_HDRLEN_BYTES(th) < TCP_HLEN || TCPH_HDRLEN_BYTES(th) > tcplen)
		return 0;
#if CHECKSUM_CHECK_IP
	IF__NETIF_CHECKSUM_ENABLED(inp, NETIF_CHECKSUM_CHECK_IP)
	{
		if (inet_chksum(p->payload, hlen) != 0)
			return 0;
	}
#endif
#if CHECKSUM_CHECK_TCP
	IF__NETIF_CHECKSUM_ENABLED(inp, NETIF_CHECKSUM_CHECK_TCP)
	{
		if (pbuf_remove_header(p, hlen))
			return 0;
		ok = inet_chksum_pseudo_partial(p, IP_PROTO_TCP, tcplen, tcplen, src,
						dst) == 0;
		pbuf_add_header_force(p, hlen);
	}
#endif
	return ok;
}

int quire_tcp_tw_syn_hook(struct pbuf *p, struct netif *inp)
{
	const struct ip_hdr *iph = (const struct ip_hdr *)p->payload;
	const struct tcp_hdr *th;
	struct tcp_pcb *pcb;
	ip4_addr_t src, dst;
	u16_t hlen, sport, dport;
	u32_t seqno;
	u8_t flags;

	tcp_flow_rx(p);
	if (p->len < IP_HLEN || IPH_V(iph) != 4 || IPH_PROTO(iph) != IP_PROTO_TCP)
		return 0;
	hlen = IPH_HL_BYTES(iph);
	/* A fragment (offset or more-fragments) is reassembled first: its
	 * first piece alone is not a whole segment; leave it to lwIP. */
	if (hlen < IP_HLEN || (IPH_OFFSET(iph) & PP_HTONS(IP_OFFMASK | IP_MF)))
		return 0;
	if (p->len < hlen + TCP_HLEN || lwip_ntohs(IPH_LEN(iph)) < hlen + TCP_HLEN ||
	    lwip_ntohs(IPH_LEN(iph)) > p->tot_len)
		return 0;
	th = (const struct tcp_hdr *)((const u8_t *)p->payload + hlen);
	flags = TCPH_FLAGS(th);
	/* a SYN alone (TCP_TW_SYN), or a RST without SYN (the kill) */
	if ((flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN &&
	    (flags & (TCP_SYN | TCP_RST)) != TCP_RST)
		return 0;
	ip4_addr_copy(src, iph->src);
	ip4_addr_copy(dst, iph->dest);
	sport = lwip_ntohs(th->src);
	dport = lwip_ntohs(th->dest);
	seqno = lwip_ntohl(th->seqno);
	for (pcb = tcp_tw_pcbs; pcb; pcb = pcb->next) {
		if (pcb->remote_port != sport || pcb->local_port != dport ||
		    !ip4_addr_cmp(ip_2_ip4(&pcb->remote_ip), &src) ||
		    !ip4_addr_cmp(ip_2_ip4(&pcb->local_ip), &dst))
			continue;
		/* Linux: a SYN after(seq, rcv_nxt); a RST at rcv_nxt. Else
		 * lwIP's answer as before (a SYN: RST in the window, ACK
		 * outside; a RST: ignored). A pcb a netconn still holds
		 * (shut for writing, then the peer's FIN: callback_arg set)
		 * is left to lwIP's own timer: the netconn would keep a
		 * pointer to it. */
		if (flags & TCP_RST ? seqno != pcb->rcv_nxt :
				      !TCP_SEQ_GT(seqno, pcb->rcv_nxt))
			return 0;
		if (pcb->callback_arg)
			return 0;
		if (!tw_syn_sound(p, inp, hlen, lwip_ntohs(IPH_LEN(iph)), &src, &dst))
			return 0;
		tcp_pcb_remove(&tcp_tw_pcbs, pcb);
		tcp_free(pcb);
		if (flags & TCP_RST)
			quire_tcp_tw_rst_ended++;
		else
			quire_tcp_tw_syn_reused++;
		return 0;
	}
	return 0;
}
