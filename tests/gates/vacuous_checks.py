#!/usr/bin/env python3
"""Gate: refuses integration checks that cannot fail on their later conditions.

`check NAME CMD...` (tests/integration/lib.sh) runs only CMD. Written as
`check NAME [ a ] && [ b ]`, the shell runs `check NAME [ a ]` and then
`[ b ]` on its own: a false `b` is never reported. The same holds for `||`.
Such lines must put the whole condition in one command (`eval '...'`,
`bash -c "..."` or a function).

Usage: vacuous_checks.py [FILE...]  (default: tests/integration/*.sh)
Prints one PASS: or FAIL: line per file; exits 1 when any file fails.
"""
import glob
import os
import re
import sys

# `check` in command position: line start, or after ; & | ( { then do else.
CHECK_CMD = re.compile(r"(?:^\s*|[;&|({]\s*|\b(?:then|do|else)\s+)check\s")
CONTROL = re.compile(r"&&|\|\|")


def strip_quotes(line):
    """The line without its quoted words: what the shell sees as operators."""
    out, i, n = [], 0, len(line)
    while i < n:
        c = line[i]
        if c == "\\" and i + 1 < n:
            i += 2
            continue
        if c == "'":
            j = line.find("'", i + 1)
            i = n if j < 0 else j + 1
            continue
        if c == '"':
            j = i + 1
            while j < n and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            i = j + 1
            continue
        if c == "#" and (i == 0 or line[i - 1].isspace()):
            break  # a comment
        out.append(c)
        i += 1
    return "".join(out)


def logical_lines(text):
    """Physical lines joined at backslash continuations, with line numbers."""
    buf, start = "", None
    for no, raw in enumerate(text.splitlines(), 1):
        if start is None:
            start = no
        if raw.endswith("\\"):
            buf += raw[:-1] + " "
            continue
        yield start, buf + raw
        buf, start = "", None
    if buf:
        yield start, buf


def violations(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    found = []
    for no, line in logical_lines(text):
        bare = strip_quotes(line)
        for m in CHECK_CMD.finditer(bare):
            if CONTROL.search(bare, m.end()):
                found.append((no, line.strip()))
                break
    return found


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    files = argv or sorted(glob.glob(os.path.join(here, "..", "integration", "*.sh")))
    bad = 0
    for path in files:
        name = os.path.relpath(path)
        found = violations(path)
        if not found:
            print(f"PASS: vacuous-check gate: {name}")
            continue
        bad += 1
        print(f"FAIL: vacuous-check gate: {name}")
        for no, line in found:
            print(f"  {name}:{no}: `check` followed by && or ||: only its first command is checked: {line}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
