#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# xdpflow-enrich end to end with the local stack's broker (issue 9 target:
# >= 1M flows/s at 64 flows per message, transactions every <= 100 ms);
# see tests/bench/bench_enrich_kafka.py. For scripts/bench/bench.sh
# (BENCH_ENRICH_KAFKA=1); needs `make` (build/) and the Python venv
# (scripts/deps.sh). Environment: XDPFLOW_BUILD (default build),
# BENCH_ENRICH_KAFKA_FLOWS (default 4000000), BENCH_ENRICH_KAFKA_ROUNDS (3).
set -euo pipefail
cd "$(dirname "$0")/../.."
export XDPFLOW_BUILD=${XDPFLOW_BUILD:-build}
PY=.venv/bin/python
[ -x "$PY" ] || { echo "bench enrich-kafka: run scripts/deps.sh first" >&2; exit 1; }
[ -x "$XDPFLOW_BUILD/xdpflow-enrich" ] || { echo "bench enrich-kafka: build $XDPFLOW_BUILD/xdpflow-enrich first (make)" >&2; exit 1; }
# The same exactly-once loop copying bytes unchanged, beside it, when built
# (make bench-bins): the ceiling the broker sets on this machine.
COPY=()
[ -x "$XDPFLOW_BUILD/bench/bench_relay_copy" ] && COPY=(--copy)
exec "$PY" tests/bench/bench_enrich_kafka.py --flows "${BENCH_ENRICH_KAFKA_FLOWS:-4000000}" \
	--rounds "${BENCH_ENRICH_KAFKA_ROUNDS:-3}" --batch 64 --txn-interval-ms 100 "${COPY[@]}" "$@"
