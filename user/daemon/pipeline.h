/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow_sink a worker hands to decode: each flow is encoded into the
 * worker's own buffer and written to the shared publisher. No allocation
 * per flow; one pipeline per worker, not shared between threads.
 */
#ifndef XDPFLOW_DAEMON_PIPELINE_H
#define XDPFLOW_DAEMON_PIPELINE_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/flow.h"
#include "encode/encode.h"
#include "publish/publish.h"

struct pipeline {
	struct flow_sink sink; /* first: decode calls sink.emit */
	enum out_format format;
	enum out_schema schema;
	struct publisher *pub;		/* borrowed */
	_Atomic uint64_t flows;		/* handed to the publisher */
	_Atomic uint64_t encode_errors; /* flows that did not encode */
	_Atomic uint64_t write_errors;	/* publisher_write refusals */
	uint8_t buf[ENCODE_MAX_LEN];
};

/* Sets up p to encode as format (pb in the given schema) and write to pub
 * (which must outlive p). */
void pipeline_init(struct pipeline *p, enum out_format format,
		   enum out_schema schema, struct publisher *pub);

#endif
