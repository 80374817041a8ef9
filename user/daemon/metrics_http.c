// SPDX-License-Identifier: Apache-2.0
/* /metrics and /__health over libmicrohttpd (see metrics_http.h). */
#include "daemon/metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "daemon/health.h"
#include "daemon/templates_json.h"

struct metrics_http {
	struct MHD_Daemon *d;
	const struct stats_source *src;
	uint64_t kafka_timeout_ns;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
			     const char *type, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result rc;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **req)
{
	struct metrics_http *m = cls;
	static char ok[] = "ok\n", notfound[] = "not found\n",
		    badmethod[] = "method not allowed\n";

	(void)version, (void)upload, (void)upload_len, (void)req;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     badmethod, sizeof(badmethod) - 1,
			     MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/__health") == 0) {
		char why[160], body[192];
		int n;

		if (health_check(m->src, m->kafka_timeout_ns, clock_mono_ns(),
				 why, sizeof(why)))
			return reply(conn, MHD_HTTP_OK, "text/plain", ok,
				     sizeof(ok) - 1, MHD_RESPMEM_PERSISTENT);
		n = snprintf(body, sizeof(body), "unhealthy: %s\n", why);
		return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
			     body,
			     n > 0 && (size_t)n < sizeof(body) ? (size_t)n
							       : strlen(body),
			     MHD_RESPMEM_MUST_COPY);
	}
	if (strcmp(url, "/templates") == 0) {
		char *body = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&body, &len);

		if (!f)
			return MHD_NO;
		templates_json_write(m->src->workers, m->src->n_workers, f);
		if (fclose(f) != 0) {
			free(body);
			return MHD_NO;
		}
		return reply(conn, MHD_HTTP_OK, "application/json", body, len,
			     MHD_RESPMEM_MUST_FREE);
	}
	if (strcmp(url, "/metrics") == 0) {
		struct stats_snapshot s;
		char *body = NULL;
		size_t len = 0;
		FILE *f;

		if (stats_snapshot_take(m->src, &s))
			return MHD_NO;
		f = open_memstream(&body, &len);
		if (!f) {
			stats_snapshot_free(&s);
			return MHD_NO;
		}
		stats_report_prometheus(&s, f);
		stats_snapshot_free(&s);
		if (fclose(f) != 0) {
			free(body);
			return MHD_NO;
		}
		return reply(conn, MHD_HTTP_OK,
			     "text/plain; version=0.0.4; charset=utf-8", body,
			     len, MHD_RESPMEM_MUST_FREE);
	}
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", notfound,
		     sizeof(notfound) - 1, MHD_RESPMEM_PERSISTENT);
}

int metrics_http_start(const struct sockaddr *addr, socklen_t addrlen,
		       bool dual_stack, const struct stats_source *src,
		       uint64_t kafka_timeout_ns, struct metrics_http **out,
		       char *err, size_t errlen)
{
	struct metrics_http *m = calloc(1, sizeof(*m));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	char host[INET6_ADDRSTRLEN] = "";
	uint16_t port;

	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const void *)addr;

		flags |= dual_stack ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
		port = ntohs(a6->sin6_port);
		inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
	} else {
		const struct sockaddr_in *a4 = (const void *)addr;

		port = ntohs(a4->sin_port);
		inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
	}
	(void)addrlen;
	if (!m) {
		snprintf(err, errlen, "could not start the metrics server: %s",
			 strerror(ENOMEM));
		return -ENOMEM;
	}
	m->src = src;
	m->kafka_timeout_ns = kafka_timeout_ns;
	errno = 0;
	m->d = MHD_start_daemon(flags, port, NULL, NULL, handle, m,
				MHD_OPTION_SOCK_ADDR, addr,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				MHD_OPTION_CONNECTION_LIMIT, 16u,
				MHD_OPTION_END);
	if (!m->d) {
		int e = errno ? errno : EADDRINUSE;

		snprintf(err, errlen,
			 "could not start the metrics server on %s%s%s:%u: %s",
			 addr->sa_family == AF_INET6 ? "[" : "", host,
			 addr->sa_family == AF_INET6 ? "]" : "", port,
			 strerror(e));
		free(m);
		return -e;
	}
	*out = m;
	return 0;
}

void metrics_http_stop(struct metrics_http *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}
