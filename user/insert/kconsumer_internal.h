/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client-free step of kconsumer's rebalance callback, exposed for the
 * unit tests: which partitions the caller's hook sees and which offset
 * each element of librdkafka's assignment list then gets.
 */
#ifndef XDPFLOW_INSERT_KCONSUMER_INTERNAL_H
#define XDPFLOW_INSERT_KCONSUMER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "insert/kconsumer.h"

/*
 * The partitions of topic in list (others are skipped) go to
 * hooks->on_assign with offsets -1, in parts/offs (room for list->cnt
 * each); then every element of list gets the offset the hook set for its
 * partition, or RD_KAFKA_OFFSET_INVALID (the group's committed offset)
 * where the hook left -1. Returns what on_assign returned.
 */
bool kconsumer_assign_offsets(const char *topic,
			      const struct kconsumer_hooks *hooks,
			      rd_kafka_topic_partition_list_t *list,
			      int32_t *parts, int64_t *offs);

#endif
