/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inserter's Kafka side: a librdkafka high-level consumer in a consumer
 * group, subscribed to one topic, with offsets managed by the caller (no
 * auto commit, no auto offset store): partitions are assigned at the offsets
 * the caller loads from its own store in the rebalance hook, and can be
 * paused, re-assigned at new offsets and resumed. Eager rebalancing only
 * (range/roundrobin); cooperative assignment strategies are refused.
 */
#ifndef XDPFLOW_INSERT_KCONSUMER_H
#define XDPFLOW_INSERT_KCONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

struct kconsumer_config {
	const char *brokers; /* bootstrap.servers */
	const char *topic;
	const char *group;
	/* librdkafka properties as "name=value" (-X), applied last */
	const char *const *props;
	size_t n_props;
};

/* Called from kconsumer_poll during a rebalance. */
struct kconsumer_hooks {
	/* Partitions (0..n-1 of the topic) about to be assigned: set
	 * offsets[i] (-1: the group's committed offset, else
	 * auto.offset.reset). Return true to start fetching them, false to
	 * assign them paused (the caller resumes later, by kconsumer_reassign). */
	bool (*on_assign)(void *ctx, const int32_t *parts, int64_t *offsets,
			  size_t n);
	/* The whole assignment is about to be revoked. */
	void (*on_revoke)(void *ctx);
	void *ctx;
};

struct kconsumer;

/* Creates the consumer and subscribes. NULL with a one-line reason in err
 * (a bad -X property is named there). */
struct kconsumer *kconsumer_open(const struct kconsumer_config *cfg,
				 const struct kconsumer_hooks *hooks, char *err,
				 size_t errlen);

/* Next message or event (caller destroys it with rd_kafka_message_destroy),
 * or NULL after timeout_ms. Serves rebalances (the hooks run inside). */
rd_kafka_message_t *kconsumer_poll(struct kconsumer *k, int timeout_ms);

/* The current assignment: up to max partition numbers into parts. Returns
 * how many there are (may exceed max), or -1 on error. */
int kconsumer_assignment(struct kconsumer *k, int32_t *parts, size_t max);

/* Pauses fetching of the whole assignment. */
void kconsumer_pause(struct kconsumer *k);

/* Assigns parts[0..n) again at offsets[i] (-1 as in on_assign) and resumes
 * them: anything fetched before is dropped. 0 or -1. */
int kconsumer_reassign(struct kconsumer *k, const int32_t *parts,
		       const int64_t *offsets, size_t n);

/* Whether any of parts[0..n) is known to hold more than a few messages
 * past both where the consumer stands and offsets[i] (-1: unknown), by
 * the high watermarks of the last fetches (no broker call). */
bool kconsumer_lagging(struct kconsumer *k, const int32_t *parts,
		       const int64_t *offsets, size_t n);

/* Commits next offsets to the group, asynchronously, for monitoring only
 * (the caller's store is authoritative). */
void kconsumer_commit_async(struct kconsumer *k, const int32_t *parts,
			    const int64_t *next, size_t n);

/* Leaves the group (the revoke hook runs) and frees. NULL-safe. */
void kconsumer_close(struct kconsumer *k);

#endif
