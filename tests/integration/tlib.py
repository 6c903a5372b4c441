"""Shared by the python integration clients: PASS:/FAIL: lines in the
format tests/run.sh counts, the number of failures for the exit code, and
the pieces of a raw SSH client (plain packets, a KEXINIT, waiting for the
server to close)."""
import os
import socket
import struct
import time

fails = 0


def result(ok, name):
    """Prints PASS: name or FAIL: name; counts failures."""
    global fails
    print(("PASS: " if ok else "FAIL: ") + name, flush=True)
    if not ok:
        fails += 1


def exit_code():
    return 1 if fails else 0


def sstr(b):
    """An SSH string: uint32 length, then the bytes (str is UTF-8 encoded)."""
    if isinstance(b, str):
        b = b.encode()
    return struct.pack(">I", len(b)) + b


def packet(payload, padlen=None, block=8, length=None):
    """An unencrypted binary packet (RFC 4253 s6); padlen and length may be
    forced to wrong values."""
    if padlen is None:
        padlen = block - ((5 + len(payload)) % block)
        if padlen < 4:
            padlen += block
    body = bytes([padlen]) + payload + os.urandom(padlen)
    ln = len(body) if length is None else length
    return struct.pack(">I", ln) + body


def kexinit(kex="curve25519-sha256,kex-strict-c-v00@openssh.com", cipher="chacha20-poly1305@openssh.com",
            follows=0):
    """A client KEXINIT payload offering one host key type, cipher and MAC."""
    p = bytes([20]) + os.urandom(16)
    for n in [kex, "ssh-ed25519", cipher, cipher, "hmac-sha2-256-etm@openssh.com", "hmac-sha2-256-etm@openssh.com",
              "none", "none", "", ""]:
        p += sstr(n)
    return p + bytes([follows]) + struct.pack(">I", 0)


def closed_within(s, secs=5.0):
    """True when the server closes the connection (EOF or reset) in time.
    Reads and discards whatever it sends first (e.g. a DISCONNECT)."""
    s.settimeout(secs)
    end = time.time() + secs
    try:
        while time.time() < end:
            d = s.recv(65536)
            if not d:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def wait_inactive(t, secs, step=0.1):
    """Waits up to secs for a paramiko Transport to be closed by the server;
    True when it was."""
    deadline = time.time() + secs
    while t.is_active() and time.time() < deadline:
        time.sleep(step)
    return not t.is_active()
