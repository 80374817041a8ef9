#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# XDP fast path benchmark (called by scripts/bench.sh; runs alone too):
# xdpflowd in a collector namespace, senders in a second namespace over a
# veth pair, the same run in XDP mode (--xdp) and in socket mode.
#  1. Flood resilience: trafgen floods from a source outside the allow-list
#     at its full rate (-n BENCH_XDP_FLOOD packets) while build/bench/
#     udp_replay sends NetFlow v9 from the allowed exporter at a steady
#     BENCH_XDP_STEADY pps: the allowed exporter's loss and the collector's
#     CPU time (utime+stime from /proc/PID/stat).
#  2. Throughput: trafgen sends one-flow NetFlow v9 data packets from the
#     allowed exporter at rising rates (BENCH_XDP_RATES, pps, one second
#     each); the highest rate without any loss (as trafgen achieved it),
#     XDP vs socket mode.
# BENCH_XDP_ROUNDS rounds, medians and ratios reported; one worker (one
# core) in both modes, AF_XDP in copy mode (veth), BENCH_XDP_FRAMES UMEM
# frames. Every sender is bounded
# in count and time (trafgen -n, timeout); namespaces and daemons are
# removed on exit (trap). Prints "bench_xdp: ..." result lines.
set -uo pipefail
cd "$(dirname "$0")/../.."

O=${O:-build}
BIN=$O/xdpflowd
REPLAY=$O/bench/udp_replay
ROUNDS=${BENCH_XDP_ROUNDS:-3}
FLOOD=${BENCH_XDP_FLOOD:-3000000}
STEADY=${BENCH_XDP_STEADY:-20000}
RATES=${BENCH_XDP_RATES:-200000 400000 600000 800000 1000000 1200000 1400000 2000000}
FRAMES=${BENCH_XDP_FRAMES:-32768}
HZ=$(getconf CLK_TCK)
N=$$
C=xfb-c$N S=xfb-s$N CIF=xfbc$N SIF=xfbs$N
WORK=$(mktemp -d /tmp/xfb-XXXXXX)
DPID=

log() { echo "bench_xdp: $*" >&2; }

cleanup() {
	[ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
	ip netns pids "$S" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns pids "$C" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	umount -l "$WORK/bpffs" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { log "needs root (namespaces, XDP)"; exit 1; }
for t in trafgen ip; do
	command -v $t >/dev/null || { log "$t is not installed"; exit 1; }
done
[ -x "$BIN" ] && [ -x "$REPLAY" ] || { log "build $BIN and $REPLAY first"; exit 1; }

ip netns add "$C" && ip netns add "$S" &&
	ip link add "$CIF" netns "$C" type veth peer name "$SIF" netns "$S" &&
	ip -n "$C" addr add 198.18.0.2/24 dev "$CIF" &&
	ip -n "$S" addr add 198.18.0.1/24 dev "$SIF" &&
	ip -n "$S" addr add 198.18.0.3/24 dev "$SIF" &&
	ip -n "$C" link set lo up && ip -n "$S" link set lo up &&
	ip -n "$C" link set "$CIF" up && ip -n "$S" link set "$SIF" up ||
	{ log "could not create the namespaces"; exit 1; }
mkdir -p "$WORK/bpffs" && mount -t bpf bpf "$WORK/bpffs" ||
	{ log "could not mount a bpffs"; exit 1; }
CMAC=$(ip -n "$C" -br link show "$CIF" | awk '{print $3}')
SMAC=$(ip -n "$S" -br link show "$SIF" | awk '{print $3}')
ip -n "$S" neigh replace 198.18.0.2 lladdr "$CMAC" dev "$SIF"
ip -n "$C" neigh replace 198.18.0.1 lladdr "$SMAC" dev "$CIF"
ip -n "$C" neigh replace 198.18.0.3 lladdr "$SMAC" dev "$CIF"

# The NetFlow v9 template (sent once per daemon) and a one-flow data
# packet for trafgen, from the system tests' builders.
python3 - "$WORK" <<'EOF'
import sys
sys.path.insert(0, "tests/sys")
import xflow
w = sys.argv[1]
r = xflow.Rec("198.18.5.1", "198.18.6.1", 1000, 53, 17, 100, 1,
              1700000000000 - 5000, 1700000000000 - 1000)
open(f"{w}/tmpl.bin", "wb").write(xflow.nf9([xflow.template_set(
    256, xflow.NF9_FIELDS, False)]))
data = xflow.nf9([xflow.data_set(256, [r], False)])
open(f"{w}/data.hex", "w").write(",".join(f"0x{b:02x}" for b in data))
EOF
mac_bytes() { sed 's/^/0x/; s/:/, 0x/g' <<<"$1"; }
trafgen_cfg() { # src ip, payload hex list -> cfg file path
	local f="$WORK/tg-$1.cfg"
	printf '{ eth(da=%s, sa=%s, type=0x0800), ipv4(saddr=%s, daddr=198.18.0.2, ttl=64), udp(sp=40000, dp=2055), %s }\n' \
		"$CMAC" "$SMAC" "$1" "$2" >"$f"
	echo "$f"
}
FLOOD_CFG=$(trafgen_cfg 198.18.0.3 "fill(0x00, 64)")
DATA_CFG=$(trafgen_cfg 198.18.0.1 "$(cat "$WORK/data.hex")")

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

start_daemon() { # mode (xdp|socket)
	local extra=()
	# Equal buffering in both modes: 32768 UMEM frames (64 MiB) against
	# the socket's 64 MiB receive buffer (--rcvbuf 32M, doubled).
	[ "$1" = xdp ] && extra=(--xdp "$CIF" --xdp-frames "$FRAMES")
	ip netns exec "$C" "$BIN" -l netflow://:2055 --workers 1 --format pb \
		--file /dev/null --allow-exporter 198.18.0.1 --bpffs "$WORK/bpffs/xdpflow" \
		"${extra[@]}" 2>"$WORK/daemon.err" &
	DPID=$!
	for _ in $(seq 100); do
		grep -q "running:" "$WORK/daemon.err" && break
		kill -0 "$DPID" 2>/dev/null || { log "xdpflowd ($1) failed: $(tail -3 "$WORK/daemon.err")"; return 1; }
		sleep 0.1
	done
	ip netns exec "$S" "$REPLAY" -t 198.18.0.2:2055 "$WORK/tmpl.bin" >/dev/null 2>&1
	sleep 0.2
}

stop_daemon() {
	kill -TERM "$DPID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
}

decoded() { # packets decoded from the allowed exporter so far
	local n
	n=$(grep -c "stats publish" "$WORK/daemon.err")
	kill -USR1 "$DPID"
	for _ in $(seq 50); do
		[ "$(grep -c "stats publish" "$WORK/daemon.err")" -gt "$n" ] && break
		sleep 0.05
	done
	grep "stats exporter=198.18.0.1 " "$WORK/daemon.err" | tail -1 |
		grep -oE " packets=[0-9]+" | cut -d= -f2 | grep . || echo 0
}

settle() { # waits (5 s at most) until the decoded count stops moving
	local a b
	a=$(decoded)
	for _ in $(seq 20); do
		sleep 0.25
		b=$(decoded)
		[ "$a" = "$b" ] && break
		a=$b
	done
	echo "${b:-$a}"
}

median() { sort -g | awk '{v[NR] = $1} END { if (NR == 0) exit
	if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

flood_round() { # mode -> "loss cpu_seconds flood_pps"
	local mode=$1 d0 d1 t0 t1 steady_count tg sent out
	start_daemon "$mode" || return 1
	steady_count=$((STEADY * 3))
	d0=$(settle)
	t0=$(ticks "$DPID")
	timeout 30 ip netns exec "$S" trafgen -o "$SIF" -c "$FLOOD_CFG" -n "$FLOOD" -P 1 \
		>"$WORK/tg.out" 2>&1 &
	tg=$!
	out=$(ip netns exec "$S" timeout 30 "$REPLAY" --gen nf9 --gen-count 1 -t 198.18.0.2:2055 \
		-n 1000000000 -c "$steady_count" -r "$STEADY" -T 20 2>&1 | tail -1)
	wait "$tg"
	sent=$(grep -oE "packets=[0-9]+" <<<"$out" | cut -d= -f2)
	d1=$(settle)
	t1=$(ticks "$DPID")
	local secs
	secs=$(grep -oE "seconds=[0-9.]+" <<<"$out" | cut -d= -f2)
	stop_daemon
	echo "$((sent - (d1 - d0))) $(awk -v t=$((t1 - t0)) -v hz="$HZ" 'BEGIN{printf "%.2f", t / hz}') ${secs:-0} ${sent:-0}"
}

rate_ok() { # mode rate -> 0 when every packet was decoded
	local d0 d1 n=$2
	local w0 w1
	d0=$(settle)
	w0=$(date +%s.%N)
	timeout 20 ip netns exec "$S" trafgen -o "$SIF" -c "$DATA_CFG" -n "$n" -b "${2}pps" -P 1 \
		>"$WORK/tg-rate.out" 2>&1
	w1=$(date +%s.%N)
	d1=$(settle)
	# The rate trafgen achieved: count / wall time of the send (it falls
	# short of the one asked for at the top; its start-up is included).
	ACHIEVED=$(awk -v n="$n" -v a="$w0" -v b="$w1" 'BEGIN { printf "%d", n / (b - a) }')
	[ $((d1 - d0)) -ge "$n" ] && return 0
	log "$1 at $2 pps: decoded $((d1 - d0)) of $n; $(grep -E 'stats (rx|xdp)' "$WORK/daemon.err" | tail -2 | tr '\n' ' ')"
	return 1
}

throughput_round() { # mode -> highest loss-free rate (achieved pps)
	local best=0 r
	start_daemon "$1" || { echo 0; return; }
	for r in $RATES; do
		ACHIEVED=0
		if rate_ok "$1" "$r"; then best=$ACHIEVED; else break; fi
		log "$1: $r pps asked, $ACHIEVED pps sent, no loss"
	done
	stop_daemon
	echo "$best"
}

declare -A LOSS CPU TPUT
for round in $(seq "$ROUNDS"); do
	for mode in xdp socket; do
		read -r loss cpu secs sent < <(flood_round "$mode")
		log "round $round $mode: flood of $FLOOD + ${sent:-?} allowed packets at $STEADY pps over ${secs}s: allowed lost $loss, collector CPU ${cpu}s"
		LOSS[$mode]+="$loss "
		CPU[$mode]+="$cpu "
		t=$(throughput_round "$mode")
		log "round $round $mode: highest loss-free rate $t pps"
		TPUT[$mode]+="$t "
	done
done

m() { tr ' ' '\n' <<<"$1" | grep . | median; }
lx=$(m "${LOSS[xdp]}") ls=$(m "${LOSS[socket]}")
cx=$(m "${CPU[xdp]}") cs=$(m "${CPU[socket]}")
tx=$(m "${TPUT[xdp]}") ts=$(m "${TPUT[socket]}")
echo "bench_xdp: flood resilience (median of $ROUNDS): allowed-exporter loss xdp=$lx socket=$ls; collector CPU xdp=${cx}s socket=${cs}s (socket/xdp $(awk -v a="$cs" -v b="$cx" 'BEGIN{ if (b > 0) printf "%.1fx", a / b; else print "inf" }'))"
echo "bench_xdp: throughput (median of $ROUNDS, one worker, AF_XDP copy mode): loss-free xdp=${tx} pps socket=${ts} pps (xdp/socket $(awk -v a="$tx" -v b="$ts" 'BEGIN{ if (b > 0) printf "%.2fx", a / b; else print "inf" }'))"
