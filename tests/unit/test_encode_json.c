// SPDX-License-Identifier: Apache-2.0
/*
 * encode_json: exact lines for an IPv4 NetFlow v9 flow, an IPv6 sFlow flow
 * with MACs, VLANs, MPLS, AS path and SRv6, an all-zero flow and a flow of
 * edge renderings. The expected strings are GoFlow2 v2.2.6's own output for
 * the same FlowMessage (json.Marshal of a ProtoProducerMessage with the
 * default formatter), with xdpflow's sampler_id/sampler_port appended.
 * Also: -ENOSPC on short buffers, the worst-case length, and a speed figure.
 * Enriched lines (encode_json_enriched): the exact line of an enriched
 * flow, the escaping of hostile strings (quotes, backslashes, every control
 * character, invalid UTF-8 of each kind, U+2028/9), short buffers (nothing
 * written past cap), and thousands of random hostile enrichments that
 * Python's json module must parse back to the strings Python's own
 * errors="replace" decoding gives.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "encode/encode.h"

#define A4(w, x, y, z)                                                         \
	{                                                                      \
		.len = 4, .b = { w, x, y, z }                                  \
	}
#define A6(...)                                                                \
	{                                                                      \
		.len = 16, .b = { __VA_ARGS__ }                                \
	}

static void rec_nf9_v4(struct flow_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->type = FLOW_TYPE_NETFLOW_V9;
	r->time_received_ns = 1700000000123456789ULL;
	r->sequence_num = 42;
	r->sampling_rate = 100;
	r->sampler_address = (struct flow_addr)A4(198, 18, 0, 1);
	r->time_flow_start_ns = 1699999990000000000ULL;
	r->time_flow_end_ns = 1699999999000000000ULL;
	r->bytes = 1500;
	r->packets = 3;
	r->src_addr = (struct flow_addr)A4(198, 18, 1, 2);
	r->dst_addr = (struct flow_addr)A4(198, 19, 3, 4);
	r->etype = 0x800;
	r->proto = 6;
	r->src_port = 443;
	r->dst_port = 51234;
	r->in_if = 10;
	r->out_if = 20;
	r->forwarding_status = 64;
	r->tcp_flags = 0x1b;
	r->src_as = 65001;
	r->dst_as = 65002;
	r->next_hop = (struct flow_addr)A4(198, 18, 0, 254);
	r->src_net = 24;
	r->dst_net = 16;
	r->sampler_id = 7;
	r->sampler_port = 2055;
}

static const char exp_nf9_v4[] =
	"{\"type\":\"NETFLOW_V9\",\"time_received_ns\":1700000000123456789,\"sequence_num\":42,\"sampling_rate\":100,\"sampler_address\":\"198.18.0.1\",\"time_flow_start_ns\":1699999990000000000,\"time_flow_end_ns\":1699999999000000000,\"bytes\":1500,\"packets\":3,\"src_addr\":\"198.18.1.2\",\"dst_addr\":\"198.19.3.4\",\"etype\":\"IPv4\",\"proto\":\"TCP\",\"src_port\":443,\"dst_port\":51234,\"in_if\":10,\"out_if\":20,\"src_mac\":\"00:00:00:00:00:00\",\"dst_mac\":\"00:00:00:00:00:00\",\"src_vlan\":0,\"dst_vlan\":0,\"vlan_id\":0,\"ip_tos\":0,\"forwarding_status\":64,\"ip_ttl\":0,\"ip_flags\":0,\"tcp_flags\":27,\"icmp_type\":0,\"icmp_code\":0,\"ipv6_flow_label\":0,\"fragment_id\":0,\"fragment_offset\":0,\"src_as\":65001,\"dst_as\":65002,\"next_hop\":\"198.18.0.254\",\"next_hop_as\":0,\"src_net\":\"198.18.1.0/24\",\"dst_net\":\"198.19.0.0/16\",\"bgp_next_hop\":\"\",\"bgp_communities\":[],\"as_path\":[],\"mpls_ttl\":[],\"mpls_label\":[],\"mpls_ip\":[],\"observation_domain_id\":0,\"observation_point_id\":0,\"layer_stack\":[],\"layer_size\":[],\"ipv6_routing_header_addresses\":[],\"ipv6_routing_header_seg_left\":0"
	",\"sampler_id\":7,\"sampler_port\":2055}\n";

static void rec_sflow_v6(struct flow_rec *r)
{
	static const uint32_t layers[] = {
		FLOW_LAYER_ETHERNET, FLOW_LAYER_DOT1Q,	      FLOW_LAYER_MPLS,
		FLOW_LAYER_IPV6,     FLOW_LAYER_IPV6_ROUTING, FLOW_LAYER_UDP
	};
	static const uint32_t sizes[] = { 14, 4, 8, 40, 40, 8 };
	static const uint8_t seg1[16] = { 0x20, 0x01, 0, 2, 0, 1, 0, 0,
					  0,	0,    0, 0, 0, 0, 0, 0x11 };
	static const uint8_t seg2[16] = { 0x20, 0x01, 0, 2, 0, 1, 0, 0,
					  0,	0,    0, 0, 0, 0, 0, 0x12 };

	memset(r, 0, sizeof(*r));
	r->type = FLOW_TYPE_SFLOW_5;
	r->time_received_ns = 1700000001000000000ULL;
	r->sequence_num = 7;
	r->sampling_rate = 1024;
	r->sampler_address = (struct flow_addr)A6(0x20, 0x01, 0, 2, 0, 0, 0, 0,
						  0, 0, 0, 0, 0, 0, 0, 1);
	r->bytes = 1514;
	r->packets = 1;
	r->src_addr = (struct flow_addr)A6(0x20, 0x01, 0, 2, 0, 0, 0, 1, 0, 0,
					   0, 0, 0, 0, 0, 0x10);
	r->dst_addr = (struct flow_addr)A6(0x20, 0x01, 0, 2, 0, 0, 0xab, 0xcd,
					   0x12, 0x34, 0, 0, 0, 0, 0, 1);
	r->etype = 0x86dd;
	r->proto = 17;
	r->src_port = 53;
	r->dst_port = 33000;
	r->in_if = 3;
	r->out_if = 4;
	r->src_mac = 0x0a1b2c3d4e5fULL;
	r->dst_mac = 0x001122334455ULL;
	r->src_vlan = 100;
	r->dst_vlan = 200;
	r->vlan_id = 100;
	r->ip_tos = 0xb8;
	r->ip_ttl = 63;
	r->ipv6_flow_label = 0x12345;
	r->src_as = 64512;
	r->dst_as = 4200000000u;
	r->next_hop = (struct flow_addr)A6(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0,
					   0, 0, 0, 0, 0, 1);
	r->next_hop_as = 64513;
	r->src_net = 48;
	r->dst_net = 64;
	r->bgp_next_hop = (struct flow_addr)A6(0x20, 0x01, 0, 2, 0, 0, 0, 0, 0,
					       0, 0, 0, 0, 0, 0, 0xfe);
	r->n_communities = 2;
	r->bgp_communities[0] = 4259840100u;
	r->bgp_communities[1] = 65535;
	r->n_as_path = 3;
	r->as_path[0] = 64512;
	r->as_path[1] = 3356;
	r->as_path[2] = 4200000000u;
	r->n_mpls = 2;
	r->n_mpls_ttl = 2;
	r->mpls_ttl[0] = 255;
	r->mpls_ttl[1] = 64;
	r->mpls_label[0] = 16001;
	r->mpls_label[1] = 3;
	r->n_mpls_ip = 2;
	r->mpls_ip[0] = (struct flow_addr)A4(198, 18, 9, 9);
	r->mpls_ip[1] = (struct flow_addr)A4(198, 18, 9, 10);
	r->n_layers = 6;
	memcpy(r->layer_stack, layers, sizeof(layers));
	memcpy(r->layer_size, sizes, sizeof(sizes));
	r->n_srv6 = 2;
	memcpy(r->srv6_addr[0], seg1, 16);
	memcpy(r->srv6_addr[1], seg2, 16);
	r->ipv6_routing_header_seg_left = 1;
	r->sampler_port = 6343;
}

static const char exp_sflow_v6[] =
	"{\"type\":\"SFLOW_5\",\"time_received_ns\":1700000001000000000,\"sequence_num\":7,\"sampling_rate\":1024,\"sampler_address\":\"2001:2::1\",\"time_flow_start_ns\":0,\"time_flow_end_ns\":0,\"bytes\":1514,\"packets\":1,\"src_addr\":\"2001:2:0:1::10\",\"dst_addr\":\"2001:2:0:abcd:1234::1\",\"etype\":\"IPv6\",\"proto\":\"UDP\",\"src_port\":53,\"dst_port\":33000,\"in_if\":3,\"out_if\":4,\"src_mac\":\"0a:1b:2c:3d:4e:5f\",\"dst_mac\":\"00:11:22:33:44:55\",\"src_vlan\":100,\"dst_vlan\":200,\"vlan_id\":100,\"ip_tos\":184,\"forwarding_status\":0,\"ip_ttl\":63,\"ip_flags\":0,\"tcp_flags\":0,\"icmp_type\":0,\"icmp_code\":0,\"ipv6_flow_label\":74565,\"fragment_id\":0,\"fragment_offset\":0,\"src_as\":64512,\"dst_as\":4200000000,\"next_hop\":\"fe80::1\",\"next_hop_as\":64513,\"src_net\":\"2001:2::/48\",\"dst_net\":\"2001:2:0:abcd::/64\",\"bgp_next_hop\":\"2001:2::fe\",\"bgp_communities\":[4259840100,65535],\"as_path\":[64512,3356,4200000000],\"mpls_ttl\":[255,64],\"mpls_label\":[16001,3],\"mpls_ip\":[\"198.18.9.9\",\"198.18.9.10\"],\"observation_domain_id\":0,\"observation_point_id\":0,\"layer_stack\":[\"Ethernet\",\"Dot1Q\",\"MPLS\",\"IPv6\",\"IPv6HeaderRouting\",\"UDP\"],\"layer_size\":[14,4,8,40,40,8],\"ipv6_routing_header_addresses\":[\"2001:2:1::11\",\"2001:2:1::12\"],\"ipv6_routing_header_seg_left\":1"
	",\"sampler_id\":0,\"sampler_port\":6343}\n";

static const char exp_zero[] =
	"{\"type\":\"FLOWUNKNOWN\",\"time_received_ns\":0,\"sequence_num\":0,\"sampling_rate\":0,\"sampler_address\":\"\",\"time_flow_start_ns\":0,\"time_flow_end_ns\":0,\"bytes\":0,\"packets\":0,\"src_addr\":\"\",\"dst_addr\":\"\",\"etype\":\"\",\"proto\":\"HOPOPT\",\"src_port\":0,\"dst_port\":0,\"in_if\":0,\"out_if\":0,\"src_mac\":\"00:00:00:00:00:00\",\"dst_mac\":\"00:00:00:00:00:00\",\"src_vlan\":0,\"dst_vlan\":0,\"vlan_id\":0,\"ip_tos\":0,\"forwarding_status\":0,\"ip_ttl\":0,\"ip_flags\":0,\"tcp_flags\":0,\"icmp_type\":0,\"icmp_code\":0,\"ipv6_flow_label\":0,\"fragment_id\":0,\"fragment_offset\":0,\"src_as\":0,\"dst_as\":0,\"next_hop\":\"\",\"next_hop_as\":0,\"src_net\":\"invalid Prefix\",\"dst_net\":\"invalid Prefix\",\"bgp_next_hop\":\"\",\"bgp_communities\":[],\"as_path\":[],\"mpls_ttl\":[],\"mpls_label\":[],\"mpls_ip\":[],\"observation_domain_id\":0,\"observation_point_id\":0,\"layer_stack\":[],\"layer_size\":[],\"ipv6_routing_header_addresses\":[],\"ipv6_routing_header_seg_left\":0"
	",\"sampler_id\":0,\"sampler_port\":0}\n";

static void rec_edges(struct flow_rec *r)
{
	static const uint32_t layers[] = { 99, 13, 12, 7, 8, 9, 11, 3, 1, 50 };

	memset(r, 0, sizeof(*r));
	r->type = FLOW_TYPE_IPFIX;
	r->etype = 0x806;
	r->proto = 200;
	r->src_addr = (struct flow_addr)A6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
					   0xff, 198, 18, 0, 5);
	r->dst_addr = (struct flow_addr)A6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					   0, 0, 0, 1);
	r->src_net = 120;
	r->dst_net = 129;
	r->next_hop = (struct flow_addr)A6(0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 1,
					   0, 0, 0, 0, 0, 1);
	r->bgp_next_hop = (struct flow_addr)A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,
					       0, 0, 1, 0, 0, 0, 1, 0, 1);
	r->sampler_address.len = 16;
	r->n_layers = 10;
	memcpy(r->layer_stack, layers, sizeof(layers));
	r->n_mpls_ip = 1;
}

/* GoFlow2 prints layer_size with its own count; ours runs parallel to
 * layer_stack, so the GoFlow2 message for this case had 10 zero sizes. */
static const char exp_edges[] =
	"{\"type\":\"IPFIX\",\"time_received_ns\":0,\"sequence_num\":0,\"sampling_rate\":0,\"sampler_address\":\"::\",\"time_flow_start_ns\":0,\"time_flow_end_ns\":0,\"bytes\":0,\"packets\":0,\"src_addr\":\"::ffff:198.18.0.5\",\"dst_addr\":\"::1\",\"etype\":\"ARP\",\"proto\":\"unassigned\",\"src_port\":0,\"dst_port\":0,\"in_if\":0,\"out_if\":0,\"src_mac\":\"00:00:00:00:00:00\",\"dst_mac\":\"00:00:00:00:00:00\",\"src_vlan\":0,\"dst_vlan\":0,\"vlan_id\":0,\"ip_tos\":0,\"forwarding_status\":0,\"ip_ttl\":0,\"ip_flags\":0,\"tcp_flags\":0,\"icmp_type\":0,\"icmp_code\":0,\"ipv6_flow_label\":0,\"fragment_id\":0,\"fragment_offset\":0,\"src_as\":0,\"dst_as\":0,\"next_hop\":\"2001:2::1:0:0:1\",\"next_hop_as\":0,\"src_net\":\"::ffff:198.18.0.0/120\",\"dst_net\":\"invalid Prefix\",\"bgp_next_hop\":\"2001:db8::1:0:1:1\",\"bgp_communities\":[],\"as_path\":[],\"mpls_ttl\":[],\"mpls_label\":[],\"mpls_ip\":[\"\"],\"observation_domain_id\":0,\"observation_point_id\":0,\"layer_stack\":[\"Custom\",\"Teredo\",\"Geneve\",\"ICMP\",\"ICMPv6\",\"GRE\",\"IPv6HeaderFragment\",\"TCP\",\"IPv4\",\"50\"],\"layer_size\":[0,0,0,0,0,0,0,0,0,0],\"ipv6_routing_header_addresses\":[],\"ipv6_routing_header_seg_left\":0"
	",\"sampler_id\":0,\"sampler_port\":0}\n";

static void check_line(const struct flow_rec *r, const char *exp)
{
	uint8_t buf[ENCODE_MAX_LEN];
	ssize_t n = encode_json(r, buf, sizeof(buf));

	assert_true(n > 0);
	buf[n] = 0;
	assert_string_equal((char *)buf, exp);
	assert_int_equal((size_t)n, strlen(exp));
	/* The dispatcher gives the same bytes. */
	assert_int_equal(encode_flow(OUT_FORMAT_JSON, r, buf, sizeof(buf)), n);
	assert_memory_equal(buf, exp, (size_t)n);
}

static void test_ipv4_netflow(void **state)
{
	struct flow_rec r;

	(void)state;
	rec_nf9_v4(&r);
	check_line(&r, exp_nf9_v4);
}

static void test_ipv6_sflow(void **state)
{
	struct flow_rec r;

	(void)state;
	rec_sflow_v6(&r);
	check_line(&r, exp_sflow_v6);
}

static void test_zero(void **state)
{
	struct flow_rec r;

	(void)state;
	memset(&r, 0, sizeof(r));
	check_line(&r, exp_zero);
}

static void test_edges(void **state)
{
	struct flow_rec r;

	(void)state;
	rec_edges(&r);
	check_line(&r, exp_edges);
}

/* Proto numbers past GoFlow2's table, unknown enums, bad prefix lengths,
 * addresses whose masked form changes shape (netip output). */
static void test_more_renderings(void **state)
{
	static const struct {
		uint32_t proto;
		const char *name;
	} protos[] = { { 253, "experimental" }, { 255, "reserved" },
		       { 146, "unassigned" },	{ 58, "IPv6-ICMP" },
		       { 1, "ICMP" },		{ 124, "ISIS over IPv4" },
		       { 145, "NSH" },		{ 256, "unknown" },
		       { 107, "A/N" } };
	uint8_t buf[ENCODE_MAX_LEN];
	char want[64];
	struct flow_rec r;
	ssize_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.proto = protos[i].proto;
		r.type = 5;
		r.etype = 0x8100;
		r.src_addr = (struct flow_addr)A4(198, 18, 255, 255);
		r.src_net = 33;
		r.dst_addr = (struct flow_addr)A6(0x20, 1);
		n = encode_json(&r, buf, sizeof(buf));
		assert_true(n > 0);
		buf[n] = 0;
		snprintf(want, sizeof(want), "\"proto\":\"%s\",",
			 protos[i].name);
		assert_non_null(strstr((char *)buf, want));
		assert_non_null(strstr((char *)buf, "{\"type\":\"5\","));
		assert_non_null(strstr((char *)buf, "\"etype\":\"\","));
		assert_non_null(strstr(
			(char *)buf,
			"\"src_net\":\"invalid Prefix\",\"dst_net\":\"::/0\","));
		assert_non_null(
			strstr((char *)buf, "\"dst_addr\":\"2001::\","));
	}
	/* A mapped address masked below 96 bits is no longer mapped. */
	memset(&r, 0, sizeof(r));
	r.src_addr = (struct flow_addr)A6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
					  0xff, 198, 18, 0, 5);
	r.src_net = 88;
	r.dst_addr = (struct flow_addr)A6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
					  0xff, 198, 18, 0, 5);
	r.dst_net = 128;
	n = encode_json(&r, buf, sizeof(buf));
	assert_true(n > 0);
	buf[n] = 0;
	assert_non_null(strstr(
		(char *)buf,
		"\"src_net\":\"::ff00:0:0/88\",\"dst_net\":\"::ffff:198.18.0.5/128\","));
}

static void fill_max(struct flow_rec *r)
{
	memset(r, 0xff, sizeof(*r));
	r->type = 0xffffffffu;
	r->sampler_address.len = 16;
	r->src_addr.len = 16;
	r->dst_addr.len = 16;
	r->next_hop.len = 16;
	r->bgp_next_hop.len = 16;
	/* Longest IPv6 text: no zero group to compress. */
	for (size_t i = 0; i < FLOW_MAX_MPLS; i++)
		r->mpls_ip[i].len = 16;
	r->src_net = 127;
	r->dst_net = 127;
	r->proto = 68; /* "any-distributed-file-system", the longest name */
	r->n_communities = FLOW_MAX_COMMUNITIES;
	r->n_as_path = FLOW_MAX_AS_PATH;
	r->n_mpls = FLOW_MAX_MPLS;
	r->n_mpls_ttl = FLOW_MAX_MPLS;
	r->n_mpls_ip = FLOW_MAX_MPLS;
	r->n_layers = FLOW_MAX_LAYERS;
	r->n_srv6 = FLOW_MAX_SRV6;
	for (size_t i = 0; i < FLOW_MAX_LAYERS; i++)
		r->layer_stack[i] = FLOW_LAYER_IPV6_FRAGMENT;
}

/* The worst case stays inside the encoder's 4608-byte bound with margin,
 * and short buffers fail cleanly, whichever path the encoder takes. */
static void test_sizes(void **state)
{
	uint8_t buf[ENCODE_MAX_LEN];
	uint8_t small[8192];
	struct flow_rec r;
	ssize_t n, m;

	(void)state;
	fill_max(&r);
	n = encode_json(&r, buf, sizeof(buf));
	print_message("json worst-case line: %zd bytes\n", n);
	assert_true(n > 3000 && n < 4096);
	assert_int_equal(buf[n - 1], '\n');
	/* Counts beyond the arrays' size are clamped, not followed. */
	r.n_communities = 255;
	r.n_layers = 255;
	assert_int_equal(encode_json(&r, buf, sizeof(buf)), n);

	rec_sflow_v6(&r);
	n = encode_json(&r, buf, sizeof(buf));
	assert_true(n > 0);
	memset(small, 0xa5, sizeof(small));
	assert_int_equal(encode_json(&r, small, (size_t)n - 1), -ENOSPC);
	assert_int_equal(small[0], 0xa5); /* nothing written */
	m = encode_json(&r, small, (size_t)n);
	assert_int_equal(m, n);
	assert_memory_equal(small, buf, (size_t)n);
	assert_int_equal(encode_json(&r, small, 0), -ENOSPC);
	assert_int_equal(encode_flow(OUT_FORMAT_JSON, &r, small, 10), -ENOSPC);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A speed figure for the log, not a pass/fail threshold (shared machine,
 * sanitizer builds). */
/* The oracle for IPv6 text: RFC 5952 as Go's netip, written plainly (one
 * group at a time, snprintf for the hex) and independently of the encoder. */
static void ref_ip6(char *out, const uint8_t *b, int bits)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	unsigned g[8];
	int zs = -1, zl = 1, n = 0;

	if (!memcmp(b, mapped, 12)) {
		n = sprintf(out, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14],
			    b[15]);
	} else {
		for (int i = 0; i < 8; i++)
			g[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
		for (int i = 0; i < 8; i++) {
			int j = i;

			while (j < 8 && g[j] == 0)
				j++;
			if (j - i > zl) {
				zs = i;
				zl = j - i;
			}
		}
		for (int i = 0; i < 8; i++) {
			if (i == zs) {
				n += sprintf(out + n, "::");
				i += zl - 1;
				continue;
			}
			n += sprintf(out + n, "%s%x",
				     i > 0 && i != zs + zl ? ":" : "", g[i]);
		}
	}
	if (bits >= 0)
		sprintf(out + n, "/%d", bits);
}

/* The value of key in a JSON line, between its quotes. */
static void json_str(const char *line, const char *key, char *out, size_t cap)
{
	char k[64];
	const char *v, *e;

	snprintf(k, sizeof(k), "\"%s\":\"", key);
	v = strstr(line, k);
	assert_non_null(v);
	v += strlen(k);
	e = strchr(v, '"');
	assert_non_null(e);
	assert_true((size_t)(e - v) < cap);
	memcpy(out, v, (size_t)(e - v));
	out[e - v] = 0;
}

/* IPv6 addresses and prefixes with every pattern of zero groups (and
 * random others, IPv4-mapped ones, groups with leading zeros) print as the
 * oracle prints them. */
static void test_ipv6_text(void **state)
{
	static uint8_t line[ENCODE_MAX_LEN + 1];
	static struct flow_rec r;
	uint64_t x = 88172645463325252ULL;
	char got[80], want[80];

	(void)state;
	for (unsigned it = 0; it < 256 * 64; it++) {
		unsigned zero = it & 0xff;
		uint8_t masked[16];
		ssize_t n;
		int bits;

		memset(&r, 0, sizeof(r));
		r.src_addr.len = 16;
		for (int i = 0; i < 8; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* groups of 1 to 4 hex digits */
			r.src_addr.b[2 * i] =
				zero >> i & 1 ? 0
					      : (uint8_t)(x >> (8 * (x % 3)));
			r.src_addr.b[2 * i + 1] =
				zero >> i & 1 ? 0 : (uint8_t)(x >> 8 | 1);
		}
		if (it % 64 == 63) { /* IPv4-mapped */
			memset(r.src_addr.b, 0, 10);
			r.src_addr.b[10] = r.src_addr.b[11] = 0xff;
		}
		bits = (int)(x >> 40) % 129;
		r.src_net = (uint32_t)bits;
		r.sampler_address = r.src_addr;
		n = encode_json(&r, line, ENCODE_MAX_LEN);
		assert_true(n > 0);
		line[n] = 0;
		ref_ip6(want, r.src_addr.b, -1);
		json_str((char *)line, "sampler_address", got, sizeof(got));
		assert_string_equal(got, want);
		for (int i = 0; i < 16; i++) {
			int keep = bits - 8 * i;

			masked[i] = keep >= 8	? r.src_addr.b[i]
				    : keep <= 0 ? 0
						: (uint8_t)(r.src_addr.b[i] &
							    (0xff00u >> keep));
		}
		ref_ip6(want, masked, bits);
		json_str((char *)line, "src_net", got, sizeof(got));
		assert_string_equal(got, want);
	}
}

/* The unquoted value of key in a JSON line. */
static void json_num(const char *line, const char *key, char *out, size_t cap)
{
	char k[64];
	const char *v;
	size_t n;

	snprintf(k, sizeof(k), "\"%s\":", key);
	v = strstr(line, k);
	assert_non_null(v);
	v += strlen(k);
	n = strcspn(v, ",}");
	assert_true(n < cap);
	memcpy(out, v, n);
	out[n] = 0;
}

/* Integers of every length, and IPv4 octets of every value, print as
 * printf prints them. */
static void test_numbers_text(void **state)
{
	static uint8_t line[ENCODE_MAX_LEN + 1];
	static struct flow_rec r;
	uint64_t x = 0x2545f4914f6cdd1dULL;
	char got[64], want[64];

	(void)state;
	for (unsigned it = 0; it < 20000; it++) {
		unsigned digits = it % 21;
		uint64_t pow = 1;
		ssize_t n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		for (unsigned d = 1; d < digits && d < 20; d++)
			pow *= 10;
		memset(&r, 0, sizeof(r));
		/* about `digits` digits, with their 9s and 10^k edges */
		r.bytes = it % 3 == 0	? pow
			  : it % 3 == 1 ? pow - 1
					: pow + x % (pow | 1);
		if (digits == 20)
			r.bytes = x | 1ULL << 63;
		r.src_port = (uint32_t)r.bytes;
		r.src_addr.len = 4;
		r.src_addr.b[0] = (uint8_t)it;
		r.src_addr.b[1] = (uint8_t)(it >> 8);
		r.src_addr.b[2] = (uint8_t)x;
		r.src_addr.b[3] = (uint8_t)(x >> 8);
		n = encode_json(&r, line, ENCODE_MAX_LEN);
		assert_true(n > 0);
		line[n] = 0;
		snprintf(want, sizeof(want), "%llu",
			 (unsigned long long)r.bytes);
		json_num((char *)line, "bytes", got, sizeof(got));
		assert_string_equal(got, want);
		snprintf(want, sizeof(want), "%u", r.src_port);
		json_num((char *)line, "src_port", got, sizeof(got));
		assert_string_equal(got, want);
		snprintf(want, sizeof(want), "%u.%u.%u.%u", r.src_addr.b[0],
			 r.src_addr.b[1], r.src_addr.b[2], r.src_addr.b[3]);
		json_str((char *)line, "src_addr", got, sizeof(got));
		assert_string_equal(got, want);
	}
}

static void test_speed(void **state)
{
	static uint8_t buf[ENCODE_MAX_LEN];
	struct flow_rec r[2];
	const unsigned iters = 200000;
	uint64_t t0, t1, sum = 0;

	(void)state;
	rec_nf9_v4(&r[0]);
	rec_sflow_v6(&r[1]);
	t0 = now_ns();
	for (unsigned i = 0; i < iters; i++) {
		r[i & 1].sequence_num = i;
		sum += (uint64_t)encode_json(&r[i & 1], buf, sizeof(buf));
	}
	t1 = now_ns();
	assert_true(sum > iters);
	print_message("encode_json: %.1f ns/flow (%u flows, %.0f bytes avg)\n",
		      (double)(t1 - t0) / iters, iters, (double)sum / iters);
}

/* Every string member of struct flow_enriched, in proto order. */
// clang-format off
#define ENR_STRINGS(X)                                                        \
	X(src_country) X(dst_country) X(src_as_name) X(dst_as_name)           \
	X(src_net_name) X(dst_net_name) X(src_net_role) X(dst_net_role)       \
	X(src_net_site) X(dst_net_site) X(src_net_region) X(dst_net_region)   \
	X(src_net_tenant) X(dst_net_tenant) X(in_if_name) X(out_if_name)      \
	X(in_if_description) X(out_if_description) X(exporter_name)           \
	X(exporter_group) X(exporter_role) X(exporter_site)                   \
	X(exporter_region) X(exporter_tenant)
// clang-format on
#define NAME(m) #m,
static const char *const enr_names[] = { ENR_STRINGS(NAME) };
#define N_ENR (sizeof(enr_names) / sizeof(enr_names[0]))

/* The i-th string member of e (ENR_STRINGS order). */
static struct flow_str *enr_slot(struct flow_enriched *e, size_t i)
{
#define SLOT(m) &e->m,
	struct flow_str *slots[] = { ENR_STRINGS(SLOT) };

	return slots[i];
}

/* The line of an enriched flow: the plain line's fields (src_as/dst_as
 * from the enrichment where has_*_as says so), then only the enrichment
 * fields present, in field-number order. */
static void test_enriched_line(void **state)
{
	static const char exp[] =
		"\"src_as\":0,\"dst_as\":65002,"; /* has_src_as with 0 */
	static const char tail[] =
		",\"sampler_id\":7,\"sampler_port\":2055"
		",\"src_country\":\"FR\",\"dst_as_name\":\"Example \\\"AS\\\"\""
		",\"in_if_name\":\"et-0/0/1\",\"out_if_description\":\"to "
		"core\\\\1\",\"in_if_speed\":100000000000"
		",\"out_if_speed\":18446744073709551615"
		",\"exporter_name\":\"edge1\",\"exporter_tenant\":\"\\\\u00e9\"}\n";
	uint8_t buf[ENCODE_MAX_LEN], again[ENCODE_MAX_LEN];
	struct flow_enriched e;
	struct flow_rec r;
	ssize_t n;

	(void)state;
	rec_nf9_v4(&r);
	memset(&e, 0, sizeof(e));
	/* No enrichment, an empty one: the plain line. */
	n = encode_json_enriched(&r, NULL, buf, sizeof(buf));
	assert_int_equal(n, strlen(exp_nf9_v4));
	assert_memory_equal(buf, exp_nf9_v4, (size_t)n);
	e.src_country = unit_fstr("");
	n = encode_json_enriched(&r, &e, buf, sizeof(buf));
	assert_int_equal(n, strlen(exp_nf9_v4));
	assert_memory_equal(buf, exp_nf9_v4, (size_t)n);

	e.has_src_as = 1;
	e.dst_as = 4200000000u; /* has_dst_as unset: the record's stands */
	e.src_country = unit_fstr("FR");
	e.dst_as_name = unit_fstr("Example \"AS\"");
	e.in_if_name = unit_fstr("et-0/0/1");
	e.out_if_description = unit_fstr("to core\\1");
	e.in_if_speed = 100000000000ULL;
	e.out_if_speed = ~0ULL;
	e.exporter_name = unit_fstr("edge1");
	/* Escaped text, kept as text. */
	e.exporter_tenant = unit_fstr("\\u00e9");
	n = encode_json_enriched(&r, &e, buf, sizeof(buf));
	assert_true(n > 0);
	buf[n] = 0;
	assert_non_null(strstr((char *)buf, exp));
	assert_true((size_t)n > strlen(tail));
	assert_string_equal((char *)buf + n - strlen(tail), tail);
	/* The dispatcher, either schema, gives the same line. */
	for (int sc = 0; sc < 2; sc++) {
		assert_int_equal(encode_flow_enriched(OUT_FORMAT_JSON,
						      (enum out_schema)sc, &r,
						      &e, again, sizeof(again)),
				 n);
		assert_memory_equal(again, buf, (size_t)n);
	}
}

/* One string through the encoder, as exporter_tenant (the last field): its
 * JSON text must be want. */
static void check_escape(const char *in, const char *want)
{
	uint8_t buf[ENCODE_MAX_LEN];
	char exp[4096];
	struct flow_enriched e;
	struct flow_rec r;
	size_t plain = strlen(exp_zero) - 2; /* without "}\n" */
	ssize_t n;

	memset(&r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	e.exporter_tenant = unit_fstr(in);
	n = encode_json_enriched(&r, &e, buf, sizeof(buf));
	assert_true(n > 0);
	buf[n] = 0;
	snprintf(exp, sizeof(exp), "%.*s,\"exporter_tenant\":\"%s\"}\n",
		 (int)plain, exp_zero, want);
	assert_string_equal((char *)buf, exp);
}

static void test_enriched_escapes(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain text 0-9 ~", "plain text 0-9 ~" },
		{ "\"", "\\\"" },
		{ "\\", "\\\\" },
		{ "a\"b\\c", "a\\\"b\\\\c" },
		{ "\b\t\n\f\r", "\\b\\t\\n\\f\\r" },
		{ "\x01\x1f", "\\u0001\\u001f" },
		{ "\x7f", "\x7f" }, /* DEL needs no escape */
		{ "/", "/" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },		  /* é */
		{ "\xe2\x82\xac", "\xe2\x82\xac" },		  /* € */
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" },	  /* U+1F600 */
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },	  /* U+10FFFF */
		{ "\xef\xbf\xbd", "\xef\xbf\xbd" },		  /* U+FFFD */
		{ "\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029" }, /* JS seps */
		{ "\xff", "\\ufffd" },
		{ "\x80", "\\ufffd" },			     /* lone tail */
		{ "\xc0\xaf", "\\ufffd\\ufffd" },	     /* overlong / */
		{ "\xc1\xbf", "\\ufffd\\ufffd" },	     /* overlong */
		{ "\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd" }, /* overlong */
		{ "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd" }, /* surrogate */
		{ "\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd" },
		{ "\xf5\x80", "\\ufffd\\ufffd" },
		{ "\xe2\x82", "\\ufffd" }, /* truncated at the end */
		{ "\xe2\x82"
		  "A",
		  "\\ufffdA" },		       /* maximal subpart */
		{ "\xf0\x9f\x98", "\\ufffd" }, /* truncated 4-byte */
		{ "\xf0\x9f"
		  "\"",
		  "\\ufffd\\\"" }, /* cut by a quote */
		{ "\xc3", "\\ufffd" },
		{ "x\xc3\xa9\xa9y", "x\xc3\xa9\\ufffdy" },
	};
	char all[256], want[256 * 6 + 1];
	size_t w = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_escape(cases[i].in, cases[i].out);
	/* Every byte value but NUL, in order. */
	for (unsigned c = 1; c < 256; c++)
		all[c - 1] = (char)c;
	all[255] = 0;
	for (unsigned c = 1; c < 0x80; c++) {
		if (c < 0x20) {
			static const char *const sh = "btn?fr";

			if (c >= 8 && c <= 13 && c != 11)
				w += (size_t)sprintf(want + w, "\\%c",
						     sh[c - 8]);
			else
				w += (size_t)sprintf(want + w, "\\u%04x", c);
		} else if (c == '"' || c == '\\') {
			w += (size_t)sprintf(want + w, "\\%c", c);
		} else {
			want[w++] = (char)c;
		}
	}
	for (unsigned c = 0x80; c < 0x100; c++) /* none starts a sequence */
		w += (size_t)sprintf(want + w, "\\ufffd");
	want[w] = 0;
	check_escape(all, want);

	/* One special byte at every position of plain strings of every
	 * length up to 40 (the encoder checks words of 8, overlapping). */
	for (size_t len = 1; len <= 40; len++)
		for (size_t at = 0; at < len; at++)
			for (size_t k = 0; k < 5; k++) {
				static const char sp[5] = { '"', '\\', '\x01',
							    '\x7f', '\xff' };
				static const char *const esc[5] = {
					"\\\"", "\\\\", "\\u0001", "\x7f",
					"\\ufffd"
				};
				char in[41], out[64];

				memset(in, 'a' + (char)(len % 26), len);
				in[len] = 0;
				in[at] = sp[k];
				snprintf(out, sizeof(out), "%.*s%s%s", (int)at,
					 in, esc[k], in + at + 1);
				check_escape(in, out);
			}
}

/* Random hostile strings: NULL, "", text, valid multi-byte UTF-8 mixed with
 * anything but NUL, up to a few KB. */
static void rnd_hostile(uint64_t *s, struct flow_enriched *e,
			char store[][4097])
{
	static const char *const pieces[] = {
		"\xc3\xa9",	"\xe2\x82\xac", "\xf0\x9f\x98\x80",
		"\xe2\x80\xa8", "\"",		"\\",
		"\n",		"\xed\xa0\x80", "\xe2\x82",
		"\xf4\x90",	"ok",		"\x7f",
	};

	memset(e, 0, sizeof(*e));
	for (size_t i = 0; i < N_ENR; i++) {
		size_t max = unit_rnd(s) % 16 ? 64 : 4000, len, n = 0;
		char *b = store[i];

		switch (unit_rnd(s) % 4) {
		case 0:
			continue; /* NULL */
		case 1:
			len = unit_rnd(s) % 3 ? 1 + unit_rnd(s) % max : 0;
			while (n < len) {
				if (unit_rnd(s) % 3) {
					b[n++] = (char)(1 + unit_rnd(s) % 255);
				} else {
					const char *p =
						pieces[unit_rnd(s) % 12];
					size_t pl = strlen(p);

					if (n + pl > len)
						break;
					memcpy(b + n, p, pl);
					n += pl;
				}
			}
			break;
		default:
			len = 1 + unit_rnd(s) % max;
			for (; n < len; n++)
				b[n] = (char)(' ' + unit_rnd(s) % 95);
		}
		b[n] = 0;
		*enr_slot(e, i) = unit_fstr(b);
	}
	e->in_if_speed = unit_rnd(s) % 3 ? 0
					 : unit_rnd(s) >> (unit_rnd(s) % 64);
	e->out_if_speed = unit_rnd(s) % 3 ? 0 : ~0ULL;
}

/* Short buffers for enriched lines: -ENOSPC below the line's length, the
 * same bytes from it up, nothing written past cap (a guard region), on
 * both paths of the encoder (line above and below its fixed worst case). */
static void test_enriched_sizes(void **state)
{
	static char store[N_ENR][4097];
	static uint8_t full[32 * 6 * 4100], buf[sizeof(full) + 64];
	uint64_t seed = 0x51ed270b27aa9a3dULL;
	struct flow_enriched e;
	struct flow_rec r;

	(void)state;
	for (unsigned it = 0; it < 60; it++) {
		ssize_t n;

		if (it % 2)
			fill_max(&r);
		else
			rec_nf9_v4(&r);
		rnd_hostile(&seed, &e, store);
		n = encode_json_enriched(&r, &e, full, sizeof(full));
		assert_true(n > 0 && (size_t)n < sizeof(full));
		for (size_t cap = 0; cap <= (size_t)n + 2; cap++) {
			ssize_t m;

			if (cap > 300 && cap + 300 < (size_t)n)
				cap += unit_rnd(&seed) %
				       97; /* sample the middle */
			memset(buf + cap, 0xa5, 64);
			m = encode_json_enriched(&r, &e, buf, cap);
			for (size_t g = 0; g < 64; g++)
				assert_int_equal(buf[cap + g], 0xa5);
			if (cap < (size_t)n) {
				assert_int_equal(m, -ENOSPC);
			} else {
				assert_int_equal(m, n);
				assert_memory_equal(buf, full, (size_t)n);
			}
		}
	}
}

/* The hex of s, or "-" for NULL. */
static void put_hex(FILE *f, const char *s)
{
	if (!s) {
		fputc('-', f);
		return;
	}
	fputc('=', f);
	for (; *s; s++)
		fprintf(f, "%02x", (uint8_t)*s);
}

/* Random hostile enrichments: every line must parse with Python's json
 * module, and give back each string as Python decodes its bytes with
 * errors="replace" (absent when NULL or ""), each speed when not 0. */
static void test_enriched_python(void **state)
{
	static const char check[] =
		"import json, sys\n"
		"names = sys.argv[2].split(',')\n"
		"n = 0\n"
		"with open(sys.argv[1], 'rb') as f:\n"
		"    data = f.read().split(b'\\n')\n"
		"for i in range(0, len(data) - 1, 2):\n"
		/* strict: invalid UTF-8 was replaced, so the line is valid */
		"    obj = json.loads(data[i].decode('utf-8'))\n"
		"    want = data[i + 1].decode().split(' ')\n"
		"    for k, h in zip(names, want[:-2]):\n"
		"        raw = bytes.fromhex(h[1:]) if h != '-' else b''\n"
		"        if raw:\n"
		"            exp = raw.decode('utf-8', 'replace')\n"
		"            assert obj[k] == exp, (i, k, obj[k], exp)\n"
		"        else:\n"
		"            assert k not in obj, (i, k)\n"
		"    for k, v in zip(('in_if_speed', 'out_if_speed'), want[-2:]):\n"
		"        assert obj.get(k, 0) == int(v), (i, k)\n"
		"        assert (k in obj) == (int(v) != 0), (i, k)\n"
		"    assert obj['sampler_port'] == 2055\n"
		"    n += 1\n"
		"print('python json: %d enriched lines parsed and checked' % n)\n"
		"sys.exit(0 if n == int(sys.argv[3]) else 1)\n";
	static char store[N_ENR][4097];
	static uint8_t line[32 * 6 * 4100];
	char path[] = "/tmp/xdpflow-json-XXXXXX", names[1024], cmd[2048];
	uint64_t seed = 0x2b992ddfa23249d6ULL;
	const unsigned lines = 3000;
	struct flow_enriched e;
	struct flow_rec r;
	size_t w = 0;
	FILE *f;
	int fd, rc;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (unsigned it = 0; it < lines; it++) {
		ssize_t n;

		rec_nf9_v4(&r);
		rnd_hostile(&seed, &e, store);
		n = encode_json_enriched(&r, &e, line, sizeof(line));
		assert_true(n > 0);
		assert_int_equal(line[n - 1], '\n');
		/* The line is one line: nothing in it is a raw newline. */
		assert_null(memchr(line, '\n', (size_t)n - 1));
		fwrite(line, 1, (size_t)n, f);
		for (size_t i = 0; i < N_ENR; i++) {
			put_hex(f, enr_slot(&e, i)->s);
			fputc(' ', f);
		}
		fprintf(f, "%llu %llu\n", (unsigned long long)e.in_if_speed,
			(unsigned long long)e.out_if_speed);
	}
	assert_int_equal(fclose(f), 0);
	for (size_t i = 0; i < N_ENR; i++)
		w += (size_t)snprintf(names + w, sizeof(names) - w, "%s%s",
				      i ? "," : "", enr_names[i]);
	snprintf(cmd, sizeof(cmd), "python3 -c \"$XF_JSON_CHECK\" %s %s %u",
		 path, names, lines);
	assert_int_equal(setenv("XF_JSON_CHECK", check, 1), 0);
	rc = system(cmd);
	unlink(path);
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_netflow),
		cmocka_unit_test(test_ipv6_sflow),
		cmocka_unit_test(test_zero),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_more_renderings),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_ipv6_text),
		cmocka_unit_test(test_numbers_text),
		cmocka_unit_test(test_enriched_line),
		cmocka_unit_test(test_enriched_escapes),
		cmocka_unit_test(test_enriched_sizes),
		cmocka_unit_test(test_enriched_python),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
