// SPDX-License-Identifier: Apache-2.0
/*
 * Kafka publisher (librdkafka): encoded flows packed into Kafka messages of
 * up to `batch` flows, one open batch per key. The key is the exporter's
 * address bytes (KAFKA_KEY_EXPORTER), so one exporter's flows keep one
 * partition and their order, or absent (KAFKA_KEY_NONE, one batch). pb
 * flows carry their own length prefix, so a batch is their concatenation;
 * JSON flows are newline-joined (a lone flow is exactly GoFlow2's message).
 * A batch goes out when it holds `batch` flows, when publisher_flush is
 * called, or once it is older than KAFKA_LINGER_MS (checked from
 * publisher_poll and every few writes). The producer is idempotent unless
 * -X says otherwise. A full local queue makes the writer poll and retry
 * with a growing backoff for up to KAFKA_FULL_WAIT_MS before the batch is
 * counted lost, loudly. Delivery reports count delivered and failed
 * messages; failures are logged rate-limited with librdkafka's reason.
 * Reachability (for /__health): all brokers down (librdkafka's error)
 * marks the cluster unreachable; a successful delivery, or a statistics
 * report (every second unless -X statistics.interval.ms says otherwise)
 * with a broker UP, marks it reachable again.
 * librdkafka's errors (authentication, TLS, brokers down), which it
 * retries, are logged once per error code and KAFKA_ERR_REPEAT_NS with the
 * count of repeats; authentication and TLS ones as errors. A fatal error is
 * logged once and reported by get_stats.
 *
 * Messages are produced with RD_KAFKA_MSG_F_COPY: librdkafka then makes one
 * allocation holding both its message header and the payload, and our batch
 * buffers are reused at once. F_FREE would need a fresh malloc'd buffer per
 * message on our side on top of librdkafka's own header allocation, so it
 * would cost one allocation more to save a memcpy of a few kilobytes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <librdkafka/rdkafka.h>

#include "common/clock.h"
#include "common/kafka_conf.h"
#include "common/log.h"
#include "publish/publish_internal.h"

#define KAFKA_LINGER_MS 50
#define KAFKA_FULL_WAIT_MS 5000
#define KAFKA_CLOSE_WAIT_MS 5000
/* Distinct keys with an open batch; flows of further exporters are sent
 * unbatched rather than grow the table without bound. */
#define KAFKA_MAX_KEYS 4096
#define KAFKA_INIT_KEYS 64
/* Batches stay below librdkafka's message.max.bytes (default 1000000)
 * with room for its framing. */
#define KAFKA_MSG_OVERHEAD 1024
#define KAFKA_MSG_CAP (900 * 1024)
/* Writes between two looks at the clock for lingering batches. */
#define KAFKA_LINGER_CHECK_EVERY 64
/* librdkafka reports a retried error (brokers down, authentication, TLS)
 * again at each retry: each error code is logged at most this often. */
#define KAFKA_ERR_REPEAT_NS (30ULL * 1000000000ULL)
#define KAFKA_ERR_SLOTS 8

struct batch {
	struct flow_addr key; /* len 0: no key */
	bool used;	      /* slot taken by this key */
	unsigned n;	      /* flows in buf */
	uint8_t *buf;
	size_t len, cap;
	uint64_t first_ns; /* when its first flow went in */
};

struct kafka_pub {
	struct publisher base;
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	enum kafka_key key_mode;
	enum out_format format;
	unsigned batch_max;
	size_t msg_max;

	pthread_mutex_t mu; /* the batch table and the fields below */
	struct batch *slots;
	size_t cap, n_keys, n_open;
	unsigned writes_since_check;
	uint64_t last_check_ns;

	atomic_uint_fast64_t flows, messages, delivered, failed;
	atomic_uint_fast64_t down_since; /* CLOCK_MONOTONIC ns, 0: reachable */
	atomic_bool fatal; /* librdkafka raised RD_KAFKA_RESP_ERR__FATAL */
	/* The last bounded flush ran out of time (the daemon's final one, at
	 * exit): closing then waits no more for the same messages. */
	bool flush_gave_up;

	pthread_mutex_t log_mu; /* rl, errs: reports arrive on any poller */
	struct ratelimit rl;
	struct err_seen {
		int err;
		uint64_t last_ns; /* when last logged; 0: slot free */
		unsigned repeats; /* since then, not logged */
	} errs[KAFKA_ERR_SLOTS];
};

static struct kafka_pub *to_kafka(struct publisher *p)
{
	return (struct kafka_pub *)p;
}

static void log_limited(struct kafka_pub *k, enum log_level lvl,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void log_limited(struct kafka_pub *k, enum log_level lvl,
			const char *fmt, ...)
{
	uint32_t suppressed;
	char line[512];
	va_list ap;
	bool ok;

	pthread_mutex_lock(&k->log_mu);
	ok = ratelimit_ok(&k->rl, clock_mono_ns(), &suppressed);
	pthread_mutex_unlock(&k->log_mu);
	if (!ok)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (suppressed)
		log_print(lvl, "kafka: %s (%u similar messages suppressed)",
			  line, suppressed);
	else
		log_print(lvl, "kafka: %s", line);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
			void *opaque)
{
	struct kafka_pub *k = opaque;

	(void)rk;
	if (!m->err) {
		atomic_fetch_add_explicit(&k->delivered, 1,
					  memory_order_relaxed);
		atomic_store_explicit(&k->down_since, 0, memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&k->failed, 1, memory_order_relaxed);
	log_limited(k, LOG_LVL_ERR,
		    "could not deliver a message of %u flows to topic %s: %s",
		    (unsigned)(uintptr_t)m->_private,
		    rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
}

/* Whether err is due to be logged (not logged for KAFKA_ERR_REPEAT_NS);
 * if so, *repeats gets how often it came meanwhile. */
static bool err_due(struct kafka_pub *k, int err, unsigned *repeats)
{
	uint64_t now = clock_mono_ns();
	struct err_seen *s = NULL, *oldest = &k->errs[0];
	bool due;

	pthread_mutex_lock(&k->log_mu);
	for (size_t i = 0; i < KAFKA_ERR_SLOTS && !s; i++) {
		if (k->errs[i].last_ns && k->errs[i].err == err)
			s = &k->errs[i];
		else if (k->errs[i].last_ns < oldest->last_ns)
			oldest = &k->errs[i];
	}
	if (!s) {
		s = oldest;
		*s = (struct err_seen){ .err = err };
	}
	due = !s->last_ns || now - s->last_ns >= KAFKA_ERR_REPEAT_NS;
	*repeats = s->repeats;
	if (due) {
		s->last_ns = now;
		s->repeats = 0;
	} else {
		s->repeats++;
	}
	pthread_mutex_unlock(&k->log_mu);
	return due;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_pub *k = opaque;
	char fatal[256];
	unsigned repeats;
	bool bad_conf = err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
			err == RD_KAFKA_RESP_ERR__SSL;

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
		log_print(LOG_LVL_ERR,
			  "kafka: fatal error, no more flows can be produced: %s",
			  fatal);
		atomic_store(&k->fatal, true);
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		uint_fast64_t zero = 0;

		atomic_compare_exchange_strong(&k->down_since, &zero,
					       clock_mono_ns());
	}
	if (!err_due(k, err, &repeats))
		return;
	if (repeats)
		log_limited(k, bad_conf ? LOG_LVL_ERR : LOG_LVL_WARN,
			    "%s: %s (and %u times more since it was last logged)",
			    rd_kafka_err2name(err), reason, repeats);
	else
		log_limited(k, bad_conf ? LOG_LVL_ERR : LOG_LVL_WARN, "%s: %s",
			    rd_kafka_err2name(err), reason);
}

/* The statistics report (STATISTICS.md): a broker other than the internal
 * one in state UP means the cluster is reachable again. */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct kafka_pub *k = opaque;

	(void)rk, (void)len;
	if (publish_kafka_stats_any_up(json))
		atomic_store_explicit(&k->down_since, 0, memory_order_relaxed);
	return 0; /* librdkafka frees json */
}

bool publish_kafka_stats_any_up(const char *json)
{
	static const char src_key[] = "\"source\":\"",
			  state_key[] = "\"state\":\"";
	const char *p = strstr(json, "\"brokers\":{");

	while (p && (p = strstr(p, src_key))) {
		const char *src = p + sizeof(src_key) - 1, *st;

		st = strstr(src, state_key);
		if (!st)
			break;
		st += sizeof(state_key) - 1;
		if (strncmp(src, "internal\"", 9) != 0 &&
		    strncmp(st, "UP\"", 3) == 0)
			return true;
		p = st;
	}
	return false;
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	enum log_level lvl = kafka_log_level(level);

	(void)rk;
	/* A broker connection failure: on_error reports it too, repeats
	 * limited, so here it is only for debugging. */
	if (!strcmp(fac, "FAIL"))
		lvl = LOG_LVL_DEBUG;
	log_print(lvl, "kafka: %s: %s", fac, buf);
}

static size_t key_len(const struct flow_addr *a)
{
	return a && (a->len == 4 || a->len == 16) ? a->len : 0;
}

/* One Kafka message, retried while the local queue is full. Never called
 * with a length over msg_max. 0, or -errno with the loss counted. */
static int produce(struct kafka_pub *k, const struct flow_addr *key,
		   const uint8_t *buf, size_t len, unsigned nflows)
{
	size_t klen = k->key_mode == KAFKA_KEY_EXPORTER ? key_len(key) : 0;
	int waited = 0, backoff = 1;
	rd_kafka_resp_err_t e;

	/* JSON lines are newline-joined: no newline after the last one. */
	if (k->format == OUT_FORMAT_JSON && len && buf[len - 1] == '\n')
		len--;
	for (;;) {
		e = rd_kafka_producev(k->rk, RD_KAFKA_V_RKT(k->rkt),
				      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				      RD_KAFKA_V_VALUE((void *)buf, len),
				      RD_KAFKA_V_KEY(klen ? key->b : NULL,
						     klen),
				      RD_KAFKA_V_OPAQUE(
					      (void *)(uintptr_t)nflows),
				      RD_KAFKA_V_END);
		if (!e) {
			atomic_fetch_add_explicit(&k->messages, 1,
						  memory_order_relaxed);
			/* Serve delivery reports as we go (cheap, non-blocking). */
			rd_kafka_poll(k->rk, 0);
			return 0;
		}
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL ||
		    waited >= KAFKA_FULL_WAIT_MS)
			break;
		rd_kafka_poll(k->rk, backoff);
		waited += backoff;
		backoff = backoff < 64 ? backoff * 2 : 100;
	}
	atomic_fetch_add_explicit(&k->failed, 1, memory_order_relaxed);
	log_limited(k, LOG_LVL_ERR,
		    "LOST %u flows: could not queue a message for topic %s: %s%s",
		    nflows, rd_kafka_topic_name(k->rkt), rd_kafka_err2str(e),
		    e == RD_KAFKA_RESP_ERR__QUEUE_FULL
			    ? " (queue stayed full for 5 s)"
			    : "");
	return e == RD_KAFKA_RESP_ERR__QUEUE_FULL ? -ENOBUFS : -EIO;
}

/* Sends b's flows and empties it. mu held. */
static int send_batch(struct kafka_pub *k, struct batch *b)
{
	int rc;

	if (!b->n)
		return 0;
	rc = produce(k, &b->key, b->buf, b->len, b->n);
	b->n = 0;
	b->len = 0;
	k->n_open--;
	return rc;
}

static uint32_t key_hash(const struct flow_addr *a)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (unsigned i = 0; i < a->len; i++)
		h = (h ^ a->b[i]) * 16777619u;
	return h ^ (h >> 15);
}

static bool key_eq(const struct flow_addr *a, const struct flow_addr *b)
{
	return a->len == b->len && !memcmp(a->b, b->b, a->len);
}

static struct batch *slot_find(struct batch *slots, size_t cap,
			       const struct flow_addr *key)
{
	size_t i = key_hash(key) & (cap - 1);

	for (size_t probes = 0; probes < cap; probes++, i = (i + 1) & (cap - 1))
		if (!slots[i].used || key_eq(&slots[i].key, key))
			return &slots[i];
	return NULL;
}

/* Doubles the table (a new exporter, not a new flow, pays for it). */
static int table_grow(struct kafka_pub *k)
{
	size_t ncap = k->cap * 2;
	struct batch *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < k->cap; i++)
		if (k->slots[i].used)
			*slot_find(ns, ncap, &k->slots[i].key) = k->slots[i];
	free(k->slots);
	k->slots = ns;
	k->cap = ncap;
	return 0;
}

/* The batch of key, created on first sight; NULL when the table is full.
 * mu held. */
static struct batch *batch_get(struct kafka_pub *k, const struct flow_addr *key)
{
	struct batch *b = slot_find(k->slots, k->cap, key);

	if (b && b->used)
		return b;
	if (k->n_keys >= KAFKA_MAX_KEYS)
		return NULL;
	if ((k->n_keys + 1) * 4 > k->cap * 3) {
		if (table_grow(k))
			return NULL;
		b = slot_find(k->slots, k->cap, key);
	}
	b->used = true;
	b->key = *key;
	k->n_keys++;
	return b;
}

/* Room for len more bytes, sending the batch first if it would pass the
 * message size. Buffers grow while traffic warms up, then stay. mu held. */
static int batch_reserve(struct kafka_pub *k, struct batch *b, size_t len)
{
	size_t need;

	if (b->len + len > k->msg_max)
		send_batch(k, b);
	need = b->len + len;
	if (need <= b->cap)
		return 0;
	{
		size_t ncap = b->cap ? b->cap * 2 : 4096;
		uint8_t *nb;

		while (ncap < need)
			ncap *= 2;
		if (ncap > k->msg_max)
			ncap = k->msg_max;
		nb = realloc(b->buf, ncap);
		if (!nb)
			return -ENOMEM;
		b->buf = nb;
		b->cap = ncap;
	}
	return 0;
}

/* Sends batches older than the linger time. mu held. */
static void send_lingering(struct kafka_pub *k, uint64_t now)
{
	uint64_t linger = (uint64_t)KAFKA_LINGER_MS * 1000000u;

	k->last_check_ns = now;
	k->writes_since_check = 0;
	for (size_t i = 0; i < k->cap && k->n_open; i++) {
		struct batch *b = &k->slots[i];

		if (b->n && now - b->first_ns >= linger)
			send_batch(k, b);
	}
}

static int kafka_write(struct publisher *p, const struct flow_addr *exporter,
		       const uint8_t *msg, size_t len)
{
	static const struct flow_addr nokey;
	struct kafka_pub *k = to_kafka(p);
	const struct flow_addr *key = &nokey;
	struct batch *b;
	int rc = 0;

	atomic_fetch_add_explicit(&k->flows, 1, memory_order_relaxed);
	if (len > k->msg_max)
		return -EMSGSIZE;
	if (k->key_mode == KAFKA_KEY_EXPORTER && key_len(exporter))
		key = exporter;
	if (k->batch_max <= 1)
		return produce(k, key, msg, len, 1);

	pthread_mutex_lock(&k->mu);
	b = batch_get(k, key);
	if (!b || batch_reserve(k, b, len)) {
		pthread_mutex_unlock(&k->mu);
		return produce(k, key, msg, len, 1);
	}
	if (!b->n) {
		b->first_ns = clock_mono_ns();
		k->n_open++;
	}
	memcpy(b->buf + b->len, msg, len);
	b->len += len;
	b->n++;
	/* Sending under mu keeps each key's messages in order; when the
	 * queue is full, the wait here is the backpressure the brief asks for:
	 * every writer would have to wait for room anyway. */
	if (b->n >= k->batch_max)
		rc = send_batch(k, b);
	if (++k->writes_since_check >= KAFKA_LINGER_CHECK_EVERY && k->n_open) {
		uint64_t now = clock_mono_ns();

		if (now - k->last_check_ns >=
		    (uint64_t)KAFKA_LINGER_MS * 1000000u / 2)
			send_lingering(k, now);
	}
	pthread_mutex_unlock(&k->mu);
	return rc;
}

static void send_all(struct kafka_pub *k)
{
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < k->cap && k->n_open; i++)
		send_batch(k, &k->slots[i]);
	pthread_mutex_unlock(&k->mu);
}

static int kafka_flush(struct publisher *p, int timeout_ms)
{
	struct kafka_pub *k = to_kafka(p);

	send_all(k);
	if (rd_kafka_flush(k->rk, timeout_ms < 0 ? 0 : timeout_ms) ==
	    RD_KAFKA_RESP_ERR__TIMED_OUT) {
		if (timeout_ms > 0)
			k->flush_gave_up = true;
		return -ETIMEDOUT;
	}
	k->flush_gave_up = false;
	return 0;
}

static void kafka_poll(struct publisher *p)
{
	struct kafka_pub *k = to_kafka(p);

	rd_kafka_poll(k->rk, 0);
	pthread_mutex_lock(&k->mu);
	if (k->n_open)
		send_lingering(k, clock_mono_ns());
	pthread_mutex_unlock(&k->mu);
}

static void kafka_get_stats(struct publisher *p, struct publish_stats *st)
{
	struct kafka_pub *k = to_kafka(p);

	st->flows = atomic_load_explicit(&k->flows, memory_order_relaxed);
	st->messages = atomic_load_explicit(&k->messages, memory_order_relaxed);
	st->delivered =
		atomic_load_explicit(&k->delivered, memory_order_relaxed);
	st->delivery_errors =
		atomic_load_explicit(&k->failed, memory_order_relaxed);
	st->unreachable_since_ns =
		atomic_load_explicit(&k->down_since, memory_order_relaxed);
	st->fatal = atomic_load(&k->fatal);
}

static void kafka_free(struct kafka_pub *k)
{
	if (k->rkt)
		rd_kafka_topic_destroy(k->rkt);
	if (k->rk)
		rd_kafka_destroy(k->rk);
	for (size_t i = 0; k->slots && i < k->cap; i++)
		free(k->slots[i].buf);
	free(k->slots);
	pthread_mutex_destroy(&k->mu);
	pthread_mutex_destroy(&k->log_mu);
	free(k);
}

static void kafka_close(struct publisher *p)
{
	struct kafka_pub *k = to_kafka(p);
	/* A final flush that already waited its bound for the brokers: no
	 * second wait (an exit with Kafka unreachable took twice as long). */
	int wait = k->flush_gave_up ? 0 : KAFKA_CLOSE_WAIT_MS;
	int left;

	send_all(k);
	rd_kafka_flush(k->rk, wait);
	left = rd_kafka_outq_len(k->rk);
	if (left > 0) {
		pr_err("kafka: %d messages not delivered at exit, dropping them",
		       left);
		/* Their delivery reports (purged) count them as failed. */
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE |
					      RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(k->rk, 0);
	}
	kafka_free(k);
}

static const struct publisher_ops kafka_ops = {
	.write = kafka_write,
	.flush = kafka_flush,
	.poll = kafka_poll,
	.get_stats = kafka_get_stats,
	.reopen = NULL,
	.close = kafka_close,
};

static bool is_broker_prop(const char *name, size_t len)
{
	static const char *const names[] = { "bootstrap.servers",
					     "metadata.broker.list",
					     "test.mock.num.brokers" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !strncmp(name, names[i], len))
			return true;
	return false;
}

/* Our defaults, then -X in order (so -X overrides them). 0, or -EINVAL with
 * a one-line reason in err. */
static int conf_build(rd_kafka_conf_t *conf, const struct publish_config *cfg,
		      char *err, size_t errlen)
{
	char errstr[512], name[256];
	bool have_brokers = cfg->brokers && *cfg->brokers;

	if (have_brokers &&
	    rd_kafka_conf_set(conf, "bootstrap.servers", cfg->brokers, errstr,
			      sizeof(errstr))) {
		snprintf(err, errlen, "bad Kafka brokers '%s': %s",
			 cfg->brokers, errstr);
		return -EINVAL;
	}
	if (rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr,
			      sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "client.id", "xdpflow", errstr,
			      sizeof(errstr))) {
		snprintf(err, errlen,
			 "could not configure the Kafka producer: %s", errstr);
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->n_props; i++) {
		const char *prop = cfg->props[i] ? cfg->props[i] : "";
		const char *eq = strchr(prop, '=');
		size_t nlen = eq ? (size_t)(eq - prop) : 0;

		if (!eq || !nlen || nlen >= sizeof(name)) {
			snprintf(err, errlen,
				 "bad Kafka property '%s': expected name=value",
				 prop);
			return -EINVAL;
		}
		memcpy(name, prop, nlen);
		name[nlen] = 0;
		if (rd_kafka_conf_set(conf, name, eq + 1, errstr,
				      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
			snprintf(err, errlen, "bad Kafka property '%s': %s",
				 prop, errstr);
			return -EINVAL;
		}
		have_brokers |= is_broker_prop(prop, nlen);
	}
	if (!have_brokers) {
		snprintf(err, errlen,
			 "no Kafka brokers given (--kafka-brokers)");
		return -EINVAL;
	}
	return 0;
}

/* Whether name has a nonzero value (statistics are off by default, so a
 * nonzero -X statistics.interval.ms is kept and 0 is not honoured). */
static bool conf_is_set(rd_kafka_conf_t *conf, const char *name)
{
	char v[32];
	size_t vlen = sizeof(v);

	return rd_kafka_conf_get(conf, name, v, &vlen) == RD_KAFKA_CONF_OK &&
	       strcmp(v, "0") != 0;
}

/* librdkafka's message.max.bytes as configured, less framing room. */
static size_t conf_msg_max(rd_kafka_conf_t *conf)
{
	char v[32];
	size_t vlen = sizeof(v);
	long max = 1000000;

	if (rd_kafka_conf_get(conf, "message.max.bytes", v, &vlen) ==
	    RD_KAFKA_CONF_OK)
		max = strtol(v, NULL, 10);
	max -= KAFKA_MSG_OVERHEAD;
	if (max > KAFKA_MSG_CAP)
		max = KAFKA_MSG_CAP;
	if (max < ENCODE_MAX_LEN)
		max = ENCODE_MAX_LEN;
	return (size_t)max;
}

struct publisher *publish_kafka_open(const struct publish_config *cfg,
				     char *err, size_t errlen)
{
	const char *topic = cfg->topic && *cfg->topic ? cfg->topic : "flows";
	rd_kafka_conf_t *conf = NULL;
	struct kafka_pub *k;
	char errstr[512];

	if (cfg->key != KAFKA_KEY_EXPORTER && cfg->key != KAFKA_KEY_NONE) {
		snprintf(err, errlen, "unknown Kafka key mode %d",
			 (int)cfg->key);
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(err, errlen,
			 "out of memory opening the Kafka producer");
		return NULL;
	}
	pthread_mutex_init(&k->mu, NULL);
	pthread_mutex_init(&k->log_mu, NULL);
	k->base.ops = &kafka_ops;
	k->key_mode = cfg->key;
	k->format = cfg->format;
	k->batch_max = cfg->batch ? cfg->batch : 1;
	k->cap = KAFKA_INIT_KEYS;
	k->slots = calloc(k->cap, sizeof(*k->slots));
	conf = rd_kafka_conf_new();
	if (!k->slots || !conf) {
		snprintf(err, errlen,
			 "out of memory opening the Kafka producer");
		goto err_free;
	}
	if (conf_build(conf, cfg, err, errlen))
		goto err_free;
	k->msg_max = conf_msg_max(conf);
	if (!conf_is_set(conf, "statistics.interval.ms") &&
	    rd_kafka_conf_set(conf, "statistics.interval.ms", "1000", errstr,
			      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen,
			 "could not set statistics.interval.ms: %s", errstr);
		goto err_free;
	}
	rd_kafka_conf_set_stats_cb(conf, on_stats);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_opaque(conf, k);
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!k->rk) {
		snprintf(err, errlen, "could not create the Kafka producer: %s",
			 errstr);
		goto err_free;
	}
	conf = NULL; /* owned by rk now */
	k->rkt = rd_kafka_topic_new(k->rk, topic, NULL);
	if (!k->rkt) {
		snprintf(err, errlen, "could not use Kafka topic '%s': %s",
			 topic, rd_kafka_err2str(rd_kafka_last_error()));
		goto err_free;
	}
	return &k->base;

err_free:
	if (conf)
		rd_kafka_conf_destroy(conf);
	kafka_free(k);
	return NULL;
}
