/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's XDP/AF_XDP fast path (--xdp): loads and attaches the XDP
 * program on the given interfaces with the listeners' ports in its ports
 * map and --allow-exporter in its LPM maps and opens one AF_XDP socket per
 * RX queue of each interface, returned as struct rx for the caller to hand
 * to its workers, which decode them like the UDP sockets' datagrams. When AF_XDP cannot
 * work on an interface and no mode was forced, that interface is left to
 * the UDP sockets (logged once) and the rest keep XDP; with a forced mode
 * (--xdp-mode native/skb, --xdp-zerocopy on, --xdp-busy-poll) any failure
 * is an error.
 */
#ifndef XDPFLOW_DAEMON_XDP_PATH_H
#define XDPFLOW_DAEMON_XDP_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/allow_list.h"
#include "daemon/listen_uri.h"
#include "rx/rx.h"
#include "xdp/xdp_load.h"
#include "xdp/xsk_rx.h"

#define XDP_PATH_MAX_COALESCE_US 1000

struct xdp_path_config {
	const char *const *ifaces;
	size_t n_ifaces;
	enum xdp_load_mode mode;
	enum xsk_rx_zerocopy zerocopy;
	const char *bpffs_dir;
	const char *obj_path;  /* NULL: bpf/xdpflow.bpf.o beside the binary */
	uint32_t frames;       /* UMEM frames per socket */
	uint32_t busy_poll_us; /* SO_BUSY_POLL per socket, 0: off */
	uint32_t busy_poll_budget; /* SO_BUSY_POLL_BUDGET, 0: the kernel's */
	/* Wakeup coalescing of the workers on the sockets (struct rx
	 * coalesce_ns), in microseconds, at most XDP_PATH_MAX_COALESCE_US;
	 * 0: off. */
	uint32_t coalesce_us;
	const struct listen_uri *listen;
	size_t n_listen;
	const struct allow_list *allow;
};

struct xdp_path;

/*
 * Sets the fast path up. Returns 0 with *out set and the AF_XDP sockets in
 * *rx[0..*n_rx) (one per RX queue of each interface in use, as receive
 * objects ready for worker_add_rx); the caller owns the array (free) and
 * every object in it (rx_close, unless a worker took it). *out is NULL,
 * and *rx NULL, when no interface could use AF_XDP and none was forced:
 * the UDP sockets then receive everything (said once in the log). Returns
 * -errno after one error line saying what could not be done to which
 * interface and why (a forced mode), nothing left open.
 */
int xdp_path_start(struct xdp_path **out, const struct xdp_path_config *cfg,
		   struct rx ***rx, size_t *n_rx);

/* Whether the operator forced a mode (then failures are fatal): a forced
 * --xdp-mode, --xdp-zerocopy on, or busy polling asked for. */
bool xdp_path_forced(const struct xdp_path_config *cfg);

/* The interfaces in use, comma-separated ("xf0,xf1"). */
const char *xdp_path_ifaces(const struct xdp_path *x);

/* Replaces the program's allow-list in place (xdp_load_set_allow: no
 * detach, no exporter of both lists dropped meanwhile). Main thread only;
 * 0 or -errno after an error line. */
int xdp_path_set_allow(struct xdp_path *x, const struct allow_list *allow);

/* Sums the XDP program's per-CPU counters. Thread-safe; 0 or -errno. */
int xdp_path_stats(const struct xdp_path *x, struct xdpflow_stats *sum);

/*
 * Detaches what start attached and removes its pins. Call after the
 * sockets start returned are closed (worker_fini). NULL-safe.
 */
void xdp_path_stop(struct xdp_path *x);

#endif
