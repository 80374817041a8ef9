/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Publish-internal: the small vtable behind struct publisher, and the
 * constructors of its two implementations (file/stdout and Kafka). Every
 * implementation embeds struct publisher as its first member.
 */
#ifndef XDPFLOW_PUBLISH_INTERNAL_H
#define XDPFLOW_PUBLISH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "publish/publish.h"

struct publisher_ops {
	int (*write)(struct publisher *p, const struct flow_addr *exporter,
		     const uint8_t *msg, size_t len);
	/* Optional (NULL: the publisher takes no runs). */
	int (*write_run)(struct publisher *p, const uint8_t *msg, size_t len,
			 size_t nflows);
	int (*flush)(struct publisher *p, int timeout_ms);
	void (*poll)(struct publisher *p);
	void (*get_stats)(struct publisher *p, struct publish_stats *st);
	int (*reopen)(struct publisher *p);
	void (*close)(struct publisher *p);
};

struct publisher {
	const struct publisher_ops *ops;
};

/* Same contract as publisher_open, for cfg->kind OUT_KIND_FILE / _KAFKA. */
struct publisher *publish_file_open(const struct publish_config *cfg, char *err,
				    size_t errlen);
struct publisher *publish_kafka_open(const struct publish_config *cfg,
				     char *err, size_t errlen);

/* Whether librdkafka's statistics JSON (STATISTICS.md) shows a broker other
 * than the internal one in state UP. For publish_kafka.c and its tests. */
bool publish_kafka_stats_any_up(const char *json);

#endif
