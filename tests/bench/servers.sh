#!/usr/bin/env bash
# Server-side cost against today's peers (part of `make bench`; not a test).
# Servers: sshbox, OpenSSH 10.0p1 sshd (sshd-session/sshd-auth) and Dropbear
# 2025.89 from the peer cache (~/.cache/sshbox/peers-*, or BENCH_PEERS=DIR
# with sbin/sshd, sbin/dropbear, bin/ssh), OpenSSH 9.2 and Dropbear 2022.83
# from apt. One client for all: the peer cache's OpenSSH 10.0 ssh/sftp
# (Debian's 9.2 when there is no cache). Each server runs in its own cgroup
# v2 (/sys/fs/cgroup[/unified]/sshbox-bench-NAME), so "server CPU" is
# usage_usec of cpu.stat: the listener and every process it starts (session
# processes, the user's command too), for every server alike.
#
# Rows: server CPU per login (client's default kex, then each kex pinned),
# server CPU per login with a user certificate (ed25519 CA, ECDSA P-256 CA;
# the key is not in authorized_keys, so only the certificate can log in; n/a
# for Dropbear, which takes no certificates), `ssh true` latency, server CPU
# s/GiB per cipher and direction, PSS of the
# idle listener and of one idle connection (all its processes, the user's
# `sleep` excluded), 200 logins 50 at once (time, failures), sftp up/down.
# Ratios: sshbox / each peer (lower is better for CPU, PSS, time).
#
# Knobs: BENCH_LOGINS (logins per CPU row, default 20), BENCH_GIB_MB (MiB per
# transfer, default 256), BENCH_SFTP_MB (default 128), BENCH_CONC (default
# 200), BENCH_REPORT_SERVERS (markdown output, default: stdout only).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
LOGINS=${BENCH_LOGINS:-20}
GMB=${BENCH_GIB_MB:-256}
SFTP_MB=${BENCH_SFTP_MB:-128}
CONC=${BENCH_CONC:-200}
USER_NAME=sshboxbench2

find_peers() {
	local d
	[ -n "${BENCH_PEERS:-}" ] && { echo "$BENCH_PEERS"; return; }
	for d in $(ls -dt "$HOME"/.cache/sshbox/peers-*/ 2>/dev/null); do
		[ -x "$d/sbin/sshd" ] && [ -x "$d/sbin/dropbear" ] && [ -x "$d/bin/ssh" ] && { echo "${d%/}"; return; }
	done
}
PEERS=$(find_peers)
[ -z "$PEERS" ] && PEERS=$(build/peers.sh 2>/dev/null | tail -n1)
CG_ROOT=/sys/fs/cgroup/unified
[ -f /sys/fs/cgroup/cgroup.controllers ] && CG_ROOT=/sys/fs/cgroup
[ -d "$CG_ROOT" ] || { echo "servers: no cgroup v2 hierarchy"; exit 1; }

bench_init servers "$USER_NAME"
# cgroup directories go with rmdir (after their processes), not rm -rf
CGS=()
trap 'bench_cleanup; sleep 0.5; for c in "${CGS[@]}"; do rmdir "$c" 2>/dev/null; done' EXIT
# awk, not python3: on a loaded machine a python start (pyenv shim) takes seconds
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+/ || b !~ /^[0-9.]+/ || b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 20000)); ss -ltnH "sport = :$p" | grep -q . || { echo "$p"; return; }; done; }
median() { sort -n | awk '{v[NR] = $1} END {if (!NR) print "n/a"; else if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
calc() { awk "BEGIN { printf \"$1\\n\", $2 }"; }
CLIENT_SSH=ssh CLIENT_SFTP=sftp
[ -n "$PEERS" ] && CLIENT_SSH=$PEERS/bin/ssh CLIENT_SFTP=$PEERS/bin/sftp
SSH_BASE=("$CLIENT_SSH" -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes
	-o LogLevel=ERROR -l "$USER_NAME")
SSH=("${SSH_BASE[@]}" -i "$W/id")
# A key that is not authorized, certified by two CAs every server that
# takes user certificates trusts: a login with it proves the certificate.
ssh-keygen -q -t ed25519 -N '' -f "$W/ca_ed25519"
ssh-keygen -q -t ecdsa -b 256 -N '' -f "$W/ca_ecdsa"
cat "$W/ca_ed25519.pub" "$W/ca_ecdsa.pub" > "$W/user_cas"
for ca in ed25519 ecdsa; do
	ssh-keygen -q -t ed25519 -N '' -f "$W/cert_$ca"
	ssh-keygen -q -s "$W/ca_$ca" -I bench -n "$USER_NAME" "$W/cert_$ca.pub"
done
dropbearconvert openssh dropbear "$W/hostkey" "$W/hostkey.db" >/dev/null 2>&1

SERVERS=()
declare -A PORT CG LPID
# start NAME CMD...: runs CMD in a fresh cgroup; records port/cgroup/pid
start() {
	local name=$1 port=$2; shift 2
	local cg="$CG_ROOT/sshbox-bench-$name"
	[ -d "$cg" ] && { for p in $(cat "$cg/cgroup.procs"); do kill -9 "$p"; done 2>/dev/null; sleep 0.2; rmdir "$cg"; }
	mkdir "$cg" || return 1
	CGS+=("$cg")
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@" 2>"$W/$name.log" &
	PIDS+=($!)
	LPID[$name]=$! PORT[$name]=$port CG[$name]=$cg
	wait_port "$port" && SERVERS+=("$name") || echo "servers: $name did not start (log: $(tail -2 "$W/$name.log"))"
}
ossh_conf() { # ossh_conf FILE PORT SFTP_SERVER
	printf '%s\n' "Port $2" "ListenAddress 127.0.0.1" "HostKey $W/hostkey" "PidFile none" "UsePAM no" \
		"PasswordAuthentication no" "KbdInteractiveAuthentication no" "Subsystem sftp $3" \
		"TrustedUserCAKeys $W/user_cas" > "$1"
}
mkdir -p /run/sshd
P=$(free_port); mkdir -p "$W/sbdata"
start sshbox "$P" "$SSHBOX" sshd -D -e -p "$P" -h "$W/hostkey" -o ListenAddress=127.0.0.1 -o DataDirectory="$W/sbdata" -o LogLevel=ERROR \
	-o TrustedUserCAKeys="$W/user_cas"
if [ -n "$PEERS" ]; then
	# the session runs it as the user, who cannot enter a cache under /root
	cp "$PEERS/libexec/sftp-server" "$W/sftp-server-10"
	P=$(free_port); ossh_conf "$W/ossh10.conf" "$P" "$W/sftp-server-10"
	start openssh10 "$P" "$PEERS/sbin/sshd" -D -e -f "$W/ossh10.conf"
	P=$(free_port); start dropbear2025 "$P" "$PEERS/sbin/dropbear" -F -E -s -p 127.0.0.1:"$P" -r "$W/hostkey.db"
fi
P=$(free_port); ossh_conf "$W/ossh92.conf" "$P" /usr/lib/openssh/sftp-server
start openssh92 "$P" /usr/sbin/sshd -D -e -f "$W/ossh92.conf"
P=$(free_port); start dropbear2022 "$P" /usr/sbin/dropbear -F -E -s -p 127.0.0.1:"$P" -r "$W/hostkey.db"

cpu_us() { awk '/^usage_usec/ {print $2}' "${CG[$1]}/cpu.stat"; }
# login_cpu NAME [KEX [CERTKEY]]: server CPU ms per `ssh true` (LOGINS
# logins; n/a if any fails); CERTKEY: log in with that key's certificate only
login_cpu() {
	local s=$1 kex=(${2:+-o KexAlgorithms=$2}) u0 u1 i ssh=("${SSH[@]}")
	[ -n "${3:-}" ] && ssh=("${SSH_BASE[@]}" -i "$3" -o CertificateFile="$3-cert.pub")
	"${ssh[@]}" "${kex[@]}" -p "${PORT[$s]}" 127.0.0.1 true >/dev/null 2>&1 || { echo n/a; return; }
	sleep 0.2; u0=$(cpu_us "$s")
	for i in $(seq "$LOGINS"); do "${ssh[@]}" "${kex[@]}" -p "${PORT[$s]}" 127.0.0.1 true >/dev/null 2>&1 || { echo n/a; return; }; done
	sleep 0.3; u1=$(cpu_us "$s")
	calc %.1f "($u1 - $u0) / 1000 / $LOGINS"
}
kex_used() { "${SSH[@]}" -v -p "${PORT[$1]}" 127.0.0.1 true 2>&1 | sed -n 's/.*kex: algorithm: //p' | head -1; }
latency() {
	local s=$1 t0 t1 i
	for i in $(seq "$LOGINS"); do
		t0=$(date +%s%N); "${SSH[@]}" -p "${PORT[$s]}" 127.0.0.1 true >/dev/null 2>&1 || continue
		t1=$(date +%s%N); echo $(((t1 - t0) / 1000))
	done | awk '{print $1/1000}' | median
}
# gib_cpu NAME CIPHER up|down: server CPU seconds per GiB moved (the
# server's CPU per login, LOGIN_MS, measured above, taken off)
declare -A LOGIN_MS
gib_cpu() {
	local s=$1 c=$2 u0 u1 ok=1
	u0=$(cpu_us "$s")
	if [ "$3" = up ]; then
		head -c "${GMB}M" /dev/zero | "${SSH[@]}" -c "$c" -p "${PORT[$s]}" 127.0.0.1 'cat > /dev/null' 2>/dev/null || ok=0
	else
		"${SSH[@]}" -c "$c" -p "${PORT[$s]}" 127.0.0.1 "head -c ${GMB}M /dev/zero" 2>/dev/null >/dev/null || ok=0
	fi
	sleep 0.2; u1=$(cpu_us "$s")
	[ $ok = 1 ] && [ "${LOGIN_MS[$s]}" != n/a ] && calc %.2f "(($u1 - $u0) / 1e3 - ${LOGIN_MS[$s]}) / 1e3 / ($GMB / 1024)" || echo n/a
}
pss_of() { awk '/^Pss:/ {s += $2} END {print s + 0}' $(for p in "$@"; do echo "/proc/$p/smaps_rollup"; done) 2>/dev/null; }
# pss NAME listener|connection: KiB; connection = every process of the
# cgroup but the listener and the user's sleep, during an idle `sleep 6`
pss() {
	local s=$1 lp procs p cp
	lp=${LPID[$s]}
	[ "$2" = listener ] && { pss_of "$lp"; return; }
	"${SSH[@]}" -p "${PORT[$s]}" 127.0.0.1 'sleep 6' >/dev/null 2>&1 & cp=$!
	sleep 3
	procs=$(while read -r p; do [ "$p" = "$lp" ] && continue; [ "$(cat /proc/$p/comm 2>/dev/null)" = sleep ] && continue; echo "$p"; done < "${CG[$s]}/cgroup.procs")
	pss_of $procs
	wait $cp
}
burst() {
	local s=$1 t0 t1 fails
	t0=$(date +%s%N)
	fails=$(seq "$CONC" | xargs -P 50 -I{} sh -c "$(printf '%q ' "${SSH[@]}") -p ${PORT[$s]} 127.0.0.1 true >/dev/null 2>&1 || echo x" | wc -l)
	t1=$(date +%s%N); echo "$(((t1 - t0) / 1000000))ms/${fails}fail"
}
sftp_run() {
	local s=$1 dir=$2 t0 t1
	if [ "$dir" = up ]; then echo "put $W/sftpfile up.bin" > "$W/batch"; else echo "get sftp.bin /dev/null" > "$W/batch"; fi
	t0=$(date +%s%N)
	"$CLIENT_SFTP" -q -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
		-i "$W/id" -P "${PORT[$s]}" -b "$W/batch" "$USER_NAME@127.0.0.1" >/dev/null 2>&1 || { echo n/a; return; }
	t1=$(date +%s%N); calc %.1f "$SFTP_MB / (($t1 - $t0) / 1e9)"
}

HDR="| row |"; SEP="|---|"
for s in "${SERVERS[@]}"; do HDR+=" $s |"; SEP+="---|"; done
for s in "${SERVERS[@]:1}"; do HDR+=" sshbox/$s |"; SEP+="---|"; done
ROWS=()
# row LABEL VALUES...: one value per server; ratios of the leading number
# (ROW_NO_RATIO=1: text cells, no ratios)
row() {
	local label=$1 line; shift
	line="| $label |"
	for v in "$@"; do line+=" $v |"; done
	local a=${1%%[/ ]*}
	shift
	for v in "$@"; do
		if [ -n "${ROW_NO_RATIO:-}" ]; then line+=" |"; else line+=" $(ratio "$a" "${v%%[/ ]*}") |"; fi
	done
	ROWS+=("$line"); echo "$line"
}
each() { local f=$1 s out=(); shift; for s in "${SERVERS[@]}"; do out+=("$($f "$s" "$@")"); done; printf '%s\n' "${out[@]}"; }
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "servers: ${SERVERS[*]}; client $("$CLIENT_SSH" -V 2>&1); load $LOAD0"
echo "$HDR"; echo "$SEP"
mapfile -t v < <(each kex_used); ROW_NO_RATIO=1 row "kex the client picks" "${v[@]}"
mapfile -t v < <(each login_cpu); row "server CPU ms per login, client's default kex" "${v[@]}"
for i in "${!SERVERS[@]}"; do LOGIN_MS[${SERVERS[$i]}]=${v[$i]}; done
for k in mlkem768x25519-sha256 sntrup761x25519-sha512@openssh.com curve25519-sha256; do
	mapfile -t v < <(each login_cpu "$k"); row "server CPU ms per login, $k" "${v[@]}"
done
for ca in ed25519 ecdsa; do
	mapfile -t v < <(each login_cpu "" "$W/cert_$ca"); row "server CPU ms per login, user certificate from an $ca CA" "${v[@]}"
done
mapfile -t v < <(each latency); row "ssh true latency ms (median of $LOGINS)" "${v[@]}"
for c in chacha20-poly1305@openssh.com aes128-gcm@openssh.com; do
	for d in up down; do
		mapfile -t v < <(each gib_cpu "$c" "$d"); row "server CPU s/GiB $c $d (${GMB} MiB, login taken off)" "${v[@]}"
	done
done
mapfile -t v < <(each pss listener); row "PSS KiB idle listener" "${v[@]}"
mapfile -t v < <(each pss connection); row "PSS KiB one idle connection (all its processes)" "${v[@]}"
mapfile -t v < <(each burst); row "$CONC logins of ssh true, 50 at once" "${v[@]}"
head -c "${SFTP_MB}M" /dev/urandom > "$W/sftpfile"; chmod 644 "$W/sftpfile"
cp "$W/sftpfile" "$H/sftp.bin"; chown "$USER_NAME" "$H/sftp.bin"
for d in up down; do
	mapfile -t v < <(each sftp_run "$d"); row "sftp $d MiB/s ${SFTP_MB} MiB" "${v[@]}"
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -n "${BENCH_REPORT_SERVERS:-}" ]; then
	{
		echo "Produced by \`tests/bench/servers.sh\` (part of \`make bench\`) on $(date -u +%Y-%m-%d): $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), kernel $(uname -r); load average $LOAD0 at the start, $LOAD1 at the end (the machine is shared)."
		echo "Client for every server: $("$CLIENT_SSH" -V 2>&1). Servers: sshbox $("$SSHBOX" --version 2>/dev/null | head -1), OpenSSH 10.0p1 and Dropbear 2025.89 from ${PEERS:-(no peer cache)}, OpenSSH 9.2p1 and Dropbear 2022.83 from Debian 12. Server CPU: usage_usec of the cpu.stat of a cgroup v2 each server runs in (its whole process tree, the user's command included), over $LOGINS logins or one transfer of $GMB MiB of zeros (\`cat > /dev/null\` / \`head -c\`). n/a: the server does not offer the algorithm. BENCH_LOGINS=$LOGINS BENCH_GIB_MB=$GMB BENCH_SFTP_MB=$SFTP_MB BENCH_CONC=$CONC."
		echo
		echo "$HDR"; echo "$SEP"
		printf '%s\n' "${ROWS[@]}"
	} > "$BENCH_REPORT_SERVERS"
	echo "servers: wrote $BENCH_REPORT_SERVERS"
fi
