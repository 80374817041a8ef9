// SPDX-License-Identifier: Apache-2.0
/*
 * publish_file: flows written by several threads arrive whole and, per
 * thread, in order; nothing reaches the file before a flush or a full
 * buffer; a reader that goes away (EPIPE on stdout) stops the publisher
 * cleanly instead of killing the process with SIGPIPE; open errors are one
 * line; reopen (log rotation) switches files without losing flows. Runs
 * (publisher_write_run: several flows under one lock) keep the same
 * guarantees, mixed with single writes.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "publish/publish.h"

#define THREADS 4
#define LINES_PER_THREAD 3000

struct worker {
	struct publisher *p;
	unsigned id;
	bool runs; /* write runs of 1..40 lines, and some single lines */
};

/* "<thread> <seq> <len> <fill>\n" where fill repeats one letter, so a
 * torn or interleaved line is detectable. Lengths vary up to ~2 KB. */
static size_t make_line(char *buf, unsigned id, unsigned seq)
{
	unsigned fill = (seq * 2654435761u >> 20) % 2000 + 1;
	int n = sprintf(buf, "%u %u %u ", id, seq, fill);

	memset(buf + n, 'a' + (int)((id + seq) % 26), fill);
	buf[n + (int)fill] = '\n';
	return (size_t)n + fill + 1;
}

/* Lines seq.. as runs of varied length, each within PUBLISH_MAX_RUN. */
static void *worker_runs(struct worker *w)
{
	static _Thread_local uint8_t run[PUBLISH_MAX_RUN];

	for (unsigned s = 0; s < LINES_PER_THREAD;) {
		unsigned want = (s * 7 + w->id) % 40 + 1, n = 0;
		size_t len = 0;

		if (s % 13 == 0) { /* a single write between runs */
			char line[2100];
			size_t k = make_line(line, w->id, s++);

			if (publisher_write(w->p, NULL, (uint8_t *)line, k))
				return (void *)1;
			continue;
		}
		while (n < want && s < LINES_PER_THREAD &&
		       len + 2100 <= sizeof(run)) {
			len += make_line((char *)run + len, w->id, s++);
			n++;
		}
		if (publisher_write_run(w->p, run, len, n))
			return (void *)1;
	}
	return NULL;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char line[2100];

	if (w->runs)
		return worker_runs(w);
	for (unsigned s = 0; s < LINES_PER_THREAD; s++) {
		size_t n = make_line(line, w->id, s);

		if (publisher_write(w->p, NULL, (uint8_t *)line, n))
			return (void *)1;
	}
	return NULL;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return b;
}

static struct publisher *open_file(const char *path)
{
	struct publish_config cfg = { .kind = OUT_KIND_FILE,
				      .format = OUT_FORMAT_JSON,
				      .file_path = path };
	char err[256] = "";
	struct publisher *p = publisher_open(&cfg, err, sizeof(err));

	if (!p)
		print_error("open %s: %s\n", path, err);
	assert_non_null(p);
	return p;
}

static void threads_whole_lines(bool runs)
{
	char path[] = "/tmp/xdpflow-test-pubfile-XXXXXX";
	struct worker w[THREADS];
	pthread_t t[THREADS];
	unsigned next[THREADS] = { 0 };
	struct publish_stats st;
	struct publisher *p;
	size_t len, lines = 0;
	char *data, *line, *save = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	p = open_file(path);
	assert_true(publisher_takes_runs(p));
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ p, i, runs };
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]),
				 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		void *rv;

		pthread_join(t[i], &rv);
		assert_null(rv);
	}
	assert_int_equal(publisher_flush(p, 1000), 0);
	publisher_get_stats(p, &st);
	assert_int_equal(st.flows, THREADS * LINES_PER_THREAD);
	assert_int_equal(st.delivered, THREADS * LINES_PER_THREAD);
	assert_int_equal(st.delivery_errors, 0);
	assert_true(st.messages > 10); /* ~12 MB through a 256 KiB buffer */
	publisher_close(p);

	data = slurp(path, &len);
	assert_int_equal(data[len - 1], '\n');
	for (line = strtok_r(data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned id, seq, fill;
		char want[2100];
		size_t n;

		assert_int_equal(sscanf(line, "%u %u %u ", &id, &seq, &fill),
				 3);
		assert_true(id < THREADS);
		assert_int_equal(seq, next[id]); /* per thread, in order */
		next[id]++;
		n = make_line(want, id, seq);
		assert_int_equal(strlen(line) + 1, n);
		assert_memory_equal(line, want, n - 1);
		lines++;
	}
	assert_int_equal(lines, THREADS * LINES_PER_THREAD);
	free(data);
	unlink(path);
}

static void test_threads_whole_lines(void **state)
{
	(void)state;
	threads_whole_lines(false);
}

static void test_threads_whole_runs(void **state)
{
	(void)state;
	threads_whole_lines(true);
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void test_buffered_until_flush(void **state)
{
	char path[] = "/tmp/xdpflow-test-pubfile-XXXXXX";
	static const char msg[] = "{\"type\":\"SFLOW_5\"}\n";
	struct publisher *p;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	p = open_file(path);
	assert_int_equal(publisher_write(p, NULL, (const uint8_t *)msg,
					 sizeof(msg) - 1),
			 0);
	assert_int_equal(file_size(path), 0);
	assert_int_equal(publisher_flush(p, 0), 0);
	assert_int_equal(file_size(path), sizeof(msg) - 1);
	assert_int_equal(publisher_flush(p, 0), 0); /* nothing new: no-op */
	assert_int_equal(file_size(path), sizeof(msg) - 1);
	/* Appends, like GoFlow2: a second publisher adds to the file. */
	assert_int_equal(publisher_write(p, NULL, (const uint8_t *)msg,
					 sizeof(msg) - 1),
			 0);
	publisher_close(p); /* close flushes */
	assert_int_equal(file_size(path), 2 * (sizeof(msg) - 1));
	p = open_file(path);
	assert_int_equal(publisher_write(p, NULL, (const uint8_t *)msg,
					 sizeof(msg) - 1),
			 0);
	publisher_close(p);
	assert_int_equal(file_size(path), 3 * (sizeof(msg) - 1));
	unlink(path);
}

/* stdout is a pipe whose reader has gone: the publisher reports -EPIPE,
 * counts it and stops; SIGPIPE (default action: terminate) must not hit. */
static void test_epipe_stdout(void **state)
{
	static uint8_t msg[1000];
	struct publish_stats st;
	struct publisher *p;
	int pfd[2], saved;

	(void)state;
	memset(msg, 'x', sizeof(msg));
	msg[sizeof(msg) - 1] = '\n';
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(pipe(pfd), 0);
	assert_true(dup2(pfd[1], STDOUT_FILENO) >= 0);
	close(pfd[1]);
	close(pfd[0]); /* the reader goes away */
	p = open_file("-");
	assert_int_equal(publisher_write(p, NULL, msg, sizeof(msg)), 0);
	assert_int_equal(publisher_flush(p, 100), -EPIPE);
	assert_int_equal(publisher_write(p, NULL, msg, sizeof(msg)), -EPIPE);
	assert_int_equal(publisher_write_run(p, msg, sizeof(msg), 3), -EPIPE);
	assert_int_equal(publisher_flush(p, 100), -EPIPE);
	publisher_get_stats(p, &st);
	assert_int_equal(st.flows, 5);
	assert_int_equal(st.delivered, 0);
	assert_true(st.delivery_errors >= 1);
	publisher_close(p);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	{
		sigset_t pending;

		sigpending(&pending);
		assert_false(sigismember(&pending, SIGPIPE));
	}
}

/* A full buffer goes out without a flush, and oversized input is refused. */
static void test_full_buffer_and_limits(void **state)
{
	char path[] = "/tmp/xdpflow-test-pubfile-XXXXXX";
	static uint8_t big[300 * 1024];
	struct publisher *p;
	int fd = mkstemp(path);
	size_t total = 0;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	memset(big, 'y', sizeof(big));
	p = open_file(path);
	assert_int_equal(publisher_write(p, NULL, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(publisher_write_run(p, big, PUBLISH_MAX_RUN + 1, 2),
			 -EMSGSIZE);
	while (total <= 256 * 1024) {
		assert_int_equal(publisher_write(p, NULL, big, ENCODE_MAX_LEN),
				 0);
		total += ENCODE_MAX_LEN;
	}
	/* The write that did not fit pushed the full buffer out. */
	assert_int_equal(file_size(path), (off_t)(total - ENCODE_MAX_LEN));
	publisher_close(p);
	assert_int_equal(file_size(path), (off_t)total);
	unlink(path);
}

static void test_open_errors(void **state)
{
	struct publish_config cfg = { .kind = OUT_KIND_FILE,
				      .format = OUT_FORMAT_PB,
				      .file_path =
					      "/nonexistent-dir/flows.bin" };
	char err[256] = "";

	(void)state;
	assert_null(publisher_open(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir/flows.bin"));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_null(strchr(err, '\n'));
	cfg.format = (enum out_format)7;
	assert_null(publisher_open(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "format"));
	publisher_close(NULL); /* NULL-safe */
}

static void test_reopen(void **state)
{
	char path[] = "/tmp/xdpflow-test-pubfile-XXXXXX";
	char rotated[64];
	static const char a[] = "first\n", b[] = "second\n";
	struct publisher *p;
	size_t len;
	char *data;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	p = open_file(path);
	assert_int_equal(publisher_write(p, NULL, (const uint8_t *)a, 6), 0);
	assert_int_equal(rename(path, rotated), 0);
	assert_int_equal(publisher_reopen(p),
			 0); /* writes "first" to the old file */
	assert_int_equal(publisher_write(p, NULL, (const uint8_t *)b, 7), 0);
	publisher_close(p);
	data = slurp(rotated, &len);
	assert_string_equal(data, a);
	free(data);
	data = slurp(path, &len);
	assert_string_equal(data, b);
	free(data);
	unlink(path);
	unlink(rotated);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_whole_lines),
		cmocka_unit_test(test_threads_whole_runs),
		cmocka_unit_test(test_buffered_until_flush),
		cmocka_unit_test(test_epipe_stdout),
		cmocka_unit_test(test_full_buffer_and_limits),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_reopen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
