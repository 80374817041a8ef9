/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading and attaching the XDP program (bpf/xdpflow.bpf.c) on a set of
 * interfaces, and owning its maps. xdp_load_setup cleans state a crashed
 * earlier run left (its pinned program still attached, its pins), then per
 * interface either reuses an xdpflow program that is already attached (for
 * instance by `ip link set dev IF xdp obj xdpflow.bpf.o sec xdp`, which pins
 * the maps under /sys/fs/bpf/tc/globals) or loads the object with its maps
 * pinned by name under the bpffs directory and attaches it: through libxdp
 * first, then, when libxdp's multi-program dispatcher cannot load, as a
 * single program with bpf_xdp_attach. It then fills the ports map and the
 * LPM allow-lists. xdp_load_teardown detaches what setup attached and
 * removes what it pinned. Not thread-safe; setup and teardown run once, from
 * the main thread, with CAP_SYS_ADMIN/CAP_NET_ADMIN/CAP_BPF.
 */
#ifndef XDPFLOW_XDP_LOAD_H
#define XDPFLOW_XDP_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xdpflow.h"

enum xdp_load_mode {
	XDP_LOAD_AUTO = 0, /* native, else generic (skb), logged */
	XDP_LOAD_NATIVE,
	XDP_LOAD_SKB,
};

/* A collector port the program steers (host order), and its protocol. */
struct xdp_load_port {
	uint16_t port;
	uint32_t proto; /* enum xdpflow_port_proto */
};

/* An allowed exporter prefix, laid out like the daemon's allow_prefix. */
struct xdp_load_prefix {
	uint8_t len;   /* 4 or 16 */
	uint8_t bits;  /* prefix length */
	uint8_t b[16]; /* network order */
};

struct xdp_load_opts {
	const char *obj_path;  /* the BPF object; required */
	const char *bpffs_dir; /* NULL: XDPFLOW_BPFFS_DEFAULT */
	enum xdp_load_mode mode;
	bool no_libxdp; /* attach with bpf_xdp_attach only, skip libxdp */
	const struct xdp_load_port *ports;
	size_t n_ports; /* up to XDPFLOW_MAX_PORTS */
	const struct xdp_load_prefix *allow;
	size_t n_allow; /* 0: allow every exporter */
};

/* How the program came to be on an interface. */
enum xdp_load_how {
	XDP_LOAD_HOW_LIBXDP = 0, /* attached by us through libxdp (which
				  * itself attaches a single program when
				  * its dispatcher cannot load) */
	XDP_LOAD_HOW_SINGLE,	 /* attached by us with bpf_xdp_attach */
	XDP_LOAD_HOW_REUSED,	 /* found attached; left attached at teardown */
};

struct xdp_load;

/*
 * Sets the program up on the n interfaces named in ifaces (at most 32).
 * Mounts a bpffs on /sys/fs/bpf when nothing is mounted there and the
 * directory lies under it. On success *out owns everything set up and
 * returns 0; on failure nothing stays attached or pinned, an error is
 * logged saying which interface and why, and a -errno is returned
 * (-EOPNOTSUPP: the requested mode is not available on an interface).
 */
int xdp_load_setup(struct xdp_load **out, const char *const *ifaces, size_t n,
		   const struct xdp_load_opts *opts);

/* Number of interfaces of the handle, and per interface (i < n): its
 * ifindex, name, XSKMAP fd (owned by the handle), attach mode actually in
 * use (XDP_LOAD_NATIVE or XDP_LOAD_SKB) and how it got there. */
size_t xdp_load_count(const struct xdp_load *x);
int xdp_load_ifindex(const struct xdp_load *x, size_t i);
const char *xdp_load_ifname(const struct xdp_load *x, size_t i);
int xdp_load_xsks_fd(const struct xdp_load *x, size_t i);
enum xdp_load_mode xdp_load_mode_of(const struct xdp_load *x, size_t i);
enum xdp_load_how xdp_load_how_of(const struct xdp_load *x, size_t i);

/*
 * Replaces the allow-list of the running program on every interface, in
 * place (no detach): new prefixes are inserted before the list is switched
 * and the old ones removed after, so no exporter that both lists allow is
 * dropped meanwhile. n_allow 0 allows every exporter. Returns 0, or -errno
 * after an error line (the maps may then hold both lists' prefixes).
 */
int xdp_load_set_allow(struct xdp_load *x, const struct xdp_load_prefix *allow,
		       size_t n_allow);

/* Sums the per-CPU counters of every distinct stats map in use into *sum.
 * Returns 0 or -errno. */
int xdp_load_stats(const struct xdp_load *x, struct xdpflow_stats *sum);

/* Detaches what setup attached, removes the pins it made and the bpffs
 * directory when empty, closes everything. NULL-safe. */
void xdp_load_teardown(struct xdp_load *x);

/* "native", "skb" or "auto". */
const char *xdp_load_mode_name(enum xdp_load_mode m);

#endif
