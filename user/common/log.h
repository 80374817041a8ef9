/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging: every message goes through pr_err/pr_warn/pr_info/pr_debug, to
 * stderr, one line each, as text ("xdpflow: LEVEL: [exporter ADDR: ]MSG")
 * or as JSON ({"ts":"RFC 3339 UTC","level":"LEVEL","msg":"MSG",
 * "exporter":"ADDR" or null}). Messages about one exporter go through the
 * *_exp variants, which carry its address. Errors caused by packet input go
 * through a struct ratelimit so a hostile exporter cannot flood the log.
 */
#ifndef XDPFLOW_COMMON_LOG_H
#define XDPFLOW_COMMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
enum log_format { LOG_FMT_TEXT = 0, LOG_FMT_JSON };

/* Sets the most verbose level printed (default LOG_LVL_INFO). */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);

/* Sets the line format (default LOG_FMT_TEXT), once, before threads. */
void log_set_format(enum log_format fmt);

void log_print(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vprint(enum log_level lvl, const char *fmt, va_list ap);

/* The same for a message about one exporter (its address as text, NULL:
 * none). */
void log_print_exp(enum log_level lvl, const char *exporter, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));
void log_vprint_exp(enum log_level lvl, const char *exporter, const char *fmt,
		    va_list ap);

#define pr_err(...) log_print(LOG_LVL_ERR, __VA_ARGS__)
#define pr_warn(...) log_print(LOG_LVL_WARN, __VA_ARGS__)
#define pr_info(...) log_print(LOG_LVL_INFO, __VA_ARGS__)
#define pr_debug(...) log_print(LOG_LVL_DEBUG, __VA_ARGS__)
#define pr_err_exp(exp, ...) log_print_exp(LOG_LVL_ERR, exp, __VA_ARGS__)
#define pr_warn_exp(exp, ...) log_print_exp(LOG_LVL_WARN, exp, __VA_ARGS__)
#define pr_info_exp(exp, ...) log_print_exp(LOG_LVL_INFO, exp, __VA_ARGS__)
#define pr_debug_exp(exp, ...) log_print_exp(LOG_LVL_DEBUG, exp, __VA_ARGS__)

/* At most `burst` messages per `interval_ns`; the rest are counted and the
 * count is reported with the next message let through. Zero-initialise. */
struct ratelimit {
	uint64_t window_start_ns;
	uint32_t printed;
	uint32_t suppressed;
};

#define RATELIMIT_INTERVAL_NS (5ULL * 1000000000ULL)
#define RATELIMIT_BURST 10

/* Returns true if the caller may log now. When messages were suppressed in
 * the previous window, *suppressed receives how many (else 0). */
bool ratelimit_ok(struct ratelimit *rl, uint64_t now_ns, uint32_t *suppressed);

#endif
