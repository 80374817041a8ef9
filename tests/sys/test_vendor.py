# SPDX-License-Identifier: Apache-2.0
"""Issue 8's vendor export cases (built in vendor_cases.py) through
`xdpflowd --pcap`: sampled frames inside IPFIX/v9 records decoded like
sFlow's raw headers (and as tshark dissects them), the counter rule and
biflows split into directed flows, padding counted without errors, v9
variable-length fields and random n-out-of-N sampling. One run over all
cases, each case from its own exporter address; error counters must stay
at zero on every one of them."""

import re
import socket
import time
import urllib.request

import pytest

import vendor_cases
import xflow

FRAME_KEYS = ("src_addr", "dst_addr", "etype", "proto", "src_port",
              "dst_port", "src_mac", "dst_mac", "vlan_id", "ip_ttl",
              "ip_tos", "ip_flags", "fragment_id", "fragment_offset",
              "tcp_flags", "ipv6_flow_label", "mpls_label", "mpls_ttl",
              "layer_stack", "layer_size")


def exporter(name: str) -> str:
    return vendor_cases.CASES[name][0]


@pytest.fixture(scope="module")
def run(xdpflowd, tmp_path_factory):
    """(pcap, Result, {exporter: [flows in order]}) of every case."""
    tmp = tmp_path_factory.mktemp("vendor")
    pcap = xflow.write_udp_pcap(tmp / "vendor.pcap",
                                vendor_cases.datagrams())
    r = xflow.run_pcap(pcap, tmp)
    r.assert_clean_exit()
    by = {}
    for f in r.flows():
        by.setdefault(f["sampler_address"], []).append(f)
    return pcap, r, by


# Cases that must count an error (and only that one).
EXPECTED_ERRORS = {"nf9_held_never_resolved": {"error_held_set_expired": 1}}


@pytest.mark.parametrize("name", sorted(vendor_cases.CASES))
def test_no_errors(run, name):
    _, r, _ = run
    st = r.stats.exporter(exporter(name))
    errs = {k: v for k, v in st.items() if k.startswith("error_") and v}
    assert errs == EXPECTED_ERRORS.get(name, {}), "\n".join(r.stats.lines)


def test_ipfix_frame_section(run):
    _, _, by = run
    fl = by[exporter("ipfix_frame_sections")]
    assert len(fl) == 4, fl
    f = fl[0]
    want = {"src_addr": "51.51.51.51", "dst_addr": "52.52.52.52",
            "etype": "IPv4", "proto": "UDP", "src_port": 55501,
            "dst_port": 11777, "src_mac": "b4:02:16:55:92:f4",
            "dst_mac": "00:1b:17:00:01:30", "vlan_id": 231, "ip_ttl": 119,
            "bytes": 118, "packets": 1, "in_if": 5, "out_if": 7,
            "layer_stack": ["Ethernet", "Dot1Q", "IPv4", "UDP"],
            "layer_size": [14, 4, 20, 8]}
    assert {k: f[k] for k in want} == want
    v6 = fl[1]
    assert (v6["src_addr"], v6["dst_addr"], v6["proto"], v6["src_port"],
            v6["dst_port"], v6["tcp_flags"], v6["ip_ttl"]) == \
        (vendor_cases.V6_SRC, vendor_cases.V6_DST, "TCP", 443, 50000, 0x12,
         61)
    assert (v6["bytes"], v6["packets"]) == (14 + 40 + 1400, 1)
    mpls = fl[2]
    assert mpls["mpls_label"] == [100, 200]
    assert mpls["layer_stack"] == ["Ethernet", "MPLS", "IPv4", "UDP"]
    assert (mpls["src_port"], mpls["dst_port"], mpls["bytes"]) == \
        (53, 5353, 14 + 8 + 20 + 8 + 200)
    ip = fl[3]
    assert (ip["src_addr"], ip["dst_port"], ip["bytes"], ip["packets"],
            ip["layer_stack"]) == ("51.51.51.51", 11777, 100, 1,
                                   ["IPv4", "UDP"])


def test_nf9_layer2_section_same_as_sflow(run):
    """v9's 104, IPFIX's 315 and sFlow's raw header give the same fields
    for the same frame."""
    _, _, by = run
    (v9,) = by[exporter("nf9_layer2_section")]
    (sf,) = by[exporter("sflow_same_frame")]
    ipfix = by[exporter("ipfix_frame_sections")][0]
    for k in FRAME_KEYS:
        assert v9[k] == sf[k] == ipfix[k], k
    assert (v9["bytes"], v9["packets"], v9["in_if"]) == (118, 1, 11)


def test_frame_section_tshark(run):
    """tshark dissects dataLinkFrameSection as Ethernet: same MACs, VLAN,
    addresses, TTL and ports as ours."""
    pcap, _, by = run
    root = xflow.tshark_pdml(pcap, {xflow.NETFLOW_PORT: "cflow"})
    got = None
    for pkt in root.iter("packet"):
        src = [f.get("show") for f in pkt.iter("field")
               if f.get("name") == "ip.src"]
        if src and src[0] == exporter("ipfix_frame_sections"):
            sec = [f for f in pkt.iter("field")
                   if f.get("name") == "cflow.data_link_frame_section"]
            assert sec, "tshark shows no dataLinkFrameSection"
            got = {}
            for f in sec[0].iter("field"):
                got.setdefault(f.get("name"), f.get("show"))
            size = [f.get("show") for f in pkt.iter("field")
                    if f.get("name") == "cflow.data_link_frame_size"]
            got["size"] = size[0]
            break
    assert got is not None
    f = by[exporter("ipfix_frame_sections")][0]
    assert got["eth.src"] == f["src_mac"]
    assert got["eth.dst"] == f["dst_mac"]
    assert int(got["vlan.id"]) == f["vlan_id"]
    assert got["ip.src"] == f["src_addr"]
    assert got["ip.dst"] == f["dst_addr"]
    assert int(got["ip.ttl"]) == f["ip_ttl"]
    assert int(got["udp.srcport"]) == f["src_port"]
    assert int(got["udp.dstport"]) == f["dst_port"]
    assert int(got["size"]) == f["bytes"]


def _tshark_values(pcap, src, names) -> dict:
    """{field name: [shows in order]} of the cflow fields in names, in the
    export packets from src."""
    root = xflow.tshark_pdml(pcap, {xflow.NETFLOW_PORT: "cflow"})
    out = {n: [] for n in names}
    for pkt in root.iter("packet"):
        fields = list(pkt.iter("field"))
        if not any(f.get("name") == "ip.src" and f.get("show") == src
                   for f in fields):
            continue
        for f in fields:
            if f.get("name") in out:
                out[f.get("name")].append(f.get("show"))
    return out


def test_counter_rule(run):
    _, _, by = run
    got = [(f["src_addr"], f["bytes"], f["packets"])
           for f in by[exporter("nf9_fortigate_counters")]]
    assert got == [("198.18.10.1", 152, 3), ("198.18.10.3", 32, 1),
                   ("198.18.10.5", 0, 0), ("198.18.10.7", 65, 2)]


def _directed(f):
    return (f["src_addr"], f["dst_addr"], f["src_port"], f["dst_port"],
            f["in_if"], f["out_if"], f["src_mac"], f["dst_mac"], f["src_as"],
            f["dst_as"], f["bytes"], f["packets"])


def test_asa_split(run):
    pcap, r, by = run
    fl = by[exporter("nf9_asa_nsel")]
    assert [_directed(f) for f in fl] == [
        ("198.18.11.1", "198.18.11.2", 40000, 443, 1, 2, "02:00:00:00:00:01",
         "02:00:00:00:00:02", 64500, 64501, 81, 1),
        ("198.18.11.2", "198.18.11.1", 443, 40000, 2, 1, "02:00:00:00:00:02",
         "02:00:00:00:00:01", 64501, 64500, 14000, 10),
        ("198.18.11.1", "198.18.11.2", 40000, 443, 1, 2, "02:00:00:00:00:01",
         "02:00:00:00:00:02", 64500, 64501, 81, 1)]
    assert (fl[1]["src_net"], fl[1]["dst_net"]) == \
        (fl[0]["dst_net"], fl[0]["src_net"])
    for k in ("time_flow_start_ns", "time_flow_end_ns", "sequence_num",
              "sampler_address", "type", "proto"):
        assert fl[1][k] == fl[0][k], k
    st = r.stats.exporter(exporter("nf9_asa_nsel"))
    assert (st["flows"], st["reverse_flows"]) == (3, 1)
    # tshark: initiator counters are the forward flow's, responder the
    # reverse's.
    ts = _tshark_values(pcap, exporter("nf9_asa_nsel"),
                        ("cflow.initiator_octets", "cflow.responder_octets",
                         "cflow.initiator_packets",
                         "cflow.responder_packets"))
    assert [int(v) for v in ts["cflow.initiator_octets"]] == \
        [fl[0]["bytes"], fl[2]["bytes"]]
    assert int(ts["cflow.responder_octets"][0]) == fl[1]["bytes"]
    assert int(ts["cflow.responder_packets"][0]) == fl[1]["packets"]
    assert int(ts["cflow.responder_octets"][1]) == 0


def test_yaf_biflow_split(run):
    pcap, r, by = run
    fwd, rev = by[exporter("ipfix_yaf_biflow")]
    assert _directed(fwd)[:4] == ("198.18.12.1", "198.18.12.2", 50123, 80)
    assert _directed(rev)[:4] == ("198.18.12.2", "198.18.12.1", 80, 50123)
    ts = _tshark_values(pcap, exporter("ipfix_yaf_biflow"),
                        ("cflow.permanent_octets", "cflow.permanent_packets"))
    # tshark shows the forward total, then the reverse one.
    assert [int(v) for v in ts["cflow.permanent_octets"]] == \
        [fwd["bytes"], rev["bytes"]] == [81, 14000]
    assert [int(v) for v in ts["cflow.permanent_packets"]] == \
        [fwd["packets"], rev["packets"]] == [1, 12]
    assert r.stats.exporter(exporter("ipfix_yaf_biflow"))["reverse_flows"] \
        == 1


def test_biflow_forward(xdpflowd, tmp_path):
    """--biflow forward: GoFlow2's behaviour, no reverse flows."""
    names = ["nf9_asa_nsel", "ipfix_yaf_biflow"]
    pcap = xflow.write_udp_pcap(tmp_path / "fwd.pcap",
                                vendor_cases.datagrams(names))
    r = xflow.run_pcap(pcap, tmp_path, extra=["--biflow", "forward"])
    r.assert_clean_exit()
    got = [(f["src_addr"], f["bytes"], f["packets"]) for f in r.flows()]
    assert got == [("198.18.11.1", 81, 1), ("198.18.11.1", 81, 1),
                   ("198.18.12.1", 81, 1)]
    assert r.stats.total("reverse_flows") == 0
    assert r.stats.errors() == 0


# (flows, padding bytes): v9 records here are 33 bytes, so a set of two
# has 2 bytes of alignment padding besides the filler.
PADDING = {"ipfix_aci_filler": (2, 4), "nf9_panos_zero_fill": (2, 2 + 700),
           "nf9_nprobe_filler": (2, 66 + 11 + 3 - 66), "nf5_longer_than_count": (1, 48)}


@pytest.mark.parametrize("name", sorted(PADDING))
def test_padding_counted_not_error(run, name):
    """Filler after the last record or set: padding_bytes, no error, and
    the records before it decoded as tshark decodes them."""
    pcap, r, by = run
    nflows, pad = PADDING[name]
    st = r.stats.exporter(exporter(name))
    assert st["padding_bytes"] == pad, st
    assert r.stats.errors(exporter(name)) == 0
    fl = by[exporter(name)]
    want = [(x.src, x.dst, x.sport, x.dport, x.bytes, x.packets)
            for x in vendor_cases.PAD_RECS[:nflows]]
    assert [(f["src_addr"], f["dst_addr"], f["src_port"], f["dst_port"],
             f["bytes"], f["packets"]) for f in fl] == want
    ts = [t for t in xflow.tshark_cflow(pcap, xflow.NETFLOW_PORT)
          if t["exporter"] == exporter(name)]
    diff = xflow.compare_cflow(ts, [xflow.norm_flow(f) for f in fl])
    assert not diff, diff


def test_h3c_v9_varlen(run):
    pcap, r, by = run
    st = r.stats.exporter(exporter("nf9_h3c_vrfname"))
    assert st["templates"] == 1
    got = [(f["src_addr"], f["dst_addr"], f["bytes"], f["packets"])
           for f in by[exporter("nf9_h3c_vrfname")]]
    assert got == [("198.18.14.1", "198.18.14.2", 500, 5),
                   ("198.18.14.3", "198.18.14.4", 600, 6)]
    ts = [t for t in xflow.tshark_cflow(pcap, xflow.NETFLOW_PORT)
          if t["exporter"] == exporter("nf9_h3c_vrfname")]
    diff = xflow.compare_cflow(ts, [xflow.norm_flow(f) for f in
                                    by[exporter("nf9_h3c_vrfname")]])
    assert not diff, diff


def test_held_set_lost_is_counted(run):
    _, r, by = run
    st = r.stats.exporter(exporter("nf9_held_never_resolved"))
    assert st["sets_held"] == 1 and st["error_held_set_expired"] == 1, st
    assert exporter("nf9_held_never_resolved") not in by


def test_random_sampling(run):
    pcap, _, by = run
    got = [(f["sampler_id"], f["sampling_rate"])
           for f in by[exporter("ipfix_asr9k_random_sampling")]]
    assert got == [(1, 256), (2, 100)]
    # tshark reads the same options record.
    ts = _tshark_values(pcap, exporter("ipfix_asr9k_random_sampling"),
                        ("cflow.selector_algorithm",
                         "cflow.sampling_population",
                         "cflow.sampling_size",
                         "cflow.sampling_probability"))
    assert int(ts["cflow.sampling_population"][0]) // \
        int(ts["cflow.sampling_size"][0]) == 256
    assert round(1 / float(ts["cflow.sampling_probability"][0])) \
        == 100


def test_interface_sampling(run):
    pcap, _, by = run
    got = [(f["in_if"], f["sampling_rate"])
           for f in by[exporter("nf9_interface_sampling")]]
    assert got == [(3, 100), (5, 1000), (7, 0)]
    # tshark reads the same scope interfaces and intervals.
    ts = _tshark_values(pcap, exporter("nf9_interface_sampling"),
                        ("cflow.scope_interface", "cflow.sampling_interval"))
    assert list(zip(map(int, ts["cflow.scope_interface"]),
                    map(int, ts["cflow.sampling_interval"]))) == got[:2]


def test_metrics_count_reverse_flows_and_padding(daemon):
    """A live daemon: /metrics has the reverse flows (ASA) and the padding
    (PAN-OS zero fill) per exporter, and no error family for them."""
    port = xflow.free_udp_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        mport = s.getsockname()[1]
    d = daemon(["-l", f"netflow://127.0.0.1:{port}", "--metrics",
                f"127.0.0.1:{mport}", "--file", "/dev/null"], ports=[port])
    xflow.send_udp(vendor_cases.nf9_asa_nsel() +
                   vendor_cases.nf9_panos_zero_fill(), port)
    url = f"http://127.0.0.1:{mport}/metrics"
    want = {"xdpflow_decode_reverse_flows_total": 1,
            "xdpflow_decode_flows_total": 3 + 2,
            # each case's data set has 2 bytes of alignment (55- and
            # 33-byte records), then PAN-OS's zero fill
            "xdpflow_decode_padding_bytes_total": 2 + 2 + 700}
    got = {}
    deadline = time.monotonic() + 20 * xflow.timeout_scale()
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url, timeout=5) as r:
            text = r.read().decode()
        got = {}
        for line in text.splitlines():
            m = re.match(r'(\w+)\{exporter="127\.0\.0\.1"\} (\d+)$', line)
            if m:
                got[m.group(1)] = int(m.group(2))
        if all(got.get(k) == v for k, v in want.items()):
            break
        time.sleep(0.2)
    d.stop()
    assert {k: got.get(k) for k in want} == want, got
    assert not [k for k in got if k.startswith("xdpflow_decode_error_")]
