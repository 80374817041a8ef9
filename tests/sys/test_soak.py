# SPDX-License-Identifier: Apache-2.0
"""Soak, compressed into minutes (issue 10): xdpflowd in socket mode, two
workers, fed over loopback at a bounded high rate with NetFlow v9, IPFIX
and sFlow from many exporter addresses in 198.18.0.0/15 (raw IPv4 with the
exporter's source address, so no address needs configuring), with output
to a Kafka broker of the test's own that is restarted once mid-run:

- exporters appear and disappear: every epoch some retire for good and new
  ones (new addresses) take their place;
- templates are withdrawn and redefined: each v9 exporter reuses template
  id 256 with another layout every few datagrams; each IPFIX exporter
  withdraws 256 (field count 0) every few messages and defines it again
  with the other layout; --max-templates is below what the exporters use,
  so the template cache also evicts all along;
- the allow-list file is reloaded (SIGHUP) every epoch, alternately
  refusing and accepting an outsider range (198.19.0.0/16) whose exporters
  send all along; the sending pauses around each reload until the daemon
  has read its sockets, so that which datagrams were refused is known;
- a malformed datagram now and then (counted as an error);
- Kafka is stopped and started again early in the run (librdkafka queues
  and retries meanwhile).

Checked: every flow is accounted for: datagrams sent == read + dropped by
the kernel (the socket's drop count); read == decoded per exporter +
refused (not_allowed); per exporter, packets, flows and errors equal what
was sent (exactly, when the kernel dropped nothing); the flows produced to
Kafka == the flows decoded, none failed, and reading the topic back gives
that many flows, per exporter (the message key). RSS is sampled every
second from /proc/PID/status, written to <build>/soak/rss.csv and printed;
after warm-up it must stay flat (see RSS_BOUND_KB). The daemon must exit
cleanly: under the ASan build, LeakSanitizer reports any leak at exit.

The broker is a private one (scripts/stack/kafka.sh with its own
XF_STACK_DIR under <build>/soak and ports XF_SOAK_KAFKA_PORT..+3, default
31092-31095: below the ephemeral range, apart from the shared stack's
19092 and test_secure's 39092), so nothing else is disturbed; no
PostgreSQL is needed. Its folder is removed at the end. Bounded
throughout: about 2 to 3 minutes in all.
"""

import ipaddress
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

import xflow
from stack import ROOT

KAFKA_PORT = int(os.environ.get("XF_SOAK_KAFKA_PORT", "31092"))
# Sending lasts SEND_SECONDS at least, and until WINDOW seconds of RSS
# samples were taken after warm-up (Kafka back for WARMUP_AFTER_KAFKA
# seconds), MAX_SECONDS at most.
SEND_SECONDS = float(os.environ.get("XF_SOAK_SECONDS", "60"))
WINDOW = 40.0
MAX_SECONDS = 150.0
EPOCH_SECONDS = 5.0
RATE = 1600  # datagrams per second, in 10 ms ticks
ACTIVE = 48  # exporters sending at once in 198.18.0.0/17
RETIRE = 8  # of which this many are replaced by new ones every epoch
OUTSIDERS = 8  # exporters in 198.19.0.0/16 (allowed every other epoch)
MAX_TEMPLATES = 64  # per worker, below the ~100 templates in use
V9_RECS, IPFIX_RECS, SFLOW_SAMPLES = 8, 8, 6
V9_SWITCH = 10  # a v9 exporter changes template 256's layout this often
IPFIX_WITHDRAW = 12  # every 12th IPFIX message withdraws template 256
BAD_EVERY = 40  # every 40th datagram of an exporter is malformed
KAFKA_STOP_AT = 6.0  # seconds into the run
KAFKA_DOWN = 3.0

# RSS after warm-up: the median of the window's last third may exceed the
# median of its first third by at most RSS_BOUND_KB. The thirds' midpoints
# are 2/3 of the window apart, so about (2/3 x window x flow rate) flows
# apart: with the defaults above about 30 s x 11 000 flows/s = 330 000
# flows. The smallest heap chunk (32 bytes with glibc, 32 with ASan's
# allocator and its redzone) leaked per flow would grow RSS by 11 MB over
# them, and one per datagram by 1.5 MB. 4 MiB allows for allocator noise
# (arenas, librdkafka's buffers) and for what new exporters add by design
# (their stats entries, a Kafka batch per key: a few kB each, 8 new ones
# every 5 s; measured 0.5 MiB between the thirds plain, 1.6 MiB under
# ASan), and still fails a per-flow leak; the test checks that the run was
# long enough for that.
RSS_BOUND_KB = 4096
LEAK_BYTES_PER_FLOW = 32
# Warm-up ends WARMUP_AFTER_KAFKA seconds after Kafka is back and the
# backlog it queued meanwhile has gone out (at most QUEUE_DRAINED messages
# waiting for delivery, from /metrics).
WARMUP_AFTER_KAFKA = 5.0
QUEUE_DRAINED = 200


# ------------------------------------------------------------ the broker

class Kafka:
    """scripts/stack/kafka.sh with a folder and ports of its own."""

    def __init__(self, folder: Path, port: int):
        self.folder = folder
        self.env = dict(os.environ, XF_STACK_DIR=str(folder),
                        XF_KAFKA_PORT=str(port), XF_KAFKA_HEAP="384m")
        self.brokers = f"127.0.0.1:{port}"

    def run(self, what: str, timeout: float) -> None:
        r = subprocess.run(["scripts/stack/kafka.sh", what], cwd=ROOT,
                           env=self.env, capture_output=True, text=True,
                           timeout=timeout)
        assert r.returncode == 0, f"kafka.sh {what}: {r.stderr[-2000:]}"

    def start(self):
        self.run("start", 240)

    def restart(self, down_s: float, up) -> None:
        """Stops the broker, waits down_s, starts it again; calls up() as
        soon as it answers a metadata request (kafka.sh then still sets up
        its users with a few JVM tools, which can take long on a busy
        machine); returns when kafka.sh is done."""
        from confluent_kafka.admin import AdminClient
        self.stop()
        time.sleep(down_s)
        p = subprocess.Popen(["scripts/stack/kafka.sh", "start"], cwd=ROOT,
                             env=self.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        try:
            admin = AdminClient({"bootstrap.servers": self.brokers,
                                 "log_level": 0})
            deadline = time.monotonic() + 240
            while p.poll() is None and time.monotonic() < deadline:
                try:
                    if admin.list_topics(timeout=1).brokers:
                        break
                except Exception:  # KafkaException: not up yet
                    time.sleep(0.5)
            up()
            _, err = p.communicate(timeout=max(1, deadline -
                                               time.monotonic()))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        assert p.returncode == 0, f"kafka.sh start: {err[-2000:]}"

    def stop(self):
        self.run("stop", 120)


@pytest.fixture
def kafka():
    folder = Path(xflow.build_dir()).resolve() / "soak" / "stack"
    k = Kafka(folder, KAFKA_PORT)
    if folder.exists():
        subprocess.run(["scripts/stack/kafka.sh", "stop"], cwd=ROOT,
                       env=k.env, capture_output=True, timeout=120)
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    try:
        k.start()
        yield k
    finally:
        subprocess.run(["scripts/stack/kafka.sh", "stop"], cwd=ROOT,
                       env=k.env, capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def create_topic(brokers: str, topic: str) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": brokers})
    fut = admin.create_topics([NewTopic(topic, num_partitions=4,
                                        replication_factor=1)],
                              operation_timeout=30)
    fut[topic].result(timeout=60)


def read_back(brokers: str, topic: str, timeout: float = 90.0) -> dict:
    """Flows per message key (exporter address bytes) in the whole topic:
    every partition up to its high watermark, bounded in time."""
    from confluent_kafka import Consumer, KafkaError, TopicPartition
    c = Consumer({"bootstrap.servers": brokers,
                  "group.id": "soak-" + topic, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest",
                  "enable.partition.eof": True})
    counts = {}
    try:
        md = c.list_topics(topic, timeout=30)
        parts = sorted(md.topics[topic].partitions)
        ends = {p: c.get_watermark_offsets(TopicPartition(topic, p),
                                           timeout=30)[1] for p in parts}
        todo = {p for p in parts if ends[p] > 0}
        c.assign([TopicPartition(topic, p, 0) for p in todo])
        deadline = time.monotonic() + timeout
        while todo:
            assert time.monotonic() < deadline, \
                f"reading {topic}: partitions {todo} unfinished"
            for m in c.consume(1000, 0.5):
                if m.error():
                    assert m.error().code() == KafkaError._PARTITION_EOF, \
                        f"reading {topic}: {m.error()}"
                    todo.discard(m.partition())
                    continue
                if m.offset() < ends[m.partition()]:
                    counts[m.key()] = counts.get(m.key(), 0) + \
                        count_delimited(m.value())
                if m.offset() + 1 >= ends[m.partition()]:
                    todo.discard(m.partition())
    finally:
        c.close()
    return counts


def count_delimited(buf: bytes) -> int:
    """Number of varint-length-prefixed messages in buf (whole ones)."""
    n = off = 0
    while off < len(buf):
        ln, off = xflow.read_varint(buf, off)
        off += ln
        assert off <= len(buf), "a flow runs past its Kafka message"
        n += 1
    return n


# ------------------------------------------------------------ exporters

def v4(a: str) -> int:
    return int(ipaddress.IPv4Address(a))


V9_A = xflow.NF9_FIELDS  # 33-byte records
V9_B = ((8, 4), (12, 4), (1, 8), (2, 8), (4, 1), (7, 2), (11, 2), (10, 4),
        (14, 4))  # 37-byte records
IPFIX_A = xflow.IPFIX_FIELDS
IPFIX_B = ((8, 4), (12, 4), (1, 4), (2, 4), (4, 1), (7, 2), (11, 2))


class Exporter:
    """One exporter's state: what it sends next and what it has sent that
    the daemon decoded (allowed) or refused."""

    def __init__(self, addr: str, index: int):
        self.addr = addr
        self.index = index
        self.n = 0  # datagrams sent
        self.v9 = self.ipfix = self.sflow = 0
        self.ipfix_layout = 0
        self.packets = self.flows = self.errors = self.refused = 0
        self.withdrawals = 0

    def next_datagram(self, now: int) -> tuple[bytes, int, int, int, int]:
        """(payload, destination port kind 0 netflow / 1 sflow, flows in
        it, errors, template withdrawals)."""
        self.n += 1
        if self.n % BAD_EVERY == 0:
            # An IPFIX header cut short: an error, no flows.
            return struct.pack("!HH", 10, 16) + b"\0" * 6, 0, 0, 1, 0
        kind = self.n % 3
        src, dst = self.addr, f"198.19.{self.index % 250}.{self.n % 250 + 1}"
        if kind == 0:
            self.v9 += 1
            layout = (self.v9 // V9_SWITCH) % 2
            if layout == 0:
                t = xflow.template_set(256, V9_A, ipfix=False)
                recs = b"".join(struct.pack(
                    "!IIBHIHIII", 100 + i, 1 + i, 17, 1024 + i, v4(src), 53,
                    v4(dst), 3590000, 3599000) for i in range(V9_RECS))
            else:
                t = xflow.template_set(256, V9_B, ipfix=False)
                recs = b"".join(struct.pack(
                    "!IIQQBHHII", v4(src), v4(dst), 200 + i, 2, 6, 2000 + i,
                    443, 1, 2) for i in range(V9_RECS))
            return xflow.nf9([t, xflow.raw_set(256, recs)], unix_secs=now,
                             seq=self.v9, source_id=self.index), 0, \
                V9_RECS, 0, 0
        if kind == 1:
            self.ipfix += 1
            if self.ipfix % IPFIX_WITHDRAW == 0:
                self.ipfix_layout ^= 1
                wd = struct.pack("!HHHH", 2, 8, 256, 0)
                return xflow.ipfix([wd], export_time=now, seq=self.ipfix,
                                   domain=self.index), 0, 0, 0, 1
            if self.ipfix_layout == 0:
                t = xflow.template_set(256, IPFIX_A, ipfix=True)
                recs = b"".join(struct.pack(
                    "!QQBHIHIQQ", 300 + i, 3, 6, 3000 + i, v4(src), 80,
                    v4(dst), now * 1000 - 4000, now * 1000 - 1000)
                    for i in range(IPFIX_RECS))
            else:
                t = xflow.template_set(256, IPFIX_B, ipfix=True)
                recs = b"".join(struct.pack(
                    "!IIIIBHH", v4(src), v4(dst), 400 + i, 4, 17, 4000 + i,
                    123) for i in range(IPFIX_RECS))
            return xflow.ipfix([t, xflow.raw_set(256, recs)],
                               export_time=now, seq=self.ipfix,
                               domain=self.index), 0, IPFIX_RECS, 0, 0
        self.sflow += 1
        frame = xflow.sampled_udp_frame(src, dst, 5000 + self.n % 1000, 53,
                                        100)
        samples = [xflow.sflow_flow_sample(frame, seq=self.sflow * 10 + i)
                   for i in range(SFLOW_SAMPLES)]
        samples.append(struct.pack("!II", 2, 12) +
                       struct.pack("!III", self.sflow, 1, 0))
        return xflow.sflow(samples, agent=self.addr, seq=self.sflow), 1, \
            SFLOW_SAMPLES, 0, 0


def raw_udp(src: str, dport: int, payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", 40000, dport, 8 + len(payload), 0) + payload
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17,
                       0, socket.inet_aton(src),
                       socket.inet_aton("127.0.0.1")) + udp


# ------------------------------------------------------------ RSS

def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kafka_queue(metrics: str) -> int | None:
    """Kafka messages produced but not yet delivered, from /metrics."""
    try:
        with urllib.request.urlopen(f"http://{metrics}/metrics",
                                    timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None
    v = {}
    for line in text.splitlines():
        k, _, n = line.partition(" ")
        if k in ("xdpflow_publish_messages_total",
                 "xdpflow_publish_delivered_total"):
            v[k] = int(n)
    if len(v) < 2:
        return None
    return v["xdpflow_publish_messages_total"] - \
        v["xdpflow_publish_delivered_total"]


class RssSampler(threading.Thread):
    """VmRSS of pid every second, with the run's phase and the Kafka
    backlog, until stopped."""

    def __init__(self, pid: int, t0: float, metrics: str):
        super().__init__(daemon=True)
        self.pid, self.t0, self.metrics = pid, t0, metrics
        self.samples = []  # (seconds, kB, Kafka backlog, phase)
        self.epoch = 0
        self.kafka = "up"
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    kb = next(int(line.split()[1]) for line in f
                              if line.startswith("VmRSS:"))
            except (OSError, StopIteration):
                return
            q = kafka_queue(self.metrics)
            self.samples.append((time.monotonic() - self.t0, kb,
                                 -1 if q is None else q,
                                 f"epoch {self.epoch} kafka {self.kafka}"))
            self.halt.wait(1.0)


def write_curve(samples, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        f.write("seconds,rss_kb,kafka_backlog,phase\n")
        for t, kb, q, ph in samples:
            f.write(f"{t:.1f},{kb},{q},{ph}\n")
    return "\n".join(f"  {t:6.1f} s {kb / 1024:8.1f} MiB  backlog {q:6d}"
                      f"  {ph}" for t, kb, q, ph in samples)


# ------------------------------------------------------------ the test

def test_soak(daemon, kafka, tmp_path, monkeypatch, capsys):
    scale = xflow.timeout_scale()
    topic = "soak_" + uuid.uuid4().hex[:10]
    create_topic(kafka.brokers, topic)
    nf_port, sf_port = xflow.free_udp_port(), xflow.free_udp_port()
    metrics = f"127.0.0.1:{free_tcp_port()}"
    ports = (nf_port, sf_port)
    allow = tmp_path / "allow.txt"
    inside = "198.18.0.0/17"
    outside = "198.19.0.0/16"
    allow.write_text(f"# soak exporters\n{inside}\n")
    # ASan's quarantine (256 MB by default, filled by librdkafka's
    # per-message buffers) holds freed memory back for minutes and its
    # recycling makes RSS wander by megabytes: off, so that RSS measures
    # the daemon. LeakSanitizer and the other checks are unaffected.
    monkeypatch.setenv("ASAN_OPTIONS", ":".join(filter(None, (
        os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=0"))))
    d = daemon(["-l", f"netflow://127.0.0.1:{nf_port}",
                "-l", f"sflow://127.0.0.1:{sf_port}", "--workers", "2",
                "--allow-exporter-file", allow,
                "--max-templates", MAX_TEMPLATES, "--metrics", metrics,
                "-o", "kafka", "--format", "pb", "--kafka-batch", "16",
                "--kafka-brokers", kafka.brokers, "--kafka-topic", topic,
                "-X", "queue.buffering.max.messages=1000000"],
               ports=ports)

    exporters, retired, outsiders = [], [], []
    next_in = 0

    def new_inside():
        nonlocal next_in
        next_in += 1
        e = Exporter(f"198.18.{next_in // 250}.{next_in % 250 + 1}",
                     next_in)
        exporters.append(e)

    for _ in range(ACTIVE):
        new_inside()
    for i in range(OUTSIDERS):
        outsiders.append(Exporter(f"198.19.{200 + i}.1", 1000 + i))

    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    t0 = time.monotonic()
    rss = RssSampler(d.proc.pid, t0, metrics)
    rss.start()
    kafka_err, kafka_times = [], {}

    def restart_kafka():
        try:
            time.sleep(KAFKA_STOP_AT)
            kafka_times["stop"] = time.monotonic() - t0
            rss.kafka = "down"

            def up():
                kafka_times["up"] = time.monotonic() - t0
                rss.kafka = "back"
            kafka.restart(KAFKA_DOWN, up)
        except Exception as e:  # reported by the test below
            kafka_err.append(e)

    kt = threading.Thread(target=restart_kafka, daemon=True)
    kt.start()
    sent = refused = 0
    hups = 0
    try:
        epoch = -1
        while True:
            epoch += 1
            t = time.monotonic() - t0
            if "up" in kafka_times and "warm" not in kafka_times:
                drained = [ts for ts, _, q, _ in rss.samples
                           if ts > kafka_times["up"] and
                           0 <= q <= QUEUE_DRAINED]
                if drained:
                    kafka_times["warm"] = drained[0] + WARMUP_AFTER_KAFKA
            if t >= SEND_SECONDS and "warm" in kafka_times and \
                    t - kafka_times["warm"] >= WINDOW:
                break
            assert t < MAX_SECONDS, \
                f"Kafka not back and drained after {t:.0f} s: {kafka_times}"
            outsiders_allowed = epoch % 2 == 1
            if epoch:
                # Reload: nothing in flight, so every datagram before
                # meets the old list and every one after the new.
                d.wait_drained(ports, timeout=30)
                allow.write_text(f"{inside}\n" + (f"{outside}\n"
                                 if outsiders_allowed else ""))
                d.proc.send_signal(signal.SIGHUP)
                hups += 1
                xflow.wait_for(lambda: d.stderr().count(
                    f"allow-list reloaded from {allow}") >= hups,
                    10 * scale, f"allow-list reload {hups} in the log")
                for _ in range(RETIRE):
                    retired.append(exporters.pop(0))
                    new_inside()
            rss.epoch = epoch
            senders = exporters + outsiders
            end = time.monotonic() + EPOCH_SECONDS
            i = 0
            tick = time.monotonic()
            while time.monotonic() < end:
                now = int(time.time())
                for _ in range(int(RATE / 100)):
                    e = senders[i % len(senders)]
                    i += 1
                    payload, kind, flows, bad, wd = e.next_datagram(now)
                    raw.sendto(raw_udp(e.addr, ports[kind], payload),
                               ("127.0.0.1", 0))
                    sent += 1
                    if e in outsiders and not outsiders_allowed:
                        e.refused += 1
                        refused += 1
                        continue
                    e.packets += 1
                    e.flows += flows
                    e.errors += bad
                    e.withdrawals += wd
                tick += 0.01
                delay = tick - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        sent_for = time.monotonic() - t0
        rss.epoch = "drain"
        d.wait_drained(ports, timeout=30)
        kt.join(timeout=300)
        assert not kt.is_alive(), "the Kafka restart did not finish"
        assert not kafka_err, f"Kafka restart failed: {kafka_err[0]}"
        # Let librdkafka deliver what it queued while the broker was away.
        time.sleep(3)
    finally:
        raw.close()
        rss.epoch = "stop"
        r = d.stop(timeout=60)
        rss.halt.set()
        rss.join(5)

    curve = write_curve(rss.samples, Path(xflow.build_dir()) / "soak" /
                        "rss.csv")
    with capsys.disabled():
        print(f"\nsoak: {sent} datagrams in {sent_for:.0f} s, Kafka "
              f"stopped at {kafka_times.get('stop', 0):.1f} s, back at "
              f"{kafka_times.get('up', 0):.1f} s, warm-up until "
              f"{kafka_times.get('warm', 0):.1f} s; RSS (also in "
              f"{xflow.build_dir()}/soak/rss.csv):\n{curve}")
    r.assert_clean_exit()
    st = r.stats
    lines = "\n".join(st.lines[-12:])

    # Datagrams: sent == read + dropped by the kernel; read == decoded by
    # some exporter + refused by the allow-list.
    assert st.rx["packets"] + st.rx["drops"] == sent, lines
    assert st.rx["not_allowed"] == refused, lines
    decoded_packets = st.total("packets")
    assert decoded_packets + refused == st.rx["packets"], lines

    # Flows, per exporter: exact when the kernel dropped nothing; else
    # what is missing fits in the dropped datagrams.
    everyone = exporters + retired + outsiders
    sent_flows = sum(e.flows for e in everyone)
    decoded_flows = st.total("flows")
    max_per_dgram = max(V9_RECS, IPFIX_RECS, SFLOW_SAMPLES)
    if st.rx["drops"] == 0:
        for e in everyone:
            c = st.exporter(e.addr)
            assert (c["packets"], c["flows"], st.errors(e.addr)) == \
                (e.packets, e.flows, e.errors), f"exporter {e.addr}\n{lines}"
    assert 0 <= sent_flows - decoded_flows <= \
        st.rx["drops"] * max_per_dgram, lines
    if st.rx["drops"] == 0:
        assert st.total("template_withdrawals") == \
            sum(e.withdrawals for e in everyone), lines
    # The template cache was full and evicting all along.
    assert st.total("templates_evicted") > 0, lines

    # Kafka: everything decoded was produced and delivered, none failed,
    # and the topic holds exactly those flows, per exporter.
    pub = st.publish
    assert pub["flows"] == decoded_flows, lines
    assert pub["delivery_errors"] == 0, lines
    assert pub["delivered"] == pub["messages"], lines
    back = read_back(kafka.brokers, topic, timeout=90 * scale)
    got = {socket.inet_ntoa(k): v for k, v in back.items()}
    want = {e.addr: st.exporter(e.addr)["flows"] for e in everyone
            if st.exporter(e.addr)["flows"]}
    assert sum(got.values()) == decoded_flows
    assert got == want

    # RSS after warm-up (the caches full, Kafka back and drained).
    warm = kafka_times["warm"]
    window = [kb for t, kb, _, _ in rss.samples if warm <= t <= sent_for]
    assert len(window) >= 15, \
        f"only {len(window)} RSS samples after warm-up ({warm:.0f} s)"
    third = len(window) // 3
    first, last = statistics.median(window[:third]), \
        statistics.median(window[-third:])
    flows_apart = decoded_flows / sent_for * (2 * len(window) / 3)
    with capsys.disabled():
        print(f"soak: RSS after warm-up ({len(window)} samples from "
              f"{warm:.0f} s): first-third median {first / 1024:.1f} MiB, "
              f"last-third median {last / 1024:.1f} MiB (bound +"
              f"{RSS_BOUND_KB / 1024:.0f} MiB), min {min(window) / 1024:.1f}"
              f", max {max(window) / 1024:.1f} MiB; {decoded_flows} flows "
              f"decoded, {flows_apart:.0f} between the thirds' midpoints")
    assert flows_apart * LEAK_BYTES_PER_FLOW / 1024 > RSS_BOUND_KB, \
        f"the run is too short to see a leak of {LEAK_BYTES_PER_FLOW} " \
        f"bytes per flow ({flows_apart:.0f} flows apart)"
    assert last - first <= RSS_BOUND_KB, \
        f"RSS grew from {first:.0f} kB to {last:.0f} kB after warm-up"
