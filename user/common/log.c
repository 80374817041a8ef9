// SPDX-License-Identifier: Apache-2.0
/* Leveled logging to stderr and the rate limiter for packet-driven errors. */
#include "common/log.h"

#include <stdio.h>

/* The one piece of process-wide state outside the daemon context: the log
 * level, set once from the command line before threads start. */
static enum log_level log_level = LOG_LVL_INFO;

void log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_vprint(enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	char line[1024];
	int n;

	if (lvl > log_level)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	/* One write per line keeps lines from several threads whole. */
	fprintf(stderr, "xdpflow: %s: %s%s", tag[lvl], line,
		(n > 0 && line[n < (int)sizeof(line) ? n - 1 : (int)sizeof(line) - 2] == '\n') ? "" : "\n");
}

void log_print(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(lvl, fmt, ap);
	va_end(ap);
}

bool ratelimit_ok(struct ratelimit *rl, uint64_t now_ns, uint32_t *suppressed)
{
	*suppressed = 0;
	if (now_ns - rl->window_start_ns >= RATELIMIT_INTERVAL_NS) {
		*suppressed = rl->suppressed;
		rl->window_start_ns = now_ns;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < RATELIMIT_BURST) {
		rl->printed++;
		return true;
	}
	rl->suppressed++;
	return false;
}
