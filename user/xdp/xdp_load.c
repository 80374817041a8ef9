// SPDX-License-Identifier: Apache-2.0
/*
 * Loads, attaches, reuses and removes the XDP program and its maps (see
 * xdp_load.h for the life cycle). An interface's program is recognised by
 * its name (XDPFLOW_PROG_NAME), its maps by theirs, through the program's
 * map ids: that works whether the maps are pinned under our bpffs
 * directory, under ip's /sys/fs/bpf/tc/globals, or not at all. Each program
 * we attach is pinned as <dir>/xdpflow_prog_<ifname>: that pin tells a later
 * start which attached program a crashed run left behind.
 */
#include "xdp/xdp_load.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <xdp/libxdp.h>

#include "common/log.h"

#define MAX_IFACES 32
#define PROG_PIN_PREFIX "xdpflow_prog_"
#define BPFFS_ROOT "/sys/fs/bpf"

enum { M_STATS, M_CONFIG, M_PORTS, M_ALLOW4, M_ALLOW6, M_XSKS, M__N };

static const char *const map_names[M__N] = {
	[M_STATS] = XDPFLOW_MAP_STATS,	 [M_CONFIG] = XDPFLOW_MAP_CONFIG,
	[M_PORTS] = XDPFLOW_MAP_PORTS,	 [M_ALLOW4] = XDPFLOW_MAP_ALLOW4,
	[M_ALLOW6] = XDPFLOW_MAP_ALLOW6, [M_XSKS] = XDPFLOW_MAP_XSKS,
};

struct iface {
	char name[IF_NAMESIZE];
	int ifindex;
	bool attached; /* by us: detach at teardown */
	enum xdp_load_how how;
	enum xdp_load_mode mode;
	struct bpf_object *obj;	   /* HOW_SINGLE */
	struct xdp_program *xprog; /* HOW_LIBXDP */
	int prog_fd;		   /* owned */
	int fds[M__N];		   /* owned */
};

struct xdp_load {
	char dir[PATH_MAX];
	bool dir_ours; /* cleaned at setup: pins in it are ours to remove */
	size_t n;
	struct iface ifs[MAX_IFACES];
};

/* ---- logging: libbpf and libxdp one level below ours ------------------- */

static int print_lib(enum log_level lvl, const char *fmt, va_list ap)
{
	log_vprint(lvl, fmt, ap);
	return 0;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return print_lib(level == LIBBPF_WARN ? LOG_LVL_INFO : LOG_LVL_DEBUG,
			 fmt, ap);
}

static int print_libxdp(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBXDP_DEBUG)
		return 0;
	return print_lib(level == LIBXDP_WARN ? LOG_LVL_INFO : LOG_LVL_DEBUG,
			 fmt, ap);
}

/* ---- small helpers ------------------------------------------------------ */

const char *xdp_load_mode_name(enum xdp_load_mode m)
{
	return m == XDP_LOAD_NATIVE ? "native"
	       : m == XDP_LOAD_SKB  ? "skb"
				    : "auto";
}

static uint32_t mode_flag(enum xdp_load_mode m)
{
	return m == XDP_LOAD_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

static enum xdp_attach_mode libxdp_mode(enum xdp_load_mode m)
{
	return m == XDP_LOAD_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int path_in(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static uint32_t prog_id_of_fd(int fd)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static uint32_t map_id_of_fd(int fd)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* ---- bpffs ---------------------------------------------------------------- */

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* Makes dir exist on a bpffs: mounts one on /sys/fs/bpf when the directory
 * lies under it and nothing is mounted there (as ip and libxdp do). */
static int bpffs_prepare(const char *dir)
{
	char parent[PATH_MAX];
	char *slash;

	if (is_bpffs(dir))
		return 0;
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent) {
		pr_err("could not use %s for BPF pins: not inside a bpf filesystem",
		       dir);
		return -EINVAL;
	}
	*slash = '\0';
	if (!is_bpffs(parent)) {
		if (strcmp(parent, BPFFS_ROOT) != 0) {
			pr_err("could not use %s for BPF pins: %s is not a bpf filesystem",
			       dir, parent);
			return -EINVAL;
		}
		if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700") != 0) {
			int err = -errno;

			pr_err("could not mount a bpf filesystem on %s: %s",
			       BPFFS_ROOT, strerror(-err));
			return err;
		}
		pr_info("mounted a bpf filesystem on %s", BPFFS_ROOT);
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		int err = -errno;

		pr_err("could not create %s: %s", dir, strerror(-err));
		return err;
	}
	return 0;
}

static void unpin_maps(const char *dir)
{
	char path[PATH_MAX];

	for (int m = 0; m < M__N; m++)
		if (path_in(path, sizeof(path), dir, map_names[m]) == 0)
			unlink(path);
}

/* ---- what is attached ------------------------------------------------------ */

/* The id of the xdpflow program attached to ifindex (alone or inside a
 * libxdp dispatcher), 0 when none; *other gets the id of another program
 * attached alone (0 when none), *mode the mode it is attached in. */
static uint32_t attached_xdpflow(int ifindex, uint32_t *other,
				 enum xdp_load_mode *mode)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	uint32_t id = 0;

	*other = 0;
	if (libxdp_get_error(mp) || !mp)
		return 0;
	*mode = xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB
			? XDP_LOAD_SKB
			: XDP_LOAD_NATIVE;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && strcmp(xdp_program__name(p), XDPFLOW_PROG_NAME) == 0)
			id = xdp_program__id(p);
		else if (p)
			*other = xdp_program__id(p);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp))
			if (strcmp(xdp_program__name(p), XDPFLOW_PROG_NAME) ==
			    0)
				id = xdp_program__id(p);
	}
	xdp_multiprog__close(mp);
	return id;
}

/* Detaches program `id` from ifindex if it is attached there. */
static void detach_id(int ifindex, uint32_t id)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	int err = 0;

	if (libxdp_get_error(mp) || !mp)
		return;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && xdp_program__id(p) == id)
			err = xdp_multiprog__detach(mp);
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp))
			if (xdp_program__id(p) == id)
				err = xdp_program__detach(p, ifindex,
							  xdp_multiprog__attach_mode(
								  mp),
							  0);
	}
	if (err)
		pr_warn("could not detach stale XDP program %u from ifindex %d: %s",
			id, ifindex, strerror(-err));
	xdp_multiprog__close(mp);
}

/* A crashed run left its programs attached and pinned as
 * <dir>/xdpflow_prog_<ifname>, and its map pins: detach and unpin them. */
static void clean_stale(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);
	int budget = 1024; /* bounded: a bpffs dir of ours is small */

	if (!d)
		return;
	while ((de = readdir(d)) && budget-- > 0) {
		const char *ifname;
		int fd, ifindex;
		uint32_t id;

		if (strncmp(de->d_name, PROG_PIN_PREFIX,
			    strlen(PROG_PIN_PREFIX)))
			continue;
		if (path_in(path, sizeof(path), dir, de->d_name))
			continue;
		ifname = de->d_name + strlen(PROG_PIN_PREFIX);
		fd = bpf_obj_get(path);
		id = fd >= 0 ? prog_id_of_fd(fd) : 0;
		ifindex = (int)if_nametoindex(ifname);
		if (id && ifindex > 0) {
			detach_id(ifindex, id);
			pr_info("removed stale XDP program %u from %s (left by an earlier run)",
				id, ifname);
		}
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	closedir(d);
	unpin_maps(dir);
}

/* ---- maps of a program ----------------------------------------------------- */

/* Fills ifc->fds from the maps program prog_fd uses. */
static int maps_of_prog(struct iface *ifc, int prog_fd)
{
	uint32_t ids[64];
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info), n;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	n = info.nr_map_ids < 64 ? info.nr_map_ids : 64;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = n;
	info.map_ids = (uint64_t)(uintptr_t)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	for (uint32_t i = 0; i < n; i++) {
		struct bpf_map_info mi = { 0 };
		uint32_t mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen) == 0) {
			for (int m = 0; m < M__N; m++) {
				if (ifc->fds[m] < 0 &&
				    strcmp(mi.name, map_names[m]) == 0) {
					ifc->fds[m] = fd;
					fd = -1;
					break;
				}
			}
		}
		if (fd >= 0)
			close(fd);
	}
	for (int m = 0; m < M__N; m++) {
		if (ifc->fds[m] < 0) {
			pr_err("the XDP program on %s has no map %s (another version of xdpflow?)",
			       ifc->name, map_names[m]);
			return -ENOENT;
		}
	}
	return 0;
}

/* Pins the shared maps of ifc under dir unless a pin of that name exists,
 * so objects loaded afterwards (pinning by name) share them. */
static int pin_shared(const struct iface *ifc, const char *dir)
{
	char path[PATH_MAX];

	for (int m = 0; m < M__N; m++) {
		if (m == M_XSKS)
			continue;
		if (path_in(path, sizeof(path), dir, map_names[m]))
			return -ENAMETOOLONG;
		if (access(path, F_OK) == 0)
			continue;
		if (bpf_obj_pin(ifc->fds[m], path)) {
			int err = -errno;

			pr_err("could not pin map %s at %s: %s", map_names[m],
			       path, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* ---- attach ------------------------------------------------------------------ */

static int reuse_attached(struct iface *ifc, uint32_t id)
{
	int fd = bpf_prog_get_fd_by_id(id);
	int err;

	if (fd < 0)
		return -errno;
	ifc->prog_fd = fd;
	err = maps_of_prog(ifc, fd);
	if (err)
		return err;
	ifc->how = XDP_LOAD_HOW_REUSED;
	pr_info("XDP: reusing the xdpflow program (id %u) already attached to %s in %s mode",
		id, ifc->name, xdp_load_mode_name(ifc->mode));
	return 0;
}

static int fds_from_obj(struct iface *ifc, struct bpf_object *obj, int prog_fd)
{
	for (int m = 0; m < M__N; m++) {
		struct bpf_map *map =
			bpf_object__find_map_by_name(obj, map_names[m]);

		if (!map || (ifc->fds[m] = dup(bpf_map__fd(map))) < 0)
			return -ENOENT;
	}
	ifc->prog_fd = dup(prog_fd);
	return ifc->prog_fd < 0 ? -errno : 0;
}

static int attach_libxdp(struct iface *ifc, const char *obj_path,
			 const char *dir, enum xdp_load_mode mode)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = dir);
	struct xdp_program *p;
	int err;

	p = xdp_program__open_file(obj_path, XDPFLOW_PROG_SEC, &oo);
	err = (int)libxdp_get_error(p);
	if (err)
		return err;
	err = xdp_program__attach(p, ifc->ifindex, libxdp_mode(mode), 0);
	if (err) {
		xdp_program__close(p);
		return err;
	}
	ifc->xprog = p;
	ifc->attached = true;
	ifc->how = XDP_LOAD_HOW_LIBXDP;
	ifc->mode = mode;
	return fds_from_obj(ifc, xdp_program__bpf_obj(p), xdp_program__fd(p));
}

static int load_single(struct iface *ifc, const char *obj_path, const char *dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = dir);
	struct bpf_program *prog;
	int err;

	ifc->obj = bpf_object__open_file(obj_path, &oo);
	if (!ifc->obj) {
		err = -errno;
		pr_err("could not open the XDP object %s: %s", obj_path,
		       strerror(-err));
		ifc->obj = NULL;
		return err;
	}
	err = bpf_object__load(ifc->obj);
	if (err) {
		pr_err("could not load the XDP object %s: %s", obj_path,
		       strerror(-err));
		return err;
	}
	prog = bpf_object__find_program_by_name(ifc->obj, XDPFLOW_PROG_NAME);
	if (!prog)
		return -ENOENT;
	return fds_from_obj(ifc, ifc->obj, bpf_program__fd(prog));
}

static int attach_single(struct iface *ifc, enum xdp_load_mode mode)
{
	int err = bpf_xdp_attach(ifc->ifindex, ifc->prog_fd,
				 XDP_FLAGS_UPDATE_IF_NOEXIST | mode_flag(mode),
				 NULL);

	if (err)
		return err;
	ifc->attached = true;
	ifc->how = XDP_LOAD_HOW_SINGLE;
	ifc->mode = mode;
	return 0;
}

/* Loads and attaches on one interface, trying the modes `want` allows:
 * libxdp first (until it has failed once), then a single-program attach. */
static int load_attach(struct iface *ifc, const struct xdp_load_opts *o,
		       const char *dir, bool *libxdp_failed)
{
	enum xdp_load_mode modes[2] = { XDP_LOAD_NATIVE, XDP_LOAD_SKB };
	size_t first = o->mode == XDP_LOAD_SKB ? 1 : 0;
	size_t last = o->mode == XDP_LOAD_NATIVE ? 0 : 1;
	int err = -EINVAL;

	for (size_t i = first; i <= last; i++) {
		if (!*libxdp_failed) {
			err = attach_libxdp(ifc, o->obj_path, dir, modes[i]);
			if (err == 0)
				return 0;
			*libxdp_failed = true;
			pr_info("XDP: libxdp could not attach to %s (%s); attaching as a single program instead",
				ifc->name, strerror(-err));
		}
		if (!ifc->obj) {
			err = load_single(ifc, o->obj_path, dir);
			if (err)
				return err;
		}
		err = attach_single(ifc, modes[i]);
		if (err == 0)
			return 0;
		if (o->mode == XDP_LOAD_AUTO && i == 0)
			pr_info("XDP: native mode not available on %s (%s), trying skb mode",
				ifc->name, strerror(-err));
	}
	pr_err("could not attach the XDP program to %s in %s mode: %s",
	       ifc->name, xdp_load_mode_name(o->mode), strerror(-err));
	return err == -EINVAL || err == -EOPNOTSUPP ? -EOPNOTSUPP : err;
}

/* ---- map contents ------------------------------------------------------------- */

/* Deletes every key of fd not accepted by keep (NULL: all), bounded. */
static void clear_map(int fd, size_t key_len,
		      bool (*keep)(const void *key, const void *arg),
		      const void *arg)
{
	uint8_t key[32], next[32];
	bool have = false;

	for (int i = 0; i < XDPFLOW_MAX_ALLOW + XDPFLOW_MAX_PORTS + 8; i++) {
		if (bpf_map_get_next_key(fd, have ? key : NULL, next))
			break;
		memcpy(key, next, key_len);
		have = true;
		if (keep && keep(key, arg))
			continue;
		if (bpf_map_delete_elem(fd, key) == 0)
			have = false; /* restart: the iteration point is gone */
	}
}

static bool port_wanted(const void *key, const void *arg)
{
	const struct xdp_load_opts *o = arg;
	uint16_t port;

	memcpy(&port, key, sizeof(port));
	for (size_t i = 0; i < o->n_ports; i++)
		if (o->ports[i].port == port)
			return true;
	return false;
}

/* The LPM key of p (struct xdpflow_lpm4 is the first 8 bytes of the same
 * shape). */
static struct xdpflow_lpm6 prefix_key(const struct xdp_load_prefix *p)
{
	struct xdpflow_lpm6 k = { .prefixlen = p->bits };

	for (unsigned b = 0; b < p->len; b++) {
		unsigned keep = p->bits > b * 8 ? p->bits - b * 8 : 0;

		k.addr[b] = keep >= 8 ? p->b[b]
				      : (uint8_t)(p->b[b] & (0xFF00 >> keep));
	}
	return k;
}

/* Inserts (or keeps) every prefix of o in ifc's allow maps. */
static int add_prefixes(const struct iface *ifc, const struct xdp_load_opts *o)
{
	uint32_t one = 1;

	for (size_t i = 0; i < o->n_allow; i++) {
		const struct xdp_load_prefix *p = &o->allow[i];
		struct xdpflow_lpm6 k = prefix_key(p);
		int fd = p->len == 4 ? ifc->fds[M_ALLOW4] : ifc->fds[M_ALLOW6];

		if (bpf_map_update_elem(fd, &k, &one, 0))
			return -errno;
	}
	return 0;
}

/* clear_map's keep for the allow maps: the key is one of o's prefixes. */
static bool prefix4_wanted(const void *key, const void *arg)
{
	const struct xdp_load_opts *o = arg;

	for (size_t i = 0; i < o->n_allow; i++) {
		struct xdpflow_lpm6 k = prefix_key(&o->allow[i]);

		if (o->allow[i].len == 4 &&
		    memcmp(&k, key, sizeof(struct xdpflow_lpm4)) == 0)
			return true;
	}
	return false;
}

static bool prefix6_wanted(const void *key, const void *arg)
{
	const struct xdp_load_opts *o = arg;

	for (size_t i = 0; i < o->n_allow; i++) {
		struct xdpflow_lpm6 k = prefix_key(&o->allow[i]);

		if (o->allow[i].len == 16 && memcmp(&k, key, sizeof(k)) == 0)
			return true;
	}
	return false;
}

/* Rewrites ifc's allow-list in place for a running program: the new
 * prefixes go in first, the list is switched on (or off when empty), and
 * only then are the prefixes no longer wanted removed, so an exporter
 * allowed before and after is never dropped, and nothing is let through
 * that neither list allows. */
static int swap_allow(const struct iface *ifc, const struct xdp_load_opts *o)
{
	struct xdpflow_config cfg = { 0 };
	uint32_t zero = 0;
	int err;

	if (bpf_map_lookup_elem(ifc->fds[M_CONFIG], &zero, &cfg))
		return -errno;
	err = add_prefixes(ifc, o);
	if (err)
		return err;
	if (o->n_allow)
		cfg.flags |= XDPFLOW_CFG_ALLOW_LIST;
	else
		cfg.flags &= ~XDPFLOW_CFG_ALLOW_LIST;
	if (bpf_map_update_elem(ifc->fds[M_CONFIG], &zero, &cfg, 0))
		return -errno;
	clear_map(ifc->fds[M_ALLOW4], sizeof(struct xdpflow_lpm4),
		  prefix4_wanted, o);
	clear_map(ifc->fds[M_ALLOW6], sizeof(struct xdpflow_lpm6),
		  prefix6_wanted, o);
	return 0;
}

static int fill_maps(const struct iface *ifc, const struct xdp_load_opts *o)
{
	struct xdpflow_config cfg = { 0 };
	uint32_t zero = 0;
	int err = 0;

	/* Allow-list off while it is rewritten: fail open, never drop an
	 * exporter of the new list. */
	if (bpf_map_update_elem(ifc->fds[M_CONFIG], &zero, &cfg, 0))
		return -errno;
	clear_map(ifc->fds[M_PORTS], sizeof(uint16_t), port_wanted, o);
	for (size_t i = 0; i < o->n_ports && !err; i++) {
		struct xdpflow_port_val v = { o->ports[i].proto };

		if (bpf_map_update_elem(ifc->fds[M_PORTS], &o->ports[i].port,
					&v, 0))
			err = -errno;
	}
	clear_map(ifc->fds[M_ALLOW4], sizeof(struct xdpflow_lpm4), NULL, NULL);
	clear_map(ifc->fds[M_ALLOW6], sizeof(struct xdpflow_lpm6), NULL, NULL);
	err = add_prefixes(ifc, o);
	if (err) {
		pr_err("could not fill the XDP maps of %s: %s", ifc->name,
		       strerror(-err));
		return err;
	}
	cfg.flags = o->n_allow ? XDPFLOW_CFG_ALLOW_LIST : 0;
	if (bpf_map_update_elem(ifc->fds[M_CONFIG], &zero, &cfg, 0))
		return -errno;
	return 0;
}

/* For the log: libxdp falls back to a single program by itself when its
 * dispatcher fails to load (as it does on kernels that refuse it). */
static const char *how_text(const struct iface *ifc)
{
	struct xdp_multiprog *mp;
	bool legacy;

	if (ifc->how != XDP_LOAD_HOW_LIBXDP)
		return "single program, bpf_xdp_attach";
	mp = xdp_multiprog__get_from_ifindex(ifc->ifindex);
	if (libxdp_get_error(mp) || !mp)
		return "libxdp";
	legacy = xdp_multiprog__is_legacy(mp);
	xdp_multiprog__close(mp);
	return legacy ? "libxdp, single program: no dispatcher"
		      : "libxdp dispatcher";
}

/* ---- public -------------------------------------------------------------------- */

static int check_opts(const char *const *ifaces, size_t n,
		      const struct xdp_load_opts *o)
{
	if (!o || !o->obj_path || !ifaces || n == 0 || n > MAX_IFACES ||
	    o->n_ports > XDPFLOW_MAX_PORTS || (o->n_ports && !o->ports) ||
	    (o->n_allow && !o->allow))
		return -EINVAL;
	for (size_t i = 0; i < o->n_allow; i++) {
		const struct xdp_load_prefix *p = &o->allow[i];

		if ((p->len != 4 && p->len != 16) || p->bits > p->len * 8)
			return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!ifaces[i] || strlen(ifaces[i]) >= IF_NAMESIZE)
			return -EINVAL;
	return 0;
}

int xdp_load_setup(struct xdp_load **out, const char *const *ifaces, size_t n,
		   const struct xdp_load_opts *o)
{
	struct xdp_load *x;
	bool libxdp_failed = o && o->no_libxdp, pinned_shared = false;
	char path[PATH_MAX];
	int err;

	*out = NULL;
	if ((err = check_opts(ifaces, n, o)) != 0) {
		pr_err("could not set up XDP: invalid options");
		return err;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	snprintf(x->dir, sizeof(x->dir), "%s",
		 o->bpffs_dir ? o->bpffs_dir : XDPFLOW_BPFFS_DEFAULT);
	for (size_t i = 0; i < n; i++) {
		struct iface *ifc = &x->ifs[i];

		snprintf(ifc->name, sizeof(ifc->name), "%s", ifaces[i]);
		ifc->prog_fd = -1;
		for (int m = 0; m < M__N; m++)
			ifc->fds[m] = -1;
	}
	x->n = n;
	libbpf_set_print(print_libbpf);
	libxdp_set_print(print_libxdp);

	err = bpffs_prepare(x->dir);
	if (err)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct iface *ifc = &x->ifs[i];

		ifc->ifindex = (int)if_nametoindex(ifc->name);
		if (ifc->ifindex <= 0) {
			err = -ENODEV;
			pr_err("could not set up XDP on %s: no such interface",
			       ifc->name);
			goto fail;
		}
	}
	clean_stale(x->dir);
	x->dir_ours = true;

	/* Programs attached by hand first: their maps become the shared ones. */
	for (size_t i = 0; i < n; i++) {
		struct iface *ifc = &x->ifs[i];
		uint32_t other,
			id = attached_xdpflow(ifc->ifindex, &other, &ifc->mode);

		if (other) {
			err = -EBUSY;
			pr_err("could not attach XDP to %s: another XDP program (id %u) is attached",
			       ifc->name, other);
			goto fail;
		}
		if (!id)
			continue;
		err = reuse_attached(ifc, id);
		if (!err && !pinned_shared) {
			err = pin_shared(ifc, x->dir);
			pinned_shared = true;
		}
		if (err)
			goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct iface *ifc = &x->ifs[i];

		if (ifc->how == XDP_LOAD_HOW_REUSED && ifc->prog_fd >= 0)
			continue;
		err = load_attach(ifc, o, x->dir, &libxdp_failed);
		if (err)
			goto fail;
		err = path_in(path, sizeof(path), x->dir, PROG_PIN_PREFIX);
		if (!err && strlen(path) + strlen(ifc->name) < sizeof(path)) {
			strcat(path, ifc->name);
			if (bpf_obj_pin(ifc->prog_fd, path))
				pr_warn("could not pin %s: %s (a crash would leave the program attached)",
					path, strerror(errno));
		}
		pr_info("XDP: attached to %s in %s mode (%s)", ifc->name,
			xdp_load_mode_name(ifc->mode), how_text(ifc));
	}
	for (size_t i = 0; i < n; i++) {
		err = fill_maps(&x->ifs[i], o);
		if (err)
			goto fail;
	}
	*out = x;
	return 0;
fail:
	xdp_load_teardown(x);
	return err;
}

int xdp_load_set_allow(struct xdp_load *x, const struct xdp_load_prefix *allow,
		       size_t n_allow)
{
	struct xdp_load_opts o = { .allow = allow, .n_allow = n_allow };

	if (n_allow > XDPFLOW_MAX_ALLOW || (n_allow && !allow))
		return -EINVAL;
	for (size_t i = 0; i < n_allow; i++)
		if ((allow[i].len != 4 && allow[i].len != 16) ||
		    allow[i].bits > allow[i].len * 8)
			return -EINVAL;
	for (size_t i = 0; i < x->n; i++) {
		int err = swap_allow(&x->ifs[i], &o);

		if (err) {
			pr_err("could not update the XDP allow-list of %s: %s",
			       x->ifs[i].name, strerror(-err));
			return err;
		}
	}
	return 0;
}

size_t xdp_load_count(const struct xdp_load *x)
{
	return x->n;
}

int xdp_load_ifindex(const struct xdp_load *x, size_t i)
{
	return i < x->n ? x->ifs[i].ifindex : -1;
}

const char *xdp_load_ifname(const struct xdp_load *x, size_t i)
{
	return i < x->n ? x->ifs[i].name : NULL;
}

int xdp_load_xsks_fd(const struct xdp_load *x, size_t i)
{
	return i < x->n ? x->ifs[i].fds[M_XSKS] : -1;
}

enum xdp_load_mode xdp_load_mode_of(const struct xdp_load *x, size_t i)
{
	return i < x->n ? x->ifs[i].mode : XDP_LOAD_AUTO;
}

enum xdp_load_how xdp_load_how_of(const struct xdp_load *x, size_t i)
{
	return i < x->n ? x->ifs[i].how : XDP_LOAD_HOW_REUSED;
}

int xdp_load_stats(const struct xdp_load *x, struct xdpflow_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	uint32_t seen[MAX_IFACES], zero = 0;
	size_t nseen = 0;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	struct xdpflow_stats *per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	for (size_t i = 0; i < x->n; i++) {
		int fd = x->ifs[i].fds[M_STATS];
		uint32_t id = fd >= 0 ? map_id_of_fd(fd) : 0;
		bool dup = false;

		for (size_t j = 0; j < nseen; j++)
			dup |= seen[j] == id;
		if (!id || dup)
			continue;
		seen[nseen++] = id;
		if (bpf_map_lookup_elem(fd, &zero, per))
			continue;
		for (int c = 0; c < ncpu; c++) {
#define XDP_LOAD_ADD(f) sum->f += per[c].f;
			XDPFLOW_STATS_FIELDS(XDP_LOAD_ADD)
#undef XDP_LOAD_ADD
		}
	}
	free(per);
	return 0;
}

void xdp_load_teardown(struct xdp_load *x)
{
	char path[PATH_MAX];

	if (!x)
		return;
	for (size_t i = x->n; i-- > 0;) {
		struct iface *ifc = &x->ifs[i];
		int err = 0;

		if (ifc->attached && ifc->how == XDP_LOAD_HOW_LIBXDP) {
			err = xdp_program__detach(ifc->xprog, ifc->ifindex,
						  libxdp_mode(ifc->mode), 0);
		} else if (ifc->attached) {
			LIBBPF_OPTS(bpf_xdp_attach_opts, ao,
				    .old_prog_fd = ifc->prog_fd);
			err = bpf_xdp_detach(ifc->ifindex,
					     mode_flag(ifc->mode) |
						     XDP_FLAGS_REPLACE,
					     &ao);
		}
		if (err)
			pr_warn("could not detach the XDP program from %s: %s",
				ifc->name, strerror(-err));
		else if (ifc->attached)
			pr_info("XDP: detached from %s", ifc->name);
		if (ifc->attached &&
		    path_in(path, sizeof(path), x->dir, PROG_PIN_PREFIX) == 0 &&
		    strlen(path) + strlen(ifc->name) < sizeof(path)) {
			strcat(path, ifc->name);
			unlink(path);
		}
		for (int m = 0; m < M__N; m++)
			close_fd(&ifc->fds[m]);
		close_fd(&ifc->prog_fd);
		xdp_program__close(ifc->xprog);
		bpf_object__close(ifc->obj);
	}
	if (x->dir_ours) {
		unpin_maps(x->dir);
		rmdir(x->dir); /* fails harmlessly when not empty or a mount */
	}
	free(x);
}
