#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The demo's live terminal view (scripts/demo/demo.sh runs it): every
# VIEW_INTERVAL seconds, for VIEW_SECONDS seconds (or until interrupted), one
# screen with the flows in and out of each stage and their rates (exporters
# -> xdpflowd from its /metrics, or the mocker's stats lines; Kafka topic end
# offsets from kcat; xdpflow-insert's committed offsets and the row count
# from PostgreSQL), then top talkers, top destination ports and per-exporter
# counts by SQL over the flows table. On a terminal each screen replaces the
# last; otherwise screens follow each other, separated by a rule.
#
# Environment: PGURI, KAFKA_BROKERS, VIEW_TOPIC (flows), VIEW_MODE (collect
# or mock), VIEW_METRICS (xdpflowd's /metrics URL, collect mode),
# VIEW_MOCK_LOG (the mocker's stderr, mock mode), VIEW_TITLE, VIEW_SECONDS
# (60), VIEW_INTERVAL (2), VIEW_WINDOW (top-N window, seconds; 60).
set -u

TOPIC=${VIEW_TOPIC:-flows}
MODE=${VIEW_MODE:-collect}
SECS=${VIEW_SECONDS:-60}
EVERY=${VIEW_INTERVAL:-2}
WINDOW=${VIEW_WINDOW:-60}
TITLE=${VIEW_TITLE:-xdpflow demo}
# Every external call is bounded: a stuck broker or database slows a screen
# down, it never hangs the view.
T="timeout -k 2 5" # KILL 2 s after TERM: a client that ignores TERM cannot stall the view

q() { # SQL -> psql's aligned table (nothing if PostgreSQL is not ready)
	$T psql -X -q -P footer=off -d "$PGURI" -c "$1" 2>/dev/null
}

q1() { # SQL -> one value, 0 if unavailable
	v=$($T psql -X -q -A -t -d "$PGURI" -c "$1" 2>/dev/null | head -1)
	echo "${v:-0}"
}

partitions() {
	$T kcat -b "$KAFKA_BROKERS" -L -t "$TOPIC" 2>/dev/null |
		awk '/partition [0-9]+,/ {n++} END {print n + 0}'
}

kafka_end() { # sum of the topic's end offsets (messages ever produced)
	n=$(partitions)
	[ "$n" -gt 0 ] || { echo 0; return; }
	args=""
	i=0
	while [ $i -lt "$n" ]; do
		args="$args -t $TOPIC:$i:-1"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	$T kcat -b "$KAFKA_BROKERS" -Q $args 2>/dev/null |
		awk '/ offset / {s += $NF} END {printf "%d\n", s}'
}

metric() { # name -> value summed over labels, from the saved scrape
	awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $NF}
		END {printf "%d\n", s}' "$SCRAPE" 2>/dev/null
}

mock_stat() { # key -> value from the mocker's newest stats line
	grep 'stats mock ' "$VIEW_MOCK_LOG" 2>/dev/null | tail -1 |
		tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {v = $2} END {printf "%d\n", v}'
}

rate() { # now, before, seconds -> per second
	awk -v a="$1" -v b="$2" -v s="$3" 'BEGIN {
		if (s <= 0 || b < 0) print "-"; else printf "%.0f\n", (a - b) / s }'
}

row() { # label, total, per second, note
	printf '  %-40s %14s %12s/s  %s\n' "$1" "$2" "$3" "${4:-}"
}

SCRAPE=$(mktemp)
trap 'rm -f "$SCRAPE"' EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
prev_t=-1
p_xdp=-1 has_xdp=0 xdp=0 p_in=-1 p_out=-1 p_del=-1 p_kafka=-1 p_ins=-1 p_rows=-1
n=0
while :; do
	now=$(date +%s)
	el=$((now - start))
	if [ "$MODE" = mock ]; then
		in=$(mock_stat flows)
		out=$in
		del=$(mock_stat delivered)
	else
		: >"$SCRAPE"
		$T curl -s --max-time 3 "${VIEW_METRICS:-}" >"$SCRAPE" 2>/dev/null || true
		in=$(metric xdpflow_rx_packets_total)
		xdp=$(metric xdpflow_xdp_redirected_total)
		has_xdp=$(grep -c '^xdpflow_xdp_packets_total' "$SCRAPE")
		out=$(metric xdpflow_publish_flows_total)
		del=$(metric xdpflow_publish_delivered_total)
	fi
	kafka=$(kafka_end)
	ins=$(q1 "SELECT coalesce(sum(next_offset), 0) FROM kafka_offsets WHERE topic = '$TOPIC'")
	rows=$(q1 "SELECT count(*) FROM flows")
	dt=$((now - prev_t))
	[ "$prev_t" -lt 0 ] && dt=0

	if [ -t 1 ]; then
		printf '\033[H\033[2J'
	else
		[ $n -gt 0 ] && echo
		echo "-------------------------------------------------------------------------------"
	fi
	printf '%s   [%ss of %ss; Ctrl-C ends it]\n\n' "$TITLE" "$el" "$SECS"
	printf '  %-40s %14s %14s\n' "stage" "total" "rate"
	if [ "$MODE" = mock ]; then
		row "xdpflow-mock: flows generated" "$in" "$(rate "$in" "$p_in" "$dt")"
		row "xdpflow-mock -> Kafka: messages delivered" "$del" "$(rate "$del" "$p_del" "$dt")"
	else
		row "exporters -> xdpflowd: datagrams" "$in" "$(rate "$in" "$p_in" "$dt")"
		[ "$has_xdp" -gt 0 ] &&
			row "  of which XDP redirected to AF_XDP" "$xdp" "$(rate "$xdp" "$p_xdp" "$dt")"
		row "xdpflowd: flows decoded and published" "$out" "$(rate "$out" "$p_out" "$dt")"
		row "xdpflowd -> Kafka: messages delivered" "$del" "$(rate "$del" "$p_del" "$dt")"
	fi
	row "Kafka topic $TOPIC: messages (end offsets)" "$kafka" "$(rate "$kafka" "$p_kafka" "$dt")"
	row "xdpflow-insert: messages committed" "$ins" "$(rate "$ins" "$p_ins" "$dt")" \
		"lag $((kafka - ins))"
	row "PostgreSQL: rows in flows" "$rows" "$(rate "$rows" "$p_rows" "$dt")"
	echo
	echo "Top talkers (last ${WINDOW}s, bytes x sampling rate):"
	q "SELECT host(src_addr) AS source, count(*) AS flows,
		sum(bytes * greatest(sampling_rate, 1)) AS bytes,
		sum(packets * greatest(sampling_rate, 1)) AS packets
	   FROM flows WHERE time_received > now() - interval '$WINDOW s'
	   GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT 5" | sed 's/^/  /'
	echo "Top destination ports (last ${WINDOW}s):"
	q "SELECT dst_port AS port, CASE proto WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp'
		WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmp6' ELSE proto::text END AS proto,
		count(*) AS flows, sum(bytes * greatest(sampling_rate, 1)) AS bytes
	   FROM flows WHERE time_received > now() - interval '$WINDOW s'
	   GROUP BY 1, 2 ORDER BY 4 DESC, 1 LIMIT 5" | sed 's/^/  /'
	if [ "$MODE" = collect ]; then # xdpflowd --enrich; the mocker does not enrich
		echo "By tenant and country (enrichment; last ${WINDOW}s):"
		q "SELECT coalesce(src_net_tenant, '-') AS \"src tenant\",
			coalesce(src_country, '-') AS \"src cc\",
			coalesce(src_as::text || ' ' || src_as_name, '-') AS \"src AS\",
			coalesce(dst_net_tenant, '-') AS \"dst tenant\",
			coalesce(dst_country, '-') AS \"dst cc\",
			coalesce(exporter_name, '-') AS exporter, count(*) AS flows,
			sum(bytes * greatest(sampling_rate, 1)) AS bytes
		   FROM flows WHERE time_received > now() - interval '$WINDOW s'
		   GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 8 DESC, 1 LIMIT 6" | sed 's/^/  /'
	fi
	echo "Per exporter (all rows; rate over the last 10 s):"
	q "SELECT host(sampler_address) AS exporter, CASE type WHEN 1 THEN 'sFlow 5'
		WHEN 2 THEN 'NetFlow v5' WHEN 3 THEN 'NetFlow v9' WHEN 4 THEN 'IPFIX'
		ELSE type::text END AS protocol, count(*) AS flows,
		round(count(*) FILTER (WHERE time_received > now() - interval '10 s') / 10.0, 1)
		  AS \"flows/s\"
	   FROM flows GROUP BY 1, 2 ORDER BY 1, 2" | sed 's/^/  /'

	p_xdp=$xdp p_in=$in p_out=$out p_del=$del p_kafka=$kafka p_ins=$ins p_rows=$rows prev_t=$now
	n=$((n + 1))
	[ "$el" -ge "$SECS" ] && break
	left=$((SECS - el))
	sleep "$([ "$left" -lt "$EVERY" ] && echo "$left" || echo "$EVERY")"
done
echo
echo "view: done after ${el}s, $n screens"
