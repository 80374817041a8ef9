#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what the build, the tests, the demo and the benchmarks need, on a
# fresh Debian 12: Debian packages (only those missing) and the Python venv
# for the system tests (GoFlow2, the benchmark peer, is scripts/bench/
# goflow2.sh's job). Idempotent and quiet when all is there already.
#
# `scripts/deps.sh --tools` prints the TOOLS table below ("command package"
# lines) and installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every command the Makefile, scripts and tests check for (command -v,
# require_tool, "X is missing") or call, and the Debian package it comes
# from; each package named here is installed. tests/sys/test_deps.py fails
# when a check names a command missing from this table, or an installed
# command does not come from (a dependency of) its package. "-": not from
# Debian, and what needs it is skipped without it (go and goflow2: GoFlow2,
# the benchmark peer; scripts/bench/goflow2.sh).
TOOLS=(
	make=make cc=gcc ar=binutils clang=clang pkg-config=pkg-config
	protoc-c=protobuf-c-compiler protoc=protobuf-compiler bpftool=bpftool
	clang-format=clang-format python3=python3-venv git=git
	java=openjdk-17-jre-headless mvn=maven psql=postgresql-client
	kcat=kcat curl=curl openssl=openssl softflowd=softflowd pmacctd=pmacct
	tshark=tshark dumpcap=wireshark-common ping=iputils-ping
	ip=iproute2 ss=iproute2 ethtool=ethtool taskset=util-linux setsid=util-linux runuser=util-linux
	which=debianutils docker-compose=docker-compose perf=linux-perf
	setpriv=util-linux systemd-analyze=systemd systemd-sysusers=systemd
	dpkg-buildpackage=dpkg-dev lintian=lintian mandoc=mandoc
	snmpd=snmpd snmpget=snmp
	nfacctd=pmacct sfacctd=pmacct nfcapd=nfdump nfdump=nfdump gnuplot=gnuplot-nox
	go=- goflow2=-
)
if [ "${1:-}" = --tools ]; then
	for t in "${TOOLS[@]}"; do echo "${t%%=*} ${t#*=}"; done
	exit 0
fi

PKGS=(
	build-essential clang llvm lld pkg-config clang-format
	libbpf-dev libxdp-dev xdp-tools bpftool
	librdkafka-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
	libpcap-dev libcmocka-dev libmicrohttpd-dev libcap-dev libclang-rt-14-dev
	softflowd pmacct tshark nfdump tcpreplay netsniff-ng iproute2 iputils-ping
	python3-venv postgresql postgresql-client docker-compose linux-perf valgrind hyperfine
	libpq-dev maven openjdk-17-jre-headless kcat curl openssl
	debhelper lintian mandoc gnuplot-nox
	libmaxminddb-dev mmdb-bin libmaxmind-db-writer-perl
	libsnmp-dev snmpd snmp libssl-dev
)
for t in "${TOOLS[@]}"; do
	p=${t#*=}
	[ "$p" = - ] || [[ " ${PKGS[*]} " == *" $p "* ]] || PKGS+=("$p")
done

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
