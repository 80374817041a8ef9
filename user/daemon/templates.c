// SPDX-License-Identifier: Apache-2.0
/* Loading and saving the workers' templates (see templates.h). */
#include "daemon/templates.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "daemon/listen_uri.h"
#include "decode/decode.h"

void templates_load(const char *path, struct worker *ws, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = decode_templates_load(ws[i].dec, path);

		if (rc) {
			pr_warn("could not load templates from %s: %s; starting without them",
				path,
				rc == -EINVAL ? "file is corrupt"
					      : strerror(-rc));
			return;
		}
	}
}

void templates_save(const char *path, struct worker *ws, size_t n, bool force,
		    bool *pending)
{
	struct decode_ctx *ctxs[LISTEN_MAX_COUNT];
	bool dirty = force || *pending;
	int rc;

	for (size_t i = 0; i < n; i++) {
		worker_lock(&ws[i]);
		dirty |= decode_templates_dirty(ws[i].dec);
		worker_unlock(&ws[i]);
	}
	if (!dirty)
		return;
	for (size_t i = 0; i < n; i++) {
		worker_lock(&ws[i]);
		ctxs[i] = ws[i].dec;
	}
	rc = decode_templates_save(ctxs, n, path);
	for (size_t i = n; i-- > 0;)
		worker_unlock(&ws[i]);
	*pending = rc != 0;
	if (rc)
		pr_warn("could not save templates to %s: %s", path,
			strerror(-rc));
	else
		pr_debug("templates saved to %s", path);
}
