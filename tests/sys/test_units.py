# SPDX-License-Identifier: Apache-2.0
"""The systemd units, as `make install` installs them: `systemd-analyze
verify` passes on each, `systemd-analyze security` rates each OK or better
(the report is printed), they carry the sandbox the issue asks for, and
xdpflowd.service's capabilities are exactly what XDP needs: the build's
xdpflowd run as an unprivileged user with the unit's capabilities attaches
XDP, receives flows over AF_XDP and drops them all but the detach ones
itself; without any one of them XDP does not come up."""

import os
import signal

import pytest

import installed
import netns
import xflow

# What the issue asks of every daemon's unit (the xdpflowd ones also need
# AF_NETLINK and AF_XDP; SystemCallFilter adds bpf for them).
REQUIRED = {
    "ProtectSystem": ["strict"], "ProtectHome": ["yes"],
    "PrivateTmp": ["yes"], "NoNewPrivileges": ["yes"],
}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    d = tmp_path_factory.mktemp("units-destdir")
    installed.make_install(d)
    return d


def test_units_verify(root, tmp_path):
    r = installed.verify(root, tmp_path)
    assert r.returncode == 0 and not r.stderr.strip(), \
        f"systemd-analyze verify: {r.returncode}\n{r.stdout}{r.stderr}"


def test_units_run_prefix_programs(tmp_path):
    installed.make_install(tmp_path, "/usr/local")
    for unit in installed.UNITS:
        u = tmp_path / "usr/local/lib/systemd/system" / unit
        prog = installed.setting(u, "ExecStart")[0]
        assert prog.startswith("/usr/local/bin/xdpflow"), f"{unit}: {prog}"
        assert (tmp_path / prog.lstrip("/")).is_file(), f"{unit}: {prog}"


@pytest.mark.parametrize("unit", installed.UNITS)
def test_unit_security_ok(root, unit):
    exposure, level, text = installed.security(installed.unit_dir(root) / unit)
    print(f"\n{unit}: systemd-analyze security exposure {exposure} {level}")
    assert exposure < installed.OK_EXPOSURE, \
        f"{unit}: exposure {exposure} {level}, want OK or better:\n{text}"


@pytest.mark.parametrize("unit", installed.UNITS)
def test_unit_sandbox(root, unit):
    u = installed.unit_dir(root) / unit
    for key, want in REQUIRED.items():
        assert installed.setting(u, key) == want, f"{unit}: {key}"
    assert installed.setting(u, "User") == ["xdpflow"], unit
    env = installed.setting(u, "EnvironmentFile")
    assert env and env[0].startswith("-/etc/default/"), unit
    fams = set(installed.setting(u, "RestrictAddressFamilies"))
    sysc = installed.setting(u, "SystemCallFilter")
    bound = installed.setting(u, "CapabilityBoundingSet")
    assert bound == installed.setting(u, "AmbientCapabilities"), unit
    if unit.startswith("xdpflowd"):
        assert fams == {"AF_INET", "AF_INET6", "AF_NETLINK", "AF_UNIX",
                        "AF_XDP"}, unit
        assert sysc == ["@system-service", "bpf"], unit
        assert installed.setting(u, "StateDirectory"), unit
        assert "--templates-file" in installed.setting(u, "ExecStart")
    else:
        assert fams == {"AF_INET", "AF_INET6", "AF_UNIX"}, unit
        assert sysc[0] == "@system-service" and bound == [], unit
    # The user the units run as comes with them (sysusers.d).
    users = (root / "usr/lib/sysusers.d/xdpflow.conf").read_text()
    assert any(ln.split()[:2] == ["u", "xdpflow"]
               for ln in users.splitlines()), users


@pytest.fixture
def topo():
    yield from installed.topology()


def unit_caps(root) -> list[str]:
    return installed.capabilities(installed.unit_dir(root) /
                                  "xdpflowd.service")


# An ASan process cannot always be traced by LeakSanitizer once it runs as
# another user: leak checks stay with the other tests.
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
# A memlock limit below one AF_XDP socket's UMEM (4096 frames of 2 KiB), so
# that registering it needs cap_ipc_lock whatever limit the tests run under.
LOW_MEMLOCK = ["prlimit", "--memlock=4194304:4194304", "--"]


def test_unit_capabilities_are_enough(root, topo, tmp_path):
    caps = unit_caps(root)
    d = installed.UnitDaemon(xflow.binary(), topo, caps, tmp_path, "unit",
                             env=ENV, prefix=LOW_MEMLOCK).start()
    try:
        d.wait_running()
        st = d.status()
        assert st["Uid"].split()[:2] == [str(installed.NOBODY)] * 2
        # Dropped by the daemon after setup: nothing effective, only
        # cap_net_admin (12) and cap_sys_admin (21) permitted, for the
        # detach at exit.
        assert int(st["CapEff"], 16) == 0, st["CapEff"]
        assert int(st["CapPrm"], 16) == (1 << 12) | (1 << 21), st["CapPrm"]
        assert int(st["CapAmb"], 16) == 0, st["CapAmb"]
        assert "AF_XDP socket" in d.stderr(), d.stderr()
        recs = installed.send_v5(d, topo, 10, tmp_path)
    finally:
        r = d.stop(signal.SIGTERM)
    installed.assert_collected_over_xdp(r, recs, topo, 10)


@pytest.mark.parametrize("cap", ["net_admin", "net_raw", "ipc_lock",
                                 "sys_admin"])
def test_unit_capabilities_are_all_needed(root, topo, tmp_path, cap):
    caps = unit_caps(root)
    assert cap in caps, f"{cap} is not in xdpflowd.service: {caps}"
    d = installed.UnitDaemon(xflow.binary(), topo,
                             [c for c in caps if c != cap], tmp_path, cap,
                             env=ENV, prefix=LOW_MEMLOCK).start()
    try:
        netns.wait_for(lambda: not d.alive() or "running:" in d.stderr(),
                       20 * xflow.timeout_scale(), "xdpflowd to start or fail")
    finally:
        r = d.stop(signal.SIGTERM)
    # Without it: no AF_XDP socket (the sockets take over), or no run at
    # all (cap_sys_admin: the daemon cannot keep it for the detach).
    assert "AF_XDP socket" not in r.stderr or r.rc != 0, \
        f"XDP came up and ran without cap_{cap}:\n{r.stderr}"
