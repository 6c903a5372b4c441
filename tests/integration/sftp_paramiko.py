#!/usr/bin/env python3
"""paramiko SFTPClient against an SFTP server reached over SSH (helper of
test_sftp.sh, not a standalone test). Usage:
  sftp_paramiko.py PORT USER KEYFILE WORKDIR LABEL
Remote paths are relative to the login directory. Prints PASS:/FAIL: lines;
exits non-zero on any failure."""
import hashlib
import os
import stat
import sys

import paramiko

port, user, keyfile, work, label = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
fails = 0


def check(name, cond, detail=""):
    global fails
    if cond:
        print(f"PASS: {label} paramiko {name}")
    else:
        fails += 1
        print(f"FAIL: {label} paramiko {name} {detail}")


def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


try:
    key = paramiko.Ed25519Key.from_private_key_file(keyfile)
    t = paramiko.Transport(("127.0.0.1", int(port)))
    t.connect(username=user, pkey=key)
    sf = paramiko.SFTPClient.from_transport(t)
except Exception as e:  # noqa: BLE001
    print(f"FAIL: {label} paramiko connect {e!r}")
    sys.exit(1)

src = os.path.join(work, "pm_src.bin")
with open(src, "wb") as f:
    f.write(os.urandom(3 * 1024 * 1024 + 17))
sf.mkdir("pmdir")
sf.put(src, "pmdir/a.bin")
st = sf.stat("pmdir/a.bin")
check("put+stat size", st.st_size == os.path.getsize(src), str(st.st_size))
got = os.path.join(work, "pm_got.bin")
sf.get("pmdir/a.bin", got)
check("get sha256", sha(got) == sha(src))
names = {a.filename: a for a in sf.listdir_attr("pmdir")}
check("listdir_attr", "a.bin" in names and stat.S_ISREG(names["a.bin"].st_mode)
      and names["a.bin"].st_size == st.st_size, repr(list(names)))
check("longname", "a.bin" in names and (names["a.bin"].longname or "").startswith("-rw"),
      repr(names.get("a.bin") and names["a.bin"].longname))
sf.rename("pmdir/a.bin", "pmdir/b.bin")
check("rename", sf.listdir("pmdir") == ["b.bin"], repr(sf.listdir("pmdir")))
with sf.open("pmdir/c.bin", "w") as f:
    f.write(b"ccc")
try:
    sf.rename("pmdir/b.bin", "pmdir/c.bin")
    check("rename onto existing fails (v3)", False)
except IOError:
    check("rename onto existing fails (v3)", True)
sf.posix_rename("pmdir/b.bin", "pmdir/c.bin")
check("posix_rename overwrites", sorted(sf.listdir("pmdir")) == ["c.bin"]
      and sf.stat("pmdir/c.bin").st_size == st.st_size)
try:
    sf.stat("pmdir/nope")
    check("stat missing -> ENOENT", False)
except FileNotFoundError:
    check("stat missing -> ENOENT", True)
sf.chmod("pmdir/c.bin", 0o640)
check("chmod", stat.S_IMODE(sf.stat("pmdir/c.bin").st_mode) == 0o640)
sf.symlink("c.bin", "pmdir/l")
check("symlink+readlink", sf.readlink("pmdir/l") == "c.bin")
check("normalize", sf.normalize("pmdir/../pmdir/.").endswith("/pmdir"))
sf.remove("pmdir/l")
sf.remove("pmdir/c.bin")
sf.rmdir("pmdir")
check("cleanup", "pmdir" not in sf.listdir("."))
sf.close()
t.close()
sys.exit(1 if fails else 0)
