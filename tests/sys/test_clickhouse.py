# SPDX-License-Identifier: Apache-2.0
"""The ClickHouse schema (sql/clickhouse) proven in chDB, the embedded
ClickHouse engine:

- the two generated variants are up to date with their one source and can
  only differ in the cluster transforms; the cluster variant parses;
- every statement of the single-node variant is accepted, the Kafka-engine
  table included;
- how ClickHouse's Protobuf format matches column names to proto fields
  (case-insensitive, '_' equal to '.', CamelCase not matching snake_case),
  and that every Kafka-table column does match a field of proto/flow.proto;
- FlowMessages that xdpflowd produced from the shared corpus go through
  ClickHouse's own Protobuf input format into a stand-in of the Kafka table
  feeding the same views, and flows_raw, flows_5m and flows_1h then hold
  exactly what was sent (addresses as 192.0.2.1 / 2001:db8::1; per-AS and
  per-EType sums equal to sums computed from the protoc-generated classes);
- the same flows with the enrichment fields (1010-1045) added: flows_raw
  holds each, and the country, tenant and interface rollups hold the sums
  per key; a database made by the schema shipped before enrichment
  (tests/data/clickhouse) upgrades as flows.sql.in says, old rows intact;
- chDB's Kafka engine consuming from the real local broker (the stack)
  what `xdpflowd -o kafka --kafka-batch 1` and `256` published, a poison
  message landing in flows_errors while the good ones land in flows_raw;
- ingest speed: rows/s parsed from our payloads, 1 and 256 flows per Kafka
  message (printed, and written to clickhouse-speed.json in the test's
  temporary folder).
"""

import collections
import json
import os
import re
import subprocess
import time
import uuid

import pytest

import chdb_util as cu
import xflow
from chdb_util import ch  # noqa: F401 (fixture)
from stack import stack  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def payload(corpus, xdpflowd, tmp_path_factory):
    """(pb file, decoded messages) of the whole corpus through xdpflowd."""
    tmp = tmp_path_factory.mktemp("chpayload")
    pb = cu.corpus_payload(corpus, tmp)
    msgs = cu.decode_pb(pb, tmp)
    assert len(msgs) >= 60, f"only {len(msgs)} flows from the corpus"
    return pb, msgs


# --------------------------------------------------------------------------
# The DDL files
# --------------------------------------------------------------------------

def test_generated_files_up_to_date(tmp_path):
    r = cu.run_generator(tmp_path)
    assert r.returncode == 0, r.stderr
    for f in (cu.SINGLE_SQL, cu.CLUSTER_SQL):
        want = (tmp_path / f.name).read_text()
        assert f.read_text() == want, \
            f"{f} differs from what scripts/gen/gen-clickhouse-sql.py makes of " \
            f"sql/clickhouse/flows.sql.in: run the script and commit"
    r = subprocess.run([cu.python(), str(cu.GENERATOR), "--check"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def declustered(stmt: str) -> str:
    """A cluster statement with the cluster transforms undone."""
    s = stmt.replace(" ON CLUSTER '{cluster}'", "")
    s = re.sub(r"Replicated(\w*MergeTree)\('[^']*', '\{replica\}'\)", r"\1", s)
    return re.sub(r"\b(\w+)_local\b", r"\1", s)


def test_variants_differ_only_by_cluster_transforms():
    single = cu.statements(cu.SINGLE_SQL.read_text())
    cluster = cu.statements(cu.CLUSTER_SQL.read_text())
    # Cluster-only: the Distributed tables, and the ALTERs that add new
    # columns to them (the single variant alters the one table).
    dist = [s for s in cluster if "ENGINE = Distributed(" in s or
            re.match(r"ALTER TABLE (?!\w+_local\b)", s)]
    rest = [s for s in cluster if s not in dist]
    assert [declustered(s) for s in rest] == single
    # Every statement runs on the whole cluster.
    assert all(" ON CLUSTER '{cluster}'" in s for s in cluster)
    # Every replicated table has a Distributed table with the plain name
    # over it, and nothing but views and the Kafka table is unreplicated.
    local = {cu.created_name(s) for s in rest
             if re.search(r"ENGINE = Replicated\w*MergeTree\(", s)}
    assert local == {"flows_raw_local", "flows_errors_local",
                     "flows_5m_local", "flows_1h_local",
                     "flows_country_5m_local", "flows_tenant_5m_local",
                     "flows_interface_5m_local"}
    over = {re.search(r"Distributed\('\{cluster\}', currentDatabase\(\), "
                      r"(\w+), rand\(\)\)", s).group(1): cu.created_name(s)
            for s in dist if s.startswith("CREATE")}
    assert over == {n: n[:-len("_local")] for n in local}
    for s in rest:
        if re.search(r"ENGINE = (?!Replicated)\w*MergeTree\b", s):
            pytest.fail(f"unreplicated MergeTree in the cluster DDL: {s[:80]}")
    # Views write to and read from local tables only.
    for s in rest:
        if "MATERIALIZED VIEW" in s:
            assert re.search(r"\bTO \w+_local\b", s), s[:120]
            assert not re.search(r"\bFROM (flows_raw|flows_5m|flows_1h)\b", s)
    # Each replica path is unique per table.
    paths = re.findall(r"Replicated\w*MergeTree\('([^']*)'", "\n".join(rest))
    assert len(paths) == len(set(paths)) == 7


def test_cluster_ddl_parses(ch):
    """ClickHouse's own parser (formatQuery) accepts every cluster
    statement; chDB has no Keeper or cluster to run them on."""
    for s in cu.statements(cu.CLUSTER_SQL.read_text()):
        quoted = s.replace("\\", "\\\\").replace("'", "\\'")
        out = ch.value(f"SELECT formatQuery('{quoted}')")
        assert out.startswith(s.split(None, 1)[0]), out[:80]


def test_single_ddl_accepted(ch, tmp_path):
    """Every statement as written, the Kafka-engine table included (its
    schema path made absolute), in a fresh database."""
    db = ch.fresh_db("ddl")
    stmts = cu.load_schema(ch, standin=False)
    assert len(stmts) == 16
    got = dict(ch.rows(f"SELECT name, engine FROM system.tables "
                       f"WHERE database = '{db}'"))
    assert got == {"flows": "Kafka", "flows_raw": "MergeTree",
                   "flows_errors": "MergeTree",
                   "flows_5m": "SummingMergeTree",
                   "flows_1h": "SummingMergeTree",
                   "flows_country_5m": "SummingMergeTree",
                   "flows_tenant_5m": "SummingMergeTree",
                   "flows_interface_5m": "SummingMergeTree",
                   "flows_raw_mv": "MaterializedView",
                   "flows_errors_mv": "MaterializedView",
                   "flows_5m_mv": "MaterializedView",
                   "flows_1h_mv": "MaterializedView",
                   "flows_country_5m_mv": "MaterializedView",
                   "flows_tenant_5m_mv": "MaterializedView",
                   "flows_interface_5m_mv": "MaterializedView"}
    kafka = ch.value(f"SELECT create_table_query FROM system.tables "
                     f"WHERE database = '{db}' AND name = 'flows'")
    for k, v in {"kafka_format": "Protobuf", "kafka_topic_list": "flows",
                 "kafka_group_name": "clickhouse",
                 "kafka_handle_error_mode": "stream"}.items():
        assert f"{k} = '{v}'" in kafka, kafka
    written = cu.kafka_settings(cu.kafka_statement(
        cu.statements(cu.SINGLE_SQL.read_text())))
    assert written["kafka_schema"] == "flow.proto:FlowMessage"
    # flows_raw: day partitions, IPv6 addresses, a TTL.
    raw = ch.value(f"SELECT create_table_query FROM system.tables "
                   f"WHERE database = '{db}' AND name = 'flows_raw'")
    assert "PARTITION BY Date" in raw and "TTL Date + toIntervalDay(7)" in raw
    types = dict(ch.rows(f"SELECT name, type FROM system.columns WHERE "
                         f"database = '{db}' AND table = 'flows_raw'"))
    for c in ("SrcAddr", "DstAddr", "SamplerAddress", "NextHop",
              "BgpNextHop"):
        assert types[c] == "IPv6", (c, types[c])
    for c in ("Date", "TimeReceived", "TimeFlowStart", "SequenceNum",
              "SamplingRate", "SrcAS", "DstAS", "EType", "Proto", "SrcPort",
              "DstPort", "Bytes", "Packets", "InIf", "OutIf", "TCPFlags"):
        assert c in types, c
    # Enrichment: low-cardinality strings, speeds in bit/s.
    for c in cu.ENRICH_RAW:
        want = "UInt64" if c.endswith("Speed") else "LowCardinality(String)"
        assert types[c] == want, (c, types[c])
    nested = dict(ch.rows(f"SELECT name, type FROM system.columns WHERE "
                          f"database = '{db}' AND table = 'flows_5m'"))
    assert nested["ETypeMap.EType"] == "Array(UInt16)"
    assert nested["ETypeMap.Bytes"] == "Array(UInt64)"


# --------------------------------------------------------------------------
# Column names against proto fields
# --------------------------------------------------------------------------

def _sum_as(ch, pb, col):
    return ch.value(f"SELECT sum(`{col}`) FROM file('{pb}', 'Protobuf', "
                    f"'`{col}` UInt32') SETTINGS format_schema = "
                    f"'{cu.FLOW_PROTO}:FlowMessage'")


def test_protobuf_name_matching(ch, payload):
    """ClickHouse matches a column to a proto field case-insensitively with
    '_' and '.' equal; a CamelCase name does not match a snake_case field:
    alone it is an error, beside matching columns it silently stays 0."""
    pb, msgs = payload
    want = sum(m.dst_port for m in msgs)
    assert want > 0
    for name in ("dst_port", "DST_PORT", "Dst_Port", "dst.port"):
        assert _sum_as(ch, pb, name) == want, name
    for name in ("DstPort", "dstport"):
        with pytest.raises(Exception, match="Not found matches"):
            _sum_as(ch, pb, name)
    got = ch.rows(f"SELECT sum(DstPort), sum(bytes) FROM file('{pb}', "
                  f"'Protobuf', 'DstPort UInt32, bytes UInt64') SETTINGS "
                  f"format_schema = '{cu.FLOW_PROTO}:FlowMessage'")
    assert got == [[0, sum(m.bytes for m in msgs)]]


PROTO_CH_TYPES = {"uint32": {"UInt32"}, "uint64": {"UInt64"},
                  "bytes": {"String"}, "string": {"String"},
                  "FlowType": {"Enum8('FLOWUNKNOWN' = 0, 'SFLOW_5' = 1, "
                               "'NETFLOW_V5' = 2, 'NETFLOW_V9' = 3, "
                               "'IPFIX' = 4)"}}


def test_kafka_columns_are_proto_fields():
    fields = cu.proto_fields()
    norm = {n.lower().replace(".", "_"): n for n in fields}
    cols = cu.kafka_columns(cu.kafka_statement(
        cu.statements(cu.SINGLE_SQL.read_text())))
    assert len(cols) >= 40
    for name, typ in cols:
        key = name.lower().replace(".", "_")
        assert key in norm, f"column {name} matches no field of flow.proto"
        ptype, repeated = fields[norm[key]]
        allowed = PROTO_CH_TYPES[ptype]
        if repeated:
            allowed = {f"Array({t})" for t in allowed}
        assert typ in allowed, f"{name}: {typ} for proto {ptype}"
    # The fields worth querying are all there.
    for f in ("time_received_ns", "sampler_address", "src_addr", "dst_addr",
              "src_as", "dst_as", "etype", "proto", "src_port", "dst_port",
              "bytes", "packets", "sampling_rate", "in_if", "out_if",
              "next_hop", "tcp_flags", "time_flow_start_ns",
              *cu.ENRICH_FIELDS):
        assert f in dict(cols), f


# --------------------------------------------------------------------------
# The corpus through the views
# --------------------------------------------------------------------------

def check_tables(ch, msgs):
    """flows_raw, flows_5m and flows_1h hold exactly msgs."""
    rows = ch.rows(f"SELECT {cu.RAW_COLUMNS} FROM flows_raw")
    got = collections.Counter(json.dumps(r) for r in rows)
    want = collections.Counter(json.dumps(list(cu.raw_row(m))) for m in msgs)
    assert got == want, "flows_raw differs from what was sent:\n" \
        f"extra {list(got - want)[:3]}\nmissing {list(want - got)[:3]}"
    assert ch.value("SELECT count() FROM flows_errors") == 0
    for table, seconds in (("flows_5m", 300), ("flows_1h", 3600)):
        assert cu.rollup_in_ch(ch, table) == cu.rollup(msgs, seconds), table


def test_corpus_through_protobuf_format_and_views(ch, payload):
    pb, msgs = payload
    ch.fresh_db("corpus")
    cu.load_schema(ch)
    cu.insert_protobuf(ch, pb)
    check_tables(ch, msgs)
    # Both families, shown the usual way, from one query.
    ips = {r[0] for r in ch.rows(
        "SELECT SrcIP FROM flows_raw UNION ALL SELECT SamplerIP FROM "
        "flows_raw")}
    assert "192.168.119.100" in ips and "30::1:1:1" in ips
    assert not any(a.startswith("::ffff:") for a in ips)
    assert ch.value("SELECT count() FROM flows_raw WHERE "
                    "SrcAddr = toIPv6('::ffff:192.168.119.100')") > 0
    assert ch.value("SELECT count() FROM flows_raw WHERE "
                    "isIPAddressInRange(SrcIP, '192.168.0.0/16')") > 0
    # Per-AS and per-EType sums, independently of rollup_in_ch's reading.
    by_as = collections.Counter()
    by_etype = collections.Counter()
    for m in msgs:
        by_as[(m.src_as, m.dst_as)] += m.bytes
        by_etype[m.etype] += m.bytes
    assert len(by_as) >= 3 and len(by_etype) == 2
    got_as = {(a, b): s for a, b, s in ch.rows(
        "SELECT SrcAS, DstAS, sum(Bytes) FROM flows_5m GROUP BY SrcAS, DstAS")}
    assert got_as == dict(by_as)
    got_et = dict(ch.rows(
        "SELECT t.1, t.2 FROM (SELECT arrayJoin(arrayZip(s.1, s.2)) AS t "
        "FROM (SELECT sumMap(ETypeMap.EType, ETypeMap.Bytes) AS s "
        "FROM flows_5m))"))
    assert got_et == dict(by_etype)


@pytest.fixture(scope="module")
def enriched(payload, tmp_path_factory):
    """(pb file, decoded messages) of the corpus with enrichment fields."""
    pb, plain = payload
    tmp = tmp_path_factory.mktemp("chenriched")
    out = cu.enriched_payload(pb, tmp / "enriched.pb")
    msgs = cu.decode_pb(out, tmp)
    assert len(msgs) == len(plain)
    for i, (m, p) in enumerate(zip(msgs, plain)):
        e = cu.enrichment_of(p, i)
        assert {f: getattr(m, f) for f in cu.ENRICH_FIELDS if getattr(m, f)} \
            == {k: v for k, v in e.items() if v}, i
    return out, msgs


def test_enriched_flows_through_views(ch, enriched):
    """Enriched FlowMessages through ClickHouse's Protobuf input: flows_raw
    holds every enrichment field ('' / 0 when absent) beside the usual
    columns, and the country, tenant and interface rollups hold the sums
    per key computed from the protoc-decoded messages."""
    pb, msgs = enriched
    ch.fresh_db("enriched")
    cu.load_schema(ch)
    cu.insert_protobuf(ch, pb)
    check_tables(ch, msgs)
    rows = ch.rows(f"SELECT {cu.RAW_COLUMNS}, {cu.ENRICH_RAW_COLUMNS} "
                   f"FROM flows_raw")
    got = collections.Counter(json.dumps(r) for r in rows)
    want = collections.Counter(json.dumps(list(cu.raw_row(m)) +
                                          list(cu.enrich_raw_row(m)))
                               for m in msgs)
    assert got == want, f"extra {list(got - want)[:2]}\n" \
        f"missing {list(want - got)[:2]}"
    for table in cu.ENRICH_ROLLUPS:
        exp = cu.enrich_rollup(msgs, table)
        assert len(exp) >= 4, table
        assert cu.enrich_rollup_in_ch(ch, table) == exp, table
    # Both enriched and unenriched flows, non-ASCII intact.
    countries = collections.Counter(m.src_country for m in msgs)
    assert countries[""] > 0 and len(countries) >= 3
    assert ch.value("SELECT count() FROM flows_raw WHERE "
                    "DstNetTenant = 'Caf\u00e9 \u2615'") == \
        sum(1 for m in msgs if m.dst_net_tenant == "Caf\u00e9 \u2615") > 0
    # A dashboard's question: top destination countries by traffic.
    top = collections.Counter()
    for m in msgs:
        if m.dst_country:
            top[m.dst_country] += m.bytes * max(m.sampling_rate, 1)
    assert dict(ch.rows("SELECT DstCountry, sum(SampledBytes) FROM "
                        "flows_country_5m WHERE DstCountry != '' "
                        "GROUP BY DstCountry")) == dict(top)


OLD_SQL = cu.REPO / "tests" / "data" / "clickhouse" / \
    "flows-before-enrichment.sql"


def test_upgrade_from_before_enrichment(ch, payload, enriched):
    """A database made by the schema shipped before the enrichment columns,
    holding flows: after the documented upgrade (drop the Kafka table and
    flows_raw_mv, run flows.sql again) flows_raw has every column of a new
    database, the old rows are intact with '' / 0 in the new columns, and
    enriched flows arrive whole, rollups included; on a new database the
    ALTER changes nothing."""
    pb, plain = payload
    epb, msgs = enriched
    db = ch.fresh_db("upgrade")
    cu.load_schema(ch, OLD_SQL)
    cu.insert_protobuf(ch, pb, sql=OLD_SQL)
    assert ch.value("SELECT count() FROM flows_raw") == len(plain)
    ch.run("DROP TABLE flows_raw_mv")
    ch.run("DROP TABLE flows")
    cu.load_schema(ch)
    cols = ch.rows(f"SELECT name, type FROM system.columns WHERE "
                   f"database = '{db}' AND table = 'flows_raw' ORDER BY name")
    ch.fresh_db("fresh")
    cu.load_schema(ch)
    # Again: every statement but the stand-in's is idempotent.
    stmts = cu.statements(cu.SINGLE_SQL.read_text())
    for st in stmts:
        if st != cu.kafka_statement(stmts):
            ch.run(st)
    fresh = ch.rows(f"SELECT name, type FROM system.columns WHERE "
                    f"database = currentDatabase() AND table = 'flows_raw' "
                    f"ORDER BY name")
    assert cols == fresh
    ch.run(f"USE {db}")
    cu.insert_protobuf(ch, epb)
    rows = ch.rows(f"SELECT {cu.RAW_COLUMNS}, {cu.ENRICH_RAW_COLUMNS} "
                   f"FROM flows_raw")
    got = collections.Counter(json.dumps(r) for r in rows)
    empty = [0 if f.endswith("_speed") else ""
             for f in cu.ENRICH_FIELDS]
    want = collections.Counter(
        [json.dumps(list(cu.raw_row(m)) + empty) for m in plain] +
        [json.dumps(list(cu.raw_row(m)) + list(cu.enrich_raw_row(m)))
         for m in msgs])
    assert got == want
    for table in cu.ENRICH_ROLLUPS:
        assert cu.enrich_rollup_in_ch(ch, table) == \
            cu.enrich_rollup(msgs, table), table
    assert cu.rollup_in_ch(ch, "flows_5m") == cu.rollup(plain + msgs, 300)


def test_several_messages_per_kafka_message(ch, payload, tmp_path):
    """ClickHouse's 'Protobuf' reads all the length-delimited messages of one
    input (a Kafka message of --kafka-batch N); 'ProtobufSingle' reads one
    message without a prefix, so our framing is not for it."""
    pb, msgs = payload
    n = ch.value(f"SELECT count() FROM file('{pb}', 'Protobuf', "
                 f"'bytes UInt64') SETTINGS format_schema = "
                 f"'{cu.FLOW_PROTO}:FlowMessage'")
    assert n == len(msgs)
    one = xflow.split_delimited(pb.read_bytes())[0]
    single = tmp_path / "single.pb"
    single.write_bytes(one)
    got = ch.rows(f"SELECT bytes FROM file('{single}', 'ProtobufSingle', "
                  f"'bytes UInt64') SETTINGS format_schema = "
                  f"'{cu.FLOW_PROTO}:FlowMessage'")
    assert got == [[msgs[0].bytes]]


# --------------------------------------------------------------------------
# chDB's Kafka engine against the real broker
# --------------------------------------------------------------------------

def create_topic(brokers: str, partitions: int = 4) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic
    name = "ch_" + uuid.uuid4().hex[:12]
    admin = AdminClient({"bootstrap.servers": brokers})
    admin.create_topics([NewTopic(name, num_partitions=partitions,
                                  replication_factor=1)],
                        operation_timeout=30)[name].result(timeout=60)
    return name


def delete_topic(brokers: str, name: str) -> None:
    from confluent_kafka.admin import AdminClient
    try:
        AdminClient({"bootstrap.servers": brokers}).delete_topics(
            [name], operation_timeout=30)[name].result(timeout=60)
    except Exception:  # noqa: BLE001 (best effort cleanup)
        pass


def kafka_schema(ch, brokers, topic, **extra):
    """The single-node schema with the real Kafka table reading topic."""
    stmts = cu.statements(cu.SINGLE_SQL.read_text())
    ks = cu.kafka_statement(stmts)
    kafka = cu.with_kafka_settings(
        ks, kafka_broker_list=brokers, kafka_topic_list=topic,
        kafka_group_name=f"g_{topic}",
        kafka_schema=f"{cu.FLOW_PROTO}:FlowMessage")
    for k, v in extra.items():
        kafka += f",\n    {k} = {v}"
    # Views last, so nothing is consumed before the chain is complete.
    tables = [s for s in stmts if s != ks and "MATERIALIZED VIEW" not in s]
    views = [s for s in stmts if "MATERIALIZED VIEW" in s]
    for s in tables + [kafka] + views:
        ch.run(s)


def wait_rows(ch, table, n, timeout):
    end = time.monotonic() + timeout
    got = 0
    while time.monotonic() < end:
        got = ch.value(f"SELECT count() FROM {table}")
        if got >= n:
            return got
        time.sleep(0.2)
    return got


def publish(pcap, brokers, topic, batch, tmp):
    r = xflow.run_xdpflowd(["--pcap", pcap, "-o", "kafka", "--format", "pb",
                            "--kafka-brokers", brokers, "--kafka-topic", topic,
                            "--kafka-batch", batch], timeout=120)
    r.assert_clean_exit()
    return r


@pytest.mark.parametrize("batch", [1, 256])
def test_kafka_engine_consumes_xdpflowd(ch, stack, corpus, xdpflowd, batch,
                                        tmp_path):
    """xdpflowd -o kafka --kafka-batch N -> real broker -> chDB's Kafka
    engine -> the views: flows_raw, flows_5m and flows_1h hold exactly the
    flows xdpflowd wrote to a file from the same captures; a message that
    is not protobuf lands in flows_errors and the rest still arrives."""
    t0 = time.time() - 60
    pcaps = cu.corpus_pcaps(corpus, tmp_path, t0)
    msgs = []
    for p in pcaps:
        r = xflow.run_pcap(p, tmp_path, "pb")
        r.assert_clean_exit()
        msgs += cu.decode_pb(r.out_path, tmp_path)
    topic = create_topic(stack.brokers)
    try:
        ch.fresh_db(f"kafka{batch}")
        kafka_schema(ch, stack.brokers, topic, kafka_flush_interval_ms=500)
        for p in pcaps:
            publish(p, stack.brokers, topic, batch, tmp_path)
        from stack import produce, producer
        produce(producer(stack), topic, [b"\x05not a protobuf message"],
                partition=0)
        got = wait_rows(ch, "flows_raw", len(msgs), 90)
        assert got == len(msgs), f"{got} of {len(msgs)} flows arrived"
        errs = wait_rows(ch, "flows_errors", 1, 30)
        assert errs >= 1
        assert ch.value("SELECT count() FROM flows_errors WHERE "
                        f"Topic = '{topic}' AND Error != ''") == errs
        time.sleep(1.0)  # nothing more may come
        check_tables_with_errors(ch, msgs)
        ch.run("DROP TABLE flows_raw_mv")
        ch.run("DROP TABLE flows_errors_mv")
        ch.run("DROP TABLE flows")
    finally:
        delete_topic(stack.brokers, topic)


def check_tables_with_errors(ch, msgs):
    rows = ch.rows(f"SELECT {cu.RAW_COLUMNS} FROM flows_raw")
    got = collections.Counter(json.dumps(r) for r in rows)
    want = collections.Counter(json.dumps(list(cu.raw_row(m))) for m in msgs)
    assert got == want, f"extra {list(got - want)[:3]}\n" \
        f"missing {list(want - got)[:3]}"
    for table, seconds in (("flows_5m", 300), ("flows_1h", 3600)):
        assert cu.rollup_in_ch(ch, table) == cu.rollup(msgs, seconds), table


# --------------------------------------------------------------------------
# Speed
# --------------------------------------------------------------------------

# Corpus copies (about 71 flows each); XF_CH_SPEED_REPEAT=3000 for a
# steadier figure than the default, which keeps the test short.
SPEED_REPEAT = int(os.environ.get("XF_CH_SPEED_REPEAT", "600"))


def big_pcap(corpus, tmp, repeat):
    """The corpus's datagrams repeated (templates included) as one pcap."""
    dgs = []
    for p in cu.corpus_pcaps(corpus, tmp, time.time() - 60):
        dgs += [xflow.Datagram(u.payload, u.dport, u.src, u.dst, u.sport)
                for u in xflow.read_pcap_udp(p)]
    return xflow.write_udp_pcap(tmp / "big.pcap", dgs * repeat,
                                t0=time.time() - 60, step=0.00001)


def test_ingest_speed(ch, stack, corpus, xdpflowd, tmp_path):
    """Rows/s from our payloads: ClickHouse's Protobuf parser alone, and
    chDB's Kafka engine draining the topic xdpflowd filled with 1 and with
    256 flows per Kafka message (wall time from the consumer's start to the
    last row in flows_raw, views included)."""
    pcap = big_pcap(corpus, tmp_path, SPEED_REPEAT)
    r = xflow.run_pcap(pcap, tmp_path, "pb")
    r.assert_clean_exit()
    n = len(xflow.split_delimited(r.out_path.read_bytes()))
    assert n > 30000
    res = {"flows": n, "chdb": ch.version()}
    t = time.monotonic()
    got = ch.value(f"SELECT count() FROM file('{r.out_path}', 'Protobuf', "
                   f"'bytes UInt64, src_addr String, dst_addr String, "
                   f"time_received_ns UInt64') SETTINGS format_schema = "
                   f"'{cu.FLOW_PROTO}:FlowMessage'")
    res["parse_only_rows_per_s"] = round(n / (time.monotonic() - t))
    assert got == n
    for batch in (1, 256):
        topic = create_topic(stack.brokers, partitions=1)
        try:
            publish(pcap, stack.brokers, topic, batch, tmp_path)
            ch.fresh_db(f"speed{batch}")
            t = time.monotonic()
            kafka_schema(ch, stack.brokers, topic,
                         kafka_flush_interval_ms=200,
                         kafka_max_block_size=65536)
            first = None
            end = t + 240
            got = 0
            while time.monotonic() < end and got < n:
                time.sleep(0.05)
                got = ch.value("SELECT count() FROM flows_raw")
                if got and first is None:
                    first = (time.monotonic(), got)
            t_end = time.monotonic()
            assert got == n, f"batch {batch}: {got} of {n} flows arrived"
            # Wall: from creating the consumer (group join, first poll
            # included); steady: from the first rows to the last.
            res[f"kafka_batch_{batch}_rows_per_s_wall"] = round(n / (t_end - t))
            if first[1] < n and t_end > first[0]:
                res[f"kafka_batch_{batch}_rows_per_s_steady"] = round(
                    (n - first[1]) / (t_end - first[0]))
            ch.run("DROP TABLE flows_raw_mv")
            ch.run("DROP TABLE flows")
        finally:
            delete_topic(stack.brokers, topic)
    (tmp_path / "clickhouse-speed.json").write_text(json.dumps(res))
    print("\nclickhouse speed:", json.dumps(res))


# --------------------------------------------------------------------------
# --schema goflow-v3: flow-pipeline's ClickHouse columns read it unchanged
# --------------------------------------------------------------------------

LEGACY_PROTO = xflow.REPO / "proto" / "flow_legacy.proto"
# flow-pipeline's Kafka table columns (its CamelCase names, its proto).
LEGACY_COLUMNS = ("TimeReceived UInt64, TimeFlowStart UInt64, "
                  "SequenceNum UInt32, SamplingRate UInt64, "
                  "SamplerAddress FixedString(16), SrcAddr FixedString(16), "
                  "DstAddr FixedString(16), SrcAS UInt32, DstAS UInt32, "
                  "EType UInt32, Proto UInt32, SrcPort UInt32, "
                  "DstPort UInt32, Bytes UInt64, Packets UInt64")


def test_legacy_schema_for_flow_pipeline_consumers(ch, corpus, xdpflowd,
                                                   tmp_path):
    """xdpflowd --schema goflow-v3 writes flow-pipeline's light proto: read
    with flow-pipeline's own column names through ClickHouse's Protobuf
    format, it carries the same flows as the GoFlow2 encoding, times in
    seconds."""
    legacy, modern = [], []
    for p in cu.corpus_pcaps(corpus, tmp_path, time.time() - 60):
        r2 = xflow.run_pcap(p, tmp_path, "pb")
        r2.assert_clean_exit()
        modern += cu.decode_pb(r2.out_path, tmp_path)
        out = tmp_path / f"{p.stem}.legacy.pb"
        r3 = xflow.run_xdpflowd(["--pcap", p, "--format", "pb", "--schema",
                                 "goflow-v3", "--file", out])
        r3.assert_clean_exit()
        legacy.append(out)
    both = tmp_path / "all.legacy.pb"
    both.write_bytes(b"".join(f.read_bytes() for f in legacy))
    rows = ch.rows(
        f"SELECT TimeReceived, TimeFlowStart, SequenceNum, SamplingRate, "
        f"hex(SamplerAddress), hex(SrcAddr), hex(DstAddr), SrcAS, DstAS, "
        f"EType, Proto, SrcPort, DstPort, Bytes, Packets FROM file('{both}', "
        f"'Protobuf', '{LEGACY_COLUMNS}') SETTINGS format_schema = "
        f"'{LEGACY_PROTO}:FlowMessage'")

    def hx(b):
        return (b + b"\0" * 16)[:16].hex().upper() if b else "0" * 32
    want = [[m.time_received_ns // 10**9, m.time_flow_start_ns // 10**9,
             m.sequence_num, m.sampling_rate, hx(m.sampler_address),
             hx(m.src_addr), hx(m.dst_addr), m.src_as, m.dst_as, m.etype,
             m.proto, m.src_port, m.dst_port, m.bytes, m.packets]
            for m in modern]
    assert len(rows) == len(want) >= 60
    assert collections.Counter(json.dumps(r) for r in rows) == \
        collections.Counter(json.dumps(r) for r in want)
