// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the UDP socket source: real datagrams over loopback (IPv4,
 * IPv6, IPv4 into a dual-stack socket), recvmmsg batches, what each
 * datagram carries (payload, exporter address and port, local port, hint,
 * time stamp), truncated datagrams dropped and counted, kernel queue drops
 * from SO_RXQ_OVFL, and the bind errors (address in use with exclusive).
 */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "rx/rx_socket.h"

/* A loopback address of family af with a port free right now. */
static socklen_t free_addr(int af, struct sockaddr_storage *ss)
{
	socklen_t len = af == AF_INET ? sizeof(struct sockaddr_in)
				      : sizeof(struct sockaddr_in6);
	int fd = socket(af, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)af;
	if (af == AF_INET)
		((struct sockaddr_in *)ss)->sin_addr.s_addr =
			htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	assert_int_equal(bind(fd, (struct sockaddr *)ss, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)ss, &len), 0);
	close(fd);
	return len;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET
			     ? ((const struct sockaddr_in *)ss)->sin_port
			     : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* A sending socket of family af bound to loopback; its port in *port. */
static int sender(int af, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = free_addr(af, &ss);
	int fd = socket(af, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = port_of(&ss);
	return fd;
}

static void send_to(int fd, const struct sockaddr_storage *to, socklen_t len,
		    const void *p, size_t n)
{
	assert_int_equal(sendto(fd, p, n, 0, (const struct sockaddr *)to, len),
			 (ssize_t)n);
}

/* Receives until want datagrams came (bounded: 2 s), into dgs. */
static size_t recv_all(struct rx *rx, struct datagram *dgs, size_t max,
		       size_t want, size_t batch)
{
	size_t got = 0;

	for (int tries = 0; tries < 200 && got < want; tries++) {
		struct pollfd p = { .fd = rx_fd(rx), .events = POLLIN };
		int n;

		if (poll(&p, 1, 10) <= 0)
			continue;
		n = rx_recv(rx, dgs + got,
			    max - got < batch ? max - got : batch);
		assert_true(n >= 0);
		assert_true((size_t)n <= batch);
		got += (size_t)n;
	}
	return got;
}

static struct rx *open_rx(const struct sockaddr_storage *ss, socklen_t len,
			  size_t batch, size_t slot_len, bool dual)
{
	struct rx_socket_config cfg = {
		.addr = (const struct sockaddr *)ss,
		.addrlen = len,
		.dual_stack = dual,
		.hint = DECODE_SFLOW,
		.batch = batch,
		.name = "test://",
		.exclusive = true,
		.slot_len = slot_len,
	};
	struct rx_socket_info info;
	struct rx *rx = NULL;
	char err[256] = "";
	int rc = rx_socket_open(&cfg, &rx, &info, err, sizeof(err));

	if (rc)
		fail_msg("rx_socket_open: %s", err);
	assert_non_null(rx);
	assert_true(info.rcvbuf > 0);
	return rx;
}

static void check_family(int af)
{
	struct sockaddr_storage ss;
	socklen_t len = free_addr(af, &ss);
	struct rx *rx = open_rx(&ss, len, 4, 0, false);
	uint16_t sport;
	int fd = sender(af, &sport);
	struct datagram dgs[10];
	struct rx_stats st;
	uint8_t msg[10][100];
	uint64_t t0 = clock_realtime_ns(), bytes = 0;

	/* Ten datagrams of different sizes and contents, in batches of 4. */
	for (int i = 0; i < 10; i++) {
		memset(msg[i], 'a' + i, sizeof(msg[i]));
		send_to(fd, &ss, len, msg[i], (size_t)(10 + i));
		bytes += (uint64_t)(10 + i);
	}
	/* Slots are reused by the next recv: payloads are checked at once. */
	for (int tries = 0, got = 0; got < 10; tries++) {
		int n;

		assert_true(tries < 200);
		n = rx_recv(rx, dgs + got, 4);
		assert_true(n >= 0 && n <= 4);
		for (int i = got; i < got + n; i++) {
			assert_int_equal(dgs[i].len, 10 + i);
			assert_memory_equal(dgs[i].data, msg[i], dgs[i].len);
		}
		got += n;
		if (n == 0)
			poll(&(struct pollfd){ .fd = rx_fd(rx),
					       .events = POLLIN },
			     1, 10);
	}
	for (int i = 0; i < 10; i++) {
		assert_int_equal(dgs[i].exporter.len, af == AF_INET ? 4 : 16);
		if (af == AF_INET) {
			uint8_t lo[4] = { 127, 0, 0, 1 };

			assert_memory_equal(dgs[i].exporter.b, lo, 4);
		} else {
			assert_memory_equal(dgs[i].exporter.b,
					    &in6addr_loopback, 16);
		}
		assert_int_equal(dgs[i].exporter_port, sport);
		assert_int_equal(dgs[i].local_port, port_of(&ss));
		assert_int_equal(dgs[i].hint, DECODE_SFLOW);
		assert_true(dgs[i].time_received_ns >= t0 - 1000000000ULL);
		assert_true(dgs[i].time_received_ns <= clock_realtime_ns());
	}
	rx_get_stats(rx, &st);
	assert_int_equal(st.packets, 10);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.truncated, 0);
	assert_int_equal(st.drops, 0);
	assert_int_equal(st.errors, 0);
	/* Nothing queued: 0, not an error. */
	assert_int_equal(rx_recv(rx, dgs, 4), 0);
	close(fd);
	rx_close(rx);
}

static void test_ipv4(void **state)
{
	(void)state;
	check_family(AF_INET);
}

static void test_ipv6(void **state)
{
	(void)state;
	check_family(AF_INET6);
}

/* An IPv4 sender to a dual-stack [::] socket: the exporter is folded from
 * ::ffff:a.b.c.d to 4 bytes. */
static void test_dual_stack_v4_mapped(void **state)
{
	struct sockaddr_storage ss, to;
	socklen_t len = free_addr(AF_INET6, &ss);
	struct rx *rx;
	struct datagram dg;
	uint8_t lo[4] = { 127, 0, 0, 1 };
	uint16_t sport;
	int fd;

	(void)state;
	((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_any;
	rx = open_rx(&ss, len, 1, 0, true);
	fd = sender(AF_INET, &sport);
	memset(&to, 0, sizeof(to));
	((struct sockaddr_in *)&to)->sin_family = AF_INET;
	((struct sockaddr_in *)&to)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	((struct sockaddr_in *)&to)->sin_port = htons(port_of(&ss));
	send_to(fd, &to, sizeof(struct sockaddr_in), "hello", 5);
	assert_int_equal(recv_all(rx, &dg, 1, 1, 1), 1);
	assert_int_equal(dg.len, 5);
	assert_memory_equal(dg.data, "hello", 5);
	assert_int_equal(dg.exporter.len, 4);
	assert_memory_equal(dg.exporter.b, lo, 4);
	assert_int_equal(dg.exporter_port, sport);
	assert_int_equal(dg.local_port, port_of(&ss));
	close(fd);
	rx_close(rx);
}

/* With 64-byte slots a 100-byte datagram does not fit: dropped, counted
 * as truncated, and the datagrams around it still come out. */
static void test_truncated(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len = free_addr(AF_INET, &ss);
	struct rx *rx = open_rx(&ss, len, 8, 64, false);
	uint8_t big[100], small1[64], small2[20];
	struct datagram dgs[8];
	struct rx_stats st;
	uint16_t sport;
	int fd = sender(AF_INET, &sport), got = 0;

	(void)state;
	memset(big, 'B', sizeof(big));
	memset(small1, '1', sizeof(small1));
	memset(small2, '2', sizeof(small2));
	send_to(fd, &ss, len, small1, sizeof(small1));
	send_to(fd, &ss, len, big, sizeof(big));
	send_to(fd, &ss, len, small2, sizeof(small2));
	for (int tries = 0; tries < 200; tries++) {
		struct pollfd p = { .fd = rx_fd(rx), .events = POLLIN };
		int n;

		rx_get_stats(rx, &st);
		if (got == 2 && st.truncated == 1)
			break;
		if (poll(&p, 1, 10) <= 0)
			continue;
		n = rx_recv(rx, dgs + got, (size_t)(8 - got));
		assert_true(n >= 0);
		got += n;
	}
	assert_int_equal(got, 2);
	assert_int_equal(dgs[0].len, sizeof(small1));
	assert_memory_equal(dgs[0].data, small1, sizeof(small1));
	assert_int_equal(dgs[1].len, sizeof(small2));
	assert_memory_equal(dgs[1].data, small2, sizeof(small2));
	rx_get_stats(rx, &st);
	assert_int_equal(st.packets, 2);
	assert_int_equal(st.bytes, sizeof(small1) + sizeof(small2));
	assert_int_equal(st.truncated, 1);
	close(fd);
	rx_close(rx);
}

/* A tiny receive buffer that overflows: SO_RXQ_OVFL on the next datagram
 * that gets in says how many were lost, so received + drops = sent. */
static void test_queue_drops(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len = free_addr(AF_INET, &ss);
	struct rx_socket_config cfg = {
		.addr = (const struct sockaddr *)&ss,
		.addrlen = len,
		.hint = DECODE_SFLOW,
		.batch = 16,
		.rcvbuf = 4096,
		.name = "test://",
	};
	struct rx_socket_info info;
	struct datagram dgs[16];
	struct rx_stats st;
	struct rx *rx = NULL;
	char err[256], payload[1000];
	uint64_t got = 0;
	uint16_t sport;
	int fd = sender(AF_INET, &sport), sent = 0;

	(void)state;
	if (rx_socket_open(&cfg, &rx, &info, err, sizeof(err)))
		fail_msg("rx_socket_open: %s", err);
	/* Root: SO_RCVBUFFORCE works and the kernel doubles the request. */
	assert_true(info.forced);
	assert_true(info.rcvbuf <= 2 * 4096 + 4096);
	memset(payload, 'x', sizeof(payload));
	for (int i = 0; i < 200; i++, sent++)
		send_to(fd, &ss, len, payload, sizeof(payload));
	for (int i = 0; i < 100; i++) {
		int n = rx_recv(rx, dgs, 16);

		assert_true(n >= 0);
		if (n == 0)
			break;
		got += (uint64_t)n;
	}
	assert_true(got > 0 && got < 200);
	/* One more once drained: it carries the drop count up to now. */
	send_to(fd, &ss, len, payload, sizeof(payload));
	sent++;
	got += recv_all(rx, dgs, 16, 1, 16);
	rx_get_stats(rx, &st);
	assert_int_equal(st.packets, got);
	assert_true(st.drops > 0);
	assert_int_equal(st.packets + st.drops, (uint64_t)sent);
	close(fd);
	rx_close(rx);
}

/* exclusive refuses an address someone else holds, even with
 * SO_REUSEPORT; the reason names the listener. Without exclusive, a
 * second socket joins the same reuseport group. */
static void test_address_in_use(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len = free_addr(AF_INET, &ss);
	struct rx *rx = open_rx(&ss, len, 1, 0, false), *rx2 = NULL;
	struct rx_socket_config cfg = {
		.addr = (const struct sockaddr *)&ss,
		.addrlen = len,
		.batch = 1,
		.name = "netflow://127.0.0.1:x",
		.exclusive = true,
	};
	char err[256] = "";

	(void)state;
	assert_int_equal(rx_socket_open(&cfg, &rx2, NULL, err, sizeof(err)),
			 -EADDRINUSE);
	assert_null(rx2);
	assert_string_equal(err,
			    "could not bind netflow://127.0.0.1:x: "
			    "Address already in use");
	cfg.exclusive = false;
	assert_int_equal(rx_socket_open(&cfg, &rx2, NULL, err, sizeof(err)), 0);
	assert_non_null(rx2);
	rx_close(rx2);
	rx_close(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_dual_stack_v4_mapped),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_queue_drops),
		cmocka_unit_test(test_address_in_use),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
