// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the inserter's Kafka consumer (insert/kconsumer.c) that
 * need no broker: the offsets a rebalance assigns from what the hook chose
 * (other topics skipped, -1 as the group's committed offset), the -X
 * property checks and the refused cooperative strategies, and a client's
 * local life without a broker (open, re-assign, assignment, pause, close).
 */
#include "unit.h"

#include <stdlib.h>

#include "common/clock.h"
#include "insert/kconsumer.h"
#include "insert/kconsumer_internal.h"

/* A hook that records what it saw and sets offsets from a table
 * (partition p gets want[p], -1 left as is). */
struct hook_ctx {
	int calls, revokes;
	size_t n;
	int32_t seen[16];
	int64_t want[16];
	bool run;
};

static bool on_assign(void *ctx, const int32_t *parts, int64_t *offsets,
		      size_t n)
{
	struct hook_ctx *h = ctx;

	h->calls++;
	h->n = n;
	for (size_t i = 0; i < n && i < 16; i++) {
		h->seen[i] = parts[i];
		assert_int_equal(offsets[i], -1);
		if (parts[i] >= 0 && parts[i] < 16)
			offsets[i] = h->want[parts[i]];
	}
	return h->run;
}

static void on_revoke(void *ctx)
{
	((struct hook_ctx *)ctx)->revokes++;
}

static void test_assign_offsets(void **state)
{
	struct hook_ctx h = { .run = true };
	struct kconsumer_hooks hooks = { on_assign, on_revoke, &h };
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(5);
	int32_t parts[5];
	int64_t offs[5];

	(void)state;
	for (int i = 0; i < 16; i++)
		h.want[i] = -1;
	h.want[0] = 1000;
	h.want[2] = 0;	/* offset 0 is an offset, not "committed" */
	h.want[7] = 55; /* the other topic's partition 7: never asked */
	rd_kafka_topic_partition_list_add(l, "flows", 2)->offset = 99;
	rd_kafka_topic_partition_list_add(l, "other", 7)->offset = 98;
	rd_kafka_topic_partition_list_add(l, "flows", 0);
	rd_kafka_topic_partition_list_add(l, "flows", 3)->offset = 97;
	assert_true(kconsumer_assign_offsets("flows", &hooks, l, parts, offs));
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.seen[0], 2);
	assert_int_equal(h.seen[1], 0);
	assert_int_equal(h.seen[2], 3);
	assert_int_equal(l->elems[0].offset, 0);
	assert_int_equal(l->elems[1].offset, RD_KAFKA_OFFSET_INVALID);
	assert_int_equal(l->elems[2].offset, 1000);
	assert_int_equal(l->elems[3].offset, RD_KAFKA_OFFSET_INVALID);
	/* The hook asks for the partitions paused. */
	h.run = false;
	assert_false(kconsumer_assign_offsets("flows", &hooks, l, parts, offs));
	assert_int_equal(h.calls, 2);
	assert_int_equal(h.revokes, 0);
	rd_kafka_topic_partition_list_destroy(l);
}

/* Nothing of our topic: the hook still runs, with no partitions. */
static void test_assign_offsets_none(void **state)
{
	struct hook_ctx h = { .run = true };
	struct kconsumer_hooks hooks = { on_assign, on_revoke, &h };
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);
	int32_t parts[1];
	int64_t offs[1];

	(void)state;
	rd_kafka_topic_partition_list_add(l, "other", 0)->offset = 5;
	assert_true(kconsumer_assign_offsets("flows", &hooks, l, parts, offs));
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.n, 0);
	assert_int_equal(l->elems[0].offset, RD_KAFKA_OFFSET_INVALID);
	rd_kafka_topic_partition_list_destroy(l);
}

static struct kconsumer *open_with(const char *const *props, size_t n,
				   char *err, size_t errlen, struct hook_ctx *h)
{
	struct kconsumer_config cfg = { .brokers = "127.0.0.1:1",
					.topic = "flows",
					.group = "xdpflow-unit",
					.props = props,
					.n_props = n };
	struct kconsumer_hooks hooks = { on_assign, on_revoke, h };

	return kconsumer_open(&cfg, &hooks, err, errlen);
}

static void test_bad_properties(void **state)
{
	static const char *const no_eq[] = { "fetch.wait.max.ms" };
	static const char *const no_name[] = { "=5" };
	static const char *const unknown[] = { "no.such.property=1" };
	static const char *const coop[] = {
		"partition.assignment.strategy=cooperative-sticky"
	};
	struct hook_ctx h = { 0 };
	char err[512] = "";

	(void)state;
	assert_null(open_with(no_eq, 1, err, sizeof(err), &h));
	assert_string_equal(err,
			    "invalid Kafka property 'fetch.wait.max.ms' "
			    "(want name=value)");
	assert_null(open_with(no_name, 1, err, sizeof(err), &h));
	assert_string_equal(err,
			    "invalid Kafka property '=5' (want name=value)");
	assert_null(open_with(unknown, 1, err, sizeof(err), &h));
	assert_int_equal(strncmp(err,
				 "invalid Kafka property no.such.property: ",
				 41),
			 0);
	assert_null(open_with(coop, 1, err, sizeof(err), &h));
	assert_string_equal(err,
			    "partition.assignment.strategy "
			    "cooperative-sticky is not supported (eager "
			    "strategies only)");
}

/* No broker at 127.0.0.1:1: assignment is local, so re-assign, the
 * assignment, pause and close work; close does not hang. */
static void test_local_life(void **state)
{
	static const char *const props[] = {
		"session.timeout.ms=6000",
		"partition.assignment.strategy=roundrobin"
	};
	const int32_t parts[3] = { 4, 1, 2 };
	const int64_t offs[3] = { 10, -1, 0 };
	struct hook_ctx h = { 0 };
	struct kconsumer *k;
	int32_t got[8];
	char err[512] = "";
	uint64_t t0;

	(void)state;
	k = open_with(props, 2, err, sizeof(err), &h);
	if (!k)
		fail_msg("kconsumer_open: %s", err);
	assert_int_equal(kconsumer_assignment(k, got, 8), 0);
	assert_int_equal(kconsumer_reassign(k, parts, offs, 3), 0);
	assert_int_equal(kconsumer_assignment(k, got, 8), 3);
	/* More than max: the count, max filled. */
	assert_int_equal(kconsumer_assignment(k, got, 1), 3);
	kconsumer_pause(k);
	kconsumer_commit_async(k, parts, offs, 0);
	t0 = clock_mono_ns();
	kconsumer_close(k);
	assert_true(clock_mono_ns() - t0 < 10 * CLOCK_NS_PER_SEC);
	/* Never in a group: no rebalance reached the hooks. */
	assert_int_equal(h.calls, 0);
	kconsumer_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assign_offsets),
		cmocka_unit_test(test_assign_offsets_none),
		cmocka_unit_test(test_bad_properties),
		cmocka_unit_test(test_local_life),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
