// SPDX-License-Identifier: Apache-2.0
/*
 * Networks file parser (format in networks_file.h): reads the CSV line by
 * line, collects one record per row (strings interned in an arena), adds
 * the prefixes to a prefix_table builder with record indexes as values,
 * and builds the table with a merge that fills each record's unset
 * attributes from its nearest enclosing prefix's merged record.
 */
#include "enrich/networks_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "enrich/csv.h"
#include "enrich/prefix_table.h"
#include "enrich/str_arena.h"

enum col {
	COL_PREFIX,
	COL_NAME,
	COL_ROLE,
	COL_SITE,
	COL_REGION,
	COL_TENANT,
	COL_ASN,
	COL_COUNTRY,
	N_COLS
};

static const char *const col_names[N_COLS] = {
	"prefix", "name", "role", "site", "region", "tenant", "asn", "country",
};

struct enrich_networks {
	struct prefix_table *table;
	struct enrich_net *recs; /* recs[0] unused: value 0 is "no match" */
	size_t n_recs, cap_recs;
	struct str_arena *strs;
	size_t n_prefixes;
};

/* What a load builds: the networks and the prefix table builder. */
struct loader {
	struct enrich_networks *n;
	struct prefix_table_builder *b;
};

static int check_header(void *ctx, struct csv *c, const int *cols, int ncols)
{
	bool has_prefix = false;

	(void)ctx;
	for (int k = 0; k < ncols; k++)
		has_prefix |= cols[k] == COL_PREFIX;
	if (!has_prefix)
		return csv_fail(c, "no 'prefix' column in the header");
	return 0;
}

static int parse_asn(struct csv *c, const char *s, uint32_t *asn)
{
	unsigned long long v = 0;
	const char *d = s;

	if (strncasecmp(d, "AS", 2) == 0)
		d += 2;
	if (!*d)
		return csv_fail(c, "'%s' is not an AS number", s);
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return csv_fail(c, "'%s' is not an AS number", s);
		v = v * 10 + (unsigned)(*d - '0');
		if (v > UINT32_MAX)
			return csv_fail(c, "AS number '%s' above 4294967295",
					s);
	}
	if (v == 0)
		return csv_fail(c, "AS number 0 is reserved");
	*asn = (uint32_t)v;
	return 0;
}

#define HUGE_PAGE ((size_t)2 << 20)

static int add_rec(struct enrich_networks *n, struct enrich_net **rec)
{
	if (n->n_recs == n->cap_recs) {
		size_t cap = n->cap_recs ? n->cap_recs * 2 : 256;
		size_t bytes = cap * sizeof(struct enrich_net);
		/* Aligned: one cache line per record. A big array (records
		 * are read at random, one per flow side) in huge pages from
		 * its first fault: far fewer TLB misses (advisory only). */
		bool huge = bytes >= HUGE_PAGE && bytes % HUGE_PAGE == 0;
		struct enrich_net *r =
			aligned_alloc(huge ? HUGE_PAGE
					   : _Alignof(struct enrich_net),
				      bytes);

		if (!r)
			return -ENOMEM;
		if (huge)
			(void)madvise(r, bytes, MADV_HUGEPAGE);
		if (n->n_recs)
			memcpy(r, n->recs, n->n_recs * sizeof(*r));
		free(n->recs);
		n->recs = r;
		n->cap_recs = cap;
	}
	*rec = &n->recs[n->n_recs++];
	memset(*rec, 0, sizeof(**rec));
	return 0;
}

/* struct enrich_net keeps each string's length in 16 bits. */
_Static_assert(CSV_MAX_FIELD <= UINT16_MAX, "field lengths fit");

static int parse_row(void *ctx, struct csv *c, const int *cols, int ncols)
{
	struct loader *ld = ctx;
	struct enrich_networks *n = ld->n;
	int nf = c->n;
	struct enrich_net *rec;
	struct flow_addr a;
	unsigned len = 0;
	int err;

	if (nf != ncols)
		return csv_fail(c, "%d fields, the header has %d", nf, ncols);
	if (n->n_recs >= PREFIX_TABLE_MAX_VALUE / 2)
		return csv_fail(c, "too many rows");
	err = add_rec(n, &rec);
	if (err)
		return err;
	for (int k = 0; k < nf; k++) {
		const char *f = c->field[k], **dst = NULL;
		uint16_t *dlen = NULL;
		size_t flen = c->len[k];

		if (flen == 0 && cols[k] != COL_PREFIX)
			continue;
		switch (cols[k]) {
		case COL_PREFIX:
			err = csv_prefix(c, f, &a, &len);
			break;
		case COL_NAME:
			dst = &rec->name;
			dlen = &rec->name_len;
			break;
		case COL_ROLE:
			dst = &rec->role;
			dlen = &rec->role_len;
			break;
		case COL_SITE:
			dst = &rec->site;
			dlen = &rec->site_len;
			break;
		case COL_REGION:
			dst = &rec->region;
			dlen = &rec->region_len;
			break;
		case COL_TENANT:
			dst = &rec->tenant;
			dlen = &rec->tenant_len;
			break;
		case COL_ASN:
			err = parse_asn(c, f, &rec->asn);
			break;
		case COL_COUNTRY: {
			char cc[3];

			if (flen != 2 ||
			    !((f[0] | 0x20) >= 'a' && (f[0] | 0x20) <= 'z') ||
			    !((f[1] | 0x20) >= 'a' && (f[1] | 0x20) <= 'z'))
				return csv_fail(c,
						"country '%s' is not two letters",
						f);
			cc[0] = (char)(f[0] & ~0x20);
			cc[1] = (char)(f[1] & ~0x20);
			cc[2] = '\0';
			rec->country = str_arena_add(n->strs, cc, 2);
			if (!rec->country)
				return -ENOMEM;
			rec->country_len = 2;
			break;
		}
		default:
			break;
		}
		if (err)
			return err;
		if (dst) {
			*dst = str_arena_add(n->strs, f, flen);
			if (!*dst)
				return -ENOMEM;
			*dlen = (uint16_t)flen;
		}
	}
	n->n_prefixes++;
	return prefix_table_builder_add(ld->b, &a, len,
					(uint32_t)(n->n_recs - 1), c->line);
}

/* The merged record: own attributes, the parent's where own has none. */
static uint32_t merge(void *ctx, uint32_t parent, uint32_t own)
{
	struct enrich_networks *n = ctx;
	struct enrich_net *m, o, pa;

	o = n->recs[own];
	pa = n->recs[parent];
	if (add_rec(n, &m))
		return PREFIX_TABLE_NONE;
#define PICK(f)                                                                \
	do {                                                                   \
		m->f = o.f ? o.f : pa.f;                                       \
		m->f##_len = o.f ? o.f##_len : pa.f##_len;                     \
	} while (0)
	PICK(name);
	PICK(role);
	PICK(site);
	PICK(region);
	PICK(tenant);
	PICK(country);
#undef PICK
	m->asn = o.asn ? o.asn : pa.asn;
	return (uint32_t)(n->n_recs - 1);
}

void enrich_networks_free(struct enrich_networks *n)
{
	if (!n)
		return;
	prefix_table_free(n->table);
	free(n->recs);
	str_arena_free(n->strs);
	free(n);
}

/* Builds the table once all rows are in (and frees the builder). */
static int build(void *ctx, struct csv *c)
{
	struct loader *ld = ctx;
	struct prefix_table_dup dup;
	int ret = prefix_table_build(ld->b, merge, ld->n, &ld->n->table, &dup);

	prefix_table_builder_free(ld->b);
	ld->b = NULL;
	if (ret == -EEXIST) {
		c->line = dup.dup_tag;
		ret = csv_fail(c, "duplicate prefix (first on line %u)",
			       dup.first_tag);
	}
	return ret;
}

/* Frees what a failed load built. */
static void free_loader(void *ctx)
{
	struct loader *ld = ctx;

	enrich_networks_free(ld->n);
	prefix_table_builder_free(ld->b);
}

static const struct csv_rows rows = {
	.names = col_names,
	.n_names = N_COLS,
	.header = check_header,
	.row = parse_row,
	.end = build,
	.free = free_loader,
};

/* Starts a load: empty networks (with the unused record 0) and builder.
 * Returns ld, or NULL (nothing left allocated). */
static struct loader *loader_init(struct loader *ld)
{
	struct enrich_net *rec0;

	ld->n = calloc(1, sizeof(*ld->n));
	ld->b = prefix_table_builder_new();
	if (ld->n && ld->b && (ld->n->strs = str_arena_new()) &&
	    !add_rec(ld->n, &rec0))
		return ld;
	enrich_networks_free(ld->n);
	prefix_table_builder_free(ld->b);
	return NULL;
}

int enrich_networks_parse(const char *buf, size_t len, const char *name,
			  struct enrich_networks **out, char *err,
			  size_t errlen)
{
	struct loader ld_, *ld = loader_init(&ld_);
	int ret = csv_load(&rows, ld, buf, len, name, err, errlen);

	if (!ret)
		*out = ld->n;
	return ret;
}

int enrich_networks_load(const char *path, struct enrich_networks **out,
			 char *err, size_t errlen)
{
	struct loader ld_, *ld = loader_init(&ld_);
	int ret = csv_load_file(&rows, ld, path, err, errlen);

	if (!ret)
		*out = ld->n;
	return ret;
}

const struct enrich_net *enrich_networks_lookup(const struct enrich_networks *n,
						const struct flow_addr *a)
{
	uint32_t v = prefix_table_lookup(n->table, a);

	return v == PREFIX_TABLE_NONE ? NULL : &n->recs[v];
}

void enrich_networks_lookup_batch(const struct enrich_networks *nets,
				  const struct flow_addr *const *addrs,
				  size_t n, const struct enrich_net **out)
{
	enum { CHUNK = 64 };
	uint32_t v[CHUNK];

	for (size_t base = 0; base < n; base += CHUNK) {
		size_t m = n - base < CHUNK ? n - base : CHUNK;

		prefix_table_lookup_addrs(nets->table, addrs + base, m, v);
		for (size_t i = 0; i < m; i++) {
			const struct enrich_net *r = &nets->recs[v[i]];

			/* The caller reads each record soon (one cache line):
			 * start the misses now. */
			__builtin_prefetch(r);
			out[base + i] = v[i] == PREFIX_TABLE_NONE ? NULL : r;
		}
	}
}

size_t enrich_networks_count(const struct enrich_networks *n)
{
	return n->n_prefixes;
}

size_t enrich_networks_bytes(const struct enrich_networks *n)
{
	return sizeof(*n) + prefix_table_bytes(n->table) +
	       n->cap_recs * sizeof(*n->recs) + str_arena_bytes(n->strs);
}
