#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The inputs of `make bench-compare` (scripts/bench/bench_compare.sh):
what every collector is fed, made once and cached under build/.

  traffic OUT.pcap --flows N     a large traffic capture: N distinct
                                 one-packet flows (TCP and UDP, IPv4 in
                                 198.18.0.0/15 and IPv6 in 2001:2::/48) over
                                 a minute of capture time; deterministic.
  capture OUT.pcap --port P --idle S --max-seconds T
                                 receives UDP datagrams on 127.0.0.1:P (a
                                 1 GiB forced receive buffer) and writes them
                                 as Ethernet/IPv4/UDP frames to OUT.pcap;
                                 stops after S seconds without a datagram
                                 (after the first) or T seconds in all.
  count IN.pcap OUT.json         counts the flows in each captured export
                                 datagram (NetFlow v9 and IPFIX data
                                 records by their templates, sFlow v5 flow
                                 samples) and writes {"datagrams": N,
                                 "flows": N, "cum": [flows in the first k
                                 datagrams for k = 1..N], "kind": ...,
                                 "port": the UDP port they were sent to}.

Standard library only. Prints one "key=value ..." line on success.
"""
import argparse
import json
import os
import random
import socket
import struct
import sys
import time

PCAP_HDR = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
SNAP = 128  # bytes of each traffic frame kept in the capture


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4_hdr(src, dst, proto, l4len, ident):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + l4len, ident & 0xFFFF, 0,
                    64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def ipv6_hdr(src, dst, proto, l4len):
    return struct.pack("!IHBB16s16s", 0x60000000, l4len, proto, 64, src, dst)


def eth(l3, v6):
    return (b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01" +
            struct.pack("!H", 0x86DD if v6 else 0x0800) + l3)


def cmd_traffic(a):
    rng = random.Random(a.seed)
    t0 = float(int(time.time())) - 120
    span = 60.0
    n = a.flows
    with open(a.out, "wb") as f:
        f.write(PCAP_HDR)
        for i in range(n):
            v6 = i % 10 == 9
            proto = 6 if rng.random() < 0.7 else 17
            # (source address, source port) is distinct for every flow, so
            # no two flows share a 5-tuple (pmacct's aggregate relies on it)
            sport = 1024 + i // 131072
            dport = rng.choice((443, 80, 53, 22, 123, 5432, 9092, 8080))
            plen = rng.randrange(0, 400)
            if proto == 6:
                l4 = struct.pack("!HHIIBBHHH", sport, dport, i, 0, 0x50, 0x18,
                                 65535, 0, 0) + bytes(plen)
            else:
                l4 = struct.pack("!HHHH", sport, dport, 8 + plen, 0) + bytes(plen)
            if v6:
                src = bytes.fromhex("20010002000000100000") + struct.pack("!IH", i, 1)
                dst = bytes.fromhex("2001000200000020") + struct.pack("!Q", rng.randrange(1, 4096))
                l3 = ipv6_hdr(src, dst, proto, len(l4)) + l4
            else:
                src = struct.pack("!I", (0xC6120000 + (i % 131072)))
                dst = struct.pack("!I", 0xC6120000 + rng.randrange(1, 131072))
                l3 = ipv4_hdr(src, dst, proto, len(l4), i) + l4
            frame = eth(l3, v6)
            ts = t0 + span * i / n
            sec = int(ts)
            # headers only (the IP length fields keep the full size): what
            # the exporters read, at a fraction of the file size
            cap = frame[:SNAP]
            f.write(struct.pack("<IIII", sec, int((ts - sec) * 1e6), len(cap),
                                len(frame)))
            f.write(cap)
    print(f"flows={n} packets={n}")


def cmd_capture(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, 33, 1 << 30)  # SO_RCVBUFFORCE
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 30)
    s.bind(("127.0.0.1", a.port))
    s.settimeout(0.2)
    buf = bytearray(65536)
    start = time.monotonic()
    last = None
    n = 0
    with open(a.out, "wb") as f:
        f.write(PCAP_HDR)
        # signal readiness to the caller
        if a.ready:
            open(a.ready, "w").close()
        while True:
            now = time.monotonic()
            if now - start > a.max_seconds:
                break
            if last is not None and now - last > a.idle:
                break
            try:
                k, peer = s.recvfrom_into(buf)
            except socket.timeout:
                continue
            last = time.monotonic()
            payload = bytes(buf[:k])
            udp = struct.pack("!HHHH", 40000, a.port, 8 + k, 0) + payload
            l3 = ipv4_hdr(socket.inet_aton(peer[0]), socket.inet_aton("127.0.0.1"),
                          17, len(udp), n) + udp
            frame = eth(l3, False)
            ts = time.time()
            sec = int(ts)
            f.write(struct.pack("<IIII", sec, int((ts - sec) * 1e6), len(frame),
                                len(frame)))
            f.write(frame)
            n += 1
    print(f"datagrams={n}")
    return 0 if n else 1


def read_udp_payloads(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise SystemExit(f"{path}: not a little-endian pcap")
    link = struct.unpack_from("<I", data, 20)[0]
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        l2 = 14 if link == 1 else 0
        et = struct.unpack_from("!H", frame, 12)[0] if link == 1 else 0x0800
        if et == 0x0800:
            ihl = (frame[l2] & 15) * 4
            if frame[l2 + 9] != 17:
                continue
            yield struct.unpack_from("!H", frame, l2 + ihl + 2)[0], frame[l2 + ihl + 8:]
        elif et == 0x86DD:
            if frame[l2 + 6] != 17:
                continue
            yield struct.unpack_from("!H", frame, l2 + 42)[0], frame[l2 + 48:]


def nf_flows(p, tmpl):
    """Data records in a NetFlow v9 or IPFIX datagram; tmpl maps template
    id -> record length (None for options templates)."""
    ver = struct.unpack_from("!H", p, 0)[0]
    if ver == 9:
        off, end, tset, oset = 20, len(p), 0, 1
    elif ver == 10:
        off, end, tset, oset = 16, struct.unpack_from("!H", p, 2)[0], 2, 3
    else:
        return 0
    flows = 0
    while off + 4 <= end:
        sid, slen = struct.unpack_from("!HH", p, off)
        if slen < 4:
            break
        body = p[off + 4:off + slen]
        if sid == tset:
            o = 0
            while o + 4 <= len(body):
                tid, cnt = struct.unpack_from("!HH", body, o)
                o += 4
                rl = 0
                for _ in range(cnt):
                    ftype, flen = struct.unpack_from("!HH", body, o)
                    o += 4
                    if ver == 10 and ftype & 0x8000:
                        o += 4
                    rl += flen
                if tid < 256:
                    break
                tmpl[tid] = rl
        elif sid == oset:
            if len(body) >= 2:
                tmpl[struct.unpack_from("!H", body, 0)[0]] = None
        elif sid >= 256 and tmpl.get(sid):
            flows += len(body) // tmpl[sid]
        off += slen
    return flows


def sflow_samples(p):
    if len(p) < 28 or struct.unpack_from("!I", p, 0)[0] != 5:
        return 0
    at = struct.unpack_from("!I", p, 4)[0]
    off = 8 + (4 if at == 1 else 16) + 12
    n = struct.unpack_from("!I", p, off)[0]
    off += 4
    flows = 0
    for _ in range(n):
        if off + 8 > len(p):
            break
        fmt, ln = struct.unpack_from("!II", p, off)
        if fmt & 0xFFF in (1, 3) and fmt >> 12 == 0:
            flows += 1
        off += 8 + ln
    return flows


def cmd_count(a):
    cum, total, tmpl, kinds, ports = [], 0, {}, set(), set()
    for port, p in read_udp_payloads(a.pcap):
        ports.add(port)
        if len(p) >= 4 and struct.unpack_from("!I", p, 0)[0] == 5:
            total += sflow_samples(p)
            kinds.add("sflow5")
        else:
            total += nf_flows(p, tmpl)
            kinds.add({9: "netflow9", 10: "ipfix"}.get(
                struct.unpack_from("!H", p, 0)[0] if len(p) >= 2 else 0, "other"))
        cum.append(total)
    with open(a.out, "w") as f:
        json.dump({"datagrams": len(cum), "flows": total, "cum": cum,
                   "kind": ",".join(sorted(kinds)),
                   "port": min(ports) if ports else 0}, f)
    print(f"datagrams={len(cum)} flows={total} kind={','.join(sorted(kinds))}")
    return 0 if total else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("traffic")
    t.add_argument("out")
    t.add_argument("--flows", type=int, default=1000000)
    t.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("capture")
    c.add_argument("out")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--idle", type=float, default=3.0)
    c.add_argument("--max-seconds", type=float, default=300.0)
    c.add_argument("--ready")
    k = sub.add_parser("count")
    k.add_argument("pcap")
    k.add_argument("out")
    a = ap.parse_args()
    if a.cmd == "traffic" and not 1 <= a.flows <= 20000000:
        ap.error("--flows: 1..20000000")
    return {"traffic": cmd_traffic, "capture": cmd_capture,
            "count": cmd_count}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
