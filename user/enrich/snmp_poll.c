// SPDX-License-Identifier: Apache-2.0
/*
 * The SNMP poller (contract in snmp_poll.h): the exporters the flow path
 * notes (a seen_set.h set), the poller's thread and its per-exporter cache,
 * and the tables it publishes after each round.
 */
#include "enrich/snmp_poll.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "enrich/enrich.h"
#include "enrich/iface_file.h"
#include "enrich/seen_set.h"
#include "enrich/snmp_client.h"

/* What the poller knows about one exporter (poller thread only). */
struct exp {
	struct flow_addr addr; /* as polled: IPv4 as 4 bytes */
	char addr_str[INET6_ADDRSTRLEN];
	struct snmp_device dev; /* the last good poll */
	bool ever_ok, failing;
	uint64_t next_ns;
};

struct snmp_poller {
	struct enrich *ctx;
	struct snmp_poller_opts o;

	/* Flow path side. */
	struct seen_set *seen;
	int efd;

	/* Poller thread side. */
	pthread_t thread;
	atomic_bool stop;
	uint32_t *slot_exp; /* slot -> index in exps + 1, 0: not taken yet */
	struct exp *exps;
	size_t n_exps;
	struct ratelimit rl;

	/* Given by the control thread. */
	pthread_mutex_t src_lock;
	struct enrich_ifaces *static_ifaces;
	atomic_bool sources_changed;

	/* Taken by the poller thread to change a cached sysName or exps[],
	 * by snmp_poller_sysname to read them. */
	pthread_mutex_t cache_lock;

	struct {
		_Atomic uint64_t rounds, ok, failed, timeouts, auth, other;
	} st;
	_Atomic uint64_t published;
};

void snmp_poller_note_exporter(struct snmp_poller *p, const struct flow_addr *a)
{
	/* Non-blocking; once per exporter ever. */
	if (p && seen_set_note(p->seen, a) > 0)
		(void)eventfd_write(p->efd, 1);
}

/* Takes the exporters noted since last time into exps. */
static void take_new(struct snmp_poller *p)
{
	uint32_t n = seen_set_slots(p->seen);

	for (uint32_t i = 0; i < n; i++) {
		struct flow_addr a;
		struct exp *e;

		if (p->slot_exp[i] || !seen_set_get(p->seen, i, &a))
			continue;
		pthread_mutex_lock(&p->cache_lock);
		e = &p->exps[p->n_exps];
		memset(e, 0, sizeof(*e));
		e->addr = a;
		flow_addr_str(&e->addr, e->addr_str, sizeof(e->addr_str));
		p->slot_exp[i] = (uint32_t)++p->n_exps;
		pthread_mutex_unlock(&p->cache_lock);
		pr_debug_exp(e->addr_str, "SNMP: new exporter");
	}
}

static void count_failure(struct snmp_poller *p, int ret)
{
	atomic_fetch_add(&p->st.failed, 1);
	if (ret == -ETIMEDOUT)
		atomic_fetch_add(&p->st.timeouts, 1);
	else if (ret == -EACCES)
		atomic_fetch_add(&p->st.auth, 1);
	else
		atomic_fetch_add(&p->st.other, 1);
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Whether two polls found the same things. */
static bool dev_equal(const struct snmp_device *a, const struct snmp_device *b)
{
	if (!str_eq(a->sysname, b->sysname) || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct snmp_if *x = &a->ifs[i], *y = &b->ifs[i];

		if (x->ifindex != y->ifindex || x->speed_bps != y->speed_bps ||
		    !str_eq(x->name, y->name) || !str_eq(x->alias, y->alias))
			return false;
	}
	return true;
}

/* Polls e; on success its cache is replaced, on failure kept. True when
 * the cache changed (the tables need publishing again). */
static bool poll_one(struct snmp_poller *p, struct exp *e)
{
	struct snmp_target t = {
		.addr = e->addr,
		.timeout_ms = p->o.timeout_ms,
		.retries = p->o.retries,
		.max_ifs = 65536,
		.stop = &p->stop,
	};
	struct snmp_device dev;
	char err[256] = "";
	uint32_t supp = 0;
	bool changed;
	int ret;

	snmp_poller_opts_cred(&p->o, &e->addr, &t.cred, &t.port);
	ret = snmp_client_poll(&t, &dev, err, sizeof(err));
	if (ret == -ECANCELED) {
		snmp_device_clear(&dev);
		return false;
	}
	if (ret) {
		snmp_device_clear(&dev);
		count_failure(p, ret);
		if (ratelimit_ok(&p->rl, clock_mono_ns(), &supp))
			pr_warn_exp(e->addr_str,
				    "SNMP poll failed, keeping %s: %s "
				    "(%s)%s",
				    e->ever_ok ? "the previous names"
					       : "no names",
				    err, strerror(-ret),
				    supp ? " (more suppressed)" : "");
		e->failing = true;
		return false;
	}
	atomic_fetch_add(&p->st.ok, 1);
	if (e->failing)
		pr_info_exp(e->addr_str, "SNMP poll works again");
	e->ever_ok = true;
	e->failing = false;
	changed = !dev_equal(&e->dev, &dev);
	pr_debug_exp(e->addr_str, "SNMP: %zu interfaces, sysName %s%s", dev.n,
		     dev.sysname ? dev.sysname : "(none)",
		     changed ? "" : " (no change)");
	if (!changed) {
		snmp_device_clear(&dev);
		return false;
	}
	pthread_mutex_lock(&p->cache_lock);
	snmp_device_clear(&e->dev);
	e->dev = dev;
	pthread_mutex_unlock(&p->cache_lock);
	return true;
}

/* The interface table from the static file and the cache; NULL when out
 * of memory. */
static struct enrich_ifaces *build(struct snmp_poller *p)
{
	struct enrich_ifaces *t = enrich_ifaces_new();
	int err = t ? 0 : -ENOMEM;

	pthread_mutex_lock(&p->src_lock);
	if (!err && p->static_ifaces)
		err = enrich_ifaces_merge(t, p->static_ifaces);
	pthread_mutex_unlock(&p->src_lock);
	for (size_t i = 0; i < p->n_exps && !err; i++) {
		const struct exp *e = &p->exps[i];

		for (size_t j = 0; j < e->dev.n && !err; j++) {
			const struct snmp_if *s = &e->dev.ifs[j];
			struct enrich_iface ifc = {
				.name = s->name,
				.description = s->alias,
				.speed_bps = s->speed_bps,
			};

			if (s->name || s->alias || s->speed_bps)
				err = enrich_ifaces_add(t, &e->addr, s->ifindex,
							&ifc);
		}
	}
	if (err) {
		enrich_ifaces_free(t);
		return NULL;
	}
	return t;
}

static void publish(struct snmp_poller *p)
{
	struct enrich_ifaces *t = build(p);
	int err = t ? enrich_set_ifaces(p->ctx, t) : -ENOMEM;

	if (err) {
		enrich_ifaces_free(t);
		pr_warn("SNMP: could not publish the interface table: %s",
			strerror(-err));
		return;
	}
	atomic_fetch_add(&p->published, 1);
}

static void *run(void *arg)
{
	struct snmp_poller *p = arg;
	const uint64_t interval_ns = p->o.interval_ms * CLOCK_NS_PER_MS;

	while (!atomic_load(&p->stop)) {
		bool changed = false, polled = false;
		uint64_t now = clock_mono_ns(), next = now + interval_ns;
		struct pollfd pfd = { .fd = p->efd, .events = POLLIN };
		eventfd_t v;

		take_new(p);
		if (atomic_exchange(&p->sources_changed, false))
			changed = true;
		for (size_t i = 0; i < p->n_exps; i++) {
			struct exp *e = &p->exps[i];

			if (atomic_load(&p->stop))
				break;
			if (e->next_ns <= now) {
				if (poll_one(p, e))
					changed = true;
				e->next_ns = clock_mono_ns() + interval_ns;
				polled = true;
			}
			if (e->next_ns < next)
				next = e->next_ns;
		}
		if (atomic_load(&p->stop))
			break;
		/* Only what changed is published: an unchanged round leaves
		 * the tables (and the exporters built from them) alone. */
		if (changed)
			publish(p);
		if (polled)
			atomic_fetch_add(&p->st.rounds, 1);
		now = clock_mono_ns();
		if (next > now) {
			uint64_t ms = (next - now + CLOCK_NS_PER_MS - 1) /
				      CLOCK_NS_PER_MS;

			if (poll(&pfd, 1, ms > 60000 ? 60000 : (int)ms) > 0)
				(void)eventfd_read(p->efd, &v);
		}
	}
	return NULL;
}

static void poller_free(struct snmp_poller *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_exps; i++)
		snmp_device_clear(&p->exps[i].dev);
	free(p->exps);
	free(p->slot_exp);
	seen_set_free(p->seen);
	if (p->efd >= 0)
		close(p->efd);
	enrich_ifaces_free(p->static_ifaces);
	pthread_mutex_destroy(&p->src_lock);
	pthread_mutex_destroy(&p->cache_lock);
	free(p);
}

int snmp_poller_start(struct enrich *ctx, const struct snmp_poller_opts *o,
		      struct snmp_poller **out, char *err, size_t errlen)
{
	struct snmp_poller *p;
	int ret;

	if (!o->enabled || !o->max_exporters || o->max_exporters > 65536 ||
	    !o->interval_ms) {
		snprintf(err, errlen, "SNMP poller: bad settings");
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "SNMP poller: out of memory");
		return -ENOMEM;
	}
	p->efd = -1;
	pthread_mutex_init(&p->src_lock, NULL);
	pthread_mutex_init(&p->cache_lock, NULL);
	p->ctx = ctx;
	p->o = *o;
	ret = seen_set_new(o->max_exporters, &p->seen);
	if (!ret) {
		p->slot_exp =
			calloc(seen_set_slots(p->seen), sizeof(*p->slot_exp));
		p->exps = calloc(o->max_exporters, sizeof(*p->exps));
	}
	if (ret || !p->slot_exp || !p->exps) {
		poller_free(p);
		snprintf(err, errlen, "SNMP poller: out of memory");
		return -ENOMEM;
	}
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		ret = -errno;
		snprintf(err, errlen, "SNMP poller: eventfd: %s",
			 strerror(-ret));
		poller_free(p);
		return ret;
	}
	ret = -pthread_create(&p->thread, NULL, run, p);
	if (ret) {
		snprintf(err, errlen, "SNMP poller: cannot start a thread: %s",
			 strerror(-ret));
		poller_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void snmp_poller_set_static(struct snmp_poller *p,
			    struct enrich_ifaces *static_ifaces)
{
	struct enrich_ifaces *old;

	pthread_mutex_lock(&p->src_lock);
	old = p->static_ifaces;
	p->static_ifaces = static_ifaces;
	pthread_mutex_unlock(&p->src_lock);
	enrich_ifaces_free(old);
	atomic_store(&p->sources_changed, true);
	(void)eventfd_write(p->efd, 1);
}

bool snmp_poller_sysname(struct snmp_poller *p, const struct flow_addr *a,
			 char *buf, size_t len)
{
	bool found = false;
	int64_t slot;
	uint32_t idx;

	if (!p || !len)
		return false;
	slot = seen_set_find(p->seen, a);
	if (slot < 0)
		return false;
	pthread_mutex_lock(&p->cache_lock);
	idx = p->slot_exp[slot];
	if (idx && p->exps[idx - 1].dev.sysname) {
		snprintf(buf, len, "%s", p->exps[idx - 1].dev.sysname);
		found = true;
	}
	pthread_mutex_unlock(&p->cache_lock);
	return found;
}

uint64_t snmp_poller_published(struct snmp_poller *p)
{
	return p ? atomic_load(&p->published) : 0;
}

void snmp_poller_stats(struct snmp_poller *p, struct snmp_poller_stats *out)
{
	*out = (struct snmp_poller_stats){
		.rounds = atomic_load(&p->st.rounds),
		.polls_ok = atomic_load(&p->st.ok),
		.polls_failed = atomic_load(&p->st.failed),
		.timeouts = atomic_load(&p->st.timeouts),
		.auth_errors = atomic_load(&p->st.auth),
		.other_errors = atomic_load(&p->st.other),
		.exporters = seen_set_count(p->seen),
		.table_full = seen_set_full(p->seen),
	};
}

void snmp_poller_stats_format(const struct snmp_poller_stats *st, char *buf,
			      size_t len)
{
	snprintf(buf, len,
		 "rounds=%" PRIu64 " polls_ok=%" PRIu64 " polls_failed=%" PRIu64
		 " timeouts=%" PRIu64 " auth_errors=%" PRIu64
		 " other_errors=%" PRIu64 " exporters=%" PRIu64
		 " table_full=%d",
		 st->rounds, st->polls_ok, st->polls_failed, st->timeouts,
		 st->auth_errors, st->other_errors, st->exporters,
		 st->table_full ? 1 : 0);
}

void snmp_poller_stop(struct snmp_poller *p)
{
	if (!p)
		return;
	atomic_store(&p->stop, true);
	(void)eventfd_write(p->efd, 1);
	pthread_join(p->thread, NULL);
	poller_free(p);
}
