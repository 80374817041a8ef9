// SPDX-License-Identifier: Apache-2.0
/*
 * The XDP/AF_XDP fast path of the daemon (see xdp_path.h): translates the
 * listeners and the allow-list into the XDP program's maps, sets the
 * program up on every --xdp interface, opens the AF_XDP sockets, and on a
 * failure the operator did not force retries without the interface that
 * failed, so the others keep XDP and that one is served by the sockets.
 * The sockets go back to the caller, which gives them to its workers.
 */
#include "daemon/xdp_path.h"
#include "daemon/xdp_path_internal.h"

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "rx/rx_xsk.h"

#define OPT_IFACES 32 /* as xdp_load's limit */
#define OBJ_NAME "bpf/xdpflow.bpf.o"
/* Where `make install` puts it, relative to the installed binary's folder. */
#define OBJ_INSTALLED "../lib/xdpflow/xdpflow.bpf.o"

struct xdp_path {
	struct xdp_load *ld;
	char ifaces[OPT_IFACES * 17];
};

/* What one attempt produced: the loader and its sockets. */
struct attempt {
	struct xdp_load *ld;
	struct rx **rx;
	size_t n_rx, cap;
	uint32_t coalesce_ns; /* given to each socket's struct rx */
};

bool xdp_path_forced(const struct xdp_path_config *cfg)
{
	return cfg->mode != XDP_LOAD_AUTO || cfg->zerocopy == XSK_RX_ZC_ON ||
	       cfg->busy_poll_us;
}

const char *xdp_path_ifaces(const struct xdp_path *x)
{
	return x->ifaces;
}

int xdp_path_stats(const struct xdp_path *x, struct xdpflow_stats *sum)
{
	return xdp_load_stats(x->ld, sum);
}

static uint32_t proto_of(enum decode_hint h)
{
	return h == DECODE_NETFLOW ? XDPFLOW_PROTO_NETFLOW
	       : h == DECODE_SFLOW ? XDPFLOW_PROTO_SFLOW
				   : XDPFLOW_PROTO_ANY;
}

/* For the ports map and for the sockets' decode hints. */
size_t xdp_path_collect_ports(const struct xdp_path_config *cfg,
			      struct xdp_load_port *lp, struct xsk_rx_port *xp)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_listen && n < XDPFLOW_MAX_PORTS; i++) {
		const struct listen_uri *u = &cfg->listen[i];
		bool seen = false;

		if (u->tcp) /* XDP steers UDP only */
			continue;
		for (size_t k = 0; k < n; k++)
			seen |= lp[k].port == u->port;
		if (seen)
			continue;
		lp[n] = (struct xdp_load_port){ u->port, proto_of(u->hint) };
		xp[n] = (struct xsk_rx_port){ u->port, u->hint };
		n++;
	}
	return n;
}

/* The object beside the running binary (<dir of exe>/bpf/xdpflow.bpf.o, a
 * build tree), else where `make install` put it
 * (<dir of exe>/../lib/xdpflow/xdpflow.bpf.o). */
static int default_obj(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if (snprintf(buf, len, "%s/%s", exe, OBJ_NAME) >= (int)len)
		return -ENAMETOOLONG;
	if (access(buf, R_OK) == 0)
		return 0;
	if (snprintf(buf, len, "%s/%s", exe, OBJ_INSTALLED) >= (int)len)
		return -ENAMETOOLONG;
	if (access(buf, R_OK) == 0)
		return 0;
	/* Neither: report the build-tree path, the one a developer expects. */
	if (snprintf(buf, len, "%s/%s", exe, OBJ_NAME) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static void attempt_undo(struct attempt *a)
{
	for (size_t i = 0; i < a->n_rx; i++)
		rx_close(a->rx[i]);
	free(a->rx);
	xdp_load_teardown(a->ld);
	memset(a, 0, sizeof(*a));
}

static int attempt_push(struct attempt *a, struct rx *rx)
{
	if (a->n_rx == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 16;
		struct rx **n = realloc(a->rx, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		a->rx = n;
		a->cap = cap;
	}
	a->rx[a->n_rx++] = rx;
	return 0;
}

/* Opens the sockets of interface i of a->ld, one per RX queue. */
static int open_iface(struct attempt *a, size_t i, const struct xsk_rx_opts *ro)
{
	const char *name = xdp_load_ifname(a->ld, i);
	int nq = xsk_rx_queue_count(name), err, zc = 0;

	if (nq < 0) {
		pr_err("could not count the RX queues of %s: %s", name,
		       strerror(-nq));
		return nq;
	}
	for (int q = 0; q < nq; q++) {
		struct xsk_rx *s;
		struct rx *rx;

		err = xsk_rx_open(&s, name, (uint32_t)q,
				  xdp_load_xsks_fd(a->ld, i), ro);
		if (err)
			return err;
		zc += xsk_rx_zerocopy(s);
		err = rx_xsk_wrap(s, a->coalesce_ns, &rx);
		if (err) {
			xsk_rx_close(s);
			return err;
		}
		err = attempt_push(a, rx);
		if (err) {
			rx_close(rx);
			return err;
		}
	}
	pr_info("XDP: %d AF_XDP socket%s on %s (XDP %s mode, %s)", nq,
		nq == 1 ? "" : "s", name,
		xdp_load_mode_name(xdp_load_mode_of(a->ld, i)),
		zc == nq ? "zero-copy"
		: zc	 ? "partly zero-copy"
			 : "copy mode");
	return 0;
}

/* Sets up XDP and the sockets on names[0..n). On failure *bad is the index
 * of the interface that failed, or -1 when the loader did not say. */
static int try_start(struct attempt *a, const char *const *names, size_t n,
		     const struct xdp_load_opts *lo,
		     const struct xsk_rx_opts *ro, uint32_t coalesce_ns,
		     long *bad)
{
	int err;

	memset(a, 0, sizeof(*a));
	a->coalesce_ns = coalesce_ns;
	*bad = n == 1 ? 0 : -1;
	err = xdp_load_setup(&a->ld, names, n, lo);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		err = open_iface(a, i, ro);
		if (err) {
			*bad = (long)i;
			attempt_undo(a);
			return err;
		}
	}
	return 0;
}

/* The real loader and sockets behind struct xdp_path_try. */
struct real_try {
	struct attempt a;
	const struct xdp_load_opts *lo;
	const struct xsk_rx_opts *ro;
	uint32_t coalesce_ns;
};

static int real_start(void *ctx, const char *const *names, size_t n, long *bad)
{
	struct real_try *t = ctx;

	return try_start(&t->a, names, n, t->lo, t->ro, t->coalesce_ns, bad);
}

static void real_undo(void *ctx)
{
	attempt_undo(&((struct real_try *)ctx)->a);
}

/* Which of names fails on its own (each tried alone, bounded by n). */
static long find_bad(const struct xdp_path_try *t, const char *const *names,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		long bad;

		if (t->start(t->ctx, &names[i], 1, &bad))
			return (long)i;
		t->undo(t->ctx);
	}
	return -1;
}

void xdp_path_translate_allow(const struct allow_list *al,
			      struct xdp_load_prefix *out)
{
	for (size_t i = 0; i < al->n; i++) {
		out[i].len = al->p[i].len;
		out[i].bits = al->p[i].bits;
		memcpy(out[i].b, al->p[i].b, sizeof(out[i].b));
	}
}

/* The XDP object to load into obj: --xdp-obj, else the default places.
 * Returns 0 when it is readable, else -errno (obj still names it). */
static int find_obj(const struct xdp_path_config *cfg, char *obj, size_t len)
{
	if (cfg->obj_path)
		snprintf(obj, len, "%s", cfg->obj_path);
	else if (default_obj(obj, len) != 0)
		snprintf(obj, len, "%s", OBJ_NAME);
	return access(obj, R_OK) == 0 ? 0 : -errno;
}

int xdp_path_drop_missing(const char **names, size_t *n, bool forced)
{
	for (size_t i = 0; i < *n;) {
		if (if_nametoindex(names[i]) > 0) {
			i++;
			continue;
		}
		if (forced) {
			pr_err("could not set up XDP on %s: no such interface",
			       names[i]);
			return -ENODEV;
		}
		pr_warn("XDP: AF_XDP cannot work on %s (no such interface); its packets go through the UDP sockets",
			names[i]);
		memmove(&names[i], &names[i + 1],
			(*n - i - 1) * sizeof(*names));
		(*n)--;
	}
	return 0;
}

int xdp_path_fallback(const struct xdp_path_try *t, const char **names,
		      size_t *n, bool forced, size_t max_rounds)
{
	for (size_t round = 0; *n > 0 && round <= max_rounds; round++) {
		long bad;
		int err = t->start(t->ctx, names, *n, &bad);

		if (!err)
			return 0;
		if (forced)
			return err;
		if (bad < 0)
			bad = find_bad(t, names, *n);
		if (bad < 0) {
			pr_warn("XDP: could not set up XDP (%s); receiving through the UDP sockets only",
				strerror(-err));
			return 1;
		}
		pr_warn("XDP: AF_XDP cannot work on %s (%s); its packets go through the UDP sockets",
			names[bad], strerror(-err));
		memmove(&names[bad], &names[bad + 1],
			(*n - (size_t)bad - 1) * sizeof(*names));
		(*n)--;
	}
	return 1;
}

int xdp_path_start(struct xdp_path **out, const struct xdp_path_config *cfg,
		   struct rx ***rx, size_t *n_rx)
{
	struct xdp_load_port lports[XDPFLOW_MAX_PORTS];
	struct xsk_rx_port xports[XDPFLOW_MAX_PORTS];
	struct xdp_load_prefix allow[ALLOW_LIST_MAX];
	const char *names[OPT_IFACES];
	char obj[PATH_MAX];
	bool forced = xdp_path_forced(cfg);
	struct real_try rt = { .lo = NULL };
	struct xdp_path_try t = { real_start, real_undo, &rt };
	struct attempt a;
	struct xdp_path *x;
	size_t n = cfg->n_ifaces, nports;
	int err;

	*out = NULL;
	*rx = NULL;
	*n_rx = 0;
	if (n == 0)
		return 0;
	if (n > OPT_IFACES)
		return -EINVAL;
	memcpy(names, cfg->ifaces, n * sizeof(names[0]));
	nports = xdp_path_collect_ports(cfg, lports, xports);
	xdp_path_translate_allow(cfg->allow, allow);
	err = find_obj(cfg, obj, sizeof(obj));
	if (err && forced) {
		pr_err("could not set up XDP on %s: cannot read the XDP object %s: %s",
		       names[0], obj, strerror(-err));
		return err;
	}
	if (err) {
		pr_warn("XDP: cannot read the XDP object %s (%s); receiving through the UDP sockets only",
			obj, strerror(-err));
		return 0;
	}
	err = xdp_path_drop_missing(names, &n, forced);
	if (err)
		return err;

	struct xdp_load_opts lo = {
		.obj_path = obj,
		.bpffs_dir = cfg->bpffs_dir,
		.mode = cfg->mode,
		.ports = lports,
		.n_ports = nports,
		.allow = allow,
		.n_allow = cfg->allow->n,
	};
	struct xsk_rx_opts ro = {
		.frames = cfg->frames,
		.zerocopy = cfg->zerocopy,
		.busy_poll_us = cfg->busy_poll_us,
		.busy_poll_budget = cfg->busy_poll_budget,
		.ports = xports,
		.n_ports = nports,
	};

	/* Each failed round removes one interface: at most n + 1 rounds. */
	rt.lo = &lo;
	rt.ro = &ro;
	rt.coalesce_ns = cfg->coalesce_us * 1000U;
	err = xdp_path_fallback(&t, names, &n, forced, cfg->n_ifaces);
	if (err)
		return err < 0 ? err : 0;
	a = rt.a;

	x = calloc(1, sizeof(*x));
	if (!x) {
		attempt_undo(&a);
		pr_err("could not set up XDP: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	x->ld = a.ld;
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(x->ifaces);

		snprintf(x->ifaces + used, sizeof(x->ifaces) - used, "%s%s",
			 i ? "," : "", names[i]);
	}
	*rx = a.rx;
	*n_rx = a.n_rx;
	*out = x;
	return 0;
}

int xdp_path_set_allow(struct xdp_path *x, const struct allow_list *allow)
{
	struct xdp_load_prefix *p = calloc(allow->n ? allow->n : 1, sizeof(*p));
	int err;

	if (!p) {
		pr_err("could not update the XDP allow-list: %s",
		       strerror(ENOMEM));
		return -ENOMEM;
	}
	xdp_path_translate_allow(allow, p);
	err = xdp_load_set_allow(x->ld, p, allow->n);
	free(p);
	return err;
}

void xdp_path_stop(struct xdp_path *x)
{
	if (!x)
		return;
	xdp_load_teardown(x->ld);
	free(x);
}
