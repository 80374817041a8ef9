# SPDX-License-Identifier: Apache-2.0
"""Issue 8's vendor export cases (built in vendor_cases.py) through
`xdpflowd --pcap`: sampled frames inside IPFIX/v9 records decoded like
sFlow's raw headers (and as tshark dissects them), the counter rule and
biflows split into directed flows, padding counted without errors, v9
variable-length fields and random n-out-of-N sampling. One run over all
cases, each case from its own exporter address; error counters must stay
at zero on every one of them."""

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


@pytest.mark.parametrize("name", sorted(vendor_cases.CASES))
def test_no_errors(run, name):
    _, r, _ = run
    assert r.stats.errors(exporter(name)) == 0, "\n".join(r.stats.lines)


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
