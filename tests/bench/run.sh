#!/usr/bin/env bash
# sshbox benchmark suite (`make bench`; not part of `make test`).
# Starts OpenSSH sshd, Dropbear and `sshbox sshd` side by side on loopback
# with equivalent settings (ed25519 host key, same user, same client key),
# drives them with the same OpenSSH client and prints one table of medians
# and sshbox/peer ratios. Then tests/bench/servers.sh measures server CPU
# (per-server cgroup), PSS and bursts against OpenSSH 10.0p1 / Dropbear
# 2025.89 (build/peers.sh) and Debian 12's 9.2 / 2022.83; its table is
# appended. Writes docs/benchmarks.md.
#
# Knobs: BENCH_RUNS (latency runs, default 30), BENCH_MB (bulk MiB, default 1024),
# BENCH_SFTP_MB (default 256), BENCH_CONC (concurrent logins, default 200),
# BENCH_BULK_RUNS (bulk transfers per cell, median; default 3).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-30}
MB=${BENCH_MB:-1024}
SFTP_MB=${BENCH_SFTP_MB:-256}
CONC=${BENCH_CONC:-200}
USER_NAME=sshboxbench
REPORT=${BENCH_REPORT:-docs/benchmarks.md}

bash build/apt-packages.sh
bench_init bench "$USER_NAME"

# --- servers
bench_openssh "Subsystem sftp /usr/lib/openssh/sftp-server"
P_DB=$(free_port)
dropbearconvert openssh dropbear "$W/hostkey" "$W/hostkey.db" >/dev/null 2>&1
dropbear -F -E -s -p 127.0.0.1:"$P_DB" -r "$W/hostkey.db" 2>"$W/db.log" & PIDS+=($!)
bench_sshbox
SB_PID=${PIDS[-1]}
for p in $P_OSSH $P_DB $P_SB; do wait_port "$p" || echo "bench: port $p did not open"; done

SSH=(ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes
     -o LogLevel=ERROR -i "$W/id" -l "$USER_NAME")
declare -A PORT=([sshbox]=$P_SB [openssh]=$P_OSSH [dropbear]=$P_DB)
ROWS=()
row() { ROWS+=("$(printf '| %s | %s | %s | %s | %s | %s |' "$@")"); printf '%-44s %12s %12s %12s %8s %8s\n' "$@"; }
# two decimals here (latencies in ms); lib.sh's median has one
median() { python3 -c 'import sys,statistics;v=[float(x) for x in sys.stdin.read().split() if x!="n/a"];print("%.2f"%statistics.median(v) if v else "n/a")'; }

# latency of `ssh host true` in ms (median of RUNS); an optional third
# argument pins the kex (else the client's default: the sntrup761x25519
# hybrid with sshbox and OpenSSH, curve25519 with Dropbear, which lacks it)
latency() { local srv=$1 cipher=$2 kex=(${3:+-o KexAlgorithms=$3}) t0 t1
  for _ in $(seq "$RUNS"); do
    t0=$(date +%s%N); "${SSH[@]}" -c "$cipher" "${kex[@]}" -p "${PORT[$srv]}" 127.0.0.1 true >/dev/null 2>&1 || { echo fail; continue; }
    t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 ))
  done | grep -v fail | awk '{print $1/1000}' | median; }

# bulk throughput in MiB/s: MB MiB of zeros through `cat > /dev/null`
# The aes-ctr rows pin the MAC to hmac-sha2-256(-etm): OpenSSH would
# otherwise pick umac-64-etm, which sshbox does not offer (like for like).
mac_for() { case "$1" in *-ctr) echo "-m hmac-sha2-256-etm@openssh.com,hmac-sha2-256" ;; esac; }
BULK_RUNS=${BENCH_BULK_RUNS:-3}
# MiB/s of one transfer; bulk_* print the median of BULK_RUNS
bulk_once() { local srv=$1 cipher=$2 dir=$3 t0 t1
  t0=$(date +%s%N)
  if [ "$dir" = up ]; then
    head -c "${MB}M" /dev/zero | "${SSH[@]}" -c "$cipher" $(mac_for "$cipher") -p "${PORT[$srv]}" 127.0.0.1 'cat > /dev/null' 2>/dev/null || return 1
  else
    "${SSH[@]}" -c "$cipher" $(mac_for "$cipher") -p "${PORT[$srv]}" 127.0.0.1 "head -c ${MB}M /dev/zero" 2>/dev/null > /dev/null || return 1
  fi
  t1=$(date +%s%N); python3 -c "print('%.1f'%($MB/(($t1-$t0)/1e9)))"; }
bulk() { local out; out=$(for _ in $(seq "$BULK_RUNS"); do bulk_once "$@"; done); [ -n "$out" ] && echo "$out" | median || echo n/a; }
bulk_up() { bulk "$1" "$2" up; }
bulk_down() { bulk "$1" "$2" down; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), kernel $(uname -r)"
printf '%-44s %12s %12s %12s %8s %8s\n' metric sshbox openssh dropbear sb/ossh sb/db
CIPHERS="chacha20-poly1305@openssh.com aes128-gcm@openssh.com aes256-gcm@openssh.com aes128-ctr aes256-ctr"
for c in $CIPHERS; do
  a=$(latency sshbox "$c"); b=$(latency openssh "$c"); d=$(latency dropbear "$c")
  row "ssh true latency ms ($c)" "$a" "$b" "$d" "$(ratio "$a" "$b")" "$(ratio "$a" "$d")"
done
c=chacha20-poly1305@openssh.com k=curve25519-sha256
a=$(latency sshbox "$c" "$k"); b=$(latency openssh "$c" "$k"); d=$(latency dropbear "$c" "$k")
row "ssh true latency ms ($c, kex $k)" "$a" "$b" "$d" "$(ratio "$a" "$b")" "$(ratio "$a" "$d")"
for c in $CIPHERS; do
  a=$(bulk_up sshbox "$c"); b=$(bulk_up openssh "$c"); d=$(bulk_up dropbear "$c")
  label=$c; [ -n "$(mac_for "$c")" ] && label="$c+hmac-sha2-256"
  row "upload MiB/s ${MB}MiB ($label)" "$a" "$b" "$d" "$(ratio "$a" "$b")" "$(ratio "$a" "$d")"
  a=$(bulk_down sshbox "$c"); b=$(bulk_down openssh "$c"); d=$(bulk_down dropbear "$c")
  row "download MiB/s ${MB}MiB ($label)" "$a" "$b" "$d" "$(ratio "$a" "$b")" "$(ratio "$a" "$d")"
done
# crypto ceiling on this CPU, for reference
for e in chacha20-poly1305 aes-128-gcm; do
  v=$(openssl speed -evp "$e" -bytes 16384 -seconds 1 2>/dev/null | awk -v e="$e" 'tolower($1) == e {print $NF}' | tr -d k)
  [ -n "$v" ] && row "openssl speed $e 16KiB MiB/s" "$(python3 -c "print('%.0f'%($v*1000/1048576))")" "" "" "" ""
done

# sftp upload/download
head -c "${SFTP_MB}M" /dev/urandom > "$W/sftpfile"; chmod 644 "$W/sftpfile"
sftp_run() { local srv=$1 dir=$2 t0 t1
  if [ "$dir" = up ]; then echo "put $W/sftpfile up.bin" > "$W/batch"; else echo "get sftp.bin /dev/null" > "$W/batch"; fi  # no local disk writeback in the timing
  cp "$W/sftpfile" "$H/sftp.bin"; chown "$USER_NAME" "$H/sftp.bin"
  t0=$(date +%s%N)
  sftp -q -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
    -i "$W/id" -P "${PORT[$srv]}" -b "$W/batch" "$USER_NAME@127.0.0.1" >/dev/null 2>&1 || { echo n/a; return; }
  t1=$(date +%s%N); python3 -c "print('%.1f'%($SFTP_MB/(($t1-$t0)/1e9)))"; }
for dir in up down; do
  a=$(for _ in $(seq "$BULK_RUNS"); do sftp_run sshbox $dir; done | median)
  b=$(for _ in $(seq "$BULK_RUNS"); do sftp_run openssh $dir; done | median)
  row "sftp $dir MiB/s ${SFTP_MB}MiB" "$a" "$b" "n/a" "$(ratio "$a" "$b")" ""
done

# RSS (KiB): idle listener; one idle connection (all its processes); exec helper
rss_tree() { # sum VmRSS of a pid and its descendants
  local total=0 p
  for p in $1 $(pgrep -P "$1" 2>/dev/null) $(for c in $(pgrep -P "$1" 2>/dev/null); do pgrep -P "$c"; done); do
    r=$(awk '/VmRSS/ {print $2}' /proc/"$p"/status 2>/dev/null); total=$((total + ${r:-0}))
  done; echo $total; }
declare -A RSS_L RSS_C
listener_pid() { case $1 in sshbox) echo "$SB_PID";; openssh) echo "${PIDS[0]}";; dropbear) echo "${PIDS[1]}";; esac; }
for srv in sshbox openssh dropbear; do
  lp=$(listener_pid $srv); RSS_L[$srv]=$(awk '/VmRSS/ {print $2}' /proc/"$lp"/status)
  "${SSH[@]}" -p "${PORT[$srv]}" 127.0.0.1 'sleep 5' >/dev/null 2>&1 & cp=$!
  sleep 2
  RSS_C[$srv]=$(( $(rss_tree "$lp") - ${RSS_L[$srv]} ))
  wait $cp
done
row "RSS idle listener KiB" "${RSS_L[sshbox]}" "${RSS_L[openssh]}" "${RSS_L[dropbear]}" "$(ratio "${RSS_L[sshbox]}" "${RSS_L[openssh]}")" "$(ratio "${RSS_L[sshbox]}" "${RSS_L[dropbear]}")"
row "RSS one connection (all procs) KiB" "${RSS_C[sshbox]}" "${RSS_C[openssh]}" "${RSS_C[dropbear]}" "$(ratio "${RSS_C[sshbox]}" "${RSS_C[openssh]}")" "$(ratio "${RSS_C[sshbox]}" "${RSS_C[dropbear]}")"
"${SSH[@]}" -p "$P_SB" 127.0.0.1 'sleep 4' >/dev/null 2>&1 & cp=$!; sleep 2
ep=$(pgrep -x sshbox-exec | head -n1) # PR_SET_NAME of the exec applet
row "RSS exec helper process KiB" "$(awk '/VmRSS/ {print $2}' /proc/"${ep:-0}"/status 2>/dev/null || echo n/a)" "" "" "" ""
wait $cp

# kex: server CPU per key exchange, per method (tests/bench/kex_bench.c,
# linked against the static library like the daemon)
KEXB=$(mktemp -d /tmp/sshbox-kexbench.XXXXXX)
DEPS_PREFIX=$(build/deps.sh 2>/dev/null | tail -n1)
if gcc -specs="$OUT/musl-static-pie.specs" -std=c17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE $(for l in lib crypto ssh ipc child server debug; do printf -- "-Ishared/%s " $l; done)-I"$OUT/gen" -static-pie \
    -o "$KEXB/kex_bench" tests/bench/kex_bench.c "$OUT/libsshbox.a" -L"$DEPS_PREFIX/lib" -lsodium -lbearssl -lnettle -lz -lcrypt -laudit; then
  "$KEXB/kex_bench" > "$KEXB/out" && sed 's/^/kex: /' "$KEXB/out"
  while read -r name us _; do
    row "kex server CPU us, median ($name)" "$us" "" "" "" ""
  done < <(tail -n +2 "$KEXB/out")
fi
rm -rf "$KEXB"

# spawn: helper from memfd vs full binary via /proc/self/exe
[ -x tests/bench/spawn ] && tests/bench/spawn 2>&1 | sed 's/^/spawn: /'

# concurrency: CONC parallel `ssh true`, completion time and failures
conc() { local srv=$1 t0 t1 fails
  t0=$(date +%s%N)
  fails=$(seq "$CONC" | xargs -P 50 -I{} sh -c "$(printf '%q ' "${SSH[@]}") -p ${PORT[$srv]} 127.0.0.1 true >/dev/null 2>&1 || echo x" | wc -l)
  t1=$(date +%s%N); echo "$(( (t1 - t0) / 1000000 ))ms/${fails}fail"; }
row "$CONC concurrent ssh true (50 at once)" "$(conc sshbox)" "$(conc openssh)" "$(conc dropbear)" "" ""

# binary sizes (KiB)
sz() { echo $(( $(stat -c %s "$1") / 1024 )); }
libs=$(ldd /usr/sbin/sshd | awk '/=>/ {print $3}' | xargs -r stat -L -c %s | paste -sd+ | bc)
row "binary KiB (sshbox; sshd; dropbear)" "$(sz "$SSHBOX")" "$(sz /usr/sbin/sshd) (+$((libs / 1024)) libs)" "$(sz /usr/sbin/dropbear)" "" ""
row "binary KiB sshbox-helper" "$(sz "$OUT/sshbox-helper")" "" "" "" ""

# server CPU (cgroup) against today's peers: tests/bench/servers.sh
BENCH_REPORT_SERVERS="$W/servers.md" tests/bench/servers.sh || echo "bench: servers.sh failed"

{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` (tests/bench/run.sh) on $(date -u +%Y-%m-%d): $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), kernel $(uname -r)."
  echo "Peers: $(ssh -V 2>&1) sshd, Dropbear $(dropbear -V 2>&1 | grep -o 'v[0-9.]*'). Same OpenSSH client, loopback, ed25519 host key."
  echo "Latency: median of $RUNS runs, with the client's default kex (sntrup761x25519-sha512 with sshbox and OpenSSH; this Dropbear lacks it, so curve25519) unless the row names one; the OpenSSH client's sntrup761 key generation and decapsulation are most of the difference between the two kinds of row. Throughput (ssh cat, sftp): median of $BULK_RUNS transfers of ${MB} MiB of zeros (sftp: ${SFTP_MB} MiB of random data); the aes-ctr rows use hmac-sha2-256(-etm) on every server. Ratios are sshbox/peer (latency and size: lower is better; throughput: higher)."
  echo
  echo "| metric | sshbox | OpenSSH | Dropbear | sshbox/OpenSSH | sshbox/Dropbear |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  if [ -s "$W/servers.md" ]; then
    echo
    echo "## Server CPU, memory and bursts against today's peers"
    echo
    cat "$W/servers.md"
  fi
} > "$REPORT"
echo "bench: wrote $REPORT"
