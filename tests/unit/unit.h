/* SPDX-License-Identifier: Apache-2.0 */
/* Common includes for cmocka unit tests and a flow collector sink. */
#ifndef XDPFLOW_TESTS_UNIT_H
#define XDPFLOW_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/flow.h"

/* A flow_sink that keeps up to UNIT_MAX_FLOWS flows for assertions. */
#define UNIT_MAX_FLOWS 64
struct unit_sink {
	struct flow_sink sink;
	size_t n;
	size_t seen;
	struct flow_rec flows[UNIT_MAX_FLOWS];
};

static void unit_sink_emit(struct flow_sink *s, const struct flow_rec *rec)
{
	struct unit_sink *u = (struct unit_sink *)s;

	if (u->n < UNIT_MAX_FLOWS)
		u->flows[u->n++] = *rec;
	u->seen++;
}

static inline void unit_sink_init(struct unit_sink *u)
{
	memset(u, 0, sizeof(*u));
	u->sink.emit = unit_sink_emit;
}

#endif
