/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The template cache as JSON, for /templates on the metrics server (what
 * GoFlow2's /templates shows): every NetFlow v9 and IPFIX template each
 * worker's decode context holds, by exporter, version, observation domain
 * and template id, with its fields and when it was last announced.
 *
 *   {"templates":[{"exporter":"198.18.0.1","version":9,"domain":0,
 *     "id":256,"options":false,"scope_fields":0,"worker":0,
 *     "last_seen":"2026-12-04T21:00:00.123Z","last_seen_ns":N,
 *     "fields":[{"pen":0,"ie":8,"len":4},...]},...]}
 *
 * Per worker, least recently used first; last_seen is null (last_seen_ns
 * 0) for a template loaded from --templates-file and not announced since;
 * len 65535 is IPFIX's variable length.
 */
#ifndef XDPFLOW_DAEMON_TEMPLATES_JSON_H
#define XDPFLOW_DAEMON_TEMPLATES_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "daemon/worker.h"

/* Writes the JSON above for the n workers to f, locking each worker in
 * turn (the lock the templates-file save takes). */
void templates_json_write(struct worker *ws, size_t n, FILE *f);

#endif
