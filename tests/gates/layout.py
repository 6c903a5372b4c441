#!/usr/bin/env python3
"""Gate: the tree keeps the shape docs/design.md describes.

Checks, over shared/ and applets/:
  - no include cycle between modules (a module is a .c/.h pair named
    alike; `a.c` including "b.h" is an arrow a -> b; folder-private
    headers, `internal.h` and `*_int.h`, belong to the files that use them);
  - no .c file over MAX_FILE_LINES lines;
  - no function over MAX_FUNC_LINES lines (no exceptions: split a long
    function into named steps instead).
Prints one PASS:/FAIL: line per check; exits 1 on any failure.
"""
import glob
import os
import re
import sys

MAX_FILE_LINES = 1000
MAX_FUNC_LINES = 150

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)
# The repo's style (clang-format, Linux braces): a definition's header ends
# the line before a "{" in column 0, and its body ends at a "}" in column 0.
FUNC_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def sources():
    files = glob.glob(os.path.join(ROOT, "shared", "**", "*.[ch]"), recursive=True)
    files += glob.glob(os.path.join(ROOT, "applets", "*.[ch]"))
    return sorted(files)


def module_of(path):
    return os.path.splitext(os.path.basename(path))[0]


def private_header(module):
    """A folder-private header (`internal.h`, `*_int.h`) splits one module's
    implementation over several files; it is not a module of its own."""
    return module == "internal" or module.endswith("_int")


def include_graph(files):
    known = {module_of(f) for f in files if not private_header(module_of(f))}
    graph = {}
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        if private_header(module_of(f)):
            continue
        deps = graph.setdefault(module_of(f), set())
        for m in INCLUDE.findall(text):
            m = os.path.basename(m)
            if m in known and m != module_of(f):
                deps.add(m)
    return graph


def find_cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def definition_header(lines, brace):
    """The header before a "{" in column 0: from the last line that starts
    in column 0 (a wrapped parameter list continues indented), joined."""
    k = brace - 1
    while k > 0 and lines[k][:1] in ("\t", " ") and brace - k < 8:
        k -= 1
    return " ".join(lines[k:brace])


def long_functions(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = fh.read().split("\n")
    found, start, name = [], None, None
    for i, line in enumerate(lines):
        if line.startswith("{") and i > 0 and start is None:
            header = definition_header(lines, i)
            m = FUNC_NAME.search(header)
            if m and not header.startswith("#") and "=" not in header:
                start, name = i, m.group(1)
        elif line.startswith("}") and start is not None:
            n = i - start + 1
            if n > MAX_FUNC_LINES:
                found.append((name, n))
            start = None
    return found


def report(problems, fail_title, pass_title):
    """One FAIL: line and the problems indented, or one PASS: line.
    Returns 1 when there were problems."""
    if not problems:
        print("PASS: layout gate: " + pass_title)
        return 0
    print("FAIL: layout gate: " + fail_title)
    for p in problems:
        print("  " + p)
    return 1


def main():
    files = sources()
    rel = lambda p: os.path.relpath(p, ROOT)
    cycles = ["cycle among: " + " ".join(c) for c in find_cycles(include_graph(files))]
    big = []
    for f in files:
        if f.endswith(".c"):
            with open(f, encoding="utf-8", errors="replace") as fh:
                n = sum(1 for _ in fh)
            if n > MAX_FILE_LINES:
                big.append(f"{rel(f)}: {n} lines")
    longf = []
    for f in files:
        if f.endswith(".c"):
            for name, n in long_functions(f):
                longf.append(f"{rel(f)}:{name}: {n} lines")
    failed = report(cycles, "include cycles between modules", "no include cycle between modules")
    failed += report(big, f".c files over {MAX_FILE_LINES} lines", f"no .c file over {MAX_FILE_LINES} lines")
    failed += report(longf, f"functions over {MAX_FUNC_LINES} lines", f"no function over {MAX_FUNC_LINES} lines")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
