// SPDX-License-Identifier: Apache-2.0
/*
 * pace_tx: a paced raw-frame sender for tests/bench/bench_xdp.sh. It sends
 * one Ethernet/IPv4/UDP frame (payload from a file) out of an interface
 * through an AF_PACKET socket that bypasses the qdisc, COUNT times, on an
 * absolute schedule: frame i is due at start + i / RATE, sent in sendmmsg
 * batches of at most --batch frames as they fall due, so the rate is held
 * evenly (no long bursts) and a stall is caught up at once. Bounded by
 * --max-seconds. It ends with one line saying what it did: frames the
 * kernel accepted, the rate actually achieved over the whole send, the
 * longest it fell behind the schedule and how many frames the kernel
 * refused, so a benchmark can tell a sender that held the rate from one
 * that could not. With --full-batches it waits, asleep, until a whole batch
 * is due before sending (the last one excepted): the sender then costs what
 * its send path costs instead of a spinning CPU, which a benchmark of
 * whole-machine CPU needs (tests/bench/bench_rx_cost.sh).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

#define MAX_BATCH 256
#define MAX_PAYLOAD 1400

struct opts {
	const char *iface;
	const char *payload_file;
	uint8_t dst_mac[6];
	struct in_addr src, dst;
	uint16_t sport, dport;
	uint64_t count;
	double rate;
	double max_seconds;
	unsigned batch;
	int cpu;
	bool full_batches;
};

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pace_tx -i IFACE -m DST_MAC -s SRC_IP -d DST_IP -p DPORT\n"
		"               -c COUNT -r PPS [options] PAYLOAD_FILE\n"
		"  -P, --sport N        UDP source port (40000)\n"
		"  -b, --batch N        frames per sendmmsg at most (32)\n"
		"  -T, --max-seconds S  stop after S seconds (30)\n"
		"  -C, --cpu N          pin to CPU N\n"
		"  -F, --full-batches   sleep until a whole batch is due (max_lag_us\n"
		"                       then counts that wait)\n"
		"Prints: pace_tx: sent=N refused=N seconds=S pps=N asked_pps=N "
		"max_lag_us=N\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "dport", required_argument, NULL, 'p' },
		{ "sport", required_argument, NULL, 'P' },
		{ "count", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "max-seconds", required_argument, NULL, 'T' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "full-batches", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool mac = false;
	double v;
	int c;

	*o = (struct opts){ .sport = 40000,
			    .batch = 32,
			    .max_seconds = 30,
			    .cpu = -1 };
	while ((c = getopt_long(argc, argv, "i:m:s:d:p:P:c:r:b:T:C:Fh", lo,
				NULL)) != -1) {
		switch (c) {
		case 'i':
			o->iface = optarg;
			break;
		case 'm':
			if (bu_parse_mac(optarg, o->dst_mac))
				goto bad;
			mac = true;
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &o->src) != 1)
				goto bad;
			break;
		case 'd':
			if (inet_pton(AF_INET, optarg, &o->dst) != 1)
				goto bad;
			break;
		case 'p':
		case 'P':
			if (parse_num(optarg, 1, 65535, &v))
				goto bad;
			*(c == 'p' ? &o->dport : &o->sport) = (uint16_t)v;
			break;
		case 'c':
			if (parse_num(optarg, 1, 1e10, &v))
				goto bad;
			o->count = (uint64_t)v;
			break;
		case 'r':
			if (parse_num(optarg, 1, 1e8, &o->rate))
				goto bad;
			break;
		case 'b':
			if (parse_num(optarg, 1, MAX_BATCH, &v))
				goto bad;
			o->batch = (unsigned)v;
			break;
		case 'T':
			if (parse_num(optarg, 0.1, 3600, &o->max_seconds))
				goto bad;
			break;
		case 'C':
			if (parse_num(optarg, 0, CPU_SETSIZE - 1, &v))
				goto bad;
			o->cpu = (int)v;
			break;
		case 'F':
			o->full_batches = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1 || !o->iface || !mac || !o->src.s_addr ||
	    !o->dst.s_addr || !o->dport || !o->count || !o->rate) {
		usage(stderr);
		return -1;
	}
	o->payload_file = argv[optind];
	return 0;
bad:
	fprintf(stderr, "pace_tx: bad value for %s: %s\n", argv[optind - 1],
		optarg);
	return -1;
}

static int read_payload(const char *path, uint8_t *buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "pace_tx: could not open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	n = fread(buf, 1, MAX_PAYLOAD + 1, f);
	fclose(f);
	if (n == 0 || n > MAX_PAYLOAD) {
		fprintf(stderr, "pace_tx: %s: want 1 to %d bytes\n", path,
			MAX_PAYLOAD);
		return -1;
	}
	*len = n;
	return 0;
}

/* Opens the AF_PACKET socket on iface; its MAC into mac. -1 on error. */
static int open_tx(const char *iface, uint8_t *mac)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = { 0 };
	int one = 1, fd;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "pace_tx: could not open a packet socket: %s\n",
			strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) || (sll.sll_ifindex = ifr.ifr_ifindex,
					      ioctl(fd, SIOCGIFHWADDR, &ifr))) {
		fprintf(stderr, "pace_tx: could not find %s: %s\n", iface,
			strerror(errno));
		close(fd);
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "pace_tx: could not bind to %s: %s\n", iface,
			strerror(errno));
		close(fd);
		return -1;
	}
	/* Straight to the driver, as trafgen does: no qdisc in the way. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	return fd;
}

int main(int argc, char **argv)
{
	static struct mmsghdr msg[MAX_BATCH];
	static uint8_t frame[BU_FRAME_HDRS + MAX_PAYLOAD];
	uint8_t payload[MAX_PAYLOAD + 1], src_mac[6];
	struct iovec iov;
	uint64_t sent = 0, refused = 0, t0, deadline, now, max_lag = 0;
	size_t pl_len, flen;
	bool timed_out = false;
	struct opts o;
	int fd;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (read_payload(o.payload_file, payload, &pl_len))
		return 1;
	if (o.cpu >= 0)
		bu_pin_cpu(o.cpu, "pace_tx");
	fd = open_tx(o.iface, src_mac);
	if (fd < 0)
		return 1;
	flen = bu_udp_frame(frame, o.dst_mac, src_mac, o.src, o.dst, o.sport,
			    o.dport, payload, pl_len);
	iov = (struct iovec){ frame, flen };
	for (unsigned k = 0; k < o.batch; k++)
		msg[k].msg_hdr =
			(struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };

	t0 = bu_now_ns();
	deadline = t0 + (uint64_t)(o.max_seconds * 1e9);
	while (sent + refused < o.count) {
		uint64_t done = sent + refused, due, n;
		int r;

		now = bu_now_ns();
		if (now >= deadline) {
			timed_out = true;
			break;
		}
		/* frames due by now: those scheduled at or before now */
		due = (uint64_t)((double)(now - t0) * o.rate / 1e9) + 1;
		if (due > o.count)
			due = o.count;
		/* with --full-batches, wait for a whole batch (or the rest) */
		if (o.full_batches && due > done && due < o.count &&
		    due - done < o.batch)
			due = done;
		if (due <= done) {
			uint64_t want = done, next;

			if (o.full_batches) {
				want = done + o.batch - 1;
				if (want > o.count - 1)
					want = o.count - 1;
			}
			next = t0 + (uint64_t)((double)want * 1e9 / o.rate);

			/* with --full-batches, sleep (100 ms at most) and never
			 * spin; else sleep when the next frame is far, spin
			 * when near */
			if (o.full_batches && next > now) {
				uint64_t d = next - now;
				struct timespec ts = {
					0, (long)(d < 100000000 ? d : 100000000)
				};

				nanosleep(&ts, NULL);
			} else if (!o.full_batches && next > now + 60000) {
				struct timespec ts = { 0, (long)(next - now -
								 50000) };

				nanosleep(&ts, NULL);
			}
			continue;
		}
		/* how late the oldest due frame is going out */
		{
			uint64_t sched =
				t0 + (uint64_t)((double)done * 1e9 / o.rate);

			if (now > sched && now - sched > max_lag)
				max_lag = now - sched;
		}
		n = due - done;
		if (n > o.batch)
			n = o.batch;
		r = sendmmsg(fd, msg, (unsigned)n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS || errno == EAGAIN ||
			    errno == ENETDOWN) {
				/* the device refused a frame: count it as sent
				 * and lost, the schedule goes on */
				refused++;
				continue;
			}
			fprintf(stderr, "pace_tx: could not send on %s: %s\n",
				o.iface, strerror(errno));
			close(fd);
			return 1;
		}
		sent += (uint64_t)r;
	}
	now = bu_now_ns();
	close(fd);
	printf("pace_tx: sent=%llu refused=%llu seconds=%.4f pps=%.0f "
	       "asked_pps=%.0f max_lag_us=%llu%s\n",
	       (unsigned long long)sent, (unsigned long long)refused,
	       (double)(now - t0) / 1e9,
	       now > t0 ? (double)(sent + refused) * 1e9 / (double)(now - t0)
			: 0,
	       o.rate, (unsigned long long)(max_lag / 1000),
	       timed_out ? " (stopped at --max-seconds)" : "");
	return 0;
}
