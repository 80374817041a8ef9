// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflow-mock: generates random flows (user/mock/mock_gen.h) and publishes
 * them exactly as xdpflowd publishes decoded flows: the same encoders
 * (--format, --schema) and the same file/Kafka publisher (-o, --file,
 * --kafka-*, -X), so it stands in for the collector, as flow-pipeline's
 * mocker does. Reads top to bottom: parse options, then start (block the
 * signals onto a signalfd, as every xdpflow program; open the publisher),
 * run (one loop that generates, encodes and writes a flow, keeps to --rate
 * with absolute deadlines, so no drift, and between flows serves signals,
 * delivery reports, live flushes and stats, until --count flows are out or
 * a signal says stop) and stop (a bounded final flush, the stats line). Exit status: 0 ok, 1 runtime failure or flows lost,
 * 2 bad command line.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/signals.h"
#include "encode/encode.h"
#include "mock/mock_gen.h"
#include "mock/mock_opts.h"
#include "publish/publish.h"
#include "publish/publish_opts.h"
#include "version.h"

#define TICK_NS 200000000ULL	  /* live flush and housekeeping cadence */
#define MAX_SLEEP_NS 100000000ULL /* a sleep is cut in slices this long */
#define AHEAD_NS 200000ULL	  /* sleep once this far ahead of --rate */
#define HOUSEKEEP_EVERY 256	  /* flows between looks at the clock */
#define FINAL_FLUSH_MS 10000	  /* bounded wait for output at exit */

struct run {
	const struct mock_opts *o;
	struct publisher *pub;
	struct signals sig;
	bool stop; /* SIGINT or SIGTERM arrived */
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

/* Signals, delivery reports, a live flush of what was written since the
 * last tick (and whether the output failed for good), the stats line when
 * due or asked for. */
static void housekeep(struct run *r, uint64_t now)
{
	bool stats = false;
	int s;

	while ((s = signals_next(&r->sig)) > 0) {
		if (s == SIGUSR1)
			stats = true;
		else
			r->stop = true;
	}
	r->mono_ns = now;
	if (now - r->last_tick_ns >= TICK_NS) {
		struct publish_stats ps;

		r->wall_offset_ns = clock_realtime_ns() - clock_mono_ns();
		publisher_poll(r->pub);
		publisher_get_stats(r->pub, &ps);
		r->fatal = ps.fatal;
		if (r->flows != r->last_flush_flows) {
			publisher_flush(r->pub, 0);
			r->last_flush_flows = r->flows;
		}
		r->last_tick_ns = now;
	}
	if (stats || (r->o->stats_interval &&
		      now - r->last_stats_ns >=
			      r->o->stats_interval * CLOCK_NS_PER_SEC)) {
		print_stats(r, now);
		r->last_stats_ns = now;
	}
}

/* Sleeps until the monotonic time due, in slices, housekeeping between
 * them; a signal ends a slice at once, and stop ends the wait. */
static void wait_until(struct run *r, uint64_t due)
{
	for (;;) {
		uint64_t now = clock_mono_ns();

		housekeep(r, now);
		if (now >= due || r->stop)
			return;
		signals_wait(&r->sig, due - now > MAX_SLEEP_NS ? MAX_SLEEP_NS
							       : due - now);
	}
}

/* Signals, the seed, the publisher and the generator; logs what it will
 * do. Returns 0, or -errno after one error line. */
static int mock_start(struct run *r, struct mock_opts *o, struct mock_gen *gen)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGUSR1 };
	struct publish_config pcfg;
	char err[512];
	int rc;

	r->o = o;
	rc = signals_open(&r->sig, sigs, sizeof(sigs) / sizeof(sigs[0]));
	if (rc) {
		pr_err("could not set up the signals: %s", strerror(-rc));
		return rc;
	}
	if (!o->seed_given)
		o->gen.seed = clock_realtime_ns() ^ ((uint64_t)getpid() << 32);
	publish_opts_config(&o->out, &pcfg);
	r->pub = publisher_open(&pcfg, err, sizeof(err));
	if (!r->pub) {
		pr_err("%s", err);
		return -EIO;
	}
	mock_gen_init(gen, &o->gen);
	pr_info("xdpflow-mock %s: seed %" PRIu64
		", %s flows at %s, output %s %s (%s)",
		XDPFLOW_VERSION, o->gen.seed,
		o->count ? "a count of" : "endless",
		o->rate ? "a set rate" : "full speed",
		o->out.output == OUT_KIND_KAFKA ? "kafka topic" : "file",
		o->out.output == OUT_KIND_KAFKA ? o->out.kafka_topic
						: o->out.file,
		o->out.format == OUT_FORMAT_PB ? "pb" : "json");
	if (o->count || o->rate)
		pr_info("count %" PRIu64 " (0: endless), rate %" PRIu64
			" flows/s (0: full speed)",
			o->count, o->rate);
	return 0;
}

/* Generates, encodes and writes flows at --rate until --count or a stop
 * signal, housekeeping between them. */
static void mock_run(struct run *r, struct mock_gen *gen)
{
	static struct flow_rec rec; /* big: off the stack, zeroed once */
	static uint8_t buf[ENCODE_MAX_LEN];
	const struct mock_opts *o = r->o;

	r->wall_offset_ns = clock_realtime_ns() - clock_mono_ns();
	r->start_ns = r->last_tick_ns = r->last_stats_ns = r->mono_ns =
		clock_mono_ns();
	for (uint64_t i = 0;
	     !r->stop && !r->fatal && (!o->count || i < o->count); i++) {
		ssize_t n;

		mock_gen_next(gen, r->mono_ns + r->wall_offset_ns, &rec);
		n = encode_flow_schema(o->out.format, o->out.schema, &rec, buf,
				       sizeof(buf));
		if (n < 0)
			r->encode_errors++;
		else if (publisher_write(r->pub, &rec.sampler_address, buf,
					 (size_t)n))
			r->write_errors++;
		else
			r->flows++;

		if (o->rate) {
			/* Flow i+1 is due at start + (i+1)/rate seconds. */
			uint64_t due = r->start_ns +
				       (uint64_t)((unsigned __int128)(i + 1) *
						  CLOCK_NS_PER_SEC / o->rate);
			uint64_t now = clock_mono_ns();

			r->mono_ns = now;
			if (due > now + AHEAD_NS)
				wait_until(r, due);
			else if ((i & (HOUSEKEEP_EVERY - 1)) == 0)
				housekeep(r, now);
		} else if ((i & (HOUSEKEEP_EVERY - 1)) == 0) {
			housekeep(r, clock_mono_ns());
		}
	}
	if (r->stop)
		pr_info("stopping");
}

/* The bounded final flush and the stats line, then frees r. Returns 0
 * when every flow was delivered, -EIO (logged) when some were lost. */
static int mock_stop(struct run *r)
{
	struct publish_stats ps;
	int rc = 0, flush_rc;

	if (r->fatal)
		pr_err("stopping: the Kafka output failed for good (see above)");
	if (r->pub) {
		flush_rc = publisher_flush(r->pub, FINAL_FLUSH_MS);
		if (flush_rc)
			pr_warn("could not deliver all output within %d ms: %s",
				FINAL_FLUSH_MS, strerror(-flush_rc));
		print_stats(r, clock_mono_ns());
		publisher_get_stats(r->pub, &ps);
		if (flush_rc || r->encode_errors || r->write_errors ||
		    ps.delivery_errors || ps.fatal) {
			pr_err("flows were lost: %" PRIu64
			       " encode errors, %" PRIu64
			       " refused writes, %" PRIu64
			       " failed deliveries%s",
			       r->encode_errors, r->write_errors,
			       ps.delivery_errors,
			       flush_rc ? ", output not all delivered at exit"
					: "");
			rc = -EIO;
		}
		publisher_close(r->pub);
		r->pub = NULL;
	}
	signals_close(&r->sig);
	return rc;
}

int main(int argc, char **argv)
{
	struct mock_opts *o = calloc(1, sizeof(*o)); /* big: off the stack */
	struct run r = { .sig = { .fd = -1 } };
	struct mock_gen gen;
	char err[512];
	int rc, stopped;

	if (!o) {
		pr_err("could not start: %s", strerror(ENOMEM));
		return 1;
	}
	rc = mock_opts_parse(o, argc, argv, err, sizeof(err));
	if (rc != MOCK_OPTS_RUN) {
		if (rc < 0)
			pr_err("%s", err);
		else if (rc == MOCK_OPTS_HELP)
			mock_opts_usage(stdout, "xdpflow-mock");
		else
			printf("xdpflow-mock %s\n", XDPFLOW_VERSION);
		free(o);
		return rc < 0 ? 2 : 0;
	}
	log_set_level(o->log_level);

	rc = mock_start(&r, o, &gen);
	if (!rc)
		mock_run(&r, &gen);
	stopped = mock_stop(&r);
	free(o);
	return rc || stopped ? 1 : 0;
}
