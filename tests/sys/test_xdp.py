# SPDX-License-Identifier: Apache-2.0
"""The XDP/AF_XDP fast path (--xdp) end to end, in network namespaces: an
exporter namespace sends real NetFlow v9, IPFIX and sFlow (softflowd and
pmacctd reading a generated capture) and crafted datagrams over a veth pair
to xdpflowd in a collector namespace. Checks: each exporter runs once
while its export is captured, and the captured datagrams replayed give the
same flows in XDP mode as in socket mode, equal to tshark's decode;
unlisted exporters die in XDP (the drop counter rises by exactly what was
sent, no flow); ping and TCP still work
while attached; a fragmented IPFIX message (template set larger than the
MTU) is decoded through the socket; IPv6 exporters; VLAN-tagged traffic;
reuse of a program attached with `ip link`; bpftool sees named counters;
nothing stays attached or pinned after a clean stop or after kill -9 and a
restart; a forced mode that cannot work is an error; --user drops to an
unprivileged user; without cap_sys_admin (needed to drop privileges and
detach) the daemon refuses before attaching; a two-queue veth with two
workers delivers through both queues' AF_XDP sockets the flows socket mode
gives; busy polling delivers. Needs root and XDP: fails loudly otherwise,
never skips.
Every namespace, link and bpffs is removed even when a test fails."""

import collections
import json
import shutil
import signal
import subprocess
import time

import pytest

import netns
import xflow
from netns import BAD4, BAD6, C4, C4_VLAN, C6, E4, E4_VLAN, E6

NF_PORT, SF_PORT = 2055, 6343
EXPORTER_TIMEOUT = 60
# Flow fields that legitimately differ between two replays of the same
# datagrams: the arrival time; sFlow samples carry no flow time (GoFlow2
# stamps them with the arrival time).
VOLATILE = ("time_received_ns",)
VOLATILE_SFLOW = VOLATILE + ("time_flow_start_ns", "time_flow_end_ns")


@pytest.fixture(scope="module", autouse=True)
def _sweep():
    netns.require_root_and_xdp()
    netns.sweep()
    yield
    netns.sweep()


@pytest.fixture
def topo():
    t = netns.Topo()
    try:
        t.create()
        yield t
    finally:
        t.close()


class NsDaemon(xflow.Daemon):
    """xflow.Daemon run inside a namespace (`ip netns exec` execs, so the
    pid is xdpflowd's own)."""

    def __init__(self, ns, args, workdir, name, env=None):
        super().__init__(args, workdir, name)
        self.ns, self.env = ns, env

    def start(self):
        with open(self.stdout_path, "wb") as o, \
                open(self.stderr_path, "wb") as e:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", self.ns, str(xflow.binary())] +
                self.args, stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                start_new_session=True, env=self.env)
        return self

    def wait_ready(self, ports=(NF_PORT, SF_PORT), timeout=10.0):
        def ready():
            if not self.alive():
                raise AssertionError(
                    f"xdpflowd exited early with status "
                    f"{self.proc.returncode}:\n{self.stderr()[-3000:]}")
            return all(netns.udp_bound(self.proc.pid, p) for p in ports) \
                and "running:" in self.stderr()
        netns.wait_for(ready, timeout * xflow.timeout_scale(),
                       "xdpflowd running in its namespace")
        return self

    def report(self) -> str:
        """Asks for a stats report (SIGUSR1) and returns the stderr once
        the whole report is written: with --xdp its `stats xdp` line comes
        after the `stats publish` line."""
        want = "stats xdp" if "--xdp" in self.args else "stats publish"
        n = self.stderr().count(want)
        self.proc.send_signal(signal.SIGUSR1)
        netns.wait_for(lambda: self.stderr().count(want) > n,
                       5 * xflow.timeout_scale(), "a stats report")
        return self.stderr()

    def settle(self, want_packets=None, timeout=10.0):
        """Waits until the decoded packet count stops moving (or reaches
        want_packets); returns the stderr of the last report."""
        end = time.monotonic() + timeout * xflow.timeout_scale()
        last = -1
        while True:
            err = self.report()
            got = xflow.parse_stats(err).rx["packets"]
            if want_packets is not None and got >= want_packets:
                return err
            if want_packets is None and got == last and got > 0:
                return err
            assert time.monotonic() < end, \
                f"packets stuck at {got} (want {want_packets}):\n{err[-2000:]}"
            last = got
            time.sleep(0.3)


@pytest.fixture
def nsd(tmp_path):
    """nsd(topo, extra_args, xdp=True) starts xdpflowd in the collector
    namespace with NetFlow and sFlow listeners and JSON output; every
    daemon is stopped (killed if need be) at the end of the test."""
    started = []

    def start(t, extra=(), xdp=True, name=None, env=None, wait=True):
        name = name or f"xdpflowd{len(started)}"
        out = tmp_path / f"{name}.json"
        args = ["-l", f"netflow://:{NF_PORT},sflow://:{SF_PORT}",
                "--format", "json", "--file", out, "--bpffs", t.pins]
        if xdp:
            args += ["--xdp", t.cif]
        d = NsDaemon(t.c, args + list(extra), tmp_path, name, env)
        d.out = out
        started.append(d)
        d.start()
        if wait:
            d.wait_ready()
        return d

    yield start
    xflow.stop_daemons(started)


ALLOW = ["--allow-exporter", E4, "--allow-exporter", E6,
         "--allow-exporter", E4_VLAN]


def nf9_packets(n, src_base="198.18.5.", tid=256):
    """n NetFlow v9 datagrams, the first with the template, each with one
    distinct flow."""
    tmpl = xflow.template_set(tid, xflow.NF9_FIELDS, ipfix=False)
    out = []
    for i in range(n):
        r = xflow.Rec(f"{src_base}{i % 250 + 1}", "198.18.6.1", 1000 + i, 53,
                      17, 100 + i, 1 + i % 7, 1700000000000 - 5000,
                      1700000000000 - 1000)
        sets = ([tmpl] if i == 0 else []) + \
            [xflow.data_set(tid, [r], ipfix=False)]
        out.append(xflow.nf9(sets, seq=i))
    return out


def require_tool(name: str) -> None:
    """These tests fail, never skip, when a tool they need is missing."""
    assert shutil.which(name), \
        f"{name} is not installed (scripts/deps.sh installs it)"


def flows_of(d) -> list[dict]:
    return [xflow.norm_flow(f) for f in xflow.read_json_flows(d.out)]


def stop_clean(d, t):
    r = d.stop()
    r.assert_clean_exit()
    assert t.xdp_prog_id() == 0, "XDP program still attached after stop"
    assert t.pins_left() == [], f"pins left: {t.pins_left()}"
    return r


# ---- real exporters: XDP mode == socket mode == tshark -------------------
#
# A live exporter does not export exactly the same datagrams twice (pmacctd's
# sampling and shutdown timing vary from run to run), so each test runs its
# exporter ONCE, over the veth to a plain UDP sink, while dumpcap captures
# the export datagrams on the exporter's veth; then exactly those datagrams,
# in order and from the exporter's own address and port, are replayed to
# xdpflowd in socket mode and in XDP mode. Both must decode every datagram,
# give the same flows field for field, and equal tshark's decode of the
# capture. An exporter run that fails (non-zero exit, as pmacctd's "connection
# lost" shutdown race under load) or exports short is retried, a bounded
# number of times, then reported with every attempt's reason.

EXPORTER_ATTEMPTS = 5
# pmacctd's sfprobe with sampling_rate 1 samples (almost) every packet of
# the capture: 253 or 254 of its 255 in a good run; a run cut short by its
# shutdown race loses more and exits 1.
SFLOW_MIN_SHARE = 0.95


def run_exporter(t, tool, version, pcap, tmp, attempt):
    """Runs the exporter once in the exporter namespace, to the collector
    address; returns (exit status, what it said)."""
    port = SF_PORT if version == "sflow" else NF_PORT
    if tool == "softflowd":
        cmd = ["softflowd", "-r", pcap, "-n", f"{C4}:{port}", "-v",
               version, "-d", "-a", "-c", "none", "-p",
               tmp / f"sf-{attempt}.pid"]
        if version != "5":
            cmd.append("-6")
        logf = None
    else:
        conf = tmp / f"pmacctd-{version}-{attempt}.conf"
        logf = tmp / f"pmacctd-{attempt}.log"
        lines = ["daemonize: false", f"pcap_savefile: {pcap}",
                 "pcap_savefile_wait: false", f"logfile: {logf}"]
        if version == "sflow":
            lines += ["plugins: sfprobe", f"sfprobe_receiver: {C4}:{port}",
                      f"sfprobe_agentip: {E4}", "sampling_rate: 1"]
        else:
            lines += ["plugins: nfprobe", f"nfprobe_receiver: {C4}:{port}",
                      f"nfprobe_version: {version}"]
        conf.write_text("\n".join(lines) + "\n")
        cmd = ["pmacctd", "-f", conf]
    try:
        p = subprocess.run(["ip", "netns", "exec", t.e] +
                           [str(c) for c in cmd], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True,
                           timeout=EXPORTER_TIMEOUT)
        rc, said = p.returncode, (p.stdout + p.stderr).strip()
    except subprocess.TimeoutExpired:
        rc, said = -1, f"timed out after {EXPORTER_TIMEOUT}s"
    if logf is not None and logf.exists():
        said += "\n" + "\n".join(
            ln for ln in logf.read_text("utf-8", "replace").splitlines()
            if " WARN " in ln or " ERROR " in ln)
    return rc, said.strip()[-1500:]


def decode_reference(cap, version, tmp):
    """tshark's decode of a capture of export datagrams: flow samples
    (sFlow) or flow records (NetFlow v9/IPFIX)."""
    if version == "sflow":
        return xflow.tshark_sflow(cap, SF_PORT)
    ref = xflow.uncount_v9(cap, tmp / (cap.stem + "-uncounted.pcap")) \
        if version == "9" else cap
    return xflow.tshark_cflow(ref, NF_PORT)


def export_shortfall(version, recs, flows_sent) -> str:
    """Why tshark's decode of an export does not cover the generated
    traffic ('' when it does): NetFlow/IPFIX must carry every flow with its
    exact packets and bytes, sFlow must sample nearly every packet."""
    if version == "sflow":
        want = sum(f.packets for f in flows_sent)
        if len(recs) < SFLOW_MIN_SHARE * want:
            return f"only {len(recs)} flow samples for {want} packets"
        return ""
    for f in flows_sent:
        per = [r for r in recs if (r["src"], r["dst"], r["proto"]) ==
               (f.src, f.dst, f.proto)]
        got = (sum(r["packets"] for r in per), sum(r["bytes"] for r in per))
        if got != (f.packets, f.bytes):
            return (f"flow {f.src} -> {f.dst} proto {f.proto} exported with "
                    f"{got[0]} packets/{got[1]} bytes, sent "
                    f"{f.packets}/{f.bytes}")
    return ""


def capture_export(t, tool, version, traffic, tmp):
    """Runs the exporter until one run is complete (at most
    EXPORTER_ATTEMPTS): exit status 0, dumpcap dropped nothing and every
    captured datagram is a whole UDP datagram to the collector port, and
    the export covers the traffic. Returns (capture, datagrams, tshark's
    decode); fails with every attempt's reason otherwise."""
    pcap, flows_sent = traffic
    port = SF_PORT if version == "sflow" else NF_PORT
    failures = []
    for attempt in range(1, EXPORTER_ATTEMPTS + 1):
        cap_path = tmp / f"export-{attempt}.pcap"
        sink = netns.UdpSink(t.c, C4, port, tmp / f"sink-{attempt}.txt")
        cap = netns.NsCapture(t.e, t.eif, f"udp and dst port {port}",
                              cap_path)
        try:
            sink.start()
            cap.start()
            rc, said = run_exporter(t, tool, version, pcap, tmp, attempt)
            captured, dropped = cap.stop()
        finally:
            cap.kill()
            sink_read = sink.stop()
        exported = xflow.read_pcap_udp(cap_path)
        why = []
        if rc != 0:
            why.append(f"{tool} exited with status {rc}: {said}")
        if dropped:
            why.append(f"dumpcap dropped {dropped} of {captured} packets")
        if captured != len(exported) or not exported:
            why.append(f"dumpcap captured {captured} packets, "
                       f"{len(exported)} of them whole UDP datagrams")
        sources = {(p.src, p.sport) for p in exported}
        if exported and sources != {(E4, exported[0].sport)}:
            why.append(f"export datagrams not from one {E4} socket: "
                       f"{sorted(sources)}")
        recs = decode_reference(cap_path, version, tmp) if not why else []
        short = export_shortfall(version, recs, flows_sent) if not why \
            else ""
        if short:
            why.append(f"incomplete export: {short}")
        if not why:
            return cap_path, exported, recs
        print(f"{tool} ({version}) attempt {attempt} failed: {why}")
        failures.append(f"attempt {attempt} (sink read {sink_read} "
                        f"datagrams): " + "; ".join(why))
    raise AssertionError(f"{tool} ({version}): no complete export in "
                         f"{EXPORTER_ATTEMPTS} runs:\n" + "\n".join(failures))


def comparable(flows):
    """Flows as sorted JSON texts without what legitimately differs
    between two replays of the same datagrams: the arrival time, and for
    sFlow the flow times (GoFlow2 stamps samples with the arrival time)."""
    def drop(f):
        skip = VOLATILE_SFLOW if f.get("type") == "SFLOW_5" else VOLATILE
        return {k: v for k, v in f.items() if k not in skip}
    return sorted(json.dumps(drop(f), sort_keys=True) for f in flows)


def assert_same_flows(a_flows, b_flows, what):
    a, b = comparable(a_flows), comparable(b_flows)
    if a == b:
        return
    ca, cb = collections.Counter(a), collections.Counter(b)
    only_a = [json.loads(x) for x in (ca - cb).elements()][:3]
    only_b = [json.loads(x) for x in (cb - ca).elements()][:3]
    raise AssertionError(f"{what}: {len(a)} vs {len(b)} flows; only in the "
                         f"first: {only_a}; only in the second: {only_b}")


@pytest.mark.parametrize("tool,version", [("softflowd", "9"),
                                          ("softflowd", "10"),
                                          ("pmacctd", "10"),
                                          ("pmacctd", "sflow")],
                         ids=["softflowd-v9", "softflowd-ipfix",
                              "pmacct-ipfix", "pmacct-sflow"])
def test_exporter_same_flows_as_socket_mode(tool, version, topo, nsd,
                                            tmp_path):
    require_tool(tool)
    require_tool("dumpcap")
    require_tool("tshark")
    pcap = tmp_path / "traffic.pcap"
    traffic = (pcap, xflow.write_traffic(pcap))
    cap, exported, recs = capture_export(topo, tool, version, traffic,
                                         tmp_path)
    port = SF_PORT if version == "sflow" else NF_PORT
    payloads = [p.payload for p in exported]
    n = len(payloads)
    results = {}
    for mode in ("socket", "xdp"):
        d = nsd(topo, ALLOW, xdp=mode == "xdp", name=mode)
        topo.send(payloads, E4, C4, port, tmp=tmp_path,
                  sport=exported[0].sport)
        err = d.settle(want_packets=n)
        xs = netns.parse_xdp_stats(err)
        r = stop_clean(d, topo)
        st = r.stats
        assert st.errors() == 0, st.lines
        assert st.rx["packets"] == n and st.exporter(E4)["packets"] == n, \
            f"{mode}: replayed {n} datagrams: {st.lines}"
        if mode == "xdp":
            # Every datagram through AF_XDP (none is fragmented).
            assert xs["redirected"] == n and xs["passed_fragment"] == 0, \
                err[-2000:]
        else:
            assert xs == {}
        results[mode] = flows_of(d)
    assert results["xdp"], "no flow decoded"
    assert_same_flows(results["xdp"], results["socket"], "xdp vs socket")
    ours = results["xdp"]
    assert {f["sampler_address"] for f in ours} == {E4}
    if version == "sflow":
        diff = xflow.multiset_diff(
            [(t["agent"], t["rate"]) + xflow.tshark_key(t) for t in recs],
            [(f["sampler_address"], f["sampling_rate"]) + xflow.flow_key(f)
             for f in ours])
        assert {f["type"] for f in ours} == {"SFLOW_5"}
    else:
        assert {t["exporter"] for t in recs} == {E4}
        diff = xflow.compare_cflow(recs, ours)
        assert {f["type"] for f in ours} == \
            {"NETFLOW_V9" if version == "9" else "IPFIX"}
    assert not diff, f"{tool} ({version}): ours vs tshark's decode of " \
        f"{cap.name}\n{diff}"


# ---- the allow-list in XDP --------------------------------------------------

def test_unlisted_exporters_die_in_xdp(topo, nsd, tmp_path):
    d = nsd(topo, ALLOW + ["--stats-interval", "0"])
    before = netns.parse_xdp_stats(d.report())
    topo.send(nf9_packets(40), BAD4, C4, NF_PORT, tmp=tmp_path)
    topo.send(nf9_packets(25), BAD6, C6, NF_PORT, tmp=tmp_path)
    after = netns.parse_xdp_stats(d.report())
    assert after["dropped_not_allowed"] - before["dropped_not_allowed"] == 65
    err = d.report()
    st = xflow.parse_stats(err)
    assert st.rx["packets"] == 0 and st.rx["not_allowed"] == 0, st.lines
    # The allowed exporter still gets through, through AF_XDP.
    topo.send(nf9_packets(10), E4, C4, NF_PORT, tmp=tmp_path)
    err = d.settle(want_packets=10)
    assert netns.parse_xdp_stats(err)["redirected"] >= 10
    stop_clean(d, topo)
    flows = flows_of(d)
    assert len(flows) == 10
    assert {f["sampler_address"] for f in flows} == {E4}


# ---- other traffic keeps working ------------------------------------------

def test_ping_and_tcp_while_attached(topo, nsd):
    require_tool("ping")
    d = nsd(topo, ALLOW)
    assert topo.xdp_prog_id() != 0
    netns.sh("ping", "-c", "3", "-i", "0.2", "-W", "2", C4, ns=topo.e)
    netns.sh("ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", C6, ns=topo.e)
    srv = subprocess.Popen(
        ["ip", "netns", "exec", topo.c, "python3", "-c",
         "import socket; s = socket.socket(); s.settimeout(10); "
         "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
         f"s.bind(('{C4}', 7777)); s.listen(); c, _ = s.accept(); "
         "c.sendall(c.recv(16)[::-1]); c.close()"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        out = ""
        for _ in range(50):  # the listener needs a moment to bind
            p = subprocess.run(
                ["ip", "netns", "exec", topo.e, "python3", "-c",
                 "import socket; c = socket.create_connection("
                 f"('{C4}', 7777), timeout=5); c.sendall(b'xdpflow'); "
                 "print(c.recv(16).decode())"],
                capture_output=True, text=True, timeout=20)
            out = p.stdout.strip()
            if p.returncode == 0:
                break
            time.sleep(0.1)
        assert out == "wolfpdx", p.stderr
    finally:
        srv.kill()
        srv.wait(5)
    xs = netns.parse_xdp_stats(d.report())
    assert xs["passed_not_udp"] > 0
    stop_clean(d, topo)


# ---- fragments, IPv6, VLAN -------------------------------------------------

def test_fragmented_ipfix_decoded_through_socket(topo, nsd, tmp_path):
    d = nsd(topo, ALLOW)
    # 70 templates of 9 fields (40 bytes each): a 2.8 KB template set, more
    # than the 1500-byte MTU, then data for one of them.
    sets = [b"".join(xflow.template_set(300 + i, xflow.IPFIX_FIELDS, True)
                     for i in range(70))]
    recs = [xflow.Rec("198.18.7.1", "198.18.8.1", 4000 + i, 443, 6, 1000 + i,
                      10, 1700000000000, 1700000001000) for i in range(5)]
    sets.append(xflow.data_set(369, recs, ipfix=True))
    msg = xflow.ipfix(sets)
    assert len(msg) > 2500
    topo.send([msg], E4, C4, NF_PORT, tmp=tmp_path)
    err = d.settle(want_packets=1)
    xs = netns.parse_xdp_stats(err)
    assert xs["passed_fragment"] >= 2 and xs["redirected"] == 0, xs
    r = stop_clean(d, topo)
    assert r.stats.exporter(E4)["templates"] >= 70, r.stats.lines
    flows = flows_of(d)
    assert sorted(f["src_port"] for f in flows) == [4000 + i for i in range(5)]
    assert {f["type"] for f in flows} == {"IPFIX"}


def test_ipv6_exporter(topo, nsd, tmp_path):
    d = nsd(topo, ALLOW)
    topo.send(nf9_packets(20), E6, C6, NF_PORT, tmp=tmp_path)
    err = d.settle(want_packets=20)
    assert netns.parse_xdp_stats(err)["redirected"] >= 20
    stop_clean(d, topo)
    flows = flows_of(d)
    assert len(flows) == 20
    assert {f["sampler_address"] for f in flows} == {E6}


def test_vlan_tagged_traffic(topo, nsd, tmp_path):
    """802.1Q through a VLAN sub-interface when the kernel has them, else
    (as here: CONFIG_VLAN_8021Q off) the same tagged frames from a packet
    socket; plus 802.1ad+802.1Q (QinQ) frames."""
    d = nsd(topo, ALLOW)
    before = netns.parse_xdp_stats(d.report())
    pkts = nf9_packets(15)
    if topo.has_vlan:
        topo.send(pkts[:10], E4_VLAN, C4_VLAN, NF_PORT, tmp=tmp_path)
    dst_mac = topo.mac(topo.c, topo.cif)
    src_mac = topo.mac(topo.e, topo.eif)
    frames = []
    for i, p in enumerate(pkts):
        if topo.has_vlan and i < 10:
            continue
        f = xflow.ether(xflow.ip_packet(
            E4_VLAN, C4_VLAN, 17,
            xflow.udp_segment(E4_VLAN, C4_VLAN, 40000, NF_PORT, p), i), 4,
            src_mac, dst_mac)
        tags = [(0x8100, netns.VLAN_ID)] if i % 2 else \
            [(0x88A8, 200), (0x8100, netns.VLAN_ID)]
        frames.append(netns.tag(f, tags))
    topo.send_frames(frames, tmp=tmp_path)
    err = d.settle(want_packets=15)
    after = netns.parse_xdp_stats(err)
    assert after["redirected"] - before["redirected"] == 15
    stop_clean(d, topo)
    flows = flows_of(d)
    assert len(flows) == 15
    assert {f["sampler_address"] for f in flows} == {E4_VLAN}


# ---- ip link attach, bpftool -------------------------------------------------

def test_reuse_ip_link_program_and_bpftool(topo, nsd, tmp_path):
    obj = xflow.build_dir() / "bpf" / "xdpflow.bpf.o"
    # ip pins the object's maps under the first bpffs it finds mounted
    # (tc/globals), and reuses maps pinned there earlier: any other bpffs
    # on the machine would hand this test another run's counters. Point it
    # at this topology's own bpffs.
    netns.sh("ip", "link", "set", "dev", topo.cif, "xdp", "obj", obj, "sec",
             "xdp", ns=topo.c, env={"TC_BPF_MNT": str(topo.bpffs)})
    pid = topo.xdp_prog_id()
    assert pid != 0
    try:
        d = nsd(topo, ALLOW)
        assert "reusing the xdpflow program" in d.stderr()
        assert topo.xdp_prog_id() == pid
        dump = json.loads(netns.sh("bpftool", "-j", "map", "dump", "pinned",
                                   topo.pins / "xdpflow_stats"))
        names = set(dump[0]["formatted"]["values"][0]["value"])
        assert {"packets", "redirected", "drop_not_allowed",
                "pass_fragment", "pass_not_udp"} <= names, names
        topo.send(nf9_packets(12), E4, C4, NF_PORT, tmp=tmp_path)
        topo.send(nf9_packets(7), BAD4, C4, NF_PORT, tmp=tmp_path)
        err = d.settle(want_packets=12)
        xs = netns.parse_xdp_stats(err)
        assert xs["redirected"] >= 12 and xs["dropped_not_allowed"] == 7
        dump = json.loads(netns.sh("bpftool", "-j", "map", "dump", "pinned",
                                   topo.pins / "xdpflow_stats"))
        assert sum(v["value"]["redirected"] for v in
                   dump[0]["formatted"]["values"]) == xs["redirected"]
        d.stop().assert_clean_exit()
        # Not ours: it stays attached; our pins are gone.
        assert topo.xdp_prog_id() == pid
        assert topo.pins_left() == []
        assert len(flows_of(d)) == 12
    finally:
        netns.sh("ip", "link", "set", "dev", topo.cif, "xdp", "off",
                 ns=topo.c, check=False)
    assert topo.xdp_prog_id() == 0


# ---- life cycle ---------------------------------------------------------------

def test_clean_stop_and_crash_restart(topo, nsd, tmp_path):
    d = nsd(topo, ALLOW, name="first")
    assert topo.xdp_prog_id() != 0
    assert f"xdpflow/xdpflow_prog_{topo.cif}" in topo.pins_left()
    stop_clean(d, topo)

    d = nsd(topo, ALLOW, name="crashed")
    stale = topo.xdp_prog_id()
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait(10)
    assert topo.xdp_prog_id() == stale, "kill -9 cannot detach"
    assert "xdpflow/xdpflow_stats" in topo.pins_left()

    d = nsd(topo, ALLOW, name="restarted")
    assert "removed stale XDP program" in d.stderr()
    assert topo.xdp_prog_id() not in (0, stale)
    topo.send(nf9_packets(5), E4, C4, NF_PORT, tmp=tmp_path)
    err = d.settle(want_packets=5)
    assert netns.parse_xdp_stats(err)["redirected"] >= 5
    stop_clean(d, topo)
    assert len(flows_of(d)) == 5


def test_forced_mode_that_cannot_work_is_an_error(topo, nsd):
    d = nsd(topo, ["--xdp-zerocopy", "on"], wait=False)
    netns.wait_for(lambda: not d.alive(), 15 * xflow.timeout_scale(),
                   "xdpflowd to exit")
    r = d.stop()
    errors = [ln for ln in r.stderr.splitlines() if ": error: " in ln]
    assert r.rc == 1, r.describe()
    assert len(errors) == 1 and topo.cif in errors[0] and \
        "zero-copy" in errors[0], errors
    assert topo.xdp_prog_id() == 0
    assert topo.pins_left() == []


def test_forced_skb_mode(topo, nsd, tmp_path):
    d = nsd(topo, ALLOW + ["--xdp-mode", "skb", "--xdp-zerocopy", "off"])
    assert "in skb mode" in d.stderr()
    topo.send(nf9_packets(8), E4, C4, NF_PORT, tmp=tmp_path)
    err = d.settle(want_packets=8)
    assert netns.parse_xdp_stats(err)["redirected"] >= 8
    stop_clean(d, topo)


def test_unusable_interface_falls_back_to_sockets(topo, nsd, tmp_path):
    d = nsd(topo, ALLOW + ["--xdp", "xftnosuch0"])
    warn = [ln for ln in d.stderr().splitlines() if "xftnosuch0" in ln]
    assert len(warn) == 1 and "UDP sockets" in warn[0], warn
    topo.send(nf9_packets(6), E4, C4, NF_PORT, tmp=tmp_path)
    err = d.settle(want_packets=6)
    assert netns.parse_xdp_stats(err)["iface"] == topo.cif
    stop_clean(d, topo)
    assert len(flows_of(d)) == 6


def test_user_and_capabilities(topo, nsd, tmp_path):
    # A process that changed uid is not dumpable, so LeakSanitizer cannot
    # attach to its threads at exit: leak checks stay with the other tests.
    env = dict(__import__("os").environ, ASAN_OPTIONS="detect_leaks=0")
    port = 9464
    d = nsd(topo, ALLOW + ["--user", "nobody", "--metrics",
                           f"127.0.0.1:{port}"], env=env)
    status = open(f"/proc/{d.proc.pid}/status").read()
    fields = dict(ln.split(":\t", 1) for ln in status.splitlines()
                  if ":\t" in ln)
    assert fields["Uid"].split()[:2] == ["65534", "65534"], fields["Uid"]
    assert int(fields["CapEff"], 16) == 0
    # cap_net_admin (12), cap_sys_admin (21), cap_dac_override (1),
    # cap_fowner (3): permitted only, for the detach at exit
    assert int(fields["CapPrm"], 16) == (1 << 12) | (1 << 21) | (1 << 1) | \
        (1 << 3), fields["CapPrm"]
    topo.send(nf9_packets(9), E4, C4, NF_PORT, tmp=tmp_path)
    d.settle(want_packets=9)
    text = netns.sh("python3", "-c",
                    "import urllib.request; print(urllib.request.urlopen("
                    f"'http://127.0.0.1:{port}/metrics', timeout=5)"
                    ".read().decode())", ns=topo.c)
    m = {ln.split()[0]: int(ln.split()[1]) for ln in text.splitlines()
         if ln.startswith("xdpflow_xdp_")}
    assert m["xdpflow_xdp_redirected_total"] >= 9, m
    assert "xdpflow_xdp_dropped_not_allowed_total" in m
    stop_clean(d, topo)
    assert len(flows_of(d)) == 9


def test_missing_detach_capability_is_an_error(topo, tmp_path):
    """Without cap_sys_admin (root in a container that drops it, say) the
    program could be attached but neither dropping privileges nor the
    detach at exit would work: the daemon refuses before attaching, in
    one error line, and leaves nothing attached or pinned."""
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is missing"
    r = subprocess.run(
        ["ip", "netns", "exec", topo.c, setpriv, "--inh-caps=-sys_admin",
         "--bounding-set=-sys_admin", "--", str(xflow.binary()),
         "-l", f"netflow://:{NF_PORT}", "--format", "json",
         "--file", str(tmp_path / "out.json"), "--bpffs", str(topo.pins),
         "--xdp", topo.cif] + ALLOW,
        stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=30 * xflow.timeout_scale())
    errors = [ln for ln in r.stderr.splitlines() if ": error: " in ln]
    assert r.returncode == 1, r.stderr
    assert len(errors) == 1 and "cap_sys_admin" in errors[0] and \
        "--xdp" in errors[0], r.stderr
    assert topo.xdp_prog_id() == 0
    assert topo.pins_left() == []


# ---- the AF_XDP loop: several RX queues, busy polling ---------------------

def test_two_rx_queues_both_deliver(nsd, tmp_path):
    """A veth with 2 RX queues and --workers 2: one AF_XDP socket per queue.
    veth has no RSS (the receiving queue is the sender's TX queue), so XPS
    maps CPU k to TX queue k on the exporter side and each batch is sent by
    a process pinned to its CPU (from its own source port): each queue
    gets exactly its batch. The flows equal socket mode's for the same
    datagrams."""
    t = netns.Topo(queues=2)
    try:
        t.create()
        t.steer_tx_by_cpu()
        # Each batch starts with the template: each queue has its worker.
        batches = [nf9_packets(30, src_base="198.18.5."),
                   nf9_packets(25, src_base="198.18.7.")]
        total = sum(len(b) for b in batches)
        flows, queues = {}, {}
        for mode in ("socket", "xdp"):
            d = nsd(t, ALLOW + ["--workers", "2"], xdp=mode == "xdp",
                    name=f"two-queues-{mode}")
            for cpu, b in enumerate(batches):
                t.send(b, E4, C4, NF_PORT, tmp=tmp_path, cpu=cpu,
                       sport=40001 + cpu)
            d.settle(want_packets=total)
            r = stop_clean(d, t)
            flows[mode] = flows_of(d)
            queues[mode] = netns.parse_af_xdp_queues(r.stderr)
        assert queues["socket"] == {}
        q = queues["xdp"]
        assert sorted(q) == [0, 1], q
        assert [q[0]["packets"], q[1]["packets"]] == \
            [len(b) for b in batches], q
        assert all(v["bad_frames"] == 0 and v["kernel_dropped"] == 0
                   for v in q.values()), q
        # need_wakeup: veth's copy mode never asks for a wakeup while the
        # fill ring has frames, so the loop made no recvfrom at all.
        assert all(v["fill_ring_empty"] == 0 and v["wakeups"] == 0
                   for v in q.values()), q
        assert len(flows["xdp"]) == total
        assert_same_flows(flows["socket"], flows["xdp"],
                          "two queues: socket mode vs XDP mode")
    finally:
        t.close()


def test_busy_poll_delivers(topo, nsd, tmp_path):
    d = nsd(topo, ALLOW + ["--xdp-busy-poll", "50",
                           "--xdp-busy-poll-budget", "16"])
    topo.send(nf9_packets(20), E4, C4, NF_PORT, tmp=tmp_path)
    d.settle(want_packets=20)
    r = stop_clean(d, topo)
    q = netns.parse_af_xdp_queues(r.stderr)
    assert sum(v["packets"] for v in q.values()) == 20, q
    flows = flows_of(d)
    assert len(flows) == 20
    assert {f["sampler_address"] for f in flows} == {E4}
