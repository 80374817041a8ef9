/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kafka topic to Kafka topic, exactly once: a consumer in a consumer group
 * (read_committed, no auto commit) and a transactional producer. Each
 * consumed message is transformed by the caller (one message in, zero or
 * more out, same key) and produced inside the open transaction; the
 * consumed offsets are added to the transaction with the consumer's group
 * metadata (KIP-447) and the transaction is committed every txn_interval_ms
 * and every txn_max_msgs input messages, so the output and the group's
 * offsets move together or not at all. An abortable error aborts the
 * transaction and rewinds the assignment to the committed offsets; a
 * rebalance commits the open transaction before the partitions go (or
 * aborts it, which rewinds by itself, the new owner starting from the
 * committed offsets). A fatal error (fenced by another instance with the
 * same transactional.id, and the like) ends the run with an error.
 * Cooperative assignment strategies are refused (eager only).
 *
 * One thread: relay_run polls the consumer, the producer and the caller's
 * signal file descriptor in turn; the caller's hooks run on it.
 */
#ifndef XDPFLOW_RELAY_RELAY_H
#define XDPFLOW_RELAY_RELAY_H

#include <stddef.h>
#include <stdint.h>

struct relay_config {
	const char *brokers;
	const char *in_topic;
	const char *out_topic;
	const char *group;
	const char *transactional_id;
	/* librdkafka properties "name=value" (-X), applied to both clients
	 * after ours */
	const char *const *props;
	size_t n_props;
	unsigned txn_interval_ms; /* commit at least this often */
	unsigned txn_max_msgs;	  /* and after this many input messages */
	unsigned tick_ms;	  /* hooks->tick period */
};

/* One output message, handed back by the transform hook. */
struct relay_out {
	const uint8_t *data;
	size_t len;
};

struct relay_hooks {
	/*
	 * Transforms the input payload p[0..len): sets *out to an array of
	 * *n_out output messages (owned by the hook, valid until its next
	 * call), *flows_in to the number of flows in the input and
	 * *flows_out to the number in the output. Returns 0,
	 * -EBADMSG to skip an undecodable message (counted; its offset still
	 * advances), or another -errno to stop the run.
	 */
	int (*transform)(void *ctx, const uint8_t *p, size_t len,
			 const struct relay_out **out, size_t *n_out,
			 size_t *flows_in, size_t *flows_out);
	/* Called every tick_ms (timers: source file changes). */
	void (*tick)(void *ctx);
	/* A signal arrived on sig_fd (relay_run read it): return 1 to stop
	 * (the open transaction is committed first), 0 to go on. */
	int (*signal)(void *ctx, int signo);
	void *ctx;
};

struct relay_stats {
	uint64_t consumed;	 /* input messages */
	uint64_t consumed_flows; /* flows in them */
	uint64_t produced;	 /* output messages in committed transactions */
	uint64_t produced_flows; /* flows in them */
	uint64_t txn_committed;	 /* transactions committed */
	uint64_t txn_aborted;	 /* transactions aborted */
	/* Committed transactions' age at commit, from their first input
	 * message to the commit's end: the delay a flow can see. Late: older
	 * than txn_interval_ms. */
	uint64_t txn_age_sum_ms, txn_age_max_ms, txn_late;
	uint64_t decode_errors; /* input messages skipped as undecodable */
	uint64_t rebalances;	/* assignments and revocations */
};

/* From the stop (hooks->signal returned 1) to relay_run's return, at most
 * this long (plus destroying the clients, which waits for no broker): the
 * final commit, or an abort, then leaving the group. */
#define RELAY_STOP_MS 5000

/* The signals relay_run reads, owned by the caller (common/signals.h). */
struct signals;

/*
 * Runs until hooks->signal asks to stop (returns 0 after committing what is
 * open and leaving the group, within RELAY_STOP_MS; -ETIMEDOUT or -EIO
 * with the reason in err when the open transaction could not be committed
 * in that time: it is logged, and read again at the next start) or a fatal error (returns -errno with a
 * one-line reason in err: -EINVAL for a configuration librdkafka refuses,
 * -EIO for a broker-side fatal error such as being fenced). *st is updated
 * as it goes.
 */
int relay_run(const struct relay_config *cfg, const struct relay_hooks *hooks,
	      struct signals *sig, struct relay_stats *st, char *err,
	      size_t errlen);

#endif
