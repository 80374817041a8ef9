// SPDX-License-Identifier: Apache-2.0
/*
 * AF_XDP sockets over libxdp's xsk.h (see xsk_rx.h). Frame accounting: all
 * `frames` UMEM frames start in the fill ring, whose size equals the frame
 * count, so returning frames can always reserve room. A frame is either in
 * the fill ring, in the kernel / RX ring, or handed out (listed in
 * `pending` until release).
 *
 * Syscalls: the sockets are bound with XDP_USE_NEED_WAKEUP, so receiving
 * makes none while the kernel keeps the fill ring going by itself (softirq
 * or driver NAPI): a batch is a ring peek, a release a ring submit. Only
 * when the kernel sets the fill ring's need_wakeup flag (it stopped for
 * want of frames) does kick() make one recvfrom, counted in `wakeups`.
 * With busy polling on, the application drives NAPI itself, so an empty
 * peek always kicks (as the kernel's AF_XDP documentation prescribes).
 */
#include "xdp/xsk_rx.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/ethtool.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <xdp/xsk.h>

#include "common/clock.h"
#include "common/log.h"
#include "xdp/xsk_frame.h"
#include "xdpflow.h"

#define DEFAULT_FRAMES 4096
#define DEFAULT_FRAME_SIZE 2048
#define MAX_FRAMES (1U << 20)

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

struct xsk_rx {
	struct xsk_ring_cons rx;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	uint8_t *area;
	size_t area_len;
	uint32_t frames, frame_size;
	uint64_t *pending; /* frame addresses handed out by the last recv */
	uint32_t n_pending;
	int xsks_map_fd;
	uint32_t queue;
	bool zc;
	bool busy_poll;
	char ifname[IF_NAMESIZE];
	struct xsk_rx_port ports[XDPFLOW_MAX_PORTS];
	size_t n_ports;
	struct xsk_rx_stats st;
};

int xsk_rx_queue_count(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { 0 };
	int fd, n = 1;

	if (strlen(ifname) >= IF_NAMESIZE)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0) {
		uint32_t q = ch.rx_count > ch.combined_count
				     ? ch.rx_count
				     : ch.combined_count;
		if (q > 0)
			n = q > XDPFLOW_MAX_QUEUES ? XDPFLOW_MAX_QUEUES
						   : (int)q;
	} else if (errno == ENODEV) {
		n = -ENODEV;
	} /* EOPNOTSUPP: a single-queue device */
	close(fd);
	return n;
}

/* Wakes the kernel's receive side up (or busy-polls it): one syscall. */
static void kick(struct xsk_rx *rx)
{
	rx->st.wakeups++;
	recvfrom(xsk_socket__fd(rx->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

/* Applies the busy-poll options to fd; 0, or -errno after one error line
 * naming the option the kernel refused. */
static int set_busy_poll(const struct xsk_rx *rx, int fd,
			 const struct xsk_rx_opts *o)
{
	const struct {
		int opt;
		int val;
		const char *name;
	} s[] = {
		{ SO_BUSY_POLL, (int)o->busy_poll_us,
		  "SO_BUSY_POLL (--xdp-busy-poll)" },
		{ SO_PREFER_BUSY_POLL, 1,
		  "SO_PREFER_BUSY_POLL (--xdp-busy-poll)" },
		{ SO_BUSY_POLL_BUDGET, (int)o->busy_poll_budget,
		  "SO_BUSY_POLL_BUDGET (--xdp-busy-poll-budget)" },
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		if (s[i].opt == SO_BUSY_POLL_BUDGET && !o->busy_poll_budget)
			continue;
		if (setsockopt(fd, SOL_SOCKET, s[i].opt, &s[i].val,
			       sizeof(s[i].val)) < 0) {
			int err = -errno;

			pr_err("could not set %s to %d on the AF_XDP socket of %s queue %u: %s",
			       s[i].name, s[i].val, rx->ifname, rx->queue,
			       strerror(-err));
			return err;
		}
	}
	return 0;
}

static bool is_zerocopy(int fd)
{
	struct xdp_options o = { 0 };
	socklen_t len = sizeof(o);

	return getsockopt(fd, SOL_XDP, XDP_OPTIONS, &o, &len) == 0 &&
	       (o.flags & XDP_OPTIONS_ZEROCOPY);
}

int xsk_rx_open(struct xsk_rx **out, const char *ifname, uint32_t queue,
		int xsks_map_fd, const struct xsk_rx_opts *o)
{
	struct xsk_umem_config uc = { 0 };
	struct xsk_socket_config sc = { 0 };
	struct xsk_rx *rx;
	uint32_t idx;
	int err;

	*out = NULL;
	if (!ifname || strlen(ifname) >= IF_NAMESIZE || !o ||
	    o->n_ports > XDPFLOW_MAX_PORTS || (o->n_ports && !o->ports))
		return -EINVAL;
	rx = calloc(1, sizeof(*rx));
	if (!rx)
		return -ENOMEM;
	rx->xsks_map_fd = -1;
	rx->queue = queue;
	memcpy(rx->ifname, ifname, strlen(ifname) + 1);
	rx->frames = o->frames ? o->frames : DEFAULT_FRAMES;
	rx->frame_size = o->frame_size ? o->frame_size : DEFAULT_FRAME_SIZE;
	if ((rx->frames & (rx->frames - 1)) || rx->frames < 64 ||
	    rx->frames > MAX_FRAMES ||
	    (rx->frame_size != 2048 && rx->frame_size != 4096)) {
		pr_err("could not open AF_XDP socket on %s queue %u: frames must be a power of 2 in 64..%u and frame size 2048 or 4096",
		       ifname, queue, MAX_FRAMES);
		free(rx);
		return -EINVAL;
	}
	if (o->n_ports)
		memcpy(rx->ports, o->ports, o->n_ports * sizeof(o->ports[0]));
	rx->n_ports = o->n_ports;
	rx->pending = calloc(rx->frames, sizeof(*rx->pending));
	rx->area_len = (size_t)rx->frames * rx->frame_size;
	rx->area = mmap(NULL, rx->area_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!rx->pending || rx->area == MAP_FAILED) {
		err = -ENOMEM;
		rx->area = rx->area == MAP_FAILED ? NULL : rx->area;
		goto fail;
	}

	uc.fill_size = rx->frames;
	uc.comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS;
	uc.frame_size = rx->frame_size;
	err = xsk_umem__create(&rx->umem, rx->area, rx->area_len, &rx->fq,
			       &rx->cq, &uc);
	if (err) {
		pr_err("could not register %zu bytes of AF_XDP UMEM for %s queue %u: %s",
		       rx->area_len, ifname, queue, strerror(-err));
		rx->umem = NULL;
		goto fail;
	}

	sc.rx_size = rx->frames;
	sc.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
	sc.bind_flags = XDP_USE_NEED_WAKEUP;
	if (o->zerocopy == XSK_RX_ZC_ON)
		sc.bind_flags |= XDP_ZEROCOPY;
	else if (o->zerocopy == XSK_RX_ZC_OFF)
		sc.bind_flags |= XDP_COPY;
	err = xsk_socket__create(&rx->xsk, ifname, queue, rx->umem, &rx->rx,
				 NULL, &sc);
	if (err) {
		pr_err("could not create an AF_XDP socket on %s queue %u%s: %s",
		       ifname, queue,
		       o->zerocopy == XSK_RX_ZC_ON ? " in zero-copy mode" : "",
		       strerror(-err));
		rx->xsk = NULL;
		if (o->zerocopy == XSK_RX_ZC_ON &&
		    (err == -EOPNOTSUPP || err == -EINVAL))
			err = -EOPNOTSUPP;
		goto fail;
	}
	rx->zc = is_zerocopy(xsk_socket__fd(rx->xsk));
	if (o->busy_poll_us) {
		err = set_busy_poll(rx, xsk_socket__fd(rx->xsk), o);
		if (err)
			goto fail;
		rx->busy_poll = true;
	}

	if (xsk_ring_prod__reserve(&rx->fq, rx->frames, &idx) != rx->frames) {
		err = -ENOSPC;
		goto fail;
	}
	for (uint32_t i = 0; i < rx->frames; i++)
		*xsk_ring_prod__fill_addr(&rx->fq, idx + i) =
			(uint64_t)i * rx->frame_size;
	xsk_ring_prod__submit(&rx->fq, rx->frames);

	if (xsks_map_fd >= 0) {
		err = xsk_socket__update_xskmap(rx->xsk, xsks_map_fd);
		if (err) {
			pr_err("could not register the AF_XDP socket of %s queue %u in the XSKMAP: %s",
			       ifname, queue, strerror(-err));
			goto fail;
		}
		rx->xsks_map_fd = xsks_map_fd;
	}
	*out = rx;
	return 0;
fail:
	xsk_rx_close(rx);
	return err;
}

int xsk_rx_fd(const struct xsk_rx *rx)
{
	return xsk_socket__fd(rx->xsk);
}

const char *xsk_rx_ifname(const struct xsk_rx *rx)
{
	return rx->ifname;
}

uint32_t xsk_rx_queue(const struct xsk_rx *rx)
{
	return rx->queue;
}

uint32_t xsk_rx_frames(const struct xsk_rx *rx)
{
	return rx->frames;
}

bool xsk_rx_zerocopy(const struct xsk_rx *rx)
{
	return rx->zc;
}

static enum decode_hint hint_of(const struct xsk_rx *rx, uint16_t port)
{
	for (size_t i = 0; i < rx->n_ports; i++)
		if (rx->ports[i].port == port)
			return rx->ports[i].hint;
	return DECODE_ANY;
}

int xsk_rx_recv(struct xsk_rx *rx, struct datagram *out, size_t max)
{
	uint64_t now;
	uint32_t idx, n;
	size_t k = 0;

	if (rx->n_pending)
		xsk_rx_release(rx);
	if (max > rx->frames)
		max = rx->frames;
	n = xsk_ring_cons__peek(&rx->rx, (uint32_t)max, &idx);
	if (n == 0) {
		if (rx->busy_poll || xsk_ring_prod__needs_wakeup(&rx->fq))
			kick(rx);
		return 0;
	}
	now = clock_realtime_ns();
	for (uint32_t i = 0; i < n; i++) {
		const struct xdp_desc *d =
			xsk_ring_cons__rx_desc(&rx->rx, idx + i);
		uint64_t addr = xsk_umem__add_offset_to_addr(d->addr);
		struct datagram *dg = &out[k];

		rx->pending[rx->n_pending++] = xsk_umem__extract_addr(d->addr);
		/* The kernel keeps descriptors inside the UMEM; check anyway
		 * rather than trust a ring the process can scribble on. */
		if (addr > rx->area_len || d->len > rx->area_len - addr ||
		    xsk_frame_parse(rx->area + addr, d->len, dg) != 0) {
			rx->st.bad_frames++;
			continue;
		}
		dg->hint = hint_of(rx, dg->local_port);
		dg->time_received_ns = now;
		rx->st.packets++;
		rx->st.bytes += dg->len;
		k++;
	}
	xsk_ring_cons__release(&rx->rx, n);
	return (int)k;
}

void xsk_rx_release(struct xsk_rx *rx)
{
	uint32_t idx, n = rx->n_pending;

	if (n == 0)
		return;
	/* Cannot fail: the ring has room for every frame (see top). */
	if (xsk_ring_prod__reserve(&rx->fq, n, &idx) != n)
		return;
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&rx->fq, idx + i) = rx->pending[i];
	xsk_ring_prod__submit(&rx->fq, n);
	rx->n_pending = 0;
	if (xsk_ring_prod__needs_wakeup(&rx->fq))
		kick(rx);
}

void xsk_rx_get_stats(const struct xsk_rx *rx, struct xsk_rx_stats *st)
{
	struct xdp_statistics ks = { 0 };
	socklen_t len = sizeof(ks);

	*st = rx->st;
	if (getsockopt(xsk_socket__fd(rx->xsk), SOL_XDP, XDP_STATISTICS, &ks,
		       &len) == 0) {
		st->kernel_dropped = ks.rx_dropped;
		st->rx_ring_full = ks.rx_ring_full;
		st->fill_ring_empty = ks.rx_fill_ring_empty_descs;
	}
}

void xsk_rx_close(struct xsk_rx *rx)
{
	if (!rx)
		return;
	if (rx->xsks_map_fd >= 0)
		bpf_map_delete_elem(rx->xsks_map_fd, &rx->queue);
	if (rx->xsk)
		xsk_socket__delete(rx->xsk);
	if (rx->umem)
		xsk_umem__delete(rx->umem);
	if (rx->area)
		munmap(rx->area, rx->area_len);
	free(rx->pending);
	free(rx);
}
