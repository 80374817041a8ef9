# SPDX-License-Identifier: Apache-2.0
"""`make bench-compare` in its quick mode (BENCH_QUICK=1), with the peers
that are cheap to have in CI (xdpflowd in socket mode, pmacct's nfacctd and
sfacctd, nfdump's nfcapd; GoFlow2's Go build and XDP mode are left to the
full run), on a small capture, NetFlow v9 and sFlow at full speed: the
script ends 0 and writes results.tsv, env.txt, pcap.tsv, README.md and the
two PNG charts into the folder it is given; every number parses, every
peer has its rows for each input it takes, loss lies in [0, 1], no peer
outputs more flows than were sent, xdpflowd (whose 32 MiB receive buffer
holds the whole small capture) outputs every flow, the Markdown table has
a row per peer and input, and the issue 11 `--pcap` rounds wrote every
flow. It measures no speed: the figures themselves are for the full run.
"""
import csv
import os
import subprocess
from pathlib import Path

import pytest

import xflow
from conftest import require_tool

REPO = Path(__file__).resolve().parents[2]
PEERS = {"xdpflowd": ("nf9", "sflow"), "nfacctd": ("nf9",),
         "sfacctd": ("sflow",), "nfcapd": ("nf9",)}
LABEL = {"xdpflowd": "xdpflowd (socket)", "nfacctd": "pmacct nfacctd",
         "sfacctd": "pmacct sfacctd", "nfcapd": "nfdump nfcapd"}
INPUT = {"nf9": "NetFlow v9 (softflowd)", "sflow": "sFlow v5 (pmacctd sfprobe)"}
NUMERIC = ("sent", "out", "cpu_s", "flows_per_cpu_s", "loss", "hwm_kb",
           "machine_cpu_s", "machine_ns_per_flow", "offered_fps", "window_s")
FLOWS = 20000


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root (SO_RCVBUFFORCE, as the benchmark runs)")
    for t in ("softflowd", "pmacctd", "nfacctd", "sfacctd", "nfcapd",
              "nfdump", "gnuplot"):
        require_tool(t)
    out = tmp_path_factory.mktemp("bench-compare")
    build = xflow.build_dir()
    env = dict(os.environ, O=str(build),
               SAN="1" if xflow.is_asan_build() else "0", BENCH_QUICK="1",
               BENCH_COMPARE_OUT=str(out),
               BENCH_COMPARE_PEERS=" ".join(PEERS),
               BENCH_COMPARE_INPUTS="nf9 sflow", BENCH_COMPARE_RATES="max",
               BENCH_COMPARE_FLOWS=str(FLOWS), BENCH_COMPARE_ROUNDS="1",
               BENCH_COMPARE_PCAP_ROUNDS="1")
    p = subprocess.run([str(REPO / "scripts/bench/bench_compare.sh")],
                       cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"bench_compare.sh failed:\n{p.stderr[-3000:]}"
    return out, p.stderr


def test_files_written(report):
    out, _ = report
    for name in ("results.tsv", "env.txt", "pcap.tsv", "README.md"):
        assert (out / name).stat().st_size > 0, name
    for name in ("flows-per-cpu.png", "loss.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{name} is not a PNG"
        assert len(data) > 5000, f"{name} is only {len(data)} bytes"


def test_results_sane(report):
    out, log = report
    with open(out / "results.tsv") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert rows, "no measurement"
    for r in rows:
        for k in NUMERIC:
            float(r[k])  # parses
        assert 0.0 <= float(r["loss"]) <= 1.0, r
        assert 0 < int(r["sent"]) <= FLOWS, r
        assert 0 <= int(r["out"]) <= int(r["sent"]), r
        assert float(r["cpu_s"]) > 0 and float(r["hwm_kb"]) > 0, r
        assert r["rate"] == "max", r
    got = {(r["peer"], r["input"]) for r in rows}
    want = {(p, i) for p, ins in PEERS.items() for i in ins}
    assert got == want, f"measured {sorted(got)}, want {sorted(want)}\n{log[-2000:]}"
    for r in rows:
        if r["peer"] == "xdpflowd":
            assert r["out"] == r["sent"] and float(r["loss"]) == 0.0, r


def test_env_records_versions(report):
    out, _ = report
    env = dict(line.rstrip("\n").split("\t", 1)
               for line in (out / "env.txt").read_text().splitlines())
    for k in ("kernel", "host", "date", "finished", "input_nf9", "input_sflow"):
        assert env.get(k), k
    for p in PEERS:
        assert env.get(f"version_{p}"), f"no version for {p}"
    assert env["version_nfcapd"].startswith("nfcapd 1.")
    assert "xdpflowd" in env["version_xdpflowd"]


def test_markdown_table(report):
    out, _ = report
    md = (out / "README.md").read_text()
    assert "![flows per CPU-second](flows-per-cpu.png)" in md
    assert "![loss against offered rate](loss.png)" in md
    for p, ins in PEERS.items():
        for i in ins:
            assert f"| {INPUT[i]} | {LABEL[p]} |" in md, (p, i)
    assert "## Where a peer wins" in md


def test_pcap_rounds(report):
    out, _ = report
    lines = (out / "pcap.tsv").read_text().splitlines()
    assert len(lines) == 1
    _, total, flows, cpu = lines[0].split("\t")
    assert int(total) > 0 and int(flows) == int(total) and float(cpu) > 0
