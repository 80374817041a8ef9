# SPDX-License-Identifier: Apache-2.0
"""xdpflowd's command line and lifecycle: bad input exits 2 with one line
on stderr, --help documents every long option, SIGTERM flushes what was
received and prints the stats lines, protobuf output decodes (protoc-generated
module) and says the same as the JSON output, and with no arguments it
listens on the default ports and writes JSON to stdout."""

import os
import re
import shutil
import socket
import subprocess
import time

import pytest

import xflow

BAD_COMMAND_LINES = [
    ["--no-such-option"],
    ["-l", "bogus://127.0.0.1:2055"],
    ["-l", "netflow://127.0.0.1:99999"],
    ["-l", "netflow://[::1:2055"],
    ["-l", "netflow://300.1.1.1:2055"],
    ["--allow-exporter", "198.18.0.0/33"],
    ["--allow-exporter", "not-a-cidr"],
    ["--allow-exporter", "2001:2::/129"],
    ["--workers", "0"],
    ["--workers", "many"],
    ["--format", "xml"],
    ["--file"],
    ["--templates-file"],
    ["--pcap"],
    ["-l"],
]

# Options the issue documents; --help must mention them whatever the source.
DOCUMENTED_OPTIONS = ["--listen", "--pcap", "--format", "--file",
                      "--allow-exporter", "--templates-file", "--workers",
                      "--help"]


@pytest.mark.parametrize("args", BAD_COMMAND_LINES,
                         ids=[" ".join(a) for a in BAD_COMMAND_LINES])
def test_bad_command_line(args, xdpflowd):
    r = xflow.run_xdpflowd(args, timeout=10)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.rc == 2, f"{args}: {r.describe()}"
    assert len(lines) == 1, f"{args}: want one line on stderr, got " \
        f"{len(lines)}:\n{r.stderr}"
    assert r.stdout == "", f"{args}: wrote to stdout: {r.stdout[:300]!r}"


# An option that would do nothing in the mode chosen is a usage error whose
# one line says how to fix the command (xdpflowd and xdpflow-mock alike):
# without -o kafka, --kafka-* used to leave JSON going to stdout.
NO_EFFECT = [
    (["--kafka-brokers", "198.18.0.1:9092", "--kafka-topic", "t"],
     "add -o kafka"),
    (["--kafka-batch", "64"], "add -o kafka"),
    (["-X", "acks=1"], "add -o kafka"),
    (["-o", "kafka", "--file", "flows.json"], "--file has no effect"),
    (["--schema", "goflow-v3"], "add --format pb"),
]
DAEMON_NO_EFFECT = [
    (["--pcap", "x.pcap", "--workers", "2"], "no effect with --pcap"),
    (["--pcap", "x.pcap", "--xdp", "lo"], "no effect with --pcap"),
    (["--xdp-mode", "skb"], "add --xdp"),
    (["--xdp-zerocopy", "on"], "add --xdp"),
    (["--tls-cert", "c.pem", "--tls-key", "k.pem"],
     "add -l tls://ADDR:PORT"),
    (["-l", "tcp://127.0.0.1:4739", "--tls-ca", "ca.pem"],
     "add -l tls://ADDR:PORT"),
    (["-l", "tls://127.0.0.1:4740"], "needs --tls-cert and --tls-key"),
    (["-l", "tls://127.0.0.1:4740", "--tls-cert", "c.pem"],
     "needs --tls-cert and --tls-key"),
    (["--pcap", "x.pcap", "-l", "tls://127.0.0.1:4740"],
     "no effect with --pcap"),
]


@pytest.mark.parametrize(
    "prog,args,needle",
    [(p, a, n) for p in ("xdpflowd", "xdpflow-mock") for a, n in NO_EFFECT] +
    [("xdpflowd", a, n) for a, n in DAEMON_NO_EFFECT],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_option_without_effect_refused(prog, args, needle, xdpflowd,
                                       tmp_path):
    r = subprocess.run([str(xflow.binary(prog)), *args], cwd=tmp_path,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=10)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2, f"{prog} {args}: rc {r.returncode}\n{r.stderr}"
    assert len(lines) == 1 and needle in lines[0], f"{prog} {args}: {lines}"
    assert r.stdout == "", f"{prog} {args}: wrote {r.stdout[:200]!r}"
    assert not list(tmp_path.iterdir()), f"{prog} {args}: wrote a file"


def test_version_one_string_for_all(xdpflowd):
    """--version: the three programs print the one generated version, and
    the same words mean the same log level for all of them."""
    header = (xflow.build_dir() / "gen" / "version.h").read_text()
    want = re.search(r'#define XDPFLOW_VERSION "([^"]+)"', header).group(1)
    for prog in ("xdpflowd", "xdpflow-mock", "xdpflow-insert", "xdpflow-enrich"):
        r = subprocess.run([str(xflow.binary(prog)), "--log-level", "err",
                            "--version"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 0, f"{prog}: {r.stderr}"
        assert r.stdout == f"{prog} {want}\n", r.stdout
        assert r.stderr == "", r.stderr


def test_gen_version_outside_git(tmp_path):
    """Out of a git checkout (a tarball) the version is the VERSION file's,
    and an unchanged version leaves the header alone (nothing rebuilds)."""
    top = tmp_path / "xdpflow-src"
    (top / "scripts" / "gen").mkdir(parents=True)
    shutil.copy(xflow.REPO / "scripts" / "gen" / "gen-version.sh",
                top / "scripts" / "gen")
    shutil.copy(xflow.REPO / "VERSION", top / "VERSION")
    out = tmp_path / "gen" / "version.h"
    gen = [str(top / "scripts" / "gen" / "gen-version.sh"), str(out)]
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(tmp_path))
    subprocess.run(gen, check=True, env=env, timeout=30)
    want = (xflow.REPO / "VERSION").read_text().strip()
    assert f'#define XDPFLOW_VERSION "{want}"' in out.read_text()
    os.utime(out, (1000000000, 1000000000))
    subprocess.run(gen, check=True, env=env, timeout=30)
    assert out.stat().st_mtime == 1000000000, "unchanged header rewritten"
    (top / "VERSION").write_text("9.9.9\n")
    subprocess.run(gen, check=True, env=env, timeout=30)
    assert '"9.9.9"' in out.read_text()
    assert out.stat().st_mtime != 1000000000


def long_options_in_source() -> set:
    """Long option names declared by the daemon's option tables (its own,
    the output options and the rows every program shares)."""
    names = set()
    files = list((xflow.REPO / "user" / "daemon").rglob("*.c")) + \
        [xflow.REPO / "user" / "cmd" / "xdpflowd.c",
         xflow.REPO / "user" / "publish" / "publish_opts.c",  # -o, --kafka-*
         xflow.REPO / "user" / "common" / "cli.c"]  # --log-level, --help, --version
    pat = re.compile(r'\{\s*"([a-z][a-z0-9-]+)"\s*,\s*'
                     r"(?:'.'|0|no_argument|required_argument|"
                     r"optional_argument)\s*,")
    for f in files:
        if f.is_file():
            names.update(pat.findall(f.read_text(errors="replace")))
    return names


def test_help_documents_every_option(xdpflowd):
    r = xflow.run_xdpflowd(["--help"], timeout=10)
    assert r.rc == 0, r.describe()
    text = r.stdout + r.stderr
    opts = {f"--{n}" for n in long_options_in_source()} | \
        set(DOCUMENTED_OPTIONS)
    missing = sorted(o for o in opts
                     if not re.search(re.escape(o) + r"\b", text))
    assert not missing, f"--help does not mention {missing}:\n{text}"


def v5_datagrams(n_dgrams: int, per: int, first_octet: int = 198):
    """n_dgrams NetFlow v5 datagrams of `per` distinct records each."""
    out, recs = [], []
    for d in range(n_dgrams):
        batch = [xflow.Rec(f"{first_octet}.18.{d}.{i + 1}", "198.19.0.1",
                           1024 + i, 443, 6, 1000 + d * per + i, 1 + i)
                 for i in range(per)]
        recs += batch
        out.append(xflow.nf5(batch, seq=d * per))
    return out, recs


def test_sigterm_flushes_and_reports(daemon, tmp_path):
    port = xflow.free_udp_port()
    out = tmp_path / "flows.json"
    d = daemon(["-l", f"netflow://127.0.0.1:{port}", "--format", "json",
                "--file", out], ports=[port])
    dgrams, recs = v5_datagrams(40, 30)
    xflow.send_udp(dgrams, port)
    d.wait_drained([port])
    r = d.stop()
    r.assert_clean_exit()
    flows = [xflow.norm_flow(f) for f in xflow.read_json_flows(out)]
    diff = xflow.multiset_diff([x.key() for x in recs],
                               [xflow.flow_key(f) for f in flows])
    assert not diff, f"flows received before SIGTERM missing:\n{diff}"
    assert all(f["type"] == "NETFLOW_V5" and
               f["sampler_address"] == "127.0.0.1" for f in flows)
    st = r.stats
    ex = st.exporter("127.0.0.1")
    assert ex["packets"] == 40 and ex["flows"] == 1200, st.lines
    assert st.rx["packets"] == 40, st.lines
    assert st.publish["flows"] == 1200, st.lines
    assert st.errors() == 0, st.lines
    assert any(re.search(r"xdpflow: info: stats exporter=127\.0\.0\.1 .*"
                         r"packets=40 flows=1200", ln) for ln in st.lines), \
        "exporter stats line not in the documented form:\n" + \
        "\n".join(st.lines)


def mixed_datagrams():
    """Datagrams of every protocol with known content, as Datagrams."""
    recs = [xflow.Rec("198.18.0.1", "198.18.1.1", 40000 + i, 80, 6,
                      500 + i, 2 + i, 1699999990000 + i, 1699999995000 + i)
            for i in range(5)]
    nf9 = xflow.nf9([xflow.template_set(256, xflow.NF9_FIELDS, False),
                     xflow.data_set(256, recs, False)])
    ipf = xflow.ipfix([xflow.template_set(300, xflow.IPFIX_FIELDS, True),
                       xflow.data_set(300, recs, True)])
    frame = xflow.sampled_udp_frame("198.18.2.1", "198.18.3.1", 5000, 53,
                                    400)
    sf = xflow.sflow([xflow.sflow_flow_sample(frame, frame_len=442)])
    return [xflow.Datagram(xflow.nf5(recs)), xflow.Datagram(nf9),
            xflow.Datagram(ipf),
            xflow.Datagram(sf, dport=xflow.SFLOW_PORT, src="198.18.0.9")]


def test_pb_output_equals_json(xdpflowd, tmp_path, pbdir):
    dgrams = mixed_datagrams()
    corpus = xflow.CORPUS / "telegraf"
    if corpus.is_dir():  # richer records when the corpus is there
        for case in sorted(corpus.iterdir()):
            port = xflow.SFLOW_PORT if case.name.startswith("sflow") else \
                xflow.NETFLOW_PORT
            dgrams += [xflow.Datagram(b.read_bytes(), port, src="127.0.0.2")
                       for b in sorted(case.glob("*.bin"))]
    pcap = xflow.write_udp_pcap(tmp_path / "mixed.pcap", dgrams)
    rj = xflow.run_pcap(pcap, tmp_path, "json")
    rj.assert_clean_exit()
    rp = xflow.run_pcap(pcap, tmp_path, "pb")
    rp.assert_clean_exit()
    js = [xflow.norm_flow(f) for f in rj.flows()]
    pbs = [xflow.norm_flow(f)
           for f in xflow.read_pb_flows(rp.out_path, pbdir)]
    assert len(js) >= 16, f"only {len(js)} flows decoded"
    fields = sorted(set(pbs[0]) & set().union(*[set(f) for f in js]))
    assert {"type", "src_addr", "bytes", "time_flow_start_ns"} <= \
        set(fields), fields

    def canon(f):
        return tuple((k, tuple(f[k]) if isinstance(f.get(k), list)
                      else f.get(k)) for k in fields)
    diff = xflow.multiset_diff([canon(f) for f in js],
                               [canon(f) for f in pbs])
    assert not diff, f"pb and JSON output differ (fields {fields}):\n{diff}"
    # The generated records come out as built.
    keys = [xflow.flow_key(f) for f in js if f["src_addr"] == "198.18.0.1"]
    assert len(keys) == 15, keys
    sf = [f for f in js if f["type"] == "SFLOW_5"
          and f["sampler_address"] == "198.18.0.1"]
    assert [xflow.flow_key(f) for f in sf] == \
        [("198.18.2.1", "198.18.3.1", 5000, 53, 17, 442, 1)]
    assert sf[0]["sampling_rate"] == 100


def default_ports_busy():
    busy = [p for p in (xflow.NETFLOW_PORT, xflow.SFLOW_PORT)
            if xflow.port_in_use(p)]
    for p in (xflow.NETFLOW_PORT, xflow.SFLOW_PORT):
        for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            with socket.socket(fam, socket.SOCK_DGRAM) as s:
                try:
                    s.bind((addr, p))
                except OSError:
                    if p not in busy:
                        busy.append(p)
    return busy


def test_no_arguments_listens_on_defaults(daemon):
    busy = default_ports_busy()
    if busy:
        pytest.fail(f"cannot test the default listeners: UDP port(s) {busy} "
                    f"already in use on this machine (stop whatever holds "
                    f"them and rerun)")
    d = daemon([], ports=[xflow.NETFLOW_PORT, xflow.SFLOW_PORT])
    dgrams, recs = v5_datagrams(2, 3)
    xflow.send_udp(dgrams, xflow.NETFLOW_PORT)
    frame = xflow.sampled_udp_frame("198.18.2.1", "198.18.3.1", 5000, 53, 100)
    xflow.send_udp([xflow.sflow([xflow.sflow_flow_sample(frame,
                                                         frame_len=142)])],
                   xflow.SFLOW_PORT)
    d.wait_drained([xflow.NETFLOW_PORT, xflow.SFLOW_PORT])
    r = d.stop()
    r.assert_clean_exit()
    flows = [xflow.norm_flow(f) for f in xflow.parse_json_lines(r.stdout)]
    want = [x.key() for x in recs] + \
        [("198.18.2.1", "198.18.3.1", 5000, 53, 17, 142, 1)]
    diff = xflow.multiset_diff(want, [xflow.flow_key(f) for f in flows])
    assert not diff, f"JSON on stdout:\n{diff}"


def undeliverable_pcap(tmp_path):
    dgrams, recs = v5_datagrams(3, 4)
    path = xflow.write_udp_pcap(tmp_path / "nf5.pcap",
                                [xflow.Datagram(p) for p in dgrams])
    return path, len(recs)


def test_pcap_output_not_written_is_exit_1(tmp_path):
    """A capture converted to a file that cannot be written (/dev/full)
    ends with status 1 and says why, not 0 with nothing written."""
    pcap, n = undeliverable_pcap(tmp_path)
    r = xflow.run_xdpflowd(["--pcap", pcap, "--file", "/dev/full",
                            "--format", "json"])
    assert r.rc == 1, r.describe()
    assert "could not deliver all output: No space left on device" \
        in r.stderr, r.stderr[-2000:]
    st = r.stats
    assert st.publish["flows"] == n and st.publish["delivery_errors"] >= 1, \
        r.stderr[-2000:]


def test_pcap_output_undelivered_to_kafka_is_exit_1(tmp_path):
    """Kafka unreachable (a closed loopback port): the final flush gives up
    after its bound, the run ends with status 1 and says how much was
    delivered, and closing drops the rest without waiting again."""
    pcap, n = undeliverable_pcap(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    t0 = time.monotonic()
    r = xflow.run_xdpflowd(["--pcap", pcap, "-o", "kafka", "--kafka-brokers",
                            f"127.0.0.1:{closed}", "--format", "pb"],
                           timeout=60)
    assert r.rc == 1, r.describe()
    assert re.search(r"could not deliver all output within \d+ ms "
                     r"\(0 of \d+ messages delivered\)", r.stderr), \
        r.stderr[-2000:]
    assert r.stats.publish["flows"] == n, r.stderr[-2000:]
    assert "not delivered at exit, dropping them" in r.stderr, \
        r.stderr[-2000:]
    # One bounded wait (5 s), not a second one when the publisher closes.
    assert time.monotonic() - t0 < 9 * xflow.timeout_scale()
