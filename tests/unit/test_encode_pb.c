// SPDX-License-Identifier: Apache-2.0
/*
 * encode_pb: a fully populated record survives pack/unpack field by field;
 * raw wire bytes follow GoFlow2 v2.2.6's field numbers; zero fields are
 * absent; the varint length prefix is right on both sides of 127 bytes;
 * random records unpack and re-pack to the same bytes; -ENOSPC on short
 * buffers; encode_format_parse; and a speed figure.
 */
#include "unit.h"

#include <errno.h>
#include <time.h>

#include "encode/encode.h"
#include "flow.pb-c.h"

static void fill_full(struct flow_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->type = FLOW_TYPE_IPFIX;
	r->time_received_ns = 1700000000123456789ULL;
	r->sequence_num = 4000000001u;
	r->sampling_rate = 1ULL << 40;
	r->sampler_address =
		(struct flow_addr){ .len = 4, .b = { 198, 18, 0, 1 } };
	r->time_flow_start_ns = 1699999990000000001ULL;
	r->time_flow_end_ns = 1699999999000000002ULL;
	r->bytes = 0xffffffffffffffffULL;
	r->packets = 123456789012ULL;
	r->src_addr = (struct flow_addr){ .len = 16,
					  .b = { 0x20, 0x01, 0, 2, 0, 0, 0, 0,
						 0, 0, 0, 0, 0, 0, 0, 0x10 } };
	r->dst_addr =
		(struct flow_addr){ .len = 16,
				    .b = { 0x20, 0x01, 0, 2, 0, 0, 0xab, 0xcd,
					   1, 2, 3, 4, 5, 6, 7, 8 } };
	r->etype = 0x86dd;
	r->proto = 6;
	r->src_port = 443;
	r->dst_port = 65535;
	r->in_if = 11;
	r->out_if = 4000000000u;
	r->src_mac = 0x0a1b2c3d4e5fULL;
	r->dst_mac = 0xffffffffffffULL;
	r->src_vlan = 100;
	r->dst_vlan = 4095;
	r->vlan_id = 101;
	r->ip_tos = 0xb8;
	r->forwarding_status = 64;
	r->ip_ttl = 63;
	r->ip_flags = 2;
	r->tcp_flags = 0x1b;
	r->icmp_type = 8;
	r->icmp_code = 1;
	r->ipv6_flow_label = 0xfffff;
	r->fragment_id = 54321;
	r->fragment_offset = 185;
	r->src_as = 64512;
	r->dst_as = 4200000000u;
	r->next_hop =
		(struct flow_addr){ .len = 16, .b = { 0xfe, 0x80, [15] = 1 } };
	r->next_hop_as = 64513;
	r->src_net = 48;
	r->dst_net = 64;
	r->bgp_next_hop =
		(struct flow_addr){ .len = 4, .b = { 198, 19, 0, 254 } };
	r->observation_domain_id = 77;
	r->observation_point_id = 78;
	r->ipv6_routing_header_seg_left = 2;
	r->sampler_id = 9;
	r->sampler_port = 2055;

	r->n_communities = 3;
	for (unsigned i = 0; i < 3; i++)
		r->bgp_communities[i] = 4259840100u + i;
	r->n_as_path = 4;
	for (unsigned i = 0; i < 4; i++)
		r->as_path[i] = 64512 + 1000 * i;
	r->n_mpls = 3;
	r->n_mpls_ttl = 3;
	for (unsigned i = 0; i < 3; i++) {
		r->mpls_ttl[i] = 255 - i;
		r->mpls_label[i] = 16000 + i;
	}
	r->n_mpls_ip = 2;
	r->mpls_ip[0] = (struct flow_addr){ .len = 4, .b = { 198, 18, 9, 9 } };
	r->mpls_ip[1] =
		(struct flow_addr){ .len = 16,
				    .b = { 0x20, 0x01, 0, 2, [15] = 9 } };
	r->n_layers = 5;
	{
		static const uint32_t st[] = {
			FLOW_LAYER_ETHERNET, FLOW_LAYER_DOT1Q, FLOW_LAYER_IPV6,
			FLOW_LAYER_IPV6_ROUTING, FLOW_LAYER_TCP
		};
		static const uint32_t sz[] = { 14, 4, 40, 56, 20 };

		memcpy(r->layer_stack, st, sizeof(st));
		memcpy(r->layer_size, sz, sizeof(sz));
	}
	r->n_srv6 = 3;
	for (unsigned i = 0; i < 3; i++) {
		static const uint8_t base[16] = { 0x20, 0x01, 0, 2, 0, 1 };

		memcpy(r->srv6_addr[i], base, 16);
		r->srv6_addr[i][15] = (uint8_t)(0x11 + i);
	}
}

static uint64_t get_varint(const uint8_t *p, size_t *used)
{
	uint64_t v = 0;
	size_t i = 0;

	for (; i < 10; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80))
			break;
	}
	*used = i + 1;
	return v;
}

static void assert_bin(ProtobufCBinaryData d, const struct flow_addr *a)
{
	assert_int_equal(d.len, a->len);
	if (a->len)
		assert_memory_equal(d.data, a->b, a->len);
}

static void test_round_trip(void **state)
{
	uint8_t buf[ENCODE_MAX_LEN];
	struct flow_rec r;
	Flowpb__FlowMessage *m;
	size_t pre;
	uint64_t body;
	ssize_t n;

	(void)state;
	fill_full(&r);
	n = encode_pb(&r, buf, sizeof(buf));
	assert_true(n > 128);
	body = get_varint(buf, &pre);
	assert_int_equal(pre, 2); /* > 127 bytes needs two prefix bytes */
	assert_int_equal(body + pre, (uint64_t)n);

	m = flowpb__flow_message__unpack(NULL, body, buf + pre);
	assert_non_null(m);
	assert_int_equal(m->type, r.type);
	assert_int_equal(m->time_received_ns, r.time_received_ns);
	assert_int_equal(m->sequence_num, r.sequence_num);
	assert_int_equal(m->sampling_rate, r.sampling_rate);
	assert_bin(m->sampler_address, &r.sampler_address);
	assert_int_equal(m->time_flow_start_ns, r.time_flow_start_ns);
	assert_int_equal(m->time_flow_end_ns, r.time_flow_end_ns);
	assert_int_equal(m->bytes, r.bytes);
	assert_int_equal(m->packets, r.packets);
	assert_bin(m->src_addr, &r.src_addr);
	assert_bin(m->dst_addr, &r.dst_addr);
	assert_int_equal(m->etype, r.etype);
	assert_int_equal(m->proto, r.proto);
	assert_int_equal(m->src_port, r.src_port);
	assert_int_equal(m->dst_port, r.dst_port);
	assert_int_equal(m->in_if, r.in_if);
	assert_int_equal(m->out_if, r.out_if);
	assert_int_equal(m->src_mac, r.src_mac);
	assert_int_equal(m->dst_mac, r.dst_mac);
	assert_int_equal(m->src_vlan, r.src_vlan);
	assert_int_equal(m->dst_vlan, r.dst_vlan);
	assert_int_equal(m->vlan_id, r.vlan_id);
	assert_int_equal(m->ip_tos, r.ip_tos);
	assert_int_equal(m->forwarding_status, r.forwarding_status);
	assert_int_equal(m->ip_ttl, r.ip_ttl);
	assert_int_equal(m->ip_flags, r.ip_flags);
	assert_int_equal(m->tcp_flags, r.tcp_flags);
	assert_int_equal(m->icmp_type, r.icmp_type);
	assert_int_equal(m->icmp_code, r.icmp_code);
	assert_int_equal(m->ipv6_flow_label, r.ipv6_flow_label);
	assert_int_equal(m->fragment_id, r.fragment_id);
	assert_int_equal(m->fragment_offset, r.fragment_offset);
	assert_int_equal(m->src_as, r.src_as);
	assert_int_equal(m->dst_as, r.dst_as);
	assert_bin(m->next_hop, &r.next_hop);
	assert_int_equal(m->next_hop_as, r.next_hop_as);
	assert_int_equal(m->src_net, r.src_net);
	assert_int_equal(m->dst_net, r.dst_net);
	assert_bin(m->bgp_next_hop, &r.bgp_next_hop);
	assert_int_equal(m->observation_domain_id, r.observation_domain_id);
	assert_int_equal(m->observation_point_id, r.observation_point_id);
	assert_int_equal(m->ipv6_routing_header_seg_left,
			 r.ipv6_routing_header_seg_left);
	assert_int_equal(m->sampler_id, r.sampler_id);
	assert_int_equal(m->sampler_port, r.sampler_port);

	assert_int_equal(m->n_bgp_communities, r.n_communities);
	for (size_t i = 0; i < r.n_communities; i++)
		assert_int_equal(m->bgp_communities[i], r.bgp_communities[i]);
	assert_int_equal(m->n_as_path, r.n_as_path);
	for (size_t i = 0; i < r.n_as_path; i++)
		assert_int_equal(m->as_path[i], r.as_path[i]);
	assert_int_equal(m->n_mpls_ttl, r.n_mpls_ttl);
	assert_int_equal(m->n_mpls_label, r.n_mpls);
	for (size_t i = 0; i < r.n_mpls; i++) {
		assert_int_equal(m->mpls_ttl[i], r.mpls_ttl[i]);
		assert_int_equal(m->mpls_label[i], r.mpls_label[i]);
	}
	assert_int_equal(m->n_mpls_ip, r.n_mpls_ip);
	for (size_t i = 0; i < r.n_mpls_ip; i++)
		assert_bin(m->mpls_ip[i], &r.mpls_ip[i]);
	assert_int_equal(m->n_layer_stack, r.n_layers);
	assert_int_equal(m->n_layer_size, r.n_layers);
	for (size_t i = 0; i < r.n_layers; i++) {
		assert_int_equal(m->layer_stack[i], r.layer_stack[i]);
		assert_int_equal(m->layer_size[i], r.layer_size[i]);
	}
	assert_int_equal(m->n_ipv6_routing_header_addresses, r.n_srv6);
	for (size_t i = 0; i < r.n_srv6; i++) {
		assert_int_equal(m->ipv6_routing_header_addresses[i].len, 16);
		assert_memory_equal(m->ipv6_routing_header_addresses[i].data,
				    r.srv6_addr[i], 16);
	}
	flowpb__flow_message__free_unpacked(m, NULL);

	/* The dispatcher gives the same bytes. */
	{
		uint8_t again[ENCODE_MAX_LEN];

		assert_int_equal(encode_flow(OUT_FORMAT_PB, &r, again,
					     sizeof(again)),
				 n);
		assert_memory_equal(again, buf, (size_t)n);
	}
}

/* Exact bytes for single fields: GoFlow2's numbers and proto3 omission. */
static void test_wire_bytes(void **state)
{
	uint8_t buf[64];
	struct flow_rec r;
	ssize_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	n = encode_pb(&r, buf, sizeof(buf));
	assert_int_equal(n, 1); /* all zero: empty message, prefix 0 */
	assert_int_equal(buf[0], 0);

	/* time_received_ns: field 110, varint -> tag 880 = f0 06 */
	r.time_received_ns = 300;
	n = encode_pb(&r, buf, sizeof(buf));
	{
		static const uint8_t exp[] = { 4, 0xf0, 0x06, 0xac, 0x02 };

		assert_int_equal(n, sizeof(exp));
		assert_memory_equal(buf, exp, sizeof(exp));
	}

	/* ipv6_routing_header_seg_left: field 106 -> tag 848 = d0 06;
	 * type: field 1 -> 08; sampler_id: field 1000 -> tag 8000 = c0 3e */
	memset(&r, 0, sizeof(r));
	r.type = FLOW_TYPE_NETFLOW_V9;
	r.ipv6_routing_header_seg_left = 3;
	r.sampler_id = 5;
	n = encode_pb(&r, buf, sizeof(buf));
	{
		static const uint8_t exp[] = { 8,    0x08, 0x03, 0xd0, 0x06,
					       0x03, 0xc0, 0x3e, 0x05 };

		assert_int_equal(n, sizeof(exp));
		assert_memory_equal(buf, exp, sizeof(exp));
	}

	/* Addresses: src_addr field 6 (bytes) -> 32; 4 or 16 bytes; a length
	 * other than 4/16 is treated as absent. as_path field 102 packed ->
	 * tag (102 << 3 | 2) = 818 = b2 06. */
	memset(&r, 0, sizeof(r));
	r.src_addr = (struct flow_addr){ .len = 4, .b = { 198, 18, 0, 1 } };
	r.dst_addr =
		(struct flow_addr){ .len = 7, .b = { 1, 2, 3, 4, 5, 6, 7 } };
	r.n_as_path = 2;
	r.as_path[0] = 1;
	r.as_path[1] = 300;
	n = encode_pb(&r, buf, sizeof(buf));
	{
		static const uint8_t exp[] = { 12,   0x32, 4,	 198,  18,
					       0,    1,	   0xb2, 0x06, 3,
					       0x01, 0xac, 0x02 };

		assert_int_equal(n, sizeof(exp));
		assert_memory_equal(buf, exp, sizeof(exp));
	}
}

static void test_prefix_boundary(void **state)
{
	/* Base body: as_path and bgp_communities with 32 one-byte entries
	 * (2 tag + 1 len + 32 = 35 each) and three IPv6 addresses (1 tag +
	 * 1 len + 16 = 18 each): 124 bytes. packets (field 10, 1-byte tag)
	 * then adds 0, 2, 3, 4 or 5 bytes. */
	static const struct {
		uint64_t packets;
		size_t body;
	} cases[] = { { 0, 124 },
		      { 1, 126 },
		      { 128, 127 },
		      { 1 << 14, 128 },
		      { 1 << 21, 129 } };
	uint8_t buf[512];
	struct flow_rec r;
	size_t pre;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.n_as_path = FLOW_MAX_AS_PATH;
	r.n_communities = FLOW_MAX_COMMUNITIES;
	for (unsigned k = 0; k < FLOW_MAX_AS_PATH; k++)
		r.as_path[k] = 1;
	for (unsigned k = 0; k < FLOW_MAX_COMMUNITIES; k++)
		r.bgp_communities[k] = 0x7f;
	r.src_addr.len = r.dst_addr.len = r.next_hop.len = 16;
	r.src_addr.b[0] = r.dst_addr.b[0] = r.next_hop.b[0] = 0x20;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ssize_t n;
		uint64_t body;

		r.packets = cases[i].packets;
		n = encode_pb(&r, buf, sizeof(buf));
		body = get_varint(buf, &pre);
		assert_int_equal(body, cases[i].body);
		assert_int_equal(pre, body > 127 ? 2 : 1);
		assert_int_equal((uint64_t)n, body + pre);
	}
}

/* A value of random magnitude, zero one time in four. */
static uint64_t rnd_val(uint64_t *s)
{
	uint64_t v = unit_rnd(s);
	unsigned bits = (unsigned)(unit_rnd(s) % 65);

	if (!(v & 3))
		return 0;
	return bits == 64 ? v : v & ((1ULL << bits) - 1);
}

static void rnd_addr(uint64_t *s, struct flow_addr *a)
{
	static const uint8_t lens[] = { 0, 4, 16, 4, 16, 7 };

	a->len = lens[unit_rnd(s) % sizeof(lens)];
	for (unsigned i = 0; i < 16; i++)
		a->b[i] = (uint8_t)rnd_val(s);
}

static void rnd_rec(uint64_t *s, struct flow_rec *r)
{
	uint32_t *u32[] = { &r->sequence_num,
			    &r->etype,
			    &r->proto,
			    &r->src_port,
			    &r->dst_port,
			    &r->in_if,
			    &r->out_if,
			    &r->src_vlan,
			    &r->dst_vlan,
			    &r->vlan_id,
			    &r->ip_tos,
			    &r->forwarding_status,
			    &r->ip_ttl,
			    &r->ip_flags,
			    &r->tcp_flags,
			    &r->icmp_type,
			    &r->icmp_code,
			    &r->ipv6_flow_label,
			    &r->fragment_id,
			    &r->fragment_offset,
			    &r->src_as,
			    &r->dst_as,
			    &r->next_hop_as,
			    &r->src_net,
			    &r->dst_net,
			    &r->observation_domain_id,
			    &r->observation_point_id,
			    &r->ipv6_routing_header_seg_left,
			    &r->sampler_id,
			    &r->sampler_port,
			    &r->type };
	uint64_t *u64[] = {
		&r->time_received_ns, &r->sampling_rate, &r->time_flow_start_ns,
		&r->time_flow_end_ns, &r->bytes,	 &r->packets,
		&r->src_mac,	      &r->dst_mac
	};

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < sizeof(u32) / sizeof(u32[0]); i++)
		*u32[i] = (uint32_t)rnd_val(s);
	for (size_t i = 0; i < sizeof(u64) / sizeof(u64[0]); i++)
		*u64[i] = rnd_val(s);
	rnd_addr(s, &r->sampler_address);
	rnd_addr(s, &r->src_addr);
	rnd_addr(s, &r->dst_addr);
	rnd_addr(s, &r->next_hop);
	rnd_addr(s, &r->bgp_next_hop);
	r->n_communities = (uint8_t)(unit_rnd(s) % (FLOW_MAX_COMMUNITIES + 2));
	r->n_as_path = (uint8_t)(unit_rnd(s) % (FLOW_MAX_AS_PATH + 2));
	r->n_mpls = (uint8_t)(unit_rnd(s) % (FLOW_MAX_MPLS + 2));
	r->n_mpls_ttl = (uint8_t)(unit_rnd(s) % (FLOW_MAX_MPLS + 2));
	r->n_mpls_ip = (uint8_t)(unit_rnd(s) % (FLOW_MAX_MPLS + 2));
	r->n_layers = (uint8_t)(unit_rnd(s) % (FLOW_MAX_LAYERS + 2));
	r->n_srv6 = (uint8_t)(unit_rnd(s) % (FLOW_MAX_SRV6 + 2));
	for (unsigned i = 0; i < FLOW_MAX_COMMUNITIES; i++)
		r->bgp_communities[i] = (uint32_t)rnd_val(s);
	for (unsigned i = 0; i < FLOW_MAX_AS_PATH; i++)
		r->as_path[i] = (uint32_t)rnd_val(s);
	for (unsigned i = 0; i < FLOW_MAX_MPLS; i++) {
		r->mpls_ttl[i] = (uint32_t)rnd_val(s);
		r->mpls_label[i] = (uint32_t)rnd_val(s);
		rnd_addr(s, &r->mpls_ip[i]);
	}
	for (unsigned i = 0; i < FLOW_MAX_LAYERS; i++) {
		/* Mostly valid layers, sometimes enums above INT32_MAX. */
		r->layer_stack[i] = (uint32_t)(unit_rnd(s) % 4
						       ? unit_rnd(s) % 14
						       : rnd_val(s));
		r->layer_size[i] = (uint32_t)rnd_val(s);
	}
	for (unsigned i = 0; i < FLOW_MAX_SRV6; i++)
		for (unsigned j = 0; j < 16; j++)
			r->srv6_addr[i][j] = (uint8_t)unit_rnd(s);
}

/* Random records: the message unpacks, and re-packing what was unpacked
 * gives the same body (the encoding is canonical); short buffers refuse. */
static void assert_repacks(const uint8_t *a, ssize_t na)
{
	static uint8_t again[ENCODE_MAX_LEN];
	Flowpb__FlowMessage *m;
	size_t pre, body;

	body = (size_t)get_varint(a, &pre);
	assert_int_equal(body + pre, (size_t)na);
	m = flowpb__flow_message__unpack(NULL, body, a + pre);
	assert_non_null(m);
	assert_int_equal(flowpb__flow_message__pack(m, again), body);
	assert_memory_equal(again, a + pre, body);
	flowpb__flow_message__free_unpacked(m, NULL);
}

static void test_random_records(void **state)
{
	static uint8_t a[ENCODE_MAX_LEN];
	static struct flow_rec r;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t longest = 0;

	(void)state;
	for (unsigned it = 0; it < 20000; it++) {
		ssize_t na;

		rnd_rec(&seed, &r);
		na = encode_pb(&r, a, sizeof(a));
		assert_true(na > 0);
		assert_repacks(a, na);
		if ((size_t)na > longest)
			longest = (size_t)na;
		assert_int_equal(encode_pb(&r, a, (size_t)na - 1), -ENOSPC);
	}
	/* Everything at its longest. */
	memset(&r, 0xff, sizeof(r));
	r.sampler_address.len = r.src_addr.len = r.dst_addr.len = 16;
	r.next_hop.len = r.bgp_next_hop.len = 16;
	for (unsigned i = 0; i < FLOW_MAX_MPLS; i++)
		r.mpls_ip[i].len = 16;
	r.n_communities = FLOW_MAX_COMMUNITIES;
	r.n_as_path = FLOW_MAX_AS_PATH;
	r.n_mpls = r.n_mpls_ttl = r.n_mpls_ip = FLOW_MAX_MPLS;
	r.n_layers = FLOW_MAX_LAYERS;
	r.n_srv6 = FLOW_MAX_SRV6;
	{
		ssize_t na = encode_pb(&r, a, sizeof(a));

		assert_repacks(a, na);
		print_message(
			"pb worst case: %zd bytes (random records: up to %zu)\n",
			na, longest);
		assert_true(na < 2048);
	}
}

static void test_enospc(void **state)
{
	uint8_t buf[ENCODE_MAX_LEN];
	struct flow_rec r;
	ssize_t n;

	(void)state;
	fill_full(&r);
	n = encode_pb(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(encode_pb(&r, buf, (size_t)n - 1), -ENOSPC);
	assert_int_equal(encode_pb(&r, buf, 0), -ENOSPC);
	assert_int_equal(encode_flow(OUT_FORMAT_PB, &r, buf, 1), -ENOSPC);
	assert_int_equal(encode_pb(&r, buf, (size_t)n), n);
}

/* Counts past the arrays' size are clamped, never followed. */
static void test_clamped_counts(void **state)
{
	uint8_t buf[ENCODE_MAX_LEN];
	struct flow_rec r;
	Flowpb__FlowMessage *m;
	size_t pre;
	ssize_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.n_communities = 255;
	r.n_as_path = 255;
	r.n_mpls = 255;
	r.n_mpls_ttl = 255;
	r.n_mpls_ip = 255;
	r.n_layers = 255;
	r.n_srv6 = 255;
	n = encode_pb(&r, buf, sizeof(buf));
	assert_true(n > 0);
	get_varint(buf, &pre);
	m = flowpb__flow_message__unpack(NULL, (size_t)n - pre, buf + pre);
	assert_non_null(m);
	assert_int_equal(m->n_bgp_communities, FLOW_MAX_COMMUNITIES);
	assert_int_equal(m->n_as_path, FLOW_MAX_AS_PATH);
	assert_int_equal(m->n_mpls_label, FLOW_MAX_MPLS);
	assert_int_equal(m->n_mpls_ttl, FLOW_MAX_MPLS);
	assert_int_equal(m->n_mpls_ip, FLOW_MAX_MPLS);
	assert_int_equal(m->n_layer_size, FLOW_MAX_LAYERS);
	assert_int_equal(m->n_ipv6_routing_header_addresses, FLOW_MAX_SRV6);
	flowpb__flow_message__free_unpacked(m, NULL);
}

/* NetFlow/IPFIX label IEs carry no TTL: labels go out, mpls_ttl does not
 * (as GoFlow2). */
static void test_mpls_labels_without_ttl(void **state)
{
	uint8_t buf[ENCODE_MAX_LEN];
	struct flow_rec r;
	Flowpb__FlowMessage *m;
	size_t pre;
	ssize_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.n_mpls = 2;
	r.mpls_label[0] = 16001;
	r.mpls_label[1] = 16002;
	n = encode_pb(&r, buf, sizeof(buf));
	assert_true(n > 0);
	get_varint(buf, &pre);
	m = flowpb__flow_message__unpack(NULL, (size_t)n - pre, buf + pre);
	assert_non_null(m);
	assert_int_equal(m->n_mpls_label, 2);
	assert_int_equal(m->mpls_label[1], 16002);
	assert_int_equal(m->n_mpls_ttl, 0);
	flowpb__flow_message__free_unpacked(m, NULL);
}

static void test_format_parse(void **state)
{
	enum out_format f = (enum out_format)42;

	(void)state;
	assert_int_equal(encode_format_parse("pb", &f), 0);
	assert_int_equal(f, OUT_FORMAT_PB);
	f = (enum out_format)42;
	assert_int_equal(encode_format_parse("bin", &f), 0);
	assert_int_equal(f, OUT_FORMAT_PB);
	assert_int_equal(encode_format_parse("json", &f), 0);
	assert_int_equal(f, OUT_FORMAT_JSON);
	assert_int_equal(encode_format_parse("text", &f), -EINVAL);
	assert_int_equal(encode_format_parse("", &f), -EINVAL);
	assert_int_equal(encode_format_parse("JSON", &f), -EINVAL);
	assert_int_equal(encode_format_parse(NULL, &f), -EINVAL);
	assert_int_equal(f, OUT_FORMAT_JSON);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void typical_v4(struct flow_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->type = FLOW_TYPE_NETFLOW_V9;
	r->time_received_ns = 1700000000123456789ULL;
	r->sequence_num = 42;
	r->sampling_rate = 100;
	r->sampler_address =
		(struct flow_addr){ .len = 4, .b = { 198, 18, 0, 1 } };
	r->time_flow_start_ns = 1699999990000000000ULL;
	r->time_flow_end_ns = 1699999999000000000ULL;
	r->bytes = 1500;
	r->packets = 3;
	r->src_addr = (struct flow_addr){ .len = 4, .b = { 198, 18, 1, 2 } };
	r->dst_addr = (struct flow_addr){ .len = 4, .b = { 198, 19, 3, 4 } };
	r->etype = 0x800;
	r->proto = 6;
	r->src_port = 443;
	r->dst_port = 51234;
	r->in_if = 10;
	r->out_if = 20;
	r->tcp_flags = 0x1b;
	r->src_as = 65001;
	r->dst_as = 65002;
	r->next_hop = (struct flow_addr){ .len = 4, .b = { 198, 18, 0, 254 } };
	r->src_net = 24;
	r->dst_net = 16;
	r->sampler_port = 2055;
}

/* A speed figure for the log, not a pass/fail threshold (shared machine,
 * sanitizer builds). */
static void test_speed(void **state)
{
	static uint8_t buf[ENCODE_MAX_LEN];
	static struct flow_rec r[2];
	const unsigned iters = 200000;
	uint64_t t0, t1, sum;

	(void)state;
	typical_v4(&r[0]);
	fill_full(&r[1]);
	for (int k = 0; k < 2; k++) {
		sum = 0;
		t0 = now_ns();
		for (unsigned i = 0; i < iters; i++) {
			r[k].sequence_num = i;
			sum += (uint64_t)encode_pb(&r[k], buf, sizeof(buf));
		}
		t1 = now_ns();
		assert_true(sum > iters);
		print_message("encode_pb %s: %.1f ns/flow (%u flows, %.0f bytes)\n",
			      k ? "full record" : "typical IPv4",
			      (double)(t1 - t0) / iters, iters,
			      (double)sum / iters);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wire_bytes),
		cmocka_unit_test(test_prefix_boundary),
		cmocka_unit_test(test_random_records),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_clamped_counts),
		cmocka_unit_test(test_mpls_labels_without_ttl),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
