#!/usr/bin/python3
"""User enumeration checks against a running sshbox sshd (driven by
test_enumeration.sh), with paramiko as the client.
Usage: hostile_enum.py PORT EXISTING MISSING REFUSED TRIES
- keyboard-interactive: the sequence of INFO_REQUESTs (name, instruction,
  prompts) and the final outcome must be the same for every try and every
  user (existing with a wrong answer, missing, refused);
- password: the median time of a failed password for the existing and the
  missing user differ by less than 10 ms (tries interleaved, so load drift
  hits both alike)."""
import os
import socket
import statistics
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tlib import exit_code, result  # noqa: E402

import paramiko

PORT = int(sys.argv[1])
EXISTING, MISSING, REFUSED = sys.argv[2], sys.argv[3], sys.argv[4]
TRIES = int(sys.argv[5])


def transport():
    sock = socket.create_connection(("127.0.0.1", PORT), timeout=20)
    t = paramiko.Transport(sock)
    t.start_client(timeout=20)
    return t


def kbd_sequence(user):
    """The INFO_REQUEST rounds and the outcome, as a comparable tuple."""
    rounds = []

    def handler(title, instructions, prompts):
        rounds.append((title, instructions, tuple(prompts)))
        return ["wrong-answer"] * len(prompts)

    t = transport()
    try:
        t.auth_interactive(user, handler)
        outcome = "success"
    except paramiko.BadAuthenticationType as e:
        outcome = "bad-type %s" % sorted(e.allowed_types)
    except paramiko.AuthenticationException as e:
        outcome = "failed: %s" % type(e).__name__
    finally:
        t.close()
    return (tuple(rounds), outcome)


def password_ms(user):
    t = transport()
    try:
        t0 = time.monotonic()
        try:
            t.auth_password(user, "wrong-password")
        except paramiko.AuthenticationException:
            pass
        return (time.monotonic() - t0) * 1000.0
    finally:
        t.close()


seqs = {EXISTING: set(), MISSING: set(), REFUSED: set()}
for _ in range(TRIES):
    for u in (EXISTING, MISSING, REFUSED):
        seqs[u].add(kbd_sequence(u))
ref = seqs[EXISTING]
print("# keyboard-interactive sequences: %s" % {u: sorted(map(str, s)) for u, s in seqs.items()})
result(len(ref) == 1 and len(next(iter(ref))[0]) >= 1,
       "keyboard-interactive: %d tries for an existing user give one sequence with a prompt" % TRIES)
result(seqs[MISSING] == ref, "keyboard-interactive: a missing user gets the same sequence as an existing one")
result(seqs[REFUSED] == ref, "keyboard-interactive: a refused (DenyUsers) user gets the same sequence")

times = {EXISTING: [], MISSING: []}
for _ in range(TRIES):
    for u in (EXISTING, MISSING):
        times[u].append(password_ms(u))
med = {u: statistics.median(v) for u, v in times.items()}
diff = abs(med[EXISTING] - med[MISSING])
print("# failed password ms: existing %s" % ["%.1f" % x for x in times[EXISTING]])
print("# failed password ms: missing  %s" % ["%.1f" % x for x in times[MISSING]])
result(diff < 10.0, "password: median failure time existing %.1f ms, missing %.1f ms (difference %.1f < 10 ms)"
       % (med[EXISTING], med[MISSING], diff))
sys.exit(exit_code())
