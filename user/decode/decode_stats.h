/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-exporter decode counters. Every packet-level outcome (good or bad) has
 * a reason in enum dstat; errors are also logged through the exporter's own
 * rate limiter. The table is bounded: exporters beyond its capacity share one
 * overflow entry, so a spoofed-source flood cannot exhaust memory.
 */
#ifndef XDPFLOW_DECODE_STATS_H
#define XDPFLOW_DECODE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"
#include "common/log.h"

#define DSTAT_LIST(X)                                                          \
	X(PACKETS, "packets")                                                  \
	X(FLOWS, "flows")                                                      \
	X(REVERSE_FLOWS, "reverse_flows")                                      \
	X(NF5_PACKETS, "netflow_v5_packets")                                   \
	X(NF9_PACKETS, "netflow_v9_packets")                                   \
	X(IPFIX_PACKETS, "ipfix_packets")                                      \
	X(SFLOW_PACKETS, "sflow_packets")                                      \
	X(TEMPLATES, "templates")                                              \
	X(OPTIONS_TEMPLATES, "options_templates")                              \
	X(TEMPLATE_WITHDRAWALS, "template_withdrawals")                        \
	X(TEMPLATES_EVICTED, "templates_evicted")                              \
	X(OPTIONS_RECORDS, "options_records")                                  \
	X(SETS_HELD, "sets_held")                                              \
	X(SETS_REPLAYED, "sets_replayed")                                      \
	X(PADDING_BYTES, "padding_bytes")                                      \
	X(SFLOW_FLOW_SAMPLES, "sflow_flow_samples")                            \
	X(SFLOW_COUNTER_SAMPLES, "sflow_counter_samples")                      \
	X(SFLOW_DISCARD_SAMPLES, "sflow_discard_samples")                      \
	X(SFLOW_UNKNOWN_SAMPLES, "sflow_unknown_samples")                      \
	X(SFLOW_UNKNOWN_RECORDS, "sflow_unknown_records")                      \
	/* errors from here on (DSTAT_ERR_FIRST) */                            \
	X(ERR_TRUNCATED, "error_truncated")                                    \
	X(ERR_VERSION, "error_unknown_version")                                \
	X(ERR_LENGTH, "error_bad_length")                                      \
	X(ERR_SET, "error_bad_set")                                            \
	X(ERR_TEMPLATE, "error_bad_template")                                  \
	X(ERR_NO_TEMPLATE, "error_missing_template")                           \
	X(ERR_HELD_EXPIRED, "error_held_set_expired")                          \
	X(ERR_HELD_OVERFLOW, "error_held_set_overflow")                        \
	X(ERR_SFLOW_SAMPLE, "error_sflow_bad_sample")                          \
	X(ERR_SFLOW_RECORD, "error_sflow_bad_record")                          \
	X(ERR_SFLOW_COUNT, "error_sflow_bad_count")                            \
	X(ERR_SFLOW_HEADER, "error_sflow_bad_header")                          \
	X(ERR_NOT_ALLOWED, "error_exporter_not_allowed")

enum dstat {
#define DSTAT_ENUM(id, name) DSTAT_##id,
	DSTAT_LIST(DSTAT_ENUM)
#undef DSTAT_ENUM
		DSTAT__COUNT,
	DSTAT_ERR_FIRST = DSTAT_ERR_TRUNCATED,
};

/* Metric-style name of a counter ("error_truncated"). */
const char *dstat_name(enum dstat s);

struct exporter_stats {
	struct flow_addr addr; /* len 0: the shared overflow entry */
	uint64_t c[DSTAT__COUNT];
	struct ratelimit rl;
};

struct dstats_table {
	struct exporter_stats *slots; /* open addressing, cap a power of 2 */
	uint8_t *used;
	size_t cap;
	size_t n;
	struct exporter_stats overflow;
};

/* Initialises a table holding up to max_exporters distinct exporters.
 * Returns 0 or -ENOMEM. */
int dstats_init(struct dstats_table *t, size_t max_exporters);
void dstats_fini(struct dstats_table *t);

/* The entry for an exporter, created on first sight; never NULL (the
 * overflow entry when the table is full). */
struct exporter_stats *dstats_get(struct dstats_table *t,
				  const struct flow_addr *exporter);

/* Counts an error against an exporter and logs it, rate-limited per
 * exporter. `what` says what was wrong, e.g. "set length 70000 past end". */
void dstats_error(struct exporter_stats *es, enum dstat reason, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));

/* Calls fn for every exporter entry in use, the overflow entry last if it
 * counted anything. */
void dstats_foreach(const struct dstats_table *t,
		    void (*fn)(const struct exporter_stats *es, void *arg),
		    void *arg);

#endif
