#!/usr/bin/env bash
# Logins under load (listener admission, shared/server/admission.h), with the
# default configuration except port/address/DataDirectory:
#  - a burst of 200 `ssh host true`, 50 at a time, from one source: 0 fail;
#  - while 500 connections that never speak SSH are open from 127.0.0.1
#    (silent, then one byte a second), logins from 127.0.0.2 succeed within
#    2 s each;
#  - small deterministic cases: MaxStartups full makes a connection wait
#    (no drop) and start when a slot frees; PerSourceMaxStartups /
#    PerSourceNetBlockSize give another netblock a slot while one is full,
#    and drop what a netblock sends beyond its waiting share.
# During the burst and the floods the listener's descendants and its PSS are
# sampled every 0.2 s: both must stay bounded (figures printed as INFO lines).
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root

BURST_N=${BURST_N:-200}
BURST_P=${BURST_P:-50}
FLOOD_N=${FLOOD_N:-500}
MAX_PROCS=${MAX_PROCS:-400}   # descendants of the listener, any moment
MAX_PSS_KIB=${MAX_PSS_KIB:-4096} # the listener process alone

make_user sbload1 || finish
K=$(make_key sbload1 ed25519)

# descendants: processes below the listener, from one ps snapshot (cheap
# enough to sample every 0.2 s on a loaded machine).
descendants() {
	ps -e -o pid=,ppid= | awk -v root="$SSHD_PID" '
		{ parent[$1] = $2 }
		END { n = 0; for (p in parent) { q = parent[p]; d = 0
			while (q != "" && q > 1 && d < 16) { if (q == root) { n++; break }; q = parent[q]; d++ } }
			print n }'
}
# sampler OUTFILE: writes "procs pss_kib" lines for the listener until killed.
sampler() {
	while kill -0 "$SSHD_PID" 2>/dev/null; do
		local pss
		pss=$(awk '/^Pss:/ {print $2}' "/proc/$SSHD_PID/smaps_rollup" 2>/dev/null)
		echo "$(descendants) ${pss:-0}" >> "$1"
		sleep 0.2
	done
}
start_sampler() { : > "$1"; sampler "$1" & SAMPLER=$!; }
stop_sampler() { kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; }
max_col() { awk -v c="$2" 'BEGIN {m = 0} $c > m {m = $c} END {print m}' "$1"; }
bounded() { # bounded NAME FILE: max procs and listener PSS under the limits
	local procs pss
	procs=$(max_col "$2" 1); pss=$(max_col "$2" 2)
	echo "INFO: $1: at most $procs processes under the listener, listener PSS at most $pss KiB ($(wc -l < "$2") samples)"
	check "$1: process count bounded (max $procs <= $MAX_PROCS)" [ "$procs" -le "$MAX_PROCS" ]
	check "$1: listener PSS bounded (max $pss KiB <= $MAX_PSS_KIB)" [ "$pss" -le "$MAX_PSS_KIB" ]
}

# ---- burst: 200 logins, 50 at once, default configuration ----
SSHD_PENALTIES=1 SSHD_LOGLEVEL=INFO start_sshd || finish
start_sampler "$T/burst.samples"
t0=$(date +%s%N)
seq 1 "$BURST_N" | SSHC_TIMEOUT=120 xargs -P "$BURST_P" -I{} bash -c \
	'. "$0"; PORT=$1; T=$2; sshc sbload1 "$3" true </dev/null >/dev/null 2>&1 && echo ok || echo failed' \
	"$LIB_DIR/lib.sh" "$PORT" "$T" "$K" > "$T/burst.out"
t1=$(date +%s%N)
stop_sampler
ok=$(grep -c '^ok$' "$T/burst.out"); bad=$(grep -c '^failed$' "$T/burst.out")
echo "INFO: burst: $ok ok, $bad failed in $(((t1 - t0) / 1000000)) ms ($BURST_N logins, $BURST_P at once)"
check "burst: $BURST_N logins, $BURST_P at once, 0 failed" [ "$ok" -eq "$BURST_N" ]
[ "$ok" -eq "$BURST_N" ] || grep -iE "drop|error|warn" "$SSHD_LOG" | tail -5
bounded "burst" "$T/burst.samples"
wait_children 0 30

# ---- floods from 127.0.0.1, logins from 127.0.0.2 ----
# A fresh daemon for each flood: the first flood's connections end with
# "no authentication" and would put 127.0.0.1 under a per-source penalty.
# legit_logins NAME: 8 logins from 127.0.0.2, each must finish within 2 s.
legit_logins() {
	local i t0 t1 ms worst=0 good=0
	for i in 1 2 3 4 5 6 7 8; do
		t0=$(date +%s%N)
		sshc sbload1 "$K" -o BindAddress=127.0.0.2 -o ConnectTimeout=5 -- true </dev/null >/dev/null 2>&1 &&
			{ t1=$(date +%s%N); ms=$(((t1 - t0) / 1000000)); [ "$ms" -le 2000 ] && good=$((good + 1));
			  [ "$ms" -gt "$worst" ] && worst=$ms; }
	done
	echo "INFO: $1: $good of 8 logins from 127.0.0.2 succeeded within 2 s (slowest successful: $worst ms)"
	check "$1: 8 of 8 logins from another source within 2 s" [ "$good" -eq 8 ]
}
for mode in silent trickle; do
	SSHD_PENALTIES=1 SSHD_LOGLEVEL=INFO start_sshd || finish
	start_sampler "$T/$mode.samples"
	"$PY" "$LIB_DIR/sshd_flood.py" "$PORT" "$FLOOD_N" 127.0.0.1 "$mode" 60 > "$T/$mode.flood" 2>&1 &
	FLOOD=$!
	for i in $(seq 1 100); do grep -q opened "$T/$mode.flood" && break; sleep 0.1; done
	echo "INFO: flood ($mode): $(head -1 "$T/$mode.flood") connections from 127.0.0.1"
	sleep 1
	legit_logins "flood of $FLOOD_N ($mode)"
	stop_sampler
	bounded "flood of $FLOOD_N ($mode)" "$T/$mode.samples"
	kill "$FLOOD" 2>/dev/null; wait "$FLOOD" 2>/dev/null
	check "flood ($mode): what one source sends beyond its share is dropped, and logged" \
		log_has "drop connection .* its source [0-9]+ running \+ [0-9]+ waiting"
	stop_sshd
done

# ---- MaxStartups full: a connection beyond it waits, then starts ----
SSHD_EXTRA_CONFIG="MaxStartups 2:30:2
PerSourceMaxStartups none" start_sshd || finish
from=$(($(wc -l < "$SSHD_LOG") + 1))
no_drop_logged() { ! tail -n +"$from" "$SSHD_LOG" | grep -q "drop connection"; }
exec 5<>"/dev/tcp/127.0.0.1/$PORT"; exec 6<>"/dev/tcp/127.0.0.1/$PORT"
exec 7<>"/dev/tcp/127.0.0.1/$PORT"
out=$(timeout 2 head -c 4 <&7)
check "MaxStartups 2: third connection gets no process while two are unauthenticated" [ -z "$out" ]
check "MaxStartups 2: third connection is not dropped" no_drop_logged
exec 5<&-
out=$(timeout 5 head -c 4 <&7)
check "MaxStartups 2: waiting connection starts when a slot frees" [ "$out" = "SSH-" ]
exec 6<&- 7<&-
stop_sshd

# ---- PerSourceMaxStartups / PerSourceNetBlockSize ----
# MaxStartups full 2, 1 running per netblock, 2 waiting per netblock: of 4
# silent connections from 127.0.0.1, 1 runs, 2 wait, the 4th is dropped.
# With /32 blocks a login from 127.0.0.2 gets the free slot; with /24
# blocks 127.0.0.2 is in the flooded block and is dropped too.
# per_source_case NETBLOCK EXPECT(ok|refused)
per_source_case() {
	SSHD_EXTRA_CONFIG="MaxStartups 2:30:2
PerSourceMaxStartups 1
PerSourceNetBlockSize $1" start_sshd || finish
	"$PY" "$LIB_DIR/sshd_flood.py" "$PORT" 4 127.0.0.1 silent 8 > "$T/ps.flood" 2>&1 &
	FLOOD=$!
	for i in $(seq 1 50); do grep -q opened "$T/ps.flood" && break; sleep 0.1; done
	sleep 0.5
	check "PerSourceMaxStartups 1 (/$1): the 4th connection from the block dropped" \
		log_has "drop connection .* its source 1 running \+ 2 waiting"
	sshc sbload1 "$K" -o BindAddress=127.0.0.2 -o ConnectTimeout=5 -- true </dev/null >/dev/null 2>&1
	local rc=$?
	if [ "$2" = ok ]; then
		check "PerSourceNetBlockSize $1: 127.0.0.2 logs in while 127.0.0.1 holds its block's slot" [ $rc -eq 0 ]
	else
		check "PerSourceNetBlockSize $1: 127.0.0.2 shares 127.0.0.1's block and is refused" [ $rc -ne 0 ]
	fi
	kill "$FLOOD" 2>/dev/null; wait "$FLOOD" 2>/dev/null
	stop_sshd
}
per_source_case 32 ok
per_source_case 24 refused
finish
