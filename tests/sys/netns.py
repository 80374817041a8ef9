# SPDX-License-Identifier: Apache-2.0
"""Network namespaces for the XDP system tests: a collector namespace and an
exporter namespace joined by a veth pair (optionally with a VLAN
sub-interface on each side), a private bpffs for the daemon's pins, a
daemon started inside the collector namespace, and a UDP sender run inside
the exporter namespace. Everything made here carries PREFIX in its name, so
sweep() can remove what a crashed run left behind. Run as a script, this
file is the sender: `python3 netns.py send SRC DST PORT PAYLOADS.json`
(UDP) or `python3 netns.py sendraw IFACE - 0 FRAMES.json` (Ethernet)."""

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

PREFIX = "xft"  # namespaces xft-c<N>/xft-e<N>, veth xftc<N>/xfte<N>
BPFFS_ROOT = Path("/tmp") / f"{PREFIX}-bpffs"
CMD_TIMEOUT = 20

# Addresses (RFC 2544 / RFC 5180 benchmarking ranges).
C4, E4, BAD4 = "198.18.0.2", "198.18.0.1", "198.18.0.3"
C6, E6, BAD6 = "2001:2::2", "2001:2::1", "2001:2::3"
VLAN_ID = 100
C4_VLAN, E4_VLAN = "198.18.10.2", "198.18.10.1"


def sh(*cmd, check=True, timeout=CMD_TIMEOUT, ns=None) -> str:
    """Runs cmd (in namespace ns), bounded; returns stdout."""
    argv = [str(c) for c in cmd]
    if ns:
        argv = ["ip", "netns", "exec", ns] + argv
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed ({p.returncode}): "
                             f"{p.stderr.strip()[-2000:]}")
    return p.stdout


def require_root_and_xdp() -> None:
    """Fails (never skips) when the XDP tests cannot run here."""
    assert os.geteuid() == 0, "the XDP system tests need root"
    for tool in ("ip", "bpftool"):
        assert subprocess.run(["which", tool], capture_output=True
                              ).returncode == 0, f"{tool} is not installed"


def sweep() -> None:
    """Removes every namespace, link and bpffs of ours (a crashed earlier
    run's included). Bounded; never raises."""
    try:
        names = subprocess.run(["ip", "netns", "list"], capture_output=True,
                               text=True, timeout=CMD_TIMEOUT).stdout
    except (OSError, subprocess.TimeoutExpired):
        names = ""
    for ln in names.splitlines()[:200]:
        name = ln.split()[0] if ln.split() else ""
        if name.startswith(PREFIX + "-"):
            _kill_ns_pids(name)
            subprocess.run(["ip", "netns", "del", name], capture_output=True,
                           timeout=CMD_TIMEOUT)
    try:
        links = subprocess.run(["ip", "-o", "link", "show"],
                               capture_output=True, text=True,
                               timeout=CMD_TIMEOUT).stdout
    except (OSError, subprocess.TimeoutExpired):
        links = ""
    for m in re.finditer(rf"^\d+: ({PREFIX}[ce]\d+)[@:]", links, re.M):
        subprocess.run(["ip", "link", "del", m.group(1)], capture_output=True,
                       timeout=CMD_TIMEOUT)
    if BPFFS_ROOT.is_dir():
        for d in sorted(BPFFS_ROOT.iterdir()):
            subprocess.run(["umount", "-l", str(d)], capture_output=True,
                           timeout=CMD_TIMEOUT)
            try:
                d.rmdir()
            except OSError:
                pass


def _kill_ns_pids(ns: str) -> None:
    try:
        pids = subprocess.run(["ip", "netns", "pids", ns],
                              capture_output=True, text=True,
                              timeout=CMD_TIMEOUT).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return
    for p in pids[:100]:
        try:
            os.kill(int(p), signal.SIGKILL)
        except (ValueError, ProcessLookupError, PermissionError):
            pass


class Topo:
    """Collector namespace C (veth `cif`, 198.18.0.2/24, 2001:2::2/64) and
    exporter namespace E (veth `eif`, 198.18.0.1 and 198.18.0.3 /24,
    2001:2::1 and ::3 /64), plus VLAN 100 sub-interfaces (198.18.10.0/24)
    and a bpffs mounted for this topology. close() removes it all."""

    _seq = 0

    def __init__(self):
        Topo._seq += 1
        n = f"{os.getpid() % 10000}{Topo._seq}"
        self.c, self.e = f"{PREFIX}-c{n}", f"{PREFIX}-e{n}"
        self.cif, self.eif = f"{PREFIX}c{n}", f"{PREFIX}e{n}"
        self.cvlan, self.evlan = f"{self.cif}.{VLAN_ID}", f"{self.eif}.{VLAN_ID}"
        self.bpffs = BPFFS_ROOT / n
        self.pins = self.bpffs / "xdpflow"
        self.up = False

    def create(self) -> "Topo":
        sh("ip", "netns", "add", self.c)
        sh("ip", "netns", "add", self.e)
        self.up = True
        sh("ip", "link", "add", self.cif, "netns", self.c, "type", "veth",
           "peer", "name", self.eif, "netns", self.e)
        for ns, dev, addrs in (
                (self.c, self.cif, [f"{C4}/24", f"{C6}/64"]),
                (self.e, self.eif, [f"{E4}/24", f"{BAD4}/24", f"{E6}/64",
                                    f"{BAD6}/64"])):
            sh("ip", "link", "set", "lo", "up", ns=ns)
            for a in addrs:
                extra = ["nodad"] if ":" in a else []
                sh("ip", "addr", "add", a, "dev", dev, *extra, ns=ns)
            sh("ip", "link", "set", dev, "up", ns=ns)
        # VLAN sub-interfaces where the kernel has 802.1Q (this machine's
        # does not: CONFIG_VLAN_8021Q is off); send_tagged covers both.
        self.has_vlan = True
        for ns, dev, vdev, a in ((self.c, self.cif, self.cvlan, C4_VLAN),
                                 (self.e, self.eif, self.evlan, E4_VLAN)):
            p = subprocess.run(["ip", "netns", "exec", ns, "ip", "link",
                                "add", "link", dev, "name", vdev, "type",
                                "vlan", "id", str(VLAN_ID)],
                               capture_output=True, text=True,
                               timeout=CMD_TIMEOUT)
            if p.returncode != 0:
                assert "Unknown device type" in p.stderr, p.stderr
                self.has_vlan = False
                break
            sh("ip", "addr", "add", f"{a}/24", "dev", vdev, ns=ns)
            sh("ip", "link", "set", vdev, "up", ns=ns)
        self.bpffs.mkdir(parents=True, exist_ok=True)
        sh("mount", "-t", "bpf", "bpf", self.bpffs)
        return self

    def close(self) -> None:
        if self.up:
            for ns in (self.c, self.e):
                _kill_ns_pids(ns)
                subprocess.run(["ip", "netns", "del", ns],
                               capture_output=True, timeout=CMD_TIMEOUT)
            self.up = False
        if self.bpffs.exists():
            subprocess.run(["umount", "-l", str(self.bpffs)],
                           capture_output=True, timeout=CMD_TIMEOUT)
            try:
                self.bpffs.rmdir()
            except OSError:
                pass

    # ---- state of the collector side ------------------------------------

    def xdp_prog_id(self) -> int:
        """Id of the XDP program attached to the collector veth, 0: none."""
        out = sh("ip", "-d", "link", "show", "dev", self.cif, ns=self.c)
        m = re.search(r"prog/xdp\w* id (\d+)", out)
        return int(m.group(1)) if m else 0

    def pins_left(self) -> list[str]:
        """What the daemon's pin directory holds ("xdpflow/NAME"; the
        directory alone when empty), [] when it is gone. ip's own pins
        (tc/globals, when a test attaches with ip) are not the daemon's."""
        if not self.pins.exists():
            return []
        return sorted(f"xdpflow/{p.name}" for p in self.pins.iterdir()) or \
            ["xdpflow"]

    # ---- traffic ----------------------------------------------------------

    def send(self, payloads, src: str, dst: str, port: int,
             pace: float = 0.0005, tmp: Path | None = None) -> None:
        """Sends each payload (bytes) as one UDP datagram from src to
        dst:port inside the exporter namespace."""
        path = Path(tmp or "/tmp") / f"{self.e}-payloads.json"
        path.write_text(json.dumps({"payloads": [p.hex() for p in payloads],
                                    "pace": pace}))
        try:
            sh(sys.executable, Path(__file__).resolve(), "send", src, dst,
               port, path, ns=self.e, timeout=60)
        finally:
            path.unlink(missing_ok=True)


    def mac(self, ns: str, dev: str) -> bytes:
        info = json.loads(sh("ip", "-j", "link", "show", "dev", dev, ns=ns))
        return bytes.fromhex(info[0]["address"].replace(":", ""))

    def send_frames(self, frames, tmp: Path | None = None) -> None:
        """Sends raw Ethernet frames (bytes) out of the exporter's veth,
        with a packet socket: for VLAN tags without a VLAN device."""
        path = Path(tmp or "/tmp") / f"{self.e}-frames.json"
        path.write_text(json.dumps({"payloads": [f.hex() for f in frames],
                                    "pace": 0.0005}))
        try:
            sh(sys.executable, Path(__file__).resolve(), "sendraw", self.eif,
               "-", 0, path, ns=self.e, timeout=60)
        finally:
            path.unlink(missing_ok=True)


def tag(frame: bytes, tags) -> bytes:
    """frame with 802.1Q/802.1ad tags [(tpid, vid), ...] after the MACs."""
    return frame[:12] + b"".join(struct.pack("!HH", tpid, vid)
                                 for tpid, vid in tags) + frame[12:]


def udp_bound(pid: int, port: int) -> bool:
    """Whether process pid's network namespace has a UDP socket on port."""
    for name in ("udp", "udp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{name}").read_text().splitlines()
        except OSError:
            continue
        for ln in lines[1:]:
            f = ln.split()
            if len(f) > 2 and int(f[1].rsplit(":", 1)[1], 16) == port:
                return True
    return False


def wait_for(pred, timeout: float, what: str, step: float = 0.05):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout:.0f}s: {what}")
        time.sleep(step)


_XDP_RE = re.compile(r"\bstats xdp iface=(\S+)(.*)$")


def parse_xdp_stats(stderr: str) -> dict:
    """The last `stats xdp` line of a daemon's stderr as {name: value}
    (with "iface"), {} when there is none."""
    last = {}
    for line in stderr.splitlines():
        m = _XDP_RE.search(line)
        if m:
            last = {k: int(v) for k, v in
                    re.findall(r"([a-z_]+)=(\d+)", m.group(2))}
            last["iface"] = m.group(1)
    return last


def _sendraw_main(argv) -> int:
    spec = json.loads(Path(argv[3]).read_text())
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((argv[0], 0))
        for h in spec["payloads"]:
            s.send(bytes.fromhex(h))
            time.sleep(spec["pace"])
    return 0


def _send_main(argv) -> int:
    src, dst, port, path = argv[0], argv[1], int(argv[2]), argv[3]
    spec = json.loads(Path(path).read_text())
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.bind((src, 0))
        for h in spec["payloads"]:
            s.sendto(bytes.fromhex(h), (dst, port))
            if spec["pace"]:
                time.sleep(spec["pace"])
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 6 and sys.argv[1] == "send":
        sys.exit(_send_main(sys.argv[2:]))
    if len(sys.argv) >= 6 and sys.argv[1] == "sendraw":
        sys.exit(_sendraw_main(sys.argv[2:]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
