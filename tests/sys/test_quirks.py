# SPDX-License-Identifier: Apache-2.0
"""Exporters' quirks at the edges of the formats (quirk_cases.py, also the
fuzz seeds) through `xdpflowd --pcap`: fields of length 0 and 0xFFFF,
padding, scope-only options templates, enterprise fields, template
withdrawal and reuse, odd sFlow lengths and unknown formats. One run over
all cases, each from its own exporter address: a clean exit (no sanitizer
report), the flows each case must give, and the counters it must move."""

import pytest

import quirk_cases
import xflow


@pytest.fixture(scope="module")
def run(xdpflowd, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quirks")
    dgs = [xflow.Datagram(p, c.port, src=c.src)
           for c in quirk_cases.CASES.values() for p in c.datagrams]
    pcap = xflow.write_udp_pcap(tmp / "quirks.pcap", dgs)
    r = xflow.run_pcap(pcap, tmp)
    r.assert_clean_exit()
    by = {}
    for f in r.flows():
        by.setdefault(f["sampler_address"], []).append(f)
    return r, by


@pytest.mark.parametrize("name", sorted(quirk_cases.CASES))
def test_quirk(run, name):
    r, by = run
    c = quirk_cases.CASES[name]
    st = r.stats.exporter(c.src)
    lines = "\n".join(r.stats.lines)
    assert st["packets"] == len(c.datagrams), lines
    assert len(by.get(c.src, [])) == c.flows, lines
    assert st["flows"] == c.flows, lines
    for k, v in c.counters.items():
        assert st[k] == v, f"{k}: {st[k]} != {v}\n{lines}"
    expected_errors = {k: v for k, v in c.counters.items()
                       if k.startswith("error_")}
    errors = {k: v for k, v in st.items() if k.startswith("error_") and v}
    assert errors == expected_errors, lines
