// lwIP's configuration for Warden's kernel (lwIP 2.1.3 from Debian's source package, unpacked by
// ./x setup under build/lwip; see docs/net.md). The raw API only (NO_SYS: no threads, no
// sockets, no netconn), IPv4 with ARP, ICMP, DHCP, UDP and TCP.
//
// Every call into lwIP holds the stack lock (net::stack_lock(), kernel/net/stack.h), so lwIP's
// own protection (SYS_LIGHTWEIGHT_PROT) is off.
//
// Memory is fixed at build time (kernel .bss), sized for 32 busy connections with full windows
// in both directions, and more idle ones:
//   - receive: each frame is copied out of the driver's DMA buffer into one PBUF_POOL pbuf
//     (PBUF_POOL_BUFSIZE: a full 1514-byte frame). 1024 of them (about 1.6 MiB) hold what is in
//     flight in the stack, out-of-order segments (at most TCP_OOSEQ_MAX_PBUFS per connection) and
//     what sockets have not taken yet; a socket that copies its data out when lwIP hands it over
//     (and opens the window when its program reads) keeps them free. When the pool is empty a
//     frame is dropped and counted, and TCP's retransmission recovers.
//   - send: tcp_write copies into PBUF_RAM pbufs from the MEM_SIZE heap: 32 connections with a
//     full TCP_SND_BUF (64240 bytes in 44 segments) need about 2.2 MiB with headers; 4 MiB leaves
//     room for more, for ARP queues and ICMP replies. A full heap makes tcp_write answer ERR_MEM
//     (the socket says WouldBlock), never a crash.
//   - TCP_SEG: one per queued segment (sent but unacknowledged, not yet sent, out of order):
//     32 x 44 sending plus out-of-order ones, 2048.
//   - connections: 256 TCP PCBs (connected, connecting, closing, TIME_WAIT; lwIP reuses the
//     oldest TIME_WAIT or closing ones when they run out) and 32 listeners.
#pragma once

// The platform: no threads, the raw API only.
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_TIMERS 1

// Protocols.
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_DHCP 1
#define DHCP_DOES_ARP_CHECK 0  // QEMU's user network hands out unused addresses; saves a second
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_ALTCP 0
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1

// Interfaces: the virtio one, and the loopback (127.0.0.1; packets a netif sends to its own
// address loop back too), which the stack task drains with netif_poll().
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1
#define LWIP_LOOPBACK_MAX_PBUFS 64
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 1
#define LWIP_SINGLE_NETIF 0

// Memory (see the top of this file).
#define MEM_ALIGNMENT 8
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_SIZE (4 * 1024 * 1024)
#define PBUF_POOL_SIZE 1024
#define MEMP_NUM_PBUF 64  // PBUF_REF/ROM headers (no-copy writes, loopback)
#define MEMP_NUM_TCP_PCB 256
#define MEMP_NUM_TCP_PCB_LISTEN 32
#define MEMP_NUM_TCP_SEG 2048
#define MEMP_NUM_UDP_PCB 8
#define MEMP_NUM_ARP_QUEUE 64
#define MEMP_NUM_REASSDATA 8
#define MEMP_NUM_FRAG_PBUF 32
#define IP_REASS_MAX_PBUFS 64
#define ARP_TABLE_SIZE 16
#define ARP_QUEUEING 1
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)

// TCP: a 64240-byte window (44 full segments: the largest multiple of the MSS that fits the
// 16-bit window field, so no window scaling) and as much to send.
#define TCP_MSS 1460
#define TCP_WND (44 * TCP_MSS)
#define TCP_SND_BUF (44 * TCP_MSS)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_QUEUE_OOSEQ 1
#define TCP_OOSEQ_MAX_PBUFS 48
#define TCP_OOSEQ_MAX_BYTES TCP_WND
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 128
#define LWIP_TCP_KEEPALIVE 1
#define SO_REUSE 1
// TIME_WAIT lasts 2 * TCP_MSL: 20 s rather than lwIP's 2 minutes (peers here are a hop away).
#define TCP_MSL 10000UL
#define LWIP_CALLBACK_API 1
#define LWIP_EVENT_API 0

// Checksums in software (the driver negotiates no offload).
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1

// Counters: the tests check that the pools return to their level (net::stats()).
#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0
#define MEM_STATS 1
#define MEMP_STATS 1
#define SYS_STATS 0
#define LINK_STATS 1
#define ETHARP_STATS 1
#define IP_STATS 1
#define ICMP_STATS 1
#define UDP_STATS 1
#define TCP_STATS 1
#define IPFRAG_STATS 1

// Debugging output (LWIP_DEBUGF) is compiled out; assertions stay (kernel panic).
#define LWIP_DBG_TYPES_ON 0
