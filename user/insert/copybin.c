// SPDX-License-Identifier: Apache-2.0
/*
 * Binary COPY rows for the flows table (see copybin.h). Every row is sized
 * before it is written, so a row is either appended whole or not at all.
 */
#include "insert/copybin.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char COPYBIN_COLUMNS[] =
	"time_received, time_flow_start, time_flow_end, type, sequence_num, "
	"sampling_rate, sampler_address, sampler_port, sampler_id, "
	"observation_domain_id, observation_point_id, bytes, packets, etype, "
	"proto, src_addr, dst_addr, src_port, dst_port, src_net, dst_net, "
	"src_as, dst_as, next_hop, next_hop_as, bgp_next_hop, in_if, out_if, "
	"src_mac, dst_mac, src_vlan, dst_vlan, vlan_id, ip_tos, ip_ttl, "
	"ip_flags, tcp_flags, forwarding_status, icmp_type, icmp_code, "
	"ipv6_flow_label, fragment_id, fragment_offset, bgp_communities, "
	"as_path, mpls_label, mpls_ttl, mpls_ip, layer_stack, layer_size, "
	"ipv6_routing_header_addresses, ipv6_routing_header_seg_left, "
	"src_country, dst_country, src_as_name, dst_as_name, src_net_name, "
	"dst_net_name, src_net_role, dst_net_role, src_net_site, dst_net_site, "
	"src_net_region, dst_net_region, src_net_tenant, dst_net_tenant, "
	"in_if_name, out_if_name, in_if_description, out_if_description, "
	"in_if_speed, out_if_speed, exporter_name, exporter_group, "
	"exporter_role, exporter_site, exporter_region, exporter_tenant";

/* Type OIDs of array elements (pg_type.h). */
#define OID_INT8 20
#define OID_INT4 23
#define OID_INET 869

/* inet's binary form: family, bits, is_cidr, length, address. */
#define PGSQL_AF_INET 2
#define PGSQL_AF_INET6 3

/* Seconds from 1970-01-01 to 2000-01-01. */
#define PG_EPOCH_UNIX_S 946684800LL

int64_t copybin_pg_time(uint64_t unix_ns)
{
	return (int64_t)(unix_ns / 1000u) - PG_EPOCH_UNIX_S * 1000000LL;
}

static inline uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static inline uint8_t *put64(uint8_t *p, uint64_t v)
{
	p = put32(p, (uint32_t)(v >> 32));
	return put32(p, (uint32_t)v);
}

static inline uint8_t *put_null(uint8_t *p)
{
	return put32(p, 0xffffffffu);
}

/* integer column holding an unsigned 32-bit value, bits kept */
static inline uint8_t *put_int4(uint8_t *p, uint32_t v)
{
	p = put32(p, 4);
	return put32(p, v);
}

static inline uint8_t *put_int8(uint8_t *p, uint64_t v)
{
	p = put32(p, 8);
	return put64(p, v);
}

static inline uint8_t *put_time(uint8_t *p, uint64_t ns, int null_if_zero)
{
	if (ns == 0 && null_if_zero)
		return put_null(p);
	return put_int8(p, (uint64_t)copybin_pg_time(ns));
}

/* bigint, NULL when 0 (unknown) */
static inline uint8_t *put_int8_or_null(uint8_t *p, uint64_t v)
{
	return v ? put_int8(p, v) : put_null(p);
}

/* Length of a well-formed UTF-8 sequence (RFC 3629: no overlong forms,
 * surrogates or code points past U+10FFFF) at p[0..n), n >= 1; 0 when p
 * does not start one. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	size_t k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		k = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else {
		return 0;
	}
	if (k > n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t j = 2; j < k; j++)
		if (p[j] < 0x80 || p[j] > 0xbf)
			return 0;
	return k;
}

/* text, NULL when absent or empty. PostgreSQL refuses text that is not
 * valid in its encoding, which would fail the whole batch, and proto3
 * strings from an SNMP ifAlias can hold anything: each byte that does not
 * start a well-formed UTF-8 sequence becomes U+FFFD, as the JSON encoder
 * does. (protobuf-c's copy ends at the first NUL, which text cannot hold.)
 * Writes at most 4 + 3 * strlen(s) bytes. */
static uint8_t *put_text(uint8_t *p, const char *s)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t n = s ? strlen(s) : 0;
	uint8_t *lenp = p, *q = p + 4;

	if (n == 0)
		return put_null(p);
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(u + i, n - i);

		if (k == 0) {
			memcpy(q, "\xef\xbf\xbd", 3);
			q += 3;
			i++;
			continue;
		}
		memcpy(q, u + i, k);
		q += k;
		i += k;
	}
	put32(lenp, (uint32_t)(q - lenp - 4));
	return q;
}

static inline int addr_ok(const ProtobufCBinaryData *a)
{
	return a->data && (a->len == 4 || a->len == 16);
}

/* inet value without its length word; returns the end. */
static inline uint8_t *put_inet_body(uint8_t *p, const ProtobufCBinaryData *a)
{
	int v4 = a->len == 4;

	*p++ = v4 ? PGSQL_AF_INET : PGSQL_AF_INET6;
	*p++ = v4 ? 32 : 128;
	*p++ = 0;
	*p++ = (uint8_t)a->len;
	memcpy(p, a->data, a->len);
	return p + a->len;
}

static inline uint8_t *put_inet(uint8_t *p, const ProtobufCBinaryData *a)
{
	if (!addr_ok(a))
		return put_null(p);
	p = put32(p, (uint32_t)(4 + a->len));
	return put_inet_body(p, a);
}

static inline uint8_t *put_mac(uint8_t *p, uint64_t mac)
{
	if (mac == 0)
		return put_null(p);
	p = put32(p, 6);
	for (int i = 5; i >= 0; i--)
		*p++ = (uint8_t)(mac >> (8 * i));
	return p;
}

/* Array header: the caller writes the length word after the elements. */
static inline uint8_t *put_array_head(uint8_t *p, uint32_t oid, size_t n,
				      int has_null)
{
	p = put32(p, 1);		/* dimensions */
	p = put32(p, has_null ? 1 : 0); /* flags */
	p = put32(p, oid);
	p = put32(p, (uint32_t)n);
	return put32(p, 1); /* lower bound */
}

/* wide: bigint[] (each uint32 as int8) or integer[]. */
static uint8_t *put_u32_array(uint8_t *p, const uint32_t *v, size_t n, int wide)
{
	uint8_t *lenp = p;

	if (n == 0)
		return put_null(p);
	p = put_array_head(p + 4, wide ? OID_INT8 : OID_INT4, n, 0);
	for (size_t i = 0; i < n; i++)
		p = wide ? put_int8(p, v[i]) : put_int4(p, v[i]);
	put32(lenp, (uint32_t)(p - lenp - 4));
	return p;
}

static uint8_t *
put_layer_array(uint8_t *p, const Flowpb__FlowMessage__LayerStack *v, size_t n)
{
	uint8_t *lenp = p;

	if (n == 0)
		return put_null(p);
	p = put_array_head(p + 4, OID_INT4, n, 0);
	for (size_t i = 0; i < n; i++)
		p = put_int4(p, (uint32_t)v[i]);
	put32(lenp, (uint32_t)(p - lenp - 4));
	return p;
}

static uint8_t *put_inet_array(uint8_t *p, const ProtobufCBinaryData *v,
			       size_t n)
{
	uint8_t *lenp = p;
	int has_null = 0;

	if (n == 0)
		return put_null(p);
	for (size_t i = 0; i < n; i++)
		has_null |= !addr_ok(&v[i]);
	p = put_array_head(p + 4, OID_INET, n, has_null);
	for (size_t i = 0; i < n; i++)
		p = put_inet(p, &v[i]);
	put32(lenp, (uint32_t)(p - lenp - 4));
	return p;
}

/* The enrichment text columns, in COPYBIN_COLUMNS order: those before the
 * interface speeds, then the exporter's after them. */
#define MSG_STR(f) offsetof(Flowpb__FlowMessage, f)
static const size_t str_before_speeds[] = {
	MSG_STR(src_country),	    MSG_STR(dst_country),
	MSG_STR(src_as_name),	    MSG_STR(dst_as_name),
	MSG_STR(src_net_name),	    MSG_STR(dst_net_name),
	MSG_STR(src_net_role),	    MSG_STR(dst_net_role),
	MSG_STR(src_net_site),	    MSG_STR(dst_net_site),
	MSG_STR(src_net_region),    MSG_STR(dst_net_region),
	MSG_STR(src_net_tenant),    MSG_STR(dst_net_tenant),
	MSG_STR(in_if_name),	    MSG_STR(out_if_name),
	MSG_STR(in_if_description), MSG_STR(out_if_description),
};
static const size_t str_after_speeds[] = {
	MSG_STR(exporter_name),	  MSG_STR(exporter_group),
	MSG_STR(exporter_role),	  MSG_STR(exporter_site),
	MSG_STR(exporter_region), MSG_STR(exporter_tenant),
};
#define N_STR_BEFORE (sizeof(str_before_speeds) / sizeof(str_before_speeds[0]))
#define N_STR_AFTER (sizeof(str_after_speeds) / sizeof(str_after_speeds[0]))

static inline const char *msg_str(const Flowpb__FlowMessage *m, size_t off)
{
	return *(const char *const *)((const char *)m + off);
}

static uint8_t *put_texts(uint8_t *p, const Flowpb__FlowMessage *m,
			  const size_t *offs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p = put_text(p, msg_str(m, offs[i]));
	return p;
}

/* Bytes put_text may write for the strings at offs. */
static size_t texts_bound(const Flowpb__FlowMessage *m, const size_t *offs,
			  size_t n)
{
	size_t b = 0;

	for (size_t i = 0; i < n; i++) {
		const char *s = msg_str(m, offs[i]);

		b += 3 * (s ? strlen(s) : 0);
	}
	return b;
}

/* Upper bound of a row's size. */
static size_t row_bound(const Flowpb__FlowMessage *m)
{
	size_t n = 2 + COPYBIN_NCOLS * (4 + 8) + 5 * 20 + 2 * 6;

	n += 24 + (m->n_bgp_communities + m->n_as_path) * 12;
	n += 24 + (m->n_mpls_label + m->n_mpls_ttl + m->n_layer_stack +
		   m->n_layer_size) *
			  8;
	n += 24 + (m->n_mpls_ip + m->n_ipv6_routing_header_addresses) * 24;
	n += texts_bound(m, str_before_speeds, N_STR_BEFORE);
	n += texts_bound(m, str_after_speeds, N_STR_AFTER);
	return n + 7 * 24;
}

static int reserve(struct copybin *b, size_t need)
{
	size_t cap;
	uint8_t *nb;

	if (b->cap - b->len >= need)
		return 0;
	if (need > b->max_cap - b->len)
		return -ENOSPC;
	cap = b->cap * 2;
	if (cap < b->len + need)
		cap = b->len + need;
	if (cap > b->max_cap)
		cap = b->max_cap;
	nb = realloc(b->buf, cap);
	if (!nb)
		return -ENOSPC;
	b->buf = nb;
	b->cap = cap;
	return 0;
}

int copybin_init(struct copybin *b, size_t cap, size_t max_cap)
{
	b->len = 0;
	b->cap = cap;
	b->max_cap = max_cap < cap ? cap : max_cap;
	b->buf = malloc(cap);
	return b->buf ? 0 : -ENOMEM;
}

void copybin_fini(struct copybin *b)
{
	if (!b)
		return;
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

int copybin_header(struct copybin *b)
{
	static const uint8_t sig[11] = { 'P',  'G',  'C',  'O',	 'P', 'Y',
					 '\n', 0xff, '\r', '\n', 0 };
	uint8_t *p;

	if (reserve(b, COPYBIN_HEADER_LEN))
		return -ENOSPC;
	p = b->buf + b->len;
	memcpy(p, sig, sizeof(sig));
	p = put32(p + sizeof(sig), 0); /* flags: no OIDs */
	put32(p, 0);		       /* no header extension */
	b->len += COPYBIN_HEADER_LEN;
	return 0;
}

int copybin_trailer(struct copybin *b)
{
	if (reserve(b, 2))
		return -ENOSPC;
	put16(b->buf + b->len, 0xffff);
	b->len += 2;
	return 0;
}

int copybin_row(struct copybin *b, const Flowpb__FlowMessage *m)
{
	uint8_t *p;

	if (reserve(b, row_bound(m)))
		return -ENOSPC;
	p = b->buf + b->len;
	p = put16(p, COPYBIN_NCOLS);
	p = put_time(p, m->time_received_ns, 0);
	p = put_time(p, m->time_flow_start_ns, 1);
	p = put_time(p, m->time_flow_end_ns, 1);
	p = put_int4(p, (uint32_t)m->type);
	p = put_int8(p, m->sequence_num);
	p = put_int8(p, m->sampling_rate);
	p = put_inet(p, &m->sampler_address);
	p = put_int4(p, m->sampler_port);
	p = put_int8(p, m->sampler_id);
	p = put_int8(p, m->observation_domain_id);
	p = put_int8(p, m->observation_point_id);
	p = put_int8(p, m->bytes);
	p = put_int8(p, m->packets);
	p = put_int4(p, m->etype);
	p = put_int4(p, m->proto);
	p = put_inet(p, &m->src_addr);
	p = put_inet(p, &m->dst_addr);
	p = put_int4(p, m->src_port);
	p = put_int4(p, m->dst_port);
	p = put_int4(p, m->src_net);
	p = put_int4(p, m->dst_net);
	p = put_int8(p, m->src_as);
	p = put_int8(p, m->dst_as);
	p = put_inet(p, &m->next_hop);
	p = put_int8(p, m->next_hop_as);
	p = put_inet(p, &m->bgp_next_hop);
	p = put_int8(p, m->in_if);
	p = put_int8(p, m->out_if);
	p = put_mac(p, m->src_mac);
	p = put_mac(p, m->dst_mac);
	p = put_int4(p, m->src_vlan);
	p = put_int4(p, m->dst_vlan);
	p = put_int4(p, m->vlan_id);
	p = put_int4(p, m->ip_tos);
	p = put_int4(p, m->ip_ttl);
	p = put_int4(p, m->ip_flags);
	p = put_int4(p, m->tcp_flags);
	p = put_int4(p, m->forwarding_status);
	p = put_int4(p, m->icmp_type);
	p = put_int4(p, m->icmp_code);
	p = put_int4(p, m->ipv6_flow_label);
	p = put_int8(p, m->fragment_id);
	p = put_int4(p, m->fragment_offset);
	p = put_u32_array(p, m->bgp_communities, m->n_bgp_communities, 1);
	p = put_u32_array(p, m->as_path, m->n_as_path, 1);
	p = put_u32_array(p, m->mpls_label, m->n_mpls_label, 0);
	p = put_u32_array(p, m->mpls_ttl, m->n_mpls_ttl, 0);
	p = put_inet_array(p, m->mpls_ip, m->n_mpls_ip);
	p = put_layer_array(p, m->layer_stack, m->n_layer_stack);
	p = put_u32_array(p, m->layer_size, m->n_layer_size, 0);
	p = put_inet_array(p, m->ipv6_routing_header_addresses,
			   m->n_ipv6_routing_header_addresses);
	p = put_int4(p, m->ipv6_routing_header_seg_left);
	p = put_texts(p, m, str_before_speeds, N_STR_BEFORE);
	p = put_int8_or_null(p, m->in_if_speed);
	p = put_int8_or_null(p, m->out_if_speed);
	p = put_texts(p, m, str_after_speeds, N_STR_AFTER);
	b->len = (size_t)(p - b->buf);
	return 0;
}
