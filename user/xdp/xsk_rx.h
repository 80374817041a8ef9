/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AF_XDP receive: one socket per (interface, RX queue), each with its own
 * UMEM, registered in the XDP program's XSKMAP under its queue id. Built on
 * libxdp's xsk.h with XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD (the program is
 * xdp_load's). Receive hands out a batch of struct datagram whose payloads
 * point into UMEM frames (nothing copied, nothing allocated per packet);
 * xsk_rx_release (or the next xsk_rx_recv) returns the frames to the fill
 * ring, which holds every frame not handed out, so it never runs dry while
 * the caller keeps up. need_wakeup is honoured. A struct xsk_rx belongs to
 * one thread.
 */
#ifndef XDPFLOW_XDP_XSK_RX_H
#define XDPFLOW_XDP_XSK_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

enum xsk_rx_zerocopy {
	XSK_RX_ZC_AUTO = 0, /* zero-copy when the driver offers it */
	XSK_RX_ZC_ON,	    /* zero-copy or fail */
	XSK_RX_ZC_OFF,	    /* copy mode */
};

/* Collector ports and the decode hint of datagrams sent to them. */
struct xsk_rx_port {
	uint16_t port; /* host order */
	enum decode_hint hint;
};

struct xsk_rx_opts {
	uint32_t frames;     /* UMEM frames, a power of 2; 0: 4096 */
	uint32_t frame_size; /* 2048 or 4096 bytes; 0: 2048 */
	enum xsk_rx_zerocopy zerocopy;
	const struct xsk_rx_port *ports; /* hint lookup; DECODE_ANY if absent */
	size_t n_ports;
	/* Busy polling: SO_BUSY_POLL microseconds with SO_PREFER_BUSY_POLL
	 * (0: off, the default) and SO_BUSY_POLL_BUDGET (0: the kernel's). */
	uint32_t busy_poll_us;
	uint32_t busy_poll_budget;
};

struct xsk_rx_stats {
	uint64_t packets;	  /* datagrams handed out */
	uint64_t bytes;		  /* their payload bytes */
	uint64_t bad_frames;	  /* frames that did not parse as UDP */
	uint64_t kernel_dropped;  /* XDP_STATISTICS rx_dropped */
	uint64_t rx_ring_full;	  /* XDP_STATISTICS rx_ring_full */
	uint64_t fill_ring_empty; /* XDP_STATISTICS rx_fill_ring_empty_descs */
	uint64_t wakeups;	  /* recvfrom syscalls that woke the kernel */
};

struct xsk_rx;

/* Number of RX queues of ifname (ethtool channels, at least 1), or -errno. */
int xsk_rx_queue_count(const char *ifname);

/*
 * Creates the socket for ifname's RX queue `queue`, fills its fill ring and
 * registers it in the XSKMAP xsks_map_fd. Returns 0 and *out, or -errno
 * with an error logged (-EOPNOTSUPP: zero-copy forced but unavailable; a
 * busy-poll option the kernel refuses is named in the error line).
 * Locks frames * frame_size bytes of memory (needs CAP_IPC_LOCK beyond
 * RLIMIT_MEMLOCK).
 */
int xsk_rx_open(struct xsk_rx **out, const char *ifname, uint32_t queue,
		int xsks_map_fd, const struct xsk_rx_opts *opts);

/* The socket's fd, to poll for POLLIN. */
int xsk_rx_fd(const struct xsk_rx *rx);

/* The interface and RX queue the socket is bound to. */
const char *xsk_rx_ifname(const struct xsk_rx *rx);
uint32_t xsk_rx_queue(const struct xsk_rx *rx);

/* The socket's UMEM frames (also its fill and RX ring sizes). */
uint32_t xsk_rx_frames(const struct xsk_rx *rx);

/* True when the socket runs in zero-copy mode. */
bool xsk_rx_zerocopy(const struct xsk_rx *rx);

/*
 * Takes up to max received datagrams without blocking (releasing those of
 * the previous call first). Payloads are borrowed until xsk_rx_release or
 * the next xsk_rx_recv. time_received_ns is CLOCK_REALTIME, read once per
 * batch. Returns how many (0: none ready).
 */
int xsk_rx_recv(struct xsk_rx *rx, struct datagram *out, size_t max);

/* Returns the frames of the last xsk_rx_recv to the fill ring. */
void xsk_rx_release(struct xsk_rx *rx);

void xsk_rx_get_stats(const struct xsk_rx *rx, struct xsk_rx_stats *st);

/* Removes the socket from the XSKMAP, closes it, frees the UMEM. NULL-safe. */
void xsk_rx_close(struct xsk_rx *rx);

#endif
