// SPDX-License-Identifier: Apache-2.0
/*
 * Exporter classification (contract in exporters.h): rules parsed from
 * CSV with compiled regexes; the table of classified exporters is an
 * addr_map onto an array of records whose strings live in the table's own
 * arena, so it outlives the rules it was built from.
 */
#include "enrich/exporters.h"

#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/addr_map.h"
#include "enrich/csv.h"
#include "enrich/str_arena.h"

enum col {
	COL_PREFIX,
	COL_REGEX,
	COL_NAME,
	COL_GROUP,
	COL_ROLE,
	COL_SITE,
	COL_REGION,
	COL_TENANT,
	N_COLS
};

static const char *const col_names[N_COLS] = {
	"prefix", "name_regex", "name",	  "group",
	"role",	  "site",	"region", "tenant",
};

struct rule {
	struct flow_addr pfx;
	unsigned pfx_len;
	bool has_pfx, has_regex;
	regex_t re;
	struct enrich_exporter set;
};

struct enrich_exporter_rules {
	struct rule *rules;
	size_t n, cap;
	struct str_arena *strs;
};

struct enrich_exporters {
	struct addr_map *map; /* value: index into recs + 1 */
	struct enrich_exporter *recs;
	size_t n, cap;
	struct str_arena *strs;
};

void enrich_exporter_rules_free(struct enrich_exporter_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (r->rules[i].has_regex)
			regfree(&r->rules[i].re);
	free(r->rules);
	str_arena_free(r->strs);
	free(r);
}

/* glibc's regcomp copies the tree of a bounded repetition once per count,
 * so nested or large {m,n} can take gigabytes: at most one, bounds <= 64.
 * Stacked repetitions (a+++*) make its matcher take exponential time: none
 * (they never mean more than one). */
#define MAX_BOUND 64

static bool is_rep(char ch)
{
	return ch == '*' || ch == '+' || ch == '?' || ch == '{';
}

static int check_bounds(struct csv *c, const char *re)
{
	bool in_bracket = false, after_rep = false;
	int n = 0;

	for (const char *p = re; *p; p++) {
		bool rep = !in_bracket && is_rep(*p);

		if (rep && after_rep)
			return csv_fail(
				c,
				"name_regex '%s': a repetition operator after another",
				re);
		after_rep = rep;
		if (in_bracket) {
			/* A backslash is literal in a bracket expression. */
			in_bracket = *p != ']';
		} else if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '[') {
			in_bracket = true;
			if (p[1] == '^')
				p++;
			if (p[1] == ']')
				p++;
		} else if (*p == '{') {
			if (++n > 1)
				goto bad;
			/* The bound's digits and commas; regcomp judges the
			 * rest. */
			while (p[1] == ',' || (p[1] >= '0' && p[1] <= '9')) {
				char *end;

				if (p[1] == ',') {
					p++;
					continue;
				}
				if (strtoul(p + 1, &end, 10) > MAX_BOUND)
					goto bad;
				p = end - 1;
			}
			if (p[1] == '}')
				p++; /* after_rep stays: the bound ends here */
		}
	}
	return 0;
bad:
	return csv_fail(
		c,
		"name_regex '%s': at most one {m,n} repetition, with bounds up to %d",
		re, MAX_BOUND);
}

static int parse_row(void *ctx, struct csv *c, const int *cols, int ncols)
{
	struct enrich_exporter_rules *r = ctx;
	struct rule ru = { 0 };
	int err = 0;

	if (c->n != ncols)
		return csv_fail(c, "%d fields, the header has %d", c->n, ncols);
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct rule *n = realloc(r->rules, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->rules = n;
		r->cap = cap;
	}
	for (int k = 0; k < ncols && !err; k++) {
		const char *f = c->field[k];
		const char **dst = NULL;

		if (!c->len[k])
			continue;
		switch (cols[k]) {
		case COL_PREFIX:
			err = csv_prefix(c, f, &ru.pfx, &ru.pfx_len);
			ru.has_pfx = !err;
			break;
		case COL_REGEX: {
			int rc;

			err = check_bounds(c, f);
			if (err)
				break;
			rc = regcomp(&ru.re, f, REG_EXTENDED | REG_NOSUB);
			if (rc) {
				char msg[128];

				regerror(rc, &ru.re, msg, sizeof(msg));
				err = csv_fail(c, "bad name_regex '%s': %s", f,
					       msg);
			}
			ru.has_regex = !rc;
			break;
		}
		case COL_NAME:
			dst = &ru.set.name;
			break;
		case COL_GROUP:
			dst = &ru.set.group;
			break;
		case COL_ROLE:
			dst = &ru.set.role;
			break;
		case COL_SITE:
			dst = &ru.set.site;
			break;
		case COL_REGION:
			dst = &ru.set.region;
			break;
		case COL_TENANT:
			dst = &ru.set.tenant;
			break;
		default:
			break;
		}
		if (!err && dst &&
		    !(*dst = str_arena_add(r->strs, f, c->len[k])))
			err = -ENOMEM;
	}
	/* The rule goes in even on error, so its regex is freed with r. */
	r->rules[r->n++] = ru;
	return err;
}

static void free_ctx(void *ctx)
{
	enrich_exporter_rules_free(ctx);
}

static const struct csv_rows rows = {
	.names = col_names,
	.n_names = N_COLS,
	.row = parse_row,
	.free = free_ctx,
};

/* An empty rule set, or NULL. */
static struct enrich_exporter_rules *rules_new(void)
{
	struct enrich_exporter_rules *r = calloc(1, sizeof(*r));

	if (r && !(r->strs = str_arena_new())) {
		enrich_exporter_rules_free(r);
		return NULL;
	}
	return r;
}

int enrich_exporter_rules_parse(const char *buf, size_t len, const char *name,
				struct enrich_exporter_rules **out, char *err,
				size_t errlen)
{
	struct enrich_exporter_rules *r = rules_new();
	int ret = csv_load(&rows, r, buf, len, name, err, errlen);

	if (!ret)
		*out = r;
	return ret;
}

int enrich_exporter_rules_load(const char *path,
			       struct enrich_exporter_rules **out, char *err,
			       size_t errlen)
{
	struct enrich_exporter_rules *r = rules_new();
	int ret = csv_load_file(&rows, r, path, err, errlen);

	if (!ret)
		*out = r;
	return ret;
}

/* a (4 or 16 bytes; IPv4-mapped counts as IPv4) is in the rule's prefix. */
static bool in_prefix(const struct rule *ru, const struct flow_addr *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *b = a->b;
	unsigned alen = a->len;

	if (alen == 16 && !memcmp(b, mapped, 12)) {
		b += 12;
		alen = 4;
	}
	if (alen != ru->pfx.len)
		return false;
	for (unsigned bit = 0; bit < ru->pfx_len; bit++)
		if ((b[bit / 8] ^ ru->pfx.b[bit / 8]) & (0x80 >> (bit % 8)))
			return false;
	return true;
}

static void fill(const char **dst, const char *src)
{
	if (!*dst)
		*dst = src;
}

void enrich_exporter_classify(const struct enrich_exporter_rules *r,
			      const struct flow_addr *addr, const char *name,
			      struct enrich_exporter *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; r && !name && i < r->n; i++) {
		const struct rule *ru = &r->rules[i];

		if (!ru->has_regex && ru->set.name &&
		    (!ru->has_pfx || in_prefix(ru, addr)))
			name = ru->set.name;
	}
	out->name = name;
	for (size_t i = 0; r && i < r->n; i++) {
		const struct rule *ru = &r->rules[i];

		if (ru->has_pfx && !in_prefix(ru, addr))
			continue;
		if (ru->has_regex &&
		    (!name || regexec(&ru->re, name, 0, NULL, 0) != 0))
			continue;
		fill(&out->group, ru->set.group);
		fill(&out->role, ru->set.role);
		fill(&out->site, ru->set.site);
		fill(&out->region, ru->set.region);
		fill(&out->tenant, ru->set.tenant);
	}
}

struct enrich_exporters *enrich_exporters_new(void)
{
	struct enrich_exporters *x = calloc(1, sizeof(*x));

	if (x && (!(x->map = addr_map_new()) || !(x->strs = str_arena_new()))) {
		enrich_exporters_free(x);
		return NULL;
	}
	return x;
}

void enrich_exporters_free(struct enrich_exporters *x)
{
	if (!x)
		return;
	addr_map_free(x->map);
	free(x->recs);
	str_arena_free(x->strs);
	free(x);
}

/* *dst = a copy of src in x's arena (NULL stays NULL). */
static int copy(struct enrich_exporters *x, const char **dst, const char *src)
{
	*dst = src ? str_arena_add(x->strs, src, strlen(src)) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}

int enrich_exporters_add(struct enrich_exporters *x,
			 const struct enrich_exporter_rules *r,
			 const struct flow_addr *addr, const char *name)
{
	struct enrich_exporter c, *rec;
	int err;

	if (addr_map_get(x->map, addr, 0))
		return -EEXIST;
	if (addr->len != 4 && addr->len != 16)
		return -EINVAL;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;
		struct enrich_exporter *n = realloc(x->recs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		x->recs = n;
		x->cap = cap;
	}
	enrich_exporter_classify(r, addr, name, &c);
	rec = &x->recs[x->n];
	if (copy(x, &rec->name, c.name) || copy(x, &rec->group, c.group) ||
	    copy(x, &rec->role, c.role) || copy(x, &rec->site, c.site) ||
	    copy(x, &rec->region, c.region) || copy(x, &rec->tenant, c.tenant))
		return -ENOMEM;
	err = addr_map_put(x->map, addr, 0, (uint32_t)x->n + 1, NULL);
	if (err)
		return err;
	x->n++;
	return 0;
}

const struct enrich_exporter *
enrich_exporters_lookup(const struct enrich_exporters *x,
			const struct flow_addr *addr)
{
	uint32_t v = addr_map_get(x->map, addr, 0);

	return v ? &x->recs[v - 1] : NULL;
}

size_t enrich_exporters_count(const struct enrich_exporters *x)
{
	return x->n;
}
