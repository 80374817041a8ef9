# SPDX-License-Identifier: Apache-2.0
"""xdpflow-enrich end to end with the real broker (issue 9 target: >= 1M
flows/s at --kafka-batch 64 framing, transactions committed at least every
100 ms): pre-fills a fresh topic once with N flows in length-delimited
batches of --batch flows, then, --rounds times, runs xdpflow-enrich with a
fresh consumer group and output topic, an enrichment config (networks file
and interface names) and --txn-interval-ms, and measures the flows whose
offsets were committed (with their output, in the same transactions)
between the first commit and the last, from the group's committed offsets
polled every 20 ms. Two rates: "whole", from the first commit to the last
(it carries the broker's delay in showing the last commit to the probe,
a fixed cost), and "steady", from the first commit past 10% of the input
to the first past 90%. With several --build, each round runs every build
in turn (the order alternating), for side-by-side medians on a shared
machine. With --copy, each round also runs build/bench/bench_relay_copy:
the same exactly-once loop copying the bytes unchanged (no decode, enrich
or encode), the ceiling the broker and librdkafka set here. Prints one
line per run and the medians: "bench enrich-kafka: median R flows/s ...".
Uses the local stack (tests/sys/stack.py; brought up if needed, left as it
was)."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "sys"))
import stack as S  # noqa: E402

NETWORKS = """prefix,name,role,site,region,tenant,asn,country
198.18.0.0/15,lab,internal,par1,eu-west,,64512,FR
198.18.0.0/24,,customer,,,acme,,
198.19.0.0/24,peer,transit,ams1,eu-west,tenant-b,64513,NL
2001:2::/48,lab6,internal,fra1,eu-central,,64514,DE
"""
IFACES = """exporter,ifindex,name,description,speed
198.18.255.1,3000000000,et-0/0/1,uplink to core,100000000000
198.18.255.1,7,xe-1/0/7,customer acme,10000000000
"""


def cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def txn_age(s):
    """The relay's own account of its transactions' age at commit (from
    their first input message to the commit's end; late: over the
    interval), which no probe polling the committed offsets can time as
    finely."""
    n = s.get("txn_committed", 0)
    if not n or "txn_age_sum_ms" not in s:
        return "(no age stats)"
    return (f"{s['txn_age_sum_ms'] / n:.0f} ms on average (max {s['txn_age_max_ms']} ms; "
            f"{s['txn_late']} of {n} over the interval)")


def committed(c, topic, parts):
    from confluent_kafka import TopicPartition
    try:
        got = c.committed([TopicPartition(topic, p) for p in range(parts)], timeout=5)
    except Exception:
        return 0
    return sum(tp.offset for tp in got if tp.offset > 0)


def enrich_cmd(build, conf, a):
    """build: DIR, or DIR,ARG,ARG... (extra xdpflow-enrich arguments for
    this variant, after --enrich-arg's)."""
    d, *extra = build.split(",")

    def cmd(brokers, tin, tout, group, txn_id):
        return [os.path.join(S.ROOT, d, "xdpflow-enrich"), "--kafka-brokers", brokers,
                "--in-topic", tin, "--out-topic", tout, "--group", group,
                "--transactional-id", txn_id, "--config", conf,
                "--txn-interval-ms", str(a.txn_interval_ms), *a.enrich_arg, *extra]
    return cmd


def copy_cmd(a):
    def cmd(brokers, tin, tout, group, txn_id):
        return [os.path.join(S.ROOT, S.build_dir(), "bench", "bench_relay_copy"), brokers, tin,
                tout, group, txn_id, str(a.txn_interval_ms)]
    return cmd


def one_round(st, a, tin, nmsg, cmd, tmp):
    from confluent_kafka import Consumer
    from confluent_kafka.admin import AdminClient, NewTopic
    tag = uuid.uuid4().hex[:8]
    tout, group = f"bench_out_{tag}", f"bench_g_{tag}"
    admin = AdminClient({"bootstrap.servers": st.brokers})
    admin.create_topics([NewTopic(tout, num_partitions=a.partitions, replication_factor=1)])[tout].result(60)
    log = open(os.path.join(tmp, f"enrich-{tag}.log"), "wb")
    p = subprocess.Popen(cmd(st.brokers, tin, tout, group, "bench_" + tag),
                         stdout=log, stderr=subprocess.STDOUT)
    probe = Consumer({"bootstrap.servers": st.brokers, "group.id": group, "enable.auto.commit": False})
    first = last = lo = hi = None
    changes = []  # when the committed offsets moved: the commits
    prev = 0
    cpu = 0.0
    deadline = time.monotonic() + a.timeout
    try:
        while time.monotonic() < deadline and p.poll() is None:
            done = committed(probe, tin, a.partitions)
            now = time.monotonic()
            if done and first is None:
                first = (now, done)
            if done != prev:
                changes.append(now)
                prev = done
            if lo is None and done >= nmsg // 10:
                lo = (now, done)
            if hi is None and done >= nmsg * 9 // 10:
                hi = (now, done)
            if done >= nmsg:
                last = (now, done)
                cpu = cpu_s(p.pid)
                break
            time.sleep(0.02)
    finally:
        probe.close()
        if p.poll() is None:
            p.terminate()
        rc = p.wait(60)
        log.close()
        out = open(log.name, errors="replace").read()
        admin.delete_topics([tout])
    m = re.findall(r"stats (?:enrich|copy) (.*)", out)
    stats = {k: int(v) for k, v in (kv.split("=") for kv in m[-1].split())} if m else {}
    if last is None or rc != 0:
        print(out[-3000:], file=sys.stderr)
        return None
    dt = last[0] - first[0]
    flows = (last[1] - first[1]) * a.batch
    sdt = hi[0] - lo[0]
    steady = (hi[1] - lo[1]) * a.batch / sdt if sdt > 0 else 0.0
    gaps = [(b - a_) * 1000 for a_, b in zip(changes, changes[1:])]
    return dict(rate=flows / dt if dt > 0 else 0.0, steady=steady, dt=dt, flows=flows, cpu=cpu,
                cpu_flow=cpu / max(stats.get("consumed", 1) * a.batch, 1), stats=stats,
                gap_med=statistics.median(gaps) if gaps else 0.0, gap_max=max(gaps) if gaps else 0.0)


def read_only(st, a, tin, nmsg):
    """The broker's side of the bargain: a read_committed consumer (the
    same librdkafka) reading the input topic and nothing else, flows/s from
    its first message to its last."""
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": st.brokers, "group.id": "bench_ro_" + uuid.uuid4().hex[:8],
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                  "enable.auto.commit": False, "fetch.wait.max.ms": 50,
                  "max.partition.fetch.bytes": 8388608})
    c.subscribe([tin])
    n, t0 = 0, None
    deadline = time.monotonic() + a.timeout
    try:
        while n < nmsg and time.monotonic() < deadline:
            ms = c.consume(10000, 0.5)
            if ms and t0 is None:
                t0 = time.monotonic()
            n += sum(1 for m in ms if m.error() is None)
    finally:
        c.close()
    dt = time.monotonic() - (t0 or time.monotonic())
    return n * a.batch / dt if dt > 0 else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flows", type=int, default=2_000_000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--txn-interval-ms", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--build", action="append", default=[],
                    help="build directory holding xdpflow-enrich, or DIR,ARG,ARG... with "
                         "extra arguments (repeatable: every one runs each round, the order "
                         "alternating); default: $XDPFLOW_BUILD or build")
    ap.add_argument("--copy", action="store_true",
                    help="also run bench/bench_relay_copy (the same loop, bytes copied) each round")
    ap.add_argument("--enrich-arg", action="append", default=[],
                    help="extra xdpflow-enrich argument (repeatable), e.g. "
                         "--enrich-arg=-X --enrich-arg=compression.type=lz4")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-enrich-kafka-")
    with open(os.path.join(tmp, "networks.csv"), "w") as f:
        f.write(NETWORKS)
    with open(os.path.join(tmp, "interfaces.csv"), "w") as f:
        f.write(IFACES)
    conf = os.path.join(tmp, "enrich.conf")
    with open(conf, "w") as f:
        f.write("networks = networks.csv\ninterfaces = interfaces.csv\n")
    with S.shared_stack() as st:
        with S.scratch(st, a.partitions) as (tin, _uri):
            pool = []
            for j in range(256):
                flows = [S.encode_flow(S.make_mock_flow(j * a.batch + i)) for i in range(a.batch)]
                pool.append(S.delimited(flows))
            nmsg = a.flows // a.batch
            t0 = time.monotonic()
            p = S.producer(st, **{"linger.ms": 20, "batch.size": 1000000})
            S.produce(p, tin, (pool[i % len(pool)] for i in range(nmsg)), timeout=a.timeout)
            fill = time.monotonic() - t0
            builds = a.build or [S.build_dir()]
            runs = [(b, enrich_cmd(b, conf, a)) for b in builds]
            if a.copy:
                runs.append(("copy", copy_cmd(a)))
            res_by = {name: [] for name, _ in runs}
            ros = []
            for r in range(a.rounds):
                ros.append(read_only(st, a, tin, nmsg))
                order = runs if r % 2 == 0 else runs[::-1]
                for name, cmd in order:
                    res = one_round(st, a, tin, nmsg, cmd, tmp)
                    if res is None:
                        print(f"bench enrich-kafka: round {r + 1} {name} FAILED")
                        return 1
                    s = res["stats"]
                    print(f"bench enrich-kafka: round {r + 1} {name}: {res['flows']} flows in {res['dt']:.2f} s "
                          f"= {res['rate']:,.0f} flows/s whole, {res['steady']:,.0f} steady; "
                          f"{s.get('txn_committed', 0)} transactions, committed {txn_age(s)} after their "
                          f"first message (the probe saw commits every {res['gap_med']:.0f} ms, median; "
                          f"max {res['gap_max']:.0f}), {res['cpu_flow'] * 1e9:.0f} CPU ns/flow; "
                          f"read-only consumer just before: {ros[-1]:,.0f} flows/s", flush=True)
                    res_by[name].append(res)
            ro = statistics.median(ros)
            for name, _ in runs:
                rs = res_by[name]
                med = statistics.median(x["rate"] for x in rs)
                smed = statistics.median(x["steady"] for x in rs)
                cpu = statistics.median(x["cpu_flow"] for x in rs)
                what = "copy floor (bench_relay_copy)" if name == "copy" else f"xdpflow-enrich ({name})"
                print(f"bench enrich-kafka: median {med:,.0f} flows/s whole, {smed:,.0f} steady, "
                      f"{cpu * 1e9:.0f} CPU ns/flow over {a.rounds} rounds: {what} "
                      f"({med / ro:.2f}x of a read-only consumer's median {ro:,.0f} flows/s), "
                      f"{a.flows} flows in batches of {a.batch}, transactions every "
                      f"<= {a.txn_interval_ms} ms"
                      + ("" if name == "copy" else
                         f" (target >= 1,000,000: {'met' if med >= 1e6 else 'NOT met'})")
                      + f"; pre-fill {fill:.1f} s, load {os.getloadavg()[0]:.1f}")
            return 0


if __name__ == "__main__":
    sys.exit(main())
