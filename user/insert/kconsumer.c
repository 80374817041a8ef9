// SPDX-License-Identifier: Apache-2.0
/*
 * librdkafka high-level consumer for the inserter (see kconsumer.h). The
 * rebalance callback translates librdkafka's partition lists into plain
 * arrays for the caller's hooks and assigns at the offsets they return.
 */
#include "insert/kconsumer.h"
#include "insert/kconsumer_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kafka_conf.h"
#include "common/log.h"

struct kconsumer {
	rd_kafka_t *rk;
	char *topic;
	struct kconsumer_hooks hooks;
	/* scratch for the rebalance callback, sized at each rebalance */
	int32_t *parts;
	int64_t *offs;
	size_t cap;
};

static int grow(struct kconsumer *k, size_t n)
{
	int32_t *p;
	int64_t *o;

	if (n <= k->cap)
		return 0;
	p = realloc(k->parts, n * sizeof(*p));
	if (!p)
		return -1;
	k->parts = p;
	o = realloc(k->offs, n * sizeof(*o));
	if (!o)
		return -1;
	k->offs = o;
	k->cap = n;
	return 0;
}

static rd_kafka_topic_partition_list_t *make_list(struct kconsumer *k,
						  const int32_t *parts,
						  const int64_t *offs, size_t n)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new((int)n);

	for (size_t i = 0; i < n; i++) {
		rd_kafka_topic_partition_t *tp =
			rd_kafka_topic_partition_list_add(l, k->topic,
							  parts[i]);

		tp->offset = (offs && offs[i] >= 0) ? offs[i]
						    : RD_KAFKA_OFFSET_INVALID;
	}
	return l;
}

bool kconsumer_assign_offsets(const char *topic,
			      const struct kconsumer_hooks *hooks,
			      rd_kafka_topic_partition_list_t *list,
			      int32_t *parts, int64_t *offs)
{
	size_t n = 0;
	bool run;

	for (int i = 0; i < list->cnt; i++) {
		if (strcmp(list->elems[i].topic, topic) != 0)
			continue;
		parts[n] = list->elems[i].partition;
		offs[n++] = -1;
	}
	run = hooks->on_assign(hooks->ctx, parts, offs, n);
	for (int i = 0; i < list->cnt; i++) {
		list->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
		for (size_t j = 0; j < n; j++)
			if (parts[j] == list->elems[i].partition &&
			    offs[j] >= 0)
				list->elems[i].offset = offs[j];
	}
	return run;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *list, void *opaque)
{
	struct kconsumer *k = opaque;
	bool run;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		if (grow(k, (size_t)list->cnt) != 0) {
			pr_err("kafka: out of memory at partition assignment");
			rd_kafka_assign(rk, NULL);
			return;
		}
		run = kconsumer_assign_offsets(k->topic, &k->hooks, list,
					       k->parts, k->offs);
		pr_info("kafka: assigned %d partition(s) of %s", list->cnt,
			k->topic);
		rd_kafka_assign(rk, list);
		if (!run)
			rd_kafka_pause_partitions(rk, list);
		else
			rd_kafka_resume_partitions(rk, list);
	} else {
		if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
			pr_warn("kafka: rebalance error: %s",
				rd_kafka_err2str(err));
		k->hooks.on_revoke(k->hooks.ctx);
		rd_kafka_assign(rk, NULL);
	}
}

struct kconsumer *kconsumer_open(const struct kconsumer_config *cfg,
				 const struct kconsumer_hooks *hooks, char *err,
				 size_t errlen)
{
	struct kconsumer *k = calloc(1, sizeof(*k));
	rd_kafka_conf_t *conf = NULL;
	rd_kafka_topic_partition_list_t *sub;
	rd_kafka_resp_err_t e;
	char strat[128];
	size_t sl = sizeof(strat);

	if (!k || !(k->topic = strdup(cfg->topic))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	k->hooks = *hooks;
	conf = rd_kafka_conf_new();
	if (kafka_conf_set(conf, "bootstrap.servers", cfg->brokers, err,
			   errlen) ||
	    kafka_conf_set(conf, "group.id", cfg->group, err, errlen) ||
	    kafka_conf_set(conf, "client.id", "xdpflow-insert", err, errlen) ||
	    kafka_conf_set(conf, "enable.auto.commit", "false", err, errlen) ||
	    kafka_conf_set(conf, "enable.auto.offset.store", "false", err,
			   errlen) ||
	    kafka_conf_set(conf, "auto.offset.reset", "earliest", err,
			   errlen) ||
	    kafka_conf_set(conf, "enable.partition.eof", "false", err,
			   errlen) ||
	    kafka_conf_set(conf, "fetch.wait.max.ms", "100", err, errlen) ||
	    /* Small messages (one flow each) need big fetches to keep up. */
	    kafka_conf_set(conf, "max.partition.fetch.bytes", "8388608", err,
			   errlen) ||
	    kafka_conf_set(conf, "queued.min.messages", "1000000", err, errlen))
		goto fail;
	for (size_t i = 0; i < cfg->n_props; i++)
		if (kafka_conf_set_prop(conf, cfg->props[i], err, errlen))
			goto fail;
	if (rd_kafka_conf_get(conf, "partition.assignment.strategy", strat,
			      &sl) == RD_KAFKA_CONF_OK &&
	    strstr(strat, "cooperative")) {
		snprintf(err, errlen,
			 "partition.assignment.strategy %s is not supported (eager strategies only)",
			 strat);
		goto fail;
	}
	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	rd_kafka_conf_set_opaque(conf, k);
	k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, errlen);
	if (!k->rk)
		goto fail;
	conf = NULL; /* owned by rk now */
	rd_kafka_poll_set_consumer(k->rk);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, cfg->topic,
					  RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(k->rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (e) {
		snprintf(err, errlen, "could not subscribe to %s: %s",
			 cfg->topic, rd_kafka_err2str(e));
		goto fail;
	}
	return k;
fail:
	if (conf)
		rd_kafka_conf_destroy(conf);
	if (k && k->rk) {
		rd_kafka_destroy(k->rk);
		k->rk = NULL;
	}
	if (k) {
		free(k->topic);
		free(k);
	}
	return NULL;
}

rd_kafka_message_t *kconsumer_poll(struct kconsumer *k, int timeout_ms)
{
	return rd_kafka_consumer_poll(k->rk, timeout_ms);
}

int kconsumer_assignment(struct kconsumer *k, int32_t *parts, size_t max)
{
	rd_kafka_topic_partition_list_t *l = NULL;
	int n = 0;

	if (rd_kafka_assignment(k->rk, &l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return -1;
	for (int i = 0; i < l->cnt; i++) {
		if (strcmp(l->elems[i].topic, k->topic) != 0)
			continue;
		if ((size_t)n < max)
			parts[n] = l->elems[i].partition;
		n++;
	}
	rd_kafka_topic_partition_list_destroy(l);
	return n;
}

void kconsumer_pause(struct kconsumer *k)
{
	rd_kafka_topic_partition_list_t *l = NULL;

	if (rd_kafka_assignment(k->rk, &l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (l->cnt)
		rd_kafka_pause_partitions(k->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
}

int kconsumer_reassign(struct kconsumer *k, const int32_t *parts,
		       const int64_t *offsets, size_t n)
{
	rd_kafka_topic_partition_list_t *l = make_list(k, parts, offsets, n);
	rd_kafka_resp_err_t e;

	e = rd_kafka_assign(k->rk, l);
	if (!e)
		rd_kafka_resume_partitions(k->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (e) {
		pr_warn("kafka: could not re-assign partitions: %s",
			rd_kafka_err2str(e));
		return -1;
	}
	return 0;
}

/* Offsets past the position that do not count as lag: the markers a
 * transactional producer (xdpflow-enrich) leaves at the end of a
 * partition, which the application never sees. */
#define KC_LAG_MIN 64

bool kconsumer_lagging(struct kconsumer *k, const int32_t *parts,
		       const int64_t *offsets, size_t n)
{
	rd_kafka_topic_partition_list_t *l = make_list(k, parts, NULL, n);
	bool lag = false;

	if (rd_kafka_position(k->rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		for (int i = 0; i < l->cnt && !lag; i++) {
			int64_t lo, hi, at = l->elems[i].offset;

			if (offsets[i] > at)
				at = offsets[i];
			if (at < 0 ||
			    rd_kafka_get_watermark_offsets(k->rk, k->topic,
							   l->elems[i].partition,
							   &lo, &hi) !=
				    RD_KAFKA_RESP_ERR_NO_ERROR)
				continue;
			lag = hi - at > KC_LAG_MIN;
		}
	}
	rd_kafka_topic_partition_list_destroy(l);
	return lag;
}

void kconsumer_commit_async(struct kconsumer *k, const int32_t *parts,
			    const int64_t *next, size_t n)
{
	rd_kafka_topic_partition_list_t *l;

	if (n == 0)
		return;
	l = make_list(k, parts, next, n);
	rd_kafka_commit(k->rk, l, 1);
	rd_kafka_topic_partition_list_destroy(l);
}

void kconsumer_close(struct kconsumer *k)
{
	if (!k)
		return;
	if (k->rk) {
		rd_kafka_consumer_close(k->rk);
		rd_kafka_destroy(k->rk);
	}
	free(k->parts);
	free(k->offs);
	free(k->topic);
	free(k);
}
