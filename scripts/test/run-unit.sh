#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs cmocka unit test binaries; prints each runner's output and a closing
# "unit: N passed, N failed" line. Exit 1 if any failed.
set -u
pass=0 fail=0
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	pass=$((pass + ${p:-0}))
	if [ $rc -ne 0 ] || [ -n "$f" ]; then
		fail=$((fail + ${f:-1}))
		printf '%s\n' "$out"
		echo "FAILED: $t (exit $rc)"
	else
		printf '%s\n' "$out" | tail -1 | sed "s|^|$(basename "$t"): |"
	fi
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
