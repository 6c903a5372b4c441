#!/usr/bin/env bash
# AuthorizedKeysCommand (runs as AuthorizedKeysCommandUser through the
# helper; a command that prints keys logs in, one that hangs is killed at
# the timeout, 100 MB of output is cut off) and AuthenticationMethods
# (publickey,password: the key alone is a partial success, key then
# password logs in; Match can relax it; publickey,publickey refuses the
# same key twice, as OpenSSH). cert-authority lines printed by the command
# admit a certificate of that CA (an OpenSSH client with a CA-signed key).
. "$(dirname "$0")/lib.sh"
sshbox_setup
require_root

U=sbakc1
U2=sbakc2
make_user "$U" || finish
make_user "$U2" || finish
ssh-keygen -q -t ed25519 -N '' -C akc -f "$T/akc_key"
# The command and its directories must be root's and not writable by others
# (as OpenSSH): not under /tmp.
D=$(mktemp -d /usr/local/lib/sshbox-akc.XXXXXX)
chmod 755 "$D"
trap 'rm -rf "$D"; _cleanup' EXIT
cat > "$D/keys.sh" <<EOF
#!/bin/sh
echo "keycmd-ran-as \$(id -un) args \$*" >&2
[ "\$1" = "$U" ] && echo "$(cat "$T/akc_key.pub")"
exit 0
EOF
cat > "$D/hang.sh" <<'EOF'
#!/bin/sh
sleep 60
EOF
cat > "$D/big.sh" <<EOF
#!/bin/sh
echo "$(cat "$T/akc_key.pub")"
head -c 100000000 /dev/zero | tr '\\0' 'x'
EOF
cat > "$D/fails.sh" <<EOF
#!/bin/sh
echo "$(cat "$T/akc_key.pub")"
exit 1
EOF
chmod 755 "$D"/*.sh

akc_daemon() { # script [extra config]
	SSHD_EXTRA_CONFIG="AuthorizedKeysFile none
AuthorizedKeysCommand $D/$1 %u %t %f
AuthorizedKeysCommandUser nobody
${2:-}" start_sshd
}

akc_daemon keys.sh || finish
out=$(sshc "$U" "$T/akc_key" echo akc-ok 2>/dev/null)
check "AuthorizedKeysCommand: printed key logs in" [ "$out" = akc-ok ]
check "AuthorizedKeysCommand: ran as AuthorizedKeysCommandUser with %u %t %f" \
	log_has "keycmd-ran-as nobody args $U ssh-ed25519 SHA256:"
out=$(sshc "$U2" "$T/akc_key" echo x 2>/dev/null)
check "AuthorizedKeysCommand: the key is not printed for another user" [ -z "$out" ]

akc_daemon hang.sh || finish
start=$(date +%s)
out=$(sshc "$U" "$T/akc_key" echo x 2>/dev/null)
el=$(( $(date +%s) - start ))
check "AuthorizedKeysCommand: a hanging command is cut at the timeout (${el}s)" \
	eval '[ -z "$out" ] && [ $el -ge 9 ] && [ $el -le 30 ]'
check "AuthorizedKeysCommand: timeout logged" log_has "no end of output within 10000 ms, killed"
check "AuthorizedKeysCommand: nothing of the hanging command is left" eval '! pgrep -f "$D/hang.sh" >/dev/null'

akc_daemon big.sh || finish
out=$(SSHC_TIMEOUT=60 sshc "$U" "$T/akc_key" echo big-ok 2>/dev/null)
check "AuthorizedKeysCommand: 100 MB of output is cut off (the key before it still counts)" [ "$out" = big-ok ]
check "AuthorizedKeysCommand: cut-off logged" log_has "output over 4194304 bytes, cut off"
check "AuthorizedKeysCommand: the daemon is still up" sshd_alive

akc_daemon fails.sh || finish
out=$(sshc "$U" "$T/akc_key" echo x 2>/dev/null)
check "AuthorizedKeysCommand: a failing command's keys are ignored" eval '[ -z "$out" ] && log_has "failed, status 1"'

chmod 777 "$D/keys.sh"
akc_daemon keys.sh || finish
out=$(sshc "$U" "$T/akc_key" echo x 2>/dev/null)
check "AuthorizedKeysCommand: a world-writable command is refused" eval '[ -z "$out" ] && log_has "bad ownership or modes"'
chmod 755 "$D/keys.sh"

# ---- AuthenticationMethods publickey,password ----
K=$(make_key "$U" ed25519)
K2=$(make_key "$U2" ed25519)
SSHD_EXTRA_CONFIG="PasswordAuthentication yes
AuthenticationMethods publickey,password
Match User $U2
	AuthenticationMethods any" start_sshd || finish
out=$(timeout 30 ssh "${SSHC_OPTS[@]}" -v -i "$K" -p "$PORT" "$U@127.0.0.1" echo x 2>"$T/am.err")
check "AuthenticationMethods: the key alone does not log in" [ -z "$out" ]
check "AuthenticationMethods: the client sees partial success" grep -q 'with partial success' "$T/am.err"
check "AuthenticationMethods: 'Partial publickey' logged" log_has "Partial publickey for $U"
ap="$T/askpass"
printf '#!/bin/sh\necho %q\n' "$PW_sbakc1" > "$ap"; chmod 700 "$ap"
out=$(SSH_ASKPASS="$ap" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 timeout 30 ssh -F /dev/null \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes \
	-o NumberOfPasswordPrompts=1 -i "$K" -p "$PORT" "$U@127.0.0.1" echo both-ok </dev/null 2>/dev/null)
check "AuthenticationMethods: key then password logs in" [ "$out" = both-ok ]
out=$(sshc_pw "$U" "$PW_sbakc1" echo x 2>/dev/null)
check "AuthenticationMethods: the password alone does not" [ -z "$out" ]
# paramiko 2.12 sends SERVICE_REQUEST "ssh-userauth" again before each
# step: accepted until success (as OpenSSH's sshd), refused after it.
if $PY -c 'import paramiko' 2>/dev/null; then
	$PY - "$PORT" "$U" "$K" "$PW_sbakc1" >"$T/am_py.out" 2>&1 <<'EOF'
import socket, sys, time, paramiko
from paramiko.common import cMSG_SERVICE_REQUEST
port, user, key, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
t = paramiko.Transport(socket.create_connection(("127.0.0.1", port), timeout=20))
t.start_client(timeout=20)
left = t.auth_publickey(user, paramiko.Ed25519Key.from_private_key_file(key))
print("after key:", ",".join(left))
t.auth_password(user, pw)
ch = t.open_session()
ch.exec_command("echo paramiko-two-step-ok")
print(ch.makefile().read().decode().strip())
m = paramiko.Message()
m.add_byte(cMSG_SERVICE_REQUEST)
m.add_string("ssh-userauth")
t._send_message(m)
end = time.time() + 10
while t.is_active() and time.time() < end:
    time.sleep(0.05)
print("closed after late service request" if not t.is_active() else "still open")
EOF
	check "AuthenticationMethods: paramiko key then password (second service request)" \
		eval 'grep -qx "after key: password" "$T/am_py.out" && grep -qx paramiko-two-step-ok "$T/am_py.out"'
	check "AuthenticationMethods: a service request after success is refused" \
		eval 'grep -qx "closed after late service request" "$T/am_py.out" && log_has "service ssh-userauth not available"'
else
	skip "paramiko not installed"
fi
out=$(sshc "$U2" "$K2" echo match-any 2>/dev/null)
check "AuthenticationMethods: Match User ... any lets the key alone in" [ "$out" = match-any ]
# ---- AuthenticationMethods publickey,publickey: two different keys ----
# OpenSSH's client offers a certificate, then the plain key of the same
# file: as OpenSSH, the second step refuses it (the same public key).
K3=$(make_key "$U" ecdsa)
ssh-keygen -q -t ed25519 -N '' -C akc-ca -f "$T/akc_ca"
chmod 644 "$T/akc_ca.pub"
ssh-keygen -q -s "$T/akc_ca" -I k-cert -n "$U" "$K.pub" || fail "sign K"
SSHD_EXTRA_CONFIG="AuthenticationMethods publickey,publickey
TrustedUserCAKeys $T/akc_ca.pub" start_sshd || finish
out=$(sshc "$U" "$K" -v -o CertificateFile="$K-cert.pub" -- echo x 2>"$T/pp.err")
check "publickey,publickey: certificate then its own plain key: refused" \
	eval '[ -z "$out" ] && grep -q "with partial success" "$T/pp.err"'
check "publickey,publickey: the reuse is logged" log_has "refusing previously-used ssh-ed25519 key"
out=$(sshc "$U" "$K" -i "$K3" -- echo two-keys-ok 2>/dev/null)
check "publickey,publickey: two different keys log in" [ "$out" = two-keys-ok ]
rm -f "$K-cert.pub"

# ---- cert-authority lines printed by AuthorizedKeysCommand ----
ssh-keygen -q -t ed25519 -N '' -C akc-cert -f "$T/akc_certkey"
ssh-keygen -q -s "$T/akc_ca" -I akc-cert-id -n "$U" "$T/akc_certkey.pub" || fail "sign user cert"
cat > "$D/ca.sh" <<EOF
#!/bin/sh
echo "keycmd-ca args \$*" >&2
[ "\$1" = "$U" ] && echo 'cert-authority,principals="$U" $(cat "$T/akc_ca.pub")'
exit 0
EOF
chmod 755 "$D/ca.sh"
akc_daemon ca.sh || finish
out=$(sshc "$U" "$T/akc_certkey" -o CertificateFile="$T/akc_certkey-cert.pub" -- echo akc-cert-ok 2>/dev/null)
check "AuthorizedKeysCommand: a cert-authority line admits a certificate of that CA" [ "$out" = akc-cert-ok ]
check "AuthorizedKeysCommand: accepted via the command; %t is the certificate type" \
	eval 'log_has "Accepted certificate ID \"akc-cert-id\" .* via AuthorizedKeysCommand" && log_has "keycmd-ca args $U ssh-ed25519-cert-v01@openssh.com SHA256:"'
ssh-keygen -q -s "$T/akc_ca" -I akc-other -n someone-else "$T/akc_certkey.pub"
out=$(sshc "$U" "$T/akc_certkey" -o CertificateFile="$T/akc_certkey-cert.pub" -- echo x 2>/dev/null)
check "AuthorizedKeysCommand: a certificate without the line's principal is refused" [ -z "$out" ]
finish
