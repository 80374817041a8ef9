// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the metrics endpoint (daemon/metrics_http.c): the server
 * on a loopback port (IPv4 and IPv6), asked by a plain socket client:
 * /metrics answers 200 with the Prometheus content type and the exposition
 * lines of a worker's known counters, taken per scrape; /__health 503
 * while the worker has not run, "ok" once it goes round its loop;
 * unknown paths 404; other methods 405; HEAD no body; a taken port is a
 * one-line error.
 */
#include "unit.h"
#include "unit_pub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "daemon/metrics_http.h"

struct fixture {
	struct worker_shared sh;
	struct unit_pub pub;
	struct worker w;
	struct stats_source src;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct metrics_http *m;
};

/* A loopback address of family af with a port free right now. */
static void free_addr(struct fixture *f, int af)
{
	int fd = socket(af, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&f->addr, 0, sizeof(f->addr));
	f->addr.ss_family = (sa_family_t)af;
	if (af == AF_INET) {
		((struct sockaddr_in *)&f->addr)->sin_addr.s_addr =
			htonl(INADDR_LOOPBACK);
		f->addrlen = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&f->addr)->sin6_addr = in6addr_loopback;
		f->addrlen = sizeof(struct sockaddr_in6);
	}
	assert_int_equal(bind(fd, (struct sockaddr *)&f->addr, f->addrlen), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&f->addr,
				     &f->addrlen),
			 0);
	close(fd);
}

static void feed(struct fixture *f, unsigned flows)
{
	uint8_t b[24 + 48 * 4];
	struct datagram dg = { .data = b,
			       .len = unit_v5(b, flows, 1),
			       .exporter = { 4, { 198, 18, 7, 9 } },
			       .exporter_port = 40000,
			       .local_port = 2055,
			       .time_received_ns = 1700000001000000000ULL,
			       .hint = DECODE_NETFLOW };

	worker_lock(&f->w);
	assert_int_equal(decode_datagram(f->w.dec, &dg, &f->w.pipe.sink),
			 (int)flows);
	worker_unlock(&f->w);
}

static int start(void **state, int af)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct decode_config dcfg;
	char err[256] = "";
	int rc;

	assert_non_null(f);
	f->sh.batch = 1;
	f->sh.stop_fd = f->sh.done_fd = -1;
	decode_config_defaults(&dcfg);
	unit_pub_init(&f->pub);
	assert_int_equal(worker_init(&f->w, 0, &f->sh, &dcfg, OUT_FORMAT_PB,
				     OUT_SCHEMA_GOFLOW2, &f->pub.pub),
			 0);
	feed(f, 3);
	f->pub.extra.messages = 42;
	f->src = (struct stats_source){ .workers = &f->w,
					.n_workers = 1,
					.pub = &f->pub.pub };
	free_addr(f, af);
	rc = metrics_http_start((struct sockaddr *)&f->addr, f->addrlen, false,
				&f->src, 30 * CLOCK_NS_PER_SEC, &f->m, err,
				sizeof(err));
	if (rc)
		fail_msg("metrics_http_start: %s", err);
	*state = f;
	return 0;
}

static int start4(void **state)
{
	return start(state, AF_INET);
}

static int start6(void **state)
{
	return start(state, AF_INET6);
}

static int stop(void **state)
{
	struct fixture *f = *state;

	metrics_http_stop(f->m);
	worker_fini(&f->w);
	free(f);
	return 0;
}

/* Sends req, reads the whole answer (a HTTP/1.0 request: the server answers in HTTP/1.1 and closes), at
 * most cap - 1 bytes, bounded by 5 s of silence. */
static char *ask(struct fixture *f, const char *req)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = calloc(1, cap);
	int fd = socket(f->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_non_null(buf);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&f->addr, f->addrlen),
			 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		assert_int_equal(poll(&p, 1, 5000), 1);
		r = read(fd, buf + n, cap - 1 - n);
		assert_true(r >= 0);
		if (r == 0)
			break;
		n += (size_t)r;
		assert_true(n < cap - 1);
	}
	close(fd);
	return buf;
}

static const char *body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");

	assert_non_null(b);
	return b + 4;
}

static void check_metrics(struct fixture *f)
{
	char *r = ask(f, "GET /metrics HTTP/1.0\r\n\r\n");
	const char *body = body_of(r);

	if (strncmp(r, "HTTP/1.1 200 OK\r\n", 17) != 0)
		fail_msg("answer: %.200s", r);
	assert_non_null(
		strcasestr(r,
			   "\r\nContent-Type: text/plain; version=0.0.4; "
			   "charset=utf-8\r\n"));
	assert_int_equal(strncmp(body, "# HELP xdpflow_decode_packets_total ",
				 36),
			 0);
	assert_non_null(strstr(
		body,
		"# TYPE xdpflow_decode_packets_total counter\n"
		"xdpflow_decode_packets_total{exporter=\"198.18.7.9\"} 1\n"));
	assert_non_null(strstr(
		body,
		"\nxdpflow_decode_flows_total{exporter=\"198.18.7.9\"} 3\n"));
	assert_non_null(strstr(body, "\nxdpflow_exporters 1\n"));
	assert_non_null(strstr(body, "\nxdpflow_workers 1\n"));
	assert_non_null(
		strstr(body,
		       "\n# HELP xdpflow_publish_flows_total Flows handed to the publisher.\n"
		       "# TYPE xdpflow_publish_flows_total counter\n"
		       "xdpflow_publish_flows_total 3\n"));
	assert_non_null(strstr(body, "\nxdpflow_publish_messages_total 42\n"));
	/* Every line a comment or "name[{labels}] value", newline-ended. */
	for (const char *l = body; *l;) {
		const char *e = strchr(l, '\n'), *sp;

		assert_non_null(e);
		if (*l != '#') {
			assert_int_equal(strncmp(l, "xdpflow_", 8), 0);
			sp = memchr(l, ' ', (size_t)(e - l));
			assert_non_null(sp);
			assert_true(sp + 1 < e);
			for (const char *d = sp + 1; d < e; d++)
				assert_true(*d >= '0' && *d <= '9');
		}
		l = e + 1;
	}
	free(r);
}

static void test_metrics(void **state)
{
	struct fixture *f = *state;

	check_metrics(f);
	/* Each scrape takes a new snapshot. */
	feed(f, 2);
	{
		char *r = ask(f, "GET /metrics HTTP/1.0\r\n\r\n");

		assert_non_null(strstr(r,
				       "\nxdpflow_decode_flows_total"
				       "{exporter=\"198.18.7.9\"} 5\n"));
		assert_non_null(strstr(r, "\nxdpflow_publish_flows_total 5\n"));
		free(r);
	}
}

static void test_metrics_ipv6(void **state)
{
	check_metrics(*state);
}

static void test_health_and_errors(void **state)
{
	struct fixture *f = *state;
	char *r;

	/* The fixture's worker thread never ran: nothing is receiving. */
	r = ask(f, "GET /__health HTTP/1.0\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 503 ", 13), 0);
	assert_string_equal(
		body_of(r),
		"unhealthy: no worker is receiving (1 stopped or stalled)\n");
	free(r);
	/* As a running worker marks each turn of its loop. */
	atomic_store(&f->w.alive_ns, clock_mono_ns());
	r = ask(f, "GET /__health HTTP/1.0\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 200 OK\r\n", 17), 0);
	assert_string_equal(body_of(r), "ok\n");
	free(r);
	r = ask(f, "GET /nope HTTP/1.0\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 404 ", 13), 0);
	assert_string_equal(body_of(r), "not found\n");
	free(r);
	r = ask(f, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 405 ", 13), 0);
	assert_string_equal(body_of(r), "method not allowed\n");
	free(r);
	r = ask(f, "HEAD /metrics HTTP/1.0\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 200 OK\r\n", 17), 0);
	assert_string_equal(body_of(r), "");
	free(r);
}

/* A second server on the same port: -errno and one line naming it. */
static void test_port_taken(void **state)
{
	struct fixture *f = *state;
	struct metrics_http *m2 = NULL;
	char err[256] = "", want[128];
	int rc = metrics_http_start((struct sockaddr *)&f->addr, f->addrlen,
				    false, &f->src, 30 * CLOCK_NS_PER_SEC, &m2,
				    err, sizeof(err));

	assert_int_equal(rc, -EADDRINUSE);
	assert_null(m2);
	snprintf(want, sizeof(want),
		 "could not start the metrics server on 127.0.0.1:%u: %s",
		 ntohs(((struct sockaddr_in *)&f->addr)->sin_port),
		 strerror(EADDRINUSE));
	assert_string_equal(err, want);
	metrics_http_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_metrics, start4, stop),
		cmocka_unit_test_setup_teardown(test_metrics_ipv6, start6,
						stop),
		cmocka_unit_test_setup_teardown(test_health_and_errors, start4,
						stop),
		cmocka_unit_test_setup_teardown(test_port_taken, start4, stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
