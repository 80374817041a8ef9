# SPDX-License-Identifier: Apache-2.0
"""pytest fixtures for the xdpflowd system tests: the binary under test
(XDPFLOW_BUILD), the shared corpus (fail under CI, skip otherwise when it is
missing), a factory of live daemons that are always stopped, and per-test
time limits. Every wait in the suite is bounded."""

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import xflow  # noqa: E402

# No single test may run longer than this (seconds), whatever hangs.
TEST_TIMEOUT = 240


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT))


def pytest_report_header(config):
    return [f"xdpflowd under test: {xflow.binary()}"
            f"{' (ASan+UBSan)' if xflow.is_asan_build() else ''}"]


@pytest.fixture(scope="session")
def xdpflowd() -> Path:
    b = xflow.binary()
    if not os.access(b, os.X_OK):
        pytest.fail(f"{b} is not built (set XDPFLOW_BUILD to the build "
                    f"folder, run make first)")
    return b


@pytest.fixture(scope="session")
def corpus() -> Path:
    c = xflow.CORPUS
    if not (c / "telegraf").is_dir() or not (c / "tcpdump").is_dir():
        msg = f"shared corpus missing at {c.resolve()} (../shared/corpus)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return c


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        msg = f"{name} is not installed (scripts/deps.sh installs it)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture
def daemon(xdpflowd, tmp_path):
    """daemon(args, listen_ports) starts a live xdpflowd and waits until it
    listens; every daemon started is stopped (killed if need be) at the end
    of the test, pass or fail."""
    started = []

    def start(args, ports=(), name=None):
        d = xflow.Daemon(args, tmp_path, name or f"xdpflowd{len(started)}")
        started.append(d)
        d.start()
        if ports:
            d.wait_listening(ports)
        return d

    yield start
    xflow.stop_daemons(started)


@pytest.fixture(scope="session")
def pbdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("flowpb")
