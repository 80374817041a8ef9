// SPDX-License-Identifier: Apache-2.0
/*
 * The enricher (contract in enricher.h): a parsed config, the files it
 * names with the signature (device, inode, size, mtime) each was last
 * loaded or failed at, the exporter rules, and the enrichment context the
 * tables are published through. Loading, reloading and polling run on the
 * control thread; enricher_apply on the workers.
 */
#include "enrich/enricher.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "enrich/enrich_config.h"
#include "enrich/enricher_internal.h"
#include "enrich/exporters.h"
#include "enrich/geo_db.h"
#include "enrich/iface_file.h"
#include "enrich/networks_file.h"
#include "enrich/seen_set.h"
#include "enrich/snmp_poll.h"

#define ERR_LEN 1024

/* What a file looked like when it was last loaded or failed. */
struct file_sig {
	int err; /* 0: stat worked; else -errno of stat */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct enricher {
	struct enrich_config conf;
	struct enrich *ctx;
	int ctl_slot; /* the control thread's reader slot */
	int loaded[ENRICH_CONF_SRC_MAX];
	struct file_sig sig[ENRICH_CONF_SRC_MAX];
	struct enrich_exporter_rules *rules;
	struct snmp_poller *snmp; /* NULL: snmp-poll off */
	uint64_t snmp_pub;	  /* its publish count at the last rebuild */
	/* The interfaces table the exporters table was built from. */
	const struct enrich_ifaces *exp_ifaces;
	/* The exporters seen in flows (NULL: nothing would classify them)
	 * and how many it held at the last rebuild. */
	struct seen_set *seen;
	uint32_t seen_n;
	bool full_logged;
	char last_err[ERR_LEN];
	_Atomic uint64_t generation;
	_Atomic uint64_t reloads;
	_Atomic uint64_t reload_failures;
};

static void file_sig_get(const char *path, struct file_sig *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (stat(path, &st)) {
		s->err = -errno;
		return;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
}

static int file_sig_same(const struct file_sig *a, const struct file_sig *b)
{
	return a->err == b->err && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static void bump(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void note_generation(struct enricher *x)
{
	atomic_store_explicit(&x->generation, enrich_generation(x->ctx),
			      memory_order_relaxed);
}

/* Rebuilds the classified exporters from the current interfaces (their
 * exporter addresses) and the exporters seen in flows, with the networks
 * (their names) and rules. */
struct exp_build {
	struct enrich_exporters *tbl;
	const struct enrich_exporter_rules *rules;
	const struct enrich_networks *nets;
	struct snmp_poller *snmp;
	int ret;
};

/* An exporter's name: its polled SNMP sysName, else the networks file's
 * name for its address. */
static void exp_add(void *arg, const struct flow_addr *addr)
{
	struct exp_build *b = arg;
	const struct enrich_net *n =
		b->nets ? enrich_networks_lookup(b->nets, addr) : NULL;
	char sysname[SNMP_CLIENT_STR_MAX + 1];
	const char *name = n && n->name && *n->name ? n->name : NULL;
	int ret;

	if (b->ret)
		return;
	if (snmp_poller_sysname(b->snmp, addr, sysname, sizeof(sysname)))
		name = sysname;
	ret = enrich_exporters_add(b->tbl, b->rules, addr, name);
	if (ret && ret != -EEXIST)
		b->ret = ret;
}

static int rebuild_exporters(struct enricher *x)
{
	const struct enrich_tables *t = enrich_read_begin(x->ctx, x->ctl_slot);
	struct exp_build b = { .rules = x->rules,
			       .nets = t->networks,
			       .snmp = x->snmp };
	int ret = 0;

	x->exp_ifaces = t->ifaces;
	/* Read before the walk: one noted during it is taken now or by the
	 * next poll, never lost. */
	x->seen_n = x->seen ? seen_set_count(x->seen) : 0;
	if ((!t->ifaces && !x->seen_n) ||
	    (!x->rules && !t->networks && !x->snmp)) {
		int had = t->exporters != NULL;

		enrich_read_end(x->ctx, x->ctl_slot);
		return had ? enrich_set_exporters(x->ctx, NULL) : 0;
	}
	b.tbl = enrich_exporters_new();
	if (!b.tbl)
		ret = -ENOMEM;
	else if (t->ifaces)
		ret = enrich_ifaces_each_exporter(t->ifaces, exp_add, &b);
	if (x->seen) {
		uint32_t n = seen_set_slots(x->seen);
		struct flow_addr a;

		for (uint32_t i = 0; i < n && !ret && !b.ret; i++)
			if (seen_set_get(x->seen, i, &a))
				exp_add(&b, &a);
	}
	if (!ret)
		ret = b.ret;
	enrich_read_end(x->ctx, x->ctl_slot);
	if (!ret)
		ret = enrich_set_exporters(x->ctx, b.tbl);
	if (ret)
		enrich_exporters_free(b.tbl);
	return ret;
}

void enricher_note_exporter(const struct enricher *x, const struct flow_addr *a)
{
	snmp_poller_note_exporter(x->snmp, a);
	if (x->seen)
		(void)seen_set_note(x->seen, a);
}

static inline bool same_addr(const struct flow_addr *a,
			     const struct flow_addr *b)
{
	/* Constant sizes: a variable memcmp is a call into libc. */
	if (a->len != b->len)
		return false;
	return a->len == 4 ? memcmp(a->b, b->b, 4) == 0
			   : memcmp(a->b, b->b, a->len < 16 ? a->len : 16) == 0;
}

/* A run of records almost always comes from one datagram, hence one
 * exporter: each address is noted once per run of equal ones (noting is
 * idempotent, so this only saves the repeats' hashing and probing). */
void enricher_note_exporters(const struct enricher *x,
			     const struct flow_rec *recs, size_t n)
{
	if (!x->snmp && !x->seen)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct flow_addr *a = &recs[i].sampler_address;

		if (i && same_addr(a, &recs[i - 1].sampler_address))
			continue;
		if (x->snmp)
			snmp_poller_note_exporter(x->snmp, a);
		if (x->seen)
			(void)seen_set_note(x->seen, a);
	}
}

/* Loads source s from its file and publishes it; on failure the previous
 * table stays and err says why. */
static int load_src(struct enricher *x, enum enrich_config_src s, char *err,
		    size_t errlen)
{
	const char *path = x->conf.src[s];
	void *obj = NULL;
	int ret;

	file_sig_get(path, &x->sig[s]);
	switch (s) {
	case ENRICH_CONF_NETWORKS:
		ret = enrich_networks_load(path,
					   (struct enrich_networks **)&obj, err,
					   errlen);
		if (!ret && (ret = enrich_set_networks(x->ctx, obj)))
			enrich_networks_free(obj);
		break;
	case ENRICH_CONF_ASN_DB:
	case ENRICH_CONF_COUNTRY_DB:
		ret = enrich_geo_db_load(path, (struct enrich_geo_db **)&obj,
					 err, errlen);
		if (!ret) {
			ret = s == ENRICH_CONF_ASN_DB
				      ? enrich_set_asn_db(x->ctx, obj)
				      : enrich_set_country_db(x->ctx, obj);
			if (ret)
				enrich_geo_db_free(obj);
		}
		break;
	case ENRICH_CONF_INTERFACES:
		ret = enrich_ifaces_load(path, (struct enrich_ifaces **)&obj,
					 err, errlen);
		/* With SNMP on, the poller merges and publishes it. */
		if (!ret && x->snmp)
			snmp_poller_set_static(x->snmp, obj);
		else if (!ret && (ret = enrich_set_ifaces(x->ctx, obj)))
			enrich_ifaces_free(obj);
		break;
	case ENRICH_CONF_EXPORTERS:
		ret = enrich_exporter_rules_load(path,
						 (struct enrich_exporter_rules *
							  *)&obj,
						 err, errlen);
		if (!ret) {
			enrich_exporter_rules_free(x->rules);
			x->rules = obj;
		}
		break;
	default:
		ret = -EINVAL;
	}
	if (!ret && (s == ENRICH_CONF_NETWORKS || s == ENRICH_CONF_INTERFACES ||
		     s == ENRICH_CONF_EXPORTERS))
		ret = rebuild_exporters(x);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	if (!ret)
		x->loaded[s] = 1;
	note_generation(x);
	return ret;
}

/* Parses the snmp-* settings and starts the poller when snmp-poll = on. */
static int snmp_setup(struct enricher *x, char *err, size_t errlen)
{
	struct snmp_poller_opts *o = malloc(sizeof(*o));
	char msg[512];
	int ret = 0;

	if (!o) {
		snprintf(err, errlen, "%s: out of memory", x->conf.path);
		return -ENOMEM;
	}
	snmp_poller_opts_init(o);
	for (size_t i = 0; i < x->conf.n_snmp && !ret; i++) {
		const struct enricher_setting *s = &x->conf.snmp[i];

		ret = snmp_poller_opts_set(o, s->key, s->value, msg,
					   sizeof(msg));
		if (ret == -ENOENT)
			snprintf(msg, sizeof(msg), "unknown key '%s'", s->key);
		if (ret)
			snprintf(err, errlen, "%s:%u: %s", s->file, s->line,
				 msg);
	}
	if (!ret && (ret = snmp_poller_opts_check(o, msg, sizeof(msg))))
		snprintf(err, errlen, "%s: %s", x->conf.path, msg);
	if (!ret && o->enabled &&
	    (ret = snmp_poller_start(x->ctx, o, &x->snmp, msg, sizeof(msg))))
		snprintf(err, errlen, "%s: %s", x->conf.path, msg);
	free(o);
	return ret ? -EINVAL : 0;
}

struct enricher *enricher_open(const char *config_path, char *err,
			       size_t errlen)
{
	struct enricher *x = calloc(1, sizeof(*x));
	int ret;

	if (!x) {
		snprintf(err, errlen, "%s: out of memory", config_path);
		return NULL;
	}
	ret = enrich_config_load(config_path, &x->conf, err, errlen);
	if (ret) {
		free(x);
		return NULL;
	}
	x->ctx = enrich_new();
	if (!x->ctx) {
		snprintf(err, errlen, "%s: out of memory", config_path);
		goto fail;
	}
	x->ctl_slot = enrich_reader_add(x->ctx);
	if (snmp_setup(x, err, errlen))
		goto fail;
	/* Exporters seen in flows are classified only when something can
	 * name or classify them. */
	if ((x->conf.src[ENRICH_CONF_NETWORKS] ||
	     x->conf.src[ENRICH_CONF_EXPORTERS] || x->snmp) &&
	    seen_set_new(x->conf.exporters_max, &x->seen)) {
		snprintf(err, errlen, "%s: out of memory", config_path);
		goto fail;
	}
	for (int s = 0; s < ENRICH_CONF_SRC_MAX; s++)
		if (x->conf.src[s] && load_src(x, s, err, errlen))
			goto fail;
	return x;
fail:
	enricher_close(x);
	return NULL;
}

/* Appends msg to the "; "-separated list in buf (len bytes), truncated
 * if need be. */
static void append_msg(char *buf, size_t len, const char *msg)
{
	size_t at = strnlen(buf, len), n = strlen(msg);

	if (at && at + 2 < len) {
		memcpy(buf + at, "; ", 2);
		at += 2;
	}
	if (at + 1 >= len)
		return;
	if (n > len - at - 1)
		n = len - at - 1;
	memcpy(buf + at, msg, n);
	buf[at + n] = '\0';
}

/* Reloads source s, counting and remembering the outcome (its message
 * joins last_err); returns the load's result. */
static int reload_one(struct enricher *x, enum enrich_config_src s, int *first)
{
	char msg[ERR_LEN];
	int ret = load_src(x, s, msg, sizeof(msg));

	if (!ret) {
		bump(&x->reloads);
		return 0;
	}
	bump(&x->reload_failures);
	if (!*first)
		*first = ret;
	append_msg(x->last_err, sizeof(x->last_err), msg);
	return ret;
}

int enricher_reload(struct enricher *x, char *err, size_t errlen)
{
	int first = 0;

	x->last_err[0] = '\0';
	for (int s = 0; s < ENRICH_CONF_SRC_MAX; s++)
		if (x->conf.src[s])
			reload_one(x, s, &first);
	if (first)
		snprintf(err, errlen, "%s", x->last_err);
	enrich_reclaim(x->ctx);
	return first;
}

int enricher_poll(struct enricher *x)
{
	int first = 0, n = 0;

	x->last_err[0] = '\0';
	for (int s = 0; s < ENRICH_CONF_SRC_MAX; s++) {
		struct file_sig now;

		if (!x->conf.src[s])
			continue;
		file_sig_get(x->conf.src[s], &now);
		if (file_sig_same(&now, &x->sig[s]))
			continue;
		if (!reload_one(x, s, &first))
			n++;
	}
	/* Another source (the SNMP poller) may have published interfaces,
	 * or flows came from new exporters: classify them too. */
	{
		/* The poller's publish count, read before the tables: a
		 * table freed and another allocated at its address would
		 * fool the pointer comparison alone. */
		uint64_t pub = snmp_poller_published(x->snmp);
		const struct enrich_tables *t =
			enrich_read_begin(x->ctx, x->ctl_slot);
		int changed = t->ifaces != x->exp_ifaces || pub != x->snmp_pub;

		enrich_read_end(x->ctx, x->ctl_slot);
		x->snmp_pub = pub;
		if (x->seen && seen_set_count(x->seen) != x->seen_n)
			changed = 1;
		if (x->seen && !x->full_logged && seen_set_full(x->seen)) {
			x->full_logged = true;
			pr_warn("%s: more than exporters-max (%u) exporters "
				"seen in flows; the others stay unclassified",
				x->conf.path, x->conf.exporters_max);
		}
		if (changed) {
			int ret = rebuild_exporters(x);

			note_generation(x);
			if (ret) {
				char msg[128];

				snprintf(msg, sizeof(msg),
					 "classifying exporters: %s",
					 strerror(-ret));
				append_msg(x->last_err, sizeof(x->last_err),
					   msg);
				if (!first)
					first = ret;
			}
		}
	}
	enrich_reclaim(x->ctx);
	return first ? first : n;
}

const char *enricher_last_error(const struct enricher *x)
{
	return x->last_err;
}

int enricher_reader_add(struct enricher *x)
{
	return enrich_reader_add(x->ctx);
}

const struct enrich_tables *enricher_begin(struct enricher *x, int slot)
{
	return enrich_read_begin(x->ctx, slot);
}

void enricher_end(struct enricher *x, int slot)
{
	enrich_read_end(x->ctx, slot);
}

const struct enricher_asn_policy *enricher_policy(const struct enricher *x)
{
	return &x->conf.asn;
}

const struct enricher_setting *enricher_snmp_settings(const struct enricher *x,
						      size_t *n)
{
	*n = x->conf.n_snmp;
	return x->conf.snmp;
}

struct enrich *enricher_context(struct enricher *x)
{
	return x->ctx;
}

struct snmp_poller *enricher_snmp(const struct enricher *x)
{
	return x->snmp;
}

void enricher_stats(const struct enricher *x, struct enricher_stats *st)
{
	st->generation =
		atomic_load_explicit(&x->generation, memory_order_relaxed);
	st->reloads = atomic_load_explicit(&x->reloads, memory_order_relaxed);
	st->reload_failures =
		atomic_load_explicit(&x->reload_failures, memory_order_relaxed);
	st->exporters_seen = x->seen ? seen_set_count(x->seen) : 0;
	st->exporters_full = x->seen && seen_set_full(x->seen);
	st->snmp = x->snmp != NULL;
	if (x->snmp)
		snmp_poller_stats(x->snmp, &st->snmp_st);
	else
		st->snmp_st = (struct snmp_poller_stats){ 0 };
}

void enricher_close(struct enricher *x)
{
	if (!x)
		return;
	snmp_poller_stop(x->snmp); /* before the context it publishes to */
	enrich_free(x->ctx);
	enrich_exporter_rules_free(x->rules);
	seen_set_free(x->seen);
	enrich_config_free(&x->conf);
	free(x);
}
