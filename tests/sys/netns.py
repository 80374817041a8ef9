# SPDX-License-Identifier: Apache-2.0
"""Network namespaces for the XDP system tests: a collector namespace and an
exporter namespace joined by a veth pair (optionally with a VLAN
sub-interface on each side), a private bpffs for the daemon's pins, a
daemon started inside the collector namespace, and a UDP sender run inside
the exporter namespace. Everything made here carries PREFIX in its name, so
sweep() can remove what a crashed run left behind. Also: dumpcap run
inside a namespace (NsCapture) and a UDP sink (UdpSink) so a real exporter
can send to the collector address while no collector runs. Run as a script,
this file is the sender: `python3 netns.py send SRC DST PORT
PAYLOADS.json` (UDP), `python3 netns.py sendraw IFACE - 0 FRAMES.json`
(Ethernet), or the sink: `python3 netns.py sink ADDR PORT SECONDS OUT`."""

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
# (N: the owning process's pid in 5 base-36 digits + a sequence number)
BPFFS_ROOT = Path("/tmp") / f"{PREFIX}-bpffs"
CMD_TIMEOUT = 20

# Addresses (RFC 2544 / RFC 5180 benchmarking ranges).
C4, E4, BAD4 = "198.18.0.2", "198.18.0.1", "198.18.0.3"
C6, E6, BAD6 = "2001:2::2", "2001:2::1", "2001:2::3"
VLAN_ID = 100
C4_VLAN, E4_VLAN = "198.18.10.2", "198.18.10.1"


def sh(*cmd, check=True, timeout=CMD_TIMEOUT, ns=None, env=None) -> str:
    """Runs cmd (in namespace ns, with environment variables env added),
    bounded; returns stdout."""
    argv = [str(c) for c in cmd]
    if ns:
        argv = ["ip", "netns", "exec", ns] + argv
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout, text=True,
                       env={**os.environ, **env} if env else None)
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


def _b36(n: int, width: int = 0) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n or not out:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(width, "0")


def _tag_of(name: str, bare: bool = False) -> str | None:
    """The <N> of one of our names: namespace xft-c<N>, veth xftc<N>, or
    (bare) a bpffs directory <N>; None when it is not one of ours."""
    pat = r"([0-9a-z]{6,})" if bare else rf"{PREFIX}-?[ce]([0-9a-z]{{6,}})"
    m = re.fullmatch(pat, name)
    return m.group(1) if m else None


def _stale(tag: str | None) -> bool:
    """Whether what carries tag belongs to this process or to a pytest
    process that is gone. The first 5 characters of a tag are the owner's
    pid in base 36: a concurrent run's objects are left alone."""
    if tag is None or len(tag) < 6:
        return False
    try:
        pid = int(tag[:5], 36)
    except ValueError:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def sweep() -> None:
    """Removes every namespace, link and bpffs of ours left by this process
    or by a run that died (a crashed earlier run's included), not those of
    a test run going on beside this one. Bounded; never raises."""
    try:
        names = subprocess.run(["ip", "netns", "list"], capture_output=True,
                               text=True, timeout=CMD_TIMEOUT).stdout
    except (OSError, subprocess.TimeoutExpired):
        names = ""
    for ln in names.splitlines()[:200]:
        name = ln.split()[0] if ln.split() else ""
        if name.startswith(PREFIX + "-") and _stale(_tag_of(name)):
            _kill_ns_pids(name)
            subprocess.run(["ip", "netns", "del", name], capture_output=True,
                           timeout=CMD_TIMEOUT)
    try:
        links = subprocess.run(["ip", "-o", "link", "show"],
                               capture_output=True, text=True,
                               timeout=CMD_TIMEOUT).stdout
    except (OSError, subprocess.TimeoutExpired):
        links = ""
    for m in re.finditer(rf"^\d+: ({PREFIX}[ce][0-9a-z]+)[@:]", links, re.M):
        if _stale(_tag_of(m.group(1))):
            subprocess.run(["ip", "link", "del", m.group(1)],
                           capture_output=True, timeout=CMD_TIMEOUT)
    if BPFFS_ROOT.is_dir():
        for d in sorted(BPFFS_ROOT.iterdir())[:200]:
            if not _stale(_tag_of(d.name, bare=True)):
                continue
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
    and a bpffs mounted for this topology. close() removes it all. With
    queues > 1 both ends of the veth have that many RX and TX queues."""

    _seq = 0

    def __init__(self, queues: int = 1):
        self.queues = queues
        Topo._seq += 1
        # owner pid (5 base-36 digits) + sequence: veth names stay within
        # 15 characters with the VLAN suffix, and sweep() can tell a
        # concurrent run's objects from a dead run's.
        n = f"{_b36(os.getpid(), 5)}{_b36(Topo._seq)}"
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
        nq = ([] if self.queues == 1 else
              ["numrxqueues", self.queues, "numtxqueues", self.queues])
        sh("ip", "link", "add", self.cif, "netns", self.c, *nq, "type",
           "veth", "peer", "name", self.eif, "netns", self.e, *nq)
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

    def steer_tx_by_cpu(self) -> None:
        """XPS on the exporter's veth: CPU k transmits on TX queue k, which
        on veth is the peer's RX queue k (veth has no RSS: the receiving
        queue is the sender's skb queue mapping). Needs one CPU per queue."""
        assert os.cpu_count() >= self.queues, \
            f"{self.queues} queues need as many CPUs"
        for k in range(self.queues):
            sh("sh", "-c", f"echo {1 << k:x} > "
               f"/sys/class/net/{self.eif}/queues/tx-{k}/xps_cpus", ns=self.e)

    def send(self, payloads, src: str, dst: str, port: int,
             pace: float = 0.0005, tmp: Path | None = None,
             sport: int = 0, cpu: int | None = None) -> None:
        """Sends each payload (bytes) as one UDP datagram from src (port
        sport, 0: any) to dst:port inside the exporter namespace, in order,
        one every `pace` seconds; from a process pinned to `cpu` if given."""
        path = Path(tmp or "/tmp") / f"{self.e}-payloads.json"
        path.write_text(json.dumps({"payloads": [p.hex() for p in payloads],
                                    "pace": pace, "sport": sport}))
        pin = [] if cpu is None else ["taskset", "-c", cpu]
        try:
            sh(*pin, sys.executable, Path(__file__).resolve(), "send", src,
               dst, port, path, ns=self.e, timeout=60 + pace * len(payloads))
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


def _terminate(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM to proc and a wait of up to timeout s for it to end; then
    SIGKILL to its process group (it was started in a session of its own)."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


class NsCapture:
    """dumpcap on one interface inside namespace ns, writing a classic pcap
    (bpf: capture filter). stop() (bounded) returns what dumpcap said it
    captured and dropped, so a caller can insist on a complete capture."""

    def __init__(self, ns: str, iface: str, bpf: str, path: Path):
        self.ns, self.iface, self.bpf = ns, iface, bpf
        self.path = Path(path)
        self.err_path = self.path.with_suffix(".dumpcap.err")
        self.proc = None

    def start(self, timeout: float = 20.0) -> "NsCapture":
        with open(self.err_path, "wb") as e:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", self.ns, "dumpcap", "-q", "-P", "-i",
                 self.iface, "-f", self.bpf, "-w", str(self.path)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=e, start_new_session=True)

        def started():
            if self.proc.poll() is not None:
                raise AssertionError(f"dumpcap on {self.iface} failed: "
                                     f"{self.err_path.read_text()[-2000:]}")
            return "Capturing on" in self.err_path.read_text()
        wait_for(started, timeout, f"dumpcap capturing on {self.iface}")
        time.sleep(0.2)
        return self

    def stop(self, timeout: float = 10.0) -> tuple[int, int]:
        """Stops dumpcap; returns (packets captured, packets dropped) from
        its closing statistics. Raises when it gave none."""
        if self.proc is not None and self.proc.poll() is None:
            time.sleep(0.3)  # the last packets reach the ring
            _terminate(self.proc, timeout)
        err = self.err_path.read_text("utf-8", "replace")
        m = re.search(r"received/dropped on interface '[^']*': (\d+)/(\d+)",
                      err)
        assert m, f"dumpcap (exit status {self.proc.returncode}) gave no " \
            f"closing statistics: {err[-2000:]}"
        return int(m.group(1)), int(m.group(2))

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)


class UdpSink:
    """A UDP socket bound to addr:port in namespace ns that reads and
    discards datagrams (so an exporter sending there gets no ICMP port
    unreachable back) until stop(); at most `seconds` alive."""

    def __init__(self, ns: str, addr: str, port: int, out: Path,
                 seconds: int = 300):
        self.ns, self.addr, self.port = ns, addr, port
        self.out, self.seconds = Path(out), seconds
        self.proc = None

    def start(self, timeout: float = 20.0) -> "UdpSink":
        self.out.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, sys.executable,
             str(Path(__file__).resolve()), "sink", self.addr,
             str(self.port), str(self.seconds), str(self.out)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True)

        def bound():
            if self.proc.poll() is not None:
                raise AssertionError("UDP sink failed: " +
                                     self.proc.stderr.read().decode()[-2000:])
            return udp_bound(self.proc.pid, self.port)
        wait_for(bound, timeout, f"UDP sink on {self.addr}:{self.port}")
        return self

    def stop(self, timeout: float = 10.0) -> int:
        """Stops the sink; returns how many datagrams it read (-1: it
        could not say)."""
        if self.proc is None:
            return -1
        if self.proc.poll() is None:
            _terminate(self.proc, timeout)
        self.proc.stderr.close()
        try:
            return int(self.out.read_text())
        except (OSError, ValueError):
            return -1


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


def parse_af_xdp_queues(stderr: str) -> dict:
    """The daemon's per-socket lines at exit (`af_xdp IFACE queue N:
    packets=... wakeups=...`) as {queue: {name: value}}."""
    out = {}
    for m in re.finditer(r"af_xdp (\S+) queue (\d+): (.*)$", stderr, re.M):
        out[int(m.group(2))] = {k: int(v) for k, v in
                                re.findall(r"([a-z_]+)=(\d+)", m.group(3))}
    return out


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


def _sink_main(argv) -> int:
    addr, port, seconds, out = argv[0], int(argv[1]), float(argv[2]), argv[3]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    n = 0
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((addr, port))
        s.settimeout(0.1)
        end = time.monotonic() + seconds
        while not stop and time.monotonic() < end:
            try:
                s.recv(65535)
                n += 1
            except (socket.timeout, InterruptedError):
                pass
    Path(out).write_text(str(n))
    return 0


def _send_main(argv) -> int:
    src, dst, port, path = argv[0], argv[1], int(argv[2]), argv[3]
    spec = json.loads(Path(path).read_text())
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.bind((src, spec.get("sport", 0)))
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
    if len(sys.argv) >= 6 and sys.argv[1] == "sink":
        sys.exit(_sink_main(sys.argv[2:]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
