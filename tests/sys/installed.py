# SPDX-License-Identifier: Apache-2.0
"""Helpers for the tests of what `make install` and the Debian packages
install: the install itself into a scratch directory, the systemd units
there (`systemd-analyze verify` and `security`, their settings), and the
installed xdpflowd run in a namespace the way its unit runs it: as an
unprivileged user holding only the unit's capabilities (setpriv standing in
for systemd, which does not run here)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import netns
import xflow

UNITS = ("xdpflowd.service", "xdpflowd@.service", "xdpflow-insert.service",
         "xdpflow-enrich.service")
# systemd-analyze security's levels: OK is an exposure below 5.0.
OK_EXPOSURE = 5.0
NOBODY = 65534


def make_install(dest: Path, prefix: str = "/usr") -> None:
    """`make install DESTDIR=dest PREFIX=prefix` of the build under test."""
    args = ["make", "-s", "--no-print-directory", f"O={xflow.build_dir()}",
            "install", f"DESTDIR={dest}", f"PREFIX={prefix}"]
    if xflow.is_asan_build():
        args.append("SAN=1")
    r = subprocess.run(args, cwd=xflow.REPO, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


def unit_dir(root: Path) -> Path:
    """Where root holds the units: lib/systemd/system (the packages) or
    usr/lib/systemd/system (make install with PREFIX=/usr)."""
    for d in ("lib/systemd/system", "usr/lib/systemd/system"):
        if (root / d / UNITS[0]).is_file():
            return root / d
    raise AssertionError(f"no systemd units under {root}")


def verify(root: Path, work: Path) -> subprocess.CompletedProcess:
    """`systemd-analyze verify` of root's units. systemd looks for the
    programs a unit runs on this machine, so the copies verified run root's
    binaries (/usr/bin/xdpflow* -> root/usr/bin/xdpflow*, nothing else
    changed) and man finds root's man pages (Documentation=man:...)."""
    work.mkdir(parents=True, exist_ok=True)
    paths = []
    for u in UNITS:
        text = (unit_dir(root) / u).read_text()
        (work / u).write_text(text.replace("/usr/bin/xdpflow",
                                           f"{root}/usr/bin/xdpflow"))
        paths.append(str(work / u))
    env = {"MANPATH": f"{root}/usr/share/man:", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["systemd-analyze", "verify"] + paths,
                          capture_output=True, text=True, timeout=120,
                          env=env)


def security(unit: Path) -> tuple[float, str, str]:
    """(exposure, level, whole report) of `systemd-analyze security
    --offline` for one unit file."""
    r = subprocess.run(["systemd-analyze", "security", "--offline=true",
                        "--no-pager", str(unit)], capture_output=True,
                       text=True, timeout=120)
    text = r.stdout + r.stderr
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\w+)", text)
    assert m, f"no exposure level in:\n{text}"
    return float(m.group(1)), m.group(2), text


def setting(unit: Path, key: str) -> list[str]:
    """The words of every `key=` line of a unit file, in order."""
    out = []
    for ln in unit.read_text().splitlines():
        if ln.startswith(key + "="):
            out += ln.split("=", 1)[1].split()
    return out


def capabilities(unit: Path) -> list[str]:
    """The unit's AmbientCapabilities, as setpriv names them (net_admin)."""
    return [c.lower().removeprefix("cap_")
            for c in setting(unit, "AmbientCapabilities")]


def as_unit_runs_it(caps: list[str], uid: int = NOBODY) -> list[str]:
    """A command prefix that runs a program as uid (and its group, no
    supplementary groups) with exactly caps as ambient, inheritable and
    bounding sets and no_new_privs, as systemd does for User=,
    AmbientCapabilities=, CapabilityBoundingSet= and NoNewPrivileges=."""
    assert shutil.which("setpriv"), "setpriv (util-linux) is not installed"
    plus = ",".join(f"+{c}" for c in caps)
    sets = f"-all,{plus}" if caps else "-all"
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            f"--inh-caps={sets}", f"--ambient-caps={sets}",
            f"--bounding-set={sets}", "--no-new-privs"]


# ---- the daemon as its unit runs it, in a namespace ------------------------

NF_PORT = 2055


def prepare_pins(topo, uid: int = NOBODY) -> None:
    """What xdpflowd.service sets up around the daemon, on the topology's
    own bpffs: the pin directory made for the service user (ExecStartPre)
    and reachable by it (the unit bind-mounts it into /run; here the
    topology's private bpffs root is opened for search instead)."""
    topo.bpffs.chmod(0o711)
    topo.pins.mkdir(mode=0o700, exist_ok=True)
    os.chown(topo.pins, uid, uid)


class UnitDaemon(xflow.Daemon):
    """An xdpflowd binary run in the topology's collector namespace behind
    the as_unit_runs_it() prefix (after `prefix`, e.g. a prlimit), JSON
    flows on its stdout file."""

    def __init__(self, binary: Path, topo, caps, workdir: Path, name: str,
                 extra=(), env=None, prefix=()):
        args = ["--xdp", topo.cif, "--bpffs", topo.pins, "-l",
                f"netflow://:{NF_PORT}", "--format", "json"] + list(extra)
        super().__init__(args, workdir, name)
        self.binary, self.topo, self.caps, self.env = binary, topo, caps, env
        self.prefix = list(prefix)

    def start(self) -> "UnitDaemon":
        with open(self.stdout_path, "wb") as o, \
                open(self.stderr_path, "wb") as e:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", self.topo.c] + self.prefix +
                as_unit_runs_it(self.caps) + [str(self.binary)] + self.args,
                stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                start_new_session=True, env=self.env)
        return self

    def wait_running(self, timeout: float = 20.0) -> "UnitDaemon":
        def running():
            if not self.alive():
                raise AssertionError(
                    f"xdpflowd exited early with status "
                    f"{self.proc.returncode}:\n{self.stderr()[-3000:]}")
            return "running:" in self.stderr() and \
                netns.udp_bound(self.proc.pid, NF_PORT)
        netns.wait_for(running, timeout * xflow.timeout_scale(),
                       "xdpflowd running in its namespace")
        return self

    def status(self) -> dict:
        """/proc/PID/status of the daemon, as a dict."""
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        return dict(ln.split(":\t", 1) for ln in text.splitlines()
                    if ":\t" in ln)


def v5_traffic(n: int) -> tuple[list, list]:
    """n NetFlow v5 datagrams of 3 distinct flows each, and the flows."""
    dgrams, recs = [], []
    for d in range(n):
        batch = [xflow.Rec(f"198.18.7.{d + 1}", "198.18.8.1", 2000 + i, 443,
                           6, 700 + 10 * d + i, 1 + i) for i in range(3)]
        recs += batch
        dgrams.append(xflow.nf5(batch, seq=3 * d))
    return dgrams, recs


def topology():
    """A namespace topology (netns.Topo) with the bpffs pins prepared for
    the unit's user; closed even when the test fails. For a fixture."""
    netns.require_root_and_xdp()
    t = netns.Topo()
    try:
        t.create()
        prepare_pins(t)
        yield t
    finally:
        t.close()


def send_v5(d: "UnitDaemon", topo, n: int, tmp: Path) -> list:
    """Sends n NetFlow v5 datagrams (v5_traffic) from the exporter
    namespace to the running daemon d and waits for their flows on its
    output. Returns the flows sent."""
    dgrams, recs = v5_traffic(n)
    topo.send(dgrams, netns.E4, netns.C4, NF_PORT, tmp=tmp)
    netns.wait_for(lambda: len(xflow.read_json_flows(d.stdout_path))
                   >= len(recs), 20 * xflow.timeout_scale(),
                   "the flows on xdpflowd's output")
    return recs


def assert_collected_over_xdp(r, recs: list, topo, n: int) -> None:
    """After the daemon's SIGTERM stop r: a clean exit, exactly the flows
    sent, at least n datagrams redirected by XDP, nothing left attached."""
    assert r.rc == 0, r.describe()
    flows = [xflow.norm_flow(f) for f in xflow.parse_json_lines(r.stdout)]
    diff = xflow.multiset_diff([x.key() for x in recs],
                               [xflow.flow_key(f) for f in flows])
    assert not diff, diff
    assert xdp_counters(r.stderr)["redirected"] >= n, r.stderr
    assert topo.xdp_prog_id() == 0, "XDP program left attached"
    assert topo.pins_left() in ([], ["xdpflow"]), topo.pins_left()


def xdp_counters(stderr: str) -> dict:
    """The last `stats xdp iface=...` line's counters."""
    lines = [ln for ln in stderr.splitlines() if "stats xdp " in ln]
    assert lines, f"no stats xdp line in:\n{stderr[-3000:]}"
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", lines[-1])}
