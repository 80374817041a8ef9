// SPDX-License-Identifier: Apache-2.0
/*
 * Parsing of the `snmp-*` config keys into struct snmp_poller_opts and the
 * per-prefix credential lookup (keys in snmp_opts.h).
 */
#include "enrich/snmp_opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_PASS 8 /* USM: pass phrases of 8 bytes at least */

void snmp_poller_opts_init(struct snmp_poller_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_ms = 300000;
	o->timeout_ms = 1000;
	o->retries = 1;
	o->port = 161;
	o->max_exporters = 1024;
	o->def.version = SNMP_V2C;
	snprintf(o->def.community, sizeof(o->def.community), "public");
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An unsigned decimal of at most max into *v. */
static int parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > max)
			return -EINVAL;
	}
	*v = x;
	return 0;
}

/* "N", "Nms", "Ns", "Nm", "Nh" into milliseconds in [min, max]. */
static int parse_ms(const char *key, const char *s, uint64_t min, uint64_t max,
		    uint64_t *ms, char *err, size_t errlen)
{
	char num[24];
	size_t n = strspn(s, "0123456789");
	const char *unit = s + n;
	uint64_t mul, v;

	if (n == 0 || n >= sizeof(num))
		goto bad;
	if (!*unit || !strcmp(unit, "s"))
		mul = 1000;
	else if (!strcmp(unit, "ms"))
		mul = 1;
	else if (!strcmp(unit, "m"))
		mul = 60000;
	else if (!strcmp(unit, "h"))
		mul = 3600000;
	else
		goto bad;
	memcpy(num, s, n);
	num[n] = 0;
	if (parse_uint(num, UINT64_MAX / 3600000, &v))
		goto bad;
	v *= mul;
	if (v < min || v > max)
		return fail(err, errlen,
			    "%s '%s' out of range (%llums to %llums)", key, s,
			    (unsigned long long)min, (unsigned long long)max);
	*ms = v;
	return 0;
bad:
	return fail(err, errlen,
		    "%s '%s' is not a duration (N, Nms, Ns, Nm or Nh)", key, s);
}

static int copy_str(const char *key, const char *v, char *dst, size_t size,
		    size_t min, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (n >= size)
		return fail(err, errlen, "%s longer than %zu bytes", key,
			    size - 1);
	if (n < min)
		return fail(err, errlen, "%s shorter than %zu bytes", key, min);
	memcpy(dst, v, n + 1);
	return 0;
}

static int parse_auth(const char *key, const char *v, enum snmp_auth *a,
		      char *err, size_t errlen)
{
	if (!strcmp(v, "sha"))
		*a = SNMP_AUTH_SHA;
	else if (!strcmp(v, "sha256"))
		*a = SNMP_AUTH_SHA256;
	else if (!strcmp(v, "none"))
		*a = SNMP_AUTH_NONE;
	else
		return fail(err, errlen, "%s '%s': not sha, sha256 or none",
			    key, v);
	return 0;
}

static int parse_priv(const char *key, const char *v, enum snmp_priv *p,
		      char *err, size_t errlen)
{
	if (!strcmp(v, "aes"))
		*p = SNMP_PRIV_AES;
	else if (!strcmp(v, "none"))
		*p = SNMP_PRIV_NONE;
	else
		return fail(err, errlen, "%s '%s': not aes or none", key, v);
	return 0;
}

/* Checks one set of credentials (where: how to name it in messages). */
static int check_cred(const struct snmp_cred *c, const char *where, char *err,
		      size_t errlen)
{
	if (c->version == SNMP_V2C)
		return c->community[0] ? 0
				       : fail(err, errlen,
					      "%s: empty community", where);
	if (!c->user[0])
		return fail(err, errlen, "%s: no v3 user", where);
	if (c->auth != SNMP_AUTH_NONE && strlen(c->auth_pass) < MIN_PASS)
		return fail(err, errlen,
			    "%s: v3 auth needs a pass phrase of %d bytes or "
			    "more",
			    where, MIN_PASS);
	if (c->auth == SNMP_AUTH_NONE && c->priv != SNMP_PRIV_NONE)
		return fail(err, errlen, "%s: v3 priv needs auth", where);
	if (c->priv != SNMP_PRIV_NONE && strlen(c->priv_pass) < MIN_PASS)
		return fail(err, errlen,
			    "%s: v3 priv needs a pass phrase of %d bytes or "
			    "more",
			    where, MIN_PASS);
	if (c->auth == SNMP_AUTH_NONE && c->auth_pass[0])
		return fail(err, errlen, "%s: an auth pass phrase without auth",
			    where);
	if (c->priv == SNMP_PRIV_NONE && c->priv_pass[0])
		return fail(err, errlen, "%s: a priv pass phrase without priv",
			    where);
	return 0;
}

/* "A" or "A/N" into a rule's prefix (host bits must be zero). */
static int parse_prefix(const char *s, struct snmp_agent_rule *r, char *err,
			size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 4];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t l;

	if (alen >= sizeof(buf))
		goto bad;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	memset(&r->prefix, 0, sizeof(r->prefix));
	if (inet_pton(AF_INET, buf, r->prefix.b) == 1)
		r->prefix.len = 4;
	else if (inet_pton(AF_INET6, buf, r->prefix.b) == 1)
		r->prefix.len = 16;
	else
		goto bad;
	l = r->prefix.len * 8u;
	if (slash && parse_uint(slash + 1, r->prefix.len * 8u, &l))
		goto bad;
	r->plen = (unsigned)l;
	for (unsigned bit = r->plen; bit < r->prefix.len * 8u; bit++)
		if (r->prefix.b[bit / 8] & (0x80 >> (bit % 8)))
			return fail(err, errlen,
				    "snmp-agent '%s': host bits set after "
				    "/%u",
				    s, r->plen);
	return 0;
bad:
	return fail(err, errlen, "snmp-agent '%s' is not an IP prefix", s);
}

/* `PREFIX tok=val...` into a new agent rule. */
static int parse_agent(struct snmp_poller_opts *o, const char *value, char *err,
		       size_t errlen)
{
	struct snmp_agent_rule r = { 0 };
	char buf[1024], *save = NULL, *tok;
	bool has_comm = false, has_user = false;
	int ret;

	if (o->n_agents == SNMP_MAX_AGENT_RULES)
		return fail(err, errlen, "more than %d snmp-agent lines",
			    SNMP_MAX_AGENT_RULES);
	if (strlen(value) >= sizeof(buf))
		return fail(err, errlen, "snmp-agent line too long");
	memcpy(buf, value, strlen(value) + 1);
	tok = strtok_r(buf, " \t", &save);
	if (!tok)
		return fail(err, errlen, "snmp-agent needs PREFIX CREDENTIALS");
	ret = parse_prefix(tok, &r, err, errlen);
	if (ret)
		return ret;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(tok, '=');
		const char *k = tok, *v;
		uint64_t port;

		if (!eq)
			return fail(err, errlen,
				    "snmp-agent: '%s' is not key=value", tok);
		*eq = 0;
		v = eq + 1;
		if (!strcmp(k, "community")) {
			ret = copy_str("community", v, r.cred.community,
				       sizeof(r.cred.community), 1, err,
				       errlen);
			has_comm = true;
		} else if (!strcmp(k, "user")) {
			ret = copy_str("user", v, r.cred.user,
				       sizeof(r.cred.user), 1, err, errlen);
			has_user = true;
		} else if (!strcmp(k, "auth")) {
			ret = parse_auth("auth", v, &r.cred.auth, err, errlen);
		} else if (!strcmp(k, "auth-pass")) {
			ret = copy_str("auth-pass", v, r.cred.auth_pass,
				       sizeof(r.cred.auth_pass), 0, err,
				       errlen);
		} else if (!strcmp(k, "priv")) {
			ret = parse_priv("priv", v, &r.cred.priv, err, errlen);
		} else if (!strcmp(k, "priv-pass")) {
			ret = copy_str("priv-pass", v, r.cred.priv_pass,
				       sizeof(r.cred.priv_pass), 0, err,
				       errlen);
		} else if (!strcmp(k, "port")) {
			if (parse_uint(v, 65535, &port) || port == 0)
				return fail(err, errlen,
					    "snmp-agent: port '%s' is not "
					    "1..65535",
					    v);
			r.port = (uint16_t)port;
		} else {
			return fail(err, errlen,
				    "snmp-agent: unknown '%s' (community, "
				    "user, auth, auth-pass, priv, priv-pass, "
				    "port)",
				    k);
		}
		if (ret)
			return ret;
	}
	if (has_comm == has_user)
		return fail(err, errlen,
			    "snmp-agent %s: give community= (v2c) or user= "
			    "(v3), one of them",
			    value);
	r.cred.version = has_user ? SNMP_V3 : SNMP_V2C;
	ret = check_cred(&r.cred, "snmp-agent", err, errlen);
	if (ret)
		return ret;
	for (size_t i = 0; i < o->n_agents; i++)
		if (o->agents[i].plen == r.plen &&
		    o->agents[i].prefix.len == r.prefix.len &&
		    !memcmp(o->agents[i].prefix.b, r.prefix.b, r.prefix.len))
			return fail(err, errlen,
				    "snmp-agent: prefix %s given twice", buf);
	o->agents[o->n_agents++] = r;
	return 0;
}

int snmp_poller_opts_set(struct snmp_poller_opts *o, const char *key,
			 const char *value, char *err, size_t errlen)
{
	uint64_t v;
	int ret = 0;

	if (strncmp(key, "snmp-", 5))
		return -ENOENT;
	if (!strcmp(key, "snmp-poll")) {
		if (!strcmp(value, "on"))
			o->enabled = true;
		else if (!strcmp(value, "off"))
			o->enabled = false;
		else
			return fail(err, errlen,
				    "snmp-poll '%s': not on or off", value);
		return 0;
	}
	if (!strcmp(key, "snmp-poll-interval")) {
		ret = parse_ms(key, value, 1000, 86400000, &o->interval_ms, err,
			       errlen);
	} else if (!strcmp(key, "snmp-timeout")) {
		ret = parse_ms(key, value, 10, 60000, &v, err, errlen);
		o->timeout_ms = (unsigned)v;
	} else if (!strcmp(key, "snmp-retries")) {
		if (parse_uint(value, 5, &v))
			return fail(err, errlen,
				    "snmp-retries '%s' is not 0..5", value);
		o->retries = (unsigned)v;
	} else if (!strcmp(key, "snmp-port")) {
		if (parse_uint(value, 65535, &v) || v == 0)
			return fail(err, errlen,
				    "snmp-port '%s' is not 1..65535", value);
		o->port = (uint16_t)v;
	} else if (!strcmp(key, "snmp-max-exporters")) {
		if (parse_uint(value, 65536, &v) || v == 0)
			return fail(err, errlen,
				    "snmp-max-exporters '%s' is not 1..65536",
				    value);
		o->max_exporters = (unsigned)v;
	} else if (!strcmp(key, "snmp-community")) {
		ret = copy_str(key, value, o->def.community,
			       sizeof(o->def.community), 1, err, errlen);
	} else if (!strcmp(key, "snmp-v3-user")) {
		ret = copy_str(key, value, o->def.user, sizeof(o->def.user), 1,
			       err, errlen);
		o->def.version = SNMP_V3;
	} else if (!strcmp(key, "snmp-v3-auth")) {
		ret = parse_auth(key, value, &o->def.auth, err, errlen);
	} else if (!strcmp(key, "snmp-v3-auth-pass")) {
		ret = copy_str(key, value, o->def.auth_pass,
			       sizeof(o->def.auth_pass), 0, err, errlen);
	} else if (!strcmp(key, "snmp-v3-priv")) {
		ret = parse_priv(key, value, &o->def.priv, err, errlen);
	} else if (!strcmp(key, "snmp-v3-priv-pass")) {
		ret = copy_str(key, value, o->def.priv_pass,
			       sizeof(o->def.priv_pass), 0, err, errlen);
	} else if (!strcmp(key, "snmp-agent")) {
		ret = parse_agent(o, value, err, errlen);
	} else {
		return -ENOENT;
	}
	if (!ret)
		o->any_key = true;
	return ret;
}

int snmp_poller_opts_check(const struct snmp_poller_opts *o, char *err,
			   size_t errlen)
{
	if (!o->enabled)
		return o->any_key ? fail(err, errlen,
					 "snmp- keys given but snmp-poll is "
					 "not on")
				  : 0;
	if (o->def.version == SNMP_V2C &&
	    (o->def.auth || o->def.priv || o->def.auth_pass[0] ||
	     o->def.priv_pass[0]))
		return fail(err, errlen, "snmp-v3-* keys need snmp-v3-user");
	return check_cred(&o->def, "default credentials", err, errlen);
}

/* Whether a (4 or 16 bytes, IPv4-mapped folded to 4) is in rule r. */
static bool rule_has(const struct snmp_agent_rule *r, const uint8_t *a,
		     unsigned alen)
{
	unsigned full = r->plen / 8, rest = r->plen % 8;

	if (r->prefix.len != alen)
		return false;
	if (memcmp(r->prefix.b, a, full))
		return false;
	return !rest ||
	       !((r->prefix.b[full] ^ a[full]) & ((0xff00 >> rest) & 0xff));
}

void snmp_poller_opts_cred(const struct snmp_poller_opts *o,
			   const struct flow_addr *addr,
			   const struct snmp_cred **cred, uint16_t *port)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct snmp_agent_rule *best = NULL;
	const uint8_t *a = addr->b;
	unsigned alen = addr->len;

	if (alen == 16 && !memcmp(a, mapped, 12)) {
		a += 12;
		alen = 4;
	}
	for (size_t i = 0; i < o->n_agents; i++)
		if (rule_has(&o->agents[i], a, alen) &&
		    (!best || o->agents[i].plen > best->plen))
			best = &o->agents[i];
	*cred = best ? &best->cred : &o->def;
	*port = best && best->port ? best->port : o->port;
}
