// SPDX-License-Identifier: Apache-2.0
/*
 * Test driver for the SNMP poller (tests/sys/test_snmp.py): opens an
 * enricher (enricher.h) on an enrich config whose snmp-* keys start the
 * poller, and answers commands on stdin, one line each, so a test can
 * pass flows, wait for poll rounds, change the agents' interfaces and look
 * at what was published. The main thread is the enricher's control thread
 * (it runs enricher_poll between commands and while waiting) and its one
 * reader.
 *
 *   snmp-poll-tool CONFIG
 *
 * Commands (answers on stdout):
 *   note ADDR               -> ok (a flow from exporter ADDR through
 *                              enricher_apply, as the collector does)
 *   wait-rounds N SECONDS   -> {"rounds":R,"timeout":false|true}
 *   stats                   -> one JSON object of snmp_poller_stats
 *   ifaces                  -> one JSON line per interface, then "end"
 *   exporter ADDR           -> JSON classification (null: none)
 *   note-bench N ADDR...    -> notes the ADDRs in turn N times in all;
 *                              {"calls":N,"total_ns":T,"p50_ns":..,
 *                              "p99_ns":..,"max_ns":..} (each call timed,
 *                              clock reads included)
 *   quit
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "enrich/enrich.h"
#include "enrich/enricher.h"
#include "enrich/exporters.h"
#include "enrich/iface_file.h"
#include "enrich/snmp_poll.h"

static void trim(char **s)
{
	char *e;

	while (**s == ' ' || **s == '\t')
		(*s)++;
	e = *s + strlen(*s);
	while (e > *s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			  e[-1] == '\r'))
		*--e = 0;
}

static int parse_addr(const char *s, struct flow_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1)
		a->len = 4;
	else if (inet_pton(AF_INET6, s, a->b) == 1)
		a->len = 16;
	else
		return -1;
	return 0;
}

static void addr_str(const struct flow_addr *a, char *buf, size_t len)
{
	inet_ntop(a->len == 4 ? AF_INET : AF_INET6, a->b, buf, (socklen_t)len);
}

/* s as a JSON string (null for NULL). */
static void json_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_iface(void *ctx, const struct flow_addr *exp,
			uint32_t ifindex, const struct enrich_iface *i)
{
	char a[INET6_ADDRSTRLEN];

	(void)ctx;
	addr_str(exp, a, sizeof(a));
	printf("{\"exporter\":\"%s\",\"ifindex\":%u,\"name\":", a, ifindex);
	json_str(i->name);
	fputs(",\"description\":", stdout);
	json_str(i->description);
	printf(",\"speed\":%llu}\n", (unsigned long long)i->speed_bps);
}

static void print_stats(struct snmp_poller *p)
{
	struct snmp_poller_stats s;

	snmp_poller_stats(p, &s);
	printf("{\"rounds\":%llu,\"polls_ok\":%llu,\"polls_failed\":%llu,"
	       "\"timeouts\":%llu,\"auth_errors\":%llu,\"other_errors\":%llu,"
	       "\"exporters\":%llu,\"table_full\":%s}\n",
	       (unsigned long long)s.rounds, (unsigned long long)s.polls_ok,
	       (unsigned long long)s.polls_failed,
	       (unsigned long long)s.timeouts,
	       (unsigned long long)s.auth_errors,
	       (unsigned long long)s.other_errors,
	       (unsigned long long)s.exporters,
	       s.table_full ? "true" : "false");
}

static void wait_rounds(struct enricher *x, unsigned long n, double secs)
{
	struct snmp_poller *p = enricher_snmp(x);
	uint64_t end = clock_mono_ns() + (uint64_t)(secs * 1e9);
	struct snmp_poller_stats s;
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };

	for (;;) {
		snmp_poller_stats(p, &s);
		if (s.rounds >= n || clock_mono_ns() >= end)
			break;
		nanosleep(&ts, NULL);
	}
	enricher_poll(x); /* classify with what the round brought */
	printf("{\"rounds\":%llu,\"timeout\":%s}\n",
	       (unsigned long long)s.rounds, s.rounds >= n ? "false" : "true");
}

static void show_exporter(struct enricher *x, int slot, const char *s)
{
	const struct enrich_exporter *c = NULL;
	const struct enrich_tables *t;
	struct flow_addr a;

	if (parse_addr(s, &a)) {
		puts("error bad address");
		return;
	}
	enricher_poll(x);
	t = enricher_begin(x, slot);
	if (t->exporters)
		c = enrich_exporters_lookup(t->exporters, &a);
	if (!c) {
		puts("null");
	} else {
		fputs("{\"name\":", stdout);
		json_str(c->name);
		fputs(",\"group\":", stdout);
		json_str(c->group);
		fputs(",\"site\":", stdout);
		json_str(c->site);
		puts("}");
	}
	enricher_end(x, slot);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void note_bench(struct snmp_poller *p, char *args)
{
	struct flow_addr addrs[16];
	unsigned long calls = strtoul(args, &args, 10);
	size_t n = 0;
	char *tok, *save = NULL;
	uint64_t total, *d;

	for (tok = strtok_r(args, " ", &save); tok && n < 16;
	     tok = strtok_r(NULL, " ", &save))
		if (!parse_addr(tok, &addrs[n]))
			n++;
	if (!n || !calls || calls > 10000000) {
		puts("error usage: note-bench N ADDR...");
		return;
	}
	d = malloc(calls * sizeof(*d));
	if (!d) {
		puts("error out of memory");
		return;
	}
	total = clock_mono_ns();
	for (unsigned long i = 0; i < calls; i++) {
		uint64_t t0 = clock_mono_ns();

		snmp_poller_note_exporter(p, &addrs[i % n]);
		d[i] = clock_mono_ns() - t0;
	}
	total = clock_mono_ns() - total;
	qsort(d, calls, sizeof(*d), cmp_u64);
	printf("{\"calls\":%lu,\"total_ns\":%llu,\"p50_ns\":%llu,"
	       "\"p99_ns\":%llu,\"max_ns\":%llu}\n",
	       calls, (unsigned long long)total,
	       (unsigned long long)d[calls / 2],
	       (unsigned long long)d[calls * 99 / 100],
	       (unsigned long long)d[calls - 1]);
	free(d);
}

/* A flow from exporter a through the collector's enrichment call. */
static void note_flow(struct enricher *x, int slot, const struct flow_addr *a)
{
	struct flow_rec rec = { .sampler_address = *a };
	struct flow_enriched out;
	const struct enrich_tables *t = enricher_begin(x, slot);

	enricher_apply(x, t, &rec, &out);
	enricher_end(x, slot);
}

int main(int argc, char **argv)
{
	struct enricher *x;
	struct snmp_poller *p;
	char line[1024], err[1024];
	int slot;

	if (argc != 2) {
		fprintf(stderr, "usage: snmp-poll-tool CONFIG\n");
		return 2;
	}
	if (getenv("SNMP_POLL_TOOL_DEBUG"))
		log_set_level(LOG_LVL_DEBUG);
	x = enricher_open(argv[1], err, sizeof(err));
	if (!x) {
		fprintf(stderr, "snmp-poll-tool: %s\n", err);
		return 2;
	}
	p = enricher_snmp(x);
	if (!p) {
		fprintf(stderr, "snmp-poll-tool: %s: snmp-poll is off\n",
			argv[1]);
		enricher_close(x);
		return 2;
	}
	slot = enricher_reader_add(x);
	setvbuf(stdout, NULL, _IOLBF, 0);
	puts("ready");
	while (fgets(line, sizeof(line), stdin)) {
		char *cmd = line;
		struct flow_addr a;

		trim(&cmd);
		enricher_poll(x);
		if (!strncmp(cmd, "note ", 5)) {
			if (parse_addr(cmd + 5, &a)) {
				puts("error bad address");
				continue;
			}
			note_flow(x, slot, &a);
			puts("ok");
		} else if (!strncmp(cmd, "wait-rounds ", 12)) {
			char *rest;
			unsigned long n = strtoul(cmd + 12, &rest, 10);

			wait_rounds(x, n, strtod(rest, NULL));
		} else if (!strcmp(cmd, "stats")) {
			print_stats(p);
		} else if (!strcmp(cmd, "ifaces")) {
			const struct enrich_tables *t = enricher_begin(x, slot);

			if (t->ifaces)
				enrich_ifaces_each(t->ifaces, print_iface,
						   NULL);
			enricher_end(x, slot);
			puts("end");
		} else if (!strncmp(cmd, "exporter ", 9)) {
			show_exporter(x, slot, cmd + 9);
		} else if (!strncmp(cmd, "note-bench ", 11)) {
			note_bench(p, cmd + 11);
		} else if (!strcmp(cmd, "quit")) {
			break;
		} else {
			printf("error unknown command '%s'\n", cmd);
		}
	}
	enricher_close(x);
	return 0;
}
