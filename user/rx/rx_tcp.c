// SPDX-License-Identifier: Apache-2.0
/*
 * IPFIX over TCP (see rx_tcp.h): an epoll set of the listener and up to
 * RX_TCP_MAX_CONN connections, each with a buffer that holds at least one
 * whole message (65535 bytes at most). rx_recv first compacts the buffers
 * (the previous batch is released by then), closes the connections that
 * ended, accepts and reads what epoll reports ready, then cuts complete
 * messages out of every buffer, oldest connection first, up to max.
 * With TLS (tls_server.h) a connection reads through OpenSSL instead of
 * read(2); bytes OpenSSL already holds are read at every recv, since no
 * readiness wait reports them.
 */
#include "rx/rx_tcp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/log.h"
#include "rx/tls_server.h"

#define BUF_LEN (2 * 65536)
#define IPFIX_HDR_LEN 16
#define LISTENER_TAG UINT32_MAX

struct conn {
	int fd;	    /* -1: free slot */
	bool ended; /* EOF, error or bad framing: close at next recv */
	struct flow_addr peer;
	uint16_t peer_port;
	uint8_t *buf;	      /* BUF_LEN */
	size_t len, off;      /* bytes held; handed out up to off */
	struct tls_conn *tls; /* NULL: plain TCP */
	bool full;	      /* the last read stopped at a full buffer */
	bool pollout;	      /* registered for EPOLLOUT too (TLS) */
};

struct rx_tcp {
	struct rx rx; /* rx.fd: the epoll set */
	int lfd;
	uint16_t local_port;
	struct tls_server *tls; /* NULL: plain TCP */
	struct ratelimit rl;	/* TLS failures in the log */
	char name[128];		/* the listener, for the log */
	struct conn conn[RX_TCP_MAX_CONN];
};

static void peer_addr(const struct sockaddr_storage *ss, struct flow_addr *a,
		      uint16_t *port)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0,	0,
					      0, 0, 0, 0, 0xff, 0xff };

	memset(a, 0, sizeof(*a));
	*port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		a->len = 4;
		memcpy(a->b, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		if (memcmp(&s6->sin6_addr, v4mapped, sizeof(v4mapped)) == 0) {
			a->len = 4;
			memcpy(a->b, (const uint8_t *)&s6->sin6_addr + 12, 4);
		} else {
			a->len = 16;
			memcpy(a->b, &s6->sin6_addr, 16);
		}
		*port = ntohs(s6->sin6_port);
	}
}

static void conn_close(struct rx_tcp *t, struct conn *c)
{
	epoll_ctl(t->rx.fd, EPOLL_CTL_DEL, c->fd, NULL);
	tls_conn_free(c->tls);
	c->tls = NULL;
	close(c->fd);
	c->fd = -1;
	c->ended = false;
	c->full = c->pollout = false;
	c->len = c->off = 0;
}

/* Keepalive on an accepted connection (see rx_tcp.h); false if refused. */
static bool set_keepalive(int fd)
{
	static const int on = 1, idle = RX_TCP_KEEPIDLE_S,
			 intvl = RX_TCP_KEEPINTVL_S, cnt = RX_TCP_KEEPCNT;

	return !setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) &&
	       !setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle,
			   sizeof(idle)) &&
	       !setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
			   sizeof(intvl)) &&
	       !setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

static void accept_all(struct rx_tcp *t)
{
	for (int i = 0; i < RX_TCP_MAX_CONN + 1; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(t->lfd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c = NULL;
		struct epoll_event ev = { .events = EPOLLIN };

		if (fd < 0)
			return;
		for (size_t k = 0; k < RX_TCP_MAX_CONN && !c; k++)
			if (t->conn[k].fd < 0)
				c = &t->conn[k];
		if (!c || (!c->buf && !(c->buf = malloc(BUF_LEN))) ||
		    (t->tls && !(c->tls = tls_conn_new(t->tls, fd)))) {
			rx_count(&t->rx.cnt.errors,
				 1); /* too many, or no memory */
			close(fd);
			continue;
		}
		ev.data.u32 = (uint32_t)(c - t->conn);
		if (!set_keepalive(fd) ||
		    epoll_ctl(t->rx.fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			rx_count(&t->rx.cnt.errors, 1);
			tls_conn_free(c->tls);
			c->tls = NULL;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->ended = false;
		c->len = c->off = 0;
		peer_addr(&ss, &c->peer, &c->peer_port);
	}
}

/* A TLS connection's read: what fits, through OpenSSL. A failure is
 * counted and logged (rate-limited) with its reason, and ends it. */
static void tls_read(struct rx_tcp *t, struct conn *c)
{
	char reason[160], peer[INET6_ADDRSTRLEN];
	enum tls_read_status st = TLS_READ_DATA;
	uint32_t suppressed;
	bool out;

	while (c->len < BUF_LEN && !c->ended) {
		size_t n = tls_conn_read(c->tls, c->buf + c->len,
					 BUF_LEN - c->len, &st, reason,
					 sizeof(reason));

		if (st == TLS_READ_DATA) {
			c->len += n;
			continue;
		}
		if (st == TLS_READ_FAILED) {
			rx_count(&t->rx.cnt.errors, 1);
			if (ratelimit_ok(&t->rl, clock_mono_ns(), &suppressed))
				pr_warn("%s: TLS with %s port %u failed: %s%s",
					t->name,
					flow_addr_str(&c->peer, peer,
						      sizeof(peer)),
					c->peer_port, reason,
					suppressed ? " (and others)" : "");
		}
		if (st != TLS_READ_AGAIN)
			c->ended = true;
		break;
	}
	c->full = c->len == BUF_LEN;
	/* The handshake's reply waits for room in the socket buffer. */
	out = !c->ended && st == TLS_READ_AGAIN && tls_conn_wants_write(c->tls);
	if (out != c->pollout) {
		struct epoll_event ev = {
			.events = EPOLLIN | (out ? EPOLLOUT : 0),
			.data.u32 = (uint32_t)(c - t->conn),
		};

		if (epoll_ctl(t->rx.fd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
			c->pollout = out;
	}
}

/* Reads what fits; EOF or an error ends the connection (what it held
 * whole is still handed out). */
static void conn_read(struct rx_tcp *t, struct conn *c)
{
	if (c->tls) {
		tls_read(t, c);
		return;
	}
	while (c->len < BUF_LEN && !c->ended) {
		ssize_t n = read(c->fd, c->buf + c->len, BUF_LEN - c->len);

		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rx_count(&t->rx.cnt.errors, 1);
		c->ended = true;
	}
}

int rx_tcp_frame(const uint8_t *p, size_t len)
{
	uint16_t mlen;

	if (len < 4)
		return 0;
	mlen = be16_at(p + 2);
	if (be16_at(p) != 10 || mlen < IPFIX_HDR_LEN)
		return -EPROTO;
	return mlen <= len ? mlen : 0;
}

static int tcp_recv(struct rx *rx, struct datagram *dgs, size_t max)
{
	struct rx_tcp *t = (struct rx_tcp *)rx;
	struct epoll_event evs[RX_TCP_MAX_CONN + 1];
	uint64_t now, bytes = 0;
	size_t out = 0;
	int n;

	for (size_t k = 0; k < RX_TCP_MAX_CONN; k++) {
		struct conn *c = &t->conn[k];

		if (c->fd < 0)
			continue;
		if (c->off) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		/* Ended with nothing whole left: a partial message is lost. */
		if (c->ended && rx_tcp_frame(c->buf, c->len) <= 0) {
			if (c->len)
				rx_count(&rx->cnt.truncated, 1);
			conn_close(t, c);
			continue;
		}
		/* Bytes OpenSSL holds, or a read cut by a full buffer. */
		if (c->tls && !c->ended &&
		    (c->full || tls_conn_pending(c->tls)))
			conn_read(t, c);
	}
	n = epoll_wait(rx->fd, evs, RX_TCP_MAX_CONN + 1, 0);
	for (int i = 0; i < n; i++) {
		if (evs[i].data.u32 == LISTENER_TAG)
			accept_all(t);
		else if (evs[i].data.u32 < RX_TCP_MAX_CONN &&
			 t->conn[evs[i].data.u32].fd >= 0)
			conn_read(t, &t->conn[evs[i].data.u32]);
	}
	now = clock_realtime_ns();
	for (size_t k = 0; k < RX_TCP_MAX_CONN && out < max; k++) {
		struct conn *c = &t->conn[k];

		while (c->fd >= 0 && out < max) {
			const uint8_t *m = c->buf + c->off;
			int mlen = rx_tcp_frame(m, c->len - c->off);

			if (mlen < 0) {
				/* Not an IPFIX stream: drop it. The peer sees
				 * the end now; the fd (and the buffer this
				 * batch may point into) goes at the next recv,
				 * which the hangup makes due. */
				rx_count(&rx->cnt.errors, 1);
				shutdown(c->fd, SHUT_RDWR);
				c->ended = true;
				c->len = c->off; /* nothing more from it */
				break;
			}
			if (mlen == 0)
				break;
			dgs[out] = (struct datagram){
				.data = m,
				.len = (size_t)mlen,
				.exporter = c->peer,
				.exporter_port = c->peer_port,
				.local_port = t->local_port,
				.time_received_ns = now,
				.hint = DECODE_NETFLOW,
			};
			c->off += (size_t)mlen;
			bytes += (size_t)mlen;
			out++;
		}
	}
	rx_count(&rx->cnt.packets, out);
	rx_count(&rx->cnt.bytes, bytes);
	return (int)out;
}

static void tcp_close(struct rx *rx)
{
	struct rx_tcp *t = (struct rx_tcp *)rx;

	for (size_t k = 0; k < RX_TCP_MAX_CONN; k++) {
		tls_conn_free(t->conn[k].tls);
		if (t->conn[k].fd >= 0)
			close(t->conn[k].fd);
		free(t->conn[k].buf);
	}
	tls_server_free(t->tls);
	if (t->lfd >= 0)
		close(t->lfd);
	if (rx->fd >= 0)
		close(rx->fd);
	free(t);
}

static const struct rx_ops tcp_ops = {
	.name = "tcp",
	.recv = tcp_recv,
	.release = NULL, /* buffers are compacted at the next recv */
	.close = tcp_close,
};

int rx_tcp_open(const struct rx_tcp_config *cfg, struct rx **out, char *err,
		size_t errlen)
{
	struct rx_tcp *t = calloc(1, sizeof(*t));
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = LISTENER_TAG };
	int one = 1, zero = 0, rc;
	const char *what;

	if (!t) {
		snprintf(err, errlen, "could not open %s: %s", cfg->name,
			 strerror(ENOMEM));
		return -ENOMEM;
	}
	t->rx.ops = &tcp_ops;
	for (size_t k = 0; k < RX_TCP_MAX_CONN; k++)
		t->conn[k].fd = -1;
	t->local_port = ntohs(
		cfg->addr->sa_family == AF_INET6
			? ((const struct sockaddr_in6 *)cfg->addr)->sin6_port
			: ((const struct sockaddr_in *)cfg->addr)->sin_port);
	snprintf(t->name, sizeof(t->name), "%s", cfg->name);
	if (cfg->tls_cert) {
		t->tls = tls_server_new(cfg->tls_cert, cfg->tls_key,
					cfg->tls_ca, err, errlen);
		if (!t->tls) {
			t->rx.fd = t->lfd = -1;
			tcp_close(&t->rx);
			return -EINVAL;
		}
	}
	t->rx.fd = epoll_create1(EPOLL_CLOEXEC);
	t->lfd = socket(cfg->addr->sa_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->rx.fd < 0 || t->lfd < 0) {
		rc = -errno;
		what = "create a socket for";
		goto err;
	}
	if (setsockopt(t->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) <
		    0 ||
	    (cfg->addr->sa_family == AF_INET6 &&
	     setsockopt(t->lfd, IPPROTO_IPV6, IPV6_V6ONLY,
			cfg->dual_stack ? &zero : &one, sizeof(one)) < 0)) {
		rc = -errno;
		what = "set the options of";
		goto err;
	}
	if (bind(t->lfd, cfg->addr, cfg->addrlen) < 0) {
		rc = -errno;
		what = "bind";
		goto err;
	}
	if (listen(t->lfd, 64) < 0 ||
	    epoll_ctl(t->rx.fd, EPOLL_CTL_ADD, t->lfd, &ev) < 0) {
		rc = -errno;
		what = "listen on";
		goto err;
	}
	*out = &t->rx;
	return 0;

err:
	snprintf(err, errlen, "could not %s %s: %s", what, cfg->name,
		 strerror(-rc));
	tcp_close(&t->rx);
	return rc;
}
