// SPDX-License-Identifier: Apache-2.0
/*
 * Receive over a UDP socket: SO_REUSEPORT bind, a forced large receive
 * buffer, recvmmsg batches into slots allocated once at open, source
 * addresses as struct flow_addr (IPv4-mapped IPv6 folded to IPv4), one
 * CLOCK_REALTIME reading per batch, kernel drops from SO_RXQ_OVFL (with
 * each datagram) and SO_MEMINFO (rx_sync, when nothing arrives): both are
 * the socket's running sk_drops count.
 */
#include "rx/rx_socket.h"

#include <errno.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"

#define SLOT_LEN 65536
#define CTRL_LEN CMSG_SPACE(sizeof(uint32_t))

struct rx_socket {
	struct rx rx;
	size_t batch;
	enum decode_hint hint;
	uint16_t local_port;
	uint32_t last_ovfl; /* SO_RXQ_OVFL is a running count per socket */
	struct mmsghdr *msgs;
	struct iovec *iov;
	struct sockaddr_storage *from;
	uint8_t *ctrl; /* batch * CTRL_LEN */
	uint8_t *buf;  /* batch * slot_len */
};

static void addr_from_sockaddr(const struct sockaddr_storage *ss,
			       struct flow_addr *a, uint16_t *port)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0,	0,
					      0, 0, 0, 0, 0xff, 0xff };

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->len = 4;
		memcpy(a->b, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		if (memcmp(&s6->sin6_addr, v4mapped, sizeof(v4mapped)) == 0) {
			a->len = 4;
			memcpy(a->b, (const uint8_t *)&s6->sin6_addr + 12, 4);
		} else {
			a->len = 16;
			memcpy(a->b, &s6->sin6_addr, 16);
		}
		*port = ntohs(s6->sin6_port);
	} else {
		a->len = 0;
		*port = 0;
	}
}

/* Counts the drops up to the kernel's running count ovfl (values older
 * than the last seen, from datagrams queued earlier, are ignored). */
static void drops_to(struct rx_socket *s, uint32_t ovfl)
{
	uint32_t d = ovfl - s->last_ovfl;

	if (d == 0 || d > UINT32_MAX / 2)
		return;
	rx_count(&s->rx.cnt.drops, d);
	s->last_ovfl = ovfl;
}

static void note_drops(struct rx_socket *s, struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		uint32_t ovfl;

		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SO_RXQ_OVFL ||
		    c->cmsg_len < CMSG_LEN(sizeof(ovfl)))
			continue;
		memcpy(&ovfl, CMSG_DATA(c), sizeof(ovfl));
		drops_to(s, ovfl);
	}
}

static int sock_recv(struct rx *rx, struct datagram *dgs, size_t max)
{
	struct rx_socket *s = (struct rx_socket *)rx;
	uint64_t now, bytes = 0;
	size_t want = max < s->batch ? max : s->batch;
	int n, out = 0;

	for (size_t i = 0; i < want; i++) {
		struct msghdr *mh = &s->msgs[i].msg_hdr;

		mh->msg_namelen = sizeof(s->from[i]);
		mh->msg_controllen = CTRL_LEN;
		mh->msg_flags = 0;
	}
	n = recvmmsg(rx->fd, s->msgs, (unsigned)want, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		/* ICMP errors and the like surface here; count, carry on. */
		rx_count(&rx->cnt.errors, 1);
		return 0;
	}
	now = clock_realtime_ns();
	for (int i = 0; i < n; i++) {
		struct msghdr *mh = &s->msgs[i].msg_hdr;
		struct datagram *dg = &dgs[out];

		note_drops(s, mh);
		if (mh->msg_flags & MSG_TRUNC) {
			rx_count(&rx->cnt.truncated, 1);
			continue;
		}
		dg->data = s->iov[i].iov_base;
		dg->len = s->msgs[i].msg_len;
		addr_from_sockaddr(&s->from[i], &dg->exporter,
				   &dg->exporter_port);
		dg->local_port = s->local_port;
		dg->time_received_ns = now;
		dg->hint = s->hint;
		bytes += dg->len;
		out++;
	}
	rx_count(&rx->cnt.packets, (uint64_t)out);
	rx_count(&rx->cnt.bytes, bytes);
	return out;
}

static void sock_close(struct rx *rx)
{
	struct rx_socket *s = (struct rx_socket *)rx;

	if (rx->fd >= 0)
		close(rx->fd);
	free(s->msgs);
	free(s->iov);
	free(s->from);
	free(s->ctrl);
	free(s->buf);
	free(s);
}

static void sock_sync(struct rx *rx)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(rx->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
	    len > SK_MEMINFO_DROPS * sizeof(mem[0]))
		drops_to((struct rx_socket *)rx, mem[SK_MEMINFO_DROPS]);
}

static const struct rx_ops sock_ops = {
	.name = "socket",
	.recv = sock_recv,
	.release = NULL, /* slots are reused by the next recvmmsg */
	.close = sock_close,
	.sync = sock_sync,
};

static int set_rcvbuf(int fd, int bytes, struct rx_socket_info *info)
{
	socklen_t len = sizeof(info->rcvbuf);

	info->forced = false;
	if (bytes > 0) {
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes,
			       sizeof(bytes)) == 0)
			info->forced = true;
		else if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes,
				    sizeof(bytes)) < 0)
			return -errno;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &info->rcvbuf, &len) < 0)
		info->rcvbuf = 0;
	return 0;
}

/* Binds a throwaway socket without SO_REUSEPORT: it fails if the address
 * is taken, including by a reuseport group another process formed. */
static int probe_free(const struct rx_socket_config *cfg)
{
	int fd = socket(cfg->addr->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int off = 0, rc = 0;

	if (fd < 0)
		return -errno;
	if (cfg->addr->sa_family == AF_INET6 && cfg->dual_stack)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
				 sizeof(off));
	if (bind(fd, cfg->addr, cfg->addrlen) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int rx_socket_open(const struct rx_socket_config *cfg, struct rx **out,
		   struct rx_socket_info *info, char *err, size_t errlen)
{
	struct rx_socket_info tmp;
	struct rx_socket *s;
	const char *what;
	int one = 1, zero = 0, rc;
	size_t batch = cfg->batch ? cfg->batch : 1;
	size_t slot = cfg->slot_len ? cfg->slot_len : SLOT_LEN;

	if (!info)
		info = &tmp;
	if (cfg->exclusive) {
		rc = probe_free(cfg);
		if (rc) {
			snprintf(err, errlen, "could not bind %s: %s",
				 cfg->name, strerror(-rc));
			return rc;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "could not open %s: %s", cfg->name,
			 strerror(ENOMEM));
		return -ENOMEM;
	}
	s->rx.ops = &sock_ops;
	s->rx.coalesce_ns = cfg->coalesce_ns;
	s->rx.coalesce_dense_only = true;
	s->rx.read_after_wait = true;
	s->batch = batch;
	s->hint = cfg->hint;
	s->local_port = ntohs(
		cfg->addr->sa_family == AF_INET6
			? ((const struct sockaddr_in6 *)cfg->addr)->sin6_port
			: ((const struct sockaddr_in *)cfg->addr)->sin_port);
	s->msgs = calloc(batch, sizeof(*s->msgs));
	s->iov = calloc(batch, sizeof(*s->iov));
	s->from = calloc(batch, sizeof(*s->from));
	s->ctrl = calloc(batch, CTRL_LEN);
	/* Untouched pages of the slots are never made resident. */
	s->buf = malloc(batch * slot);
	s->rx.fd = socket(cfg->addr->sa_family,
			  SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!s->msgs || !s->iov || !s->from || !s->ctrl || !s->buf) {
		rc = -ENOMEM;
		what = "allocate receive slots for";
		goto err;
	}
	if (s->rx.fd < 0) {
		rc = -errno;
		what = "create a socket for";
		goto err;
	}
	for (size_t i = 0; i < batch; i++) {
		s->iov[i].iov_base = s->buf + i * slot;
		s->iov[i].iov_len = slot;
		s->msgs[i].msg_hdr.msg_name = &s->from[i];
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
		s->msgs[i].msg_hdr.msg_control = s->ctrl + i * CTRL_LEN;
	}
	if (setsockopt(s->rx.fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) <
	    0) {
		rc = -errno;
		what = "set SO_REUSEPORT on";
		goto err;
	}
	if (cfg->addr->sa_family == AF_INET6 &&
	    setsockopt(s->rx.fd, IPPROTO_IPV6, IPV6_V6ONLY,
		       cfg->dual_stack ? &zero : &one, sizeof(one)) < 0) {
		rc = -errno;
		what = "set IPV6_V6ONLY on";
		goto err;
	}
	/* Drop counts are a nicety: carry on without them. */
	(void)setsockopt(s->rx.fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	rc = set_rcvbuf(s->rx.fd, cfg->rcvbuf, info);
	if (rc) {
		what = "set the receive buffer of";
		goto err;
	}
	if (bind(s->rx.fd, cfg->addr, cfg->addrlen) < 0) {
		rc = -errno;
		what = "bind";
		goto err;
	}
	*out = &s->rx;
	return 0;

err:
	snprintf(err, errlen, "could not %s %s: %s", what, cfg->name,
		 strerror(-rc));
	sock_close(&s->rx);
	return rc;
}
