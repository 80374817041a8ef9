// SPDX-License-Identifier: Apache-2.0
/* Parsing and formatting of listen URIs (see listen_uri.h). */
#include "daemon/listen_uri.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	enum decode_hint hint;
} schemes[] = {
	{ "netflow", DECODE_NETFLOW },
	{ "sflow", DECODE_SFLOW },
	{ "flow", DECODE_ANY },
};

const char *listen_uri_scheme(enum decode_hint hint)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (schemes[i].hint == hint)
			return schemes[i].name;
	return "?";
}

/* Decimal digits only (no sign, no spaces) in [lo, hi]. */
static int parse_dec(const char *s, size_t len, unsigned long lo,
		     unsigned long hi, unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 10)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < lo || v > hi)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_query(const char *q, struct listen_uri *u, const char *s,
		       char *err, size_t errlen)
{
	for (;;) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		unsigned long v;

		if (len == 0) {
			snprintf(err, errlen,
				 "bad listen URI '%s': empty parameter", s);
			return -EINVAL;
		}
		if (len > 6 && strncmp(q, "count=", 6) == 0) {
			if (parse_dec(q + 6, len - 6, 1, LISTEN_MAX_COUNT,
				      &v)) {
				snprintf(err, errlen,
					 "bad listen URI '%s': count must be 1..%d",
					 s, LISTEN_MAX_COUNT);
				return -EINVAL;
			}
			u->count = (unsigned)v;
		} else {
			snprintf(err, errlen,
				 "bad listen URI '%s': unknown parameter '%.*s' (only count=N)",
				 s, (int)len, q);
			return -EINVAL;
		}
		if (!amp)
			break;
		q = amp + 1;
	}
	return 0;
}

int listen_uri_parse(const char *s, struct listen_uri *out, char *err,
		     size_t errlen)
{
	struct listen_uri u;
	const char *sep, *host, *host_end, *port, *port_end;
	char hostbuf[INET6_ADDRSTRLEN + 1];
	size_t hlen;
	unsigned long portv;
	size_t i;

	memset(&u, 0, sizeof(u));
	sep = strstr(s, "://");
	if (!sep) {
		snprintf(err, errlen,
			 "bad listen URI '%s': expected SCHEME://ADDR:PORT", s);
		return -EINVAL;
	}
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strlen(schemes[i].name) == (size_t)(sep - s) &&
		    strncmp(s, schemes[i].name, (size_t)(sep - s)) == 0)
			break;
	if (sep - s == 3 &&
	    (strncmp(s, "tcp", 3) == 0 || strncmp(s, "tls", 3) == 0)) {
		u.tcp = 1;
		u.tls = s[1] == 'l';
		u.hint = DECODE_NETFLOW;
	} else if (i == sizeof(schemes) / sizeof(schemes[0])) {
		snprintf(err, errlen,
			 "bad listen URI '%s': scheme must be netflow, sflow, flow, tcp or tls",
			 s);
		return -EINVAL;
	} else {
		u.hint = schemes[i].hint;
	}

	host = sep + 3;
	if (*host == '[') {
		host_end = strchr(host, ']');
		if (!host_end) {
			snprintf(err, errlen,
				 "bad listen URI '%s': missing ']'", s);
			return -EINVAL;
		}
		port = host_end + 1;
		host++;
	} else {
		host_end = strchr(host, ':');
		if (!host_end) {
			snprintf(err, errlen,
				 "bad listen URI '%s': missing ':PORT'", s);
			return -EINVAL;
		}
		port = host_end;
	}
	if (*port != ':') {
		snprintf(err, errlen, "bad listen URI '%s': missing ':PORT'",
			 s);
		return -EINVAL;
	}
	port++;
	port_end = port + strcspn(port, "?/");
	if (*port_end == '/') {
		snprintf(err, errlen, "bad listen URI '%s': unexpected path",
			 s);
		return -EINVAL;
	}
	if (parse_dec(port, (size_t)(port_end - port), 1, 65535, &portv)) {
		snprintf(err, errlen,
			 "bad listen URI '%s': port must be a number 1..65535",
			 s);
		return -EINVAL;
	}
	u.port = (uint16_t)portv;
	if (*port_end == '?' && parse_query(port_end + 1, &u, s, err, errlen))
		return -EINVAL;
	if (u.tcp && u.count) {
		snprintf(err, errlen,
			 "bad listen URI '%s': count is for UDP listeners (%s:// has one socket)",
			 s, u.tls ? "tls" : "tcp");
		return -EINVAL;
	}

	hlen = (size_t)(host_end - host);
	if (hlen >= sizeof(hostbuf)) {
		snprintf(err, errlen, "bad listen URI '%s': address too long",
			 s);
		return -EINVAL;
	}
	memcpy(hostbuf, host, hlen);
	hostbuf[hlen] = '\0';

	if (hlen == 0 && host[-1] != '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&u.addr;

		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_any;
		a6->sin6_port = htons(u.port);
		u.addrlen = sizeof(*a6);
		u.any = 1;
	} else if (host[-1] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&u.addr;

		if (inet_pton(AF_INET6, hostbuf, &a6->sin6_addr) != 1) {
			snprintf(err, errlen,
				 "bad listen URI '%s': '%s' is not an IPv6 address",
				 s, hostbuf);
			return -EINVAL;
		}
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(u.port);
		u.addrlen = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&u.addr;

		if (inet_pton(AF_INET, hostbuf, &a4->sin_addr) != 1) {
			snprintf(err, errlen,
				 "bad listen URI '%s': '%s' is not an IPv4 address (IPv6 goes in brackets)",
				 s, hostbuf);
			return -EINVAL;
		}
		a4->sin_family = AF_INET;
		a4->sin_port = htons(u.port);
		u.addrlen = sizeof(*a4);
	}
	*out = u;
	return 0;
}

int listen_uri_parse_list(const char *s, struct listen_uri *arr, size_t cap,
			  size_t *n, char *err, size_t errlen)
{
	char one[256];

	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		if (len == 0) {
			snprintf(err, errlen, "empty listen URI in list");
			return -EINVAL;
		}
		if (len >= sizeof(one)) {
			snprintf(err, errlen, "listen URI '%.40s...' too long",
				 s);
			return -EINVAL;
		}
		memcpy(one, s, len);
		one[len] = '\0';
		if (*n >= cap) {
			snprintf(err, errlen,
				 "too many listen URIs (at most %zu)", cap);
			return -E2BIG;
		}
		if (listen_uri_parse(one, &arr[*n], err, errlen))
			return -EINVAL;
		(*n)++;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

const char *listen_uri_str(const struct listen_uri *u, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "";
	char count[24] = "";
	const char *scheme = u->tls   ? "tls"
			     : u->tcp ? "tcp"
				      : listen_uri_scheme(u->hint);

	if (u->count)
		snprintf(count, sizeof(count), "?count=%u", u->count);
	if (u->any) {
		snprintf(buf, len, "%s://:%u%s", scheme, u->port, count);
	} else if (u->addr.ss_family == AF_INET6) {
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)&u->addr)->sin6_addr,
			  host, sizeof(host));
		snprintf(buf, len, "%s://[%s]:%u%s", scheme, host, u->port,
			 count);
	} else {
		inet_ntop(AF_INET,
			  &((const struct sockaddr_in *)&u->addr)->sin_addr,
			  host, sizeof(host));
		snprintf(buf, len, "%s://%s:%u%s", scheme, host, u->port,
			 count);
	}
	return buf;
}
