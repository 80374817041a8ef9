/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The steps of xdp_path_start that need no interface, exposed for the unit
 * tests: the listeners' ports and the allow-list as the XDP maps take
 * them, the removal of interfaces that do not exist, and the fallback
 * decision (which interface to leave to the UDP sockets after a failed
 * attempt), driven through a callback in place of the real loader.
 */
#ifndef XDPFLOW_DAEMON_XDP_PATH_INTERNAL_H
#define XDPFLOW_DAEMON_XDP_PATH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/xdp_path.h"

/* The listeners' distinct ports (the first listener of a port names its
 * protocol) into lp and xp (room for XDPFLOW_MAX_PORTS each); how many. */
size_t xdp_path_collect_ports(const struct xdp_path_config *cfg,
			      struct xdp_load_port *lp, struct xsk_rx_port *xp);

/* al's prefixes as the loader takes them, into out[0..al->n). */
void xdp_path_translate_allow(const struct allow_list *al,
			      struct xdp_load_prefix *out);

/* Removes the interfaces that do not exist from names[0..*n), saying so
 * once, before any attach: the common mistake. -ENODEV when forced. */
int xdp_path_drop_missing(const char **names, size_t *n, bool forced);

/* One way of setting up XDP and its sockets. */
struct xdp_path_try {
	/* Sets up names[0..n): 0, or -errno with everything undone and *bad
	 * the index of the interface that failed (-1: not said). */
	int (*start)(void *ctx, const char *const *names, size_t n, long *bad);
	/* Undoes a start that succeeded. */
	void (*undo)(void *ctx);
	void *ctx;
};

/*
 * Starts t on names[0..*n); unless forced, each failed round leaves out
 * the interface that failed (when t does not say which, each is tried
 * alone to find it), logged, and tries the rest, at most max_rounds + 1
 * times. Returns 0 with t started on names[0..*n), 1 when nothing could
 * use AF_XDP (logged; *n may be 0), or -errno when forced.
 */
int xdp_path_fallback(const struct xdp_path_try *t, const char **names,
		      size_t *n, bool forced, size_t max_rounds);

#endif
