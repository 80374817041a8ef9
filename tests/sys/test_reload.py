# SPDX-License-Identifier: Apache-2.0
"""SIGHUP without XDP: the output file is reopened at its path (logrotate
renames the file, then signals: flows before go to the renamed file,
flows after to a new file at the path), and --allow-exporter-file is read
again (a newly listed exporter is accepted, a removed one dropped and
counted as not_allowed) while --allow-exporter's prefixes stay; a file
that does not load keeps the current list. The XDP maps' in-place reload
is tested in test_xdp_reload.py."""

import signal

import xflow
from test_listen import nf9_datagram


def flows_of(path):
    return [xflow.norm_flow(f) for f in xflow.read_json_flows(path)]


def hup(d, what: str, count: int = 1) -> None:
    d.proc.send_signal(signal.SIGHUP)
    xflow.wait_for(lambda: d.stderr().count(what) >= count,
                   10 * xflow.timeout_scale(), f"'{what}' in the log")


def test_sighup_reopens_output_file(daemon, tmp_path):
    port = xflow.free_udp_port()
    out = tmp_path / "flows.json"
    rotated = tmp_path / "flows.json.1"
    d = daemon(["-l", f"netflow://127.0.0.1:{port}", "--format", "json",
                "--file", out], ports=[port])
    first, recs1 = nf9_datagram("198.18.11", 3)
    xflow.send_udp([first], port)
    d.wait_drained([port])
    xflow.wait_for(lambda: out.exists() and len(flows_of(out)) == 3, 10,
                   "the first flows written")
    out.rename(rotated)
    d.proc.send_signal(signal.SIGHUP)
    xflow.wait_for(out.exists, 10, "a new file at the output path")
    second, recs2 = nf9_datagram("198.18.12", 4)
    xflow.send_udp([second], port)
    d.wait_drained([port])
    r = d.stop()
    r.assert_clean_exit()
    assert not xflow.multiset_diff([x.key() for x in recs1], [
        xflow.flow_key(f) for f in flows_of(rotated)])
    assert not xflow.multiset_diff([x.key() for x in recs2], [
        xflow.flow_key(f) for f in flows_of(out)])


def test_sighup_reloads_allow_list_file(daemon, tmp_path):
    port = xflow.free_udp_port()
    out = tmp_path / "flows.json"
    allow = tmp_path / "allow.txt"
    allow.write_text("# lab exporters\n127.0.0.2/32   # first\n\n")
    d = daemon(["-l", f"netflow://127.0.0.1:{port}", "--allow-exporter",
                "127.0.0.9", "--allow-exporter-file", allow, "--format",
                "json", "--file", out], ports=[port])
    dg, _ = nf9_datagram("198.18.13", 2)

    def send_all():
        for src in ("127.0.0.2", "127.0.0.3", "127.0.0.9"):
            xflow.send_udp([dg], port, src=src)
        d.wait_drained([port])

    send_all()  # .2 and .9 in, .3 refused
    allow.write_text("127.0.0.3\n")
    hup(d, f"allow-list reloaded from {allow}: 2 prefixes")
    send_all()  # .3 and .9 in, .2 refused

    allow.write_text("127.0.0.300\n")
    d.proc.send_signal(signal.SIGHUP)
    xflow.wait_for(lambda: "keeping the current allow-list (2 prefixes)"
                   in d.stderr(), 10, "the bad file refused")
    send_all()  # unchanged: .3 and .9 in, .2 refused
    r = d.stop()
    r.assert_clean_exit()
    assert f"{allow}:1: '127.0.0.300' is not an IPv4 or IPv6 prefix" \
        in r.stderr
    st = r.stats
    assert st.exporter("127.0.0.2")["packets"] == 1, st.lines
    assert st.exporter("127.0.0.3")["packets"] == 2, st.lines
    assert st.exporter("127.0.0.9")["packets"] == 3, st.lines
    assert st.rx["not_allowed"] == 3, st.lines
    got = sorted(f["sampler_address"] for f in flows_of(out))
    assert got == sorted(["127.0.0.2"] * 2 + ["127.0.0.3"] * 4 +
                         ["127.0.0.9"] * 6)


def test_allow_exporter_file_unreadable(tmp_path):
    r = xflow.run_xdpflowd(["-l", f"netflow://127.0.0.1:"
                            f"{xflow.free_udp_port()}",
                            "--allow-exporter-file", tmp_path / "missing",
                            "--file", tmp_path / "f"])
    assert r.rc == 1, r.describe()
    assert f"xdpflow: error: could not read the allow-list " \
        f"{tmp_path / 'missing'}: No such file or directory" in r.stderr
