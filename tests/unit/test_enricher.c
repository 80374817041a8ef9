// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the enricher: the config file (every key, defaults, bad
 * lines with their line numbers, unknown keys, duplicates), the AS number
 * precedence (table-driven: provider orders, override, private ASNs),
 * enricher_apply on real files, and reload/poll keeping the previous
 * table when a networks file is malformed or an MMDB is corrupt, and the
 * classification of exporters seen in flows (exporters-max). */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enrich/enrich_config.h"
#include "enrich/enricher.h"

static char dir[] = "/tmp/test_enricher_XXXXXX";
static char err[512];

static void write_file(const char *name, const char *text)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* Writes name through a temporary file and rename, as operators (and
 * configuration tools) replace files: a new inode. */
static void replace_file(const char *name, const char *text)
{
	char tmp[300], path[300];

	write_file(".tmp", text);
	snprintf(tmp, sizeof(tmp), "%s/.tmp", dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(rename(tmp, path), 0);
}

static const char asn_pl[] =
	"use strict; use warnings; use MaxMind::DB::Writer::Tree;\n"
	"my ($asn, $out) = @ARGV;\n"
	"my $t = MaxMind::DB::Writer::Tree->new(ip_version => 6,\n"
	"  record_size => 24, database_type => 'test-asn', languages => ['en'],\n"
	"  description => { en => 'xdpflow test' },\n"
	"  remove_reserved_networks => 0, alias_ipv6_to_ipv4 => 1,\n"
	"  map_key_type_callback => sub { { autonomous_system_number =>\n"
	"    'uint32', autonomous_system_organization => 'utf8_string',\n"
	"    country => 'map', iso_code => 'utf8_string' }->{$_[0]} });\n"
	"$t->insert_network('198.18.0.0/15', { autonomous_system_number =>\n"
	"  $asn, autonomous_system_organization => \"AS $asn\",\n"
	"  country => { iso_code => 'FR' } });\n"
	"open my $fh, '>:raw', $out or die; $t->write_tree($fh); close $fh;\n";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int parse(const char *text, struct enrich_config *c)
{
	err[0] = '\0';
	return enrich_config_parse(text, strlen(text), "/etc/x/enrich.conf", c,
				   err, sizeof(err));
}

static void test_config_every_key(void **state)
{
	struct enrich_config c;

	(void)state;
	assert_int_equal(parse("# comment\n"
			       "\n"
			       "networks = nets.csv\n"
			       "  asn-database=/var/lib/asn.mmdb  \n"
			       "country-database = geo/country.mmdb\n"
			       "interfaces = ifaces.csv\r\n"
			       "exporters = /x/rules.csv\n"
			       "asn-providers = networks, geoip\n"
			       "asn-override = yes\n"
			       "private-asn-absent = On\n"
			       "snmp-community = pub lic\n"
			       "snmp-interval = 30\n",
			       &c),
			 0);
	assert_string_equal(c.src[ENRICH_CONF_NETWORKS], "/etc/x/nets.csv");
	assert_string_equal(c.src[ENRICH_CONF_ASN_DB], "/var/lib/asn.mmdb");
	assert_string_equal(c.src[ENRICH_CONF_COUNTRY_DB],
			    "/etc/x/geo/country.mmdb");
	assert_string_equal(c.src[ENRICH_CONF_INTERFACES], "/etc/x/ifaces.csv");
	assert_string_equal(c.src[ENRICH_CONF_EXPORTERS], "/x/rules.csv");
	assert_int_equal(c.src_line[ENRICH_CONF_NETWORKS], 3);
	assert_int_equal(c.src_line[ENRICH_CONF_EXPORTERS], 7);
	assert_int_equal(c.asn.n, 2);
	assert_int_equal(c.asn.order[0], ENRICHER_ASN_NETWORKS);
	assert_int_equal(c.asn.order[1], ENRICHER_ASN_GEOIP);
	assert_int_equal(c.asn.override, 1);
	assert_int_equal(c.asn.private_absent, 1);
	assert_int_equal(c.n_snmp, 2);
	assert_string_equal(c.snmp[0].key, "snmp-community");
	assert_string_equal(c.snmp[0].value, "pub lic");
	assert_string_equal(c.snmp[0].file, "/etc/x/enrich.conf");
	assert_int_equal(c.snmp[0].line, 11);
	assert_string_equal(c.snmp[1].key, "snmp-interval");
	assert_string_equal(c.snmp[1].value, "30");
	assert_int_equal(c.snmp[1].line, 12);
	enrich_config_free(&c);
}

static void test_config_defaults(void **state)
{
	struct enrich_config c;

	(void)state;
	assert_int_equal(parse("networks = n.csv", &c), 0); /* no newline */
	assert_string_equal(c.src[ENRICH_CONF_NETWORKS], "/etc/x/n.csv");
	assert_null(c.src[ENRICH_CONF_ASN_DB]);
	assert_null(c.src[ENRICH_CONF_INTERFACES]);
	assert_int_equal(c.asn.n, 3);
	assert_int_equal(c.asn.order[0], ENRICHER_ASN_FLOW);
	assert_int_equal(c.asn.order[1], ENRICHER_ASN_GEOIP);
	assert_int_equal(c.asn.order[2], ENRICHER_ASN_NETWORKS);
	assert_int_equal(c.asn.override, 0);
	assert_int_equal(c.asn.private_absent, 0);
	assert_int_equal(c.n_snmp, 0);
	enrich_config_free(&c);

	/* Without a folder in the config's name, paths stay as written. */
	assert_int_equal(enrich_config_parse("networks = n.csv\n", 17, "e.conf",
					     &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.src[ENRICH_CONF_NETWORKS], "n.csv");
	enrich_config_free(&c);

	/* snmp-* alone is a source (the poller's). */
	assert_int_equal(parse("snmp-community = x\n", &c), 0);
	assert_int_equal(c.n_snmp, 1);
	enrich_config_free(&c);
}

static const struct {
	const char *text;
	const char *msg; /* what err must hold */
} bad[] = {
	{ "networks = a\nfoo = 1\n",
	  "/etc/x/enrich.conf:2: unknown key 'foo'" },
	{ "# c\n\nnetworks\n", "/etc/x/enrich.conf:3: expected 'key = value'" },
	{ "networks = a\n= b\n",
	  "/etc/x/enrich.conf:2: missing key before '='" },
	{ "Networks = a\n", "/etc/x/enrich.conf:1: bad key 'Networks'" },
	{ "networks = a\nnetworks = b\n",
	  "/etc/x/enrich.conf:2: networks given twice (first on line 1)" },
	{ "networks = a\n\nasn-override = no\nasn-override = no\n",
	  "/etc/x/enrich.conf:4: asn-override given twice (first on line 3)" },
	{ "networks = a\nprivate-asn-absent = 1\nprivate-asn-absent = 0\n",
	  "/etc/x/enrich.conf:3: private-asn-absent given twice (first on line "
	  "2)" },
	{ "asn-providers = flow\nasn-providers = flow\nnetworks = a\n",
	  "/etc/x/enrich.conf:2: asn-providers given twice (first on line 1)" },
	{ "snmp-x = 1\nsnmp-x = 2\n",
	  "/etc/x/enrich.conf:2: snmp-x given twice (first on line 1)" },
	{ "networks = a\nasn-override = maybe\n",
	  "/etc/x/enrich.conf:2: asn-override: 'maybe' is not a boolean" },
	{ "networks = a\nprivate-asn-absent =\n",
	  "/etc/x/enrich.conf:2: private-asn-absent: '' is not a boolean" },
	{ "networks = a\nasn-providers = flow,bgp\n",
	  "/etc/x/enrich.conf:2: asn-providers: 'bgp' is not a provider" },
	{ "networks = a\nasn-providers = flow, geoip ,flow\n",
	  "/etc/x/enrich.conf:2: asn-providers: flow given twice" },
	{ "networks = a\nasn-providers =\n",
	  "/etc/x/enrich.conf:2: asn-providers: '' is not a provider" },
	{ "networks = a\nasn-providers = flow,\n",
	  "/etc/x/enrich.conf:2: asn-providers: '' is not a provider" },
	{ "networks =\n", "/etc/x/enrich.conf:1: networks: empty path" },
	{ "snmp- = 1\n", "/etc/x/enrich.conf:1: unknown key 'snmp-'" },
	{ "# nothing\nasn-override = true\n", "/etc/x/enrich.conf: no source" },
	{ "", "/etc/x/enrich.conf: no source" },
};

static void test_config_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct enrich_config c;
		int ret = parse(bad[i].text, &c);

		if (ret != -EINVAL ||
		    strncmp(err, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("case %zu: got %d '%s', want '%s'", i, ret,
				 err, bad[i].msg);
	}
}

static void test_config_nul_and_missing(void **state)
{
	struct enrich_config c;
	static const char nul[] = "networks = a\nexporters = b\0c\n";
	char path[300];

	(void)state;
	assert_int_equal(enrich_config_parse(nul, sizeof(nul) - 1, "n.conf", &c,
					     err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "n.conf:2: NUL byte in line");
	snprintf(path, sizeof(path), "%s/none.conf", dir);
	assert_int_equal(enrich_config_load(path, &c, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "none.conf"));
}

static void test_asn_private(void **state)
{
	static const struct {
		uint32_t asn;
		int priv;
	} cases[] = {
		{ 0, 1 },	    { 1, 0 },		{ 23455, 0 },
		{ 23456, 1 },	    { 23457, 0 },	{ 64495, 0 },
		{ 64496, 1 },	    { 64511, 1 },	{ 64512, 1 },
		{ 65534, 1 },	    { 65535, 1 },	{ 65536, 1 },
		{ 65551, 1 },	    { 131071, 1 },	{ 131072, 0 },
		{ 4199999999u, 0 }, { 4200000000u, 1 }, { 4294967295u, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (enricher_asn_private(cases[i].asn) != cases[i].priv)
			fail_msg("AS%u: want private=%d", cases[i].asn,
				 cases[i].priv);
}

#define F ENRICHER_ASN_FLOW
#define G ENRICHER_ASN_GEOIP
#define N ENRICHER_ASN_NETWORKS

static void test_asn_precedence(void **state)
{
	static const struct {
		enum enricher_asn_provider order[3];
		unsigned n;
		int override, private_absent;
		uint32_t flow, geo, net; /* the providers' values */
		uint32_t want;
		uint8_t has;
	} cases[] = {
		/* Default order flow, geoip, networks. */
		{ { F, G, N }, 3, 0, 0, 100, 200, 300, 100, 0 },
		{ { F, G, N }, 3, 0, 0, 0, 200, 300, 200, 1 },
		{ { F, G, N }, 3, 0, 0, 0, 0, 300, 300, 1 },
		{ { F, G, N }, 3, 0, 0, 0, 0, 0, 0, 0 },
		/* Other orders. */
		{ { N, G, F }, 3, 0, 0, 0, 200, 300, 300, 1 },
		{ { G, N }, 2, 0, 0, 0, 0, 300, 300, 1 },
		{ { N }, 1, 0, 0, 0, 200, 0, 0, 0 },
		/* Without override the router's value stands whatever the
		 * order, flow listed or not. */
		{ { N, G, F }, 3, 0, 0, 100, 200, 300, 100, 0 },
		{ { G }, 1, 0, 0, 100, 200, 300, 100, 0 },
		/* With override the order decides. */
		{ { N, G, F }, 3, 1, 0, 100, 200, 300, 300, 1 },
		{ { G, F }, 2, 1, 0, 100, 200, 300, 200, 1 },
		{ { G, F }, 2, 1, 0, 100, 0, 300, 100, 0 },
		{ { F, G }, 2, 1, 0, 100, 200, 300, 100, 0 },
		/* Flow not listed under override: the router's value goes
		 * even when nothing else answers. */
		{ { G, N }, 2, 1, 0, 100, 0, 0, 0, 1 },
		/* Private ASNs kept by default, from any provider. */
		{ { F, G, N }, 3, 0, 0, 64512, 200, 300, 64512, 0 },
		{ { F, G, N }, 3, 0, 0, 0, 0, 65001, 65001, 1 },
		/* private-asn-absent: skipped from every provider. */
		{ { F, G, N }, 3, 0, 1, 64512, 200, 300, 200, 1 },
		{ { F, G, N }, 3, 0, 1, 23456, 4200000000u, 300, 300, 1 },
		{ { F, G, N }, 3, 0, 1, 65535, 64496, 131071, 0, 1 },
		{ { F, G, N }, 3, 0, 1, 4294967295u, 0, 0, 0, 1 },
		{ { F, G, N }, 3, 0, 1, 131072, 200, 300, 131072, 0 },
		{ { N, F }, 2, 1, 1, 100, 0, 64512, 100, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct enricher_asn_policy p = {
			.n = cases[i].n,
			.override = cases[i].override,
			.private_absent = cases[i].private_absent,
		};
		uint8_t has = 0xff;
		uint32_t got;

		memcpy(p.order, cases[i].order, sizeof(p.order));
		got = enricher_asn_pick(&p, cases[i].flow, cases[i].geo,
					cases[i].net, &has);
		if (got != cases[i].want || has != cases[i].has)
			fail_msg("case %zu: got %u has %u, want %u has %u", i,
				 got, has, cases[i].want, cases[i].has);
	}
}

static const char nets_v1[] =
	"prefix,name,site,tenant,asn,country\n"
	"198.18.0.0/16,lab,par1,,65010,\n"
	"198.18.1.0/24,,,acme,,DE\n"
	"192.0.2.1/32,edge1,par1,,,\n";
static const char nets_v2[] =
	"prefix,name,site,tenant,asn\n"
	"198.18.0.0/16,lab2,lon1,,65011\n"
	"192.0.2.1/32,edge1b,lon1,,\n";
static const char nets_bad[] =
	"prefix,name\n"
	"198.18.0.0/16,lab3\n"
	"198.18.0.1/16,typo\n";

static struct enricher *open_conf(const char *conf)
{
	char path[300];
	struct enricher *x;

	write_file("enrich.conf", conf);
	snprintf(path, sizeof(path), "%s/enrich.conf", dir);
	err[0] = '\0';
	x = enricher_open(path, err, sizeof(err));
	if (!x)
		fail_msg("enricher_open: %s", err);
	return x;
}

static struct flow_rec rec_of(const char *src, const char *dst,
			      const char *exporter, uint32_t in_if,
			      uint32_t out_if)
{
	struct flow_rec r;

	memset(&r, 0, sizeof(r));
	r.src_addr = unit_addr(src);
	r.dst_addr = unit_addr(dst);
	r.sampler_address = unit_addr(exporter);
	r.in_if = in_if;
	r.out_if = out_if;
	return r;
}

/* enricher_apply of r on the current tables, through reader slot. */
static void apply(struct enricher *x, int slot, const struct flow_rec *r,
		  struct flow_enriched *out)
{
	const struct enrich_tables *t = enricher_begin(x, slot);

	memset(out, 0x5a, sizeof(*out)); /* every field must be written */
	enricher_apply(x, t, r, out);
	enricher_end(x, slot);
}

static void test_apply_files(void **state)
{
	struct flow_rec r =
		rec_of("198.18.1.7", "198.18.9.9", "192.0.2.1", 3, 4);
	struct flow_enriched e, b[2];
	struct enricher_stats st;
	struct enricher *x;
	int slot;

	(void)state;
	write_file("nets.csv", nets_v1);
	write_file("ifaces.csv",
		   "exporter,ifindex,name,description,speed\n"
		   "192.0.2.1,3,xe-0/0/3,transit A,10000000000\n"
		   "192.0.2.1,4,xe-0/0/4,,\n");
	write_file("rules.csv",
		   "prefix,name_regex,group,role,region\n"
		   ",^edge,edges,border,\n"
		   "192.0.2.0/24,,,,eu-west\n");
	x = open_conf(
		"networks = nets.csv\ninterfaces = ifaces.csv\n"
		"exporters = rules.csv\n");
	slot = enricher_reader_add(x);
	assert_true(slot >= 0);
	apply(x, slot, &r, &e);
	assert_int_equal(e.src_as, 65010);
	assert_int_equal(e.has_src_as, 1);
	assert_int_equal(e.dst_as, 65010);
	unit_assert_fstr(e.src_net_name, "lab");
	unit_assert_fstr(e.src_net_site, "par1");
	unit_assert_fstr(e.src_net_tenant, "acme");
	unit_assert_fstr(e.src_country, "DE");
	unit_assert_fstr(e.dst_country, NULL);
	unit_assert_fstr(e.dst_net_tenant, NULL);
	unit_assert_fstr(e.src_net_role, NULL);
	unit_assert_fstr(e.src_net_region, NULL);
	unit_assert_fstr(e.src_as_name, NULL);
	unit_assert_fstr(e.in_if_name, "xe-0/0/3");
	unit_assert_fstr(e.in_if_description, "transit A");
	assert_int_equal(e.in_if_speed, 10000000000ULL);
	unit_assert_fstr(e.out_if_name, "xe-0/0/4");
	assert_int_equal(e.out_if_speed, 0);
	unit_assert_fstr(e.exporter_name, "edge1");
	unit_assert_fstr(e.exporter_group, "edges");
	unit_assert_fstr(e.exporter_role, "border");
	unit_assert_fstr(e.exporter_region, "eu-west");
	unit_assert_fstr(e.exporter_site, NULL);

	/* A router's AS number stands (asn-override defaults to false). */
	r.src_as = 7;
	apply(x, slot, &r, &e);
	assert_int_equal(e.src_as, 7);
	assert_int_equal(e.has_src_as, 0);

	/* The batch gives the same answers. */
	{
		struct flow_rec recs[2] = { r, rec_of("10.1.1.1", "2001:2::1",
						      "192.0.2.9", 3, 0) };
		const struct enrich_tables *t = enricher_begin(x, slot);

		memset(b, 0x5a, sizeof(b)); /* the padding as apply() */
		enricher_apply_batch(x, t, recs, 2, b);
		enricher_end(x, slot);
		apply(x, slot, &recs[0], &e);
		assert_memory_equal(&b[0], &e, sizeof(e));
		apply(x, slot, &recs[1], &e);
		assert_memory_equal(&b[1], &e, sizeof(e));
		unit_assert_fstr(e.src_net_name, NULL);
		unit_assert_fstr(e.exporter_name, NULL);
		unit_assert_fstr(e.in_if_name, NULL);
		assert_int_equal(e.has_src_as, 0);
	}
	enricher_stats(x, &st);
	assert_true(st.generation > 1);
	assert_int_equal(st.reloads, 0);
	assert_int_equal(st.reload_failures, 0);
	enricher_close(x);
}

static void test_reload_keeps_old_networks(void **state)
{
	struct flow_rec r =
		rec_of("198.18.1.7", "198.18.9.9", "192.0.2.1", 0, 0);
	struct flow_enriched e;
	struct enricher_stats st;
	uint64_t gen;
	struct enricher *x;
	int slot;

	(void)state;
	write_file("nets.csv", nets_v1);
	x = open_conf("networks = nets.csv\n");
	slot = enricher_reader_add(x);
	assert_int_equal(enricher_poll(x), 0); /* nothing changed */
	enricher_stats(x, &st);
	gen = st.generation;

	/* SIGHUP with a malformed file: the old table stays. */
	write_file("nets.csv", nets_bad);
	assert_int_equal(enricher_reload(x, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/nets.csv:3: "));
	assert_string_equal(enricher_last_error(x), err);
	apply(x, slot, &r, &e);
	unit_assert_fstr(e.src_net_name, "lab");
	enricher_stats(x, &st);
	assert_int_equal(st.generation, gen);
	assert_int_equal(st.reload_failures, 1);
	/* The same bad file is not retried by the timer. */
	assert_int_equal(enricher_poll(x), 0);

	/* A good file is picked up without a signal... */
	replace_file("nets.csv", nets_v2);
	assert_int_equal(enricher_poll(x), 1);
	apply(x, slot, &r, &e);
	unit_assert_fstr(e.src_net_name, "lab2");
	unit_assert_fstr(e.src_net_site, "lon1");
	unit_assert_fstr(e.src_net_tenant, NULL);
	assert_int_equal(e.src_as, 65011);
	enricher_stats(x, &st);
	assert_true(st.generation > gen);
	assert_int_equal(st.reloads, 1);

	/* ...a malformed one by the timer too, keeping the table. */
	write_file("nets.csv", nets_bad);
	assert_int_equal(enricher_poll(x), -EINVAL);
	assert_non_null(strstr(enricher_last_error(x), "/nets.csv:3: "));
	apply(x, slot, &r, &e);
	unit_assert_fstr(e.src_net_name, "lab2");
	/* A missing file is a failure too, once. */
	{
		char path[300];

		snprintf(path, sizeof(path), "%s/nets.csv", dir);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(enricher_poll(x), -ENOENT);
	assert_int_equal(enricher_poll(x), 0);
	assert_int_equal(enricher_reload(x, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "nets.csv"));
	apply(x, slot, &r, &e);
	unit_assert_fstr(e.src_net_name, "lab2");
	enricher_stats(x, &st);
	assert_int_equal(st.reload_failures, 4);
	enricher_close(x);
}

static int write_mmdb(const char *name, unsigned asn)
{
	char pl[300], out[300], cmd[1400];

	write_file("asn.pl", asn_pl);
	snprintf(pl, sizeof(pl), "%s/asn.pl", dir);
	snprintf(out, sizeof(out), "%s/%s", dir, name);
	snprintf(cmd, sizeof(cmd), "perl %s %u %s.tmp && mv %s.tmp %s", pl, asn,
		 out, out, out);
	return system(cmd);
}

static void test_reload_keeps_old_mmdb(void **state)
{
	struct flow_rec r =
		rec_of("198.18.1.7", "192.0.2.9", "192.0.2.1", 0, 0);
	struct flow_enriched e;
	struct enricher *x;
	int slot;

	(void)state;
	if (write_mmdb("asn.mmdb", 64500))
		fail_msg(
			"could not write an MMDB (is libmaxmind-db-writer-perl "
			"installed?)");
	x = open_conf(
		"asn-database = asn.mmdb\n"
		"asn-providers = geoip\n");
	slot = enricher_reader_add(x);
	apply(x, slot, &r, &e);
	assert_int_equal(e.src_as, 64500);
	unit_assert_fstr(e.src_as_name, "AS 64500");
	unit_assert_fstr(e.src_country, "FR");
	assert_int_equal(e.dst_as, 0);
	assert_int_equal(e.has_dst_as, 0);

	/* A corrupt database (truncated garbage) keeps the old one. */
	write_file("asn.mmdb", "this is not an MMDB, not at all\n");
	assert_int_equal(enricher_reload(x, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "asn.mmdb"));
	apply(x, slot, &r, &e);
	assert_int_equal(e.src_as, 64500);
	unit_assert_fstr(e.src_as_name, "AS 64500");

	/* A new one is used from the next poll on. */
	if (write_mmdb("asn.mmdb", 64501))
		fail_msg("could not write an MMDB");
	assert_int_equal(enricher_poll(x), 1);
	apply(x, slot, &r, &e);
	assert_int_equal(e.src_as, 64501);
	unit_assert_fstr(e.src_as_name, "AS 64501");
	enricher_close(x);
}

static void test_open_errors(void **state)
{
	char path[300];

	(void)state;
	write_file("bad.csv", nets_bad);
	write_file("e1.conf", "networks = bad.csv\n");
	snprintf(path, sizeof(path), "%s/e1.conf", dir);
	assert_null(enricher_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "/bad.csv:3: "));

	write_file("e2.conf", "networks = none.csv\n");
	snprintf(path, sizeof(path), "%s/e2.conf", dir);
	assert_null(enricher_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "none.csv"));

	write_file("e3.conf", "\nnetworks = x.csv\nnetwork = y.csv\n");
	snprintf(path, sizeof(path), "%s/e3.conf", dir);
	assert_null(enricher_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "/e3.conf:3: unknown key 'network'"));

	snprintf(path, sizeof(path), "%s/none.conf", dir);
	assert_null(enricher_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "none.conf"));
	enricher_close(NULL);
}

static void test_snmp_settings(void **state)
{
	struct enricher *x;
	const struct enricher_setting *s;
	char path[300];
	size_t n;

	(void)state;
	write_file("nets.csv", nets_v1);
	x = open_conf(
		"networks = nets.csv\nsnmp-community = c1\n"
		"snmp-poll = on\n"
		"snmp-agent = 198.18.0.0/24 community=a\n"
		"snmp-agent = 198.18.1.0/24 community=b\n");
	s = enricher_snmp_settings(x, &n);
	assert_int_equal(n, 4);
	assert_string_equal(s[0].key, "snmp-community");
	assert_string_equal(s[0].value, "c1");
	assert_int_equal(s[0].line, 2);
	assert_string_equal(s[3].key, "snmp-agent"); /* may repeat */
	assert_int_equal(s[3].line, 5);
	assert_non_null(enricher_context(x));
	assert_non_null(enricher_snmp(x)); /* snmp-poll = on: a poller */
	assert_int_equal(enricher_policy(x)->n, 3);
	enricher_close(x);

	/* The poller's checks, with the config's file and line. */
	write_file("s1.conf", "networks = nets.csv\nsnmp-community = c1\n");
	snprintf(path, sizeof(path), "%s/s1.conf", dir);
	assert_null(enricher_open(path, err, sizeof(err)));
	assert_non_null(strstr(err,
			       "/s1.conf: snmp- keys given but "
			       "snmp-poll is not on"));
	write_file("s2.conf", "snmp-poll = on\nsnmp-retries = 9\n");
	snprintf(path, sizeof(path), "%s/s2.conf", dir);
	assert_null(enricher_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "/s2.conf:2: snmp-retries '9'"));
	write_file("s3.conf", "snmp-poll = on\nsnmp-colour = 9\n");
	snprintf(path, sizeof(path), "%s/s3.conf", dir);
	assert_null(enricher_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "/s3.conf:2: unknown key 'snmp-colour'"));
	x = open_conf("networks = nets.csv\n");
	assert_null(enricher_snmp(x)); /* no SNMP: no poller */
	enricher_close(x);
}

/* No interfaces file, no SNMP: the exporters seen in flows are classified
 * at the next poll, named by the networks file, by prefix rules and by
 * name regexes; enricher_apply and enricher_apply_batch both note them. */
static void test_exporters_seen_in_flows(void **state)
{
	struct flow_rec r1 =
		rec_of("198.18.1.7", "198.18.9.9", "192.0.2.1", 0, 0);
	struct flow_rec r2 =
		rec_of("198.18.1.7", "198.18.9.9", "192.0.2.9", 0, 0);
	struct flow_rec r3 =
		rec_of("198.18.1.7", "198.18.9.9", "2001:db8::1", 0, 0);
	struct flow_enriched e, b[2];
	struct enricher_stats st;
	struct enricher *x;
	int slot;

	(void)state;
	write_file("nets.csv", nets_v1);
	write_file("rules.csv",
		   "prefix,name_regex,name,group,role,site,region,tenant\n"
		   ",^edge,,edges,border,,,\n"
		   "192.0.2.0/24,,,,,par1,eu-west,acme\n"
		   "2001:db8::/32,,core-v6,core,,,,\n");
	x = open_conf("networks = nets.csv\nexporters = rules.csv\n");
	slot = enricher_reader_add(x);
	assert_true(slot >= 0);

	/* The first flow of a new exporter goes unclassified... */
	apply(x, slot, &r1, &e);
	unit_assert_fstr(e.exporter_name, NULL);
	unit_assert_fstr(e.exporter_region, NULL);
	{
		struct flow_rec recs[2] = { r2, r3 };
		const struct enrich_tables *t = enricher_begin(x, slot);

		enricher_apply_batch(x, t, recs, 2, b);
		enricher_end(x, slot);
		unit_assert_fstr(b[0].exporter_region, NULL);
		unit_assert_fstr(b[1].exporter_name, NULL);
	}
	enricher_stats(x, &st);
	assert_int_equal(st.exporters_seen, 3);
	assert_false(st.exporters_full);

	/* ...until the next poll (no source file changed: 0 reloaded). */
	assert_int_equal(enricher_poll(x), 0);
	assert_string_equal(enricher_last_error(x), "");
	apply(x, slot, &r1, &e);
	unit_assert_fstr(e.exporter_name, "edge1");  /* the networks file */
	unit_assert_fstr(e.exporter_group, "edges"); /* regex on that name */
	unit_assert_fstr(e.exporter_role, "border");
	unit_assert_fstr(e.exporter_site, "par1"); /* prefix rule */
	unit_assert_fstr(e.exporter_region, "eu-west");
	unit_assert_fstr(e.exporter_tenant, "acme");
	apply(x, slot, &r2, &e);
	unit_assert_fstr(e.exporter_name, NULL); /* no name: no regex */
	unit_assert_fstr(e.exporter_group, NULL);
	unit_assert_fstr(e.exporter_region, "eu-west");
	unit_assert_fstr(e.exporter_tenant, "acme");
	apply(x, slot, &r3, &e);
	unit_assert_fstr(e.exporter_name, "core-v6"); /* a rule's name */
	unit_assert_fstr(e.exporter_group, "core");
	unit_assert_fstr(e.exporter_site, NULL);

	/* Nothing new: the table stays as it is. */
	enricher_stats(x, &st);
	assert_int_equal(enricher_poll(x), 0);
	{
		struct enricher_stats st2;

		enricher_stats(x, &st2);
		assert_int_equal(st2.generation, st.generation);
	}

	/* The networks file renames the exporter: the seen ones are
	 * classified again from it. */
	replace_file("nets.csv", nets_v2);
	assert_int_equal(enricher_poll(x), 1);
	apply(x, slot, &r1, &e);
	unit_assert_fstr(e.exporter_name, "edge1b");
	unit_assert_fstr(e.exporter_group, "edges");
	unit_assert_fstr(e.exporter_region, "eu-west");
	enricher_close(x);
}

/* exporters-max bounds the exporters seen; the others stay unclassified
 * and the stats say so. */
static void test_exporters_seen_full(void **state)
{
	const char *addrs[] = { "192.0.2.1", "192.0.2.2", "192.0.2.3" };
	struct flow_enriched e;
	struct enricher_stats st;
	struct enrich_config c;
	struct flow_rec r;
	struct enricher *x;
	int slot;

	(void)state;
	write_file("rules.csv", "prefix,group\n192.0.2.0/24,lab\n");
	x = open_conf("exporters = rules.csv\nexporters-max = 2\n");
	slot = enricher_reader_add(x);
	for (size_t i = 0; i < 3; i++) {
		r = rec_of("198.18.1.7", "198.18.9.9", addrs[i], 0, 0);
		apply(x, slot, &r, &e);
	}
	enricher_stats(x, &st);
	assert_int_equal(st.exporters_seen, 2);
	assert_true(st.exporters_full);
	assert_int_equal(enricher_poll(x), 0);
	for (size_t i = 0; i < 3; i++) {
		r = rec_of("198.18.1.7", "198.18.9.9", addrs[i], 0, 0);
		apply(x, slot, &r, &e);
		unit_assert_fstr(e.exporter_group, i < 2 ? "lab" : NULL);
	}
	enricher_close(x);

	/* The key's checks. */
	assert_int_equal(parse("exporters = r.csv\n", &c), 0);
	assert_int_equal(c.exporters_max, 1024);
	enrich_config_free(&c);
	assert_int_equal(parse("networks = n.csv\nexporters-max = 65536\n", &c),
			 0);
	assert_int_equal(c.exporters_max, 65536);
	enrich_config_free(&c);
	assert_int_equal(parse("networks = n.csv\nexporters-max = 0\n", &c),
			 -EINVAL);
	assert_non_null(strstr(err,
			       "enrich.conf:2: exporters-max '0' is not "
			       "1..65536"));
	assert_int_equal(parse("networks = n.csv\nexporters-max = 65537\n", &c),
			 -EINVAL);
	assert_int_equal(parse("networks = n.csv\nexporters-max = 5x\n", &c),
			 -EINVAL);
	assert_int_equal(parse("networks = n.csv\nexporters-max = -1\n", &c),
			 -EINVAL);
	assert_int_equal(parse("networks = n.csv\nexporters-max = 4\n"
			       "exporters-max = 4\n",
			       &c),
			 -EINVAL);
	assert_non_null(strstr(err, ":3: exporters-max given twice"));
	/* Nothing would name or classify them: a key that does nothing. */
	assert_int_equal(parse("interfaces = i.csv\nexporters-max = 4\n", &c),
			 -EINVAL);
	assert_non_null(strstr(err,
			       "enrich.conf:2: exporters-max: no "
			       "exporter is classified"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_every_key),
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_config_nul_and_missing),
		cmocka_unit_test(test_asn_private),
		cmocka_unit_test(test_asn_precedence),
		cmocka_unit_test(test_apply_files),
		cmocka_unit_test(test_reload_keeps_old_networks),
		cmocka_unit_test(test_reload_keeps_old_mmdb),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_snmp_settings),
		cmocka_unit_test(test_exporters_seen_in_flows),
		cmocka_unit_test(test_exporters_seen_full),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
