/* SPDX-License-Identifier: Apache-2.0 */
/*
 * librdkafka glue every Kafka client of ours shares (the publisher, the
 * inserter's consumer, xdpflow-enrich's relay): setting a property with a
 * one-line error, a `-X name=value` property, and librdkafka's syslog
 * levels in our log levels.
 */
#ifndef XDPFLOW_COMMON_KAFKA_CONF_H
#define XDPFLOW_COMMON_KAFKA_CONF_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "common/log.h"

/* Sets name to val in conf. 0, or -EINVAL with "invalid Kafka property
 * NAME: librdkafka's reason" in err. */
int kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *val,
		   char *err, size_t errlen);

/* Sets one "name=value" property (-X). 0, or -EINVAL with "invalid Kafka
 * property 'PROP' (want name=value)" when it is not of that form (or the
 * name is over 255 bytes), else kafka_conf_set's error. */
int kafka_conf_set_prop(rd_kafka_conf_t *conf, const char *prop, char *err,
			size_t errlen);

/* librdkafka's log callback level (syslog's) as ours. */
enum log_level kafka_log_level(int syslog_level);

#endif
