/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct rx over one AF_XDP socket (xdp/xsk_rx.h): the receive interface
 * the workers already drain, so datagrams steered by the XDP program reach
 * the same decode and pipeline as those of the UDP sockets. Payloads point
 * into UMEM frames; rx_release (or the next rx_recv) hands the frames back
 * to the fill ring. Nothing is allocated per packet.
 */
#ifndef XDPFLOW_RX_XSK_H
#define XDPFLOW_RX_XSK_H

#include "rx/rx.h"
#include "xdp/xsk_rx.h"

/*
 * Wraps xsk (which the returned rx then owns and closes). Counters: packets
 * and bytes handed out; drops are the kernel's (RX ring full, no fill
 * frames); errors are frames that did not parse as one UDP datagram.
 * coalesce_ns (0: off) is the longest the worker may wait after a short
 * batch before polling again (struct rx); the room it may fill meanwhile
 * is half the socket's frames, so that the RX ring cannot overflow at the
 * rate the last batches showed.
 * Returns 0 and *out, or -ENOMEM (xsk is then left to the caller).
 */
int rx_xsk_wrap(struct xsk_rx *xsk, uint32_t coalesce_ns, struct rx **out);

#endif
