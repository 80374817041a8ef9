/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exporter allow-list: IPv4 and IPv6 CIDR prefixes (--allow-exporter).
 * Datagrams whose source matches none are dropped before decode. An empty
 * list allows everything. Built once at start-up, then read-only, so workers
 * share it without locking.
 */
#ifndef XDPFLOW_DAEMON_ALLOW_LIST_H
#define XDPFLOW_DAEMON_ALLOW_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

#define ALLOW_LIST_MAX 1024

struct allow_prefix {
	uint8_t len;  /* 4 or 16 */
	uint8_t bits; /* prefix length */
	uint8_t b[16]; /* host bits cleared */
};

struct allow_list {
	size_t n;
	struct allow_prefix p[ALLOW_LIST_MAX];
};

/* Empties the list (which then allows everything). */
void allow_list_init(struct allow_list *l);

/* Adds "ADDR", "ADDR/BITS" for IPv4 (BITS 0..32) or IPv6 (0..128); host bits
 * past the prefix are ignored. Returns 0, -EINVAL (malformed) or -E2BIG (the
 * list holds ALLOW_LIST_MAX already). */
int allow_list_add(struct allow_list *l, const char *cidr);

/* True when the list is empty or a prefix covers a. An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) matches as its IPv4 address. */
bool allow_list_match(const struct allow_list *l, const struct flow_addr *a);

#endif
