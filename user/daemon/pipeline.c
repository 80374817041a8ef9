// SPDX-License-Identifier: Apache-2.0
/* A worker's flow_sink: enrich (with an enricher, from the batch's
 * tables), encode into the worker's buffer, then publisher_write. Errors are counted, never fatal: one bad flow must not
 * stop the rest. */
#include "daemon/pipeline.h"

#include <stddef.h>
#include <string.h>

static void bump(_Atomic uint64_t *c)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static void pipeline_emit(struct flow_sink *sink, const struct flow_rec *rec)
{
	struct pipeline *p = (struct pipeline *)sink;
	struct flow_enriched e;
	ssize_t n;

	if (p->tables) {
		enricher_apply(p->enr, p->tables, rec, &e);
		n = encode_flow_enriched(p->format, p->schema, rec, &e, p->buf,
					 sizeof(p->buf));
	} else {
		n = encode_flow_schema(p->format, p->schema, rec, p->buf,
				       sizeof(p->buf));
	}

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

void pipeline_init(struct pipeline *p, enum out_format format,
		   enum out_schema schema, struct publisher *pub)
{
	p->sink.emit = pipeline_emit;
	p->format = format;
	p->schema = schema;
	p->pub = pub;
	p->enr = NULL;
	p->tables = NULL;
	atomic_init(&p->flows, 0);
	atomic_init(&p->encode_errors, 0);
	atomic_init(&p->write_errors, 0);
}

void pipeline_set_enricher(struct pipeline *p, const struct enricher *enr)
{
	p->enr = enr;
}
