// SPDX-License-Identifier: Apache-2.0
/*
 * publish_kafka against librdkafka's built-in mock cluster: flows from
 * three exporters produced with batch 1 and batch 64 (pb), and batched
 * JSON, are consumed back and checked for count, framing (pb length
 * prefixes, JSON newline-joined), keys (the exporter's address; one
 * partition per key, order kept) and stats; KAFKA_KEY_NONE sends no key;
 * a lingering batch goes out from publisher_poll; a full local queue makes
 * writers wait and retry, losing nothing; bad -X properties and
 * missing brokers give one-line errors; idempotence is on by default;
 * the cluster is reported unreachable while its broker is down and
 * reachable again once it is back up (librdkafka's statistics); a fatal
 * producer error is reported by the stats.
 */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "encode/encode.h"
#include "flow.pb-c.h"
#include "publish/publish.h"
#include "publish/publish_internal.h"

#define PARTITIONS 4
#define EXPORTERS 3

struct mock {
	rd_kafka_t *rk; /* owns the mock cluster */
	rd_kafka_mock_cluster_t *mc;
	char brokers[256];
};

static const struct flow_addr exporters[EXPORTERS] = {
	{ .len = 4, .b = { 198, 18, 0, 1 } },
	{ .len = 16, .b = { 0x20, 0x01, 0, 2, [15] = 7 } },
	{ .len = 4, .b = { 198, 19, 0, 200 } },
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int mock_setup(void **state)
{
	static struct mock m;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[256];
	static const char *const topics[] = {
		"t-batch1", "t-batch64", "t-json",
		"t-nokey",  "t-linger",	 "t-full"
	};

	rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
	m.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!m.rk)
		return -1;
	m.mc = rd_kafka_mock_cluster_new(m.rk, 1);
	if (!m.mc)
		return -1;
	snprintf(m.brokers, sizeof(m.brokers), "%s",
		 rd_kafka_mock_cluster_bootstraps(m.mc));
	for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
		if (rd_kafka_mock_topic_create(m.mc, topics[i], PARTITIONS, 1))
			return -1;
	*state = &m;
	return 0;
}

static int mock_teardown(void **state)
{
	struct mock *m = *state;

	rd_kafka_mock_cluster_destroy(m->mc);
	rd_kafka_destroy(m->rk);
	return 0;
}

static struct publisher *open_kafka_x(struct mock *m, const char *topic,
				      unsigned batch, enum out_format fmt,
				      enum kafka_key key, const char *xprop)
{
	const char *props[] = { "log_level=3", xprop };
	struct publish_config cfg = { .kind = OUT_KIND_KAFKA,
				      .format = fmt,
				      .brokers = m->brokers,
				      .topic = topic,
				      .key = key,
				      .batch = batch,
				      .props = props,
				      .n_props = xprop ? 2 : 1 };
	char err[512] = "";
	struct publisher *p = publisher_open(&cfg, err, sizeof(err));

	if (!p)
		print_error("kafka open: %s\n", err);
	assert_non_null(p);
	return p;
}

static struct publisher *open_kafka(struct mock *m, const char *topic,
				    unsigned batch, enum out_format fmt,
				    enum kafka_key key)
{
	return open_kafka_x(m, topic, batch, fmt, key, NULL);
}

/* Flow i of exporter e: sequence_num carries i, sampler_address e. */
static size_t make_flow(enum out_format fmt, unsigned e, unsigned i,
			uint8_t *buf)
{
	struct flow_rec r;
	ssize_t n;

	memset(&r, 0, sizeof(r));
	r.type = FLOW_TYPE_NETFLOW_V9;
	r.sampler_address = exporters[e];
	r.sequence_num = i;
	r.bytes = 1000 + i;
	r.packets = 1;
	r.src_addr =
		(struct flow_addr){ .len = 4, .b = { 198, 18, 1, (uint8_t)i } };
	r.dst_addr =
		(struct flow_addr){ .len = 4, .b = { 198, 18, 2, (uint8_t)e } };
	n = encode_flow(fmt, &r, buf, ENCODE_MAX_LEN);
	assert_true(n > 0);
	return (size_t)n;
}

static void produce_flows(struct publisher *p, enum out_format fmt,
			  unsigned per_exporter)
{
	uint8_t buf[ENCODE_MAX_LEN];

	/* Interleaved exporters, as several exporters' packets arrive. */
	for (unsigned i = 0; i < per_exporter; i++)
		for (unsigned e = 0; e < EXPORTERS; e++) {
			size_t n = make_flow(fmt, e, i, buf);

			assert_int_equal(publisher_write(p, &exporters[e], buf,
							 n),
					 0);
		}
}

struct seen {
	unsigned msgs, flows;
	unsigned next[EXPORTERS]; /* next expected sequence per exporter */
	int partition[EXPORTERS]; /* -1 until seen */
	unsigned max_per_msg;
	unsigned keyless;
};

static int exporter_of(const void *key, size_t len)
{
	for (int e = 0; e < EXPORTERS; e++)
		if (exporters[e].len == len &&
		    !memcmp(exporters[e].b, key, len))
			return e;
	return -1;
}

static uint64_t get_varint(const uint8_t *p, size_t left, size_t *used)
{
	uint64_t v = 0;

	for (size_t i = 0; i < left && i < 10; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*used = i + 1;
			return v;
		}
	}
	*used = 0;
	return 0;
}

/* One flow's exporter and sequence from its encoding. */
static void flow_ids_pb(const uint8_t *p, size_t len, int *e, unsigned *seq)
{
	Flowpb__FlowMessage *m = flowpb__flow_message__unpack(NULL, len, p);

	assert_non_null(m);
	*e = exporter_of(m->sampler_address.data, m->sampler_address.len);
	*seq = m->sequence_num;
	flowpb__flow_message__free_unpacked(m, NULL);
}

static void flow_ids_json(const char *line, int *e, unsigned *seq)
{
	const char *s = strstr(line, "\"sequence_num\":");
	const char *a = strstr(line, "\"sampler_address\":\"");
	char addr[64];
	size_t n;

	assert_non_null(s);
	assert_non_null(a);
	*seq = (unsigned)strtoul(s + 15, NULL, 10);
	a += 19;
	n = strcspn(a, "\"");
	assert_true(n < sizeof(addr));
	memcpy(addr, a, n);
	addr[n] = 0;
	*e = !strcmp(addr, "198.18.0.1")     ? 0
	     : !strcmp(addr, "2001:2::7")    ? 1
	     : !strcmp(addr, "198.19.0.200") ? 2
					     : -1;
}

static void check_flow(struct seen *sn, const rd_kafka_message_t *msg, int e,
		       unsigned seq, bool keyed)
{
	assert_true(e >= 0);
	if (keyed) {
		assert_int_equal(exporter_of(msg->key, msg->key_len), e);
		/* One exporter, one partition, in order. */
		if (sn->partition[e] < 0)
			sn->partition[e] = msg->partition;
		assert_int_equal(sn->partition[e], msg->partition);
		assert_int_equal(seq, sn->next[e]);
	}
	sn->next[e]++;
	sn->flows++;
}

static void check_message(struct seen *sn, const rd_kafka_message_t *msg,
			  enum out_format fmt, bool keyed)
{
	const uint8_t *p = msg->payload;
	size_t left = msg->len;
	unsigned in_msg = 0;
	int e;
	unsigned seq;

	if (!keyed) {
		assert_null(msg->key);
		sn->keyless++;
	}
	if (fmt == OUT_FORMAT_PB) {
		while (left) {
			size_t used;
			uint64_t len = get_varint(p, left, &used);

			assert_true(used > 0 && len <= left - used);
			flow_ids_pb(p + used, (size_t)len, &e, &seq);
			check_flow(sn, msg, e, seq, keyed);
			p += used + len;
			left -= used + len;
			in_msg++;
		}
	} else {
		char *text = strndup((const char *)p, left), *save = NULL;

		/* Newline-joined: no trailing newline, no empty lines. */
		assert_true(left > 0 && p[left - 1] == '}');
		assert_null(strstr(text, "\n\n"));
		for (char *l = strtok_r(text, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			assert_int_equal(l[0], '{');
			flow_ids_json(l, &e, &seq);
			check_flow(sn, msg, e, seq, keyed);
			in_msg++;
		}
		free(text);
	}
	if (in_msg > sn->max_per_msg)
		sn->max_per_msg = in_msg;
	sn->msgs++;
}

/* Reads the whole topic (all partitions from the start) until `flows`
 * flows arrived or 4 s passed. */
static void consume(struct mock *m, const char *topic, enum out_format fmt,
		    bool keyed, unsigned flows, struct seen *sn)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *parts =
		rd_kafka_topic_partition_list_new(PARTITIONS);
	char errstr[256];
	rd_kafka_t *c;
	uint64_t deadline = now_ms() + 4000;

	memset(sn, 0, sizeof(*sn));
	for (int e = 0; e < EXPORTERS; e++)
		sn->partition[e] = -1;
	assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers",
					   m->brokers, errstr, sizeof(errstr)),
			 0);
	assert_int_equal(rd_kafka_conf_set(conf, "group.id", "xdpflow-test",
					   errstr, sizeof(errstr)),
			 0);
	assert_int_equal(rd_kafka_conf_set(conf, "enable.auto.commit", "false",
					   errstr, sizeof(errstr)),
			 0);
	assert_int_equal(rd_kafka_conf_set(conf, "log_level", "3", errstr,
					   sizeof(errstr)),
			 0);
	/* Short waits keep the test fast against the in-process broker. */
	assert_int_equal(rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10",
					   errstr, sizeof(errstr)),
			 0);
	assert_int_equal(rd_kafka_conf_set(conf, "fetch.error.backoff.ms", "10",
					   errstr, sizeof(errstr)),
			 0);
	c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	assert_non_null(c);
	rd_kafka_poll_set_consumer(c);
	for (int i = 0; i < PARTITIONS; i++)
		rd_kafka_topic_partition_list_add(parts, topic, i)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	assert_int_equal(rd_kafka_assign(c, parts), 0);
	rd_kafka_topic_partition_list_destroy(parts);
	while (sn->flows < flows && now_ms() < deadline) {
		rd_kafka_message_t *msg = rd_kafka_consumer_poll(c, 100);

		if (!msg)
			continue;
		if (!msg->err)
			check_message(sn, msg, fmt, keyed);
		rd_kafka_message_destroy(msg);
	}
	/* Nothing beyond what was produced. */
	{
		rd_kafka_message_t *msg = rd_kafka_consumer_poll(c, 200);

		if (msg) {
			assert_int_not_equal(msg->err,
					     RD_KAFKA_RESP_ERR_NO_ERROR);
			rd_kafka_message_destroy(msg);
		}
	}
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
}

static void run_case(struct mock *m, const char *topic, unsigned batch,
		     enum out_format fmt, enum kafka_key key,
		     unsigned per_exporter, unsigned exp_msgs)
{
	struct publisher *p = open_kafka(m, topic, batch, fmt, key);
	unsigned total = per_exporter * EXPORTERS;
	struct publish_stats st;
	struct seen sn;

	produce_flows(p, fmt, per_exporter);
	assert_int_equal(publisher_flush(p, 3000), 0);
	publisher_get_stats(p, &st);
	assert_int_equal(st.flows, total);
	assert_int_equal(st.messages, exp_msgs);
	assert_int_equal(st.delivered, exp_msgs);
	assert_int_equal(st.delivery_errors, 0);
	publisher_close(p);

	consume(m, topic, fmt, key == KAFKA_KEY_EXPORTER, total, &sn);
	assert_int_equal(sn.flows, total);
	assert_int_equal(sn.msgs, exp_msgs);
	assert_true(sn.max_per_msg <= batch);
	for (int e = 0; e < EXPORTERS; e++)
		assert_int_equal(sn.next[e], per_exporter);
	if (key == KAFKA_KEY_NONE)
		assert_int_equal(sn.keyless, exp_msgs);
}

static void test_pb_batch1(void **state)
{
	run_case(*state, "t-batch1", 1, OUT_FORMAT_PB, KAFKA_KEY_EXPORTER, 50,
		 150);
}

static void test_pb_batch64(void **state)
{
	/* 100 flows per exporter: 64 + 36, two messages each. */
	run_case(*state, "t-batch64", 64, OUT_FORMAT_PB, KAFKA_KEY_EXPORTER,
		 100, 6);
}

static void test_json_batch10(void **state)
{
	/* 25 flows per exporter: 10 + 10 + 5. */
	run_case(*state, "t-json", 10, OUT_FORMAT_JSON, KAFKA_KEY_EXPORTER, 25,
		 9);
}

static void test_nokey(void **state)
{
	/* One batch for everyone: 30 flows in 16 + 14. */
	run_case(*state, "t-nokey", 16, OUT_FORMAT_PB, KAFKA_KEY_NONE, 10, 2);
}

/* A batch that never fills goes out after the linger time, from poll. */
static void test_linger(void **state)
{
	struct mock *m = *state;
	struct publisher *p = open_kafka(m, "t-linger", 64, OUT_FORMAT_PB,
					 KAFKA_KEY_EXPORTER);
	uint8_t buf[ENCODE_MAX_LEN];
	struct publish_stats st;
	uint64_t t0 = now_ms(), t_sent = 0;
	struct seen sn;

	for (unsigned i = 0; i < 5; i++) {
		size_t n = make_flow(OUT_FORMAT_PB, 0, i, buf);

		assert_int_equal(publisher_write(p, &exporters[0], buf, n), 0);
	}
	publisher_poll(p);
	publisher_get_stats(p, &st);
	assert_int_equal(st.messages, 0); /* still lingering */
	while (now_ms() - t0 < 2000) {
		publisher_poll(p);
		publisher_get_stats(p, &st);
		if (st.messages) {
			t_sent = now_ms();
			break;
		}
		struct timespec ts = { 0, 5 * 1000000 };

		nanosleep(&ts, NULL);
	}
	assert_int_equal(st.messages, 1);
	assert_true(t_sent - t0 >= 45 && t_sent - t0 < 1000);
	print_message("lingering batch sent after %llu ms\n",
		      (unsigned long long)(t_sent - t0));
	publisher_close(p); /* close waits for delivery */
	consume(m, "t-linger", OUT_FORMAT_PB, true, 5, &sn);
	assert_int_equal(sn.flows, 5);
	assert_int_equal(sn.msgs, 1);
}

/* A local queue of 4 messages: writers poll and retry instead of dropping,
 * and every flow arrives, in order. */
static void test_queue_full_retries(void **state)
{
	struct mock *m = *state;
	struct publisher *p = open_kafka_x(m, "t-full", 1, OUT_FORMAT_PB,
					   KAFKA_KEY_EXPORTER,
					   "queue.buffering.max.messages=4");
	struct publish_stats st;
	struct seen sn;

	produce_flows(p, OUT_FORMAT_PB, 40);
	assert_int_equal(publisher_flush(p, 3000), 0);
	publisher_get_stats(p, &st);
	assert_int_equal(st.flows, 40 * EXPORTERS);
	assert_int_equal(st.messages, 40 * EXPORTERS);
	assert_int_equal(st.delivered, 40 * EXPORTERS);
	assert_int_equal(st.delivery_errors, 0);
	publisher_close(p);
	consume(m, "t-full", OUT_FORMAT_PB, true, 40 * EXPORTERS, &sn);
	assert_int_equal(sn.flows, 40 * EXPORTERS);
	for (int e = 0; e < EXPORTERS; e++)
		assert_int_equal(sn.next[e], 40);
}

static void expect_open_error(const struct publish_config *cfg,
			      const char *needle)
{
	char err[512] = "";

	assert_null(publisher_open(cfg, err, sizeof(err)));
	assert_true(err[0]);
	assert_null(strchr(err, '\n')); /* one line */
	if (!strstr(err, needle))
		print_error("error '%s' lacks '%s'\n", err, needle);
	assert_non_null(strstr(err, needle));
}

static void test_config_errors(void **state)
{
	struct mock *m = *state;
	const char *bad_name[] = { "no.such.property=1" };
	const char *bad_value[] = { "linger.ms=banana" };
	const char *no_eq[] = { "linger.ms" };
	const char *acks1[] = { "acks=1" };
	const char *acks1_noidem[] = { "enable.idempotence=false", "acks=1",
				       "log_level=3" };
	struct publish_config cfg = { .kind = OUT_KIND_KAFKA,
				      .format = OUT_FORMAT_PB,
				      .brokers = m->brokers,
				      .batch = 1 };
	char err[512];
	struct publisher *p;

	(void)state;
	cfg.props = bad_name;
	cfg.n_props = 1;
	expect_open_error(&cfg, "no.such.property");
	cfg.props = bad_value;
	expect_open_error(&cfg, "linger.ms=banana");
	cfg.props = no_eq;
	expect_open_error(&cfg, "expected name=value");
	/* Idempotence is on by default: acks=1 conflicts with it... */
	cfg.props = acks1;
	expect_open_error(&cfg, "idempotence");
	/* ...unless -X turns it off. */
	cfg.props = acks1_noidem;
	cfg.n_props = 3;
	p = publisher_open(&cfg, err, sizeof(err));
	if (!p)
		print_error("%s\n", err);
	assert_non_null(p);
	publisher_close(p);
	cfg.props = NULL;
	cfg.n_props = 0;
	cfg.brokers = NULL;
	expect_open_error(&cfg, "no Kafka brokers");
}

static void test_stats_any_up(void **state)
{
	(void)state;
	assert_false(publish_kafka_stats_any_up("{}"));
	assert_false(publish_kafka_stats_any_up(
		"{\"brokers\":{\":0/internal\":{\"name\":\":0/internal\","
		"\"nodeid\":-1,\"source\":\"internal\",\"state\":\"UP\"},"
		"\"127.0.0.1:9/bootstrap\":{\"name\":\"x\",\"source\":"
		"\"configured\",\"state\":\"CONNECT\"}}}"));
	assert_true(publish_kafka_stats_any_up(
		"{\"brokers\":{\":0/internal\":{\"source\":\"internal\","
		"\"state\":\"UP\"},\"b:1/1\":{\"source\":\"learned\","
		"\"state\":\"DOWN\"},\"b:2/2\":{\"source\":\"learned\","
		"\"state\":\"UP\"}}}"));
	/* "state" of the top level, before the brokers, does not count. */
	assert_false(publish_kafka_stats_any_up(
		"{\"source\":\"configured\",\"state\":\"UP\"}"));
}

/* Polls p until its unreachable_since_ns is (not) zero, up to 20 s. */
static bool wait_reachable(struct publisher *p, bool reachable)
{
	uint64_t end = now_ms() + 20000;
	struct publish_stats st;

	do {
		publisher_poll(p);
		publisher_get_stats(p, &st);
		if ((st.unreachable_since_ns == 0) == reachable)
			return true;
		usleep(50000);
	} while (now_ms() < end);
	return false;
}

static void test_reachability(void **state)
{
	struct mock *m = *state;
	struct publisher *p = open_kafka_x(m, "t-batch1", 1, OUT_FORMAT_PB,
					   KAFKA_KEY_NONE,
					   "reconnect.backoff.max.ms=200");
	uint8_t buf[ENCODE_MAX_LEN];
	size_t n = make_flow(OUT_FORMAT_PB, 0, 0, buf);
	struct publish_stats st;

	assert_int_equal(publisher_write(p, &exporters[0], buf, n), 0);
	assert_int_equal(publisher_flush(p, 10000), 0);
	publisher_get_stats(p, &st);
	assert_int_equal(st.unreachable_since_ns, 0);

	assert_int_equal(rd_kafka_mock_broker_set_down(m->mc, 1), 0);
	assert_true(wait_reachable(p, false));
	publisher_get_stats(p, &st);
	assert_true(st.unreachable_since_ns < (now_ms() + 1) * 1000000ULL);

	assert_int_equal(rd_kafka_mock_broker_set_up(m->mc, 1), 0);
	assert_true(wait_reachable(p, true)); /* with no traffic: statistics */
	publisher_close(p);
}

/* A fatal error (here the cluster refusing the idempotent producer its
 * PID, as an ACL without IdempotentWrite does) shows in the stats, so the
 * programs can stop; nothing is delivered. A cluster of its own, so the
 * pushed error cannot reach another test's producer. */
static void test_fatal_reported(void **state)
{
	struct mock fm = { 0 };
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	struct publish_stats st;
	struct publisher *p;
	char errstr[256];
	uint64_t deadline;

	(void)state;
	rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
	fm.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	assert_non_null(fm.rk);
	fm.mc = rd_kafka_mock_cluster_new(fm.rk, 1);
	assert_non_null(fm.mc);
	snprintf(fm.brokers, sizeof(fm.brokers), "%s",
		 rd_kafka_mock_cluster_bootstraps(fm.mc));
	assert_int_equal(rd_kafka_mock_topic_create(fm.mc, "t-fatal", 1, 1), 0);
	/* 22: InitProducerId (RD_KAFKAP_InitProducerId, not in the public
	 * headers). */
	rd_kafka_mock_push_request_errors(
		fm.mc, 22, 1, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED);
	p = open_kafka_x(&fm, "t-fatal", 1, OUT_FORMAT_PB, KAFKA_KEY_EXPORTER,
			 "log_level=0");
	produce_flows(p, OUT_FORMAT_PB, 2);
	deadline = now_ms() + 10000;
	do {
		publisher_poll(p);
		publisher_get_stats(p, &st);
		if (!st.fatal)
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 },
				  NULL);
	} while (!st.fatal && now_ms() < deadline);
	assert_true(st.fatal);
	assert_int_equal(st.delivered, 0);
	publisher_close(p);
	rd_kafka_mock_cluster_destroy(fm.mc);
	rd_kafka_destroy(fm.rk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pb_batch1),
		cmocka_unit_test(test_pb_batch64),
		cmocka_unit_test(test_json_batch10),
		cmocka_unit_test(test_nokey),
		cmocka_unit_test(test_linger),
		cmocka_unit_test(test_queue_full_retries),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_stats_any_up),
		cmocka_unit_test(test_reachability),
		cmocka_unit_test(test_fatal_reported),
	};

	return cmocka_run_group_tests(tests, mock_setup, mock_teardown);
}
