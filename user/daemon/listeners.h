/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's receive sources other than AF_XDP: the UDP sockets of every
 * listen URI (one SO_REUSEPORT socket per worker the listener uses), or
 * the capture of --pcap, handed to the workers that will drain them.
 */
#ifndef XDPFLOW_DAEMON_LISTENERS_H
#define XDPFLOW_DAEMON_LISTENERS_H

#include "daemon/options.h"
#include "daemon/worker.h"

/*
 * Opens each listener's sockets (?count= of them, else --workers), socket
 * k going to ws[k]; ws must hold as many workers as the largest count.
 * Logs each listener once. Returns 0, or -errno after one error line
 * (what could not be opened, and why); sockets already given stay with
 * their workers (worker_fini closes them).
 */
int listeners_open(const struct options *o, struct worker *ws);

/* Opens --pcap for w, every listener's port with its decode hint. Returns
 * 0, or -errno after one error line. */
int listeners_open_pcap(const struct options *o, struct worker *w);

#endif
