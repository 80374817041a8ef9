// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the daemon's stats (daemon/stats_report.c): a snapshot of
 * two workers (not running) that decoded known datagrams, with receive
 * sources and a publisher reporting known counters, merged per exporter
 * (sorted, IPv4 before IPv6) and summed over workers, then rendered as the
 * log report and as Prometheus text, each compared in full.
 */
#include "unit.h"
#include "unit_pub.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/stats_report.h"

/* A receive source that only holds counters. */
static int idle_recv(struct rx *rx, struct datagram *dgs, size_t max)
{
	(void)rx, (void)dgs, (void)max;
	return 0;
}

static void idle_close(struct rx *rx)
{
	(void)rx;
}

static const struct rx_ops idle_ops = {
	.name = "idle",
	.recv = idle_recv,
	.close = idle_close,
};

struct fixture {
	struct worker_shared sh;
	struct unit_pub pub;
	struct worker w[2];
	struct rx rx[3];
	struct stats_source src;
};

static void feed(struct worker *w, const struct flow_addr *from,
		 const uint8_t *b, size_t len)
{
	struct datagram dg = { .data = b,
			       .len = len,
			       .exporter = *from,
			       .exporter_port = 40000,
			       .local_port = 2055,
			       .time_received_ns = 1700000001000000000ULL,
			       .hint = DECODE_ANY };

	decode_datagram(w->dec, &dg, &w->pipe.sink);
}

static int setup(void **state)
{
	static const struct flow_addr a1 = { 4, { 198, 18, 1, 1 } },
				      a2 = { 4, { 198, 18, 1, 2 } },
				      a6 = { 16, { 0x20, 1, 0, 2, [15] = 1 } };
	struct fixture *f = calloc(1, sizeof(*f));
	struct decode_config dcfg;
	uint8_t b[24 + 48 * 3], bad[8] = { 0, 99, 0, 0 };

	assert_non_null(f);
	f->sh.batch = 1;
	f->sh.stop_fd = f->sh.done_fd = -1;
	decode_config_defaults(&dcfg);
	unit_pub_init(&f->pub);
	for (int i = 0; i < 2; i++)
		assert_int_equal(worker_init(&f->w[i], (unsigned)i, &f->sh,
					     &dcfg, OUT_FORMAT_JSON,
					     OUT_SCHEMA_GOFLOW2, &f->pub.pub),
				 0);
	/* Worker 0: 198.18.1.1 two flows, 2001:2::1 one flow. Worker 1:
	 * 198.18.1.1 three flows (merged with worker 0's), 198.18.1.2 an
	 * unknown version. */
	feed(&f->w[0], &a6, b, unit_v5(b, 1, 1));
	feed(&f->w[0], &a1, b, unit_v5(b, 2, 1));
	feed(&f->w[1], &a2, bad, sizeof(bad));
	feed(&f->w[1], &a1, b, unit_v5(b, 3, 3));
	for (int i = 0; i < 3; i++) {
		f->rx[i].ops = &idle_ops;
		f->rx[i].fd = -1;
	}
	rx_count(&f->rx[0].cnt.packets, 2);
	rx_count(&f->rx[0].cnt.bytes, 300);
	rx_count(&f->rx[0].cnt.drops, 1);
	rx_count(&f->rx[1].cnt.packets, 1);
	rx_count(&f->rx[1].cnt.bytes, 20);
	rx_count(&f->rx[2].cnt.packets, 2);
	rx_count(&f->rx[2].cnt.bytes, 200);
	rx_count(&f->rx[2].cnt.truncated, 2);
	rx_count(&f->rx[2].cnt.ignored, 4);
	rx_count(&f->rx[2].cnt.fragments, 5);
	rx_count(&f->rx[2].cnt.reassembled, 6);
	rx_count(&f->rx[2].cnt.errors, 1);
	/* Two listener sockets of worker 0, and an unnamed source (as a
	 * capture or AF_XDP socket): no socket line for it. */
	assert_int_equal(worker_add_rx(&f->w[0], &f->rx[0], "netflow://:2055"),
			 0);
	assert_int_equal(worker_add_rx(&f->w[0], &f->rx[1], "sflow://:6343"),
			 0);
	assert_int_equal(worker_add_rx(&f->w[1], &f->rx[2], NULL), 0);
	atomic_store(&f->w[0].not_allowed, 7);
	atomic_store(&f->w[1].not_allowed, 1);
	atomic_store(&f->w[0].pipe.encode_errors, 2);
	atomic_store(&f->w[1].pipe.write_errors, 3);
	f->pub.extra.messages = 11;
	f->pub.extra.delivered = 10;
	f->pub.extra.delivery_errors = 1;
	f->src = (struct stats_source){ .workers = f->w,
					.n_workers = 2,
					.pub = &f->pub.pub };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 2; i++)
		worker_fini(&f->w[i]);
	free(f);
	return 0;
}

static void test_snapshot(void **state)
{
	struct fixture *f = *state;
	struct stats_snapshot s;

	assert_int_equal(stats_snapshot_take(&f->src, &s), 0);
	assert_int_equal(s.n_workers, 2);
	assert_int_equal(s.n_exp, 3);
	assert_memory_equal(s.exp[0].addr.b, ((uint8_t[]){ 198, 18, 1, 1 }), 4);
	assert_int_equal(s.exp[0].c[DSTAT_PACKETS], 2);
	assert_int_equal(s.exp[0].c[DSTAT_FLOWS], 5);
	assert_int_equal(s.exp[0].c[DSTAT_NF5_PACKETS], 2);
	assert_memory_equal(s.exp[1].addr.b, ((uint8_t[]){ 198, 18, 1, 2 }), 4);
	assert_int_equal(s.exp[1].c[DSTAT_PACKETS], 1);
	assert_int_equal(s.exp[1].c[DSTAT_FLOWS], 0);
	assert_int_equal(s.exp[2].addr.len, 16);
	assert_int_equal(s.exp[2].c[DSTAT_FLOWS], 1);
	assert_int_equal(s.rx.packets, 5);
	assert_int_equal(s.rx.bytes, 520);
	assert_int_equal(s.not_allowed, 8);
	assert_int_equal(s.pub.flows, 6);
	assert_int_equal(s.encode_errors, 2);
	assert_int_equal(s.write_errors, 3);
	assert_null(s.xdp_ifaces);
	stats_snapshot_free(&s);
	assert_null(s.exp);
}

/* stderr into a file between capture_begin and capture_end, which
 * returns what was written (free it). */
static int saved_fd = -1, cap_fd = -1;

static void capture_begin(void)
{
	char path[] = "/tmp/xdpflow-stats-XXXXXX";

	cap_fd = mkstemp(path);
	saved_fd = dup(2);
	assert_true(cap_fd >= 0 && saved_fd >= 0);
	unlink(path);
	fflush(stderr);
	assert_true(dup2(cap_fd, 2) == 2);
}

static char *capture_end(void)
{
	char *text;
	long n;
	FILE *f;

	fflush(stderr);
	assert_true(dup2(saved_fd, 2) == 2);
	close(saved_fd);
	f = fdopen(cap_fd, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

static char *capture_log(const struct stats_source *src)
{
	capture_begin();
	stats_report_now(src);
	return capture_end();
}

static void test_log_report(void **state)
{
	struct fixture *f = *state;
	char *text = capture_log(&f->src);

	assert_string_equal(
		text,
		"xdpflow: info: stats exporter=198.18.1.1 packets=2 flows=5 netflow_v5_packets=2\n"
		"xdpflow: info: stats exporter=198.18.1.2 packets=1 error_unknown_version=1\n"
		"xdpflow: info: stats exporter=2001:2::1 packets=1 flows=1 netflow_v5_packets=1\n"
		"xdpflow: info: stats rx packets=5 not_allowed=8 ignored=4 bytes=520 drops=1 "
		"truncated=2 fragments=5 reassembled=6 errors=1\n"
		"xdpflow: info: stats socket listener=netflow://:2055 worker=0 drops=1\n"
		"xdpflow: info: stats socket listener=sflow://:6343 worker=0 drops=0\n"
		"xdpflow: info: stats publish flows=6 messages=11 delivery_errors=1 "
		"delivered=10 encode_errors=2 write_errors=3\n");
	free(text);
}

static void test_prometheus(void **state)
{
	struct fixture *f = *state;
	struct stats_snapshot s;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(stats_snapshot_take(&f->src, &s), 0);
	stats_report_prometheus(&s, out);
	stats_snapshot_free(&s);
	assert_int_equal(fclose(out), 0);
	assert_string_equal(
		text,
		"# HELP xdpflow_decode_packets_total Decoder counter packets, per exporter.\n"
		"# TYPE xdpflow_decode_packets_total counter\n"
		"xdpflow_decode_packets_total{exporter=\"198.18.1.1\"} 2\n"
		"xdpflow_decode_packets_total{exporter=\"198.18.1.2\"} 1\n"
		"xdpflow_decode_packets_total{exporter=\"2001:2::1\"} 1\n"
		"# HELP xdpflow_decode_flows_total Decoder counter flows, per exporter.\n"
		"# TYPE xdpflow_decode_flows_total counter\n"
		"xdpflow_decode_flows_total{exporter=\"198.18.1.1\"} 5\n"
		"xdpflow_decode_flows_total{exporter=\"198.18.1.2\"} 0\n"
		"xdpflow_decode_flows_total{exporter=\"2001:2::1\"} 1\n"
		"# HELP xdpflow_decode_netflow_v5_packets_total Decoder counter netflow_v5_packets, per exporter.\n"
		"# TYPE xdpflow_decode_netflow_v5_packets_total counter\n"
		"xdpflow_decode_netflow_v5_packets_total{exporter=\"198.18.1.1\"} 2\n"
		"xdpflow_decode_netflow_v5_packets_total{exporter=\"2001:2::1\"} 1\n"
		"# HELP xdpflow_decode_error_unknown_version_total Decoder counter error_unknown_version, per exporter.\n"
		"# TYPE xdpflow_decode_error_unknown_version_total counter\n"
		"xdpflow_decode_error_unknown_version_total{exporter=\"198.18.1.2\"} 1\n"
		"# HELP xdpflow_exporters Exporters with decode counters.\n"
		"# TYPE xdpflow_exporters gauge\n"
		"xdpflow_exporters 3\n"
		"# HELP xdpflow_workers Receive worker threads.\n"
		"# TYPE xdpflow_workers gauge\n"
		"xdpflow_workers 2\n"
		"# HELP xdpflow_rx_packets_total Datagrams received.\n"
		"# TYPE xdpflow_rx_packets_total counter\n"
		"xdpflow_rx_packets_total 5\n"
		"# HELP xdpflow_rx_bytes_total Payload bytes received.\n"
		"# TYPE xdpflow_rx_bytes_total counter\n"
		"xdpflow_rx_bytes_total 520\n"
		"# HELP xdpflow_rx_drops_total Datagrams dropped by the kernel (socket queue full).\n"
		"# TYPE xdpflow_rx_drops_total counter\n"
		"xdpflow_rx_drops_total 1\n"
		"# HELP xdpflow_socket_drops_total Datagrams the kernel dropped on a listener "
		"socket (receive buffer full), per listener and worker.\n"
		"# TYPE xdpflow_socket_drops_total counter\n"
		"xdpflow_socket_drops_total{listener=\"netflow://:2055\",worker=\"0\"} 1\n"
		"xdpflow_socket_drops_total{listener=\"sflow://:6343\",worker=\"0\"} 0\n"
		"# HELP xdpflow_rx_not_allowed_total Datagrams from exporters outside the allow-list.\n"
		"# TYPE xdpflow_rx_not_allowed_total counter\n"
		"xdpflow_rx_not_allowed_total 8\n"
		"# HELP xdpflow_rx_ignored_total Captured frames that are not UDP to a listened port.\n"
		"# TYPE xdpflow_rx_ignored_total counter\n"
		"xdpflow_rx_ignored_total 4\n"
		"# HELP xdpflow_rx_truncated_total Truncated datagrams dropped.\n"
		"# TYPE xdpflow_rx_truncated_total counter\n"
		"xdpflow_rx_truncated_total 2\n"
		"# HELP xdpflow_rx_fragments_total IP fragments seen (capture).\n"
		"# TYPE xdpflow_rx_fragments_total counter\n"
		"xdpflow_rx_fragments_total 5\n"
		"# HELP xdpflow_rx_reassembled_total Datagrams reassembled from IPv4 fragments (capture).\n"
		"# TYPE xdpflow_rx_reassembled_total counter\n"
		"xdpflow_rx_reassembled_total 6\n"
		"# HELP xdpflow_rx_errors_total Receive errors.\n"
		"# TYPE xdpflow_rx_errors_total counter\n"
		"xdpflow_rx_errors_total 1\n"
		"# HELP xdpflow_publish_flows_total Flows handed to the publisher.\n"
		"# TYPE xdpflow_publish_flows_total counter\n"
		"xdpflow_publish_flows_total 6\n"
		"# HELP xdpflow_publish_messages_total Messages (Kafka) or writes (file) produced.\n"
		"# TYPE xdpflow_publish_messages_total counter\n"
		"xdpflow_publish_messages_total 11\n"
		"# HELP xdpflow_publish_delivered_total Kafka messages delivered.\n"
		"# TYPE xdpflow_publish_delivered_total counter\n"
		"xdpflow_publish_delivered_total 10\n"
		"# HELP xdpflow_publish_delivery_errors_total Failed deliveries or write errors.\n"
		"# TYPE xdpflow_publish_delivery_errors_total counter\n"
		"xdpflow_publish_delivery_errors_total 1\n"
		"# HELP xdpflow_encode_errors_total Flows that failed to encode.\n"
		"# TYPE xdpflow_encode_errors_total counter\n"
		"xdpflow_encode_errors_total 2\n"
		"# HELP xdpflow_publish_write_errors_total Flows the publisher refused.\n"
		"# TYPE xdpflow_publish_write_errors_total counter\n"
		"xdpflow_publish_write_errors_total 3\n");
	free(text);
}

/* With the XDP fast path: one more log line and one counter per field,
 * "pass_"/"drop_" spelled "passed_"/"dropped_". */
static void test_xdp_counters(void **state)
{
	struct stats_snapshot s;
	char *text = NULL, *log;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	uint64_t v[10] = { 100, 90, 1, 2, 3, 4, 5, 6, 7, 8 };

	(void)state;
	assert_non_null(out);
	memset(&s, 0, sizeof(s));
	s.n_workers = 1;
	s.xdp_ifaces = "xf0,xf1";
	assert_int_equal(sizeof(s.xdp), sizeof(v));
	memcpy(&s.xdp, v, sizeof(v));
	capture_begin();
	stats_report_log(&s);
	log = capture_end();
	assert_string_equal(
		log,
		"xdpflow: info: stats rx packets=0 not_allowed=0 ignored=0 bytes=0 drops=0 "
		"truncated=0 fragments=0 reassembled=0 errors=0\n"
		"xdpflow: info: stats publish flows=0 messages=0 delivery_errors=0 "
		"delivered=0 encode_errors=0 write_errors=0\n"
		"xdpflow: info: stats xdp iface=xf0,xf1 packets=100 redirected=90 "
		"passed_no_socket=1 dropped_not_allowed=2 passed_fragment=3 "
		"passed_not_ip=4 passed_not_udp=5 passed_other_port=6 "
		"passed_truncated=7 passed_ext_limit=8\n");
	free(log);
	stats_report_prometheus(&s, out);
	assert_int_equal(fclose(out), 0);
	/* No exporter yet: no decode families, zero gauges. */
	assert_int_equal(strncmp(text, "# HELP xdpflow_exporters ", 25), 0);
	assert_non_null(strstr(text, "\nxdpflow_exporters 0\n"));
	assert_non_null(strstr(
		text,
		"# HELP xdpflow_publish_write_errors_total Flows the publisher refused.\n"
		"# TYPE xdpflow_publish_write_errors_total counter\n"
		"xdpflow_publish_write_errors_total 0\n"
		"# HELP xdpflow_xdp_packets_total XDP program counter packets, over every --xdp interface.\n"
		"# TYPE xdpflow_xdp_packets_total counter\n"
		"xdpflow_xdp_packets_total 100\n"
		"# HELP xdpflow_xdp_redirected_total XDP program counter redirected, over every --xdp interface.\n"
		"# TYPE xdpflow_xdp_redirected_total counter\n"
		"xdpflow_xdp_redirected_total 90\n"));
	assert_non_null(
		strstr(text, "\nxdpflow_xdp_dropped_not_allowed_total 2\n"));
	assert_non_null(strstr(text, "\nxdpflow_xdp_passed_not_udp_total 5\n"));
	/* The last line. */
	assert_int_equal(
		strcmp(text + len -
			       strlen("xdpflow_xdp_passed_ext_limit_total 8\n"),
		       "xdpflow_xdp_passed_ext_limit_total 8\n"),
		0);
	free(text);
}

/* With --enrich: one more log line, a gauge and two counters. */
static void test_enrich_counters(void **state)
{
	struct stats_snapshot s;
	char *text = NULL, *log;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	assert_non_null(out);
	memset(&s, 0, sizeof(s));
	s.n_workers = 1;
	s.enrich = 1;
	s.enr = (struct enricher_stats){ .generation = 7,
					 .reloads = 5,
					 .reload_failures = 2,
					 .exporters_seen = 3,
					 .exporters_full = true };
	capture_begin();
	stats_report_log(&s);
	log = capture_end();
	assert_non_null(strstr(log,
			       "\nxdpflow: info: stats enrich "
			       "generation=7 reloads=5 "
			       "reload_failures=2 exporters_seen=3 "
			       "exporters_full=1\n"));
	free(log);
	stats_report_prometheus(&s, out);
	assert_int_equal(fclose(out), 0);
	assert_non_null(strstr(
		text,
		"# HELP xdpflow_enrich_generation Enrichment table set in use "
		"(1 at start, +1 per table published).\n"
		"# TYPE xdpflow_enrich_generation gauge\n"
		"xdpflow_enrich_generation 7\n"
		"# HELP xdpflow_enrich_reloads_total Enrichment sources reloaded "
		"(SIGHUP or a changed file).\n"
		"# TYPE xdpflow_enrich_reloads_total counter\n"
		"xdpflow_enrich_reloads_total 5\n"
		"# HELP xdpflow_enrich_reload_failures_total Enrichment sources "
		"that failed to reload (the previous table stayed).\n"
		"# TYPE xdpflow_enrich_reload_failures_total counter\n"
		"xdpflow_enrich_reload_failures_total 2\n"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snapshot, setup, teardown),
		cmocka_unit_test(test_enrich_counters),
		cmocka_unit_test_setup_teardown(test_log_report, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_prometheus, setup,
						teardown),
		cmocka_unit_test(test_xdp_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
