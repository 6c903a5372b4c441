#!/usr/bin/env bash
# Login records and inherited descriptors (issue 17):
# - kill -9 of the exec child, of the shell, and of the client each leave
#   the session's utmp record closed (DEAD_PROCESS in utmpdump) within 1 s;
#   the record's ut_id is the conventional "ts/N" for pts/N;
# - a daemon started with stray descriptors (10: /dev/null, 251: a pipe)
#   passes neither to the listener's or a connection process's fd table.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root
command -v utmpdump >/dev/null || { skip "utmpdump missing"; finish; }

U=hrec1
make_user "$U" || finish
KEY=$(make_key "$U" ed25519)
UTMP=/var/run/utmp

mkfifo "$T/in"
exec 9<>"$T/in"

# Stray descriptors in the daemon's starting environment.
exec 10</dev/null
exec 251> >(exec cat >/dev/null)
start_sshd || finish
exec 10<&- 251>&-

# utmp_state LINE: "TYPE ID USER" of LINE's utmp entry with the
# conventional ut_id (last 4 chars of the line), from utmpdump; other
# daemons' tests may leave entries with other ids for the same line.
utmp_state() {
	local id; id=$(printf '%s' "$1" | tail -c 4)
	utmpdump "$UTMP" 2>/dev/null | awk -F'] \\[' -v l="$1" -v id="$id" '
		{ for (i = 1; i <= NF; i++) { gsub(/^\[|\]$/, "", $i); gsub(/ +$/, "", $i) } }
		$5 == l && $3 == id { st = $1 " " $3 " " $4 } END { print st }'
}

# start_session: a pty session running `sleep` as the user; sets CLIENT
# (the ssh client's pid), LINE (pts/N), CONNP, EXECP, SHELLP.
start_session() {
	local out=$T/session.$1 i
	# stdin: a fifo this shell holds open (no data, no EOF, nothing left
	# holding the test's stdout when it ends)
	ssh "${SSHC_OPTS[@]}" -i "$KEY" -p "$PORT" -tt "$U@127.0.0.1" 'tty; exec sleep 300' <"$T/in" >"$out" 2>&1 &
	disown $! 2>/dev/null # no "Killed" job notice when the client is killed
	LINE= CLIENT= CONNP= EXECP= SHELLP=
	for i in $(seq 1 100); do
		LINE=$(tr -d '\r' <"$out" | grep -o '^/dev/pts/[0-9]*' | head -1)
		[ -n "$LINE" ] && break
		sleep 0.1
	done
	LINE=${LINE#/dev/}
	CLIENT=$(pgrep -f -- "-p $PORT -tt $U@127.0.0.1" | head -1)
	# the sleep on this session's tty (a killed earlier session's may linger)
	SHELLP=$(pgrep -u "$U" -t "$LINE" -x sleep | head -1)
	EXECP=$(ps -o ppid= -p "${SHELLP:-0}" 2>/dev/null | tr -d ' ')
	CONNP=$(ps -o ppid= -p "${EXECP:-0}" 2>/dev/null | tr -d ' ')
	[ -n "$LINE" ] && [ -n "$CLIENT" ] && [ -n "$SHELLP" ] && [ -n "$EXECP" ] && [ -n "$CONNP" ]
}

# closed_within_1s LINE: utmp shows LINE as DEAD_PROCESS within 1 s;
# prints the milliseconds it took.
closed_within_1s() {
	local t0 t1 i
	t0=$(date +%s%N)
	for i in $(seq 1 40); do
		case "$(utmp_state "$1")" in 8\ *) t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); return 0 ;; esac
		t1=$(date +%s%N)
		[ $(((t1 - t0) / 1000000)) -gt 1000 ] && break
		sleep 0.025
	done
	echo ">1000"
	return 1
}

fd_check_done=0
for victim in exec shell client; do
	if ! start_session "$victim"; then
		fail "$victim: session setup (line [$LINE] client [$CLIENT] exec [$EXECP] shell [$SHELLP])"
		continue
	fi
	st=$(utmp_state "$LINE")
	n=${LINE#pts/}
	want_id=$(printf 'pts/%s' "$n" | tail -c 4)
	check "$victim: utmp has a live record for $U on $LINE with ut_id '$want_id' ($st)" \
		[ "$st" = "7 $want_id $U" ]
	if [ $fd_check_done = 0 ]; then
		fd_check_done=1
		for p in "$SSHD_PID" "$CONNP"; do
			what=listener; [ "$p" = "$CONNP" ] && what="connection process"
			check "no inherited fd 10 or 251 in the $what ($(ls /proc/"$p"/fd | tr '\n' ' '))" \
				eval "[ ! -e /proc/$p/fd/10 ] && [ ! -e /proc/$p/fd/251 ]"
		done
	fi
	case $victim in
	exec) kill -9 "$EXECP" ;;
	shell) kill -9 "$SHELLP" ;;
	client) kill -9 "$CLIENT" ;;
	esac
	if ms=$(closed_within_1s "$LINE"); then
		pass "kill -9 of the $victim: utmp record of $LINE closed in $ms ms"
	else
		fail "kill -9 of the $victim: utmp record of $LINE still open after 1 s ($(utmp_state "$LINE"))"
	fi
	[ "$victim" = exec ] && check "exec killed: the connection process logged closing the record" \
		log_has "exec child of $U on /dev/$LINE ended \\(killed by signal 9\\) without its logout record"
	kill "$CLIENT" 2>/dev/null
	pkill -KILL -u "$U" 2>/dev/null
	wait_children 0 5 >/dev/null
done
check "who does not list $U any more" eval "! who | grep -q '^$U '"
finish
