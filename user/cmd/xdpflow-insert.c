// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflow-insert: reads FlowMessages from a Kafka topic (one per message or
 * length-delimited batches) and writes them into PostgreSQL with binary
 * COPY, exactly once: Kafka offsets are stored with the rows. Reads top to
 * bottom: parse the options (insert/insert_opts.h, which also hides the
 * PostgreSQL conninfo from `ps`), block SIGINT/SIGTERM onto a signalfd
 * (common/signals.h, as every xdpflow program), run the inserter loop
 * (user/insert/inserter.h) until one arrives, print the stats.
 * Exit status: 0 ok, 1 runtime failure, 2 bad command line or a Kafka
 * configuration the consumer refuses.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/signals.h"
#include "insert/insert_opts.h"
#include "insert/inserter.h"
#include "version.h"

int main(int argc, char **argv)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct insert_opts o = { 0 }; /* zeroed, as insert_opts_parse wants */
	struct inserter_stats st = { 0 };
	struct signals sig;
	char err[512];
	int rc;

	rc = insert_opts_parse(&o, argc, argv, err, sizeof(err));
	if (rc != INSERT_OPTS_RUN) {
		if (rc < 0)
			pr_err("%s", err);
		else if (rc == INSERT_OPTS_HELP)
			insert_opts_usage(stdout);
		else
			printf("xdpflow-insert %s\n", XDPFLOW_VERSION);
		insert_opts_release(&o);
		return rc < 0 ? 2 : 0;
	}
	log_set_level(o.log_level);

	rc = signals_open(&sig, sigs, sizeof(sigs) / sizeof(sigs[0]));
	if (rc) {
		pr_err("could not set up the signals: %s", strerror(-rc));
		insert_opts_release(&o);
		return 1;
	}
	rc = inserter_run(&o.cfg, sig.fd, &st, err, sizeof(err));
	insert_opts_release(&o);
	signals_close(&sig);
	if (rc) {
		pr_err("%s", err);
		return rc == -EINVAL ? 2 : 1;
	}
	pr_info("stats insert rows=%" PRIu64 " messages=%" PRIu64
		" dead_letters=%" PRIu64 " batches=%" PRIu64
		" pg_failures=%" PRIu64 " conflicts=%" PRIu64,
		st.rows, st.messages, st.dead_letters, st.batches,
		st.pg_failures, st.conflicts);
	return 0;
}
