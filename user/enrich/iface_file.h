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
