#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the build, the tests, the demo and the benchmarks need, on a
# fresh Debian 12: Debian packages (only those missing), the Python venv for
# the system tests, GoFlow2 (benchmark peer). Idempotent and quiet when all
# is there already.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
	build-essential clang llvm lld pkg-config
	libbpf-dev libxdp-dev xdp-tools bpftool
	librdkafka-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
	libpcap-dev libcmocka-dev libmicrohttpd-dev libcap-dev libclang-rt-14-dev
	softflowd pmacct tshark nfdump tcpreplay netsniff-ng iproute2 iputils-ping
	python3-venv postgresql docker-compose linux-perf valgrind hyperfine
	libpq-dev maven openjdk-17-jre-headless kcat
	debhelper lintian mandoc
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python venv for pytest system tests (and chDB later).
VENV=.venv
REQ=tests/requirements.txt
if [ ! -x "$VENV/bin/python" ]; then
	python3 -m venv "$VENV"
fi
stamp="$VENV/.req-$(sha1sum "$REQ" | cut -c1-12)"
if [ ! -f "$stamp" ]; then
	"$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
	rm -f "$VENV"/.req-* && touch "$stamp"
fi
