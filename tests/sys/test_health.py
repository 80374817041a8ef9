# SPDX-License-Identifier: Apache-2.0
"""/__health on the --metrics server, as GoFlow2 answers it: 200 "ok" while
a worker is receiving and the output is fine (file output); 503 with the
reason once Kafka has been unreachable (a broker address on a closed
loopback port) for longer than --health-kafka-timeout, and not before."""

import socket
import time
import urllib.error
import urllib.request

import xflow


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/__health",
                                    timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_http(port: int, d) -> None:
    def up():
        assert d.alive(), d.stderr()
        try:
            health(port)
            return True
        except OSError:
            return False
    xflow.wait_for(up, 10 * xflow.timeout_scale(), "the metrics server")


def test_health_ok_with_file_output(daemon, tmp_path):
    port, mport = xflow.free_udp_port(), free_tcp_port()
    d = daemon(["-l", f"netflow://127.0.0.1:{port}", "--metrics",
                f"127.0.0.1:{mport}", "--file", tmp_path / "flows.pb"],
               ports=[port])
    wait_http(mport, d)
    # Workers go round their loop at least once a second: still healthy
    # well after start.
    for _ in range(3):
        assert health(mport) == (200, "ok\n")
        time.sleep(1)
    d.stop().assert_clean_exit()


def test_health_fails_when_kafka_unreachable(daemon, tmp_path):
    port, mport, closed = (xflow.free_udp_port(), free_tcp_port(),
                           free_tcp_port())
    timeout = 3
    t0 = time.monotonic()
    d = daemon(["-l", f"netflow://127.0.0.1:{port}", "--metrics",
                f"127.0.0.1:{mport}", "-o", "kafka", "--kafka-brokers",
                f"127.0.0.1:{closed}", "--health-kafka-timeout", str(timeout)],
               ports=[port])
    wait_http(mport, d)

    def unhealthy():
        st, body = health(mport)
        return (st, body) if st != 200 else None
    st, body = xflow.wait_for(unhealthy, 20 * xflow.timeout_scale(),
                              "/__health turning 503", step=0.2)
    assert time.monotonic() - t0 > timeout
    assert st == 503
    assert body.startswith("unhealthy: kafka unreachable for "), body
    assert int(body.split()[-2]) >= timeout, body
    d.stop().assert_clean_exit()


def test_health_kafka_timeout_needs_kafka_and_metrics(tmp_path):
    r = xflow.run_xdpflowd(["--health-kafka-timeout", "5", "--file",
                            tmp_path / "f"])
    assert r.rc == 2
    assert r.stderr.strip() == "xdpflow: error: --health-kafka-timeout has " \
        "no effect without --metrics (add --metrics ADDR:PORT)"
    r = xflow.run_xdpflowd(["--health-kafka-timeout", "5", "--metrics",
                            "127.0.0.1:1", "--file", tmp_path / "f"])
    assert r.rc == 2
    assert "without -o kafka" in r.stderr
