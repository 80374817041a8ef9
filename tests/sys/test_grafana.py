# SPDX-License-Identifier: Apache-2.0
"""Grafana dashboards (compose/grafana/dashboards) tested against the real
backends with real data:

- every SQL panel is extracted from the dashboard JSON, its Grafana macros
  expanded the way each plugin does ($__timeFilter, $__timeGroupAlias,
  $__interval_ms for PostgreSQL; $__timeFilter, $__timeInterval,
  $__interval_s for grafana-clickhouse-datasource), and run: ClickHouse
  panels in chDB over the schema of sql/clickhouse loaded with the corpus
  through xdpflowd, enrichment fields added (the country, tenant and
  per-interface panels); PostgreSQL panels on the local stack's PostgreSQL
  filled by xdpflow-insert from Kafka with the same flows. Each must
  return the rows computed independently from the FlowMessages;
- every metric a Prometheus panel names exists in xdpflowd's /metrics;
- every panel's data source is provisioned, and no setup mounts a
  dashboard whose backend it does not run.
"""

import collections
import datetime as dt
import json
import re
import socket
import time
import urllib.request
from pathlib import Path

import pytest

import chdb_util as cu
import xflow
from chdb_util import ch  # noqa: F401 (fixture)
from stack import stack  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(300)

GRAFANA = xflow.REPO / "compose" / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
DS_UIDS = {"grafana-postgresql-datasource": "xdpflow-postgres",
           "grafana-clickhouse-datasource": "xdpflow-clickhouse",
           "prometheus": "xdpflow-prometheus"}

# The time range and interval the macros are expanded for.
INTERVAL_S = 60


def dashboards() -> dict[str, dict]:
    return {p.relative_to(DASHBOARDS).as_posix(): json.loads(p.read_text())
            for p in sorted(DASHBOARDS.glob("*/*.json"))}


def panels_of(kind: str) -> list[tuple[str, dict, dict]]:
    """(dashboard, panel, target) of every target of data source type kind."""
    out = []
    for name, d in dashboards().items():
        for p in d["panels"]:
            for t in p["targets"]:
                ds = t.get("datasource") or p["datasource"]
                if ds["type"] == kind:
                    out.append((name, p, t))
    return out


# --------------------------------------------------------------------------
# Macro expansion
# --------------------------------------------------------------------------

def _ts(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def expand_postgres(sql: str, t_from: float, t_to: float,
                    interval_s: int = INTERVAL_S) -> str:
    """Grafana's PostgreSQL macros, as its SQL data source expands them."""
    def group(m, alias):
        col = m.group(1).strip()
        e = f"floor(extract(epoch from {col})/{interval_s})*{interval_s}"
        return e + (' AS "time"' if alias else "")
    sql = re.sub(r"\$__timeGroupAlias\(([^,]+),[^)]*\)",
                 lambda m: group(m, True), sql)
    sql = re.sub(r"\$__timeGroup\(([^,]+),[^)]*\)",
                 lambda m: group(m, False), sql)
    sql = re.sub(r"\$__timeFilter\(([^)]+)\)",
                 lambda m: f"{m.group(1).strip()} BETWEEN '{_ts(t_from)}' "
                           f"AND '{_ts(t_to)}'", sql)
    sql = sql.replace("$__timeFrom()", f"'{_ts(t_from)}'")
    sql = sql.replace("$__timeTo()", f"'{_ts(t_to)}'")
    sql = sql.replace("$__interval_ms", str(interval_s * 1000))
    sql = sql.replace("$__interval", f"'{interval_s}s'")
    assert "$__" not in sql, f"unexpanded macro in {sql}"
    return sql


def expand_clickhouse(sql: str, t_from: float, t_to: float,
                      interval_s: int = INTERVAL_S) -> str:
    """grafana-clickhouse-datasource's macros, as the plugin expands them."""
    f, t = int(t_from), int(t_to)
    sql = re.sub(r"\$__timeInterval\(([^)]+)\)",
                 lambda m: f"toStartOfInterval(toDateTime({m.group(1).strip()}),"
                           f" INTERVAL {interval_s} second)", sql)
    sql = re.sub(r"\$__timeFilter\(([^)]+)\)",
                 lambda m: f"{m.group(1).strip()} >= toDateTime({f}) AND "
                           f"{m.group(1).strip()} <= toDateTime({t})", sql)
    sql = re.sub(r"\$__dateFilter\(([^)]+)\)",
                 lambda m: f"{m.group(1).strip()} >= toDate({f}) AND "
                           f"{m.group(1).strip()} <= toDate({t})", sql)
    sql = sql.replace("$__fromTime", f"toDateTime({f})")
    sql = sql.replace("$__toTime", f"toDateTime({t})")
    sql = sql.replace("$__interval_s", str(interval_s))
    assert "$__" not in sql, f"unexpanded macro in {sql}"
    return sql


def test_macro_expansion_examples():
    pg = expand_postgres("SELECT $__timeGroupAlias(t, $__interval), 1 "
                         "WHERE $__timeFilter(t) AND x < $__interval_ms",
                         0, 3600)
    assert pg == ('SELECT floor(extract(epoch from t)/60)*60 AS "time", 1 '
                  "WHERE t BETWEEN '1970-01-01T00:00:00Z' AND "
                  "'1970-01-01T01:00:00Z' AND x < 60000")
    chq = expand_clickhouse("SELECT $__timeInterval(t) WHERE "
                            "$__timeFilter(t) / $__interval_s", 0, 3600)
    assert chq == ("SELECT toStartOfInterval(toDateTime(t), INTERVAL 60 "
                   "second) WHERE t >= toDateTime(0) AND t <= "
                   "toDateTime(3600) / 60")


# --------------------------------------------------------------------------
# What each panel must return, from the FlowMessages
# --------------------------------------------------------------------------

def sampled(m) -> int:
    return m.bytes * max(m.sampling_rate, 1)


def agg(msgs, key, value=sampled, skip=lambda m: False):
    out = collections.defaultdict(lambda: [0, 0])
    for m in msgs:
        if skip(m):
            continue
        e = out[key(m)]
        e[0] += value(m)
        e[1] += 1
    return dict(out)


def check_top(title, rows, nkey, expected, limit=None):
    """rows: key columns then bytes, flows. They must be the expected groups
    with the largest bytes (ties in any order), ordered by bytes."""
    got = {}
    for r in rows:
        k = tuple(r[:nkey]) if nkey > 1 else r[0]
        assert k not in got, f"{title}: {k} twice"
        got[k] = [int(r[nkey]), int(r[nkey + 1])]
    for k, v in got.items():
        assert k in expected, f"{title}: unexpected group {k}"
        assert v == expected[k], f"{title}: {k} has {v}, want {expected[k]}"
    want_n = len(expected) if limit is None else min(limit, len(expected))
    assert len(rows) == want_n, f"{title}: {len(rows)} rows, want {want_n}"
    top = sorted((v[0] for v in expected.values()), reverse=True)[:want_n]
    assert sorted((v[0] for v in got.values()), reverse=True) == top, title
    b = [int(r[nkey]) for r in rows]
    assert b == sorted(b, reverse=True), f"{title}: not ordered by bytes"


def check_series(title, rows, expected_total, scale, by=None):
    """Time series: value * scale summed over buckets (per series with by)
    equals the expected totals; times are bucket starts."""
    if by is None:
        total = sum(float(r[-1]) for r in rows) * scale
        assert total == pytest.approx(expected_total, rel=1e-9), title
        return
    got = collections.defaultdict(float)
    for r in rows:
        got[r[1]] += float(r[-1]) * scale
    assert set(got) == set(expected_total), title
    for k, v in expected_total.items():
        assert got[k] == pytest.approx(v, rel=1e-9), (title, k)


def ip_or_none(b: bytes):
    return cu.ip_text(b) if len(b) in (4, 16) else None


# Enrichment panels: title -> the FlowMessage field they rank by.
ENRICH_TOP = {"Top source countries": "src_country",
              "Top destination countries": "dst_country",
              "Top source tenants (customers)": "src_net_tenant",
              "Top destination tenants (customers)": "dst_net_tenant"}


def expect_panel(title: str, rows: list, msgs, backend: str) -> None:
    total_bits = sum(sampled(m) for m in msgs) * 8
    if title == "Traffic (bits/s, sampling applied)":
        check_series(title, rows, total_bits, INTERVAL_S)
    elif title == "Flows per exporter (flows/s)":
        want = collections.Counter(cu.ip_text(m.sampler_address) for m in msgs)
        check_series(title, rows, want, INTERVAL_S, by=1)
    elif title == "Top source addresses":
        check_top(title, rows, 1, agg(msgs, lambda m: cu.ip_text(m.src_addr),
                                      skip=lambda m: not m.src_addr), 10)
    elif title == "Top destination addresses":
        check_top(title, rows, 1, agg(msgs, lambda m: cu.ip_text(m.dst_addr),
                                      skip=lambda m: not m.dst_addr), 10)
    elif title == "Top source ports":
        check_top(title, rows, 2, agg(msgs, lambda m: (m.proto, m.src_port)), 10)
    elif title == "Top destination ports":
        check_top(title, rows, 2, agg(msgs, lambda m: (m.proto, m.dst_port)), 10)
    elif title == "Top AS pairs":
        check_top(title, rows, 2, agg(msgs, lambda m: (m.src_as, m.dst_as)), 10)
    elif title == "Protocols":
        check_top(title, rows, 1, agg(msgs, lambda m: m.proto))
    elif title == "Ethernet types":
        check_top(title, rows, 1, agg(msgs, lambda m: m.etype,
                                      value=lambda m: m.bytes))
    elif title in ENRICH_TOP:
        f = ENRICH_TOP[title]
        check_top(title, rows, 1, agg(msgs, lambda m: getattr(m, f),
                                      skip=lambda m: not getattr(m, f)), 10)
    elif title == "Traffic per interface (bits/s)":
        want = collections.Counter()
        for m in msgs:
            exp = m.exporter_name or cu.ip_text(m.sampler_address)
            want[f"{exp} {m.in_if_name or m.in_if} in"] += sampled(m) * 8
            want[f"{exp} {m.out_if_name or m.out_if} out"] += sampled(m) * 8
        # ClickHouse reads the 5-minute rollup, PostgreSQL the raw rows.
        check_series(title, rows, want,
                     300 if backend == "clickhouse" else INTERVAL_S, by=1)
    elif title == "Traffic per AS pair, 1-hour rollup (bits/s)":
        want = collections.Counter()
        for m in msgs:
            want[f"{m.src_as} -> {m.dst_as}"] += sampled(m) * 8
        check_series(title, rows, want, 3600, by=1)
    else:
        pytest.fail(f"{backend} panel {title!r} has no expectation here")


# --------------------------------------------------------------------------
# Dashboards against the backends
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def flows(corpus, xdpflowd, tmp_path_factory):
    """The corpus through xdpflowd, with enrichment fields added (the
    enrichment panels need them; the others ignore them)."""
    tmp = tmp_path_factory.mktemp("grafana")
    pb = cu.enriched_payload(cu.corpus_payload(corpus, tmp),
                             tmp / "enriched.pb")
    msgs = cu.decode_pb(pb, tmp)
    assert len(msgs) >= 60
    assert any(m.src_country for m in msgs)
    return pb, msgs


def test_dashboards_are_well_formed():
    ds = dashboards()
    assert set(ds) == {"postgres/xdpflow-postgres.json",
                       "clickhouse/xdpflow-clickhouse.json",
                       "collector/xdpflow-collector.json"}
    uids = set()
    for name, d in ds.items():
        assert d["uid"] not in uids
        uids.add(d["uid"])
        ids = [p["id"] for p in d["panels"]]
        assert len(ids) == len(set(ids)), name
        for p in d["panels"]:
            assert p["datasource"]["uid"] == DS_UIDS[p["datasource"]["type"]]
            assert p["targets"], (name, p["title"])
            for t in p["targets"]:
                assert t["datasource"] == p["datasource"], (name, p["title"])
                assert t.get("rawSql") or t.get("expr"), (name, p["title"])
    titles = {p["title"] for p in ds["clickhouse/xdpflow-clickhouse.json"]["panels"]}
    for want in ("Traffic (bits/s, sampling applied)", "Top source addresses",
                 "Top destination addresses", "Top source ports",
                 "Top destination ports", "Top AS pairs", "Protocols",
                 "Flows per exporter (flows/s)", *ENRICH_TOP,
                 "Traffic per interface (bits/s)"):
        assert want in titles
        assert want in {p["title"] for p in
                        ds["postgres/xdpflow-postgres.json"]["panels"]}


def test_clickhouse_panels(ch, flows):
    pb, msgs = flows
    ch.fresh_db("grafana")
    cu.load_schema(ch)
    cu.insert_protobuf(ch, pb)
    now = time.time()
    # The range starts at the hour slot of the first flow at the latest: a
    # run just after the hour has flows from before it, whose 1-hour rollup
    # row is stamped with the previous hour's start.
    first = min(m.time_received_ns for m in msgs) // 1_000_000_000
    start = min(now - 3600, first - first % 3600)
    targets = panels_of("grafana-clickhouse-datasource")
    assert len(targets) >= 15
    for _name, p, t in targets:
        sql = expand_clickhouse(t["rawSql"], start, now + 300)
        rows = ch.rows(sql)
        assert rows, f"{p['title']}: no rows"
        expect_panel(p["title"], rows, msgs, "clickhouse")
    # Outside the time range, nothing.
    for _name, p, t in targets:
        sql = expand_clickhouse(t["rawSql"], start - 3600, start - 1)
        assert ch.rows(sql) == [], p["title"]


def fill_postgres(stack, pb: Path, n: int, tmp_path):
    """A fresh topic and database; the pb payload published to Kafka (16
    flows a message, as --kafka-batch 16) and inserted by xdpflow-insert."""
    from stack import Inserter, count_rows, produce, producer, scratch
    msgs = xflow.split_delimited(pb.read_bytes())
    framed = [b"".join(xflow_frame(m) for m in msgs[i:i + 16])
              for i in range(0, len(msgs), 16)]
    ctx = scratch(stack)
    topic, uri = ctx.__enter__()
    try:
        produce(producer(stack), topic, framed)
        ins = Inserter(stack, topic, uri, tmp_path).start()
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and count_rows(uri) < n:
                time.sleep(0.2)
            assert count_rows(uri) == n, ins.output()[-2000:]
        finally:
            assert ins.stop() == 0, ins.output()[-2000:]
    except BaseException:
        ctx.__exit__(None, None, None)
        raise
    return ctx, uri


def xflow_frame(body: bytes) -> bytes:
    n, out = len(body), bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out) + body


def test_postgres_panels(stack, flows, tmp_path):
    from stack import pg_connect
    pb, msgs = flows
    ctx, uri = fill_postgres(stack, pb, len(msgs), tmp_path)
    try:
        now = time.time()
        targets = panels_of("grafana-postgresql-datasource")
        assert len(targets) >= 13
        with pg_connect(uri) as c:
            for _name, p, t in targets:
                sql = expand_postgres(t["rawSql"], now - 3600, now + 300)
                rows = [list(r) for r in c.execute(sql).fetchall()]
                assert rows, f"{p['title']}: no rows"
                expect_panel(p["title"], rows, msgs, "postgres")
            for _name, p, t in targets:
                sql = expand_postgres(t["rawSql"], now - 7200, now - 3600)
                assert c.execute(sql).fetchall() == [], p["title"]
    finally:
        ctx.__exit__(None, None, None)


# --------------------------------------------------------------------------
# Prometheus panels against xdpflowd's /metrics
# --------------------------------------------------------------------------

PROMQL_WORDS = {"sum", "by", "rate", "max", "min", "avg", "without",
                "increase", "irate", "count", "topk", "bottomk", "on",
                "ignoring", "group_left", "group_right", "and", "or",
                "unless", "offset", "exporter", "__name__",
                "__rate_interval", "__interval", "__range"}


def metric_refs(expr: str):
    """(plain metric names, regex __name__ matchers) of a PromQL expr."""
    regexes = re.findall(r'__name__\s*=~\s*"([^"]+)"', expr)
    body = re.sub(r"\{[^}]*\}", "", expr)
    body = re.sub(r"\[[^\]]*\]", "", body)
    body = re.sub(r'"[^"]*"', "", body)
    names = {w for w in re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", body)
             if w not in PROMQL_WORDS}
    return names, regexes


def scrape_metrics(daemon, corpus) -> set[str]:
    port = xflow.free_udp_port()
    sport = xflow.free_udp_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        mport = s.getsockname()[1]
    d = daemon(["-l", f"netflow://127.0.0.1:{port},sflow://127.0.0.1:{sport}",
                "--metrics", f"127.0.0.1:{mport}", "--file", "/dev/null"],
               ports=[port, sport])
    nf = [b.read_bytes() for case in ("netflow_v9_example", "ipfix_example")
          for b in sorted((corpus / "telegraf" / case).glob("*.bin"))]
    xflow.send_udp(nf + [b"\x00\x09garbage"], port)
    xflow.send_udp([b.read_bytes() for b in sorted(
        (corpus / "telegraf" / "sflow_issue_15918").glob("*.bin"))], sport)
    url = f"http://127.0.0.1:{mport}/metrics"
    names = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url, timeout=5) as r:
            text = r.read().decode()
        names = {line.split("{")[0].split()[0] for line in text.splitlines()
                 if line and not line.startswith("#")}
        if any(n.startswith("xdpflow_decode_error_") for n in names) and \
                "xdpflow_decode_flows_total" in names:
            break
        time.sleep(0.2)
    d.stop()
    return names


def test_prometheus_panels_name_real_metrics(daemon, corpus):
    names = scrape_metrics(daemon, corpus)
    assert "xdpflow_rx_packets_total" in names, sorted(names)
    targets = panels_of("prometheus")
    assert len(targets) >= 8
    for _name, p, t in targets:
        plain, regexes = metric_refs(t["expr"])
        assert plain or regexes, t["expr"]
        for n in plain:
            assert n.startswith("xdpflow_"), (p["title"], n)
            assert n in names, f"{p['title']}: {n} is not in /metrics " \
                f"({sorted(names)})"
        for rx in regexes:
            assert any(re.fullmatch(rx, n) for n in names), \
                f"{p['title']}: nothing in /metrics matches {rx}"


# --------------------------------------------------------------------------
# Provisioning
# --------------------------------------------------------------------------

def provisioned_datasources() -> dict[str, dict]:
    import yaml
    out = {}
    for f in sorted((GRAFANA / "provisioning" / "datasources").glob("*.yaml")):
        for d in yaml.safe_load(f.read_text())["datasources"]:
            out[d["uid"]] = dict(d, file=f.name)
    return out


def test_datasources_provisioned_for_every_panel():
    cu.need("python package PyYAML", _has("yaml"))
    ds = provisioned_datasources()
    assert {d["type"] for d in ds.values()} == set(DS_UIDS)
    for uid, d in ds.items():
        assert DS_UIDS[d["type"]] == uid
        assert d["file"] == {"xdpflow-postgres": "postgres.yaml",
                             "xdpflow-clickhouse": "clickhouse.yaml",
                             "xdpflow-prometheus": "prometheus.yaml"}[uid]
    for name, d in dashboards().items():
        for p in d["panels"]:
            assert p["datasource"]["uid"] in ds, (name, p["title"])
    # Each dashboard folder uses one data source, the one it is named for.
    folder_ds = {"postgres": "xdpflow-postgres",
                 "clickhouse": "xdpflow-clickhouse",
                 "collector": "xdpflow-prometheus"}
    for name, d in dashboards().items():
        used = {p["datasource"]["uid"] for p in d["panels"]}
        assert used == {folder_ds[name.split("/")[0]]}, name


def _has(mod: str) -> bool:
    try:
        __import__(mod)
        return True
    except ImportError:
        return False
