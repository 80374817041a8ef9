/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow_sink a worker hands to decode: each flow is encoded into the
 * worker's own buffer and written to the shared publisher. No allocation
 * per flow; one pipeline per worker, not shared between threads. With an
 * enricher, each flow is enriched (enricher_apply, beside the record, never
 * copied) from the tables its worker holds for the current batch, and
 * encoded with what enrichment added.
 */
#ifndef XDPFLOW_DAEMON_PIPELINE_H
#define XDPFLOW_DAEMON_PIPELINE_H

#include <stdatomic.h>
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
	_Atomic uint64_t flows;		/* handed to the publisher */
	_Atomic uint64_t encode_errors; /* flows that did not encode */
	_Atomic uint64_t write_errors;	/* publisher_write refusals */
	uint8_t buf[ENCODE_MAX_LEN];
};

/* Sets up p to encode as format (pb in the given schema) and write to pub
 * (which must outlive p). */
void pipeline_init(struct pipeline *p, enum out_format format,
		   enum out_schema schema, struct publisher *pub);

/* Makes p enrich the flows it gets while p->tables is set (by the worker,
 * around each batch) with enr (borrowed; NULL: never). */
void pipeline_set_enricher(struct pipeline *p, const struct enricher *enr);

#endif
