/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's health, as /__health answers it (GoFlow2's meaning): healthy
 * while at least one worker thread is receiving (running, and round its
 * loop within HEALTH_STALL_NS: a worker wakes at least once a second) and
 * the Kafka output, when there is one, has not been unreachable for longer
 * than the configured timeout (--health-kafka-timeout).
 */
#ifndef XDPFLOW_DAEMON_HEALTH_H
#define XDPFLOW_DAEMON_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/stats_report.h"

#define HEALTH_STALL_NS (10ULL * 1000000000ULL)

/*
 * Whether src is healthy at now_ns (CLOCK_MONOTONIC) with Kafka allowed
 * to be unreachable for kafka_timeout_ns. Safe from any thread (reads
 * atomics only). When not healthy, why gets a one-line reason.
 */
bool health_check(const struct stats_source *src, uint64_t kafka_timeout_ns,
		  uint64_t now_ns, char *why, size_t whylen);

#endif
