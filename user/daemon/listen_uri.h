/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Listen URIs as GoFlow2 spells them: SCHEME://ADDR:PORT[?count=N], where
 * SCHEME is netflow (v5, v9, IPFIX), sflow, or flow (any of them), ADDR is
 * empty (every address, dual-stack), an IPv4 literal or a bracketed IPv6
 * literal, and count is how many SO_REUSEPORT sockets (one per worker) the
 * listener gets. tcp://ADDR:PORT is IPFIX over TCP (RFC 7011 §10.4): one
 * listening socket, no count; tls://ADDR:PORT is the same over TLS (RFC
 * 7011 §10.4 and §11; IANA port 4740). Parsing only: no sockets are
 * touched here.
 */
#ifndef XDPFLOW_DAEMON_LISTEN_URI_H
#define XDPFLOW_DAEMON_LISTEN_URI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/flow.h"

/* Upper bound of ?count= and --workers (decode_templates_save takes at most
 * 64 contexts). */
#define LISTEN_MAX_COUNT 64

struct listen_uri {
	enum decode_hint hint;
	struct sockaddr_storage addr; /* AF_INET or AF_INET6, port set */
	socklen_t addrlen;
	int any;	/* ADDR was empty: [::] with IPV6_V6ONLY off */
	uint16_t port;	/* host order */
	unsigned count; /* sockets/workers; 0 = not given (use --workers) */
	int tcp; /* tcp:// or tls://: IPFIX over TCP (hint DECODE_NETFLOW) */
	int tls; /* tls://: over TLS (tcp is set too) */
};

/* Parses one URI (no commas). Returns 0, or -EINVAL with a one-line reason
 * in err (which names the offending text). */
int listen_uri_parse(const char *s, struct listen_uri *out, char *err,
		     size_t errlen);

/* Parses a comma-separated list, appending to arr[*n..cap). Returns 0, or
 * -EINVAL (bad URI or empty element) / -E2BIG (more than cap) with a reason
 * in err; *n then counts only the URIs appended before the error. */
int listen_uri_parse_list(const char *s, struct listen_uri *arr, size_t cap,
			  size_t *n, char *err, size_t errlen);

/* The scheme name of a hint: "netflow", "sflow" or "flow" (tcp:// and
 * tls:// are told by listen_uri.tcp and .tls). */
const char *listen_uri_scheme(enum decode_hint hint);

/* Formats u back as a URI ("sflow://[::1]:6343?count=2") into buf; returns
 * buf. */
const char *listen_uri_str(const struct listen_uri *u, char *buf, size_t len);

#endif
