/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exporter classification: rules that give an exporter its name, group,
 * role, site, region and tenant, and the immutable table of classified
 * exporters the flow path reads (regexes run when the control thread
 * builds the table, never per flow).
 *
 * Rules file (CSV, dialect in csv.h), columns in any order: match columns
 * prefix (the exporter address is in it) and name_regex (POSIX extended,
 * unanchored, matched against the exporter's name), either may be empty
 * (matches anything, but a regex never matches an exporter without a
 * name); set columns name, group, role, site, region, tenant. Rules apply
 * in file order, each setting only what earlier matching rules left unset
 * (Akvorado's classifiers behave the same way). The exporter's name is the
 * one the caller knows (SNMP sysName, the networks file); without one, the
 * first rule that matches by prefix alone and has a name gives it, and
 * the regexes then see that name.
 */
#ifndef XDPFLOW_ENRICH_EXPORTERS_H
#define XDPFLOW_ENRICH_EXPORTERS_H

#include <stddef.h>

#include "common/flow.h"
#include "enrich/enrich_types.h"

struct enrich_exporter_rules;
struct enrich_exporters;

/* Parses len bytes of rules; name is used in messages. 0 with *out owning
 * the rules, -EINVAL ("name:line: reason" in err, bad regexes included)
 * or -ENOMEM; *out untouched on failure. */
int enrich_exporter_rules_parse(const char *buf, size_t len, const char *name,
				struct enrich_exporter_rules **out, char *err,
				size_t errlen);

/* Reads and parses the file at path; also -errno of reading it. */
int enrich_exporter_rules_load(const char *path,
			       struct enrich_exporter_rules **out, char *err,
			       size_t errlen);

/* Frees r (NULL is fine). */
void enrich_exporter_rules_free(struct enrich_exporter_rules *r);

/* Classifies the exporter at addr whose name is name (NULL: unknown) into
 * *out; pointers go into r or are name. r may be NULL (then only the name
 * is set). */
void enrich_exporter_classify(const struct enrich_exporter_rules *r,
			      const struct flow_addr *addr, const char *name,
			      struct enrich_exporter *out);

/* A new, empty table of classified exporters, or NULL. */
struct enrich_exporters *enrich_exporters_new(void);

/* Frees x (NULL is fine). */
void enrich_exporters_free(struct enrich_exporters *x);

/* Classifies the exporter at addr (name as for enrich_exporter_classify)
 * and adds it, copying every string. 0, -EEXIST (already there), -EINVAL
 * (bad address) or -ENOMEM. Before the table is published only. */
int enrich_exporters_add(struct enrich_exporters *x,
			 const struct enrich_exporter_rules *r,
			 const struct flow_addr *addr, const char *name);

/* The classification of the exporter at addr, or NULL. */
const struct enrich_exporter *
enrich_exporters_lookup(const struct enrich_exporters *x,
			const struct flow_addr *addr);

/* Number of exporters in x. */
size_t enrich_exporters_count(const struct enrich_exporters *x);

#endif
