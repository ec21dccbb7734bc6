/*
 * net/lwip/include/lwip_hooks.h - the lwIP hooks of Quire's port
 * (LWIP_HOOK_FILENAME in lwipopts.h); lwIP's files include it after
 * their own headers.
 *
 * Layer: net (lwIP port). Defined in net/lwip/tcp_tw.c.
 */
#ifndef QUIRE_LWIP_HOOKS_H
#define QUIRE_LWIP_HOOKS_H

struct pbuf;
struct netif;

/* LWIP_HOOK_IP4_INPUT: never eats the packet (returns 0); may free a
 * TIME_WAIT pcb that a new SYN replaces or a RST ends. Called under the core lock. */
int quire_tcp_tw_syn_hook(struct pbuf *p, struct netif *inp);

/* The same hook feeds `tcpflow` (net/lwip/tcp_flow.c) every packet. */
void tcp_flow_rx(struct pbuf *p);

/* TIME_WAIT pcbs freed for a new SYN, and by a RST at rcv_nxt, since
 * boot (`netstat`). */
extern unsigned long quire_tcp_tw_syn_reused;
extern unsigned long quire_tcp_tw_rst_ended;

#endif
