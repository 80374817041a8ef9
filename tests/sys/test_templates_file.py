# SPDX-License-Identifier: Apache-2.0
"""--templates-file: NetFlow v9 and IPFIX templates learnt by one run are
saved at exit and loaded by the next, which then decodes data sets at once,
without waiting for the exporter to resend its templates. Without the file
the same data sets yield no flow (the control)."""

import xflow

RECS = [xflow.Rec("198.18.9.1", "198.19.9.1", 3000 + i, 443, 6, 7000 + i,
                  70 + i, 1699999990000 + i, 1699999998000 + i)
        for i in range(4)]


def template_datagrams():
    return [xflow.nf9([xflow.template_set(280, xflow.NF9_FIELDS, False)],
                      source_id=7),
            xflow.ipfix([xflow.template_set(281, xflow.IPFIX_FIELDS, True)],
                        domain=8)]


def data_datagrams():
    return [xflow.nf9([xflow.data_set(280, RECS, False)], source_id=7,
                      seq=1),
            xflow.ipfix([xflow.data_set(281, RECS, True)], domain=8, seq=1)]


def run_live(daemon, tmp_path, name, payloads, extra=()):
    port = xflow.free_udp_port()
    out = tmp_path / f"{name}.json"
    d = daemon(["-l", f"netflow://127.0.0.1:{port}", "--format", "json",
                "--file", out, *extra], ports=[port], name=name)
    xflow.send_udp(payloads, port)
    d.wait_drained([port])
    r = d.stop()
    r.assert_clean_exit()
    return r, [xflow.norm_flow(f) for f in xflow.read_json_flows(out)]


def test_templates_survive_restart(daemon, tmp_path):
    tf = tmp_path / "templates"
    r1, flows1 = run_live(daemon, tmp_path, "first", template_datagrams(),
                          ["--templates-file", tf])
    assert flows1 == []
    assert r1.stats.exporter("127.0.0.1")["templates"] == 2, r1.stats.lines
    assert tf.is_file() and tf.stat().st_size > 0, \
        "templates file not written at exit"

    r2, flows2 = run_live(daemon, tmp_path, "second", data_datagrams(),
                          ["--templates-file", tf])
    got = [(f["type"],) + xflow.flow_key(f) +
           (f["time_flow_start_ns"], f["time_flow_end_ns"]) for f in flows2]
    want = [(t,) + x.key() + (x.start_ms * 10**6, x.end_ms * 10**6)
            for t in ("NETFLOW_V9", "IPFIX") for x in RECS]
    diff = xflow.multiset_diff(want, got)
    assert not diff, f"data sets after a restart with --templates-file:\n" \
        f"{diff}\n{r2.describe()}"
    assert r2.stats.errors() == 0, r2.stats.lines


def test_without_templates_file_data_waits(daemon, tmp_path):
    r, flows = run_live(daemon, tmp_path, "control", data_datagrams())
    assert flows == [], "data sets decoded without any template"
    assert r.stats.exporter("127.0.0.1")["packets"] == 2, r.stats.lines

