// SPDX-License-Identifier: Apache-2.0
/*
 * Interface names file (format in iface_file.h): one record per row in an
 * array, an addr_map from (exporter, ifIndex) to the record's index.
 */
#include "enrich/iface_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/addr_map.h"
#include "enrich/csv.h"
#include "enrich/str_arena.h"

enum col { COL_EXPORTER, COL_IFINDEX, COL_NAME, COL_DESCR, COL_SPEED, N_COLS };

static const char *const col_names[N_COLS] = {
	"exporter", "ifindex", "name", "description", "speed",
};

struct rec {
	struct enrich_iface iface;
	struct flow_addr exporter;
	uint32_t ifindex;
	unsigned line; /* 0: added by enrich_ifaces_add */
};

struct enrich_ifaces {
	struct addr_map *map; /* value: index into recs + 1 */
	struct rec *recs;
	size_t n, cap;
	struct str_arena *strs;
};

void enrich_ifaces_free(struct enrich_ifaces *t)
{
	if (!t)
		return;
	addr_map_free(t->map);
	free(t->recs);
	str_arena_free(t->strs);
	free(t);
}

static int parse_row(void *ctx, struct csv *c, const int *cols, int ncols)
{
	struct enrich_ifaces *t = ctx;
	struct rec r = { .line = c->line };
	bool has_ifindex = false;
	uint32_t ifindex = 0, old = 0;
	int err = 0;

	if (c->n != ncols)
		return csv_fail(c, "%d fields, the header has %d", c->n, ncols);
	for (int k = 0; k < ncols && !err; k++) {
		const char *f = c->field[k];
		const char **dst = NULL;
		unsigned plen;
		uint64_t v;

		switch (cols[k]) {
		case COL_EXPORTER:
			err = csv_prefix(c, f, &r.exporter, &plen);
			if (!err && plen != r.exporter.len * 8u)
				err = csv_fail(
					c,
					"exporter '%s' is a prefix, not an address",
					f);
			break;
		case COL_IFINDEX:
			err = csv_u64(c, f, "ifindex", &v);
			if (!err && v > UINT32_MAX)
				err = csv_fail(c,
					       "ifindex '%s' above 4294967295",
					       f);
			if (!err && v == 0)
				err = csv_fail(c,
					       "ifindex 0 means no interface");
			has_ifindex = !err;
			ifindex = (uint32_t)v;
			break;
		case COL_NAME:
			dst = &r.iface.name;
			break;
		case COL_DESCR:
			dst = &r.iface.description;
			break;
		case COL_SPEED:
			if (c->len[k])
				err = csv_u64(c, f, "speed",
					      &r.iface.speed_bps);
			break;
		default:
			break;
		}
		if (!err && dst && c->len[k]) {
			*dst = str_arena_add(t->strs, f, c->len[k]);
			if (!*dst)
				return -ENOMEM;
		}
	}
	if (err)
		return err;
	if (!has_ifindex)
		return csv_fail(c, "no ifindex");
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct rec *n = realloc(t->recs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->recs = n;
		t->cap = cap;
	}
	if (t->n >= UINT32_MAX - 1)
		return csv_fail(c, "too many interfaces");
	err = addr_map_put(t->map, &r.exporter, ifindex, (uint32_t)t->n + 1,
			   &old);
	if (err == -EEXIST)
		return csv_fail(c, "interface given twice (first on line %u)",
				t->recs[old - 1].line);
	if (err)
		return err;
	r.ifindex = ifindex;
	t->recs[t->n++] = r;
	return 0;
}

static int check_header(void *ctx, struct csv *c, const int *cols, int ncols)
{
	bool has[N_COLS] = { false };

	(void)ctx;
	for (int k = 0; k < ncols; k++)
		has[cols[k]] = true;
	if (!has[COL_EXPORTER] || !has[COL_IFINDEX])
		return csv_fail(
			c, "the header needs 'exporter' and 'ifindex' columns");
	return 0;
}

static void free_ctx(void *ctx)
{
	enrich_ifaces_free(ctx);
}

static const struct csv_rows rows = {
	.names = col_names,
	.n_names = N_COLS,
	.header = check_header,
	.row = parse_row,
	.free = free_ctx,
};

struct enrich_ifaces *enrich_ifaces_new(void)
{
	struct enrich_ifaces *t = calloc(1, sizeof(*t));

	if (t && (!(t->map = addr_map_new()) || !(t->strs = str_arena_new()))) {
		enrich_ifaces_free(t);
		return NULL;
	}
	return t;
}

int enrich_ifaces_parse(const char *buf, size_t len, const char *name,
			struct enrich_ifaces **out, char *err, size_t errlen)
{
	struct enrich_ifaces *t = enrich_ifaces_new();
	int ret = csv_load(&rows, t, buf, len, name, err, errlen);

	if (!ret)
		*out = t;
	return ret;
}

int enrich_ifaces_load(const char *path, struct enrich_ifaces **out, char *err,
		       size_t errlen)
{
	struct enrich_ifaces *t = enrich_ifaces_new();
	int ret = csv_load_file(&rows, t, path, err, errlen);

	if (!ret)
		*out = t;
	return ret;
}

const struct enrich_iface *
enrich_ifaces_lookup(const struct enrich_ifaces *t,
		     const struct flow_addr *exporter, uint32_t ifindex)
{
	uint32_t v = addr_map_get(t->map, exporter, ifindex);

	return v ? &t->recs[v - 1].iface : NULL;
}

size_t enrich_ifaces_count(const struct enrich_ifaces *t)
{
	return t->n;
}

int enrich_ifaces_each_exporter(const struct enrich_ifaces *t,
				void (*fn)(void *ctx,
					   const struct flow_addr *exporter),
				void *ctx)
{
	struct addr_map *seen = addr_map_new();

	if (!seen)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		int err = addr_map_put(seen, &t->recs[i].exporter, 0, 1, NULL);

		if (err == -EEXIST)
			continue;
		if (err) {
			addr_map_free(seen);
			return err;
		}
		fn(ctx, &t->recs[i].exporter);
	}
	addr_map_free(seen);
	return 0;
}

/* Copies s into t's arena unless *dst is set already or s is empty. */
static int fill_str(struct enrich_ifaces *t, const char **dst, const char *s)
{
	if (*dst || !s || !*s)
		return 0;
	*dst = str_arena_add(t->strs, s, strlen(s));
	return *dst ? 0 : -ENOMEM;
}

int enrich_ifaces_add(struct enrich_ifaces *t, const struct flow_addr *exporter,
		      uint32_t ifindex, const struct enrich_iface *iface)
{
	uint32_t old = 0;
	struct rec *r;
	int err;

	if (ifindex == 0 || (exporter->len != 4 && exporter->len != 16))
		return -EINVAL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct rec *n = realloc(t->recs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->recs = n;
		t->cap = cap;
	}
	if (t->n >= UINT32_MAX - 1)
		return -ENOMEM;
	err = addr_map_put(t->map, exporter, ifindex, (uint32_t)t->n + 1, &old);
	if (err == -EEXIST) {
		r = &t->recs[old - 1];
	} else if (err) {
		return err;
	} else {
		r = &t->recs[t->n++];
		*r = (struct rec){ .exporter = *exporter, .ifindex = ifindex };
	}
	err = fill_str(t, &r->iface.name, iface->name);
	if (!err)
		err = fill_str(t, &r->iface.description, iface->description);
	if (!err && !r->iface.speed_bps)
		r->iface.speed_bps = iface->speed_bps;
	return err;
}

int enrich_ifaces_merge(struct enrich_ifaces *t,
			const struct enrich_ifaces *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct rec *r = &src->recs[i];
		int err = enrich_ifaces_add(t, &r->exporter, r->ifindex,
					    &r->iface);

		if (err)
			return err;
	}
	return 0;
}

void enrich_ifaces_each(const struct enrich_ifaces *t,
			void (*fn)(void *ctx, const struct flow_addr *exporter,
				   uint32_t ifindex,
				   const struct enrich_iface *iface),
			void *ctx)
{
	for (size_t i = 0; i < t->n; i++)
		fn(ctx, &t->recs[i].exporter, t->recs[i].ifindex,
		   &t->recs[i].iface);
}
