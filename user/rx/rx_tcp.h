/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct rx over a listening TCP socket carrying IPFIX (RFC 7011 §10.4):
 * each accepted connection is a stream of IPFIX messages, each framed by
 * the length field of its header. Complete messages are handed out as
 * datagrams from the peer's address and port; a stream that is not IPFIX
 * (version other than 10, a length below the header's) is counted as an
 * error and its connection closed. The fd to poll is an epoll set of the
 * listening socket and the connections. At most RX_TCP_MAX_CONN
 * connections at once; further ones are accepted and closed at once
 * (counted as errors). Connections use TCP keepalive (RX_TCP_KEEPIDLE_S
 * idle, then RX_TCP_KEEPCNT probes RX_TCP_KEEPINTVL_S apart), so one left
 * half-open by an exporter that rebooted or vanished is closed within
 * about two minutes instead of holding its slot for ever; a quiet but
 * live exporter is never cut.
 */
#ifndef XDPFLOW_RX_TCP_H
#define XDPFLOW_RX_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rx/rx.h"

#define RX_TCP_MAX_CONN 64
#define RX_TCP_KEEPIDLE_S 60
#define RX_TCP_KEEPINTVL_S 15
#define RX_TCP_KEEPCNT 4

struct rx_tcp_config {
	const struct sockaddr *addr; /* AF_INET or AF_INET6, port set */
	socklen_t addrlen;
	bool dual_stack;  /* AF_INET6 with IPV6_V6ONLY off */
	const char *name; /* for messages, e.g. the listen URI */
	/* IPFIX over TLS (tls_server.h) when tls_cert is set: the PEM
	 * certificate chain and key, and the CA file exporters' certificates
	 * must chain to (NULL: exporters are not authenticated). */
	const char *tls_cert, *tls_key, *tls_ca;
};

/*
 * The framing of an IPFIX stream: given the len bytes at p that start at a
 * message boundary, returns the length of the first message when all of it
 * is there (16..65535, never more than len), 0 when more bytes are needed,
 * or -EPROTO when the stream is not IPFIX (version other than 10, a length
 * below the 16-byte header).
 */
int rx_tcp_frame(const uint8_t *p, size_t len);

/* Opens, binds and listens as cfg says. Returns 0 and *out, or -errno with
 * a one-line reason in err ("could not bind tcp://:4739: ...", or
 * -EINVAL with "could not load the certificate FILE: ..."). */
int rx_tcp_open(const struct rx_tcp_config *cfg, struct rx **out, char *err,
		size_t errlen);

#endif
