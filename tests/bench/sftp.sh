#!/usr/bin/env bash
# SFTP throughput benchmark (not part of `make test`; run as root):
# upload and download of BENCH_SFTP_MB (default 256) MiB with OpenSSH's
# `sftp`, sshbox's sftp-server vs OpenSSH's /usr/lib/openssh/sftp-server,
# both as subsystems of the same OpenSSH sshd (two subsystem names), files
# on tmpfs. Also the whole stack (sshbox sshd + its sftp vs OpenSSH sshd +
# sftp-server) once `sshbox sshd` is implemented. Prints medians of
# BENCH_SFTP_RUNS (default 5) runs in MiB/s and the sshbox/OpenSSH ratio.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-build/out}
SSHBOX=$PWD/$OUT/sshbox
MB=${BENCH_SFTP_MB:-256}
RUNS=${BENCH_SFTP_RUNS:-5}
CIPHER=${BENCH_CIPHER:-}
U=sbsftpbench
[ "$(id -u)" -eq 0 ] || { echo "sftp bench: run as root"; exit 1; }
[ -x "$SSHBOX" ] || { echo "sftp bench: build first ($SSHBOX)"; exit 1; }
W=$(mktemp -d /dev/shm/sshbox-sftpbench.XXXXXX 2>/dev/null || mktemp -d /tmp/sshbox-sftpbench.XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	sleep 0.3
	pkill -KILL -u "$U" 2>/dev/null
	userdel -r "$U" >/dev/null 2>&1
	rm -rf "$W" "${WB:-}"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
median() { python3 -c 'import sys,statistics;v=[float(x) for x in sys.stdin.read().split()];print("%.1f"%statistics.median(v) if v else "n/a")'; }
ratio() { python3 -c "import sys;a,b=sys.argv[1],sys.argv[2];print('n/a' if 'n/a' in (a,b) or float(b)==0 else '%.2f'%(float(a)/float(b)))" "$1" "$2"; }

id "$U" >/dev/null 2>&1 || useradd -m -s /bin/sh "$U"
usermod -p "*" "$U" # not locked: OpenSSH refuses locked accounts without PAM
H=$(getent passwd "$U" | cut -d: -f6)
mkdir -p "$H/.ssh"
ssh-keygen -q -t ed25519 -N '' -f "$W/id"
cp "$W/id.pub" "$H/.ssh/authorized_keys"
chown -R "$U:" "$H/.ssh"; chmod 700 "$H/.ssh"; chmod 600 "$H/.ssh/authorized_keys"
ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"
mkdir -p "$W/bin" "$W/data" /run/sshd
# private binary copies (immune to rebuilds), outside /dev/shm (may be noexec)
WB=$(mktemp -d /tmp/sshbox-sftpbench-bin.XXXXXX); chmod 755 "$WB"
cp "$SSHBOX" "$WB/sshbox"; SSHBOX=$WB/sshbox
cp "$SSHBOX" "$WB/sftp-server"
chown "$U" "$W/data"

P_OSSH=$(free_port)
cat > "$W/sshd_config" <<EOF
Port $P_OSSH
ListenAddress 127.0.0.1
HostKey $W/hostkey
PidFile none
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
Subsystem sftp /usr/lib/openssh/sftp-server
Subsystem sshbox-sftp $WB/sftp-server
EOF
/usr/sbin/sshd -D -e -f "$W/sshd_config" 2>"$W/ossh.log" & PIDS+=($!)
wait_port "$P_OSSH" || { echo "sftp bench: OpenSSH sshd did not start"; cat "$W/ossh.log"; exit 1; }

P_SB=
if ! "$SSHBOX" sshd -h 2>&1 | grep -q 'not implemented'; then
	P_SB=$(free_port); mkdir -p "$W/sbdata"
	"$SSHBOX" sshd -D -e -p "$P_SB" -h "$W/hostkey" -o ListenAddress=127.0.0.1 -o DataDirectory="$W/sbdata" \
		-o LogLevel=ERROR -o "Subsystem=sftp $WB/sftp-server" 2>"$W/sb.log" & PIDS+=($!)
	wait_port "$P_SB" || P_SB=
fi

[ -n "${BENCH_DEBUG:-}" ] && { echo "W=$W P_OSSH=$P_OSSH P_SB=$P_SB U=$U"; sleep 600; }
head -c "${MB}M" /dev/urandom > "$W/src.bin"
chmod 644 "$W/src.bin"
cp "$W/src.bin" "$W/data/down.bin"; chown "$U" "$W/data/down.bin"

# one PORT SUBSYSTEM up|down -> MiB/s
one() {
	local port=$1 sub=$2 dir=$3 t0 t1
	if [ "$dir" = up ]; then echo "put $W/src.bin $W/data/up.bin" > "$W/batch"
	else echo "get $W/data/down.bin $W/got.bin" > "$W/batch"; fi
	rm -f "$W/data/up.bin" "$W/got.bin"
	t0=$(date +%s%N)
	sftp -q -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
		${CIPHER:+-c "$CIPHER"} -i "$W/id" -P "$port" -s "$sub" -b "$W/batch" "$U@127.0.0.1" >"$W/sftp.log" 2>&1 ||
		{ echo n/a; sed 's/^/  | /' "$W/sftp.log" >&2; return; }
	t1=$(date +%s%N)
	local f="$W/data/up.bin"; [ "$dir" = down ] && f="$W/got.bin"
	cmp -s "$f" "$W/src.bin" || { echo n/a; return; }
	python3 -c "print('%.1f'%($MB/(($t1-$t0)/1e9)))"
}
# Runs alternate between the two sides so machine load hits both alike.
pair() { # PORT_A SUB_A PORT_B SUB_B DIR LABEL
	local i a=() b=()
	for i in $(seq "$RUNS"); do
		a+=("$(one "$1" "$2" "$5")"); b+=("$(one "$3" "$4" "$5")")
	done
	local ma mb
	ma=$(printf '%s\n' "${a[@]}" | grep -v n/a | median); mb=$(printf '%s\n' "${b[@]}" | grep -v n/a | median)
	printf '%-52s %10s %10s %7s\n' "$6" "$ma" "$mb" "$(ratio "$ma" "$mb")"
}

echo "sftp bench: ${MB} MiB, median of $RUNS, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(ssh -V 2>&1), cipher ${CIPHER:-default}"
printf '%-52s %10s %10s %7s\n' metric sshbox openssh ratio
for dir in up down; do
	pair "$P_OSSH" sshbox-sftp "$P_OSSH" sftp "$dir" "sftp $dir MiB/s (OpenSSH sshd, sftp-server swapped)"
done
if [ -n "$P_SB" ]; then
	for dir in up down; do
		pair "$P_SB" sftp "$P_OSSH" sftp "$dir" "sftp $dir MiB/s (whole stack)"
	done
else
	echo "whole stack (sshbox sshd + sftp): skipped, sshbox sshd not available"
fi
