/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --templates-file for the daemon: NetFlow v9/IPFIX templates loaded into
 * every worker's decode context at start, and saved from all of them when
 * one learnt something (checked on a timer) and at exit. Locks each worker
 * (worker_lock) while it reads or writes its context.
 */
#ifndef XDPFLOW_DAEMON_TEMPLATES_H
#define XDPFLOW_DAEMON_TEMPLATES_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/worker.h"

/*
 * Loads path into each of the n workers (not yet running). A missing or
 * corrupt file is a warning, not an error: the workers start without
 * templates (logged once).
 */
void templates_load(const char *path, struct worker *ws, size_t n);

/*
 * Saves the templates of the n workers to path when one of them learnt
 * something since the last save, or *pending (a failed save still due), or
 * force; all workers are locked for the write. A failure is logged and
 * left in *pending for the next call. n is at most LISTEN_MAX_COUNT.
 */
void templates_save(const char *path, struct worker *ws, size_t n, bool force,
		    bool *pending);

#endif
