// SPDX-License-Identifier: Apache-2.0
/*
 * MMDB to prefix table (contract in geo_db.h): walks libmaxminddb's search
 * tree depth first with MMDB_read_node, decodes each distinct data record
 * once (a hash from data offset to record index), and adds one prefix per
 * data record reached.
 */
#include "enrich/geo_db.h"

#include <errno.h>
#include <maxminddb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "enrich/prefix_table.h"
#include "enrich/str_arena.h"

struct enrich_geo_db {
	struct prefix_table *table;
	struct enrich_geo *recs; /* recs[0] unused */
	size_t n_recs, cap_recs;
	struct str_arena *strs;
	size_t n_prefixes;
};

/* data offset + 1 -> record index (0: skipped record) */
struct omap {
	uint64_t *keys;
	uint32_t *vals;
	size_t mask, used;
};

struct walker {
	MMDB_s *db;
	struct enrich_geo_db *g;
	struct prefix_table_builder *b;
	struct omap map;
	uint32_t v4_start; /* node at ::/96, UINT32_MAX if none */
	uint64_t visits;   /* nodes walked: a tree has node_count at most */
	uint8_t path[16];
	char *err;
	size_t errlen;
	const char *name;
};

static int omap_grow(struct omap *m)
{
	size_t n = m->mask ? (m->mask + 1) * 2 : 1024;
	uint64_t *k = calloc(n, sizeof(*k));
	uint32_t *v = calloc(n, sizeof(*v));

	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; m->mask && i <= m->mask; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		j = (m->keys[i] * 0x9e3779b97f4a7c15ULL >> 17) & (n - 1);
		while (k[j])
			j = (j + 1) & (n - 1);
		k[j] = m->keys[i];
		v[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = k;
	m->vals = v;
	m->mask = n - 1;
	return 0;
}

/* The slot for key: found (*hit) or where to insert it. */
static size_t omap_find(const struct omap *m, uint64_t key, bool *hit)
{
	size_t j = (key * 0x9e3779b97f4a7c15ULL >> 17) & m->mask;

	while (m->keys[j] && m->keys[j] != key)
		j = (j + 1) & m->mask;
	*hit = m->keys[j] == key;
	return j;
}

static int fail(struct walker *w, int ret, const char *what)
{
	snprintf(w->err, w->errlen, "%s: %s", w->name, what);
	return ret;
}

/* *out: the string in d interned, or NULL when d holds no string. */
static int add_str(struct walker *w, const MMDB_entry_data_s *d,
		   const char **out)
{
	size_t len;

	*out = NULL;
	if (!d->has_data || d->type != MMDB_DATA_TYPE_UTF8_STRING)
		return 0;
	/* A string with a NUL inside ends there. */
	len = strnlen(d->utf8_string, d->data_size);
	if (len == 0)
		return 0;
	*out = str_arena_add(w->g->strs, d->utf8_string, len);
	return *out ? 0 : -ENOMEM;
}

static bool mmdb_ok(int status)
{
	return status == MMDB_SUCCESS ||
	       status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR;
}

/* Decodes one data record into rec; *useful false if it has nothing we
 * use. */
static int decode(struct walker *w, MMDB_entry_s *entry, struct enrich_geo *rec,
		  bool *useful)
{
	MMDB_entry_data_s d;
	int st;

	memset(rec, 0, sizeof(*rec));
	st = MMDB_get_value(entry, &d, "autonomous_system_number", NULL);
	if (!mmdb_ok(st))
		return fail(w, -EINVAL, MMDB_strerror(st));
	if (st == MMDB_SUCCESS && d.has_data && d.type == MMDB_DATA_TYPE_UINT32)
		rec->asn = d.uint32;
	st = MMDB_get_value(entry, &d, "autonomous_system_organization", NULL);
	if (!mmdb_ok(st))
		return fail(w, -EINVAL, MMDB_strerror(st));
	if (st == MMDB_SUCCESS && add_str(w, &d, &rec->as_name))
		return -ENOMEM;
	/* IPinfo: "asn": "AS15169", "as_name". */
	st = MMDB_get_value(entry, &d, "asn", NULL);
	if (!mmdb_ok(st))
		return fail(w, -EINVAL, MMDB_strerror(st));
	if (st == MMDB_SUCCESS && d.has_data &&
	    d.type == MMDB_DATA_TYPE_UTF8_STRING && !rec->asn) {
		char buf[16];
		char *end;
		unsigned long v;

		snprintf(buf, sizeof(buf), "%.*s",
			 (int)(d.data_size < 15 ? d.data_size : 15),
			 d.utf8_string);
		v = strtoul(buf + (strncasecmp(buf, "AS", 2) == 0 ? 2 : 0),
			    &end, 10);
		if (*end == '\0' && v <= UINT32_MAX)
			rec->asn = (uint32_t)v;
	}
	if (!rec->as_name) {
		st = MMDB_get_value(entry, &d, "as_name", NULL);
		if (!mmdb_ok(st))
			return fail(w, -EINVAL, MMDB_strerror(st));
		if (st == MMDB_SUCCESS && add_str(w, &d, &rec->as_name))
			return -ENOMEM;
	}
	/* GeoLite2: country.iso_code; IPinfo: country as a string. */
	st = MMDB_get_value(entry, &d, "country", NULL);
	if (!mmdb_ok(st))
		return fail(w, -EINVAL, MMDB_strerror(st));
	if (st == MMDB_SUCCESS && d.has_data && d.type == MMDB_DATA_TYPE_MAP) {
		st = MMDB_get_value(entry, &d, "country", "iso_code", NULL);
		if (!mmdb_ok(st))
			return fail(w, -EINVAL, MMDB_strerror(st));
	}
	if (st == MMDB_SUCCESS && d.has_data &&
	    d.type == MMDB_DATA_TYPE_UTF8_STRING && d.data_size == 2 &&
	    add_str(w, &d, &rec->country))
		return -ENOMEM;
	*useful = rec->asn || rec->as_name || rec->country;
	return 0;
}

/* Records are read at random, one per flow side: the 2 MB pages inside
 * a big array in huge pages, for fewer TLB misses (advisory only; the
 * part realloc has not touched yet gets them at its first fault). */
static void advise_huge(void *p, size_t bytes)
{
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t e = ((uintptr_t)p + bytes) & ~(huge - 1);

	if (e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
}

static int add_rec(struct enrich_geo_db *g, const struct enrich_geo *rec)
{
	if (g->n_recs == g->cap_recs) {
		size_t cap = g->cap_recs ? g->cap_recs * 2 : 256;
		struct enrich_geo *r = realloc(g->recs, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		advise_huge(r, cap * sizeof(*r));
		g->recs = r;
		g->cap_recs = cap;
	}
	g->recs[g->n_recs++] = *rec;
	return 0;
}

/* The record index for a data entry, decoding it the first time. */
static int record_for(struct walker *w, MMDB_entry_s *entry, uint32_t *idx)
{
	uint64_t key = (uint64_t)entry->offset + 1;
	struct enrich_geo rec;
	bool hit, useful = false;
	size_t j;
	int err;

	if ((w->map.used + 1) * 2 > w->map.mask + 1 &&
	    (err = omap_grow(&w->map)))
		return err;
	j = omap_find(&w->map, key, &hit);
	if (hit) {
		*idx = w->map.vals[j];
		return 0;
	}
	err = decode(w, entry, &rec, &useful);
	if (err)
		return err;
	*idx = 0;
	if (useful) {
		if (w->g->n_recs >= PREFIX_TABLE_MAX_VALUE)
			return fail(w, -EINVAL, "too many data records");
		err = add_rec(w->g, &rec);
		if (err)
			return err;
		*idx = (uint32_t)(w->g->n_recs - 1);
	}
	w->map.keys[j] = key;
	w->map.vals[j] = *idx;
	w->map.used++;
	return 0;
}

static int add_prefix(struct walker *w, unsigned depth, uint32_t idx)
{
	struct flow_addr a = { 0 };
	unsigned len = depth;

	if (w->db->metadata.ip_version == 4) {
		a.len = 4;
		memcpy(a.b, w->path, 4);
	} else {
		static const uint8_t zero[12];

		a.len = 16;
		memcpy(a.b, w->path, 16);
		/* The IPv4 subtree of an IPv6 database. */
		if (depth >= 96 && memcmp(a.b, zero, 12) == 0) {
			a.len = 4;
			memcpy(a.b, w->path + 12, 4);
			memset(a.b + 4, 0, 12);
			len = depth - 96;
		}
	}
	w->g->n_prefixes++;
	return prefix_table_builder_add(w->b, &a, len, idx, 0);
}

/* The current path is ::/96, where the IPv4 subtree belongs. */
static bool at_v4_root(const struct walker *w, unsigned depth)
{
	static const uint8_t zero[12];

	return depth == 96 && memcmp(w->path, zero, 12) == 0;
}

static int walk(struct walker *w, uint32_t node, unsigned depth)
{
	unsigned max = w->db->metadata.ip_version == 4 ? 32 : 128;
	MMDB_search_node_s n;
	int st, err;

	if (depth >= max)
		return fail(w, -EINVAL, "search tree deeper than the address");
	/* A corrupt file can make the tree a graph whose paths are
	 * exponentially many: stop once more nodes were walked than exist. */
	if (++w->visits > w->db->metadata.node_count)
		return fail(w, -EINVAL,
			    "search tree nodes reached twice (not a tree)");
	st = MMDB_read_node(w->db, node, &n);
	if (st != MMDB_SUCCESS)
		return fail(w, -EINVAL, MMDB_strerror(st));
	for (int side = 0; side < 2; side++) {
		uint8_t type = side ? n.right_record_type : n.left_record_type;
		uint64_t rec = side ? n.right_record : n.left_record;
		MMDB_entry_s entry = side ? n.right_record_entry
					  : n.left_record_entry;
		uint8_t bit = (uint8_t)(0x80 >> (depth % 8));

		if (side)
			w->path[depth / 8] |= bit;
		switch (type) {
		case MMDB_RECORD_TYPE_SEARCH_NODE:
			/* The IPv4 subtree is reached from ::/96 only; its
			 * aliases would add the same prefixes again. */
			if (rec == w->v4_start && !at_v4_root(w, depth + 1))
				break;
			if (rec >= w->db->metadata.node_count)
				return fail(w, -EINVAL,
					    "bad search tree record");
			err = walk(w, (uint32_t)rec, depth + 1);
			if (err)
				return err;
			break;
		case MMDB_RECORD_TYPE_DATA: {
			uint32_t idx;

			err = record_for(w, &entry, &idx);
			if (!err && idx)
				err = add_prefix(w, depth + 1, idx);
			if (err)
				return err;
			break;
		}
		case MMDB_RECORD_TYPE_EMPTY:
			break;
		default:
			return fail(w, -EINVAL, "invalid search tree record");
		}
		w->path[depth / 8] &= (uint8_t)~bit;
	}
	return 0;
}

/* The node at ::/96 in an IPv6 tree (UINT32_MAX if there is none). */
static uint32_t v4_start(MMDB_s *db)
{
	uint32_t node = 0;

	if (db->metadata.ip_version != 6)
		return UINT32_MAX;
	for (int i = 0; i < 96; i++) {
		MMDB_search_node_s n;

		if (MMDB_read_node(db, node, &n) != MMDB_SUCCESS ||
		    n.left_record_type != MMDB_RECORD_TYPE_SEARCH_NODE)
			return UINT32_MAX;
		node = (uint32_t)n.left_record;
	}
	return node;
}

void enrich_geo_db_free(struct enrich_geo_db *g)
{
	if (!g)
		return;
	prefix_table_free(g->table);
	free(g->recs);
	str_arena_free(g->strs);
	free(g);
}

int enrich_geo_db_load(const char *path, struct enrich_geo_db **out, char *err,
		       size_t errlen)
{
	struct walker w = { .name = path, .err = err, .errlen = errlen };
	MMDB_s db;
	struct enrich_geo zero = { 0 };
	int st, ret;

	errno = 0;
	st = MMDB_open(path, MMDB_MODE_MMAP, &db);
	if (st != MMDB_SUCCESS) {
		bool sys =
			(st == MMDB_FILE_OPEN_ERROR || st == MMDB_IO_ERROR) &&
			errno;

		ret = sys			       ? -errno
		      : st == MMDB_OUT_OF_MEMORY_ERROR ? -ENOMEM
						       : -EINVAL;
		snprintf(err, errlen, "%s: %s%s%s", path, MMDB_strerror(st),
			 sys ? ": " : "", sys ? strerror(-ret) : "");
		return ret;
	}
	w.db = &db;
	w.g = calloc(1, sizeof(*w.g));
	w.b = prefix_table_builder_new();
	ret = -ENOMEM;
	if (!w.g || !w.b || !(w.g->strs = str_arena_new()) ||
	    add_rec(w.g, &zero) || omap_grow(&w.map))
		goto out;
	if (db.metadata.ip_version != 4 && db.metadata.ip_version != 6) {
		ret = fail(&w, -EINVAL, "unknown IP version in metadata");
		goto out;
	}
	w.v4_start = v4_start(&db);
	ret = db.metadata.node_count ? walk(&w, 0, 0) : 0;
	if (!ret) {
		ret = prefix_table_build(w.b, NULL, NULL, &w.g->table, NULL);
		/* A well-formed tree cannot hold a prefix twice. */
		if (ret == -EEXIST)
			ret = fail(&w, -EINVAL,
				   "a network appears twice in the search tree");
	}
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	if (ret) {
		enrich_geo_db_free(w.g);
	} else {
		*out = w.g;
	}
	prefix_table_builder_free(w.b);
	free(w.map.keys);
	free(w.map.vals);
	MMDB_close(&db);
	return ret;
}

const struct enrich_geo *enrich_geo_db_lookup(const struct enrich_geo_db *g,
					      const struct flow_addr *a)
{
	uint32_t v = prefix_table_lookup(g->table, a);

	return v == PREFIX_TABLE_NONE ? NULL : &g->recs[v];
}

void enrich_geo_db_lookup_batch(const struct enrich_geo_db *g,
				const struct flow_addr *const *addrs, size_t n,
				const struct enrich_geo **out)
{
	enum { CHUNK = 64 };
	uint32_t v[CHUNK];

	for (size_t base = 0; base < n; base += CHUNK) {
		size_t m = n - base < CHUNK ? n - base : CHUNK;

		prefix_table_lookup_addrs(g->table, addrs + base, m, v);
		for (size_t i = 0; i < m; i++)
			out[base + i] = v[i] == PREFIX_TABLE_NONE
						? NULL
						: &g->recs[v[i]];
	}
}

size_t enrich_geo_db_count(const struct enrich_geo_db *g)
{
	return g->n_prefixes;
}

size_t enrich_geo_db_bytes(const struct enrich_geo_db *g)
{
	return sizeof(*g) + prefix_table_bytes(g->table) +
	       g->cap_recs * sizeof(*g->recs) + str_arena_bytes(g->strs);
}
