/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Static interface names: a CSV file (dialect in csv.h) mapping an
 * exporter address and ifIndex to the interface's name, description and
 * speed, loaded into an immutable table.
 *
 * Columns (header, any order): exporter and ifindex (required), name,
 * description, speed (bits per second). A given (exporter, ifindex) twice
 * is an error naming both lines; any error fails the load with
 * "file:line: reason" and the caller keeps its previous table.
 *
 * The same table type is also built piece by piece (enrich_ifaces_new,
 * enrich_ifaces_add, enrich_ifaces_merge): the SNMP poller builds one per
 * poll round from the static file (first, so its fields win) and what it
 * polled (filling the fields the file leaves empty). A table is immutable
 * once published (enrich_set_ifaces).
 */
#ifndef XDPFLOW_ENRICH_IFACE_FILE_H
#define XDPFLOW_ENRICH_IFACE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"
#include "enrich/enrich_types.h"

struct enrich_ifaces;

/* Parses len bytes of CSV; name is used in messages. 0 with *out owning a
 * new table, -EINVAL (message in err) or -ENOMEM; *out untouched on
 * failure. */
int enrich_ifaces_parse(const char *buf, size_t len, const char *name,
			struct enrich_ifaces **out, char *err, size_t errlen);

/* Reads and parses the file at path; also -errno of reading it. */
int enrich_ifaces_load(const char *path, struct enrich_ifaces **out, char *err,
		       size_t errlen);

/* A new, empty table, or NULL (out of memory). */
struct enrich_ifaces *enrich_ifaces_new(void);

/* Adds interface ifindex of the exporter at addr, copying its strings
 * (empty strings count as unset). When the table has that interface
 * already, only the fields it leaves unset (NULL, 0) are filled: the first
 * add wins field by field. 0, -EINVAL (ifindex 0, address not 4 or 16
 * bytes) or -ENOMEM (t may then hold part of it; free it). Before the
 * table is published only. */
int enrich_ifaces_add(struct enrich_ifaces *t, const struct flow_addr *exporter,
		      uint32_t ifindex, const struct enrich_iface *iface);

/* enrich_ifaces_add for every interface of src, in src's order. */
int enrich_ifaces_merge(struct enrich_ifaces *t,
			const struct enrich_ifaces *src);

/* Calls fn for each interface of t, in the order added. */
void enrich_ifaces_each(const struct enrich_ifaces *t,
			void (*fn)(void *ctx, const struct flow_addr *exporter,
				   uint32_t ifindex,
				   const struct enrich_iface *iface),
			void *ctx);

/* Frees t (NULL is fine). */
void enrich_ifaces_free(struct enrich_ifaces *t);

/* The interface ifindex of the exporter at addr, or NULL. */
const struct enrich_iface *
enrich_ifaces_lookup(const struct enrich_ifaces *t,
		     const struct flow_addr *exporter, uint32_t ifindex);

/* Number of interfaces. */
size_t enrich_ifaces_count(const struct enrich_ifaces *t);

/* Calls fn for each distinct exporter address in the file, in file order
 * of first appearance (to classify them). 0 or -ENOMEM. */
int enrich_ifaces_each_exporter(const struct enrich_ifaces *t,
				void (*fn)(void *ctx,
					   const struct flow_addr *exporter),
				void *ctx);

#endif
