// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the NetFlow v9/IPFIX state (user/decode/nf_state.c,
 * nf_persist.c): LRU eviction of templates, held-set bounds and expiry,
 * the dirty flag, templates file save/load round trip, corrupt-file
 * rejection, and memory staying bounded under a template flood. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "decode/decode.h"
#include "nf_build.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNIT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNIT_ASAN 1
#endif
#endif

#ifdef UNIT_ASAN
/* ASan keeps freed memory in a quarantine (256 MiB by default), which
 * would make the RSS bound below measure ASan, not us. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=4";
}
#endif

#define EXPORT 1700000000u
#define BASE_NS (EXPORT * 1000000000ULL)

static void ipfix_hdr(struct pb *p, uint32_t dom)
{
	p->n = 0;
	pb_u16(p, 10);
	pb_u16(p, 0);
	pb_u32(p, EXPORT);
	pb_u32(p, 1);
	pb_u32(p, dom);
}

/* A NetFlow v9 header (count 1, uptime 1 s, sequence 1, source id 1),
 * starting the packet. */
static void v9_hdr(struct pb *p)
{
	p->n = 0;
	pb_u16(p, 9);
	pb_u16(p, 1);
	pb_u32(p, 1000);
	pb_u32(p, EXPORT);
	pb_u32(p, 1);
	pb_u32(p, 1);
}

static void tmpl(struct pb *p, uint16_t tid, uint16_t nfields)
{
	pb_set_begin(p, 2);
	pb_u16(p, tid);
	pb_u16(p, nfields);
	pb_u16(p, 8);
	pb_u16(p, 4);
	pb_u16(p, 2);
	pb_u16(p, 4);
	for (uint16_t i = 2; i < nfields; i++) {
		pb_u16(p, (uint16_t)(100 + i));
		pb_u16(p, 2);
	}
	pb_set_end(p, 4);
}

static void data(struct pb *p, uint16_t tid, uint16_t nfields, uint32_t pkts)
{
	pb_set_begin(p, tid);
	pb_bytes(p, "\xc6\x12\x00\x01", 4);
	pb_u32(p, pkts);
	for (uint16_t i = 2; i < nfields; i++)
		pb_u16(p, i);
	pb_set_end(p, 4);
}

static int setup(void **state)
{
	struct decode_config cfg;
	struct nf_fixture *f;

	decode_config_defaults(&cfg);
	cfg.max_templates = 4;
	cfg.max_exporters = 16;
	cfg.max_held_sets = 3;
	cfg.max_held_bytes = 4096;
	cfg.held_max_age_ns = 1000000000ULL;
	nfb_setup(state, &cfg, (uint8_t[]){ 198, 18, 1, 1 }, 4, 4739, BASE_NS);
	f = *state;
	snprintf(f->path, sizeof(f->path), "/tmp/xf-nf-state-%d.bin", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	return nfb_teardown(state);
}

static int feed_ctx(struct nf_fixture *f, struct decode_ctx *ctx)
{
	ipfix_fin(&f->p);
	return nfb_feed(f, ctx);
}

static int feed(struct nf_fixture *f)
{
	return feed_ctx(f, f->ctx);
}

static uint64_t st_ctx(struct nf_fixture *f, struct decode_ctx *ctx, enum dstat s)
{
	return nfb_stat(ctx, &f->dg.exporter, s);
}

static uint64_t st(struct nf_fixture *f, enum dstat s)
{
	return st_ctx(f, f->ctx, s);
}

static void test_lru_eviction(void **state)
{
	struct nf_fixture *f = *state;

	for (uint16_t t = 256; t < 260; t++) {
		ipfix_hdr(&f->p, 1);
		tmpl(&f->p, t, 3);
		assert_int_equal(feed(f), 0);
	}
	/* use 256 so that 257 is the least recently used */
	ipfix_hdr(&f->p, 1);
	data(&f->p, 256, 3, 1);
	assert_int_equal(feed(f), 1);
	ipfix_hdr(&f->p, 1);
	tmpl(&f->p, 260, 3);
	tmpl(&f->p, 261, 3);
	assert_int_equal(feed(f), 0);
	assert_int_equal(st(f, DSTAT_TEMPLATES_EVICTED), 2);
	ipfix_hdr(&f->p, 1);
	data(&f->p, 256, 3, 1);
	data(&f->p, 257, 3, 1);
	data(&f->p, 258, 3, 1);
	data(&f->p, 259, 3, 1);
	data(&f->p, 260, 3, 1);
	data(&f->p, 261, 3, 1);
	assert_int_equal(feed(f), 4);
	assert_int_equal(st(f, DSTAT_SETS_HELD), 2); /* 257 and 258 */
}

static void test_held_bounds_and_expiry(void **state)
{
	struct nf_fixture *f = *state;
	uint8_t big[5000];

	/* Four sets, room for three: the oldest is dropped. */
	for (uint16_t t = 300; t < 304; t++) {
		ipfix_hdr(&f->p, 1);
		data(&f->p, t, 3, t);
		f->dg.time_received_ns = BASE_NS + (t - 300) * 100000000ULL;
		assert_int_equal(feed(f), 0);
	}
	assert_int_equal(st(f, DSTAT_SETS_HELD), 4);
	assert_int_equal(st(f, DSTAT_ERR_HELD_OVERFLOW), 1);
	/* 300 was dropped; 301 replays with its own header time */
	ipfix_hdr(&f->p, 1);
	tmpl(&f->p, 300, 3);
	tmpl(&f->p, 301, 3);
	assert_int_equal(feed(f), 1);
	assert_int_equal(f->us.flows[0].packets, 301);
	assert_int_equal(f->us.flows[0].time_received_ns, BASE_NS + 100000000ULL);
	assert_int_equal(st(f, DSTAT_SETS_REPLAYED), 1);
	/* Expiry: 302 (t=0.2 s) and 303 (0.3 s) age out past 1 s. */
	decode_expire(f->ctx, BASE_NS + 1250000000ULL);
	assert_int_equal(st(f, DSTAT_ERR_HELD_EXPIRED), 1);
	decode_expire(f->ctx, BASE_NS + 5000000000ULL);
	assert_int_equal(st(f, DSTAT_ERR_HELD_EXPIRED), 2);
	ipfix_hdr(&f->p, 1);
	tmpl(&f->p, 302, 3);
	tmpl(&f->p, 303, 3);
	assert_int_equal(feed(f), 0);
	/* A set larger than the byte bound is never held. */
	memset(big, 0, sizeof(big));
	ipfix_hdr(&f->p, 1);
	pb_set_begin(&f->p, 999);
	pb_bytes(&f->p, big, sizeof(big));
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 0);
	assert_int_equal(st(f, DSTAT_ERR_HELD_OVERFLOW), 2);
}

/* Templates of both protocols, options, rates: saved, loaded, same flows. */
static void learn_all(struct nf_fixture *f, struct decode_ctx *ctx)
{
	ipfix_hdr(&f->p, 1);
	tmpl(&f->p, 256, 4);
	pb_set_begin(&f->p, 3);
	pb_u16(&f->p, 257);
	pb_u16(&f->p, 2);
	pb_u16(&f->p, 1);
	pb_u16(&f->p, 149);
	pb_u16(&f->p, 4);
	pb_u16(&f->p, 34);
	pb_u16(&f->p, 4);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 257);
	pb_u32(&f->p, 1);
	pb_u32(&f->p, 512);
	pb_set_end(&f->p, 4);
	assert_int_equal(feed_ctx(f, ctx), 0);
	/* a NetFlow v9 template, same id, kept apart */
	v9_hdr(&f->p);
	pb_set_begin(&f->p, 0);
	pb_u16(&f->p, 256);
	pb_u16(&f->p, 1);
	pb_u16(&f->p, 1);
	pb_u16(&f->p, 4);
	pb_set_end(&f->p, 4);
	f->dg.data = f->p.b;
	f->dg.len = f->p.n;
	assert_int_equal(decode_datagram(ctx, &f->dg, &f->us.sink), 0);
}

static void decode_probe(struct nf_fixture *f, struct decode_ctx *ctx)
{
	f->us.n = 0;
	ipfix_hdr(&f->p, 1);
	data(&f->p, 256, 4, 77);
	assert_int_equal(feed_ctx(f, ctx), 1);
	assert_int_equal(f->us.flows[0].packets, 77);
	assert_int_equal(f->us.flows[0].sampling_rate, 512);
	v9_hdr(&f->p);
	pb_set_begin(&f->p, 256);
	pb_u32(&f->p, 4242);
	pb_set_end(&f->p, 4);
	f->dg.data = f->p.b;
	f->dg.len = f->p.n;
	assert_int_equal(decode_datagram(ctx, &f->dg, &f->us.sink), 1);
	assert_int_equal(f->us.flows[1].bytes, 4242);
	assert_int_equal(f->us.flows[1].type, FLOW_TYPE_NETFLOW_V9);
}

static void test_dirty_save_load(void **state)
{
	struct nf_fixture *f = *state;
	struct decode_ctx *c2, *c3 = decode_ctx_new(&f->cfg);
	struct decode_ctx *both[2] = { f->ctx, c3 };

	assert_false(decode_templates_dirty(f->ctx));
	learn_all(f, f->ctx);
	assert_true(decode_templates_dirty(f->ctx));
	assert_false(decode_templates_dirty(f->ctx));
	learn_all(f, f->ctx); /* refresh, no change */
	assert_false(decode_templates_dirty(f->ctx));
	/* a second worker knows one more template */
	ipfix_hdr(&f->p, 1);
	tmpl(&f->p, 600, 2);
	feed_ctx(f, c3);
	assert_int_equal(decode_templates_save(both, 2, f->path), 0);
	assert_int_equal(access(f->path, F_OK), 0);

	c2 = decode_ctx_new(&f->cfg);
	assert_int_equal(decode_templates_load(c2, f->path), 0);
	assert_false(decode_templates_dirty(c2));
	decode_probe(f, c2);
	ipfix_hdr(&f->p, 1);
	data(&f->p, 600, 2, 5);
	assert_int_equal(feed_ctx(f, c2), 1);
	decode_ctx_free(c2);
	decode_ctx_free(c3);
	/* a missing file is not an error */
	unlink(f->path);
	assert_int_equal(decode_templates_load(f->ctx, f->path), 0);
}

static void write_file(const char *path, const uint8_t *b, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(b, 1, n, fp), n);
	fclose(fp);
}

static void test_corrupt_file_rejected(void **state)
{
	struct nf_fixture *f = *state;
	uint8_t img[4096];
	size_t n;
	FILE *fp;

	learn_all(f, f->ctx);
	assert_int_equal(decode_templates_save(&f->ctx, 1, f->path), 0);
	fp = fopen(f->path, "rb");
	n = fread(img, 1, sizeof(img), fp);
	fclose(fp);
	assert_true(n > 24 && n < sizeof(img));

	/* every truncation, and a flipped bit in every byte */
	for (size_t i = 0; i < 2 * n; i++) {
		struct decode_ctx *c = decode_ctx_new(&f->cfg);
		uint8_t copy[4096];
		size_t len = i < n ? i : n;

		memcpy(copy, img, n);
		if (i >= n)
			copy[i - n] ^= 0x10;
		write_file(f->path, copy, len);
		assert_int_equal(decode_templates_load(c, f->path), -EINVAL);
		/* nothing was loaded: data waits for its template */
		f->us.n = 0;
		ipfix_hdr(&f->p, 1);
		data(&f->p, 256, 4, 77);
		assert_int_equal(feed_ctx(f, c), 0);
		decode_ctx_free(c);
	}
}

/* One million distinct templates through one context: bounded memory. */
static void test_template_flood_bounded(void **state)
{
	struct nf_fixture *f = *state;
	struct decode_config cfg;
	struct decode_ctx *c;
	struct rusage ru;
	long before;

	decode_config_defaults(&cfg);
	c = decode_ctx_new(&cfg);
	getrusage(RUSAGE_SELF, &ru);
	before = ru.ru_maxrss;
	for (uint32_t i = 0; i < 1000000; i++) {
		ipfix_hdr(&f->p, i >> 16);
		tmpl(&f->p, (uint16_t)(256 + (i & 0xffff) % 65280), 20);
		f->dg.exporter.b[2] = (uint8_t)(i >> 24);
		feed_ctx(f, c);
	}
	f->dg.exporter.b[2] = 1;
	getrusage(RUSAGE_SELF, &ru);
	decode_ctx_free(c);
	/* ru_maxrss is in KiB */
	print_message("template flood: max RSS %ld KiB (%ld KiB before)\n",
		      ru.ru_maxrss, before);
	assert_true(ru.ru_maxrss - before < 128 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
		T(test_lru_eviction),
		T(test_held_bounds_and_expiry),
		T(test_dirty_save_load),
		T(test_corrupt_file_rejected),
		T(test_template_flood_bounded),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
