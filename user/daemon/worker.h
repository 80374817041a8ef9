/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A receive worker: one thread owning its receive sources (one socket per
 * listener, or the capture), its decode context and its pipeline. It waits
 * with poll, drains each ready source in batches, drops datagrams from
 * exporters outside the allow-list, and decodes the rest while holding its
 * own mutex, so other threads (template saver, stats) can lock it between
 * batches and read its context. Once a second it brings its sources'
 * kernel counters up to date and logs (once per onset) when a socket's
 * receive queue starts dropping. With sources that coalesce wakeups
 * (struct rx coalesce_ns: the AF_XDP sockets with --xdp-coalesce-us, the
 * UDP sockets with --coalesce-us), a turn whose batches all came back
 * short but not empty is followed by a bounded sleep (rx_coalesce_wait)
 * instead of going back to poll at once, so that one wakeup serves the
 * datagrams of that interval; when every source may be read without
 * polling (rx read_after_wait), the turn after the sleep reads at once.
 * No sleep is longer than the shortest bound among the worker's sources
 * (rx_coalesce_bound): UDP sockets beside AF_XDP rings wait as the rings.
 */
#ifndef XDPFLOW_DAEMON_WORKER_H
#define XDPFLOW_DAEMON_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/allow_list.h"
#include "daemon/pipeline.h"
#include "decode/decode.h"
#include "rx/rx.h"

#define WORKER_MAX_RX 32
#define WORKER_RX_NAME 128
/* Drops after this long without any start a new onset (logged again). */
#define WORKER_DROP_QUIET_NS (60ULL * 1000000000ULL)

/* What all workers share, owned by the daemon (daemon/daemon.h). */
struct worker_shared {
	atomic_bool stop;
	int stop_fd; /* eventfd: made readable once to wake every worker */
	int done_fd; /* eventfd: each worker adds 1 when it has finished */
	/* Swapped by the main thread on reload; read once per batch under
	 * the worker's lock, so that taking every worker's lock once after a
	 * swap is a grace period: the old list is then unused. */
	_Atomic(const struct allow_list *) allow;
	/* --enrich: each worker holds a reader slot and brackets each
	 * receive batch with enricher_begin/end. NULL: no enrichment. */
	struct enricher *enr;
	size_t batch; /* datagrams per receive call */
	bool expire;  /* call decode_expire on wall-clock time (live input) */
};

struct worker {
	unsigned id;
	const struct worker_shared *sh;
	pthread_mutex_t lock; /* held while a batch is decoded */
	atomic_uint waiters;  /* threads waiting for lock: yield to them */
	struct decode_ctx *dec;
	struct rx *rx[WORKER_MAX_RX];
	/* Per source: the listener it serves ("" when it has no name: the
	 * capture, AF_XDP), and the drop onset tracking of the thread. */
	char rx_name[WORKER_MAX_RX][WORKER_RX_NAME];
	uint64_t rx_drops_seen[WORKER_MAX_RX];
	uint64_t rx_drop_last_ns[WORKER_MAX_RX];
	/* Per source, wakeup coalescing (struct rx coalesce_ns): when its
	 * last non-empty batch was taken (CLOCK_MONOTONIC). */
	uint64_t rx_batch_ns[WORKER_MAX_RX];
	size_t n_rx;
	struct datagram *dgs; /* sh->batch slots */
	int enr_slot;	      /* reader slot of sh->enr */
	_Atomic uint64_t not_allowed;
	_Atomic uint64_t alive_ns; /* CLOCK_MONOTONIC at each turn of its loop
				    * (0: not started yet) */
	atomic_bool finished;
	int err; /* why the thread stopped early: 0 or -errno */
	pthread_t thread;
	bool started;
	struct pipeline pipe;
};

/* Prepares w (not yet running): a decode context from dcfg and a pipeline
 * writing format (pb in schema) to pub, enriching with sh->enr if set (w
 * takes a reader slot of it). Returns 0, -ENOMEM or -ENOSPC (no reader
 * slot left). */
int worker_init(struct worker *w, unsigned id, const struct worker_shared *sh,
		const struct decode_config *dcfg, enum out_format format,
		enum out_schema schema, struct publisher *pub);

/* Gives rx to w (w closes it); name (the listener, may be NULL) labels its
 * drop count in the stats and the log. Returns 0 or -E2BIG (rx is then not
 * taken). */
int worker_add_rx(struct worker *w, struct rx *rx, const char *name);

/* Starts the thread. Returns 0 or -errno. */
int worker_start(struct worker *w);

/* Waits for the thread to end (after sh->stop was raised, or on its own at
 * the end of offline input). No-op if it never started. */
void worker_join(struct worker *w);

/* Frees what worker_init and worker_add_rx gave w. Joins first if needed. */
void worker_fini(struct worker *w);

/* Locks w's decode context against its thread (held between batches only),
 * and unlocks it. */
void worker_lock(struct worker *w);
void worker_unlock(struct worker *w);

#endif
