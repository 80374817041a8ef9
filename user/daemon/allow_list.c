// SPDX-License-Identifier: Apache-2.0
/* CIDR allow-list of exporters: parsing (arguments and files) and a
 * linear prefix match. */
#include "daemon/allow_list.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

void allow_list_init(struct allow_list *l)
{
	l->n = 0;
}

static void mask_bits(uint8_t *b, unsigned len, unsigned bits)
{
	for (unsigned i = 0; i < len; i++) {
		if (bits >= 8 * (i + 1))
			continue;
		if (bits <= 8 * i)
			b[i] = 0;
		else
			b[i] &= (uint8_t)(0xff << (8 - (bits - 8 * i)));
	}
}

int allow_list_add(struct allow_list *l, const char *cidr)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(cidr, '/');
	size_t alen = slash ? (size_t)(slash - cidr) : strlen(cidr);
	struct allow_prefix p;
	unsigned bits = 0;

	memset(&p, 0, sizeof(p));
	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, cidr, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, p.b) == 1)
		p.len = 4;
	else if (inet_pton(AF_INET6, addr, p.b) == 1)
		p.len = 16;
	else
		return -EINVAL;

	if (slash) {
		const char *d = slash + 1;

		if (!*d || strlen(d) > 3)
			return -EINVAL;
		for (; *d; d++) {
			if (*d < '0' || *d > '9')
				return -EINVAL;
			bits = bits * 10 + (unsigned)(*d - '0');
		}
		if (bits > 8u * p.len)
			return -EINVAL;
	} else {
		bits = 8u * p.len;
	}
	p.bits = (uint8_t)bits;
	mask_bits(p.b, p.len, bits);
	if (l->n >= ALLOW_LIST_MAX)
		return -E2BIG;
	l->p[l->n++] = p;
	return 0;
}

int allow_list_load_file(struct allow_list *l, const char *path, char *err,
			 size_t errlen)
{
	char line[256];
	unsigned no = 0;
	int rc = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "could not read the allow-list %s: %s",
			 path, strerror(-rc));
		return rc;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		char *s = line, *e;
		size_t len = strlen(line);

		no++;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n' &&
		    !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, no);
			rc = -EINVAL;
			break;
		}
		e = strchr(s, '#');
		if (e)
			*e = '\0';
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*s)
			continue;
		rc = allow_list_add(l, s);
		if (rc == -E2BIG)
			snprintf(err, errlen, "%s:%u: more than %d prefixes",
				 path, no, ALLOW_LIST_MAX);
		else if (rc)
			snprintf(err, errlen,
				 "%s:%u: '%s' is not an IPv4 or IPv6 prefix",
				 path, no, s);
	}
	if (!rc && ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "could not read the allow-list %s: %s",
			 path, strerror(EIO));
	}
	fclose(f);
	return rc;
}

static bool prefix_match(const struct allow_prefix *p, const uint8_t *a)
{
	unsigned full = p->bits / 8, rest = p->bits % 8;

	if (memcmp(p->b, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return (a[full] & (uint8_t)(0xff << (8 - rest))) == p->b[full];
}

bool allow_list_match(const struct allow_list *l, const struct flow_addr *a)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0,	0,
					      0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *b = a->b;
	uint8_t len = a->len;

	if (l->n == 0)
		return true;
	if (len == 16 && memcmp(b, v4mapped, sizeof(v4mapped)) == 0) {
		b += 12;
		len = 4;
	}
	for (size_t i = 0; i < l->n; i++)
		if (l->p[i].len == len && prefix_match(&l->p[i], b))
			return true;
	return false;
}
