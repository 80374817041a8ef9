/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xdpflow-insert's loop: Kafka (kconsumer) -> FlowMessages (pbdec) -> binary
 * COPY rows (copybin) -> PostgreSQL (pgstore), in batches flushed by size
 * and by time. Each batch is one transaction that also stores the batch's
 * Kafka offsets, and partitions are assigned at the stored offsets, so a
 * crash at any point neither drops nor repeats a flow. When PostgreSQL is
 * unreachable the batch is dropped, consumption pauses, and the inserter
 * reconnects with backoff and resumes from the stored offsets. Undecodable
 * messages go to the dead_letter table in the same transaction.
 * Rows are spread over `writers` connections by Kafka partition (each
 * partition always on the same one) so several backends COPY in parallel;
 * each connection commits its own partitions' rows and offsets.
 */
#ifndef XDPFLOW_INSERT_INSERTER_H
#define XDPFLOW_INSERT_INSERTER_H

#include <stddef.h>
#include <stdint.h>

struct inserter_config {
	const char *brokers;
	const char *topic;
	const char *group;
	const char *const *props; /* -X name=value */
	size_t n_props;
	const char *conninfo;	 /* libpq conninfo or URI; "" for PG* only */
	unsigned batch_rows;	 /* flush at this many rows (or messages) */
	unsigned batch_ms;	 /* flush a batch this old */
	unsigned retention_days; /* 0: keep all partitions */
	unsigned writers; /* PostgreSQL connections, partition % writers */
};

struct inserter_stats {
	uint64_t rows;	       /* committed to flows */
	uint64_t messages;     /* Kafka messages committed (rows or dead) */
	uint64_t dead_letters; /* committed to dead_letter */
	uint64_t batches;      /* committed transactions */
	uint64_t pg_failures;  /* batches or connections lost to errors */
	uint64_t conflicts;    /* batches refused: offsets already stored */
};

/* Runs until stop_fd becomes readable (the program's signalfd, looked at
 * at most once a millisecond), then commits what it holds (when
 * PostgreSQL is up), leaves the group and returns 0. Reads nothing from
 * stop_fd. Returns at once, with a
 * one-line reason in err, when it cannot start: -EINVAL (the Kafka consumer
 * refused its configuration, e.g. a bad -X) or -ENOMEM. st is updated as
 * batches commit. */
int inserter_run(const struct inserter_config *cfg, int stop_fd,
		 struct inserter_stats *st, char *err, size_t errlen);

#endif
