// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of xsk_frame_parse (AF_XDP frame -> struct datagram): IPv4
 * with options, IPv6 with extension headers, VLAN and QinQ, Ethernet
 * padding trimmed by the IP length, and refusals: fragments, non-UDP,
 * bad lengths, three VLAN tags, every truncation.
 */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>

#include "xdp/xsk_frame.h"

struct spec {
	int vlans;
	int family;
	int ip4_opts;  /* 32-bit words */
	uint16_t frag; /* IPv4 flags/offset field */
	int n_ext;     /* IPv6 destination-options headers */
	bool ext_frag; /* IPv6 fragment header */
	uint8_t proto;
	int pad;	   /* Ethernet padding after the IP packet */
	int udp_len_delta; /* added to the UDP length field */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Builds a frame with payload "hello-xdp" (9 bytes); returns its length. */
static size_t build(uint8_t *b, const struct spec *s)
{
	size_t o = 12, ip, l4;
	int i;

	memset(b, 0, 512);
	for (i = 0; i < s->vlans; i++) {
		put16(b + o, i == 0 && s->vlans > 1 ? 0x88A8 : 0x8100);
		put16(b + o + 2, 10);
		o += 4;
	}
	put16(b + o, s->family == 4 ? 0x0800 : 0x86DD);
	o += 2;
	ip = o;
	if (s->family == 4) {
		size_t hl = 20 + 4 * (size_t)s->ip4_opts;

		b[o] = (uint8_t)(0x40 | hl / 4);
		put16(b + o + 6, s->frag);
		b[o + 9] = s->proto;
		memcpy(b + o + 12, "\xc6\x12\x00\x01\xc6\x12\x00\x02", 8);
		o += hl;
	} else {
		uint8_t *nh = b + o + 6;

		b[o] = 0x60;
		b[o + 8] = 0x20;
		b[o + 9] = 0x01;
		b[o + 23] = 1;
		o += 40;
		for (i = 0; i < s->n_ext + (s->ext_frag ? 1 : 0); i++) {
			*nh = i < s->n_ext ? 60 : 44;
			nh = b + o;
			o += 8;
		}
		*nh = s->proto;
	}
	l4 = o;
	put16(b + o, 4739);
	put16(b + o + 2, 2055);
	put16(b + o + 4, (uint16_t)(8 + 9 + s->udp_len_delta));
	memcpy(b + o + 8, "hello-xdp", 9);
	o += 17;
	if (s->family == 4)
		put16(b + ip + 2, (uint16_t)(o - ip));
	else
		put16(b + ip + 4, (uint16_t)(o - ip - 40));
	(void)l4;
	return o + (size_t)s->pad;
}

static void ok(const struct spec *s)
{
	uint8_t b[512];
	size_t len = build(b, s);
	struct datagram dg = { 0 };

	assert_int_equal(xsk_frame_parse(b, len, &dg), 0);
	assert_int_equal(dg.len, 9);
	assert_memory_equal(dg.data, "hello-xdp", 9);
	assert_int_equal(dg.exporter_port, 4739);
	assert_int_equal(dg.local_port, 2055);
	assert_int_equal(dg.exporter.len, s->family == 4 ? 4 : 16);
	if (s->family == 4)
		assert_memory_equal(dg.exporter.b, "\xc6\x12\x00\x01", 4);
	else
		assert_int_equal(dg.exporter.b[15], 1);
	/* every cut inside the frame's IP packet is refused, never over-read */
	for (size_t cut = 0; cut < len - (size_t)s->pad; cut++)
		assert_int_equal(xsk_frame_parse(b, cut, &dg), -EINVAL);
}

static void bad(const struct spec *s)
{
	uint8_t b[512];
	size_t len = build(b, s);
	struct datagram dg = { 0 };

	assert_int_equal(xsk_frame_parse(b, len, &dg), -EINVAL);
}

static void t_ipv4(void **state)
{
	(void)state;
	ok(&(struct spec){ .family = 4, .proto = 17 });
	ok(&(struct spec){ .family = 4, .proto = 17, .ip4_opts = 10 });
	ok(&(struct spec){ .family = 4, .proto = 17, .pad = 20 });
	ok(&(struct spec){ .family = 4, .proto = 17, .frag = 0x4000 }); /* DF */
	ok(&(struct spec){ .family = 4, .proto = 17, .vlans = 2 });
}

static void t_ipv6(void **state)
{
	(void)state;
	ok(&(struct spec){ .family = 6, .proto = 17 });
	ok(&(struct spec){ .family = 6, .proto = 17, .n_ext = 6, .vlans = 1 });
	ok(&(struct spec){ .family = 6, .proto = 17, .pad = 6 });
}

static void t_refused(void **state)
{
	(void)state;
	bad(&(struct spec){ .family = 4, .proto = 17, .frag = 0x2000 });
	bad(&(struct spec){ .family = 4, .proto = 17, .frag = 0x0010 });
	bad(&(struct spec){ .family = 4, .proto = 6 });
	bad(&(struct spec){ .family = 4, .proto = 17, .vlans = 3 });
	bad(&(struct spec){ .family = 4, .proto = 17, .udp_len_delta = 1 });
	bad(&(struct spec){ .family = 4, .proto = 17, .udp_len_delta = -10 });
	bad(&(struct spec){ .family = 6, .proto = 17, .ext_frag = true });
	bad(&(struct spec){ .family = 6, .proto = 17, .n_ext = 7 });
	bad(&(struct spec){ .family = 6, .proto = 58 });
}

static void t_lengths(void **state)
{
	uint8_t b[512];
	struct datagram dg = { 0 };
	size_t len = build(b, &(struct spec){ .family = 4, .proto = 17 });

	(void)state;
	b[14] = 0x44; /* IHL 4: shorter than a header */
	assert_int_equal(xsk_frame_parse(b, len, &dg), -EINVAL);
	len = build(b, &(struct spec){ .family = 4, .proto = 17 });
	put16(b + 16, 200); /* total length past the frame */
	assert_int_equal(xsk_frame_parse(b, len, &dg), -EINVAL);
	len = build(b, &(struct spec){ .family = 6, .proto = 17 });
	put16(b + 18, 200); /* payload length past the frame */
	assert_int_equal(xsk_frame_parse(b, len, &dg), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_ipv4),
		cmocka_unit_test(t_ipv6),
		cmocka_unit_test(t_refused),
		cmocka_unit_test(t_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
