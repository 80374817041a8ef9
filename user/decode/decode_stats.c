// SPDX-License-Identifier: Apache-2.0
/* Per-exporter decode counters and rate-limited error logging. */
#include "decode/decode_stats.h"
#include "common/clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const dstat_names[] = {
#define DSTAT_NAME(id, name) name,
	DSTAT_LIST(DSTAT_NAME)
#undef DSTAT_NAME
};

const char *dstat_name(enum dstat s)
{
	return (unsigned)s < DSTAT__COUNT ? dstat_names[s] : "unknown";
}

int dstats_init(struct dstats_table *t, size_t max_exporters)
{
	size_t cap = 16;

	memset(t, 0, sizeof(*t));
	while (cap < max_exporters * 2)
		cap <<= 1;
	t->slots = calloc(cap, sizeof(*t->slots));
	t->used = calloc(cap, 1);
	if (!t->slots || !t->used) {
		dstats_fini(t);
		return -ENOMEM;
	}
	t->cap = cap;
	return 0;
}

void dstats_fini(struct dstats_table *t)
{
	free(t->slots);
	free(t->used);
	t->slots = NULL;
	t->used = NULL;
	t->cap = t->n = 0;
}

static uint64_t addr_hash(const struct flow_addr *a)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (unsigned i = 0; i < a->len; i++)
		h = (h ^ a->b[i]) * 1099511628211ULL;
	return h;
}

struct exporter_stats *dstats_get(struct dstats_table *t,
				  const struct flow_addr *exporter)
{
	size_t mask = t->cap - 1, i;

	if (!t->cap)
		return &t->overflow;
	for (i = addr_hash(exporter) & mask;; i = (i + 1) & mask) {
		struct exporter_stats *es = &t->slots[i];

		if (!t->used[i])
			break;
		if (es->addr.len == exporter->len &&
		    !memcmp(es->addr.b, exporter->b, exporter->len))
			return es;
	}
	/* Keep the load factor at or below one half. */
	if (t->n * 2 >= t->cap || exporter->len == 0)
		return &t->overflow;
	t->used[i] = 1;
	t->n++;
	t->slots[i].addr = *exporter;
	return &t->slots[i];
}

void dstats_error(struct exporter_stats *es, enum dstat reason, const char *fmt,
		  ...)
{
	char addr[64], what[256];
	uint32_t suppressed;
	va_list ap;

	es->c[reason]++;
	if (!ratelimit_ok(&es->rl, clock_mono_ns(), &suppressed))
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	flow_addr_str(&es->addr, addr, sizeof(addr));
	if (suppressed)
		pr_warn_exp(addr, "%s: %s (%u similar messages suppressed)",
			    dstat_name(reason), what, suppressed);
	else
		pr_warn_exp(addr, "%s: %s", dstat_name(reason), what);
}

void dstats_foreach(const struct dstats_table *t,
		    void (*fn)(const struct exporter_stats *es, void *arg),
		    void *arg)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->used[i])
			fn(&t->slots[i], arg);
	for (unsigned s = 0; s < DSTAT__COUNT; s++) {
		if (t->overflow.c[s]) {
			fn(&t->overflow, arg);
			break;
		}
	}
}
