// SPDX-License-Identifier: Apache-2.0
/*
 * File publisher: encoded flows appended to a file, or to stdout for "-",
 * through a 256 KiB buffer shared by all workers. A mutex guards the
 * buffer; when it fills, the writer swaps it with a spare under the lock
 * and writes the full one outside it, while a second mutex keeps writes in
 * order, so other workers keep appending during the write() call. Flows
 * are never split: each publisher_write, and each run of flows from
 * publisher_write_run (one lock for the whole run), lands whole in one
 * buffer. Write
 * errors are counted and logged (rate-limited); EPIPE (the reader of a pipe
 * went away, e.g. `xdpflowd | head`) is caught without SIGPIPE killing the
 * process and turns the publisher off: later writes return -EPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "publish/publish_internal.h"

#define FILE_BUF_SIZE (256 * 1024)
_Static_assert(PUBLISH_MAX_RUN <= FILE_BUF_SIZE, "a run fits a buffer");
/* A non-blocking output that stays full this long is an error. */
#define FILE_STALL_MS 10000

struct file_pub {
	struct publisher base;
	pthread_mutex_t mu;  /* cur, used, cur_flows, flows, broken */
	pthread_mutex_t wmu; /* fd, spare, the counters below; write order */
	uint8_t *cur, *spare;
	size_t used, cur_flows;
	bool broken;
	int fd;
	bool is_stdout;
	bool pipe_like; /* pipe or socket: may raise SIGPIPE */
	uint64_t flows, writes, flows_out, errors;
	struct ratelimit rl;
	char path[256];
};

static struct file_pub *to_file(struct publisher *p)
{
	return (struct file_pub *)p;
}

/* Appends, as GoFlow2's file transport. A descriptor or -errno. */
static int open_path(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	return fd < 0 ? -errno : fd;
}

static bool fd_pipe_like(int fd)
{
	struct stat st;

	return !fstat(fd, &st) &&
	       (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/* write() with SIGPIPE held back for this thread only: a pending SIGPIPE
 * raised by this write is consumed, so the process-wide disposition (the
 * daemon's business) does not matter and EPIPE comes back as an error. */
static ssize_t write_nosigpipe(int fd, const void *b, size_t n)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t set, old, pending;
	bool was_pending;
	ssize_t r;
	int e;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE) == 1;
	r = write(fd, b, n);
	e = errno;
	if (r < 0 && e == EPIPE && !was_pending)
		sigtimedwait(&set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return r;
}

/* All n bytes, or -errno. Bounded: EAGAIN on a non-blocking descriptor
 * waits at most FILE_STALL_MS in total. Called with wmu held. */
static int write_all(struct file_pub *f, const uint8_t *b, size_t n)
{
	int waited_ms = 0;

	while (n) {
		ssize_t r = f->pipe_like ? write_nosigpipe(f->fd, b, n)
					 : write(f->fd, b, n);

		if (r > 0) {
			b += r;
			n -= (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    waited_ms < FILE_STALL_MS) {
			struct pollfd pfd = { .fd = f->fd, .events = POLLOUT };

			poll(&pfd, 1, 100);
			waited_ms += 100;
			continue;
		}
		return r < 0 ? -errno : -EIO;
	}
	return 0;
}

static void report_error(struct file_pub *f, int err, size_t nflows)
{
	uint32_t suppressed;

	f->errors++;
	if (ratelimit_ok(&f->rl, clock_mono_ns(), &suppressed))
		pr_err("could not write %zu flows to %s: %s%s", nflows, f->path,
		       strerror(-err),
		       suppressed ? " (more errors suppressed)" : "");
}

/* Writes the full buffer `buf` (n bytes, nflows flows). wmu held. */
static int write_out(struct file_pub *f, const uint8_t *buf, size_t n,
		     size_t nflows)
{
	int rc;

	if (!n)
		return 0;
	rc = write_all(f, buf, n);
	f->writes++;
	if (!rc) {
		f->flows_out += nflows;
		return 0;
	}
	report_error(f, rc, nflows);
	if (rc == -EPIPE) {
		pthread_mutex_lock(&f->mu);
		if (!f->broken)
			pr_warn("%s: reader went away, no more flows will be written",
				f->path);
		f->broken = true;
		pthread_mutex_unlock(&f->mu);
	}
	return rc;
}

/* Swaps the current buffer out and writes it; then queues msg (len bytes,
 * nflows flows; NULL: nothing) in the fresh one. Takes both locks. */
static int swap_and_write(struct file_pub *f, const uint8_t *msg, size_t len,
			  size_t msg_flows)
{
	uint8_t *full;
	size_t n, nflows;
	int rc;

	pthread_mutex_lock(&f->wmu);
	pthread_mutex_lock(&f->mu);
	if (msg && f->used + len <= FILE_BUF_SIZE) {
		/* Another writer made room meanwhile. */
		memcpy(f->cur + f->used, msg, len);
		f->used += len;
		f->cur_flows += msg_flows;
		pthread_mutex_unlock(&f->mu);
		pthread_mutex_unlock(&f->wmu);
		return 0;
	}
	full = f->cur;
	n = f->used;
	nflows = f->cur_flows;
	f->cur = f->spare;
	f->spare = full;
	f->used = 0;
	f->cur_flows = 0;
	if (msg) {
		memcpy(f->cur, msg, len);
		f->used = len;
		f->cur_flows = msg_flows;
	}
	pthread_mutex_unlock(&f->mu);
	rc = write_out(f, full, n, nflows);
	pthread_mutex_unlock(&f->wmu);
	return rc;
}

static int file_write_run(struct publisher *p, const uint8_t *msg, size_t len,
			  size_t nflows)
{
	struct file_pub *f = to_file(p);

	if (len > FILE_BUF_SIZE)
		return -EMSGSIZE;
	pthread_mutex_lock(&f->mu);
	f->flows += nflows;
	if (f->broken) {
		pthread_mutex_unlock(&f->mu);
		return -EPIPE;
	}
	if (f->used + len <= FILE_BUF_SIZE) {
		memcpy(f->cur + f->used, msg, len);
		f->used += len;
		f->cur_flows += nflows;
		pthread_mutex_unlock(&f->mu);
		return 0;
	}
	pthread_mutex_unlock(&f->mu);
	/* A failed write of the previous buffer is counted and logged there;
	 * these flows themselves were queued in the fresh buffer. */
	swap_and_write(f, msg, len, nflows);
	return 0;
}

static int file_write(struct publisher *p, const struct flow_addr *exporter,
		      const uint8_t *msg, size_t len)
{
	(void)exporter;
	return file_write_run(p, msg, len, 1);
}

static int file_flush(struct publisher *p, int timeout_ms)
{
	struct file_pub *f = to_file(p);
	bool broken;

	(void)timeout_ms; /* write() to a file has no useful timeout */
	pthread_mutex_lock(&f->mu);
	broken = f->broken;
	pthread_mutex_unlock(&f->mu);
	if (broken)
		return -EPIPE;
	return swap_and_write(f, NULL, 0, 0);
}

static void file_poll(struct publisher *p)
{
	(void)p;
}

static void file_get_stats(struct publisher *p, struct publish_stats *st)
{
	struct file_pub *f = to_file(p);

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&f->mu);
	st->flows = f->flows;
	pthread_mutex_unlock(&f->mu);
	pthread_mutex_lock(&f->wmu);
	st->messages = f->writes;
	st->delivered = f->flows_out;
	st->delivery_errors = f->errors;
	pthread_mutex_unlock(&f->wmu);
}

static int file_reopen(struct publisher *p)
{
	struct file_pub *f = to_file(p);
	int fd;

	if (f->is_stdout)
		return 0;
	swap_and_write(f, NULL, 0, 0);
	pthread_mutex_lock(&f->wmu);
	fd = open_path(f->path);
	if (fd >= 0) {
		close(f->fd);
		f->fd = fd;
		f->pipe_like = fd_pipe_like(fd);
	} else {
		pr_err("could not reopen %s: %s (still writing to the old file)",
		       f->path, strerror(-fd));
	}
	pthread_mutex_unlock(&f->wmu);
	return fd < 0 ? fd : 0;
}

static void file_close(struct publisher *p)
{
	struct file_pub *f = to_file(p);

	if (!f->broken)
		swap_and_write(f, NULL, 0, 0);
	if (!f->is_stdout)
		close(f->fd);
	pthread_mutex_destroy(&f->mu);
	pthread_mutex_destroy(&f->wmu);
	free(f->cur);
	free(f->spare);
	free(f);
}

static const struct publisher_ops file_ops = {
	.write = file_write,
	.write_run = file_write_run,
	.flush = file_flush,
	.poll = file_poll,
	.get_stats = file_get_stats,
	.reopen = file_reopen,
	.close = file_close,
};

struct publisher *publish_file_open(const struct publish_config *cfg, char *err,
				    size_t errlen)
{
	const char *path = cfg->file_path && *cfg->file_path ? cfg->file_path
							     : "-";
	struct file_pub *f;

	if (strlen(path) >= sizeof(f->path)) {
		snprintf(err, errlen, "output path too long: %.40s...", path);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->cur = malloc(FILE_BUF_SIZE)) ||
	    !(f->spare = malloc(FILE_BUF_SIZE))) {
		snprintf(err, errlen,
			 "could not allocate the output buffer for %s", path);
		goto err_free;
	}
	snprintf(f->path, sizeof(f->path), "%s",
		 strcmp(path, "-") ? path : "stdout");
	if (!strcmp(path, "-")) {
		f->fd = STDOUT_FILENO;
		f->is_stdout = true;
	} else {
		f->fd = open_path(path);
		if (f->fd < 0) {
			snprintf(err, errlen, "could not open %s: %s", path,
				 strerror(-f->fd));
			goto err_free;
		}
	}
	f->pipe_like = fd_pipe_like(f->fd);
	pthread_mutex_init(&f->mu, NULL);
	pthread_mutex_init(&f->wmu, NULL);
	f->base.ops = &file_ops;
	return &f->base;

err_free:
	if (f) {
		free(f->cur);
		free(f->spare);
	}
	free(f);
	return NULL;
}
