# SPDX-License-Identifier: Apache-2.0
"""Hostile input: truncated copies of every corpus datagram, random garbage
(bare and behind valid-looking headers) and absurd length and count fields.
The daemon (the ASan+UBSan build when XDPFLOW_BUILD=build/asan) must never
crash, hang or report a sanitizer error, must exit 0 after --pcap, and must
count the errors per exporter; a datagram whose later set or sample is bad
still yields the flows of the good part before it."""

import ipaddress
import random
import struct

import pytest

import xflow


def exporter(n: int) -> str:
    """A distinct exporter address for case n (198.18.0.0/15)."""
    return str(ipaddress.IPv4Address("198.18.0.0") + 1 + n)


def truncation_offsets(length: int) -> list[int]:
    """Every offset in the first 64 bytes, then about 40 spread to the end."""
    offs = set(range(0, min(length, 64)))
    step = max(1, length // 40)
    offs.update(range(64, length, step))
    offs.discard(length)
    return sorted(offs)


def corpus_datagrams(corpus):
    """[(case name, port, [payloads in order])] of every corpus capture."""
    out = []
    for case in sorted((corpus / "telegraf").iterdir()):
        bins = sorted(case.glob("*.bin"))
        if bins:
            port = xflow.SFLOW_PORT if case.name.startswith("sflow") else \
                xflow.NETFLOW_PORT
            out.append((case.name, port, [b.read_bytes() for b in bins]))
    for pcap in sorted((corpus / "tcpdump").glob("*.pcap")):
        pkts = xflow.read_pcap_udp(pcap)[:12]
        out.append((pcap.stem, xflow.SFLOW_PORT, [p.payload for p in pkts]))
    return out


def test_truncated_corpus_datagrams(corpus, xdpflowd, tmp_path):
    dgrams, cases = [], []
    for n, (name, port, payloads) in enumerate(corpus_datagrams(corpus)):
        src = exporter(n)
        cases.append((name, src))
        # Whole datagrams first, so templates are known when truncated data
        # sets arrive; then every truncation.
        dgrams += [xflow.Datagram(p, port, src=src) for p in payloads]
        for p in payloads:
            dgrams += [xflow.Datagram(p[:o], port, src=src)
                       for o in truncation_offsets(len(p))]
    pcap = xflow.write_udp_pcap(tmp_path / "truncated.pcap", dgrams)
    r = xflow.run_pcap(pcap, tmp_path)
    r.assert_clean_exit()
    r.flows()  # every output line is a JSON object
    st = r.stats
    quiet = [name for name, src in cases if st.errors(src) == 0]
    assert not quiet, f"truncated datagrams counted no error for {quiet}:" \
        f"\n" + "\n".join(st.lines[:40])


def garbage_datagrams(seed: int = 20240601, n: int = 600):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        body = rnd.randbytes(rnd.choice([0, 1, 3, 7, 15, 23, 27, 40, 100,
                                         300, 1400, rnd.randrange(1500)]))
        kind = i % 6
        if kind == 1:
            body = struct.pack("!HH", 5, rnd.randrange(65536)) + body
        elif kind == 2:
            body = struct.pack("!HH", 9, rnd.randrange(65536)) + body
        elif kind == 3:
            body = struct.pack("!HH", 10, 4 + len(body)) + body
        elif kind == 4:
            body = struct.pack("!II", 5, rnd.choice([1, 2, 0, 3,
                                                     0xFFFFFFFF])) + body
        elif kind == 5:  # valid v9/IPFIX header, random sets
            body = xflow.nf9([]) + body if rnd.random() < 0.5 else \
                xflow.ipfix([body[:200]])
        port = xflow.SFLOW_PORT if kind == 4 or (kind == 0 and i % 12) \
            else xflow.NETFLOW_PORT
        out.append(xflow.Datagram(body, port, src=exporter(i % 7)))
    return out


def test_random_garbage(xdpflowd, tmp_path):
    pcap = xflow.write_udp_pcap(tmp_path / "garbage.pcap",
                                garbage_datagrams())
    r = xflow.run_pcap(pcap, tmp_path)
    r.assert_clean_exit()
    r.flows()
    st = r.stats
    assert st.errors() > 0, st.lines
    assert st.total("packets") > 0, st.lines


def _v9_template(tid, fields):
    body = struct.pack("!HH", tid, len(fields)) + b"".join(
        struct.pack("!HH", ie, ln) for ie, ln in fields)
    return struct.pack("!HH", 0, 4 + len(body)) + body


REC = xflow.Rec("198.18.100.1", "198.18.100.2", 1000, 80, 6, 1234, 5,
                1699999990000, 1699999991000)
FRAME = xflow.sampled_udp_frame("198.18.50.1", "198.18.50.2", 7, 9, 300)


def absurd_cases():
    """(name, port, payload): each must count at least one error."""
    t9 = xflow.template_set(256, xflow.NF9_FIELDS, False)
    ti = xflow.template_set(256, xflow.IPFIX_FIELDS, True)
    sample = xflow.sflow_flow_sample(FRAME, frame_len=342)
    nf, sf = xflow.NETFLOW_PORT, xflow.SFLOW_PORT
    return [
        ("v5 count 30, one record", nf, xflow.nf5([REC], count=30)),
        ("v5 count 65535, no record", nf, xflow.nf5([], count=65535)),
        ("v9 flowset length 0", nf,
         xflow.nf9([t9, struct.pack("!HH", 256, 0) + b"\0" * 40])),
        ("v9 flowset length 2", nf, xflow.nf9([struct.pack("!HH", 0, 2)])),
        ("v9 flowset length past end", nf,
         xflow.nf9([struct.pack("!HH", 256, 65535) + b"\0" * 60])),
        ("v9 template field count 65535", nf,
         xflow.nf9([struct.pack("!HHHH", 0, 16, 300, 65535) +
                    struct.pack("!HHHH", 1, 4, 2, 4)])),
        ("v9 template id 5", nf, xflow.nf9([_v9_template(5, [(1, 4)])])),
        ("ipfix length 0", nf, xflow.ipfix([ti], length=0)),
        ("ipfix length 15", nf, xflow.ipfix([ti], length=15)),
        ("ipfix length 65535", nf, xflow.ipfix([ti], length=65535)),
        ("ipfix set length 0", nf,
         xflow.ipfix([ti, struct.pack("!HH", 256, 0) + b"\0" * 40])),
        ("ipfix set length 3", nf,
         xflow.ipfix([struct.pack("!HH", 256, 3) + b"\0" * 8])),
        ("ipfix varlen 0xffff past end", nf,
         xflow.ipfix([xflow.template_set(257, [(82, 65535)], True),
                      struct.pack("!HHBH", 257, 16, 255, 65535) +
                      b"x" * 11])),
        ("sflow sample count 2^32-1", sf,
         xflow.sflow([sample], count=0xFFFFFFFF)),
        ("sflow sample length 2^32-1", sf,
         xflow.sflow([struct.pack("!II", 1, 0xFFFFFFFF) + sample[8:]])),
        ("sflow record length 2^32-16", sf,
         xflow.sflow([sample[:44] + struct.pack("!I", 0xFFFFFFF0) +
                      sample[48:]])),
        ("sflow header length > record", sf,
         xflow.sflow([sample[:60] + struct.pack("!I", 0x7FFFFFFF) +
                      sample[64:]])),
        ("sflow agent address type 7", sf,
         struct.pack("!II", 5, 7) + b"\0" * 40),
        ("sflow IPv6 agent cut short", sf, struct.pack("!II", 5, 2) +
         b"\x20\x01\0\x02"),
        ("sflow version 5 header only", sf, struct.pack("!I", 5)),
    ]


def test_absurd_lengths_and_counts(xdpflowd, tmp_path):
    cases = absurd_cases()
    # Sanity of the crafted sample: the raw header record starts where the
    # offsets above assume: format 1 at 40, its length at 44, the sampled
    # header's length at 60 (after the 8+32 byte sample headers).
    sample = xflow.sflow_flow_sample(FRAME)
    assert struct.unpack_from("!II", sample, 40) == (1, len(sample) - 48)
    assert struct.unpack_from("!I", sample, 60)[0] == len(FRAME)
    dgrams = [xflow.Datagram(p, port, src=exporter(100 + i))
              for i, (_n, port, p) in enumerate(cases)]
    pcap = xflow.write_udp_pcap(tmp_path / "absurd.pcap", dgrams)
    r = xflow.run_pcap(pcap, tmp_path)
    r.assert_clean_exit()
    r.flows()
    st = r.stats
    quiet = [name for i, (name, _p, _d) in enumerate(cases)
             if st.errors(exporter(100 + i)) == 0]
    assert not quiet, f"no error counted for: {quiet}\n" + \
        "\n".join(st.lines)


def second_part_bad_cases():
    """(name, port, payload, flows of the good first part)."""
    recs = [REC, xflow.Rec("198.18.100.3", "198.18.100.4", 1001, 81, 17, 99,
                           1, 1699999990000, 1699999992000)]
    t9 = xflow.template_set(256, xflow.NF9_FIELDS, False)
    ti = xflow.template_set(256, xflow.IPFIX_FIELDS, True)
    keys = [x.key() for x in recs]
    s1 = xflow.sflow_flow_sample(FRAME, frame_len=342)
    s_key = ("198.18.50.1", "198.18.50.2", 7, 9, 17, 342, 1)
    nf, sf = xflow.NETFLOW_PORT, xflow.SFLOW_PORT
    return [
        ("v9: third flowset runs past the end", nf,
         xflow.nf9([t9, xflow.data_set(256, recs, False),
                    struct.pack("!HH", 256, 4000) + b"\0" * 20]), keys),
        ("v9: third flowset length 2", nf,
         xflow.nf9([t9, xflow.data_set(256, recs, False),
                    struct.pack("!HH", 256, 2)]), keys),
        ("ipfix: third set length 3", nf,
         xflow.ipfix([ti, xflow.data_set(256, recs, True),
                      struct.pack("!HH", 256, 3) + b"\0"]), keys),
        ("ipfix: third set a truncated template", nf,
         xflow.ipfix([ti, xflow.data_set(256, recs, True),
                      struct.pack("!HHHH", 2, 12, 400, 50) + b"\0\1\0\4"]),
         keys),
        ("sflow: second sample runs past the end", sf,
         xflow.sflow([s1, struct.pack("!II", 1, 5000) + s1[8:60]]),
         [s_key]),
        ("sflow: third sample's record length absurd", sf,
         xflow.sflow([s1, s1, s1[:44] + struct.pack("!I", 0xFFFFFF00) +
                      s1[48:]]), [s_key, s_key]),
    ]


@pytest.mark.parametrize("case", range(len(second_part_bad_cases())),
                         ids=[c[0] for c in second_part_bad_cases()])
def test_bad_second_part_keeps_first(case, xdpflowd, tmp_path):
    name, port, payload, keys = second_part_bad_cases()[case]
    src = exporter(200 + case)
    pcap = xflow.write_udp_pcap(tmp_path / "second.pcap",
                                [xflow.Datagram(payload, port, src=src)])
    r = xflow.run_pcap(pcap, tmp_path)
    r.assert_clean_exit()
    flows = [xflow.norm_flow(f) for f in r.flows()]
    diff = xflow.multiset_diff(keys, [xflow.flow_key(f) for f in flows])
    assert not diff, f"{name}: the good part's flows:\n{diff}\n" \
        f"{r.describe()}"
    assert r.stats.errors(src) > 0, f"{name}: bad part not counted\n" + \
        "\n".join(r.stats.lines)


def test_live_garbage_then_valid(daemon, tmp_path):
    port = xflow.free_udp_port()
    out = tmp_path / "flows.json"
    d = daemon(["-l", f"flow://127.0.0.1:{port}", "--format", "json",
                "--file", out], ports=[port])
    xflow.send_udp([g.payload for g in garbage_datagrams(n=200)], port)
    xflow.send_udp([xflow.nf5([REC])], port)
    d.wait_drained([port])
    assert d.alive(), "xdpflowd died on garbage:\n" + d.stderr()[-3000:]
    r = d.stop()
    r.assert_clean_exit()
    flows = [xflow.norm_flow(f) for f in xflow.read_json_flows(out)]
    assert REC.key() in [xflow.flow_key(f) for f in flows]
    assert r.stats.errors("127.0.0.1") > 0, r.stats.lines
