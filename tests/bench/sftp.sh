#!/usr/bin/env bash
# SFTP throughput benchmark (not part of `make test`; run as root):
# upload and download of BENCH_SFTP_MB (default 256) MiB with OpenSSH's
# `sftp`, sshbox's sftp-server vs OpenSSH's /usr/lib/openssh/sftp-server,
# both as subsystems of the same OpenSSH sshd (two subsystem names), files
# on tmpfs. Also the whole stack (sshbox sshd + its sftp vs OpenSSH sshd +
# sftp-server) once `sshbox sshd` is implemented. Prints medians of
# BENCH_SFTP_RUNS (default 5) runs in MiB/s and the sshbox/OpenSSH ratio.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
MB=${BENCH_SFTP_MB:-256}
RUNS=${BENCH_SFTP_RUNS:-5}
CIPHER=${BENCH_CIPHER:-}
U=sbsftpbench
# files on tmpfs when there is one
bench_init sftp-bench "$U" /dev/shm/sshbox-sftpbench.XXXXXX
mkdir -p "$W/bin" "$W/data" /run/sshd
# private binary copies (immune to rebuilds), outside /dev/shm (may be noexec)
WB=$(mktemp -d /tmp/sshbox-sftpbench-bin.XXXXXX); chmod 755 "$WB"; BENCH_CLEAN_DIRS+=("$WB")
cp "$SSHBOX" "$WB/sshbox"; SSHBOX=$WB/sshbox
cp "$SSHBOX" "$WB/sftp-server"
chown "$U" "$W/data"

bench_openssh "Subsystem sftp /usr/lib/openssh/sftp-server" "Subsystem sshbox-sftp $WB/sftp-server"
wait_port "$P_OSSH" || { echo "sftp bench: OpenSSH sshd did not start"; cat "$W/ossh.log"; exit 1; }

bench_sshbox -o "Subsystem=sftp $WB/sftp-server"
wait_port "$P_SB" || P_SB=

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
