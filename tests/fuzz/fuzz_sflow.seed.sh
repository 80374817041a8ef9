#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Seeds fuzz_sflow: copies the telegraf sflow_* datagrams from
# ../shared/corpus into DIR and extracts the UDP payloads of the tcpdump
# sFlow captures (classic pcap, Ethernet/raw/SLL/null link types) with a
# small python3 stdlib reader. Nothing is written into the project.
set -euo pipefail
dir=$(cd "$1" && pwd)
cd "$(dirname "$0")/../.."
corpus=../shared/corpus
[ -d "$corpus" ] || exit 0
for f in "$corpus"/telegraf/sflow_*/*.bin; do
	[ -f "$f" ] || continue
	cp "$f" "$dir/telegraf-$(basename "$(dirname "$f")")-$(basename "$f")"
done
python3 - "$dir" "$corpus"/tcpdump/*.pcap <<'PY'
import os, struct, sys

def udp_payloads(buf):
    if len(buf) < 24:
        return
    magic = buf[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return
    link = struct.unpack(e + "I", buf[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(buf):
        incl = struct.unpack(e + "I", buf[off + 8:off + 12])[0]
        pkt = buf[off + 16:off + 16 + incl]
        off += 16 + incl
        if link == 1:  # Ethernet
            l3, et = 14, pkt[12:14]
            while et in (b"\x81\x00", b"\x88\xa8") and len(pkt) >= l3 + 4:
                et, l3 = pkt[l3 + 2:l3 + 4], l3 + 4
        elif link == 113:  # Linux cooked
            l3, et = 16, pkt[14:16]
        elif link == 0:  # BSD loopback
            l3, et = 4, None
        else:  # raw IP
            l3, et = 0, None
        ip = pkt[l3:]
        if not ip:
            continue
        if ip[0] >> 4 == 4 and len(ip) >= 20 and ip[9] == 17:
            udp = ip[(ip[0] & 15) * 4:]
        elif ip[0] >> 4 == 6 and len(ip) >= 40 and ip[6] == 17:
            udp = ip[40:]
        else:
            continue
        if len(udp) < 8:
            continue
        ulen = struct.unpack(">H", udp[4:6])[0]
        yield udp[8:ulen] if ulen >= 8 else udp[8:]
        if 8 <= ulen < len(udp):  # bytes past a lying UDP length: seed too
            yield udp[8:]

out = sys.argv[1]
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        data = f.read()
    name = os.path.splitext(os.path.basename(path))[0]
    for i, p in enumerate(udp_payloads(data)):
        with open(os.path.join(out, "tcpdump-%s-%03d.bin" % (name, i)), "wb") as o:
            o.write(p)
PY
