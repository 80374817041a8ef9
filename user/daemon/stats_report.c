// SPDX-License-Identifier: Apache-2.0
/*
 * Stats snapshots and their two renderings: the parseable log report and
 * the Prometheus text for /metrics. The snapshot allocates; it is taken on
 * request (signal, timer, scrape), never on the packet path.
 */
#include "daemon/stats_report.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* The XDP counters as reported: "pass_x" reads "passed_x", "drop_x"
 * "dropped_x". */
static const struct {
	const char *name;
	size_t off;
} xdp_fields[] = {
#define XDP_FIELD(f) { #f, offsetof(struct xdpflow_stats, f) },
	XDPFLOW_STATS_FIELDS(XDP_FIELD)
#undef XDP_FIELD
};

static const char *xdp_name(const char *f, char *buf, size_t len)
{
	if (strncmp(f, "pass_", 5) == 0)
		snprintf(buf, len, "passed_%s", f + 5);
	else if (strncmp(f, "drop_", 5) == 0)
		snprintf(buf, len, "dropped_%s", f + 5);
	else
		snprintf(buf, len, "%s", f);
	return buf;
}

static uint64_t xdp_value(const struct xdpflow_stats *st, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)st + xdp_fields[i].off, sizeof(v));
	return v;
}

struct collect {
	struct stats_snapshot *s;
	size_t cap;
	int err;
};

static void collect_one(const struct exporter_stats *es, void *arg)
{
	struct collect *c = arg;
	struct stats_exporter *e;

	if (c->err)
		return;
	if (c->s->n_exp == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct stats_exporter *n = realloc(c->s->exp, cap * sizeof(*n));

		if (!n) {
			c->err = -ENOMEM;
			return;
		}
		c->s->exp = n;
		c->cap = cap;
	}
	e = &c->s->exp[c->s->n_exp++];
	e->addr = es->addr;
	memcpy(e->c, es->c, sizeof(e->c));
}

static int addr_cmp(const void *a, const void *b)
{
	const struct flow_addr *x = &((const struct stats_exporter *)a)->addr;
	const struct flow_addr *y = &((const struct stats_exporter *)b)->addr;

	/* IPv4 before IPv6, the overflow entry (len 0) last. */
	if (x->len != y->len)
		return (x->len ? x->len : 255) - (y->len ? y->len : 255);
	return memcmp(x->b, y->b, x->len);
}

/* Sorts and folds entries of the same exporter seen by several workers. */
static void merge(struct stats_snapshot *s)
{
	size_t out = 0;

	if (s->n_exp == 0)
		return;
	qsort(s->exp, s->n_exp, sizeof(*s->exp), addr_cmp);
	for (size_t i = 1; i < s->n_exp; i++) {
		if (addr_cmp(&s->exp[out], &s->exp[i]) == 0) {
			for (int k = 0; k < DSTAT__COUNT; k++)
				s->exp[out].c[k] += s->exp[i].c[k];
		} else {
			s->exp[++out] = s->exp[i];
		}
	}
	s->n_exp = out + 1;
}

int stats_snapshot_take(const struct stats_source *src,
			struct stats_snapshot *s)
{
	struct collect c = { .s = s };
	size_t n_sock = 0;

	memset(s, 0, sizeof(*s));
	s->n_workers = src->n_workers;
	for (size_t i = 0; i < src->n_workers; i++)
		n_sock += src->workers[i].n_rx;
	if (n_sock) {
		s->sock = calloc(n_sock, sizeof(*s->sock));
		if (!s->sock)
			return -ENOMEM;
	}
	for (size_t i = 0; i < src->n_workers; i++) {
		struct worker *w = &src->workers[i];

		worker_lock(w);
		dstats_foreach(decode_stats(w->dec), collect_one, &c);
		worker_unlock(w);
		for (size_t r = 0; r < w->n_rx; r++) {
			struct rx_stats st;

			rx_get_stats(w->rx[r], &st);
			rx_stats_add(&s->rx, &st);
			if (w->rx_name[r][0])
				s->sock[s->n_sock++] = (struct stats_socket){
					w->rx_name[r], w->id, st.drops
				};
		}
		s->not_allowed += atomic_load(&w->not_allowed);
		s->encode_errors += atomic_load(&w->pipe.encode_errors);
		s->write_errors += atomic_load(&w->pipe.write_errors);
	}
	if (c.err) {
		stats_snapshot_free(s);
		return c.err;
	}
	merge(s);
	if (src->pub)
		publisher_get_stats(src->pub, &s->pub);
	if (src->xdp && xdp_path_stats(src->xdp, &s->xdp) == 0)
		s->xdp_ifaces = xdp_path_ifaces(src->xdp);
	if (src->enr) {
		s->enrich = 1;
		enricher_stats(src->enr, &s->enr);
	}
	return 0;
}

void stats_snapshot_free(struct stats_snapshot *s)
{
	free(s->exp);
	s->exp = NULL;
	s->n_exp = 0;
	free(s->sock);
	s->sock = NULL;
	s->n_sock = 0;
}

void stats_report_log(const struct stats_snapshot *s)
{
	for (size_t i = 0; i < s->n_exp; i++) {
		const struct stats_exporter *e = &s->exp[i];
		char line[2048], addr[INET6_ADDRSTRLEN + 16];
		size_t n;

		flow_addr_str(&e->addr, addr, sizeof(addr));
		n = (size_t)snprintf(line, sizeof(line), "stats exporter=%s",
				     addr);
		for (int k = 0; k < DSTAT__COUNT && n < sizeof(line); k++)
			if (e->c[k])
				n += (size_t)snprintf(line + n,
						      sizeof(line) - n,
						      " %s=%" PRIu64,
						      dstat_name((enum dstat)k),
						      e->c[k]);
		pr_info("%s", line);
	}
	pr_info("stats rx packets=%" PRIu64 " not_allowed=%" PRIu64
		" ignored=%" PRIu64 " bytes=%" PRIu64 " drops=%" PRIu64
		" truncated=%" PRIu64 " fragments=%" PRIu64
		" reassembled=%" PRIu64 " errors=%" PRIu64,
		s->rx.packets, s->not_allowed, s->rx.ignored, s->rx.bytes,
		s->rx.drops, s->rx.truncated, s->rx.fragments,
		s->rx.reassembled, s->rx.errors);
	for (size_t i = 0; i < s->n_sock; i++)
		pr_info("stats socket listener=%s worker=%u drops=%" PRIu64,
			s->sock[i].listener, s->sock[i].worker,
			s->sock[i].drops);
	pr_info("stats publish flows=%" PRIu64 " messages=%" PRIu64
		" delivery_errors=%" PRIu64 " delivered=%" PRIu64
		" encode_errors=%" PRIu64 " write_errors=%" PRIu64,
		s->pub.flows, s->pub.messages, s->pub.delivery_errors,
		s->pub.delivered, s->encode_errors, s->write_errors);
	if (s->xdp_ifaces) {
		char line[1024], name[64];
		size_t n = (size_t)snprintf(line, sizeof(line),
					    "stats xdp iface=%s",
					    s->xdp_ifaces);

		for (size_t i = 0;
		     i < sizeof(xdp_fields) / sizeof(xdp_fields[0]) &&
		     n < sizeof(line);
		     i++)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      " %s=%" PRIu64,
					      xdp_name(xdp_fields[i].name, name,
						       sizeof(name)),
					      xdp_value(&s->xdp, i));
		pr_info("%s", line);
	}
	if (s->enrich)
		pr_info("stats enrich generation=%" PRIu64 " reloads=%" PRIu64
			" reload_failures=%" PRIu64 " exporters_seen=%" PRIu64
			" exporters_full=%d",
			s->enr.generation, s->enr.reloads,
			s->enr.reload_failures, s->enr.exporters_seen,
			s->enr.exporters_full ? 1 : 0);
	if (s->enrich && s->enr.snmp) {
		char line[256];

		snmp_poller_stats_format(&s->enr.snmp_st, line, sizeof(line));
		pr_info("stats snmp %s", line);
	}
}

void stats_report_now(const struct stats_source *src)
{
	struct stats_snapshot s;

	if (stats_snapshot_take(src, &s)) {
		pr_warn("could not take the stats: %s", strerror(ENOMEM));
		return;
	}
	stats_report_log(&s);
	stats_snapshot_free(&s);
}

static void prom_counter(FILE *f, const char *name, const char *help,
			 uint64_t v)
{
	fprintf(f,
		"# HELP xdpflow_%s %s\n# TYPE xdpflow_%s counter\n"
		"xdpflow_%s %" PRIu64 "\n",
		name, help, name, name, v);
}

/* The SNMP poller's counters (snmp-poll = on). */
static void prom_snmp(FILE *f, const struct snmp_poller_stats *st)
{
	prom_counter(f, "snmp_rounds_total",
		     "SNMP poll rounds ended (interface tables published).",
		     st->rounds);
	prom_counter(f, "snmp_polls_ok_total",
		     "SNMP agent polls that succeeded.", st->polls_ok);
	prom_counter(f, "snmp_polls_failed_total",
		     "SNMP agent polls that failed (timeouts, authentication "
		     "and other errors).",
		     st->polls_failed);
	prom_counter(f, "snmp_timeouts_total",
		     "SNMP polls unanswered (or a wrong v2c community).",
		     st->timeouts);
	prom_counter(f, "snmp_auth_errors_total",
		     "SNMPv3 polls refused for authentication or privacy.",
		     st->auth_errors);
	prom_counter(f, "snmp_other_errors_total",
		     "SNMP polls that failed otherwise (bad replies...).",
		     st->other_errors);
	fprintf(f,
		"# HELP xdpflow_snmp_exporters Exporters the SNMP poller "
		"knows.\n# TYPE xdpflow_snmp_exporters gauge\n"
		"xdpflow_snmp_exporters %" PRIu64
		"\n"
		"# HELP xdpflow_snmp_table_full 1 once an exporter was refused "
		"(snmp-max-exporters).\n# TYPE xdpflow_snmp_table_full gauge\n"
		"xdpflow_snmp_table_full %d\n",
		st->exporters, st->table_full ? 1 : 0);
}

/* A label value with \\, " and newlines escaped. */
static void prom_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

void stats_report_prometheus(const struct stats_snapshot *s, FILE *f)
{
	char addr[INET6_ADDRSTRLEN + 16];

	/* One family per decode counter, labelled by exporter. Packets and
	 * flows always appear; the rest only once nonzero. */
	for (int k = 0; k < DSTAT__COUNT; k++) {
		const char *name = dstat_name((enum dstat)k);
		bool header = false;

		for (size_t i = 0; i < s->n_exp; i++) {
			const struct stats_exporter *e = &s->exp[i];

			if (!e->c[k] && k != DSTAT_PACKETS && k != DSTAT_FLOWS)
				continue;
			if (!header) {
				fprintf(f,
					"# HELP xdpflow_decode_%s_total Decoder "
					"counter %s, per exporter.\n"
					"# TYPE xdpflow_decode_%s_total counter\n",
					name, name, name);
				header = true;
			}
			flow_addr_str(&e->addr, addr, sizeof(addr));
			fprintf(f,
				"xdpflow_decode_%s_total{exporter=\"%s\"} %" PRIu64
				"\n",
				name, addr, e->c[k]);
		}
	}
	fprintf(f,
		"# HELP xdpflow_exporters Exporters with decode counters.\n"
		"# TYPE xdpflow_exporters gauge\nxdpflow_exporters %zu\n",
		s->n_exp);
	fprintf(f,
		"# HELP xdpflow_workers Receive worker threads.\n"
		"# TYPE xdpflow_workers gauge\nxdpflow_workers %zu\n",
		s->n_workers);
	prom_counter(f, "rx_packets_total", "Datagrams received.",
		     s->rx.packets);
	prom_counter(f, "rx_bytes_total", "Payload bytes received.",
		     s->rx.bytes);
	prom_counter(f, "rx_drops_total",
		     "Datagrams dropped by the kernel (socket queue full).",
		     s->rx.drops);
	if (s->n_sock)
		fprintf(f,
			"# HELP xdpflow_socket_drops_total Datagrams the "
			"kernel dropped on a listener socket (receive buffer "
			"full), per listener and worker.\n"
			"# TYPE xdpflow_socket_drops_total counter\n");
	for (size_t i = 0; i < s->n_sock; i++) {
		fputs("xdpflow_socket_drops_total{listener=\"", f);
		prom_label(f, s->sock[i].listener);
		fprintf(f, "\",worker=\"%u\"} %" PRIu64 "\n", s->sock[i].worker,
			s->sock[i].drops);
	}
	prom_counter(f, "rx_not_allowed_total",
		     "Datagrams from exporters outside the allow-list.",
		     s->not_allowed);
	prom_counter(f, "rx_ignored_total",
		     "Captured frames that are not UDP to a listened port.",
		     s->rx.ignored);
	prom_counter(f, "rx_truncated_total", "Truncated datagrams dropped.",
		     s->rx.truncated);
	prom_counter(f, "rx_fragments_total", "IP fragments seen (capture).",
		     s->rx.fragments);
	prom_counter(f, "rx_reassembled_total",
		     "Datagrams reassembled from IPv4 fragments (capture).",
		     s->rx.reassembled);
	prom_counter(f, "rx_errors_total", "Receive errors.", s->rx.errors);
	prom_counter(f, "publish_flows_total", "Flows handed to the publisher.",
		     s->pub.flows);
	prom_counter(f, "publish_messages_total",
		     "Messages (Kafka) or writes (file) produced.",
		     s->pub.messages);
	prom_counter(f, "publish_delivered_total", "Kafka messages delivered.",
		     s->pub.delivered);
	prom_counter(f, "publish_delivery_errors_total",
		     "Failed deliveries or write errors.",
		     s->pub.delivery_errors);
	prom_counter(f, "encode_errors_total", "Flows that failed to encode.",
		     s->encode_errors);
	prom_counter(f, "publish_write_errors_total",
		     "Flows the publisher refused.", s->write_errors);
	for (size_t i = 0;
	     s->xdp_ifaces && i < sizeof(xdp_fields) / sizeof(xdp_fields[0]);
	     i++) {
		char name[64], metric[96], help[160];

		xdp_name(xdp_fields[i].name, name, sizeof(name));
		snprintf(metric, sizeof(metric), "xdp_%s_total", name);
		snprintf(help, sizeof(help),
			 "XDP program counter %s, over every --xdp interface.",
			 name);
		prom_counter(f, metric, help, xdp_value(&s->xdp, i));
	}
	if (s->enrich) {
		fprintf(f,
			"# HELP xdpflow_enrich_generation Enrichment table set "
			"in use (1 at start, +1 per table published).\n"
			"# TYPE xdpflow_enrich_generation gauge\n"
			"xdpflow_enrich_generation %" PRIu64 "\n",
			s->enr.generation);
		prom_counter(f, "enrich_reloads_total",
			     "Enrichment sources reloaded (SIGHUP or a "
			     "changed file).",
			     s->enr.reloads);
		prom_counter(f, "enrich_reload_failures_total",
			     "Enrichment sources that failed to reload (the "
			     "previous table stayed).",
			     s->enr.reload_failures);
	}
	if (s->enrich && s->enr.snmp)
		prom_snmp(f, &s->enr.snmp_st);
}
