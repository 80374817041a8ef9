/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The enrich config file (format in enricher.h and xdpflow-enrich.conf(5))
 * parsed into paths, the AS number policy and the snmp-* settings. Parsing
 * only: nothing is loaded here.
 */
#ifndef XDPFLOW_ENRICH_ENRICH_CONFIG_H
#define XDPFLOW_ENRICH_ENRICH_CONFIG_H

#include <stddef.h>

#include "enrich/enricher.h"

/* exporters-max: its default and its bound. */
#define ENRICH_CONF_EXPORTERS_DEFAULT 1024
#define ENRICH_CONF_EXPORTERS_MAX 65536

/* The source files a config may name, in load order. */
enum enrich_config_src {
	ENRICH_CONF_NETWORKS,
	ENRICH_CONF_ASN_DB,
	ENRICH_CONF_COUNTRY_DB,
	ENRICH_CONF_INTERFACES,
	ENRICH_CONF_EXPORTERS,
	ENRICH_CONF_SRC_MAX
};

struct enrich_config {
	char *path;				/* the config file's name */
	char *src[ENRICH_CONF_SRC_MAX];		/* resolved paths; NULL: none */
	unsigned src_line[ENRICH_CONF_SRC_MAX]; /* where each was set */
	struct enricher_asn_policy asn;
	unsigned exporters_max;	       /* exporters seen in flows, at most */
	struct enricher_setting *snmp; /* snmp-* lines, config order */
	size_t n_snmp;
};

/* The config key of source s ("networks", ...). */
const char *enrich_config_src_key(enum enrich_config_src s);

/* Parses len bytes of config text; name is the file's path, used in
 * messages and as the base of relative paths. 0 with *c filled (free it
 * with enrich_config_free), -EINVAL ("name:line: reason" in err) or
 * -ENOMEM; on failure *c holds nothing to free. */
int enrich_config_parse(const char *buf, size_t len, const char *name,
			struct enrich_config *c, char *err, size_t errlen);

/* Reads the file at path and parses it; also -errno of reading it. */
int enrich_config_load(const char *path, struct enrich_config *c, char *err,
		       size_t errlen);

/* Frees what *c holds (a zeroed *c is fine). */
void enrich_config_free(struct enrich_config *c);

#endif
