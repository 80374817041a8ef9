// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the parts of the XDP fast path (daemon/xdp_path.c) that
 * need no interface: the listeners' ports and the allow-list as the XDP
 * maps take them, the removal of interfaces that do not exist, the
 * fallback decision driven by a scripted loader (which interface goes to
 * the UDP sockets, when to give up, forced modes), and xdp_path_start's
 * early exits (no interface, too many, no object, none exists).
 */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/xdp_path.h"
#include "daemon/xdp_path_internal.h"

static void test_collect_ports(void **state)
{
	struct listen_uri lu[8];
	struct xdp_load_port lp[XDPFLOW_MAX_PORTS];
	struct xsk_rx_port xp[XDPFLOW_MAX_PORTS];
	struct xdp_path_config cfg = { .listen = lu };
	char err[256];

	(void)state;
	assert_int_equal(listen_uri_parse_list("netflow://:2055,sflow://:6343,"
					       "flow://[::1]:2055,flow://:4739",
					       lu, 8, &cfg.n_listen, err,
					       sizeof(err)),
			 0);
	assert_int_equal(cfg.n_listen, 4);
	/* 2055 once, with the protocol of its first listener. */
	assert_int_equal(xdp_path_collect_ports(&cfg, lp, xp), 3);
	assert_int_equal(lp[0].port, 2055);
	assert_int_equal(lp[0].proto, XDPFLOW_PROTO_NETFLOW);
	assert_int_equal(lp[1].port, 6343);
	assert_int_equal(lp[1].proto, XDPFLOW_PROTO_SFLOW);
	assert_int_equal(lp[2].port, 4739);
	assert_int_equal(lp[2].proto, XDPFLOW_PROTO_ANY);
	assert_int_equal(xp[0].port, 2055);
	assert_int_equal(xp[0].hint, DECODE_NETFLOW);
	assert_int_equal(xp[1].port, 6343);
	assert_int_equal(xp[1].hint, DECODE_SFLOW);
	assert_int_equal(xp[2].port, 4739);
	assert_int_equal(xp[2].hint, DECODE_ANY);
}

/* More distinct ports than the map holds: the first XDPFLOW_MAX_PORTS. */
static void test_collect_ports_bounded(void **state)
{
	struct listen_uri *lu = calloc(XDPFLOW_MAX_PORTS + 5, sizeof(*lu));
	struct xdp_load_port lp[XDPFLOW_MAX_PORTS];
	struct xsk_rx_port xp[XDPFLOW_MAX_PORTS];
	struct xdp_path_config cfg = { .listen = lu,
				       .n_listen = XDPFLOW_MAX_PORTS + 5 };

	(void)state;
	assert_non_null(lu);
	for (size_t i = 0; i < cfg.n_listen; i++) {
		lu[i].port = (uint16_t)(10000 + i);
		lu[i].hint = DECODE_SFLOW;
	}
	assert_int_equal(xdp_path_collect_ports(&cfg, lp, xp),
			 XDPFLOW_MAX_PORTS);
	assert_int_equal(lp[XDPFLOW_MAX_PORTS - 1].port,
			 10000 + XDPFLOW_MAX_PORTS - 1);
	free(lu);
}

static void test_translate_allow(void **state)
{
	static struct allow_list al;
	struct xdp_load_prefix out[3];
	const uint8_t v6[16] = { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 };

	(void)state;
	allow_list_init(&al);
	assert_int_equal(allow_list_add(&al, "198.18.0.0/15"), 0);
	assert_int_equal(allow_list_add(&al, "2001:2::ff/48"), 0);
	assert_int_equal(allow_list_add(&al, "198.19.5.7"), 0);
	memset(out, 0xee, sizeof(out));
	xdp_path_translate_allow(&al, out);
	assert_int_equal(out[0].len, 4);
	assert_int_equal(out[0].bits, 15);
	assert_memory_equal(out[0].b, ((uint8_t[]){ 198, 18, 0, 0 }), 4);
	assert_int_equal(out[1].len, 16);
	assert_int_equal(out[1].bits, 48);
	/* Host bits cleared, network order. */
	assert_memory_equal(out[1].b, v6, 16);
	assert_int_equal(out[2].len, 4);
	assert_int_equal(out[2].bits, 32);
	assert_memory_equal(out[2].b, ((uint8_t[]){ 198, 19, 5, 7 }), 4);
}

static void test_drop_missing(void **state)
{
	const char *names[4] = { "lo", "xdpflow-nope0", "lo", "xdpflow-nope1" };
	const char *all_missing[2] = { "xdpflow-nope0", "xdpflow-nope1" };
	size_t n = 4;

	(void)state;
	/* Forced: an error, the list untouched. */
	assert_int_equal(xdp_path_drop_missing(names, &n, true), -ENODEV);
	assert_int_equal(n, 4);
	assert_string_equal(names[1], "xdpflow-nope0");
	/* Else the missing ones are left out, the order kept. */
	assert_int_equal(xdp_path_drop_missing(names, &n, false), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "lo");
	assert_string_equal(names[1], "lo");
	n = 2;
	assert_int_equal(xdp_path_drop_missing(all_missing, &n, false), 0);
	assert_int_equal(n, 0);
}

/* A scripted loader: setting up fails when one of the broken interfaces is
 * in the set, or when the set is "together" and more than one. */
struct script {
	const char *broken[4];
	bool says_which;     /* report the failing index (else -1) */
	bool fails_together; /* any set of two or more fails, each alone works */
	int calls, undos, started;
	size_t last_n;
};

static bool is_broken(const struct script *s, const char *name)
{
	for (int i = 0; i < 4 && s->broken[i]; i++)
		if (strcmp(s->broken[i], name) == 0)
			return true;
	return false;
}

static int script_start(void *ctx, const char *const *names, size_t n,
			long *bad)
{
	struct script *s = ctx;

	s->calls++;
	s->last_n = n;
	*bad = -1;
	if (s->fails_together && n > 1)
		return -EBUSY;
	for (size_t i = 0; i < n; i++)
		if (is_broken(s, names[i])) {
			if (s->says_which)
				*bad = (long)i;
			return -EOPNOTSUPP;
		}
	s->started++;
	return 0;
}

static void script_undo(void *ctx)
{
	struct script *s = ctx;

	s->undos++;
	s->started--;
}

static void test_fallback_all_work(void **state)
{
	struct script s = { .says_which = true };
	struct xdp_path_try t = { script_start, script_undo, &s };
	const char *names[3] = { "a", "b", "c" };
	size_t n = 3;

	(void)state;
	assert_int_equal(xdp_path_fallback(&t, names, &n, false, 3), 0);
	assert_int_equal(n, 3);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.started, 1);
}

/* The loader names the failing interface: it is left out, the rest retried. */
static void test_fallback_said(void **state)
{
	struct script s = { .broken = { "b" }, .says_which = true };
	struct xdp_path_try t = { script_start, script_undo, &s };
	const char *names[3] = { "a", "b", "c" };
	size_t n = 3;

	(void)state;
	assert_int_equal(xdp_path_fallback(&t, names, &n, false, 3), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "a");
	assert_string_equal(names[1], "c");
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.last_n, 2);
	assert_int_equal(s.started, 1);
	assert_int_equal(s.undos, 0);
}

/* It does not say: each is tried alone (those that work undone) to find it. */
static void test_fallback_found(void **state)
{
	struct script s = { .broken = { "c" } };
	struct xdp_path_try t = { script_start, script_undo, &s };
	const char *names[4] = { "a", "b", "c", "d" };
	size_t n = 4;

	(void)state;
	assert_int_equal(xdp_path_fallback(&t, names, &n, false, 4), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "a");
	assert_string_equal(names[1], "b");
	assert_string_equal(names[2], "d");
	/* Round 1, a, b, c alone, round 2. */
	assert_int_equal(s.calls, 5);
	assert_int_equal(s.undos, 2);
	assert_int_equal(s.started, 1);
}

/* Each works alone but not together, and nothing says which: give up on
 * XDP, leave the list as it was, nothing left started. */
static void test_fallback_give_up(void **state)
{
	struct script s = { .fails_together = true };
	struct xdp_path_try t = { script_start, script_undo, &s };
	const char *names[3] = { "a", "b", "c" };
	size_t n = 3;

	(void)state;
	assert_int_equal(xdp_path_fallback(&t, names, &n, false, 3), 1);
	assert_int_equal(n, 3);
	assert_int_equal(s.calls, 4);
	assert_int_equal(s.undos, 3);
	assert_int_equal(s.started, 0);
}

static void test_fallback_all_broken(void **state)
{
	struct script s = { .broken = { "a", "b" }, .says_which = true };
	struct xdp_path_try t = { script_start, script_undo, &s };
	const char *names[2] = { "a", "b" };
	size_t n = 2;

	(void)state;
	assert_int_equal(xdp_path_fallback(&t, names, &n, false, 2), 1);
	assert_int_equal(n, 0);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.started, 0);
}

/* Forced: the first failure is the answer, nothing left out. */
static void test_fallback_forced(void **state)
{
	struct script s = { .broken = { "b" }, .says_which = true };
	struct xdp_path_try t = { script_start, script_undo, &s };
	const char *names[3] = { "a", "b", "c" };
	size_t n = 3;

	(void)state;
	assert_int_equal(xdp_path_fallback(&t, names, &n, true, 3),
			 -EOPNOTSUPP);
	assert_int_equal(n, 3);
	assert_int_equal(s.calls, 1);
}

/* Rounds are bounded: max_rounds 0 is one attempt. */
static void test_fallback_bounded(void **state)
{
	struct script s = { .broken = { "a" }, .says_which = true };
	struct xdp_path_try t = { script_start, script_undo, &s };
	const char *names[2] = { "a", "b" };
	size_t n = 2;

	(void)state;
	assert_int_equal(xdp_path_fallback(&t, names, &n, false, 0), 1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "b");
}

static void test_start_early_exits(void **state)
{
	static struct allow_list al;
	const char *ifaces[33],
		*missing[2] = { "xdpflow-nope0", "xdpflow-nope1" };
	struct xdp_path_config cfg = { .allow = &al, .obj_path = "/dev/null" };
	struct xdp_path *x = (struct xdp_path *)&cfg;
	struct rx **rx = (struct rx **)&cfg;
	size_t n_rx = 99;

	(void)state;
	allow_list_init(&al);
	/* No interface: nothing to do. */
	assert_int_equal(xdp_path_start(&x, &cfg, &rx, &n_rx), 0);
	assert_null(x);
	assert_null(rx);
	assert_int_equal(n_rx, 0);
	/* More interfaces than the loader takes. */
	for (int i = 0; i < 33; i++)
		ifaces[i] = "lo";
	cfg.ifaces = ifaces;
	cfg.n_ifaces = 33;
	assert_int_equal(xdp_path_start(&x, &cfg, &rx, &n_rx), -EINVAL);
	/* None of them exists: the UDP sockets get everything, or with a
	 * forced mode that is an error. */
	cfg.ifaces = missing;
	cfg.n_ifaces = 2;
	assert_int_equal(xdp_path_start(&x, &cfg, &rx, &n_rx), 0);
	assert_null(x);
	assert_null(rx);
	assert_int_equal(n_rx, 0);
	cfg.mode = XDP_LOAD_NATIVE;
	assert_true(xdp_path_forced(&cfg));
	assert_int_equal(xdp_path_start(&x, &cfg, &rx, &n_rx), -ENODEV);
	/* No readable object: fall back, unless forced. */
	cfg.ifaces = ifaces;
	cfg.n_ifaces = 1;
	cfg.obj_path = "/nonexistent/xdpflow.bpf.o";
	assert_int_equal(xdp_path_start(&x, &cfg, &rx, &n_rx), -ENOENT);
	cfg.mode = XDP_LOAD_AUTO;
	cfg.zerocopy = XSK_RX_ZC_ON;
	assert_true(xdp_path_forced(&cfg));
	assert_int_equal(xdp_path_start(&x, &cfg, &rx, &n_rx), -ENOENT);
	cfg.zerocopy = XSK_RX_ZC_OFF;
	/* Busy polling asked for is forced too. */
	cfg.busy_poll_us = 50;
	assert_true(xdp_path_forced(&cfg));
	assert_int_equal(xdp_path_start(&x, &cfg, &rx, &n_rx), -ENOENT);
	cfg.busy_poll_us = 0;
	assert_false(xdp_path_forced(&cfg));
	assert_int_equal(xdp_path_start(&x, &cfg, &rx, &n_rx), 0);
	assert_null(x);
	assert_null(rx);
	xdp_path_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect_ports),
		cmocka_unit_test(test_collect_ports_bounded),
		cmocka_unit_test(test_translate_allow),
		cmocka_unit_test(test_drop_missing),
		cmocka_unit_test(test_fallback_all_work),
		cmocka_unit_test(test_fallback_said),
		cmocka_unit_test(test_fallback_found),
		cmocka_unit_test(test_fallback_give_up),
		cmocka_unit_test(test_fallback_all_broken),
		cmocka_unit_test(test_fallback_forced),
		cmocka_unit_test(test_fallback_bounded),
		cmocka_unit_test(test_start_early_exits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
