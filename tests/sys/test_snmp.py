# SPDX-License-Identifier: Apache-2.0
"""The SNMP poller (user/enrich/snmp_poll.h) against real Debian snmpd
agents. Each test builds three network namespaces: a collector C, where
tests/helpers/snmp-poll-tool runs the poller, and two agents A1 and A2,
each joined to C by a veth pair and running its own snmpd (own config:
rocommunity, createUser for v3, sysName; unprivileged port 16100) that
sees exactly the links the test made in its namespace, with the names and
aliases the test gave them. net-snmp's agent does not read the kernel's
interface alias and keeps an interface's first name after a rename, so
each snmpd serves ifName and ifAlias through a `pass` script that reads
/sys/class/net (ifHighSpeed and sysName are snmpd's own). Everything is removed at the end, pass or
fail; every wait is bounded. Addresses from 198.18.0.0/15."""

import json
import re
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import xflow  # noqa: E402
from conftest import require_tool  # noqa: E402

PREFIX = "xfs"  # namespaces xfs-<pid36><n>-{c,a1,a2}
PORT = 16100
C_A1, A1 = "198.18.6.2", "198.18.6.1"
C_A2, A2 = "198.18.6.6", "198.18.6.5"
SILENT = "198.18.7.1"   # a socket in C that never answers
CLOSED = "198.18.7.2"   # an address of A1 where nothing listens
SPEED_VETH = 10_000_000_000  # a veth reports 10000 Mbit/s
CMD_TIMEOUT = 20
SLOW = 3.0 if xflow.is_asan_build() else 1.0

PASS_SCRIPT = r"""#!/bin/sh
# snmpd pass handler for IF-MIB ifXTable column $1 from the kernel: 1
# (ifName: the interface's name) or 18 (ifAlias: its alias). snmpd adds
# -g OID (get) or -n OID (get-next).
B=.1.3.6.1.2.1.31.1.1.1.$1
list() {
	for d in /sys/class/net/*; do
		[ -r "$d/ifindex" ] && echo "$(cat "$d/ifindex") ${d##*/}"
	done | sort -n
}
out() {
	if [ "$COL" = 1 ]; then a=$2; else
		a=$(cat "/sys/class/net/$2/ifalias" 2>/dev/null); fi
	echo "$B.$1"; echo string; echo "$a"
}
COL=$1
case "$2" in
-g)
	i=${3#"$B".}
	[ "$i" = "$3" ] && exit 0
	list | while read -r n name; do
		[ "$n" = "$i" ] && { out "$n" "$name"; break; }
	done ;;
-n)
	case "$3" in
	"$B".*) i=${3#"$B".}; i=${i%%.*} ;;
	*) i=0 ;;
	esac
	list | while read -r n name; do
		[ "$n" -gt "$i" ] && { out "$n" "$name"; break; }
	done ;;
esac
exit 0
"""


def sh(*cmd, ns=None, check=True, timeout=CMD_TIMEOUT, env=None):
    argv = [str(c) for c in cmd]
    if ns:
        argv = ["ip", "netns", "exec", ns] + argv
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=timeout,
                       env={**os.environ, **env} if env else None)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: {p.stderr.strip()}")
    return p.stdout


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n or not out:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out


def sweep():
    """Removes namespaces of ours left by runs whose process is gone."""
    try:
        names = sh("ip", "netns", "list", check=False).split("\n")
    except (OSError, subprocess.TimeoutExpired):
        return
    for ln in names[:200]:
        name = ln.split()[0] if ln.split() else ""
        if not name.startswith(PREFIX + "-"):
            continue
        try:
            pid = int(name.split("-")[1][:5], 36)
            os.kill(pid, 0)
            if pid != os.getpid():
                continue
        except (ValueError, IndexError, PermissionError):
            continue
        except ProcessLookupError:
            pass
        _kill_ns(name)
        sh("ip", "netns", "del", name, check=False)


def _kill_ns(ns):
    for p in sh("ip", "netns", "pids", ns, check=False).split()[:100]:
        try:
            os.kill(int(p), signal.SIGKILL)
        except (ValueError, ProcessLookupError):
            pass


class Lab:
    """Namespaces C, A1, A2; snmpd in A1 and A2 (started by start_agent)."""

    seq = 0

    def __init__(self, tmp: Path):
        Lab.seq += 1
        tag = f"{_b36(os.getpid()).rjust(5, '0')}{_b36(Lab.seq)}"
        self.c, self.a1, self.a2 = (f"{PREFIX}-{tag}-{s}"
                                    for s in ("c", "a1", "a2"))
        self.tmp = tmp
        self.agents = {}
        self.procs = []

    def create(self):
        for ns in (self.c, self.a1, self.a2):
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
        for ns, cif, aif, caddr, aaddr in (
                (self.a1, "xfc1", "xfa1", C_A1, A1),
                (self.a2, "xfc2", "xfa2", C_A2, A2)):
            sh("ip", "link", "add", cif, "netns", self.c, "type", "veth",
               "peer", "name", aif, "netns", ns)
            sh("ip", "addr", "add", f"{caddr}/30", "dev", cif, ns=self.c)
            sh("ip", "addr", "add", f"{aaddr}/30", "dev", aif, ns=ns)
            sh("ip", "link", "set", cif, "up", ns=self.c)
            sh("ip", "link", "set", aif, "up", ns=ns)
        sh("ip", "addr", "add", f"{SILENT}/32", "dev", "lo", ns=self.c)
        sh("ip", "addr", "add", f"{CLOSED}/32", "dev", "lo", ns=self.a1)
        sh("ip", "route", "add", f"{CLOSED}/32", "via", A1, ns=self.c)
        # Interfaces with known names and aliases.
        self.link(self.a1, "xfup0", "xfup1", "uplink to core",
                  'peer "R2" (AS64500)')
        self.link(self.a2, "xfcore0", "xfcore1", "core: ünïcode", "")
        return self

    def link(self, ns, a, b, alias_a, alias_b):
        sh("ip", "link", "add", a, "type", "veth", "peer", "name", b, ns=ns)
        for dev, alias in ((a, alias_a), (b, alias_b)):
            if alias:
                sh("ip", "link", "set", dev, "alias", alias, ns=ns)
            sh("ip", "link", "set", dev, "up", ns=ns)

    def ifindex(self, ns, dev) -> int:
        return int(sh("cat", f"/sys/class/net/{dev}/ifindex", ns=ns))

    def start_agent(self, ns, addr, sysname, v3_lines=(), listen=None,
                    pass_lines=None):
        """snmpd in ns on addr (listen: its endpoint, default addr only;
        pass_lines: its pass handlers, default the ifName/ifAlias script),
        ready when it answers from C."""
        d = self.tmp / f"snmpd-{ns}"
        (d / "persist").mkdir(parents=True, exist_ok=True)
        script = d / "ifalias.sh"
        script.write_text(PASS_SCRIPT)
        script.chmod(0o755)
        conf = d / "snmpd.conf"
        conf.write_text("\n".join([
            "rocommunity secret 198.18.0.0/15",
            "rocommunity6 secret 2001:2::/48",
            *v3_lines,
            f"sysName {sysname}",
            *(pass_lines if pass_lines is not None else [
                f"pass .1.3.6.1.2.1.31.1.1.1.1 /bin/sh {script} 1",
                f"pass .1.3.6.1.2.1.31.1.1.1.18 /bin/sh {script} 18"]),
            ""]))
        log = open(d / "log", "w")
        p = subprocess.Popen(
            ["ip", "netns", "exec", ns, "snmpd", "-f", "-Lo", "-C", "-c",
             str(conf), "-I", "-smux", listen or f"udp:{addr}:{PORT}"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            env={**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR":
                 str(d / "persist")})
        self.procs.append(p)
        self.agents[ns] = p
        # Ready when it answers sysName from C (bounded).
        end = time.monotonic() + 20
        while time.monotonic() < end:
            out = sh("snmpget", "-On", "-Oqv", "-t", "0.3", "-r", "0",
                     "-v2c", "-c", "secret", f"{addr}:{PORT}",
                     ".1.3.6.1.2.1.1.5.0", ns=self.c, check=False,
                     env={"MIBS": ""})
            if sysname in out:
                return p
            assert p.poll() is None, (d / "log").read_text()[-2000:]
            time.sleep(0.2)
        raise AssertionError(f"snmpd in {ns} did not answer")

    def stop_agent(self, ns):
        p = self.agents.pop(ns)
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        for ns in (self.c, self.a1, self.a2):
            _kill_ns(ns)
            sh("ip", "netns", "del", ns, check=False)


class Tool:
    """snmp-poll-tool in namespace C, driven line by line."""

    def __init__(self, lab: Lab, conf: str, name="tool"):
        self.path = lab.tmp / f"{name}.conf"
        self.path.write_text(conf)
        self.err_path = lab.tmp / f"{name}.stderr"
        self.err = open(self.err_path, "w")
        binary = xflow.build_dir() / "tests" / "helpers" / "snmp-poll-tool"
        assert os.access(binary, os.X_OK), f"{binary} is not built"
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", lab.c, str(binary), str(self.path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
            text=True, bufsize=1)
        self.buf = b""
        assert self.line(20) == "ready", self.stderr()

    def line(self, timeout) -> str:
        """The next line of output, waiting at most timeout seconds
        (raw reads: select() does not see what a file object buffered)."""
        end = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            r, _, _ = select.select([fd], [], [], max(left, 0))
            assert r, f"snmp-poll-tool did not answer in {timeout}s: " \
                f"{self.stderr()}"
            chunk = os.read(fd, 65536)
            assert chunk, f"snmp-poll-tool exited: {self.stderr()}"
            self.buf += chunk
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.decode()

    def cmd(self, c, timeout=CMD_TIMEOUT) -> str:
        self.p.stdin.write(c + "\n")
        self.p.stdin.flush()
        return self.line(timeout)

    def json(self, c, timeout=CMD_TIMEOUT):
        return json.loads(self.cmd(c, timeout))

    def note(self, *addrs):
        for a in addrs:
            assert self.cmd(f"note {a}") == "ok"

    def wait_rounds(self, n, secs):
        r = self.json(f"wait-rounds {n} {secs}", secs + 10)
        assert not r["timeout"], (r, self.stderr())
        return r

    def ifaces(self) -> dict:
        """{(exporter, ifindex): {name, description, speed}}"""
        self.p.stdin.write("ifaces\n")
        self.p.stdin.flush()
        out = {}
        for _ in range(10000):
            ln = self.line(CMD_TIMEOUT)
            if ln == "end":
                return out
            d = json.loads(ln)
            out[(d.pop("exporter"), d.pop("ifindex"))] = d
        raise AssertionError("no end of the interface list")

    def stderr(self) -> str:
        self.err.flush()
        return self.err_path.read_text()[-3000:]

    def close(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write("quit\n")
                self.p.stdin.flush()
                self.p.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait(timeout=10)
        rc = self.p.returncode
        self.err.close()
        return rc


def conf(*lines, interval="1s", timeout="500ms", retries=0):
    return "\n".join(["snmp-poll = on", f"snmp-poll-interval = {interval}",
                      f"snmp-timeout = {timeout}", f"snmp-retries = {retries}",
                      f"snmp-port = {PORT}", *lines, ""])


V3_A1 = ["createUser u256 SHA-256 authpass256 AES privpass256",
         "rouser u256 priv"]
V3_A2 = ["createUser u1 SHA authpass1x AES privpass1x", "rouser u1 priv"]


@pytest.fixture
def lab(tmp_path):
    assert os.geteuid() == 0, "the SNMP tests need root (namespaces)"
    require_tool("snmpd")
    require_tool("snmpget")
    sweep()
    lab = Lab(tmp_path)
    tools = []
    lab.tool = lambda c, name="tool": tools.append(Tool(lab, c, name)) \
        or tools[-1]
    try:
        lab.create()
        yield lab
    finally:
        rcs = [t.close() for t in tools]
        lab.close()
    # A clean exit (ASan reports end the process with an error).
    assert all(rc == 0 for rc in rcs), rcs


def expect_agent_ifaces(lab, got, a1=True, a2=True):
    if a1:
        up0 = lab.ifindex(lab.a1, "xfup0")
        up1 = lab.ifindex(lab.a1, "xfup1")
        assert got[(A1, up0)] == {"name": "xfup0",
                                  "description": "uplink to core",
                                  "speed": SPEED_VETH}
        assert got[(A1, up1)] == {"name": "xfup1",
                                  "description": 'peer "R2" (AS64500)',
                                  "speed": SPEED_VETH}
        assert got[(A1, 1)]["name"] == "lo"
        assert got[(A1, 1)]["description"] is None
        # Exactly the agent's links: lo, its veth to C, xfup0, xfup1.
        assert sorted(k[1] for k in got if k[0] == A1) == sorted(
            [1, lab.ifindex(lab.a1, "xfa1"), up0, up1])
    if a2:
        c0 = lab.ifindex(lab.a2, "xfcore0")
        assert got[(A2, c0)] == {"name": "xfcore0",
                                 "description": "core: ünïcode",
                                 "speed": SPEED_VETH}
        c1 = lab.ifindex(lab.a2, "xfcore1")
        assert got[(A2, c1)]["name"] == "xfcore1"
        assert got[(A2, c1)]["description"] is None


def test_v2c_names_arrive_after_first_poll(lab):
    lab.start_agent(lab.a1, A1, "agent-one")
    lab.start_agent(lab.a2, A2, "agent-two")
    t = lab.tool(conf("snmp-community = secret", interval="60s"))
    assert t.ifaces() == {}
    assert t.cmd(f"exporter {A1}") == "null"
    t.note(A1, A2, A1)
    t.wait_rounds(1, 10 * SLOW)
    # One round may cover one agent only: wait until both are in.
    end = time.monotonic() + 10 * SLOW
    while t.json("stats")["polls_ok"] < 2 and time.monotonic() < end:
        time.sleep(0.1)
    got = t.ifaces()
    expect_agent_ifaces(lab, got)
    assert t.json(f"exporter {A1}")["name"] == "agent-one"
    assert t.json(f"exporter {A2}")["name"] == "agent-two"
    st = t.json("stats")
    assert st["polls_ok"] == 2 and st["polls_failed"] == 0, st
    assert st["exporters"] == 2, st


def test_ipv6_agent(lab):
    """An exporter with an IPv6 address is polled over UDP/IPv6; the same
    agent noted by its IPv4 address keeps its own rows."""
    a6, c6 = "2001:2::1", "2001:2::2"
    sh("ip", "addr", "add", f"{a6}/64", "dev", "xfa1", "nodad", ns=lab.a1)
    sh("ip", "addr", "add", f"{c6}/64", "dev", "xfc1", "nodad", ns=lab.c)
    lab.start_agent(lab.a1, A1, "agent-one",
                    listen=f"udp:{A1}:{PORT},udp6:[{a6}]:{PORT}")
    t = lab.tool(conf("snmp-community = secret",
                      "snmp-agent = 2001:2::/48 community=secret",
                      interval="60s"))
    t.note(a6)
    t.wait_rounds(1, 10 * SLOW)
    st = t.json("stats")
    assert st["polls_ok"] == 1, (st, t.stderr())
    got = t.ifaces()
    up0 = lab.ifindex(lab.a1, "xfup0")
    assert got[(a6, up0)] == {"name": "xfup0",
                              "description": "uplink to core",
                              "speed": SPEED_VETH}
    assert all(k[0] == a6 for k in got), got
    assert t.json(f"exporter {a6}")["name"] == "agent-one"


def test_v3_sha256_and_sha_by_prefix(lab):
    lab.start_agent(lab.a1, A1, "agent-one", V3_A1)
    lab.start_agent(lab.a2, A2, "agent-two", V3_A2)
    t = lab.tool(conf("snmp-v3-user = u256", "snmp-v3-auth = sha256",
                      "snmp-v3-auth-pass = authpass256",
                      "snmp-v3-priv = aes", "snmp-v3-priv-pass = privpass256",
                      f"snmp-agent = {A2}/32 user=u1 auth=sha "
                      "auth-pass=authpass1x priv=aes priv-pass=privpass1x",
                      interval="60s"))
    t.note(A1, A2)
    end = time.monotonic() + 15 * SLOW
    while t.json("stats")["polls_ok"] < 2 and time.monotonic() < end:
        time.sleep(0.1)
    st = t.json("stats")
    assert st["polls_ok"] == 2 and st["polls_failed"] == 0, (st, t.stderr())
    expect_agent_ifaces(lab, t.ifaces())
    assert t.json(f"exporter {A2}")["name"] == "agent-two"


def test_unreachable_agent_stalls_nothing(lab, tmp_path):
    lab.start_agent(lab.a1, A1, "agent-one")
    # An agent that takes requests and never answers.
    silent = subprocess.Popen(
        ["ip", "netns", "exec", lab.c, sys.executable, "-c",
         "import socket, sys, time\n"
         "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
         f"s.bind(('{SILENT}', {PORT}))\n"
         "print('up', flush=True)\n"
         "time.sleep(300)\n"],
        stdout=subprocess.PIPE, text=True)
    lab.procs.append(silent)
    assert silent.stdout.readline().strip() == "up"
    # Each request to it costs 2 s * (1 + 1 retry) = 4 s.
    t = lab.tool(conf("snmp-community = secret", interval="2s",
                      timeout="2s", retries=1))
    t.note(SILENT)
    time.sleep(0.3)  # the poller is now waiting on the silent agent
    t.note(A1, CLOSED)
    # The flow path meanwhile: 200k notes of known and new exporters.
    b = t.json(f"note-bench 200000 {SILENT} {A1} {CLOSED} 198.18.9.9")
    st = t.json("stats")
    assert st["polls_failed"] == 0 and st["polls_ok"] == 0, st
    assert b["total_ns"] < 1e9 * SLOW, b  # not a wait on the poll
    print(f"notes while a poll hangs: p50 {b['p50_ns']} ns, p99 "
          f"{b['p99_ns']} ns, max {b['max_ns']} ns over {b['calls']} "
          f"(clock reads included)")
    # The reachable agent is polled once the dead one's timeout is spent.
    end = time.monotonic() + 20 * SLOW
    while time.monotonic() < end:
        st = t.json("stats")
        if st["polls_ok"] >= 2:
            break
        time.sleep(0.2)
    assert st["polls_ok"] >= 2, (st, t.stderr())
    assert st["timeouts"] >= 2, st  # the silent one and the closed port
    expect_agent_ifaces(lab, t.ifaces(), a2=False)
    assert st["exporters"] == 4, st
    assert "SNMP poll failed" in t.stderr()


def test_renamed_interface_after_next_poll(lab):
    lab.start_agent(lab.a1, A1, "agent-one")
    t = lab.tool(conf("snmp-community = secret", interval="1s"))
    t.note(A1)
    t.wait_rounds(1, 10 * SLOW)
    idx = lab.ifindex(lab.a1, "xfup0")
    assert t.ifaces()[(A1, idx)]["name"] == "xfup0"
    sh("ip", "link", "set", "xfup0", "down", ns=lab.a1)
    sh("ip", "link", "set", "xfup0", "name", "xfren0", ns=lab.a1)
    sh("ip", "link", "set", "xfren0", "alias", "renamed uplink", ns=lab.a1)
    sh("ip", "link", "set", "xfren0", "up", ns=lab.a1)
    # snmpd caches its interface table for a few seconds: bounded wait
    # over the next polls.
    end = time.monotonic() + 40 * SLOW
    got = {}
    while time.monotonic() < end:
        got = t.ifaces().get((A1, idx), {})
        if got.get("name") == "xfren0":
            break
        time.sleep(0.5)
    assert got == {"name": "xfren0", "description": "renamed uplink",
                   "speed": SPEED_VETH}
    # The agent goes away: the cache keeps the last good values.
    r = t.json("stats")["rounds"]
    lab.stop_agent(lab.a1)
    t.wait_rounds(r + 2, 10 * SLOW)
    st = t.json("stats")
    assert st["timeouts"] >= 1, st
    assert t.ifaces()[(A1, idx)]["name"] == "xfren0"
    assert t.json(f"exporter {A1}")["name"] == "agent-one"


def test_wrong_credentials_are_counted_and_logged(lab):
    lab.start_agent(lab.a1, A1, "agent-one")
    # Many exporter addresses on A2, all the same agent, v3 only.
    extra = [f"198.18.8.{i}" for i in range(1, 16)]
    for a in extra:
        sh("ip", "addr", "add", f"{a}/32", "dev", "lo", ns=lab.a2)
    sh("ip", "route", "add", "198.18.8.0/24", "via", A2, ns=lab.c)
    lab.start_agent(lab.a2, A2, "agent-two", V3_A2, listen=f"udp:{PORT}")
    t = lab.tool(conf(f"snmp-agent = {A1}/32 community=wrong",
                      "snmp-agent = 198.18.8.0/24 user=u1 auth=sha "
                      "auth-pass=wrongpass1 priv=aes priv-pass=privpass1x",
                      interval="30s"))
    t.note(A1, *extra)
    end = time.monotonic() + 20 * SLOW
    while time.monotonic() < end:
        st = t.json("stats")
        if st["polls_failed"] >= 16:
            break
        time.sleep(0.2)
    assert st["timeouts"] == 1, st  # a wrong community gets no answer
    assert st["auth_errors"] == 15, st
    assert st["polls_ok"] == 0, st
    assert t.ifaces() == {}
    logged = [ln for ln in t.stderr().splitlines()
              if "SNMP poll failed" in ln]
    # Rate-limited: 16 failures in one window, at most 10 lines.
    assert 1 <= len(logged) <= 10, logged
    assert any("Authentication failure" in ln for ln in logged), logged


def test_static_file_wins_and_rules_see_sysname(lab):
    lab.start_agent(lab.a1, A1, "agent-one")
    up0 = lab.ifindex(lab.a1, "xfup0")
    up1 = lab.ifindex(lab.a1, "xfup1")
    ifile = lab.tmp / "ifaces.csv"
    ifile.write_text("exporter,ifindex,name,description,speed\n"
                     f"{A1},{up0},static-up0,,\n"
                     f"{A1},999,static-only,from the file,1000\n"
                     "198.18.9.1,1,other,elsewhere,\n")
    rules = lab.tmp / "rules.csv"
    rules.write_text("prefix,name_regex,group,site\n"
                     "198.18.6.0/24,,lab,\n"
                     ",^agent-one$,,site-one\n")
    t = lab.tool(conf("snmp-community = secret", f"interfaces = {ifile}",
                      f"exporters = {rules}", interval="60s"))
    # Before any poll: the static file and the rules are published.
    end = time.monotonic() + 10
    while t.ifaces() == {} and time.monotonic() < end:
        time.sleep(0.1)
    assert t.ifaces()[(A1, 999)]["name"] == "static-only"
    assert t.json("exporter 198.18.9.1") == {"name": None, "group": None,
                                             "site": None}
    t.note(A1)
    t.wait_rounds(1, 10 * SLOW)
    got = t.ifaces()
    assert got[(A1, up0)] == {"name": "static-up0",
                              "description": "uplink to core",
                              "speed": SPEED_VETH}
    assert got[(A1, up1)]["name"] == "xfup1"
    assert got[(A1, 999)] == {"name": "static-only",
                              "description": "from the file", "speed": 1000}
    assert got[("198.18.9.1", 1)]["name"] == "other"
    assert t.json(f"exporter {A1}") == {"name": "agent-one", "group": "lab",
                                        "site": "site-one"}


def hostile_pass_script(col, entries):
    """A pass script serving column col of ifXTable from a fixed list of
    (index suffix, type, value), in OID order."""
    lines = ["#!/bin/sh", f"B=.1.3.6.1.2.1.31.1.1.1.{col}", 'case "$1 $2" in']
    outs = [f'echo "$B.{suf}"; echo {typ}; echo \'{val}\''
            for suf, typ, val in entries]
    for (suf, _, _), out in zip(entries, outs):
        lines.append(f'"-g $B.{suf}") {out} ;;')
    for i, (suf, _, _) in enumerate(entries):
        nxt = outs[i + 1] if i + 1 < len(outs) else ":"
        lines.append(f'"-n $B.{suf}") {nxt} ;;')
    lines.append('"-n $B."*) ;;')
    lines.append(f'"-n "*) {outs[0]} ;;')
    lines += ["esac", "exit 0", ""]
    return "\n".join(lines)


def test_odd_replies_are_bounded(lab):
    """Wrong types, oversized and non-UTF-8 strings, odd indexes: the
    poller keeps what is sound, cleans or drops the rest, never crashes
    (the ASan build runs this too)."""
    names = [("1", "integer", "5"),             # wrong type: no name
             ("2", "string", "N" * 3000),       # cut to 255 bytes
             ("3", "objectid", ".1.3.6"),       # wrong type
             ("4.1", "string", "two-part"),     # not one sub-identifier
             ("5", "string", "ok5")]
    aliases = [("2", "octet", "FF 00 41 0A C3 A9"),  # bytes: ??A?é
               ("5", "gauge", "7")]
    d = lab.tmp / "hostile"
    d.mkdir()
    for col, ent in (("1", names), ("18", aliases)):
        (d / f"col{col}.sh").write_text(hostile_pass_script(col, ent))
    lab.start_agent(lab.a1, A1, "hostile", pass_lines=[
        f"pass .1.3.6.1.2.1.31.1.1.1.1 /bin/sh {d}/col1.sh",
        f"pass .1.3.6.1.2.1.31.1.1.1.18 /bin/sh {d}/col18.sh"])
    t = lab.tool(conf("snmp-community = secret", interval="60s"))
    t.note(A1)
    t.wait_rounds(1, 10 * SLOW)
    st = t.json("stats")
    assert st["polls_ok"] == 1, (st, t.stderr())
    got = t.ifaces()
    assert got[(A1, 2)]["name"] == "N" * 255
    assert got[(A1, 2)]["description"] == "??A?é"
    assert got[(A1, 5)] == {"name": "ok5", "description": None,
                            "speed": 0}
    assert got.get((A1, 1), {}).get("name") is None
    assert got.get((A1, 3), {}).get("name") is None
    assert (A1, 4) not in got or got[(A1, 4)]["name"] != "two-part"


def test_agent_without_ifxtable_falls_back_to_iftable(lab):
    """An agent without the IF-MIB ifXTable's ifName, ifAlias and
    ifHighSpeed (older devices; here a community whose view excludes those
    columns): names come from the ifTable's ifDescr and speeds from ifSpeed
    in bit/s, where ifSpeed's saturated 2^32-1 would mean unknown, not
    4.29 Gbit/s. The values are cross-checked with snmpget."""
    lab.start_agent(lab.a1, A1, "old-agent", [
        "view noifx included .1",
        *(f"view noifx excluded .1.3.6.1.2.1.31.1.1.1.{col}"
          for col in (1, 15, 18)),
        "rocommunity old 198.18.0.0/15 -V noifx"])
    t = lab.tool(conf("snmp-community = old", interval="60s"))
    t.note(A1)
    t.wait_rounds(1, 10 * SLOW)
    st = t.json("stats")
    assert st["polls_ok"] == 1 and st["polls_failed"] == 0, (st, t.stderr())
    got = t.ifaces()

    def agent(oid):
        r = subprocess.run(["ip", "netns", "exec", lab.c, "snmpget",
                            "-v2c", "-c", "old", "-Oqv", f"{A1}:{PORT}",
                            oid], capture_output=True, text=True,
                           timeout=CMD_TIMEOUT, env={**os.environ,
                                                     "MIBS": ""})
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()
    # The view really hides ifName: the agent has no such instance.
    assert "No Such" in agent(".1.3.6.1.2.1.31.1.1.1.1.1")
    links = [1, lab.ifindex(lab.a1, "xfa1"), lab.ifindex(lab.a1, "xfup0"),
             lab.ifindex(lab.a1, "xfup1")]
    assert sorted(k[1] for k in got if k[0] == A1) == sorted(links)
    for idx in links:
        descr = agent(f".1.3.6.1.2.1.2.2.1.2.{idx}").strip('"')
        speed = int(agent(f".1.3.6.1.2.1.2.2.1.5.{idx}"))
        assert got[(A1, idx)] == {
            "name": descr, "description": None,
            "speed": 0 if speed == 4294967295 else speed}, (idx, got)
    assert got[(A1, lab.ifindex(lab.a1, "xfup0"))]["name"] == "xfup0"
    assert got[(A1, 1)]["name"] == "lo"
    assert t.json(f"exporter {A1}")["name"] == "old-agent"


def test_bad_config_is_one_line_exit_2(lab):
    binary = xflow.build_dir() / "tests" / "helpers" / "snmp-poll-tool"
    for text, msg in (
            ("snmp-community = x\n", "snmp-poll is not on"),
            ("snmp-poll = on\nsnmp-timeout = 5 parsecs\n",
             "is not a duration"),
            ("snmp-poll = on\nsnmp-v3-user = u\nsnmp-v3-auth = sha\n"
             "snmp-v3-auth-pass = short\n", "8 bytes or more"),
            ("snmp-poll = on\nsnmp-agent = 198.18.0.1/8 community=x\n",
             "host bits"),
            ("snmp-poll = on\nsnmp-nope = 1\n", "unknown key")):
        p = lab.tmp / "bad.conf"
        p.write_text(text)
        r = subprocess.run([str(binary), str(p)], capture_output=True,
                           text=True, timeout=CMD_TIMEOUT)
        assert r.returncode == 2, (text, r.stderr)
        assert msg in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_xdpflowd_enriches_from_snmp(daemon, tmp_path):
    """End to end: xdpflowd --enrich with snmp-poll = on. Flows from
    127.0.0.1 make the collector note that exporter; an snmpd on loopback
    (its own port, ifName/ifAlias of ifIndex 3 and 4 from a pass script)
    answers; the JSON flows then carry its interface names and its sysName
    as the exporter's name, classified by a rule on that name. The
    poller's counters reach /metrics and the final "stats snmp" line."""
    require_tool("snmpd")
    aport, port = xflow.free_udp_port(), xflow.free_udp_port()
    d = tmp_path / "agent"
    (d / "persist").mkdir(parents=True)
    for col, ent in (("1", [("3", "string", "snmp-in3"),
                            ("4", "string", "snmp-out4")]),
                     ("18", [("3", "string", "to transit"),
                             ("4", "string", "to core")])):
        (d / f"col{col}.sh").write_text(hostile_pass_script(col, ent))
    (d / "snmpd.conf").write_text(
        "rocommunity secret 127.0.0.1\nsysName e2e-router\n"
        f"pass .1.3.6.1.2.1.31.1.1.1.1 /bin/sh {d}/col1.sh\n"
        f"pass .1.3.6.1.2.1.31.1.1.1.18 /bin/sh {d}/col18.sh\n")
    agent = subprocess.Popen(
        ["snmpd", "-f", "-Lo", "-C", "-c", str(d / "snmpd.conf"), "-I",
         "-smux", f"udp:127.0.0.1:{aport}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR":
             str(d / "persist")})
    try:
        (tmp_path / "rules.csv").write_text(
            "prefix,name_regex,group\n,^e2e-router$,e2e-group\n")
        conf_path = tmp_path / "enrich.conf"
        conf_path.write_text(
            "exporters = rules.csv\nsnmp-poll = on\n"
            f"snmp-port = {aport}\nsnmp-community = secret\n"
            "snmp-poll-interval = 1s\nsnmp-timeout = 500ms\n")
        out = tmp_path / "flows.json"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            mport = s.getsockname()[1]
        dmn = daemon(["-l", f"netflow://127.0.0.1:{port}", "--format",
                      "json", "--file", out, "--enrich", conf_path,
                      "--metrics", f"127.0.0.1:{mport}"],
                     ports=[port])
        fields = ((1, 4), (2, 4), (4, 1), (8, 4), (12, 4), (10, 2),
                  (14, 2))
        end = time.monotonic() + 30 * SLOW
        seq, last = 0, {}
        while time.monotonic() < end:
            body = struct.pack("!IIBIIHH", 100, 1, 17,
                               0xc6120001, 0xc6130001, 3, 4)
            xflow.send_udp([xflow.nf9([xflow.template_set(300, fields,
                                                          False),
                                       xflow.raw_set(300, body)],
                                      seq=seq)], port)
            seq += 1
            dmn.wait_drained([port])
            got = xflow.read_json_flows(out)
            last = got[-1] if got else {}
            if last.get("exporter_group") == "e2e-group" and \
                    last.get("in_if_name") == "snmp-in3":
                break
            time.sleep(0.5)
        assert last.get("in_if_name") == "snmp-in3", last
        assert last.get("in_if_description") == "to transit", last
        assert last.get("out_if_name") == "snmp-out4", last
        assert last.get("out_if_description") == "to core", last
        assert last.get("exporter_name") == "e2e-router", last
        assert last.get("exporter_group") == "e2e-group", last
        with urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics",
                                    timeout=5) as r:
            text = r.read().decode()
        prom = {m.group(1): int(m.group(2)) for m in re.finditer(
            r"^xdpflow_(snmp_\w+) (\d+)$", text, re.M)}
        assert prom.get("snmp_polls_ok_total", 0) >= 1, text
        assert prom.get("snmp_rounds_total", 0) >= 1, text
        assert prom.get("snmp_exporters") == 1, text
        for k in ("snmp_polls_failed_total", "snmp_timeouts_total",
                  "snmp_auth_errors_total", "snmp_other_errors_total",
                  "snmp_table_full"):
            assert prom.get(k) == 0, (k, text)
        res = dmn.stop()
        lines = re.findall(r"stats snmp (.*)", res.stderr)
        assert len(lines) == 1, res.stderr[-3000:]
        st = dict(kv.split("=") for kv in lines[0].split())
        assert int(st["polls_ok"]) >= prom["snmp_polls_ok_total"], st
        assert int(st["rounds"]) >= prom["snmp_rounds_total"], st
        assert st["exporters"] == "1" and st["table_full"] == "0", st
        assert st["polls_failed"] == st["timeouts"] == "0", st
        assert st["auth_errors"] == st["other_errors"] == "0", st
    finally:
        agent.terminate()
        try:
            agent.wait(timeout=10)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait(timeout=10)
