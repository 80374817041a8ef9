// SPDX-License-Identifier: Apache-2.0
/*
 * udp_replay: a small, bounded UDP sender for the benchmarks. It takes
 * datagrams from a pcap file (the UDP payloads, via libpcap), from payload
 * files (one datagram each) or from the synthetic generators of pktgen.h
 * (NetFlow v9, IPFIX, sFlow, or an IPFIX template flood spread over
 * template ids x observation domains x source ports), and sends them to
 * ADDR:PORT with sendmmsg from one or several source sockets, a number of
 * times, optionally paced to a rate, never longer than --max-seconds. It
 * ends with one line saying what it sent. With --write-pcap it writes the
 * same datagrams as Ethernet/IP/UDP frames to a pcap file instead.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "pktgen.h"

#define MAX_PKTS (4u << 20)    /* datagrams kept in memory */
#define MAX_TOTAL (1ULL << 31) /* and their bytes */
#define MAX_SRC_PORTS 1024
#define MAX_BATCH 1024
#define MAX_UDP 65507
#define SRC_PORT_BASE 40000 /* --write-pcap: source port of socket 0 */

struct pkt {
	uint8_t *data;
	uint32_t len;
	uint32_t flows; /* flows it carries, when generated (else 0) */
	uint16_t src;	/* index of the source socket */
};

struct pktset {
	struct pkt *v;
	size_t n, cap;
	uint64_t bytes;
};

struct opts {
	const char *to;
	const char *pcap_in;
	int port_filter;
	const char *gen;
	uint64_t gen_count;
	unsigned domains;
	unsigned src_ports;
	uint64_t loops;
	uint64_t count;
	double rate;
	double max_seconds;
	unsigned batch;
	const char *write_pcap;
	char **files;
	int n_files;
};

/* Appends a copy of one datagram. 0 or -1 (bounds, memory). */
static int set_add(struct pktset *s, const uint8_t *p, size_t len,
		   uint32_t flows, uint16_t src)
{
	uint8_t *copy;

	if (len > MAX_UDP || s->n >= MAX_PKTS || s->bytes + len > MAX_TOTAL) {
		fprintf(stderr,
			"udp_replay: input too large (%zu datagrams, "
			"%llu bytes kept at most)\n",
			(size_t)MAX_PKTS, (unsigned long long)MAX_TOTAL);
		return -1;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct pkt *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	copy = malloc(len ? len : 1);
	if (!copy)
		return -1;
	memcpy(copy, p, len);
	s->v[s->n++] = (struct pkt){ copy, (uint32_t)len, flows, src };
	s->bytes += len;
	return 0;
}

static void set_free(struct pktset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].data);
	free(s->v);
}

/* The UDP payload of one captured frame, or NULL (not UDP, fragment, to
 * another port, truncated). */
static const uint8_t *frame_udp(int dlt, const uint8_t *p, size_t caplen,
				int port_filter, size_t *plen)
{
	size_t off = 0, ip_len;
	unsigned etype = 0, proto;
	const uint8_t *ip;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return NULL;
		etype = (unsigned)p[12] << 8 | p[13];
		off = 14;
		for (int tags = 0;
		     tags < 2 && (etype == 0x8100 || etype == 0x88a8); tags++) {
			if (caplen < off + 4)
				return NULL;
			etype = (unsigned)p[off + 2] << 8 | p[off + 3];
			off += 4;
		}
		break;
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return NULL;
		etype = (unsigned)p[14] << 8 | p[15];
		off = 16;
		break;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return NULL;
		etype = (unsigned)p[0] << 8 | p[1];
		off = 20;
		break;
#endif
	case DLT_NULL:
	case DLT_LOOP:
		if (caplen < 4)
			return NULL;
		off = 4;
		etype = 0; /* decided by the IP version nibble below */
		break;
	default: /* raw IP: DLT_RAW, DLT_IPV4, DLT_IPV6 */
		off = 0;
		break;
	}
	if (caplen <= off)
		return NULL;
	ip = p + off;
	ip_len = caplen - off;
	if (etype == 0)
		etype = (ip[0] >> 4) == 6 ? 0x86dd : 0x0800;
	if (etype == 0x0800) {
		size_t ihl;

		if (ip_len < 20 || (ip[0] >> 4) != 4)
			return NULL;
		ihl = (size_t)(ip[0] & 15) * 4;
		if (ihl < 20 || ip_len < ihl + 8 || ip[9] != 17)
			return NULL;
		if (((unsigned)ip[6] << 8 | ip[7]) & 0x3fff) /* MF or offset */
			return NULL;
		off = ihl;
	} else if (etype == 0x86dd) {
		if (ip_len < 48 || (ip[0] >> 4) != 6)
			return NULL;
		proto = ip[6];
		off = 40;
		/* hop-by-hop, routing, destination options: bounded walk */
		for (int i = 0;
		     i < 4 && (proto == 0 || proto == 43 || proto == 60); i++) {
			if (ip_len < off + 8)
				return NULL;
			proto = ip[off];
			off += ((size_t)ip[off + 1] + 1) * 8;
		}
		if (proto != 17 || ip_len < off + 8)
			return NULL;
	} else {
		return NULL;
	}
	{
		const uint8_t *udp = ip + off;
		size_t ulen = (size_t)udp[4] << 8 | udp[5];
		int dport = udp[2] << 8 | udp[3];

		if (port_filter && dport != port_filter)
			return NULL;
		if (ulen < 8 || ulen > ip_len - off)
			return NULL;
		*plen = ulen - 8;
		return udp + 8;
	}
}

static int load_pcap(struct pktset *s, const char *path, int port_filter)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc = pcap_open_offline(path, err);
	int dlt, rc;
	size_t skipped = 0;

	if (!pc) {
		fprintf(stderr, "udp_replay: could not open %s: %s\n", path,
			err);
		return -1;
	}
	dlt = pcap_datalink(pc);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		size_t len;
		const uint8_t *pl =
			frame_udp(dlt, data, h->caplen, port_filter, &len);

		if (!pl) {
			skipped++;
			continue;
		}
		if (set_add(s, pl, len, 0, 0)) {
			pcap_close(pc);
			return -1;
		}
	}
	if (rc == -1)
		fprintf(stderr, "udp_replay: reading %s: %s\n", path,
			pcap_geterr(pc));
	pcap_close(pc);
	if (skipped)
		fprintf(stderr,
			"udp_replay: %zu frames of %s skipped (not UDP%s)\n",
			skipped, path, port_filter ? " to the port" : "");
	return rc == -1 ? -1 : 0;
}

static int load_file(struct pktset *s, const char *path)
{
	static uint8_t buf[MAX_UDP + 1];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "udp_replay: could not open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n > MAX_UDP) {
		fprintf(stderr,
			"udp_replay: %s is longer than a UDP datagram\n", path);
		return -1;
	}
	return set_add(s, buf, n, 0, 0);
}

/* The synthetic workloads: a template packet first (sent again on every
 * pass), then gen_count distinct data packets. */
static int gen_workload(struct pktset *s, const struct opts *o)
{
	uint8_t buf[PG_MAX_PKT];
	size_t len;
	bool nf9 = !strcmp(o->gen, "nf9"), ipfix = !strcmp(o->gen, "ipfix");

	if (nf9 || ipfix) {
		len = nf9 ? pg_nf9_template(buf, sizeof(buf), 0, 7)
			  : pg_ipfix_template(buf, sizeof(buf), 0, 7);
		if (!len || set_add(s, buf, len, 0, 0))
			return -1;
	}
	for (uint64_t i = 0; i < o->gen_count; i++) {
		uint32_t seq = (uint32_t)i + 1, flows = PG_RECORDS;

		if (nf9)
			len = pg_nf9_data(buf, sizeof(buf), seq, 7);
		else if (ipfix)
			len = pg_ipfix_data(buf, sizeof(buf), seq, 7);
		else {
			len = pg_sflow(buf, sizeof(buf), seq);
			flows = PG_SFLOW_SAMPLES;
		}
		if (!len || set_add(s, buf, len, flows, 0))
			return -1;
	}
	return 0;
}

/* gen_count distinct IPFIX templates: for each source port, for each
 * observation domain, template ids 256.. in messages of PG_FLOOD_PER_MSG. */
static int gen_flood(struct pktset *s, const struct opts *o)
{
	uint64_t keys = (uint64_t)o->src_ports * o->domains;
	uint64_t per_key = (o->gen_count + keys - 1) / keys,
		 left = o->gen_count;
	uint8_t buf[PG_MAX_PKT];

	if (per_key > 65535 - 256 + 1) {
		fprintf(stderr,
			"udp_replay: %llu templates need more source "
			"ports or domains (at most 65280 ids each)\n",
			(unsigned long long)o->gen_count);
		return -1;
	}
	for (unsigned p = 0; p < o->src_ports && left; p++)
		for (unsigned d = 0; d < o->domains && left; d++)
			for (uint64_t t = 0; t < per_key && left;) {
				unsigned n = PG_FLOOD_PER_MSG;
				size_t len;

				if (n > per_key - t)
					n = (unsigned)(per_key - t);
				if (n > left)
					n = (unsigned)left;
				/* no data records: sequence stays 0 */
				len = pg_ipfix_flood(buf, sizeof(buf), 0,
						     1000 + d,
						     (uint16_t)(256 + t), n);
				if (!len ||
				    set_add(s, buf, len, 0, (uint16_t)p))
					return -1;
				t += n;
				left -= n;
			}
	return 0;
}

/* "A.B.C.D:PORT" or "[V6]:PORT". */
static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;
	size_t hl;

	if (!colon)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 1 || port > 65535)
		return -1;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = 0;
	memset(ss, 0, sizeof(*ss));
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		host[hl - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -1;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -1;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*sl = sizeof(*a);
	}
	return 0;
}

struct sent {
	uint64_t packets, bytes, flows, errors;
	double seconds;
	bool timed_out;
};

/* The i-th datagram to send, over loops passes of the set. */
static const struct pkt *nth(const struct pktset *s, uint64_t i)
{
	return &s->v[i % s->n];
}

static int send_all(const struct pktset *s, const struct opts *o,
		    const struct sockaddr_storage *dst, socklen_t dl,
		    struct sent *st)
{
	static struct mmsghdr msg[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	int fds[MAX_SRC_PORTS];
	uint64_t total = (uint64_t)s->n * o->loops, i = 0;
	uint64_t t0, deadline, now;
	int rc = 0;

	if (o->count && o->count < total)
		total = o->count;
	for (unsigned k = 0; k < o->src_ports; k++) {
		fds[k] = socket(dst->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[k] < 0 ||
		    connect(fds[k], (const struct sockaddr *)dst, dl)) {
			fprintf(stderr,
				"udp_replay: could not open a socket to "
				"%s: %s\n",
				o->to, strerror(errno));
			for (unsigned j = 0; j <= k; j++)
				if (fds[j] >= 0)
					close(fds[j]);
			return -1;
		}
	}
	t0 = bu_now_ns();
	deadline = t0 + (uint64_t)(o->max_seconds * 1e9);
	while (i < total) {
		unsigned n = 0;
		uint16_t src = nth(s, i)->src;
		uint64_t allowed = total - i;
		int r;

		now = bu_now_ns();
		if (now >= deadline) {
			st->timed_out = true;
			break;
		}
		if (o->rate > 0) {
			double may = o->rate * (double)(now - t0) / 1e9 + 1;

			if ((double)i >= may) {
				double wait = ((double)i + 1 - may) / o->rate;
				struct timespec ts = { 0, (long)(wait * 1e9) };

				if (ts.tv_nsec < 20000)
					ts.tv_nsec = 20000;
				if (ts.tv_nsec > 10000000)
					ts.tv_nsec = 10000000;
				nanosleep(&ts, NULL);
				continue;
			}
			if ((double)allowed > may - (double)i)
				allowed = (uint64_t)(may - (double)i) + 1;
		}
		while (n < o->batch && n < allowed &&
		       nth(s, i + n)->src == src) {
			const struct pkt *p = nth(s, i + n);

			iov[n].iov_base = p->data;
			iov[n].iov_len = p->len;
			msg[n].msg_hdr = (struct msghdr){ .msg_iov = &iov[n],
							  .msg_iovlen = 1 };
			n++;
		}
		r = sendmmsg(fds[src], msg, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS || errno == EAGAIN) {
				struct timespec ts = { 0, 100000 };

				nanosleep(&ts, NULL);
				continue;
			}
			/* e.g. ECONNREFUSED from an earlier ICMP: skip one */
			st->errors++;
			i++;
			continue;
		}
		for (int k = 0; k < r; k++) {
			st->packets++;
			st->bytes += nth(s, i + (uint64_t)k)->len;
			st->flows += nth(s, i + (uint64_t)k)->flows;
		}
		i += (uint64_t)r;
	}
	st->seconds = (double)(bu_now_ns() - t0) / 1e9;
	for (unsigned k = 0; k < o->src_ports; k++)
		close(fds[k]);
	return rc;
}

/* Writes the datagrams as Ethernet frames from 127.0.0.1 (or ::1), source
 * port SRC_PORT_BASE + socket index, to --to. */
static int write_pcap(const struct pktset *s, const struct opts *o,
		      const struct sockaddr_storage *dst, struct sent *st)
{
	static uint8_t frame[14 + 40 + 8 + MAX_UDP];
	uint64_t total = (uint64_t)s->n * o->loops;
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *dump;
	bool v6 = dst->ss_family == AF_INET6;
	uint16_t dport =
		v6 ? ntohs(((const struct sockaddr_in6 *)dst)->sin6_port)
		   : ntohs(((const struct sockaddr_in *)dst)->sin_port);

	if (!pd)
		return -1;
	dump = pcap_dump_open(pd, o->write_pcap);
	if (!dump) {
		fprintf(stderr, "udp_replay: could not write %s: %s\n",
			o->write_pcap, pcap_geterr(pd));
		pcap_close(pd);
		return -1;
	}
	if (o->count && o->count < total)
		total = o->count;
	memset(frame, 0, 14);
	frame[12] = v6 ? 0x86 : 0x08;
	frame[13] = v6 ? 0xdd : 0x00;
	for (uint64_t i = 0; i < total; i++) {
		const struct pkt *p = nth(s, i);
		struct pcap_pkthdr h = { 0 };
		uint8_t *ip = frame + 14, *udp;
		size_t iphl = v6 ? 40 : 20;
		uint16_t ulen = (uint16_t)(8 + p->len);
		uint16_t sport = (uint16_t)(SRC_PORT_BASE + p->src);

		memset(ip, 0, iphl);
		if (v6) {
			ip[0] = 0x60;
			ip[4] = (uint8_t)(ulen >> 8);
			ip[5] = (uint8_t)ulen;
			ip[6] = 17;
			ip[7] = 64;
			ip[23] = 1; /* ::1 */
			memcpy(ip + 24,
			       &((const struct sockaddr_in6 *)dst)->sin6_addr,
			       16);
		} else {
			uint16_t tl = (uint16_t)(20 + ulen), c;

			ip[0] = 0x45;
			ip[2] = (uint8_t)(tl >> 8);
			ip[3] = (uint8_t)tl;
			ip[8] = 64;
			ip[9] = 17;
			ip[12] = 127;
			ip[15] = 1;
			memcpy(ip + 16,
			       &((const struct sockaddr_in *)dst)->sin_addr, 4);
			c = bu_csum(ip, 20, 0);
			ip[10] = (uint8_t)(c >> 8);
			ip[11] = (uint8_t)c;
		}
		udp = ip + iphl;
		udp[0] = (uint8_t)(sport >> 8);
		udp[1] = (uint8_t)sport;
		udp[2] = (uint8_t)(dport >> 8);
		udp[3] = (uint8_t)dport;
		udp[4] = (uint8_t)(ulen >> 8);
		udp[5] = (uint8_t)ulen;
		udp[6] = udp[7] = 0; /* checksum optional for our reader */
		memcpy(udp + 8, p->data, p->len);
		h.ts.tv_sec = PG_UNIX_SECS + (time_t)(i / 1000000);
		h.ts.tv_usec = (suseconds_t)(i % 1000000);
		h.caplen = h.len = (bpf_u_int32)(14 + iphl + ulen);
		pcap_dump((u_char *)dump, &h, frame);
		st->packets++;
		st->bytes += p->len;
		st->flows += p->flows;
	}
	pcap_dump_close(dump);
	pcap_close(pd);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: udp_replay -t ADDR:PORT [options] (--pcap FILE | --gen KIND | FILE...)\n"
		"  -t, --to ADDR:PORT     destination (A.B.C.D:P or [V6]:P)\n"
		"  -p, --pcap FILE        replay the UDP payloads of a capture\n"
		"      --port P           only those sent to UDP port P\n"
		"  -g, --gen KIND         nf9 | ipfix | sflow | ipfix-templates\n"
		"      --gen-count N      data packets (default 64) or templates\n"
		"                         (default 1000000) to generate\n"
		"      --domains D        template flood: observation domains (256)\n"
		"  -s, --src-ports K      source sockets (default 1); the template\n"
		"                         flood spreads over them, others use one\n"
		"  -n, --loops N          passes over the datagrams (default 1)\n"
		"  -c, --count N          send at most N datagrams in all\n"
		"  -r, --rate PPS         datagrams per second (default: no limit)\n"
		"  -T, --max-seconds S    stop after S seconds (default 60)\n"
		"  -b, --batch B          datagrams per sendmmsg (default 32)\n"
		"  -w, --write-pcap FILE  write a pcap instead of sending\n"
		"Prints: udp_replay: sent packets=N bytes=N flows=N errors=N "
		"seconds=S pps=N\n");
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "to", required_argument, NULL, 't' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'P' },
		{ "gen", required_argument, NULL, 'g' },
		{ "gen-count", required_argument, NULL, 'G' },
		{ "domains", required_argument, NULL, 'D' },
		{ "src-ports", required_argument, NULL, 's' },
		{ "loops", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "max-seconds", required_argument, NULL, 'T' },
		{ "batch", required_argument, NULL, 'b' },
		{ "write-pcap", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	*o = (struct opts){ .domains = 256,
			    .src_ports = 1,
			    .loops = 1,
			    .max_seconds = 60,
			    .batch = 32 };
	while ((c = getopt_long(argc, argv, "t:p:g:s:n:c:r:T:b:w:h", lo,
				NULL)) != -1) {
		switch (c) {
		case 't':
			o->to = optarg;
			break;
		case 'p':
			o->pcap_in = optarg;
			break;
		case 'P':
			if (parse_u64(optarg, 1, 65535, &v))
				goto bad;
			o->port_filter = (int)v;
			break;
		case 'g':
			if (strcmp(optarg, "nf9") && strcmp(optarg, "ipfix") &&
			    strcmp(optarg, "sflow") &&
			    strcmp(optarg, "ipfix-templates"))
				goto bad;
			o->gen = optarg;
			break;
		case 'G':
			if (parse_u64(optarg, 1, 100000000, &o->gen_count))
				goto bad;
			break;
		case 'D':
			if (parse_u64(optarg, 1, 1u << 20, &v))
				goto bad;
			o->domains = (unsigned)v;
			break;
		case 's':
			if (parse_u64(optarg, 1, MAX_SRC_PORTS, &v))
				goto bad;
			o->src_ports = (unsigned)v;
			break;
		case 'n':
			if (parse_u64(optarg, 1, 1000000000, &o->loops))
				goto bad;
			break;
		case 'c':
			if (parse_u64(optarg, 1, 1ULL << 40, &o->count))
				goto bad;
			break;
		case 'r':
			if (parse_u64(optarg, 1, 100000000, &v))
				goto bad;
			o->rate = (double)v;
			break;
		case 'T':
			if (parse_u64(optarg, 1, 86400, &v))
				goto bad;
			o->max_seconds = (double)v;
			break;
		case 'b':
			if (parse_u64(optarg, 1, MAX_BATCH, &v))
				goto bad;
			o->batch = (unsigned)v;
			break;
		case 'w':
			o->write_pcap = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	o->files = argv + optind;
	o->n_files = argc - optind;
	if (!!o->pcap_in + !!o->gen + (o->n_files > 0) != 1) {
		fprintf(stderr,
			"udp_replay: give exactly one input: --pcap, "
			"--gen or payload files\n");
		return -1;
	}
	if (!o->to && !o->write_pcap) {
		fprintf(stderr, "udp_replay: --to ADDR:PORT is required\n");
		return -1;
	}
	if (!o->gen_count)
		o->gen_count = o->gen && !strcmp(o->gen, "ipfix-templates")
				       ? 1000000
				       : 64;
	return 0;
bad:
	fprintf(stderr, "udp_replay: bad value for %s: %s\n", argv[optind - 1],
		optarg);
	return -1;
}

int main(int argc, char **argv)
{
	struct pktset set = { 0 };
	struct sockaddr_storage dst;
	socklen_t dl = 0;
	struct sent st = { 0 };
	struct opts o;
	int rc = 1;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (parse_addr(o.to ? o.to : "127.0.0.1:2055", &dst, &dl)) {
		fprintf(stderr,
			"udp_replay: bad address %s (want A.B.C.D:PORT "
			"or [V6]:PORT)\n",
			o.to);
		return 2;
	}
	if (o.pcap_in) {
		if (load_pcap(&set, o.pcap_in, o.port_filter))
			goto out;
	} else if (o.gen) {
		if (strcmp(o.gen, "ipfix-templates") ? gen_workload(&set, &o)
						     : gen_flood(&set, &o))
			goto out;
	} else {
		for (int i = 0; i < o.n_files; i++)
			if (load_file(&set, o.files[i]))
				goto out;
	}
	if (!set.n) {
		fprintf(stderr, "udp_replay: nothing to send\n");
		goto out;
	}
	if (o.write_pcap ? write_pcap(&set, &o, &dst, &st)
			 : send_all(&set, &o, &dst, dl, &st))
		goto out;
	printf("udp_replay: %s packets=%llu bytes=%llu flows=%llu errors=%llu "
	       "seconds=%.3f pps=%.0f%s\n",
	       o.write_pcap ? "wrote" : "sent", (unsigned long long)st.packets,
	       (unsigned long long)st.bytes, (unsigned long long)st.flows,
	       (unsigned long long)st.errors, st.seconds,
	       st.seconds > 0 ? (double)st.packets / st.seconds : 0,
	       st.timed_out ? " (stopped at --max-seconds)" : "");
	rc = 0;
out:
	set_free(&set);
	return rc;
}
