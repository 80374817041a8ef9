# SPDX-License-Identifier: Apache-2.0
"""`make demo` and `make demo-mock` (scripts/demo/demo.sh) run non-interactively
for a short DEMO_SECONDS, each with its own namespace names and ports: the
view printed its screens, rows arrived in PostgreSQL (the view's row count
and xdpflow-insert's exit stats), the exporters' protocols all reached the
database (collect), and afterwards nothing is left: no namespace, veth, XDP
program, pinned BPF folder, process or listening port of the demo, no stack
data. A demo interrupted with SIGINT cleans up the same way. Needs root, the
exporters and Kafka's jars (fetched on first use); every run is bounded."""
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import xflow
from conftest import require_tool

pytestmark = pytest.mark.timeout(420)

REPO = xflow.REPO
RUN_TIMEOUT = 300


def free_port_pair() -> int:
    """A TCP port p on 127.0.0.1 with p + 1 to p + 3 free too (Kafka's
    controller, TLS and SASL_SSL listeners)."""
    for _ in range(100):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        if p > 65000:
            continue
        ok = True
        for q in range(p, p + 4):
            t = socket.socket()
            try:
                t.bind(("127.0.0.1", q))
            except OSError:
                ok = False
            finally:
                t.close()
        if ok:
            return p
    raise AssertionError("no free port pair")


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Demo:
    def __init__(self, mode, seconds=15):
        self.mode = mode
        self.id = "xt" + uuid.uuid4().hex[:6]
        self.build = xflow.build_dir()
        self.dir = self.build / f"demo-{self.id}"
        self.kport, self.pgport, self.mport = free_port_pair(), free_port(), free_port()
        self.env = dict(os.environ, DEMO_SECONDS=str(seconds), DEMO_INTERVAL="3",
                        DEMO_ID=self.id, DEMO_KAFKA_PORT=str(self.kport),
                        DEMO_PG_PORT=str(self.pgport), DEMO_METRICS_PORT=str(self.mport),
                        DEMO_SKIP_DEPS="1", DEMO_SKIP_BUILD="1", O=str(self.build),
                        DEMO_MOCK_RATE="5000")

    def cmd(self):
        return [str(REPO / "scripts" / "demo" / "demo.sh"), self.mode]

    def run(self):
        p = subprocess.run(self.cmd(), cwd=REPO, env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=RUN_TIMEOUT)
        return p.returncode, p.stdout.decode(errors="replace"), \
            p.stderr.decode(errors="replace")

    def log(self, name):
        p = self.dir / "logs" / f"{name}.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def kill_leftovers(self):
        """After the demo was killed before its own clean-up ran: stops what
        it started, its stack first (gracefully: PostgreSQL and Kafka get
        their own stop), then any process still naming its folder or its
        broker, so that a failure does not leave them to the next tests."""
        env = dict(self.env, XF_STACK_DIR=str(self.dir / "stack"),
                   XF_KAFKA_PORT=str(self.kport), XF_PG_PORT=str(self.pgport))
        subprocess.run(["scripts/stack/stack.sh", "down"], cwd=REPO, env=env,
                       capture_output=True, timeout=120)
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(self.dir) in cmd or f"127.0.0.1:{self.kport} " in cmd:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass

    def assert_nothing_left(self):
        ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert f"{self.id}-exp" not in ns, ns
        link = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
        assert self.id not in link, link
        assert not Path(f"/sys/fs/bpf/{self.id}").exists()
        left = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(self.dir) in cmd or f"/sys/fs/bpf/{self.id}" in cmd:
                left.append(f"{pid}: {cmd}")
        assert not left, "processes left behind:\n" + "\n".join(left)
        ss = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True).stdout
        for port in (self.kport, self.kport + 1, self.pgport, self.mport):
            assert not re.search(rf":{port}\b", ss), f"port {port} still listening:\n{ss}"
        assert not (self.dir / "stack").exists(), "stack data left behind"


def last_rows(out: str) -> int:
    m = re.findall(r"PostgreSQL: rows in flows\s+(\d+)", out)
    assert m, out[-3000:]
    return int(m[-1])


def requirements(mode):
    if os.geteuid() != 0:
        pytest.skip("the demo needs root")
    for t in ("kcat", "psql", "java", "curl") + (("softflowd", "pmacctd") if mode == "collect" else ()):
        require_tool(t)
    for b in ("xdpflowd", "xdpflow-insert", "xdpflow-mock"):
        if not os.access(xflow.binary(b), os.X_OK):
            pytest.fail(f"{xflow.binary(b)} is not built")


def test_demo_collect():
    requirements("collect")
    d = Demo("collect", seconds=20)
    try:
        rc, out, err = d.run()
        assert rc == 0, f"demo failed ({rc}):\n{err[-3000:]}\n{out[-2000:]}"
        for heading in ("exporters -> xdpflowd: datagrams", "Kafka topic flows",
                        "xdpflow-insert: messages committed", "Top talkers",
                        "Top destination ports", "By tenant and country",
                        "Per exporter"):
            assert heading in out, f"view lacks {heading!r}:\n{out[-3000:]}"
        assert "view: done" in out
        assert last_rows(out) > 0
        m = re.search(r"stats insert rows=(\d+)", d.log("xdpflow-insert"))
        assert m and int(m.group(1)) > 0, d.log("xdpflow-insert")[-2000:]
        last = out[out.rindex("Per exporter"):]
        for proto in ("NetFlow v9", "IPFIX", "sFlow 5"):
            assert proto in last, f"no {proto} rows:\n{last}"
        assert "2001:2:0:fa::2" in last, last  # IPFIX over IPv6
        # Enrichment (issue 9): the demo's networks file names the clients' and
        # servers' tenants, its MMDB their country and AS, and the rows carry them.
        enriched = out[out.rindex("By tenant and country"):out.rindex("Per exporter")]
        assert re.search(r"acme\s*\|\s*FR\s*\|\s*64500 Acme Transit\s*\|\s*globex\s*\|\s*DE\s*\|",
                         enriched), enriched
        # Exporter rules: each exporter is named once first seen (next poll).
        assert re.search(r"\|\s*(softflowd-v9|softflowd-ipfix|pmacct-ipfix|pmacct-sflow)\s*\|",
                         enriched), enriched
        # XDP when this build has it and the veth takes it.
        help_text = xflow.run_xdpflowd(["--help"], timeout=10).stdout
        if "--xdp IFACE" in help_text:
            assert "XDP on" in out or "using UDP sockets" in err, err[-2000:]
    finally:
        d.assert_nothing_left()


def test_demo_mock():
    requirements("mock")
    d = Demo("mock", seconds=15)
    try:
        rc, out, err = d.run()
        assert rc == 0, f"demo-mock failed ({rc}):\n{err[-3000:]}\n{out[-2000:]}"
        for heading in ("xdpflow-mock: flows generated", "Top talkers", "Per exporter"):
            assert heading in out, f"view lacks {heading!r}:\n{out[-3000:]}"
        rows = last_rows(out)
        assert rows > 5000, out[-3000:]
        m = re.search(r"stats insert rows=(\d+)", d.log("xdpflow-insert"))
        assert m and int(m.group(1)) >= rows, d.log("xdpflow-insert")[-2000:]
        last = out[out.rindex("Per exporter"):]
        for proto in ("NetFlow v9", "IPFIX", "sFlow 5", "NetFlow v5"):
            assert proto in last, last
    finally:
        d.assert_nothing_left()


def test_demo_interrupted():
    """Ctrl-C (SIGINT to the demo's process group) mid-run: it stops at once
    and removes everything."""
    requirements("mock")
    d = Demo("mock", seconds=200)
    # SIGINT at its default, as under a terminal: a runner started in the
    # background of a non-interactive shell hands it down ignored, and a
    # shell cannot trap a signal ignored on entry.
    p = subprocess.Popen(d.cmd(), cwd=REPO, env=d.env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        out = b""
        deadline = time.monotonic() + RUN_TIMEOUT
        os.set_blocking(p.stdout.fileno(), False)
        while b"Per exporter" not in out and time.monotonic() < deadline and p.poll() is None:
            out += p.stdout.read() or b""
            time.sleep(0.2)
        assert b"Per exporter" in out, out.decode(errors="replace")[-3000:]
        t = time.monotonic()
        os.killpg(p.pid, signal.SIGINT)
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            ps = subprocess.run(["ps", "-eo", "pid,pgid,stat,etime,args"],
                                capture_output=True, text=True).stdout
            tail = (out + (p.stdout.read() or b"")).decode(errors="replace")[-2000:]
            pytest.fail(f"the demo did not end within 120 s of SIGINT:\n{tail}\n"
                        + "\n".join(l for l in ps.splitlines() if d.id in l or "demo" in l
                                     or "timeout" in l or "psql" in l or "kcat" in l))
        assert time.monotonic() - t < 90
        rest = p.stdout.read() or b""
        assert b"cleaning up" in out + rest
        assert p.returncode == 130, p.returncode
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=30)
            d.kill_leftovers()
        d.assert_nothing_left()
