/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A test publisher (struct publisher through publish_internal.h's vtable)
 * for the daemon's tests: it keeps a copy of every message written with
 * its exporter key, counts flushes, can refuse writes, and reports the
 * counters a test sets. Thread-safe like the real ones (workers write from
 * their threads). Header-only, and a test source of flow datagrams: a
 * NetFlow v5 packet builder.
 */
#ifndef XDPFLOW_TESTS_UNIT_PUB_H
#define XDPFLOW_TESTS_UNIT_PUB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "publish/publish_internal.h"
#include "unit.h"

#define UNIT_PUB_MAX 64

struct unit_pub_msg {
	struct flow_addr exporter;
	size_t len;
	uint8_t b[ENCODE_MAX_LEN];
};

struct unit_pub {
	struct publisher pub; /* first */
	pthread_mutex_t lock;
	int refuse;	 /* write returns this when nonzero */
	size_t n;	 /* messages kept (at most UNIT_PUB_MAX) */
	uint64_t writes; /* accepted writes */
	uint64_t flushes;
	struct publish_stats extra; /* added to get_stats' answer */
	struct unit_pub_msg msg[UNIT_PUB_MAX];
};

static int unit_pub_write(struct publisher *p, const struct flow_addr *exporter,
			  const uint8_t *msg, size_t len)
{
	struct unit_pub *u = (struct unit_pub *)p;
	int rc;

	pthread_mutex_lock(&u->lock);
	rc = u->refuse;
	if (!rc) {
		if (u->n < UNIT_PUB_MAX && len <= sizeof(u->msg[0].b)) {
			u->msg[u->n].exporter = *exporter;
			u->msg[u->n].len = len;
			memcpy(u->msg[u->n].b, msg, len);
			u->n++;
		}
		u->writes++;
	}
	pthread_mutex_unlock(&u->lock);
	return rc;
}

static int unit_pub_flush(struct publisher *p, int timeout_ms)
{
	struct unit_pub *u = (struct unit_pub *)p;

	(void)timeout_ms;
	pthread_mutex_lock(&u->lock);
	u->flushes++;
	pthread_mutex_unlock(&u->lock);
	return 0;
}

static void unit_pub_poll(struct publisher *p)
{
	(void)p;
}

static void unit_pub_get_stats(struct publisher *p, struct publish_stats *st)
{
	struct unit_pub *u = (struct unit_pub *)p;

	pthread_mutex_lock(&u->lock);
	*st = u->extra;
	st->flows += u->writes;
	pthread_mutex_unlock(&u->lock);
}

static int unit_pub_reopen(struct publisher *p)
{
	(void)p;
	return 0;
}

static void unit_pub_close(struct publisher *p)
{
	(void)p;
}

static const struct publisher_ops unit_pub_ops = {
	.write = unit_pub_write,
	.flush = unit_pub_flush,
	.poll = unit_pub_poll,
	.get_stats = unit_pub_get_stats,
	.reopen = unit_pub_reopen,
	.close = unit_pub_close,
};

static inline void unit_pub_init(struct unit_pub *u)
{
	memset(u, 0, sizeof(*u));
	u->pub.ops = &unit_pub_ops;
	pthread_mutex_init(&u->lock, NULL);
}

static inline uint64_t unit_pub_writes(struct unit_pub *u)
{
	uint64_t n;

	pthread_mutex_lock(&u->lock);
	n = u->writes;
	pthread_mutex_unlock(&u->lock);
	return n;
}

static inline void unit_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void unit_put32(uint8_t *p, uint32_t v)
{
	unit_put16(p, (uint16_t)(v >> 16));
	unit_put16(p + 2, (uint16_t)v);
}

/* A NetFlow v5 packet with n records (TCP 198.18.0.1+i:1234 ->
 * 198.19.0.2:443, 10 packets, 1500 bytes each) into b (room for
 * 24 + 48 * n bytes); returns its length. */
static inline size_t unit_v5(uint8_t *b, unsigned n, uint32_t seq)
{
	memset(b, 0, 24 + 48 * n);
	unit_put16(b, 5);
	unit_put16(b + 2, (uint16_t)n);
	unit_put32(b + 4, 100000);
	unit_put32(b + 8, 1700000000);
	unit_put32(b + 16, seq);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *r = b + 24 + 48 * i;

		unit_put32(r, 0xc6120001 + i);
		unit_put32(r + 4, 0xc6130002);
		unit_put32(r + 16, 10);
		unit_put32(r + 20, 1500);
		unit_put32(r + 24, 90000);
		unit_put32(r + 28, 95000);
		unit_put16(r + 32, 1234);
		unit_put16(r + 34, 443);
		r[38] = 6;
	}
	return 24 + 48 * n;
}

#endif
