// SPDX-License-Identifier: Apache-2.0
/* Leveled logging to stderr (text or JSON lines) and the rate limiter for
 * packet-driven errors. */
#include "common/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The one piece of process-wide state outside the daemon context: the log
 * level and format, set once from the command line before threads start. */
static enum log_level log_level = LOG_LVL_INFO;
static enum log_format log_format = LOG_FMT_TEXT;

void log_set_format(enum log_format fmt)
{
	log_format = fmt;
}

void log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

enum log_level log_get_level(void)
{
	return log_level;
}

static const char *const tag[] = { "error", "warning", "info", "debug" };

/* Appends s to out[*n..len) as a JSON string body: quotes, backslashes,
 * control and non-ASCII bytes escaped (the line stays ASCII). */
static void json_str(char *out, size_t len, size_t *n, const char *s)
{
	for (; *s && *n + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[(*n)++] = '\\';
			out[(*n)++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			*n += (size_t)snprintf(out + *n, len - *n, "\\u%04x",
					       c);
		} else {
			out[(*n)++] = (char)c;
		}
	}
	out[*n] = '\0';
}

static void print_json(enum log_level lvl, const char *exporter,
		       const char *msg)
{
	char line[3 * 1024 + 256], day[24];
	uint64_t now = clock_realtime_ns();
	time_t secs = (time_t)(now / CLOCK_NS_PER_SEC);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	n = (size_t)snprintf(line, sizeof(line),
			     "{\"ts\":\"%s.%03uZ\",\"level\":\"%s\",\"msg\":\"",
			     day, (unsigned)(now / CLOCK_NS_PER_MS % 1000),
			     tag[lvl]);
	json_str(line, sizeof(line) - 64, &n, msg);
	if (exporter) {
		n += (size_t)snprintf(line + n, sizeof(line) - n,
				      "\",\"exporter\":\"");
		json_str(line, sizeof(line) - 8, &n, exporter);
		snprintf(line + n, sizeof(line) - n, "\"}\n");
	} else {
		snprintf(line + n, sizeof(line) - n, "\",\"exporter\":null}\n");
	}
	fputs(line, stderr);
}

void log_vprint_exp(enum log_level lvl, const char *exporter, const char *fmt,
		    va_list ap)
{
	char line[1024];
	int n;

	if (lvl > log_level)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	/* A trailing newline is the line's end, not part of the message. */
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (log_format == LOG_FMT_JSON) {
		print_json(lvl, exporter, line);
		return;
	}
	/* One write per line keeps lines from several threads whole. */
	if (exporter)
		fprintf(stderr, "xdpflow: %s: exporter %s: %s\n", tag[lvl],
			exporter, line);
	else
		fprintf(stderr, "xdpflow: %s: %s\n", tag[lvl], line);
}

void log_vprint(enum log_level lvl, const char *fmt, va_list ap)
{
	log_vprint_exp(lvl, NULL, fmt, ap);
}

void log_print_exp(enum log_level lvl, const char *exporter, const char *fmt,
		   ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint_exp(lvl, exporter, fmt, ap);
	va_end(ap);
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
