/*
 * net/lwip/include/lwipopts.h - lwIP's configuration for Quire.
 *
 * Layer: net (lwIP port). Every option that differs from lwIP's opt.h
 * default is here, with its reason; docs/net.md explains the sizing.
 *
 * The model: NO_SYS=0 with the tcpip thread (lwIP's own thread owns the
 * stack), and LWIP_TCPIP_CORE_LOCKING=1: API calls (netconn, netifapi,
 * Quire's glue) take the core lock (a Quire mutex) and run the stack
 * function directly instead of posting a message and waiting, which
 * halves the context switches per call. Received frames go through lwIP
 * in the driver's receive work under the core lock (ethif.c,
 * net.lwip.rx_direct: LWIP_TCPIP_CORE_LOCKING_INPUT done by the port, so
 * that it can be switched off at run time: then by the tcpip mailbox).
 */
#ifndef QUIRE_LWIPOPTS_H
#define QUIRE_LWIPOPTS_H

#define NO_SYS			      0
#define SYS_LIGHTWEIGHT_PROT	      1 /* pools are shared with the rx path */
#define LWIP_TCPIP_CORE_LOCKING	      1
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0 /* ethif.c does it (above) */
#define LWIP_TIMERS		      1
#define LWIP_NETCONN_SEM_PER_THREAD   0

/* Memory: the heap serves PBUF_RAM (TCP segments being sent, ICMP
 * replies); the pool serves received frames. Both are static arrays in
 * lwIP's own .bss, so their use shows in `netstat` and never takes from
 * the page allocator. */
#define MEM_ALIGNMENT		 8
#define MEM_SIZE		 (512 * 1024) /* 8 full send windows of 64 KiB */
#define PBUF_POOL_SIZE		 256	      /* rx: 256 full frames in flight */
#define MEMP_NUM_PBUF		 64	      /* PBUF_REF/ROM (netconn_write copy=0) */
#define MEMP_NUM_RAW_PCB	 4	      /* ping */
#define MEMP_NUM_UDP_PCB	 8	      /* DHCP, DNS, a few users */
/* httpd: 16 served + 32 queued + 10 refused + 32 in the listen backlog,
 * the rest closing (TIME_WAIT ones are taken back by a new connection) */
#define MEMP_NUM_TCP_PCB	 128
#define MEMP_NUM_TCP_PCB_LISTEN	 8
#define MEMP_NUM_TCP_SEG	 512 /* >= TCP_SND_QUEUELEN */
#define MEMP_NUM_NETBUF		 32
#define MEMP_NUM_NETCONN	 148 /* TCP + listening + UDP + RAW pcbs */
#define MEMP_NUM_TCPIP_MSG_API	 32
#define MEMP_NUM_TCPIP_MSG_INPKT 256 /* one per rx frame in the mailbox */
#define MEMP_NUM_SYS_TIMEOUT	 (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)

/* Mailboxes (Quire's ring of pointers, net/lwip/sys_arch.c). */
#define TCPIP_MBOX_SIZE		  256 /* = MEMP_NUM_TCPIP_MSG_INPKT */
#define DEFAULT_RAW_RECVMBOX_SIZE 16
#define DEFAULT_UDP_RECVMBOX_SIZE 32
#define DEFAULT_TCP_RECVMBOX_SIZE 64
/* Never full of connections (each holds a netconn): a full one resets a
 * connection just after its handshake; the other half for the error
 * markers of SYNs lwIP had no pcb for (docs/net.md, "Connect storms"). */
#define DEFAULT_ACCEPTMBOX_SIZE	  (2 * MEMP_NUM_NETCONN)
#define TCPIP_THREAD_NAME	  "tcpip"
#define TCPIP_THREAD_STACKSIZE	  0 /* Quire's kthreads have one size */
#define TCPIP_THREAD_PRIO	  0
#define DEFAULT_THREAD_STACKSIZE  0

/* Protocols: IPv4 only; ARP, ICMP, DHCP, UDP, TCP, raw (ping). */
#define LWIP_IPV4		 1
#define LWIP_IPV6		 0
#define LWIP_ARP		 1
#define LWIP_ETHERNET		 1
#define LWIP_ICMP		 1
#define LWIP_RAW		 1
#define LWIP_DHCP		 1
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define DHCP_DOES_ARP_CHECK	 0 /* no 2 s ARP probe before BOUND */
#define LWIP_AUTOIP		 0
#define LWIP_IGMP		 0
#define LWIP_DNS		 0
#define LWIP_UDP		 1
#define LWIP_TCP		 1
#define IP_REASSEMBLY		 1
#define IP_FRAG			 1

/* TCP: a 1500-byte MTU; windows of 44 segments (64 KiB without window
 * scaling, lwIP's limit there). */
#define TCP_MSS		   1460
#define TCP_WND		   (44 * TCP_MSS)
#define TCP_SND_BUF	   (44 * TCP_MSS)
#define TCP_SND_QUEUELEN   (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_QUEUE_OOSEQ	   1
#define LWIP_TCP_KEEPALIVE 1
#define TCP_LISTEN_BACKLOG 1

/* APIs: netconn (no BSD sockets: Quire has no file descriptors for them
 * yet), netifapi for the glue, receive/send timeouts so no caller waits
 * forever on a silent peer. */
#define LWIP_NETCONN		1
#define LWIP_SOCKET		0
#define LWIP_NETIF_API		1
#define LWIP_SO_RCVTIMEO	1
#define LWIP_SO_SNDTIMEO	1
#define LWIP_NETCONN_FULLDUPLEX 0

/* Interfaces: one netif per Quire net_device (net/lwip/ethif.c). */
#define LWIP_NETIF_LINK_CALLBACK   1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_HOSTNAME	   1
#define LWIP_SINGLE_NETIF	   0
#define LWIP_NETIF_LOOPBACK	   0
#define LWIP_HAVE_LOOPIF	   0
#define PBUF_LINK_HLEN		   14

/* Checksums: compiled in, switched per netif (net/lwip/ethif.c): a
 * device with checksum offload (NETIF_F_HW_CSUM / NETIF_F_RXCSUM, e.g.
 * virtio-net with VIRTIO_NET_F_CSUM / GUEST_CSUM) gets TCP/UDP generation
 * off and per-frame checks skipped for frames it verified; every other
 * netif (quire-host's slirp link) computes and checks all in software. */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define CHECKSUM_GEN_IP		     1
#define CHECKSUM_GEN_TCP	     1
#define CHECKSUM_GEN_UDP	     1
#define CHECKSUM_GEN_ICMP	     1
#define CHECKSUM_CHECK_IP	     1
#define CHECKSUM_CHECK_TCP	     1
#define CHECKSUM_CHECK_UDP	     1
#define CHECKSUM_CHECK_ICMP	     1

/* Statistics: every counter, printed by `netstat` (net/lwip/net_shell.c). */
#define LWIP_STATS	   1
#define LWIP_STATS_DISPLAY 0
#define LINK_STATS	   1
#define ETHARP_STATS	   1
#define IP_STATS	   1
#define IPFRAG_STATS	   1
#define ICMP_STATS	   1
#define UDP_STATS	   1
#define TCP_STATS	   1
#define MEM_STATS	   1
#define MEMP_STATS	   1
#define SYS_STATS	   1
#define LWIP_STATS_LARGE   1 /* 32-bit counters, not 16 */

/* Each received frame's arrival (arch_clock_ns(), set by ethif_rx() while
 * `tcpflow` runs): how long it waited for the tcpip thread. */
#define LWIP_PBUF_CUSTOM_DATA u64_t rx_ns;

/* Debug output off; assertions on (LWIP_PLATFORM_ASSERT, arch/cc.h). */
#define LWIP_DEBUG	  0
#define LWIP_DBG_TYPES_ON 0

/* The core lock is checked where lwIP asks (netif and pcb functions). */
void lwip_port_assert_core_locked(void);
#define LWIP_ASSERT_CORE_LOCKED() lwip_port_assert_core_locked()

/*
 * The core lock's own lock and unlock (sys_arch.c, LW4): a thread other
 * than tcpip that set a timeout earlier than the tcpip thread's sleep
 * (rx_direct's input, an API call that starts TCP's timer) wakes it.
 */
void lwip_port_lock_core(void);
void lwip_port_unlock_core(void);
#define LOCK_TCPIP_CORE()   lwip_port_lock_core()
#define UNLOCK_TCPIP_CORE() lwip_port_unlock_core()

/*
 * Hooks (net/lwip/include/lwip_hooks.h, net/lwip/tcp_tw.c): a SYN for a
 * connection in TIME_WAIT whose sequence number is after the old
 * rcv_nxt frees that TIME_WAIT pcb before TCP sees the segment, so the
 * SYN reaches the listener (Linux's TCP_TW_SYN) instead of drawing a RST
 * (lwIP's tcp_timewait_input). TCP_MSL stays lwIP's 60 s: docs/net.md.
 */
#define LWIP_HOOK_FILENAME	    "lwip_hooks.h"
#define LWIP_HOOK_IP4_INPUT(p, inp) quire_tcp_tw_syn_hook(p, inp)

#endif
