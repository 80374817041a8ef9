// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the binary COPY encoder (user/insert/copybin.c): header and
 * trailer bytes, every column's encoding read back field by field (times,
 * inet v4/v6, NULLs, macaddr, bigint bits of uint32, arrays, enrichment
 * text and speeds), the column list, growth and the size limit. */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "common/bytes.h"
#include "insert/copybin.h"

struct field {
	int32_t len; /* -1: NULL */
	const uint8_t *p;
};

/* Splits one row at p into its fields; returns the bytes consumed. */
static size_t read_row(const uint8_t *p, size_t left, struct field *f)
{
	struct cur c = cur_make(p, left);

	assert_int_equal(cur_be16(&c), COPYBIN_NCOLS);
	for (int i = 0; i < COPYBIN_NCOLS; i++) {
		f[i].len = (int32_t)cur_be32(&c);
		f[i].p = NULL;
		if (f[i].len >= 0)
			f[i].p = cur_take(&c, (size_t)f[i].len);
		assert_false(c.bad);
	}
	return left - c.left;
}

static int col(const char *name)
{
	const char *s = COPYBIN_COLUMNS;
	size_t n = strlen(name);

	for (int i = 0; *s; i++) {
		const char *e = strchr(s, ',');
		size_t l = e ? (size_t)(e - s) : strlen(s);

		if (l == n && !strncmp(s, name, n))
			return i;
		if (!e)
			break;
		s = e + 2;
	}
	fail_msg("no column %s", name);
	return -1;
}

static void test_columns(void **state)
{
	int n = 1;

	(void)state;
	for (const char *s = COPYBIN_COLUMNS; *s; s++)
		n += *s == ',';
	assert_int_equal(n, COPYBIN_NCOLS);
	assert_int_equal(col("time_received"), 0);
	assert_int_equal(col("ipv6_routing_header_seg_left"), 51);
	assert_int_equal(col("src_country"), 52);
	assert_int_equal(col("exporter_tenant"), COPYBIN_NCOLS - 1);
}

static void test_header_trailer(void **state)
{
	struct copybin b;

	(void)state;
	assert_int_equal(copybin_init(&b, 64, 64), 0);
	assert_int_equal(copybin_header(&b), 0);
	assert_int_equal(b.len, COPYBIN_HEADER_LEN);
	assert_memory_equal(b.buf, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
	assert_int_equal(copybin_trailer(&b), 0);
	assert_int_equal(b.buf[19], 0xff);
	assert_int_equal(b.buf[20], 0xff);
	copybin_fini(&b);
	copybin_fini(&b);
}

static void test_pg_time(void **state)
{
	(void)state;
	assert_int_equal(copybin_pg_time(946684800ULL * 1000000000ULL), 0);
	assert_int_equal(copybin_pg_time(946684800ULL * 1000000000ULL + 1500),
			 1);
	assert_true(copybin_pg_time(0) == -946684800LL * 1000000LL);
}

static void test_row(void **state)
{
	static const uint8_t v4[4] = { 198, 18, 0, 1 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x00, 0x02, [15] = 7 };
	static const uint8_t bad[3] = { 1, 2, 3 };
	uint32_t path[2] = { 65000, 4200000000u };
	Flowpb__FlowMessage__LayerStack layers[2] = { 0, 2 };
	ProtobufCBinaryData mpls_ip[2] = { { 4, (uint8_t *)v4 },
					   { 3, (uint8_t *)bad } };
	Flowpb__FlowMessage m = FLOWPB__FLOW_MESSAGE__INIT;
	struct field f[COPYBIN_NCOLS];
	struct copybin b;
	const uint8_t *a;

	(void)state;
	m.type = FLOWPB__FLOW_MESSAGE__FLOW_TYPE__IPFIX;
	m.time_received_ns = 946684800ULL * 1000000000ULL +
			     2000000; /* 2 ms past the PG epoch */
	m.sequence_num = 4000000000u;
	m.sampling_rate = 5000000000ULL;
	m.src_addr.data = (uint8_t *)v4;
	m.src_addr.len = 4;
	m.dst_addr.data = (uint8_t *)v6;
	m.dst_addr.len = 16;
	m.next_hop.data = (uint8_t *)bad;
	m.next_hop.len = 3;
	m.src_mac = 0x0200c0ffee01ULL;
	m.src_port = 65535;
	m.in_if = 3000000000u;
	m.as_path = path;
	m.n_as_path = 2;
	m.layer_stack = layers;
	m.n_layer_stack = 2;
	m.mpls_ip = mpls_ip;
	m.n_mpls_ip = 2;

	assert_int_equal(copybin_init(&b, 16, 1 << 20), 0); /* grows */
	assert_int_equal(copybin_row(&b, &m), 0);
	assert_int_equal(read_row(b.buf, b.len, f), b.len);

	assert_int_equal(f[col("time_received")].len, 8);
	assert_true(be64_at(f[col("time_received")].p) == 2000);
	assert_int_equal(f[col("time_flow_start")].len, -1); /* 0: NULL */
	assert_int_equal(f[col("type")].len, 4);
	assert_int_equal(be32_at(f[col("type")].p), 4);
	assert_int_equal(f[col("sequence_num")].len,
			 8); /* bigint keeps uint32 */
	assert_true(be64_at(f[col("sequence_num")].p) == 4000000000u);
	assert_true(be64_at(f[col("sampling_rate")].p) == 5000000000ULL);
	assert_true(be64_at(f[col("in_if")].p) == 3000000000u);
	assert_int_equal(be32_at(f[col("src_port")].p), 65535);
	assert_int_equal(f[col("bytes")].len, 8);
	assert_true(be64_at(f[col("bytes")].p) == 0);

	assert_int_equal(f[col("src_addr")].len, 8);
	assert_memory_equal(f[col("src_addr")].p,
			    "\x02\x20\x00\x04\xc6\x12\x00\x01", 8);
	assert_int_equal(f[col("dst_addr")].len, 20);
	assert_memory_equal(f[col("dst_addr")].p, "\x03\x80\x00\x10", 4);
	assert_memory_equal(f[col("dst_addr")].p + 4, v6, 16);
	assert_int_equal(f[col("next_hop")].len,
			 -1); /* 3 bytes: not an address */
	assert_int_equal(f[col("sampler_address")].len, -1);

	assert_int_equal(f[col("src_mac")].len, 6);
	assert_memory_equal(f[col("src_mac")].p, "\x02\x00\xc0\xff\xee\x01", 6);
	assert_int_equal(f[col("dst_mac")].len, -1);

	/* as_path: bigint[] {65000, 4200000000} */
	a = f[col("as_path")].p;
	assert_int_equal(be32_at(a), 1);      /* dimensions */
	assert_int_equal(be32_at(a + 4), 0);  /* no NULLs */
	assert_int_equal(be32_at(a + 8), 20); /* int8 */
	assert_int_equal(be32_at(a + 12), 2);
	assert_int_equal(be32_at(a + 16), 1);
	assert_int_equal(be32_at(a + 20), 8);
	assert_true(be64_at(a + 24) == 65000);
	assert_true(be64_at(a + 36) == 4200000000u);
	assert_int_equal(f[col("as_path")].len, 20 + 2 * 12);

	/* layer_stack: integer[] {0, 2} */
	a = f[col("layer_stack")].p;
	assert_int_equal(be32_at(a + 8), 23);
	assert_int_equal(be32_at(a + 24), 0);
	assert_int_equal(be32_at(a + 32), 2);

	/* mpls_ip: inet[] with a NULL for the 3-byte entry */
	a = f[col("mpls_ip")].p;
	assert_int_equal(be32_at(a + 4), 1);
	assert_int_equal(be32_at(a + 8), 869);
	assert_int_equal(be32_at(a + 20), 8);
	assert_int_equal((int32_t)be32_at(a + 32), -1);

	assert_int_equal(f[col("bgp_communities")].len, -1); /* empty: NULL */
	copybin_fini(&b);
}

static void test_enrichment(void **state)
{
	static char big[70000];
	Flowpb__FlowMessage m = FLOWPB__FLOW_MESSAGE__INIT;
	struct field f[COPYBIN_NCOLS];
	struct copybin b;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	m.src_country = "FR";
	m.dst_net_tenant = "Caf\xc3\xa9 \"ACME\", inc.";
	m.in_if_name = "et-0/0/1";
	m.out_if_description = big;
	m.in_if_speed = 100000000000ULL;
	m.exporter_name = "edge1.par";
	m.exporter_tenant = "t1";

	assert_int_equal(copybin_init(&b, 16, 1 << 20), 0); /* grows */
	assert_int_equal(copybin_row(&b, &m), 0);
	assert_int_equal(read_row(b.buf, b.len, f), b.len);

	assert_int_equal(f[col("src_country")].len, 2);
	assert_memory_equal(f[col("src_country")].p, "FR", 2);
	assert_int_equal(f[col("dst_net_tenant")].len,
			 (int32_t)strlen(m.dst_net_tenant));
	assert_memory_equal(f[col("dst_net_tenant")].p, m.dst_net_tenant,
			    strlen(m.dst_net_tenant));
	assert_int_equal(f[col("in_if_name")].len, 8);
	assert_memory_equal(f[col("in_if_name")].p, "et-0/0/1", 8);
	assert_int_equal(f[col("out_if_description")].len, sizeof(big) - 1);
	assert_int_equal(f[col("out_if_description")].p[sizeof(big) - 2], 'x');
	assert_int_equal(f[col("exporter_name")].len, 9);
	assert_memory_equal(f[col("exporter_name")].p, "edge1.par", 9);
	assert_int_equal(f[col("exporter_tenant")].len, 2);
	assert_memory_equal(f[col("exporter_tenant")].p, "t1", 2);
	/* bigint bit/s; 0 (unknown) is NULL */
	assert_int_equal(f[col("in_if_speed")].len, 8);
	assert_true(be64_at(f[col("in_if_speed")].p) == 100000000000ULL);
	assert_int_equal(f[col("out_if_speed")].len, -1);
	/* empty (protobuf-c's default) and NULL strings are NULL */
	assert_int_equal(f[col("dst_country")].len, -1);
	assert_int_equal(f[col("src_as_name")].len, -1);
	assert_int_equal(f[col("exporter_group")].len, -1);
	m.exporter_group = NULL;
	b.len = 0;
	assert_int_equal(copybin_row(&b, &m), 0);
	assert_int_equal(read_row(b.buf, b.len, f), b.len);
	assert_int_equal(f[col("exporter_group")].len, -1);

	/* Bytes that do not start well-formed UTF-8 become U+FFFD, each;
	 * valid sequences up to 4 bytes pass. */
	{
		static const struct {
			const char *in, *out;
		} cases[] = {
			{ "\xff", "\xef\xbf\xbd" },
			{ "a\xc0\xaf-", "a\xef\xbf\xbd\xef\xbf\xbd-" },
			{ "\xed\xa0\x80",
			  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
			{ "\xf4\x90\x80\x80x",
			  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx" },
			{ "ok\xc3", "ok\xef\xbf\xbd" },
			{ "\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9",
			  "\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9" },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			m.exporter_site = (char *)cases[i].in;
			b.len = 0;
			assert_int_equal(copybin_row(&b, &m), 0);
			assert_int_equal(read_row(b.buf, b.len, f), b.len);
			assert_int_equal(f[col("exporter_site")].len,
					 (int32_t)strlen(cases[i].out));
			assert_memory_equal(f[col("exporter_site")].p,
					    cases[i].out, strlen(cases[i].out));
		}
	}
	/* The worst case (every byte replaced) fits the row's bound. */
	memset(big, 0xff, sizeof(big) - 1);
	b.len = 0;
	assert_int_equal(copybin_row(&b, &m), 0);
	assert_int_equal(read_row(b.buf, b.len, f), b.len);
	assert_int_equal(f[col("out_if_description")].len,
			 3 * (sizeof(big) - 1));
	copybin_fini(&b);

	/* A long string counts toward the size limit. */
	assert_int_equal(copybin_init(&b, 1024, 65536), 0);
	assert_int_equal(copybin_row(&b, &m), -ENOSPC);
	assert_int_equal(b.len, 0);
	copybin_fini(&b);
}

static void test_limit(void **state)
{
	static uint32_t path[10000];
	Flowpb__FlowMessage m = FLOWPB__FLOW_MESSAGE__INIT;
	struct copybin b;

	(void)state;
	m.as_path = path;
	m.n_as_path = 10000;
	assert_int_equal(copybin_init(&b, 1024, 4096), 0);
	assert_int_equal(copybin_header(&b), 0);
	assert_int_equal(copybin_row(&b, &m), -ENOSPC);
	assert_int_equal(b.len, COPYBIN_HEADER_LEN); /* nothing appended */
	m.n_as_path = 1;
	assert_int_equal(copybin_row(&b, &m), 0);
	copybin_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_header_trailer),
		cmocka_unit_test(test_pg_time),
		cmocka_unit_test(test_row),
		cmocka_unit_test(test_enrichment),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
