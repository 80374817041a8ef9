// SPDX-License-Identifier: Apache-2.0
/*
 * The floor under xdpflow-enrich's end-to-end figure: the same exactly-once
 * loop (relay/relay.h: read_committed consumer, transactional producer,
 * offsets in the transaction, the same librdkafka settings) with a
 * transform that copies each message's bytes unchanged: no decoding,
 * enrichment or encoding. What it reaches is what the broker and
 * librdkafka allow on this machine; tests/bench/bench_enrich_kafka.py runs
 * it beside xdpflow-enrich. Stops on SIGINT/SIGTERM and prints
 * "stats copy consumed=N produced=N txn_committed=N txn_aborted=N
 * txn_age_sum_ms=N txn_age_max_ms=N txn_late=N".
 *
 *   build/bench/bench_relay_copy BROKERS IN_TOPIC OUT_TOPIC GROUP TXN_ID TXN_INTERVAL_MS
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/signals.h"
#include "relay/relay.h"

struct copy_ctx {
	struct relay_out out;
};

static int transform(void *vctx, const uint8_t *p, size_t len,
		     const struct relay_out **out, size_t *n_out,
		     size_t *flows_in, size_t *flows_out)
{
	struct copy_ctx *c = vctx;

	c->out.data = p;
	c->out.len = len;
	*out = &c->out;
	*n_out = 1;
	*flows_in = *flows_out = 0; /* not decoded */
	return 0;
}

static void tick(void *vctx)
{
	(void)vctx;
}

static int on_signal(void *vctx, int signo)
{
	(void)vctx;
	return signo == SIGINT || signo == SIGTERM;
}

int main(int argc, char **argv)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct copy_ctx c = { 0 };
	struct relay_hooks hooks = { transform, tick, on_signal, &c };
	struct relay_config cfg = { 0 };
	struct relay_stats st = { 0 };
	struct signals sig;
	char err[512];
	int rc;

	if (argc != 7) {
		fprintf(stderr,
			"usage: %s BROKERS IN_TOPIC OUT_TOPIC GROUP TXN_ID TXN_INTERVAL_MS\n",
			argv[0]);
		return 2;
	}
	cfg.brokers = argv[1];
	cfg.in_topic = argv[2];
	cfg.out_topic = argv[3];
	cfg.group = argv[4];
	cfg.transactional_id = argv[5];
	cfg.txn_interval_ms = (unsigned)strtoul(argv[6], NULL, 10);
	cfg.txn_max_msgs = 10000; /* xdpflow-enrich's default */
	cfg.tick_ms = 1000;
	if (!cfg.txn_interval_ms) {
		fprintf(stderr, "TXN_INTERVAL_MS must be > 0\n");
		return 2;
	}
	rc = signals_open(&sig, sigs, sizeof(sigs) / sizeof(sigs[0]));
	if (rc) {
		pr_err("could not set up the signals");
		return 1;
	}
	rc = relay_run(&cfg, &hooks, &sig, &st, err, sizeof(err));
	signals_close(&sig);
	pr_info("stats copy consumed=%" PRIu64 " produced=%" PRIu64
		" txn_committed=%" PRIu64 " txn_aborted=%" PRIu64
		" txn_age_sum_ms=%" PRIu64 " txn_age_max_ms=%" PRIu64
		" txn_late=%" PRIu64,
		st.consumed, st.produced, st.txn_committed, st.txn_aborted,
		st.txn_age_sum_ms, st.txn_age_max_ms, st.txn_late);
	if (rc) {
		pr_err("%s", err);
		return 1;
	}
	return 0;
}
