# SPDX-License-Identifier: Apache-2.0
"""`make install` honours DESTDIR and PREFIX (man pages, systemd units and
example configurations included), and what it installs works on
its own: the installed xdpflowd finds its XDP object (PREFIX/lib/xdpflow),
attaches over a veth in a namespace, survives its stderr pipe being closed
(SIGPIPE must not kill it with XDP left attached), and detaches and unpins
on SIGTERM."""
import os
import signal
import subprocess
import time

import pytest

import installed
import netns

INSTALLED = [
    "usr/bin/xdpflowd", "usr/bin/xdpflow-mock", "usr/bin/xdpflow-insert",
    "usr/bin/xdpflow-enrich", "usr/share/man/man8/xdpflow-enrich.8",
    "usr/lib/systemd/system/xdpflow-enrich.service",
    "usr/share/doc/xdpflow/examples/xdpflow-enrich",
    "usr/lib/xdpflow/xdpflow.bpf.o",
    "usr/share/xdpflow/proto/flow.proto",
    "usr/share/xdpflow/proto/flow_legacy.proto",
    "usr/share/xdpflow/sql/clickhouse/flows.sql",
    "usr/share/xdpflow/sql/postgres/001_flows.sql",
    "usr/share/man/man8/xdpflowd.8", "usr/share/man/man8/xdpflow-insert.8",
    "usr/share/man/man1/xdpflow-mock.1",
    "usr/share/man/man5/xdpflow-enrich.conf.5",
    "usr/lib/systemd/system/xdpflowd.service",
    "usr/lib/systemd/system/xdpflowd@.service",
    "usr/lib/systemd/system/xdpflow-insert.service",
    "usr/lib/sysusers.d/xdpflow.conf",
    "usr/share/doc/xdpflow/examples/xdpflowd",
    "usr/share/doc/xdpflow/examples/enrich.conf",
    "usr/share/doc/xdpflow/examples/networks.csv",
    "usr/share/doc/xdpflow/examples/xdpflow-insert",
]


@pytest.fixture(scope="module")
def destdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("destdir")
    installed.make_install(d)
    return d


def test_install_layout(destdir):
    missing = [p for p in INSTALLED if not (destdir / p).is_file()]
    assert not missing, f"make install did not install {missing}"
    for b in ("xdpflowd", "xdpflow-mock", "xdpflow-insert", "xdpflow-enrich"):
        mode = (destdir / "usr/bin" / b).stat().st_mode
        assert mode & 0o111, f"{b} is not executable"


@pytest.fixture
def topo():
    netns.require_root_and_xdp()
    t = netns.Topo()
    try:
        t.create()
        yield t
    finally:
        t.close()


def test_installed_daemon_attaches_and_detaches(destdir, topo):
    port = 2055
    cmd = ["ip", "netns", "exec", topo.c, str(destdir / "usr/bin/xdpflowd"),
           "--xdp", topo.cif, "--bpffs", str(topo.pins),
           "-l", f"netflow://{netns.C4}:{port}", "--file", os.devnull]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    try:
        seen = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = p.stderr.readline()
            if not line:
                break
            seen.append(line)
            if "AF_XDP socket" in line:
                break
        assert any("AF_XDP socket" in s for s in seen), \
            "installed xdpflowd did not set up AF_XDP:\n" + "".join(seen)
        assert topo.xdp_prog_id() != 0
        # Nobody reads its log any more: the next lines it writes (the
        # SIGUSR1 report) hit a closed pipe. It must live on.
        p.stderr.close()
        p.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
        assert p.poll() is None, \
            f"xdpflowd died (status {p.returncode}) writing to a closed pipe"
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=30) == 0
        assert topo.xdp_prog_id() == 0, "XDP program left attached"
        assert topo.pins_left() == [], f"pins left: {topo.pins_left()}"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
