// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflowd's runtime (see daemon.h): setting the top-level context up and
 * tearing it down in reverse, and the event loop's watches and timers.
 */
#include "daemon/daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "daemon/listeners.h"
#include "daemon/privs.h"
#include "daemon/run.h"
#include "daemon/templates.h"
#include "decode/decode.h"

#define FLUSH_MS 200	       /* live output flush cadence */
#define TEMPLATES_SAVE_MS 5000 /* at most this often */
#define FINAL_FLUSH_MS 5000    /* bounded wait for output at exit */
#define ENRICH_POLL_MS 1000    /* enrichment source files checked */

/* Workers to run: the largest ?count= (or --workers) over the listeners. */
static unsigned workers_needed(const struct options *o)
{
	unsigned n = 1;

	if (o->pcap)
		return 1;
	for (size_t i = 0; i < o->n_listen; i++) {
		unsigned c = o->listen[i].count ? o->listen[i].count
						: o->workers;

		if (c > n)
			n = c;
	}
	return n;
}

static int open_events(struct daemon *d)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGUSR1, SIGHUP };
	int rc;

	/* Before any thread starts: every thread inherits the mask. */
	rc = signals_open(&d->sig, sigs, sizeof(sigs) / sizeof(sigs[0]));
	if (rc) {
		pr_err("could not set up the signals: %s", strerror(-rc));
		return rc;
	}
	d->sh.stop_fd = eventfd(0, EFD_CLOEXEC);
	d->sh.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->sh.stop_fd < 0 || d->sh.done_fd < 0) {
		rc = -errno;
		pr_err("could not create the signal and event fds: %s",
		       strerror(-rc));
		return rc;
	}
	return 0;
}

static int open_publisher(struct daemon *d)
{
	struct publish_config pcfg;
	char err[512];

	publish_opts_config(&d->o->out, &pcfg);
	d->pub = publisher_open(&pcfg, err, sizeof(err));
	if (!d->pub) {
		pr_err("%s", err);
		return -EIO;
	}
	return 0;
}

/* The allow-list in use: --allow-exporter's prefixes, then the file's.
 * Returns 0 and *out (malloc'd), or -errno after an error line. */
static int build_allow(const struct options *o, struct allow_list **out)
{
	struct allow_list *l = malloc(sizeof(*l));
	char err[512];
	int rc;

	if (!l) {
		pr_err("could not allocate the allow-list: %s",
		       strerror(ENOMEM));
		return -ENOMEM;
	}
	*l = o->allow;
	if (o->allow_file) {
		rc = allow_list_load_file(l, o->allow_file, err, sizeof(err));
		if (rc) {
			pr_err("%s", err);
			free(l);
			return rc;
		}
	}
	*out = l;
	return 0;
}

/* --enrich: the config and every source it names, loaded before the
 * workers (which take reader slots) and before privileges drop. */
static int open_enricher(struct daemon *d)
{
	char err[512];

	if (!d->o->enrich)
		return 0;
	d->enr = enricher_open(d->o->enrich, err, sizeof(err));
	if (!d->enr) {
		pr_err("could not set up enrichment: %s", err);
		return -EINVAL;
	}
	return 0;
}

/* The workers, each with its decode context and pipeline, no input yet. */
static int init_workers(struct daemon *d)
{
	const struct options *o = d->o;
	struct decode_config dcfg;
	unsigned n = workers_needed(o);

	decode_config_defaults(&dcfg);
	dcfg.max_templates = o->max_templates;
	dcfg.biflow = o->biflow;
	atomic_init(&d->sh.stop, false);
	atomic_init(&d->sh.allow, d->allow);
	d->sh.enr = d->enr;
	d->sh.batch = o->pcap ? 1 : o->batch;
	d->sh.expire = !o->pcap; /* capture time is not wall-clock time */
	d->ws = calloc(n, sizeof(*d->ws));
	if (!d->ws) {
		pr_err("could not allocate %u workers: %s", n,
		       strerror(ENOMEM));
		return -ENOMEM;
	}
	for (; d->nw < n; d->nw++) {
		int rc = worker_init(&d->ws[d->nw], d->nw, &d->sh, &dcfg,
				     o->out.format, o->out.schema, d->pub);

		if (rc) {
			pr_err("could not set up worker %u: %s", d->nw,
			       strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* The XDP fast path, its AF_XDP sockets handed out round-robin. */
static int start_xdp(struct daemon *d)
{
	const struct options *o = d->o;
	struct xdp_path_config xc = {
		.ifaces = o->xdp_ifaces,
		.n_ifaces = o->n_xdp,
		.mode = o->xdp_mode,
		.zerocopy = o->xdp_zerocopy,
		.bpffs_dir = o->bpffs,
		.obj_path = o->xdp_obj,
		.frames = (uint32_t)o->xdp_frames,
		.busy_poll_us = o->xdp_busy_poll,
		.busy_poll_budget = o->xdp_busy_poll_budget,
		.coalesce_us = o->xdp_coalesce_us,
		.listen = o->listen,
		.n_listen = o->n_listen,
		.allow = d->allow,
	};
	struct rx **rx;
	size_t n_rx, k;
	/* What dropping privileges and the detach at exit need, checked
	 * before attaching: nothing may stay attached if they fail. */
	int rc = privs_check(o->user, true);

	if (!rc)
		rc = xdp_path_start(&d->xdp, &xc, &rx, &n_rx);
	if (rc)
		return rc;
	for (k = 0; k < n_rx; k++) {
		rc = worker_add_rx(&d->ws[k % d->nw], rx[k], NULL);
		if (rc) {
			pr_err("could not give AF_XDP socket %zu to worker %zu: too many sockets per worker (raise --workers)",
			       k, k % d->nw);
			break;
		}
	}
	for (; k < n_rx; k++)
		rx_close(rx[k]);
	free(rx);
	return rc;
}

int daemon_start(struct daemon *d, const struct options *o, const char *version)
{
	const bool live = !o->pcap;
	char err[512];
	int rc;

	*d = (struct daemon){ .o = o,
			      .sig = { .fd = -1 },
			      .sh = { .stop_fd = -1, .done_fd = -1 } };
	rc = open_events(d);
	if (!rc)
		rc = build_allow(o, &d->allow);
	if (!rc)
		rc = open_enricher(d);
	if (!rc)
		rc = open_publisher(d);
	if (!rc)
		rc = init_workers(d);
	if (!rc)
		rc = live ? listeners_open(o, d->ws)
			  : listeners_open_pcap(o, &d->ws[0]);
	if (!rc && live && o->n_xdp)
		rc = start_xdp(d);
	if (rc)
		return rc;
	if (o->templates_file)
		templates_load(o->templates_file, d->ws, d->nw);
	/* Before any thread of ours starts: capabilities are per thread. */
	rc = privs_drop(o->user, d->xdp != NULL);
	if (rc)
		return rc;

	d->src = (struct stats_source){ .workers = d->ws,
					.n_workers = d->nw,
					.pub = d->pub,
					.xdp = d->xdp,
					.enr = d->enr };
	if (o->metrics) {
		rc = metrics_http_start((const struct sockaddr *)&o
						->metrics_addr,
					o->metrics_addrlen, o->metrics_any,
					&d->src,
					o->health_kafka_timeout *
						CLOCK_NS_PER_SEC,
					&d->metrics, err, sizeof(err));
		if (rc) {
			pr_err("%s", err);
			return rc;
		}
	}

	d->running = true;
	for (; d->started < d->nw; d->started++) {
		rc = worker_start(&d->ws[d->started]);
		if (rc) {
			pr_err("could not start worker %u: %s", d->started,
			       strerror(-rc));
			d->failed = true;
			break;
		}
	}
	pr_info("xdpflowd %s running: %u worker%s, output %s %s (%s)", version,
		d->nw, d->nw == 1 ? "" : "s",
		o->out.output == OUT_KIND_KAFKA ? "kafka topic" : "file",
		o->out.output == OUT_KIND_KAFKA ? o->out.kafka_topic
						: o->out.file,
		o->out.format == OUT_FORMAT_PB ? "pb" : "json");
	return 0;
}

/* What the event loop's watches and timers get: the daemon, and the loop
 * they may stop. */
struct loop_ctx {
	struct daemon *d;
	struct run_loop *l;
};

static void on_signal(void *arg)
{
	struct loop_ctx *c = arg;
	bool stop = false;
	int s;

	while ((s = signals_next(&c->d->sig)) > 0) {
		if (s == SIGUSR1)
			stats_report_now(&c->d->src);
		else if (s == SIGHUP)
			daemon_reload(c->d);
		else
			stop = true;
	}
	if (stop) {
		pr_info("stopping");
		c->l->stop = true;
	}
}

void daemon_reload(struct daemon *d)
{
	struct allow_list *old = d->allow, *fresh;

	publisher_reopen(d->pub);
	if (d->o->allow_file) {
		if (build_allow(d->o, &fresh)) {
			pr_err("keeping the current allow-list (%zu prefixes)",
			       old->n);
		} else {
			atomic_store_explicit(&d->sh.allow, fresh,
					      memory_order_release);
			/* Grace period: a worker reads the list under its
			 * lock, so none uses the old one after this. */
			for (unsigned i = 0; i < d->nw; i++) {
				worker_lock(&d->ws[i]);
				worker_unlock(&d->ws[i]);
			}
			d->allow = fresh;
			free(old);
			if (d->xdp)
				xdp_path_set_allow(d->xdp, fresh);
			pr_info("allow-list reloaded from %s: %zu prefixes%s",
				d->o->allow_file, fresh->n,
				fresh->n ? "" : " (every exporter allowed)");
		}
	}
	if (d->enr) {
		struct enricher_stats st;
		char err[1024];

		if (enricher_reload(d->enr, err, sizeof(err)))
			pr_err("could not reload enrichment: %s (previous "
			       "tables kept)",
			       err);
		enricher_stats(d->enr, &st);
		pr_info("enrichment reloaded: generation %" PRIu64 ", %" PRIu64
			" failed loads so far",
			st.generation, st.reload_failures);
	}
}

/* Reloads the enrichment sources whose file changed, frees retired
 * tables. */
static void enrich_tick(void *arg)
{
	struct daemon *d = ((struct loop_ctx *)arg)->d;
	int rc = enricher_poll(d->enr);

	if (rc < 0)
		pr_err("could not reload enrichment: %s (previous tables "
		       "kept)",
		       enricher_last_error(d->enr));
	else if (rc > 0)
		pr_info("enrichment: %d source%s reloaded, generation %" PRIu64,
			rc, rc == 1 ? "" : "s",
			enrich_generation(enricher_context(d->enr)));
}

/* Workers end on their own only at the end of a capture or on a fatal
 * error: either way, the run is over. */
static void on_worker_done(void *arg)
{
	struct loop_ctx *c = arg;
	uint64_t n;

	if (read(c->d->sh.done_fd, &n, sizeof(n)) == sizeof(n) && n > 0)
		c->l->stop = true;
}

/* Live output: flush whatever was written since the last tick; a Kafka
 * output that failed for good ends the run with an error. */
static void flush_tick(void *arg)
{
	struct loop_ctx *c = arg;
	struct daemon *d = c->d;
	struct publish_stats ps;

	publisher_poll(d->pub);
	publisher_get_stats(d->pub, &ps);
	if (ps.fatal) {
		pr_err("stopping: the Kafka output failed for good (see above)");
		d->failed = true;
		c->l->stop = true;
		return;
	}
	if (ps.flows != d->flushed_flows) {
		publisher_flush(d->pub, 0);
		d->flushed_flows = ps.flows;
	}
}

static void templates_tick(void *arg)
{
	struct daemon *d = ((struct loop_ctx *)arg)->d;

	templates_save(d->o->templates_file, d->ws, d->nw, false,
		       &d->save_pending);
}

static void stats_tick(void *arg)
{
	stats_report_now(&((struct loop_ctx *)arg)->d->src);
}

int daemon_run(struct daemon *d)
{
	const struct options *o = d->o;
	struct run_timer timers[] = {
		{ "flush", FLUSH_MS * CLOCK_NS_PER_MS, flush_tick, 0 },
		{ "templates",
		  o->templates_file ? TEMPLATES_SAVE_MS * CLOCK_NS_PER_MS : 0,
		  templates_tick, 0 },
		{ "stats", o->stats_interval * CLOCK_NS_PER_SEC, stats_tick,
		  0 },
		{ "enrich", d->enr ? ENRICH_POLL_MS * CLOCK_NS_PER_MS : 0,
		  enrich_tick, 0 },
	};
	const struct run_watch watches[] = {
		{ d->sig.fd, on_signal },
		{ d->sh.done_fd, on_worker_done },
	};
	struct run_loop l = { timers,  sizeof(timers) / sizeof(timers[0]),
			      watches, sizeof(watches) / sizeof(watches[0]),
			      NULL,    false };
	struct loop_ctx c = { d, &l };
	int rc;

	if (!d->running || d->failed || d->started == 0)
		return 0;
	l.ctx = &c;
	rc = run_loop(&l);
	if (rc) {
		pr_err("could not wait for signals: %s", strerror(-rc));
		d->failed = true;
	}
	return rc;
}

/* Stops the workers, then the bounded final flush, save and report. */
static void finish_run(struct daemon *d)
{
	const struct options *o = d->o;
	struct publish_stats ps;
	uint64_t one = 1;
	int rc;

	atomic_store(&d->sh.stop, true);
	if (write(d->sh.stop_fd, &one, sizeof(one)) < 0)
		pr_warn("could not wake the workers: %s", strerror(errno));
	for (unsigned i = 0; i < d->nw; i++) {
		worker_join(&d->ws[i]);
		if (d->ws[i].err)
			d->failed = true;
	}
	/* Output lost at exit is a failure (exit status 1), not a warning:
	 * a service manager or a script converting a capture must see it. */
	rc = publisher_flush(d->pub, FINAL_FLUSH_MS);
	publisher_get_stats(d->pub, &ps);
	if (rc == -ETIMEDOUT) {
		pr_err("could not deliver all output within %d ms (%" PRIu64
		       " of %" PRIu64 " messages delivered)",
		       FINAL_FLUSH_MS, ps.delivered, ps.messages);
		d->failed = true;
	} else if (rc) {
		pr_err("could not deliver all output: %s", strerror(-rc));
		d->failed = true;
	} else if (o->pcap && ps.delivery_errors) {
		/* A capture is read once: what failed is not sent again. */
		pr_err("%" PRIu64 " of the capture's %" PRIu64
		       " output messages failed to deliver",
		       ps.delivery_errors, ps.messages);
		d->failed = true;
	}
	if (o->templates_file)
		templates_save(o->templates_file, d->ws, d->nw, true,
			       &d->save_pending);
	stats_report_now(&d->src);
}

int daemon_stop(struct daemon *d)
{
	bool ok = d->running && !d->failed;

	if (d->running)
		finish_run(d);
	ok = ok && !d->failed;
	metrics_http_stop(d->metrics);
	for (unsigned i = 0; i < d->nw; i++)
		worker_fini(&d->ws[i]);
	free(d->ws);
	free(d->allow);
	/* After the workers: they held reader slots. */
	enricher_close(d->enr);
	/* After the workers closed their AF_XDP sockets. */
	if (d->xdp)
		privs_regain();
	xdp_path_stop(d->xdp);
	publisher_close(d->pub);
	if (d->sh.done_fd >= 0)
		close(d->sh.done_fd);
	if (d->sh.stop_fd >= 0)
		close(d->sh.stop_fd);
	signals_close(&d->sig);
	*d = (struct daemon){ .sig = { .fd = -1 },
			      .sh = { .stop_fd = -1, .done_fd = -1 } };
	return ok ? 0 : -EIO;
}
