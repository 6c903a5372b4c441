#!/usr/bin/env bash
# Forwarding throughput benchmark (not a test): BENCH_FWD_MB MiB (default
# 1024) through `ssh -N -L` to a TCP sink on 127.0.0.1, against `sshbox
# sshd` and OpenSSH sshd with the same client, key and cipher. Prints MiB/s
# (median of BENCH_FWD_RUNS, default 3) and the sshbox/OpenSSH ratio.
#   tests/bench/forward.sh            (as root; creates a user, starts daemons)
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-build/out}
SSHBOX=$PWD/$OUT/sshbox
MB=${BENCH_FWD_MB:-1024}
RUNS=${BENCH_FWD_RUNS:-3}
CIPHER=${BENCH_FWD_CIPHER:-chacha20-poly1305@openssh.com}
USER_NAME=sshboxfwdb

[ "$(id -u)" -eq 0 ] || { echo "forward bench: run as root"; exit 1; }
[ -x "$SSHBOX" ] || { echo "forward bench: build first ($SSHBOX)"; exit 1; }
W=$(mktemp -d /tmp/sshbox-fwdbench.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	pkill -u "$USER_NAME" 2>/dev/null
	userdel -r "$USER_NAME" >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

id "$USER_NAME" >/dev/null 2>&1 || useradd -m -s /bin/sh "$USER_NAME"
# a locked account ("!" in shadow) is refused by both daemons: give it a password
echo "$USER_NAME:pw-$RANDOM$RANDOM$RANDOM" | chpasswd
H=$(getent passwd "$USER_NAME" | cut -d: -f6)
mkdir -p "$H/.ssh"
ssh-keygen -q -t ed25519 -N '' -f "$W/id"
cp "$W/id.pub" "$H/.ssh/authorized_keys"
chown -R "$USER_NAME:" "$H/.ssh"; chmod 700 "$H/.ssh"; chmod 600 "$H/.ssh/authorized_keys"
ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"

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

P_OSSH=$(free_port); mkdir -p /run/sshd
cat > "$W/sshd_config" <<CFG
Port $P_OSSH
ListenAddress 127.0.0.1
HostKey $W/hostkey
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding yes
CFG
/usr/sbin/sshd -D -e -f "$W/sshd_config" 2>"$W/ossh.log" & PIDS+=($!)
P_SB=$(free_port); mkdir -p "$W/sbdata"
"$SSHBOX" sshd -D -e -p "$P_SB" -h "$W/hostkey" -o ListenAddress=127.0.0.1 -o DataDirectory="$W/sbdata" \
	-o LogLevel=ERROR 2>"$W/sb.log" & PIDS+=($!)
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
median() { python3 -c 'import sys,statistics;v=[float(x) for x in sys.stdin.read().split() if x!="n/a"];print("%.1f"%statistics.median(v) if v else "n/a")'; }

echo "machine: $(nproc) cores, kernel $(uname -r); ${MB} MiB through ssh -L, cipher $CIPHER, median of $RUNS"
a=$(for _ in $(seq "$RUNS"); do run_one "$P_SB"; done | median)
b=$(for _ in $(seq "$RUNS"); do run_one "$P_OSSH"; done | median)
r=$(python3 -c "import sys;a,b=sys.argv[1],sys.argv[2];print('n/a' if 'n/a' in (a,b) else '%.2f'%(float(a)/float(b)))" "$a" "$b")
printf '%-32s %10s %10s %8s\n' metric sshbox openssh ratio
printf '%-32s %10s %10s %8s\n' "ssh -L MiB/s (${MB} MiB)" "$a" "$b" "$r"
