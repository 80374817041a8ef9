// SPDX-License-Identifier: Apache-2.0
/*
 * The enrich config parser (contract in enrich_config.h): `key = value`
 * lines into paths resolved against the config's folder, the AS number
 * policy, and the snmp-* lines kept verbatim for the SNMP poller.
 */
#include "enrich/enrich_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enrich/csv.h"

static const char *const src_keys[ENRICH_CONF_SRC_MAX] = {
	[ENRICH_CONF_NETWORKS] = "networks",
	[ENRICH_CONF_ASN_DB] = "asn-database",
	[ENRICH_CONF_COUNTRY_DB] = "country-database",
	[ENRICH_CONF_INTERFACES] = "interfaces",
	[ENRICH_CONF_EXPORTERS] = "exporters",
};

const char *enrich_config_src_key(enum enrich_config_src s)
{
	return src_keys[s];
}

/* Parser state: where we are, for messages, and what was seen. */
struct parse {
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	unsigned seen_providers, seen_override, seen_private, seen_exp_max;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse *p,
						      const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, p->line);

	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int parse_bool(struct parse *p, const char *key, const char *v, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return fail(p, "%s: '%s' is not a boolean (true or false)", key, v);
}

static int parse_providers(struct parse *p, const char *v,
			   struct enricher_asn_policy *pol)
{
	static const char *const names[] = { "flow", "geoip", "networks" };
	const char *s = v;

	pol->n = 0;
	for (;;) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		int found = -1;

		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		for (int i = 0; i < 3; i++)
			if (strlen(names[i]) == len &&
			    !strncmp(s, names[i], len))
				found = i;
		if (found < 0)
			return fail(p,
				    "asn-providers: '%.*s' is not a provider "
				    "(flow, geoip or networks)",
				    (int)len, s);
		for (unsigned i = 0; i < pol->n; i++)
			if (pol->order[i] == (enum enricher_asn_provider)found)
				return fail(p, "asn-providers: %s given twice",
					    names[found]);
		pol->order[pol->n++] = (enum enricher_asn_provider)found;
		if (!end)
			return 0;
		s = end + 1;
	}
}

/* path resolved against the folder of the config `name`; NULL: no
 * memory. */
static char *resolve(const char *name, const char *path)
{
	const char *slash = strrchr(name, '/');
	char *out;

	if (path[0] == '/' || !slash)
		return strdup(path);
	if (asprintf(&out, "%.*s/%s", (int)(slash - name), name, path) < 0)
		return NULL;
	return out;
}

static int add_snmp(struct parse *p, struct enrich_config *c, const char *key,
		    const char *value)
{
	struct enricher_setting *s;

	/* snmp-agent is the one repeatable key (one per prefix). */
	for (size_t i = 0; i < c->n_snmp && strcmp(key, "snmp-agent"); i++)
		if (!strcmp(c->snmp[i].key, key))
			return fail(p, "%s given twice (first on line %u)", key,
				    c->snmp[i].line);
	s = realloc(c->snmp, (c->n_snmp + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	c->snmp = s;
	s = &c->snmp[c->n_snmp];
	s->key = strdup(key);
	s->value = strdup(value);
	s->file = c->path;
	s->line = p->line;
	if (!s->key || !s->value) {
		free((char *)s->key);
		free((char *)s->value);
		return -ENOMEM;
	}
	c->n_snmp++;
	return 0;
}

static int take(struct parse *p, struct enrich_config *c, const char *key,
		const char *value)
{
	for (int s = 0; s < ENRICH_CONF_SRC_MAX; s++) {
		if (strcmp(key, src_keys[s]))
			continue;
		if (c->src[s])
			return fail(p, "%s given twice (first on line %u)", key,
				    c->src_line[s]);
		if (!*value)
			return fail(p, "%s: empty path", key);
		c->src[s] = resolve(p->name, value);
		if (!c->src[s])
			return -ENOMEM;
		c->src_line[s] = p->line;
		return 0;
	}
	if (!strcmp(key, "asn-providers")) {
		if (p->seen_providers)
			return fail(p, "%s given twice (first on line %u)", key,
				    p->seen_providers);
		p->seen_providers = p->line;
		return parse_providers(p, value, &c->asn);
	}
	if (!strcmp(key, "asn-override")) {
		if (p->seen_override)
			return fail(p, "%s given twice (first on line %u)", key,
				    p->seen_override);
		p->seen_override = p->line;
		return parse_bool(p, key, value, &c->asn.override);
	}
	if (!strcmp(key, "private-asn-absent")) {
		if (p->seen_private)
			return fail(p, "%s given twice (first on line %u)", key,
				    p->seen_private);
		p->seen_private = p->line;
		return parse_bool(p, key, value, &c->asn.private_absent);
	}
	if (!strcmp(key, "exporters-max")) {
		char *end;
		unsigned long v;

		if (p->seen_exp_max)
			return fail(p, "%s given twice (first on line %u)", key,
				    p->seen_exp_max);
		p->seen_exp_max = p->line;
		errno = 0;
		v = strtoul(value, &end, 10);
		if (errno || end == value || *end || *value == '-' || !v ||
		    v > ENRICH_CONF_EXPORTERS_MAX)
			return fail(p, "exporters-max '%s' is not 1..%u", value,
				    ENRICH_CONF_EXPORTERS_MAX);
		c->exporters_max = (unsigned)v;
		return 0;
	}
	if (!strncmp(key, "snmp-", 5) && key[5])
		return add_snmp(p, c, key, value);
	return fail(p, "unknown key '%s'", key);
}

static int is_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

/* One line (NUL-terminated, no newline, modified in place). */
static int parse_line(struct parse *p, struct enrich_config *c, char *s)
{
	char *eq, *end, *value;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s &&
	       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	if (!*s || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (!eq)
		return fail(p, "expected 'key = value'");
	value = eq + 1;
	while (eq > s && (eq[-1] == ' ' || eq[-1] == '\t'))
		eq--;
	*eq = '\0';
	while (*value == ' ' || *value == '\t')
		value++;
	if (!*s)
		return fail(p, "missing key before '='");
	for (const char *k = s; *k; k++)
		if (!is_key_char(*k))
			return fail(p, "bad key '%s'", s);
	return take(p, c, s, value);
}

void enrich_config_free(struct enrich_config *c)
{
	for (int s = 0; s < ENRICH_CONF_SRC_MAX; s++)
		free(c->src[s]);
	for (size_t i = 0; i < c->n_snmp; i++) {
		free((char *)c->snmp[i].key);
		free((char *)c->snmp[i].value);
	}
	free(c->snmp);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

int enrich_config_parse(const char *buf, size_t len, const char *name,
			struct enrich_config *c, char *err, size_t errlen)
{
	struct parse p = { .name = name, .err = err, .errlen = errlen };
	char *line = malloc(len + 1);
	size_t at = 0;
	int ret = 0, any = 0;

	memset(c, 0, sizeof(*c));
	c->path = strdup(name);
	if (!line || !c->path) {
		ret = -ENOMEM;
		goto out;
	}
	c->exporters_max = ENRICH_CONF_EXPORTERS_DEFAULT;
	c->asn = (struct enricher_asn_policy){
		.order = { ENRICHER_ASN_FLOW, ENRICHER_ASN_GEOIP,
			   ENRICHER_ASN_NETWORKS },
		.n = 3,
	};
	while (at < len && !ret) {
		const char *nl = memchr(buf + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (buf + at)) : len - at;

		p.line++;
		memcpy(line, buf + at, n);
		line[n] = '\0';
		if (memchr(buf + at, '\0', n))
			ret = fail(&p, "NUL byte in line");
		else
			ret = parse_line(&p, c, line);
		at += n + 1;
	}
	if (ret)
		goto out;
	for (int s = 0; s < ENRICH_CONF_SRC_MAX; s++)
		any |= c->src[s] != NULL;
	if (!any && !c->n_snmp) {
		snprintf(err, errlen,
			 "%s: no source (networks, asn-database, "
			 "country-database, interfaces, exporters or snmp-*)",
			 name);
		ret = -EINVAL;
	} else if (p.seen_exp_max && !c->src[ENRICH_CONF_NETWORKS] &&
		   !c->src[ENRICH_CONF_EXPORTERS] && !c->n_snmp) {
		p.line = p.seen_exp_max;
		ret = fail(&p,
			   "exporters-max: no exporter is classified "
			   "(no networks, exporters or snmp-* key)");
	}
out:
	free(line);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", name);
	if (ret)
		enrich_config_free(c);
	return ret;
}

int enrich_config_load(const char *path, struct enrich_config *c, char *err,
		       size_t errlen)
{
	char *buf;
	size_t len;
	int ret = csv_read_file(path, &buf, &len, err, errlen);

	if (ret)
		return ret;
	ret = enrich_config_parse(buf, len, path, c, err, errlen);
	free(buf);
	return ret;
}
