#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Inserter throughput into PostgreSQL (issue 4 target: >= 300k rows/s):
# pre-fills a fresh topic on the local stack, then times xdpflow-insert from
# its first committed batch to the last. Runs the 64-flow batch case and the
# one-flow-per-message case. For scripts/bench/bench.sh; needs `make` (build/) and
# the Python venv (scripts/deps.sh). Environment: XDPFLOW_BUILD (default
# build), BENCH_INSERT_FLOWS (default 2000000).
set -euo pipefail
cd "$(dirname "$0")/../.."
export XDPFLOW_BUILD=${XDPFLOW_BUILD:-build}
FLOWS=${BENCH_INSERT_FLOWS:-2000000}
PY=.venv/bin/python
[ -x "$PY" ] || { echo "bench insert: run scripts/deps.sh first" >&2; exit 1; }
[ -x "$XDPFLOW_BUILD/xdpflow-insert" ] || { echo "bench insert: build $XDPFLOW_BUILD/xdpflow-insert first (make)" >&2; exit 1; }
rc=0
"$PY" tests/bench/bench_insert.py --flows "$FLOWS" --batch 64 "$@" || rc=1
"$PY" tests/bench/bench_insert.py --flows $((FLOWS / 4)) --batch 1 "$@" || rc=1
exit $rc
