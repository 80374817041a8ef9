# SPDX-License-Identifier: Apache-2.0
"""The whole pipeline end to end on this machine: export packets -> live
xdpflowd (-o kafka --format pb) -> the real Kafka broker -> xdpflow-insert ->
the real PostgreSQL (the local stack, tests/sys/stack.py; each test has its
own topic and database).

1. Real exporters (softflowd reading a generated traffic capture, pmacctd
   nfprobe) while dumpcap captures their export packets. The oracle is the
   capture decoded offline by `xdpflowd --pcap --format json`, itself checked
   against tshark's decode of the same packets. The flows table must then hold
   exactly the oracle's N flows, field for field (addresses, ports, protocol,
   bytes, packets, exporter address and port, type, sequence number, sampling
   rate, flow start/end), each once; time_received inside the test's run.
2. The collector restarted mid-stream with its --templates-file, NetFlow v9
   and IPFIX datagrams built here with a unique key per flow:
   - SIGTERM: templates + data, stop, restart, data sets WITHOUT templates:
     every flow is decoded by the restarted collector (no set held, no
     error), the topic holds exactly the flows sent in send order, and the
     table exactly those flows, once each.
   - SIGKILL. What is guaranteed, and asserted exactly: (a) flows published
     before the kill (phase 1: all of them seen in PostgreSQL, and the
     templates file on disk, before the kill) are in the table exactly once;
     (b) datagrams sent just before the kill (phase 2, in flight: in the
     socket buffer, in an open batch or in librdkafka's queue) may be lost,
     but only as a suffix: the topic holds a prefix of phase 2's flows in
     send order, each at most once; (c) every flow of the data-only
     datagrams sent to the restarted collector (phase 3) is decoded with the
     templates from the file and is in the table exactly once. So the topic,
     read back from its start, is exactly phase1 + phase2[:k] + phase3 for
     one k, and the table holds exactly the topic's flows, none twice.

Every wait is bounded (scaled for the ASan build); every process started is
stopped, or killed, in a finaliser.
"""
import collections
import threading
import time

import pytest

import xflow
from conftest import require_tool
from stack import Inserter, count_rows, pg_connect, scratch, stack, wait_for  # noqa: F401

pytestmark = pytest.mark.timeout(300)

EXPORTER_TIMEOUT = 60
TYPES = {"SFLOW_5": 1, "NETFLOW_V5": 2, "NETFLOW_V9": 3, "IPFIX": 4}

# Columns compared for every row, each named as in FlowMessage/norm_flow.
COLUMNS = ("type", "sequence_num", "sampling_rate", "sampler_address",
           "sampler_port", "src_addr", "dst_addr", "src_port", "dst_port",
           "proto", "etype", "bytes", "packets", "in_if", "out_if",
           "tcp_flags", "ip_tos", "icmp_type", "icmp_code", "src_as",
           "dst_as", "next_hop", "ipv6_flow_label", "observation_domain_id",
           "time_flow_start_ns", "time_flow_end_ns")
_ADDR_COLS = ("sampler_address", "src_addr", "dst_addr", "next_hop")
_TIME_COLS = ("time_flow_start_ns", "time_flow_end_ns")


def _sql_col(c):
    if c in _ADDR_COLS:
        return f"coalesce(host({c}), '')"
    if c in _TIME_COLS:
        return f"coalesce((extract(epoch FROM {c[:-3]}) * 1000000)::bigint, 0)"
    return c


ROW_SQL = "SELECT " + ", ".join(_sql_col(c) for c in COLUMNS) + \
    ", (extract(epoch FROM time_received) * 1000000)::bigint FROM flows"


def flow_row(f):
    """The compared columns of a normalised flow, as the row must hold them."""
    out = []
    for c in COLUMNS:
        v = f.get(c, 0)
        if c == "type":
            v = TYPES[v]
        elif c in _ADDR_COLS:
            v = xflow.norm_addr(v)
        elif c in _TIME_COLS:
            v = int(v) // 1000
        else:
            v = int(v)
        out.append(v)
    return tuple(out)


def rows(uri):
    """(compared columns, time_received in µs) of every row of flows."""
    with pg_connect(uri) as c:
        got = c.execute(ROW_SQL).fetchall()
    return [tuple(r[:-1]) for r in got], [r[-1] for r in got]


def scaled(seconds):
    return seconds * xflow.timeout_scale()


def kafka_args(stack, topic, batch):
    return ["-o", "kafka", "--format", "pb", "--kafka-batch", str(batch),
            "--kafka-brokers", stack.brokers, "--kafka-topic", topic]


def read_topic(stack, topic, timeout=60.0):
    """Every message of topic from its start: {partition: [value, ...]} in
    offset order (bounded in time)."""
    from confluent_kafka import Consumer, KafkaError, TopicPartition
    c = Consumer({"bootstrap.servers": stack.brokers, "group.id": "oracle-" + topic,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "enable.partition.eof": True})
    try:
        md = c.list_topics(topic, timeout=30)
        parts = sorted(md.topics[topic].partitions)
        ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
                for p in parts}
        out = {p: [] for p in parts}
        todo = {p for p in parts if ends[p] > 0}
        c.assign([TopicPartition(topic, p, 0) for p in todo])
        deadline = time.monotonic() + scaled(timeout)
        while todo:
            assert time.monotonic() < deadline, f"reading {topic}: partitions {todo} unfinished"
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                assert m.error().code() == KafkaError._PARTITION_EOF, f"reading {topic}: {m.error()}"
                todo.discard(m.partition())
                continue
            if m.offset() < ends[m.partition()]:
                out[m.partition()].append(m.value())
            if m.offset() + 1 >= ends[m.partition()]:
                todo.discard(m.partition())
        return out, ends
    finally:
        c.close()


def topic_flows(stack, topic, tmp_path):
    """(flows of the topic's only non-empty partition in offset order, as
    normalised dicts; number of messages). The collector keys messages by
    exporter, and every test here has one exporter: one partition."""
    parts, ends = read_topic(stack, topic)
    used = [p for p, v in parts.items() if v]
    assert len(used) <= 1, f"one exporter's flows spread over partitions {used}"
    mod = xflow.pb_module(tmp_path.parent / "flowpb")
    flows, msgs = [], 0
    for p in used:
        for value in parts[p]:
            msgs += 1
            for raw in xflow.split_delimited(value):
                m = mod.FlowMessage()
                m.ParseFromString(raw)
                flows.append(xflow.norm_flow(xflow.pb_to_dict(m)))
    return flows, msgs


def wait_rows(uri, n, what, timeout=120.0):
    wait_for(lambda: count_rows(uri) >= n, scaled(timeout), f"{n} rows ({what})")
    time.sleep(1.0)  # nothing more may come
    got = count_rows(uri)
    assert got == n, f"{what}: {got} rows, {n} expected"


def assert_inserter_clean(ins, nrows):
    rc = ins.stop()
    out = ins.output()
    assert rc == 0, out[-3000:]
    assert f"stats insert rows={nrows} " in out and "dead_letters=0" in out, out[-3000:]
    assert not xflow.SANITIZER_RE.search(out), out[-6000:]


# ------------------------------------------------------------ 1. exporters

# Distinct flows (unique 5-tuples), IPv4 and IPv6, TCP, UDP, ICMP: what the
# real exporters read from the generated capture.
def _traffic_flows():
    out = []
    for i in range(240):
        v6 = i % 2 == 1
        src = f"2001:2::{0x1000 + i:x}" if v6 else f"198.18.{i // 200}.{i % 200 + 1}"
        dst = f"2001:2:0:1::{i % 7 + 1:x}" if v6 else f"198.19.{i % 5}.{i % 7 + 1}"
        if i % 40 == 7:
            proto, sport, dport = (58 if v6 else 1), 0, 0
        elif i % 3 == 0:
            proto, sport, dport = 17, 30000 + i, 53 + i % 4
        else:
            proto, sport, dport = 6, 20000 + i, (443, 80, 22)[i % 3]
        out.append(xflow.TrafficFlow(src, dst, proto, sport, dport, 1 + i % 4, 40 + (i * 37) % 900))
    return out


@pytest.fixture(scope="module")
def traffic(tmp_path_factory):
    d = tmp_path_factory.mktemp("pipeline-traffic")
    path = d / "traffic.pcap"
    return path, xflow.write_traffic(path, t0=1700000000.0, flows=_traffic_flows())


def run_exporter(tool, version, pcap, port, tmp):
    import subprocess
    if tool == "softflowd":
        cmd = ["softflowd", "-r", str(pcap), "-n", f"127.0.0.1:{port}", "-v", version,
               "-d", "-a", "-c", "none", "-p", str(tmp / "sf.pid"), "-6"]
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=EXPORTER_TIMEOUT)
    conf = tmp / "pmacctd.conf"
    conf.write_text("\n".join([
        "daemonize: false", f"pcap_savefile: {pcap}", "pcap_savefile_wait: false",
        "logfile: " + str(tmp / "pm.log"), "plugins: nfprobe",
        f"nfprobe_receiver: 127.0.0.1:{port}", f"nfprobe_version: {version}"]) + "\n")
    return subprocess.run(["pmacctd", "-f", str(conf)], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=EXPORTER_TIMEOUT)


# (id, exporter, NetFlow version, --kafka-batch)
EXPORTERS = [
    ("softflowd-v9-batch64", "softflowd", "9", 64),
    ("softflowd-ipfix-batch64", "softflowd", "10", 64),
    ("pmacctd-v9-batch64", "pmacctd", "9", 64),
    ("pmacctd-ipfix-batch64", "pmacctd", "10", 64),
    ("softflowd-v9-batch1", "softflowd", "9", 1),
]


@pytest.mark.parametrize("name,tool,version,batch", EXPORTERS, ids=[e[0] for e in EXPORTERS])
def test_exporter_to_postgres(name, tool, version, batch, traffic, stack, daemon,  # noqa: F811
                              tmp_path):
    require_tool(tool)
    require_tool("dumpcap")
    require_tool("tshark")
    pcap, generated = traffic
    port = xflow.free_udp_port()
    with scratch(stack) as (topic, uri):
        ins = Inserter(stack, topic, uri, tmp_path).start()
        try:
            t_begin = time.time()
            d = daemon(["-l", f"netflow://127.0.0.1:{port}", *kafka_args(stack, topic, batch)],
                       ports=[port])
            cap = xflow.Capture(tmp_path / "export.pcap", f"udp and dst port {port}").start()
            try:
                p = run_exporter(tool, version, pcap, port, tmp_path)
                d.wait_drained([port])
            finally:
                cap.stop()
            assert p.returncode == 0 or (
                tool == "pmacctd" and xflow.pmacctd_clean_shutdown(tmp_path / "pm.log")), \
                f"{tool} failed: {p.stderr.decode()[-2000:]}"
            r = d.stop()
            t_end = time.time()
            r.assert_clean_exit()

            # The oracle: the captured export packets decoded offline,
            # checked against tshark's decode of the same packets.
            exported = xflow.read_pcap_udp(cap.path)
            assert exported, f"{name}: no export packet captured"
            ref = xflow.run_pcap(cap.path, tmp_path, "json",
                                 ["-l", f"netflow://127.0.0.1:{port}"])
            ref.assert_clean_exit()
            oracle = [xflow.norm_flow(f) for f in ref.flows()]
            tsh = xflow.tshark_cflow(xflow.uncount_v9(cap.path, tmp_path / "uncounted.pcap")
                                     if version == "9" else cap.path, port)
            diff = xflow.compare_cflow(tsh, oracle)
            assert not diff, f"{name}: offline decode vs tshark\n{diff}"
            # The harness works: every generated flow was exported, whole.
            for g in generated:
                per = [f for f in oracle if (f["src_addr"], f["dst_addr"], f["proto"]) ==
                       (g.src, g.dst, g.proto)]
                assert sum(f["packets"] for f in per) == g.packets, (name, g, per)
                assert sum(f["bytes"] for f in per) == g.bytes, (name, g, per)
            n = len(oracle)
            want = [flow_row(f) for f in oracle]
            assert len(set(want)) == n, f"{name}: the oracle holds identical flows"
            assert {f["sampler_address"] for f in oracle} == {"127.0.0.1"}

            # The live collector saw every packet and published every flow.
            st = r.stats
            assert st.exporter("127.0.0.1")["packets"] == len(exported), st.lines
            assert st.errors() == 0, st.lines
            assert st.publish["flows"] == n, st.lines
            assert st.publish["delivery_errors"] == 0, st.lines
            assert st.publish["delivered"] == st.publish["messages"], st.lines
            if batch == 1:
                assert st.publish["messages"] == n, st.lines
            else:
                assert st.publish["messages"] <= n // batch + len(exported), st.lines

            # Kafka holds exactly those flows.
            tflows, msgs = topic_flows(stack, topic, tmp_path)
            assert msgs == st.publish["messages"]
            diff = xflow.multiset_diff(want, [flow_row(f) for f in tflows])
            assert not diff, f"{name}: topic vs oracle\n{diff}"

            # PostgreSQL holds exactly those flows, each once.
            wait_rows(uri, n, name)
            got, received = rows(uri)
            diff = xflow.multiset_diff(want, got)
            assert not diff, f"{name}: flows table vs oracle\n{diff}"
            lo, hi = int(t_begin * 1e6), int(t_end * 1e6)
            late = [t for t in received if not lo <= t <= hi]
            assert not late, f"{name}: time_received outside the run: {late[:5]}"
            print(f"{name}: {len(exported)} export packets, {n} flows, "
                  f"{msgs} Kafka messages, {n} rows")
            assert_inserter_clean(ins, n)
        finally:
            ins.kill()


# ------------------------------------------------------- 2. collector restart

V9_TID, IPFIX_TID = 280, 281
V9_SOURCE, IPFIX_DOMAIN = 7, 8
RECS_PER_SET = 20
UNIX_SECS = 1700000000


class Exporter:
    """A NetFlow v9 + IPFIX exporter built here: every flow has a unique
    source port and byte count; datagrams alternate v9 / IPFIX, with proper
    sequence numbers (v9 per packet, IPFIX per record)."""

    def __init__(self):
        self.next_flow = 0
        self.v9_seq = 0
        self.ipfix_seq = 0

    @staticmethod
    def templates():
        return [xflow.nf9([xflow.template_set(V9_TID, xflow.NF9_FIELDS, False)],
                          source_id=V9_SOURCE),
                xflow.ipfix([xflow.template_set(IPFIX_TID, xflow.IPFIX_FIELDS, True)],
                            domain=IPFIX_DOMAIN)]

    def _recs(self):
        out = []
        for _ in range(RECS_PER_SET):
            i = self.next_flow
            self.next_flow += 1
            assert i < 40000
            out.append(xflow.Rec(f"198.18.{i // 250}.{i % 250 + 1}", f"198.19.{i % 8}.1",
                                 10000 + i, 443 if i % 2 else 53, 6 if i % 2 else 17,
                                 100000 + i, 1 + i % 97,
                                 UNIX_SECS * 1000 - 60000 + i % 1000,
                                 UNIX_SECS * 1000 - 1000 + i % 500))
        return out

    def data(self, ndatagrams):
        """ndatagrams data-only datagrams; returns (payloads, expected rows
        in send order)."""
        payloads, want = [], []
        for k in range(ndatagrams):
            recs = self._recs()
            if k % 2 == 0:
                self.v9_seq += 1
                payloads.append(xflow.nf9([xflow.data_set(V9_TID, recs, False)],
                                          seq=self.v9_seq, source_id=V9_SOURCE))
                typ, seq = 3, self.v9_seq
            else:
                payloads.append(xflow.ipfix([xflow.data_set(IPFIX_TID, recs, True)],
                                            seq=self.ipfix_seq, domain=IPFIX_DOMAIN))
                typ, seq = 4, self.ipfix_seq
                self.ipfix_seq += len(recs)
            want += [rec_key(r, typ, seq) for r in recs]
        return payloads, want


def rec_key(r, typ, seq):
    return (typ, seq, r.src, r.dst, r.sport, r.dport, r.proto, r.bytes, r.packets,
            "127.0.0.1", r.start_ms * 1000, r.end_ms * 1000)


def flow_key(f):
    return (TYPES[f["type"]], int(f["sequence_num"]), f["src_addr"], f["dst_addr"],
            int(f["src_port"]), int(f["dst_port"]), f["proto"], int(f["bytes"]),
            int(f["packets"]), f["sampler_address"], int(f["time_flow_start_ns"]) // 1000,
            int(f["time_flow_end_ns"]) // 1000)


KEY_SQL = """
SELECT type, sequence_num, host(src_addr), host(dst_addr), src_port, dst_port, proto,
       bytes, packets, host(sampler_address),
       (extract(epoch FROM time_flow_start) * 1000000)::bigint,
       (extract(epoch FROM time_flow_end) * 1000000)::bigint
FROM flows"""


def table_keys(uri):
    with pg_connect(uri) as c:
        return [tuple(r) for r in c.execute(KEY_SQL).fetchall()]


def assert_once(uri, want, what):
    """The table holds exactly the flows of want (all distinct), each once."""
    assert len(set(want)) == len(want)
    got = table_keys(uri)
    dup = [k for k, n in collections.Counter(got).items() if n > 1]
    assert not dup, f"{what}: flows twice in the table: {dup[:5]}"
    diff = xflow.multiset_diff(want, got)
    assert not diff, f"{what}: table vs expected\n{diff}"


def collector(daemon, stack, topic, port, tf, name, batch=64):
    return daemon(["-l", f"netflow://127.0.0.1:{port}", *kafka_args(stack, topic, batch),
                   "--templates-file", tf], ports=[port], name=name)


def assert_decoded_all(r, nflows, what):
    """The run decoded every datagram it got with known templates."""
    r.assert_clean_exit()
    st = r.stats
    e = st.exporter("127.0.0.1")
    assert e["flows"] == nflows, f"{what}: {st.lines}"
    assert e["sets_held"] == 0 and st.errors() == 0, f"{what}: {st.lines}"
    assert st.publish["flows"] == nflows and st.publish["delivery_errors"] == 0, st.lines
    assert st.publish["delivered"] == st.publish["messages"], st.lines


def test_collector_sigterm_restart_templates_file(stack, daemon, tmp_path):  # noqa: F811
    tf = tmp_path / "templates"
    port = xflow.free_udp_port()
    exp = Exporter()
    with scratch(stack) as (topic, uri):
        ins = Inserter(stack, topic, uri, tmp_path).start()
        try:
            # First run: templates, then data.
            d1 = collector(daemon, stack, topic, port, tf, "first")
            data1, want1 = exp.data(40)
            send(Exporter.templates() + data1, port)
            d1.wait_drained([port])
            r1 = d1.stop()
            assert_decoded_all(r1, len(want1), "first run")
            assert r1.stats.exporter("127.0.0.1")["templates"] == 2, r1.stats.lines
            assert tf.is_file() and tf.stat().st_size > 0, "templates file not saved at exit"

            # Second run: the same templates file, data sets only.
            d2 = collector(daemon, stack, topic, port, tf, "second")
            data2, want2 = exp.data(40)
            send(data2, port)
            d2.wait_drained([port])
            r2 = d2.stop()
            assert_decoded_all(r2, len(want2), "restarted run, data sets only")
            assert r2.stats.exporter("127.0.0.1")["templates"] == 0, r2.stats.lines

            want = want1 + want2
            tflows, _ = topic_flows(stack, topic, tmp_path)
            assert [flow_key(f) for f in tflows] == want, \
                "the topic does not hold exactly the flows sent, in order"
            wait_rows(uri, len(want), "SIGTERM restart")
            assert_once(uri, want, "SIGTERM restart")
            assert_inserter_clean(ins, len(want))
        finally:
            ins.kill()


def send(payloads, port, pace=0.0):
    """Sends from one socket, in order (one exporter, one source port)."""
    xflow.send_udp(payloads, port, pace=pace)


class Sender(threading.Thread):
    """Sends payloads paced from one socket; records how many it sent."""

    def __init__(self, payloads, port, pace):
        super().__init__(daemon=True)
        self.payloads, self.port, self.pace = payloads, port, pace
        self.sent = 0
        self.error = None

    def run(self):
        try:
            with xflow.socket.socket(xflow.socket.AF_INET, xflow.socket.SOCK_DGRAM) as s:
                for p in self.payloads:
                    s.sendto(p, ("127.0.0.1", self.port))
                    self.sent += 1
                    time.sleep(self.pace)
        except Exception as e:  # reported by the test
            self.error = e


def test_collector_sigkill_restart_templates_file(stack, daemon, tmp_path):  # noqa: F811
    tf = tmp_path / "templates"
    port = xflow.free_udp_port()
    exp = Exporter()
    with scratch(stack) as (topic, uri):
        ins = Inserter(stack, topic, uri, tmp_path).start()
        try:
            d1 = collector(daemon, stack, topic, port, tf, "first")
            # Phase 1: templates and data, published (all in PostgreSQL) and
            # the templates saved to the file (at most every 5 s) before the
            # kill.
            data1, want1 = exp.data(40)
            send(Exporter.templates() + data1, port)
            d1.wait_drained([port])
            wait_for(lambda: count_rows(uri) >= len(want1), scaled(90), "phase 1 rows")
            wait_for(lambda: tf.is_file() and tf.stat().st_size > 0, scaled(20),
                     "the templates file written by the running collector")
            assert_once(uri, want1, "phase 1, before the kill")

            # Phase 2: datagrams in flight when the collector is killed.
            # About 1.2 s of datagrams; the kill comes half way, so the
            # rest go to a closed port (lost, as UDP to a dead collector is).
            data2, want2 = exp.data(400)
            sender = Sender(data2, port, 0.003)
            sender.start()
            wait_for(lambda: sender.sent >= len(data2) // 2 or not sender.is_alive(),
                     scaled(30), "half of phase 2 sent")
            d1.kill()
            assert d1.proc.returncode == -9, d1.proc.returncode
            sender.join(scaled(30))
            assert not sender.is_alive() and sender.error is None, sender.error
            assert not xflow.SANITIZER_RE.search(d1.stderr()), d1.stderr()[-6000:]

            # Phase 3: a restarted collector, the same templates file, data
            # sets only.
            d2 = collector(daemon, stack, topic, port, tf, "second")
            data3, want3 = exp.data(40)
            send(data3, port)
            d2.wait_drained([port])
            r2 = d2.stop()
            assert_decoded_all(r2, len(want3), "restarted after SIGKILL, data sets only")

            # The topic: phase 1, a prefix of phase 2, phase 3, in send order.
            got = [flow_key(f) for f in topic_flows(stack, topic, tmp_path)[0]]
            k = len(got) - len(want1) - len(want3)
            assert 0 <= k <= len(want2), f"{len(got)} flows in the topic"
            assert got == want1 + want2[:k] + want3, \
                "the topic is not phase 1 + a prefix of phase 2 + phase 3"
            # The table: exactly the topic's flows, once each.
            wait_rows(uri, len(got), "SIGKILL restart")
            assert_once(uri, got, "SIGKILL restart")
            print(f"phase 2 (in flight at SIGKILL): {k} of {len(want2)} flows published")
            assert_inserter_clean(ins, len(got))
        finally:
            ins.kill()
