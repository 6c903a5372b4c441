#!/usr/bin/env python3
"""Records a real client's key exchange as a seed for fuzz_kex.

Usage: kex_seed_capture.py LISTEN_PORT TARGET_PORT OUT_FILE

Listens on 127.0.0.1:LISTEN_PORT for one connection and relays it to
127.0.0.1:TARGET_PORT (a running sshbox). The client's packets before its
first NEWKEYS are plaintext (RFC 4253 s6 with no cipher and no MAC): its
KEXINIT and KEX_ECDH_INIT payloads are written to OUT_FILE in fuzz_kex's
input format (u8 flags = 0, then records [u8 kind = 0][u16 len][payload]).
"""
import socket
import struct
import sys
import threading

MAX_PACKET = 35000


def client_payloads(data):
    """Payloads of the plaintext packets after the version line."""
    nl = data.find(b"\r\n")
    if nl < 0:
        return []
    off = nl + 2
    out = []
    while off + 5 <= len(data):
        plen, padlen = struct.unpack(">IB", data[off:off + 5])
        if plen > MAX_PACKET or plen < padlen + 1 or off + 4 + plen > len(data):
            break
        out.append(data[off + 5:off + 4 + plen - padlen])
        if out[-1][:1] == b"\x15":  # NEWKEYS: everything after is encrypted
            break
        off += 4 + plen
    return out


def relay(src, dst, sink):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            if sink is not None:
                sink.append(b)
            dst.sendall(b)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def main():
    listen_port, target_port, out_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(1)
    ls.settimeout(60)
    c, _ = ls.accept()
    s = socket.create_connection(("127.0.0.1", target_port))
    sent = []
    t1 = threading.Thread(target=relay, args=(c, s, sent))
    t2 = threading.Thread(target=relay, args=(s, c, None))
    t1.start()
    t2.start()
    t1.join()
    t2.join()
    wanted = [p for p in client_payloads(b"".join(sent)) if p[:1] in (b"\x14", b"\x1e")]
    if len(wanted) != 2:
        sys.exit("kex_seed_capture: did not see KEXINIT and KEX_ECDH_INIT")
    with open(out_file, "wb") as f:
        f.write(b"\x00")
        for p in wanted:
            f.write(b"\x00" + struct.pack(">H", len(p)) + p)


if __name__ == "__main__":
    main()
