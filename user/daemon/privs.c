// SPDX-License-Identifier: Apache-2.0
/*
 * Capability and user switching with libcap (see privs.h). The order
 * matters: the bounding set can only shrink while CAP_SETPCAP is still
 * effective, and setuid keeps the permitted set only with PR_SET_KEEPCAPS.
 */
#include "daemon/privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/log.h"

/* The last two only after switching user: root owns the pins and their
 * directory, whose parent may be sticky (a bpffs root is 1777). */
static const cap_value_t detach_caps[] = { CAP_NET_ADMIN, CAP_SYS_ADMIN,
					   CAP_DAC_OVERRIDE, CAP_FOWNER };
#define N_DETACH (sizeof(detach_caps) / sizeof(detach_caps[0]))

static bool kept(cap_value_t c, size_t n_keep)
{
	for (size_t i = 0; i < n_keep; i++)
		if (detach_caps[i] == c)
			return true;
	return false;
}

/* Becomes user (its uid, primary gid and groups), keeping the permitted
 * capabilities across the switch. */
static int switch_user(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		pr_err("could not switch to user %s: no such user", user);
		return -ENOENT;
	}
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0 ||
	    initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		int err = -errno;

		pr_err("could not switch to user %s: %s", user, strerror(-err));
		return err;
	}
	prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);
	return 0;
}

/* Effective := permitted (setuid cleared the effective set). */
static int raise_permitted(void)
{
	cap_t c = cap_get_proc();
	cap_value_t all[64];
	int n = 0, err = 0;

	if (!c)
		return -errno;
	for (cap_value_t v = 0; v <= CAP_LAST_CAP && n < 64; v++) {
		cap_flag_value_t f = CAP_CLEAR;

		if (cap_get_flag(c, v, CAP_PERMITTED, &f) == 0 && f == CAP_SET)
			all[n++] = v;
	}
	if (n && (cap_set_flag(c, CAP_EFFECTIVE, n, all, CAP_SET) ||
		  cap_set_proc(c)))
		err = -errno;
	cap_free(c);
	return err;
}

/* How many of detach_caps privs_drop keeps. */
static size_t n_kept(const char *user, bool keep_for_xdp)
{
	return keep_for_xdp ? (user ? N_DETACH : N_DETACH - 2) : 0;
}

int privs_check(const char *user, bool keep_for_xdp)
{
	size_t n_keep = n_kept(user, keep_for_xdp);
	char missing[128] = "";
	size_t len = 0;
	cap_t c;

	if (!n_keep)
		return 0;
	c = cap_get_proc();
	if (!c) {
		int err = -errno;

		pr_err("could not read the process capabilities: %s",
		       strerror(-err));
		return err;
	}
	for (size_t i = 0; i < n_keep; i++) {
		cap_flag_value_t f = CAP_CLEAR;
		char *name;

		if (cap_get_flag(c, detach_caps[i], CAP_PERMITTED, &f) == 0 &&
		    f == CAP_SET)
			continue;
		name = cap_to_name(detach_caps[i]);
		if (len < sizeof(missing))
			len += (size_t)snprintf(missing + len,
						sizeof(missing) - len, "%s%s",
						len ? ", " : "",
						name ? name : "?");
		cap_free(name);
	}
	cap_free(c);
	if (!len)
		return 0;
	pr_err("--xdp needs %s to detach the XDP program at exit%s: missing %s",
	       user ? "cap_net_admin, cap_sys_admin, cap_dac_override and cap_fowner"
		    : "cap_net_admin and cap_sys_admin",
	       user ? " after --user" : "", missing);
	return -EPERM;
}

int privs_drop(const char *user, bool keep_for_xdp)
{
	size_t n_keep = n_kept(user, keep_for_xdp);
	cap_t c;
	int err;

	if (user && (err = switch_user(user)) != 0)
		return err;
	raise_permitted(); /* for CAP_SETPCAP below; fails harmlessly */
	for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++)
		if (!kept(v, n_keep) && CAP_IS_SUPPORTED(v))
			cap_drop_bound(v); /* EPERM without CAP_SETPCAP */
	c = cap_init();			   /* every set empty */
	if (!c)
		return -errno;
	if (n_keep &&
	    cap_set_flag(c, CAP_PERMITTED, (int)n_keep, detach_caps, CAP_SET)) {
		err = -errno;
		cap_free(c);
		pr_err("could not drop capabilities: %s", strerror(-err));
		return err;
	}
	if (cap_set_proc(c) != 0) {
		err = -errno;
		cap_free(c);
		pr_err("could not drop capabilities: %s", strerror(-err));
		return err;
	}
	cap_free(c);
	cap_reset_ambient();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0)
		pr_debug("could not set no_new_privs: %s", strerror(errno));
	if (n_keep)
		pr_info("capabilities dropped%s%s; kept, not effective until the XDP detach at exit: cap_net_admin, cap_sys_admin%s",
			user ? ", running as " : "", user ? user : "",
			user ? ", cap_dac_override, cap_fowner" : "");
	else
		pr_info("capabilities dropped%s%s", user ? ", running as " : "",
			user ? user : "");
	return 0;
}

void privs_regain(void)
{
	int err = raise_permitted();

	if (err)
		pr_debug("could not raise the kept capabilities: %s",
			 strerror(-err));
}
