// SPDX-License-Identifier: Apache-2.0
/*
 * The XDP program of xdpflow's fast path. It parses Ethernet, up to two VLAN
 * tags (802.1Q/802.1ad), IPv4 (options skipped by IHL) or IPv6 (a bounded
 * walk over extension headers) and UDP. A UDP packet to a collector port
 * (ports map) from an allowed exporter (LPM allow-lists, unless the list is
 * off in the config map) is redirected into the AF_XDP socket bound to the
 * receiving queue, or passed when no socket is bound there; one from an
 * exporter not on the list is dropped; fragments and everything else pass
 * untouched, so ping, SSH and the kernel's reassembly keep working. Every
 * decision is counted in a per-CPU stats map (struct xdpflow_stats). All
 * runtime configuration lives in maps, so the same object loads from the
 * daemon or with `ip link set dev IF xdp obj xdpflow.bpf.o sec xdp`.
 * No GPL-only helper is used.
 */
#include "vmlinux.h"

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdpflow.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF
#define NEXTHDR_HOP 0
#define NEXTHDR_UDP 17
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH 51
#define NEXTHDR_DEST 60
#define NEXTHDR_MOBILITY 135

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpflow_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpflow_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpflow_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpflow_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDPFLOW_MAX_PORTS);
	__type(key, __u16);
	__type(value, struct xdpflow_port_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpflow_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XDPFLOW_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xdpflow_lpm4);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpflow_allow4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, XDPFLOW_MAX_ALLOW);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xdpflow_lpm6);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpflow_allow6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XDPFLOW_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xdpflow_xsks SEC(".maps");

/* What the headers said, for the decision after the UDP header. */
struct pkt {
	void *pos; /* next header to parse */
	void *end; /* ctx->data_end */
	__u16 l3;  /* ETH_P_IP or ETH_P_IPV6, host order */
	__u8 l4;   /* IP protocol / last IPv6 next header */
	struct iphdr *ip4;
	struct ipv6hdr *ip6;
};

/* Outcome of a parsing step that does not continue to the next layer. */
enum verdict {
	V_CONTINUE = 0,
	V_TRUNCATED,
	V_NOT_IP,
	V_NOT_UDP,
	V_FRAGMENT,
	V_EXT_LIMIT,
};

static __always_inline enum verdict parse_eth(struct pkt *p)
{
	struct ethhdr *eth = p->pos;
	struct vlan_hdr *vh;
	__u16 proto;

	if ((void *)(eth + 1) > p->end)
		return V_TRUNCATED;
	proto = bpf_ntohs(eth->h_proto);
	p->pos = eth + 1;
#pragma unroll
	for (int i = 0; i < XDPFLOW_MAX_VLAN; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		vh = p->pos;
		if ((void *)(vh + 1) > p->end)
			return V_TRUNCATED;
		proto = bpf_ntohs(vh->h_vlan_encapsulated_proto);
		p->pos = vh + 1;
	}
	if (proto != ETH_P_IP && proto != ETH_P_IPV6)
		return V_NOT_IP; /* also a third VLAN tag */
	p->l3 = proto;
	return V_CONTINUE;
}

static __always_inline enum verdict parse_ip4(struct pkt *p)
{
	struct iphdr *iph = p->pos;
	__u32 hlen;

	if ((void *)(iph + 1) > p->end)
		return V_TRUNCATED;
	hlen = (__u32)iph->ihl * 4;
	if (iph->version != 4 || hlen < sizeof(*iph))
		return V_TRUNCATED;
	if ((void *)iph + hlen > p->end)
		return V_TRUNCATED;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return V_FRAGMENT;
	p->ip4 = iph;
	p->l4 = iph->protocol;
	p->pos = (void *)iph + hlen;
	return V_CONTINUE;
}

static __always_inline enum verdict parse_ip6(struct pkt *p)
{
	struct ipv6hdr *ip6h = p->pos;
	struct ipv6_opt_hdr *oh;
	__u8 nh;

	if ((void *)(ip6h + 1) > p->end)
		return V_TRUNCATED;
	if (ip6h->version != 6)
		return V_TRUNCATED;
	p->ip6 = ip6h;
	p->pos = ip6h + 1;
	nh = ip6h->nexthdr;
#pragma unroll
	for (int i = 0; i < XDPFLOW_MAX_IPV6_EXT; i++) {
		switch (nh) {
		case NEXTHDR_FRAGMENT:
			return V_FRAGMENT;
		case NEXTHDR_HOP:
		case NEXTHDR_ROUTING:
		case NEXTHDR_DEST:
		case NEXTHDR_MOBILITY:
		case NEXTHDR_AUTH:
			break;
		default:
			p->l4 = nh;
			return V_CONTINUE;
		}
		oh = p->pos;
		if ((void *)(oh + 1) > p->end)
			return V_TRUNCATED;
		p->pos = (void *)oh + (nh == NEXTHDR_AUTH
					       ? ((__u32)oh->hdrlen + 2) * 4
					       : ((__u32)oh->hdrlen + 1) * 8);
		nh = oh->nexthdr;
	}
	if (nh == NEXTHDR_FRAGMENT)
		return V_FRAGMENT;
	switch (nh) {
	case NEXTHDR_HOP:
	case NEXTHDR_ROUTING:
	case NEXTHDR_DEST:
	case NEXTHDR_MOBILITY:
	case NEXTHDR_AUTH:
		return V_EXT_LIMIT;
	}
	p->l4 = nh;
	return V_CONTINUE;
}

/* True when the source may send to a collector port. */
static __always_inline bool exporter_allowed(const struct pkt *p)
{
	struct xdpflow_config *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&xdpflow_config, &zero);
	if (!cfg || !(cfg->flags & XDPFLOW_CFG_ALLOW_LIST))
		return true;
	if (p->ip4) {
		struct xdpflow_lpm4 k4 = { .prefixlen = 32 };

		__builtin_memcpy(k4.addr, &p->ip4->saddr, sizeof(k4.addr));
		return bpf_map_lookup_elem(&xdpflow_allow4, &k4) != NULL;
	}
	if (p->ip6) {
		struct xdpflow_lpm6 k6 = { .prefixlen = 128 };

		__builtin_memcpy(k6.addr, &p->ip6->saddr, sizeof(k6.addr));
		return bpf_map_lookup_elem(&xdpflow_allow6, &k6) != NULL;
	}
	return false;
}

static __always_inline int count_verdict(struct xdpflow_stats *st,
					 enum verdict v)
{
	switch (v) {
	case V_TRUNCATED:
		st->pass_truncated++;
		break;
	case V_NOT_IP:
		st->pass_not_ip++;
		break;
	case V_NOT_UDP:
		st->pass_not_udp++;
		break;
	case V_FRAGMENT:
		st->pass_fragment++;
		break;
	case V_EXT_LIMIT:
		st->pass_ext_limit++;
		break;
	default:
		break;
	}
	return XDP_PASS;
}

SEC("xdp")
int xdpflow(struct xdp_md *ctx)
{
	struct pkt p = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct xdpflow_stats *st;
	struct xdpflow_port_val *port;
	struct udphdr *udp;
	enum verdict v;
	__u32 zero = 0;
	__u16 dport;
	int act;

	st = bpf_map_lookup_elem(&xdpflow_stats, &zero);
	if (!st)
		return XDP_PASS;
	st->packets++;

	v = parse_eth(&p);
	if (v != V_CONTINUE)
		return count_verdict(st, v);
	v = p.l3 == ETH_P_IP ? parse_ip4(&p) : parse_ip6(&p);
	if (v != V_CONTINUE)
		return count_verdict(st, v);
	if (p.l4 != NEXTHDR_UDP)
		return count_verdict(st, V_NOT_UDP);
	udp = p.pos;
	if ((void *)(udp + 1) > p.end)
		return count_verdict(st, V_TRUNCATED);

	dport = bpf_ntohs(udp->dest);
	port = bpf_map_lookup_elem(&xdpflow_ports, &dport);
	if (!port) {
		st->pass_other_port++;
		return XDP_PASS;
	}
	if (!exporter_allowed(&p)) {
		st->drop_not_allowed++;
		return XDP_DROP;
	}
	/* A queue without a bound socket falls back to XDP_PASS (the flags
	 * argument), so the daemon's UDP socket still sees the packet. */
	act = bpf_redirect_map(&xdpflow_xsks, ctx->rx_queue_index, XDP_PASS);
	if (act == XDP_REDIRECT)
		st->redirected++;
	else
		st->pass_no_socket++;
	return act;
}

char LICENSE[] SEC("license") = "Apache-2.0";
