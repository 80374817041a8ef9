# SPDX-License-Identifier: Apache-2.0
"""The man pages (docs/man): `mandoc -Tlint` finds nothing at warning level
or above, and each page's option list names exactly the options its
program's --help lists, short and long, both read at test time: an option
added to a program without its page (or the reverse) fails here."""

import re
import subprocess

import pytest

import xflow

MAN_DIR = xflow.REPO / "docs" / "man"
PAGES = {"xdpflowd": "xdpflowd.8", "xdpflow-insert": "xdpflow-insert.8",
         "xdpflow-mock": "xdpflow-mock.1", "xdpflow-enrich": "xdpflow-enrich.8"}
# Option rows of --help start within this many spaces; the wrapped help
# text of a row is indented further (and may start with an option name).
ROW_INDENT = 8
OPT_RE = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][A-Za-z0-9-]*)")


def help_options(program: str) -> set:
    """Options named at the start of --help's option rows (before the
    column of help text: the first run of two spaces)."""
    r = subprocess.run([str(xflow.binary(program)), "--help"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"{program} --help: {r.returncode} {r.stderr}"
    opts = set()
    for ln in (r.stdout + r.stderr).splitlines():
        body = ln.lstrip(" ")
        if not body.startswith("-") or len(ln) - len(body) > ROW_INDENT:
            continue
        head = body.split("  ", 1)[0]
        # argument names (URI[,URI], NAME=VALUE) out, option letters kept
        head = re.sub(r"(?<![\w-])[A-Z][A-Z0-9=,.\[\]_]*", "", head)
        opts.update(OPT_RE.findall(head))
    assert opts, f"no options in {program} --help:\n{r.stdout}"
    return opts


def man_options(page: str) -> set:
    """Options named by the page's list items (`.It Fl l , Fl \\-listen`);
    Fl adds one dash, `\\-` is a dash."""
    opts = set()
    for ln in (MAN_DIR / page).read_text().splitlines():
        if not ln.startswith(".It ") or " Fl " not in f" {ln[4:]}":
            continue
        for word in re.findall(r"(?:^|\s)Fl\s+(\S+)", ln[4:]):
            opts.add("-" + word.replace("\\-", "-"))
    assert opts, f"no options in {page}"
    return opts


# Pages of configuration files: linted, no --help to agree with.
FILE_PAGES = ["xdpflow-enrich.conf.5"]


@pytest.mark.parametrize("page", sorted(PAGES.values()) + FILE_PAGES)
def test_mandoc_lint(page):
    r = subprocess.run(["mandoc", "-Tlint", "-W", "warning",
                        str(MAN_DIR / page)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0 and not r.stdout.strip(), \
        f"mandoc -Tlint {page}:\n{r.stdout}{r.stderr}"


@pytest.mark.parametrize("program", sorted(PAGES))
def test_man_page_and_help_agree(program):
    h, m = help_options(program), man_options(PAGES[program])
    assert h == m, (f"{program}: in --help only: {sorted(h - m)}; "
                    f"in {PAGES[program]} only: {sorted(m - h)}")


def test_every_program_has_a_page():
    progs = {p.stem for p in (xflow.REPO / "user" / "cmd").glob("*.c")}
    assert progs == set(PAGES), \
        f"programs without a man page: {sorted(progs - set(PAGES))}"
