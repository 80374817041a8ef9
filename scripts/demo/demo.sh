#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo` (scripts/demo/demo.sh collect) and `make demo-mock` (scripts/demo/demo.sh
# mock): the whole pipeline on this machine, shown live for DEMO_SECONDS
# seconds or until Ctrl-C, then everything it created is removed.
#
# collect: installs what is missing (scripts/deps.sh), builds, starts a
#   private Kafka and PostgreSQL (scripts/stack/stack.sh with their own folder and
#   ports, so a developer's `make stack-up` is left alone), creates an
#   exporter namespace joined to the collector by a veth pair (198.19.250.0/24
#   and 2001:2:0:fa::/64), runs xdpflowd with XDP on the collector's end of
#   the veth (--xdp, when this build has it; UDP sockets otherwise) and real
#   exporters in the namespace, each replaying a capture that
#   scripts/gen/gen_traffic.py generates, in a loop: softflowd NetFlow v9 (from
#   .2) and IPFIX (over IPv6, from ::2), pmacctd IPFIX (from .3) and sFlow
#   (agent .4). xdpflowd enriches the flows (--enrich: a networks file, a
#   tiny MMDB written by scripts/gen/gen-mmdb.pl and exporter rules, all
#   under the demo's folder) and publishes to Kafka (-o kafka --format pb
#   --kafka-batch 64), xdpflow-insert copies the topic into PostgreSQL, and
#   scripts/demo/demo_view.sh shows the flows through each stage, top talkers,
#   top ports, traffic by tenant and country, and per-exporter counts.
# mock: the same with xdpflow-mock (DEMO_MOCK_RATE flows/s) in place of the
#   exporters and the collector, as flow-pipeline's postgres-mock setup.
#
# Cleanup (trap on EXIT, INT and TERM): the processes (by pid and process
# group), the namespace, the veth (and the XDP program on it), the pinned
# BPF objects, the private stack and its data. Every wait is bounded.
#
# Environment: DEMO_SECONDS (60), DEMO_INTERVAL (2, seconds per screen),
# DEMO_MOCK_RATE (20000), DEMO_ID (xfdemo: names of the namespace, veth,
# bpffs folder; at most 10 characters), DEMO_KAFKA_PORT (29092),
# DEMO_PG_PORT (35432), DEMO_METRICS_PORT (29100), DEMO_XDP (auto: --xdp
# when available; 0: sockets), DEMO_SKIP_DEPS (1: no scripts/deps.sh),
# DEMO_SKIP_BUILD (1: no make), O (build folder, default build).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

MODE=${1:-collect}
case $MODE in collect | mock) ;; *)
	echo "usage: $0 [collect|mock]" >&2
	exit 2
	;;
esac
O=${O:-build}
case $O in /*) ;; *) O=$ROOT/$O ;; esac
SECS=${DEMO_SECONDS:-60}
EVERY=${DEMO_INTERVAL:-2}
ID=${DEMO_ID:-xfdemo}
[ ${#ID} -le 10 ] || { echo "demo: DEMO_ID must be at most 10 characters" >&2; exit 2; }
KPORT=${DEMO_KAFKA_PORT:-29092}
PGPORT=${DEMO_PG_PORT:-35432}
MPORT=${DEMO_METRICS_PORT:-29100}
MOCK_RATE=${DEMO_MOCK_RATE:-20000}
DIR=$O/demo-$ID
STACK=$DIR/stack
LOGS=$DIR/logs
NS=$ID-exp
VC=${ID}c # collector's end, in this namespace
VE=${ID}e # exporters' end, in $NS
BPFFS=/sys/fs/bpf/$ID
NET4=198.19.250
NET6=2001:2:0:fa
TOPIC=flows

say() { echo "demo: $*" >&2; }

PIDS=() # our processes; each leads its own process group
STACK_STARTED=0
NS_MADE=0
cleanup() {
	local p i
	trap - EXIT INT TERM
	say "cleaning up"
	for p in "${PIDS[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for ((i = 0; i < 100; i++)); do # 10 s each at most
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ $NS_MADE = 1 ]; then
		# Anything still running in the namespace dies with it.
		for p in $(ip netns pids "$NS" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$NS" 2>/dev/null
		ip link del "$VC" 2>/dev/null
	fi
	rm -rf "$BPFFS" 2>/dev/null
	if [ $STACK_STARTED = 1 ]; then
		stack down >"$LOGS/stack-down.log" 2>&1 || say "stack down failed: see $LOGS/stack-down.log"
		rm -rf "$STACK"
	fi
	say "done; logs in $LOGS"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stack() {
	XF_STACK_DIR=$STACK XF_KAFKA_PORT=$KPORT XF_PG_PORT=$PGPORT scripts/stack/stack.sh "$@"
}

start() { # name, command...: runs it in its own process group, logs to $LOGS/name.log
	local name=$1
	shift
	setsid "$@" </dev/null >"$LOGS/$name.log" 2>&1 &
	PIDS+=("$!")
	LAST_PID=$!
}

alive_for() { # pid, seconds: fails if the process ends within that time
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
}

#--- 1. what is needed ---------------------------------------------------------
if [ "$(id -u)" -ne 0 ] && [ "$MODE" = collect ]; then
	say "the collect demo needs root (namespaces, veth, XDP)"
	exit 1
fi
if [ "${DEMO_SKIP_DEPS:-0}" != 1 ]; then
	say "checking dependencies (scripts/deps.sh)"
	scripts/deps.sh || { say "could not install the dependencies"; exit 1; }
fi
if [ "${DEMO_SKIP_BUILD:-0}" != 1 ]; then
	say "building into $O"
	make --no-print-directory O="$O" all >&2 || { say "build failed"; exit 1; }
fi
for b in xdpflowd xdpflow-insert xdpflow-mock; do
	[ -x "$O/$b" ] || { say "$O/$b is not built"; exit 1; }
done
for t in kcat psql curl; do
	command -v $t >/dev/null || { say "$t is missing (scripts/deps.sh installs it)"; exit 1; }
done
rm -rf "$DIR"
mkdir -p "$LOGS"

#--- 2. Kafka and PostgreSQL --------------------------------------------------------
say "starting a private Kafka (127.0.0.1:$KPORT) and PostgreSQL (127.0.0.1:$PGPORT)"
STACK_STARTED=1
if ! stack up >"$LOGS/stack.log" 2>&1; then
	say "the stack did not start: $(tail -3 "$LOGS/stack.log")"
	exit 1
fi
# shellcheck disable=SC1091
. "$DIR/stack.env"
# The password goes by the environment, never on a command line.
export PGPASSWORD=${PGURI#*://*:}
PGPASSWORD=${PGPASSWORD%%@*}
PGURI_NOPW=${PGURI/:$PGPASSWORD@/@}

#--- 3. the sources: exporters -> xdpflowd, or the mocker ---------------------------
gen_pcap() {
	python3 scripts/gen/gen_traffic.py "$DIR/traffic.pcap" >"$LOGS/gen_traffic.log" 2>&1 ||
		{ say "could not generate the traffic capture: $(tail -1 "$LOGS/gen_traffic.log")"; return 1; }
}

make_net() {
	ip netns add "$NS" || return 1
	NS_MADE=1
	ip link add "$VC" type veth peer name "$VE" netns "$NS" || return 1
	ip addr add "$NET4.1/24" dev "$VC" &&
		ip -6 addr add "$NET6::1/64" dev "$VC" nodad &&
		ip link set "$VC" up &&
		ip -n "$NS" link set lo up &&
		ip -n "$NS" addr add "$NET4.2/24" dev "$VE" &&
		ip -n "$NS" addr add "$NET4.3/24" dev "$VE" &&
		ip -n "$NS" addr add "$NET4.4/24" dev "$VE" &&
		ip -n "$NS" -6 addr add "$NET6::2/64" dev "$VE" nodad &&
		ip -n "$NS" link set "$VE" up
}

# Enrichment for the demo's addresses (gen_traffic.py's clients in
# 198.18.10.0/24 and 2001:2:0:10::/64, servers in .20 and :20::): a networks
# file, a tiny MMDB in GeoLite2's layout written now, and exporter rules.
write_enrichment() {
	local e=$DIR/enrich
	mkdir -p "$e" || return 1
	cat >"$e/networks.csv" <<EOF
prefix,name,role,site,region,tenant,asn,country
198.18.0.0/15,,internal,par1,eu-west,,,
198.18.10.0/24,clients,customer,,,acme,,
198.18.20.0/24,servers,hosting,,,globex,,
2001:2::/48,,internal,par1,eu-west,,,
2001:2:0:10::/64,clients6,customer,,,acme,,
2001:2:0:20::/64,servers6,hosting,,,globex,,
EOF
	cat >"$e/exporters.csv" <<EOF
prefix,name_regex,name,group,role,site,region,tenant
$NET4.2/32,,softflowd-v9,demo,edge,par1,eu-west,
$NET4.3/32,,pmacct-ipfix,demo,edge,par1,eu-west,
$NET4.4/32,,pmacct-sflow,demo,edge,par1,eu-west,
$NET6::2/128,,softflowd-ipfix,demo,edge,par1,eu-west,
EOF
	cat >"$e/enrich.conf" <<EOF
# make demo's enrichment (xdpflow-enrich.conf(5))
networks = networks.csv
exporters = exporters.csv
asn-database = geo.mmdb
country-database = geo.mmdb
EOF
	perl scripts/gen/gen-mmdb.pl "$e/geo.mmdb" \
		198.18.10.0/24 64500 "Acme Transit" FR 2001:2:0:10::/64 64500 "Acme Transit" FR \
		198.18.20.0/24 64501 "Globex Hosting" DE 2001:2:0:20::/64 64501 "Globex Hosting" DE \
		>"$LOGS/gen-mmdb.log" 2>&1 ||
		{ say "could not write the demo's MMDB: $(tail -1 "$LOGS/gen-mmdb.log")"; return 1; }
}

start_collector() { # extra options...
	start xdpflowd "$O/xdpflowd" \
		-l "netflow://$NET4.1:2055,netflow://[$NET6::1]:2055,sflow://$NET4.1:6343" \
		-o kafka --format pb --kafka-batch 64 --kafka-brokers "$KAFKA_BROKERS" \
		--kafka-topic "$TOPIC" --metrics "127.0.0.1:$MPORT" --allow-exporter "$NET4.0/24" \
		--allow-exporter "$NET6::/64" --bpffs "$BPFFS" --enrich "$DIR/enrich/enrich.conf" "$@"
}

# One exporter replaying the capture in a loop inside the namespace.
exporter_loop() { # name, command line (a string, run by bash)
	start "$1" ip netns exec "$NS" bash -c "while :; do $2; sleep 1; done"
}

start_exporters() {
	local pcap=$DIR/traffic.pcap pm=$DIR/pmacct
	mkdir -p "$pm"
	exporter_loop softflowd-v9 \
		"softflowd -r $pcap -n $NET4.1:2055 -v 9 -6 -d -c none -p $pm/sf9.pid"
	exporter_loop softflowd-ipfix \
		"softflowd -r $pcap -n [$NET6::1]:2055 -v 10 -6 -d -c none -p $pm/sf10.pid"
	cat >"$pm/ipfix.conf" <<EOF
daemonize: false
pcap_savefile: $pcap
pcap_savefile_wait: false
logfile: $LOGS/pmacct-ipfix.log
plugins: nfprobe
nfprobe_receiver: $NET4.1:2055
nfprobe_version: 10
nfprobe_source_ip: $NET4.3
EOF
	cat >"$pm/sflow.conf" <<EOF
daemonize: false
pcap_savefile: $pcap
pcap_savefile_wait: false
logfile: $LOGS/pmacct-sflow.log
plugins: sfprobe
sfprobe_receiver: $NET4.1:6343
sfprobe_agentip: $NET4.4
sfprobe_source_ip: $NET4.4
sampling_rate: 10
EOF
	exporter_loop pmacctd-ipfix "pmacctd -f $pm/ipfix.conf"
	exporter_loop pmacctd-sflow "pmacctd -f $pm/sflow.conf"
}

XDP_NOTE="UDP sockets"
if [ "$MODE" = collect ]; then
	say "generating the traffic capture; namespace $NS, veth $VC <-> $VE"
	gen_pcap || exit 1
	write_enrichment || exit 1
	make_net || { say "could not set up the namespace and veth"; exit 1; }
	use_xdp=0
	# (the help in a variable: grep -q closing the pipe early would fail
	# the pipeline under pipefail)
	help=$("$O/xdpflowd" --help 2>/dev/null)
	if [ "${DEMO_XDP:-auto}" != 0 ] && grep -q -- '--xdp IFACE' <<<"$help"; then
		use_xdp=1
	fi
	if [ $use_xdp = 1 ]; then
		start_collector --xdp "$VC"
		if ! alive_for "$LAST_PID" 3; then
			say "xdpflowd --xdp $VC did not start ($(tail -1 "$LOGS/xdpflowd.log")); using UDP sockets"
			mv "$LOGS/xdpflowd.log" "$LOGS/xdpflowd-xdp.log"
			use_xdp=0
		elif ip link show dev "$VC" | grep -q 'prog/xdp'; then
			XDP_NOTE="XDP on $VC"
		else
			XDP_NOTE="--xdp $VC (no XDP program attached: sockets)"
		fi
	fi
	if [ $use_xdp = 0 ]; then
		start_collector
		alive_for "$LAST_PID" 2 || { say "xdpflowd did not start: $(tail -3 "$LOGS/xdpflowd.log")"; exit 1; }
	fi
	start_exporters
	TITLE="xdpflow demo: softflowd + pmacctd -> xdpflowd ($XDP_NOTE) -> Kafka -> xdpflow-insert -> PostgreSQL"
else
	start xdpflow-mock "$O/xdpflow-mock" --rate "$MOCK_RATE" --stats-interval 1 \
		-o kafka --format pb --kafka-batch 64 --kafka-brokers "$KAFKA_BROKERS" \
		--kafka-topic "$TOPIC"
	alive_for "$LAST_PID" 1 || { say "xdpflow-mock did not start: $(tail -3 "$LOGS/xdpflow-mock.log")"; exit 1; }
	TITLE="xdpflow demo-mock: xdpflow-mock ($MOCK_RATE flows/s) -> Kafka -> xdpflow-insert -> PostgreSQL"
fi

#--- 4. Kafka -> PostgreSQL ----------------------------------------------------------
start xdpflow-insert "$O/xdpflow-insert" \
	--kafka-brokers "$KAFKA_BROKERS" --kafka-topic "$TOPIC" --kafka-group demo-insert \
	--postgres "$PGURI_NOPW" --batch-ms 500
alive_for "$LAST_PID" 1 || { say "xdpflow-insert did not start: $(tail -3 "$LOGS/xdpflow-insert.log")"; exit 1; }

#--- 5. the view -----------------------------------------------------------------------
say "running for ${SECS}s (Ctrl-C ends it); logs in $LOGS"
PGURI=$PGURI_NOPW KAFKA_BROKERS=$KAFKA_BROKERS VIEW_TOPIC=$TOPIC VIEW_MODE=$MODE \
	VIEW_METRICS="http://127.0.0.1:$MPORT/metrics" VIEW_MOCK_LOG="$LOGS/xdpflow-mock.log" \
	VIEW_TITLE="$TITLE" VIEW_SECONDS=$SECS VIEW_INTERVAL=$EVERY \
	scripts/demo/demo_view.sh
rc=$?
[ $rc = 0 ] || exit $rc
exit 0
