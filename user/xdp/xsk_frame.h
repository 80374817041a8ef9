/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one parser of received frames on the AF_XDP path: Ethernet, up to two
 * VLAN tags (802.1Q/802.1ad), IPv4 (options skipped) or IPv6 (extension
 * headers walked, bounded), UDP; it fills a struct datagram whose payload
 * points into the frame (nothing copied). Every read goes through the
 * bounds-checked cursor of common/bytes.h; hostile frames are refused, never
 * over-read.
 */
#ifndef XDPFLOW_XDP_XSK_FRAME_H
#define XDPFLOW_XDP_XSK_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

/*
 * Parses the len bytes at frame. On success returns 0 and sets dg->data and
 * dg->len (the UDP payload, inside frame, bounded by the UDP and IP lengths),
 * dg->exporter, dg->exporter_port and dg->local_port; other fields are left
 * alone. Returns -EINVAL for anything that is not one whole unfragmented
 * UDP datagram over IPv4/IPv6.
 */
int xsk_frame_parse(const uint8_t *frame, size_t len, struct datagram *dg);

#endif
