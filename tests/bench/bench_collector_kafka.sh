#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# xdpflowd into the real Kafka broker of the local stack (issue 4 target:
# >= 1M flows/s with --kafka-batch 64 or more; batch 1 reported too). For
# each workload (udp_replay's synthetic NetFlow v9 and IPFIX, 25 flows a
# datagram) and each --kafka-batch (64, 256, 1), BENCH_CK_ROUNDS times: a
# fresh xdpflowd -o kafka --format pb listens on loopback, udp_replay sends a
# bounded count of datagrams as fast as it can (the collector's socket
# buffer holds them all, so the sender is not the limit), and the clock runs
# from the first datagram sent until xdpflowd exits after SIGTERM, sent as
# soon as its socket is drained: the exit waits for every Kafka delivery
# report, so the rate is flows delivered to the broker per second, end to
# end. Each round must account for every flow: xdpflowd's exit stats line
# (`stats publish flows=N messages=M delivered=M delivery_errors=0`) says
# flows = what udp_replay sent, no kernel drop, and the topic's end offsets
# grew by exactly M. xdpflowd's own CPU time is shown beside (the broker
# shares the 2 cores). Medians over rounds; the last line is the summary
# scripts/bench/bench.sh shows. Brings the stack up through scripts/stack/stack.sh if it
# is down and stops it again after (unless tests registered in
# build/stack/users still use it: they then stop it, as stack.py does);
# writes to its own topic and deletes it. Every wait is bounded. Exit
# status 1 when any round could not account for every flow.
# Environment: O (build), BENCH_CK_FLOWS (2000000; half of it at batch
# 1), BENCH_CK_ROUNDS (3), BENCH_CK_WORKLOADS ("nf9 ipfix"),
# BENCH_CK_BATCHES ("64 256 1"), BENCH_CK_RCVBUF (512M).
set -uo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
FLOWS=${BENCH_CK_FLOWS:-2000000}
ROUNDS=${BENCH_CK_ROUNDS:-3}
WORKLOADS=${BENCH_CK_WORKLOADS:-nf9 ipfix}
BATCHES=${BENCH_CK_BATCHES:-64 256 1}
RCVBUF=${BENCH_CK_RCVBUF:-512M}
TOPIC=bench-collector-$$
XD=$O/xdpflowd
REPLAY=$O/bench/udp_replay
PY=.venv/bin/python
PER_PKT=25      # flows per generated data datagram (tests/bench/pktgen.h)
DISTINCT=4000   # distinct data datagrams, replayed in loops
HZ=$(getconf CLK_TCK)
LOGS=$O/bench/logs
mkdir -p "$LOGS"

log() { echo "bench collector-kafka: $*" >&2; }
[ -x "$XD" ] || { log "build $XD first (make)"; exit 1; }
[ -x "$PY" ] || { log "run scripts/deps.sh first (Python venv)"; exit 1; }
if [ ! -x "$REPLAY" ] && ! make --no-print-directory O="$O" "$REPLAY" >&2; then
	log "could not build $REPLAY"
	exit 1
fi

XPID=
was_up=0
scripts/stack/stack.sh status >/dev/null 2>&1 && [ -f build/stack.env ] && was_up=1
cleanup() {
	if [ -n "$XPID" ] && kill -0 "$XPID" 2>/dev/null; then
		kill -KILL "$XPID" 2>/dev/null
		wait "$XPID" 2>/dev/null
	fi
	if [ -n "${KAFKA_BROKERS:-}" ]; then
		timeout 60 "$PY" - "$KAFKA_BROKERS" "$TOPIC" <<'EOF' >/dev/null 2>&1
import sys
from confluent_kafka.admin import AdminClient
a = AdminClient({"bootstrap.servers": sys.argv[1]})
a.delete_topics([sys.argv[2]], operation_timeout=30)[sys.argv[2]].result(timeout=60)
EOF
	fi
	[ $was_up = 1 ] && return
	# Started here: stop it, unless test sessions (tests/sys/stack.py's pid
	# registry) joined meanwhile; then the last of them stops it.
	local users=build/stack/users live=0 f
	if [ -d "$users" ]; then
		for f in "$users"/[0-9]*; do
			[ -e "$f" ] && [ -d "/proc/${f##*/}" ] && live=1
		done
	fi
	if [ $live = 1 ]; then
		: >"$users/started-by-tests"
	else
		scripts/stack/stack.sh down >/dev/null 2>&1
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scripts/stack/stack.sh up >"$LOGS/collector-kafka-stack.log" 2>&1 ||
	{ log "the stack did not start: $(tail -3 "$LOGS/collector-kafka-stack.log")"; exit 1; }
# shellcheck disable=SC1091
. build/stack.env

end_offsets() { # -> sum of the topic's end offsets (creates the topic first)
	timeout 60 "$PY" - "$KAFKA_BROKERS" "$TOPIC" <<'EOF'
import sys
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
brokers, topic = sys.argv[1], sys.argv[2]
a = AdminClient({"bootstrap.servers": brokers})
if topic not in a.list_topics(timeout=30).topics:
    a.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])[topic].result(timeout=60)
c = Consumer({"bootstrap.servers": brokers, "group.id": "bench-offsets"})
md = c.list_topics(topic, timeout=30)
print(sum(c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
          for p in md.topics[topic].partitions))
c.close()
EOF
}

free_port() {
	python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

rx_queue() { # port -> bytes queued on the UDP sockets bound to it (-1: none)
	awk -v h="$(printf ':%04X' "$1")" 'function hexval(s,  i, v) { v = 0
			for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
			return v }
		FNR > 1 && substr($2, length($2) - 4) == h { split($5, q, ":"); n++; v += hexval(q[2]) }
		END {print n ? v : -1}' /proc/net/udp
}

cpu_ticks() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	awk '{print $12 + $13}' <<<"$s"
}

kv() { # key, text -> value of key=VALUE (last occurrence)
	grep -oE "(^|[[:space:]])$1=[^[:space:]]*" <<<"$2" | tail -1 | sed 's/.*=//'
}

median() {
	sort -g | awk '{v[NR] = $1} END {if (NR) printf "%.0f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

one() { # workload, batch, flows -> "flows_per_s cpu_s seconds flows" (1 and a reason on failure)
	local wl=$1 batch=$2 flows=$3 port errf t0 t1 out sent off0 off1 ticks i q st
	local loops=$(((flows + PER_PKT * DISTINCT - 1) / (PER_PKT * DISTINCT)))
	local gen=$((flows / loops / PER_PKT))
	port=$(free_port)
	errf=$LOGS/collector-kafka-$wl-$batch.log
	off0=$(end_offsets) || { log "cannot read the topic's offsets"; return 1; }
	"$XD" -l "netflow://127.0.0.1:$port" -o kafka --format pb --kafka-batch "$batch" \
		--kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$TOPIC" --rcvbuf "$RCVBUF" 2>"$errf" &
	XPID=$!
	for i in $(seq 100); do
		[ "$(rx_queue "$port")" != -1 ] && break
		kill -0 "$XPID" 2>/dev/null || break
		sleep 0.1
	done
	if [ "$(rx_queue "$port")" = -1 ]; then
		log "xdpflowd did not start: $(tail -2 "$errf")"
		return 1
	fi
	sleep 0.5 # the producer connects to the broker
	t0=$(date +%s%N)
	out=$("$REPLAY" --gen "$wl" --gen-count "$gen" -n "$loops" -t "127.0.0.1:$port" -T 120 2>&1)
	sent=$(kv flows "$out")
	# Drained: the socket is empty three polls in a row (20 ms apart).
	q=0
	for i in $(seq 3000); do
		[ "$(rx_queue "$port")" = 0 ] && q=$((q + 1)) || q=0
		[ $q -ge 3 ] && break
		sleep 0.02
	done
	ticks=$(cpu_ticks "$XPID")
	kill -TERM "$XPID"
	for i in $(seq 600); do
		kill -0 "$XPID" 2>/dev/null || break
		sleep 0.01
	done
	t1=$(date +%s%N)
	if kill -0 "$XPID" 2>/dev/null; then
		log "xdpflowd did not exit within 6 s of SIGTERM"
		kill -KILL "$XPID"
		wait "$XPID" 2>/dev/null
		XPID=
		return 1
	fi
	wait "$XPID"
	st=$?
	XPID=
	off1=$(end_offsets) || return 1
	out=$(grep 'stats publish' "$errf" | tail -1)
	local f m d e drops
	f=$(kv flows "$out") m=$(kv messages "$out") d=$(kv delivered "$out") e=$(kv delivery_errors "$out")
	drops=$(kv drops "$(grep 'stats rx' "$errf" | tail -1)")
	if [ "$st" != 0 ] || [ -z "$sent" ] || [ "$f" != "$sent" ] || [ "$d" != "$m" ] || [ "$e" != 0 ] ||
		[ "${drops:-x}" != 0 ] || [ $((off1 - off0)) != "$m" ]; then
		log "$wl batch $batch: not every flow accounted for: exit $st, sent ${sent:-?}," \
			"collector flows=$f messages=$m delivered=$d delivery_errors=$e drops=$drops," \
			"topic end offsets +$((off1 - off0))"
		return 1
	fi
	awk -v n="$f" -v ns=$((t1 - t0)) -v t="$ticks" -v hz="$HZ" \
		'BEGIN {printf "%.0f %.2f %.3f %d\n", n / (ns / 1e9), t / hz, ns / 1e9, n}'
}

declare -A RATE
failed=0
printf '%-6s %6s %9s %12s %8s %7s %14s\n' input batch flows flows/s seconds cpu_s flows/cpu-s
for wl in $WORKLOADS; do
	for b in $BATCHES; do
		n=$FLOWS
		[ "$b" = 1 ] && n=$((FLOWS / 2))
		rates=()
		for ((r = 1; r <= ROUNDS; r++)); do
			res=$(one "$wl" "$b" "$n") || { failed=1; continue; }
			read -r rate cpu secs got <<<"$res"
			rates+=("$rate")
			printf '%-6s %6s %9s %12s %8s %7s %14s\n' "$wl" "$b" "$got" "$rate" "$secs" "$cpu" \
				"$(awk -v n="$got" -v c="$cpu" 'BEGIN {if (c > 0) printf "%.0f", n / c; else print "-"}')"
		done
		RATE[$wl,$b]=$( ((${#rates[@]})) && printf '%s\n' "${rates[@]}" | median)
	done
done
met=yes summary=
for wl in $WORKLOADS; do
	summary+="$wl:"
	for b in $BATCHES; do
		summary+=" batch $b ${RATE[$wl,$b]:-n/a},"
		if [ "$b" -ge 64 ]; then
			awk -v r="${RATE[$wl,$b]:-0}" 'BEGIN {exit !(r >= 1000000)}' || met=no
		fi
	done
	summary="${summary%,}; "
done
printf 'xdpflowd -> Kafka (pb, loopback), median of %s (flows/s): %starget >=1M at batch >=64: %s\n' \
	"$ROUNDS" "$summary" "$met"
[ $failed = 0 ] # a round that lost flows fails the benchmark
