/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CSV dialect of the enrichment files (networks, interfaces,
 * exporters): '#' comment lines and blank lines skipped; the first other
 * line is a header naming the columns; fields separated by commas, spaces
 * around them trimmed, optionally double-quoted ("" is a quote inside);
 * CRLF accepted. Errors read "file:line: reason".
 */
#ifndef XDPFLOW_ENRICH_CSV_H
#define XDPFLOW_ENRICH_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

#define CSV_MAX_FIELDS 16
#define CSV_MAX_FIELD 255

struct csv {
	/* The current row after csv_next returned 1. */
	int n;
	char field[CSV_MAX_FIELDS][CSV_MAX_FIELD + 1];
	size_t len[CSV_MAX_FIELDS];
	unsigned line; /* of the current row, from 1 */
	/* Private. */
	const char *name, *p, *end;
	int max_fields;
	char *err;
	size_t errlen;
};

/* Starts reading buf[0..len) (need not be NUL-terminated); name is used in
 * messages, which go to err (errlen bytes). Rows of more than max_fields
 * (at most CSV_MAX_FIELDS) fields are errors. */
void csv_init(struct csv *c, const char *buf, size_t len, const char *name,
	      int max_fields, char *err, size_t errlen);

/* Reads the next row (the header is a row like any other): 1 with the
 * fields in c, 0 at the end, or -EINVAL (message in err). */
int csv_next(struct csv *c);

/* Formats "name:line: " and the message into err; returns -EINVAL. */
int csv_fail(struct csv *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Maps the current row, a header, onto the n known column names (case
 * insensitive): cols[i] receives the name index of field i. 0, or -EINVAL
 * for an unknown or repeated column. */
int csv_header(struct csv *c, const char *const *names, int n, int *cols);

/* Parses a prefix field: a.b.c.d/n, x:y::/n, or a bare address (a host
 * route). Host bits beyond n are an error (a likely typo, not silently
 * cleared). 0 or -EINVAL (message in err). */
int csv_prefix(struct csv *c, const char *s, struct flow_addr *a,
	       unsigned *len);

/* Parses a decimal field named `what` (for messages) into *v. 0 or
 * -EINVAL. */
int csv_u64(struct csv *c, const char *s, const char *what, uint64_t *v);

/* Reads the whole file at path into a new buffer (*buf, *len; the caller
 * frees it). 0 or -errno ("path: reason" in err). */
int csv_read_file(const char *path, char **buf, size_t *len, char *err,
		  size_t errlen);

/* What one kind of file does with its rows, for csv_load. In the
 * callbacks, cols[k] is the column-name index of field k of a row and
 * ncols the header's field count; they return 0, -EINVAL (message set
 * with csv_fail) or another -errno. */
struct csv_rows {
	const char *const *names; /* the known column names */
	int n_names;		  /* at most CSV_MAX_FIELDS */
	/* Optional: checks the header (e.g. required columns). */
	int (*header)(void *ctx, struct csv *c, const int *cols, int ncols);
	/* Takes one data row. */
	int (*row)(void *ctx, struct csv *c, const int *cols, int ncols);
	/* Optional: called after the last row; c->line may be set before
	 * csv_fail to point a message at another line. */
	int (*end)(void *ctx, struct csv *c);
	/* Optional: frees ctx when the load fails. */
	void (*free)(void *ctx);
};

/* Reads buf[0..len) (file `name`, for messages): the header (mapped with
 * csv_header, then rows->header), then each data row to rows->row, then
 * rows->end. A NULL ctx (the caller failed to allocate it) gives -ENOMEM;
 * on any other failure rows->free(ctx) is called. 0, -EINVAL ("name:line: reason" in err, "no header line" for a file
 * without one) or -errno (-ENOMEM: "name: out of memory" in err). */
int csv_load(const struct csv_rows *rows, void *ctx, const char *buf,
	     size_t len, const char *name, char *err, size_t errlen);

/* csv_load on the contents of the file at path (csv_read_file's errors). */
int csv_load_file(const struct csv_rows *rows, void *ctx, const char *path,
		  char *err, size_t errlen);

#endif
