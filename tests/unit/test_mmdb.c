// SPDX-License-Identifier: Apache-2.0
/* Unit tests for MMDB conversion: tiny databases written by MaxMind's Perl
 * writer (Debian libmaxmind-db-writer-perl) in the GeoLite2 ASN, GeoLite2
 * Country, IPinfo and IPv4-only layouts; every answer cross-checked with
 * mmdblookup (Debian mmdb-bin); corrupt and missing files. */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <maxminddb.h>

#include "enrich/enrich.h"
#include "enrich/geo_db.h"

static const char writer_pl[] =
	"use strict; use warnings;\n"
	"use MaxMind::DB::Writer::Tree;\n"
	"my ($kind, $out) = @ARGV;\n"
	"my %types = (autonomous_system_number => 'uint32',\n"
	"  autonomous_system_organization => 'utf8_string', country => 'map',\n"
	"  iso_code => 'utf8_string', names => 'map', en => 'utf8_string',\n"
	"  asn => 'utf8_string', as_name => 'utf8_string', continent => 'map',\n"
	"  code => 'utf8_string');\n"
	"$types{country} = 'utf8_string' if $kind eq 'ipinfo';\n"
	"my $t = MaxMind::DB::Writer::Tree->new(\n"
	"  ip_version => $kind eq 'v4' ? 4 : 6, record_size => 24,\n"
	"  database_type => \"test-$kind\", languages => ['en'],\n"
	"  description => { en => 'xdpflow test' },\n"
	"  remove_reserved_networks => 0, alias_ipv6_to_ipv4 => $kind ne 'v4',\n"
	"  map_key_type_callback => sub { $types{$_[0]} });\n"
	"sub as { { autonomous_system_number => $_[0],\n"
	"           autonomous_system_organization => $_[1] } }\n"
	"sub cc { { country => { iso_code => $_[0], names => { en => $_[1] } } } }\n"
	"if ($kind eq 'asn') {\n"
	"  $t->insert_network('198.18.0.0/15', as(64500, 'Test AS'));\n"
	"  $t->insert_network('198.18.128.0/17', as(64502, 'Nested'));\n"
	"  $t->insert_network('10.0.0.0/8', as(64503, 'Ten'));\n"
	"  $t->insert_network('2001:2::/48', as(64501, 'Six'));\n"
	"  $t->insert_network('2001:2:0:8000::/49', as(64504, 'Six nested'));\n"
	"} elsif ($kind eq 'country') {\n"
	"  $t->insert_network('198.18.0.0/15', cc('FR', 'France'));\n"
	"  $t->insert_network('2001:2::/48', cc('DE', 'Germany'));\n"
	"  $t->insert_network('192.0.2.0/24', { continent => { code => 'EU' } });\n"
	"} elsif ($kind eq 'ipinfo') {\n"
	"  $t->insert_network('198.18.0.0/15', { country => 'NL',\n"
	"    asn => 'AS64510', as_name => 'IPinfo AS' });\n"
	"  $t->insert_network('2001:2::/48', { country => 'JP', asn => 'AS64511',\n"
	"    as_name => 'IPinfo Six' });\n"
	"} else {\n"
	"  $t->insert_network('198.18.0.0/15', as(64520, 'Four only'));\n"
	"  $t->insert_network('0.0.0.0/1', as(64521, 'Low half'));\n"
	"}\n"
	"open my $fh, '>:raw', $out or die; $t->write_tree($fh); close $fh;\n";

static char dir[] = "/tmp/test_mmdb_XXXXXX";
static char err[256];

static void path_of(char *buf, size_t len, const char *kind)
{
	snprintf(buf, len, "%s/%s.mmdb", dir, kind);
}

static int setup(void **state)
{
	char pl[300], cmd[800];
	static const char *const kinds[] = { "asn", "country", "ipinfo", "v4" };
	FILE *f;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(pl, sizeof(pl), "%s/writer.pl", dir);
	f = fopen(pl, "w");
	if (!f || fputs(writer_pl, f) < 0 || fclose(f))
		return -1;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char out[300];

		path_of(out, sizeof(out), kinds[i]);
		snprintf(cmd, sizeof(cmd), "perl %s %s %s", pl, kinds[i], out);
		if (system(cmd) != 0) {
			fprintf(stderr,
				"could not write %s (is libmaxmind-db-writer-perl installed?)\n",
				out);
			return -1;
		}
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* mmdblookup's answer for ip at the data path, the value alone (number or
 * string, quotes stripped) in out; false when it finds no entry or no
 * value at that path. */
static bool mmdblookup(const char *db, const char *ip, const char *dpath,
		       char *out, size_t outlen)
{
	char cmd[600], line[512];
	bool found = false;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "mmdblookup --file %s --ip %s %s 2>/dev/null", db, ip, dpath);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char *s = line, *e;

		while (*s == ' ')
			s++;
		if (*s == '\n' || *s == '\0')
			continue;
		if (*s == '"') {
			s++;
			e = strchr(s, '"');
		} else {
			e = strchr(s, ' ');
		}
		if (e && !found) {
			snprintf(out, outlen, "%.*s", (int)(e - s), s);
			found = true;
		}
	}
	/* mmdblookup exits non-zero when the path is not in the record. */
	if (pclose(p) != 0)
		found = false;
	return found;
}

static struct enrich_geo_db *load(const char *kind)
{
	char path[300];
	struct enrich_geo_db *g = NULL;

	path_of(path, sizeof(path), kind);
	if (enrich_geo_db_load(path, &g, err, sizeof(err)))
		fail_msg("%s", err);
	return g;
}

/* Checks one address against mmdblookup on the fields of a layout. */
static void cross_check(const char *kind, const struct enrich_geo_db *g,
			const char *ip)
{
	char path[300], want[256];
	struct flow_addr a = unit_addr(ip);
	const struct enrich_geo *r = enrich_geo_db_lookup(g, &a);
	bool ipinfo = strcmp(kind, "ipinfo") == 0;
	bool country = strcmp(kind, "country") == 0;
	const char *asn_path = ipinfo ? "asn" : "autonomous_system_number";
	const char *org_path = ipinfo ? "as_name"
				      : "autonomous_system_organization";
	const char *cc_path = ipinfo ? "country" : "country iso_code";

	path_of(path, sizeof(path), kind);
	/* mmdblookup cannot look IPv6 up in an IPv4 database; we look
	 * IPv4-mapped addresses up as IPv4 and find no other IPv6. */
	if (strcmp(kind, "v4") == 0 && a.len == 16) {
		if (strncmp(ip, "::ffff:", 7) != 0) {
			assert_null(r);
			return;
		}
		ip += 7;
	}
	if (!country) {
		if (mmdblookup(path, ip, asn_path, want, sizeof(want))) {
			assert_non_null(r);
			assert_int_equal(r->asn,
					 strtoul(want + (ipinfo ? 2 : 0), NULL,
						 10));
		} else {
			assert_true(!r || r->asn == 0);
		}
		if (mmdblookup(path, ip, org_path, want, sizeof(want)))
			assert_string_equal(r->as_name, want);
		else
			assert_true(!r || !r->as_name);
	}
	if (country || ipinfo) {
		if (mmdblookup(path, ip, cc_path, want, sizeof(want)))
			assert_string_equal(r->country, want);
		else
			assert_true(!r || !r->country);
	}
}

static const char *const probes[] = {
	"198.18.0.1",
	"198.19.255.255",
	"198.18.128.0",
	"198.18.127.255",
	"198.20.0.0",
	"10.1.2.3",
	"11.0.0.0",
	"192.0.2.1",
	"1.1.1.1",
	"200.0.0.1",
	"2001:2::1",
	"2001:2:0:8000::1",
	"2001:2:1::",
	"2001:3::",
	"::ffff:198.18.200.1",
	"::ffff:10.0.0.1",
	"::1",
};

static void check_kind(const char *kind)
{
	struct enrich_geo_db *g = load(kind);

	assert_true(enrich_geo_db_count(g) > 0);
	assert_true(enrich_geo_db_bytes(g) > 0);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		cross_check(kind, g, probes[i]);
	enrich_geo_db_free(g);
}

static void test_asn_layout(void **state)
{
	struct enrich_geo_db *g;
	struct flow_addr a;
	const struct enrich_geo *r;

	(void)state;
	check_kind("asn");
	/* And the values themselves, not only agreement with mmdblookup. */
	g = load("asn");
	a = unit_addr("198.18.200.1");
	r = enrich_geo_db_lookup(g, &a);
	assert_int_equal(r->asn, 64502);
	assert_string_equal(r->as_name, "Nested");
	assert_null(r->country);
	a = unit_addr("::ffff:198.18.1.1"); /* IPv4-mapped */
	assert_int_equal(enrich_geo_db_lookup(g, &a)->asn, 64500);
	a = unit_addr("2001:2:0:8000::5");
	assert_int_equal(enrich_geo_db_lookup(g, &a)->asn, 64504);
	a = unit_addr("2001:2::5");
	assert_int_equal(enrich_geo_db_lookup(g, &a)->asn, 64501);
	a = unit_addr("2002:c612:0101::"); /* the 6to4 alias is not a network */
	assert_null(enrich_geo_db_lookup(g, &a));
	a = unit_addr("11.0.0.1");
	assert_null(enrich_geo_db_lookup(g, &a));
	/* 5 networks, nesting split into disjoint ones by the writer. */
	assert_true(enrich_geo_db_count(g) >= 5);
	enrich_geo_db_free(g);
}

static void test_country_layout(void **state)
{
	struct enrich_geo_db *g;
	struct flow_addr a;

	(void)state;
	check_kind("country");
	g = load("country");
	a = unit_addr("198.19.0.1");
	assert_string_equal(enrich_geo_db_lookup(g, &a)->country, "FR");
	a = unit_addr("2001:2::1");
	assert_string_equal(enrich_geo_db_lookup(g, &a)->country, "DE");
	/* A record without any field we use is skipped. */
	a = unit_addr("192.0.2.1");
	assert_null(enrich_geo_db_lookup(g, &a));
	enrich_geo_db_free(g);
}

static void test_ipinfo_layout(void **state)
{
	struct enrich_geo_db *g;
	struct flow_addr a;
	const struct enrich_geo *r;

	(void)state;
	check_kind("ipinfo");
	g = load("ipinfo");
	a = unit_addr("198.18.0.9");
	r = enrich_geo_db_lookup(g, &a);
	assert_int_equal(r->asn, 64510);
	assert_string_equal(r->as_name, "IPinfo AS");
	assert_string_equal(r->country, "NL");
	enrich_geo_db_free(g);
}

static void test_ipv4_only_db(void **state)
{
	struct enrich_geo_db *g;
	struct flow_addr a;

	(void)state;
	check_kind("v4");
	g = load("v4");
	a = unit_addr("198.18.0.9");
	assert_int_equal(enrich_geo_db_lookup(g, &a)->asn, 64520);
	a = unit_addr("127.0.0.1");
	assert_int_equal(enrich_geo_db_lookup(g, &a)->asn, 64521);
	a = unit_addr("::ffff:198.18.0.9");
	assert_int_equal(enrich_geo_db_lookup(g, &a)->asn, 64520);
	a = unit_addr("2001:2::1");
	assert_null(enrich_geo_db_lookup(g, &a));
	enrich_geo_db_free(g);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

static void test_corrupt(void **state)
{
	char good[300], bad[300];
	struct enrich_geo_db *g = (struct enrich_geo_db *)&g;
	size_t len;
	char *buf;

	(void)state;
	path_of(good, sizeof(good), "asn");
	path_of(bad, sizeof(bad), "bad");
	buf = read_file(good, &len);

	/* Not an MMDB at all. */
	write_file(bad, "just text\n", 10);
	assert_int_equal(enrich_geo_db_load(bad, &g, err, sizeof(err)),
			 -EINVAL);
	assert_ptr_equal(g, (struct enrich_geo_db *)&g);
	assert_non_null(strstr(err, bad));

	/* Truncated: the metadata at the end is gone. */
	write_file(bad, buf, len / 2);
	assert_int_equal(enrich_geo_db_load(bad, &g, err, sizeof(err)),
			 -EINVAL);
	assert_ptr_equal(g, (struct enrich_geo_db *)&g);

	/* A search tree whose records point past the data section. */
	memset(buf, 0xff, 6 * 20);
	write_file(bad, buf, len);
	assert_int_equal(enrich_geo_db_load(bad, &g, err, sizeof(err)),
			 -EINVAL);
	assert_ptr_equal(g, (struct enrich_geo_db *)&g);
	free(buf);

	/* A search tree turned into a graph: node i points to i + 1 on both
	 * sides down to depth 100 (then empty), 2^100 paths none of them too
	 * deep. Must fail fast, not walk them all. */
	{
		MMDB_s db;
		uint32_t nodes;

		assert_int_equal(MMDB_open(good, MMDB_MODE_MMAP, &db),
				 MMDB_SUCCESS);
		nodes = db.metadata.node_count;
		assert_int_equal(db.metadata.record_size, 24);
		assert_true(nodes > 100);
		MMDB_close(&db);
		buf = read_file(good, &len);
		for (uint32_t i = 0; i < nodes; i++) {
			uint32_t next = i + 1 < nodes && i + 1 < 100 ? i + 1
								     : nodes;

			for (int side = 0; side < 2; side++) {
				uint8_t *rec =
					(uint8_t *)buf + 6 * i + 3 * side;

				rec[0] = (uint8_t)(next >> 16);
				rec[1] = (uint8_t)(next >> 8);
				rec[2] = (uint8_t)next;
			}
		}
		write_file(bad, buf, len);
		free(buf);
		assert_int_equal(enrich_geo_db_load(bad, &g, err, sizeof(err)),
				 -EINVAL);
		assert_ptr_equal(g, (struct enrich_geo_db *)&g);
		assert_non_null(strstr(err, "not a tree"));
	}

	/* Missing. */
	unlink(bad);
	assert_int_equal(enrich_geo_db_load(bad, &g, err, sizeof(err)),
			 -ENOENT);
	assert_ptr_equal(g, (struct enrich_geo_db *)&g);
}

/* Both databases in an enrich context: ASN from one, country from the
 * other, each filling what the other lacks. */
static void test_in_context(void **state)
{
	struct enrich *e = enrich_new();
	struct flow_addr s = unit_addr("198.18.200.1"),
			 d = unit_addr("2001:2::7");
	struct flow_addr x = unit_addr("11.0.0.1"), none = { 0 };
	const struct enrich_tables *t;
	struct enrich_result r;
	int slot = enrich_reader_add(e);

	(void)state;
	assert_int_equal(enrich_set_asn_db(e, load("asn")), 0);
	assert_int_equal(enrich_set_country_db(e, load("country")), 0);
	t = enrich_read_begin(e, slot);
	enrich_flow(t, &s, &d, &none, 0, 0, &r);
	assert_int_equal(r.src.geo.asn, 64502);
	assert_string_equal(r.src.geo.as_name, "Nested");
	assert_string_equal(r.src.geo.country, "FR");
	assert_int_equal(r.dst.geo.asn, 64501);
	assert_string_equal(r.dst.geo.country, "DE");
	assert_null(r.src.net);
	{
		/* The batched path answers the same for every probe pair. */
		enum { N = sizeof(probes) / sizeof(probes[0]) };
		struct flow_rec *recs = calloc(N * N, sizeof(*recs));
		struct enrich_result *out = calloc(N * N, sizeof(*out));

		for (size_t i = 0; i < N * N; i++) {
			recs[i].src_addr = unit_addr(probes[i / N]);
			recs[i].dst_addr = unit_addr(probes[i % N]);
		}
		enrich_flow_recs(t, recs, N * N, out);
		for (size_t i = 0; i < N * N; i++) {
			struct enrich_result one;

			enrich_flow(t, &recs[i].src_addr, &recs[i].dst_addr,
				    &none, 0, 0, &one);
			assert_memory_equal(&one, &out[i], sizeof(one));
		}
		free(recs);
		free(out);
	}
	enrich_flow(t, &x, &none, &none, 0, 0, &r);
	assert_int_equal(r.src.geo.asn, 0);
	assert_null(r.src.geo.country);
	assert_null(r.dst.geo.as_name);
	enrich_read_end(e, slot);

	/* IPinfo as the country database also brings AS data where the ASN
	 * database has none, and its country wins. */
	assert_int_equal(enrich_set_asn_db(e, NULL), 0);
	assert_int_equal(enrich_set_country_db(e, load("ipinfo")), 0);
	t = enrich_read_begin(e, slot);
	enrich_flow(t, &s, &d, &none, 0, 0, &r);
	assert_int_equal(r.src.geo.asn, 64510);
	assert_string_equal(r.src.geo.country, "NL");
	assert_string_equal(r.dst.geo.as_name, "IPinfo Six");
	enrich_read_end(e, slot);
	assert_int_equal(enrich_reclaim(e), 0);
	enrich_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asn_layout),
		cmocka_unit_test(test_country_layout),
		cmocka_unit_test(test_ipinfo_layout),
		cmocka_unit_test(test_ipv4_only_db),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_in_context),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
