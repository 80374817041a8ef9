// SPDX-License-Identifier: Apache-2.0
/*
 * NetFlow v9/IPFIX state of one decode context: templates keyed by
 * (exporter, version, domain, template id) compiled once into decode plans,
 * sampler entries keyed by (exporter, version, domain, sampler id), both in
 * bounded hash tables with LRU eviction, and the FIFO of data sets held
 * until their template arrives (bounded in count, bytes and age). A plain
 * store: it decodes nothing and counts nothing; callers (nf_compile.c,
 * nf_fields.c) decode what it hands out and account for it.
 */
#include "decode/nf_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(struct nf_key) == 28, "nf_key must have no padding");

/* Templates take at most this much memory per context, whatever their
 * count: a flood of wide templates evicts instead of growing. */
#define NF_TMPL_BYTES_MAX (24u << 20)
#define NF_BUCKETS_MAX (1u << 20)

struct nf_map {
	struct nf_node **buckets;
	size_t mask;
	size_t n, max;
	struct nf_node lru; /* sentinel: lru.next most recent */
};

struct nf_state {
	struct nf_state_bounds cfg;
	struct nf_map tmpls;
	size_t tmpl_bytes;
	struct nf_map samplers;
	struct nf_hlink held; /* sentinel */
	size_t n_held, held_bytes;
	bool dirty;
};

/* Three 8-byte words and one 4-byte word, multiplied independently so
 * that the multiplies overlap, then folded. */
static uint64_t key_hash(const struct nf_key *k)
{
	uint64_t a, b, c, h;
	uint32_t d;

	memcpy(&a, (const char *)k, 8);
	memcpy(&b, (const char *)k + 8, 8);
	memcpy(&c, (const char *)k + 16, 8);
	memcpy(&d, (const char *)k + 24, 4);
	h = (a ^ 0x9e3779b97f4a7c15ULL) * 0xff51afd7ed558ccdULL;
	h ^= (b ^ 0xc4ceb9fe1a85ec53ULL) * 0x94d049bb133111ebULL;
	h ^= (c ^ ((uint64_t)d << 32)) * 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

static int map_init(struct nf_map *m, size_t max)
{
	size_t nb = 16;

	m->max = max ? max : 1;
	while (nb < m->max && nb < NF_BUCKETS_MAX)
		nb <<= 1;
	m->buckets = calloc(nb, sizeof(*m->buckets));
	if (!m->buckets)
		return -ENOMEM;
	m->mask = nb - 1;
	m->n = 0;
	m->lru.next = m->lru.prev = &m->lru;
	return 0;
}

static void lru_unlink(struct nf_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
}

static void lru_push(struct nf_map *m, struct nf_node *n)
{
	n->next = m->lru.next;
	n->prev = &m->lru;
	m->lru.next->prev = n;
	m->lru.next = n;
}

static struct nf_node *map_find(struct nf_map *m, const struct nf_key *k,
				uint64_t h)
{
	for (struct nf_node *n = m->buckets[h & m->mask]; n; n = n->hnext) {
		if (n->hash == h && !memcmp(&n->key, k, sizeof(*k))) {
			if (m->lru.next != n) {
				lru_unlink(n);
				lru_push(m, n);
			}
			return n;
		}
	}
	return NULL;
}

/* The most recently used entry when it has key k: a data set's template
 * (looked up twice per set) and its domain's sampler entry are found
 * again without hashing. Exact: a hit is what map_find would return, and
 * it would leave the LRU order as it is. */
static inline struct nf_node *map_head(struct nf_map *m, const struct nf_key *k)
{
	struct nf_node *n = m->lru.next;

	return n != &m->lru && !memcmp(&n->key, k, sizeof(*k)) ? n : NULL;
}

static void map_insert(struct nf_map *m, struct nf_node *n)
{
	struct nf_node **b = &m->buckets[n->hash & m->mask];

	n->hnext = *b;
	*b = n;
	lru_push(m, n);
	m->n++;
}

static void map_remove(struct nf_map *m, struct nf_node *n)
{
	struct nf_node **pp = &m->buckets[n->hash & m->mask];

	while (*pp && *pp != n)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = n->hnext;
	lru_unlink(n);
	m->n--;
}

static void map_free_all(struct nf_map *m)
{
	struct nf_node *n = m->lru.next;

	while (m->buckets && n != &m->lru) {
		struct nf_node *next = n->next;

		free(n);
		n = next;
	}
	free(m->buckets);
	m->buckets = NULL;
}

struct nf_state *nf_state_new(const struct nf_state_bounds *cfg)
{
	struct nf_state *nf = calloc(1, sizeof(*nf));

	if (!nf)
		return NULL;
	nf->cfg = *cfg;
	nf->held.next = nf->held.prev = &nf->held;
	if (map_init(&nf->tmpls, cfg->max_templates) ||
	    map_init(&nf->samplers, cfg->max_templates)) {
		nf_state_free(nf);
		return NULL;
	}
	return nf;
}

static void held_unlink(struct nf_state *nf, struct nf_held *h)
{
	h->link.prev->next = h->link.next;
	h->link.next->prev = h->link.prev;
	nf->n_held--;
	nf->held_bytes -= h->len;
}

void nf_state_free(struct nf_state *nf)
{
	if (!nf)
		return;
	map_free_all(&nf->tmpls);
	map_free_all(&nf->samplers);
	while (nf->held.next != &nf->held) {
		struct nf_held *h = (struct nf_held *)nf->held.next;

		held_unlink(nf, h);
		free(h);
	}
	free(nf);
}

void nf_state_key(struct nf_key *k, const struct nf_msg *msg, uint16_t tid,
		  uint32_t sampler)
{
	uint8_t alen = msg->exporter.len <= 16 ? msg->exporter.len : 16;

	/* Constant-size copies (this runs twice per data set): the address,
	 * then zeros past its length. */
	memcpy(k->addr, msg->exporter.b, sizeof(k->addr));
	if (alen == 4)
		memset(k->addr + 4, 0, 12);
	else if (alen != 16)
		memset(k->addr + alen, 0, 16 - alen);
	k->alen = alen;
	k->ver = msg->ver;
	k->tid = tid;
	k->domain = msg->domain;
	k->sampler = sampler;
}

struct nf_tmpl *nf_state_tmpl_find(struct nf_state *nf, const struct nf_key *k)
{
	struct nf_node *n = map_head(&nf->tmpls, k);

	if (n)
		return (struct nf_tmpl *)n;
	return (struct nf_tmpl *)map_find(&nf->tmpls, k, key_hash(k));
}

static void tmpl_remove(struct nf_state *nf, struct nf_tmpl *t)
{
	map_remove(&nf->tmpls, &t->node);
	nf->tmpl_bytes -= t->bytes;
	free(t);
}

void nf_state_tmpl_seen(struct nf_state *nf, const struct nf_key *k,
			uint64_t ns)
{
	struct nf_tmpl *t =
		(struct nf_tmpl *)map_find(&nf->tmpls, k, key_hash(k));

	if (t)
		t->seen_ns = ns;
}

int nf_state_tmpl_put(struct nf_state *nf, const struct nf_key *k,
		      const struct nf_plan *plan, size_t *evicted)
{
	uint64_t h = key_hash(k);
	struct nf_tmpl *t = (struct nf_tmpl *)map_find(&nf->tmpls, k, h);
	size_t bytes;

	*evicted = 0;
	if (t)
		tmpl_remove(nf, t);
	bytes = sizeof(*t) + plan->nfields * sizeof(struct nf_field) +
		plan->nsteps * sizeof(struct nf_step);
	while (nf->tmpls.n && (nf->tmpls.n >= nf->tmpls.max ||
			       nf->tmpl_bytes + bytes > NF_TMPL_BYTES_MAX)) {
		tmpl_remove(nf, (struct nf_tmpl *)nf->tmpls.lru.prev);
		(*evicted)++;
	}
	t = malloc(bytes);
	if (!t)
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	t->node.key = *k;
	t->node.hash = h;
	t->nfields = plan->nfields;
	t->nscope = plan->nscope;
	t->nsteps = plan->nsteps;
	t->options = plan->options;
	t->varlen = plan->varlen;
	t->min_len = plan->min_len;
	t->bytes = bytes;
	t->fields = (struct nf_field *)(t + 1);
	t->steps = (struct nf_step *)(t->fields + plan->nfields);
	memcpy(t->fields, plan->fields, plan->nfields * sizeof(*t->fields));
	memcpy(t->steps, plan->steps, plan->nsteps * sizeof(*t->steps));
	map_insert(&nf->tmpls, &t->node);
	nf->tmpl_bytes += bytes;
	nf->dirty = true;
	return 0;
}

size_t nf_state_tmpl_withdraw(struct nf_state *nf, const struct nf_key *k)
{
	struct nf_tmpl *t = nf_state_tmpl_find(nf, k);

	if (!t)
		return 0;
	tmpl_remove(nf, t);
	nf->dirty = true;
	return 1;
}

size_t nf_state_tmpl_withdraw_all(struct nf_state *nf, const struct nf_key *k,
				  int options)
{
	struct nf_node *n = nf->tmpls.lru.next;
	size_t removed = 0;

	while (n != &nf->tmpls.lru) {
		struct nf_node *next = n->next;
		struct nf_tmpl *t = (struct nf_tmpl *)n;

		if (n->key.alen == k->alen && n->key.ver == k->ver &&
		    n->key.domain == k->domain &&
		    !memcmp(n->key.addr, k->addr, sizeof(k->addr)) &&
		    (options < 0 || t->options == options)) {
			tmpl_remove(nf, t);
			removed++;
		}
		n = next;
	}
	if (removed)
		nf->dirty = true;
	return removed;
}

struct nf_sampler *nf_state_sampler(struct nf_state *nf, const struct nf_key *k,
				    bool create)
{
	struct nf_sampler *s = (struct nf_sampler *)map_head(&nf->samplers, k);
	uint64_t h;

	if (s)
		return s;
	h = key_hash(k);
	s = (struct nf_sampler *)map_find(&nf->samplers, k, h);
	if (s || !create)
		return s;
	if (nf->samplers.n >= nf->samplers.max) {
		s = (struct nf_sampler *)nf->samplers.lru.prev;
		map_remove(&nf->samplers, &s->node);
		free(s);
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->node.key = *k;
	s->node.hash = h;
	map_insert(&nf->samplers, &s->node);
	return s;
}

void nf_state_touch(struct nf_state *nf)
{
	nf->dirty = true;
}

bool nf_state_dirty(struct nf_state *nf)
{
	bool d = nf->dirty;

	nf->dirty = false;
	return d;
}

struct nf_held *nf_state_held_expired(struct nf_state *nf, uint64_t now_ns)
{
	struct nf_held *h = (struct nf_held *)nf->held.next;

	/* Oldest first: stop at the first set still young enough. */
	if (nf->held.next == &nf->held || now_ns < h->msg.time_received_ns ||
	    now_ns - h->msg.time_received_ns <= nf->cfg.held_max_age_ns)
		return NULL;
	held_unlink(nf, h);
	return h;
}

int nf_state_hold(struct nf_state *nf, const struct nf_msg *msg, uint16_t tid,
		  const uint8_t *set, size_t len)
{
	struct nf_held *h;

	if (nf->cfg.max_held_sets == 0 || len > nf->cfg.max_held_bytes)
		return -E2BIG;
	if (nf->held.next != &nf->held &&
	    (nf->n_held >= nf->cfg.max_held_sets ||
	     nf->held_bytes + len > nf->cfg.max_held_bytes))
		return -ENOBUFS;
	h = malloc(sizeof(*h) + len);
	if (!h)
		return -ENOMEM;
	nf_state_key(&h->key, msg, tid, 0);
	h->next = NULL;
	h->msg = *msg;
	h->len = len;
	memcpy(h->data, set, len);
	h->link.next = &nf->held;
	h->link.prev = nf->held.prev;
	nf->held.prev->next = &h->link;
	nf->held.prev = &h->link;
	nf->n_held++;
	nf->held_bytes += len;
	return 0;
}

struct nf_held *nf_state_held_pop(struct nf_state *nf)
{
	struct nf_held *h = (struct nf_held *)nf->held.next;

	if (nf->held.next == &nf->held)
		return NULL;
	held_unlink(nf, h);
	return h;
}

size_t nf_state_held_count(const struct nf_state *nf)
{
	return nf->n_held;
}

struct nf_held *nf_state_held_take(struct nf_state *nf, const struct nf_key *k)
{
	struct nf_hlink *l = nf->held.next;
	struct nf_held *first = NULL, **tail = &first;

	while (l != &nf->held) {
		struct nf_hlink *next = l->next;
		struct nf_held *h = (struct nf_held *)l;

		if (!memcmp(&h->key, k, sizeof(*k))) {
			held_unlink(nf, h);
			h->next = NULL;
			*tail = h;
			tail = &h->next;
		}
		l = next;
	}
	return first;
}

void nf_state_foreach_tmpl(const struct nf_state *nf,
			   void (*fn)(const struct nf_tmpl *t, void *arg),
			   void *arg)
{
	/* Least recently used first, so a reload keeps the LRU order. */
	for (const struct nf_node *n = nf->tmpls.lru.prev; n != &nf->tmpls.lru;
	     n = n->prev)
		fn((const struct nf_tmpl *)n, arg);
}

void nf_state_foreach_sampler(const struct nf_state *nf,
			      void (*fn)(const struct nf_sampler *s, void *arg),
			      void *arg)
{
	for (const struct nf_node *n = nf->samplers.lru.prev;
	     n != &nf->samplers.lru; n = n->prev)
		fn((const struct nf_sampler *)n, arg);
}
