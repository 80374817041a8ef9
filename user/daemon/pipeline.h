/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow_sink a worker hands to decode: each flow is encoded into the
 * worker's own buffer and written to the shared publisher. No allocation
 * per flow; one pipeline per worker, not shared between threads. With an
 * enricher, each flow is enriched (enricher_apply, beside the record, never
 * copied) from the tables its worker holds for the current batch, and
 * encoded with what enrichment added. With a publisher that takes runs
 * (the file output), flows are encoded back to back into the worker's run
 * and handed over as one run per pipeline_flush (the worker calls it after
 * every batch) or when the run is full: one publisher lock per batch
 * instead of one per flow, the same bytes in the same order.
 */
#ifndef XDPFLOW_DAEMON_PIPELINE_H
#define XDPFLOW_DAEMON_PIPELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"
#include "encode/encode.h"
#include "enrich/enricher.h"
#include "publish/publish.h"

struct pipeline {
	struct flow_sink sink; /* first: decode calls sink.emit */
	enum out_format format;
	enum out_schema schema;
	struct publisher *pub;	    /* borrowed */
	const struct enricher *enr; /* NULL: flows are not enriched */
	/* The enrichment tables of the batch being decoded (its worker's
	 * enricher_begin), NULL outside a batch or without an enricher. */
	const struct enrich_tables *tables;
	bool runs; /* pub takes runs: flows go to run[] first */
	size_t run_len, run_flows;
	_Atomic uint64_t flows;		/* handed to the publisher */
	_Atomic uint64_t encode_errors; /* flows that did not encode */
	_Atomic uint64_t write_errors;	/* publisher_write refusals */
	uint8_t buf[ENCODE_MAX_LEN];
	uint8_t run[PUBLISH_MAX_RUN];
};

/* Sets up p to encode as format (pb in the given schema) and write to pub
 * (which must outlive p). */
void pipeline_init(struct pipeline *p, enum out_format format,
		   enum out_schema schema, struct publisher *pub);

/* Hands the flows of p's run (if any) to the publisher, counted as
 * written or as write errors. Call it after each batch, and after anything
 * else that may emit (held sets expired or replayed), before the worker
 * lets go of its lock. */
void pipeline_flush(struct pipeline *p);

/* Makes p enrich the flows it gets while p->tables is set (by the worker,
 * around each batch) with enr (borrowed; NULL: never). */
void pipeline_set_enricher(struct pipeline *p, const struct enricher *enr);

#endif
