// SPDX-License-Identifier: Apache-2.0
/* The receive worker thread: poll, drain in batches, filter, decode, and
 * coalesce wakeups where the sources ask for it (worker.h). */
#include "daemon/worker.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"

#define ROUNDS_PER_LOCK 8 /* batches per source before locks are let go */
#define POLL_MS 1000	  /* wake at least this often to expire held sets */

int worker_init(struct worker *w, unsigned id, const struct worker_shared *sh,
		const struct decode_config *dcfg, enum out_format format,
		enum out_schema schema, struct publisher *pub)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->sh = sh;
	atomic_init(&w->waiters, 0);
	atomic_init(&w->not_allowed, 0);
	atomic_init(&w->alive_ns, 0);
	atomic_init(&w->finished, false);
	w->dgs = calloc(sh->batch ? sh->batch : 1, sizeof(*w->dgs));
	if (!w->dgs)
		return -ENOMEM;
	w->dec = decode_ctx_new(dcfg);
	if (!w->dec) {
		free(w->dgs);
		w->dgs = NULL;
		return -ENOMEM;
	}
	if (sh->enr) {
		w->enr_slot = enricher_reader_add(sh->enr);
		if (w->enr_slot < 0) {
			decode_ctx_free(w->dec);
			w->dec = NULL;
			free(w->dgs);
			w->dgs = NULL;
			return w->enr_slot;
		}
	}
	pthread_mutex_init(&w->lock, NULL);
	pipeline_init(&w->pipe, format, schema, pub);
	pipeline_set_enricher(&w->pipe, sh->enr);
	return 0;
}

int worker_add_rx(struct worker *w, struct rx *rx, const char *name)
{
	if (w->n_rx >= WORKER_MAX_RX)
		return -E2BIG;
	snprintf(w->rx_name[w->n_rx], sizeof(w->rx_name[0]), "%s",
		 name ? name : "");
	w->rx[w->n_rx++] = rx;
	return 0;
}

/* Syncs each source's kernel counters; logs when a socket starts dropping
 * (the first drops, or the first after WORKER_DROP_QUIET_NS without). */
static void check_drops(struct worker *w, uint64_t now)
{
	for (size_t i = 0; i < w->n_rx; i++) {
		struct rx_stats st;
		uint64_t last = w->rx_drop_last_ns[i];

		rx_sync(w->rx[i]);
		rx_get_stats(w->rx[i], &st);
		if (st.drops == w->rx_drops_seen[i])
			continue;
		if (last == 0 || now - last >= WORKER_DROP_QUIET_NS)
			pr_warn("%s: the kernel dropped %" PRIu64
				" datagrams on worker %u's socket (receive buffer full: raise --rcvbuf or --workers)",
				w->rx_name[i][0] ? w->rx_name[i] : "input",
				st.drops - w->rx_drops_seen[i], w->id);
		w->rx_drops_seen[i] = st.drops;
		w->rx_drop_last_ns[i] = now;
	}
}

void worker_lock(struct worker *w)
{
	atomic_fetch_add(&w->waiters, 1);
	pthread_mutex_lock(&w->lock);
	atomic_fetch_sub(&w->waiters, 1);
}

void worker_unlock(struct worker *w)
{
	pthread_mutex_unlock(&w->lock);
}

static void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* One batch from one source; returns what rx_recv returned. */
static int drain_one(struct worker *w, struct rx *rx)
{
	const struct allow_list *allow =
		atomic_load_explicit(&w->sh->allow, memory_order_acquire);
	uint64_t refused = 0;
	int n = rx_recv(rx, w->dgs, w->sh->batch);

	/* One set of enrichment tables for the whole batch: a reload waits
	 * at most one batch for this worker. */
	if (n > 0 && w->sh->enr)
		w->pipe.tables = enricher_begin(w->sh->enr, w->enr_slot);
	for (int i = 0; i < n; i++) {
		if (!allow_list_match(allow, &w->dgs[i].exporter)) {
			refused++;
			continue;
		}
		decode_datagram(w->dec, &w->dgs[i], &w->pipe.sink);
	}
	/* The batch's flows to the publisher at once (a run). */
	pipeline_flush(&w->pipe);
	if (w->pipe.tables) {
		enricher_end(w->sh->enr, w->enr_slot);
		w->pipe.tables = NULL;
	}
	if (n > 0)
		rx_release(rx, w->dgs, (size_t)n);
	if (refused)
		count(&w->not_allowed, refused);
	return n;
}

/* The wait after a turn whose last batch from source i had n datagrams
 * (rx_coalesce_wait), the shortest that a source asks for; records when
 * source i's batch was taken. */
static uint64_t coalesce_after(struct worker *w, size_t i, int n, uint64_t now,
			       uint64_t wait)
{
	struct rx *rx = w->rx[i];
	uint64_t since, t;

	if (!rx->coalesce_ns || n <= 0)
		return wait;
	since = w->rx_batch_ns[i] ? now - w->rx_batch_ns[i] : 0;
	w->rx_batch_ns[i] = now;
	t = rx_coalesce_wait(rx, (size_t)n, w->sh->batch, since);
	return t && (!wait || t < wait) ? t : wait;
}

/* Sleeps ns (a signal cuts it short: harmless, the loop polls next). */
static void coalesce_sleep(uint64_t ns)
{
	struct timespec ts = clock_ns_ts(ns);

	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

/* Whether, after a coalescing wait, every source still open may be read
 * without polling first (rx read_after_wait). A turn that then finds
 * nothing asks for no wait, so the next one polls. */
static bool read_direct(const struct worker *w, const bool *ended)
{
	for (size_t i = 0; i < w->n_rx; i++)
		if (!ended[i] && !w->rx[i]->read_after_wait)
			return false;
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct worker_shared *sh = w->sh;
	struct pollfd pfd[1 + WORKER_MAX_RX];
	bool ready[WORKER_MAX_RX], ended[WORKER_MAX_RX] = { false };
	size_t n_ended = 0, n_poll = 1;
	uint64_t last_expire = clock_mono_ns(), last_check = last_expire;
	uint64_t wait_ns = 0; /* wakeup coalescing before the next poll */
	const uint64_t wait_max = rx_coalesce_bound(w->rx, w->n_rx);
	bool offline = false;

	pfd[0] = (struct pollfd){ .fd = sh->stop_fd, .events = POLLIN };
	for (size_t i = 0; i < w->n_rx; i++) {
		if (rx_fd(w->rx[i]) < 0)
			offline = true;
		pfd[n_poll++] = (struct pollfd){ .fd = rx_fd(w->rx[i]),
						 .events = POLLIN };
	}

	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed) &&
	       n_ended < w->n_rx) {
		atomic_store_explicit(&w->alive_ns, clock_mono_ns(),
				      memory_order_relaxed);
		/* Offline sources are always ready: no waiting, the stop flag
		 * is checked on every turn instead. */
		int rc;
		bool direct = false;

		if (wait_ns) {
			coalesce_sleep(wait_ns);
			direct = read_direct(w, ended);
		}
		rc = offline || direct ? 0 : poll(pfd, n_poll, POLL_MS);

		if (rc < 0 && errno != EINTR) {
			w->err = -errno;
			pr_err("worker %u could not poll its sockets: %s",
			       w->id, strerror(errno));
			break;
		}
		if (rc > 0 && pfd[0].revents)
			break;
		for (size_t i = 0; i < w->n_rx; i++)
			ready[i] = !ended[i] &&
				   (rx_fd(w->rx[i]) < 0 || direct ||
				    (pfd[i + 1].revents & POLLIN));

		worker_lock(w);
		wait_ns = 0;
		for (int round = 0; round < (offline ? 8 : 1) * ROUNDS_PER_LOCK;
		     round++) {
			bool more = false;
			uint64_t now = clock_mono_ns();

			wait_ns = 0;
			for (size_t i = 0; i < w->n_rx; i++) {
				int n;

				if (!ready[i])
					continue;
				n = drain_one(w, w->rx[i]);
				if (n == -ENODATA) {
					ended[i] = true;
					n_ended++;
				}
				/* A full batch means more may be queued. */
				ready[i] = n > 0 && (rx_fd(w->rx[i]) < 0 ||
						     (size_t)n == sh->batch);
				more |= ready[i];
				wait_ns = coalesce_after(w, i, n, now, wait_ns);
			}
			/* Still draining: no waiting before the next poll. */
			if (more)
				wait_ns = 0;
			else
				break;
		}
		if (wait_ns > wait_max)
			wait_ns = wait_max;
		if (sh->expire &&
		    clock_mono_ns() - last_expire >= POLL_MS * 1000000ULL) {
			decode_expire(w->dec, clock_realtime_ns());
			pipeline_flush(&w->pipe);
			last_expire = clock_mono_ns();
		}
		worker_unlock(w);
		if (!offline &&
		    clock_mono_ns() - last_check >= POLL_MS * 1000000ULL) {
			last_check = clock_mono_ns();
			check_drops(w, last_check);
		}
		/* Let a saver or stats reader in before taking the lock again. */
		for (int i = 0; i < 1000 && atomic_load(&w->waiters); i++)
			sched_yield();
	}
	/* Sets still waiting for their template are lost now: counted. The
	 * sources' kernel counters are brought up to date for the last
	 * report. */
	worker_lock(w);
	decode_drop_held(w->dec);
	pipeline_flush(&w->pipe);
	for (size_t i = 0; i < w->n_rx; i++)
		rx_sync(w->rx[i]);
	worker_unlock(w);
	atomic_store(&w->finished, true);
	if (sh->done_fd >= 0) {
		uint64_t one = 1;

		if (write(sh->done_fd, &one, sizeof(one)) < 0)
			pr_debug("worker %u: could not signal its end: %s",
				 w->id, strerror(errno));
	}
	return NULL;
}

int worker_start(struct worker *w)
{
	int rc = pthread_create(&w->thread, NULL, worker_main, w);

	if (rc)
		return -rc;
	w->started = true;
	return 0;
}

void worker_join(struct worker *w)
{
	if (!w->started)
		return;
	pthread_join(w->thread, NULL);
	w->started = false;
}

void worker_fini(struct worker *w)
{
	if (!w->dec)
		return;
	worker_join(w);
	for (size_t i = 0; i < w->n_rx; i++)
		rx_close(w->rx[i]);
	w->n_rx = 0;
	decode_ctx_free(w->dec);
	w->dec = NULL;
	free(w->dgs);
	w->dgs = NULL;
	pthread_mutex_destroy(&w->lock);
}
