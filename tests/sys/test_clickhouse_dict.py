# SPDX-License-Identifier: Apache-2.0
"""The optional ClickHouse `networks` dictionary (sql/clickhouse/
networks-dict.sql over the rows scripts/gen/gen-networks-dict.py writes)
gives the answers of xdpflow's own networks-file lookups: for every
boundary address of every prefix of a networks file (first, last, one
before, one after), addresses in between, and IPv4 also as IPv4-mapped
IPv6, chDB's dictGet returns exactly the merged record the C library
(tests/helpers/networks_lookup) returns: per-attribute inheritance, /0, /32
and /128, host routes, nested IPv6, a mapped prefix, an IPv6 ::/0 that must
not answer IPv4 lookups. Files the C library refuses, the generator refuses
too, with the line.
"""

import ipaddress
import random
import subprocess

import pytest

import chdb_util as cu
import xflow
from chdb_util import ch  # noqa: F401 (fixture)

GENERATOR = cu.REPO / "scripts" / "gen" / "gen-networks-dict.py"
DICT_SQL = cu.SQL_DIR / "networks-dict.sql"
ATTRS = ("name", "role", "site", "region", "tenant", "asn", "country")

NETWORKS = """\
# the networks file of a small operator
prefix, name, role, site, region, tenant, asn, country
10.0.0.0/8, corp, internal, par1, eu-west, , AS64500, fr
10.1.0.0/16, , servers, lon1, , , ,
10.1.2.0/24, , , , , acme, ,
10.1.2.128/25, "web, front", , , , , 64501,
10.1.2.200, , , , , globex, ,
10.1.3.0/24, , , , eu-north, , ,
192.0.2.0/24, docs, , , , , , us
::ffff:198.51.100.0/120, mapped, , , , initech, , de
2001:db8::/32, v6corp, , ams1, eu-west, , 64510, nl
2001:db8:1::/48, , lab, , , "Caf\u00e9 \u2615", ,
2001:db8:1:2::/64, , , fra1, , , ,
2001:db8:1:2::1/128, host6, , , , , ,
::/0, default6, transit, , , , 64999,
"""

# The same with an IPv4 default route and no IPv6 one.
NETWORKS_V4_DEFAULT = """\
prefix,name,tenant,country
0.0.0.0/0,internet,,
10.0.0.0/8,,corp,FR
2001:db8::/32,v6,,NL
"""


def generate(src, out):
    return subprocess.run([cu.python(), str(GENERATOR), str(src), str(out)],
                          capture_output=True, text=True, timeout=120)


def c_answers(networks, addrs):
    tool = xflow.build_dir() / "tests" / "helpers" / "networks-lookup"
    assert tool.exists(), f"{tool} missing: make unit-bins"
    r = subprocess.run([str(tool), str(networks)], input="\n".join(addrs),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stdout.splitlines():
        f = line.split("\t")
        assert len(f) == 8, line
        out[f[0]] = tuple(f[1:6]) + (int(f[6]), f[7])
    assert set(out) == set(addrs)
    return out


def load_dict(ch, flat):
    """networks-dict.sql in a fresh database, networks_source filled from
    the generator's file (as the file's comment says to)."""
    stmts = cu.statements(DICT_SQL.read_text())
    assert [s.split("(")[0].split()[:2] for s in stmts] == \
        [["CREATE", "TABLE"], ["CREATE", "DICTIONARY"]]
    ch.fresh_db("dict")
    for s in stmts:
        ch.run(s)
    ch.run(f"INSERT INTO networks_source SELECT * FROM file('{flat}', "
           f"'CSVWithNames')")
    ch.run("SYSTEM RELOAD DICTIONARY networks")


def ch_answers(ch, addrs):
    arr = "[" + ",".join(f"'{a}'" for a in addrs) + "]"
    gets = ", ".join(f"dictGet('networks', '{a}', toIPv6(a))" for a in ATTRS)
    rows = ch.rows(f"SELECT a, {gets} FROM (SELECT arrayJoin({arr}) AS a)")
    return {r[0]: tuple(r[1:]) for r in rows}


def probe_addresses(text, seed):
    """Boundaries of every prefix, neighbours, random addresses inside,
    and each IPv4 one again as IPv4-mapped IPv6."""
    rnd = random.Random(seed)
    nets = []
    lines = [x for x in text.splitlines()
             if x.strip() and not x.startswith("#")]
    for line in lines[1:]:  # after the header
        p = line.split(",")[0].strip()
        nets.append(ipaddress.ip_network(p if "/" in p else p + "/" +
                                         ("32" if ":" not in p else "128")))
    out = set()
    for n in nets:
        lo, hi = int(n.network_address), int(n.broadcast_address)
        top = (1 << n.max_prefixlen) - 1
        for v in (lo, hi, lo - 1, hi + 1, rnd.randint(lo, hi),
                  rnd.randint(lo, hi)):
            if 0 <= v <= top:
                out.add(str(ipaddress.ip_address(v) if n.version == 4
                            else ipaddress.IPv6Address(v)))
    out |= {"0.0.0.0", "255.255.255.255", "8.8.8.8", "::", "::1",
            "2a00::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "10.1.2.201", "10.1.2.200", "198.51.100.7", "2001:db8:1:2::1"}
    out |= {str(ipaddress.IPv4Address(rnd.getrandbits(32)))
            for _ in range(200)}
    out |= {str(ipaddress.IPv6Address(
        0x20010db8 << 96 | rnd.getrandbits(96))) for _ in range(200)}
    out |= {"::ffff:" + a for a in list(out) if "." in a and ":" not in a}
    return sorted(out)


@pytest.mark.parametrize("name,text", [("networks", NETWORKS),
                                       ("v4default", NETWORKS_V4_DEFAULT)],
                         ids=["networks", "v4default"])
def test_dictionary_answers_as_the_c_library(ch, tmp_path, name, text):
    src = tmp_path / f"{name}.csv"
    src.write_text(text)
    flat = tmp_path / f"{name}-dict.csv"
    r = generate(src, flat)
    assert r.returncode == 0, r.stderr
    addrs = probe_addresses(text, seed=len(text))
    want = c_answers(src, addrs)
    load_dict(ch, flat)
    got = ch_answers(ch, addrs)
    diff = {a: (got[a], want[a]) for a in addrs if got[a] != want[a]}
    assert not diff, f"{len(diff)} answers differ (dict, C): " \
        f"{dict(list(diff.items())[:5])}"
    # The answers are not trivial: inheritance, nesting, no match.
    if name == "networks":
        assert want["10.1.2.201"] == ("web, front", "servers", "lon1",
                                      "eu-west", "acme", 64501, "FR")
        assert want["10.1.2.200"][4] == "globex"
        assert want["::ffff:198.51.100.7"][0] == "mapped"
        assert want["2001:db8:1:2::1"] == ("host6", "lab", "fra1", "eu-west",
                                           "Caf\u00e9 \u2615", 64510, "NL")
        assert want["8.8.8.8"] == ("", "", "", "", "", 0, "")
        assert want["2a00::1"][0] == "default6"


def test_dictionary_source_is_the_merged_view(tmp_path):
    """What the generator writes: one row per prefix, each with its merged
    attributes, an IPv4-mapped prefix as IPv4, and 0.0.0.0/0 added empty
    because ::/0 would otherwise answer IPv4 lookups in ClickHouse."""
    src = tmp_path / "n.csv"
    src.write_text(NETWORKS)
    r = generate(src, tmp_path / "flat.csv")
    assert r.returncode == 0, r.stderr
    import csv
    rows = {r["prefix"]: r for r in
            csv.DictReader((tmp_path / "flat.csv").open())}
    assert list(next(csv.reader((tmp_path / "flat.csv").open()))) == \
        ["prefix", *ATTRS]
    assert rows["10.1.2.0/24"] == {
        "prefix": "10.1.2.0/24", "name": "corp", "role": "servers",
        "site": "lon1", "region": "eu-west", "tenant": "acme",
        "asn": "64500", "country": "FR"}
    assert rows["198.51.100.0/24"]["name"] == "mapped"
    assert rows["10.1.2.200/32"]["tenant"] == "globex"
    assert rows["0.0.0.0/0"] == {"prefix": "0.0.0.0/0", **{
        a: ("0" if a == "asn" else "") for a in ATTRS}}
    assert len(rows) == 14


@pytest.mark.parametrize("text,line", [
    ("prefix,name\n10.0.0.0/8,a\n10.0.0.0/8,b\n", 3),    # duplicate
    ("prefix,name\n10.0.0.1/8,a\n", 2),                  # host bits
    ("prefix,asn\n10.0.0.0/8,ASX\n", 2),                 # AS number
    ("prefix,country\n10.0.0.0/8,FRA\n", 2),             # country
    ("prefix,name\n10.0.0.0/8,a,b\n", 2),                # field count
    ("name\nx\n", 1),                                    # no prefix column
    ("prefix,nam\n", 1),                                 # unknown column
])
def test_generator_refuses_what_the_library_refuses(tmp_path, text, line):
    src = tmp_path / "bad.csv"
    src.write_text(text)
    r = generate(src, tmp_path / "out.csv")
    assert r.returncode == 1
    assert r.stderr.startswith(f"{src}:{line}: "), r.stderr
    assert not (tmp_path / "out.csv").exists()
    tool = xflow.build_dir() / "tests" / "helpers" / "networks-lookup"
    c = subprocess.run([str(tool), str(src)], input="", capture_output=True,
                       text=True, timeout=60)
    assert c.returncode == 1 and c.stderr.startswith(f"{src}:{line}: "), \
        c.stderr
