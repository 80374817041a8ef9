// SPDX-License-Identifier: Apache-2.0
/*
 * Live test of the AF_XDP path (xdp_load + xsk_rx + xsk_frame) over a veth
 * pair: the process moves into its own network and mount namespaces (with
 * a private bpffs on /sys/fs/bpf), creates veth xf0 <-> xf1 and forks an
 * "exporter" child that moves into a third namespace holding xf1 and sends
 * real UDP over IPv4 and IPv6 from allowed and unlisted sources on command.
 * Checks what arrives through the AF_XDP socket, the XDP counters, that
 * ping still works, the cleanup after a clean teardown and after a crash,
 * and the reuse of a program attached with `ip link ... xdp obj`. Needs root
 * (skips otherwise); every wait is bounded; the namespaces vanish with the
 * processes, so nothing outlives the test.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include "xdp/xdp_load.h"
#include "xdp/xsk_rx.h"

#ifndef XDPFLOW_BPF_DIR
#define XDPFLOW_BPF_DIR "build/bpf"
#endif
#define OBJ XDPFLOW_BPF_DIR "/xdpflow.bpf.o"
#define PIN_DIR "/sys/fs/bpf/xdpflow-test"
#define N_V4 50
#define N_V6 50
#define N_BAD 30
#define N_OTHER 20

static struct {
	bool ready;
	pid_t child;
	int cmd_w, ack_r;   /* pipes to/from the exporter */
	int listen_fd;	    /* TCP 198.18.0.2:7777, for the exporter's check */
	struct xdp_load *x; /* the handle of the running test */
} env;

/* ---- the exporter child -------------------------------------------------- */

static int send_n(int family, const char *src, const char *dst, uint16_t port,
		  const char *tag, int n)
{
	struct sockaddr_storage s = { 0 }, d = { 0 };
	socklen_t len;
	int fd = socket(family, SOCK_DGRAM, 0), bad = 0;

	if (fd < 0)
		return -1;
	if (family == AF_INET) {
		struct sockaddr_in *a = (void *)&s, *b = (void *)&d;

		a->sin_family = b->sin_family = AF_INET;
		inet_pton(AF_INET, src, &a->sin_addr);
		inet_pton(AF_INET, dst, &b->sin_addr);
		a->sin_port = htons(40000);
		b->sin_port = htons(port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (void *)&s, *b = (void *)&d;

		a->sin6_family = b->sin6_family = AF_INET6;
		inet_pton(AF_INET6, src, &a->sin6_addr);
		inet_pton(AF_INET6, dst, &b->sin6_addr);
		a->sin6_port = htons(40000);
		b->sin6_port = htons(port);
		len = sizeof(*a);
	}
	if (bind(fd, (void *)&s, len) != 0) {
		close(fd);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char msg[64];
		int m = snprintf(msg, sizeof(msg), "%s-%d", tag, i);

		if (sendto(fd, msg, (size_t)m, 0, (void *)&d, len) != m)
			bad++;
		if (i % 10 == 9)
			usleep(1000); /* stay far below the ring sizes */
	}
	close(fd);
	return bad ? -1 : 0;
}

/* One ICMP echo to 198.18.0.2 over a raw socket (no ping binary needed);
 * 0 when the reply came back within 2 s. */
static int ping_once(void)
{
	struct sockaddr_in d = { .sin_family = AF_INET };
	uint8_t req[16] = { 8, 0, 0, 0, 0x12, 0x34, 0, 1, 'x', 'd', 'p' };
	uint8_t buf[256];
	uint32_t sum = 0;
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), ok = -1;

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < sizeof(req); i += 2)
		sum += (uint32_t)(req[i] << 8 | req[i + 1]);
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = ~(sum + (sum >> 16)) & 0xFFFF;
	req[2] = (uint8_t)(sum >> 8);
	req[3] = (uint8_t)sum;
	inet_pton(AF_INET, "198.18.0.2", &d.sin_addr);
	if (sendto(fd, req, sizeof(req), 0, (void *)&d, sizeof(d)) !=
	    sizeof(req))
		goto out;
	for (int i = 0; i < 20 && ok != 0; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) != 1)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		/* IPv4 header (20) then ICMP echo reply (type 0) with our id */
		if (n >= 28 && buf[20] == 0 && buf[24] == 0x12 &&
		    buf[25] == 0x34)
			ok = 0;
	}
out:
	close(fd);
	return ok;
}

/* A TCP connection to 198.18.0.2:7777 completes within 2 s. */
static int tcp_once(void)
{
	struct sockaddr_in d = { .sin_family = AF_INET,
				 .sin_port = htons(7777) };
	struct pollfd p;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, "198.18.0.2", &d.sin_addr);
	if (connect(fd, (void *)&d, sizeof(d)) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, 2000) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
		err = -1;
	close(fd);
	return err;
}

static int exporter_burst(void)
{
	int err = 0;

	err |= send_n(AF_INET, "198.18.0.1", "198.18.0.2", 2055, "v4", N_V4);
	err |= send_n(AF_INET6, "2001:2::1", "2001:2::2", 6343, "v6", N_V6);
	err |= send_n(AF_INET, "198.18.0.3", "198.18.0.2", 2055, "bad", N_BAD);
	err |= send_n(AF_INET, "198.18.0.1", "198.18.0.2", 9999, "other",
		      N_OTHER);
	if (ping_once() != 0)
		err |= 2;
	if (tcp_once() != 0)
		err |= 4;
	return err;
}

static void exporter_main(int cmd_r, int ack_w, int ready_w)
{
	char c = 'r';

	if (unshare(CLONE_NEWNET) != 0)
		_exit(1);
	if (write(ready_w, &c, 1) != 1)
		_exit(1);
	for (int rounds = 0; rounds < 32; rounds++) {
		struct pollfd p = { .fd = cmd_r, .events = POLLIN };
		char res;

		if (poll(&p, 1, 60000) != 1 || read(cmd_r, &c, 1) != 1 ||
		    c == 'q')
			_exit(0);
		if (c == 'c')
			res = system("ip link set lo up && "
				     "ip addr add 198.18.0.1/24 dev xf1 && "
				     "ip addr add 198.18.0.3/24 dev xf1 && "
				     "ip -6 addr add 2001:2::1/64 dev xf1 nodad && "
				     "ip link set xf1 up") == 0
				      ? 0
				      : 1;
		else
			res = (char)exporter_burst();
		if (write(ack_w, &res, 1) != 1)
			_exit(1);
	}
	_exit(0);
}

/* Runs a command in the exporter; returns its status byte or -1. */
static int exporter(char cmd)
{
	struct pollfd p = { .fd = env.ack_r, .events = POLLIN };
	char res;

	if (write(env.cmd_w, &cmd, 1) != 1 || poll(&p, 1, 30000) != 1 ||
	    read(env.ack_r, &res, 1) != 1)
		return -1;
	return res;
}

/* ---- collector side -------------------------------------------------------- */

static const struct xdp_load_port ports[] = {
	{ 2055, XDPFLOW_PROTO_NETFLOW },
	{ 6343, XDPFLOW_PROTO_SFLOW },
};
static const struct xsk_rx_port xports[] = {
	{ 2055, DECODE_NETFLOW },
	{ 6343, DECODE_SFLOW },
};

static struct xdp_load_opts load_opts(void)
{
	static struct xdp_load_prefix allow[2] = {
		{ .len = 4, .bits = 32, .b = { 198, 18, 0, 1 } },
		{ .len = 16,
		  .bits = 128,
		  .b = { 0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			 1 } },
	};
	struct xdp_load_opts o = {
		.obj_path = OBJ,
		.bpffs_dir = PIN_DIR,
		.mode = XDP_LOAD_AUTO,
		.ports = ports,
		.n_ports = 2,
		.allow = allow,
		.n_allow = 2,
	};
	return o;
}

static uint32_t attached_id(void)
{
	uint32_t id = 0;

	bpf_xdp_query_id((int)if_nametoindex("xf0"), 0, &id);
	return id;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Sends a burst from the exporter and receives it through AF_XDP sockets on
 * every queue of xf0; checks contents, counters and ping. */
static void burst_and_check(struct xdp_load *x)
{
	static const uint8_t src4[4] = { 198, 18, 0, 1 };
	struct xsk_rx *rx[8] = { 0 };
	struct xdpflow_stats before, after;
	struct datagram dgs[64];
	int nq = xsk_rx_queue_count("xf0"), got4 = 0, got6 = 0;
	struct xsk_rx_opts ro = { .frames = 8192,
				  .zerocopy = XSK_RX_ZC_AUTO,
				  .ports = xports,
				  .n_ports = 2 };
	struct timespec t0, t;

	assert_true(nq >= 1 && nq <= 8);
	for (int q = 0; q < nq; q++)
		/* 8192 frames x 2048 B = 16 MiB: above RLIMIT_MEMLOCK (8 MiB),
		 * so this also checks that CAP_IPC_LOCK lets the UMEM register */
		assert_int_equal(xsk_rx_open(&rx[q], "xf0", (uint32_t)q,
					     xdp_load_xsks_fd(x, 0), &ro),
				 0);
	assert_int_equal(xdp_load_stats(x, &before), 0);
	assert_int_equal(exporter('b'), 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p[8];

		for (int q = 0; q < nq; q++)
			p[q] = (struct pollfd){ .fd = xsk_rx_fd(rx[q]),
						.events = POLLIN };
		poll(p, (nfds_t)nq, 100);
		for (int q = 0; q < nq; q++) {
			int n = xsk_rx_recv(rx[q], dgs, 64);

			assert_true(n >= 0);
			for (int i = 0; i < n; i++) {
				const struct datagram *d = &dgs[i];

				assert_true(d->len >= 4 && d->len < 16);
				assert_int_equal(d->exporter_port, 40000);
				assert_true(d->time_received_ns >
					    1700000000ULL * 1000000000ULL);
				if (d->exporter.len == 4) {
					assert_memory_equal(d->exporter.b, src4,
							    4);
					assert_int_equal(d->local_port, 2055);
					assert_int_equal(d->hint,
							 DECODE_NETFLOW);
					assert_memory_equal(d->data, "v4-", 3);
					got4++;
				} else {
					assert_int_equal(d->exporter.len, 16);
					assert_int_equal(d->exporter.b[15], 1);
					assert_int_equal(d->local_port, 6343);
					assert_int_equal(d->hint, DECODE_SFLOW);
					assert_memory_equal(d->data, "v6-", 3);
					got6++;
				}
			}
			xsk_rx_release(rx[q]);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((got4 == N_V4 && got6 == N_V6) || t.tv_sec - t0.tv_sec > 5)
			break;
	}
	assert_int_equal(got4, N_V4);
	assert_int_equal(got6, N_V6);
	assert_int_equal(xdp_load_stats(x, &after), 0);
	assert_int_equal(after.redirected - before.redirected, N_V4 + N_V6);
	assert_int_equal(after.drop_not_allowed - before.drop_not_allowed,
			 N_BAD);
	assert_int_equal(after.pass_other_port - before.pass_other_port,
			 N_OTHER);
	assert_int_equal(after.pass_no_socket - before.pass_no_socket, 0);
	assert_int_equal(after.pass_fragment - before.pass_fragment, 0);
	for (int q = 0; q < nq; q++) {
		struct xsk_rx_stats st;

		xsk_rx_get_stats(rx[q], &st);
		assert_int_equal(st.bad_frames, 0);
		assert_int_equal(st.kernel_dropped, 0);
		xsk_rx_close(rx[q]);
	}
}

static void t_attach_receive_teardown(void **state)
{
	struct xdp_load *x = NULL;
	struct xdp_load_opts o = load_opts();
	const char *ifs[] = { "xf0" };

	(void)state;
	if (!env.ready)
		skip();
	assert_int_equal(xdp_load_setup(&env.x, ifs, 1, &o), 0);
	x = env.x;
	assert_int_equal(xdp_load_mode_of(x, 0), XDP_LOAD_NATIVE); /* veth */
	assert_int_not_equal(xdp_load_how_of(x, 0), XDP_LOAD_HOW_REUSED);
	assert_int_not_equal(attached_id(), 0);
	assert_true(exists(PIN_DIR "/" XDPFLOW_MAP_STATS));
	assert_true(exists(PIN_DIR "/xdpflow_prog_xf0"));
	burst_and_check(x);
	env.x = NULL;
	xdp_load_teardown(x);
	assert_int_equal(attached_id(), 0);
	assert_false(exists(PIN_DIR));
}

static void t_skb_mode(void **state)
{
	struct xdp_load *x = NULL;
	struct xdp_load_opts o = load_opts();
	const char *ifs[] = { "xf0" };
	uint32_t id = 0;

	(void)state;
	if (!env.ready)
		skip();
	o.mode = XDP_LOAD_SKB;
	o.no_libxdp = true; /* the bpf_xdp_attach path */
	assert_int_equal(xdp_load_setup(&env.x, ifs, 1, &o), 0);
	x = env.x;
	assert_int_equal(xdp_load_mode_of(x, 0), XDP_LOAD_SKB);
	assert_int_equal(xdp_load_how_of(x, 0), XDP_LOAD_HOW_SINGLE);
	assert_int_equal(bpf_xdp_query_id((int)if_nametoindex("xf0"),
					  XDP_FLAGS_SKB_MODE, &id),
			 0);
	assert_int_not_equal(id, 0);
	burst_and_check(x);
	env.x = NULL;
	xdp_load_teardown(x);
	assert_int_equal(attached_id(), 0);
	assert_false(exists(PIN_DIR));
}

/* A run killed without teardown leaves its program attached and its pins;
 * the next setup removes them and attaches afresh. */
static void t_crash_restart(void **state)
{
	struct xdp_load *x = NULL;
	struct xdp_load_opts o = load_opts();
	const char *ifs[] = { "xf0" };
	uint32_t stale;
	int status;
	pid_t pid;

	(void)state;
	if (!env.ready)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct xdp_load *y;

		_exit(xdp_load_setup(&y, ifs, 1, &o) == 0 ? 0
							  : 1); /* "crash" */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	stale = attached_id();
	assert_int_not_equal(stale, 0);
	assert_true(exists(PIN_DIR "/xdpflow_prog_xf0"));

	assert_int_equal(xdp_load_setup(&env.x, ifs, 1, &o), 0);
	x = env.x;
	assert_int_not_equal(attached_id(), 0);
	assert_int_not_equal(attached_id(), stale);
	burst_and_check(x);
	env.x = NULL;
	xdp_load_teardown(x);
	assert_int_equal(attached_id(), 0);
	assert_false(exists(PIN_DIR));
}

/* `ip link set dev xf0 xdp obj ... sec xdp` (maps pinned by ip under
 * <bpffs>/xdp/globals): setup reuses that program and its maps, and
 * teardown leaves it attached. */
static void t_ip_link_reuse(void **state)
{
	struct xdp_load *x = NULL;
	struct xdp_load_opts o = load_opts();
	const char *ifs[] = { "xf0" };
	uint32_t id;

	(void)state;
	if (!env.ready)
		skip();
	assert_int_equal(system("ip link set dev xf0 xdp obj " OBJ " sec xdp"),
			 0);
	id = attached_id();
	assert_int_not_equal(id, 0);
	/* ip pins under <bpffs>/xdp/globals: a symlink to tc/globals when ip
	 * made it, a directory of its own when libxdp made /sys/fs/bpf/xdp
	 * first (as the tests before this one did) */
	assert_true(exists("/sys/fs/bpf/xdp/globals/" XDPFLOW_MAP_STATS));

	assert_int_equal(xdp_load_setup(&env.x, ifs, 1, &o), 0);
	x = env.x;
	assert_int_equal(xdp_load_how_of(x, 0), XDP_LOAD_HOW_REUSED);
	assert_int_equal(attached_id(), id);
	assert_true(exists(PIN_DIR "/" XDPFLOW_MAP_PORTS));
	burst_and_check(x);
	env.x = NULL;
	xdp_load_teardown(x);
	assert_int_equal(attached_id(), id); /* not ours to detach */
	assert_false(exists(PIN_DIR));
	assert_int_equal(system("ip link set dev xf0 xdp off"), 0);
	assert_int_equal(attached_id(), 0);
	assert_int_equal(system("rm -rf /sys/fs/bpf/xdp/globals/xdpflow_*"), 0);
}

/* need_wakeup: an empty receive makes no syscall while the kernel does not
 * ask for one (the fill ring is full); with busy polling every empty
 * receive kicks (one recvfrom, counted). The kernel takes the busy-poll
 * socket options from root. */
static void t_wakeups_and_busy_poll(void **state)
{
	struct xdp_load_opts o = load_opts();
	const char *ifs[] = { "xf0" };
	struct xsk_rx_opts ro = { .zerocopy = XSK_RX_ZC_AUTO,
				  .ports = xports,
				  .n_ports = 2 };
	struct datagram dgs[8];
	struct xsk_rx_stats st;
	struct xsk_rx *rx = NULL;

	(void)state;
	if (!env.ready)
		skip();
	assert_int_equal(xdp_load_setup(&env.x, ifs, 1, &o), 0);
	assert_int_equal(xsk_rx_open(&rx, "xf0", 0, xdp_load_xsks_fd(env.x, 0),
				     &ro),
			 0);
	assert_string_equal(xsk_rx_ifname(rx), "xf0");
	assert_int_equal(xsk_rx_queue(rx), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(xsk_rx_recv(rx, dgs, 8), 0);
	xsk_rx_get_stats(rx, &st);
	assert_int_equal(st.wakeups, 0);
	xsk_rx_close(rx);

	ro.busy_poll_us = 50;
	ro.busy_poll_budget = 16;
	/* The kernel frees the closed socket's queue binding a little later
	 * (deferred work): -EBUSY until then; bounded retries. */
	for (int i = 0, err = -EBUSY; err; i++) {
		assert_true(i < 100 && err == -EBUSY);
		if (i)
			usleep(20000);
		err = xsk_rx_open(&rx, "xf0", 0, xdp_load_xsks_fd(env.x, 0),
				  &ro);
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(xsk_rx_recv(rx, dgs, 8), 0);
	xsk_rx_get_stats(rx, &st);
	assert_int_equal(st.wakeups, 3);
	xsk_rx_close(rx);
}

static void t_bad_iface(void **state)
{
	struct xdp_load *x = NULL;
	struct xdp_load_opts o = load_opts();
	const char *ifs[] = { "xf0", "nosuchif0" };

	(void)state;
	if (!env.ready)
		skip();
	assert_int_equal(xdp_load_setup(&x, ifs, 2, &o), -ENODEV);
	assert_null(x);
	assert_int_equal(attached_id(), 0);
}

/* After each test, pass or fail: nothing of it stays attached or pinned. */
static int test_teardown(void **state)
{
	int ifindex = (int)if_nametoindex("xf0");

	(void)state;
	if (!env.ready)
		return 0;
	xdp_load_teardown(env.x);
	env.x = NULL;
	if (ifindex > 0) {
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
		bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
	}
	return system("rm -rf " PIN_DIR
		      " /sys/fs/bpf/xdp/globals/xdpflow_* /sys/fs/bpf/tc/globals/xdpflow_*") ==
			       0
		       ? 0
		       : -1;
}

/* ---- setup ----------------------------------------------------------------- */

static int group_setup(void **state)
{
	int cmd[2], ack[2], ready[2];
	char c, buf[128];
	struct pollfd p;

	(void)state;
	if (geteuid() != 0)
		return 0;
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") != 0) {
		fprintf(stderr, "could not make private namespaces: %s\n",
			strerror(errno));
		return -1;
	}
	if (system("ip link set lo up && ip link add xf0 type veth peer name xf1") !=
	    0)
		return -1;
	if (pipe2(cmd, O_CLOEXEC) || pipe2(ack, O_CLOEXEC) ||
	    pipe2(ready, O_CLOEXEC))
		return -1;
	env.child = fork();
	if (env.child < 0)
		return -1;
	if (env.child == 0)
		exporter_main(cmd[0], ack[1], ready[1]);
	env.cmd_w = cmd[1];
	env.ack_r = ack[0];
	p = (struct pollfd){ .fd = ready[0], .events = POLLIN };
	if (poll(&p, 1, 10000) != 1 || read(ready[0], &c, 1) != 1)
		return -1;
	snprintf(buf, sizeof(buf), "ip link set xf1 netns %d", (int)env.child);
	if (system(buf) != 0 ||
	    system("ip addr add 198.18.0.2/24 dev xf0 && "
		   "ip -6 addr add 2001:2::2/64 dev xf0 nodad && "
		   "ip link set xf0 up") != 0 ||
	    exporter('c') != 0)
		return -1;
	{
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(7777) };
		int one = 1;

		inet_pton(AF_INET, "198.18.0.2", &a.sin_addr);
		env.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		setsockopt(env.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
			   sizeof(one));
		if (env.listen_fd < 0 ||
		    bind(env.listen_fd, (void *)&a, sizeof(a)) ||
		    listen(env.listen_fd, 64))
			return -1;
	}
	env.ready = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (env.child > 0) {
		char q = 'q';
		int status;

		if (write(env.cmd_w, &q, 1) != 1)
			kill(env.child, SIGKILL);
		for (int i = 0;
		     i < 50 && waitpid(env.child, &status, WNOHANG) == 0; i++)
			usleep(100000);
		kill(env.child, SIGKILL);
		waitpid(env.child, &status, WNOHANG);
	}
	return 0; /* the namespaces, veth pair and bpffs go with the process */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(t_attach_receive_teardown,
					  test_teardown),
		cmocka_unit_test_teardown(t_skb_mode, test_teardown),
		cmocka_unit_test_teardown(t_crash_restart, test_teardown),
		cmocka_unit_test_teardown(t_ip_link_reuse, test_teardown),
		cmocka_unit_test_teardown(t_wakeups_and_busy_poll,
					  test_teardown),
		cmocka_unit_test_teardown(t_bad_iface, test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
