#!/usr/bin/env bash
# No user enumeration (issue 17): keyboard-interactive answers an existing,
# a missing and a refused user with the same messages, and a failed
# password takes the same time (median over TRIES) whether or not the
# account exists (hostile_enum.py, paramiko).
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root
/usr/bin/python3 -c 'import paramiko' 2>/dev/null || { skip "paramiko missing"; finish; }

make_user henum1 || finish
make_user henum2 || finish
SSHD_LOGLEVEL=INFO SSHD_EXTRA_CONFIG="PasswordAuthentication yes
KbdInteractiveAuthentication yes
DenyUsers henum2
MaxStartups 100" start_sshd || finish
/usr/bin/python3 "$LIB_DIR/hostile_enum.py" "$PORT" henum1 henum-nosuchuser henum2 "${ENUM_TRIES:-20}"
rc=$?
[ $rc -eq 0 ] || fail "hostile_enum.py exited $rc"
check "listener alive" sshd_alive
finish
