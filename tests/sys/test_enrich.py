# SPDX-License-Identifier: Apache-2.0
"""xdpflowd --enrich: the JSON output of known addresses carries the
networks file's, the MMDB's (a tiny database written here with Debian's
libmaxmind-db-writer-perl), the interfaces file's and the exporter rules'
values and the AS numbers the precedence picks; SIGHUP reloads the sources,
a changed file is picked up without a signal, a malformed file keeps the
previous table and is logged with its file and line, and reloads under
load lose no flow (every flow sent is written, with one set of values or
the other)."""

import ipaddress
import os
import re
import signal
import struct
import subprocess
import threading
import time

import pytest

import xflow

# NetFlow v9 template: bytes, packets, proto, ports, addresses, ifIndexes
# and AS numbers.
TID = 300
FIELDS = ((1, 4), (2, 4), (4, 1), (7, 2), (8, 4), (11, 2), (12, 4),
          (10, 2), (14, 2), (16, 4), (17, 4))

def write_mmdb(path, nets) -> None:
    """An MMDB (GeoLite2 ASN + Country layout) of (prefix, asn, name, cc),
    written beside and renamed into place by scripts/gen/gen-mmdb.pl (the
    demo's writer too)."""
    args = [str(x) for n in nets for x in n]
    subprocess.run(["perl", str(xflow.REPO / "scripts" / "gen" / "gen-mmdb.pl"),
                    str(path), *args], check=True, timeout=60)


def replace(path, text: str) -> None:
    """Writes path through a new file and a rename (a new inode)."""
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(text)
    os.rename(tmp, path)


def datagram(src_prefix: str, n: int, seq: int = 0, src_as: int = 0):
    """n flows from src_prefix.1.. to 198.19.0.1, ifIndex 3 -> 4."""
    body = b"".join(
        struct.pack("!IIBHIHIHHII", 100 + i, 1 + i, 17, 2000 + i,
                    int(ipaddress.IPv4Address(f"{src_prefix}.{i + 1}")), 53,
                    int(ipaddress.IPv4Address("198.19.0.1")), 3, 4, src_as,
                    0)
        for i in range(n))
    return xflow.nf9([xflow.template_set(TID, FIELDS, False),
                      xflow.raw_set(TID, body)], seq=seq)


NETS_V1 = ("prefix,name,role,site,region,tenant,asn,country\n"
           "198.18.0.0/15,lab,internal,par1,eu-west,,65010,\n"
           "198.18.20.0/24,,customer,,,acme,,DE\n")
NETS_V2 = ("prefix,name,role,site,region,tenant,asn,country\n"
           "198.18.0.0/15,new,internal,lon1,eu-west,,65011,\n"
           "198.18.20.0/24,,customer,,,bcme,,GB\n")


@pytest.fixture
def conf(tmp_path):
    """The sources and the config naming them (relative paths)."""
    (tmp_path / "nets.csv").write_text(NETS_V1)
    write_mmdb(tmp_path / "asn.mmdb",
               [("198.19.0.0/16", 64500, "Far AS", "FR")])
    (tmp_path / "ifaces.csv").write_text(
        "exporter,ifindex,name,description,speed\n"
        "127.0.0.1,3,xe-0/0/3,transit A,10000000000\n"
        "127.0.0.1,4,xe-0/0/4,core,100000000000\n")
    (tmp_path / "rules.csv").write_text(
        "prefix,name_regex,name,group,role,site,region,tenant\n"
        "127.0.0.0/8,,lo-router,lab-routers,edge,par1,eu-west,\n")
    c = tmp_path / "enrich.conf"
    c.write_text("# test config\nnetworks = nets.csv\n"
                 "asn-database = asn.mmdb\ncountry-database = asn.mmdb\n"
                 "interfaces = ifaces.csv\nexporters = rules.csv\n")
    return c


def start(daemon, tmp_path, conf, extra=()):
    port = xflow.free_udp_port()
    out = tmp_path / "flows.json"
    d = daemon(["-l", f"netflow://127.0.0.1:{port}", "--format", "json",
                "--file", out, "--enrich", conf, *extra], ports=[port])
    return d, port, out


def flows(out):
    return xflow.read_json_flows(out)


def send(d, port, dg):
    xflow.send_udp([dg], port)
    d.wait_drained([port])


def wait_flows(out, n):
    xflow.wait_for(lambda: len(flows(out)) >= n,
                   10 * xflow.timeout_scale(), f"{n} flows written")
    return flows(out)


def enrich_stats(stderr: str) -> dict:
    m = re.findall(r"stats enrich (generation=\d+ reloads=\d+ "
                   r"reload_failures=\d+)", stderr)
    assert m, "no 'stats enrich' line"
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m[-1])}


def timer_reloads(stderr: str) -> int:
    """Sources the timer reloaded, by the daemon's log."""
    return sum(int(n) for n in re.findall(
        r"enrichment: (\d+) sources? reloaded", stderr))


def test_enrich_fields(daemon, tmp_path, conf):
    d, port, out = start(daemon, tmp_path, conf)
    send(d, port, datagram("198.18.20", 2))
    send(d, port, datagram("198.18.30", 1, seq=1, src_as=7))
    got = wait_flows(out, 3)
    r = d.stop()
    r.assert_clean_exit()
    by_src = {f["src_addr"]: f for f in got}
    f = by_src["198.18.20.1"]
    # networks file, merged per attribute (/24 over /15)
    assert f["src_net_name"] == "lab"
    assert f["src_net_role"] == "customer"
    assert f["src_net_site"] == "par1"
    assert f["src_net_region"] == "eu-west"
    assert f["src_net_tenant"] == "acme"
    assert f["src_country"] == "DE"
    assert int(f["src_as"]) == 65010  # flow sent 0: networks file
    assert not f.get("src_as_name")
    # 198.19.0.1: the /15 and the MMDB; geoip before networks for the AS
    # number, the MMDB's country where the networks file has none
    assert int(f["dst_as"]) == 64500
    assert f["dst_as_name"] == "Far AS"
    assert f["dst_country"] == "FR"
    assert f["dst_net_name"] == "lab"
    assert not f.get("dst_net_tenant")
    # interfaces and exporter
    assert f["in_if_name"] == "xe-0/0/3"
    assert f["in_if_description"] == "transit A"
    assert int(f["in_if_speed"]) == 10000000000
    assert f["out_if_name"] == "xe-0/0/4"
    assert int(f["out_if_speed"]) == 100000000000
    assert f["exporter_name"] == "lo-router"
    assert f["exporter_group"] == "lab-routers"
    assert f["exporter_role"] == "edge"
    assert f["exporter_site"] == "par1"
    assert f["exporter_region"] == "eu-west"
    assert not f.get("exporter_tenant")
    # the router's AS number stands (asn-override false)
    g = by_src["198.18.30.1"]
    assert int(g["src_as"]) == 7
    assert not g.get("src_net_tenant")
    assert not g.get("src_country")
    st = enrich_stats(r.stderr)
    assert st["generation"] >= 1 and st["reload_failures"] == 0



def test_exporters_seen_in_flows(daemon, tmp_path):
    """Only a networks file and exporter rules (no interfaces file, no
    SNMP): the exporter a flow came from is classified at the next timer
    poll (1 s), named by the networks file, classified by its prefix and
    by a regex on that name; its very first flows go unclassified."""
    (tmp_path / "nets.csv").write_text(
        NETS_V1 + "127.0.0.1/32,lo-edge1,,,,,,\n")
    (tmp_path / "rules.csv").write_text(
        "prefix,name_regex,group,role,site,region,tenant\n"
        ",^lo-edge,edges,border,,,\n"
        "127.0.0.0/8,,,,par1,eu-west,acme\n")
    c = tmp_path / "enrich.conf"
    c.write_text("networks = nets.csv\nexporters = rules.csv\n"
                 "exporters-max = 16\n")
    d, port, out = start(daemon, tmp_path, c)
    send(d, port, datagram("198.18.20", 1))
    first = wait_flows(out, 1)[0]
    assert first["src_net_tenant"] == "acme"
    assert not any(first.get(f"exporter_{k}") for k in (
        "name", "group", "role", "site", "region", "tenant"))
    time.sleep(1.5)  # past the daemon's 1 s poll of the enricher
    # Bounded: one more datagram each try until a flow is classified.
    end = time.monotonic() + 10 * xflow.timeout_scale()
    seq, got = 1, []
    while time.monotonic() < end:
        send(d, port, datagram("198.18.20", 1, seq=seq))
        seq += 1
        got = wait_flows(out, seq)
        if got[-1].get("exporter_name"):
            break
        time.sleep(0.5)
    r = d.stop()
    r.assert_clean_exit()
    f = got[-1]
    assert f["exporter_name"] == "lo-edge1", r.describe()
    assert f["exporter_group"] == "edges"
    assert f["exporter_role"] == "border"
    assert f["exporter_site"] == "par1"
    assert f["exporter_region"] == "eu-west"
    assert f["exporter_tenant"] == "acme"
    assert f["src_net_tenant"] == "acme"
    assert "more than exporters-max" not in r.stderr
    m = re.findall(r"stats enrich .* exporters_seen=(\d+) "
                   r"exporters_full=(\d)", r.stderr)
    assert m and m[-1] == ("1", "0"), r.describe()

def test_sighup_switches_values(daemon, tmp_path, conf):
    nets = tmp_path / "nets.csv"
    d, port, out = start(daemon, tmp_path, conf)
    send(d, port, datagram("198.18.20", 1))
    wait_flows(out, 1)
    # Same size, same inode, same mtime: the timer cannot see the change,
    # only SIGHUP reloads it.
    st = nets.stat()
    assert len(NETS_V2) == len(NETS_V1)
    with open(nets, "r+") as fh:
        fh.write(NETS_V2)
    os.utime(nets, ns=(st.st_atime_ns, st.st_mtime_ns))
    time.sleep(1.5)  # a poll or more: nothing reloaded
    send(d, port, datagram("198.18.20", 1, seq=1))
    wait_flows(out, 2)
    d.proc.send_signal(signal.SIGHUP)
    xflow.wait_for(lambda: "enrichment reloaded" in d.stderr(),
                   10 * xflow.timeout_scale(), "the SIGHUP reload")
    send(d, port, datagram("198.18.20", 1, seq=2))
    got = wait_flows(out, 3)
    r = d.stop()
    r.assert_clean_exit()
    assert [f.get("src_net_tenant") for f in got] == ["acme", "acme", "bcme"]
    assert [f["src_net_name"] for f in got] == ["lab", "lab", "new"]
    assert [int(f["src_as"]) for f in got] == [65010, 65010, 65011]
    assert enrich_stats(r.stderr)["reloads"] == 5  # every source


def test_file_change_without_signal(daemon, tmp_path, conf):
    d, port, out = start(daemon, tmp_path, conf)
    send(d, port, datagram("198.18.20", 1))
    wait_flows(out, 1)
    replace(tmp_path / "nets.csv", NETS_V2)
    write_mmdb(tmp_path / "asn.mmdb",
               [("198.19.0.0/16", 64501, "Other AS", "IT")])
    # networks, then the database twice (asn- and country-database)
    xflow.wait_for(lambda: timer_reloads(d.stderr()) >= 3,
                   10 * xflow.timeout_scale(), "the timer's reloads")
    send(d, port, datagram("198.18.20", 1, seq=1))
    got = wait_flows(out, 2)
    r = d.stop()
    r.assert_clean_exit()
    assert got[0]["src_net_tenant"] == "acme"
    assert got[1]["src_net_tenant"] == "bcme"
    assert got[1]["src_country"] == "GB"
    assert int(got[1]["dst_as"]) == 64501
    assert got[1]["dst_as_name"] == "Other AS"
    assert got[1]["dst_country"] == "IT"
    assert "SIGHUP" not in r.stderr


def test_malformed_file_keeps_previous(daemon, tmp_path, conf):
    nets = tmp_path / "nets.csv"
    d, port, out = start(daemon, tmp_path, conf)
    replace(nets, NETS_V1 + "198.18.21.1/24,typo,,,,,,\n")
    xflow.wait_for(lambda: f"{nets}:4: " in d.stderr(),
                   10 * xflow.timeout_scale(), "the bad line logged")
    (tmp_path / "asn.mmdb").write_bytes(b"not an mmdb at all" * 10)
    d.proc.send_signal(signal.SIGHUP)
    xflow.wait_for(lambda: "enrichment reloaded" in d.stderr(),
                   10 * xflow.timeout_scale(), "the SIGHUP reload")
    send(d, port, datagram("198.18.20", 1))
    got = wait_flows(out, 1)
    r = d.stop()
    r.assert_clean_exit()
    assert got[0]["src_net_tenant"] == "acme"
    assert int(got[0]["dst_as"]) == 64500
    assert got[0]["dst_as_name"] == "Far AS"
    assert f"{nets}:4: " in r.stderr
    assert "(previous tables kept)" in r.stderr
    assert str(tmp_path / "asn.mmdb") in r.stderr
    st = enrich_stats(r.stderr)
    # the timer once for nets.csv; SIGHUP: nets.csv and both databases
    assert st["reload_failures"] >= 4, st


def test_reload_under_load_loses_nothing(daemon, tmp_path, conf):
    d, port, out = start(daemon, tmp_path, conf, ["--workers", "2"])
    per, n_dg = 10, 400
    stop = threading.Event()

    def reloader():
        v = 0
        while not stop.is_set():
            v += 1
            replace(tmp_path / "nets.csv", NETS_V2 if v % 2 else NETS_V1)
            d.proc.send_signal(signal.SIGHUP)
            time.sleep(0.05)

    t = threading.Thread(target=reloader)
    t.start()
    try:
        for i in range(n_dg):
            xflow.send_udp([datagram("198.18.20", per, seq=i)], port)
            if i % 20 == 19:
                time.sleep(0.01)
    finally:
        stop.set()
        t.join(30)
    d.wait_drained([port])
    got = wait_flows(out, per * n_dg)
    r = d.stop()
    r.assert_clean_exit()
    st = r.stats
    assert st.rx["drops"] == 0, st.lines
    assert len(got) == per * n_dg == st.publish["flows"]
    tenants = {f.get("src_net_tenant") for f in got}
    assert tenants <= {"acme", "bcme"} and "acme" in tenants, tenants
    # every flow enriched from one whole table: name and tenant agree
    pairs = {(f.get("src_net_name"), f.get("src_net_tenant"))
             for f in got}
    assert pairs <= {("lab", "acme"), ("new", "bcme")}, pairs
    assert enrich_stats(r.stderr)["reloads"] >= 5


def test_enrich_config_errors(tmp_path):
    c = tmp_path / "bad.conf"
    c.write_text("networks = n.csv\ncolour = blue\n")
    r = xflow.run_xdpflowd(["-l", f"netflow://127.0.0.1:"
                            f"{xflow.free_udp_port()}", "--enrich", c,
                            "--file", tmp_path / "f"])
    assert r.rc == 1, r.describe()
    assert f"could not set up enrichment: {c}:2: unknown key 'colour'" \
        in r.stderr
    c.write_text("networks = n.csv\n")
    r = xflow.run_xdpflowd(["-l", f"netflow://127.0.0.1:"
                            f"{xflow.free_udp_port()}", "--enrich", c,
                            "--file", tmp_path / "f"])
    assert r.rc == 1, r.describe()
    assert str(tmp_path / "n.csv") in r.stderr


ENRICH_KEYS = {f"{side}_{k}" for side in ("src", "dst") for k in (
    "country", "as_name", "net_name", "net_role", "net_site", "net_region",
    "net_tenant")} | {f"{d}_if_{k}" for d in ("in", "out") for k in (
        "name", "description", "speed")} | {f"exporter_{k}" for k in (
            "name", "group", "role", "site", "region", "tenant")}


def test_enriched_flows_keep_decoded_fields(tmp_path, conf):
    """With --enrich the decoder hands NetFlow v9/IPFIX records to the
    pipeline in runs (flow_sink.emit_batch): every flow is still the one
    decoded without enrichment, field by field, in the same order, only
    the enrichment fields (and the AS numbers they may fill) added."""
    dgs = [xflow.Datagram(datagram("198.18.20", 1 + i % 17, seq=i,
                                   src_as=7 if i % 3 else 0))
           for i in range(40)]
    recs = [xflow.Rec(f"198.18.4.{i + 1}", f"198.19.{i}.1", 1000 + i, 443,
                      6, 1500 + i, 3, 1699999990000, 1699999999000)
            for i in range(30)]
    dgs.append(xflow.Datagram(xflow.ipfix(
        [xflow.template_set(400, xflow.IPFIX_FIELDS, True),
         xflow.data_set(400, recs, True)])))
    pcap = xflow.write_udp_pcap(tmp_path / "in.pcap", dgs)
    (tmp_path / "plain").mkdir()
    (tmp_path / "enriched").mkdir()
    plain = xflow.run_pcap(pcap, tmp_path / "plain")
    plain.assert_clean_exit()
    enr = xflow.run_pcap(pcap, tmp_path / "enriched",
                         extra=["--enrich", conf])
    enr.assert_clean_exit()
    assert plain.out_path != enr.out_path
    a, b = plain.flows(), enr.flows()
    assert not any(k in f for f in a for k in ENRICH_KEYS)
    assert len(a) == len(b) == sum(1 + i % 17 for i in range(40)) + 30
    for n, (x, y) in enumerate(zip(a, b)):
        y = {k: v for k, v in y.items() if k not in ENRICH_KEYS}
        for k in ("src_as", "dst_as"):
            x.pop(k, None)
            y.pop(k, None)
        assert x == y, f"flow {n} differs"
    assert all(f.get("src_net_name") == "lab" for f in b[:-30])
    assert int(b[0]["src_as"]) == 65010 and int(b[1]["src_as"]) == 7
    assert int(a[0].get("src_as", 0)) == 0
