# SPDX-License-Identifier: Apache-2.0
"""Conformance against real exporter captures in ../shared/corpus.

Telegraf's test cases (raw datagrams + Telegraf's decode) go through
`xdpflowd --pcap` as datagrams from 127.0.0.1 to the default ports; every
flow record Telegraf decoded must come out once, with the same addresses,
ports, protocol, bytes and packets, and nothing else may (options data and
counter samples are not flows). The same captures are cross-checked against
tshark's dissectors, timestamps included. tcpdump's sFlow captures must
decode without a counted error and give one flow per flow sample tcpdump
shows; the one that crashed tcpdump must be rejected cleanly.
"""

import re

import pytest

import xflow


def _telegraf_cases():
    d = xflow.CORPUS / "telegraf"
    cases = sorted(p.name for p in d.iterdir()
                   if (p / "expected.out").is_file()) if d.is_dir() else []
    return cases or ["corpus-missing"]


TELEGRAF_CASES = _telegraf_cases()
TCPDUMP_PCAPS = ["sflow-print-v6", "sflow_expanded",
                 "sflow_multiple_counter_30_pdus", "sflow_print-segv"]


def is_sflow_case(case: str) -> bool:
    return case.startswith("sflow")


@pytest.fixture(scope="module")
def telegraf_run(corpus, xdpflowd, tmp_path_factory):
    """decoded(case) -> (pcap, Result, normalised flows), run once a case."""
    cache = {}
    tmp = tmp_path_factory.mktemp("telegraf")

    def decoded(case):
        if case not in cache:
            folder = corpus / "telegraf" / case
            port = xflow.SFLOW_PORT if is_sflow_case(case) else \
                xflow.NETFLOW_PORT
            bins = sorted(folder.glob("*.bin"))
            assert bins, f"no datagrams in {folder}"
            pcap = xflow.write_udp_pcap(
                tmp / f"{case}.pcap",
                [xflow.Datagram(b.read_bytes(), port) for b in bins])
            r = xflow.run_pcap(pcap, tmp)
            r.assert_clean_exit()
            cache[case] = (pcap, r, [xflow.norm_flow(f) for f in r.flows()],
                           len(bins))
        return cache[case]
    return decoded


def compare_with_telegraf(expected, flows) -> str:
    """'' when flows equal Telegraf's flow records as a multiset on type,
    exporter (sampler_address), addresses, ports, protocol, bytes, packets."""
    want = [(e.type, e.sampler) + e.key for e in expected]
    got = [(f["type"], f["sampler_address"]) + xflow.flow_key(f)
           for f in flows]
    return xflow.multiset_diff(want, got)


@pytest.mark.parametrize("case", TELEGRAF_CASES)
def test_telegraf_flows(case, corpus, telegraf_run):
    expected, non_flow = xflow.telegraf_expected(
        corpus / "telegraf" / case / "expected.out")
    _pcap, r, flows, n_bins = telegraf_run(case)
    diff = compare_with_telegraf(expected, flows)
    assert not diff, f"{case}: flows differ from Telegraf's decode " \
        f"(type, sampler, src, dst, sport, dport, proto, bytes, packets):\n" \
        f"{diff}"
    if not expected:
        assert non_flow > 0 and flows == [], \
            f"{case}: only options/counter data, yet flows came out"
    st = r.stats.exporter("127.0.0.1")
    assert st["packets"] == n_bins, f"{case}: stats {st}"
    assert st["flows"] == len(flows), f"{case}: stats {st}"


# Cases whose datagrams break the spec (their flows must still decode, and
# the breakage must be counted): tshark flags the same faults.
MALFORMED_CASES = {
    "issue_14370": "IPFIX length 290 but 292 bytes of sets; zero-length "
                   "flowStartSeconds/flowEndSeconds (IE 150/151)",
}


@pytest.mark.parametrize("case", TELEGRAF_CASES)
def test_telegraf_no_decode_error(case, telegraf_run):
    _pcap, r, _flows, _n = telegraf_run(case)
    st = r.stats.exporter("127.0.0.1")
    errs = {k: v for k, v in st.items() if k.startswith("error_") and v}
    if case in MALFORMED_CASES:
        assert errs, f"{case}: malformed ({MALFORMED_CASES[case]}) but no " \
            f"error counted\n{r.describe()}"
        return
    assert not errs, f"{case}: a real exporter's capture counted decode " \
        f"errors {errs}\n{r.describe()}"


@pytest.mark.parametrize("case", TELEGRAF_CASES)
def test_telegraf_matches_tshark(case, telegraf_run):
    pcap, _r, flows, _n = telegraf_run(case)
    if is_sflow_case(case):
        recs = xflow.tshark_sflow(pcap, xflow.SFLOW_PORT)
        diff = xflow.multiset_diff(
            [(t["agent"],) + xflow.tshark_key(t) for t in recs],
            [(f["sampler_address"],) + xflow.flow_key(f) for f in flows])
    else:
        recs = xflow.biflow_split(xflow.tshark_cflow(pcap,
                                                     xflow.NETFLOW_PORT))
        diff = xflow.compare_cflow(recs, flows)
    assert not diff, f"{case}: flows differ from tshark's decode\n{diff}"


def tcpdump_flow_samples(out_text: str) -> int:
    """Flow samples (plain and expanded) in tcpdump -v sFlow output."""
    return len(re.findall(r"^\s*(?:expanded )?flow sample \(", out_text,
                          re.MULTILINE))


@pytest.mark.parametrize("name", TCPDUMP_PCAPS)
def test_tcpdump_sflow(name, corpus, xdpflowd, tmp_path):
    pcap = corpus / "tcpdump" / f"{name}.pcap"
    r = xflow.run_pcap(pcap, tmp_path)
    r.assert_clean_exit()
    flows = [xflow.norm_flow(f) for f in r.flows()]
    st = r.stats
    assert st.total("packets") > 0, f"no datagram decoded\n{r.describe()}"
    if name == "sflow_print-segv":
        assert flows == [], "a malformed datagram produced flows"
        assert st.errors() > 0, \
            f"malformed datagram not counted as an error: {st.exporters}"
        return
    out = (corpus / "tcpdump" / f"{name}.out").read_text()
    # Datagrams tcpdump itself rejects as not sFlow v5 ("sFlow version
    # 327681 packet not supported") must be counted as unknown versions;
    # nothing else may count an error.
    not_v5 = len(re.findall(r"sFlow version \d+ packet not supported", out))
    unknown = sum(t["error_unknown_version"] for t in st.exporters.values())
    assert unknown == not_v5, \
        f"{unknown} datagrams counted error_unknown_version, tcpdump " \
        f"rejects {not_v5} as not sFlow v5: {st.exporters}"
    assert st.errors() == unknown, f"decode errors counted: {st.exporters}"
    want = tcpdump_flow_samples(out)
    assert len(flows) == want, \
        f"{len(flows)} flows, tcpdump shows {want} flow samples"
    recs = xflow.tshark_sflow(pcap, xflow.SFLOW_PORT)
    diff = xflow.multiset_diff(
        [(t["agent"],) + xflow.tshark_key(t) for t in recs],
        [(f["sampler_address"],) + xflow.flow_key(f) for f in flows])
    assert not diff, f"flows differ from tshark's decode\n{diff}"
    assert all(f["type"] == "SFLOW_5" for f in flows)
