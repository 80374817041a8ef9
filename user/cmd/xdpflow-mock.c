// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflow-mock: generates random flows (user/mock/mock_gen.h) and publishes
 * them exactly as xdpflowd publishes decoded flows: the same encoders
 * (--format, --schema) and the same file/Kafka publisher (-o, --file,
 * --kafka-*, -X), so it stands in for the collector, as flow-pipeline's
 * mocker does. Reads top to bottom: parse options, install the signal
 * flags, open the publisher, then one loop that generates, encodes and
 * writes a flow, keeps to --rate (absolute deadlines, so no drift) and
 * between flows serves delivery reports, live flushes and stats, until
 * --count flows are out or a signal says stop; then a bounded final flush
 * and the stats line. Exit status: 0 ok, 1 runtime failure or flows lost,
 * 2 bad command line.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "daemon/options.h" /* XDPFLOW_VERSION */
#include "daemon/output_opts.h"
#include "encode/encode.h"
#include "mock/mock_gen.h"
#include "mock/mock_opts.h"
#include "publish/publish.h"

#define TICK_NS 200000000ULL	   /* live flush and housekeeping cadence */
#define MAX_SLEEP_NS 100000000ULL  /* a sleep is cut in slices this long */
#define AHEAD_NS 200000ULL	   /* sleep once this far ahead of --rate */
#define HOUSEKEEP_EVERY 256	   /* flows between looks at the clock */
#define FINAL_FLUSH_MS 10000	   /* bounded wait for output at exit */

/* Set by the handlers: the only way signals talk to the loop. */
static volatile sig_atomic_t stop_flag, stats_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	stats_flag = 1;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct run {
	const struct mock_opts *o;
	struct publisher *pub;
	uint64_t start_ns, last_tick_ns, last_stats_ns, last_flush_flows;
	uint64_t flows, encode_errors, write_errors;
	/* Flow times: the last monotonic reading plus the wall clock's
	 * offset from it (taken each tick), so a flow costs no clock read
	 * of its own. */
	uint64_t mono_ns, wall_offset_ns;
	bool fatal; /* the output failed for good: stop generating */
};

static void print_stats(const struct run *r, uint64_t now)
{
	struct publish_stats ps;
	double secs = (double)(now - r->start_ns) / 1e9;

	publisher_get_stats(r->pub, &ps);
	pr_info("stats mock flows=%" PRIu64 " messages=%" PRIu64
		" delivered=%" PRIu64 " delivery_errors=%" PRIu64
		" encode_errors=%" PRIu64 " write_errors=%" PRIu64
		" seconds=%.3f flows_per_s=%.0f",
		r->flows, ps.messages, ps.delivered, ps.delivery_errors,
		r->encode_errors, r->write_errors, secs,
		secs > 0 ? (double)r->flows / secs : 0.0);
}

/* Delivery reports, a live flush of what was written since the last
 * tick (and whether the output failed for good), the stats line when due
 * or asked for. */
static void housekeep(struct run *r, uint64_t now)
{
	r->mono_ns = now;
	if (now - r->last_tick_ns >= TICK_NS) {
		r->wall_offset_ns = clock_ns(CLOCK_REALTIME) -
				    clock_ns(CLOCK_MONOTONIC);
		struct publish_stats ps;

		publisher_poll(r->pub);
		publisher_get_stats(r->pub, &ps);
		r->fatal = ps.fatal;
		if (r->flows != r->last_flush_flows) {
			publisher_flush(r->pub, 0);
			r->last_flush_flows = r->flows;
		}
		r->last_tick_ns = now;
	}
	if (stats_flag ||
	    (r->o->stats_interval &&
	     now - r->last_stats_ns >= r->o->stats_interval * 1000000000ULL)) {
		stats_flag = 0;
		print_stats(r, now);
		r->last_stats_ns = now;
	}
}

/* Sleeps until the monotonic time due, in slices, housekeeping between
 * them; returns early when told to stop. */
static void wait_until(struct run *r, uint64_t due)
{
	for (;;) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC), until;
		struct timespec ts;

		housekeep(r, now);
		if (now >= due || stop_flag)
			return;
		until = due - now > MAX_SLEEP_NS ? now + MAX_SLEEP_NS : due;
		ts.tv_sec = (time_t)(until / 1000000000ULL);
		ts.tv_nsec = (long)(until % 1000000000ULL);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop; /* no SA_RESTART: sleeps end at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	static struct flow_rec rec; /* big: off the stack, zeroed once */
	static uint8_t buf[ENCODE_MAX_LEN];
	struct mock_opts *o;
	struct publish_config pcfg;
	struct publish_stats ps;
	struct mock_gen gen;
	struct run r = { 0 };
	char err[512];
	int rc, exit_code = 1;

	o = calloc(1, sizeof(*o));
	if (!o) {
		pr_err("could not start: %s", strerror(ENOMEM));
		return 1;
	}
	rc = mock_opts_parse(o, argc, argv, err, sizeof(err));
	if (rc < 0) {
		pr_err("%s", err);
		exit_code = 2;
		goto out_options;
	}
	if (rc == MOCK_OPTS_HELP || rc == MOCK_OPTS_VERSION) {
		if (rc == MOCK_OPTS_HELP)
			mock_opts_usage(stdout, "xdpflow-mock");
		else
			printf("xdpflow-mock %s\n", XDPFLOW_VERSION);
		exit_code = 0;
		goto out_options;
	}
	log_set_level(o->log_level);
	install_signals();
	if (!o->seed_given)
		o->gen.seed = clock_ns(CLOCK_REALTIME) ^
			      ((uint64_t)getpid() << 32);

	output_opts_publish_config(&o->out, &pcfg);
	r.pub = publisher_open(&pcfg, err, sizeof(err));
	if (!r.pub) {
		pr_err("%s", err);
		goto out_options;
	}
	r.o = o;
	mock_gen_init(&gen, &o->gen);
	pr_info("xdpflow-mock %s: seed %" PRIu64 ", %s flows at %s, output %s %s (%s)",
		XDPFLOW_VERSION, o->gen.seed,
		o->count ? "a count of" : "endless",
		o->rate ? "a set rate" : "full speed",
		o->out.output == OUT_KIND_KAFKA ? "kafka topic" : "file",
		o->out.output == OUT_KIND_KAFKA ? o->out.kafka_topic : o->out.file,
		o->out.format == OUT_FORMAT_PB ? "pb" : "json");
	if (o->count || o->rate)
		pr_info("count %" PRIu64 " (0: endless), rate %" PRIu64
			" flows/s (0: full speed)",
			o->count, o->rate);

	r.wall_offset_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	r.start_ns = r.last_tick_ns = r.last_stats_ns = r.mono_ns =
		clock_ns(CLOCK_MONOTONIC);
	for (uint64_t i = 0;
	     !stop_flag && !r.fatal && (!o->count || i < o->count); i++) {
		ssize_t n;

		mock_gen_next(&gen, r.mono_ns + r.wall_offset_ns, &rec);
		n = encode_flow_schema(o->out.format, o->out.schema, &rec, buf,
				       sizeof(buf));
		if (n < 0)
			r.encode_errors++;
		else if (publisher_write(r.pub, &rec.sampler_address, buf,
					 (size_t)n))
			r.write_errors++;
		else
			r.flows++;

		if (o->rate) {
			/* Flow i+1 is due at start + (i+1)/rate seconds. */
			uint64_t due = r.start_ns +
				       (uint64_t)((unsigned __int128)(i + 1) *
						  1000000000ULL / o->rate);
			uint64_t now = clock_ns(CLOCK_MONOTONIC);

			r.mono_ns = now;
			if (due > now + AHEAD_NS)
				wait_until(&r, due);
			else if ((i & (HOUSEKEEP_EVERY - 1)) == 0)
				housekeep(&r, now);
		} else if ((i & (HOUSEKEEP_EVERY - 1)) == 0) {
			housekeep(&r, clock_ns(CLOCK_MONOTONIC));
		}
	}
	if (stop_flag)
		pr_info("stopping");
	if (r.fatal)
		pr_err("stopping: the Kafka output failed for good (see above)");

	rc = publisher_flush(r.pub, FINAL_FLUSH_MS);
	if (rc)
		pr_warn("could not deliver all output within %d ms: %s",
			FINAL_FLUSH_MS, strerror(-rc));
	print_stats(&r, clock_ns(CLOCK_MONOTONIC));
	publisher_get_stats(r.pub, &ps);
	exit_code = rc || r.encode_errors || r.write_errors ||
				    ps.delivery_errors || ps.fatal
			    ? 1
			    : 0;
	if (exit_code)
		pr_err("flows were lost: %" PRIu64 " encode errors, %" PRIu64
		       " refused writes, %" PRIu64 " failed deliveries%s",
		       r.encode_errors, r.write_errors, ps.delivery_errors,
		       rc ? ", output not all delivered at exit" : "");
	publisher_close(r.pub);
out_options:
	free(o);
	return exit_code;
}
