#!/usr/bin/env python3
"""scp_hostile.py HOST PORT USER KEYFILE TARGET: a hostile scp client.

Runs `scp -t [-r] TARGET` on the server and sends crafted records (the
classic scp name attacks: "../x", "..", ".", "/etc/passwd", names with a
'/', a NUL, huge sizes, a D without -r, E at the top). Prints one line per
case: "CASE <name> <answer>", where answer is "fatal", "error", "ok" or
"eof" (the first status byte the server sent back for the record). The
calling test checks the answers and that nothing was written outside
TARGET."""
import sys

import paramiko

host, port, user, keyfile, target = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

CASES = [
    # name, scp flags, records (bytes); the answer to the LAST record counts
    ("dotdot_file", "", [b"C0644 5 ../x\n"]),
    ("dotdot_dir", "-r", [b"D0755 0 ..\n"]),
    ("dot_dir", "-r", [b"D0755 0 .\n"]),
    ("abs_name", "", [b"C0644 5 /etc/passwd\n"]),
    ("abs_writable", "", [b"C0644 5 /tmp/sshbox-scp-hostile-abs\n"]),
    ("slash_in_name", "", [b"C0644 5 sub/../../x\n"]),
    ("nul_in_name", "", [b"C0644 5 a\x00b\n"]),
    ("empty_name", "", [b"C0644 5 \n"]),
    ("dir_without_r", "", [b"D0755 0 d\n"]),
    ("end_at_top", "-r", [b"E\n"]),
    ("bad_mode", "", [b"C06x4 5 y\n"]),
    ("size_overflow", "", [b"C0644 99999999999999999999 y\n"]),
    ("long_line", "", [b"C0644 5 " + b"a" * 5000 + b"\n"]),
    ("dotdot_in_subdir", "-r", [b"D0755 0 sub\n", b"C0644 5 ../../x\n"]),
    ("good_file", "", [b"C0644 5 good\n"]),
]


def answer(chan):
    b = chan.recv(1)
    if not b:
        return "eof"
    return {0: "ok", 1: "error", 2: "fatal"}.get(b[0], "junk")


def main():
    key = paramiko.Ed25519Key.from_private_key_file(keyfile)
    cli = paramiko.SSHClient()
    cli.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    cli.connect(host, port=port, username=user, pkey=key, allow_agent=False, look_for_keys=False, timeout=20)
    for name, flags, records in CASES:
        chan = cli.get_transport().open_session()
        chan.settimeout(20)
        chan.exec_command(f"scp {flags} -t -- {target}".replace("  ", " "))
        res = answer(chan)  # the sink's first status byte
        for rec in records:
            if res != "ok":
                break
            chan.sendall(rec)
            res = answer(chan)
        if name == "good_file" and res == "ok":
            chan.sendall(b"hello\x00")
            res = answer(chan)
        print(f"CASE {name} {res}", flush=True)
        chan.close()
    cli.close()


main()
