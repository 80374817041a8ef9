#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the traffic capture the demo's exporters replay (softflowd -r,
pmacctd pcap_savefile): an Ethernet pcap of TCP, UDP and ICMP flows between
hosts in 198.18.0.0/15 and 2001:2::/48, a few hosts and services carrying
most of the bytes so the demo's top-talker and top-port views show a clear
ranking. Deterministic for a given --seed; standard library only (the pcap
and packet builders of tests/sys/xflow.py).

usage: scripts/gen/gen_traffic.py OUT.pcap [--seed N] [--flows N]
Prints "flows=N packets=N bytes=N" on success.
"""
import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "sys"))
import xflow  # noqa: E402

# (dst port, protocol, weight): the services the clients talk to.
SERVICES = [(443, 6, 30), (80, 6, 12), (53, 17, 10), (22, 6, 5),
            (123, 17, 4), (5432, 6, 3), (9092, 6, 3), (3306, 6, 2),
            (4789, 17, 2), (8080, 6, 2)]


def hosts(rng, n):
    """n client/server address pairs, IPv4 and IPv6, with Zipf-like
    weights (host k weighs 1/(k+1))."""
    out = []
    for k in range(n):
        if k % 3 == 2:
            src = f"2001:2:0:10::{k + 1:x}"
            dst = f"2001:2:0:20::{rng.randrange(1, 12):x}"
        else:
            src = f"198.18.10.{k + 1}"
            dst = f"198.18.20.{rng.randrange(1, 12)}"
        out.append((src, dst, 1.0 / (k + 1)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--flows", type=int, default=48)
    a = ap.parse_args()
    if not 1 <= a.flows <= 10000:
        ap.error("--flows: 1..10000")
    rng = random.Random(a.seed)
    pairs = hosts(rng, 24)
    flows = []
    for i in range(a.flows):
        src, dst, _ = rng.choices(pairs, weights=[p[2] for p in pairs])[0]
        port, proto, _ = rng.choices(SERVICES,
                                     weights=[s[2] for s in SERVICES])[0]
        if rng.random() < 0.06:
            proto, port = (58 if ":" in src else 1), 0
        heavy = src in (pairs[0][0], pairs[1][0])
        flows.append(xflow.TrafficFlow(
            src, dst, proto, 0 if proto in (1, 58) else 32768 + i, port,
            packets=rng.randrange(20, 60) if heavy else rng.randrange(2, 20),
            size=rng.choice((1200, 1400)) if heavy else rng.randrange(40, 600)))
    # Times of today, so replayed flows look recent.
    out = xflow.write_traffic(a.out, t0=float(int(time.time())), flows=flows)
    print(f"flows={len(out)} packets={sum(f.packets for f in out)} "
          f"bytes={sum(f.bytes for f in out)}")


if __name__ == "__main__":
    main()
