#!/usr/bin/env bash
# Hostile clients on the network (issue 17), hostile_net.py:
# - backpressure: clients that make the server reply and never read
#   (pre-auth unknown types, post-auth global requests, channel requests)
#   block in their own sends, the connection process stays under 8 MiB RSS,
#   a login from 127.0.0.2 works meanwhile;
# - refusals (KEXINIT with 256 KiB trailing bytes, type 60 before the
#   service request, a 100 KiB service name, type 0 before kex, a second
#   KEXINIT before authentication) each close the connection with one log
#   line naming the peer and the reason.
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root
/usr/bin/python3 -c 'import paramiko' 2>/dev/null || { skip "paramiko missing"; finish; }
# The login from 127.0.0.2 must reach a 127.0.0.1 listener.
(exec 3<>/dev/tcp/127.0.0.2/1) 2>/dev/null
ip -o addr show lo 2>/dev/null | grep -q '127\.0\.0\.1/8' || { skip "no 127.0.0.0/8 on lo"; finish; }

make_user hnet1 || finish
KEY=$(make_key hnet1 ed25519)
SSHD_LOGLEVEL=${SSHD_LOGLEVEL:-INFO} SSHD_EXTRA_CONFIG="LoginGraceTime 60" start_sshd || finish
/usr/bin/python3 "$LIB_DIR/hostile_net.py" "$PORT" hnet1 "$KEY" "$SSHD_LOG" "$SSHD_PID"
rc=$?
[ $rc -eq 0 ] || fail "hostile_net.py exited $rc"
check "listener alive" sshd_alive
check "no connection process crashed" eval "! grep -q 'connection process .* killed by signal' '$SSHD_LOG'"
finish
