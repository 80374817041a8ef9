/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct rx over one UDP socket bound with SO_REUSEPORT, so several workers
 * can each own a socket of the same listener; drained with recvmmsg in
 * batches. Kernel queue drops come from SO_RXQ_OVFL.
 */
#ifndef XDPFLOW_RX_SOCKET_H
#define XDPFLOW_RX_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "rx/rx.h"

struct rx_socket_config {
	const struct sockaddr *addr; /* AF_INET or AF_INET6, port set */
	socklen_t addrlen;
	bool dual_stack;       /* AF_INET6 with IPV6_V6ONLY off */
	enum decode_hint hint; /* stamped on every datagram */
	int rcvbuf;	       /* bytes; 0 leaves the system default */
	size_t batch;	       /* datagrams per recvmmsg, >= 1 */
	/* Wakeup coalescing bound for the worker (struct rx coalesce_ns),
	 * 0: off. The socket's buffer is the room: a batch is the limit. */
	uint32_t coalesce_ns;
	const char *name; /* for messages, e.g. the listen URI */
	/* Fail with -EADDRINUSE when anyone else holds the address, even
	 * another process of the same user with SO_REUSEPORT (set it on a
	 * listener's first socket; its siblings then join the group). */
	bool exclusive;
	/* Bytes per receive slot; 0 (the daemon) is 64 KiB, room for any
	 * UDP payload. Tests set less to see truncation handled. */
	size_t slot_len;
};

/* What became of the receive buffer request. */
struct rx_socket_info {
	int rcvbuf;  /* effective SO_RCVBUF as the kernel reports it */
	bool forced; /* SO_RCVBUFFORCE worked (else SO_RCVBUF, capped) */
};

/*
 * Opens a non-blocking UDP socket as cfg says, with receive slots for
 * cfg->batch datagrams of up to cfg->slot_len (64 KiB) bytes. Returns 0 and *out, or -errno with
 * a one-line reason in err ("could not bind netflow://:2055: Address
 * already in use"). info may be NULL.
 */
int rx_socket_open(const struct rx_socket_config *cfg, struct rx **out,
		   struct rx_socket_info *info, char *err, size_t errlen);

#endif
