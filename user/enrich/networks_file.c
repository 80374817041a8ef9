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

/* The header's column index for each field, and the CSV reader. */
struct parser {
	struct csv csv;
	int cols[N_COLS];
	int ncols;
};

#define fail(p, ...) csv_fail(&(p)->csv, __VA_ARGS__)

static int parse_header(struct parser *p)
{
	bool has_prefix = false;
	int err = csv_header(&p->csv, col_names, N_COLS, p->cols);

	if (err)
		return err;
	for (int k = 0; k < p->csv.n; k++)
		has_prefix |= p->cols[k] == COL_PREFIX;
	if (!has_prefix)
		return fail(p, "no 'prefix' column in the header");
	return 0;
}

static int parse_asn(struct parser *p, const char *s, uint32_t *asn)
{
	unsigned long long v = 0;
	const char *d = s;

	if (strncasecmp(d, "AS", 2) == 0)
		d += 2;
	if (!*d)
		return fail(p, "'%s' is not an AS number", s);
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return fail(p, "'%s' is not an AS number", s);
		v = v * 10 + (unsigned)(*d - '0');
		if (v > UINT32_MAX)
			return fail(p, "AS number '%s' above 4294967295", s);
	}
	if (v == 0)
		return fail(p, "AS number 0 is reserved");
	*asn = (uint32_t)v;
	return 0;
}

static int add_rec(struct enrich_networks *n, struct enrich_net **rec)
{
	if (n->n_recs == n->cap_recs) {
		size_t cap = n->cap_recs ? n->cap_recs * 2 : 256;
		struct enrich_net *r = realloc(n->recs, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		n->recs = r;
		n->cap_recs = cap;
	}
	*rec = &n->recs[n->n_recs++];
	memset(*rec, 0, sizeof(**rec));
	return 0;
}

static int parse_row(struct parser *p, struct enrich_networks *n,
		     struct prefix_table_builder *b)
{
	int nf = p->csv.n, ncols = p->ncols;
	struct enrich_net *rec;
	struct flow_addr a;
	unsigned len = 0;
	int err;

	if (nf != ncols)
		return fail(p, "%d fields, the header has %d", nf, ncols);
	if (n->n_recs >= PREFIX_TABLE_MAX_VALUE / 2)
		return fail(p, "too many rows");
	err = add_rec(n, &rec);
	if (err)
		return err;
	for (int k = 0; k < nf; k++) {
		const char *f = p->csv.field[k], **dst = NULL;
		size_t flen = p->csv.len[k];

		if (flen == 0 && p->cols[k] != COL_PREFIX)
			continue;
		switch (p->cols[k]) {
		case COL_PREFIX:
			err = csv_prefix(&p->csv, f, &a, &len);
			break;
		case COL_NAME:
			dst = &rec->name;
			break;
		case COL_ROLE:
			dst = &rec->role;
			break;
		case COL_SITE:
			dst = &rec->site;
			break;
		case COL_REGION:
			dst = &rec->region;
			break;
		case COL_TENANT:
			dst = &rec->tenant;
			break;
		case COL_ASN:
			err = parse_asn(p, f, &rec->asn);
			break;
		case COL_COUNTRY: {
			char cc[3];

			if (flen != 2 ||
			    !((f[0] | 0x20) >= 'a' && (f[0] | 0x20) <= 'z') ||
			    !((f[1] | 0x20) >= 'a' && (f[1] | 0x20) <= 'z'))
				return fail(p,
					    "country '%s' is not two letters",
					    f);
			cc[0] = (char)(f[0] & ~0x20);
			cc[1] = (char)(f[1] & ~0x20);
			cc[2] = '\0';
			rec->country = str_arena_add(n->strs, cc, 2);
			if (!rec->country)
				return -ENOMEM;
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
		}
	}
	n->n_prefixes++;
	return prefix_table_builder_add(b, &a, len, (uint32_t)(n->n_recs - 1),
					p->csv.line);
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
	m->name = o.name ? o.name : pa.name;
	m->role = o.role ? o.role : pa.role;
	m->site = o.site ? o.site : pa.site;
	m->region = o.region ? o.region : pa.region;
	m->tenant = o.tenant ? o.tenant : pa.tenant;
	m->country = o.country ? o.country : pa.country;
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

static int parse_lines(struct parser *p, struct enrich_networks *n,
		       struct prefix_table_builder *b)
{
	bool header = false;
	int ret;

	while ((ret = csv_next(&p->csv)) == 1) {
		ret = header ? parse_row(p, n, b) : parse_header(p);
		if (ret)
			return ret;
		if (!header)
			p->ncols = p->csv.n;
		header = true;
	}
	if (ret)
		return ret;
	if (!header)
		return fail(p, "no header line");
	return 0;
}

int enrich_networks_parse(const char *buf, size_t len, const char *name,
			  struct enrich_networks **out, char *err,
			  size_t errlen)
{
	struct parser *p = calloc(1, sizeof(*p));
	struct enrich_networks *n = calloc(1, sizeof(*n));
	struct prefix_table_builder *b = prefix_table_builder_new();
	struct enrich_net *rec0;
	struct prefix_table_dup dup;
	int ret = -ENOMEM;

	if (!p || !n || !b || !(n->strs = str_arena_new()) || add_rec(n, &rec0))
		goto out;
	csv_init(&p->csv, buf, len, name, N_COLS, err, errlen);
	ret = parse_lines(p, n, b);
	if (ret)
		goto out;
	ret = prefix_table_build(b, merge, n, &n->table, &dup);
	if (ret == -EEXIST) {
		p->csv.line = dup.dup_tag;
		ret = fail(p, "duplicate prefix (first on line %u)",
			   dup.first_tag);
	}
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	if (ret)
		enrich_networks_free(n);
	else
		*out = n;
	prefix_table_builder_free(b);
	free(p);
	return ret;
}

int enrich_networks_load(const char *path, struct enrich_networks **out,
			 char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int ret = csv_read_file(path, &buf, &len, err, errlen);

	if (ret)
		return ret;
	ret = enrich_networks_parse(buf, len, path, out, err, errlen);
	free(buf);
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
		for (size_t i = 0; i < m; i++)
			out[base + i] = v[i] == PREFIX_TABLE_NONE
						? NULL
						: &nets->recs[v[i]];
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
