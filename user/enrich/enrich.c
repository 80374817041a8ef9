// SPDX-License-Identifier: Apache-2.0
/*
 * Enrichment context: atomic publication of immutable table sets and
 * epoch-based reclamation of the replaced ones (contract in enrich.h).
 *
 * Correctness of the grace period (all accesses sequentially consistent):
 * a reader stores the epoch it read into its slot, then loads the tables
 * pointer; the writer swaps the pointer, bumps the epoch to E, and later
 * reads the slots. If it reads a slot as 0 or >= E, that reader either is
 * outside a batch or loaded the pointer after the swap, so it cannot hold
 * the old set; a reader whose slot store the writer missed loads the
 * pointer after the writer's reads, hence after the swap.
 */
#include "enrich/enrich.h"

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/exporters.h"
#include "enrich/geo_db.h"
#include "enrich/iface_file.h"
#include "enrich/networks_file.h"

enum src {
	SRC_NETWORKS,
	SRC_ASN_DB,
	SRC_COUNTRY_DB,
	SRC_IFACES,
	SRC_EXPORTERS,
	SRC_MAX
};

/* A source shared by consecutive sets; refs changes on the control thread
 * only. */
struct holder {
	unsigned refs;
	void *obj;
	void (*free)(void *obj);
};

struct set {
	struct enrich_tables t; /* first: readers get &set->t */
	struct holder *hold[SRC_MAX];
};

struct retired {
	struct retired *next;
	struct set *set;
	uint64_t epoch;
};

struct reader {
	alignas(64) _Atomic uint64_t epoch; /* 0: outside a batch */
};

struct enrich {
	_Atomic(struct set *) cur;
	alignas(64) _Atomic uint64_t epoch;
	struct reader readers[ENRICH_MAX_READERS];
	int n_readers;
	/* Serializes the writers (enrich_set_*, enrich_reclaim): the control
	 * thread and the SNMP poller's thread both publish. */
	pthread_mutex_t wlock;
	struct retired *retired;
};

static void holder_put(struct holder *h)
{
	if (h && --h->refs == 0) {
		h->free(h->obj);
		free(h);
	}
}

static void set_free(struct set *s)
{
	if (!s)
		return;
	for (int i = 0; i < SRC_MAX; i++)
		holder_put(s->hold[i]);
	free(s);
}

static void set_fill(struct set *s)
{
	void *obj[SRC_MAX];

	for (int i = 0; i < SRC_MAX; i++)
		obj[i] = s->hold[i] ? s->hold[i]->obj : NULL;
	s->t.networks = obj[SRC_NETWORKS];
	s->t.asn_db = obj[SRC_ASN_DB];
	s->t.country_db = obj[SRC_COUNTRY_DB];
	s->t.ifaces = obj[SRC_IFACES];
	s->t.exporters = obj[SRC_EXPORTERS];
}

struct enrich *enrich_new(void)
{
	struct enrich *e = aligned_alloc(64, sizeof(struct enrich));
	struct set *s = calloc(1, sizeof(*s));

	if (!e || !s) {
		free(e);
		free(s);
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->wlock, NULL);
	s->t.generation = 1;
	atomic_init(&e->cur, s);
	atomic_init(&e->epoch, 1);
	for (int i = 0; i < ENRICH_MAX_READERS; i++)
		atomic_init(&e->readers[i].epoch, 0);
	return e;
}

void enrich_free(struct enrich *e)
{
	if (!e)
		return;
	while (e->retired) {
		struct retired *r = e->retired;

		e->retired = r->next;
		set_free(r->set);
		free(r);
	}
	set_free(atomic_load(&e->cur));
	pthread_mutex_destroy(&e->wlock);
	free(e);
}

int enrich_reader_add(struct enrich *e)
{
	if (e->n_readers == ENRICH_MAX_READERS)
		return -ENOSPC;
	return e->n_readers++;
}

const struct enrich_tables *enrich_read_begin(struct enrich *e, int slot)
{
	atomic_store(&e->readers[slot].epoch, atomic_load(&e->epoch));
	return &atomic_load(&e->cur)->t;
}

void enrich_read_end(struct enrich *e, int slot)
{
	atomic_store_explicit(&e->readers[slot].epoch, 0, memory_order_release);
}

static size_t reclaim_locked(struct enrich *e)
{
	uint64_t min = UINT64_MAX;
	struct retired **pp = &e->retired;
	size_t left = 0;

	for (int i = 0; i < e->n_readers; i++) {
		uint64_t ep = atomic_load(&e->readers[i].epoch);

		if (ep && ep < min)
			min = ep;
	}
	while (*pp) {
		struct retired *r = *pp;

		if (r->epoch <= min) {
			*pp = r->next;
			set_free(r->set);
			free(r);
		} else {
			pp = &r->next;
			left++;
		}
	}
	return left;
}

size_t enrich_reclaim(struct enrich *e)
{
	size_t left;

	pthread_mutex_lock(&e->wlock);
	left = reclaim_locked(e);
	pthread_mutex_unlock(&e->wlock);
	return left;
}

/* Publishes a copy of the current set with source `which` replaced by a new
 * holder of obj (NULL: none). */
static int replace(struct enrich *e, enum src which, void *obj,
		   void (*obj_free)(void *))
{
	struct set *old;
	struct set *s = calloc(1, sizeof(*s));
	struct retired *r = malloc(sizeof(*r));
	struct holder *h = obj ? malloc(sizeof(*h)) : NULL;

	if (!s || !r || (obj && !h)) {
		free(s);
		free(r);
		free(h);
		return -ENOMEM;
	}
	pthread_mutex_lock(&e->wlock);
	old = atomic_load(&e->cur);
	if (h)
		*h = (struct holder){ .refs = 1, .obj = obj, .free = obj_free };
	for (int i = 0; i < SRC_MAX; i++) {
		s->hold[i] = i == (int)which ? h : old->hold[i];
		if (i != (int)which && s->hold[i])
			s->hold[i]->refs++;
	}
	set_fill(s);
	s->t.generation = old->t.generation + 1;
	atomic_store(&e->cur, s);
	r->set = old;
	r->epoch = atomic_fetch_add(&e->epoch, 1) + 1;
	r->next = e->retired;
	e->retired = r;
	reclaim_locked(e);
	pthread_mutex_unlock(&e->wlock);
	return 0;
}

static void networks_free(void *obj)
{
	enrich_networks_free(obj);
}

int enrich_set_networks(struct enrich *e, struct enrich_networks *n)
{
	return replace(e, SRC_NETWORKS, n, networks_free);
}

static void geo_free(void *obj)
{
	enrich_geo_db_free(obj);
}

int enrich_set_asn_db(struct enrich *e, struct enrich_geo_db *g)
{
	return replace(e, SRC_ASN_DB, g, geo_free);
}

int enrich_set_country_db(struct enrich *e, struct enrich_geo_db *g)
{
	return replace(e, SRC_COUNTRY_DB, g, geo_free);
}

static void ifaces_free(void *obj)
{
	enrich_ifaces_free(obj);
}

int enrich_set_ifaces(struct enrich *e, struct enrich_ifaces *t)
{
	return replace(e, SRC_IFACES, t, ifaces_free);
}

static void exporters_free(void *obj)
{
	enrich_exporters_free(obj);
}

int enrich_set_exporters(struct enrich *e, struct enrich_exporters *x)
{
	return replace(e, SRC_EXPORTERS, x, exporters_free);
}

uint64_t enrich_generation(struct enrich *e)
{
	return atomic_load(&e->cur)->t.generation;
}

static void geo_merge(const struct enrich_geo *as, const struct enrich_geo *cc,
		      struct enrich_geo *out);

static void geo(const struct enrich_tables *t, const struct flow_addr *a,
		struct enrich_geo *out)
{
	if (a->len == 0)
		return;
	geo_merge(t->asn_db ? enrich_geo_db_lookup(t->asn_db, a) : NULL,
		  t->country_db ? enrich_geo_db_lookup(t->country_db, a) : NULL,
		  out);
}

void enrich_flow(const struct enrich_tables *t, const struct flow_addr *src,
		 const struct flow_addr *dst, const struct flow_addr *exporter,
		 uint32_t in_if, uint32_t out_if, struct enrich_result *out)
{
	memset(out, 0, sizeof(*out));
	if (t->networks) {
		out->src.net = enrich_networks_lookup(t->networks, src);
		out->dst.net = enrich_networks_lookup(t->networks, dst);
	}
	geo(t, src, &out->src.geo);
	geo(t, dst, &out->dst.geo);
	if (exporter->len == 0)
		return;
	if (t->ifaces) {
		/* ifIndex 0 is "unknown" in NetFlow/IPFIX and sFlow. */
		if (in_if)
			out->in_if = enrich_ifaces_lookup(t->ifaces, exporter,
							  in_if);
		if (out_if)
			out->out_if = enrich_ifaces_lookup(t->ifaces, exporter,
							   out_if);
	}
	if (t->exporters)
		out->exporter = enrich_exporters_lookup(t->exporters, exporter);
}

/* The ASN database's answer, with the country database's country over it
 * and its AS data where the first had none. */
static void geo_merge(const struct enrich_geo *as, const struct enrich_geo *cc,
		      struct enrich_geo *out)
{
	if (as)
		*out = *as;
	if (cc) {
		if (cc->country)
			out->country = cc->country;
		if (!out->asn && !out->as_name) {
			out->asn = cc->asn;
			out->as_name = cc->as_name;
		}
	}
}

void enrich_flow_recs(const struct enrich_tables *t,
		      const struct flow_rec *recs, size_t n,
		      struct enrich_result *out)
{
	enum { CHUNK = 32 };
	const struct flow_addr *addrs[2 * CHUNK];
	const struct enrich_net *nets[2 * CHUNK];
	const struct enrich_geo *as[2 * CHUNK], *cc[2 * CHUNK];

	for (size_t base = 0; base < n; base += CHUNK) {
		size_t m = n - base < CHUNK ? n - base : CHUNK;

		for (size_t i = 0; i < m; i++) {
			addrs[2 * i] = &recs[base + i].src_addr;
			addrs[2 * i + 1] = &recs[base + i].dst_addr;
			nets[2 * i] = nets[2 * i + 1] = NULL;
			as[2 * i] = as[2 * i + 1] = NULL;
			cc[2 * i] = cc[2 * i + 1] = NULL;
		}
		if (t->networks)
			enrich_networks_lookup_batch(t->networks, addrs, 2 * m,
						     nets);
		if (t->asn_db)
			enrich_geo_db_lookup_batch(t->asn_db, addrs, 2 * m, as);
		if (t->country_db)
			enrich_geo_db_lookup_batch(t->country_db, addrs, 2 * m,
						   cc);
		for (size_t i = 0; i < m; i++) {
			const struct flow_rec *r = &recs[base + i];
			struct enrich_result *o = &out[base + i];
			const struct flow_addr *exp = &r->sampler_address;

			memset(o, 0, sizeof(*o));
			o->src.net = nets[2 * i];
			o->dst.net = nets[2 * i + 1];
			geo_merge(as[2 * i], cc[2 * i], &o->src.geo);
			geo_merge(as[2 * i + 1], cc[2 * i + 1], &o->dst.geo);
			if (exp->len == 0)
				continue;
			if (t->ifaces) {
				if (r->in_if)
					o->in_if =
						enrich_ifaces_lookup(t->ifaces,
								     exp,
								     r->in_if);
				if (r->out_if)
					o->out_if =
						enrich_ifaces_lookup(t->ifaces,
								     exp,
								     r->out_if);
			}
			if (t->exporters)
				o->exporter =
					enrich_exporters_lookup(t->exporters,
								exp);
		}
	}
}
