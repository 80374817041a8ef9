// SPDX-License-Identifier: Apache-2.0
/*
 * Live test of the daemon's XDP fast path (daemon/xdp_path.c) on a veth
 * pair: the process moves into its own network and mount namespaces (with
 * a private bpffs on /sys/fs/bpf) and creates veth xf0 <-> xf1. It checks
 * that xdp_path_start attaches to the interfaces that exist and leaves out
 * the missing one (not forced), hands back one AF_XDP socket per RX queue,
 * reads zeroed counters, and that xdp_path_stop detaches and unpins; and
 * that a forced zero-copy veth cannot give is an error with nothing left
 * attached. Needs root: fails, not skips, without it. The namespaces, the
 * veth pair and the bpffs go with the process.
 */
#include "unit.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include "daemon/xdp_path.h"

#ifndef XDPFLOW_BPF_DIR
#define XDPFLOW_BPF_DIR "build/bpf"
#endif
#define OBJ XDPFLOW_BPF_DIR "/xdpflow.bpf.o"
#define PIN_DIR "/sys/fs/bpf/xdpflow-path-test"

static struct allow_list allow;
static struct listen_uri listen_[2];

static uint32_t attached_id(const char *ifname)
{
	uint32_t id = 0;

	bpf_xdp_query_id((int)if_nametoindex(ifname), 0, &id);
	return id;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static struct xdp_path_config config(const char *const *ifaces, size_t n)
{
	struct xdp_path_config c = {
		.ifaces = ifaces,
		.n_ifaces = n,
		.mode = XDP_LOAD_AUTO,
		.zerocopy = XSK_RX_ZC_AUTO,
		.bpffs_dir = PIN_DIR,
		.obj_path = OBJ,
		.frames = 4096,
		.listen = listen_,
		.n_listen = 2,
		.allow = &allow,
	};
	return c;
}

static void t_start_stop(void **state)
{
	const char *ifs[] = { "nosuchif0", "xf0" };
	struct xdp_path_config cfg = config(ifs, 2);
	struct xdp_path *x = NULL;
	struct xdpflow_stats st;
	struct rx **rx = NULL;
	size_t n_rx = 0;

	(void)state;
	assert_int_equal(xdp_path_start(&x, &cfg, &rx, &n_rx), 0);
	assert_non_null(x);
	assert_string_equal(xdp_path_ifaces(x), "xf0");
	/* A veth made without numrxqueues has one RX queue. */
	assert_int_equal(n_rx, 1);
	assert_non_null(rx);
	assert_true(rx_fd(rx[0]) >= 0);
	assert_int_not_equal(attached_id("xf0"), 0);
	assert_true(exists(PIN_DIR "/xdpflow_prog_xf0"));
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(xdp_path_stats(x, &st), 0);
	assert_int_equal(st.packets, 0);
	assert_int_equal(st.redirected, 0);
	/* The sockets first (as a daemon's workers close them), then stop. */
	for (size_t i = 0; i < n_rx; i++)
		rx_close(rx[i]);
	free(rx);
	xdp_path_stop(x);
	assert_int_equal(attached_id("xf0"), 0);
	assert_false(exists(PIN_DIR));
}

/* veth has no zero-copy AF_XDP: forced, that is an error, undone. */
static void t_forced_zerocopy(void **state)
{
	const char *ifs[] = { "xf0", "xf1" };
	struct xdp_path_config cfg = config(ifs, 2);
	struct xdp_path *x = (struct xdp_path *)&cfg;
	struct rx **rx = NULL;
	size_t n_rx = 7;
	int rc;

	(void)state;
	cfg.zerocopy = XSK_RX_ZC_ON;
	rc = xdp_path_start(&x, &cfg, &rx, &n_rx);
	assert_int_equal(rc, -EOPNOTSUPP);
	assert_null(x);
	assert_null(rx);
	assert_int_equal(n_rx, 0);
	assert_int_equal(attached_id("xf0"), 0);
	assert_int_equal(attached_id("xf1"), 0);
	assert_false(exists(PIN_DIR "/xdpflow_prog_xf0"));
}

/* Both ends of the pair, not forced: both attached, one socket each. */
static void t_two_interfaces(void **state)
{
	const char *ifs[] = { "xf0", "xf1" };
	struct xdp_path_config cfg = config(ifs, 2);
	struct xdp_path *x = NULL;
	struct rx **rx = NULL;
	size_t n_rx = 0;

	(void)state;
	assert_int_equal(xdp_path_start(&x, &cfg, &rx, &n_rx), 0);
	assert_non_null(x);
	assert_string_equal(xdp_path_ifaces(x), "xf0,xf1");
	assert_int_equal(n_rx, 2);
	assert_int_not_equal(attached_id("xf0"), 0);
	assert_int_not_equal(attached_id("xf1"), 0);
	for (size_t i = 0; i < n_rx; i++)
		rx_close(rx[i]);
	free(rx);
	xdp_path_stop(x);
	assert_int_equal(attached_id("xf0"), 0);
	assert_int_equal(attached_id("xf1"), 0);
}

/* After each test, pass or fail: nothing attached or pinned. */
static int test_teardown(void **state)
{
	const char *ifs[] = { "xf0", "xf1" };

	(void)state;
	for (int i = 0; i < 2; i++) {
		int ifindex = (int)if_nametoindex(ifs[i]);

		if (ifindex > 0) {
			bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
			bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL);
		}
	}
	return system("rm -rf " PIN_DIR) == 0 ? 0 : -1;
}

static int group_setup(void **state)
{
	char err[256];

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr,
			"test_xdp_path_live needs root (XDP, namespaces)\n");
		return -1;
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") != 0) {
		fprintf(stderr, "could not make private namespaces: %s\n",
			strerror(errno));
		return -1;
	}
	if (system("ip link set lo up && ip link add xf0 type veth peer name xf1 && "
		   "ip link set xf0 up && ip link set xf1 up") != 0)
		return -1;
	allow_list_init(&allow);
	if (allow_list_add(&allow, "198.18.0.0/15") ||
	    listen_uri_parse("netflow://:2055", &listen_[0], err,
			     sizeof(err)) ||
	    listen_uri_parse("sflow://:6343", &listen_[1], err, sizeof(err)))
		return -1;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(t_start_stop, test_teardown),
		cmocka_unit_test_teardown(t_forced_zerocopy, test_teardown),
		cmocka_unit_test_teardown(t_two_interfaces, test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
