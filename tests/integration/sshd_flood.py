#!/usr/bin/env python3
"""Opens N TCP connections to 127.0.0.1:PORT from SOURCE and holds them
without speaking SSH: "silent" sends nothing, "trickle" sends one byte a
second on each. Prints "opened N" once all connects returned, then runs
until killed (or HOLD seconds), and at exit prints "open N" (connections
the server had not closed).

usage: sshd_flood.py PORT N SOURCE silent|trickle [HOLD]
"""
import select
import socket
import sys
import time


def main():
    port, n, source, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    hold = float(sys.argv[5]) if len(sys.argv) > 5 else 600.0
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        s.setblocking(False)
        socks.append(s)
    print("opened %d" % len(socks), flush=True)
    end = time.time() + hold
    open_socks = list(socks)
    while time.time() < end and open_socks:
        if mode == "trickle":
            for s in open_socks:
                try:
                    s.send(b"x")
                except OSError:
                    pass
        # drain banners; a read of b"" or an error means the server closed it
        r, _, _ = select.select(open_socks, [], [], 1.0)
        for s in r:
            try:
                if s.recv(4096) == b"":
                    open_socks.remove(s)
            except OSError:
                open_socks.remove(s)
    print("open %d" % len(open_socks), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
