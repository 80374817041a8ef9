// SPDX-License-Identifier: Apache-2.0
/* The health verdict behind /__health (see health.h). */
#include "daemon/health.h"

#include <stdio.h>

bool health_check(const struct stats_source *src, uint64_t kafka_timeout_ns,
		  uint64_t now_ns, char *why, size_t whylen)
{
	struct publish_stats ps = { 0 };
	size_t receiving = 0;

	for (size_t i = 0; i < src->n_workers; i++) {
		const struct worker *w = &src->workers[i];
		uint64_t alive = atomic_load_explicit(&w->alive_ns,
						      memory_order_relaxed);

		if (alive && !atomic_load(&w->finished) &&
		    (now_ns < alive || now_ns - alive < HEALTH_STALL_NS))
			receiving++;
	}
	if (receiving == 0) {
		snprintf(why, whylen,
			 "no worker is receiving (%zu stopped or stalled)",
			 src->n_workers);
		return false;
	}
	if (src->pub)
		publisher_get_stats(src->pub, &ps);
	if (ps.unreachable_since_ns && now_ns > ps.unreachable_since_ns &&
	    now_ns - ps.unreachable_since_ns > kafka_timeout_ns) {
		snprintf(why, whylen, "kafka unreachable for %llu s",
			 (unsigned long long)((now_ns -
					       ps.unreachable_since_ns) /
					      1000000000ULL));
		return false;
	}
	return true;
}
