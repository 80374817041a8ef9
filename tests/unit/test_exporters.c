// SPDX-License-Identifier: Apache-2.0
/* Unit tests for exporter classification: rule order, set-if-unset,
 * names from the caller or the rules, regexes, prefixes of both families,
 * errors with file:line, and the table of classified exporters. */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "enrich/exporters.h"

static char err[256];

static const char rules_text[] =
	"# match columns first, then what a match sets\n"
	"prefix,name_regex,name,group,role,site,region,tenant\n"
	"198.18.0.0/24,,edge-par1,,,par1,,\n"
	"198.18.1.0/24,,,,,lon1,,\n"
	",^edge-,,edges,border,,,\n"
	",^core-(par|lon)[0-9]+$,,cores,core,,,\n"
	"198.18.0.0/15,,,lab,unknown,lab-site,eu,acme\n"
	"2001:2::/48,,v6-router,,,ams1,,\n";

static struct enrich_exporter_rules *rules(void)
{
	struct enrich_exporter_rules *r = NULL;

	if (enrich_exporter_rules_parse(rules_text, sizeof(rules_text) - 1,
					"rules.csv", &r, err, sizeof(err)))
		fail_msg("%s", err);
	return r;
}

static void classify(const struct enrich_exporter_rules *r, const char *ip,
		     const char *name, struct enrich_exporter *out)
{
	struct flow_addr a = unit_addr(ip);

	enrich_exporter_classify(r, &a, name, out);
}

static void test_classify(void **state)
{
	struct enrich_exporter_rules *r = rules();
	struct enrich_exporter c;

	(void)state;
	/* Name from the first prefix rule, then the regex sees it. */
	classify(r, "198.18.0.9", NULL, &c);
	unit_assert_str(c.name, "edge-par1");
	unit_assert_str(c.group, "edges");
	unit_assert_str(c.role, "border");
	unit_assert_str(c.site, "par1"); /* earlier rule wins over the /15 */
	unit_assert_str(c.region, "eu");
	unit_assert_str(c.tenant, "acme");
	/* The caller's name wins over the rules' and drives the regexes. */
	classify(r, "198.18.0.9", "core-lon12", &c);
	unit_assert_str(c.name, "core-lon12");
	unit_assert_str(c.group, "cores");
	unit_assert_str(c.role, "core");
	unit_assert_str(c.site, "par1");
	classify(r, "198.18.1.1", "core-lon12x", &c); /* anchored regex */
	unit_assert_str(c.group, "lab");
	unit_assert_str(c.role, "unknown");
	unit_assert_str(c.site, "lon1");
	/* No name: regex rules never match. */
	classify(r, "198.19.5.5", NULL, &c);
	unit_assert_str(c.name, NULL);
	unit_assert_str(c.group, "lab");
	classify(r, "::ffff:198.18.0.1", NULL, &c); /* IPv4-mapped */
	unit_assert_str(c.name, "edge-par1");
	classify(r, "2001:2::1", NULL, &c);
	unit_assert_str(c.name, "v6-router");
	unit_assert_str(c.site, "ams1");
	unit_assert_str(c.group, NULL);
	classify(r, "10.0.0.1", "edge-x", &c); /* a regex alone matches */
	unit_assert_str(c.group, "edges");
	unit_assert_str(c.site, NULL);
	classify(NULL, "10.0.0.1", "lonely", &c); /* no rules */
	unit_assert_str(c.name, "lonely");
	unit_assert_str(c.group, NULL);
	enrich_exporter_rules_free(r);
}

static void parse_bad(const char *text, const char *msg)
{
	struct enrich_exporter_rules *r = (struct enrich_exporter_rules *)&r;

	assert_int_equal(enrich_exporter_rules_parse(text, strlen(text),
						     "rules.csv", &r, err,
						     sizeof(err)),
			 -EINVAL);
	assert_ptr_equal(r, (struct enrich_exporter_rules *)&r);
	assert_string_equal(err, msg);
}

static void test_errors(void **state)
{
	(void)state;
	parse_bad("", "rules.csv:1: no header line");
	parse_bad("prefix,colour\n",
		  "rules.csv:1: unknown column 'colour' (expected prefix, name_regex, name, group, role, site, region, tenant)");
	parse_bad("prefix,name\n10.0.0.1/8,x\n",
		  "rules.csv:2: '10.0.0.1/8': host bits set beyond /8");
	parse_bad("name_regex,group\n^ok,a\n(unclosed,b\n",
		  "rules.csv:3: bad name_regex '(unclosed': Unmatched ( or \\(");
	parse_bad("name_regex,group\n^ok\n",
		  "rules.csv:2: 1 fields, the header has 2");
	parse_bad("name_regex\n(a{2}){3}\n",
		  "rules.csv:2: name_regex '(a{2}){3}': at most one {m,n} repetition, with bounds up to 64");
	parse_bad("name_regex\na++*\n",
		  "rules.csv:2: name_regex 'a++*': a repetition operator after another");
	parse_bad("name_regex\na{2}*\n",
		  "rules.csv:2: name_regex 'a{2}*': a repetition operator after another");
	parse_bad("name_regex\n[\\](a{2}){3}\n",
		  "rules.csv:2: name_regex '[\\](a{2}){3}': at most one {m,n} repetition, with bounds up to 64");
	parse_bad("name_regex\n\"a{1,65}\"\n",
		  "rules.csv:2: name_regex 'a{1,65}': at most one {m,n} repetition, with bounds up to 64");
	{
		struct enrich_exporter_rules *r = NULL;
		static const char ok[] =
			"name_regex,group\n"
			"\"^r[{]x\\{y{1,64}$\",a\n";
		struct enrich_exporter c;
		struct flow_addr a = unit_addr("10.0.0.1");

		/* Braces in brackets or escaped are literals, not bounds. */
		assert_int_equal(enrich_exporter_rules_parse(ok, sizeof(ok) - 1,
							     "rules.csv", &r,
							     err, sizeof(err)),
				 0);
		enrich_exporter_classify(r, &a, "r{x{yy", &c);
		assert_string_equal(c.group, "a");
		enrich_exporter_classify(r, &a, "r{x{", &c);
		assert_null(c.group);
		enrich_exporter_rules_free(r);
	}
}

static void test_table(void **state)
{
	struct enrich_exporter_rules *r = rules();
	struct enrich_exporters *x = enrich_exporters_new();
	struct flow_addr a = unit_addr("198.18.0.1"),
			 b = unit_addr("2001:2::1");
	struct flow_addr m = unit_addr("::ffff:198.18.0.1"),
			 c = unit_addr("192.0.2.1");
	struct flow_addr none = { 0 };
	char name[] = "core-par1";
	const struct enrich_exporter *e;

	(void)state;
	assert_int_equal(enrich_exporters_add(x, r, &a, NULL), 0);
	assert_int_equal(enrich_exporters_add(x, r, &b, name), 0);
	assert_int_equal(enrich_exporters_add(x, r, &m, NULL), -EEXIST);
	assert_int_equal(enrich_exporters_add(x, r, &none, NULL), -EINVAL);
	assert_int_equal(enrich_exporters_count(x), 2);
	enrich_exporter_rules_free(r);
	memset(name, 'z', sizeof(name) - 1); /* strings were copied */
	e = enrich_exporters_lookup(x, &m);
	assert_non_null(e);
	unit_assert_str(e->name, "edge-par1");
	unit_assert_str(e->group, "edges");
	e = enrich_exporters_lookup(x, &b);
	unit_assert_str(e->name, "core-par1");
	unit_assert_str(e->group, "cores");
	unit_assert_str(e->site, "ams1");
	assert_null(enrich_exporters_lookup(x, &c));
	assert_null(enrich_exporters_lookup(x, &none));
	enrich_exporters_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
