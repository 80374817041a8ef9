/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One SNMP poll of one agent with net-snmp: sysName (GET) and the IF-MIB
 * columns ifName, ifAlias and ifHighSpeed (each walked with GETBULK), over
 * SNMP v2c (community) or v3 (USM: auth SHA or SHA-256, priv AES). An
 * agent without the ifXTable (older devices: the ifName walk, or the
 * ifHighSpeed walk, finds nothing) is asked the ifTable's ifDescr for the
 * names, or ifSpeed for the speeds (bit/s; its saturated 2^32-1 means
 * "faster than 4.29 Gbit/s", unknown here).
 *
 * This is the only file that includes net-snmp. libnetsnmp keeps global
 * state (init_snmp: the USM user and engine tables, its transports, its
 * log handlers, its default store), so this module initializes it once
 * (pthread_once) with its configuration files, persistent state and MIB
 * loading turned off, routes its log to pr_debug, and runs one poll at a
 * time (a lock): callers on several threads are serialized. It never
 * calls snmp_shutdown (which would write persistent state); the state goes
 * with the process.
 *
 * Replies are network input: strings are cut to SNMP_CLIENT_STR_MAX
 * bytes, bytes that are not printable UTF-8 become '?', values of an
 * unexpected type are ignored, ifIndex 0 or above 2^31-1 is skipped, a
 * walk that does not advance fails, and every walk is bounded
 * (max_ifs entries, SNMP_CLIENT_MAX_REQUESTS requests).
 */
#ifndef XDPFLOW_ENRICH_SNMP_CLIENT_H
#define XDPFLOW_ENRICH_SNMP_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

#define SNMP_CLIENT_STR_MAX 255
#define SNMP_CLIENT_MAX_REQUESTS 4096
/* Longest community, user name or pass phrase accepted. */
#define SNMP_CRED_MAX 128

enum snmp_version { SNMP_V2C = 0, SNMP_V3 };
enum snmp_auth { SNMP_AUTH_NONE = 0, SNMP_AUTH_SHA, SNMP_AUTH_SHA256 };
enum snmp_priv { SNMP_PRIV_NONE = 0, SNMP_PRIV_AES };

/* How to talk to one agent. */
struct snmp_cred {
	enum snmp_version version;
	char community[SNMP_CRED_MAX + 1]; /* v2c */
	char user[SNMP_CRED_MAX + 1];	   /* v3 */
	enum snmp_auth auth;
	char auth_pass[SNMP_CRED_MAX + 1];
	enum snmp_priv priv;
	char priv_pass[SNMP_CRED_MAX + 1];
};

/* One interface as polled; strings NULL when the agent gave none. */
struct snmp_if {
	uint32_t ifindex;
	char *name;	    /* ifName (ifDescr without an ifXTable) */
	char *alias;	    /* ifAlias */
	uint64_t speed_bps; /* ifHighSpeed * 10^6 (or ifSpeed); 0: unknown */
};

/* What one poll of an agent found; ifs sorted by ifindex. */
struct snmp_device {
	char *sysname; /* NULL: none */
	struct snmp_if *ifs;
	size_t n;
};

/* Where and how to poll. */
struct snmp_target {
	struct flow_addr addr; /* IPv4, IPv6 or IPv4-mapped IPv6 */
	uint16_t port;
	const struct snmp_cred *cred;
	unsigned timeout_ms; /* per request */
	unsigned retries;    /* per request */
	size_t max_ifs;	     /* interfaces kept at most */
	/* Checked between requests: when true, the poll stops (-ECANCELED).
	 * NULL: never. */
	const atomic_bool *stop;
};

/* Polls t into *out (cleared first; the caller frees it with
 * snmp_device_clear, on failure too). 0; -ETIMEDOUT (no answer in
 * timeout_ms * (retries + 1): the agent is down, or a v2c community is
 * wrong, which agents do not answer); -EACCES (v3 authentication or
 * privacy refused: unknown user, wrong pass phrase); -EPROTO (a reply
 * that is an error or breaks the walk rules); -ECANCELED; -EINVAL (bad
 * credentials, e.g. a v3 pass phrase under 8 bytes); -ENOMEM; -EIO (other
 * net-snmp failures). err receives a one-line reason. */
int snmp_client_poll(const struct snmp_target *t, struct snmp_device *out,
		     char *err, size_t errlen);

/* Frees what *d holds and zeroes it. */
void snmp_device_clear(struct snmp_device *d);

/* Copies len bytes of an SNMP string into a new NUL-terminated string of
 * at most SNMP_CLIENT_STR_MAX bytes: trailing NULs dropped, every byte
 * that is not part of printable UTF-8 (controls, NUL, invalid or
 * overlong sequences) replaced by '?'. NULL when nothing is left (empty)
 * or out of memory (*nomem set). Exposed for the unit test. */
char *snmp_client_clean_str(const uint8_t *s, size_t len, bool *nomem);

#endif
