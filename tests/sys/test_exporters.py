# SPDX-License-Identifier: Apache-2.0
"""Real exporters: softflowd (NetFlow v5, v9, IPFIX with uptime-relative
and with absolute times) and pmacct's pmacctd (nfprobe v5, v9, IPFIX;
sfprobe sFlow) read a generated traffic capture and export to a live
xdpflowd on loopback while dumpcap captures their export packets. Every flow
they exported must come out of xdpflowd equal to tshark's decode of the same
packets: addresses, ports, protocol, bytes, packets and, for v9 and IPFIX,
the start and end times."""

import collections
import subprocess

import pytest

import xflow
from conftest import require_tool

# (id, tool, version, extra softflowd flags)
EXPORTERS = [
    ("softflowd-v5", "softflowd", "5", []),
    ("softflowd-v9", "softflowd", "9", ["-6"]),
    ("softflowd-ipfix", "softflowd", "10", ["-6"]),
    ("softflowd-ipfix-abs-ms", "softflowd", "10", ["-6", "-A", "milli"]),
    ("pmacct-v5", "pmacctd", "5", []),
    ("pmacct-v9", "pmacctd", "9", []),
    ("pmacct-ipfix", "pmacctd", "10", []),
    ("pmacct-sflow", "pmacctd", "sflow", []),
]

EXPORTER_TIMEOUT = 60


@pytest.fixture(scope="module")
def traffic(tmp_path_factory):
    d = tmp_path_factory.mktemp("traffic")
    path = d / "traffic.pcap"
    return path, xflow.write_traffic(path)


def run_softflowd(pcap, port, version, extra, tmp):
    cmd = ["softflowd", "-r", str(pcap), "-n", f"127.0.0.1:{port}", "-v",
           version, "-d", "-a", "-c", "none", "-p", str(tmp / "sf.pid"),
           *extra]
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=EXPORTER_TIMEOUT)


def run_pmacctd(pcap, port, version, tmp):
    conf = tmp / "pmacctd.conf"
    lines = ["daemonize: false", f"pcap_savefile: {pcap}",
             "pcap_savefile_wait: false", "logfile: " + str(tmp / "pm.log")]
    if version == "sflow":
        lines += ["plugins: sfprobe", f"sfprobe_receiver: 127.0.0.1:{port}",
                  "sfprobe_agentip: 127.0.0.1", "sampling_rate: 1"]
    else:
        lines += ["plugins: nfprobe", f"nfprobe_receiver: 127.0.0.1:{port}",
                  f"nfprobe_version: {version}"]
    conf.write_text("\n".join(lines) + "\n")
    return subprocess.run(["pmacctd", "-f", str(conf)],
                          stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=EXPORTER_TIMEOUT)


@pytest.mark.parametrize("name,tool,version,extra", EXPORTERS,
                         ids=[e[0] for e in EXPORTERS])
def test_exporter(name, tool, version, extra, traffic, daemon, tmp_path):
    require_tool(tool)
    require_tool("dumpcap")
    require_tool("tshark")
    pcap, flows_sent = traffic
    sflow = version == "sflow"
    port = xflow.free_udp_port()
    out = tmp_path / "flows.json"
    d = daemon(["-l", f"{'sflow' if sflow else 'netflow'}://127.0.0.1:{port}",
                "--format", "json", "--file", out], ports=[port])
    cap = xflow.Capture(tmp_path / "export.pcap",
                        f"udp and dst port {port}").start()
    try:
        if tool == "softflowd":
            p = run_softflowd(pcap, port, version, extra, tmp_path)
        else:
            p = run_pmacctd(pcap, port, version, tmp_path)
        d.wait_drained([port])
    finally:
        cap.stop()
    assert p.returncode == 0 or (
        tool == "pmacctd" and xflow.pmacctd_clean_shutdown(tmp_path / "pm.log")), \
        f"{tool} failed: {p.stderr.decode()[-2000:]}"
    r = d.stop()
    r.assert_clean_exit()
    ours = [xflow.norm_flow(f) for f in xflow.read_json_flows(out)]

    exported = xflow.read_pcap_udp(cap.path)
    assert exported, f"{name}: no export packet captured"
    st = r.stats.exporter("127.0.0.1")
    assert st["packets"] == len(exported), \
        f"{name}: captured {len(exported)} export packets, xdpflowd " \
        f"counted {st['packets']}: {r.stats.lines}"
    assert r.stats.errors() == 0, r.stats.lines

    if sflow:
        recs = xflow.tshark_sflow(cap.path, port)
        assert len(recs) >= 200, f"{name}: only {len(recs)} samples"
        diff = xflow.multiset_diff(
            [(t["agent"], t["rate"]) + xflow.tshark_key(t) for t in recs],
            [(f["sampler_address"], f["sampling_rate"]) + xflow.flow_key(f)
             for f in ours])
        assert not diff, f"{name}: ours vs tshark\n{diff}"
        assert all(f["type"] == "SFLOW_5" for f in ours)
        return

    ref = xflow.uncount_v9(cap.path, tmp_path / "export-uncounted.pcap") \
        if version == "9" else cap.path
    recs = xflow.tshark_cflow(ref, port)
    # The harness works: the exporter saw the generated flows (IPv4 only
    # for v5), with their packet and byte counts.
    seen = collections.Counter((t["src"], t["dst"], t["proto"])
                               for t in recs)
    for f in flows_sent:
        if version == "5" and ":" in f.src:
            continue
        per = [t for t in recs if (t["src"], t["dst"], t["proto"]) ==
               (f.src, f.dst, f.proto)]
        assert seen[(f.src, f.dst, f.proto)] >= 1, f"{name}: {f} not exported"
        assert sum(t["packets"] for t in per) == f.packets, (name, f, per)
        assert sum(t["bytes"] for t in per) == f.bytes, (name, f, per)
    if version in ("9", "10"):
        timed = [t for t in recs if t["start_ns"] is not None]
        assert timed, f"{name}: tshark placed no record in time"
    diff = xflow.compare_cflow(xflow.biflow_split(recs), ours)
    assert not diff, f"{name}: ours vs tshark's decode\n{diff}"
    want_type = {"5": "NETFLOW_V5", "9": "NETFLOW_V9", "10": "IPFIX"}[version]
    assert {f["type"] for f in ours} == {want_type}
    assert {f["sampler_address"] for f in ours} == {"127.0.0.1"}
