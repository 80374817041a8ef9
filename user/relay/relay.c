// SPDX-License-Identifier: Apache-2.0
/*
 * The exactly-once Kafka loop (see relay.h). The producer is created and
 * its transactions initialised (which also aborts what a crashed run with
 * the same transactional.id left open) before the consumer joins the
 * group. The offsets of the open transaction are kept per partition of the
 * input topic (next offset to read, -1: none consumed in this transaction)
 * and sent with the consumer's group metadata just before the commit.
 * After an abort the assignment is rewound with rd_kafka_committed and
 * rd_kafka_seek_partitions (a partition with no committed offset goes back
 * to where auto.offset.reset says), which also drops whatever was fetched
 * beyond it.
 *
 * Every blocking transactional call is made in slices of TXN_SLICE_MS,
 * reading the signals in between, so a stop is seen while the brokers do
 * not answer. From the stop on, everything left has a deadline
 * (RELAY_STOP_MS in all): the open transaction is committed, or else
 * aborted, each in its share of it, the consumer is closed (leaving the
 * group) in what is left, then both clients are destroyed without waiting
 * for the brokers any more. What could not be committed is logged; its
 * offsets were not committed either, so it is read again at the next
 * start.
 */
#include "relay/relay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <librdkafka/rdkafka.h>

#include "common/clock.h"
#include "common/kafka_conf.h"
#include "common/log.h"
#include "common/signals.h"
#include "relay/stop_watch.h"

/* How long a commit (the offsets, then the commit itself) may go on
 * being retried while running before the transaction is aborted, and how
 * long other blocking calls may take. */
#define TXN_CALL_MS 30000
/* The longest one blocking call lasts before the signals are read again. */
#define TXN_SLICE_MS 200
/* Flushes of fewer queued messages teach nothing about the cost of one. */
#define FLUSH_LEARN_MIN 16

/* After a stop: the final commit must be done this long before the stop
 * deadline (RELAY_STOP_MS, relay.h), the abort that follows a failed one
 * this long before it; closing the consumer gets what is left. */
#define STOP_COMMIT_RESERVE_MS 2000
#define STOP_ABORT_RESERVE_MS 1000
/* Past the stop deadline, destroying the clients gets this long before the
 * stop watch ends the process. */
#define STOP_GRACE_MS 1000
/* The longest the loop blocks in the consumer, so signals are seen. */
#define POLL_MAX_MS 100
/* Highest partition number of the input topic we keep offsets for. */
#define MAX_PARTITION 65535
/* After an abort, reading resumes after this backoff, doubled at each
 * abort in a row up to the maximum, so that a message the output refuses
 * (too large for the topic, say) does not spin. */
#define ABORT_BACKOFF_MIN_NS (100ULL * 1000000ULL)
#define ABORT_BACKOFF_MAX_NS (5000ULL * 1000000ULL)
/* Our defaults; -X comes after them and wins. */
#define TXN_TIMEOUT_MS "10000"

struct relay {
	const struct relay_config *cfg;
	const struct relay_hooks *hooks;
	struct relay_stats *st;
	rd_kafka_t *cons, *prod;
	rd_kafka_topic_t *out;
	bool reset_latest; /* auto.offset.reset is latest/end */

	/* The open transaction. */
	bool in_txn;
	uint64_t txn_start_ns;
	uint64_t txn_end_ns; /* when the last one was committed or aborted */
	/* How long committing takes (offsets and commit): moving averages of
	 * the recent commits' time and of its deviation, as TCP keeps for
	 * round trips (RFC 6298). A commit starts est + 2 dev before its
	 * transaction is txn_interval_ms old, so that the slow ones land on
	 * time too, not only the average one. */
	uint64_t commit_est_ns, commit_dev_ns;
	/* Committing first waits for every output message the brokers have
	 * not acknowledged, which takes time in proportion to how many are
	 * queued: learnt per message (moving average of the flushes), so a
	 * commit starts as much earlier as the queue is long. */
	uint64_t flush_ns_per_msg;
	unsigned txn_msgs;
	uint64_t txn_out, txn_out_flows;
	int64_t *next; /* by input partition; -1: none in this transaction */
	size_t n_next;
	uint64_t backoff_ns, hold_until; /* after aborts: no reading before */
	uint64_t txn_flows; /* input flows in the open transaction */

	/* Stopping: set by a signal; everything left ends by stop_by. */
	struct signals *sig;
	bool stop;
	uint64_t stop_by;
	struct stop_watch watch;

	/* A fatal error: the run ends with it. */
	int fatal;
	char *err;
	size_t errlen;
	struct ratelimit rl;
};

static void warn_limited(struct relay *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn_limited(struct relay *r, const char *fmt, ...)
{
	uint32_t suppressed;
	char line[512];
	va_list ap;

	if (!ratelimit_ok(&r->rl, clock_mono_ns(), &suppressed))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (suppressed)
		pr_warn("%s (%u similar messages suppressed)", line,
			suppressed);
	else
		pr_warn("%s", line);
}

/* Records the first fatal error: rc and a one-line reason. */
static int fail(struct relay *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct relay *r, int rc, const char *fmt, ...)
{
	va_list ap;

	if (r->fatal)
		return r->fatal;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	r->fatal = rc;
	return rc;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct relay *r = opaque;
	char why[256];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, why, sizeof(why));
		fail(r, -EIO, "kafka %s: fatal error: %s",
		     rk == r->prod ? "producer" : "consumer", why);
		return;
	}
	warn_limited(r, "kafka %s: %s: %s",
		     rk == r->prod ? "producer" : "consumer",
		     rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	enum log_level lvl = kafka_log_level(level);

	(void)rk;
	/* Connection failures come through on_error too, limited; a
	 * coordinator not ready yet is retried by librdkafka. */
	if (!strcmp(fac, "FAIL") || !strcmp(fac, "GETPID"))
		lvl = LOG_LVL_DEBUG;
	log_print(lvl, "kafka: %s: %s", fac, buf);
}

static void clear_offsets(struct relay *r)
{
	for (size_t i = 0; i < r->n_next; i++)
		r->next[i] = -1;
}

/* "N input messages, M flows (topic [p] before offset ...)": what the
 * open transaction holds. */
static void describe_open(const struct relay *r, char *buf, size_t len)
{
	size_t n;

	n = (size_t)snprintf(buf, len,
			     "%u input messages, %" PRIu64 " flows (%s",
			     r->txn_msgs, r->txn_flows, r->cfg->in_topic);
	for (size_t i = 0; i < r->n_next && n + 40 < len; i++)
		if (r->next[i] >= 0)
			n += (size_t)snprintf(buf + n, len - n,
					      " [%zu] before %" PRId64, i,
					      r->next[i]);
	if (n + 2 < len)
		snprintf(buf + n, len - n, ")");
}

/* From here on, everything left ends by the stop deadline, and the stop
 * watch ends the process shortly after it if a call does not return. */
static void begin_stop(struct relay *r)
{
	char open[400], msg[640];
	int rc;

	if (r->stop)
		return;
	r->stop = true;
	r->stop_by = clock_mono_ns() + RELAY_STOP_MS * CLOCK_NS_PER_MS;
	if (r->in_txn) {
		describe_open(r, open, sizeof(open));
		snprintf(msg, sizeof(msg),
			 "could not stop within %u ms (the brokers do not answer): exiting now; the open transaction (%s) is read again at the next start unless its commit went through",
			 RELAY_STOP_MS + STOP_GRACE_MS, open);
	} else {
		snprintf(msg, sizeof(msg),
			 "could not stop within %u ms (the brokers do not answer): exiting now; no transaction was open",
			 RELAY_STOP_MS + STOP_GRACE_MS);
	}
	rc = stop_watch_start(&r->watch, RELAY_STOP_MS + STOP_GRACE_MS, msg);
	if (rc)
		pr_warn("could not start the stop watch: %s (the stop is not bounded)",
			strerror(-rc));
}

/* Reads pending signals (hooks->signal); a stop sets the deadline. */
static void watch_signals(struct relay *r)
{
	int s;

	while (!r->stop && (s = signals_next(r->sig)) > 0)
		if (r->hooks->signal(r->hooks->ctx, s))
			begin_stop(r);
}

/* The timeout of the next slice (at most slice ms) of a blocking call that
 * must end by until, or (once stopped) reserve_ms before the stop deadline,
 * whichever comes first; 0 when that time has come. */
static int slice_of(const struct relay *r, uint64_t until, unsigned reserve_ms,
		    unsigned slice)
{
	uint64_t now = clock_mono_ns(), left;

	if (r->stop) {
		uint64_t by = r->stop_by - reserve_ms * CLOCK_NS_PER_MS;

		if (by < until)
			until = by;
	}
	if (now >= until)
		return 0;
	left = (until - now + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS;
	return left < slice ? (int)left : (int)slice;
}

/* A transactional call's slice: one that times out is resumed by the next
 * call, nothing is lost by cutting it short. */
static int slice_ms(const struct relay *r, uint64_t until, unsigned reserve_ms)
{
	return slice_of(r, until, reserve_ms, TXN_SLICE_MS);
}

static int note_offset(struct relay *r, int32_t part, int64_t next)
{
	if (part < 0 || part > MAX_PARTITION)
		return fail(r, -ERANGE,
			    "input partition %" PRId32 " out of range", part);
	if ((size_t)part >= r->n_next) {
		size_t n = (size_t)part + 1 > 2 * r->n_next ? (size_t)part + 1
							    : 2 * r->n_next;
		int64_t *p = realloc(r->next, n * sizeof(*p));

		if (!p)
			return fail(r, -ENOMEM, "out of memory");
		for (size_t i = r->n_next; i < n; i++)
			p[i] = -1;
		r->next = p;
		r->n_next = n;
	}
	r->next[part] = next;
	return 0;
}

/* Points the consumer back at the committed offsets of its assignment. */
static int rewind_consumer(struct relay *r)
{
	rd_kafka_topic_partition_list_t *l = NULL;
	rd_kafka_resp_err_t e;
	rd_kafka_error_t *error;

	e = rd_kafka_assignment(r->cons, &l);
	if (e)
		return fail(r, -EIO, "could not read the assignment: %s",
			    rd_kafka_err2str(e));
	if (l->cnt == 0) {
		rd_kafka_topic_partition_list_destroy(l);
		return 0;
	}
	for (uint64_t until = clock_mono_ns() + TXN_CALL_MS * CLOCK_NS_PER_MS;
	     ;) {
		/* Each call asks again: a loaded broker gets longer. */
		int ms = slice_of(r, until, 0, 5 * TXN_SLICE_MS);

		e = ms ? rd_kafka_committed(r->cons, l, ms)
		       : RD_KAFKA_RESP_ERR__TIMED_OUT;
		if (e != RD_KAFKA_RESP_ERR__TIMED_OUT || !ms)
			break;
		watch_signals(r);
	}
	if (e) {
		rd_kafka_topic_partition_list_destroy(l);
		return fail(r, -EIO,
			    "could not read the committed offsets to rewind to: %s",
			    rd_kafka_err2str(e));
	}
	for (int i = 0; i < l->cnt; i++)
		if (l->elems[i].offset < 0)
			l->elems[i].offset =
				r->reset_latest ? RD_KAFKA_OFFSET_END
						: RD_KAFKA_OFFSET_BEGINNING;
	error = rd_kafka_seek_partitions(r->cons, l, TXN_CALL_MS);
	rd_kafka_topic_partition_list_destroy(l);
	if (error) {
		fail(r, -EIO, "could not rewind to the committed offsets: %s",
		     rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
		return r->fatal;
	}
	return 0;
}

/* Logs what the open transaction held when it is left neither committed
 * nor aborted at a stop. */
static void log_uncommitted(struct relay *r, const char *why)
{
	char open[400];

	describe_open(r, open, sizeof(open));
	pr_warn("kafka: stopping with the open transaction not committed (%s): %s will be read again at the next start; its output is never seen by read_committed consumers",
		why, open);
}

/* Aborts the open transaction; rewinds the consumer unless the partitions
 * are going away anyway. While running, a retriable failure (the brokers
 * do not answer) is retried until it goes through; after a stop, until
 * STOP_ABORT_RESERVE_MS before the deadline, and the transaction is then
 * left as it is (the coordinator aborts it after transaction.timeout.ms,
 * or the next start with the same transactional.id does). */
static int abort_txn(struct relay *r, bool rewind)
{
	rd_kafka_error_t *error;

	for (;;) {
		int ms = slice_ms(r, UINT64_MAX, STOP_ABORT_RESERVE_MS);

		if (!ms) {
			log_uncommitted(r, "could not abort it in time");
			return fail(
				r, -ETIMEDOUT,
				"stopped with the open transaction neither committed nor aborted");
		}
		error = rd_kafka_abort_transaction(r->prod, ms);
		if (!error)
			break;
		if (rd_kafka_error_is_retriable(error)) {
			rd_kafka_error_destroy(error);
			watch_signals(r);
			continue;
		}
		fail(r, -EIO, "could not abort the transaction: %s",
		     rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
		return r->fatal;
	}
	if (r->stop && r->txn_msgs) {
		log_uncommitted(r, "aborted");
		fail(r, -EIO,
		     "stopped with the open transaction aborted, not committed");
	}
	r->st->txn_aborted++;
	r->backoff_ns = r->backoff_ns ? 2 * r->backoff_ns
				      : ABORT_BACKOFF_MIN_NS;
	if (r->backoff_ns > ABORT_BACKOFF_MAX_NS)
		r->backoff_ns = ABORT_BACKOFF_MAX_NS;
	r->hold_until = clock_mono_ns() + r->backoff_ns;
	pr_warn("kafka: transaction aborted; reading again from the committed offsets in %" PRIu64
		" ms",
		(uint64_t)(r->backoff_ns / CLOCK_NS_PER_MS));
	r->in_txn = false;
	r->txn_end_ns = clock_mono_ns();
	r->txn_msgs = 0;
	r->txn_out = r->txn_out_flows = r->txn_flows = 0;
	clear_offsets(r);
	if (r->fatal)
		return r->fatal;
	return rewind && !r->stop ? rewind_consumer(r) : 0;
}

/* What to do after a failed transactional call: fatal (end), abort, or
 * (retriable) try again: returns 1 then, else 0 or the fatal -errno. */
static int txn_error(struct relay *r, rd_kafka_error_t *error, const char *what,
		     bool rewind)
{
	int rc;

	if (rd_kafka_error_is_fatal(error)) {
		rc = fail(r, -EIO, "could not %s: %s", what,
			  rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
		return rc;
	}
	if (rd_kafka_error_is_retriable(error) &&
	    !rd_kafka_error_txn_requires_abort(error)) {
		rd_kafka_error_destroy(error);
		return 1;
	}
	pr_warn("kafka: could not %s, aborting the transaction: %s", what,
		rd_kafka_error_string(error));
	rd_kafka_error_destroy(error);
	return abort_txn(r, rewind);
}

/* A commit that went on for too long: aborted. */
static int give_up(struct relay *r, const char *what, bool rewind)
{
	pr_warn("kafka: could not %s in time, aborting the transaction", what);
	return abort_txn(r, rewind);
}

/* Waits up to ms for the brokers to acknowledge every queued output
 * message; true when they did. rd_kafka_flush (and the commit, which
 * calls it) polls in 10 ms steps when no delivery callback wakes it: up to
 * 10 ms late at each commit. */
static bool flush_output(struct relay *r, int ms)
{
	uint64_t until = clock_mono_ns() + (uint64_t)ms * CLOCK_NS_PER_MS;

	while (rd_kafka_outq_len(r->prod) > 0) {
		if (clock_mono_ns() >= until)
			return false;
		rd_kafka_poll(r->prod, 1);
	}
	return true;
}

/* Sends the offsets and commits the open transaction (aborts it on an
 * abortable error, or when it takes longer than TXN_CALL_MS, or after a
 * stop, when it is not done STOP_COMMIT_RESERVE_MS before the deadline).
 * 0, or the fatal -errno. */
static int commit_txn(struct relay *r, bool rewind)
{
	rd_kafka_consumer_group_metadata_t *meta;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *error;
	uint64_t t0 = clock_mono_ns(), t1, tf;
	uint64_t until = t0 + TXN_CALL_MS * CLOCK_NS_PER_MS;
	int rc;

	if (!r->in_txn)
		return 0;
	/* The output first (the commit would wait for it anyway), timed to
	 * learn what a queued message costs the commit. */
	{
		int queued = rd_kafka_outq_len(r->prod);
		int ms = slice_ms(r, until, STOP_COMMIT_RESERVE_MS);

		if (ms && queued >= FLUSH_LEARN_MIN && flush_output(r, ms)) {
			uint64_t per =
				(clock_mono_ns() - t0) / (uint64_t)queued;

			r->flush_ns_per_msg =
				r->flush_ns_per_msg
					? (7 * r->flush_ns_per_msg + per) / 8
					: per;
		}
		tf = clock_mono_ns();
	}
	l = rd_kafka_topic_partition_list_new(8);
	for (size_t i = 0; i < r->n_next; i++)
		if (r->next[i] >= 0)
			rd_kafka_topic_partition_list_add(l, r->cfg->in_topic,
							  (int32_t)i)
				->offset = r->next[i];
	meta = rd_kafka_consumer_group_metadata(r->cons);
	for (;;) {
		int ms = slice_ms(r, until, STOP_COMMIT_RESERVE_MS);

		error = ms ? rd_kafka_send_offsets_to_transaction(r->prod, l,
								  meta, ms)
			   : NULL;
		if (!error)
			break;
		rc = txn_error(r, error, "add the offsets to the transaction",
			       rewind);
		if (rc != 1) {
			rd_kafka_consumer_group_metadata_destroy(meta);
			rd_kafka_topic_partition_list_destroy(l);
			return rc;
		}
		watch_signals(r);
	}
	rd_kafka_consumer_group_metadata_destroy(meta);
	rd_kafka_topic_partition_list_destroy(l);
	if (!slice_ms(r, until, STOP_COMMIT_RESERVE_MS))
		return give_up(r, "add the offsets to the transaction", rewind);
	t1 = clock_mono_ns();
	for (;;) {
		int ms = slice_ms(r, until, STOP_COMMIT_RESERVE_MS);

		if (!ms)
			return give_up(r, "commit the transaction", rewind);
		error = rd_kafka_commit_transaction(r->prod, ms);
		if (!error)
			break;
		rc = txn_error(r, error, "commit the transaction", rewind);
		if (rc != 1)
			return rc;
		watch_signals(r);
	}
	r->st->txn_committed++;
	r->backoff_ns = 0;
	{
		uint64_t end = clock_mono_ns(), took = end - tf; /* flushed */
		uint64_t age_ms = (end - r->txn_start_ns) / CLOCK_NS_PER_MS;

		r->st->txn_age_sum_ms += age_ms;
		if (age_ms > r->st->txn_age_max_ms)
			r->st->txn_age_max_ms = age_ms;
		if (age_ms > r->cfg->txn_interval_ms)
			r->st->txn_late++;

		if (!r->commit_est_ns) {
			r->commit_est_ns = took;
			r->commit_dev_ns = took / 2;
		} else {
			uint64_t d = took > r->commit_est_ns
					     ? took - r->commit_est_ns
					     : r->commit_est_ns - took;

			r->commit_dev_ns = (3 * r->commit_dev_ns + d) / 4;
			r->commit_est_ns = (7 * r->commit_est_ns + took) / 8;
		}
	}
	pr_debug("transaction committed: %u input messages, %" PRIu64
		 " out, %" PRIu64 " ms idle before, %" PRIu64
		 " ms open, output flush %" PRIu64 " ms, offsets %" PRIu64
		 " ms, commit %" PRIu64 " ms",
		 r->txn_msgs, r->txn_out,
		 (uint64_t)(r->txn_end_ns && r->txn_start_ns > r->txn_end_ns
				    ? (r->txn_start_ns - r->txn_end_ns) /
					      CLOCK_NS_PER_MS
				    : 0),
		 (uint64_t)((t0 - r->txn_start_ns) / CLOCK_NS_PER_MS),
		 (uint64_t)((tf - t0) / CLOCK_NS_PER_MS),
		 (uint64_t)((t1 - tf) / CLOCK_NS_PER_MS),
		 (uint64_t)((clock_mono_ns() - t1) / CLOCK_NS_PER_MS));
	r->txn_end_ns = clock_mono_ns();
	r->st->produced += r->txn_out;
	r->st->produced_flows += r->txn_out_flows;
	r->in_txn = false;
	r->txn_msgs = 0;
	r->txn_out = r->txn_out_flows = r->txn_flows = 0;
	clear_offsets(r);
	return 0;
}

static int begin_txn(struct relay *r)
{
	rd_kafka_error_t *error;

	if (r->in_txn)
		return 0;
	error = rd_kafka_begin_transaction(r->prod);
	if (error) {
		fail(r, -EIO, "could not begin a transaction: %s",
		     rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
		return r->fatal;
	}
	r->in_txn = true;
	r->txn_start_ns = clock_mono_ns();
	return 0;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct relay *r = opaque;

	r->st->rebalances++;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		pr_info("kafka: assigned %d partition(s) of %s", parts->cnt,
			r->cfg->in_topic);
		rd_kafka_assign(rk, parts);
		return;
	}
	if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
		pr_warn("kafka: rebalance error: %s", rd_kafka_err2str(err));
	/* What was read from these partitions goes out with their offsets
	 * now, or not at all: the next owner starts at the committed ones. */
	if (!r->fatal)
		commit_txn(r, false);
	pr_info("kafka: revoked %d partition(s) of %s", parts->cnt,
		r->cfg->in_topic);
	rd_kafka_assign(rk, NULL);
}

/* Our settings, then -X. */
static rd_kafka_conf_t *make_conf(struct relay *r, const char *const *ours,
				  size_t n)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	for (size_t i = 0; i + 1 < n; i += 2)
		if (kafka_conf_set(conf, ours[i], ours[i + 1], r->err,
				   r->errlen))
			goto fail;
	for (size_t i = 0; i < r->cfg->n_props; i++)
		if (kafka_conf_set_prop(conf, r->cfg->props[i], r->err,
					r->errlen))
			goto fail;
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_opaque(conf, r);
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

static int open_producer(struct relay *r)
{
	const char *ours[] = {
		"bootstrap.servers",
		r->cfg->brokers,
		"client.id",
		"xdpflow-enrich",
		"transactional.id",
		r->cfg->transactional_id,
		"transaction.timeout.ms",
		TXN_TIMEOUT_MS,
		"linger.ms",
		"5",
		/* Flows compress well: lz4 costs less CPU than the bytes it
		 * saves cost the broker, the kernel and the client threads. */
		"compression.type",
		"lz4",
	};
	rd_kafka_conf_t *conf =
		make_conf(r, ours, sizeof(ours) / sizeof(*ours));
	rd_kafka_error_t *error;

	if (!conf)
		return -EINVAL;
	r->prod = rd_kafka_new(RD_KAFKA_PRODUCER, conf, r->err, r->errlen);
	if (!r->prod) {
		rd_kafka_conf_destroy(conf);
		return -EINVAL;
	}
	r->out = rd_kafka_topic_new(r->prod, r->cfg->out_topic, NULL);
	if (!r->out)
		return fail(r, -EINVAL, "could not use topic %s: %s",
			    r->cfg->out_topic,
			    rd_kafka_err2str(rd_kafka_last_error()));
	/* In short steps, serving the error callback in between, so a TLS
	 * or authentication failure is logged while we wait. */
	for (uint64_t end = clock_mono_ns() + TXN_CALL_MS * CLOCK_NS_PER_MS;;) {
		error = rd_kafka_init_transactions(r->prod, 500);
		rd_kafka_poll(r->prod, 0);
		if (!error || !rd_kafka_error_is_retriable(error) ||
		    clock_mono_ns() >= end || r->fatal)
			break;
		rd_kafka_error_destroy(error);
		watch_signals(r);
		if (r->stop)
			return 0;
	}
	if (error) {
		fail(r, -EIO,
		     "could not initialise transactions (transactional.id %s): %s",
		     r->cfg->transactional_id, rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
		return r->fatal;
	}
	return 0;
}

static int open_consumer(struct relay *r)
{
	const char *ours[] = {
		"bootstrap.servers",
		r->cfg->brokers,
		"client.id",
		"xdpflow-enrich",
		"group.id",
		r->cfg->group,
		"isolation.level",
		"read_committed",
		"enable.auto.commit",
		"false",
		"enable.auto.offset.store",
		"false",
		"auto.offset.reset",
		"earliest",
		"enable.partition.eof",
		"false",
		"fetch.wait.max.ms",
		"50",
		"max.partition.fetch.bytes",
		"8388608",
		/* Room for more than a second of input (flows are ~60 bytes):
		 * librdkafka 2.0 stops fetching when the prefetched messages
		 * pass this and looks again only about a second later, so
		 * with its 64 MiB default a relay catching up on a backlog
		 * drained the queue and then sat idle for up to 0.7 s at a
		 * time (0.74M flows/s against 1.25M with 128 MiB, side by
		 * side). The cost is that much memory while behind. */
		"queued.max.messages.kbytes",
		"131072",
	};
	rd_kafka_conf_t *conf =
		make_conf(r, ours, sizeof(ours) / sizeof(*ours));
	rd_kafka_topic_partition_list_t *sub;
	rd_kafka_resp_err_t e;
	char v[128];
	size_t vl = sizeof(v);

	if (!conf)
		return -EINVAL;
	if (rd_kafka_conf_get(conf, "partition.assignment.strategy", v, &vl) ==
		    RD_KAFKA_CONF_OK &&
	    strstr(v, "cooperative")) {
		rd_kafka_conf_destroy(conf);
		snprintf(r->err, r->errlen,
			 "partition.assignment.strategy %s is not supported (eager strategies only)",
			 v);
		return -EINVAL;
	}
	vl = sizeof(v);
	r->reset_latest = rd_kafka_conf_get(conf, "auto.offset.reset", v,
					    &vl) == RD_KAFKA_CONF_OK &&
			  (!strcmp(v, "latest") || !strcmp(v, "end") ||
			   !strcmp(v, "largest"));
	vl = sizeof(v);
	if (rd_kafka_conf_get(conf, "isolation.level", v, &vl) ==
		    RD_KAFKA_CONF_OK &&
	    strcmp(v, "read_committed") != 0) {
		rd_kafka_conf_destroy(conf);
		snprintf(r->err, r->errlen,
			 "isolation.level %s would read aborted input (read_committed only)",
			 v);
		return -EINVAL;
	}
	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	r->cons = rd_kafka_new(RD_KAFKA_CONSUMER, conf, r->err, r->errlen);
	if (!r->cons) {
		rd_kafka_conf_destroy(conf);
		return -EINVAL;
	}
	rd_kafka_poll_set_consumer(r->cons);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, r->cfg->in_topic,
					  RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(r->cons, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (e)
		return fail(r, -EIO, "could not subscribe to %s: %s",
			    r->cfg->in_topic, rd_kafka_err2str(e));
	return 0;
}

/* Produces one output message in the open transaction. */
static int produce(struct relay *r, const rd_kafka_message_t *m,
		   const struct relay_out *o)
{
	for (;;) {
		rd_kafka_resp_err_t e =
			rd_kafka_producev(r->prod, RD_KAFKA_V_RKT(r->out),
					  RD_KAFKA_V_KEY(m->key, m->key_len),
					  RD_KAFKA_V_VALUE((void *)o->data,
							   o->len),
					  RD_KAFKA_V_MSGFLAGS(
						  RD_KAFKA_MSG_F_COPY),
					  RD_KAFKA_V_END);

		if (!e)
			return 0;
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			char why[256];

			if (rd_kafka_fatal_error(r->prod, why, sizeof(why)))
				return fail(r, -EIO,
					    "kafka producer: fatal error: %s",
					    why);
			pr_warn("kafka: could not produce to %s, aborting the transaction: %s",
				r->cfg->out_topic, rd_kafka_err2str(e));
			return abort_txn(r, true) ? r->fatal : 1;
		}
		rd_kafka_poll(r->prod, 10);
		if (r->fatal)
			return r->fatal;
	}
}

static int handle(struct relay *r, const rd_kafka_message_t *m)
{
	const struct relay_out *outs = NULL;
	size_t n_out = 0, flows = 0, flows_out = 0;
	int rc;

	if (m->err) {
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			return 0;
		warn_limited(r, "kafka consumer: %s",
			     rd_kafka_message_errstr(m));
		return 0;
	}
	rc = begin_txn(r);
	if (rc)
		return rc;
	r->st->consumed++;
	rc = r->hooks->transform(r->hooks->ctx, m->payload, m->len, &outs,
				 &n_out, &flows, &flows_out);
	if (rc == -EBADMSG) {
		r->st->decode_errors++;
		warn_limited(r,
			     "skipped an undecodable message at %s [%" PRId32
			     "] offset %" PRId64,
			     r->cfg->in_topic, m->partition, m->offset);
		n_out = flows = flows_out = 0;
	} else if (rc) {
		return fail(r, rc,
			    "could not transform a message of %s [%" PRId32
			    "] offset %" PRId64 ": %s",
			    r->cfg->in_topic, m->partition, m->offset,
			    strerror(-rc));
	}
	r->st->consumed_flows += flows;
	for (size_t i = 0; i < n_out; i++) {
		rc = produce(r, m, &outs[i]);
		if (rc)
			return rc < 0 ? rc : 0; /* 1: aborted and rewound */
	}
	r->txn_out += n_out;
	r->txn_out_flows += flows_out;
	r->txn_flows += flows;
	r->txn_msgs++;
	return note_offset(r, m->partition, m->offset + 1);
}

static int loop(struct relay *r)
{
	const uint64_t full = r->cfg->txn_interval_ms * CLOCK_NS_PER_MS;
	const uint64_t tick = r->cfg->tick_ms * CLOCK_NS_PER_MS;
	uint64_t next_tick = clock_mono_ns() + tick, next_sig = 0;

	while (!r->fatal && !r->stop) {
		uint64_t now = clock_mono_ns(), wait = POLL_MAX_MS;
		/* Commit early by what committing takes: the output still
		 * queued (with a quarter more for its spread), then the
		 * offsets and the commit itself, so that flows read are
		 * committed within the interval. At most half of it: a
		 * transaction begun right after a commit meets the brokers
		 * still finishing that one (CONCURRENT_TRANSACTIONS, retried
		 * after 100 ms), which would make every commit slow, the
		 * next lead longer, and every transaction one message. No
		 * commit timed yet: the longest lead. */
		uint64_t lead =
			!r->commit_est_ns
				? full / 2
				: r->commit_est_ns + 2 * r->commit_dev_ns +
					  r->flush_ns_per_msg *
						  (uint64_t)rd_kafka_outq_len(
							  r->prod) *
						  5 / 4;
		uint64_t interval = full - (lead < full / 2 ? lead : full / 2);
		rd_kafka_message_t *m;

		if (r->in_txn && (now - r->txn_start_ns >= interval ||
				  r->txn_msgs >= r->cfg->txn_max_msgs)) {
			if (commit_txn(r, true) || r->stop)
				break;
			now = clock_mono_ns();
		}
		if (now >= next_tick) {
			r->hooks->tick(r->hooks->ctx);
			next_tick = now + tick;
		}
		if (now >= next_sig) {
			watch_signals(r);
			if (r->stop)
				break;
			next_sig = now + 10 * CLOCK_NS_PER_MS;
		}
		if (r->in_txn) {
			uint64_t left = r->txn_start_ns + interval - now;

			if (left / CLOCK_NS_PER_MS < wait)
				wait = left / CLOCK_NS_PER_MS + 1;
		}
		if ((next_tick - now) / CLOCK_NS_PER_MS < wait)
			wait = (next_tick - now) / CLOCK_NS_PER_MS + 1;
		if (!r->in_txn && now < r->hold_until) {
			/* Backing off after an abort: at most 5 s, well within
			 * max.poll.interval.ms, so the group keeps us. */
			if ((r->hold_until - now) / CLOCK_NS_PER_MS < wait)
				wait = (r->hold_until - now) / CLOCK_NS_PER_MS +
				       1;
			rd_kafka_poll(r->prod, (int)wait);
			next_sig = 0;
			continue;
		}
		m = rd_kafka_consumer_poll(r->cons, (int)wait);
		if (m) {
			handle(r, m);
			rd_kafka_message_destroy(m);
		} else {
			next_sig = 0;
		}
		rd_kafka_poll(r->prod, 0);
	}
	if (!r->fatal && r->in_txn)
		commit_txn(r, false);
	return r->fatal;
}

/* Leaves the group by the stop deadline (r->stop set); then frees the
 * consumer without waiting for the brokers any more. */
static void close_consumer(struct relay *r)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(r->cons);
	rd_kafka_error_t *error = rd_kafka_consumer_close_queue(r->cons, q);
	bool closing = !error;

	if (error) {
		pr_warn("kafka: could not leave group %s: %s", r->cfg->group,
			rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	while (closing && !rd_kafka_consumer_closed(r->cons)) {
		int ms = slice_ms(r, UINT64_MAX, 0);
		rd_kafka_event_t *ev;

		if (!ms) {
			pr_warn("kafka: could not leave group %s in time; the coordinator drops this member after session.timeout.ms",
				r->cfg->group);
			break;
		}
		ev = rd_kafka_queue_poll(q, ms);
		if (!ev)
			continue;
		/* Nothing is open any more: a revocation only unassigns. */
		if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
			rd_kafka_assign(r->cons, NULL);
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy_flags(r->cons, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

int relay_run(const struct relay_config *cfg, const struct relay_hooks *hooks,
	      struct signals *sig, struct relay_stats *st, char *err,
	      size_t errlen)
{
	struct relay r = { .cfg = cfg,
			   .hooks = hooks,
			   .st = st,
			   .err = err,
			   .errlen = errlen,
			   .sig = sig };
	int rc;

	err[0] = '\0';
	rc = open_producer(&r);
	if (!rc && !r.stop)
		rc = open_consumer(&r);
	if (!rc && !r.stop) {
		pr_info("relaying %s -> %s (group %s, transactional.id %s)",
			cfg->in_topic, cfg->out_topic, cfg->group,
			cfg->transactional_id);
		rc = loop(&r);
	}
	if (r.cons) {
		/* The revoke finds nothing open (or, after a fatal error,
		 * commits nothing). */
		begin_stop(&r);
		close_consumer(&r);
	}
	if (r.out)
		rd_kafka_topic_destroy(r.out);
	if (r.prod)
		rd_kafka_destroy(r.prod);
	stop_watch_end(&r.watch);
	free(r.next);
	return rc ? rc : r.fatal;
}
