#!/usr/bin/env bash
# Hostile input against sshd (cases in sshd_malformed.py): each ends in a
# clean disconnect; afterwards the listener still serves logins and no
# connection process is left behind.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root

make_user sbmal || finish
KEY=$(make_key sbmal ed25519)
SSHD_EXTRA_CONFIG="LoginGraceTime 20"
start_sshd || finish
BASE=$(sshd_children)

/usr/bin/python3 "$LIB_DIR/sshd_malformed.py" "$PORT" sbmal "$KEY"
rc=$?
[ $rc -eq 0 ] || fail "sshd_malformed.py exited $rc"

check "listener alive after hostile input" sshd_alive
out=$(sshc sbmal "$KEY" echo still-ok)
check "logins still work after hostile input" [ "$out" = still-ok ]
if wait_children "$BASE" 15; then pass "no leaked connection processes"; else
	fail "no leaked connection processes ($(sshd_children) > $BASE)"; ps -ef --forest | grep -A3 "[s]shd -D" | head -20; fi
check "bad banner logged" log_has "bad protocol identification"
# random bytes on an encrypted stream fail as a bad (decrypted) length or a bad MAC
check "corrupted stream logged" log_has "corrupted MAC on input|packet decryption failed|bad packet length|not a multiple of block size"
# the refusal lines name the concrete reason from the error code
check "truncated KEXINIT logged with its reason" \
	log_has 'Refused .* \[preauth\]: kex: malformed KEXINIT: kex_algorithms: message too short$'
check "NUL in a KEXINIT name logged with its reason" \
	log_has 'Refused .* \[preauth\]: kex: malformed KEXINIT: kex_algorithms: malformed field \(a NUL or control byte'
# exactly one refusal line per connection process (the pid in "sshbox[PID]"),
# and enough of them that the check is not vacuous
one_refusal_per_connection() {
	local pids
	pids=$(grep -E ' Refused .* \[preauth\]: ' "$SSHD_LOG" | sed -nE 's/.*\[([0-9]+)\] .*/\1/p')
	[ "$(printf '%s\n' "$pids" | grep -c .)" -ge 10 ] && [ -z "$(printf '%s\n' "$pids" | sort | uniq -d)" ]
}
check "one refusal line per refused connection" one_refusal_per_connection
check "no crash of any connection process" bash -c "! grep -q 'connection process .* killed by signal' '$SSHD_LOG'"
finish
