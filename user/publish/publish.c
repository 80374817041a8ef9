// SPDX-License-Identifier: Apache-2.0
/*
 * The publish stage's front door: checks the configuration, opens the file
 * or Kafka publisher it names, and forwards every call through the
 * publisher's vtable.
 */
#include "publish/publish.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "publish/publish_internal.h"

struct publisher *publisher_open(const struct publish_config *cfg, char *err,
				 size_t errlen)
{
	if (!cfg) {
		snprintf(err, errlen, "no publisher configuration");
		return NULL;
	}
	if (cfg->format != OUT_FORMAT_PB && cfg->format != OUT_FORMAT_JSON) {
		snprintf(err, errlen, "unknown output format %d",
			 (int)cfg->format);
		return NULL;
	}
	switch (cfg->kind) {
	case OUT_KIND_FILE:
		return publish_file_open(cfg, err, errlen);
	case OUT_KIND_KAFKA:
		return publish_kafka_open(cfg, err, errlen);
	}
	snprintf(err, errlen, "unknown output kind %d", (int)cfg->kind);
	return NULL;
}

int publisher_write(struct publisher *p, const struct flow_addr *exporter,
		    const uint8_t *msg, size_t len)
{
	return p->ops->write(p, exporter, msg, len);
}

bool publisher_takes_runs(const struct publisher *p)
{
	return p->ops->write_run != NULL;
}

int publisher_write_run(struct publisher *p, const uint8_t *msg, size_t len,
			size_t nflows)
{
	if (!p->ops->write_run)
		return -EOPNOTSUPP;
	if (len > PUBLISH_MAX_RUN)
		return -EMSGSIZE;
	return p->ops->write_run(p, msg, len, nflows);
}

int publisher_flush(struct publisher *p, int timeout_ms)
{
	return p->ops->flush(p, timeout_ms);
}

void publisher_poll(struct publisher *p)
{
	p->ops->poll(p);
}

void publisher_get_stats(struct publisher *p, struct publish_stats *st)
{
	memset(st, 0, sizeof(*st));
	p->ops->get_stats(p, st);
}

int publisher_reopen(struct publisher *p)
{
	return p->ops->reopen ? p->ops->reopen(p) : 0;
}

void publisher_close(struct publisher *p)
{
	if (p)
		p->ops->close(p);
}
