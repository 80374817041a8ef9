# SPDX-License-Identifier: Apache-2.0
"""IPFIX over TLS (tls:// listener, RFC 7011 §10.4 and §11), with
certificates the tests make with openssl: an exporter that trusts the
collector's certificate delivers every flow, also in a stream larger than
the listener's buffer (bytes OpenSSL holds are read without a wakeup);
with --tls-ca, an exporter without a certificate, or with one from another
CA, is refused, counted and logged with the reason, while one with a good
certificate delivers; plain IPFIX sent to a tls:// port is refused; a bad
certificate or key stops the start with one clear line."""

import re
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

import xflow
from conftest import require_tool
from test_tcp import free_tcp_port, messages

DAYS = "2"


def openssl(*args, cwd: Path) -> None:
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, f"openssl {args}: {r.stderr[-2000:]}"


def make_ca(d: Path, name: str) -> None:
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN={name}",
            "-days", DAYS, cwd=d)


def make_cert(d: Path, name: str, ca: str, san: str | None = None) -> None:
    openssl("req", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}",
            cwd=d)
    ext = d / f"{name}.ext"
    ext.write_text(f"subjectAltName={san}\n" if san else
                   "extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem",
            "-CAkey", f"{ca}.key", "-CAcreateserial", "-out",
            f"{name}.pem", "-days", DAYS, "-extfile", str(ext), cwd=d)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA with the collector's certificate (IP 127.0.0.1) and an
    exporter's; another CA with an exporter certificate of its own."""
    require_tool("openssl")
    d = tmp_path_factory.mktemp("pki")
    make_ca(d, "ca")
    make_ca(d, "other-ca")
    make_cert(d, "collector", "ca", "IP:127.0.0.1")
    make_cert(d, "exporter", "ca")
    make_cert(d, "stranger", "other-ca")
    return d


def start(daemon, tmp_path, pki, port, ca=False):
    out = tmp_path / "flows.json"
    args = ["-l", f"tls://127.0.0.1:{port}", "--format", "json", "--file",
            out, "--tls-cert", pki / "collector.pem", "--tls-key",
            pki / "collector.key"]
    if ca:
        args += ["--tls-ca", pki / "ca.pem"]
    d = daemon(args)

    def up():
        assert d.alive(), d.stderr()
        return f"listening on tls://127.0.0.1:{port}" in d.stderr()
    xflow.wait_for(up, 10 * xflow.timeout_scale(), "the TLS listener")
    return d, out


def client(pki, cert=None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    if cert:
        ctx.load_cert_chain(str(pki / f"{cert}.pem"), str(pki / f"{cert}.key"))
    return ctx


def send_tls(ctx, port, data: bytes, chunk: int = 0) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            if chunk:
                for off in range(0, len(data), chunk):
                    s.sendall(data[off:off + chunk])
            else:
                s.sendall(data)


def wait_flows(out: Path, n: int) -> None:
    """Until n whole lines are written (the last may be half written)."""
    def enough():
        try:
            return out.read_bytes().count(b"\n") >= n
        except OSError:
            return False
    xflow.wait_for(enough, 20 * xflow.timeout_scale(), f"{n} flows")


def keys(flows) -> list:
    return [xflow.flow_key(xflow.norm_flow(f)) for f in flows]


def test_ipfix_over_tls(daemon, tmp_path, pki):
    """Server authentication only: two streams, one in odd-sized writes
    and one of ~600 KB (more than the listener's 128 KiB buffer), give
    exactly the records sent."""
    port = free_tcp_port()
    d, out = start(daemon, tmp_path, pki, port)
    a_msgs, a_recs = messages("198.18.31", 30, 310)
    b_msgs, b_recs = messages("198.18.32", 250, 311)
    b_msgs = [b_msgs[0]] + b_msgs[1:] * 40  # 10,000 data messages
    send_tls(client(pki), port, b"".join(a_msgs), chunk=37)
    send_tls(client(pki), port, b"".join(b_msgs))
    want = [r.key() for r in a_recs] + [r.key() for r in b_recs] * 40
    wait_flows(out, len(want))
    r = d.stop()
    r.assert_clean_exit()
    diff = xflow.multiset_diff(want, keys(xflow.read_json_flows(out)))
    assert not diff, diff
    st = r.stats
    assert st.rx["packets"] == len(a_msgs) + len(b_msgs), st.lines
    assert st.rx["errors"] == 0 and st.rx["truncated"] == 0, st.lines
    assert "exporters not authenticated" in r.stderr


def refused(ctx, port, data: bytes) -> None:
    """Sends data over TLS to a collector that refuses the client's
    certificate: the refusal may come during the handshake or (TLS 1.3)
    at the next read; either way the connection ends without delivery."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(data)
                assert s.recv(16) == b""
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            pass


def test_mutual_authentication(daemon, tmp_path, pki):
    """With --tls-ca: no client certificate, or one from another CA, is
    refused (counted, logged with the reason and the exporter); a
    certificate from the CA delivers."""
    port = free_tcp_port()
    d, out = start(daemon, tmp_path, pki, port, ca=True)
    bad_msgs, _ = messages("198.18.33", 5, 312)
    refused(client(pki), port, b"".join(bad_msgs))
    refused(client(pki, "stranger"), port, b"".join(bad_msgs))
    msgs, recs = messages("198.18.34", 20, 313)
    send_tls(client(pki, "exporter"), port, b"".join(msgs))
    wait_flows(out, len(recs))
    xflow.wait_for(lambda: len(re.findall(r"TLS with 127\.0\.0\.1 port \d+ "
                                          r"failed", d.stderr())) >= 2,
                   10 * xflow.timeout_scale(), "two TLS failures logged")
    r = d.stop()
    r.assert_clean_exit()
    diff = xflow.multiset_diff([x.key() for x in recs],
                               keys(xflow.read_json_flows(out)))
    assert not diff, diff
    assert r.stats.rx["errors"] == 2, r.stats.lines
    fails = re.findall(r"TLS with 127\.0\.0\.1 port \d+ failed: (.*)",
                       r.stderr)
    assert len(fails) == 2, r.stderr[-3000:]
    assert any("certificate" in f for f in fails), fails
    assert "exporters' certificates verified" in r.stderr


def test_plain_ipfix_to_tls_port_is_refused(daemon, tmp_path, pki):
    port = free_tcp_port()
    d, out = start(daemon, tmp_path, pki, port)
    msgs, _ = messages("198.18.35", 3, 314)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"".join(msgs))
        try:
            assert s.recv(4096) is not None  # an alert, then the end
            time.sleep(0.2)
        except ConnectionResetError:
            pass
    xflow.wait_for(lambda: "failed:" in d.stderr(),
                   10 * xflow.timeout_scale(), "the failure logged")
    r = d.stop()
    r.assert_clean_exit()
    assert r.stats.rx["errors"] == 1 and r.stats.rx["packets"] == 0, \
        r.stats.lines
    assert not out.exists() or not xflow.read_json_flows(out)


@pytest.mark.parametrize("case", ["missing-cert", "key-mismatch", "bad-ca"])
def test_bad_certificate_files_stop_the_start(tmp_path, pki, case):
    cert, key, ca = pki / "collector.pem", pki / "collector.key", None
    if case == "missing-cert":
        cert, needle = tmp_path / "nope.pem", "could not load the certificate"
    elif case == "key-mismatch":
        key, needle = pki / "exporter.key", "does not match the certificate"
    else:
        ca = tmp_path / "ca.pem"
        ca.write_text("not a certificate\n")
        needle = "could not load the CA file"
    args = ["-l", f"tls://127.0.0.1:{free_tcp_port()}", "--file",
            tmp_path / "f.json", "--tls-cert", cert, "--tls-key", key]
    if ca:
        args += ["--tls-ca", ca]
    r = xflow.run_xdpflowd(args, timeout=20)
    assert r.rc == 1, r.describe()
    errs = [ln for ln in r.stderr.splitlines() if ": error: " in ln]
    assert len(errs) == 1 and needle in errs[0], r.stderr[-2000:]
