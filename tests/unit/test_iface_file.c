// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the static interface names file and the interface and
 * exporter lookups of enrich_flow. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "enrich/enrich.h"
#include "enrich/exporters.h"
#include "enrich/iface_file.h"

static char err[256];

static struct enrich_ifaces *parse_ok(const char *text)
{
	struct enrich_ifaces *t = NULL;

	if (enrich_ifaces_parse(text, strlen(text), "if.csv", &t, err,
				sizeof(err)))
		fail_msg("%s", err);
	return t;
}

static void parse_bad(const char *text, const char *msg)
{
	struct enrich_ifaces *t = (struct enrich_ifaces *)&t;

	assert_int_equal(enrich_ifaces_parse(text, strlen(text), "if.csv", &t,
					     err, sizeof(err)),
			 -EINVAL);
	assert_ptr_equal(t, (struct enrich_ifaces *)&t);
	assert_string_equal(err, msg);
}

static const struct enrich_iface *look(const struct enrich_ifaces *t,
				       const char *exp, uint32_t idx)
{
	struct flow_addr a = unit_addr(exp);

	return enrich_ifaces_lookup(t, &a, idx);
}

static const char text[] =
	"exporter,ifindex,name,description,speed\n"
	"198.18.0.1,1,xe-0/0/0,\"transit: AS64500, 10G\",10000000000\n"
	"198.18.0.1,2,xe-0/0/1,,\n"
	"198.18.0.2,1,Gi0/1,peering,1000000000\n"
	"2001:2::1,4294967295,et-1/0/0,core,400000000000\n";

static void test_lookup(void **state)
{
	struct enrich_ifaces *t = parse_ok(text);
	const struct enrich_iface *i;

	(void)state;
	assert_int_equal(enrich_ifaces_count(t), 4);
	i = look(t, "198.18.0.1", 1);
	assert_string_equal(i->name, "xe-0/0/0");
	assert_string_equal(i->description, "transit: AS64500, 10G");
	assert_int_equal(i->speed_bps, 10000000000ULL);
	i = look(t, "198.18.0.1", 2);
	assert_string_equal(i->name, "xe-0/0/1");
	assert_null(i->description);
	assert_int_equal(i->speed_bps, 0);
	assert_string_equal(look(t, "198.18.0.2", 1)->name, "Gi0/1");
	assert_string_equal(look(t, "::ffff:198.18.0.2", 1)->name, "Gi0/1");
	assert_string_equal(look(t, "2001:2::1", 4294967295u)->name,
			    "et-1/0/0");
	assert_null(look(t, "198.18.0.1", 3));
	assert_null(look(t, "198.18.0.3", 1));
	assert_null(look(t, "2001:2::1", 1));
	enrich_ifaces_free(t);
}

static void test_errors(void **state)
{
	(void)state;
	parse_bad("", "if.csv:1: no header line");
	parse_bad("exporter,name\n",
		  "if.csv:1: the header needs 'exporter' and 'ifindex' columns");
	parse_bad("exporter,ifindex,speed\n198.18.0.1,1,fast\n",
		  "if.csv:2: speed 'fast' is not a number");
	parse_bad("exporter,ifindex\n198.18.0.1,4294967296\n",
		  "if.csv:2: ifindex '4294967296' above 4294967295");
	parse_bad("exporter,ifindex\n198.18.0.1,0\n",
		  "if.csv:2: ifindex 0 means no interface");
	parse_bad("exporter,ifindex\n198.18.0.1,\n", "if.csv:2: no ifindex");
	parse_bad("exporter,ifindex\n198.18.0.0/24,1\n",
		  "if.csv:2: exporter '198.18.0.0/24' is a prefix, not an address");
	parse_bad("exporter,ifindex\nrouter1,1\n",
		  "if.csv:2: 'router1' is not an IPv4 or IPv6 prefix");
	parse_bad(
		"exporter,ifindex,name\n"
		"198.18.0.1,1,a\n"
		"198.18.0.2,1,b\n"
		"::ffff:198.18.0.1,1,c\n",
		"if.csv:4: interface given twice (first on line 2)");
}

static void count_exporter(void *ctx, const struct flow_addr *a)
{
	struct flow_addr *seen = ctx;

	for (int i = 0; i < 3; i++)
		if (seen[i].len == 0) {
			seen[i] = *a;
			return;
		}
	fail_msg("more exporters than expected");
}

static void test_each_exporter(void **state)
{
	struct enrich_ifaces *t = parse_ok(text);
	struct flow_addr seen[3] = { 0 }, a1 = unit_addr("198.18.0.1"),
			 a2 = unit_addr("198.18.0.2"),
			 a3 = unit_addr("2001:2::1");

	(void)state;
	assert_int_equal(enrich_ifaces_each_exporter(t, count_exporter, seen),
			 0);
	assert_memory_equal(&seen[0], &a1, sizeof(a1));
	assert_memory_equal(&seen[1], &a2, sizeof(a2));
	assert_memory_equal(&seen[2], &a3, sizeof(a3));
	enrich_ifaces_free(t);
}

/* The builder: the first add wins field by field, later adds fill what it
 * left unset; a merge keeps the static file's fields over polled ones. */
static void test_builder_merge(void **state)
{
	static const char file[] =
		"exporter,ifindex,name,description,speed\n"
		"198.18.0.1,1,static-name,,\n"
		"198.18.0.1,3,,static-descr,5\n";
	struct enrich_ifaces *st = parse_ok(file);
	struct enrich_ifaces *t = enrich_ifaces_new();
	struct flow_addr a = unit_addr("198.18.0.1");
	struct flow_addr mapped = unit_addr("::ffff:198.18.0.1");
	struct flow_addr bad = { 0 };
	char name[] = "polled-name";
	const struct enrich_iface *i;

	(void)state;
	assert_non_null(t);
	assert_int_equal(enrich_ifaces_merge(t, st), 0);
	enrich_ifaces_free(st); /* t copied every string */
	assert_int_equal(enrich_ifaces_add(t, &a, 1,
					   &(struct enrich_iface){
						   .name = name,
						   .description = "polled-descr",
						   .speed_bps = 1000000000 }),
			 0);
	name[0] = 'X'; /* the table holds its own copy */
	/* IPv4-mapped is the same exporter. */
	assert_int_equal(enrich_ifaces_add(t, &mapped, 3,
					   &(struct enrich_iface){
						   .name = "eth3",
						   .description = "polled3",
						   .speed_bps = 10 }),
			 0);
	assert_int_equal(enrich_ifaces_add(t, &a, 2,
					   &(struct enrich_iface){
						   .name = "",
						   .description =
							   "only-descr" }),
			 0);
	assert_int_equal(enrich_ifaces_add(t, &a, 0,
					   &(struct enrich_iface){
						   .name = "x" }),
			 -EINVAL);
	assert_int_equal(enrich_ifaces_add(t, &bad, 1,
					   &(struct enrich_iface){
						   .name = "x" }),
			 -EINVAL);
	assert_int_equal(enrich_ifaces_count(t), 3);
	i = look(t, "198.18.0.1", 1);
	assert_string_equal(i->name, "static-name");
	assert_string_equal(i->description, "polled-descr");
	assert_int_equal(i->speed_bps, 1000000000);
	i = look(t, "198.18.0.1", 3);
	assert_string_equal(i->name, "eth3");
	assert_string_equal(i->description, "static-descr");
	assert_int_equal(i->speed_bps, 5);
	i = look(t, "198.18.0.1", 2);
	assert_null(i->name);
	assert_string_equal(i->description, "only-descr");
	assert_int_equal(i->speed_bps, 0);
	enrich_ifaces_free(t);
}

/* Interfaces and exporters through the context, as a worker sees them. */
static void test_in_context(void **state)
{
	static const char rules[] =
		"prefix,name_regex,name,group,site\n"
		"198.18.0.0/24,,edge1,,par1\n"
		",^edge,,edges,\n";
	struct enrich *e = enrich_new();
	struct enrich_exporter_rules *r = NULL;
	struct enrich_exporters *x = enrich_exporters_new();
	struct flow_addr exp = unit_addr("198.18.0.1"),
			 other = unit_addr("198.18.9.9");
	struct flow_addr none = { 0 };
	const struct enrich_tables *t;
	struct enrich_result res;
	int slot = enrich_reader_add(e);

	(void)state;
	assert_int_equal(enrich_exporter_rules_parse(rules, sizeof(rules) - 1,
						     "rules.csv", &r, err,
						     sizeof(err)),
			 0);
	assert_int_equal(enrich_exporters_add(x, r, &exp, NULL), 0);
	enrich_exporter_rules_free(r); /* the table keeps its own strings */
	assert_int_equal(enrich_set_ifaces(e, parse_ok(text)), 0);
	assert_int_equal(enrich_set_exporters(e, x), 0);
	t = enrich_read_begin(e, slot);
	enrich_flow(t, &none, &none, &exp, 2, 1, &res);
	assert_string_equal(res.in_if->name, "xe-0/0/1");
	assert_string_equal(res.out_if->description, "transit: AS64500, 10G");
	assert_string_equal(res.exporter->name, "edge1");
	assert_string_equal(res.exporter->group, "edges");
	assert_string_equal(res.exporter->site, "par1");
	assert_null(res.exporter->tenant);
	enrich_flow(t, &none, &none, &exp, 0, 7, &res); /* 0: no interface */
	assert_null(res.in_if);
	assert_null(res.out_if);
	enrich_flow(t, &none, &none, &other, 1, 1, &res);
	assert_null(res.in_if);
	assert_null(res.exporter);
	enrich_flow(t, &none, &none, &none, 1, 1, &res);
	assert_null(res.in_if);
	assert_null(res.exporter);
	enrich_read_end(e, slot);
	enrich_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_each_exporter),
		cmocka_unit_test(test_builder_merge),
		cmocka_unit_test(test_in_context),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
