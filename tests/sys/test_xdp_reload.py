# SPDX-License-Identifier: Apache-2.0
"""SIGHUP reloads --allow-exporter-file into the running XDP program's maps
in place, in network namespaces (tests/sys/netns.py): the program id does
not change (no detach), a newly listed exporter is accepted and redirected,
a removed one dies in XDP (dropped_not_allowed rises by exactly what it
sent), and an exporter listed before and after loses nothing while the
list is rewritten under its traffic. Needs root and XDP: fails loudly
otherwise, never skips; every namespace and pin is removed even on
failure."""

import collections
import signal
import threading

import netns
import xflow
from netns import BAD4, C4, C6, E4, E6
from test_xdp import (NF_PORT, _sweep, flows_of, nf9_packets, nsd,  # noqa: F401
                      stop_clean, topo)

STREAM = 300


def test_sighup_reloads_xdp_allow_list_in_place(topo, nsd, tmp_path):
    allow = tmp_path / "allow.txt"
    allow.write_text(f"# before\n{E4}/32\n{E6}/128\n")
    d = nsd(topo, ["--allow-exporter-file", allow])
    prog = topo.xdp_prog_id()
    assert prog != 0

    x0 = netns.parse_xdp_stats(d.report())
    topo.send(nf9_packets(10), E4, C4, NF_PORT, tmp=tmp_path)
    topo.send(nf9_packets(10), BAD4, C4, NF_PORT, tmp=tmp_path)
    err = d.settle(want_packets=10)
    x1 = netns.parse_xdp_stats(err)
    assert x1["dropped_not_allowed"] - x0["dropped_not_allowed"] == 10

    # The list changes under E6's steady traffic: E6 stays listed.
    allow.write_text(f"# after\n{BAD4}\n{E6}/128\n")
    sender = threading.Thread(target=topo.send, kwargs=dict(
        payloads=nf9_packets(STREAM, tid=300), src=E6, dst=C6,
        port=NF_PORT, pace=0.002, tmp=tmp_path))
    sender.start()
    try:
        netns.wait_for(lambda: xflow.parse_stats(d.report()).rx["packets"]
                       >= 10 + STREAM // 4, 20 * xflow.timeout_scale(),
                       "E6's stream under way")
        d.proc.send_signal(signal.SIGHUP)
        netns.wait_for(lambda: f"allow-list reloaded from {allow}: 2 "
                       "prefixes" in d.stderr(), 10 * xflow.timeout_scale(),
                       "the reload")
        reloaded_at = xflow.parse_stats(d.report()).rx["packets"]
    finally:
        sender.join(120)
    assert reloaded_at < 10 + STREAM, "the reload came after the stream"
    assert topo.xdp_prog_id() == prog, "the program was replaced"

    err = d.settle(want_packets=10 + STREAM)
    x2 = netns.parse_xdp_stats(err)
    topo.send(nf9_packets(10), BAD4, C4, NF_PORT, tmp=tmp_path)
    topo.send(nf9_packets(10), E4, C4, NF_PORT, tmp=tmp_path)
    err = d.settle(want_packets=20 + STREAM)
    x3 = netns.parse_xdp_stats(err)
    assert x3["dropped_not_allowed"] - x2["dropped_not_allowed"] == 10
    assert x2["dropped_not_allowed"] == x1["dropped_not_allowed"], \
        "E6 lost packets while the list was rewritten"
    assert x3["redirected"] - x0["redirected"] >= 20 + STREAM
    assert topo.xdp_prog_id() == prog

    stop_clean(d, topo)
    by_exporter = collections.Counter(f["sampler_address"]
                                      for f in flows_of(d))
    assert by_exporter == {E4: 10, E6: STREAM, BAD4: 10}, by_exporter
