/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The optional HTTP endpoint (--metrics): Prometheus text at /metrics, built
 * from a stats snapshot per scrape, and /__health: 200 "ok", or 503 with
 * the reason when health_check (daemon/health.h) says the daemon is not
 * healthy, and /templates, the template cache as JSON (templates_json.h).
 * Served by libmicrohttpd's own thread.
 */
#ifndef XDPFLOW_DAEMON_METRICS_HTTP_H
#define XDPFLOW_DAEMON_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "daemon/stats_report.h"

struct metrics_http;

/* Starts serving on addr (dual-stack when dual_stack); src must outlive the
 * server; Kafka may be unreachable for kafka_timeout_ns before /__health
 * fails. Returns 0 and *out, or -errno with a one-line reason in err. */
int metrics_http_start(const struct sockaddr *addr, socklen_t addrlen,
		       bool dual_stack, const struct stats_source *src,
		       uint64_t kafka_timeout_ns, struct metrics_http **out,
		       char *err, size_t errlen);

/* Stops the server and frees it. NULL-safe. */
void metrics_http_stop(struct metrics_http *m);

#endif
