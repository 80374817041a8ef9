/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The receive stage's interface: a source of UDP payloads handed out in
 * batches of struct datagram, borrowed until released. Implementations:
 * a UDP socket drained with recvmmsg (rx_socket.c), an offline capture read
 * through libpcap (rx_pcap.c), and later AF_XDP. A struct rx is owned by one
 * worker thread; its calls are not thread-safe, except rx_get_stats, whose
 * counters the owner updates with relaxed atomics.
 */
#ifndef XDPFLOW_RX_H
#define XDPFLOW_RX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

/* Counters every implementation keeps (zero where meaningless). */
struct rx_stats {
	uint64_t packets;   /* datagrams handed out */
	uint64_t bytes;	    /* their payload bytes */
	uint64_t drops;	    /* lost before we saw them (kernel queue full) */
	uint64_t truncated; /* datagrams cut short (buffer, snaplen): dropped */
	uint64_t ignored;   /* pcap: frames that are not UDP to our ports */
	uint64_t fragments; /* pcap: IP fragments skipped or unreassembled */
	uint64_t reassembled; /* pcap: datagrams rebuilt from IPv4 fragments */
	uint64_t errors;      /* receive errors */
};

/* The same counters as the owner updates them. */
struct rx_counters {
	_Atomic uint64_t packets, bytes, drops, truncated, ignored, fragments,
		reassembled, errors;
};

struct rx;

struct rx_ops {
	const char *name;
	/* Fills up to max datagrams; see rx_recv. */
	int (*recv)(struct rx *rx, struct datagram *dgs, size_t max);
	/* Gives back the datagrams of the last recv. */
	void (*release)(struct rx *rx, struct datagram *dgs, size_t n);
	void (*close)(struct rx *rx);
	/* Optional: brings counters the kernel keeps up to date (drops). */
	void (*sync)(struct rx *rx);
};

/* The common head of every implementation's object. */
struct rx {
	const struct rx_ops *ops;
	int fd; /* pollable for input, or -1 (always ready: offline input) */
	/* Wakeup coalescing, 0: off. After a batch that came back short but
	 * not empty, the worker may wait up to coalesce_ns before it polls
	 * again, so that one wakeup serves several datagrams; it waits no
	 * longer than the source's recent rate takes to queue
	 * coalesce_room datagrams (what it can hold meanwhile, at least a
	 * batch's worth), and not at all after a full batch. */
	uint32_t coalesce_ns;
	uint32_t coalesce_room;
	/* Coalescing only while datagrams come closer together than
	 * coalesce_ns: a wait that would most likely end with nothing new is
	 * one more wakeup instead of one less (UDP sockets). */
	bool coalesce_dense_only;
	/* After a coalescing wait, read at once without polling first: the
	 * read does not block and finds nothing at worst (UDP sockets). */
	bool read_after_wait;
	struct rx_counters cnt;
};

/*
 * Takes up to max datagrams without blocking. Their payloads are borrowed
 * until rx_release (or the next rx_recv). Returns how many (0: none ready
 * now), -ENODATA at the end of offline input, or another -errno.
 */
static inline int rx_recv(struct rx *rx, struct datagram *dgs, size_t max)
{
	return rx->ops->recv(rx, dgs, max);
}

/* Returns the n datagrams of the last rx_recv to the source. */
static inline void rx_release(struct rx *rx, struct datagram *dgs, size_t n)
{
	if (rx->ops->release)
		rx->ops->release(rx, dgs, n);
}

/* The fd to poll for input, or -1 when input is always ready. */
static inline int rx_fd(const struct rx *rx)
{
	return rx->fd;
}

/* Brings the counters the kernel keeps for rx up to date (the socket's
 * drop count), for when no datagram arrives to carry them. Owner only. */
static inline void rx_sync(struct rx *rx)
{
	if (rx->ops->sync)
		rx->ops->sync(rx);
}

/* Waits shorter than this are not worth a sleep (a context switch). */
#define RX_COALESCE_MIN_NS 10000U

/*
 * How long the owner may wait before polling rx again after a batch of n
 * datagrams (of at most batch) taken since_ns after the previous non-empty
 * one (0: unknown): 0 when coalescing is off, the batch was empty or full,
 * or the wait would be under RX_COALESCE_MIN_NS; else coalesce_ns, cut to
 * the time that the rate n / since_ns takes to queue min(batch,
 * coalesce_room) datagrams, so that the source never has to hold more
 * than that while the owner sleeps. With coalesce_dense_only, 0 as well
 * when the known rate spaces datagrams further apart than coalesce_ns.
 */
static inline uint64_t rx_coalesce_wait(const struct rx *rx, size_t n,
					size_t batch, uint64_t since_ns)
{
	uint64_t wait = rx->coalesce_ns, room = batch;

	if (!wait || n == 0 || n >= batch)
		return 0;
	if (rx->coalesce_dense_only && since_ns && since_ns / n > wait)
		return 0;
	if (rx->coalesce_room && rx->coalesce_room < room)
		room = rx->coalesce_room;
	if (since_ns && since_ns / n < wait / room + 1)
		wait = since_ns * room / n < wait ? since_ns * room / n : wait;
	return wait < RX_COALESCE_MIN_NS ? 0 : wait;
}

/* The longest wait an owner of the n sources may take: the smallest
 * coalesce_ns among those that coalesce (0: none does). A source with a
 * short bound (an AF_XDP ring) must not wait out a long one (a UDP socket,
 * whose buffer holds much more). */
static inline uint64_t rx_coalesce_bound(struct rx *const *rx, size_t n)
{
	uint64_t bound = 0;

	for (size_t i = 0; i < n; i++)
		if (rx[i]->coalesce_ns &&
		    (!bound || rx[i]->coalesce_ns < bound))
			bound = rx[i]->coalesce_ns;
	return bound;
}

/* Frees rx and everything it holds. NULL-safe. */
static inline void rx_close(struct rx *rx)
{
	if (rx)
		rx->ops->close(rx);
}

/* A snapshot of rx's counters; safe from any thread. */
static inline void rx_get_stats(const struct rx *rx, struct rx_stats *st)
{
	st->packets =
		atomic_load_explicit(&rx->cnt.packets, memory_order_relaxed);
	st->bytes = atomic_load_explicit(&rx->cnt.bytes, memory_order_relaxed);
	st->drops = atomic_load_explicit(&rx->cnt.drops, memory_order_relaxed);
	st->truncated =
		atomic_load_explicit(&rx->cnt.truncated, memory_order_relaxed);
	st->ignored =
		atomic_load_explicit(&rx->cnt.ignored, memory_order_relaxed);
	st->fragments =
		atomic_load_explicit(&rx->cnt.fragments, memory_order_relaxed);
	st->reassembled = atomic_load_explicit(&rx->cnt.reassembled,
					       memory_order_relaxed);
	st->errors =
		atomic_load_explicit(&rx->cnt.errors, memory_order_relaxed);
}

/* Owner-side increment (relaxed: counters only). */
static inline void rx_count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* Sums b into a. */
static inline void rx_stats_add(struct rx_stats *a, const struct rx_stats *b)
{
	a->packets += b->packets;
	a->bytes += b->bytes;
	a->drops += b->drops;
	a->truncated += b->truncated;
	a->ignored += b->ignored;
	a->fragments += b->fragments;
	a->reassembled += b->reassembled;
	a->errors += b->errors;
}

#endif
