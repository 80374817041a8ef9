// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflow-insert: reads FlowMessages from a Kafka topic (one per message or
 * length-delimited batches) and writes them into PostgreSQL with binary
 * COPY, exactly once: Kafka offsets are stored with the rows. Parses the
 * options (insert/insert_opts.h, which also hides the PostgreSQL conninfo
 * from `ps`), installs SIGTERM/SIGINT handlers and runs the inserter loop
 * (user/insert/inserter.h) until one arrives; prints the stats on exit.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "insert/insert_opts.h"
#include "insert/inserter.h"

/* Set by the signal handler; the only way a signal talks to the loop. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int main(int argc, char **argv)
{
	struct insert_opts o = { 0 }; /* zeroed, as insert_opts_parse wants */
	struct inserter_stats st = { 0 };
	struct sigaction sa;
	char err[512];
	int rc;

	rc = insert_opts_parse(&o, argc, argv, err, sizeof(err));
	if (rc < 0 || rc == INSERT_OPTS_HELP) {
		if (rc < 0)
			fprintf(stderr, "xdpflow-insert: %s\n", err);
		else
			insert_opts_usage(stdout);
		insert_opts_release(&o);
		return rc < 0 ? 2 : 0;
	}
	log_set_level(o.log_level);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = inserter_run(&o.cfg, &stop_flag, &st, err, sizeof(err));
	insert_opts_release(&o);
	if (rc) {
		fprintf(stderr, "xdpflow-insert: %s\n", err);
		return rc == -EINVAL ? 2 : 1;
	}
	pr_info("stats insert rows=%" PRIu64 " messages=%" PRIu64 " dead_letters=%" PRIu64
		" batches=%" PRIu64 " pg_failures=%" PRIu64 " conflicts=%" PRIu64,
		st.rows, st.messages, st.dead_letters, st.batches, st.pg_failures, st.conflicts);
	return 0;
}
