#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Seeds fuzz_netflow: copies the telegraf NetFlow v5/v9 and IPFIX datagrams
# from ../shared/corpus into DIR (nothing is written into the project).
set -euo pipefail
dir=$(cd "$1" && pwd)
cd "$(dirname "$0")/../.."
corpus=../shared/corpus/telegraf
[ -d "$corpus" ] || exit 0
for c in netflow_v5_example netflow_v9_example netflow_v9_options ipfix_example \
	ipfix_options ipfix_pen_35632 issue_13305 issue_14370; do
	for f in "$corpus/$c"/*.bin; do
		[ -f "$f" ] || continue
		cp "$f" "$dir/telegraf-$c-$(basename "$f")"
	done
done
