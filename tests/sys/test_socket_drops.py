# SPDX-License-Identifier: Apache-2.0
"""Receive-buffer drops: with a tiny --rcvbuf and the daemon stopped
(SIGSTOP), a bounded burst overflows the socket's queue; after SIGCONT the
daemon reports the kernel's own drop count for that socket (as
/proc/net/udp shows it) on /metrics as xdpflow_socket_drops_total and in
the SIGUSR1 report, every datagram sent is either received or dropped, and
the log says once that drops started (a second overflow soon after is
counted, not logged again)."""

import os
import re
import signal
import socket
import urllib.request

import xflow

BURST = 400


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                timeout=5) as r:
        return r.read().decode()


def socket_drops(text: str) -> dict:
    return {(m.group(1), m.group(2)): int(m.group(3)) for m in re.finditer(
        r'^xdpflow_socket_drops_total\{listener="([^"]*)",worker="(\d+)"\} '
        r'(\d+)$', text, re.M)}


def test_socket_drops_reported(daemon, tmp_path):
    port, mport = xflow.free_udp_port(), free_tcp_port()
    listener = f"netflow://127.0.0.1:{port}"
    d = daemon(["-l", listener, "--rcvbuf", "4096", "--metrics",
                f"127.0.0.1:{mport}", "--format", "json", "--file",
                tmp_path / "flows.json"], ports=[port])
    rec = xflow.Rec("198.18.1.1", "198.19.0.1", 1000, 53, 17, 100, 1,
                    1699999990000, 1699999999000)
    dgram = xflow.nf5([rec] * 20)
    # No drops yet: the family is there, at zero.
    assert socket_drops(scrape(mport)) == {(listener, "0"): 0}

    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        xflow.send_udp([dgram] * BURST, port)
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    d.wait_drained([port])
    (kernel,) = [drops for _, drops in xflow.udp_sockets(port)]
    assert 0 < kernel < BURST, kernel

    # Learned within a second or two (the worker syncs once a second).
    xflow.wait_for(lambda: socket_drops(scrape(mport)).get((listener, "0"))
                   == kernel, 10 * xflow.timeout_scale(),
                   f"xdpflow_socket_drops_total reaching {kernel}")
    text = scrape(mport)
    rx = int(re.search(r"^xdpflow_rx_packets_total (\d+)$", text,
                       re.M).group(1))
    drops = int(re.search(r"^xdpflow_rx_drops_total (\d+)$", text,
                          re.M).group(1))
    assert (rx, drops) == (BURST - kernel, kernel)

    # A second overflow soon after is the same onset: counted, not logged.
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        xflow.send_udp([dgram] * BURST, port)
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    d.wait_drained([port])
    (kernel2,) = [drops for _, drops in xflow.udp_sockets(port)]
    assert kernel2 > kernel
    kernel = kernel2
    xflow.wait_for(lambda: socket_drops(scrape(mport)).get((listener, "0"))
                   == kernel, 10 * xflow.timeout_scale(),
                   f"xdpflow_socket_drops_total reaching {kernel}")

    d.proc.send_signal(signal.SIGUSR1)
    line = f"stats socket listener={listener} worker=0 drops={kernel}"
    xflow.wait_for(lambda: line in d.stderr(), 10, "the SIGUSR1 report")

    r = d.stop()
    r.assert_clean_exit()
    onset = [ln for ln in r.stderr.splitlines()
             if "the kernel dropped" in ln]
    assert len(onset) == 1, r.stderr
    assert re.fullmatch(
        rf"xdpflow: warning: {re.escape(listener)}: the kernel dropped \d+ "
        r"datagrams on worker 0's socket \(receive buffer full: raise "
        r"--rcvbuf or --workers\)", onset[0]), onset
    assert line in r.stderr  # the exit report too
