// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflowd: receives NetFlow v5/v9, IPFIX and sFlow v5 on UDP sockets (or
 * reads them from a capture), decodes them in worker threads and publishes
 * GoFlow2-compatible FlowMessages to a file or Kafka. Reads top to bottom:
 * parse options, block signals (handled through a signalfd, never in a
 * handler), open the publisher, set up workers with their sockets, load
 * templates, start metrics and workers, loop on signals and timers until
 * told to stop (or the capture ends), then flush, save, report, clean up.
 * SIGUSR1 prints the stats report, SIGHUP reopens the output file.
 * Exit status: 0 ok, 1 runtime failure, 2 bad command line.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/metrics_http.h"
#include "daemon/options.h"
#include "daemon/privs.h"
#include "daemon/stats_report.h"
#include "daemon/worker.h"
#include "daemon/xdp_path.h"
#include "decode/decode.h"
#include "publish/publish.h"
#include "rx/rx_pcap.h"
#include "rx/rx_socket.h"

#define TICK_MS 200		     /* output flush cadence */
#define TEMPLATES_SAVE_MS 5000	     /* at most this often */
#define FINAL_FLUSH_MS 5000	     /* bounded wait for output at exit */

/* Workers to run: the largest ?count= (or --workers) over the listeners. */
static unsigned workers_needed(const struct options *o)
{
	unsigned n = 1;

	if (o->pcap)
		return 1;
	for (size_t i = 0; i < o->n_listen; i++) {
		unsigned c = o->listen[i].count ? o->listen[i].count : o->workers;

		if (c > n)
			n = c;
	}
	return n;
}

/* Opens each listener's sockets, socket k going to worker k. */
static int open_sockets(const struct options *o, struct worker *ws)
{
	char name[128], err[256];
	bool warned = false;

	for (size_t l = 0; l < o->n_listen; l++) {
		const struct listen_uri *u = &o->listen[l];
		unsigned cnt = u->count ? u->count : o->workers;
		struct rx_socket_info info = { 0 };
		struct rx_socket_config cfg = {
			.addr = (const struct sockaddr *)&u->addr,
			.addrlen = u->addrlen,
			.dual_stack = u->any,
			.hint = u->hint,
			.rcvbuf = (int)o->rcvbuf,
			.batch = o->batch,
			.name = listen_uri_str(u, name, sizeof(name)),
		};

		for (unsigned k = 0; k < cnt; k++) {
			struct rx *rx;
			int rc;

			cfg.exclusive = k == 0;
			rc = rx_socket_open(&cfg, &rx, &info, err, sizeof(err));

			if (rc) {
				pr_err("%s", err);
				return rc;
			}
			rc = worker_add_rx(&ws[k], rx);
			if (rc) {
				rx_close(rx);
				pr_err("could not add %s to worker %u: too many listeners",
				       name, k);
				return rc;
			}
		}
		if (o->rcvbuf && !info.forced && !warned) {
			pr_warn("could not force the receive buffer of %s to %lu bytes: not permitted; using SO_RCVBUF (kernel gives %d, see net.core.rmem_max)",
				name, o->rcvbuf, info.rcvbuf);
			warned = true;
		}
		pr_info("listening on %s (%u socket%s, receive buffer %d bytes)",
			name, cnt, cnt == 1 ? "" : "s", info.rcvbuf);
	}
	return 0;
}

/* Capture input: every listener's port, with its decode hint. */
static int open_pcap(const struct options *o, struct worker *w)
{
	struct rx_pcap_port ports[OPT_MAX_LISTEN];
	char err[512];
	struct rx *rx;
	int rc;

	for (size_t i = 0; i < o->n_listen; i++) {
		ports[i].port = o->listen[i].port;
		ports[i].hint = o->listen[i].hint;
	}
	rc = rx_pcap_open(o->pcap, ports, o->n_listen, &rx, err, sizeof(err));
	if (rc) {
		pr_err("%s", err);
		return rc;
	}
	worker_add_rx(w, rx);
	pr_info("reading capture %s", o->pcap);
	return 0;
}

static void templates_load(const struct options *o, struct worker *ws,
			   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = decode_templates_load(ws[i].dec, o->templates_file);

		if (rc) {
			pr_warn("could not load templates from %s: %s; starting without them",
				o->templates_file,
				rc == -EINVAL ? "file is corrupt" : strerror(-rc));
			return;
		}
	}
}

/* Saves the templates of every worker when one of them learnt something
 * (or always when force), locking all workers for the write. *pending keeps
 * a failed save due for the next call. */
static void templates_save(const struct options *o, struct worker *ws,
			   size_t n, bool force, bool *pending)
{
	struct decode_ctx *ctxs[LISTEN_MAX_COUNT];
	bool dirty = force || *pending;
	int rc;

	for (size_t i = 0; i < n; i++) {
		worker_lock(&ws[i]);
		dirty |= decode_templates_dirty(ws[i].dec);
		worker_unlock(&ws[i]);
	}
	if (!dirty)
		return;
	for (size_t i = 0; i < n; i++) {
		worker_lock(&ws[i]);
		ctxs[i] = ws[i].dec;
	}
	rc = decode_templates_save(ctxs, n, o->templates_file);
	for (size_t i = n; i-- > 0;)
		worker_unlock(&ws[i]);
	*pending = rc != 0;
	if (rc)
		pr_warn("could not save templates to %s: %s", o->templates_file,
			strerror(-rc));
	else
		pr_debug("templates saved to %s", o->templates_file);
}

static void report(const struct stats_source *src)
{
	struct stats_snapshot s;

	if (stats_snapshot_take(src, &s)) {
		pr_warn("could not take the stats: %s", strerror(ENOMEM));
		return;
	}
	stats_report_log(&s);
	stats_snapshot_free(&s);
}

int main(int argc, char **argv)
{
	struct options *o = NULL;
	struct publisher *pub = NULL;
	struct worker *ws = NULL;
	struct worker_shared sh = { .stop_fd = -1, .done_fd = -1 };
	struct metrics_http *metrics = NULL;
	struct xdp_path *xdp = NULL;
	struct stats_source src = { 0 };
	struct publish_config pcfg = { 0 };
	struct decode_config dcfg;
	sigset_t sigs;
	char err[512];
	unsigned nw = 0, started = 0, done = 0;
	uint64_t last_save, last_stats, last_flows = 0;
	bool save_pending = false, failed = false;
	int sigfd = -1, rc, exit_code = 1;

	o = calloc(1, sizeof(*o));
	if (!o) {
		pr_err("could not start: %s", strerror(ENOMEM));
		return 1;
	}
	rc = options_parse(o, argc, argv, err, sizeof(err));
	if (rc < 0) {
		pr_err("%s", err);
		exit_code = 2;
		goto out_options;
	}
	if (rc == OPTIONS_HELP) {
		options_usage(stdout, "xdpflowd");
		exit_code = 0;
		goto out_options;
	}
	if (rc == OPTIONS_VERSION) {
		printf("xdpflowd %s\n", XDPFLOW_VERSION);
		exit_code = 0;
		goto out_options;
	}
	log_set_level(o->log_level);

	/* A closed pipe (stderr piped into `head`, a metrics client gone) is an
	 * EPIPE to handle, never a reason to die with XDP left attached. */
	signal(SIGPIPE, SIG_IGN);
	/* Every thread inherits the mask; signals arrive on the signalfd. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	sh.stop_fd = eventfd(0, EFD_CLOEXEC);
	sh.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sigfd < 0 || sh.stop_fd < 0 || sh.done_fd < 0) {
		pr_err("could not create the signal and event fds: %s",
		       strerror(errno));
		goto out_fds;
	}

	output_opts_publish_config(&o->out, &pcfg);
	pub = publisher_open(&pcfg, err, sizeof(err));
	if (!pub) {
		pr_err("%s", err);
		goto out_fds;
	}

	decode_config_defaults(&dcfg);
	dcfg.max_templates = o->max_templates;
	atomic_init(&sh.stop, false);
	sh.allow = &o->allow;
	sh.batch = o->pcap ? 1 : o->batch;
	sh.expire = !o->pcap; /* capture time is not wall-clock time */
	nw = workers_needed(o);
	ws = calloc(nw, sizeof(*ws));
	if (!ws) {
		pr_err("could not allocate %u workers: %s", nw, strerror(ENOMEM));
		goto out_publisher;
	}
	for (unsigned i = 0; i < nw; i++) {
		rc = worker_init(&ws[i], i, &sh, &dcfg, o->out.format,
				 o->out.schema, pub);
		if (rc) {
			pr_err("could not set up worker %u: %s", i, strerror(-rc));
			nw = i;
			goto out_workers;
		}
	}
	rc = o->pcap ? open_pcap(o, &ws[0]) : open_sockets(o, ws);
	if (rc)
		goto out_workers;
	if (!o->pcap && o->n_xdp) {
		struct xdp_path_config xc = {
			.ifaces = o->xdp_ifaces, .n_ifaces = o->n_xdp,
			.mode = o->xdp_mode, .zerocopy = o->xdp_zerocopy,
			.bpffs_dir = o->bpffs, .obj_path = o->xdp_obj,
			.frames = (uint32_t)o->xdp_frames, .listen = o->listen,
			.n_listen = o->n_listen, .allow = &o->allow,
		};

		rc = xdp_path_start(&xdp, &xc, ws, nw);
		if (rc)
			goto out_workers;
	}
	if (o->templates_file)
		templates_load(o, ws, nw);
	/* Before any thread of ours starts: capabilities are per thread. */
	rc = privs_drop(o->user, xdp != NULL);
	if (rc)
		goto out_workers;

	src = (struct stats_source){ .workers = ws, .n_workers = nw, .pub = pub,
				     .xdp = xdp };
	if (o->metrics) {
		rc = metrics_http_start((const struct sockaddr *)&o->metrics_addr,
					o->metrics_addrlen, o->metrics_any, &src,
					&metrics, err, sizeof(err));
		if (rc) {
			pr_err("%s", err);
			goto out_workers;
		}
	}

	for (started = 0; started < nw; started++) {
		rc = worker_start(&ws[started]);
		if (rc) {
			pr_err("could not start worker %u: %s", started,
			       strerror(-rc));
			failed = true;
			break;
		}
	}
	pr_info("xdpflowd %s running: %u worker%s, output %s %s (%s)",
		XDPFLOW_VERSION, nw, nw == 1 ? "" : "s",
		o->out.output == OUT_KIND_KAFKA ? "kafka topic" : "file",
		o->out.output == OUT_KIND_KAFKA ? o->out.kafka_topic : o->out.file,
		o->out.format == OUT_FORMAT_PB ? "pb" : "json");

	last_save = last_stats = log_now_ns();
	/* Workers end on their own only at the end of a capture or on a
	 * fatal error: either way, the run is over. */
	while (!failed && started > 0 && done == 0) {
		struct pollfd pfd[2] = { { .fd = sigfd, .events = POLLIN },
					 { .fd = sh.done_fd, .events = POLLIN } };
		struct publish_stats ps;
		uint64_t now;

		if (poll(pfd, 2, TICK_MS) < 0 && errno != EINTR) {
			pr_err("could not wait for signals: %s", strerror(errno));
			failed = true;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			bool stop = false;

			while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGUSR1)
					report(&src);
				else if (si.ssi_signo == SIGHUP)
					publisher_reopen(pub);
				else
					stop = true;
			}
			if (stop) {
				pr_info("stopping");
				break;
			}
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t n;

			if (read(sh.done_fd, &n, sizeof(n)) == sizeof(n))
				done += (unsigned)n;
		}

		/* Live output: flush whatever was written since last tick. */
		publisher_poll(pub);
		publisher_get_stats(pub, &ps);
		if (ps.fatal) {
			pr_err("stopping: the Kafka output failed for good (see above)");
			failed = true;
			break;
		}
		if (ps.flows != last_flows) {
			publisher_flush(pub, 0);
			last_flows = ps.flows;
		}
		now = log_now_ns();
		if (o->templates_file &&
		    now - last_save >= TEMPLATES_SAVE_MS * 1000000ULL) {
			templates_save(o, ws, nw, false, &save_pending);
			last_save = now;
		}
		if (o->stats_interval &&
		    now - last_stats >= o->stats_interval * 1000000000ULL) {
			report(&src);
			last_stats = now;
		}
	}

	atomic_store(&sh.stop, true);
	{
		uint64_t one = 1;

		if (write(sh.stop_fd, &one, sizeof(one)) < 0)
			pr_warn("could not wake the workers: %s", strerror(errno));
	}
	for (unsigned i = 0; i < nw; i++) {
		worker_join(&ws[i]);
		if (ws[i].err)
			failed = true;
	}
	rc = publisher_flush(pub, FINAL_FLUSH_MS);
	if (rc)
		pr_warn("could not deliver all output within %d ms: %s",
			FINAL_FLUSH_MS, strerror(-rc));
	if (o->templates_file)
		templates_save(o, ws, nw, true, &save_pending);
	report(&src);
	exit_code = failed ? 1 : 0;

	metrics_http_stop(metrics);
out_workers:
	for (unsigned i = 0; i < nw; i++)
		worker_fini(&ws[i]);
	free(ws);
	/* After the workers closed their AF_XDP sockets. */
	if (xdp)
		privs_regain();
	xdp_path_stop(xdp);
out_publisher:
	publisher_close(pub);
out_fds:
	if (sh.done_fd >= 0)
		close(sh.done_fd);
	if (sh.stop_fd >= 0)
		close(sh.stop_fd);
	if (sigfd >= 0)
		close(sigfd);
out_options:
	free(o);
	return exit_code;
}
