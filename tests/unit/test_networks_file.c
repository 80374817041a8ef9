// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the networks file: columns, quoting, per-attribute
 * inheritance, both families, and every error with its file:line. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "enrich/csv.h"
#include "enrich/networks_file.h"
#include "enrich/str_arena.h"

static char err[256];

static struct enrich_networks *parse_ok(const char *text)
{
	struct enrich_networks *n = NULL;
	int ret = enrich_networks_parse(text, strlen(text), "t.csv", &n, err,
					sizeof(err));

	if (ret)
		fail_msg("parse failed (%d): %s", ret, err);
	assert_non_null(n);
	return n;
}

/* Parses text expecting failure with exactly message msg. */
static void parse_bad(const char *text, const char *msg)
{
	struct enrich_networks *n = (struct enrich_networks *)&n;

	err[0] = '\0';
	assert_int_equal(enrich_networks_parse(text, strlen(text), "t.csv", &n,
					       err, sizeof(err)),
			 -EINVAL);
	assert_ptr_equal(n, (struct enrich_networks *)&n); /* untouched */
	assert_string_equal(err, msg);
}

/* A string's length in a record: 0 for NULL, else its length, which the
 * arena knows too. */
static void assert_len(const char *s, uint16_t len)
{
	size_t n = s ? strlen(s) : 0;

	assert_int_equal(len, n);
	if (s)
		assert_int_equal(str_arena_len(s), n);
}

/* The record for address s, its string lengths checked. */
static const struct enrich_net *look(const struct enrich_networks *n,
				     const char *s)
{
	struct flow_addr a = unit_addr(s);
	const struct enrich_net *r = enrich_networks_lookup(n, &a);

	if (r) {
		assert_int_equal((uintptr_t)r % 64, 0); /* one cache line */
		assert_len(r->name, r->name_len);
		assert_len(r->role, r->role_len);
		assert_len(r->site, r->site_len);
		assert_len(r->region, r->region_len);
		assert_len(r->tenant, r->tenant_len);
		assert_len(r->country, r->country_len);
	}
	return r;
}

static void test_inheritance(void **state)
{
	struct enrich_networks *n;
	const struct enrich_net *r;

	(void)state;
	n = parse_ok(
		"# sites and tenants\n"
		"prefix,name,role,site,region,tenant,asn,country\n"
		"10.0.0.0/8,corp,,par1,eu-west,,AS64500,fr\n"
		"10.1.0.0/16,,servers,lon1,,,,\n"
		"\n"
		"10.1.2.0/24,,,,,acme,,\n"
		"10.1.2.3/32,vip,,,,,64501,GB\n"
		"2001:db8::/32,v6corp,,ams1,,,,nl\n"
		"2001:db8:1::/48,,,,,,,\n");
	assert_int_equal(enrich_networks_count(n), 6);
	assert_true(enrich_networks_bytes(n) > 0);
	r = look(n, "10.200.1.1");
	assert_non_null(r);
	unit_assert_str(r->name, "corp");
	unit_assert_str(r->role, NULL);
	unit_assert_str(r->site, "par1");
	unit_assert_str(r->region, "eu-west");
	unit_assert_str(r->tenant, NULL);
	assert_int_equal(r->asn, 64500);
	unit_assert_str(r->country, "FR");
	r = look(n, "10.1.9.9");
	unit_assert_str(r->name, "corp");
	unit_assert_str(r->role, "servers");
	unit_assert_str(r->site, "lon1");
	unit_assert_str(r->region, "eu-west");
	/* The /24 names only a tenant: it keeps the site of the /16. */
	r = look(n, "10.1.2.4");
	unit_assert_str(r->site, "lon1");
	unit_assert_str(r->tenant, "acme");
	unit_assert_str(r->role, "servers");
	assert_int_equal(r->asn, 64500);
	r = look(n, "10.1.2.3");
	unit_assert_str(r->name, "vip");
	unit_assert_str(r->site, "lon1");
	unit_assert_str(r->tenant, "acme");
	assert_int_equal(r->asn, 64501);
	unit_assert_str(r->country, "GB");
	r = look(n, "::ffff:10.1.2.3"); /* IPv4-mapped: the IPv4 table */
	assert_non_null(r);
	unit_assert_str(r->name, "vip");
	r = look(n, "2001:db8:1:2::1");
	unit_assert_str(r->name, "v6corp");
	unit_assert_str(r->site, "ams1");
	unit_assert_str(r->country, "NL");
	assert_null(look(n, "11.0.0.1"));
	assert_null(look(n, "2001:db9::1"));
	enrich_networks_free(n);
}

static void test_columns_any_order_and_quotes(void **state)
{
	struct enrich_networks *n;
	const struct enrich_net *r;

	(void)state;
	n = parse_ok(
		"  Tenant , PREFIX\r\n"
		"\"Smith, Jones & \"\"Co\"\"\" , 198.18.0.0/15\r\n"
		"  spaced out  ,198.18.1.1\r\n"
		"\"\",2001:2::/48"); /* no final newline */
	r = look(n, "198.18.7.7");
	unit_assert_str(r->tenant, "Smith, Jones & \"Co\"");
	r = look(n, "198.18.1.1"); /* a bare address is a host route */
	unit_assert_str(r->tenant, "spaced out");
	unit_assert_str(look(n, "198.18.1.2")->tenant, "Smith, Jones & \"Co\"");
	r = look(n, "2001:2::1");
	assert_non_null(r);
	unit_assert_str(r->tenant, NULL);
	enrich_networks_free(n);
}

static void test_boundaries(void **state)
{
	struct enrich_networks *n;

	(void)state;
	n = parse_ok(
		"prefix,name\n"
		"0.0.0.0/0,v4-default\n"
		"::/0,v6-default\n"
		"192.0.2.1/32,host4\n"
		"2001:db8::1/128,host6\n");
	unit_assert_str(look(n, "1.1.1.1")->name, "v4-default");
	unit_assert_str(look(n, "192.0.2.1")->name, "host4");
	unit_assert_str(look(n, "192.0.2.0")->name, "v4-default");
	unit_assert_str(look(n, "2001:db8::1")->name, "host6");
	unit_assert_str(look(n, "2001:db8::2")->name, "v6-default");
	unit_assert_str(look(n, "::ffff:8.8.8.8")->name, "v4-default");
	enrich_networks_free(n);

	/* Only a header: an empty table. */
	n = parse_ok("prefix,site\n");
	assert_int_equal(enrich_networks_count(n), 0);
	assert_null(look(n, "1.1.1.1"));
	enrich_networks_free(n);
}

static void test_errors(void **state)
{
	(void)state;
	parse_bad("", "t.csv:1: no header line");
	parse_bad("# only a comment\n\n", "t.csv:2: no header line");
	parse_bad("name,site\n", "t.csv:1: no 'prefix' column in the header");
	parse_bad("prefix,colour\n",
		  "t.csv:1: unknown column 'colour' (expected prefix, name, role, site, region, tenant, asn, country)");
	parse_bad("prefix,site,Site\n", "t.csv:1: column 'site' given twice");
	parse_bad("prefix,site\n10.0.0.0/8\n",
		  "t.csv:2: 1 fields, the header has 2");
	parse_bad("prefix,site\n10.0.0.0/8,a,b\n",
		  "t.csv:2: 3 fields, the header has 2");
	parse_bad("prefix\n\n# c\n10.0.0.1/8\n",
		  "t.csv:4: '10.0.0.1/8': host bits set beyond /8");
	parse_bad("prefix\n2001:db8::1/64\n",
		  "t.csv:2: '2001:db8::1/64': host bits set beyond /64");
	parse_bad("prefix\n10.0.0.0/33\n",
		  "t.csv:2: '10.0.0.0/33': prefix length above 32");
	parse_bad("prefix\n::/129\n",
		  "t.csv:2: '::/129': prefix length above 128");
	parse_bad("prefix\n10.0.0.0/\n",
		  "t.csv:2: '10.0.0.0/': no prefix length after '/'");
	parse_bad("prefix\n10.0.0.0/8x\n",
		  "t.csv:2: '10.0.0.0/8x': bad prefix length");
	parse_bad("prefix\n10.0.0.0/99999999999999999999\n",
		  "t.csv:2: '10.0.0.0/99999999999999999999': bad prefix length");
	parse_bad("prefix\n10.0.0/8\n",
		  "t.csv:2: '10.0.0/8' is not an IPv4 or IPv6 prefix");
	parse_bad("prefix,site\n,x\n",
		  "t.csv:2: '' is not an IPv4 or IPv6 prefix");
	parse_bad("prefix,asn\n10.0.0.0/8,AS\n",
		  "t.csv:2: 'AS' is not an AS number");
	parse_bad("prefix,asn\n10.0.0.0/8,65x\n",
		  "t.csv:2: '65x' is not an AS number");
	parse_bad("prefix,asn\n10.0.0.0/8,4294967296\n",
		  "t.csv:2: AS number '4294967296' above 4294967295");
	parse_bad("prefix,asn\n10.0.0.0/8,0\n",
		  "t.csv:2: AS number 0 is reserved");
	parse_bad("prefix,country\n10.0.0.0/8,FRA\n",
		  "t.csv:2: country 'FRA' is not two letters");
	parse_bad("prefix,country\n10.0.0.0/8,F1\n",
		  "t.csv:2: country 'F1' is not two letters");
	parse_bad("prefix,site\n10.0.0.0/8,\"par1\n",
		  "t.csv:2: unterminated quote in field 2");
	parse_bad("prefix,site\n10.0.0.0/8,\"par\"1\n",
		  "t.csv:2: text after the closing quote of field 2");
	parse_bad("prefix,site\n10.0.0.0/8,pa\"r\n",
		  "t.csv:2: quote inside unquoted field 2");
	parse_bad("prefix,name,role,site,region,tenant,asn,country,x\n",
		  "t.csv:1: more than 8 fields");
	{
		char long_line[400];

		snprintf(long_line, sizeof(long_line),
			 "prefix,site\n10.0.0.0/8,%0300d\n", 0);
		parse_bad(long_line, "t.csv:2: field 2 longer than 255 bytes");
	}
	{
		static const char nul[] = "prefix\n10.0.0.0/8\0\n";

		struct enrich_networks *n = NULL;

		assert_int_equal(enrich_networks_parse(nul, sizeof(nul) - 1,
						       "t.csv", &n, err,
						       sizeof(err)),
				 -EINVAL);
		assert_null(n);
		assert_string_equal(err, "t.csv:2: NUL byte");
	}
}

static void test_duplicates(void **state)
{
	(void)state;
	parse_bad(
		"prefix,site\n"
		"10.0.0.0/8,a\n"
		"192.0.2.0/24,b\n"
		"# the same /8 again\n"
		"10.0.0.0/8,c\n",
		"t.csv:5: duplicate prefix (first on line 2)");
	parse_bad(
		"prefix,site\n"
		"2001:db8::/32,a\n"
		"2001:0db8:0::/32,b\n",
		"t.csv:3: duplicate prefix (first on line 2)");
	/* The IPv4-mapped spelling of an IPv4 prefix is the same prefix. */
	parse_bad(
		"prefix,site\n"
		"10.0.0.0/8,a\n"
		"::ffff:10.0.0.0/104,b\n",
		"t.csv:3: duplicate prefix (first on line 2)");
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/test_networks_XXXXXX";
	struct enrich_networks *n = NULL;
	int fd = mkstemp(path);
	static const char text[] = "prefix,site\n198.18.0.0/15,lab\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);
	assert_int_equal(enrich_networks_load(path, &n, err, sizeof(err)), 0);
	unit_assert_str(look(n, "198.19.255.255")->site, "lab");
	enrich_networks_free(n);
	unlink(path);
	n = NULL;
	assert_int_equal(enrich_networks_load(path, &n, err, sizeof(err)),
			 -ENOENT);
	assert_null(n);
	assert_non_null(strstr(err, "No such file or directory"));
}

/* A name as long as a field may be (CSV_MAX_FIELD): its length in the
 * record, and inherited with it. */
static void test_long_string(void **state)
{
	static char text[CSV_MAX_FIELD + 200];
	struct enrich_networks *n;
	const struct enrich_net *r;
	size_t at;

	(void)state;
	at = (size_t)sprintf(text, "prefix,name,site\n10.0.0.0/8,");
	memset(text + at, 'x', CSV_MAX_FIELD);
	at += CSV_MAX_FIELD;
	sprintf(text + at, ",par1\n10.1.0.0/16,,lon1\n");
	n = parse_ok(text);
	r = look(n, "10.1.2.3");
	assert_non_null(r);
	assert_int_equal(r->name_len, CSV_MAX_FIELD);
	assert_string_equal(r->site, "lon1");
	assert_int_equal(r->site_len, 4);
	enrich_networks_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_columns_any_order_and_quotes),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_long_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
