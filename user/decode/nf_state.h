/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NetFlow v9/IPFIX store of one decode context (user/decode/nf_state.c):
 * compiled templates kept in a bounded LRU, per-sampler sampling rates
 * learnt from options data, and the FIFO of data sets held until their
 * template arrives. It knows nothing of decoding or of statistics: callers
 * decode what it hands out and count what it reports. Included by
 * nf_state.c, nf_compile.h, nf_fields.h, nf9.c, ipfix.c, nf_persist.c,
 * decode.c and tests/unit/test_nf_state.c, test_nf_compile.c.
 */
#ifndef XDPFLOW_DECODE_NF_STATE_H
#define XDPFLOW_DECODE_NF_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

#define NF_MAX_FIELDS 256 /* fields per template (scope included) */
#define NF_VARLEN                                                              \
	0xffff /* variable-length field in a template (IPFIX,
				 * and NetFlow v9 from some vendors) */

/* The tid of a sampler entry that is an interface's (v9 options scoped by
 * interface; its sampler field is the ifIndex); 0 for sampler ids. */
#define NF_SAMPLER_IF 1

/* What identifies a template or a sampler. Packed, no padding: compared and
 * hashed as bytes (callers zero it first). */
struct nf_key {
	uint8_t addr[16]; /* exporter address */
	uint8_t alen;	  /* 4 or 16 (0 for unknown) */
	uint8_t ver;	  /* 9 or 10: v9 and IPFIX kept apart */
	uint16_t tid;	  /* template id (0 for sampler entries) */
	uint32_t domain;  /* v9 source id / IPFIX observation domain */
	uint32_t sampler; /* sampler id (0 for templates) */
};

/* Hash-chain and LRU links; first member of templates and samplers. */
struct nf_node {
	struct nf_node *hnext;
	struct nf_node *prev, *next; /* LRU, most recent at head */
	uint64_t hash;
	struct nf_key key;
};

/* A template field as exported. */
struct nf_field {
	uint32_t pen; /* enterprise number, 0 if none */
	uint16_t ie;  /* element id, enterprise bit cleared */
	uint16_t len; /* NF_VARLEN for variable length */
};

/* A compiled step: apply handler `op` to `len` bytes at record offset `off`
 * (fixed-length templates only list the fields they use). */
struct nf_step {
	uint8_t op;
	uint8_t arg;
	uint16_t len;
	uint16_t off;
};

struct nf_tmpl {
	struct nf_node node;
	uint16_t nfields; /* scope fields first */
	uint16_t nscope;
	uint16_t nsteps;
	uint8_t options;  /* options template: records are not flows */
	uint8_t varlen;	  /* has variable-length fields */
	uint32_t min_len; /* record length (fixed) or its minimum (varlen) */
	size_t bytes;	  /* allocation size, for the memory budget */
	uint64_t seen_ns; /* when last announced (datagram receive time);
			   * 0: loaded from a templates file, not seen since */
	struct nf_field *fields; /* nfields entries (in the same allocation) */
	struct nf_step *steps;	 /* fixed: nsteps used fields; varlen: one
				    step per field (op 0 when unused) */
};

/* A template's decode plan as nf_compile makes it, for nf_state_tmpl_put
 * (which copies fields and steps). */
struct nf_plan {
	bool options;
	bool varlen;
	uint16_t nscope;
	uint16_t nfields;
	uint16_t nsteps;
	uint32_t min_len;
	const struct nf_field *fields;
	struct nf_step steps[NF_MAX_FIELDS];
};

/* A sampler's learnt state. */
struct nf_sampler {
	struct nf_node node;
	uint64_t rate;	     /* 0: unknown */
	uint64_t sysinit_ms; /* IPFIX systemInitTimeMilliseconds, 0: unknown */
	bool explicit_rate;  /* rate set by a record naming this sampler */
	bool if_rates;	     /* a domain's entry: some of its interfaces
			       * have rates of their own (NF_SAMPLER_IF) */
};

/* One export message's header, as data set decoding needs it (also kept
 * with held sets, so replayed flows carry their own packet's header). */
struct nf_msg {
	struct flow_addr exporter;
	uint16_t exporter_port;
	uint8_t ver; /* 9 or 10 */
	uint64_t time_received_ns;
	uint32_t seq;
	uint32_t export_secs;
	uint32_t uptime_ms; /* v9 SysUptime */
	uint32_t domain;
};

struct nf_hlink {
	struct nf_hlink *prev, *next; /* the store's FIFO, oldest at head */
};

/* A data set held until its template arrives. The store owns it until
 * it hands it out (nf_state_held_*); the caller then frees it with free(). */
struct nf_held {
	struct nf_hlink link; /* first: a link is its held set */
	struct nf_held *next; /* chains the sets nf_state_held_take returns */
	struct nf_key key;    /* the template it waits for */
	struct nf_msg msg;    /* its own message's header */
	size_t len;
	uint8_t data[]; /* the set body (header excluded) */
};

/* The store's bounds (from struct decode_config). */
struct nf_state_bounds {
	size_t max_templates;	  /* templates, and samplers */
	size_t max_held_sets;	  /* held data sets */
	size_t max_held_bytes;	  /* and their bytes in all */
	uint64_t held_max_age_ns; /* held sets older than this expire */
};

/* Returns a new, empty store within bounds b, or NULL (out of memory). */
struct nf_state *nf_state_new(const struct nf_state_bounds *b);

/* Frees the store and everything it holds; NULL is a no-op. */
void nf_state_free(struct nf_state *nf);

/* True once since the last call if templates changed (learnt, withdrawn,
 * or marked with nf_state_touch). */
bool nf_state_dirty(struct nf_state *nf);

/* Builds the template/sampler key for msg (sampler 0, tid 0 allowed). */
void nf_state_key(struct nf_key *k, const struct nf_msg *msg, uint16_t tid,
		  uint32_t sampler);

/* Looks a template up (and marks it recently used). NULL if unknown. */
struct nf_tmpl *nf_state_tmpl_find(struct nf_state *nf, const struct nf_key *k);

/*
 * Stores template k as plan describes it (fields and steps copied into one
 * allocation), replacing any template with that key, and marks the state
 * dirty. Evicts the least recently used templates past the bounds (count
 * and memory); *evicted says how many, also on failure. Returns 0 or
 * -ENOMEM (then no template is stored under k).
 */
int nf_state_tmpl_put(struct nf_state *nf, const struct nf_key *k,
		      const struct nf_plan *plan, size_t *evicted);

/* Records that template k (if known) was announced at ns. */
void nf_state_tmpl_seen(struct nf_state *nf, const struct nf_key *k,
			uint64_t ns);

/* Forgets one template (tid != 0xffff) or all of an (exporter, version,
 * domain) with options == -1 (all), 0 (data templates), 1 (options).
 * Returns how many were removed. */
size_t nf_state_tmpl_withdraw(struct nf_state *nf, const struct nf_key *k);
size_t nf_state_tmpl_withdraw_all(struct nf_state *nf, const struct nf_key *k,
				  int options);

/* Sampler entry lookup; create makes it (LRU-bounded) when missing. */
struct nf_sampler *nf_state_sampler(struct nf_state *nf, const struct nf_key *k,
				    bool create);

/*
 * Holds a copy of set[0..len), a data set of msg for template tid, at the
 * tail of the FIFO. Returns 0; -E2BIG if a set that long can never be held
 * within the bounds (or holding is off); -ENOBUFS if the bounds are full
 * (nf_state_held_pop the oldest, then try again); -ENOMEM.
 */
int nf_state_hold(struct nf_state *nf, const struct nf_msg *msg, uint16_t tid,
		  const uint8_t *set, size_t len);

/* Hands out the oldest held set if it is older than the age bound at
 * now_ns (received after now_ns: not expired), else NULL. */
struct nf_held *nf_state_held_expired(struct nf_state *nf, uint64_t now_ns);

/* Hands out the oldest held set; NULL if none is held. */
struct nf_held *nf_state_held_pop(struct nf_state *nf);

/* Hands out every set held for template key k, oldest first, chained by
 * ->next; NULL if none. */
struct nf_held *nf_state_held_take(struct nf_state *nf, const struct nf_key *k);

/* How many data sets are held. */
size_t nf_state_held_count(const struct nf_state *nf);

/* Marks the templates as changed (for nf_state_dirty). */
void nf_state_touch(struct nf_state *nf);

/* Iteration for persistence: calls fn for every template / sampler. */
void nf_state_foreach_tmpl(const struct nf_state *nf,
			   void (*fn)(const struct nf_tmpl *t, void *arg),
			   void *arg);
void nf_state_foreach_sampler(const struct nf_state *nf,
			      void (*fn)(const struct nf_sampler *s, void *arg),
			      void *arg);

#endif
