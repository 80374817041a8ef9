// SPDX-License-Identifier: Apache-2.0
/*
 * wire_tx: a flood sender for tests/bench/bench_rx_cost.sh whose frames
 * reach the receiving veth the way frames reach a NIC driver's receive
 * ring: as XDP frames, with no skb on either side. It loads a two-
 * instruction XDP program that returns XDP_TX and runs it with
 * BPF_PROG_TEST_RUN in live-frame mode (BPF_F_TEST_XDP_LIVE_FRAMES, the
 * mechanism of xdp-tools' xdp-trafficgen) on one prebuilt Ethernet/IPv4/UDP
 * frame, "received" on IFACE: the kernel turns each XDP_TX into a redirect
 * out of IFACE, and veth's ndo_xdp_xmit puts the frame straight into the
 * peer's receive ring, whose NAPI poll runs the peer's XDP program on it
 * (or, with no program, builds an skb around it, as a driver does). The
 * peer must have NAPI on: an XDP program attached, or GRO enabled.
 *
 * What the sender itself costs per frame is the test-run loop (a page_pool
 * page reused per frame, the program, the redirect bulk queue) and veth's
 * ptr_ring: no syscall per batch, no skb, no copy from user space. That is
 * as close to "frames arriving on the link" as a veth gets; pace_tx (an
 * AF_PACKET socket) builds an skb per frame and veth then copies it again
 * before native XDP runs.
 *
 * Full rate only, bounded by --count and --max-seconds: the frames go in
 * test runs sized to last about 0.25 s (at most --chunk frames), the time
 * is checked between runs, so the last run may end up to 0.25 s late. Ends with one
 * line: frames the program handed to the kernel ("sent"; veth counts the
 * ones its peer's full ring refused, see `ethtool -S`), seconds, rate.
 * Needs CAP_BPF and CAP_NET_ADMIN, and kernel 5.18 or later.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchutil.h"

#define MAX_PAYLOAD 1400
#define MAX_BATCH 256 /* the kernel's TEST_XDP_MAX_BATCH */
/* Each test run costs a fixed wait besides its frames (tens of ms here:
 * the kernel sets up and tears down a page_pool and an rxq per run), so runs
 * are sized to last about RUN_NS at the rate measured so far. */
#define RUN_NS 250000000.0
#define MIN_RUN 65536

struct opts {
	const char *iface;
	const char *payload_file;
	uint8_t dst_mac[6];
	struct in_addr src, dst;
	uint16_t sport, dport;
	uint64_t count;
	uint32_t chunk;
	uint32_t batch;
	double max_seconds;
	int cpu;
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
		"usage: wire_tx -i IFACE -m DST_MAC -s SRC_IP -d DST_IP -p DPORT\n"
		"               -c COUNT [options] PAYLOAD_FILE\n"
		"  -P, --sport N        UDP source port (40000)\n"
		"  -b, --batch N        frames per redirect flush, 1 to 256 (64)\n"
		"  -k, --chunk N        frames per test run at most (16777216)\n"
		"  -T, --max-seconds S  stop after S seconds (30)\n"
		"  -C, --cpu N          pin to CPU N\n"
		"Prints: wire_tx: sent=N seconds=S pps=N\n");
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
		{ "batch", required_argument, NULL, 'b' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "max-seconds", required_argument, NULL, 'T' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool mac = false;
	double v;
	int c;

	*o = (struct opts){ .sport = 40000,
			    .batch = 64,
			    .chunk = 1 << 24,
			    .max_seconds = 30,
			    .cpu = -1 };
	while ((c = getopt_long(argc, argv, "i:m:s:d:p:P:c:b:k:T:C:h", lo,
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
			if (parse_num(optarg, 1, 1e11, &v))
				goto bad;
			o->count = (uint64_t)v;
			break;
		case 'b':
			if (parse_num(optarg, 1, MAX_BATCH, &v))
				goto bad;
			o->batch = (uint32_t)v;
			break;
		case 'k':
			if (parse_num(optarg, 1, 1 << 24, &v))
				goto bad;
			o->chunk = (uint32_t)v;
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
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1 || !o->iface || !mac || !o->src.s_addr ||
	    !o->dst.s_addr || !o->dport || !o->count) {
		usage(stderr);
		return -1;
	}
	o->payload_file = argv[optind];
	return 0;
bad:
	fprintf(stderr, "wire_tx: bad value for -%c: %s\n", c, optarg);
	return -1;
}

static int read_payload(const char *path, uint8_t *buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "wire_tx: could not open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	n = fread(buf, 1, MAX_PAYLOAD + 1, f);
	fclose(f);
	if (n == 0 || n > MAX_PAYLOAD) {
		fprintf(stderr, "wire_tx: %s: want 1 to %d bytes\n", path,
			MAX_PAYLOAD);
		return -1;
	}
	*len = n;
	return 0;
}

/* iface's index into *ifindex and MAC into mac. 0, or -1 after saying why. */
static int iface_info(const char *iface, int *ifindex, uint8_t *mac)
{
	struct ifreq ifr = { 0 };
	int fd, r;

	*ifindex = (int)if_nametoindex(iface);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!*ifindex || fd < 0) {
		fprintf(stderr, "wire_tx: could not find %s: %s\n", iface,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	r = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (r) {
		fprintf(stderr, "wire_tx: no MAC address for %s: %s\n", iface,
			strerror(errno));
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* Loads "return XDP_TX": its fd, or -1 after saying why. */
static int load_prog(void)
{
	const struct bpf_insn insns[] = {
		/* r0 = XDP_TX */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_0,
		  .imm = XDP_TX },
		/* return r0 */
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "wire_tx", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0)
		fprintf(stderr, "wire_tx: could not load the XDP program: %s\n",
			strerror(-fd));
	return fd;
}

int main(int argc, char **argv)
{
	static uint8_t frame[BU_FRAME_HDRS + MAX_PAYLOAD];
	uint8_t payload[MAX_PAYLOAD + 1], src_mac[6];
	uint64_t sent = 0, t0, deadline, now, per;
	bool timed_out = false;
	struct xdp_md ctx;
	struct opts o;
	size_t pl_len, flen;
	int ifindex, prog;

	if (parse_opts(argc, argv, &o))
		return 2;
	if (read_payload(o.payload_file, payload, &pl_len))
		return 1;
	if (o.cpu >= 0 && bu_pin_cpu(o.cpu, "wire_tx"))
		return 1;
	if (iface_info(o.iface, &ifindex, src_mac))
		return 1;
	prog = load_prog();
	if (prog < 0)
		return 1;
	flen = bu_udp_frame(frame, o.dst_mac, src_mac, o.src, o.dst, o.sport,
			    o.dport, payload, pl_len);
	per = o.chunk < MIN_RUN ? o.chunk : MIN_RUN;
	ctx = (struct xdp_md){ .data_end = (uint32_t)flen,
			       .ingress_ifindex = (uint32_t)ifindex };

	t0 = bu_now_ns();
	deadline = t0 + (uint64_t)(o.max_seconds * 1e9);
	while (sent < o.count) {
		uint64_t n = o.count - sent, t1;
		LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame,
			    .data_size_in = (uint32_t)flen, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx),
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .batch_size = o.batch);
		int r;

		now = bu_now_ns();
		if (now >= deadline) {
			timed_out = true;
			break;
		}
		if (n > per)
			n = per;
		run.repeat = (uint32_t)n;
		r = bpf_prog_test_run_opts(prog, &run);
		if (r == -EINTR)
			continue;
		if (r) {
			fprintf(stderr, "wire_tx: test run on %s failed: %s\n",
				o.iface, strerror(-r));
			close(prog);
			return 1;
		}
		sent += n;
		/* the next run: RUN_NS at this run's rate, or what is left of
		 * --max-seconds, within [MIN_RUN, --chunk] */
		t1 = bu_now_ns();
		if (t1 > now && t1 < deadline) {
			double ns = deadline - t1 < RUN_NS
					    ? (double)(deadline - t1)
					    : RUN_NS;

			per = (uint64_t)((double)n * ns / (double)(t1 - now));
			if (per < MIN_RUN)
				per = MIN_RUN;
			if (per > o.chunk)
				per = o.chunk;
		}
	}
	now = bu_now_ns();
	close(prog);
	printf("wire_tx: sent=%llu seconds=%.4f pps=%.0f%s\n",
	       (unsigned long long)sent, (double)(now - t0) / 1e9,
	       now > t0 ? (double)sent * 1e9 / (double)(now - t0) : 0,
	       timed_out ? " (stopped at --max-seconds)" : "");
	return 0;
}
