/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SNMP poller's settings and the `snmp-*` keys of the enrichment
 * config file (`key = value` lines) that set them. The config parser
 * hands every key starting with "snmp-" to snmp_poller_opts_set, then
 * calls snmp_poller_opts_check once all lines are read.
 *
 * Keys (durations: an integer with an optional unit ms, s, m or h;
 * seconds by default):
 *   snmp-poll = on|off          poll exporters over SNMP (default off;
 *                               any other snmp- key without it is an error)
 *   snmp-poll-interval = 300s   refresh period per exporter (1s..1d)
 *   snmp-timeout = 1s           per request (10ms..60s)
 *   snmp-retries = 1            per request (0..5)
 *   snmp-port = 161             the agents' UDP port
 *   snmp-max-exporters = 1024   exporters polled at most (1..65536)
 *   snmp-community = public     default v2c community
 *   snmp-v3-user = NAME         makes the default SNMP v3 (USM)
 *   snmp-v3-auth = sha|sha256|none, snmp-v3-auth-pass = PASS (8+ bytes)
 *   snmp-v3-priv = aes|none,        snmp-v3-priv-pass = PASS (8+ bytes)
 *   snmp-agent = PREFIX CRED...  credentials for exporters in PREFIX
 *     (the longest matching prefix wins, else the default); CRED is
 *     `community=C` (v2c) or `user=U [auth=sha|sha256 auth-pass=P
 *     [priv=aes priv-pass=P]]` (v3), plus an optional `port=N`.
 *     Repeatable (at most SNMP_MAX_AGENT_RULES). Values hold no spaces.
 */
#ifndef XDPFLOW_ENRICH_SNMP_OPTS_H
#define XDPFLOW_ENRICH_SNMP_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"
#include "enrich/snmp_client.h"

#define SNMP_MAX_AGENT_RULES 64

/* Credentials (and port) for the exporters in one prefix. */
struct snmp_agent_rule {
	struct flow_addr prefix; /* 4 or 16 bytes, host bits zero */
	unsigned plen;
	uint16_t port; /* 0: snmp-port */
	struct snmp_cred cred;
};

struct snmp_poller_opts {
	bool enabled;
	bool any_key; /* some snmp- key was given */
	uint64_t interval_ms;
	unsigned timeout_ms;
	unsigned retries;
	uint16_t port;
	unsigned max_exporters;
	struct snmp_cred def;
	struct snmp_agent_rule agents[SNMP_MAX_AGENT_RULES];
	size_t n_agents;
};

/* The defaults (polling off). */
void snmp_poller_opts_init(struct snmp_poller_opts *o);

/* Applies one `key = value` line (key and value trimmed). 0; -ENOENT
 * when key is not one of the keys above (the caller reports it as
 * unknown); -EINVAL with a one-line reason in err (no file or line: the
 * caller adds them). */
int snmp_poller_opts_set(struct snmp_poller_opts *o, const char *key,
			 const char *value, char *err, size_t errlen);

/* Checks the whole set once every key is in: 0 or -EINVAL (reason in
 * err), e.g. keys given with snmp-poll off, a v3 pass phrase missing. */
int snmp_poller_opts_check(const struct snmp_poller_opts *o, char *err,
			   size_t errlen);

/* The credentials and port for the agent at addr: the longest agent rule
 * containing it, else the defaults. IPv4-mapped IPv6 matches IPv4
 * rules. */
void snmp_poller_opts_cred(const struct snmp_poller_opts *o,
			   const struct flow_addr *addr,
			   const struct snmp_cred **cred, uint16_t *port);

#endif
