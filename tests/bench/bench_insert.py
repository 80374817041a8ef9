# SPDX-License-Identifier: Apache-2.0
"""Inserter throughput: pre-fills a fresh topic with N flows (length-delimited
batches of --batch flows per Kafka message, or bare FlowMessages with
--batch 0), then runs xdpflow-insert on it into a fresh database and reports
the sustained rows/s into PostgreSQL, measured from the first committed batch
to the last (offsets read from kafka_offsets, so the probe costs nothing).
Uses the local stack (tests/sys/stack.py; brought up if needed, left as it
was). Prints one line: "bench insert: N rows in S s = R rows/s ...".
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "sys"))
import stack as S  # noqa: E402


def cpu_s(pid):
    """utime + stime of a process, in seconds (0 if gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flows", type=int, default=2_000_000)
    ap.add_argument("--batch", type=int, default=64, help="flows per Kafka message (0: bare)")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--profile", choices=["mock", "full"], default="mock",
                    help="mock: the fields xdpflow-mock and NetFlow/IPFIX exporters fill "
                         "(addresses, ports, AS, counters, times); full: every column incl. arrays")
    ap.add_argument("--batch-rows", default="100000")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--tmp", default="/tmp")
    ap.add_argument("--insert-arg", action="append", default=[],
                    help="extra xdpflow-insert argument (repeatable), e.g. --insert-arg=--pg-writers=3")
    a = ap.parse_args()

    with S.shared_stack() as st:
        with S.scratch(st, a.partitions) as (topic, uri):
            # A pool of distinct messages, reused: encoding in Python would
            # otherwise dominate the pre-fill.
            per = max(a.batch, 1)
            pool = []
            for j in range(256):
                make = S.make_flow if a.profile == "full" else S.make_mock_flow
                flows = [S.encode_flow(make(j * per + i)) for i in range(per)]
                pool.append(S.delimited(flows) if a.batch else flows[0])
            nmsg = a.flows // per
            t0 = time.monotonic()
            p = S.producer(st, **{"linger.ms": 20, "batch.size": 1000000})
            S.produce(p, topic, (pool[i % len(pool)] for i in range(nmsg)), timeout=a.timeout)
            fill = time.monotonic() - t0
            rows = nmsg * per
            ins = S.Inserter(st, topic, uri, a.tmp, "--batch-rows", a.batch_rows,
                             "--batch-ms", "1000", *a.insert_arg)
            ins.start()
            first = last = backend = None
            cpu = (0.0, 0.0)
            deadline = time.monotonic() + a.timeout
            try:
                with S.pg_connect(uri) as c:
                    while time.monotonic() < deadline:
                        try:
                            done = c.execute("SELECT coalesce(sum(next_offset), 0)::bigint FROM kafka_offsets").fetchone()[0]
                        except Exception:
                            done = 0
                        now = time.monotonic()
                        if done and first is None:
                            first = (now, done)
                        if done and backend is None:
                            backend = [r[0] for r in c.execute(
                                "SELECT pid FROM pg_stat_activity WHERE "
                                "application_name = 'xdpflow-insert'").fetchall()]
                        if done >= nmsg:
                            last = (now, done)
                            cpu = (cpu_s(ins.proc.pid), sum(cpu_s(b) for b in backend or []))
                            break
                        time.sleep(0.05)
            finally:
                rc = ins.stop()
            if os.environ.get("BENCH_SHOW_LOG"):
                print(ins.output()[-6000:], file=sys.stderr)
            if last is None:
                print(ins.output()[-2000:], file=sys.stderr)
                print(f"bench insert: FAILED, not all rows arrived in {a.timeout}s")
                return 1
            n = S.count_rows(uri)
            dt = last[0] - first[0]
            moved = (last[1] - first[1]) * per
            rate = moved / dt if dt > 0 else float("inf")
            print(f"bench insert: {n} rows (expected {rows}) {per if a.batch else 'bare'} flows/message, "
                  f"{a.profile} fields, {moved} rows in {dt:.2f} s after the first batch = {rate:,.0f} rows/s "
                  f"(pre-fill {fill:.1f} s, inserter exit {rc}; CPU s: inserter {cpu[0]:.1f}, "
                  f"postgres backends {cpu[1]:.1f} = {(cpu[0] + cpu[1]) / rows * 1e6:.2f} CPU us/row; "
                  f"load {os.getloadavg()[0]:.1f})")
            return 0 if n == rows and rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
