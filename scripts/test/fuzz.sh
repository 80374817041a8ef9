#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every libFuzzer target in DIR for SECONDS each, seeded from
# tests/fuzz/seeds/<target>/ and from ../shared/corpus (copied into a scratch
# corpus, never into the project). Crashes are kept in build/fuzz-crashes/.
set -uo pipefail
cd "$(dirname "$0")/../.."
dir=$1 secs=${2:-300}
pass=0 fail=0
mkdir -p build/fuzz-crashes
for t in "$dir"/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	work=$(mktemp -d)
	[ -d "tests/fuzz/seeds/$name" ] && cp -r "tests/fuzz/seeds/$name/." "$work/" 2>/dev/null
	if [ -x "tests/fuzz/$name.seed.sh" ]; then "tests/fuzz/$name.seed.sh" "$work"; fi
	if "$t" -max_total_time="$secs" -max_len=65535 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix=build/fuzz-crashes/"$name"- "$work" >"$work.log" 2>&1; then
		pass=$((pass + 1))
		echo "$name: ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work.log" | awk '{print $2}') runs)"
	else
		fail=$((fail + 1))
		tail -40 "$work.log"
		echo "$name: FAILED"
	fi
	rm -rf "$work" "$work.log"
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
