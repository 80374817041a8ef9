/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared between enricher.c and enricher_apply.c only: turning one
 * enrich_result into a flow_enriched.
 */
#ifndef XDPFLOW_ENRICH_ENRICHER_INTERNAL_H
#define XDPFLOW_ENRICH_ENRICHER_INTERNAL_H

#include "common/flow.h"
#include "enrich/enrich_types.h"
#include "enrich/enricher.h"

/* Fills *out for rec from the lookups r under policy p. */
void enricher_fill(const struct enricher_asn_policy *p,
		   const struct flow_rec *rec, const struct enrich_result *r,
		   struct flow_enriched *out);

#endif
