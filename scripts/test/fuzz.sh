#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the libFuzzer targets in DIR, one at a time, each for SECONDS (0: no
# time limit) and, when RUNS is given, for at most RUNS executions
# (libFuzzer -runs; whichever ends first). Each is seeded from
# tests/fuzz/seeds/<target>/ and from its tests/fuzz/<target>.seed.sh
# (../shared/corpus, copied into a scratch corpus, never into the project).
# Crashes are kept in build/fuzz-crashes/. FUZZ_TARGETS (names, with or
# without the fuzz_ prefix, space-separated) picks some targets, in that
# order. Ends with a table, target / executions (libFuzzer's final
# stat::number_of_executed_units) / seconds / finding, also written to
# build/fuzz/summary.txt, then one "fuzz: N passed, M failed" line.
set -uo pipefail
cd "$(dirname "$0")/../.."
dir=$1 secs=${2:-300} runs=${3:-}
summary=build/fuzz/summary.txt
pass=0 fail=0 rows=()
mkdir -p build/fuzz-crashes build/fuzz

if [ -n "${FUZZ_TARGETS:-}" ]; then
	targets=()
	for n in $FUZZ_TARGETS; do
		targets+=("$dir/fuzz_${n#fuzz_}")
	done
else
	targets=("$dir"/fuzz_*)
fi

for t in "${targets[@]}"; do
	case $t in *.d) continue ;; esac
	name=$(basename "$t")
	if [ ! -x "$t" ]; then
		echo "$name: no such fuzz target in $dir"
		fail=$((fail + 1))
		rows+=("$name - - missing")
		continue
	fi
	work=$(mktemp -d)
	[ -d "tests/fuzz/seeds/$name" ] && cp -r "tests/fuzz/seeds/$name/." "$work/" 2>/dev/null
	if [ -x "tests/fuzz/$name.seed.sh" ]; then "tests/fuzz/$name.seed.sh" "$work"; fi
	limit=(-max_total_time="$secs")
	[ -n "$runs" ] && limit+=(-runs="$runs")
	start=$(date +%s)
	"$t" "${limit[@]}" -max_len=65535 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix=build/fuzz-crashes/"$name"- "$work" >"$work.log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$work.log" | tail -1 | awk '{print $2}')
	execs=${execs:-?}
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		found=none
		echo "$name: ok ($execs runs in ${took}s)"
	else
		fail=$((fail + 1))
		art=$(grep -o 'Test unit written to [^ ]*' "$work.log" | tail -1 | awk '{print $NF}')
		found="exit-$rc${art:+:$art}"
		tail -40 "$work.log"
		echo "$name: FAILED ($found)"
	fi
	rows+=("$name $execs $took $found")
	rm -rf "$work" "$work.log"
done

{
	printf '%-20s %12s %8s  %s\n' target executions seconds finding
	for r in "${rows[@]}"; do
		# shellcheck disable=SC2086
		printf '%-20s %12s %8s  %s\n' $r
	done
} | tee "$summary"
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
