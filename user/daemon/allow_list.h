/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exporter allow-list: IPv4 and IPv6 CIDR prefixes (--allow-exporter,
 * and --allow-exporter-file, one prefix per line). Datagrams whose source
 * matches none are dropped before decode. An empty list allows everything.
 * A list is read-only once published to the workers; a reload (SIGHUP)
 * builds a new one and swaps it in (daemon.c).
 */
#ifndef XDPFLOW_DAEMON_ALLOW_LIST_H
#define XDPFLOW_DAEMON_ALLOW_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

#define ALLOW_LIST_MAX 1024

struct allow_prefix {
	uint8_t len;   /* 4 or 16 */
	uint8_t bits;  /* prefix length */
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

/*
 * Adds the prefixes of the file at path: one per line, as allow_list_add
 * takes them; '#' starts a comment; blank lines and surrounding blanks are
 * ignored. Returns 0, or -errno (the file could not be read, -EINVAL: a
 * malformed prefix or an over-long line, -E2BIG: too many prefixes) with a
 * one-line reason naming path and line in err; l may then hold part of the
 * file.
 */
int allow_list_load_file(struct allow_list *l, const char *path, char *err,
			 size_t errlen);

/* True when the list is empty or a prefix covers a. An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) matches as its IPv4 address. */
bool allow_list_match(const struct allow_list *l, const struct flow_addr *a);

#endif
