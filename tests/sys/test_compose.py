# SPDX-License-Identifier: Apache-2.0
"""The four docker-compose setups (compose/), checked without a Docker
engine: each validates against the Compose Specification's JSON schema
(../shared/schemas/compose-spec.json) and with Debian's
`docker-compose -f F config -q`; every image is pinned; every file, folder
and build context a compose file names exists; our binaries named in
commands are built by the Makefile; Kafka runs in KRaft mode with the topic
created at start and everyone agrees on its name; the collector has the
capabilities XDP needs; ClickHouse gets flow.proto in format_schemas and
the generated DDL; Grafana gets the right data sources and dashboards and
each data source's backend runs in that setup; Prometheus scrapes the
collector's --metrics port; the Dockerfile is a multi-stage Debian build of
files that exist.
"""

import json
import re
import subprocess
from pathlib import Path

import pytest

import chdb_util as cu
import xflow
from conftest import require_tool

COMPOSE = xflow.REPO / "compose"
SETUPS = ["postgres-mock", "postgres-collect", "clickhouse-mock",
          "clickhouse-collect"]
SCHEMA = xflow.REPO / ".." / "shared" / "schemas" / "compose-spec.json"
OUR_IMAGE = "xdpflow:local"


def load(setup: str) -> dict:
    _has("yaml")
    import yaml
    return yaml.safe_load((COMPOSE / f"docker-compose-{setup}.yaml").read_text())


def _has(mod: str) -> bool:
    try:
        __import__(mod)
        return True
    except ImportError:
        cu.need(f"python package {mod} (tests/requirements.txt)", False)
        return False


def command(svc: dict) -> list[str]:
    c = svc.get("command", [])
    return c.split() if isinstance(c, str) else list(c)


def opt(cmd: list[str], name: str):
    return cmd[cmd.index(name) + 1] if name in cmd else None


def mounts(svc: dict) -> list[tuple[str, str]]:
    out = []
    for v in svc.get("volumes", []):
        parts = v.split(":")
        out.append((parts[0], parts[1]))
    return out


@pytest.mark.parametrize("setup", SETUPS)
def test_compose_spec_schema(setup):
    _has("jsonschema")
    import jsonschema
    if not SCHEMA.is_file():
        cu.need(f"{SCHEMA} (../shared/schemas)", False)
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(load(setup), schema,
                        cls=jsonschema.Draft7Validator)


@pytest.mark.parametrize("setup", SETUPS)
def test_docker_compose_config(setup):
    dc = require_tool("docker-compose")
    r = subprocess.run([dc, "-f", f"docker-compose-{setup}.yaml", "config",
                        "-q"], cwd=COMPOSE, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout


@pytest.mark.parametrize("setup", SETUPS)
def test_everything_named_exists(setup):
    c = load(setup)
    built = {p.stem for p in (xflow.REPO / "user" / "cmd").glob("*.c")}
    named_volumes = set(c.get("volumes", {}))
    for name, svc in c["services"].items():
        image = svc["image"]
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: unpinned {image}"
        if "build" in svc:
            assert image == OUR_IMAGE, name
            ctx = (COMPOSE / svc["build"]["context"]).resolve()
            assert ctx.is_dir(), f"{name}: build context {ctx}"
            assert (ctx / svc["build"]["dockerfile"]).is_file(), name
            cmd = command(svc)
            assert cmd and cmd[0] in built, \
                f"{name}: {cmd[:1]} is not one of our binaries {sorted(built)}"
        else:
            assert re.search(r"\d", tag), f"{name}: tag without a version"
        for src, _dst in mounts(svc):
            if src.startswith((".", "/")) and not src.startswith("/sys/"):
                p = (COMPOSE / src).resolve()
                assert p.exists(), f"{name}: mount source {src} missing"
            elif not src.startswith("/"):
                assert src in named_volumes, f"{name}: volume {src} undeclared"
        for dep in svc.get("depends_on", {}):
            assert dep in c["services"], f"{name} depends on unknown {dep}"


@pytest.mark.parametrize("setup", SETUPS)
def test_kafka_kraft_and_topic(setup):
    c = load(setup)
    s = c["services"]
    assert not any("zookeeper" in n or "zookeeper" in v["image"]
                   for n, v in s.items())
    env = s["kafka"]["environment"]
    assert "controller" in env["KAFKA_PROCESS_ROLES"]
    assert "broker" in env["KAFKA_PROCESS_ROLES"]
    assert "kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    init = command(s["kafka-init"])
    assert "--create" in init and opt(init, "--topic") == "flows"
    assert s["kafka-init"]["depends_on"]["kafka"]["condition"] == \
        "service_healthy"
    # Producers and consumers wait for the topic and agree on it.
    for name, svc in s.items():
        cmd = command(svc)
        if "--kafka-topic" in cmd:
            assert opt(cmd, "--kafka-topic") == "flows", name
            assert opt(cmd, "--kafka-brokers") == "kafka:9092", name
            assert svc["depends_on"]["kafka-init"]["condition"] == \
                "service_completed_successfully", name
    backend, mode = setup.split("-")
    producer = "xdpflowd" if mode == "collect" else "mock"
    assert command(s[producer])[0] == ("xdpflowd" if mode == "collect"
                                       else "xdpflow-mock")
    assert opt(command(s[producer]), "--format") == "pb"
    if backend == "postgres":
        assert command(s["insert"])[0] == "xdpflow-insert"
        uri = opt(command(s["insert"]), "--postgres")
        pg = s["postgres"]["environment"]
        assert uri == (f"postgresql://{pg['POSTGRES_USER']}:"
                       f"{pg['POSTGRES_PASSWORD']}@postgres:5432/"
                       f"{pg['POSTGRES_DB']}")
    else:
        ks = cu.kafka_settings(cu.kafka_statement(
            cu.statements(cu.SINGLE_SQL.read_text())))
        assert ks["kafka_broker_list"] == "kafka:9092"
        assert ks["kafka_topic_list"] == "flows"


@pytest.mark.parametrize("setup", [s for s in SETUPS if "collect" in s])
def test_collector_service(setup):
    s = load(setup)["services"]
    x = s["xdpflowd"]
    caps = set(x["cap_add"])
    assert {"NET_ADMIN", "BPF", "PERFMON", "IPC_LOCK", "NET_RAW",
            "SYS_RESOURCE"} <= caps
    assert x["ulimits"]["memlock"] == {"soft": -1, "hard": -1}
    assert "privileged" not in x
    ports = set(x["ports"])
    assert {"2055:2055/udp", "6343:6343/udp"} <= ports
    cmd = command(x)
    metrics = opt(cmd, "--metrics")
    assert metrics and metrics.startswith(":")
    # Prometheus scrapes exactly that port of this service.
    import yaml
    prom_mounts = dict(mounts(s["prometheus"]))
    src = [k for k, v in prom_mounts.items()
           if v == "/etc/prometheus/prometheus.yml"]
    assert len(src) == 1
    prom = yaml.safe_load((COMPOSE / src[0]).read_text())
    targets = [t for j in prom["scrape_configs"]
               for sc in j["static_configs"] for t in sc["targets"]]
    assert targets == [f"xdpflowd{metrics}"]


@pytest.mark.parametrize("setup", [s for s in SETUPS if "clickhouse" in s])
def test_clickhouse_service(setup):
    s = load(setup)["services"]["clickhouse"]
    m = {dst: src for src, dst in mounts(s)}
    proto = m["/var/lib/clickhouse/format_schemas/flow.proto"]
    assert (COMPOSE / proto).resolve() == cu.FLOW_PROTO
    ks = cu.kafka_settings(cu.kafka_statement(
        cu.statements(cu.SINGLE_SQL.read_text())))
    assert ks["kafka_schema"] == "flow.proto:FlowMessage"
    init = [src for dst, src in m.items()
            if dst.startswith("/docker-entrypoint-initdb.d/")]
    assert [(COMPOSE / i).resolve() for i in init] == [cu.SINGLE_SQL]


@pytest.mark.parametrize("setup", SETUPS)
def test_grafana_backends_run_where_queried(setup):
    """Grafana gets the data sources of this setup's backends and the
    dashboards that query them, and nothing whose backend is absent."""
    import yaml
    c = load(setup)
    s = c["services"]
    g = s["grafana"]
    m = mounts(g)
    ds_files = [src for src, dst in m
                if dst.startswith("/etc/grafana/provisioning/datasources/")]
    dash_dirs = [src for src, dst in m
                 if dst.startswith("/var/lib/grafana/dashboards/")]
    assert any(dst == "/etc/grafana/provisioning/dashboards/xdpflow.yaml"
               for _, dst in m)
    backend_of = {"grafana-postgresql-datasource": "postgres",
                  "grafana-clickhouse-datasource": "clickhouse",
                  "prometheus": "prometheus"}
    uids = set()
    for f in ds_files:
        for d in yaml.safe_load((COMPOSE / f).read_text())["datasources"]:
            assert backend_of[d["type"]] in s, \
                f"{setup}: data source {d['uid']} but no {backend_of[d['type']]}"
            uids.add(d["uid"])
            if d["type"] == "grafana-clickhouse-datasource":
                assert "grafana-clickhouse-datasource " in \
                    g["environment"]["GF_INSTALL_PLUGINS"]
                assert d["jsonData"]["host"] == "clickhouse"
            if d["type"] == "grafana-postgresql-datasource":
                assert d["url"] == "postgres:5432"
    dashboards = [p for d in dash_dirs for p in (COMPOSE / d).glob("*.json")]
    assert dashboards
    for p in dashboards:
        for panel in json.loads(p.read_text())["panels"]:
            assert panel["datasource"]["uid"] in uids, \
                f"{setup}: {p.name} panel {panel['title']!r} queries " \
                f"{panel['datasource']['uid']}, not provisioned here"
    backend, mode = setup.split("-")
    want = {backend} | ({"collector"} if mode == "collect" else set())
    assert {Path(d).name for d in dash_dirs} == want
    assert ("prometheus" in s) == (mode == "collect")


def test_dockerfile():
    df = (COMPOSE / "Dockerfile").read_text()
    froms = re.findall(r"^FROM\s+(\S+)", df, re.M)
    assert len(froms) >= 2, "not a multi-stage build"
    for f in froms:
        assert f.startswith("debian:") and re.search(r":\d+\.\d+", f), f
    for src in re.findall(r"^COPY\s+(?!--from)(\S+)\s+\S+", df, re.M):
        assert (xflow.REPO / src).exists(), f"COPY {src}: missing"
    assert "make" in df and "install" in df
    assert (COMPOSE / "Dockerfile.dockerignore").is_file()
    # The image carries every binary the compose files run.
    assert re.search(r"^COPY --from=build /out/usr/local /usr/local", df, re.M)
    makefile = (xflow.REPO / "Makefile").read_text()
    assert re.search(r"^BINS :=.*user/cmd/%\.c", makefile, re.M)


def local_args(cmd: list[str], tmp: Path) -> list[str]:
    """A compose command made runnable here: listen and metrics ports
    replaced by free ones, container paths by temporary ones."""
    out = list(cmd)
    for i, a in enumerate(out):
        if i and out[i - 1] in ("-l", "--listen"):
            out[i] = re.sub(r":\d+", lambda _m: f":{xflow.free_udp_port()}", a)
        elif i and out[i - 1] == "--metrics":
            out[i] = f"127.0.0.1:{xflow.free_udp_port()}"
        elif a.startswith("/var/lib/"):
            out[i] = str(tmp / Path(a).name)
    return out


@pytest.mark.parametrize("setup", SETUPS)
def test_our_commands_parse(setup, xdpflowd, tmp_path):
    """Each of our services' command line is accepted by the binary built
    here: no exit status 2 (bad command line) within two seconds."""
    for name, svc in load(setup)["services"].items():
        if "build" not in svc:
            continue
        cmd = local_args(command(svc), tmp_path)
        p = subprocess.Popen([str(xflow.binary(cmd[0]))] + cmd[1:],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        try:
            rc = p.wait(timeout=2 * xflow.timeout_scale())
        except subprocess.TimeoutExpired:
            rc = None
        finally:
            if p.poll() is None:
                p.kill()
            out, err = p.communicate(timeout=30)
        assert rc != 2, f"{setup}/{name}: {cmd} rejected: {err.decode()[-500:]}"
