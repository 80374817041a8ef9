#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make bench-compare`: xdpflowd side by side with the collectors operators
# run today, fed the same real exporter output, in one run.
#
# Peers (each writing what it decodes to a file, as cheaply as its options
# allow; versions recorded): xdpflowd in socket mode (pb to a file) and in
# XDP mode (AF_XDP over a veth pair into a namespace this script creates,
# addresses 198.18.0.0/15), GoFlow2 v2.2.6 (-format bin to a file, no
# separator; scripts/bench/goflow2.sh), pmacct's nfacctd and sfacctd (print
# plugin, CSV to a file, aggregated on the 5-tuple so each input flow is one
# line, purged every second), nfdump's nfcapd (its own binary files, counted
# with nfdump -r).
#
# Input, made once and cached under $O/bench-compare/: a generated traffic
# capture of BENCH_COMPARE_FLOWS distinct one-packet flows
# (scripts/bench/bc_inputs.py traffic), exported by softflowd as NetFlow v9
# and as IPFIX and by pmacctd's sfprobe plugin as sFlow v5; the export
# datagrams are captured once into pcaps (bc_inputs.py capture) and their
# flows counted per datagram (bc_inputs.py count). Each measurement starts a
# fresh collector and replays the first datagrams of one capture with
# build/bench/udp_replay (sendmmsg, bounded in count and time) over loopback
# (over the veth for XDP mode) at an offered rate in flows/s, for
# BENCH_COMPARE_SECONDS, or all of the capture at full speed ("max").
#
# Measured per peer, input, rate and round: flows out (the records in the
# peer's output) against flows in (loss), the CPU time of the peer's whole
# process tree from the send's start until it is idle again (/proc: the
# threads' schedstat run time, plus reaped children's cutime+cstime), its
# flows per CPU-second, peak RSS (VmHWM summed over its processes), and the
# whole machine's busy CPU (/proc/stat user+nice+system+irq+softirq+steal)
# over the same window less an idle baseline taken in each round, per flow
# out. The machine is shared and noisy: ratios side by side and medians.
# Also issue 11's whole-process figures: `xdpflowd --pcap` of the NetFlow v9
# capture, pb to a file, flows per CPU-second (getrusage of the child), and
# the live ratio against GoFlow2 from the matrix above.
#
# Writes $OUT/results.tsv (every measurement), $OUT/env.txt and, through
# scripts/bench/bc_report.py, $OUT/README.md (table) and the PNG charts.
# Knobs (environment): BENCH_QUICK=1 (a small, fast run: 1 round, 2 rates,
# BENCH_COMPARE_FLOWS 30000, output in $O/bench-compare/quick unless
# BENCH_COMPARE_OUT is set), BENCH_COMPARE_OUT (docs/bench),
# BENCH_COMPARE_PEERS, BENCH_COMPARE_INPUTS ("nf9 ipfix sflow"),
# BENCH_COMPARE_RATES (flows/s, "max" = full speed), BENCH_COMPARE_ROUNDS,
# BENCH_COMPARE_SECONDS, BENCH_COMPARE_FLOWS, BENCH_COMPARE_PCAP_ROUNDS;
# O (build folder) and SAN (1 for an ASan+UBSan build there) as for make.
set -uo pipefail
cd "$(dirname "$0")/../.."

O=${O:-build}
B=$O/bench
CACHE=$O/bench-compare
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	FLOWS=${BENCH_COMPARE_FLOWS:-30000}
	ROUNDS=${BENCH_COMPARE_ROUNDS:-1}
	RATES=${BENCH_COMPARE_RATES:-200000 max}
	SECS=${BENCH_COMPARE_SECONDS:-1}
	PCAP_ROUNDS=${BENCH_COMPARE_PCAP_ROUNDS:-1}
	OUT=${BENCH_COMPARE_OUT:-$CACHE/quick}
else
	FLOWS=${BENCH_COMPARE_FLOWS:-1000000}
	ROUNDS=${BENCH_COMPARE_ROUNDS:-3}
	RATES=${BENCH_COMPARE_RATES:-100000 300000 1000000 max}
	SECS=${BENCH_COMPARE_SECONDS:-1}
	PCAP_ROUNDS=${BENCH_COMPARE_PCAP_ROUNDS:-5}
	OUT=${BENCH_COMPARE_OUT:-docs/bench}
fi
PEERS=${BENCH_COMPARE_PEERS:-xdpflowd xdpflowd-xdp goflow2 nfacctd sfacctd nfcapd}
INPUTS=${BENCH_COMPARE_INPUTS:-nf9 ipfix sflow}
HZ=$(getconf CLK_TCK)
QUIET_TIMEOUT=30
N=$$
C=xfc-c$N S=xfc-s$N CIF=xfcc$N SIF=xfcs$N
WORK=$(mktemp -d /tmp/xfc-XXXXXX)
VETH=0
PID=

log() { echo "bench-compare: $*" >&2; }

cleanup() {
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	if [ "$VETH" = 1 ]; then
		ip netns pids "$S" 2>/dev/null | head -100 | xargs -r kill -KILL 2>/dev/null
		ip netns pids "$C" 2>/dev/null | head -100 | xargs -r kill -KILL 2>/dev/null
		ip netns del "$C" 2>/dev/null
		ip netns del "$S" 2>/dev/null
		umount -l "$WORK/bpffs" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

#--- inputs ---------------------------------------------------------------------
free_port() {
	python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Captures what an exporter command sends to 127.0.0.1:PORT into $1.pcap
# and counts its flows into $1.json. Args: base, port, command...
capture_export() {
	local base=$1 port=$2 cpid
	shift 2
	rm -f "$WORK/ready"
	python3 scripts/bench/bc_inputs.py capture "$base.pcap.tmp" --port "$port" \
		--idle 1.5 --max-seconds 600 --ready "$WORK/ready" >"$WORK/capture.out" &
	cpid=$!
	for _ in $(seq 100); do [ -e "$WORK/ready" ] && break; sleep 0.05; done
	timeout -k 5 300 "$@" >"$WORK/exporter.log" 2>&1
	wait "$cpid" || { log "capturing $base failed: $(cat "$WORK/capture.out")"; return 1; }
	python3 scripts/bench/bc_inputs.py count "$base.pcap.tmp" "$base.json" >&2 || return 1
	mv "$base.pcap.tmp" "$base.pcap"
}

make_inputs() {
	local dir=$CACHE/in-$FLOWS port
	IN=$dir
	mkdir -p "$dir"
	if [ ! -s "$dir/traffic.pcap" ]; then
		log "generating a traffic capture of $FLOWS flows"
		python3 scripts/bench/bc_inputs.py traffic "$dir/traffic.pcap.tmp" --flows "$FLOWS" >&2 &&
			mv "$dir/traffic.pcap.tmp" "$dir/traffic.pcap" || return 1
	fi
	for in in $INPUTS; do
		[ -s "$dir/$in.pcap" ] && [ -s "$dir/$in.json" ] && continue
		log "exporting the capture as $in"
		port=$(free_port)
		case $in in
		nf9 | ipfix)
			capture_export "$dir/$in" "$port" softflowd -r "$dir/traffic.pcap" \
				-n "127.0.0.1:$port" -v "$([ "$in" = nf9 ] && echo 9 || echo 10)" \
				-d -a -c none -p "$WORK/sf.pid" -6 || return 1
			;;
		sflow)
			cat >"$WORK/pmacctd.conf" <<-EOF
				daemonize: false
				pcap_savefile: $(readlink -f "$dir/traffic.pcap")
				pcap_savefile_wait: false
				logfile: $WORK/pmacctd.log
				plugins: sfprobe
				sfprobe_receiver: 127.0.0.1:$port
				sfprobe_agentip: 127.0.0.1
				sampling_rate: 1
				plugin_pipe_size: 33554432
			EOF
			capture_export "$dir/$in" "$port" pmacctd -f "$WORK/pmacctd.conf" || return 1
			;;
		*) log "unknown input $in"; return 1 ;;
		esac
	done
}

# json field of an input: total flows, datagrams
in_info() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["datagrams"], d["flows"])' "$IN/$1.json"; }
# the UDP port the export was captured on
in_port() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$IN/$1.json"; }
# flows in the first K datagrams of an input
in_flows() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cum"][int(sys.argv[2]) - 1])' "$IN/$1.json" "$2"; }

#--- process accounting ---------------------------------------------------------
tree() { # pid -> it and its descendants, one a line
	ps -e -o pid=,ppid= | awk -v r="$1" '{p[$1] = $2} END {
		n = 1; q[1] = r; print r
		for (i = 1; i <= n; i++) for (k in p) if (p[k] == q[i]) { q[++n] = k; print k } }'
}

tree_cpu_ns() { # pid -> CPU ns of the tree: threads' schedstat + reaped children
	local p t s=0 c
	for p in $(tree "$1"); do
		for t in /proc/"$p"/task/*/schedstat; do
			{ read -r c _ <"$t"; } 2>/dev/null && s=$((s + c))
		done
		c=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		c=${c##*) }
		s=$((s + $(awk -v hz="$HZ" '{printf "%d", ($14 + $15) * 1e9 / hz}' <<<"$c")))
	done
	echo "$s"
}

tree_hwm_kb() { # pid -> sum of VmHWM over the tree
	local p s=0 k
	for p in $(tree "$1"); do
		k=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$p/status" 2>/dev/null)
		s=$((s + ${k:-0}))
	done
	echo "$s"
}

machine_busy() { # jiffies of all CPUs not idle, and a ns timestamp
	awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}

now_ns() { date +%s%N; }

udp_queue() { # port -> bytes queued on sockets bound to it
	local hex
	hex=$(printf '%04X' "$1")
	awk -v h=":$hex" 'function hexval(x,  i, v) { v = 0
			for (i = 1; i <= length(x); i++) v = v * 16 + index("0123456789ABCDEF", toupper(substr(x, i, 1))) - 1
			return v }
		FNR > 1 && substr($2, length($2) - 4) == h { split($5, q, ":"); s += hexval(q[2]) }
		END {printf "%d\n", s}' /proc/net/udp /proc/net/udp6 2>/dev/null
}

out_bytes() { # dir -> bytes of the peer's output files so far (not its log)
	du -scb "$1"/out.* "$1"/nfc 2>/dev/null | tail -1 | awk '{print $1}'
}

# wait_quiet pid port dir: until, in each of 3 looks 0.3 s apart, the tree
# used under 5 ms of CPU (pmacct's idle refresh costs about 2 ms/s), the
# socket queue is empty and the output did not grow
wait_quiet() {
	local last=-1 same=0 t q o lo=-1
	for _ in $(seq $((QUIET_TIMEOUT * 10 / 3))); do
		kill -0 "$1" 2>/dev/null || return 1
		t=$(tree_cpu_ns "$1")
		q=0
		[ -n "$2" ] && q=$(udp_queue "$2")
		o=$(out_bytes "$3")
		if [ "$last" -ge 0 ] && [ $((t - last)) -lt 5000000 ] && [ "$q" = 0 ] && [ "$o" = "$lo" ]; then
			same=$((same + 1))
			[ $same -ge 3 ] && return 0
		else
			same=0
		fi
		last=$t lo=$o
		sleep 0.3
	done
	log "pid $1 did not become idle within ${QUIET_TIMEOUT}s"
	return 0
}

wait_udp() { # pid, port, [netns]: until a UDP socket is bound to the port (15 s)
	for _ in $(seq 300); do
		kill -0 "$1" 2>/dev/null || return 1
		if [ -n "${3:-}" ]; then
			ip netns exec "$3" ss -Hlun "sport = :$2" | grep -q . && return 0
		else
			ss -Hlun "sport = :$2" | grep -q . && return 0
		fi
		sleep 0.05
	done
	return 1
}

stop_pid() { # pid, signal: signal, wait up to 30 s (pmacct purges), then SIGKILL
	kill "-$2" "$1" 2>/dev/null || return 0
	for _ in $(seq 600); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

count_delimited() { # file -> varint length-delimited messages in it
	python3 - "$1" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
off = n = 0
end = len(b)
while off < end:
    v = shift = 0
    while True:
        c = b[off]
        off += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            break
    off += v
    n += 1
print(n if off == end else -1)
EOF
}

#--- peers ------------------------------------------------------------------------
serves() { # peer, input -> true if the peer takes the input
	case $1 in
	nfacctd | nfcapd) [ "$2" != sflow ] ;;
	sfacctd) [ "$2" = sflow ] ;;
	*) true ;;
	esac
}

scheme() { [ "$1" = sflow ] && echo sflow || echo netflow; }

# start_peer peer input dir port: starts it, sets PID, SIGNAL, NS (netns or
# empty), DST (where to send)
start_peer() {
	local peer=$1 in=$2 d=$3 port=$4
	NS= DST=127.0.0.1:$port SIGNAL=TERM
	case $peer in
	xdpflowd)
		"$O/xdpflowd" -l "$(scheme "$in")://127.0.0.1:$port" --format pb --file "$d/out.pb" \
			2>"$d/log" &
		PID=$!
		;;
	xdpflowd-xdp)
		NS=$C DST=198.18.0.2:$port
		# 16384 UMEM frames of 2 KiB: 32 MiB, the socket mode's --rcvbuf
		ip netns exec "$C" "$O/xdpflowd" -l "$(scheme "$in")://:$port" --format pb \
			--file "$d/out.pb" --allow-exporter 198.18.0.1 --xdp "$CIF" --xdp-frames 16384 \
			--bpffs "$WORK/bpffs/xdpflow" 2>"$d/log" &
		PID=$!
		;;
	goflow2)
		"$GOFLOW2" -listen "$(scheme "$in")://127.0.0.1:$port" -format bin -transport file \
			-transport.file "$d/out.pb" -transport.file.sep "" -addr "127.0.0.1:$(free_port)" \
			-loglevel warn 2>"$d/log" &
		PID=$!
		;;
	nfacctd | sfacctd)
		SIGNAL=INT
		local pre=$([ "$peer" = nfacctd ] && echo nfacctd || echo sfacctd)
		cat >"$d/conf" <<-EOF
			daemonize: false
			${pre}_ip: 127.0.0.1
			${pre}_port: $port
			${pre}_pipe_size: 33554432
			logfile: $d/log
			plugins: print
			aggregate: src_host, dst_host, src_port, dst_port, proto
			print_output: csv
			print_output_file: $d/out.csv
			print_output_file_append: true
			print_refresh_time: 1
			plugin_pipe_size: 33554432
			plugin_buffer_size: 65536
		EOF
		"$peer" -f "$d/conf" 2>>"$d/log" &
		PID=$!
		;;
	nfcapd)
		mkdir -p "$d/nfc"
		nfcapd -w "$d/nfc" -p "$port" -b 127.0.0.1 -t 3600 -B 33554432 -I bench >"$d/log" 2>&1 &
		PID=$!
		;;
	esac
	if ! wait_udp "$PID" "$port" "$NS"; then
		log "$peer did not start: $(tail -2 "$d/log" 2>/dev/null)"
		stop_pid "$PID" KILL
		PID=
		return 1
	fi
	# the XDP path is attached once "running:" is logged
	if [ "$peer" = xdpflowd-xdp ]; then
		for _ in $(seq 200); do grep -q "running:" "$d/log" && break; sleep 0.05; done
		grep -q "AF_XDP socket" "$d/log" || { log "xdpflowd opened no AF_XDP socket"; stop_pid "$PID" KILL; PID=; return 1; }
	fi
	sleep 0.1
}

count_out() { # peer, dir -> records in the peer's output
	case $1 in
	xdpflowd | xdpflowd-xdp | goflow2) [ -s "$2/out.pb" ] && count_delimited "$2/out.pb" || echo 0 ;;
	nfacctd | sfacctd) cat "$2/out.csv" 2>/dev/null | grep -vc '^SRC_IP,' ;;
	nfcapd)
		local f s=0 n
		for f in "$2"/nfc/nfcapd.*; do
			[ -e "$f" ] || continue
			n=$(nfdump -r "$f" -q -o 'fmt:%pr' 2>/dev/null | wc -l)
			s=$((s + n))
		done
		echo "$s"
		;;
	esac
}

version_of() {
	case $1 in
	xdpflowd | xdpflowd-xdp) "$O/xdpflowd" --version 2>&1 | head -1 ;;
	goflow2) echo "GoFlow2 $(go version -m "$GOFLOW2" 2>/dev/null | awk '$1 == "mod" {print $3}')" ;;
	nfacctd | sfacctd) "$1" -V 2>&1 | grep -m1 -i daemon | sed 's/,//' ;;
	nfcapd) echo "nfcapd $(nfcapd -V 2>&1 | grep -oE '[0-9]+\.[0-9.]+' | head -1)" ;;
	esac
}

#--- one measurement --------------------------------------------------------------
# measure peer input rate round: appends a row to $OUT/results.tsv
measure() {
	local peer=$1 in=$2 rate=$3 r=$4 d port info dgrams total count pps sent_flows
	local c0 c1 m0 m1 t0 t1 out hwm sender rc began=$SECONDS
	d=$WORK/$peer-$in-$rate-$r
	mkdir -p "$d"
	port=$(free_port)
	start_peer "$peer" "$in" "$d" "$port" || { ROW_FAIL=$((ROW_FAIL + 1)); return 1; }
	info=$(in_info "$in")
	dgrams=${info% *} total=${info#* }
	if [ "$rate" = max ]; then
		count=$dgrams pps=
	else
		pps=$(awk -v r="$rate" -v d="$dgrams" -v f="$total" 'BEGIN {printf "%d", r * d / f + 0.5}')
		[ "$pps" -ge 1 ] || pps=1
		count=$((pps * SECS))
		[ "$count" -le "$dgrams" ] || count=$dgrams
	fi
	sent_flows=$(in_flows "$in" "$count")
	c0=$(tree_cpu_ns "$PID") m0=$(machine_busy) t0=$(now_ns)
	sender=("$B/udp_replay" -t "$DST" --pcap "$IN/$in.pcap" -c "$count" -T $((SECS * 3 + 30)))
	[ -n "$pps" ] && sender+=(-r "$pps")
	if [ -n "$NS" ]; then
		out=$(timeout -k 2 $((SECS * 3 + 40)) ip netns exec "$S" "${sender[@]}" 2>&1)
	else
		out=$(timeout -k 2 $((SECS * 3 + 40)) "${sender[@]}" 2>&1)
	fi
	rc=$?
	wait_quiet "$PID" "$([ -z "$NS" ] && echo "$port")" "$d"
	c1=$(tree_cpu_ns "$PID") m1=$(machine_busy) t1=$(now_ns)
	hwm=$(tree_hwm_kb "$PID")
	stop_pid "$PID" "$SIGNAL"
	PID=
	local sent_pk
	sent_pk=$(grep -oE 'packets=[0-9]+' <<<"$out" | head -1 | cut -d= -f2)
	if [ "$rc" != 0 ] || [ "${sent_pk:-0}" != "$count" ]; then
		log "$peer $in $rate round $r: the sender sent ${sent_pk:-?} of $count datagrams: $out"
		[ -n "$sent_pk" ] && [ "$sent_pk" -gt 0 ] && sent_flows=$(in_flows "$in" "$sent_pk")
	fi
	local flows_out
	flows_out=$(count_out "$peer" "$d")
	awk -v OFS='\t' -v peer="$peer" -v inp="$in" -v rate="$rate" -v r="$r" -v sent="$sent_flows" \
		-v got="$flows_out" -v c0="$c0" -v c1="$c1" -v m0="$m0" -v m1="$m1" -v t0="$t0" -v t1="$t1" \
		-v base="$BASE" -v hz="$HZ" -v hwm="$hwm" -v wl="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')" \
		-v sendsec="$(grep -oE 'seconds=[0-9.]+' <<<"$out" | cut -d= -f2)" 'BEGIN {
		cpu = (c1 - c0) / 1e9
		dt = (t1 - t0) / 1e9
		mcpu = ((m1 - m0) - base * dt) / hz
		loss = sent > 0 ? 1 - got / sent : 0
		if (loss < 0) loss = 0
		offered = (sendsec > 0) ? sent / sendsec : 0
		fpc = cpu > 0 ? got / cpu : 0
		npf = got > 0 ? mcpu * 1e9 / got : 0
		printf "%s\t%s\t%s\t%d\t%d\t%d\t%.4f\t%.0f\t%.4f\t%d\t%.4f\t%.1f\t%.0f\t%s\n", peer, inp, rate, r, sent, got,
			cpu, fpc, loss, hwm, mcpu, npf, offered, wl }' >>"$OUT/results.tsv"
	log "  $(tail -1 "$OUT/results.tsv" | tr '\t' ' ') ($((SECONDS - began)) s)"
	rm -rf "$d"
}

idle_baseline() { # busy jiffies per second of the machine with nothing of ours running
	local m0 m1 t0 t1
	m0=$(machine_busy) t0=$(now_ns)
	sleep 2
	m1=$(machine_busy) t1=$(now_ns)
	awk -v a="$m0" -v b="$m1" -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%.2f", (b - a) / ((t1 - t0) / 1e9)}'
}

#--- issue 11: xdpflowd --pcap ----------------------------------------------------
pcap_run() { # round -> "flows cpu_s"
	local f=$WORK/pcap-$1.pb
	python3 - "$O/xdpflowd" "$IN/nf9.pcap" "$f" "$(in_port nf9)" <<'EOF'
import resource, subprocess, sys
xd, pcap, out, port = sys.argv[1:5]
p = subprocess.run([xd, "--pcap", pcap, "-l", f"netflow://:{port}", "--format", "pb",
                    "--file", out], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
if p.returncode:
    sys.exit("xdpflowd --pcap failed: " + p.stderr.decode()[-300:])
print(ru.ru_utime + ru.ru_stime)
EOF
}

part_pcap() {
	local r cpu flows total
	[ -s "$IN/nf9.pcap" ] || return 0
	total=$(in_info nf9) total=${total#* }
	: >"$OUT/pcap.tsv"
	for r in $(seq "$PCAP_ROUNDS"); do
		cpu=$(pcap_run "$r") || { log "xdpflowd --pcap failed: $cpu"; continue; }
		flows=$(count_delimited "$WORK/pcap-$r.pb")
		rm -f "$WORK/pcap-$r.pb"
		printf '%d\t%d\t%d\t%s\n' "$r" "$total" "$flows" "$cpu" >>"$OUT/pcap.tsv"
		log "  --pcap round $r: $flows of $total flows in ${cpu}s CPU"
	done
}

#--- main ---------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || { log "needs root (namespaces, XDP, SO_RCVBUFFORCE)"; exit 1; }
make --no-print-directory O="$O" SAN="${SAN:-0}" all "$B/udp_replay" >&2 || { log "could not build xdpflowd and $B/udp_replay"; exit 1; }
mkdir -p "$OUT" "$CACHE"
for t in softflowd pmacctd; do
	command -v $t >/dev/null || { log "$t is missing (scripts/deps.sh installs it): it makes the inputs"; exit 1; }
done
make_inputs || { log "could not make the inputs"; exit 1; }

want=()
for p in $PEERS; do
	case $p in
	goflow2)
		GOFLOW2=$(O=$O scripts/bench/goflow2.sh) || { log "skipping goflow2: GoFlow2 v2.2.6 not available"; continue; } ;;
	nfacctd | sfacctd)
		command -v nfacctd >/dev/null && command -v sfacctd >/dev/null ||
			{ log "skipping $p: pmacct is not installed (scripts/deps.sh)"; continue; } ;;
	nfcapd)
		command -v nfcapd >/dev/null && command -v nfdump >/dev/null ||
			{ log "skipping nfcapd: nfdump is not installed (scripts/deps.sh)"; continue; } ;;
	xdpflowd-xdp)
		if [ "$VETH" = 0 ]; then
			. tests/bench/bench_veth.sh
			VETH=1 # cleanup removes whatever bench_veth_up made
			( bench_veth_up ) || { log "skipping xdpflowd-xdp: no veth"; continue; }
		fi ;;
	xdpflowd) ;;
	*) log "unknown peer $p"; exit 2 ;;
	esac
	want+=("$p")
done
[ ${#want[@]} -gt 0 ] || { log "no peer to measure"; exit 1; }

started=$(date -u +%FT%TZ)
{
	echo "date	$started"
	echo "host	$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "kernel	$(uname -sr)"
	echo "os	$(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "commit	$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "load	$(cut -d' ' -f1-3 /proc/loadavg) (at start)"
	echo "rmem_max	$(sysctl -n net.core.rmem_max)"
	echo "flows	$FLOWS"
	echo "rounds	$ROUNDS"
	echo "rates	$RATES"
	echo "seconds	$SECS"
	echo "quick	${BENCH_QUICK:-0}"
	for in in $INPUTS; do echo "input_$in	$(in_info "$in" | awk '{printf "%d datagrams, %d flows", $1, $2}')"; done
	echo "exporter_softflowd	softflowd $(dpkg-query -W -f='${Version}' softflowd 2>/dev/null)"
	echo "exporter_pmacctd	pmacctd $(dpkg-query -W -f='${Version}' pmacct 2>/dev/null)"
	for p in "${want[@]}"; do echo "version_$p	$(version_of "$p")"; done
} >"$OUT/env.txt"
printf 'peer\tinput\trate\tround\tsent\tout\tcpu_s\tflows_per_cpu_s\tloss\thwm_kb\tmachine_cpu_s\tmachine_ns_per_flow\toffered_fps\twindow_s\n' >"$OUT/results.tsv"
ROW_FAIL=0

for r in $(seq "$ROUNDS"); do
	BASE=$(idle_baseline)
	log "round $r/$ROUNDS (idle baseline $BASE busy jiffies/s)"
	echo "baseline_r$r	$BASE busy jiffies/s of $((HZ * $(nproc))) (idle machine: 0)" >>"$OUT/env.txt"
	for in in $INPUTS; do
		for rate in $RATES; do
			# peers in a rotating order so none always runs first
			local_peers=("${want[@]:$((r % ${#want[@]}))}" "${want[@]:0:$((r % ${#want[@]}))}")
			for p in "${local_peers[@]}"; do
				serves "$p" "$in" || continue
				measure "$p" "$in" "$rate" "$r"
			done
		done
	done
done
log "issue 11: xdpflowd --pcap of the NetFlow v9 capture ($PCAP_ROUNDS rounds)"
part_pcap
echo "finished	$(date -u +%FT%TZ)" >>"$OUT/env.txt"
echo "failed_starts	$ROW_FAIL" >>"$OUT/env.txt"
python3 scripts/bench/bc_report.py "$OUT" || { log "the report failed"; exit 1; }
log "results in $OUT"
