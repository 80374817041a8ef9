# SPDX-License-Identifier: Apache-2.0
"""Helpers for the ClickHouse tests (test_clickhouse.py, test_grafana.py):
chDB (the embedded ClickHouse engine, PyPI `chdb`) as one shared session per
process (chDB allows one), each test in its own database; the generated DDL
of sql/clickhouse split into statements; a stand-in for the Kafka-engine
table (a Null table with the Kafka table's columns and virtual columns, so
the same materialized views fire on insert); FlowMessage payloads that
xdpflowd produced from the shared corpus, with their times moved to now so
that TTLs and dashboard time ranges see them; and the expected contents of
flows_raw / flows_5m / flows_1h (and the enrichment rollups) computed
independently in Python from the protoc-generated FlowMessage class; the
same corpus flows with enrichment fields (issue 9) added.
"""

from __future__ import annotations

import collections
import datetime as dt
import ipaddress
import json
import os
import re
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path

import pytest

import xflow

REPO = xflow.REPO
SQL_DIR = REPO / "sql" / "clickhouse"
SINGLE_SQL = SQL_DIR / "flows.sql"
CLUSTER_SQL = SQL_DIR / "flows-cluster.sql"
GENERATOR = REPO / "scripts" / "gen" / "gen-clickhouse-sql.py"
FLOW_PROTO = REPO / "proto" / "flow.proto"

FLOW_TYPES = {0: "FLOWUNKNOWN", 1: "SFLOW_5", 2: "NETFLOW_V5",
              3: "NETFLOW_V9", 4: "IPFIX"}


def need(what: str, ok: bool) -> None:
    """Fails (under CI) or skips (elsewhere) when something is missing."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing (scripts/deps.sh installs it)")
    pytest.skip(f"{what} is missing (scripts/deps.sh installs it)")


def import_chdb():
    try:
        import chdb  # noqa: F401
        from chdb import session  # noqa: F401
    except ImportError:
        need("python package chdb (tests/requirements.txt)", False)
    import chdb
    return chdb


# --------------------------------------------------------------------------
# SQL files
# --------------------------------------------------------------------------

def statements(text: str) -> list[str]:
    """The statements of a SQL file: comment lines dropped, split at ';' at
    the end of a line."""
    body = "\n".join(line for line in text.splitlines()
                     if not line.lstrip().startswith("--"))
    parts = re.split(r";[ \t]*(?:\n|$)", body)
    return [p.strip() for p in parts if p.strip()]


def created_name(stmt: str) -> str:
    m = re.match(r"CREATE\s+(?:MATERIALIZED\s+VIEW|TABLE)\s+(?:IF NOT EXISTS\s+)?"
                 r"(\w+)", stmt)
    assert m, f"not a CREATE TABLE/VIEW: {stmt[:80]}"
    return m.group(1)


def kafka_statement(stmts: list[str]) -> str:
    ks = [s for s in stmts if re.search(r"ENGINE\s*=\s*Kafka\b", s)]
    assert len(ks) == 1, "exactly one Kafka-engine table expected"
    return ks[0]


def kafka_settings(stmt: str) -> dict:
    tail = stmt.split("SETTINGS", 1)[1]
    return {k: v.strip("'") for k, v in
            re.findall(r"(\w+)\s*=\s*('[^']*'|\w+)", tail)}


def with_kafka_settings(stmt: str, **new) -> str:
    """The Kafka table's DDL with some settings replaced."""
    for k, v in new.items():
        stmt, n = re.subn(rf"({k}\s*=\s*)('[^']*'|\w+)",
                          lambda m, v=v: m.group(1) + (
                              f"'{v}'" if isinstance(v, str) else str(v)),
                          stmt)
        assert n == 1, f"setting {k} not in the Kafka table's DDL"
    return stmt


def kafka_columns(stmt: str) -> list[tuple[str, str]]:
    """(name, type) of the Kafka table's columns, from its DDL."""
    cols = stmt.split("(", 1)[1].rsplit(")\nENGINE", 1)[0]
    out = []
    for line in cols.splitlines():
        line = line.strip().rstrip(",")
        if line:
            name, typ = line.split(None, 1)
            out.append((name.strip("`"), typ))
    return out


def proto_fields(path: Path = FLOW_PROTO) -> dict[str, tuple[str, bool]]:
    """Field name -> (proto type, repeated) of message FlowMessage."""
    text = re.sub(r"//[^\n]*", "", path.read_text())
    msg = text[text.index("message FlowMessage"):]
    out = {}
    for rep, typ, name in re.findall(
            r"(?:^|(?<=;))\s*(repeated\s+)?(\w+)\s+(\w+)\s*=\s*\d+\s*;", msg,
            re.M):
        out[name] = (typ, bool(rep))
    return out


# --------------------------------------------------------------------------
# chDB
# --------------------------------------------------------------------------

class Ch:
    """A chDB session; rows(sql) returns parsed rows (64-bit integers as
    Python ints), run(sql) executes."""

    def __init__(self, path: Path):
        chdb = import_chdb()
        from chdb import session
        self.chdb = chdb
        self.path = Path(path)
        self.s = session.Session(str(self.path))
        self.run("SET output_format_json_quote_64bit_integers = 0")
        self.run("SET output_format_json_quote_decimals = 0")

    def run(self, sql: str):
        return self.s.query(sql, "CSV")

    def rows(self, sql: str) -> list[list]:
        r = self.s.query(sql, "JSONCompact")
        raw = r.bytes() if hasattr(r, "bytes") else str(r).encode()
        if not raw.strip():
            return []
        return json.loads(raw)["data"]

    def value(self, sql: str):
        rows = self.rows(sql)
        assert len(rows) == 1 and len(rows[0]) == 1, rows
        return rows[0][0]

    def fresh_db(self, prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.run(f"CREATE DATABASE {name}")
        self.run(f"USE {name}")
        return name

    def version(self) -> str:
        return self.value("SELECT version()")


_CH: dict = {}


def ch_session(tmp_root: Path) -> Ch:
    """The process's one chDB session (chDB closes an older session when a
    new one opens), created on first use."""
    if "ch" not in _CH:
        _CH["ch"] = Ch(tmp_root / "chdb")
    return _CH["ch"]


@pytest.fixture(scope="session")
def ch(tmp_path_factory) -> Ch:
    return ch_session(tmp_path_factory.getbasetemp())


def load_schema(ch: Ch, path: Path = SINGLE_SQL, standin: bool = True,
                proto: Path = FLOW_PROTO) -> list[str]:
    """Creates the schema in ch's current database. The Kafka table is
    replaced by a Null-engine stand-in with the same columns plus the Kafka
    engine's virtual columns when standin is set; otherwise it is created
    as written, with kafka_schema pointing at proto (absolute path, which
    clickhouse-local and chDB accept). Returns the statements run."""
    stmts = statements(path.read_text())
    ks = kafka_statement(stmts)
    out = []
    for s in stmts:
        if s == ks:
            s = standin_ddl(s) if standin else \
                with_kafka_settings(s, kafka_schema=f"{proto}:FlowMessage")
        ch.run(s)
        out.append(s)
    return out


# The Kafka engine's virtual columns that the views may use.
KAFKA_VIRTUALS = [("_topic", "LowCardinality(String)"), ("_key", "String"),
                  ("_offset", "UInt64"), ("_partition", "UInt64"),
                  ("_timestamp", "Nullable(DateTime)"),
                  ("_timestamp_ms", "Nullable(DateTime64(3))"),
                  ("_raw_message", "String"), ("_error", "String")]


def standin_ddl(kafka_stmt: str) -> str:
    name = created_name(kafka_stmt)
    cols = kafka_columns(kafka_stmt) + KAFKA_VIRTUALS
    body = ",\n".join(f"    `{n}` {t}" for n, t in cols)
    return f"CREATE TABLE {name}\n(\n{body}\n)\nENGINE = Null"


def insert_protobuf(ch: Ch, pb_path: Path, table: str = "flows",
                    proto: Path = FLOW_PROTO, sql: Path = SINGLE_SQL) -> None:
    """Feeds a length-delimited FlowMessage file through ClickHouse's own
    Protobuf input format into the stand-in's (the Kafka table's) columns,
    as the Kafka table of sql lists them."""
    stmts = statements(sql.read_text())
    cols = kafka_columns(kafka_statement(stmts))
    structure = ", ".join(f"`{n}` {t}" for n, t in cols)
    names = ", ".join(f"`{n}`" for n, _ in cols)
    ch.run(f"INSERT INTO {table} ({names}) SELECT {names} FROM "
           f"file('{pb_path}', 'Protobuf', '{structure.replace(chr(39), chr(39) * 2)}') "
           f"SETTINGS format_schema = '{proto}:FlowMessage'")


# --------------------------------------------------------------------------
# Payloads from the corpus
# --------------------------------------------------------------------------

TCPDUMP_SFLOW = ["sflow-print-v6", "sflow_expanded"]


def corpus_pcaps(corpus: Path, tmp: Path, t0: float) -> list[Path]:
    """Every Telegraf case with datagrams, and tcpdump's sFlow captures that
    carry flow samples, as pcaps whose packets are stamped from t0 on."""
    out = []
    for case in sorted(p for p in (corpus / "telegraf").iterdir() if p.is_dir()):
        bins = sorted(case.glob("*.bin"))
        if not bins:
            continue
        port = xflow.SFLOW_PORT if case.name.startswith("sflow") \
            else xflow.NETFLOW_PORT
        out.append(xflow.write_udp_pcap(
            tmp / f"{case.name}.pcap",
            [xflow.Datagram(b.read_bytes(), port) for b in bins], t0=t0))
    for name in TCPDUMP_SFLOW:
        pkts = xflow.read_pcap_udp(corpus / "tcpdump" / f"{name}.pcap")
        assert pkts, f"no UDP in {name}.pcap"
        out.append(xflow.write_udp_pcap(
            tmp / f"{name}.pcap",
            [xflow.Datagram(p.payload, p.dport, p.src, p.dst, p.sport)
             for p in pkts], t0=t0))
    return out


def corpus_payload(corpus: Path, tmp: Path, t0: float | None = None) -> Path:
    """xdpflowd --pcap --format pb over every corpus pcap; returns one file
    of length-delimited FlowMessages (all cases, in order)."""
    t0 = time.time() - 60 if t0 is None else t0
    tmp.mkdir(parents=True, exist_ok=True)
    data = b""
    for pcap in corpus_pcaps(corpus, tmp, t0):
        r = xflow.run_pcap(pcap, tmp, "pb")
        r.assert_clean_exit()
        data += r.out_path.read_bytes()
    out = tmp / "corpus.pb"
    out.write_bytes(data)
    return out


def decode_pb(path: Path, tmp: Path) -> list:
    """FlowMessages of a length-delimited file, decoded with the Python
    class protoc generates from proto/flow.proto."""
    mod = xflow.pb_module(tmp / "pbmod")
    msgs = []
    for raw in xflow.split_delimited(Path(path).read_bytes()):
        m = mod.FlowMessage()
        m.ParseFromString(raw)
        msgs.append(m)
    return msgs


# --------------------------------------------------------------------------
# What the tables must hold, computed without ClickHouse
# --------------------------------------------------------------------------

def ip_text(b: bytes) -> str:
    """192.0.2.1 / 2001:db8::1 / '::' when absent: how flows_raw's *IP
    aliases render an address."""
    if len(b) == 4:
        return str(ipaddress.IPv4Address(b))
    if len(b) == 16:
        a = ipaddress.IPv6Address(b)
        return str(a.ipv4_mapped) if a.ipv4_mapped else str(a)
    return "::"


def ns_text(ns: int) -> str:
    """DateTime64(9, 'UTC') as ClickHouse prints it."""
    t = dt.datetime.fromtimestamp(ns // 1_000_000_000, dt.timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M:%S") + f".{ns % 1_000_000_000:09d}"


def raw_row(m) -> tuple:
    """The flows_raw row of one FlowMessage, as RAW_COLUMNS select it."""
    return (ns_text(m.time_received_ns), ns_text(m.time_flow_start_ns),
            FLOW_TYPES[m.type], m.sequence_num, m.sampling_rate,
            ip_text(m.sampler_address), ip_text(m.src_addr),
            ip_text(m.dst_addr), ip_text(m.next_hop), m.src_as, m.dst_as,
            m.etype, m.proto, m.src_port, m.dst_port, m.in_if, m.out_if,
            m.tcp_flags, m.ip_tos, m.ip_ttl, m.bytes, m.packets,
            m.sampler_port, list(m.as_path), list(m.bgp_communities))


RAW_COLUMNS = ("toString(TimeReceived), toString(TimeFlowStart), "
               "toString(Type), SequenceNum, SamplingRate, SamplerIP, SrcIP, "
               "DstIP, NextHopIP, "
               "SrcAS, DstAS, EType, Proto, SrcPort, DstPort, InIf, OutIf, "
               "TCPFlags, IPTos, IPTTL, Bytes, Packets, SamplerPort, AsPath, "
               "BgpCommunities")


def slot(ns: int, seconds: int) -> str:
    s = ns // 1_000_000_000
    s -= s % seconds
    return dt.datetime.fromtimestamp(s, dt.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S")


def rollup(msgs, seconds: int) -> dict:
    """(Timeslot, SrcAS, DstAS) -> {"Bytes", "Packets", "Count",
    "SampledBytes", "SampledPackets", "ETypeMap": {etype: [bytes, packets,
    count]}} as flows_5m (300) / flows_1h (3600) must hold them."""
    out = {}
    for m in msgs:
        k = (slot(m.time_received_ns, seconds), m.src_as, m.dst_as)
        e = out.setdefault(k, {"Bytes": 0, "Packets": 0, "Count": 0,
                               "SampledBytes": 0, "SampledPackets": 0,
                               "ETypeMap": collections.defaultdict(
                                   lambda: [0, 0, 0])})
        rate = max(m.sampling_rate, 1)
        e["Bytes"] += m.bytes
        e["Packets"] += m.packets
        e["Count"] += 1
        e["SampledBytes"] += m.bytes * rate
        e["SampledPackets"] += m.packets * rate
        t = e["ETypeMap"][m.etype]
        t[0] += m.bytes
        t[1] += m.packets
        t[2] += 1
    for e in out.values():
        e["ETypeMap"] = {k: v for k, v in sorted(e["ETypeMap"].items())}
    return out


def rollup_in_ch(ch: Ch, table: str) -> dict:
    """The same shape read back from a rollup table after OPTIMIZE FINAL
    (which must leave one row per key, its ETypeMap summed per EType)."""
    ch.run(f"OPTIMIZE TABLE {table} FINAL")
    rows = ch.rows(
        f"SELECT toString(Timeslot), SrcAS, DstAS, Bytes, Packets, Count, "
        f"SampledBytes, SampledPackets, ETypeMap.EType, ETypeMap.Bytes, "
        f"ETypeMap.Packets, ETypeMap.Count FROM {table} "
        f"ORDER BY Timeslot, SrcAS, DstAS")
    out = {}
    for r in rows:
        k = (r[0], r[1], r[2])
        assert k not in out, f"{table}: key {k} not merged into one row"
        emap = {}
        for et, b, p, c in zip(r[8], r[9], r[10], r[11]):
            assert et not in emap, f"{table}: EType {et} twice in {k}"
            emap[et] = [b, p, c]
        out[k] = {"Bytes": r[3], "Packets": r[4], "Count": r[5],
                  "SampledBytes": r[6], "SampledPackets": r[7],
                  "ETypeMap": dict(sorted(emap.items()))}
    return out


def python() -> str:
    return sys.executable


def run_generator(outdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([python(), str(GENERATOR), str(outdir)],
                          capture_output=True, text=True, timeout=60)


# --------------------------------------------------------------------------
# Enriched flows (issue 9: FlowMessage fields 1010-1045)
# --------------------------------------------------------------------------

ENRICH_FIELDS = (
    "src_country", "dst_country", "src_as_name", "dst_as_name",
    "src_net_name", "dst_net_name", "src_net_role", "dst_net_role",
    "src_net_site", "dst_net_site", "src_net_region", "dst_net_region",
    "src_net_tenant", "dst_net_tenant", "in_if_name", "out_if_name",
    "in_if_description", "out_if_description", "in_if_speed",
    "out_if_speed", "exporter_name", "exporter_group", "exporter_role",
    "exporter_site", "exporter_region", "exporter_tenant")
# flows_raw's names of the same columns, in the same order.
ENRICH_RAW = (
    "SrcCountry", "DstCountry", "SrcASName", "DstASName", "SrcNetName",
    "DstNetName", "SrcNetRole", "DstNetRole", "SrcNetSite", "DstNetSite",
    "SrcNetRegion", "DstNetRegion", "SrcNetTenant", "DstNetTenant",
    "InIfName", "OutIfName", "InIfDescription", "OutIfDescription",
    "InIfSpeed", "OutIfSpeed", "ExporterName", "ExporterGroup",
    "ExporterRole", "ExporterSite", "ExporterRegion", "ExporterTenant")

COUNTRIES = ("FR", "US", "DE", "JP", "BR")
TENANTS = ("acme", "globex", "initech", "Caf\u00e9 \u2615")


def enrichment_of(m, i: int) -> dict:
    """Deterministic enrichment of the i-th corpus flow m, shaped like what
    the enrichment gives: some flows not enriched at all, some fields
    unknown (empty, 0), non-ASCII text."""
    if i % 7 == 3:
        return {}
    hs, hd = zlib.crc32(m.src_addr), zlib.crc32(m.dst_addr)
    exp = ip_text(m.sampler_address)
    e = {
        "src_country": COUNTRIES[hs % 5] if hs % 11 else "",
        "dst_country": COUNTRIES[hd % 5],
        "src_as_name": f"AS{m.src_as} Net" if m.src_as else "",
        "dst_as_name": f"AS{m.dst_as} Net" if m.dst_as else "",
        "src_net_name": f"net-{hs % 3}", "dst_net_name": f"net-{hd % 3}",
        "src_net_role": "customer", "dst_net_role": "peer" if hd % 2 else "",
        "src_net_site": f"site{hs % 2}", "dst_net_site": f"site{hd % 2}",
        "src_net_region": "eu", "dst_net_region": "us",
        "src_net_tenant": TENANTS[hs % 4] if hs % 5 else "",
        "dst_net_tenant": TENANTS[hd % 4],
        "in_if_name": f"et-0/0/{m.in_if}" if m.in_if % 4 else "",
        "out_if_name": f"et-0/0/{m.out_if}" if m.out_if % 4 else "",
        "in_if_description": f"in {m.in_if}", "out_if_description": "",
        "in_if_speed": 10**9 * (1 + m.in_if % 4),
        "out_if_speed": 10**10 if m.out_if % 3 else 0,
        "exporter_name": "" if i % 5 == 0 else f"rtr-{exp}",
        "exporter_group": "edge", "exporter_role": "border",
        "exporter_site": "par1", "exporter_region": "eu",
        "exporter_tenant": TENANTS[i % 4],
    }
    return e


def enriched_payload(pb_path: Path, out: Path) -> Path:
    """The FlowMessages of pb_path (xdpflowd's encoder) with enrichment
    fields appended to each (stack.py's encoder; protobuf merges the two),
    length-delimited into out."""
    from stack import delimited, encode_flow
    mod = xflow.pb_module(out.parent / "pbmod")
    msgs = []
    for i, raw in enumerate(xflow.split_delimited(Path(pb_path).read_bytes())):
        m = mod.FlowMessage()
        m.ParseFromString(raw)
        msgs.append(raw + encode_flow(enrichment_of(m, i)))
    out.write_bytes(delimited(msgs))
    return out


def enrich_raw_row(m) -> tuple:
    """The enrichment columns of one FlowMessage as flows_raw holds them
    ('' and 0 for absent), selected by ENRICH_RAW_COLUMNS."""
    return tuple(getattr(m, f) for f in ENRICH_FIELDS)


ENRICH_RAW_COLUMNS = ", ".join(ENRICH_RAW)


def mapped_ip(b: bytes) -> str:
    """toString of an IPv6 column holding b (IPv4 as ::ffff:a.b.c.d)."""
    if len(b) == 4:
        return "::ffff:" + str(ipaddress.IPv4Address(b))
    if len(b) == 16:
        return str(ipaddress.IPv6Address(b))
    return "::"


# Enrichment rollups: table -> (key columns as selected, key of a message).
ENRICH_ROLLUPS = {
    "flows_country_5m": ("SrcCountry, DstCountry",
                         lambda m: (m.src_country, m.dst_country)),
    "flows_tenant_5m": ("SrcNetTenant, DstNetTenant",
                        lambda m: (m.src_net_tenant, m.dst_net_tenant)),
    "flows_interface_5m": (
        "toString(SamplerAddress), ExporterName, InIf, InIfName, OutIf, "
        "OutIfName",
        lambda m: (mapped_ip(m.sampler_address), m.exporter_name, m.in_if,
                   m.in_if_name, m.out_if, m.out_if_name)),
}


def enrich_rollup(msgs, table: str, seconds: int = 300) -> dict:
    """(Timeslot, *keys) -> [Bytes, Packets, Count, SampledBytes,
    SampledPackets] as an enrichment rollup must hold them."""
    keyf = ENRICH_ROLLUPS[table][1]
    out = {}
    for m in msgs:
        k = (slot(m.time_received_ns, seconds), *keyf(m))
        e = out.setdefault(k, [0, 0, 0, 0, 0])
        rate = max(m.sampling_rate, 1)
        e[0] += m.bytes
        e[1] += m.packets
        e[2] += 1
        e[3] += m.bytes * rate
        e[4] += m.packets * rate
    return out


def enrich_rollup_in_ch(ch: Ch, table: str) -> dict:
    """The same read back after OPTIMIZE FINAL: one row per key."""
    ch.run(f"OPTIMIZE TABLE {table} FINAL")
    keys = ENRICH_ROLLUPS[table][0]
    rows = ch.rows(f"SELECT toString(Timeslot), {keys}, Bytes, Packets, "
                   f"Count, SampledBytes, SampledPackets FROM {table}")
    out = {}
    for r in rows:
        k = tuple(r[:-5])
        assert k not in out, f"{table}: key {k} not merged into one row"
        out[k] = list(r[-5:])
    return out
