/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PostgreSQL binary COPY encoding of FlowMessages into the columns of the
 * `flows` table (sql/postgres/001_flows.sql), in the order of
 * COPYBIN_COLUMNS. Rows go into a caller-owned growable buffer that is
 * reused batch after batch, so steady state allocates nothing.
 * Mapping: times are timestamptz (NULL when 0, except time_received),
 * addresses inet (NULL unless 4 or 16 bytes), MACs macaddr (NULL when 0),
 * unsigned integers bigint or integer with their bits kept, repeated fields
 * one-dimensional arrays (NULL when empty), enrichment strings text (NULL
 * when empty; bytes that are not UTF-8 become U+FFFD) and interface speeds
 * bigint (NULL when 0): sql/postgres/004_enrichment.sql.
 */
#ifndef XDPFLOW_INSERT_COPYBIN_H
#define XDPFLOW_INSERT_COPYBIN_H

#include <stddef.h>
#include <stdint.h>

#include "flow.pb-c.h"

#define COPYBIN_NCOLS 78
extern const char COPYBIN_COLUMNS[];

/* PostgreSQL's binary COPY signature + flags + header extension length. */
#define COPYBIN_HEADER_LEN 19

struct copybin {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t max_cap; /* growth stops here: rows that do not fit fail */
};

/* Allocates cap bytes, growable up to max_cap. 0 or -ENOMEM. */
int copybin_init(struct copybin *b, size_t cap, size_t max_cap);

/* Frees the buffer. NULL-safe, idempotent. */
void copybin_fini(struct copybin *b);

/* Appends the file header / the trailer. 0 or -ENOSPC. */
int copybin_header(struct copybin *b);
int copybin_trailer(struct copybin *b);

/* Appends one row for m. 0, or -ENOSPC (nothing appended) when the row
 * would take the buffer past max_cap. */
int copybin_row(struct copybin *b, const Flowpb__FlowMessage *m);

/* PostgreSQL timestamptz (microseconds since 2000-01-01 UTC) of a time in
 * nanoseconds since the Unix epoch. */
int64_t copybin_pg_time(uint64_t unix_ns);

#endif
