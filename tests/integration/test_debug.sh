#!/usr/bin/env bash
# Debug service + debug applet end to end (issue 7, RFD 0167 style):
# log level changed at run time reaches connection processes, profile
# tar.gz with a pprof protobuf, every endpoint via curl --unix-socket,
# SO_PEERCRED allow-list (403) and DebugAllowUsers, a socket that cannot
# be created leaves SSH serving, malformed HTTP and a slowloris cannot
# stall the daemon.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root

if "$SSHBOX" sshd -t -f /dev/null 2>&1 | grep -q 'not implemented'; then
	skip "$(basename "$0"): sshd applet not implemented yet"
	exit 0
fi
command -v curl >/dev/null || { skip "$(basename "$0"): curl missing"; exit 0; }
HAVE_PROTOC=1; command -v protoc >/dev/null || HAVE_PROTOC=0

make_user dbgusr >/dev/null || finish
KEY=$(make_key dbgusr ed25519) || { fail "make_key"; finish; }

D() { timeout -k 5 60 "$SSHBOX" debug -c "$SSHD_CONFIG" "$@"; }
wait_sock() {
	local i
	for i in $(seq 1 50); do [ -S "$SSHD_DATADIR/debug.sock" ] && return 0; sleep 0.1; done
	return 1
}
# ucurl PATH [curl args...]: HTTP status code of a request over the socket.
ucurl() {
	local p=$1; shift
	curl -s -m 20 -o "$T/curl.out" -w '%{http_code}' --unix-socket "$SOCK" "$@" "http://sshbox$p"
}
# raw_http PYTHON-BYTES-LITERAL [HOLD_SECONDS]: sends bytes, prints the status line.
raw_http() {
	"$PY" - "$SOCK" "$1" "${2:-0}" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(15)
s.connect(sys.argv[1])
try:
    s.sendall(eval(sys.argv[2], {'__builtins__': {'bytes': bytes, 'range': range}}))
except OSError:
    pass
time.sleep(float(sys.argv[3]))
data = b''
try:
    while True:
        d = s.recv(65536)
        if not d: break
        data += d
except OSError:
    pass
print(data.split(b'\r\n')[0].decode('latin-1') if data else 'NO-ANSWER')
PY
}

# ---------- start at INFO
SSHD_LOGLEVEL=INFO start_sshd || finish
SOCK=$SSHD_DATADIR/debug.sock
check "debug.sock created in DataDirectory" wait_sock
check "debug.sock mode 0600 owned by the daemon's uid" [ "$(stat -c '%a %u' "$SOCK")" = "600 0" ]

lvl=$(D get-log-level)
[ "$lvl" = INFO ] && pass "get-log-level prints INFO at start" || fail "get-log-level at start: '$lvl'"

# ---------- set-log-level reaches connection processes
sshc dbgusr "$KEY" true >/dev/null 2>&1
conn_debug_lines() { grep -E '\[[0-9]+\] DEBUG ' "$SSHD_LOG" | grep -vE "\[$SSHD_PID\] DEBUG " | wc -l; }
before=$(conn_debug_lines)
[ "$before" -eq 0 ] && pass "no DEBUG lines from connections at INFO" || fail "DEBUG lines at INFO: $before"
out=$(D set-log-level debug)
[ "$out" = DEBUG ] && pass "set-log-level debug (case-insensitive) answers DEBUG" || fail "set-log-level: '$out'"
lvl=$(D get-log-level)
[ "$lvl" = DEBUG ] && pass "get-log-level prints DEBUG" || fail "get-log-level after set: '$lvl'"
got=$(sshc dbgusr "$KEY" 'echo hello-debug' 2>/dev/null)
[ "$got" = hello-debug ] && pass "ssh login after set-log-level" || fail "ssh login after set-log-level: '$got'"
sleep 0.3
after=$(conn_debug_lines)
if [ "$after" -gt 0 ]; then pass "new SSH login logs DEBUG lines from its connection process ($after)"; else
	fail "no DEBUG lines from a connection process after set-log-level DEBUG"; tail -20 "$SSHD_LOG" | sed 's/^/  | /'; fi
grep -q 'log level INFO -> DEBUG' "$SSHD_LOG" && pass "level change is logged" || fail "level change is logged"
D set-log-level INFO >/dev/null
[ "$(D get-log-level)" = INFO ] && pass "set back to INFO" || fail "set back to INFO"
bad=$(D set-log-level LOUD 2>&1); rc=$?
[ $rc -ne 0 ] && pass "set-log-level rejects an unknown level (rc=$rc)" || fail "set-log-level LOUD accepted: $bad"

# ---------- readyz, metrics, sessions via the applet
r=$(D readyz)
[[ "$r" == *'"status":"ok"'* && "$r" == *"\"pid\":$SSHD_PID"* ]] && pass "readyz: $r" || fail "readyz: '$r' (listener pid $SSHD_PID)"
m=$(D metrics)
acc=$(awk '$1=="sshbox_connections_accepted_total"{print $2}' <<<"$m")
[ "${acc:-0}" -ge 2 ] && pass "metrics: connections accepted = $acc" || fail "metrics connections accepted: '${acc}'"
grep -q '^# TYPE sshbox_auth_total counter' <<<"$m" && pass "metrics has HELP/TYPE lines" || fail "metrics HELP/TYPE"
pk=$(grep 'sshbox_auth_total{method="publickey",result="success"}' <<<"$m" | awk '{print $2}')
[ "${pk:-0}" -ge 2 ] && pass "metrics: publickey successes = $pk" || fail "metrics publickey successes: '$pk'"
grep -q '^sshbox_kex_total{algorithm="' <<<"$m" && pass "metrics: kex by algorithm" || fail "metrics: no kex counter"

# a session held open while we list sessions
sshc dbgusr "$KEY" 'sleep 4' >/dev/null 2>&1 &
hold=$!
s=""
for i in $(seq 1 40); do s=$(D sessions); [[ "$s" == *'"user":"dbgusr"'* && "$s" == *'"channels":1'* ]] && break; sleep 0.1; done
[[ "$s" == *'"user":"dbgusr"'* && "$s" == *'"source":"127.0.0.1:'* ]] && pass "sessions lists the live connection" || fail "sessions: '$s'"
[[ "$s" == *'"channels":1'* ]] && pass "sessions counts the live connection's channel" || fail "sessions channels: '$s'"
m=$(D metrics)
sa=$(awk '/^sshbox_sessions_active / {print $2}' <<<"$m"); st=$(awk '/^sshbox_sessions_total / {print $2}' <<<"$m")
[ "${sa:-0}" -ge 1 ] && [ "${st:-0}" -ge 3 ] && pass "metrics: sessions active $sa, total $st" || fail "metrics sessions: active '$sa' total '$st'"

# ---------- profile tarball
D profile -s 2 profile,heap >"$T/prof.tgz" 2>"$T/prof.err"; rc=$?
list=$(tar tzf "$T/prof.tgz" 2>&1 | sort | tr '\n' ' ')
[ $rc -eq 0 ] && [ "$list" = "heap.txt profile.pb.gz " ] && pass "debug profile -s 2 profile,heap | tar tz lists: $list" ||
	{ fail "profile tar: rc=$rc list='$list'"; sed 's/^/  | /' "$T/prof.err"; }
mkdir -p "$T/prof" && tar xzf "$T/prof.tgz" -C "$T/prof" 2>/dev/null
if [ $HAVE_PROTOC = 1 ]; then
	dec=$(gunzip -c "$T/prof/profile.pb.gz" | protoc --decode_raw 2>&1)
	if [[ "$dec" == *'"nanoseconds"'* && "$dec" == *'"cpu"'* ]]; then pass "CPU profile decodes with protoc --decode_raw"; else
		fail "protoc --decode_raw: $(head -5 <<<"$dec")"; fi
	[[ "$dec" == *"\"$SSHBOX\""* || "$dec" == *'sshbox'* ]] && pass "profile maps the sshbox binary" || fail "profile mapping of the binary"
else
	skip "protoc --decode_raw (protobuf-compiler not installed)"
fi
if command -v go >/dev/null && top=$(HOME=$T GOPATH=$T/go go tool pprof -top "$T/prof/profile.pb.gz" 2>&1); then
	[[ "$top" == *"Type: cpu"* ]] && pass "go tool pprof -top reads the profile" || fail "pprof -top: $(head -5 <<<"$top")"
	echo "$top" | head -12 | sed 's/^/  pprof| /'
else
	skip "go tool pprof -top (golang-go not installed)"
fi
grep -q 'NOT a pprof heap profile' "$T/prof/heap.txt" 2>/dev/null && grep -q '^VmRSS:' "$T/prof/heap.txt" &&
	pass "heap.txt states what it is and has VmRSS" || fail "heap.txt content"
wait $hold 2>/dev/null

# ---------- CPU profile of a busy connection process (-p PID from /sessions)
sleep 2.2 # profile rate limit interval
sshc dbgusr "$KEY" 'head -c 3000000000 /dev/zero' >/dev/null 2>&1 &
busy=$!
cpid=""
for i in $(seq 1 50); do
	cpid=$(D sessions | "$PY" -c 'import json,sys
for s in json.load(sys.stdin):
    if s.get("user") == "dbgusr": print(s["pid"]); break' 2>/dev/null)
	[ -n "$cpid" ] && break
	sleep 0.1
done
if [ -n "$cpid" ]; then
	D profile -s 2 -p "$cpid" profile >"$T/cprof.tgz" 2>"$T/cprof.err"; rc=$?
	mkdir -p "$T/cprof" && tar xzf "$T/cprof.tgz" -C "$T/cprof" 2>/dev/null
	n=0
	[ -s "$T/cprof/profile.pb.gz" ] && n=$(gunzip -c "$T/cprof/profile.pb.gz" | protoc --decode_raw 2>/dev/null | grep -c '^2 {')
	[ $rc -eq 0 ] && [ "$n" -gt 0 ] && pass "CPU profile of connection process $cpid: $n samples" ||
		{ fail "connection profile: rc=$rc samples=$n"; sed 's/^/  | /' "$T/cprof.err"; }
	if command -v go >/dev/null && [ -s "$T/cprof/profile.pb.gz" ]; then
		HOME=$T GOPATH=$T/go go tool pprof -top "$T/cprof/profile.pb.gz" 2>&1 | head -16 | sed 's/^/  pprof| /'
	fi
	kill -0 "$cpid" 2>/dev/null && pass "profiled connection process still alive" || fail "profiled connection died"
else
	fail "no connection pid in /sessions"
fi
kill $busy 2>/dev/null; wait $busy 2>/dev/null
c=$(ucurl '/debug/pprof/profile?seconds=1&pid=1'); [ "$c" = 404 ] || [ "$c" = 429 ] && pass "profile of a pid that is not a connection -> $c" || fail "profile pid=1 -> $c"

# ---------- curl --unix-socket for every endpoint
sleep 2.2 # profile rate limit interval
for p in /log-level /readyz /metrics /sessions /debug/pprof/heap /debug/pprof/cmdline /debug/status /debug/fds \
	'/debug/pprof/profile?seconds=1'; do
	c=$(ucurl "$p")
	[ "$c" = 200 ] && pass "curl GET $p -> 200" || fail "curl GET $p -> $c"
done
c=$(ucurl '/debug/pprof/profile?seconds=1'); [ "$c" = 429 ] && pass "second profile within the interval -> 429" || fail "profile rate limit: $c"
c=$(ucurl /log-level -X PUT --data-binary 'warn'); [ "$c" = 200 ] && [ "$(D get-log-level)" = WARN ] &&
	pass "curl PUT /log-level warn -> 200" || fail "curl PUT /log-level -> $c"
D set-log-level INFO >/dev/null
c=$(ucurl /nope); [ "$c" = 404 ] && pass "unknown path -> 404" || fail "unknown path -> $c"
c=$(ucurl /metrics -X DELETE); [ "$c" = 405 ] && pass "DELETE /metrics -> 405" || fail "DELETE /metrics -> $c"
c=$(ucurl /log-level -X PUT --data-binary 'bogus'); [ "$c" = 400 ] && pass "PUT bogus level -> 400" || fail "PUT bogus -> $c"

# ---------- peer credential checks
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
getent group nogroup >/dev/null || NOBODY=(setpriv --reuid=nobody --regid=nobody --clear-groups)
out=$("${NOBODY[@]}" "$SSHBOX" debug -S "$SOCK" readyz 2>&1); rc=$?
[ $rc -ne 0 ] && [[ "$out" == *"Permission denied"* && "$out" == *"DebugAllowUsers"* ]] &&
	pass "nobody is refused by the 0600 socket, with a hint" || fail "nobody vs 0600 socket: rc=$rc $out"
chmod 711 "$T" "$SSHD_DATADIR"; chmod 666 "$SOCK"
c=$("${NOBODY[@]}" curl -s -m 10 -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://x/readyz)
[ "$c" = 403 ] && pass "uid nobody through a 0666 socket: SO_PEERCRED check -> 403" || fail "nobody via 0666 socket -> $c"
out=$("${NOBODY[@]}" "$SSHBOX" debug -S "$SOCK" get-log-level 2>&1); rc=$?
[ $rc -ne 0 ] && [[ "$out" == *403* ]] && pass "debug applet reports 403 with a hint" || fail "applet 403: rc=$rc $out"
chmod 600 "$SOCK"

# ---------- malformed HTTP and a slowloris cannot stall anything
st=$(raw_http "b'GET /readyz HTTP/1.1\\n\\n'"); [[ "$st" == *" 400 "* ]] && pass "no CRLF -> $st" || fail "no CRLF -> $st"
st=$(raw_http "b'GET /readyz HTTP/1.1\\r\\nX: ' + b'a' * 20000"); [[ "$st" == *" 431 "* ]] && pass "huge header -> $st" || fail "huge header -> $st"
st=$(raw_http "b'PUT /log-level HTTP/1.1\\r\\nContent-Length: 999999\\r\\n\\r\\n'"); [[ "$st" == *" 413 "* ]] && pass "huge body -> $st" || fail "huge body -> $st"
st=$(raw_http "bytes(range(256)) * 4"); [[ "$st" == *" 400 "* || "$st" == *" 431 "* ]] && pass "binary garbage -> $st" || fail "binary garbage -> $st"
raw_http "b'GET /readyz HTTP/1.1\\r\\nHost: a\\r\\nX-Slow: '" 7 >"$T/slow.out" &
slow=$!
sleep 0.5
t0=$(date +%s%N)
got=$(sshc dbgusr "$KEY" 'echo during-slowloris' 2>/dev/null)
t1=$(date +%s%N)
[ "$got" = during-slowloris ] && pass "SSH login works while a slowloris holds the debug socket ($(((t1 - t0) / 1000000)) ms)" ||
	fail "SSH login during slowloris: '$got'"
r=$(D readyz)
[[ "$r" == *'"status":"ok"'* ]] && pass "debug service answers others during the slowloris" || fail "readyz during slowloris: $r"
wait $slow
st=$(cat "$T/slow.out")
[[ "$st" == *" 408 "* ]] && pass "slowloris gets 408 after the read timeout" || fail "slowloris answer: $st"
sshd_alive && pass "daemon alive after malformed HTTP" || fail "daemon died"

# ---------- DebugAllowUsers lets a listed uid in, by itself (no chmod by
# hand: the daemon makes the socket reachable), and only SO_PEERCRED decides
chmod 755 "$T"; chmod 700 "$SSHD_DATADIR"
SSHD_LOGLEVEL=INFO SSHD_EXTRA_CONFIG="DebugAllowUsers nobody" start_sshd || finish
wait_sock
check "DebugAllowUsers: socket 0666, DataDirectory o+x (0711)" \
	eval '[ "$(stat -c %a "$SOCK")" = 666 ] && [ "$(stat -c %a "$SSHD_DATADIR")" = 711 ]'
out=$("${NOBODY[@]}" "$SSHBOX" debug -S "$SOCK" get-log-level 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$out" = INFO ] && pass "DebugAllowUsers nobody: nobody runs sshbox debug get-log-level" ||
	fail "DebugAllowUsers nobody: get-log-level rc=$rc $out"
OTHER=(setpriv --reuid=daemon --regid=daemon --clear-groups)
out=$("${OTHER[@]}" "$SSHBOX" debug -S "$SOCK" get-log-level 2>&1); rc=$?
[ $rc -ne 0 ] && [[ "$out" == *"HTTP 403"* ]] && pass "DebugAllowUsers nobody: uid daemon gets 403" ||
	fail "DebugAllowUsers nobody: uid daemon: rc=$rc $out"
check "the refusal is logged with the peer's uid" log_has "debug service: refused uid $(id -u daemon) .*GET /log-level"
check "root still allowed with an allow-list" eval '[ "$(D get-log-level)" = INFO ]'

# ---------- a socket path that cannot be created leaves SSH serving
stop_sshd
rm -f "$SSHD_DATADIR/debug.sock"; mkdir "$SSHD_DATADIR/debug.sock"
SSHD_LOGLEVEL=INFO start_sshd || finish
got=$(sshc dbgusr "$KEY" 'echo still-serving' 2>/dev/null)
[ "$got" = still-serving ] && pass "debug.sock is a directory: SSH still serves" || fail "SSH with broken debug socket: '$got'"
log_has 'debug service.*not a socket' && pass "the failure is logged" || fail "no log line about the debug socket"
stop_sshd
rmdir "$SSHD_DATADIR/debug.sock"

# ---------- DebugService no
SSHD_LOGLEVEL=INFO SSHD_EXTRA_CONFIG="DebugService no" start_sshd || finish
sleep 0.3
[ ! -e "$SSHD_DATADIR/debug.sock" ] && pass "DebugService no: no socket" || fail "DebugService no: socket exists"
out=$(D readyz 2>&1); rc=$?
[ $rc -ne 0 ] && [[ "$out" == *"is sshd running? is DebugService on?"* ]] && pass "applet explains a missing socket" ||
	fail "missing socket message: $out"
stop_sshd
finish
