#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# XDP fast path benchmark (called by scripts/bench/bench.sh; runs alone too):
# xdpflowd (one worker, pinned to CPU BENCH_XDP_DAEMON_CPU) in a collector
# namespace, senders in a second namespace over a veth pair, the same run
# in XDP mode (--xdp, AF_XDP copy mode on veth) and in socket mode.
#  1. Flood resilience: build/bench/pace_tx floods from a source outside
#     the allow-list at its full rate (BENCH_XDP_FLOOD frames) while bench/
#     udp_replay sends NetFlow v9 from the allowed exporter at a steady
#     BENCH_XDP_STEADY pps: the allowed exporter's loss and the collector's
#     CPU time (utime+stime from /proc/PID/stat).
#  2. Throughput: the highest loss-free rate of one-flow NetFlow v9 data
#     packets from the allowed exporter, found per mode by a binary search
#     (at most BENCH_XDP_PROBES probes of BENCH_XDP_PROBE_S seconds, rates
#     up to BENCH_XDP_MAX_RATE). The sender is build/bench/pace_tx (pinned
#     to BENCH_XDP_SENDER_CPU): raw frames on an absolute schedule in
#     sendmmsg batches, reporting the rate it really held. A probe passes
#     when the sender held the rate (>= 97% of it) and every frame it sent
#     was decoded (the daemon's per-exporter packet counter, read through
#     its stats lines); a failing probe logs where frames went (the XDP
#     stats map: arrived, redirected; AF_XDP or socket drops; veth
#     counters). When the sender cannot hold a rate with no loss, the
#     collector's limit lies above what this machine can generate: the
#     result says "sender-limited" instead of inventing a figure.
# On veth the kernel half of the receive path (the XDP program, the copy
# into UMEM, or the UDP stack) runs in the sender's softirq, so it is paid
# on the sender's CPU; the collector's own CPU per packet is reported too.
# BENCH_XDP_ROUNDS rounds, modes alternating; medians and ratios. Every
# sender is bounded in count and time (pace_tx -c/-T, udp_replay -c/-T,
# timeout -k); namespaces, daemons and the bpffs are removed on exit (trap).
# Prints "bench_xdp: ..." result lines on stdout, progress on stderr.
# Knobs (environment): BENCH_XDP_PARTS ("flood throughput"),
# BENCH_XDP_MODES ("xdp socket") and the BENCH_XDP_* values below.
set -uo pipefail
cd "$(dirname "$0")/../.."

O=${O:-build}
BIN=$O/xdpflowd
REPLAY=$O/bench/udp_replay
PACE=$O/bench/pace_tx
ROUNDS=${BENCH_XDP_ROUNDS:-3}
FLOOD=${BENCH_XDP_FLOOD:-3000000}
STEADY=${BENCH_XDP_STEADY:-20000}
FRAMES=${BENCH_XDP_FRAMES:-32768}
PROBE_S=${BENCH_XDP_PROBE_S:-1}
PROBES=${BENCH_XDP_PROBES:-8}
MAX_RATE=${BENCH_XDP_MAX_RATE:-2000000}
MIN_RATE=${BENCH_XDP_MIN_RATE:-50000}
SENDER_CPU=${BENCH_XDP_SENDER_CPU:-0}
DAEMON_CPU=${BENCH_XDP_DAEMON_CPU:-$(($(nproc) > 1 ? 1 : 0))}
PARTS=${BENCH_XDP_PARTS:-flood throughput}
MODES=${BENCH_XDP_MODES:-xdp socket}
HZ=$(getconf CLK_TCK)
N=$$
C=xfb-c$N S=xfb-s$N CIF=xfbc$N SIF=xfbs$N
WORK=$(mktemp -d /tmp/xfb-XXXXXX)
DPID=
TGPID=

log() { echo "bench_xdp: $*" >&2; }

cleanup() {
	[ -n "$TGPID" ] && kill -KILL "$TGPID" 2>/dev/null
	[ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
	ip netns pids "$S" 2>/dev/null | head -100 | xargs -r kill -KILL 2>/dev/null
	ip netns pids "$C" 2>/dev/null | head -100 | xargs -r kill -KILL 2>/dev/null
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	umount -l "$WORK/bpffs" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { log "needs root (namespaces, XDP)"; exit 1; }
for t in ip taskset; do
	command -v $t >/dev/null || { log "$t is not installed"; exit 1; }
done
make --no-print-directory O="$O" "$REPLAY" "$PACE" >&2 ||
	{ log "could not build $REPLAY and $PACE"; exit 1; }
[ -x "$BIN" ] || { log "build $BIN first"; exit 1; }

. tests/bench/bench_veth.sh
bench_veth_up
bench_nf9_packets
head -c 64 /dev/zero >"$WORK/flood.bin" # the flood's payload

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
vstat() { # ns iface counter
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3" 2>/dev/null || echo 0
}
kv() { grep -oE "(^| )$1=[0-9.]+" <<<"$2" | tail -1 | cut -d= -f2; }

start_daemon() { # mode (xdp|socket)
	local extra=()
	# Equal buffering in both modes: 32768 UMEM frames (64 MiB) against
	# the socket's 64 MiB receive buffer (--rcvbuf 32M, doubled).
	[ "$1" = xdp ] && extra=(--xdp "$CIF" --xdp-frames "$FRAMES")
	ip netns exec "$C" taskset -c "$DAEMON_CPU" "$BIN" -l netflow://:2055 \
		--workers 1 --format pb --file /dev/null --stats-interval 0 \
		--allow-exporter 198.18.0.1 --bpffs "$WORK/bpffs/xdpflow" \
		"${extra[@]}" 2>"$WORK/daemon.err" &
	DPID=$!
	for _ in $(seq 200); do
		grep -q "running:" "$WORK/daemon.err" && break
		kill -0 "$DPID" 2>/dev/null || { log "xdpflowd ($1) failed: $(tail -3 "$WORK/daemon.err")"; DPID=; return 1; }
		sleep 0.1
	done
	grep -q "running:" "$WORK/daemon.err" ||
		{ log "xdpflowd ($1) did not start within 20 s: $(tail -3 "$WORK/daemon.err")"; stop_daemon; return 1; }
	if [ "$1" = xdp ] && ! grep -q "AF_XDP socket" "$WORK/daemon.err"; then
		log "xdpflowd did not open AF_XDP sockets: $(grep -E 'warn|error' "$WORK/daemon.err" | head -2)"
		stop_daemon
		return 1
	fi
	ip netns exec "$S" timeout -k 2 10 "$REPLAY" -t 198.18.0.2:2055 "$WORK/tmpl.bin" >/dev/null 2>&1
	sleep 0.2
}

stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
}

# One stats report (SIGUSR1), as "decoded rx_drops xdp_packets
# xdp_redirected xdp_not_allowed": packets decoded from the allowed
# exporter, the receive path's kernel drops (socket queue or AF_XDP ring),
# and the XDP program's counters (0 in socket mode).
report() {
	local n r
	n=$(grep -c "stats publish" "$WORK/daemon.err")
	kill -USR1 "$DPID" 2>/dev/null || { echo "0 0 0 0 0"; return 1; }
	for _ in $(seq 100); do
		[ "$(grep -c "stats publish" "$WORK/daemon.err")" -gt "$n" ] && break
		sleep 0.02
	done
	r=$(tail -20 "$WORK/daemon.err")
	echo "$(grep "stats exporter=198.18.0.1 " <<<"$r" | tail -1 | grep -oE " packets=[0-9]+" | cut -d= -f2 | grep . || echo 0)" \
		"$(kv drops "$(grep 'stats rx ' <<<"$r" | tail -1)" | grep . || echo 0)" \
		"$(grep 'stats xdp ' <<<"$r" | tail -1 | grep -oE " packets=[0-9]+" | cut -d= -f2 | grep . || echo 0)" \
		"$(kv redirected "$(grep 'stats xdp ' <<<"$r" | tail -1)" | grep . || echo 0)" \
		"$(kv dropped_not_allowed "$(grep 'stats xdp ' <<<"$r" | tail -1)" | grep . || echo 0)"
}

settle() { # waits (5 s at most) until nothing moves; prints the report
	local a b
	a=$(report)
	for _ in $(seq 25); do
		sleep 0.2
		b=$(report)
		[ "$a" = "$b" ] && break
		a=$b
	done
	echo "${b:-$a}"
}

median() { sort -g | awk '{v[NR] = $1} END { if (NR == 0) exit
	if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

#--- 1. flood resilience -------------------------------------------------------
# -> "loss cpu_seconds secs sent dropped_in_xdp veth_tx veth_tx_dropped
#     flood_sent flood_refused flood_pps"
flood_round() { # mode
	local mode=$1 d0 d1 t0 t1 out sent secs x0 x1 v0 v1 vd0 vd1 fo
	start_daemon "$mode" || return 1
	read -r d0 _ _ _ x0 < <(settle)
	t0=$(ticks "$DPID")
	v0=$(vstat "$S" "$SIF" tx_packets) vd0=$(vstat "$S" "$SIF" tx_dropped)
	# pace_tx at an unreachable rate is a full-rate flood; unlike trafgen it
	# goes on when the veth pushes back (trafgen exits on EAGAIN).
	timeout -k 2 40 ip netns exec "$S" "$PACE" -i "$SIF" -m "$CMAC" -s 198.18.0.3 -d 198.18.0.2 \
		-p 2055 -c "$FLOOD" -r 100000000 -b 64 -C "$SENDER_CPU" -T 30 "$WORK/flood.bin" \
		>"$WORK/flood.out" 2>&1 &
	TGPID=$!
	out=$(ip netns exec "$S" timeout -k 2 30 "$REPLAY" --gen nf9 --gen-count 1 \
		-t 198.18.0.2:2055 -n 1000000000 -c $((STEADY * 3)) -r "$STEADY" -T 20 2>&1 | tail -1)
	wait "$TGPID"
	TGPID=
	fo=$(tail -1 "$WORK/flood.out")
	sent=$(kv packets "$out")
	secs=$(kv seconds "$out")
	read -r d1 _ _ _ x1 < <(settle)
	t1=$(ticks "$DPID")
	v1=$(vstat "$S" "$SIF" tx_packets) vd1=$(vstat "$S" "$SIF" tx_dropped)
	stop_daemon
	echo "$((${sent:-0} - (d1 - d0))) $(awk -v t=$((t1 - t0)) -v hz="$HZ" 'BEGIN{printf "%.2f", t / hz}')" \
		"${secs:-0} ${sent:-0} $((x1 - x0)) $((v1 - v0)) $((vd1 - vd0))" \
		"$(kv sent "$fo" | grep . || echo 0) $(kv refused "$fo" | grep . || echo 0) $(kv pps "$fo" | grep . || echo 0)"
}

#--- 2. throughput ---------------------------------------------------------------
# One probe at `rate` for PROBE_S seconds. Sets P_PASS (1/0), P_HELD (the
# sender held the rate), P_ACH (achieved pps), P_LOST, P_TICKS.
probe() { # mode rate
	local mode=$1 rate=$2 count out sent refused lag d0 d1 rd0 rd1 xp0 xp1 xr0 xr1
	local vr0 vr1 vd0 vd1 t0 t1
	count=$(awk -v r="$rate" -v s="$PROBE_S" 'BEGIN {printf "%d", r * s}')
	read -r d0 rd0 xp0 xr0 _ < <(settle)
	vr0=$(vstat "$C" "$CIF" rx_packets) vd0=$(vstat "$C" "$CIF" rx_dropped)
	t0=$(ticks "$DPID")
	out=$(ip netns exec "$S" timeout -k 2 $((PROBE_S * 4 + 10)) "$PACE" -i "$SIF" -m "$CMAC" \
		-s 198.18.0.1 -d 198.18.0.2 -p 2055 -c "$count" -r "$rate" -C "$SENDER_CPU" \
		-T $((PROBE_S * 4 + 5)) "$WORK/data.bin" 2>&1)
	read -r d1 rd1 xp1 xr1 _ < <(settle)
	t1=$(ticks "$DPID")
	vr1=$(vstat "$C" "$CIF" rx_packets) vd1=$(vstat "$C" "$CIF" rx_dropped)
	sent=$(kv sent "$out") refused=$(kv refused "$out") lag=$(kv max_lag_us "$out")
	P_ACH=$(kv pps "$out")
	if [ -z "$sent" ]; then
		log "$mode at $rate pps: pace_tx failed: $out"
		P_PASS=0 P_HELD=0 P_ACH=0 P_LOST=$count P_TICKS=0
		return
	fi
	P_LOST=$((sent + refused - (d1 - d0)))
	P_TICKS=$((t1 - t0))
	P_HELD=$(awk -v a="$P_ACH" -v r="$rate" 'BEGIN {print (a >= 0.97 * r) ? 1 : 0}')
	P_PASS=$([ "$P_LOST" = 0 ] && [ "$P_HELD" = 1 ] && echo 1 || echo 0)
	log "  $mode probe $rate pps: sender sent $sent (+$refused refused) at $P_ACH pps (max lag ${lag}us)," \
		"decoded $((d1 - d0)), lost $P_LOST; veth rx $((vr1 - vr0)) dropped $((vd1 - vd0));" \
		"$([ "$mode" = xdp ] && echo "xdp arrived $((xp1 - xp0)) redirected $((xr1 - xr0)), AF_XDP" || echo "socket") drops $((rd1 - rd0));" \
		"collector CPU $(awk -v t="$P_TICKS" -v hz="$HZ" 'BEGIN {printf "%.2f", t / hz}')s"
}

# Binary search for the highest loss-free rate, between BENCH_XDP_MIN_RATE
# (probed first) and BENCH_XDP_MAX_RATE, to about 3%. Prints "rate
# limited_by pkts_per_cpu_s": limited_by is "collector" (a probe above lost
# packets), "sender" (the sender could not hold a higher rate, and lost
# nothing) or "max" (nothing above was refused); pkts_per_cpu_s is the
# collector's packets per CPU-second at the highest passing probe.
throughput_round() { # mode
	local mode=$1 lo=0 hi=$MAX_RATE mid best_cpu=0 limit=max i
	start_daemon "$mode" || { echo "0 failed 0"; return; }
	for i in $(seq "$PROBES"); do
		if [ "$i" = 1 ]; then mid=$MIN_RATE; else mid=$(((lo + hi) / 2)); fi
		probe "$mode" "$mid"
		if [ "$P_PASS" = 1 ]; then
			lo=$mid
			[ "$P_TICKS" -gt 0 ] && best_cpu=$(awk -v r="$mid" -v s="$PROBE_S" -v t="$P_TICKS" \
				-v hz="$HZ" 'BEGIN {printf "%d", r * s / (t / hz)}')
		else
			# what the sender really offered bounds the next probes
			hi=$(awk -v m="$mid" -v a="${P_ACH:-0}" 'BEGIN {printf "%d", (a > 0 && a < m) ? a : m}')
			[ "$P_LOST" = 0 ] && limit=sender || limit=collector
			[ "$i" = 1 ] && break
		fi
		[ $((hi - lo)) -le $((hi / 32)) ] && break
	done
	stop_daemon
	echo "$lo $limit $best_cpu"
}

declare -A LOSS CPU TPUT LIM PPC FPPS
for round in $(seq "$ROUNDS"); do
	modes=$MODES
	[ $((round % 2)) = 0 ] && modes=$(tr ' ' '\n' <<<"$MODES" | tac | xargs)
	for mode in $modes; do
		if [[ " $PARTS " == *" flood "* ]]; then
			if read -r loss cpu secs sent xdrop vtx vdrop fsent fref fpps < <(flood_round "$mode"); then
				log "round $round $mode: flood of $fsent frames (+$fref refused by the veth) at $fpps pps" \
					"from an unlisted source + $sent allowed packets at $STEADY pps over ${secs}s" \
					"(veth carried $vtx frames; $xdrop dropped in XDP): allowed lost $loss" \
					"($((sent - (vtx - fsent))) of them dropped by the sending veth, before XDP), collector CPU ${cpu}s"
				FPPS[$mode]+="$fpps "
				LOSS[$mode]+="$loss "
				CPU[$mode]+="$cpu "
			else
				log "round $round $mode: flood round failed"
			fi
		fi
		if [[ " $PARTS " == *" throughput "* ]]; then
			read -r t lim ppc < <(throughput_round "$mode")
			log "round $round $mode: highest loss-free rate $t pps ($lim-limited), collector $ppc packets per CPU-second"
			TPUT[$mode]+="$t "
			LIM[$mode]+="$lim "
			PPC[$mode]+="$ppc "
		fi
	done
done

m() { tr ' ' '\n' <<<"$1" | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { if (b > 0) printf f "x", a / b; else print "n/a" }'; }
uniqs() { tr ' ' '\n' <<<"$1" | grep . | sort | uniq -c | awk '{printf "%s%s x%s", n++ ? ", " : "", $2, $1}'; }
if [[ " $PARTS " == *" flood "* ]]; then
	lx=$(m "${LOSS[xdp]:-}") ls=$(m "${LOSS[socket]:-}")
	cx=$(m "${CPU[xdp]:-}") cs=$(m "${CPU[socket]:-}")
	echo "bench_xdp: flood resilience (median of $ROUNDS, flood of $FLOOD frames at xdp=$(m "${FPPS[xdp]:-}")" \
		"socket=$(m "${FPPS[socket]:-}") pps + $STEADY pps allowed): allowed-exporter loss xdp=${lx:-n/a} socket=${ls:-n/a};" \
		"collector CPU xdp=${cx:-n/a}s socket=${cs:-n/a}s (socket/xdp $(ratio "${cs:-0}" "${cx:-0}" %.1f))"
fi
if [[ " $PARTS " == *" throughput "* ]]; then
	tx=$(m "${TPUT[xdp]:-}") ts=$(m "${TPUT[socket]:-}")
	px=$(m "${PPC[xdp]:-}") ps=$(m "${PPC[socket]:-}")
	echo "bench_xdp: throughput (median of $ROUNDS, one worker on CPU $DAEMON_CPU, sender on CPU $SENDER_CPU," \
		"AF_XDP copy mode on veth): highest loss-free rate xdp=${tx:-n/a} pps socket=${ts:-n/a} pps" \
		"(xdp/socket $(ratio "${tx:-0}" "${ts:-0}" %.2f); targets >=2x and >=1000000 pps:" \
		"$(awk -v x="${tx:-0}" -v s="${ts:-0}" 'BEGIN { print (s > 0 && x >= 2 * s && x >= 1000000) ? "met" : "not met" }'))"
	echo "bench_xdp: throughput limited by: xdp $(uniqs "${LIM[xdp]:-}"); socket $(uniqs "${LIM[socket]:-}")" \
		"(sender: this machine could not generate more without loss, the collector's limit is higher)"
	echo "bench_xdp: collector CPU per packet at the highest loss-free rate (median): xdp=${px:-n/a}" \
		"socket=${ps:-n/a} packets per CPU-second (xdp/socket $(ratio "${px:-0}" "${ps:-0}" %.2f); kernel receive" \
		"work is on the sender's CPU on veth)"
fi
