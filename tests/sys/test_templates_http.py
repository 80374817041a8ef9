# SPDX-License-Identifier: Apache-2.0
"""/templates on the --metrics server: a live daemon fed a NetFlow v9
template (source id 7) and an IPFIX template with an enterprise element
(observation domain 42) lists both, by exporter, version, domain and id,
with their fields (pen, ie, len) in order and the time they were last
announced; a template re-announced later shows the later time; with
nothing learnt the list is empty."""

import json
import socket
import struct
import time
import urllib.request

import xflow

PEN = 29305


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def templates(port: int) -> list[dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/templates",
                                timeout=5) as r:
        assert r.headers["Content-Type"] == "application/json"
        return json.loads(r.read())["templates"]


def ipfix_enterprise_template(tid: int) -> bytes:
    body = struct.pack("!HH", tid, 3) + struct.pack("!HH", 8, 4) + \
        struct.pack("!HH", 12, 4) + struct.pack("!HHI", 0x8000 | 100, 2, PEN)
    return struct.pack("!HH", 2, 4 + len(body)) + body


def test_templates_endpoint(daemon, tmp_path):
    port, mport = xflow.free_udp_port(), free_tcp_port()
    d = daemon(["-l", f"netflow://127.0.0.1:{port}", "--metrics",
                f"127.0.0.1:{mport}", "--file", tmp_path / "flows.pb"],
               ports=[port])
    xflow.wait_for(lambda: _up(mport), 10 * xflow.timeout_scale(),
                   "the metrics server")
    assert templates(mport) == []

    t0 = time.time_ns()
    xflow.send_udp([xflow.nf9([xflow.template_set(260, xflow.NF9_FIELDS,
                                                  False)], source_id=7)],
                   port)
    xflow.send_udp([xflow.ipfix([ipfix_enterprise_template(300)],
                                domain=42)], port, src="127.0.0.2")
    d.wait_drained([port])
    t1 = time.time_ns()
    got = xflow.wait_for(lambda: (lambda t: t if len(t) == 2 else None)(
        templates(mport)), 10, "two templates listed")
    by = {(t["exporter"], t["version"], t["domain"], t["id"]): t
          for t in got}
    assert set(by) == {("127.0.0.1", 9, 7, 260), ("127.0.0.2", 10, 42, 300)}

    v9 = by[("127.0.0.1", 9, 7, 260)]
    assert v9["fields"] == [{"pen": 0, "ie": ie, "len": ln}
                            for ie, ln in xflow.NF9_FIELDS]
    assert (v9["options"], v9["scope_fields"], v9["worker"]) == \
        (False, 0, 0)
    ipx = by[("127.0.0.2", 10, 42, 300)]
    assert ipx["fields"] == [{"pen": 0, "ie": 8, "len": 4},
                             {"pen": 0, "ie": 12, "len": 4},
                             {"pen": PEN, "ie": 100, "len": 2}]
    for t in got:
        assert t0 <= t["last_seen_ns"] <= t1, (t0, t, t1)
        secs = t["last_seen_ns"] // 10**9
        assert t["last_seen"] == time.strftime(
            "%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + \
            ".%03dZ" % (t["last_seen_ns"] // 10**6 % 1000)

    # Announced again (unchanged): same template, a later last-seen time.
    time.sleep(0.05)
    xflow.send_udp([xflow.nf9([xflow.template_set(260, xflow.NF9_FIELDS,
                                                  False)], source_id=7)],
                   port)
    d.wait_drained([port])
    again = {(t["exporter"], t["id"]): t for t in templates(mport)}
    assert again[("127.0.0.1", 260)]["last_seen_ns"] > v9["last_seen_ns"]
    assert again[("127.0.0.1", 260)]["fields"] == v9["fields"]
    assert again[("127.0.0.2", 300)] == ipx
    d.stop().assert_clean_exit()


def _up(port: int) -> bool:
    try:
        templates(port)
        return True
    except OSError:
        return False
