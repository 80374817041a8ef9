# SPDX-License-Identifier: Apache-2.0
"""xdpflow-mock as a program: --count flows exactly, --seed reproducible
(times aside), pb and JSON carry the same flows (the collector's own
encoders), --rate kept, SIGTERM flushes and reports, bad options exit 2,
--help shares xdpflowd's output options row for row; and end to end on the
real stack: N mocked flows through Kafka (--kafka-batch 64) and
xdpflow-insert become N rows in PostgreSQL, field for field. Every wait is
bounded."""
import ipaddress
import os
import signal
import subprocess
import time

import pytest

import xflow
from stack import Inserter, pg_connect, scratch, stack, wait_for  # noqa: F401 (stack is a fixture)

TIMES = ("time_received_ns", "time_flow_start_ns", "time_flow_end_ns")


def mock():
    b = xflow.binary("xdpflow-mock")
    if not os.access(b, os.X_OK):
        pytest.fail(f"{b} is not built")
    return str(b)


def run(args, timeout=60):
    return subprocess.run([mock(), *args], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)


def stats(stderr: bytes) -> dict:
    lines = [ln for ln in stderr.decode().splitlines() if "stats mock " in ln]
    assert lines, stderr.decode()[-2000:]
    return {k: v for k, _, v in (w.partition("=") for w in lines[-1].split())
            if _}


def untimed(flows):
    return [{k: v for k, v in f.items() if k not in TIMES} for f in flows]


def test_count_and_seed(tmp_path):
    outs = []
    for i, seed in enumerate((5, 5, 6)):
        out = tmp_path / f"f{i}.json"
        r = run(["--count", "5000", "--rate", "0", "--seed", str(seed),
                 "--file", str(out)])
        assert r.returncode == 0, r.stderr.decode()[-2000:]
        st = stats(r.stderr)
        assert st["flows"] == "5000" and st["encode_errors"] == "0"
        assert f"seed {seed}" in r.stderr.decode()
        outs.append(untimed(xflow.read_json_flows(out)))
    assert len(outs[0]) == 5000
    assert outs[0] == outs[1], "the same seed gave other flows"
    assert sum(a != b for a, b in zip(outs[0], outs[2])) > 4900
    f = outs[0]
    assert {x["type"] for x in f} == {"NETFLOW_V9", "IPFIX", "SFLOW_5",
                                      "NETFLOW_V5"}
    assert {x["sampler_address"] for x in f} == {
        "198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.0.4"}
    for x in f:
        for a in ("src_addr", "dst_addr"):
            ip = ipaddress.ip_address(x[a])
            assert ip in ipaddress.ip_network("198.18.0.0/15") or \
                ip in ipaddress.ip_network("2001:db8:0:1::/64"), x
        assert 65000 <= x["src_as"] <= 65002 and 65000 <= x["dst_as"] <= 65002
        assert 0 <= x["bytes"] <= 1499 and 0 <= x["packets"] <= 99


def test_times_are_now(tmp_path):
    out = tmp_path / "f.json"
    t0 = time.time_ns()
    r = run(["--count", "100", "--rate", "0", "--file", str(out)])
    t1 = time.time_ns()
    assert r.returncode == 0
    for f in xflow.read_json_flows(out):
        assert t0 - 10**9 <= f["time_received_ns"] <= t1 + 10**9
        assert f["time_flow_start_ns"] <= f["time_flow_end_ns"] <= \
            f["time_received_ns"]


def test_pb_equals_json(tmp_path, pbdir):
    j, p = tmp_path / "f.json", tmp_path / "f.pb"
    for fmt, out in (("json", j), ("pb", p)):
        r = run(["-n", "2000", "-r", "0", "-s", "9", "--format", fmt,
                 "--file", str(out)])
        assert r.returncode == 0, r.stderr.decode()[-2000:]
    a = [xflow.norm_flow(f) for f in untimed(xflow.read_json_flows(j))]
    b = [xflow.norm_flow(f) for f in untimed(xflow.read_pb_flows(p, pbdir))]
    assert len(a) == len(b) == 2000
    assert a == b


def test_rate(tmp_path):
    t = time.monotonic()
    r = run(["--count", "300", "--rate", "200", "--file", str(tmp_path / "f")])
    took = time.monotonic() - t
    assert r.returncode == 0
    assert stats(r.stderr)["flows"] == "300"
    # 300 flows at 200/s: the last one is due at 1.5 s.
    assert 1.4 <= took < 1.4 * 3 * xflow.timeout_scale(), took


def test_sigterm_flushes(tmp_path):
    out = tmp_path / "f.json"
    p = subprocess.Popen([mock(), "--rate", "2000", "--file", str(out)],
                         stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(1.0)
        p.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
    assert p.returncode == 0, err.decode()[-2000:]
    lines = [ln for ln in err.decode().splitlines() if "stats mock " in ln]
    assert len(lines) == 2, err.decode()  # SIGUSR1, then the exit
    n = int(stats(err)["flows"])
    assert 1000 < n < 10000
    assert len(xflow.read_json_flows(out)) == n


@pytest.mark.parametrize("args,needle", [
    (["--bogus"], "--bogus"),
    (["--rate", "x"], "rate"),
    (["--kafka-batch", "0"], "kafka-batch"),
    (["-o", "stdout"], "stdout"),
    (["stray"], "stray"),
])
def test_bad_options(args, needle):
    r = run(args, timeout=10)
    assert r.returncode == 2
    err = r.stderr.decode().strip()
    assert needle in err and len(err.splitlines()) == 1, err


def output_section(text: str) -> str:
    start = text.index("\nOutput (")
    return text[text.index("\n", start + 1):text.index("\nSignals:")]


def test_help_shares_output_options():
    r = run(["--help"], timeout=10)
    assert r.returncode == 0
    text = r.stdout.decode()
    for o in ("--rate", "--count", "--seed", "--kafka-batch", "-X,",
              "--schema", "--format", "--kafka-brokers", "--kafka-key"):
        assert o in text, o
    d = xflow.run_xdpflowd(["--help"], timeout=10)
    assert output_section(text) == output_section(d.stdout), \
        "xdpflow-mock and xdpflowd describe the output options differently"


ROW_SQL = """
SELECT type, sequence_num, sampling_rate, host(sampler_address), bytes,
       packets, host(src_addr), host(dst_addr), etype, proto, src_port,
       dst_port, src_as, dst_as, in_if, out_if, tcp_flags, ip_ttl
FROM flows"""

TYPES = {"SFLOW_5": 1, "NETFLOW_V5": 2, "NETFLOW_V9": 3, "IPFIX": 4}
PROTOS = {"TCP": 6, "UDP": 17, "ICMP": 1, "IPv6-ICMP": 58}


def json_row(f):
    return (TYPES[f["type"]], f["sequence_num"], f["sampling_rate"],
            f["sampler_address"], f["bytes"], f["packets"], f["src_addr"],
            f["dst_addr"], 0x86dd if f["etype"] == "IPv6" else 0x800,
            PROTOS.get(f["proto"], f["proto"]), f["src_port"], f["dst_port"],
            f["src_as"], f["dst_as"], f["in_if"], f["out_if"],
            f["tcp_flags"], f["ip_ttl"])


def test_kafka_to_postgres(stack, tmp_path):  # noqa: F811 (fixture)
    n = 20000
    ref = tmp_path / "ref.json"
    r = run(["-n", str(n), "-r", "0", "-s", "11", "--file", str(ref)])
    assert r.returncode == 0
    want = sorted(json_row(f) for f in xflow.read_json_flows(ref))
    with scratch(stack) as (topic, uri):
        r = run(["-n", str(n), "-r", "0", "-s", "11", "-o", "kafka",
                 "--format", "pb", "--kafka-batch", "64", "--kafka-brokers",
                 stack.brokers, "--kafka-topic", topic], timeout=120)
        assert r.returncode == 0, r.stderr.decode()[-2000:]
        st = stats(r.stderr)
        assert st["flows"] == str(n) and st["delivery_errors"] == "0"
        # 64 flows per message, one open batch per exporter (4).
        assert int(st["messages"]) <= n // 64 + 4 + 4
        ins = Inserter(stack, topic, uri, tmp_path).start()
        try:
            def count():
                with pg_connect(uri) as c:
                    try:
                        return c.execute("SELECT count(*) FROM flows").fetchone()[0]
                    except Exception:
                        return 0
            wait_for(lambda: count() >= n, 120 * xflow.timeout_scale(),
                     f"{n} rows")
            time.sleep(1.0)  # nothing more may come
            with pg_connect(uri) as c:
                got = sorted(tuple(row) for row in c.execute(ROW_SQL).fetchall())
        finally:
            assert ins.stop() == 0, ins.output()[-2000:]
    assert len(got) == n
    assert got == want
