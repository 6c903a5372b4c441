#!/bin/bash
# Sessions through PAM (system flavour, `make FLAVOR=system`): a PAM stack
# installed for the test (pam_unix auth/account/session, pam_env, pam_exec
# logging), password login through PAM, the PAM session opened by the exec
# applet for the shell's life and closed after it exits, PAM environment in
# the session.
. "$(dirname "$0")/lib.sh"
SYSOUT=${SYSOUT:-build/out-system}
case "$SYSOUT" in /*) ;; *) SYSOUT="$REPO_DIR/$SYSOUT" ;; esac
SSHBOX=${SSHBOX_SYSTEM:-$SYSOUT/sshbox}
sshbox_setup
require_root
if ! "$SSHBOX" --features 2>/dev/null | grep -q '^ *CONFIG_PAM=y'; then
	skip "$(basename "$0"): $SSHBOX is not built with PAM"
	exit 0
fi
if [ ! -e /lib/x86_64-linux-gnu/security/pam_exec.so ] && [ ! -e /usr/lib/x86_64-linux-gnu/security/pam_exec.so ]; then
	skip "$(basename "$0"): pam_exec.so not installed"
	exit 0
fi

U=sbxpam
SVC="sbxtest$$"
PAMFILE="/etc/pam.d/$SVC"
trap 'rm -f "$PAMFILE"; _cleanup' EXIT
make_user "$U" || finish
KEY=$(make_key "$U" ed25519) || { fail "make_key"; finish; }
PW_VAR="PW_$U"; PW=${!PW_VAR}

LOG="$T/pam.log"
: > "$LOG"; chmod 666 "$LOG"
cat > "$T/pamlog.sh" <<EOS
#!/bin/sh
echo "\$PAM_TYPE user=\$PAM_USER tty=\$PAM_TTY rhost=\$PAM_RHOST service=\$PAM_SERVICE" >> $LOG
exit 0
EOS
chmod 755 "$T/pamlog.sh"
echo 'SBX_PAM_VAR DEFAULT=from-pam-env' > "$T/pam_env.conf"
cat > "$PAMFILE" <<EOS
auth     required pam_unix.so
account  required pam_unix.so
session  required pam_unix.so
session  required pam_env.so readenv=0 conffile=$T/pam_env.conf
session  optional pam_exec.so $T/pamlog.sh
EOS

export SSHD_EXTRA_CONFIG="UsePAM yes
PAMServiceName $SVC
PasswordAuthentication yes
KbdInteractiveAuthentication no
PrintMotd no"
start_sshd || finish

out=$(sshc_pw "$U" "$PW" 'id -un; echo "pamvar=$SBX_PAM_VAR"')
if [ "$(printf '%s\n' "$out" | head -1)" = "$U" ]; then pass "password login through PAM runs the command as $U"; else fail "PAM password login: [$out]"; fi
if grep -q "pamvar=from-pam-env" <<<"$out"; then pass "pam_env variables reach the session"; else fail "pam_env: [$out]"; fi
sleep 0.3
if grep -q "^open_session user=$U .*rhost=127.0.0.1 service=$SVC" "$LOG" && grep -q "^close_session user=$U" "$LOG"; then
	pass "pam_open_session and pam_close_session ran (pam_exec log)"
else
	fail "PAM session log: $(cat "$LOG")"
fi

# The PAM session stays open for the command's whole life.
: > "$LOG"
sshc "$U" "$KEY" 'sleep 2' &
bg=$!
sleep 1
if grep -q "^open_session user=$U" "$LOG" && ! grep -q "^close_session" "$LOG"; then
	pass "PAM session is open while the command runs (key login)"
else
	fail "PAM session during the command: $(cat "$LOG")"
fi
wait "$bg"
sleep 0.3
if grep -q "^close_session user=$U" "$LOG"; then pass "PAM session closed after the command exits"; else fail "no close_session: $(cat "$LOG")"; fi

# pty: PAM_TTY is the pty
: > "$LOG"
sshc "$U" "$KEY" -tt -- 'true' >/dev/null 2>&1
sleep 0.3
if grep -q "^open_session user=$U tty=/dev/pts/[0-9]" "$LOG"; then pass "PAM_TTY is the session's pty"; else fail "PAM_TTY: $(cat "$LOG")"; fi

# a wrong password is refused through PAM
out=$(sshc_pw "$U" "wrong-$PW" 'echo in' 2>&1)
if ! grep -q '^in$' <<<"$out"; then pass "wrong password refused through PAM"; else fail "wrong password accepted"; fi
finish
