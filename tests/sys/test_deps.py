# SPDX-License-Identifier: Apache-2.0
"""scripts/deps.sh covers every tool the tree checks for. Scans the Makefile,
the shell scripts (scripts/, tests/bench/, tests/fuzz/, .ci/) and the Python
tests and scripts for the commands they check for (`command -v X`, also
through `for t in A B; do command -v $t`; `require_tool(...)`,
`shutil.which(...)`, `which X`, also through a loop or a parametrize list),
and fails when one is not in deps.sh's TOOLS table (`deps.sh --tools`), when
an installed command does not come from the package the table names (or one
of its dependencies), or when a package named there is unknown to apt. A
script that starts needing a new tool makes this test fail until deps.sh
installs it."""

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPS = REPO / "scripts" / "deps.sh"
# Python functions that are the check itself (their argument is a parameter).
CHECK_HELPERS = {"require_tool"}


def deps_tools() -> dict:
    out = subprocess.run([str(DEPS), "--tools"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    table = {}
    for line in out.splitlines():
        cmd, pkg = line.split()
        table[cmd] = pkg
    return table


# --- shell -----------------------------------------------------------------

_CMD_V = re.compile(r"command\s+-v\s+(\"?\$[{(]?\w+[})]?\"?|[A-Za-z0-9_.+-]+)")
_FOR = re.compile(r"\bfor\s+(\w+)\s+in\s+([^;]*?)\s*;\s*do\b")


def shell_checks(text: str, where: str):
    """Yields (command, "file:line") for each command a shell text checks
    for; an unresolvable `command -v $X` yields (None, location)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        code = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
        for m in _CMD_V.finditer(code):
            arg = m.group(1)
            loc = f"{where}:{i + 1}"
            if not arg.strip('"').startswith("$"):
                yield arg, loc
                continue
            var = arg.strip('"${}()')
            words = None
            if arg.strip('"').startswith("$("):  # a make variable
                m2 = re.search(rf"^{var}\s*[:?]?=\s*(\S+)\s*$", text, re.M)
                words = [m2.group(1)] if m2 else None
            for back in range(i, max(i - 4, -1), -1) if words is None else ():
                f = next((f for f in _FOR.finditer(lines[back])
                          if f.group(1) == var), None)
                if f:
                    words = f.group(2).split()
                    break
            if not words or any(not re.fullmatch(r"[A-Za-z0-9_.+-]+", w)
                                for w in words):
                yield None, loc
            else:
                for w in words:
                    yield w, loc


# --- Python ----------------------------------------------------------------

def _strings(node):
    """The strings a loop over node can take: literals, tuples and lists of
    them, joined with + or chosen with `a if c else b`; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List)):
        parts = [_strings(e) for e in node.elts]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = [_strings(node.left), _strings(node.right)]
    elif isinstance(node, ast.IfExp):
        parts = [_strings(node.body), _strings(node.orelse)]
    else:
        return None
    if any(p is None for p in parts):
        return None
    return [s for p in parts for s in p]


def _parametrize_values(func, name, module):
    """The values a parametrized test function's argument `name` takes, or
    None when it is not a parametrize argument we can read."""
    assigns = {t.id: n.value for n in module.body if isinstance(n, ast.Assign)
               for t in n.targets if isinstance(t, ast.Name)}
    for dec in func.decorator_list:
        if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)
                and dec.func.attr == "parametrize" and len(dec.args) >= 2
                and isinstance(dec.args[0], ast.Constant)):
            continue
        names = [s.strip() for s in dec.args[0].value.split(",")]
        if name not in names:
            continue
        vals = dec.args[1]
        if isinstance(vals, ast.Name):
            vals = assigns.get(vals.id)
        if not isinstance(vals, (ast.List, ast.Tuple)):
            return None
        idx, out = names.index(name), []
        for elt in vals.elts:
            if len(names) > 1:
                if not isinstance(elt, ast.Tuple):
                    return None
                elt = elt.elts[idx]
            if not (isinstance(elt, ast.Constant) and isinstance(elt.value, str)):
                return None
            out.append(elt.value)
        return out
    return None


def python_checks(text: str, where: str):
    """Yields (command, "file:line") for each command a Python text checks
    for; an unresolvable check yields (None, location)."""
    module = ast.parse(text)
    parents = {}
    for node in ast.walk(module):
        for child in ast.iter_child_nodes(node):
            parents[child] = node

    def resolve(arg, node):
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return [arg.value]
        if not isinstance(arg, ast.Name):
            return None
        p = parents.get(node)
        while p is not None:
            if isinstance(p, ast.For) and isinstance(p.target, ast.Name) \
                    and p.target.id == arg.id:
                return _strings(p.iter)
            if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if p.name in CHECK_HELPERS:
                    return []
                return _parametrize_values(p, arg.id, module)
            p = parents.get(p)
        return None

    for node in ast.walk(module):
        arg = None
        if isinstance(node, ast.Call) and node.args:
            f = node.func
            fname = f.id if isinstance(f, ast.Name) else \
                f.attr if isinstance(f, ast.Attribute) else None
            if fname in CHECK_HELPERS or fname == "which":
                arg = node.args[0]
        if isinstance(node, ast.List) and len(node.elts) >= 2 and \
                isinstance(node.elts[0], ast.Constant) and node.elts[0].value == "which":
            arg = node.elts[1]
        if arg is None:
            continue
        loc = f"{where}:{node.lineno}"
        vals = resolve(arg, node)
        if vals is None:
            yield None, loc
        for v in vals or ():
            yield v, loc


def tree_checks():
    files = [REPO / "Makefile", REPO / ".ci" / "run"]
    files += sorted((REPO / "scripts").rglob("*.sh"))
    files += sorted((REPO / "tests" / "bench").glob("*.sh"))
    files += sorted((REPO / "tests" / "fuzz").glob("*.sh"))
    pys = sorted((REPO / "scripts").rglob("*.py"))
    pys += [p for p in sorted((REPO / "tests" / "sys").glob("*.py"))
            if p.name != Path(__file__).name]
    found = []
    for f in files:
        if f.is_file():
            found += shell_checks(f.read_text(), str(f.relative_to(REPO)))
    for f in pys:
        found += python_checks(f.read_text(), str(f.relative_to(REPO)))
    return found


# --- tests -----------------------------------------------------------------

def test_scanner_sees_every_form_of_check():
    sh = ('command -v curl >/dev/null || exit 1\n'
          'for t in kcat psql; do\n'
          '\tcommand -v $t >/dev/null || exit 1\n'
          'done\n'
          'x=$(command -v "$1")\n'
          'CF ?= clang-format\n'
          '\tcommand -v $(CF) >/dev/null || exit 1\n')
    got = list(shell_checks(sh, "x.sh"))
    assert [c for c, _ in got] == ["curl", "kcat", "psql", None,
                                   "clang-format"], got
    py = ('import shutil, pytest\n'
          'shutil.which("jq")\n'
          'def require_tool(name):\n'
          '    return shutil.which(name)\n'
          'def f(mode):\n'
          '    for t in ("a", "b") + (("c",) if mode else ()):\n'
          '        require_tool(t)\n'
          'L = [("i1", "softflowd", 9), ("i2", "pmacctd", 10)]\n'
          '@pytest.mark.parametrize("name,tool,v", L)\n'
          'def test_x(name, tool, v):\n'
          '    require_tool(tool)\n'
          '    subprocess.run(["which", "nc"])\n'
          'def g(x):\n'
          '    require_tool(x)\n')
    got = sorted(str(c) for c, _ in python_checks(py, "x.py"))
    assert got == sorted(["jq", "a", "b", "c", "softflowd", "pmacctd",
                          "nc", "None"]), got


def test_every_checked_tool_is_in_deps():
    table = deps_tools()
    checks = tree_checks()
    assert len(checks) >= 10, f"the scan found only {checks}"
    unresolved = sorted({loc for c, loc in checks if c is None})
    assert not unresolved, \
        f"cannot tell which tool these checks need (use literal names, a " \
        f"for loop or a parametrize list): {unresolved}"
    missing = {}
    for cmd, loc in checks:
        if cmd not in table:
            missing.setdefault(cmd, []).append(loc)
    assert not missing, \
        f"checked for but not in scripts/deps.sh's TOOLS table: {missing}"


def _dpkg_owner(path: str):
    """The package owning path (trying /usr-merged twins and the resolved
    link), or None."""
    cands = [path]
    if not os.path.exists(path):
        return None
    if path.startswith("/usr/"):
        cands.append(path[4:])
    else:
        cands.append("/usr" + path)
    real = os.path.realpath(path)
    cands += [real, real[4:] if real.startswith("/usr/") else "/usr" + real]
    for c in cands:
        r = subprocess.run(["dpkg-query", "-S", c], capture_output=True,
                           text=True, timeout=30)
        for line in r.stdout.splitlines():
            if line.startswith("diversion by"):
                continue
            pkgs, _, owned = line.partition(": ")
            if owned == c:
                return pkgs.split(",")[0].split(":")[0].strip()
    return None


def _depends_closure(pkg: str, depth: int = 4) -> set:
    seen, todo = {pkg}, [pkg]
    for _ in range(depth):
        nxt = []
        for p in todo:
            r = subprocess.run(["dpkg-query", "-W", "-f=${Depends},${Pre-Depends}", p],
                               capture_output=True, text=True, timeout=30)
            for alt in re.split(r"[,|]", r.stdout):
                name = alt.strip().split(" ")[0].split(":")[0]
                if name and name not in seen:
                    seen.add(name)
                    nxt.append(name)
        todo = nxt
    return seen


def test_installed_tools_come_from_the_named_package():
    if not shutil.which("dpkg-query"):
        pytest.skip("not a Debian system (no dpkg-query)")
    wrong = []
    for cmd, pkg in deps_tools().items():
        path = shutil.which(cmd)
        if pkg == "-" or path is None:
            continue
        # A copy outside Debian's packages first on PATH (pyenv, /usr/local)
        # says nothing about the table: check the system's copy instead.
        owner = _dpkg_owner(path)
        for d in ("/usr/bin", "/usr/sbin"):
            if owner is None:
                owner = _dpkg_owner(f"{d}/{cmd}")
        if owner is None:
            wrong.append(f"{cmd} ({path}) belongs to no Debian package, "
                         f"deps.sh names {pkg}")
        elif owner != pkg and owner not in _depends_closure(pkg):
            wrong.append(f"{cmd} ({path}) comes from {owner}, deps.sh names {pkg}")
    assert not wrong, "; ".join(wrong)


def test_every_named_package_is_known_to_apt():
    if not shutil.which("apt-cache"):
        pytest.skip("not a Debian system (no apt-cache)")
    pkgs = sorted({p for p in deps_tools().values() if p != "-"})
    r = subprocess.run(["apt-cache", "show", "--no-all-versions", *pkgs],
                       capture_output=True, text=True, timeout=60)
    known = set(re.findall(r"^Package: (\S+)$", r.stdout, re.M))
    assert set(pkgs) <= known, f"unknown to apt: {sorted(set(pkgs) - known)}"
