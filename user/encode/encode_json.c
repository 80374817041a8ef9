// SPDX-License-Identifier: Apache-2.0
/*
 * JSON encoder: one flow as one line, byte for byte what GoFlow2 v2.2.6
 * prints with -format=json and its default formatter: every FlowMessage
 * field in declaration order, zero fields included; type and layer_stack as
 * enum names; addresses as text (IPv4 dotted, IPv6 as Go's netip prints it:
 * RFC 5952, "::ffff:a.b.c.d" for IPv4-mapped, "" when absent); MACs as
 * aa:bb:cc:dd:ee:ff; etype and proto as names; src_net/dst_net as the
 * masked prefix of src_addr/dst_addr ("invalid Prefix" when that cannot be
 * formed); repeated fields as arrays. xdpflow's sampler_id and sampler_port
 * follow at the end, then the enrichment fields of an enriched flow (see
 * encode_json_enriched: only those present, strings escaped, invalid UTF-8
 * replaced). Hand-written with no printf and no allocation: the output is
 * built in the caller's buffer, or, when the caller's space is smaller than
 * the worst case, its bounded part in a stack buffer and the enrichment
 * strings, measured exactly, after it.
 */
#include "encode/encode.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

/* Worst case of one line, with every field at its longest value and every
 * array full: keys ~1.4 KB, scalars ~0.6 KB, arrays ~2.3 KB. Checked by
 * the unit test with a maximal record. */
#define JSON_WORST 4608
_Static_assert(JSON_WORST <= ENCODE_MAX_LEN,
	       "JSON line must fit ENCODE_MAX_LEN");

struct name {
	const char *s;
	unsigned len;
};

#define N(x)                                                                   \
	{                                                                      \
		x, sizeof(x) - 1                                               \
	}

/* GoFlow2's protocol-number names (IANA keywords), 0..145. */
static const struct name proto_names[] = {
	N("HOPOPT"),
	N("ICMP"),
	N("IGMP"),
	N("GGP"),
	N("IPv4"),
	N("ST"),
	N("TCP"),
	N("CBT"),
	N("EGP"),
	N("IGP"),
	N("BBN-RCC-MON"),
	N("NVP-II"),
	N("PUP"),
	N("ARGUS"),
	N("EMCON"),
	N("XNET"),
	N("CHAOS"),
	N("UDP"),
	N("MUX"),
	N("DCN-MEAS"),
	N("HMP"),
	N("PRM"),
	N("XNS-IDP"),
	N("TRUNK-1"),
	N("TRUNK-2"),
	N("LEAF-1"),
	N("LEAF-2"),
	N("RDP"),
	N("IRTP"),
	N("ISO-TP4"),
	N("NETBLT"),
	N("MFE-NSP"),
	N("MERIT-INP"),
	N("DCCP"),
	N("3PC"),
	N("IDPR"),
	N("XTP"),
	N("DDP"),
	N("IDPR-CMTP"),
	N("TP++"),
	N("IL"),
	N("IPv6"),
	N("SDRP"),
	N("IPv6-Route"),
	N("IPv6-Frag"),
	N("IDRP"),
	N("RSVP"),
	N("GRE"),
	N("DSR"),
	N("BNA"),
	N("ESP"),
	N("AH"),
	N("I-NLSP"),
	N("SWIPE"),
	N("NARP"),
	N("Min-IPv4"),
	N("TLSP"),
	N("SKIP"),
	N("IPv6-ICMP"),
	N("IPv6-NoNxt"),
	N("IPv6-Opts"),
	N("any-host-internal-protocol"),
	N("CFTP"),
	N("any-local-network"),
	N("SAT-EXPAK"),
	N("KRYPTOLAN"),
	N("RVD"),
	N("IPPC"),
	N("any-distributed-file-system"),
	N("SAT-MON"),
	N("VISA"),
	N("IPCV"),
	N("CPNX"),
	N("CPHB"),
	N("WSN"),
	N("PVP"),
	N("BR-SAT-MON"),
	N("SUN-ND"),
	N("WB-MON"),
	N("WB-EXPAK"),
	N("ISO-IP"),
	N("VMTP"),
	N("SECURE-VMTP"),
	N("VINES"),
	N("IPTM"),
	N("NSFNET-IGP"),
	N("DGP"),
	N("TCF"),
	N("EIGRP"),
	N("OSPFIGP"),
	N("Sprite-RPC"),
	N("LARP"),
	N("MTP"),
	N("AX.25"),
	N("IPIP"),
	N("MICP"),
	N("SCC-SP"),
	N("ETHERIP"),
	N("ENCAP"),
	N("any-private-encryption-scheme"),
	N("GMTP"),
	N("IFMP"),
	N("PNNI"),
	N("PIM"),
	N("ARIS"),
	N("SCPS"),
	N("QNX"),
	N("A/N"),
	N("IPComp"),
	N("SNP"),
	N("Compaq-Peer"),
	N("IPX-in-IP"),
	N("VRRP"),
	N("PGM"),
	N("any-0-hop-protocol"),
	N("L2TP"),
	N("DDX"),
	N("IATP"),
	N("STP"),
	N("SRP"),
	N("UTI"),
	N("SMP"),
	N("SM"),
	N("PTP"),
	N("ISIS over IPv4"),
	N("FIRE"),
	N("CRTP"),
	N("CRUDP"),
	N("SSCOPMCE"),
	N("IPLT"),
	N("SPS"),
	N("PIPE"),
	N("SCTP"),
	N("FC"),
	N("RSVP-E2E-IGNORE"),
	N("Mobility Header"),
	N("UDPLite"),
	N("MPLS-in-IP"),
	N("manet"),
	N("HIP"),
	N("Shim6"),
	N("WESP"),
	N("ROHC"),
	N("Ethernet"),
	N("AGGFRAG"),
	N("NSH"),
};

static const struct name type_names[] = {
	N("FLOWUNKNOWN"), N("SFLOW_5"), N("NETFLOW_V5"),
	N("NETFLOW_V9"),  N("IPFIX"),
};

static const struct name layer_names[] = {
	N("Ethernet"),
	N("IPv4"),
	N("IPv6"),
	N("TCP"),
	N("UDP"),
	N("MPLS"),
	N("Dot1Q"),
	N("ICMP"),
	N("ICMPv6"),
	N("GRE"),
	N("IPv6HeaderRouting"),
	N("IPv6HeaderFragment"),
	N("Geneve"),
	N("Teredo"),
};

/* "00".."ff" as 16-bit words whose first byte in memory is the first
 * digit (the words are stored with memcpy, so the table is built in the
 * machine's byte order). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HP(x) (uint16_t)(HC((x) >> 4) | HC((x)&15) << 8)
#else
#define HP(x) (uint16_t)(HC((x) >> 4) << 8 | HC((x)&15))
#endif
#define HC(n) ((n) < 10 ? '0' + (n) : 'a' - 10 + (n))
#define HP4(x) HP(x), HP((x) + 1), HP((x) + 2), HP((x) + 3)
#define HP16(x) HP4(x), HP4((x) + 4), HP4((x) + 8), HP4((x) + 12)
#define HP64(x) HP16(x), HP16((x) + 16), HP16((x) + 32), HP16((x) + 48)
static const uint16_t hex_pairs[256] = { HP64(0), HP64(64), HP64(128),
					 HP64(192) };

static const char digit_pairs[201] =
	"00010203040506070809"
	"10111213141516171819"
	"20212223242526272829"
	"30313233343536373839"
	"40414243444546474849"
	"50515253545556575859"
	"60616263646566676869"
	"70717273747576777879"
	"80818283848586878889"
	"90919293949596979899";

#define LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) += sizeof(s) - 1)

static inline char *put_name(char *p, const struct name *n)
{
	memcpy(p, n->s, n->len);
	return p + n->len;
}

/* Exactly nine digits, zero-padded (v < 10^9). */
static char *put_pad9(char *p, uint32_t v)
{
	char *s = p + 9;

	for (int i = 0; i < 4; i++) {
		uint32_t r = v % 100;

		v /= 100;
		s -= 2;
		memcpy(s, digit_pairs + 2 * r, 2);
	}
	s[-1] = (char)('0' + v);
	return p + 9;
}

static inline char *put_pair(char *p, uint32_t v)
{
	memcpy(p, digit_pairs + 2 * v, 2);
	return p + 2;
}

/* v < 100 without a leading zero. */
static inline char *put_lead(char *p, uint32_t v)
{
	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	return put_pair(p, v);
}

/* Decimal of v >= 10: the leading one or two digits, then pairs, the
 * number of pairs picked by comparisons (no digit count, no loop). */
static char *put_u32_slow(char *p, uint32_t v)
{
	if (v < 100)
		return put_pair(p, v);
	if (v < 10000) {
		p = put_lead(p, v / 100);
		return put_pair(p, v % 100);
	}
	if (v < 1000000) {
		p = put_lead(p, v / 10000);
		v %= 10000;
	} else {
		if (v < 100000000) {
			p = put_lead(p, v / 1000000);
			v %= 1000000;
		} else {
			p = put_lead(p, v / 100000000);
			v %= 100000000;
			p = put_pair(p, v / 1000000);
			v %= 1000000;
		}
		p = put_pair(p, v / 10000);
		v %= 10000;
	}
	p = put_pair(p, v / 100);
	return put_pair(p, v % 100);
}

/* Most 32-bit fields are zero or one digit: keep that inline. */
static inline char *put_u32(char *p, uint32_t v)
{
	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	return put_u32_slow(p, v);
}

static char *put_u64(char *p, uint64_t v)
{
	uint64_t hi;

	if (v <= UINT32_MAX)
		return put_u32(p, (uint32_t)v);
	hi = v / 1000000000u;
	if (hi <= UINT32_MAX) {
		p = put_u32(p, (uint32_t)hi);
	} else {
		p = put_u32(p, (uint32_t)(hi / 1000000000u));
		p = put_pad9(p, (uint32_t)(hi % 1000000000u));
	}
	return put_pad9(p, (uint32_t)(v % 1000000000u));
}

/* 0..255 in decimal: the digits, padded to 4 bytes, and the count in the
 * last byte, so an octet is one 4-byte store (the bytes past the returned
 * end are scratch that the rest of the line overwrites). */
#define D3(n)                                                                  \
	{                                                                      \
		(char)((n) >= 100  ? '0' + (n) / 100                           \
		       : (n) >= 10 ? '0' + (n) / 10                            \
				   : '0' + (n)),                               \
			(char)((n) >= 100  ? '0' + (n) / 10 % 10               \
			       : (n) >= 10 ? '0' + (n) % 10                    \
					   : 0),                               \
			(char)((n) >= 100 ? '0' + (n) % 10 : 0),               \
			(char)((n) >= 100  ? 3                                 \
			       : (n) >= 10 ? 2                                 \
					   : 1)                                \
	}
#define D3_4(n) D3(n), D3((n) + 1), D3((n) + 2), D3((n) + 3)
#define D3_16(n) D3_4(n), D3_4((n) + 4), D3_4((n) + 8), D3_4((n) + 12)
#define D3_64(n) D3_16(n), D3_16((n) + 16), D3_16((n) + 32), D3_16((n) + 48)
static const char dec_u8[256][4] = { D3_64(0), D3_64(64), D3_64(128),
				     D3_64(192) };

static inline char *put_u8(char *p, unsigned v)
{
	memcpy(p, dec_u8[v], 4);
	return p + dec_u8[v][3];
}

static char *put_ip4(char *p, const uint8_t *b)
{
	p = put_u8(p, b[0]);
	*p++ = '.';
	p = put_u8(p, b[1]);
	*p++ = '.';
	p = put_u8(p, b[2]);
	*p++ = '.';
	return put_u8(p, b[3]);
}

/* Hex without leading zeros, as Go's netip (v <= 0xffff). The four digits
 * are made in one word and stored at once, less the leading zeros' bytes;
 * the 4 - n bytes past the returned end are scratch that the rest of the
 * line overwrites (an address is always followed by more of the line). */
static inline char *put_hex16(char *p, uint32_t v)
{
	unsigned n =
		(35u - (unsigned)__builtin_clz(v | 1)) / 4u; /* 0: 1 digit */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t w = (uint32_t)hex_pairs[v >> 8] | (uint32_t)hex_pairs[v & 0xff]
							   << 16;

	w >>= 8 * (4 - n); /* the leading digits are the low bytes */
#else
	uint32_t w = (uint32_t)hex_pairs[v >> 8] << 16 | hex_pairs[v & 0xff];

	w <<= 8 * (4 - n);
#endif
	memcpy(p, &w, 4);
	return p + n;
}

/* Bit i set when 16-bit group i (from the top) of x is zero. */
static inline unsigned zero_groups(uint64_t x)
{
	const uint64_t low15 = 0x7fff7fff7fff7fffULL;
	uint64_t t = ~(((x & low15) + low15) | x) & ~low15;

	return (unsigned)(t >> 63 | (t >> 46 & 2) | (t >> 29 & 4) |
			  (t >> 12 & 8));
}

static inline uint64_t load_be64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, 8);
	return be64toh(v);
}

static inline uint32_t load_be32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return be32toh(v);
}

static char *put_ip4_word(char *p, uint32_t a)
{
	p = put_u8(p, a >> 24);
	*p++ = '.';
	p = put_u8(p, (a >> 16) & 0xff);
	*p++ = '.';
	p = put_u8(p, (a >> 8) & 0xff);
	*p++ = '.';
	return put_u8(p, a & 0xff);
}

/* RFC 5952 as netip.Addr.String, of the address hi:lo (host order): the
 * longest run (>= 2, first on a tie) of zero groups becomes "::"; an
 * IPv4-mapped address is "::ffff:a.b.c.d". The zero groups are a bit mask
 * made without a loop; its runs are found a run at a time. */
static char *put_ip6_words(char *p, uint64_t hi, uint64_t lo)
{
	unsigned zero = zero_groups(hi) | zero_groups(lo) << 4;
	unsigned zs = 8, ze = 8, best = 1;

	if (!hi && lo >> 32 == 0xffff) {
		LIT(p, "::ffff:");
		return put_ip4_word(p, (uint32_t)lo);
	}
	for (unsigned m = zero; m;) {
		unsigned s = (unsigned)__builtin_ctz(m);
		unsigned len = (unsigned)__builtin_ctz(~(m >> s));

		if (len > best) {
			best = len;
			zs = s;
			ze = s + len;
		}
		m &= ~(((1u << len) - 1) << s);
	}
	for (unsigned i = 0; i < 8; i++) {
		uint64_t w = i < 4 ? hi : lo;

		if (i == zs) {
			*p++ = ':';
			*p++ = ':';
			i = ze;
			if (i >= 8)
				break;
			w = i < 4 ? hi : lo;
		} else if (i > 0) {
			*p++ = ':';
		}
		p = put_hex16(p, (uint32_t)(w >> (48 - 16 * (i & 3))) & 0xffff);
	}
	return p;
}

static char *put_ip6(char *p, const uint8_t *b)
{
	return put_ip6_words(p, load_be64(b), load_be64(b + 8));
}

/* An address as a quoted string; "" for an absent or malformed one. */
static char *put_addr_q(char *p, const uint8_t *b, unsigned len)
{
	*p++ = '"';
	if (len == 4)
		p = put_ip4(p, b);
	else if (len == 16)
		p = put_ip6(p, b);
	*p++ = '"';
	return p;
}

/* The prefix of a's first bits bits, masked, as Go's netip.Prefix. */
static char *put_prefix_q(char *p, const struct flow_addr *a, uint32_t bits)
{
	unsigned nbytes = a->len;

	if ((nbytes != 4 && nbytes != 16) || bits > nbytes * 8u) {
		LIT(p, "\"invalid Prefix\"");
		return p;
	}
	*p++ = '"';
	if (nbytes == 4) {
		uint32_t mask = bits ? ~0u << (32 - bits) : 0;

		p = put_ip4_word(p, load_be32(a->b) & mask);
	} else {
		uint64_t mhi = bits >= 64 ? ~0ULL
			       : bits	  ? ~0ULL << (64 - bits)
					  : 0;
		uint64_t mlo = bits <= 64 ? 0 : ~0ULL << (128 - bits);

		p = put_ip6_words(p, load_be64(a->b) & mhi,
				  load_be64(a->b + 8) & mlo);
	}
	*p++ = '/';
	p = put_u32(p, bits);
	*p++ = '"';
	return p;
}

static char *put_mac_q(char *p, uint64_t mac)
{
	*p++ = '"';
	for (int i = 5; i >= 0; i--) {
		memcpy(p, &hex_pairs[(mac >> (8 * i)) & 0xff], 2);
		p[2] = ':';
		p += 3;
	}
	p[-1] = '"';
	return p;
}

/* Enum name, or its number as a string as protobuf-go prints unknown values:
 * enums are int32, so values above INT32_MAX print negative. */
static char *put_enum_q(char *p, const struct name *names, size_t n, uint32_t v)
{
	*p++ = '"';
	if (v < n) {
		p = put_name(p, &names[v]);
	} else if ((int32_t)v < 0) {
		*p++ = '-';
		p = put_u32(p, 0u - v);
	} else {
		p = put_u32(p, v);
	}
	*p++ = '"';
	return p;
}

static char *put_layer_q(char *p, uint32_t v)
{
	if (v == 99) {
		LIT(p, "\"Custom\"");
		return p;
	}
	return put_enum_q(p, layer_names,
			  sizeof(layer_names) / sizeof(layer_names[0]), v);
}

static char *put_etype_q(char *p, uint32_t v)
{
	switch (v) {
	case 0x800:
		LIT(p, "\"IPv4\"");
		break;
	case 0x806:
		LIT(p, "\"ARP\"");
		break;
	case 0x86dd:
		LIT(p, "\"IPv6\"");
		break;
	default:
		LIT(p, "\"\"");
	}
	return p;
}

static char *put_proto_q(char *p, uint32_t v)
{
	*p++ = '"';
	if (v < sizeof(proto_names) / sizeof(proto_names[0]))
		p = put_name(p, &proto_names[v]);
	else if (v <= 252)
		LIT(p, "unassigned");
	else if (v <= 254)
		LIT(p, "experimental");
	else if (v == 255)
		LIT(p, "reserved");
	else
		LIT(p, "unknown");
	*p++ = '"';
	return p;
}

static char *put_u32_array(char *p, const uint32_t *v, size_t n)
{
	*p++ = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		p = put_u32(p, v[i]);
	}
	*p++ = ']';
	return p;
}

static inline size_t clamp(size_t n, size_t max)
{
	return n < max ? n : max;
}

/* Writes the line but its enrichment fields and closing "}\n" at p, which
 * has room for JSON_WORST bytes. */
static char *json_line(char *p, const struct flow_rec *r,
		       const struct flow_enriched *e)
{
	size_t n;

	LIT(p, "{\"type\":");
	p = put_enum_q(p, type_names,
		       sizeof(type_names) / sizeof(type_names[0]), r->type);
	LIT(p, ",\"time_received_ns\":");
	p = put_u64(p, r->time_received_ns);
	LIT(p, ",\"sequence_num\":");
	p = put_u32(p, r->sequence_num);
	LIT(p, ",\"sampling_rate\":");
	p = put_u64(p, r->sampling_rate);
	LIT(p, ",\"sampler_address\":");
	p = put_addr_q(p, r->sampler_address.b, r->sampler_address.len);
	LIT(p, ",\"time_flow_start_ns\":");
	p = put_u64(p, r->time_flow_start_ns);
	LIT(p, ",\"time_flow_end_ns\":");
	p = put_u64(p, r->time_flow_end_ns);
	LIT(p, ",\"bytes\":");
	p = put_u64(p, r->bytes);
	LIT(p, ",\"packets\":");
	p = put_u64(p, r->packets);
	LIT(p, ",\"src_addr\":");
	p = put_addr_q(p, r->src_addr.b, r->src_addr.len);
	LIT(p, ",\"dst_addr\":");
	p = put_addr_q(p, r->dst_addr.b, r->dst_addr.len);
	LIT(p, ",\"etype\":");
	p = put_etype_q(p, r->etype);
	LIT(p, ",\"proto\":");
	p = put_proto_q(p, r->proto);
	LIT(p, ",\"src_port\":");
	p = put_u32(p, r->src_port);
	LIT(p, ",\"dst_port\":");
	p = put_u32(p, r->dst_port);
	LIT(p, ",\"in_if\":");
	p = put_u32(p, r->in_if);
	LIT(p, ",\"out_if\":");
	p = put_u32(p, r->out_if);
	LIT(p, ",\"src_mac\":");
	p = put_mac_q(p, r->src_mac);
	LIT(p, ",\"dst_mac\":");
	p = put_mac_q(p, r->dst_mac);
	LIT(p, ",\"src_vlan\":");
	p = put_u32(p, r->src_vlan);
	LIT(p, ",\"dst_vlan\":");
	p = put_u32(p, r->dst_vlan);
	LIT(p, ",\"vlan_id\":");
	p = put_u32(p, r->vlan_id);
	LIT(p, ",\"ip_tos\":");
	p = put_u32(p, r->ip_tos);
	LIT(p, ",\"forwarding_status\":");
	p = put_u32(p, r->forwarding_status);
	LIT(p, ",\"ip_ttl\":");
	p = put_u32(p, r->ip_ttl);
	LIT(p, ",\"ip_flags\":");
	p = put_u32(p, r->ip_flags);
	LIT(p, ",\"tcp_flags\":");
	p = put_u32(p, r->tcp_flags);
	LIT(p, ",\"icmp_type\":");
	p = put_u32(p, r->icmp_type);
	LIT(p, ",\"icmp_code\":");
	p = put_u32(p, r->icmp_code);
	LIT(p, ",\"ipv6_flow_label\":");
	p = put_u32(p, r->ipv6_flow_label);
	LIT(p, ",\"fragment_id\":");
	p = put_u32(p, r->fragment_id);
	LIT(p, ",\"fragment_offset\":");
	p = put_u32(p, r->fragment_offset);
	LIT(p, ",\"src_as\":");
	p = put_u32(p, e && e->has_src_as ? e->src_as : r->src_as);
	LIT(p, ",\"dst_as\":");
	p = put_u32(p, e && e->has_dst_as ? e->dst_as : r->dst_as);
	LIT(p, ",\"next_hop\":");
	p = put_addr_q(p, r->next_hop.b, r->next_hop.len);
	LIT(p, ",\"next_hop_as\":");
	p = put_u32(p, r->next_hop_as);
	LIT(p, ",\"src_net\":");
	p = put_prefix_q(p, &r->src_addr, r->src_net);
	LIT(p, ",\"dst_net\":");
	p = put_prefix_q(p, &r->dst_addr, r->dst_net);
	LIT(p, ",\"bgp_next_hop\":");
	p = put_addr_q(p, r->bgp_next_hop.b, r->bgp_next_hop.len);
	LIT(p, ",\"bgp_communities\":");
	p = put_u32_array(p, r->bgp_communities,
			  clamp(r->n_communities, FLOW_MAX_COMMUNITIES));
	LIT(p, ",\"as_path\":");
	p = put_u32_array(p, r->as_path, clamp(r->n_as_path, FLOW_MAX_AS_PATH));
	LIT(p, ",\"mpls_ttl\":");
	p = put_u32_array(p, r->mpls_ttl, clamp(r->n_mpls_ttl, FLOW_MAX_MPLS));
	LIT(p, ",\"mpls_label\":");
	p = put_u32_array(p, r->mpls_label, clamp(r->n_mpls, FLOW_MAX_MPLS));
	LIT(p, ",\"mpls_ip\":[");
	n = clamp(r->n_mpls_ip, FLOW_MAX_MPLS);
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		p = put_addr_q(p, r->mpls_ip[i].b, r->mpls_ip[i].len);
	}
	LIT(p, "],\"observation_domain_id\":");
	p = put_u32(p, r->observation_domain_id);
	LIT(p, ",\"observation_point_id\":");
	p = put_u32(p, r->observation_point_id);
	LIT(p, ",\"layer_stack\":[");
	n = clamp(r->n_layers, FLOW_MAX_LAYERS);
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		p = put_layer_q(p, r->layer_stack[i]);
	}
	LIT(p, "],\"layer_size\":");
	p = put_u32_array(p, r->layer_size, n);
	LIT(p, ",\"ipv6_routing_header_addresses\":[");
	n = clamp(r->n_srv6, FLOW_MAX_SRV6);
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		p = put_addr_q(p, r->srv6_addr[i], 16);
	}
	LIT(p, "],\"ipv6_routing_header_seg_left\":");
	p = put_u32(p, r->ipv6_routing_header_seg_left);
	LIT(p, ",\"sampler_id\":");
	p = put_u32(p, r->sampler_id);
	LIT(p, ",\"sampler_port\":");
	p = put_u32(p, r->sampler_port);
	return p;
}

/* The enrichment fields, in proto field-number order (1010 and up): the
 * strings, then where the speeds go among them. */
struct enr_str {
	struct name key; /* ,"name":" */
	size_t off;	 /* of the struct flow_str in struct flow_enriched */
};

#define ES(f)                                                                  \
	{                                                                      \
		N(",\"" #f "\":\""), offsetof(struct flow_enriched, f)         \
	}

static const struct enr_str enr_strs[] = {
	ES(src_country),    ES(dst_country),	   ES(src_as_name),
	ES(dst_as_name),    ES(src_net_name),	   ES(dst_net_name),
	ES(src_net_role),   ES(dst_net_role),	   ES(src_net_site),
	ES(dst_net_site),   ES(src_net_region),	   ES(dst_net_region),
	ES(src_net_tenant), ES(dst_net_tenant),	   ES(in_if_name),
	ES(out_if_name),    ES(in_if_description), ES(out_if_description),
	ES(exporter_name),  ES(exporter_group),	   ES(exporter_role),
	ES(exporter_site),  ES(exporter_region),   ES(exporter_tenant),
};
#define N_ENR_STR (sizeof(enr_strs) / sizeof(enr_strs[0]))
/* in_if_speed (1034) and out_if_speed (1035) follow out_if_description. */
#define ENR_SPEEDS_AFTER 18
/* The longest key of either kind, with its punctuation; a speed's digits. */
#define ENR_KEY_MAX 24
#define ENR_U64_MAX 20
_Static_assert(sizeof(",\"out_if_description\":\"") - 1 <= ENR_KEY_MAX,
	       "ENR_KEY_MAX");

static inline struct flow_str enr_str_at(const struct flow_enriched *e,
					 size_t i)
{
	struct flow_str s;

	memcpy(&s, (const char *)e + enr_strs[i].off, sizeof(s));
	return s;
}

/* Bytes that need more than a copy in a JSON string: controls, '"', '\\'
 * and every byte >= 0x80 (UTF-8 is checked). */
static const uint8_t json_special[256] = {
	[0 ... 0x1f] = 1,
	['"'] = 1,
	['\\'] = 1,
	[0x80 ... 0xff] = 1,
};

/* Whether none of the 8 bytes of w is special (json_special): no byte
 * below 0x20, none 0x80 or above, no '"' and no '\\'. Exact, as a whole
 * word (the borrows of the subtractions only matter once a byte has
 * matched). */
static inline int word_plain(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
	uint64_t lt20 = (w - ones * 0x20) & ~w;
	uint64_t isq = (q - ones) & ~q, isb = (b - ones) & ~b;

	return !((lt20 | isq | isb | w) & high);
}

static inline uint64_t load_n(const uint8_t *s, size_t n)
{
	uint64_t w = 0;

	memcpy(&w, s, n); /* n is a constant at every call */
	return w;
}

/* Whether none of the n bytes at s is special, a word at a time: the last
 * word overlaps the one before it, and a string shorter than a word is
 * read as two overlapping halves (only its own bytes are read), the rest
 * of the word filled with plain bytes. */
static inline int all_plain(const uint8_t *s, size_t n)
{
	const uint64_t fill = 0x6161616161616161ULL; /* "aaaaaaaa" */
	size_t i;

	if (n >= 8) {
		for (i = 0; i + 8 < n; i += 8)
			if (!word_plain(load_n(s + i, 8)))
				return 0;
		return word_plain(load_n(s + n - 8, 8));
	}
	if (n >= 4)
		return word_plain(load_n(s, 4) | load_n(s + n - 4, 4) << 32);
	if (n >= 2)
		return word_plain(load_n(s, 2) | load_n(s + n - 2, 2) << 16 |
				  (fill & ~0xffffffffULL));
	return n == 0 || word_plain(load_n(s, 1) | (fill & ~0xffULL));
}

/* Copies n bytes of s to p: up to 16 inline, as two overlapping moves that
 * touch only those bytes, longer through memcpy. */
static inline void copy_n(char *p, const uint8_t *s, size_t n)
{
	if (n >= 8 && n <= 16) {
		memcpy(p, s, 8);
		memcpy(p + n - 8, s + n - 8, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(p, s, 4);
		memcpy(p + n - 4, s + n - 4, 4);
	} else if (n >= 2 && n < 4) {
		memcpy(p, s, 2);
		memcpy(p + n - 2, s + n - 2, 2);
	} else if (n == 1) {
		*p = (char)*s;
	} else if (n) {
		memcpy(p, s, n);
	}
}

/* At s (n >= 1 bytes, s[0] >= 0x80): the length of the well-formed UTF-8
 * sequence there (2 to 4), or 0 with *bad the length of its maximal
 * ill-formed subpart (Unicode 15, 3.9 "U+FFFD substitution of maximal
 * subparts", as Python's errors="replace" and WHATWG decoders do), which
 * becomes one U+FFFD. */
static size_t utf8_seq(const uint8_t *s, size_t n, size_t *bad)
{
	uint8_t b = s[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (b >= 0xc2 && b <= 0xdf) {
		need = 1;
	} else if (b >= 0xe0 && b <= 0xef) {
		need = 2;
		lo = b == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
		hi = b == 0xed ? 0x9f : 0xbf; /* no surrogates */
	} else if (b >= 0xf0 && b <= 0xf4) {
		need = 3;
		lo = b == 0xf0 ? 0x90 : 0x80; /* no overlong forms */
		hi = b == 0xf4 ? 0x8f : 0xbf; /* nothing past U+10FFFF */
	} else {
		*bad = 1;
		return 0;
	}
	for (size_t i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

/* U+2028 and U+2029 (E2 80 A8/A9) are valid JSON but end a line in
 * JavaScript: escaped, as Go's encoding/json does. */
static inline int is_js_sep(const uint8_t *s, size_t seq)
{
	return seq == 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	       (s[2] == 0xa8 || s[2] == 0xa9);
}

/* The escape of byte c, a control character, '"' or '\\', at p (at most 6
 * bytes): its short form or \u00XX. Returns the end. */
static char *put_esc(char *p, uint8_t c)
{
	static const char short_esc[128] = {
		['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n',  ['\f'] = 'f',
		['\r'] = 'r', ['"'] = '"',  ['\\'] = '\\',
	};

	*p++ = '\\';
	if (short_esc[c]) {
		*p++ = short_esc[c];
		return p;
	}
	LIT(p, "u00");
	memcpy(p, &hex_pairs[c], 2);
	return p + 2;
}

/* The n bytes at s as the inside of a JSON string, at most 6 bytes per
 * input byte, written at p unless p is NULL. Returns their length. */
static size_t json_str(char *p, const uint8_t *s, size_t n)
{
	size_t cnt = 0;

	if (all_plain(s, n)) { /* most names: copied as they are */
		if (p)
			copy_n(p, s, n);
		return n;
	}
	for (size_t i = 0; i < n;) {
		char esc[6], *e = esc;
		size_t run = i, seq, bad = 0;

		while (n - run >= 8) { /* 8 plain bytes at a time */
			uint64_t w;

			memcpy(&w, s + run, 8);
			if (!word_plain(w))
				break;
			run += 8;
		}
		while (run < n && !json_special[s[run]])
			run++;
		if (run > i) { /* plain ASCII: copied */
			if (p)
				memcpy(p + cnt, s + i, run - i);
			cnt += run - i;
			i = run;
			continue;
		}
		if (s[i] < 0x80) { /* control, '"' or '\\' */
			e = put_esc(esc, s[i]);
			i++;
		} else if ((seq = utf8_seq(s + i, n - i, &bad)) &&
			   !is_js_sep(s + i, seq)) { /* valid UTF-8: copied */
			if (p)
				memcpy(p + cnt, s + i, seq);
			cnt += seq;
			i += seq;
			continue;
		} else if (seq) { /* U+2028, U+2029 */
			memcpy(esc, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029",
			       6);
			e = esc + 6;
			i += seq;
		} else { /* ill-formed: one U+FFFD per maximal subpart */
			memcpy(esc, "\\ufffd", 6);
			e = esc + 6;
			i += bad;
		}
		if (p)
			memcpy(p + cnt, esc, (size_t)(e - esc));
		cnt += (size_t)(e - esc);
	}
	return cnt;
}

static size_t u64_digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static char *put_speed(char *p, const char *key, size_t klen, uint64_t v)
{
	memcpy(p, key, klen);
	return put_u64(p + klen, v);
}

/* The enrichment fields of e (lens[i]: the length of string i, 0 absent) at p,
 * exactly the bytes json_enr_len counts; nothing past them. */
static char *json_enr(char *p, const struct flow_enriched *e,
		      const size_t *lens)
{
	for (size_t i = 0; i < N_ENR_STR; i++) {
		if (i == ENR_SPEEDS_AFTER) {
			if (e->in_if_speed)
				p = put_speed(p, ",\"in_if_speed\":",
					      sizeof(",\"in_if_speed\":") - 1,
					      e->in_if_speed);
			if (e->out_if_speed)
				p = put_speed(p, ",\"out_if_speed\":",
					      sizeof(",\"out_if_speed\":") - 1,
					      e->out_if_speed);
		}
		if (!lens[i])
			continue;
		p = put_name(p, &enr_strs[i].key);
		p += json_str(p, (const uint8_t *)enr_str_at(e, i).s, lens[i]);
		*p++ = '"';
	}
	return p;
}

/* The exact length of json_enr's output. */
static size_t json_enr_len(const struct flow_enriched *e, const size_t *lens)
{
	size_t n = 0;

	if (e->in_if_speed)
		n += sizeof(",\"in_if_speed\":") - 1 +
		     u64_digits(e->in_if_speed);
	if (e->out_if_speed)
		n += sizeof(",\"out_if_speed\":") - 1 +
		     u64_digits(e->out_if_speed);
	for (size_t i = 0; i < N_ENR_STR; i++)
		if (lens[i])
			n += enr_strs[i].key.len + 1 +
			     json_str(NULL, (const uint8_t *)enr_str_at(e, i).s,
				      lens[i]);
	return n;
}

ssize_t encode_json_enriched(const struct flow_rec *rec,
			     const struct flow_enriched *enr, uint8_t *buf,
			     size_t cap)
{
	size_t lens[N_ENR_STR];
	size_t worst = JSON_WORST, n, tail;
	char tmp[JSON_WORST];
	char *p;

	if (enr) {
		/* A bound from the lengths alone: 6 bytes per string byte. */
		worst += 2 * (ENR_KEY_MAX + ENR_U64_MAX);
		for (size_t i = 0; i < N_ENR_STR; i++) {
			lens[i] = enr_str_at(enr, i).len;
			if (lens[i])
				worst += ENR_KEY_MAX + 1 + 6 * lens[i];
		}
	}
	if (cap >= worst) {
		p = json_line((char *)buf, rec, enr);
		if (enr)
			p = json_enr(p, enr, lens);
		LIT(p, "}\n");
		return p - (char *)buf;
	}
	/* Short buffer: the bounded part aside (its scratch bytes stay
	 * there), then the exact length of the rest decides. */
	n = (size_t)(json_line(tmp, rec, enr) - tmp);
	tail = (enr ? json_enr_len(enr, lens) : 0) + 2;
	if (n > cap || cap - n < tail)
		return -ENOSPC;
	memcpy(buf, tmp, n);
	p = (char *)buf + n;
	if (enr)
		p = json_enr(p, enr, lens);
	LIT(p, "}\n");
	return (ssize_t)(n + tail);
}

ssize_t encode_json(const struct flow_rec *rec, uint8_t *buf, size_t cap)
{
	return encode_json_enriched(rec, NULL, buf, cap);
}
