// SPDX-License-Identifier: Apache-2.0
/* Unit tests for listen URI parsing: every accepted form and the bad ones. */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>

#include "daemon/listen_uri.h"

static void good(const char *s, enum decode_hint hint, int family, int any,
		 const char *addr, uint16_t port, unsigned count)
{
	struct listen_uri u;
	char err[256] = "", back[128], want[INET6_ADDRSTRLEN];
	char got[INET6_ADDRSTRLEN];

	assert_int_equal(listen_uri_parse(s, &u, err, sizeof(err)), 0);
	assert_int_equal(u.hint, hint);
	assert_int_equal(u.addr.ss_family, family);
	assert_int_equal(u.any, any);
	assert_int_equal(u.port, port);
	assert_int_equal(u.count, count);
	if (family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&u.addr;

		assert_int_equal(ntohs(a->sin_port), port);
		assert_int_equal(u.addrlen, sizeof(*a));
		inet_ntop(AF_INET, &a->sin_addr, got, sizeof(got));
	} else {
		const struct sockaddr_in6 *a = (const void *)&u.addr;

		assert_int_equal(ntohs(a->sin6_port), port);
		assert_int_equal(u.addrlen, sizeof(*a));
		inet_ntop(AF_INET6, &a->sin6_addr, got, sizeof(got));
	}
	snprintf(want, sizeof(want), "%s", addr);
	assert_string_equal(got, want);
	/* Formatting gives back the canonical input. */
	assert_string_equal(listen_uri_str(&u, back, sizeof(back)), s);
}

static void test_good_forms(void **state)
{
	(void)state;
	good("netflow://:2055", DECODE_NETFLOW, AF_INET6, 1, "::", 2055, 0);
	good("sflow://:6343", DECODE_SFLOW, AF_INET6, 1, "::", 6343, 0);
	good("flow://127.0.0.1:9995", DECODE_ANY, AF_INET, 0, "127.0.0.1", 9995,
	     0);
	good("netflow://0.0.0.0:1", DECODE_NETFLOW, AF_INET, 0, "0.0.0.0", 1,
	     0);
	good("sflow://[::1]:65535", DECODE_SFLOW, AF_INET6, 0, "::1", 65535, 0);
	good("flow://[2001:2::1]:2055?count=4", DECODE_ANY, AF_INET6, 0,
	     "2001:2::1", 2055, 4);
	good("netflow://198.18.0.1:2055?count=64", DECODE_NETFLOW, AF_INET, 0,
	     "198.18.0.1", 2055, 64);
	good("netflow://[::]:2055", DECODE_NETFLOW, AF_INET6, 0, "::", 2055, 0);
	good("tcp://:4739", DECODE_NETFLOW, AF_INET6, 1, "::", 4739, 0);
	good("tcp://[::1]:4739", DECODE_NETFLOW, AF_INET6, 0, "::1", 4739, 0);
	good("tcp://198.18.0.2:4739", DECODE_NETFLOW, AF_INET, 0, "198.18.0.2",
	     4739, 0);
}

static void test_tcp(void **state)
{
	struct listen_uri u;
	char err[256] = "";

	(void)state;
	assert_int_equal(listen_uri_parse("tcp://:4739", &u, err, sizeof(err)),
			 0);
	assert_true(u.tcp);
	assert_int_equal(listen_uri_parse("netflow://:4739", &u, err,
					  sizeof(err)),
			 0);
	assert_false(u.tcp);
	assert_int_equal(listen_uri_parse("tcp://:4739?count=2", &u, err,
					  sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "bad listen URI 'tcp://:4739?count=2': count is "
			    "for UDP listeners (tcp:// has one socket)");
}

static void test_tls(void **state)
{
	struct listen_uri u;
	char err[256] = "", buf[128];

	(void)state;
	assert_int_equal(listen_uri_parse("tls://[::1]:4740", &u, err,
					  sizeof(err)),
			 0);
	assert_true(u.tcp);
	assert_true(u.tls);
	assert_int_equal(u.hint, DECODE_NETFLOW);
	assert_int_equal(u.port, 4740);
	assert_string_equal(listen_uri_str(&u, buf, sizeof(buf)),
			    "tls://[::1]:4740");
	assert_int_equal(listen_uri_parse("tcp://:4739", &u, err, sizeof(err)),
			 0);
	assert_false(u.tls);
	assert_string_equal(listen_uri_str(&u, buf, sizeof(buf)),
			    "tcp://:4739");
	assert_int_equal(listen_uri_parse("tls://:4740?count=2", &u, err,
					  sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "bad listen URI 'tls://:4740?count=2': count is "
			    "for UDP listeners (tls:// has one socket)");
	assert_int_equal(listen_uri_parse("dtls://:4740", &u, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "bad listen URI 'dtls://:4740': scheme must "
			    "be netflow, sflow, flow, tcp or tls");
}

static void test_bad_forms(void **state)
{
	static const char *const bad[] = {
		"",
		"netflow",
		"netflow:2055",
		"netflow//:2055",
		"ipfix://:2055",
		"NETFLOW://:2055",
		"://:2055",
		"netflow://",
		"netflow://:",
		"netflow://:0",
		"netflow://:65536",
		"netflow://:99999999999",
		"netflow://:-1",
		"netflow://: 2055",
		"netflow://:2055x",
		"netflow://:20a5",
		"netflow://1.2.3.4",
		"netflow://1.2.3:2055",
		"netflow://1.2.3.256:2055",
		"netflow://localhost:2055",
		"netflow://::1:2055",
		"netflow://[::1:2055",
		"netflow://[::1]2055",
		"netflow://[]:2055",
		"netflow://[1.2.3.4]:2055",
		"netflow://[::g]:2055",
		"netflow://:2055?count=0",
		"netflow://:2055?count=65",
		"netflow://:2055?count=",
		"netflow://:2055?count=x",
		"netflow://:2055?workers=2",
		"netflow://:2055?",
		"netflow://:2055?count=2&",
		"netflow://:2055?&count=2",
		"netflow://:2055/path",
		"netflow://1.2.3.4:2055:1",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct listen_uri u;
		char err[256] = "";

		if (listen_uri_parse(bad[i], &u, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted bad URI '%s'", bad[i]);
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n'));
	}
}

static void test_error_names_input(void **state)
{
	struct listen_uri u;
	char err[256];

	(void)state;
	assert_int_equal(listen_uri_parse("ipfix://:4739", &u, err,
					  sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "ipfix://:4739"));
	assert_non_null(strstr(err, "scheme"));
}

static void test_list(void **state)
{
	struct listen_uri arr[4];
	size_t n = 0;
	char err[256];

	(void)state;
	assert_int_equal(listen_uri_parse_list("netflow://:2055,sflow://:6343",
					       arr, 4, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(arr[0].hint, DECODE_NETFLOW);
	assert_int_equal(arr[1].hint, DECODE_SFLOW);
	/* Appends to what is there. */
	assert_int_equal(listen_uri_parse_list("flow://[::1]:9995", arr, 4, &n,
					       err, sizeof(err)),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(arr[2].hint, DECODE_ANY);
	/* Over capacity. */
	assert_int_equal(listen_uri_parse_list("flow://:1,flow://:2", arr, 4,
					       &n, err, sizeof(err)),
			 -E2BIG);
	assert_int_equal(n, 4);

	n = 0;
	assert_int_equal(listen_uri_parse_list("netflow://:2055,", arr, 4, &n,
					       err, sizeof(err)),
			 -EINVAL);
	n = 0;
	assert_int_equal(listen_uri_parse_list(",netflow://:2055", arr, 4, &n,
					       err, sizeof(err)),
			 -EINVAL);
	n = 0;
	assert_int_equal(listen_uri_parse_list("", arr, 4, &n, err,
					       sizeof(err)),
			 -EINVAL);
	n = 0;
	assert_int_equal(listen_uri_parse_list("netflow://:2055,,sflow://:1",
					       arr, 4, &n, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_forms),
		cmocka_unit_test(test_bad_forms),
		cmocka_unit_test(test_error_names_input),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
