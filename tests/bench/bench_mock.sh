#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# xdpflow-mock into the real Kafka broker of the local stack (issue 4
# target: >= 1M flows/s): BENCH_MOCK_FLOWS flows as fast as it goes, pb,
# --kafka-batch 64 and 256 (and 1, on fewer flows, for reference), each
# BENCH_MOCK_ROUNDS times. The rate counts until the last message is
# delivered (the stats line follows the final flush); the mocker's own CPU
# time is shown beside it (the broker shares the machine). Brings the stack
# up if it is down (and down again after), writes to its own topic and
# deletes it at the end. The last line is the summary scripts/bench/bench.sh
# shows. Environment: O (build), BENCH_MOCK_FLOWS (3000000),
# BENCH_MOCK_ROUNDS (3).
set -uo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
FLOWS=${BENCH_MOCK_FLOWS:-3000000}
ROUNDS=${BENCH_MOCK_ROUNDS:-3}
TOPIC=bench-mock-$$
MOCK=$O/xdpflow-mock
[ -x "$MOCK" ] || { echo "bench mock: build $MOCK first (make)" >&2; exit 1; }

was_up=0
scripts/stack/stack.sh status >/dev/null 2>&1 && [ -f build/stack.env ] && was_up=1
cleanup() {
	if [ -x .venv/bin/python ] && [ -n "${KAFKA_BROKERS:-}" ]; then
		timeout 60 .venv/bin/python - "$KAFKA_BROKERS" "$TOPIC" <<'EOF' >/dev/null 2>&1
import sys
from confluent_kafka.admin import AdminClient
a = AdminClient({"bootstrap.servers": sys.argv[1]})
a.delete_topics([sys.argv[2]], operation_timeout=30)[sys.argv[2]].result(timeout=60)
EOF
	fi
	[ $was_up = 1 ] || scripts/stack/stack.sh down >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT TERM
scripts/stack/stack.sh up >/dev/null || { echo "bench mock: the stack did not start" >&2; exit 1; }
# shellcheck disable=SC1091
. build/stack.env

one() { # batch, flows -> "flows_per_s cpu_seconds"
	local out
	out=$( { /usr/bin/time -f 'cpu=%U+%S' timeout 300 "$MOCK" -r 0 -n "$2" -s 1 -o kafka \
		--format pb --kafka-batch "$1" --kafka-brokers "$KAFKA_BROKERS" \
		--kafka-topic "$TOPIC" --log-level info; } 2>&1)
	if ! grep -q 'delivery_errors=0 encode_errors=0 write_errors=0' <<<"$out"; then
		echo "bench mock: batch $1 lost flows: $(grep 'stats mock' <<<"$out")" >&2
		return 1
	fi
	awk '/stats mock/ {for (i = 1; i <= NF; i++) if ($i ~ /^flows_per_s=/) {sub(/.*=/, "", $i); r = $i}}
		/^cpu=/ {sub(/cpu=/, ""); split($0, c, "+"); cpu = c[1] + c[2]}
		END {printf "%s %.2f\n", r, cpu}' <<<"$out"
}

median() {
	sort -g | awk '{v[NR] = $1} END {if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

declare -A RATE
printf '%-8s %10s %14s %10s %16s\n' batch flows flows/s cpu_s flows/cpu-s
for b in 64 256 1; do
	n=$FLOWS
	[ "$b" = 1 ] && n=$((FLOWS / 10))
	rates=()
	for ((r = 1; r <= ROUNDS; r++)); do
		res=$(one "$b" "$n") || continue
		read -r rate cpu <<<"$res"
		rates+=("$rate")
		printf '%-8s %10s %14s %10s %16s\n' "$b" "$n" "$rate" "$cpu" \
			"$(awk -v n="$n" -v c="$cpu" 'BEGIN {if (c > 0) printf "%.0f", n / c; else print "-"}')"
	done
	RATE[$b]=$(printf '%s\n' "${rates[@]}" | grep . | median)
done
met=$(awk -v r="${RATE[64]:-0}" 'BEGIN {print (r >= 1000000) ? "yes" : "no"}')
printf 'mock -> Kafka, median of %s (flows/s): batch 64 %s, batch 256 %s, batch 1 %s; target >=1M at batch 64: %s\n' \
	"$ROUNDS" "${RATE[64]:-n/a}" "${RATE[256]:-n/a}" "${RATE[1]:-n/a}" "$met"
