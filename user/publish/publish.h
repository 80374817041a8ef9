/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The publish stage: encoded flows to a file (or stdout) or to Kafka.
 * A publisher is shared by all receive workers and is thread-safe.
 */
#ifndef XDPFLOW_PUBLISH_H
#define XDPFLOW_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"
#include "encode/encode.h"

enum out_kind {
	OUT_KIND_FILE = 0,
	OUT_KIND_KAFKA = 1,
};

enum kafka_key {
	KAFKA_KEY_EXPORTER = 0, /* one exporter's flows in one partition */
	KAFKA_KEY_NONE = 1,
};

struct publish_config {
	enum out_kind kind;
	enum out_format format;
	const char *file_path; /* "-" is stdout */
	const char *brokers;
	const char *topic; /* default "flows" */
	enum kafka_key key;
	unsigned batch; /* flows per Kafka message, >= 1 */
	/* librdkafka properties as "name=value" strings (-X). */
	const char *const *props;
	size_t n_props;
};

struct publish_stats {
	uint64_t flows;		  /* flows handed to publisher_write */
	uint64_t messages;	  /* messages (Kafka) or writes (file) */
	uint64_t delivered;	  /* Kafka: delivery reports with success */
	uint64_t delivery_errors; /* Kafka: failed deliveries; file: write errors */
	/* Kafka: since when (CLOCK_MONOTONIC ns) no broker has been
	 * reachable; 0 while one is, or before any connection was tried. */
	uint64_t unreachable_since_ns;
	/* Kafka: the producer hit a fatal error (e.g. the cluster refused the
	 * idempotent producer); nothing written from now on can be delivered,
	 * so the caller should stop with an error. */
	bool fatal;
};

struct publisher;

/* The largest run publisher_write_run takes. */
#define PUBLISH_MAX_RUN (64 * 1024)

/* Opens a publisher. On failure returns NULL with a one-line reason in err. */
struct publisher *publisher_open(const struct publish_config *cfg, char *err,
				 size_t errlen);

/* Queues one encoded flow (as encode_flow produced it) from exporter.
 * Blocks briefly when Kafka's queue is full rather than drop. 0 or -errno. */
int publisher_write(struct publisher *p, const struct flow_addr *exporter,
		    const uint8_t *msg, size_t len);

/* Whether p takes runs (publisher_write_run): the file output does, Kafka
 * (which keys each flow by its exporter) does not. */
bool publisher_takes_runs(const struct publisher *p);

/* Queues a run: nflows encoded flows (each as encode_flow produced it)
 * back to back in msg[0..len), from one writer, kept whole and in order,
 * as nflows publisher_write calls would be but under one lock. Only for a
 * publisher that takes runs (else -EOPNOTSUPP); len at most
 * PUBLISH_MAX_RUN. 0 or -errno (for all nflows). */
int publisher_write_run(struct publisher *p, const uint8_t *msg, size_t len,
			size_t nflows);

/* Sends everything buffered and waits up to timeout_ms for delivery.
 * 0, or -ETIMEDOUT with messages still in flight. */
int publisher_flush(struct publisher *p, int timeout_ms);

/* Serves Kafka delivery reports; call it from time to time. */
void publisher_poll(struct publisher *p);

/* The counters so far, and whether the output failed for good. */
void publisher_get_stats(struct publisher *p, struct publish_stats *st);

/* Reopens the output file by its path, for log rotation (SIGHUP), after
 * writing out what is buffered. No-op (0) for stdout and Kafka. 0, or
 * -errno with the old file kept in use. */
int publisher_reopen(struct publisher *p);

/* Flushes (bounded wait) and frees. NULL-safe. */
void publisher_close(struct publisher *p);

#endif
