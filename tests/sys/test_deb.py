# SPDX-License-Identifier: Apache-2.0
"""The Debian packages: `make deb` builds xdpflow and xdpflow-insert (once
per session, under the build directory), lintian reports no error (its
warnings and notes are printed and kept in deb/lintian.txt), each package
holds what it should (the service user comes from its sysusers.d entry),
and what they install works: extracted into a
scratch root (dpkg -x), the units verify, and the packaged xdpflowd, run as
its unit runs it (an unprivileged user with the unit's capabilities), finds
its XDP object in /usr/lib/xdpflow, attaches over a veth pair in a network
namespace, delivers the flows sent to it through AF_XDP and detaches at
SIGTERM. The packages are a plain build whatever the build under test: the
ASan+UBSan run uses (and if need be makes) the plain tree's packages."""

import fcntl
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

import installed
import xflow

PACKAGES = {
    "xdpflow": [
        "usr/bin/xdpflowd", "usr/bin/xdpflow-mock", "usr/bin/xdpflow-enrich",
        "usr/lib/xdpflow/xdpflow.bpf.o",
        "usr/share/xdpflow/proto/flow.proto",
        "usr/share/xdpflow/sql/postgres/001_flows.sql",
        "usr/share/xdpflow/sql/clickhouse/flows.sql",
        "usr/share/man/man8/xdpflowd.8.gz",
        "usr/share/man/man1/xdpflow-mock.1.gz",
        "usr/share/man/man8/xdpflow-enrich.8.gz",
        "usr/share/man/man5/xdpflow-enrich.conf.5.gz",
        "lib/systemd/system/xdpflowd.service",
        "lib/systemd/system/xdpflowd@.service",
        "lib/systemd/system/xdpflow-enrich.service",
        "etc/default/xdpflow-enrich",
        "usr/share/doc/xdpflow/examples/xdpflow-enrich",
        "usr/lib/sysusers.d/xdpflow.conf",
        "etc/default/xdpflowd",
        "usr/share/doc/xdpflow/copyright",
        "usr/share/doc/xdpflow/examples/xdpflowd",
        "usr/share/doc/xdpflow/examples/enrich.conf",
    ],
    "xdpflow-insert": [
        "usr/bin/xdpflow-insert",
        "usr/share/man/man8/xdpflow-insert.8.gz",
        "lib/systemd/system/xdpflow-insert.service",
        "usr/lib/sysusers.d/xdpflow-insert.conf",
        "etc/default/xdpflow-insert",
        "usr/share/doc/xdpflow-insert/copyright",
        "usr/share/doc/xdpflow-insert/examples/xdpflow-insert",
    ],
}


def deb_build_dir():
    """The plain build directory: build/ for build/ and build/asan."""
    b = xflow.build_dir()
    return b.parent if b.name == "asan" and xflow.is_asan_build() else b


@pytest.fixture(scope="session")
def debs():
    """{package: path of its .deb} from `make deb` (a no-op when the
    packages are newer than every source file)."""
    build = deb_build_dir()
    build.mkdir(parents=True, exist_ok=True)
    # The plain and the ASan+UBSan sessions share these packages: one
    # `make deb` at a time.
    with open(build / ".deb.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["make", "-s", "--no-print-directory",
                            f"O={build}", "deb"], cwd=xflow.REPO,
                           capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout + r.stderr
    out = {}
    for p in PACKAGES:
        found = sorted((build / "deb").glob(f"{p}_*.deb"))
        assert len(found) == 1, f"want one {p} package, have {found}"
        out[p] = found[0]
    return out


@pytest.fixture(scope="module")
def scratch(debs):
    """Both packages extracted into one scratch root, in /tmp so that the
    unprivileged user the daemon runs as can reach its files (pytest's own
    temporary folders are root's alone)."""
    root = Path(tempfile.mkdtemp(prefix="xdpflow-deb-root-", dir="/tmp"))
    try:
        root.chmod(0o755)
        for deb in debs.values():
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)],
                           check=True, capture_output=True, timeout=120)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def deb_files(deb) -> set:
    out = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    return {ln.split()[-1].removeprefix("./") for ln in out.splitlines()
            if not ln.startswith("d")}


def control_file(deb, name: str) -> str:
    """One file of the package's control archive ('' when absent)."""
    r = subprocess.run(["dpkg-deb", "--ctrl-tarfile", str(deb)],
                       capture_output=True, timeout=60, check=True)
    t = subprocess.run(["tar", "-xO", f"./{name}"], input=r.stdout,
                       capture_output=True, timeout=60)
    return t.stdout.decode() if t.returncode == 0 else ""


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_package_contents(debs, package):
    files = deb_files(debs[package])
    missing = [f for f in PACKAGES[package] if f not in files]
    assert not missing, f"{package} lacks {missing}; has {sorted(files)}"
    other = [f for p, fs in PACKAGES.items() if p != package for f in fs
             if f in files]
    assert not other, f"{package} holds the other package's {other}"
    conffiles = control_file(debs[package], "conffiles").split()
    assert [c for c in conffiles if c.startswith("/etc/default/")], \
        f"{package}: /etc/default file is not a conffile: {conffiles}"
    postinst = control_file(debs[package], "postinst")
    # The user the units run as is created at install; the daemons are
    # not enabled nor started before the operator configures them.
    assert "systemd-sysusers" in postinst, postinst
    # (dh_installsystemd --no-enable: a unit is enabled again on upgrade
    # only if the operator had enabled it; --no-start: nothing started).
    assert "deb-systemd-helper debian-installed" in postinst, postinst
    assert "deb-systemd-invoke" not in postinst, postinst


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_sysusers_creates_the_service_user(debs, package, tmp_path):
    """What the postinst runs (systemd-sysusers on the package's entry),
    into an empty root: a system user and group xdpflow, no login."""
    subprocess.run(["dpkg-deb", "-x", str(debs[package]), str(tmp_path)],
                   check=True, capture_output=True, timeout=120)
    (tmp_path / "etc").mkdir(exist_ok=True)
    r = subprocess.run(["systemd-sysusers", f"--root={tmp_path}",
                        f"{package}.conf"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    users = {ln.split(":")[0]: ln.split(":")
             for ln in (tmp_path / "etc/passwd").read_text().splitlines()}
    assert "xdpflow" in users, users
    _, _, uid, gid, _, _, shell = users["xdpflow"]
    assert 0 < int(uid) < 1000 and shell.endswith("nologin"), users
    groups = (tmp_path / "etc/group").read_text()
    assert f"xdpflow:x:{gid}:" in groups, groups


def test_lintian_no_errors(debs):
    changes = sorted(deb_build_dir().joinpath("deb").glob("*.changes"))
    assert len(changes) == 1, changes
    r = subprocess.run(["lintian", "--display-info", "--pedantic",
                        str(changes[0])], capture_output=True, text=True,
                       timeout=900)
    tags = [ln for ln in r.stdout.splitlines() if ln[:2] in
            ("E:", "W:", "I:", "P:", "X:")]
    (changes[0].parent / "lintian.txt").write_text("\n".join(tags) + "\n")
    print("\nlintian:\n" + ("\n".join(tags) or "(nothing)"))
    errors = [t for t in tags if t.startswith("E:")]
    assert not errors, "lintian errors:\n" + "\n".join(errors)
    assert "E:" not in r.stderr, r.stderr


def test_package_units_verify(scratch, tmp_path):
    r = installed.verify(scratch, tmp_path)
    assert r.returncode == 0 and not r.stderr.strip(), \
        f"systemd-analyze verify: {r.returncode}\n{r.stdout}{r.stderr}"


def test_packaged_tools_run(scratch):
    r = subprocess.run([str(scratch / "usr/bin/xdpflow-mock"), "-n", "5",
                        "-s", "1", "-r", "0"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert len(xflow.parse_json_lines(r.stdout)) == 5, r.stdout
    r = subprocess.run([str(scratch / "usr/bin/xdpflow-insert"), "--help"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--postgres" in r.stdout + r.stderr


@pytest.fixture
def topo():
    yield from installed.topology()


def test_packaged_daemon_collects_over_xdp(scratch, topo, tmp_path):
    binary = scratch / "usr/bin/xdpflowd"
    # No build-tree object beside it: the one it loads is the package's.
    assert not (binary.parent / "bpf").exists()
    caps = installed.capabilities(installed.unit_dir(scratch) /
                                  "xdpflowd.service")
    d = installed.UnitDaemon(binary, topo, caps, tmp_path, "packaged")
    d.start()
    try:
        d.wait_running()
        assert "AF_XDP socket" in d.stderr(), d.stderr()
        assert int(d.status()["CapEff"], 16) == 0
        recs = installed.send_v5(d, topo, 20, tmp_path)
    finally:
        r = d.stop(signal.SIGTERM)
    installed.assert_collected_over_xdp(r, recs, topo, 20)
