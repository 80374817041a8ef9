// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the exporter allow-list: IPv4, IPv6, edges, bad input. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/allow_list.h"

static bool match(const struct allow_list *l, const char *s)
{
	struct flow_addr a = unit_addr(s);

	return allow_list_match(l, &a);
}

static struct allow_list *new_list(void)
{
	struct allow_list *l = malloc(sizeof(*l));

	assert_non_null(l);
	allow_list_init(l);
	return l;
}

static void test_empty_allows_all(void **state)
{
	struct allow_list *l = new_list();
	struct flow_addr none = { 0 };

	(void)state;
	assert_true(match(l, "198.18.0.1"));
	assert_true(match(l, "2001:2::1"));
	assert_true(allow_list_match(l, &none));
	free(l);
}

static void test_ipv4(void **state)
{
	struct allow_list *l = new_list();

	(void)state;
	assert_int_equal(allow_list_add(l, "198.18.0.0/24"), 0);
	assert_int_equal(allow_list_add(l, "10.1.2.3/32"), 0);
	assert_int_equal(allow_list_add(l, "172.16.0.0/12"), 0);
	assert_true(match(l, "198.18.0.0"));
	assert_true(match(l, "198.18.0.255"));
	assert_false(match(l, "198.18.1.0"));
	assert_true(match(l, "10.1.2.3"));
	assert_false(match(l, "10.1.2.4"));
	assert_true(match(l, "172.31.255.255"));
	assert_false(match(l, "172.32.0.0"));
	assert_false(match(l, "2001:2::1"));
	/* An IPv4-mapped IPv6 source matches as IPv4. */
	assert_true(match(l, "::ffff:198.18.0.7"));
	assert_false(match(l, "::ffff:198.19.0.7"));
	/* An address without prefix is a host. */
	assert_int_equal(allow_list_add(l, "192.0.2.1"), 0);
	assert_true(match(l, "192.0.2.1"));
	assert_false(match(l, "192.0.2.2"));
	free(l);
}

static void test_ipv6(void **state)
{
	struct allow_list *l = new_list();

	(void)state;
	assert_int_equal(allow_list_add(l, "2001:2::/48"), 0);
	assert_int_equal(allow_list_add(l, "2001:db8::1/128"), 0);
	assert_int_equal(allow_list_add(l, "fe80::/10"), 0);
	assert_true(match(l, "2001:2::1"));
	assert_true(match(l, "2001:2:0:ffff::1"));
	assert_false(match(l, "2001:2:1::1"));
	assert_true(match(l, "2001:db8::1"));
	assert_false(match(l, "2001:db8::2"));
	assert_true(match(l, "febf::1"));
	assert_false(match(l, "fec0::1"));
	assert_false(match(l, "198.18.0.1"));
	free(l);
}

static void test_zero_prefixes(void **state)
{
	struct allow_list *l = new_list();

	(void)state;
	assert_int_equal(allow_list_add(l, "0.0.0.0/0"), 0);
	assert_true(match(l, "1.2.3.4"));
	assert_true(match(l, "255.255.255.255"));
	assert_false(match(l, "::1"));
	assert_int_equal(allow_list_add(l, "::/0"), 0);
	assert_true(match(l, "::1"));
	assert_true(match(l, "ffff::1"));
	free(l);
}

static void test_host_bits_ignored(void **state)
{
	struct allow_list *l = new_list();

	(void)state;
	assert_int_equal(allow_list_add(l, "198.18.5.77/16"), 0);
	assert_true(match(l, "198.18.200.1"));
	assert_int_equal(allow_list_add(l, "2001:2::abcd/47"), 0);
	assert_true(match(l, "2001:2:1::1"));
	assert_false(match(l, "2001:2:2::1"));
	free(l);
}

static void test_odd_prefix_lengths(void **state)
{
	struct allow_list *l = new_list();

	(void)state;
	assert_int_equal(allow_list_add(l, "198.18.0.128/25"), 0);
	assert_true(match(l, "198.18.0.128"));
	assert_false(match(l, "198.18.0.127"));
	assert_int_equal(allow_list_add(l, "2001:2::/127"), 0);
	assert_true(match(l, "2001:2::1"));
	assert_false(match(l, "2001:2::2"));
	free(l);
}

static void test_bad_input(void **state)
{
	static const char *const bad[] = {
		"",
		"/",
		"/8",
		"1.2.3.4/",
		"1.2.3.4/33",
		"1.2.3.4/-1",
		"1.2.3.4/+8",
		"1.2.3.4/ 8",
		"1.2.3.4/8/8",
		"1.2.3.4/8x",
		"1.2.3/24",
		"1.2.3.4.5",
		"256.0.0.0/8",
		"::/129",
		"::1/1000",
		"2001:2::/48 ",
		" 2001:2::/48",
		"2001:::1",
		"host.example",
		"[::1]/128",
		"1.2.3.4/0008",
	};
	struct allow_list *l = new_list();

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (allow_list_add(l, bad[i]) != -EINVAL)
			fail_msg("accepted bad CIDR '%s'", bad[i]);
	assert_int_equal(l->n, 0);
	free(l);
}

static void test_full(void **state)
{
	struct allow_list *l = new_list();

	(void)state;
	for (int i = 0; i < ALLOW_LIST_MAX; i++)
		assert_int_equal(allow_list_add(l, "10.0.0.0/8"), 0);
	assert_int_equal(allow_list_add(l, "10.0.0.0/8"), -E2BIG);
	free(l);
}

/* Writes text to a fresh temporary file; returns its path (static). */
static const char *tmp_file(const char *text)
{
	static char path[] = "/tmp/test_allow_list.XXXXXX";
	int fd;

	strcpy(path, "/tmp/test_allow_list.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_load_file(void **state)
{
	struct allow_list *l = new_list();
	const char *p = tmp_file(
		"# exporters\n198.18.1.0/24\n\n  2001:2::/48  "
		"# lab\n\t198.19.0.7\t\n#198.18.9.9\n");
	char err[256] = "";

	(void)state;
	assert_int_equal(allow_list_load_file(l, p, err, sizeof(err)), 0);
	unlink(p);
	assert_int_equal(l->n, 3);
	assert_true(match(l, "198.18.1.200"));
	assert_true(match(l, "2001:2::5"));
	assert_true(match(l, "198.19.0.7"));
	assert_false(match(l, "198.18.9.9"));
	assert_false(match(l, "198.19.0.8"));
	free(l);
}

static void test_load_file_errors(void **state)
{
	struct allow_list *l = new_list();
	char err[256] = "", want[512];
	const char *p = tmp_file("198.18.1.0/24\n198.18.300.1\n");

	(void)state;
	assert_int_equal(allow_list_load_file(l, p, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s:2: '198.18.300.1' is not an IPv4 or IPv6 prefix", p);
	assert_string_equal(err, want);
	unlink(p);
	assert_int_equal(allow_list_load_file(l, "/nonexistent/allow", err,
					      sizeof(err)),
			 -ENOENT);
	assert_string_equal(err,
			    "could not read the allow-list /nonexistent/allow: "
			    "No such file or directory");
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_allows_all),
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_zero_prefixes),
		cmocka_unit_test(test_host_bits_ignored),
		cmocka_unit_test(test_odd_prefix_lengths),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_file_errors),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
