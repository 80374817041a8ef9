#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes GoFlow2 v2.2.6 (the benchmark peer) available and prints the path of
# its binary on stdout. Reuses build/tools/goflow2 or a goflow2 on PATH or in
# ~/go/bin when `go version -m` says it is v2.2.6; otherwise runs
# `go install github.com/netsampler/goflow2/v2/cmd/goflow2@v2.2.6` with
# GOBIN=build/tools (O= sets the build folder). Exit 1 with a one-line reason
# when it cannot.
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=v2.2.6
MODULE=github.com/netsampler/goflow2/v2
TOOLS=${O:-build}/tools

is_wanted() { # path: true if it is GoFlow2 at $VERSION
	[ -x "$1" ] && command -v go >/dev/null 2>&1 &&
		go version -m "$1" 2>/dev/null | grep -qE "^[[:space:]]+mod[[:space:]]+$MODULE[[:space:]]+$VERSION([[:space:]]|$)"
}

for cand in "$TOOLS/goflow2" "$(command -v goflow2 2>/dev/null || true)" "${GOPATH:-$HOME/go}/bin/goflow2"; do
	if [ -n "$cand" ] && is_wanted "$cand"; then
		readlink -f "$cand"
		exit 0
	fi
done

if ! command -v go >/dev/null 2>&1; then
	echo "goflow2.sh: could not install GoFlow2 $VERSION: go is not on PATH" >&2
	exit 1
fi
mkdir -p "$TOOLS"
GOBIN=$(readlink -f "$TOOLS")
# The module cache answers first, so this works offline once it is filled.
if ! GOBIN="$GOBIN" GOFLAGS=-buildvcs=false go install "$MODULE/cmd/goflow2@$VERSION" >&2; then
	echo "goflow2.sh: could not install GoFlow2 $VERSION with go install" >&2
	exit 1
fi
if ! is_wanted "$TOOLS/goflow2"; then
	echo "goflow2.sh: $TOOLS/goflow2 is not GoFlow2 $VERSION after go install" >&2
	exit 1
fi
readlink -f "$TOOLS/goflow2"
