// SPDX-License-Identifier: Apache-2.0
/*
 * The inserter's state machine (see inserter.h). Two states: UP (consuming,
 * a batch open) and DOWN (PostgreSQL lost: the batch is dropped, the
 * assignment paused, reconnect attempts with backoff; on success the
 * assignment is re-assigned at the offsets stored in PostgreSQL). A batch is
 * split over the writers (one connection each, Kafka partition p on writer
 * p % writers): each writer encodes its rows into its own reusable buffer,
 * streamed into its COPY whenever it grows past a chunk, between Kafka
 * messages, so the backends work while Kafka is read.
 */
#include "insert/inserter.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "insert/copybin.h"
#include "insert/kconsumer.h"
#include "insert/pbdec.h"
#include "insert/pgstore.h"

#define CHUNK_BYTES (1u << 20)	/* stream rows to the server past this */
#define ROWBUF_MAX (256u << 20) /* rows of one message cannot exceed it */
#define DEAD_BYTES_MAX                                                         \
	(16u << 20) /* flush a batch holding this many dead bytes */
#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 5000
#define MAINT_EVERY_MS (3600u * 1000u)
#define POLL_MS 100
/* No message for this long while the partitions have more: stalled. */
#define STALL_MS 5000u
#define MAX_WRITERS 16

struct dead {
	int32_t part;
	int64_t off;
	const char *why; /* static string */
	uint8_t *data;
	size_t len;
};

struct pstate {
	int64_t first;
	int64_t next;
	bool in_batch;
};

/* One PostgreSQL connection and its share of the open batch. */
struct writer {
	struct pgstore *pg;
	struct copybin cb;
	bool copy_open;
	size_t b_msgs;
	size_t b_rows;
	int32_t *b_parts; /* partitions in the batch (ps_cap entries) */
	size_t b_nparts;
	int64_t *b_first, *b_next;
	struct dead *dead;
	size_t n_dead, dead_cap;
};

enum state { ST_DOWN = 0, ST_UP = 1 };

struct inserter {
	const struct inserter_config *cfg;
	struct inserter_stats *st;
	struct kconsumer *kc;
	struct pbdec dec;
	struct writer w[MAX_WRITERS];
	unsigned nw;
	enum state state;
	bool need_resync;

	/* the open batch, over all writers */
	size_t b_msgs;
	size_t b_rows;
	size_t dead_bytes;
	uint64_t b_deadline;
	struct pstate *ps; /* indexed by partition */
	size_t ps_cap;

	/* DOWN: next reconnect */
	uint64_t retry_at;
	uint64_t backoff_ms;
	uint64_t next_maint;

	/* assignment scratch for resync; a_n: the last resync's partitions
	 * (and their offsets from PostgreSQL) */
	int32_t *a_parts;
	int64_t *a_offs;
	size_t a_cap, a_n;
	/* UP: since when polls have returned no message (0: one did) */
	uint64_t empty_since;

	struct ratelimit rl_dead, rl_kafka, rl_pg;
};

static uint64_t now_ms(void)
{
	return clock_mono_ns() / 1000000u;
}

static void *grow_array(void *p, size_t n, size_t size)
{
	return realloc(p, n * size);
}

static int grow_partitions(struct inserter *in, size_t need)
{
	size_t cap = in->ps_cap ? in->ps_cap : 64;
	struct pstate *ps;

	if (need <= in->ps_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	ps = grow_array(in->ps, cap, sizeof(*ps));
	if (!ps)
		return -1;
	memset(ps + in->ps_cap, 0, (cap - in->ps_cap) * sizeof(*ps));
	in->ps = ps;
	for (unsigned i = 0; i < in->nw; i++) {
		struct writer *w = &in->w[i];
		void *p;

		if (!(p = grow_array(w->b_parts, cap, sizeof(*w->b_parts))))
			return -1;
		w->b_parts = p;
		if (!(p = grow_array(w->b_first, cap, sizeof(*w->b_first))))
			return -1;
		w->b_first = p;
		if (!(p = grow_array(w->b_next, cap, sizeof(*w->b_next))))
			return -1;
		w->b_next = p;
	}
	in->ps_cap = cap;
	return 0;
}

static void writer_reset(struct inserter *in, struct writer *w)
{
	for (size_t i = 0; i < w->b_nparts; i++)
		in->ps[w->b_parts[i]].in_batch = false;
	w->b_nparts = 0;
	for (size_t i = 0; i < w->n_dead; i++)
		free(w->dead[i].data);
	w->n_dead = 0;
	w->b_msgs = 0;
	w->b_rows = 0;
	w->cb.len = 0;
	w->copy_open = false;
}

/* Forgets the open batch (committed, rolled back or never sent). */
static void batch_reset(struct inserter *in)
{
	for (unsigned i = 0; i < in->nw; i++)
		writer_reset(in, &in->w[i]);
	in->b_msgs = 0;
	in->b_rows = 0;
	in->dead_bytes = 0;
}

static void go_down(struct inserter *in, const char *why)
{
	uint32_t supp;

	if (in->state == ST_UP ||
	    ratelimit_ok(&in->rl_pg, clock_mono_ns(), &supp))
		pr_warn("postgres: %s; pausing consumption, retrying in %" PRIu64
			" ms",
			why, in->backoff_ms);
	if (in->state == ST_UP)
		in->st->pg_failures++;
	batch_reset(in);
	for (unsigned i = 0; i < in->nw; i++)
		pgstore_disconnect(in->w[i].pg);
	in->state = ST_DOWN;
	in->retry_at = now_ms() + in->backoff_ms;
	in->backoff_ms = in->backoff_ms * 2 > BACKOFF_MAX_MS
				 ? BACKOFF_MAX_MS
				 : in->backoff_ms * 2;
	kconsumer_pause(in->kc);
}

/* Re-assigns the whole assignment at the offsets stored in PostgreSQL. */
static int resync(struct inserter *in)
{
	int n = kconsumer_assignment(in->kc, in->a_parts, in->a_cap);

	if (n < 0)
		return -1;
	if ((size_t)n > in->a_cap) {
		int32_t *p = grow_array(in->a_parts, (size_t)n, sizeof(*p));
		int64_t *o;

		if (!p)
			return -1;
		in->a_parts = p;
		o = grow_array(in->a_offs, (size_t)n, sizeof(*o));
		if (!o)
			return -1;
		in->a_offs = o;
		in->a_cap = (size_t)n;
		n = kconsumer_assignment(in->kc, in->a_parts, in->a_cap);
		if (n < 0 || (size_t)n > in->a_cap)
			return -1;
	}
	if (pgstore_load_offsets(in->w[0].pg, in->cfg->topic, in->a_parts,
				 in->a_offs, (size_t)n)) {
		go_down(in, pgstore_error(in->w[0].pg));
		return -1;
	}
	batch_reset(in);
	if (n > 0 &&
	    kconsumer_reassign(in->kc, in->a_parts, in->a_offs, (size_t)n))
		return -1;
	in->need_resync = false;
	in->a_n = (size_t)n;
	in->empty_since = 0;
	return 0;
}

/* A consumer that has fetched nothing for STALL_MS while its partitions
 * are known to hold more is rewound again. Seen in about one run in five
 * of test_insert.py's PostgreSQL restart: after the reconnect, the
 * partitions re-assigned at the stored offsets and resumed fetched
 * nothing (cause not found). Exact either way: the rewind starts from the
 * offsets PostgreSQL committed. */
static bool stalled(struct inserter *in, uint64_t now)
{
	if (!in->empty_since || now - in->empty_since < STALL_MS ||
	    !kconsumer_lagging(in->kc, in->a_parts, in->a_offs, in->a_n))
		return false;
	pr_warn("kafka: nothing fetched for %u ms while the partitions hold more; rewinding to the offsets in PostgreSQL",
		STALL_MS);
	in->empty_since = 0;
	return true;
}

static void try_up(struct inserter *in)
{
	for (unsigned i = 0; i < in->nw; i++) {
		if (pgstore_connect(in->w[i].pg)) {
			go_down(in, pgstore_error(in->w[i].pg));
			return;
		}
	}
	if (pgstore_maintain(in->w[0].pg, in->cfg->retention_days)) {
		go_down(in, pgstore_error(in->w[0].pg));
		return;
	}
	in->state = ST_UP;
	in->next_maint = now_ms() + MAINT_EVERY_MS;
	if (resync(in)) {
		if (in->state == ST_UP)
			in->need_resync =
				true; /* Kafka-side trouble: retry next turn */
		return;
	}
	in->backoff_ms = BACKOFF_MIN_MS;
	pr_info("postgres: connected (%u writer%s), schema ready; consuming %s",
		in->nw, in->nw > 1 ? "s" : "", in->cfg->topic);
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

static int send_chunk(struct writer *w)
{
	if (!w->copy_open) {
		if (pgstore_batch_begin(w->pg))
			return -1;
		w->copy_open = true;
	}
	if (pgstore_batch_put(w->pg, w->cb.buf, w->cb.len))
		return -1;
	w->cb.len = 0;
	return 0;
}

/* Commits one writer's share: 0 committed, 1 refused (conflict), -1 error. */
static int writer_commit(struct inserter *in, struct writer *w)
{
	int rc;

	if (pgstore_batch_end_copy(w->pg))
		return -1;
	for (size_t i = 0; i < w->n_dead; i++) {
		struct dead *d = &w->dead[i];

		if (pgstore_batch_dead_letter(w->pg, in->cfg->topic, d->part,
					      d->off, d->why, d->data, d->len))
			return -1;
	}
	qsort(w->b_parts, w->b_nparts, sizeof(*w->b_parts), cmp_i32);
	for (size_t i = 0; i < w->b_nparts; i++) {
		w->b_first[i] = in->ps[w->b_parts[i]].first;
		w->b_next[i] = in->ps[w->b_parts[i]].next;
	}
	rc = pgstore_batch_commit(w->pg, in->cfg->topic, w->b_parts, w->b_first,
				  w->b_next, w->b_nparts);
	if (rc)
		return rc;
	in->st->rows += w->b_rows;
	in->st->messages += w->b_msgs;
	in->st->dead_letters += w->n_dead;
	in->st->batches++;
	kconsumer_commit_async(in->kc, w->b_parts, w->b_next, w->b_nparts);
	writer_reset(in, w);
	return 0;
}

/* Commits the open batch. 0 when committed (or empty), -1 when dropped. */
static int flush(struct inserter *in)
{
	bool refused = false;
	struct writer *bad = NULL;
	uint64_t t0 = now_ms();

	if (in->b_msgs == 0 || in->state != ST_UP)
		return 0;
	/* Send every writer's tail first so all backends work in parallel. */
	for (unsigned i = 0; i < in->nw && !bad; i++) {
		struct writer *w = &in->w[i];

		if (w->b_msgs && (copybin_trailer(&w->cb) || send_chunk(w)))
			bad = w;
	}
	for (unsigned i = 0; i < in->nw && !bad; i++) {
		struct writer *w = &in->w[i];
		int rc;

		if (!w->b_msgs)
			continue;
		rc = writer_commit(in, w);
		if (rc < 0) {
			bad = w;
		} else if (rc > 0) {
			pr_warn("postgres: batch refused: %s; re-reading the stored offsets",
				pgstore_error(w->pg));
			in->st->conflicts++;
			refused = true;
			writer_reset(in, w);
		}
	}
	if (bad) {
		go_down(in, pgstore_error(bad->pg));
		return -1;
	}
	pr_debug("postgres: committed %zu rows from %zu messages in %" PRIu64
		 " ms",
		 in->b_rows, in->b_msgs, now_ms() - t0);
	batch_reset(in);
	if (refused) {
		in->need_resync = true;
		return -1;
	}
	return 0;
}

static int row_cb(void *ctx, const Flowpb__FlowMessage *m)
{
	struct writer *w = ctx;

	return copybin_row(&w->cb, m) ? -1 : 0;
}

static void add_dead(struct inserter *in, struct writer *w, int32_t part,
		     int64_t off, const char *why, const void *data, size_t len)
{
	uint32_t supp;
	struct dead *d;

	if (ratelimit_ok(&in->rl_dead, clock_mono_ns(), &supp)) {
		char more[64] = "";

		if (supp)
			snprintf(more, sizeof(more),
				 " (%" PRIu32 " more suppressed)", supp);
		pr_warn("insert: %s [%" PRId32 "] offset %" PRId64
			" (%zu bytes) to dead_letter: %s%s",
			in->cfg->topic, part, off, len, why, more);
	}
	if (w->n_dead == w->dead_cap) {
		size_t cap = w->dead_cap ? w->dead_cap * 2 : 16;
		struct dead *nd = grow_array(w->dead, cap, sizeof(*nd));

		if (!nd) {
			/* Cannot keep it: stop this batch here rather than lose it. */
			pr_err("insert: out of memory keeping a dead letter");
			go_down(in, "out of memory");
			return;
		}
		w->dead = nd;
		w->dead_cap = cap;
	}
	d = &w->dead[w->n_dead];
	d->part = part;
	d->off = off;
	d->why = why;
	d->len = len;
	d->data = NULL;
	if (len) {
		d->data = malloc(len);
		if (!d->data) {
			/* Keep the record, without its bytes, rather than lose it. */
			pr_err("insert: out of memory copying a dead letter; storing it without payload");
			d->len = 0;
		} else {
			memcpy(d->data, data, len);
		}
	}
	w->n_dead++;
	in->dead_bytes += d->len;
}

static void handle(struct inserter *in, const rd_kafka_message_t *msg)
{
	int32_t part = msg->partition;
	int64_t off = msg->offset;
	const char *why = NULL;
	struct pstate *ps;
	struct writer *w;
	size_t mark;
	int n;

	if (part < 0 || grow_partitions(in, (size_t)part + 1)) {
		pr_err("insert: cannot track partition %" PRId32
		       "; skipping its message",
		       part);
		return;
	}
	ps = &in->ps[part];
	if (ps->in_batch && off < ps->next)
		return; /* delivered twice (after a re-assign): already in the batch */
	w = &in->w[(uint32_t)part % in->nw];
	if (in->b_msgs == 0)
		in->b_deadline = now_ms() + in->cfg->batch_ms;
	if (w->b_msgs == 0 && !w->copy_open) {
		w->cb.len = 0;
		if (copybin_header(&w->cb))
			return;
	}
	mark = w->cb.len;
	n = pbdec_decode(&in->dec, msg->payload, msg->payload ? msg->len : 0,
			 row_cb, w, &why);
	if (n < 0) {
		w->cb.len = mark;
		add_dead(in, w, part, off, why, msg->payload,
			 msg->payload ? msg->len : 0);
		if (in->state != ST_UP)
			return;
	} else {
		w->b_rows += (size_t)n;
		in->b_rows += (size_t)n;
	}
	if (!ps->in_batch) {
		ps->in_batch = true;
		ps->first = off;
		w->b_parts[w->b_nparts++] = part;
	}
	ps->next = off + 1;
	w->b_msgs++;
	in->b_msgs++;
	if (w->cb.len >= CHUNK_BYTES && send_chunk(w))
		go_down(in, pgstore_error(w->pg));
}

static bool on_assign(void *ctx, const int32_t *parts, int64_t *offsets,
		      size_t n)
{
	struct inserter *in = ctx;

	for (size_t i = 0; i < n; i++)
		if (parts[i] < 0 || grow_partitions(in, (size_t)parts[i] + 1))
			return false;
	if (in->state != ST_UP)
		return false; /* resync assigns them once PostgreSQL is back */
	if (pgstore_load_offsets(in->w[0].pg, in->cfg->topic, parts, offsets,
				 n)) {
		go_down(in, pgstore_error(in->w[0].pg));
		return false;
	}
	for (size_t i = 0; i < n; i++)
		pr_debug("kafka: partition %" PRId32 " starts at %s%" PRId64,
			 parts[i],
			 offsets[i] < 0 ? "the group's offset, stored "
					: "offset ",
			 offsets[i]);
	return true;
}

static void on_revoke(void *ctx)
{
	struct inserter *in = ctx;

	if (in->state == ST_UP)
		flush(in);
	batch_reset(in);
}

static void kafka_event(struct inserter *in, const rd_kafka_message_t *msg)
{
	uint32_t supp;

	if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		return;
	if (ratelimit_ok(&in->rl_kafka, clock_mono_ns(), &supp))
		pr_warn("kafka: %s", rd_kafka_message_errstr(msg));
}

static bool batch_due(const struct inserter *in, uint64_t now)
{
	return in->b_msgs &&
	       (in->b_rows >= in->cfg->batch_rows ||
		in->b_msgs >= in->cfg->batch_rows || now >= in->b_deadline ||
		in->dead_bytes >= DEAD_BYTES_MAX);
}

/* Whether fd is readable; an fd that cannot be polled counts as yes. */
static bool readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

static void loop(struct inserter *in, int stop_fd)
{
	uint64_t stop_checked = 0;

	for (;;) {
		uint64_t now = now_ms();
		rd_kafka_message_t *msg;
		int timeout = POLL_MS;

		if (now != stop_checked) {
			if (readable(stop_fd))
				break;
			stop_checked = now;
		}

		if (in->state == ST_DOWN && now >= in->retry_at)
			try_up(in);
		if (in->state == ST_UP && in->need_resync)
			resync(in);
		if (in->state == ST_UP && in->b_msgs == 0 &&
		    now >= in->next_maint) {
			in->next_maint = now + MAINT_EVERY_MS;
			if (pgstore_maintain(in->w[0].pg,
					     in->cfg->retention_days))
				go_down(in, pgstore_error(in->w[0].pg));
		}
		if (in->state == ST_UP && in->b_msgs)
			timeout = in->b_deadline > now
					  ? (int)(in->b_deadline - now)
					  : 0;
		if (timeout > POLL_MS)
			timeout = POLL_MS;
		msg = kconsumer_poll(in->kc, timeout);
		if (msg && !msg->err)
			in->empty_since = 0;
		else if (!in->empty_since)
			in->empty_since = now_ms();
		if (in->state == ST_UP && !in->need_resync && !msg &&
		    stalled(in, now_ms()))
			in->need_resync = true;
		if (msg) {
			if (msg->err)
				kafka_event(in, msg);
			else if (in->state == ST_UP && !in->need_resync)
				handle(in, msg);
			/* else: PostgreSQL is down; it is fetched again after resync */
			rd_kafka_message_destroy(msg);
		}
		if (in->state == ST_UP && batch_due(in, now_ms()))
			flush(in);
	}
}

int inserter_run(const struct inserter_config *cfg, int stop_fd,
		 struct inserter_stats *st, char *err, size_t errlen)
{
	struct kconsumer_config kcfg = {
		.brokers = cfg->brokers,
		.topic = cfg->topic,
		.group = cfg->group,
		.props = cfg->props,
		.n_props = cfg->n_props,
	};
	struct inserter in = { .cfg = cfg,
			       .st = st,
			       .backoff_ms = BACKOFF_MIN_MS };
	struct kconsumer_hooks hooks = { .on_assign = on_assign,
					 .on_revoke = on_revoke,
					 .ctx = &in };
	int rc = -1;

	in.nw = cfg->writers < 1	     ? 1
		: cfg->writers > MAX_WRITERS ? MAX_WRITERS
					     : cfg->writers;
	if (pbdec_init(&in.dec, 0))
		goto oom;
	for (unsigned i = 0; i < in.nw; i++) {
		if (copybin_init(&in.w[i].cb, 2 * CHUNK_BYTES, ROWBUF_MAX) ||
		    !(in.w[i].pg = pgstore_new(cfg->conninfo)))
			goto oom;
	}
	if (grow_partitions(&in, 64))
		goto oom;
	in.kc = kconsumer_open(&kcfg, &hooks, err, errlen);
	if (!in.kc) {
		rc = -EINVAL;
		goto out;
	}
	pr_info("insert: %s topic %s group %s -> postgres (%u writer%s), batches of %u rows / %u ms",
		cfg->brokers, cfg->topic, cfg->group, in.nw,
		in.nw > 1 ? "s" : "", cfg->batch_rows, cfg->batch_ms);
	in.state = ST_DOWN;
	in.retry_at = now_ms();
	loop(&in, stop_fd);
	if (in.state == ST_UP)
		flush(&in);
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
	rc = -ENOMEM;
out:
	kconsumer_close(
		in.kc); /* the revoke hook may flush: writers still open */
	if (in.ps)
		batch_reset(&in);
	for (unsigned i = 0; i < in.nw; i++) {
		struct writer *w = &in.w[i];

		pgstore_free(w->pg);
		copybin_fini(&w->cb);
		free(w->dead);
		free(w->b_parts);
		free(w->b_first);
		free(w->b_next);
	}
	pbdec_fini(&in.dec);
	free(in.ps);
	free(in.a_parts);
	free(in.a_offs);
	return rc;
}
