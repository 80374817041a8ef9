// SPDX-License-Identifier: Apache-2.0
/*
 * --templates-file persistence: every NetFlow v9/IPFIX template (options
 * templates included) and learnt sampler state of one or more decode
 * contexts, saved to one binary file (written to PATH.tmp, then renamed) and
 * loaded back at start. Format, all integers big-endian:
 *   "XFNFTPL\n" magic, u32 format version (1), u32 template count,
 *   u32 sampler count; templates: key, u8 options, u16 scope count,
 *   u16 field count, fields (u32 pen, u16 element, u16 length); samplers:
 *   key, u64 rate, u64 sysinit ms, u8 explicit; then a CRC-32 of all that.
 *   A key is 16 address bytes, u8 address length, u8 version, u16 template
 *   id, u32 domain, u32 sampler id.
 * The file is hostile input too: it is checked entirely before anything is
 * loaded, and a bad one loads nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bytes.h"
#include "decode/nf_compile.h"
#include "decode/nf_persist.h"
#include "decode/nf_state.h"

#define NFP_MAGIC "XFNFTPL\n"
#define NFP_VERSION 1
#define NFP_HDR_LEN 20
#define NFP_KEY_LEN 28
#define NFP_MAX_FILE (256u << 20)

uint32_t nf_persist_crc32(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

struct nfp_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
	uint32_t ntmpl, nsamp;
};

static void put(struct nfp_buf *b, const void *v, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void put8(struct nfp_buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put16(struct nfp_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(b, x, 2);
}

static void put32(struct nfp_buf *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b, (uint16_t)v);
}

static void put64(struct nfp_buf *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b, (uint32_t)v);
}

static void put_key(struct nfp_buf *b, const struct nf_key *k)
{
	put(b, k->addr, 16);
	put8(b, k->alen);
	put8(b, k->ver);
	put16(b, k->tid);
	put32(b, k->domain);
	put32(b, k->sampler);
}

static void save_tmpl(const struct nf_tmpl *t, void *arg)
{
	struct nfp_buf *b = arg;

	put_key(b, &t->node.key);
	put8(b, t->options);
	put16(b, t->nscope);
	put16(b, t->nfields);
	for (uint16_t i = 0; i < t->nfields; i++) {
		put32(b, t->fields[i].pen);
		put16(b, t->fields[i].ie);
		put16(b, t->fields[i].len);
	}
	b->ntmpl++;
}

static void save_sampler(const struct nf_sampler *s, void *arg)
{
	struct nfp_buf *b = arg;

	put_key(b, &s->node.key);
	put64(b, s->rate);
	put64(b, s->sysinit_ms);
	put8(b, s->explicit_rate);
	b->nsamp++;
}

static int write_all(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -errno;
	if (fwrite(p, 1, n, f) != n || fflush(f) || fsync(fileno(f)))
		rc = -(errno ? errno : EIO);
	if (fclose(f) && !rc)
		rc = -errno;
	return rc;
}

int nf_persist_save(const struct nf_state *const *nfs, size_t n,
		    const char *path)
{
	struct nfp_buf b = { 0 };
	char tmp[4096];
	uint32_t crc;
	int rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	put(&b, NFP_MAGIC, 8);
	put32(&b, NFP_VERSION);
	put32(&b, 0); /* counts, patched below */
	put32(&b, 0);
	for (size_t i = 0; i < n; i++)
		nf_state_foreach_tmpl(nfs[i], save_tmpl, &b);
	for (size_t i = 0; i < n; i++)
		nf_state_foreach_sampler(nfs[i], save_sampler, &b);
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	for (int i = 0; i < 4; i++) {
		b.p[12 + i] = (uint8_t)(b.ntmpl >> (24 - 8 * i));
		b.p[16 + i] = (uint8_t)(b.nsamp >> (24 - 8 * i));
	}
	crc = nf_persist_crc32(b.p, b.len);
	put32(&b, crc);
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	rc = write_all(tmp, b.p, b.len);
	free(b.p);
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static bool get_key(struct cur *c, struct nf_key *k)
{
	const uint8_t *a = cur_take(c, 16);

	memset(k, 0, sizeof(*k));
	if (a)
		memcpy(k->addr, a, 16);
	k->alen = cur_u8(c);
	k->ver = cur_u8(c);
	k->tid = cur_be16(c);
	k->domain = cur_be32(c);
	k->sampler = cur_be32(c);
	if (c->bad || (k->alen != 0 && k->alen != 4 && k->alen != 16) ||
	    (k->ver != 9 && k->ver != 10))
		return false;
	for (unsigned i = k->alen; i < 16; i++)
		if (k->addr[i])
			return false;
	return true;
}

/* One pass over the records; apply = false only checks. */
static int parse(struct nf_state *nf, struct exporter_stats *es, struct cur c,
		 uint32_t ntmpl, uint32_t nsamp, bool apply)
{
	struct nf_field fields[NF_MAX_FIELDS];

	for (uint32_t i = 0; i < ntmpl; i++) {
		struct nf_key k;
		uint8_t options;
		uint16_t nscope, nfields;
		const char *why;

		if (!get_key(&c, &k) || k.tid < 256 || k.sampler)
			return -EINVAL;
		options = cur_u8(&c);
		nscope = cur_be16(&c);
		nfields = cur_be16(&c);
		if (c.bad || options > 1 || nfields > NF_MAX_FIELDS)
			return -EINVAL;
		for (uint16_t f = 0; f < nfields; f++) {
			fields[f].pen = cur_be32(&c);
			fields[f].ie = cur_be16(&c);
			fields[f].len = cur_be16(&c);
			if (fields[f].ie & 0x8000)
				return -EINVAL;
		}
		if (c.bad ||
		    nf_compile_check(k.ver, nscope, fields, nfields, &why))
			return -EINVAL;
		if (apply && nf_compile_learn(nf, es, &k, options, nscope,
					      fields, nfields) < 0)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < nsamp; i++) {
		struct nf_key k;
		struct nf_sampler *s;
		uint64_t rate, init;
		uint8_t expl;

		if (!get_key(&c, &k) || (k.tid && k.tid != NF_SAMPLER_IF))
			return -EINVAL;
		rate = cur_be64(&c);
		init = cur_be64(&c);
		expl = cur_u8(&c);
		if (c.bad || expl > 1)
			return -EINVAL;
		if (!apply)
			continue;
		s = nf_state_sampler(nf, &k, true);
		if (!s)
			return -ENOMEM;
		s->rate = rate;
		s->sysinit_ms = init;
		s->explicit_rate = expl;
		if (k.tid == NF_SAMPLER_IF) {
			k.tid = 0;
			k.sampler = 0;
			s = nf_state_sampler(nf, &k, true);
			if (!s)
				return -ENOMEM;
			s->if_rates = true;
		}
	}
	return c.left == 0 ? 0 : -EINVAL;
}

int nf_persist_load_buf(struct nf_state *nf, const uint8_t *buf, size_t len)
{
	/* Errors are not per exporter here; the file was checked first. */
	struct exporter_stats scratch = { 0 };
	uint32_t ntmpl, nsamp;
	struct cur c;
	bool was_dirty;
	int rc;

	if (len < NFP_HDR_LEN + 4 || memcmp(buf, NFP_MAGIC, 8) ||
	    be32_at(buf + 8) != NFP_VERSION ||
	    be32_at(buf + len - 4) != nf_persist_crc32(buf, len - 4))
		return -EINVAL;
	ntmpl = be32_at(buf + 12);
	nsamp = be32_at(buf + 16);
	c = cur_make(buf + NFP_HDR_LEN, len - NFP_HDR_LEN - 4);
	rc = parse(nf, &scratch, c, ntmpl, nsamp, false);
	if (rc)
		return rc;
	/* Loading is not a change to save again. */
	was_dirty = nf_state_dirty(nf);
	rc = parse(nf, &scratch, c, ntmpl, nsamp, true);
	nf_state_dirty(nf);
	if (was_dirty)
		nf_state_touch(nf);
	return rc;
}

int nf_persist_load(struct nf_state *nf, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;
	int rc;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    (unsigned long)size > NFP_MAX_FILE || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EINVAL;
	}
	buf = malloc(size ? (size_t)size : 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(buf, 1, (size_t)size, f) != (size_t)size)
		rc = -EINVAL;
	else
		rc = nf_persist_load_buf(nf, buf, (size_t)size);
	fclose(f);
	free(buf);
	return rc;
}
