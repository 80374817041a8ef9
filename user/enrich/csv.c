// SPDX-License-Identifier: Apache-2.0
/*
 * CSV reader for the enrichment files (dialect in csv.h): one row at a
 * time into fixed-size fields, no allocation; and the load loop the file
 * parsers share (header, rows, end, out-of-memory message).
 */
#include "enrich/csv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files of more lines are refused (indexes stay well below 2^31). */
#define MAX_LINES 50000000u

void csv_init(struct csv *c, const char *buf, size_t len, const char *name,
	      int max_fields, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->p = buf;
	c->end = buf + len;
	c->name = name;
	c->max_fields = max_fields < CSV_MAX_FIELDS ? max_fields
						    : CSV_MAX_FIELDS;
	c->err = err;
	c->errlen = errlen;
}

int csv_fail(struct csv *c, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, c->errlen, "%s:%u: ", c->name,
			 c->line ? c->line : 1);

	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Splits s[0..len) into the fields. */
static int split(struct csv *c, const char *s, size_t len)
{
	size_t i = 0;
	int k = 0;

	for (;;) {
		char *f;
		size_t fl = 0;

		if (k == c->max_fields)
			return csv_fail(c, "more than %d fields",
					c->max_fields);
		f = c->field[k];
		while (i < len && is_space(s[i]))
			i++;
		if (i < len && s[i] == '"') {
			for (i++;; i++) {
				if (i == len)
					return csv_fail(
						c,
						"unterminated quote in field %d",
						k + 1);
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"')
						i++;
					else
						break;
				}
				if (fl == CSV_MAX_FIELD)
					return csv_fail(
						c,
						"field %d longer than %d bytes",
						k + 1, CSV_MAX_FIELD);
				f[fl++] = s[i];
			}
			i++;
			while (i < len && is_space(s[i]))
				i++;
			if (i < len && s[i] != ',')
				return csv_fail(
					c,
					"text after the closing quote of field %d",
					k + 1);
		} else {
			while (i < len && s[i] != ',') {
				if (s[i] == '"')
					return csv_fail(
						c,
						"quote inside unquoted field %d",
						k + 1);
				if (fl == CSV_MAX_FIELD)
					return csv_fail(
						c,
						"field %d longer than %d bytes",
						k + 1, CSV_MAX_FIELD);
				f[fl++] = s[i++];
			}
			while (fl && is_space(f[fl - 1]))
				fl--;
		}
		f[fl] = '\0';
		c->len[k++] = fl;
		if (i == len)
			break;
		i++; /* the comma */
	}
	c->n = k;
	return 0;
}

int csv_next(struct csv *c)
{
	while (c->p < c->end) {
		const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
		const char *s = c->p, *e = nl ? nl : c->end;
		size_t l = (size_t)(e - s);

		c->p = nl ? nl + 1 : c->end;
		if (++c->line > MAX_LINES)
			return csv_fail(c, "more than %u lines", MAX_LINES);
		if (l && s[l - 1] == '\r')
			l--;
		if (memchr(s, '\0', l))
			return csv_fail(c, "NUL byte");
		while (l && is_space(*s)) {
			s++;
			l--;
		}
		if (!l || *s == '#')
			continue;
		return split(c, s, l) ? -EINVAL : 1;
	}
	return 0;
}

int csv_header(struct csv *c, const char *const *names, int n, int *cols)
{
	bool seen[CSV_MAX_FIELDS] = { false };

	for (int k = 0; k < c->n; k++) {
		int i;

		for (i = 0; i < n; i++)
			if (strcasecmp(c->field[k], names[i]) == 0)
				break;
		if (i == n) {
			char list[256] = "";
			size_t used = 0;

			for (int j = 0; j < n && used < sizeof(list); j++)
				used += (size_t)snprintf(list + used,
							 sizeof(list) - used,
							 "%s%s", j ? ", " : "",
							 names[j]);
			return csv_fail(c, "unknown column '%s' (expected %s)",
					c->field[k], list);
		}
		if (i < CSV_MAX_FIELDS && seen[i])
			return csv_fail(c, "column '%s' given twice", names[i]);
		if (i < CSV_MAX_FIELDS)
			seen[i] = true;
		cols[k] = i;
	}
	return 0;
}

int csv_prefix(struct csv *c, const char *s, struct flow_addr *a, unsigned *len)
{
	char buf[CSV_MAX_FIELD + 1];
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
		return csv_fail(c, "'%s' is not an IPv4 or IPv6 prefix", s);
	max = a->len * 8u;
	if (!slash) {
		l = max;
	} else {
		const char *d = slash + 1;

		if (!*d)
			return csv_fail(c, "'%s': no prefix length after '/'",
					s);
		for (; *d; d++) {
			if (*d < '0' || *d > '9' || l > max)
				return csv_fail(c, "'%s': bad prefix length",
						s);
			l = l * 10 + (unsigned)(*d - '0');
		}
		if (l > max)
			return csv_fail(c, "'%s': prefix length above %u", s,
					max);
	}
	for (unsigned bit = l; bit < max; bit++)
		if (a->b[bit / 8] & (0x80 >> (bit % 8)))
			return csv_fail(c, "'%s': host bits set beyond /%u", s,
					l);
	*len = l;
	return 0;
}

int csv_u64(struct csv *c, const char *s, const char *what, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return csv_fail(c, "no %s", what);
	for (const char *d = s; *d; d++) {
		if (*d < '0' || *d > '9')
			return csv_fail(c, "%s '%s' is not a number", what, s);
		if (x > (UINT64_MAX - 9) / 10)
			return csv_fail(c, "%s '%s' is too large", what, s);
		x = x * 10 + (uint64_t)(*d - '0');
	}
	*v = x;
	return 0;
}

int csv_read_file(const char *path, char **buf, size_t *len, char *err,
		  size_t errlen)
{
	struct stat st;
	char *b = NULL;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		goto fail;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		ret = -ENOMEM;
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);

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
	*buf = b;
	*len = got;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	if (fd >= 0)
		close(fd);
	free(b);
	return ret;
}

int csv_load(const struct csv_rows *rows, void *ctx, const char *buf,
	     size_t len, const char *name, char *err, size_t errlen)
{
	struct csv *c = ctx ? malloc(sizeof(*c)) : NULL;
	int cols[CSV_MAX_FIELDS], ncols = -1, ret = -ENOMEM;

	if (!c)
		goto out;
	csv_init(c, buf, len, name, rows->n_names, err, errlen);
	while ((ret = csv_next(c)) == 1) {
		if (ncols >= 0) {
			ret = rows->row(ctx, c, cols, ncols);
		} else {
			ret = csv_header(c, rows->names, rows->n_names, cols);
			ncols = c->n;
			if (!ret && rows->header)
				ret = rows->header(ctx, c, cols, ncols);
		}
		if (ret)
			break;
	}
	if (!ret && ncols < 0)
		ret = csv_fail(c, "no header line");
	if (!ret && rows->end)
		ret = rows->end(ctx, c);
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	if (ret && ctx && rows->free)
		rows->free(ctx);
	free(c);
	return ret;
}

int csv_load_file(const struct csv_rows *rows, void *ctx, const char *path,
		  char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int ret = csv_read_file(path, &buf, &len, err, errlen);

	if (ret) {
		if (ctx && rows->free)
			rows->free(ctx);
		return ret;
	}
	ret = csv_load(rows, ctx, buf, len, path, err, errlen);
	free(buf);
	return ret;
}
