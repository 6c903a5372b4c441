#!/usr/bin/python3
"""Hostile clients against a running sshbox sshd (driven by
test_hostile_net.sh), issue 17.
Usage: hostile_net.py PORT USER KEYFILE SSHD_LOG SSHD_PID

Backpressure: a client that triggers replies and never reads them
(pre-auth unknown message types -> UNIMPLEMENTED; post-auth GLOBAL_REQUEST
want-reply -> REQUEST_FAILURE; CHANNEL_REQUEST want-reply ->
CHANNEL_FAILURE). paramiko does the key exchange and authentication, then
its reader thread is parked, so nothing is read any more. Each case runs
until the client's sends have been blocked for BLOCKED_SECS with the
connection process's RSS no longer growing (or at most FLOOD_SECS): the
process must stay under 8 MiB the whole time, the sends must block, and a
login from 127.0.0.2 must succeed meanwhile.

Refusals: each malformed case ends the connection with exactly one
"Refused <addr> port <port>" log line naming the reason."""
import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tlib import closed_within, exit_code, kexinit, packet, result, sstr, wait_inactive  # noqa: E402

import paramiko  # noqa: E402

PORT, USER, KEY, LOG, SSHD_PID = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
FLOOD_SECS = float(os.environ.get("FLOOD_SECS", "30"))
BLOCKED_SECS = float(os.environ.get("BLOCKED_SECS", "5"))
RSS_LIMIT_KB = 8 * 1024
# TREE_OF=PID: measure the summed RSS of every process below PID instead
# of the sshbox connection process (to run the flood against OpenSSH).
TREE_OF = int(os.environ.get("TREE_OF", "0"))


def log_lines_for(port):
    with open(LOG, errors="replace") as f:
        return [ln for ln in f if re.search(r"\b127\.0\.0\.1 port %d\b" % port, ln)]


def conn_pid(port, timeout=5.0):
    """The connection process of our local port, from its log line."""
    end = time.time() + timeout
    while time.time() < end:
        for ln in log_lines_for(port):
            m = re.search(r"sshd\[(\d+)\].*Connection from 127\.0\.0\.1 port %d " % port, ln)
            if m:
                return int(m.group(1))
        time.sleep(0.05)
    return None


def descendants(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out + [q for p in out for q in descendants(p)]


def rss_kb(pid):
    if TREE_OF:  # another server (OpenSSH): the whole tree below its listener
        kids = descendants(TREE_OF)
        return sum(rss_one(k) or 0 for k in kids) if kids else None
    return rss_one(pid)


def rss_one(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1])
    except OSError:
        return None
    return None


def connect_paramiko(auth, small_buffers=False):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if small_buffers:
        # A small receive window and send buffer on the client: the kernel
        # buffers between the two processes then hold little, so a python
        # client (~10k messages/s) reaches the point where the server stops
        # reading within seconds instead of after tens of MiB.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", PORT))
    t = paramiko.Transport(sock)
    t.start_client(timeout=10)
    if auth:
        t.auth_publickey(USER, paramiko.Ed25519Key.from_private_key_file(KEY))
    return t, sock.getsockname()[1]


def park_reader(t):
    """Stops paramiko's reader thread from reading the socket again."""
    gate = threading.Event()
    orig = t.packetizer.read_message

    def parked():
        gate.wait()
        return orig()
    t.packetizer.read_message = parked
    return gate


def server_unread(cport):
    """Bytes the server has not read from our connection (its socket's
    Recv-Q), from ss."""
    try:
        out = subprocess.run(["ss", "-Htn", "src", "127.0.0.1:%d" % PORT, "dst", "127.0.0.1:%d" % cport],
                             capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return 0
    for ln in out.splitlines():
        f = ln.split()
        if len(f) >= 4 and f[1].isdigit():
            return int(f[1])
    return 0


def legit_login_from_127_0_0_2():
    cmd = ["ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
           "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10", "-o", "IdentitiesOnly=yes",
           "-o", "BindAddress=127.0.0.2", "-i", KEY, "-p", str(PORT), USER + "@127.0.0.1", "echo legit-ok"]
    try:
        out = subprocess.run(cmd, capture_output=True, timeout=30, text=True).stdout
    except subprocess.TimeoutExpired:
        return False
    return out.strip() == "legit-ok"


def flood(name, make_msg, auth, setup=None):
    t, port = connect_paramiko(auth, small_buffers=True)
    extra = setup(t) if setup else None
    pid = conn_pid(port) if not TREE_OF else TREE_OF
    if not pid:
        result(False, "%s: connection process not found" % name)
        t.close()
        return
    gate = park_reader(t)
    if auth:
        # paramiko's reader is inside one last read: let it take a harmless
        # REQUEST_FAILURE (a CHANNEL_FAILURE would make it close the channel)
        t._send_message(global_request(None))
        time.sleep(0.5)
    msg = make_msg(extra)
    sent = [0, 0.0]  # messages, time of the last completed send
    stop = threading.Event()

    def sender():
        while not stop.is_set():
            try:
                t._send_message(msg)
            except Exception:  # noqa: the connection went away
                return
            sent[0] += 1
            sent[1] = time.monotonic()
    th = threading.Thread(target=sender, daemon=True)
    th.start()
    start = time.monotonic()
    samples, legit = [], None
    unread_since, unread = None, 0
    while time.monotonic() - start < FLOOD_SECS:
        time.sleep(0.25)
        r = rss_kb(pid)
        if r is None:
            break
        samples.append((time.monotonic(), r))
        if legit is None and time.monotonic() - start > 2:
            legit = legit_login_from_127_0_0_2()
        now = time.monotonic()
        blocked_for = now - sent[1] if sent[0] else 0
        # The server stopped reading: > 64 KiB of our input stays unread in
        # its socket. The client's sends block once the kernel buffers in
        # between are full; how much they absorb varies (autotuning, up to
        # several MiB), which a python client needs up to a minute to fill.
        unread = server_unread(port)
        if unread > (64 << 10):
            unread_since = unread_since or now
        else:
            unread_since = None
        stopped_for = max(blocked_for, now - unread_since if unread_since else 0)
        recent = [s for s in samples if s[0] >= now - BLOCKED_SECS]
        if (legit is not None and stopped_for >= BLOCKED_SECS and len(recent) > 2 and
                max(x[1] for x in recent) <= recent[0][1]):
            break
    elapsed = time.monotonic() - start
    blocked_for = time.monotonic() - sent[1] if sent[0] else 0
    stopped_for = max(blocked_for, time.monotonic() - unread_since if unread_since else 0)
    peak = max((s[1] for s in samples), default=0)
    alive = rss_kb(pid) is not None
    print("# %s: %d messages sent, sends blocked for the last %.1f s, server left %d bytes unread, "
          "%.1f s observed, connection process peak RSS %d KiB (last %d KiB)" %
          (name, sent[0], blocked_for, unread, elapsed, peak, samples[-1][1] if samples else 0), flush=True)
    result(alive and 0 < peak < RSS_LIMIT_KB,
           "%s: connection process stays under 8 MiB RSS (peak %d KiB over %.1f s)" % (name, peak, elapsed))
    result(stopped_for >= min(BLOCKED_SECS, 2.0),
           "%s: the server stops reading (client's sends blocked %.1f s, or > 64 KiB left unread for %.1f s)"
           % (name, blocked_for, stopped_for))
    result(legit is True, "%s: a login from 127.0.0.2 succeeds meanwhile" % name)
    stop.set()
    gate.set()
    t.close()


def unknown_type(_):
    m = paramiko.Message()
    m.add_byte(bytes([200]))
    return m


def global_request(_):
    m = paramiko.Message()
    m.add_byte(bytes([80]))
    m.add_string(b"nosuch@example.com")
    m.add_boolean(True)
    return m


def open_channel(t):
    return t.open_session()  # kept referenced: paramiko closes a collected Channel


def channel_request(chan):
    m = paramiko.Message()
    m.add_byte(bytes([98]))
    m.add_int(chan.remote_chanid)
    m.add_string(b"nosuch@example.com")
    m.add_boolean(True)
    return m


CASES = os.environ.get("CASES", "flood,refuse")
if "flood" in CASES:
    flood("pre-auth unknown message types", unknown_type, auth=False)
    flood("post-auth global requests with want-reply", global_request, auth=True)
if "flood" in CASES or "chan" in CASES:
    flood("channel requests with want-reply", channel_request, auth=True, setup=open_channel)
if "refuse" not in CASES:
    sys.exit(exit_code())


# ---- refusals: one log line each, connection closed ----

def raw_case(name, send):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    port = s.getsockname()[1]
    s.sendall(b"SSH-2.0-hostile_test\r\n")
    try:
        send(s)
    except (BrokenPipeError, ConnectionResetError):
        pass
    check_refusal(name, port, closed_within(s))
    s.close()


def paramiko_case(name, payload):
    t, port = connect_paramiko(auth=False)
    m = paramiko.Message()
    m.add_bytes(payload)
    try:
        t._send_message(m)
    except Exception:  # noqa
        pass
    check_refusal(name, port, wait_inactive(t, 5, step=0.05))
    t.close()


def check_refusal(name, port, was_closed):
    time.sleep(0.3)
    lines = [ln.rstrip() for ln in log_lines_for(port) if "Refused 127.0.0.1 port %d" % port in ln]
    print("# %s: %s" % (name, lines), flush=True)
    result(was_closed and len(lines) == 1, "%s: connection closed, one log line naming the peer and reason" % name)


raw_case("KEXINIT + 256 KiB trailing bytes in the packet",
         lambda s: s.sendall(packet(kexinit(cipher="aes128-ctr") + b"\0" * (256 * 1024))))
raw_case("KEXINIT + 250 KiB trailing bytes (a packet that fits)",
         lambda s: s.sendall(packet(kexinit(cipher="aes128-ctr") + b"\0" * (250 * 1024))))
raw_case("KEXINIT then 256 KiB of trailing junk on the stream",
         lambda s: s.sendall(packet(kexinit(cipher="aes128-ctr")) + b"\xff" * (256 * 1024)))
raw_case("message type 0 before key exchange", lambda s: s.sendall(packet(bytes([0]) + b"zero")))
paramiko_case("type 60 after NEWKEYS before the service request", bytes([60]) + sstr("x"))
paramiko_case("100 KiB service name", bytes([5]) + sstr(b"s" * (100 * 1024)))
paramiko_case("second KEXINIT before authentication", kexinit(cipher="aes128-ctr"))
sys.exit(exit_code())
