# SPDX-License-Identifier: Apache-2.0
"""Exporters' quirks at the edges of the formats (issue 10, fuzz seeds):
NetFlow v9 and IPFIX fields of length 0 and 0xFFFF (IPFIX variable length,
with the 255 + 2-byte form and a length that runs past the set), set
padding, options templates with scope fields only, enterprise fields (the
IPFIX PEN bit), template withdrawal (IPFIX field count 0, one id and all),
a v9 template id reused with another layout; sFlow samples and records of
odd lengths and unknown formats. Each case is a list of datagrams from its
own exporter address and what decoding them must give (flows, and
counters of the exporter's stats line), checked by test_quirks.py. Run as
a script, this file writes the seeds of fuzz_netflow, fuzz_ipfix_tcp (the
IPFIX cases as one TCP stream) and fuzz_sflow:

    python3 tests/sys/quirk_cases.py tests/fuzz/seeds
"""

from __future__ import annotations

import ipaddress
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

import xflow

SRC, DST = "198.18.20.1", "198.19.20.2"
T0 = 1700000000


@dataclass
class Case:
    src: str  # the exporter address
    port: int
    datagrams: list
    flows: int  # flows the case must decode to
    counters: dict = field(default_factory=dict)  # stats counter -> value


def v4(a: str) -> int:
    return int(ipaddress.IPv4Address(a))


def nf9_rec(n: int) -> bytes:
    """A record of xflow.NF9_FIELDS."""
    return struct.pack("!IIBHIHIII", 1000 + n, 1 + n, 17, 1024 + n, v4(SRC),
                       53, v4(DST), 3590000, 3599000)


def ipfix_rec(n: int) -> bytes:
    """A record of xflow.IPFIX_FIELDS."""
    return struct.pack("!QQBHIHIQQ", 1000 + n, 1 + n, 6, 2048 + n, v4(SRC),
                       443, v4(DST), T0 * 1000 - 5000, T0 * 1000 - 1000)


def nf9_len0_field() -> list[bytes]:
    """v9: inputSnmp (10) of length 0 between two fields; it takes no room
    in the record and is ignored (telegraf issue 14370's exporter)."""
    fields = ((8, 4), (10, 0), (12, 4), (1, 4), (2, 4))
    t = xflow.template_set_ex(300, fields, ipfix=False)
    recs = b"".join(struct.pack("!IIII", v4(SRC), v4(DST), 500 + i, 5)
                    for i in range(3))
    return [xflow.nf9([t, xflow.raw_set(300, recs)], seq=1)]


def nf9_len_ffff() -> list[bytes]:
    """v9: a 0xFFFF field length (variable length, as H3C sends VRFname
    236 and GoFlow2 accepts): short form, 255 + 2-byte form, and empty."""
    fields = ((8, 4), (236, 0xFFFF), (12, 4), (1, 4), (2, 4))
    t = xflow.template_set_ex(301, fields, ipfix=False)
    recs = b""
    for i, v in enumerate((b"vrf-red", b"v" * 300, b"")):
        recs += struct.pack("!I", v4(SRC)) + xflow.varlen(v) + \
            struct.pack("!III", v4(DST), 700 + i, 7)
    return [xflow.nf9([t, xflow.raw_set(301, recs)], seq=2)]


def nf9_padding() -> list[bytes]:
    """v9: a template flowset padded with zeros after its template, and a
    data flowset padded past its records by 2 bytes (less than a
    record)."""
    t = xflow.template_set(256, xflow.NF9_FIELDS, ipfix=False)
    t = struct.pack("!HH", 0, len(t) + 4) + t[4:] + b"\0" * 4
    recs = b"".join(nf9_rec(i) for i in range(2))  # 2 x 33 bytes
    d = struct.pack("!HH", 256, 4 + len(recs) + 2) + recs + b"\0\0"
    return [xflow.nf9([t, d], seq=3)]


def nf9_options_scope_only() -> list[bytes]:
    """v9: an options template of one scope field (system, 4 bytes) and no
    option fields, then two of its records."""
    t = xflow.template_set_ex(400, ((1, 4),), ipfix=False, scope=1)
    d = xflow.raw_set(400, struct.pack("!II", 1, 2))
    return [xflow.nf9([t, d], seq=4)]


def nf9_template_reuse() -> list[bytes]:
    """v9: template 256 with one layout, its data, then 256 redefined with
    the fields in another order and other lengths, its data; across two
    datagrams and within one."""
    a = xflow.NF9_FIELDS
    b = ((8, 4), (12, 4), (1, 8), (2, 8), (4, 1), (7, 2), (11, 2))

    def rec_b(i):
        return struct.pack("!IIQQBHH", v4(SRC), v4(DST), 900 + i, 9, 17,
                           4000 + i, 53)
    ta = xflow.template_set(256, a, ipfix=False)
    tb = xflow.template_set(256, b, ipfix=False)
    da = xflow.raw_set(256, nf9_rec(1) + nf9_rec(2))
    db = xflow.raw_set(256, rec_b(1) + rec_b(2) + rec_b(3))
    return [xflow.nf9([ta, da], seq=5), xflow.nf9([tb, db], seq=6),
            xflow.nf9([ta, da, tb, db], seq=7)]


def nf9_template_count0() -> list[bytes]:
    """v9 has no withdrawal: a template of 0 fields (in a flowset of its
    own) is refused and counted; the template before it and the data after
    it still decode."""
    t = xflow.template_set(256, xflow.NF9_FIELDS, ipfix=False)
    bad = xflow.raw_set(0, struct.pack("!HH", 257, 0))
    return [xflow.nf9([t, bad, xflow.raw_set(256, nf9_rec(3))], seq=8)]


def ipfix_len0_field() -> list[bytes]:
    """IPFIX: ingressInterface (10) of length 0 among the fields."""
    fields = ((8, 4), (10, 0), (12, 4), (1, 8), (2, 8))
    t = xflow.template_set_ex(300, fields)
    recs = b"".join(struct.pack("!IIQQ", v4(SRC), v4(DST), 500 + i, 5)
                    for i in range(2))
    return [xflow.ipfix([t, xflow.raw_set(300, recs)], seq=1)]


def ipfix_varlen() -> list[bytes]:
    """IPFIX: variable-length interfaceName (82) and applicationName (96)
    in the short form, the 255 + 2-byte form (300 bytes) and empty."""
    fields = ((8, 4), (82, 0xFFFF), (12, 4), (96, 0xFFFF), (1, 8), (2, 8))
    t = xflow.template_set_ex(301, fields)
    recs = b""
    for i, (a, b) in enumerate(((b"eth0", b"dns"), (b"x" * 300, b""),
                                (b"", b"y" * 255))):
        recs += struct.pack("!I", v4(SRC)) + xflow.varlen(a) + \
            struct.pack("!I", v4(DST)) + xflow.varlen(b) + \
            struct.pack("!QQ", 600 + i, 6)
    return [xflow.ipfix([t, xflow.raw_set(301, recs)], seq=2)]


def ipfix_varlen_past_set() -> list[bytes]:
    """IPFIX: a record whose variable-length field says 0xFFFF bytes (the
    255 + 2-byte form), far past its set: the record is refused, the one
    before it decodes."""
    fields = ((8, 4), (82, 0xFFFF), (1, 8))
    t = xflow.template_set_ex(302, fields)
    good = struct.pack("!I", v4(SRC)) + xflow.varlen(b"ge-0/0/0") + \
        struct.pack("!Q", 100)
    bad = struct.pack("!I", v4(SRC)) + b"\xff\xff\xff" + b"z" * 20
    return [xflow.ipfix([t, xflow.raw_set(302, good + bad, pad=False)],
                        seq=3)]


def ipfix_ffff_on_fixed_ie() -> list[bytes]:
    """IPFIX: 0xFFFF on sourceIPv4Address (an address is 4 bytes): the
    value is skipped as variable length and the address left out, the
    rest of the record decodes."""
    fields = ((8, 0xFFFF), (12, 4), (1, 8), (2, 8))
    t = xflow.template_set_ex(303, fields)
    rec = xflow.varlen(ipaddress.IPv4Address(SRC).packed) + \
        struct.pack("!IQQ", v4(DST), 800, 8)
    return [xflow.ipfix([t, xflow.raw_set(303, rec)], seq=4)]


def ipfix_padding() -> list[bytes]:
    """IPFIX: a template set padded after its template (zeros, less than a
    template header), a data set padded past its records by 3 bytes."""
    t = xflow.template_set(256, xflow.IPFIX_FIELDS, ipfix=True)
    t = struct.pack("!HH", 2, len(t) + 2) + t[4:] + b"\0\0"
    recs = b"".join(ipfix_rec(i) for i in range(2))  # 2 x 53 bytes
    d = struct.pack("!HH", 256, 4 + len(recs) + 3) + recs + b"\0" * 3
    return [xflow.ipfix([t, d], seq=5)]


def ipfix_options_scope_only() -> list[bytes]:
    """IPFIX: an options template whose only fields are its two scope
    fields (observationDomainId 149, meteringProcessId 143), then a
    record."""
    t = xflow.template_set_ex(400, ((149, 4), (143, 4)), scope=2)
    d = xflow.raw_set(400, struct.pack("!II", 7, 1))
    return [xflow.ipfix([t, d], seq=6)]


def ipfix_enterprise() -> list[bytes]:
    """IPFIX: enterprise fields (PEN bit): RFC 5103 reverse octet and
    packet counters (PEN 29305) and two unknown Cisco (PEN 9) fields, one
    fixed and one variable length, among standard ones."""
    fields = ((8, 4), (12, 4), (1, 8), (2, 8), (1, 8, 29305), (2, 4, 29305),
              (12235, 2, 9), (12236, 0xFFFF, 9), (7, 2), (11, 2), (4, 1))
    t = xflow.template_set_ex(304, fields)
    recs = b""
    for i in range(2):
        recs += struct.pack("!IIQQQIH", v4(SRC), v4(DST), 1000 + i, 10,
                            2000 + i, 20, 0x1234) + \
            xflow.varlen(b"cisco-app") + struct.pack("!HHB", 5000 + i, 80, 6)
    return [xflow.ipfix([t, xflow.raw_set(304, recs)], seq=7)]


def ipfix_withdrawal() -> list[bytes]:
    """IPFIX: template 256, its data; 256 withdrawn (field count 0) and
    data for it (held until a template comes: the new one); 256 defined
    again with another layout, its data; then all templates withdrawn (id
    2, count 0) and all options templates (id 3, count 0)."""
    t1 = xflow.template_set(256, xflow.IPFIX_FIELDS, ipfix=True)
    b = ((8, 4), (12, 4), (1, 4), (2, 4))
    t2 = xflow.template_set(256, b, ipfix=True)
    d1 = xflow.raw_set(256, ipfix_rec(1))
    d2 = xflow.raw_set(256, struct.pack("!IIII", v4(SRC), v4(DST), 77, 7))
    wd = struct.pack("!HHHH", 2, 8, 256, 0)
    wd_all = struct.pack("!HHHH", 2, 8, 2, 0)
    wd_opts = struct.pack("!HHHH", 3, 8, 3, 0)
    return [xflow.ipfix([t1, d1], seq=10), xflow.ipfix([wd], seq=11),
            xflow.ipfix([t2, d2], seq=12),
            xflow.ipfix([wd_all, wd_opts], seq=13)]


def sflow_odd_lengths(agent: str) -> list[bytes]:
    """sFlow: a raw header record of 61 bytes (header length not a multiple
    of 4, padded as XDR says), then a sample whose last record declares
    its unpadded length (77), followed by the 3 bytes of XDR padding."""
    frame = xflow.sampled_udp_frame(SRC, DST, 1234, 53, 200)[:61]
    good = xflow.sflow_flow_sample(frame, seq=1)
    hdr = struct.pack("!IIII", 1, 242, 4, len(frame)) + frame  # unpadded
    rec = struct.pack("!II", 1, len(hdr)) + hdr + b"\0" * 3
    body = struct.pack("!IIIIIIII", 2, 1, 100, 200, 0, 1, 2, 1) + rec
    odd = struct.pack("!II", 1, len(body)) + body
    return [xflow.sflow([good, odd], agent=agent, seq=1)]


def sflow_unknown_formats(agent: str) -> list[bytes]:
    """sFlow: a flow sample with an unknown record (enterprise 0 format
    9999, 8 bytes) and a vendor record (enterprise 4413) before its raw
    header; an
    expanded flow sample (format 3); samples of unknown formats
    (enterprise 0 format 77, enterprise 4413 format 1), a counter sample
    and a discard sample (format 5)."""
    frame = xflow.sampled_udp_frame(SRC, DST, 4321, 123, 90)
    raw = struct.pack("!IIII", 1, len(frame) + 4, 4, len(frame)) + \
        xflow._pad4(frame)
    recs = struct.pack("!II", 9999, 8) + b"abcdefgh" + \
        struct.pack("!II", (4413 << 12) | 1, 4) + b"\1\2\3\4" + \
        struct.pack("!II", 1, len(raw)) + raw
    flow = struct.pack("!IIIIIIII", 3, 1, 100, 300, 0, 1, 2, 3) + recs
    s1 = struct.pack("!II", 1, len(flow)) + flow
    exp = struct.pack("!IIIIIIIIIII", 4, 0, 7, 100, 400, 0, 0, 1, 0, 2,
                      1) + struct.pack("!II", 1, len(raw)) + raw
    s3 = struct.pack("!II", 3, len(exp)) + exp
    unk1 = struct.pack("!II", 77, 8) + b"\0" * 8
    unk2 = struct.pack("!II", (4413 << 12) | 1, 4) + b"\0" * 4
    ctr = struct.pack("!II", 2, 12) + struct.pack("!III", 5, 1, 0)
    disc = struct.pack("!II", 5, 16) + b"\0" * 16
    return [xflow.sflow([s1, s3, unk1, unk2, ctr, disc], agent=agent,
                        seq=2)]


NF = xflow.NETFLOW_PORT
CASES = {
    # 3 records; inputSnmp ignored.
    # A field of length 0 is ignored and counted as a template error.
    "nf9_len0_field": Case("198.18.20.1", NF, nf9_len0_field(), 3,
                           {"error_bad_template": 1}),
    "nf9_len_ffff": Case("198.18.20.2", NF, nf9_len_ffff(), 3),
    "nf9_padding": Case("198.18.20.3", NF, nf9_padding(), 2),
    "nf9_options_scope_only": Case("198.18.20.4", NF,
                                   nf9_options_scope_only(), 0,
                                   {"options_templates": 1,
                                    "options_records": 2}),
    # 2 + 3 + (2 + 3)
    "nf9_template_reuse": Case("198.18.20.5", NF, nf9_template_reuse(), 10,
                               {"templates": 4}),
    "nf9_template_count0": Case("198.18.20.6", NF, nf9_template_count0(), 1,
                                {"error_bad_template": 1,
                                 "templates": 1}),
    "ipfix_len0_field": Case("198.18.20.7", NF, ipfix_len0_field(), 2,
                             {"error_bad_template": 1}),
    "ipfix_varlen": Case("198.18.20.8", NF, ipfix_varlen(), 3),
    "ipfix_varlen_past_set": Case("198.18.20.9", NF,
                                  ipfix_varlen_past_set(), 1,
                                  {"error_bad_set": 1}),
    "ipfix_ffff_on_fixed_ie": Case("198.18.20.10", NF,
                                   ipfix_ffff_on_fixed_ie(), 1),
    "ipfix_padding": Case("198.18.20.11", NF, ipfix_padding(), 2,
                          {"templates": 1}),
    "ipfix_options_scope_only": Case("198.18.20.12", NF,
                                     ipfix_options_scope_only(), 0,
                                     {"options_templates": 1,
                                      "options_records": 1}),
    # Reverse counters (PEN 29305) split into a second, reverse flow.
    "ipfix_enterprise": Case("198.18.20.13", NF, ipfix_enterprise(), 4,
                             {"reverse_flows": 2}),
    "ipfix_withdrawal": Case("198.18.20.14", NF, ipfix_withdrawal(), 2,
                             {"templates": 2, "template_withdrawals": 3}),
    "sflow_odd_lengths": Case("198.18.20.15", xflow.SFLOW_PORT,
                              sflow_odd_lengths("198.18.20.15"), 2),
    "sflow_unknown_formats": Case("198.18.20.16", xflow.SFLOW_PORT,
                                  sflow_unknown_formats("198.18.20.16"), 2,
                                  {"sflow_unknown_samples": 2,
                                   "sflow_unknown_records": 2,
                                   "sflow_counter_samples": 1,
                                   "sflow_discard_samples": 1}),
}


def write_seeds(d: Path) -> None:
    """Writes the seeds under d (tests/fuzz/seeds): one file per datagram
    for fuzz_netflow and fuzz_sflow, each IPFIX case's messages as one
    stream for fuzz_ipfix_tcp."""
    for t in ("fuzz_netflow", "fuzz_sflow", "fuzz_ipfix_tcp"):
        (d / t).mkdir(parents=True, exist_ok=True)
    for name, c in CASES.items():
        target = "fuzz_sflow" if c.port == xflow.SFLOW_PORT \
            else "fuzz_netflow"
        for i, p in enumerate(c.datagrams):
            (d / target / f"quirk-{name}-{i}.bin").write_bytes(p)
        if name.startswith("ipfix_"):
            (d / "fuzz_ipfix_tcp" / f"quirk-{name}.bin").write_bytes(
                b"".join(c.datagrams))


if __name__ == "__main__":
    write_seeds(Path(sys.argv[1]))
