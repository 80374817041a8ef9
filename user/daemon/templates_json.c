// SPDX-License-Identifier: Apache-2.0
/* The template cache rendered as JSON (see templates_json.h). */
#include "daemon/templates_json.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <time.h>

#include "decode/decode.h"

struct emit {
	FILE *f;
	unsigned worker;
	bool first;
};

static void emit_one(const struct decode_template *t, void *arg)
{
	struct emit *e = arg;
	char addr[INET6_ADDRSTRLEN + 16] = "", when[40] = "null";

	if (t->exporter.len)
		flow_addr_str(&t->exporter, addr, sizeof(addr));
	if (t->seen_ns) {
		time_t secs = (time_t)(t->seen_ns / 1000000000ULL);
		struct tm tm;
		char day[24];

		gmtime_r(&secs, &tm);
		strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when, sizeof(when), "\"%s.%03uZ\"", day,
			 (unsigned)(t->seen_ns / 1000000ULL % 1000));
	}
	fprintf(e->f,
		"%s\n{\"exporter\":\"%s\",\"version\":%u,\"domain\":%" PRIu32
		",\"id\":%u,\"options\":%s,\"scope_fields\":%u,\"worker\":%u,"
		"\"last_seen\":%s,\"last_seen_ns\":%" PRIu64 ",\"fields\":[",
		e->first ? "" : ",", addr, t->version, t->domain, t->id,
		t->options ? "true" : "false", t->nscope, e->worker, when,
		t->seen_ns);
	for (uint16_t i = 0; i < t->nfields; i++)
		fprintf(e->f, "%s{\"pen\":%" PRIu32 ",\"ie\":%u,\"len\":%u}",
			i ? "," : "", t->fields[i].pen, t->fields[i].ie,
			t->fields[i].len);
	fputs("]}", e->f);
	e->first = false;
}

void templates_json_write(struct worker *ws, size_t n, FILE *f)
{
	struct emit e = { .f = f, .first = true };

	fputs("{\"templates\":[", f);
	for (size_t i = 0; i < n; i++) {
		e.worker = ws[i].id;
		worker_lock(&ws[i]);
		decode_templates_foreach(ws[i].dec, emit_one, &e);
		worker_unlock(&ws[i]);
	}
	fputs("]}\n", f);
}
