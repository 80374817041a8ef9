// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the enrichment context: lookups through enrich_flow, and
 * reloads under concurrent readers (threads; ASan/TSan catch a set freed
 * too early), with every retired set freed once readers move on. */
#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "enrich/enrich.h"
#include "enrich/exporters.h"
#include "enrich/iface_file.h"
#include "enrich/networks_file.h"

static struct enrich_networks *nets(unsigned gen)
{
	char text[256], err[256];
	struct enrich_networks *n = NULL;
	int len = snprintf(text, sizeof(text),
			   "prefix,name,site,asn\n"
			   "198.18.0.0/15,g%u,g%u,%u\n"
			   "198.18.1.0/24,,,%u\n"
			   "2001:2::/48,g%u,g%u,%u\n",
			   gen, gen, gen + 1, gen + 1, gen, gen, gen + 1);

	if (enrich_networks_parse(text, (size_t)len, "gen.csv", &n, err,
				  sizeof(err)))
		fail_msg("%s", err);
	return n;
}

static const struct flow_addr v4a = { .len = 4, .b = { 198, 18, 1, 7 } };
static const struct flow_addr v4b = { .len = 4, .b = { 198, 19, 0, 1 } };
static const struct flow_addr v6a = { .len = 16,
				      .b = { 0x20, 0x01, 0, 2, [15] = 9 } };
static const struct flow_addr none = { 0 };

static void test_flow_lookup(void **state)
{
	struct enrich *e = enrich_new();
	const struct enrich_tables *t;
	struct enrich_result r;
	int slot;

	(void)state;
	assert_non_null(e);
	slot = enrich_reader_add(e);
	assert_int_equal(slot, 0);
	t = enrich_read_begin(e, slot);
	assert_int_equal(t->generation, 1);
	enrich_flow(t, &v4a, &v6a, &none, 1, 2, &r);
	assert_null(r.src.net);
	assert_null(r.dst.net);
	enrich_read_end(e, slot);

	assert_int_equal(enrich_set_networks(e, nets(5)), 0);
	assert_int_equal(enrich_generation(e), 2);
	t = enrich_read_begin(e, slot);
	enrich_flow(t, &v4a, &v6a, &none, 1, 2, &r);
	assert_string_equal(r.src.net->name, "g5");
	assert_int_equal(r.src.net->asn, 6);
	assert_string_equal(r.dst.net->site, "g5");
	enrich_flow(t, &none, &v4b, &none, 0, 0, &r);
	assert_null(r.src.net);
	assert_string_equal(r.dst.net->name, "g5");
	assert_null(r.in_if);
	assert_null(r.exporter);

	/* A reload while the reader is inside its batch: its set stays. */
	assert_int_equal(enrich_set_networks(e, nets(6)), 0);
	assert_int_equal(enrich_reclaim(e), 1);
	assert_string_equal(enrich_networks_lookup(t->networks, &v4a)->name,
			    "g5");
	enrich_read_end(e, slot);
	assert_int_equal(enrich_reclaim(e), 0);
	t = enrich_read_begin(e, slot);
	enrich_flow(t, &v4a, &none, &none, 0, 0, &r);
	assert_string_equal(r.src.net->name, "g6");
	enrich_read_end(e, slot);

	/* Removing the source. */
	assert_int_equal(enrich_set_networks(e, NULL), 0);
	t = enrich_read_begin(e, slot);
	assert_null(t->networks);
	enrich_flow(t, &v4a, &none, &none, 0, 0, &r);
	assert_null(r.src.net);
	enrich_read_end(e, slot);
	enrich_free(e);
}

/* The batched enrich_flow_recs answers exactly as enrich_flow, for flows
 * of both families, IPv4-mapped, absent addresses and unknown exporters. */
static void test_flow_recs_match_single(void **state)
{
	static const char nets_text[] =
		"prefix,name,site,tenant,asn\n"
		"198.18.0.0/15,lab,par1,,64500\n"
		"198.18.1.0/24,,,acme,\n"
		"198.18.1.128/25,dmz,,,\n"
		"0.0.0.0/0,world,,,\n"
		"2001:2::/48,lab6,ams1,,\n"
		"2001:2:0:1::/64,,,acme6,64501\n";
	static const char if_text[] =
		"exporter,ifindex,name\n"
		"198.18.0.1,1,eth1\n198.18.0.1,2,eth2\n"
		"2001:2::1,1,v6eth1\n";
	struct enrich *e = enrich_new();
	struct enrich_networks *n = NULL;
	struct enrich_ifaces *ifs = NULL;
	struct enrich_exporters *x = enrich_exporters_new();
	struct flow_addr e4 = { .len = 4, .b = { 198, 18, 0, 1 } };
	struct flow_rec *recs = calloc(1000, sizeof(*recs));
	struct enrich_result *batch = calloc(1000, sizeof(*batch));
	const struct enrich_tables *t;
	char err[256];
	int slot = enrich_reader_add(e);

	(void)state;
	assert_int_equal(enrich_networks_parse(nets_text, sizeof(nets_text) - 1,
					       "n.csv", &n, err, sizeof(err)),
			 0);
	assert_int_equal(enrich_ifaces_parse(if_text, sizeof(if_text) - 1,
					     "i.csv", &ifs, err, sizeof(err)),
			 0);
	assert_int_equal(enrich_exporters_add(x, NULL, &e4, "r1"), 0);
	assert_int_equal(enrich_set_networks(e, n), 0);
	assert_int_equal(enrich_set_ifaces(e, ifs), 0);
	assert_int_equal(enrich_set_exporters(e, x), 0);
	srandom(3);
	for (int i = 0; i < 1000; i++) {
		struct flow_addr *as[3] = { &recs[i].src_addr,
					    &recs[i].dst_addr,
					    &recs[i].sampler_address };

		for (int k = 0; k < 3; k++) {
			long kind = random() % 5;

			memset(as[k], 0, sizeof(*as[k]));
			if (kind == 0)
				continue; /* absent */
			if (kind <= 2) {
				*as[k] = e4;
				as[k]->b[2] = (uint8_t)(random() % 3);
				as[k]->b[3] = (uint8_t)random();
			} else {
				as[k]->len = 16;
				as[k]->b[0] = 0x20;
				as[k]->b[1] = 0x01;
				as[k]->b[3] = 2;
				as[k]->b[7] = (uint8_t)(random() % 3);
				as[k]->b[15] = (uint8_t)(random() % 3);
				if (kind == 4) { /* IPv4-mapped */
					memset(as[k]->b, 0, 10);
					as[k]->b[10] = as[k]->b[11] = 0xff;
					memcpy(as[k]->b + 12, e4.b, 3);
					as[k]->b[15] = (uint8_t)random();
				}
			}
		}
		/* Exporters: known (both spellings), unknown, absent. */
		switch (random() % 4) {
		case 0:
			recs[i].sampler_address = e4;
			break;
		case 1:
			recs[i].sampler_address = (struct flow_addr){
				.len = 16,
				.b = { [10] = 0xff, [11] = 0xff, 198, 18, 0, 1 }
			};
			break;
		case 2:
			recs[i].sampler_address = (struct flow_addr){
				.len = 16,
				.b = { 0x20, 0x01, 0, 2, [15] = 1 }
			};
			break;
		default:
			break;
		}
		recs[i].in_if = (uint32_t)(random() % 3);
		recs[i].out_if = (uint32_t)(random() % 3);
	}
	t = enrich_read_begin(e, slot);
	enrich_flow_recs(t, recs, 1000, batch);
	for (int i = 0; i < 1000; i++) {
		struct enrich_result one;

		enrich_flow(t, &recs[i].src_addr, &recs[i].dst_addr,
			    &recs[i].sampler_address, recs[i].in_if,
			    recs[i].out_if, &one);
		assert_memory_equal(&one, &batch[i], sizeof(one));
	}
	/* Not all alike: names, interfaces and exporters do appear. */
	{
		int named = 0, ifs_seen = 0, exps = 0;

		for (int i = 0; i < 1000; i++) {
			named += batch[i].src.net && batch[i].src.net->tenant;
			ifs_seen += batch[i].in_if != NULL;
			exps += batch[i].exporter != NULL;
		}
		assert_true(named > 50 && ifs_seen > 50 && exps > 50);
	}
	enrich_read_end(e, slot);
	enrich_free(e);
	free(recs);
	free(batch);
}

static void test_reader_slots(void **state)
{
	struct enrich *e = enrich_new();

	(void)state;
	for (int i = 0; i < ENRICH_MAX_READERS; i++)
		assert_int_equal(enrich_reader_add(e), i);
	assert_int_equal(enrich_reader_add(e), -ENOSPC);
	enrich_free(e);
}

/* Readers check that every lookup of a batch comes from one consistent
 * set: name and site equal, asn = gen + 1, generation never going back. */
struct shared {
	struct enrich *e;
	atomic_bool stop;
	atomic_ulong batches;
	atomic_int bad;
};

struct reader_arg {
	struct shared *sh;
	int slot;
};

static void *reader_main(void *p)
{
	struct reader_arg *a = p;
	struct shared *sh = a->sh;
	uint64_t last_gen = 0;

	while (!atomic_load(&sh->stop)) {
		const struct enrich_tables *t =
			enrich_read_begin(sh->e, a->slot);
		struct enrich_result r;
		unsigned gen;

		if (t->generation < last_gen)
			atomic_fetch_add(&sh->bad, 1);
		last_gen = t->generation;
		for (int i = 0; i < 64; i++) {
			enrich_flow(t, i & 1 ? &v4a : &v4b, &v6a, &none, 0, 0,
				    &r);
			if (!t->networks) {
				if (r.src.net || r.dst.net)
					atomic_fetch_add(&sh->bad, 1);
				continue;
			}
			if (!r.src.net || !r.dst.net ||
			    strcmp(r.src.net->name, r.src.net->site) ||
			    strcmp(r.src.net->name, r.dst.net->name) ||
			    sscanf(r.src.net->name, "g%u", &gen) != 1 ||
			    r.src.net->asn != gen + 1 ||
			    r.dst.net->asn != gen + 1)
				atomic_fetch_add(&sh->bad, 1);
		}
		enrich_read_end(sh->e, a->slot);
		atomic_fetch_add(&sh->batches, 1);
	}
	return NULL;
}

static void test_reload_under_readers(void **state)
{
	enum { READERS = 3, RELOADS = 300 };
	struct shared sh = { .e = enrich_new() };
	struct reader_arg args[READERS];
	pthread_t th[READERS];
	struct timespec pause = { 0, 200000 };
	unsigned long seen = 0;

	(void)state;
	assert_non_null(sh.e);
	assert_int_equal(enrich_set_networks(sh.e, nets(0)), 0);
	for (int i = 0; i < READERS; i++) {
		args[i] =
			(struct reader_arg){ .sh = &sh,
					     .slot = enrich_reader_add(sh.e) };
		assert_int_equal(pthread_create(&th[i], NULL, reader_main,
						&args[i]),
				 0);
	}
	for (unsigned g = 1; g <= RELOADS; g++) {
		/* Every tenth reload removes the table for a moment. */
		assert_int_equal(enrich_set_networks(sh.e,
						     g % 10 ? nets(g) : NULL),
				 0);
		nanosleep(&pause, NULL);
	}
	/* Readers made progress during the reloads (bounded wait). */
	for (int i = 0; i < 5000 && (seen = atomic_load(&sh.batches)) < 100;
	     i++)
		nanosleep(&pause, NULL);
	atomic_store(&sh.stop, true);
	for (int i = 0; i < READERS; i++)
		pthread_join(th[i], NULL);
	assert_true(seen >= 100);
	assert_int_equal(atomic_load(&sh.bad), 0);
	assert_int_equal(enrich_generation(sh.e), RELOADS + 2);
	/* Readers are out: everything retired can go. */
	assert_int_equal(enrich_reclaim(sh.e), 0);
	enrich_free(sh.e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_lookup),
		cmocka_unit_test(test_flow_recs_match_single),
		cmocka_unit_test(test_reader_slots),
		cmocka_unit_test(test_reload_under_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
