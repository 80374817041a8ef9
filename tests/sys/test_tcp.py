# SPDX-License-Identifier: Apache-2.0
"""IPFIX over TCP (tcp:// listener, RFC 7011 §10.4): messages framed by
their length field over a stream cut at arbitrary points (a byte at a time,
across message boundaries, several messages in one write), from two
connections at once, give the same flows as the records sent, with the
exporter taken from the peer address; a stream that is not IPFIX is
counted as an error and its connection closed; tcp:// takes no count and
has no effect with --pcap."""

import re
import socket
import subprocess
import time

import xflow


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_tcp(port: int, d) -> None:
    def up():
        assert d.alive(), d.stderr()
        return f"listening on tcp://127.0.0.1:{port}" in d.stderr()
    xflow.wait_for(up, 10 * xflow.timeout_scale(), "the TCP listener")


def messages(prefix: str, n: int, tid: int):
    recs = [xflow.Rec(f"{prefix}.{i + 1}", "198.19.0.1", 1000 + i, 53, 17,
                      100 + i, 1 + i, 1699999990000, 1699999999000)
            for i in range(n)]
    msgs = [xflow.ipfix([xflow.template_set(tid, xflow.IPFIX_FIELDS, True)],
                        seq=0)]
    for i, r in enumerate(recs):
        msgs.append(xflow.ipfix([xflow.data_set(tid, [r], True)], seq=i))
    return msgs, recs


def test_ipfix_over_tcp(daemon, tmp_path):
    port = free_tcp_port()
    out = tmp_path / "flows.json"
    d = daemon(["-l", f"tcp://127.0.0.1:{port}", "--format", "json",
                "--file", out])
    wait_tcp(port, d)
    a_msgs, a_recs = messages("198.18.21", 20, 300)
    b_msgs, b_recs = messages("198.18.22", 5, 301)
    a = socket.create_connection(("127.0.0.1", port), timeout=5)
    b = socket.socket()
    b.bind(("127.0.0.2", 0))
    b.settimeout(5)
    b.connect(("127.0.0.1", port))
    stream = b"".join(a_msgs)
    # The first message a byte at a time, the rest in odd-sized pieces.
    first = len(a_msgs[0])
    for i in range(first):
        a.sendall(stream[i:i + 1])
        if i % 16 == 0:
            time.sleep(0.001)
    b.sendall(b"".join(b_msgs))
    for off in range(first, len(stream), 37):
        a.sendall(stream[off:off + 37])
    a.close()
    b.close()

    # Not IPFIX: version 9 in the header; the daemon closes it.
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall(xflow.nf9([xflow.template_set(260, xflow.NF9_FIELDS, False)]))
    assert c.recv(16) == b""  # closed by the daemon, within the timeout
    c.close()

    def all_flows():
        try:
            return len(xflow.read_json_flows(out)) >= 25
        except OSError:
            return False
    xflow.wait_for(all_flows, 10 * xflow.timeout_scale(), "25 flows")
    r = d.stop()
    r.assert_clean_exit()
    flows = [xflow.norm_flow(f) for f in xflow.read_json_flows(out)]
    got = [(f["type"], f["sampler_address"]) + xflow.flow_key(f)
           for f in flows]
    want = [("IPFIX", "127.0.0.1") + x.key() for x in a_recs] + \
        [("IPFIX", "127.0.0.2") + x.key() for x in b_recs]
    diff = xflow.multiset_diff(want, got)
    assert not diff, diff
    st = r.stats
    assert st.exporter("127.0.0.1")["packets"] == 21, st.lines
    assert st.exporter("127.0.0.2")["packets"] == 6, st.lines
    assert st.rx["packets"] == 27 and st.rx["errors"] == 1, st.lines


def test_tcp_listener_options(tmp_path):
    r = xflow.run_xdpflowd(["-l", "tcp://127.0.0.1:4739?count=2", "--file",
                            tmp_path / "f"])
    assert r.rc == 2
    assert "count is for UDP listeners (tcp:// has one socket)" in r.stderr
    pcap = tmp_path / "x.pcap"
    xflow.write_udp_pcap(pcap, [])
    r = xflow.run_xdpflowd(["-l", "tcp://127.0.0.1:4739", "--pcap", pcap,
                            "--file", tmp_path / "f"])
    assert r.rc == 2
    assert r.stderr == "xdpflow: error: a tcp:// listener has no effect " \
        "with --pcap (a capture is read for UDP only)\n"


def test_tcp_connections_use_keepalive(daemon, tmp_path):
    """An exporter that vanishes without closing (reboot, cut link) must
    not hold its connection slot for ever: the daemon's side of every
    connection runs TCP keepalive (60 s idle, 4 probes 15 s apart), which
    ss shows as a keepalive timer. A quiet live exporter is never cut."""
    port = free_tcp_port()
    d = daemon(["-l", f"tcp://127.0.0.1:{port}", "--format", "json",
                "--file", tmp_path / "flows.json"])
    wait_tcp(port, d)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        msgs, _ = messages("198.18.23", 1, 302)
        s.sendall(b"".join(msgs))

        def timer():
            r = subprocess.run(["ss", "-tnoH", "state", "established",
                                f"( sport = :{port} )"],
                               capture_output=True, text=True, timeout=10)
            m = re.search(r"timer:\(keepalive,(\d+(?:\.\d+)?)(m?s|min|sec)?",
                          r.stdout)
            return (m, r.stdout) if m else None
        m, text = xflow.wait_for(timer, 10 * xflow.timeout_scale(),
                                 "a keepalive timer on the daemon's side")
        assert d.alive()
    d.stop().assert_clean_exit()
    assert text.count("\n") <= 1, text  # only the daemon's side matched
