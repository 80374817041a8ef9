// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the worker's flow_sink (daemon/pipeline.c): each flow
 * decode emits reaches the publisher encoded exactly as encode_flow_schema
 * encodes it (JSON, pb in both schemas), keyed by its sampler address;
 * flows and publisher refusals are counted. With the file output (which
 * takes runs) the flows of a batch go out as one run per pipeline_flush,
 * or when the run is full: the same bytes, in the same order.
 */
#include "unit.h"
#include "unit_pub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/pipeline.h"
#include "decode/decode.h"

static struct unit_pub pub;
static struct pipeline pipe_;

/* Decodes a v5 packet of n records from 198.18.1.1 into us. */
static void decode_v5(struct unit_sink *us, unsigned n)
{
	struct decode_config cfg;
	struct decode_ctx *ctx;
	uint8_t b[24 + 48 * 4];
	struct datagram dg = { .data = b,
			       .len = unit_v5(b, n, 7),
			       .exporter = { .len = 4, .b = { 198, 18, 1, 1 } },
			       .exporter_port = 40000,
			       .local_port = 2055,
			       .time_received_ns = 1700000001000000000ULL,
			       .hint = DECODE_NETFLOW };

	assert_true(n <= 4);
	decode_config_defaults(&cfg);
	ctx = decode_ctx_new(&cfg);
	assert_non_null(ctx);
	unit_sink_init(us);
	assert_int_equal(decode_datagram(ctx, &dg, &us->sink), (int)n);
	assert_int_equal(us->n, n);
	decode_ctx_free(ctx);
}

static void check_format(enum out_format fmt, enum out_schema schema)
{
	struct unit_sink us;
	uint8_t want[ENCODE_MAX_LEN];

	decode_v5(&us, 3);
	unit_pub_init(&pub);
	pipeline_init(&pipe_, fmt, schema, &pub.pub);
	for (size_t i = 0; i < us.n; i++)
		pipe_.sink.emit(&pipe_.sink, &us.flows[i]);
	assert_int_equal(pub.n, 3);
	assert_int_equal(atomic_load(&pipe_.flows), 3);
	assert_int_equal(atomic_load(&pipe_.encode_errors), 0);
	assert_int_equal(atomic_load(&pipe_.write_errors), 0);
	for (size_t i = 0; i < us.n; i++) {
		ssize_t n = encode_flow_schema(fmt, schema, &us.flows[i], want,
					       sizeof(want));

		assert_true(n > 0);
		assert_int_equal(pub.msg[i].len, (size_t)n);
		assert_memory_equal(pub.msg[i].b, want, (size_t)n);
		/* The Kafka key: the flow's exporter. */
		assert_int_equal(pub.msg[i].exporter.len, 4);
		assert_memory_equal(pub.msg[i].exporter.b,
				    us.flows[i].sampler_address.b, 4);
		assert_memory_equal(pub.msg[i].exporter.b,
				    ((uint8_t[]){ 198, 18, 1, 1 }), 4);
	}
}

static void test_json(void **state)
{
	(void)state;
	check_format(OUT_FORMAT_JSON, OUT_SCHEMA_GOFLOW2);
	/* One JSON object per line, the source address in it. */
	assert_int_equal(pub.msg[1].b[0], '{');
	assert_int_equal(pub.msg[1].b[pub.msg[1].len - 1], '\n');
	assert_non_null(memmem(pub.msg[1].b, pub.msg[1].len, "198.18.0.2", 10));
}

static void test_pb_goflow2(void **state)
{
	(void)state;
	check_format(OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW2);
}

static void test_pb_legacy(void **state)
{
	struct unit_sink us;
	uint8_t other[ENCODE_MAX_LEN];
	ssize_t n;

	(void)state;
	check_format(OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW_V3);
	/* The schema is honoured: not the GoFlow2 encoding. */
	decode_v5(&us, 1);
	n = encode_flow_schema(OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW2, &us.flows[0],
			       other, sizeof(other));
	assert_true(n > 0);
	assert_false(pub.msg[0].len == (size_t)n &&
		     memcmp(pub.msg[0].b, other, (size_t)n) == 0);
}

/* A refusing publisher: counted as write errors, not as flows, and the
 * next flows still go through once it accepts again. */
static void test_write_errors(void **state)
{
	struct unit_sink us;

	(void)state;
	decode_v5(&us, 3);
	unit_pub_init(&pub);
	pipeline_init(&pipe_, OUT_FORMAT_JSON, OUT_SCHEMA_GOFLOW2, &pub.pub);
	pub.refuse = -ENOBUFS;
	pipe_.sink.emit(&pipe_.sink, &us.flows[0]);
	pipe_.sink.emit(&pipe_.sink, &us.flows[1]);
	pub.refuse = 0;
	pipe_.sink.emit(&pipe_.sink, &us.flows[2]);
	assert_int_equal(atomic_load(&pipe_.write_errors), 2);
	assert_int_equal(atomic_load(&pipe_.flows), 1);
	assert_int_equal(atomic_load(&pipe_.encode_errors), 0);
	assert_int_equal(pub.n, 1);
	assert_non_null(memmem(pub.msg[0].b, pub.msg[0].len, "198.18.0.3", 10));
}

/* Runs to the file output: nothing is handed over (or counted) before
 * pipeline_flush; many flows fill several runs; the file holds exactly
 * each flow's encode_flow_schema bytes, back to back, in order. */
static void test_runs_to_file(void **state)
{
	enum { N = 2000 };
	static struct pipeline pp;
	char path[] = "/tmp/xdpflow-test-pipeline-XXXXXX";
	struct publish_config cfg = { .kind = OUT_KIND_FILE,
				      .format = OUT_FORMAT_PB,
				      .file_path = path };
	struct publish_stats st;
	struct publisher *p;
	struct unit_sink us;
	uint8_t *want = malloc((size_t)N * 512), *got;
	size_t want_len = 0;
	char err[256];
	struct stat sb;
	FILE *f;
	int fd = mkstemp(path);

	(void)state;
	assert_non_null(want);
	assert_true(fd >= 0);
	close(fd);
	p = publisher_open(&cfg, err, sizeof(err));
	assert_non_null(p);
	decode_v5(&us, 4);
	pipeline_init(&pp, OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW2, p);
	assert_true(pp.runs);
	pp.sink.emit(&pp.sink, &us.flows[0]);
	publisher_get_stats(p, &st);
	assert_int_equal(st.flows, 0);
	assert_int_equal(atomic_load(&pp.flows), 0);
	pipeline_flush(&pp);
	publisher_get_stats(p, &st);
	assert_int_equal(st.flows, 1);
	assert_int_equal(atomic_load(&pp.flows), 1);
	pipeline_flush(&pp); /* nothing pending: nothing more */
	assert_int_equal(atomic_load(&pp.flows), 1);
	for (size_t i = 1; i < N; i++) {
		us.flows[i % 4].bytes = i; /* each flow its own bytes */
		pp.sink.emit(&pp.sink, &us.flows[i % 4]);
	}
	/* Runs were handed over on the way (~N * 100 bytes > one run). */
	assert_true(atomic_load(&pp.flows) > 1);
	assert_true(atomic_load(&pp.flows) < N);
	pipeline_flush(&pp);
	assert_int_equal(atomic_load(&pp.flows), N);
	assert_int_equal(atomic_load(&pp.write_errors), 0);
	assert_int_equal(publisher_flush(p, 1000), 0);
	publisher_get_stats(p, &st);
	assert_int_equal(st.flows, N);
	assert_int_equal(st.delivered, N);
	publisher_close(p);

	decode_v5(&us, 4);
	for (size_t i = 0; i < N; i++) {
		ssize_t n;

		if (i)
			us.flows[i % 4].bytes = i;
		n = encode_flow_schema(OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW2,
				       &us.flows[i ? i % 4 : 0],
				       want + want_len, 512);
		assert_true(n > 0);
		want_len += (size_t)n;
	}
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal((size_t)sb.st_size, want_len);
	got = malloc(want_len);
	assert_non_null(got);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, want_len, f), want_len);
	fclose(f);
	assert_memory_equal(got, want, want_len);
	free(got);
	free(want);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_pb_goflow2),
		cmocka_unit_test(test_pb_legacy),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_runs_to_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
