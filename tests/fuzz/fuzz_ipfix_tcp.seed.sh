#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Seeds fuzz_ipfix_tcp: the IPFIX messages among fuzz_netflow's seeds and
# the telegraf ipfix_* datagrams of ../shared/corpus, each alone and all of
# one source concatenated, as a TCP exporter would stream them. Nothing is
# written into the project.
set -euo pipefail
dir=$(cd "$1" && pwd)
cd "$(dirname "$0")/../.."
python3 - "$dir" tests/fuzz/seeds/fuzz_netflow ../shared/corpus/telegraf <<'PY'
import os, sys

out, sources = sys.argv[1], sys.argv[2:]
for src in sources:
    if not os.path.isdir(src):
        continue
    stream = []
    for root, _, files in sorted(os.walk(src)):
        for f in sorted(files):
            with open(os.path.join(root, f), "rb") as fh:
                b = fh.read()
            if len(b) >= 16 and b[:2] == b"\0\x0a":
                stream.append(b)
    tag = os.path.basename(src.rstrip("/"))
    for i, b in enumerate(stream):
        with open(os.path.join(out, f"{tag}-{i:03d}.bin"), "wb") as o:
            o.write(b)
    if stream:
        with open(os.path.join(out, f"{tag}-stream.bin"), "wb") as o:
            o.write(b"".join(stream))
PY
