# SPDX-License-Identifier: Apache-2.0
"""Local stack for the system tests: the real Kafka broker and PostgreSQL,
started and stopped through the same scripts as `make stack-up`
(scripts/stack/stack.sh), plus helpers shared by the tests and the insert
benchmark: FlowMessage encoding (protobuf wire format written by hand, so no
generated code is needed), a Kafka producer, a per-test topic and database,
and an xdpflow-insert process runner. Every wait is bounded.

Session fixture `stack`: brings the stack up (idempotent); brings it down at
the end, even when tests failed, unless it was already up before (a
developer's `make stack-up`) or another session still uses it (a small pid
registry under build/stack/users, guarded by a lock).
"""
import contextlib
import os
import signal
import subprocess
import time
import uuid

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STACK_ENV = os.path.join(ROOT, "build", "stack.env")


# ---------------------------------------------------------------- encoding

def _varint(v):
    out = bytearray()
    v &= (1 << 64) - 1
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(num, wt):
    return _varint(num << 3 | wt)


# FlowMessage field numbers (proto/flow.proto): scalars, addresses, repeated.
_SCALARS = {
    "type": 1, "time_received_ns": 110, "sequence_num": 4, "sampling_rate": 3,
    "time_flow_start_ns": 111, "time_flow_end_ns": 112, "bytes": 9,
    "packets": 10, "etype": 30, "proto": 20, "src_port": 21, "dst_port": 22,
    "in_if": 18, "out_if": 19, "src_mac": 27, "dst_mac": 28, "src_vlan": 33,
    "dst_vlan": 34, "vlan_id": 29, "ip_tos": 23, "forwarding_status": 24,
    "ip_ttl": 25, "ip_flags": 38, "tcp_flags": 26, "icmp_type": 31,
    "icmp_code": 32, "ipv6_flow_label": 37, "fragment_id": 35,
    "fragment_offset": 36, "src_as": 14, "dst_as": 15, "next_hop_as": 13,
    "src_net": 16, "dst_net": 17, "observation_domain_id": 70,
    "observation_point_id": 71, "ipv6_routing_header_seg_left": 106,
    "sampler_id": 1000, "sampler_port": 1001,
    "in_if_speed": 1034, "out_if_speed": 1035,
}
_ADDRS = {"sampler_address": 11, "src_addr": 6, "dst_addr": 7, "next_hop": 12,
          "bgp_next_hop": 100}
_REPEATED = {"bgp_communities": 101, "as_path": 102, "mpls_ttl": 80,
             "mpls_label": 81, "layer_stack": 103, "layer_size": 104}
_REPEATED_ADDRS = {"mpls_ip": 82, "ipv6_routing_header_addresses": 105}
# Enrichment strings (1010 and up).
_STRINGS = {
    "src_country": 1010, "dst_country": 1011, "src_as_name": 1012,
    "dst_as_name": 1013, "src_net_name": 1014, "dst_net_name": 1015,
    "src_net_role": 1016, "dst_net_role": 1017, "src_net_site": 1018,
    "dst_net_site": 1019, "src_net_region": 1020, "dst_net_region": 1021,
    "src_net_tenant": 1022, "dst_net_tenant": 1023, "in_if_name": 1030,
    "out_if_name": 1031, "in_if_description": 1032,
    "out_if_description": 1033, "exporter_name": 1040,
    "exporter_group": 1041, "exporter_role": 1042, "exporter_site": 1043,
    "exporter_region": 1044, "exporter_tenant": 1045,
}


def encode_flow(f):
    """A FlowMessage (bytes) from a dict of field name -> value; addresses
    are bytes (4 or 16), repeated fields lists, strings str (UTF-8) or
    bytes. Fields go out in the dict's order; zero and empty ones not at
    all (proto3)."""
    out = bytearray()
    for name, v in f.items():
        if name in _SCALARS:
            if v:
                out += _key(_SCALARS[name], 0) + _varint(v)
        elif name in _ADDRS or name in _STRINGS:
            if isinstance(v, str):
                v = v.encode()
            if v:
                num = _ADDRS.get(name) or _STRINGS[name]
                out += _key(num, 2) + _varint(len(v)) + v
        elif name in _REPEATED:
            if v:
                body = b"".join(_varint(x) for x in v)
                out += _key(_REPEATED[name], 2) + _varint(len(body)) + body
        elif name in _REPEATED_ADDRS:
            for a in v:
                out += _key(_REPEATED_ADDRS[name], 2) + _varint(len(a)) + a
        else:
            raise KeyError(name)
    return bytes(out)


def delimited(msgs):
    """Varint-length-delimited concatenation (xdpflow --kafka-batch, GoFlow2 bin)."""
    return b"".join(_varint(len(m)) + m for m in msgs)


BASE_NS = None


def make_flow(seq):
    """A deterministic flow for sequence number seq, exercising every column
    type: IPv4 and IPv6, values past the signed 32-bit range, arrays."""
    global BASE_NS
    if BASE_NS is None:
        BASE_NS = time.time_ns() // 1000 * 1000
    v6 = seq % 2 == 1
    src = (bytes([0x20, 0x01, 0x00, 0x02] + [0] * 8) + seq.to_bytes(4, "big")) if v6 \
        else bytes([198, 18, (seq >> 8) & 0xFF, seq & 0xFF])
    dst = (bytes([0x20, 0x01, 0x00, 0x02, 0, 1] + [0] * 9 + [1])) if v6 \
        else bytes([198, 19, 0, 1 + seq % 200])
    return {
        "type": 3,
        "time_received_ns": BASE_NS + seq * 1000,
        "sequence_num": seq,
        "sampling_rate": 5_000_000_000 if seq % 10 == 0 else 1000 + seq % 7,
        "sampler_address": bytes([198, 18, 255, 1]),
        "time_flow_start_ns": BASE_NS - 60_000_000_000,
        "time_flow_end_ns": BASE_NS - 1_000_000_000,
        "bytes": (seq * 37) % 1500 + (1 << 40 if seq % 13 == 0 else 0),
        "packets": seq % 100,
        "src_addr": src,
        "dst_addr": dst,
        "etype": 0x86DD if v6 else 0x0800,
        "proto": 6 if seq % 3 else 17,
        "src_port": 1024 + seq % 60000,
        "dst_port": 443,
        "in_if": 3_000_000_000,
        "out_if": 7,
        "src_mac": 0x0200C0FFEE00 + (seq % 256),
        "tcp_flags": 0x12,
        "src_as": 65000 + seq % 3,
        "dst_as": 4_200_000_000,
        "as_path": [65000, 4_200_000_000],
        "bgp_communities": [65000 << 16 | 100],
        "layer_stack": [0, 2 if v6 else 1, 3],
        "layer_size": [14, 40 if v6 else 20, 20],
        "mpls_label": [16, 17] if seq % 5 == 0 else [],
        "sampler_port": 2055,
    }


def make_mock_flow(seq):
    """A flow with the fields xdpflow-mock generates (issue 4) and NetFlow /
    IPFIX exporters typically fill: no arrays."""
    f = make_flow(seq)
    for k in ("as_path", "bgp_communities", "layer_stack", "layer_size", "mpls_label",
              "src_mac", "tcp_flags"):
        del f[k]
    f["src_as"] = 65000 + seq % 3
    f["dst_as"] = 65000 + (seq + 1) % 3
    f["bytes"] = (seq * 37) % 1500
    return f


# ---------------------------------------------------------------- stack

def _run(cmd, timeout):
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def read_env(path=STACK_ENV):
    env = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            if k:
                env[k] = v
    return env


class Stack:
    def __init__(self, env):
        self.brokers = env["KAFKA_BROKERS"]
        self.pguri = env["PGURI"]
        # Secured transports (None on a stack started before they existed):
        # TLS and SASL_SSL listeners, the CA that signed the server's
        # certificate, the SASL user; PostgreSQL's TLS-only role and its CA.
        self.tls_brokers = env.get("KAFKA_TLS_BROKERS")
        self.sasl_brokers = env.get("KAFKA_SASL_BROKERS")
        self.kafka_ca = env.get("KAFKA_CA")
        self.sasl_user = env.get("KAFKA_SASL_USER")
        self.sasl_password = env.get("KAFKA_SASL_PASSWORD")
        self.noidem_user = env.get("KAFKA_NOIDEM_USER")  # may not write (PLAIN)
        self.pg_tls_uri = env.get("PG_TLS_URI")
        self.pg_ca = env.get("PG_CA")

    def pg_uri(self, db):
        return self.pguri.rsplit("/", 1)[0] + "/" + db

    def restart_kafka(self, down_s=2.0):
        r = _run(["scripts/stack/kafka.sh", "stop"], 120)
        assert r.returncode == 0, r.stderr
        time.sleep(down_s)
        r = _run(["scripts/stack/kafka.sh", "start"], 180)
        assert r.returncode == 0, r.stderr

    @contextlib.contextmanager
    def kafka_stopped(self):
        """The broker stopped for the block, started again afterwards (even
        when the block fails)."""
        r = _run(["scripts/stack/kafka.sh", "stop"], 120)
        assert r.returncode == 0, r.stderr
        try:
            yield
        finally:
            r = _run(["scripts/stack/kafka.sh", "start"], 180)
            assert r.returncode == 0, r.stderr

    def restart_postgres(self, down_s=2.0):
        r = _run(["scripts/stack/postgres.sh", "stop"], 90)
        assert r.returncode == 0, r.stderr
        time.sleep(down_s)
        r = _run(["scripts/stack/postgres.sh", "start"], 90)
        assert r.returncode == 0, r.stderr


def stack_up():
    """Starts the stack; returns (Stack, whether it was already up)."""
    was_up = _run(["scripts/stack/stack.sh", "status"], 60).returncode == 0 and os.path.exists(STACK_ENV)
    r = _run(["scripts/stack/stack.sh", "up"], 300)
    if r.returncode != 0:
        _run(["scripts/stack/stack.sh", "down"], 120)
        raise RuntimeError("stack up failed:\n" + r.stdout + r.stderr)
    return Stack(read_env()), was_up


@contextlib.contextmanager
def private_stack(name, kafka_port, pg_port):
    """A stack of its own (build/NAME/stack, its own ports), for tests that
    must not depend on how the shared one was started; stopped at the end
    unless it was already up. Not shared: one user at a time."""
    folder = os.path.join(ROOT, "build", name)
    env = dict(os.environ, XF_STACK_DIR=os.path.join(folder, "stack"),
               XF_KAFKA_PORT=str(kafka_port), XF_PG_PORT=str(pg_port))
    env_file = os.path.join(folder, "stack.env")

    def run(*args, timeout):
        return subprocess.run(["scripts/stack/stack.sh", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout)
    was_up = run("status", timeout=60).returncode == 0 and os.path.exists(env_file)
    r = run("up", timeout=300)
    if r.returncode != 0:
        run("down", timeout=120)
        raise RuntimeError("private stack up failed:\n" + r.stdout + r.stderr)
    try:
        yield Stack(read_env(env_file))
    finally:
        if not was_up:
            run("down", timeout=120)


# Several pytest sessions (or a benchmark) may share the stack at once: each
# registers its pid under USERS; the stack is stopped by the last user to
# leave, and only if a user of this registry started it (not `make stack-up`).
USERS = os.path.join(ROOT, "build", "stack", "users")
STARTED = os.path.join(USERS, "started-by-tests")


@contextlib.contextmanager
def _users_lock():
    import fcntl
    os.makedirs(USERS, exist_ok=True)
    with open(os.path.join(USERS, ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _live_users():
    live = []
    for name in os.listdir(USERS):
        if name.isdigit():
            if os.path.exists(f"/proc/{name}"):
                live.append(int(name))
            else:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(USERS, name))
    return live


@contextlib.contextmanager
def shared_stack():
    """The stack for the duration of the block, shared with other users."""
    me = os.path.join(USERS, str(os.getpid()))
    with _users_lock():
        st, was_up = stack_up()
        if not was_up:
            open(STARTED, "w").close()
        open(me, "w").close()
    try:
        yield st
    finally:
        with _users_lock():
            with contextlib.suppress(OSError):
                os.unlink(me)
            if not _live_users() and os.path.exists(STARTED):
                _run(["scripts/stack/stack.sh", "down"], 120)
                os.unlink(STARTED)


@pytest.fixture(scope="session")
def stack():
    with shared_stack() as st:
        yield st


# ---------------------------------------------------------------- per test

def pg_connect(uri, autocommit=True):
    import psycopg
    return psycopg.connect(uri, autocommit=autocommit, connect_timeout=10)


@contextlib.contextmanager
def scratch(stack, partitions=4):
    """A fresh topic and database for one test; both removed afterwards."""
    from confluent_kafka.admin import AdminClient, NewTopic
    name = "t_" + uuid.uuid4().hex[:12]
    admin = AdminClient({"bootstrap.servers": stack.brokers})
    fut = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)],
                              operation_timeout=30)
    fut[name].result(timeout=60)
    with pg_connect(stack.pguri) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name, stack.pg_uri(name)
    finally:
        with contextlib.suppress(Exception):
            with pg_connect(stack.pguri) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with contextlib.suppress(Exception):
            admin.delete_topics([name], operation_timeout=30)[name].result(timeout=60)


def producer(stack, **extra):
    from confluent_kafka import Producer
    conf = {"bootstrap.servers": stack.brokers, "linger.ms": 5,
            "queue.buffering.max.messages": 1000000,
            "queue.buffering.max.kbytes": 1048576, "compression.type": "none"}
    conf.update(extra)
    return Producer(conf)


def produce(p, topic, values, partition=None, timeout=120):
    """Produces each value (bytes); waits for every delivery."""
    errors = []

    def cb(err, _msg):
        if err is not None:
            errors.append(err)
    for v in values:
        while True:
            try:
                if partition is None:
                    p.produce(topic, v, on_delivery=cb)
                else:
                    p.produce(topic, v, partition=partition, on_delivery=cb)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    left = p.flush(timeout)
    assert left == 0 and not errors, f"{left} undelivered, errors {errors[:3]}"


def build_dir():
    return os.path.join(ROOT, os.environ.get("XDPFLOW_BUILD", "build"))


class Inserter:
    """An xdpflow-insert process with its stderr in a log file."""

    def __init__(self, stack, topic, pguri, tmp_path, *extra, group=None, pg_arg=True):
        self.log_path = os.path.join(str(tmp_path), f"insert-{uuid.uuid4().hex[:6]}.log")
        self.args = [os.path.join(build_dir(), "xdpflow-insert"),
                     "--kafka-brokers", stack.brokers, "--kafka-topic", topic,
                     "--kafka-group", group or ("g_" + topic),
                     "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500",
                     "--batch-ms", "200", *extra]
        if pg_arg:
            self.args += ["--postgres", pguri]
        self.proc = None

    def start(self, env=None):
        e = dict(os.environ)
        if env:
            e.update(env)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=e, start_new_session=True)
        return self

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def stop(self, timeout=60):
        """SIGTERM; returns the exit code (kills after timeout)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
                raise AssertionError("xdpflow-insert did not stop on SIGTERM in time")
        self.log.close()
        return self.proc.returncode

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


def wait_for(fn, timeout, what, interval=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def count_rows(uri, table="flows"):
    try:
        with pg_connect(uri) as c:
            return c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except Exception:
        return -1
