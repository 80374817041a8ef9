/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one contract between the XDP program (bpf/xdpflow.bpf.c) and user
 * space (user/xdp/): map names (which are also the pin names, since the maps
 * are pinned by name), key and value layouts, the statistics struct and the
 * configuration flags. Fixed-width types only, explicit padding, no
 * pointers; every layout is pinned with _Static_assert so both compilers
 * (clang -target bpf and the host compiler) agree byte for byte.
 */
#ifndef XDPFLOW_BPF_XDPFLOW_H
#define XDPFLOW_BPF_XDPFLOW_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Program name as the kernel reports it (the function name in section
 * "xdp"); user space recognises an attached xdpflow program by it. */
#define XDPFLOW_PROG_NAME "xdpflow"
#define XDPFLOW_PROG_SEC "xdp"

/* Map names. Maps marked "pinned" use LIBBPF_PIN_BY_NAME, so the pin file
 * is <bpffs dir>/<name>: /sys/fs/bpf/xdpflow/xdpflow_stats when the daemon
 * loads the object, <ip's pin root>/xdpflow_stats when `ip link ... xdp obj`
 * does. Names stay under BPF_OBJ_NAME_LEN (16) including the NUL. */
#define XDPFLOW_MAP_STATS "xdpflow_stats"   /* pinned, per-CPU array[1] */
#define XDPFLOW_MAP_CONFIG "xdpflow_config" /* pinned, array[1] */
#define XDPFLOW_MAP_PORTS "xdpflow_ports"   /* pinned, hash port -> proto */
#define XDPFLOW_MAP_ALLOW4 "xdpflow_allow4" /* pinned, LPM trie, IPv4 */
#define XDPFLOW_MAP_ALLOW6 "xdpflow_allow6" /* pinned, LPM trie, IPv6 */
/* XSKMAP, rx queue index -> AF_XDP socket. Deliberately NOT pinned: each
 * load (one per interface) gets its own, because queue ids repeat across
 * interfaces. User space finds it through the attached program's map ids. */
#define XDPFLOW_MAP_XSKS "xdpflow_xsks"

#define XDPFLOW_BPFFS_DEFAULT "/sys/fs/bpf/xdpflow"

#define XDPFLOW_MAX_PORTS 64
#define XDPFLOW_MAX_ALLOW 4096 /* prefixes per family */
#define XDPFLOW_MAX_QUEUES 256 /* XSKMAP entries */
#define XDPFLOW_MAX_VLAN 2     /* 802.1Q / 802.1ad tags parsed */
#define XDPFLOW_MAX_IPV6_EXT 6 /* IPv6 extension headers walked */

/* Value of the ports map (key: __u16 UDP destination port, host order). */
enum xdpflow_port_proto {
	XDPFLOW_PROTO_ANY = 0,	   /* flow:// NetFlow/IPFIX/sFlow sniffed */
	XDPFLOW_PROTO_NETFLOW = 1, /* netflow:// v5, v9, IPFIX */
	XDPFLOW_PROTO_SFLOW = 2,   /* sflow:// */
};

struct xdpflow_port_val {
	__u32 proto; /* enum xdpflow_port_proto */
};

/* Configuration, entry 0 of the config array. */
#define XDPFLOW_CFG_ALLOW_LIST                                                 \
	(1U << 0) /* allow-list in use: an exporter
					  * must match allow4/allow6, else
					  * its packets are dropped */

struct xdpflow_config {
	__u32 flags; /* XDPFLOW_CFG_* */
	__u32 pad;
};

/* LPM trie keys: prefix length in bits, then the address in network
 * order (the layout the kernel's LPM trie requires). */
struct xdpflow_lpm4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct xdpflow_lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Per-CPU decision counters; every packet the program sees lands in
 * `packets` and in exactly one of the other fields. BTF-described, so
 * `bpftool map dump pinned .../xdpflow_stats` prints them by name. */
struct xdpflow_stats {
	__u64 packets;		/* every packet seen */
	__u64 redirected;	/* collector packet into an AF_XDP socket */
	__u64 pass_no_socket;	/* collector packet, no socket on its queue */
	__u64 drop_not_allowed; /* collector packet from a non-allowed source */
	__u64 pass_fragment;	/* IPv4 or IPv6 fragment */
	__u64 pass_not_ip;	/* ARP, LLDP, three VLAN tags, ... */
	__u64 pass_not_udp;	/* TCP, ICMP, ESP, ... */
	__u64 pass_other_port;	/* UDP, not to a collector port */
	__u64 pass_truncated;	/* headers cut short or malformed */
	__u64 pass_ext_limit;	/* more IPv6 extension headers than walked */
};

#define XDPFLOW_STATS_FIELDS(X)                                                \
	X(packets)                                                             \
	X(redirected)                                                          \
	X(pass_no_socket)                                                      \
	X(drop_not_allowed)                                                    \
	X(pass_fragment)                                                       \
	X(pass_not_ip)                                                         \
	X(pass_not_udp)                                                        \
	X(pass_other_port)                                                     \
	X(pass_truncated)                                                      \
	X(pass_ext_limit)

_Static_assert(sizeof(struct xdpflow_port_val) == 4, "port value layout");
_Static_assert(sizeof(struct xdpflow_config) == 8, "config layout");
_Static_assert(sizeof(struct xdpflow_lpm4) == 8, "lpm4 key layout");
_Static_assert(sizeof(struct xdpflow_lpm6) == 20, "lpm6 key layout");
_Static_assert(sizeof(struct xdpflow_stats) == 10 * 8, "stats layout");
_Static_assert(__builtin_offsetof(struct xdpflow_stats, pass_ext_limit) == 72,
	       "stats layout");

#endif
