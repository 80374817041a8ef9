#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The report of `make bench-compare`: reads DIR/results.tsv (one row per
measurement, written by scripts/bench/bench_compare.sh), DIR/env.txt (the
machine, kernel, versions) and DIR/pcap.tsv (issue 11's `xdpflowd --pcap`
rounds), and writes DIR/README.md (Markdown tables of medians over rounds,
the ratios against xdpflowd measured side by side in the same run, where a
peer wins) and two charts drawn by gnuplot: DIR/flows-per-cpu.png (flows
per CPU-second of the whole process at full speed, per input and peer) and
DIR/loss.png (loss against offered rate, one panel per input). Standard
library only; exits 1 with a one-line reason when an input is missing or
gnuplot fails.

usage: scripts/bench/bc_report.py DIR
"""
import csv
import os
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict

PEER_ORDER = ["xdpflowd", "xdpflowd-xdp", "goflow2", "nfacctd", "sfacctd",
              "nfcapd"]
PEER_LABEL = {"xdpflowd": "xdpflowd (socket)", "xdpflowd-xdp": "xdpflowd (XDP, veth)",
              "goflow2": "GoFlow2", "nfacctd": "pmacct nfacctd",
              "sfacctd": "pmacct sfacctd", "nfcapd": "nfdump nfcapd"}
INPUT_LABEL = {"nf9": "NetFlow v9 (softflowd)", "ipfix": "IPFIX (softflowd)",
               "sflow": "sFlow v5 (pmacctd sfprobe)"}
OUTPUT_OF = {"xdpflowd": "protobuf (length-delimited) to a file",
             "xdpflowd-xdp": "protobuf (length-delimited) to a file",
             "goflow2": "-format bin (length-delimited protobuf) to a file",
             "nfacctd": "print plugin, CSV to a file, 5-tuple aggregate, purged every 1 s",
             "sfacctd": "print plugin, CSV to a file, 5-tuple aggregate, purged every 1 s",
             "nfcapd": "nfcapd binary files (uncompressed), counted with nfdump -r"}
# Why a peer can beat xdpflowd (socket) on a metric, said next to each win
# the run finds; a win with no known reason is still listed.
WHY = {
    ("nfcapd", "fps"): "nfcapd appends each flow to its own compact binary "
    "record blocks (nfdump's file format) and does no mapping to a standard "
    "message; xdpflowd encodes every flow as a GoFlow2 FlowMessage in "
    "protobuf, the cost of speaking the format GoFlow2 consumers and "
    "ClickHouse read",
    ("nfcapd", "rss"): "nfcapd is one small process with fixed-size data "
    "blocks; xdpflowd also maps its template cache, output buffers and a "
    "stats/HTTP layer",
    ("goflow2", "rss"): "GoFlow2 is measured while it drops most datagrams "
    "at full speed (its 208 KiB socket buffer), so it holds less data",
    ("nfacctd", "rss"): "",
    ("any", "machine"): "the machine is shared and busy (see the idle "
    "baseline), so this figure is the noisiest; differences of a few "
    "hundred ns per flow are noise",
}

NUM = ["sent", "out", "cpu_s", "flows_per_cpu_s", "loss", "hwm_kb",
       "machine_cpu_s", "machine_ns_per_flow", "offered_fps", "window_s"]


_SAID = set()


def why(peer, metric):
    """'. Why: ...' for a known reason (once; later wins say it again in
    short), else '.'."""
    key = (peer, metric) if (peer, metric) in WHY else ("any", metric)
    r = WHY.get(key)
    if not r:
        return "."
    if key in _SAID:
        return " (noisy: see above)." if key[0] == "any" else " (the same reason)."
    _SAID.add(key)
    return f". Why: {r}."


def fail(msg):
    print(f"bc_report: {msg}", file=sys.stderr)
    sys.exit(1)


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def fmt_int(v):
    return "n/a" if v is None else f"{v:,.0f}"


def fmt_k(v):
    if v is None:
        return "n/a"
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.0f}k"
    return f"{v:.0f}"


def fmt_pct(v):
    return "n/a" if v is None else f"{v * 100:.1f}%"


def rate_key(r):
    return float("inf") if r == "max" else float(r)


def load(d):
    try:
        with open(os.path.join(d, "results.tsv")) as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
    except OSError as e:
        fail(f"cannot read results: {e}")
    if not rows:
        fail("results.tsv has no measurement")
    for r in rows:
        for k in NUM:
            r[k] = float(r[k])
    env = {}
    try:
        with open(os.path.join(d, "env.txt")) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("\t")
                env[k] = v
    except OSError as e:
        fail(f"cannot read env.txt: {e}")
    pcap = []
    p = os.path.join(d, "pcap.tsv")
    if os.path.exists(p):
        with open(p) as f:
            for line in f:
                _, total, flows, cpu = line.split("\t")
                pcap.append((int(total), int(flows), float(cpu)))
    return rows, env, pcap


def group(rows):
    g = defaultdict(list)
    for r in rows:
        g[(r["peer"], r["input"], r["rate"])].append(r)
    return g


def chart_fps(d, g, inputs, peers):
    data = os.path.join(d, "flows-per-cpu.dat")
    with open(data, "w") as f:
        f.write("input " + " ".join(f'"{PEER_LABEL.get(p, p)}"' for p in peers) + "\n")
        for i in inputs:
            vals = []
            for p in peers:
                v = med([r["flows_per_cpu_s"] for r in g.get((p, i, "max"), [])])
                vals.append("-" if v is None else f"{v / 1e6:.4f}")
            f.write(f'"{INPUT_LABEL.get(i, i)}" ' + " ".join(vals) + "\n")
    cols = " , ".join(f"'{data}' using {k + 2}:xtic(1) title columnheader"
                      for k in range(len(peers)))
    return f"""
set terminal pngcairo size 1000,520 font ',10'
set output '{os.path.join(d, "flows-per-cpu.png")}'
set title 'Flows per CPU-second of the whole process, full-speed replay (median of rounds; higher is better)'
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [0.01:*]
set ylabel 'million flows per CPU-second (log scale)'
set datafile missing '-'
set key outside right top vertical
set grid ytics
plot {cols}
"""


def chart_loss(d, g, inputs, peers, rates):
    parts = [f"""
set terminal pngcairo size {380 * len(inputs) + 180},460 font ',10'
set output '{os.path.join(d, "loss.png")}'
set multiplot layout 1,{len(inputs)} title 'Loss against offered rate, as the sender achieved it (median of rounds; the last point of each line is full speed)'
set logscale x
set xlabel 'offered flows/s'
set ylabel 'loss: 1 - flows out / flows in'
set yrange [-0.02:1.02]
set format y '%.0f%%'
set grid
set key top left font ',8'
"""]
    for i in inputs:
        plots = []
        for p in peers:
            pts = []
            for rate in rates:
                rs = g.get((p, i, rate), [])
                if not rs:
                    continue
                # the rate the sender achieved (it can fall short of the
                # nominal one: sFlow's many small datagrams)
                x = med([r["offered_fps"] for r in rs]) or (float(rate) if rate != "max" else 0)
                pts.append((x, med([r["loss"] for r in rs])))
            if not pts:
                continue
            data = os.path.join(d, f"loss-{i}-{p}.dat")
            with open(data, "w") as f:
                for x, y in sorted(pts):
                    f.write(f"{x:.0f} {y * 100:.3f}\n")
            plots.append(f"'{data}' using 1:2 with linespoints lw 2 title '{PEER_LABEL.get(p, p)}'")
        parts.append(f"set title '{INPUT_LABEL.get(i, i)}'\n"
                     f"set yrange [-2:102]\nplot " + ", ".join(plots) + "\n")
    parts.append("unset multiplot\n")
    return "".join(parts)


def run_gnuplot(d, script):
    gp = shutil.which("gnuplot")
    if not gp:
        fail("gnuplot is missing (scripts/deps.sh installs gnuplot-nox)")
    p = subprocess.run([gp], input=script, text=True, capture_output=True,
                       timeout=60)
    if p.returncode:
        fail(f"gnuplot failed: {p.stderr.strip()[-300:]}")


def main():
    if len(sys.argv) != 2:
        fail("usage: bc_report.py DIR")
    d = sys.argv[1]
    rows, env, pcap = load(d)
    g = group(rows)
    inputs = [i for i in ("nf9", "ipfix", "sflow") if any(r["input"] == i for r in rows)]
    peers = [p for p in PEER_ORDER if any(r["peer"] == p for r in rows)]
    rates = sorted({r["rate"] for r in rows}, key=rate_key)
    rounds = sorted({int(r["round"]) for r in rows})

    out = []
    w = out.append
    w("# xdpflowd against the peers: side-by-side benchmark\n")
    w("Made by `make bench-compare` (scripts/bench/bench_compare.sh, report by "
      "scripts/bench/bc_report.py); re-make it with `make bench-compare` "
      "(about 20 minutes; `BENCH_QUICK=1 make bench-compare` for a quick look "
      "written under build/). Every figure is the median of "
      f"{len(rounds)} round(s) measured in one run, peers in rotating order; "
      "the machine is shared with other jobs and noisy, so compare the ratios "
      "measured side by side, not absolute figures across runs.\n")
    w("## Machine and versions\n")
    w("| | |\n|---|---|")
    for k in ("date", "finished", "host", "kernel", "os", "commit", "load", "rmem_max",
              "flows", "rounds", "rates", "seconds", "quick"):
        if k in env:
            w(f"| {k} | {env[k]} |")
    for k, v in env.items():
        if k.startswith(("version_", "exporter_", "input_", "baseline_")):
            w(f"| {k.replace('_', ' ', 1)} | {v} |")
    w("")
    w("![flows per CPU-second](flows-per-cpu.png)\n")
    w("![loss against offered rate](loss.png)\n")

    w("## Flows per CPU-second of the whole process, full-speed replay\n")
    w("Flows out divided by the CPU time of the peer's whole process tree "
      "(all threads, and reaped children such as pmacct's cache writers) "
      "from the start of the send until the peer is idle again. "
      "`vs xdpflowd`: xdpflowd (socket)'s figure divided by the peer's, "
      "each round's ratio first, then the median.\n")
    w("| input | peer | flows/CPU-s | vs xdpflowd | loss | peak RSS (MiB) | machine CPU per flow out (ns) |")
    w("|---|---|---:|---:|---:|---:|---:|")
    for i in inputs:
        for p in peers:
            rs = g.get((p, i, "max"), [])
            if not rs:
                continue
            ref = {int(r["round"]): r["flows_per_cpu_s"] for r in g.get(("xdpflowd", i, "max"), [])}
            ratios = [ref[int(r["round"])] / r["flows_per_cpu_s"]
                      for r in rs if int(r["round"]) in ref and r["flows_per_cpu_s"] > 0]
            ratio = med(ratios)
            w(f"| {INPUT_LABEL.get(i, i)} | {PEER_LABEL.get(p, p)} | "
              f"{fmt_int(med([r['flows_per_cpu_s'] for r in rs]))} | "
              f"{'n/a' if ratio is None else f'{ratio:.1f}x'} | "
              f"{fmt_pct(med([r['loss'] for r in rs]))} | "
              f"{med([r['hwm_kb'] for r in rs]) / 1024:.1f} | "
              f"{fmt_int(med([r['machine_ns_per_flow'] for r in rs]))} |")
    w("")

    w("## Loss at each offered rate\n")
    w("Loss = 1 - flows out / flows in (the flows in the datagrams sent). "
      "Offered rates are flows/s, nominal (the sender paces datagrams to the "
      "capture's mean flows per datagram; sFlow's many small datagrams can "
      "keep it below 1M flows/s, which the chart shows as achieved); `max` "
      "is the whole capture sent once at full speed (the achieved flows/s in "
      "brackets).\n")
    w("| input | peer | " + " | ".join(
        (f"{fmt_k(float(r))} flows/s" if r != "max" else "max") for r in rates) + " |")
    w("|---|---|" + "---:|" * len(rates))
    for i in inputs:
        for p in peers:
            cells = []
            for rate in rates:
                rs = g.get((p, i, rate), [])
                if not rs:
                    cells.append("")
                    continue
                c = fmt_pct(med([r["loss"] for r in rs]))
                if rate == "max":
                    c += f" ({fmt_k(med([r['offered_fps'] for r in rs]))}/s)"
                cells.append(c)
            if any(cells):
                w(f"| {INPUT_LABEL.get(i, i)} | {PEER_LABEL.get(p, p)} | " + " | ".join(cells) + " |")
    w("")

    w("## Flows per CPU-second at each offered rate\n")
    w("| input | peer | " + " | ".join(
        (f"{fmt_k(float(r))} flows/s" if r != "max" else "max") for r in rates) + " |")
    w("|---|---|" + "---:|" * len(rates))
    for i in inputs:
        for p in peers:
            cells = [fmt_int(med([r["flows_per_cpu_s"] for r in g.get((p, i, rate), [])]))
                     if g.get((p, i, rate)) else "" for rate in rates]
            if any(cells):
                w(f"| {INPUT_LABEL.get(i, i)} | {PEER_LABEL.get(p, p)} | " + " | ".join(cells) + " |")
    w("")

    # issue 11's two whole-process figures, side by side
    w("## Issue 11: whole-process figures\n")
    w("| figure | median | target | met |")
    w("|---|---:|---:|---|")
    if pcap:
        v = med([flows / cpu for _, flows, cpu in pcap if cpu > 0])
        complete = all(flows == total for total, flows, _ in pcap)
        w(f"| `xdpflowd --pcap` of the softflowd NetFlow v9 capture ({pcap[0][0]:,} flows), "
          f"pb to a file, flows per CPU-second of the process ({len(pcap)} rounds"
          f"{'' if complete else '; NOT every flow written'}) | {fmt_int(v)} | 5,000,000 | "
          f"{'yes' if v and v >= 5e6 and complete else 'no'} |")
    for rate in rates:
        x = {int(r["round"]): r for r in g.get(("xdpflowd", "nf9", rate), [])}
        y = {int(r["round"]): r for r in g.get(("goflow2", "nf9", rate), [])}
        ratios = [x[k]["flows_per_cpu_s"] / y[k]["flows_per_cpu_s"]
                  for k in x if k in y and y[k]["flows_per_cpu_s"] > 0]
        if not ratios:
            continue
        lx = med([x[k]["loss"] for k in x])
        ly = med([y[k]["loss"] for k in y])
        m = med(ratios)
        w(f"| live over loopback, NetFlow v9 at {fmt_k(float(rate)) + ' flows/s' if rate != 'max' else 'full speed'}: "
          f"xdpflowd / GoFlow2 v2.2.6 flows per CPU-second (per-round ratios "
          f"{', '.join(f'{v:.1f}' for v in ratios)}; loss {fmt_pct(lx)} vs {fmt_pct(ly)}) | "
          f"{m:.1f}x | >= 25x (never < 15x) | {'yes' if m >= 25 and min(ratios) >= 15 else 'no'} |")
    w("")

    # where a peer beats xdpflowd (socket mode), stated plainly
    wins = []
    for i in inputs:
        ref = g.get(("xdpflowd", i, "max"), [])
        if not ref:
            continue
        rh = med([r["hwm_kb"] for r in ref])
        rm = med([r["machine_ns_per_flow"] for r in ref])
        for p in peers:
            if p.startswith("xdpflowd"):
                continue  # ours; XDP mode has its own column
            rs = g.get((p, i, "max"), [])
            if not rs:
                continue
            if med([r["hwm_kb"] for r in rs]) < rh:
                wins.append(f"{PEER_LABEL[p]} peaks at less memory than xdpflowd (socket) on {INPUT_LABEL[i]}: "
                            f"{med([r['hwm_kb'] for r in rs]) / 1024:.1f} MiB against {rh / 1024:.1f} MiB"
                            f"{why(p, 'rss')}")
            pm = med([r["machine_ns_per_flow"] for r in rs])
            pl = med([r["loss"] for r in rs])
            xl = med([r["loss"] for r in ref])
            # below zero the idle baseline was off by more than the work:
            # noise, not a win
            if 0 < pm < rm and pl > xl + 0.05:
                # not the same work: a peer that lost most datagrams at its
                # socket did the work for the few it kept, in a shorter
                # busy window, and on a busy machine the figure is mostly
                # how much the other jobs yielded meanwhile
                wins.append(f"Not a win: {PEER_LABEL[p]}'s machine CPU per flow out on {INPUT_LABEL[i]} at full "
                            f"speed ({pm:.0f} ns against {rm:.0f} ns for xdpflowd (socket)) does not compare: it "
                            f"lost {fmt_pct(pl)} of the flows (xdpflowd {fmt_pct(xl)}), dropped by the kernel at "
                            f"its full socket buffer before any collector work, so it measured a different, "
                            f"smaller job; with the machine shared (idle baseline above), the subtraction of the "
                            f"other jobs' load dominates such a short window.")
            elif 0 < pm < rm:
                wins.append(f"{PEER_LABEL[p]} costs the whole machine less CPU per flow out than xdpflowd (socket) on "
                            f"{INPUT_LABEL[i]} at full speed: {med([r['machine_ns_per_flow'] for r in rs]):.0f} ns "
                            f"against {rm:.0f} ns{why(p, 'machine')}")
        for rate in rates:
            xl = med([r["loss"] for r in g.get(("xdpflowd", i, rate), [])])
            if xl is None:
                continue
            for p in peers:
                if p.startswith("xdpflowd") or not g.get((p, i, rate)):
                    continue
                pf = med([r["flows_per_cpu_s"] for r in g[(p, i, rate)]])
                xf = med([r["flows_per_cpu_s"] for r in g.get(("xdpflowd", i, rate), [])])
                if pf > xf:
                    wins.append(f"{PEER_LABEL[p]} outputs more flows per CPU-second than xdpflowd (socket) on "
                                f"{INPUT_LABEL[i]} at "
                                f"{'full speed' if rate == 'max' else fmt_k(float(rate)) + ' flows/s'}: "
                                f"{fmt_int(pf)} against {fmt_int(xf)}{why(p, 'fps')}")
                pl = med([r["loss"] for r in g[(p, i, rate)]])
                if pl < xl:
                    wins.append(f"{PEER_LABEL[p]} loses less than xdpflowd (socket) on {INPUT_LABEL[i]} at "
                                f"{'full speed' if rate == 'max' else fmt_k(float(rate)) + ' flows/s'}: "
                                f"{fmt_pct(pl)} against {fmt_pct(xl)}{why(p, 'loss')}")
    w("## Where a peer wins (found by this run)\n")
    if wins:
        for s in wins:
            w(f"- {s}")
    else:
        w("- No peer beat xdpflowd (socket) on flows per CPU-second, loss, peak RSS or machine CPU per flow in this run.")
    w("")

    w("## How it is measured\n")
    w("- Input: a generated capture of distinct one-packet flows "
      "(scripts/bench/bc_inputs.py traffic), exported once by softflowd "
      "(NetFlow v9, IPFIX) and by pmacctd's sfprobe plugin (sFlow v5, sampling "
      "1/1); the export datagrams are captured into pcaps, cached under "
      "build/bench-compare/, and the flows in each datagram counted from its "
      "templates. Each measurement starts a fresh collector and replays the "
      "first datagrams of a capture with build/bench/udp_replay (sendmmsg, "
      "bounded in count and time): over loopback, or from a second network "
      "namespace over a veth pair for XDP mode.")
    w("- Output of each peer, written to a file, and how it is counted:")
    for p in peers:
        w(f"  - {PEER_LABEL.get(p, p)}: {OUTPUT_OF.get(p, '?')}.")
    w("- Receive buffers: xdpflowd asks 32 MiB with SO_RCVBUFFORCE (its "
      "default); nfacctd/sfacctd (`*_pipe_size`) and nfcapd (`-B`) ask 32 MiB "
      f"with SO_RCVBUF, which the kernel caps at net.core.rmem_max ({env.get('rmem_max', '?')} "
      "bytes here, doubled); GoFlow2 has no option and keeps the default "
      "(212992 bytes). The benchmark does not change the machine's sysctls. "
      "XDP mode gets 16384 UMEM frames (32 MiB).")
    w("- CPU of the whole process: the sum over the peer's process tree of the "
      "threads' run time (/proc/PID/task/*/schedstat, ns) and the reaped "
      "children's cutime+cstime, from before the send until the tree has used "
      "under 5 ms of CPU in each of three 0.3 s looks, its socket queue is "
      "empty and its output stopped growing. Start-up and exit are outside the window.")
    w("- Peak RSS: VmHWM summed over the peer's processes (pmacct runs a core "
      "and a plugin process) at the end of the measurement.")
    w("- Machine CPU per flow: /proc/stat's busy time of all CPUs (user, nice, "
      "system, irq, softirq, steal) over the same window, less an idle "
      "baseline taken at the start of each round, per flow out. It includes "
      "the sender and the kernel's receive path, which on veth runs in the "
      "sender's softirq; this kernel has no IRQ time accounting, so softirq "
      "work is charged to whatever task ran. Other jobs on the shared machine "
      "make it the noisiest figure (it can even come out negative); when the "
      "idle baseline (`baseline` rows above) is near all CPUs' worth, other "
      "jobs kept the machine saturated and the figure says little.")
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write("\n".join(out) + "\n")

    run_gnuplot(d, chart_fps(d, g, inputs, peers))
    run_gnuplot(d, chart_loss(d, g, inputs, peers, rates))
    for name in os.listdir(d):
        if name.endswith(".dat"):
            os.unlink(os.path.join(d, name))
    for png in ("flows-per-cpu.png", "loss.png"):
        p = os.path.join(d, png)
        if not os.path.exists(p) or os.path.getsize(p) < 1000:
            fail(f"{png} was not drawn")
    print(f"bc_report: wrote {d}/README.md, flows-per-cpu.png, loss.png")


if __name__ == "__main__":
    main()
