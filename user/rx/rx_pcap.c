// SPDX-License-Identifier: Apache-2.0
/*
 * Offline receive from a capture file: link layer, IPv4/IPv6 and UDP
 * parsing with every read bounds-checked (the capture is as hostile as the
 * wire), bounded IPv4 reassembly, and one datagram per rx_recv pointing
 * into libpcap's buffer or a reassembly slot.
 */
#include "rx/rx_pcap.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/bytes.h"

#define MAX_PORTS 64
#define FRAG_SLOTS 8
#define FRAG_MAX_LEN 65536 /* IP payload offset + length bound */
#define FRAG_MAX_AGE_NS (30ULL * 1000000000ULL)
#define FRAMES_PER_CALL 4096 /* bounds the work of one rx_recv */

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

/* One IPv4 datagram being rebuilt from its fragments. */
struct frag_slot {
	bool used;
	bool last_seen;
	uint8_t src[4], dst[4];
	uint16_t id;
	uint32_t total; /* payload length, known once last_seen */
	uint32_t n_frags;
	uint64_t first_ns; /* capture time of the first fragment */
	uint8_t have[FRAG_MAX_LEN / 8 / 8]; /* one bit per 8-byte block */
	uint8_t data[FRAG_MAX_LEN];
};

struct rx_pcap {
	struct rx rx;
	pcap_t *pcap;
	int linktype;
	size_t n_ports;
	struct rx_pcap_port ports[MAX_PORTS];
	struct frag_slot *frags; /* FRAG_SLOTS */
};

/* What the network and transport layers yield for one frame. */
struct udp_view {
	struct flow_addr src;
	uint16_t sport, dport;
	const uint8_t *payload;
	size_t len;
};

enum parse_res { P_OK, P_IGNORE, P_TRUNC, P_FRAG_HELD };

static const struct rx_pcap_port *find_port(const struct rx_pcap *s,
					    uint16_t port)
{
	for (size_t i = 0; i < s->n_ports; i++)
		if (s->ports[i].port == port)
			return &s->ports[i];
	return NULL;
}

static enum parse_res parse_udp(struct cur c, struct udp_view *v)
{
	uint16_t ulen;

	v->sport = cur_be16(&c);
	v->dport = cur_be16(&c);
	ulen = cur_be16(&c);
	cur_skip(&c, 2); /* checksum */
	if (c.bad)
		return P_TRUNC;
	if (ulen < 8)
		return P_IGNORE;
	if ((size_t)(ulen - 8) > c.left)
		return P_TRUNC;
	v->payload = c.p;
	v->len = (size_t)(ulen - 8);
	return P_OK;
}

static bool frag_complete(const struct frag_slot *f)
{
	uint32_t blocks = (f->total + 7) / 8;

	if (!f->last_seen)
		return false;
	for (uint32_t b = 0; b < blocks; b++)
		if (!(f->have[b / 8] & (1u << (b % 8))))
			return false;
	return true;
}

/* Finds or claims the slot of (src, dst, id); evicts the oldest when all
 * are busy, counting what it held as lost fragments. */
static struct frag_slot *frag_slot(struct rx_pcap *s, const uint8_t *src,
				   const uint8_t *dst, uint16_t id,
				   uint64_t now)
{
	struct frag_slot *free_slot = NULL, *oldest = NULL;

	for (int i = 0; i < FRAG_SLOTS; i++) {
		struct frag_slot *f = &s->frags[i];

		if (f->used && now - f->first_ns > FRAG_MAX_AGE_NS &&
		    now > f->first_ns)
			f->used = false;
		if (!f->used) {
			if (!free_slot)
				free_slot = f;
			continue;
		}
		if (f->id == id && !memcmp(f->src, src, 4) &&
		    !memcmp(f->dst, dst, 4))
			return f;
		if (!oldest || f->first_ns < oldest->first_ns)
			oldest = f;
	}
	if (!free_slot)
		free_slot = oldest;
	free_slot->used = true;
	free_slot->last_seen = false;
	memcpy(free_slot->src, src, 4);
	memcpy(free_slot->dst, dst, 4);
	free_slot->id = id;
	free_slot->total = 0;
	free_slot->n_frags = 0;
	free_slot->first_ns = now;
	memset(free_slot->have, 0, sizeof(free_slot->have));
	return free_slot;
}

/* Adds one fragment's payload; returns P_OK with v filled once the
 * datagram is whole, P_FRAG_HELD while it is not, P_IGNORE if bogus. */
static enum parse_res frag_add(struct rx_pcap *s, const uint8_t *iph,
			       uint32_t off, bool more, struct cur pl,
			       uint64_t now, struct udp_view *v)
{
	struct frag_slot *f;
	uint32_t len = (uint32_t)pl.left;
	enum parse_res r;

	rx_count(&s->rx.cnt.fragments, 1);
	if (off + len > FRAG_MAX_LEN || (more && (len % 8 || len == 0)))
		return P_IGNORE;
	f = frag_slot(s, iph + 12, iph + 16, be16_at(iph + 4), now);
	if (!more) {
		if (f->last_seen && f->total != off + len) {
			f->used = false; /* contradictory ends: give up */
			return P_IGNORE;
		}
		f->last_seen = true;
		f->total = off + len;
	}
	if (f->last_seen && off + len > f->total) {
		f->used = false;
		return P_IGNORE;
	}
	memcpy(f->data + off, pl.p, len);
	for (uint32_t b = off / 8; b < (off + len + 7) / 8; b++)
		f->have[b / 8] |= (uint8_t)(1u << (b % 8));
	f->n_frags++;
	if (!frag_complete(f))
		return P_FRAG_HELD;
	/* The slot's bytes stay valid until the next frame is parsed. */
	f->used = false;
	r = parse_udp(cur_make(f->data, f->total), v);
	if (r == P_OK)
		rx_count(&s->rx.cnt.reassembled, 1);
	return r;
}

static enum parse_res parse_ipv4(struct rx_pcap *s, struct cur c, uint64_t now,
				 struct udp_view *v)
{
	const uint8_t *iph = c.p;
	size_t ihl, tot;
	uint16_t fo;

	if (c.left < 20)
		return P_TRUNC;
	ihl = (size_t)(iph[0] & 0x0f) * 4;
	tot = be16_at(iph + 2);
	if (ihl < 20 || tot < ihl)
		return P_IGNORE;
	if (tot > c.left)
		return P_TRUNC;
	if (iph[9] != 17)
		return P_IGNORE;
	c.left = tot; /* drop link-layer padding */
	cur_skip(&c, ihl);
	v->src.len = 4;
	memcpy(v->src.b, iph + 12, 4);
	fo = be16_at(iph + 6);
	if (fo & 0x3fff)
		return frag_add(s, iph, (uint32_t)(fo & 0x1fff) * 8,
				(fo & 0x2000) != 0, c, now, v);
	return parse_udp(c, v);
}

static enum parse_res parse_ipv6(struct rx_pcap *s, struct cur c,
				 struct udp_view *v)
{
	const uint8_t *ip6 = cur_take(&c, 40);
	uint8_t nh;
	size_t plen;

	if (!ip6)
		return P_TRUNC;
	plen = be16_at(ip6 + 4);
	if (plen > c.left)
		return P_TRUNC;
	c.left = plen;
	v->src.len = 16;
	memcpy(v->src.b, ip6 + 8, 16);
	nh = ip6[6];
	for (int i = 0; i < 8 && nh != 17; i++) {
		const uint8_t *h = c.p;

		if (c.left < 8)
			return P_TRUNC;
		switch (nh) {
		case 0:	 /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			if (!cur_skip(&c, ((size_t)h[1] + 1) * 8))
				return P_TRUNC;
			break;
		case 51: /* AH */
			if (!cur_skip(&c, ((size_t)h[1] + 2) * 4))
				return P_TRUNC;
			break;
		case 44: /* fragment: only an atomic one is whole */
			if ((be16_at(h + 2) & 0xfff9) != 0) {
				rx_count(&s->rx.cnt.fragments, 1);
				return P_IGNORE;
			}
			cur_skip(&c, 8);
			break;
		default:
			return P_IGNORE;
		}
		nh = h[0];
	}
	if (nh != 17)
		return P_IGNORE;
	return parse_udp(c, v);
}

static enum parse_res parse_l3(struct rx_pcap *s, uint16_t etype, struct cur c,
			       uint64_t now, struct udp_view *v)
{
	if (etype == 0x0800)
		return parse_ipv4(s, c, now, v);
	if (etype == 0x86dd)
		return parse_ipv6(s, c, v);
	return P_IGNORE;
}

/* Ethertype-led payload, 802.1Q/802.1ad tags skipped. */
static enum parse_res parse_ether_payload(struct rx_pcap *s, uint16_t etype,
					  struct cur c, uint64_t now,
					  struct udp_view *v)
{
	for (int i = 0;
	     i < 4 && (etype == 0x8100 || etype == 0x88a8 || etype == 0x9100);
	     i++) {
		cur_skip(&c, 2);
		etype = cur_be16(&c);
		if (c.bad)
			return P_TRUNC;
	}
	return parse_l3(s, etype, c, now, v);
}

static enum parse_res parse_frame(struct rx_pcap *s, const uint8_t *p,
				  size_t len, uint64_t now, struct udp_view *v)
{
	struct cur c = cur_make(p, len);
	uint16_t etype;
	uint32_t fam;

	switch (s->linktype) {
	case DLT_EN10MB:
		cur_skip(&c, 12);
		etype = cur_be16(&c);
		break;
	case DLT_LINUX_SLL:
		cur_skip(&c, 14);
		etype = cur_be16(&c);
		break;
	case DLT_LINUX_SLL2:
		etype = cur_be16(&c);
		cur_skip(&c, 18);
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (len < 1)
			return P_TRUNC;
		if (p[0] >> 4 == 4)
			return parse_ipv4(s, c, now, v);
		if (p[0] >> 4 == 6)
			return parse_ipv6(s, c, v);
		return P_IGNORE;
	case DLT_NULL:
	case DLT_LOOP:
		fam = cur_be32(&c);
		if (c.bad)
			return P_TRUNC;
		/* DLT_NULL is in the capturing host's byte order. */
		if (s->linktype == DLT_NULL && (fam & 0xffff) == 0)
			fam = __builtin_bswap32(fam);
		if (fam == 2)
			return parse_ipv4(s, c, now, v);
		if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
			return parse_ipv6(s, c, v);
		return P_IGNORE;
	default:
		return P_IGNORE;
	}
	if (c.bad)
		return P_TRUNC;
	return parse_ether_payload(s, etype, c, now, v);
}

static int pcap_recv(struct rx *rx, struct datagram *dgs, size_t max)
{
	struct rx_pcap *s = (struct rx_pcap *)rx;

	if (max == 0)
		return 0;
	for (int i = 0; i < FRAMES_PER_CALL; i++) {
		struct pcap_pkthdr *h;
		const u_char *data;
		const struct rx_pcap_port *port;
		struct udp_view v;
		uint64_t now;
		int rc = pcap_next_ex(s->pcap, &h, &data);

		if (rc == PCAP_ERROR_BREAK)
			return -ENODATA;
		if (rc != 1) {
			/* A damaged record ends the capture as libpcap sees it. */
			rx_count(&rx->cnt.errors, 1);
			return -ENODATA;
		}
		now = (uint64_t)h->ts.tv_sec * 1000000000ULL +
		      (uint64_t)h->ts.tv_usec; /* opened with ns precision */
		memset(&v, 0, sizeof(v));
		switch (parse_frame(s, data, h->caplen, now, &v)) {
		case P_OK:
			break;
		case P_TRUNC:
			rx_count(&rx->cnt.truncated, 1);
			continue;
		case P_FRAG_HELD:
			continue;
		case P_IGNORE:
		default:
			rx_count(&rx->cnt.ignored, 1);
			continue;
		}
		port = find_port(s, v.dport);
		if (!port) {
			rx_count(&rx->cnt.ignored, 1);
			continue;
		}
		dgs[0].data = v.payload;
		dgs[0].len = v.len;
		dgs[0].exporter = v.src;
		dgs[0].exporter_port = v.sport;
		dgs[0].local_port = v.dport;
		dgs[0].time_received_ns = now;
		dgs[0].hint = port->hint;
		rx_count(&rx->cnt.packets, 1);
		rx_count(&rx->cnt.bytes, v.len);
		return 1;
	}
	return 0;
}

static void pcap_rx_close(struct rx *rx)
{
	struct rx_pcap *s = (struct rx_pcap *)rx;

	if (s->pcap)
		pcap_close(s->pcap);
	free(s->frags);
	free(s);
}

static const struct rx_ops pcap_ops = {
	.name = "pcap",
	.recv = pcap_recv,
	.release = NULL, /* libpcap reuses its buffer on the next read */
	.close = pcap_rx_close,
};

int rx_pcap_open(const char *path, const struct rx_pcap_port *ports, size_t n,
		 struct rx **out, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct rx_pcap *s;
	struct stat st;
	const char *lt;
	int rc;

	if (stat(path, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "could not open capture %s: %s", path,
			 strerror(errno));
		return rc;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->frags = calloc(FRAG_SLOTS, sizeof(*s->frags)))) {
		free(s);
		snprintf(err, errlen, "could not open capture %s: %s", path,
			 strerror(ENOMEM));
		return -ENOMEM;
	}
	s->rx.ops = &pcap_ops;
	s->rx.fd = -1;
	for (size_t i = 0; i < n && s->n_ports < MAX_PORTS; i++)
		if (!find_port(s, ports[i].port))
			s->ports[s->n_ports++] = ports[i];
	s->pcap =
		pcap_open_offline_with_tstamp_precision(path,
							PCAP_TSTAMP_PRECISION_NANO,
							perr);
	if (!s->pcap) {
		snprintf(err, errlen, "could not read capture %s: %s", path,
			 perr);
		rc = -EINVAL;
		goto err;
	}
	s->linktype = pcap_datalink(s->pcap);
	switch (s->linktype) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		break;
	default:
		lt = pcap_datalink_val_to_name(s->linktype);
		snprintf(err, errlen,
			 "could not read capture %s: link type %s (%d) not supported",
			 path, lt ? lt : "?", s->linktype);
		rc = -EPROTONOSUPPORT;
		goto err;
	}
	*out = &s->rx;
	return 0;

err:
	pcap_rx_close(&s->rx);
	return rc;
}
