// SPDX-License-Identifier: Apache-2.0
/*
 * Runs the XDP program (build/bpf/xdpflow.bpf.o) on crafted packets with
 * bpf_prog_test_run_opts and checks both the verdict and every counter of
 * the per-CPU stats map: IPv4/IPv6, VLAN and QinQ, IPv4 options, IPv6
 * extension headers, fragments, other UDP, TCP/ICMP, allowed and unlisted
 * exporters, with and without an AF_XDP socket in the XSKMAP, and every
 * truncation of a collector packet's headers. Needs root (skips otherwise);
 * the process moves into its own network namespace so the AF_XDP socket it
 * binds to `lo` touches nothing else, and map pinning is switched off so no
 * bpffs state is read or left behind.
 */
#include "unit.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/xsk.h>

#include "xdpflow.h"

#ifndef XDPFLOW_BPF_DIR
#define XDPFLOW_BPF_DIR "build/bpf"
#endif

#define XDP_ABORTED_ 0
#define XDP_DROP_ 1
#define XDP_PASS_ 2
#define XDP_REDIRECT_ 4

#define COLLECTOR_PORT 2055
#define OTHER_PORT 53

struct fixture {
	struct bpf_object *obj;
	int prog_fd;
	int stats_fd, config_fd, ports_fd, allow4_fd, allow6_fd, xsks_fd;
	int ncpu;
	/* the AF_XDP socket for the REDIRECT cases */
	void *umem_area;
	size_t umem_len;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
};

static struct fixture fx;

static const uint8_t SRC4_OK[4] = { 198, 18, 0, 1 };
static const uint8_t SRC4_BAD[4] = { 198, 19, 7, 7 };
static const uint8_t SRC6_OK[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0,
				     0,	   0,	 0,    0,    0, 0, 0, 1 };
static const uint8_t SRC6_BAD[16] = { 0x20, 0x01, 0x00, 0x02, 0, 1, 0, 0,
				      0,    0,	  0,	0,    0, 0, 0, 1 };

/* ---- packet builder ---------------------------------------------------- */

struct spec {
	int vlans;	    /* 0..3 tags */
	uint16_t tpid;	    /* outer tag type, 0x8100 or 0x88a8 */
	uint16_t etype;	    /* 0: from family */
	int family;	    /* 4 or 6 */
	int ip4_opt_words;  /* IPv4 options, 32-bit words */
	uint8_t ip4_ihl;    /* 0: computed; else forced (malformed) */
	uint16_t ip4_frag;  /* raw flags/fragment offset field */
	const uint8_t *ext; /* IPv6 extension header types, in order */
	int n_ext;
	uint8_t l4;	    /* IP protocol */
	const uint8_t *src; /* 4 or 16 bytes */
	uint16_t dport;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Writes the packet into buf (256 bytes at least); returns its length and
 * the length of everything up to the end of the UDP header in *hdr_len. */
static size_t build(uint8_t *buf, const struct spec *s, size_t *hdr_len)
{
	static const uint8_t dst4[4] = { 198, 18, 0, 2 };
	static const uint8_t dst6[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0,
					  0,	0,    0,    0,	  0, 0, 0, 2 };
	size_t o = 0, l4_len;
	uint16_t etype = s->etype ? s->etype : s->family == 6 ? 0x86DD : 0x0800;

	memset(buf, 0, 256);
	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	o = 12;
	for (int i = 0; i < s->vlans; i++) {
		put16(buf + o, i == 0 && s->tpid ? s->tpid : 0x8100);
		put16(buf + o + 2, (uint16_t)(100 + i));
		o += 4;
	}
	put16(buf + o, etype);
	o += 2;
	l4_len = s->l4 == 17 ? 8 + 16 : 20;
	if (s->family == 4) {
		size_t hl = 20 + 4 * (size_t)s->ip4_opt_words;
		uint8_t *ip = buf + o;

		ip[0] = (uint8_t)(0x40 | (s->ip4_ihl ? s->ip4_ihl : hl / 4));
		put16(ip + 2, (uint16_t)(hl + l4_len));
		put16(ip + 6, s->ip4_frag);
		ip[8] = 64;
		ip[9] = s->l4;
		memcpy(ip + 12, s->src, 4);
		memcpy(ip + 16, dst4, 4);
		for (size_t i = 20; i < hl; i++)
			ip[i] = 1; /* NOP options */
		o += hl;
	} else {
		uint8_t *ip = buf + o;
		uint8_t *nh = ip + 6;

		ip[0] = 0x60;
		ip[7] = 64;
		memcpy(ip + 8, s->src, 16);
		memcpy(ip + 24, dst6, 16);
		o += 40;
		for (int i = 0; i < s->n_ext; i++) {
			*nh = s->ext[i];
			nh = buf + o;
			buf[o + 1] = 0; /* 8 bytes: (0+1)*8, or AH (0+2)*4 */
			o += 8;
		}
		*nh = s->l4;
		put16(ip + 4, (uint16_t)(o - (size_t)(ip - buf) - 40 + l4_len));
	}
	if (s->l4 == 17) {
		put16(buf + o, 40000);
		put16(buf + o + 2, s->dport);
		put16(buf + o + 4, 8 + 16);
		*hdr_len = o + 8;
	} else {
		*hdr_len = o + l4_len;
	}
	o += l4_len;
	return o;
}

/* ---- running and counting ---------------------------------------------- */

static void stats_read(struct xdpflow_stats *sum)
{
	struct xdpflow_stats per[fx.ncpu];
	uint32_t zero = 0;

	assert_int_equal(bpf_map_lookup_elem(fx.stats_fd, &zero, per), 0);
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < fx.ncpu; c++) {
#define ADD(f) sum->f += per[c].f;
		XDPFLOW_STATS_FIELDS(ADD)
#undef ADD
	}
}

static uint32_t run(const uint8_t *pkt, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
		    .data_size_in = (uint32_t)len, .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(fx.prog_fd, &o), 0);
	return o.retval;
}

/* Runs one packet and checks the verdict, and that `packets` and the one
 * named counter rose by exactly one while every other counter stayed. */
static void expect(const uint8_t *pkt, size_t len, uint32_t verdict,
		   const char *counter)
{
	struct xdpflow_stats a, b;

	stats_read(&a);
	assert_int_equal(run(pkt, len), verdict);
	stats_read(&b);
	assert_int_equal(b.packets - a.packets, 1);
#define CHK(f)                                                                 \
	if (strcmp(#f, "packets") != 0) {                                      \
		uint64_t d = b.f - a.f;                                        \
		if (d != (strcmp(#f, counter) == 0 ? 1u : 0u))                 \
			fail_msg("counter %s moved by %llu (expected %s)", #f, \
				 (unsigned long long)d, counter);              \
	}
	XDPFLOW_STATS_FIELDS(CHK)
#undef CHK
}

static void expect_spec(const struct spec *s, uint32_t verdict,
			const char *counter)
{
	uint8_t buf[256];
	size_t hl, len = build(buf, s, &hl);

	expect(buf, len, verdict, counter);
}

static void set_allow_list(bool on)
{
	struct xdpflow_config c = { .flags = on ? XDPFLOW_CFG_ALLOW_LIST : 0 };
	uint32_t zero = 0;

	assert_int_equal(bpf_map_update_elem(fx.config_fd, &zero, &c, 0), 0);
}

static void set_socket(bool on)
{
	uint32_t q = 0;
	int fd = xsk_socket__fd(fx.xsk);

	if (on)
		assert_int_equal(bpf_map_update_elem(fx.xsks_fd, &q, &fd, 0),
				 0);
	else if (bpf_map_delete_elem(fx.xsks_fd, &q) != 0)
		assert_int_equal(errno, ENOENT);
}

/* ---- setup -------------------------------------------------------------- */

static int xsk_open_lo(void)
{
	struct xsk_umem_config uc = { .fill_size = 64,
				      .comp_size = 64,
				      .frame_size = 4096 };
	struct xsk_socket_config sc = {
		.rx_size = 64,
		.tx_size = 64,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	int err;

	fx.umem_len = 64 * 4096;
	fx.umem_area = mmap(NULL, fx.umem_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fx.umem_area == MAP_FAILED)
		return -errno;
	err = xsk_umem__create(&fx.umem, fx.umem_area, fx.umem_len, &fx.fq,
			       &fx.cq, &uc);
	if (err)
		return err;
	return xsk_socket__create(&fx.xsk, "lo", 0, fx.umem, &fx.rx, &fx.tx,
				  &sc);
}

static int map_fd(const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(fx.obj, name);

	return m ? bpf_map__fd(m) : -1;
}

static int group_setup(void **state)
{
	struct bpf_program *prog;
	struct bpf_map *m;
	uint16_t port = COLLECTOR_PORT;
	struct xdpflow_port_val pv = { XDPFLOW_PROTO_NETFLOW };
	struct xdpflow_lpm4 k4 = { .prefixlen = 24 };
	struct xdpflow_lpm6 k6 = { .prefixlen = 48 };
	uint32_t one = 1;
	int err;

	(void)state;
	if (geteuid() != 0)
		return 0; /* every test skips */
	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "could not enter a new network namespace: %s\n",
			strerror(errno));
		return -1;
	}
	if (system("ip link set lo up") != 0)
		return -1;
	fx.ncpu = libbpf_num_possible_cpus();
	fx.obj = bpf_object__open_file(XDPFLOW_BPF_DIR "/xdpflow.bpf.o", NULL);
	if (!fx.obj) {
		fprintf(stderr, "could not open %s: %s\n",
			XDPFLOW_BPF_DIR "/xdpflow.bpf.o", strerror(errno));
		return -1;
	}
	bpf_object__for_each_map(m, fx.obj)
		bpf_map__set_pin_path(m, NULL);
	err = bpf_object__load(fx.obj);
	if (err) {
		fprintf(stderr, "could not load the XDP program: %s\n",
			strerror(-err));
		return -1;
	}
	prog = bpf_object__find_program_by_name(fx.obj, XDPFLOW_PROG_NAME);
	if (!prog)
		return -1;
	fx.prog_fd = bpf_program__fd(prog);
	fx.stats_fd = map_fd(XDPFLOW_MAP_STATS);
	fx.config_fd = map_fd(XDPFLOW_MAP_CONFIG);
	fx.ports_fd = map_fd(XDPFLOW_MAP_PORTS);
	fx.allow4_fd = map_fd(XDPFLOW_MAP_ALLOW4);
	fx.allow6_fd = map_fd(XDPFLOW_MAP_ALLOW6);
	fx.xsks_fd = map_fd(XDPFLOW_MAP_XSKS);
	if (fx.stats_fd < 0 || fx.config_fd < 0 || fx.ports_fd < 0 ||
	    fx.allow4_fd < 0 || fx.allow6_fd < 0 || fx.xsks_fd < 0)
		return -1;
	if (bpf_map_update_elem(fx.ports_fd, &port, &pv, 0))
		return -1;
	memcpy(k4.addr, SRC4_OK, 4);
	memcpy(k6.addr, SRC6_OK, 16);
	if (bpf_map_update_elem(fx.allow4_fd, &k4, &one, 0) ||
	    bpf_map_update_elem(fx.allow6_fd, &k6, &one, 0))
		return -1;
	err = xsk_open_lo();
	if (err) {
		fprintf(stderr, "could not create an AF_XDP socket on lo: %s\n",
			strerror(-err));
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (fx.xsk)
		xsk_socket__delete(fx.xsk);
	if (fx.umem)
		xsk_umem__delete(fx.umem);
	if (fx.umem_area && fx.umem_area != MAP_FAILED)
		munmap(fx.umem_area, fx.umem_len);
	bpf_object__close(fx.obj);
	return 0;
}

/* Each test starts here: skipped without root (cmocka cannot skip from a
 * setup function), else from allow-list off and no socket bound. */
static void begin(void **state)
{
	(void)state;
	if (!fx.obj)
		skip();
	set_allow_list(false);
	set_socket(false);
}

/* ---- tests -------------------------------------------------------------- */

static void t_ipv4_collector(void **state)
{
	struct spec s = { .family = 4,
			  .l4 = 17,
			  .src = SRC4_BAD,
			  .dport = COLLECTOR_PORT };

	begin(state);
	/* empty allow-list: everyone allowed; no socket: pass */
	expect_spec(&s, XDP_PASS_, "pass_no_socket");
	set_socket(true);
	expect_spec(&s, XDP_REDIRECT_, "redirected");
	set_allow_list(true);
	expect_spec(&s, XDP_DROP_, "drop_not_allowed");
	s.src = SRC4_OK;
	expect_spec(&s, XDP_REDIRECT_, "redirected");
	set_socket(false);
	expect_spec(&s, XDP_PASS_, "pass_no_socket");
}

static void t_ipv6_collector(void **state)
{
	struct spec s = { .family = 6,
			  .l4 = 17,
			  .src = SRC6_OK,
			  .dport = COLLECTOR_PORT };

	begin(state);
	expect_spec(&s, XDP_PASS_, "pass_no_socket");
	set_socket(true);
	set_allow_list(true);
	expect_spec(&s, XDP_REDIRECT_, "redirected");
	s.src = SRC6_BAD;
	expect_spec(&s, XDP_DROP_, "drop_not_allowed");
}

static void t_allow_list_family(void **state)
{
	/* An IPv4-only list in use still refuses IPv6 exporters not on it. */
	struct spec s = { .family = 6,
			  .l4 = 17,
			  .src = SRC6_BAD,
			  .dport = COLLECTOR_PORT };

	begin(state);
	set_allow_list(true);
	set_socket(true);
	expect_spec(&s, XDP_DROP_, "drop_not_allowed");
}

static void t_vlan(void **state)
{
	struct spec s = { .family = 4,
			  .l4 = 17,
			  .src = SRC4_OK,
			  .dport = COLLECTOR_PORT,
			  .vlans = 1 };

	begin(state);
	set_socket(true);
	set_allow_list(true);
	expect_spec(&s, XDP_REDIRECT_, "redirected");
	s.vlans = 2;
	s.tpid = 0x88A8; /* QinQ: 802.1ad outer, 802.1Q inner */
	expect_spec(&s, XDP_REDIRECT_, "redirected");
	s.src = SRC4_BAD;
	expect_spec(&s, XDP_DROP_, "drop_not_allowed");
	s.family = 6;
	s.src = SRC6_OK;
	expect_spec(&s, XDP_REDIRECT_, "redirected");
	s.vlans = 3; /* beyond what the program parses: untouched */
	expect_spec(&s, XDP_PASS_, "pass_not_ip");
}

static void t_ipv4_options(void **state)
{
	struct spec s = { .family = 4,
			  .l4 = 17,
			  .src = SRC4_OK,
			  .dport = COLLECTOR_PORT,
			  .ip4_opt_words = 3 };

	begin(state);
	set_socket(true);
	expect_spec(&s, XDP_REDIRECT_, "redirected");
	s.ip4_opt_words = 10; /* IHL 15, the maximum */
	expect_spec(&s, XDP_REDIRECT_, "redirected");
	s.ip4_opt_words = 0;
	s.ip4_ihl = 4; /* shorter than a header: malformed */
	expect_spec(&s, XDP_PASS_, "pass_truncated");
}

static void t_ipv6_ext(void **state)
{
	static const uint8_t ok[] = { 0, 60, 43, 51, 60 };
	static const uint8_t many[] = { 0, 60, 60, 60, 60, 60, 60 };
	static const uint8_t frag[] = { 0, 44 };
	static const uint8_t esp[] = { 60, 50 };
	struct spec s = { .family = 6,
			  .l4 = 17,
			  .src = SRC6_OK,
			  .dport = COLLECTOR_PORT,
			  .ext = ok,
			  .n_ext = 5 };

	begin(state);
	set_socket(true);
	expect_spec(&s, XDP_REDIRECT_, "redirected");
	s.ext = many;
	s.n_ext = 6; /* exactly the walk limit */
	expect_spec(&s, XDP_REDIRECT_, "redirected");
	s.n_ext = 7;
	expect_spec(&s, XDP_PASS_, "pass_ext_limit");
	s.ext = frag;
	s.n_ext = 2;
	expect_spec(&s, XDP_PASS_, "pass_fragment");
	s.ext = esp; /* ESP: the payload is opaque, not UDP */
	s.n_ext = 1;
	s.l4 = 50;
	expect_spec(&s, XDP_PASS_, "pass_not_udp");
}

static void t_fragments(void **state)
{
	static const uint8_t frag[] = { 44 };
	struct spec s = { .family = 4,
			  .l4 = 17,
			  .src = SRC4_OK,
			  .dport = COLLECTOR_PORT,
			  .ip4_frag = 0x2000 };

	begin(state);
	set_socket(true);
	set_allow_list(true);
	expect_spec(&s, XDP_PASS_, "pass_fragment"); /* first, MF */
	s.ip4_frag = 0x00B9;			     /* last, offset */
	expect_spec(&s, XDP_PASS_, "pass_fragment");
	s.src = SRC4_BAD; /* fragments are not judged: the kernel decides */
	expect_spec(&s, XDP_PASS_, "pass_fragment");
	s.ip4_frag = 0x4000; /* DF only: not a fragment */
	expect_spec(&s, XDP_DROP_, "drop_not_allowed");
	s = (struct spec){ .family = 6,
			   .l4 = 17,
			   .src = SRC6_OK,
			   .dport = COLLECTOR_PORT,
			   .ext = frag,
			   .n_ext = 1 };
	expect_spec(&s, XDP_PASS_, "pass_fragment");
}

static void t_other_traffic(void **state)
{
	struct spec s = { .family = 4,
			  .l4 = 17,
			  .src = SRC4_BAD,
			  .dport = OTHER_PORT };
	uint8_t arp[60] = { 0 };

	begin(state);
	set_socket(true);
	set_allow_list(true); /* even unlisted sources pass when not ours */
	expect_spec(&s, XDP_PASS_, "pass_other_port");
	s.family = 6;
	s.src = SRC6_BAD;
	expect_spec(&s, XDP_PASS_, "pass_other_port");
	s.l4 = 58; /* ICMPv6 */
	expect_spec(&s, XDP_PASS_, "pass_not_udp");
	s = (struct spec){ .family = 4,
			   .l4 = 6,
			   .src = SRC4_BAD,
			   .dport = COLLECTOR_PORT };
	expect_spec(&s, XDP_PASS_, "pass_not_udp"); /* TCP */
	s.l4 = 1;
	expect_spec(&s, XDP_PASS_, "pass_not_udp"); /* ICMP */
	put16(arp + 12, 0x0806);
	expect(arp, sizeof(arp), XDP_PASS_, "pass_not_ip");
	s.etype = 0x0800;
	s.family = 6; /* IPv6 bytes behind an IPv4 ethertype */
	s.l4 = 17;
	s.src = SRC6_OK;
	expect_spec(&s, XDP_PASS_, "pass_truncated");
}

/* Every cut of a collector packet inside its headers passes as truncated;
 * the full headers alone (no payload) are judged normally. */
static void t_truncated(void **state)
{
	static const uint8_t ext[] = { 0, 43 };
	struct spec specs[] = {
		{ .family = 4,
		  .l4 = 17,
		  .src = SRC4_OK,
		  .dport = COLLECTOR_PORT,
		  .vlans = 2,
		  .tpid = 0x88A8,
		  .ip4_opt_words = 2 },
		{ .family = 6,
		  .l4 = 17,
		  .src = SRC6_OK,
		  .dport = COLLECTOR_PORT,
		  .vlans = 1,
		  .ext = ext,
		  .n_ext = 2 },
	};

	begin(state);
	set_socket(true);
	set_allow_list(true);
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		uint8_t buf[256];
		size_t hl;

		build(buf, &specs[i], &hl);
		/* the kernel refuses test runs shorter than an Ethernet header */
		for (size_t len = 14; len < hl; len++)
			expect(buf, len, XDP_PASS_, "pass_truncated");
		expect(buf, hl, XDP_REDIRECT_, "redirected");
	}
}

static void t_ports_map(void **state)
{
	struct spec s = { .family = 4, .l4 = 17, .src = SRC4_OK, .dport = 6343 };
	struct xdpflow_port_val pv = { XDPFLOW_PROTO_SFLOW };
	uint16_t port = 6343;

	begin(state);
	set_socket(true);
	expect_spec(&s, XDP_PASS_, "pass_other_port");
	assert_int_equal(bpf_map_update_elem(fx.ports_fd, &port, &pv, 0), 0);
	expect_spec(&s, XDP_REDIRECT_, "redirected");
	assert_int_equal(bpf_map_delete_elem(fx.ports_fd, &port), 0);
	expect_spec(&s, XDP_PASS_, "pass_other_port");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_ipv4_collector),
		cmocka_unit_test(t_ipv6_collector),
		cmocka_unit_test(t_allow_list_family),
		cmocka_unit_test(t_vlan),
		cmocka_unit_test(t_ipv4_options),
		cmocka_unit_test(t_ipv6_ext),
		cmocka_unit_test(t_fragments),
		cmocka_unit_test(t_other_traffic),
		cmocka_unit_test(t_truncated),
		cmocka_unit_test(t_ports_map),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
