// SPDX-License-Identifier: Apache-2.0
/*
 * PostgreSQL access for the inserter with libpq (see pgstore.h). Batches are
 * one transaction each; the caller streams binary COPY data into it.
 */
#include "insert/pgstore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/log.h"
#include "insert/copybin.h"

struct pgstore {
	char *conninfo;
	PGconn *conn;
	char err[512];
	char *copy_sql; /* COPY flows (COPYBIN_COLUMNS) ... */
	/* text arrays for kafka_offsets_advance, reused batch after batch */
	char *arr;
	size_t arr_cap;
};

static void set_err(struct pgstore *s, const char *what, const char *why)
{
	size_t n;

	snprintf(s->err, sizeof(s->err), "%s: %s", what,
		 why && *why ? why : "unknown error");
	n = strlen(s->err);
	while (n && (s->err[n - 1] == '\n' || s->err[n - 1] == ' '))
		s->err[--n] = '\0';
	/* libpq messages can span lines; keep the log one line per event */
	for (char *p = s->err; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

static void conn_err(struct pgstore *s, const char *what)
{
	set_err(s, what, s->conn ? PQerrorMessage(s->conn) : "not connected");
}

/* Runs sql expecting `want`; 0 or -1. */
static int exec_ok(struct pgstore *s, const char *sql, ExecStatusType want,
		   const char *what)
{
	PGresult *r;
	int rc = 0;

	if (!s->conn) {
		set_err(s, what, "not connected");
		return -1;
	}
	r = PQexec(s->conn, sql);
	if (PQresultStatus(r) != want) {
		set_err(s, what,
			r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn));
		rc = -1;
	}
	PQclear(r);
	return rc;
}

struct pgstore *pgstore_new(const char *conninfo)
{
	struct pgstore *s = calloc(1, sizeof(*s));
	size_t n = strlen(COPYBIN_COLUMNS) + 64;

	if (!s)
		return NULL;
	s->copy_sql = malloc(n);
	if (!s->copy_sql) {
		free(s);
		return NULL;
	}
	snprintf(s->copy_sql, n, "COPY flows (%s) FROM STDIN (FORMAT binary)",
		 COPYBIN_COLUMNS);
	s->conninfo = strdup(conninfo ? conninfo : "");
	if (!s->conninfo) {
		free(s->copy_sql);
		free(s);
		return NULL;
	}
	return s;
}

void pgstore_free(struct pgstore *s)
{
	if (!s)
		return;
	pgstore_disconnect(s);
	if (s->conninfo) {
		/* volatile: the wipe must not be optimised away */
		volatile char *p = s->conninfo;
		while (*p)
			*p++ = '\0';
		free(s->conninfo);
	}
	free(s->arr);
	free(s->copy_sql);
	free(s);
}

void pgstore_disconnect(struct pgstore *s)
{
	if (s->conn) {
		PQfinish(s->conn);
		s->conn = NULL;
	}
}

const char *pgstore_error(const struct pgstore *s)
{
	return s->err[0] ? s->err : "no error";
}

/* 1 when every object the inserter uses exists, every column it writes
 * included (a database made by an older version lacks the newer columns:
 * the schema then upgrades it), 0 when one is missing, -1 on error.
 * Checking first keeps the DDL (and its locks on flows) away from running
 * inserters. */
static int schema_present(struct pgstore *s)
{
	char ncols[16];
	const char *params[2] = { COPYBIN_COLUMNS, ncols };
	PGresult *r;
	int rc;

	snprintf(ncols, sizeof(ncols), "%d", COPYBIN_NCOLS);
	r = PQexecParams(
		s->conn,
		"SELECT to_regclass('flows') IS NOT NULL"
		" AND to_regclass('flows_default') IS NOT NULL"
		" AND to_regclass('kafka_offsets') IS NOT NULL"
		" AND to_regclass('dead_letter') IS NOT NULL"
		" AND to_regprocedure('flows_maintain(integer,integer)') IS NOT NULL"
		" AND to_regprocedure('kafka_offsets_advance(text,integer[],bigint[],bigint[])') IS NOT NULL"
		" AND (SELECT count(*) FROM pg_attribute"
		"      WHERE attrelid = to_regclass('flows') AND NOT attisdropped"
		"        AND attname = ANY (string_to_array("
		"            replace($1::text, ' ', ''), ','))) = $2::int",
		2, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		set_err(s, "could not check the schema",
			PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	rc = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return rc;
}

int pgstore_connect(struct pgstore *s)
{
	/* Defaults first: conninfo (expanded from "dbname") overrides them. */
	const char *keys[] = { "connect_timeout",
			       "keepalives_idle",
			       "keepalives_interval",
			       "keepalives_count",
			       "fallback_application_name",
			       "dbname",
			       NULL };
	const char *vals[] = { "10",	    "10", "5", "3", "xdpflow-insert",
			       s->conninfo, NULL };

	pgstore_disconnect(s);
	s->conn = PQconnectdbParams(keys, vals, 1);
	if (!s->conn) {
		set_err(s, "could not connect to PostgreSQL", "out of memory");
		return -1;
	}
	if (PQstatus(s->conn) != CONNECTION_OK) {
		conn_err(s, "could not connect to PostgreSQL");
		pgstore_disconnect(s);
		return -1;
	}
	/* synchronous_commit off: a server crash may forget the last commits,
	 * but it forgets their stored offsets with them (same transactions), so
	 * the inserter reads those messages again: no loss, no duplicate, and no
	 * commit waits for a WAL flush. */
	/* UTF-8: what copybin writes the enrichment strings in. */
	if (exec_ok(s, "SET client_min_messages = warning", PGRES_COMMAND_OK,
		    "could not set up the session") ||
	    exec_ok(s, "SET client_encoding = 'UTF8'", PGRES_COMMAND_OK,
		    "could not set up the session") ||
	    exec_ok(s, "SET synchronous_commit = off", PGRES_COMMAND_OK,
		    "could not set up the session")) {
		pgstore_disconnect(s);
		return -1;
	}
	switch (schema_present(s)) {
	case 1:
		return 0;
	case 0:
		break;
	default:
		pgstore_disconnect(s);
		return -1;
	}
	/* The schema is idempotent; the lock keeps concurrent inserters from
	 * racing on CREATE ... IF NOT EXISTS. */
	pr_info("postgres: applying the xdpflow schema");
	if (exec_ok(s, "BEGIN", PGRES_COMMAND_OK,
		    "could not apply the schema") ||
	    exec_ok(s,
		    "SELECT pg_advisory_xact_lock(hashtext('xdpflow.schema'))",
		    PGRES_TUPLES_OK, "could not apply the schema") ||
	    exec_ok(s, pgstore_schema_sql, PGRES_COMMAND_OK,
		    "could not apply the schema") ||
	    exec_ok(s, "COMMIT", PGRES_COMMAND_OK,
		    "could not apply the schema")) {
		pgstore_disconnect(s);
		return -1;
	}
	return 0;
}

int pgstore_maintain(struct pgstore *s, unsigned retention_days)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT flows_maintain(%u, 2)",
		 retention_days);
	return exec_ok(s, sql, PGRES_TUPLES_OK,
		       "could not maintain the flows partitions");
}

int pgstore_load_offsets(struct pgstore *s, const char *topic,
			 const int32_t *partitions, int64_t *offsets, size_t n)
{
	const char *params[1] = { topic };
	PGresult *r;

	for (size_t i = 0; i < n; i++)
		offsets[i] = -1;
	if (!s->conn) {
		set_err(s, "could not load the Kafka offsets", "not connected");
		return -1;
	}
	r = PQexecParams(
		s->conn,
		"SELECT partition, next_offset FROM kafka_offsets WHERE topic = $1",
		1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		set_err(s, "could not load the Kafka offsets",
			PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	for (int row = 0; row < PQntuples(r); row++) {
		long part = strtol(PQgetvalue(r, row, 0), NULL, 10);
		long long off = strtoll(PQgetvalue(r, row, 1), NULL, 10);

		for (size_t i = 0; i < n; i++)
			if (partitions[i] == part)
				offsets[i] = off;
	}
	PQclear(r);
	return 0;
}

int pgstore_batch_begin(struct pgstore *s)
{
	if (exec_ok(s, "BEGIN", PGRES_COMMAND_OK, "could not start a batch") ||
	    exec_ok(s, s->copy_sql, PGRES_COPY_IN,
		    "could not start COPY into flows"))
		return -1;
	return 0;
}

int pgstore_batch_put(struct pgstore *s, const uint8_t *data, size_t len)
{
	const size_t chunk = 1u << 20;

	while (len) {
		size_t n = len < chunk ? len : chunk;

		if (!s->conn ||
		    PQputCopyData(s->conn, (const char *)data, (int)n) != 1) {
			conn_err(s, "could not send rows to PostgreSQL");
			return -1;
		}
		data += n;
		len -= n;
	}
	return 0;
}

int pgstore_batch_end_copy(struct pgstore *s)
{
	PGresult *r;
	int rc = 0;

	if (!s->conn || PQputCopyEnd(s->conn, NULL) != 1) {
		conn_err(s, "could not end COPY");
		return -1;
	}
	while ((r = PQgetResult(s->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0) {
			set_err(s, "COPY into flows failed",
				PQresultErrorMessage(r));
			rc = -1;
		}
		PQclear(r);
	}
	if (rc == 0 && PQstatus(s->conn) != CONNECTION_OK) {
		conn_err(s, "COPY into flows failed");
		rc = -1;
	}
	return rc;
}

int pgstore_batch_dead_letter(struct pgstore *s, const char *topic,
			      int32_t partition, int64_t offset,
			      const char *reason, const uint8_t *data,
			      size_t len)
{
	char part[16], off[24];
	const char *vals[5] = { topic, part, off, reason, (const char *)data };
	int lens[5] = { 0, 0, 0, 0, (int)len };
	int fmts[5] = { 0, 0, 0, 0, 1 };
	PGresult *r;
	int rc = 0;

	if (!s->conn) {
		set_err(s, "could not store a dead letter", "not connected");
		return -1;
	}
	snprintf(part, sizeof(part), "%" PRId32, partition);
	snprintf(off, sizeof(off), "%" PRId64, offset);
	if (!data)
		vals[4] = "";
	r = PQexecParams(s->conn,
			 "INSERT INTO dead_letter (topic, partition, kafka_offset, reason, payload) "
			 "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
			 5, NULL, vals, lens, fmts, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		set_err(s, "could not store a dead letter",
			PQresultErrorMessage(r));
		rc = -1;
	}
	PQclear(r);
	return rc;
}

/* Appends "{a,b,...}" of n values (int32 or int64) at s->arr + *at. */
static int append_array(struct pgstore *s, size_t *at, const int32_t *v32,
			const int64_t *v64, size_t n)
{
	size_t need = *at + 2 + n * 22 + 1;
	char *p;

	if (need > s->arr_cap) {
		char *na = realloc(s->arr, need * 2);

		if (!na)
			return -1;
		s->arr = na;
		s->arr_cap = need * 2;
	}
	p = s->arr + *at;
	*p++ = '{';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%" PRId64, i ? "," : "",
			     v32 ? (int64_t)v32[i] : v64[i]);
	*p++ = '}';
	*p++ = '\0';
	*at = (size_t)(p - s->arr);
	return 0;
}

int pgstore_batch_commit(struct pgstore *s, const char *topic,
			 const int32_t *partitions, const int64_t *first,
			 const int64_t *next, size_t n)
{
	size_t o_parts = 0, o_first, o_next, at = 0;
	const char *vals[4];
	PGresult *r;
	long conflicts;

	if (!s->conn) {
		set_err(s, "could not commit a batch", "not connected");
		return -1;
	}
	if (append_array(s, &at, partitions, NULL, n))
		goto oom;
	o_first = at;
	if (append_array(s, &at, NULL, first, n))
		goto oom;
	o_next = at;
	if (append_array(s, &at, NULL, next, n))
		goto oom;
	vals[0] = topic;
	vals[1] = s->arr + o_parts;
	vals[2] = s->arr + o_first;
	vals[3] = s->arr + o_next;
	r = PQexecParams(
		s->conn,
		"SELECT kafka_offsets_advance($1, $2::integer[], $3::bigint[], $4::bigint[])",
		4, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		set_err(s, "could not store the Kafka offsets",
			PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	conflicts = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (conflicts > 0) {
		snprintf(s->err, sizeof(s->err),
			 "%ld partition(s) of %s already stored past this batch by another writer",
			 conflicts, topic);
		return exec_ok(s, "ROLLBACK", PGRES_COMMAND_OK,
			       "could not roll back")
			       ? -1
			       : 1;
	}
	return exec_ok(s, "COMMIT", PGRES_COMMAND_OK,
		       "could not commit a batch");
oom:
	set_err(s, "could not commit a batch", "out of memory");
	return -1;
}
