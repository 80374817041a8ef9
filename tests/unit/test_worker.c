// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the receive worker thread (daemon/worker.c): flows of the
 * datagrams of its sources reach the publisher through its pipeline, in
 * batches of sh->batch, with every batch released; exporters outside the
 * allow-list are refused and counted; an offline source's end stops the
 * thread on its own, a live one (a real UDP socket on loopback) is stopped
 * through the stop flag and eventfd; each end is signalled on done_fd.
 * Wakeup coalescing: the wait rx_coalesce_wait gives for a batch, and a
 * worker that, after a short batch, sleeps so that the datagrams sent
 * meanwhile come in one batch.
 */
#include "unit.h"
#include "unit_pub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "daemon/worker.h"
#include "rx/rx_socket.h"

/* An offline source (fd -1) handing out a fixed list of datagrams, at
 * most max per call, then -ENODATA; it checks every batch is released. */
#define FAKE_MAX 8
struct fake_rx {
	struct rx rx;
	struct datagram dg[FAKE_MAX];
	uint8_t buf[FAKE_MAX][24 + 48 * 4];
	size_t n, next;
	size_t calls, max_seen, released, unreleased_at_recv;
	size_t outstanding, bad_release;
	bool closed;
};

static int fake_recv(struct rx *rx, struct datagram *dgs, size_t max)
{
	struct fake_rx *f = (struct fake_rx *)rx;
	size_t k = 0;

	f->calls++;
	if (f->outstanding)
		f->unreleased_at_recv++;
	if (max > f->max_seen)
		f->max_seen = max;
	if (f->next == f->n)
		return -ENODATA;
	while (k < max && f->next < f->n)
		dgs[k++] = f->dg[f->next++];
	f->outstanding = k;
	rx_count(&rx->cnt.packets, k);
	return (int)k;
}

static void fake_release(struct rx *rx, struct datagram *dgs, size_t n)
{
	struct fake_rx *f = (struct fake_rx *)rx;

	(void)dgs;
	/* Runs on the worker thread: counted, checked by the test. */
	if (n != f->outstanding)
		f->bad_release++;
	f->released += n;
	f->outstanding = 0;
}

static void fake_close(struct rx *rx)
{
	((struct fake_rx *)rx)->closed = true;
}

static const struct rx_ops fake_ops = {
	.name = "fake",
	.recv = fake_recv,
	.release = fake_release,
	.close = fake_close,
};

/* Adds a v5 datagram of n records from 198.18.1.last. */
static void fake_add(struct fake_rx *f, uint8_t last, unsigned n)
{
	struct datagram *dg = &f->dg[f->n];

	assert_true(f->n < FAKE_MAX);
	dg->data = f->buf[f->n];
	dg->len = unit_v5(f->buf[f->n], n, (uint32_t)f->n);
	dg->exporter =
		(struct flow_addr){ .len = 4, .b = { 198, 18, 1, last } };
	dg->exporter_port = 40000;
	dg->local_port = 2055;
	dg->time_received_ns = 1700000001000000000ULL;
	dg->hint = DECODE_NETFLOW;
	f->n++;
}

static uint64_t read_eventfd(int fd)
{
	uint64_t v = 0;

	assert_int_equal(read(fd, &v, sizeof(v)), (ssize_t)sizeof(v));
	return v;
}

struct fixture {
	struct worker_shared sh;
	struct allow_list allow;
	struct decode_config dcfg;
	struct unit_pub pub;
	struct worker w;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	allow_list_init(&f->allow);
	atomic_init(&f->sh.stop, false);
	f->sh.stop_fd = eventfd(0, EFD_CLOEXEC);
	f->sh.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(f->sh.stop_fd >= 0 && f->sh.done_fd >= 0);
	f->sh.allow = &f->allow;
	f->sh.batch = 2;
	decode_config_defaults(&f->dcfg);
	unit_pub_init(&f->pub);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->sh.stop_fd);
	close(f->sh.done_fd);
	free(f);
	return 0;
}

/* Offline input: five datagrams in batches of two, the one from outside
 * the allow-list refused; the thread ends by itself at -ENODATA. */
static void test_offline_source(void **state)
{
	struct fixture *f = *state;
	struct fake_rx *rx = calloc(1, sizeof(*rx));

	assert_non_null(rx);
	rx->rx.ops = &fake_ops;
	rx->rx.fd = -1;
	fake_add(rx, 1, 2);
	fake_add(rx, 2, 3); /* not allowed */
	fake_add(rx, 1, 1);
	fake_add(rx, 3, 4);
	fake_add(rx, 1, 1);
	assert_int_equal(allow_list_add(&f->allow, "198.18.1.1"), 0);
	assert_int_equal(allow_list_add(&f->allow, "198.18.1.3/32"), 0);
	assert_int_equal(worker_init(&f->w, 0, &f->sh, &f->dcfg,
				     OUT_FORMAT_JSON, OUT_SCHEMA_GOFLOW2,
				     &f->pub.pub),
			 0);
	assert_int_equal(worker_add_rx(&f->w, &rx->rx, NULL), 0);
	assert_int_equal(worker_start(&f->w), 0);
	worker_join(&f->w);
	assert_true(atomic_load(&f->w.finished));
	assert_int_equal(f->w.err, 0);
	assert_int_equal(read_eventfd(f->sh.done_fd), 1);
	assert_int_equal(atomic_load(&f->w.not_allowed), 1);
	assert_int_equal(unit_pub_writes(&f->pub), 2 + 1 + 4 + 1);
	assert_int_equal(atomic_load(&f->w.pipe.flows), 8);
	for (size_t i = 0; i < f->pub.n; i++)
		assert_int_not_equal(f->pub.msg[i].exporter.b[3], 2);
	/* Batches of sh->batch, each released before the next. */
	assert_int_equal(rx->max_seen, 2);
	assert_int_equal(rx->released, 5);
	assert_int_equal(rx->unreleased_at_recv, 0);
	assert_int_equal(rx->bad_release, 0);
	assert_false(rx->closed);
	worker_fini(&f->w);
	assert_true(rx->closed);
	free(rx);
}

/* A full worker (WORKER_MAX_RX sources) refuses one more. */
static void test_too_many_sources(void **state)
{
	struct fixture *f = *state;
	struct fake_rx *rx = calloc(WORKER_MAX_RX + 1, sizeof(*rx));

	assert_non_null(rx);
	assert_int_equal(worker_init(&f->w, 1, &f->sh, &f->dcfg, OUT_FORMAT_PB,
				     OUT_SCHEMA_GOFLOW2, &f->pub.pub),
			 0);
	for (int i = 0; i <= WORKER_MAX_RX; i++) {
		rx[i].rx.ops = &fake_ops;
		rx[i].rx.fd = -1;
		assert_int_equal(worker_add_rx(&f->w, &rx[i].rx, NULL),
				 i < WORKER_MAX_RX ? 0 : -E2BIG);
	}
	worker_fini(&f->w);
	for (int i = 0; i <= WORKER_MAX_RX; i++)
		assert_int_equal(rx[i].closed, i < WORKER_MAX_RX);
	free(rx);
}

/* Live input over loopback: flows come through while the thread polls,
 * and raising stop + the eventfd ends it promptly. */
static void test_live_socket_and_stop(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct rx_socket_config cfg = { .addr = (struct sockaddr *)&a,
					.addrlen = sizeof(a),
					.hint = DECODE_NETFLOW,
					.batch = 2,
					.name = "test://" };
	struct rx *rx = NULL;
	char err[256];
	uint8_t b[24 + 48 * 3];
	size_t len = unit_v5(b, 3, 1);
	uint64_t one = 1, t0;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, alen), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	close(s); /* its port is ours to reuse now */
	if (rx_socket_open(&cfg, &rx, NULL, err, sizeof(err)))
		fail_msg("rx_socket_open: %s", err);
	f->sh.expire = true;
	assert_int_equal(worker_init(&f->w, 2, &f->sh, &f->dcfg,
				     OUT_FORMAT_JSON, OUT_SCHEMA_GOFLOW2,
				     &f->pub.pub),
			 0);
	assert_int_equal(worker_add_rx(&f->w, rx, "netflow://127.0.0.1:0"), 0);
	assert_int_equal(worker_start(&f->w), 0);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sendto(s, b, len, 0, (struct sockaddr *)&a,
					alen),
				 (ssize_t)len);
	close(s);
	for (int i = 0; i < 400 && unit_pub_writes(&f->pub) < 15; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	assert_int_equal(unit_pub_writes(&f->pub), 15);
	/* Still running: the socket never ends. */
	assert_false(atomic_load(&f->w.finished));
	t0 = clock_mono_ns();
	atomic_store(&f->sh.stop, true);
	assert_int_equal(write(f->sh.stop_fd, &one, sizeof(one)), sizeof(one));
	worker_join(&f->w);
	/* Woken by the eventfd, not by the 1 s poll timeout. */
	assert_true(clock_mono_ns() - t0 < 500000000ULL);
	assert_true(atomic_load(&f->w.finished));
	assert_int_equal(read_eventfd(f->sh.done_fd), 1);
	assert_int_equal(atomic_load(&f->w.not_allowed), 0);
	assert_memory_equal(f->pub.msg[0].exporter.b,
			    ((uint8_t[]){ 127, 0, 0, 1 }), 4);
	worker_fini(&f->w);
}

/* The wait after a batch: off, empty and full batches wait nothing; an
 * unknown or slow rate waits the whole coalesce_ns; a fast one only what
 * it takes to fill a batch, or the source's room if smaller; too short a
 * wait is none. */
static void test_coalesce_wait(void **state)
{
	struct rx rx = { .coalesce_ns = 100000 };

	(void)state;
	assert_int_equal(rx_coalesce_wait(&rx, 0, 64, 1000), 0);
	assert_int_equal(rx_coalesce_wait(&rx, 64, 64, 1000), 0);
	assert_int_equal(rx_coalesce_wait(&rx, 1, 64, 0), 100000);
	assert_int_equal(rx_coalesce_wait(&rx, 1, 64, 10000000), 100000);
	/* 2 us per datagram: 64 take 128 us, more than the bound. */
	assert_int_equal(rx_coalesce_wait(&rx, 10, 64, 20000), 100000);
	/* 1 us per datagram: 64 take 64 us. */
	assert_int_equal(rx_coalesce_wait(&rx, 16, 64, 16000), 64000);
	/* Room for 8 only: 2 us per datagram, 16 us. */
	rx.coalesce_room = 8;
	assert_int_equal(rx_coalesce_wait(&rx, 4, 64, 8000), 16000);
	rx.coalesce_room = 0;
	/* 0.1 us per datagram: a batch in 6.4 us, not worth a sleep. */
	assert_int_equal(rx_coalesce_wait(&rx, 32, 64, 3200), 0);
	rx.coalesce_ns = 0;
	assert_int_equal(rx_coalesce_wait(&rx, 1, 64, 0), 0);
}

/* UDP sockets coalesce only while datagrams come closer together than the
 * bound: sparser ones would make the wait one more wakeup. An unknown rate
 * still waits; the other rules stay. */
static void test_coalesce_wait_dense_only(void **state)
{
	struct rx rx = { .coalesce_ns = 100000, .coalesce_dense_only = true };

	(void)state;
	assert_int_equal(rx_coalesce_wait(&rx, 1, 64, 0), 100000);
	/* 10 ms per datagram, 100 us per datagram: sparser than the bound. */
	assert_int_equal(rx_coalesce_wait(&rx, 1, 64, 10000000), 0);
	assert_int_equal(rx_coalesce_wait(&rx, 2, 64, 200002), 0);
	/* 100 us per datagram exactly, 2 us per datagram: dense enough. */
	assert_int_equal(rx_coalesce_wait(&rx, 1, 64, 100000), 100000);
	assert_int_equal(rx_coalesce_wait(&rx, 10, 64, 20000), 100000);
	assert_int_equal(rx_coalesce_wait(&rx, 16, 64, 16000), 64000);
	assert_int_equal(rx_coalesce_wait(&rx, 64, 64, 1000), 0);
	assert_int_equal(rx_coalesce_wait(&rx, 0, 64, 1000), 0);
}

/* A worker's wait is bounded by its shortest coalescing source: an
 * AF_XDP ring (100 us) beside a UDP socket (5 ms) waits at most 100 us;
 * sources that do not coalesce do not count. */
static void test_coalesce_bound(void **state)
{
	struct rx xsk = { .coalesce_ns = 100000 };
	struct rx sock = { .coalesce_ns = 5000000 };
	struct rx tcp = { .coalesce_ns = 0 };
	struct rx *const all[] = { &tcp, &sock, &xsk };

	(void)state;
	assert_int_equal(rx_coalesce_bound(all, 0), 0);
	assert_int_equal(rx_coalesce_bound(all, 1), 0);
	assert_int_equal(rx_coalesce_bound(all, 2), 5000000);
	assert_int_equal(rx_coalesce_bound(all, 3), 100000);
	assert_int_equal(rx_coalesce_bound(all + 1, 2), 100000);
}

/* A source wrapped to record the size of each non-empty batch. */
struct spy_rx {
	struct rx rx;
	struct rx *inner;
	int batch[16];
	size_t n_batches;
};

static int spy_recv(struct rx *rx, struct datagram *dgs, size_t max)
{
	struct spy_rx *s = (struct spy_rx *)rx;
	int n = rx_recv(s->inner, dgs, max);

	if (n > 0 && s->n_batches < 16)
		s->batch[s->n_batches++] = n;
	return n;
}

static void spy_release(struct rx *rx, struct datagram *dgs, size_t n)
{
	rx_release(((struct spy_rx *)rx)->inner, dgs, n);
}

static void spy_close(struct rx *rx)
{
	rx_close(((struct spy_rx *)rx)->inner);
}

static const struct rx_ops spy_ops = {
	.name = "spy",
	.recv = spy_recv,
	.release = spy_release,
	.close = spy_close,
};

/* Opens a UDP rx on a free loopback port (a, alen: its address). */
static struct rx *open_loopback(struct sockaddr_in *a, socklen_t *alen)
{
	struct rx_socket_config cfg = { .addr = (struct sockaddr *)a,
					.addrlen = sizeof(*a),
					.hint = DECODE_NETFLOW,
					.batch = 8,
					.name = "test://" };
	struct rx *rx = NULL;
	char err[256];
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	*a = (struct sockaddr_in){ .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	*alen = sizeof(*a);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)a, *alen), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)a, alen), 0);
	close(s); /* its port is ours to reuse now */
	if (rx_socket_open(&cfg, &rx, NULL, err, sizeof(err)))
		fail_msg("rx_socket_open: %s", err);
	return rx;
}

/* With coalescing, the worker sleeps after a short batch (one datagram)
 * instead of polling at once: the five datagrams sent meanwhile come in
 * one batch (with coalescing off, this test failed in five runs of five:
 * the worker woke for them one by one), and a stop during the sleep is
 * still prompt. */
static void coalesce_live(struct fixture *f, bool read_after_wait)
{
	struct spy_rx *spy = calloc(1, sizeof(*spy));
	struct sockaddr_in a;
	socklen_t alen;
	uint8_t b[24 + 48 * 3];
	size_t len = unit_v5(b, 3, 1);
	uint64_t one = 1, t0;
	int s;

	assert_non_null(spy);
	spy->inner = open_loopback(&a, &alen);
	spy->rx.ops = &spy_ops;
	spy->rx.fd = rx_fd(spy->inner);
	spy->rx.coalesce_ns = 300000000; /* 300 ms: the test's margin */
	spy->rx.read_after_wait = read_after_wait;
	f->sh.batch = 8;
	assert_int_equal(worker_init(&f->w, 3, &f->sh, &f->dcfg,
				     OUT_FORMAT_JSON, OUT_SCHEMA_GOFLOW2,
				     &f->pub.pub),
			 0);
	assert_int_equal(worker_add_rx(&f->w, &spy->rx, NULL), 0);
	assert_int_equal(worker_start(&f->w), 0);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	assert_int_equal(sendto(s, b, len, 0, (struct sockaddr *)&a, alen),
			 (ssize_t)len);
	for (int i = 0; i < 400 && unit_pub_writes(&f->pub) < 3; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	assert_int_equal(unit_pub_writes(&f->pub), 3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sendto(s, b, len, 0, (struct sockaddr *)&a,
					alen),
				 (ssize_t)len);
	close(s);
	for (int i = 0; i < 400 && unit_pub_writes(&f->pub) < 18; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
	assert_int_equal(unit_pub_writes(&f->pub), 18);
	t0 = clock_mono_ns();
	atomic_store(&f->sh.stop, true);
	assert_int_equal(write(f->sh.stop_fd, &one, sizeof(one)), sizeof(one));
	worker_join(&f->w);
	/* At most one coalescing sleep, then the eventfd. */
	assert_true(clock_mono_ns() - t0 < 900000000ULL);
	assert_int_equal(spy->n_batches, 2);
	assert_int_equal(spy->batch[0], 1);
	assert_int_equal(spy->batch[1], 5);
	worker_fini(&f->w);
	free(spy);
}

static void test_coalesce_live(void **state)
{
	coalesce_live(*state, false);
}

/* The same with a source read at once after the wait (UDP sockets): no
 * poll in between, the same batches. */
static void test_coalesce_live_read_after_wait(void **state)
{
	coalesce_live(*state, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_offline_source, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_too_many_sources, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_live_socket_and_stop,
						setup, teardown),
		cmocka_unit_test(test_coalesce_wait),
		cmocka_unit_test(test_coalesce_wait_dense_only),
		cmocka_unit_test(test_coalesce_bound),
		cmocka_unit_test_setup_teardown(test_coalesce_live, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_coalesce_live_read_after_wait,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
