// SPDX-License-Identifier: Apache-2.0
/*
 * Networks file parser (format in networks_file.h): reads the CSV line by
 * line, collects one record per row (strings interned in an arena), adds
 * the prefixes to a prefix_table builder with record indexes as values,
 * and builds the table with a merge that fills each record's unset
 * attributes from its nearest enclosing prefix's merged record.
 */
#include "enrich/networks_file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

#define MAX_FIELD 255
/* Files of more lines are refused (record indexes must stay below 2^31). */
#define MAX_LINES 50000000u

struct enrich_networks {
	struct prefix_table *table;
	struct enrich_net *recs; /* recs[0] unused: value 0 is "no match" */
	size_t n_recs, cap_recs;
	struct str_arena *strs;
	size_t n_prefixes;
};

struct parser {
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	int ncols;
	enum col cols[N_COLS];
	char field[N_COLS][MAX_FIELD + 1];
	size_t flen[N_COLS];
};

static int fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, p->line);

	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits s[0..len) into p->field; the count goes to *n. */
static int split(struct parser *p, const char *s, size_t len, int *n)
{
	size_t i = 0;
	int k = 0;

	for (;;) {
		char *f;
		size_t fl = 0;

		if (k == N_COLS)
			return fail(p, "more than %d fields", N_COLS);
		f = p->field[k];
		while (i < len && is_space(s[i]))
			i++;
		if (i < len && s[i] == '"') {
			for (i++;; i++) {
				if (i == len)
					return fail(p, "unterminated quote in field %d",
						    k + 1);
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"')
						i++;
					else
						break;
				}
				if (fl == MAX_FIELD)
					return fail(p, "field %d longer than %d bytes",
						    k + 1, MAX_FIELD);
				f[fl++] = s[i];
			}
			i++;
			while (i < len && is_space(s[i]))
				i++;
			if (i < len && s[i] != ',')
				return fail(p, "text after the closing quote of field %d",
					    k + 1);
		} else {
			while (i < len && s[i] != ',') {
				if (s[i] == '"')
					return fail(p, "quote inside unquoted field %d",
						    k + 1);
				if (fl == MAX_FIELD)
					return fail(p, "field %d longer than %d bytes",
						    k + 1, MAX_FIELD);
				f[fl++] = s[i++];
			}
			while (fl && is_space(f[fl - 1]))
				fl--;
		}
		f[fl] = '\0';
		p->flen[k++] = fl;
		if (i == len)
			break;
		i++; /* the comma */
	}
	*n = k;
	return 0;
}

static int parse_header(struct parser *p, int n)
{
	bool seen[N_COLS] = { false };

	for (int k = 0; k < n; k++) {
		int c;

		for (c = 0; c < N_COLS; c++)
			if (strcasecmp(p->field[k], col_names[c]) == 0)
				break;
		if (c == N_COLS)
			return fail(p, "unknown column '%s' (expected prefix, name, role, site, region, tenant, asn, country)",
				    p->field[k]);
		if (seen[c])
			return fail(p, "column '%s' given twice", col_names[c]);
		seen[c] = true;
		p->cols[k] = (enum col)c;
	}
	if (!seen[COL_PREFIX])
		return fail(p, "no 'prefix' column in the header");
	p->ncols = n;
	return 0;
}

static int parse_prefix(struct parser *p, const char *s, struct flow_addr *a,
			unsigned *len)
{
	char buf[MAX_FIELD + 1];
	const char *slash = strchr(s, '/');
	unsigned max, l = 0;

	snprintf(buf, sizeof(buf), "%.*s",
		 (int)(slash ? (size_t)(slash - s) : strlen(s)), s);
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->b) == 1)
		a->len = 4;
	else if (inet_pton(AF_INET6, buf, a->b) == 1)
		a->len = 16;
	else
		return fail(p, "'%s' is not an IPv4 or IPv6 prefix", s);
	max = a->len * 8u;
	if (!slash) {
		l = max;
	} else {
		const char *d = slash + 1;

		if (!*d)
			return fail(p, "'%s': no prefix length after '/'", s);
		for (; *d; d++) {
			if (*d < '0' || *d > '9' || l > max)
				return fail(p, "'%s': bad prefix length", s);
			l = l * 10 + (unsigned)(*d - '0');
		}
		if (l > max)
			return fail(p, "'%s': prefix length above %u", s, max);
	}
	for (unsigned bit = l; bit < max; bit++)
		if (a->b[bit / 8] & (0x80 >> (bit % 8)))
			return fail(p, "'%s': host bits set beyond /%u", s, l);
	*len = l;
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
		     struct prefix_table_builder *b, int nf)
{
	struct enrich_net *rec;
	struct flow_addr a;
	unsigned len = 0;
	int err;

	if (nf != p->ncols)
		return fail(p, "%d fields, the header has %d", nf, p->ncols);
	if (n->n_recs >= PREFIX_TABLE_MAX_VALUE / 2)
		return fail(p, "too many rows");
	err = add_rec(n, &rec);
	if (err)
		return err;
	for (int k = 0; k < nf; k++) {
		const char *f = p->field[k], **dst = NULL;

		if (p->flen[k] == 0 && p->cols[k] != COL_PREFIX)
			continue;
		switch (p->cols[k]) {
		case COL_PREFIX:
			err = parse_prefix(p, f, &a, &len);
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

			if (p->flen[k] != 2 ||
			    !((f[0] | 0x20) >= 'a' && (f[0] | 0x20) <= 'z') ||
			    !((f[1] | 0x20) >= 'a' && (f[1] | 0x20) <= 'z'))
				return fail(p, "country '%s' is not two letters", f);
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
			*dst = str_arena_add(n->strs, f, p->flen[k]);
			if (!*dst)
				return -ENOMEM;
		}
	}
	n->n_prefixes++;
	return prefix_table_builder_add(b, &a, len, (uint32_t)(n->n_recs - 1),
					p->line);
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

static int parse_lines(struct parser *p, const char *buf, size_t len,
		       struct enrich_networks *n, struct prefix_table_builder *b)
{
	const char *s = buf, *end = buf + len;
	bool header = false;
	int err, nf = 0;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		size_t l;

		if (++p->line > MAX_LINES)
			return fail(p, "more than %u lines", MAX_LINES);
		l = (size_t)(e - s);
		if (l && s[l - 1] == '\r')
			l--;
		if (memchr(s, '\0', l))
			return fail(p, "NUL byte");
		while (l && is_space(*s)) {
			s++;
			l--;
		}
		if (l && *s != '#') {
			err = split(p, s, l, &nf);
			if (!err)
				err = header ? parse_row(p, n, b, nf)
					     : parse_header(p, nf);
			if (err)
				return err;
			header = true;
		}
		s = nl ? nl + 1 : end;
	}
	if (!header) {
		p->line = p->line ? p->line : 1;
		return fail(p, "no header line");
	}
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

	if (!p || !n || !b || !(n->strs = str_arena_new()) ||
	    add_rec(n, &rec0))
		goto out;
	p->name = name;
	p->err = err;
	p->errlen = errlen;
	ret = parse_lines(p, buf, len, n, b);
	if (ret)
		goto out;
	ret = prefix_table_build(b, merge, n, &n->table, &dup);
	if (ret == -EEXIST) {
		p->line = dup.dup_tag;
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
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto fail;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	ret = enrich_networks_parse(buf, got, path, out, err, errlen);
	free(buf);
	return ret;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

const struct enrich_net *enrich_networks_lookup(const struct enrich_networks *n,
						const struct flow_addr *a)
{
	uint32_t v = prefix_table_lookup(n->table, a);

	return v == PREFIX_TABLE_NONE ? NULL : &n->recs[v];
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
