#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the rows of the ClickHouse `networks` dictionary (the table
networks_source of sql/clickhouse/networks-dict.sql) from an enrichment
networks file, so
that query-time lookups give the answers xdpflow's enrichment writes into
the flows.

The networks file (format in user/enrich/networks_file.h: '#' comments,
a header naming `prefix` and any of name, role, site, region, tenant, asn,
country, quoted fields, bare addresses as host routes) merges attributes
per attribute: the most specific prefix wins for each attribute it sets,
and a prefix that leaves one empty inherits it from the nearest enclosing
prefix that has it (a /24 naming only a tenant keeps its /16's site).
ClickHouse's IP_TRIE layout returns only the longest match's row, so each
row written here carries its prefix's merged attributes.

Two more differences are bridged: an IPv4-mapped prefix (::ffff:a.b.c.d/n)
is written as the IPv4 prefix it is for xdpflow; and since ClickHouse keys
IPv4 as mapped IPv6, an IPv6 prefix covering ::ffff:0:0/96 (::/0, say)
would answer IPv4 lookups, which xdpflow never does: 0.0.0.0/0 is then
written too (with the file's own 0.0.0.0/0 attributes, or none).

Output: CSV with a header, columns prefix, name, role, site, region,
tenant, asn, country (empty / 0 when unset), one row per prefix. The
file is checked as xdpflow checks it; an error prints "file:line: reason"
and exits 1.

usage: gen-networks-dict.py NETWORKS.csv [OUT.csv]   (default: stdout)
"""
import csv
import io
import ipaddress
import sys

ATTRS = ("name", "role", "site", "region", "tenant", "asn", "country")
COLUMNS = ("prefix",) + ATTRS
MAX_FIELD = 255
MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


class Bad(Exception):
    pass


def split(line: str, fail) -> list[str]:
    """The fields of one line, as the C reader (user/enrich/csv.c) splits
    them: spaces around fields trimmed, double quotes ("" inside)."""
    out, i, n = [], 0, len(line)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        f = []
        if i < n and line[i] == '"':
            i += 1
            while True:
                if i == n:
                    fail(f"unterminated quote in field {len(out) + 1}")
                if line[i] == '"':
                    if i + 1 < n and line[i + 1] == '"':
                        i += 1
                    else:
                        break
                f.append(line[i])
                i += 1
            i += 1
            while i < n and line[i] in " \t":
                i += 1
            if i < n and line[i] != ",":
                fail(f"text after the closing quote of field {len(out) + 1}")
            field = "".join(f)
        else:
            j = line.find(",", i)
            j = n if j < 0 else j
            field = line[i:j].rstrip(" \t")
            if '"' in field:
                fail(f"quote inside unquoted field {len(out) + 1}")
            i = j
        if len(field.encode()) > MAX_FIELD:
            fail(f"field {len(out) + 1} longer than {MAX_FIELD} bytes")
        out.append(field)
        if i >= n:
            return out
        i += 1


def parse_prefix(s: str, fail):
    addr, slash, plen = s.partition("/")
    try:
        a = ipaddress.ip_address(addr)
    except ValueError:
        fail(f"'{s}' is not an IPv4 or IPv6 prefix")
    if slash:
        if not plen.isdigit() or int(plen) > a.max_prefixlen:
            fail(f"'{s}': bad prefix length")
        length = int(plen)
    else:
        length = a.max_prefixlen
    try:
        net = ipaddress.ip_network(f"{a}/{length}")
    except ValueError:
        fail(f"'{s}' has host bits set")
    if net.version == 6 and net.prefixlen >= 96 and net.subnet_of(MAPPED):
        net = ipaddress.ip_network(
            f"{ipaddress.IPv4Address(int(net.network_address) & 0xffffffff)}"
            f"/{net.prefixlen - 96}")
    return net


def parse_asn(s: str, fail) -> int:
    d = s[2:] if s[:2].lower() == "as" else s
    if not d or not d.isascii() or not d.isdigit():
        fail(f"'{s}' is not an AS number")
    v = int(d)
    if v > 0xffffffff:
        fail(f"AS number '{s}' above 4294967295")
    if v == 0:
        fail("AS number 0 is reserved")
    return v


def read_networks(text: str, name: str) -> dict:
    """Prefix -> its own attributes (only those it sets)."""
    cols, nets, line_of = None, {}, {}
    for lineno, raw in enumerate(text.split("\n"), 1):
        def fail(msg, lineno=lineno):
            raise Bad(f"{name}:{lineno}: {msg}")
        line = raw[:-1] if raw.endswith("\r") else raw
        if "\0" in line:
            fail("NUL byte")
        line = line.lstrip(" \t")
        if not line or line.startswith("#"):
            continue
        fields = split(line, fail)
        if cols is None:
            cols = []
            for f in fields:
                if f.lower() not in COLUMNS:
                    fail(f"unknown column '{f}' (expected "
                         f"{', '.join(COLUMNS)})")
                if f.lower() in cols:
                    fail(f"column '{f.lower()}' given twice")
                cols.append(f.lower())
            if "prefix" not in cols:
                fail("no 'prefix' column in the header")
            continue
        if len(fields) != len(cols):
            fail(f"{len(fields)} fields, the header has {len(cols)}")
        own, net = {}, None
        for col, f in zip(cols, fields):
            if col == "prefix":
                net = parse_prefix(f, fail)
            elif not f:
                continue
            elif col == "asn":
                own["asn"] = parse_asn(f, fail)
            elif col == "country":
                if len(f) != 2 or not f.isascii() or not f.isalpha():
                    fail(f"country '{f}' is not two letters")
                own["country"] = f.upper()
            else:
                own[col] = f
        if net in nets:
            fail(f"duplicate prefix {net} (first on line {line_of[net]})")
        nets[net], line_of[net] = own, lineno
    return nets


def merged(nets: dict) -> dict:
    """Prefix -> its merged attributes: its own, else the nearest
    enclosing prefix's merged ones."""
    out = {}
    for net in sorted(nets, key=lambda n: (n.version, n.prefixlen)):
        parent = {}
        for plen in range(net.prefixlen - 1, -1, -1):
            sup = net.supernet(new_prefix=plen)
            if sup in out:
                parent = out[sup]
                break
        out[net] = {a: nets[net].get(a, parent.get(a)) for a in ATTRS}
    return out


def flatten(text: str, name: str) -> list[list]:
    rows = merged(read_networks(text, name))
    v4_all = ipaddress.ip_network("0.0.0.0/0")
    if v4_all not in rows and any(n.version == 6 and MAPPED.subnet_of(n)
                                  for n in rows):
        rows[v4_all] = {a: None for a in ATTRS}
    out = []
    for net in sorted(rows, key=lambda n: (n.version, n)):
        r = rows[net]
        out.append([str(net)] + [r[a] if r[a] is not None else
                                 (0 if a == "asn" else "") for a in ATTRS])
    return out


def main(argv) -> int:
    if len(argv) not in (1, 2):
        print("usage: gen-networks-dict.py NETWORKS.csv [OUT.csv]",
              file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8", newline="") as f:
            rows = flatten(f.read(), argv[0])
    except OSError as e:
        print(f"{argv[0]}: {e.strerror}", file=sys.stderr)
        return 1
    except (Bad, UnicodeDecodeError) as e:
        print(str(e), file=sys.stderr)
        return 1
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(rows)
    if len(argv) == 2:
        with open(argv[1], "w", encoding="utf-8") as f:
            f.write(buf.getvalue())
    else:
        sys.stdout.write(buf.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
