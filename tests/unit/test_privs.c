// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for dropping privileges (daemon/privs.c). Each case runs in a
 * forked child, which drops and then reports what the kernel says about
 * it in /proc/self/status (CapEff, CapPrm, CapInh, CapBnd, CapAmb,
 * NoNewPrivs), the effective set by capget(2) too, and its ids, before and after privs_regain. They need root
 * (as the daemon does): run otherwise, they fail rather than skip.
 */
#include "unit.h"

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/privs.h"

struct report {
	int rc;
	uint64_t eff, prm, inh, bnd, amb, nnp;
	uint64_t eff_regained;
	uint64_t eff_capget; /* the effective set as capget(2) gives it */
	uid_t uid, euid;
	gid_t gid;
};

static uint64_t capget_effective(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0
	};
	struct __user_cap_data_struct d[2];

	if (capget(&h, d) != 0)
		return UINT64_MAX;
	return (uint64_t)d[1].effective << 32 | d[0].effective;
}

static uint64_t status_field(const char *name)
{
	char line[256];
	size_t len = strlen(name);
	uint64_t v = UINT64_MAX;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			v = strtoull(line + len + 1, NULL,
				     strcmp(name, "NoNewPrivs") ? 16 : 10);
			break;
		}
	fclose(f);
	return v;
}

/* Forks; the child drops as asked and sends back its report. */
static struct report run_drop(const char *user, bool keep)
{
	struct report r;
	int p[2], status;
	pid_t pid;

	if (geteuid() != 0)
		fail_msg(
			"test_privs must run as root (it checks what root drops)");
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		memset(&r, 0, sizeof(r));
		close(p[0]);
		r.rc = privs_drop(user, keep);
		r.eff = status_field("CapEff");
		r.eff_capget = capget_effective();
		r.prm = status_field("CapPrm");
		r.inh = status_field("CapInh");
		r.bnd = status_field("CapBnd");
		r.amb = status_field("CapAmb");
		r.nnp = status_field("NoNewPrivs");
		r.uid = getuid();
		r.euid = geteuid();
		r.gid = getgid();
		privs_regain();
		r.eff_regained = status_field("CapEff");
		_exit(write(p[1], &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
	}
	close(p[1]);
	memset(&r, 0xff, sizeof(r));
	assert_int_equal(read(p[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* capget(2) and /proc agree on the effective set. */
	assert_int_equal(r.eff_capget, r.eff);
	return r;
}

#define BIT(c) (1ULL << (c))

static void test_drop_everything(void **state)
{
	struct report r = run_drop(NULL, false);

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.eff, 0);
	assert_int_equal(r.eff_capget, 0);
	assert_int_equal(r.prm, 0);
	assert_int_equal(r.inh, 0);
	assert_int_equal(r.bnd, 0);
	assert_int_equal(r.amb, 0);
	assert_int_equal(r.nnp, 1);
	assert_int_equal(r.uid, 0);
	/* Nothing kept: nothing to regain. */
	assert_int_equal(r.eff_regained, 0);
}

/* Kept for the XDP detach: permitted (and in the bounding set) but not
 * effective, until privs_regain. */
static void test_keep_for_xdp(void **state)
{
	const uint64_t keep = BIT(CAP_NET_ADMIN) | BIT(CAP_SYS_ADMIN);
	struct report r = run_drop(NULL, true);

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.eff, 0);
	assert_int_equal(r.prm, keep);
	assert_int_equal(r.inh, 0);
	assert_int_equal(r.bnd, keep);
	assert_int_equal(r.amb, 0);
	assert_int_equal(r.nnp, 1);
	assert_int_equal(r.eff_regained, keep);
}

static void test_user_keep_for_xdp(void **state)
{
	const uint64_t keep = BIT(CAP_NET_ADMIN) | BIT(CAP_SYS_ADMIN) |
			      BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER);
	struct passwd *pw = getpwnam("nobody");
	struct report r;

	(void)state;
	assert_non_null(pw);
	r = run_drop("nobody", true);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.uid, pw->pw_uid);
	assert_int_equal(r.euid, pw->pw_uid);
	assert_int_equal(r.gid, pw->pw_gid);
	assert_int_equal(r.eff, 0);
	assert_int_equal(r.prm, keep);
	assert_int_equal(r.bnd, keep);
	assert_int_equal(r.inh, 0);
	assert_int_equal(r.amb, 0);
	assert_int_equal(r.nnp, 1);
	assert_int_equal(r.eff_regained, keep);
}

static void test_user_drop_everything(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	struct report r;

	(void)state;
	assert_non_null(pw);
	r = run_drop("nobody", false);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.uid, pw->pw_uid);
	assert_int_equal(r.gid, pw->pw_gid);
	assert_int_equal(r.eff, 0);
	assert_int_equal(r.prm, 0);
	assert_int_equal(r.bnd, 0);
	assert_int_equal(r.eff_regained, 0);
}

/* An unknown user: -ENOENT, and nothing was dropped yet. */
static void test_unknown_user(void **state)
{
	struct report r = run_drop("xdpflow-no-such-user", false);

	(void)state;
	assert_int_equal(r.rc, -ENOENT);
	assert_int_equal(r.uid, 0);
	assert_int_not_equal(r.eff, 0);
	assert_int_equal(r.eff_capget, r.eff);
	assert_int_equal(r.nnp, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_everything),
		cmocka_unit_test(test_keep_for_xdp),
		cmocka_unit_test(test_user_keep_for_xdp),
		cmocka_unit_test(test_user_drop_everything),
		cmocka_unit_test(test_unknown_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
