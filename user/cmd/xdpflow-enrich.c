// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflow-enrich: reads FlowMessages from one Kafka topic, enriches each
 * flow and writes them to another topic in the framing they came in,
 * exactly once (relay/relay.h: transactions with the consumed offsets).
 * Reads top to bottom: parse the options (relay/relay_opts.h), block
 * SIGINT/SIGTERM/SIGHUP onto a signalfd (common/signals.h), run the relay
 * with a transform that decodes, enriches and re-encodes each message
 * (relay/reframe.h), print the stats.
 * Exit status: 0 ok (stopped by SIGTERM or SIGINT, what was open
 * committed), 1 runtime failure, 2 bad command line or a Kafka
 * configuration librdkafka refuses.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/signals.h"
#include "encode/encode.h"
#include "enrich/enricher.h"
#include "relay/reframe.h"
#include "relay/relay.h"
#include "relay/relay_opts.h"
#include "version.h"

#define MAX_OUT 64

struct enrich_ctx {
	struct enricher *x; /* NULL: no --config, flows copied */
	int slot;
	const struct enrich_tables *t; /* between enricher_begin and _end */
	struct flow_enriched enr[REFRAME_CHUNK];
	struct reframe rf;
	struct relay_out out[MAX_OUT];
	uint64_t reshaped, empty;
};

static void prepare(void *ctx, const struct flow_rec *recs, size_t n)
{
	struct enrich_ctx *c = ctx;

	if (c->x)
		enricher_apply_batch(c->x, c->t, recs, n, c->enr);
}

static ssize_t encode(void *ctx, const struct flow_rec *rec, size_t i,
		      uint8_t *buf, size_t cap)
{
	struct enrich_ctx *c = ctx;

	return encode_flow_enriched(OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW2, rec,
				    c->x ? &c->enr[i] : NULL, buf, cap);
}

static int transform(void *vctx, const uint8_t *p, size_t len,
		     const struct relay_out **out, size_t *n_out,
		     size_t *flows_in, size_t *flows_out)
{
	struct enrich_ctx *c = vctx;
	const struct reframe_ops ops = { prepare, encode, c };
	struct reframe_info info;
	size_t start;
	int rc;

	/* The tables, and the strings the flows borrow from them, hold
	 * until the message is encoded. */
	if (c->x)
		c->t = enricher_begin(c->x, c->slot);
	rc = reframe_message(&c->rf, p, len, &ops, &info);
	if (c->x)
		enricher_end(c->x, c->slot);
	if (rc)
		return rc;
	if (c->rf.n_cuts > MAX_OUT)
		return -EMSGSIZE;
	start = c->rf.start;
	for (size_t i = 0; i < c->rf.n_cuts; i++) {
		c->out[i].data = c->rf.buf + start;
		c->out[i].len = c->rf.cuts[i] - start;
		start = c->rf.cuts[i];
	}
	*out = c->out;
	*n_out = c->rf.n_cuts;
	*flows_in = info.flows;
	*flows_out = info.flows - info.empty;
	c->reshaped += info.reshaped;
	c->empty += info.empty;
	return 0;
}

static void tick(void *vctx)
{
	struct enrich_ctx *c = vctx;
	int rc;

	if (!c->x)
		return;
	rc = enricher_poll(c->x);
	if (rc < 0)
		pr_warn("enrichment: %s (the previous table stays)",
			enricher_last_error(c->x));
	else if (rc > 0)
		pr_info("enrichment: %d changed source(s) reloaded", rc);
}

static int on_signal(void *vctx, int signo)
{
	struct enrich_ctx *c = vctx;
	char err[512];

	if (signo == SIGHUP) {
		if (!c->x)
			return 0;
		if (enricher_reload(c->x, err, sizeof(err)))
			pr_warn("enrichment reload: %s (the previous table stays)",
				err);
		else
			pr_info("enrichment: sources reloaded");
		return 0;
	}
	pr_info("signal %d: committing what is open and stopping", signo);
	return 1;
}

int main(int argc, char **argv)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	static struct enrich_ctx c; /* big (records); main's own */
	struct relay_hooks hooks = { transform, tick, on_signal, &c };
	struct relay_stats st = { 0 };
	struct enricher_stats es = { 0 };
	struct relay_opts o;
	struct signals sig;
	char err[512];
	int rc;

	rc = relay_opts_parse(&o, argc, argv, err, sizeof(err));
	if (rc != RELAY_OPTS_RUN) {
		if (rc < 0)
			pr_err("%s", err);
		else if (rc == RELAY_OPTS_HELP)
			relay_opts_usage(stdout);
		else
			printf("xdpflow-enrich %s\n", XDPFLOW_VERSION);
		return rc < 0 ? 2 : 0;
	}
	log_set_level(o.log_level);

	if (o.config) {
		c.x = enricher_open(o.config, err, sizeof(err));
		if (!c.x) {
			pr_err("%s", err);
			return 1;
		}
		c.slot = enricher_reader_add(c.x);
		if (c.slot < 0) {
			pr_err("could not register with the enricher: %s",
			       strerror(-c.slot));
			enricher_close(c.x);
			return 1;
		}
	}
	rc = reframe_init(&c.rf, 0);
	if (rc) {
		pr_err("could not allocate buffers: %s", strerror(-rc));
		enricher_close(c.x);
		return 1;
	}
	rc = signals_open(&sig, sigs, sizeof(sigs) / sizeof(sigs[0]));
	if (rc) {
		pr_err("could not set up the signals: %s", strerror(-rc));
		reframe_fini(&c.rf);
		enricher_close(c.x);
		return 1;
	}
	rc = relay_run(&o.cfg, &hooks, &sig, &st, err, sizeof(err));
	signals_close(&sig);
	reframe_fini(&c.rf);
	if (c.x)
		enricher_stats(c.x, &es);
	enricher_close(c.x);
	pr_info("stats enrich consumed=%" PRIu64 " consumed_flows=%" PRIu64
		" produced=%" PRIu64 " produced_flows=%" PRIu64
		" txn_committed=%" PRIu64 " txn_aborted=%" PRIu64
		" txn_age_sum_ms=%" PRIu64 " txn_age_max_ms=%" PRIu64
		" txn_late=%" PRIu64 " decode_errors=%" PRIu64
		" reshaped=%" PRIu64 " empty=%" PRIu64 " rebalances=%" PRIu64
		" generation=%" PRIu64 " reloads=%" PRIu64
		" reload_failures=%" PRIu64,
		st.consumed, st.consumed_flows, st.produced, st.produced_flows,
		st.txn_committed, st.txn_aborted, st.txn_age_sum_ms,
		st.txn_age_max_ms, st.txn_late, st.decode_errors, c.reshaped,
		c.empty, st.rebalances, es.generation, es.reloads,
		es.reload_failures);
	if (es.snmp) {
		char line[256];

		snmp_poller_stats_format(&es.snmp_st, line, sizeof(line));
		pr_info("stats snmp %s", line);
	}
	if (rc) {
		pr_err("%s", err);
		return rc == -EINVAL ? 2 : 1;
	}
	return 0;
}
