"""Shared by the python integration clients: PASS:/FAIL: lines in the
format tests/run.sh counts, and the number of failures for the exit code."""
fails = 0


def result(ok, name):
    """Prints PASS: name or FAIL: name; counts failures."""
    global fails
    print(("PASS: " if ok else "FAIL: ") + name, flush=True)
    if not ok:
        fails += 1


def exit_code():
    return 1 if fails else 0
