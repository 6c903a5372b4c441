#!/usr/bin/env bash
# The sftp and networking children run under their seccomp allow-lists
# (shared/child/child_sandbox.c): for a live sftp session (internal-sftp,
# and the `sftp-server` drop-in as Subsystem command) and a live remote
# forward, the child found under the connection process shows
# `Seccomp: 2` and `NoNewPrivs: 1` in /proc/PID/status and runs as the
# user; the session then still serves put/ls -l/get/rename/rm, and the
# forward and an `ssh -W localhost:PORT` dial still carry a connection; a
# DNS lookup for a missing name ends with the resolver's answer.
# No "sandbox ...: forbidden system call" line appears anywhere.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root
command -v ssh >/dev/null && command -v sftp >/dev/null || { skip "test_child_sandbox.sh: no OpenSSH client"; exit 0; }
# A kernel without seccomp has no "Seccomp:" line; the children then log
# one warning and run without the sandbox (docs/design.md).
grep -q '^Seccomp:' /proc/self/status || { skip "test_child_sandbox.sh: the kernel has no seccomp"; exit 0; }

U=csbuser1
make_user "$U" || finish
KEY=$(make_key "$U" ed25519) || { fail "make_key"; finish; }
UID_U=$(id -u "$U")
mkdir -p "$T/bin"
cp "$SSHBOX" "$T/bin/sftp-server"
head -c 3M /dev/urandom > "$T/payload"
chmod 644 "$T/payload"

# descendant_named NAME: pid of the listener's descendant whose comm is NAME
# (listener -> connection -> exec child -> shell -> sftp-server at most).
descendant_named() {
	local level=("$SSHD_PID") next p c d
	for d in 1 2 3 4 5; do
		next=()
		for p in "${level[@]}"; do
			for c in $(pgrep -P "$p"); do
				[ "$(cat "/proc/$c/comm" 2>/dev/null)" = "$1" ] && { echo "$c"; return 0; }
				next+=("$c")
			done
		done
		level=("${next[@]}")
		[ ${#level[@]} -gt 0 ] || break
	done
	return 1
}

wait_descendant() {
	local i pid
	for i in $(seq 1 100); do
		pid=$(descendant_named "$1") && { echo "$pid"; return 0; }
		sleep 0.1
	done
	return 1
}

status_is() { grep -Eq "^$2:[[:space:]]+$3\$" "/proc/$1/status"; }
real_uid_is() { awk '/^Uid:/ {exit !($2 == '"$2"' && $3 == '"$2"' && $4 == '"$2"')}' "/proc/$1/status"; }
no_trap_line() { ! grep -q "forbidden system call" "$@"; }

# child_sandboxed LABEL COMM: the listener's descendant named COMM is found
# and runs as the user with no_new_privs and a seccomp filter.
child_sandboxed() {
	local L=$1 pid
	if ! pid=$(wait_descendant "$2"); then
		fail "$L: no $2 child under the listener"
		return
	fi
	pass "$L: $2 child found (pid $pid, parent $(awk '/^PPid:/ {print $2}' "/proc/$pid/status"))"
	check "$L: $2 child Seccomp: 2" status_is "$pid" Seccomp 2
	check "$L: $2 child NoNewPrivs: 1" status_is "$pid" NoNewPrivs 1
	check "$L: $2 child runs as the user" real_uid_is "$pid" "$UID_U"
}

# sftp_live LABEL: one sftp session kept open through a fifo; checks the
# child while it waits, then sends the operations and ends the session.
sftp_live() {
	local L=$1 fifo="$T/sftp.fifo.$1" out="$T/sftp.out.$1"
	rm -f "$fifo"; mkfifo "$fifo"
	timeout -k 5 60 sftp -q "${SSHC_OPTS[@]}" -i "$KEY" -P "$PORT" -b - "$U@127.0.0.1" < "$fifo" > "$out" 2>&1 &
	local spid=$!
	exec 9> "$fifo"
	echo "pwd" >&9
	child_sandboxed "$L" sshbox-sftp
	cat >&9 <<EOB
put $T/payload up.bin
ls -l
rename up.bin moved.bin
get moved.bin $T/got.$L
mkdir dd
rmdir dd
df -h .
rm moved.bin
EOB
	exec 9>&-
	wait "$spid"
	local rc=$?
	check "$L: session served every operation (rc $rc)" eval "[ $rc -eq 0 ] && cmp -s '$T/payload' '$T/got.$L' && grep -q 'moved.bin\|up.bin' '$out'"
	check "$L: no forbidden system call reported" no_trap_line "$out" "$SSHD_LOG"
	[ "$rc" -eq 0 ] || sed 's/^/  | /' "$out" | tail -n 10
}

start_sshd || finish
sftp_live internal-sftp

SSHD_EXTRA_CONFIG="Subsystem sftp $T/bin/sftp-server"
start_sshd || finish
sftp_live sftp-server

# ---- networking: a remote forward makes the child listen at once --------
cat > "$T/echo.py" <<'PY'
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()
PY
python3 "$T/echo.py" > "$T/echo.port" &
_pids+=($!)
for _ in $(seq 1 50); do [ -s "$T/echo.port" ] && break; sleep 0.1; done
EPORT=$(cat "$T/echo.port")
RPORT=$(free_port)
sshc "$U" "$KEY" -N -o ExitOnForwardFailure=yes -R "127.0.0.1:$RPORT:127.0.0.1:$EPORT" -- > "$T/fwd.out" 2>&1 &
FPID=$!
_pids+=("$FPID")
child_sandboxed remote-forward networking
got=
for _ in $(seq 1 50); do
	got=$(printf 'hello' | timeout 5 python3 -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=4)
c.sendall(sys.stdin.buffer.read()); print(c.recv(100).decode())' "$RPORT" 2>/dev/null) && [ -n "$got" ] && break
	sleep 0.1
done
check "remote forward carries a connection through the sandboxed child (got '$got')" eval "[ '$got' = 'HELLO' ]"
# a dial by name: the child forks a worker that resolves "localhost"
# (getaddrinfo reads /etc/hosts, nsswitch.conf) and connects
got=$(printf 'hello' | sshc "$U" "$KEY" -W "localhost:$EPORT" -- 2>"$T/w.err")
check "ssh -W localhost:PORT dialled by the sandboxed child (got '$got')" eval "[ '$got' = 'HELLO' ]"
# a name the resolver must ask DNS for (glibc sizes the answer with ioctl
# FIONREAD): the dial fails with the resolver's reason, the worker lives
sshc "$U" "$KEY" -W "nonexistent.invalid:80" -- < /dev/null > /dev/null 2>&1
check "a DNS lookup in the sandboxed worker fails cleanly" log_has "resolve nonexistent.invalid: "
kill "$FPID" 2>/dev/null
wait "$FPID" 2>/dev/null
check "networking: no forbidden system call reported" no_trap_line "$SSHD_LOG"
stop_sshd
finish
