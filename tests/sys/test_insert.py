# SPDX-License-Identifier: Apache-2.0
"""xdpflow-insert against the real Kafka broker and PostgreSQL (the local
stack, tests/sys/stack.py): every framing arrives as exactly the flows sent,
field for field; SIGKILL of the inserter and a PostgreSQL restart mid-stream
neither lose nor duplicate a flow; poison messages land in dead_letter while
the rest flows; options, SIGTERM, stats, and the password kept out of `ps`
and the log; partition maintenance and retention. Each test has its own topic
and database. Every wait is bounded."""
import ipaddress
import os
import threading
import time

import pytest

from stack import (Inserter, count_rows, delimited, encode_flow, make_flow, pg_connect, produce,
                   producer, scratch, stack, wait_for)  # noqa: F401 (stack is a fixture)

pytestmark = pytest.mark.timeout(240)

# Columns checked for every row, and how to read each from make_flow().
CHECK_SQL = """
SELECT sequence_num, (extract(epoch FROM time_received) * 1000000)::bigint,
       (extract(epoch FROM time_flow_start) * 1000000)::bigint,
       (extract(epoch FROM time_flow_end) * 1000000)::bigint,
       type, sampling_rate, host(sampler_address), sampler_port, bytes, packets,
       host(src_addr), host(dst_addr), etype, proto, src_port, dst_port, in_if, out_if,
       src_mac::text, dst_mac, tcp_flags, src_as, dst_as, as_path, bgp_communities,
       layer_stack, layer_size, mpls_label, next_hop
FROM flows ORDER BY sequence_num
"""


def _ip(b):
    return str(ipaddress.ip_address(b))


def expected_row(seq):
    f = make_flow(seq)
    mac = f["src_mac"].to_bytes(6, "big")
    return (seq, f["time_received_ns"] // 1000, f["time_flow_start_ns"] // 1000,
            f["time_flow_end_ns"] // 1000, f["type"], f["sampling_rate"],
            _ip(f["sampler_address"]), f["sampler_port"], f["bytes"], f["packets"],
            _ip(f["src_addr"]), _ip(f["dst_addr"]), f["etype"], f["proto"], f["src_port"],
            f["dst_port"], f["in_if"], f["out_if"], ":".join(f"{b:02x}" for b in mac), None,
            f["tcp_flags"], f["src_as"], f["dst_as"], f["as_path"], f["bgp_communities"],
            f["layer_stack"], f["layer_size"], f["mpls_label"] or None, None)


def check_exact(uri, seqs):
    """Every flow of seqs is in flows exactly once, every checked field right."""
    with pg_connect(uri) as c:
        rows = c.execute(CHECK_SQL).fetchall()
    got = [r[0] for r in rows]
    assert len(got) == len(set(got)), "duplicate flows"
    assert sorted(got) == sorted(seqs)
    for r in rows:
        assert tuple(r) == expected_row(r[0]), f"flow {r[0]} differs"


def no_dups(uri, n):
    with pg_connect(uri) as c:
        total, distinct = c.execute("SELECT count(*), count(DISTINCT sequence_num) FROM flows").fetchone()
    assert (total, distinct) == (n, n), f"rows {total}, distinct flows {distinct}, sent {n}"


def batches(seqs, per):
    """Kafka message values: per flows each, length-delimited."""
    flows = [encode_flow(make_flow(s)) for s in seqs]
    return [delimited(flows[i:i + per]) for i in range(0, len(flows), per)]


def test_options(stack, tmp_path):
    ins = Inserter(stack, "flows", stack.pguri, tmp_path)
    binary = ins.args[0]
    import subprocess
    for bad in (["--bogus"], ["--batch-rows", "0"], ["--batch-ms", "x"], ["-X", "nonsense"],
                ["-X", "no.such.property=1"], ["--log-level", "loud"], ["extra"],
                ["-X", "partition.assignment.strategy=cooperative-sticky"]):
        r = subprocess.run([binary, *bad], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2, (bad, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (bad, r.stderr)
    r = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "--kafka-brokers" in r.stdout and "--postgres" in r.stdout


@pytest.mark.parametrize("framing", ["bare", "batch1", "batch64"])
def test_framings_exact(stack, tmp_path, framing):
    n = 3000
    seqs = list(range(1, n + 1))
    if framing == "bare":
        values = [encode_flow(make_flow(s)) for s in seqs]
    else:
        values = batches(seqs, 1 if framing == "batch1" else 64)
    with scratch(stack) as (topic, uri):
        produce(producer(stack), topic, values)
        ins = Inserter(stack, topic, uri, tmp_path).start()
        try:
            wait_for(lambda: count_rows(uri) >= n, 90, f"{n} rows")
            time.sleep(0.5)
            check_exact(uri, seqs)
        finally:
            rc = ins.stop()
        assert rc == 0, ins.output()
        out = ins.output()
        assert f"stats insert rows={n} messages={len(values)} dead_letters=0" in out, out


def test_mixed_framings_one_topic(stack, tmp_path):
    """Bare, single and batched messages interleaved on the same partition."""
    values, seqs, s = [], [], 1
    for i in range(300):
        k = i % 3
        group = list(range(s, s + (1 if k < 2 else 17)))
        s += len(group)
        seqs += group
        values.append(encode_flow(make_flow(group[0])) if k == 0 else batches(group, 64)[0])
    with scratch(stack, partitions=1) as (topic, uri):
        produce(producer(stack), topic, values)
        ins = Inserter(stack, topic, uri, tmp_path).start()
        try:
            wait_for(lambda: count_rows(uri) >= len(seqs), 90, "rows")
            time.sleep(0.5)
            check_exact(uri, seqs)
        finally:
            assert ins.stop() == 0


class Feeder(threading.Thread):
    """Produces n flows in 64-flow messages over about `seconds`."""

    def __init__(self, stack, topic, n, seconds):
        super().__init__(daemon=True)
        self.stack, self.topic, self.n, self.seconds = stack, topic, n, seconds
        self.error = None

    def run(self):
        try:
            p = producer(self.stack)
            vals = batches(range(1, self.n + 1), 64)
            steps = 20
            for i in range(steps):
                produce(p, self.topic, vals[i * len(vals) // steps:(i + 1) * len(vals) // steps])
                time.sleep(self.seconds / steps)
        except Exception as e:  # reported by the test
            self.error = e


# Inserter options of the mid-stream tests: small batches, committed often.
SMALL_BATCHES = ("--batch-rows", "4000", "--batch-ms", "50")


def stream_done(feeder, uri, n, timeout):
    """Waits (at most timeout s each) for the feeder to have produced its n
    flows and for n rows to be in flows, then checks none is there twice."""
    feeder.join(timeout=timeout)
    assert not feeder.is_alive() and feeder.error is None, feeder.error
    wait_for(lambda: count_rows(uri) >= n, timeout, f"{n} rows")
    time.sleep(1.0)
    no_dups(uri, n)


def test_sigkill_mid_stream(stack, tmp_path):
    n = 150_000
    with scratch(stack) as (topic, uri):
        feeder = Feeder(stack, topic, n, 6)
        feeder.start()
        ins = Inserter(stack, topic, uri, tmp_path, *SMALL_BATCHES).start()
        try:
            wait_for(lambda: count_rows(uri) >= 20_000, 90, "first rows")
            ins.kill()
            killed_at = count_rows(uri)
            ins2 = Inserter(stack, topic, uri, tmp_path, *SMALL_BATCHES).start()
            try:
                wait_for(lambda: count_rows(uri) >= 40_000 + killed_at // 2 or count_rows(uri) >= n,
                         90, "rows after restart")
                ins2.kill()  # a second crash, later in the stream
                ins3 = Inserter(stack, topic, uri, tmp_path).start()
                try:
                    stream_done(feeder, uri, n, 120)
                finally:
                    assert ins3.stop() == 0, ins3.output()
            finally:
                ins2.kill()
        finally:
            ins.kill()
        assert killed_at < n, "the kill came after the stream ended: nothing was tested"


def test_postgres_restart_mid_stream(stack, tmp_path):
    n = 150_000
    with scratch(stack) as (topic, uri):
        feeder = Feeder(stack, topic, n, 8)
        feeder.start()
        ins = Inserter(stack, topic, uri, tmp_path, *SMALL_BATCHES).start()
        try:
            wait_for(lambda: count_rows(uri) >= 20_000, 90, "first rows")
            stack.restart_postgres(down_s=3)
            stream_done(feeder, uri, n, 120)
        finally:
            rc = ins.stop()
        out = ins.output()
        assert rc == 0, out
        assert "pausing consumption" in out, out
        assert "pg_failures=0" not in out, out


def test_kafka_restart_mid_stream(stack, tmp_path):
    n = 100_000
    with scratch(stack) as (topic, uri):
        feeder = Feeder(stack, topic, n, 8)
        feeder.start()
        ins = Inserter(stack, topic, uri, tmp_path, *SMALL_BATCHES).start()
        try:
            wait_for(lambda: count_rows(uri) >= 10_000, 90, "first rows")
            stack.restart_kafka(down_s=1)
            stream_done(feeder, uri, n, 150)
        finally:
            rc = ins.stop()
        assert rc == 0, ins.output()


def test_offsets_fence(stack, tmp_path):
    """kafka_offsets_advance refuses a batch that overlaps what another writer
    already stored (a zombie after a rebalance), and moves on otherwise."""
    with scratch(stack) as (topic, uri):
        produce(producer(stack), topic, batches(range(1, 65), 64), partition=0)
        ins = Inserter(stack, topic, uri, tmp_path).start()
        try:
            wait_for(lambda: count_rows(uri) >= 64, 60, "schema and rows")
        finally:
            assert ins.stop() == 0
        with pg_connect(uri, autocommit=False) as c:
            adv = "SELECT kafka_offsets_advance(%s, %s, %s, %s)"
            assert c.execute("SELECT next_offset FROM kafka_offsets WHERE topic = %s AND partition = 0",
                             (topic,)).fetchone()[0] == 1
            assert c.execute(adv, ("x", [0, 1], [0, 0], [10, 5])).fetchone()[0] == 0
            c.commit()
            assert c.execute(adv, ("x", [0, 1], [10, 3], [20, 9])).fetchone()[0] == 1  # 3 < 5
            c.rollback()  # what the inserter does with a refused batch
            assert c.execute(adv, ("x", [0], [12], [30])).fetchone()[0] == 0  # a gap is fine
            c.commit()
            rows = c.execute("SELECT partition, next_offset FROM kafka_offsets WHERE topic = 'x' "
                             "ORDER BY 1").fetchall()
        assert rows == [(0, 30), (1, 5)], rows


def test_poison_messages(stack, tmp_path):
    good = batches(range(1, 64 * 40 + 1), 64)
    poison = [
        b"\xff\xfe\xfd garbage \x00\x01",
        b"",  # empty value
        delimited([encode_flow(make_flow(999_001))])[:-5],  # truncated frame
        bytes([0x08]) + b"\x80" * 12,  # varint longer than 64 bits
        bytes([0x32, 0x05]) + b"\x01\x02",  # length past the end
        bytes([0x0b, 0x01]),  # group wire type
    ]
    values, where = [], []
    for i, g in enumerate(good):
        values.append(g)
        if i % 7 == 3 and len(where) < len(poison):
            where.append(len(values))
            values.append(poison[len(where) - 1])
    assert len(where) == len(poison)
    with scratch(stack, partitions=1) as (topic, uri):
        produce(producer(stack), topic, values, partition=0)
        ins = Inserter(stack, topic, uri, tmp_path).start()
        try:
            wait_for(lambda: count_rows(uri) >= 64 * 40, 90, "good rows")
            wait_for(lambda: count_rows(uri, "dead_letter") >= len(poison), 30, "dead letters")
            time.sleep(0.5)
            no_dups(uri, 64 * 40)
            with pg_connect(uri) as c:
                dl = c.execute("SELECT topic, partition, kafka_offset, payload, reason "
                               "FROM dead_letter ORDER BY kafka_offset").fetchall()
        finally:
            rc = ins.stop()
        assert rc == 0
        assert [(r[0], r[1], r[2]) for r in dl] == [(topic, 0, off) for off in where]
        assert [bytes(r[3]) for r in dl] == poison
        assert all(r[4] for r in dl)
        out = ins.output()
        assert f"dead_letters={len(poison)}" in out and "to dead_letter" in out, out


def test_password_hidden_and_pg_env(stack, tmp_path):
    n = 640
    with scratch(stack) as (topic, uri):
        produce(producer(stack), topic, batches(range(1, n + 1), 64))
        ins = Inserter(stack, topic, uri, tmp_path, "--log-level", "debug").start()
        try:
            wait_for(lambda: count_rows(uri) >= n, 60, "rows")
            with open(f"/proc/{ins.proc.pid}/cmdline", "rb") as f:
                cmdline = f.read()
            assert b"xdpflow:xdpflow@" not in cmdline and b"postgresql://" not in cmdline, cmdline
        finally:
            assert ins.stop() == 0
        assert "xdpflow:xdpflow" not in ins.output() and "postgresql://" not in ins.output()
        assert f"stats insert rows={n} " in ins.output()

        # Only PG* variables: same database, nothing more inserted twice.
        host_port = uri.split("@", 1)[1].split("/", 1)[0]
        env = {"PGHOST": host_port.split(":")[0], "PGPORT": host_port.split(":")[1],
               "PGUSER": "xdpflow", "PGPASSWORD": "xdpflow", "PGDATABASE": topic}
        more = batches(range(n + 1, 2 * n + 1), 64)
        produce(producer(stack), topic, more)
        ins2 = Inserter(stack, topic, uri, tmp_path, pg_arg=False).start(env=env)
        try:
            wait_for(lambda: count_rows(uri) >= 2 * n, 60, "rows via PG* variables")
            time.sleep(0.5)
            no_dups(uri, 2 * n)
        finally:
            assert ins2.stop() == 0
        assert "xdpflow:xdpflow" not in ins2.output()


def test_sigterm_commits_open_batch(stack, tmp_path):
    n = 64 * 50
    with scratch(stack) as (topic, uri):
        produce(producer(stack), topic, batches(range(1, n + 1), 64))
        ins = Inserter(stack, topic, uri, tmp_path, "--batch-ms", "600000",
                       "--batch-rows", "10000000").start()
        try:
            wait_for(lambda: "assigned" in ins.output(), 60, "partition assignment")
            time.sleep(3)  # consumed, but the batch is not due for 10 minutes
            assert count_rows(uri) in (0, -1)
        finally:
            rc = ins.stop()
        assert rc == 0, ins.output()
        no_dups(uri, n)
        assert f"stats insert rows={n} messages=50 dead_letters=0" in ins.output()


def test_postgres_down_at_start(stack, tmp_path):
    """No server at the address: it retries with backoff, consumes nothing,
    and still stops cleanly on SIGTERM."""
    with scratch(stack) as (topic, uri):
        produce(producer(stack), topic, batches(range(1, 65), 64))
        dead = "postgresql://xdpflow:xdpflow@127.0.0.1:9/xdpflow?connect_timeout=2"
        ins = Inserter(stack, topic, dead, tmp_path).start()
        time.sleep(4)
        assert ins.stop(timeout=30) == 0
        out = ins.output()
        assert "could not connect to PostgreSQL" in out and "retrying in" in out, out
        assert "stats insert rows=0 messages=0" in out, out


def test_partitions_and_retention(stack, tmp_path):
    with scratch(stack) as (topic, uri):
        produce(producer(stack), topic, batches(range(1, 65), 64))
        ins = Inserter(stack, topic, uri, tmp_path, "--retention-days", "3").start()
        try:
            wait_for(lambda: count_rows(uri) >= 64, 60, "rows")
        finally:
            assert ins.stop() == 0
        with pg_connect(uri) as c:
            parts = {r[0] for r in c.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'flows'::regclass").fetchall()}
            today = c.execute("SELECT (now() AT TIME ZONE 'UTC')::date").fetchone()[0]
            for d in (-1, 0, 1, 2):
                assert "flows_p" + (today + __import__("datetime").timedelta(days=d)).strftime("%Y%m%d") in parts
            assert "flows_default" in parts
            # The rows are in today's partition, not the default one.
            assert c.execute("SELECT count(*) FROM flows_default").fetchone()[0] == 0
            # A row 5 days ahead waits in the default partition, then moves
            # into its own partition when that is created.
            c.execute("INSERT INTO flows (time_received, sequence_num) "
                      "VALUES (now() + interval '5 days', 424242)")
            assert c.execute("SELECT count(*) FROM flows_default").fetchone()[0] == 1
            c.execute("SELECT flows_maintain(3, 6)")
            assert c.execute("SELECT count(*) FROM flows_default").fetchone()[0] == 0
            assert c.execute("SELECT count(*) FROM flows WHERE sequence_num = 424242").fetchone()[0] == 1
            # An old partition goes with retention; a recent one stays.
            c.execute("CREATE TABLE flows_p20000101 PARTITION OF flows FOR VALUES "
                      "FROM ('2000-01-01 00:00+00') TO ('2000-01-02 00:00+00')")
            c.execute("INSERT INTO flows (time_received) VALUES ('2000-01-01 12:00+00')")
            c.execute("SELECT flows_maintain(3)")
            assert c.execute("SELECT to_regclass('flows_p20000101')").fetchone()[0] is None
            assert c.execute("SELECT count(*) FROM flows").fetchone()[0] == 65
            # Types: counters and sampling rate are bigint, addresses inet.
            types = dict(c.execute("SELECT column_name, data_type FROM information_schema.columns "
                                   "WHERE table_name = 'flows'").fetchall())
            assert types["bytes"] == types["packets"] == types["sampling_rate"] == "bigint"
            assert types["src_addr"] == "inet" and types["time_received"].startswith("timestamp with")


def test_two_inserters_share_the_group(stack, tmp_path):
    """Two inserters in one group split the partitions; when one stops the
    other takes over its partitions from the stored offsets."""
    n = 64 * 400
    with scratch(stack) as (topic, uri):
        a = Inserter(stack, topic, uri, tmp_path, group="g_shared_" + topic).start()
        b = Inserter(stack, topic, uri, tmp_path, group="g_shared_" + topic).start()
        try:
            produce(producer(stack), topic, batches(range(1, n // 2 + 1), 64))
            wait_for(lambda: count_rows(uri) >= n // 2, 90, "first half")
            assert a.stop() == 0
            produce(producer(stack), topic, batches(range(n // 2 + 1, n + 1), 64))
            wait_for(lambda: count_rows(uri) >= n, 90, "second half")
            time.sleep(1.0)
            no_dups(uri, n)
        finally:
            a.kill()
            assert b.stop() == 0


# ---------------------------------------------------------------- enrichment

ENRICH_STRINGS = ("src_country", "dst_country", "src_as_name", "dst_as_name",
                  "src_net_name", "dst_net_name", "src_net_role", "dst_net_role",
                  "src_net_site", "dst_net_site", "src_net_region", "dst_net_region",
                  "src_net_tenant", "dst_net_tenant", "in_if_name", "out_if_name",
                  "in_if_description", "out_if_description", "exporter_name",
                  "exporter_group", "exporter_role", "exporter_site", "exporter_region",
                  "exporter_tenant")
ENRICH_SPEEDS = ("in_if_speed", "out_if_speed")


def enrichment(seq):
    """The enrichment fields of flow seq: none for every 5th flow (not
    enriched), otherwise every field, some empty or 0 (unknown), non-ASCII
    text included."""
    if seq % 5 == 0:
        return {}
    e = {name: f"{name[:3]}-{seq % 7}" for name in ENRICH_STRINGS}
    e.update(src_country="FR" if seq % 2 else "US", dst_country="DE",
             src_as_name="Caf\u00e9 Net \U0001F600", dst_net_tenant="" if seq % 3 == 0 else "acme",
             in_if_name="et-0/0/1", out_if_description="transit, \"quoted\"",
             in_if_speed=100_000_000_000, out_if_speed=0 if seq % 3 == 0 else 10_000_000_000,
             exporter_name=f"edge{seq % 2}.par")
    return e


def enriched_flow(seq):
    f = make_flow(seq)
    f.update(enrichment(seq))
    return f


ENRICH_SQL = ("SELECT sequence_num, " + ", ".join(ENRICH_STRINGS + ENRICH_SPEEDS) +
              " FROM flows ORDER BY sequence_num")


def expected_enrichment(seq):
    """The enrichment columns of flow seq: NULL for an empty string or a
    0 speed (unknown), as sql/postgres/004_enrichment.sql says."""
    e = enrichment(seq)
    return (seq, *[e.get(n) or None for n in ENRICH_STRINGS + ENRICH_SPEEDS])


def check_enriched(uri, seqs):
    check_exact(uri, seqs)  # the other columns as before
    with pg_connect(uri) as c:
        rows = c.execute(ENRICH_SQL).fetchall()
    assert [tuple(r) for r in rows] == [expected_enrichment(s) for s in sorted(seqs)]


def test_enrichment_columns(stack, tmp_path):
    """Enriched flows (fields 1010-1045) beside plain ones, in one batch:
    every enrichment column as sent, NULL where the flow has nothing."""
    n = 640
    seqs = list(range(1, n + 1))
    flows = [encode_flow(enriched_flow(s)) for s in seqs]
    values = [delimited(flows[i:i + 64]) for i in range(0, n, 64)]
    with scratch(stack) as (topic, uri):
        produce(producer(stack), topic, values)
        ins = Inserter(stack, topic, uri, tmp_path).start()
        try:
            wait_for(lambda: count_rows(uri) >= n, 90, f"{n} rows")
            time.sleep(0.5)
            check_enriched(uri, seqs)
        finally:
            assert ins.stop() == 0, ins.output()
        assert f"stats insert rows={n} messages={len(values)} dead_letters=0" in ins.output()
        with pg_connect(uri) as c:
            types = dict(c.execute("SELECT column_name, data_type FROM information_schema.columns "
                                   "WHERE table_name = 'flows'").fetchall())
            # A dashboard query: top source countries, NULL (not enriched) apart.
            top = c.execute("SELECT src_country, count(*) FROM flows WHERE src_country IS NOT NULL "
                            "GROUP BY 1 ORDER BY 1").fetchall()
    assert all(types[c] == "text" for c in ENRICH_STRINGS)
    assert all(types[c] == "bigint" for c in ENRICH_SPEEDS)
    assert top == [("FR", sum(1 for s in seqs if s % 5 and s % 2)),
                   ("US", sum(1 for s in seqs if s % 5 and not s % 2))]


def old_schema_sql():
    """The schema as it was before the enrichment columns: every file of
    sql/postgres before 004_enrichment.sql."""
    from stack import ROOT
    sql_dir = os.path.join(ROOT, "sql", "postgres")
    names = sorted(f for f in os.listdir(sql_dir) if f.endswith(".sql"))
    assert "004_enrichment.sql" in names
    return "\n".join(open(os.path.join(sql_dir, f)).read()
                     for f in names if f < "004")


def test_old_database_upgrades(stack, tmp_path):
    """A database made before the enrichment columns existed (with rows and
    stored offsets): the inserter adds the columns at start (ALTER TABLE
    ... ADD COLUMN IF NOT EXISTS), keeps the old rows (NULL in the new
    columns) and goes on from the stored offsets: nothing lost or doubled."""
    old, new = list(range(1, 129)), list(range(129, 257))
    with scratch(stack, partitions=1) as (topic, uri):
        with pg_connect(uri) as c:
            c.execute(old_schema_sql())
            cols = {r[0] for r in c.execute("SELECT column_name FROM information_schema.columns "
                                            "WHERE table_name = 'flows'").fetchall()}
            assert "src_country" not in cols and "sequence_num" in cols
        # The old rows came from the first two messages (offsets 0 and 1).
        produce(producer(stack), topic, batches(old, 64), partition=0)
        with pg_connect(uri) as c:
            c.execute("INSERT INTO flows (time_received, sequence_num, bytes) "
                      "SELECT now(), s, 1 FROM generate_series(1, 128) s")
            c.execute("INSERT INTO kafka_offsets (topic, partition, next_offset) "
                      "VALUES (%s, 0, 2)", (topic,))
        flows = [encode_flow(enriched_flow(s)) for s in new]
        produce(producer(stack), topic, [delimited(flows[i:i + 64]) for i in range(0, 128, 64)],
                partition=0)
        ins = Inserter(stack, topic, uri, tmp_path).start()
        try:
            wait_for(lambda: count_rows(uri) >= 256, 90, "256 rows")
            time.sleep(0.5)
        finally:
            assert ins.stop() == 0, ins.output()
        out = ins.output()
        assert "applying the xdpflow schema" in out, out
        assert "stats insert rows=128 messages=2 dead_letters=0" in out, out
        no_dups(uri, 256)
        with pg_connect(uri) as c:
            rows = c.execute(ENRICH_SQL).fetchall()
        assert [tuple(r) for r in rows[:128]] == [(s, *[None] * 26) for s in old]
        assert [tuple(r) for r in rows[128:]] == [expected_enrichment(s) for s in new]
        # A second start finds the schema complete: no DDL.
        again = Inserter(stack, topic, uri, tmp_path).start()
        try:
            wait_for(lambda: "assigned" in again.output(), 60, "partition assignment")
        finally:
            assert again.stop() == 0
        assert "applying the xdpflow schema" not in again.output()
