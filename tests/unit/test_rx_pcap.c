// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the capture source: small pcap files written byte by byte
 * here (Ethernet with VLAN, Linux SLL/SLL2, raw IP, BSD null), checked for
 * what comes out (payload, exporter, ports, time stamp, hint) and what is
 * counted (ignored, truncated, fragments, reassembled).
 */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rx/rx_pcap.h"

#define DLT_EN10MB_ 1
#define DLT_NULL_ 0
#define LINKTYPE_RAW_ 101
#define LINKTYPE_SLL_ 113
#define LINKTYPE_SLL2_ 276

struct frame {
	uint8_t b[2048];
	size_t n;
};

static void put(struct frame *f, const void *p, size_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}
static void put16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(f, b, 2);
}
static void put32(struct frame *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

/* Starts a new frame in f: an Ethernet header, with vlans VLAN tags (the
 * outer one 802.1ad when there are two), then etype. */
static void ether(struct frame *f, uint16_t etype, int vlans)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	f->n = 0;
	put(f, macs, 12);
	for (int i = 0; i < vlans; i++) {
		put16(f, i == 0 && vlans > 1 ? 0x88a8 : 0x8100);
		put16(f, (uint16_t)(100 + i));
	}
	put16(f, etype);
}

/* IPv4 + UDP header + payload; frag_off in bytes, mf the more flag. When
 * udp is false only the payload follows the IP header (a later fragment). */
static void ipv4(struct frame *f, const uint8_t src[4], uint16_t id,
		 uint32_t frag_off, int mf, bool udp, uint16_t sport,
		 uint16_t dport, uint16_t udp_len, const uint8_t *pl,
		 size_t pl_len)
{
	static const uint8_t dst[4] = { 198, 18, 0, 2 };
	size_t tot = 20 + (udp ? 8 : 0) + pl_len;

	put8(f, 0x45);
	put8(f, 0);
	put16(f, (uint16_t)tot);
	put16(f, id);
	put16(f, (uint16_t)((mf ? 0x2000 : 0) | (frag_off / 8)));
	put8(f, 64);
	put8(f, 17);
	put16(f, 0);
	put(f, src, 4);
	put(f, dst, 4);
	if (udp) {
		put16(f, sport);
		put16(f, dport);
		put16(f, udp_len);
		put16(f, 0);
	}
	put(f, pl, pl_len);
}

static void ipv6_udp(struct frame *f, const uint8_t src[16], uint16_t sport,
		     uint16_t dport, const uint8_t *pl, size_t pl_len,
		     bool hop_by_hop)
{
	static const uint8_t dst[16] = { 0x20, 0x01, 0, 2, [15] = 2 };

	put32(f, 0x60000000);
	put16(f, (uint16_t)(8 + pl_len + (hop_by_hop ? 8 : 0)));
	put8(f, hop_by_hop ? 0 : 17);
	put8(f, 64);
	put(f, src, 16);
	put(f, dst, 16);
	if (hop_by_hop) {
		static const uint8_t hbh[8] = { 17, 0, 1, 4, 0, 0, 0, 0 };

		put(f, hbh, 8);
	}
	put16(f, sport);
	put16(f, dport);
	put16(f, (uint16_t)(8 + pl_len));
	put16(f, 0);
	put(f, pl, pl_len);
}

/* A pcap file (microsecond or nanosecond magic) of the frames. */
struct capture {
	char path[64];
	FILE *f;
};

static void cap_open(struct capture *c, uint32_t linktype, bool nsec)
{
	uint32_t hdr[6] = { nsec ? 0xa1b23c4d : 0xa1b2c3d4,
			    0x00040002,
			    0,
			    0,
			    65535,
			    linktype };

	snprintf(c->path, sizeof(c->path), "/tmp/test_rx_pcap.XXXXXX");
	int fd = mkstemp(c->path);

	assert_true(fd >= 0);
	c->f = fdopen(fd, "wb");
	assert_non_null(c->f);
	/* Native byte order: libpcap reads either. */
	assert_int_equal(fwrite(hdr, sizeof(hdr), 1, c->f), 1);
}

static void cap_add(struct capture *c, const struct frame *fr, uint32_t sec,
		    uint32_t frac, size_t caplen)
{
	uint32_t rec[4] = { sec, frac, (uint32_t)caplen, (uint32_t)fr->n };

	assert_int_equal(fwrite(rec, sizeof(rec), 1, c->f), 1);
	assert_int_equal(fwrite(fr->b, caplen, 1, c->f), 1);
}

static struct rx *cap_finish(struct capture *c)
{
	static const struct rx_pcap_port ports[] = {
		{ 2055, DECODE_NETFLOW },
		{ 6343, DECODE_SFLOW },
		{ 2055, DECODE_SFLOW }, /* a later duplicate loses */
	};
	struct rx *rx = NULL;
	char err[256];

	assert_int_equal(fclose(c->f), 0);
	assert_int_equal(rx_pcap_open(c->path, ports, 3, &rx, err, sizeof(err)),
			 0);
	unlink(c->path); /* libpcap holds it open */
	assert_int_equal(rx_fd(rx), -1);
	return rx;
}

static const uint8_t SRC4[4] = { 198, 18, 0, 1 };
static const uint8_t SRC6[16] = { 0x20, 0x01, 0, 2, [15] = 1 };
static const uint8_t PAYLOAD[] = "\x00\x05\x00\x01 netflow-ish bytes";

static void test_ethernet_ipv4_and_vlan_ipv6(void **state)
{
	struct capture c;
	struct frame f = { .n = 0 };
	struct datagram dg[4];
	struct rx_stats st;
	struct rx *rx;

	(void)state;
	cap_open(&c, DLT_EN10MB_, false);
	ether(&f, 0x0800, 0);
	ipv4(&f, SRC4, 1, 0, 0, true, 40000, 2055, 8 + sizeof(PAYLOAD), PAYLOAD,
	     sizeof(PAYLOAD));
	put(&f, "\0\0\0\0", 4); /* Ethernet padding past the IP length */
	cap_add(&c, &f, 1700000000, 123456, f.n);
	ether(&f, 0x86dd, 2);
	ipv6_udp(&f, SRC6, 50000, 6343, PAYLOAD, 10, true);
	cap_add(&c, &f, 1700000001, 1, f.n);
	rx = cap_finish(&c);

	assert_int_equal(rx_recv(rx, dg, 4), 1);
	assert_int_equal(dg[0].len, sizeof(PAYLOAD));
	assert_memory_equal(dg[0].data, PAYLOAD, sizeof(PAYLOAD));
	assert_int_equal(dg[0].exporter.len, 4);
	assert_memory_equal(dg[0].exporter.b, SRC4, 4);
	assert_int_equal(dg[0].exporter_port, 40000);
	assert_int_equal(dg[0].local_port, 2055);
	assert_int_equal(dg[0].hint, DECODE_NETFLOW);
	assert_int_equal(dg[0].time_received_ns, 1700000000123456000ULL);
	rx_release(rx, dg, 1);

	assert_int_equal(rx_recv(rx, dg, 4), 1);
	assert_int_equal(dg[0].len, 10);
	assert_memory_equal(dg[0].data, PAYLOAD, 10);
	assert_int_equal(dg[0].exporter.len, 16);
	assert_memory_equal(dg[0].exporter.b, SRC6, 16);
	assert_int_equal(dg[0].exporter_port, 50000);
	assert_int_equal(dg[0].hint, DECODE_SFLOW);
	assert_int_equal(dg[0].time_received_ns, 1700000001000001000ULL);

	assert_int_equal(rx_recv(rx, dg, 4), -ENODATA);
	assert_int_equal(rx_recv(rx, dg, 4), -ENODATA);
	rx_get_stats(rx, &st);
	assert_int_equal(st.packets, 2);
	assert_int_equal(st.bytes, sizeof(PAYLOAD) + 10);
	assert_int_equal(st.ignored, 0);
	rx_close(rx);
}

static void test_ignored_and_truncated(void **state)
{
	struct capture c;
	struct frame f = { .n = 0 };
	struct datagram dg[1];
	struct rx_stats st;
	struct rx *rx;

	(void)state;
	cap_open(&c, DLT_EN10MB_, true);
	/* UDP to a port nobody listens on. */
	ether(&f, 0x0800, 0);
	ipv4(&f, SRC4, 1, 0, 0, true, 1, 53, 8 + 4, PAYLOAD, 4);
	cap_add(&c, &f, 1, 0, f.n);
	/* ARP. */
	ether(&f, 0x0806, 0);
	put(&f, (const uint8_t[28]){ 0 }, 28);
	cap_add(&c, &f, 1, 0, f.n);
	/* Snapped short: the UDP length says more than was captured. */
	ether(&f, 0x0800, 0);
	ipv4(&f, SRC4, 2, 0, 0, true, 1, 2055, 8 + sizeof(PAYLOAD), PAYLOAD,
	     sizeof(PAYLOAD));
	cap_add(&c, &f, 1, 0, f.n - 5);
	/* A UDP length larger than the IP datagram. */
	ether(&f, 0x0800, 0);
	ipv4(&f, SRC4, 3, 0, 0, true, 1, 2055, 8 + 200, PAYLOAD, 4);
	cap_add(&c, &f, 1, 0, f.n);
	/* A frame cut inside the Ethernet header. */
	ether(&f, 0x0800, 0);
	cap_add(&c, &f, 1, 0, 10);
	/* A good one last, with a nanosecond time stamp. */
	ether(&f, 0x0800, 0);
	ipv4(&f, SRC4, 4, 0, 0, true, 7, 6343, 8 + 3, PAYLOAD, 3);
	cap_add(&c, &f, 2, 999999999, f.n);
	rx = cap_finish(&c);

	assert_int_equal(rx_recv(rx, dg, 1), 1);
	assert_int_equal(dg[0].len, 3);
	assert_int_equal(dg[0].hint, DECODE_SFLOW);
	assert_int_equal(dg[0].time_received_ns, 2999999999ULL);
	assert_int_equal(rx_recv(rx, dg, 1), -ENODATA);
	rx_get_stats(rx, &st);
	assert_int_equal(st.packets, 1);
	assert_int_equal(st.ignored, 2);
	assert_int_equal(st.truncated, 3);
	rx_close(rx);
}

static void test_ipv4_reassembly(void **state)
{
	uint8_t big[1200];
	struct capture c;
	struct frame f = { .n = 0 };
	struct datagram dg[1];
	struct rx_stats st;
	struct rx *rx;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	cap_open(&c, DLT_EN10MB_, false);
	/* UDP payload 1200 bytes = 1208 IP payload: fragments at 0 (UDP
	 * header + 592), 600 (600 bytes) and 1200 (8 bytes), sent last,
	 * first, middle. An unrelated fragment that never completes rides
	 * along. */
	ether(&f, 0x0800, 0);
	ipv4(&f, SRC4, 77, 1200, 0, false, 0, 0, 0, big + 1192, 8);
	cap_add(&c, &f, 5, 0, f.n);
	ether(&f, 0x0800, 0);
	ipv4(&f, SRC4, 99, 0, 1, true, 1, 2055, 100, big, 16);
	cap_add(&c, &f, 5, 0, f.n);
	ether(&f, 0x0800, 0);
	ipv4(&f, SRC4, 77, 0, 1, true, 4444, 2055, 8 + 1200, big, 592);
	cap_add(&c, &f, 5, 0, f.n);
	ether(&f, 0x0800, 0);
	ipv4(&f, SRC4, 77, 600, 1, false, 0, 0, 0, big + 592, 600);
	cap_add(&c, &f, 5, 1000, f.n);
	rx = cap_finish(&c);

	assert_int_equal(rx_recv(rx, dg, 1), 1);
	assert_int_equal(dg[0].len, 1200);
	assert_memory_equal(dg[0].data, big, 1200);
	assert_int_equal(dg[0].exporter_port, 4444);
	assert_int_equal(dg[0].local_port, 2055);
	assert_int_equal(dg[0].time_received_ns, 5001000000ULL);
	assert_int_equal(rx_recv(rx, dg, 1), -ENODATA);
	rx_get_stats(rx, &st);
	assert_int_equal(st.fragments, 4);
	assert_int_equal(st.reassembled, 1);
	assert_int_equal(st.packets, 1);
	rx_close(rx);
}

static void test_fragment_flood_is_bounded(void **state)
{
	struct capture c;
	struct frame f = { .n = 0 };
	struct datagram dg[1];
	struct rx_stats st;
	struct rx *rx;

	(void)state;
	cap_open(&c, DLT_EN10MB_, false);
	/* 100 first fragments that never complete, then bogus ones. */
	for (uint16_t id = 0; id < 100; id++) {
		ether(&f, 0x0800, 0);
		ipv4(&f, SRC4, id, 0, 1, true, 1, 2055, 200, PAYLOAD, 8);
		cap_add(&c, &f, 1, id, f.n);
	}
	ether(&f, 0x0800, 0);
	ipv4(&f, SRC4, 500, 65528, 0, false, 0, 0, 0, PAYLOAD, 16);
	cap_add(&c, &f, 1, 0, f.n);
	ether(&f, 0x0800, 0);
	ipv4(&f, SRC4, 501, 8, 1, false, 0, 0, 0, PAYLOAD, 5); /* not 8k */
	cap_add(&c, &f, 1, 0, f.n);
	rx = cap_finish(&c);
	assert_int_equal(rx_recv(rx, dg, 1), -ENODATA);
	rx_get_stats(rx, &st);
	assert_int_equal(st.fragments, 102);
	assert_int_equal(st.reassembled, 0);
	assert_int_equal(st.packets, 0);
	assert_int_equal(st.ignored, 2);
	rx_close(rx);
}

/* The same IPv4 datagram behind each other link type. */
static void one_linktype(uint32_t linktype)
{
	struct capture c;
	struct frame f = { .n = 0 };
	struct datagram dg[1];
	struct rx *rx;

	cap_open(&c, linktype, false);
	switch (linktype) {
	case LINKTYPE_SLL_:
		put16(&f, 0);
		put16(&f, 1);
		put16(&f, 6);
		put(&f, "\2\0\0\0\0\1\0\0", 8);
		put16(&f, 0x0800);
		break;
	case LINKTYPE_SLL2_:
		put16(&f, 0x0800);
		put16(&f, 0);
		put32(&f, 3);
		put16(&f, 1);
		put8(&f, 0);
		put8(&f, 6);
		put(&f, "\2\0\0\0\0\1\0\0", 8);
		break;
	case DLT_NULL_: {
		uint32_t fam = 2; /* AF_INET in the writer's byte order */

		put(&f, &fam, 4);
		break;
	}
	default:
		break;
	}
	ipv4(&f, SRC4, 1, 0, 0, true, 9, 2055, 8 + 5, PAYLOAD, 5);
	cap_add(&c, &f, 1, 0, f.n);
	rx = cap_finish(&c);
	assert_int_equal(rx_recv(rx, dg, 1), 1);
	assert_int_equal(dg[0].len, 5);
	assert_memory_equal(dg[0].exporter.b, SRC4, 4);
	assert_int_equal(rx_recv(rx, dg, 1), -ENODATA);
	rx_close(rx);
}

static void test_link_types(void **state)
{
	(void)state;
	one_linktype(LINKTYPE_SLL_);
	one_linktype(LINKTYPE_SLL2_);
	one_linktype(LINKTYPE_RAW_);
	one_linktype(DLT_NULL_);
}

static void test_open_errors(void **state)
{
	struct rx_pcap_port port = { 2055, DECODE_NETFLOW };
	struct capture c;
	struct rx *rx = NULL;
	char err[256];

	(void)state;
	assert_int_equal(rx_pcap_open("/nonexistent/x.pcap", &port, 1, &rx, err,
				      sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.pcap"));

	/* Not a capture. */
	cap_open(&c, DLT_EN10MB_, false);
	fseek(c.f, 0, SEEK_SET);
	fputs("this is not a pcap file at all, no sir", c.f);
	fclose(c.f);
	assert_int_equal(rx_pcap_open(c.path, &port, 1, &rx, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, c.path));
	unlink(c.path);

	/* A link type we do not parse (IEEE 802.11 = 105). */
	cap_open(&c, 105, false);
	fclose(c.f);
	assert_int_equal(rx_pcap_open(c.path, &port, 1, &rx, err, sizeof(err)),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "link type"));
	unlink(c.path);
}

static void test_truncated_file(void **state)
{
	struct capture c;
	struct frame f = { .n = 0 };
	struct datagram dg[1];
	struct rx *rx;
	uint32_t rec[4] = { 1, 0, 500, 500 };

	(void)state;
	cap_open(&c, DLT_EN10MB_, false);
	ether(&f, 0x0800, 0);
	ipv4(&f, SRC4, 1, 0, 0, true, 9, 2055, 8 + 5, PAYLOAD, 5);
	cap_add(&c, &f, 1, 0, f.n);
	/* A record header promising more than the file holds. */
	fwrite(rec, sizeof(rec), 1, c.f);
	fwrite(f.b, 20, 1, c.f);
	rx = cap_finish(&c);
	assert_int_equal(rx_recv(rx, dg, 1), 1);
	assert_int_equal(rx_recv(rx, dg, 1), -ENODATA);
	rx_close(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4_and_vlan_ipv6),
		cmocka_unit_test(test_ignored_and_truncated),
		cmocka_unit_test(test_ipv4_reassembly),
		cmocka_unit_test(test_fragment_flood_is_bounded),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_truncated_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
