// SPDX-License-Identifier: Apache-2.0
/*
 * The AF_XDP implementation of struct rx: recv and release map one to one
 * onto xsk_rx_recv and xsk_rx_release. Packets and bytes are counted per
 * batch; the socket's error and kernel drop counters (a getsockopt) are
 * copied at most every STATS_NS while packets arrive, and by rx_sync (the
 * worker's idle tick and its exit). Not after every short batch: on veth
 * each packet is its own batch, and a getsockopt per packet was 146 ns of
 * the collector's ~1.2 us (tests/bench/bench_rx_cost.sh). At close, one log line gives the socket's own
 * counters (per interface and RX queue: which queues delivered, and how
 * many wakeup syscalls the loop made).
 */
#include "rx/rx_xsk.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "common/clock.h"
#include "common/log.h"

#define STATS_NS 500000000ULL /* kernel counters: at most twice a second */

struct rx_xsk {
	struct rx base; /* first: struct rx * <-> struct rx_xsk * */
	struct xsk_rx *xsk;
	uint64_t last_stats_ns;
};

/* The socket's error and kernel drop counters (a getsockopt). */
static void refresh(struct rx_xsk *r)
{
	struct xsk_rx_stats st;

	xsk_rx_get_stats(r->xsk, &st);
	atomic_store_explicit(&r->base.cnt.errors, st.bad_frames,
			      memory_order_relaxed);
	atomic_store_explicit(&r->base.cnt.drops,
			      st.kernel_dropped + st.rx_ring_full,
			      memory_order_relaxed);
}

static int xsk_recv(struct rx *rx, struct datagram *dgs, size_t max)
{
	struct rx_xsk *r = (struct rx_xsk *)rx;
	int n = xsk_rx_recv(r->xsk, dgs, max);
	uint64_t bytes = 0, now;

	if (n > 0) {
		for (int i = 0; i < n; i++)
			bytes += dgs[i].len;
		rx_count(&r->base.cnt.packets, (uint64_t)n);
		rx_count(&r->base.cnt.bytes, bytes);
	}
	/* On the clock only; rx_sync keeps them current while idle. */
	now = clock_mono_ns();
	if (now - r->last_stats_ns >= STATS_NS) {
		refresh(r);
		r->last_stats_ns = now;
	}
	return n;
}

static void xsk_sync(struct rx *rx)
{
	struct rx_xsk *r = (struct rx_xsk *)rx;

	refresh(r);
	r->last_stats_ns = clock_mono_ns();
}

static void xsk_release(struct rx *rx, struct datagram *dgs, size_t n)
{
	(void)dgs, (void)n;
	xsk_rx_release(((struct rx_xsk *)rx)->xsk);
}

static void xsk_close(struct rx *rx)
{
	struct rx_xsk *r = (struct rx_xsk *)rx;
	struct xsk_rx_stats st;

	xsk_rx_get_stats(r->xsk, &st);
	pr_info("af_xdp %s queue %" PRIu32 ": packets=%" PRIu64
		" bytes=%" PRIu64 " bad_frames=%" PRIu64
		" kernel_dropped=%" PRIu64 " rx_ring_full=%" PRIu64
		" fill_ring_empty=%" PRIu64 " wakeups=%" PRIu64,
		xsk_rx_ifname(r->xsk), xsk_rx_queue(r->xsk), st.packets,
		st.bytes, st.bad_frames, st.kernel_dropped, st.rx_ring_full,
		st.fill_ring_empty, st.wakeups);
	xsk_rx_close(r->xsk);
	free(r);
}

static const struct rx_ops xsk_ops = {
	.name = "af_xdp",
	.recv = xsk_recv,
	.release = xsk_release,
	.sync = xsk_sync,
	.close = xsk_close,
};

int rx_xsk_wrap(struct xsk_rx *xsk, uint32_t coalesce_ns, struct rx **out)
{
	struct rx_xsk *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->base.ops = &xsk_ops;
	r->base.fd = xsk_rx_fd(xsk);
	r->base.coalesce_ns = coalesce_ns;
	r->base.coalesce_room = xsk_rx_frames(xsk) / 2;
	r->xsk = xsk;
	*out = &r->base;
	return 0;
}
