// SPDX-License-Identifier: Apache-2.0
/* librdkafka glue shared by our Kafka clients (see kafka_conf.h). */
#include "common/kafka_conf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

int kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *val,
		   char *err, size_t errlen)
{
	char e[256];

	if (rd_kafka_conf_set(conf, name, val, e, sizeof(e)) !=
	    RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "invalid Kafka property %s: %s", name, e);
		return -EINVAL;
	}
	return 0;
}

int kafka_conf_set_prop(rd_kafka_conf_t *conf, const char *prop, char *err,
			size_t errlen)
{
	const char *eq = strchr(prop, '=');
	char name[256];

	if (!eq || eq == prop || (size_t)(eq - prop) >= sizeof(name)) {
		snprintf(err, errlen,
			 "invalid Kafka property '%s' (want name=value)", prop);
		return -EINVAL;
	}
	memcpy(name, prop, (size_t)(eq - prop));
	name[eq - prop] = '\0';
	return kafka_conf_set(conf, name, eq + 1, err, errlen);
}

enum log_level kafka_log_level(int syslog_level)
{
	return syslog_level <= LOG_ERR	     ? LOG_LVL_ERR
	       : syslog_level == LOG_WARNING ? LOG_LVL_WARN
	       : syslog_level <= LOG_INFO    ? LOG_LVL_INFO
					     : LOG_LVL_DEBUG;
}
