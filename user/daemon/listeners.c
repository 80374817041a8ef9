// SPDX-License-Identifier: Apache-2.0
/* Opening the listeners' sockets and the capture (see listeners.h). */
#include "daemon/listeners.h"

#include <stdbool.h>
#include <stdio.h>

#include "common/log.h"
#include "rx/rx_pcap.h"
#include "rx/rx_socket.h"
#include "rx/rx_tcp.h"

/* A tcp:// or tls:// listener: one socket, served by the first worker. */
static int open_tcp(const struct options *o, const struct listen_uri *u,
		    struct worker *w)
{
	char name[128], err[512];
	struct rx_tcp_config cfg = {
		.addr = (const struct sockaddr *)&u->addr,
		.addrlen = u->addrlen,
		.dual_stack = u->any,
		.name = listen_uri_str(u, name, sizeof(name)),
		.tls_cert = u->tls ? o->tls_cert : NULL,
		.tls_key = u->tls ? o->tls_key : NULL,
		.tls_ca = u->tls ? o->tls_ca : NULL,
	};
	struct rx *rx;
	int rc = rx_tcp_open(&cfg, &rx, err, sizeof(err));

	if (rc) {
		pr_err("%s", err);
		return rc;
	}
	rc = worker_add_rx(w, rx, NULL);
	if (rc) {
		rx_close(rx);
		pr_err("could not add %s to worker %u: too many listeners",
		       name, w->id);
		return rc;
	}
	pr_info("listening on %s (IPFIX over %s, up to %d connections)", name,
		u->tls ? (o->tls_ca ? "TLS, exporters' certificates verified"
				    : "TLS, exporters not authenticated")
		       : "TCP",
		RX_TCP_MAX_CONN);
	return 0;
}

int listeners_open(const struct options *o, struct worker *ws)
{
	char name[128], err[256];
	bool warned = false;

	for (size_t l = 0; l < o->n_listen; l++) {
		const struct listen_uri *u = &o->listen[l];
		unsigned cnt = u->count ? u->count : o->workers;

		if (u->tcp) {
			int rc = open_tcp(o, u, &ws[0]);

			if (rc)
				return rc;
			continue;
		}
		struct rx_socket_info info = { 0 };
		struct rx_socket_config cfg = {
			.addr = (const struct sockaddr *)&u->addr,
			.addrlen = u->addrlen,
			.dual_stack = u->any,
			.hint = u->hint,
			.rcvbuf = (int)o->rcvbuf,
			.batch = o->batch,
			.coalesce_ns = o->coalesce_us * 1000U,
			.name = listen_uri_str(u, name, sizeof(name)),
		};

		for (unsigned k = 0; k < cnt; k++) {
			struct rx *rx;
			int rc;

			cfg.exclusive = k == 0;
			rc = rx_socket_open(&cfg, &rx, &info, err, sizeof(err));

			if (rc) {
				pr_err("%s", err);
				return rc;
			}
			rc = worker_add_rx(&ws[k], rx, name);
			if (rc) {
				rx_close(rx);
				pr_err("could not add %s to worker %u: too many listeners",
				       name, k);
				return rc;
			}
		}
		if (o->rcvbuf && !info.forced && !warned) {
			pr_warn("could not force the receive buffer of %s to %lu bytes: not permitted; using SO_RCVBUF (kernel gives %d, see net.core.rmem_max)",
				name, o->rcvbuf, info.rcvbuf);
			warned = true;
		}
		pr_info("listening on %s (%u socket%s, receive buffer %d bytes)",
			name, cnt, cnt == 1 ? "" : "s", info.rcvbuf);
	}
	return 0;
}

int listeners_open_pcap(const struct options *o, struct worker *w)
{
	struct rx_pcap_port ports[OPT_MAX_LISTEN];
	char err[512];
	struct rx *rx;
	int rc;

	for (size_t i = 0; i < o->n_listen; i++) {
		ports[i].port = o->listen[i].port;
		ports[i].hint = o->listen[i].hint;
	}
	rc = rx_pcap_open(o->pcap, ports, o->n_listen, &rx, err, sizeof(err));
	if (rc) {
		pr_err("%s", err);
		return rc;
	}
	rc = worker_add_rx(w, rx, NULL);
	if (rc) {
		rx_close(rx);
		pr_err("could not add the capture %s to worker %u", o->pcap,
		       w->id);
		return rc;
	}
	pr_info("reading capture %s", o->pcap);
	return 0;
}
