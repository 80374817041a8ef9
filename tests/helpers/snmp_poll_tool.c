// SPDX-License-Identifier: Apache-2.0
/*
 * Test driver for the SNMP poller (tests/sys/test_snmp.py): starts a
 * poller on an enrichment context from a config file and answers commands
 * on stdin, one line each, so a test can note exporters, wait for poll
 * rounds, change the agents' interfaces and look at what was published.
 *
 *   snmp-poll-tool CONFIG
 *
 * CONFIG: `key = value` lines (# comments): the snmp-* keys
 * (snmp_opts.h), and, standing in for the enricher, `iface-file = PATH`
 * and `exporter-rules = PATH`. Commands (answers on stdout):
 *   note ADDR               -> ok
 *   wait-rounds N SECONDS   -> {"rounds":R,"timeout":false|true}
 *   stats                   -> one JSON object of snmp_poller_stats
 *   ifaces                  -> one JSON line per interface, then "end"
 *   exporter ADDR           -> JSON classification (null: none)
 *   note-bench N ADDR...    -> notes the ADDRs in turn N times in all;
 *                              {"calls":N,"total_ns":T,"max_ns":M}
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

static int load_config(const char *path, struct snmp_poller_opts *o,
		       struct enrich_ifaces **ifaces,
		       struct enrich_exporter_rules **rules)
{
	FILE *f = fopen(path, "r");
	char line[2048], err[512];
	unsigned n = 0;

	if (!f) {
		fprintf(stderr, "snmp-poll-tool: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	snmp_poller_opts_init(o);
	while (fgets(line, sizeof(line), f)) {
		char *k = line, *v, *eq;
		int ret;

		n++;
		trim(&k);
		if (!*k || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq)
			goto bad_line;
		*eq = 0;
		v = eq + 1;
		trim(&k);
		trim(&v);
		if (!strcmp(k, "iface-file")) {
			ret = enrich_ifaces_load(v, ifaces, err, sizeof(err));
		} else if (!strcmp(k, "exporter-rules")) {
			ret = enrich_exporter_rules_load(v, rules, err,
							 sizeof(err));
		} else {
			ret = snmp_poller_opts_set(o, k, v, err, sizeof(err));
			if (ret == -ENOENT)
				snprintf(err, sizeof(err), "unknown key '%s'",
					 k);
		}
		if (ret) {
			fprintf(stderr, "snmp-poll-tool: %s:%u: %s\n", path, n,
				err);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	if (snmp_poller_opts_check(o, err, sizeof(err))) {
		fprintf(stderr, "snmp-poll-tool: %s: %s\n", path, err);
		return -1;
	}
	return 0;
bad_line:
	fprintf(stderr, "snmp-poll-tool: %s:%u: not key = value\n", path, n);
	fclose(f);
	return -1;
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

static void wait_rounds(struct snmp_poller *p, unsigned long n, double secs)
{
	uint64_t end = clock_mono_ns() + (uint64_t)(secs * 1e9);
	struct snmp_poller_stats s;
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };

	for (;;) {
		snmp_poller_stats(p, &s);
		if (s.rounds >= n || clock_mono_ns() >= end)
			break;
		nanosleep(&ts, NULL);
	}
	printf("{\"rounds\":%llu,\"timeout\":%s}\n",
	       (unsigned long long)s.rounds, s.rounds >= n ? "false" : "true");
}

static void show_exporter(struct enrich *e, int slot, const char *s)
{
	const struct enrich_exporter *x = NULL;
	const struct enrich_tables *t;
	struct flow_addr a;

	if (parse_addr(s, &a)) {
		puts("error bad address");
		return;
	}
	t = enrich_read_begin(e, slot);
	if (t->exporters)
		x = enrich_exporters_lookup(t->exporters, &a);
	if (!x) {
		puts("null");
	} else {
		fputs("{\"name\":", stdout);
		json_str(x->name);
		fputs(",\"group\":", stdout);
		json_str(x->group);
		fputs(",\"site\":", stdout);
		json_str(x->site);
		puts("}");
	}
	enrich_read_end(e, slot);
}

static void note_bench(struct snmp_poller *p, char *args)
{
	struct flow_addr addrs[16];
	unsigned long calls = strtoul(args, &args, 10);
	size_t n = 0;
	char *tok, *save = NULL;
	uint64_t total, max = 0;

	for (tok = strtok_r(args, " ", &save); tok && n < 16;
	     tok = strtok_r(NULL, " ", &save))
		if (!parse_addr(tok, &addrs[n]))
			n++;
	if (!n || !calls) {
		puts("error usage: note-bench N ADDR...");
		return;
	}
	total = clock_mono_ns();
	for (unsigned long i = 0; i < calls; i++) {
		uint64_t t0 = clock_mono_ns(), d;

		snmp_poller_note_exporter(p, &addrs[i % n]);
		d = clock_mono_ns() - t0;
		if (d > max)
			max = d;
	}
	total = clock_mono_ns() - total;
	printf("{\"calls\":%lu,\"total_ns\":%llu,\"max_ns\":%llu}\n", calls,
	       (unsigned long long)total, (unsigned long long)max);
}

int main(int argc, char **argv)
{
	struct snmp_poller_opts o;
	struct enrich_ifaces *ifaces = NULL;
	struct enrich_exporter_rules *rules = NULL;
	struct snmp_poller *p = NULL;
	struct enrich *e;
	char line[1024], err[256];
	int slot, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: snmp-poll-tool CONFIG\n");
		return 2;
	}
	if (getenv("SNMP_POLL_TOOL_DEBUG"))
		log_set_level(LOG_LVL_DEBUG);
	if (load_config(argv[1], &o, &ifaces, &rules))
		return 2;
	e = enrich_new();
	if (!e)
		return 1;
	slot = enrich_reader_add(e);
	ret = snmp_poller_start(e, &o, &p, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "snmp-poll-tool: %s\n", err);
		enrich_ifaces_free(ifaces);
		enrich_exporter_rules_free(rules);
		enrich_free(e);
		return 1;
	}
	snmp_poller_set_sources(p, ifaces, rules);
	setvbuf(stdout, NULL, _IOLBF, 0);
	puts("ready");
	while (fgets(line, sizeof(line), stdin)) {
		char *cmd = line;
		struct flow_addr a;

		trim(&cmd);
		if (!strncmp(cmd, "note ", 5)) {
			if (parse_addr(cmd + 5, &a)) {
				puts("error bad address");
				continue;
			}
			snmp_poller_note_exporter(p, &a);
			puts("ok");
		} else if (!strncmp(cmd, "wait-rounds ", 12)) {
			char *rest;
			unsigned long n = strtoul(cmd + 12, &rest, 10);

			wait_rounds(p, n, strtod(rest, NULL));
		} else if (!strcmp(cmd, "stats")) {
			print_stats(p);
		} else if (!strcmp(cmd, "ifaces")) {
			const struct enrich_tables *t =
				enrich_read_begin(e, slot);

			if (t->ifaces)
				enrich_ifaces_each(t->ifaces, print_iface,
						   NULL);
			enrich_read_end(e, slot);
			puts("end");
		} else if (!strncmp(cmd, "exporter ", 9)) {
			show_exporter(e, slot, cmd + 9);
		} else if (!strncmp(cmd, "note-bench ", 11)) {
			note_bench(p, cmd + 11);
		} else if (!strcmp(cmd, "quit")) {
			break;
		} else {
			printf("error unknown command '%s'\n", cmd);
		}
		enrich_reclaim(e);
	}
	snmp_poller_stop(p);
	enrich_free(e);
	return 0;
}
