// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the NetFlow v9/IPFIX state (user/decode/nf_state.c,
 * nf_persist.c): the store on its own (template LRU, held-set FIFO, its
 * bounds and age), then through the decoder: LRU eviction of templates,
 * held-set bounds and expiry, the dirty flag, templates file save/load
 * round trip, corrupt-file rejection, and memory staying bounded under a
 * template flood. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "decode/decode.h"
#include "decode/nf_state.h"
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

/* The store alone: a message of exporter 198.18.0.<last>. */
static void store_msg(struct nf_msg *m, uint8_t last, uint64_t t_ns)
{
	memset(m, 0, sizeof(*m));
	m->exporter.len = 4;
	memcpy(m->exporter.b, (uint8_t[]){ 198, 18, 0, last }, 4);
	m->ver = 10;
	m->domain = 7;
	m->time_received_ns = t_ns;
}

static void test_store_templates(void **state)
{
	const struct nf_state_bounds b = { .max_templates = 2 };
	const struct nf_field f[] = { { 0, 8, 4 }, { 0, 2, 4 } };
	struct nf_state *nf = nf_state_new(&b);
	struct nf_plan plan = { .nfields = 2,
				.nsteps = 1,
				.min_len = 8,
				.fields = f };
	struct nf_key k1, k2, k3;
	struct nf_tmpl *t;
	struct nf_msg m;
	size_t evicted;

	(void)state;
	assert_non_null(nf);
	plan.steps[0] = (struct nf_step){ 7, 0, 4, 4 };
	store_msg(&m, 1, BASE_NS);
	nf_state_key(&k1, &m, 256, 0);
	nf_state_key(&k2, &m, 257, 0);
	nf_state_key(&k3, &m, 258, 0);
	assert_int_equal(k1.alen, 4);
	assert_int_equal(k1.ver, 10);
	assert_int_equal(k1.domain, 7);
	assert_false(nf_state_dirty(nf));
	assert_int_equal(nf_state_tmpl_put(nf, &k1, &plan, &evicted), 0);
	assert_int_equal(evicted, 0);
	assert_true(nf_state_dirty(nf));
	assert_false(nf_state_dirty(nf));
	t = nf_state_tmpl_find(nf, &k1);
	assert_non_null(t);
	assert_int_equal(t->nfields, 2);
	assert_int_equal(t->fields[1].ie, 2);
	assert_int_equal(t->nsteps, 1);
	assert_int_equal(t->steps[0].off, 4);
	assert_int_equal(t->min_len, 8);
	assert_int_equal(nf_state_tmpl_put(nf, &k2, &plan, &evicted), 0);
	/* k1 was used last: k2 is the one evicted. */
	assert_non_null(nf_state_tmpl_find(nf, &k1));
	assert_int_equal(nf_state_tmpl_put(nf, &k3, &plan, &evicted), 0);
	assert_int_equal(evicted, 1);
	assert_null(nf_state_tmpl_find(nf, &k2));
	assert_non_null(nf_state_tmpl_find(nf, &k1));
	/* Replacing a template is not an eviction. */
	assert_int_equal(nf_state_tmpl_put(nf, &k3, &plan, &evicted), 0);
	assert_int_equal(evicted, 0);
	assert_int_equal(nf_state_tmpl_withdraw(nf, &k3), 1);
	assert_int_equal(nf_state_tmpl_withdraw(nf, &k3), 0);
	assert_int_equal(nf_state_tmpl_withdraw_all(nf, &k3, 1), 0);
	assert_int_equal(nf_state_tmpl_withdraw_all(nf, &k3, -1), 1);
	assert_null(nf_state_tmpl_find(nf, &k1));
	nf_state_free(nf);
}

static void test_store_held(void **state)
{
	const struct nf_state_bounds b = { .max_templates = 4,
					   .max_held_sets = 3,
					   .max_held_bytes = 10,
					   .held_max_age_ns = 100 };
	struct nf_state *nf = nf_state_new(&b);
	struct nf_held *h, *next;
	struct nf_msg m1, m2;
	struct nf_key k;
	int n = 0;

	(void)state;
	assert_non_null(nf);
	store_msg(&m1, 1, BASE_NS);
	store_msg(&m2, 2, BASE_NS + 50);
	assert_int_equal(nf_state_hold(nf, &m1, 300, (const uint8_t *)"abc", 3),
			 0);
	assert_int_equal(nf_state_hold(nf, &m2, 300, (const uint8_t *)"de", 2),
			 0);
	assert_int_equal(nf_state_hold(nf, &m1, 301, (const uint8_t *)"fgh", 3),
			 0);
	assert_int_equal(nf_state_held_count(nf), 3);
	/* Past the bounds the caller pops; too long a set never fits. */
	assert_int_equal(nf_state_hold(nf, &m1, 302, (const uint8_t *)"i", 1),
			 -ENOBUFS);
	assert_int_equal(nf_state_hold(nf, &m1, 302,
				       (const uint8_t *)"0123456789a", 11),
			 -E2BIG);
	assert_int_equal(nf_state_held_count(nf), 3);
	/* Sets for template 300 of exporter 1 only, oldest first. */
	nf_state_key(&k, &m1, 300, 0);
	h = nf_state_held_take(nf, &k);
	assert_non_null(h);
	assert_null(h->next);
	assert_int_equal(h->len, 3);
	assert_memory_equal(h->data, "abc", 3);
	assert_int_equal(h->key.tid, 300);
	assert_int_equal(h->msg.time_received_ns, BASE_NS);
	free(h);
	assert_null(nf_state_held_take(nf, &k));
	assert_int_equal(nf_state_held_count(nf), 2);
	/* Expiry is by age, oldest first, and stops at a young set. */
	assert_null(nf_state_held_expired(nf, BASE_NS + 100));
	assert_null(nf_state_held_expired(nf, BASE_NS - 1));
	h = nf_state_held_expired(nf, BASE_NS + 151);
	assert_non_null(h);
	assert_int_equal(h->msg.exporter.b[3], 2);
	free(h);
	h = nf_state_held_expired(nf, BASE_NS + 151);
	assert_non_null(h);
	assert_int_equal(h->key.tid, 301);
	free(h);
	assert_null(nf_state_held_pop(nf));
	/* Take keeps FIFO order among the sets it hands out. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(nf_state_hold(nf, &m2, 400,
					       (const uint8_t *)"xy", 2),
				 0);
	nf_state_key(&k, &m2, 400, 0);
	for (h = nf_state_held_take(nf, &k); h; h = next) {
		next = h->next;
		n++;
		free(h);
	}
	assert_int_equal(n, 3);
	assert_int_equal(nf_state_held_count(nf), 0);
	/* Holding is off without held sets in the bounds. */
	nf_state_free(nf);
	nf = nf_state_new(&(struct nf_state_bounds){ .max_templates = 1 });
	assert_non_null(nf);
	assert_int_equal(nf_state_hold(nf, &m1, 300, (const uint8_t *)"a", 1),
			 -E2BIG);
	/* Sets left held are freed with the store. */
	nf_state_free(nf);
	nf = nf_state_new(&b);
	assert_non_null(nf);
	assert_int_equal(nf_state_hold(nf, &m1, 300, (const uint8_t *)"a", 1),
			 0);
	nf_state_free(nf);
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
	snprintf(f->path, sizeof(f->path), "/tmp/xf-nf-state-%d.bin",
		 (int)getpid());
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

static uint64_t st_ctx(struct nf_fixture *f, struct decode_ctx *ctx,
		       enum dstat s)
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
	assert_int_equal(f->us.flows[0].time_received_ns,
			 BASE_NS + 100000000ULL);
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
		cmocka_unit_test(test_store_templates),
		cmocka_unit_test(test_store_held),
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
