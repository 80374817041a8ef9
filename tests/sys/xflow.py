# SPDX-License-Identifier: Apache-2.0
"""Helpers for the xdpflowd system tests.

Locates the binaries of the build under test (env XDPFLOW_BUILD, default
build/), runs xdpflowd offline (--pcap) or live with bounded waits, writes
and reads pcap files with the standard library only, builds NetFlow v5/v9,
IPFIX and sFlow v5 export datagrams, parses the daemon's JSON and protobuf
output and its exit statistics, Telegraf's Influx line protocol and tshark's
PDML decode, and reduces flows to comparable tuples.
"""

from __future__ import annotations

import collections
import ipaddress
import json
import os
import re
import signal
import socket
import struct
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The shared corpus, addressed as ../shared/corpus from the repo root.
CORPUS = REPO / ".." / "shared" / "corpus"

NETFLOW_PORT = 2055
SFLOW_PORT = 6343

# Upper bound for one offline (--pcap) run, ASan build included.
PCAP_TIMEOUT = 60.0


# --------------------------------------------------------------------------
# Binaries
# --------------------------------------------------------------------------

def build_dir() -> Path:
    """The build under test: $XDPFLOW_BUILD (relative to the repo root)."""
    d = Path(os.environ.get("XDPFLOW_BUILD", "build"))
    return d if d.is_absolute() else REPO / d


def binary(name: str = "xdpflowd") -> Path:
    return build_dir() / name


def is_asan_build() -> bool:
    try:
        return b"__asan_init" in binary().read_bytes()
    except OSError:
        return False


# --------------------------------------------------------------------------
# Packets and pcap files
# --------------------------------------------------------------------------

def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_version(addr: str) -> int:
    return ipaddress.ip_address(addr).version


def ip_packet(src: str, dst: str, proto: int, l4: bytes, ident: int = 0,
              ttl: int = 64, tos: int = 0) -> bytes:
    """An IPv4 or IPv6 packet (by the address family) carrying l4 as is."""
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(l4),
                          ident & 0xFFFF, 0x4000, ttl, proto, 0,
                          s.packed, d.packed)
        hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
        return hdr + l4
    hdr = struct.pack("!IHBB16s16s", (6 << 28) | (tos << 20), len(l4), proto,
                      ttl, s.packed, d.packed)
    return hdr + l4


def _pseudo(src: str, dst: str, proto: int, length: int) -> bytes:
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 4:
        return s.packed + d.packed + struct.pack("!BBH", 0, proto, length)
    return s.packed + d.packed + struct.pack("!IxxxB", length, proto)


def udp_segment(src: str, dst: str, sport: int, dport: int,
                payload: bytes) -> bytes:
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = _csum(_pseudo(src, dst, 17, len(seg)) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def tcp_segment(src: str, dst: str, sport: int, dport: int, payload: bytes,
                seq: int = 1, ack: int = 0, flags: int = 0x18) -> bytes:
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                      ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0) + payload
    c = _csum(_pseudo(src, dst, 6, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def icmp_echo(src: str, dst: str, ident: int, seq: int, payload: bytes,
              reply: bool = False) -> tuple[int, bytes]:
    """(protocol number, ICMP or ICMPv6 echo message)."""
    if ip_version(src) == 4:
        msg = struct.pack("!BBHHH", 0 if reply else 8, 0, 0, ident, seq)
        msg += payload
        return 1, msg[:2] + struct.pack("!H", _csum(msg)) + msg[4:]
    msg = struct.pack("!BBHHH", 129 if reply else 128, 0, 0, ident, seq)
    msg += payload
    c = _csum(_pseudo(src, dst, 58, len(msg)) + msg)
    return 58, msg[:2] + struct.pack("!H", c) + msg[4:]


def ether(l3: bytes, version: int, src_mac: bytes = b"\x02\0\0\0\0\x01",
          dst_mac: bytes = b"\x02\0\0\0\0\x02") -> bytes:
    return dst_mac + src_mac + struct.pack(
        "!H", 0x0800 if version == 4 else 0x86DD) + l3


def udp_frame(src: str, dst: str, sport: int, dport: int, payload: bytes,
              ident: int = 0) -> bytes:
    """An Ethernet frame carrying one UDP datagram."""
    l4 = udp_segment(src, dst, sport, dport, payload)
    return ether(ip_packet(src, dst, 17, l4, ident), ip_version(src))


class PcapWriter:
    """Writes a classic pcap (microsecond, Ethernet link type)."""

    def __init__(self, path: os.PathLike, linktype: int = 1):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144,
                                 linktype))

    def write(self, frame: bytes, ts: float) -> None:
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        self.f.write(frame)

    def close(self) -> None:
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@dataclass
class Datagram:
    payload: bytes
    dport: int = NETFLOW_PORT
    src: str = "127.0.0.1"
    dst: str = "127.0.0.1"
    sport: int = 40000


def write_udp_pcap(path: os.PathLike, datagrams, t0: float = 1700000000.0,
                   step: float = 0.001) -> Path:
    """Writes datagrams (Datagram objects) as UDP packets, one per frame."""
    with PcapWriter(path) as w:
        for i, d in enumerate(datagrams):
            w.write(udp_frame(d.src, d.dst, d.sport, d.dport, d.payload, i),
                    t0 + i * step)
    return Path(path)


@dataclass
class UdpPacket:
    ts: float
    src: str
    dst: str
    sport: int
    dport: int
    payload: bytes


def _l3_offset(linktype: int, frame: bytes) -> tuple[int, int] | None:
    """(offset of the IP header, IP version) or None."""
    if linktype == 1:  # Ethernet, with 802.1Q tags
        off = 12
        while off + 2 <= len(frame):
            et = struct.unpack_from("!H", frame, off)[0]
            off += 2
            if et in (0x8100, 0x88A8):
                off += 2
                continue
            return (off, 4) if et == 0x0800 else (off, 6) if et == 0x86DD \
                else None
        return None
    if linktype == 113:  # Linux cooked
        if len(frame) < 16:
            return None
        et = struct.unpack_from("!H", frame, 14)[0]
        return (16, 4) if et == 0x0800 else (16, 6) if et == 0x86DD else None
    if linktype == 276:  # Linux cooked v2
        if len(frame) < 20:
            return None
        et = struct.unpack_from("!H", frame, 0)[0]
        return (20, 4) if et == 0x0800 else (20, 6) if et == 0x86DD else None
    if linktype in (101, 12, 14):  # raw IP
        return (0, frame[0] >> 4) if frame else None
    if linktype == 0:  # BSD null
        return (4, frame[4] >> 4) if len(frame) > 4 else None
    return None


def read_pcap_udp(path: os.PathLike) -> list[UdpPacket]:
    """Every unfragmented UDP datagram of a classic pcap file."""
    data = Path(path).read_bytes()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack_from(e + "I", data, 20)[0]
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack_from(e + "IIII", data, off)
        off += 16
        frame = data[off:off + incl]
        off += incl
        ts = sec + frac / (1e9 if nano else 1e6)
        l3 = _l3_offset(linktype, frame)
        if not l3:
            continue
        o, v = l3
        if v == 4 and len(frame) >= o + 20:
            ihl = (frame[o] & 0xF) * 4
            tot, frag, proto = struct.unpack_from("!H2xHxB", frame, o + 2)
            if proto != 17 or frag & 0x3FFF:
                continue
            src = str(ipaddress.IPv4Address(frame[o + 12:o + 16]))
            dst = str(ipaddress.IPv4Address(frame[o + 16:o + 20]))
            u = o + ihl
            end = min(len(frame), o + tot)
        elif v == 6 and len(frame) >= o + 40:
            plen, nxt = struct.unpack_from("!HB", frame, o + 4)
            if nxt != 17:
                continue
            src = str(ipaddress.IPv6Address(frame[o + 8:o + 24]))
            dst = str(ipaddress.IPv6Address(frame[o + 24:o + 40]))
            u = o + 40
            end = min(len(frame), u + plen)
        else:
            continue
        if u + 8 > end:
            continue
        sport, dport, ulen = struct.unpack_from("!HHH", frame, u)
        pend = min(end, u + ulen) if ulen >= 8 else end
        out.append(UdpPacket(ts, src, dst, sport, dport, frame[u + 8:pend]))
    return out


# --------------------------------------------------------------------------
# Generated traffic (what a router would see), for the real exporters
# --------------------------------------------------------------------------

@dataclass
class TrafficFlow:
    src: str
    dst: str
    proto: int  # 6, 17, 1 or 58
    sport: int
    dport: int
    packets: int
    size: int  # L4 payload bytes per packet
    bytes: int = 0  # IP bytes of the whole flow, filled in by write_traffic


TRAFFIC_FLOWS = (
    TrafficFlow("198.18.0.1", "198.18.1.1", 6, 40001, 443, 40, 200),
    TrafficFlow("198.18.1.1", "198.18.0.1", 6, 443, 40001, 60, 1200),
    TrafficFlow("198.18.0.2", "198.18.1.53", 17, 53001, 53, 25, 60),
    TrafficFlow("198.18.0.3", "198.18.1.9", 1, 0, 0, 12, 56),
    TrafficFlow("198.18.0.4", "198.18.1.80", 6, 40002, 80, 33, 512),
    TrafficFlow("2001:2::1", "2001:2::100", 6, 40003, 443, 30, 900),
    TrafficFlow("2001:2::2", "2001:2::101", 17, 50000, 4789, 45, 100),
    TrafficFlow("2001:2::3", "2001:2::102", 58, 0, 0, 10, 48),
)


def write_traffic(path: os.PathLike, t0: float = 1700000000.0,
                  flows=TRAFFIC_FLOWS) -> list[TrafficFlow]:
    """Writes an Ethernet pcap of the flows' packets, interleaved over about
    3 s, and returns the flows with their IP byte counts."""
    out = [TrafficFlow(**{**f.__dict__, "bytes": 0}) for f in flows]
    pending = [[f, 0] for f in out]
    ts, ident = t0, 0
    with PcapWriter(path) as w:
        while pending:
            for item in list(pending):
                f, i = item
                payload = bytes((i + k) & 0xFF for k in range(f.size))
                if f.proto == 6:
                    l4 = tcp_segment(f.src, f.dst, f.sport, f.dport, payload,
                                     seq=1 + i * f.size,
                                     flags=0x02 if i == 0 else 0x18)
                    proto = 6
                elif f.proto == 17:
                    l4 = udp_segment(f.src, f.dst, f.sport, f.dport, payload)
                    proto = 17
                else:
                    proto, l4 = icmp_echo(f.src, f.dst, 7, i, payload)
                ip = ip_packet(f.src, f.dst, proto, l4, ident)
                ident += 1
                f.bytes += len(ip)
                w.write(ether(ip, ip_version(f.src)), ts)
                ts += 0.01
                item[1] += 1
                if item[1] >= f.packets:
                    pending.remove(item)
    return out


# --------------------------------------------------------------------------
# Export datagrams (what exporters send), for crafted and hostile inputs
# --------------------------------------------------------------------------

@dataclass
class Rec:
    """One IPv4 flow record as the builders below encode it."""
    src: str
    dst: str
    sport: int
    dport: int
    proto: int
    bytes: int
    packets: int
    start_ms: int = 0  # absolute, ms since the epoch
    end_ms: int = 0

    def key(self):
        return (self.src, self.dst, self.sport, self.dport, self.proto,
                self.bytes, self.packets)


def nf5(recs, unix_secs: int = 1700000000, uptime_ms: int = 3600000,
        seq: int = 0, count: int | None = None) -> bytes:
    """A NetFlow v5 datagram; record times are relative to uptime."""
    out = struct.pack("!HHIIIIBBH", 5, len(recs) if count is None else count,
                      uptime_ms, unix_secs, 0, seq, 0, 0, 0)
    for r in recs:
        first = uptime_ms - (unix_secs * 1000 - r.start_ms) if r.start_ms \
            else 0
        last = uptime_ms - (unix_secs * 1000 - r.end_ms) if r.end_ms else 0
        out += struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH",
                           ipaddress.IPv4Address(r.src).packed,
                           ipaddress.IPv4Address(r.dst).packed, b"\0" * 4,
                           1, 2, r.packets, r.bytes, first & 0xFFFFFFFF,
                           last & 0xFFFFFFFF, r.sport, r.dport, 0, 0x18,
                           r.proto, 0, 0, 0, 0, 0, 0)
    return out


# (IE, length) of the v9 template the builders use; IPFIX swaps the uptime
# times for flowStart/EndMilliseconds.
NF9_FIELDS = ((1, 4), (2, 4), (4, 1), (7, 2), (8, 4), (11, 2), (12, 4),
              (22, 4), (21, 4))
IPFIX_FIELDS = ((1, 8), (2, 8), (4, 1), (7, 2), (8, 4), (11, 2), (12, 4),
                (152, 8), (153, 8))


def _pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def template_set(tid: int, fields, ipfix: bool) -> bytes:
    body = struct.pack("!HH", tid, len(fields))
    for ie, ln in fields:
        body += struct.pack("!HH", ie, ln)
    return struct.pack("!HH", 2 if ipfix else 0, 4 + len(body)) + body


def _record(r: Rec, ipfix: bool, unix_secs: int, uptime_ms: int) -> bytes:
    if ipfix:
        return struct.pack("!QQBHIHIQQ", r.bytes, r.packets, r.proto, r.sport,
                           int(ipaddress.IPv4Address(r.src)), r.dport,
                           int(ipaddress.IPv4Address(r.dst)), r.start_ms,
                           r.end_ms)
    first = (uptime_ms - (unix_secs * 1000 - r.start_ms)) & 0xFFFFFFFF
    last = (uptime_ms - (unix_secs * 1000 - r.end_ms)) & 0xFFFFFFFF
    return struct.pack("!IIBHIHIII", r.bytes, r.packets, r.proto, r.sport,
                       int(ipaddress.IPv4Address(r.src)), r.dport,
                       int(ipaddress.IPv4Address(r.dst)), first, last)


def data_set(tid: int, recs, ipfix: bool, unix_secs: int = 1700000000,
             uptime_ms: int = 3600000) -> bytes:
    body = b"".join(_record(r, ipfix, unix_secs, uptime_ms) for r in recs)
    body = _pad4(body)
    return struct.pack("!HH", tid, 4 + len(body)) + body


def nf9(sets, unix_secs: int = 1700000000, uptime_ms: int = 3600000,
        seq: int = 0, source_id: int = 0, count: int | None = None) -> bytes:
    """A NetFlow v9 datagram of the given flowsets (bytes)."""
    n = len(sets) if count is None else count
    return struct.pack("!HHIIII", 9, n, uptime_ms, unix_secs, seq,
                       source_id) + b"".join(sets)


def ipfix(sets, export_time: int = 1700000000, seq: int = 0,
          domain: int = 0, length: int | None = None) -> bytes:
    """An IPFIX message of the given sets (bytes)."""
    body = b"".join(sets)
    ln = 16 + len(body) if length is None else length
    return struct.pack("!HHIII", 10, ln, export_time, seq, domain) + body


def template_set_ex(tid: int, fields, ipfix: bool = True,
                    scope: int | None = None) -> bytes:
    """A template set with any fields: (ie, length) or (ie, length, pen)
    (IPFIX enterprise fields). scope (a count) makes it an options
    template set: IPFIX counts scope fields, v9 takes the first `scope`
    fields as (scope type, length)."""
    def enc(f):
        if len(f) == 3 and f[2]:
            return struct.pack("!HHI", f[0] | 0x8000, f[1], f[2])
        return struct.pack("!HH", f[0], f[1])
    if scope is None:
        body = struct.pack("!HH", tid, len(fields)) + \
            b"".join(enc(f) for f in fields)
        return struct.pack("!HH", 2 if ipfix else 0, 4 + len(body)) + body
    if ipfix:
        body = struct.pack("!HHH", tid, len(fields), scope)
    else:
        body = struct.pack("!HHH", tid, 4 * scope, 4 * (len(fields) - scope))
    body = _pad4(body + b"".join(enc(f) for f in fields))
    return struct.pack("!HH", 3 if ipfix else 1, 4 + len(body)) + body


def raw_set(set_id: int, body: bytes, pad: bool = True) -> bytes:
    """A set of records already encoded (padded to 4 bytes with zeros unless
    pad is False)."""
    if pad:
        body = _pad4(body)
    return struct.pack("!HH", set_id, 4 + len(body)) + body


def varlen(v: bytes) -> bytes:
    """An IPFIX variable-length field value (RFC 7011 7)."""
    if len(v) < 255:
        return bytes([len(v)]) + v
    return b"\xff" + struct.pack("!H", len(v)) + v


def sflow_flow_sample(frame: bytes, rate: int = 100, seq: int = 1,
                      frame_len: int | None = None, in_if: int = 1,
                      out_if: int = 2) -> bytes:
    """An sFlow v5 flow sample (format 1) with one raw header record."""
    hdr = struct.pack("!IIII", 1, len(frame) if frame_len is None
                      else frame_len, 4, len(frame)) + _pad4(frame)
    rec = struct.pack("!II", 1, len(hdr)) + hdr
    body = struct.pack("!IIIIIIII", seq, in_if, rate, rate * seq, 0, in_if,
                       out_if, 1) + rec
    return struct.pack("!II", 1, len(body)) + body


def sflow(samples, agent: str = "198.18.0.1", seq: int = 1,
          count: int | None = None) -> bytes:
    """An sFlow v5 datagram of the given samples (bytes)."""
    a = ipaddress.ip_address(agent)
    n = len(samples) if count is None else count
    return struct.pack("!II", 5, 1 if a.version == 4 else 2) + a.packed + \
        struct.pack("!IIII", 0, seq, 123456, n) + b"".join(samples)


def sampled_udp_frame(src: str, dst: str, sport: int, dport: int,
                      size: int) -> bytes:
    """An Ethernet frame as an sFlow agent samples it (first 128 bytes)."""
    return udp_frame(src, dst, sport, dport, bytes(size))[:128]


# --------------------------------------------------------------------------
# Processes: ports, the daemon, offline runs
# --------------------------------------------------------------------------

def pmacctd_clean_shutdown(logfile) -> bool:
    """True when pmacctd's log shows its plugin shut down cleanly at the end
    of a savefile and only the core's exit lost a race with it: pmacctd
    1.7.7 then exits 1 ("connection lost to '<plugin>'; closing
    connection", "no more plugins active") after the plugin logged
    "Shutting down on user request" (it flushes before that line). Any
    ERROR line, or those lines missing or out of order, is a real failure."""
    try:
        lines = Path(logfile).read_text(errors="replace").splitlines()
    except OSError:
        return False
    if any(" ERROR " in l for l in lines):
        return False
    want = ["Shutting down on user request", "connection lost to",
            "no more plugins active"]
    i = 0
    for l in lines:
        if i < len(want) and want[i] in l:
            i += 1
    return i == len(want)


def free_udp_port(family: int = socket.AF_INET) -> int:
    """A UDP port free on both 127.0.0.1 and ::1 at the time of the call."""
    for _ in range(50):
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1" if family == socket.AF_INET else "::1", 0))
            port = s.getsockname()[1]
        other = socket.AF_INET6 if family == socket.AF_INET else \
            socket.AF_INET
        try:
            with socket.socket(other, socket.SOCK_DGRAM) as s:
                s.bind(("::1" if other == socket.AF_INET6 else "127.0.0.1",
                        port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free UDP port found")


def udp_sockets(port: int) -> list[tuple[int, int]]:
    """(rx_queue, drops) of every UDP socket bound to local port."""
    out = []
    for name in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            f = ln.split()
            if len(f) < 13:
                continue
            if int(f[1].rsplit(":", 1)[1], 16) != port:
                continue
            rxq = int(f[4].split(":")[1], 16)
            out.append((rxq, int(f[12])))
    return out


def port_in_use(port: int) -> bool:
    return bool(udp_sockets(port))


def send_udp(payloads, port: int, dst: str = "127.0.0.1",
             src: str | None = None, pace: float = 0.0) -> None:
    fam = socket.AF_INET6 if ip_version(dst) == 6 else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        if src:
            s.bind((src, 0))
        for p in payloads:
            s.sendto(p, (dst, port))
            if pace:
                time.sleep(pace)


def wait_for(pred, timeout: float, what: str, step: float = 0.05):
    """Polls pred() until true (returns its value) or fails after timeout."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout:.0f}s: {what}")
        time.sleep(step)


def timeout_scale() -> float:
    return 3.0 if is_asan_build() else 1.0


SANITIZER_RE = re.compile(r"AddressSanitizer|LeakSanitizer|"
                          r"UndefinedBehaviorSanitizer|runtime error:")


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str
    out_path: Path | None = None

    @property
    def stats(self) -> "Stats":
        return parse_stats(self.stderr)

    def flows(self) -> list[dict]:
        if self.out_path is not None:
            return read_json_flows(self.out_path)
        return parse_json_lines(self.stdout)

    def describe(self) -> str:
        tail = "\n".join(self.stderr.splitlines()[-30:])
        return f"exit status {self.rc}; stderr (last lines):\n{tail}"

    def assert_clean_exit(self) -> None:
        """Exit status 0 and no sanitizer report."""
        assert not SANITIZER_RE.search(self.stderr), \
            "sanitizer report:\n" + self.stderr[-6000:]
        assert self.rc == 0, self.describe()


def run_xdpflowd(args, timeout: float = PCAP_TIMEOUT, cwd=None) -> Result:
    """Runs xdpflowd to completion with args (bounded); never raises on a
    nonzero exit status, only on a hang (after killing it)."""
    cmd = [str(binary())] + [str(a) for a in args]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout * timeout_scale(),
                           cwd=cwd)
    except subprocess.TimeoutExpired as e:
        err = (e.stderr or b"").decode("utf-8", "replace")[-3000:]
        raise AssertionError(f"xdpflowd {' '.join(map(str, args))} did not "
                             f"finish within {timeout * timeout_scale():.0f}s"
                             f"\n{err}") from None
    return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                  p.stderr.decode("utf-8", "replace"))


def run_pcap(pcap: os.PathLike, tmp: Path, fmt: str = "json",
             extra=()) -> Result:
    """xdpflowd --pcap FILE --format FMT --file OUT; returns the result with
    out_path set (read it with .flows() for JSON)."""
    out = Path(tmp) / f"out-{Path(pcap).stem}.{fmt}"
    if out.exists():
        out.unlink()
    r = run_xdpflowd(["--pcap", pcap, "--format", fmt, "--file", out,
                      *extra])
    r.out_path = out
    return r


def stop_daemons(daemons) -> None:
    """A fixture's cleanup: stops every daemon still running (10 s each at
    most, a failed stop ignored) and kills whatever is left."""
    for d in daemons:
        if d.alive():
            try:
                d.stop(timeout=10)
            except AssertionError:
                pass
        d.kill()


class Daemon:
    """A live xdpflowd. Always stop() it (conftest's factory does)."""

    def __init__(self, args, workdir: Path, name: str = "xdpflowd"):
        self.args = [str(a) for a in args]
        self.workdir = Path(workdir)
        self.stdout_path = self.workdir / f"{name}.stdout"
        self.stderr_path = self.workdir / f"{name}.stderr"
        self.proc: subprocess.Popen | None = None
        self.result: Result | None = None

    def start(self) -> "Daemon":
        with open(self.stdout_path, "wb") as o, \
                open(self.stderr_path, "wb") as e:
            self.proc = subprocess.Popen([str(binary())] + self.args,
                                         stdin=subprocess.DEVNULL, stdout=o,
                                         stderr=e, start_new_session=True)
        return self

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text("utf-8", "replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_listening(self, ports, timeout: float = 10.0) -> None:
        """Waits until a UDP socket is bound to every port."""
        def ready():
            if not self.alive():
                raise AssertionError(
                    f"xdpflowd {' '.join(self.args)} exited early with "
                    f"status {self.proc.returncode}:\n{self.stderr()[-3000:]}")
            return all(port_in_use(p) for p in ports)
        wait_for(ready, timeout * timeout_scale(),
                 f"xdpflowd listening on UDP ports {list(ports)}")

    def wait_drained(self, ports, timeout: float = 10.0) -> None:
        """Waits until the daemon has read every queued datagram."""
        def drained():
            socks = [s for p in ports for s in udp_sockets(p)]
            return bool(socks) and all(q == 0 for q, _ in socks)
        wait_for(drained, timeout * timeout_scale(),
                 f"xdpflowd reading its sockets on {list(ports)}")
        time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> Result:
        """Signals the daemon and waits for it; kills it after timeout."""
        if self.result is not None:
            return self.result
        assert self.proc is not None
        hung = False
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout * timeout_scale())
            except subprocess.TimeoutExpired:
                hung = True
                self.kill()
        self.result = Result(self.proc.returncode,
                             self.stdout_path.read_text("utf-8", "replace"),
                             self.stderr())
        if hung:
            raise AssertionError(f"xdpflowd did not exit within "
                                 f"{timeout * timeout_scale():.0f}s of signal "
                                 f"{sig}; killed")
        return self.result

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass


class Capture:
    """dumpcap on loopback writing a classic pcap; stop() it (bounded)."""

    def __init__(self, path: Path, bpf: str):
        self.path = Path(path)
        self.err_path = self.path.with_suffix(".dumpcap.err")
        self.bpf = bpf
        self.proc = None

    def start(self, timeout: float = 15.0) -> "Capture":
        with open(self.err_path, "wb") as e:
            self.proc = subprocess.Popen(
                ["dumpcap", "-q", "-P", "-i", "lo", "-f", self.bpf, "-w",
                 str(self.path)], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=e, start_new_session=True)

        def started():
            if self.proc.poll() is not None:
                raise AssertionError("dumpcap failed: " +
                                     self.err_path.read_text())
            return "Capturing on" in self.err_path.read_text()
        wait_for(started, timeout, "dumpcap to start capturing")
        time.sleep(0.2)
        return self

    def stop(self, timeout: float = 10.0) -> Path:
        if self.proc is not None and self.proc.poll() is None:
            time.sleep(0.3)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        return self.path


# --------------------------------------------------------------------------
# Daemon output: statistics lines, JSON and protobuf flows
# --------------------------------------------------------------------------

@dataclass
class Stats:
    exporters: dict = field(default_factory=dict)  # addr -> Counter
    rx: collections.Counter = field(default_factory=collections.Counter)
    publish: collections.Counter = field(default_factory=collections.Counter)
    lines: list = field(default_factory=list)

    def exporter(self, addr: str) -> collections.Counter:
        return self.exporters.get(norm_addr(addr), collections.Counter())

    def errors(self, addr: str | None = None) -> int:
        """Sum of the error_* counters of one exporter (or of all)."""
        tables = [self.exporter(addr)] if addr else self.exporters.values()
        return sum(v for t in tables for k, v in t.items()
                   if k.startswith("error_"))

    def total(self, counter: str) -> int:
        return sum(t[counter] for t in self.exporters.values())


_STATS_RE = re.compile(r"\bstats\s+(?:exporter=(\S+)|(rx|publish)\b)(.*)$")
_KV_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(\d+)")


def parse_stats(stderr: str) -> Stats:
    """Parses the daemon's `xdpflow: info: stats ...` lines (the last value
    of a counter wins, so periodic dumps before the exit dump are fine)."""
    st = Stats()
    for line in stderr.splitlines():
        if "xdpflow" not in line:
            continue
        m = _STATS_RE.search(line)
        if not m:
            continue
        st.lines.append(line)
        kv = collections.Counter({k: int(v) for k, v in
                                  _KV_RE.findall(m.group(3))})
        if m.group(1):
            addr = m.group(1)
            try:
                addr = norm_addr(addr)
            except ValueError:
                pass
            st.exporters[addr] = kv
        elif m.group(2) == "rx":
            st.rx = kv
        else:
            st.publish = kv
    return st


def parse_json_lines(text: str) -> list[dict]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise AssertionError(f"output line {n} is not JSON ({e}): "
                                 f"{line[:300]!r}") from None
        assert isinstance(obj, dict), f"output line {n} is not an object"
        out.append(obj)
    return out


def read_json_flows(path: os.PathLike) -> list[dict]:
    p = Path(path)
    return parse_json_lines(p.read_text("utf-8", "replace")) \
        if p.exists() else []


def read_varint(buf: bytes, off: int) -> tuple[int, int]:
    v = shift = 0
    while True:
        if off >= len(buf) or shift > 63:
            raise ValueError("truncated or overlong varint")
        b = buf[off]
        off += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, off


def split_delimited(buf: bytes) -> list[bytes]:
    """Splits varint length-delimited messages; fails on a torn tail."""
    out, off = [], 0
    while off < len(buf):
        n, off = read_varint(buf, off)
        assert off + n <= len(buf), "length-delimited stream ends mid-message"
        out.append(buf[off:off + n])
        off += n
    return out


_PB_MODULE = None


def pb_module(tmpdir: Path):
    """flow_pb2 generated from proto/flow.proto by protoc into tmpdir."""
    global _PB_MODULE  # a cache of a generated module, not program state
    if _PB_MODULE is None:
        import importlib.util
        tmpdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["protoc", f"--python_out={tmpdir}", "-I",
                        str(REPO / "proto"), str(REPO / "proto/flow.proto")],
                       check=True, timeout=60)
        spec = importlib.util.spec_from_file_location(
            "flow_pb2", tmpdir / "flow_pb2.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _PB_MODULE = mod
    return _PB_MODULE


ADDR_FIELDS = ("src_addr", "dst_addr", "sampler_address", "next_hop",
               "bgp_next_hop")

# Enrichment fields (proto/flow.proto, 1010 and up). Absent ones are left
# out of decoded flows, as the JSON encoder leaves them out of its lines.
ENRICH_STRING_FIELDS = tuple(
    f"{side}_{attr}" for attr in ("country", "as_name", "net_name",
                                  "net_role", "net_site", "net_region",
                                  "net_tenant")
    for side in ("src", "dst")) + (
    "in_if_name", "out_if_name", "in_if_description", "out_if_description",
    "exporter_name", "exporter_group", "exporter_role", "exporter_site",
    "exporter_region", "exporter_tenant")
ENRICH_UINT_FIELDS = ("in_if_speed", "out_if_speed")
ENRICH_FIELDS = ENRICH_STRING_FIELDS + ENRICH_UINT_FIELDS


def pb_to_dict(msg) -> dict:
    """A FlowMessage as a dict keyed like GoFlow2's JSON (addresses as
    text, type as its enum name); enrichment fields only when present."""
    d = {}
    for f in msg.DESCRIPTOR.fields:
        v = getattr(msg, f.name)
        if f.name in ENRICH_FIELDS and not v:
            continue
        if f.label == f.LABEL_REPEATED:
            v = list(v)
            if f.type == f.TYPE_BYTES:
                v = [addr_from_bytes(x) for x in v]
            elif f.enum_type is not None:
                v = [f.enum_type.values_by_number[x].name
                     if x in f.enum_type.values_by_number else x for x in v]
        elif f.type == f.TYPE_BYTES:
            v = addr_from_bytes(v)
        elif f.enum_type is not None:
            v = f.enum_type.values_by_number[v].name \
                if v in f.enum_type.values_by_number else v
        d[f.name] = v
    return d


def read_pb_flows(path: os.PathLike, tmpdir: Path) -> list[dict]:
    mod = pb_module(tmpdir)
    out = []
    for raw in split_delimited(Path(path).read_bytes()):
        m = mod.FlowMessage()
        m.ParseFromString(raw)
        out.append(pb_to_dict(m))
    return out


# --------------------------------------------------------------------------
# Normalising flows from every source to comparable values
# --------------------------------------------------------------------------

def addr_from_bytes(b: bytes) -> str:
    if len(b) in (4, 16):
        return str(ipaddress.ip_address(b))
    return "" if not b else b.hex()


def norm_addr(v) -> str:
    """Canonical text of an address; '' when absent."""
    if v is None or v == "" or v == b"":
        return ""
    if isinstance(v, (bytes, bytearray)):
        return addr_from_bytes(bytes(v))
    s = str(v).strip()
    try:
        a = ipaddress.ip_address(s)
    except ValueError:
        import base64  # protojson renders bytes as base64
        try:
            raw = base64.b64decode(s, validate=True)
        except Exception:
            raise ValueError(f"not an address: {v!r}") from None
        if len(raw) not in (4, 16):
            raise ValueError(f"not an address: {v!r}") from None
        a = ipaddress.ip_address(raw)
    if a.version == 6 and a.ipv4_mapped and ":" not in s:
        a = a.ipv4_mapped
    return str(a)


# IANA protocol-number keywords by number (0-143), with the names JSON
# renderers use for the registry's unnamed entries and common variants.
_IANA_PROTOCOLS = (
    "HOPOPT ICMP IGMP GGP IPv4 ST TCP CBT EGP IGP BBN-RCC-MON NVP-II PUP "
    "ARGUS EMCON XNET CHAOS UDP MUX DCN-MEAS HMP PRM XNS-IDP TRUNK-1 "
    "TRUNK-2 LEAF-1 LEAF-2 RDP IRTP ISO-TP4 NETBLT MFE-NSP MERIT-INP DCCP "
    "3PC IDPR XTP DDP IDPR-CMTP TP++ IL IPv6 SDRP IPv6-Route IPv6-Frag IDRP "
    "RSVP GRE DSR BNA ESP AH I-NLSP SWIPE NARP Min-IPv4 TLSP SKIP IPv6-ICMP "
    "IPv6-NoNxt IPv6-Opts any-host-internal-protocol CFTP any-local-network "
    "SAT-EXPAK KRYPTOLAN RVD IPPC any-distributed-file-system SAT-MON VISA "
    "IPCV CPNX CPHB WSN PVP BR-SAT-MON SUN-ND WB-MON WB-EXPAK ISO-IP VMTP "
    "SECURE-VMTP VINES IPTM NSFNET-IGP DGP TCF EIGRP OSPFIGP Sprite-RPC LARP "
    "MTP AX.25 IPIP MICP SCC-SP ETHERIP ENCAP any-private-encryption-scheme "
    "GMTP IFMP PNNI PIM ARIS SCPS QNX A/N IPComp SNP Compaq-Peer IPX-in-IP "
    "VRRP PGM any-0-hop-protocol L2TP DDX IATP STP SRP UTI SMP SM PTP "
    "ISIS-over-IPv4 FIRE CRTP CRUDP SSCOPMCE IPLT SPS PIPE SCTP FC "
    "RSVP-E2E-IGNORE Mobility-Header UDPLite MPLS-in-IP manet HIP Shim6 "
    "WESP ROHC Ethernet").split()
_PROTO_ALIASES = {"MOBILE": 55, "TTP": 84, "IPCU": 71, "OSPF": 89,
                  "ICMPV6": 58, "IPENCAP": 4, "IP": 0, "AX25": 93}


def _proto_key(name: str) -> str:
    return re.sub(r"[^a-z0-9+]", "", name.lower())


def _load_protocols() -> dict:
    names = {}
    try:
        for line in Path("/etc/protocols").read_text().splitlines():
            f = line.split("#", 1)[0].split()
            if len(f) >= 2 and f[1].isdigit():
                for n in [f[0]] + f[2:]:
                    names[_proto_key(n)] = int(f[1])
    except OSError:
        pass
    for k, v in _PROTO_ALIASES.items():
        names[_proto_key(k)] = v
    for num, n in enumerate(_IANA_PROTOCOLS):
        names[_proto_key(n)] = num
    return names


PROTO_NUMBERS = _load_protocols()
ETYPE_NUMBERS = {"IPV4": 0x800, "IPV6": 0x86DD, "ARP": 0x806}


def proto_number(v) -> int:
    if v is None or v == "":
        return 0
    if isinstance(v, int):
        return v
    s = str(v).strip()
    if s.isdigit():
        return int(s)
    n = PROTO_NUMBERS.get(_proto_key(s))
    # A name we cannot map stays as is, so comparisons show it.
    return s if n is None else n


def etype_number(v) -> int:
    if v is None or v == "":
        return 0
    if isinstance(v, int):
        return v
    s = str(v).strip()
    if s.isdigit():
        return int(s)
    if s.lower().startswith("0x"):
        return int(s, 16)
    return ETYPE_NUMBERS[s.upper()]


def mac_number(v) -> int:
    if v is None or v == "":
        return 0
    if isinstance(v, int):
        return v
    s = str(v)
    if s.isdigit():
        return int(s)
    return int(s.replace(":", "").replace("-", ""), 16)


FLOW_TYPES = {0: "FLOWUNKNOWN", 1: "SFLOW_5", 2: "NETFLOW_V5",
              3: "NETFLOW_V9", 4: "IPFIX"}


def norm_flow(d: dict) -> dict:
    """A JSON or pb flow with canonical values: ints for numbers (GoFlow2
    renders proto/etype as names, protojson uint64 as strings), text for
    addresses, the type's enum name. Missing scalars read as zero."""
    out = {}
    for k, v in d.items():
        if k in ADDR_FIELDS:
            out[k] = norm_addr(v)
        elif k == "type":
            out[k] = FLOW_TYPES.get(v, v) if isinstance(v, int) else str(v)
        elif k == "proto":
            out[k] = proto_number(v)
        elif k == "etype":
            out[k] = etype_number(v)
        elif k in ("src_mac", "dst_mac"):
            out[k] = mac_number(v)
        elif k in ("src_net", "dst_net") and isinstance(v, str) and "/" in v:
            out[k] = int(v.rsplit("/", 1)[1])  # GoFlow2 renders ADDR/LEN
        elif k in ENRICH_STRING_FIELDS:
            out[k] = v  # text, even when it looks like a number
        elif isinstance(v, str) and v.isdigit():
            out[k] = int(v)
        elif isinstance(v, list):
            out[k] = [norm_addr(x) if k == "mpls_ip" else
                      (int(x) if isinstance(x, str) and x.isdigit() else x)
                      for x in v]
        else:
            out[k] = v
    for k in ("src_port", "dst_port", "proto", "bytes", "packets",
              "sampling_rate", "time_flow_start_ns", "time_flow_end_ns",
              "time_received_ns"):
        out.setdefault(k, 0)
    for k in ("src_addr", "dst_addr", "sampler_address"):
        out.setdefault(k, "")
    out.setdefault("type", "FLOWUNKNOWN")
    return out


def flow_key(f: dict) -> tuple:
    """(src, dst, sport, dport, proto, bytes, packets) of a normalised flow."""
    return (f["src_addr"], f["dst_addr"], int(f["src_port"]),
            int(f["dst_port"]), f["proto"], int(f["bytes"]),
            int(f["packets"]))


def multiset_diff(expected, got) -> str:
    """'' when the two iterables are equal as multisets, else a report."""
    e, g = collections.Counter(expected), collections.Counter(got)
    if e == g:
        return ""
    missing, extra = e - g, g - e
    lines = [f"expected {sum(e.values())} items, got {sum(g.values())}"]
    for k, n in sorted(missing.items(), key=str)[:20]:
        lines.append(f"  missing x{n}: {k}")
    for k, n in sorted(extra.items(), key=str)[:20]:
        lines.append(f"  unexpected x{n}: {k}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Influx line protocol (Telegraf's expected.out)
# --------------------------------------------------------------------------

def _split_unescaped(s: str, sep: str, quotes: bool = False) -> list[str]:
    out, cur, i, inq = [], [], 0, False
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur.append(s[i:i + 2])
            i += 2
            continue
        if quotes and c == '"':
            inq = not inq
        if c == sep and not inq:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def parse_influx(line: str):
    """(measurement, tags, fields, timestamp or None) of one line."""
    parts = _split_unescaped(line.strip(), " ", quotes=True)
    parts = [p for p in parts if p != ""]
    if len(parts) < 2:
        raise ValueError(f"not a line-protocol line: {line!r}")
    head = _split_unescaped(parts[0], ",")
    meas = _unescape(head[0])
    tags = {}
    for t in head[1:]:
        k, _, v = t.partition("=")
        tags[_unescape(k)] = _unescape(v)
    fields = {}
    for fv in _split_unescaped(parts[1], ",", quotes=True):
        k, _, v = fv.partition("=")
        k = _unescape(k)
        if v.startswith('"') and v.endswith('"') and len(v) >= 2:
            fields[k] = re.sub(r'\\(["\\])', r"\1", v[1:-1])
        elif re.fullmatch(r"-?\d+[iu]", v):
            fields[k] = int(v[:-1])
        elif v in ("t", "T", "true", "True", "TRUE"):
            fields[k] = True
        elif v in ("f", "F", "false", "False", "FALSE"):
            fields[k] = False
        else:
            fields[k] = float(v)
    ts = int(parts[2]) if len(parts) > 2 else None
    return meas, tags, fields, ts


TELEGRAF_TYPES = {"NetFlowV5": "NETFLOW_V5", "NetFlowV9": "NETFLOW_V9",
                  "IPFIX": "IPFIX", "sFlowV5": "SFLOW_5"}


@dataclass
class ExpectedFlow:
    type: str
    sampler: str
    key: tuple


def _telegraf_reverse(f: dict, packets: bool) -> int:
    """The reverse count of a Telegraf record (RFC 5103 elements, shown
    as type_29305_<ie> hex strings) by xdpflowd's counter rule: delta,
    else post delta, else total when no delta is there."""
    ies = (2, 24, 86) if packets else (1, 23, 85)
    v = [int(f[f"type_29305_{ie}"], 16) if f"type_29305_{ie}" in f else None
         for ie in ies]
    if v[0]:
        return v[0]
    if v[1]:
        return v[1]
    if v[0] is None and v[1] is None and v[2]:
        return v[2]
    return 0


def telegraf_expected(path: os.PathLike, biflow: str = "split") \
        -> tuple[list[ExpectedFlow], int]:
    """The flow records of a Telegraf expected.out, and how many other
    (non-flow) lines it holds. With biflow "split" (xdpflowd's default), a
    record with RFC 5103 reverse counters is followed by its reverse flow,
    which Telegraf does not emit."""
    flows, other = [], 0
    for line in Path(path).read_text().splitlines():
        if not line.strip():
            continue
        meas, tags, f, _ = parse_influx(line)
        if meas != "netflow" or "src" not in f or "dst" not in f:
            other += 1
            continue
        typ = TELEGRAF_TYPES[tags["version"]]
        if typ == "SFLOW_5":
            nbytes, npkts = f["l2_bytes"], 1  # GoFlow2: one packet a sample
            sampler = f["agent_ip"]
        else:
            nbytes = f.get("in_bytes", f.get("in_total_bytes"))
            npkts = f.get("in_packets", f.get("in_total_packets"))
            sampler = tags["source"]
        key = (norm_addr(f["src"]), norm_addr(f["dst"]),
               int(f.get("src_port", 0)), int(f.get("dst_port", 0)),
               proto_number(f.get("protocol", 0)), int(nbytes), int(npkts))
        flows.append(ExpectedFlow(typ, norm_addr(sampler), key))
        if biflow == "split" and typ != "SFLOW_5":
            rb, rp = _telegraf_reverse(f, False), _telegraf_reverse(f, True)
            if rb or rp:
                flows.append(ExpectedFlow(typ, norm_addr(sampler),
                                          (key[1], key[0], key[3], key[2],
                                           key[4], rb, rp)))
    return flows, other


# --------------------------------------------------------------------------
# tshark's decode (PDML) of export packets
# --------------------------------------------------------------------------

def tshark_pdml(pcap: os.PathLike, decode_as: dict, timeout: float = 120):
    """The PDML tree of tshark -r pcap with `-d udp.port==P,PROTO`."""
    cmd = ["tshark", "-n", "-r", str(pcap), "-T", "pdml"]
    for port, proto in decode_as.items():
        cmd += ["-d", f"udp.port=={port},{proto}"]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    assert p.returncode == 0, f"tshark failed: {p.stderr.decode()[-2000:]}"
    return ET.fromstring(p.stdout)


_MONTHS = {m: i for i, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
_DATE_RE = re.compile(r"(\w{3})\s+(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)"
                      r"(?:\.(\d{1,9}))?")


def tshark_date_ns(show: str) -> int:
    """ns since the epoch of a tshark absolute time ('Nov 14, 2023
    22:13:20.030000000 UTC')."""
    import calendar
    m = _DATE_RE.search(show)
    if not m:
        raise ValueError(f"not a tshark date: {show!r}")
    mon, day, year, hh, mm, ss, frac = m.groups()
    secs = calendar.timegm((int(year), _MONTHS[mon], int(day), int(hh),
                            int(mm), int(ss), 0, 0, 0))
    return secs * 10**9 + int((frac or "0").ljust(9, "0"))


def seconds_ns(show: str) -> int:
    """ns of a tshark relative time ('2.539000000' seconds)."""
    m = re.match(r"\s*(\d+)(?:\.(\d{1,9}))?", show)
    if not m:
        raise ValueError(f"not a duration: {show!r}")
    return int(m.group(1)) * 10**9 + int((m.group(2) or "0").ljust(9, "0"))


def _first(elem, names, forward_only: bool = True):
    """The first field under elem whose name is one of names (forward
    fields only: tshark marks RFC 5103 reverse ones '(Reverse ...')."""
    for f in elem.iter("field"):
        if f.get("name") in names:
            if forward_only and "(Reverse" in (f.get("showname") or ""):
                continue
            return f
    return None


def _show(elem, names, default=None):
    f = _first(elem, names)
    return default if f is None else f.get("show")


_REC_RE = re.compile(r"^(Flow \d+|pdu \d+/\d+)$")
BYTES_FIELDS = ("cflow.octets", "cflow.octets64", "cflow.permanent_octets",
                "cflow.permanent_octets64", "cflow.total_octets")
PACKETS_FIELDS = ("cflow.packets", "cflow.packets64",
                  "cflow.permanent_packets", "cflow.permanent_packets64",
                  "cflow.total_packets")


def tshark_cflow(pcap: os.PathLike, port: int) -> list[dict]:
    """Every flow record (with addresses) tshark decodes from NetFlow/IPFIX
    export packets to port: src, dst, sport, dport, proto, bytes, packets,
    version, exporter, and start_ns/end_ns where tshark gives enough to
    place them in time (None otherwise)."""
    root = tshark_pdml(pcap, {port: "cflow"})
    sys_init = None
    for f in root.iter("field"):
        if f.get("name") == "cflow.sys_init_time":
            sys_init = tshark_date_ns(f.get("show"))
    out = []
    for pkt in root.iter("packet"):
        ipsrc = None
        for proto in pkt.findall("proto"):
            if proto.get("name") in ("ip", "ipv6"):
                ipsrc = _show(proto, ("ip.src", "ipv6.src"))
            if proto.get("name") != "cflow":
                continue
            version = int(_show(proto, ("cflow.version",)))
            uptime = _show(proto, ("cflow.sysuptime",))
            uptime_ns = seconds_ns(uptime) if uptime is not None else None
            secs = _show(proto, ("cflow.unix_secs", "cflow.exporttime"))
            nsecs = _show(proto, ("cflow.unix_nsecs",), "0")
            base_ns = int(secs) * 10**9 + (int(nsecs) if version == 5 else 0) \
                if secs is not None else None
            for rec in proto.iter("field"):
                if rec.get("name") != "" or not _REC_RE.match(
                        rec.get("show") or ""):
                    continue
                src = _show(rec, ("cflow.srcaddr", "cflow.srcaddrv6"))
                dst = _show(rec, ("cflow.dstaddr", "cflow.dstaddrv6"))
                if src is None and dst is None:
                    continue  # options data
                r = {"version": version, "exporter": norm_addr(ipsrc),
                     "src": norm_addr(src), "dst": norm_addr(dst),
                     "sport": int(_show(rec, ("cflow.srcport",), "0")),
                     "dport": int(_show(rec, ("cflow.dstport",), "0")),
                     "proto": int(_show(rec, ("cflow.protocol",), "0")),
                     "bytes": int(_show(rec, BYTES_FIELDS, "0")),
                     "packets": int(_show(rec, PACKETS_FIELDS, "0")),
                     "rev_bytes": _reverse_count(rec, BYTES_FIELDS,
                                                 "cflow.responder_octets"),
                     "rev_packets": _reverse_count(
                         rec, PACKETS_FIELDS, "cflow.responder_packets")}
                for which in ("start", "end"):
                    r[which + "_ns"] = _cflow_time(
                        rec, which, version, uptime_ns, base_ns, sys_init)
                out.append(r)
    return out


def _reverse_count(rec, names, responder: str) -> int:
    """A record's reverse-direction count as tshark shows it: RFC 5103
    reverse elements ('(Reverse ...'), else ASA's responder count."""
    for f in rec.iter("field"):
        if f.get("name") in names and "(Reverse" in (f.get("showname") or ""):
            if int(f.get("show")):
                return int(f.get("show"))
    return int(_show(rec, (responder,), "0"))


def biflow_split(recs) -> list[dict]:
    """tshark's records as `--biflow split` (the default) emits them: each
    record whose reverse counters are not zero is followed by its reverse
    flow (dst -> src, same times, the reverse counters)."""
    out = []
    for r in recs:
        out.append(r)
        if r.get("rev_bytes") or r.get("rev_packets"):
            out.append(dict(r, src=r["dst"], dst=r["src"], sport=r["dport"],
                            dport=r["sport"], bytes=r["rev_bytes"],
                            packets=r["rev_packets"], rev_bytes=0,
                            rev_packets=0))
    return out


def _cflow_time(rec, which, version, uptime_ns, base_ns, sys_init):
    rel = _first(rec, (f"cflow.time{which}",))
    ab = _first(rec, (f"cflow.abstime{which}",))
    if rel is not None:
        rel_ns = seconds_ns(rel.get("show"))
        if version in (5, 9) and uptime_ns is not None and base_ns is not None:
            # Uptimes are 32-bit ms counters: a switched time above the
            # header's uptime was taken before the counter wrapped.
            ago_ms = (uptime_ns // 10**6 - rel_ns // 10**6) % 2**32
            return base_ns - ago_ms * 10**6
        if version == 10 and sys_init is not None:
            return sys_init + rel_ns
        return None
    if ab is not None:
        # tshark 4.0 shows a zero 4-byte FIRST/LAST_SWITCHED (sysUpTime) as
        # the epoch: it is uptime 0.
        if ab.get("size") == "4" and ab.get("value", "").strip("0") == "":
            if version in (5, 9) and uptime_ns is not None and \
                    base_ns is not None:
                return base_ns - (uptime_ns // 10**6 % 2**32) * 10**6
            if version == 10 and sys_init is not None:
                return sys_init
        return tshark_date_ns(ab.get("show"))
    return None


def tshark_sflow(pcap: os.PathLike, port: int) -> list[dict]:
    """Every flow sample tshark decodes from sFlow datagrams to port, with
    what GoFlow2 makes of it: addresses, ports and protocol from the sampled
    header, bytes = frame length, one packet, the agent address."""
    root = tshark_pdml(pcap, {port: "sflow"})
    out = []
    for pkt in root.iter("packet"):
        for proto in pkt.findall("proto"):
            if proto.get("name") != "sflow":
                continue
            agent = _show(proto, ("sflow_245.agent", "sflow_245.agent.v6"))
            for smp in proto.iter("field"):
                show = smp.get("show") or ""
                if smp.get("name") != "" or not (
                        show.startswith("Flow sample") or
                        show.startswith("Expanded flow sample")):
                    continue
                r = {"agent": norm_addr(agent), "src": "", "dst": "",
                     "sport": 0, "dport": 0, "proto": 0, "packets": 1,
                     "bytes": int(_show(smp, (
                         "sflow_245.header.frame_length",), "0")),
                     "rate": int(_show(smp, (
                         "sflow.flow_sample.sampling_rate",
                         "sflow_5.sampling_rate"), "0"))}
                l3 = l4 = None
                for p in smp.iter("proto"):
                    n = p.get("name")
                    if l3 is None and n in ("ip", "ipv6"):
                        l3 = p
                    elif l3 is not None and l4 is None and n in ("tcp", "udp"):
                        l4 = p
                if l3 is not None:
                    v4 = l3.get("name") == "ip"
                    r["src"] = norm_addr(_show(l3, ("ip.src",) if v4
                                               else ("ipv6.src",)))
                    r["dst"] = norm_addr(_show(l3, ("ip.dst",) if v4
                                               else ("ipv6.dst",)))
                    r["proto"] = int(_show(l3, ("ip.proto",) if v4
                                           else ("ipv6.nxt",), "0"))
                if l4 is not None:
                    n = l4.get("name")
                    r["sport"] = int(_show(l4, (f"{n}.srcport",), "0"))
                    r["dport"] = int(_show(l4, (f"{n}.dstport",), "0"))
                out.append(r)
    return out


def tshark_key(r: dict) -> tuple:
    return (r["src"], r["dst"], r["sport"], r["dport"], r["proto"],
            r["bytes"], r["packets"])


def compare_cflow(recs, flows) -> str:
    """Our flows against tshark's NetFlow/IPFIX records: the 5-tuple, bytes
    and packets as a multiset, then per tuple the (start, end) times of the
    records tshark can place in time (v5/v9 from uptime, IPFIX absolute or
    from systemInitTime)."""
    diff = multiset_diff([tshark_key(t) for t in recs],
                         [flow_key(f) for f in flows])
    if diff:
        return "5-tuple/bytes/packets:\n" + diff
    want, got = collections.defaultdict(list), collections.defaultdict(list)
    for t in recs:
        want[tshark_key(t)].append((t["start_ns"], t["end_ns"]))
    for f in flows:
        got[flow_key(f)].append((f["time_flow_start_ns"],
                                 f["time_flow_end_ns"]))
    bad = []
    for k, times in want.items():
        if any(s is None or e is None for s, e in times):
            continue
        if sorted(times) != sorted(got[k]):
            bad.append(f"  {k}: tshark (start_ns, end_ns) {sorted(times)}, "
                       f"ours {sorted(got[k])}")
    return "timestamps:\n" + "\n".join(bad[:20]) if bad else ""


def uncount_v9(pcap_in: os.PathLike, pcap_out: os.PathLike) -> Path:
    """A copy of a capture of NetFlow v9 export packets with every header
    count set to 65535. tshark stops decoding a v9 packet after `count`
    records; softflowd 1.1.0 puts the number of flowsets there, so tshark
    alone would miss records that are in the packet."""
    dg = []
    for p in read_pcap_udp(pcap_in):
        pl = p.payload
        if len(pl) >= 4 and pl[:2] == b"\x00\x09":
            pl = pl[:2] + b"\xff\xff" + pl[4:]
        dg.append(Datagram(pl, p.dport, p.src, p.dst, p.sport))
    return write_udp_pcap(pcap_out, dg)
