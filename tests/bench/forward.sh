#!/usr/bin/env bash
# Forwarding throughput benchmark (not a test): BENCH_FWD_MB MiB (default
# 1024) through `ssh -N -L` to a TCP sink on 127.0.0.1, against `sshbox
# sshd` and OpenSSH sshd with the same client, key and cipher. Prints MiB/s
# (median of BENCH_FWD_RUNS, default 3) and the sshbox/OpenSSH ratio.
#   tests/bench/forward.sh            (as root; creates a user, starts daemons)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
MB=${BENCH_FWD_MB:-1024}
RUNS=${BENCH_FWD_RUNS:-3}
CIPHER=${BENCH_FWD_CIPHER:-chacha20-poly1305@openssh.com}
USER_NAME=sshboxfwdb
bench_init forward-bench "$USER_NAME"

# sink: reads everything, then answers with the byte count and closes
cat > "$W/sink.py" <<'PY'
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
def h(c):
    buf = bytearray(1 << 20); n = 0
    while True:
        k = c.recv_into(buf)
        if not k: break
        n += k
    c.sendall(b"%d\n" % n); c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=h, args=(c,), daemon=True).start()
PY
# source: sends MB MiB, half-closes, waits for the count; prints MiB/s
cat > "$W/source.py" <<'PY'
import socket, sys, time
port, mb = int(sys.argv[1]), int(sys.argv[2])
total = mb << 20; chunk = memoryview(bytes(1 << 20))
t0 = time.monotonic()
c = socket.create_connection(("127.0.0.1", port))
left = total
while left:
    n = c.send(chunk[:min(len(chunk), left)]); left -= n
c.shutdown(socket.SHUT_WR)
got = c.makefile().readline().strip()
dt = time.monotonic() - t0
if got != str(total):
    print("n/a"); sys.exit(1)
print("%.1f" % (mb / dt))
PY

P_SINK=$(free_port)
python3 "$W/sink.py" "$P_SINK" & PIDS+=($!)

bench_openssh "AllowTcpForwarding yes"
bench_sshbox
for p in $P_SINK $P_OSSH $P_SB; do wait_port "$p" || { echo "forward bench: port $p did not open"; exit 1; }; done

SSH=(ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes
	-o LogLevel=ERROR -o ExitOnForwardFailure=yes -i "$W/id" -l "$USER_NAME" -c "$CIPHER")

run_one() { # SERVERPORT -> MiB/s
	local lp; lp=$(free_port)
	"${SSH[@]}" -N -L "127.0.0.1:$lp:127.0.0.1:$P_SINK" -p "$1" 127.0.0.1 </dev/null >/dev/null 2>&1 & local sp=$!
	wait_port "$lp" || { kill $sp 2>/dev/null; echo "forward bench: ssh -L to port $1 did not come up" >&2; echo n/a; return; }
	python3 "$W/source.py" "$lp" "$MB" || { echo "forward bench: transfer failed (port $1)" >&2; true; }
	kill $sp 2>/dev/null; wait $sp 2>/dev/null
}

echo "machine: $(nproc) cores, kernel $(uname -r); ${MB} MiB through ssh -L, cipher $CIPHER, median of $RUNS"
a=$(for _ in $(seq "$RUNS"); do run_one "$P_SB"; done | median)
b=$(for _ in $(seq "$RUNS"); do run_one "$P_OSSH"; done | median)
r=$(ratio "$a" "$b")
printf '%-32s %10s %10s %8s\n' metric sshbox openssh ratio
printf '%-32s %10s %10s %8s\n' "ssh -L MiB/s (${MB} MiB)" "$a" "$b" "$r"
