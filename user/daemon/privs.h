/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Giving up privileges once set-up is done: every capability is dropped
 * (effective, permitted, inheritable, ambient and bounding sets), the
 * process optionally becomes an unprivileged --user, and no-new-privs is
 * set. The only exception is what detaching the XDP program at exit needs
 * (CAP_NET_ADMIN for the netlink detach, CAP_SYS_ADMIN for libxdp to
 * look the attached program up by id, measured: without either the
 * program stays attached; CAP_BPF is not needed; CAP_DAC_OVERRIDE and
 * CAP_FOWNER to remove the root-owned pins and their directory after
 * switching user): those stay in the permitted
 * set only, out of the effective set until privs_regain at exit.
 * Capabilities are per thread: call privs_drop before starting threads
 * (librdkafka's, started by the Kafka publisher, lose theirs only with
 * --user, as setuid applies to every thread).
 */
#ifndef XDPFLOW_DAEMON_PRIVS_H
#define XDPFLOW_DAEMON_PRIVS_H

#include <stdbool.h>

/*
 * Drops privileges as above; keep_for_xdp keeps the detach capabilities in
 * the permitted set. user may be NULL (stay the same user). Returns 0, or
 * -errno after an error line (unknown user, setuid refused, ...).
 */
int privs_drop(const char *user, bool keep_for_xdp);

/*
 * Checks, before anything is attached, that the permitted set holds what
 * privs_drop(user, keep_for_xdp) will keep: without it the drop fails, or
 * the detach at exit does, and the XDP program stays attached. Returns 0,
 * or -EPERM after one error line naming what is missing.
 */
int privs_check(const char *user, bool keep_for_xdp);

/* Makes the kept capabilities effective again (before the XDP teardown);
 * harmless when nothing was kept. */
void privs_regain(void);

#endif
