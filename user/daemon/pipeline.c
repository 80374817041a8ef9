// SPDX-License-Identifier: Apache-2.0
/* A worker's flow_sink: enrich (with an enricher, from the batch's
 * tables), encode into the worker's buffer, then publisher_write; or, for
 * a publisher that takes runs, encode into the worker's run, handed over
 * whole by pipeline_flush. Errors are counted, never fatal: one bad flow
 * must not stop the rest. */
#include "daemon/pipeline.h"

#include <stddef.h>
#include <string.h>

static void bump(_Atomic uint64_t *c)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static void add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

void pipeline_flush(struct pipeline *p)
{
	if (!p->run_flows)
		return;
	if (publisher_write_run(p->pub, p->run, p->run_len, p->run_flows))
		add(&p->write_errors, p->run_flows);
	else
		add(&p->flows, p->run_flows);
	p->run_len = 0;
	p->run_flows = 0;
}

/* Encodes rec with e into the run, handing the run over first when it may
 * not have room for one more flow. */
static void emit_run(struct pipeline *p, const struct flow_rec *rec,
		     const struct flow_enriched *e)
{
	ssize_t n;

	if (sizeof(p->run) - p->run_len < ENCODE_MAX_LEN)
		pipeline_flush(p);
	n = encode_flow_enriched(p->format, p->schema, rec, e,
				 p->run + p->run_len, ENCODE_MAX_LEN);
	if (n < 0) {
		bump(&p->encode_errors);
		return;
	}
	p->run_len += (size_t)n;
	p->run_flows++;
}

/* Encodes rec with e (its enrichment, NULL: none) and writes it. */
static void emit_one(struct pipeline *p, const struct flow_rec *rec,
		     const struct flow_enriched *e)
{
	ssize_t n;

	if (p->runs) {
		emit_run(p, rec, e);
		return;
	}
	n = encode_flow_enriched(p->format, p->schema, rec, e, p->buf,
				 sizeof(p->buf));
	if (n < 0) {
		bump(&p->encode_errors);
		return;
	}
	/* The flow's sampler is its exporter (Kafka key): held data sets may
	 * be replayed while another exporter's datagram is decoded. */
	if (publisher_write(p->pub, &rec->sampler_address, p->buf, (size_t)n)) {
		bump(&p->write_errors);
		return;
	}
	bump(&p->flows);
}

static void pipeline_emit(struct flow_sink *sink, const struct flow_rec *rec)
{
	struct pipeline *p = (struct pipeline *)sink;
	struct flow_enriched e;

	if (!p->tables) {
		emit_one(p, rec, NULL);
		return;
	}
	enricher_apply(p->enr, p->tables, rec, &e);
	emit_one(p, rec, &e);
}

/* A run of records from one data set: their lookups batched so that their
 * cache misses overlap (enricher_apply_batch), then encoded one by one. */
static void pipeline_emit_batch(struct flow_sink *sink,
				const struct flow_rec *recs, size_t n)
{
	enum { CHUNK = 32 }; /* a whole DECODE_BATCH: 64 lookups in flight */
	struct pipeline *p = (struct pipeline *)sink;
	struct flow_enriched e[CHUNK];

	if (!p->tables) {
		for (size_t i = 0; i < n; i++)
			emit_one(p, &recs[i], NULL);
		return;
	}
	for (size_t at = 0; at < n; at += CHUNK) {
		size_t m = n - at < CHUNK ? n - at : CHUNK;

		enricher_apply_batch(p->enr, p->tables, recs + at, m, e);
		for (size_t i = 0; i < m; i++)
			emit_one(p, &recs[at + i], &e[i]);
	}
}

void pipeline_init(struct pipeline *p, enum out_format format,
		   enum out_schema schema, struct publisher *pub)
{
	p->sink.emit = pipeline_emit;
	p->sink.emit_batch = NULL; /* pipeline_set_enricher sets it */
	p->format = format;
	p->schema = schema;
	p->pub = pub;
	p->runs = publisher_takes_runs(pub);
	p->run_len = 0;
	p->run_flows = 0;
	p->enr = NULL;
	p->tables = NULL;
	atomic_init(&p->flows, 0);
	atomic_init(&p->encode_errors, 0);
	atomic_init(&p->write_errors, 0);
}

void pipeline_set_enricher(struct pipeline *p, const struct enricher *enr)
{
	p->enr = enr;
	/* Batches only pay off with lookups to overlap. */
	p->sink.emit_batch = enr ? pipeline_emit_batch : NULL;
}
