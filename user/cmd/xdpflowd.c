// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflowd: receives NetFlow v5/v9, IPFIX and sFlow v5 on UDP sockets and
 * AF_XDP (or reads them from a capture), decodes them in worker threads and
 * publishes GoFlow2-compatible FlowMessages to a file or Kafka. Reads top
 * to bottom: parse the options (daemon/options.h), then start, run and
 * stop the daemon (daemon/daemon.h: the top-level context, its event loop
 * and timers). SIGINT/SIGTERM stop, SIGUSR1 prints the stats report,
 * SIGHUP reopens the output file.
 * Exit status: 0 ok, 1 runtime failure, 2 bad command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "daemon/daemon.h"
#include "daemon/options.h"
#include "version.h"

int main(int argc, char **argv)
{
	struct options *o = calloc(1, sizeof(*o)); /* big: off the stack */
	struct daemon d;
	char err[512];
	int rc, stopped;

	if (!o) {
		pr_err("could not start: %s", strerror(ENOMEM));
		return 1;
	}
	rc = options_parse(o, argc, argv, err, sizeof(err));
	if (rc != OPTIONS_RUN) {
		if (rc < 0)
			pr_err("%s", err);
		else if (rc == OPTIONS_HELP)
			options_usage(stdout, "xdpflowd");
		else
			printf("xdpflowd %s\n", XDPFLOW_VERSION);
		free(o);
		return rc < 0 ? 2 : 0;
	}
	log_set_level(o->log_level);
	log_set_format(o->log_format);

	rc = daemon_start(&d, o, XDPFLOW_VERSION);
	if (!rc)
		rc = daemon_run(&d);
	stopped = daemon_stop(&d);
	free(o);
	return rc || stopped ? 1 : 0;
}
