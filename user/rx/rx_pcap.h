/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct rx over an offline capture (pcap or pcapng, read with libpcap):
 * UDP over IPv4/IPv6 on Ethernet (VLAN tags skipped), Linux cooked SLL and
 * SLL2, raw IP and BSD loopback/null. Datagrams to one of the given ports
 * come out with the capture's source as exporter and the capture's time
 * stamp as time_received_ns; everything else is counted as ignored. IPv4
 * fragments are reassembled in a few bounded slots.
 */
#ifndef XDPFLOW_RX_PCAP_H
#define XDPFLOW_RX_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "rx/rx.h"

/* A destination port of interest and the decode hint its datagrams get. */
struct rx_pcap_port {
	uint16_t port;
	enum decode_hint hint;
};

/*
 * Opens path for reading. ports[0..n) is copied (the first entry of a port
 * wins). Returns 0 and *out, or -errno (-ENOENT, -EPROTONOSUPPORT for an
 * unknown link type, -EINVAL for anything else libpcap refuses) with a
 * one-line reason in err. The rx's fd is -1: input is always ready, and
 * rx_recv hands out one datagram at a time until -ENODATA at the end.
 */
int rx_pcap_open(const char *path, const struct rx_pcap_port *ports, size_t n,
		 struct rx **out, char *err, size_t errlen);

#endif
