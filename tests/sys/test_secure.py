# SPDX-License-Identifier: Apache-2.0
"""Secured transports (issue 10), on a private stack of their own
(build/secure; Kafka on 39092-39095 and PostgreSQL on 45432 unless
XF_SECURE_KAFKA_PORT / XF_SECURE_PG_PORT say otherwise) so a shared stack
started before these listeners existed does not matter:

- xdpflowd and xdpflow-mock publish over TLS and over SASL_SSL, configured
  with -X only; the flows are consumed back with confluent_kafka over the
  same transport and counted;
- xdpflow-insert consumes over SASL_SSL and writes to PostgreSQL over TLS
  with sslmode=verify-full and a scram-sha-256 role that pg_hba admits over
  hostssl only;
- a wrong password and an untrusted certificate (a CA that did not sign the
  server's certificate) are a clear error within a bounded time, never a
  silent hang: the one-shot programs exit non-zero, the daemons log the
  reason at once, keep it rate-limited and still stop on SIGTERM;
- a fatal producer error (the cluster refusing the idempotent producer of
  a user its ACLs forbid to write) stops xdpflowd and the mocker with
  status 1 at once;
- the broker's SCRAM-SHA-512 user works (checked with confluent_kafka's own
  librdkafka). Our programs use SCRAM only when the system librdkafka is
  2.6.1 or later: older ones send a SCRAM proof Kafka 4 rejects
  (confluentinc/librdkafka#4895; Debian 12 has 2.0.2), so there they use
  PLAIN on the same SASL_SSL listener.

Every wait is bounded.
"""
import ctypes
import os
import subprocess
import time
import types
import uuid
from dataclasses import dataclass

import pytest

import xflow
from stack import (Inserter, count_rows, delimited, encode_flow, make_flow, pg_connect,
                   private_stack, produce, producer, wait_for)

# Their own ports (the controller, TLS and SASL_SSL take the next three).
KAFKA_PORT = int(os.environ.get("XF_SECURE_KAFKA_PORT", "39092"))
PG_PORT = int(os.environ.get("XF_SECURE_PG_PORT", "45432"))


def rdkafka_version():
    lib = ctypes.CDLL("librdkafka.so.1")
    lib.rd_kafka_version.restype = ctypes.c_int
    v = lib.rd_kafka_version()
    return (v >> 24 & 0xFF, v >> 16 & 0xFF, v >> 8 & 0xFF)


SCRAM_OK = rdkafka_version() >= (2, 6, 1)
MECH = "SCRAM-SHA-512" if SCRAM_OK else "PLAIN"


@pytest.fixture(scope="module")
def sec():
    with private_stack("secure", KAFKA_PORT, PG_PORT) as st:
        assert st.tls_brokers and st.sasl_brokers and st.kafka_ca, "no secured Kafka listeners"
        assert st.pg_tls_uri and st.pg_ca, "PostgreSQL without TLS"
        yield st


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory):
    """A CA that did not sign the servers' certificates."""
    d = tmp_path_factory.mktemp("other-ca")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=not the xdpflow test CA", "-keyout", str(d / "ca.key"),
                    "-out", str(d / "ca.pem")], check=True, capture_output=True, timeout=60)
    return str(d / "ca.pem")


def conf(sec, mode, password=None, ca=None, mech=None):
    """librdkafka settings for mode 'ssl' or 'sasl_ssl'."""
    c = {"security.protocol": mode, "ssl.ca.location": ca or sec.kafka_ca}
    if mode == "ssl":
        c["bootstrap.servers"] = sec.tls_brokers
    else:
        c.update({"bootstrap.servers": sec.sasl_brokers, "sasl.mechanisms": mech or MECH,
                  "sasl.username": sec.sasl_user,
                  "sasl.password": password or sec.sasl_password})
    return c


def kafka_args(c):
    """--kafka-brokers and -X for our programs."""
    out = ["--kafka-brokers", c["bootstrap.servers"]]
    for k, v in c.items():
        if k != "bootstrap.servers":
            out += ["-X", f"{k}={v}"]
    return out


def new_topic(sec, partitions=2):
    from confluent_kafka.admin import AdminClient, NewTopic
    name = "s_" + uuid.uuid4().hex[:12]
    admin = AdminClient({"bootstrap.servers": sec.brokers})
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)],
                        operation_timeout=30)[name].result(timeout=60)
    return name


def count_delimited(value):
    """Flows in a message: varint-length-delimited FlowMessages."""
    n = i = 0
    while i < len(value):
        length = shift = 0
        while True:
            b = value[i]
            i += 1
            length |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        i += length
        n += 1
    assert i == len(value), "truncated message"
    return n


def consume_flows(c, topic, want, timeout=60.0):
    """Flows read back from topic over the transport of c (bounded); keeps
    reading 1 s past want to see any extra."""
    from confluent_kafka import Consumer
    errors = []
    cons = Consumer({**c, "group.id": "check-" + topic, "auto.offset.reset": "earliest",
                     "enable.auto.commit": False, "error_cb": errors.append})
    n, done_at = 0, None
    deadline = time.monotonic() + timeout * xflow.timeout_scale()
    try:
        cons.subscribe([topic])
        while time.monotonic() < deadline:
            m = cons.poll(0.2)
            if m is not None and not m.error():
                n += count_delimited(m.value())
            if n >= want and done_at is None:
                done_at = time.monotonic()
            if done_at and time.monotonic() - done_at > 1.0:
                break
    finally:
        cons.close()
    assert not errors, errors[:3]
    return n


def stat_line(stderr, what):
    lines = [ln for ln in stderr.splitlines() if f"stats {what} " in ln]
    assert lines, stderr[-3000:]
    return {k: v for k, _, v in (w.partition("=") for w in lines[-1].split()) if _}


@dataclass
class Dgram:
    src: str
    dst: str
    sport: int
    dport: int
    payload: bytes


def nf5_pcap(path, port, datagrams=50, per=10):
    recs = lambda i: [xflow.Rec(f"198.18.1.{i % 250}", "198.19.0.1", 1000 + j, 80, 6, 100, 1)  # noqa: E731
                      for j in range(per)]
    xflow.write_udp_pcap(path, [Dgram("198.18.0.1", "127.0.0.1", 5000, port,
                                      xflow.nf5(recs(i), seq=i * per)) for i in range(datagrams)])
    return datagrams * per


def mock(args, timeout=90):
    return subprocess.run([str(xflow.binary("xdpflow-mock")), *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout * xflow.timeout_scale())


# ---------------------------------------------------------------- delivery

@pytest.mark.parametrize("mode", ["ssl", "sasl_ssl"])
def test_xdpflowd_delivers(sec, tmp_path, mode):
    pcap = tmp_path / "nf5.pcap"
    n = nf5_pcap(pcap, 2055)
    topic = new_topic(sec)
    c = conf(sec, mode)
    r = xflow.run_xdpflowd(["--pcap", pcap, "-l", "netflow://127.0.0.1:2055", "-o", "kafka",
                            "--format", "pb", "--kafka-batch", "16", "--kafka-topic", topic,
                            *kafka_args(c)], timeout=60)
    r.assert_clean_exit()
    st = stat_line(r.stderr, "publish")
    assert st["flows"] == str(n) and st["delivery_errors"] == "0", r.stderr[-2000:]
    assert st["delivered"] == st["messages"], r.stderr[-2000:]
    assert consume_flows(c, topic, n) == n


@pytest.mark.parametrize("mode", ["ssl", "sasl_ssl"])
def test_mock_delivers(sec, mode):
    n = 3000
    topic = new_topic(sec)
    c = conf(sec, mode)
    r = mock(["-n", str(n), "-r", "0", "-s", "5", "-o", "kafka", "--format", "pb",
              "--kafka-batch", "64", "--kafka-topic", topic, *kafka_args(c)])
    assert r.returncode == 0, r.stderr[-2000:]
    st = stat_line(r.stderr, "mock")
    assert st["flows"] == str(n) and st["delivery_errors"] == "0", r.stderr[-2000:]
    assert consume_flows(c, topic, n) == n


def tls_db(sec, ca):
    """A fresh database owned by the TLS-only role; its verify-full URI."""
    name = "s_" + uuid.uuid4().hex[:12]
    base = sec.pg_tls_uri.rsplit("/", 1)[0]
    q = f"?sslmode=verify-full&sslrootcert={sec.pg_ca}"
    with pg_connect(base + "/xdpflow" + q) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return name, f"{base}/{name}?sslmode=verify-full&sslrootcert={ca}"


def test_insert_sasl_ssl_to_postgres_verify_full(sec, tmp_path):
    n = 2000
    topic = new_topic(sec)
    values = [delimited([encode_flow(make_flow(s)) for s in range(i, i + 50)])
              for i in range(0, n, 50)]
    produce(producer(sec), topic, values)
    db, uri = tls_db(sec, sec.pg_ca)
    c = conf(sec, "sasl_ssl")
    ins = Inserter(types.SimpleNamespace(brokers=c["bootstrap.servers"]), topic, uri, tmp_path,
                   *kafka_args(c)[2:]).start()
    try:
        wait_for(lambda: count_rows(uri) >= n, 90 * xflow.timeout_scale(), f"{n} rows")
        time.sleep(1.0)
        assert count_rows(uri) == n
        # The role may only log in over TLS (pg_hba): the rows prove it; and
        # the inserter's own session is encrypted.
        with pg_connect(uri) as pc:
            enc = pc.execute("SELECT bool_and(s.ssl), count(*) FROM pg_stat_ssl s JOIN "
                             "pg_stat_activity a USING (pid) WHERE a.datname = %s",
                             (db,)).fetchone()
        assert enc[0] is True and enc[1] >= 2, enc
    finally:
        assert ins.stop() == 0, ins.output()[-2000:]


def test_postgres_tls_role_refused_without_tls(sec):
    import psycopg
    plain = sec.pg_tls_uri.replace("localhost", "127.0.0.1") + "?sslmode=disable"
    with pytest.raises(psycopg.OperationalError, match="pg_hba.conf rejects"):
        pg_connect(plain)


def test_scram_user_on_broker(sec):
    """The broker's SCRAM-SHA-512 user, with confluent_kafka's librdkafka
    (2.6.1 or later, so its SCRAM works with Kafka 4)."""
    import confluent_kafka
    from confluent_kafka import Producer
    assert tuple(int(x) for x in confluent_kafka.libversion()[0].split(".")[:3]) >= (2, 6, 1)
    topic = new_topic(sec)
    c = conf(sec, "sasl_ssl", mech="SCRAM-SHA-512")
    produce(Producer(c), topic, [delimited([encode_flow(make_flow(1))])])
    assert consume_flows(c, topic, 1) == 1
    errors = []
    p = Producer({**conf(sec, "sasl_ssl", password="wrong", mech="SCRAM-SHA-512"),
                  "error_cb": errors.append})
    wait_for(lambda: (p.poll(0.2), errors)[1], 30, "an authentication error")
    assert any("Authentication failed" in e.str() for e in errors), errors


def test_mock_scram(sec):
    """With librdkafka 2.6.1 or later the mocker delivers over SCRAM-SHA-512.
    Before it (Debian 12 ships 2.0.2) librdkafka sends a SCRAM proof Kafka 4
    rejects (librdkafka#4895): then the mocker must fail clearly and in
    bounded time, never hang or report success."""
    topic = new_topic(sec)
    c = conf(sec, "sasl_ssl", mech="SCRAM-SHA-512")
    t0 = time.monotonic()
    r = mock(["-n", "500", "-r", "0", "-o", "kafka", "--format", "pb", "--kafka-topic", topic,
              *kafka_args(c)], timeout=60)
    if SCRAM_OK:
        assert r.returncode == 0, r.stderr[-2000:]
        assert consume_flows(c, topic, 500) == 500
    else:
        assert r.returncode != 0, r.stderr[-2000:]
        assert "SASL authentication error" in r.stderr, r.stderr[-2000:]
        assert time.monotonic() - t0 < 45 * xflow.timeout_scale()


# ---------------------------------------------------------------- failures

BAD = {
    "wrong-password": (dict(mode="sasl_ssl", password="not-the-password"),
                       "SASL authentication error"),
    "untrusted-ca": (dict(mode="ssl", ca="OTHER"), "certificate verify failed"),
}


def bad_conf(sec, other_ca, case):
    kw, needle = BAD[case]
    kw = dict(kw)
    if kw.get("ca") == "OTHER":
        kw["ca"] = other_ca
    return conf(sec, **kw), needle


@pytest.mark.parametrize("case", sorted(BAD))
def test_mock_fails_clearly(sec, other_ca, case):
    c, needle = bad_conf(sec, other_ca, case)
    t0 = time.monotonic()
    r = mock(["-n", "200", "-r", "0", "-o", "kafka", "--format", "pb",
              "--kafka-topic", new_topic(sec), *kafka_args(c)], timeout=60)
    assert r.returncode != 0, r.stderr[-2000:]
    assert needle in r.stderr, r.stderr[-2000:]
    assert time.monotonic() - t0 < 45 * xflow.timeout_scale()


@pytest.mark.parametrize("case", sorted(BAD))
def test_xdpflowd_fails_clearly(sec, other_ca, tmp_path, case):
    """The daemon logs the reason within seconds, does not repeat it at
    each of librdkafka's retries, and still stops on SIGTERM."""
    c, needle = bad_conf(sec, other_ca, case)
    port = xflow.free_udp_port()
    d = xflow.Daemon(["-l", f"netflow://127.0.0.1:{port}", "-o", "kafka", "--format", "pb",
                      "--kafka-topic", new_topic(sec), *kafka_args(c)], tmp_path)
    try:
        d.start()
        d.wait_listening([port])
        recs = [xflow.Rec("198.18.1.1", "198.19.0.1", 1000 + j, 80, 6, 100, 1) for j in range(5)]
        xflow.send_udp([xflow.nf5(recs)], port)
        wait_for(lambda: needle in d.stderr(), 15 * xflow.timeout_scale(), needle)
        time.sleep(8)
        lines = [ln for ln in d.stderr().splitlines() if needle in ln]
        # Once per librdkafka error code (it gives TLS failures as _SSL and
        # _TRANSPORT in turn) and 30 s, whatever its retries.
        assert len(lines) <= 3, "repeated:\n" + "\n".join(lines[-20:])
        assert d.alive()
        r = d.stop(timeout=30)
    finally:
        xflow.stop_daemons([d])
    st = stat_line(r.stderr, "publish")
    assert st["delivered"] == "0" and st["flows"] == "5", r.stderr[-2000:]


@pytest.mark.parametrize("case", sorted(BAD))
def test_insert_kafka_fails_clearly(sec, other_ca, tmp_path, case):
    c, needle = bad_conf(sec, other_ca, case)
    db, uri = tls_db(sec, sec.pg_ca)
    ins = Inserter(types.SimpleNamespace(brokers=c["bootstrap.servers"]), new_topic(sec), uri,
                   tmp_path, *kafka_args(c)[2:]).start()
    try:
        wait_for(lambda: needle in ins.output() or ins.proc.poll() is not None,
                 20 * xflow.timeout_scale(), needle)
        assert needle in ins.output(), ins.output()[-2000:]
    finally:
        ins.stop(timeout=30)


def test_insert_postgres_untrusted_ca(sec, other_ca, tmp_path):
    """The inserter treats PostgreSQL as possibly down and retries with a
    capped backoff (consumption paused, nothing committed); with a server
    certificate its CA did not sign, each attempt logs libpq's reason."""
    db, uri = tls_db(sec, other_ca)
    topic = new_topic(sec)
    produce(producer(sec), topic, [delimited([encode_flow(make_flow(s)) for s in range(10)])])
    ins = Inserter(types.SimpleNamespace(brokers=sec.brokers), topic, uri, tmp_path).start()
    needle = "certificate verify failed"
    try:
        wait_for(lambda: needle in ins.output() or ins.proc.poll() is not None,
                 15 * xflow.timeout_scale(), needle)
        assert needle in ins.output(), ins.output()[-2000:]
        time.sleep(6)
        lines = [ln for ln in ins.output().splitlines() if needle in ln]
        assert len(lines) <= 10, "not rate-limited:\n" + "\n".join(lines[-20:])
    finally:
        rc = ins.stop(timeout=30)
    assert rc == 0, ins.output()[-2000:]
    assert count_rows(uri.replace(other_ca, sec.pg_ca)) <= 0


def test_fatal_producer_error_stops(sec, tmp_path):
    c = conf(sec, "sasl_ssl", mech="PLAIN")
    c["sasl.username"] = sec.noidem_user
    topic = new_topic(sec)
    port = xflow.free_udp_port()
    d = xflow.Daemon(["-l", f"netflow://127.0.0.1:{port}", "-o", "kafka", "--format", "pb",
                      "--kafka-topic", topic, *kafka_args(c)], tmp_path)
    try:
        d.start()
        try:
            d.proc.wait(timeout=30 * xflow.timeout_scale())
        except subprocess.TimeoutExpired:
            raise AssertionError("xdpflowd kept running after a fatal Kafka error:\n"
                                 + d.stderr()[-2000:]) from None
    finally:
        xflow.stop_daemons([d])
    assert d.proc.returncode == 1, d.stderr()[-2000:]
    assert "Cluster authorization failed" in d.stderr(), d.stderr()[-2000:]
    assert "stopping: the Kafka output failed for good" in d.stderr()
    # An endless mocker (-n 0) stops too.
    r = mock(["-n", "0", "-r", "1000", "-o", "kafka", "--format", "pb", "--kafka-topic", topic,
              *kafka_args(c)], timeout=60)
    assert r.returncode == 1, r.stderr[-2000:]
    assert "stopping: the Kafka output failed for good" in r.stderr, r.stderr[-2000:]
