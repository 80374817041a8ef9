# SPDX-License-Identifier: Apache-2.0
"""The source tree's shape (issue 12): the #include graph between user/
files has no cycle, and each folder includes only the folders it may
depend on, so data flows one way (receive -> decode -> encode -> publish)
and every stage stays replaceable behind its header."""
import os
import re

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
USER = os.path.join(ROOT, "user")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

# folder -> folders it may include (besides itself). common is types,
# logging and helpers every folder may use; no stage includes another stage
# upstream or sideways.
ALLOWED = {
    "common": set(),
    "xdp": {"common"},
    "rx": {"common", "xdp"},
    "decode": {"common"},
    "encode": {"common"},
    "publish": {"common", "encode"},
    "insert": {"common"},
    "mock": {"common", "publish"},
    "enrich": {"common"},
    "relay": {"common"},
    "daemon": {"common", "rx", "xdp", "decode", "encode", "publish", "enrich"},
    "cmd": {"common", "daemon", "encode", "publish", "insert", "mock", "enrich",
            "relay"},
}


def _graph():
    g = {}
    for folder in sorted(os.listdir(USER)):
        d = os.path.join(USER, folder)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                rel = f"{folder}/{name}"
                with open(os.path.join(d, name)) as f:
                    g[rel] = [i for i in INCLUDE.findall(f.read())
                              if os.path.exists(os.path.join(USER, i))]
    return g


def test_graph_is_read():
    g = _graph()
    assert "common/flow.h" in g and "decode/decode.h" in g
    assert "common/flow.h" in g["decode/decode.h"]


def test_no_include_cycle():
    g = _graph()
    state = {}  # 1: on the stack, 2: done
    cycles = []

    def visit(n, stack):
        state[n] = 1
        stack.append(n)
        for m in g.get(n, []):
            if state.get(m) == 1:
                cycles.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m, stack)
        stack.pop()
        state[n] = 2

    for n in g:
        if n not in state:
            visit(n, [])
    assert not cycles, "include cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_folders_include_only_what_they_may():
    g = _graph()
    bad = []
    for f, incs in g.items():
        src = f.split("/")[0]
        assert src in ALLOWED, f"user/{src}/ is a new folder: say in ALLOWED what it may include"
        for i in incs:
            dst = i.split("/")[0]
            if dst != src and dst not in ALLOWED[src]:
                bad.append(f"{f} includes {i}")
    assert not bad, "\n".join(bad)
