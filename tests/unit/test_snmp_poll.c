// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the SNMP poller's pieces that need no agent: the snmp-*
 * config keys, the credential lookup by prefix, the cleaning of strings
 * from replies, and the exporter table the flow path writes to (bounds,
 * IPv4-mapped folding, concurrent notes). The polls themselves are tested
 * against real snmpd agents in tests/sys/test_snmp.py. */
#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "enrich/enrich.h"
#include "enrich/snmp_client.h"
#include "enrich/snmp_opts.h"
#include "enrich/snmp_poll.h"

static char err[256];

static int set(struct snmp_poller_opts *o, const char *k, const char *v)
{
	err[0] = 0;
	return snmp_poller_opts_set(o, k, v, err, sizeof(err));
}

static void test_opts(void **state)
{
	struct snmp_poller_opts o;

	(void)state;
	snmp_poller_opts_init(&o);
	assert_false(o.enabled);
	assert_int_equal(snmp_poller_opts_check(&o, err, sizeof(err)), 0);
	assert_int_equal(set(&o, "networks-file", "x"), -ENOENT);
	assert_int_equal(set(&o, "snmp-nope", "x"), -ENOENT);
	assert_int_equal(set(&o, "snmp-community", "c0mm"), 0);
	/* A key without snmp-poll = on would do nothing: an error. */
	assert_int_equal(snmp_poller_opts_check(&o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "snmp-poll is not on"));
	assert_int_equal(set(&o, "snmp-poll", "on"), 0);
	assert_int_equal(snmp_poller_opts_check(&o, err, sizeof(err)), 0);
	assert_int_equal(set(&o, "snmp-poll", "yes"), -EINVAL);

	assert_int_equal(set(&o, "snmp-poll-interval", "90"), 0);
	assert_int_equal(o.interval_ms, 90000);
	assert_int_equal(set(&o, "snmp-poll-interval", "2m"), 0);
	assert_int_equal(o.interval_ms, 120000);
	assert_int_equal(set(&o, "snmp-poll-interval", "500ms"), -EINVAL);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(set(&o, "snmp-poll-interval", "2d"), -EINVAL);
	assert_int_equal(set(&o, "snmp-poll-interval", ""), -EINVAL);
	assert_int_equal(set(&o, "snmp-poll-interval",
			     "99999999999999999999999h"),
			 -EINVAL);
	assert_int_equal(set(&o, "snmp-timeout", "250ms"), 0);
	assert_int_equal(o.timeout_ms, 250);
	assert_int_equal(set(&o, "snmp-timeout", "61s"), -EINVAL);
	assert_int_equal(set(&o, "snmp-retries", "5"), 0);
	assert_int_equal(set(&o, "snmp-retries", "6"), -EINVAL);
	assert_int_equal(set(&o, "snmp-retries", "-1"), -EINVAL);
	assert_int_equal(set(&o, "snmp-port", "16100"), 0);
	assert_int_equal(o.port, 16100);
	assert_int_equal(set(&o, "snmp-port", "0"), -EINVAL);
	assert_int_equal(set(&o, "snmp-port", "65536"), -EINVAL);
	assert_int_equal(set(&o, "snmp-max-exporters", "65537"), -EINVAL);

	/* v3 default credentials. */
	assert_int_equal(set(&o, "snmp-v3-auth", "md5"), -EINVAL);
	assert_int_equal(set(&o, "snmp-v3-auth", "sha256"), 0);
	assert_int_equal(snmp_poller_opts_check(&o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "need snmp-v3-user"));
	assert_int_equal(set(&o, "snmp-v3-user", "u"), 0);
	assert_int_equal(o.def.version, SNMP_V3);
	assert_int_equal(set(&o, "snmp-v3-auth-pass", "short"), 0);
	assert_int_equal(snmp_poller_opts_check(&o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "8 bytes or more"));
	assert_int_equal(set(&o, "snmp-v3-auth-pass", "longenough"), 0);
	assert_int_equal(set(&o, "snmp-v3-priv", "aes"), 0);
	assert_int_equal(snmp_poller_opts_check(&o, err, sizeof(err)), -EINVAL);
	assert_int_equal(set(&o, "snmp-v3-priv-pass", "privlongenough"), 0);
	assert_int_equal(snmp_poller_opts_check(&o, err, sizeof(err)), 0);
}

static void test_agents(void **state)
{
	struct snmp_poller_opts o;
	const struct snmp_cred *c;
	struct flow_addr a;
	uint16_t port;
	char big[300];

	(void)state;
	snmp_poller_opts_init(&o);
	assert_int_equal(set(&o, "snmp-poll", "on"), 0);
	assert_int_equal(set(&o, "snmp-agent", "198.18.0.0/16 community=wide"),
			 0);
	assert_int_equal(set(&o, "snmp-agent",
			     "198.18.4.0/24 user=u auth=sha auth-pass=12345678 "
			     "priv=aes priv-pass=abcdefgh port=1161"),
			 0);
	assert_int_equal(set(&o, "snmp-agent", "2001:2::/48 community=six"), 0);
	/* Errors. */
	assert_int_equal(set(&o, "snmp-agent", "198.18.0.0/16 community=x"),
			 -EINVAL);
	assert_non_null(strstr(err, "given twice"));
	assert_int_equal(set(&o, "snmp-agent", "198.18.0.1/8 community=x"),
			 -EINVAL);
	assert_non_null(strstr(err, "host bits"));
	assert_int_equal(set(&o, "snmp-agent", "198.18.0.0/33 community=x"),
			 -EINVAL);
	assert_int_equal(set(&o, "snmp-agent", "nope community=x"), -EINVAL);
	assert_int_equal(set(&o, "snmp-agent", "10.0.0.0/8"), -EINVAL);
	assert_int_equal(set(&o, "snmp-agent", "10.0.0.0/8 community=x user=u"),
			 -EINVAL);
	assert_int_equal(set(&o, "snmp-agent", "10.0.0.0/8 community"),
			 -EINVAL);
	assert_int_equal(set(&o, "snmp-agent", "10.0.0.0/8 colour=blue"),
			 -EINVAL);
	assert_int_equal(set(&o, "snmp-agent",
			     "10.0.0.0/8 user=u priv=aes "
			     "priv-pass=abcdefgh"),
			 -EINVAL);
	assert_non_null(strstr(err, "priv needs auth"));
	assert_int_equal(set(&o, "snmp-agent", "10.0.0.0/8 community=x port=0"),
			 -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "10.0.0.0/8 community=", 21);
	assert_int_equal(set(&o, "snmp-agent", big), -EINVAL);
	assert_int_equal(o.n_agents, 3);

	/* The longest prefix wins; IPv4-mapped matches IPv4 rules. */
	a = unit_addr("198.18.4.7");
	snmp_poller_opts_cred(&o, &a, &c, &port);
	assert_int_equal(c->version, SNMP_V3);
	assert_string_equal(c->user, "u");
	assert_int_equal(c->auth, SNMP_AUTH_SHA);
	assert_int_equal(port, 1161);
	a = unit_addr("::ffff:198.18.5.7");
	snmp_poller_opts_cred(&o, &a, &c, &port);
	assert_string_equal(c->community, "wide");
	assert_int_equal(port, 161);
	a = unit_addr("2001:2::9");
	snmp_poller_opts_cred(&o, &a, &c, &port);
	assert_string_equal(c->community, "six");
	a = unit_addr("192.0.2.1");
	snmp_poller_opts_cred(&o, &a, &c, &port);
	assert_ptr_equal(c, &o.def);
	assert_string_equal(c->community, "public");
}

static char *clean(const char *s, size_t len)
{
	bool nomem = false;
	char *r = snmp_client_clean_str((const uint8_t *)s, len, &nomem);

	assert_false(nomem);
	return r;
}

static void test_clean_str(void **state)
{
	static const char bad[] =
		"\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82|\xc2\x85";
	char *r, big[1000];

	(void)state;
	assert_null(clean("", 0));
	assert_null(clean("\0\0", 2));
	r = clean("eth0\0", 5); /* a trailing NUL some agents send */
	assert_string_equal(r, "eth0");
	free(r);
	r = clean("a\0b\n\x7f", 5);
	assert_string_equal(r, "a?b??");
	free(r);
	r = clean("caf\xc3\xa9 \xe2\x82\xac", 9); /* valid UTF-8 kept */
	assert_string_equal(r, "caf\xc3\xa9 \xe2\x82\xac");
	free(r);
	/* Invalid: lone continuation, overlong, surrogate, truncated, C1. */
	r = clean(bad, sizeof(bad) - 1);
	assert_string_equal(r, "?|??|???|??|??");
	free(r);
	memset(big, 'x', sizeof(big));
	r = clean(big, sizeof(big));
	assert_int_equal(strlen(r), SNMP_CLIENT_STR_MAX);
	free(r);
	/* Never cut inside a multi-byte character. */
	for (size_t i = 0; i + 1 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	r = clean(big, sizeof(big));
	assert_int_equal(strlen(r), SNMP_CLIENT_STR_MAX - 1);
	free(r);
}

static struct snmp_poller *start(struct enrich *e, unsigned max)
{
	struct snmp_poller_opts o;
	struct snmp_poller *p = NULL;
	char n[16];

	snmp_poller_opts_init(&o);
	assert_int_equal(set(&o, "snmp-poll", "on"), 0);
	/* Loopback, a port with nothing: the polls fail at once. */
	assert_int_equal(set(&o, "snmp-port", "9"), 0);
	assert_int_equal(set(&o, "snmp-timeout", "10ms"), 0);
	assert_int_equal(set(&o, "snmp-retries", "0"), 0);
	snprintf(n, sizeof(n), "%u", max);
	assert_int_equal(set(&o, "snmp-max-exporters", n), 0);
	assert_int_equal(snmp_poller_start(e, &o, &p, err, sizeof(err)), 0);
	return p;
}

static void test_note_bounds(void **state)
{
	struct enrich *e = enrich_new();
	struct snmp_poller *p = start(e, 3);
	struct snmp_poller_stats st;
	struct flow_addr a1 = unit_addr("127.0.0.1"),
			 m1 = unit_addr("::ffff:127.0.0.1"),
			 a2 = unit_addr("127.0.0.2"), a3 = unit_addr("::1"),
			 a4 = unit_addr("127.0.0.4"), none = { 0 },
			 odd = { .len = 5 };

	(void)state;
	snmp_poller_note_exporter(NULL, &a1); /* no poller: nothing */
	snmp_poller_note_exporter(p, &none);
	snmp_poller_note_exporter(p, &odd);
	snmp_poller_stats(p, &st);
	assert_int_equal(st.exporters, 0);
	snmp_poller_note_exporter(p, &a1);
	snmp_poller_note_exporter(p, &m1); /* the same exporter */
	snmp_poller_note_exporter(p, &a2);
	snmp_poller_stats(p, &st);
	assert_int_equal(st.exporters, 2);
	assert_false(st.table_full);
	snmp_poller_note_exporter(p, &a3);
	snmp_poller_note_exporter(p, &a4); /* one too many */
	snmp_poller_note_exporter(p, &a1);
	snmp_poller_stats(p, &st);
	assert_int_equal(st.exporters, 3);
	assert_true(st.table_full);
	snmp_poller_stop(p);
	enrich_free(e);
}

struct noter {
	struct snmp_poller *p;
	unsigned seed;
};

static void *note_many(void *arg)
{
	struct noter *n = arg;

	for (unsigned i = 0; i < 200000; i++) {
		unsigned k = (i * 7919u + n->seed) % 100;
		struct flow_addr a = { .len = 4,
				       .b = { 127, 1, 0, (uint8_t)k } };

		snmp_poller_note_exporter(n->p, &a);
	}
	return NULL;
}

/* Four threads note the same 100 exporters: each is taken exactly once. */
static void test_note_concurrent(void **state)
{
	struct enrich *e = enrich_new();
	struct snmp_poller *p = start(e, 1000);
	struct noter n[4];
	pthread_t th[4];
	struct snmp_poller_stats st;

	(void)state;
	for (int i = 0; i < 4; i++) {
		n[i] = (struct noter){ .p = p, .seed = (unsigned)i * 31 };
		assert_int_equal(pthread_create(&th[i], NULL, note_many, &n[i]),
				 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	snmp_poller_stats(p, &st);
	/* A note that met a slot being claimed returns early; every key is
	 * noted again later in the loop, so all 100 are in. */
	assert_int_equal(st.exporters, 100);
	assert_false(st.table_full);
	snmp_poller_stop(p);
	enrich_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_agents),
		cmocka_unit_test(test_clean_str),
		cmocka_unit_test(test_note_bounds),
		cmocka_unit_test(test_note_concurrent),
	};

	log_set_level(LOG_LVL_ERR); /* the failed polls are expected */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
