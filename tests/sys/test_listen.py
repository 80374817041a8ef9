# SPDX-License-Identifier: Apache-2.0
"""Live UDP listeners on loopback: IPv4 and IPv6 ([::1]) sockets for
netflow:// and sflow://, the exporter address taken from the UDP source,
and --allow-exporter dropping (counted as not_allowed, no flows) every
source outside the allowed prefixes while accepting those inside."""

import xflow


def nf9_datagram(src_prefix: str, n: int = 3):
    recs = [xflow.Rec(f"{src_prefix}.{i + 1}", "198.19.0.1", 2000 + i, 53,
                      17, 100 + i, 1 + i, 1699999990000, 1699999999000)
            for i in range(n)]
    return xflow.nf9([xflow.template_set(260, xflow.NF9_FIELDS, False),
                      xflow.data_set(260, recs, False)]), recs


def sflow_datagram(agent: str, src: str):
    frame = xflow.sampled_udp_frame(src, "2001:2::53" if ":" in src
                                    else "198.19.0.53", 3000, 53, 200)
    return xflow.sflow([xflow.sflow_flow_sample(frame, frame_len=250)],
                       agent=agent)


def test_ipv4_and_ipv6_listeners(daemon, tmp_path):
    p4, p6, s4, s6 = (xflow.free_udp_port() for _ in range(4))
    out = tmp_path / "flows.json"
    d = daemon(["-l", f"netflow://127.0.0.1:{p4},netflow://[::1]:{p6},"
                f"sflow://127.0.0.1:{s4},sflow://[::1]:{s6}",
                "--format", "json", "--file", out], ports=[p4, p6, s4, s6])
    dg4, recs4 = nf9_datagram("198.18.4")
    dg6, recs6 = nf9_datagram("198.18.6")
    xflow.send_udp([dg4], p4, dst="127.0.0.1")
    xflow.send_udp([dg6], p6, dst="::1")
    xflow.send_udp([sflow_datagram("198.18.0.40", "198.18.40.1")], s4,
                   dst="127.0.0.1")
    xflow.send_udp([sflow_datagram("2001:2::60", "2001:2::61")], s6,
                   dst="::1")
    d.wait_drained([p4, p6, s4, s6])
    r = d.stop()
    r.assert_clean_exit()
    flows = [xflow.norm_flow(f) for f in xflow.read_json_flows(out)]
    got = [(f["type"], f["sampler_address"]) + xflow.flow_key(f)
           for f in flows]
    want = [("NETFLOW_V9", "127.0.0.1") + x.key() for x in recs4] + \
        [("NETFLOW_V9", "::1") + x.key() for x in recs6] + \
        [("SFLOW_5", "198.18.0.40", "198.18.40.1", "198.19.0.53", 3000, 53,
          17, 250, 1),
         ("SFLOW_5", "2001:2::60", "2001:2::61", "2001:2::53", 3000, 53, 17,
          250, 1)]
    diff = xflow.multiset_diff(want, got)
    assert not diff, diff
    st = r.stats
    assert st.exporter("127.0.0.1")["packets"] == 2, st.lines
    assert st.exporter("::1")["packets"] == 2, st.lines
    assert st.rx["packets"] == 4, st.lines


def test_allow_exporter_drops_and_allows(daemon, tmp_path):
    port = xflow.free_udp_port()
    out = tmp_path / "flows.json"
    # 127.0.0.2 is allowed; 127.0.0.1 and ::1 are not.
    d = daemon(["-l", f"netflow://127.0.0.1:{port},netflow://[::1]:{port}",
                "--allow-exporter", "127.0.0.2/32",
                "--allow-exporter", "2001:2::/48",
                "--format", "json", "--file", out], ports=[port])
    good, good_recs = nf9_datagram("198.18.2")
    bad, _ = nf9_datagram("198.18.1")
    xflow.send_udp([bad] * 3, port, dst="127.0.0.1", src="127.0.0.1")
    xflow.send_udp([bad] * 2, port, dst="::1", src="::1")
    xflow.send_udp([good] * 2, port, dst="127.0.0.1", src="127.0.0.2")
    d.wait_drained([port])
    r = d.stop()
    r.assert_clean_exit()
    flows = [xflow.norm_flow(f) for f in xflow.read_json_flows(out)]
    assert {f["sampler_address"] for f in flows} == {"127.0.0.2"}, \
        "flows from a source outside --allow-exporter came out"
    diff = xflow.multiset_diff([x.key() for x in good_recs] * 2,
                               [xflow.flow_key(f) for f in flows])
    assert not diff, diff
    st = r.stats
    assert st.rx["not_allowed"] == 5, st.lines
    assert st.exporter("127.0.0.2")["packets"] == 2, st.lines
    for addr in ("127.0.0.1", "::1"):
        assert st.exporter(addr)["flows"] == 0, st.lines


def test_allow_exporter_ipv6_prefix(daemon, tmp_path):
    port = xflow.free_udp_port()
    out = tmp_path / "flows.json"
    d = daemon(["-l", f"netflow://[::1]:{port}", "--allow-exporter",
                "::1/128", "--format", "json", "--file", out], ports=[port])
    dg, recs = nf9_datagram("198.18.7")
    xflow.send_udp([dg], port, dst="::1")
    d.wait_drained([port])
    r = d.stop()
    r.assert_clean_exit()
    flows = [xflow.norm_flow(f) for f in xflow.read_json_flows(out)]
    assert not xflow.multiset_diff([x.key() for x in recs],
                                   [xflow.flow_key(f) for f in flows])
    assert r.stats.rx["not_allowed"] == 0, r.stats.lines
