/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inserter's PostgreSQL side (libpq): connect (conninfo or URI, PG*
 * environment variables honoured, the conninfo never logged), apply the
 * embedded schema (the files sql/postgres/0NN_name.sql) when it is missing,
 * run partition maintenance, load the stored Kafka offsets, and write one
 * batch as a transaction: binary COPY of the rows, the dead letters, then
 * the offsets (fenced against another inserter that wrote the same
 * messages), then COMMIT.
 * Every call returns 0 or -1; after -1 pgstore_error() says why, and the
 * caller drops the connection (pgstore_disconnect) and retries later: the
 * open transaction, if any, is then rolled back by the server.
 */
#ifndef XDPFLOW_INSERT_PGSTORE_H
#define XDPFLOW_INSERT_PGSTORE_H

#include <stddef.h>
#include <stdint.h>

/* The schema: the files sql/postgres/0NN_name.sql concatenated in name
 * order, NUL-terminated (schema_sql.c embeds it at build time). */
extern const char pgstore_schema_sql[];

struct pgstore;

/* Keeps a private copy of conninfo ("" means: PG* variables only); the
 * caller may wipe its own. NULL on allocation failure. No connection yet. */
struct pgstore *pgstore_new(const char *conninfo);

/* Closes the connection and wipes the conninfo copy. NULL-safe. */
void pgstore_free(struct pgstore *s);

/* Connects (closing any previous connection) and applies the schema when
 * any of its objects is missing. 0 or -1. */
int pgstore_connect(struct pgstore *s);

/* Drops the connection without waiting for anything. */
void pgstore_disconnect(struct pgstore *s);

/* Why the last call failed: one line, without credentials. */
const char *pgstore_error(const struct pgstore *s);

/* Creates upcoming daily partitions, drops those older than retention_days
 * (0 keeps all). 0 or -1. */
int pgstore_maintain(struct pgstore *s, unsigned retention_days);

/* For each of n partitions of topic, sets offsets[i] to the stored next
 * offset, or to -1 when none is stored. 0 or -1. */
int pgstore_load_offsets(struct pgstore *s, const char *topic,
			 const int32_t *partitions, int64_t *offsets, size_t n);

/* Starts a batch: BEGIN and COPY flows FROM STDIN (binary). 0 or -1. */
int pgstore_batch_begin(struct pgstore *s);

/* Sends COPY data (any split of the binary stream). 0 or -1. */
int pgstore_batch_put(struct pgstore *s, const uint8_t *data, size_t len);

/* Ends the COPY (the stream must end with the trailer). 0 or -1. */
int pgstore_batch_end_copy(struct pgstore *s);

/* Inside the batch, after the COPY: keeps one undecodable message. */
int pgstore_batch_dead_letter(struct pgstore *s, const char *topic,
			      int32_t partition, int64_t offset,
			      const char *reason, const uint8_t *data,
			      size_t len);

/* Inside the batch, after the COPY: advances the offsets of n partitions
 * (sorted ascending) from first[i] to next[i] and commits. Returns 0 when
 * committed, 1 when another writer had already stored some of these
 * offsets (rolled back, nothing written), -1 on error. */
int pgstore_batch_commit(struct pgstore *s, const char *topic,
			 const int32_t *partitions, const int64_t *first,
			 const int64_t *next, size_t n);

#endif
