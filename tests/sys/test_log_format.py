# SPDX-License-Identifier: Apache-2.0
"""--log-format: text lines (xdpflow: LEVEL: exporter ADDR: MSG for what
concerns one exporter) and JSON lines (ts, level, msg, exporter: the
address, or null), every line of a live run in the chosen format; a
hostile exporter's errors keep their rate limit (RATELIMIT_BURST = 10 lines
per 5 s window) in both formats while all of them are counted."""

import json
import re

import pytest

import xflow

BAD = 30  # bad datagrams sent, well over the burst of 10 lines
BURST = 10


def bad_datagram() -> bytes:
    # An IPFIX header whose length field exceeds the datagram.
    return xflow.ipfix([], length=999)


def run(daemon, tmp_path, fmt):
    port = xflow.free_udp_port()
    d = daemon(["-l", f"netflow://127.0.0.1:{port}", "--log-format", fmt,
                "--file", tmp_path / "flows.pb"], ports=[port])
    xflow.send_udp([bad_datagram()] * BAD, port, src="127.0.0.2")
    d.wait_drained([port])
    r = d.stop()
    r.assert_clean_exit()
    return r.stderr.splitlines()


def test_text_format(daemon, tmp_path):
    lines = run(daemon, tmp_path, "text")
    assert all(re.match(r"xdpflow: (error|warning|info|debug): ", ln)
               for ln in lines), lines
    exp = [ln for ln in lines
           if ln.startswith("xdpflow: warning: exporter 127.0.0.2: ")]
    assert len(exp) == BURST, lines
    st = xflow.parse_stats("\n".join(lines))
    assert st.errors("127.0.0.2") == BAD, st.lines


def test_json_format(daemon, tmp_path):
    lines = run(daemon, tmp_path, "json")
    objs = [json.loads(ln) for ln in lines]  # every line is JSON
    for o in objs:
        assert set(o) == {"ts", "level", "msg", "exporter"}, o
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
                            o["ts"]), o
        assert o["level"] in ("error", "warning", "info", "debug"), o
    exp = [o for o in objs if o["exporter"] is not None]
    assert len(exp) == BURST, objs
    assert {o["exporter"] for o in exp} == {"127.0.0.2"}
    assert all(o["level"] == "warning" for o in exp)
    assert any(o["msg"].startswith("xdpflowd ") and " running: " in o["msg"]
               for o in objs if o["exporter"] is None)
    # The same counters as in text, from the JSON messages.
    report = "\n".join("xdpflow: info: " + o["msg"] for o in objs
                       if o["msg"].startswith("stats "))
    st = xflow.parse_stats(report)
    assert st.errors("127.0.0.2") == BAD, st.lines


@pytest.mark.parametrize("bad", ["xml", ""])
def test_bad_log_format(tmp_path, bad):
    r = xflow.run_xdpflowd(["--log-format", bad, "--file", tmp_path / "f"])
    assert r.rc == 2
    assert r.stderr == f"xdpflow: error: bad value '{bad}' for " \
        "--log-format: expected text or json\n"
