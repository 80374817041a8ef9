/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared between enricher.c and enricher_apply.c only: turning one
 * enrich_result into a flow_enriched, and noting a flow's exporter.
 */
#ifndef XDPFLOW_ENRICH_ENRICHER_INTERNAL_H
#define XDPFLOW_ENRICH_ENRICHER_INTERNAL_H

#include "common/flow.h"
#include "enrich/enrich_types.h"
#include "enrich/enricher.h"

/* Notes the exporter at a (one flow's sampler_address) for the SNMP
 * poller and for classification (the next enricher_poll classifies a new
 * one). Lock-free, no allocation; any worker. */
void enricher_note_exporter(const struct enricher *x,
			    const struct flow_addr *a);

/* The same for the exporters of n records. */
void enricher_note_exporters(const struct enricher *x,
			     const struct flow_rec *recs, size_t n);

/* Fills *out for rec from the lookups r under policy p. */
void enricher_fill(const struct enricher_asn_policy *p,
		   const struct flow_rec *rec, const struct enrich_result *r,
		   struct flow_enriched *out);

#endif
