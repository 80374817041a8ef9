# SPDX-License-Identifier: Apache-2.0
"""The vendor export cases of issue 8, built from their descriptions: each
case is a list of export datagrams from its own exporter address. Used by
test_vendor.py (one --pcap run over all cases, cross-checked with tshark)
and, run as a script, to write the fuzz_netflow seeds:

    python3 tests/sys/vendor_cases.py tests/fuzz/seeds/fuzz_netflow
"""

from __future__ import annotations

import ipaddress
import struct
import sys
from pathlib import Path

import xflow

MAC_A = bytes.fromhex("b402165592f4")
MAC_B = bytes.fromhex("001b17000130")


def vlan_frame(l3: bytes, vlan: int, src_mac: bytes = MAC_A,
               dst_mac: bytes = MAC_B, etype: int = 0x0800) -> bytes:
    return dst_mac + src_mac + struct.pack("!HHH", 0x8100, vlan, etype) + l3


def issue_frame() -> bytes:
    """The issue's 118-byte frame: Ethernet b4:02:16:55:92:f4 ->
    00:1b:17:00:01:30 / 802.1Q 231 / IPv4 51.51.51.51 -> 52.52.52.52 TTL 119
    / UDP 55501 -> 11777."""
    src, dst = "51.51.51.51", "52.52.52.52"
    l4 = xflow.udp_segment(src, dst, 55501, 11777, bytes(72))
    return vlan_frame(xflow.ip_packet(src, dst, 17, l4, ident=7, ttl=119),
                      231)


V6_SRC, V6_DST = "2001:2::10", "2001:2::20"


def ipv6_tcp_frame() -> bytes:
    l4 = xflow.tcp_segment(V6_SRC, V6_DST, 443, 50000, bytes(1380),
                           flags=0x12)
    return xflow.ether(xflow.ip_packet(V6_SRC, V6_DST, 6, l4, ttl=61), 6)


def mpls_frame() -> bytes:
    """Ethernet / MPLS 100 / MPLS 200 (bottom) / IPv4 / UDP 53 -> 5353."""
    src, dst = "198.18.7.1", "198.18.7.2"
    l4 = xflow.udp_segment(src, dst, 53, 5353, bytes(200))
    ip = xflow.ip_packet(src, dst, 17, l4, ttl=9)
    labels = struct.pack("!II", (100 << 12) | 64, (200 << 12) | 0x100 | 63)
    return MAC_B + MAC_A + struct.pack("!H", 0x8847) + labels + ip


def ipfix_frame_sections() -> list[bytes]:
    """Part 1: dataLinkFrameSection (315) beside dataLinkFrameSize (312),
    interfaces and flowDirection; an IPv6/TCP frame, an MPLS frame and an
    ipHeaderPacketSection (313)."""
    t256 = xflow.template_set_ex(256, ((10, 4), (14, 4), (61, 1), (312, 2),
                                       (315, 0xFFFF)))
    t257 = xflow.template_set_ex(257, ((10, 4), (315, 0xFFFF)))
    t258 = xflow.template_set_ex(258, ((313, 0xFFFF),))
    f1, f2, f3 = issue_frame(), ipv6_tcp_frame()[:128], mpls_frame()[:96]
    ip = issue_frame()[18:]
    d256 = xflow.raw_set(256, struct.pack("!IIBH", 5, 7, 0, len(f1)) +
                         xflow.varlen(f1))
    d257 = xflow.raw_set(257, struct.pack("!I", 3) + xflow.varlen(f2) +
                         struct.pack("!I", 4) + xflow.varlen(f3))
    d258 = xflow.raw_set(258, xflow.varlen(ip[:60]))
    return [xflow.ipfix([t256, t257, t258, d256, d257, d258], seq=1,
                        domain=1)]


def nf9_layer2_section() -> list[bytes]:
    """Part 1, NetFlow v9: layer2packetSectionData (104), 128 bytes."""
    t = xflow.template_set_ex(260, ((10, 2), (14, 2), (104, 128)),
                              ipfix=False)
    f = issue_frame() + bytes(10)
    d = xflow.raw_set(260, struct.pack("!HH", 11, 12) + f)
    return [xflow.nf9([t, d], seq=1, source_id=1)]


def sflow_same_frame() -> list[bytes]:
    """The issue's frame as an sFlow raw header, for the parity check."""
    return [xflow.sflow([xflow.sflow_flow_sample(issue_frame(), rate=1)],
                        agent="198.18.9.1")]


def v4(a: str) -> bytes:
    return ipaddress.IPv4Address(a).packed


def nf9_fortigate_counters() -> list[bytes]:
    """Part 4: FortiOS 5.2's IN_BYTES (1) = 152 then OUT_BYTES (23) = 0; an
    egress record IN 0, OUT 32; a delta of 0 beside a total of 65; a total
    alone."""
    fields = ((8, 4), (12, 4), (1, 4), (2, 4), (23, 4), (24, 4))
    t1 = xflow.template_set_ex(300, fields, ipfix=False)
    t2 = xflow.template_set_ex(301, ((8, 4), (12, 4), (1, 4), (2, 4),
                                     (85, 8), (86, 8)), ipfix=False)
    t3 = xflow.template_set_ex(302, ((8, 4), (12, 4), (85, 8), (86, 8)),
                               ipfix=False)
    d1 = xflow.raw_set(300, v4("198.18.10.1") + v4("198.18.10.2") +
                       struct.pack("!IIII", 152, 3, 0, 0) +
                       v4("198.18.10.3") + v4("198.18.10.4") +
                       struct.pack("!IIII", 0, 0, 32, 1))
    d2 = xflow.raw_set(301, v4("198.18.10.5") + v4("198.18.10.6") +
                       struct.pack("!IIQQ", 0, 0, 65, 2))
    d3 = xflow.raw_set(302, v4("198.18.10.7") + v4("198.18.10.8") +
                       struct.pack("!QQ", 65, 2))
    return [xflow.nf9([t1, t2, t3, d1, d2, d3], seq=1, source_id=1)]


ASA_FIELDS = ((8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (10, 2), (14, 2),
              (56, 6), (80, 6), (16, 4), (17, 4), (9, 1), (13, 1),
              (231, 4), (232, 4), (298, 4), (299, 4))


def nf9_asa_nsel() -> list[bytes]:
    """Part 4: Cisco ASA NSEL, only initiator/responder counters: an 81-byte
    request answered by 14 KB; then a record with no responder counts."""
    t = xflow.template_set_ex(263, ASA_FIELDS, ipfix=False)

    def rec(resp_b, resp_p):
        return v4("198.18.11.1") + v4("198.18.11.2") + \
            struct.pack("!HHBHH", 40000, 443, 6, 1, 2) + \
            bytes.fromhex("020000000001020000000002") + \
            struct.pack("!IIBBIIII", 64500, 64501, 24, 16, 81, resp_b, 1,
                        resp_p)
    d = xflow.raw_set(263, rec(14000, 10) + rec(0, 0))
    return [xflow.nf9([t, d], seq=1, source_id=1)]


def ipfix_yaf_biflow() -> list[bytes]:
    """Part 4: an RFC 5103 biflow as YAF exports it: total counters both
    ways, the reverse ones under PEN 29305, plus reverse delta ones."""
    t = xflow.template_set_ex(264, ((8, 4), (12, 4), (7, 2), (11, 2),
                                    (4, 1), (85, 8), (86, 8),
                                    (85, 8, 29305), (86, 8, 29305)))
    d = xflow.raw_set(264, v4("198.18.12.1") + v4("198.18.12.2") +
                      struct.pack("!HHBQQQQ", 50123, 80, 6, 81, 1, 14000,
                                  12))
    return [xflow.ipfix([t, d], seq=1, domain=1)]


PAD_RECS = [xflow.Rec("198.18.13.1", "198.18.13.2", 1000 + i, 53, 17,
                      100 + i, 1 + i, 1699999999000, 1699999999500)
            for i in range(2)]


def ipfix_aci_filler() -> list[bytes]:
    """Part 5, Cisco ACI: 4 bytes after the last whole record of a data
    set (inside the set length)."""
    t = xflow.template_set(266, xflow.IPFIX_FIELDS, ipfix=True)
    body = b"".join(xflow._record(r, True, 1700000000, 3600000)
                    for r in PAD_RECS) + b"\x00\x00\x00\x01"
    return [xflow.ipfix([t, xflow.raw_set(266, body, pad=False)], seq=1,
                        domain=1)]


def nf9_panos_zero_fill() -> list[bytes]:
    """Part 5, PAN-OS 8.1: one flowset, then the rest of the packet
    zero-filled."""
    t = xflow.template_set(267, xflow.NF9_FIELDS, ipfix=False)
    d = xflow.data_set(267, PAD_RECS, ipfix=False)
    return [xflow.nf9([t, d], seq=1, source_id=1) + bytes(700)]


def nf9_nprobe_filler() -> list[bytes]:
    """Part 5, nProbe/MikroTik: non-zero filler shorter than a record at
    the end of a data set."""
    t = xflow.template_set(268, xflow.NF9_FIELDS, ipfix=False)
    body = b"".join(xflow._record(r, False, 1700000000, 3600000)
                    for r in PAD_RECS) + b"\xaa" * 11
    return [xflow.nf9([t, xflow.raw_set(268, body)], seq=1, source_id=1)]


def nf5_longer_than_count() -> list[bytes]:
    """Part 5: a NetFlow v5 datagram longer than count x 48."""
    return [xflow.nf5(PAD_RECS, count=1)]


def nf9_h3c_vrfname() -> list[bytes]:
    """Part 3, H3C: VRFname (236) with length 65535 in a v9 template, in
    IPFIX's variable-length encoding."""
    t = xflow.template_set_ex(269, ((8, 4), (12, 4), (236, 0xFFFF), (1, 4),
                                    (2, 4)), ipfix=False)
    body = v4("198.18.14.1") + v4("198.18.14.2") + xflow.varlen(b"vpn-a") + \
        struct.pack("!II", 500, 5) + v4("198.18.14.3") + \
        v4("198.18.14.4") + xflow.varlen(b"v" * 300) + \
        struct.pack("!II", 600, 6)
    return [xflow.nf9([t, xflow.raw_set(269, body)], seq=1, source_id=1)]


def nf9_held_never_resolved() -> list[bytes]:
    """Part 3: a data set whose template never comes: held, then lost when
    the capture ends; that must be counted."""
    d = xflow.data_set(270, PAD_RECS, ipfix=False)
    return [xflow.nf9([d], seq=1, source_id=1)]


def ipfix_asr9k_random_sampling() -> list[bytes]:
    """Part 2, Cisco ASR 9000: an options record scoped by selectorId (302)
    with selectorAlgorithm (304) 3, samplingSize (309) 1 and
    samplingPopulation (310) 256; a second selector with
    samplingProbability (311) 0.01; data records carry the selectorId."""
    ot = xflow.template_set_ex(271, ((302, 4), (304, 2), (309, 4),
                                     (310, 4)), scope=1)
    ot2 = xflow.template_set_ex(272, ((302, 4), (311, 8)), scope=1)
    t = xflow.template_set_ex(273, ((8, 4), (12, 4), (1, 4), (2, 4),
                                    (302, 4)))
    od = xflow.raw_set(271, struct.pack("!IHII", 1, 3, 1, 256))
    od2 = xflow.raw_set(272, struct.pack("!Id", 2, 0.01))
    d = xflow.raw_set(273, v4("198.18.15.1") + v4("198.18.15.2") +
                      struct.pack("!III", 1000, 2, 1) + v4("198.18.15.3") +
                      v4("198.18.15.4") + struct.pack("!III", 2000, 3, 2))
    return [xflow.ipfix([ot, ot2, t, od, od2, d], seq=1, domain=1)]


def nf9_interface_sampling() -> list[bytes]:
    """Part 2: per-interface sampling in v9 options, scope type 2
    (interface): 1 in 100 on ifIndex 3, 1 in 1000 on ifIndex 5."""
    ot = xflow.template_set_ex(274, ((2, 4), (34, 4), (35, 1)), ipfix=False,
                               scope=1)
    od = xflow.raw_set(274, struct.pack("!IIBIIB", 3, 100, 2, 5, 1000, 2))
    t = xflow.template_set_ex(275, ((8, 4), (12, 4), (10, 4), (1, 4)),
                              ipfix=False)
    d = xflow.raw_set(275, b"".join(
        v4("198.18.16.1") + v4("198.18.16.2") + struct.pack("!II", ifx, 100)
        for ifx in (3, 5, 7)))
    return [xflow.nf9([ot, od, t, d], seq=1, source_id=1)]


# name -> (exporter address, port, builder)
CASES = {
    "ipfix_frame_sections": ("198.18.8.1", xflow.NETFLOW_PORT,
                             ipfix_frame_sections),
    "nf9_layer2_section": ("198.18.8.2", xflow.NETFLOW_PORT,
                           nf9_layer2_section),
    "sflow_same_frame": ("198.18.9.1", xflow.SFLOW_PORT, sflow_same_frame),
    "nf9_fortigate_counters": ("198.18.8.3", xflow.NETFLOW_PORT,
                               nf9_fortigate_counters),
    "nf9_asa_nsel": ("198.18.8.4", xflow.NETFLOW_PORT, nf9_asa_nsel),
    "ipfix_yaf_biflow": ("198.18.8.5", xflow.NETFLOW_PORT, ipfix_yaf_biflow),
    "ipfix_aci_filler": ("198.18.8.6", xflow.NETFLOW_PORT, ipfix_aci_filler),
    "nf9_panos_zero_fill": ("198.18.8.7", xflow.NETFLOW_PORT,
                            nf9_panos_zero_fill),
    "nf9_nprobe_filler": ("198.18.8.8", xflow.NETFLOW_PORT,
                          nf9_nprobe_filler),
    "nf5_longer_than_count": ("198.18.8.9", xflow.NETFLOW_PORT,
                              nf5_longer_than_count),
    "nf9_h3c_vrfname": ("198.18.8.10", xflow.NETFLOW_PORT, nf9_h3c_vrfname),
    "nf9_held_never_resolved": ("198.18.8.11", xflow.NETFLOW_PORT,
                                nf9_held_never_resolved),
    "ipfix_asr9k_random_sampling": ("198.18.8.12", xflow.NETFLOW_PORT,
                                    ipfix_asr9k_random_sampling),
    "nf9_interface_sampling": ("198.18.8.13", xflow.NETFLOW_PORT,
                               nf9_interface_sampling),
}


def datagrams(names=None) -> list[xflow.Datagram]:
    out = []
    for name, (src, port, build) in CASES.items():
        if names is None or name in names:
            out += [xflow.Datagram(p, port, src=src) for p in build()]
    return out


def write_seeds(d: Path) -> None:
    d.mkdir(parents=True, exist_ok=True)
    for name, (_, port, build) in CASES.items():
        if port != xflow.NETFLOW_PORT:
            continue
        for i, p in enumerate(build()):
            (d / f"vendor-{name}-{i}.bin").write_bytes(p)


if __name__ == "__main__":
    write_seeds(Path(sys.argv[1]))
