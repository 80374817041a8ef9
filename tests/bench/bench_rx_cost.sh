#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Receive-path cost on the whole machine (issue 11, "The receive paths,
# measured honestly"; called by scripts/bench/bench.sh with BENCH_RX_COST=1,
# runs alone too). On veth the kernel half of receive runs in the sender's
# softirq, so the collector's own CPU hides what XDP saves or costs; this
# script charges everything to the packet instead:
#  - xdpflowd (one worker) in a collector namespace, build/bench/pace_tx in
#    a sender namespace over a veth pair, one-flow NetFlow v9 data frames at
#    fixed offered rates (BENCH_RX_RATES) for BENCH_RX_SECONDS each, in
#    sendmmsg batches of BENCH_RX_BATCH frames, the sender asleep between
#    batches (pace_tx --full-batches: a spinning sender would hide the
#    softirq work done in its context, which only replaces spin time);
#  - modes: "native" (--xdp, native XDP on veth, AF_XDP copy mode), "skb"
#    (--xdp --xdp-mode skb, generic XDP), "native-cN" and "skb-cN" (the
#    same with --xdp-coalesce-us N; native-c0 and skb-c0: each packet
#    wakes the worker, as before wakeup coalescing), "socket" (plain UDP
#    socket), and
#    "send": native XDP with the frames sent from 198.18.0.3, outside
#    --allow-exporter, so the XDP program drops each one at its first look.
#    That run is the send path (sendmmsg, AF_PACKET, the veth transmit and
#    one XDP verdict), the same in every mode;
#  - whole-machine CPU from /proc/stat (user+system+irq+softirq+steal of all
#    CPUs; "nice" is left out, since the other jobs sharing this machine run
#    niced builds, and our processes run at nice 0) over the send window,
#    minus an idle baseline measured the same way with nothing of ours
#    running (once per round, BENCH_RX_IDLE_SECONDS), divided by the frames
#    sent; then minus the "send" mode's figure at the same rate, round and
#    pinning: what remains is receive + decode per packet;
#  - pinned (sender on BENCH_RX_SENDER_CPU, collector on BENCH_RX_DAEMON_CPU)
#    and unpinned (neither is pinned);
#  - BENCH_RX_ROUNDS rounds, mode order rotating per round; medians; ratios
#    native/socket and skb/native per rate and pinning;
#  - a flood from the unlisted source at each flood sender's full rate for
#    BENCH_RX_FLOOD_SECONDS, in native XDP and socket mode, pinned and
#    unpinned, with the allowed exporter sending beside it: whole-machine
#    CPU (idle subtracted) per flood frame and in total, socket/xdp ratio
#    (issue 11's target: >= 3x lower in XDP mode), the allowed exporter's
#    loss and where the flood frames went. Two senders side by side:
#    "wire" (build/bench/wire_tx: XDP frames into the veth's ring, no skb,
#    as frames from a link reach a NIC driver) and "pace" (pace_tx, an
#    AF_PACKET socket: an skb per frame, copied again by veth before native
#    XDP); see the section's comment.
# A point counts only if the collector decoded every frame of the allowed
# exporter (the daemon's per-exporter counter); otherwise it is logged and
# left out of the medians. With BENCH_RX_PERF=SECONDS (0: off), after the
# rounds, `perf record -a -g -e cpu-clock` samples one pinned point at the
# first rate (or each of BENCH_RX_PERF_RATES) per mode of
# BENCH_RX_PERF_MODES ("native socket"): the top
# symbols of our own threads and the steps of the path in ns per frame (the
# perf points are not part of the medians: perf costs CPU itself).
# Every loop and sender is bounded (seq, pace_tx and wire_tx -c/-T,
# timeout -k); the namespaces, the veth pair, the daemon and the bpffs go
# on exit (trap).
# Prints "bench_rx_cost: ..." result lines on stdout, progress on stderr.
# Findings, profiles and the tables of the last runs: docs/bench/rx-cost.md.
# Knobs (environment): BENCH_RX_RATES ("100000 300000 600000"),
# BENCH_RX_SECONDS (3), BENCH_RX_ROUNDS (3), BENCH_RX_MODES ("native
# native-c0 skb skb-c0 socket send"), BENCH_RX_DAEMON_OPTS (more xdpflowd
# options for the XDP modes, e.g. "--xdp-coalesce-us 50"), BENCH_RX_PINS ("pinned unpinned"), BENCH_RX_IDLE_SECONDS
# (3), BENCH_RX_FLOOD_SECONDS (3; 0 skips the flood), BENCH_RX_FRAMES
# (32768), BENCH_RX_BATCH (32), BENCH_RX_SENDER_CPU (0), BENCH_RX_DAEMON_CPU
# (1), BENCH_RX_PERF (0), BENCH_RX_PERF_MODES, BENCH_RX_PERF_KEEP (a path
# prefix to keep each mode's perf.data at: PREFIX.MODE.RATE),
# BENCH_RX_PERF_RATES, BENCH_RX_STAT (0; 1: perf stat counts, see below),
# BENCH_RX_PARTS ("paced flood": the fixed-rate points and the flood),
# BENCH_RX_FLOOD_SENDERS ("wire pace"), BENCH_RX_FLOOD_PINS (BENCH_RX_PINS),
# BENCH_RX_FLOOD_ALLOWED (10000 pps from the allowed exporter during the
# flood; 0: none), BENCH_RX_FLOOD_FRAMES (100000000 at most per flood),
# BENCH_RX_FLOOD_PERF (0; SECONDS: perf record -a -g of one pinned flood
# per sender and mode: ns per flood frame by command and by step of the
# path, and the socket/xdp ratio of our processes' samples),
# BENCH_RX_FLOOD_IDLE_EACH (1: an idle baseline before each flood window;
# 0: one per round).
set -uo pipefail
cd "$(dirname "$0")/../.."

O=${O:-build}
BIN=$O/xdpflowd
REPLAY=$O/bench/udp_replay
PACE=$O/bench/pace_tx
WIRE=$O/bench/wire_tx
RATES=${BENCH_RX_RATES:-100000 300000 600000}
SECS=${BENCH_RX_SECONDS:-3}
ROUNDS=${BENCH_RX_ROUNDS:-3}
MODES=${BENCH_RX_MODES:-native native-c0 skb skb-c0 socket send}
PINS=${BENCH_RX_PINS:-pinned unpinned}
IDLE_S=${BENCH_RX_IDLE_SECONDS:-3}
FLOOD_S=${BENCH_RX_FLOOD_SECONDS:-3}
FLOOD_SENDERS=${BENCH_RX_FLOOD_SENDERS:-wire pace}
FLOOD_PINS=${BENCH_RX_FLOOD_PINS:-$PINS}
FLOOD_ALLOWED=${BENCH_RX_FLOOD_ALLOWED:-10000}
FLOOD_MAX=${BENCH_RX_FLOOD_FRAMES:-100000000}
FLOOD_IDLE=${BENCH_RX_FLOOD_IDLE_EACH:-1}
PARTS=${BENCH_RX_PARTS:-paced flood}
FRAMES=${BENCH_RX_FRAMES:-32768}
SENDER_CPU=${BENCH_RX_SENDER_CPU:-0}
DAEMON_CPU=${BENCH_RX_DAEMON_CPU:-$(($(nproc) > 1 ? 1 : 0))}
PERF_S=${BENCH_RX_PERF:-0}
PERF_MODES=${BENCH_RX_PERF_MODES:-native socket}
BATCH=${BENCH_RX_BATCH:-32}
# the steps the profile reports, in path order (sender side, then collector)
PERF_STEPS="__sendmmsg packet_sendmsg veth_xmit handle_softirqs veth_poll veth_xdp_rcv_skb
skb_pp_cow_data bpf_prog_run_generic_xdp xdp_do_redirect __xsk_map_redirect __xsk_rcv __xsk_map_flush
sock_def_readable try_to_wake_up __netif_receive_skb_core __udp4_lib_rcv consume_skb clock_nanosleep
__poll do_sys_poll xsk_poll udp_poll __getsockopt __recvfrom __recvmmsg __vdso_clock_gettime
xsk_rx_recv xsk_frame_parse nf_state_tmpl_find decode_set nf_state_sampler nf_fields_walk map_find
encode_pbgen_flow_body"
# the steps the flood profile reports, in path order
FLOOD_STEPS="xdp_test_run_batch.constprop.0 __sendmmsg packet_sendmsg sock_alloc_send_pskb
skb_copy_datagram_from_iter veth_xmit veth_ndo_xdp_xmit veth_poll veth_xdp_rcv veth_xdp_rcv_one
veth_xdp_rcv_skb skb_pp_cow_data xdpflow_xdp_prog xdp_do_redirect_frame consume_skb
xdp_return_frame page_pool_put_unrefed_netmem veth_xdp_rcv_bulk_skb.isra.0 gro_receive_skb __netif_rx
process_backlog netif_receive_skb_list_internal ip_list_rcv ip_rcv ip_route_input_noref __udp4_lib_rcv
udp_queue_rcv_one_skb __udp_enqueue_schedule_skb sock_def_readable skb_defer_free_flush __recvmmsg
do_recvmmsg udpv6_recvmsg __poll"
HZ=$(getconf CLK_TCK)
N=$$
C=xrc-c$N S=xrc-s$N CIF=xrcc$N SIF=xrcs$N
WORK=$(mktemp -d /tmp/xrc-XXXXXX)
DPID=

log() { echo "bench_rx_cost: $*" >&2; }

cleanup() {
	[ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
	ip netns pids "$S" 2>/dev/null | head -100 | xargs -r kill -KILL 2>/dev/null
	ip netns pids "$C" 2>/dev/null | head -100 | xargs -r kill -KILL 2>/dev/null
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	ip link del "$SIF" 2>/dev/null # only if a half-made pair was left behind
	umount -l "$WORK/bpffs" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { log "needs root (namespaces, XDP)"; exit 1; }
for t in ip taskset python3 ethtool; do
	command -v $t >/dev/null || { log "$t is not installed"; exit 1; }
done
[ "$(nproc)" -gt 1 ] || log "warning: one CPU only; pinned and unpinned runs are the same"
make --no-print-directory O="$O" "$REPLAY" "$PACE" "$WIRE" >&2 ||
	{ log "could not build $REPLAY, $PACE and $WIRE"; exit 1; }
[ -x "$BIN" ] || { log "build $BIN first"; exit 1; }

. tests/bench/bench_veth.sh
bench_veth_up
bench_nf9_packets

# Busy clock ticks of all CPUs (user system irq softirq steal; not nice,
# idle or iowait) and the monotonic time in ns.
busy() { awk '/^cpu /{print $2 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
now_ns() { date +%s%N; }
# CPU clock ticks of the collector and of the ksoftirqd threads
own_ticks() {
	local p t=0
	for p in ${DPID:-} $(pgrep -x 'ksoftirqd/[0-9]+' | head -64); do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
kv() { grep -oE "(^| )$1=[0-9.]+" <<<"$2" | tail -1 | cut -d= -f2; }

start_daemon() { # mode pin
	local extra=() pin=()
	case $1 in
	native | send) extra=(--xdp "$CIF" --xdp-mode native --xdp-frames "$FRAMES") ;;
	skb) extra=(--xdp "$CIF" --xdp-mode skb --xdp-frames "$FRAMES") ;;
	native-c[0-9]* | skb-c[0-9]*)
		extra=(--xdp "$CIF" --xdp-mode "${1%%-*}" --xdp-frames "$FRAMES" --xdp-coalesce-us "${1##*-c}") ;;
	esac
	[ -n "${BENCH_RX_DAEMON_OPTS:-}" ] && [ "$1" != socket ] && read -ra dopts <<<"$BENCH_RX_DAEMON_OPTS" && extra+=("${dopts[@]}")
	[ "$2" = pinned ] && pin=(taskset -c "$DAEMON_CPU")
	: >"$WORK/daemon.err"
	ip netns exec "$C" "${pin[@]}" "$BIN" -l netflow://:2055 \
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
	if [ "$1" != socket ] && ! grep -q "AF_XDP socket" "$WORK/daemon.err"; then
		log "xdpflowd ($1) did not open AF_XDP sockets: $(grep -E 'warn|error' "$WORK/daemon.err" | head -2)"
		stop_daemon
		return 1
	fi
	ip netns exec "$S" timeout -k 2 10 "$REPLAY" -t 198.18.0.2:2055 "$WORK/tmpl.bin" >/dev/null 2>&1
	sleep 0.3
}

stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
}

# Packets decoded from the allowed exporter so far (one SIGUSR1 report).
decoded() {
	local n
	n=$(grep -c "stats publish" "$WORK/daemon.err")
	kill -USR1 "$DPID" 2>/dev/null || { echo 0; return 1; }
	for _ in $(seq 100); do
		[ "$(grep -c "stats publish" "$WORK/daemon.err")" -gt "$n" ] && break
		sleep 0.02
	done
	tail -20 "$WORK/daemon.err" | grep "stats exporter=198.18.0.1 " | tail -1 |
		grep -oE " packets=[0-9]+" | cut -d= -f2 | grep . || echo 0
}

# Idle baseline: busy ticks per second with nothing of ours running.
idle_rate() {
	local b0 b1 t0 t1
	b0=$(busy) t0=$(now_ns)
	sleep "$IDLE_S"
	b1=$(busy) t1=$(now_ns)
	awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN {printf "%.3f", b / (t / 1e9)}'
}

# One send window: pace_tx at `rate` from `src` (sender pinned or not), at
# most `count` frames (default rate * SECS) and `max_s` seconds (default
# 2 * SECS + 5); whole-machine busy ticks from just before it starts to
# 0.2 s after it ends (the collector drains); and "own" CPU seconds: the
# sender's (rusage), the collector's and ksoftirqd's (/proc/PID/stat), which
# leaves out the other jobs on a shared machine, but also softirq work that
# a tick caught in someone else's task. Prints "sent refused pps
# busy_ticks elapsed_s own_s".
send_window() { # rate src pin [count [max_s]]
	local rate=$1 src=$2 count=${4:-} max_s=${5:-$((SECS * 2 + 5))} cpu=() b0 b1 t0 t1 o0 o1 out TIMEFORMAT
	[ -n "$count" ] || count=$(awk -v r="$rate" -v s="$SECS" 'BEGIN {printf "%d", r * s}')
	[ "$3" = pinned ] && cpu=(-C "$SENDER_CPU")
	TIMEFORMAT='%3U %3S'
	o0=$(own_ticks) b0=$(busy) t0=$(now_ns)
	{ time ip netns exec "$S" timeout -k 2 $((max_s + 10)) "$PACE" -i "$SIF" -m "$CMAC" \
		-s "$src" -d 198.18.0.2 -p 2055 -c "$count" -r "$rate" -b "$BATCH" -F "${cpu[@]}" \
		-T "$max_s" "$WORK/data.bin" >"$WORK/pace.out" 2>&1; } 2>"$WORK/pace.time"
	sleep 0.2
	b1=$(busy) t1=$(now_ns) o1=$(own_ticks)
	out=$(cat "$WORK/pace.out")
	[ -n "$(kv sent "$out")" ] || { log "pace_tx failed: $out"; return 1; }
	echo "$(kv sent "$out") $(kv refused "$out") $(kv pps "$out") $((b1 - b0))" \
		"$(awk -v t=$((t1 - t0)) 'BEGIN {printf "%.3f", t / 1e9}')" \
		"$(awk -v o=$((o1 - o0)) -v hz="$HZ" '{printf "%.3f", $1 + $2 + o / hz}' "$WORK/pace.time")"
}

# ns of whole-machine CPU per frame, idle subtracted
per_pkt() { # busy_ticks elapsed_s idle_rate sent [hz]
	awk -v b="$1" -v e="$2" -v i="$3" -v n="$4" -v hz="${5:-$HZ}" \
		'BEGIN { if (n > 0) printf "%.0f", (b - i * e) / hz * 1e9 / n; else print "" }'
}

median() { sort -g | awk '{v[NR] = $1} END { if (NR == 0) exit
	if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

m() { tr ' ' '\n' <<<"$1" | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && a > 0 && b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
list() { tr ' ' '\n' <<<"$1" | grep . | sort -g | xargs | tr ' ' ','; }

if [[ " $PARTS " == *" paced "* ]]; then
declare -A PP # "mode pin rate round" -> ns per frame (whole machine - idle)
declare -A RX # "mode pin rate" -> receive+decode ns per frame, one per round
declare -A HELD PO RXO # PO, RXO: the same from the "own" CPU
IDLES=
for round in $(seq "$ROUNDS"); do
	idle=$(idle_rate)
	IDLES+="$idle "
	log "round $round: idle baseline $idle busy ticks/s (HZ $HZ, $(nproc) CPUs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	# rotate the mode order per round
	read -ra ms <<<"$MODES"
	k=$(((round - 1) % ${#ms[@]}))
	order=("${ms[@]:k}" "${ms[@]:0:k}")
	for pin in $PINS; do
		for mode in "${order[@]}"; do
			start_daemon "$mode" "$pin" || continue
			src=198.18.0.1
			[ "$mode" = send ] && src=198.18.0.3
			for rate in $RATES; do
				d0=$(decoded)
				read -r sent refused pps b el own < <(send_window "$rate" "$src" "$pin") || continue
				d1=$(decoded)
				v=$(per_pkt "$b" "$el" "$idle" "$sent")
				vo=$(per_pkt "$own" 0 0 "$sent" 1)
				ok=1
				[ "$refused" = 0 ] || ok=0
				[ "$mode" != send ] && [ $((d1 - d0)) != "$sent" ] && ok=0
				held=$(awk -v a="$pps" -v r="$rate" 'BEGIN {print (a >= 0.97 * r) ? 1 : 0}')
				[ "$held" = 1 ] || HELD[$mode $pin $rate]=no
				log "  round $round $pin $mode $rate pps: sent $sent (+$refused refused) at $pps pps, decoded $((d1 - d0))," \
					"busy $b ticks in ${el}s -> $v ns/frame (idle subtracted); own ${own}s -> $vo ns/frame" \
					"$([ "$ok" = 1 ] || echo "[LOSS: left out]")$([ "$held" = 1 ] || echo " [sender did not hold the rate]")"
				[ "$ok" = 1 ] && PP[$mode $pin $rate $round]=$v PO[$mode $pin $rate $round]=$vo
			done
			stop_daemon
		done
		for rate in $RATES; do
			s=${PP[send $pin $rate $round]:-} so=${PO[send $pin $rate $round]:-}
			[ -n "$s" ] || continue
			for mode in $MODES; do
				[ "$mode" = send ] && continue
				v=${PP[$mode $pin $rate $round]:-} vo=${PO[$mode $pin $rate $round]:-}
				[ -n "$v" ] && RX[$mode $pin $rate]+="$((v - s)) " RXO[$mode $pin $rate]+="$((vo - so)) "
			done
		done
	done
done


echo "bench_rx_cost: one-flow NetFlow v9, $SECS s per point, $ROUNDS rounds, medians in ns per frame sent" \
	"(per-round values in brackets); \"whole\": whole-machine CPU (user+system+irq+softirq+steal, all CPUs," \
	"/proc/stat) minus the idle baseline (median $(m "$IDLES") ticks/s of $(($(nproc) * HZ)));" \
	"\"own\": sender + collector + ksoftirqd CPU; rx+decode = mode - send path, same round;" \
	"load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
summary() { # label, name of the per-point array, name of the rx+decode array
	local -n pp=$2 rx=$3
	local pin rate mode where sp line xs ss ks
	for pin in $PINS; do
		[ "$pin" = pinned ] && where="sender on CPU $SENDER_CPU, collector on CPU $DAEMON_CPU" || where="unpinned"
		for rate in $RATES; do
			sp=$(m "$(for r in $(seq "$ROUNDS"); do echo "${pp[send $pin $rate $r]:-}"; done | xargs)")
			line="$1, $pin ($where), $rate pps: send path ${sp:-n/a};"
			for mode in $MODES; do
				[ "$mode" = send ] && continue
				line+=" $mode total $(m "$(for r in $(seq "$ROUNDS"); do echo "${pp[$mode $pin $rate $r]:-}"; done | xargs)" | grep . || echo n/a)"
				line+=" rx+decode $(m "${rx[$mode $pin $rate]:-}" | grep . || echo n/a) [$(list "${rx[$mode $pin $rate]:-}")];"
				[ -n "${HELD[$mode $pin $rate]:-}" ] && line+=" ($mode: the sender did not hold the rate in some round)"
			done
			xs=$(m "${rx[native $pin $rate]:-}") ss=$(m "${rx[socket $pin $rate]:-}") ks=$(m "${rx[skb $pin $rate]:-}")
			x0=$(m "${rx[native-c0 $pin $rate]:-}") k0=$(m "${rx[skb-c0 $pin $rate]:-}")
			line+=" rx+decode native/socket $(ratio "$xs" "$ss") (target <= 0.7x), skb/socket $(ratio "$ks" "$ss"), skb/native $(ratio "$ks" "$xs");"
			line+=" without coalescing: native-c0/socket $(ratio "$x0" "$ss"), skb-c0/socket $(ratio "$k0" "$ss");"
			line+=" coalescing on/off: native $(ratio "$xs" "$x0"), skb $(ratio "$ks" "$k0")"
			echo "bench_rx_cost: $line"
		done
	done
}
summary whole PP RX
summary own PO RXO
[ "$(awk -v i="$(m "$IDLES")" -v c=$(($(nproc) * HZ)) 'BEGIN {print (i > 0.2 * c) ? 1 : 0}')" = 1 ] &&
	echo "bench_rx_cost: warning: the machine was over 20% busy when idle (other jobs); the \"whole\"" \
		"figures are unreliable (our work displaces theirs), prefer \"own\" and rerun on a quiet machine"

fi

#--- flood from an unlisted source --------------------------------------------
# Each flood sender of BENCH_RX_FLOOD_SENDERS floods from 198.18.0.3 at its
# full rate for FLOOD_S seconds (at most BENCH_RX_FLOOD_FRAMES frames) while
# pace_tx sends BENCH_RX_FLOOD_ALLOWED pps from the allowed exporter, in
# native XDP and socket mode, pinned and unpinned (BENCH_RX_FLOOD_PINS),
# BENCH_RX_ROUNDS rounds with the order rotating; whole-machine CPU (idle
# subtracted) per flood frame, the socket/xdp ratio per sender, the allowed
# exporter's loss, and where the flood frames went (the XDP program's
# dropped_not_allowed; in socket mode the daemon's not_allowed, its socket
# drops and the collector namespace's UDP counters).
#  - "wire": build/bench/wire_tx, XDP frames into the collector veth's ring
#    (BPF_PROG_TEST_RUN live frames: no skb, no syscall per batch), the
#    nearest a veth gets to frames arriving from a link. veth accepts XDP
#    frames only when the receiving end has NAPI on, so the collector's veth
#    gets GRO on (`ethtool -K`) for this sender, as a NIC driver has; with
#    no XDP program veth builds an skb around each frame, as a driver does.
#  - "pace": build/bench/pace_tx, an AF_PACKET socket (qdisc bypassed):
#    sendmmsg, an skb per frame, veth_xmit, and in XDP mode veth's copy of
#    the skb into a page_pool page before the program runs.
# The per-frame figures include the sender's own cost; the XDP mode's
# figure, where every flood frame is dropped at the program's first look,
# is that sender's cost plus the drop.
flood_window() { # sender mode pin -> "sent pps busy elapsed own dec_allowed allowed_sent na sockdrop xdpdrop udpin udperr"
	local snd=$1 mode=$2 pin=$3 cpu=() acpu=() b0 b1 t0 t1 o0 o1 out TIMEFORMAT apid= s0 s1 u0 u1 asent
	[ "$pin" = pinned ] && cpu=(-C "$SENDER_CPU") && acpu=(-C "$SENDER_CPU")
	s0=$(snap) u0=$(udp_counters)
	rm -f "$WORK/allowed.time"
	TIMEFORMAT='%3U %3S'
	o0=$(own_ticks) b0=$(busy) t0=$(now_ns)
	if [ "$FLOOD_ALLOWED" != 0 ]; then
		# its rusage counts in "own": softirq work of the flood can run in
		# its context (the same veth ring)
		{ time ip netns exec "$S" timeout -k 2 $((FLOOD_S + 20)) "$PACE" -i "$SIF" -m "$CMAC" \
			-s 198.18.0.1 -d 198.18.0.2 -p 2055 -c $((FLOOD_ALLOWED * FLOOD_S)) -r "$FLOOD_ALLOWED" \
			-b 8 -F "${acpu[@]}" -T $((FLOOD_S + 5)) "$WORK/data.bin" >"$WORK/allowed.out" 2>&1; } 2>"$WORK/allowed.time" &
		apid=$!
	fi
	if [ "$snd" = wire ]; then
		{ time ip netns exec "$S" timeout -k 2 $((FLOOD_S + 20)) "$WIRE" -i "$SIF" -m "$CMAC" \
			-s 198.18.0.3 -d 198.18.0.2 -p 2055 -c "$FLOOD_MAX" -T "$FLOOD_S" "${cpu[@]}" \
			"$WORK/data.bin" >"$WORK/flood.out" 2>&1; } 2>"$WORK/flood.time"
	else
		{ time ip netns exec "$S" timeout -k 2 $((FLOOD_S + 20)) "$PACE" -i "$SIF" -m "$CMAC" \
			-s 198.18.0.3 -d 198.18.0.2 -p 2055 -c "$FLOOD_MAX" -r 100000000 -b "$BATCH" -F \
			"${cpu[@]}" -T "$FLOOD_S" "$WORK/data.bin" >"$WORK/flood.out" 2>&1; } 2>"$WORK/flood.time"
	fi
	[ -n "$apid" ] && wait "$apid"
	sleep 0.2
	b1=$(busy) t1=$(now_ns) o1=$(own_ticks)
	s1=$(snap) u1=$(udp_counters)
	out=$(cat "$WORK/flood.out")
	[ -n "$(kv sent "$out")" ] || { log "$snd failed: $out"; return 1; }
	asent=0
	[ -n "$apid" ] && asent=$(kv sent "$(cat "$WORK/allowed.out")")
	read -r d0 na0 sd0 xd0 <<<"$s0"
	read -r d1 na1 sd1 xd1 <<<"$s1"
	read -r ui0 ue0 <<<"$u0"
	read -r ui1 ue1 <<<"$u1"
	echo "$(kv sent "$out") $(kv pps "$out") $((b1 - b0))" \
		"$(awk -v t=$((t1 - t0)) 'BEGIN {printf "%.3f", t / 1e9}')" \
		"$(cat "$WORK/flood.time" "$WORK/allowed.time" 2>/dev/null | awk -v o=$((o1 - o0)) -v hz="$HZ" \
			'{s += $1 + $2} END {printf "%.3f", s + o / hz}')" \
		"$((d1 - d0)) ${asent:-0} $((na1 - na0)) $((sd1 - sd0)) $((xd1 - xd0)) $((ui1 - ui0)) $((ue1 - ue0))"
}

# The daemon's counters (one SIGUSR1 report): packets decoded from the
# allowed exporter, not_allowed, socket drops, the XDP program's
# dropped_not_allowed.
snap() {
	local n
	n=$(grep -c "stats publish" "$WORK/daemon.err")
	kill -USR1 "$DPID" 2>/dev/null || { echo "0 0 0 0"; return 1; }
	for _ in $(seq 100); do
		[ "$(grep -c "stats publish" "$WORK/daemon.err")" -gt "$n" ] && break
		sleep 0.02
	done
	tail -20 "$WORK/daemon.err" | awk '
		/stats exporter=198\.18\.0\.1 / { for (i = 1; i <= NF; i++) if ($i ~ /^packets=/) { sub(/.*=/, "", $i); d = $i } }
		/stats rx / { for (i = 1; i <= NF; i++) if ($i ~ /^not_allowed=/) { sub(/.*=/, "", $i); na = $i } }
		/stats socket / { for (i = 1; i <= NF; i++) if ($i ~ /^drops=/) { sub(/.*=/, "", $i); sd = $i } }
		/stats xdp / { for (i = 1; i <= NF; i++) if ($i ~ /^dropped_not_allowed=/) { sub(/.*=/, "", $i); xd = $i } }
		END { printf "%d %d %d %d\n", d, na, sd, xd }'
}
# The collector namespace's UDP InDatagrams and InErrors (/proc/net/snmp).
udp_counters() {
	ip netns exec "$C" awk '/^Udp: [0-9]/ {print $2, $4; exit}' /proc/net/snmp
}
set_gro() { # on|off: the collector veth's GRO (NAPI for XDP frames)
	ip netns exec "$C" ethtool -K "$CIF" gro "$1" >/dev/null 2>&1 ||
		{ log "could not turn GRO $1 on $CIF"; return 1; }
}

if [ "$FLOOD_S" != 0 ] && [[ " $PARTS " == *" flood "* ]]; then
	declare -A FL FP FO FR FA FW
	IDLES_F=
	# "sender pin mode" -> per round: CPU seconds, ns/frame whole, ns/frame
	# own, frames/s, allowed-exporter loss %, where the frames went
	for round in $(seq "$ROUNDS"); do
		[ "$FLOOD_IDLE" = 1 ] || { idle=$(idle_rate); IDLES_F+="$idle "; }
		log "flood round $round: idle baseline ${idle:-(before each window)}, load average $(cut -d' ' -f1-3 /proc/loadavg)"
		read -ra fs <<<"$FLOOD_SENDERS"
		k=$(((round - 1) % ${#fs[@]}))
		sorder=("${fs[@]:k}" "${fs[@]:0:k}")
		for pin in $FLOOD_PINS; do
			for snd in "${sorder[@]}"; do
				modes="native socket"
				[ $((round % 2)) = 0 ] && modes="socket native"
				for mode in $modes; do
					if [ "$snd" = wire ]; then set_gro on || continue; else set_gro off || continue; fi
					start_daemon "$mode" "$pin" || continue
					# the idle baseline just before each window: other jobs
					# on a shared machine drift within a round
					[ "$FLOOD_IDLE" = 1 ] && idle=$(idle_rate)
					IDLES_F+="$idle "
					read -r sent pps b el own dal asent na sd xd ui ue < <(flood_window "$snd" "$mode" "$pin") ||
						{ stop_daemon; continue; }
					stop_daemon
					# per frame that reached the collector: the XDP program's
					# drops, or what reached UDP less the allowed exporter's;
					# frames the veth ring refused (it holds 256) never arrived,
					# as a NIC's missed frames cost the host nothing
					if [ "$mode" = socket ]; then seen=$((ui + ue - asent)); else seen=$xd; fi
					[ "$seen" -gt 0 ] || seen=$sent
					cpu=$(awk -v b="$b" -v e="$el" -v i="$idle" -v hz="$HZ" 'BEGIN {printf "%.2f", (b - i * e) / hz}')
					whole=$(per_pkt "$b" "$el" "$idle" "$seen") ownpp=$(per_pkt "$own" 0 0 "$seen" 1)
					loss=$(awk -v s="$asent" -v d="$dal" 'BEGIN { if (s > 0) printf "%.2f", 100 * (s - d) / s; else print "" }')
					if [ "$mode" = socket ]; then
						went="daemon not_allowed $na, socket drops $sd; UDP InDatagrams $ui, InErrors $ue"
					else
						went="XDP dropped_not_allowed $xd"
					fi
					log "  flood round $round $pin $snd $mode: $sent frames sent at $pps pps, $seen reached the collector," \
						"idle baseline $idle ticks/s, whole-machine CPU ${cpu}s" \
						"over ${el}s ($whole ns/frame); own ${own}s ($ownpp ns/frame); allowed exporter" \
						"${dal} of ${asent} decoded (loss ${loss:-n/a}%); flood frames seen: $went"
					key="$snd $pin $mode"
					FL[$key]+="$cpu " FP[$key]+="$whole " FO[$key]+="$ownpp " FR[$key]+="$pps "
					[ -n "$loss" ] && FA[$key]+="$loss "
					if [ "$mode" = socket ]; then
						FW[$key]+="$(awk -v a="$na" -v b="$sd" -v u="$ui" -v e="$ue" -v n="$sent" \
							'BEGIN { if (n > 0) printf "%.0f%%(%.0f%%)", 100 * (a + b) / n, 100 * (u + e) / n }') "
					else
						FW[$key]+="$(awk -v a="$xd" -v n="$sent" 'BEGIN { if (n > 0) printf "%.0f%%", 100 * a / n }') "
					fi
				done
			done
		done
	done
	set_gro off
	[ "$FLOOD_ALLOWED" != 0 ] && al=", the allowed exporter sending $FLOOD_ALLOWED pps beside it" || al=
	echo "bench_rx_cost: flood from an unlisted source (198.18.0.3) at each sender's full rate, ${FLOOD_S}s$al," \
		"median of $ROUNDS rounds; wire = wire_tx (XDP frames into the veth ring, no skb: as from a link)," \
		"pace = pace_tx (AF_PACKET sendmmsg, an skb per frame); ns of CPU per flood frame that reached the" \
		"collector, the sender's cost included (XDP mode: sender + drop); whole: /proc/stat, all CPUs, idle" \
		"baseline subtracted (median $(m "$IDLES_F") ticks/s of $(($(nproc) * HZ))); own: both senders + collector + ksoftirqd;" \
		"load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
	for pin in $FLOOD_PINS; do
		[ "$pin" = pinned ] && where="sender on CPU $SENDER_CPU, collector on CPU $DAEMON_CPU" || where="unpinned"
		line="flood, $pin ($where):"
		for snd in $FLOOD_SENDERS; do
			x="$snd $pin native" s="$snd $pin socket"
			fx=$(m "${FP[$x]:-}") fs=$(m "${FP[$s]:-}") ox=$(m "${FO[$x]:-}") os=$(m "${FO[$s]:-}")
			line+=" $snd: whole xdp=${fx:-n/a} socket=${fs:-n/a} ns/frame, socket/xdp $(ratio "$fs" "$fx") (target >= 3x) [per round xdp $(list "${FP[$x]:-}"); socket $(list "${FP[$s]:-}")];"
			line+=" own xdp=${ox:-n/a} socket=${os:-n/a}, socket/xdp $(ratio "$os" "$ox");"
			line+=" CPU-s xdp=$(m "${FL[$x]:-}") socket=$(m "${FL[$s]:-}"); flood pps xdp=$(m "${FR[$x]:-}") socket=$(m "${FR[$s]:-}");"
			line+=" allowed-exporter loss % xdp=[$(list "${FA[$x]:-}")] socket=[$(list "${FA[$s]:-}")];"
			line+=" flood frames seen by the collector: xdp (XDP drops) $(xargs <<<"${FW[$x]:-n/a}"), socket (not_allowed+socket drops, UDP counters) $(xargs <<<"${FW[$s]:-n/a}");"
		done
		echo "bench_rx_cost: $line"
	done
	# one short line per pinning, for make bench's table
	for pin in $FLOOD_PINS; do
		line="flood ratio socket/xdp, CPU per flood frame, $pin:"
		for snd in $FLOOD_SENDERS; do
			fx=$(m "${FP[$snd $pin native]:-}") fs=$(m "${FP[$snd $pin socket]:-}")
			ox=$(m "${FO[$snd $pin native]:-}") os=$(m "${FO[$snd $pin socket]:-}")
			line+=" $snd: whole $(ratio "$fs" "$fx") (${fs:-n/a}/${fx:-n/a} ns), own $(ratio "$os" "$ox") (${os:-n/a}/${ox:-n/a} ns);"
		done
		echo "bench_rx_cost: $line target >= 3x"
	done
	[ "$(awk -v i="$(m "$IDLES_F")" -v c=$(($(nproc) * HZ)) 'BEGIN {print (i > 0.2 * c) ? 1 : 0}')" = 1 ] &&
		echo "bench_rx_cost: warning: the machine was over 20% busy when idle (other jobs); the flood's \"whole\"" \
			"figures are unreliable (our work displaces theirs), prefer \"own\" and rerun on a quiet machine"
fi

#--- profile of the flood --------------------------------------------------------
# BENCH_RX_FLOOD_PERF=SECONDS: per flood sender and mode, one pinned flood
# under `perf record -a -g -e cpu-clock`: samples by command, ns per flood
# frame of each of our processes and of the path's steps (inclusive, in our
# processes), and the socket/xdp ratio of all our processes' samples per
# flood frame, which holds the softirq work wherever it ran in them and
# leaves out other jobs sharing the machine (not part of the medians).
if [ "$FLOOD_S" != 0 ] && [[ " $PARTS " == *" flood "* ]] && [ "${BENCH_RX_FLOOD_PERF:-0}" != 0 ] && command -v perf >/dev/null; then
	FLOOD_S_SAVED=$FLOOD_S FLOOD_S=$BENCH_RX_FLOOD_PERF
	declare -A PO_ALL
	for snd in $FLOOD_SENDERS; do
		for pmode in native socket; do
			if [ "$snd" = wire ]; then set_gro on || continue; else set_gro off || continue; fi
			start_daemon "$pmode" pinned || continue
			timeout -k 2 $((FLOOD_S + 20)) perf record -q -a -g -e cpu-clock -o "$WORK/perf.data" \
				-- sleep $((FLOOD_S + 1)) 2>/dev/null &
			ppid=$!
			sleep 0.3
			read -r psent ppps _ < <(flood_window "$snd" "$pmode" pinned)
			wait "$ppid"
			stop_daemon
			echo "bench_rx_cost: perf (cpu-clock, all CPUs, flood, $snd sender, $pmode mode pinned, ${psent:-0} flood frames at ${ppps:-0} pps), samples by command:"
			perf report -i "$WORK/perf.data" --no-children --sort comm --stdio 2>/dev/null |
				grep -E '^ +[0-9.]+%' | head -8 | sed 's/^ */bench_rx_cost:   /'
			# ns per flood frame: our commands, then the steps of the path
			# (inclusive) in our commands only (other jobs share the CPUs)
			ev=$(perf report -i "$WORK/perf.data" --no-children --sort comm --stdio 2>/dev/null |
				awk '/^# Event count/ {print $NF; exit}')
			echo "bench_rx_cost: perf, ns per flood frame by command (ours), then steps of the path, inclusive," \
				"in our commands (wire_tx, pace_tx, xdpflowd, ksoftirqd):"
			perf report -i "$WORK/perf.data" --no-children --sort comm --stdio 2>/dev/null |
				awk -v ev="${ev:-0}" -v n="${psent:-0}" '/^ +[0-9.]+%/ && $2 ~ /^(wire_tx|pace_tx|xdpflowd|ksoftirqd)/ && n > 0 {
					sub("%", "", $1); t += $1; printf "bench_rx_cost:   %-32s %6.0f ns\n", "[" $2 "]", $1 / 100 * ev / n }
					END { if (n > 0) printf "bench_rx_cost:   %-32s %6.0f ns\n", "[all of ours]", t / 100 * ev / n }' |
				tee "$WORK/perf.ours"
			PO_ALL[$snd $pmode]=$(awk '/\[all of ours\]/ {print $(NF - 1)}' "$WORK/perf.ours")
			perf report -i "$WORK/perf.data" --children --comms "$(echo wire_tx pace_tx xdpflowd \
				$(perf report -i "$WORK/perf.data" --sort comm --stdio 2>/dev/null | grep -oE 'ksoftirqd/[0-9]+' | sort -u) | tr ' ' ,)" \
				--sort sym --stdio -g none 2>/dev/null |
				awk -v ev="${ev:-0}" -v n="${psent:-0}" -v want="$FLOOD_STEPS" '
				BEGIN { k = split(want, w, " "); for (i = 1; i <= k; i++) ord[w[i]] = i }
				/^ +[0-9.]+%/ && $NF ~ /^bpf_prog_[0-9a-f]+_xdpflow/ { sub("%", "", $1); c["xdpflow_xdp_prog"] += $1 }
				/^ +[0-9.]+%/ && ($NF in ord) { sub("%", "", $1); c[$NF] = $1 }
				END { if (n == 0 || ev == 0) exit
					for (i = 1; i <= k; i++) if ((w[i] in c) && c[w[i]] / 100 * ev / n >= 1)
						printf "bench_rx_cost:   %-32s %6.0f ns\n", w[i], c[w[i]] / 100 * ev / n }'
			[ -n "${BENCH_RX_PERF_KEEP:-}" ] && cp "$WORK/perf.data" "$BENCH_RX_PERF_KEEP.flood.$snd.$pmode"
		done
	done
	set_gro off
	FLOOD_S=$FLOOD_S_SAVED
	line="flood ratio socket/xdp by the profiles (all samples of our processes per flood frame, softirq work included, other jobs left out), pinned:"
	for snd in $FLOOD_SENDERS; do
		line+=" $snd $(ratio "${PO_ALL[$snd socket]:-}" "${PO_ALL[$snd native]:-}") (${PO_ALL[$snd socket]:-n/a}/${PO_ALL[$snd native]:-n/a} ns);"
	done
	echo "bench_rx_cost: $line target >= 3x"
fi

#--- syscalls, context switches and wakeups per frame ---------------------------
# BENCH_RX_STAT=1: per mode of BENCH_RX_PERF_MODES and rate, one pinned
# point under `perf stat`: the collector's own syscalls and context
# switches (-p), and the machine's wakeups, IPIs and softirqs (-a, other
# jobs included), each per frame sent. Not part of the medians.
if [[ " $PARTS " == *" paced "* ]] && [ "${BENCH_RX_STAT:-0}" = 1 ] && command -v perf >/dev/null; then
	SEV=syscalls:sys_enter_poll,syscalls:sys_enter_ppoll,syscalls:sys_enter_recvfrom,syscalls:sys_enter_recvmmsg
	SEV+=,syscalls:sys_enter_getsockopt,syscalls:sys_enter_clock_nanosleep,syscalls:sys_enter_nanosleep,context-switches
	AEV=sched:sched_wakeup,ipi:ipi_send_cpu,irq:softirq_entry,context-switches
	for smode in $PERF_MODES; do
		start_daemon "$smode" pinned || continue
		for rate in $RATES; do
			timeout -k 2 $((SECS + 20)) perf stat -x, -e "$SEV" -p "$DPID" -o "$WORK/stat.own" \
				-- sleep $((SECS + 1)) 2>/dev/null &
			sp1=$!
			timeout -k 2 $((SECS + 20)) perf stat -x, -a -e "$AEV" -o "$WORK/stat.all" \
				-- sleep $((SECS + 1)) 2>/dev/null &
			sp2=$!
			sleep 0.3
			read -r ssent _ < <(send_window "$rate" 198.18.0.1 pinned)
			wait "$sp1" "$sp2"
			[ -n "${ssent:-}" ] && [ "$ssent" -gt 0 ] || continue
			line=$(awk -F, -v n="$ssent" '$1 ~ /^[0-9]+$/ && $3 != "" {
				e = $3; sub(/^syscalls:sys_enter_/, "", e); sub(/^(sched|ipi|irq):/, "", e)
				printf " %s%s=%.3f", FILENAME ~ /all$/ ? "all:" : "", e, $1 / n }' \
				"$WORK/stat.own" "$WORK/stat.all")
			echo "bench_rx_cost: perf stat, $smode pinned, $rate pps, $ssent frames, per frame (collector's own; all: whole machine):$line"
		done
		stop_daemon
	done
fi

#--- profile of one point per mode ------------------------------------------------
if [[ " $PARTS " == *" paced "* ]] && [ "$PERF_S" != 0 ] && command -v perf >/dev/null; then
	for rate in ${BENCH_RX_PERF_RATES:-${RATES%% *}}; do
	for pmode in $PERF_MODES; do
		start_daemon "$pmode" pinned || continue
		timeout -k 2 $((PERF_S + 20)) perf record -q -a -g -e cpu-clock -o "$WORK/perf.data" \
			-- sleep $((PERF_S + 1)) 2>/dev/null &
		ppid=$!
		sleep 0.5
		tids=$(ls "/proc/$DPID/task" 2>/dev/null | xargs)
		read -r psent _ < <(send_window "$rate" 198.18.0.1 pinned $((rate * PERF_S)))
		wait "$ppid"
		stop_daemon
		echo "bench_rx_cost: perf (cpu-clock, all CPUs, $pmode mode pinned, $rate pps, ${PERF_S}s), samples by command:"
		perf report -i "$WORK/perf.data" --no-children --sort comm --stdio 2>/dev/null |
			grep -E '^ +[0-9.]+%' | head -12 | sed 's/^ */bench_rx_cost:   /'
		# ours: the collector's threads, pace_tx and ksoftirqd; each symbol's
		# share of our samples
		perf report -i "$WORK/perf.data" --no-children --sort pid,sym --stdio -g none 2>/dev/null |
			awk -v tids=" $tids " '/^ +[0-9.]+%/ {
				split($2, t, ":")
				if (index(tids, " " t[1] " ") || t[2] ~ /^(pace_tx|ksoftirqd)/) {
					sub("%", "", $1); w[$4] += $1; tot += $1
				}
			} END { for (k in w) printf "%.2f %s\n", 100 * w[k] / tot, k
				printf "%.2f TOTAL\n", tot }' | sort -gr >"$WORK/perf.syms"
		echo "bench_rx_cost: perf, top symbols by self time in the sender, collector and ksoftirqd" \
			"($(awk '$2 == "TOTAL" {print $1}' "$WORK/perf.syms")% of all samples; shares of those):"
		grep -v ' TOTAL$' "$WORK/perf.syms" | head -30 | awk '{printf "bench_rx_cost:   %5.2f%% %s\n", $1, $2}'
		# inclusive time of the steps of the path, in ns per frame sent
		ev=$(
			perf report -i "$WORK/perf.data" --no-children --sort comm --stdio 2>/dev/null |
			awk '/^# Event count/ {print $NF; exit}')
		echo "bench_rx_cost: perf, inclusive time of steps in ns per frame (${psent:-0} frames; sender's" \
			"softirq = receive on veth; user-space functions other than syscall wrappers: self time only," \
			"the build has no frame pointers; a step not seen is not listed):"
		perf report -i "$WORK/perf.data" --children --sort pid,sym --stdio -g none 2>/dev/null |
			awk -v tids=" $tids " -v ev="${ev:-0}" -v n="${psent:-0}" -v want="$PERF_STEPS" '
			BEGIN { k = split(want, w, " "); for (i = 1; i <= k; i++) { ord[w[i]] = i; name[i] = w[i] } }
			/^ +[0-9.]+%/ {
				split($3, t, ":")
				who = index(tids, " " t[1] " ") ? "collector" : t[2] ~ /^pace_tx/ ? "sender" : ""
				if (who != "" && ($5 in ord)) { sub("%", "", $1); c[who " " $5] += $1 }
			}
			END { if (n == 0 || ev == 0) exit
				for (i = 1; i <= k; i++) for (j = 0; j < 2; j++) {
					who = j ? "collector" : "sender"; key = who " " name[i]
					if (key in c) printf "bench_rx_cost:   %-9s %-32s %6.0f ns\n", who, name[i], c[key] / 100 * ev / n }
			}'
		[ -n "${BENCH_RX_PERF_KEEP:-}" ] && cp "$WORK/perf.data" "$BENCH_RX_PERF_KEEP.$pmode.$rate"
	done
	done
fi
