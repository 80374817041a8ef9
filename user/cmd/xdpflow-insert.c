// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflow-insert: reads FlowMessages from a Kafka topic (one per message or
 * length-delimited batches) and writes them into PostgreSQL with binary
 * COPY, exactly once: Kafka offsets are stored with the rows. Parses the
 * options, hides the PostgreSQL conninfo from `ps`, installs SIGTERM/SIGINT
 * handlers and runs the inserter loop (user/insert/inserter.h) until one
 * arrives; prints the stats on exit.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "insert/inserter.h"

#define MAX_PROPS 64

/* Set by the signal handler; the only way a signal talks to the loop. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdpflow-insert [options]\n"
		"Reads FlowMessages (proto/flow.proto, bare or varint-length-delimited)\n"
		"from Kafka and inserts them into PostgreSQL exactly once.\n"
		"\n"
		"  --kafka-brokers LIST   bootstrap brokers (default 127.0.0.1:9092)\n"
		"  --kafka-topic NAME     topic (default flows)\n"
		"  --kafka-group NAME     consumer group (default xdpflow-insert)\n"
		"  -X NAME=VALUE          librdkafka consumer property (repeatable)\n"
		"  --postgres CONNINFO    libpq conninfo or postgresql:// URI; PG* variables\n"
		"                         fill what it leaves out (default: PG* only)\n"
		"  --batch-rows N         commit every N rows (default 50000)\n"
		"  --batch-ms MS          commit a batch at most MS old (default 1000)\n"
		"  --retention-days N     drop daily partitions older than N days (0: keep)\n"
		"  --pg-writers N         PostgreSQL connections writing in parallel, Kafka\n"
		"                         partitions spread over them (default 4)\n"
		"  --log-level LEVEL      error, warning, info or debug (default info)\n"
		"  -h, --help             this help\n");
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "xdpflow-insert: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	return 2;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_level(const char *s, enum log_level *lvl)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	for (int i = 0; i < 4; i++) {
		if (!strcmp(s, names[i]) || (i == 1 && !strcmp(s, "warn"))) {
			*lvl = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	enum { O_BROKERS = 256, O_TOPIC, O_GROUP, O_PG, O_ROWS, O_MS, O_RET, O_LOG, O_WRITERS };
	static const struct option opts[] = {
		{ "kafka-brokers", required_argument, NULL, O_BROKERS },
		{ "kafka-topic", required_argument, NULL, O_TOPIC },
		{ "kafka-group", required_argument, NULL, O_GROUP },
		{ "postgres", required_argument, NULL, O_PG },
		{ "batch-rows", required_argument, NULL, O_ROWS },
		{ "batch-ms", required_argument, NULL, O_MS },
		{ "retention-days", required_argument, NULL, O_RET },
		{ "log-level", required_argument, NULL, O_LOG },
		{ "pg-writers", required_argument, NULL, O_WRITERS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct inserter_config cfg = {
		.brokers = "127.0.0.1:9092",
		.topic = "flows",
		.group = "xdpflow-insert",
		.conninfo = "",
		.batch_rows = 50000,
		.batch_ms = 1000,
		.writers = 4,
	};
	const char *props[MAX_PROPS];
	struct inserter_stats st = { 0 };
	enum log_level lvl = LOG_LVL_INFO;
	char *conninfo = NULL;
	struct sigaction sa;
	char err[512];
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hX:", opts, NULL)) != -1) {
		switch (c) {
		case O_BROKERS:
			cfg.brokers = optarg;
			break;
		case O_TOPIC:
			cfg.topic = optarg;
			break;
		case O_GROUP:
			cfg.group = optarg;
			break;
		case O_PG:
			/* Copy it, then wipe argv so `ps` never shows a password. */
			free(conninfo);
			conninfo = strdup(optarg);
			if (!conninfo)
				return bad("%s", "out of memory");
			memset(optarg, 'x', strlen(optarg));
			break;
		case O_ROWS:
			if (parse_uint(optarg, 1, 10000000, &cfg.batch_rows))
				return bad("invalid --batch-rows '%s' (1..10000000)", optarg);
			break;
		case O_MS:
			if (parse_uint(optarg, 1, 3600000, &cfg.batch_ms))
				return bad("invalid --batch-ms '%s' (1..3600000)", optarg);
			break;
		case O_RET:
			if (parse_uint(optarg, 0, 100000, &cfg.retention_days))
				return bad("invalid --retention-days '%s'", optarg);
			break;
		case O_WRITERS:
			if (parse_uint(optarg, 1, 16, &cfg.writers))
				return bad("invalid --pg-writers '%s' (1..16)", optarg);
			break;
		case O_LOG:
			if (parse_level(optarg, &lvl))
				return bad("invalid --log-level '%s' (error, warning, info, debug)", optarg);
			break;
		case 'X':
			if (cfg.n_props == MAX_PROPS)
				return bad("too many -X properties (at most %s)", "64");
			if (!strchr(optarg, '='))
				return bad("invalid -X '%s' (want name=value)", optarg);
			props[cfg.n_props++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return bad("option %s needs a value", argv[optind - 1]);
		default:
			return bad("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	if (!*cfg.topic || !*cfg.group || !*cfg.brokers)
		return bad("%s", "--kafka-brokers, --kafka-topic and --kafka-group must not be empty");
	cfg.props = props;
	if (conninfo)
		cfg.conninfo = conninfo;
	log_set_level(lvl);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = inserter_run(&cfg, &stop_flag, &st, err, sizeof(err));
	if (conninfo) {
		memset(conninfo, 0, strlen(conninfo));
		free(conninfo);
	}
	if (rc) {
		fprintf(stderr, "xdpflow-insert: %s\n", err);
		return rc == -EINVAL ? 2 : 1;
	}
	pr_info("stats insert rows=%" PRIu64 " messages=%" PRIu64 " dead_letters=%" PRIu64
		" batches=%" PRIu64 " pg_failures=%" PRIu64 " conflicts=%" PRIu64,
		st.rows, st.messages, st.dead_letters, st.batches, st.pg_failures, st.conflicts);
	return 0;
}
