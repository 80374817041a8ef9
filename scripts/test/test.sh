#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make test`: builds plain and ASan+UBSan trees, checks the C formatting
# (make format-check), runs the cmocka unit tests in both, each fuzz target
# briefly (ASan+UBSan), then the pytest system tests against both builds.
# Ends with one "tests: N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/../.."
MAKE=${MAKE:-make}
FUZZ_SMOKE=${FUZZ_SMOKE:-15}
pass=0 fail=0 rc_all=0

tally() { # reads "...: N passed, M failed" from the last line of a log
	local line p f
	line=$(grep -E '[0-9]+ (passed|failed|errors?)' "$1" | tail -1)
	p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+'); p=${p:-0}
	f=0
	for n in $(grep -oE '[0-9]+ (failed|errors?)' <<<"$line" | grep -oE '^[0-9]+'); do
		f=$((f + n))
	done
	pass=$((pass + p)); fail=$((fail + f))
}

step() { # name, command...: runs, shows output, tallies
	local name=$1 log; shift
	log=$(mktemp)
	echo "== $name"
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	tally "$log"
	if [ "$rc" -ne 0 ]; then
		echo "== $name: FAILED (exit $rc)"
		rc_all=1
		grep -qE '[0-9]+ failed' "$log" || fail=$((fail + 1))
	fi
	rm -f "$log"
}

$MAKE --no-print-directory all unit-bins || exit 1
$MAKE --no-print-directory O=build/asan SAN=1 all unit-bins fuzz-bins || exit 1

step "format-check" $MAKE --no-print-directory format-check
step "unit (plain)" $MAKE --no-print-directory unit
step "unit (asan+ubsan)" $MAKE --no-print-directory O=build/asan SAN=1 unit
step "fuzz smoke (${FUZZ_SMOKE}s each)" scripts/test/fuzz.sh build/asan/fuzz "$FUZZ_SMOKE"
if ls tests/sys/test_*.py >/dev/null 2>&1; then
	step "system (plain)" env XDPFLOW_BUILD=build .venv/bin/python -m pytest -q tests/sys
	step "system (asan+ubsan)" env XDPFLOW_BUILD=build/asan .venv/bin/python -m pytest -q tests/sys
fi

echo "tests: $pass passed, $fail failed"
exit $rc_all
