#!/usr/bin/env python3
"""Differential check (helper of test_sftp.sh): the same raw SFTP v3
requests go to sshbox's sftp-server and to OpenSSH's sftp-server, each in
its own fresh copy of a scratch tree; the response types and status codes
must match. Usage: sftp_diff.py SSHBOX_SFTP_SERVER OPENSSH_SFTP_SERVER WORKDIR
Prints PASS:/FAIL: lines; exits non-zero on any mismatch."""
import os
import shutil
import struct
import subprocess
import sys

ours, theirs, work = sys.argv[1], sys.argv[2], sys.argv[3]


def s(x):
    x = x.encode() if isinstance(x, str) else x
    return struct.pack(">I", len(x)) + x


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


class Server:
    def __init__(self, cmd, root):
        self.p = subprocess.Popen(cmd + ["-d", root], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        self.id = 0
        self.send(1, u32(3), with_id=False)
        t, _ = self.recv()
        assert t == 2, t

    def send(self, t, body, with_id=True):
        if with_id:
            self.id += 1
            body = u32(self.id) + body
        pkt = bytes([t]) + body
        self.p.stdin.write(struct.pack(">I", len(pkt)) + pkt)
        self.p.stdin.flush()

    def recv(self):
        n = struct.unpack(">I", self.p.stdout.read(4))[0]
        data = self.p.stdout.read(n)
        return data[0], data[1:]

    def req(self, t, body):
        self.send(t, body)
        rt, data = self.recv()
        if rt == 101:  # STATUS: code
            return ("STATUS", struct.unpack(">I", data[4:8])[0]), data
        return ({102: "HANDLE", 103: "DATA", 104: "NAME", 105: "ATTRS", 201: "EXT_REPLY"}.get(rt, rt), None), data

    def handle(self, data):
        n = struct.unpack(">I", data[4:8])[0]
        return data[8:8 + n]

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def setup(root):
    os.makedirs(root + "/dir/sub")
    with open(root + "/file", "w") as f:
        f.write("0123456789")
    with open(root + "/dir/sub/x", "w") as f:
        f.write("x")
    os.symlink("file", root + "/lnk")
    os.symlink("missing", root + "/dangling")
    os.mkfifo(root + "/fifo")


OPEN_R, OPEN_W, CREAT, TRUNC, EXCL = 1, 2, 8, 0x10, 0x20
cases = [
    ("stat missing", 17, s("nope")),
    ("stat through file", 17, s("file/x")),
    ("lstat dangling", 7, s("dangling")),
    ("stat dangling", 17, s("dangling")),
    ("opendir file", 11, s("file")),
    ("opendir missing", 11, s("nope")),
    ("open missing read", 3, s("nope") + u32(OPEN_R) + u32(0)),
    ("open dir for write", 3, s("dir") + u32(OPEN_W) + u32(0)),
    ("open excl existing", 3, s("file") + u32(OPEN_W | CREAT | EXCL) + u32(0)),
    ("open create in missing dir", 3, s("nope/f") + u32(OPEN_W | CREAT) + u32(0)),
    ("remove dir", 13, s("dir")),
    ("remove missing", 13, s("nope")),
    ("rmdir non-empty", 15, s("dir")),
    ("rmdir file", 15, s("file")),
    ("mkdir existing", 14, s("dir") + u32(0)),
    ("mkdir in missing", 14, s("nope/d") + u32(0)),
    ("rename onto existing", 18, s("file") + s("dir/sub/x")),
    ("rename missing", 18, s("nope") + s("other")),
    ("rename dir into itself", 18, s("dir") + s("dir/sub/in")),
    ("readlink regular file", 19, s("file")),
    ("readlink missing", 19, s("nope")),
    ("symlink existing link path", 20, s("file") + s("lnk")),
    ("realpath missing deeper", 16, s("nope/deeper")),
    ("realpath missing last", 16, s("dir/newname")),
    ("setstat missing", 9, s("nope") + u32(4) + u32(0o644)),
    ("setstat size on dir", 9, s("dir") + u32(1) + u64(0)),
    ("posix-rename onto non-empty dir", 200, s("posix-rename@openssh.com") + s("file") + s("dir")),
    ("hardlink existing", 200, s("hardlink@openssh.com") + s("file") + s("lnk")),
    ("hardlink dir", 200, s("hardlink@openssh.com") + s("dir") + s("dir2")),
    ("statvfs missing", 200, s("statvfs@openssh.com") + s("nope")),
    ("unknown extension", 200, s("bogus@example.com")),
    ("read bogus handle", 5, s("\xff\xff\xff\xff") + u64(0) + u32(10)),
]

fails = 0
servers = {}
for name, cmd in (("ours", [ours]), ("theirs", [theirs])):
    root = os.path.join(work, name)
    shutil.rmtree(root, ignore_errors=True)
    setup(root)
    servers[name] = Server(cmd, root)

for label, t, body in cases:
    a, _ = servers["ours"].req(t, body)
    b, _ = servers["theirs"].req(t, body)
    if a == b:
        print(f"PASS: sftp vs OpenSSH sftp-server: {label} -> {a}")
    else:
        fails += 1
        print(f"FAIL: sftp vs OpenSSH sftp-server: {label}: sshbox {a}, OpenSSH {b}")

# file reads: data, short read at the end, EOF beyond it, read on a dir handle
for name in servers:
    srv = servers[name]
    res = []
    kind, data = srv.req(3, s("file") + u32(OPEN_R) + u32(0))
    h = srv.handle(data)
    for off, ln in ((0, 4), (8, 100), (10, 5), (1 << 40, 5)):
        k, d = srv.req(5, s(h) + u64(off) + u32(ln))
        res.append((k, d[8:] if k[0] == "DATA" else None))
    res.append(srv.req(4, s(h))[0])
    dbl = srv.req(4, s(h))[0]  # double close: a deliberate difference, see below
    kind, data = srv.req(11, s("dir"))
    dh = srv.handle(data)
    res.append(srv.req(5, s(dh) + u64(0) + u32(10))[0])
    names = set()
    while True:
        k, d = srv.req(12, s(dh))
        if k[0] != "NAME":
            res.append(k)
            break
        cnt = struct.unpack(">I", d[4:8])[0]
        off = 8
        for _ in range(cnt):
            n = struct.unpack(">I", d[off:off + 4])[0]
            names.add(d[off + 4:off + 4 + n])
            off += 4 + n
            n = struct.unpack(">I", d[off:off + 4])[0]
            off += 4 + n
            flags = struct.unpack(">I", d[off:off + 4])[0]
            off += 4 + (8 if flags & 1 else 0) + (8 if flags & 2 else 0) + (4 if flags & 4 else 0) + (8 if flags & 8 else 0)
    res.append(sorted(names))
    srv.req(4, s(dh))
    if name == "ours":
        # The acceptance spec wants FAILURE for an invalid handle; OpenSSH
        # answers NO_SUCH_FILE on CLOSE. Both must stay a STATUS reply.
        check_close = dbl == ("STATUS", 4) and srv.req(4, s("\0\0\0\0"))[0] == ("STATUS", 4)
    servers[name] = (srv, res)
if servers["ours"][1] == servers["theirs"][1]:
    print("PASS: sftp vs OpenSSH sftp-server: read/EOF/close/readdir sequence")
else:
    fails += 1
    print(f"FAIL: sftp vs OpenSSH sftp-server: read sequence: sshbox {servers['ours'][1]} OpenSSH {servers['theirs'][1]}")
if check_close:
    print("PASS: sftp: CLOSE of a stale or forged handle -> FAILURE")
else:
    fails += 1
    print("FAIL: sftp: CLOSE of a stale or forged handle -> FAILURE")
for srv, _ in servers.values():
    srv.close()
sys.exit(1 if fails else 0)
