# SPDX-License-Identifier: Apache-2.0
"""xdpflow-enrich with the real broker (tests/sys/stack.py): flows in one
topic come out in the other, message by message in the same framing and
with the same key, each flow field by field; and exactly once: SIGKILLs at
several moments mid-stream, each followed by a restart, leave every input
flow exactly once in the output topic as a read_committed consumer sees
it. Every wait is bounded."""
import contextlib
import os
import re
import signal
import subprocess
import time
import uuid

import pytest

import xflow
from stack import build_dir, make_flow, producer, stack, wait_for  # noqa: F401 (stack is a fixture)

ENRICH = "xdpflow-enrich"


def binary():
    return os.path.join(build_dir(), ENRICH)


def pb(tmp_path):
    return xflow.pb_module(tmp_path / "pb")


def flow_bytes(mod, seq):
    """FlowMessage bytes of make_flow(seq) as protobuf serializes them:
    fields in number order, repeated ones packed, as xdpflowd writes."""
    f = make_flow(seq)
    f = {k: v for k, v in f.items() if v not in (0, b"", [])}
    return mod.FlowMessage(**f).SerializeToString()


def delimited(msgs):
    return b"".join(_varint(len(m)) + m for m in msgs)


def _varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


@contextlib.contextmanager
def topics(stack, partitions=4):
    """Fresh input and output topics; deleted afterwards."""
    from confluent_kafka.admin import AdminClient, NewTopic
    tag = uuid.uuid4().hex[:10]
    names = (f"in_{tag}", f"out_{tag}")
    admin = AdminClient({"bootstrap.servers": stack.brokers})
    fut = admin.create_topics([NewTopic(n, num_partitions=partitions, replication_factor=1)
                               for n in names], operation_timeout=30)
    for n in names:
        fut[n].result(timeout=60)
    try:
        yield names
    finally:
        with contextlib.suppress(Exception):
            for f in admin.delete_topics(list(names), operation_timeout=30).values():
                f.result(timeout=60)


def produce_keyed(stack, topic, items):
    """items: (key, value) pairs, produced and flushed."""
    p = producer(stack)
    errors = []
    for k, v in items:
        while True:
            try:
                p.produce(topic, v, key=k,
                          on_delivery=lambda e, _m: e and errors.append(e))
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    assert p.flush(120) == 0 and not errors, errors[:3]


class Enrich:
    """An xdpflow-enrich process with its output in a log file."""

    def __init__(self, stack, tin, tout, tmp_path, *extra, txn_id=None):
        self.log_path = tmp_path / f"enrich-{uuid.uuid4().hex[:6]}.log"
        self.args = [binary(), "--kafka-brokers", stack.brokers, "--in-topic", tin,
                     "--out-topic", tout, "--group", "g_" + tin,
                     "--transactional-id", txn_id or ("tx_" + tin),
                     "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500",
                     *extra]
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self.log.close()

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
                raise AssertionError("xdpflow-enrich did not stop on SIGTERM in time")
        self.log.close()
        return self.proc.returncode

    def output(self):
        return self.log_path.read_text(errors="replace")

    def stats(self):
        m = re.findall(r"stats enrich (.*)", self.output())
        assert m, self.output()[-2000:]
        return {k: int(v) for k, v in (kv.split("=") for kv in m[-1].split())}


class Reader:
    """A read_committed consumer of the whole output topic."""

    def __init__(self, stack, topic):
        from confluent_kafka import Consumer
        self.c = Consumer({"bootstrap.servers": stack.brokers,
                           "group.id": "r_" + uuid.uuid4().hex[:8],
                           "auto.offset.reset": "earliest",
                           "isolation.level": "read_committed",
                           "enable.auto.commit": False})
        self.c.subscribe([topic])
        self.msgs = []

    def read(self, until, timeout):
        """Reads until until(self.msgs) or timeout seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not until(self.msgs):
            for m in self.c.consume(1000, 0.2):
                if m.error() is None:
                    self.msgs.append(m)
        return self.msgs

    def close(self):
        self.c.close()


def split(buf):
    return xflow.split_delimited(buf)


@pytest.mark.parametrize("framing", ["delimited", "single", "mixed"])
def test_framing_key_and_bytes_kept(stack, tmp_path, framing):
    """Without --config, every flow comes out as it went in: the same
    bytes (decode then encode gives what protobuf wrote), message by
    message in the same framing (64 flows a batch, a bare flow alone, both
    in one topic), with the same key."""
    mod = pb(tmp_path)
    items = []
    seq = 0
    for i in range(300):
        key = bytes([198, 18, 255, 1 + i % 5])
        if framing == "delimited" or (framing == "mixed" and i % 2):
            body = delimited([flow_bytes(mod, seq + j) for j in range(64)])
            seq += 64
        else:
            body = flow_bytes(mod, seq)
            seq += 1
        items.append((key, body))
    with topics(stack) as (tin, tout):
        produce_keyed(stack, tin, items)
        e = Enrich(stack, tin, tout, tmp_path).start()
        r = Reader(stack, tout)
        try:
            got = r.read(lambda m: len(m) >= len(items), 90)
            assert len(got) == len(items), f"{len(got)} of {len(items)} messages"
            r.read(lambda m: False, 2)  # nothing more comes
            assert len(r.msgs) == len(items)
        finally:
            r.close()
            rc = e.stop()
        assert rc == 0, e.output()[-2000:]
        assert sorted((m.key(), m.value()) for m in r.msgs) == sorted(items)
        st = e.stats()
        assert st["consumed"] == len(items) and st["produced"] == len(items)
        assert st["consumed_flows"] == seq and st["produced_flows"] == seq
        assert st["decode_errors"] == 0 and st["txn_aborted"] == 0
        assert st["txn_committed"] >= 1


def test_fields_one_by_one(stack, tmp_path):
    """Each output flow decodes (protobuf) to the input flow's fields."""
    mod = pb(tmp_path)
    n = 640
    with topics(stack, partitions=1) as (tin, tout):
        produce_keyed(stack, tin, [(None, delimited([flow_bytes(mod, s) for s in range(i, i + 64)]))
                                   for i in range(0, n, 64)])
        e = Enrich(stack, tin, tout, tmp_path).start()
        r = Reader(stack, tout)
        try:
            got = r.read(lambda m: len(m) >= n // 64, 90)
        finally:
            r.close()
            assert e.stop() == 0
        flows = []
        for m in got:
            for raw in split(m.value()):
                fm = mod.FlowMessage()
                fm.ParseFromString(raw)
                flows.append(xflow.pb_to_dict(fm))
        want = []
        for s in range(n):
            fm = mod.FlowMessage()
            fm.ParseFromString(flow_bytes(mod, s))
            want.append(xflow.pb_to_dict(fm))
        assert len(flows) == n
        for g, w in zip(sorted(flows, key=lambda d: d["sequence_num"]), want):
            for k in w:
                assert g[k] == w[k], f"flow {w['sequence_num']} field {k}: {g[k]!r} != {w[k]!r}"


def test_undecodable_message_skipped(stack, tmp_path):
    """A message that is no FlowMessage is counted and skipped; the flows
    around it go through, and nothing is aborted for it."""
    mod = pb(tmp_path)
    items = [(None, flow_bytes(mod, 1)), (None, b"\xff\xff\xff garbage"),
             (None, delimited([flow_bytes(mod, 2), flow_bytes(mod, 3)])), (None, b"")]
    with topics(stack, partitions=1) as (tin, tout):
        produce_keyed(stack, tin, items)
        e = Enrich(stack, tin, tout, tmp_path).start()
        r = Reader(stack, tout)
        try:
            got = r.read(lambda m: len(m) >= 2, 60)
            r.read(lambda m: False, 2)
        finally:
            r.close()
            assert e.stop() == 0
        assert [m.value() for m in got] == [items[0][1], items[2][1]]
        st = e.stats()
        assert st["decode_errors"] == 2 and st["consumed"] == 4 and st["txn_aborted"] == 0
        assert "skipped an undecodable message" in e.output()


def test_sigkill_mid_stream_exactly_once(stack, tmp_path):
    """SIGKILL at several moments while the topic is being relayed, each
    followed by a restart with the same transactional.id: a read_committed
    consumer of the output sees every input flow exactly once."""
    mod = pb(tmp_path)
    batches, per = 2500, 64
    n = batches * per
    items = []
    for b in range(batches):
        key = bytes([198, 18, 255, 1 + b % 7])
        if b % 50 == 0:  # some bare flows among the batches
            items.append((key, flow_bytes(mod, b * per)))
            items += [(key, flow_bytes(mod, s)) for s in range(b * per + 1, (b + 1) * per)]
        else:
            items.append((key, delimited([flow_bytes(mod, s) for s in range(b * per, (b + 1) * per)])))
    with topics(stack) as (tin, tout):
        produce_keyed(stack, tin, items)
        r = Reader(stack, tout)
        kills = 0
        try:
            # Kill after each of these many committed output messages, then
            # restart; the last run goes to the end.
            for target in (len(items) // 6, len(items) // 3, len(items) // 2, 2 * len(items) // 3):
                e = Enrich(stack, tin, tout, tmp_path, "--txn-interval-ms", "50").start()
                r.read(lambda m: len(m) >= target, 120)
                assert e.proc.poll() is None, e.output()[-2000:]
                e.kill()
                kills += 1
            assert len(r.msgs) < len(items), "relayed everything before the last kill"
            e = Enrich(stack, tin, tout, tmp_path).start()
            r.read(lambda m: sum(flows_in(x.value()) for x in m) >= n, 180)
            r.read(lambda m: False, 3)  # and no duplicate comes late
        finally:
            r.close()
        assert e.stop() == 0, e.output()[-2000:]
        assert kills == 4
        seqs = []
        for m in r.msgs:
            for raw in split(m.value()) if is_batch(m.value()) else [m.value()]:
                fm = mod.FlowMessage()
                fm.ParseFromString(raw)
                seqs.append(fm.sequence_num)
        assert len(seqs) == n, f"{len(seqs)} flows out for {n} in"
        assert sorted(seqs) == list(range(n)), "flows lost or duplicated"


def is_batch(buf):
    """This test's input: a bare flow starts with field 1 (type, 0x08); a
    batch with its first flow's length (over 100 bytes, never 8)."""
    return buf[:1] != b"\x08"


def flows_in(buf):
    return len(split(buf)) if is_batch(buf) else 1


def test_two_instances_same_transactional_id(stack, tmp_path):
    """A second instance with the same transactional.id fences the first,
    which stops with exit status 1 and says why, in bounded time."""
    mod = pb(tmp_path)
    with topics(stack, partitions=2) as (tin, tout):
        produce_keyed(stack, tin, [(None, flow_bytes(mod, s)) for s in range(100)])
        a = Enrich(stack, tin, tout, tmp_path, txn_id="tx_same_" + tin).start()
        r = Reader(stack, tout)
        b = None
        try:
            r.read(lambda m: len(m) >= 100, 60)
            b = Enrich(stack, tin, tout, tmp_path, txn_id="tx_same_" + tin).start()
            # b has initialised its transactions (fencing a) before more
            # input comes, so a meets the fence at its next transaction.
            wait_for(lambda: "relaying" in b.output(), 60, "the second instance to start")
            produce_keyed(stack, tin, [(None, flow_bytes(mod, s)) for s in range(100, 200)])
            wait_for(lambda: a.proc.poll() is not None, 60, "the fenced instance to stop")
            assert a.proc.returncode == 1, a.output()[-2000:]
            assert re.search(r"fenced|fatal", a.output(), re.I), a.output()[-2000:]
            assert b.stop() == 0, b.output()[-2000:]
        finally:
            r.close()
            a.kill()
            if b is not None:
                b.kill()  # a no-op once it stopped; never left running


@pytest.mark.parametrize("args,needle", [
    (["--in-topic", "x", "--out-topic", "x"], "must differ"),
    (["--txn-interval-ms", "0"], "--txn-interval-ms"),
    (["-X", "nonsense"], "property=value"),
    (["--bogus"], "bogus"),
    (["stray"], "stray"),
    (["--poll-ms", "500"], "--poll-ms needs --config"),
    (["--config", "/nonexistent/enrich.conf", "--in-topic", "a", "--out-topic", "a"], "must differ"),
])
def test_bad_command_line(args, needle):
    r = subprocess.run([binary(), *args], capture_output=True, text=True, timeout=10)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and needle in lines[0], (r.returncode, lines)


def test_bad_kafka_property_exit_2(stack):
    r = subprocess.run([binary(), "--kafka-brokers", stack.brokers, "-X", "no.such.property=1"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "no.such.property" in r.stderr, r.stderr


NETWORKS = """prefix,name,role,site,region,tenant,asn,country
198.18.0.0/16,lab-a,internal,par1,eu-west,,64512,FR
198.18.0.0/24,,customer,,,acme,,
198.19.0.0/24,peer-b,transit,ams1,eu-west,tenant-b,64513,NL
2001:2::/48,lab6,internal,fra1,eu-central,,64514,DE
"""
IFACES = """exporter,ifindex,name,description,speed
198.18.255.1,3000000000,et-0/0/1,uplink to core,100000000000
198.18.255.1,7,xe-1/0/7,customer acme,10000000000
"""


def write_config(tmp_path, networks=NETWORKS):
    d = tmp_path / "enrich"
    d.mkdir(exist_ok=True)
    (d / "networks.csv").write_text(networks)
    (d / "interfaces.csv").write_text(IFACES)
    (d / "enrich.conf").write_text("networks = networks.csv\ninterfaces = interfaces.csv\n")
    return d / "enrich.conf"


def expected_enrichment(f, net_name_a="lab-a"):
    """What NETWORKS and IFACES give make_flow(seq): per-attribute most
    specific prefix; AS numbers stay the flow's (asn-providers default,
    flow first, never overwritten)."""
    import ipaddress
    nets = [(ipaddress.ip_network("198.18.0.0/16"), dict(name=net_name_a, role="internal",
                                                        site="par1", region="eu-west", country="FR")),
            (ipaddress.ip_network("198.18.0.0/24"), dict(role="customer", tenant="acme")),
            (ipaddress.ip_network("198.19.0.0/24"), dict(name="peer-b", role="transit", site="ams1",
                                                        region="eu-west", tenant="tenant-b",
                                                        country="NL")),
            (ipaddress.ip_network("2001:2::/48"), dict(name="lab6", role="internal", site="fra1",
                                                      region="eu-central", country="DE"))]
    out = {}
    for side in ("src", "dst"):
        a = ipaddress.ip_address(f[side + "_addr"])
        attrs = {}
        for net, at in sorted(nets, key=lambda n: n[0].prefixlen):
            if a.version == net.version and a in net:
                attrs.update(at)
        for k in ("name", "role", "site", "region", "tenant"):
            out[f"{side}_net_{k}"] = attrs.get(k, "")
        out[f"{side}_country"] = attrs.get("country", "")
    out.update(in_if_name="et-0/0/1", in_if_description="uplink to core",
               in_if_speed=100000000000, out_if_name="xe-1/0/7",
               out_if_description="customer acme", out_if_speed=10000000000)
    out.update(src_as=f["src_as"], dst_as=f["dst_as"])
    return out


def decode_all(mod, msgs):
    flows = []
    for m in msgs:
        for raw in split(m.value()) if is_batch(m.value()) else [m.value()]:
            fm = mod.FlowMessage()
            fm.ParseFromString(raw)
            flows.append(fm)
    return flows


def test_enriched_field_by_field(stack, tmp_path):
    """With --config (networks file and interface names): each flow comes
    out with the fields the tables give it, the others as they went in,
    in both framings."""
    mod = pb(tmp_path)
    conf = write_config(tmp_path)
    n = 64 * 20 + 50
    items = [(None, delimited([flow_bytes(mod, s) for s in range(i, i + 64)]))
             for i in range(0, 64 * 20, 64)]
    items += [(None, flow_bytes(mod, s)) for s in range(64 * 20, n)]
    with topics(stack, partitions=2) as (tin, tout):
        produce_keyed(stack, tin, items)
        e = Enrich(stack, tin, tout, tmp_path, "--config", str(conf)).start()
        r = Reader(stack, tout)
        try:
            got = r.read(lambda m: len(m) >= len(items), 90)
        finally:
            r.close()
            assert e.stop() == 0, e.output()[-2000:]
        assert len(got) == len(items)
        assert sorted(is_batch(m.value()) for m in got) == sorted(is_batch(v) for _k, v in items)
        flows = decode_all(mod, got)
        assert sorted(f.sequence_num for f in flows) == list(range(n))
        for fm in flows:
            g = xflow.pb_to_dict(fm)
            src = make_flow(fm.sequence_num)
            base = mod.FlowMessage()
            base.ParseFromString(flow_bytes(mod, fm.sequence_num))
            w = xflow.pb_to_dict(base)
            want = expected_enrichment(src)
            for k, v in want.items():  # absent enrichment fields are left out
                got = g.get(k, 0 if k.endswith("_speed") else "")
                assert got == v, f"flow {fm.sequence_num} {k}: {got!r} != {v!r}"
            for k in w:  # the rest as it came
                if k not in want and not k.startswith("exporter_"):
                    assert g[k] == w[k], f"flow {fm.sequence_num} {k}: {g[k]!r} != {w[k]!r}"


def test_reload_under_load(stack, tmp_path):
    """The networks file is replaced and SIGHUP sent while flows stream
    through: every flow still comes out exactly once, each with either the
    old or the new table's name (never none), and flows sent after the
    reload was logged carry the new one."""
    import threading
    mod = pb(tmp_path)
    conf = write_config(tmp_path)
    per, batches = 64, 1500
    n = per * batches
    with topics(stack, partitions=2) as (tin, tout):
        e = Enrich(stack, tin, tout, tmp_path, "--config", str(conf)).start()
        stop = threading.Event()
        sent = []

        def feed():
            p = producer(stack)
            for b in range(batches):
                if stop.is_set():
                    break
                seqs = range(b * per, (b + 1) * per)
                while True:
                    try:
                        p.produce(tin, delimited([flow_bytes(mod, s) for s in seqs]))
                        break
                    except BufferError:
                        p.poll(0.05)
                sent.append(b)
                p.poll(0)
                time.sleep(0.002)
            p.flush(60)
        t = threading.Thread(target=feed)
        t.start()
        r = Reader(stack, tout)
        try:
            r.read(lambda m: len(m) >= batches // 4, 90)
            new = tmp_path / "enrich" / "networks.csv.new"
            new.write_text(NETWORKS.replace("lab-a", "lab-a2"))
            os.rename(new, tmp_path / "enrich" / "networks.csv")
            e.proc.send_signal(signal.SIGHUP)
            wait_for(lambda: "sources reloaded" in e.output(), 30, "the reload to be logged")
            after = len(sent)
            t.join(timeout=120)
            assert not t.is_alive()
            r.read(lambda m: len(m) >= batches, 120)
            r.read(lambda m: False, 2)
        finally:
            stop.set()
            t.join(timeout=30)
            r.close()
            assert e.stop() == 0, e.output()[-2000:]
        flows = decode_all(mod, r.msgs)
        assert sorted(f.sequence_num for f in flows) == list(range(n)), "lost or duplicated"
        names = {}
        for f in flows:
            if make_flow(f.sequence_num)["src_addr"][:2] == bytes([198, 18]):
                assert f.src_net_name in ("lab-a", "lab-a2"), (f.sequence_num, f.src_net_name)
                names[f.sequence_num] = f.src_net_name
        assert any(v == "lab-a" for v in names.values())
        late = [s for s in names if s >= (after + 1) * per]
        assert late and all(names[s] == "lab-a2" for s in late)
        st = e.stats()
        assert st["txn_aborted"] == 0 and st["reloads"] >= 1 and st["reload_failures"] == 0


def test_config_that_does_not_load(stack, tmp_path):
    """A config naming a malformed networks file: exit 1 with the file and
    line, before touching Kafka."""
    d = tmp_path / "bad"
    d.mkdir()
    (d / "networks.csv").write_text("prefix,name\n198.18.0.0/15,a\n198.18.0.1/15,b\n")
    (d / "enrich.conf").write_text("networks = networks.csv\n")
    r = subprocess.run([binary(), "--kafka-brokers", stack.brokers, "--config", str(d / "enrich.conf")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "networks.csv:3" in r.stderr, r.stderr


def secure_conf(stack, mode, password=None, ca=None):
    """librdkafka settings for the stack's TLS or SASL_SSL listener (PLAIN:
    Debian's librdkafka 2.0.2 cannot do Kafka 4's SCRAM, see test_secure)."""
    if not stack.tls_brokers or not stack.kafka_ca:
        pytest.skip("the stack has no TLS listeners (started before they existed)")
    c = {"security.protocol": mode, "ssl.ca.location": ca or stack.kafka_ca}
    if mode == "ssl":
        c["bootstrap.servers"] = stack.tls_brokers
    else:
        c.update({"bootstrap.servers": stack.sasl_brokers, "sasl.mechanisms": "PLAIN",
                  "sasl.username": stack.sasl_user,
                  "sasl.password": password or stack.sasl_password})
    return c


def x_args(c):
    out = ["--kafka-brokers", c["bootstrap.servers"]]
    for k, v in c.items():
        if k != "bootstrap.servers":
            out += ["-X", f"{k}={v}"]
    return out


@pytest.mark.parametrize("mode", ["ssl", "sasl_ssl"])
def test_secured_transport_relays(stack, tmp_path, mode):
    """TLS and SASL over TLS through -X alone: the flows arrive."""
    mod = pb(tmp_path)
    c = secure_conf(stack, mode)
    items = [(None, delimited([flow_bytes(mod, s) for s in range(i, i + 64)]))
             for i in range(0, 640, 64)]
    with topics(stack, partitions=1) as (tin, tout):
        produce_keyed(stack, tin, items)
        e = Enrich(stack, tin, tout, tmp_path)
        e.args[e.args.index("--kafka-brokers"):e.args.index("--kafka-brokers") + 2] = x_args(c)
        e.start()
        r = Reader(stack, tout)
        try:
            got = r.read(lambda m: len(m) >= len(items), 90)
        finally:
            r.close()
            assert e.stop() == 0, e.output()[-2000:]
        assert sorted(m.value() for m in got) == sorted(v for _k, v in items)


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory):
    d = tmp_path_factory.mktemp("other-ca")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=not the xdpflow test CA", "-keyout", str(d / "ca.key"),
                    "-out", str(d / "ca.pem")], check=True, capture_output=True, timeout=60)
    return str(d / "ca.pem")


@pytest.mark.parametrize("case", ["wrong-password", "untrusted-ca"])
def test_secured_transport_fails_clearly(stack, tmp_path, other_ca, case):
    """A wrong password or an untrusted certificate: librdkafka's reason in
    the log at once, then exit 1 once transactions cannot be initialised
    (bounded), never a silent hang."""
    if case == "wrong-password":
        c, needle = secure_conf(stack, "sasl_ssl", password="not-the-password"), \
            "SASL authentication error"
    else:
        c, needle = secure_conf(stack, "ssl", ca=other_ca), "certificate verify failed"
    t0 = time.monotonic()
    r = subprocess.run([binary(), *x_args(c), "--in-topic", "a_" + uuid.uuid4().hex[:6],
                        "--out-topic", "b", "--transactional-id", "tx_" + uuid.uuid4().hex[:6]],
                       capture_output=True, text=True, timeout=90)
    assert r.returncode == 1, r.stderr[-2000:]
    assert needle in r.stderr and "could not initialise transactions" in r.stderr, r.stderr[-2000:]
    assert time.monotonic() - t0 < 60


def test_rebalances_exactly_once(stack, tmp_path):
    """Two instances in one group (each its own transactional.id): a second
    one joining mid-stream, then the first one leaving on SIGTERM, then a
    third joining and the second SIGKILLed: each rebalance commits or aborts
    what is open before the partitions move, and the output holds every
    flow exactly once for a read_committed consumer."""
    mod = pb(tmp_path)
    batches, per = 2000, 64
    n = batches * per
    items = [(bytes([198, 18, 255, 1 + b % 7]),
              delimited([flow_bytes(mod, s) for s in range(b * per, (b + 1) * per)]))
             for b in range(batches)]
    with topics(stack, partitions=6) as (tin, tout):
        produce_keyed(stack, tin, items)
        r = Reader(stack, tout)
        slow = ["--txn-interval-ms", "50", "--txn-messages", "20"]
        try:
            a = Enrich(stack, tin, tout, tmp_path, *slow, txn_id="tx_a_" + tin).start()
            r.read(lambda m: len(m) >= batches // 8, 120)
            b = Enrich(stack, tin, tout, tmp_path, *slow, txn_id="tx_b_" + tin).start()
            wait_for(lambda: "revoked" in a.output() and "assigned" in b.output(), 60,
                     "the second instance to get partitions")
            r.read(lambda m: len(m) >= batches // 3, 120)
            assert a.stop() == 0, a.output()[-2000:]
            c = Enrich(stack, tin, tout, tmp_path, *slow, txn_id="tx_c_" + tin).start()
            wait_for(lambda: "assigned" in c.output(), 60, "the third instance to get partitions")
            r.read(lambda m: len(m) >= batches // 2, 120)
            b.kill()
            r.read(lambda m: sum(flows_in(x.value()) for x in m) >= n, 180)
            r.read(lambda m: False, 3)
        finally:
            r.close()
            for e in (a, b):
                if e.proc.poll() is None:
                    e.kill()
        assert c.stop() == 0, c.output()[-2000:]
        assert len(r.msgs) < 2 * batches
        seqs = [f.sequence_num for f in decode_all(mod, r.msgs)]
        assert len(seqs) == n and sorted(seqs) == list(range(n)), \
            f"{len(seqs)} flows out for {n} in, {len(set(seqs))} distinct"
        assert a.stats()["rebalances"] >= 3


def test_same_bytes_as_xdpflowd_enrich(stack, tmp_path):
    """The same flows enriched inside the collector (xdpflowd --enrich) and
    between topics (xdpflow-enrich on the collector's plain output) are the
    same bytes, flow by flow."""
    import struct
    import ipaddress
    conf = write_config(tmp_path)
    (tmp_path / "enrich" / "interfaces.csv").write_text(
        IFACES + "127.0.0.1,3,xe-0/0/3,transit A,10000000000\n127.0.0.1,4,xe-0/0/4,core,\n")
    fields = ((1, 4), (2, 4), (4, 1), (7, 2), (8, 4), (11, 2), (12, 4), (10, 2), (14, 2),
              (16, 4), (17, 4))
    dgs = []
    for d in range(20):
        body = b"".join(struct.pack("!IIBHIHIHHII", 100 + i, 1 + i, 17, 2000 + i,
                                    int(ipaddress.IPv4Address(f"198.18.{d}.{i + 1}")), 53,
                                    int(ipaddress.IPv4Address(f"198.19.0.{1 + i}")), 3, 4,
                                    65001 if i % 2 else 0, 0)
                        for i in range(30))
        dgs.append(xflow.Datagram(xflow.nf9([xflow.template_set(300, fields, False),
                                             xflow.raw_set(300, body)], seq=d)))
    pcap = xflow.write_udp_pcap(tmp_path / "nf9.pcap", dgs)
    (tmp_path / "plain").mkdir()
    (tmp_path / "in").mkdir()
    plain = xflow.run_pcap(pcap, tmp_path / "plain", fmt="pb")
    enriched = xflow.run_pcap(pcap, tmp_path / "in", fmt="pb", extra=["--enrich", str(conf)])
    assert plain.rc == 0 and enriched.rc == 0, plain.stderr + enriched.stderr
    plain_frames = split(plain.out_path.read_bytes())
    want = split(enriched.out_path.read_bytes())
    assert len(plain_frames) == len(want) == 600
    assert plain_frames != want  # enrichment did something
    with topics(stack, partitions=1) as (tin, tout):
        produce_keyed(stack, tin, [(None, delimited(plain_frames[i:i + 64]))
                                   for i in range(0, len(plain_frames), 64)])
        e = Enrich(stack, tin, tout, tmp_path, "--config", str(conf)).start()
        r = Reader(stack, tout)
        try:
            got = r.read(lambda m: len(m) >= (len(plain_frames) + 63) // 64, 90)
        finally:
            r.close()
            assert e.stop() == 0, e.output()[-2000:]
        out = [f for m in got for f in split(m.value())]
        assert out == want


def test_abort_rewinds_and_retries(stack, tmp_path):
    """The output topic refuses the messages (max.message.bytes below a
    64-flow batch): every transaction aborts, the consumer goes back to the
    committed offsets and tries again after a growing backoff, logging
    why; once the topic takes them, every flow arrives exactly once."""
    from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry,
                                       ConfigResource, NewTopic)
    mod = pb(tmp_path)
    batches, per = 200, 64
    items = [(None, delimited([flow_bytes(mod, s) for s in range(b * per, (b + 1) * per)]))
             for b in range(batches)]
    admin = AdminClient({"bootstrap.servers": stack.brokers})
    with topics(stack, partitions=2) as (tin, _unused):
        tout = "small_" + tin
        admin.create_topics([NewTopic(tout, num_partitions=2, replication_factor=1,
                                      config={"max.message.bytes": "2000"})])[tout].result(60)
        try:
            produce_keyed(stack, tin, items)
            e = Enrich(stack, tin, tout, tmp_path).start()
            r = Reader(stack, tout)
            try:
                wait_for(lambda: e.output().count("transaction aborted") >= 3, 60,
                         "transactions to be aborted")
                assert "aborting the transaction" in e.output()
                assert not r.read(lambda m: False, 1), "a refused message was committed"
                big = ConfigEntry("max.message.bytes", "1048588",
                                  incremental_operation=AlterConfigOpType.SET)
                res = ConfigResource("topic", tout, incremental_configs=[big])
                for f in admin.incremental_alter_configs([res]).values():
                    f.result(60)
                r.read(lambda m: len(m) >= batches, 120)
                r.read(lambda m: False, 2)
            finally:
                r.close()
                assert e.stop() == 0, e.output()[-2000:]
            seqs = [f.sequence_num for f in decode_all(mod, r.msgs)]
            assert sorted(seqs) == list(range(batches * per)), f"{len(seqs)} flows"
            st = e.stats()
            assert st["txn_aborted"] >= 3 and st["produced"] == batches
        finally:
            admin.delete_topics([tout])


def test_stop_bounded_when_the_broker_is_gone(stack, tmp_path):
    """The broker goes away while a transaction is open (a long
    --txn-interval-ms keeps it open; its output is already in the topic,
    uncommitted): SIGTERM still ends xdpflow-enrich within its stop bound
    (5 s, docs/man/xdpflow-enrich.8) plus a margin, with exit status 1 and a
    line saying what was not committed. With the broker back, a restart
    relays every flow, exactly once."""
    from confluent_kafka import Consumer
    mod = pb(tmp_path)
    batches, per = 40, 64
    items = [(None, delimited([flow_bytes(mod, s) for s in range(b * per, (b + 1) * per)]))
             for b in range(batches)]
    with topics(stack) as (tin, tout):
        produce_keyed(stack, tin, items)
        e = Enrich(stack, tin, tout, tmp_path, "--txn-interval-ms", "60000").start()
        u = Consumer({"bootstrap.servers": stack.brokers, "group.id": "u_" + uuid.uuid4().hex[:8],
                      "auto.offset.reset": "earliest", "isolation.level": "read_uncommitted",
                      "enable.auto.commit": False})
        u.subscribe([tout])
        seen = []
        try:
            deadline = time.monotonic() + 60
            while len(seen) < batches and time.monotonic() < deadline:
                seen += [m for m in u.consume(1000, 0.2) if m.error() is None]
        finally:
            u.close()
        try:
            assert len(seen) == batches, f"{len(seen)} uncommitted output messages"
            with stack.kafka_stopped():
                t0 = time.monotonic()
                e.proc.send_signal(signal.SIGTERM)
                try:
                    rc = e.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    rc = None
                took = time.monotonic() - t0
        finally:
            e.kill()
        out = e.output()
        assert rc is not None, "xdpflow-enrich did not stop within 30 s:\n" + out[-2000:]
        assert took < 5 + 2.5, f"stopped in {took:.1f} s:\n{out[-2000:]}"
        assert rc == 1, out[-2000:]
        # What was open is named, with the offsets it would have committed.
        assert re.search(rf"{batches} input messages, {batches * per} flows "
                         rf"\({tin}( \[\d+\] before \d+)+\).* read again at the next start",
                         out), out[-2000:]
        e2 = Enrich(stack, tin, tout, tmp_path).start()
        r = Reader(stack, tout)
        try:
            r.read(lambda m: len(m) >= batches, 120)
            r.read(lambda m: False, 2)
        finally:
            r.close()
            assert e2.stop() == 0, e2.output()[-2000:]
        seqs = [f.sequence_num for f in decode_all(mod, r.msgs)]
        assert sorted(seqs) == list(range(batches * per)), f"{len(seqs)} flows"
